//! Core tasks beyond Log: Sleep and Fail, run through the HTTP API.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;

use support::*;

/// Creates an execution of `company.team/<flow>` and waits for its end.
fn run_to_end(port: u16, flow: &str) -> Value {
    let reply = create(
        port,
        &format!("/api/v1/main/executions/company.team/{flow}"),
        &[],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_string();
    wait_for(port, &id, &["SUCCESS", "FAILED", "KILLED"])
}

const SLEEP_FLOW: &str = r#"
id: sleepy
namespace: company.team
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.3S
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: awake
"#;

const FAIL_FLOW: &str = r#"
id: fails
namespace: company.team
tasks:
  - id: stop
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: "Bad input {{ flow.id }}"
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: never
"#;

const FAIL_DEFAULT_FLOW: &str = r#"
id: fails-default
namespace: company.team
tasks:
  - id: stop
    type: io.kestra.plugin.core.execution.Fail
"#;

#[test]
fn sleep_waits_then_the_flow_goes_on() {
    let server = start("sleep", &[("s.yml", SLEEP_FLOW)], &[]);
    let started = Instant::now();
    let done = run_to_end(server.port, "sleepy");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(done["state"]["current"], "SUCCESS", "{done:#}");
    let runs = done["taskRunList"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        history(&runs[0]["state"]),
        ["CREATED", "RUNNING", "SUCCESS"]
    );
    assert!(runs[0]["outputs"].is_null());
}

#[test]
fn a_sleeping_execution_can_be_killed() {
    let flow = SLEEP_FLOW.replace("PT0.3S", "PT30S");
    let server = start("sleep-kill", &[("s.yml", &flow)], &[]);
    let port = server.port;
    let id = create(port, "/api/v1/main/executions/company.team/sleepy", &[]).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(port, &format!("/api/v1/main/executions/{id}")).json()["taskRunList"].is_null() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = request(
        port,
        "DELETE",
        &format!("/api/v1/main/executions/{id}/kill"),
        &[],
        b"",
    );
    assert_eq!(kill.status, 202);
    let done = wait_for(port, &id, &["KILLED"]);
    assert_eq!(done["taskRunList"][0]["state"]["current"], "KILLED");
    assert_eq!(done["taskRunList"].as_array().unwrap().len(), 1);
}

#[test]
fn fail_ends_the_task_with_its_message() {
    let server = start(
        "fail-task",
        &[("f.yml", FAIL_FLOW), ("d.yml", FAIL_DEFAULT_FLOW)],
        &[],
    );
    let port = server.port;
    let done = run_to_end(port, "fails");
    assert_eq!(done["state"]["current"], "FAILED");
    let runs = done["taskRunList"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["state"]["current"], "FAILED");
    assert_eq!(runs[0]["attempts"][0]["state"]["current"], "FAILED");
    let logs = messages(port, done["id"].as_str().unwrap());
    assert_eq!(logs, [("ERROR".to_string(), "Bad input fails".to_string())]);

    let done = run_to_end(port, "fails-default");
    assert_eq!(done["state"]["current"], "FAILED");
    let logs = messages(port, done["id"].as_str().unwrap());
    assert_eq!(logs, [("ERROR".to_string(), "Task failure".to_string())]);
}

#[test]
fn bad_durations_stop_the_server_at_start() {
    let dir = scratch_dir("bad-sleep");
    let flow = SLEEP_FLOW.replace("PT0.3S", "soon");
    std::fs::write(dir.join("flows").join("s.yml"), flow).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kestra-emulator"))
        .arg("--flows")
        .arg(dir.join("flows"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`duration`"), "{stderr}");
}

const TIMEOUT_FLOW: &str = r#"
id: slowpoke
namespace: company.team
tasks:
  - id: wait
    type: io.kestra.plugin.scripts.node.Commands
    timeout: PT0.5S
    commands:
      - echo started
      - sleep 30
"#;

const RETRY_FLOW: &str = r#"
id: flaky
namespace: company.team
tasks:
  - id: try
    type: io.kestra.plugin.scripts.node.Commands
    retry:
      type: constant
      maxAttempts: 3
      interval: PT0.1S
    commands:
      - n=$(cat ../tries 2>/dev/null || echo 0)
      - echo $((n + 1)) > ../tries
      - echo "attempt $n"
      - test "$n" -ge LAST
"#;

#[test]
fn a_task_past_its_timeout_is_killed_and_fails() {
    let server = start("timeout", &[("t.yml", TIMEOUT_FLOW)], &[]);
    let started = Instant::now();
    let done = run_to_end(server.port, "slowpoke");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(done["state"]["current"], "FAILED", "{done:#}");
    assert_eq!(done["taskRunList"][0]["state"]["current"], "FAILED");
    let logs = messages(server.port, done["id"].as_str().unwrap());
    assert_eq!(
        logs,
        [
            ("INFO".to_string(), "started".to_string()),
            (
                "ERROR".to_string(),
                "Timeout after 00:00:00.500".to_string()
            )
        ]
    );
}

#[test]
fn failed_attempts_are_retried_until_one_succeeds() {
    let flow = RETRY_FLOW.replace("LAST", "2");
    let server = start("retry", &[("r.yml", &flow)], &[]);
    let done = run_to_end(server.port, "flaky");
    assert_eq!(done["state"]["current"], "SUCCESS", "{done:#}");
    assert_eq!(
        history(&done["state"]),
        ["CREATED", "RUNNING", "RETRYING", "RUNNING", "RETRYING", "RUNNING", "SUCCESS"]
    );
    let run = &done["taskRunList"][0];
    assert_eq!(
        history(&run["state"]),
        [
            "CREATED", "RUNNING", "FAILED", "RETRYING", "RUNNING", "FAILED", "RETRYING", "RUNNING",
            "SUCCESS"
        ]
    );
    let attempts: Vec<Vec<String>> = run["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|attempt| history(&attempt["state"]))
        .collect();
    assert_eq!(
        attempts,
        [
            vec!["RUNNING", "FAILED"],
            vec!["RUNNING", "FAILED"],
            vec!["RUNNING", "SUCCESS"]
        ]
    );
    assert_eq!(run["outputs"]["exitCode"], 0);
}

#[test]
fn retries_stop_after_max_attempts() {
    let flow = RETRY_FLOW
        .replace("LAST", "5")
        .replace("maxAttempts: 3", "maxAttempt: 2");
    let server = start("retry-out", &[("r.yml", &flow)], &[]);
    let done = run_to_end(server.port, "flaky");
    assert_eq!(done["state"]["current"], "FAILED", "{done:#}");
    let run = &done["taskRunList"][0];
    assert_eq!(run["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(run["state"]["current"], "FAILED");
    let logs = messages(server.port, done["id"].as_str().unwrap());
    let infos: Vec<&str> = logs
        .iter()
        .filter(|(level, _)| level == "INFO")
        .map(|(_, message)| message.as_str())
        .collect();
    assert_eq!(infos, ["attempt 0", "attempt 1"]);
}

const ERRORS_FLOW: &str = r#"
id: handled
namespace: company.team
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: broken
  - id: skipped
    type: io.kestra.plugin.core.log.Log
    message: never
errors:
  - id: alert
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: "{{ flow.id }} failed"
  - id: cleanup
    type: io.kestra.plugin.scripts.node.Commands
    commands:
      - echo cleaned
"#;

const LIMITED_FLOW: &str = r#"
id: limited
namespace: company.team
concurrency:
  limit: 1
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.6S
"#;

#[test]
fn errors_tasks_run_after_a_failure() {
    let server = start("errors-branch", &[("e.yml", ERRORS_FLOW)], &[]);
    let done = run_to_end(server.port, "handled");
    assert_eq!(done["state"]["current"], "FAILED", "{done:#}");
    let runs: Vec<(&str, &str)> = done["taskRunList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| {
            (
                run["taskId"].as_str().unwrap(),
                run["state"]["current"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        runs,
        [
            ("boom", "FAILED"),
            ("alert", "SUCCESS"),
            ("cleanup", "SUCCESS")
        ]
    );
    let logs = messages(server.port, done["id"].as_str().unwrap());
    assert_eq!(
        logs,
        [
            ("ERROR".to_string(), "broken".to_string()),
            ("WARN".to_string(), "handled failed".to_string()),
            ("INFO".to_string(), "cleaned".to_string())
        ]
    );
}

#[test]
fn executions_past_the_concurrency_limit_wait_in_queued() {
    let server = start("queue", &[("l.yml", LIMITED_FLOW)], &[]);
    let port = server.port;
    let ids: Vec<String> = (0..3)
        .map(|_| {
            let reply = create(port, "/api/v1/main/executions/company.team/limited", &[]);
            reply.json()["id"].as_str().unwrap().to_string()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let states: Vec<String> = ids
        .iter()
        .map(|id| {
            let execution = get(port, &format!("/api/v1/main/executions/{id}")).json();
            execution["state"]["current"].as_str().unwrap().to_string()
        })
        .collect();
    // One runs, the others wait; which one gets the slot first is not promised.
    let mut sorted = states.clone();
    sorted.sort();
    assert_eq!(sorted, ["QUEUED", "QUEUED", "RUNNING"], "{states:?}");

    let done: Vec<Value> = ids
        .iter()
        .map(|id| wait_for(port, id, &["SUCCESS"]))
        .collect();
    let mut histories: Vec<Vec<String>> = done.iter().map(|done| history(&done["state"])).collect();
    histories.sort();
    assert_eq!(
        histories,
        [
            vec!["CREATED", "QUEUED", "RUNNING", "SUCCESS"],
            vec!["CREATED", "QUEUED", "RUNNING", "SUCCESS"],
            vec!["CREATED", "RUNNING", "SUCCESS"],
        ]
    );
    // One at a time: each starts once the one before it has ended.
    let date = |execution: &Value, index: usize| {
        let text = execution["state"]["histories"][index]["date"]
            .as_str()
            .unwrap();
        let (day, time) = text.trim_end_matches('Z').split_once('T').unwrap();
        let seconds: f64 = time.split(':').fold(0.0, |total, part| {
            total * 60.0 + part.parse::<f64>().unwrap()
        });
        (day.to_string(), seconds)
    };
    // One at a time: sorted by start, each starts once the one before it has ended.
    let mut runs: Vec<_> = done
        .iter()
        .map(|execution| {
            let last = execution["state"]["histories"]
                .as_array()
                .map_or(0, Vec::len)
                - 1;
            (date(execution, last - 1), date(execution, last))
        })
        .collect();
    runs.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    for pair in runs.windows(2) {
        assert!(pair[1].0 >= pair[0].1, "{runs:?}");
    }
}

const PAUSE_FLOW: &str = r#"
id: paused
namespace: company.team
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT0.5S
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: resumed
"#;

/// Waits until an execution is in `state`, polling its JSON.
fn wait_for_state(port: u16, id: &str, state: &str) -> Value {
    wait_for(port, id, &[state])
}

#[test]
fn pause_holds_the_execution_then_it_resumes() {
    let server = start("pause", &[("p.yml", PAUSE_FLOW)], &[]);
    let port = server.port;
    let reply = create(port, "/api/v1/main/executions/company.team/paused", &[]);
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let paused = wait_for_state(port, &id, "PAUSED");
    // A paused state has an end date, as in Kestra.
    assert!(paused["state"]["endDate"].is_string(), "{paused:#}");
    assert_eq!(paused["taskRunList"][0]["state"]["current"], "PAUSED");

    let done = wait_for(port, &id, &["SUCCESS", "FAILED"]);
    assert_eq!(done["state"]["current"], "SUCCESS", "{done:#}");
    assert_eq!(
        history(&done["state"]),
        [
            "CREATED",
            "RUNNING",
            "PAUSED",
            "RESTARTED",
            "RUNNING",
            "SUCCESS"
        ]
    );
    assert_eq!(
        history(&done["taskRunList"][0]["state"]),
        ["CREATED", "RUNNING", "PAUSED", "RUNNING", "SUCCESS"]
    );
    let logs = messages(port, &id);
    assert_eq!(logs, [("INFO".to_string(), "resumed".to_string())]);
}

#[test]
fn a_paused_execution_can_be_killed() {
    let flow = PAUSE_FLOW.replace("    pauseDuration: PT0.5S\n", "");
    let server = start("pause-kill", &[("p.yml", &flow)], &[]);
    let port = server.port;
    let reply = create(port, "/api/v1/main/executions/company.team/paused", &[]);
    let id = reply.json()["id"].as_str().unwrap().to_string();
    wait_for_state(port, &id, "PAUSED");
    let kill = request(
        port,
        "DELETE",
        &format!("/api/v1/main/executions/{id}/kill"),
        &[],
        b"",
    );
    assert_eq!(kill.status, 202);
    let done = wait_for(port, &id, &["KILLED"]);
    assert_eq!(
        history(&done["state"]),
        ["CREATED", "RUNNING", "PAUSED", "KILLING", "KILLED"]
    );
    assert_eq!(done["taskRunList"][0]["state"]["current"], "KILLED");
}
