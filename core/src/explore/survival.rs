//! Survival curves: for each kernel, the fraction of runs still alive against time.
//!
//! **The runs** are one workload (a scenario's machine, filesystem, load and interventions) on
//! each kernel of a list ([`KernelPreset::ALL`] unless a caller picks some), each with each seed,
//! for the scenario's duration (the horizon). Each kernel runs as its preset alone: the
//! scenario's own per-mechanism overrides are dropped (a kernel with a piece of the fix turned
//! off is another kernel), and the plan's note says so.
//!
//! **Death** ([`DEATH_RULE`], decided by [`dies`] and nowhere else): a run dies when its outcome
//! is a *deadlock* or a *stall* (the lockup), or *out of memory* (the pageout daemon killed a
//! process for want of swap, which ends the run: the machine did not go on) — the outcomes the
//! switch grid refuses as cures ([`super::grid::CURE_RULE`]). A *starved* run (a process waited
//! longer than the hang window while the rest of the machine went on) and a *survived* one are
//! alive at the horizon. A run without an outcome (it never finished) counts as dead at its
//! tick 0, as the grid judges it worst: nothing says it went on. The time of death is the
//! outcome's tick (for a hang, when progress stopped).
//!
//! **The curve** of a kernel is the fraction alive: 1 at time 0, stepping down at each death
//! tick, flat to the horizon. Its **hang rate at t** is the fraction dead by t (at or before
//! t), for t = 300 s, 1800 s and 3600 s ([`CHECKPOINTS_S`]); `None` when t lies beyond the
//! horizon (nothing is known there). Its **median time to hang** is the first time at which
//! half the runs or more are dead, the curve's median (`None` when fewer than half die). Its
//! **killer** is the most frequent cause among its dead runs — the wait-for cycle
//! ([`crate::detect::WaitGraph::cycle_text`]) when the outcome has one, else the outcome's
//! name — with how many dead runs it killed (ties go to the cause whose first death comes
//! first in run order).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::grid::PlanRun;
use super::{hex, kind_name, start, sweep, ExploreError};
use crate::scenario::link;
use crate::{KernelPreset, OutcomeKind, PolicyOverrides, Scenario, HZ};

/// The death rule, in words (printed with every report).
pub const DEATH_RULE: &str = "a run dies when it ends in a deadlock, a stall or out of memory \
(the outcomes the switch grid refuses as cures), at the outcome's tick; survived and starved \
runs are alive at the horizon";

/// The times (seconds of simulated time) at which a report gives the hang rate.
pub const CHECKPOINTS_S: [u64; 3] = [300, 1800, 3600];

/// At most this many seeds per kernel.
pub const MAX_SEEDS: usize = 10_000;

/// Whether a run with this outcome died (see [`DEATH_RULE`]): the one place that decides it.
pub fn dies(kind: Option<OutcomeKind>) -> bool {
    !matches!(kind, Some(OutcomeKind::Survived | OutcomeKind::Starved))
}

/// How one run of a survival plan ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    /// Index into the plan's kernels.
    pub kernel: usize,
    /// The seed.
    pub seed: u64,
    /// The outcome; `None` for a run that has none.
    pub kind: Option<OutcomeKind>,
    /// The outcome's tick.
    pub tick: u64,
    /// The wait-for cycle at the outcome ([`crate::detect::WaitGraph::cycle_text`]), empty
    /// when there is none.
    pub cycle: String,
    /// The trace hash, 16 hex digits.
    pub trace_hash: String,
}

/// Runs one scenario of a plan to its outcome (`kernel` is its index in the plan).
pub fn run_one(kernel: usize, s: &Scenario, budget: bool) -> Result<RunResult, ExploreError> {
    let mut sim = start(s, budget, "")?;
    sim.run();
    let (kind, tick, cycle) = sim.outcome().map_or((None, 0, String::new()), |o| {
        (Some(o.kind), o.tick, o.graph.cycle_text())
    });
    Ok(RunResult {
        kernel,
        seed: s.seed,
        kind,
        tick,
        cycle,
        trace_hash: hex(sim.trace_hash()),
    })
}

