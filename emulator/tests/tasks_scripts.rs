//! Script-task features: output files, the execution-context file, Deno and Bun runtimes.

mod support;

use std::path::PathBuf;
use std::sync::Once;

use serde_json::Value;

use support::*;

/// The repository's `node_modules/.bin`, where the Deno and Bun packages put their programs.
fn bin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin")
}

/// Points the emulators started by these tests at [`bin_dir`].
fn use_bin_dir() {
    static SET: Once = Once::new();
    SET.call_once(|| std::env::set_var("KESTRA_EMULATOR_PATH", bin_dir()));
}

/// Whether a program is in [`bin_dir`] or on `PATH`; prints why a test is skipped if not.
fn available(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::iter::once(bin_dir())
        .chain(std::env::split_paths(&path))
        .any(|dir| dir.join(program).is_file());
    if !found {
        eprintln!("skipped: `{program}` is neither in node_modules/.bin nor on PATH");
    }
    found
}

fn run_to_end(port: u16, flow: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Value {
    let path = format!("/api/v1/main/executions/company.team/{flow}?labels=env:test");
    let reply = create(port, &path, parts);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_string();
    wait_for(port, &id, &["SUCCESS", "FAILED", "KILLED"])
}

const FILES_FLOW: &str = r#"
id: files
namespace: company.team
tasks:
  - id: make
    type: io.kestra.plugin.scripts.node.Commands
    outputFiles:
      - "*.csv"
      - "out/**"
    commands:
      - printf 'a,b\n1,2\n' > data.csv
      - mkdir -p out/deep
      - printf 'deep' > out/deep/x.txt
      - printf 'ignored' > notes.txt
  - id: use
    type: io.kestra.plugin.scripts.node.Commands
    inputFiles:
      copy.csv: "{{ outputs.make.outputFiles['data.csv'] }}"
    commands:
      - cat copy.csv
"#;

#[test]
fn output_files_are_stored_and_read_back_by_later_tasks() {
    let server = start("output-files", &[("f.yml", FILES_FLOW)], &[]);
    let done = run_to_end(server.port, "files", &[]);
    assert_eq!(done["state"]["current"], "SUCCESS", "{done:#}");
    let id = done["id"].as_str().unwrap();
    let run = &done["taskRunList"][0];
    let files = run["outputs"]["outputFiles"].as_object().unwrap();
    let names: Vec<&String> = files.keys().collect();
    assert_eq!(names, ["data.csv", "out/deep/x.txt"]);
    let prefix = format!(
        "kestra:///company/team/files/executions/{id}/tasks/make/{}/",
        run["id"].as_str().unwrap()
    );
    assert_eq!(files["data.csv"], format!("{prefix}data.csv"));
    let logs = messages(server.port, id);
    let lines: Vec<&str> = logs.iter().map(|(_, message)| message.as_str()).collect();
    assert_eq!(lines, ["a,b", "1,2"]);
    assert!(done["taskRunList"][1]["outputs"]
        .get("outputFiles")
        .is_none());
}

const CONTEXT_FLOW: &str = r#"
id: context
namespace: company.team
labels:
  team: data
inputs:
  - id: name
    type: STRING
tasks:
  - id: first
    type: io.kestra.plugin.scripts.node.Commands
    commands:
      - echo '::{"outputs":{"rows":3}}::'
  - id: read
    type: io.kestra.plugin.scripts.node.Script
    executionContext: true
    outputFiles:
      - "*.json"
    script: |
      const fs = require('fs');
      const context = JSON.parse(fs.readFileSync('.kestra-execution-context.json', 'utf8'));
      fs.writeFileSync('seen.json', JSON.stringify(context));
  - id: after
    type: io.kestra.plugin.scripts.node.Commands
    inputFiles:
      seen.json: "{{ outputs.read.outputFiles['seen.json'] }}"
    commands:
      - cat seen.json
"#;

#[test]
fn the_execution_context_file_describes_the_run() {
    let server = start("context", &[("c.yml", CONTEXT_FLOW)], &[]);
    let done = run_to_end(server.port, "context", &[("name", None, b"Ada")]);
    assert_eq!(done["state"]["current"], "SUCCESS", "{done:#}");
    let id = done["id"].as_str().unwrap();
    let read = &done["taskRunList"][1];
    let files = read["outputs"]["outputFiles"].as_object().unwrap();
    // The context file itself is never an output file.
    assert_eq!(files.keys().collect::<Vec<_>>(), ["seen.json"]);

    let logs = messages(server.port, id);
    let seen: Value = serde_json::from_str(&logs.last().unwrap().1).unwrap();
    assert_eq!(seen["inputs"], serde_json::json!({"name": "Ada"}));
    assert_eq!(
        seen["outputs"],
        serde_json::json!({"first": {"vars": {"rows": 3}, "exitCode": 0}})
    );
    assert_eq!(seen["labels"]["team"], "data");
    assert_eq!(seen["labels"]["env"], "test");
    assert_eq!(
        (
            &seen["flow"]["id"],
            &seen["flow"]["namespace"],
            &seen["flow"]["revision"]
        ),
        (&"context".into(), &"company.team".into(), &1.into())
    );
    assert_eq!(seen["execution"]["id"], id);
    assert_eq!(
        seen["execution"]["startDate"],
        done["state"]["histories"][0]["date"]
    );
    assert_eq!(
        seen["task"],
        serde_json::json!({"id": "read", "type": "io.kestra.plugin.scripts.node.Script"})
    );
    assert_eq!(seen["taskrun"]["id"], read["id"]);
    assert_eq!(seen["taskrun"]["attemptsCount"], 0);
    assert!(seen.get("envs").is_none() && seen.get("globals").is_none());
}

const RUNTIMES_FLOW: &str = r#"
id: runtimes
namespace: company.team
tasks:
  - id: script
    type: io.kestra.plugin.scripts.RUNTIME.Script
    script: |
      const rows: number = 2;
      console.log('::' + JSON.stringify({outputs: {rows, runtime: 'RUNTIME'}}) + '::');
  - id: commands
    type: io.kestra.plugin.scripts.RUNTIME.Commands
    inputFiles:
      main.ts: "console.log('from commands');"
    commands:
      - COMMAND main.ts
"#;

/// Runs the script and commands tasks of one runtime and checks their outputs and logs.
fn check_runtime(runtime: &str, command: &str) {
    use_bin_dir();
    let flow = RUNTIMES_FLOW
        .replace("RUNTIME", runtime)
        .replace("COMMAND", command);
    let server = start(runtime, &[("r.yml", &flow)], &[]);
    let done = run_to_end(server.port, "runtimes", &[]);
    let logs = messages(server.port, done["id"].as_str().unwrap());
    assert_eq!(done["state"]["current"], "SUCCESS", "{logs:?}");
    assert_eq!(
        done["taskRunList"][0]["outputs"]["vars"],
        serde_json::json!({"rows": 2, "runtime": runtime})
    );
    assert!(
        logs.contains(&("INFO".into(), "from commands".into())),
        "{logs:?}"
    );
}

#[test]
fn deno_tasks_run_with_deno() {
    if available("deno") {
        check_runtime("deno", "deno run --allow-all");
    }
}

#[test]
fn bun_tasks_run_with_bun() {
    if available("bun") {
        check_runtime("bun", "bun");
    }
}
