//! The NATS link: a bounded in-memory buffer [`Link::push`] appends to
//! (dropping the oldest event when full), a background task that publishes
//! it in order whenever the connection is up, and a task that takes
//! approval answers and replies to them.
//!
//! What it owns: the async-nats client (reconnects forever, with a delay
//! capped at [`MAX_RECONNECT_DELAY`]), the outage warnings (one when the
//! server goes away or is not there at start, one when the buffer starts
//! dropping, one summary when it comes back) and the counters.
//!
//! What it must not do: make [`Link::push`] wait for anything but a short
//! mutex; log once per event during an outage.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_nats::connection::State;
use futures_util::StreamExt;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

use super::answer::{accepted_reply, parse_answer, refused_reply, ApprovalAnswer, ANSWER_SUBJECTS};
use super::{BusError, BusStats};
use crate::workflow::event::Event;

/// The longest wait between two reconnect attempts.
pub const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Events taken from the buffer per round of the publisher.
const BATCH: usize = 512;

/// How long the connection may stay pending at start before the
/// "unreachable" warning.
const START_GRACE: Duration = Duration::from_secs(1);

/// Refused answers logged per minute; the rest are counted.
const ANSWER_WARNINGS_PER_MINUTE: u32 = 10;

/// One event ready for the wire.
struct Outgoing {
    subject: String,
    payload: Vec<u8>,
}

/// What the caller's thread and the background tasks share.
struct Shared {
    /// The URL with any password masked, for logs.
    url: String,
    capacity: usize,
    queue: Mutex<VecDeque<Outgoing>>,
    /// Taken from the queue, not yet handed to the client.
    in_flight: AtomicU64,
    wake: Notify,
    published: AtomicU64,
    dropped: AtomicU64,
    connected: AtomicBool,
    /// The buffer-full warning was logged in this outage.
    drop_warned: AtomicBool,
    /// `dropped` when the current outage began.
    dropped_at_outage: AtomicU64,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, VecDeque<Outgoing>> {
        // A panic while holding the lock leaves a consistent queue.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes up to [`BATCH`] events, counting them in flight.
    fn take_batch(&self) -> Vec<Outgoing> {
        let mut q = self.queue();
        let n = q.len().min(BATCH);
        let batch: Vec<Outgoing> = q.drain(..n).collect();
        self.in_flight.store(batch.len() as u64, Ordering::SeqCst);
        batch
    }

    /// Nothing buffered and nothing in flight.
    fn idle(&self) -> bool {
        let q = self.queue();
        q.is_empty() && self.in_flight.load(Ordering::SeqCst) == 0
    }
}

/// The NATS side of a [`super::Bus`].
pub(super) struct Link {
    shared: Arc<Shared>,
    client: async_nats::Client,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("url", &self.shared.url)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Creates the client (connecting in the background) and starts the
    /// publisher and the answer listener.
    pub(super) async fn start(
        url: &str,
        capacity: usize,
        answers: mpsc::Sender<ApprovalAnswer>,
    ) -> Result<Link, BusError> {
        let shown = redact(url);
        let addr = parse_url(url).map_err(|source| BusError::Url {
            url: shown.clone(),
            source,
        })?;
        let shared = Arc::new(Shared {
            url: shown.clone(),
            capacity,
            queue: Mutex::new(VecDeque::new()),
            in_flight: AtomicU64::new(0),
            wake: Notify::new(),
            published: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            connected: AtomicBool::new(false),
            drop_warned: AtomicBool::new(false),
            dropped_at_outage: AtomicU64::new(0),
        });
        let waker = Arc::clone(&shared);
        let client = async_nats::ConnectOptions::new()
            .name("autonomic")
            .retry_on_initial_connect()
            .max_reconnects(None)
            .reconnect_delay_callback(reconnect_delay)
            .event_callback(move |_| {
                // Any connection event: let the publisher look at the state.
                waker.wake.notify_one();
                async {}
            })
            .connect(addr)
            .await
            .map_err(|source| BusError::Client { url: shown, source })?;
        // Subscribed before anything is published: the subscription reaches
        // the server ahead of the first event and of any flush.
        let mut tasks = vec![tokio::spawn(publisher(Arc::clone(&shared), client.clone()))];
        match client.subscribe(ANSWER_SUBJECTS).await {
            Ok(sub) => tasks.push(tokio::spawn(listen(client.clone(), sub, answers))),
            Err(e) => {
                tracing::warn!(url = %shared.url, error = %e, "approval answers over NATS are off: could not subscribe to {ANSWER_SUBJECTS}")
            }
        }
        Ok(Link {
            shared,
            client,
            tasks,
        })
    }

