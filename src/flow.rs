//! `Flow`: runs Kestra flows over the REST API and waits for their end.

use js_sys::{Array, ArrayBuffer, Function, Object, Promise, Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{Blob, BlobPropertyBag, File, FormData, Headers, Response};

use crate::auth::{self, Credentials};
use crate::errors::{describe, kestra_error, type_error};
use crate::host;
use crate::retry::{Decision, RetryPolicy};
use crate::routes::{self, RouteError, Routes};
use crate::state::ExecutionState;

/// Triggers executions of Kestra flows and reads their status and logs.
#[wasm_bindgen]
pub struct Flow {
    settings: Settings,
}

/// A property setter, shared by the constructor's options and environment variables.
type Setter = fn(&mut Flow, &JsValue) -> Result<(), JsValue>;

/// Everything a request needs; copied into each call so later changes do not race it.
#[derive(Clone)]
struct Settings {
    wait_for_completion: bool,
    poll_interval: f64,
    labels_from_inputs: bool,
    tenant: Option<String>,
    hostname: String,
    credentials: Credentials,
    sleep: Option<Function>,
    retry: RetryPolicy,
}

/// The value `execute` resolves to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FlowExecution {
    execution_id: String,
    status: String,
    log: Option<String>,
    error: Option<String>,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    outputs: JsValue,
}

#[wasm_bindgen]
impl Flow {
    /// Creates a client; the server and credentials come from `KESTRA_HOSTNAME`,
    /// `KESTRA_USER`, `KESTRA_PASSWORD` and `KESTRA_API_TOKEN` when the runtime has them.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &JsValue) -> Result<Flow, JsValue> {
        if !(options.is_undefined() || options.is_null() || options.is_object()) {
            return Err(type_error("new Flow(options): options must be an object"));
        }

        let mut flow = Flow {
            settings: Settings {
                wait_for_completion: true,
                poll_interval: 1.0,
                labels_from_inputs: false,
                tenant: Some(routes::DEFAULT_TENANT.to_owned()),
                hostname: "http://localhost:8080".to_owned(),
                credentials: Credentials::default(),
                sleep: None,
                retry: RetryPolicy::default(),
            },
        };

        // The environment first, options after, each through the property's own checks.
        let from_env: [(&str, Setter); 4] = [
            ("KESTRA_HOSTNAME", Flow::set_hostname),
            ("KESTRA_USER", Flow::set_user),
            ("KESTRA_PASSWORD", Flow::set_password),
            ("KESTRA_API_TOKEN", Flow::set_api_token),
        ];
        for (name, setter) in from_env {
            if let Some(value) = host::read_env(name).filter(|value| !value.is_empty()) {
                setter(&mut flow, &JsValue::from_str(&value))
                    .map_err(|error| type_error(&format!("{name}: {}", describe(&error))))?;
            }
        }

        let from_options: [(&str, Setter); 8] = [
            ("waitForCompletion", Flow::set_wait_for_completion),
            ("pollInterval", Flow::set_poll_interval),
            ("labelsFromInputs", Flow::set_labels_from_inputs),
            ("hostname", Flow::set_hostname),
            ("user", Flow::set_user),
            ("password", Flow::set_password),
            ("apiToken", Flow::set_api_token),
            ("tenant", Flow::set_tenant),
        ];
        for (name, setter) in from_options {
            let value = option_raw(options, name)?;
            // An explicit `tenant: null` selects the tenant-less routes; others skip undefined.
            if !value.is_undefined() {
                setter(&mut flow, &value).map_err(|error| {
                    type_error(&format!("new Flow(options): {}", describe(&error)))
                })?;
            }
        }

