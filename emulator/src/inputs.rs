//! Flow inputs: declared types, Kestra's parsing of multipart string values, defaults,
//! required checks, and the messages of its validation errors.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

use crate::model::{days_from_civil, format_instant};

/// The input types the emulator understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputType {
    /// Any text.
    String,
    /// Text that must be one of `values`.
    Select,
    /// 32-bit integer, `Integer.valueOf` rules.
    Int,
    /// 32-bit float, `Float.valueOf` rules.
    Float,
    /// `Boolean.valueOf` rules (also the deprecated `BOOLEAN`).
    Bool,
    /// An instant with a zone (`Instant.parse`).
    DateTime,
    /// A local date `YYYY-MM-DD`.
    Date,
    /// A local time (`LocalTime.parse`).
    Time,
    /// An ISO-8601 duration without months or years (`Duration.parse`).
    Duration,
    /// Any JSON value.
    Json,
    /// Any YAML value.
    Yaml,
    /// Text matching Kestra's URI pattern.
    Uri,
    /// Text matching Kestra's e-mail pattern.
    Email,
    /// An uploaded file, stored and addressed by a `kestra:///` URI.
    File,
    /// A JSON array whose elements are parsed as the item type.
    Array(ItemType),
    /// A JSON array whose elements, parsed as the item type, must be among `values`.
    MultiSelect(ItemType),
}

/// The element type of an ARRAY or MULTISELECT input (`itemType`, default STRING).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemType {
    /// STRING.
    String,
    /// INT.
    Int,
    /// FLOAT.
    Float,
    /// BOOL or BOOLEAN.
    Bool,
    /// DATETIME.
    DateTime,
    /// DATE.
    Date,
    /// TIME.
    Time,
    /// DURATION.
    Duration,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
    /// URI.
    Uri,
    /// EMAIL.
    Email,
}

impl ItemType {
    /// Reads an `itemType` name; arrays of arrays, selects and files are not supported.
    pub fn parse(name: &str) -> Option<ItemType> {
        Some(match name {
            "STRING" => ItemType::String,
            "INT" => ItemType::Int,
            "FLOAT" => ItemType::Float,
            "BOOL" | "BOOLEAN" => ItemType::Bool,
            "DATETIME" => ItemType::DateTime,
            "DATE" => ItemType::Date,
            "TIME" => ItemType::Time,
            "DURATION" => ItemType::Duration,
            "JSON" => ItemType::Json,
            "YAML" => ItemType::Yaml,
            "URI" => ItemType::Uri,
            "EMAIL" => ItemType::Email,
            _ => return None,
        })
    }

    /// The name Kestra prints in element errors.
    fn name(self) -> &'static str {
        match self {
            ItemType::String => "STRING",
            ItemType::Int => "INT",
            ItemType::Float => "FLOAT",
            ItemType::Bool => "BOOL",
            ItemType::DateTime => "DATETIME",
            ItemType::Date => "DATE",
            ItemType::Time => "TIME",
            ItemType::Duration => "DURATION",
            ItemType::Json => "JSON",
            ItemType::Yaml => "YAML",
            ItemType::Uri => "URI",
            ItemType::Email => "EMAIL",
        }
    }

    /// The scalar input type an element is parsed as.
    fn input_type(self) -> InputType {
        match self {
            ItemType::String => InputType::String,
            ItemType::Int => InputType::Int,
            ItemType::Float => InputType::Float,
            ItemType::Bool => InputType::Bool,
            ItemType::DateTime => InputType::DateTime,
            ItemType::Date => InputType::Date,
            ItemType::Time => InputType::Time,
            ItemType::Duration => InputType::Duration,
            ItemType::Json => InputType::Json,
            ItemType::Yaml => InputType::Yaml,
            ItemType::Uri => InputType::Uri,
            ItemType::Email => InputType::Email,
        }
    }
}

impl InputType {
    /// Reads a type name from a flow file.
    pub fn parse(name: &str) -> Option<InputType> {
        Some(match name {
            "STRING" => InputType::String,
            "SELECT" => InputType::Select,
            "INT" => InputType::Int,
            "FLOAT" => InputType::Float,
            "BOOL" | "BOOLEAN" => InputType::Bool,
            "DATETIME" => InputType::DateTime,
            "DATE" => InputType::Date,
            "TIME" => InputType::Time,
            "DURATION" => InputType::Duration,
            "JSON" => InputType::Json,
            "YAML" => InputType::Yaml,
            "URI" => InputType::Uri,
            "EMAIL" => InputType::Email,
            "FILE" => InputType::File,
            // The item type is read afterwards by `read_item_types`.
            "ARRAY" => InputType::Array(ItemType::String),
            "MULTISELECT" => InputType::MultiSelect(ItemType::String),
            _ => return None,
        })
    }
}

