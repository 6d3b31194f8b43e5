//! Level `none`: spawn, feed stdin, capture output, enforce the wall clock,
//! kill the tree, reap.
//!
//! One thread does everything with `poll(2)` over the output pipes, the stdin
//! pipe and a pidfd that becomes readable when the task exits; no helper
//! threads, so nothing is left blocked on a pipe an escaped process holds.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use super::cgroup::Cgroup;
use super::control::{CancelHandle, Stream, Supervision};
use super::prepare::Prepared;
use super::{sys, tree, ExecError, ExecResult, Exit, LimitsVia, Violation};

/// How long to keep reading output after the tree was killed. Killed
/// processes close their pipe ends at once; only a process that escaped the
/// kill can hold one open longer, and we do not wait for it.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// Poll interval when the kernel has no pidfd.
const NO_PIDFD_TICK: Duration = Duration::from_millis(5);

/// How often a cancel handle without a wake-up socket is looked at.
const NO_WAKE_TICK: Duration = Duration::from_millis(50);

#[expect(
    clippy::disallowed_methods,
    reason = "agent-muscle is the one crate that runs processes"
)]
pub(super) fn new_command(program: &Path) -> Command {
    Command::new(program)
}

pub(super) fn run_unsandboxed(
    p: &Prepared<'_>,
    sup: &mut Supervision<'_>,
) -> Result<ExecResult, ExecError> {
    let mut cmd = new_command(&p.program);
    cmd.arg0(&p.argv[0])
        .args(&p.argv[1..])
        .current_dir(p.workspace)
        .env_clear()
        .envs(p.env.iter().map(|(k, v)| (k, v)));
    run_command(p, cmd, false, sup)
}

