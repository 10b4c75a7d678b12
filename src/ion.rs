//! Reading Amazon Ion text, the format of the files in Kestra's internal storage.
//!
//! Kestra writes one top-level value per line, usually a struct per row. [`parse`] reads every
//! top-level value of an Ion 1.0 text stream into [`IonValue`]s that keep annotations and the
//! exact kind of each value; [`to_plain`] and [`read`] turn them into [`PlainValue`]s the way
//! Kestra's Python client does in `Kestra.read`: decimals become numbers, Ion timestamps and
//! date-time strings become [`DateTime`]s, symbols become strings, and so on.
//!
//! Bad input gives an [`IonError`] naming the problem and its line and column. Reading keeps
//! open containers on the heap, not the call stack, and refuses nesting deeper than
//! [`MAX_DEPTH`], so that code which walks the values recursively stays within its stack.
//!
//! Not covered: the binary Ion format, and symbol tables: a symbol id such as `$10` stays the
//! text `$10`, and local symbol tables (`$ion_symbol_table::{...}`) are skipped, not applied.

use std::fmt;

/// Containers (lists, s-expressions, structs) nested deeper than this are refused: values that
/// [`parse`] returns can be dropped, compared, printed or converted recursively.
pub const MAX_DEPTH: usize = 256;

/// Hexadecimal and binary integers with more significant digits than this are refused:
/// writing them in decimal takes time that grows with the square of their length.
const MAX_RADIX_DIGITS: usize = 4096;

/// Ion text that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IonError {
    /// Line of the problem, from 1.
    pub line: usize,
    /// Column of the problem, from 1, counted in characters.
    pub column: usize,
    /// What is wrong and, where it helps, what was expected instead.
    pub message: String,
}

impl fmt::Display for IonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for IonError {}

/// The Ion types, as named in typed nulls such as `null.string`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IonType {
    /// `null.null`, the type of a plain `null`.
    Null,
    /// `true` and `false`.
    Bool,
    /// Integers of any size.
    Int,
    /// Binary floating-point numbers.
    Float,
    /// Exact decimal numbers.
    Decimal,
    /// Points in time with a precision.
    Timestamp,
    /// Unicode text.
    String,
    /// Symbolic names.
    Symbol,
    /// Binary data.
    Blob,
    /// Text data of unspecified encoding.
    Clob,
    /// Fields with names.
    Struct,
    /// Ordered values.
    List,
    /// Ordered values, as in Lisp.
    SExp,
}

impl IonType {
    /// The type's name in Ion text, as written after `null.`.
    pub fn name(self) -> &'static str {
        match self {
            IonType::Null => "null",
            IonType::Bool => "bool",
            IonType::Int => "int",
            IonType::Float => "float",
            IonType::Decimal => "decimal",
            IonType::Timestamp => "timestamp",
            IonType::String => "string",
            IonType::Symbol => "symbol",
            IonType::Blob => "blob",
            IonType::Clob => "clob",
            IonType::Struct => "struct",
            IonType::List => "list",
            IonType::SExp => "sexp",
        }
    }

    fn from_name(name: &str) -> Option<IonType> {
        let all = [
            IonType::Null,
            IonType::Bool,
            IonType::Int,
            IonType::Float,
            IonType::Decimal,
            IonType::Timestamp,
            IonType::String,
            IonType::Symbol,
            IonType::Blob,
            IonType::Clob,
            IonType::Struct,
            IonType::List,
            IonType::SExp,
        ];
        all.into_iter().find(|ion_type| ion_type.name() == name)
    }
}

/// An Ion integer: Ion integers have no size limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IonInt {
    /// An integer that fits in 64 bits.
    I64(i64),
    /// A larger integer, as decimal text: an optional `-`, then digits without leading zeros.
    Big(String),
}

/// An exact Ion decimal: `(-1)^negative × coefficient × 10^exponent`.
///
/// The coefficient keeps its trailing zeros, so `100.000000` keeps its precision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IonDecimal {
    /// Whether the value is negative; true for `-0.` too.
    pub negative: bool,
    /// The decimal digits of the coefficient, without leading zeros (`"0"` for zero).
    pub coefficient: String,
    /// The power of ten the coefficient is multiplied by.
    pub exponent: i64,
}

impl IonDecimal {
    /// The nearest binary floating-point number.
    pub fn to_f64(&self) -> f64 {
        self.to_f64_with(rust_number)
    }

    /// [`IonDecimal::to_f64`] with another decimal-text reader (see [`NumberReader`]).
    pub fn to_f64_with(&self, number: NumberReader) -> f64 {
        let sign = if self.negative { "-" } else { "" };
        number(&format!("{sign}{}e{}", self.coefficient, self.exponent)).unwrap_or(f64::NAN)
    }
}

/// Reads decimal text (`-12.5e3`) as the nearest double, saturating huge exponents to 0 or
/// infinity; `None` when the text is not a number. Rust's own reader is the default; a host
/// that has one (JavaScript's `Number`) can pass it instead, which keeps Rust's float parsing
/// code and tables out of a WebAssembly build.
pub type NumberReader = fn(&str) -> Option<f64>;

/// Rust's correctly rounded reader.
fn rust_number(text: &str) -> Option<f64> {
    text.parse().ok()
}

/// How much of a timestamp is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampPrecision {
    /// `2007T`
    Year,
    /// `2007-02T`
    Month,
    /// `2007-02-23` or `2007-02-23T`
    Day,
    /// `2007-02-23T12:14Z`
    Minute,
    /// `2007-02-23T12:14:33Z`, with or without a fraction of a second.
    Second,
}

/// An Ion timestamp. Parts below the precision hold their smallest value (month 1, hour 0...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// How much of the timestamp was written.
    pub precision: TimestampPrecision,
    /// Year, 1 to 9999.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, from 1.
    pub day: u8,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 59.
    pub second: u8,
    /// Digits of the fraction of a second, without the dot; empty when none was written.
    pub fraction: String,
    /// Offset from UTC in minutes; `None` when unknown: `-00:00` or a date without a time.
    /// The fields hold local time; the point in time is local time minus the offset.
    pub offset_minutes: Option<i32>,
}

/// The kind and content of an Ion value.
#[derive(Clone, Debug, PartialEq)]
pub enum IonKind {
    /// `null`, or a typed null such as `null.string`.
    Null(IonType),
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(IonInt),
    /// A binary floating-point number, `nan` and infinities included.
    Float(f64),
    /// An exact decimal number.
    Decimal(IonDecimal),
    /// A timestamp.
    Timestamp(Timestamp),
    /// A string.
    String(String),
    /// A symbol, by its text; symbol ids keep their text, such as `$10`.
    Symbol(String),
    /// Binary data.
    Blob(Vec<u8>),
    /// The bytes of a clob.
    Clob(Vec<u8>),
    /// A list.
    List(Vec<IonValue>),
    /// An s-expression.
    SExp(Vec<IonValue>),
    /// A struct's fields in the order written, duplicate names included.
    Struct(Vec<(String, IonValue)>),
}

/// An Ion value with its annotations.
#[derive(Clone, Debug, PartialEq)]
pub struct IonValue {
    /// Annotations in the order written: `a::b::1` has `["a", "b"]`.
    pub annotations: Vec<String>,
    /// The value itself.
    pub kind: IonKind,
}

impl IonValue {
    /// A value without annotations.
    pub fn new(kind: IonKind) -> IonValue {
        IonValue {
            annotations: Vec::new(),
            kind,
        }
    }
}

/// A calendar date and time of day, with an optional offset from UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTime {
    /// Year of the proleptic Gregorian calendar; 0 is 1 BC.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, from 1.
    pub day: u8,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 59.
    pub second: u8,
    /// Digits of the fraction of a second as written, without the dot (`"123456"`); empty
    /// when none was written. Kept whole because a JavaScript Date holds only milliseconds.
    pub fraction: String,
    /// Offset from UTC in minutes; `None` for a local date-time without offset.
    pub offset_minutes: Option<i32>,
}

impl DateTime {
    /// The fraction of a second in nanoseconds; digits past the ninth are dropped.
    pub fn nanosecond(&self) -> u32 {
        self.fraction
            .chars()
            .chain(std::iter::repeat('0'))
            .take(9)
            .fold(0, |nanos, digit| {
                nanos * 10 + digit.to_digit(10).unwrap_or(0)
            })
    }

    /// Milliseconds since 1970-01-01T00:00:00Z, as a JavaScript Date counts them.
    ///
    /// A date-time without offset is taken as UTC. Digits of the fraction past milliseconds
    /// are dropped, not rounded, as JavaScript does when it parses a date.
    pub fn epoch_millis(&self) -> f64 {
        let days = days_since_epoch(i64::from(self.year), self.month, self.day);
        let offset = i64::from(self.offset_minutes.unwrap_or(0));
        let minutes = i64::from(self.hour) * 60 + i64::from(self.minute) - offset;
        let seconds = (days * 1440 + minutes) * 60 + i64::from(self.second);
        let millis = seconds * 1000 + i64::from(self.nanosecond() / 1_000_000);

        millis as f64
    }
}

/// A value as Kestra's Python client hands it to scripts, ready to become a JavaScript value.
#[derive(Clone, Debug, PartialEq)]
pub enum PlainValue {
    /// Any null, typed or not.
    Null,
    /// A boolean.
    Bool(bool),
    /// A float, a decimal, or an integer that a double holds exactly.
    Number(f64),
    /// An integer beyond ±2^53, as decimal text.
    BigInt(String),
    /// A string, a symbol or a clob's text.
    String(String),
    /// A blob.
    Bytes(Vec<u8>),
    /// A timestamp, or a string that holds a date-time.
    DateTime(DateTime),
    /// A list or an s-expression.
    List(Vec<PlainValue>),
    /// A struct's fields in order, duplicate names included.
    Object(Vec<(String, PlainValue)>),
}

/// Reads every top-level value of an Ion text stream.
///
/// The version marker `$ion_1_0` and local symbol tables are system values and are skipped.
pub fn parse(text: &str) -> Result<Vec<IonValue>, IonError> {
    parse_with(text, rust_number)
}

/// [`parse`] with another decimal-text reader for floats.
pub fn parse_with(text: &str, number: NumberReader) -> Result<Vec<IonValue>, IonError> {
    Parser {
        text,
        pos: 0,
        number,
    }
    .stream()
}

/// Reads every top-level value of an Ion text stream and converts each with [`to_plain`], as
/// the Python client's `Kestra.read` does.
pub fn read(text: &str) -> Result<Vec<PlainValue>, IonError> {
    read_with(text, rust_number)
}

/// [`read`] with another decimal-text reader for floats and decimals.
pub fn read_with(text: &str, number: NumberReader) -> Result<Vec<PlainValue>, IonError> {
    Ok(parse_with(text, number)?
        .iter()
        .map(|value| to_plain_with(value, number))
        .collect())
}

/// Converts an Ion value the way Kestra's Python client does.
///
/// Nulls become `Null`; decimals and floats become numbers; integers become numbers when a
/// double holds them exactly (|n| ≤ 2^53) and `BigInt` otherwise; timestamps become date-times;
/// strings annotated `LocalDateTime`, strings starting with `LocalDateTime::` and strings of
/// the form `2023-10-04T15:30:00.123+02:00` become date-times when they hold a valid one, and
/// stay strings otherwise; symbols and clobs (read as UTF-8) become strings; blobs become
/// bytes; lists and s-expressions become lists; structs become ordered fields. Annotations are
/// dropped.
pub fn to_plain(value: &IonValue) -> PlainValue {
    to_plain_with(value, rust_number)
}

/// [`to_plain`] with another decimal-text reader for decimals.
pub fn to_plain_with(value: &IonValue, number: NumberReader) -> PlainValue {
    // An explicit stack instead of recursion: values built by hand may nest deeper than
    // anything the parser accepts.
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut pending = Some(value);
    let mut finished = None;
    loop {
        if let Some(value) = pending.take() {
            match &value.kind {
                IonKind::List(items) | IonKind::SExp(items) => stack.push(Frame::List {
                    items: items.iter(),
                    done: Vec::with_capacity(items.len()),
                }),
                IonKind::Struct(fields) => stack.push(Frame::Object {
                    fields: fields.iter(),
                    done: Vec::with_capacity(fields.len()),
                    name: String::new(),
                }),
                _ => finished = Some(scalar_to_plain(value, number)),
            }
        }

        let Some(frame) = stack.last_mut() else {
            return finished.unwrap_or(PlainValue::Null);
        };
        if let Some(plain) = finished.take() {
            frame.push(plain);
        }

        pending = frame.next_child();
        if pending.is_none() {
            let complete = stack.pop().map(Frame::into_plain);
            if stack.is_empty() {
                return complete.unwrap_or(PlainValue::Null);
            }
            finished = complete;
        }
    }
}

