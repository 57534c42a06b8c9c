//! Progress and cancellation of long embedding jobs (vocabulary counting, word2vec, GloVe),
//! shared between the worker threads that advance it and the thread that reads it (the Node
//! binding polls it; nothing here calls back into JavaScript).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::error::{Error, Result};

/// What a job is doing now (stored in [`JobProgress::phase`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Phase {
    /// Not started.
    Idle = 0,
    /// Counting words of the corpus (progress in bytes).
    Vocab = 1,
    /// Reading the corpus into memory as word ids (progress in bytes).
    Reading = 2,
    /// Training (progress in words, as the C tool counts them).
    Training = 3,
    /// Finished (successfully or not).
    Done = 4,
}

/// Counters a job advances with relaxed atomics and any thread may read. Units of `done` and
/// `total` depend on the phase (bytes while counting/reading, words while training).
#[derive(Debug, Default)]
pub struct JobProgress {
    phase: AtomicU32,
    done: AtomicU64,
    total: AtomicU64,
    epoch: AtomicU32,
    epochs: AtomicU32,
    alpha_bits: AtomicU32,
    abort: AtomicBool,
}

/// A consistent-enough copy of [`JobProgress`] for reporting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProgressSnapshot {
    /// Current phase.
    pub phase: Phase,
    /// Units done in this phase.
    pub done: u64,
    /// Units in this phase (0 when unknown).
    pub total: u64,
    /// 1-based epoch while training, else 0.
    pub epoch: u32,
    /// Epochs of the job.
    pub epochs: u32,
    /// Current learning rate.
    pub alpha: f32,
    /// Whether cancellation was requested.
    pub aborted: bool,
}

impl JobProgress {
    /// A fresh, idle progress record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Enters `phase` with `total` units to do (resets `done`).
    pub fn start_phase(&self, phase: Phase, total: u64) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.phase.store(phase as u32, Ordering::Relaxed);
    }

    /// Adds `n` units done.
    #[inline]
    pub fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// Sets the units done (for a single writer that keeps its own count).
    #[inline]
    pub fn set_done(&self, n: u64) {
        self.done.store(n, Ordering::Relaxed);
    }

    /// Sets the current epoch (1-based) and the number of epochs.
    pub fn set_epoch(&self, epoch: u32, epochs: u32) {
        self.epoch.store(epoch, Ordering::Relaxed);
        self.epochs.store(epochs, Ordering::Relaxed);
    }

    /// Records the current learning rate.
    #[inline]
    pub fn set_alpha(&self, alpha: f32) {
        self.alpha_bits.store(alpha.to_bits(), Ordering::Relaxed);
    }

    /// Asks the job to stop at its next check.
    pub fn request_abort(&self) {
        self.abort.store(true, Ordering::Relaxed);
    }

    /// Whether the job should stop.
    #[inline]
    pub fn aborted(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }

    /// Reads all counters.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let phase = match self.phase.load(Ordering::Relaxed) {
            1 => Phase::Vocab,
            2 => Phase::Reading,
            3 => Phase::Training,
            4 => Phase::Done,
            _ => Phase::Idle,
        };
        ProgressSnapshot {
            phase,
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
            epoch: self.epoch.load(Ordering::Relaxed),
            epochs: self.epochs.load(Ordering::Relaxed),
            alpha: f32::from_bits(self.alpha_bits.load(Ordering::Relaxed)),
            aborted: self.aborted(),
        }
    }
}

/// Reports a reader's byte position to an optional [`JobProgress`] (already in its phase) every
/// 65,536 tokens and at the end, and turns a requested abort into an error on argument `signal`.
/// The vocabulary count and the corpus encoding share it.
pub struct ByteProgress<'a> {
    progress: Option<&'a JobProgress>,
    what: &'static str,
    reported: u64,
    until_check: u32,
}

impl<'a> ByteProgress<'a> {
    /// Tokens between two reports.
    const EVERY: u32 = 1 << 16;

    /// A reporter for `progress`; `what` names the job in the abort error ("the vocabulary count").
    pub fn new(progress: Option<&'a JobProgress>, what: &'static str) -> Self {
        ByteProgress { progress, what, reported: 0, until_check: Self::EVERY }
    }

    /// Counts one token; every [`Self::EVERY`] tokens reports `bytes_read()` and checks for abort.
    #[inline]
    pub fn tick(&mut self, bytes_read: impl FnOnce() -> u64) -> Result<()> {
        self.until_check -= 1;
        if self.until_check == 0 {
            self.until_check = Self::EVERY;
            self.report(bytes_read())?;
        }
        Ok(())
    }

    /// Reports `bytes_read` now (call once at the end) and checks for abort.
    pub fn report(&mut self, bytes_read: u64) -> Result<()> {
        if let Some(p) = self.progress {
            p.advance(bytes_read - self.reported);
            self.reported = bytes_read;
            if p.aborted() {
                return Err(Error::invalid("signal", format!("{} was aborted", self.what)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reflects_updates() {
        let p = JobProgress::new();
        assert_eq!(p.snapshot().phase, Phase::Idle);
        p.start_phase(Phase::Training, 100);
        p.advance(30);
        p.advance(12);
        p.set_epoch(2, 5);
        p.set_alpha(0.0125);
        let s = p.snapshot();
        assert_eq!((s.phase, s.done, s.total, s.epoch, s.epochs, s.alpha, s.aborted), (Phase::Training, 42, 100, 2, 5, 0.0125, false));
        p.request_abort();
        assert!(p.snapshot().aborted);
        p.start_phase(Phase::Done, 0);
        assert_eq!(p.snapshot().done, 0);
    }
}
