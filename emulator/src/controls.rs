//! Test controls under `/_emulator/`: injected faults, request counts and a list of all
//! executions. Served only with `--test-controls`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::store::{lock, App};

/// Path prefix of the control routes.
pub const PREFIX: &str = "/_emulator";

/// The longest delay a fault may ask for, in milliseconds.
const MAX_DELAY_MS: u64 = 600_000;

/// What one matched request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shot {
    /// Answered with this status and an empty body.
    Answer(u16),
    /// Handled for real, then answered with this status and an empty body.
    CreateThen(u16),
    /// Handled for real (a fault that only delays or drops).
    Pass,
}

/// A queued fault: the shots still to fire for requests matching (method, route).
#[derive(Debug, Clone)]
struct Fault {
    method: Option<String>,
    route: String,
    shots: VecDeque<Shot>,
    delay: Duration,
    drop: bool,
    retry_after: Option<HeaderValue>,
}

/// The body of `POST /_emulator/faults`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultSpec {
    method: Option<String>,
    route: String,
    #[serde(default)]
    statuses: Vec<u16>,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default)]
    drop: bool,
    retry_after: Option<Value>,
    create_then: Option<u16>,
}

/// Queued faults and request counts.
#[derive(Default)]
pub struct Controls {
    faults: Mutex<VecDeque<Fault>>,
    counts: Mutex<BTreeMap<String, u64>>,
}

impl Controls {
    fn count(&self, key: String) {
        *lock(&self.counts).entry(key).or_default() += 1;
    }

    /// Takes the next shot of the first fault matching the request, dropping spent faults.
    fn take(&self, method: &str, route: &str, path: &str) -> Option<(Shot, Fault)> {
        let mut faults = lock(&self.faults);
        let index = faults.iter().position(|fault| {
            let method_matches = fault
                .method
                .as_deref()
                .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method));
            method_matches && (fault.route == route || fault.route == path)
        })?;
        let fault = faults.get_mut(index)?;
        let shot = fault.shots.pop_front()?;
        let copy = fault.clone();
        if fault.shots.is_empty() {
            faults.remove(index);
        }
        Some((shot, copy))
    }
}

fn valid_status(status: u16) -> Result<StatusCode, String> {
    StatusCode::from_u16(status)
        .ok()
        .filter(|code| (200..600).contains(&code.as_u16()))
        .ok_or_else(|| format!("status {status} is not between 200 and 599"))
}

fn parse_fault(body: &[u8]) -> Result<Fault, String> {
    let spec: FaultSpec = serde_json::from_slice(body).map_err(|error| error.to_string())?;
    if spec.route.is_empty() {
        return Err("`route` must not be empty".to_string());
    }
    if spec.delay_ms > MAX_DELAY_MS {
        return Err(format!("`delayMs` must be at most {MAX_DELAY_MS}"));
    }
    let mut shots = VecDeque::new();
    for status in &spec.statuses {
        valid_status(*status)?;
        shots.push_back(Shot::Answer(*status));
    }
    if let Some(status) = spec.create_then {
        if spec.route != "create" {
            return Err("`createThen` only applies to the `create` route".to_string());
        }
        valid_status(status)?;
        shots.push_back(Shot::CreateThen(status));
    }
    if shots.is_empty() {
        if !spec.drop && spec.delay_ms == 0 {
            return Err(
                "the fault does nothing: give statuses, delayMs, drop or createThen".to_string(),
            );
        }
        shots.push_back(Shot::Pass);
    }
    let retry_after = match spec.retry_after {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(Value::Number(number)) if number.is_u64() => Some(number.to_string()),
        Some(_) => return Err("`retryAfter` must be a string or a whole number".to_string()),
    };
    let retry_after = retry_after
        .map(|text| HeaderValue::from_str(&text))
        .transpose()
        .map_err(|_| "`retryAfter` is not a valid header value".to_string())?;
    Ok(Fault {
        method: spec.method,
        route: spec.route,
        shots,
        delay: Duration::from_millis(spec.delay_ms),
        drop: spec.drop,
        retry_after,
    })
}

