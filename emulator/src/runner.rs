//! Runs executions in the background: task after task, with script processes whose output is
//! read line by line through the output protocol.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::process::ExitStatusExt;
use std::path::{Component, Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};

mod workdir;

use crate::expr;
use crate::flow::{Flow, Runtime, Task, TaskKind};
use crate::model::{
    format_instant, new_id, now_micros, Execution, Level, LogEntry, MetricEntry, State, StateType,
    TaskRun, TaskRunAttempt, TENANT,
};
use crate::protocol::{self, LineEvent, LineSplitter, MetricKind, TaskAccumulator};
use crate::store::{lock, App};

/// Thread name written in task logs.
const THREAD: &str = "WorkerThread";

/// Builds a log entry; `task` is (task id, task-run id) for task logs.
pub fn log_entry(
    execution: &Execution,
    task: Option<(&str, &str)>,
    level: Level,
    message: String,
) -> LogEntry {
    LogEntry {
        tenant_id: TENANT.to_string(),
        namespace: execution.namespace.clone(),
        flow_id: execution.flow_id.clone(),
        task_id: task.map(|(task_id, _)| task_id.to_string()),
        execution_id: execution.id.clone(),
        task_run_id: task.map(|(_, run_id)| run_id.to_string()),
        attempt_number: task.map(|_| 0),
        timestamp: now_micros(),
        level,
        thread: THREAD.to_string(),
        message,
        deleted: false,
    }
}

/// Appends a log line to an execution, echoing it on stderr for whoever runs the server.
fn log(app: &App, id: &str, task: Option<(&str, &str)>, level: Level, message: String) {
    app.update(id, |record| {
        let entry = log_entry(&record.execution, task, level, message);
        eprintln!("[{id}] {}", entry.pretty());
        record.logs.push(entry);
    });
}

/// How a task ended.
enum Outcome {
    /// Succeeded with these outputs (`None` for tasks without outputs).
    Success(Option<Value>),
    /// Failed; the reason was already logged.
    Failed,
    /// Stopped by a kill request.
    Killed,
}

/// Changes the state of an execution.
fn set_execution_state(app: &App, id: &str, state: StateType) {
    app.update(id, |record| {
        record.execution.state.push(state, now_micros())
    });
}

/// Changes the state of a task run and of its current attempt; RUNNING after an ended
/// attempt starts a new one.
fn set_task_state(app: &App, id: &str, run_id: &str, state: StateType, outputs: Option<Value>) {
    app.update(id, |record| {
        let now = now_micros();
        let runs = &mut record.execution.task_run_list;
        if let Some(run) = runs.iter_mut().find(|run| run.id == run_id) {
            if state == StateType::Retrying {
                run.state.reopen(state, now);
            } else {
                run.state.push(state, now);
            }
            let last_ended = run
                .attempts
                .last()
                .is_none_or(|attempt| attempt.state.current().is_terminated());
            if state == StateType::Running && last_ended {
                let histories = vec![(state, now)];
                run.attempts.push(TaskRunAttempt {
                    state: State { histories },
                });
            } else if state != StateType::Retrying {
                if let Some(attempt) = run.attempts.last_mut() {
                    attempt.state.push(state, now);
                }
            }
            if outputs.is_some() {
                run.outputs = outputs;
            }
        }
    });
}

/// The variables templates can read.
fn context(execution: &Execution, flow: &Flow) -> Value {
    let labels: Map<String, Value> = execution
        .labels
        .iter()
        .map(|label| (label.key.clone(), Value::String(label.value.clone())))
        .collect();
    let start = execution.state.histories.first().map_or(0, |entry| entry.1);
    json!({
        "inputs": execution.inputs,
        "outputs": {},
        "execution": {
            "id": execution.id,
            "startDate": format_instant(start),
            "originalId": execution.original_id,
        },
        "flow": {
            "id": flow.id,
            "namespace": flow.namespace,
            "revision": flow.revision,
            "tenantId": TENANT,
        },
        "labels": labels,
    })
}

