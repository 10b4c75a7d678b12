//! `Kestra.logger()` messages: arguments joined as `console.log` joins them.

use js_sys::{Array, JSON};
use wasm_bindgen::{JsCast, JsValue};

use crate::errors::{text_property, type_error};
use crate::host;
use crate::kestra::send_log;
use crate::protocol::LogLevel;

/// Sends one log entry at `level` built from the arguments of one logger call.
pub fn emit(level: &str, arguments: &Array) -> Result<(), JsValue> {
    let level = LogLevel::parse(level)
        .ok_or_else(|| type_error(&format!("unknown log level '{level}'")))?;

    let parts: Vec<String> = arguments.iter().map(|argument| render(&argument)).collect();
    send_log(level.as_str(), &parts.join(" "))
}

/// One argument as text: strings as they are, errors with their stack, objects as JSON.
fn render(argument: &JsValue) -> String {
    if let Some(text) = argument.as_string() {
        return text;
    }

    if argument.is_instance_of::<js_sys::Error>() {
        let name = text_property(argument, "name").unwrap_or_else(|| "Error".to_owned());
        let message = text_property(argument, "message").unwrap_or_default();
        let stack = text_property(argument, "stack");
        let headline = format!("{name}: {message}");
        return match stack {
            // V8 stacks start with the headline; others (Firefox, Safari) hold frames only.
            Some(stack) if stack.contains(&message) => stack,
            Some(stack) => format!("{headline}\n{stack}"),
            None => headline,
        };
    }

    if argument.is_object() && !argument.is_function() {
        if let Ok(json) = JSON::stringify(argument) {
            if let Some(json) = json.as_string() {
                return json;
            }
        }
    }

    // undefined, null, numbers, booleans, bigints, symbols, functions, circular objects.
    host::string_of(argument)
}
