package net.vnsnap.am.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import net.vnsnap.certs.GeniCode;

/**
 * One AM API answer before it goes on the wire: {@code {code: {geni_code, am_type, am_code}, value, output}}.
 * Errors carry {@code ""} as value; output is never absent.
 */
public record GeniResponse(GeniCode code, Object value, String output) {

    /** The {@code am_type} this AM reports in every code struct. */
    public static final String AM_TYPE = "vnsnap";

    public GeniResponse {
        Objects.requireNonNull(code, "code");
        value = value == null ? "" : value;
        output = output == null ? "" : output;
    }

    public static GeniResponse success(Object value) {
        return new GeniResponse(GeniCode.SUCCESS, value, "");
    }

    public static GeniResponse error(GeniCode code, String output) {
        return new GeniResponse(code, "", output);
    }

    /** The struct sent as the XML-RPC result. */
    public Map<String, Object> toWire() {
        Map<String, Object> codeStruct = new LinkedHashMap<>();
        codeStruct.put("geni_code", code.wire());
        codeStruct.put("am_type", AM_TYPE);
        codeStruct.put("am_code", code.wire());
        Map<String, Object> wire = new LinkedHashMap<>();
        wire.put("code", codeStruct);
        wire.put("value", value);
        wire.put("output", output);
        return wire;
    }
}
