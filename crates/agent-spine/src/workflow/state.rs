//! The vocabulary every part of the workflow runtime shares: run ids, the
//! states of runs and nodes, and the transitions journaled and published.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A workflow run's id, in the seed's form `wf-YYYYMMDD-xxxxxx` (six
/// lowercase letters and digits, from the OS's random source).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(String);

/// A string that is not a run id.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a workflow run id (the form is wf-YYYYMMDD-xxxxxx)")]
pub struct BadRunId(pub String);

impl RunId {
    /// A fresh id for a run started on `date`.
    pub fn new(date: time::Date) -> RunId {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut bytes = [0u8; 6];
        // A failing OS random source leaves zeros: ids stay unique through
        // the journal's primary key, which refuses a duplicate.
        let _ = getrandom::getrandom(&mut bytes);
        let suffix: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        RunId(format!(
            "wf-{:04}{:02}{:02}-{suffix}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ))
    }

    /// Parses a run id typed by a user or read from a message.
    ///
    /// # Errors
    ///
    /// Anything not of the form `wf-YYYYMMDD-xxxxxx`.
    pub fn parse(s: &str) -> Result<RunId, BadRunId> {
        let ok = s.len() == 18
            && s.starts_with("wf-")
            && s.as_bytes()[3..11].iter().all(u8::is_ascii_digit)
            && s.as_bytes()[11] == b'-'
            && s.as_bytes()[12..]
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok {
            Ok(RunId(s.to_owned()))
        } else {
            Err(BadRunId(s.to_owned()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! states {
    ($(#[$m:meta])* $Name:ident { $($(#[$vm:meta])* $V:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $Name { $($(#[$vm])* $V,)* }

        impl $Name {
            /// Every state.
            pub const ALL: &'static [$Name] = &[$($Name::$V,)*];

            /// The name journaled, published and shown.
            pub const fn as_str(self) -> &'static str {
                match self { $($Name::$V => $s,)* }
            }

            /// Parses a journaled name.
            pub fn parse(s: &str) -> Option<$Name> {
                match s { $($s => Some($Name::$V),)* _ => None }
            }
        }

        impl fmt::Display for $Name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

states! {
    /// Where a workflow run is.
    RunState {
        /// Nodes are running or ready.
        Running = "running",
        /// Paused until a human answers an approval request.
        WaitingApproval = "waiting_approval",
        /// A scan found what blocks: paused until a clean rescan or an
        /// approved override that names the findings.
        SecurityHold = "security_hold",
        /// Every node ended well (or was skipped by routing).
        Succeeded = "succeeded",
        /// A node failed with no `on_failure` route.
        Failed = "failed",
        /// A human cancelled it.
        Cancelled = "cancelled",
    }
}

states! {
    /// Where one node of a run is.
    NodeState {
        /// Waiting for its `needs`.
        Pending = "pending",
        /// Its work is under way.
        Running = "running",
        /// Paused for a human.
        WaitingApproval = "waiting_approval",
        /// Held by a blocking scan finding.
        SecurityHold = "security_hold",
        /// Done, with outputs.
        Succeeded = "succeeded",
        /// Its work failed (a command's non-zero exit, a model error).
        Failed = "failed",
        /// A layer refused it (agent-mouth's deny, a refused review, a
        /// patch outside the repository) or a human rejected it.
        Rejected = "rejected",
        /// Routing went another way; it never ran.
        Skipped = "skipped",
        /// The run was cancelled before it ended.
        Cancelled = "cancelled",
    }
}

impl RunState {
    /// Whether nothing more happens to the run.
    pub const fn is_finished(self) -> bool {
        matches!(
            self,
            RunState::Succeeded | RunState::Failed | RunState::Cancelled
        )
    }

    /// Whether the run waits for a human.
    pub const fn is_paused(self) -> bool {
        matches!(self, RunState::WaitingApproval | RunState::SecurityHold)
    }
}

impl NodeState {
    /// Whether the node has ended, one way or another.
    pub const fn is_finished(self) -> bool {
        matches!(
            self,
            NodeState::Succeeded
                | NodeState::Failed
                | NodeState::Rejected
                | NodeState::Skipped
                | NodeState::Cancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_round_trip_and_reject_lookalikes() {
        let date = time::macros::date!(2024 - 03 - 15);
        let id = RunId::new(date);
        assert!(id.as_str().starts_with("wf-20240315-"), "{id}");
        assert_eq!(RunId::parse(id.as_str()).unwrap(), id);
        for bad in [
            "wf-20240315-ABC123",
            "wf-2024031-abc1234",
            "wf-20240315-abc12",
            "wf-20240315-abc12/",
            "../etc/passwd",
            "",
        ] {
            assert!(RunId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn states_round_trip() {
        for s in RunState::ALL {
            assert_eq!(RunState::parse(s.as_str()), Some(*s));
        }
        for s in NodeState::ALL {
            assert_eq!(NodeState::parse(s.as_str()), Some(*s));
        }
    }
}
