//! agent-muscle: the second security layer. It never runs a command on the
//! host directly: every task runs at a sandbox level (`none`, `seccomp`,
//! `firecracker`) with limits, and comes back as an [`exec::ExecResult`]
//! that says how it ended and, on a kill, why.
//!
//! What it owns: the execution *mechanism* — process spawning, limits,
//! output capture, killing the whole process tree, and (at the `seccomp`
//! level) compiling and installing seccomp-bpf filters, with the kernel's
//! numbers for what policies name: the x86_64 syscall table and the socket
//! family table ([`bpf::SOCKET_FAMILIES`]: `inet6` is `AF_INET6`).
//!
//! What it must not do: decide *which* syscalls a task may make (that policy
//! is agent-immune's profiles, passed in as data through autonomic-core
//! types), validate commands (agent-mouth), or depend on another layer crate.
//!
//! Status: levels `none` and `seccomp` run (the latter through the
//! `muscle-jail` helper binary, [`jail`]); the `firecracker` level and the
//! gaps listed in [`jail`] are open work (see the issues).

pub mod bpf;
pub mod exec;
pub mod host;
pub mod jail;
pub mod trace;
pub mod vm;