/// Runs an execution to its end.
pub async fn run_execution(app: Arc<App>, flow: Flow, id: String) {
    let Some(execution) = app.execution(&id) else {
        return;
    };
    let Some(mut kill) = app.kill_signal(&id) else {
        return;
    };
    let mut ctx = context(&execution, &flow);
    // Held until the execution ends, so that the next queued one may start.
    let _slot = match flow.concurrency_limit {
        None => None,
        Some(limit) => match take_slot(&app, &id, &flow, limit, &mut kill).await {
            Some(permit) => Some(permit),
            None => {
                set_execution_state(&app, &id, StateType::Killed);
                return;
            }
        },
    };
    set_execution_state(&app, &id, StateType::Running);

    let mut final_state = StateType::Success;
    for task in &flow.tasks {
        if *kill.borrow() {
            final_state = StateType::Killed;
            break;
        }
        match run_task_run(&app, &id, task, &mut ctx, &mut kill).await {
            Outcome::Success(_) => {}
            Outcome::Failed => {
                final_state = StateType::Failed;
                break;
            }
            Outcome::Killed => {
                final_state = StateType::Killed;
                break;
            }
        }
    }

    // The `errors` branch runs after a failure; the execution stays FAILED whatever it does.
    if final_state == StateType::Failed {
        for task in &flow.errors {
            if *kill.borrow() {
                final_state = StateType::Killed;
                break;
            }
            if let Outcome::Killed = run_task_run(&app, &id, task, &mut ctx, &mut kill).await {
                final_state = StateType::Killed;
                break;
            }
        }
    }
    if final_state == StateType::Success {
        final_state = render_flow_outputs(&app, &id, &flow, &ctx);
    }
    set_execution_state(&app, &id, final_state);
    let exec_dir = app.config.work_dir.join(&id);
    // Task directories are scratch space, as in Kestra's workers.
    let _ = tokio::fs::remove_dir_all(exec_dir).await;
}

/// Resume signals of the paused executions, by execution id.
static PAUSED: OnceLock<Mutex<HashMap<String, Arc<Notify>>>> = OnceLock::new();

/// Why an execution cannot be resumed.
#[derive(Debug, PartialEq, Eq)]
pub enum ResumeError {
    /// No execution has this id.
    NotFound,
    /// The execution is not PAUSED; the text is Kestra's message.
    NotPaused(String),
}

/// Resumes a PAUSED execution, as `POST .../executions/{id}/resume` does: the paused task
/// succeeds and the execution goes RESTARTED, then RUNNING.
pub fn resume(app: &App, id: &str) -> Result<(), ResumeError> {
    let state = app
        .read(id, |record| record.execution.state.current())
        .ok_or(ResumeError::NotFound)?;
    let signal = lock(PAUSED.get_or_init(Mutex::default)).get(id).cloned();
    match signal {
        Some(signal) if state == StateType::Paused => {
            signal.notify_one();
            Ok(())
        }
        _ => Err(ResumeError::NotPaused(format!(
            "Execution '{id}' is not paused, can't resume it"
        ))),
    }
}

/// Runs a Pause task: PAUSED until resumed, the pause duration has passed or a kill.
async fn pause(
    app: &App,
    id: &str,
    run_id: &str,
    duration: Option<Duration>,
    kill: &mut watch::Receiver<bool>,
) -> Outcome {
    let signal = Arc::new(Notify::new());
    lock(PAUSED.get_or_init(Mutex::default)).insert(id.to_string(), Arc::clone(&signal));
    set_task_state(app, id, run_id, StateType::Paused, None);
    set_execution_state(app, id, StateType::Paused);
    let resumed = tokio::select! {
        () = signal.notified() => true,
        () = expire(duration.map(|duration| (tokio::time::Instant::now() + duration, duration)))
            => true,
        () = wait_for_kill(kill) => false,
    };
    lock(PAUSED.get_or_init(Mutex::default)).remove(id);
    if !resumed {
        return Outcome::Killed;
    }
    set_execution_state(app, id, StateType::Restarted);
    set_execution_state(app, id, StateType::Running);
    set_task_state(app, id, run_id, StateType::Running, None);
    Outcome::Success(None)
}

