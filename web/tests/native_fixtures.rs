//! The native half of "wasm runs the same as native": runs the default scenario under every
//! kernel preset with pageout-core compiled natively and checks the result against
//! `tests/fixtures/native.json`, which the browser test (`tests/wasm_api.rs`) replays in wasm.
//!
//! The fixture must follow the engine. When the engine changes, this test fails with the
//! difference; regenerate the fixture with
//!
//! ```sh
//! UPDATE_FIXTURES=1 cargo test -p pageout-web --test native_fixtures
//! ```
//!
//! and commit it with the engine change.
//!
//! Runs are compared whole: to their outcome (a deadlock, or survival at the end of the
//! default scenario's 300 s). `COMPARE_AT_TICK` caps them, so that if the engine ever gets too
//! slow for a browser test, lowering it (to 6_000, 60 s) keeps the test short; the comparison
//! then covers the trace hash of every sample and console line up to that tick.
#![cfg(not(target_arch = "wasm32"))]

use pageout_core::{KernelPreset, Scenario, Simulation};
use serde_json::{json, Value};

/// The last tick compared: 300 s of simulated time at hz = 100, the default scenario's duration.
const COMPARE_AT_TICK: u64 = 30_000;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/native.json");

const REGENERATE: &str = "UPDATE_FIXTURES=1 cargo test -p pageout-web --test native_fixtures";

/// The default scenario under one kernel preset, as the page builds it.
fn scenario(preset: KernelPreset) -> Scenario {
    Scenario {
        preset,
        ..Scenario::default()
    }
}

/// Runs a scenario to its end (or `COMPARE_AT_TICK`): what the browser test compares, with the
/// simulation for more.
fn record(scenario: &Scenario) -> (Simulation, Value) {
    let mut sim = Simulation::new(scenario).expect("a valid scenario within the budget");
    let until = scenario.duration_ticks().min(COMPARE_AT_TICK);
    let status = sim.run_until(until);
    let v = json!({
        "untilTick": until,
        "tick": status.tick,
        "finished": status.finished,
        "outcome": status.outcome,
        "traceHash": format!("{:016x}", sim.trace_hash()),
        "sampleRows": sim.samples().len(),
        "logLines": sim.log().len(),
    });
    (sim, v)
}

fn run(preset: KernelPreset) -> Value {
    let scenario = scenario(preset);
    let (_, mut v) = record(&scenario);
    v["preset"] = json!(preset.name());
    v["scenario"] = json!(scenario);
    v
}

/// A run with one timed intervention of every kind that changes the machine, from its link.
pub const INTERVENTIONS_LINK: &str = "#v=1&preset=dfly-2008-06-30&ram=64M&seed=19\
    &at=5s:hog:16M,10s:writer,15s:wrate:2M/s,20s:mrate:3000/s,25s:sync,30s:stop:writer1,\
    35s:mmap,40s:bw:20M/s,45s:seek:4ms";

fn run_link(link: &str) -> Value {
    let scenario = pageout_core::scenario::link::decode(link).expect("a valid link");
    let (sim, mut v) = record(&scenario);
    v["link"] = json!(link);
    v["events"] = json!(sim.events().len());
    v
}

fn native() -> Value {
    json!({
        "regenerate": REGENERATE,
        "engineVersion": pageout_core::ENGINE_VERSION,
        "runs": KernelPreset::ALL.into_iter().map(run).collect::<Vec<_>>(),
        "withInterventions": run_link(INTERVENTIONS_LINK),
    })
}

#[test]
fn native_fixture_matches_the_engine() {
    let now = native();
    let text = serde_json::to_string_pretty(&now).unwrap() + "\n";
    if std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(std::path::Path::new(FIXTURE).parent().unwrap()).unwrap();
        std::fs::write(FIXTURE, &text).unwrap();
        eprintln!("wrote {FIXTURE}");
        return;
    }
    let stored = std::fs::read_to_string(FIXTURE)
        .unwrap_or_else(|e| panic!("cannot read {FIXTURE} ({e}); create it with: {REGENERATE}"));
    let stored: Value = serde_json::from_str(&stored)
        .unwrap_or_else(|e| panic!("{FIXTURE} is not JSON ({e}); rewrite it with: {REGENERATE}"));
    if stored != now {
        let runs = |v: &Value| v["runs"].as_array().cloned().unwrap_or_default();
        let (old, new) = (runs(&stored), runs(&now));
        let mut diff = String::new();
        for i in 0..old.len().max(new.len()) {
            let (o, n) = (
                old.get(i).unwrap_or(&Value::Null),
                new.get(i).unwrap_or(&Value::Null),
            );
            let preset = if n.is_null() {
                &o["preset"]
            } else {
                &n["preset"]
            };
            const KEYS: [&str; 9] = [
                "preset",
                "scenario",
                "untilTick",
                "tick",
                "finished",
                "outcome",
                "traceHash",
                "sampleRows",
                "logLines",
            ];
            for key in KEYS {
                if o[key] != n[key] {
                    diff += &format!("\n  {preset} {key}: fixture {} / engine {}", o[key], n[key]);
                }
            }
        }
        panic!(
            "{FIXTURE} is stale: the engine no longer produces it.{diff}\n\
             If the engine change is intended, regenerate it with:\n  {REGENERATE}"
        );
    }
}
