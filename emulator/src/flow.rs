//! Flow files: the YAML model the emulator runs, and its validation at start-up.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use serde_yaml::Value as Yaml;

use crate::inputs::{self, InputDef, InputType};
use crate::model::{Label, Level};

/// Task type of the Node script task.
pub const NODE_SCRIPT: &str = "io.kestra.plugin.scripts.node.Script";
/// Task type of the Node commands task.
pub const NODE_COMMANDS: &str = "io.kestra.plugin.scripts.node.Commands";
/// Task type of the Deno script task.
pub const DENO_SCRIPT: &str = "io.kestra.plugin.scripts.deno.Script";
/// Task type of the Deno commands task.
pub const DENO_COMMANDS: &str = "io.kestra.plugin.scripts.deno.Commands";
/// Task type of the Bun script task.
pub const BUN_SCRIPT: &str = "io.kestra.plugin.scripts.bun.Script";
/// Task type of the Bun commands task.
pub const BUN_COMMANDS: &str = "io.kestra.plugin.scripts.bun.Commands";
/// Task type of the log task.
pub const LOG: &str = "io.kestra.plugin.core.log.Log";
/// Task type of the sleep task.
pub const SLEEP: &str = "io.kestra.plugin.core.flow.Sleep";
/// Task type of the pause task.
pub const PAUSE: &str = "io.kestra.plugin.core.flow.Pause";
/// Task type of the fail task.
pub const FAIL: &str = "io.kestra.plugin.core.execution.Fail";

/// What a task does.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskKind {
    /// Write `script` to a file and run it with the runtime.
    Script {
        /// Script source (a template).
        script: String,
        /// Program that runs it.
        runtime: Runtime,
    },
    /// Run shell commands.
    Commands {
        /// Command lines (templates).
        commands: Vec<String>,
    },
    /// Log a message.
    Log {
        /// Message (a template).
        message: String,
        /// Level, INFO by default.
        level: Level,
    },
    /// Wait, then succeed.
    Sleep {
        /// How long to wait.
        duration: Duration,
    },
    /// Pause the execution until it is resumed, or for a while.
    Pause {
        /// When set, the execution resumes by itself after this long.
        duration: Option<Duration>,
    },
    /// Fail with a message.
    Fail {
        /// Error message (a template).
        message: String,
    },
}

/// The JavaScript runtime of a script task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// `node <task>.js`.
    Node,
    /// `deno run --allow-all <task>.ts`.
    Deno,
    /// `bun <task>.ts`.
    Bun,
}

/// A task of a flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Task id.
    pub id: String,
    /// Task type as written in the flow.
    pub type_name: String,
    /// Behaviour and its properties.
    pub kind: TaskKind,
    /// Commands run before the script or commands (templates).
    pub before_commands: Vec<String>,
    /// Files written in the working directory: name → content template.
    pub input_files: BTreeMap<String, String>,
    /// Environment variables: name → value template.
    pub env: BTreeMap<String, String>,
    /// Globs of working-directory files stored after a successful run.
    pub output_files: Vec<String>,
    /// Whether `.kestra-execution-context.json` is written for the commands.
    pub execution_context: bool,
    /// Longest time one attempt may run.
    pub timeout: Option<Duration>,
    /// How failed attempts are retried.
    pub retry: Option<Retry>,
}

/// A task's `retry` property; only the `constant` type is supported.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Wait between two attempts.
    pub interval: Duration,
}

/// The conversion types of flow outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    /// Text as rendered.
    String,
    /// `Integer.valueOf`.
    Int,
    /// `Float.valueOf`.
    Float,
    /// `Boolean.valueOf`.
    Bool,
    /// Any JSON text.
    Json,
}

/// A flow output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDef {
    /// Output id.
    pub id: String,
    /// Conversion type.
    pub kind: OutputType,
    /// Value template.
    pub value: String,
}