/// The route name of a request: `create`, `execution`, `search`, `resume`, `logs`,
/// `logs-download`, `logs-follow`, `follow`, `kill`, or else the path itself. Tenant-less paths are named only when `legacy` is on.
pub fn route_name(method: &str, path: &str, legacy: bool) -> String {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let tail = match segments.as_slice() {
        ["api", "v1", _, kind, rest @ ..] if *kind == "executions" || *kind == "logs" => {
            Some((*kind, rest))
        }
        ["api", "v1", kind, rest @ ..] if legacy && (*kind == "executions" || *kind == "logs") => {
            Some((*kind, rest))
        }
        _ => None,
    };
    let name = match tail {
        Some(("executions", ["search"])) if method == "GET" => "search",
        Some(("executions", [_, "resume"] | [_, "actions", "resume"])) if method == "POST" => {
            "resume"
        }
        Some(("logs", [_, "follow"])) if method == "GET" => "logs-follow",
        Some(("executions", [_, "follow"])) if method == "GET" => "follow",
        Some(("executions", [_, "kill"] | [_, "actions", "kill"])) if method == "DELETE" => "kill",
        Some(("executions", [_, _])) if method == "POST" => "create",
        Some(("executions", [_])) if method == "GET" => "execution",
        Some(("logs", [_])) if method == "GET" => "logs",
        Some(("logs", [_, "download"])) if method == "GET" => "logs-download",
        _ => return path.to_string(),
    };
    name.to_string()
}

/// An answer that closes the connection before anything is written: the body fails at once,
/// so the server aborts the connection instead of sending the head.
fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped on purpose"))
    });
    Response::new(Body::from_stream(failing))
}

fn empty(status: u16, retry_after: Option<&HeaderValue>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Body::empty()).into_response();
    if let Some(value) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, value.clone());
    }
    response
}

/// Counts API requests and fires the queued faults; a no-op without `--test-controls`.
pub async fn inject(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if !app.config.test_controls || path == PREFIX || path.starts_with("/_emulator/") {
        return next.run(request).await;
    }
    let method = request.method().as_str().to_string();
    let route = route_name(&method, &path, app.config.legacy_routes);
    app.controls.count(format!("{method} {route}"));
    let Some((shot, fault)) = app.controls.take(&method, &route, &path) else {
        return next.run(request).await;
    };
    if !fault.delay.is_zero() {
        tokio::time::sleep(fault.delay).await;
    }
    let retry_after = fault.retry_after.as_ref();
    match shot {
        Shot::Pass if fault.drop => dropped(),
        Shot::Pass => next.run(request).await,
        Shot::Answer(_) if fault.drop => dropped(),
        Shot::Answer(status) => empty(status, retry_after),
        Shot::CreateThen(status) => {
            let _ = next.run(request).await;
            if fault.drop {
                dropped()
            } else {
                empty(status, retry_after)
            }
        }
    }
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"message": format!("Bad Request: {message}")})),
    )
        .into_response()
}

/// `POST /_emulator/faults`: queues a fault.
pub async fn add_fault(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match parse_fault(&body) {
        Ok(fault) => {
            let mut faults = lock(&app.controls.faults);
            faults.push_back(fault);
            Json(json!({"queued": faults.len()})).into_response()
        }
        Err(message) => bad_request(&message),
    }
}

/// `GET /_emulator/faults`: the queued faults with their remaining statuses.
pub async fn list_faults(State(app): State<Arc<App>>) -> Response {
    let faults = lock(&app.controls.faults);
    let list: Vec<Value> = faults
        .iter()
        .map(|fault| {
            let shots: Vec<Value> = fault
                .shots
                .iter()
                .map(|shot| match shot {
                    Shot::Answer(status) => json!(status),
                    Shot::CreateThen(status) => json!({"createThen": status}),
                    Shot::Pass => json!("pass"),
                })
                .collect();
            json!({
                "method": fault.method,
                "route": fault.route,
                "remaining": shots,
                "delayMs": u64::try_from(fault.delay.as_millis()).unwrap_or(u64::MAX),
                "drop": fault.drop,
                "retryAfter": fault.retry_after.as_ref().and_then(|v| v.to_str().ok()),
            })
        })
        .collect();
    Json(list).into_response()
}

