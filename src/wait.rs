//! Waiting for an execution to end: Kestra's follow stream first, polling when the stream
//! is missing or breaks, and the live log stream for `onLog`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Reflect, JSON};
use wasm_bindgen::JsValue;

use crate::host;
use crate::http::Client;
use crate::sse::EventReader;
use crate::state::ExecutionState;

/// How long after its creation an execution may still answer 404: Kestra writes it to its
/// repository asynchronously, so a fast status read can miss it.
const NOT_VISIBLE_GRACE_MS: f64 = 5_000.0;

/// The execution seen last, and who hears about new states.
pub struct Watch {
    /// The execution's id: events about another execution are ignored.
    pub execution_id: String,
    /// The call's scope, which a callback's rejected Promise fails.
    pub scope: host::AbortScope,
    /// `onState(state, execution)`, when given.
    pub on_state: Option<Function>,
    /// The last state seen, `None` before the first.
    pub last_state: Option<String>,
    /// The last execution JSON seen.
    pub last_execution: JsValue,
}

impl Watch {
    /// Records an execution; calls `onState` when its state differs from the last one.
    pub fn see(&mut self, execution: JsValue) -> Result<Option<ExecutionState>, JsValue> {
        let id = crate::errors::text_property(&execution, "id");
        if id.is_some_and(|id| id != self.execution_id) {
            return Ok(None);
        }
        let Some(current) = current_state(&execution) else {
            return Ok(None);
        };
        self.last_execution = execution;
        if self.last_state.as_deref() != Some(current.as_str()) {
            self.last_state = Some(current.clone());
            if let Some(on_state) = &self.on_state {
                let state = JsValue::from_str(&current);
                host::call_back(on_state, &state, &self.last_execution, &self.scope)?;
            }
        }
        Ok(Some(ExecutionState::parse(&current)))
    }
}

/// What the wait needs to know about the execution and its routes.
pub struct Target<'a> {
    /// The execution's status route.
    pub status_url: &'a str,
    /// The execution's follow route.
    pub follow_url: &'a str,
    /// When the execution was created (`performance.now()` milliseconds).
    pub created_at: f64,
    /// Seconds between two status reads once polling.
    pub poll_interval: f64,
}

/// Waits for a terminal state; resolves to it (the execution is in `watch.last_execution`).
pub async fn until_terminated(
    client: &Client,
    target: &Target<'_>,
    watch: &mut Watch,
) -> Result<ExecutionState, JsValue> {
    if let Some(state) = follow(client, target.follow_url, watch).await? {
        return Ok(state);
    }

    // No stream, or it ended before the execution: read the status, now and then every
    // `poll_interval` seconds.
    loop {
        let response = client
            .send_any_status("GET", target.status_url, &JsValue::UNDEFINED, true)
            .await?;
        let young = host::performance_now() - target.created_at < NOT_VISIBLE_GRACE_MS;
        if !(response.status() == 404 && young) {
            let response =
                crate::http::checked(&client.credentials, "GET", target.status_url, response)
                    .await?;
            let execution =
                crate::http::read_json(&client.credentials, response, "GET", target.status_url)
                    .await?;
            match watch.see(execution)? {
                Some(state) if state.is_terminated() => return Ok(state),
                Some(_) => {}
                None => return Err(no_state_error(target.status_url)),
            }
        } else {
            host::discard_body(&response);
        }
        client.sleep(target.poll_interval).await?;
    }
}

/// Reads the follow stream; `Some` state when it showed the end, `None` when the stream is
/// missing, ended early or broke (the caller polls then). Fails only when the call stops.
async fn follow(
    client: &Client,
    url: &str,
    watch: &mut Watch,
) -> Result<Option<ExecutionState>, JsValue> {
    let Some(chunks) = open_stream(client, url).await? else {
        return Ok(None);
    };
    let mut reader = EventReader::new();
    loop {
        let chunk = match chunks.next().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ok(None),
            Err(cause) if client.stopped() => return Err(cause),
            Err(_) => return Ok(None),
        };
        let Ok(events) = reader.push(&chunk) else {
            // An event too large to hold: the status reads take over.
            chunks.cancel();
            return Ok(None);
        };
        for event in events {
            // The first event holds a stub execution with only its id.
            if event.id.as_deref() == Some("start") {
                continue;
            }
            let Ok(execution) = JSON::parse(&event.data) else {
                continue;
            };
            match watch.see(execution) {
                Ok(Some(state)) if state.is_terminated() => {
                    chunks.cancel();
                    return Ok(Some(state));
                }
                Ok(_) => {}
                Err(error) => {
                    chunks.cancel();
                    return Err(error);
                }
            }
        }
    }
}