        if let Some(value) = option(options, "sleep")? {
            let sleep = value.dyn_into::<Function>().map_err(|_| {
                type_error("new Flow(options): sleep must be a function (seconds) => Promise")
            })?;
            flow.settings.sleep = Some(sleep);
        }
        Ok(flow)
    }

    /// Base URL of the Kestra server, e.g. `http://localhost:8080`.
    #[wasm_bindgen(getter)]
    pub fn hostname(&self) -> String {
        self.settings.hostname.clone()
    }

    /// Sets the base URL of the Kestra server.
    #[wasm_bindgen(setter)]
    pub fn set_hostname(&mut self, hostname: &JsValue) -> Result<(), JsValue> {
        let hostname = hostname
            .as_string()
            .ok_or_else(|| type_error("Flow.hostname must be a string"))?;
        routes::check_hostname(&hostname).map_err(|error| type_error(&format!("Flow.{error}")))?;
        self.settings.hostname = hostname;
        Ok(())
    }

    /// Basic-auth user name, or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "string | null")]
    pub fn user(&self) -> JsValue {
        nullable(self.settings.credentials.user.as_deref())
    }

    /// Sets the basic-auth user name (`null` to remove it).
    #[wasm_bindgen(setter)]
    pub fn set_user(&mut self, user: &JsValue) -> Result<(), JsValue> {
        let user = optional_string(user, "Flow.user")?;
        if let Some(user) = &user {
            auth::check_user(user).map_err(|error| type_error(&format!("Flow.{error}")))?;
        }
        self.settings.credentials.user = user;
        Ok(())
    }

    /// Basic-auth password, or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "string | null")]
    pub fn password(&self) -> JsValue {
        nullable(self.settings.credentials.password.as_deref())
    }

    /// Sets the basic-auth password (`null` to remove it).
    #[wasm_bindgen(setter)]
    pub fn set_password(&mut self, password: &JsValue) -> Result<(), JsValue> {
        self.settings.credentials.password = optional_string(password, "Flow.password")?;
        Ok(())
    }

    /// API token sent as `Bearer`, or `null`; it wins over basic auth.
    #[wasm_bindgen(getter, js_name = apiToken, unchecked_return_type = "string | null")]
    pub fn api_token(&self) -> JsValue {
        nullable(self.settings.credentials.api_token.as_deref())
    }

    /// Sets the API token (`null` to remove it).
    #[wasm_bindgen(setter, js_name = apiToken)]
    pub fn set_api_token(&mut self, token: &JsValue) -> Result<(), JsValue> {
        let token = optional_string(token, "Flow.apiToken")?;
        if let Some(token) = &token {
            auth::check_token(token).map_err(|error| type_error(&format!("Flow.{error}")))?;
        }
        self.settings.credentials.api_token = token;
        Ok(())
    }

    /// Whether `execute` waits for the execution to end.
    #[wasm_bindgen(getter, js_name = waitForCompletion)]
    pub fn wait_for_completion(&self) -> bool {
        self.settings.wait_for_completion
    }

    /// Sets whether `execute` waits for the execution to end.
    #[wasm_bindgen(setter, js_name = waitForCompletion)]
    pub fn set_wait_for_completion(&mut self, wait: &JsValue) -> Result<(), JsValue> {
        self.settings.wait_for_completion = wait
            .as_bool()
            .ok_or_else(|| type_error("Flow.waitForCompletion must be a boolean"))?;
        Ok(())
    }

    /// Seconds between two status checks while waiting.
    #[wasm_bindgen(getter, js_name = pollInterval)]
    pub fn poll_interval(&self) -> f64 {
        self.settings.poll_interval
    }

    /// Sets the seconds between two status checks.
    #[wasm_bindgen(setter, js_name = pollInterval)]
    pub fn set_poll_interval(&mut self, seconds: &JsValue) -> Result<(), JsValue> {
        self.settings.poll_interval = checked_interval(seconds)?;
        Ok(())
    }

    /// Whether non-file inputs are also sent as execution labels.
    #[wasm_bindgen(getter, js_name = labelsFromInputs)]
    pub fn labels_from_inputs(&self) -> bool {
        self.settings.labels_from_inputs
    }

    /// Sets whether non-file inputs are also sent as execution labels.
    #[wasm_bindgen(setter, js_name = labelsFromInputs)]
    pub fn set_labels_from_inputs(&mut self, enabled: &JsValue) -> Result<(), JsValue> {
        self.settings.labels_from_inputs = enabled
            .as_bool()
            .ok_or_else(|| type_error("Flow.labelsFromInputs must be a boolean"))?;
        Ok(())
    }

    /// The tenant, or `null` for the tenant-less routes of Kestra ≤ 0.22.
    #[wasm_bindgen(getter, unchecked_return_type = "string | null")]
    pub fn tenant(&self) -> JsValue {
        nullable(self.settings.tenant.as_deref())
    }

    /// Sets the tenant (`null` for the tenant-less routes of Kestra ≤ 0.22).
    #[wasm_bindgen(setter)]
    pub fn set_tenant(&mut self, tenant: &JsValue) -> Result<(), JsValue> {
        self.settings.tenant = if tenant.is_null() {
            None
        } else if tenant.is_undefined() {
            Some(routes::DEFAULT_TENANT.to_owned())
        } else {
            Some(checked_tenant(tenant)?)
        };
        Ok(())
    }

    /// Sends one request with the credentials, retrying retryable statuses with exponential
    /// backoff. Resolves to the host's `Response`; rejects with `AuthenticationError` on
    /// 401, `HttpError` on another error status, `FailedExponentialBackoff` when every
    /// attempt was retryable, `KestraError` when the request could not be sent.
    #[wasm_bindgen(js_name = _makeRequest, unchecked_return_type = "Promise<Response>")]
    pub fn make_request(
        &self,
        method: String,
        url: String,
        #[wasm_bindgen(unchecked_param_type = "RequestInit")] init: JsValue,
    ) -> Promise {
        let settings = self.settings.clone();
        future_to_promise(async move {
            let response = send(&settings, &method, &url, &init).await?;
            Ok(response.into())
        })
    }

    /// Fetches the execution `executionId`; resolves to the host's `Response` (JSON body).
    #[wasm_bindgen(js_name = checkStatus, unchecked_return_type = "Promise<Response>")]
    pub fn check_status(
        &self,
        #[wasm_bindgen(js_name = executionId, unchecked_param_type = "string")]
        execution_id: &JsValue,
    ) -> Promise {
        self.get_by_execution_id(execution_id, "Flow.checkStatus", Routes::execution)
    }

    /// Fetches the plain-text log of an execution; resolves to the host's `Response`.
    #[wasm_bindgen(js_name = getLogs, unchecked_return_type = "Promise<Response>")]
    pub fn get_logs(
        &self,
        #[wasm_bindgen(js_name = executionId, unchecked_param_type = "string")]
        execution_id: &JsValue,
    ) -> Promise {
        self.get_by_execution_id(execution_id, "Flow.getLogs", Routes::logs_download)
    }

    /// Creates an execution of `namespace`/`flowId` with `inputs` and, unless
    /// `waitForCompletion` is false, waits for its end and reads its log.
    ///
    /// Inputs: strings, numbers, booleans and bigints are sent as text; `Date` as an ISO
    /// instant; other objects and arrays as JSON; `null`/`undefined` are left out (the flow's
    /// default applies). A `Blob`/`File`, `ArrayBuffer` or typed array is uploaded as a file,
    /// as is a `[filename, data, contentType]` triple whose data is one of those.
    pub fn execute(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] namespace: &JsValue,
        #[wasm_bindgen(js_name = flowId, unchecked_param_type = "string")] flow_id: &JsValue,
        inputs: Option<JsValue>,
    ) -> Promise {
        let inputs = inputs.unwrap_or(JsValue::UNDEFINED);
        let settings = self.settings.clone();
        let namespace = namespace.as_string();
        let flow_id = flow_id.as_string();
        // Everything that reads caller values runs inside the future: a bad value rejects
        // the Promise and never leaves this object borrowed.
        future_to_promise(async move {
            let namespace = required_text(namespace, "Flow.execute: namespace")?;
            let flow_id = required_text(flow_id, "Flow.execute: flowId")?;
            let form = build_form(&inputs)?;
            let execution = run(&settings, &namespace, &flow_id, form).await?;
            let serializer = serde_wasm_bindgen::Serializer::json_compatible();
            execution
                .serialize(&serializer)
                .map_err(|error| type_error(&format!("Flow.execute: {error}")))
        })
    }
}

