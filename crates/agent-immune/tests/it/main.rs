//! agent-immune integration tests: one binary, one module per area.

mod db;
