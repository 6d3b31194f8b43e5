//! The ptrace loop: follows every task of the traced tree from stop to stop,
//! records each syscall entry, and kills the tree on a timeout or when the
//! root process ends.
//!
//! Everything here runs on the thread that spawned the root (ptrace ties a
//! tracee to one tracer *thread*). The only other thread is the watchdog,
//! which never calls ptrace: it SIGKILLs the tree through pidfds
//! ([`Killer`]), which also wakes this loop from a blocking `waitpid`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use super::sys::{self, SyscallStop};
use super::TraceError;
use crate::bpf::{AUDIT_ARCH_X86_64, X32_SYSCALL_BIT};

/// Options every tracee gets (new tasks inherit them): syscall-stops marked
/// with 0x80, every new task traced from its first instruction, exec
/// reported, and the whole tree SIGKILLed if the tracer goes away.
const OPTIONS: libc::c_int = libc::PTRACE_O_TRACESYSGOOD
    | libc::PTRACE_O_TRACEFORK
    | libc::PTRACE_O_TRACEVFORK
    | libc::PTRACE_O_TRACECLONE
    | libc::PTRACE_O_TRACEEXEC
    | libc::PTRACE_O_EXITKILL;

const SYSCALL_STOP: i32 = libc::SIGTRAP | 0x80;

/// Syscalls whose first argument is a socket domain.
const SYS_SOCKET: i64 = libc::SYS_socket;
const SYS_SOCKETPAIR: i64 = libc::SYS_socketpair;
/// `clone` (flags in the first argument register) and `clone3` (flags in
/// memory).
const SYS_CLONE: u64 = libc::SYS_clone as u64;
const SYS_CLONE3: u64 = libc::SYS_clone3 as u64;
/// `CLONE_UNTRACED`: a child created with it is not traced, whatever the
/// tracer's options say.
const CLONE_UNTRACED: u64 = libc::CLONE_UNTRACED as u64;
/// `execve`: the root's own call happens before tracing starts.
const SYS_EXECVE: i64 = libc::SYS_execve;

/// Kills the traced tree from any thread, race-free: it holds a pidfd per
/// live traced *process* (threads die with their process).
#[derive(Debug, Default)]
pub(super) struct Killer {
    pidfds: Mutex<HashMap<i32, OwnedFd>>,
    fired: AtomicBool,
}

impl Killer {
    /// Remembers process `pid` (a no-op for a thread that does not lead its
    /// thread group). `pid` must be a tracee whose exit was not yet consumed.
    pub(super) fn track(&self, pid: i32) {
        match sys::pidfd_open(pid) {
            Ok(Some(fd)) => {
                self.pidfds
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(pid, fd);
            }
            Ok(None) => {}
            // The tracer still kills it when it next stops after a timeout.
            Err(err) => tracing::warn!(pid, error = %err, "no pidfd for a traced process"),
        }
    }

    /// Remembers the root process. On an error (no pidfd support) the root
    /// has been killed and reaped.
    pub(super) fn track_root(&self, root: i32) -> io::Result<()> {
        match sys::pidfd_open(root) {
            Ok(fd) => {
                if let Some(fd) = fd {
                    self.pidfds
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(root, fd);
                }
                Ok(())
            }
            Err(err) => {
                sys::kill(root);
                while sys::wait_for(root).is_ok_and(|s| libc::WIFSTOPPED(s)) {}
                Err(err)
            }
        }
    }

    fn forget(&self, pid: i32) {
        self.pidfds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&pid);
    }

    /// The wall-clock limit expired: SIGKILL every known process.
    pub(super) fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        let fds = self.pidfds.lock().unwrap_or_else(PoisonError::into_inner);
        for fd in fds.values() {
            sys::pidfd_kill(fd);
        }
    }

    pub(super) fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

/// What the loop saw.
#[derive(Debug, Default)]
pub(super) struct Recorded {
    /// Syscall number → entries.
    pub syscalls: BTreeMap<i64, u64>,
    /// Domains passed to `socket()`/`socketpair()`.
    pub socket_domains: BTreeSet<i32>,
    /// Calls through another ABI (i386 `int 0x80`, x32).
    pub other_abi_calls: u64,
    /// Tasks (processes and threads) traced, the root included.
    pub tasks: u64,
    /// The root's raw wait status.
    pub root_status: i32,
}