/// Semaphores of the flows with a concurrency limit, by (namespace, flow id).
type Slots = HashMap<(String, String), Arc<Semaphore>>;

/// Concurrency slots of the flows with a limit.
static SLOTS: OnceLock<Mutex<Slots>> = OnceLock::new();

/// Waits in QUEUED for a slot of the flow's concurrency limit; `None` if killed meanwhile.
/// Tokio's semaphore serves waiters in order, so queued executions start first in, first out.
async fn take_slot(
    app: &App,
    id: &str,
    flow: &Flow,
    limit: usize,
    kill: &mut watch::Receiver<bool>,
) -> Option<OwnedSemaphorePermit> {
    let slots = {
        let mut all = lock(SLOTS.get_or_init(Mutex::default));
        let key = (flow.namespace.clone(), flow.id.clone());
        Arc::clone(
            all.entry(key)
                .or_insert_with(|| Arc::new(Semaphore::new(limit))),
        )
    };
    if let Ok(permit) = Arc::clone(&slots).try_acquire_owned() {
        return Some(permit);
    }
    set_execution_state(app, id, StateType::Queued);
    tokio::select! {
        permit = slots.acquire_owned() => permit.ok(),
        () = wait_for_kill(kill) => None,
    }
}

/// Creates the task run of a task and runs its attempts; a success adds the task's outputs
/// to the template context.
async fn run_task_run(
    app: &Arc<App>,
    id: &str,
    task: &Task,
    ctx: &mut Value,
    kill: &mut watch::Receiver<bool>,
) -> Outcome {
    let run_id = new_id();
    app.update(id, |record| {
        let execution = &record.execution;
        record.execution.task_run_list.push(TaskRun {
            id: run_id.clone(),
            execution_id: id.to_string(),
            namespace: execution.namespace.clone(),
            flow_id: execution.flow_id.clone(),
            task_id: task.id.clone(),
            attempts: Vec::new(),
            outputs: None,
            state: State::created(now_micros()),
            tenant_id: TENANT.to_string(),
        });
    });
    let max_attempts = task.retry.as_ref().map_or(1, |retry| retry.max_attempts);
    let mut attempt = 1;
    loop {
        set_task_state(app, id, &run_id, StateType::Running, None);
        let outcome = run_task(app, id, &run_id, task, ctx, kill).await;
        match outcome {
            Outcome::Success(outputs) => {
                if let (Some(outputs), Some(all)) = (&outputs, ctx.get_mut("outputs")) {
                    if let Some(all) = all.as_object_mut() {
                        all.insert(task.id.clone(), outputs.clone());
                    }
                }
                set_task_state(app, id, &run_id, StateType::Success, outputs.clone());
                return Outcome::Success(outputs);
            }
            Outcome::Failed => {
                set_task_state(app, id, &run_id, StateType::Failed, None);
                let Some(retry) = task.retry.as_ref().filter(|_| attempt < max_attempts) else {
                    return Outcome::Failed;
                };
                // Kestra marks the task run and the execution RETRYING until the next try.
                set_task_state(app, id, &run_id, StateType::Retrying, None);
                set_execution_state(app, id, StateType::Retrying);
                let waited = tokio::select! {
                    () = tokio::time::sleep(retry.interval) => true,
                    () = wait_for_kill(kill) => false,
                };
                if !waited {
                    set_task_state(app, id, &run_id, StateType::Killed, None);
                    return Outcome::Killed;
                }
                set_execution_state(app, id, StateType::Running);
                attempt += 1;
            }
            Outcome::Killed => {
                set_task_state(app, id, &run_id, StateType::Killed, None);
                return Outcome::Killed;
            }
        }
    }
}

