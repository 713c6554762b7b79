//! `src/api.d.ts` declares the shapes the facade returns. This checks each interface and string
//! union there against what pageout-core actually serializes, so a renamed or added field in
//! the engine fails here instead of silently mistyping the page.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use pageout_core::account::{SleepCount, ThreadAccount};
use pageout_core::events::{Event, EventKind};
use pageout_core::policy::{Mempool, MECHANISMS};
use pageout_core::scenario::intervention::{Action, Intervention};
use pageout_core::scenario::link::LinkError;
use pageout_core::{
    BdSpeedup, BioVariant, Col, DirtyLimit, FsKind, KernelPreset, Outcome, OutcomeKind, Scenario,
    Simulation, ThreadInfo, ThreadState, WaitEdge, WaitGraph, WaitNode,
};
use serde::Serialize;
use serde_json::Value;

const API: &str = include_str!("../src/api.d.ts");

/// The field names of `export interface name { ... }`.
fn interface(name: &str) -> BTreeSet<String> {
    let head = format!("export interface {name} {{");
    let start = API
        .find(&head)
        .unwrap_or_else(|| panic!("api.d.ts has no interface {name}"));
    let body = &API[start + head.len()..];
    let body = &body[..body.find("\n}").expect("interface closes at column 0")];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('/') && !l.starts_with('*'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, _)| k.trim_end_matches('?').to_string())
        .collect()
}

