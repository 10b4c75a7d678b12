//! `GET .../executions/search`: stored executions, newest first, filtered and paged.

use std::sync::Arc;

use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::errors::ApiError;
use crate::model::Execution;
use crate::server::{error_response, query_pairs};
use crate::store::{ApiVersion, App};

/// Kestra's default page size.
const DEFAULT_SIZE: usize = 25;

/// The conditions of one search; every one given must hold.
#[derive(Debug, Default, PartialEq)]
struct Criteria {
    /// Exact namespaces (`filters[namespace][EQUALS]`).
    namespaces: Vec<String>,
    /// Namespaces matched with their children (the deprecated `namespace=`).
    namespace_trees: Vec<String>,
    /// Exact flow ids.
    flow_ids: Vec<String>,
    /// Accepted states, when any is given.
    states: Vec<String>,
    /// Labels that must all be present.
    labels: Vec<(String, String)>,
    /// 1-based page number.
    page: usize,
    /// Page size.
    size: usize,
}

/// Reads a positive paging number.
fn paging(name: &str, value: &str) -> Result<usize, ApiError> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|number| *number >= 1)
        .ok_or_else(|| {
            let detail = format!("Failed to convert argument [{name}] for value [{value}]");
            ApiError::http_status(400, &detail)
        })
}

/// Splits `filters[field][OP]` or `filters[labels][EQUALS][key]` into its brackets.
fn brackets(name: &str) -> Option<Vec<&str>> {
    let rest = name.strip_prefix("filters")?;
    let mut parts = Vec::new();
    let mut rest = rest;
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let (part, after) = inner.split_once(']')?;
        parts.push(part);
        rest = after;
    }
    Some(parts)
}

/// Reads the query: `filters[...]` always, the deprecated flat parameters in 1.3 mode.
fn criteria(raw: Option<&str>, version: ApiVersion) -> Result<Criteria, ApiError> {
    let mut found = Criteria {
        page: 1,
        size: DEFAULT_SIZE,
        ..Criteria::default()
    };
    let list = |value: &str| -> Vec<String> {
        value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_string)
            .collect()
    };
    let legacy = version == ApiVersion::V1_3;
    for (name, value) in query_pairs(raw) {
        match (name.as_str(), brackets(&name).as_deref()) {
            ("page", _) => found.page = paging("page", &value)?,
            ("size", _) => found.size = paging("size", &value)?,
            (_, Some(["namespace", "EQUALS"])) => found.namespaces.push(value),
            (_, Some(["flowId", "EQUALS"])) => found.flow_ids.push(value),
            (_, Some(["state", "EQUALS" | "IN"])) => found.states.extend(list(&value)),
            (_, Some(["labels", "EQUALS", key])) => found.labels.push((key.to_string(), value)),
            ("namespace", _) if legacy => found.namespace_trees.push(value),
            ("flowId", _) if legacy => found.flow_ids.push(value),
            ("state", _) if legacy => found.states.extend(list(&value)),
            ("labels", _) if legacy => {
                let parsed = crate::labels::parse_query_labels(&[value])?;
                found
                    .labels
                    .extend(parsed.into_iter().map(|label| (label.key, label.value)));
            }
            _ => {}
        }
    }
    Ok(found)
}

impl Criteria {
    /// Whether an execution meets every condition.
    fn accepts(&self, execution: &Execution) -> bool {
        let namespace = &execution.namespace;
        let state = serde_json::to_value(execution.state.current()).unwrap_or(Value::Null);
        let in_tree = |tree: &String| {
            namespace == tree
                || namespace
                    .strip_prefix(tree.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        (self.namespaces.is_empty() || self.namespaces.contains(namespace))
            && (self.namespace_trees.is_empty() || self.namespace_trees.iter().any(in_tree))
            && (self.flow_ids.is_empty() || self.flow_ids.contains(&execution.flow_id))
            && (self.states.is_empty() || self.states.iter().any(|wanted| state == *wanted))
            && self.labels.iter().all(|(key, value)| {
                execution
                    .labels
                    .iter()
                    .any(|label| label.key == *key && label.value == *value)
            })
    }
}

/// Answers `{results, total}`: one page of the matching executions, newest first.
pub async fn search_executions(
    State(app): State<Arc<App>>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let version = app.config.version;
    let criteria = match criteria(raw_query.as_deref(), version) {
        Ok(criteria) => criteria,
        Err(error) => return error_response(&error, uri.path()),
    };
    let mut matching: Vec<Execution> = app
        .all_executions()
        .into_iter()
        .filter(|execution| criteria.accepts(execution))
        .collect();
    matching.reverse();
    let total = matching.len();
    let skip = (criteria.page - 1).saturating_mul(criteria.size);
    let results: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(criteria.size)
        .map(|execution| {
            let mut value = serde_json::to_value(execution).unwrap_or(Value::Null);
            // 2.x lists light executions, without task runs and outputs.
            if let (ApiVersion::V2_1, Some(object)) = (version, value.as_object_mut()) {
                object.remove("taskRunList");
                object.remove("outputs");
            }
            value
        })
        .collect();
    Json(json!({"results": results, "total": total})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_filters_and_legacy_parameters() {
        let query = "filters[namespace][EQUALS]=company.team&filters[state][IN]=SUCCESS,FAILED\
                     &filters[state][IN]=KILLED&filters[labels][EQUALS][team]=data\
                     &namespace=company&labels=env:prod&page=2&size=10";
        let found = criteria(Some(query), ApiVersion::V1_3).unwrap();
        assert_eq!(found.namespaces, vec!["company.team".to_string()]);
        assert_eq!(found.namespace_trees, vec!["company".to_string()]);
        assert_eq!(found.states, vec!["SUCCESS", "FAILED", "KILLED"]);
        assert_eq!(
            found.labels,
            vec![
                ("team".to_string(), "data".to_string()),
                ("env".to_string(), "prod".to_string())
            ]
        );
        assert_eq!((found.page, found.size), (2, 10));
        let newer = criteria(Some("namespace=company&state=SUCCESS"), ApiVersion::V2_1).unwrap();
        assert_eq!(
            newer,
            Criteria {
                page: 1,
                size: 25,
                ..Criteria::default()
            }
        );
        assert!(criteria(Some("page=0"), ApiVersion::V1_3).is_err());
        assert!(criteria(Some("size=x"), ApiVersion::V1_3).is_err());
        assert!(criteria(Some("labels=novalue"), ApiVersion::V1_3).is_err());
        assert_eq!(brackets("filters[a][B][c]"), Some(vec!["a", "B", "c"]));
        assert_eq!(brackets("filters[a"), None);
    }
}
