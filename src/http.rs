//! Requests to Kestra: credentials, cancellation, retries of idempotent requests, the
//! exactly-once create, and typed errors.

use js_sys::{Function, Object, Reflect, JSON};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, Response};

use crate::auth::Credentials;
use crate::errors::{describe, kestra_error};
use crate::host;
use crate::retry::{self, Decision, Outcome, RetryPolicy};

/// What every request of one call shares.
#[derive(Clone)]
pub struct Client {
    /// Sent as `Authorization` on every request.
    pub credentials: Credentials,
    /// Retries of idempotent requests and of creates known not to have been handled.
    pub policy: RetryPolicy,
    /// The waiting function given to `Flow` (tests), else a timer.
    pub sleep: Option<Function>,
    /// Aborts every request and wait of the call.
    pub signal: Option<AbortSignal>,
}

impl Client {
    /// Whether the call was stopped (timeout, abort): nothing is retried then.
    pub fn stopped(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }

    /// Waits `seconds` unless the call stops first.
    pub async fn sleep(&self, seconds: f64) -> Result<(), JsValue> {
        host::sleep(seconds, self.sleep.as_ref(), self.signal.as_ref()).await
    }

    /// One attempt: the request with method, credentials and signal; redirects are not
    /// followed, so credentials never travel to whatever a proxy points at.
    async fn attempt(&self, method: &str, url: &str, init: &JsValue) -> Result<Response, JsValue> {
        let request = Object::new();
        if init.is_object() {
            host::object_assign(&request, init)?;
        }
        Reflect::set(&request, &"method".into(), &method.into())?;
        if Reflect::get(&request, &"redirect".into())?.is_undefined() {
            Reflect::set(&request, &"redirect".into(), &"manual".into())?;
        }
        if let Some(signal) = &self.signal {
            Reflect::set(&request, &"signal".into(), signal)?;
        }

        let headers_init = Reflect::get(&request, &"headers".into())?;
        let headers = if headers_init.is_undefined() || headers_init.is_null() {
            Headers::new()?
        } else {
            // `new Headers(x)` accepts a Headers, a record or pairs.
            Headers::new_with_str_sequence_sequence(&headers_init)?
        };
        if let Some(authorization) = self.credentials.authorization() {
            headers.set("Authorization", &authorization)?;
        }
        Reflect::set(&request, &"headers".into(), &headers)?;
        host::fetch(url, &request).await
    }

    /// Sends a request, retrying network errors and retryable statuses when `idempotent`.
    /// Resolves to the final response, whatever its status; rejects when the request
    /// could not be sent or every attempt failed.
    pub async fn send_any_status(
        &self,
        method: &str,
        url: &str,
        init: &JsValue,
        idempotent: bool,
    ) -> Result<Response, JsValue> {
        let mut retries = 0;
        loop {
            let attempt = self.attempt(method, url, init).await;
            if self.stopped() {
                return Err(attempt.err().unwrap_or(JsValue::UNDEFINED));
            }
            let (outcome, retry_after) = outcome_of(&attempt);
            let policy = if idempotent {
                self.policy.clone()
            } else {
                RetryPolicy {
                    retries: 0,
                    ..self.policy.clone()
                }
            };
            match (policy.decide(retries, outcome, retry_after), attempt) {
                (Decision::Accept, Ok(response)) => return Ok(response),
                (Decision::Accept, Err(cause)) => return Err(network_error(method, url, cause)),
                (Decision::RetryAfter(seconds), attempt) => {
                    if let Ok(response) = &attempt {
                        host::discard_body(response);
                    }
                    self.sleep(seconds).await?;
                    retries += 1;
                }
                (_, Err(cause)) if !idempotent => return Err(network_error(method, url, cause)),
                (_, attempt) => return Err(gave_up(method, url, retries + 1, attempt)),
            }
        }
    }