impl OutputDef {
    /// Converts the rendered value to the declared type.
    pub fn convert(&self, text: &str) -> Result<Value, String> {
        let as_input = |kind| InputDef {
            id: self.id.clone(),
            kind,
            required: true,
            defaults: None,
            values: Vec::new(),
        };
        let result = match self.kind {
            OutputType::String => return Ok(Value::String(text.to_string())),
            OutputType::Int => inputs::parse_value(&as_input(InputType::Int), text),
            OutputType::Float => inputs::parse_value(&as_input(InputType::Float), text),
            OutputType::Bool => inputs::parse_value(&as_input(InputType::Bool), text),
            OutputType::Json => inputs::parse_value(&as_input(InputType::Json), text),
        };
        result.map_err(|cause| format!("Invalid value for output `{}`. Cause: {cause}", self.id))
    }
}

/// A loaded flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// Flow id.
    pub id: String,
    /// Namespace.
    pub namespace: String,
    /// Revision (1 unless the file says otherwise).
    pub revision: i64,
    /// Disabled flows cannot be executed.
    pub disabled: bool,
    /// Flow labels.
    pub labels: Vec<Label>,
    /// Declared inputs.
    pub inputs: Vec<InputDef>,
    /// Tasks in order.
    pub tasks: Vec<Task>,
    /// Tasks run after a task failed.
    pub errors: Vec<Task>,
    /// Most executions of the flow that run at once; the others wait in QUEUED.
    pub concurrency_limit: Option<usize>,
    /// Flow outputs.
    pub outputs: Vec<OutputDef>,
}

fn get<'a>(map: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    map.get(key).filter(|value| !value.is_null())
}

/// Reads a scalar as text, the way YAML scalars become strings in Kestra properties.
fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(text) => Some(text.clone()),
        Yaml::Number(number) => Some(number.to_string()),
        Yaml::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn required_string(map: &Yaml, key: &str, owner: &str) -> Result<String, String> {
    match get(map, key) {
        None => Err(format!("{owner}: `{key}` is required")),
        Some(value) => scalar(value).ok_or_else(|| format!("{owner}: `{key}` must be a string")),
    }
}

fn string_list(map: &Yaml, key: &str, owner: &str) -> Result<Vec<String>, String> {
    match get(map, key) {
        None => Ok(Vec::new()),
        Some(Yaml::Sequence(items)) => items
            .iter()
            .map(|item| scalar(item).ok_or_else(|| format!("{owner}: `{key}` must hold strings")))
            .collect(),
        Some(other) => scalar(other)
            .map(|one| vec![one])
            .ok_or_else(|| format!("{owner}: `{key}` must be a list of strings")),
    }
}

fn string_map(map: &Yaml, key: &str, owner: &str) -> Result<BTreeMap<String, String>, String> {
    match get(map, key) {
        None => Ok(BTreeMap::new()),
        Some(Yaml::Mapping(entries)) => {
            let mut out = BTreeMap::new();
            for (name, value) in entries {
                let name = scalar(name)
                    .ok_or_else(|| format!("{owner}: `{key}` must have string keys"))?;
                let value = if value.is_null() {
                    String::new()
                } else {
                    scalar(value)
                        .ok_or_else(|| format!("{owner}: `{key}.{name}` must be a string"))?
                };
                out.insert(name, value);
            }
            Ok(out)
        }
        Some(_) => Err(format!("{owner}: `{key}` must be a map")),
    }
}

