//! `kestra-emulator`: a local server that answers like Kestra's API and runs simple flows.

mod errors;
mod expr;
mod flow;
mod inputs;
mod labels;
mod model;
mod protocol;

fn main() {}
