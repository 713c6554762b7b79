//! What must hold in every run: the invariants of kernel-2008.md §9.9 at every step,
//! determinism, and the dirty-buffer limit that bwillwrite enforces.

mod common;

use common::{each_seed, lockup};
use pageout_core::{KernelPreset, OutcomeKind, Scenario, ScenarioPreset, Simulation};

/// Runs with the invariants checked after every thread step.
fn checked(s: &Scenario) -> Result<(), String> {
    let mut sim = Simulation::new(s).unwrap();
    sim.set_check_invariants(true);
    sim.run();
    sim.check_invariants()
}

#[test]
fn invariants_hold_at_every_step_for_every_kernel_and_seed() {
    for kernel in KernelPreset::ALL {
        for preset in [ScenarioPreset::HammerLockup, ScenarioPreset::UfsSameLoad] {
            for seed in 1..=4 {
                let s = Scenario {
                    preset: kernel,
                    seed,
                    duration_ms: 25_000,
                    ..preset.scenario()
                };
                if let Err(e) = checked(&s) {
                    panic!("{} {} seed {seed}: {e}", kernel.name(), preset.name());
                }
            }
        }
    }
}

#[test]
fn invariants_hold_when_the_emergency_measures_fail() {
    let s = pageout_core::scenario::link::decode(
        "#v=1&preset=dfly-2008-07-01&ram=40M&seed=9&window=600s&recoverbufpages=off",
    )
    .unwrap();
    checked(&s).unwrap();
    for p in ScenarioPreset::ALL {
        checked(&Scenario {
            duration_ms: 60_000,
            ..p.scenario()
        })
        .unwrap_or_else(|e| panic!("{}: {e}", p.name()));
    }
}

#[test]
fn invariants_hold_on_fast_and_extreme_disks() {
    // a page read in for a fault used to be un-busied by the disk interrupt while still in no
    // queue ("page N is in no queue but not busy in transit", first seen with seek=1ms): the
    // page stays hard-busy until the fault that read it is done
    for l in [
        "#v=1&preset=dfly-2008-06-30&seek=1ms&until=30s",
        "#v=1&preset=dfly-2008-06-30&bw=535M/s&wrate=142M/s&until=20s",
        "#v=1&preset=dfly-2008-07-01&ram=64M&seek=0ms&bw=2000M/s&until=20s",
        "#v=1&preset=dfly-2008-07-01&ram=64M&seek=100ms&bw=1M/s&until=30s",
        "#v=1&preset=dfly-2008-06-30&ram=64M&mrate=1000000/s&until=10s",
        "#v=1&preset=dfly-2008-07-08&ram=64M&fs=ufs&ufsbs=4K&seek=0ms&until=20s",
    ] {
        let s = pageout_core::scenario::link::decode(l).unwrap();
        checked(&s).unwrap_or_else(|e| panic!("{l}: {e}"));
    }
}

#[test]
fn invariants_hold_through_every_kind_of_intervention() {
    for l in [
        "#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=60s&at=5s:hog:16M,10s:writer,\
         15s:wrate:8M/s,20s:sync,25s:stop:writer0,30s:mmap,35s:mrate:20000/s,40s:bw:2M/s,\
         45s:seek:50ms,50s:stop:mmap1",
        "#v=1&preset=dfly-2008-07-01&ram=48M&until=40s&at=5s:sync,5s:sync,6s:bw:2000M/s,\
         6s:seek:0ms,7s:wrate:unlimited,8s:writer,9s:stop:writer2",
    ] {
        let s = pageout_core::scenario::link::decode(l).unwrap();
        checked(&s).unwrap_or_else(|e| panic!("{l}: {e}"));
    }
}

