//! The report channel from the jail to the executor, and its line format.
//!
//! The jail's processes write whole lines (one `write` each, so lines from
//! different processes never interleave) to [`REPORT_FD`](super::REPORT_FD),
//! a pipe the executor reads after the run. Formatting goes into a fixed
//! stack buffer: the writers run between `fork` and `exec` and must not
//! allocate.
//!
//! Lines:
//! - `note <text>`: a warning from the set-up (a mask that was skipped).
//! - `error <errno> <step>`: set-up failed at `<step>` (errno 0: no errno);
//!   the task did not run.
//! - `syscall <nr> <arg0>`: the task made a denied syscall and was killed.
//! - `path <nr> <path>`: the task tried a masked path and was killed.
//! - `survived <pid>`: a process caught SIGSYS and was SIGKILLed instead.
//! - `exit <code>` / `signal <number>`: how the task's main process ended.

use std::fmt::Write as _;

use super::sys;

/// The longest line (a path of `PATH_MAX` plus the prefix).
const LINE_MAX: usize = 4096 + 64;

/// A line being formatted into a fixed buffer; excess is cut off.
pub(super) struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
}

impl Line {
    pub(super) fn new() -> Self {
        Line {
            buf: [0; LINE_MAX],
            len: 0,
        }
    }

    /// Appends raw bytes (a path), replacing newlines so the line stays one.
    pub(super) fn bytes(&mut self, data: &[u8]) -> &mut Self {
        for &b in data {
            if self.len >= LINE_MAX - 1 {
                break;
            }
            self.buf[self.len] = if b == b'\n' { b'?' } else { b };
            self.len += 1;
        }
        self
    }

    /// Sends the line (with its newline) to `fd`.
    pub(super) fn send(&mut self, fd: libc::c_int) {
        let end = self.len.min(LINE_MAX - 1);
        self.buf[end] = b'\n';
        let _ = sys::write_all(fd, &self.buf[..=end]);
        self.len = 0;
    }
}

impl std::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// Reports a failed set-up step and leaves with [`SETUP_FAILED`](super::SETUP_FAILED).
pub(super) fn fail(fd: libc::c_int, step: &str, errno: sys::Errno) -> ! {
    let mut line = Line::new();
    let _ = write!(line, "error {errno} {step}");
    line.send(fd);
    sys::exit_now(super::SETUP_FAILED)
}

/// Reports a set-up failure with a message (no errno) and leaves.
pub(super) fn fail_msg(fd: libc::c_int, msg: &str) -> ! {
    let mut line = Line::new();
    line.bytes(b"error 0 ").bytes(msg.as_bytes());
    line.send(fd);
    sys::exit_now(super::SETUP_FAILED)
}

/// Reports a note (a warning the executor logs).
pub(super) fn note(fd: libc::c_int, msg: &str) {
    let mut line = Line::new();
    line.bytes(b"note ").bytes(msg.as_bytes());
    line.send(fd);
}

/// One parsed report line (executor side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// Set-up failed.
    Error {
        /// The errno.
        errno: i32,
        /// What was being done.
        step: String,
    },
    /// A denied syscall.
    Syscall {
        /// Its number.
        nr: i64,
        /// Its first argument (socket domain, clone flags, …).
        arg0: u64,
    },
    /// An attempt on a masked path.
    Path {
        /// The syscall's number.
        nr: i64,
        /// The path as resolved in the sandbox.
        path: String,
    },
    /// An attempt to create a protected path.
    Protected {
        /// The syscall's number.
        nr: i64,
        /// The path as resolved in the sandbox.
        path: String,
    },
    /// A process survived SIGSYS (it had a handler) and was SIGKILLed.
    Survived,
    /// A warning from the jail's set-up.
    Note(String),
    /// The task exited with a code.
    Exit(i32),
    /// The task was killed by a signal.
    Signal(i32),
}

/// Parses the report text; unknown lines are skipped with a warning.
pub(crate) fn parse(text: &str) -> Vec<Event> {
    let mut out = Vec::new();
    for line in text.lines() {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        let event = match kind {
            "error" => {
                let (errno, step) = rest.split_once(' ').unwrap_or((rest, ""));
                errno.parse().ok().map(|errno| Event::Error {
                    errno,
                    step: step.to_owned(),
                })
            }
            "syscall" => {
                let (nr, arg0) = rest.split_once(' ').unwrap_or((rest, "0"));
                match (nr.parse(), arg0.parse()) {
                    (Ok(nr), Ok(arg0)) => Some(Event::Syscall { nr, arg0 }),
                    _ => None,
                }
            }
            "path" => {
                let (nr, path) = rest.split_once(' ').unwrap_or((rest, ""));
                nr.parse().ok().map(|nr| Event::Path {
                    nr,
                    path: path.to_owned(),
                })
            }
            "protected" => {
                let (nr, path) = rest.split_once(' ').unwrap_or((rest, ""));
                nr.parse().ok().map(|nr| Event::Protected {
                    nr,
                    path: path.to_owned(),
                })
            }
            "survived" => Some(Event::Survived),
            "note" => Some(Event::Note(rest.to_owned())),
            "exit" => rest.parse().ok().map(Event::Exit),
            "signal" => rest.parse().ok().map(Event::Signal),
            _ => None,
        };
        match event {
            Some(e) => out.push(e),
            None => tracing::warn!(line, "unexpected line in the jail's report"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let text = "error 2 mount proc\nsyscall 41 2\npath 257 /etc/shadow\nsurvived 7\nexit 3\nsignal 31\nbogus\n";
        assert_eq!(
            parse(text),
            vec![
                Event::Error {
                    errno: 2,
                    step: "mount proc".into()
                },
                Event::Syscall { nr: 41, arg0: 2 },
                Event::Path {
                    nr: 257,
                    path: "/etc/shadow".into()
                },
                Event::Survived,
                Event::Exit(3),
                Event::Signal(31),
            ]
        );
    }

    #[test]
    fn long_lines_are_cut_and_newlines_replaced() {
        let mut line = Line::new();
        line.bytes(b"a\nb");
        assert_eq!(&line.buf[..line.len], b"a?b");
        line.bytes(&[b'x'; 10_000]);
        assert_eq!(line.len, LINE_MAX - 1);
    }
}
