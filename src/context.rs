//! `Kestra.context()`: the execution context Kestra gives a script task.
//!
//! Kestra writes it as `.kestra-execution-context.json` in the task's working directory
//! when the task sets `executionContext: true`; a runner may instead name the file in
//! `KESTRA_EXECUTION_CONTEXT_FILE`, or pass the JSON in base64 in `KESTRA_CONTEXT`.

use std::cell::OnceCell;

use js_sys::{Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};

use crate::base64;
use crate::errors::{describe, kestra_error};
use crate::host;

/// The file Kestra writes in the working directory.
const CONTEXT_FILE: &str = ".kestra-execution-context.json";

thread_local! {
    /// The context is read once; a failed read is not kept, so a later call may succeed.
    static CONTEXT: OnceCell<JsValue> = const { OnceCell::new() };
}

/// The parsed execution context, read on the first call.
pub fn context() -> Result<JsValue, JsValue> {
    if let Some(context) = CONTEXT.with(|cell| cell.get().cloned()) {
        return Ok(context);
    }

    let (source, text) = locate()?;
    let context = JSON::parse(text.trim_start_matches('\u{feff}')).map_err(|error| {
        context_error(&format!(
            "the execution context in {source} is not JSON: {}",
            describe(&error)
        ))
    })?;
    if !context.is_object() || js_sys::Array::is_array(&context) {
        return Err(context_error(&format!(
            "the execution context in {source} is not a JSON object"
        )));
    }
    CONTEXT.with(|cell| cell.get_or_init(|| context.clone()).clone());
    Ok(context)
}

/// Where the context comes from, and its JSON text.
fn locate() -> Result<(String, String), JsValue> {
    if let Some(path) =
        host::read_env("KESTRA_EXECUTION_CONTEXT_FILE").filter(|path| !path.is_empty())
    {
        let source = format!("{path} (KESTRA_EXECUTION_CONTEXT_FILE)");
        return match read_file(&path)? {
            Some(bytes) => Ok((source.clone(), utf8(bytes, &source)?)),
            None => Err(context_error(&format!("{source} does not exist"))),
        };
    }

    // Where the host has no files (a browser), this source is simply absent.
    if let Ok(Some(bytes)) = read_file(CONTEXT_FILE) {
        let source = format!("{CONTEXT_FILE} in the working directory");
        return Ok((source.clone(), utf8(bytes, &source)?));
    }

    if let Some(encoded) = host::read_env("KESTRA_CONTEXT").filter(|text| !text.is_empty()) {
        let source = "KESTRA_CONTEXT".to_owned();
        let bytes = base64::decode(&encoded)
            .map_err(|error| context_error(&format!("{source} is {error}")))?;
        return Ok((source.clone(), utf8(bytes, &source)?));
    }

    Err(context_error(
        "No Kestra execution context found: this script does not seem to run in a Kestra task \
         with executionContext: true (looked for KESTRA_EXECUTION_CONTEXT_FILE, \
         ./.kestra-execution-context.json and KESTRA_CONTEXT)",
    ))
}

/// A file's bytes, `None` when it does not exist.
pub(crate) fn read_file(path: &str) -> Result<Option<Vec<u8>>, JsValue> {
    let bytes = host::read_file_bytes(path).map_err(|error| {
        kestra_error(
            "KestraError",
            &format!("cannot read {path}: {}", describe(&error)),
            &[],
        )
    })?;
    Ok(bytes.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec))
}

fn utf8(bytes: Vec<u8>, source: &str) -> Result<String, JsValue> {
    String::from_utf8(bytes).map_err(|error| {
        context_error(&format!(
            "{source} is not UTF-8 text (byte {})",
            error.utf8_error().valid_up_to()
        ))
    })
}

fn context_error(message: &str) -> JsValue {
    kestra_error("KestraError", message, &[])
}