/// Renders and converts the flow outputs; returns the resulting execution state.
fn render_flow_outputs(app: &App, id: &str, flow: &Flow, ctx: &Value) -> StateType {
    let mut outputs = Map::new();
    for output in &flow.outputs {
        let converted = expr::render(&output.value, ctx).and_then(|text| output.convert(&text));
        match converted {
            Ok(value) => {
                outputs.insert(output.id.clone(), value);
            }
            Err(reason) => {
                log(
                    app,
                    id,
                    None,
                    Level::Error,
                    format!("Failed to render outputs: {reason}"),
                );
                return StateType::Failed;
            }
        }
    }
    app.update(id, |record| record.execution.outputs = outputs);
    StateType::Success
}

/// Runs one task.
async fn run_task(
    app: &Arc<App>,
    id: &str,
    run_id: &str,
    task: &Task,
    ctx: &Value,
    kill: &mut watch::Receiver<bool>,
) -> Outcome {
    let who = Some((task.id.as_str(), run_id));
    let deadline = task
        .timeout
        .map(|timeout| (tokio::time::Instant::now() + timeout, timeout));
    match &task.kind {
        TaskKind::Log { message, level } => match expr::render(message, ctx) {
            Ok(text) => {
                log(app, id, who, *level, text);
                Outcome::Success(None)
            }
            Err(reason) => {
                log(app, id, who, Level::Error, reason);
                Outcome::Failed
            }
        },
        TaskKind::Sleep { duration } => {
            tokio::select! {
                () = tokio::time::sleep(*duration) => Outcome::Success(None),
                () = wait_for_kill(kill) => Outcome::Killed,
                () = expire(deadline) => {
                    log(app, id, who, Level::Error, timeout_message(deadline));
                    Outcome::Failed
                }
            }
        }
        TaskKind::Pause { duration } => pause(app, id, run_id, *duration, kill).await,
        TaskKind::Fail { message } => {
            // Kestra throws the rendered message, which the worker logs as the task's error.
            let text = expr::render(message, ctx).unwrap_or_else(|reason| reason);
            log(app, id, who, Level::Error, text);
            Outcome::Failed
        }
        TaskKind::Script { .. } | TaskKind::Commands { .. } => {
            match run_process(app, id, run_id, task, ctx, kill, deadline).await {
                Ok(outcome) => outcome,
                Err(reason) => {
                    log(app, id, who, Level::Error, reason);
                    Outcome::Failed
                }
            }
        }
    }
}

/// Quotes a string for `/bin/sh`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Checks that a name from a flow stays inside the working directory.
fn relative_path(name: &str) -> Result<PathBuf, String> {
    let path = Path::new(name);
    let inside = path
        .components()
        .all(|part| matches!(part, Component::Normal(_)));
    if name.is_empty() || !inside {
        return Err(format!(
            "Invalid input file name `{name}`: it must be a relative path"
        ));
    }
    Ok(path.to_path_buf())
}

/// Maps a `kestra:///` URI to the stored file, if it is one.
pub fn storage_path(storage_dir: &Path, uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("kestra:///")?;
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .ok()?;
    let relative = relative_path(&decoded).ok()?;
    Some(storage_dir.join(relative))
}

/// Renders a map of templates.
fn render_map(
    map: &BTreeMap<String, String>,
    ctx: &Value,
) -> Result<BTreeMap<String, String>, String> {
    map.iter()
        .map(|(key, value)| Ok((key.clone(), expr::render(value, ctx)?)))
        .collect()
}

