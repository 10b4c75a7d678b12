//! `Flow`: runs Kestra flows over the REST API and waits for their end.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use crate::auth::{self, Credentials};
use crate::errors::{describe, kestra_error, type_error};
use crate::host;
use crate::http::{self, Client};
use crate::inputs::{build_form, InputForm};
use crate::labels;
use crate::retry::RetryPolicy;
use crate::routes::{self, RouteError, Routes};
use crate::state::ExecutionState;
use crate::wait::{self, Target, Watch};

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
    timeout: Option<f64>,
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
    #[serde(with = "serde_wasm_bindgen::preserve")]
    labels: JsValue,
    url: String,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    execution: JsValue,
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
                timeout: None,
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

        let from_options: [(&str, Setter); 11] = [
            ("waitForCompletion", Flow::set_wait_for_completion),
            ("pollInterval", Flow::set_poll_interval),
            ("labelsFromInputs", Flow::set_labels_from_inputs),
            ("hostname", Flow::set_hostname),
            ("user", Flow::set_user),
            ("password", Flow::set_password),
            ("apiToken", Flow::set_api_token),
            ("tenant", Flow::set_tenant),
            ("retries", Flow::set_retries),
            ("backoff", Flow::set_backoff),
            ("timeout", Flow::set_timeout),
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
        self.settings.poll_interval = checked_seconds(seconds, "pollInterval")?;
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

    /// Retries of an idempotent request after its first attempt (default 5).
    #[wasm_bindgen(getter)]
    pub fn retries(&self) -> u32 {
        self.settings.retry.retries
    }

    /// Sets the retries of an idempotent request, an integer from 0 to 100.
    #[wasm_bindgen(setter)]
    pub fn set_retries(&mut self, retries: &JsValue) -> Result<(), JsValue> {
        self.settings.retry.retries = retries
            .as_f64()
            .filter(|count| count.fract() == 0.0 && (0.0..=100.0).contains(count))
            .map(|count| count as u32)
            .ok_or_else(|| type_error("Flow.retries must be an integer from 0 to 100"))?;
        Ok(())
    }

    /// Seconds before the first retry; each next wait doubles (default 1).
    #[wasm_bindgen(getter)]
    pub fn backoff(&self) -> f64 {
        self.settings.retry.first_wait_seconds
    }

    /// Sets the seconds before the first retry.
    #[wasm_bindgen(setter)]
    pub fn set_backoff(&mut self, seconds: &JsValue) -> Result<(), JsValue> {
        self.settings.retry.first_wait_seconds = checked_seconds(seconds, "Flow.backoff")?;
        Ok(())
    }

    /// Default seconds `execute` waits for the end before a `TimeoutError`; `null`: no limit.
    #[wasm_bindgen(getter, unchecked_return_type = "number | null")]
    pub fn timeout(&self) -> JsValue {
        self.settings.timeout.map_or(JsValue::NULL, JsValue::from)
    }

    /// Sets the default timeout of `execute`, in seconds (`null` for none).
    #[wasm_bindgen(setter)]
    pub fn set_timeout(&mut self, seconds: &JsValue) -> Result<(), JsValue> {
        self.settings.timeout = if seconds.is_null() || seconds.is_undefined() {
            None
        } else {
            Some(checked_seconds(seconds, "Flow.timeout")?)
        };
        Ok(())
    }

    /// Sends one request with the credentials. `GET`, `HEAD`, `OPTIONS`, `PUT` and `DELETE`
    /// are retried on network errors and retryable statuses; other methods are sent once.
    /// Resolves to the host's `Response`; rejects with the typed error of an error status,
    /// `FailedExponentialBackoff` when retries ran out, `KestraError` when nothing came back.
    #[wasm_bindgen(js_name = _makeRequest, unchecked_return_type = "Promise<Response>")]
    pub fn make_request(
        &self,
        method: String,
        url: String,
        #[wasm_bindgen(unchecked_param_type = "RequestInit")] init: JsValue,
    ) -> Promise {
        let client = self.settings.client(None);
        let routes = self.settings.routes();
        future_to_promise(async move {
            if !(init.is_undefined() || init.is_null() || init.is_object()) {
                return Err(type_error("Flow._makeRequest: init must be an object"));
            }
            let is_token =
                |byte: u8| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte);
            if method.is_empty() || !method.bytes().all(is_token) {
                return Err(type_error(
                    "Flow._makeRequest: method must be an HTTP method name",
                ));
            }
            // Credentials go to the Kestra server only; a path is taken relative to it.
            let url = routes.absolute(&url);
            if routes::origin_of(&url).is_none() || routes::origin_of(&url) != routes.origin() {
                return Err(type_error(
                    "Flow._makeRequest: url must be on the Flow's hostname (or a path on it): \
                     the credentials are sent with it",
                ));
            }
            let method = method.to_ascii_uppercase();
            let idempotent = matches!(
                method.as_str(),
                "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE"
            );
            let response = client.send(&method, &url, &init, idempotent).await?;
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

    /// Creates an execution of `namespace`/`flowId` with `inputs` and, unless told not to,
    /// waits for its end and reads its log. `options`: `labels`, `revision`,
    /// `scheduleDate`, `wait`, `timeout`, `signal`, `killOnAbort`, `onState`, `onLog`.
    ///
    /// Inputs: strings as they are; numbers, booleans and bigints as their text; `Date` as
    /// an ISO instant; other objects and arrays as JSON; `null`/`undefined` are left out. A
    /// `Blob`/`File`, `ArrayBuffer` or typed array is uploaded as a file, as is a
    /// `[filename, data, contentType]` triple whose data is one of those.
    #[wasm_bindgen(unchecked_return_type = "Promise<FlowExecution>")]
    pub fn execute(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] namespace: &JsValue,
        #[wasm_bindgen(js_name = flowId, unchecked_param_type = "string")] flow_id: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] inputs: Option<JsValue>,
        #[wasm_bindgen(unchecked_param_type = "ExecuteOptions")] options: Option<JsValue>,
    ) -> Promise {
        let inputs = inputs.unwrap_or(JsValue::UNDEFINED);
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let settings = self.settings.clone();
        let namespace = namespace.as_string();
        let flow_id = flow_id.as_string();
        // Everything that reads caller values runs inside the future: a bad value rejects
        // the Promise and never leaves this object borrowed.
        future_to_promise(async move {
            let namespace = required_text(namespace, "Flow.execute: namespace")?;
            let flow_id = required_text(flow_id, "Flow.execute: flowId")?;
            let call = Call::read(&settings, &options)?;
            let form = build_form(&inputs)?;
            let request = CreateRequest::new(&settings, &call, &namespace, &flow_id, &form)?;
            let execution = run(&settings, &call, &request, form).await?;
            let serializer = serde_wasm_bindgen::Serializer::json_compatible();
            execution
                .serialize(&serializer)
                .map_err(|error| type_error(&format!("Flow.execute: {error}")))
        })
    }
}

/// Names a local file as an input whose bytes are read from disk as the request is sent,
/// once per attempt, so that large inputs are streamed (Node, Deno and Bun). `options`:
/// `filename` (default: the path's last part) and `contentType` (default
/// `application/octet-stream`).
#[wasm_bindgen(js_name = fileFromPath, unchecked_return_type = "Promise<PathFile>")]
pub fn file_from_path(
    path: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "FileFromPathOptions")] options: Option<JsValue>,
) -> Promise {
    host::file_from_path(path, &options.unwrap_or(JsValue::UNDEFINED))
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
            let response = settings
                .client(None)
                .send("GET", &url, &JsValue::UNDEFINED, true)
                .await?;
            Ok(response.into())
        })
    }
}