    /// Sends a request and rejects with the typed error of an error status.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        init: &JsValue,
        idempotent: bool,
    ) -> Result<Response, JsValue> {
        let response = self.send_any_status(method, url, init, idempotent).await?;
        checked(&self.credentials, method, url, response).await
    }

    /// `GET` of a JSON document.
    pub async fn get_json(&self, url: &str) -> Result<JsValue, JsValue> {
        let response = self.send("GET", url, &JsValue::UNDEFINED, true).await?;
        read_json(&self.credentials, response, "GET", url).await
    }

    /// `GET` of a text document.
    pub async fn get_text(&self, url: &str) -> Result<String, JsValue> {
        let response = self.send("GET", url, &JsValue::UNDEFINED, true).await?;
        response_text(&response, url).await
    }

    /// Creates an execution exactly once. A failure that may have come after the server
    /// created it (see [`retry::is_ambiguous`]) is followed, after the backoff wait, by a
    /// search for the execution carrying the create's unique label (`search_url`); the
    /// request is resent only when none is found.
    pub async fn create(
        &self,
        url: &str,
        init: &JsValue,
        search_url: &str,
    ) -> Result<JsValue, JsValue> {
        let mut retries = 0;
        loop {
            let attempt = self.attempt("POST", url, init).await;
            if self.stopped() {
                return Err(attempt.err().unwrap_or(JsValue::UNDEFINED));
            }
            let (outcome, retry_after) = outcome_of(&attempt);
            let ambiguous = retry::is_ambiguous(outcome);

            let wait = match self.policy.decide(retries, outcome, retry_after) {
                Decision::Accept => {
                    let response = match attempt {
                        Ok(response) => checked(&self.credentials, "POST", url, response).await?,
                        Err(cause) => return Err(network_error("POST", url, cause)),
                    };
                    return read_json(&self.credentials, response, "POST", url).await;
                }
                Decision::RetryAfter(seconds) => Some(seconds),
                Decision::GiveUp => None,
            };

            if let Some(seconds) = wait {
                if let Ok(response) = &attempt {
                    host::discard_body(response);
                }
                self.sleep(seconds).await?;
            }
            if ambiguous {
                if let Some(execution) = self.find_created(search_url).await? {
                    return Ok(execution);
                }
            }
            if wait.is_none() {
                return Err(gave_up("POST", url, retries + 1, attempt));
            }
            retries += 1;
        }
    }

    /// The execution the search route finds, if any. A failed search fails the create:
    /// resending without knowing could run the flow twice.
    pub async fn find_created(&self, search_url: &str) -> Result<Option<JsValue>, JsValue> {
        let found = match self.get_json(search_url).await {
            Ok(found) => found,
            Err(cause) if !self.stopped() => {
                // Refused credentials were refused for the create as well: nothing was made,
                // and the refusal is the answer.
                let status = Reflect::get(&cause, &"status".into()).unwrap_or_default();
                if matches!(status.as_f64(), Some(401.0 | 403.0)) {
                    return Err(cause);
                }
                let message = format!(
                    "Creating the execution failed in a way that may hide a success, and the \
                     search for it failed too, so it was not resent: {}",
                    describe(&cause)
                );
                return Err(kestra_error(
                    "KestraError",
                    &message,
                    &[
                        ("status", status),
                        ("method", "GET".into()),
                        ("url", search_url.into()),
                        ("cause", cause),
                    ],
                ));
            }
            Err(cause) => return Err(cause),
        };
        let results = Reflect::get(&found, &"results".into())?;
        if !host::is_array(&results) {
            return Ok(None);
        }
        let first = Reflect::get_u32(&results, 0)?;
        Ok(first.is_object().then_some(first))
    }
}

/// The outcome of an attempt and the server's `Retry-After`, in seconds.
fn outcome_of(attempt: &Result<Response, JsValue>) -> (Outcome, Option<f64>) {
    match attempt {
        Err(error) => {
            let outcome = match host::fetch_failure(error).as_str() {
                "unsent" => Outcome::Unsent,
                "final" => Outcome::Unsendable,
                _ => Outcome::NetworkError,
            };
            (outcome, None)
        }
        Ok(response) => {
            let retry_after = response
                .headers()
                .get("Retry-After")
                .ok()
                .flatten()
                .and_then(|value| retry::parse_retry_after(&value, js_sys::Date::now() / 1000.0));
            (Outcome::Status(response.status()), retry_after)
        }
    }
}

/// The response when it is a success; otherwise the typed error it stands for.
pub async fn checked(
    credentials: &Credentials,
    method: &str,
    url: &str,
    response: Response,
) -> Result<Response, JsValue> {
    let status = response.status();
    if response.type_() == web_sys::ResponseType::Opaqueredirect || (300..400).contains(&status) {
        return Err(redirect_error(method, url, &response));
    }
    if response.ok() {
        return Ok(response);
    }
    Err(http_error(credentials, method, url, &response).await)
}

/// A redirect is not followed: it usually means a login page or a proxy, not Kestra.
fn redirect_error(method: &str, url: &str, response: &Response) -> JsValue {
    host::discard_body(response);
    let location = response.headers().get("Location").ok().flatten();
    let target = location.as_deref().map_or_else(
        || "elsewhere".to_owned(),
        |location| format!("to {location}"),
    );
    let message = format!(
        "{method} {url} was redirected {target}; redirects are not followed, so that \
         credentials stay with the Kestra server (a login page or a proxy in front of the \
         API? hostname must be the API's own address)"
    );
    let mut fields = vec![
        ("status", JsValue::from(response.status())),
        ("method", method.into()),
        ("url", url.into()),
    ];
    if let Some(location) = location {
        fields.push(("location", location.into()));
    }
    kestra_error("KestraError", &message, &fields)
}

