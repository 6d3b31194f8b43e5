//! agent-immune: the first security layer. It scans dependency graphs —
//! lockfiles and manifests, including ones an LLM just generated — against
//! a local OSV database, offline, and returns a verdict agent-spine's Gate
//! routes on (critical/high ⇒ `security_hold`).
//!
//! What it owns: the OSV cache (pull-only import from a mirror URL, a
//! directory or a zip; a lookup index swapped in atomically), lockfile and
//! manifest parsers for crates.io, npm, PyPI, Go, RubyGems and Packagist
//! and SBOM readers (CycloneDX, SPDX), per-ecosystem version ordering
//! (SemVer, npm, PEP 440, Gem::Version, Composer), OSV range matching, Go import
//! reachability (which vulnerable packages a module's code imports),
//! CVSS v3/v4 scoring,
//! the scan pipeline ([`pipeline`]: a request and `[immune]` in — file
//! discovery, ignore files, the gate's options, the stale-database warning,
//! the holds, including a manifest a patch leaves unparsable — and a
//! serializable verdict out, each finding with its dependency path),
//! scan reports (text, JSON, SARIF, table), fix plans (the upgrades that
//! clear findings, as edits and package manager steps, proposed only), and
//! the syscall profiles
//! agent-muscle's `seccomp` level enforces (built-in, user files, and
//! learned from a recorded run — the recording itself is agent-muscle's),
//! which name syscalls and socket families (`unix`, `inet`, …); the
//! numbers for those names are agent-muscle's tables, joined in agent-spine.
//!
//! What it must not do: touch the network during a scan (only `db update`
//! pulls), print (callers render the verdicts, warnings and errors it
//! returns), run any program, write a project's files (a fix is a
//! proposal), or depend on another layer crate.

pub mod fix;
pub mod ignore;
pub mod install;
pub mod lockfile;
pub mod matching;
pub mod osv;
pub mod patch;
pub mod pipeline;
pub mod profile;
pub mod reachability;
pub mod report;
pub mod scan;
pub mod severity;
pub mod types;
pub mod version;

pub use types::{Ecosystem, Package};
