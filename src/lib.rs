//! kestra-wasm: a Kestra client for JavaScript runtimes.
//!
//! Two sides, as in Kestra's official clients:
//! - [`Kestra`] lets a script inside a Kestra task report outputs, metrics, logs and assets
//!   by printing protocol lines on stdout;
//! - [`Flow`] triggers flow executions over Kestra's REST API and waits for their end.
//!
//! The modules `auth`, `base64`, `ion`, `labels`, `multipart`, `placeholders`, `protocol`,
//! `retry`, `routes`, `sse`, `state` and `value_path` hold the logic that needs no JavaScript and are tested natively;
//! the rest is the thin layer over the host.

#![deny(missing_docs)]

pub mod auth;
pub mod base64;
pub mod ion;
pub mod labels;
pub mod multipart;
pub mod placeholders;
pub mod protocol;
pub mod retry;
pub mod routes;
pub mod sse;
pub mod state;
pub mod value_path;

mod context;
mod encode;
mod errors;
mod flow;
mod host;
mod http;
mod inputs;
mod kestra;
mod read;
mod wait;

pub use flow::{file_from_path, Flow};
pub use kestra::Kestra;

use wasm_bindgen::prelude::*;

/// The package's error classes by name: `KestraError`, `HttpError`, `AuthenticationError`
/// and `FailedExponentialBackoff`, re-exported by the package entry points.
#[wasm_bindgen(js_name = errorClasses, skip_typescript)]
pub fn error_classes() -> JsValue {
    host::exported_error_classes()
}
