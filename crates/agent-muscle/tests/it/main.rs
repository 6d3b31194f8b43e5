//! agent-muscle's integration tests: one binary, one module per area.

mod bpf;
mod control;
mod egress;
mod escape;
mod exec;
mod seccomp;
mod supervisor;
mod trace;
mod traps;
mod vm;
mod wire;
