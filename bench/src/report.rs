//! The result of a comparison: one [`Row`] per scenario and baseline, reference rates, and the
//! Markdown written to `--out`.

use std::fmt::Write as _;

use crate::machine::Machine;
use crate::stats::{Samples, Unit};

/// The goal a row's ratio is judged against.
#[derive(Clone, Debug, PartialEq)]
pub enum Goal {
    /// The ratio (> 1 = tabvault better) must be at least this.
    AtLeast(f64),
    /// No numeric goal; the text says what is expected (e.g. "O(files)").
    Info(String),
}

impl Goal {
    fn text(&self) -> String {
        match self {
            Goal::AtLeast(g) => format!("≥ {g}×"),
            Goal::Info(text) => text.clone(),
        }
    }
}

/// One scenario against one baseline.
#[derive(Clone, Debug)]
pub struct Row {
    /// Stable identifier, e.g. `scan-full-raw`.
    pub id: String,
    /// What was measured, for people.
    pub scenario: String,
    /// tabvault's measurements.
    pub tabvault: Samples,
    /// The baseline's name.
    pub baseline_name: String,
    /// The baseline's measurements.
    pub baseline: Samples,
    /// How the ratio is computed, e.g. "raw time ÷ tabvault time".
    pub direction: String,
    /// The goal from the issue that introduced the scenario.
    pub goal: Goal,
    /// Context: sizes, file counts, caveats.
    pub note: String,
    /// Why the row was not measured, when it was not.
    pub not_run: Option<String>,
}

impl Row {
    /// A row whose measurements are still to be pushed.
    pub fn new(id: &str, scenario: &str, baseline_name: &str, unit: Unit, goal: Goal) -> Self {
        let direction = match unit {
            Unit::Seconds => "baseline time ÷ tabvault time",
            Unit::Bytes => "baseline bytes ÷ tabvault bytes",
            Unit::RowsPerSecond => "tabvault rate ÷ baseline rate",
        };
        Self {
            id: id.into(),
            scenario: scenario.into(),
            tabvault: Samples::new(unit),
            baseline_name: baseline_name.into(),
            baseline: Samples::new(unit),
            direction: direction.into(),
            goal,
            note: String::new(),
            not_run: None,
        }
    }

    /// Marks the row as not measured, with the reason.
    #[must_use]
    pub fn skipped(mut self, reason: &str) -> Self {
        self.not_run = Some(reason.into());
        self
    }

    /// The ratio of medians, oriented so that > 1 means tabvault is better.
    pub fn ratio(&self) -> Option<f64> {
        if self.not_run.is_some() {
            return None;
        }
        let (t, b) = (self.tabvault.median(), self.baseline.median());
        let r = match self.tabvault.unit {
            Unit::Seconds | Unit::Bytes => b / t,
            Unit::RowsPerSecond => t / b,
        };
        r.is_finite().then_some(r)
    }

    /// Whether the ratio misses a numeric goal (never true for skipped or informational rows).
    pub fn misses_goal(&self) -> bool {
        match (&self.goal, self.ratio()) {
            (Goal::AtLeast(goal), Some(ratio)) => ratio < *goal,
            (Goal::AtLeast(_), None) => self.not_run.is_none(),
            (Goal::Info(_), _) => false,
        }
    }

    fn verdict(&self, judged: bool) -> &'static str {
        if self.not_run.is_some() || matches!(self.goal, Goal::Info(_)) {
            "—"
        } else if !judged {
            "not judged"
        } else if self.misses_goal() {
            "✗"
        } else {
            "✓"
        }
    }
}

/// One reference rate measured in the same run (what the figures are limited by).
#[derive(Clone, Debug)]
pub struct Reference {
    /// What was measured.
    pub name: String,
    /// The rate, formatted.
    pub value: String,
    /// How.
    pub note: String,
}

/// Everything a comparison run produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// The machine it ran on.
    pub machine: Machine,
    /// Start time, UTC.
    pub date_utc: String,
    /// The command line.
    pub command_line: String,
    /// The git revision measured.
    pub revision: String,
    /// `/proc/loadavg` at the start.
    pub load_start: String,
    /// `/proc/loadavg` at the end.
    pub load_end: String,
    /// The data set, described.
    pub dataset: String,
    /// Alternating runs per scenario.
    pub runs: usize,
    /// Whether goals were judged (false in `--quick` mode).
    pub judged: bool,
    /// One row per scenario and baseline.
    pub rows: Vec<Row>,
    /// Reference rates.
    pub references: Vec<Reference>,
    /// Remarks (skipped baselines, caveats).
    pub notes: Vec<String>,
}