    /// Appends `event` to the buffer, dropping the oldest when it is full.
    pub(super) fn push(&self, event: &Event) {
        let payload = match serde_json::to_vec(event) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(run = %event.run, seq = event.seq, error = %e, "event not published: it does not serialise");
                return;
            }
        };
        let out = Outgoing {
            subject: event.subject(),
            payload,
        };
        let s = &self.shared;
        {
            let mut q = s.queue();
            if q.len() >= s.capacity {
                q.pop_front();
                s.dropped.fetch_add(1, Ordering::Relaxed);
                if !s.drop_warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        url = %s.url,
                        capacity = s.capacity,
                        "the NATS bus buffer is full: dropping the oldest events until the server is back (the journal keeps them all)"
                    );
                }
            }
            q.push_back(out);
        }
        s.wake.notify_one();
    }

    /// The counters (`published_local` is the bus's).
    pub(super) fn stats(&self) -> BusStats {
        let s = &self.shared;
        let buffered = s.queue().len() as u64 + s.in_flight.load(Ordering::SeqCst);
        BusStats {
            published_local: 0,
            published_nats: s.published.load(Ordering::Relaxed),
            buffered,
            dropped: s.dropped.load(Ordering::Relaxed),
            connected: s.connected.load(Ordering::Relaxed),
        }
    }

    /// Waits until the buffer is empty, then proves the server has
    /// everything with a round trip; false on timeout.
    pub(super) async fn flush(&self, timeout: Duration) -> bool {
        let work = async {
            while !(self.shared.idle() && self.client.connection_state() == State::Connected) {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            round_trip(&self.client).await
        };
        tokio::time::timeout(timeout, work).await.unwrap_or(false)
    }

    /// Flushes (up to `timeout`), then stops the tasks and the connection.
    pub(super) async fn close(mut self, timeout: Duration) {
        if self.client.connection_state() == State::Connected && !self.flush(timeout).await {
            tracing::warn!(url = %self.shared.url, stats = ?self.stats(), "NATS bus closed before every event reached the server");
        }
        for task in self.tasks.drain(..) {
            task.abort();
        }
        let _ = self.client.drain().await;
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// async-nats's parse, plus a host (it takes `nats://` as a URL).
fn parse_url(url: &str) -> std::io::Result<async_nats::ServerAddr> {
    let addr: async_nats::ServerAddr = url.parse()?;
    if addr.host().is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the URL has no host",
        ));
    }
    Ok(addr)
}

/// 50 ms, doubling, at most [`MAX_RECONNECT_DELAY`].
fn reconnect_delay(attempts: usize) -> Duration {
    let exp = u32::try_from(attempts.min(16)).unwrap_or(16);
    Duration::from_millis(25u64.saturating_mul(1 << exp)).min(MAX_RECONNECT_DELAY)
}

/// `nats://user:password@host` → `nats://user:***@host`; a token alone
/// (`nats://token@host`) is masked whole.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        None => url.to_owned(),
        Some((userinfo, host)) => {
            let masked = match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***"),
                None => "***".to_owned(),
            };
            format!("{scheme}://{masked}@{host}{path}")
        }
    }
}

/// Publishes a message to a fresh inbox this client listens on and waits
/// for it: the server handles a connection's messages in order, so every
/// earlier publish has reached it.
async fn round_trip(client: &async_nats::Client) -> bool {
    let inbox = client.new_inbox();
    let Ok(mut sub) = client.subscribe(inbox.clone()).await else {
        return false;
    };
    if client.publish(inbox, Vec::new().into()).await.is_err() {
        return false;
    }
    let back = sub.next().await.is_some();
    let _ = sub.unsubscribe().await;
    back
}

/// Watches the connection state and logs each outage once.
struct Outage {
    started: Instant,
    warned: bool,
}