/// A container whose children [`to_plain`] is converting.
enum Frame<'a> {
    List {
        items: std::slice::Iter<'a, IonValue>,
        done: Vec<PlainValue>,
    },
    Object {
        fields: std::slice::Iter<'a, (String, IonValue)>,
        done: Vec<(String, PlainValue)>,
        // The name of the field being converted.
        name: String,
    },
}

impl<'a> Frame<'a> {
    fn next_child(&mut self) -> Option<&'a IonValue> {
        match self {
            Frame::List { items, .. } => items.next(),
            Frame::Object { fields, name, .. } => {
                let (field, value) = fields.next()?;
                name.clone_from(field);
                Some(value)
            }
        }
    }

    fn push(&mut self, plain: PlainValue) {
        match self {
            Frame::List { done, .. } => done.push(plain),
            Frame::Object { done, name, .. } => done.push((std::mem::take(name), plain)),
        }
    }

    fn into_plain(self) -> PlainValue {
        match self {
            Frame::List { done, .. } => PlainValue::List(done),
            Frame::Object { done, .. } => PlainValue::Object(done),
        }
    }
}

/// Largest integer that a double holds exactly, along with every smaller one.
const MAX_EXACT_INTEGER: u64 = 1 << 53;

fn scalar_to_plain(value: &IonValue, number: NumberReader) -> PlainValue {
    match &value.kind {
        IonKind::Null(_) => PlainValue::Null,
        IonKind::Bool(flag) => PlainValue::Bool(*flag),
        IonKind::Int(IonInt::I64(n)) if n.unsigned_abs() <= MAX_EXACT_INTEGER => {
            PlainValue::Number(*n as f64)
        }
        IonKind::Int(IonInt::I64(n)) => PlainValue::BigInt(n.to_string()),
        IonKind::Int(IonInt::Big(text)) => PlainValue::BigInt(text.clone()),
        IonKind::Float(number) => PlainValue::Number(*number),
        IonKind::Decimal(decimal) => PlainValue::Number(decimal.to_f64_with(number)),
        IonKind::Timestamp(timestamp) => PlainValue::DateTime(DateTime {
            year: i32::from(timestamp.year),
            month: timestamp.month,
            day: timestamp.day,
            hour: timestamp.hour,
            minute: timestamp.minute,
            second: timestamp.second,
            fraction: timestamp.fraction.clone(),
            offset_minutes: timestamp.offset_minutes,
        }),
        IonKind::String(text) => string_to_plain(text, &value.annotations),
        IonKind::Symbol(text) => PlainValue::String(text.clone()),
        IonKind::Blob(bytes) => PlainValue::Bytes(bytes.clone()),
        IonKind::Clob(bytes) => PlainValue::String(String::from_utf8_lossy(bytes).into_owned()),
        // Containers are handled by `to_plain`; an empty one is all that can reach here.
        IonKind::List(_) | IonKind::SExp(_) => PlainValue::List(Vec::new()),
        IonKind::Struct(_) => PlainValue::Object(Vec::new()),
    }
}