/// Prepares the working directory and runs the task's shell script.
async fn run_process(
    app: &Arc<App>,
    id: &str,
    run_id: &str,
    task: &Task,
    ctx: &Value,
    kill: &mut watch::Receiver<bool>,
    deadline: Option<(tokio::time::Instant, Duration)>,
) -> Result<Outcome, String> {
    let work_dir = app.config.work_dir.join(id).join(run_id);
    tokio::fs::create_dir_all(&work_dir)
        .await
        .map_err(|error| format!("Unable to create {}: {error}", work_dir.display()))?;

    let env = render_map(&task.env, ctx)?;
    for (name, content) in render_map(&task.input_files, ctx)? {
        let target = work_dir.join(relative_path(&name)?);
        if let Some(parent) = target.parent() {
            let _ = tokio::fs::create_dir_all(parent).await;
        }
        let written = match storage_path(&app.config.storage_dir, content.trim()) {
            Some(stored) => tokio::fs::copy(&stored, &target).await.map(|_| ()),
            None => tokio::fs::write(&target, content.as_bytes()).await,
        };
        written.map_err(|error| format!("Unable to write input file `{name}`: {error}"))?;
    }

    let context_file = work_dir.join(workdir::CONTEXT_FILE);
    if task.execution_context {
        let text = execution_context(app, id, run_id, task, ctx).to_string();
        tokio::fs::write(&context_file, text)
            .await
            .map_err(|error| format!("Unable to write the execution context: {error}"))?;
    }

    let mut lines = vec!["set -e".to_string()];
    for command in &task.before_commands {
        lines.push(expr::render(command, ctx)?);
    }
    match &task.kind {
        TaskKind::Script { script, runtime } => {
            let source = expr::render(script, ctx)?;
            let (extension, program) = match runtime {
                Runtime::Node => ("js", "node"),
                Runtime::Deno => ("ts", "deno run --allow-all"),
                Runtime::Bun => ("ts", "bun"),
            };
            let file = work_dir.join(format!("{}.{extension}", task.id));
            tokio::fs::write(&file, source)
                .await
                .map_err(|error| format!("Unable to write the script: {error}"))?;
            lines.push(format!(
                "{program} {}",
                shell_quote(&file.to_string_lossy())
            ));
        }
        TaskKind::Commands { commands } => {
            for command in commands {
                lines.push(expr::render(command, ctx)?);
            }
        }
        TaskKind::Log { .. }
        | TaskKind::Sleep { .. }
        | TaskKind::Pause { .. }
        | TaskKind::Fail { .. } => return Err("This task has no process".to_string()),
    }

    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(lines.join("\n"))
        .current_dir(&work_dir)
        .env("NODE_PATH", app.config.work_dir.join("node_modules"))
        .env("PATH", search_path())
        .envs(&env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|error| format!("Unable to start /bin/sh: {error}"))?;
    let group = child.id().and_then(|pid| i32::try_from(pid).ok());
    if let Some(group) = group {
        lock(&app.process_groups).insert(group);
    }

    let sink = Arc::new(LineSink {
        app: Arc::clone(app),
        id: id.to_string(),
        task_id: task.id.clone(),
        run_id: run_id.to_string(),
        acc: Mutex::new(TaskAccumulator::default()),
    });
    let mut readers = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        readers.push(tokio::spawn(read_stream(stdout, Arc::clone(&sink), false)));
    }
    if let Some(stderr) = child.stderr.take() {
        readers.push(tokio::spawn(read_stream(stderr, Arc::clone(&sink), true)));
    }

    let status = tokio::select! {
        status = child.wait() => Some(Ok(status)),
        () = wait_for_kill(kill) => None,
        () = expire(deadline) => Some(Err(())),
    };

    // Whatever the shell left behind in its group goes too, so the readers see the end of
    // their pipes.
    if let Some(group) = group {
        kill_group(group);
        lock(&app.process_groups).remove(&group);
    }
    let status = match status {
        Some(Ok(status)) => status,
        Some(Err(())) => {
            let _ = child.wait().await;
            drain(readers).await;
            sink.store_metrics();
            let who = Some((task.id.as_str(), run_id));
            log(app, id, who, Level::Error, timeout_message(deadline));
            return Ok(Outcome::Failed);
        }
        None => {
            let _ = child.wait().await;
            drain(readers).await;
            sink.store_metrics();
            let who = Some((task.id.as_str(), run_id));
            log(app, id, who, Level::Warn, "Task killed".to_string());
            return Ok(Outcome::Killed);
        }
    };
    drain(readers).await;
    sink.store_metrics();
    // The context file is gone once the commands have ended, as in Kestra.
    let _ = tokio::fs::remove_file(&context_file).await;
    let stored = if task.output_files.is_empty() {
        Ok(None)
    } else {
        let prefix = format!(
            "{}/{}/executions/{id}/tasks/{}/{run_id}",
            app.read(id, |record| record.execution.namespace.replace('.', "/"))
                .unwrap_or_default(),
            app.read(id, |record| record.execution.flow_id.clone())
                .unwrap_or_default(),
            task.id
        );
        workdir::store_output_files(
            &work_dir,
            &task.output_files,
            &app.config.storage_dir,
            &prefix,
        )
        .map(Some)
    };
    let _ = tokio::fs::remove_dir_all(&work_dir).await;

    let status = status.map_err(|error| format!("Unable to wait for the process: {error}"))?;
    // A process ended by a signal reports 128 + the signal number, as Java's Process does.
    let code = status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(-1);
    if code != 0 {
        let who = Some((task.id.as_str(), run_id));
        log(
            app,
            id,
            who,
            Level::Error,
            format!("Command failed with exit code {code}"),
        );
        return Ok(Outcome::Failed);
    }
    let vars = std::mem::take(&mut lock(&sink.acc).vars);
    let mut outputs = json!({"vars": vars, "exitCode": code});
    if let (Some(files), Some(object)) = (stored?, outputs.as_object_mut()) {
        object.insert("outputFiles".to_string(), Value::Object(files));
    }
    Ok(Outcome::Success(Some(outputs)))
}

