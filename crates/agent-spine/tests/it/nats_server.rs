//! A real `nats-server` (the Debian package `.ci/run` installs) on a free
//! loopback port, started and stopped by the test: `-a 127.0.0.1 -p PORT`,
//! no config file, JetStream on when a store directory is given. Killed
//! (SIGKILL) when dropped. A missing binary fails the test.

use std::io::{Read, Seek, SeekFrom};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or killed, awaiting restart) nats-server.
pub(crate) struct NatsServer {
    child: Option<Child>,
    /// The server's stderr (its log), read when it fails to start.
    log: Option<std::fs::File>,
    port: u16,
    store: Option<PathBuf>,
}

impl NatsServer {
    /// A server on a free port, without JetStream.
    pub(crate) fn start() -> NatsServer {
        NatsServer::on_port(free_port(), None)
    }

    /// A server on a free port with JetStream storing under `store`.
    pub(crate) fn start_jetstream(store: &Path) -> NatsServer {
        NatsServer::on_port(free_port(), Some(store))
    }

    /// A server on `port` (JetStream under `store` when given); returns
    /// once the port accepts connections.
    pub(crate) fn on_port(port: u16, store: Option<&Path>) -> NatsServer {
        let mut server = NatsServer {
            child: None,
            log: None,
            port,
            store: store.map(Path::to_path_buf),
        };
        server.restart();
        server
    }

    /// `nats://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        nats_url(self.port)
    }

    /// Kills it with SIGKILL and waits for it to exit.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it with SIGTERM (a clean shutdown: JetStream writes its
    /// state) and waits for it to exit.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            #[expect(
                clippy::disallowed_methods,
                reason = "the test controls a real nats-server process"
            )]
            let status = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            assert!(status.is_ok_and(|s| s.success()), "kill -TERM nats-server");
            let _ = child.wait();
        }
    }

    /// Starts it (again) on the same port and store; returns once the port
    /// accepts connections.
    pub(crate) fn restart(&mut self) {
        self.kill();
        let log = tempfile::tempfile().unwrap();
        let mut cmd = command(self.port, log.try_clone().unwrap());
        self.log = Some(log);
        if let Some(store) = &self.store {
            cmd.arg("-js").arg("-sd").arg(store);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", binary().display()));
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            let child = self.child.as_mut().unwrap();
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(log) = &mut self.log {
                    let _ = log.seek(SeekFrom::Start(0));
                    let _ = log.read_to_string(&mut err);
                }
                panic!("nats-server on port {} exited ({status}): {err}", self.port);
            }
            assert!(
                Instant::now() < deadline,
                "nats-server did not accept connections on port {} within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `nats://127.0.0.1:PORT`.
pub(crate) fn nats_url(port: u16) -> String {
    format!("nats://127.0.0.1:{port}")
}

/// A loopback port nothing listens on (the OS's pick, released at once).
pub(crate) fn free_port() -> u16 {
    let l = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    l.local_addr().unwrap().port()
}

/// The nats-server binary: on PATH, or where Debian puts it.
fn binary() -> PathBuf {
    #[expect(
        clippy::disallowed_methods,
        reason = "looking nats-server up on PATH, as a shell would"
    )]
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path = std::env::split_paths(&path)
        .map(|dir| dir.join("nats-server"))
        .find(|p| p.is_file());
    let found = on_path.or_else(|| {
        let sbin = PathBuf::from("/usr/sbin/nats-server");
        sbin.is_file().then_some(sbin)
    });
    found.unwrap_or_else(|| {
        panic!("nats-server not found on PATH or in /usr/sbin: install it (apt-get install nats-server; .ci/run does)")
    })
}

#[expect(
    clippy::disallowed_methods,
    reason = "the test starts a real nats-server"
)]
fn command(port: u16, log: std::fs::File) -> Command {
    let mut cmd = Command::new(binary());
    cmd.args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log));
    cmd
}
