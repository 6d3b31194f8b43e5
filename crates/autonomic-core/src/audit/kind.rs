//! The typed list of what the audit log records, and who acts.
//!
//! Records store the kind and actor as strings (`mouth.deny`, `hook:claude-code`)
//! so old logs stay readable when kinds are added; code builds them only
//! from these types, so a kind is never misspelled and `audit show --kind`
//! can list every one.

use std::fmt;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// agent-mouth denied a command or source.
    MouthDeny,
    /// agent-mouth sent a command or source to review.
    MouthReview,
    /// agent-immune decided on a package install in a command (review or deny).
    ImmuneInstall,
    /// A human (or a configured policy) answered a review.
    SpineApproval,
    /// The guarded path refused a command before it ran.
    SpineRefused,
    /// A workflow run or one of its nodes changed state (started, finished, held, routed).
    SpineWorkflow,
    /// A workflow file waived the approval a node that modifies external state needs.
    SpineWaiver,
    /// A workflow's `notify` node sent a message.
    SpineNotify,
    /// agent-muscle ran a command (every run, whatever its outcome).
    MuscleExec,
    /// The sandbox killed a task (a syscall, a path, a limit).
    MuscleViolation,
    /// A task left something for the host (removed or reported).
    MuscleTraps,
    /// Network decisions of the egress proxy.
    MuscleEgress,
    /// A dependency scan and its verdict.
    ImmuneScan,
    /// A scan of what a patch changes in the dependency graph.
    ImmuneScanPatch,
    /// A fact stored in agent-brain.
    BrainRemember,
    /// Facts forgotten.
    BrainForget,
    /// Archived facts put back.
    BrainRestore,
    /// Facts given sentence vectors (`autonomic brain embed`).
    BrainEmbed,
    /// One agent-heart prune cycle.
    HeartPrune,
    /// A prune cycle that failed.
    HeartPruneFailed,
    /// An outbound message (Slack, GitHub, e-mail): its validation and whether it was sent.
    MouthOutbound,
    /// An answer a channel carried (taken, a redelivery, ignored, refused).
    MouthAnswer,
}

impl Kind {
    /// Every kind, for `--kind` help and validation.
    pub const ALL: [Kind; 22] = [
        Kind::MouthDeny,
        Kind::MouthReview,
        Kind::ImmuneInstall,
        Kind::SpineApproval,
        Kind::SpineRefused,
        Kind::SpineWorkflow,
        Kind::SpineWaiver,
        Kind::SpineNotify,
        Kind::MuscleExec,
        Kind::MuscleViolation,
        Kind::MuscleTraps,
        Kind::MuscleEgress,
        Kind::ImmuneScan,
        Kind::ImmuneScanPatch,
        Kind::BrainRemember,
        Kind::BrainForget,
        Kind::BrainRestore,
        Kind::BrainEmbed,
        Kind::HeartPrune,
        Kind::HeartPruneFailed,
        Kind::MouthOutbound,
        Kind::MouthAnswer,
    ];

    /// The stored spelling, `component.event`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::MouthDeny => "mouth.deny",
            Kind::MouthReview => "mouth.review",
            Kind::ImmuneInstall => "immune.install",
            Kind::SpineApproval => "spine.approval",
            Kind::SpineRefused => "spine.refused",
            Kind::SpineWorkflow => "spine.workflow",
            Kind::SpineWaiver => "spine.waiver",
            Kind::SpineNotify => "spine.notify",
            Kind::MuscleExec => "muscle.exec",
            Kind::MuscleViolation => "muscle.violation",
            Kind::MuscleTraps => "muscle.traps",
            Kind::MuscleEgress => "muscle.egress",
            Kind::ImmuneScan => "immune.scan",
            Kind::ImmuneScanPatch => "immune.scan_patch",
            Kind::BrainRemember => "brain.remember",
            Kind::BrainForget => "brain.forget",
            Kind::BrainRestore => "brain.restore",
            Kind::BrainEmbed => "brain.embed",
            Kind::HeartPrune => "heart.prune",
            Kind::HeartPruneFailed => "heart.prune_failed",
            Kind::MouthOutbound => "mouth.outbound",
            Kind::MouthAnswer => "mouth.answer",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acted: the interface a command came through.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// The `autonomic` command line.
    Cli,
    /// An agent harness's hook (`hook:claude-code`, `hook:codex`).
    Hook(String),
    /// The MCP server, with the client's name when it gave one.
    Mcp(Option<String>),
    /// A human at a terminal answering a review.
    User,
    /// agent-heart's prune cycle.
    Heart,
    /// The workflow engine, acting for a run (`workflow:wf-…`).
    Workflow(String),
    /// A person answering through a channel (`slack:U0123ABCD`).
    Channel {
        /// The channel (`slack`).
        channel: String,
        /// The channel's id of the person.
        user: String,
    },
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Cli => f.write_str("cli"),
            Actor::Hook(h) => write!(f, "hook:{h}"),
            Actor::Mcp(None) => f.write_str("mcp"),
            Actor::Mcp(Some(c)) => write!(f, "mcp:{c}"),
            Actor::User => f.write_str("user"),
            Actor::Heart => f.write_str("heart"),
            Actor::Workflow(id) => write!(f, "workflow:{id}"),
            Actor::Channel { channel, user } => write!(f, "{channel}:{user}"),
        }
    }
}

impl super::AuditEvent {
    /// An event of a typed kind and actor.
    pub fn new(
        kind: Kind,
        actor: &Actor,
        decision: Option<crate::Decision>,
        detail: serde_json::Value,
    ) -> super::AuditEvent {
        super::AuditEvent {
            kind: kind.as_str().to_owned(),
            actor: actor.to_string(),
            decision,
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_back_and_spellings_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert!(seen.insert(k.as_str()), "{k} twice");
            let (component, event) = k.as_str().split_once('.').unwrap();
            assert!(!component.is_empty() && !event.is_empty(), "{k}");
        }
        assert_eq!(Kind::parse("mouth.nope"), None);
        assert_eq!(Actor::Hook("codex".into()).to_string(), "hook:codex");
        assert_eq!(Actor::Mcp(Some("claude".into())).to_string(), "mcp:claude");
    }
}
