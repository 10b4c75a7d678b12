//! Access from other clients: API tokens (`--api-token`) and CORS (`--cors-origin`).

mod support;

use support::{request, start};

const FLOW: &str = "id: hello\nnamespace: company.team\ntasks:\n  - id: log\n    \
                    type: io.kestra.plugin.core.log.Log\n    message: hi\n";
const PATH: &str = "/api/v1/main/logs/nope";
// base64("admin@kestra.io:Secret123")
const BASIC: &str = "Basic YWRtaW5Aa2VzdHJhLmlvOlNlY3JldDEyMw==";

fn status(port: u16, authorization: Option<&str>) -> u16 {
    let headers: Vec<(&str, &str)> = authorization
        .map(|value| vec![("Authorization", value)])
        .unwrap_or_default();
    request(port, "GET", PATH, &headers, b"").status
}

#[test]
fn bearer_tokens_need_the_flag() {
    let server = start(
        "token-off",
        &[("hello.yml", FLOW)],
        &["--basic-auth", "admin@kestra.io:Secret123"],
    );
    assert_eq!(status(server.port, Some("Bearer t0k")), 401);
    assert_eq!(status(server.port, Some(BASIC)), 200);
}

#[test]
fn a_token_alone_guards_the_api() {
    let server = start("token", &[("hello.yml", FLOW)], &["--api-token", "t0k"]);
    assert_eq!(status(server.port, Some("Bearer t0k")), 200);
    assert_eq!(status(server.port, Some("bearer t0k")), 200);
    let refused = request(
        server.port,
        "GET",
        PATH,
        &[("Authorization", "Bearer nope")],
        b"",
    );
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("www-authenticate"), None);
    assert_eq!(status(server.port, None), 401);
    assert_eq!(status(server.port, Some(BASIC)), 401);
}

#[test]
fn a_token_and_basic_auth_both_work() {
    let args = [
        "--api-token",
        "t0k",
        "--basic-auth",
        "admin@kestra.io:Secret123",
    ];
    let server = start("token-basic", &[("hello.yml", FLOW)], &args);
    assert_eq!(status(server.port, Some("Bearer t0k")), 200);
    assert_eq!(status(server.port, Some(BASIC)), 200);
    let refused = request(server.port, "GET", PATH, &[], b"");
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("www-authenticate"), Some("Basic"));
}

const ORIGIN: &str = "http://localhost:5173";

fn preflight(port: u16, origin: &str) -> support::Reply {
    request(
        port,
        "OPTIONS",
        "/api/v1/main/executions/company.team/hello",
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization,content-type",
            ),
        ],
        b"",
    )
}

#[test]
fn cors_answers_allowed_origins_only() {
    let args = [
        "--cors-origin",
        ORIGIN,
        "--basic-auth",
        "admin@kestra.io:Secret123",
    ];
    let server = start("cors", &[("hello.yml", FLOW)], &args);

    // The preflight carries no credentials and is answered before authentication.
    let reply = preflight(server.port, ORIGIN);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(reply.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("authorization,content-type")
    );
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("1800"));
    assert_eq!(reply.header("vary"), Some("Origin"));

    let actual = request(
        server.port,
        "GET",
        PATH,
        &[("Origin", ORIGIN), ("Authorization", BASIC)],
        b"",
    );
    assert_eq!(actual.status, 200);
    assert_eq!(actual.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        actual.header("access-control-allow-credentials"),
        Some("true")
    );

    let other = preflight(server.port, "http://evil.test");
    assert_ne!(other.status, 200);
    assert_eq!(other.header("access-control-allow-origin"), None);
    let other = request(
        server.port,
        "GET",
        PATH,
        &[("Origin", "http://evil.test"), ("Authorization", BASIC)],
        b"",
    );
    assert_eq!(other.status, 200);
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[test]
fn cors_is_off_by_default() {
    let server = start("cors-off", &[("hello.yml", FLOW)], &[]);
    let reply = preflight(server.port, ORIGIN);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    let actual = request(server.port, "GET", PATH, &[("Origin", ORIGIN)], b"");
    assert_eq!(actual.header("access-control-allow-origin"), None);
    assert_eq!(actual.header("access-control-allow-credentials"), None);
}
