//! The script-task output protocol: splitting a byte stream into lines like Java's
//! `BufferedReader.readLine`, recognising `::{...}::` frames, mapping them as Kestra's Jackson
//! setup would, and accumulating outputs and metrics per task.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::Level;

/// Splits bytes into lines on `\n`, `\r` or `\r\n`, across chunk boundaries.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
    // A `\r` ended the previous chunk, so a leading `\n` of the next one belongs to it.
    after_cr: bool,
}

impl LineSplitter {
    /// Creates an empty splitter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk and returns the lines it completed, decoded as UTF-8 with malformed
    /// sequences replaced by U+FFFD.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &byte in chunk {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' => lines.push(self.take()),
                b'\r' => {
                    lines.push(self.take());
                    self.after_cr = true;
                }
                _ => self.pending.push(byte),
            }
        }
        lines
    }

    /// Ends the stream: an unterminated last line is returned, an empty remainder is not.
    pub fn finish(&mut self) -> Option<String> {
        if self.pending.is_empty() {
            None
        } else {
            Some(self.take())
        }
    }

    fn take(&mut self) -> String {
        let bytes = std::mem::take(&mut self.pending);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Characters Java's `.` refuses and `$` may stand before.
fn is_java_line_terminator(ch: char) -> bool {
    matches!(ch, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Applies the pattern `^::(\{.*})::$` to one line and returns the captured JSON text.
pub fn match_frame(line: &str) -> Option<&str> {
    // `$` also matches just before one final line terminator (`\r\n` counts as one).
    let body = line
        .strip_suffix("\r\n")
        .or_else(|| line.strip_suffix(is_java_line_terminator))
        .unwrap_or(line);
    if body.len() < 6 || !body.starts_with("::{") || !body.ends_with("}::") {
        return None;
    }
    let inner = body.get(2..body.len() - 2)?;
    if inner.contains(is_java_line_terminator) {
        return None;
    }
    Some(inner)
}

/// The metric kinds of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Adds up.
    Counter,
    /// Adds up; values are durations.
    Timer,
    /// Last value wins.
    Gauge,
}

impl MetricKind {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Timer => "timer",
            MetricKind::Gauge => "gauge",
        }
    }
}

/// One metric of a frame; timer values are in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    /// Metric name.
    pub name: String,
    /// Kind.
    pub kind: MetricKind,
    /// Value (seconds for timers).
    pub value: f64,
    /// Tags, absent when the frame gave none.
    pub tags: Option<BTreeMap<String, String>>,
}

/// One log entry of a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Level.
    pub level: Level,
    /// Message.
    pub message: String,
}

/// A mapped frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// Outputs to merge, if any.
    pub outputs: Option<Map<String, Value>>,
    /// Metrics to record.
    pub metrics: Vec<MetricLine>,
    /// Logs to emit.
    pub logs: Vec<LogLine>,
}

/// The code unit of a `\uXXXX` escape starting at `bytes[at]` (the backslash), if any.
fn escape_at(bytes: &[u8], at: usize) -> Option<u16> {
    let escape = bytes.get(at..at + 6)?;
    if escape.get(..2)? != b"\\u" {
        return None;
    }
    let digits = std::str::from_utf8(escape.get(2..)?).ok()?;
    u16::from_str_radix(digits, 16).ok()
}

