//! How fast the engine runs natively: simulated seconds per wall second, engine events per
//! second, wall time to the outcome, and bytes of engine memory per simulated page.
//!
//! ```text
//! cargo bench -p pageout-core --bench throughput                    # table on stderr, JSON lines on stdout
//! cargo bench -p pageout-core --bench throughput -- --runs 3 --only lockup-0701
//! ```
//!
//! Every scenario runs once to warm up (its time is reported apart, as `cold_wall_ms`), then
//! `--runs` times (7 by default, none dropped); the table shows the median and the spread
//! (min–max) of those. Each JSON line carries the same numbers plus the scenario's link, its
//! outcome and its trace hash, so `scripts/bench.sh` can check that the browser ran the same run.
//! The scenarios are built from the Rust presets exactly as `www/bench.js` builds them from
//! `defaultScenario()` and `presets()`.

use std::hint::black_box;
use std::time::Instant;

use pageout_core::scenario::link;
use pageout_core::{KernelPreset, Scenario, ScenarioPreset, Simulation, HZ};
use serde_json::{json, Value};

/// A scenario to run to its outcome.
struct Case {
    name: &'static str,
    what: &'static str,
    scenario: Scenario,
}

/// The fixed set of scenarios (the same names and settings as `www/bench.js`).
fn cases() -> Vec<Case> {
    let default = Scenario::default();
    vec![
        Case {
            name: "lockup-0630",
            what: "default scenario, dfly-2008-06-30, to its outcome",
            scenario: Scenario {
                preset: KernelPreset::Dfly20080630,
                ..default.clone()
            },
        },
        Case {
            name: "lockup-0701",
            what: "default scenario, dfly-2008-07-01, 300 s",
            scenario: Scenario {
                preset: KernelPreset::Dfly20080701,
                ..default.clone()
            },
        },
        Case {
            name: "hammer-512m",
            what: "hammer-512m preset, 600 s",
            scenario: ScenarioPreset::Hammer512M.scenario(),
        },
        Case {
            name: "ram-4g",
            what: "default workload on a 4 GB machine, 60 s",
            scenario: Scenario {
                machine: pageout_core::Machine {
                    ram_mb: 4096,
                    ..default.machine
                },
                duration_ms: 60_000,
                ..default
            },
        },
    ]
}

/// Seeks as the page does them: a fresh `Simulation` of the default scenario under
/// dfly-2008-07-01, run to `tick`.
const SEEKS: [(&str, u64); 2] = [("seek-150s", 15_000), ("seek-300s", 30_000)];

/// Median, min and max of a sample.
#[derive(Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(values: &[f64]) -> Spread {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Spread {
            median,
            min: v[0],
            max: v[n - 1],
        }
    }

    fn json(self) -> Value {
        json!({ "median": self.median, "min": self.min, "max": self.max })
    }

    /// `median (min–max)` with `digits` decimals.
    fn show(self, digits: usize) -> String {
        format!(
            "{:.d$} ({:.d$}–{:.d$})",
            self.median,
            self.min,
            self.max,
            d = digits
        )
    }
}

/// What one run of a case measured.
struct Run {
    new_ms: f64,
    wall_ms: f64,
    ticks: u64,
    events: u64,
    outcome: String,
    trace_hash: u64,
    pages: u32,
    memory_bytes: usize,
}

fn run_once(scenario: &Scenario, until: u64) -> Run {
    let t0 = Instant::now();
    let mut sim = Simulation::new(black_box(scenario)).expect("bench scenarios are valid");
    let t1 = Instant::now();
    let status = sim.run_until(until);
    let t2 = Instant::now();
    black_box(status);
    Run {
        new_ms: (t1 - t0).as_secs_f64() * 1e3,
        wall_ms: (t2 - t0).as_secs_f64() * 1e3,
        ticks: sim.tick(),
        events: sim.stats().events,
        outcome: sim.outcome().map_or_else(
            || "running".to_owned(),
            |o| format!("{:?}", o.kind).to_lowercase(),
        ),
        trace_hash: sim.trace_hash(),
        pages: sim.thresholds().v_page_count,
        memory_bytes: sim.memory_bytes(),
    }
}

