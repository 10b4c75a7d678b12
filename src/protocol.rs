//! The script-task output protocol: one `::{json}::` frame per stdout line.
//!
//! Kestra matches each line with the Java pattern `^::(\{.*})::$`. In Java, `.` stops at
//! every line terminator, and Java counts U+0085, U+2028 and U+2029 as terminators while
//! JSON allows them raw inside strings. A frame that carries one of them is not matched and
//! its data is lost, so they are escaped here, after `JSON.stringify` has done its part.

use std::borrow::Cow;
use std::fmt;

/// Characters that Java's regex engine treats as line terminators but JSON leaves unescaped.
pub const JAVA_ONLY_LINE_TERMINATORS: [char; 3] = ['\u{0085}', '\u{2028}', '\u{2029}'];

/// Escapes the Java-only line terminators of a JSON text as `\uXXXX` sequences.
///
/// The result parses to the same value; a text without those characters is borrowed as is.
pub fn escape_java_line_terminators(json: &str) -> Cow<'_, str> {
    if !json.contains(JAVA_ONLY_LINE_TERMINATORS) {
        return Cow::Borrowed(json);
    }

    let mut escaped = String::with_capacity(json.len() + 12);
    for character in json.chars() {
        match character {
            '\u{0085}' => escaped.push_str("\\u0085"),
            '\u{2028}' => escaped.push_str("\\u2028"),
            '\u{2029}' => escaped.push_str("\\u2029"),
            other => escaped.push(other),
        }
    }
    Cow::Owned(escaped)
}

/// Wraps the JSON text of an object into one protocol line, `::{...}::`.
pub fn frame(json_object: &str) -> String {
    let body = escape_java_line_terminators(json_object);
    let mut line = String::with_capacity(body.len() + 4);
    line.push_str("::");
    line.push_str(&body);
    line.push_str("::");
    line
}

/// Tells whether a line would be taken as a protocol frame by Kestra's pattern
/// `^::(\{.*})::$`, applied with `find()` to a line that `BufferedReader.readLine` produced.
pub fn matches_kestra_pattern(line: &str) -> bool {
    // Without MULTILINE, Java's `$` also matches before one final line terminator.
    let line = line.strip_suffix(is_java_line_terminator).unwrap_or(line);

    line.len() >= 6
        && line.starts_with("::{")
        && line.ends_with("}::")
        && !line.contains(is_java_line_terminator)
}

fn is_java_line_terminator(character: char) -> bool {
    matches!(character, '\n' | '\r') || JAVA_ONLY_LINE_TERMINATORS.contains(&character)
}

/// A log level that Kestra accepts in a `logs` entry (SLF4J names, case-sensitive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    /// `TRACE`
    Trace,
    /// `DEBUG`
    Debug,
    /// `INFO`
    Info,
    /// `WARN`
    Warn,
    /// `ERROR`
    Error,
}

impl LogLevel {
    /// Every level, from the most verbose to the most severe.
    pub const ALL: [LogLevel; 5] = [
        LogLevel::Trace,
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warn,
        LogLevel::Error,
    ];

    /// The name Kestra expects in the frame.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
        }
    }

    /// Reads a level by its exact Kestra name.
    pub fn parse(name: &str) -> Option<LogLevel> {
        LogLevel::ALL
            .into_iter()
            .find(|level| level.as_str() == name)
    }
}

/// The three metric types of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    /// Adds up across frames.
    Counter,
    /// A duration in seconds; adds up across frames.
    Timer,
    /// The last value wins.
    Gauge,
}

impl MetricKind {
    /// The `type` value Kestra expects.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Timer => "timer",
            MetricKind::Gauge => "gauge",
        }
    }

    /// Reads a metric type by its exact protocol name.
    pub fn parse(name: &str) -> Option<MetricKind> {
        [MetricKind::Counter, MetricKind::Timer, MetricKind::Gauge]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// Checks that a value can be sent for this metric type.
    pub fn check_value(self, value: f64) -> Result<(), MetricError> {
        if !value.is_finite() {
            return Err(MetricError::NotFinite { kind: self, value });
        }
        if self == MetricKind::Timer && value < 0.0 {
            return Err(MetricError::NegativeDuration { value });
        }
        Ok(())
    }
}

