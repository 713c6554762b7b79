//! Many independent runs, in parallel: the runner under `pageout-sim sweep` and `pageout-sim grid`.
//!
//! Each run is a whole [`Simulation`] from boot to outcome, on its own; `jobs` of them run at
//! once on OS threads (the engine has no threads of its own: each run stays single-threaded and
//! deterministic, so the results do not depend on `jobs`). With `jobs` = 1 everything runs on the
//! calling thread, which is what a wasm caller gets (the page runs its grids in a worker pool of
//! its own instead). Results come back in the order of the runs, whatever order they finished in.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{start, ExploreError};
use crate::{OutcomeKind, Scenario};

/// How one run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunEnd {
    /// The run's seed.
    pub seed: u64,
    /// Its outcome (`None` only for a run that ended without one).
    pub kind: Option<OutcomeKind>,
    /// The outcome's tick (for a hang, when progress stopped).
    pub tick: u64,
    /// The trace hash at the end.
    pub trace_hash: u64,
}

/// Runs one scenario to its outcome.
pub fn run_one(s: &Scenario, budget: bool) -> Result<RunEnd, ExploreError> {
    let mut sim = start(s, budget, "")?;
    sim.run();
    let (kind, tick) = sim.outcome().map_or((None, 0), |o| (Some(o.kind), o.tick));
    Ok(RunEnd {
        seed: s.seed,
        kind,
        tick,
        trace_hash: sim.trace_hash(),
    })
}

/// Runs `n` scenarios, the `i`th being `scenario(i)`, `jobs` at a time (at least one), and
/// returns how each ended, in order. `progress(done, n)` is called after each run, from the
/// thread that ran it. The first scenario is checked before anything runs; a scenario that
/// cannot run stops the sweep with its problems.
pub fn run_all(
    n: usize,
    scenario: &(dyn Fn(usize) -> Scenario + Sync),
    jobs: usize,
    budget: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<RunEnd>, ExploreError> {
    run_each(n, scenario, jobs, budget, progress, &run_one)
}

/// [`run_all`] with another way to run one scenario: `run(scenario, budget)` gives what each
/// run leaves (a [`RunEnd`], or more).
pub fn run_each<T: Clone + Send>(
    n: usize,
    scenario: &(dyn Fn(usize) -> Scenario + Sync),
    jobs: usize,
    budget: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
    run: &(dyn Fn(&Scenario, bool) -> Result<T, ExploreError> + Sync),
) -> Result<Vec<T>, ExploreError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    // fail fast: most sweeps are one scenario with many seeds
    start(&scenario(0), budget, "")?;
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<ExploreError>> = Mutex::new(None);
    let slots: Mutex<Vec<Option<T>>> = Mutex::new(vec![None; n]);
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= n || failed.load(Ordering::Relaxed) {
            return;
        }
        match run(&scenario(i), budget) {
            Ok(end) => {
                if let Ok(mut s) = slots.lock() {
                    s[i] = Some(end);
                }
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, n);
            }
            Err(e) => {
                failed.store(true, Ordering::Relaxed);
                if let Ok(mut f) = first_error.lock() {
                    f.get_or_insert(e);
                }
                return;
            }
        }
    };
    on_threads(jobs, n, &worker);
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let slots = slots.into_inner().unwrap_or_default();
    Ok(slots.into_iter().flatten().collect())
}

/// Runs `worker` on `jobs` threads (at least one, at most `n`, the runs there are), or on the
/// calling thread alone when that is one, and returns when every copy has.
pub(crate) fn on_threads(jobs: usize, n: usize, worker: &(dyn Fn() + Sync)) {
    let jobs = jobs.clamp(1, n.max(1));
    if jobs == 1 {
        worker();
    } else {
        std::thread::scope(|sc| {
            for _ in 0..jobs {
                sc.spawn(worker);
            }
        });
    }
}

/// When the hung runs of a set hung: the time to hang, in seconds of simulated time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HangTimes {
    /// How many runs hung (deadlock or stall).
    pub hangs: usize,
    /// The mean time to hang.
    #[serde(rename = "meanS")]
    pub mean_s: f64,
    /// The median (linear between the two middle runs for an even count).
    #[serde(rename = "medianS")]
    pub median_s: f64,
    /// The first quartile, linear between neighbours like the median.
    #[serde(rename = "q1S")]
    pub q1_s: f64,
    /// The third quartile.
    #[serde(rename = "q3S")]
    pub q3_s: f64,
    /// How many distinct ticks the runs hung at.
    pub distinct_ticks: usize,
}

