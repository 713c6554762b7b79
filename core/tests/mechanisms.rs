//! Every switch matters somewhere: for each mechanism of the fix and each of its values, a
//! shipped scenario preset in which setting it changes the run (its trace hash or its outcome),
//! and no outcome without its cause.

use pageout_core::policy::MECHANISMS;
use pageout_core::scenario::link;
use pageout_core::{OutcomeKind, Scenario, ScenarioPreset, Simulation};
use proptest::prelude::*;

/// What a run is, to compare two: its trace hash and how it ended. The trace hash covers the
/// samples and the console, not the outcome: a wait retried every tick (a stall) and one that
/// never wakes (a deadlock) can leave the same trace.
fn hash(s: &Scenario) -> (u64, OutcomeKind) {
    let mut sim = Simulation::new(s).unwrap();
    sim.run();
    (sim.trace_hash(), sim.outcome().unwrap().kind)
}

/// The shipped preset in which `key=value` changes the run, if any.
fn where_it_matters(key: &str, value: &str) -> Option<ScenarioPreset> {
    ScenarioPreset::ALL.into_iter().find(|&p| {
        let base = p.scenario();
        let Ok(changed) = link::apply(&base, &[(key, value)]) else {
            return false; // conflicts with the preset's kernel (e.g. recoverbufpages without bio)
        };
        changed.policy() != base.policy() && hash(&changed) != hash(&base)
    })
}

/// Mechanisms no modelled workload can reach, and why.
const UNREACHABLE: [(&str, &str); 1] = [(
    "bdexempt",
    "only the VN device's VOP_WRITE recursion brings a buf daemon into bd_wait, and the VN \
     device is not modelled",
)];

#[test]
fn every_mechanism_changes_a_shipped_scenario() {
    let mut found = Vec::new();
    let mut never = Vec::new();
    for m in MECHANISMS {
        if UNREACHABLE.iter().any(|&(k, _)| k == m.key) {
            continue;
        }
        let hit = m.values.iter().find_map(|&v| {
            where_it_matters(m.key, v).map(|p| format!("{}={v}: {}", m.key, p.name()))
        });
        match hit {
            Some(h) => found.push(h),
            None => never.push(m.key),
        }
    }
    assert!(
        never.is_empty(),
        "no shipped scenario is changed by {never:?}; found {found:#?}"
    );
}

/// Each mechanism of the kernels after July 2008, each later `bio` value and each what-if, with
/// a shipped scenario it changes (core/README's tables name the same ones).
const NAMED: [(&str, &str, ScenarioPreset); 15] = [
    // December 2008 to November 2011
    ("bio", "fix-2010", ScenarioPreset::Emergency),
    ("bio", "fix-2011", ScenarioPreset::Emergency),
    ("oomkill", "on", ScenarioPreset::NoSwap),
    ("allocwakeup", "on", ScenarioPreset::HammerLockup),
    ("recycle", "on", ScenarioPreset::HammerLockup),
    // 2012 (55b50bd522) and 2017 (c3feb36a35), on the report's own kernel
    ("bio", "fix-2012", ScenarioPreset::HammerLockup),
    ("relbufmin", "on", ScenarioPreset::HammerLockup),
    ("hammerbawrite", "on", ScenarioPreset::HammerLockup),
    ("flushervm", "on", ScenarioPreset::HammerLockup),
    ("emergpager", "on", ScenarioPreset::HammerLockup),
    // the what-ifs of kernel-2008.md §7: Linux's and FreeBSD's answers on the 2008-06-30 kernel
    ("memalloc", "on", ScenarioPreset::HammerLockup),
    ("mempool", "32", ScenarioPreset::HammerLockup),
    ("flusher", "on", ScenarioPreset::HammerLockup),
    ("pageprocwait", "on", ScenarioPreset::EmergencyFails),
    ("laundry", "on", ScenarioPreset::HammerLockup),
];

