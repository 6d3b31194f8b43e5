//! The local OSV database: record types, import (URL, directory, zip),
//! the lookup index and its atomic swap.

pub mod record;

pub use record::{Affected, AffectedPackage, Event, OsvRecord, OsvSeverity, Range, RangeType};
