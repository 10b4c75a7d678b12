//! Shared helpers: start the built emulator on a free port and talk to it over HTTP.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const PROTOCOL_FLOW: &str = r#"
id: proto
namespace: company.team
labels:
  team: data
inputs:
  - id: name
    type: STRING
  - id: count
    type: INT
    defaults: 2
tasks:
  - id: emit
    type: io.kestra.plugin.scripts.node.Commands
    env:
      WHO: "{{ inputs.name }}"
    commands:
      - node emit.js
    inputFiles:
      emit.js: |
        const out = (text) => process.stdout.write(text + "\n");
        out('::' + JSON.stringify({outputs: {who: process.env.WHO, n: 1}}) + '::');
        const rows = (value) => ({name: "rows", type: "counter", value});
        out('::' + JSON.stringify({outputs: {n: 2}, metrics: [rows(3)]}) + '::');
        out('::{"metrics": [{"name": "rows", "type": "counter", "value": 4}]}::');
        out('::{"logs": [{"level": "WARN", "message": "careful"}]}::');
        out('::{"logs": [{"level": "warn", "message": "dropped"}], "outputs": {"lost": 1}}::');
        out('::{"outputs": {"sep": "a\u2028b"}}::');
        out('plain text');
        process.stderr.write('on stderr\n');
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.emit.vars.who }} got {{ outputs.emit.vars.n }}"
outputs:
  - id: n
    type: INT
    value: "{{ outputs.emit.vars.n }}"
"#;

pub const FAILING_FLOW: &str = r#"
id: failing
namespace: company.team
tasks:
  - id: boom
    type: io.kestra.plugin.scripts.node.Commands
    commands:
      - echo before
      - exit 3
      - echo never
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: never
"#;

pub const SLOW_FLOW: &str = r#"
id: slow
namespace: company.team
disabled: false
tasks:
  - id: sleep
    type: io.kestra.plugin.scripts.node.Commands
    commands:
      - node -e "setTimeout(() => {}, 30000)"
"#;

pub const DISABLED_FLOW: &str = r#"
id: off
namespace: company.team
disabled: true
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hi
"#;

/// A running emulator, stopped on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Server {
    /// The server's process id, to read its resource use.
    #[allow(dead_code, reason = "only some test files read it")]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM lets the server remove its storage directory; SIGKILL only if it hangs.
        let terminated = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        let deadline = Instant::now() + Duration::from_secs(5);
        while terminated && Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn scratch_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!(
        "kestra-emulator-test-{label}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(dir.join("flows")).unwrap();
    std::fs::create_dir_all(dir.join("work")).unwrap();
    dir
}

pub fn start(label: &str, flows: &[(&str, &str)], extra: &[&str]) -> Server {
    let dir = scratch_dir(label);
    for (name, text) in flows {
        std::fs::write(dir.join("flows").join(name), text).unwrap();
    }
    start_in(dir, extra)
}

pub fn start_in(dir: PathBuf, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kestra-emulator"))
        .arg("--flows")
        .arg(dir.join("flows"))
        .arg("--work-dir")
        .arg(dir.join("work"))
        .args(["--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    Server { child, port, dir }
}

/// A response: status, lower-cased headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

pub fn get(port: u16, path: &str) -> Reply {
    request(port, "GET", path, &[], b"")
}

pub const BOUNDARY: &str = "XkestraBoundary42";

/// Builds a multipart body from (name, filename, content) parts.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match filename {
            Some(file) => format!("form-data; name=\"{name}\"; filename=\"{file}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(format!("Content-Disposition: {disposition}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn create(port: u16, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Reply {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    request(
        port,
        "POST",
        path,
        &[("Content-Type", &content_type)],
        &multipart(parts),
    )
}

pub fn wait_for(port: u16, id: &str, states: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let execution = get(port, &format!("/api/v1/main/executions/{id}")).json();
        let current = execution["state"]["current"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if states.contains(&current.as_str()) {
            return execution;
        }
        assert!(Instant::now() < deadline, "execution stuck in {current}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn messages(port: u16, id: &str) -> Vec<(String, String)> {
    let logs = get(port, &format!("/api/v1/main/logs/{id}")).json();
    logs.as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["level"].as_str().unwrap().to_string(),
                entry["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Reads the raw stream until the server closes it or `limit` passes, then hangs up.
#[allow(dead_code, reason = "only the event-stream test files use it")]
pub fn read_stream_for(port: u16, path: &str, limit: Duration) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();

    let deadline = Instant::now() + limit;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => received.extend_from_slice(&buffer[..count]),
            Err(_) => continue,
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

/// The state names of a `state` object's histories, oldest first.
#[allow(dead_code, reason = "only some test files read histories")]
pub fn history(state: &Value) -> Vec<String> {
    state["histories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["state"].as_str().unwrap().to_string())
        .collect()
}
