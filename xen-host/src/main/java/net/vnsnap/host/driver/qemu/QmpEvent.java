package net.vnsnap.host.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** An asynchronous QMP event with QEMU's own timestamp. */
record QmpEvent(String name, JsonNode data, Instant timestamp) {
}
