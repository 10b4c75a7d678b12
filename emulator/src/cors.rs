//! CORS for browser clients, off unless origins are given, shaped like Micronaut's CORS
//! filter with a configuration that allows any method and header, credentials and a 30 min
//! preflight cache.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::store::App;

/// How long a browser may cache a preflight answer, in seconds (Micronaut's default).
const MAX_AGE: &str = "1800";

/// Answers preflights from allowed origins before authentication and adds the CORS headers
/// to the other answers for them; requests from other origins are left untouched.
pub async fn cors(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .filter(|origin| {
            app.config
                .cors_origins
                .iter()
                .any(|allowed| allowed == origin)
        })
        .and_then(|origin| HeaderValue::from_str(origin).ok());
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    let requested_method = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .cloned();
    if let (true, Some(method)) = (request.method() == Method::OPTIONS, requested_method) {
        return preflight(&origin, method, request.headers());
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// The answer to a preflight: the origin, the requested method and headers echoed.
fn preflight(origin: &HeaderValue, method: HeaderValue, request: &HeaderMap) -> Response {
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin)
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, method)
        .header(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true")
        .header(header::ACCESS_CONTROL_MAX_AGE, MAX_AGE)
        .header(header::VARY, "Origin");
    if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        response = response.header(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
    }
    response.body(Body::empty()).unwrap_or_default()
}
