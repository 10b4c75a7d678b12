//! `--kestra-version 2.1`: problem documents and the `/actions/kill` route.

mod support;

use serde_json::{json, Value};

use support::*;

const INPUT_FLOW: &str = r#"
id: greet
namespace: company.team
inputs:
  - id: name
    type: STRING
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "hi {{ inputs.name }}"
"#;

const PROBLEMS: &str = "https://kestra.io/docs/api-reference/problems/";
const SERVER_DETAIL: &str =
    "An unexpected error occurred. Quote the traceId when contacting support.";

fn problem(reply: &Reply, status: u16, slug: &str) -> Value {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let body = reply.json();
    assert_eq!(body["type"], format!("{PROBLEMS}{slug}"));
    assert_eq!(body["status"], status);
    body
}

#[test]
fn errors_are_problem_documents() {
    let server = start(
        "problems",
        &[("greet.yml", INPUT_FLOW), ("off.yml", DISABLED_FLOW)],
        &["--kestra-version", "2.1"],
    );
    let port = server.port;

    let path = "/api/v1/main/executions/company.team/nope";
    let reply = create(port, path, &[]);
    let body = problem(&reply, 404, "not-found");
    assert_eq!(
        body,
        json!({"type": format!("{PROBLEMS}not-found"), "title": "Resource not found",
               "status": 404, "detail": "Requested Flow is not found.", "instance": path})
    );
    assert_eq!(reply.header("x-kestra-edition"), Some("OSS"));
    assert_eq!(reply.header("x-kestra-route-matched"), Some("true"));

    let reply = get(port, "/api/v1/main/executions/doesNotExist");
    let body = problem(&reply, 404, "not-found");
    assert_eq!(body["detail"], "Resource not found");
    assert_eq!(body["instance"], "/api/v1/main/executions/doesNotExist");

    let reply = get(port, "/api/v1/main/nothing/here");
    problem(&reply, 404, "not-found");
    assert_eq!(reply.header("x-kestra-route-matched"), Some("false"));

    let greet = "/api/v1/main/executions/company.team/greet";
    let reply = create(port, greet, &[]);
    let body = problem(&reply, 422, "invalid-entity");
    assert_eq!(body["title"], "Invalid entity");
    assert_eq!(body["detail"], "Missing required input:name");

    let reply = create(
        port,
        &format!("{greet}?labels=system.x:1"),
        &[("name", None, b"a")],
    );
    let body = problem(&reply, 422, "invalid-argument");
    assert_eq!(
        body["detail"],
        "System labels can only be set by Kestra itself, offending label: system.x=1"
    );
    let reply = create(
        port,
        &format!("{greet}?labels=novalue"),
        &[("name", None, b"a")],
    );
    problem(&reply, 422, "invalid-argument");

    let reply = create(
        port,
        &format!("{greet}?labels=a:1&labels=a:2"),
        &[("name", None, b"a")],
    );
    let body = problem(&reply, 500, "internal-error");
    assert_eq!(body["detail"], SERVER_DETAIL);
    assert_eq!(body["title"], "Internal server error");
    let trace = body["traceId"].as_str().unwrap();
    assert!(trace.len() == 32 && trace.chars().all(|c| c.is_ascii_hexdigit()));

    let reply = create(port, "/api/v1/main/executions/company.team/off", &[]);
    problem(&reply, 500, "internal-error");

    let reply = create(port, greet, &[("name", None, b"a")]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

#[test]
fn unauthenticated_calls_get_a_problem_body() {
    let server = start(
        "problems-auth",
        &[("greet.yml", INPUT_FLOW)],
        &[
            "--kestra-version=2.1",
            "--basic-auth",
            "admin@kestra.io:Secret1",
        ],
    );
    let reply = get(server.port, "/api/v1/main/executions/x");
    let body = problem(&reply, 401, "unauthenticated");
    assert_eq!(reply.header("www-authenticate"), Some("Basic"));
    assert_eq!(body["title"], "Authentication required");
    assert_eq!(body["detail"], "Authentication required");
}

#[test]
fn kill_waits_for_the_end_in_2_1() {
    let server = start(
        "kill-2-1",
        &[("slow.yml", SLOW_FLOW)],
        &["--kestra-version", "2.1"],
    );
    let port = server.port;
    let created = create(port, "/api/v1/main/executions/company.team/slow", &[]).json();
    let id = created["id"].as_str().unwrap().to_string();
    wait_for(port, &id, &["RUNNING"]);

    // The old path only matches the create route's shape, so it is a 405, as Micronaut
    // answers when a path matches a route of another method.
    let old = request(
        port,
        "DELETE",
        &format!("/api/v1/main/executions/{id}/kill"),
        &[],
        b"",
    );
    problem(&old, 405, "method-not-allowed");

    let kill = format!("/api/v1/main/executions/{id}/actions/kill");
    let reply = request(port, "DELETE", &kill, &[], b"");
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(
        (body["id"].as_str(), &body["state"]["current"]),
        (Some(id.as_str()), &json!("KILLED"))
    );

    let again = request(
        port,
        "DELETE",
        &format!("{kill}?isOnKillCascade=false"),
        &[],
        b"",
    );
    let body = problem(&again, 409, "conflict");
    assert_eq!(
        body["detail"],
        "Cannot kill execution: execution is already terminated."
    );
    let again = request(port, "DELETE", &kill, &[], b"");
    assert_eq!(again.status, 200);

    let unknown = request(
        port,
        "DELETE",
        "/api/v1/main/executions/nope/actions/kill",
        &[],
        b"",
    );
    problem(&unknown, 404, "not-found");
}

#[test]
fn version_1_3_keeps_json_errors_and_the_old_kill_route() {
    let server = start(
        "kill-1-3",
        &[("greet.yml", INPUT_FLOW)],
        &["--kestra-version", "1.3"],
    );
    let port = server.port;
    let reply = request(
        port,
        "DELETE",
        "/api/v1/main/executions/x/actions/kill",
        &[],
        b"",
    );
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.json()["message"], "Not Found");
    assert!(reply.header("x-kestra-edition").is_none());
}