impl Settings {
    fn routes(&self) -> Routes {
        Routes::new(&self.hostname, self.tenant.as_deref())
    }

    /// A client for requests that `signal` can stop.
    fn client(&self, signal: Option<AbortSignal>) -> Client {
        Client {
            credentials: self.credentials.clone(),
            policy: self.retry.clone(),
            sleep: self.sleep.clone(),
            signal,
        }
    }
}

/// The options of one `execute` call.
struct Call {
    wait: bool,
    labels: Vec<(String, String)>,
    revision: Option<u32>,
    schedule_date: Option<String>,
    timeout: Option<f64>,
    signal: JsValue,
    kill_on_abort: bool,
    on_state: Option<Function>,
    on_log: Option<Function>,
}

impl Call {
    fn read(settings: &Settings, options: &JsValue) -> Result<Call, JsValue> {
        let plain = options.is_object() && host::is_plain(options);
        if !(options.is_undefined() || options.is_null() || plain) {
            return Err(type_error("Flow.execute: options must be a plain object"));
        }
        let named = |error: JsValue| type_error(&format!("Flow.execute: {}", describe(&error)));

        let wait = match option(options, "wait")? {
            None => settings.wait_for_completion,
            Some(wait) => wait
                .as_bool()
                .ok_or_else(|| type_error("Flow.execute: options.wait must be a boolean"))?,
        };
        let timeout = match option(options, "timeout")? {
            None => settings.timeout,
            Some(value) if value.is_null() => None,
            Some(value) => Some(checked_seconds(&value, "options.timeout").map_err(named)?),
        };
        let signal = option(options, "signal")?.unwrap_or(JsValue::UNDEFINED);
        if !signal.is_undefined() && !signal.is_instance_of::<AbortSignal>() {
            return Err(type_error(
                "Flow.execute: options.signal must be an AbortSignal",
            ));
        }
        let kill_on_abort = match option(options, "killOnAbort")? {
            None => false,
            Some(value) => value
                .as_bool()
                .ok_or_else(|| type_error("Flow.execute: options.killOnAbort must be a boolean"))?,
        };

        Ok(Call {
            wait,
            labels: read_labels(options)?,
            revision: read_revision(options)?,
            schedule_date: read_schedule_date(options)?,
            timeout,
            signal,
            kill_on_abort,
            on_state: callback(options, "onState")?,
            on_log: callback(options, "onLog")?,
        })
    }
}

