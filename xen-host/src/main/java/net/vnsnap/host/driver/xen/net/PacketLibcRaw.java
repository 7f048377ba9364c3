package net.vnsnap.host.driver.xen.net;

import com.sun.jna.Library;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;

/** Raw mirror of the libc socket calls an AF_PACKET socket on a vif needs (sys/socket.h, net/if.h, unistd.h). */
public interface PacketLibcRaw extends Library {
    int AF_PACKET = 17;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = 02000000;
    /** {@code ETH_P_ALL}: every protocol; sockets take it in network byte order. */
    int ETH_P_ALL = 0x0003;
    int SOL_SOCKET = 1;
    int SO_RCVTIMEO = 20;
    /** {@code sll_pkttype} of a frame this host sent out of the interface (our own injections). */
    int PACKET_OUTGOING = 4;
    /** errno values a receive time-out or signal produces. */
    int EAGAIN = 11;
    int EINTR = 4;

    int socket(int domain, int type, int protocol);

    int bind(int sockfd, SockaddrLl addr, int addrlen);

    long recvfrom(int sockfd, byte[] buf, long len, int flags, SockaddrLl src_addr, IntByReference addrlen);

    long send(int sockfd, byte[] buf, long len, int flags);

    int setsockopt(int sockfd, int level, int optname, Timeval optval, int optlen);

    int close(int fd);

    int if_nametoindex(String ifname);

    /** {@code struct sockaddr_ll} (linux/if_packet.h), 20 bytes. */
    @Structure.FieldOrder({"sll_family", "sll_protocol", "sll_ifindex", "sll_hatype", "sll_pkttype", "sll_halen", "sll_addr"})
    class SockaddrLl extends Structure {
        public short sll_family;
        public short sll_protocol;
        public int sll_ifindex;
        public short sll_hatype;
        public byte sll_pkttype;
        public byte sll_halen;
        public byte[] sll_addr = new byte[8];
    }

    /** {@code struct timeval} on LP64. */
    @Structure.FieldOrder({"tv_sec", "tv_usec"})
    class Timeval extends Structure {
        public long tv_sec;
        public long tv_usec;
    }
}
