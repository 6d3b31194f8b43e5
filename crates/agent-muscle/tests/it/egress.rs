//! The egress proxy on its own (the sandboxed path through the relay is in
//! the CLI's sandbox tests): decisions over a real UNIX socket against a
//! loopback server, and the cap on connections open at once.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::os::unix::net::UnixStream;

use agent_muscle::exec::egress::{HostRule, Proxy};

fn status_line(stream: UnixStream) -> String {
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .expect("read the status line");
    line.trim_end().to_owned()
}

#[test]
fn the_proxy_tunnels_what_the_grant_names_and_refuses_the_rest() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in server.incoming() {
            let mut conn = conn.unwrap();
            let mut buf = [0u8; 5];
            conn.read_exact(&mut buf).unwrap();
            conn.write_all(b"pong!").unwrap();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("p.sock");
    let rule = HostRule::parse(&format!("127.0.0.1:{port}")).unwrap();
    let proxy = Proxy::start(&socket, vec![rule]).unwrap();

    let mut s = UnixStream::connect(&socket).unwrap();
    write!(s, "CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\nping!").unwrap();
    let mut reply = Vec::new();
    s.try_clone()
        .unwrap()
        .shutdown(std::net::Shutdown::Write)
        .unwrap();
    s.read_to_end(&mut reply).unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("pong!"), "{reply}");

    for head in [
        format!(
            "CONNECT 127.0.0.1:{} HTTP/1.1\r\n\r\n",
            port.wrapping_add(1)
        ),
        "CONNECT 169.254.169.254:80 HTTP/1.1\r\n\r\n".to_owned(),
        "GET http://10.0.0.1/ HTTP/1.1\r\n\r\n".to_owned(),
    ] {
        let mut s = UnixStream::connect(&socket).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        assert!(status_line(s).starts_with("HTTP/1.1 403"), "{head}");
    }
    let mut s = UnixStream::connect(&socket).unwrap();
    s.write_all(b"GET /relative HTTP/1.1\r\n\r\n").unwrap();
    assert!(status_line(s).starts_with("HTTP/1.1 400"));

    let events = proxy.stop();
    assert_eq!(events.iter().filter(|e| e.allowed).count(), 1, "{events:?}");
    assert_eq!(
        events.iter().filter(|e| !e.allowed).count(),
        3,
        "{events:?}"
    );
    // A tunnel is recorded when it closes, with what crossed it.
    let tunnel = events.iter().find(|e| e.allowed).unwrap();
    assert!(tunnel.bytes_out >= 5 && tunnel.bytes_in == 5, "{events:?}");
}

/// A task opening connection after connection must not exhaust the
/// executor's threads: past the cap, the proxy answers 503 at once.
#[test]
fn connections_open_at_once_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("p.sock");
    let proxy = Proxy::start(&socket, vec![HostRule::any()]).unwrap();
    // Hold connections that never send a request head.
    let held: Vec<UnixStream> = (0..256)
        .map(|_| UnixStream::connect(&socket).unwrap())
        .collect();
    // Past the cap the proxy answers at once, without reading a request.
    // (Under load the accept loop may still be taking the held ones: retry.)
    let mut refused = false;
    for _ in 0..30 {
        let extra = UnixStream::connect(&socket).unwrap();
        extra
            .set_read_timeout(Some(std::time::Duration::from_secs(1)))
            .unwrap();
        let mut line = String::new();
        if BufReader::new(extra).read_line(&mut line).is_ok() && line.starts_with("HTTP/1.1 503") {
            refused = true;
            break;
        }
    }
    assert!(refused, "the 257th connection was not refused");
    drop(held);
    let _ = proxy.stop();
}
