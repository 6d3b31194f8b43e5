//! Time to refuse (or parse) YAML lockfiles of growing flow nesting: the
//! guard in front of the YAML parser must keep it linear in the file's size.
//!
//! ```text
//! cargo bench -p agent-immune --bench yaml_depth
//! ```

use std::time::Instant;

use agent_immune::lockfile::{parse, Kind};

fn main() {
    let path = std::path::Path::new("pnpm-lock.yaml");
    println!(
        "{:>10} {:>10} {:>12} {:>16}  result",
        "depth", "bytes", "guarded", "parser unguarded"
    );
    for depth in [10, 64, 65, 1_000, 12_500, 100_000, 1_000_000] {
        let text = format!(
            "lockfileVersion: '9.0'\npackages:\n  x: {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let runs = 20;
        let started = Instant::now();
        let mut outcome = String::new();
        for _ in 0..runs {
            outcome = match parse(Kind::PnpmLock, &text, path) {
                Ok(p) => format!("parsed ({} packages)", p.len()),
                Err(e) => format!("refused: line {:?}", e.line),
            };
        }
        let each = started.elapsed().as_secs_f64() / f64::from(runs);
        // What the YAML parser alone costs (what a scan paid before the
        // guard); skipped where it takes seconds.
        let unguarded = if depth <= 12_500 {
            let started = Instant::now();
            let _ = serde_norway::from_str::<serde_norway::Value>(&text);
            format!("{:.1} ms", started.elapsed().as_secs_f64() * 1000.0)
        } else {
            "(seconds)".to_owned()
        };
        println!(
            "{depth:>10} {:>10} {:>9.1} µs {unguarded:>16}  {outcome}",
            text.len(),
            each * 1e6
        );
    }
}