/// What a survival runs: the kernels, the seeds, and every run's link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SurvivalPlan {
    /// The workload's link (first kernel, first seed, no overrides).
    pub link: String,
    /// The kernels, by link name, in order.
    pub kernels: Vec<String>,
    /// The seeds each kernel runs.
    pub seeds: Vec<u64>,
    /// The horizon, in seconds of simulated time.
    pub until_s: f64,
    /// The horizon, in ticks.
    pub until_tick: u64,
    /// What the plan changed about the scenario, if anything.
    pub note: Option<String>,
    /// Every run: `cell` is the kernel's index; kernel by kernel, seed by seed.
    pub runs: Vec<PlanRun>,
}

/// Plans the survival of `scenario`'s workload on `kernels` (all of them when empty) over
/// `seeds` (the scenario's own seed and overrides are not used).
pub fn plan(
    scenario: &Scenario,
    kernels: &[KernelPreset],
    seeds: &[u64],
) -> Result<SurvivalPlan, ExploreError> {
    super::check_seeds(seeds, MAX_SEEDS, "survival")?;
    let kernels: Vec<KernelPreset> = if kernels.is_empty() {
        KernelPreset::ALL.to_vec()
    } else {
        kernels.to_vec()
    };
    let mut sorted = kernels.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(ExploreError(vec![format!(
            "kernels: {} is given twice; each kernel may appear once",
            w[0].name()
        )]));
    }
    let note = (!scenario.overrides.is_empty()).then(|| {
        format!(
            "each kernel runs as its preset alone, so the scenario's {} is not used",
            crate::policy::MECHANISMS
                .iter()
                .filter_map(|m| Some(format!("{}={}", m.key, scenario.overrides.get(m.key)?)))
                .collect::<Vec<_>>()
                .join(" ")
        )
    });
    let mut runs = Vec::new();
    for (i, &k) in kernels.iter().enumerate() {
        let s = Scenario {
            preset: k,
            overrides: PolicyOverrides::default(),
            ..scenario.clone()
        };
        s.validate().map_err(|e| {
            ExploreError(vec![format!(
                "the workload on {} is not a valid scenario: {e}",
                k.name()
            )])
        })?;
        super::grid::cell_runs(i, &s, seeds, &mut runs);
    }
    let first = Scenario {
        preset: kernels[0],
        overrides: PolicyOverrides::default(),
        seed: seeds[0],
        ..scenario.clone()
    };
    let until_tick = scenario.duration_ms * HZ / 1000;
    Ok(SurvivalPlan {
        link: link::encode(&first),
        kernels: kernels.iter().map(|k| k.name().to_string()).collect(),
        seeds: seeds.to_vec(),
        until_s: scenario.duration_ms as f64 / 1000.0,
        until_tick,
        note,
        runs,
    })
}

/// Runs every run of a plan, `jobs` at a time, and reports them. `progress(done, total)` is
/// called after each run.
pub fn run(
    plan: &SurvivalPlan,
    jobs: usize,
    budget: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SurvivalReport, ExploreError> {
    let scenarios = super::grid::run_scenarios(&plan.runs)?;
    let results = sweep::run_each(
        plan.runs.len(),
        &|i| scenarios[i].clone(),
        jobs,
        budget,
        progress,
        &|s, budget| run_one(0, s, budget),
    )?;
    // the kernel's index is the run's cell in the plan
    let results: Vec<RunResult> = plan
        .runs
        .iter()
        .zip(results)
        .map(|(r, res)| RunResult {
            kernel: r.cell,
            ..res
        })
        .collect();
    report(plan, &results)
}

/// The cause that killed the most dead runs of a kernel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Killer {
    /// The outcome of its first dead run (`deadlock`, `stall`, `out-of-memory`, `none`).
    pub outcome: String,
    /// The wait-for cycle, or the outcome's name when the runs had none.
    pub cause: String,
    /// How many dead runs it killed.
    pub count: usize,
    /// Its first dead run's seed.
    pub seed: u64,
    /// That run's link.
    pub link: String,
}

/// One point of a curve: from `t_s` on, `alive` of the runs are alive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Seconds of simulated time.
    pub t_s: f64,
    /// Fraction of runs alive from then on.
    pub alive: f64,
}