/// `options.labels`: an object of keys to strings, numbers or booleans, checked against
/// Kestra's label rules before anything is sent.
fn read_labels(options: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    let Some(labels) = option(options, "labels")? else {
        return Ok(Vec::new());
    };
    if !labels.is_object() || !host::is_plain(&labels) {
        return Err(type_error(
            "Flow.execute: options.labels must be an object of label keys to values",
        ));
    }
    let entries = host::object_entries(&labels).map_err(|error| {
        type_error(&format!(
            "Flow.execute: options.labels: {}",
            describe(&error)
        ))
    })?;
    let mut pairs = Vec::new();
    for entry in entries.iter() {
        let pair: Array = entry.unchecked_into();
        let key = pair.get(0).as_string().unwrap_or_default();
        let value = pair.get(1);
        let text = if let Some(text) = value.as_string() {
            text
        } else if value.as_f64().is_some_and(f64::is_finite) || value.as_bool().is_some() {
            host::string_of(&value)
        } else {
            return Err(type_error(&format!(
                "Flow.execute: label '{key}' must be a string, a finite number or a boolean"
            )));
        };
        labels::check_label(&key, &text)
            .map_err(|error| type_error(&format!("Flow.execute: {error}")))?;
        if key == labels::CREATE_ID_KEY {
            return Err(type_error(&format!(
                "Flow.execute: label '{key}' is set by this client on every create"
            )));
        }
        pairs.push((key, text));
    }
    Ok(pairs)
}

fn read_revision(options: &JsValue) -> Result<Option<u32>, JsValue> {
    let Some(revision) = option(options, "revision")? else {
        return Ok(None);
    };
    revision
        .as_f64()
        .filter(|number| number.fract() == 0.0 && (1.0..=f64::from(i32::MAX)).contains(number))
        .map(|number| Some(number as u32))
        .ok_or_else(|| type_error("Flow.execute: options.revision must be a positive integer"))
}