/// Runs a case once to warm up (reported apart, as `cold_wall_ms`), then `runs` times, and checks
/// that every run is the same run.
fn measure(name: &str, scenario: &Scenario, until: u64, runs: usize) -> (Vec<Run>, Value) {
    let cold = run_once(scenario, until);
    let all: Vec<Run> = (0..runs).map(|_| run_once(scenario, until)).collect();
    let first = &all[0];
    for r in all.iter().chain([&cold]) {
        assert_eq!(
            (r.ticks, r.trace_hash),
            (first.ticks, first.trace_hash),
            "{name}: two runs of the same scenario differ"
        );
    }
    let wall: Vec<f64> = all.iter().map(|r| r.wall_ms).collect();
    let sim_s = first.ticks as f64 / HZ as f64;
    let speed: Vec<f64> = all.iter().map(|r| sim_s / (r.wall_ms / 1e3)).collect();
    let eps: Vec<f64> = all
        .iter()
        .map(|r| r.events as f64 / (r.wall_ms / 1e3))
        .collect();
    let new_ms: Vec<f64> = all.iter().map(|r| r.new_ms).collect();
    let line = json!({
        "bench": "throughput",
        "target": "native",
        "scenario": name,
        "link": link::encode(scenario),
        "runs": runs,
        "until_tick": until,
        "ticks": first.ticks,
        "sim_s": sim_s,
        "outcome": first.outcome,
        "trace_hash": format!("{:016x}", first.trace_hash),
        "events": first.events,
        "pages": first.pages,
        "memory_bytes": first.memory_bytes,
        "bytes_per_page": first.memory_bytes as f64 / f64::from(first.pages),
        "wall_ms": Spread::of(&wall).json(),
        "cold_wall_ms": cold.wall_ms,
        "new_ms": Spread::of(&new_ms).json(),
        "sim_s_per_wall_s": Spread::of(&speed).json(),
        "events_per_s": Spread::of(&eps).json(),
    });
    (all, line)
}

struct Options {
    runs: usize,
    only: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        runs: 7,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => {
                o.runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--runs takes a whole number > 0");
            }
            "--only" => o.only = args.next(),
            // what `cargo bench` passes on, and libtest flags that mean nothing here
            _ if a.starts_with("--") => {}
            // `cargo bench -- NAME` filters like libtest does
            _ => o.only = Some(a),
        }
    }
    o
}

fn main() {
    let o = options();
    let wanted = |name: &str| o.only.as_deref().is_none_or(|f| name.contains(f));
    eprintln!(
        "pageout-core throughput, native ({} runs each; median (min–max))",
        o.runs
    );
    eprintln!(
        "{:<12} {:>10} {:>9} {:>22} {:>22} {:>22} {:>10}",
        "scenario", "outcome", "sim s", "wall ms", "sim s / wall s", "events / s (M)", "B / page"
    );
    for case in cases().iter().filter(|c| wanted(c.name)) {
        let until = case.scenario.duration_ticks();
        let (runs, line) = measure(case.name, &case.scenario, until, o.runs);
        let mut line = line;
        line["what"] = json!(case.what);
        println!("{line}");
        let wall = Spread::of(&runs.iter().map(|r| r.wall_ms).collect::<Vec<_>>());
        let sim_s = runs[0].ticks as f64 / HZ as f64;
        let speed = Spread::of(
            &runs
                .iter()
                .map(|r| sim_s / (r.wall_ms / 1e3))
                .collect::<Vec<_>>(),
        );
        let meps = Spread::of(
            &runs
                .iter()
                .map(|r| r.events as f64 / (r.wall_ms / 1e3) / 1e6)
                .collect::<Vec<_>>(),
        );
        eprintln!(
            "{:<12} {:>10} {:>9.2} {:>22} {:>22} {:>22} {:>10.1}",
            case.name,
            runs[0].outcome,
            sim_s,
            wall.show(1),
            speed.show(0),
            meps.show(2),
            runs[0].memory_bytes as f64 / f64::from(runs[0].pages),
        );
    }
    let seek_scenario = Scenario {
        preset: KernelPreset::Dfly20080701,
        ..Scenario::default()
    };
    for (name, tick) in SEEKS.iter().filter(|(n, _)| wanted(n)) {
        let (runs, mut line) = measure(name, &seek_scenario, *tick, o.runs);
        line["what"] = json!(format!(
            "new Simulation + run to tick {tick}, default scenario, dfly-2008-07-01"
        ));
        println!("{line}");
        let wall = Spread::of(&runs.iter().map(|r| r.wall_ms).collect::<Vec<_>>());
        eprintln!(
            "{:<12} {:>10} {:>9.2} {:>22}",
            name,
            "seek",
            *tick as f64 / HZ as f64,
            wall.show(1)
        );
    }
}
