//! The kernels after the July 2008 fix, up to 2011 (dfly-2008-12, dfly-2010-10, dfly-2011-11):
//! what each of their mechanisms does to a shipped scenario.

use pageout_core::scenario::link;
use pageout_core::{
    msg, KernelPreset, OutcomeKind, Scenario, ScenarioPreset, Simulation, ThreadInfo,
};

fn run(s: &Scenario) -> Simulation {
    let mut sim = Simulation::new(s).unwrap();
    sim.run();
    sim
}

/// A shipped scenario on another kernel, with link keys on top.
fn on(preset: ScenarioPreset, kernel: KernelPreset, keys: &[(&str, &str)]) -> Scenario {
    let s = Scenario {
        preset: kernel,
        ..preset.scenario()
    };
    link::apply(&s, keys).unwrap()
}

fn thread<'a>(threads: &'a [ThreadInfo], name: &str) -> &'a ThreadInfo {
    threads.iter().find(|t| t.name == name).unwrap()
}

#[test]
fn with_no_swap_the_december_2008_kernel_kills_the_hogs_and_goes_on() {
    // the July 2008 kernel kills the largest process and the run ends there
    let before = run(&on(ScenarioPreset::NoSwap, KernelPreset::Dfly20080708, &[]));
    assert_eq!(before.outcome().unwrap().kind, OutcomeKind::OutOfMemory);

    let sim = run(&on(ScenarioPreset::NoSwap, KernelPreset::Dfly200812, &[]));
    let o = sim.outcome().unwrap();
    assert_eq!(o.kind, OutcomeKind::Survived, "{}", o.summary);
    assert!(o.summary.contains("killed"), "{}", o.summary);
    let log = sim.log();
    let kills: Vec<_> = log
        .iter()
        .filter(|l| l.text.ends_with("was killed: out of swap space"))
        .collect();
    assert_eq!(kills.len() as u64, sim.stats().oom_kills);
    assert!(!kills.is_empty());
    // the warning comes with every scan that finds swap full below min; with swap full the
    // daemon backs off to one-second intervals ("pdelay", hz)
    let warnings: Vec<u64> = log
        .iter()
        .filter(|l| l.text == msg::LOW_MEMORY_SWAP)
        .map(|l| l.tick)
        .collect();
    assert!(warnings.len() >= 2, "{warnings:?}");
    assert!(
        warnings.windows(2).all(|w| w[1] - w[0] >= 100),
        "{warnings:?}"
    );
    let threads = sim.threads();
    let pd = thread(&threads, "pagedaemon");
    assert!(pd.account.sleeps.iter().any(|s| s.wmesg == "pdelay"));
    // the victims are gone, and their memory with them
    for k in &kills {
        let name = k.text.split(['(', ')']).nth(1).unwrap();
        assert_eq!(thread(&threads, name).state, "exited", "{name}");
    }
}

#[test]
fn the_oom_kill_needs_the_recycling_active_scan_to_see_the_bloated_inactive_queue() {
    // without c84c24daf5's active scan the inactive queue never reaches 4 x the active one,
    // no one is killed, and the writers hang
    let sim = run(&on(
        ScenarioPreset::NoSwap,
        KernelPreset::Dfly200812,
        &[("recycle", "off")],
    ));
    assert_eq!(sim.stats().oom_kills, 0);
    assert!(sim.log().iter().any(|l| l.text == msg::LOW_MEMORY_SWAP));
    let kind = sim.outcome().unwrap().kind;
    assert!(
        matches!(
            kind,
            OutcomeKind::Deadlock | OutcomeKind::Stall | OutcomeKind::Starved
        ),
        "{kind:?}"
    );
}

#[test]
fn the_2010_variant_prints_memory_exhausted_for_every_failure_and_nothing_for_a_success() {
    let sim = run(&on(
        ScenarioPreset::EmergencyFails,
        KernelPreset::Dfly20080701,
        &[("bio", "fix-2010")],
    ));
    let st = sim.stats();
    let log = sim.log();
    let exhausted = log.iter().filter(|l| l.text == msg::EXHAUSTED).count() as u64;
    assert!(st.emerg_allocs > 0 && st.emerg_fails > 0, "{st:?}");
    assert_eq!(exhausted, st.lowmempgfails);
    assert_eq!(st.lowmempgfails, st.emerg_fails);
    assert!(st.lowmempgallocs > 0 && st.lowmempgallocs <= st.emerg_allocs);
    assert!(log.iter().all(|l| !l.text.contains("WARNING emergency")));
}

#[test]
fn in_2011_only_the_system_threads_take_interrupt_reserve_pages() {
    let s = |bio| {
        on(
            ScenarioPreset::EmergencyFails,
            KernelPreset::Dfly20080701,
            &[("bio", bio)],
        )
    };
    let user_interrupt = |sim: &Simulation| -> u64 {
        sim.threads()
            .iter()
            .filter(|t| t.name.starts_with("writer") || t.name.starts_with("mmap"))
            .map(|t| t.account.pages_interrupt)
            .sum()
    };
    let y2010 = run(&s("fix-2010"));
    assert!(user_interrupt(&y2010) > 0, "in 2010 the writers dig in too");
    let y2011 = run(&s("fix-2011"));
    assert_eq!(user_interrupt(&y2011), 0);
    assert!(y2011.stats().emerg_allocs < y2010.stats().emerg_allocs);
}

#[test]
fn waking_the_daemon_on_every_allocation_saves_the_july_8_kernel_from_starving() {
    let before = run(&on(
        ScenarioPreset::HammerLockup,
        KernelPreset::Dfly20080708,
        &[],
    ));
    assert_eq!(before.outcome().unwrap().kind, OutcomeKind::Starved);
    let after = run(&on(
        ScenarioPreset::HammerLockup,
        KernelPreset::Dfly20080708,
        &[("allocwakeup", "on")],
    ));
    assert_eq!(after.outcome().unwrap().kind, OutcomeKind::Survived);
    let threads = after.threads();
    let pd = thread(&threads, "pagedaemon");
    assert!(pd.account.sleeps.iter().any(|s| s.wmesg == "pdelay"));
}

#[test]
fn the_later_presets_are_the_july_8_kernel_plus_their_mechanisms() {
    // a preset is nothing but its switches: the same run as 2008-07-08 with them set
    let cases: [(KernelPreset, &[(&str, &str)]); 3] = [
        (
            KernelPreset::Dfly200812,
            &[("oomkill", "on"), ("allocwakeup", "on"), ("recycle", "on")],
        ),
        (
            KernelPreset::Dfly201010,
            &[
                ("oomkill", "on"),
                ("allocwakeup", "on"),
                ("recycle", "on"),
                ("bio", "fix-2010"),
            ],
        ),
        (
            KernelPreset::Dfly201111,
            &[
                ("oomkill", "on"),
                ("allocwakeup", "on"),
                ("recycle", "on"),
                ("bio", "fix-2011"),
            ],
        ),
    ];
    for (kernel, keys) in cases {
        let a = run(&on(ScenarioPreset::Emergency, kernel, &[]));
        let b = run(&on(
            ScenarioPreset::Emergency,
            KernelPreset::Dfly20080708,
            keys,
        ));
        assert_eq!(a.trace_hash(), b.trace_hash(), "{kernel:?}");
    }
}
