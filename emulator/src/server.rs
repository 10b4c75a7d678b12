//! The HTTP API: routes, authentication, request parsing and response shapes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, OriginalUri, Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use base64::Engine;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::controls;
use crate::errors::{json_error, problem_document, ApiError, Problem};
use crate::inputs;
use crate::labels;
use crate::model::{
    new_id, now_micros, Execution, Level, Metadata, State as ExecState, StateType, TENANT,
};
use crate::runner;
use crate::store::{ApiVersion, App};

type Shared = Arc<App>;

/// Characters kept as is in the path segments of storage URIs.
const URI_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The path parameter of a route with one (ignoring the tenant).
#[derive(Deserialize)]
pub struct One {
    /// The execution id, or the namespace of a create call.
    pub a: String,
}

/// The path parameters of a create route (ignoring the tenant).
#[derive(Deserialize)]
pub struct Two {
    /// The namespace.
    pub a: String,
    /// The flow id.
    pub b: String,
}

/// Adds the execution and log routes under `prefix` (with or without a tenant segment).
fn api_routes(router: Router<Shared>, prefix: &str, version: ApiVersion) -> Router<Shared> {
    let router = match version {
        ApiVersion::V1_3 => router.route(
            &format!("{prefix}/executions/{{a}}/kill"),
            delete(kill_execution),
        ),
        ApiVersion::V2_1 => router.route(
            &format!("{prefix}/executions/{{a}}/actions/kill"),
            delete(kill_and_wait),
        ),
    };
    // `resume` is a reserved flow id since Kestra 1.0, so this path shadows no flow.
    let router = match version {
        ApiVersion::V1_3 => router.route(
            &format!("{prefix}/executions/{{a}}/resume"),
            post(resume_execution),
        ),
        ApiVersion::V2_1 => router.route(
            &format!("{prefix}/executions/{{a}}/actions/resume"),
            post(resume_execution),
        ),
    };
    let router = router
        .route(
            &format!("{prefix}/executions/{{a}}/{{b}}"),
            post(create_execution),
        )
        .route(&format!("{prefix}/executions/{{a}}"), get(get_execution))
        // A static segment wins over `{a}` in the router, so `search` is never an id here.
        .route(
            &format!("{prefix}/executions/search"),
            get(crate::search::search_executions),
        )
        .route(
            &format!("{prefix}/executions/{{a}}/follow"),
            get(crate::follow::follow_execution).post(create_execution_of_follow),
        )
        .route(&format!("{prefix}/logs/{{a}}"), get(get_logs))
        .route(&format!("{prefix}/logs/{{a}}/download"), get(download_logs))
        .route(
            &format!("{prefix}/logs/{{a}}/follow"),
            get(crate::follow::follow_logs),
        )
        .route(&format!("{prefix}/metrics/{{a}}"), get(get_metrics));
    match version {
        ApiVersion::V1_3 => router,
        ApiVersion::V2_1 => router
            .route(
                &format!("{prefix}/outputs/{{a}}"),
                get(crate::api_v2::execution_outputs),
            )
            .route(
                &format!("{prefix}/outputs/{{a}}/{{b}}"),
                get(crate::api_v2::task_run_outputs),
            ),
    }
}

/// Builds the router.
pub fn router(app: Shared) -> Router {
    let api = api_routes(Router::new(), "/api/v1/{tenant}", app.config.version);
    let api = if app.config.legacy_routes {
        api_routes(api, "/api/v1", app.config.version)
    } else {
        api
    };
    let api = if app.config.test_controls {
        api.route(
            "/_emulator/faults",
            post(controls::add_fault)
                .get(controls::list_faults)
                .delete(controls::clear_faults),
        )
        .route(
            "/_emulator/requests",
            get(controls::request_counts).delete(controls::clear_counts),
        )
        .route("/_emulator/executions", get(controls::executions))
    } else {
        api
    };
    let api = api
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::disable());
    api.layer(middleware::from_fn_with_state(
        Arc::clone(&app),
        authenticate,
    ))
    .layer(middleware::from_fn_with_state(Arc::clone(&app), problems))
    .layer(middleware::from_fn_with_state(
        Arc::clone(&app),
        controls::inject,
    ))
    .layer(middleware::from_fn_with_state(
        Arc::clone(&app),
        crate::cors::cors,
    ))
    .with_state(app)
}

