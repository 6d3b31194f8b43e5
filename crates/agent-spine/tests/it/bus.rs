//! The event bus against a real nats-server: subjects and order, approval
//! answers and their replies, a server killed mid-stream and restarted,
//! buffer overflow, a server that never comes, in-process subscribers,
//! and the published JSON against `docs/schemas/workflow-event-v1.json`.

use std::path::Path;
use std::time::{Duration, Instant};

use agent_spine::workflow::bus::{AnswerDecision, Bus, BusError};
use agent_spine::workflow::event::{Event, EventKind, SCHEMA};
use agent_spine::workflow::state::RunId;
use async_nats::jetstream;
use autonomic_core::config::BusConfig;
use futures_util::StreamExt;

use crate::nats_server::{free_port, nats_url, NatsServer};

const WAIT: Duration = Duration::from_secs(10);

fn run(id: &str) -> RunId {
    RunId::parse(id).unwrap()
}

fn event(run: &RunId, seq: u64, kind: EventKind) -> Event {
    Event {
        schema: SCHEMA.to_owned(),
        seq,
        at: "2026-12-07T00:00:00Z".to_owned(),
        run: run.clone(),
        node: (kind == EventKind::NodeState).then(|| format!("n{seq}")),
        kind,
        data: serde_json::json!({"from": "running", "to": "succeeded", "why": "done", "n": seq}),
    }
}

/// `n` events over two runs and three kinds, seq 1..=n.
fn events(n: u64) -> Vec<Event> {
    let runs = [run("wf-20261207-aaaaaa"), run("wf-20261207-bbbbbb")];
    let kinds = [
        EventKind::RunState,
        EventKind::NodeState,
        EventKind::Progress,
    ];
    (1..=n)
        .map(|i| event(&runs[(i % 2) as usize], i, kinds[(i % 3) as usize]))
        .collect()
}

fn config(url: String, buffer: u64) -> BusConfig {
    BusConfig {
        nats_url: Some(url),
        nats_buffer_events: buffer,
    }
}

async fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// A plain client subscribed (server-side, flushed) to `subject`.
async fn subscriber(
    url: &str,
    subject: &'static str,
) -> (async_nats::Client, async_nats::Subscriber) {
    let client = async_nats::connect(url).await.unwrap();
    let sub = client.subscribe(subject).await.unwrap();
    client.flush().await.unwrap();
    (client, sub)
}

async fn take(sub: &mut async_nats::Subscriber, n: usize) -> Vec<async_nats::Message> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        match tokio::time::timeout(WAIT, sub.next()).await {
            Ok(Some(m)) => got.push(m),
            _ => panic!("only {} of {n} messages arrived", got.len()),
        }
    }
    got
}

