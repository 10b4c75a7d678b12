//! Kestra's JSON shapes for executions, task runs, states, logs and metrics, plus the small
//! time and identifier helpers they need. Nothing here does I/O besides reading the clock.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};

/// The only tenant an open-source Kestra serves.
pub const TENANT: &str = "main";

/// Microseconds since the Unix epoch, the precision every date in this emulator carries.
pub type Micros = i64;

/// Reads the wall clock in microseconds.
pub fn now_micros() -> Micros {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX),
        // A clock before 1970 is a broken machine; the epoch keeps dates printable.
        Err(_) => 0,
    }
}

/// Converts a day count since 1970-01-01 to a proleptic Gregorian (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the era to start on March 1st so that leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Converts a proleptic Gregorian date to a day count since 1970-01-01.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats an instant the way Java's `Instant.toString` does: UTC with a `Z`, and a fraction
/// of 0, 3 or 6 digits depending on the precision actually used.
pub fn format_instant(micros: Micros) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let tod = secs.rem_euclid(86_400);
    let base = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        tod / 3600,
        tod % 3600 / 60,
        tod % 60
    );
    if frac == 0 {
        format!("{base}Z")
    } else if frac % 1000 == 0 {
        format!("{base}.{:03}Z", frac / 1000)
    } else {
        format!("{base}.{frac:06}Z")
    }
}

/// Formats a duration the way Java's `Duration.toString` does, e.g. `PT1M2.5S` or `PT0S`.
pub fn format_duration(micros: Micros) -> String {
    let micros = micros.max(0);
    let total_secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    let hours = total_secs / 3600;
    let minutes = total_secs % 3600 / 60;
    let secs = total_secs % 60;
    let mut out = String::from("PT");
    if hours > 0 {
        out.push_str(&format!("{hours}H"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}M"));
    }
    if secs == 0 && frac == 0 && out.len() > 2 {
        return out;
    }
    out.push_str(&secs.to_string());
    if frac > 0 {
        let digits = format!("{frac:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('S');
    out
}

/// Creates an identifier like Kestra's `IdUtils.create()`: a random version-4 UUID written in
/// base62, at most 22 characters.
pub fn new_id() -> String {
    let mut value: u128 = rand::random();

    // Set the version and variant bits so the number is a real random UUID.
    value = (value & !(0xF_u128 << 76)) | (0x4_u128 << 76);
    value = (value & !(0x3_u128 << 62)) | (0x2_u128 << 62);
    base62(value)
}

/// Writes a number in base62 with the alphabet `0-9A-Za-z`.
pub fn base62(mut value: u128) -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    if value == 0 {
        return "0".to_string();
    }
    let mut digits = Vec::new();
    while value > 0 {
        digits.push(ALPHABET[(value % 62) as usize]);
        value /= 62;
    }
    digits.reverse();
    String::from_utf8_lossy(&digits).into_owned()
}

/// Execution and task-run states, in Kestra's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StateType {
    /// Just created, nothing ran yet.
    Created,
    /// Work in progress.
    Running,
    /// Waiting for a resume (Pause task).
    Paused,
    /// Resumed after a pause, about to run again.
    Restarted,
    /// A kill was requested and is being carried out.
    Killing,
    /// Ended well.
    Success,
    /// Ended with an error.
    Failed,
    /// Ended by a kill request.
    Killed,
    /// Waiting for a free slot of the flow's concurrency limit.
    Queued,
    /// Waiting before another attempt of a failed task.
    Retrying,
}

impl StateType {
    /// Whether the state is final (Kestra's `isTerminated` restricted to the states used here).
    pub fn is_terminated(self) -> bool {
        matches!(
            self,
            StateType::Success | StateType::Failed | StateType::Killed
        )
    }
}

/// A state with its history; serialised with Kestra's derived `startDate`, `endDate` and
/// `duration` members.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Every state entered, oldest first, with the time it was entered.
    pub histories: Vec<(StateType, Micros)>,
}

impl State {
    /// Starts a history in CREATED at the given time.
    pub fn created(at: Micros) -> Self {
        State {
            histories: vec![(StateType::Created, at)],
        }
    }

    /// The state entered last.
    pub fn current(&self) -> StateType {
        self.histories
            .last()
            .map_or(StateType::Created, |entry| entry.0)
    }