/// `options.scheduleDate`: a valid `Date`, or an ISO date-time string with a zone.
fn read_schedule_date(options: &JsValue) -> Result<Option<String>, JsValue> {
    let Some(date) = option(options, "scheduleDate")? else {
        return Ok(None);
    };
    let bad = || {
        type_error(
            "Flow.execute: options.scheduleDate must be a valid Date or an ISO date-time \
             with a zone (2026-01-05T10:00:00Z)",
        )
    };
    if let Some(date) = date.dyn_ref::<js_sys::Date>() {
        if date.get_time().is_nan() {
            return Err(bad());
        }
        return Ok(Some(String::from(date.to_iso_string())));
    }
    let text = date.as_string().ok_or_else(bad)?;
    let has_zone = text.ends_with('Z')
        || text
            .rsplit_once('T')
            .is_some_and(|(_, time)| time.contains(['+', '-']));
    if !(text.contains('T') && has_zone) || js_sys::Date::parse(&text).is_nan() {
        return Err(bad());
    }
    Ok(Some(text))
}

fn callback(options: &JsValue, name: &str) -> Result<Option<Function>, JsValue> {
    match option(options, name)? {
        None => Ok(None),
        Some(value) => value
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| type_error(&format!("Flow.execute: options.{name} must be a function"))),
    }
}

/// The URLs and label of one create, built before anything is sent.
struct CreateRequest {
    url: String,
    search_url: String,
    namespace: String,
    flow_id: String,
}

impl CreateRequest {
    fn new(
        settings: &Settings,
        call: &Call,
        namespace: &str,
        flow_id: &str,
        form: &InputForm,
    ) -> Result<CreateRequest, JsValue> {
        let routes = settings.routes();
        let route_error = |error: RouteError| type_error(&format!("Flow.execute: {error}"));
        let mut url = routes
            .create_execution(namespace, flow_id)
            .map_err(route_error)?;

        let mut labels: Vec<(String, String)> = Vec::new();
        if settings.labels_from_inputs {
            for (key, value) in &form.text_inputs {
                // Kestra refuses empty label values; such inputs are simply not labels.
                if value.trim().is_empty() {
                    continue;
                }
                labels::check_label(key, value).map_err(|error| {
                    type_error(&format!("Flow.execute: labelsFromInputs: {error}"))
                })?;
                labels.push((key.clone(), value.clone()));
            }
        }
        labels.extend(call.labels.iter().cloned());
        // Kestra refuses a repeated key: an explicit label wins over an input's.
        let mut unique: Vec<(String, String)> = Vec::new();
        for (key, value) in labels.into_iter().rev() {
            if !unique.iter().any(|(seen, _)| *seen == key) {
                unique.push((key, value));
            }
        }
        unique.reverse();
        let create_id = labels::base62_id(host::random_16());
        unique.push((labels::CREATE_ID_KEY.to_owned(), create_id.clone()));

        let mut query = routes::labels_query(
            unique
                .iter()
                .map(|(key, value)| (key.as_str(), value.as_str())),
        );
        if let Some(revision) = call.revision {
            query.push_str(&format!("&revision={revision}"));
        }
        if let Some(date) = &call.schedule_date {
            query.push_str(&format!("&scheduleDate={}", routes::encode_component(date)));
        }
        url.push_str(&query);

        let search_url = routes
            .search_by_label(namespace, flow_id, (labels::CREATE_ID_KEY, &create_id))
            .map_err(route_error)?;
        Ok(CreateRequest {
            url,
            search_url,
            namespace: namespace.to_owned(),
            flow_id: flow_id.to_owned(),
        })
    }
}

