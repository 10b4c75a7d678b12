//! `Kestra.logger()` entries: the host joins the arguments of a call as `console.log` does
//! (see `src/js/host.js`); this side checks the level and writes the protocol line.

use js_sys::{JsString, JSON};
use wasm_bindgen::JsValue;

use crate::errors::{describe, type_error};
use crate::kestra::emit_json_object;
use crate::protocol::LogLevel;

/// Sends `message` as one log entry at `level`.
pub fn emit(level: &str, message: &JsValue) -> Result<(), JsValue> {
    let level = LogLevel::parse(level)
        .ok_or_else(|| type_error(&format!("unknown log level '{level}'")))?;

    // The message stays a JavaScript string: JSON.stringify keeps even lone surrogates.
    let message = JSON::stringify(message)
        .map_err(|error| type_error(&format!("Kestra.logger: {}", describe(&error))))?;
    let opening = format!(
        "{{\"logs\":[{{\"level\":\"{}\",\"message\":",
        level.as_str()
    );
    let entry = JsString::from(opening)
        .concat(&message)
        .concat(&JsValue::from_str("}]}"));
    emit_json_object(&entry)
}