impl Flow {
    /// `GET` of the route `route` builds for an execution id, resolving to the `Response`.
    fn get_by_execution_id(
        &self,
        execution_id: &JsValue,
        context: &'static str,
        route: fn(&Routes, &str) -> Result<String, RouteError>,
    ) -> Promise {
        let settings = self.settings.clone();
        let execution_id = execution_id.as_string();
        future_to_promise(async move {
            let what = format!("{context}: executionId");
            let execution_id = required_text(execution_id, &what)?;
            let url = route(&settings.routes(), &execution_id)
                .map_err(|error| type_error(&format!("{context}: {error}")))?;
            let response = send(&settings, "GET", &url, &JsValue::UNDEFINED).await?;
            Ok(response.into())
        })
    }
}

impl Settings {
    fn routes(&self) -> Routes {
        Routes::new(&self.hostname, self.tenant.as_deref())
    }
}

/// The multipart body of a create request and the labels taken from its text inputs.
struct InputForm {
    body: Option<FormData>,
    text_inputs: Vec<(String, String)>,
}

async fn run(
    settings: &Settings,
    namespace: &str,
    flow_id: &str,
    form: InputForm,
) -> Result<FlowExecution, JsValue> {
    let mut url = settings
        .routes()
        .create_execution(namespace, flow_id)
        .map_err(|error| type_error(&format!("Flow.execute: {error}")))?;
    if settings.labels_from_inputs {
        let labels = form
            .text_inputs
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()));
        url.push_str(&routes::labels_query(labels));
    }

    let init = Object::new();
    if let Some(body) = &form.body {
        Reflect::set(&init, &"body".into(), body)?;
    }
    let response = send(settings, "POST", &url, &init).await?;
    let created = read_json(response, &url).await?;
    let execution_id = Reflect::get(&created, &"id".into())
        .ok()
        .and_then(|id| id.as_string())
        .filter(|id| routes::check_segment("executionId", id).is_ok())
        .ok_or_else(|| {
            let body = JSON::stringify(&created)
                .ok()
                .and_then(|text| text.as_string())
                .unwrap_or_default();
            kestra_error(
                "KestraError",
                &format!(
                    "Starting execution failed: the answer has no usable execution id: {body}"
                ),
                &[("url", url.as_str().into())],
            )
        })?;

    if !settings.wait_for_completion {
        return Ok(FlowExecution {
            execution_id,
            status: "STARTED".to_owned(),
            log: None,
            error: None,
            outputs: JsValue::NULL,
        });
    }

    // The id was checked above, so these routes cannot fail; the error stays typed anyway.
    let server_id_error = |error: RouteError| type_error(&error.to_string());
    let status_url = settings
        .routes()
        .execution(&execution_id)
        .map_err(server_id_error)?;
    let (state, execution) = loop {
        let response = send(settings, "GET", &status_url, &JsValue::UNDEFINED).await?;
        let execution = read_json(response, &status_url).await?;
        let current = current_state(&execution).ok_or_else(|| {
            kestra_error(
                "KestraError",
                "the execution JSON has no state.current",
                &[("url", status_url.as_str().into())],
            )
        })?;
        let state = ExecutionState::parse(&current);
        if state.is_terminated() {
            break (state, execution);
        }
        host::sleep(settings.poll_interval, settings.sleep.as_ref()).await?;
    };

    let outputs = Reflect::get(&execution, &"outputs".into())
        .ok()
        .filter(|outputs| outputs.is_object())
        .unwrap_or(JsValue::NULL);

    let logs_url = settings
        .routes()
        .logs_download(&execution_id)
        .map_err(server_id_error)?;
    let log = match read_log(settings, &logs_url).await {
        Ok(log) => log,
        Err(cause) => {
            // The execution has ended: its id, state and outputs travel with the error.
            let message = format!(
                "Execution {execution_id} ended {}, but its log could not be read: {}",
                state.as_str(),
                describe(&cause)
            );
            let fields = [
                ("url", JsValue::from_str(&logs_url)),
                ("executionId", JsValue::from_str(&execution_id)),
                ("status", JsValue::from_str(state.as_str())),
                ("outputs", outputs),
                ("cause", cause),
            ];
            return Err(kestra_error("KestraError", &message, &fields));
        }
    };

    let error = (!state.is_terminated_without_failure()).then(|| {
        format!(
            "Execution {execution_id} of {namespace}.{flow_id} ended {}",
            state.as_str()
        )
    });
    Ok(FlowExecution {
        execution_id,
        status: state.as_str().to_owned(),
        log: Some(log),
        error,
        outputs,
    })
}

