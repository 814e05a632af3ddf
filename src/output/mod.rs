//! The one printer. Commands hand it data; it renders tables, objects and messages.
//! stdout is data, stderr is talk. Nothing else in the crate prints.

pub mod progress;
mod writes;

pub use writes::Writes;

use std::io::{self, IsTerminal, Write};

use comfy_table::{CellAlignment, ContentArrangement, Table};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::yaml;

/// Where output goes and how it may look.
pub struct Printer {
    stdout_is_terminal: bool,
    stderr_is_terminal: bool,
    no_color: bool,
}

impl Default for Printer {
    fn default() -> Self {
        Printer::new()
    }
}

impl Printer {
    pub fn new() -> Self {
        Printer {
            stdout_is_terminal: io::stdout().is_terminal(),
            stderr_is_terminal: io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }

    /// Whether colour may be used on stdout under `--color auto`.
    pub fn stdout_color_auto(&self) -> bool {
        self.stdout_is_terminal && !self.no_color
    }

    /// Whether progress may be shown (stderr is a terminal).
    pub fn stderr_is_terminal(&self) -> bool {
        self.stderr_is_terminal
    }

    /// Whether stdout is a terminal (a person reads it) rather than a pipe or a file.
    pub fn stdout_is_terminal(&self) -> bool {
        self.stdout_is_terminal
    }

    /// Data for scripts, printed as is.
    pub fn data(&self, text: &str) {
        progress::clear();
        let mut out = io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// One line of data (a success line such as `… created`).
    pub fn line(&self, text: &str) {
        self.data(&format!("{text}\n"));
    }

    /// A note for the person at the terminal.
    pub fn info(&self, text: &str) {
        progress::suspend(|| writeln!(io::stderr().lock(), "{text}")).ok();
    }

    pub fn warn(&self, text: &str) {
        progress::suspend(|| writeln!(io::stderr().lock(), "warning: {text}")).ok();
    }

    /// Error lines produced by `error::render`.
    pub fn error_lines(&self, lines: &[String]) {
        progress::clear();
        let mut err = io::stderr().lock();
        for line in lines {
            let _ = writeln!(err, "{line}");
        }
    }

    /// A table in kubectl's plain style.
    pub fn table(&self, table: &PlainTable) {
        self.data(&table.render());
    }

    /// Objects as a kubectl-style `List` (json/yaml).
    pub fn list<T: Serialize>(&self, items: &[T], format: DataFormat) -> anyhow::Result<()> {
        let items = items
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()?;
        let list = serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "metadata": {"resourceVersion": ""},
            "items": items,
        });
        self.value(&list, format)
    }

    /// One value as JSON or YAML.
    pub fn value<T: Serialize + ?Sized>(&self, value: &T, format: DataFormat) -> anyhow::Result<()> {
        let text = match format {
            DataFormat::Json => {
                let mut text = serde_json::to_string_pretty(value)?;
                text.push('\n');
                text
            }
            DataFormat::Yaml => yaml::to_string(value)?,
        };
        self.data(&text);
        Ok(())
    }
}

/// Serialized data formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Json,
    Yaml,
}

/// Rows of text with kubectl's look: no borders, upper-case headers, two spaces between columns.
#[derive(Debug, Clone, Default)]
pub struct PlainTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub show_headers: bool,
}

impl PlainTable {
    pub fn new(headers: &[&str], show_headers: bool) -> Self {
        PlainTable {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            show_headers,
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn render(&self) -> String {
        let mut table = Table::new();
        table
            .load_preset(comfy_table::presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled);
        if self.show_headers {
            table.set_header(&self.headers);
        }
        for row in &self.rows {
            table.add_row(row);
        }
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
            column.set_cell_alignment(CellAlignment::Left);
        }
        let mut out = String::with_capacity(self.rows.len() * 64);
        for line in table.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// kubectl's AGE column (apimachinery's HumanDuration).
pub fn age(created: Option<&Timestamp>, now: Timestamp) -> String {
    let Some(created) = created else {
        return "<unknown>".to_string();
    };
    human_duration(now.as_second() - created.as_second())
}

pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// Shortens text to `max` characters, ending in `…` when cut; newlines become spaces.
pub fn truncate(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut out: String = flat.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Removes server-owned noise from an object before printing it.
pub fn trim_object(value: &mut Value) {
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
}

/// ANSI colours for diff lines; only used when colour is on.
pub fn colorize_diff_line(line: &str) -> String {
    let code = if line.starts_with("+++") || line.starts_with("---") {
        "1"
    } else if line.starts_with('+') {
        "32"
    } else if line.starts_with('-') {
        "31"
    } else if line.starts_with("@@") {
        "36"
    } else if line.starts_with('~') {
        "33"
    } else {
        return line.to_string();
    };
    format!("\x1b[{code}m{line}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_duration_matches_kubectl() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (119, "119s"),
            (120, "2m"),
            (150, "2m30s"),
            (600, "10m"),
            (3 * 3600 - 1, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 60, "3h1m"),
            (8 * 3600, "8h"),
            (47 * 3600, "47h"),
            (48 * 3600, "2d"),
            (50 * 3600, "2d2h"),
            (8 * 86400, "8d"),
            (2 * 365 * 86400, "2y"),
            (3 * 365 * 86400 + 86400, "3y1d"),
            (9 * 365 * 86400, "9y"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(human_duration(seconds), expected, "{seconds}s");
        }
    }

    #[test]
    fn plain_table_has_two_space_gaps_and_no_trailing_space() {
        let mut table = PlainTable::new(&["NAME", "AGE"], true);
        table.push(vec!["train".into(), "5m".into()]);
        table.push(vec!["a".into(), "10d".into()]);
        assert_eq!(table.render(), "NAME   AGE\ntrain  5m\na      10d\n");
        let mut bare = PlainTable::new(&["NAME"], false);
        bare.push(vec!["x".into()]);
        assert_eq!(bare.render(), "x\n");
    }

    #[test]
    fn truncate_cuts_with_ellipsis() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("a long\ndescription", 8), "a long …");
    }
}
