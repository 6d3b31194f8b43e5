//! Integration tests of the fact store.

mod common;
mod isolation;
mod prune;
mod relevance;
mod semantic;
mod store;
mod when;