/// `state.current` of Kestra's Execution JSON, the one field the wait needs.
fn current_state(execution: &JsValue) -> Option<String> {
    let state = Reflect::get(execution, &JsValue::from_str("state")).ok()?;
    if !state.is_object() {
        return None;
    }
    Reflect::get(&state, &JsValue::from_str("current"))
        .ok()?
        .as_string()
}

/// One request with credentials and the retry policy.
async fn send(
    settings: &Settings,
    method: &str,
    url: &str,
    init: &JsValue,
) -> Result<Response, JsValue> {
    let mut attempt = 0;
    loop {
        let request = request_init(settings, method, init)?;
        let response = host::fetch(url, &request).await.map_err(|cause| {
            kestra_error(
                "KestraError",
                &format!("{method} {url} could not be sent: {}", describe(&cause)),
                &[("url", url.into()), ("cause", cause)],
            )
        })?;

        let status = response.status();
        match settings.retry.decide(attempt, status) {
            Decision::Accept if response.ok() => return Ok(response),
            Decision::Accept => return Err(http_error("HttpError", method, url, &response).await),
            Decision::AuthenticationRequired => {
                return Err(http_error("AuthenticationError", method, url, &response).await)
            }
            Decision::RetryAfter(seconds) => {
                host::sleep(seconds, settings.sleep.as_ref()).await?;
                attempt += 1;
            }
            Decision::GiveUpAfter(seconds) => {
                host::sleep(seconds, settings.sleep.as_ref()).await?;
                let attempts = settings.retry.attempts;
                let message = format!(
                    "Failed to make the request after {attempts} attempts: \
                     {method} {url} answered {status}"
                );
                return Err(kestra_error(
                    "FailedExponentialBackoff",
                    &message,
                    &[
                        ("url", url.into()),
                        ("status", status.into()),
                        ("attempts", settings.retry.attempts.into()),
                    ],
                ));
            }
        }
    }
}