/// Turns an [`ApiError`] into a 1.x response for the request path; the error rides along so
/// that [`problems`] can answer the 2.x way instead.
pub fn error_response(error: &ApiError, path: &str) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(error.body(path))).into_response();
    response.extensions_mut().insert(error.clone());
    response
}

/// Marks a 404 answered because no route matched.
#[derive(Clone, Copy)]
struct Unmatched;

async fn not_found(OriginalUri(uri): OriginalUri) -> Response {
    let mut response = error_response(&ApiError::not_found(), uri.path());
    response.extensions_mut().insert(Unmatched);
    response
}

/// In 2.1 mode, replaces every API error body by a problem document, like Kestra's
/// `ProblemResponseFilter`; 404s also name the edition and whether a route matched.
async fn problems(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    if app.config.version != ApiVersion::V2_1
        || status < 400
        || path.starts_with(crate::controls::PREFIX)
    {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let (problem, body) = match parts.extensions.get::<ApiError>() {
        Some(error) => (error.problem, error.problem_body(&path)),
        None => {
            let problem = Problem::by_status(status);
            (problem, problem_document(problem, None, &path))
        }
    };
    let status =
        StatusCode::from_u16(problem.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    parts.status = status;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if status == StatusCode::NOT_FOUND {
        let matched = if parts.extensions.get::<Unmatched>().is_some() {
            "false"
        } else {
            "true"
        };
        parts
            .headers
            .insert("x-kestra-edition", HeaderValue::from_static("OSS"));
        parts
            .headers
            .insert("x-kestra-route-matched", HeaderValue::from_static(matched));
    }
    Response::from_parts(parts, Body::from(body.to_string()))
}

async fn method_not_allowed(OriginalUri(uri): OriginalUri) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json_error("Method Not Allowed", uri.path())),
    )
        .into_response()
}

/// The most of a refused request's body read before answering 401.
const REFUSED_BODY_DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// Checks the credentials of every `/api/v1` call when basic auth or an API token is on.
async fn authenticate(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let (basic, token) = (&app.config.auth, &app.config.api_token);
    if basic.is_none() && token.is_none() {
        return next.run(request).await;
    }
    let path = request.uri().path();
    if !(path == "/api/v1" || path.starts_with("/api/v1/")) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let basic_ok = basic.as_ref().is_some_and(|(user, password)| {
        credentials(headers).is_some_and(|(u, p)| u == *user && p == *password)
    });
    let token_ok = token
        .as_ref()
        .is_some_and(|token| bearer(headers).is_some_and(|given| given == *token));
    if basic_ok || token_ok {
        return next.run(request).await;
    }
    // Read what the client is still sending (up to a bound) before refusing: a server that
    // closes mid-upload makes the client fail on a broken pipe instead of reading the 401.
    let _ = axum::body::to_bytes(request.into_body(), REFUSED_BODY_DRAIN_LIMIT).await;
    let mut refusal = Response::builder().status(StatusCode::UNAUTHORIZED);
    if basic.is_some() {
        refusal = refusal.header(header::WWW_AUTHENTICATE, "Basic");
    }
    refusal.body(Body::empty()).unwrap_or_default()
}

/// Reads a bearer token from `Authorization` (scheme in any case).
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// Reads basic credentials from the `BASIC_AUTH` cookie, else from `Authorization`.
pub fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "BASIC_AUTH")
        .map(|(_, value)| value.to_string());
    if let Some(encoded) = cookie {
        return decode_pair(&encoded);
    }
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let scheme = value.get(..5)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    // Kestra skips six characters, the scheme and one separator, whatever it is.
    decode_pair(value.get(6..)?)
}

fn decode_pair(encoded: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Splits a raw query string into decoded (name, value) pairs.
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    let decode = |text: &str| {
        let spaced = text.replace('+', " ");
        percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
    };
    raw.unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (decode(name), decode(value)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The JSON of an execution as served (2.1: the slimmer `ApiExecution`), with its UI link
/// when asked.
pub(crate) fn execution_json(app: &App, execution: &Execution, with_url: bool) -> Value {
    let mut value = serde_json::to_value(execution).unwrap_or(Value::Null);
    if app.config.version == ApiVersion::V2_1 {
        crate::api_v2::slim_execution(&mut value);
    }
    if let (true, Some(object)) = (with_url, value.as_object_mut()) {
        let url = format!(
            "http://127.0.0.1:{}/ui/{TENANT}/executions/{}/{}/{}",
            app.config.port, execution.namespace, execution.flow_id, execution.id
        );
        object.insert("url".to_string(), Value::String(url));
    }
    value
}

/// One part of the multipart body.
struct Part {
    name: String,
    filename: Option<String>,
    bytes: Vec<u8>,
}

async fn read_parts(request: Request) -> Result<Vec<Part>, ApiError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !is_multipart {
        // Kestra accepts a create call without inputs in any body shape.
        return Ok(Vec::new());
    }
    let bad = |detail: String| ApiError::http_status(400, &detail);
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|error| bad(error.body_text()))?;
    let mut parts = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| bad(error.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let bytes = field
            .bytes()
            .await
            .map_err(|error| bad(error.body_text()))?;
        parts.push(Part {
            name,
            filename,
            bytes: bytes.to_vec(),
        });
    }
    Ok(parts)
}

