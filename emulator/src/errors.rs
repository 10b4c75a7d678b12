//! API errors and their Kestra 1.x `JsonError` bodies.

use serde_json::{json, Value};

/// An error answered to an API call: an HTTP status and the full `message` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The complete message, reason prefix included.
    pub message: String,
}

impl ApiError {
    /// A bare 404, as Micronaut answers when a controller finds nothing.
    pub fn not_found() -> Self {
        ApiError {
            status: 404,
            message: "Not Found".to_string(),
        }
    }

    /// A 404 caused by a missing element (`NoSuchElementException`).
    pub fn no_such_element(detail: &str) -> Self {
        ApiError {
            status: 404,
            message: format!("Not Found: {detail}"),
        }
    }

    /// A 409 caused by an `IllegalStateException`.
    pub fn illegal_state(detail: &str) -> Self {
        ApiError {
            status: 409,
            message: format!("Illegal state: {detail}"),
        }
    }

    /// A 422 caused by an `IllegalArgumentException`.
    pub fn illegal_argument(detail: &str) -> Self {
        ApiError {
            status: 422,
            message: format!("Illegal argument: {detail}"),
        }
    }

    /// A 422 caused by invalid inputs (`InputOutputValidationException`).
    pub fn invalid_entity(detail: &str) -> Self {
        ApiError {
            status: 422,
            message: format!("Invalid entity: {detail}"),
        }
    }

    /// An error raised as `HttpStatusException`: the reason phrase, then the detail.
    pub fn http_status(status: u16, detail: &str) -> Self {
        ApiError {
            status,
            message: format!("{}: {detail}", reason_phrase(status)),
        }
    }

    /// The `JsonError` body for a request to `path`.
    pub fn body(&self, path: &str) -> Value {
        json_error(&self.message, path)
    }
}

/// Builds a Micronaut `JsonError` body with its `_links.self` entry.
pub fn json_error(message: &str, path: &str) -> Value {
    json!({
        "message": message,
        "_links": {"self": [{"href": path, "templated": false}]}
    })
}

/// The reason phrase of the statuses this server can answer.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_message_and_self_link() {
        let error = ApiError::no_such_element("Requested Flow is not found.");
        let body = error.body("/api/v1/main/executions/a/b");
        assert_eq!(error.status, 404);
        assert_eq!(body["message"], "Not Found: Requested Flow is not found.");
        assert_eq!(
            body["_links"]["self"][0]["href"],
            "/api/v1/main/executions/a/b"
        );
        assert_eq!(body["_links"]["self"][0]["templated"], false);
    }

    #[test]
    fn prefixes_match_kestra_reasons() {
        assert_eq!(ApiError::not_found().message, "Not Found");
        assert_eq!(
            ApiError::illegal_state("Requested Flow is disabled.").message,
            "Illegal state: Requested Flow is disabled."
        );
        assert_eq!(
            ApiError::invalid_entity("Missing required input:x").status,
            422
        );
        let query = ApiError::http_status(422, "Invalid queryString parameter");
        assert_eq!(
            query.message,
            "Unprocessable Entity: Invalid queryString parameter"
        );
        assert_eq!(
            ApiError::illegal_argument("x").message,
            "Illegal argument: x"
        );
    }
}
