//! The host side of a network grant: an HTTP proxy on a UNIX socket that
//! the sandbox reaches through its relay. It reads one request head —
//! `CONNECT host:port` (HTTPS, git, anything tunnelled) or an absolute-form
//! `GET http://host/…` — resolves the name itself (the task has no DNS),
//! decides with [`policy::decide`](super::policy::decide), connects, and
//! splices bytes both ways. Every decision is recorded.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, TcpStream, ToSocketAddrs};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::policy::{decide, HostRule, Verdict};

/// The largest request head the proxy reads.
const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting to a destination may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How many decisions are kept per run (a task can open any number of
/// connections; the rest are counted).
const MAX_EVENTS: usize = 1000;
/// How long [`Proxy::stop`] waits for closing connections.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// How many connections may be open at once: each costs the executor a
/// thread or two, and a task must not be able to exhaust the host's.
const MAX_OPEN: usize = 256;

/// One destination the task asked for, and what the proxy did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgressEvent {
    /// The host as the task named it.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Whether the connection was made.
    pub allowed: bool,
    /// The rule that allowed it, or why it was refused or failed.
    pub reason: String,
    /// Bytes sent to the destination.
    pub bytes_out: u64,
    /// Bytes received from it.
    pub bytes_in: u64,
}

#[derive(Default)]
struct Log {
    events: Vec<EgressEvent>,
    dropped: usize,
}

impl Log {
    fn push(&mut self, event: EgressEvent) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(event);
        } else {
            self.dropped += 1;
        }
    }
}

/// A running proxy; [`Proxy::stop`] ends it and returns the decisions.
pub struct Proxy {
    socket: PathBuf,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Log>>,
    open: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Listens on `socket` (a new path in a directory only the caller can
    /// reach) and serves each connection on its own thread.
    ///
    /// # Errors
    ///
    /// The socket cannot be bound.
    pub fn start(socket: &Path, rules: Vec<HostRule>) -> io::Result<Proxy> {
        let listener = UnixListener::bind(socket)?;
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Log::default()));
        let rules = Arc::new(rules);
        let open = Arc::new(AtomicUsize::new(0));
        let accept = {
            let (stop, log, open) = (Arc::clone(&stop), Arc::clone(&log), Arc::clone(&open));
            std::thread::Builder::new()
                .name("egress-proxy".into())
                .spawn(move || {
                    for conn in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(mut conn) = conn else { continue };
                        if open.fetch_add(1, Ordering::SeqCst) >= MAX_OPEN {
                            open.fetch_sub(1, Ordering::SeqCst);
                            refuse(
                                &mut conn,
                                "503 Service Unavailable",
                                "too many connections open through the proxy at once",
                            );
                            continue;
                        }
                        let (rules, log, done) =
                            (Arc::clone(&rules), Arc::clone(&log), Arc::clone(&open));
                        let spawned = std::thread::Builder::new()
                            .name("egress-conn".into())
                            .spawn(move || {
                                serve(conn, &rules, &log);
                                done.fetch_sub(1, Ordering::SeqCst);
                            });
                        if spawned.is_err() {
                            open.fetch_sub(1, Ordering::SeqCst);
                            tracing::warn!("egress: could not start a connection thread");
                        }
                    }
                })?
        };
        Ok(Proxy {
            socket: socket.to_path_buf(),
            stop,
            log,
            open,
            accept: Some(accept),
        })
    }

    /// Stops accepting and returns every decision made. Connections still
    /// closing (their side in the sandbox is gone) get up to
    /// [`CLOSE_GRACE`] to record what crossed them.
    pub fn stop(mut self) -> Vec<EgressEvent> {
        self.shutdown();
        let until = std::time::Instant::now() + CLOSE_GRACE;
        while self.open.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        let log = self
            .log
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default();
        if log.dropped > 0 {
            tracing::warn!(
                dropped = log.dropped,
                "egress decisions past {MAX_EVENTS} not kept"
            );
        }
        log.events
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = UnixStream::connect(&self.socket);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        let _ = fs_err::remove_file(&self.socket);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if self.accept.is_some() {
            self.shutdown();
        }
    }
}

/// What the task asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// The destination host, lower case.
    pub host: String,
    /// The destination port.
    pub port: u16,
    /// `CONNECT` (answer 200, then tunnel) or a plain HTTP request (forward
    /// the head as read).
    pub tunnel: bool,
}

/// Parses a request head's first line (the part of the proxy a task's
/// bytes reach first; fuzzed by `fuzz/fuzz_targets/egress.rs`).
///
/// # Errors
///
/// Why the head is not a request the proxy serves.
pub fn parse_head(head: &[u8]) -> Result<Request, &'static str> {
    let line_end = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or("no request line")?;
    let line =
        std::str::from_utf8(&head[..line_end]).map_err(|_| "the request line is not UTF-8")?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line");
    };
    if !version.starts_with("HTTP/1.") {
        return Err("not HTTP/1.x");
    }
    if method == "CONNECT" {
        let (host, port) = split_host_port(target, None)?;
        return Ok(Request {
            host,
            port,
            tunnel: true,
        });
    }
    let rest = target
        .strip_prefix("http://")
        .ok_or("only CONNECT and absolute http:// requests go through the proxy")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = split_host_port(authority, Some(80))?;
    Ok(Request {
        host,
        port,
        tunnel: false,
    })
}

