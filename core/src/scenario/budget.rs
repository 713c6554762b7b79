//! The work budget: how much simulating a scenario asks of the machine that runs it, estimated
//! from its rates, its duration and its size before a single tick runs, so that any scenario the
//! page or the command line accepts finishes in seconds. `pageout-sim --no-budget` lifts it.
//!
//! The estimate is meant as an upper bound, built from what costs time in the engine (measured on
//! the 2-core development machine, release build): a store into a resident page of a mapping
//! (8 ns while the page and index tables fit the CPU's caches, over 100 ns when the mappings span
//! gigabytes: [`ns_per_touch`]), an engine event — a thread resumed or a disk interrupt — (about
//! 500 ns with the work it
//! does), and the machine's pages at boot (about 100 ns each). Events per second are bounded by
//! the workload: each write(2) block costs about 10 events, and the writers write at their rate
//! (or the copy's, 400 MB/s, when unthrottled) but no faster than the disk takes blocks back — the
//! dirty limits see to that; each disk request (a block, as many as the bandwidth and the seeks
//! allow) about 5; each thread about 100 a second. Timed interventions count at their worst: every
//! thread they start runs the whole run, and every rate is the highest the run ever has.
//!
//! Two costs grow with the machine, not with the rates (measured by running a few hundred random
//! scenarios near the budget's edge, one at a time): a store into a mapping reads the page and
//! index tables at random, and costs more the more of them the mappings' working set spans
//! ([`ns_per_touch`]); and a machine whose mappings and hogs can fill three quarters of its
//! memory pages, and its pageout daemon walks queues as long as memory, more often the more
//! memory there is to walk ([`scan_ns_per_page_s`] per page of RAM and second).
//! Unthrottled writers of files the cache can hold rewrite cached buffers at copy speed: the disk
//! does not hold them back. Page faults are not priced: a small machine whose mappings fault on
//! nearly every store can still run longer than the budget (core/README, "The work budget").

use super::intervention::Action;
use super::Scenario;

/// Nanoseconds of native work any accepted scenario may ask for.
pub const BUDGET_NS: u128 = 8_000_000_000;

/// A store into a resident page while the tables fit the caches (a working set of 256 MB and
/// less).
const NS_PER_TOUCH: u128 = 8;
/// The pageout daemon's walks of its queues, per page of RAM and simulated second, on a machine
/// whose mappings and hogs can fill three quarters of its memory, for each 256 MB of RAM: the
/// walks visit most of memory when what they find is dirty, and a bigger machine walks longer
/// queues as often. Measured: over 70 ns a page-second on 4 GB paging 8 GB of mappings, over
/// 40 ns with a 4 GB mapping on 4 GB; 1.4 ns for the default workload (a 512 MB mapping) on
/// 512 MB, 2 ns for `hammer-512m`.
const NS_PER_PAGE_S_PER_256M: u128 = 2;
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

/// Nanoseconds a store into a resident page of a mapping costs on a machine of `ram_mb` when the
/// mappings' resident pages span `ws_mb`: the resident-page lookup reads the page and index
/// tables at random, and above 256 MB they outgrow the caches. Measured: 13 ns a store with
/// 256 MB mapped on a 4 GB machine, about 30 ns with 512 MB, 80–90 ns with 2–3 GB, 116 ns with
/// 3.2 GB. 30 ns more for every doubling of the working set above 256 MB (linear in between), and
/// 2 ns for every doubling of RAM.
fn ns_per_touch(ws_mb: u64, ram_mb: u64) -> u128 {
    let ram = 2 * u128::from((ram_mb / 256).max(1).ilog2());
    if ws_mb <= 256 {
        return NS_PER_TOUCH + ram;
    }
    let doublings = (ws_mb / 256).ilog2();
    let base = 256u64 << doublings;
    NS_PER_TOUCH
        + ram
        + 30 * u128::from(doublings)
        + 30 * u128::from(ws_mb - base) / u128::from(base)
}

/// The price of the daemon's walks per page of RAM and simulated second (see
/// [`NS_PER_PAGE_S_PER_256M`]).
fn scan_ns_per_page_s(ram_mb: u64) -> u128 {
    NS_PER_PAGE_S_PER_256M * u128::from((ram_mb / 256).max(1))
}

