//! Events published to NATS per second (issue 14's benchmark): one
//! iteration publishes 100,000 events through `Bus::publish` and waits for
//! `Bus::flush`, whose round trip through the server proves every one
//! reached it. Runs against a real `nats-server` (the Debian package; on
//! PATH or in /usr/sbin) that it starts on a free loopback port. Criterion
//! reports elements per second: events per second.
//!
//! ```text
//! cargo bench -p agent-spine --bench bus
//! ```

use std::hint::black_box;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agent_spine::workflow::bus::Bus;
use agent_spine::workflow::event::{Event, EventKind, SCHEMA};
use agent_spine::workflow::state::RunId;
use autonomic_core::config::BusConfig;
use criterion::{Criterion, Throughput};

const N: u64 = 100_000;

/// A nats-server killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the benchmark starts a real nats-server"
)]
fn nats_server(port: u16) -> Server {
    let bin = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
        .unwrap_or("nats-server");
    let child = Command::new(bin)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server (apt-get install nats-server)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    Server(child)
}

fn main() {
    let port = TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let _server = nats_server(port);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let config = BusConfig {
        nats_url: Some(format!("nats://127.0.0.1:{port}")),
        nats_buffer_events: N,
    };
    let bus = rt.block_on(Bus::start(&config)).expect("bus");
    assert!(
        rt.block_on(bus.flush(Duration::from_secs(10))),
        "not connected"
    );
    let run = RunId::parse("wf-20261207-bench0").expect("run id");
    let events: Vec<Event> = (1..=N)
        .map(|seq| Event {
            schema: SCHEMA.to_owned(),
            seq,
            at: "2026-12-07T00:00:00Z".to_owned(),
            run: run.clone(),
            node: Some("build".to_owned()),
            kind: EventKind::NodeState,
            data: serde_json::json!({"from": "running", "to": "succeeded", "why": "exit 0", "attempt": 1}),
        })
        .collect();

    let mut c = Criterion::default().sample_size(10).configure_from_args();
    let mut group = c.benchmark_group("bus");
    group.throughput(Throughput::Elements(N));
    group.bench_function("publish+flush 100k to nats", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                for e in &events {
                    bus.publish(black_box(e));
                }
                assert!(rt.block_on(bus.flush(Duration::from_secs(60))), "flush");
                total += t.elapsed();
            }
            total
        })
    });
    group.finish();
    let stats = bus.stats();
    assert_eq!(stats.dropped, 0, "{stats:?}");
    c.final_summary();
}
