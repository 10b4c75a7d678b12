//! `Kestra`: what a script running inside a Kestra task reports to the server.
//!
//! Each call prints one protocol line with `console.log`. The JSON text comes from the
//! host's own `JSON.stringify`, so numbers and strings print exactly as JavaScript prints
//! them; the Java-only line terminators are then escaped (see [`crate::protocol`]).

use std::cell::OnceCell;
use std::thread::LocalKey;

use js_sys::{Array, Function, JsString, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::encode;
use crate::errors::{describe, type_error};
use crate::host;
use crate::logger;
use crate::protocol::{self, MetricKind};

/// Sends outputs, metrics, logs and assets from a script task to Kestra.
#[wasm_bindgen]
pub struct Kestra;

thread_local! {
    /// The characters Java ends a line at but JSON leaves raw (see [`protocol`]).
    static JAVA_ONLY_TERMINATOR: host::Pattern = host::Pattern::new("[\\u0085\\u2028\\u2029]");

    /// Pieces of every line, made once: creating them per call would cost a copy each.
    static MARK: JsString = JsString::from("::");
    static OUTPUTS_OPENING: JsString = JsString::from("::{\"outputs\":");
    static ASSETS_OPENING: JsString = JsString::from("::{\"assets\":");
    static CLOSING_BRACE_AND_MARK: JsString = JsString::from("}::");

    /// The logger is built once: its methods close over a Rust callback that lives forever.
    static LOGGER: OnceCell<JsValue> = const { OnceCell::new() };
}

#[wasm_bindgen]
impl Kestra {
    /// Formats `map` as one protocol line, `::{json}::`, without printing it.
    pub fn format(map: &JsValue) -> Result<String, JsValue> {
        format_frame(map, "Kestra.format")
    }

    /// Prints `map` as one protocol line.
    #[wasm_bindgen(js_name = _send)]
    pub fn send(map: &JsValue) -> Result<(), JsValue> {
        let line = format_frame(map, "Kestra._send")?;
        host::console_log(&line)
    }

    /// Sends one metric; `type` is `counter`, `timer` or `gauge`.
    #[wasm_bindgen(js_name = _metrics)]
    pub fn metrics(
        name: &JsValue,
        #[wasm_bindgen(js_name = type)] kind: &JsValue,
        value: &JsValue,
        tags: &JsValue,
    ) -> Result<(), JsValue> {
        let kind = kind
            .as_string()
            .and_then(|kind| MetricKind::parse(&kind))
            .ok_or_else(|| {
                type_error("Kestra._metrics: type must be 'counter', 'timer' or 'gauge'")
            })?;
        send_metric("Kestra._metrics", kind, name, value, tags)
    }

    /// Sends outputs: an object whose keys become the task's `outputs.vars`.
    pub fn outputs(map: &JsValue) -> Result<(), JsValue> {
        send_object_under(&OUTPUTS_OPENING, "Kestra.outputs", "outputs", map)
    }

    /// Sends a counter; repeated counters of a task add up.
    pub fn counter(name: &JsValue, value: &JsValue, tags: &JsValue) -> Result<(), JsValue> {
        send_metric("Kestra.counter", MetricKind::Counter, name, value, tags)
    }

    /// Sends a gauge; the last value of a task wins.
    pub fn gauge(name: &JsValue, value: &JsValue, tags: &JsValue) -> Result<(), JsValue> {
        send_metric("Kestra.gauge", MetricKind::Gauge, name, value, tags)
    }

    /// Sends a timer. With a number, sends it as seconds. With a function, calls it, times
    /// it with a monotonic clock and returns its result; a returned Promise is timed until
    /// it settles and a Promise is returned. The timer is sent even when the function
    /// throws or rejects, then the error goes on to the caller.
    pub fn timer(
        name: &JsValue,
        #[wasm_bindgen(js_name = secondsOrFn)] seconds_or_fn: &JsValue,
        tags: &JsValue,
    ) -> Result<JsValue, JsValue> {
        const CONTEXT: &str = "Kestra.timer";
        let Some(function) = seconds_or_fn.dyn_ref::<Function>() else {
            send_metric(CONTEXT, MetricKind::Timer, name, seconds_or_fn, tags)?;
            return Ok(JsValue::UNDEFINED);
        };

        // Checked before the function runs, so a bad name or tag cannot lose its result.
        let name = metric_name(CONTEXT, name)?;
        let tags = tag_object(CONTEXT, tags)?;

        let started = host::performance_now();
        let elapsed = move || (host::performance_now() - started).max(0.0) / 1000.0;

        let returned = match function.call0(&JsValue::UNDEFINED) {
            Ok(returned) => returned,
            Err(thrown) => {
                emit_metric(MetricKind::Timer, &name, elapsed(), &tags)?;
                return Err(thrown);
            }
        };

        if !is_thenable(&returned) {
            emit_metric(MetricKind::Timer, &name, elapsed(), &tags)?;
            return Ok(returned);
        }

        let settled = JsFuture::from(Promise::resolve(&returned));
        let timed = future_to_promise(async move {
            let outcome = settled.await;
            emit_metric(MetricKind::Timer, &name, elapsed(), &tags)?;
            outcome
        });
        Ok(timed.into())
    }

    /// Sends assets: `{ inputs: [{id, type}], outputs: [{id, type, ...}] }`.
    pub fn assets(map: &JsValue) -> Result<(), JsValue> {
        send_object_under(&ASSETS_OPENING, "Kestra.assets", "assets", map)
    }

    /// The execution context of the task (inputs, outputs of earlier tasks, labels, flow,
    /// execution, task run...), read once from what Kestra provides; a `KestraError` when
    /// the script does not run in a task with `executionContext: true`.
    pub fn context() -> Result<JsValue, JsValue> {
        crate::context::context()
    }

    /// Reads a Kestra internal-storage file (Ion text) into an array of plain values: a
    /// path in Node, Deno and Bun, or the file's bytes anywhere. Dates become `Date`s.
    pub fn read(
        #[wasm_bindgen(js_name = pathOrBytes)] path_or_bytes: &JsValue,
    ) -> Result<JsValue, JsValue> {
        crate::read::read(path_or_bytes)
    }

    /// The logger: `trace`, `debug`, `info`, `warn` and `error`, each taking any number of
    /// arguments joined as `console.log` joins them, sent as one log entry at that level.
    pub fn logger() -> JsValue {
        LOGGER.with(|cell| {
            cell.get_or_init(|| {
                let emit = Closure::<dyn Fn(String, JsValue) -> Result<(), JsValue>>::new(
                    |level: String, message: JsValue| logger::emit(&level, &message),
                );
                let logger = host::make_logger(&emit);
                // The logger is cached for the life of the module, so its callback must be too.
                emit.forget();
                logger
            })
            .clone()
        })
    }
}

/// `::{json}::` for `map`, with errors that name the calling method.
fn format_frame(map: &JsValue, context: &str) -> Result<String, JsValue> {
    let json = object_json(map, context, "message")?;
    Ok(protocol::frame(&String::from(json.text)))
}

/// The JSON text of `value`, which must be an object and write itself as one: a `toJSON`
/// or a boxed primitive could otherwise make a line Kestra drops.
fn object_json(value: &JsValue, context: &str, what: &str) -> Result<encode::Json, JsValue> {
    require_plain_object(value, context, what)?;
    let json = encode::json_text(value, context, what)?;
    if json.text.char_code_at(0) != f64::from(b'{') {
        let shown = String::from(json.text.slice(0, 40));
        return Err(type_error(&format!(
            "{context}: {what} must be written as a JSON object, but JSON.stringify gives {shown}"
        )));
    }
    Ok(json)
}

/// Prints `{"<key>": <value>}` where `value` must be written as a JSON object; `opening`
/// is `::{"<key>":`.
fn send_object_under(
    opening: &'static LocalKey<JsString>,
    context: &str,
    key: &str,
    value: &JsValue,
) -> Result<(), JsValue> {
    let json = object_json(value, context, key)?;
    let line = opening.with(|opening| opening.concat(&json.text));
    let line = CLOSING_BRACE_AND_MARK.with(|closing| line.concat(closing));
    emit_line(&line, json.clean)
}

/// Prints `::<json>::`.
pub(crate) fn emit_json_object(json: &JsString) -> Result<(), JsValue> {
    let line = MARK.with(|mark| mark.concat(json).concat(mark));
    emit_line(&line, false)
}

/// Prints a protocol line. It stays a JavaScript string unless it holds a character that
/// must be escaped for Java's line reader, which is rare; `clean` says a scan found none.
fn emit_line(line: &JsString, clean: bool) -> Result<(), JsValue> {
    if !clean && JAVA_ONLY_TERMINATOR.with(|pattern| pattern.test(line)) {
        let text = String::from(line.clone());
        return host::console_log(&protocol::escape_java_line_terminators(&text));
    }
    host::console_log_text(line)
}

fn send_metric(
    context: &str,
    kind: MetricKind,
    name: &JsValue,
    value: &JsValue,
    tags: &JsValue,
) -> Result<(), JsValue> {
    let name = metric_name(context, name)?;
    let value = value.as_f64().ok_or_else(|| {
        type_error(&format!(
            "{context}: {} value must be a number",
            kind.as_str()
        ))
    })?;
    kind.check_value(value).map_err(|error| {
        let shown = host::string_of(&JsValue::from_f64(value));
        type_error(&format!("{context}: {error}, got {shown}"))
    })?;
    let tags = tag_object(context, tags)?;
    emit_metric(kind, &name, value, &tags)
}

/// Prints one metric. Name and tags stay JavaScript strings, so nothing in them changes.
fn emit_metric(
    kind: MetricKind,
    name: &JsString,
    value: f64,
    tags: &Object,
) -> Result<(), JsValue> {
    let json = |value: &JsValue| -> Result<JsValue, JsValue> {
        JSON::stringify(value)
            .map(JsValue::from)
            .map_err(|error| type_error(&format!("Kestra: {}", describe(&error))))
    };
    let opening = JsString::from("{\"metrics\":[{\"name\":");
    let kind_and_value = format!(",\"type\":\"{}\",\"value\":", kind.as_str());
    let line = opening
        .concat(&json(name)?)
        .concat(&JsValue::from_str(&kind_and_value))
        .concat(&json(&JsValue::from_f64(value))?)
        .concat(&JsValue::from_str(",\"tags\":"))
        .concat(&json(tags)?)
        .concat(&JsValue::from_str("}]}"));
    emit_json_object(&line)
}

fn metric_name(context: &str, name: &JsValue) -> Result<JsString, JsValue> {
    let name = name
        .dyn_ref::<JsString>()
        .ok_or_else(|| type_error(&format!("{context}: metric name must be a string")))?;
    if name.length() == 0 {
        let error = protocol::MetricError::EmptyName;
        return Err(type_error(&format!("{context}: {error}")));
    }
    Ok(name.clone())
}

/// Tags as an object of strings: strings, numbers and booleans are accepted.
fn tag_object(context: &str, tags: &JsValue) -> Result<Object, JsValue> {
    let normalized = Object::new();
    if tags.is_undefined() || tags.is_null() {
        return Ok(normalized);
    }
    if !is_plain_object(tags) {
        return Err(type_error(&format!(
            "{context}: tags must be an object of strings"
        )));
    }

    let entries = host::object_entries(tags).map_err(|error| {
        type_error(&format!(
            "{context}: tags could not be read: {}",
            describe(&error)
        ))
    })?;
    for entry in entries.iter() {
        let pair: Array = entry.unchecked_into();
        let key = pair.get(0);
        let value = pair.get(1);
        let accepted = value.is_string() || value.as_f64().is_some() || value.as_bool().is_some();
        if !accepted {
            let key = key.as_string().unwrap_or_default();
            return Err(type_error(&format!(
                "{context}: tag '{key}' must be a string, a number or a boolean"
            )));
        }
        Reflect::set(&normalized, &key, &host::js_string(&value))?;
    }
    Ok(normalized)
}

fn require_plain_object(value: &JsValue, context: &str, what: &str) -> Result<(), JsValue> {
    if is_plain_object(value) {
        return Ok(());
    }
    let kind = if value.is_null() {
        "null".to_owned()
    } else if host::is_array(value) {
        "an array".to_owned()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    };
    Err(type_error(&format!(
        "{context}: {what} must be an object, got {kind}"
    )))
}

/// A non-null object that is not an array (class instances included).
fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !host::is_array(value) && !value.is_function()
}

fn is_thenable(value: &JsValue) -> bool {
    if value.is_instance_of::<Promise>() {
        return true;
    }
    value.is_object()
        && Reflect::get(value, &"then".into())
            .map(|then| then.is_function())
            .unwrap_or(false)
}
