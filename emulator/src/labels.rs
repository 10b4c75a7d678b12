//! Execution labels: the `labels=key:value` query parameters and the order Kestra stores them in.

use crate::errors::{ApiError, Problem};
use crate::model::Label;

/// Splits a string the way Java's `String.split("[: ]+")` does: on runs of `:` and spaces,
/// dropping trailing empty parts (a leading empty part is kept).
fn java_split(text: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((index, ch)) = chars.next() {
        if ch == ':' || ch == ' ' {
            parts.push(text.get(start..index).unwrap_or_default());
            let mut end = index + 1;
            while let Some(&(next, c)) = chars.peek() {
                if c != ':' && c != ' ' {
                    break;
                }
                end = next + 1;
                chars.next();
            }
            start = end;
        }
    }
    parts.push(text.get(start..).unwrap_or_default());
    while parts.len() > 1 && parts.last().is_some_and(|part| part.is_empty()) {
        parts.pop();
    }
    if parts.len() == 1 && parts.first().is_some_and(|part| part.is_empty()) && !text.is_empty() {
        parts.clear();
    }
    parts
}

/// Parses the repeated `labels` query values into (key, value) pairs, in request order.
///
/// A value without a key and a value is a 422; a repeated key is a 409 (Java's strict map
/// collector throws an `IllegalStateException`); keys under `system.` other than
/// `system.correlationId` and `system.from` are a 422.
pub fn parse_query_labels(values: &[String]) -> Result<Vec<Label>, ApiError> {
    let mut labels: Vec<Label> = Vec::new();
    for raw in values {
        let parts = java_split(raw);
        let key = match parts.first() {
            Some(key) if parts.len() >= 2 && !key.is_empty() => key.to_string(),
            _ => {
                let error = ApiError::http_status(422, "Invalid queryString parameter");
                return Err(error.with_problem(Problem::InvalidArgument));
            }
        };

        // The value is everything after the separator run that follows the key, so URLs and
        // other values holding `:` survive.
        let rest = raw.get(key.len()..).unwrap_or_default();
        let value = rest.trim_start_matches([':', ' ']).trim().to_string();

        if let Some(previous) = labels.iter().find(|label| label.key == key) {
            let detail = format!(
                "Duplicate key {key} (attempted merging values {} and {value})",
                previous.value
            );
            return Err(ApiError::illegal_state(&detail));
        }
        labels.push(Label { key, value });
    }

    for label in &labels {
        let allowed = label.key == "system.correlationId" || label.key == "system.from";
        if label.key.starts_with("system.") && !allowed {
            let detail = format!(
                "System labels can only be set by Kestra itself, offending label: {}={}",
                label.key, label.value
            );
            return Err(ApiError::illegal_argument(&detail));
        }
    }
    Ok(labels)
}

/// Orders the labels of a new execution: non-system flow labels, then request labels, then
/// `system.correlationId` set to the execution id unless the request gave one.
pub fn execution_labels(flow: &[Label], request: &[Label], execution_id: &str) -> Vec<Label> {
    let mut labels: Vec<Label> = flow
        .iter()
        .filter(|label| !label.key.starts_with("system."))
        .filter(|label| !request.iter().any(|other| other.key == label.key))
        .cloned()
        .collect();
    labels.extend(request.iter().cloned());
    if !labels
        .iter()
        .any(|label| label.key == "system.correlationId")
    {
        labels.push(Label {
            key: "system.correlationId".to_string(),
            value: execution_id.to_string(),
        });
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| value.to_string()).collect()
    }

    fn label(key: &str, value: &str) -> Label {
        Label {
            key: key.to_string(),
            value: value.to_string(),
        }
    }

    #[test]
    fn splits_key_and_value() {
        let labels = parse_query_labels(&strings(&["team:data", "env: prod"])).unwrap();
        assert_eq!(labels, vec![label("team", "data"), label("env", "prod")]);
    }

    #[test]
    fn values_keep_colons() {
        let labels = parse_query_labels(&strings(&["url:http://x.y:8080/a"])).unwrap();
        assert_eq!(labels, vec![label("url", "http://x.y:8080/a")]);
    }

    #[test]
    fn missing_parts_are_rejected() {
        for bad in ["team", "team:", ":data", "", "::", " a:b"] {
            let error = parse_query_labels(&strings(&[bad])).unwrap_err();
            assert_eq!(error.status, 422, "{bad}");
            assert_eq!(
                error.message,
                "Unprocessable Entity: Invalid queryString parameter"
            );
        }
    }

    #[test]
    fn repeated_key_is_a_conflict() {
        let error = parse_query_labels(&strings(&["a:1", "a:2"])).unwrap_err();
        assert_eq!(error.status, 409);
        assert_eq!(
            error.message,
            "Illegal state: Duplicate key a (attempted merging values 1 and 2)"
        );
    }

    #[test]
    fn system_labels_are_restricted() {
        let error = parse_query_labels(&strings(&["system.readOnly:true"])).unwrap_err();
        assert_eq!(error.status, 422);
        assert_eq!(
            error.message,
            "Illegal argument: System labels can only be set by Kestra itself, offending label: \
             system.readOnly=true"
        );
        assert!(parse_query_labels(&strings(&["system.correlationId:abc"])).is_ok());
        assert!(parse_query_labels(&strings(&["system.from:ui"])).is_ok());
    }

    #[test]
    fn execution_labels_order() {
        let flow = vec![label("team", "data"), label("system.x", "y")];
        let request = vec![label("env", "prod")];
        let labels = execution_labels(&flow, &request, "abc");
        assert_eq!(
            labels,
            vec![
                label("team", "data"),
                label("env", "prod"),
                label("system.correlationId", "abc")
            ]
        );
        let given = vec![label("system.correlationId", "other")];
        assert_eq!(execution_labels(&[], &given, "abc"), given);
    }
}
