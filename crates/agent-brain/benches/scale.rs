//! agent-brain at scale (issue 6's benchmark): 1,000,000 facts across 1,000
//! projects and 10,000 sessions.
//!
//! ```text
//! cargo bench -p agent-brain --bench scale                 # 1,000,000 facts
//! cargo bench -p agent-brain --bench scale -- --facts 100000
//! cargo bench -p agent-brain --bench scale -- --by-project  # batches of one project
//! ```
//!
//! Measures, on a real file database (WAL, synchronous=NORMAL):
//! - bulk `remember_many` in transactions of 10,000 facts (target ≥ 50,000/s);
//! - the database size per million facts;
//! - `route_task` with a 500-token budget: 2,000 random tasks (random
//!   project, half with a session, 6–10 words of task text), p50/p95/p99
//!   after 100 warm-up queries (target p99 ≤ 10 ms), right after the bulk
//!   load and again after `optimize_index` (what an agent-heart cycle does
//!   after pruning) has merged the full-text index's segments;
//! - a prune cycle with 10% of the facts long expired (target ≤ 5 s), then
//!   a cycle that evicts to archives (project capacity 400, session 40);
//! - semantic retrieval's share: every remaining fact given a 384-wide
//!   vector (`embed_pending`, with a stand-in encoder that costs nothing,
//!   so the store's own write rate shows), the vectors' size per million
//!   facts, and `route_task` again with vectors on. The real encoder's time
//!   for the query is not in these figures: `cargo bench -p autonomic-llm
//!   --bench embed` measures it (add its p99 to this route p99).
//!
//! The corpus is synthetic and seeded (the same every run): facts are 10–18
//! words drawn from a 4,000-word vocabulary with a Zipf-like skew, 0.1%
//! global (1,000 of a million: global facts are the user's and the
//! organisation's rules, few by nature, and every task sees all of them),
//! the rest half project, half session; 10% carry a subject key; 10% were
//! invalidated 30 days ago. `--global-per-mille N` changes the global share.

use std::time::Instant;

use std::sync::Arc;

use agent_brain::{
    Brain, BrainSettings, Capacity, Embedder, NewFact, PrunePolicy, Scope, TaskContext,
};
use time::{Duration, OffsetDateTime};

const PROJECTS: u64 = 1_000;
/// Global facts per thousand (1: 1,000 of a million; see the module doc).
const GLOBAL_PER_MILLE: u64 = 1;
const SESSIONS_PER_PROJECT: u64 = 10;
const VOCABULARY: usize = 4_000;
const BATCH: usize = 10_000;
const QUERIES: usize = 2_000;
const WARM_UP: usize = 100;
const BUDGET: usize = 500;

/// splitmix64: seeded, fast, good enough for a corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Skewed towards small indices (rank ~ u^2.5).
    fn zipfish(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u.powf(2.5) * n as f64) as usize).min(n - 1)
    }
}

fn vocabulary() -> Vec<String> {
    const SYLLABLES: &[&str] = &[
        "ka", "to", "ri", "mon", "sel", "dra", "vi", "pex", "lu", "gor", "tan", "bel", "qui",
        "zor", "fen", "mar", "dol", "cri", "nash", "ope",
    ];
    (0..VOCABULARY)
        .map(|i| {
            let a = SYLLABLES[i % 20];
            let b = SYLLABLES[(i / 20) % 20];
            let c = SYLLABLES[(i / 400) % 20];
            format!("{a}{b}{c}")
        })
        .collect()
}