/// Estimates the work of simulating `s`, within the validated limits (meant as an upper bound;
/// see the module's note on faults).
pub fn estimate(s: &Scenario) -> Estimate {
    let w = Worst::of(s);
    let secs = u128::from(s.duration_ms.div_ceil(1000));
    let ram_mb = u64::from(s.machine.ram_mb);
    let pages = u128::from(ram_mb) * 256;
    // stores into the mappings, dearer the more memory the mappings span
    let touches = u128::from(w.mmap_writers) * u128::from(w.mmap_pages_s) * secs;
    let mapped_mb = u64::from(w.mmap_writers) * u64::from(s.workload.mmap_file_mb);
    // write(2) blocks: at the writers' rate, or as fast as the copy and the disk allow
    let disk_bytes_s = u128::from(w.disk_mb_s) * 1024 * 1024;
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
    let seek_us = u128::from(w.disk_seek_ms) * 1000;
    let by_bw = disk_bytes_s / block;
    let ios_s = 1_000_000u128
        .checked_div(seek_us)
        .map_or(by_bw, |by_seek| by_seek.min(by_bw));
    // the dirty limits hold writers to what the disk writes back, a block a request; but the
    // files of unthrottled writers that the cache can hold are rewritten at copy speed
    let written_mb = u64::from(w.writers) * u64::from(s.workload.writer_file_mb);
    let cached = w.writer_kb_s == 0 && written_mb <= ram_mb / 2;
    // (a lone writer's blocks follow one another on the disk, with no seek between them, mostly
    // even beside a mapping's page-ins; several writers interleave, and seek)
    let lone = w.writers <= 1;
    let blocks = if cached {
        want_bytes_s / block * secs
    } else {
        (want_bytes_s / block).min(if lone { by_bw } else { ios_s }) * secs
    };
    let ios = ios_s * secs;
    let threads = 4 + u128::from(w.writers + w.mmap_writers + w.hogs + w.syncs);
    let ticks = threads * EVENTS_PER_THREAD_S * secs;
    let hog_pages = u128::from(w.hog_mb) * 256;
    // can the workload fill memory with pages the daemon must write before it frees them? Its
    // mappings and hogs, more than three quarters of RAM (clean cached file pages are freed at
    // the head of a walk)
    let fills = w.hog_mb + mapped_mb > ram_mb * 3 / 4;
    let scans = if fills {
        pages * secs * scan_ns_per_page_s(ram_mb)
    } else {
        0
    };
    let mut parts = vec![
        (
            "mrate",
            touches * ns_per_touch(mapped_mb.min(ram_mb), ram_mb),
        ),
        ("wrate", blocks * EVENTS_PER_BLOCK * NS_PER_EVENT),
        ("bw", ios * EVENTS_PER_IO * NS_PER_EVENT),
        ("until", ticks * NS_PER_EVENT),
        ("ram", pages * NS_PER_PAGE + scans),
        ("hog", hog_pages * 2 * NS_PER_PAGE),
    ];
    parts.sort_by_key(|&(_, ns)| std::cmp::Reverse(ns));
    Estimate {
        ns: parts.iter().map(|&(_, ns)| ns).sum(),
        parts,
    }
}

/// The most the workload ever asks for in a run: its own threads and rates, with every
/// intervention's added thread and every higher rate (0 = unlimited writers count as the most).
struct Worst {
    writers: u32,
    writer_kb_s: u32,
    mmap_writers: u32,
    mmap_pages_s: u32,
    hogs: u32,
    /// MiB of all hogs together.
    hog_mb: u64,
    syncs: u32,
    disk_mb_s: u32,
    disk_seek_ms: u32,
}

impl Worst {
    fn of(s: &Scenario) -> Worst {
        let w = &s.workload;
        let mut out = Worst {
            writers: w.writers,
            writer_kb_s: w.writer_kb_s,
            mmap_writers: w.mmap_writers,
            mmap_pages_s: w.mmap_pages_s,
            hogs: w.hogs,
            hog_mb: u64::from(w.hogs) * u64::from(w.hog_mb),
            syncs: 0,
            disk_mb_s: s.machine.disk_mb_s,
            disk_seek_ms: s.machine.disk_seek_ms,
        };
        for i in &s.interventions {
            match i.action {
                Action::Hog { mb } => {
                    out.hogs += 1;
                    out.hog_mb += u64::from(mb);
                }
                Action::Writer => out.writers += 1,
                Action::Mmap => out.mmap_writers += 1,
                Action::Sync => out.syncs += 1,
                Action::Wrate { kb_s } => {
                    if out.writer_kb_s != 0 && (kb_s == 0 || kb_s > out.writer_kb_s) {
                        out.writer_kb_s = kb_s;
                    }
                }
                Action::Mrate { pages_s } => out.mmap_pages_s = out.mmap_pages_s.max(pages_s),
                Action::Bw { mb_s } => out.disk_mb_s = out.disk_mb_s.max(mb_s),
                Action::Seek { ms } => out.disk_seek_ms = out.disk_seek_ms.min(ms),
                Action::Stop { .. } => {}
            }
        }
        out
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
        assert_eq!(e.parts[0].0, "mrate", "{e:?}");
    }

    #[test]
    fn stores_into_a_big_machine_cost_more_than_into_a_small_one() {
        // this run took 7.4 s natively, most of it the mapping's 180 M stores, when the estimate
        // gave them 1.4 s and accepted it
        let s = link::decode(
            "#v=1&preset=dfly-2008-06-30&ram=4G&until=3600s&mrate=50000/s&writers=8&hogs=4",
        );
        let e = estimate(&s.unwrap());
        assert!(e.ns > BUDGET_NS, "{e:?}");
        assert_eq!(e.parts[0].0, "mrate", "{e:?}");
        assert_eq!(ns_per_touch(64, 64), NS_PER_TOUCH);
        assert_eq!(ns_per_touch(256, 256), NS_PER_TOUCH);
        assert_eq!(ns_per_touch(256, 4096), 16);
        assert_eq!(ns_per_touch(512, 4096), 46);
        assert_eq!(ns_per_touch(1024, 1024), 72);
        assert_eq!(ns_per_touch(3276, 4096), 123);
        assert_eq!(ns_per_touch(4096, 4096), 136);
        // 720 M stores into a 256 MB mapping of a 4 GB machine: 9.3 s natively
        let small = link::decode(
            "#v=1&preset=dfly-2008-06-30&ram=4G&until=3600s&mfile=256M&mmap=1&mrate=200000/s\
             &writers=0",
        )
        .unwrap();
        let e = estimate(&small);
        assert!(e.ns > BUDGET_NS, "{e:?}");
    }

