//! API errors, their Kestra 1.x `JsonError` bodies and 2.x problem documents.

use serde_json::{json, Value};

/// An error answered to an API call: an HTTP status, the full 1.x `message` text and what
/// a 2.x server answers instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code in 1.x.
    pub status: u16,
    /// The complete 1.x message, reason prefix included.
    pub message: String,
    /// The message after the prefix, when there is one.
    pub detail: Option<String>,
    /// The 2.x problem type.
    pub problem: Problem,
}

impl ApiError {
    fn new(status: u16, reason: &str, detail: &str, problem: Problem) -> Self {
        ApiError {
            status,
            message: format!("{reason}: {detail}"),
            detail: Some(detail.to_string()),
            problem,
        }
    }

    /// A bare 404, as Micronaut answers when a controller finds nothing.
    pub fn not_found() -> Self {
        ApiError {
            status: 404,
            message: "Not Found".to_string(),
            detail: None,
            problem: Problem::NotFound,
        }
    }

    /// A 404 caused by a missing element (`NoSuchElementException`).
    pub fn no_such_element(detail: &str) -> Self {
        Self::new(404, "Not Found", detail, Problem::NotFound)
    }

    /// A 409 caused by an `IllegalStateException` (deliberately a 500 in 2.x).
    pub fn illegal_state(detail: &str) -> Self {
        Self::new(409, "Illegal state", detail, Problem::Internal)
    }

    /// A 422 caused by an `IllegalArgumentException`.
    pub fn illegal_argument(detail: &str) -> Self {
        Self::new(422, "Illegal argument", detail, Problem::InvalidArgument)
    }

    /// A 422 caused by invalid inputs (`InputOutputValidationException`).
    pub fn invalid_entity(detail: &str) -> Self {
        Self::new(422, "Invalid entity", detail, Problem::InvalidEntity)
    }

    /// A 409 caused by a `ConflictException`.
    pub fn conflict(detail: &str) -> Self {
        Self::new(409, "Conflict", detail, Problem::Conflict)
    }

    /// A 500 for an unexpected failure.
    pub fn internal(detail: &str) -> Self {
        Self::new(500, "Internal server error", detail, Problem::Internal)
    }

    /// An error raised as `HttpStatusException`: the reason phrase, then the detail.
    pub fn http_status(status: u16, detail: &str) -> Self {
        Self::new(
            status,
            reason_phrase(status),
            detail,
            Problem::by_status(status),
        )
    }

    /// The same error with another 2.x problem type.
    pub fn with_problem(self, problem: Problem) -> Self {
        ApiError { problem, ..self }
    }

    /// The `JsonError` body for a request to `path`.
    pub fn body(&self, path: &str) -> Value {
        json_error(&self.message, path)
    }

    /// The 2.x problem document for a request to `path`.
    pub fn problem_body(&self, path: &str) -> Value {
        problem_document(self.problem, self.detail.as_deref(), path)
    }
}

/// The 2.x problem types this server answers (Kestra's `ProblemTypes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// `bad-request`, 400.
    BadRequest,
    /// `unauthenticated`, 401.
    Unauthenticated,
    /// `not-found`, 404.
    NotFound,
    /// `method-not-allowed`, 405.
    MethodNotAllowed,
    /// `conflict`, 409.
    Conflict,
    /// `payload-too-large`, 413.
    PayloadTooLarge,
    /// `unsupported-media-type`, 415.
    UnsupportedMediaType,
    /// `invalid-entity`, 422.
    InvalidEntity,
    /// `invalid-argument`, 422.
    InvalidArgument,
    /// `internal-error`, 500.
    Internal,
    /// `service-unavailable`, 503.
    ServiceUnavailable,
}

/// The fixed detail of every 5xx problem document.
pub const SERVER_ERROR_DETAIL: &str =
    "An unexpected error occurred. Quote the traceId when contacting support.";

/// Where problem type URIs start.
pub const PROBLEM_BASE: &str = "https://kestra.io/docs/api-reference/problems/";

impl Problem {
    /// The type for a bare status; unknown statuses fall back to their class.
    pub fn by_status(status: u16) -> Self {
        match status {
            401 => Problem::Unauthenticated,
            404 => Problem::NotFound,
            405 => Problem::MethodNotAllowed,
            409 => Problem::Conflict,
            413 => Problem::PayloadTooLarge,
            415 => Problem::UnsupportedMediaType,
            422 => Problem::InvalidEntity,
            503 => Problem::ServiceUnavailable,
            _ if status < 500 => Problem::BadRequest,
            _ => Problem::Internal,
        }
    }

    /// Slug, title and status.
    pub fn parts(self) -> (&'static str, &'static str, u16) {
        match self {
            Problem::BadRequest => ("bad-request", "Bad request", 400),
            Problem::Unauthenticated => ("unauthenticated", "Authentication required", 401),
            Problem::NotFound => ("not-found", "Resource not found", 404),
            Problem::MethodNotAllowed => ("method-not-allowed", "Method not allowed", 405),
            Problem::Conflict => ("conflict", "Conflict", 409),
            Problem::PayloadTooLarge => ("payload-too-large", "Payload too large", 413),
            Problem::UnsupportedMediaType => {
                ("unsupported-media-type", "Unsupported media type", 415)
            }
            Problem::InvalidEntity => ("invalid-entity", "Invalid entity", 422),
            Problem::InvalidArgument => ("invalid-argument", "Invalid argument", 422),
            Problem::Internal => ("internal-error", "Internal server error", 500),
            Problem::ServiceUnavailable => ("service-unavailable", "Service unavailable", 503),
        }
    }

    /// The HTTP status of this type.
    pub fn status(self) -> u16 {
        self.parts().2
    }
}

/// Builds an RFC 9457 problem document: 5xx get the fixed detail and a fresh `traceId`, a
/// blank 4xx detail falls back to the title.
pub fn problem_document(problem: Problem, detail: Option<&str>, path: &str) -> Value {
    let (slug, title, status) = problem.parts();
    let mut body = json!({
        "type": format!("{PROBLEM_BASE}{slug}"),
        "title": title,
        "status": status,
        "instance": path,
    });
    if status >= 500 {
        body["detail"] = json!(SERVER_ERROR_DETAIL);
        body["traceId"] = json!(format!("{:032x}", rand::random::<u128>()));
    } else {
        let detail = detail
            .filter(|text| !text.trim().is_empty())
            .unwrap_or(title);
        body["detail"] = json!(detail);
    }
    body
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

    #[test]
    fn problem_documents() {
        let path = "/api/v1/main/executions/x";
        let body = ApiError::not_found().problem_body(path);
        assert_eq!(
            body,
            json!({"type": format!("{PROBLEM_BASE}not-found"), "title": "Resource not found",
                   "status": 404, "detail": "Resource not found", "instance": path})
        );
        let body = ApiError::invalid_entity("Missing required input:x").problem_body(path);
        assert_eq!(body["detail"], "Missing required input:x");
        assert_eq!(body["status"], 422);
        let body = ApiError::illegal_state("Duplicate key a").problem_body(path);
        assert_eq!(body["status"], 500);
        assert_eq!(body["detail"], SERVER_ERROR_DETAIL);
        assert_eq!(body["traceId"].as_str().unwrap().len(), 32);
        assert_eq!(Problem::by_status(418), Problem::BadRequest);
        assert_eq!(Problem::by_status(502), Problem::Internal);
    }
}