/// An input declared by a flow.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDef {
    /// Input id.
    pub id: String,
    /// Declared type.
    pub kind: InputType,
    /// Whether a value is needed (Kestra's default is true).
    pub required: bool,
    /// Value used when the request gives none.
    pub defaults: Option<Value>,
    /// Allowed values of a SELECT or MULTISELECT.
    pub values: Vec<String>,
}

/// The Cause text Kestra uses for exceptions that are not `IllegalArgumentException`s.
fn wrapped(message: &str) -> String {
    format!(" errors:\n```\n{message}\n```")
}

/// Java's `NumberFormatException.forInputString` text.
fn for_input(text: &str) -> String {
    format!("For input string: \"{text}\"")
}

/// Parses like `Integer.valueOf`.
pub fn parse_java_int(text: &str) -> Result<i32, String> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(for_input(text));
    }
    let magnitude: i64 = match digits.trim_start_matches('0') {
        "" => 0,
        significant if significant.len() > 10 => return Err(for_input(text)),
        significant => significant.parse().map_err(|_| for_input(text))?,
    };
    let signed = if text.starts_with('-') {
        -magnitude
    } else {
        magnitude
    };
    i32::try_from(signed).map_err(|_| for_input(text))
}

/// Parses like `Float.valueOf` (decimal forms; hexadecimal floats are refused).
pub fn parse_java_float(text: &str) -> Result<f32, String> {
    // Java trims every character up to and including the space.
    let trimmed = text.trim_matches(|ch: char| ch <= ' ');
    if trimmed.is_empty() {
        return Err("empty String".to_string());
    }
    let (negative, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let value = match body {
        "NaN" => f32::NAN,
        "Infinity" => f32::INFINITY,
        _ => {
            let number = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
            if !is_decimal_literal(number) {
                return Err(for_input(text));
            }
            number.parse::<f32>().map_err(|_| for_input(text))?
        }
    };
    Ok(if negative { -value } else { value })
}

/// `digits [. digits] [e [+-] digits]` or `. digits [...]`.
fn is_decimal_literal(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(index) => (text.get(..index).unwrap_or_default(), text.get(index + 1..)),
        None => (text, None),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(whole) && digits(frac) && !(whole.is_empty() && frac.is_empty());
    let exponent_ok = match exponent {
        None => true,
        Some(exp) => {
            let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            !exp.is_empty() && digits(exp)
        }
    };
    mantissa_ok && exponent_ok
}

/// Turns a parsed float into JSON; NaN and infinities become strings as Jackson writes them.
fn float_json(value: f32) -> Value {
    if value.is_nan() {
        return Value::String("NaN".into());
    }
    if value.is_infinite() {
        let text = if value > 0.0 { "Infinity" } else { "-Infinity" };
        return Value::String(text.into());
    }
    // Going through the shortest f32 text keeps 1.1 as 1.1 instead of 1.100000023841858.
    let shortest: f64 = value.to_string().parse().unwrap_or(f64::from(value));
    Number::from_f64(shortest).map_or(Value::Null, Value::Number)
}

fn fixed_digits(text: &str, from: usize, count: usize) -> Option<u32> {
    let part = text.get(from..from + count)?;
    if part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

/// Validates a calendar date and returns its day number since the epoch.
fn date_days(year: i64, month: u32, day: u32) -> Option<i64> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (day >= 1 && day <= month_days).then(|| days_from_civil(year, month, day))
}

/// Parses `YYYY-MM-DD` like `LocalDate.parse`; the error is the Java message.
pub fn parse_date(text: &str) -> Result<String, String> {
    let bad = |index: usize| format!("Text '{text}' could not be parsed at index {index}");
    let year = fixed_digits(text, 0, 4).ok_or_else(|| bad(0))?;
    if text.get(4..5) != Some("-") {
        return Err(bad(4));
    }
    let month = fixed_digits(text, 5, 2).ok_or_else(|| bad(5))?;
    if text.get(7..8) != Some("-") {
        return Err(bad(7));
    }
    let day = fixed_digits(text, 8, 2).ok_or_else(|| bad(8))?;
    if text.len() != 10 {
        return Err(format!(
            "Text '{text}' could not be parsed, unparsed text found at index 10"
        ));
    }
    date_days(i64::from(year), month, day)
        .map(|_| text.to_string())
        .ok_or_else(|| format!("Text '{text}' could not be parsed: Invalid date"))
}

/// Parses an ISO instant like `Instant.parse` (a `Z` or an offset is required) and returns
/// it in UTC as Java prints it.
pub fn parse_datetime(text: &str) -> Result<String, String> {
    parse_instant_micros(text).map(format_instant)
}

/// Parses an instant like `Instant.parse` (an offset or `Z` required) into microseconds since
/// the epoch; the error is the Java message.
pub fn parse_instant_micros(text: &str) -> Result<i64, String> {
    let bad = |index: usize| format!("Text '{text}' could not be parsed at index {index}");
    let upper = text.to_ascii_uppercase();
    let date = upper.get(..10).ok_or_else(|| bad(0))?;
    parse_date(date).map_err(|_| bad(0))?;
    let days = date_days(
        i64::from(fixed_digits(date, 0, 4).unwrap_or(0)),
        fixed_digits(date, 5, 2).unwrap_or(1),
        fixed_digits(date, 8, 2).unwrap_or(1),
    )
    .ok_or_else(|| bad(0))?;
    if upper.get(10..11) != Some("T") {
        return Err(bad(10));
    }
    let hour = fixed_digits(&upper, 11, 2)
        .filter(|h| *h < 24)
        .ok_or_else(|| bad(11))?;
    if upper.get(13..14) != Some(":") {
        return Err(bad(13));
    }
    let minute = fixed_digits(&upper, 14, 2)
        .filter(|m| *m < 60)
        .ok_or_else(|| bad(14))?;
    let mut pos = 16;
    let mut second = 0;
    let mut micros: i64 = 0;
    if upper.get(pos..pos + 1) == Some(":") {
        second = fixed_digits(&upper, pos + 1, 2)
            .filter(|s| *s < 60)
            .ok_or_else(|| bad(pos + 1))?;
        pos += 3;
        if upper.get(pos..pos + 1) == Some(".") {
            let start = pos + 1;
            let mut end = start;
            while upper
                .as_bytes()
                .get(end)
                .is_some_and(|b| b.is_ascii_digit())
            {
                end += 1;
            }
            if end == start || end - start > 9 {
                return Err(bad(start));
            }
            let fraction = format!("{:0<9}", upper.get(start..end).unwrap_or_default());
            micros = fraction.get(..6).and_then(|f| f.parse().ok()).unwrap_or(0);
            pos = end;
        }
    }
    let offset_secs: i64 = match upper.get(pos..) {
        Some("Z") => 0,
        Some(zone) if zone.starts_with(['+', '-']) => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let hours = fixed_digits(zone, 1, 2)
                .filter(|h| *h <= 18)
                .ok_or_else(|| bad(pos))?;
            let minutes = match zone.len() {
                3 => 0,
                6 if zone.get(3..4) == Some(":") => fixed_digits(zone, 4, 2)
                    .filter(|m| *m < 60)
                    .ok_or_else(|| bad(pos))?,
                _ => return Err(bad(pos)),
            };
            sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60)
        }
        _ => return Err(bad(pos)),
    };
    let seconds =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
            - offset_secs;
    Ok(seconds * 1_000_000 + micros)
}

