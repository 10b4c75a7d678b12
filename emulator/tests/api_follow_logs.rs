//! The logs follow stream: stored logs, then live ones, filtered like the JSON route.

mod support;

use std::time::{Duration, Instant};

use support::{read_stream_for, request, start, wait_for};

const LOGGING_FLOW: &str = "id: chatty\nnamespace: tests.follow\ntasks:\n  - id: first\n    \
type: io.kestra.plugin.core.log.Log\n    message: first line\n  - id: pause\n    \
type: io.kestra.plugin.core.flow.Sleep\n    duration: PT0.3S\n  - id: second\n    \
type: io.kestra.plugin.core.log.Log\n    level: WARN\n    message: second line\n";

#[test]
fn stored_and_live_logs_arrive_and_the_stream_stays_open() {
    let server = start("follow-logs", &[("f.yml", LOGGING_FLOW)], &[]);
    let port = server.port;
    let created = request(
        port,
        "POST",
        "/api/v1/main/executions/tests.follow/chatty",
        &[],
        b"",
    );
    let id = created.json()["id"].as_str().unwrap().to_owned();

    let text = read_stream_for(
        port,
        &format!("/api/v1/main/logs/{id}/follow"),
        Duration::from_secs(2),
    );
    assert!(text.contains("text/event-stream"), "{text}");
    assert!(text.contains("id: start\ndata: {"), "{text}");
    let first = text.find("first line").unwrap_or(usize::MAX);
    let second = text.find("second line").unwrap_or(usize::MAX);
    assert!(first < second && second < usize::MAX, "{text}");
    assert!(!text.contains("id: end"), "{text}");
    wait_for(port, &id, &["SUCCESS"]);

    let filtered = read_stream_for(
        port,
        &format!("/api/v1/main/logs/{id}/follow?minLevel=WARN"),
        Duration::from_millis(500),
    );
    assert!(filtered.contains("second line"), "{filtered}");
    assert!(!filtered.contains("first line"), "{filtered}");
}

#[test]
fn following_an_unknown_execution_ends_after_about_ten_seconds() {
    let server = start("follow-unknown", &[("f.yml", LOGGING_FLOW)], &[]);
    let started = Instant::now();
    let text = read_stream_for(
        server.port,
        "/api/v1/main/executions/nope/follow",
        Duration::from_secs(20),
    );
    let lasted = started.elapsed();
    assert!(text.contains("id: start\ndata: {"), "{text}");
    assert!(!text.contains("id: end"), "{text}");
    assert!(lasted >= Duration::from_secs(9), "ended after {lasted:?}");
    assert!(lasted < Duration::from_secs(15), "ended after {lasted:?}");
}