/// The last path component of an uploaded file name, never empty nor a dot entry.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    if base.is_empty() || base == "." || base == ".." {
        "file".to_string()
    } else {
        base.to_string()
    }
}

async fn create_execution(
    State(app): State<Shared>,
    Path(Two {
        a: namespace,
        b: flow_id,
    }): Path<Two>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw_query): RawQuery,
    request: Request,
) -> Response {
    create_response(&app, &namespace, &flow_id, &uri, raw_query, request).await
}

/// `POST .../executions/{namespace}/follow`: the router matches the static `follow` segment
/// before the flow-id parameter, but `follow` is a valid flow id, so it is created here.
async fn create_execution_of_follow(
    State(app): State<Shared>,
    Path(One { a: namespace }): Path<One>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw_query): RawQuery,
    request: Request,
) -> Response {
    create_response(&app, &namespace, "follow", &uri, raw_query, request).await
}

/// Creates an execution and answers with it, or with the error body for `uri`.
async fn create_response(
    app: &Shared,
    namespace: &str,
    flow_id: &str,
    uri: &axum::http::Uri,
    raw_query: Option<String>,
    request: Request,
) -> Response {
    match create(app, namespace, flow_id, raw_query.as_deref(), request).await {
        Ok(value) => (StatusCode::OK, Json(value)).into_response(),
        Err(error) => error_response(&error, uri.path()),
    }
}