    #[test]
    fn a_machine_whose_mappings_fill_it_pays_for_the_pageout_walks() {
        // two 8 GB mappings on 4 GB: the walks covered most of memory at every pass, over 60 s;
        // an 8 GB mapping on 4 GB at the default rate, 27 s for the hour; a 4 GB mapping on
        // 4 GB with five writers, over 60 s for 343 s
        for paging in [
            "ram=4096M&until=566s&writers=7&wrate=1024K/s&mmap=2&mrate=50000/s&mfile=8192M\
             &wfile=256M&bw=200M/s&seek=0ms",
            "ram=4096M&until=3600s&writers=0&mmap=1&mfile=8192M&mrate=2500/s&fs=ufs&ufsbs=16K",
            "ram=4095M&until=343s&writers=5&wrate=8192K/s&mmap=3&mrate=2500/s&mfile=4095M\
             &wfile=2048M&bw=1000M/s&seek=1ms",
        ] {
            let e =
                estimate(&link::decode(&format!("#v=1&preset=dfly-2008-06-30&{paging}")).unwrap());
            assert!(e.ns > BUDGET_NS, "{paging}: {e:?}");
        }
        // the default workload (a 512 MB mapping) for an hour on 512 MB, 1 GB and 4 GB is
        // accepted (0.64 s and 0.38 s natively for the first two); where the mapping is under
        // three quarters of memory no walks are priced
        for (roomy, walks) in [
            ("ram=512M&until=3600s", true),
            ("ram=1G&until=3600s", false),
            ("ram=4G&until=3600s", false),
        ] {
            let s = link::decode(&format!("#v=1&preset=dfly-2008-06-30&{roomy}")).unwrap();
            let r = estimate(&s);
            assert!(r.ns < BUDGET_NS, "{roomy}: {r:?}");
            let boot = u128::from(s.machine.ram_mb) * 256 * NS_PER_PAGE;
            assert_eq!(!r.parts.contains(&("ram", boot)), walks, "{roomy}: {r:?}");
        }
    }

    #[test]
    fn unthrottled_writers_of_a_cached_file_are_not_held_back_by_the_disk() {
        // UFS, one unthrottled writer rewriting a 64 MB file on 1.5 GB: 29.6 s natively
        let s = link::decode(
            "#v=1&preset=dfly-2008-06-29&fs=ufs&ufsbs=16K&ram=1536M&until=3600s&writers=1\
             &wrate=unlimited&mmap=0&wfile=64M&bw=1000M/s&seek=20ms",
        )
        .unwrap();
        let e = estimate(&s);
        assert!(e.ns > BUDGET_NS, "{e:?}");
        assert_eq!(e.parts[0].0, "wrate", "{e:?}");
        // a lone unthrottled writer of an 8 GB file on 4 GB: its blocks follow one another, no
        // seek holds it to 250 a second (over 60 s natively once the disk does 2000 MB/s)
        let lone = link::decode(
            "#v=1&preset=dfly-2010-10&ram=4095M&until=3600s&writers=1&wrate=unlimited&mmap=0\
             &wfile=8192M&bw=40M/s&seek=4ms&at=1200s:bw:2000M/s,2400s:hog:16M",
        )
        .unwrap();
        let l = estimate(&lone);
        assert!(l.ns > BUDGET_NS, "{l:?}");
        // beside a mapping that hardly touches the disk it is still alone on it (39–50 s)
        let beside = link::decode(
            "#v=1&preset=dfly-2012-01&ram=4095M&until=3600s&writers=1&wrate=1000000K/s&mmap=1\
             &mrate=100/s&mfile=64M&wfile=4096M&bw=200M/s&seek=20ms&swap=16384M",
        )
        .unwrap();
        let b = estimate(&beside);
        assert!(b.ns > BUDGET_NS, "{b:?}");
    }

    #[test]
    fn interventions_count_at_their_worst() {
        let base = link::decode("#v=1&preset=dfly-2008-06-30&until=3600s").unwrap();
        let more = link::decode(
            "#v=1&preset=dfly-2008-06-30&until=3600s\
             &at=10s:mrate:1000000/s,20s:mmap,30s:mmap,40s:mmap",
        )
        .unwrap();
        let (b, m) = (estimate(&base), estimate(&more));
        assert!(m.ns > b.ns * 10, "{b:?} {m:?}");
        assert!(m.ns > BUDGET_NS, "{m:?}");
        assert_eq!(m.parts[0].0, "mrate", "{m:?}");
    }
}
