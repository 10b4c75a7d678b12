//! `Kestra.read(pathOrBytes)`: a Kestra internal-storage file (Ion text, one value per line)
//! as plain JavaScript values, converted as the Python client converts them.
//!
//! | Ion value | JavaScript value |
//! | --- | --- |
//! | null (any type) | `null` |
//! | bool | boolean |
//! | int within ±2^53, decimal, float | number |
//! | int beyond ±2^53 | `BigInt` |
//! | timestamp, `LocalDateTime::"..."`, ISO-8601 date-time string | `Date` (no offset: UTC) |
//! | other string, symbol, clob | string |
//! | blob | `Uint8Array` |
//! | list, s-expression | array |
//! | struct | object (a repeated field: the last one wins) |

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::context::read_file;
use crate::errors::{kestra_error, type_error};
use crate::host;
use crate::ion::{self, PlainValue};

/// Reads `source`, a path (Node, Deno, Bun) or the file's bytes (any runtime).
pub fn read(source: &JsValue) -> Result<JsValue, JsValue> {
    let (name, bytes) = if let Some(path) = source.as_string() {
        let bytes = read_file(&path)?.ok_or_else(|| {
            kestra_error(
                "KestraError",
                &format!("Kestra.read: {path} does not exist"),
                &[],
            )
        })?;
        (path, bytes)
    } else if let Some(bytes) = as_bytes(source) {
        ("the given bytes".to_owned(), bytes)
    } else {
        return Err(type_error(
            "Kestra.read: expects a file path, or the file's bytes (Uint8Array or ArrayBuffer)",
        ));
    };

    let text = String::from_utf8(bytes).map_err(|error| {
        syntax_error(&format!(
            "Kestra.read: {name} is not UTF-8 text (byte {})",
            error.utf8_error().valid_up_to()
        ))
    })?;
    let values = ion::read_with(&text, host_number)
        .map_err(|error| syntax_error(&format!("Kestra.read: {name}: {error}")))?;

    let array = Array::new();
    for value in &values {
        array.push(&to_js(value)?);
    }
    Ok(array.into())
}

fn as_bytes(source: &JsValue) -> Option<Vec<u8>> {
    if source.is_instance_of::<ArrayBuffer>() {
        return Some(Uint8Array::new(source).to_vec());
    }
    if ArrayBuffer::is_view(source) {
        let view: &js_sys::Object = source.unchecked_ref();
        let buffer = Reflect::get(view, &"buffer".into()).ok()?;
        let offset = Reflect::get(view, &"byteOffset".into()).ok()?.as_f64()?;
        let length = Reflect::get(view, &"byteLength".into()).ok()?.as_f64()?;
        let bytes =
            Uint8Array::new_with_byte_offset_and_length(&buffer, offset as u32, length as u32);
        return Some(bytes.to_vec());
    }
    None
}

/// One value, converted. Nesting is bounded by the Ion reader's own depth limit.
fn to_js(value: &PlainValue) -> Result<JsValue, JsValue> {
    Ok(match value {
        PlainValue::Null => JsValue::NULL,
        PlainValue::Bool(flag) => JsValue::from_bool(*flag),
        PlainValue::Number(number) => JsValue::from_f64(*number),
        PlainValue::BigInt(digits) => js_sys::BigInt::new(&JsValue::from_str(digits))?.into(),
        PlainValue::String(text) => JsValue::from_str(text),
        PlainValue::Bytes(bytes) => Uint8Array::from(bytes.as_slice()).into(),
        PlainValue::DateTime(date_time) => {
            js_sys::Date::new(&JsValue::from_f64(date_time.epoch_millis())).into()
        }
        PlainValue::List(items) => {
            let array = Array::new();
            for item in items {
                array.push(&to_js(item)?);
            }
            array.into()
        }
        PlainValue::Object(fields) => {
            // Object.fromEntries defines own properties: a `__proto__` field stays a field.
            let entries = Array::new();
            for (name, field) in fields {
                entries.push(&Array::of2(&JsValue::from_str(name), &to_js(field)?));
            }
            Object::from_entries(&entries)?.into()
        }
    })
}

/// JavaScript's `Number(text)`: correctly rounded like Rust's reader, and already in the
/// host, so the module carries no float parser of its own.
fn host_number(text: &str) -> Option<f64> {
    let number = host::number_of(text);
    (!number.is_nan()).then_some(number)
}

fn syntax_error(message: &str) -> JsValue {
    js_sys::SyntaxError::new(message).into()
}