/// Parses `HH:MM[:SS[.fraction]]` like `LocalTime.parse` and prints it like
/// `LocalTime.toString`; the error is the Java message.
pub fn parse_time(text: &str) -> Result<String, String> {
    let bad = |index: usize| format!("Text '{text}' could not be parsed at index {index}");
    let hour = fixed_digits(text, 0, 2).ok_or_else(|| bad(0))?;
    if text.get(2..3) != Some(":") {
        return Err(bad(2));
    }
    let minute = fixed_digits(text, 3, 2).ok_or_else(|| bad(3))?;
    let mut pos = 5;
    let mut second = 0;
    let mut nanos: u32 = 0;
    if text.get(pos..pos + 1) == Some(":") {
        second = fixed_digits(text, pos + 1, 2).ok_or_else(|| bad(pos + 1))?;
        pos += 3;
        if text.get(pos..pos + 1) == Some(".") {
            let start = pos + 1;
            let digits = text
                .get(start..)
                .unwrap_or_default()
                .bytes()
                .take(9)
                .take_while(u8::is_ascii_digit)
                .count();
            let fraction = text.get(start..start + digits).unwrap_or_default();
            nanos = format!("{fraction:0<9}").parse().unwrap_or(0);
            pos = start + digits;
        }
    }
    if pos < text.len() {
        return Err(format!(
            "Text '{text}' could not be parsed, unparsed text found at index {pos}"
        ));
    }
    let range = |field: &str, max: u32, value: u32| {
        format!(
            "Text '{text}' could not be parsed: Invalid value for {field} \
             (valid values 0 - {max}): {value}"
        )
    };
    if hour > 23 {
        return Err(range("HourOfDay", 23, hour));
    }
    if minute > 59 {
        return Err(range("MinuteOfHour", 59, minute));
    }
    if second > 59 {
        return Err(range("SecondOfMinute", 59, second));
    }
    let mut printed = format!("{hour:02}:{minute:02}");
    if second > 0 || nanos > 0 {
        printed.push_str(&format!(":{second:02}"));
    }
    if nanos > 0 {
        if nanos.is_multiple_of(1_000_000) {
            printed.push_str(&format!(".{:03}", nanos / 1_000_000));
        } else if nanos.is_multiple_of(1000) {
            printed.push_str(&format!(".{:06}", nanos / 1000));
        } else {
            printed.push_str(&format!(".{nanos:09}"));
        }
    }
    Ok(printed)
}

