//! The live view of a workflow run on a terminal: the layers' decisions
//! scroll as they happen, and a table of the nodes' states stays pinned
//! below them, redrawn in place (erased with a cursor-up and clear-to-end,
//! then drawn again) on every event and on a timer for the elapsed times.
//!
//! Only on a terminal: piped or redirected, `autonomic run` prints plain
//! lines (`Printer`), one per transition, which is what logs and scripts
//! want. Must not: decide anything, or read anything but the events it is
//! given — it is a view.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use agent_spine::workflow::event::{Event, EventKind};
use agent_spine::workflow::model::Workflow;
use agent_spine::workflow::state::NodeState;

/// At most this many node rows; a bigger workflow shows its active and
/// failed nodes and counts the rest.
const MAX_ROWS: usize = 16;

struct Row {
    id: String,
    kind: &'static str,
    state: NodeState,
    since: Option<Instant>,
    took: Option<Duration>,
    attempt: u64,
}

/// The table and what is on screen of it.
pub struct Live<W: Write> {
    out: W,
    run: String,
    rows: Vec<Row>,
    index: HashMap<String, usize>,
    /// Lines of the table on screen now (erased before anything is printed).
    drawn: usize,
    width: usize,
    started: Instant,
    colour: bool,
}

impl<W: Write> Live<W> {
    /// A view of a run of `wf` writing to `out`, `width` columns wide.
    pub fn new(out: W, wf: &Workflow, width: usize, colour: bool) -> Live<W> {
        let rows: Vec<Row> = wf
            .nodes
            .iter()
            .map(|n| Row {
                id: n.id.clone(),
                kind: n.kind.name(),
                state: NodeState::Pending,
                since: None,
                took: None,
                attempt: 0,
            })
            .collect();
        let index = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Live {
            out,
            run: String::new(),
            rows,
            index,
            drawn: 0,
            width: width.max(20),
            started: Instant::now(),
            colour,
        }
    }

    /// Takes an event: `line` (the event as a plain line, if it has one
    /// worth keeping) scrolls above the table, the table follows.
    pub fn event(&mut self, e: &Event, line: Option<&str>) {
        self.run = e.run.to_string();
        if e.kind == EventKind::NodeState {
            self.node_state(e);
        }
        self.erase();
        if let Some(line) = line {
            let _ = writeln!(self.out, "{line}");
        }
        self.draw();
    }

    /// Redraws the table (elapsed times move on).
    pub fn tick(&mut self) {
        self.erase();
        self.draw();
    }

    /// Leaves the last table on screen and lets the caller print below it.
    pub fn finish(&mut self) {
        self.erase();
        self.draw();
        self.drawn = 0;
        let _ = self.out.flush();
    }

    fn node_state(&mut self, e: &Event) {
        let Some(&i) = e.node.as_ref().and_then(|n| self.index.get(n)) else {
            return;
        };
        let to = e
            .data
            .get("to")
            .and_then(|v| v.as_str())
            .and_then(NodeState::parse);
        let Some(to) = to else { return };
        let row = &mut self.rows[i];
        if to == NodeState::Running {
            row.since = Some(Instant::now());
            row.took = None;
            row.attempt = e
                .data
                .get("attempt")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(row.attempt + 1);
        } else if to.is_finished() {
            row.took = row.since.map(|s| s.elapsed());
        }
        row.state = to;
    }

    fn erase(&mut self) {
        if self.drawn > 0 {
            // Up to the table's first line, then clear to the end.
            let _ = write!(self.out, "\x1b[{}A\r\x1b[J", self.drawn);
            self.drawn = 0;
        }
    }

    fn draw(&mut self) {
        let lines = self.table();
        for l in &lines {
            let _ = writeln!(self.out, "{l}");
        }
        self.drawn = lines.len();
        let _ = self.out.flush();
    }

    /// The table's lines, each cut to the terminal's width.
    fn table(&self) -> Vec<String> {
        let count = |s: NodeState| self.rows.iter().filter(|r| r.state == s).count();
        let done = self.rows.iter().filter(|r| r.state.is_finished()).count();
        let mut head = format!(
            "── {} · {done}/{} done",
            if self.run.is_empty() {
                "starting"
            } else {
                &self.run
            },
            self.rows.len()
        );
        for (s, name) in [
            (NodeState::Running, "running"),
            (NodeState::WaitingApproval, "waiting"),
            (NodeState::SecurityHold, "on hold"),
            (NodeState::Failed, "failed"),
            (NodeState::Rejected, "rejected"),
        ] {
            let n = count(s);
            if n > 0 {
                head.push_str(&format!(" · {n} {name}"));
            }
        }
        head.push_str(&format!(" · {}", clock(self.started.elapsed())));
        let mut lines = vec![self.paint("1", &self.cut(&head))];
        let shown: Vec<&Row> = if self.rows.len() <= MAX_ROWS {
            self.rows.iter().collect()
        } else {
            self.rows
                .iter()
                .filter(|r| {
                    !matches!(
                        r.state,
                        NodeState::Pending | NodeState::Succeeded | NodeState::Skipped
                    )
                })
                .take(MAX_ROWS)
                .collect()
        };
        let id_width = shown
            .iter()
            .map(|r| r.id.chars().count())
            .max()
            .unwrap_or(0);
        for r in &shown {
            let (mark, code) = mark(r.state);
            let time = match (r.took, r.since) {
                (Some(t), _) => clock(t),
                (None, Some(s)) if r.state == NodeState::Running => clock(s.elapsed()),
                _ => String::new(),
            };
            let attempt = if r.attempt > 1 {
                format!(" (attempt {})", r.attempt)
            } else {
                String::new()
            };
            let text = format!(
                " {mark} {:<id_width$}  {:<8} {:<16} {time}{attempt}",
                r.id,
                r.kind,
                r.state.as_str()
            );
            lines.push(self.paint(code, &self.cut(&text)));
        }
        let hidden = self.rows.len() - shown.len();
        if hidden > 0 {
            let more = format!(
                "   … {hidden} more ({} succeeded, {} pending, {} skipped)",
                count(NodeState::Succeeded),
                count(NodeState::Pending),
                count(NodeState::Skipped)
            );
            lines.push(self.paint("2", &self.cut(&more)));
        }
        lines
    }