fn text(rng: &mut Rng, words: &[String], min: u64, max: u64) -> String {
    let n = min + rng.below(max - min + 1);
    (0..n)
        .map(|_| words[rng.zipfish(words.len())].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Latencies of `QUERIES` random tasks (sorted, ms), summaries and tokens returned.
struct RoutePhase {
    latencies: Vec<f64>,
    returned: usize,
    tokens: usize,
}

fn route_phase(brain: &Brain, rng: &mut Rng, words: &[String]) -> RoutePhase {
    let mut phase = RoutePhase {
        latencies: Vec::with_capacity(QUERIES),
        returned: 0,
        tokens: 0,
    };
    for q in 0..(WARM_UP + QUERIES) {
        let project = format!("project-{:04}", rng.below(PROJECTS));
        let task = if rng.below(2) == 0 {
            TaskContext::session(
                project,
                format!("session-{}", rng.below(SESSIONS_PER_PROJECT)),
            )
        } else {
            TaskContext::project(project)
        };
        let text = text(rng, words, 6, 10);
        let started = Instant::now();
        let routed = brain.route_task(&task, &text, BUDGET).expect("route");
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        assert!(routed.tokens_used <= BUDGET);
        if q >= WARM_UP {
            phase.latencies.push(elapsed);
            phase.returned += routed.summaries.len();
            phase.tokens += routed.tokens_used;
        }
    }
    phase.latencies.sort_by(f64::total_cmp);
    phase
}

impl RoutePhase {
    fn line(&self) -> String {
        format!(
            "p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({QUERIES} tasks; {:.1} summaries, {:.0} tokens on average)",
            pct(&self.latencies, 0.50),
            pct(&self.latencies, 0.95),
            pct(&self.latencies, 0.99),
            self.latencies.last().copied().unwrap_or(0.0),
            self.returned as f64 / QUERIES as f64,
            self.tokens as f64 / QUERIES as f64
        )
    }
}

/// A stand-in for a 384-wide sentence encoder that costs next to nothing:
/// each word adds a pseudo-random direction (seeded by its hash), so the
/// vectors are realistic in size and spread, not in meaning.
#[derive(Debug)]
struct StandIn;

impl Embedder for StandIn {
    fn name(&self) -> &str {
        "stand-in-384"
    }
    fn dims(&self) -> usize {
        384
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        Ok(texts
            .iter()
            .map(|text| {
                let mut v = vec![0.0f32; 384];
                for word in text.split_whitespace() {
                    let mut rng = Rng(word.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                    }));
                    for x in v.iter_mut() {
                        *x += (rng.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                    }
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
                v.iter_mut().for_each(|x| *x /= norm);
                v
            })
            .collect())
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn peak_rss_mib() -> f64 {
    let status = fs_err::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let mut facts_total: u64 = 1_000_000;
    let mut global_per_mille = GLOBAL_PER_MILLE;
    let mut batch_size = BATCH;
    let mut by_project = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--global-per-mille" {
            global_per_mille = args
                .next()
                .and_then(|v| v.parse().ok())
                .expect("--global-per-mille N");
        }
        if arg == "--by-project" {
            by_project = true;
        }
        if arg == "--batch" {
            batch_size = args.next().and_then(|v| v.parse().ok()).expect("--batch N");
        }
        if arg == "--facts" {
            facts_total = args.next().and_then(|v| v.parse().ok()).expect("--facts N");
        }
    }
    if by_project {
        batch_size = (facts_total / PROJECTS).max(1) as usize;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("brain.sqlite3");
    let mut brain = Brain::open(&path, BrainSettings::default()).expect("open");
    let words = vocabulary();
    let mut rng = Rng(0x5eed);
    let now = OffsetDateTime::now_utc();

    // Bulk remember.
    let mut written = 0u64;
    let mut remember_secs = 0.0;
    while written < facts_total {
        let n = batch_size.min((facts_total - written) as usize);
        let batch: Vec<NewFact> = (0..n)
            .map(|i| {
                // Random order: any project in any batch (the worst case for
                // a scope-partitioned index). By project: a batch is the
                // facts of one project, as an agent run writes them.
                let project_index = if by_project {
                    (written / batch_size as u64) % PROJECTS
                } else {
                    rng.below(PROJECTS)
                };
                let project = format!("project-{project_index:04}");
                let roll = rng.below(1000);
                let scope = if roll < global_per_mille {
                    Scope::Global
                } else if roll < 500 + global_per_mille / 2 {
                    Scope::Project(project)
                } else {
                    Scope::Session {
                        project,
                        session: format!("session-{}", rng.below(SESSIONS_PER_PROJECT)),
                    }
                };
                let mut fact = NewFact::new(scope, text(&mut rng, &words, 10, 18));
                fact.confidence = 0.2 + 0.8 * rng.below(1000) as f64 / 1000.0;
                if rng.below(10) == 0 {
                    fact.subject = Some(format!("key-{}", rng.below(50)));
                }
                if (written as usize + i) % 10 == 0 {
                    fact.valid_from = Some(now - Duration::days(60));
                    fact.invalid_at = Some(now - Duration::days(30));
                }
                fact
            })
            .collect();
        let started = Instant::now();
        brain.remember_many(&batch).expect("remember");
        remember_secs += started.elapsed().as_secs_f64();
        written += n as u64;
        eprint!("\rremembered {written}/{facts_total}");
    }
    eprintln!();
    let stats = brain.stats().expect("stats");
    let db_bytes = stats.database_bytes;

    // route_task right after the bulk load (many small index segments),
    // then after agent-heart's maintenance has merged the index.
    let fresh = route_phase(&brain, &mut rng, &words);
    let optimized = brain.optimize_index(&|| false).expect("optimize");
    let merged = route_phase(&brain, &mut rng, &words);

    // Prune: expiry only, then eviction.
    let archive_dir = dir.path().join("archive");
    let generous = PrunePolicy {
        grace: Duration::days(7),
        capacity: Capacity {
            global: u64::MAX,
            project: u64::MAX,
            session: u64::MAX,
        },
        archive_dir: archive_dir.clone(),
        batch_rows: 10_000,
    };
    let started = Instant::now();
    let expiry = brain.prune(&generous).expect("prune");
    let expiry_secs = started.elapsed().as_secs_f64();
    let tight = PrunePolicy {
        capacity: Capacity {
            global: 5_000,
            project: 400,
            session: 40,
        },
        ..generous
    };
    let started = Instant::now();
    let eviction = brain.prune(&tight).expect("prune");
    let eviction_secs = started.elapsed().as_secs_f64();
    let after_prune = brain.optimize_index(&|| false).expect("optimize");
    let bytes_before_vectors = brain.stats().expect("stats").database_bytes;
    let started = Instant::now();
    let embedded = brain
        .embed_pending(&StandIn, None, &|| false, &mut |done, total| {
            if done % 100_000 < 64 {
                eprint!("\rembedded {done}/{total}");
            }
        })
        .expect("embed");
    eprintln!();
    let embed_secs = started.elapsed().as_secs_f64();
    let after_vectors = brain.stats().expect("stats");
    brain.set_embedder(Some(Arc::new(StandIn)));
    let semantic = route_phase(&brain, &mut rng, &words);
    let archive_bytes: u64 = eviction
        .archives
        .iter()
        .map(|p| fs_err::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();

    let per_million = db_bytes as f64 / 1048576.0 * 1_000_000.0 / facts_total as f64;
    println!(
        "agent-brain scale benchmark: {facts_total} facts, {PROJECTS} projects, {} sessions, {global_per_mille}‰ global",
        PROJECTS * SESSIONS_PER_PROJECT
    );
    println!(
        "bulk remember        {:>10.0} facts/s ({facts_total} in {remember_secs:.1} s, batches of {batch_size}, {})",
        facts_total as f64 / remember_secs,
        if by_project { "one project per batch" } else { "random order" }
    );
    println!(
        "database size        {:>10.1} MiB ({per_million:.0} MiB per million facts)",
        db_bytes as f64 / 1048576.0
    );
    println!(
        "route_task (500 tok) {}   [right after the bulk load]",
        fresh.line()
    );
    println!(
        "optimize index       {:>10.2} s ({} merge steps: agent-heart runs this after each prune)",
        optimized.millis as f64 / 1000.0,
        optimized.steps
    );
    println!("route_task (500 tok) {}   [index merged]", merged.line());
    println!(
        "prune, expiry        {expiry_secs:>10.2} s ({} expired facts deleted)",
        expiry.expired_deleted
    );
    println!(
        "prune, eviction      {eviction_secs:>10.2} s ({} facts from {} scopes into {} archives, {:.1} MiB compressed)",
        eviction.evicted,
        eviction.scopes_over_capacity,
        eviction.archives.len(),
        archive_bytes as f64 / 1048576.0
    );
    println!(
        "optimize after prune {:>10.2} s ({} merge steps; an agent-heart cycle = expiry + eviction + this)",
        after_prune.millis as f64 / 1000.0,
        after_prune.steps
    );
    let vector_growth = after_vectors
        .database_bytes
        .saturating_sub(bytes_before_vectors) as f64;
    println!(
        "vectors stored       {:>10.0} facts/s ({} facts in {embed_secs:.1} s, stand-in encoder: the store's share)",
        embedded.embedded as f64 / embed_secs,
        embedded.embedded
    );
    println!(
        "vector size          {:>10.1} MiB of vector data, file +{:.1} MiB ({:.0} MiB per million facts)",
        after_vectors.vectors.bytes as f64 / 1048576.0,
        vector_growth / 1048576.0,
        vector_growth / 1048576.0 * 1_000_000.0 / embedded.embedded.max(1) as f64
    );
    println!(
        "route_task (500 tok) {}   [words and vectors, query encoder excluded]",
        semantic.line()
    );
    println!("peak RSS             {:>10.1} MiB", peak_rss_mib());
}