#[test]
fn each_later_mechanism_and_what_if_changes_the_shipped_scenario_named_for_it() {
    for (key, value, preset) in NAMED {
        let base = preset.scenario();
        let changed = link::apply(&base, &[(key, value)]).unwrap();
        assert_ne!(changed.policy(), base.policy(), "{key}={value}");
        assert_ne!(
            hash(&changed),
            hash(&base),
            "{key}={value} on {}",
            preset.name()
        );
    }
    // every mechanism none of the June/July 2008 kernels has (later ones, what-ifs) is named
    let of_2008: Vec<_> = pageout_core::KernelPreset::ALL
        .into_iter()
        .filter(|k| k.name().starts_with("dfly-2008-0"))
        .collect();
    for m in MECHANISMS.iter().filter(|m| m.key != "bio") {
        if of_2008
            .iter()
            .all(|k| k.policy().get(m.key) == Some(m.values[0]))
        {
            assert!(NAMED.iter().any(|n| n.0 == m.key), "{} is not named", m.key);
        }
    }
}

#[test]
fn the_2010_and_2011_bio_page_alloc_differ_in_the_emergency_scenario() {
    let base = ScenarioPreset::Emergency.scenario();
    let y2010 = link::apply(&base, &[("bio", "fix-2010")]).unwrap();
    let y2011 = link::apply(&base, &[("bio", "fix-2011")]).unwrap();
    assert_ne!(hash(&y2010), hash(&y2011));
}

#[test]
fn the_unreachable_mechanisms_change_nothing_anywhere() {
    // the reason above is the whole story: no preset and no kernel changes with them
    for (key, _) in UNREACHABLE {
        let m = MECHANISMS.iter().find(|m| m.key == key).unwrap();
        for &v in m.values {
            assert_eq!(where_it_matters(key, v), None, "{key}={v}");
        }
    }
}

#[test]
fn the_july_8_warning_rule_only_matters_when_an_emergency_allocation_leaves_memory_above_severe() {
    // 02dede15d4 prints the warning only when memory is still severe after the emergency page:
    // in this single-CPU model the second try only comes after the first failed at the bottom of
    // the reserve, and recoverbufpages never frees more than 16 pages, so the memory is always
    // severe then: fix-0708 prints exactly what fix-0701 does, in every shipped scenario.
    for p in ScenarioPreset::ALL {
        let base = p.scenario();
        let (Ok(a), Ok(b)) = (
            link::apply(&base, &[("bio", "fix-0701")]),
            link::apply(&base, &[("bio", "fix-0708")]),
        ) else {
            continue;
        };
        assert_eq!(hash(&a), hash(&b), "{}", p.name());
    }
}

#[test]
fn every_what_if_is_named_and_off_in_every_dragonfly_kernel() {
    let whatifs: Vec<&str> = MECHANISMS
        .iter()
        .filter(|m| m.commit.starts_with("what-if"))
        .map(|m| m.key)
        .collect();
    assert_eq!(whatifs.len(), 5, "{whatifs:?}");
    for key in &whatifs {
        assert!(NAMED.iter().any(|n| n.0 == *key), "{key} is not named");
    }
    for k in pageout_core::KernelPreset::ALL {
        if k.name().starts_with("dfly-") {
            for key in &whatifs {
                assert_eq!(k.policy().get(key), Some("off"), "{} {key}", k.name());
            }
        }
    }
}