/// Runs one `execute` call inside its cancellation scope.
async fn run(
    settings: &Settings,
    call: &Call,
    request: &CreateRequest,
    form: InputForm,
) -> Result<FlowExecution, JsValue> {
    let timeout = call
        .timeout
        .map(|seconds| seconds.min(host::MAX_SLEEP_SECONDS));
    let scope = host::abort_scope(&call.signal, timeout);
    let client = settings.client(Some(scope.signal()));
    let mut progress = Progress::default();

    let outcome = create_and_wait(
        settings,
        call,
        request,
        form,
        (&client, &scope),
        &mut progress,
    )
    .await;
    let stop_reason = scope.reason();
    scope.dispose();
    match (outcome, stop_reason) {
        (Ok(execution), _) => Ok(execution),
        // A callback's Promise rejected: that rejection is the call's.
        (Err(_), Some(reason)) if reason == "callback" => Err(scope.failure()),
        (Err(_), Some(reason)) if reason == "timeout" || reason == "abort" => {
            // The clean-up requests get their own, bounded, time, and one retry at most.
            let cleanup = host::abort_scope(&JsValue::UNDEFINED, Some(CLEANUP_SECONDS));
            let mut cleanup_client = settings.client(Some(cleanup.signal()));
            cleanup_client.policy.retries = cleanup_client.policy.retries.min(1);
            // Without killOnAbort the caller is answered at once; with it, a create cut off
            // in flight is looked up, since it may have run all the same.
            if call.kill_on_abort && progress.create_sent && progress.execution_id.is_none() {
                // The create was cut off: it may have run all the same.
                if let Ok(Some(found)) = cleanup_client.find_created(&request.search_url).await {
                    progress.execution_id = execution_id_of(&found, &request.url).ok();
                    progress.state = wait::current_state(&found);
                }
            }
            let error = stopped_error(&cleanup_client, settings, call, &reason, &progress).await;
            cleanup.dispose();
            Err(error)
        }
        (Err(error), _) => Err(error),
    }
}

/// Seconds the requests made after a timeout or an abort with `killOnAbort` (search, kill)
/// may take.
const CLEANUP_SECONDS: f64 = 10.0;

/// What is known of the execution so far, for the errors of a stopped call.
#[derive(Default)]
struct Progress {
    create_sent: bool,
    execution_id: Option<String>,
    state: Option<String>,
}

async fn create_and_wait(
    settings: &Settings,
    call: &Call,
    request: &CreateRequest,
    form: InputForm,
    (client, scope): (&Client, &host::AbortScope),
    progress: &mut Progress,
) -> Result<FlowExecution, JsValue> {
    let init = js_sys::Object::new();
    if let Some((body, content_type)) = &form.body {
        Reflect::set(&init, &"body".into(), body)?;
        let headers = js_sys::Object::new();
        Reflect::set(&headers, &"Content-Type".into(), &content_type.into())?;
        Reflect::set(&init, &"headers".into(), &headers)?;
    }
    progress.create_sent = true;
    let created = client
        .create(&request.url, &init, &request.search_url)
        .await?;
    let execution_id = execution_id_of(&created, &request.url)?;
    progress.execution_id = Some(execution_id.clone());

    let routes = settings.routes();
    let url = Reflect::get(&created, &"url".into())
        .ok()
        .and_then(|url| url.as_string())
        .map(|url| routes.absolute(&url))
        .unwrap_or_else(|| {
            routes.ui_execution(&request.namespace, &request.flow_id, &execution_id)
        });

    let mut watch = Watch {
        execution_id: execution_id.clone(),
        scope: scope.clone(),
        on_state: call.on_state.clone(),
        last_state: None,
        last_execution: JsValue::UNDEFINED,
    };
    let created_state = watch.see(created.clone())?;
    progress.state = watch.last_state.clone();
    if !call.wait {
        // A create answers a CREATED execution; an answer without a state means the same.
        return Ok(FlowExecution::new(
            execution_id,
            watch.last_state.unwrap_or_else(|| "CREATED".to_owned()),
            url,
            created,
        ));
    }

    // The id comes from the server: a value that would change the path is refused.
    let server_id_error = |error: RouteError| type_error(&error.to_string());
    let status_url = routes.execution(&execution_id).map_err(server_id_error)?;
    let follow_url = routes
        .follow_execution(&execution_id)
        .map_err(server_id_error)?;

    let log_tap = Rc::new(RefCell::new(wait::LogTap::default()));
    let log_scope = call.on_log.as_ref().map(|on_log| {
        // Its own scope, inside the call's: the log stream is closed once the result is in.
        let log_scope = host::abort_scope(&client.signal.clone().into(), None);
        let logs_url = routes.follow_logs(&execution_id).unwrap_or_default();
        wasm_bindgen_futures::spawn_local(wait::stream_logs(
            settings.client(Some(log_scope.signal())),
            logs_url,
            on_log.clone(),
            log_tap.clone(),
            scope.clone(),
        ));
        log_scope
    });

    let target = Target {
        status_url: &status_url,
        follow_url: &follow_url,
        created_at: host::performance_now(),
        poll_interval: settings.poll_interval,
    };
    let waited = match created_state {
        Some(state) if state.is_terminated() => Ok(state),
        _ => {
            let result = wait::until_terminated(client, &target, &mut watch).await;
            progress.state = watch.last_state.clone();
            result
        }
    };
    let mut finished = match waited {
        Ok(state) => finish(client, &routes, request, &execution_id, state, &watch).await,
        Err(error) => Err(error),
    };
    if let Some(scope) = log_scope {
        if finished.is_ok() {
            if let Err(error) = wait::settle_logs(client, &log_tap).await {
                finished = Err(error);
            }
        }
        scope.stop();
        scope.dispose();
    }
    let mut execution = finished?;
    if let Some(error) = log_tap.borrow_mut().failure.take() {
        return Err(error);
    }
    execution.url = url;
    Ok(execution)
}

