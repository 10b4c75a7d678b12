//! `--kestra-version 2.1`: the slimmer execution JSON, the outputs routes and log filters.

mod support;

use std::time::Duration;

use serde_json::{json, Value};

use support::{create, get, read_stream_for, request, start, wait_for};

/// A task with outputs, an INFO and a WARN log, then a pause.
const FLOW: &str = r#"
id: mixed
namespace: tests.v2
tasks:
  - id: emit
    type: io.kestra.plugin.scripts.node.Commands
    commands:
      - node emit.js
    inputFiles:
      emit.js: |
        console.log('::' + JSON.stringify({outputs: {n: 7}}) + '::');
  - id: info
    type: io.kestra.plugin.core.log.Log
    message: plain note
  - id: warn
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: careful now
  - id: hold
    type: io.kestra.plugin.core.flow.Pause
"#;

const CREATE: &str = "/api/v1/main/executions/tests.v2/mixed";

/// Asserts the 2.x `ApiExecution` shape: no `deleted`, slim task runs.
fn assert_slim(execution: &Value) {
    assert!(execution.get("deleted").is_none(), "{execution}");
    // The first follow event is a stub without a state.
    assert!(execution["id"].is_string(), "{execution}");
    for run in execution["taskRunList"].as_array().into_iter().flatten() {
        for member in ["outputs", "executionId", "namespace", "flowId"] {
            assert!(run.get(member).is_none(), "{member} in {run}");
        }
        assert!(run["id"].is_string() && run["taskId"].is_string(), "{run}");
    }
}

/// The `data:` payloads of an event stream.
fn events(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).unwrap())
        .collect()
}

