//! Lockfile and manifest parsers (filled in by the parsers work).
