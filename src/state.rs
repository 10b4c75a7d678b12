//! Execution states, as Kestra names them, and which of them end an execution.

/// The state of an execution or a task run (`state.current` in Kestra's JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecutionState {
    /// Created, not yet started.
    Created,
    /// Handed to the executor (Kestra 2.x).
    Submitted,
    /// Running.
    Running,
    /// Paused, waiting to be resumed.
    Paused,
    /// Restarted after a failure or a pause.
    Restarted,
    /// A kill was requested and is in progress.
    Killing,
    /// Ended well.
    Success,
    /// Ended with warnings.
    Warning,
    /// Ended with a failure.
    Failed,
    /// Ended by a kill.
    Killed,
    /// Ended without running (for instance by a concurrency limit).
    Cancelled,
    /// Waiting for a concurrency slot.
    Queued,
    /// A task is being retried.
    Retrying,
    /// Replaced by a retried execution.
    Retried,
    /// Skipped.
    Skipped,
    /// Stopped at a breakpoint.
    Breakpoint,
    /// Replaced by a resubmitted execution.
    Resubmitted,
    /// A state this client does not know yet; kept by name.
    Unknown(String),
}

impl ExecutionState {
    /// Reads a state by its Kestra name; unknown names are kept, not rejected.
    pub fn parse(name: &str) -> ExecutionState {
        match name {
            "CREATED" => ExecutionState::Created,
            "SUBMITTED" => ExecutionState::Submitted,
            "RUNNING" => ExecutionState::Running,
            "PAUSED" => ExecutionState::Paused,
            "RESTARTED" => ExecutionState::Restarted,
            "KILLING" => ExecutionState::Killing,
            "SUCCESS" => ExecutionState::Success,
            "WARNING" => ExecutionState::Warning,
            "FAILED" => ExecutionState::Failed,
            "KILLED" => ExecutionState::Killed,
            "CANCELLED" => ExecutionState::Cancelled,
            "QUEUED" => ExecutionState::Queued,
            "RETRYING" => ExecutionState::Retrying,
            "RETRIED" => ExecutionState::Retried,
            "SKIPPED" => ExecutionState::Skipped,
            "BREAKPOINT" => ExecutionState::Breakpoint,
            "RESUBMITTED" => ExecutionState::Resubmitted,
            other => ExecutionState::Unknown(other.to_owned()),
        }
    }

    /// The Kestra name of the state.
    pub fn as_str(&self) -> &str {
        match self {
            ExecutionState::Created => "CREATED",
            ExecutionState::Submitted => "SUBMITTED",
            ExecutionState::Running => "RUNNING",
            ExecutionState::Paused => "PAUSED",
            ExecutionState::Restarted => "RESTARTED",
            ExecutionState::Killing => "KILLING",
            ExecutionState::Success => "SUCCESS",
            ExecutionState::Warning => "WARNING",
            ExecutionState::Failed => "FAILED",
            ExecutionState::Killed => "KILLED",
            ExecutionState::Cancelled => "CANCELLED",
            ExecutionState::Queued => "QUEUED",
            ExecutionState::Retrying => "RETRYING",
            ExecutionState::Retried => "RETRIED",
            ExecutionState::Skipped => "SKIPPED",
            ExecutionState::Breakpoint => "BREAKPOINT",
            ExecutionState::Resubmitted => "RESUBMITTED",
            ExecutionState::Unknown(name) => name,
        }
    }

    /// The execution has ended and will not change on its own (Kestra's `isTerminated`).
    pub fn is_terminated(&self) -> bool {
        self.is_terminated_without_failure()
            || matches!(
                self,
                ExecutionState::Failed | ExecutionState::Killed | ExecutionState::Cancelled
            )
    }

    /// The execution has ended without a failure (Kestra's `isTerminatedNoFail`).
    pub fn is_terminated_without_failure(&self) -> bool {
        matches!(
            self,
            ExecutionState::Success
                | ExecutionState::Warning
                | ExecutionState::Retried
                | ExecutionState::Skipped
                | ExecutionState::Resubmitted
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_NAMES: [&str; 17] = [
        "CREATED",
        "SUBMITTED",
        "RUNNING",
        "PAUSED",
        "RESTARTED",
        "KILLING",
        "SUCCESS",
        "WARNING",
        "FAILED",
        "KILLED",
        "CANCELLED",
        "QUEUED",
        "RETRYING",
        "RETRIED",
        "SKIPPED",
        "BREAKPOINT",
        "RESUBMITTED",
    ];

    #[test]
    fn names_round_trip() {
        for name in ALL_NAMES {
            let state = ExecutionState::parse(name);
            assert!(!matches!(state, ExecutionState::Unknown(_)), "{name}");
            assert_eq!(state.as_str(), name);
        }
    }

    #[test]
    fn unknown_states_are_kept_and_not_terminal() {
        let state = ExecutionState::parse("HIBERNATING");
        assert_eq!(state, ExecutionState::Unknown("HIBERNATING".to_owned()));
        assert_eq!(state.as_str(), "HIBERNATING");
        assert!(!state.is_terminated());
    }

    #[test]
    fn terminal_states_match_kestra() {
        let terminal: Vec<&str> = ALL_NAMES
            .into_iter()
            .filter(|name| ExecutionState::parse(name).is_terminated())
            .collect();
        assert_eq!(
            terminal,
            [
                "SUCCESS",
                "WARNING",
                "FAILED",
                "KILLED",
                "CANCELLED",
                "RETRIED",
                "SKIPPED",
                "RESUBMITTED"
            ]
        );

        let without_failure: Vec<&str> = ALL_NAMES
            .into_iter()
            .filter(|name| ExecutionState::parse(name).is_terminated_without_failure())
            .collect();
        assert_eq!(
            without_failure,
            ["SUCCESS", "WARNING", "RETRIED", "SKIPPED", "RESUBMITTED"]
        );
    }
}
