//! The errors this package throws, as JavaScript values.
//!
//! Bad arguments are `TypeError`s; failures of a Kestra request are instances of the
//! exported `KestraError` class or its subclasses, so callers can tell them apart with
//! `instanceof`.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast as _, JsValue};

use crate::host;

/// A `TypeError` with `message`.
pub fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// Fields attached to a `KestraError`: `(name, value)` pairs.
pub type Fields<'a> = &'a [(&'a str, JsValue)];

/// An instance of the exported error class `class_name` with extra `fields`.
pub fn kestra_error(class_name: &str, message: &str, fields: Fields<'_>) -> JsValue {
    let object = Object::new();
    for (name, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    host::make_error(class_name, message, &object)
}

/// The text of a thrown JavaScript value: an `Error`'s message, else `String(value)`.
pub fn describe(value: &JsValue) -> String {
    if !value.is_instance_of::<js_sys::Error>() {
        return host::string_of(value);
    }
    let mut text = text_property(value, "message").unwrap_or_default();
    // `fetch failed` says little; the causes say what failed (ECONNREFUSED, a bad port...).
    let mut cause = Reflect::get(value, &JsValue::from_str("cause")).unwrap_or_default();
    for _ in 0..3 {
        let Some(message) = text_property(&cause, "message").filter(|m| !m.is_empty()) else {
            break;
        };
        if !text.contains(&message) {
            text = if text.is_empty() {
                message
            } else {
                format!("{text} ({message})")
            };
        }
        cause = Reflect::get(&cause, &JsValue::from_str("cause")).unwrap_or_default();
    }
    text
}

/// A string property, read with `Reflect.get` so that a throwing getter cannot unwind
/// through WebAssembly; `None` when it throws or is not a string.
pub fn text_property(value: &JsValue, name: &str) -> Option<String> {
    Reflect::get(value, &JsValue::from_str(name))
        .ok()?
        .as_string()
}
