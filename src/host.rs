//! Bindings to the JavaScript host: `fetch`, `console.log`, the clock, timers and env.
//!
//! Globals are bound directly rather than through `window`, so the same build runs in
//! Node, Deno, Bun, browsers and workers.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `Number(text)`: the number a decimal text stands for, `NaN` when none.
    #[wasm_bindgen(js_name = Number)]
    pub fn number_of(text: &str) -> f64;

    /// `String(value)` as a JavaScript string (for primitives; symbols included).
    #[wasm_bindgen(js_name = String)]
    pub fn js_string(value: &JsValue) -> js_sys::JsString;

    /// `Object.entries(value)`; getters and Proxy traps may throw.
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    pub fn object_entries(value: &JsValue) -> Result<js_sys::Array, JsValue>;

    /// `Object.assign(target, source)`; getters and Proxy traps may throw.
    #[wasm_bindgen(js_namespace = Object, js_name = assign, catch)]
    pub fn object_assign(target: &js_sys::Object, source: &JsValue) -> Result<JsValue, JsValue>;

    /// `Array.from(value)`: a detached buffer or a Proxy's trap may throw.
    #[wasm_bindgen(js_namespace = Array, js_name = from, catch)]
    pub fn array_from(value: &JsValue) -> Result<js_sys::Array, JsValue>;

    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;

    /// `performance.now()`: a monotonic clock in milliseconds.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub fn performance_now() -> f64;

}

#[wasm_bindgen(module = "/src/js/host.js")]
extern "C" {
    /// Prints one protocol line with `console.log` (see `printLine` in host.js).
    #[wasm_bindgen(js_name = printLine, catch)]
    pub fn console_log(line: &str) -> Result<(), JsValue>;

    #[wasm_bindgen(js_name = readEnv)]
    fn read_env_raw(name: &str) -> JsValue;

    /// Builds the logger: one method per level, named in `level_names` from the most
    /// verbose to the most severe, each joining its arguments as `console.log` does.
    #[wasm_bindgen(js_name = makeLogger)]
    pub fn make_logger(level_names: &js_sys::Array) -> JsValue;

    /// Gives the host what its fast paths look for and the escaping function.
    #[wasm_bindgen(js_name = configureProtocol)]
    pub fn configure_protocol(
        terminators: &js_sys::Array,
        closer_look_traces: &js_sys::Array,
        escape_and_print: &Closure<dyn Fn(js_sys::JsString) -> Result<(), JsValue>>,
    );

    /// Prints a JSON object text as one protocol line, escaping it when it must be.
    #[wasm_bindgen(js_name = printJson, catch)]
    pub fn print_json(json: &js_sys::JsString) -> Result<(), JsValue>;

    /// Prints a plain object needing no closer look (under `key` when it is a string);
    /// `false` when it is not one, and then nothing is printed.
    #[wasm_bindgen(js_name = printObjectIfPlain, catch)]
    pub fn print_object_if_plain(key: &JsValue, value: &JsValue) -> Result<bool, JsValue>;

    /// Prints a metric when its parts are plainly valid; `false` when they are not (or may
    /// not be), and then nothing is printed.
    #[wasm_bindgen(js_name = printMetricIfValid, catch)]
    pub fn print_metric_if_valid(
        name: &JsValue,
        kind: &js_sys::JsString,
        value: &JsValue,
        tags: &JsValue,
    ) -> Result<bool, JsValue>;

    /// Prints one metric whose parts are checked.
    #[wasm_bindgen(js_name = printMetric, catch)]
    pub fn print_metric(
        name: &js_sys::JsString,
        kind: &js_sys::JsString,
        value: f64,
        tags: &js_sys::Object,
    ) -> Result<(), JsValue>;

    /// Builds an instance of one of the exported error classes.
    #[wasm_bindgen(js_name = makeError)]
    pub fn make_error(class_name: &str, message: &str, fields: &JsValue) -> JsValue;

    /// A local file's bytes, `undefined` when it does not exist; throws where the runtime
    /// has no file system (browsers) or the file cannot be read.
    #[wasm_bindgen(js_name = readFileBytes, catch)]
    pub fn read_file_bytes(path: &str) -> Result<JsValue, JsValue>;

    /// `value instanceof constructor`; a hostile Proxy can make it throw.
    #[wasm_bindgen(js_name = instanceOf, catch)]
    pub fn instance_of(value: &JsValue, constructor: &JsValue) -> Result<bool, JsValue>;

    /// `String(value)`, or the object tag when the conversion throws.
    #[wasm_bindgen(js_name = stringOf)]
    pub fn string_of(value: &JsValue) -> String;

    /// The exported error classes, by name.
    #[wasm_bindgen(js_name = exportedErrorClasses)]
    pub fn exported_error_classes() -> JsValue;

    /// The cancellation of one `execute` call (see `abortScope` in host.js).
    #[derive(Clone)]
    pub type AbortScope;

    /// Links a new scope to the caller's `signal` and a timeout in seconds.
    #[wasm_bindgen(js_name = abortScope)]
    pub fn abort_scope(signal: &JsValue, timeout_seconds: Option<f64>) -> AbortScope;

    /// The signal every request and wait of the scope carries.
    #[wasm_bindgen(method, getter)]
    pub fn signal(this: &AbortScope) -> web_sys::AbortSignal;

    /// `"timeout"`, `"abort"` or `"done"` once the scope has stopped.
    #[wasm_bindgen(method)]
    pub fn reason(this: &AbortScope) -> Option<String>;

    /// Stops the scope's requests and waits (reason `"done"`).
    #[wasm_bindgen(method)]
    pub fn stop(this: &AbortScope);

    /// Clears the timer and forgets the caller's signal.
    #[wasm_bindgen(method)]
    pub fn dispose(this: &AbortScope);

    #[wasm_bindgen(js_name = sleepFor)]
    fn sleep_for(
        seconds: f64,
        custom: Option<Function>,
        signal: Option<web_sys::AbortSignal>,
    ) -> Promise;

    /// A response body read as decoded text chunks.
    pub type TextChunks;

    /// Opens the body of `response` for reading.
    #[wasm_bindgen(js_name = textChunks)]
    pub fn text_chunks(
        response: &web_sys::Response,
        signal: Option<web_sys::AbortSignal>,
    ) -> TextChunks;

    #[wasm_bindgen(method, js_name = next)]
    fn next_chunk(this: &TextChunks) -> Promise;

    /// Stops reading (the connection is closed).
    #[wasm_bindgen(method)]
    pub fn cancel(this: &TextChunks);

    /// Releases a response whose body is not read.
    #[wasm_bindgen(js_name = discardBody)]
    pub fn discard_body(response: &web_sys::Response);

    #[wasm_bindgen(js_name = randomBytes)]
    fn random_bytes(count: u32) -> js_sys::Uint8Array;

    /// Calls a user callback with two arguments; rethrows what it throws, and fails `scope`
    /// when it returns a Promise that rejects.
    #[wasm_bindgen(js_name = callBack, catch)]
    pub fn call_back(
        callback: &Function,
        first: &JsValue,
        second: &JsValue,
        scope: &AbortScope,
    ) -> Result<(), JsValue>;

    /// What a callback's rejected Promise gave, once the scope failed because of it.
    #[wasm_bindgen(method)]
    pub fn failure(this: &AbortScope) -> JsValue;

    /// Whether a value is a plain object (`{}` or `Object.create(null)`).
    #[wasm_bindgen(js_name = isPlain)]
    pub fn is_plain(value: &JsValue) -> bool;

    /// Whether a value is a SharedArrayBuffer or a view on one.
    #[wasm_bindgen(js_name = isSharedBytes)]
    pub fn is_shared_bytes(value: &JsValue) -> bool;

    /// How a rejected `fetch` failed: `unsent`, `final` or `unknown`.
    #[wasm_bindgen(js_name = fetchFailure)]
    pub fn fetch_failure(error: &JsValue) -> String;

    /// A file input read from a local path when sent (see `fileFromPath` in host.js).
    #[wasm_bindgen(js_name = fileFromPath)]
    pub fn file_from_path(path: &JsValue, options: &JsValue) -> Promise;

    /// Whether an input value came from `fileFromPath`.
    #[wasm_bindgen(js_name = isPathFile)]
    pub fn is_path_file(value: &JsValue) -> bool;

    /// A multipart body made of strings, Blobs and files from disk, in order.
    #[wasm_bindgen(js_name = multipartBody)]
    pub fn multipart_body(parts: &js_sys::Array) -> JsValue;

    /// `fetch(url, init)`, streaming bodies read from disk (see `fetchWith` in host.js).
    #[wasm_bindgen(js_name = fetchWith)]
    fn fetch_with_init(url: &str, init: &JsValue) -> Promise;
}

