//! Shared foundations of Autonomic: configuration, file locations, the types
//! every layer agrees on, and the tamper-evident audit log.
//!
//! # What this crate owns
//!
//! - [`config`]: the typed, strict `config.toml` (the sections and keys of the
//!   specification), with file/line/key errors, suggestions and per-key
//!   provenance.
//! - [`paths`]: where Autonomic keeps its files (`~/.autonomic` or
//!   `$AUTONOMIC_HOME`) and `~` expansion.
//! - [`env`]: every environment variable Autonomic reads, declared once.
//! - [`Decision`] and [`SandboxLevel`]: the ordered verdicts and isolation
//!   levels shared by the validators and the executor ("strictest wins" is
//!   `max()`).
//! - [`audit`]: the append-only, hash-chained JSON Lines audit log, safe for
//!   several processes appending at once, and its verifier.
//! - [`embed::Embedder`]: what a sentence encoder offers the stores that
//!   keep its vectors.
//! - [`Hint`]: the one method every library error uses to suggest the next step.
//!
//! # What it must not do
//!
//! - No I/O beyond its own files (the config file, the audit log and its
//!   lock and head files): no network, no reading of project files.
//! - Never run processes; only agent-muscle does that.
//! - Depend on no other workspace crate: every other crate depends on this one.
//!
//! # Example
//!
//! ```no_run
//! use autonomic_core::audit::{AuditEvent, AuditLog};
//! use autonomic_core::config::Config;
//! use autonomic_core::paths::Paths;
//! use autonomic_core::Decision;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let paths = Paths::from_env()?;
//! let loaded = Config::load(&paths)?;
//! println!("default sandbox: {}", loaded.config.muscle.default_sandbox);
//!
//! let log = AuditLog::open(&paths.audit_log)?;
//! log.append(AuditEvent {
//!     kind: "mouth.reject".into(),
//!     actor: "cli".into(),
//!     decision: Some(Decision::Deny),
//!     detail: serde_json::json!({ "rule": "rm-rf-root" }),
//! })?;
//! # Ok(())
//! # }
//! ```

pub mod audit;
pub mod config;
pub mod decision;
pub mod embed;
pub mod env;
pub mod hint;
pub mod paths;
pub mod sandbox;
pub mod severity;

pub use decision::Decision;
pub use hint::Hint;
pub use sandbox::SandboxLevel;
pub use severity::Severity;

#[cfg(test)]
mod tests {
    /// Public types can be shared across threads.
    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::paths::Paths>();
        assert_send_sync::<crate::config::LoadedConfig>();
        assert_send_sync::<crate::config::ConfigError>();
        assert_send_sync::<crate::audit::AuditLog>();
        assert_send_sync::<crate::audit::AuditError>();
        assert_send_sync::<crate::audit::AuditRecord>();
    }
}