/// Opens an event stream; `None` when the server answers anything but one.
async fn open_stream(client: &Client, url: &str) -> Result<Option<host::TextChunks>, JsValue> {
    let init = js_sys::Object::new();
    let headers = js_sys::Object::new();
    Reflect::set(&headers, &"Accept".into(), &"text/event-stream".into())?;
    Reflect::set(&init, &"headers".into(), &headers)?;

    let response = match client.send_any_status("GET", url, &init, false).await {
        Ok(response) => response,
        Err(cause) if client.stopped() => return Err(cause),
        Err(_) => return Ok(None),
    };
    let content_type = response
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .unwrap_or_default();
    // Refused credentials would be refused by the status reads too: that is the answer.
    if matches!(response.status(), 401 | 403) {
        return Err(
            crate::http::checked(&client.credentials, "GET", url, response)
                .await
                .err()
                .unwrap_or_default(),
        );
    }
    if !response.ok() || !content_type.starts_with("text/event-stream") {
        host::discard_body(&response);
        return Ok(None);
    }
    Ok(Some(host::text_chunks(&response, client.signal.clone())))
}

/// What the live log stream shares with the call that started it.
#[derive(Default)]
pub struct LogTap {
    /// What `onLog` threw, which stops the stream and fails the call.
    pub failure: Option<JsValue>,
    /// When the last entry came (`performance.now()`), or the stream opened.
    last_entry_at: f64,
}

/// How long the log stream must stay quiet after the end before it is closed, and the most
/// it is waited for: Kestra's log stream never ends, and entries written just before the end
/// can arrive after the execution's end event.
const LOG_QUIET_MS: f64 = 200.0;
const LOG_SETTLE_LIMIT_MS: f64 = 1_000.0;

/// Streams live log entries to `on_log` until the client's signal aborts. A throwing
/// callback stops the stream; its error is kept in the tap for the caller.
pub async fn stream_logs(
    client: Client,
    url: String,
    on_log: Function,
    tap: Rc<RefCell<LogTap>>,
    scope: host::AbortScope,
) {
    tap.borrow_mut().last_entry_at = host::performance_now();
    let Ok(Some(chunks)) = open_stream(&client, &url).await else {
        return;
    };
    let mut reader = EventReader::new();
    while let Ok(Some(chunk)) = chunks.next().await {
        let Ok(events) = reader.push(&chunk) else {
            chunks.cancel();
            return;
        };
        for event in events {
            if event.id.as_deref() == Some("start") {
                continue;
            }
            let Ok(entry) = JSON::parse(&event.data) else {
                continue;
            };
            if !entry.is_object() {
                continue;
            }
            tap.borrow_mut().last_entry_at = host::performance_now();
            if let Err(error) = host::call_back(&on_log, &entry, &JsValue::UNDEFINED, &scope) {
                tap.borrow_mut().failure.get_or_insert(error);
                chunks.cancel();
                return;
            }
        }
    }
}

/// Waits, after the execution's end, until the log stream has been quiet for a moment.
pub async fn settle_logs(client: &Client, tap: &RefCell<LogTap>) -> Result<(), JsValue> {
    let ended_at = host::performance_now();
    loop {
        let now = host::performance_now();
        let quiet_for = now - tap.borrow().last_entry_at;
        if quiet_for >= LOG_QUIET_MS || now - ended_at >= LOG_SETTLE_LIMIT_MS {
            return Ok(());
        }
        let wait_ms = (LOG_QUIET_MS - quiet_for).min(LOG_SETTLE_LIMIT_MS - (now - ended_at));
        host::sleep(wait_ms / 1000.0, None, client.signal.as_ref()).await?;
    }
}

/// `state.current` of Kestra's execution JSON.
pub fn current_state(execution: &JsValue) -> Option<String> {
    let state = Reflect::get(execution, &JsValue::from_str("state")).ok()?;
    if !state.is_object() {
        return None;
    }
    Reflect::get(&state, &JsValue::from_str("current"))
        .ok()?
        .as_string()
}

fn no_state_error(url: &str) -> JsValue {
    crate::errors::kestra_error(
        "KestraError",
        &format!("GET {url} answered an execution without state.current"),
        &[("url", url.into())],
    )
}