fn decode(payload: &[u8]) -> Event {
    serde_json::from_slice(payload).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arrive_on_their_subjects_in_order() {
    let server = NatsServer::start();
    let (_c, mut sub) = subscriber(&server.url(), "autonomic.wf.>").await;
    let bus = Bus::start(&config(server.url(), 10_000)).await.unwrap();
    let sent = events(300);
    for e in &sent {
        bus.publish(e);
    }
    assert!(bus.flush(WAIT).await, "flush: {:?}", bus.stats());
    let got = take(&mut sub, sent.len()).await;
    for (m, e) in got.iter().zip(&sent) {
        assert_eq!(m.subject.as_str(), e.subject());
        assert!(m.subject.starts_with(&format!("autonomic.wf.{}.", e.run)));
        assert_eq!(&decode(&m.payload), e);
    }
    let stats = bus.stats();
    assert_eq!(
        (
            stats.published_local,
            stats.published_nats,
            stats.buffered,
            stats.dropped
        ),
        (300, 300, 0, 0)
    );
    assert!(stats.connected);
    bus.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_parsed_and_malformed_ones_refused_with_a_reply() {
    let server = NatsServer::start();
    let mut bus = Bus::start(&config(server.url(), 1000)).await.unwrap();
    let mut answers = bus.take_answers().expect("NATS is configured");
    assert!(
        bus.take_answers().is_none(),
        "the answers are handed out once"
    );
    assert!(bus.flush(WAIT).await);
    let client = async_nats::connect(server.url()).await.unwrap();
    let ask = |subject: &'static str, body: &'static str| {
        let client = client.clone();
        async move {
            let reply = client.request(subject, body.into()).await.unwrap();
            serde_json::from_slice::<serde_json::Value>(&reply.payload).unwrap()
        }
    };

    let good = "autonomic.approval.wf-20261207-abc123";
    let r = ask(
        good,
        r#"{"request":"ap-q1w2e3","decision":"approve","by":"ana","reason":"ok"}"#,
    )
    .await;
    assert_eq!(r, serde_json::json!({"accepted": true, "queued": true}));
    let a = tokio::time::timeout(WAIT, answers.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.run.as_str(), "wf-20261207-abc123");
    assert_eq!(
        (a.decision, a.by.as_str()),
        (AnswerDecision::Approve, "ana")
    );
    assert_eq!(a.request.as_deref(), Some("ap-q1w2e3"));
    assert_eq!(a.subject, good);

    // Each malformed answer: refused, the reply names the field, nothing
    // reaches the engine.
    let bad: &[(&'static str, &'static str, &str)] = &[
        (
            good,
            r#"{"decision":"approve","by":"ana","role":"admin"}"#,
            "unknown field `role`",
        ),
        (good, r#"{"decision":"approve!","by":"ana"}"#, "approve!"),
        (good, r#"{"decision":"approve","by":""}"#, "field `by`"),
        (
            good,
            r#"{"decision":"approve","by":"ana","request":"../../x"}"#,
            "field `request`",
        ),
        (good, "[1,2]", good),
        (
            "autonomic.approval.wf-20261207-ABC123",
            r#"{"decision":"approve","by":"ana"}"#,
            "autonomic.approval.wf-20261207-ABC123",
        ),
    ];
    for (subject, body, needle) in bad {
        let r = ask(subject, body).await;
        assert_eq!(r["accepted"], false, "{body}: {r}");
        let error = r["error"].as_str().unwrap();
        assert!(
            error.contains(needle),
            "{body}: `{error}` does not name {needle}"
        );
    }
    // Without a reply subject: still refused, and nothing queued.
    client
        .publish(good, r#"{"decision":"cancel"}"#.into())
        .await
        .unwrap();
    let r = ask(good, r#"{"decision":"cancel","by":"bo"}"#).await;
    assert_eq!(r["accepted"], true);
    let a = tokio::time::timeout(WAIT, answers.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.decision, a.by.as_str()), (AnswerDecision::Cancel, "bo"));
    assert!(
        answers.try_recv().is_err(),
        "a refused answer reached the engine"
    );

    // No engine takes answers any more: the sender is told.
    drop(answers);
    let r = ask(good, r#"{"decision":"reject","by":"ana"}"#).await;
    assert_eq!(r["accepted"], false);
    assert!(r["error"].as_str().unwrap().contains("no engine"), "{r}");
    bus.close().await;
}

/// Creates a file-backed stream capturing every event subject on the server
/// at `url`.
async fn capture_stream(url: &str) {
    let js = jetstream::new(async_nats::connect(url).await.unwrap());
    js.create_stream(jetstream::stream::Config {
        name: "WF".to_owned(),
        subjects: vec!["autonomic.wf.>".to_owned()],
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await
    .unwrap();
}

/// Every event the stream holds, in stream order.
async fn captured(url: &str) -> Vec<Event> {
    let js = jetstream::new(async_nats::connect(url).await.unwrap());
    let mut stream = js.get_stream("WF").await.unwrap();
    let state = stream.info().await.unwrap().state.clone();
    let mut out = Vec::new();
    for seq in state.first_sequence..=state.last_sequence {
        if let Ok(m) = stream.get_raw_message(seq).await {
            let e = decode(&m.payload);
            assert_eq!(m.subject.as_str(), e.subject());
            out.push(e);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_stream_gets_the_outage_events_in_order_after_restart() {
    let store = tempfile::tempdir().unwrap();
    let mut server = NatsServer::start_jetstream(store.path());
    capture_stream(&server.url()).await;
    let bus = Bus::start(&config(server.url(), 10_000)).await.unwrap();
    let all = events(500);
    let (before, during) = all.split_at(200);
    for e in before {
        bus.publish(e);
    }
    assert!(
        bus.flush(WAIT).await,
        "flush before the kill: {:?}",
        bus.stats()
    );

    server.kill();
    assert!(
        wait_until(|| !bus.stats().connected).await,
        "the bus did not notice the kill"
    );
    let t = Instant::now();
    for e in during {
        bus.publish(e);
    }
    let took = t.elapsed();
    assert!(
        took < Duration::from_millis(200),
        "300 publishes during the outage took {took:?}"
    );
    let s = bus.stats();
    assert_eq!(
        (s.buffered, s.dropped, s.published_nats),
        (300, 0, 200),
        "{s:?}"
    );
    assert!(
        !bus.flush(Duration::from_millis(300)).await,
        "flush with the server down"
    );

    server.restart();
    assert!(
        bus.flush(WAIT).await,
        "flush after the restart: {:?}",
        bus.stats()
    );
    let s = bus.stats();
    assert_eq!(
        (s.buffered, s.dropped, s.published_nats),
        (0, 0, 500),
        "{s:?}"
    );
    assert!(s.connected);

    // The outage's events are all there, after whatever of the first 200
    // survived the SIGKILL, in publish order.
    let got = captured(&server.url()).await;
    assert!(got.len() >= during.len(), "{} events captured", got.len());
    assert_eq!(&got[got.len() - during.len()..], during);
    assert!(got.windows(2).all(|w| w[0].seq < w[1].seq), "out of order");
    bus.close().await;
}

/// A store whose stream exists before the bus's server starts (made by a
/// first server on another port, stopped cleanly).
async fn store_with_stream(dir: &Path) {
    let mut first = NatsServer::start_jetstream(dir);
    capture_stream(&first.url()).await;
    first.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_buffer_drops_the_oldest_and_counts() {
    let store = tempfile::tempdir().unwrap();
    store_with_stream(store.path()).await;
    let port = free_port();
    let bus = Bus::start(&config(nats_url(port), 100)).await.unwrap();
    let all = events(250);
    for e in &all {
        bus.publish(e);
    }
    let s = bus.stats();
    assert_eq!(
        (s.buffered, s.dropped, s.published_nats),
        (100, 150, 0),
        "{s:?}"
    );
    assert!(!s.connected);

    let server = NatsServer::on_port(port, Some(store.path()));
    assert!(bus.flush(WAIT).await, "flush: {:?}", bus.stats());
    assert_eq!(
        captured(&server.url()).await,
        &all[150..],
        "not the newest 100, in order"
    );
    let s = bus.stats();
    assert_eq!(
        (s.buffered, s.dropped, s.published_nats),
        (0, 150, 100),
        "{s:?}"
    );
    bus.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_starts_does_not_stop_the_run() {
    let t = Instant::now();
    let bus = Bus::start(&config(nats_url(free_port()), 1000))
        .await
        .unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "start waited {:?}",
        t.elapsed()
    );
    let mut local = bus.subscribe();
    let sent = events(10_000);
    let t = Instant::now();
    for e in &sent {
        bus.publish(e);
    }
    let took = t.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "10,000 publishes took {took:?}"
    );
    let s = bus.stats();
    assert!(!s.connected);
    assert_eq!(
        (s.published_local, s.buffered, s.dropped),
        (10_000, 1000, 9000),
        "{s:?}"
    );
    assert!(!bus.flush(Duration::from_millis(200)).await);
    for e in &sent {
        assert_eq!(&local.recv().await.unwrap(), e);
    }
    let t = Instant::now();
    bus.close().await;
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "close waited {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn a_malformed_url_is_an_error_naming_it_and_no_url_is_local() {
    for url in ["nats://", "nats://user:hunter2@bad host:4222"] {
        match Bus::start(&config(url.to_owned(), 100)).await {
            Err(e @ BusError::Url { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains("[bus] nats_url"), "{msg}");
                assert!(!msg.contains("hunter2"), "the password leaked: {msg}");
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    let mut bus = Bus::start(&BusConfig::default()).await.unwrap();
    assert!(bus.take_answers().is_none());
    assert!(bus.flush(Duration::from_millis(1)).await);
}

#[test]
fn in_process_subscribers_get_every_event_in_order() {
    let bus = Bus::local();
    let mut a = bus.subscribe();
    let mut b = bus.subscribe();
    let sent = events(10_000);
    for e in &sent {
        bus.publish(e);
    }
    for rx in [&mut a, &mut b] {
        for e in &sent {
            assert_eq!(&rx.try_recv().unwrap(), e);
        }
        assert!(rx.try_recv().is_err());
    }
    assert_eq!(bus.stats().published_local, 10_000);
    assert!(!bus.stats().connected);
}

fn schema() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas/workflow-event-v1.json");
    let text = fs_err::read_to_string(&path).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

#[test]
fn published_events_of_every_kind_match_the_documented_schema() {
    let v = schema();
    let r = run("wf-20261207-k3y9zz");
    let samples = [
        (
            None,
            EventKind::RunStarted,
            serde_json::json!({"workflow": "deploy-frontend", "file": "/w/deploy.toml", "sha256": "a".repeat(64), "repo": "/w/repo", "vars": {"env": "prod"}}),
        ),
        (
            None,
            EventKind::RunState,
            serde_json::json!({"from": "running", "to": "waiting_approval", "why": "node deploy needs approval"}),
        ),
        (
            Some("build"),
            EventKind::NodeState,
            serde_json::json!({"from": "running", "to": "succeeded", "why": "exit 0", "attempt": 1, "outputs": {"exit_code": 0}}),
        ),
        (
            Some("build"),
            EventKind::Decision,
            serde_json::json!({"layer": "mouth", "decision": "allow", "rule_ids": [], "summary": "cargo build"}),
        ),
        (
            Some("deploy"),
            EventKind::ApprovalRequested,
            serde_json::json!({"request": "ap-x1y2z3", "text": "approve?", "expires_at": "2026-12-07T01:00:00Z"}),
        ),
        (
            Some("deploy"),
            EventKind::ApprovalAnswered,
            serde_json::json!({"request": "ap-x1y2z3", "decision": "approve", "by": "ana", "via": "nats", "accepted": true, "why": "first valid decision"}),
        ),
        (
            Some("tell"),
            EventKind::Notify,
            serde_json::json!({"message": "deployed"}),
        ),
        (
            Some("fix"),
            EventKind::Progress,
            serde_json::json!({"step": 3, "line": "running cargo test"}),
        ),
    ];
    for (i, (node, kind, data)) in samples.into_iter().enumerate() {
        let e = Event {
            node: node.map(str::to_owned),
            data,
            ..event(&r, i as u64 + 1, kind)
        };
        let json = serde_json::to_value(&e).unwrap();
        let errors: Vec<String> = v.iter_errors(&json).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{kind:?}: {errors:?}\n{json}");
    }
    // The schema refuses what is not an event of this version.
    let good = serde_json::to_value(event(&r, 1, EventKind::RunState)).unwrap();
    let mutations: [(&str, serde_json::Value); 5] = [
        ("schema", serde_json::json!("autonomic.workflow.event/2")),
        ("kind", serde_json::json!("run_exploded")),
        ("run", serde_json::json!("wf-1")),
        ("seq", serde_json::json!(-1)),
        ("at", serde_json::json!(7)),
    ];
    for (field, value) in mutations {
        let mut bad = good.clone();
        bad[field] = value;
        assert!(
            !v.is_valid(&bad),
            "the schema accepts a bad `{field}`: {bad}"
        );
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("data");
    assert!(
        !v.is_valid(&missing),
        "the schema accepts an event without data"
    );
}