/// Reads the log of an ended execution and builds the result.
async fn finish(
    client: &Client,
    routes: &Routes,
    request: &CreateRequest,
    execution_id: &str,
    state: ExecutionState,
    watch: &Watch,
) -> Result<FlowExecution, JsValue> {
    let execution = watch.last_execution.clone();
    let server_id_error = |error: RouteError| type_error(&error.to_string());
    let logs_url = routes
        .logs_download(execution_id)
        .map_err(server_id_error)?;
    let log = match client.get_text(&logs_url).await {
        Ok(log) => log,
        Err(error) => {
            // The execution has ended: the request's own typed error also carries its id,
            // state and outputs.
            let message = format!(
                "Execution {execution_id} ended {}, but its log could not be read: {}",
                state.as_str(),
                describe(&error)
            );
            let fields = [
                ("message", JsValue::from_str(&message)),
                ("executionId", JsValue::from_str(execution_id)),
                ("state", JsValue::from_str(state.as_str())),
                ("outputs", outputs_of(&execution)),
            ];
            for (name, value) in fields {
                // The error is this package's own KestraError: its fields are writable.
                let _ = Reflect::set(&error, &name.into(), &value);
            }
            return Err(error);
        }
    };

    let mut result = FlowExecution::new(
        execution_id.to_owned(),
        state.as_str().to_owned(),
        String::new(),
        execution,
    );
    result.log = Some(log);
    if matches!(
        state,
        ExecutionState::Failed | ExecutionState::Killed | ExecutionState::Cancelled
    ) {
        let error_logs = match routes.error_logs(execution_id) {
            Ok(url) => client.get_json(&url).await.unwrap_or(JsValue::NULL),
            Err(_) => JsValue::NULL,
        };
        result.error = Some(failure_summary(
            request,
            execution_id,
            &state,
            &result.execution,
            &error_logs,
        ));
    }
    Ok(result)
}