/// Java's pattern of `Duration.parse` (case-insensitive).
const DURATION_PATTERN: &str = concat!(
    r"(?i)^([-+]?)P(?:([-+]?[0-9]+)D)?",
    r"(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?$"
);

/// Parses an ISO-8601 duration like `Duration.parse` (days, hours, minutes, seconds; no
/// months or years) and prints it like `Duration.toString`; the error is the Java message.
pub fn parse_duration(text: &str) -> Result<String, String> {
    let bad = || "Text cannot be parsed to a Duration".to_string();
    let pattern = regex::Regex::new(DURATION_PATTERN).map_err(|error| error.to_string())?;
    let groups = pattern.captures(text).ok_or_else(bad)?;
    let group = |index: usize| groups.get(index).map(|found| found.as_str());
    let (days, hours, minutes, seconds) = (group(2), group(4), group(5), group(6));
    if group(3).is_some_and(|t| t.eq_ignore_ascii_case("T"))
        || (days, hours, minutes, seconds) == (None, None, None, None)
    {
        return Err(bad());
    }
    let number = |part: Option<&str>| -> Result<i128, String> {
        part.map_or(Ok(0), |digits| digits.parse::<i128>().map_err(|_| bad()))
    };
    let seconds_value = number(seconds)?;
    let fraction = group(7).filter(|digits| !digits.is_empty());
    let mut fraction_nanos: i128 = match fraction {
        Some(digits) => format!("{digits:0<9}").parse().map_err(|_| bad())?,
        None => 0,
    };
    if seconds.is_some_and(|secs| secs.starts_with('-')) {
        fraction_nanos = -fraction_nanos;
    }
    let whole =
        number(days)? * 86_400 + number(hours)? * 3600 + number(minutes)? * 60 + seconds_value;
    let mut total = whole * 1_000_000_000 + fraction_nanos;
    if group(1) == Some("-") {
        total = -total;
    }
    let limit = i128::from(i64::MAX) * 1_000_000_000;
    if total.abs() > limit {
        return Err(bad());
    }
    Ok(format_duration(total))
}

/// Prints a duration given in nanoseconds like `Duration.toString`.
fn format_duration(total_nanos: i128) -> String {
    if total_nanos == 0 {
        return "PT0S".to_string();
    }
    let seconds = total_nanos.div_euclid(1_000_000_000);
    let nanos = total_nanos.rem_euclid(1_000_000_000);
    let effective = if seconds < 0 && nanos > 0 {
        seconds + 1
    } else {
        seconds
    };
    let (hours, minutes, secs) = (effective / 3600, (effective % 3600) / 60, effective % 60);
    let mut out = "PT".to_string();
    if hours != 0 {
        out.push_str(&format!("{hours}H"));
    }
    if minutes != 0 {
        out.push_str(&format!("{minutes}M"));
    }
    if secs == 0 && nanos == 0 && out.len() > 2 {
        return out;
    }
    if seconds < 0 && nanos > 0 && secs == 0 {
        out.push_str("-0");
    } else {
        out.push_str(&secs.to_string());
    }
    if nanos > 0 {
        let shown = if seconds < 0 {
            2_000_000_000 - nanos
        } else {
            nanos + 1_000_000_000
        };
        let digits = shown.to_string();
        let fraction = digits.get(1..).unwrap_or_default().trim_end_matches('0');
        out.push('.');
        out.push_str(fraction);
    }
    out.push('S');
    out
}

/// Kestra's URI pattern, applied to the whole value.
const URI_PATTERN: &str = concat!(
    r"^[a-z]+://(?:www\.)?[-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b",
    r"(?:[-a-zA-Z0-9()@:%_\+.~#?&/=]*)$"
);

/// Kestra's e-mail pattern (the apostrophe is U+2019, as in its source).
const EMAIL_PATTERN: &str = "^$|^[a-zA-Z0-9_!#$%&\u{2019}*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+$";

fn matches(pattern: &str, text: &str) -> bool {
    regex::Regex::new(pattern).is_ok_and(|compiled| compiled.is_match(text))
}

/// Parses the elements of an ARRAY or MULTISELECT value.
fn parse_items(id: &str, item: ItemType, list: &[Value]) -> Result<Vec<Value>, String> {
    let def = InputDef {
        id: id.to_string(),
        kind: item.input_type(),
        required: true,
        defaults: None,
        values: Vec::new(),
    };
    list.iter()
        .map(|element| {
            let kept = match (item, element) {
                (ItemType::Json | ItemType::Yaml, Value::Object(_) | Value::Array(_)) => true,
                (ItemType::Bool, Value::Bool(_)) => true,
                (ItemType::Int, Value::Number(number)) => number
                    .as_i64()
                    .is_some_and(|int| i32::try_from(int).is_ok()),
                _ => false,
            };
            if kept {
                return Ok(element.clone());
            }
            let text = crate::expr::to_text(element);
            parse_value(&def, &text).map_err(|_| {
                format!(
                    "Unable to parse array element as `{}` on `{text}`",
                    item.name()
                )
            })
        })
        .collect()
}