/// `DELETE /_emulator/faults`: forgets every queued fault.
pub async fn clear_faults(State(app): State<Arc<App>>) -> StatusCode {
    lock(&app.controls.faults).clear();
    StatusCode::NO_CONTENT
}

/// `GET /_emulator/requests`: counts per `"METHOD route"`.
pub async fn request_counts(State(app): State<Arc<App>>) -> Response {
    Json(lock(&app.controls.counts).clone()).into_response()
}

/// `DELETE /_emulator/requests`: restarts the counts.
pub async fn clear_counts(State(app): State<Arc<App>>) -> StatusCode {
    lock(&app.controls.counts).clear();
    StatusCode::NO_CONTENT
}

/// `GET /_emulator/executions`: every execution, oldest first.
pub async fn executions(State(app): State<Arc<App>>) -> Response {
    let list: Vec<Value> = app
        .all_executions()
        .iter()
        .map(|execution| {
            json!({
                "id": execution.id,
                "namespace": execution.namespace,
                "flowId": execution.flow_id,
                "state": execution.state.current(),
                "labels": execution.labels,
            })
        })
        .collect();
    Json(list).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_routes() {
        let name = |method, path| route_name(method, path, false);
        assert_eq!(name("POST", "/api/v1/main/executions/a.b/f"), "create");
        assert_eq!(name("POST", "/api/v1/main/executions/a.b/follow"), "create");
        assert_eq!(name("GET", "/api/v1/x/executions/id1"), "execution");
        assert_eq!(name("GET", "/api/v1/main/executions/id1/follow"), "follow");
        assert_eq!(name("DELETE", "/api/v1/main/executions/id1/kill"), "kill");
        assert_eq!(
            name("DELETE", "/api/v1/main/executions/i/actions/kill"),
            "kill"
        );
        assert_eq!(name("GET", "/api/v1/main/executions/search"), "search");
        assert_eq!(name("POST", "/api/v1/main/executions/id1/resume"), "resume");
        assert_eq!(
            name("POST", "/api/v1/main/executions/id1/actions/resume"),
            "resume"
        );
        assert_eq!(name("GET", "/api/v1/main/logs/id1/follow"), "logs-follow");
        assert_eq!(name("GET", "/api/v1/main/logs/id1"), "logs");
        assert_eq!(
            name("GET", "/api/v1/main/logs/id1/download"),
            "logs-download"
        );
        assert_eq!(
            name("GET", "/api/v1/executions/id1"),
            "/api/v1/executions/id1"
        );
        assert_eq!(
            route_name("GET", "/api/v1/executions/id1", true),
            "execution"
        );
        assert_eq!(name("GET", "/api/v1/configs"), "/api/v1/configs");
    }

    #[test]
    fn parses_faults() {
        let fault = parse_fault(
            br#"{"route": "create", "statuses": [503, 502],
            "retryAfter": 2, "createThen": 500}"#,
        )
        .unwrap();
        assert_eq!(
            fault.shots,
            VecDeque::from([Shot::Answer(503), Shot::Answer(502), Shot::CreateThen(500)])
        );
        assert_eq!(fault.retry_after, Some(HeaderValue::from_static("2")));
        let fault = parse_fault(br#"{"route": "logs", "delayMs": 10}"#).unwrap();
        assert_eq!(fault.shots, VecDeque::from([Shot::Pass]));
        for bad in [
            r#"{"route": "logs"}"#,
            r#"{"route": "logs", "createThen": 502}"#,
            r#"{"route": "logs", "statuses": [99]}"#,
            r#"{"route": "logs", "statuses": [503], "other": 1}"#,
            r#"{"route": "", "statuses": [503]}"#,
            r#"{"route": "logs", "statuses": [503], "retryAfter": true}"#,
            r#"{"route": "logs", "delayMs": 100000000}"#,
        ] {
            assert!(parse_fault(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