/// "Execution X of ns.flow ended FAILED: task 'a' failed: <its last ERROR message>; ..."
fn failure_summary(
    request: &CreateRequest,
    execution_id: &str,
    state: &ExecutionState,
    execution: &JsValue,
    error_logs: &JsValue,
) -> String {
    let mut summary = format!(
        "Execution {execution_id} of {}.{} ended {}",
        request.namespace,
        request.flow_id,
        state.as_str()
    );
    let last_error = |task_id: Option<&str>| -> Option<String> {
        let entries: Array = error_logs.clone().dyn_into().ok()?;
        entries.iter().rev().find_map(|entry| {
            let level = crate::errors::text_property(&entry, "level")?;
            let task = crate::errors::text_property(&entry, "taskId");
            let matches_task = task_id.map_or(true, |wanted| task.as_deref() == Some(wanted));
            (level == "ERROR" && matches_task)
                .then(|| crate::errors::text_property(&entry, "message"))
                .flatten()
        })
    };

    let failed_tasks = failed_task_ids(execution);
    let parts: Vec<String> = failed_tasks
        .iter()
        .map(|task_id| match last_error(Some(task_id)) {
            Some(message) => format!("task '{task_id}' failed: {message}"),
            None => format!("task '{task_id}' failed"),
        })
        .collect();
    if !parts.is_empty() {
        summary.push_str(": ");
        summary.push_str(&parts.join("; "));
    } else if let Some(message) = last_error(None) {
        summary.push_str(": ");
        summary.push_str(&message);
    }
    summary
}

/// Ids of the task runs that ended FAILED or KILLED, in run order, without repeats.
fn failed_task_ids(execution: &JsValue) -> Vec<String> {
    let Ok(task_runs) = Reflect::get(execution, &"taskRunList".into()) else {
        return Vec::new();
    };
    let Ok(task_runs) = task_runs.dyn_into::<Array>() else {
        return Vec::new();
    };
    let mut ids: Vec<String> = Vec::new();
    for task_run in task_runs.iter() {
        let failed = wait::current_state(&task_run)
            .is_some_and(|state| matches!(state.as_str(), "FAILED" | "KILLED"));
        if let Some(task_id) = crate::errors::text_property(&task_run, "taskId") {
            if failed && !ids.contains(&task_id) {
                ids.push(task_id);
            }
        }
    }
    ids
}

/// The error of a call stopped by its timeout or signal; kills the execution first when
/// `killOnAbort` asks for it.
async fn stopped_error(
    client: &Client,
    settings: &Settings,
    call: &Call,
    reason: &str,
    progress: &Progress,
) -> JsValue {
    let execution_id = progress.execution_id.as_deref();
    let state = progress.state.as_deref();
    let where_ = match (execution_id, state) {
        (Some(id), Some(state)) => format!("execution {id}, last state {state}"),
        (Some(id), None) => format!("execution {id}"),
        _ => "before the execution was created".to_owned(),
    };

    let mut fields: Vec<(&str, JsValue)> = vec![
        (
            "executionId",
            execution_id.map_or(JsValue::UNDEFINED, JsValue::from),
        ),
        ("state", state.map_or(JsValue::UNDEFINED, JsValue::from)),
    ];
    let mut killed = false;
    if let (true, Some(id)) = (call.kill_on_abort, execution_id) {
        match kill(client, settings, id).await {
            Ok(()) => killed = true,
            Err(error) => fields.push(("killError", error)),
        }
        fields.push(("killed", killed.into()));
    }
    let kill_note = if killed {
        "; the execution was killed"
    } else {
        ""
    };

    if reason == "timeout" {
        let seconds = JsValue::from(call.timeout.unwrap_or_default());
        // JavaScript renders the number: Rust's float formatting would add 14 KB to the module.
        let shown = host::string_of(&seconds);
        fields.push(("timeout", seconds));
        let message = format!("Flow.execute timed out after {shown} s ({where_}){kill_note}");
        kestra_error("TimeoutError", &message, &fields)
    } else {
        let signal_reason = Reflect::get(&call.signal, &"reason".into()).unwrap_or_default();
        fields.push(("cause", signal_reason));
        let message = format!("Flow.execute was aborted ({where_}){kill_note}");
        kestra_error("AbortError", &message, &fields)
    }
}