    /// Moves to a new state, unless the state is already final.
    pub fn push(&mut self, state: StateType, at: Micros) {
        if !self.current().is_terminated() {
            self.histories.push((state, at));
        }
    }

    /// Moves to a new state even from a final one, as a retried task run leaves FAILED for
    /// RETRYING.
    pub fn reopen(&mut self, state: StateType, at: Micros) {
        self.histories.push((state, at));
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let start = self.histories.first().map_or(0, |entry| entry.1);
        let end = self.histories.last().map_or(start, |entry| entry.1);
        // A paused state carries an end date too (Kestra's `State.getEndDate`).
        let terminated = self.current().is_terminated() || self.current() == StateType::Paused;
        let histories: Vec<Value> = self
            .histories
            .iter()
            .map(|(state, at)| serde_json::json!({"state": state, "date": format_instant(*at)}))
            .collect();

        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("current", &self.current())?;
        map.serialize_entry("histories", &histories)?;
        map.serialize_entry("startDate", &format_instant(start))?;
        if terminated {
            map.serialize_entry("endDate", &format_instant(end))?;
            map.serialize_entry("duration", &format_duration(end - start))?;
        }
        map.end()
    }
}

/// One label of an execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Label key.
    pub key: String,
    /// Label value.
    pub value: String,
}

/// One attempt of a task run; a task with `retry` has one per try.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRunAttempt {
    /// State of the attempt: RUNNING, then how it ended.
    pub state: State,
}

/// A task run as Kestra 1.x serialises it inside an execution.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRun {
    /// Task-run id.
    pub id: String,
    /// Owning execution.
    pub execution_id: String,
    /// Flow namespace.
    pub namespace: String,
    /// Flow id.
    pub flow_id: String,
    /// Task id from the flow.
    pub task_id: String,
    /// Attempts; empty until the task starts.
    pub attempts: Vec<TaskRunAttempt>,
    /// Task outputs; always written, `null` until the task succeeds with outputs.
    pub outputs: Option<Value>,
    /// Task-run state.
    pub state: State,
    /// Always `main`.
    pub tenant_id: String,
}

/// The `metadata` member of an execution.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Always 1: executions are never restarted here.
    pub attempt_number: u32,
    /// Creation time.
    pub original_created_date: String,
}

/// An execution as Kestra 1.x serialises it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    /// Execution id.
    pub id: String,
    /// Flow namespace.
    pub namespace: String,
    /// Flow id.
    pub flow_id: String,
    /// Revision of the flow that runs.
    pub flow_revision: i64,
    /// Always `main`.
    pub tenant_id: String,
    /// Task runs; the member is absent until the first one exists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub task_run_list: Vec<TaskRun>,
    /// Typed inputs; absent when empty.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub inputs: Map<String, Value>,
    /// Flow outputs; absent when empty.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub outputs: Map<String, Value>,
    /// Labels in Kestra's order.
    pub labels: Vec<Label>,
    /// Execution state.
    pub state: State,
    /// Same as `id`: executions are never replayed here.
    pub original_id: String,
    /// Always false.
    pub deleted: bool,
    /// Attempt metadata.
    pub metadata: Metadata,
    /// When the execution was asked to start (`scheduleDate` on create), if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_date: Option<String>,
}

impl Execution {
    /// Whether the execution and all its task runs are final, Kestra's condition to stop
    /// following an execution.
    pub fn is_finished(&self) -> bool {
        self.state.current().is_terminated()
            && self
                .task_run_list
                .iter()
                .all(|run| run.state.current().is_terminated())
    }
}

/// Log levels, most verbose first so that ordering compares severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Level {
    /// Finest detail.
    #[serde(rename = "TRACE")]
    Trace,
    /// Debug detail.
    #[serde(rename = "DEBUG")]
    Debug,
    /// Normal messages.
    #[serde(rename = "INFO")]
    Info,
    /// Warnings.
    #[serde(rename = "WARN")]
    Warn,
    /// Errors.
    #[serde(rename = "ERROR")]
    Error,
}

impl Level {
    /// Reads a level name exactly as SLF4J spells it (case-sensitive).
    pub fn parse(name: &str) -> Option<Level> {
        match name {
            "TRACE" => Some(Level::Trace),
            "DEBUG" => Some(Level::Debug),
            "INFO" => Some(Level::Info),
            "WARN" => Some(Level::Warn),
            "ERROR" => Some(Level::Error),
            _ => None,
        }
    }

