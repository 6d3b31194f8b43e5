//! The sentence encoder's speed (issue 16): facts embedded per second, a
//! task's embedding latency, and the model's load time.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo bench -p autonomic-llm --bench embed   # one thread
//! cargo bench -p autonomic-llm --bench embed                       # every core
//! cargo bench -p autonomic-llm --bench embed -- --model DIR
//! ```
//!
//! The texts are the repository's own prose: every line of `README.md`,
//! `ARCHITECTURE.md` and `docs/*.md` of 40 to 300 characters, as facts
//! (real sentences of the length agents remember), and the first eight
//! words of each as tasks. The model is `target/models/all-MiniLM-L6-v2`
//! (`autonomic brain fetch-model --dest target/models`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use autonomic_llm::embed::SentenceEmbedder;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model_dir = arg("--model")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/models/all-MiniLM-L6-v2"));
    let started = Instant::now();
    let model = match SentenceEmbedder::load(&model_dir) {
        Ok(model) => model,
        Err(e) => {
            eprintln!(
                "no encoder at {}: {e}; nothing measured",
                model_dir.display()
            );
            std::process::exit(1);
        }
    };
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;

    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    if let Ok(entries) = fs_err::read_dir(root.join("docs")) {
        let mut docs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        docs.sort();
        files.extend(docs);
    }
    let facts: Vec<String> = files
        .iter()
        .filter_map(|f| fs_err::read_to_string(f).ok())
        .flat_map(|text| {
            text.lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| (40..=300).contains(&l.len()))
                .collect::<Vec<_>>()
        })
        .take(2_000)
        .collect();
    let refs: Vec<&str> = facts.iter().map(String::as_str).collect();
    let chars: usize = facts.iter().map(String::len).sum();

    // Warm up, then the whole set as one call (the encoder batches).
    model.embed(&refs[..refs.len().min(64)]).expect("embed");
    let started = Instant::now();
    let vectors = model.embed(&refs).expect("embed");
    let batch_secs = started.elapsed().as_secs_f64();
    assert_eq!(vectors.len(), refs.len());

    let tasks: Vec<String> = facts
        .iter()
        .take(300)
        .map(|f| f.split_whitespace().take(8).collect::<Vec<_>>().join(" "))
        .collect();
    let mut latencies: Vec<f64> = tasks
        .iter()
        .map(|task| {
            let started = Instant::now();
            model.embed(&[task.as_str()]).expect("embed");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];

    #[expect(clippy::disallowed_methods, reason = "reporting the thread setting")]
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| {
        std::thread::available_parallelism().map_or("?".into(), |n| n.to_string())
    });
    println!(
        "sentence encoder {} ({} dims), {threads} thread(s)",
        model.name(),
        model.dims()
    );
    println!("load             {load_ms:>8.1} ms");
    println!(
        "facts embedded   {:>8.0} facts/s ({} facts, {:.0} characters on average, {batch_secs:.2} s)",
        refs.len() as f64 / batch_secs,
        refs.len(),
        chars as f64 / refs.len() as f64
    );
    println!(
        "task embedding   p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  ({} tasks of 8 words)",
        pct(0.50),
        pct(0.95),
        pct(0.99),
        latencies.len()
    );
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}
