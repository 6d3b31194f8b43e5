//! Version ordering per ecosystem and OSV range matching.
