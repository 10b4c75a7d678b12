//! In-memory state shared by the HTTP handlers and the execution runner.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::watch;

use crate::controls::Controls;
use crate::flow::Flow;
use crate::model::{Execution, LogEntry, MetricEntry};

/// Everything known about one execution.
pub struct Record {
    /// The execution as served.
    pub execution: Execution,
    /// Its logs, in the order they were produced.
    pub logs: Vec<LogEntry>,
    /// Its metrics.
    pub metrics: Vec<MetricEntry>,
    /// Bumped on every change, so waiters and followers wake up.
    pub updates: watch::Sender<u64>,
    /// Set to true to kill the execution.
    pub kill: watch::Sender<bool>,
    /// Creation order.
    seq: u64,
}

/// Start-up settings.
pub struct Config {
    /// Loaded flows by (namespace, id).
    pub flows: HashMap<(String, String), Flow>,
    /// Port the server listens on, for execution URLs.
    pub port: u16,
    /// Where uploaded files live; `kestra:///x` maps to `<storage_dir>/x`.
    pub storage_dir: PathBuf,
    /// Parent of the task working directories.
    pub work_dir: PathBuf,
    /// Basic-auth credentials, when required.
    pub auth: Option<(String, String)>,
    /// An API token accepted as `Authorization: Bearer <token>`, as Kestra EE accepts one.
    pub api_token: Option<String>,
    /// Origins allowed by the CORS layer; empty means CORS is off.
    pub cors_origins: Vec<String>,
    /// Whether the `/_emulator/` test controls are served.
    pub test_controls: bool,
    /// Whether the tenant-less paths of Kestra 0.22 and older are served too.
    pub legacy_routes: bool,
    /// The Kestra line whose API is imitated.
    pub version: ApiVersion,
}

/// The Kestra line whose API the server imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// 1.3: `JsonError` bodies, `DELETE .../kill` answering 202.
    V1_3,
    /// 2.1: problem documents, `DELETE .../actions/kill` answering 200 with the execution.
    V2_1,
}

/// The state of the whole server.
pub struct App {
    /// Start-up settings.
    pub config: Config,
    records: Mutex<HashMap<String, Record>>,
    next_seq: Mutex<u64>,
    /// Queued faults and request counts of the test controls.
    pub controls: Controls,
    /// Process groups of running task processes, killed on shutdown.
    pub process_groups: Mutex<HashSet<i32>>,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it: the maps stay
/// consistent because every update is a single assignment or push.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl App {
    /// Creates the state for a configuration.
    pub fn new(config: Config) -> Self {
        App {
            config,
            records: Mutex::new(HashMap::new()),
            next_seq: Mutex::new(0),
            controls: Controls::default(),
            process_groups: Mutex::default(),
        }
    }

    /// Stores a new execution.
    pub fn insert(&self, execution: Execution, logs: Vec<LogEntry>) {
        let seq = {
            let mut next = lock(&self.next_seq);
            *next += 1;
            *next
        };
        let record = Record {
            execution: execution.clone(),
            logs,
            metrics: Vec::new(),
            updates: watch::channel(0).0,
            kill: watch::channel(false).0,
            seq,
        };
        lock(&self.records).insert(execution.id.clone(), record);
    }

    /// Reads something from an execution's record.
    pub fn read<T>(&self, id: &str, reader: impl FnOnce(&Record) -> T) -> Option<T> {
        lock(&self.records).get(id).map(reader)
    }

    /// Changes an execution's record and wakes its watchers.
    pub fn update<T>(&self, id: &str, writer: impl FnOnce(&mut Record) -> T) -> Option<T> {
        let mut records = lock(&self.records);
        let record = records.get_mut(id)?;
        let result = writer(record);
        record.updates.send_modify(|version| *version += 1);
        Some(result)
    }

    /// A copy of an execution.
    pub fn execution(&self, id: &str) -> Option<Execution> {
        self.read(id, |record| record.execution.clone())
    }

    /// Copies of every execution, oldest first.
    pub fn all_executions(&self) -> Vec<Execution> {
        let records = lock(&self.records);
        let mut all: Vec<&Record> = records.values().collect();
        all.sort_by_key(|record| record.seq);
        all.into_iter()
            .map(|record| record.execution.clone())
            .collect()
    }

    /// A receiver that sees every later change of an execution.
    pub fn subscribe(&self, id: &str) -> Option<watch::Receiver<u64>> {
        self.read(id, |record| record.updates.subscribe())
    }

    /// A receiver of an execution's kill request.
    pub fn kill_signal(&self, id: &str) -> Option<watch::Receiver<bool>> {
        self.read(id, |record| record.kill.subscribe())
    }
}
