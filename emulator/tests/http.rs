//! Starts the built emulator on a free port and talks to it over HTTP.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use support::*;

#[test]
fn runs_a_flow_with_protocol_output() {
    let server = start("proto", &[("proto.yml", PROTOCOL_FLOW)], &[]);
    let port = server.port;

    let created = create(
        port,
        "/api/v1/main/executions/company.team/proto?labels=env:prod",
        &[("name", None, b"Ada"), ("extra", None, b"x")],
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let body = created.json();
    let id = body["id"].as_str().unwrap().to_string();
    assert!(id.len() <= 22 && id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(body["state"]["current"], "CREATED");
    assert_eq!(body["state"]["histories"].as_array().unwrap().len(), 1);
    assert!(body.get("taskRunList").is_none());
    assert_eq!(
        body["url"],
        format!("http://127.0.0.1:{port}/ui/main/executions/company.team/proto/{id}")
    );
    assert_eq!(
        body["inputs"],
        serde_json::json!({"name": "Ada", "count": 2})
    );
    let labels: Vec<(String, String)> = body["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["key"].as_str().unwrap().into(),
                l["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        labels,
        vec![
            ("team".into(), "data".into()),
            ("env".into(), "prod".into()),
            ("system.correlationId".into(), id.clone()),
        ]
    );

    let done = wait_for(port, &id, &["SUCCESS", "FAILED"]);
    assert_eq!(done["state"]["current"], "SUCCESS", "{done:#}");
    for key in [
        "namespace",
        "flowId",
        "flowRevision",
        "tenantId",
        "originalId",
        "deleted",
    ] {
        assert!(done.get(key).is_some(), "missing {key}");
    }
    assert_eq!(done["tenantId"], "main");
    assert_eq!(done["metadata"]["attemptNumber"], 1);
    assert!(done["state"]["duration"]
        .as_str()
        .unwrap()
        .starts_with("PT"));
    assert!(done["state"]["endDate"].as_str().unwrap().ends_with('Z'));
    assert!(done.get("url").is_none());
    assert_eq!(done["outputs"], serde_json::json!({"n": 2}));
    let runs = done["taskRunList"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[0]["outputs"],
        serde_json::json!({"vars": {"who": "Ada", "n": 2}, "exitCode": 0})
    );
    assert!(runs[1]["outputs"].is_null());
    assert_eq!(runs[0]["attempts"][0]["state"]["current"], "SUCCESS");

    let logs = messages(port, &id);
    let expected_warn =
        "Input extra was provided for workflow company.team.proto but isn't declared in the \
         workflow inputs";
    assert!(
        logs.contains(&("WARN".into(), expected_warn.into())),
        "{logs:?}"
    );
    assert!(logs.contains(&("WARN".into(), "careful".into())));
    assert!(logs
        .iter()
        .any(|(level, message)| level == "WARN" && message.starts_with("Invalid outputs '")));
    assert!(logs.contains(&(
        "INFO".into(),
        "::{\"outputs\": {\"sep\": \"a\u{2028}b\"}}::".into()
    )));
    assert!(logs.contains(&("INFO".into(), "plain text".into())));
    assert!(logs.contains(&("ERROR".into(), "on stderr".into())));
    assert!(logs.contains(&("INFO".into(), "Ada got 2".into())));
    assert!(!logs.iter().any(|(_, message)| message == "dropped"));

    let warn_only = get(port, &format!("/api/v1/main/logs/{id}?minLevel=ERROR")).json();
    assert_eq!(warn_only.as_array().unwrap().len(), 1);
    let task_only = get(port, &format!("/api/v1/main/logs/{id}?taskId=done")).json();
    assert_eq!(task_only.as_array().unwrap().len(), 1);
    assert_eq!(task_only[0]["attemptNumber"], 0);

    let download = get(port, &format!("/api/v1/main/logs/{id}/download"));
    assert_eq!(download.status, 200);
    assert!(download
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert!(download.header("cache-control").is_none());
    let text = download.text();
    assert!(!text.ends_with('\n'));
    let first = text.split('\n').next().unwrap();
    let mut fields = first.splitn(3, ' ');
    assert!(fields.next().unwrap().ends_with('Z'));
    assert_eq!(fields.next(), Some("WARN"));
    assert_eq!(fields.next(), Some(expected_warn));
    assert!(text.ends_with(" INFO Ada got 2"));

    let metrics = get(port, &format!("/api/v1/main/metrics/{id}")).json();
    assert_eq!(metrics["total"], 1);
    assert_eq!(metrics["results"][0]["name"], "rows");
    assert_eq!(metrics["results"][0]["value"], 7.0);
}

#[test]
fn failures_stop_the_flow() {
    let server = start("fail", &[("f.yml", FAILING_FLOW)], &[]);
    let port = server.port;
    let reply = request(
        port,
        "POST",
        "/api/v1/main/executions/company.team/failing?wait=true",
        &[],
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let done = reply.json();
    assert_eq!(done["state"]["current"], "FAILED");
    let runs = done["taskRunList"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["state"]["current"], "FAILED");
    let id = done["id"].as_str().unwrap();
    let logs = messages(port, id);
    assert_eq!(
        logs,
        vec![
            ("INFO".into(), "before".into()),
            ("ERROR".into(), "Command failed with exit code 3".into())
        ]
    );
}

#[test]
fn errors_have_kestra_bodies() {
    let server = start(
        "errors",
        &[("proto.yml", PROTOCOL_FLOW), ("off.yaml", DISABLED_FLOW)],
        &[],
    );
    let port = server.port;

    let path = "/api/v1/main/executions/company.team/nope";
    let reply = create(port, path, &[]);
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json(),
        serde_json::json!({"message": "Not Found: Requested Flow is not found.",
                           "_links": {"self": [{"href": path, "templated": false}]}})
    );

    let reply = create(port, "/api/v1/main/executions/company.team/off", &[]);
    assert_eq!(reply.status, 409);
    assert_eq!(
        reply.json()["message"],
        "Illegal state: Requested Flow is disabled."
    );

    let reply = create(
        port,
        "/api/v1/main/executions/company.team/proto?revision=2",
        &[],
    );
    assert_eq!(reply.status, 404);

    let reply = create(port, "/api/v1/main/executions/company.team/proto", &[]);
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.json()["message"],
        "Invalid entity: Missing required input:name"
    );

    let reply = create(
        port,
        "/api/v1/main/executions/company.team/proto",
        &[("name", None, b"a"), ("count", None, b"5.0")],
    );
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.json()["message"],
        "Invalid entity: Invalid value for input `count`. Cause: For input string: \"5.0\""
    );

    let reply = create(
        port,
        "/api/v1/main/executions/company.team/proto?labels=a:1&labels=a:2",
        &[("name", None, b"a")],
    );
    assert_eq!(reply.status, 409);

    let reply = get(port, "/api/v1/main/executions/doesNotExist");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["message"], "Not Found");
    assert_eq!(
        reply.json()["_links"]["self"][0]["href"],
        "/api/v1/main/executions/doesNotExist"
    );

    let reply = get(port, "/api/v1/main/logs/doesNotExist");
    assert_eq!((reply.status, reply.json()), (200, serde_json::json!([])));
    assert_eq!(
        get(port, "/api/v1/main/logs/doesNotExist/download").status,
        404
    );

    let reply = get(port, "/api/v1/main/nothing/here");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["message"], "Not Found");
}

