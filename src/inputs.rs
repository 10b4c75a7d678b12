//! The inputs of an execution as a multipart body, checked value by value.
//!
//! Strings are sent as they are; numbers, booleans and bigints as their text; a `Date` as
//! an ISO instant with `Z`; arrays and plain objects as JSON; `null` and `undefined` are
//! left out so the flow's default applies. Blobs, files, bytes and
//! `[filename, data, contentType]` triples become file parts, always with a file name.

use js_sys::{Array, ArrayBuffer};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, File};

use crate::encode;
use crate::errors::{describe, type_error};
use crate::host;
use crate::multipart;

/// The multipart body of a create request and the text inputs (for `labelsFromInputs`).
pub struct InputForm {
    /// The body (a Blob, or files streamed from disk) and its `Content-Type`; `None` when no
    /// input has a value.
    pub body: Option<(JsValue, String)>,
    /// `(id, text)` of every non-file input.
    pub text_inputs: Vec<(String, String)>,
}

/// Turns the `inputs` object into a multipart body, checking every value.
pub fn build_form(inputs: &JsValue) -> Result<InputForm, JsValue> {
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
    if !inputs.is_object() || inputs.is_function() || collection || !host::is_plain(inputs) {
        return Err(type_error(
            "Flow.execute: inputs must be a plain object of input ids to values",
        ));
    }

    let boundary = multipart::boundary(host::random_16());
    let parts = Array::new();
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

        if host::is_path_file(&value) {
            let text = |name: &str| crate::errors::text_property(&value, name).unwrap_or_default();
            let head = multipart::file_part_head(&boundary, &id, &text("name"), &text("type"));
            parts.push(&head.into());
            parts.push(&value);
            parts.push(&multipart::PART_END.into());
            continue;
        }
        match file_part(&id, &value)? {
            Some((blob, filename)) => {
                let head = multipart::file_part_head(&boundary, &id, &filename, &blob.type_());
                parts.push(&head.into());
                // The blob itself, not a copy: a file from disk is read as the body is sent.
                parts.push(&blob);
            }
            None => {
                let text = text_value(&id, &value)?;
                parts.push(&multipart::text_part_head(&boundary, &id).into());
                parts.push(&text.as_str().into());
                form.text_inputs.push((id, text));
            }
        }
        parts.push(&multipart::PART_END.into());
    }

    if parts.length() > 0 {
        parts.push(&multipart::closing(&boundary).into());
        let body = host::multipart_body(&parts);
        form.body = Some((body, multipart::content_type(&boundary)));
    }
    Ok(form)
}

/// The blob and file name of a file input, or `None` for a text input.
fn file_part(id: &str, value: &JsValue) -> Result<Option<(Blob, String)>, JsValue> {
    let named =
        |error: JsValue| type_error(&format!("Flow.execute: input '{id}': {}", describe(&error)));
    if host::is_shared_bytes(value) {
        return Err(type_error(&format!(
            "Flow.execute: input '{id}' is a SharedArrayBuffer: copy it into an ArrayBuffer"
        )));
    }
    if let Some(blob) = as_blob(value, None).map_err(named)? {
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
    if !multipart::is_header_safe(&content_type) {
        return Err(type_error(&format!(
            "Flow.execute: input '{id}' has a content type with control or non-ASCII characters"
        )));
    }
    let Some(blob) = as_blob(&data, Some(&content_type)).map_err(named)? else {
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
    let blob = Blob::new_with_buffer_source_sequence_and_options(&parts, &options)
        .map_err(|error| type_error(&format!("its bytes cannot be read: {}", describe(&error))))?;
    Ok(Some(blob))
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
        // The checked JSON of `Kestra.outputs`: a Map is an object and a Set an array, and
        // what JSON cannot carry (NaN, cycles, opaque objects) is a TypeError naming it.
        let json = encode::json_text(value, "Flow.execute", &format!("inputs.{id}"))?;
        return Ok(String::from(json));
    }
    Err(type_error(&format!(
        "Flow.execute: input '{id}' must be a string, number, boolean, Date, JSON value or file"
    )))
}