/// Replaces `\uD800`-`\uDFFF` escapes that do not form a pair with `\uFFFD`; an escaped
/// backslash before a `u` is left alone.
pub fn replace_lone_surrogate_escapes(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("\\u") {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut index = 0;
    while index < bytes.len() {
        if bytes.get(index) != Some(&b'\\') {
            index += 1;
            continue;
        }
        let Some(unit) = escape_at(bytes, index) else {
            // `\\` or another escape: skip both characters so `\\u` is never misread.
            index += 2;
            continue;
        };
        let is_high = (0xD800..0xDC00).contains(&unit);
        let is_low = (0xDC00..0xE000).contains(&unit);
        let paired_low =
            escape_at(bytes, index + 6).is_some_and(|next| (0xDC00..0xE000).contains(&next));
        if is_high && paired_low {
            index += 12;
        } else if is_high || is_low {
            out.push_str(text.get(copied..index).unwrap_or_default());
            out.push_str("\\ufffd");
            index += 6;
            copied = index;
        } else {
            index += 6;
        }
    }
    if copied == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    std::borrow::Cow::Owned(out)
}

/// Maps the JSON text of a frame. The error text is what follows `Invalid outputs '` in the
/// warning Kestra logs.
pub fn parse_frame(text: &str) -> Result<Frame, String> {
    // Jackson accepts lone surrogate escapes, which a Rust string cannot hold: they become
    // U+FFFD, as they do when Kestra writes such a string out as UTF-8.
    let text = replace_lone_surrogate_escapes(text);
    // Jackson reads the first value and ignores whatever follows it, so do the same.
    let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    let value = match stream.next() {
        Some(Ok(value)) => value,
        Some(Err(error)) => return Err(format!("Unexpected JSON content: {error}")),
        None => return Err("No content to map due to end-of-input".to_string()),
    };
    let Value::Object(object) = value else {
        return Err("Cannot deserialize value of type `TaskLogMatch` from non-object".into());
    };

    let mut frame = Frame::default();
    match object.get("outputs") {
        None | Some(Value::Null) => {}
        Some(Value::Object(outputs)) => frame.outputs = Some(outputs.clone()),
        Some(other) => return Err(wrong_type("outputs", "Map<String,Object>", other)),
    }
    match object.get("metrics") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                frame.metrics.push(parse_metric(item)?);
            }
        }
        Some(other) => return Err(wrong_type("metrics", "List<AbstractMetricEntry>", other)),
    }
    match object.get("logs") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                frame.logs.push(parse_log(item)?);
            }
        }
        Some(other) => return Err(wrong_type("logs", "List<LogLine>", other)),
    }
    match object.get("assets") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(other) => return Err(wrong_type("assets", "AssetEmit", other)),
    }
    Ok(frame)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn wrong_type(field: &str, target: &str, value: &Value) -> String {
    format!(
        "Cannot deserialize value of type `{target}` from {} (field \"{field}\")",
        json_kind(value)
    )
}

/// Reads a string the way Jackson coerces scalars into a `String`.
fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn parse_metric(item: &Value) -> Result<MetricLine, String> {
    let Value::Object(entry) = item else {
        return Err(wrong_type("metrics", "AbstractMetricEntry", item));
    };
    let kind = match entry.get("type") {
        Some(Value::String(kind)) if kind == "counter" => MetricKind::Counter,
        Some(Value::String(kind)) if kind == "timer" => MetricKind::Timer,
        Some(Value::String(kind)) if kind == "gauge" => MetricKind::Gauge,
        Some(Value::String(kind)) => {
            return Err(format!(
                "Could not resolve type id '{kind}' as a subtype of `AbstractMetricEntry`"
            ))
        }
        _ => {
            return Err("Missing type id when trying to resolve subtype of \
                         `AbstractMetricEntry`: missing type id property 'type'"
                .to_string())
        }
    };
    let name = match entry.get("name").and_then(scalar_string) {
        Some(name) => name,
        None => return Err("Metric entry needs a string `name`".to_string()),
    };
    let value = match (kind, entry.get("value")) {
        (MetricKind::Timer, Some(value)) => parse_timer_seconds(value)?,
        (_, Some(Value::Number(number))) => number.as_f64().unwrap_or(f64::NAN),
        // Jackson coerces numeric strings into a Double.
        (_, Some(Value::String(text))) => text.trim().parse::<f64>().map_err(|_| {
            format!(
                "Cannot deserialize value of type `java.lang.Double` from \
                                  String \"{text}\": not a valid `Double` value"
            )
        })?,
        (_, other) => {
            let shown = other.map_or("nothing", json_kind);
            return Err(format!("Metric value must be a number, got {shown}"));
        }
    };
    let tags = match entry.get("tags") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => {
            let mut tags = BTreeMap::new();
            for (key, value) in map {
                match scalar_string(value) {
                    Some(text) => tags.insert(key.clone(), text),
                    None => return Err(wrong_type("tags", "String", value)),
                };
            }
            Some(tags)
        }
        Some(other) => return Err(wrong_type("tags", "Map<String,String>", other)),
    };
    Ok(MetricLine {
        name,
        kind,
        value,
        tags,
    })
}

