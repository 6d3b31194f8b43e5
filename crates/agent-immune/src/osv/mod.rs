//! The local OSV database: record types, import (URL, directory, zip),
//! the lookup index and its atomic swap.
//!
//! - [`record`]: OSV schema types, parsed leniently.
//! - [`db`]: [`Database`] — open the cache, look packages up (offline).
//! - `import`: [`update`] — pull archives, verify, index, swap atomically.
//! - `index`: the on-disk format of `<cache_dir>/<Ecosystem>/index.bin`.

mod codec;
pub mod db;
mod import;
mod index;
mod lean;
pub mod record;

pub use db::{Database, DbError, EcosystemStatus, IndexedVuln, UPDATE_HINT};
pub use import::{update, ImportReport, Progress, Source, DEFAULT_SOURCE};
pub use record::{Affected, AffectedPackage, Event, OsvRecord, OsvSeverity, Range, RangeType};
