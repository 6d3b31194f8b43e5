//! The fake Slack's Socket Mode endpoint: a WebSocket server on 127.0.0.1
//! that plays one script per connection — `hello`, the script's envelopes,
//! waits for their acknowledgements (`{"envelope_id": …}`), then ends the
//! way the script says (a `disconnect` envelope, a dropped socket, or held
//! open until the client leaves). Every acknowledgement is recorded.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// How a scripted connection ends.
#[derive(Debug, Clone)]
pub enum End {
    /// Send `{"type": "disconnect", "reason": …}` and wait for the client
    /// to close.
    Disconnect(&'static str),
    /// Drop the TCP connection without a close frame.
    Drop,
    /// Keep the connection open until the client closes it.
    Hold,
}

/// One connection's script.
#[derive(Debug, Clone)]
pub struct Script {
    /// Frames sent after `hello`, in order.
    pub frames: Vec<Value>,
    /// How the connection ends.
    pub end: End,
}

/// An acknowledgement the client sent.
#[derive(Debug, Clone)]
pub struct Ack {
    /// Which connection (0-based) carried it.
    pub connection: usize,
    /// The envelope acknowledged.
    pub envelope_id: String,
    /// When it arrived.
    pub at: Instant,
}

/// An envelope as Slack sends it.
pub fn envelope(id: &str, kind: &str, payload: Value) -> Value {
    json!({
        "envelope_id": id,
        "type": kind,
        "payload": payload,
        "accepts_response_payload": kind != "events_api",
        "retry_attempt": 0,
        "retry_reason": ""
    })
}

/// The endpoint; stops when dropped.
pub struct FakeSocket {
    /// `ws://127.0.0.1:PORT/link/?ticket=…`.
    pub url: String,
    acks: Arc<Mutex<Vec<Ack>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl FakeSocket {
    /// Starts the endpoint with a script per connection; connections past
    /// the scripts get `hello` and are held open.
    pub fn start(scripts: Vec<Script>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("a local address").port();
        let acks = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (acks, connections, stop) = (acks.clone(), connections.clone(), stop.clone());
            let mut scripts: VecDeque<Script> = scripts.into();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let index = connections.fetch_add(1, Ordering::SeqCst);
                    let script = scripts.pop_front().unwrap_or(Script {
                        frames: vec![],
                        end: End::Hold,
                    });
                    play(stream, index, &script, &acks, &stop);
                }
            })
        };
        FakeSocket {
            url: format!("ws://127.0.0.1:{port}/link/?ticket=fake-ticket&app_id=A0FAKE"),
            acks,
            connections,
            stop,
            port,
            thread: Some(thread),
        }
    }

    /// Every acknowledgement so far.
    pub fn acks(&self) -> Vec<Ack> {
        self.acks.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The envelope ids acknowledged, in order.
    pub fn acked_ids(&self) -> Vec<String> {
        self.acks().into_iter().map(|a| a.envelope_id).collect()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FakeSocket {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn play(
    stream: TcpStream,
    index: usize,
    script: &Script,
    acks: &Mutex<Vec<Ack>>,
    stop: &AtomicBool,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let Ok(mut ws) = accept(stream) else { return };
    let hello = json!({
        "type": "hello",
        "num_connections": 1,
        "debug_info": {"host": "fake-slack", "build_number": 1, "approximate_connection_time": 18060},
        "connection_info": {"app_id": "A0FAKE"}
    });
    let _ = ws.send(Message::text(hello.to_string()));
    let mut expected = 0;
    for frame in &script.frames {
        expected += usize::from(frame.get("envelope_id").is_some());
        if ws.send(Message::text(frame.to_string())).is_err() {
            return;
        }
    }
    // Wait for the acknowledgements (or for the client to go).
    let mut received = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while received < expected && Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
        match read(&mut ws, index, acks) {
            Read::Ack => received += 1,
            Read::Nothing => {}
            Read::Gone => return,
        }
    }
    match script.end {
        End::Drop => drop(ws),
        End::Disconnect(reason) => {
            let d = json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-slack"}});
            let _ = ws.send(Message::text(d.to_string()));
            hold(
                &mut ws,
                index,
                acks,
                stop,
                Some(Instant::now() + Duration::from_secs(5)),
            );
        }
        End::Hold => hold(&mut ws, index, acks, stop, None),
    }
}

fn accept(stream: TcpStream) -> Result<WebSocket<TcpStream>, ()> {
    // The handshake is read with the short timeout above: retry until done.
    let mut attempt = tungstenite::accept(stream);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match attempt {
            Ok(ws) => return Ok(ws),
            Err(tungstenite::HandshakeError::Interrupted(mid)) if Instant::now() < deadline => {
                attempt = mid.handshake();
            }
            Err(_) => return Err(()),
        }
    }
}

enum Read {
    Ack,
    Nothing,
    Gone,
}

fn read(ws: &mut WebSocket<TcpStream>, index: usize, acks: &Mutex<Vec<Ack>>) -> Read {
    match ws.read() {
        Ok(Message::Text(t)) => {
            let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
            match v.get("envelope_id").and_then(Value::as_str) {
                Some(id) => {
                    acks.lock().unwrap_or_else(|p| p.into_inner()).push(Ack {
                        connection: index,
                        envelope_id: id.to_owned(),
                        at: Instant::now(),
                    });
                    Read::Ack
                }
                None => Read::Nothing,
            }
        }
        Ok(Message::Close(_)) => {
            let _ = ws.flush();
            Read::Gone
        }
        Ok(_) => Read::Nothing,
        Err(tungstenite::Error::Io(e))
            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
        {
            Read::Nothing
        }
        Err(_) => Read::Gone,
    }
}

fn hold(
    ws: &mut WebSocket<TcpStream>,
    index: usize,
    acks: &Mutex<Vec<Ack>>,
    stop: &AtomicBool,
    until: Option<Instant>,
) {
    while !stop.load(Ordering::SeqCst) && until.is_none_or(|u| Instant::now() < u) {
        if let Read::Gone = read(ws, index, acks) {
            return;
        }
    }
}