/// Spawns `cmd` (the task itself, or with `jail` the `muscle-jail` helper
/// that runs it) with the task's stdio, rlimits, session and death signal,
/// then supervises, kills the tree and reaps it.
///
/// With the jail the tree kill is the process group's: the helper and its
/// PID 1 are in it, and PID 1's death takes the whole PID namespace with it,
/// so no `/proc` walk is needed.
///
/// `sup` can cancel the run (then the tree is killed as on a timeout) and
/// receives the output as it is kept.
pub(super) fn run_command(
    p: &Prepared<'_>,
    mut cmd: Command,
    jail: bool,
    sup: &mut Supervision<'_>,
) -> Result<ExecResult, ExecError> {
    let kill: fn(i32) = if jail {
        tree::kill_group
    } else {
        tree::kill_tree
    };
    cmd.stdin(if p.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut rlimits = p.rlimits;
    let mut cgroup = Cgroup::create(p.limits.pids, p.limits.memory_bytes);
    let limits_via = match &cgroup {
        Some(cg) => {
            rlimits.nproc = None;
            rlimits.address_space = None;
            cg.via()
        }
        None if p.limits.pids.is_some() || p.limits.memory_bytes.is_some() => LimitsVia::Rlimit,
        None => LimitsVia::Unlimited,
    };
    let procs = cgroup.as_ref().map_or([-1; 2], Cgroup::procs_fds);
    sys::install_child_setup(&mut cmd, rlimits, procs);

    let start = Instant::now();
    let spawned = cmd.spawn();
    if let Some(cg) = cgroup.as_mut() {
        cg.close_procs();
    }
    let mut child = match spawned {
        Ok(child) => child,
        Err(source) => {
            if let Some(cg) = cgroup {
                cg.destroy();
            }
            return Err(ExecError::Io {
                action: format!("start `{}`", p.argv[0]),
                source,
            });
        }
    };
    let pid = child.id() as i32;
    let mut streams = Streams {
        stdin: child.stdin.take(),
        stdin_data: p.stdin.unwrap_or_default(),
        stdin_written: 0,
        stdout: Capture::new(child.stdout.take(), Stream::Stdout, p.limits.output_bytes),
        stderr: Capture::new(child.stderr.take(), Stream::Stderr, p.limits.output_bytes),
    };

    // Whatever happens while supervising, the tree is killed and the task
    // reaped before returning.
    let disk = p.limits.disk_bytes.and_then(|limit| {
        let used = sys::fs_used_bytes(p.workspace).ok()?;
        Some(DiskBudget {
            path: p.workspace,
            base: used,
            limit,
        })
    });
    let supervised = supervise(
        pid,
        &mut streams,
        Watch {
            deadline: start + p.limits.wall,
            kill,
            disk: disk.as_ref(),
            cancel: &sup.handles(),
        },
        sup,
    );
    let wall = start.elapsed();
    kill(pid);
    streams.stdin = None;
    let drained = drain(&mut streams, Instant::now() + DRAIN_GRACE, sup);
    let reaped = sys::reap(pid);
    let oom_killed = cgroup.as_ref().is_some_and(Cgroup::oom_killed);
    if let Some(cg) = cgroup {
        cg.destroy();
    }
    let reaped = reaped.map_err(|source| ExecError::Io {
        action: format!("wait for `{}` (pid {pid})", p.argv[0]),
        source,
    })?;
    let ending = supervised.map_err(|source| ExecError::Io {
        action: format!("supervise `{}` (pid {pid})", p.argv[0]),
        source,
    })?;
    if let Err(err) = drained {
        tracing::warn!(pid, error = %err, "stopped reading the task's output early");
    }

    let status = match sys::decode_status(reaped.status) {
        Ok(code) => Exit::Code(code),
        Err(signal) => Exit::from_signal(signal),
    };
    let limits = p.limits;
    let cpu_killed = match &status {
        Exit::Signal { number, .. } => limits.cpu.is_some_and(|limit| {
            *number == libc::SIGXCPU || (*number == libc::SIGKILL && reaped.cpu >= limit)
        }),
        Exit::Code(_) => false,
    };
    let truncated = streams.stdout.truncated || streams.stderr.truncated;
    // A file stopped at the size cap kills only the writer (SIGXFSZ), which
    // the shell above it turns into exit code 153; the budget used up by the
    // end of the run says the same (unless another writer on the file
    // system freed space meanwhile, which is why the status comes first).
    let xfsz = stopped_at_file_size_cap(&status) || disk.as_ref().is_some_and(DiskBudget::used_up);
    let violation = if ending == Ending::Cancelled {
        Some(Violation::Cancelled)
    } else if let Some(limit) = limits
        .disk_bytes
        .filter(|_| xfsz || ending == Ending::DiskFull)
    {
        Some(Violation::DiskLimit { limit })
    } else if ending == Ending::TimedOut {
        Some(Violation::WallTimeout { limit: limits.wall })
    } else if cpu_killed {
        limits.cpu.map(|limit| Violation::CpuLimit { limit })
    } else if let (true, Some(limit)) = (oom_killed, limits.memory_bytes) {
        Some(Violation::MemoryLimit { limit })
    } else if truncated {
        Some(Violation::OutputLimit {
            limit: limits.output_bytes,
        })
    } else {
        None
    };
    Ok(ExecResult {
        traps: Vec::new(),
        egress: Vec::new(),
        status,
        stdout: streams.stdout.buf,
        stderr: streams.stderr.buf,
        stdout_truncated: streams.stdout.truncated,
        stderr_truncated: streams.stderr.truncated,
        wall,
        cpu: reaped.cpu,
        peak_memory_bytes: reaped.max_rss_bytes,
        violation,
        limits_via,
        vm: None,
    })
}

/// Whether `status` says a process was stopped at the file-size cap
/// (`RLIMIT_FSIZE`, set only with a disk limit): killed by `SIGXFSZ`, or a
/// shell's exit code 153 (128 + `SIGXFSZ`) for a child killed by it.
pub(super) fn stopped_at_file_size_cap(status: &Exit) -> bool {
    match status {
        Exit::Signal { number, .. } => *number == libc::SIGXFSZ,
        Exit::Code(code) => *code == 128 + libc::SIGXFSZ,
    }
}

/// One captured output stream.
struct Capture<R> {
    pipe: Option<R>,
    stream: Stream,
    buf: Vec<u8>,
    cap: usize,
    truncated: bool,
}

impl<R: Read + AsRawFd> Capture<R> {
    fn new(pipe: Option<R>, stream: Stream, cap: usize) -> Self {
        Capture {
            pipe,
            stream,
            buf: Vec::new(),
            cap,
            truncated: false,
        }
    }

    /// One `read`; closes the pipe at end of file or on an error. What is
    /// kept also goes to `sup`'s output.
    fn read_once(&mut self, scratch: &mut [u8], sup: &mut Supervision<'_>) {
        let Some(pipe) = self.pipe.as_mut() else {
            return;
        };
        match pipe.read(scratch) {
            Ok(0) => self.pipe = None,
            Ok(n) => {
                let room = self.cap.saturating_sub(self.buf.len());
                let keep = n.min(room);
                self.buf.extend_from_slice(&scratch[..keep]);
                sup.output(self.stream, &scratch[..keep]);
                if keep < n {
                    self.truncated = true;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                tracing::warn!(error = %e, "reading the task's output failed");
                self.pipe = None;
            }
        }
    }
}

struct Streams<'a> {
    stdin: Option<ChildStdin>,
    stdin_data: &'a [u8],
    stdin_written: usize,
    stdout: Capture<ChildStdout>,
    stderr: Capture<ChildStderr>,
}

impl Streams<'_> {
    fn set_nonblocking(&self) -> io::Result<()> {
        if let Some(s) = &self.stdin {
            sys::set_nonblocking(s)?;
        }
        if let Some(s) = &self.stdout.pipe {
            sys::set_nonblocking(s)?;
        }
        if let Some(s) = &self.stderr.pipe {
            sys::set_nonblocking(s)?;
        }
        Ok(())
    }

    /// Writes what the pipe takes; closes stdin when done or when the task
    /// stopped reading.
    fn write_stdin(&mut self) {
        let Some(stdin) = self.stdin.as_mut() else {
            return;
        };
        let rest = &self.stdin_data[self.stdin_written..];
        if rest.is_empty() {
            self.stdin = None;
            return;
        }
        match stdin.write(rest) {
            Ok(n) => {
                self.stdin_written += n;
                if self.stdin_written == self.stdin_data.len() {
                    self.stdin = None;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            // EPIPE and the like: the task closed its stdin; not our error.
            Err(_) => self.stdin = None,
        }
    }
}

const IN: i16 = libc::POLLIN | libc::POLLHUP | libc::POLLERR;

/// The pollfd slots [`supervise`] uses.
const OUT_FD: usize = 0;
const ERR_FD: usize = 1;
const STDIN_FD: usize = 2;
const PID_FD: usize = 3;
/// The cancel handles' wake-up sockets (the process-wide one and the run's).
const WAKE_FDS: usize = 4;

fn pollfd(fd: i32, events: i16) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// How supervision ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The task exited by itself.
    Exited,
    /// The wall-clock limit expired and the tree was killed.
    TimedOut,
    /// A cancel handle the run obeys was tripped (its own, or the
    /// process-wide one: Ctrl-C, SIGTERM) and the tree was killed.
    Cancelled,
    /// The workspace's file system grew past the disk budget.
    DiskFull,
}

/// How much the workspace's file system may grow during a run.
struct DiskBudget<'a> {
    path: &'a Path,
    base: u64,
    limit: u64,
}