/// Reads a timer value: a JSON number is seconds, a string is an ISO-8601 duration.
fn parse_timer_seconds(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(number) => Ok(number.as_f64().unwrap_or(0.0)),
        Value::String(text) => parse_iso_duration(text).ok_or_else(|| {
            format!(
                "Cannot deserialize value of type `java.time.Duration` from String \
                     \"{text}\": Text cannot be parsed to a Duration"
            )
        }),
        other => Err(wrong_type("value", "java.time.Duration", other)),
    }
}

/// Parses what Java's `Duration.parse` accepts (`PnDTnHnMn.nS`, signs allowed) into seconds.
pub fn parse_iso_duration(text: &str) -> Option<f64> {
    let upper = text.to_ascii_uppercase();
    let (negative, rest) = match upper.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, upper.strip_prefix('+').unwrap_or(&upper)),
    };
    let rest = rest.strip_prefix('P')?;
    let (date_part, time_part) = match rest.split_once('T') {
        Some((date, time)) => {
            if time.is_empty() {
                return None;
            }
            (date, Some(time))
        }
        None => (rest, None),
    };
    let mut seconds = 0.0;
    let mut seen = false;
    if !date_part.is_empty() {
        let days = date_part.strip_suffix('D')?;
        seconds += parse_signed(days, false)? * 86_400.0;
        seen = true;
    }
    if let Some(mut time) = time_part {
        for (unit, factor, fraction) in [('H', 3600.0, false), ('M', 60.0, false), ('S', 1.0, true)]
        {
            if let Some(index) = time.find(unit) {
                let number = time.get(..index)?;
                seconds += parse_signed(number, fraction)? * factor;
                time = time.get(index + 1..)?;
                seen = true;
            }
        }
        if !time.is_empty() {
            return None;
        }
    }
    if !seen {
        return None;
    }
    Some(if negative { -seconds } else { seconds })
}

fn parse_signed(text: &str, fraction: bool) -> Option<f64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, frac) = match digits.split_once(['.', ',']) {
        Some((whole, frac)) if fraction => (whole, frac),
        Some(_) => return None,
        None => (digits, ""),
    };
    let valid = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 9
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    let number: f64 = format!("{whole}.{frac}0").parse().ok()?;
    Some(if text.starts_with('-') {
        -number
    } else {
        number
    })
}

fn parse_log(item: &Value) -> Result<LogLine, String> {
    let Value::Object(entry) = item else {
        return Err(wrong_type("logs", "LogLine", item));
    };
    let level = match entry.get("level") {
        None | Some(Value::Null) => return Err("Log entry needs a `level`".to_string()),
        Some(Value::String(name)) => Level::parse(name).ok_or_else(|| {
            format!(
                "Cannot deserialize value of type `org.slf4j.event.Level` from String \
                     \"{name}\": not one of the values accepted for Enum class: \
                     [ERROR, WARN, INFO, DEBUG, TRACE]"
            )
        })?,
        Some(other) => return Err(wrong_type("level", "org.slf4j.event.Level", other)),
    };
    let message = match entry.get("message") {
        None | Some(Value::Null) => String::new(),
        Some(value) => match scalar_string(value) {
            Some(text) => text,
            None => return Err(wrong_type("message", "String", value)),
        },
    };
    Ok(LogLine { level, message })
}

/// What a line of script output means.
#[derive(Debug, Clone, PartialEq)]
pub enum LineEvent {
    /// Ordinary text, logged at the stream's level.
    Text(String),
    /// A protocol frame that mapped cleanly.
    Frame(Frame),
    /// A protocol frame that failed to map: one WARN with this message.
    Invalid(String),
}

/// Classifies one line of output.
pub fn classify(line: &str) -> LineEvent {
    match match_frame(line) {
        None => LineEvent::Text(line.to_string()),
        Some(json) => match parse_frame(json) {
            Ok(frame) => LineEvent::Frame(frame),
            Err(reason) => LineEvent::Invalid(format!("Invalid outputs '{reason}'")),
        },
    }
}

