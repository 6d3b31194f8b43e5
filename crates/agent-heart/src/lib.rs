//! agent-heart: the periodic maintenance cycles that keep Autonomic's state
//! bounded.
//!
//! # What it owns
//!
//! - Policy: turning `[heart]` into what a prune cycle does (grace period,
//!   per-scope capacities, archive directory) and how often it runs.
//! - [`PruneCycle`]: one cycle over agent-brain's store (prune, then merge
//!   the full-text index so queries stay fast), its result logged
//!   with `tracing` and recorded in the audit chain (`heart.prune`, or
//!   `heart.prune_failed` with the error).
//! - [`Scheduler`]: runs cycles every interval until asked to stop; a stop
//!   request is honoured between cycles and between the steps of a cycle, so
//!   Ctrl-C never leaves half a step behind (and a kill is recovered by the
//!   next cycle: see agent-brain's prune module).
//!
//! # What it must not do
//!
//! - Read or move facts itself: the mechanism (what is deleted, how archives
//!   are written and recovered) is agent-brain's, and records never pass
//!   through here.
//! - Install signal handlers: the binary (`autonomic heart run`, later
//!   `autonomic serve`) owns the process and hands in a stop flag.
//! - Run programs or touch the network.

mod cycle;
mod scheduler;

pub use cycle::{HeartError, PruneCycle, PruneOutcome};
pub use scheduler::Scheduler;