fn string_to_plain(text: &str, annotations: &[String]) -> PlainValue {
    // Kestra writes Java LocalDateTime values as annotated strings; Java leaves out zero
    // seconds, so these are read with the looser ISO 8601 rules.
    if annotations
        .iter()
        .any(|annotation| annotation == "LocalDateTime")
    {
        if let Some(date_time) = parse_date_time(text, Strictness::Loose) {
            return PlainValue::DateTime(date_time);
        }
    }

    // The Python client's own form: the annotation written into the string.
    if let Some(rest) = text.strip_prefix("LocalDateTime::") {
        let inner = rest
            .split("::")
            .next()
            .unwrap_or_default()
            .trim_matches('"');
        return match parse_date_time(inner, Strictness::Loose) {
            Some(date_time) => PlainValue::DateTime(date_time),
            None => PlainValue::String(text.to_string()),
        };
    }

    match parse_date_time(text, Strictness::Strict) {
        Some(date_time) => PlainValue::DateTime(date_time),
        None => PlainValue::String(text.to_string()),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Strictness {
    /// Exactly `YYYY-MM-DDTHH:MM:SS(.f+)?(Z|±HH:MM)?`, the Python client's pattern.
    Strict,
    /// Also a date alone, a time without seconds or minutes, `,` before the fraction and
    /// offsets `±HH` and `±HHMM`, as the Python client's ISO 8601 parser accepts.
    Loose,
}

/// Reads an ISO 8601 date-time; `None` when the text is not one or names no real instant.
fn parse_date_time(text: &str, strictness: Strictness) -> Option<DateTime> {
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let loose = strictness == Strictness::Loose;

    let year = cursor.number(4)?;
    cursor.eat(b'-').then_some(())?;
    let month = cursor.number(2)?;
    cursor.eat(b'-').then_some(())?;
    let day = cursor.number(2)?;
    let mut date_time = DateTime {
        year: i32::try_from(year).ok()?,
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
        hour: 0,
        minute: 0,
        second: 0,
        fraction: String::new(),
        offset_minutes: None,
    };

    let has_time = cursor.eat(b'T');
    if !has_time && !loose {
        return None;
    }
    if has_time {
        date_time.hour = u8::try_from(cursor.number(2)?).ok()?;
        let has_minute = cursor.eat(b':');
        if has_minute {
            date_time.minute = u8::try_from(cursor.number(2)?).ok()?;
        }
        let has_second = has_minute && cursor.eat(b':');
        if has_second {
            date_time.second = u8::try_from(cursor.number(2)?).ok()?;
        }
        if !has_second && !loose {
            return None;
        }
        if has_second && (cursor.eat(b'.') || (loose && cursor.eat(b','))) {
            date_time.fraction = cursor.digits();
            if date_time.fraction.is_empty() {
                return None;
            }
        }
        date_time.offset_minutes = cursor.offset(loose)?;
    }

    let complete = cursor.pos == cursor.bytes.len();
    let valid = is_valid_date(i64::from(date_time.year), date_time.month, date_time.day)
        && date_time.hour <= 23
        && date_time.minute <= 59
        && date_time.second <= 59;
    (complete && valid).then_some(date_time)
}

/// A position in text read by [`parse_date_time`].
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.bytes.get(self.pos) == Some(&byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Exactly `count` ASCII digits.
    fn number(&mut self, count: usize) -> Option<u32> {
        let mut value = 0;
        for _ in 0..count {
            let digit = char::from(*self.bytes.get(self.pos)?).to_digit(10)?;
            value = value * 10 + digit;
            self.pos += 1;
        }
        Some(value)
    }

    /// As many ASCII digits as follow.
    fn digits(&mut self) -> String {
        let mut digits = String::new();
        while let Some(byte) = self
            .bytes
            .get(self.pos)
            .filter(|byte| byte.is_ascii_digit())
        {
            digits.push(char::from(*byte));
            self.pos += 1;
        }
        digits
    }

    /// An optional offset: `Some(None)` when there is none, `None` when it is malformed.
    fn offset(&mut self, loose: bool) -> Option<Option<i32>> {
        if self.eat(b'Z') || (loose && self.eat(b'z')) {
            return Some(Some(0));
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return Some(None);
        };
        let hours = self.number(2)?;
        let minutes = if self.eat(b':') {
            self.number(2)?
        } else if loose {
            // `±HHMM` or `±HH`.
            if self.pos < self.bytes.len() {
                self.number(2)?
            } else {
                0
            }
        } else {
            return None;
        };
        if hours > 23 || minutes > 59 {
            return None;
        }
        let total = i32::try_from(hours * 60 + minutes).ok()?;
        Some(Some(sign * total))
    }
}

fn is_leap_year(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// Days in `month` of `year`; 0 for a month that does not exist.
fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn is_valid_date(year: i64, month: u8, day: u8) -> bool {
    day >= 1 && day <= days_in_month(year, month)
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar.
fn days_since_epoch(year: i64, month: u8, day: u8) -> i64 {
    // Days from 0001-01-01 to January 1st of `year`: 365 a year plus one for each leap year
    // passed. Floor division keeps the count right for years before 1.
    let days_to_year = |whole_year: i64| {
        let past = whole_year - 1;
        365 * past + past.div_euclid(4) - past.div_euclid(100) + past.div_euclid(400)
    };

    let days_to_month: i64 = (1..month)
        .map(|earlier| i64::from(days_in_month(year, earlier)))
        .sum();
    days_to_year(year) - days_to_year(1970) + days_to_month + i64::from(day) - 1
}

/// Where a value is read: only inside s-expressions are operators such as `+` symbols.
#[derive(Clone, Copy, PartialEq)]
enum Context {
    TopLevel,
    List,
    SExp,
    Field,
}

/// Whether a quoted text is a string, a clob, or the name of a symbol.
#[derive(Clone, Copy, PartialEq)]
enum TextKind {
    String,
    Clob,
    Symbol,
}

impl TextKind {
    fn noun(self) -> &'static str {
        match self {
            TextKind::String => "string",
            TextKind::Clob => "clob",
            TextKind::Symbol => "quoted symbol",
        }
    }
}

/// A container whose elements [`Parser::value`] is reading.
struct OpenContainer {
    /// Where its opening bracket stands.
    position: usize,
    annotations: Vec<String>,
    content: Content,
}

enum Content {
    List(Vec<IonValue>),
    SExp(Vec<IonValue>),
    /// The fields so far, and the name of the field whose value is being read.
    Struct(Vec<(String, IonValue)>, String),
}

impl OpenContainer {
    fn context(&self) -> Context {
        match self.content {
            Content::List(_) => Context::List,
            Content::SExp(_) => Context::SExp,
            Content::Struct(..) => Context::Field,
        }
    }

    /// The closing character, the opening position and the noun for error messages.
    fn delimiters(&self) -> (u8, usize, &'static str) {
        match self.content {
            Content::List(_) => (b']', self.position, "list"),
            Content::SExp(_) => (b')', self.position, "s-expression"),
            Content::Struct(..) => (b'}', self.position, "struct"),
        }
    }

    fn add(&mut self, value: IonValue) {
        match &mut self.content {
            Content::List(items) | Content::SExp(items) => items.push(value),
            Content::Struct(fields, name) => fields.push((std::mem::take(name), value)),
        }
    }

    fn into_value(self) -> IonValue {
        let kind = match self.content {
            Content::List(items) => IonKind::List(items),
            Content::SExp(items) => IonKind::SExp(items),
            Content::Struct(fields, _) => IonKind::Struct(fields),
        };
        IonValue {
            annotations: self.annotations,
            kind,
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    // Byte offset of the next character; always on a character boundary.
    pos: usize,
    number: NumberReader,
}

impl<'a> Parser<'a> {
    fn stream(&mut self) -> Result<Vec<IonValue>, IonError> {
        // A byte order mark is not part of the text.
        if self.text.starts_with('\u{feff}') {
            self.pos = '\u{feff}'.len_utf8();
        }

        let mut values = Vec::new();
        loop {
            self.skip_space()?;
            if self.peek().is_none() {
                return Ok(values);
            }

            let start = self.pos;
            let value = self.value(Context::TopLevel)?;
            if !self.is_system_value(start, &value)? {
                values.push(value);
            }
        }
    }

    /// Whether a top-level value belongs to the Ion system rather than to the data.
    fn is_system_value(&self, start: usize, value: &IonValue) -> Result<bool, IonError> {
        let bare = self
            .text
            .get(start..)
            .is_some_and(|rest| rest.starts_with("$ion_"));
        match &value.kind {
            IonKind::Symbol(text) if bare && value.annotations.is_empty() => {
                if text == "$ion_1_0" {
                    Ok(true)
                } else if is_version_marker(text) {
                    let message =
                        format!("unsupported Ion version marker {text}: expected $ion_1_0");
                    Err(self.error_at(start, message))
                } else {
                    Ok(false)
                }
            }
            IonKind::Struct(_) => Ok(value
                .annotations
                .first()
                .is_some_and(|annotation| annotation == "$ion_symbol_table")),
            _ => Ok(false),
        }
    }

    /// A value and its annotations, containers and all they hold included.
    ///
    /// Open containers wait on a stack in memory instead of the call stack, so that nesting
    /// costs no recursion; MAX_DEPTH still bounds it, because dropping, comparing or
    /// converting the values that come out of here recurses.
    fn value(&mut self, context: Context) -> Result<IonValue, IonError> {
        let mut open: Vec<OpenContainer> = Vec::new();
        loop {
            let context = open.last().map_or(context, OpenContainer::context);
            let (annotations, symbol) = self.annotations_and_symbol()?;
            let mut finished = match symbol {
                Some(kind) => Some(IonValue { annotations, kind }),
                None => {
                    let content = match self.peek() {
                        Some(b'[') => Some(Content::List(Vec::new())),
                        Some(b'(') => Some(Content::SExp(Vec::new())),
                        Some(b'{') if self.byte(1) != Some(b'{') => {
                            Some(Content::Struct(Vec::new(), String::new()))
                        }
                        _ => None,
                    };
                    match content {
                        Some(content) => {
                            let position = self.enter(open.len())?;
                            open.push(OpenContainer {
                                position,
                                annotations,
                                content,
                            });
                            None
                        }
                        None => Some(IonValue {
                            annotations,
                            kind: self.scalar(context)?,
                        }),
                    }
                }
            };

            // Hand finished values to their containers and close those that end here, until
            // a container waits for its next element.
            loop {
                let Some(container) = open.last_mut() else {
                    return finished.ok_or_else(|| self.unexpected("a value"));
                };
                let (close, position, what) = container.delimiters();
                if let Some(value) = finished.take() {
                    let separated_by_commas = !matches!(container.content, Content::SExp(_));
                    container.add(value);
                    if separated_by_commas {
                        self.after_element(close, position, what)?;
                    }
                }

                if self.closes(close, position, what)? {
                    finished = open.pop().map(OpenContainer::into_value);
                    continue;
                }

                if let Content::Struct(_, name) = &mut container.content {
                    *name = self.field_name_and_colon()?;
                }
                break;
            }
        }
    }

    /// Reads annotations, and the value too when it is written like a symbol (identifiers,
    /// keywords and quoted symbols); `None` when some other value follows the annotations.
    fn annotations_and_symbol(&mut self) -> Result<(Vec<String>, Option<IonKind>), IonError> {
        let mut annotations = Vec::new();
        loop {
            let start = self.pos;
            let kind = match self.peek() {
                Some(byte) if is_identifier_start(byte) => self.keyword_or_symbol()?,
                Some(b'\'') if !self.looking_at("'''") => {
                    IonKind::Symbol(self.quoted_text(b'\'', TextKind::Symbol)?)
                }
                _ => return Ok((annotations, None)),
            };
            let end = self.pos;

            self.skip_space()?;
            if !self.looking_at("::") {
                return Ok((annotations, Some(kind)));
            }

            match kind {
                IonKind::Symbol(text) => annotations.push(text),
                _ => return Err(self.keyword_annotation(start, end)),
            }
            self.pos += 2;
            self.skip_space()?;

            if matches!(self.peek(), None | Some(b')' | b']' | b'}' | b',')) {
                return Err(self.unexpected("a value after the annotation"));
            }
        }
    }

    #[cold]
    fn keyword_annotation(&self, start: usize, end: usize) -> IonError {
        let written = self.text.get(start..end).unwrap_or_default();
        let message = format!(
            "the keyword {written} cannot be an annotation; quote it ('{written}') to use it \
             as a symbol"
        );
        self.error_at(start, message)
    }

    /// `null`, `null.type`, `true`, `false`, `nan`, or an identifier symbol.
    fn keyword_or_symbol(&mut self) -> Result<IonKind, IonError> {
        let start = self.pos;
        let word = self.identifier();
        match word {
            "null" if self.peek() == Some(b'.') => {
                self.pos += 1;
                let name = self.identifier();
                match IonType::from_name(name) {
                    Some(ion_type) => Ok(IonKind::Null(ion_type)),
                    None => {
                        let message = format!(
                            "unknown type in null.{name}: expected one of null, bool, int, \
                             float, decimal, timestamp, string, symbol, blob, clob, struct, \
                             list or sexp"
                        );
                        Err(self.error_at(start, message))
                    }
                }
            }
            "null" => Ok(IonKind::Null(IonType::Null)),
            "true" => Ok(IonKind::Bool(true)),
            "false" => Ok(IonKind::Bool(false)),
            "nan" => Ok(IonKind::Float(f64::NAN)),
            _ => Ok(IonKind::Symbol(word.to_string())),
        }
    }

    /// Any value that is neither a container nor written like a symbol.
    fn scalar(&mut self, context: Context) -> Result<IonKind, IonError> {
        let in_sexp = context == Context::SExp;
        match self.peek() {
            Some(b'0'..=b'9') if self.at_timestamp() => self.timestamp(),
            Some(b'0'..=b'9') => self.number(),
            Some(b'-') if matches!(self.byte(1), Some(b'0'..=b'9')) => self.number(),
            Some(b'-' | b'+') if self.at_infinity() => {
                let negative = self.peek() == Some(b'-');
                self.pos += 4;
                let infinity = if negative {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                };
                Ok(IonKind::Float(infinity))
            }
            Some(byte) if in_sexp && is_operator(byte) && !self.at_comment() => {
                Ok(IonKind::Symbol(self.operator()))
            }
            Some(b'"') => Ok(IonKind::String(self.quoted_text(b'"', TextKind::String)?)),
            Some(b'\'') => Ok(IonKind::String(self.long_texts(TextKind::String)?)),
            Some(b'{') => self.lob(),
            Some(b'+') => {
                let message = "expected a value, found '+': only +inf may start with '+' \
                               (integers and decimals take no '+' sign)";
                Err(self.error_here(message))
            }
            _ => Err(self.unexpected("a value")),
        }
    }

    /// Skips space; steps over `close` and answers true when it ends the container.
    fn closes(&mut self, close: u8, open: usize, what: &str) -> Result<bool, IonError> {
        self.skip_space()?;
        match self.peek() {
            Some(byte) if byte == close => {
                self.pos += 1;
                Ok(true)
            }
            None => Err(self.not_closed(open, what, close)),
            _ => Ok(false),
        }
    }

    /// Skips space and the comma after a list element or a struct field, if any.
    fn after_element(&mut self, close: u8, open: usize, what: &str) -> Result<(), IonError> {
        self.skip_space()?;
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(())
            }
            Some(byte) if byte == close => Ok(()),
            None => Err(self.not_closed(open, what, close)),
            _ => {
                let element = if close == b']' {
                    "a list element"
                } else {
                    "a struct field"
                };
                let close = char::from(close);
                Err(self.unexpected(&format!("',' or '{close}' after {element}")))
            }
        }
    }

    /// A field name and the ':' after it, with the space around them.
    fn field_name_and_colon(&mut self) -> Result<String, IonError> {
        let name = self.field_name()?;
        self.skip_space()?;
        if self.peek() != Some(b':') || self.looking_at("::") {
            return Err(self.unexpected(&format!("':' after the field name '{name}'")));
        }
        self.pos += 1;
        self.skip_space()?;
        Ok(name)
    }

    fn field_name(&mut self) -> Result<String, IonError> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => self.quoted_text(b'"', TextKind::String),
            Some(b'\'') if self.looking_at("'''") => self.long_texts(TextKind::String),
            Some(b'\'') => self.quoted_text(b'\'', TextKind::Symbol),
            Some(byte) if is_identifier_start(byte) => {
                let name = self.identifier();
                if matches!(name, "null" | "true" | "false" | "nan") {
                    let message = format!(
                        "the keyword {name} cannot be a field name; quote it ('{name}') to use \
                         it as a name"
                    );
                    return Err(self.error_at(start, message));
                }
                Ok(name.to_string())
            }
            _ => {
                let message = format!("expected a field name or '}}', found {}", self.found());
                Err(self.error_here(message))
            }
        }
    }

    /// Steps over a container's opening character and returns its position, unless the
    /// container would nest too deep.
    fn enter(&mut self, depth: usize) -> Result<usize, IonError> {
        let open = self.pos;
        if depth >= MAX_DEPTH {
            let message = format!("containers nest deeper than {MAX_DEPTH} levels");
            return Err(self.error_at(open, message));
        }
        self.pos += 1;
        Ok(open)
    }

    /// An error at the current position: what was expected, and what stands there instead.
    #[cold]
    fn unexpected(&self, expected: &str) -> IonError {
        let message = format!("expected {expected}, found {}", self.found());
        self.error_here(message)
    }

    #[cold]
    fn not_closed(&self, open: usize, what: &str, close: u8) -> IonError {
        let close = char::from(close);
        let message =
            format!("{what} is not closed: expected '{close}' before the end of the input");
        self.error_at(open, message)
    }

    /// A blob `{{ base64 }}` or a clob `{{ "text" }}` / `{{ '''text''' }}`.
    fn lob(&mut self) -> Result<IonKind, IonError> {
        let open = self.pos;
        self.pos += 2;
        self.skip_whitespace();
        let content = self.pos;

        // Comments may come before a clob's text, but '/' is also a base64 digit: look past
        // them, and read a blob from the same place when no text follows.
        let is_clob =
            self.skip_space().is_ok() && (self.peek() == Some(b'"') || self.looking_at("'''"));
        if !is_clob {
            self.pos = content;
            return self.blob(open);
        }

        let text = if self.peek() == Some(b'"') {
            self.quoted_text(b'"', TextKind::Clob)?
        } else {
            self.long_texts(TextKind::Clob)?
        };
        self.skip_space()?;
        if !self.looking_at("}}") {
            let message = format!("expected '}}}}' to close the clob, found {}", self.found());
            return Err(self.error_here(message));
        }
        self.pos += 2;

        // Clob text holds only characters up to U+00FF, one per byte (see `quoted_text`).
        let bytes = text
            .chars()
            .map(|c| u8::try_from(c).unwrap_or(b'?'))
            .collect();
        Ok(IonKind::Clob(bytes))
    }

    fn blob(&mut self, open: usize) -> Result<IonKind, IonError> {
        let content = self.pos;
        let mut digits = Vec::new();
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.pos += 1,
                Some(b'}') => break,
                Some(byte)
                    if byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=') =>
                {
                    digits.push(byte);
                    self.pos += 1;
                }
                None => {
                    let message = "blob is not closed: expected '}}' before the end of the input";
                    return Err(self.error_at(open, message));
                }
                Some(_) => {
                    let message = format!(
                        "expected base64 digits or '}}}}' in a blob, found {}",
                        self.found()
                    );
                    return Err(self.error_here(message));
                }
            }
        }
        if !self.looking_at("}}") {
            let message = format!("expected '}}}}' to close the blob, found {}", self.found());
            return Err(self.error_here(message));
        }
        self.pos += 2;

        match decode_base64(&digits) {
            Ok(bytes) => Ok(IonKind::Blob(bytes)),
            Err(problem) => Err(self.error_at(content, format!("invalid blob: {problem}"))),
        }
    }

    /// Text between `quote`s (`"` or `'`), escapes resolved.
    ///
    /// For a clob, the result holds one character per byte, each up to U+00FF.
    fn quoted_text(&mut self, quote: u8, kind: TextKind) -> Result<String, IonError> {
        let open = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.current_char() else {
                let message = format!(
                    "{} is not closed: expected {} before the end of the input",
                    kind.noun(),
                    char::from(quote)
                );
                return Err(self.error_at(open, message));
            };
            match c {
                _ if c == char::from(quote) => {
                    self.pos += 1;
                    return Ok(text);
                }
                '\\' => self.escape(&mut text, kind)?,
                '\n' | '\r' => {
                    let message = format!(
                        "{} is not closed: expected {} before the end of the line (write \
                         line breaks as \\n, or use a '''long string''')",
                        kind.noun(),
                        char::from(quote)
                    );
                    return Err(self.error_at(open, message));
                }
                _ => self.text_char(&mut text, c, kind)?,
            }
        }
    }

    /// One or more `'''long strings'''` separated by whitespace and comments, joined.
    fn long_texts(&mut self, kind: TextKind) -> Result<String, IonError> {
        let mut text = String::new();
        while self.looking_at("'''") {
            let open = self.pos;
            self.pos += 3;
            loop {
                if self.looking_at("'''") {
                    self.pos += 3;
                    break;
                }
                let Some(c) = self.current_char() else {
                    let message = format!(
                        "long {} is not closed: expected ''' before the end of the input",
                        kind.noun()
                    );
                    return Err(self.error_at(open, message));
                };
                match c {
                    '\\' => self.escape(&mut text, kind)?,
                    // Ion reads every kind of raw line break as a line feed.
                    '\r' => {
                        self.pos += 1;
                        if self.peek() == Some(b'\n') {
                            self.pos += 1;
                        }
                        text.push('\n');
                    }
                    '\n' => {
                        self.pos += 1;
                        text.push('\n');
                    }
                    _ => self.text_char(&mut text, c, kind)?,
                }
            }

            self.skip_space()?;
        }
        Ok(text)
    }

    /// An unescaped character `c` at the current position of a quoted text.
    fn text_char(&mut self, text: &mut String, c: char, kind: TextKind) -> Result<(), IonError> {
        if u32::from(c) < 0x20 && !matches!(c, '\t' | '\u{b}' | '\u{c}') {
            let message = format!(
                "control character U+{:04X} must be escaped in a {}",
                u32::from(c),
                kind.noun()
            );
            return Err(self.error_here(message));
        }
        if kind == TextKind::Clob && !c.is_ascii() {
            let message = format!(
                "clob text must be ASCII, found '{c}': write bytes above 0x7F as \\xHH escapes"
            );
            return Err(self.error_here(message));
        }

        text.push(c);
        self.pos += c.len_utf8();
        Ok(())
    }

    /// Resolves the escape at the current position (a backslash) into `text`.
    fn escape(&mut self, text: &mut String, kind: TextKind) -> Result<(), IonError> {
        let start = self.pos;
        self.pos += 1;
        let Some(letter) = self.current_char() else {
            let message = format!("escape at the end of the input in a {}", kind.noun());
            return Err(self.error_at(start, message));
        };
        self.pos += letter.len_utf8();

        let code = match letter {
            'a' => 0x07,
            'b' => 0x08,
            't' => 0x09,
            'n' => 0x0a,
            'v' => 0x0b,
            'f' => 0x0c,
            'r' => 0x0d,
            '0' => 0x00,
            '"' | '\'' | '?' | '/' | '\\' => u32::from(letter),
            // A backslash before a line break joins the lines.
            '\n' => return Ok(()),
            '\r' => {
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
                return Ok(());
            }
            'x' => self.hex_escape(start, 2)?,
            'u' | 'U' if kind == TextKind::Clob => {
                let message = format!("\\{letter} escapes are not allowed in a clob: use \\xHH");
                return Err(self.error_at(start, message));
            }
            'u' => {
                let unit = self.hex_escape(start, 4)?;
                self.surrogate_pair(start, unit)?
            }
            'U' => self.hex_escape(start, 8)?,
            _ => {
                let message = format!(
                    "invalid escape \\{letter} in a {}: expected one of \\a \\b \\t \\n \\f \
                     \\r \\v \\0 \\\" \\' \\? \\/ \\\\ \\xHH \\uHHHH \\UHHHHHHHH",
                    kind.noun()
                );
                return Err(self.error_at(start, message));
            }
        };

        match char::from_u32(code) {
            Some(c) => {
                text.push(c);
                Ok(())
            }
            None => {
                let message = format!("escape \\U{code:08X} is not a Unicode code point");
                Err(self.error_at(start, message))
            }
        }
    }

    /// `count` hexadecimal digits of an escape that started at `start`.
    fn hex_escape(&mut self, start: usize, count: usize) -> Result<u32, IonError> {
        let mut code: u32 = 0;
        for _ in 0..count {
            let digit = self.peek().and_then(|byte| char::from(byte).to_digit(16));
            let Some(digit) = digit else {
                let message = format!("expected {count} hexadecimal digits in this escape");
                return Err(self.error_at(start, message));
            };
            code = code.saturating_mul(16).saturating_add(digit);
            self.pos += 1;
        }
        Ok(code)
    }

    /// Joins a `\uHHHH` high surrogate with the `\uHHHH` low surrogate that must follow it.
    fn surrogate_pair(&mut self, start: usize, unit: u32) -> Result<u32, IonError> {
        match unit {
            0xd800..=0xdbff => {
                let second = self.pos;
                if self.looking_at("\\u") {
                    self.pos += 2;
                    let low = self.hex_escape(second, 4)?;
                    if (0xdc00..=0xdfff).contains(&low) {
                        return Ok(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00));
                    }
                }
                let message = format!("escape \\u{unit:04X} is a lone high surrogate");
                Err(self.error_at(start, message))
            }
            0xdc00..=0xdfff => {
                let message = format!("escape \\u{unit:04X} is a lone low surrogate");
                Err(self.error_at(start, message))
            }
            _ => Ok(unit),
        }
    }

    /// Whether a timestamp starts here: four digits, then '-' or 'T'.
    fn at_timestamp(&self) -> bool {
        (0..4).all(|ahead| self.byte(ahead).is_some_and(|byte| byte.is_ascii_digit()))
            && matches!(self.byte(4), Some(b'-' | b'T'))
    }

    fn timestamp(&mut self) -> Result<IonKind, IonError> {
        let start = self.pos;
        let mut timestamp = Timestamp {
            precision: TimestampPrecision::Year,
            year: 0,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            fraction: String::new(),
            offset_minutes: None,
        };

        timestamp.year = self.fixed_digits(4, "year", start)?;
        if !self.eat(b'T') {
            self.expect(b'-', "'-' or 'T' after the year", start)?;
            timestamp.month = self.timestamp_part("month", start)?;
            timestamp.precision = TimestampPrecision::Month;
            if !self.eat(b'T') {
                self.expect(b'-', "'-' or 'T' after the month", start)?;
                timestamp.day = self.timestamp_part("day", start)?;
                timestamp.precision = TimestampPrecision::Day;
                if self.eat(b'T') && matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.time_of_day(&mut timestamp, start)?;
                }
            }
        }
        self.expect_end_of_token("timestamp", start)?;

        let problem = if timestamp.year == 0 {
            Some("the year must be from 0001 to 9999".to_string())
        } else if !(1..=12).contains(&timestamp.month) {
            Some(format!("month {} does not exist", timestamp.month))
        } else if !is_valid_date(i64::from(timestamp.year), timestamp.month, timestamp.day) {
            Some(format!(
                "day {} does not exist in month {} of {}",
                timestamp.day, timestamp.month, timestamp.year
            ))
        } else if timestamp.hour > 23 || timestamp.minute > 59 || timestamp.second > 59 {
            Some("the time must be from 00:00:00 to 23:59:59".to_string())
        } else {
            None
        };
        match problem {
            Some(problem) => {
                let written = self.text.get(start..self.pos).unwrap_or_default();
                Err(self.error_at(start, format!("invalid timestamp {written}: {problem}")))
            }
            None => Ok(IonKind::Timestamp(timestamp)),
        }
    }

    /// `hh:mm`, optional `:ss` and `.fraction`, then the offset, after a date and its 'T'.
    fn time_of_day(&mut self, timestamp: &mut Timestamp, start: usize) -> Result<(), IonError> {
        timestamp.hour = self.timestamp_part("hour", start)?;
        self.expect(b':', "':' after the hour", start)?;
        timestamp.minute = self.timestamp_part("minute", start)?;
        timestamp.precision = TimestampPrecision::Minute;
        if self.eat(b':') {
            timestamp.second = self.timestamp_part("second", start)?;
            timestamp.precision = TimestampPrecision::Second;
            if self.eat(b'.') {
                while let Some(digit) = self.peek().filter(u8::is_ascii_digit) {
                    timestamp.fraction.push(char::from(digit));
                    self.pos += 1;
                }
                if timestamp.fraction.is_empty() {
                    return Err(self.timestamp_error("digits after '.'", start));
                }
            }
        }

        // A time needs an offset; -00:00 says the local offset is unknown.
        let sign = match self.peek() {
            Some(b'Z') => {
                self.pos += 1;
                timestamp.offset_minutes = Some(0);
                return Ok(());
            }
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => {
                let expected = "an offset (Z, +hh:mm or -hh:mm) after the time";
                return Err(self.timestamp_error(expected, start));
            }
        };
        self.pos += 1;
        let hours = self.timestamp_part("offset hours", start)?;
        self.expect(b':', "':' in the offset", start)?;
        let minutes = self.timestamp_part("offset minutes", start)?;
        if hours > 23 || minutes > 59 {
            let written = self.text.get(start..self.pos).unwrap_or_default();
            let message = format!("invalid timestamp {written}: the offset must be below 24:00");
            return Err(self.error_at(start, message));
        }
        let total = i32::from(hours) * 60 + i32::from(minutes);
        timestamp.offset_minutes = (sign > 0 || total > 0).then_some(sign * total);
        Ok(())
    }

    fn timestamp_part(&mut self, what: &str, start: usize) -> Result<u8, IonError> {
        let value = self.fixed_digits(2, what, start)?;
        Ok(u8::try_from(value).unwrap_or(u8::MAX))
    }

    /// Exactly `count` digits of a timestamp that starts at `start`.
    fn fixed_digits(&mut self, count: usize, what: &str, start: usize) -> Result<u16, IonError> {
        let mut value: u16 = 0;
        for _ in 0..count {
            let Some(digit) = self.peek().filter(u8::is_ascii_digit) else {
                let expected = format!("{count} digits for the {what}");
                return Err(self.timestamp_error(&expected, start));
            };
            value = value * 10 + u16::from(digit - b'0');
            self.pos += 1;
        }
        Ok(value)
    }

    fn expect(&mut self, byte: u8, expected: &str, start: usize) -> Result<(), IonError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.timestamp_error(expected, start))
        }
    }

    fn timestamp_error(&self, expected: &str, start: usize) -> IonError {
        let written = self.text.get(start..self.pos).unwrap_or_default();
        let message = format!(
            "invalid timestamp {written}: expected {expected}, found {}",
            self.found()
        );
        self.error_here(message)
    }

    /// An integer, a decimal or a float (not a timestamp, not an infinity).
    fn number(&mut self) -> Result<IonKind, IonError> {
        let start = self.pos;
        let negative = self.eat(b'-');
        let sign = if negative { "-" } else { "" };
        if self.peek() == Some(b'0') && matches!(self.byte(1), Some(b'x' | b'X' | b'b' | b'B')) {
            return self.radix_integer(start, negative);
        }

        let integer = self.digits(|byte| byte.is_ascii_digit())?;
        if integer.len() > 1 && integer.starts_with('0') {
            let message = format!("invalid number: leading zeros are not allowed in {integer}");
            return Err(self.error_at(start, message));
        }
        let fraction = if self.eat(b'.') {
            Some(self.digits(|byte| byte.is_ascii_digit())?)
        } else {
            None
        };
        let exponent_letter = self.peek().filter(|byte| b"eEdD".contains(byte));
        let exponent = match exponent_letter {
            Some(_) => {
                self.pos += 1;
                Some(self.exponent(start)?)
            }
            None => None,
        };
        self.expect_end_of_token("number", start)?;

        let is_float = matches!(exponent_letter, Some(b'e' | b'E'));
        if is_float {
            let fraction = fraction.as_deref().filter(|digits| !digits.is_empty());
            let exponent = exponent.as_deref().unwrap_or("0");
            let text = format!("{sign}{integer}.{}e{exponent}", fraction.unwrap_or("0"));
            return match (self.number)(&text) {
                Some(number) => Ok(IonKind::Float(number)),
                None => Err(self.error_at(start, format!("invalid float {text}"))),
            };
        }

        if fraction.is_some() || exponent.is_some() {
            let fraction = fraction.unwrap_or_default();
            let written: i64 = match exponent.as_deref().unwrap_or("0").parse() {
                Ok(written) => written,
                Err(_) => return Err(self.error_at(start, "decimal exponent is out of range")),
            };
            let shift = i64::try_from(fraction.len()).unwrap_or(i64::MAX);
            let Some(exponent) = written.checked_sub(shift) else {
                return Err(self.error_at(start, "decimal exponent is out of range"));
            };
            let digits = format!("{integer}{fraction}");
            let significant = digits.trim_start_matches('0');
            let coefficient = if significant.is_empty() {
                "0"
            } else {
                significant
            };
            return Ok(IonKind::Decimal(IonDecimal {
                negative,
                coefficient: coefficient.to_string(),
                exponent,
            }));
        }

        Ok(IonKind::Int(integer_from_decimal(&format!(
            "{sign}{integer}"
        ))))
    }

    /// `0x...` or `0b...` after an optional '-' that started at `start`.
    fn radix_integer(&mut self, start: usize, negative: bool) -> Result<IonKind, IonError> {
        let hexadecimal = matches!(self.byte(1), Some(b'x' | b'X'));
        self.pos += 2;
        let (radix, name) = if hexadecimal {
            (16, "hexadecimal")
        } else {
            (2, "binary")
        };

        let digits = if hexadecimal {
            self.digits(|byte| byte.is_ascii_hexdigit())?
        } else {
            self.digits(|byte| matches!(byte, b'0' | b'1'))?
        };
        if digits.is_empty() {
            let message = format!("expected {name} digits, found {}", self.found());
            return Err(self.error_here(message));
        }
        self.expect_end_of_token("number", start)?;

        let significant = digits.trim_start_matches('0');
        if significant.len() > MAX_RADIX_DIGITS {
            let message = format!("{name} integer has more than {MAX_RADIX_DIGITS} digits");
            return Err(self.error_at(start, message));
        }
        let magnitude = radix_to_decimal(significant, radix);
        let sign = if negative && magnitude != "0" {
            "-"
        } else {
            ""
        };
        Ok(IonKind::Int(integer_from_decimal(&format!(
            "{sign}{magnitude}"
        ))))
    }

    /// Digits that satisfy `is_digit`, with single underscores allowed between two of them.
    fn digits(&mut self, is_digit: fn(&u8) -> bool) -> Result<String, IonError> {
        let mut digits = String::new();
        while let Some(byte) = self.peek() {
            if is_digit(&byte) {
                digits.push(char::from(byte));
                self.pos += 1;
            } else if byte == b'_'
                && !digits.is_empty()
                && self.byte(1).is_some_and(|b| is_digit(&b))
            {
                self.pos += 1;
            } else if byte == b'_' {
                let message = "invalid number: '_' may only stand between two digits";
                return Err(self.error_here(message));
            } else {
                break;
            }
        }
        Ok(digits)
    }

    /// The exponent after 'e' or 'd': an optional sign, then digits.
    fn exponent(&mut self, start: usize) -> Result<String, IonError> {
        let mut text = String::new();
        if let Some(sign) = self.peek().filter(|byte| matches!(byte, b'+' | b'-')) {
            text.push(char::from(sign));
            self.pos += 1;
        }
        let before = text.len();
        while let Some(digit) = self.peek().filter(u8::is_ascii_digit) {
            text.push(char::from(digit));
            self.pos += 1;
        }
        if text.len() == before {
            let written = self.text.get(start..self.pos).unwrap_or_default();
            let message = format!(
                "invalid number {written}: expected digits in the exponent, found {}",
                self.found()
            );
            return Err(self.error_here(message));
        }
        Ok(text)
    }

    /// Numbers and timestamps must be followed by a delimiter: `1a` is not a number.
    fn expect_end_of_token(&self, what: &str, start: usize) -> Result<(), IonError> {
        let ends = match self.peek() {
            None => true,
            Some(byte) => is_whitespace(byte) || b",]})([{\"'".contains(&byte) || self.at_comment(),
        };
        if ends {
            return Ok(());
        }
        let written = self.text.get(start..self.pos).unwrap_or_default();
        let message = format!("unexpected {} after the {what} {written}", self.found());
        Err(self.error_here(message))
    }

    /// Whether `+inf` or `-inf` stands here as a whole token.
    fn at_infinity(&self) -> bool {
        if !(self.looking_at("+inf") || self.looking_at("-inf")) {
            return false;
        }
        match self.byte(4) {
            None => true,
            Some(byte) => {
                is_whitespace(byte) || b",]})([{\"'".contains(&byte) || self.at_comment_at(4)
            }
        }
    }

    fn operator(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_operator) && !self.at_comment() {
            self.pos += 1;
        }
        self.text
            .get(start..self.pos)
            .unwrap_or_default()
            .to_string()
    }

    fn identifier(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_identifier_part) {
            self.pos += 1;
        }
        let text: &'a str = self.text;
        text.get(start..self.pos).unwrap_or_default()
    }

    /// Skips whitespace and comments.
    fn skip_space(&mut self) -> Result<(), IonError> {
        loop {
            self.skip_whitespace();
            if self.looking_at("//") {
                let rest = self.text.get(self.pos..).unwrap_or_default();
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if self.looking_at("/*") {
                let rest = self.text.get(self.pos + 2..).unwrap_or_default();
                match rest.find("*/") {
                    Some(length) => self.pos += 2 + length + 2,
                    None => {
                        let message = "comment is not closed: expected */ before the end of \
                                       the input";
                        return Err(self.error_here(message));
                    }
                }
            } else {
                return Ok(());
            }
        }
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(is_whitespace) {
            self.pos += 1;
        }
    }

    fn at_comment(&self) -> bool {
        self.at_comment_at(0)
    }

    fn at_comment_at(&self, ahead: usize) -> bool {
        self.byte(ahead) == Some(b'/') && matches!(self.byte(ahead + 1), Some(b'/' | b'*'))
    }

    fn byte(&self, ahead: usize) -> Option<u8> {
        self.text
            .as_bytes()
            .get(self.pos.checked_add(ahead)?)
            .copied()
    }

    fn peek(&self) -> Option<u8> {
        self.byte(0)
    }

    fn current_char(&self) -> Option<char> {
        self.text.get(self.pos..)?.chars().next()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn looking_at(&self, expected: &str) -> bool {
        self.text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(expected))
    }

    /// Describes what stands at the current position, for error messages.
    fn found(&self) -> String {
        if self.looking_at("::") {
            return "'::'".to_string();
        }
        match self.current_char() {
            None => "the end of the input".to_string(),
            Some('\n' | '\r') => "the end of the line".to_string(),
            Some(c) if c.is_control() => format!("control character U+{:04X}", u32::from(c)),
            Some(c) => format!("'{c}'"),
        }
    }

    fn error_here(&self, message: impl Into<String>) -> IonError {
        self.error_at(self.pos, message)
    }

    fn error_at(&self, at: usize, message: impl Into<String>) -> IonError {
        let before = self.text.get(..at).unwrap_or(self.text);
        let mut line = 1;
        let mut column = 1;
        let mut chars = before.chars().peekable();
        while let Some(c) = chars.next() {
            // CR LF, CR and LF each end a line.
            let ends_line = c == '\n' || (c == '\r' && chars.peek() != Some(&'\n'));
            if ends_line {
                line += 1;
                column = 1;
            } else if c != '\r' {
                column += 1;
            }
        }
        IonError {
            line,
            column,
            message: message.into(),
        }
    }
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_identifier_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte == b'$'
}

