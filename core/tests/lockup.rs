//! The lockup of the post emerges before the fix, and the fix of the post cures it.

mod common;

use common::{each_seed, lockup};
use pageout_core::{msg, KernelPreset, OutcomeKind, ScenarioPreset, Simulation};

#[test]
fn pageout_daemon_deadlocks_in_vmwait_before_fix() {
    let s = lockup(KernelPreset::Dfly20080630, 1);
    let results = each_seed(&s, 1..=100, |seed, sim| {
        let o = sim.outcome().expect("finished");
        let pd = o.graph.nodes.iter().find(|n| n.thread == "pagedaemon");
        let in_vmwait = pd.is_some_and(|n| n.wmesg == "VMWait" && !n.timed);
        (
            seed,
            o.kind,
            in_vmwait,
            o.graph.cycle_text(),
            o.summary.clone(),
        )
    });
    let deadlocked: Vec<_> = results
        .iter()
        .filter(|r| r.1 == OutcomeKind::Deadlock && r.2)
        .collect();
    assert!(
        deadlocked.len() >= 90,
        "only {} of 100 seeds deadlocked with the pageout daemon in VMWait: {:?}",
        deadlocked.len(),
        results
            .iter()
            .filter(|r| !(r.1 == OutcomeKind::Deadlock && r.2))
            .take(5)
            .collect::<Vec<_>>()
    );
    for (seed, _, _, cycle, summary) in &deadlocked {
        // the wait-for graph names the cycle: the daemon waits on the heavy-buffer flusher,
        // which waits on the daemon
        assert!(
            cycle.starts_with("pagedaemon (VMWait) → ") && cycle.ends_with("→ pagedaemon"),
            "seed {seed}: cycle {cycle:?}"
        );
        assert!(
            cycle.contains("bufdaemon_hw (vmwait)"),
            "seed {seed}: cycle {cycle:?}"
        );
        assert!(
            summary.contains("the pageout daemon sleeps in VMWait"),
            "seed {seed}: {summary}"
        );
    }
}

#[test]
fn the_hang_has_no_console_warning_before_the_fix() {
    // "Nothing runs, the machine hangs, and the console shows no message."
    let mut sim = Simulation::new(&lockup(KernelPreset::Dfly20080630, 7)).unwrap();
    sim.run();
    assert_eq!(sim.outcome().unwrap().kind, OutcomeKind::Deadlock);
    assert!(sim.log().iter().all(|l| !l.text.contains("bio_page_alloc")));
}

#[test]
fn the_fix_of_the_post_never_deadlocks_and_says_so_on_the_console() {
    let s = lockup(KernelPreset::Dfly20080701, 1);
    let results = each_seed(&s, 1..=100, |seed, sim| {
        let warned = sim.log().iter().any(|l| l.text == msg::EMERG);
        (
            seed,
            sim.outcome().unwrap().kind,
            warned,
            sim.stats().emerg_allocs,
        )
    });
    for (seed, kind, warned, n) in &results {
        assert_eq!(
            *kind,
            OutcomeKind::Survived,
            "seed {seed} under dfly-2008-07-01"
        );
        assert!(
            *warned && *n > 0,
            "seed {seed}: no emergency allocation was logged"
        );
    }
}

#[test]
fn a_week_later_the_machine_still_survives() {
    let s = lockup(KernelPreset::Dfly20080708, 1);
    let kinds = each_seed(&s, 1..=20, |_, sim| sim.outcome().unwrap().kind);
    assert!(
        kinds.iter().all(|&k| k == OutcomeKind::Survived),
        "{kinds:?}"
    );
}

#[test]
fn emergency_measures_fail_and_keep_retrying_when_no_clean_buffer_is_left() {
    // an 80 MB/s mmap writer leaves no clean buffers for recoverbufpages to cash in
    let mut sim = Simulation::new(&ScenarioPreset::HammerFlood.scenario()).unwrap();
    sim.run();
    let o = sim.outcome().unwrap();
    let log = sim.log();
    assert!(
        log.iter().any(|l| l.text == msg::EMERG_FAIL),
        "no failure message"
    );
    // the daemon does not sleep forever: it retries every 5 s, so the failure repeats
    assert!(sim.stats().emerg_fails >= 2, "{:?}", sim.stats());
    assert_eq!(o.kind, OutcomeKind::Stall, "{}", o.summary);
    let pd = o
        .graph
        .nodes
        .iter()
        .find(|n| n.thread == "pagedaemon")
        .expect("daemon waits");
    assert!(pd.timed, "the daemon sleeps with a timeout: {pd:?}");
}

#[test]
fn ufs_survives_the_load_that_locks_up_hammer() {
    let s = pageout_core::Scenario {
        preset: KernelPreset::Dfly20080630,
        ..ScenarioPreset::UfsSameLoad.scenario()
    };
    let kinds = each_seed(&s, 1..=20, |_, sim| sim.outcome().unwrap().kind);
    assert!(
        kinds.iter().all(|&k| k == OutcomeKind::Survived),
        "{kinds:?}"
    );
}

#[test]
fn switching_off_the_buf_daemons_system_privilege_brings_the_deadlock_back() {
    // one mechanism off: bufdaemon_hw's HAMMER kmalloc waits on the pageout daemon again
    let mut s = lockup(KernelPreset::Dfly20080701, 1);
    s.overrides.systhread_bufdaemons = Some(false);
    s.overrides.hammer_use_reserve = Some(false);
    s.overrides.timed_vm_wait = Some(false);
    let kinds = each_seed(&s, 1..=10, |_, sim| sim.outcome().unwrap().kind);
    assert!(
        kinds.iter().any(|&k| k != OutcomeKind::Survived),
        "{kinds:?}"
    );
}

#[test]
fn sample_links_give_the_runs_recorded_for_them() {
    let text = include_str!("fixtures/runs.txt");
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (want, link) = line.split_once(' ').expect("<outcome> <link>");
        let s = pageout_core::scenario::link::decode(link.trim()).expect("a valid link");
        let mut sim = Simulation::new(&s).unwrap();
        sim.run();
        assert_eq!(sim.outcome().unwrap().kind.name(), want, "{link}");
    }
}
