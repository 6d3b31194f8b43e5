//! The network grant's proxy (issue 11's benchmark): what one connection
//! through [`agent_muscle::exec::egress::Proxy`] adds to a direct TCP
//! connection (connect, `CONNECT` handshake, a one-byte round trip), and the
//! throughput of a bulk transfer through it, both against a loopback server
//! on this machine. The sandbox side (the jail's relay on 127.0.0.1:3128)
//! adds one more local hop, not measured here (the README has an end-to-end
//! figure taken with `autonomic exec`).
//!
//! ```text
//! cargo bench -p agent-muscle --bench egress
//! ```
//!
//! Not part of CI; it takes about half a minute.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use agent_muscle::exec::egress::{HostRule, Proxy};

const ROUND_TRIPS: usize = 400;
const BULK: u64 = 512 << 20;

/// A loopback server: `p` answers a one-byte ping, `b` streams [`BULK`]
/// bytes, then closes.
fn server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let _ = conn.set_nodelay(true);
                let mut byte = [0u8; 1];
                while conn.read_exact(&mut byte).is_ok() {
                    match byte[0] {
                        b'p' => {
                            let _ = conn.write_all(b"P");
                        }
                        b'b' => {
                            let chunk = vec![7u8; 1 << 20];
                            for _ in 0..(BULK >> 20) {
                                if conn.write_all(&chunk).is_err() {
                                    break;
                                }
                            }
                            return;
                        }
                        _ => return,
                    }
                }
            });
        }
    });
    port
}

fn ping(stream: &mut (impl std::io::Read + std::io::Write)) {
    stream.write_all(b"p").expect("ping");
    let mut byte = [0u8; 1];
    stream.read_exact(&mut byte).expect("pong");
}

/// A tunnel through the proxy to `127.0.0.1:port`.
fn tunnel(socket: &Path, port: u16) -> BufReader<UnixStream> {
    let mut s = UnixStream::connect(socket).expect("proxy");
    write!(s, "CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n").expect("request");
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).expect("status");
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    line.clear();
    r.read_line(&mut line).expect("blank line");
    r
}

struct Rw(BufReader<UnixStream>);

impl std::io::Read for Rw {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl std::io::Write for Rw {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.get_mut().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn mib_per_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / (1 << 20) as f64 / d.as_secs_f64()
}

fn main() {
    let port = server();
    let dir = tempfile::tempdir().expect("dir");
    let socket = dir.path().join("proxy.sock");
    let proxy = Proxy::start(
        &socket,
        vec![HostRule::parse(&format!("127.0.0.1:{port}")).expect("rule")],
    )
    .expect("proxy");

    // A new connection with one round trip: direct, then through the proxy.
    let mut direct = Vec::with_capacity(ROUND_TRIPS);
    let mut proxied = Vec::with_capacity(ROUND_TRIPS);
    for _ in 0..ROUND_TRIPS {
        let t = Instant::now();
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        ping(&mut s);
        direct.push(t.elapsed());
        let t = Instant::now();
        let mut s = Rw(tunnel(&socket, port));
        ping(&mut s);
        proxied.push(t.elapsed());
    }
    let (d, p) = (median(direct), median(proxied));
    println!(
        "egress/connection: direct {:.0} µs, through the proxy {:.0} µs (+{:.0} µs per connection: name check, connect, CONNECT handshake); median of {ROUND_TRIPS}",
        d.as_secs_f64() * 1e6,
        p.as_secs_f64() * 1e6,
        (p.saturating_sub(d)).as_secs_f64() * 1e6
    );

    // A round trip on an open tunnel.
    let mut s = Rw(tunnel(&socket, port));
    let mut rtt = Vec::with_capacity(ROUND_TRIPS);
    for _ in 0..ROUND_TRIPS {
        let t = Instant::now();
        ping(&mut s);
        rtt.push(t.elapsed());
    }
    let mut s2 = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s2.set_nodelay(true).expect("nodelay");
    let mut rtt_direct = Vec::with_capacity(ROUND_TRIPS);
    for _ in 0..ROUND_TRIPS {
        let t = Instant::now();
        ping(&mut s2);
        rtt_direct.push(t.elapsed());
    }
    println!(
        "egress/round_trip: direct {:.0} µs, in a tunnel {:.0} µs",
        median(rtt_direct).as_secs_f64() * 1e6,
        median(rtt).as_secs_f64() * 1e6
    );

    // Bulk download.
    let t = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(b"b").expect("bulk");
    let n = std::io::copy(&mut s, &mut std::io::sink()).expect("read");
    let direct_rate = mib_per_s(n, t.elapsed());
    let t = Instant::now();
    let mut s = Rw(tunnel(&socket, port));
    s.write_all(b"b").expect("bulk");
    let n2 = std::io::copy(&mut s, &mut std::io::sink()).expect("read");
    let proxied_rate = mib_per_s(n2, t.elapsed());
    assert_eq!(n, n2);
    println!(
        "egress/throughput: {} MiB direct {direct_rate:.0} MiB/s, through the proxy {proxied_rate:.0} MiB/s",
        n >> 20
    );
    let events = proxy.stop();
    assert!(events.iter().all(|e| e.allowed));
}
