//! Steering a run from outside while it runs: a [`CancelHandle`] that
//! stops it, and a channel that receives its output as it is produced.
//! Both go in a [`RunControl`] handed to [`super::run_with`]; the spec
//! itself stays data.
//!
//! A handle wakes the supervisor through a socket pair (the supervisor
//! polls its read end with the task's pipes), so a cancel from another
//! thread takes effect at once, not at the next timeout.

use std::io::{self, Read as _, Write as _};
use std::os::fd::{AsFd as _, AsRawFd as _, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::wire;

/// Stops a run: [`cancel`](CancelHandle::cancel) makes every run
/// supervised with this handle (clones share it) kill its task's whole
/// process tree — at level `firecracker` the VMM and its jail — and return
/// [`super::Violation::Cancelled`]. Once cancelled a handle stays
/// cancelled, and a run started with it is killed as soon as it starts.
///
/// [`CancelHandle::global`] is the process-wide handle every run obeys
/// besides its own (the CLI trips it on Ctrl-C and SIGTERM).
///
/// # Examples
/// ```
/// use agent_muscle::exec::{run_with, CancelHandle, ExecSpec, RunControl, Violation};
///
/// let cancel = CancelHandle::new();
/// let control = RunControl { cancel: Some(cancel.clone()), ..RunControl::default() };
/// let stopper = std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_millis(200));
///     cancel.cancel();
/// });
/// let spec = ExecSpec::new(["sleep", "30"], std::env::temp_dir());
/// let result = run_with(&spec, &control).unwrap();
/// stopper.join().unwrap();
/// assert_eq!(result.violation, Some(Violation::Cancelled));
/// ```
#[derive(Clone, Debug)]
pub struct CancelHandle {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    flag: Arc<AtomicBool>,
    /// Read end (polled by supervisors) and write end (one byte per
    /// cancel). `None` when no socket pair could be made: supervisors then
    /// look at the flag every [`super::run`]'s `NO_WAKE_TICK`.
    wake: Option<(UnixStream, UnixStream)>,
}

impl Default for CancelHandle {
    fn default() -> Self {
        CancelHandle::new()
    }
}

impl CancelHandle {
    /// A handle that is not cancelled.
    pub fn new() -> CancelHandle {
        let wake = UnixStream::pair().and_then(|(r, w)| {
            r.set_nonblocking(true)?;
            w.set_nonblocking(true)?;
            Ok((r, w))
        });
        if let Err(e) = &wake {
            tracing::warn!(error = %e, "no wake-up socket for a cancel handle; supervisors will poll it");
        }
        CancelHandle {
            inner: Arc::new(Inner {
                flag: Arc::new(AtomicBool::new(false)),
                wake: wake.ok(),
            }),
        }
    }

    /// The process-wide handle: every run obeys it besides its own. A
    /// binary trips it from its SIGINT and SIGTERM handlers (see
    /// [`CancelHandle::flag`] and [`CancelHandle::waker`]).
    pub fn global() -> CancelHandle {
        static GLOBAL: OnceLock<CancelHandle> = OnceLock::new();
        GLOBAL.get_or_init(CancelHandle::new).clone()
    }

    /// Cancels every run supervised with this handle. Only an atomic store
    /// and a non-blocking `write(2)`: callable from any thread.
    pub fn cancel(&self) {
        self.inner.flag.store(true, Ordering::SeqCst);
        if let Some((_, w)) = &self.inner.wake {
            // A full socket already wakes the reader; nothing to do.
            let _ = (&*w).write(&[1]);
        }
    }

    /// Whether [`cancel`](CancelHandle::cancel) was called (or the flag
    /// raised).
    pub fn is_cancelled(&self) -> bool {
        self.inner.flag.load(Ordering::SeqCst)
    }

    /// The flag itself, for a signal handler that can only store to an
    /// atomic (`signal_hook::flag::register`). Raise it, never lower it;
    /// register [`CancelHandle::waker`] for the same signal *after* it, so
    /// the flag is up when the supervisor wakes.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.inner.flag)
    }

    /// A descriptor to write a byte to (non-blocking) to wake the runs of
    /// this handle after raising its [`flag`](CancelHandle::flag): for
    /// `signal_hook::low_level::pipe::register`. A duplicate of the
    /// handle's write end; closing it changes nothing.
    ///
    /// # Errors
    ///
    /// The handle has no wake-up socket, or `dup` failed.
    pub fn waker(&self) -> io::Result<OwnedFd> {
        match &self.inner.wake {
            Some((_, w)) => w.as_fd().try_clone_to_owned(),
            None => Err(io::Error::other("this cancel handle has no wake-up socket")),
        }
    }

    /// The descriptor a supervisor polls for readability, if there is one.
    pub(super) fn wake_fd(&self) -> Option<i32> {
        self.inner.wake.as_ref().map(|(r, _)| r.as_raw_fd())
    }

    /// Whether this handle is cancelled, after a wake-up: a byte without
    /// the flag (a flag someone lowered) is drained so it does not wake the
    /// supervisor forever, then the flag is looked at again.
    pub(super) fn check_after_wake(&self) -> bool {
        if self.is_cancelled() {
            return true;
        }
        if let Some((r, _)) = &self.inner.wake {
            let mut buf = [0u8; 64];
            while matches!((&*r).read(&mut buf), Ok(n) if n > 0) {}
        }
        self.is_cancelled()
    }
}

