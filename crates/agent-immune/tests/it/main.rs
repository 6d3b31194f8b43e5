//! agent-immune integration tests: one binary, one module per area.

mod db;
mod lockfiles;
mod matching;
mod oracle;
mod patch;
mod pipeline;
mod profiles;
mod severity;
mod versions;