/// Reads an ISO-8601 duration the way Java's `Duration.parse` does: `PnDTnHnMn.nS`, letters
/// in any case, each part optional but at least one present; negative parts are refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("`{text}` is not an ISO-8601 duration such as PT1M30S");
    let upper = text.trim().to_ascii_uppercase();
    let rest = upper.strip_prefix('P').ok_or_else(invalid)?;
    let (days, time) = match rest.split_once('T') {
        Some((days, time)) if !time.is_empty() => (days, time),
        Some(_) => return Err(invalid()),
        None => (rest, ""),
    };
    let mut seconds = 0.0_f64;
    let mut parts = 0;
    let mut read = |section: &str, units: &[(char, f64)]| -> Result<(), String> {
        let mut number = String::new();
        let mut next_unit = 0;
        for ch in section.chars() {
            if ch.is_ascii_digit() || ch == '.' {
                number.push(ch);
                continue;
            }
            let position = units
                .iter()
                .skip(next_unit)
                .position(|(unit, _)| *unit == ch)
                .ok_or_else(invalid)?;
            let scale = units.get(next_unit + position).map_or(0.0, |unit| unit.1);
            let value: f64 = number.parse().map_err(|_| invalid())?;
            // Only seconds may have a fraction.
            if number.contains('.') && ch != 'S' {
                return Err(invalid());
            }
            seconds += value * scale;
            parts += 1;
            next_unit += position + 1;
            number.clear();
        }
        if number.is_empty() {
            Ok(())
        } else {
            Err(invalid())
        }
    };
    read(days, &[('D', 86_400.0)])?;
    read(time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    if parts == 0 {
        return Err(invalid());
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| invalid())
}

fn check_id(text: &str, what: &str, allow_dot: bool, lower_only: bool) -> Result<(), String> {
    let mut chars = text.chars();
    let first_ok = chars.next().is_some_and(|ch| {
        ch.is_ascii_digit()
            || if lower_only {
                ch.is_ascii_lowercase()
            } else {
                ch.is_ascii_alphabetic()
            }
    });
    let rest_ok = chars.all(|ch| {
        let letter = if lower_only {
            ch.is_ascii_lowercase()
        } else {
            ch.is_ascii_alphabetic()
        };
        letter || ch.is_ascii_digit() || ch == '_' || ch == '-' || (allow_dot && ch == '.')
    });
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(format!("{what} `{text}` is not a valid identifier"))
    }
}

fn parse_labels(flow: &Yaml) -> Result<Vec<Label>, String> {
    match get(flow, "labels") {
        None => Ok(Vec::new()),
        Some(Yaml::Mapping(entries)) => entries
            .iter()
            .map(|(key, value)| match (scalar(key), scalar(value)) {
                (Some(key), Some(value)) => Ok(Label { key, value }),
                _ => Err("`labels` entries must be strings".to_string()),
            })
            .collect(),
        Some(Yaml::Sequence(items)) => items
            .iter()
            .map(|item| {
                let key = required_string(item, "key", "label")?;
                let value = required_string(item, "value", "label")?;
                Ok(Label { key, value })
            })
            .collect(),
        Some(_) => Err("`labels` must be a map or a list of {key, value}".to_string()),
    }
}

fn parse_input(item: &Yaml) -> Result<InputDef, String> {
    let id = required_string(item, "id", "input")?;
    check_id(&id, "input id", true, false)?;
    let owner = format!("input `{id}`");
    let type_name = required_string(item, "type", &owner)?;
    let kind = InputType::parse(&type_name)
        .ok_or_else(|| format!("{owner}: input type `{type_name}` is not supported"))?;
    let required = match get(item, "required") {
        None => true,
        Some(Yaml::Bool(flag)) => *flag,
        Some(_) => return Err(format!("{owner}: `required` must be true or false")),
    };
    let defaults = match get(item, "defaults") {
        None => None,
        Some(value) => Some(
            serde_json::to_value(value)
                .map_err(|error| format!("{owner}: unusable `defaults`: {error}"))?,
        ),
    };
    let values = string_list(item, "values", &owner)?;
    if kind == InputType::Select && values.is_empty() {
        return Err(format!("{owner}: a SELECT input needs `values`"));
    }
    Ok(InputDef {
        id,
        kind,
        required,
        defaults,
        values,
    })
}