/// The string literals of `export type name = "a" | "b";`.
fn union(name: &str) -> BTreeSet<String> {
    let head = format!("export type {name} =");
    let start = API
        .find(&head)
        .unwrap_or_else(|| panic!("api.d.ts has no type {name}"));
    let body = &API[start + head.len()..];
    let body = &body[..body.find(';').unwrap()];
    body.split('"')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

fn keys(v: &impl Serialize) -> BTreeSet<String> {
    match serde_json::to_value(v).unwrap() {
        Value::Object(m) => m.keys().cloned().collect(),
        other => panic!("not an object: {other}"),
    }
}

fn names<T: Serialize>(all: impl IntoIterator<Item = T>) -> BTreeSet<String> {
    all.into_iter()
        .map(|v| {
            serde_json::to_value(v)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn api_interfaces_match_the_engine_types() {
    // with an intervention, so that the optional list is among the keys
    let scenario = Scenario {
        interventions: vec![Intervention {
            at_ms: 1000,
            action: Action::Sync,
        }],
        ..Scenario::default()
    };
    let sim = Simulation::new(&scenario).unwrap();
    let node = WaitNode {
        thread: "pagedaemon".into(),
        wmesg: "VMWait".into(),
        timed: false,
        waits_for: String::new(),
        since: 0,
        path: String::new(),
    };
    let edge = WaitEdge {
        from: 0,
        to: 0,
        why: String::new(),
    };
    let graph = WaitGraph {
        nodes: vec![node.clone()],
        edges: vec![edge.clone()],
        cycle: vec![],
    };
    let outcome = Outcome {
        kind: OutcomeKind::Deadlock,
        tick: 0,
        detected_at: 0,
        summary: String::new(),
        graph: graph.clone(),
    };
    let thread = ThreadInfo {
        name: "pagedaemon".into(),
        state: "sleeping".into(),
        wmesg: "VMWait".into(),
        timed: false,
        since: 0,
        path: String::new(),
        account: ThreadAccount::default(),
    };
    let sleep = SleepCount::default();
    let event = Event {
        tick: 0,
        kind: EventKind::Hang,
        thread: String::new(),
        why: String::new(),
    };
    let checks: Vec<(&str, BTreeSet<String>)> = vec![
        ("Scenario", keys(&scenario)),
        ("Machine", keys(&scenario.machine)),
        ("Workload", keys(&scenario.workload)),
        ("Policy", keys(&scenario.policy())),
        ("Status", keys(&sim.status())),
        ("Thresholds", keys(&sim.thresholds())),
        ("WarmStart", keys(&sim.warm_start())),
        ("Stats", keys(&sim.stats())),
        ("ThreadInfo", keys(&thread)),
        ("ThreadAccount", keys(&thread.account)),
        (
            "ThreadState",
            keys(&ThreadState {
                name: String::new(),
                state: String::new(),
                wmesg: String::new(),
                timed: false,
                since: 0,
                path: String::new(),
                at: 0,
            }),
        ),
        ("SleepCount", keys(&sleep)),
        ("KeyEvent", keys(&event)),
        ("HammerMem", keys(&scenario.hammer)),
        ("Intervention", keys(&scenario.interventions[0])),
        ("WaitNode", keys(&node)),
        ("WaitEdge", keys(&edge)),
        ("WaitGraph", keys(&graph)),
        ("Outcome", keys(&outcome)),
        ("Mechanism", keys(&MECHANISMS[0])),
        (
            "LinkProblem",
            keys(&LinkError {
                key: String::new(),
                given: String::new(),
                allowed: String::new(),
                message: String::new(),
            }),
        ),
        (
            "SampleColumns",
            Col::ALL.iter().map(|c| c.name().to_string()).collect(),
        ),
    ];
    for (name, engine) in checks {
        assert_eq!(
            interface(name),
            engine,
            "interface {name} in web/src/api.d.ts"
        );
    }
}

#[test]
fn api_string_unions_match_the_engine_enums() {
    let checks: Vec<(&str, BTreeSet<String>)> = vec![
        ("KernelPresetName", names(KernelPreset::ALL)),
        ("FsKind", names([FsKind::Hammer, FsKind::Ufs])),
        (
            "OutcomeKind",
            names([
                OutcomeKind::Survived,
                OutcomeKind::Deadlock,
                OutcomeKind::Stall,
                OutcomeKind::Starved,
                OutcomeKind::OutOfMemory,
            ]),
        ),
        ("EventKind", names(EventKind::ALL)),
        (
            "BioVariant",
            names([
                BioVariant::Pre0630,
                BioVariant::Fix0701,
                BioVariant::Fix0708,
                BioVariant::Fix2010,
                BioVariant::Fix2011,
                BioVariant::Fix2012,
            ]),
        ),
        (
            "DirtyLimit",
            names([DirtyLimit::Bytes0628, DirtyLimit::BytesCount0707]),
        ),
        (
            "BdSpeedup",
            names([
                BdSpeedup::Any0628,
                BdSpeedup::Inverted0630,
                BdSpeedup::Fixed0707,
            ]),
        ),
        (
            "Mempool",
            names([Mempool::Off, Mempool::P16, Mempool::P32, Mempool::P64]),
        ),
    ];
    for (name, engine) in checks {
        assert_eq!(union(name), engine, "type {name} in web/src/api.d.ts");
    }
    // the mechanism table's values are the link forms of the same enums
    let policy_fields = interface("Policy");
    for m in MECHANISMS {
        assert!(
            policy_fields.contains(m.field),
            "Mechanism.field {} is not a Policy field",
            m.field
        );
    }
}

#[test]
fn api_interfaces_match_the_explore_layer() {
    use pageout_core::explore::{diverge, grid, map, shrink};
    let s = Scenario {
        duration_ms: 1_000,
        ..Scenario::default()
    };
    let d = diverge::diverge(&s, &s, true).unwrap();
    let plan = grid::plan(&s, &[1]).unwrap();
    let result = grid::RunResult {
        cell: 0,
        seed: 1,
        kind: Some(OutcomeKind::Survived),
        tick: 100,
        trace_hash: "0123456789abcdef".into(),
        twin: Some(0),
    };
    let report = grid::report(&plan, std::slice::from_ref(&result)).unwrap();
    let checks: Vec<(&str, BTreeSet<String>)> = vec![
        ("Divergence", keys(&d)),
        ("GridCell", keys(&plan.cells[0])),
        ("GridRun", keys(&plan.runs[0])),
        ("GridPlan", keys(&plan)),
        ("GridRunResult", keys(&result)),
        ("GridCellReport", keys(&report.cells[0])),
        ("GridReport", keys(&report)),
    ];
    for (name, engine) in checks {
        assert_eq!(
            interface(name),
            engine,
            "interface {name} in web/src/api.d.ts"
        );
    }
    let x = map::parse_axis("ram=64M,96M").unwrap();
    let y = map::parse_axis("writers=1,2").unwrap();
    let mplan = map::plan(&s, &x, &y, &[1]).unwrap();
    let hung = grid::RunResult {
        kind: Some(OutcomeKind::Deadlock),
        ..result.clone()
    };
    let mreport = map::report(&mplan, std::slice::from_ref(&hung)).unwrap();
    let mut st = shrink::begin(&s);
    let probe = shrink::Probe {
        kind: Some(OutcomeKind::Deadlock),
        tick: 1,
        detected_ms: 100_000,
        cycle: "a (x) → b (y) → a".into(),
    };
    shrink::step(&mut st, std::slice::from_ref(&probe)).unwrap();
    let cands = shrink::candidates(&st).unwrap();
    let step = shrink::Step {
        what: cands[0].what.clone(),
        link: cands[0].link.clone(),
        tick: 1,
    };
    let checks: Vec<(&str, BTreeSet<String>)> = vec![
        ("MapAxis", keys(&mplan.x)),
        ("MapCell", keys(&mplan.cells[0])),
        ("MapPlan", keys(&mplan)),
        ("MapCellReport", keys(&mreport.cells[0])),
        (
            "HangTimes",
            keys(mreport.cells[0].summary.time_to_hang.as_ref().unwrap()),
        ),
        ("MapReport", keys(&mreport)),
        ("ShrinkProbe", keys(&probe)),
        ("ShrinkTarget", keys(st.target.as_ref().unwrap())),
        ("ShrinkState", keys(&st)),
        ("ShrinkCandidate", keys(&cands[0])),
        ("ShrinkStep", keys(&step)),
    ];
    for (name, engine) in checks {
        assert_eq!(
            interface(name),
            engine,
            "interface {name} in web/src/api.d.ts"
        );
    }
    assert_eq!(
        interface("ShrinkNext"),
        ["state", "step", "candidates"].map(String::from).into()
    );
    // every outcome kind is counted, and `none`
    let mut counted: BTreeSet<String> = report.cells[0].counts.keys().cloned().collect();
    assert!(counted.remove("none"));
    assert_eq!(counted, union("OutcomeKind"));
}

#[test]
fn the_export_and_fingerprint_shapes_match_the_engine() {
    use pageout_core::export::Export;
    use pageout_core::fingerprint::Fingerprint;
    let print = Fingerprint {
        engine: "0.1.0".into(),
        outcome: OutcomeKind::Deadlock,
        tick: 1,
        hash: "0000000000000000".into(),
    };
    let other = Fingerprint {
        hash: "ffffffffffffffff".into(),
        ..print.clone()
    };
    let verdict = print.verify(&other);
    assert_eq!(interface("Fingerprint"), keys(&print));
    assert_eq!(interface("Verdict"), keys(&verdict));
    assert_eq!(interface("Difference"), keys(&verdict.differences[0]));
    let kinds: BTreeSet<String> = Export::ALL.iter().map(|e| e.name().to_string()).collect();
    assert_eq!(union("ExportKind"), kinds);
}
