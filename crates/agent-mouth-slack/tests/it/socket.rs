//! Socket Mode against the fake Slack: acknowledgement after the handler,
//! redeliveries, reconnection on `disconnect` and on a dropped socket, and
//! the fatal ends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_mouth_slack::{
    AnswerAction, EnvelopeKind, SlackToken, SocketError, SocketMode, SocketModeConfig, WebClient,
    WebError,
};

use crate::answer::{block_actions, thread_reply};
use crate::fake_slack::{FakeSlack, APP_TOKEN, BOT_TOKEN};
use crate::fake_socket::{envelope, End, FakeSocket, Script};

fn web(fake: &FakeSlack) -> WebClient {
    WebClient::builder(SlackToken::new(BOT_TOKEN).expect("a bot token"))
        .expect("a bot token")
        .base_url(&fake.base_url)
        .backoff(Duration::from_millis(10))
        .build()
        .expect("a loopback base URL")
}

fn config() -> SocketModeConfig {
    SocketModeConfig {
        backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(400),
        max_failures: Some(5),
        connect_timeout: Duration::from_secs(2),
        poll: Duration::from_millis(20),
    }
}

fn app() -> SlackToken {
    SlackToken::new(APP_TOKEN).expect("an app token")
}

/// Waits (up to 20 s: a loaded CI machine) until the fake has recorded `n` acknowledgements:
/// it reads them on its own thread, possibly after `run` returned.
fn wait_for_acks(socket: &FakeSocket, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while socket.acks().len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A connection that delivers one button click in envelope `id`, then ends
/// as `end` says.
fn click(id: &str, action_id: &str, run: &str, end: End) -> Script {
    Script {
        frames: vec![envelope(id, "interactive", block_actions(action_id, run))],
        end,
    }
}

fn opens(fake: &FakeSlack) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "apps.connections.open")
        .count()
}

#[test]
fn envelopes_are_acknowledged_only_after_the_handler_returns() {
    let fake = FakeSlack::start();
    let socket = FakeSocket::start(vec![click(
        "env-1",
        "autonomic_approve",
        "wf-20240315-abc123",
        End::Hold,
    )]);
    fake.set_socket_url(&socket.url);
    let w = web(&fake);
    let stop = AtomicBool::new(false);
    let mut journaled = Vec::new();
    SocketMode::new(&w, app(), config())
        .unwrap()
        .run(&stop, |env| {
            assert_eq!(env.kind, EnvelopeKind::Interactive);
            // Journaling takes a while; the ack must wait for it.
            std::thread::sleep(Duration::from_millis(200));
            assert!(
                socket.acked_ids().is_empty(),
                "acknowledged before the handler returned"
            );
            journaled.push((env.answer(|_, _| None).unwrap(), Instant::now()));
            stop.store(true, Ordering::SeqCst);
            Ok::<(), String>(())
        })
        .unwrap();
    let (answer, journaled_at) = journaled.pop().unwrap();
    assert_eq!(answer.action, AnswerAction::Approve);
    assert_eq!(answer.run_id, "wf-20240315-abc123");
    assert_eq!(answer.user_id, "U0ALICE");
    wait_for_acks(&socket, 1);
    let acks = socket.acks();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].envelope_id, "env-1");
    assert!(acks[0].at >= journaled_at);
    assert_eq!(opens(&fake), 1);
}

#[test]
fn a_failed_handler_leaves_the_envelope_unacknowledged() {
    let fake = FakeSlack::start();
    let socket = FakeSocket::start(vec![Script {
        frames: vec![
            envelope(
                "env-1",
                "interactive",
                block_actions("autonomic_reject", "wf-1"),
            ),
            envelope("env-2", "events_api", thread_reply("no")),
        ],
        end: End::Hold,
    }]);
    fake.set_socket_url(&socket.url);
    let w = web(&fake);
    let stop = AtomicBool::new(false);
    let mut answers = Vec::new();
    SocketMode::new(&w, app(), config())
        .unwrap()
        .run(&stop, |env| {
            if env.envelope_id == "env-1" {
                return Err("journal unavailable".to_owned());
            }
            answers
                .push(env.answer(|_, ts| (ts == "1710498600.000001").then(|| "wf-1".to_owned())));
            stop.store(true, Ordering::SeqCst);
            Ok(())
        })
        .unwrap();
    assert_eq!(answers.len(), 1);
    let reply = answers[0].clone().unwrap();
    assert_eq!(
        (reply.action, reply.run_id.as_str(), reply.user_id.as_str()),
        (AnswerAction::Reject, "wf-1", "U0BOB")
    );
    wait_for_acks(&socket, 1);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(socket.acked_ids(), vec!["env-2"]);
}

#[test]
fn redelivered_envelopes_are_acknowledged_but_handled_once() {
    let fake = FakeSlack::start();
    let e1 = envelope(
        "env-1",
        "interactive",
        block_actions("autonomic_approve", "wf-1"),
    );
    let socket = FakeSocket::start(vec![Script {
        frames: vec![
            e1.clone(),
            e1,
            envelope(
                "env-2",
                "slash_commands",
                serde_json::json!({"command": "/x"}),
            ),
        ],
        end: End::Hold,
    }]);
    fake.set_socket_url(&socket.url);
    let w = web(&fake);
    let stop = AtomicBool::new(false);
    let mut handled = Vec::new();
    SocketMode::new(&w, app(), config())
        .unwrap()
        .run(&stop, |env| {
            handled.push(env.envelope_id.clone());
            if env.envelope_id == "env-2" {
                assert_eq!(env.answer(|_, _| None), None);
                stop.store(true, Ordering::SeqCst);
            }
            Ok::<(), String>(())
        })
        .unwrap();
    assert_eq!(handled, vec!["env-1", "env-2"]);
    wait_for_acks(&socket, 3);
    assert_eq!(socket.acked_ids(), vec!["env-1", "env-1", "env-2"]);
}