/// One kernel's survival.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KernelSurvival {
    /// The kernel's link name.
    pub kernel: String,
    /// Its one-line description.
    pub description: String,
    /// Runs reported.
    pub runs: usize,
    /// Runs dead by the horizon.
    pub dead: usize,
    /// Runs by outcome (every kind, and `none`).
    pub counts: BTreeMap<String, usize>,
    /// The tick each seed died at, in seed order (`None`: alive at the horizon).
    pub death_ticks: Vec<Option<u64>>,
    /// The curve: 1 at 0, a step at each death tick, the last point at the horizon.
    pub curve: Vec<Step>,
    /// The hang rate at each of [`CHECKPOINTS_S`] (`None` beyond the horizon).
    pub hang_rate: Vec<Option<f64>>,
    /// The median time to hang in seconds (`None` when fewer than half the runs die).
    pub median_s: Option<f64>,
    /// The most frequent cause of death, `None` when no run died.
    pub killer: Option<Killer>,
}

/// What a survival found.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SurvivalReport {
    /// The engine that ran it.
    pub engine_version: String,
    /// The workload's link (first kernel, first seed).
    pub link: String,
    /// The seeds each kernel ran.
    pub seeds: Vec<u64>,
    /// The horizon in seconds.
    pub until_s: f64,
    /// The times of [`KernelSurvival::hang_rate`], in seconds.
    pub checkpoints_s: Vec<u64>,
    /// The plan's note, if any.
    pub note: Option<String>,
    /// The death rule, in words.
    pub rule: String,
    /// Every kernel, in plan order.
    pub kernels: Vec<KernelSurvival>,
}

/// Reports the kernels of a plan whose every run has finished, from the results of a survival
/// stopped part way (a cancelled one): a curve needs all of its kernel's seeds, so the others
/// are left out, and the note says which. `None` when no kernel is complete. A result the plan
/// has no run for, or one given twice, is refused by name, as [`report`] refuses it.
pub fn report_complete(
    plan: &SurvivalPlan,
    results: &[RunResult],
) -> Result<Option<SurvivalReport>, ExploreError> {
    let per = by_kernel(plan, results)?;
    let complete: Vec<usize> = (0..plan.kernels.len())
        .filter(|&i| per[i].len() == plan.seeds.len())
        .collect();
    if complete.is_empty() {
        return Ok(None);
    }
    if complete.len() == plan.kernels.len() {
        return report(plan, results).map(Some);
    }
    let left_out: Vec<&str> = (0..plan.kernels.len())
        .filter(|i| !complete.contains(i))
        .map(|i| plan.kernels[i].as_str())
        .collect();
    // the complete kernels as a plan of their own, each at its place in it
    let sub = SurvivalPlan {
        kernels: complete.iter().map(|&i| plan.kernels[i].clone()).collect(),
        runs: plan
            .runs
            .iter()
            .filter_map(|r| {
                let at = complete.iter().position(|&i| i == r.cell)?;
                Some(PlanRun {
                    cell: at,
                    ..r.clone()
                })
            })
            .collect(),
        note: Some(
            plan.note
                .iter()
                .cloned()
                .chain([format!(
                    "stopped before every run finished: {} left out ({} of their runs missing)",
                    left_out.join(", "),
                    plan.runs.len() - results.len()
                )])
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ..plan.clone()
    };
    let kept: Vec<RunResult> = results
        .iter()
        .filter_map(|r| {
            let at = complete.iter().position(|&i| i == r.kernel)?;
            Some(RunResult {
                kernel: at,
                ..r.clone()
            })
        })
        .collect();
    report(&sub, &kept).map(Some)
}

/// The results of a plan's runs by kernel, each kernel's by seed; a result the plan has no run
/// for, or one given twice, is refused by name.
fn by_kernel<'r>(
    plan: &SurvivalPlan,
    results: &'r [RunResult],
) -> Result<Vec<BTreeMap<u64, &'r RunResult>>, ExploreError> {
    let mut per: Vec<BTreeMap<u64, &RunResult>> = vec![BTreeMap::new(); plan.kernels.len()];
    let mut bad = Vec::new();
    for r in results {
        if r.kernel >= plan.kernels.len() || !plan.seeds.contains(&r.seed) {
            bad.push(format!(
                "result for kernel {} seed {}: the plan has no such run ({} kernels, {} seeds)",
                r.kernel,
                r.seed,
                plan.kernels.len(),
                plan.seeds.len()
            ));
        } else if per[r.kernel].insert(r.seed, r).is_some() {
            bad.push(format!(
                "result for kernel {} seed {} is given twice",
                plan.kernels[r.kernel], r.seed
            ));
        }
    }
    if bad.is_empty() {
        Ok(per)
    } else {
        Err(ExploreError(bad))
    }
}