/// Kills an execution: Kestra 2.x's route first, 1.x's when that one does not exist.
async fn kill(client: &Client, settings: &Settings, execution_id: &str) -> Result<(), JsValue> {
    let urls = settings
        .routes()
        .kill(execution_id)
        .map_err(|error| type_error(&error.to_string()))?;
    let mut last = JsValue::UNDEFINED;
    for url in &urls {
        let response = client
            .send_any_status("DELETE", url, &JsValue::UNDEFINED, true)
            .await?;
        if matches!(response.status(), 404 | 405) {
            host::discard_body(&response);
            last = JsValue::from(response.status());
            continue;
        }
        let response = http::checked(&client.credentials, "DELETE", url, response).await?;
        host::discard_body(&response);
        return Ok(());
    }
    Err(kestra_error(
        "KestraError",
        &format!("the server has no kill route for execution {execution_id}"),
        &[("status", last)],
    ))
}

/// The `id` of a created execution, checked so it cannot change a URL path.
fn execution_id_of(created: &JsValue, url: &str) -> Result<String, JsValue> {
    Reflect::get(created, &"id".into())
        .ok()
        .and_then(|id| id.as_string())
        .filter(|id| routes::check_segment("executionId", id).is_ok())
        .ok_or_else(|| {
            let body = JSON::stringify(created)
                .ok()
                .and_then(|text| text.as_string())
                .unwrap_or_default();
            kestra_error(
                "KestraError",
                &format!(
                    "Starting execution failed: the answer has no usable execution id: {body}"
                ),
                &[("url", url.into())],
            )
        })
}

/// Flow outputs of an execution JSON, `null` when it has none.
fn outputs_of(execution: &JsValue) -> JsValue {
    Reflect::get(execution, &"outputs".into())
        .ok()
        .filter(|outputs| outputs.is_object())
        .unwrap_or(JsValue::NULL)
}

/// Labels of an execution JSON as an object: Kestra's `[{key, value}]` list, or the map
/// form older servers wrote.
fn labels_of(execution: &JsValue) -> JsValue {
    let labels = Reflect::get(execution, &"labels".into()).unwrap_or_default();
    let object = js_sys::Object::new();
    if let Ok(list) = labels.clone().dyn_into::<Array>() {
        for label in list.iter() {
            let key = crate::errors::text_property(&label, "key");
            let value = Reflect::get(&label, &"value".into()).unwrap_or_default();
            if let Some(key) = key {
                // defineProperty keeps a `__proto__` key a plain field.
                let descriptor = js_sys::Object::new();
                let _ = Reflect::set(&descriptor, &"value".into(), &value);
                let _ = Reflect::set(&descriptor, &"enumerable".into(), &true.into());
                let _ = Reflect::set(&descriptor, &"writable".into(), &true.into());
                let _ = Reflect::set(&descriptor, &"configurable".into(), &true.into());
                let _ = Reflect::define_property(&object, &key.into(), &descriptor);
            }
        }
    } else if labels.is_object() {
        let _ = host::object_assign(&object, &labels);
    }
    object.into()
}

impl FlowExecution {
    fn new(execution_id: String, status: String, url: String, execution: JsValue) -> FlowExecution {
        FlowExecution {
            execution_id,
            status,
            log: None,
            error: None,
            outputs: outputs_of(&execution),
            labels: labels_of(&execution),
            url,
            execution,
        }
    }
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
    let text = value
        .as_string()
        .ok_or_else(|| type_error(&format!("{what} must be a string or null")))?;
    // Rust would turn a lone surrogate into U+FFFD: a credential would change unseen.
    if !value.unchecked_ref::<js_sys::JsString>().is_valid_utf16() {
        return Err(type_error(&format!(
            "{what} holds a lone surrogate (invalid UTF-16)"
        )));
    }
    Ok(Some(text))
}

/// A number of seconds a host timer can wait.
fn checked_seconds(value: &JsValue, what: &str) -> Result<f64, JsValue> {
    value
        .as_f64()
        .filter(|seconds| (0.0..=host::MAX_SLEEP_SECONDS).contains(seconds))
        .ok_or_else(|| {
            type_error(&format!(
                "{what} must be a number of seconds from 0 to {}",
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
