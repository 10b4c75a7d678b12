//! `kestra-emulator`: a local server that answers like Kestra's API and runs simple flows.

mod api_v2;
mod controls;
mod cors;
mod errors;
mod expr;
mod flow;
mod follow;
mod inputs;
mod labels;
mod model;
mod protocol;
mod runner;
mod search;
mod server;
mod store;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use axum::serve::ListenerExt as _;

use crate::flow::Flow;
use crate::store::{lock, ApiVersion, App, Config};

const USAGE: &str = "\
Usage: kestra-emulator --flows <dir> [--port <n>] [--basic-auth <user>:<password>]
                       [--api-token <token>] [--cors-origin <origin>]...
                       [--work-dir <dir>] [--test-controls] [--legacy-routes]
                       [--kestra-version 1.3|2.1]

A local server that answers like Kestra's API (1.3) and runs simple flows.

Options:
  --flows <dir>               load every *.yml / *.yaml flow file of this directory
  --port <n>                  port on 127.0.0.1 (default 0: pick a free one)
  --basic-auth <user>:<pass>  require these credentials on /api/v1/**
  --api-token <token>         require (or, with --basic-auth, also accept)
                              Authorization: Bearer <token>, as Kestra EE does
  --cors-origin <origin>      answer CORS requests from this origin (repeatable)
  --work-dir <dir>            parent of the task working directories; a node_modules
                              directory placed here is visible to the scripts
  --test-controls             serve /_emulator/ routes that inject faults, count
                              requests and list executions
  --legacy-routes             also serve the tenant-less paths of Kestra 0.22 and older
                              (/api/v1/executions/..., /api/v1/logs/...)
  --kestra-version <v>        1.3 (default): JsonError bodies, DELETE .../kill;
                              2.1: problem+json bodies, .../actions/kill and
                              /actions/resume, slimmer execution JSON, /outputs routes,
                              filters[...] on the log routes
  --help                      print this help";

/// Parsed command line.
#[derive(Debug, PartialEq)]
struct Args {
    flows: PathBuf,
    port: u16,
    auth: Option<(String, String)>,
    api_token: Option<String>,
    cors_origins: Vec<String>,
    work_dir: Option<PathBuf>,
    test_controls: bool,
    legacy_routes: bool,
    version: ApiVersion,
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    Help,
    Run(Args),
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut flows = None;
    let mut port = 0;
    let mut auth = None;
    let mut api_token = None;
    let mut cors_origins = Vec::new();
    let mut work_dir = None;
    let mut test_controls = false;
    let mut legacy_routes = false;
    let mut version = ApiVersion::V1_3;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        if name == "--help" || name == "-h" {
            return Ok(Command::Help);
        }
        if name == "--test-controls" && inline.is_none() {
            test_controls = true;
            continue;
        }
        if name == "--legacy-routes" && inline.is_none() {
            legacy_routes = true;
            continue;
        }
        let known = [
            "--flows",
            "--port",
            "--basic-auth",
            "--api-token",
            "--cors-origin",
            "--work-dir",
            "--kestra-version",
        ];
        if !known.contains(&name) {
            return Err(format!("unknown argument `{arg}`"));
        }
        let value = match inline {
            Some(value) => value,
            None => iter
                .next()
                .cloned()
                .ok_or_else(|| format!("`{name}` needs a value"))?,
        };
        match name {
            "--flows" => flows = Some(PathBuf::from(value)),
            "--port" => {
                port = value
                    .parse()
                    .map_err(|_| format!("invalid port `{value}`"))?;
            }
            "--basic-auth" => {
                let (user, password) = value
                    .split_once(':')
                    .ok_or("`--basic-auth` must look like <user>:<password>")?;
                auth = Some((user.to_string(), password.to_string()));
            }
            "--api-token" => {
                if value.is_empty() {
                    return Err("`--api-token` needs a non-empty token".to_string());
                }
                api_token = Some(value);
            }
            "--cors-origin" => cors_origins.push(value),
            "--kestra-version" => {
                version = match value.as_str() {
                    "1.3" => ApiVersion::V1_3,
                    "2.1" => ApiVersion::V2_1,
                    _ => return Err(format!("unknown Kestra version `{value}` (1.3 or 2.1)")),
                };
            }
            _ => work_dir = Some(PathBuf::from(value)),
        }
    }
    let flows = flows.ok_or("`--flows <dir>` is required")?;
    Ok(Command::Run(Args {
        flows,
        port,
        auth,
        api_token,
        cors_origins,
        work_dir,
        test_controls,
        legacy_routes,
        version,
    }))
}

/// Loads and validates every flow file of a directory.
fn load_flows(dir: &Path) -> Result<HashMap<(String, String), Flow>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| format!("cannot read the flows directory {}: {error}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.is_file()
                && path
                    .extension()
                    .is_some_and(|ext| ext == "yml" || ext == "yaml")
        })
        .collect();
    paths.sort();
    let mut flows = HashMap::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        let invalid = |error: String| format!("invalid flow file {}: {error}", path.display());
        let mut flow = flow::parse_flow(&text).map_err(invalid)?;
        inputs::read_item_types(&mut flow.inputs, &text).map_err(invalid)?;
        let key = (flow.namespace.clone(), flow.id.clone());
        if flows.contains_key(&key) {
            return Err(format!(
                "{}: flow {}.{} is defined twice",
                path.display(),
                flow.namespace,
                flow.id
            ));
        }
        eprintln!(
            "loaded flow {}.{} from {}",
            flow.namespace,
            flow.id,
            path.display()
        );
        flows.insert(key, flow);
    }
    Ok(flows)
}

/// Creates a fresh directory in the system temp directory.
fn temp_dir(label: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!(
        "kestra-emulator-{label}-{}-{}",
        std::process::id(),
        model::new_id()
    ));
    std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    Ok(dir)
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    match (terminate, interrupt) {
        (Ok(mut terminate), Ok(mut interrupt)) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        }
        // Without signal handlers the default actions still stop the process.
        _ => std::future::pending::<()>().await,
    }
}

async fn run(args: Args) -> Result<(), String> {
    let flows = load_flows(&args.flows)?;
    let storage_dir = temp_dir("storage")?;
    let (work_dir, own_work_dir) = match args.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
            let dir = dir
                .canonicalize()
                .map_err(|error| format!("{}: {error}", dir.display()))?;
            (dir, false)
        }
        None => (temp_dir("work")?, true),
    };

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|error| format!("cannot listen on 127.0.0.1:{}: {error}", args.port))?;
    let port = listener
        .local_addr()
        .map_err(|error| error.to_string())?
        .port();
    let config = Config {
        flows,
        port,
        storage_dir: storage_dir.clone(),
        work_dir: work_dir.clone(),
        auth: args.auth,
        api_token: args.api_token,
        cors_origins: args.cors_origins,
        test_controls: args.test_controls,
        legacy_routes: args.legacy_routes,
        version: args.version,
    };
    let app = Arc::new(App::new(config));

    // Tests read this first line to find the port, so it goes out at once.
    let mut stdout = std::io::stdout();
    let announced =
        writeln!(stdout, "listening on http://127.0.0.1:{port}").and_then(|()| stdout.flush());
    announced.map_err(|error| format!("cannot write to stdout: {error}"))?;
    eprintln!(
        "work dir {}, storage {}",
        work_dir.display(),
        storage_dir.display()
    );

    let served = tokio::select! {
        // Nagle off, as Kestra's Netty server has it: small event-stream writes go out at once
        // instead of waiting for the peer's delayed acknowledgement.
        served = axum::serve(
            listener.tap_io(|stream| {
                let _ = stream.set_nodelay(true);
            }),
            server::router(Arc::clone(&app)),
        ) => served,
        () = shutdown_signal() => Ok(()),
    };

    for group in lock(&app.process_groups).iter() {
        runner::kill_group(*group);
    }
    let _ = std::fs::remove_dir_all(&storage_dir);
    if own_work_dir {
        let _ = std::fs::remove_dir_all(&work_dir);
    }
    served.map_err(|error| format!("server error: {error}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(args)) => args,
        Err(message) => {
            eprintln!("kestra-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kestra-emulator: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kestra-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| value.to_string()).collect()
    }

    #[test]
    fn parses_the_command_line() {
        let parsed = parse_args(&strings(&[
            "--flows",
            "f",
            "--port=8080",
            "--basic-auth",
            "a@b.c:Pass:word1",
            "--work-dir",
            "w",
            "--test-controls",
            "--legacy-routes",
            "--kestra-version=2.1",
            "--api-token",
            "t0k",
            "--cors-origin",
            "http://a.test",
            "--cors-origin=http://b.test",
        ]));
        assert_eq!(
            parsed,
            Ok(Command::Run(Args {
                flows: PathBuf::from("f"),
                port: 8080,
                auth: Some(("a@b.c".to_string(), "Pass:word1".to_string())),
                api_token: Some("t0k".to_string()),
                cors_origins: vec!["http://a.test".to_string(), "http://b.test".to_string()],
                work_dir: Some(PathBuf::from("w")),
                test_controls: true,
                legacy_routes: true,
                version: ApiVersion::V2_1,
            }))
        );
        assert_eq!(parse_args(&strings(&["--help"])), Ok(Command::Help));
    }

    #[test]
    fn rejects_bad_command_lines() {
        assert!(parse_args(&strings(&[])).is_err());
        assert!(parse_args(&strings(&["--flows"])).is_err());
        assert!(parse_args(&strings(&["--flows", "f", "--verbose"])).is_err());
        assert!(parse_args(&strings(&["--flows", "f", "--port", "x"])).is_err());
        assert!(parse_args(&strings(&["--flows", "f", "--kestra-version", "2.0"])).is_err());
        assert!(parse_args(&strings(&["--flows", "f", "--basic-auth", "nopass"])).is_err());
        assert!(parse_args(&strings(&["--flows", "f", "--api-token="])).is_err());
    }
}