impl DiskBudget<'_> {
    /// How often the file system's use is checked.
    const EVERY: Duration = Duration::from_millis(100);

    /// The file system grew by at least the budget.
    fn used_up(&self) -> bool {
        sys::fs_used_bytes(self.path).is_ok_and(|used| used.saturating_sub(self.base) >= self.limit)
    }

    fn exceeded(&self) -> bool {
        sys::fs_used_bytes(self.path).is_ok_and(|used| used.saturating_sub(self.base) > self.limit)
    }
}

/// What [`supervise`] watches besides the pipes.
struct Watch<'a> {
    /// When the wall clock runs out.
    deadline: Instant,
    /// Kills the task's tree.
    kill: fn(i32),
    /// The disk budget, if any.
    disk: Option<&'a DiskBudget<'a>>,
    /// The cancel handles the run obeys.
    cancel: &'a [CancelHandle],
}

/// Pumps the pipes until the task exits; on a cancel, an exceeded disk
/// budget or the wall clock the tree is killed first (and pumping goes on
/// until the task is gone).
fn supervise(
    pid: i32,
    s: &mut Streams<'_>,
    watch: Watch<'_>,
    sup: &mut Supervision<'_>,
) -> io::Result<Ending> {
    let Watch {
        deadline,
        kill,
        disk,
        cancel,
    } = watch;
    s.set_nonblocking()?;
    let pidfd: Option<OwnedFd> = sys::pidfd_open(pid)?;
    let mut scratch = vec![0u8; 64 * 1024];
    let wake: Vec<Option<i32>> = cancel.iter().map(CancelHandle::wake_fd).collect();
    let mut ending = Ending::Exited;
    let mut woken = false;
    loop {
        if ending == Ending::Exited {
            let cancelled = if woken {
                // Not `any`: every handle is looked at, so that one that
                // woke the loop without being cancelled is drained.
                let mut any = false;
                for handle in cancel {
                    any |= handle.check_after_wake();
                }
                any
            } else {
                cancel.iter().any(CancelHandle::is_cancelled)
            };
            if cancelled {
                tracing::debug!(pid, "cancelled; killing the task's tree");
                kill(pid);
                ending = Ending::Cancelled;
            } else if disk.is_some_and(DiskBudget::exceeded) {
                tracing::debug!(pid, "disk budget exceeded; killing the task's tree");
                kill(pid);
                ending = Ending::DiskFull;
            } else if Instant::now() >= deadline {
                tracing::debug!(pid, "wall-clock limit reached; killing the task's tree");
                kill(pid);
                ending = Ending::TimedOut;
            }
        }
        let running = ending == Ending::Exited;
        let mut fds = vec![pollfd(-1, 0); WAKE_FDS + wake.len()];
        if let Some(p) = &s.stdout.pipe {
            fds[OUT_FD] = pollfd(p.as_raw_fd(), libc::POLLIN);
        }
        if let Some(p) = &s.stderr.pipe {
            fds[ERR_FD] = pollfd(p.as_raw_fd(), libc::POLLIN);
        }
        if let Some(p) = &s.stdin {
            fds[STDIN_FD] = pollfd(p.as_raw_fd(), libc::POLLOUT);
        }
        if let Some(p) = &pidfd {
            fds[PID_FD] = pollfd(p.as_raw_fd(), libc::POLLIN);
        }
        if running {
            // Once the tree is being killed a tripped handle would only
            // wake the loop for nothing.
            for (slot, fd) in fds[WAKE_FDS..].iter_mut().zip(&wake) {
                if let Some(fd) = fd {
                    *slot = pollfd(*fd, libc::POLLIN);
                }
            }
        }
        let mut timeout = if running {
            Some(deadline.saturating_duration_since(Instant::now()))
        } else {
            None
        };
        let mut tick = |every: Duration| {
            timeout = Some(timeout.map_or(every, |t: Duration| t.min(every)));
        };
        if pidfd.is_none() {
            tick(NO_PIDFD_TICK);
        }
        if disk.is_some() && running {
            tick(DiskBudget::EVERY);
        }
        if running && wake.iter().any(Option::is_none) {
            tick(NO_WAKE_TICK);
        }
        sys::poll(&mut fds, timeout)?;
        if fds[OUT_FD].revents & IN != 0 {
            s.stdout.read_once(&mut scratch, sup);
        }
        if fds[ERR_FD].revents & IN != 0 {
            s.stderr.read_once(&mut scratch, sup);
        }
        if fds[STDIN_FD].revents != 0 {
            s.write_stdin();
        }
        let exited = match &pidfd {
            Some(_) => fds[PID_FD].revents != 0,
            None => sys::has_exited(pid)?,
        };
        if exited {
            return Ok(ending);
        }
        woken = fds[WAKE_FDS..].iter().any(|f| f.revents != 0);
    }
}

/// Reads what is left in the output pipes until both reach end of file or
/// `until` passes.
fn drain(s: &mut Streams<'_>, until: Instant, sup: &mut Supervision<'_>) -> io::Result<()> {
    let mut scratch = vec![0u8; 64 * 1024];
    while s.stdout.pipe.is_some() || s.stderr.pipe.is_some() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            s.stdout.pipe = None;
            s.stderr.pipe = None;
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "an output pipe stayed open after the task's tree was killed",
            ));
        }
        let mut fds = [pollfd(-1, 0); 2];
        if let Some(p) = &s.stdout.pipe {
            fds[0] = pollfd(p.as_raw_fd(), libc::POLLIN);
        }
        if let Some(p) = &s.stderr.pipe {
            fds[1] = pollfd(p.as_raw_fd(), libc::POLLIN);
        }
        sys::poll(&mut fds, Some(left))?;
        if fds[0].revents & IN != 0 {
            s.stdout.read_once(&mut scratch, sup);
        }
        if fds[1].revents & IN != 0 {
            s.stderr.read_once(&mut scratch, sup);
        }
    }
    Ok(())
}