    /// The level name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// One log line of an execution.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// Always `main`.
    pub tenant_id: String,
    /// Flow namespace.
    pub namespace: String,
    /// Flow id.
    pub flow_id: String,
    /// Task id, absent for execution-level messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// Execution id.
    pub execution_id: String,
    /// Task-run id, absent for execution-level messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_run_id: Option<String>,
    /// Attempt number; Kestra always writes this member, even as null.
    pub attempt_number: Option<u32>,
    /// When the line was produced.
    #[serde(serialize_with = "serialize_instant")]
    pub timestamp: Micros,
    /// Level.
    pub level: Level,
    /// Name of the producing thread.
    pub thread: String,
    /// Text.
    pub message: String,
    /// Always false.
    pub deleted: bool,
}

impl LogEntry {
    /// The line of the plain-text download: `<timestamp> <LEVEL> <message>`.
    pub fn pretty(&self) -> String {
        format!(
            "{} {} {}",
            format_instant(self.timestamp),
            self.level.as_str(),
            self.message
        )
    }
}

/// One stored metric, shaped like Kestra's `MetricEntry`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricEntry {
    /// Always `main`.
    pub tenant_id: String,
    /// Flow namespace.
    pub namespace: String,
    /// Flow id.
    pub flow_id: String,
    /// Task id.
    pub task_id: String,
    /// Execution id.
    pub execution_id: String,
    /// Task-run id.
    pub task_run_id: String,
    /// `counter`, `timer` or `gauge`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Metric name.
    pub name: String,
    /// Value; timers are stored in milliseconds like Kestra's `MetricEntry`.
    pub value: f64,
    /// When the metric was last updated.
    #[serde(serialize_with = "serialize_instant")]
    pub timestamp: Micros,
    /// Tags, absent when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<std::collections::BTreeMap<String, String>>,
    /// Always false.
    pub deleted: bool,
}

fn serialize_instant<S: Serializer>(micros: &Micros, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_instant(*micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_print_like_java() {
        assert_eq!(format_instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_instant(1_767_607_200_123_000),
            "2026-01-05T10:00:00.123Z"
        );
        assert_eq!(
            format_instant(1_767_607_200_123_456),
            "2026-01-05T10:00:00.123456Z"
        );
        assert_eq!(format_instant(951_782_400_000_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000_i64, -1, 0, 59, 11_016, 20_458, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn durations_print_like_java() {
        assert_eq!(format_duration(0), "PT0S");
        assert_eq!(format_duration(1_234_000), "PT1.234S");
        assert_eq!(format_duration(62_500_000), "PT1M2.5S");
        assert_eq!(format_duration(3_600_000_000), "PT1H");
        assert_eq!(format_duration(3_660_000_000), "PT1H1M");
        assert_eq!(format_duration(1), "PT0.000001S");
    }

    #[test]
    fn ids_are_base62_and_short() {
        for _ in 0..200 {
            let id = new_id();
            assert!(!id.is_empty() && id.len() <= 22, "{id}");
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        }
        assert_eq!(base62(61), "z");
        assert_eq!(base62(62), "10");
        assert_eq!(base62(u128::MAX).len(), 22);
    }

    #[test]
    fn state_members_follow_termination() {
        let mut state = State::created(0);
        let open = serde_json::to_value(&state).unwrap();
        assert_eq!(open["current"], "CREATED");
        assert!(open.get("endDate").is_none() && open.get("duration").is_none());

        state.push(StateType::Running, 1_000_000);
        state.push(StateType::Success, 2_500_000);
        state.push(StateType::Failed, 3_000_000);
        let done = serde_json::to_value(&state).unwrap();
        assert_eq!(done["current"], "SUCCESS");
        assert_eq!(done["histories"].as_array().unwrap().len(), 3);
        assert_eq!(done["endDate"], "1970-01-01T00:00:02.500Z");
        assert_eq!(done["duration"], "PT2.5S");
    }

    #[test]
    fn levels_are_case_sensitive_and_ordered() {
        assert_eq!(Level::parse("WARN"), Some(Level::Warn));
        assert_eq!(Level::parse("warn"), None);
        assert_eq!(Level::parse("WARNING"), None);
        assert!(Level::Error > Level::Info && Level::Trace < Level::Debug);
    }
}
