package conformance;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What Kestra reads from one protocol line: the shape of its {@code TaskLogMatch} record,
 * so a frame that Kestra's mapper would refuse (wrong type, unknown metric type, bad log
 * level) is refused here too. Absent parts stay null and are left out when written back.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskLogMatch(
    Map<String, Object> outputs,
    List<MetricEntry> metrics,
    List<LogLine> logs,
    AssetEmit assets
) {

    /** SLF4J's levels, in SLF4J's order; Jackson matches enum names case-sensitively. */
    public enum Level { ERROR, WARN, INFO, DEBUG, TRACE }

    /** One entry of {@code logs}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record LogLine(Level level, String message) {
    }

    /**
     * One entry of {@code metrics}; {@code type} picks the subclass as in Kestra's
     * {@code AbstractMetricEntry}, and an unknown or missing type fails the whole line.
     */
    @JsonTypeInfo(
        use = JsonTypeInfo.Id.NAME,
        include = JsonTypeInfo.As.EXISTING_PROPERTY,
        property = "type",
        visible = true)
    @JsonSubTypes({
        @JsonSubTypes.Type(value = Counter.class, name = "counter"),
        @JsonSubTypes.Type(value = Timer.class, name = "timer"),
        @JsonSubTypes.Type(value = Gauge.class, name = "gauge"),
    })
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public abstract static class MetricEntry {
        public String name;
        public String type;
        public String description;
        public Map<String, String> tags;
        // Kestra reads an Instant here; without jackson-datatype-jsr310 (Debian ships none)
        // the text is kept. The package never sends a timestamp.
        public String timestamp;
    }

    /** A counter: repeated values add up in Kestra. */
    public static final class Counter extends MetricEntry {
        public Double value;
    }

    /** A gauge: the last value wins in Kestra. */
    public static final class Gauge extends MetricEntry {
        public Double value;
    }

    /**
     * A timer in seconds. Kestra reads a {@code java.time.Duration} through
     * jackson-datatype-jsr310, which Debian does not ship, so the seconds stay a Double.
     */
    public static final class Timer extends MetricEntry {
        public Double value;
    }

    /** {@code assets}: what the task read and wrote. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AssetEmit(List<AssetIdentifier> inputs, List<Asset> outputs) {
    }

    /** Properties beyond the named ones are kept, so the comparison sees all of them. */
    public abstract static class ExtraProperties {
        private final Map<String, Object> extra = new LinkedHashMap<>();

        @JsonAnySetter
        public void set(String name, Object value) {
            extra.put(name, value);
        }

        @JsonAnyGetter
        public Map<String, Object> extra() {
            return extra;
        }
    }

    /** An asset read by the task. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class AssetIdentifier extends ExtraProperties {
        public String id;
        public String type;
        public String namespace;
    }

    /** An asset written by the task. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class Asset extends ExtraProperties {
        public String id;
        public String type;
        public String namespace;
        public String displayName;
        public String description;
        public Map<String, Object> metadata;
    }
}
