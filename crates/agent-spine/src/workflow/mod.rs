//! The workflow runtime: a durable DAG of nodes that carries an agent's work
//! through the three layers (see `docs/workflows.md` for the file format).
//!
//! What it owns: the workflow file format and its checks, the journal (every
//! transition written to SQLite before it takes effect), the engine that
//! schedules nodes and reacts to messages (run, approve, reject, cancel),
//! the node kinds' work (each over the layers' public APIs; an exec node is
//! the guarded command path, never a second implementation), approvals and
//! their channels, and the events published on the bus.
//!
//! What it must not do: decide what a layer owns (a command's verdict is
//! agent-mouth's, a finding's severity agent-immune's, enforcement
//! agent-muscle's), or run anything that did not pass through them.

pub mod event;
pub mod load;
pub mod model;
pub mod state;
pub mod template;
