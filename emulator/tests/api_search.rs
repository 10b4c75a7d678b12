//! `GET .../executions/search`: filters, paging, order, and the 1.3 flat parameters.

mod support;

use serde_json::Value;
use support::{create, get, start, wait_for};

const HELLO: &str = "id: hello\nnamespace: company.team\nlabels:\n  team: data\ntasks:\n  \
                     - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n";
const OTHER: &str = "id: other\nnamespace: company.team.sub\ntasks:\n  \
                     - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n";
const SEARCH_NS: &str = "id: hello\nnamespace: search\ntasks:\n  \
                         - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n";

fn run(port: u16, path: &str) -> String {
    let reply = create(port, path, &[]);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_string();
    wait_for(port, &id, &["SUCCESS"]);
    id
}

fn ids(port: u16, query: &str) -> (Vec<String>, u64) {
    let reply = get(port, &format!("/api/v1/main/executions/search?{query}"));
    assert_eq!(reply.status, 200, "{query}: {}", reply.text());
    let body = reply.json();
    let ids = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|execution| execution["id"].as_str().unwrap().to_string())
        .collect();
    (ids, body["total"].as_u64().unwrap())
}

#[test]
fn search_filters_pages_and_sorts_newest_first() {
    let flows = [
        ("hello.yml", HELLO),
        ("other.yml", OTHER),
        ("s.yml", SEARCH_NS),
    ];
    let server = start("search", &flows, &[]);
    let port = server.port;
    let first = run(port, "/api/v1/main/executions/company.team/hello");
    let second = run(
        port,
        "/api/v1/main/executions/company.team/hello?labels=env:prod",
    );
    let third = run(port, "/api/v1/main/executions/company.team.sub/other");
    // `search` is a static segment of GET routes only: a namespace may still be called so.
    let fourth = run(port, "/api/v1/main/executions/search/hello");

    let (all, total) = ids(port, "");
    assert_eq!(
        all,
        vec![fourth.clone(), third.clone(), second.clone(), first.clone()]
    );
    assert_eq!(total, 4);

    let (page, total) = ids(port, "size=2&page=2");
    assert_eq!((page, total), (vec![second.clone(), first.clone()], 4));
    let (empty, total) = ids(port, "size=2&page=3");
    assert_eq!((empty.len(), total), (0, 4));

    let exact = "filters[namespace][EQUALS]=company.team";
    assert_eq!(ids(port, exact).0, vec![second.clone(), first.clone()]);
    assert_eq!(
        ids(port, "filters[flowId][EQUALS]=other").0,
        vec![third.clone()]
    );
    assert_eq!(
        ids(port, "filters[labels][EQUALS][env]=prod").0,
        vec![second.clone()]
    );
    assert_eq!(
        ids(port, "filters%5Blabels%5D%5BEQUALS%5D%5Bteam%5D=data").1,
        2
    );
    assert_eq!(ids(port, "filters[state][IN]=FAILED,SUCCESS").1, 4);
    assert_eq!(
        ids(port, "filters[state][IN]=FAILED&filters[state][IN]=KILLED").1,
        0
    );

    // 1.3's deprecated flat parameters; `namespace` also takes child namespaces.
    assert_eq!(ids(port, "namespace=company.team").1, 3);
    assert_eq!(
        ids(port, "flowId=hello&namespace=company").0,
        vec![second.clone(), first]
    );
    assert_eq!(ids(port, "labels=env:prod&state=SUCCESS").0, vec![second]);

    let bad = get(port, "/api/v1/main/executions/search?page=0");
    assert_eq!(bad.status, 400);
    // The execution route still answers ids.
    assert_eq!(
        get(port, &format!("/api/v1/main/executions/{third}")).status,
        200
    );
}

#[test]
fn version_2_1_ignores_flat_parameters_and_lists_light_executions() {
    let server = start(
        "search-21",
        &[("hello.yml", HELLO)],
        &["--kestra-version", "2.1"],
    );
    let port = server.port;
    run(port, "/api/v1/main/executions/company.team/hello");
    assert_eq!(ids(port, "namespace=nope").1, 1);
    assert_eq!(ids(port, "filters[namespace][EQUALS]=nope").1, 0);
    let body = get(port, "/api/v1/main/executions/search").json();
    let listed: &Value = &body["results"][0];
    assert!(listed.get("taskRunList").is_none());
    assert_eq!(listed["state"]["current"], "SUCCESS");
}