/// The state of one trace. Dropping it kills and reaps whatever is still
/// traced, so an error or a panic never leaves a stopped tree behind.
pub(super) struct Tracer<'k> {
    root: i32,
    /// Live tracees: task id → whether its first stop has been seen.
    tasks: HashMap<i32, bool>,
    killer: &'k Killer,
    /// The deadline passed or the root ended: every task is killed on sight.
    killing: bool,
    rec: Recorded,
    root_status: Option<i32>,
}

/// The task is gone (killed meanwhile): its exit will be reported.
fn gone(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::ESRCH)
}

impl<'k> Tracer<'k> {
    pub(super) fn new(root: i32, killer: &'k Killer) -> Self {
        Tracer {
            root,
            tasks: HashMap::new(),
            killer,
            killing: false,
            rec: Recorded::default(),
            root_status: None,
        }
    }

    /// Runs the trace to the end: the root has exited and every other task
    /// is dead and reaped.
    pub(super) fn run(mut self) -> Result<Recorded, TraceError> {
        self.tasks.insert(self.root, true);
        self.rec.tasks = 1;
        self.start_root()?;
        while !self.tasks.is_empty() {
            let Some((pid, status)) =
                sys::wait_any().map_err(|e| ptrace_err("wait for", self.root, e))?
            else {
                break;
            };
            if !self.killing && self.killer.fired() {
                self.kill_all();
            }
            self.on_event(pid, status)?;
        }
        let Some(status) = self.root_status else {
            return Err(ptrace_err(
                "wait for",
                self.root,
                io::Error::from_raw_os_error(libc::ECHILD),
            ));
        };
        self.rec.root_status = status;
        Ok(std::mem::take(&mut self.rec))
    }

    /// The root's first stop is the SIGTRAP its `execve` raises under
    /// `PTRACE_TRACEME`; set the options there and let it run.
    fn start_root(&mut self) -> Result<(), TraceError> {
        let root = self.root;
        let status = sys::wait_for(root).map_err(|e| ptrace_err("wait for", root, e))?;
        if !libc::WIFSTOPPED(status) {
            // Killed before its first instruction (a timeout, say).
            self.tasks.clear();
            self.root_status = Some(status);
            return Ok(());
        }
        sys::set_options(root, OPTIONS).map_err(|e| ptrace_err("set options on", root, e))?;
        *self.rec.syscalls.entry(SYS_EXECVE).or_default() += 1;
        let sig = libc::WSTOPSIG(status);
        self.resume(root, if sig == libc::SIGTRAP { 0 } else { sig })
    }