/// Why a metric cannot be sent.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricError {
    /// The name is empty.
    EmptyName,
    /// The value is NaN or infinite, which JSON cannot carry.
    NotFinite {
        /// The metric type.
        kind: MetricKind,
        /// The rejected value.
        value: f64,
    },
    /// A timer was given a negative number of seconds.
    NegativeDuration {
        /// The rejected value.
        value: f64,
    },
}

impl fmt::Display for MetricError {
    /// The rule that was broken; the offending value is left for the caller to show, as
    /// only the host can print a number exactly as JavaScript does.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricError::EmptyName => write!(formatter, "metric name must be a non-empty string"),
            MetricError::NotFinite { kind, .. } => {
                write!(formatter, "{} value must be a finite number", kind.as_str())
            }
            MetricError::NegativeDuration { .. } => {
                write!(formatter, "timer duration must be zero or more seconds")
            }
        }
    }
}

/// Checks a metric name.
pub fn check_metric_name(name: &str) -> Result<(), MetricError> {
    if name.is_empty() {
        return Err(MetricError::EmptyName);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_java_terminators_is_borrowed() {
        let json = r#"{"outputs":{"a":"b\n"}}"#;
        assert!(matches!(
            escape_java_line_terminators(json),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn java_only_terminators_are_escaped() {
        let json = "{\"a\":\"x\u{0085}y\u{2028}z\u{2029}\"}";
        assert_eq!(
            escape_java_line_terminators(json),
            r#"{"a":"x\u0085y\u2028z\u2029"}"#
        );
    }

    #[test]
    fn frame_wraps_and_escapes() {
        assert_eq!(frame("{\"a\":\"\u{2028}\"}"), r#"::{"a":"\u2028"}::"#);
        assert!(matches_kestra_pattern(&frame("{\"a\":\"\u{2028}\u{85}\"}")));
    }

    #[test]
    fn pattern_rejects_what_java_rejects() {
        assert!(matches_kestra_pattern("::{}::"));
        assert!(matches_kestra_pattern(r#"::{"outputs":{"x":"}::"}}::"#));
        assert!(!matches_kestra_pattern(" ::{}::"));
        assert!(!matches_kestra_pattern("::{}:: "));
        assert!(!matches_kestra_pattern("Trace: ::{}::"));
        assert!(!matches_kestra_pattern("::{\"a\":\"\u{2028}\"}::"));
        assert!(!matches_kestra_pattern("::{\"a\":\"\u{85}\"}::"));
        assert!(!matches_kestra_pattern("::[]::"));
        assert!(!matches_kestra_pattern("::{::"));
    }

    #[test]
    fn pattern_allows_one_final_terminator_like_java_dollar() {
        assert!(matches_kestra_pattern("::{}::\u{2028}"));
        assert!(!matches_kestra_pattern("::{}::\u{2028}\u{2028}"));
    }

    #[test]
    fn log_levels_round_trip_and_are_case_sensitive() {
        for level in LogLevel::ALL {
            assert_eq!(LogLevel::parse(level.as_str()), Some(level));
        }
        assert_eq!(LogLevel::parse("info"), None);
        assert_eq!(LogLevel::parse("WARNING"), None);
    }

    #[test]
    fn metric_kinds_round_trip() {
        for name in ["counter", "timer", "gauge"] {
            assert_eq!(MetricKind::parse(name).map(MetricKind::as_str), Some(name));
        }
        assert_eq!(MetricKind::parse("Counter"), None);
    }

    #[test]
    fn metric_values_are_checked() {
        assert!(MetricKind::Counter.check_value(-3.0).is_ok());
        assert!(MetricKind::Gauge.check_value(f64::NAN).is_err());
        assert!(MetricKind::Counter.check_value(f64::INFINITY).is_err());
        assert!(MetricKind::Timer.check_value(0.0).is_ok());
        assert_eq!(
            MetricKind::Timer.check_value(-0.5),
            Err(MetricError::NegativeDuration { value: -0.5 })
        );
        assert_eq!(check_metric_name(""), Err(MetricError::EmptyName));
        let message = MetricKind::Gauge.check_value(f64::NEG_INFINITY);
        let message = message.map_err(|error| error.to_string());
        assert_eq!(
            message,
            Err("gauge value must be a finite number".to_owned())
        );
    }
}
