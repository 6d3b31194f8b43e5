//! agent-brain: scoped, temporal fact memory.
//!
//! Agents remember facts; a task only ever sees ranked, token-budgeted
//! summaries of the facts it is entitled to (the seed's "Memory Isolation").
//!
//! # What it owns
//!
//! - The fact store: one SQLite database (rusqlite, bundled SQLite, WAL,
//!   versioned migrations, an application id that marks the file as ours)
//!   with an FTS5 index over content and tags, partitioned by scope
//!   (stemmed words hashed with their scope's key: a query reads only the
//!   postings of the scopes it may see) ([`Brain`]).
//! - Semantic retrieval's storage and search ([`Brain::embed_pending`],
//!   [`Brain::set_embedder`]): sentence vectors made in the background by
//!   an [`Embedder`] handed in (the model is not this crate's), searched per
//!   scope, fused with the word ranking.
//! - Writing: [`Brain::remember`] (a newer fact with the same scope and
//!   subject invalidates the older one, bi-temporally: the old row stays,
//!   with `invalid_at` and `superseded_at` set) and [`Brain::forget`].
//! - Reading: [`Brain::route_task`] is the **only** read path. A task sees
//!   the global facts, its project's and its session's, valid at the query
//!   time and at or above the confidence threshold; the result carries text,
//!   scope kind, score and token count, never an id, a scope name or other
//!   metadata. [`Brain::stats`] counts per scope kind only.
//! - The mechanism of pruning ([`Brain::prune`]): deleting long-invalid
//!   facts and evicting facts beyond a scope's capacity to zstd JSON Lines
//!   archives, crash-safe; [`Brain::restore`] brings an archive back.
//!
//! # What it must not do
//!
//! - Expose stored records: no listing, no lookup by id, no raw rows, public
//!   or `pub(crate)` for other crates to reach. Archives are the one place
//!   records leave, as files the operator controls.
//! - Decide *when* or *how much* to prune: that policy is agent-heart's.
//! - Run programs, touch the network, load a model, or depend on a layer
//!   crate.
//! - Overwrite a file it did not create: a foreign, corrupt or newer database
//!   is refused and left as it is.
//!
//! # Example
//!
//! ```
//! use agent_brain::{Brain, BrainSettings, NewFact, Scope, TaskContext};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let mut brain = Brain::open(dir.path().join("brain.sqlite3"), BrainSettings::default())?;
//! brain.remember(&NewFact::new(
//!     Scope::Project("web".into()),
//!     "The web project's tests run with `npm test -- --runInBand`.",
//! ))?;
//! let routed = brain.route_task(&TaskContext::project("web"), "run the tests", 200)?;
//! assert_eq!(routed.summaries.len(), 1);
//! assert!(routed.tokens_used <= 200);
//! // Another project sees nothing of it.
//! let other = brain.route_task(&TaskContext::project("api"), "run the tests", 200)?;
//! assert!(other.summaries.is_empty());
//! # Ok(())
//! # }
//! ```

mod archive;
mod error;
mod fact;
pub mod import;
mod prune;
mod route;
mod schema;
mod store;
mod terms;
mod tokens;
mod vectors;
mod when;

pub use error::{BrainError, FactError, Result};
pub use fact::{
    NewFact, Scope, ScopeKind, TaskContext, MAX_CONTENT_BYTES, MAX_NAME_BYTES, MAX_TAGS,
};
pub use prune::{Capacity, PrunePolicy, PruneReport, PruneStep, RestoreReport};
pub use route::{
    Routed, Summary, DUPLICATE_JACCARD, GIVE_UP_AFTER_MISSES, MAX_CANDIDATES, MAX_TERMS,
};
pub use store::{Brain, BrainSettings, IndexOptimized, KindStats, Remembered, Stats};
pub use tokens::TokenCounter;
pub use vectors::{Embedded, Embedder, VectorStats, EMBED_BATCH};
