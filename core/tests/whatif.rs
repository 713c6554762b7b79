//! What if DragonFly 2008-06-30 had done what Linux or FreeBSD do (kernel-2008.md §7): each
//! what-if on the lockup of the post, seed 19, where the 2008-06-30 kernel deadlocks.

mod common;

use common::lockup;
use pageout_core::scenario::link;
use pageout_core::{KernelPreset, OutcomeKind, Scenario, Simulation, ThreadInfo};

fn run(s: &Scenario) -> Simulation {
    let mut sim = Simulation::new(s).unwrap();
    sim.run();
    sim
}

/// The lockup of the post on 2008-06-30 with `key=value`.
fn with(key: &str, value: &str) -> Scenario {
    link::apply(&lockup(KernelPreset::Dfly20080630, 19), &[(key, value)]).unwrap()
}

/// The run ends with the machine going on: neither a deadlock nor a stall.
fn assert_goes_on(sim: &Simulation) {
    let o = sim.outcome().unwrap();
    assert!(
        !matches!(o.kind, OutcomeKind::Deadlock | OutcomeKind::Stall),
        "{}",
        o.summary
    );
}

fn thread<'a>(threads: &'a [ThreadInfo], name: &str) -> &'a ThreadInfo {
    threads
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no thread {name}"))
}

#[test]
fn the_2008_06_30_kernel_deadlocks_on_this_seed() {
    let sim = run(&lockup(KernelPreset::Dfly20080630, 19));
    assert_eq!(sim.outcome().unwrap().kind, OutcomeKind::Deadlock);
}

#[test]
fn what_if_linux_the_daemon_never_writes_and_the_flush_thread_does() {
    let sim = run(&lockup(KernelPreset::WhatifLinux, 19));
    assert_goes_on(&sim);
    let threads = sim.threads();
    assert_eq!(thread(&threads, "pagedaemon").account.pageouts, 0);
    let flush = &thread(&threads, "flush").account;
    assert!(flush.pageouts > 0 && flush.pages_laundered > 0, "{flush:?}");
    assert!(threads.iter().all(|t| t.name != "laundry"));
}

#[test]
fn what_if_freebsd_the_laundry_thread_writes_and_the_daemon_only_caches() {
    let sim = run(&lockup(KernelPreset::WhatifFreebsd, 19));
    assert_goes_on(&sim);
    let threads = sim.threads();
    let pd = &thread(&threads, "pagedaemon").account;
    assert_eq!(pd.pageouts, 0);
    assert!(pd.pages_cached > 0, "{pd:?}");
    assert!(thread(&threads, "laundry").account.pageouts > 0);
}

#[test]
fn what_if_pageprocwait_the_deadlock_becomes_a_stall_of_one_tick_retries() {
    let sim = run(&with("pageprocwait", "on"));
    let o = sim.outcome().unwrap();
    assert_eq!(o.kind, OutcomeKind::Stall, "{}", o.summary);
    let pd = o.graph.nodes.iter().find(|n| n.thread == "pagedaemon");
    let pd = pd.expect("the daemon waits");
    assert_eq!((pd.wmesg.as_str(), pd.timed), ("pageprocwait", true));
    let threads = sim.threads();
    let sleeps = &thread(&threads, "pagedaemon").account.sleeps;
    let retries = sleeps.iter().find(|s| s.wmesg == "pageprocwait").unwrap();
    // a retry every tick for the whole hang window
    assert!(retries.count >= 900, "{retries:?}");
}

#[test]
fn what_if_a_mempool_the_pageout_daemon_gets_its_pages_and_the_lockup_is_gone() {
    let sim = run(&with("mempool", "32"));
    assert_goes_on(&sim);
}

#[test]
fn what_if_a_flusher_alone_keeps_the_daemon_out_of_the_filesystem() {
    let sim = run(&with("flusher", "on"));
    assert_eq!(sim.outcome().unwrap().kind, OutcomeKind::Survived);
    assert_eq!(
        thread(&sim.threads(), "pagedaemon").account.pageouts,
        0,
        "the daemon hands every dirty file page over"
    );
}
