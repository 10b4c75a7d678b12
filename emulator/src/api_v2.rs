//! Shapes and routes of `--kestra-version 2.1` only: the slimmer `ApiExecution`, the task-run
//! outputs routes and the `filters[...]` query of the log routes.

use std::sync::Arc;

use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::errors::ApiError;
use crate::model::Level;
use crate::server::{error_response, One, Two};
use crate::store::App;

/// Task-run members that 2.x serves from the outputs routes or leaves out altogether.
const TASK_RUN_DROPPED: [&str; 4] = ["outputs", "executionId", "namespace", "flowId"];

/// Turns the 1.x JSON of an execution into 2.x's `ApiExecution`: no `deleted`, and task runs
/// without `outputs`, `executionId`, `namespace` and `flowId`.
pub fn slim_execution(value: &mut Value) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    object.remove("deleted");
    let runs = object.get_mut("taskRunList").and_then(Value::as_array_mut);
    for run in runs.into_iter().flatten() {
        if let Some(run) = run.as_object_mut() {
            for member in TASK_RUN_DROPPED {
                run.remove(member);
            }
        }
    }
}

/// A task run's outputs, `{}` when it has none (yet).
fn outputs_of(outputs: Option<&Value>) -> Value {
    outputs
        .filter(|value| !value.is_null())
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()))
}

/// `GET .../outputs/{executionId}/{taskRunId}`: the outputs object of one task run; 404 when
/// the execution or the task run is unknown.
pub async fn task_run_outputs(
    State(app): State<Arc<App>>,
    Path(Two {
        a: id,
        b: task_run_id,
    }): Path<Two>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let found = app.read(&id, |record| {
        record
            .execution
            .task_run_list
            .iter()
            .find(|run| run.id == task_run_id)
            .map(|run| outputs_of(run.outputs.as_ref()))
    });
    match found.flatten() {
        Some(outputs) => Json(outputs).into_response(),
        None => error_response(&ApiError::not_found(), uri.path()),
    }
}

/// `GET .../outputs/{executionId}`: `[{taskRunId, taskId, outputs}]`, one entry per task run
/// in execution order; 404 when the execution is unknown.
pub async fn execution_outputs(
    State(app): State<Arc<App>>,
    Path(One { a: id }): Path<One>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let found = app.read(&id, |record| {
        record
            .execution
            .task_run_list
            .iter()
            .map(|run| {
                json!({
                    "taskRunId": run.id,
                    "taskId": run.task_id,
                    "outputs": outputs_of(run.outputs.as_ref()),
                })
            })
            .collect::<Vec<_>>()
    });
    match found {
        Some(list) => Json(list).into_response(),
        None => error_response(&ApiError::not_found(), uri.path()),
    }
}

/// The log conditions a 2.x `filters[field][OP]=value` query asks for.
#[derive(Debug, Default, PartialEq)]
pub struct LogFilters {
    /// Lowest level accepted (`filters[level][GREATER_THAN_OR_EQUAL_TO]`).
    pub min_level: Option<Level>,
    /// The only level accepted (`filters[level][EQUALS]`).
    pub level: Option<Level>,
    /// `filters[taskId][EQUALS]`.
    pub task_id: Option<String>,
    /// `filters[taskRunId][EQUALS]`.
    pub task_run_id: Option<String>,
}

/// Splits `filters[field][OP]` into its field and operator.
fn field_and_op(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("filters[")?;
    let (field, rest) = rest.split_once("][")?;
    let op = rest.strip_suffix(']')?;
    (!op.contains(['[', ']'])).then_some((field, op))
}

/// Reads the 2.x log filters from decoded query pairs; the flat 1.x parameters, other fields
/// and other operators are ignored, as are empty values and unknown level names.
pub fn log_filters(pairs: &[(String, String)]) -> LogFilters {
    let mut found = LogFilters::default();
    for (name, value) in pairs {
        if value.is_empty() {
            continue;
        }
        let level = || Level::parse(&value.to_ascii_uppercase());
        match field_and_op(name) {
            Some(("level", "GREATER_THAN_OR_EQUAL_TO")) => found.min_level = level(),
            Some(("level", "EQUALS")) => found.level = level(),
            Some(("taskId", "EQUALS")) => found.task_id = Some(value.clone()),
            Some(("taskRunId", "EQUALS")) => found.task_run_id = Some(value.clone()),
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        crate::server::query_pairs(Some(query))
    }

    #[test]
    fn reads_log_filters() {
        let found = log_filters(&pairs(
            "filters%5Blevel%5D%5BGREATER_THAN_OR_EQUAL_TO%5D=WARN&filters[level][EQUALS]=info\
             &filters[taskId][EQUALS]=a&filters[taskRunId][EQUALS]=r&minLevel=ERROR&taskId=b\
             &filters[level][NOT_EQUALS]=DEBUG&filters[taskId][EQUALS][x]=c",
        ));
        assert_eq!(
            found,
            LogFilters {
                min_level: Some(Level::Warn),
                level: Some(Level::Info),
                task_id: Some("a".to_string()),
                task_run_id: Some("r".to_string()),
            }
        );
        assert_eq!(log_filters(&pairs("minLevel=WARN")), LogFilters::default());
        assert_eq!(
            log_filters(&pairs("filters[level][EQUALS]=LOUD")),
            LogFilters::default()
        );
    }

    #[test]
    fn slims_executions() {
        let mut value = json!({
            "id": "e", "deleted": false,
            "taskRunList": [{"id": "r", "taskId": "t", "executionId": "e", "namespace": "n",
                             "flowId": "f", "outputs": null, "state": {}}],
        });
        slim_execution(&mut value);
        assert_eq!(
            value,
            json!({"id": "e", "taskRunList": [{"id": "r", "taskId": "t", "state": {}}]})
        );
        assert_eq!(outputs_of(None), json!({}));
        assert_eq!(outputs_of(Some(&json!({"a": 1}))), json!({"a": 1}));
    }
}
