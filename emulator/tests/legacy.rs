//! `--legacy-routes`: the tenant-less paths of Kestra 0.22 and older.

mod support;

use support::*;

const HELLO_FLOW: &str = r#"
id: hello
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hi there
"#;

#[test]
fn tenant_less_paths_are_404_by_default() {
    let server = start("legacy-off", &[("hello.yml", HELLO_FLOW)], &[]);
    let port = server.port;
    let created = create(port, "/api/v1/main/executions/company.team/hello", &[]);
    let id = created.json()["id"].as_str().unwrap().to_string();
    wait_for(port, &id, &["SUCCESS"]);
    for (method, path) in [
        ("POST", "/api/v1/executions/company.team/hello".to_string()),
        ("GET", format!("/api/v1/executions/{id}")),
        ("GET", format!("/api/v1/executions/{id}/follow")),
        ("DELETE", format!("/api/v1/executions/{id}/kill")),
        ("GET", format!("/api/v1/logs/{id}")),
        ("GET", format!("/api/v1/logs/{id}/download")),
    ] {
        let reply = request(port, method, &path, &[], b"");
        assert_eq!(reply.status, 404, "{method} {path}");
        assert_eq!(reply.json()["message"], "Not Found");
    }
}

#[test]
fn tenant_less_paths_are_served_with_the_flag() {
    let server = start(
        "legacy-on",
        &[("hello.yml", HELLO_FLOW)],
        &["--legacy-routes"],
    );
    let port = server.port;
    let created = create(port, "/api/v1/executions/company.team/hello", &[]);
    assert_eq!(created.status, 200);
    let id = created.json()["id"].as_str().unwrap().to_string();
    wait_for(port, &id, &["SUCCESS"]);

    let execution = get(port, &format!("/api/v1/executions/{id}"));
    assert_eq!(execution.status, 200);
    assert_eq!(execution.json()["state"]["current"], "SUCCESS");
    let logs = get(port, &format!("/api/v1/logs/{id}")).json();
    assert!(logs
        .as_array()
        .unwrap()
        .iter()
        .any(|entry| entry["message"] == "hi there"));
    let download = get(port, &format!("/api/v1/logs/{id}/download"));
    assert_eq!(download.status, 200);
    assert!(download.text().contains("hi there"));
    let follow = get(port, &format!("/api/v1/executions/{id}/follow"));
    assert_eq!(follow.header("content-type"), Some("text/event-stream"));
    assert!(follow.text().contains("id: end\n"));
    let kill = request(
        port,
        "DELETE",
        &format!("/api/v1/executions/{id}/kill"),
        &[],
        b"",
    );
    assert_eq!(kill.status, 202);

    // Errors name the legacy path, and the tenant paths still answer.
    let missing = "/api/v1/executions/company.team/nope";
    let reply = create(port, missing, &[]);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["_links"]["self"][0]["href"], missing);
    assert_eq!(
        get(port, &format!("/api/v1/main/executions/{id}")).status,
        200
    );
    assert_eq!(get(port, "/api/v1/executions/unknown").status, 404);
}