/// Reports the results of a plan's runs (all of them, in any order); a result the plan has no
/// run for, one given twice, or a missing one is refused by name.
pub fn report(plan: &SurvivalPlan, results: &[RunResult]) -> Result<SurvivalReport, ExploreError> {
    let per = by_kernel(plan, results)?;
    // the first kernel with runs missing
    if let Some((i, got)) = per
        .iter()
        .enumerate()
        .find(|(_, got)| got.len() < plan.seeds.len())
    {
        return Err(ExploreError(vec![format!(
            "kernel {}: {} of its {} runs are missing",
            plan.kernels[i],
            plan.seeds.len() - got.len(),
            plan.seeds.len()
        )]));
    }
    let secs = |t: u64| t as f64 / HZ as f64;
    let mut kernels = Vec::new();
    for (i, name) in plan.kernels.iter().enumerate() {
        let got = &per[i];
        // in the plan's seed order
        let runs: Vec<&RunResult> = plan.seeds.iter().map(|s| got[s]).collect();
        let n = runs.len();
        let death_ticks: Vec<Option<u64>> = runs
            .iter()
            .map(|r| dies(r.kind).then_some(r.tick))
            .collect();
        let mut ticks: Vec<u64> = death_ticks.iter().flatten().copied().collect();
        ticks.sort_unstable();
        let mut curve = vec![Step {
            t_s: 0.0,
            alive: 1.0,
        }];
        let mut dead = 0;
        for (j, &t) in ticks.iter().enumerate() {
            dead += 1;
            if ticks.get(j + 1) != Some(&t) {
                let alive = (n - dead) as f64 / n as f64;
                if t == 0 {
                    curve[0].alive = alive;
                } else {
                    curve.push(Step {
                        t_s: secs(t),
                        alive,
                    });
                }
            }
        }
        curve.push(Step {
            t_s: plan.until_s,
            alive: (n - ticks.len()) as f64 / n as f64,
        });
        let hang_rate = CHECKPOINTS_S
            .iter()
            .map(|&c| {
                (c * HZ <= plan.until_tick)
                    .then(|| ticks.iter().filter(|&&t| t <= c * HZ).count() as f64 / n as f64)
            })
            .collect();
        // the first time at which half the runs or more are dead
        let half = n.div_ceil(2);
        let median_s = (ticks.len() >= half).then(|| secs(ticks[half - 1]));
        let mut causes: Vec<(String, String, usize, &RunResult)> = Vec::new();
        for r in runs.iter().filter(|r| dies(r.kind)) {
            let cause = if r.cycle.is_empty() {
                kind_name(r.kind).to_string()
            } else {
                r.cycle.clone()
            };
            match causes.iter_mut().find(|c| c.0 == cause) {
                Some(c) => c.2 += 1,
                None => causes.push((cause, kind_name(r.kind).to_string(), 1, r)),
            }
        }
        // the most frequent; of equals, the first to appear
        let killer = causes
            .iter()
            .enumerate()
            .max_by_key(|(j, c)| (c.2, std::cmp::Reverse(*j)))
            .map(|(_, (cause, outcome, count, r))| Killer {
                outcome: outcome.clone(),
                cause: cause.clone(),
                count: *count,
                seed: r.seed,
                link: plan
                    .runs
                    .iter()
                    .find(|p| p.cell == i && p.seed == r.seed)
                    .map(|p| p.link.clone())
                    .unwrap_or_default(),
            });
        let preset = KernelPreset::from_name(name);
        kernels.push(KernelSurvival {
            kernel: name.clone(),
            description: preset.map_or("", KernelPreset::description).to_string(),
            runs: n,
            dead: ticks.len(),
            counts: sweep::summarize(runs.iter().map(|r| (r.kind, r.tick))).counts,
            death_ticks,
            curve,
            hang_rate,
            median_s,
            killer,
        });
    }
    Ok(SurvivalReport {
        engine_version: crate::ENGINE_VERSION.to_string(),
        link: plan.link.clone(),
        seeds: plan.seeds.clone(),
        until_s: plan.until_s,
        checkpoints_s: CHECKPOINTS_S.to_vec(),
        note: plan.note.clone(),
        rule: DEATH_RULE.to_string(),
        kernels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Simulation;

    fn short() -> Scenario {
        Scenario {
            duration_ms: 400_000,
            ..Scenario::default()
        }
    }

    #[test]
    fn death_is_the_grids_refusal_of_a_cure() {
        use OutcomeKind::*;
        for k in [Deadlock, Stall, OutOfMemory] {
            assert!(dies(Some(k)), "{k:?}");
        }
        assert!(!dies(Some(Survived)));
        assert!(!dies(Some(Starved)));
        assert!(dies(None));
    }

    #[test]
    fn a_small_survival_agrees_with_single_runs_of_the_engine() {
        let kernels = [KernelPreset::Dfly20080629, KernelPreset::Dfly20080708];
        let seeds = [1, 2, 3, 4];
        let p = plan(&short(), &kernels, &seeds).unwrap();
        let r = run(&p, 2, true, &|_, _| {}).unwrap();
        assert_eq!(r.kernels.len(), 2);
        let mut someone_died = false;
        for (ks, &k) in r.kernels.iter().zip(&kernels) {
            assert_eq!(ks.kernel, k.name());
            // each seed's death, from its own run of the engine
            let mut ticks = Vec::new();
            for (j, &seed) in seeds.iter().enumerate() {
                let mut sim = Simulation::new(&Scenario {
                    preset: k,
                    seed,
                    ..short()
                })
                .unwrap();
                sim.run();
                let o = sim.outcome().unwrap();
                let died = !matches!(o.kind, OutcomeKind::Survived | OutcomeKind::Starved);
                assert_eq!(
                    ks.death_ticks[j],
                    died.then_some(o.tick),
                    "{k:?} seed {seed}"
                );
                if died {
                    ticks.push(o.tick);
                }
            }
            someone_died |= !ticks.is_empty();
            ticks.sort_unstable();
            let dead_by = |t: u64| ticks.iter().filter(|&&d| d <= t * HZ).count() as f64 / 4.0;
            // 300 s is within the 400 s horizon, 1800 s and 3600 s are not
            assert_eq!(ks.hang_rate, vec![Some(dead_by(300)), None, None]);
            assert_eq!(ks.dead, ticks.len());
            assert_eq!(
                ks.median_s,
                (ticks.len() >= 2).then(|| ticks[1] as f64 / HZ as f64)
            );
            assert_eq!(ks.curve[0].t_s, 0.0);
            let last = ks.curve.last().unwrap();
            assert_eq!(last.t_s, 400.0);
            assert_eq!(last.alive, (4 - ticks.len()) as f64 / 4.0);
            // the curve never rises, and steps exactly where runs died
            assert!(ks.curve.windows(2).all(|w| w[1].alive <= w[0].alive));
            for w in ks.curve.windows(2) {
                if w[1].alive < w[0].alive {
                    assert!(ticks.contains(&((w[1].t_s * HZ as f64).round() as u64)));
                }
            }
            match &ks.killer {
                Some(kl) => {
                    assert!(kl.count >= 1 && kl.count <= ticks.len());
                    let dead = link::decode(&kl.link).unwrap();
                    assert_eq!(dead.preset, k);
                    assert_eq!(dead.seed, kl.seed);
                }
                None => assert!(ticks.is_empty()),
            }
        }
        assert!(someone_died, "the small survival should see a death");
        // the same report whatever the number of jobs
        assert_eq!(run(&p, 1, true, &|_, _| {}).unwrap(), r);
    }

    #[test]
    fn the_killer_is_the_most_frequent_cause() {
        let p = plan(&short(), &[KernelPreset::Dfly20080630], &[1, 2, 3, 4, 5]).unwrap();
        let res = |seed, kind, tick, cycle: &str| RunResult {
            kernel: 0,
            seed,
            kind: Some(kind),
            tick,
            cycle: cycle.into(),
            trace_hash: hex(seed),
        };
        use OutcomeKind::*;
        let results = [
            res(1, Deadlock, 9000, "a → b → a"),
            res(2, Stall, 3000, ""),
            res(3, Deadlock, 3000, "a → b → a"),
            res(4, Survived, 40000, ""),
            res(5, Starved, 40000, ""),
        ];
        let r = report(&p, &results).unwrap();
        let k = &r.kernels[0];
        assert_eq!(
            k.death_ticks,
            [Some(9000), Some(3000), Some(3000), None, None]
        );
        let kl = k.killer.as_ref().unwrap();
        assert_eq!((kl.cause.as_str(), kl.count), ("a → b → a", 2));
        assert_eq!((kl.outcome.as_str(), kl.seed), ("deadlock", 1));
        // two die at 30 s, one at 90 s: 3 of 5 dead, the median is the third death
        assert_eq!(
            k.curve,
            [
                Step {
                    t_s: 0.0,
                    alive: 1.0
                },
                Step {
                    t_s: 30.0,
                    alive: 0.6
                },
                Step {
                    t_s: 90.0,
                    alive: 0.4
                },
                Step {
                    t_s: 400.0,
                    alive: 0.4
                },
            ]
        );
        assert_eq!(k.median_s, Some(90.0));
        assert_eq!(k.hang_rate, [Some(0.6), None, None]);
        // fewer than half dead: no median
        let r = report(
            &p,
            &results[1..]
                .iter()
                .cloned()
                .chain([res(1, Survived, 40000, "")])
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!(r.kernels[0].median_s, None);
        // missing and foreign results are refused
        assert!(report(&p, &results[..4]).unwrap_err().0[0].contains("missing"));
        let mut twice = results.to_vec();
        twice.push(res(1, Survived, 0, ""));
        assert!(report(&p, &twice).unwrap_err().0[0].contains("twice"));
    }

    #[test]
    fn a_stopped_survival_reports_the_kernels_whose_every_seed_finished() {
        use KernelPreset::*;
        let p = plan(
            &short(),
            &[Dfly20080630, Dfly20080701, Dfly20080708],
            &[1, 2],
        )
        .unwrap();
        let res = |kernel, seed, kind| RunResult {
            kernel,
            seed,
            kind: Some(kind),
            tick: 3000 * seed,
            cycle: String::new(),
            trace_hash: hex(seed),
        };
        use OutcomeKind::*;
        // 07-01 lacks its second seed
        let results = [
            res(0, 1, Deadlock),
            res(0, 2, Survived),
            res(1, 1, Deadlock),
            res(2, 1, Survived),
            res(2, 2, Stall),
        ];
        let r = report_complete(&p, &results).unwrap().unwrap();
        let names: Vec<&str> = r.kernels.iter().map(|k| k.kernel.as_str()).collect();
        assert_eq!(names, ["dfly-2008-06-30", "dfly-2008-07-08"]);
        assert!(
            r.note
                .as_deref()
                .unwrap()
                .ends_with("stopped before every run finished: dfly-2008-07-01 left out (1 of their runs missing)"),
            "{:?}",
            r.note
        );
        // each kernel kept is what a survival of it alone reports
        let alone = plan(&short(), &[Dfly20080708], &[1, 2]).unwrap();
        let just = report(&alone, &[res(0, 1, Survived), res(0, 2, Stall)]).unwrap();
        assert_eq!(r.kernels[1], just.kernels[0]);
        assert_eq!(r.kernels[0].death_ticks, [Some(3000), None]);
        // nothing complete: nothing to draw; all complete: the whole report
        assert_eq!(report_complete(&p, &results[2..3]).unwrap(), None);
        let all = [&results[..], &[res(1, 2, Survived)]].concat();
        assert_eq!(
            report_complete(&p, &all).unwrap(),
            Some(report(&p, &all).unwrap())
        );
        // a run the plan does not have is still refused
        let foreign = [&results[..], &[res(7, 1, Survived)]].concat();
        assert!(report_complete(&p, &foreign).is_err());
        assert!(report_complete(&p, &[res(7, 1, Survived)]).is_err());
    }

    #[test]
    fn the_plan_covers_every_kernel_and_drops_overrides() {
        let s = link::decode("v=1&preset=dfly-2008-07-01&systhread=off&seed=9&until=60s").unwrap();
        let p = plan(&s, &[], &[5, 6]).unwrap();
        assert_eq!(p.kernels.len(), KernelPreset::ALL.len());
        assert_eq!(p.runs.len(), 2 * KernelPreset::ALL.len());
        assert!(
            p.note.as_deref().unwrap().contains("systhread=off"),
            "{:?}",
            p.note
        );
        for r in &p.runs {
            let run = link::decode(&r.link).unwrap();
            assert_eq!(run.preset, KernelPreset::ALL[r.cell]);
            assert!(run.overrides.is_empty());
            assert_eq!(run.duration_ms, 60_000);
        }
        assert_eq!(p.until_tick, 60 * HZ);
        let e = plan(
            &s,
            &[KernelPreset::Dfly20080630, KernelPreset::Dfly20080630],
            &[1],
        );
        assert!(e.unwrap_err().0[0].contains("twice"));
        assert!(plan(&s, &[], &[]).unwrap_err().0[0].starts_with("seeds:"));
    }
}