fn is_identifier_part(byte: u8) -> bool {
    is_identifier_start(byte) || byte.is_ascii_digit()
}

/// Characters of the operator symbols that s-expressions allow unquoted, such as `+` or `<=`.
fn is_operator(byte: u8) -> bool {
    b"!#%&*+-./;<=>?@^`|~".contains(&byte)
}

/// `$ion_` then digits, '_' and digits: the form of an Ion version marker.
fn is_version_marker(text: &str) -> bool {
    let Some(version) = text.strip_prefix("$ion_") else {
        return false;
    };
    let mut parts = version.split('_');
    let numeric = |part: Option<&str>| {
        part.is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
    };
    numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none()
}

/// An integer from its decimal text: an optional '-' and digits without leading zeros.
fn integer_from_decimal(text: &str) -> IonInt {
    match text.parse() {
        Ok(small) => IonInt::I64(small),
        Err(_) => IonInt::Big(text.to_string()),
    }
}

/// Decimal text of the number written with `digits` (no leading zeros) in base `radix`.
fn radix_to_decimal(digits: &str, radix: u32) -> String {
    const LIMB: u64 = 1_000_000_000;

    // Little-endian limbs of nine decimal digits each.
    let mut limbs: Vec<u64> = vec![0];
    for digit in digits.chars() {
        let mut carry = u64::from(digit.to_digit(radix).unwrap_or(0));
        for limb in limbs.iter_mut() {
            let value = *limb * u64::from(radix) + carry;
            *limb = value % LIMB;
            carry = value / LIMB;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }

    let mut text = String::new();
    for (index, limb) in limbs.iter().rev().enumerate() {
        if index == 0 {
            text.push_str(&limb.to_string());
        } else {
            text.push_str(&format!("{limb:09}"));
        }
    }
    text
}

/// Bytes of base64 `digits` (whitespace removed), or what is wrong with them.
fn decode_base64(digits: &[u8]) -> Result<Vec<u8>, String> {
    if digits.len() % 4 != 0 {
        return Err(format!(
            "{} base64 digits: the count must be a multiple of 4 (pad with '=')",
            digits.len()
        ));
    }
    let padding = digits
        .iter()
        .rev()
        .take_while(|&&byte| byte == b'=')
        .count();
    let body = digits.get(..digits.len() - padding).unwrap_or_default();
    if padding > 2 || body.contains(&b'=') {
        return Err("'=' may only pad the last one or two digits".to_string());
    }

    let mut bytes = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let mut bits: u32 = 0;
    let mut bit_count = 0;
    for &digit in body {
        let sextet = match digit {
            b'A'..=b'Z' => digit - b'A',
            b'a'..=b'z' => digit - b'a' + 26,
            b'0'..=b'9' => digit - b'0' + 52,
            b'+' => 62,
            _ => 63,
        };
        bits = (bits << 6) | u32::from(sextet);
        bit_count += 6;
        if bit_count >= 8 {
            bit_count -= 8;
            bytes.push((bits >> bit_count) as u8);
            bits &= (1 << bit_count) - 1;
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASIC: &str = include_str!("../tests/data/ion/basic.ion");
    const CORRUPTED: &str = include_str!("../tests/data/ion/corrupted.ion");
    const DATETIME: &str = include_str!("../tests/data/ion/datetime.ion");
    const EMPLOYEES: &str = include_str!("../tests/data/ion/employees.ion");
    const EMPTY: &str = include_str!("../tests/data/ion/empty.ion");
    const ISO_8601: &str = include_str!("../tests/data/ion/iso_8601.ion");

    const NOT_DATETIME: &str = include_str!("../tests/data/ion/not_datetime.ion");

    /// The kinds of every top-level value, which must carry no annotations.
    fn kinds(text: &str) -> Vec<IonKind> {
        let values = parse(text).unwrap_or_else(|error| panic!("{text:?}: {error}"));
        values
            .into_iter()
            .map(|value| {
                assert!(
                    value.annotations.is_empty(),
                    "{text:?}: {:?}",
                    value.annotations
                );
                value.kind
            })
            .collect()
    }

    /// The kind of the only top-level value.
    fn kind(text: &str) -> IonKind {
        let mut all = kinds(text);
        assert_eq!(all.len(), 1, "{text:?}: {all:?}");
        all.remove(0)
    }

    fn error(text: &str) -> IonError {
        match parse(text) {
            Ok(values) => panic!("{text:?} was read as {values:?}"),
            Err(error) => error,
        }
    }

    /// Asserts that `text` fails at `line`, `column` with a message containing `part`.
    fn assert_error(text: &str, line: usize, column: usize, part: &str) {
        let error = error(text);
        assert_eq!(
            (error.line, error.column),
            (line, column),
            "{text:?}: {error}"
        );
        assert!(error.message.contains(part), "{text:?}: {error}");
    }

    fn int(n: i64) -> IonKind {
        IonKind::Int(IonInt::I64(n))
    }

    fn big(text: &str) -> IonKind {
        IonKind::Int(IonInt::Big(text.to_string()))
    }

    fn string(text: &str) -> IonKind {
        IonKind::String(text.to_string())
    }

    fn symbol(text: &str) -> IonKind {
        IonKind::Symbol(text.to_string())
    }

    fn decimal(negative: bool, coefficient: &str, exponent: i64) -> IonKind {
        IonKind::Decimal(IonDecimal {
            negative,
            coefficient: coefficient.to_string(),
            exponent,
        })
    }

    fn timestamp(text: &str) -> Timestamp {
        match kind(text) {
            IonKind::Timestamp(timestamp) => timestamp,
            other => panic!("{text:?} was read as {other:?}"),
        }
    }

    fn plain_string(text: &str) -> PlainValue {
        PlainValue::String(text.to_string())
    }

    fn local(year: i32, month: u8, day: u8, time: (u8, u8, u8), fraction: &str) -> DateTime {
        DateTime {
            year,
            month,
            day,
            hour: time.0,
            minute: time.1,
            second: time.2,
            fraction: fraction.to_string(),
            offset_minutes: None,
        }
    }

    fn with_offset(date_time: DateTime, offset_minutes: i32) -> DateTime {
        DateTime {
            offset_minutes: Some(offset_minutes),
            ..date_time
        }
    }

    fn field<'v>(object: &'v PlainValue, name: &str) -> &'v PlainValue {
        match object {
            PlainValue::Object(fields) => fields
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value)
                .unwrap_or_else(|| panic!("no field {name} in {object:?}")),
            other => panic!("not an object: {other:?}"),
        }
    }

    fn read_one_string(text: &str) -> PlainValue {
        let mut values = read(text).unwrap_or_else(|error| panic!("{text:?}: {error}"));
        assert_eq!(values.len(), 1);
        values.remove(0)
    }

    // Fixtures, read as the Python client reads them.

    #[test]
    fn basic_fixture_is_one_row() {
        let expected = PlainValue::Object(vec![
            ("key".to_string(), plain_string("value")),
            (
                "list".to_string(),
                PlainValue::List(vec![
                    PlainValue::Number(1.0),
                    PlainValue::Number(2.0),
                    PlainValue::Number(3.0),
                ]),
            ),
        ]);
        assert_eq!(read(BASIC), Ok(vec![expected]));
    }

    #[test]
    fn datetime_fixture_gives_local_date_times() {
        let rows = read(DATETIME).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        let start = local(2024, 4, 21, (13, 43, 24), "340");
        let end = local(2024, 4, 21, (13, 43, 33), "992");
        assert_eq!(
            field(&rows[0], "start_date"),
            &PlainValue::DateTime(start.clone())
        );
        assert_eq!(field(&rows[0], "end_date"), &PlainValue::DateTime(end));
        assert_eq!(start.epoch_millis(), 1_713_707_004_340.0);

        // The parsed value keeps the annotation.
        let parsed = parse(DATETIME).unwrap_or_default();
        let IonKind::Struct(fields) = &parsed[0].kind else {
            panic!("not a struct: {parsed:?}");
        };
        assert_eq!(fields[0].1.annotations, vec!["LocalDateTime".to_string()]);
        assert_eq!(fields[0].1.kind, string("2024-04-21T13:43:24.340"));
    }

    #[test]
    fn employees_fixture_has_numbers_dates_and_nulls() {
        let rows = read(EMPLOYEES).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        let king = &rows[0];
        assert_eq!(field(king, "employee_id"), &PlainValue::Number(100.0));
        assert_eq!(field(king, "first_name"), &plain_string("Steven"));
        assert_eq!(field(king, "phone_number"), &plain_string("515.123.4567"));
        let hire_date = local(1987, 6, 17, (0, 0, 0), "");
        assert_eq!(field(king, "hire_date"), &PlainValue::DateTime(hire_date));
        assert_eq!(field(king, "salary"), &PlainValue::Number(24000.0));
        assert_eq!(field(king, "commission_pct"), &PlainValue::Null);
        assert_eq!(field(king, "manager_id"), &PlainValue::Null);
        assert_eq!(field(king, "department_id"), &PlainValue::Number(90.0));
        let kochhar = &rows[1];
        assert_eq!(field(kochhar, "manager_id"), &PlainValue::Number(100.0));
        let hire_date = local(1989, 9, 21, (0, 0, 0), "");
        assert_eq!(
            field(kochhar, "hire_date"),
            &PlainValue::DateTime(hire_date)
        );

        // Decimals keep their precision until converted.
        let parsed = parse(EMPLOYEES).unwrap_or_default();
        let IonKind::Struct(fields) = &parsed[0].kind else {
            panic!("not a struct: {parsed:?}");
        };
        assert_eq!(fields[0].1.kind, decimal(false, "100000000", -6));
        assert_eq!(fields.len(), 11);
    }

    #[test]
    fn empty_fixture_has_no_rows() {
        assert_eq!(read(EMPTY), Ok(Vec::new()));
        assert_eq!(read(" \n// nothing\n/* at all */\n"), Ok(Vec::new()));
    }

    #[test]
    fn iso_8601_fixture_gives_date_times_with_offsets() {
        let rows = read(ISO_8601).unwrap_or_default();
        let values: Vec<&PlainValue> = rows
            .iter()
            .map(|row| field(row, "iso_8601_column"))
            .collect();
        let expected = [
            with_offset(local(2023, 12, 31, (23, 59, 59), ""), 0),
            with_offset(local(2023, 10, 4, (15, 30, 0), ""), 120),
            with_offset(local(2023, 10, 4, (15, 30, 0), "123456"), 120),
        ];
        assert_eq!(values.len(), 3);
        for (value, expected) in values.iter().zip(expected.iter()) {
            assert_eq!(*value, &PlainValue::DateTime(expected.clone()));
        }
        assert_eq!(expected[2].nanosecond(), 123_456_000);
        assert_eq!(expected[2].epoch_millis(), 1_696_426_200_123.0);
        assert_eq!(expected[0].epoch_millis(), 1_704_067_199_000.0);
    }

    #[test]
    fn not_datetime_fixture_keeps_the_string() {
        let rows = read(NOT_DATETIME).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            field(&rows[0], "not_datetime_column"),
            &plain_string("931811085135341")
        );
    }

    #[test]
    fn corrupted_fixture_names_the_unclosed_string() {
        let error = error(CORRUPTED);
        assert_eq!((error.line, error.column), (1, 6));
        assert_eq!(
            error.message,
            "string is not closed: expected \" before the end of the input"
        );
        assert_eq!(
            error.to_string(),
            "line 1, column 6: string is not closed: expected \" before the end of the input"
        );
    }

    // Nulls and booleans.

    #[test]
    fn nulls_plain_and_typed() {
        assert_eq!(kind("null"), IonKind::Null(IonType::Null));
        let names =
            "null bool int float decimal timestamp string symbol blob clob struct list sexp";
        for name in names.split(' ') {
            let ion_type = IonType::from_name(name);
            assert_eq!(ion_type.map(IonType::name), Some(name));
            assert_eq!(
                kind(&format!("null.{name}")),
                IonKind::Null(ion_type.unwrap_or(IonType::Null))
            );
        }
        assert_error("null.text", 1, 1, "unknown type in null.text");
        assert_error("[null.]", 1, 2, "unknown type in null.");
        assert_eq!(read("null.string"), Ok(vec![PlainValue::Null]));
    }

    #[test]
    fn booleans() {
        assert_eq!(
            kinds("true false"),
            vec![IonKind::Bool(true), IonKind::Bool(false)]
        );
        assert_eq!(kind("truex"), symbol("truex"));
    }

    // Integers.

    #[test]
    fn decimal_integers() {
        assert_eq!(
            kinds("0 -0 7 -42 1_000_000"),
            vec![int(0), int(0), int(7), int(-42), int(1_000_000)]
        );
        assert_eq!(kind("9223372036854775807"), int(i64::MAX));
        assert_eq!(kind("-9223372036854775808"), int(i64::MIN));
    }

    #[test]
    fn integers_beyond_i64_are_kept_exactly() {
        assert_eq!(kind("9223372036854775808"), big("9223372036854775808"));
        assert_eq!(kind("-9223372036854775809"), big("-9223372036854775809"));
        assert_eq!(
            kind("123_456_789_012_345_678_901_234_567_890"),
            big("123456789012345678901234567890")
        );
        assert_eq!(
            kind("0xFFFF_FFFF_FFFF_FFFF_FFFF"),
            big("1208925819614629174706175")
        );
        assert_eq!(kind("-0x8000000000000000"), int(i64::MIN));
        assert_eq!(kind("0x8000000000000000"), big("9223372036854775808"));
        let binary = format!("0b1{}", "0".repeat(64));
        assert_eq!(kind(&binary), big("18446744073709551616"));
    }

    #[test]
    fn hexadecimal_and_binary_integers() {
        assert_eq!(
            kinds("0x0 0xff -0x1F 0XaB_cD 0x00ff 0b0 0b101 -0B1_0 -0x0"),
            vec![
                int(0),
                int(255),
                int(-31),
                int(0xabcd),
                int(255),
                int(0),
                int(5),
                int(-2),
                int(0)
            ]
        );
    }

    #[test]
    fn malformed_integers() {
        assert_error("007", 1, 1, "leading zeros");
        assert_error("1__0", 1, 2, "'_' may only stand between two digits");
        assert_error("1_", 1, 2, "'_'");
        assert_error("0x_1", 1, 3, "'_'");
        assert_error("0x", 1, 3, "expected hexadecimal digits");
        assert_error("0b102", 1, 5, "unexpected '2' after the number 0b10");
        assert_error("12abc", 1, 3, "unexpected 'a' after the number 12");
        assert_error("+1", 1, 1, "only +inf may start with '+'");
        assert_error("- 1", 1, 1, "expected a value, found '-'");
        let huge = format!("0x{}", "f".repeat(MAX_RADIX_DIGITS + 1));
        assert_error(&huge, 1, 1, "more than 4096 digits");
    }

    #[test]
    fn integers_to_plain_numbers_or_big_ints() {
        let plain = read(
            "9007199254740992 -9007199254740992 9007199254740993 -9223372036854775808 \
                          99999999999999999999",
        )
        .unwrap_or_default();
        assert_eq!(
            plain,
            vec![
                PlainValue::Number(9_007_199_254_740_992.0),
                PlainValue::Number(-9_007_199_254_740_992.0),
                PlainValue::BigInt("9007199254740993".to_string()),
                PlainValue::BigInt("-9223372036854775808".to_string()),
                PlainValue::BigInt("99999999999999999999".to_string()),
            ]
        );
    }

    // Decimals and floats.

    #[test]
    fn decimals_keep_digits_and_exponent() {
        assert_eq!(kind("100.000000"), decimal(false, "100000000", -6));
        assert_eq!(kind("1.5d-3"), decimal(false, "15", -4));
        assert_eq!(kind("-0."), decimal(true, "0", 0));
        assert_eq!(kind("0.001"), decimal(false, "1", -3));
        assert_eq!(kind("1d2"), decimal(false, "1", 2));
        assert_eq!(kind("123."), decimal(false, "123", 0));
        assert_eq!(kind("-1.50D+1"), decimal(true, "150", -1));
        assert_eq!(kind("1_000.000_1"), decimal(false, "10000001", -4));
        assert_error("1.5d", 1, 5, "expected digits in the exponent");
        assert_error("1.5.3", 1, 4, "unexpected '.'");
        assert_error("1d99999999999999999999", 1, 1, "exponent is out of range");
    }

    #[test]
    fn decimals_to_plain_numbers() {
        let plain = read("100.000000 1.5d-3 -0. 0.1 1d400").unwrap_or_default();
        assert_eq!(plain.len(), 5);
        assert_eq!(plain[0], PlainValue::Number(100.0));
        assert_eq!(plain[1], PlainValue::Number(0.0015));
        let PlainValue::Number(negative_zero) = plain[2] else {
            panic!("{plain:?}");
        };
        assert!(negative_zero == 0.0 && negative_zero.is_sign_negative());
        assert_eq!(plain[3], PlainValue::Number(0.1));
        assert_eq!(plain[4], PlainValue::Number(f64::INFINITY));
    }

    #[test]
    fn floats_and_special_values() {
        assert_eq!(
            kinds("1e0 -1.5e3 1.0E-2 2.e1 1_0e1 +inf -inf"),
            vec![
                IonKind::Float(1.0),
                IonKind::Float(-1500.0),
                IonKind::Float(0.01),
                IonKind::Float(20.0),
                IonKind::Float(100.0),
                IonKind::Float(f64::INFINITY),
                IonKind::Float(f64::NEG_INFINITY),
            ]
        );
        assert!(matches!(kind("nan"), IonKind::Float(value) if value.is_nan()));
        assert!(matches!(kind("-0e0"), IonKind::Float(value) if value.is_sign_negative()));
        assert_eq!(
            kind("[+inf,-inf]"),
            IonKind::List(vec![
                IonValue::new(IonKind::Float(f64::INFINITY)),
                IonValue::new(IonKind::Float(f64::NEG_INFINITY)),
            ])
        );
        assert_error("1e", 1, 3, "expected digits in the exponent");
        assert_error("+infinity", 1, 1, "only +inf");
        assert_error("-nan", 1, 1, "expected a value, found '-'");
    }

    // Timestamps.

    #[test]
    fn timestamps_of_each_precision() {
        let year = timestamp("2007T");
        assert_eq!(
            (year.precision, year.year, year.month, year.day),
            (TimestampPrecision::Year, 2007, 1, 1)
        );
        let month = timestamp("2007-02T");
        assert_eq!(
            (month.precision, month.month),
            (TimestampPrecision::Month, 2)
        );
        let day = timestamp("1987-06-17");
        assert_eq!(
            (day.precision, day.day, day.offset_minutes),
            (TimestampPrecision::Day, 17, None)
        );
        assert_eq!(timestamp("1987-06-17T"), day);
        let minute = timestamp("2007-02-23T12:14Z");
        assert_eq!(
            (
                minute.precision,
                minute.hour,
                minute.minute,
                minute.offset_minutes
            ),
            (TimestampPrecision::Minute, 12, 14, Some(0))
        );
        let second = timestamp("2024-04-21T13:43:24.34Z");
        assert_eq!(
            (second.precision, second.second, second.fraction.as_str()),
            (TimestampPrecision::Second, 24, "34")
        );
    }

    #[test]
    fn timestamp_offsets() {
        assert_eq!(
            timestamp("2007-02-23T12:14:33+02:00").offset_minutes,
            Some(120)
        );
        assert_eq!(
            timestamp("2007-02-23T12:14:33-08:30").offset_minutes,
            Some(-510)
        );
        assert_eq!(
            timestamp("2007-02-23T12:14:33+00:00").offset_minutes,
            Some(0)
        );
        // -00:00: the time is UTC, the local offset unknown.
        assert_eq!(timestamp("2007-02-23T12:14:33-00:00").offset_minutes, None);
        let plain = read("2007-02-23T12:14:33-08:30").unwrap_or_default();
        let PlainValue::DateTime(date_time) = &plain[0] else {
            panic!("{plain:?}");
        };
        assert_eq!(date_time.epoch_millis(), 1_172_263_473_000.0);
    }

    #[test]
    fn timestamps_in_containers_and_leap_days() {
        assert_eq!(timestamp("2024-02-29").day, 29);
        assert_eq!(timestamp("2000-02-29T00:00Z").day, 29);
        let IonKind::Struct(fields) = kind("{d:1987-06-17,e:2007T}") else {
            panic!("not a struct");
        };
        assert_eq!(fields.len(), 2);
    }

    #[test]
    fn malformed_timestamps() {
        assert_error(
            "2023-02-29",
            1,
            1,
            "day 29 does not exist in month 2 of 2023",
        );
        assert_error("1900-02-29", 1, 1, "day 29 does not exist");
        assert_error("2007-04-31", 1, 1, "day 31 does not exist");
        assert_error("2007-13T", 1, 1, "month 13 does not exist");
        assert_error("2007-00-01", 1, 1, "month 0 does not exist");
        assert_error("0000T", 1, 1, "the year must be from 0001 to 9999");
        assert_error("2007-02-23T12:14", 1, 17, "expected an offset");
        assert_error("2007-02-23T24:00Z", 1, 1, "the time must be");
        assert_error("2007-02-23T12:60Z", 1, 1, "the time must be");
        assert_error("2007-02-23T12:14:33.Z", 1, 21, "expected digits after '.'");
        assert_error(
            "2007-02-23T12:14+24:00",
            1,
            1,
            "the offset must be below 24:00",
        );
        assert_error(
            "2007-02-23T12:14+2:00",
            1,
            19,
            "2 digits for the offset hours",
        );
        assert_error("2007-2-23", 1, 7, "2 digits for the month, found '-'");
        assert_error("2007-", 1, 6, "found the end of the input");
        assert_error(
            "2007-02-23T12:14Zx",
            1,
            18,
            "unexpected 'x' after the timestamp",
        );
        assert_error("2007-02-23x", 1, 11, "unexpected 'x' after the timestamp");
    }

    // Strings.

    #[test]
    fn string_escapes() {
        assert_eq!(
            kind(r#""a\nb\t\"\\\/\?\'\0\a\b\f\r\v""#),
            string("a\nb\t\"\\/?'\0\u{7}\u{8}\u{c}\r\u{b}")
        );
        assert_eq!(kind(r#""\x41\xe9\u00e9\U0001F600""#), string("Aéé😀"));
        assert_eq!(kind(r#""\uD83D\uDE00""#), string("😀"));
        assert_eq!(kind("\"a\\\nb\""), string("ab"));
        assert_eq!(kind("\"a\\\r\nb\""), string("ab"));
        assert_eq!(kind("\"a\\\rb\""), string("ab"));
        assert_eq!(kind("\"tab\there é ✓\""), string("tab\there é ✓"));
        assert_eq!(kind("\"\""), string(""));
    }

    #[test]
    fn malformed_strings() {
        assert_error(
            "\"abc",
            1,
            1,
            "string is not closed: expected \" before the end of the input",
        );
        assert_error("  \"ab\ncd\"", 1, 3, "before the end of the line");
        assert_error(r#""a\qb""#, 1, 3, "invalid escape \\q in a string");
        assert_error(r#""\x4""#, 1, 2, "expected 2 hexadecimal digits");
        assert_error(r#""\uD800""#, 1, 2, "lone high surrogate");
        assert_error(r#""\uD800\u0041""#, 1, 2, "lone high surrogate");
        assert_error(r#""\uDC00""#, 1, 2, "lone low surrogate");
        assert_error(r#""\U00110000""#, 1, 2, "not a Unicode code point");
        assert_error(
            "\"a\u{1}\"",
            1,
            3,
            "control character U+0001 must be escaped",
        );
        assert_error("\"a\\", 1, 3, "escape at the end of the input");
    }

    #[test]
    fn long_strings_are_joined() {
        assert_eq!(kind("'''a''' '''b'''"), string("ab"));
        assert_eq!(
            kind("'''a'''\n// between\n/* parts */ '''b'''"),
            string("ab")
        );
        assert_eq!(kind("'''one\ntwo'''"), string("one\ntwo"));
        assert_eq!(kind("'''one\r\ntwo\rthree'''"), string("one\ntwo\nthree"));
        assert_eq!(kind("'''it's a''b'''"), string("it's a''b"));
        assert_eq!(kind(r"'''\u00e9\n'''"), string("é\n"));
        assert_eq!(kind("''''''"), string(""));
        assert_eq!(kinds("'''a''' 'b'"), vec![string("a"), symbol("b")]);
        assert_eq!(
            kind("['''a''', '''b''' '''c''']"),
            IonKind::List(vec![
                IonValue::new(string("a")),
                IonValue::new(string("bc"))
            ])
        );
        assert_error("x '''abc", 1, 3, "long string is not closed: expected '''");
    }

    // Symbols and annotations.

    #[test]
    fn symbols_identifiers_quoted_and_ids() {
        assert_eq!(
            kinds("abc _x $y a1 'x y' '' $123 'null' '\\x41'"),
            vec![
                symbol("abc"),
                symbol("_x"),
                symbol("$y"),
                symbol("a1"),
                symbol("x y"),
                symbol(""),
                symbol("$123"),
                symbol("null"),
                symbol("A"),
            ]
        );
        assert_eq!(
            read("abc '$10'"),
            Ok(vec![plain_string("abc"), plain_string("$10")])
        );
        assert_error("'abc", 1, 1, "quoted symbol is not closed: expected '");
    }

    #[test]
    fn annotations_are_kept_in_order() {
        let values =
            parse("a::b::1 'x y'::\"s\" a :: /* c */ b :: c $1::x 'null'::[]").unwrap_or_default();
        let annotations: Vec<Vec<String>> = values.iter().map(|v| v.annotations.clone()).collect();
        let expected: Vec<Vec<&str>> = vec![
            vec!["a", "b"],
            vec!["x y"],
            vec!["a", "b"],
            vec!["$1"],
            vec!["null"],
        ];
        assert_eq!(annotations, expected);
        let kinds: Vec<&IonKind> = values.iter().map(|value| &value.kind).collect();
        assert_eq!(
            kinds,
            vec![
                &int(1),
                &string("s"),
                &symbol("c"),
                &symbol("x"),
                &IonKind::List(Vec::new())
            ]
        );
    }

    #[test]
    fn malformed_annotations() {
        assert_error("null::1", 1, 1, "the keyword null cannot be an annotation");
        assert_error(
            "x true::1",
            1,
            3,
            "the keyword true cannot be an annotation",
        );
        assert_error("a::", 1, 4, "expected a value after the annotation");
        assert_error(
            "[a::]",
            1,
            5,
            "expected a value after the annotation, found ']'",
        );
        assert_error("a::::b", 1, 4, "found '::'");
    }

    // Containers.

    #[test]
    fn structs_with_every_kind_of_field_name() {
        let IonKind::Struct(fields) = kind(
            "{a: 1, \"b\": 2, 'c': 3, '''d''' '''e''': 4, $5: 5, \
                                            'x y':a::6,}",
        ) else {
            panic!("not a struct");
        };
        let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, vec!["a", "b", "c", "de", "$5", "x y"]);
        assert_eq!(fields[5].1.annotations, vec!["a".to_string()]);
        assert_eq!(kind("{}"), IonKind::Struct(Vec::new()));
        assert_eq!(kind("{ /* nothing */ }"), IonKind::Struct(Vec::new()));
    }

    #[test]
    fn struct_duplicates_are_kept_in_order() {
        let expected = vec![
            ("a".to_string(), IonValue::new(int(1))),
            ("b".to_string(), IonValue::new(int(2))),
            ("a".to_string(), IonValue::new(int(3))),
        ];
        assert_eq!(kind("{a:1,b:2,a:3}"), IonKind::Struct(expected));
        let plain = read("{a:1,a:2}").unwrap_or_default();
        let pairs = vec![
            ("a".to_string(), PlainValue::Number(1.0)),
            ("a".to_string(), PlainValue::Number(2.0)),
        ];
        assert_eq!(plain, vec![PlainValue::Object(pairs)]);
    }

    #[test]
    fn malformed_structs() {
        assert_error(
            "{a 1}",
            1,
            4,
            "expected ':' after the field name 'a', found '1'",
        );
        assert_error(
            "{a::b:1}",
            1,
            3,
            "expected ':' after the field name 'a', found '::'",
        );
        assert_error(
            "{a:1 b:2}",
            1,
            6,
            "expected ',' or '}' after a struct field, found 'b'",
        );
        assert_error("{a:1,,}", 1, 6, "expected a field name or '}', found ','");
        assert_error("{a:}", 1, 4, "expected a value, found '}'");
        assert_error("{null: 1}", 1, 2, "the keyword null cannot be a field name");
        assert_error("{1: 1}", 1, 2, "expected a field name or '}', found '1'");
        assert_error("\n  {a:1", 2, 3, "struct is not closed: expected '}'");
        assert_error("{a:1,", 1, 1, "struct is not closed");
    }

    #[test]
    fn lists() {
        let list =
            |items: Vec<IonKind>| IonKind::List(items.into_iter().map(IonValue::new).collect());
        assert_eq!(
            kind("[1, [2], []]"),
            list(vec![int(1), list(vec![int(2)]), list(vec![])])
        );
        assert_eq!(kind("[1,2,]"), list(vec![int(1), int(2)]));
        assert_eq!(kind("[ \"a\" , b ]"), list(vec![string("a"), symbol("b")]));
        assert_error(
            "[1 2]",
            1,
            4,
            "expected ',' or ']' after a list element, found '2'",
        );
        assert_error("[,]", 1, 2, "expected a value, found ','");
        assert_error("[1,,2]", 1, 4, "expected a value, found ','");
        assert_error("[1, 2", 1, 1, "list is not closed: expected ']'");
        assert_error("[1)", 1, 3, "found ')'");
        assert_error("]", 1, 1, "expected a value, found ']'");
    }

    #[test]
    fn s_expressions_with_operators() {
        let sexp =
            |items: Vec<IonKind>| IonKind::SExp(items.into_iter().map(IonValue::new).collect());
        assert_eq!(kind("(+ 1 2)"), sexp(vec![symbol("+"), int(1), int(2)]));
        assert_eq!(
            kind("(a+b)"),
            sexp(vec![symbol("a"), symbol("+"), symbol("b")])
        );
        assert_eq!(kind("(- 1)"), sexp(vec![symbol("-"), int(1)]));
        assert_eq!(kind("(-1)"), sexp(vec![int(-1)]));
        assert_eq!(
            kind("(<= x 1)"),
            sexp(vec![symbol("<="), symbol("x"), int(1)])
        );
        assert_eq!(
            kind("(a.b)"),
            sexp(vec![symbol("a"), symbol("."), symbol("b")])
        );
        assert_eq!(
            kind("(+inf -inf)"),
            sexp(vec![
                IonKind::Float(f64::INFINITY),
                IonKind::Float(f64::NEG_INFINITY)
            ])
        );
        assert_eq!(
            kind("(x /* c */ y // d\n z)"),
            sexp(vec![symbol("x"), symbol("y"), symbol("z")])
        );
        assert_eq!(kind("(a/*c*/+)"), sexp(vec![symbol("a"), symbol("+")]));
        assert_eq!(kind("(+1)"), sexp(vec![symbol("+"), int(1)]));
        assert_eq!(kind("()"), sexp(vec![]));
        assert_eq!(
            kind("('a' \"b\" [c] (d))").clone(),
            kind("('a' \"b\" [c] (d))")
        );
        assert_error("(1 , 2)", 1, 4, "expected a value, found ','");
        assert_error("(1+2)", 1, 3, "unexpected '+' after the number 1");
        assert_error("(a b", 1, 1, "s-expression is not closed: expected ')'");
        assert_eq!(
            read("(a 1)"),
            Ok(vec![PlainValue::List(vec![
                plain_string("a"),
                PlainValue::Number(1.0)
            ])])
        );
    }

    // Blobs and clobs.

    #[test]
    fn blobs() {
        assert_eq!(kind("{{ aGVsbG8= }}"), IonKind::Blob(b"hello".to_vec()));
        assert_eq!(kind("{{aGVsbG8h}}"), IonKind::Blob(b"hello!".to_vec()));
        assert_eq!(kind("{{ aG Vs\nbG8= }}"), IonKind::Blob(b"hello".to_vec()));
        assert_eq!(kind("{{ aA== }}"), IonKind::Blob(b"h".to_vec()));
        assert_eq!(kind("{{}}"), IonKind::Blob(Vec::new()));
        assert_eq!(kind("{{//8=}}"), IonKind::Blob(vec![0xff, 0xff]));
        assert_eq!(kind("{{ +/+/ }}"), IonKind::Blob(vec![0xfb, 0xff, 0xbf]));
        assert_eq!(
            read("{{ AAEC }}"),
            Ok(vec![PlainValue::Bytes(vec![0, 1, 2])])
        );
    }

    #[test]
    fn malformed_blobs() {
        assert_error("{{ abc }}", 1, 4, "invalid blob: 3 base64 digits");
        assert_error("{{ a=bc }}", 1, 4, "'=' may only pad");
        assert_error("{{ a=== }}", 1, 4, "'=' may only pad");
        assert_error(
            "{{ ab@c }}",
            1,
            6,
            "expected base64 digits or '}}' in a blob, found '@'",
        );
        assert_error("{{ abcd } }", 1, 9, "expected '}}' to close the blob");
        assert_error("{{ abcd", 1, 1, "blob is not closed: expected '}}'");
    }

    #[test]
    fn clobs() {
        assert_eq!(
            kind(r#"{{ "hello\x00\xff" }}"#),
            IonKind::Clob(b"hello\x00\xff".to_vec())
        );
        assert_eq!(kind("{{'''a''' '''b'''}}"), IonKind::Clob(b"ab".to_vec()));
        assert_eq!(
            kind("{{ /* c */ \"x\" // d\n}}"),
            IonKind::Clob(b"x".to_vec())
        );
        assert_eq!(kind("{{'''a\r\nb'''}}"), IonKind::Clob(b"a\nb".to_vec()));
        assert_eq!(kind("{{\"\"}}"), IonKind::Clob(Vec::new()));
        let plain = read(r#"{{ "caf\xc3\xa9" }} {{ "\xff" }}"#).unwrap_or_default();
        assert_eq!(plain, vec![plain_string("café"), plain_string("\u{fffd}")]);
    }

    #[test]
    fn malformed_clobs() {
        assert_error("{{ \"é\" }}", 1, 5, "clob text must be ASCII");
        assert_error(
            r#"{{ "\u0041" }}"#,
            1,
            5,
            "\\u escapes are not allowed in a clob",
        );
        assert_error(
            r#"{{ "a" "b" }}"#,
            1,
            8,
            "expected '}}' to close the clob, found '\"'",
        );
        assert_error(r#"{{ "a" } }"#, 1, 8, "expected '}}' to close the clob");
        assert_error(r#"{{ "a }}"#, 1, 4, "clob is not closed");
    }

    // Comments, system values, positions and depth.

    #[test]
    fn comments_are_skipped() {
        assert_eq!(
            kinds("// line\n1 /* block\n */ 2 // end"),
            vec![int(1), int(2)]
        );
        assert_eq!(kinds("1/* c */2"), vec![int(1), int(2)]);
        assert_eq!(
            kinds("[1// c\n,2]"),
            vec![IonKind::List(vec![
                IonValue::new(int(1)),
                IonValue::new(int(2))
            ])]
        );
        assert_error("1 /* open", 1, 3, "comment is not closed: expected */");
    }

    #[test]
    fn system_values_are_skipped() {
        assert_eq!(kinds("$ion_1_0 1 $ion_1_0 2"), vec![int(1), int(2)]);
        assert_eq!(
            kinds("$ion_symbol_table::{symbols:[\"a\"]} $10"),
            vec![symbol("$10")]
        );
        assert_eq!(kinds("'$ion_1_0'"), vec![symbol("$ion_1_0")]);
        assert_eq!(
            kinds("[$ion_1_0]"),
            vec![IonKind::List(vec![IonValue::new(symbol("$ion_1_0"))])]
        );
        assert_eq!(parse("a::$ion_1_0").map(|values| values.len()), Ok(1));
        assert_eq!(kinds("$ion_1_0_x"), vec![symbol("$ion_1_0_x")]);
        assert_error(
            "1 $ion_2_0",
            1,
            3,
            "unsupported Ion version marker $ion_2_0",
        );
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        assert_eq!(kinds("\u{feff}{a:1}").len(), 1);
    }

    #[test]
    fn error_positions_count_lines_and_characters() {
        assert_error("{a:1}\n{b: }", 2, 5, "expected a value, found '}'");
        assert_error("[\"é\", @]", 1, 7, "expected a value, found '@'");
        assert_error("1\r\n2\r\n@", 3, 1, "found '@'");
        assert_error("1\r2\r @", 3, 2, "found '@'");
        assert_error("\"€\" \u{1}", 1, 5, "found control character U+0001");
    }

    #[test]
    fn nesting_is_limited() {
        for open in ["[", "(", "{a:"] {
            let deep = open.repeat(10_000);
            let error = error(&deep);
            assert!(
                error.message.contains("nest deeper than 256 levels"),
                "{error}"
            );
            assert_eq!(error.line, 1);
        }
        let deepest = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(parse(&deepest).map(|values| values.len()), Ok(1));
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_error(&too_deep, 1, MAX_DEPTH + 1, "nest deeper than 256 levels");
        let annotated = format!("{}1", "a::".repeat(10_000));
        assert_eq!(
            parse(&annotated).map(|values| values[0].annotations.len()),
            Ok(10_000)
        );
    }

    #[test]
    fn nesting_costs_no_call_stack() {
        // wasm32 programs get 1 MiB of stack by default and no guard page: reading the deepest
        // nesting accepted, and refusing deeper, must fit in far less, even unoptimised.
        let nested = |open: &str, close: &str, depth: usize| {
            let opening = format!("a::{open}").repeat(depth);
            format!("{opening}1{}", close.repeat(depth))
        };
        let worker = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || {
                [("[", "]"), ("(", ")"), ("{a:", "}")]
                    .iter()
                    .all(|(open, close)| {
                        parse(&nested(open, close, MAX_DEPTH)).is_ok()
                            && parse(&nested(open, close, 100_000)).is_err()
                    })
            });
        let all_read = worker.map(|handle| handle.join());
        assert!(matches!(all_read, Ok(Ok(true))));
    }

    #[test]
    fn to_plain_handles_values_deeper_than_the_parser_allows() {
        let mut value = IonValue::new(int(1));
        for level in 0..3_000 {
            value = if level % 2 == 0 {
                IonValue::new(IonKind::List(vec![value]))
            } else {
                IonValue::new(IonKind::Struct(vec![("k".to_string(), value)]))
            };
        }
        let mut plain = to_plain(&value);
        let mut depth = 0;
        loop {
            plain = match plain {
                PlainValue::List(mut items) if items.len() == 1 => items.remove(0),
                PlainValue::Object(mut fields) if fields.len() == 1 => fields.remove(0).1,
                other => {
                    assert_eq!(other, PlainValue::Number(1.0));
                    break;
                }
            };
            depth += 1;
        }
        assert_eq!(depth, 3_000);
    }

    // Conversion of strings, symbols and other scalars.

    #[test]
    fn local_date_time_strings_in_every_form() {
        let expected = PlainValue::DateTime(local(2024, 4, 21, (13, 43, 24), "34"));
        assert_eq!(
            read_one_string("LocalDateTime::\"2024-04-21T13:43:24.34\""),
            expected
        );
        assert_eq!(
            read_one_string("\"LocalDateTime::2024-04-21T13:43:24.34\""),
            expected
        );
        assert_eq!(
            read_one_string(r#""LocalDateTime::\"2024-04-21T13:43:24.34\"""#),
            expected
        );
        // Java writes no seconds when they are zero.
        let minutes = PlainValue::DateTime(local(2024, 4, 21, (13, 43, 0), ""));
        assert_eq!(
            read_one_string("LocalDateTime::\"2024-04-21T13:43\""),
            minutes
        );
        assert_eq!(
            read_one_string("\"LocalDateTime::2024-04-21T13:43\""),
            minutes
        );
        let date = PlainValue::DateTime(local(2024, 4, 21, (0, 0, 0), ""));
        assert_eq!(read_one_string("\"LocalDateTime::2024-04-21\""), date);
        let offset = with_offset(local(2024, 4, 21, (13, 43, 0), ""), 330);
        assert_eq!(
            read_one_string("\"LocalDateTime::2024-04-21T13:43+0530\""),
            PlainValue::DateTime(offset)
        );
        // Not a date-time after all: the string stays.
        assert_eq!(
            read_one_string("\"LocalDateTime::soon\""),
            plain_string("LocalDateTime::soon")
        );
        assert_eq!(
            read_one_string("\"LocalDateTime::\""),
            plain_string("LocalDateTime::")
        );
        assert_eq!(
            read_one_string("LocalDateTime::\"soon\""),
            plain_string("soon")
        );
    }

    #[test]
    fn iso_strings_follow_the_python_pattern() {
        let date_time = |text: &str| read_one_string(&format!("\"{text}\""));
        let utc = with_offset(local(2023, 12, 31, (23, 59, 59), ""), 0);
        assert_eq!(date_time("2023-12-31T23:59:59Z"), PlainValue::DateTime(utc));
        let minus = with_offset(local(2023, 10, 4, (15, 30, 0), "5"), -90);
        assert_eq!(
            date_time("2023-10-04T15:30:00.5-01:30"),
            PlainValue::DateTime(minus)
        );
        assert_eq!(
            date_time("2023-10-04T15:30:00"),
            PlainValue::DateTime(local(2023, 10, 4, (15, 30, 0), ""))
        );
        for kept in [
            "2023-10-04T15:30",
            "2023-10-04",
            "2023-10-04 15:30:00",
            "2023-10-04T15:30:00+0200",
            "2023-10-04T15:30:00z",
            "2023-02-30T10:00:00Z",
            "2023-10-04T24:00:00Z",
            "2023-10-04T15:30:00.Z",
            "2023-10-04T15:30:00Z ",
            "x2023-10-04T15:30:00Z",
            "931811085135341",
        ] {
            assert_eq!(date_time(kept), plain_string(kept), "{kept}");
        }
        // Other annotations do not change the rules.
        assert_eq!(
            read_one_string("LocalDate::\"2024-04-21\""),
            plain_string("2024-04-21")
        );
    }

    #[test]
    fn another_number_reader_reads_floats_and_decimals() {
        fn answer(_: &str) -> Option<f64> {
            Some(42.0)
        }
        let values = read_with("[1.5e0, 2.5, 7]", answer).unwrap_or_default();
        let numbers = [
            PlainValue::Number(42.0),
            PlainValue::Number(42.0),
            PlainValue::Number(7.0),
        ];
        assert_eq!(values, [PlainValue::List(numbers.to_vec())]);

        fn refuse(_: &str) -> Option<f64> {
            None
        }
        assert!(parse_with("1e0", refuse).is_err());
    }

    #[test]
    fn other_scalars_to_plain() {
        let plain = read("null.int true sym 'q s' 1.5e0 (a) {a:b::c}").unwrap_or_default();
        assert_eq!(
            plain,
            vec![
                PlainValue::Null,
                PlainValue::Bool(true),
                plain_string("sym"),
                plain_string("q s"),
                PlainValue::Number(1.5),
                PlainValue::List(vec![plain_string("a")]),
                PlainValue::Object(vec![("a".to_string(), plain_string("c"))]),
            ]
        );
        assert_eq!(
            to_plain(&IonValue::new(IonKind::List(Vec::new()))),
            PlainValue::List(Vec::new())
        );
    }

    // Date arithmetic.

    #[test]
    fn epoch_millis_matches_javascript() {
        let utc = |year, month, day, time, fraction| {
            with_offset(local(year, month, day, time, fraction), 0)
        };
        let cases = [
            (local(1970, 1, 1, (0, 0, 0), ""), 0.0),
            (local(2024, 4, 21, (13, 43, 24), "340"), 1_713_707_004_340.0),
            (utc(1969, 12, 31, (23, 59, 59), "999"), -1.0),
            (utc(1969, 12, 31, (23, 59, 59), "9999"), -1.0),
            (utc(1, 1, 1, (0, 0, 0), ""), -62_135_596_800_000.0),
            (
                utc(9999, 12, 31, (23, 59, 59), "999"),
                253_402_300_799_999.0,
            ),
            (utc(-1, 1, 1, (0, 0, 0), ""), -62_198_755_200_000.0),
            (utc(0, 2, 29, (0, 0, 0), ""), -62_162_121_600_000.0),
            (utc(0, 3, 1, (0, 0, 0), ""), -62_162_035_200_000.0),
            (
                utc(-400, 12, 31, (23, 59, 59), "999"),
                -74_758_377_600_001.0,
            ),
            (utc(1900, 3, 1, (0, 0, 0), ""), -2_203_891_200_000.0),
            (utc(2100, 3, 1, (0, 0, 0), ""), 4_107_542_400_000.0),
            (utc(2000, 2, 29, (12, 0, 0), ""), 951_825_600_000.0),
            (local(1987, 6, 17, (0, 0, 0), ""), 550_886_400_000.0),
            (
                with_offset(local(2024, 12, 31, (23, 30, 0), ""), -60),
                1_735_691_400_000.0,
            ),
            (
                with_offset(local(1600, 2, 29, (0, 0, 0), ""), 840),
                -11_671_048_800_000.0,
            ),
            (
                with_offset(local(2023, 10, 4, (15, 30, 0), "123456"), 120),
                1_696_426_200_123.0,
            ),
        ];
        for (date_time, millis) in cases {
            assert_eq!(date_time.epoch_millis(), millis, "{date_time:?}");
        }
    }

    #[test]
    fn nanoseconds_from_fraction_digits() {
        let nanos = |fraction: &str| local(2000, 1, 1, (0, 0, 0), fraction).nanosecond();
        assert_eq!(nanos(""), 0);
        assert_eq!(nanos("5"), 500_000_000);
        assert_eq!(nanos("123456"), 123_456_000);
        assert_eq!(nanos("1234567891"), 123_456_789);
    }

    #[test]
    fn days_since_epoch_over_leap_years() {
        assert_eq!(days_since_epoch(1970, 1, 1), 0);
        assert_eq!(days_since_epoch(1972, 3, 1), 790);
        assert_eq!(
            days_since_epoch(2001, 1, 1) - days_since_epoch(2000, 1, 1),
            366
        );
        assert_eq!(
            days_since_epoch(1901, 1, 1) - days_since_epoch(1900, 1, 1),
            365
        );
        assert!(is_leap_year(0) && is_leap_year(-4) && !is_leap_year(-100) && is_leap_year(-400));
        // A month that does not exist cannot make the arithmetic fail.
        let odd = local(2000, 200, 99, (99, 99, 99), "x");
        assert!(odd.epoch_millis().is_finite());
    }
}
