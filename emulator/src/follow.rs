//! Server-sent event streams: an execution as it changes, and its logs as they come.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::model::{format_instant, now_micros};
use crate::server::{execution_json, log_filter, LogFilter, One, FOLLOW_POLL};
use crate::store::{ApiVersion, App};

/// How long Kestra looks for an unknown execution before it ends a follow stream.
const UNKNOWN_EXECUTION_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Formats one event; the phase travels in the SSE `id`, there is no `event:` line.
pub fn sse_event(phase: &str, data: &Value) -> String {
    // JSON text never holds raw newlines, so it fits on one `data:` line.
    format!("id: {phase}\ndata: {data}\n\n")
}

/// A `text/event-stream` answer whose events come from `receiver`; it ends when the
/// producer drops its sender.
fn event_stream(receiver: mpsc::Receiver<String>) -> Response {
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|chunk| (Ok::<_, Infallible>(chunk), receiver))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(stream))
        .unwrap_or_default()
}

/// Streams `start`, then `progress` per change, then `end` with the final execution.
pub async fn follow_execution(
    State(app): State<Arc<App>>,
    Path(One { a: id }): Path<One>,
) -> Response {
    let (sender, receiver) = mpsc::channel::<String>(16);
    tokio::spawn(produce(app, id, sender));
    event_stream(receiver)
}

async fn produce(app: Arc<App>, id: String, sender: mpsc::Sender<String>) {
    // The first event is a stub built from the id alone, like Kestra's.
    let mut stub = json!({
        "id": id,
        "originalId": id,
        "deleted": false,
        "metadata": {"attemptNumber": 1, "originalCreatedDate": format_instant(now_micros())},
    });
    if app.config.version == ApiVersion::V2_1 {
        crate::api_v2::slim_execution(&mut stub);
    }
    if sender.send(sse_event("start", &stub)).await.is_err() {
        return;
    }
    let Some(mut updates) = app.subscribe(&id) else {
        // Unknown execution: Kestra keeps polling for about 10 s after `start`, then fails the
        // stream (the 200 and `start` are already sent), so the client sees it end then.
        tokio::time::sleep(UNKNOWN_EXECUTION_WAIT).await;
        return;
    };
    let mut last: Option<Value> = None;
    loop {
        let Some(execution) = app.execution(&id) else {
            return;
        };
        let finished = execution.is_finished();
        let value = execution_json(&app, &execution, false);
        if finished {
            let _ = sender.send(sse_event("end", &value)).await;
            return;
        }
        if last.as_ref() != Some(&value) {
            if sender.send(sse_event("progress", &value)).await.is_err() {
                return;
            }
            last = Some(value);
        }
        // Wake on a change, or re-check now and then in case the channel is gone.
        let _ = tokio::time::timeout(FOLLOW_POLL, updates.changed()).await;
        if sender.is_closed() {
            return;
        }
    }
}

/// `GET .../logs/{id}/follow`: `start` with an empty entry, every stored log as `progress`,
/// then live logs; like Kestra's, the stream never sends `end` and lasts until the client
/// leaves. The query filters it as it filters the JSON route.
pub async fn follow_logs(
    State(app): State<Arc<App>>,
    Path(One { a: id }): Path<One>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let filter = log_filter(raw_query.as_deref(), app.config.version);
    let (sender, receiver) = mpsc::channel::<String>(64);
    tokio::spawn(produce_logs(app, id, filter, sender));
    event_stream(receiver)
}

async fn produce_logs(app: Arc<App>, id: String, filter: LogFilter, sender: mpsc::Sender<String>) {
    // The first event carries an empty entry, as Kestra's does.
    let stub = json!({"attemptNumber": null, "deleted": false});
    if sender.send(sse_event("start", &stub)).await.is_err() {
        return;
    }
    let Some(mut updates) = app.subscribe(&id) else {
        // Unknown execution: nothing will ever come; Kestra keeps such a stream open until its
        // idle timeout, this server closes it.
        return;
    };

    let mut sent = 0;
    loop {
        let fresh = app
            .read(&id, |record| {
                record
                    .logs
                    .get(sent..)
                    .map(<[_]>::to_vec)
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        sent += fresh.len();
        for entry in fresh.iter().filter(|entry| filter.accepts(entry)) {
            let value = serde_json::to_value(entry).unwrap_or(Value::Null);
            if sender.send(sse_event("progress", &value)).await.is_err() {
                return;
            }
        }

        let _ = tokio::time::timeout(FOLLOW_POLL, updates.changed()).await;
        if sender.is_closed() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_the_phase_in_the_id() {
        let text = sse_event("end", &json!({"id": "a"}));
        assert_eq!(text, "id: end\ndata: {\"id\":\"a\"}\n\n");
    }
}