/// The error of a final error status, with the server's message when it sent one.
async fn http_error(
    credentials: &Credentials,
    method: &str,
    url: &str,
    response: &Response,
) -> JsValue {
    let status = response.status();
    // A server may echo the request's headers: its words never carry the credentials on.
    let body = credentials.redact(&response_text(response, url).await.unwrap_or_default());
    let server_message = server_message(&body);
    let class_name = retry::error_class(status);

    let message = if status == 401 {
        format!(
            "Authentication required: {method} {url} answered 401; \
             set user and password, or apiToken, on the Flow"
        )
    } else {
        let detail = match &server_message {
            Some(text) => format!(": {text}"),
            None if looks_like_html(&body) => {
                ": an HTML page, not Kestra's API (a proxy or a login page?)".to_owned()
            }
            None => String::new(),
        };
        format!("{method} {url} answered {status}{detail}")
    };
    kestra_error(
        class_name,
        &message,
        &[
            ("status", status.into()),
            ("method", method.into()),
            ("url", url.into()),
            ("body", body.into()),
            (
                "serverMessage",
                server_message.map_or(JsValue::UNDEFINED, JsValue::from),
            ),
        ],
    )
}

/// The error of a request that got no answer.
pub fn network_error(method: &str, url: &str, cause: JsValue) -> JsValue {
    kestra_error(
        "KestraError",
        &format!("{method} {url} could not be sent: {}", describe(&cause)),
        &[
            ("method", method.into()),
            ("url", url.into()),
            ("cause", cause),
        ],
    )
}

/// The error once retries are exhausted: the last status, or the last network error.
fn gave_up(method: &str, url: &str, attempts: u32, last: Result<Response, JsValue>) -> JsValue {
    let (what, status, cause) = match last {
        Ok(response) => {
            host::discard_body(&response);
            let status = response.status();
            (
                format!("answered {status}"),
                JsValue::from(status),
                JsValue::UNDEFINED,
            )
        }
        Err(cause) => (
            format!("could not be sent: {}", describe(&cause)),
            JsValue::UNDEFINED,
            cause,
        ),
    };
    let message =
        format!("Failed to make the request after {attempts} attempts: {method} {url} {what}");
    let mut fields = vec![
        ("status", status),
        ("method", JsValue::from(method)),
        ("url", url.into()),
        ("attempts", attempts.into()),
    ];
    if !cause.is_undefined() {
        fields.push(("cause", cause));
    }
    kestra_error("FailedExponentialBackoff", &message, &fields)
}

/// `message` (Kestra 1.x) or `detail` (Kestra 2.x problem documents) of an error body.
fn server_message(body: &str) -> Option<String> {
    let parsed = JSON::parse(body).ok()?;
    if !parsed.is_object() {
        return None;
    }
    ["message", "detail"]
        .into_iter()
        .find_map(|key| Reflect::get(&parsed, &key.into()).ok()?.as_string())
}

fn looks_like_html(body: &str) -> bool {
    let start: String = body.trim_start().chars().take(15).collect();
    let start = start.to_ascii_lowercase();
    start.starts_with("<!doctype html") || start.starts_with("<html")
}

/// The body of a response as text; a connection lost midway is a `KestraError`.
pub async fn response_text(response: &Response, url: &str) -> Result<String, JsValue> {
    let reading = match response.text() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(error) => Err(error),
    };
    match reading {
        Ok(text) => Ok(text.as_string().unwrap_or_default()),
        Err(cause) => Err(kestra_error(
            "KestraError",
            &format!("{url}: the answer could not be read: {}", describe(&cause)),
            &[("url", url.into()), ("cause", cause)],
        )),
    }
}

/// The body of a response as JSON; anything else (a proxy's HTML page) is a clear error.
pub async fn read_json(
    credentials: &Credentials,
    response: Response,
    method: &str,
    url: &str,
) -> Result<JsValue, JsValue> {
    let text = response_text(&response, url).await?;
    JSON::parse(&text).map_err(|_| {
        let what = if looks_like_html(&text) {
            "an HTML page, not Kestra's API (a proxy or a login page in front of it?)".to_owned()
        } else {
            let preview: String = text.chars().take(200).collect();
            format!(
                "something that is not JSON: {}",
                credentials.redact(&preview)
            )
        };
        kestra_error(
            "KestraError",
            &format!("{method} {url} answered {what}"),
            &[
                ("status", response.status().into()),
                ("method", method.into()),
                ("url", url.into()),
                ("body", credentials.redact(&text).into()),
            ],
        )
    })
}