fn parse_task(item: &Yaml) -> Result<Task, String> {
    let id = required_string(item, "id", "task")?;
    check_id(&id, "task id", false, false)?;
    let owner = format!("task `{id}`");
    let type_name = required_string(item, "type", &owner)?;
    let kind = match type_name.as_str() {
        NODE_SCRIPT | DENO_SCRIPT | BUN_SCRIPT => TaskKind::Script {
            script: required_string(item, "script", &owner)?,
            runtime: match type_name.as_str() {
                DENO_SCRIPT => Runtime::Deno,
                BUN_SCRIPT => Runtime::Bun,
                _ => Runtime::Node,
            },
        },
        NODE_COMMANDS | DENO_COMMANDS | BUN_COMMANDS => {
            let commands = string_list(item, "commands", &owner)?;
            if commands.is_empty() {
                return Err(format!("{owner}: `commands` is required"));
            }
            TaskKind::Commands { commands }
        }
        LOG => {
            let message = match get(item, "message") {
                Some(Yaml::Sequence(_)) => string_list(item, "message", &owner)?.join("\n"),
                _ => required_string(item, "message", &owner)?,
            };
            let level = match get(item, "level") {
                None => Level::Info,
                Some(value) => scalar(value)
                    .and_then(|name| Level::parse(&name))
                    .ok_or_else(|| {
                        format!(
                            "{owner}: `level` must be ERROR, WARN, INFO, DEBUG \
                                            or TRACE"
                        )
                    })?,
            };
            TaskKind::Log { message, level }
        }
        SLEEP => TaskKind::Sleep {
            duration: parse_duration(&required_string(item, "duration", &owner)?)
                .map_err(|reason| format!("{owner}: `duration`: {reason}"))?,
        },
        PAUSE => {
            // `pauseDuration` is the current name, `delay` the older one.
            let duration = match get(item, "pauseDuration").or_else(|| get(item, "delay")) {
                None => None,
                Some(value) => Some(
                    scalar(value)
                        .ok_or_else(|| format!("{owner}: `pauseDuration` must be a string"))
                        .and_then(|text| {
                            parse_duration(&text)
                                .map_err(|reason| format!("{owner}: `pauseDuration`: {reason}"))
                        })?,
                ),
            };
            if let Some(behavior) = get(item, "behavior").and_then(scalar) {
                if behavior != "RESUME" {
                    return Err(format!(
                        "{owner}: `behavior` {behavior} is not supported (only RESUME)"
                    ));
                }
            }
            TaskKind::Pause { duration }
        }
        FAIL => TaskKind::Fail {
            // Kestra's default message (`Fail.errorMessage`).
            message: match get(item, "errorMessage") {
                None => "Task failure".to_string(),
                Some(_) => required_string(item, "errorMessage", &owner)?,
            },
        },
        other => return Err(format!("{owner}: unsupported task type `{other}`")),
    };
    Ok(Task {
        id,
        type_name,
        kind,
        before_commands: string_list(item, "beforeCommands", &owner)?,
        input_files: string_map(item, "inputFiles", &owner)?,
        env: string_map(item, "env", &owner)?,
        output_files: string_list(item, "outputFiles", &owner)?,
        execution_context: match get(item, "executionContext") {
            None => false,
            Some(value) => value
                .as_bool()
                .ok_or_else(|| format!("{owner}: `executionContext` must be true or false"))?,
        },
        timeout: match get(item, "timeout") {
            None => None,
            Some(_) => Some(
                parse_duration(&required_string(item, "timeout", &owner)?)
                    .map_err(|reason| format!("{owner}: `timeout`: {reason}"))?,
            ),
        },
        retry: match get(item, "retry") {
            None => None,
            Some(retry) => Some(parse_retry(retry, &owner)?),
        },
    })
}