/// Which output stream a chunk is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// The task's stdout.
    Stdout,
    /// The task's stderr.
    Stderr,
}

/// Bytes a task wrote, as they arrived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputChunk {
    /// Which stream.
    pub stream: Stream,
    /// The bytes (a chunk may end inside a line or a UTF-8 character).
    #[serde(with = "wire::bytes")]
    pub bytes: Vec<u8>,
}

/// How a caller steers one run beyond its [`super::ExecSpec`]:
/// `RunControl::default()` is what [`super::run`] uses.
#[derive(Clone, Debug, Default)]
pub struct RunControl {
    /// Stops the run when cancelled (the process-wide
    /// [`CancelHandle::global`] does too, always).
    pub cancel: Option<CancelHandle>,
    /// Receives the task's stdout and stderr as they are produced, at every
    /// level (at `firecracker`, as the guest agent's console frames
    /// arrive). The chunks are exactly the bytes the result captures: each
    /// stream stops at [`super::Limits::output_bytes`], like the capture,
    /// so at most twice that is ever sent. Sending never blocks the run; a
    /// dropped receiver just stops the stream.
    pub output: Option<Sender<OutputChunk>>,
}

/// Where a supervisor hands kept output (internal).
pub(crate) type OutputSink<'a> = &'a mut dyn FnMut(Stream, &[u8]);

/// What the supervisors get from a [`RunControl`] (internal): the handles
/// to obey and where kept output goes.
pub(crate) struct Supervision<'a> {
    /// This run's handle, if any.
    pub cancel: Option<&'a CancelHandle>,
    /// Called with every chunk of output kept in the result.
    pub on_output: Option<OutputSink<'a>>,
}

impl Supervision<'_> {
    /// The handles the run obeys: its own and the process-wide one.
    pub(crate) fn handles(&self) -> Vec<CancelHandle> {
        let mut handles = vec![CancelHandle::global()];
        handles.extend(self.cancel.cloned());
        handles
    }

    /// Whether the run is cancelled already.
    pub(crate) fn cancelled(&self) -> bool {
        self.handles().iter().any(CancelHandle::is_cancelled)
    }

    /// Hands a chunk of kept output on.
    pub(crate) fn output(&mut self, stream: Stream, bytes: &[u8]) {
        if let Some(sink) = self.on_output.as_mut() {
            if !bytes.is_empty() {
                sink(stream, bytes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_types_are_send_and_sync() {
        fn check<T: Send + Sync + Clone>() {}
        check::<CancelHandle>();
        check::<RunControl>();
        check::<OutputChunk>();
    }

    #[test]
    fn a_cancel_wakes_the_read_end_and_stays() {
        let h = CancelHandle::new();
        assert!(!h.is_cancelled());
        let other = h.clone();
        other.cancel();
        assert!(h.is_cancelled());
        assert!(h.check_after_wake());
        // A lowered flag with a byte left: drained, not cancelled.
        h.flag().store(false, Ordering::SeqCst);
        assert!(!h.check_after_wake());
        let fd = h.waker().unwrap();
        drop(fd);
        h.cancel();
        assert!(h.is_cancelled());
    }
}
