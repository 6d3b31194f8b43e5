//! The event bus: every journaled transition, as an [`Event`], handed to
//! in-process subscribers (a tokio broadcast channel) and, with `[bus]
//! nats_url` set, published to a NATS server on `autonomic.wf.<run>.<kind>`
//! (payload: the event's JSON, `docs/events.md`). With NATS configured it
//! also takes approval answers from `autonomic.approval.<run-id>`, checks
//! their format and hands them to the engine.
//!
//! What it owns: the in-process channel, the NATS link (a bounded buffer
//! that drops the oldest event when full, a background publisher, the
//! reconnects), the answer format and its replies.
//!
//! What it must not do: block or fail the engine — [`Bus::publish`] is
//! synchronous and never waits on the network; keep events (the journal
//! does, and it is the record: the bus may drop events during a long
//! outage); decide whether an answer is valid for a request (the engine
//! does).
//!
//! # Examples
//!
//! ```
//! use agent_spine::workflow::bus::Bus;
//! use agent_spine::workflow::event::{Event, EventKind, SCHEMA};
//! use agent_spine::workflow::state::RunId;
//!
//! let bus = Bus::local();
//! let mut rx = bus.subscribe();
//! let event = Event {
//!     schema: SCHEMA.to_owned(),
//!     seq: 1,
//!     at: "2026-12-07T00:00:00Z".to_owned(),
//!     run: RunId::parse("wf-20261207-abc123").unwrap(),
//!     node: None,
//!     kind: EventKind::RunStarted,
//!     data: serde_json::json!({"workflow": "audit"}),
//! };
//! bus.publish(&event);
//! assert_eq!(rx.try_recv().unwrap(), event);
//! assert_eq!(bus.stats().published_local, 1);
//! ```

mod answer;
mod nats;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};

use super::event::Event;

pub use answer::{
    accepted_reply, parse_answer, refused_reply, AnswerDecision, AnswerError, ApprovalAnswer,
    ANSWER_SUBJECTS, ANSWER_SUBJECT_PREFIX, MAX_ANSWER_BYTES, MAX_BY_CHARS, MAX_REASON_CHARS,
    MAX_REQUEST_CHARS,
};

/// Events an in-process subscriber may fall behind by before it misses some
/// (it then gets `RecvError::Lagged` with the count).
pub const LOCAL_CAPACITY: usize = 16 * 1024;

/// Answers queued for the engine before further ones are refused with
/// "busy" (the sender is told to send again).
pub const ANSWER_QUEUE: usize = 256;

/// The bus the engine publishes to. See the module docs.
#[derive(Debug)]
pub struct Bus {
    local: broadcast::Sender<Event>,
    published_local: AtomicU64,
    link: Option<nats::Link>,
    answers: Option<mpsc::Receiver<ApprovalAnswer>>,
}

/// The bus could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// `[bus] nats_url` is not a NATS server address.
    #[error("[bus] nats_url `{url}` is not a NATS server address")]
    Url {
        /// The URL, with any password masked.
        url: String,
        /// Why async-nats refused it.
        #[source]
        source: std::io::Error,
    },
    /// The NATS client could not be created.
    #[error("could not start the NATS client for `{url}`")]
    Client {
        /// The URL, with any password masked.
        url: String,
        /// async-nats's error.
        #[source]
        source: async_nats::ConnectError,
    },
}

impl autonomic_core::Hint for BusError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            BusError::Url { .. } => {
                "set `[bus] nats_url` to nats://HOST:PORT (e.g. nats://127.0.0.1:4222), or remove it to keep events in process".to_owned()
            }
            BusError::Client { .. } => {
                "check `[bus] nats_url`, or remove it to keep events in process".to_owned()
            }
        })
    }
}

/// Counters, for `autonomic status` and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BusStats {
    /// Events handed to in-process subscribers (every [`Bus::publish`]).
    pub published_local: u64,
    /// Events handed to the NATS connection (see [`Bus::flush`] for
    /// "reached the server").
    pub published_nats: u64,
    /// Events waiting for the NATS server now.
    pub buffered: u64,
    /// Events dropped (the oldest first) because the buffer was full.
    pub dropped: u64,
    /// Whether the NATS connection is up (false with no NATS configured).
    pub connected: bool,
}

impl Bus {
    /// A bus that keeps events in process.
    pub fn local() -> Bus {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        Bus {
            local,
            published_local: AtomicU64::new(0),
            link: None,
            answers: None,
        }
    }

    /// The bus `[bus]` describes: in process only when `nats_url` is
    /// unset; otherwise also NATS, connecting in the background — a server
    /// that is down now is not an error (events are buffered and a warning
    /// logged), a malformed URL is. Needs a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`BusError::Url`] for a URL async-nats cannot use.
    pub async fn start(config: &autonomic_core::config::BusConfig) -> Result<Bus, BusError> {
        let Some(url) = &config.nats_url else {
            return Ok(Bus::local());
        };
        let capacity = usize::try_from(config.nats_buffer_events)
            .unwrap_or(usize::MAX)
            .max(1);
        let (tx, rx) = mpsc::channel(ANSWER_QUEUE);
        let link = nats::Link::start(url, capacity, tx).await?;
        let mut bus = Bus::local();
        bus.link = Some(link);
        bus.answers = Some(rx);
        Ok(bus)
    }

    /// Hands `event` to in-process subscribers and, with NATS configured,
    /// to the publisher's buffer. Never blocks, never fails.
    pub fn publish(&self, event: &Event) {
        self.published_local.fetch_add(1, Ordering::Relaxed);
        if let Some(link) = &self.link {
            link.push(event);
        }
        // No subscriber is not an error: the journal has the event.
        let _ = self.local.send(event.clone());
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    /// The approval answers that arrive over NATS, already format-checked.
    /// `Some` once when NATS is configured, `None` afterwards and without
    /// NATS. Dropping the receiver makes the bus refuse answers ("no
    /// engine takes answers").
    pub fn take_answers(&mut self) -> Option<mpsc::Receiver<ApprovalAnswer>> {
        self.answers.take()
    }

    /// The counters now.
    pub fn stats(&self) -> BusStats {
        let mut stats = self
            .link
            .as_ref()
            .map(nats::Link::stats)
            .unwrap_or_default();
        stats.published_local = self.published_local.load(Ordering::Relaxed);
        stats
    }

    /// Waits up to `timeout` until every event published so far has
    /// reached the NATS server (a round trip through the server proves
    /// it). True at once without NATS; false when the server is
    /// unreachable or slow.
    pub async fn flush(&self, timeout: Duration) -> bool {
        match &self.link {
            None => true,
            Some(link) => link.flush(timeout).await,
        }
    }

    /// Publishes what is buffered (waiting up to 2 s when connected),
    /// then closes the NATS connection and stops the background tasks.
    pub async fn close(self) {
        if let Some(link) = self.link {
            link.close(Duration::from_secs(2)).await;
        }
    }
}