#[test]
fn executions_are_slim_and_outputs_have_their_own_routes() {
    let server = start(
        "v2-shapes",
        &[("f.yml", FLOW)],
        &["--kestra-version", "2.1"],
    );
    let port = server.port;
    let created = create(port, CREATE, &[]).json();
    assert_slim(&created);
    let id = created["id"].as_str().unwrap().to_owned();
    let paused = wait_for(port, &id, &["PAUSED"]);
    assert_slim(&paused);
    let runs = paused["taskRunList"].as_array().unwrap();
    assert_eq!(runs.len(), 4, "{paused}");
    let emit = runs[0]["id"].as_str().unwrap();
    let info = runs[1]["id"].as_str().unwrap();

    let one = get(port, &format!("/api/v1/main/outputs/{id}/{emit}"));
    assert_eq!(one.status, 200, "{}", one.text());
    assert_eq!(one.json()["vars"], json!({"n": 7}));
    assert_eq!(one.json()["exitCode"], 0);
    let none = get(port, &format!("/api/v1/main/outputs/{id}/{info}"));
    assert_eq!(none.json(), json!({}));
    let list = get(port, &format!("/api/v1/main/outputs/{id}")).json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(
        (&list[0]["taskRunId"], &list[0]["taskId"]),
        (&json!(emit), &json!("emit"))
    );
    assert_eq!(list[0]["outputs"]["vars"], json!({"n": 7}));
    assert_eq!(list[1]["outputs"], json!({}));
    for path in [
        format!("/api/v1/main/outputs/{id}/nope"),
        format!("/api/v1/main/outputs/nope/{emit}"),
        "/api/v1/main/outputs/nope".to_string(),
    ] {
        let reply = get(port, &path);
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(
            reply.json()["type"],
            "https://kestra.io/docs/api-reference/problems/not-found"
        );
    }

    let resume = format!("/api/v1/main/executions/{id}/actions/resume");
    let resumed = request(port, "POST", &resume, &[], b"");
    assert_eq!(resumed.status, 200, "{}", resumed.text());
    assert_slim(&resumed.json());

    let text = read_stream_for(
        port,
        &format!("/api/v1/main/executions/{id}/follow"),
        Duration::from_secs(3),
    );
    assert!(text.contains("id: end"), "{text}");
    let followed = events(&text);
    assert!(followed.len() >= 2, "{text}");
    followed.iter().for_each(assert_slim);
    assert_eq!(followed.last().unwrap()["state"]["current"], "SUCCESS");

    let other = create(port, CREATE, &[]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for(port, &other, &["PAUSED"]);
    let kill = format!("/api/v1/main/executions/{other}/actions/kill");
    let killed = request(port, "DELETE", &kill, &[], b"");
    assert_eq!(killed.status, 200, "{}", killed.text());
    assert_slim(&killed.json());

    let search = get(port, "/api/v1/main/executions/search").json();
    for light in search["results"].as_array().unwrap() {
        assert!(light.get("taskRunList").is_none() && light.get("outputs").is_none());
    }
}

#[test]
fn version_1_3_keeps_the_full_execution_and_has_no_outputs_routes() {
    let server = start("v2-legacy", &[("f.yml", FLOW)], &[]);
    let port = server.port;
    let id = create(port, CREATE, &[]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let paused = wait_for(port, &id, &["PAUSED"]);
    assert_eq!(paused["deleted"], false);
    let run = &paused["taskRunList"][0];
    assert_eq!(run["outputs"]["vars"], json!({"n": 7}));
    assert_eq!(
        (&run["executionId"], &run["namespace"], &run["flowId"]),
        (&json!(id), &json!("tests.v2"), &json!("mixed"))
    );
    let emit = run["id"].as_str().unwrap();
    assert_eq!(
        get(port, &format!("/api/v1/main/outputs/{id}/{emit}")).status,
        404
    );
}

#[test]
fn log_routes_take_filters_and_ignore_the_flat_parameters() {
    let server = start("v2-logs", &[("f.yml", FLOW)], &["--kestra-version", "2.1"]);
    let port = server.port;
    let id = create(port, CREATE, &[]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let paused = wait_for(port, &id, &["PAUSED"]);
    let info_run = paused["taskRunList"][1]["id"].as_str().unwrap().to_owned();
    let logs = |query: &str| -> Vec<String> {
        let reply = get(port, &format!("/api/v1/main/logs/{id}?{query}"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["message"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = logs("");
    assert!(all.iter().any(|m| m == "plain note") && all.iter().any(|m| m == "careful now"));

    assert_eq!(logs("minLevel=WARN"), all);
    assert_eq!(logs("taskId=warn"), all);
    assert_eq!(
        logs("filters[level][GREATER_THAN_OR_EQUAL_TO]=WARN"),
        vec!["careful now"]
    );
    assert_eq!(
        logs("filters%5Blevel%5D%5BEQUALS%5D=INFO&filters[taskId][EQUALS]=info"),
        vec!["plain note"]
    );
    assert_eq!(logs("filters[taskId][EQUALS]=warn"), vec!["careful now"]);
    assert_eq!(
        logs(&format!("filters[taskRunId][EQUALS]={info_run}")),
        vec!["plain note"]
    );
    assert!(logs(&format!(
        "filters[taskId][EQUALS]=warn&filters[taskRunId][EQUALS]={info_run}"
    ))
    .is_empty());

    let download = get(
        port,
        &format!("/api/v1/main/logs/{id}/download?filters[taskId][EQUALS]=info&taskId=warn"),
    );
    assert_eq!(download.status, 200);
    let text = download.text();
    assert!(
        text.ends_with(" INFO plain note") && !text.contains('\n'),
        "{text}"
    );

    let followed = read_stream_for(
        port,
        &format!(
            "/api/v1/main/logs/{id}/follow?filters[level][GREATER_THAN_OR_EQUAL_TO]=WARN\
             &minLevel=TRACE"
        ),
        Duration::from_millis(700),
    );
    assert!(followed.contains("careful now"), "{followed}");
    assert!(!followed.contains("plain note"), "{followed}");
}
