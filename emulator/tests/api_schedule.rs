//! `scheduleDate` on create: the execution waits in CREATED until that instant.

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::{get, request, start, wait_for};

const LOG_FLOW: &str = "id: later\nnamespace: tests.schedule\ntasks:\n  - id: say\n    \
type: io.kestra.plugin.core.log.Log\n    message: now\n";

/// An ISO-8601 instant `ahead` from now, with a `+02:00` offset as a client may send it.
fn instant_in(ahead: Duration) -> String {
    let at = SystemTime::now() + ahead + Duration::from_secs(2 * 3600);
    let seconds = at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let days = seconds / 86_400;
    let (hour, minute, second) = (seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}+02:00")
}

#[test]
fn a_scheduled_execution_waits_then_runs() {
    let server = start("schedule", &[("f.yml", LOG_FLOW)], &[]);
    let port = server.port;
    let when = instant_in(Duration::from_millis(1500));
    let path = format!(
        "/api/v1/main/executions/tests.schedule/later?scheduleDate={}",
        when.replace('+', "%2B")
    );
    let created = request(port, "POST", &path, &[], b"").json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(
        created["scheduleDate"].as_str().unwrap().ends_with('Z'),
        "{created}"
    );

    std::thread::sleep(Duration::from_millis(500));
    let waiting = get(port, &format!("/api/v1/main/executions/{id}")).json();
    assert_eq!(waiting["state"]["current"], "CREATED");

    let done = wait_for(port, &id, &["SUCCESS"]);
    let histories = done["state"]["histories"].as_array().unwrap();
    let running = histories
        .iter()
        .find(|entry| entry["state"] == "RUNNING")
        .unwrap();
    // Whole seconds compare as text; fraction digits vary in length.
    let second_of =
        |value: &serde_json::Value| value.as_str().unwrap().get(..19).unwrap().to_owned();
    assert!(
        second_of(&running["date"]) >= second_of(&done["scheduleDate"]),
        "{done}"
    );
}

#[test]
fn a_bad_schedule_date_is_refused() {
    let server = start("schedule-bad", &[("f.yml", LOG_FLOW)], &[]);
    let path = "/api/v1/main/executions/tests.schedule/later?scheduleDate=tomorrow";
    let reply = request(server.port, "POST", path, &[], b"");
    assert_eq!(reply.status, 400, "{}", reply.text());
}
