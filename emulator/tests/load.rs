//! 1,000 concurrent executions of a Log-only flow: every one ends right, memory stays bounded.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{get, history, request, start};

const LOG_FLOW: &str = "id: tiny\nnamespace: tests.load\ntasks:\n  - id: say\n    \
type: io.kestra.plugin.core.log.Log\n    message: \"{{ execution.id }}\"\n";

const EXECUTIONS: usize = 1_000;
const CLIENTS: usize = 25;

/// Peak resident memory of a process, from `/proc/<pid>/status`, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_thousand_concurrent_executions_all_succeed() {
    let server = start("load", &[("f.yml", LOG_FLOW)], &["--test-controls"]);
    let port = server.port;
    let started = Instant::now();

    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            std::thread::spawn(move || {
                (0..EXECUTIONS / CLIENTS)
                    .map(|_| {
                        let path = "/api/v1/main/executions/tests.load/tiny";
                        let reply = request(port, "POST", path, &[], b"");
                        assert_eq!(reply.status, 200, "{}", reply.text());
                        reply.json()["id"].as_str().unwrap().to_owned()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let ids: Vec<String> = clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect();
    assert_eq!(ids.len(), EXECUTIONS);
    let created = started.elapsed();

    let deadline = Instant::now() + Duration::from_secs(120);
    let states = loop {
        let listed = get(port, "/_emulator/executions").json();
        let states: HashMap<String, String> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|execution| {
                let id = execution["id"].as_str().unwrap().to_owned();
                (
                    id,
                    execution["state"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        if states.values().filter(|state| *state == "SUCCESS").count() == EXECUTIONS {
            break states;
        }
        assert!(
            Instant::now() < deadline,
            "not all executions ended in time"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let ended = started.elapsed();

    assert!(ids
        .iter()
        .all(|id| states.get(id).map(String::as_str) == Some("SUCCESS")));
    for id in ids.iter().step_by(100) {
        let execution: Value = get(port, &format!("/api/v1/main/executions/{id}")).json();
        assert_eq!(
            history(&execution["state"]),
            ["CREATED", "RUNNING", "SUCCESS"]
        );
        let logs = get(port, &format!("/api/v1/main/logs/{id}")).json();
        assert_eq!(logs[0]["message"].as_str(), Some(id.as_str()));
    }

    let peak = peak_rss_kib(server.pid()).unwrap_or(0);
    eprintln!(
        "{EXECUTIONS} executions from {CLIENTS} clients: created in {created:?}, \
         all SUCCESS after {ended:?}; server peak RSS {} MiB",
        peak / 1024
    );
    assert!(peak > 0, "no /proc reading");
    assert!(peak < 200 * 1024, "peak RSS {} MiB", peak / 1024);
}