fn split_host_port(text: &str, default: Option<u16>) -> Result<(String, u16), &'static str> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or("unclosed `[`")?;
        (v6, after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or("bad port")?,
        None => default.ok_or("no port")?,
    };
    if host.is_empty() || host.len() > 253 {
        return Err("bad host");
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// Reads up to the end of the request head; returns the bytes read (the head
/// and whatever followed it in the same reads).
fn read_head(conn: &mut UnixStream) -> io::Result<Vec<u8>> {
    conn.set_read_timeout(Some(HEAD_TIMEOUT))?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    conn.set_read_timeout(None)?;
    Ok(buf)
}

fn resolve(host: &str, port: u16) -> Vec<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return vec![ip];
    }
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let mut ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
            ips.dedup();
            ips
        }
        Err(e) => {
            tracing::debug!(host, error = %e, "egress: name did not resolve");
            Vec::new()
        }
    }
}

fn refuse(conn: &mut UnixStream, status: &str, why: &str) {
    let body = format!("autonomic: {why}\n");
    let reason = why.replace(['\r', '\n'], " ");
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nX-Autonomic-Refused: {reason}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(response.as_bytes());
}

fn serve(mut conn: UnixStream, rules: &[HostRule], log: &Mutex<Log>) {
    let head = match read_head(&mut conn) {
        Ok(head) => head,
        Err(e) => {
            tracing::debug!(error = %e, "egress: no request head");
            return;
        }
    };
    let request = match parse_head(&head) {
        Ok(r) => r,
        Err(why) => {
            refuse(&mut conn, "400 Bad Request", why);
            return;
        }
    };
    let record = |allowed: bool, reason: String, out: u64, inn: u64| {
        tracing::info!(host = %request.host, port = request.port, allowed, %reason, "egress");
        if let Ok(mut l) = log.lock() {
            l.push(EgressEvent {
                host: request.host.clone(),
                port: request.port,
                allowed,
                reason,
                bytes_out: out,
                bytes_in: inn,
            });
        }
    };
    let resolved = resolve(&request.host, request.port);
    let (addrs, rule) = match decide(rules, &request.host, request.port, &resolved) {
        Verdict::Allow { addrs, rule } => (addrs, rule),
        Verdict::Deny(why) => {
            refuse(&mut conn, "403 Forbidden", &why);
            record(false, why, 0, 0);
            return;
        }
    };
    let upstream = addrs
        .iter()
        .find_map(|a| TcpStream::connect_timeout(a, CONNECT_TIMEOUT).ok());
    let Some(mut upstream) = upstream else {
        let why = format!("could not connect to `{}:{}`", request.host, request.port);
        refuse(&mut conn, "502 Bad Gateway", &why);
        record(false, why, 0, 0);
        return;
    };
    let early = if request.tunnel {
        if conn
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
        {
            return;
        }
        let end = head
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(head.len(), |p| p + 4);
        &head[end..]
    } else {
        &head[..]
    };
    if upstream.write_all(early).is_err() {
        return;
    }
    let (out, inn) = splice(conn, upstream);
    record(
        true,
        format!("allowed by `{rule}`"),
        out + early.len() as u64,
        inn,
    );
}

/// Copies both ways until each side has finished; returns (bytes to the
/// destination, bytes from it).
fn splice(client: UnixStream, upstream: TcpStream) -> (u64, u64) {
    let (Ok(mut client_r), Ok(mut upstream_w)) = (client.try_clone(), upstream.try_clone()) else {
        return (0, 0);
    };
    let up = std::thread::spawn(move || {
        let n = io::copy(&mut client_r, &mut upstream_w).unwrap_or(0);
        let _ = upstream_w.shutdown(Shutdown::Write);
        n
    });
    let (mut upstream_r, mut client_w) = (upstream, client);
    let down = io::copy(&mut upstream_r, &mut client_w).unwrap_or(0);
    let _ = client_w.shutdown(Shutdown::Write);
    (up.join().unwrap_or(0), down)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse() {
        let r = parse_head(b"CONNECT static.crates.io:443 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(
            r,
            Request {
                host: "static.crates.io".into(),
                port: 443,
                tunnel: true
            }
        );
        let r = parse_head(b"GET http://user@Example.com/a?b HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(
            r,
            Request {
                host: "example.com".into(),
                port: 80,
                tunnel: false
            }
        );
        let r = parse_head(b"CONNECT [::1]:8443 HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!((r.host.as_str(), r.port), ("::1", 8443));
        for bad in [
            &b"GET /relative HTTP/1.1\r\n\r\n"[..],
            b"CONNECT host HTTP/1.1\r\n\r\n",
            b"CONNECT host:0 HTTP/1.1\r\n\r\n",
            b"CONNECT a:1 SPDY\r\n\r\n",
            b"GET https://x/ HTTP/1.1\r\n\r\n",
            b"no line end",
            b"\xff\xfe HTTP/1.1\r\n\r\n",
        ] {
            assert!(parse_head(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
