package net.vnsnap.host.vswitch;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.function.LongSupplier;

/**
 * Sizes, limits and injected services of one switch; {@link #defaults()} suits a host with a few VMs.
 *
 * @param tunnelBind       local UDP address for tunnels to other hosts, or null for a switch without tunnels
 * @param maxFrameBytes    largest Ethernet frame accepted (and size of a pool slot)
 * @param poolSlots        frame slots shared by all ports' hold and record buffers
 * @param holdLimit        most frames held per port (post-cut frames waiting for a pre-cut receiver)
 * @param recordLimit      most recorded frames per port awaiting {@code drainRecorded}
 * @param macTableSize     most MAC addresses learned per segment
 * @param macAgeing        how long a learned address lives without traffic
 * @param socketBufferBytes requested SO_RCVBUF/SO_SNDBUF of each socket (the kernel may cap it)
 * @param rxBudget         datagrams read from one socket per wake-up, so one busy VM cannot starve others
 * @param commandTimeout   how long a control call waits for the selector thread
 * @param nanoClock        clock for MAC ageing
 * @param threadFactory    makes the selector thread
 */
public record SwitchConfig(InetSocketAddress tunnelBind, int maxFrameBytes, int poolSlots, int holdLimit,
                           int recordLimit, int macTableSize, Duration macAgeing, int socketBufferBytes,
                           int rxBudget, Duration commandTimeout, LongSupplier nanoClock,
                           ThreadFactory threadFactory) {
    public SwitchConfig {
        if (maxFrameBytes < 64 || maxFrameBytes > 65_000 || poolSlots < 1 || holdLimit < 1 || recordLimit < 1
                || macTableSize < 1 || socketBufferBytes < 1 || rxBudget < 1) {
            throw new IllegalArgumentException("switch limits out of range");
        }
        Objects.requireNonNull(macAgeing, "macAgeing");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(nanoClock, "nanoClock");
        Objects.requireNonNull(threadFactory, "threadFactory");
    }

    /** No tunnel; 2048-byte frames; 4096 pool slots (8 MiB); 512 held and 2048 recorded frames per port. */
    public static SwitchConfig defaults() {
        return new SwitchConfig(null, 2048, 4096, 512, 2048, 1024, Duration.ofMinutes(5), 4 << 20, 256,
                Duration.ofSeconds(5), System::nanoTime, r -> {
                    Thread t = new Thread(r);
                    t.setDaemon(true);
                    return t;
                });
    }

    public SwitchConfig withTunnelBind(InetSocketAddress bind) {
        return new SwitchConfig(bind, maxFrameBytes, poolSlots, holdLimit, recordLimit, macTableSize, macAgeing,
                socketBufferBytes, rxBudget, commandTimeout, nanoClock, threadFactory);
    }

    public SwitchConfig withLimits(int pool, int hold, int record) {
        return new SwitchConfig(tunnelBind, maxFrameBytes, pool, hold, record, macTableSize, macAgeing,
                socketBufferBytes, rxBudget, commandTimeout, nanoClock, threadFactory);
    }

    public SwitchConfig withMacAgeing(Duration ageing, LongSupplier clock) {
        return new SwitchConfig(tunnelBind, maxFrameBytes, poolSlots, holdLimit, recordLimit, macTableSize, ageing,
                socketBufferBytes, rxBudget, commandTimeout, clock, threadFactory);
    }
}