impl TextChunks {
    /// The next decoded chunk, `None` at the end of the body.
    pub async fn next(&self) -> Result<Option<String>, JsValue> {
        let chunk = JsFuture::from(self.next_chunk()).await?;
        Ok(chunk.as_string())
    }
}

/// 16 random bytes from the platform's cryptographic generator.
pub fn random_16() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    random_bytes(16).copy_to(&mut bytes);
    bytes
}

/// `Array.isArray(value)`; a revoked Proxy, which makes it throw, counts as no array.
///
/// Every JavaScript call that hostile input can make throw is bound with `catch`: an
/// exception unwinding through WebAssembly frames would leave the module's state corrupt.
pub fn is_array(value: &JsValue) -> bool {
    array_is_array(value).unwrap_or(false)
}

/// Reads an environment variable of the runtime; `None` when unset or in a browser.
pub fn read_env(name: &str) -> Option<String> {
    read_env_raw(name).as_string()
}

/// Calls `fetch(url, init)` and waits for the response headers.
pub async fn fetch(url: &str, init: &JsValue) -> Result<web_sys::Response, JsValue> {
    let response = JsFuture::from(fetch_with_init(url, init)).await?;
    response.dyn_into::<web_sys::Response>()
}

/// The longest wait a host timer can take: `setTimeout` holds its delay in 32 signed bits
/// of milliseconds and fires at once when given more.
pub const MAX_SLEEP_SECONDS: f64 = 2_147_483.0;

/// Waits `seconds`, with `custom` (a `(seconds) => Promise | void` function) when given;
/// fails as soon as `signal` aborts.
pub async fn sleep(
    seconds: f64,
    custom: Option<&Function>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<(), JsValue> {
    let seconds = if custom.is_some() {
        seconds
    } else {
        seconds.clamp(0.0, MAX_SLEEP_SECONDS)
    };
    JsFuture::from(sleep_for(seconds, custom.cloned(), signal.cloned())).await?;
    Ok(())
}