/// A fetch `init` object: the caller's, plus method and `Authorization`.
fn request_init(settings: &Settings, method: &str, init: &JsValue) -> Result<Object, JsValue> {
    let request = Object::new();
    if init.is_object() {
        host::object_assign(&request, init)?;
    } else if !init.is_undefined() && !init.is_null() {
        return Err(type_error("Flow._makeRequest: init must be an object"));
    }
    Reflect::set(
        &request,
        &"method".into(),
        &method.to_ascii_uppercase().into(),
    )?;

    let headers_init = Reflect::get(&request, &"headers".into())?;
    let headers = if headers_init.is_undefined() || headers_init.is_null() {
        Headers::new()?
    } else {
        // `new Headers(x)` accepts a Headers, a record or pairs; web-sys names each overload.
        Headers::new_with_str_sequence_sequence(&headers_init)?
    };
    if let Some(authorization) = settings.credentials.authorization() {
        headers.set("Authorization", &authorization)?;
    }
    Reflect::set(&request, &"headers".into(), &headers)?;
    Ok(request)
}

/// The error for a final error status, with the server's message when it sent one.
async fn http_error(class_name: &str, method: &str, url: &str, response: &Response) -> JsValue {
    let status = response.status();
    let body = response_text(response, url).await.unwrap_or_default();
    let server_message = server_message(&body);

    let message = if class_name == "AuthenticationError" {
        format!(
            "Authentication required: {method} {url} answered 401; \
             set user and password, or apiToken, on the Flow"
        )
    } else {
        let detail = server_message
            .map(|text| format!(": {text}"))
            .unwrap_or_default();
        format!("{method} {url} answered {status}{detail}")
    };
    kestra_error(
        class_name,
        &message,
        &[
            ("status", status.into()),
            ("url", url.into()),
            ("body", body.into()),
        ],
    )
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

async fn read_log(settings: &Settings, url: &str) -> Result<String, JsValue> {
    let response = send(settings, "GET", url, &JsValue::UNDEFINED).await?;
    response_text(&response, url).await
}

/// The body of a response as text; a connection lost midway is a `KestraError`.
async fn response_text(response: &Response, url: &str) -> Result<String, JsValue> {
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

async fn read_json(response: Response, url: &str) -> Result<JsValue, JsValue> {
    let text = response_text(&response, url).await?;
    JSON::parse(&text).map_err(|_| {
        let preview: String = text.chars().take(200).collect();
        kestra_error(
            "KestraError",
            &format!("{url} answered something that is not JSON: {preview}"),
            &[("url", url.into()), ("body", text.as_str().into())],
        )
    })
}

/// Turns the `inputs` object into a multipart body, checking every value.
fn build_form(inputs: &JsValue) -> Result<InputForm, JsValue> {
    let mut form = InputForm {
        body: None,
        text_inputs: Vec::new(),
    };
    if inputs.is_undefined() || inputs.is_null() {
        return Ok(form);
    }
    let collection = inputs.is_instance_of::<js_sys::Map>()
        || inputs.is_instance_of::<js_sys::Set>()
        || host::is_array(inputs);
    if !inputs.is_object() || inputs.is_function() || collection {
        return Err(type_error(
            "Flow.execute: inputs must be a plain object of input ids to values",
        ));
    }

    let body = FormData::new()?;
    let mut any = false;
    let entries = host::object_entries(inputs).map_err(|error| {
        type_error(&format!(
            "Flow.execute: inputs could not be read: {}",
            describe(&error)
        ))
    })?;
    for entry in entries.iter() {
        let pair: Array = entry.unchecked_into();
        let id = pair.get(0).as_string().unwrap_or_default();
        let value = pair.get(1);
        if value.is_undefined() || value.is_null() {
            continue;
        }

        any = true;
        match file_part(&id, &value)? {
            Some((blob, filename)) => body.append_with_blob_and_filename(&id, &blob, &filename)?,
            None => {
                let text = text_value(&id, &value)?;
                body.append_with_str(&id, &text)?;
                form.text_inputs.push((id, text));
            }
        }
    }

    if any {
        form.body = Some(body);
    }
    Ok(form)
}

/// The blob and file name of a file input, or `None` for a text input.
fn file_part(id: &str, value: &JsValue) -> Result<Option<(Blob, String)>, JsValue> {
    if let Some(blob) = as_blob(value, None)? {
        let filename = value
            .dyn_ref::<File>()
            .map(|file| file.name())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| id.to_owned());
        return Ok(Some((blob, filename)));
    }

    let Some(triple) = value.dyn_ref::<Array>().filter(|array| array.length() == 3) else {
        return Ok(None);
    };
    let (filename, data, content_type) = (triple.get(0), triple.get(1), triple.get(2));
    if !is_file_data(&data) {
        return Ok(None);
    }
    let (Some(filename), Some(content_type)) = (filename.as_string(), content_type.as_string())
    else {
        return Err(type_error(&format!(
            "Flow.execute: input '{id}' looks like [filename, data, contentType] \
             but its filename or content type is not a string"
        )));
    };
    let Some(blob) = as_blob(&data, Some(&content_type))? else {
        return Ok(None);
    };
    if filename.is_empty() {
        return Err(type_error(&format!(
            "Flow.execute: input '{id}' has an empty file name"
        )));
    }
    Ok(Some((blob, filename)))
}

/// A Blob, an `ArrayBuffer` or a view on one (typed array, `DataView`).
fn is_file_data(value: &JsValue) -> bool {
    value.is_instance_of::<Blob>()
        || value.is_instance_of::<ArrayBuffer>()
        || ArrayBuffer::is_view(value)
}

/// `value` as a Blob when it is one, or bytes (`ArrayBuffer`, typed array, `DataView`).
fn as_blob(value: &JsValue, content_type: Option<&str>) -> Result<Option<Blob>, JsValue> {
    if let Some(blob) = value.dyn_ref::<Blob>() {
        if content_type.is_none() {
            return Ok(Some(blob.clone()));
        }
    } else if !(value.is_instance_of::<ArrayBuffer>() || ArrayBuffer::is_view(value)) {
        return Ok(None);
    }

    let options = BlobPropertyBag::new();
    if let Some(content_type) = content_type {
        options.set_type(content_type);
    }
    let parts = Array::of1(value);
    Ok(Some(Blob::new_with_buffer_source_sequence_and_options(
        &parts, &options,
    )?))
}

/// The text sent for a non-file input.
fn text_value(id: &str, value: &JsValue) -> Result<String, JsValue> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.as_f64().is_some() || value.as_bool().is_some() || value.is_bigint() {
        return Ok(host::string_of(value));
    }
    if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        if date.get_time().is_nan() {
            return Err(type_error(&format!(
                "Flow.execute: input '{id}' is an invalid Date"
            )));
        }
        return Ok(String::from(date.to_iso_string()));
    }
    if value.is_object() && !value.is_function() {
        let json = JSON::stringify(value)
            .map_err(|error| {
                type_error(&format!("Flow.execute: input '{id}': {}", describe(&error)))
            })?
            .as_string();
        if let Some(json) = json {
            return Ok(json);
        }
    }
    Err(type_error(&format!(
        "Flow.execute: input '{id}' must be a string, number, boolean, Date, JSON value or file"
    )))
}