async fn create(
    app: &Shared,
    namespace: &str,
    flow_id: &str,
    raw_query: Option<&str>,
    request: Request,
) -> Result<Value, ApiError> {
    let pairs = query_pairs(raw_query);
    let key = (namespace.to_string(), flow_id.to_string());
    let flow_missing = || ApiError::no_such_element("Requested Flow is not found.");
    let flow = app
        .config
        .flows
        .get(&key)
        .cloned()
        .ok_or_else(flow_missing)?;
    if let Some(revision) = query_value(&pairs, "revision") {
        let revision: i64 = revision.trim().parse().map_err(|_| {
            ApiError::http_status(
                400,
                &format!(
                    "Failed to convert argument [revision] for \
                                                 value [{revision}]"
                ),
            )
        })?;
        if revision != flow.revision {
            return Err(flow_missing());
        }
    }
    if flow.disabled {
        return Err(ApiError::illegal_state("Requested Flow is disabled."));
    }
    let label_values: Vec<String> = pairs
        .iter()
        .filter(|(name, _)| name == "labels")
        .map(|(_, value)| value.clone())
        .collect();
    let request_labels = labels::parse_query_labels(&label_values)?;
    let wait = query_value(&pairs, "wait").is_some_and(|value| value.eq_ignore_ascii_case("true"));
    let schedule = match query_value(&pairs, "scheduleDate").filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => Some(
            crate::inputs::parse_instant_micros(text.trim()).map_err(|_| {
                ApiError::http_status(
                    400,
                    &format!("Failed to convert argument [scheduleDate] for value [{text}]"),
                )
            })?,
        ),
    };

    let id = new_id();
    let parts = read_parts(request).await?;
    let mut warnings = Vec::new();
    let mut provided = BTreeMap::new();
    let input_dir = app
        .config
        .storage_dir
        .join(namespace.replace('.', "/"))
        .join(flow_id)
        .join("executions")
        .join(&id)
        .join("inputs");
    for part in parts {
        let Some(filename) = part.filename else {
            provided.insert(part.name, String::from_utf8_lossy(&part.bytes).into_owned());
            continue;
        };
        let legacy = part.name == "files" && flow.inputs.iter().any(|input| input.id == filename);
        if legacy {
            warnings.push(
                "Using a deprecated way to upload a FILE input. You must set the input 'id' as \
                 part name and set the name of the file using the regular 'filename' part \
                 attribute."
                    .to_string(),
            );
        }
        let input_id = if legacy { filename.clone() } else { part.name };
        let file_name = safe_file_name(&filename);
        let dir = input_dir.join(&input_id);
        let stored = async {
            tokio::fs::create_dir_all(&dir).await?;
            tokio::fs::write(dir.join(&file_name), &part.bytes).await
        };
        stored.await.map_err(|error| {
            ApiError::internal(&format!("Can't upload file: {file_name}: {error}"))
        })?;
        let uri = format!(
            "kestra:///{}/{}/executions/{}/inputs/{}/{}",
            namespace.replace('.', "/"),
            utf8_percent_encode(flow_id, URI_SEGMENT),
            id,
            utf8_percent_encode(&input_id, URI_SEGMENT),
            utf8_percent_encode(&file_name, URI_SEGMENT)
        );
        provided.insert(input_id, uri);
    }

    let (typed_inputs, undeclared) = match inputs::resolve(&flow.inputs, &provided) {
        Ok(resolved) => resolved,
        Err(message) => {
            let _ = tokio::fs::remove_dir_all(input_dir.parent().unwrap_or(&input_dir)).await;
            return Err(ApiError::invalid_entity(&message));
        }
    };
    for input in undeclared {
        warnings.push(format!(
            "Input {input} was provided for workflow {}.{} but isn't declared in the workflow \
             inputs",
            flow.namespace, flow.id
        ));
    }

    let now = now_micros();
    let execution = Execution {
        id: id.clone(),
        namespace: flow.namespace.clone(),
        flow_id: flow.id.clone(),
        flow_revision: flow.revision,
        tenant_id: TENANT.to_string(),
        task_run_list: Vec::new(),
        inputs: typed_inputs,
        outputs: serde_json::Map::new(),
        labels: labels::execution_labels(&flow.labels, &request_labels, &id),
        state: ExecState::created(now),
        original_id: id.clone(),
        deleted: false,
        metadata: Metadata {
            attempt_number: 1,
            original_created_date: crate::model::format_instant(now - now % 1000),
        },
        schedule_date: schedule.map(crate::model::format_instant),
    };
    let logs = warnings
        .into_iter()
        .map(|message| runner::log_entry(&execution, None, Level::Warn, message))
        .collect();
    let created = execution_json(app, &execution, true);
    app.insert(execution, logs);
    let updates = app.subscribe(&id);
    // A scheduled execution stays CREATED until its date, then runs as any other.
    let delay = schedule
        .and_then(|at| u64::try_from(at - now).ok())
        .map(Duration::from_micros)
        .unwrap_or_default();
    let runner_app = Arc::clone(app);
    let runner_id = id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        runner::run_execution(runner_app, flow, runner_id).await;
    });

    if !wait {
        return Ok(created);
    }
    if let Some(mut updates) = updates {
        loop {
            if app
                .execution(&id)
                .is_none_or(|execution| execution.is_finished())
            {
                break;
            }
            if updates.changed().await.is_err() {
                break;
            }
        }
    }
    let finished = app.execution(&id).ok_or_else(ApiError::not_found)?;
    Ok(execution_json(app, &finished, true))
}

async fn get_execution(
    State(app): State<Shared>,
    Path(One { a: id }): Path<One>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    match app.execution(&id) {
        Some(execution) => Json(execution_json(&app, &execution, false)).into_response(),
        None => error_response(&ApiError::not_found(), uri.path()),
    }
}

/// Whether a kill call cascades (`isOnKillCascade`, true unless `false`).
fn kill_cascades(raw_query: Option<&str>) -> bool {
    let pairs = query_pairs(raw_query);
    query_value(&pairs, "isOnKillCascade").is_none_or(|value| !value.eq_ignore_ascii_case("false"))
}

/// Moves a running execution to KILLING and signals its runner.
fn request_kill(app: &App, id: &str) {
    app.update(id, |record| {
        if record.execution.state.current() != StateType::Killing {
            record
                .execution
                .state
                .push(StateType::Killing, now_micros());
        }
        record.kill.send_replace(true);
    });
}