    fn on_event(&mut self, pid: i32, status: i32) -> Result<(), TraceError> {
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            self.tasks.remove(&pid);
            self.killer.forget(pid);
            if pid == self.root {
                self.root_status = Some(status);
                // Like the executor: the task ends with its root process.
                self.kill_all();
            }
            return Ok(());
        }
        if !libc::WIFSTOPPED(status) {
            return Ok(());
        }
        let sig = libc::WSTOPSIG(status);
        let first_stop = !self.tasks.get(&pid).copied().unwrap_or(false);
        if first_stop {
            // A new task starts in a SIGSTOP stop; it may report before its
            // parent's fork event does.
            self.add_task(pid);
            self.tasks.insert(pid, true);
            return self.resume(pid, if sig == libc::SIGSTOP { 0 } else { sig });
        }
        if self.killing {
            sys::kill(pid);
            return self.resume(pid, 0);
        }
        let event = (status >> 16) & 0xff;
        match sig {
            SYSCALL_STOP => {
                match sys::syscall_info(pid) {
                    Ok(SyscallStop::Entry { arch, nr, args }) => {
                        self.record(arch, nr, args);
                        if arch == AUDIT_ARCH_X86_64 {
                            self.keep_children_traced(pid, nr, args[0])?;
                        }
                    }
                    Ok(SyscallStop::Other) => {}
                    Err(e) if gone(&e) => return Ok(()),
                    // An unknown request: the kernel predates Linux 5.3.
                    Err(source) if source.raw_os_error() == Some(libc::EIO) => {
                        return Err(TraceError::Unsupported {
                            what: "PTRACE_GET_SYSCALL_INFO",
                            source,
                        })
                    }
                    Err(e) => return Err(ptrace_err("read the syscall of", pid, e)),
                }
                self.resume(pid, 0)
            }
            libc::SIGTRAP if event != 0 => {
                self.on_ptrace_event(pid, event)?;
                self.resume(pid, 0)
            }
            libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => {
                match sys::is_signal_delivery(pid) {
                    Ok(true) => self.resume(pid, sig),
                    // A group-stop: let the task go on (nothing here would
                    // ever send it SIGCONT).
                    Ok(false) => self.resume(pid, 0),
                    Err(e) if gone(&e) => Ok(()),
                    Err(e) => Err(ptrace_err("read the signal of", pid, e)),
                }
            }
            // A real signal: deliver it.
            _ => self.resume(pid, sig),
        }
    }

    /// No child may leave the trace. `clone(CLONE_UNTRACED)` would: the flag
    /// is cleared from the register before the kernel reads it. `clone3`
    /// keeps its flags in memory another thread could change after a check,
    /// so it is answered `ENOSYS` without running — as the `seccomp` level's
    /// filter does — and libc falls back to `clone`.
    fn keep_children_traced(&self, pid: i32, nr: u64, arg0: u64) -> Result<(), TraceError> {
        let edited = match nr {
            SYS_CLONE if arg0 & CLONE_UNTRACED != 0 => {
                tracing::debug!(pid, "trace: clearing CLONE_UNTRACED");
                sys::edit_regs(pid, |r| r.rdi &= !CLONE_UNTRACED)
            }
            // An invalid number makes the kernel skip the call; the entry
            // code has already set the return value to -ENOSYS.
            SYS_CLONE3 => sys::edit_regs(pid, |r| r.orig_rax = u64::MAX),
            _ => return Ok(()),
        };
        match edited {
            Err(e) if !gone(&e) => Err(ptrace_err("rewrite the clone of", pid, e)),
            _ => Ok(()),
        }
    }

    fn on_ptrace_event(&mut self, pid: i32, event: i32) -> Result<(), TraceError> {
        let msg = match sys::event_msg(pid) {
            Ok(msg) => msg,
            Err(e) if gone(&e) => return Ok(()),
            Err(e) => return Err(ptrace_err("read the event of", pid, e)),
        };
        match event {
            libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE => {
                let new = i32::try_from(msg).unwrap_or(0);
                if new > 0 {
                    self.add_task(new);
                }
            }
            libc::PTRACE_EVENT_EXEC => {
                // A non-leader thread that calls execve takes over the
                // leader's id; its former id vanishes without an exit report.
                let former = i32::try_from(msg).unwrap_or(pid);
                if former != pid {
                    self.tasks.remove(&former);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A task announced by a fork/clone event or by its first stop.
    fn add_task(&mut self, tid: i32) {
        if self.tasks.contains_key(&tid) {
            return;
        }
        self.tasks.insert(tid, false);
        self.rec.tasks += 1;
        self.killer.track(tid);
        if self.killing {
            sys::kill(tid);
        }
    }

    fn record(&mut self, arch: u32, nr: u64, args: [u64; 6]) {
        let x32 = nr <= u64::from(u32::MAX) && nr & u64::from(X32_SYSCALL_BIT) != 0;
        if arch != AUDIT_ARCH_X86_64 || x32 {
            self.rec.other_abi_calls += 1;
            return;
        }
        let nr = nr as i64;
        *self.rec.syscalls.entry(nr).or_default() += 1;
        if nr == SYS_SOCKET || nr == SYS_SOCKETPAIR {
            // The domain is a C int in the first argument register.
            self.rec.socket_domains.insert(args[0] as u32 as i32);
        }
    }

    fn resume(&self, pid: i32, sig: i32) -> Result<(), TraceError> {
        match sys::resume(pid, sig) {
            Err(e) if !gone(&e) => Err(ptrace_err("resume", pid, e)),
            _ => Ok(()),
        }
    }

    /// SIGKILLs every live task and kills every new one on sight.
    fn kill_all(&mut self) {
        self.killing = true;
        for &tid in self.tasks.keys() {
            sys::kill(tid);
        }
    }
}

impl Drop for Tracer<'_> {
    fn drop(&mut self) {
        if self.tasks.is_empty() {
            return;
        }
        self.kill_all();
        while !self.tasks.is_empty() {
            let Ok(Some((pid, status))) = sys::wait_any() else {
                return;
            };
            if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                self.tasks.remove(&pid);
            } else {
                sys::kill(pid);
                let _ = sys::resume(pid, 0);
            }
        }
    }
}

fn ptrace_err(action: &'static str, pid: i32, source: io::Error) -> TraceError {
    TraceError::Ptrace {
        action,
        pid,
        source,
    }
}