/// What a set of runs of one scenario did: the numbers `pageout-sim sweep` prints, and those of
/// each cell of a phase map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Runs counted.
    pub runs: usize,
    /// Runs by outcome: every kind of [`super::SEVERITY`], and `none` for runs without one.
    pub counts: BTreeMap<String, usize>,
    /// Runs that hung: a deadlock or a stall.
    pub hangs: usize,
    /// `hangs / runs` (0 without runs).
    pub hang_rate: f64,
    /// When the hung runs hung; `None` when none did.
    pub time_to_hang: Option<HangTimes>,
}

/// Whether an outcome is a hang (a deadlock or a stall).
pub fn is_hang(kind: Option<OutcomeKind>) -> bool {
    matches!(kind, Some(OutcomeKind::Deadlock | OutcomeKind::Stall))
}

/// Summarises runs given as (outcome, tick) pairs, in any order.
pub fn summarize(runs: impl IntoIterator<Item = (Option<OutcomeKind>, u64)>) -> Summary {
    let mut counts: BTreeMap<String, usize> = super::SEVERITY
        .iter()
        .map(|k| (k.name().to_string(), 0))
        .collect();
    counts.insert("none".into(), 0);
    let mut ticks = Vec::new();
    let mut n = 0;
    for (kind, tick) in runs {
        n += 1;
        *counts
            .entry(super::kind_name(kind).to_string())
            .or_default() += 1;
        if is_hang(kind) {
            ticks.push(tick);
        }
    }
    ticks.sort_unstable();
    let secs = |t: f64| t / crate::HZ as f64;
    // quantile q of the hang ticks (linear between neighbours), in seconds
    let quantile = |q: f64| {
        let x = q * (ticks.len() - 1) as f64;
        let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
        secs(ticks[lo] as f64 + (ticks[hi] as f64 - ticks[lo] as f64) * (x - lo as f64))
    };
    let time_to_hang = (!ticks.is_empty()).then(|| {
        let mut distinct = ticks.clone();
        distinct.dedup();
        HangTimes {
            hangs: ticks.len(),
            mean_s: secs(ticks.iter().map(|&t| t as f64).sum::<f64>() / ticks.len() as f64),
            median_s: quantile(0.5),
            q1_s: quantile(0.25),
            q3_s: quantile(0.75),
            distinct_ticks: distinct.len(),
        }
    });
    Summary {
        runs: n,
        counts,
        hangs: ticks.len(),
        hang_rate: if n == 0 {
            0.0
        } else {
            ticks.len() as f64 / n as f64
        },
        time_to_hang,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds(base: &Scenario, first: u64) -> impl Fn(usize) -> Scenario + Sync + '_ {
        move |i| Scenario {
            seed: first + i as u64,
            ..base.clone()
        }
    }

    #[test]
    fn the_results_do_not_depend_on_the_number_of_jobs() {
        let base = Scenario {
            duration_ms: 20_000,
            ..Scenario::default()
        };
        let calls = AtomicUsize::new(0);
        let one = run_all(6, &seeds(&base, 1), 1, true, &|_, _| {}).unwrap();
        let three = run_all(6, &seeds(&base, 1), 3, true, &|done, n| {
            assert!(done <= n);
            calls.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(one, three);
        assert_eq!(calls.into_inner(), 6);
        assert_eq!(
            one.iter().map(|r| r.seed).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6]
        );
        assert_eq!(one[2], run_one(&seeds(&base, 1)(2), true).unwrap());
    }

    #[test]
    fn a_scenario_that_cannot_run_stops_the_sweep_with_its_problems() {
        let bad = Scenario {
            machine: crate::Machine {
                ram_mb: 1,
                ..Scenario::default().machine
            },
            ..Scenario::default()
        };
        let e = run_all(3, &seeds(&bad, 1), 2, true, &|_, _| {}).unwrap_err();
        assert!(e.0[0].starts_with("ram: got 1M"), "{e}");
        // one bad scenario among good ones stops the sweep too
        let good = Scenario {
            duration_ms: 1_000,
            ..Scenario::default()
        };
        let mixed = |i: usize| if i == 2 { bad.clone() } else { good.clone() };
        let e = run_all(4, &mixed, 2, true, &|_, _| {}).unwrap_err();
        assert!(e.0[0].starts_with("ram: got 1M"), "{e}");
    }
}