/// Outputs and metrics gathered from one task's frames.
#[derive(Debug, Default, Clone)]
pub struct TaskAccumulator {
    /// Merged outputs, the future `outputs.vars`.
    pub vars: Map<String, Value>,
    /// Metrics in first-seen order; timers in seconds.
    pub metrics: Vec<MetricLine>,
}

impl TaskAccumulator {
    /// Applies a frame's outputs and metrics (logs are the caller's business).
    pub fn apply(&mut self, frame: &Frame) {
        if let Some(outputs) = &frame.outputs {
            // Shallow merge: a top-level key is replaced as a whole.
            for (key, value) in outputs {
                self.vars.insert(key.clone(), value.clone());
            }
        }
        for metric in &frame.metrics {
            let existing = self.metrics.iter_mut().find(|known| {
                known.kind == metric.kind && known.name == metric.name && known.tags == metric.tags
            });
            match existing {
                Some(known) if metric.kind == MetricKind::Gauge => known.value = metric.value,
                Some(known) => known.value += metric.value,
                None => self.metrics.push(metric.clone()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        let fixed = |text: &str| replace_lone_surrogate_escapes(text).into_owned();
        assert_eq!(fixed(r#"{"a":"x\ud800y"}"#), r#"{"a":"x\ufffdy"}"#);
        assert_eq!(fixed(r#"{"a":"\udfff"}"#), r#"{"a":"\ufffd"}"#);
        assert_eq!(fixed(r#"{"a":"\ud83d\ude80"}"#), r#"{"a":"\ud83d\ude80"}"#);
        assert_eq!(fixed(r#"{"a":"\\ud800"}"#), r#"{"a":"\\ud800"}"#);
        assert_eq!(
            fixed(r#"{"a":"\ud800\ud800\udc00"}"#),
            r#"{"a":"\ufffd\ud800\udc00"}"#
        );
        let frame = parse_frame(r#"{"outputs":{"s":"a\ud800b"}}"#);
        assert!(frame.is_ok(), "{frame:?}");
    }

    #[test]
    fn splits_like_read_line() {
        let mut splitter = LineSplitter::new();
        assert_eq!(splitter.push(b"a\nb\r\nc\rd"), vec!["a", "b", "c"]);
        assert_eq!(splitter.push(b"e\r"), vec!["de"]);
        // The `\n` completing a `\r\n` split across chunks is not an empty line.
        assert_eq!(splitter.push(b"\nf\n\n"), vec!["f", ""]);
        assert_eq!(splitter.finish(), None);
        assert_eq!(splitter.push(b"tail"), Vec::<String>::new());
        assert_eq!(splitter.finish(), Some("tail".to_string()));
    }

    #[test]
    fn replaces_invalid_utf8_and_keeps_long_lines() {
        let mut splitter = LineSplitter::new();
        assert_eq!(splitter.push(b"x\xffy\n"), vec!["x\u{fffd}y"]);
        let long = vec![b'a'; 200_000];
        splitter.push(&long);
        assert_eq!(splitter.finish().map(|line| line.len()), Some(200_000));
    }

    #[test]
    fn frame_pattern() {
        assert_eq!(match_frame("::{}::"), Some("{}"));
        assert_eq!(match_frame(r#"::{"a":1}::"#), Some(r#"{"a":1}"#));
        assert_eq!(match_frame(" ::{}::"), None);
        assert_eq!(match_frame("::{}:: "), None);
        assert_eq!(match_frame("Trace: ::{}::"), None);
        assert_eq!(match_frame("::{\u{2028}}::"), None);
        assert_eq!(match_frame("::{\u{85}}::"), None);
        // `$` may sit before one final terminator, but not two.
        assert_eq!(match_frame("::{}::\u{2028}"), Some("{}"));
        assert_eq!(match_frame("::{}::\u{2028}\u{2028}"), None);
        assert_eq!(match_frame("::{::"), None);
        assert_eq!(match_frame("::{}"), None);
    }

    #[test]
    fn maps_outputs_metrics_and_logs() {
        let frame = parse_frame(
            r#"{"outputs":{"rows":42},"metrics":[{"name":"rows","type":"counter","value":4,
            "tags":{"env":"prod","n":1}},{"name":"t","type":"timer","value":"PT1.5S"}],
            "logs":[{"level":"WARN","message":"slow"}],"unknown":true}"#,
        )
        .unwrap();
        assert_eq!(frame.outputs.unwrap()["rows"], 42);
        assert_eq!(frame.metrics.len(), 2);
        assert_eq!(frame.metrics[0].tags.as_ref().unwrap()["n"], "1");
        assert_eq!(frame.metrics[1].value, 1.5);
        assert_eq!(
            frame.logs,
            vec![LogLine {
                level: Level::Warn,
                message: "slow".into()
            }]
        );
    }

    #[test]
    fn mapping_failures_drop_the_line() {
        for bad in [
            r#"{"outputs": 3}"#,
            r#"{"metrics": [{"name": "a", "value": 1}]}"#,
            r#"{"metrics": [{"name": "a", "type": "histogram", "value": 1}]}"#,
            r#"{"metrics": [{"name": "a", "type": "timer", "value": "1.5"}]}"#,
            r#"{"logs": [{"level": "info", "message": "x"}]}"#,
            r#"{"logs": [{"level": "WARNING", "message": "x"}]}"#,
            r#"{"logs": [{"level": "INFO", "message": {"a": 1}}]}"#,
            r#"{"a": NaN}"#,
            r#"{"outputs": [1]}"#,
            r#"{"a" }"#,
        ] {
            assert!(
                matches!(classify(&format!("::{bad}::")), LineEvent::Invalid(_)),
                "{bad}"
            );
        }
        match classify("::{\"outputs\": 3}::") {
            LineEvent::Invalid(message) => assert!(message.starts_with("Invalid outputs '")),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn swallows_frames_without_known_keys_and_ignores_trailing_tokens() {
        assert_eq!(classify("::{}::"), LineEvent::Frame(Frame::default()));
        assert!(matches!(
            classify(r#"::{"outputs":{"a":1}} {}::"#),
            LineEvent::Frame(_)
        ));
        assert_eq!(classify("hello"), LineEvent::Text("hello".to_string()));
    }

    #[test]
    fn timer_values() {
        let frame = parse_frame(
            r#"{"metrics":[{"name":"a","type":"timer","value":2},
            {"name":"b","type":"timer","value":0.25},
            {"name":"c","type":"timer","value":"PT1M"}]}"#,
        )
        .unwrap();
        let values: Vec<f64> = frame.metrics.iter().map(|m| m.value).collect();
        assert_eq!(values, vec![2.0, 0.25, 60.0]);
        assert_eq!(parse_iso_duration("P1DT2H"), Some(93_600.0));
        assert_eq!(parse_iso_duration("pt0.5s"), Some(0.5));
        assert_eq!(parse_iso_duration("PT"), None);
        assert_eq!(parse_iso_duration("P1M"), None);
    }

    #[test]
    fn accumulator_merges() {
        let mut acc = TaskAccumulator::default();
        let first = parse_frame(
            r#"{"outputs":{"a":{"x":1},"b":1},"metrics":[
            {"name":"c","type":"counter","value":2},{"name":"g","type":"gauge","value":5},
            {"name":"t","type":"timer","value":1}]}"#,
        )
        .unwrap();
        let second = parse_frame(
            r#"{"outputs":{"a":{"y":2}},"metrics":[
            {"name":"c","type":"counter","value":3},{"name":"g","type":"gauge","value":1},
            {"name":"t","type":"timer","value":0.5},
            {"name":"c","type":"counter","value":1,"tags":{"k":"v"}}]}"#,
        )
        .unwrap();
        acc.apply(&first);
        acc.apply(&second);
        assert_eq!(
            Value::Object(acc.vars),
            serde_json::json!({"a": {"y": 2}, "b": 1})
        );
        let values: Vec<f64> = acc.metrics.iter().map(|m| m.value).collect();
        assert_eq!(values, vec![5.0, 1.0, 1.5, 1.0]);
    }
}