impl Outage {
    /// Records the state now; true when connected.
    fn observe(&mut self, s: &Shared, state: &State) -> bool {
        let up = *state == State::Connected;
        let was_up = s.connected.swap(up, Ordering::Relaxed);
        if up && !was_up {
            let dropped =
                s.dropped.load(Ordering::Relaxed) - s.dropped_at_outage.load(Ordering::Relaxed);
            if self.warned || dropped > 0 {
                tracing::info!(url = %s.url, dropped, "NATS server reachable again: publishing the buffered events");
            }
            self.warned = false;
            s.drop_warned.store(false, Ordering::Relaxed);
        }
        if !up && was_up {
            self.started = Instant::now();
            s.dropped_at_outage
                .store(s.dropped.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        let gone = *state == State::Disconnected || self.started.elapsed() >= START_GRACE;
        if !up && !self.warned && gone {
            self.warned = true;
            tracing::warn!(
                url = %s.url,
                capacity = s.capacity,
                "NATS server unreachable: buffering events until it is back (the run goes on; the journal keeps every event)"
            );
        }
        up
    }
}

/// Publishes the buffer in order while connected; sleeps on the wake-up
/// otherwise (checking the state every 100 ms in case an event was lost).
async fn publisher(s: Arc<Shared>, client: async_nats::Client) {
    let mut outage = Outage {
        started: Instant::now(),
        warned: false,
    };
    loop {
        let up = outage.observe(&s, &client.connection_state());
        let batch = if up { s.take_batch() } else { Vec::new() };
        if batch.is_empty() {
            let _ = tokio::time::timeout(Duration::from_millis(100), s.wake.notified()).await;
            continue;
        }
        for out in batch {
            // Waits only when async-nats's own queue is full (an outage
            // that began mid-batch); the caller keeps pushing meanwhile.
            match client.publish(out.subject, out.payload.into()).await {
                Ok(()) => {
                    s.published.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    s.dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(url = %s.url, error = %e, "event not published to NATS");
                }
            }
            s.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Takes answers from `autonomic.approval.*`, hands the well-formed ones to
/// the engine and replies when the message has a reply subject.
async fn listen(
    client: async_nats::Client,
    mut sub: async_nats::Subscriber,
    answers: mpsc::Sender<ApprovalAnswer>,
) {
    let mut limit = WarnLimit::new();
    while let Some(msg) = sub.next().await {
        let reply = match parse_answer(msg.subject.as_str(), &msg.payload) {
            Ok(answer) => match answers.try_send(answer) {
                Ok(()) => accepted_reply(),
                Err(mpsc::error::TrySendError::Full(_)) => {
                    refused_reply("the engine is busy: send the answer again")
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    refused_reply("no engine takes answers on this bus")
                }
            },
            Err(e) => {
                if limit.allow() {
                    tracing::warn!(subject = %msg.subject, error = %e, "approval answer refused");
                }
                refused_reply(&e.to_string())
            }
        };
        if let Some(to) = msg.reply {
            if let Err(e) = client.publish(to, reply.into()).await {
                tracing::warn!(subject = %msg.subject, error = %e, "could not reply to an approval answer");
            }
        }
    }
}

/// At most [`ANSWER_WARNINGS_PER_MINUTE`] warnings a minute (anyone on
/// the server can send answers); the count of the rest is logged with the
/// next allowed one.
struct WarnLimit {
    window: Instant,
    logged: u32,
    suppressed: u64,
}

impl WarnLimit {
    fn new() -> WarnLimit {
        WarnLimit {
            window: Instant::now(),
            logged: 0,
            suppressed: 0,
        }
    }

    fn allow(&mut self) -> bool {
        if self.window.elapsed() >= Duration::from_secs(60) {
            if self.suppressed > 0 {
                tracing::warn!(
                    count = self.suppressed,
                    "more approval answers were refused in the last minute (not logged one by one)"
                );
            }
            *self = WarnLimit::new();
        }
        if self.logged < ANSWER_WARNINGS_PER_MINUTE {
            self.logged += 1;
            true
        } else {
            self.suppressed += 1;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(redact("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
        assert_eq!(redact("nats://ana:s3cret@h:4222"), "nats://ana:***@h:4222");
        assert_eq!(redact("tls://tok3n@h:4222/x"), "tls://***@h:4222/x");
    }

    #[test]
    fn the_reconnect_delay_is_capped() {
        assert_eq!(reconnect_delay(1), Duration::from_millis(50));
        assert_eq!(reconnect_delay(1000), MAX_RECONNECT_DELAY);
    }

    #[test]
    fn refused_answers_are_logged_at_a_bounded_rate() {
        let mut l = WarnLimit::new();
        let allowed = (0..100).filter(|_| l.allow()).count();
        assert_eq!(allowed, ANSWER_WARNINGS_PER_MINUTE as usize);
        assert_eq!(l.suppressed, 90);
    }
}