/// Short random scenarios within the limits.
fn scenarios() -> impl Strategy<Value = Scenario> {
    (
        prop::sample::select(vec![
            "dfly-2008-06-29",
            "dfly-2008-06-30",
            "dfly-2008-07-01",
            "dfly-2008-07-08",
            "dfly-2008-12",
            "dfly-2010-10",
            "dfly-2011-11",
            "dfly-2012-01",
            "dfly-2017-08",
            "whatif-linux",
            "whatif-freebsd",
        ]),
        prop::sample::select(vec!["32M", "48M", "64M", "96M", "128M"]),
        0u32..=3,
        0u32..=2,
        0u32..=2,
        prop::sample::select(vec!["0M", "16M", "256M"]),
        prop::sample::select(vec!["hammer", "ufs"]),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(k, ram, w, m, h, swap, fs, seed, shared)| {
            let shared = if shared && m > 0 { "on" } else { "off" };
            let hog = if h > 0 { "&hog=24M" } else { "" };
            let l = format!(
                "v=1&preset={k}&ram={ram}&writers={w}&mmap={m}&hogs={h}{hog}&swap={swap}&fs={fs}&seed={seed}&shared={shared}&until=40s&window=5s"
            );
            link::decode(&l).unwrap_or_else(|e| panic!("{l}: {e}"))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_outcome_has_an_empty_cause(s in scenarios()) {
        let mut sim = Simulation::new(&s).unwrap();
        sim.run();
        let o = sim.outcome().unwrap();
        let (head, cause) = o.summary.split_once(':').unwrap_or((&o.summary, ""));
        prop_assert!(!head.is_empty(), "{}", link::encode(&s));
        if o.kind != OutcomeKind::Survived {
            // a cause of words, not punctuation around an empty list
            let words = cause.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 1).count();
            prop_assert!(words >= 5, "{:?} with cause {:?}: {}", o.kind, cause, link::encode(&s));
            prop_assert!(!cause.trim_start().starts_with(';'), "{}: {}", link::encode(&s), o.summary);
        }
        if matches!(o.kind, OutcomeKind::Deadlock | OutcomeKind::Stall | OutcomeKind::Starved) {
            prop_assert!(!o.graph.nodes.is_empty(), "{:?} with nobody waiting: {}", o.kind, link::encode(&s));
        }
        // the graph's indices point at its nodes, and its cycle reads
        let n = o.graph.nodes.len();
        prop_assert!(o.graph.cycle.iter().all(|&i| i < n), "{:?}", o.graph);
        prop_assert!(o.graph.edges.iter().all(|e| e.from < n && e.to < n), "{:?}", o.graph);
        let _ = o.graph.cycle_text();
    }
}

fn outcome_of(link: &str) -> (OutcomeKind, Vec<String>) {
    let s = link::decode(link).unwrap_or_else(|e| panic!("{link}: {e}"));
    let mut sim = Simulation::new(&s).unwrap();
    sim.run();
    let lines = sim.log().into_iter().map(|l| l.text).collect();
    (sim.outcome().unwrap().kind, lines)
}

#[test]
fn the_2012_kernel_survives_the_report_s_load_where_the_2008_fix_starves() {
    let (a, _) = outcome_of("v=1&preset=dfly-2008-07-08&seed=19");
    let (b, _) = outcome_of("v=1&preset=dfly-2012-01&seed=19");
    assert_eq!((a, b), (OutcomeKind::Starved, OutcomeKind::Survived));
}

#[test]
fn releasing_buffers_at_min_keeps_the_2012_bio_page_alloc_alive_without_the_2008_rework() {
    // the 2012 bio_page_alloc and HAMMER changes on 07-08, without December 2008's OOM rule,
    // wakeups and recycling active scan (dfly-2012-01 has them, and there it makes no difference)
    let l = "v=1&preset=dfly-2008-07-08&seed=0&bio=fix-2012&recoverbufpages=off\
             &hammerbawrite=on&flushervm=on";
    let (a, _) = outcome_of(&format!("{l}&relbufmin=on"));
    let (b, _) = outcome_of(&format!("{l}&relbufmin=off"));
    assert_eq!((a, b), (OutcomeKind::Survived, OutcomeKind::Starved));
}

#[test]
fn the_2012_warning_names_real_threads_at_most_once_a_second() {
    let s = link::decode("v=1&preset=dfly-2012-01&ram=48M&seed=0").unwrap();
    let mut sim = Simulation::new(&s).unwrap();
    sim.run();
    let names: Vec<String> = sim.threads().into_iter().map(|t| t.name).collect();
    let warned: Vec<_> = sim
        .log()
        .into_iter()
        .filter_map(|l| {
            l.text
                .strip_prefix(pageout_core::msg::EXHAUSTED_2012)
                .map(|who| (l.tick / 100, who.to_string()))
        })
        .collect();
    assert!(warned.len() >= 2, "{warned:?}");
    assert!(
        warned.iter().all(|(_, who)| names.contains(who)),
        "{warned:?}"
    );
    assert!(warned.windows(2).all(|w| w[0].0 != w[1].0), "{warned:?}");
}

#[test]
fn hammer_bawrite_of_pageout_data_breaks_the_lockup_of_seed_6_and_11() {
    for seed in [6, 11] {
        let l = format!("v=1&preset=dfly-2008-06-30&ram=64M&seed={seed}");
        assert_eq!(outcome_of(&l).0, OutcomeKind::Deadlock, "{l}");
        let l = format!("{l}&hammerbawrite=on");
        assert_eq!(outcome_of(&l).0, OutcomeKind::Survived, "{l}");
    }
}

#[test]
fn the_flusher_s_memory_check_breaks_the_lockup_of_the_report() {
    assert_eq!(
        outcome_of("v=1&preset=dfly-2008-06-30&ram=64M&seed=19").0,
        OutcomeKind::Deadlock
    );
    assert_eq!(
        outcome_of("v=1&preset=dfly-2008-06-30&ram=64M&seed=19&flushervm=on").0,
        OutcomeKind::Survived
    );
}

#[test]
fn the_emergency_pager_pages_a_hog_out_while_the_daemon_is_stuck() {
    let l = "v=1&preset=dfly-2008-06-30&ram=48M&hogs=1&hog=32M&seed=5";
    let (a, lines) = outcome_of(l);
    assert_eq!(a, OutcomeKind::Deadlock);
    assert!(!lines.iter().any(|t| t.starts_with("Emergency pager")));
    let (b, lines) = outcome_of(&format!("{l}&emergpager=on"));
    assert_eq!(b, OutcomeKind::Survived);
    assert!(lines
        .iter()
        .any(|t| t == pageout_core::msg::EMERG_PAGER_RUNNING));
    // without anonymous memory it has nothing to page: the report's lockup stays
    assert_eq!(
        outcome_of("v=1&preset=dfly-2008-06-30&ram=64M&seed=19&emergpager=on").0,
        OutcomeKind::Deadlock
    );
}

#[test]
fn the_buf_daemons_reserve_breaks_the_lockup_only_while_there_is_reserve_left() {
    let with = |p: ScenarioPreset, set: &[(&str, &str)]| link::apply(&p.scenario(), set).unwrap();
    let outcome = |s: &Scenario| {
        let mut sim = Simulation::new(s).unwrap();
        sim.run();
        sim.outcome().unwrap().clone()
    };
    // bufdaemon-kmalloc: bufdaemon_hw goes into its zone refill with the reserve not yet gone, and
    // without VM_ALLOC_SYSTEM it waits there; with it (systhread, or 59G's usereserve) it goes on
    let o = outcome(&with(ScenarioPreset::BufDaemonKmalloc, &[]));
    assert_eq!(o.kind, OutcomeKind::Deadlock, "{}", o.summary);
    let hw = o
        .graph
        .nodes
        .iter()
        .find(|n| n.thread == "bufdaemon_hw")
        .unwrap();
    assert_eq!(
        (hw.wmesg.as_str(), hw.path.as_str()),
        ("vmwait", "kmem_slab_alloc")
    );
    for key in ["systhread", "usereserve"] {
        let o = outcome(&with(ScenarioPreset::BufDaemonKmalloc, &[(key, "on")]));
        assert_eq!(o.kind, OutcomeKind::Survived, "{key}=on: {}", o.summary);
    }
    // in the post's own seed bufdaemon_hw's refill comes after the reserve is gone: the same run,
    // trace and outcome
    let seed19 = hash(&with(ScenarioPreset::HammerLockup, &[]));
    assert_eq!(seed19.1, OutcomeKind::Deadlock);
    for key in ["systhread", "usereserve"] {
        assert_eq!(
            hash(&with(ScenarioPreset::HammerLockup, &[(key, "on")])),
            seed19,
            "{key}=on"
        );
    }
}