/// Table columns of the scenario table.
pub const COLUMNS: [&str; 10] = [
    "scenario",
    "what",
    "tabvault min / median / max",
    "baseline",
    "baseline min / median / max",
    "ratio",
    "ratio means (> 1 = tabvault better)",
    "goal",
    "met",
    "note",
];

impl Report {
    /// Rows whose ratio misses its goal.
    pub fn missed(&self) -> Vec<&Row> {
        if !self.judged {
            return Vec::new();
        }
        self.rows.iter().filter(|r| r.misses_goal()).collect()
    }

    /// The Markdown report.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let m = &self.machine;
        let _ = writeln!(md, "# tabvault comparison benchmark\n");
        let _ = writeln!(md, "- date (UTC): {}", self.date_utc);
        let _ = writeln!(
            md,
            "- machine: {} cores ({}), {} memory, kernel {}",
            m.cores, m.cpu, m.memory, m.kernel
        );
        let _ = writeln!(
            md,
            "- filesystems: data dir `{}` on {}; other repository dir `{}` on {}",
            m.data_dir, m.data_fs, m.other_dir, m.other_fs
        );
        let _ = writeln!(md, "- command: `{}`", self.command_line);
        let _ = writeln!(md, "- revision: {}", self.revision);
        let _ = writeln!(
            md,
            "- load average (/proc/loadavg): start `{}`, end `{}`",
            self.load_start, self.load_end
        );
        let _ = writeln!(md, "- data set: {}", self.dataset);
        let _ = writeln!(
            md,
            "- {} alternating run(s) per scenario (tabvault and baseline take turns going first); goals {}",
            self.runs,
            if self.judged {
                "judged"
            } else {
                "not judged (quick mode)"
            }
        );
        let _ = writeln!(md);
        let _ = writeln!(md, "| {} |", COLUMNS.join(" | "));
        let _ = writeln!(md, "|{}", "---|".repeat(COLUMNS.len()));
        for row in &self.rows {
            let (tv, base, ratio) = match &row.not_run {
                Some(reason) => (
                    format!("not run ({reason})"),
                    "—".to_owned(),
                    "—".to_owned(),
                ),
                None => (
                    row.tabvault.summary(),
                    row.baseline.summary(),
                    row.ratio().map_or("—".into(), |r| format!("{r:.2}×")),
                ),
            };
            let mut note = row.note.clone();
            if self.judged && row.misses_goal() {
                note = format!("✗ misses {}: {note}", row.goal.text());
            }
            let cells = [
                format!("`{}`", row.id),
                row.scenario.clone(),
                tv,
                row.baseline_name.clone(),
                base,
                ratio,
                row.direction.clone(),
                row.goal.text(),
                row.verdict(self.judged).to_owned(),
                note,
            ];
            let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
            let _ = writeln!(md, "| {} |", cells.join(" | "));
        }
        if !self.references.is_empty() {
            let _ = writeln!(md, "\n## Reference rates measured in the same run\n");
            let _ = writeln!(md, "| reference | rate | how |");
            let _ = writeln!(md, "|---|---|---|");
            for r in &self.references {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} |",
                    cell(&r.name),
                    cell(&r.value),
                    cell(&r.note)
                );
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(md, "\n## Notes\n");
            for note in &self.notes {
                let _ = writeln!(md, "- {note}");
            }
        }
        md
    }
}

/// Makes text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_oriented_so_that_more_is_better() {
        let mut time = Row::new("a", "a", "b", Unit::Seconds, Goal::AtLeast(2.0));
        time.tabvault.push(1.0);
        time.baseline.push(3.0);
        assert_eq!(time.ratio(), Some(3.0));
        assert!(!time.misses_goal());
        let mut rate = Row::new("i", "i", "idle", Unit::RowsPerSecond, Goal::AtLeast(0.8));
        rate.tabvault.push(50.0);
        rate.baseline.push(100.0);
        assert_eq!(rate.ratio(), Some(0.5));
        assert!(rate.misses_goal());
        let skipped = Row::new("d", "d", "duckdb", Unit::Seconds, Goal::AtLeast(0.5)).skipped("x");
        assert!(!skipped.misses_goal());
    }
}