/// The directories searched for programs: `KESTRA_EMULATOR_PATH` (a `PATH`-like list, for
/// runtimes such as Deno or Bun installed outside `PATH`), then the server's own `PATH`.
fn search_path() -> std::ffi::OsString {
    let paths = std::env::var_os("KESTRA_EMULATOR_PATH")
        .into_iter()
        .chain(std::env::var_os("PATH"))
        .flat_map(|list| std::env::split_paths(&list).collect::<Vec<_>>());
    std::env::join_paths(paths).unwrap_or_default()
}

/// The content of `.kestra-execution-context.json`: the template variables plus the task and
/// its task run, without `envs` and `globals`.
fn execution_context(app: &App, id: &str, run_id: &str, task: &Task, ctx: &Value) -> Value {
    let (attempts, start) = app
        .read(id, |record| {
            let run = record
                .execution
                .task_run_list
                .iter()
                .find(|run| run.id == run_id);
            let attempts = run.map_or(0, |run| run.attempts.len().saturating_sub(1));
            let start = run.and_then(|run| run.state.histories.first().map(|entry| entry.1));
            (attempts, start.unwrap_or_default())
        })
        .unwrap_or_default();
    let mut context = ctx.clone();
    if let Some(object) = context.as_object_mut() {
        object.insert("vars".to_string(), json!({}));
        object.insert(
            "task".to_string(),
            json!({"id": task.id, "type": task.type_name}),
        );
        object.insert(
            "taskrun".to_string(),
            json!({"id": run_id, "startDate": format_instant(start), "attemptsCount": attempts}),
        );
    }
    context
}

/// Waits for the output readers; a process that escaped its group (a new session) could
/// keep a pipe open forever, so the wait is bounded.
async fn drain(readers: Vec<tokio::task::JoinHandle<()>>) {
    for reader in readers {
        let abort = reader.abort_handle();
        if tokio::time::timeout(READER_GRACE, reader).await.is_err() {
            abort.abort();
        }
    }
}

