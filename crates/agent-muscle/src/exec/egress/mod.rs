//! Network grants at the `seccomp` level. The task never gets a route out:
//! its network namespace has only loopback, where the jail's relay listens
//! on `127.0.0.1:`[`PROXY_PORT`] and forwards each connection to a UNIX
//! socket of the executor's [`proxy::Proxy`] (bound read-only into the
//! sandbox). The proxy resolves names itself and allows a destination only
//! when the grant ([`policy::HostRule`]s) names it — a bare grant allows
//! public addresses only, never the host's loopback services, link-local
//! (cloud metadata), private or reserved addresses. The task finds the
//! proxy through `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` (and their
//! lower-case forms), which curl, git, cargo, pip and npm all honour; a
//! program that ignores them simply has no network.

pub mod policy;
pub mod proxy;

pub use policy::{HostRule, RuleError};
pub use proxy::{EgressEvent, Proxy};

/// The port the relay listens on inside the sandbox (127.0.0.1 only).
pub const PROXY_PORT: u16 = 3128;

/// The directory (inside the sandbox) where the proxy's socket appears.
pub const SOCKET_DIR: &str = "/run/autonomic/egress";

/// The socket's file name in [`SOCKET_DIR`].
pub const SOCKET_NAME: &str = "proxy.sock";

/// The environment that points a task's tools at the proxy.
pub fn proxy_env() -> Vec<(String, String)> {
    let url = format!("http://127.0.0.1:{PROXY_PORT}");
    let mut env = Vec::new();
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        env.push((name.to_owned(), url.clone()));
        env.push((name.to_ascii_lowercase(), url.clone()));
    }
    // Nothing bypasses the proxy: there is no other way out anyway.
    env.push(("NO_PROXY".into(), String::new()));
    env.push(("no_proxy".into(), String::new()));
    env
}

/// The guest's address of the proxy at the `firecracker` level (QEMU user
/// networking forwards connections to it, and nothing else leaves the VM).
pub const GUEST_PROXY_ADDR: &str = "10.0.2.100";

/// The environment that points a microVM guest's tools at the proxy.
pub fn guest_proxy_env() -> Vec<(String, String)> {
    proxy_env()
        .into_iter()
        .map(|(k, v)| (k, v.replace("127.0.0.1", GUEST_PROXY_ADDR)))
        .collect()
}

/// Carries bytes between stdin/stdout and the UNIX socket at `socket` until
/// both directions end; the exit code for `muscle-jail relay-stdio`.
pub fn relay_stdio(socket: &std::path::Path) -> i32 {
    use std::io::{copy, stdin, stdout, Write as _};
    use std::net::Shutdown;
    let stream = match std::os::unix::net::UnixStream::connect(socket) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("muscle-jail relay-stdio: connect {}: {e}", socket.display());
            return 1;
        }
    };
    let Ok(mut to_proxy) = stream.try_clone() else {
        return 1;
    };
    let up = std::thread::spawn(move || {
        let _ = copy(&mut stdin().lock(), &mut to_proxy);
        let _ = to_proxy.shutdown(Shutdown::Write);
    });
    let mut from_proxy = stream;
    let mut out = stdout().lock();
    let _ = copy(&mut from_proxy, &mut out);
    let _ = out.flush();
    // The destination has finished: whatever the guest still sends has
    // nowhere to go.
    drop(up);
    0
}
