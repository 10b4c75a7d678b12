//! The `/_emulator/` test controls: faults, request counts and the execution list.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use support::*;

const HELLO_FLOW: &str = r#"
id: hello
namespace: company.team
labels:
  team: data
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hi
"#;

const CREATE: &str = "/api/v1/main/executions/company.team/hello";

fn post_json(port: u16, path: &str, body: &Value) -> Reply {
    let text = body.to_string();
    let headers = [("Content-Type", "application/json")];
    request(port, "POST", path, &headers, text.as_bytes())
}

fn fault(port: u16, body: Value) {
    let reply = post_json(port, "/_emulator/faults", &body);
    assert_eq!(reply.status, 200, "{}", reply.text());
}

fn executions(port: u16) -> Vec<Value> {
    let reply = get(port, "/_emulator/executions");
    assert_eq!(reply.status, 200);
    reply.json().as_array().unwrap().clone()
}

#[test]
fn controls_are_absent_without_the_flag() {
    let server = start("controls-off", &[("hello.yml", HELLO_FLOW)], &[]);
    let port = server.port;
    for (method, path) in [
        ("GET", "/_emulator/requests"),
        ("GET", "/_emulator/executions"),
        ("POST", "/_emulator/faults"),
        ("DELETE", "/_emulator/faults"),
    ] {
        let reply = request(port, method, path, &[], b"{}");
        assert_eq!(reply.status, 404, "{method} {path}");
        assert_eq!(reply.json()["message"], "Not Found");
    }
}

#[test]
fn faults_answer_statuses_in_order_then_pass() {
    let server = start("faults", &[("hello.yml", HELLO_FLOW)], &["--test-controls"]);
    let port = server.port;
    fault(
        port,
        json!({"method": "POST", "route": "create", "statuses": [503, 502], "retryAfter": "2"}),
    );
    // A fault for another method does not fire on POST.
    fault(
        port,
        json!({"method": "DELETE", "route": "create", "statuses": [500]}),
    );

    let first = create(port, CREATE, &[]);
    assert_eq!(
        (first.status, first.header("retry-after")),
        (503, Some("2"))
    );
    assert!(first.body.is_empty());
    let second = create(port, CREATE, &[]);
    assert_eq!(
        (second.status, second.header("retry-after")),
        (502, Some("2"))
    );
    assert!(executions(port).is_empty());

    let third = create(port, CREATE, &[]);
    assert_eq!(third.status, 200);
    let id = third.json()["id"].as_str().unwrap().to_string();
    wait_for(port, &id, &["SUCCESS"]);

    let listed = executions(port);
    assert_eq!(
        listed,
        vec![json!({
            "id": id,
            "namespace": "company.team",
            "flowId": "hello",
            "state": "SUCCESS",
            "labels": [
                {"key": "team", "value": "data"},
                {"key": "system.correlationId", "value": id},
            ],
        })]
    );

    let counts = get(port, "/_emulator/requests").json();
    assert_eq!(counts["POST create"], 3);
    assert!(counts["GET execution"].as_u64().unwrap() >= 1);
    assert!(counts.get("GET /_emulator/executions").is_none());

    // The DELETE fault is still queued until cleared.
    let queued = get(port, "/_emulator/faults").json();
    assert_eq!(queued.as_array().unwrap().len(), 1);
    assert_eq!(queued[0]["remaining"], json!([500]));
    assert_eq!(
        request(port, "DELETE", "/_emulator/faults", &[], b"").status,
        204
    );
    assert_eq!(get(port, "/_emulator/faults").json(), json!([]));

    assert_eq!(
        request(port, "DELETE", "/_emulator/requests", &[], b"").status,
        204
    );
    get(port, "/api/v1/main/logs/nothing");
    assert_eq!(
        get(port, "/_emulator/requests").json(),
        json!({"GET logs": 1})
    );
}

#[test]
fn create_then_creates_and_answers_the_status() {
    let server = start(
        "create-then",
        &[("hello.yml", HELLO_FLOW)],
        &["--test-controls"],
    );
    let port = server.port;
    fault(port, json!({"route": "create", "createThen": 502}));
    let reply = create(port, CREATE, &[]);
    assert_eq!(reply.status, 502);
    assert!(reply.body.is_empty());
    let listed = executions(port);
    assert_eq!(listed.len(), 1);
    let id = listed[0]["id"].as_str().unwrap();
    wait_for(port, id, &["SUCCESS"]);
    assert_eq!(create(port, CREATE, &[]).status, 200);
    assert_eq!(executions(port).len(), 2);
}

/// Sends a request and returns every byte the server wrote before closing.
fn raw_exchange(port: u16, method: &str, path: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    // A reset connection counts as closed without an answer.
    let _ = stream.read_to_end(&mut raw);
    raw
}

#[test]
fn drop_delay_and_exact_paths() {
    let server = start("drop", &[("hello.yml", HELLO_FLOW)], &["--test-controls"]);
    let port = server.port;

    fault(
        port,
        json!({"method": "GET", "route": "execution", "drop": true}),
    );
    assert!(raw_exchange(port, "GET", "/api/v1/main/executions/abc").is_empty());
    assert_eq!(get(port, "/api/v1/main/executions/abc").status, 404);

    // Dropped after the execution was really created.
    fault(
        port,
        json!({"route": "create", "createThen": 200, "drop": true}),
    );
    assert!(raw_exchange(port, "POST", CREATE).is_empty());
    assert_eq!(executions(port).len(), 1);

    fault(port, json!({"route": "logs", "delayMs": 300}));
    let started = Instant::now();
    assert_eq!(get(port, "/api/v1/main/logs/abc").status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let exact = "/api/v1/main/executions/special";
    fault(
        port,
        json!({"route": exact, "statuses": [500], "delayMs": 50}),
    );
    assert_eq!(get(port, "/api/v1/main/executions/other").status, 404);
    let reply = get(port, exact);
    assert_eq!(reply.status, 500);
    assert!(reply.body.is_empty());
    assert_eq!(get(port, exact).status, 404);

    for bad in [
        json!({"route": "logs"}),
        json!({"route": "logs", "createThen": 502}),
        json!({"route": "logs", "statuses": [42]}),
        json!({"route": "logs", "statuses": [503], "unknown": true}),
    ] {
        let reply = post_json(port, "/_emulator/faults", &bad);
        assert_eq!(reply.status, 400, "{bad}");
        assert!(reply.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("Bad Request: "));
    }
    let reply = request(port, "POST", "/_emulator/faults", &[], b"not json");
    assert_eq!(reply.status, 400);
}
