//! Evidence recall on LoCoMo conversations (issue 16's measure): not a test,
//! a benchmark that reads the conversations when they are present.
//!
//! ```text
//! cargo bench -p agent-brain --bench locomo                  # ../shared/locomo
//! cargo bench -p agent-brain --bench locomo -- --dir DIR     # another copy
//! cargo bench -p agent-brain --bench locomo -- --model DIR   # another encoder
//! cargo bench -p agent-brain --bench locomo -- --dated       # with the sessions' dates
//! ```
//!
//! `--dated` stores each turn as true from its session's date
//! (`valid_from`, "1:56 pm on 8 May, 2023") and asks every question the day
//! after the conversation's last session, so recency follows the dialogue's
//! own time (the published measure has no dates: the default).
//!
//! Each run reports words alone (BM25 and rarity-weighted coverage) and,
//! with the sentence encoder (`target/models/all-MiniLM-L6-v2`, what
//! `autonomic brain fetch-model --dest target/models` writes; absent, the
//! run says so and reports words alone), the hybrid ranking, and the time
//! the encoder took to embed every turn.
//!
//! The measure (the data's README): every dialogue turn is one project fact
//! `"<speaker>: <text>"`, one project per conversation; every question with
//! evidence (category 5, adversarial, skipped) is routed; recall = evidence
//! turns among the returned summaries / evidence turns asked for, pooled —
//! here at 250, 500 and 1,000 tokens, overall and per category (1
//! multi-hop, 2 temporal, 3 open-domain, 4 single-hop). The conversations
//! are research data: they are read from outside the repository, never
//! copied into it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::time::Instant;

use agent_brain::{Brain, BrainSettings, NewFact, Scope, TaskContext};
use autonomic_llm::embed::SentenceEmbedder;
use time::{Date, Duration, Month, OffsetDateTime, Time};

const BUDGETS: [usize; 3] = [250, 500, 1000];

/// One conversation's questions: (project, category, question, evidence,
/// the time it is asked).
type Question = (String, u64, String, HashSet<String>, OffsetDateTime);

fn main() {
    let dir = dir_arg()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/locomo"));
    let mut files: Vec<PathBuf> = match fs_err::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("conv-") && n.ends_with(".json"))
            })
            .collect(),
        Err(e) => {
            eprintln!(
                "no LoCoMo conversations at {}: {e}; nothing measured",
                dir.display()
            );
            return;
        }
    };
    files.sort();
    let tmp = tempfile::tempdir().expect("temporary directory");
    let mut brain = Brain::open(tmp.path().join("brain.sqlite3"), BrainSettings::default())
        .expect("open brain");
    let mut by_text: HashMap<String, Vec<String>> = HashMap::new();
    let mut questions: Vec<Question> = Vec::new();
    for path in &files {
        let text = fs_err::read_to_string(path).expect("read conversation");
        let conv: serde_json::Value = serde_json::from_str(&text).expect("conversation JSON");
        let project = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("conv")
            .to_owned();
        let dated = std::env::args().any(|a| a == "--dated");
        let (texts, last) = load(&mut brain, &project, &conv, dated);
        by_text.extend(texts);
        let asked = last.map_or_else(OffsetDateTime::now_utc, |t| t + Duration::days(1));
        for qa in conv["qa"].as_array().into_iter().flatten() {
            let category = qa["category"].as_u64().unwrap_or(0);
            let evidence: HashSet<String> = qa["evidence"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(|s| s.trim().to_owned()))
                .collect();
            if category == 5 || evidence.is_empty() {
                continue;
            }
            let question = qa["question"].as_str().unwrap_or("").to_owned();
            questions.push((project.clone(), category, question, evidence, asked));
        }
    }
    println!(
        "LoCoMo evidence recall: {} conversations, {} questions ({})",
        files.len(),
        questions.len(),
        dir.display()
    );
    println!("\nwords alone (BM25 pool, rarity-weighted coverage)");
    report(&brain, &questions, &by_text);

    let model_dir = model_arg().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/models/all-MiniLM-L6-v2")
    });
    let encoder = match SentenceEmbedder::load(&model_dir) {
        Ok(encoder) => Arc::new(encoder),
        Err(e) => {
            println!(
                "\nno sentence encoder at {} ({e}): hybrid ranking not measured",
                model_dir.display()
            );
            return;
        }
    };
    let started = Instant::now();
    let embedded = brain
        .embed_pending(encoder.as_ref(), None, &|| false, &mut |_, _| {})
        .expect("embed the turns");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "\nembedded {} turns in {secs:.1} s ({:.0} facts/s)",
        embedded.embedded,
        embedded.embedded as f64 / secs
    );
    brain.set_embedder(Some(encoder));
    println!("hybrid (mean of word coverage and cosine similarity)");
    report(&brain, &questions, &by_text);
}