/// A string, or `null` for `None` (wasm-bindgen would give `undefined`).
fn nullable(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

fn required_text(value: Option<String>, what: &str) -> Result<String, JsValue> {
    value
        .filter(|text| !text.is_empty())
        .ok_or_else(|| type_error(&format!("{what} must be a non-empty string")))
}

fn optional_string(value: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| type_error(&format!("{what} must be a string or null")))
}

fn checked_interval(value: &JsValue) -> Result<f64, JsValue> {
    value
        .as_f64()
        .filter(|seconds| (0.0..=host::MAX_SLEEP_SECONDS).contains(seconds))
        .ok_or_else(|| {
            type_error(&format!(
                "pollInterval must be a number of seconds from 0 to {}",
                host::MAX_SLEEP_SECONDS as u64
            ))
        })
}

fn checked_tenant(value: &JsValue) -> Result<String, JsValue> {
    value
        .as_string()
        .filter(|tenant| routes::check_segment("tenant", tenant).is_ok())
        .ok_or_else(|| {
            type_error("tenant must be a non-empty string other than '.' and '..', or null")
        })
}

/// An option's value; `undefined` options are absent.
fn option(options: &JsValue, name: &str) -> Result<Option<JsValue>, JsValue> {
    let value = option_raw(options, name)?;
    Ok((!value.is_undefined()).then_some(value))
}

fn option_raw(options: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    if !options.is_object() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(options, &name.into())
}