/// Reads a JSON array value, as Jackson's `toList` does.
fn json_list(text: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(list)) => Ok(list),
        Ok(_) => Err(wrapped("the value is not a JSON array")),
        Err(error) => Err(wrapped(&error.to_string())),
    }
}

/// Checks MULTISELECT elements against the allowed values.
fn check_selected(def: &InputDef, items: Vec<Value>) -> Result<Value, String> {
    let allowed = |item: &Value| {
        let text = crate::expr::to_text(item);
        def.values.contains(&text)
    };
    if items.iter().all(allowed) {
        Ok(Value::Array(items))
    } else {
        Err(format!(
            "it must match the values `[{}]`",
            def.values.join(", ")
        ))
    }
}

/// Parses one string value for an input of the given type; the error is the Cause text.
pub fn parse_value(def: &InputDef, text: &str) -> Result<Value, String> {
    match def.kind {
        InputType::String => Ok(Value::String(text.to_string())),
        InputType::Select => {
            if def.values.iter().any(|allowed| allowed == text) {
                Ok(Value::String(text.to_string()))
            } else {
                Err(format!(
                    "it must match the values `[{}]`",
                    def.values.join(", ")
                ))
            }
        }
        InputType::Int => parse_java_int(text).map(|n| Value::Number(n.into())),
        InputType::Float => parse_java_float(text).map(float_json),
        InputType::Bool => Ok(Value::Bool(text.eq_ignore_ascii_case("true"))),
        InputType::DateTime => parse_datetime(text)
            .map(Value::String)
            .map_err(|e| wrapped(&e)),
        InputType::Date => parse_date(text).map(Value::String).map_err(|e| wrapped(&e)),
        InputType::Time => parse_time(text).map(Value::String).map_err(|e| wrapped(&e)),
        InputType::Duration => parse_duration(text)
            .map(Value::String)
            .map_err(|e| wrapped(&e)),
        InputType::Json => serde_json::from_str(text).map_err(|error| wrapped(&error.to_string())),
        InputType::Yaml => {
            serde_yaml::from_str::<Value>(text).map_err(|error| wrapped(&error.to_string()))
        }
        InputType::Uri => {
            if matches(URI_PATTERN, text) {
                Ok(Value::String(text.to_string()))
            } else {
                Err("Invalid URI format.".to_string())
            }
        }
        InputType::Email => {
            if matches(EMAIL_PATTERN, text) {
                Ok(Value::String(text.to_string()))
            } else {
                Err("The input must be a valid email".to_string())
            }
        }
        InputType::Array(item) => parse_items(&def.id, item, &json_list(text)?).map(Value::Array),
        InputType::MultiSelect(item) => {
            check_selected(def, parse_items(&def.id, item, &json_list(text)?)?)
        }
        InputType::File => {
            if text.starts_with("kestra://") {
                Ok(Value::String(text.to_string()))
            } else {
                Err(format!(
                    "Unable to read the file `{text}`: only uploaded files and \
                             `kestra://` URIs are supported"
                ))
            }
        }
    }
}

