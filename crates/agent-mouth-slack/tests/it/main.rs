//! agent-mouth-slack's integration tests: one binary, shared helpers.

mod answer;
mod blocks;
mod fake_slack;
mod fake_socket;
mod signing;
mod socket;
mod web;
