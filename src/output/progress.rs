//! Progress on stderr for long work: versions read, namespaces scanned, clusters contacted,
//! objects written or deleted. One process has one stderr, so there is one progress line at a
//! time, kept here; code that does counted work calls [`add`] and needs no handle.
//!
//! Shown only when [`enable`]d (stderr is a terminal, no `--no-progress`, no
//! `KUBECTL_KFP_NO_PROGRESS=1`, no `-o json|yaml|name` piped), and only once the work has run for
//! [`DELAY`], so fast commands never flash. The printer clears it before anything goes to
//! stdout and suspends it around messages on stderr.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long counted work runs before its progress appears.
pub const DELAY: Duration = Duration::from_millis(300);

/// What is being counted; each has its own wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Versions read from a list (`1,200 versions read…`).
    VersionsRead,
    /// Namespaces scanned (`57/200 namespaces`).
    Namespaces,
    /// Clusters (kubeconfig contexts) contacted.
    Clusters,
    /// Objects written (updates, creates).
    Written,
    /// Objects deleted, with a bar and a rate.
    Deleted,
}

impl Work {
    /// Work of a higher rank contains work of a lower one (a namespace scan reads versions,
    /// a cluster has namespaces): counts of lower-ranked work do not replace the line.
    fn rank(self) -> u8 {
        match self {
            Work::VersionsRead => 0,
            Work::Namespaces => 1,
            Work::Clusters => 2,
            Work::Written | Work::Deleted => 3,
        }
    }

    fn template(self, total: Option<u64>) -> &'static str {
        match (self, total) {
            (Work::VersionsRead, None) => "{spinner} {human_pos} versions read…",
            (Work::VersionsRead, Some(_)) => "{spinner} {human_pos}/{human_len} versions read…",
            (Work::Namespaces, None) => "{spinner} {human_pos} namespaces…",
            (Work::Namespaces, Some(_)) => "{spinner} {human_pos}/{human_len} namespaces",
            (Work::Clusters, None) => "{spinner} {human_pos} clusters…{msg}",
            (Work::Clusters, Some(_)) => "{spinner} {human_pos}/{human_len} clusters{msg}",
            (Work::Written, None) => "{spinner} {human_pos} written…{msg}",
            (Work::Written, Some(_)) => "[{bar:30}] {human_pos}/{human_len} written ({per_sec}){msg}",
            (Work::Deleted, None) => "{spinner} {human_pos} deleted…",
            (Work::Deleted, Some(_)) => "[{bar:30}] {human_pos}/{human_len} deleted ({per_sec})",
        }
    }

    fn style(self, total: Option<u64>) -> ProgressStyle {
        // The templates are constants, each checked by the tests below.
        ProgressStyle::with_template(self.template(total))
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .progress_chars("=> ")
    }
}

static ENABLED: AtomicBool = AtomicBool::new(false);
/// Tells the delayed "show" of one progress line from the next one's.
static GENERATION: AtomicU64 = AtomicU64::new(0);
static CURRENT: Mutex<Option<Active>> = Mutex::new(None);

struct Active {
    work: Work,
    bar: ProgressBar,
    generation: u64,
    shown: bool,
}

fn current() -> MutexGuard<'static, Option<Active>> {
    CURRENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Turns progress on or off for this process (off by default, e.g. in tests of the library).
pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether progress may be shown at all.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Counts `n` more units of `work`.
pub fn add(work: Work, n: u64) {
    if enabled() {
        with_active(work, None, |bar| bar.inc(n));
    }
}

/// Sets the known total of `work` (namespaces to scan, versions to delete).
pub fn set_total(work: Work, total: u64) {
    if enabled() {
        with_active(work, Some(total), |bar| bar.set_length(total));
    }
}

/// Says what `work` is doing now, after its count (`1/2 clusters: reading … in context "prod"`).
pub fn set_message(work: Work, text: impl Into<String>) {
    if enabled() {
        let text = text.into();
        with_active(work, None, |bar| bar.set_message(format!(": {text}")));
    }
}

/// Removes the progress line, e.g. before the result is printed.
pub fn clear() {
    if let Some(active) = current().take() {
        active.bar.finish_and_clear();
    }
}

/// Runs `f` (which writes to stderr) with the progress line out of the way.
pub fn suspend<R>(f: impl FnOnce() -> R) -> R {
    let guard = current();
    match guard.as_ref() {
        Some(active) if active.shown => {
            let bar = active.bar.clone();
            drop(guard);
            bar.suspend(f)
        }
        _ => {
            drop(guard);
            f()
        }
    }
}

fn with_active(work: Work, total: Option<u64>, f: impl FnOnce(&ProgressBar)) {
    let mut guard = current();
    if guard
        .as_ref()
        .is_some_and(|active| active.work.rank() > work.rank())
    {
        return;
    }
    if guard.as_ref().is_some_and(|active| active.work != work)
        && let Some(previous) = guard.take()
    {
        previous.bar.finish_and_clear();
    }
    let active = guard.get_or_insert_with(|| start(work, total));
    if total.is_some() && active.bar.length().is_none() {
        active.bar.set_style(work.style(total));
    }
    f(&active.bar);
}

/// A hidden line that becomes visible after [`DELAY`] unless cleared or replaced first.
fn start(work: Work, total: Option<u64>) -> Active {
    let bar =
        ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden()).with_style(work.style(total));
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed) + 1;
    std::thread::spawn(move || {
        std::thread::sleep(DELAY);
        let mut guard = current();
        if let Some(active) = guard.as_mut().filter(|active| active.generation == generation) {
            active.bar.set_draw_target(ProgressDrawTarget::stderr());
            active.bar.enable_steady_tick(Duration::from_millis(120));
            active.shown = true;
        }
    });
    Active {
        work,
        bar,
        generation,
        shown: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for work in [
            Work::VersionsRead,
            Work::Namespaces,
            Work::Clusters,
            Work::Written,
            Work::Deleted,
        ] {
            for total in [None, Some(10)] {
                let template = work.template(total);
                assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
            }
        }
    }

    #[test]
    fn inner_work_does_not_replace_outer_work() {
        enable(true);
        set_total(Work::Namespaces, 3);
        add(Work::VersionsRead, 10);
        add(Work::Namespaces, 1);
        let (work, position) = {
            let guard = current();
            let active = guard.as_ref().expect("a progress line");
            (active.work, active.bar.position())
        };
        clear();
        enable(false);
        assert_eq!((work, position), (Work::Namespaces, 1));
    }

    #[test]
    fn counts_nothing_when_disabled() {
        enable(false);
        add(Work::VersionsRead, 5);
        assert!(current().is_none());
    }
}
