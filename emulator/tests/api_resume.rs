//! Resuming a paused execution.

mod support;

use support::{history, request, start, wait_for};

const PAUSING_FLOW: &str = "id: waits\nnamespace: tests.resume\ntasks:\n  - id: hold\n    \
type: io.kestra.plugin.core.flow.Pause\n  - id: after\n    \
type: io.kestra.plugin.core.log.Log\n    message: resumed\n";

#[test]
fn a_paused_execution_resumes_and_a_running_one_is_refused() {
    let server = start("resume", &[("f.yml", PAUSING_FLOW)], &[]);
    let port = server.port;
    let created = request(
        port,
        "POST",
        "/api/v1/main/executions/tests.resume/waits",
        &[],
        b"",
    );
    let id = created.json()["id"].as_str().unwrap().to_owned();
    wait_for(port, &id, &["PAUSED"]);

    let path = format!("/api/v1/main/executions/{id}/resume");
    let resumed = request(port, "POST", &path, &[], b"");
    assert_eq!(resumed.status, 204, "{}", resumed.text());
    let done = wait_for(port, &id, &["SUCCESS"]);
    let states = history(&done["state"]);
    assert!(
        states.iter().any(|state| state == "PAUSED")
            && states.iter().any(|state| state == "RESTARTED"),
        "{states:?}"
    );

    let again = request(port, "POST", &path, &[], b"");
    assert_eq!(again.status, 409);
    let message = again.json()["message"].as_str().unwrap().to_owned();
    assert_eq!(
        message,
        format!("Illegal state: Execution '{id}' is not paused, can't resume it")
    );

    let unknown = request(
        port,
        "POST",
        "/api/v1/main/executions/nope/resume",
        &[],
        b"",
    );
    assert_eq!(unknown.status, 404);
}