/// Reads `retry: {type: constant, maxAttempts, interval}`; `maxAttempt` is the older name.
fn parse_retry(retry: &Yaml, owner: &str) -> Result<Retry, String> {
    let owner = format!("{owner}: `retry`");
    let kind = required_string(retry, "type", &owner)?;
    if kind != "constant" {
        return Err(format!(
            "{owner}: only the `constant` type is supported, not `{kind}`"
        ));
    }
    let attempts = get(retry, "maxAttempts").or_else(|| get(retry, "maxAttempt"));
    let max_attempts = attempts
        .and_then(Yaml::as_u64)
        .and_then(|count| u32::try_from(count).ok())
        .filter(|count| *count >= 1)
        .ok_or_else(|| format!("{owner}: `maxAttempts` must be a positive integer"))?;
    let interval = parse_duration(&required_string(retry, "interval", &owner)?)
        .map_err(|reason| format!("{owner}: `interval`: {reason}"))?;
    Ok(Retry {
        max_attempts,
        interval,
    })
}

fn parse_output(item: &Yaml) -> Result<OutputDef, String> {
    let id = required_string(item, "id", "output")?;
    let owner = format!("output `{id}`");
    let type_name = required_string(item, "type", &owner)?;
    let kind = match type_name.as_str() {
        "STRING" => OutputType::String,
        "INT" => OutputType::Int,
        "FLOAT" => OutputType::Float,
        "BOOL" | "BOOLEAN" => OutputType::Bool,
        "JSON" => OutputType::Json,
        other => return Err(format!("{owner}: output type `{other}` is not supported")),
    };
    let value = match get(item, "value") {
        None => return Err(format!("{owner}: `value` is required")),
        Some(value) => match scalar(value) {
            Some(text) => text,
            // A structured value is written as JSON text, which a JSON output reads back.
            None => serde_json::to_string(value)
                .map_err(|error| format!("{owner}: unusable `value`: {error}"))?,
        },
    };
    Ok(OutputDef { id, kind, value })
}

fn list<'a>(flow: &'a Yaml, key: &str) -> Result<&'a [Yaml], String> {
    match get(flow, key) {
        None => Ok(&[]),
        Some(Yaml::Sequence(items)) => Ok(items),
        Some(_) => Err(format!("`{key}` must be a list")),
    }
}

/// Reads `concurrency: {limit, behavior}`; only the QUEUE behaviour (the default) is supported.
fn parse_concurrency(flow: &Yaml) -> Result<Option<usize>, String> {
    let Some(concurrency) = get(flow, "concurrency") else {
        return Ok(None);
    };
    let limit = get(concurrency, "limit")
        .and_then(Yaml::as_u64)
        .and_then(|limit| usize::try_from(limit).ok())
        .filter(|limit| *limit >= 1)
        .ok_or("`concurrency.limit` must be a positive integer")?;
    match get(concurrency, "behavior").and_then(scalar).as_deref() {
        None | Some("QUEUE") => Ok(Some(limit)),
        Some(other) => Err(format!(
            "`concurrency.behavior` {other} is not supported (only QUEUE)"
        )),
    }
}

/// Parses and validates the text of a flow file.
/// Checks every string below `value` with [`crate::expr::check`]. YAML nesting is bounded
/// by the YAML reader, so the recursion is too.
fn check_templates(value: &Yaml) -> Result<(), String> {
    match value {
        Yaml::String(text) => crate::expr::check(text),
        Yaml::Sequence(items) => items.iter().try_for_each(check_templates),
        Yaml::Mapping(entries) => entries.values().try_for_each(check_templates),
        Yaml::Tagged(tagged) => check_templates(&tagged.value),
        _ => Ok(()),
    }
}

