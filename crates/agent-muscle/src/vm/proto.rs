//! The wire format between the host and the guest agent (`muscle-guest`),
//! both directions, in one place so the two sides cannot drift.
//!
//! - **Host → guest**: a [`GuestTask`] as JSON on a small read-only virtio
//!   block device with serial `task`: an 8-byte little-endian length, then
//!   the JSON. (The kernel command line is too short for real argv and
//!   environments.)
//! - **Guest → host**: lines on the serial console, each
//!   `@@autonomic:v1 <kind> <payload>`; everything else on the console
//!   (kernel messages) is noise the host keeps only for diagnostics. Kinds:
//!   `ready` (agent set up) and `start` (task started), both with the
//!   guest's uptime in ms, `end` (the task's main process ended, uptime),
//!   `out`/`err` (a chunk of the task's stdout/stderr, base64), `exit`
//!   (code), `signal` (number), `error` (set-up failure, base64 text).

use serde::{Deserialize, Serialize};

/// Prefix of every frame line.
pub const FRAME_PREFIX: &str = "@@autonomic:v1 ";

/// Virtio-blk serial of the task disk.
pub const TASK_SERIAL: &str = "task";
/// Virtio-blk serial of the read-only root filesystem.
pub const ROOTFS_SERIAL: &str = "rootfs";
/// Virtio-blk serial of the workspace disk.
pub const WORKSPACE_SERIAL: &str = "workspace";

/// Where the workspace is mounted in the guest.
pub const GUEST_WORKSPACE: &str = "/workspace";

/// What the guest runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestTask {
    /// The program (looked up on the task's `PATH` unless it has a `/`) and
    /// its arguments.
    pub argv: Vec<String>,
    /// The task's whole environment.
    pub env: Vec<(String, String)>,
    /// Size of the overlay's tmpfs (writes to `/`) and of `/tmp`, MiB.
    pub scratch_mib: u64,
    /// Whether a workspace disk is attached.
    pub workspace: bool,
    /// Whether the VM has a network card (QEMU user networking: the guest
    /// is 10.0.2.15/24, the gateway 10.0.2.2 is the host, DNS 10.0.2.3).
    #[serde(default)]
    pub network: bool,
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The agent is ready (guest uptime, ms).
    Ready(u64),
    /// The task was started (guest uptime, ms).
    Start(u64),
    /// The task's main process ended (guest uptime, ms); `Exit` or `Signal`
    /// follows once the agent has cleaned up.
    End(u64),
    /// Task stdout bytes.
    Out(Vec<u8>),
    /// Task stderr bytes.
    Err(Vec<u8>),
    /// The task exited with a code.
    Exit(i32),
    /// The task was killed by a signal.
    Signal(i32),
    /// The agent failed to set up; the task did not run.
    Error(String),
}

impl Frame {
    /// The console line for this frame (with its newline).
    pub fn encode(&self) -> String {
        let body = match self {
            Frame::Ready(ms) => format!("ready {ms}"),
            Frame::Start(ms) => format!("start {ms}"),
            Frame::End(ms) => format!("end {ms}"),
            Frame::Out(b) => format!("out {}", base64_encode(b)),
            Frame::Err(b) => format!("err {}", base64_encode(b)),
            Frame::Exit(c) => format!("exit {c}"),
            Frame::Signal(n) => format!("signal {n}"),
            Frame::Error(t) => format!("error {}", base64_encode(t.as_bytes())),
        };
        format!("\n{FRAME_PREFIX}{body}\n")
    }

    /// Decodes one console line; `None` for noise or a damaged frame.
    pub fn decode(line: &str) -> Option<Frame> {
        let rest = line.trim_end_matches(['\r', '\n']);
        let rest = rest.get(rest.find(FRAME_PREFIX)? + FRAME_PREFIX.len()..)?;
        let (kind, payload) = rest.split_once(' ')?;
        Some(match kind {
            "ready" => Frame::Ready(payload.parse().ok()?),
            "start" => Frame::Start(payload.parse().ok()?),
            "end" => Frame::End(payload.parse().ok()?),
            "out" => Frame::Out(base64_decode(payload)?),
            "err" => Frame::Err(base64_decode(payload)?),
            "exit" => Frame::Exit(payload.parse().ok()?),
            "signal" => Frame::Signal(payload.parse().ok()?),
            "error" => Frame::Error(String::from_utf8_lossy(&base64_decode(payload)?).into_owned()),
            _ => return None,
        })
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding required); `None` on anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 != 0 {
        return None;
    }
    let value = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|v| v as u32);
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (i, quad) in bytes.chunks(4).enumerate() {
        let last = i == bytes.len() / 4 - 1;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let got = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&got[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for len in 0..70 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base64_decode(&base64_encode(&data)), Some(data));
        }
        assert_eq!(base64_encode(b"hi"), "aGk=");
        assert_eq!(base64_decode("aGk"), None);
        assert_eq!(base64_decode("a=Gk"), None);
        assert_eq!(base64_decode("!!!!"), None);
    }

    #[test]
    fn frames_round_trip_and_noise_is_ignored() {
        let frames = [
            Frame::Ready(812),
            Frame::Start(815),
            Frame::End(900),
            Frame::Out(b"hello\n".to_vec()),
            Frame::Err(vec![0, 255, 10]),
            Frame::Exit(3),
            Frame::Signal(9),
            Frame::Error("no rootfs disk".into()),
        ];
        for f in frames {
            let line = f.encode();
            let decoded = line.lines().find_map(Frame::decode);
            assert_eq!(decoded, Some(f), "{line}");
        }
        assert_eq!(Frame::decode("[    0.000000] Linux version 6.1.0"), None);
        assert_eq!(Frame::decode("@@autonomic:v1 out !!"), None);
        // A kernel message glued in front of a frame on the same line.
        assert_eq!(
            Frame::decode("[ 1.2] x@@autonomic:v1 exit 0\r"),
            Some(Frame::Exit(0))
        );
    }
}
