package conformance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a command and reads its output as Kestra's Process runner does, writing what Kestra
 * would make of each line to a results file.
 *
 * <pre>java conformance.ProtocolReader RESULTS COMMAND [ARGS...]</pre>
 *
 * <p>RESULTS gets one JSON record a line: {@code {"stream", "index", "matched", "error",
 * "value", "line"}}, where {@code value} is the parsed frame written back by Jackson and
 * {@code line} the start of a line that did not parse; a last record
 * {@code {"exit": code}} ends the file. Records of stdout and stderr interleave, each
 * stream's in order. Every record is ASCII: non-ASCII characters are written as
 * {@code \\uXXXX}, so lone surrogates survive the trip.
 */
public final class ProtocolReader {

    /** Kestra's pattern, compiled as Kestra compiles it: no flags. */
    private static final Pattern LOG_DATA_SYNTAX = Pattern.compile("^::(\\{.*})::$");

    /**
     * Kestra's non-strict JSON mapper, as far as reading a frame is concerned. Debian's
     * Jackson 2.14 predates the read limits of 2.15 (nesting 1000, 20 million characters a
     * string), so the corpus stays well within them instead of relying on this reader.
     */
    private static final ObjectMapper READER = JsonMapper.builder()
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
        .build();

    /** Writes values back as ASCII, escaping every other character, lone surrogates too. */
    private static final ObjectMapper WRITER = JsonMapper.builder()
        .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
        .build();

    /** How much of a refused line a record keeps: enough to see why, not megabytes. */
    private static final int LINE_EXCERPT = 300;

    private final Writer results;

    private ProtocolReader(Writer results) {
        this.results = results;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ProtocolReader RESULTS COMMAND [ARGS...]");
            System.exit(2);
        }
        List<String> command = Arrays.asList(args).subList(1, args.length);
        Path resultsPath = Path.of(args[0]);

        try (BufferedWriter writer = Files.newBufferedWriter(resultsPath, StandardCharsets.UTF_8)) {
            ProtocolReader reader = new ProtocolReader(writer);
            Process process = new ProcessBuilder(command).start();
            process.getOutputStream().close();

            Thread stdout = reader.follow(process.getInputStream(), "stdout");
            Thread stderr = reader.follow(process.getErrorStream(), "stderr");
            int exit = process.waitFor();
            stdout.join();
            stderr.join();
            reader.write(Map.of("exit", exit));
        }
    }

    /** Reads one stream on its own thread, as the Process runner gives each stream one. */
    private Thread follow(InputStream stream, String name) {
        Thread thread = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                long index = 0;
                while ((line = lines.readLine()) != null) {
                    write(examine(name, index++, line));
                }
            } catch (IOException exception) {
                throw new RuntimeException("reading " + name, exception);
            }
        }, name);
        thread.start();
        return thread;
    }

    /** What Kestra makes of one line: matched or not, parsed or refused, and the value. */
    private static Map<String, Object> examine(String stream, long index, String line)
            throws IOException {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("stream", stream);
        record.put("index", index);

        Matcher matcher = LOG_DATA_SYNTAX.matcher(line);
        boolean matched = matcher.find();
        record.put("matched", matched);
        if (!matched) {
            record.put("line", excerpt(line));
            return record;
        }

        TaskLogMatch match;
        try {
            match = READER.readValue(matcher.group(1), TaskLogMatch.class);
        } catch (JsonProcessingException exception) {
            // Kestra drops the whole line on any of these and logs Jackson's message.
            record.put("error", exception.getClass().getSimpleName() + ": "
                + exception.getOriginalMessage());
            record.put("line", excerpt(line));
            return record;
        }
        record.put("value", WRITER.writeValueAsString(match));
        return record;
    }

    private static String excerpt(String line) {
        return line.length() <= LINE_EXCERPT ? line : line.substring(0, LINE_EXCERPT) + "…";
    }

    private synchronized void write(Map<String, Object> record) throws IOException {
        results.write(WRITER.writeValueAsString(record));
        results.write('\n');
    }
}