#[test]
fn disconnect_reconnects_with_a_fresh_url() {
    let fake = FakeSlack::start();
    let socket = FakeSocket::start(vec![
        click(
            "env-1",
            "autonomic_approve",
            "wf-1",
            End::Disconnect("refresh_requested"),
        ),
        click("env-2", "autonomic_reject", "wf-2", End::Hold),
    ]);
    fake.set_socket_url(&socket.url);
    let w = web(&fake);
    let stop = AtomicBool::new(false);
    let mut handled = Vec::new();
    SocketMode::new(&w, app(), config())
        .unwrap()
        .run(&stop, |env| {
            handled.push(env.envelope_id.clone());
            if env.envelope_id == "env-2" {
                stop.store(true, Ordering::SeqCst);
            }
            Ok::<(), String>(())
        })
        .unwrap();
    assert_eq!(handled, vec!["env-1", "env-2"]);
    assert_eq!(opens(&fake), 2);
    assert_eq!(socket.connections(), 2);
    wait_for_acks(&socket, 2);
    let acks = socket.acks();
    assert_eq!(
        acks.iter()
            .map(|a| (a.connection, a.envelope_id.as_str()))
            .collect::<Vec<_>>(),
        vec![(0, "env-1"), (1, "env-2")]
    );
}

#[test]
fn a_dropped_socket_reconnects_after_a_backoff() {
    let fake = FakeSlack::start();
    let socket = FakeSocket::start(vec![
        click("env-1", "autonomic_approve", "wf-1", End::Drop),
        click("env-2", "autonomic_approve", "wf-2", End::Hold),
    ]);
    fake.set_socket_url(&socket.url);
    let w = web(&fake);
    let stop = AtomicBool::new(false);
    let times = Arc::new(Mutex::new(Vec::new()));
    SocketMode::new(&w, app(), config())
        .unwrap()
        .run(&stop, |env| {
            times.lock().unwrap().push(Instant::now());
            if env.envelope_id == "env-2" {
                stop.store(true, Ordering::SeqCst);
            }
            Ok::<(), String>(())
        })
        .unwrap();
    assert_eq!(opens(&fake), 2);
    let times = times.lock().unwrap();
    assert_eq!(times.len(), 2);
    assert!(
        times[1].duration_since(times[0]) >= Duration::from_millis(100),
        "no backoff"
    );
}

#[test]
fn link_disabled_ends_the_run() {
    let fake = FakeSlack::start();
    let socket = FakeSocket::start(vec![Script {
        frames: vec![],
        end: End::Disconnect("link_disabled"),
    }]);
    fake.set_socket_url(&socket.url);
    let w = web(&fake);
    let err = SocketMode::new(&w, app(), config())
        .unwrap()
        .run(&AtomicBool::new(false), |_| Ok::<(), String>(()))
        .unwrap_err();
    assert!(matches!(err, SocketError::LinkDisabled), "{err:?}");
    assert_eq!(opens(&fake), 1);
}

#[test]
fn a_refused_token_ends_the_run() {
    let fake = FakeSlack::start();
    fake.reject_all_tokens();
    let w = web(&fake);
    let err = SocketMode::new(&w, app(), config())
        .unwrap()
        .run(&AtomicBool::new(false), |_| Ok::<(), String>(()))
        .unwrap_err();
    assert!(
        matches!(&err, SocketError::Open(WebError::Slack { error, .. }) if error == "invalid_auth"),
        "{err:?}"
    );
}

#[test]
fn an_unreachable_socket_gives_up_after_max_failures() {
    let fake = FakeSlack::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    fake.set_socket_url(&format!("ws://127.0.0.1:{port}/link/"));
    let w = web(&fake);
    let mut cfg = config();
    cfg.max_failures = Some(3);
    let started = Instant::now();
    let err = SocketMode::new(&w, app(), cfg)
        .unwrap()
        .run(&AtomicBool::new(false), |_| Ok::<(), String>(()))
        .unwrap_err();
    assert!(
        matches!(err, SocketError::TooManyFailures { failures: 3, .. }),
        "{err:?}"
    );
    assert_eq!(opens(&fake), 3);
    // Backoffs of 100 and 200 ms between the three attempts.
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn a_bot_token_is_not_an_app_token() {
    let fake = FakeSlack::start();
    let w = web(&fake);
    assert!(matches!(
        SocketMode::new(&w, SlackToken::new(BOT_TOKEN).unwrap(), config()),
        Err(SocketError::Token(_))
    ));
}

#[test]
fn wss_to_a_server_without_tls_fails_cleanly() {
    let fake = FakeSlack::start();
    let socket = FakeSocket::start(vec![]);
    let port = socket
        .url
        .split(':')
        .nth(2)
        .and_then(|p| p.split('/').next())
        .unwrap();
    fake.set_socket_url(&format!("wss://localhost:{port}/link/"));
    let w = web(&fake);
    let mut cfg = config();
    cfg.max_failures = Some(1);
    let err = SocketMode::new(&w, app(), cfg)
        .unwrap()
        .run(&AtomicBool::new(false), |_| Ok::<(), String>(()))
        .unwrap_err();
    match err {
        SocketError::TooManyFailures { failures: 1, last } => {
            assert!(last.starts_with("WebSocket handshake"), "{last}");
        }
        other => panic!("{other:?}"),
    }
}