/// 1.x `DELETE .../executions/{id}/kill`: 202 once the kill is requested.
async fn kill_execution(
    State(app): State<Shared>,
    Path(One { a: id }): Path<One>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let cascade = kill_cascades(raw_query.as_deref());
    let Some(execution) = app.execution(&id) else {
        return error_response(&ApiError::not_found(), uri.path());
    };
    let terminated = execution.state.current().is_terminated();
    if terminated && !cascade {
        let error = ApiError::illegal_state("Execution is already finished, can't kill it");
        return error_response(&error, uri.path());
    }
    if !terminated {
        request_kill(&app, &id);
    }
    StatusCode::ACCEPTED.into_response()
}

/// `POST .../executions/{id}/resume` (1.3: 204) and `.../actions/resume` (2.x: 200 with the
/// execution): the paused task succeeds and the execution runs on; 409 when not PAUSED.
async fn resume_execution(
    State(app): State<Shared>,
    Path(One { a: id }): Path<One>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    match crate::runner::resume(&app, &id) {
        Ok(()) if app.config.version == ApiVersion::V2_1 => match app.execution(&id) {
            Some(execution) => Json(execution_json(&app, &execution, false)).into_response(),
            None => error_response(&ApiError::not_found(), uri.path()),
        },
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(crate::runner::ResumeError::NotFound) => {
            error_response(&ApiError::not_found(), uri.path())
        }
        // 1.x throws an IllegalStateException (409 "Illegal state"); 2.x answers a conflict.
        Err(crate::runner::ResumeError::NotPaused(message)) => {
            let error = match app.config.version {
                ApiVersion::V1_3 => ApiError::illegal_state(&message),
                ApiVersion::V2_1 => ApiError::conflict(&message),
            };
            error_response(&error, uri.path())
        }
    }
}

/// How long the 2.x kill call waits for the execution to end.
const KILL_WAIT: Duration = Duration::from_secs(60);

/// 2.x `DELETE .../executions/{id}/actions/kill`: 200 with the execution once it has ended.
async fn kill_and_wait(
    State(app): State<Shared>,
    Path(One { a: id }): Path<One>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let cascade = kill_cascades(raw_query.as_deref());
    let (Some(execution), Some(mut updates)) = (app.execution(&id), app.subscribe(&id)) else {
        return error_response(&ApiError::not_found(), uri.path());
    };
    if execution.state.current().is_terminated() {
        if !cascade {
            let error =
                ApiError::conflict("Cannot kill execution: execution is already terminated.");
            return error_response(&error, uri.path());
        }
        return Json(execution_json(&app, &execution, false)).into_response();
    }
    request_kill(&app, &id);
    let ended = async {
        loop {
            let done = app
                .execution(&id)
                .is_none_or(|execution| execution.state.current().is_terminated());
            if done || updates.changed().await.is_err() {
                break;
            }
        }
    };
    // After the wait the execution is answered as it is, ended or not.
    let _ = tokio::time::timeout(KILL_WAIT, ended).await;
    match app.execution(&id) {
        Some(execution) => Json(execution_json(&app, &execution, false)).into_response(),
        None => error_response(&ApiError::not_found(), uri.path()),
    }
}

/// Query filters of the log routes.
pub(crate) struct LogFilter {
    /// Lowest level accepted.
    min_level: Option<Level>,
    /// The only level accepted (2.1 `filters[level][EQUALS]`).
    level: Option<Level>,
    /// Task id of the entries.
    task_id: Option<String>,
    /// Task-run id of the entries.
    task_run_id: Option<String>,
    /// 1.3: a task id wins over a task-run id, as in Kestra 1.x; 2.1: both must hold.
    task_id_wins: bool,
}

impl LogFilter {
    /// Whether `entry` is selected: at the level or above the minimum one, and of the task.
    pub(crate) fn accepts(&self, entry: &crate::model::LogEntry) -> bool {
        let level_ok = self.min_level.is_none_or(|min| entry.level >= min)
            && self.level.is_none_or(|level| entry.level == level);
        let task_ok = self
            .task_id
            .as_ref()
            .is_none_or(|task_id| entry.task_id.as_ref() == Some(task_id));
        let run_ok = (self.task_id_wins && self.task_id.is_some())
            || self
                .task_run_id
                .as_ref()
                .is_none_or(|run_id| entry.task_run_id.as_ref() == Some(run_id));
        level_ok && task_ok && run_ok
    }
}