pub fn parse_flow(text: &str) -> Result<Flow, String> {
    let root: Yaml =
        serde_yaml::from_str(text).map_err(|error| format!("invalid YAML: {error}"))?;
    if !root.is_mapping() {
        return Err("a flow must be a YAML mapping".to_string());
    }
    let id = required_string(&root, "id", "flow")?;
    check_id(&id, "flow id", true, false)?;
    let namespace = required_string(&root, "namespace", "flow")?;
    check_id(&namespace, "namespace", true, true)?;
    let revision = match get(&root, "revision") {
        None => 1,
        Some(value) => value.as_i64().ok_or("`revision` must be an integer")?,
    };
    let disabled = match get(&root, "disabled") {
        None => false,
        Some(value) => value.as_bool().ok_or("`disabled` must be true or false")?,
    };

    let inputs = list(&root, "inputs")?
        .iter()
        .map(parse_input)
        .collect::<Result<Vec<_>, _>>()?;
    let tasks = list(&root, "tasks")?
        .iter()
        .map(parse_task)
        .collect::<Result<Vec<_>, _>>()?;
    let errors = list(&root, "errors")?
        .iter()
        .map(parse_task)
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = list(&root, "outputs")?
        .iter()
        .map(parse_output)
        .collect::<Result<Vec<_>, _>>()?;
    if tasks.is_empty() {
        return Err("a flow needs at least one task in `tasks`".to_string());
    }
    for key in ["tasks", "errors", "outputs"] {
        if let Some(section) = get(&root, key) {
            check_templates(section).map_err(|reason| format!("`{key}`: {reason}"))?;
        }
    }
    let every_task: Vec<&Task> = tasks.iter().chain(&errors).collect();
    for (index, task) in every_task.iter().enumerate() {
        if every_task
            .iter()
            .skip(index + 1)
            .any(|other| other.id == task.id)
        {
            return Err(format!("task id `{}` is used twice", task.id));
        }
    }
    for (index, input) in inputs.iter().enumerate() {
        if inputs
            .iter()
            .skip(index + 1)
            .any(|other| other.id == input.id)
        {
            return Err(format!("input id `{}` is used twice", input.id));
        }
    }

    Ok(Flow {
        id,
        namespace,
        revision,
        disabled,
        labels: parse_labels(&root)?,
        inputs,
        tasks,
        errors,
        concurrency_limit: parse_concurrency(&root)?,
        outputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_templates_are_refused_when_the_flow_loads() {
        let flow = |message: &str| {
            format!(
                "id: f\nnamespace: n\ntasks:\n  - id: t\n    \
                 type: io.kestra.plugin.core.log.Log\n    message: \"{message}\"\n"
            )
        };
        assert!(parse_flow(&flow("{{ inputs.name }}")).is_ok());
        for bad in [
            "{{ inputs.name | upper }}",
            "{% if x %}",
            "{{ now() }}",
            "{{ secret.x }}",
            "{{",
        ] {
            let error = parse_flow(&flow(bad)).err().unwrap_or_default();
            assert!(error.starts_with("`tasks`: "), "{bad}: {error}");
        }
    }

    const HELLO: &str = r#"
id: hello
namespace: company.team
description: ignored
labels:
  team: data
inputs:
  - id: name
    type: STRING
    defaults: World
  - id: data
    type: FILE
    required: false
tasks:
  - id: count
    type: io.kestra.plugin.scripts.node.Script
    containerImage: node:20
    inputFiles:
      data.csv: "{{ inputs.data }}"
    env:
      N: 3
    script: console.log(1)
  - id: cmd
    type: io.kestra.plugin.scripts.node.Commands
    beforeCommands: [echo hi]
    commands:
      - node -v
  - id: done
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: "{{ inputs.name }}"
outputs:
  - id: rows
    type: INT
    value: "{{ outputs.count.vars.rows }}"
"#;

    #[test]
    fn parses_a_full_flow() {
        let flow = parse_flow(HELLO).unwrap();
        assert_eq!(
            (flow.id.as_str(), flow.namespace.as_str(), flow.revision),
            ("hello", "company.team", 1)
        );
        assert!(!flow.disabled);
        assert_eq!(
            flow.labels,
            vec![Label {
                key: "team".into(),
                value: "data".into()
            }]
        );
        assert_eq!(flow.inputs.len(), 2);
        assert!(!flow.inputs[1].required);
        assert_eq!(flow.inputs[0].defaults, Some(serde_json::json!("World")));
        assert_eq!(flow.tasks[0].env["N"], "3");
        assert_eq!(flow.tasks[0].input_files["data.csv"], "{{ inputs.data }}");
        assert_eq!(flow.tasks[1].before_commands, vec!["echo hi"]);
        assert_eq!(
            flow.tasks[2].kind,
            TaskKind::Log {
                message: "{{ inputs.name }}".into(),
                level: Level::Warn
            }
        );
        assert_eq!(flow.outputs[0].kind, OutputType::Int);
    }

    #[test]
    fn labels_as_list_and_revision() {
        let flow = parse_flow(
            "id: a\nnamespace: b\nrevision: 4\ndisabled: true\nlabels:\n  - key: k\n    value: v\n\
             tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n",
        )
        .unwrap();
        assert_eq!(flow.revision, 4);
        assert!(flow.disabled);
        assert_eq!(
            flow.labels,
            vec![Label {
                key: "k".into(),
                value: "v".into()
            }]
        );
    }

    #[test]
    fn rejects_bad_flows_with_reasons() {
        let base = "id: a\nnamespace: b\ntasks:\n  - id: t\n    type: ";
        let unknown = parse_flow(&format!("{base}io.kestra.plugin.core.flow.Nope\n")).unwrap_err();
        assert!(
            unknown.contains("io.kestra.plugin.core.flow.Nope"),
            "{unknown}"
        );
        assert!(
            parse_flow(&format!("{base}io.kestra.plugin.core.log.Log\n"))
                .unwrap_err()
                .contains("message")
        );
        assert!(parse_flow("id: a\nnamespace: B\ntasks: []").is_err());
        assert!(parse_flow("namespace: b\ntasks: []")
            .unwrap_err()
            .contains("`id`"));
        assert!(parse_flow("id: a\nnamespace: b\ntasks: []").is_err());
        assert!(parse_flow("id: [a\n").unwrap_err().contains("invalid YAML"));
        assert!(parse_flow("- 1").is_err());
        let bad_input = "id: a\nnamespace: b\ninputs:\n  - id: x\n    type: SECRET\n\
                         tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n\
                         \x20   message: m\n";
        assert!(parse_flow(bad_input).unwrap_err().contains("SECRET"));
    }

    #[test]
    fn durations_parse() {
        let secs = |text| parse_duration(text).map(|duration| duration.as_secs_f64());
        assert_eq!(secs("PT0.2S"), Ok(0.2));
        assert_eq!(secs("PT1M30S"), Ok(90.0));
        assert_eq!(secs("pt1h"), Ok(3600.0));
        assert_eq!(secs("P1DT1S"), Ok(86_401.0));
        assert_eq!(secs("P2D"), Ok(172_800.0));
        for bad in [
            "", "P", "PT", "1S", "PT1", "PTS", "PT1S1M", "PT1.5M", "P1H", "PT-1S",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn output_conversion() {
        let out = |kind| OutputDef {
            id: "o".into(),
            kind,
            value: String::new(),
        };
        assert_eq!(out(OutputType::Int).convert("4"), Ok(serde_json::json!(4)));
        assert_eq!(
            out(OutputType::Bool).convert("TRUE"),
            Ok(serde_json::json!(true))
        );
        assert_eq!(
            out(OutputType::Json).convert("[1]"),
            Ok(serde_json::json!([1]))
        );
        assert_eq!(
            out(OutputType::String).convert("x"),
            Ok(serde_json::json!("x"))
        );
        let error = out(OutputType::Int).convert("x").unwrap_err();
        assert_eq!(
            error,
            "Invalid value for output `o`. Cause: For input string: \"x\""
        );
    }
}