    /// `s` cut to the width (in characters; the marks are one column).
    fn cut(&self, s: &str) -> String {
        let max = self.width.saturating_sub(1);
        if s.chars().count() <= max {
            s.to_owned()
        } else {
            let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
            t.push('…');
            t
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        paint(self.colour, code, s)
    }
}

/// `s` in SGR colour `code` when `colour`, else as it is.
pub fn paint(colour: bool, code: &str, s: &str) -> String {
    if colour {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

fn mark(s: NodeState) -> (&'static str, &'static str) {
    match s {
        NodeState::Pending => ("·", "2"),
        NodeState::Running => ("▸", "36"),
        NodeState::Succeeded => ("✓", "32"),
        NodeState::Failed => ("✗", "31"),
        NodeState::Rejected => ("✗", "31"),
        NodeState::Skipped => ("–", "2"),
        NodeState::WaitingApproval => ("‖", "33"),
        NodeState::SecurityHold => ("!", "1;33"),
        NodeState::Cancelled => ("✗", "2"),
    }
}

/// `1.2s`, `1:02`.
fn clock(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}:{:02}", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// The terminal's width in columns, if stderr is one.
pub fn terminal_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills a `winsize` we own; a failing ioctl leaves
    // it zeroed and returns -1, which is checked.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: as above; fd 2 is not closed by anything in this process.
    let r = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut ws) };
    (r == 0 && ws.ws_col > 0).then_some(usize::from(ws.ws_col))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_spine::workflow::state::RunId;
    use serde_json::json;

    fn wf(nodes: usize) -> Workflow {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("[workflow]\nname = \"t\"\n");
        for i in 0..nodes {
            text.push_str(&format!(
                "\n[[node]]\nid = \"n{i}\"\nkind = \"exec\"\ncommand = \"true\"\n"
            ));
        }
        let path = dir.path().join("wf.toml");
        fs_err::write(&path, text).unwrap();
        agent_spine::workflow::load::load(&path, &[]).unwrap()
    }

    fn state(seq: u64, node: &str, to: &str) -> Event {
        Event {
            schema: agent_spine::workflow::event::SCHEMA.to_owned(),
            seq,
            at: "2026-12-07T00:00:00Z".into(),
            run: RunId::parse("wf-20261207-abcdef").unwrap(),
            node: Some(node.to_owned()),
            kind: EventKind::NodeState,
            data: json!({"from": "pending", "to": to, "why": "", "attempt": 1}),
        }
    }

    /// What the terminal shows after `bytes`: lines, with cursor-up and
    /// clear-to-end applied (the only escapes the view writes, colour off).
    fn screen(bytes: &[u8]) -> Vec<String> {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let mut lines: Vec<String> = Vec::new();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("\x1b[") {
                let end = after.find('A').unwrap();
                let up: usize = after[..end].parse().unwrap();
                lines.truncate(lines.len() - up);
                rest = after[end + 1..].strip_prefix("\r\x1b[J").unwrap();
                continue;
            }
            let end = rest.find('\n').unwrap();
            lines.push(rest[..end].to_owned());
            rest = &rest[end + 1..];
        }
        lines
    }

    #[test]
    fn the_table_is_redrawn_in_place_below_the_scrolling_lines() {
        let wf = wf(3);
        let mut live = Live::new(Vec::new(), &wf, 100, false);
        live.event(&state(1, "n0", "running"), None);
        live.event(
            &state(2, "n0", "succeeded"),
            Some("    mouth: allow — true"),
        );
        live.event(&state(3, "n1", "running"), None);
        live.event(&state(4, "n1", "failed"), Some("  ✗ n1 failed: exit 1"));
        live.finish();
        let lines = screen(&live.out);
        // Two scrolled lines, then exactly one table: header and 3 rows.
        assert_eq!(lines.len(), 2 + 4, "{lines:#?}");
        assert_eq!(lines[0], "    mouth: allow — true");
        assert!(
            lines[2].contains("2/3 done") && lines[2].contains("1 failed"),
            "{lines:#?}"
        );
        assert!(lines[3].contains("✓ n0") && lines[3].contains("succeeded"));
        assert!(lines[4].contains("✗ n1") && lines[4].contains("failed"));
        assert!(lines[5].contains("· n2") && lines[5].contains("pending"));
    }

    #[test]
    fn a_big_workflow_shows_its_active_nodes_and_counts_the_rest_within_the_width() {
        let wf = wf(200);
        let mut live = Live::new(Vec::new(), &wf, 40, false);
        for i in 0..150 {
            live.event(&state(i * 2, &format!("n{i}"), "running"), None);
            if i < 140 {
                live.event(&state(i * 2 + 1, &format!("n{i}"), "succeeded"), None);
            }
        }
        live.finish();
        let lines = screen(&live.out);
        assert_eq!(lines.len(), 1 + 10 + 1, "{lines:#?}");
        assert!(lines[0].contains("140/200"), "{lines:#?}");
        assert!(lines[1..11].iter().all(|l| l.contains("running")));
        assert!(lines[11].contains("190 more (140 succ"), "{lines:#?}");
        assert!(lines.iter().all(|l| l.chars().count() < 40), "{lines:#?}");
    }
}
