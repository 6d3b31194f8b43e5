//! agent-muscle: the second security layer. It never runs a command on the
//! host directly: every task runs at a sandbox level (`none`, `seccomp`,
//! `firecracker`) with limits, and comes back as an [`exec::ExecResult`]
//! that says how it ended and, on a kill, why.
//!
//! What it owns: the execution *mechanism* — process spawning, limits, output
//! capture (and streaming it as it is produced), killing the whole process
//! tree (at the end of every run, on a timeout, and when a caller trips the
//! run's [`exec::CancelHandle`] from another thread), the `seccomp` level's
//! jail and the `firecracker` level's microVM, and (at `seccomp`) compiling
//! and installing seccomp-bpf filters, with the kernel's numbers for what
//! policies name: the x86_64 syscall table and the socket family table
//! ([`bpf::SOCKET_FAMILIES`]: `inet6` is `AF_INET6`). A run is asked for as
//! data — an [`exec::ExecSpec`] whose [`exec::Isolation`] carries what its
//! level needs, so a `seccomp` spec without a policy cannot be built — and
//! specs and results round-trip through serde.
//!
//! What it must not do: decide *which* syscalls a task may make (that policy
//! is agent-immune's profiles, passed in as data through autonomic-core
//! types), validate commands (agent-mouth), own signals (a binary trips
//! [`exec::CancelHandle::global`] from its handlers), or depend on another
//! layer crate.
//!
//! Status: all three levels run (`seccomp` through the `muscle-jail`
//! helper binary, [`jail`]; `firecracker` with QEMU's `microvm` or
//! Firecracker, [`vm`]); the gaps listed in [`jail`] and [`vm`] are open
//! work (see the issues).

pub mod bpf;
pub mod exec;
pub mod host;
pub mod jail;
pub mod trace;
pub mod vm;