/// Reads the log query: `minLevel`, `taskId` and `taskRunId` in 1.3 mode, only `filters[...]`
/// in 2.1 mode.
pub(crate) fn log_filter(raw_query: Option<&str>, version: ApiVersion) -> LogFilter {
    let pairs = query_pairs(raw_query);
    if version == ApiVersion::V2_1 {
        let found = crate::api_v2::log_filters(&pairs);
        return LogFilter {
            min_level: found.min_level,
            level: found.level,
            task_id: found.task_id,
            task_run_id: found.task_run_id,
            task_id_wins: false,
        };
    }
    let text = |name| {
        query_value(&pairs, name)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    LogFilter {
        min_level: text("minLevel").and_then(|name| Level::parse(&name.to_ascii_uppercase())),
        level: None,
        task_id: text("taskId"),
        task_run_id: text("taskRunId"),
        task_id_wins: true,
    }
}

async fn get_logs(
    State(app): State<Shared>,
    Path(One { a: id }): Path<One>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let filter = log_filter(raw_query.as_deref(), app.config.version);
    let logs = app
        .read(&id, |record| record.logs.clone())
        .unwrap_or_default();
    let selected: Vec<_> = logs
        .into_iter()
        .filter(|entry| filter.accepts(entry))
        .collect();
    Json(selected).into_response()
}

async fn download_logs(
    State(app): State<Shared>,
    Path(One { a: id }): Path<One>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let filter = log_filter(raw_query.as_deref(), app.config.version);
    let found = app.read(&id, |record| {
        let text = record
            .logs
            .iter()
            .filter(|entry| filter.accepts(entry))
            .map(|entry| entry.pretty())
            .collect::<Vec<_>>()
            .join("\n");
        (text, record.execution.state.current().is_terminated())
    });
    let Some((text, terminated)) = found else {
        let error = ApiError::no_such_element(&format!("Execution '{id}' not found."));
        return error_response(&error, uri.path());
    };
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{id}.log\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if !terminated {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

async fn get_metrics(State(app): State<Shared>, Path(One { a: id }): Path<One>) -> Response {
    let metrics = app
        .read(&id, |record| record.metrics.clone())
        .unwrap_or_default();
    Json(json!({"total": metrics.len(), "results": metrics})).into_response()
}

/// How long a follower waits between checks when nothing is announced.
pub const FOLLOW_POLL: Duration = Duration::from_millis(500);

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn reads_basic_credentials() {
        let pair = Some(("admin@kestra.io".to_string(), "Secret1:x".to_string()));
        // base64("admin@kestra.io:Secret1:x")
        let encoded = "YWRtaW5Aa2VzdHJhLmlvOlNlY3JldDE6eA==";
        assert_eq!(
            credentials(&headers(&[("authorization", &format!("Basic {encoded}"))])),
            pair
        );
        assert_eq!(
            credentials(&headers(&[("authorization", &format!("bAsIc {encoded}"))])),
            pair
        );
        assert_eq!(
            credentials(&headers(&[(
                "cookie",
                &format!("a=b; BASIC_AUTH={encoded}")
            )])),
            pair
        );
        assert_eq!(
            credentials(&headers(&[("authorization", &format!("Bearer {encoded}"))])),
            None
        );
        assert_eq!(
            credentials(&headers(&[("authorization", "Basic !!!")])),
            None
        );
        assert_eq!(credentials(&headers(&[("authorization", "Basic")])), None);
        assert_eq!(credentials(&headers(&[])), None);
    }

    #[test]
    fn reads_bearer_tokens() {
        let token = |value: &str| bearer(&headers(&[("authorization", value)]));
        assert_eq!(token("Bearer abc"), Some("abc".to_string()));
        assert_eq!(token("bearer  abc "), Some("abc".to_string()));
        assert_eq!(token("Bearer "), None);
        assert_eq!(token("Basic abc"), None);
        assert_eq!(bearer(&headers(&[])), None);
    }

    #[test]
    fn decodes_query_pairs() {
        let pairs = query_pairs(Some("labels=a%3A1&labels=b:two+words&wait=true&flag"));
        assert_eq!(
            pairs,
            vec![
                ("labels".to_string(), "a:1".to_string()),
                ("labels".to_string(), "b:two words".to_string()),
                ("wait".to_string(), "true".to_string()),
                ("flag".to_string(), String::new()),
            ]
        );
        assert_eq!(query_value(&pairs, "wait"), Some("true"));
        assert!(query_pairs(None).is_empty());
    }

    #[test]
    fn uploaded_names_lose_their_directories() {
        assert_eq!(safe_file_name("data.csv"), "data.csv");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\x\\y.txt"), "y.txt");
        assert_eq!(safe_file_name(".."), "file");
        assert_eq!(safe_file_name(""), "file");
    }
}