#[test]
fn invariants_hold_with_memory_hogs_and_a_bigger_machine() {
    let mut s = ScenarioPreset::HammerLockup.scenario();
    s.machine.ram_mb = 256;
    s.workload.hogs = 2;
    s.workload.hog_mb = 48;
    s.workload.hog_start_ms = 5_000;
    s.duration_ms = 30_000;
    for kernel in [KernelPreset::Dfly20080630, KernelPreset::Dfly20080701] {
        checked(&Scenario {
            preset: kernel,
            ..s.clone()
        })
        .unwrap();
    }
}

#[test]
fn the_same_scenario_gives_the_same_run() {
    for kernel in KernelPreset::ALL {
        let s = lockup(kernel, 42);
        let mut a = Simulation::new(&s).unwrap();
        let mut b = Simulation::new(&s).unwrap();
        a.run();
        // the second run in uneven slices, as the page drives it
        while !b.advance(37).finished {}
        assert_eq!(a.trace_hash(), b.trace_hash(), "{}", kernel.name());
        assert_eq!(a.outcome(), b.outcome());
        assert_eq!(a.log(), b.log());
        assert_eq!(a.stats(), b.stats());
    }
}

#[test]
fn another_seed_gives_another_run() {
    let hash = |seed| {
        let mut sim = Simulation::new(&lockup(KernelPreset::Dfly20080701, seed)).unwrap();
        sim.run_until(3000);
        sim.trace_hash()
    };
    assert_ne!(hash(1), hash(2));
}

#[test]
fn bwillwrite_keeps_dirty_space_within_one_block_per_writer_of_the_high_water_mark() {
    // With bwillwrite in force on every path that dirties buffers (write(2) always; the
    // pageout path from HAMMER 59G on), dirty space may pass hidirtybufspace only by the blocks
    // that writers dirtied after being let through.
    let cases = [
        (
            ScenarioPreset::HammerLockup.scenario(),
            KernelPreset::Dfly20080701,
        ),
        (
            ScenarioPreset::HammerLockup.scenario(),
            KernelPreset::Dfly20080708,
        ),
        (
            ScenarioPreset::WritersOnly.scenario(),
            KernelPreset::Dfly20080630,
        ),
        (
            ScenarioPreset::Hammer512M.scenario(),
            KernelPreset::Dfly20080701,
        ),
    ];
    for (base, kernel) in cases {
        let s = Scenario {
            preset: kernel,
            duration_ms: 120_000,
            ..base
        };
        let writers = u64::from(s.workload.writers) + 1; // + the pageout daemon
        let peaks = each_seed(&s, 1..=4, |seed, sim| {
            // the machine goes on (a process may starve in pfault meanwhile)
            let kind = sim.outcome().unwrap().kind;
            assert!(
                matches!(kind, OutcomeKind::Survived | OutcomeKind::Starved),
                "seed {seed}: {kind:?}"
            );
            (
                sim.stats().peak_dirtybufspace,
                sim.thresholds().hidirtybufspace,
            )
        });
        for (peak, hi) in peaks {
            assert!(
                peak <= hi + writers * 65536,
                "{}: peak dirty {peak} > hidirtybufspace {hi} + {writers} blocks",
                kernel.name()
            );
        }
    }
}

#[test]
fn every_run_ends_with_an_outcome_whatever_its_length() {
    for ms in [1_000, 1_010, 1_230, 2_000] {
        let s = Scenario {
            preset: KernelPreset::Dfly20080701,
            duration_ms: ms,
            ..ScenarioPreset::HammerLockup.scenario()
        };
        let mut a = Simulation::new(&s).unwrap();
        let st = a.run();
        assert!(st.finished, "{ms} ms: {st:?}");
        assert_eq!(st.tick, ms / 10);
        assert_eq!(a.outcome().unwrap().kind, OutcomeKind::Survived);
        let mut b = Simulation::new(&s).unwrap();
        let mut steps = 0;
        while !b.advance(7).finished {
            steps += 1;
            assert!(steps < 1_000, "{ms} ms: advance never finishes");
        }
        assert_eq!(a.trace_hash(), b.trace_hash());
    }
}