#[test]
fn basic_auth_guards_the_api() {
    let server = start(
        "auth",
        &[("proto.yml", PROTOCOL_FLOW)],
        &["--basic-auth", "admin@kestra.io:Secret1"],
    );
    let port = server.port;
    let path = "/api/v1/main/executions/unknownId";

    for headers in [
        vec![],
        vec![("Authorization", "Bearer YWRtaW5Aa2VzdHJhLmlvOlNlY3JldDE=")],
        vec![("Authorization", "Basic d3Jvbmc6d3Jvbmc=")],
    ] {
        let reply = request(port, "GET", path, &headers, b"");
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("www-authenticate"), Some("Basic"));
        assert!(reply.body.is_empty());
    }
    let good = "YWRtaW5Aa2VzdHJhLmlvOlNlY3JldDE=";
    let reply = request(
        port,
        "GET",
        path,
        &[("Authorization", &format!("basic {good}"))],
        b"",
    );
    assert_eq!(reply.status, 404);
    let reply = request(
        port,
        "GET",
        path,
        &[("Cookie", &format!("BASIC_AUTH={good}"))],
        b"",
    );
    assert_eq!(reply.status, 404);
}

#[test]
fn kill_stops_the_process() {
    let server = start("kill", &[("slow.yml", SLOW_FLOW)], &[]);
    let port = server.port;
    let created = request(
        port,
        "POST",
        "/api/v1/main/executions/company.team/slow",
        &[],
        b"",
    )
    .json();
    let id = created["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let execution = get(port, &format!("/api/v1/main/executions/{id}")).json();
        if execution["taskRunList"][0]["state"]["current"] == "RUNNING" {
            break;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    let started = Instant::now();
    let reply = request(
        port,
        "DELETE",
        &format!("/api/v1/main/executions/{id}/kill"),
        &[],
        b"",
    );
    assert_eq!(reply.status, 202);
    let done = wait_for(port, &id, &["KILLED"]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        history(&done["state"]),
        ["CREATED", "RUNNING", "KILLING", "KILLED"]
    );
}

#[test]
fn follow_streams_until_the_end() {
    let server = start("follow", &[("f.yml", FAILING_FLOW)], &[]);
    let port = server.port;
    let created = request(
        port,
        "POST",
        "/api/v1/main/executions/company.team/failing",
        &[],
        b"",
    )
    .json();
    let id = created["id"].as_str().unwrap();
    let reply = get(port, &format!("/api/v1/main/executions/{id}/follow"));
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let text = reply.text();
    let events: Vec<&str> = text
        .split("\n\n")
        .filter(|event| !event.is_empty())
        .collect();
    assert!(events.first().unwrap().starts_with("id: start\ndata: {"));
    let last = events.last().unwrap();
    assert!(last.starts_with("id: end\ndata: "), "{text}");
    assert!(!text.contains("event:"));
    let data: Value = serde_json::from_str(last.trim_start_matches("id: end\ndata: ")).unwrap();
    assert_eq!(data["state"]["current"], "FAILED");
}

/// A stand-in for the npm package, written only for this test.
const FAKE_CLIENT: &str = r#"
const send = (frame) => console.log('::' + JSON.stringify(frame) + '::');
const log = (level) => (message) => send({ logs: [{ level, message }] });
export const Kestra = {
  outputs: (outputs) => send({ outputs }),
  counter: (name, value, tags) => send({ metrics: [{ name, type: 'counter', value, tags }] }),
  timer: (name, fn) => {
    const start = Date.now();
    const result = fn();
    send({ metrics: [{ name, type: 'timer', value: (Date.now() - start) / 1000, tags: {} }] });
    return result;
  },
  logger: () => ({ info: log('INFO'), warn: log('WARN') }),
};
"#;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("examples")
}

#[test]
fn runs_the_demo_flow_with_an_uploaded_file() {
    let dir = scratch_dir("demo");
    let hello = std::fs::read_to_string(examples().join("flows").join("hello.yml")).unwrap();
    std::fs::write(dir.join("flows").join("hello.yml"), hello).unwrap();
    let module = dir.join("work").join("node_modules").join("kestra-wasm");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(
        module.join("package.json"),
        r#"{"name": "kestra-wasm", "type": "module", "main": "index.js"}"#,
    )
    .unwrap();
    std::fs::write(module.join("index.js"), FAKE_CLIENT).unwrap();
    let server = start_in(dir, &[]);
    let port = server.port;

    let csv = b"id,amount\n1,10\n2,20\n3,30\n";
    let reply = create(
        port,
        "/api/v1/main/executions/examples/hello?wait=true",
        &[("name", None, b"Grace"), ("data", Some("orders.csv"), csv)],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let done = reply.json();
    let id = done["id"].as_str().unwrap();
    assert_eq!(
        done["inputs"]["data"],
        format!("kestra:///examples/hello/executions/{id}/inputs/data/orders.csv")
    );
    assert_eq!(
        done["state"]["current"],
        "SUCCESS",
        "{:?}",
        messages(port, id)
    );
    assert_eq!(
        done["outputs"],
        serde_json::json!({"rows": 3, "greeting": "Hello, Grace!"})
    );
    let logs = messages(port, id);
    assert!(
        logs.contains(&("INFO".into(), "Grace, your file has 3 rows".into())),
        "{logs:?}"
    );
    assert!(logs.contains(&("WARN".into(), "only 3 rows: is this a sample?".into())));
}

const UPLOAD_FLOW: &str = "id: up\nnamespace: a.b\ninputs:\n  - id: doc\n    type: FILE\n\
                           tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n\
                           \x20   message: x\n";

#[test]
fn legacy_file_part_is_accepted_with_a_warning() {
    let server = start("legacy", &[("up.yml", UPLOAD_FLOW)], &[]);
    let port = server.port;
    let reply = create(
        port,
        "/api/v1/main/executions/a.b/up",
        &[("files", Some("doc"), b"hi")],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        body["inputs"]["doc"],
        format!("kestra:///a/b/up/executions/{id}/inputs/doc/doc")
    );
    let logs = messages(port, id);
    assert!(
        logs[0]
            .1
            .starts_with("Using a deprecated way to upload a FILE input."),
        "{logs:?}"
    );
}

#[test]
fn invalid_flow_files_stop_the_start() {
    let dir = scratch_dir("invalid");
    std::fs::write(
        dir.join("flows").join("bad.yml"),
        "id: bad\nnamespace: a\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.flow.Parallel\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kestra-emulator"))
        .arg("--flows")
        .arg(dir.join("flows"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yml") && stderr.contains("io.kestra.plugin.core.flow.Parallel"));
    assert!(output.stdout.is_empty());
}

#[test]
fn a_flow_named_follow_can_be_executed() {
    const FOLLOW_FLOW: &str = "id: follow\nnamespace: t.ns\ntasks:\n  - id: hi\n    \
                               type: io.kestra.plugin.core.log.Log\n    message: hi\n";
    let server = start("follow-id", &[("f.yml", FOLLOW_FLOW)], &[]);
    let reply = request(
        server.port,
        "POST",
        "/api/v1/main/executions/t.ns/follow?wait=true",
        &[],
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let done = reply.json();
    assert_eq!(done["flowId"], "follow");
    assert_eq!(done["state"]["current"], "SUCCESS");
}
