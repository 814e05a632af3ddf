//! Ctrl-C while objects are being written. A command that writes many objects stops sending
//! new writes at the first Ctrl-C, lets those already sent land and reports them (so what it
//! printed is what happened), then exits 130. Ctrl-C at any other time, or a second one, ends
//! the command at once.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static WRITING: AtomicUsize = AtomicUsize::new(0);
static REQUESTED: AtomicBool = AtomicBool::new(false);

/// While held, the first Ctrl-C is noted ([`requested`]) instead of ending the command.
#[derive(Debug)]
pub struct Writing(());

/// Marks the start of writes that [`requested`] stops between two writes.
pub fn writing() -> Writing {
    WRITING.fetch_add(1, Ordering::SeqCst);
    Writing(())
}

impl Drop for Writing {
    fn drop(&mut self) {
        WRITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Called on Ctrl-C: whether the command goes on to finish the writes in flight (true), or
/// must end now (nothing is being written, or this is the second Ctrl-C).
pub fn defer() -> bool {
    WRITING.load(Ordering::SeqCst) > 0 && !REQUESTED.swap(true, Ordering::SeqCst)
}

/// Whether Ctrl-C was pressed during writes: send no more.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
