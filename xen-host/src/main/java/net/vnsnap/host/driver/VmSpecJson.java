package net.vnsnap.host.driver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import java.nio.file.Path;

/** Converts a {@link VmSpec} to and from the JSON device description kept with each snapshot. */
public final class VmSpecJson {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new SimpleModule("paths")
                    .addSerializer(Path.class, ToStringSerializer.instance)
                    .addDeserializer(Path.class, new FromStringDeserializer<Path>(Path.class) {
                        private static final long serialVersionUID = 1L;

                        @Override
                        protected Path _deserialize(String value, com.fasterxml.jackson.databind.DeserializationContext ctxt) {
                            return Path.of(value);
                        }
                    }))
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private VmSpecJson() {
    }

    public static String toJson(VmSpec spec) {
        try {
            return MAPPER.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise VM spec " + spec.name(), e);
        }
    }

    /** Parses a device description; throws IllegalArgumentException naming the problem when it is invalid. */
    public static VmSpec fromJson(String json) {
        try {
            return MAPPER.readValue(json, VmSpec.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid VM device description: " + e.getOriginalMessage(), e);
        }
    }
}
