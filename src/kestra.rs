//! `Kestra`: what a script running inside a Kestra task reports to the server.
//!
//! Each call prints one protocol line with `console.log`. The JSON text comes from the
//! host's own `JSON.stringify`, so numbers and strings print exactly as JavaScript prints
//! them; the Java-only line terminators are then escaped (see [`crate::protocol`]).

use std::cell::OnceCell;
use std::thread::LocalKey;

use js_sys::{Array, Function, JsString, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::encode;
use crate::errors::{describe, type_error};
use crate::host;
use crate::protocol::{self, LogLevel, MetricKind};

/// Sends outputs, metrics, logs and assets from a script task to Kestra.
#[wasm_bindgen]
pub struct Kestra;

thread_local! {
    /// Strings passed on every call, made once: creating them per call would cost a copy.
    static OUTPUTS: JsString = JsString::from("outputs");
    static ASSETS: JsString = JsString::from("assets");
    static KIND_NAMES: [JsString; 3] = [
        JsString::from(MetricKind::Counter.as_str()),
        JsString::from(MetricKind::Timer.as_str()),
        JsString::from(MetricKind::Gauge.as_str()),
    ];
    /// Metrics without tags all send this empty object; nothing ever adds to it.
    static NO_TAGS: Object = Object::new();

    /// The logger is built once.
    static LOGGER: OnceCell<JsValue> = const { OnceCell::new() };
}

/// Hands the host the protocol's rules when the module starts: the patterns its fast paths
/// test and the function that escapes the rare line that needs it.
#[wasm_bindgen(start)]
fn configure_protocol() {
    let escape_and_print =
        Closure::<dyn Fn(JsString) -> Result<(), JsValue>>::new(|json: JsString| {
            host::console_log(&protocol::frame(&String::from(json)))
        });
    let terminators: Array = protocol::JAVA_ONLY_LINE_TERMINATORS
        .into_iter()
        .map(|terminator| JsValue::from_str(terminator.encode_utf8(&mut [0; 4])))
        .collect();
    let traces: Array = encode::CLOSER_LOOK_TRACES
        .into_iter()
        .map(JsValue::from_str)
        .collect();
    host::configure_protocol(&terminators, &traces, &escape_and_print);
    // The host keeps the function for the life of the module.
    escape_and_print.forget();
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
        if host::print_object_if_plain(&JsValue::UNDEFINED, map).unwrap_or(false) {
            return Ok(());
        }
        let json = object_json(map, "Kestra._send", "message")?;
        host::print_json(&json)
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
        send_object_under(&OUTPUTS, "Kestra.outputs", "outputs", map)
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
        send_object_under(&ASSETS, "Kestra.assets", "assets", map)
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
                let level_names: Array = LogLevel::ALL
                    .into_iter()
                    .map(|level| JsValue::from_str(level.as_str()))
                    .collect();
                host::make_logger(&level_names)
            })
            .clone()
        })
    }
}

/// `::{json}::` for `map`, with errors that name the calling method.
fn format_frame(map: &JsValue, context: &str) -> Result<String, JsValue> {
    let json = object_json(map, context, "message")?;
    Ok(protocol::frame(&String::from(json)))
}

/// The JSON text of `value`, which must be an object and write itself as one: a `toJSON`
/// or a boxed primitive could otherwise make a line Kestra drops.
fn object_json(value: &JsValue, context: &str, what: &str) -> Result<JsString, JsValue> {
    require_plain_object(value, context, what)?;
    let json = encode::json_text(value, context, what)?;
    if json.char_code_at(0) != f64::from(b'{') {
        let shown = String::from(json.slice(0, 40));
        return Err(type_error(&format!(
            "{context}: {what} must be written as a JSON object, but JSON.stringify gives {shown}"
        )));
    }
    Ok(json)
}

/// Prints `{"<key>": <value>}` where `value` must be written as a JSON object: through the
/// host's fast path when it can, else with every check.
fn send_object_under(
    key: &'static LocalKey<JsString>,
    context: &str,
    what: &str,
    value: &JsValue,
) -> Result<(), JsValue> {
    if key.with(|key| host::print_object_if_plain(key, value).unwrap_or(false)) {
        return Ok(());
    }

    let json = object_json(value, context, what)?;
    let message = JsString::from(format!("{{\"{what}\":"))
        .concat(&json)
        .concat(&"}".into());
    host::print_json(&message)
}

fn send_metric(
    context: &str,
    kind: MetricKind,
    name: &JsValue,
    value: &JsValue,
    tags: &JsValue,
) -> Result<(), JsValue> {
    let printed = KIND_NAMES.with(|names| {
        names
            .get(kind_index(kind))
            .is_some_and(|kind| host::print_metric_if_valid(name, kind, value, tags) == Ok(true))
    });
    if printed {
        return Ok(());
    }

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
    KIND_NAMES.with(|names| match names.get(kind_index(kind)) {
        Some(kind_name) => host::print_metric(name, kind_name, value, tags),
        None => Err(type_error("Kestra: unknown metric type")),
    })
}

/// The position of a kind in `KIND_NAMES`.
fn kind_index(kind: MetricKind) -> usize {
    match kind {
        MetricKind::Counter => 0,
        MetricKind::Timer => 1,
        MetricKind::Gauge => 2,
    }
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
    if tags.is_undefined() || tags.is_null() {
        return Ok(NO_TAGS.with(Object::clone));
    }
    // No prototype: a `__proto__` tag stays a tag instead of replacing the prototype.
    let normalized = Object::create(JsValue::NULL.unchecked_ref());
    if !is_plain_object(tags) || tags.is_instance_of::<js_sys::Map>() {
        return Err(type_error(&format!(
            "{context}: tags must be a plain object of strings, numbers or booleans"
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