/// Routes every question at every budget and prints recall per category.
fn report(brain: &Brain, questions: &[Question], by_text: &HashMap<String, Vec<String>>) {
    // (budget, category) → (evidence found, evidence asked)
    let mut tally: BTreeMap<(usize, u64), (usize, usize)> = BTreeMap::new();
    for (project, category, question, evidence, asked) in questions {
        let task = TaskContext::project(project.clone());
        for budget in BUDGETS {
            let routed = brain
                .route_task_at(&task, question, budget, *asked)
                .expect("route");
            let got: HashSet<&String> = routed
                .summaries
                .iter()
                .filter_map(|s| by_text.get(&s.text))
                .flatten()
                .collect();
            let hit = evidence.iter().filter(|e| got.contains(e)).count();
            for key in [(budget, 0), (budget, *category)] {
                let t = tally.entry(key).or_default();
                t.0 += hit;
                t.1 += evidence.len();
            }
        }
    }
    println!("{:<14} {:>8} {:>8} {:>8}", "category", "250", "500", "1000");
    for (category, name) in [
        (0, "all"),
        (1, "multi-hop"),
        (2, "temporal"),
        (3, "open-domain"),
        (4, "single-hop"),
    ] {
        let cell = |budget| {
            tally
                .get(&(budget, category))
                .map_or("-".to_string(), |(h, n)| {
                    format!("{:.3}", *h as f64 / (*n).max(1) as f64)
                })
        };
        println!(
            "{name:<14} {:>8} {:>8} {:>8}",
            cell(250),
            cell(500),
            cell(1000)
        );
    }
}

/// Stores every turn of `conv` as a fact of `project` (true from its
/// session's date when `dated`); returns the routed text (whitespace
/// collapsed) → the turns' ids, and the last session's date.
fn load(
    brain: &mut Brain,
    project: &str,
    conv: &serde_json::Value,
    dated: bool,
) -> (HashMap<String, Vec<String>>, Option<OffsetDateTime>) {
    let mut facts = Vec::new();
    let mut by_text: HashMap<String, Vec<String>> = HashMap::new();
    let Some(sessions) = conv
        .get("conversation")
        .or(Some(conv))
        .and_then(|c| c.as_object())
    else {
        return (by_text, None);
    };
    let mut last = None;
    let mut keys: Vec<&String> = sessions
        .keys()
        .filter(|k| {
            k.strip_prefix("session_")
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
        })
        .collect();
    keys.sort_by_key(|k| k["session_".len()..].parse::<u32>().unwrap_or(0));
    for key in keys {
        let date = sessions
            .get(&format!("{key}_date_time"))
            .and_then(|d| d.as_str())
            .and_then(session_date)
            .filter(|_| dated);
        if date.is_some() {
            last = last.max(date);
        }
        for turn in sessions[key.as_str()].as_array().into_iter().flatten() {
            let (Some(speaker), Some(text), Some(id)) = (
                turn["speaker"].as_str(),
                turn["text"].as_str(),
                turn["dia_id"].as_str(),
            ) else {
                continue;
            };
            let content = format!("{speaker}: {text}");
            let collapsed = content.split_whitespace().collect::<Vec<_>>().join(" ");
            by_text
                .entry(collapsed)
                .or_default()
                .push(id.trim().to_owned());
            let mut fact = NewFact::new(Scope::Project(project.to_owned()), content);
            fact.valid_from = date;
            facts.push(fact);
        }
    }
    brain.remember_many(&facts).expect("remember the turns");
    (by_text, last)
}

/// "1:56 pm on 8 May, 2023" → that time, UTC.
fn session_date(text: &str) -> Option<OffsetDateTime> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let [clock, half, "on", day, month, year] = words.as_slice() else {
        return None;
    };
    let (h, m) = clock.split_once(':')?;
    let mut hour: u8 = h.parse().ok()?;
    if *half == "pm" && hour < 12 {
        hour += 12;
    }
    if *half == "am" && hour == 12 {
        hour = 0;
    }
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = Month::try_from(MONTHS.iter().position(|n| n == month)? as u8 + 1).ok()?;
    let date = Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    let time = Time::from_hms(hour, m.parse().ok()?, 0).ok()?;
    Some(date.with_time(time).assume_utc())
}

fn dir_arg() -> Option<PathBuf> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--dir")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
}

fn model_arg() -> Option<PathBuf> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--model")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
}