/// How long output readers may run once the process has ended.
const READER_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Resolves at the deadline of a task with a timeout, never for the others.
async fn expire(deadline: Option<(tokio::time::Instant, Duration)>) {
    match deadline {
        Some((at, _)) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Kestra's message for an attempt that ran out of time: `Timeout after HH:mm:ss.SSS`.
fn timeout_message(deadline: Option<(tokio::time::Instant, Duration)>) -> String {
    let millis = deadline.map_or(0, |(_, timeout)| timeout.as_millis());
    let (hours, rest) = (millis / 3_600_000, millis % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    format!("Timeout after {hours:02}:{minutes:02}:{seconds:02}.{millis:03}")
}

/// Resolves once a kill is requested (never, if the sender is gone).
async fn wait_for_kill(kill: &mut watch::Receiver<bool>) {
    loop {
        if *kill.borrow_and_update() {
            return;
        }
        if kill.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Sends SIGKILL to a process group.
pub fn kill_group(group: i32) {
    // SAFETY: kill(2) only takes plain integers; a stale group id just fails with ESRCH.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

/// Receives the lines of one task's process.
struct LineSink {
    app: Arc<App>,
    id: String,
    task_id: String,
    run_id: String,
    acc: Mutex<TaskAccumulator>,
}

impl LineSink {
    fn log(&self, level: Level, message: String) {
        log(
            &self.app,
            &self.id,
            Some((&self.task_id, &self.run_id)),
            level,
            message,
        );
    }

    fn line(&self, line: &str, stderr: bool) {
        match protocol::classify(line) {
            LineEvent::Text(text) => {
                self.log(if stderr { Level::Error } else { Level::Info }, text);
            }
            LineEvent::Invalid(message) => self.log(Level::Warn, message),
            LineEvent::Frame(frame) => {
                lock(&self.acc).apply(&frame);
                for entry in frame.logs {
                    self.log(entry.level, entry.message);
                }
            }
        }
    }

    /// Publishes the task's metrics on the execution.
    fn store_metrics(&self) {
        let metrics = lock(&self.acc).metrics.clone();
        if metrics.is_empty() {
            return;
        }
        let now = now_micros();
        self.app.update(&self.id, |record| {
            for metric in metrics {
                let value = match metric.kind {
                    // Kestra stores timers as whole milliseconds (`Duration.toMillis`).
                    MetricKind::Timer => (metric.value * 1000.0).trunc(),
                    _ => metric.value,
                };
                record.metrics.push(MetricEntry {
                    tenant_id: TENANT.to_string(),
                    namespace: record.execution.namespace.clone(),
                    flow_id: record.execution.flow_id.clone(),
                    task_id: self.task_id.clone(),
                    execution_id: self.id.clone(),
                    task_run_id: self.run_id.clone(),
                    kind: metric.kind.as_str().to_string(),
                    name: metric.name,
                    value,
                    timestamp: now,
                    tags: metric.tags,
                    deleted: false,
                });
            }
        });
    }
}

/// Reads a stream to its end, feeding complete lines to the sink.
async fn read_stream(mut stream: impl AsyncRead + Unpin, sink: Arc<LineSink>, stderr: bool) {
    let mut splitter = LineSplitter::new();
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) => break,
            Ok(read) => {
                for line in splitter.push(buffer.get(..read).unwrap_or_default()) {
                    sink.line(&line, stderr);
                }
            }
            Err(error) => {
                sink.log(
                    Level::Error,
                    format!("Unable to read the process output: {error}"),
                );
                break;
            }
        }
    }
    if let Some(line) = splitter.finish() {
        sink.line(&line, stderr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_print_like_kestra() {
        let at = tokio::time::Instant::now();
        let message = |millis| timeout_message(Some((at, Duration::from_millis(millis))));
        assert_eq!(message(500), "Timeout after 00:00:00.500");
        assert_eq!(message(3_723_004), "Timeout after 01:02:03.004");
    }

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("/a b/c.js"), "'/a b/c.js'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn input_file_names_stay_inside() {
        assert!(relative_path("data.csv").is_ok());
        assert!(relative_path("dir/data.csv").is_ok());
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "."] {
            assert!(relative_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn storage_uris_map_into_the_storage_dir() {
        let dir = Path::new("/store");
        assert_eq!(
            storage_path(dir, "kestra:///a/b/my%20file.csv"),
            Some(PathBuf::from("/store/a/b/my file.csv"))
        );
        assert_eq!(storage_path(dir, "kestra:///a/../../etc"), None);
        assert_eq!(storage_path(dir, "hello"), None);
    }
}