/// Completes ARRAY and MULTISELECT inputs from the flow's YAML text: `itemType` (default
/// STRING) and, for MULTISELECT, the deprecated `options` when `values` is absent.
pub fn read_item_types(defs: &mut [InputDef], flow_text: &str) -> Result<(), String> {
    let root: serde_yaml::Value =
        serde_yaml::from_str(flow_text).map_err(|error| error.to_string())?;
    let declared = root
        .get("inputs")
        .and_then(serde_yaml::Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    for def in defs.iter_mut() {
        let (InputType::Array(_) | InputType::MultiSelect(_)) = def.kind else {
            continue;
        };
        let owner = format!("input `{}`", def.id);
        let source = declared
            .iter()
            .find(|item| item.get("id").and_then(serde_yaml::Value::as_str) == Some(&def.id));
        let item = match source.and_then(|item| item.get("itemType")) {
            None => ItemType::String,
            Some(name) => name
                .as_str()
                .and_then(ItemType::parse)
                .ok_or_else(|| format!("{owner}: `itemType` {name:?} is not supported"))?,
        };
        if let InputType::MultiSelect(_) = def.kind {
            if def.values.is_empty() {
                def.values = source
                    .and_then(|item| item.get("options"))
                    .and_then(serde_yaml::Value::as_sequence)
                    .map(|options| options.iter().map(yaml_text).collect())
                    .unwrap_or_default();
            }
            if def.values.is_empty() {
                return Err(format!("{owner}: a MULTISELECT input needs `values`"));
            }
            def.kind = InputType::MultiSelect(item);
        } else {
            def.kind = InputType::Array(item);
        }
    }
    Ok(())
}

fn yaml_text(value: &serde_yaml::Value) -> String {
    match value {
        serde_yaml::Value::String(text) => text.clone(),
        serde_yaml::Value::Number(number) => number.to_string(),
        serde_yaml::Value::Bool(flag) => flag.to_string(),
        _ => String::new(),
    }
}

/// Types a default value from the flow file.
fn default_value(def: &InputDef, value: &Value) -> Result<Value, String> {
    match value {
        Value::String(text) => parse_value(def, text),
        Value::Null => Ok(Value::Null),
        other if matches!(def.kind, InputType::Json | InputType::Yaml) => Ok(other.clone()),
        Value::Array(list) => match def.kind {
            InputType::Array(item) => parse_items(&def.id, item, list).map(Value::Array),
            InputType::MultiSelect(item) => check_selected(def, parse_items(&def.id, item, list)?),
            _ => parse_value(def, &crate::expr::to_text(value)),
        },
        other => parse_value(def, &crate::expr::to_text(other)),
    }
}

/// Resolves the provided values against the declared inputs, in declaration order.
///
/// Returns the typed inputs (ids with dots become nested maps) and the ids that were provided
/// but not declared. The error is the validation message without its `Invalid entity: `
/// prefix.
pub fn resolve(
    defs: &[InputDef],
    provided: &BTreeMap<String, String>,
) -> Result<(Map<String, Value>, Vec<String>), String> {
    let mut resolved: Vec<(String, Value)> = Vec::new();
    for def in defs {
        let value = match (provided.get(&def.id), &def.defaults) {
            (Some(text), _) => parse_value(def, text),
            (None, Some(default)) => default_value(def, default),
            (None, None) if def.required => {
                return Err(format!("Missing required input:{}", def.id));
            }
            (None, None) => Ok(Value::Null),
        };
        match value {
            Ok(value) => resolved.push((def.id.clone(), value)),
            Err(cause) => {
                return Err(format!(
                    "Invalid value for input `{}`. Cause: {cause}",
                    def.id
                ));
            }
        }
    }
    let undeclared = provided
        .keys()
        .filter(|key| !defs.iter().any(|def| &def.id == *key))
        .cloned()
        .collect();
    Ok((nest(resolved), undeclared))
}

/// Turns `a.b` keys into nested objects, like Kestra's `flattenToNestedMap`.
fn nest(entries: Vec<(String, Value)>) -> Map<String, Value> {
    let mut root = Map::new();
    for (key, value) in entries {
        let parts: Vec<&str> = key.split('.').collect();
        insert_path(&mut root, &parts, value);
    }
    root
}

fn insert_path(target: &mut Map<String, Value>, parts: &[&str], value: Value) {
    match parts {
        [] => {}
        [last] => {
            target.insert(last.to_string(), value);
        }
        [first, rest @ ..] => {
            let entry = target
                .entry(first.to_string())
                .or_insert_with(|| Map::new().into());
            if !entry.is_object() {
                *entry = Map::new().into();
            }
            if let Value::Object(child) = entry {
                insert_path(child, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(id: &str, kind: InputType) -> InputDef {
        InputDef {
            id: id.into(),
            kind,
            required: true,
            defaults: None,
            values: vec![],
        }
    }

    #[test]
    fn ints_follow_integer_value_of() {
        assert_eq!(parse_java_int("+5"), Ok(5));
        assert_eq!(parse_java_int("-5"), Ok(-5));
        assert_eq!(parse_java_int("2147483647"), Ok(i32::MAX));
        assert_eq!(parse_java_int("-2147483648"), Ok(i32::MIN));
        assert_eq!(parse_java_int("0000000000007"), Ok(7));
        for bad in [
            "5.0",
            " 5",
            "5 ",
            "",
            "+",
            "2147483648",
            "abc",
            "99999999999999999999",
        ] {
            assert_eq!(
                parse_java_int(bad),
                Err(format!("For input string: \"{bad}\""))
            );
        }
    }

    #[test]
    fn floats_follow_float_value_of() {
        assert_eq!(parse_java_float(" 1.5 "), Ok(1.5));
        assert_eq!(parse_java_float("1e3"), Ok(1000.0));
        assert_eq!(parse_java_float("2d"), Ok(2.0));
        assert_eq!(parse_java_float("1.5f"), Ok(1.5));
        assert_eq!(parse_java_float(".5"), Ok(0.5));
        assert_eq!(parse_java_float("-Infinity"), Ok(f32::NEG_INFINITY));
        assert!(parse_java_float("NaN").unwrap().is_nan());
        assert_eq!(parse_java_float(""), Err("empty String".into()));
        for bad in ["abc", "inf", "nan", "1.2.3", "e5", "1e"] {
            assert_eq!(
                parse_java_float(bad),
                Err(format!("For input string: \"{bad}\""))
            );
        }
        assert_eq!(float_json(1.1), json!(1.1));
        assert_eq!(float_json(f32::NAN), json!("NaN"));
    }

    #[test]
    fn bools_never_fail() {
        let input = def("b", InputType::Bool);
        assert_eq!(parse_value(&input, "TRUE"), Ok(json!(true)));
        assert_eq!(parse_value(&input, "yes"), Ok(json!(false)));
        assert_eq!(parse_value(&input, ""), Ok(json!(false)));
    }

    #[test]
    fn dates_and_instants() {
        assert_eq!(parse_date("2026-01-05"), Ok("2026-01-05".into()));
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("2026-1-5").is_err());
        assert_eq!(
            parse_datetime("2026-01-05T10:00:00Z"),
            Ok("2026-01-05T10:00:00Z".into())
        );
        assert_eq!(
            parse_datetime("2026-01-05T10:00:00.5+02:00"),
            Ok("2026-01-05T08:00:00.500Z".into())
        );
        assert_eq!(
            parse_datetime("2026-01-05t10:00z"),
            Ok("2026-01-05T10:00:00Z".into())
        );
        assert!(parse_datetime("2026-01-05T10:00:00").is_err());
        assert!(parse_datetime("2026-01-05 10:00:00Z").is_err());
        let input = def("d", InputType::DateTime);
        let cause = parse_value(&input, "nope").unwrap_err();
        assert!(
            cause.starts_with(" errors:\n```\nText 'nope' could not be parsed"),
            "{cause}"
        );
        assert!(cause.ends_with("\n```"));
    }

    #[test]
    fn select_json_and_file() {
        let mut select = def("s", InputType::Select);
        select.values = vec!["a".into(), "b".into()];
        assert_eq!(parse_value(&select, "a"), Ok(json!("a")));
        assert_eq!(
            parse_value(&select, "c"),
            Err("it must match the values `[a, b]`".into())
        );
        let json_input = def("j", InputType::Json);
        assert_eq!(
            parse_value(&json_input, r#"{"a":[1]}"#),
            Ok(json!({"a": [1]}))
        );
        assert!(parse_value(&json_input, "{").is_err());
        let file = def("f", InputType::File);
        assert!(parse_value(&file, "kestra:///a/b/c.txt").is_ok());
        assert!(parse_value(&file, "/etc/passwd").is_err());
    }

    #[test]
    fn times_follow_local_time() {
        assert_eq!(parse_time("10:15"), Ok("10:15".into()));
        assert_eq!(parse_time("10:15:00"), Ok("10:15".into()));
        assert_eq!(parse_time("10:15:30.5"), Ok("10:15:30.500".into()));
        assert_eq!(parse_time("00:00:00.000001"), Ok("00:00:00.000001".into()));
        assert_eq!(
            parse_time("1:15"),
            Err("Text '1:15' could not be parsed at index 0".into())
        );
        assert_eq!(
            parse_time("10:15Z"),
            Err("Text '10:15Z' could not be parsed, unparsed text found at index 5".into())
        );
        assert_eq!(
            parse_time("25:00"),
            Err(
                "Text '25:00' could not be parsed: Invalid value for HourOfDay \
                 (valid values 0 - 23): 25"
                    .into()
            )
        );
        let cause = parse_value(&def("t", InputType::Time), "noon").unwrap_err();
        assert!(cause.starts_with(" errors:\n```\nText 'noon'"), "{cause}");
    }

    #[test]
    fn durations_follow_duration_parse() {
        assert_eq!(parse_duration("PT5M"), Ok("PT5M".into()));
        assert_eq!(parse_duration("P1DT2H"), Ok("PT26H".into()));
        assert_eq!(parse_duration("pt1.5s"), Ok("PT1.5S".into()));
        assert_eq!(parse_duration("PT0S"), Ok("PT0S".into()));
        assert_eq!(parse_duration("-PT0.5S"), Ok("PT-0.5S".into()));
        assert_eq!(parse_duration("PT-1.5S"), Ok("PT-1.5S".into()));
        assert_eq!(parse_duration("PT90M"), Ok("PT1H30M".into()));
        for bad in ["P1M", "P1Y", "PT", "P", "5m", "PT5M "] {
            assert_eq!(
                parse_duration(bad),
                Err("Text cannot be parsed to a Duration".into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn uris_emails_and_yaml() {
        let uri = def("u", InputType::Uri);
        assert_eq!(
            parse_value(&uri, "https://kestra.io/docs?a=1"),
            Ok(json!("https://kestra.io/docs?a=1"))
        );
        for bad in ["http://localhost:8080", "kestra.io", "HTTP://kestra.io"] {
            assert_eq!(parse_value(&uri, bad), Err("Invalid URI format.".into()));
        }
        let email = def("e", InputType::Email);
        assert_eq!(
            parse_value(&email, "a.b@kestra.io"),
            Ok(json!("a.b@kestra.io"))
        );
        assert_eq!(parse_value(&email, ""), Ok(json!("")));
        assert_eq!(
            parse_value(&email, "nobody"),
            Err("The input must be a valid email".into())
        );
        let yaml = def("y", InputType::Yaml);
        assert_eq!(
            parse_value(&yaml, "a: 1\nb: [x, y]"),
            Ok(json!({"a": 1, "b": ["x", "y"]}))
        );
        assert!(parse_value(&yaml, "a: [1")
            .unwrap_err()
            .starts_with(" errors:"));
    }

    #[test]
    fn arrays_and_multiselects() {
        let ints = def("n", InputType::Array(ItemType::Int));
        assert_eq!(parse_value(&ints, r#"[1, "2", 3]"#), Ok(json!([1, 2, 3])));
        assert_eq!(
            parse_value(&ints, "[1, 1.5]"),
            Err("Unable to parse array element as `INT` on `1.5`".into())
        );
        assert!(parse_value(&ints, "1,2")
            .unwrap_err()
            .starts_with(" errors:"));
        assert!(parse_value(&ints, "{}")
            .unwrap_err()
            .starts_with(" errors:"));
        let strings = def("s", InputType::Array(ItemType::String));
        assert_eq!(parse_value(&strings, r#"["a", 2]"#), Ok(json!(["a", "2"])));
        let mut pick = def("m", InputType::MultiSelect(ItemType::String));
        pick.values = vec!["a".into(), "b".into()];
        assert_eq!(parse_value(&pick, r#"["b", "a"]"#), Ok(json!(["b", "a"])));
        assert_eq!(
            parse_value(&pick, r#"["a", "c"]"#),
            Err("it must match the values `[a, b]`".into())
        );
        pick.defaults = Some(json!(["a"]));
        assert_eq!(default_value(&pick, &json!(["a"])), Ok(json!(["a"])));
    }

    #[test]
    fn item_types_come_from_the_flow_text() {
        let text = "inputs:\n  - id: n\n    type: ARRAY\n    itemType: INT\n  \
                    - id: m\n    type: MULTISELECT\n    options: [x, y]\n  \
                    - id: s\n    type: ARRAY\n";
        let mut defs = vec![
            def("n", InputType::Array(ItemType::String)),
            def("m", InputType::MultiSelect(ItemType::String)),
            def("s", InputType::Array(ItemType::String)),
        ];
        read_item_types(&mut defs, text).unwrap();
        assert_eq!(defs[0].kind, InputType::Array(ItemType::Int));
        assert_eq!(defs[1].values, vec!["x".to_string(), "y".to_string()]);
        assert_eq!(defs[2].kind, InputType::Array(ItemType::String));
        let bad = "inputs:\n  - id: n\n    type: ARRAY\n    itemType: FILE\n";
        let mut defs = vec![def("n", InputType::Array(ItemType::String))];
        assert!(read_item_types(&mut defs, bad).is_err());
        let mut empty = vec![def("m", InputType::MultiSelect(ItemType::String))];
        assert!(read_item_types(&mut empty, "inputs: []").is_err());
    }

    #[test]
    fn resolve_applies_rules_in_order() {
        let mut name = def("name", InputType::String);
        name.defaults = Some(json!("World"));
        let count = def("count", InputType::Int);
        let mut optional = def("opt", InputType::Int);
        optional.required = false;
        let defs = vec![name, count, optional];

        let mut provided = BTreeMap::new();
        assert_eq!(
            resolve(&defs, &provided).unwrap_err(),
            "Missing required input:count"
        );

        provided.insert("count".to_string(), "abc".to_string());
        assert_eq!(
            resolve(&defs, &provided).unwrap_err(),
            "Invalid value for input `count`. Cause: For input string: \"abc\""
        );

        provided.insert("count".to_string(), "+7".to_string());
        provided.insert("extra".to_string(), "x".to_string());
        let (inputs, undeclared) = resolve(&defs, &provided).unwrap();
        assert_eq!(
            Value::Object(inputs),
            json!({"name": "World", "count": 7, "opt": null})
        );
        assert_eq!(undeclared, vec!["extra".to_string()]);

        // An empty part is a value: it bypasses the default.
        provided.insert("name".to_string(), String::new());
        let (inputs, _) = resolve(&defs, &provided).unwrap();
        assert_eq!(inputs["name"], json!(""));
    }

    #[test]
    fn defaults_are_typed_and_dotted_ids_nest() {
        let mut n = def("n", InputType::Int);
        n.defaults = Some(json!(5));
        let mut bad = def("bad", InputType::Int);
        bad.defaults = Some(json!("x"));
        let dotted = def("a.b", InputType::String);
        let mut provided = BTreeMap::new();
        provided.insert("a.b".to_string(), "v".to_string());
        let (inputs, _) = resolve(&[n.clone(), dotted], &provided).unwrap();
        assert_eq!(Value::Object(inputs), json!({"n": 5, "a": {"b": "v"}}));
        assert!(resolve(&[bad], &BTreeMap::new()).is_err());
    }
}
