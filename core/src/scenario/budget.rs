//! The work budget: how much simulating a scenario asks of the machine that runs it, estimated
//! from its rates, its duration and its size before a single tick runs, so that any scenario the
//! page or the command line accepts finishes in seconds. `pageout-sim --no-budget` lifts it.
//!
//! The estimate is an upper bound built from what costs time in the engine (measured on the
//! 2-core development machine, release build): a store into a resident page of a mapping (about
//! 8 ns), an engine event — a thread resumed or a disk interrupt — (about 500 ns with the work it
//! does), and the machine's pages at boot (about 100 ns each). Events per second are bounded by
//! the workload: each write(2) block costs about 10 events, and the writers write at their rate
//! (or the copy's, 400 MB/s, when unthrottled) but no faster than the disk takes blocks back — the
//! dirty limits see to that; each disk request (a block, as many as the bandwidth and the seeks
//! allow) about 5; each thread about 100 a second.

use super::Scenario;

/// Nanoseconds of native work any accepted scenario may ask for.
pub const BUDGET_NS: u128 = 8_000_000_000;

const NS_PER_TOUCH: u128 = 8;
const NS_PER_EVENT: u128 = 500;
const NS_PER_PAGE: u128 = 100;
const EVENTS_PER_BLOCK: u128 = 10;
const EVENTS_PER_IO: u128 = 5;
const EVENTS_PER_THREAD_S: u128 = 100;
/// The bytes a writer copies a second when nothing holds it back.
const COPY_BYTES_S: u128 = 400 * 1024 * 1024;

/// The estimate, and what it is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// Nanoseconds of native work, all told.
    pub ns: u128,
    /// The parts: (the link key that drives it, nanoseconds), largest first.
    pub parts: Vec<(&'static str, u128)>,
}

/// Estimates the work of simulating `s` (an upper bound, within the validated limits).
pub fn estimate(s: &Scenario) -> Estimate {
    let w = &s.workload;
    let secs = u128::from(s.duration_ms.div_ceil(1000));
    let pages = u128::from(s.machine.ram_mb) * 256;
    // stores into the mappings
    let touches = u128::from(w.mmap_writers) * u128::from(w.mmap_pages_s) * secs;
    // write(2) blocks: at the writers' rate, or as fast as the copy and the disk allow
    let disk_bytes_s = u128::from(s.machine.disk_mb_s) * 1024 * 1024;
    let want_bytes_s = if w.writer_kb_s == 0 {
        u128::from(w.writers) * COPY_BYTES_S
    } else {
        u128::from(w.writers) * u128::from(w.writer_kb_s) * 1024
    };
    let block = match s.fs {
        super::FsKind::Hammer => 64 * 1024,
        super::FsKind::Ufs => u128::from(s.ufs_block_kb) * 1024,
    };
    // disk requests of a block each, as many as the bandwidth and the seeks allow
    let seek_us = u128::from(s.machine.disk_seek_ms) * 1000;
    let by_bw = disk_bytes_s / block;
    let ios_s = 1_000_000u128
        .checked_div(seek_us)
        .map_or(by_bw, |by_seek| by_seek.min(by_bw));
    // the dirty limits hold writers to what the disk writes back: a block a request
    let blocks = (want_bytes_s / block).min(ios_s) * secs;
    let ios = ios_s * secs;
    let threads = 4 + u128::from(w.writers + w.mmap_writers + w.hogs);
    let ticks = threads * EVENTS_PER_THREAD_S * secs;
    let hog_pages = u128::from(w.hogs) * u128::from(w.hog_mb) * 256;
    let mut parts = vec![
        ("mrate", touches * NS_PER_TOUCH),
        ("wrate", blocks * EVENTS_PER_BLOCK * NS_PER_EVENT),
        ("bw", ios * EVENTS_PER_IO * NS_PER_EVENT),
        ("until", ticks * NS_PER_EVENT),
        ("ram", pages * NS_PER_PAGE),
        ("hog", hog_pages * 2 * NS_PER_PAGE),
    ];
    parts.sort_by_key(|&(_, ns)| std::cmp::Reverse(ns));
    Estimate {
        ns: parts.iter().map(|&(_, ns)| ns).sum(),
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::link;

    #[test]
    fn the_shipped_scenarios_are_well_within_the_budget() {
        for p in crate::ScenarioPreset::ALL {
            let e = estimate(&p.scenario());
            assert!(e.ns * 4 < BUDGET_NS, "{}: {e:?}", p.name());
        }
    }

    #[test]
    fn a_flood_of_everything_for_an_hour_is_over_it_and_says_what_weighs_most() {
        // 12 minutes natively when it was accepted
        let s = link::decode(
            "#v=1&preset=dfly-2008-07-01&ram=4G&writers=8&wrate=unlimited&mmap=4&mrate=1000000/s\
             &hogs=4&hog=2G&hograte=10000M/s&mfile=8G&wfile=8G&bw=2000M/s&seek=0ms&until=3600s",
        );
        let e = estimate(&s.unwrap());
        assert!(e.ns > BUDGET_NS * 10, "{e:?}");
        assert_eq!(e.parts[0].0, "wrate", "{e:?}");
    }
}
