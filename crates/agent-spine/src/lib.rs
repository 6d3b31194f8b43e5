//! agent-spine: the only crate that composes the layer crates — agent-immune
//! (policy as reviewed data: syscall profiles), agent-mouth (what a command
//! string runs, read statically) and agent-muscle (enforcement: the seccomp
//! compiler and its syscall table). The layers never depend on one another
//! sideways; data crosses between them here, as plain values.
//!
//! What it owns: looking syscall profiles up (built-in and the user's
//! reviewed files in `<home>/profiles`, each syscall name checked against
//! agent-muscle's table and hard block list, each socket family numbered by
//! agent-muscle's family table) and resolving the profile a
//! command runs under ([`profiles::resolve`]): `--profile` wins; a shell
//! string (`bash -c '…'`) is read with agent-mouth and gets the union of the
//! profiles of every program it runs; anything else gets agent-immune's pick
//! for its program. The result is a [`agent_muscle::bpf::SyscallPolicy`],
//! data the executor enforces.
//!
//! What it must not do: run a command, install a filter or decide anything
//! a layer owns (a profile's syscalls are agent-immune's, a verdict on a
//! command is agent-mouth's, enforcement is agent-muscle's).
//!
//! Also here: the guarded command path ([`guard`]) and the durable workflow
//! runtime ([`workflow`]) that carries an agent's work through the layers —
//! a DAG of nodes, journaled in SQLite before anything takes effect, with
//! approvals that pause a run until a human answers.
//!
//! # Examples
//!
//! ```
//! use agent_spine::profiles::resolve;
//! use autonomic_core::paths::Paths;
//!
//! let home = tempfile::tempdir().unwrap();
//! let paths = Paths::with_home(home.path().to_path_buf());
//! let argv: Vec<String> = ["bash", "-c", "cargo build && git add -A"]
//!     .map(String::from)
//!     .to_vec();
//! let r = resolve(&paths, &argv, None, false).unwrap();
//! assert!(r.reason.contains("cargo + git-write + shell-utils"), "{}", r.reason);
//! assert!(agent_muscle::bpf::compile(&r.policy).is_ok());
//! ```

pub mod channels;
pub mod guard;
pub mod hook;
pub mod mcp;
pub mod profiles;
pub mod recall;
pub mod sandbox;
pub mod workflow;
