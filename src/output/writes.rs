//! The success lines of a command that writes many objects (`prune`, `doctor --fix`): one line
//! per object as it is written when stdout is a pipe or a file, as kubectl prints them; with
//! stdout on a terminal and progress shown, a bar counts the writes and the same lines follow
//! at the end, in the same order — also when Ctrl-C ends the writes early.

use super::Printer;
use super::progress::{self, Work};
use crate::error::Interrupted;
use crate::interrupt::{self, Writing};

/// Counts writes (progress) and prints or holds their success lines.
pub struct Writes<'a> {
    printer: &'a Printer,
    work: Work,
    /// Lines waiting behind the bar; `None` when each line is printed at once.
    held: Option<Vec<String>>,
    _writing: Writing,
}

impl Printer {
    /// Starts `total` writes of `work` (`Written` or `Deleted`).
    pub fn writes(&self, work: Work, total: usize) -> Writes<'_> {
        let bar = self.stdout_is_terminal() && progress::enabled();
        progress::set_total(work, total as u64);
        Writes {
            printer: self,
            work,
            held: bar.then(Vec::new),
            _writing: interrupt::writing(),
        }
    }
}

impl Writes<'_> {
    /// One more write ended, however it ended.
    pub fn count(&mut self) {
        progress::add(self.work, 1);
    }

    /// The success line of a write that landed.
    pub fn line(&mut self, line: String) {
        match &mut self.held {
            Some(held) => held.push(line),
            None => self.printer.line(&line),
        }
    }

    /// Prints the held lines; an error when Ctrl-C stopped the writes early.
    pub fn finish(mut self) -> Result<(), Interrupted> {
        self.flush();
        match interrupt::requested() {
            true => Err(Interrupted),
            false => Ok(()),
        }
    }

    fn flush(&mut self) {
        if let Some(held) = self.held.as_mut().filter(|held| !held.is_empty()) {
            let text = held.join("\n") + "\n";
            held.clear();
            self.printer.data(&text);
        }
    }
}

/// A second Ctrl-C (or an error) drops the writes midway: what landed is still printed.
impl Drop for Writes<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}
