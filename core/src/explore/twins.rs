//! Runs that are one run.
//!
//! A run is a deterministic function of its scenario, and the kernel reads its mechanisms only
//! through accessors that note each one it reads ([`Simulation::consulted`]). A mechanism a run
//! never read cannot have changed anything in it. So a scenario that differs from a run's only
//! in the values of mechanisms that run never consulted — the kernel preset included, which
//! matters only through its mechanisms — is that same run again: the same outcome at the same
//! tick, the same samples, the same console, the same trace hash.
//!
//! The grid flips switches that many runs never reach (`interrupt` and `timedwait` act only once
//! `bio_page_alloc` has failed once, `bdexempt` only when a buf daemon reaches `bd_wait`), so
//! most of its runs are twins of a few: [`run_distinct`] simulates each distinct run once and
//! gives every twin its result. The results are exactly what simulating every run would give; a
//! test runs a grid both ways and compares them.
//!
//! [`Simulation::consulted`]: crate::Simulation::consulted

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use super::sweep::RunEnd;
use super::{admit, start, ExploreError};
use crate::policy::{KernelPreset, Policy, PolicyOverrides, MECHANISMS};
use crate::Scenario;

/// The mechanisms (link keys) whose values differ between `a` and `b`, or `None` when the two
/// scenarios differ in anything but their kernel and its mechanisms.
pub fn mechanisms_between(a: &Scenario, b: &Scenario) -> Option<Vec<&'static str>> {
    (rest(a) == rest(b)).then(|| policy_diff(&a.policy(), &b.policy()))
}

/// The mechanisms (link keys) whose values differ between two policies.
fn policy_diff(a: &Policy, b: &Policy) -> Vec<&'static str> {
    MECHANISMS
        .iter()
        .map(|m| m.key)
        .filter(|&k| a.get(k) != b.get(k))
        .collect()
}

/// Whether a run of `b` would be the run of `a`, which consulted the mechanisms `consulted`.
pub fn same_run(a: &Scenario, consulted: &[&str], b: &Scenario) -> bool {
    mechanisms_between(a, b).is_some_and(|d| d.iter().all(|k| !consulted.contains(k)))
}

/// A scenario without its kernel: what two runs must share to be one run.
fn rest(s: &Scenario) -> Scenario {
    Scenario {
        preset: KernelPreset::Dfly20080630,
        overrides: PolicyOverrides::default(),
        ..s.clone()
    }
}

/// One run of a set: how it ended, what it consulted, and whether it was simulated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distinct {
    /// How the run ended.
    pub end: RunEnd,
    /// The mechanisms the run consulted (its twin's, for a twin).
    pub consulted: Vec<&'static str>,
    /// The index of the simulated run this one is the same run as; `None` when it was simulated.
    pub twin: Option<usize>,
}

/// Runs `n` scenarios, the `i`th being `scenario(i)`, `jobs` at a time, simulating each distinct
/// run once, and gives how each ended, in order: exactly what [`super::sweep::run_all`] gives.
///
/// Run `i` is the twin of the first simulated run `j < i` that it would be ([`same_run`]), and is
/// simulated when there is none: what one thread going through the runs in order would do, so
/// which runs are twins does not depend on `jobs` either. A run waits for the earlier runs that
/// share everything but their kernel with it to be decided. A scenario that cannot run stops the
/// whole set with its problems, twin or not.
pub fn run_distinct(
    n: usize,
    scenario: &(dyn Fn(usize) -> Scenario + Sync),
    jobs: usize,
    budget: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Distinct>, ExploreError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    // the earlier runs each run must wait for: those that share everything but the kernel; and
    // each run's policy, all a twin can differ in
    let mut groups: HashMap<Scenario, Vec<usize>> = HashMap::new();
    let mut earlier: Vec<Vec<usize>> = Vec::with_capacity(n);
    let mut policies: Vec<Policy> = Vec::with_capacity(n);
    for i in 0..n {
        let s = scenario(i);
        policies.push(s.policy());
        let g = groups.entry(rest(&s)).or_default();
        earlier.push(g.clone());
        g.push(i);
    }
    drop(groups);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<ExploreError>> = Mutex::new(None);
    // each run: None until decided (a twin) or simulated
    let state: Mutex<Vec<Option<Distinct>>> = Mutex::new(vec![None; n]);
    let decided = Condvar::new();
    let fail = |e: ExploreError| {
        failed.store(true, Ordering::Relaxed);
        if let Ok(mut f) = first_error.lock() {
            f.get_or_insert(e);
        }
        decided.notify_all();
    };
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= n || failed.load(Ordering::Relaxed) {
            return;
        }
        let s = scenario(i);
        if let Err(e) = admit(&s, budget, "") {
            fail(e);
            return;
        }
        let twin = {
            let Ok(mut st) = state.lock() else { return };
            while !failed.load(Ordering::Relaxed) && earlier[i].iter().any(|&j| st[j].is_none()) {
                st = match decided.wait(st) {
                    Ok(st) => st,
                    Err(_) => return,
                };
            }
            if failed.load(Ordering::Relaxed) {
                return;
            }
            earlier[i].iter().find_map(|&j| {
                let d = st[j].as_ref()?;
                let unread = || {
                    policy_diff(&policies[j], &policies[i])
                        .iter()
                        .all(|k| !d.consulted.contains(k))
                };
                (d.twin.is_none() && unread()).then(|| Distinct {
                    end: d.end,
                    consulted: d.consulted.clone(),
                    twin: Some(j),
                })
            })
        };
        let one = match twin {
            Some(t) => t,
            None => {
                let mut sim = match start(&s, budget, "") {
                    Ok(sim) => sim,
                    Err(e) => {
                        fail(e);
                        return;
                    }
                };
                sim.run();
                let (kind, tick) = sim.outcome().map_or((None, 0), |o| (Some(o.kind), o.tick));
                Distinct {
                    end: RunEnd {
                        seed: s.seed,
                        kind,
                        tick,
                        trace_hash: sim.trace_hash(),
                    },
                    consulted: sim.consulted(),
                    twin: None,
                }
            }
        };
        if let Ok(mut st) = state.lock() {
            st[i] = Some(one);
        }
        decided.notify_all();
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, n);
    };
    super::sweep::on_threads(jobs, n, &worker);
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let state = state.into_inner().unwrap_or_default();
    Ok(state.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::sweep;
    use crate::scenario::link;

    fn sc(l: &str) -> Scenario {
        link::decode(l).unwrap()
    }

    #[test]
    fn scenarios_differ_in_mechanisms_only_when_all_else_is_equal() {
        let a = sc("v=1&preset=dfly-2008-06-30&ram=64M&seed=3");
        let b = sc("v=1&preset=dfly-2008-07-01&ram=64M&seed=3");
        let d = mechanisms_between(&a, &b).unwrap();
        assert!(
            d.contains(&"bio") && d.contains(&"recoverbufpages"),
            "{d:?}"
        );
        assert!(!d.contains(&"oomkill"), "{d:?}");
        assert_eq!(mechanisms_between(&a, &a), Some(vec![]));
        let other_seed = sc("v=1&preset=dfly-2008-06-30&ram=64M&seed=4");
        assert_eq!(mechanisms_between(&a, &other_seed), None);
        let other_ram = sc("v=1&preset=dfly-2008-06-30&ram=96M&seed=3");
        assert_eq!(mechanisms_between(&a, &other_ram), None);
    }

    #[test]
    fn a_run_is_its_twin_only_if_it_never_read_what_differs() {
        let a = sc("v=1&preset=dfly-2008-06-30&bio=fix-0701&seed=3");
        let b = sc("v=1&preset=dfly-2008-06-30&bio=fix-0701&bdexempt=on&seed=3");
        assert!(same_run(&a, &["bio"], &b));
        assert!(!same_run(&a, &["bio", "bdexempt"], &b));
        let c = sc("v=1&preset=dfly-2008-06-30&bio=fix-0701&seed=4");
        assert!(!same_run(&a, &[], &c), "another seed is another run");
    }

    /// The grid's switches on a short scenario where some are read and some never are: every
    /// result `run_distinct` gives equals the one simulating that run gives, whatever the jobs.
    #[test]
    fn twins_give_exactly_what_simulating_them_gives() {
        let base = "v=1&preset=dfly-2008-06-30&ram=48M&bio=fix-0701&until=20s";
        let keys = ["recoverbufpages", "interrupt", "timedwait", "bdexempt"];
        let mut scenarios = Vec::new();
        for seed in 1..=3 {
            for mask in 0..16u32 {
                let mut l = format!("{base}&seed={seed}");
                for (b, k) in keys.iter().enumerate() {
                    let v = if mask & 1 << b != 0 { "on" } else { "off" };
                    l.push_str(&format!("&{k}={v}"));
                }
                scenarios.push(sc(&l));
            }
        }
        let every = sweep::run_all(
            scenarios.len(),
            &|i| scenarios[i].clone(),
            2,
            true,
            &|_, _| {},
        )
        .unwrap();
        let mut by_jobs = Vec::new();
        for jobs in [1, 2] {
            let distinct = run_distinct(
                scenarios.len(),
                &|i| scenarios[i].clone(),
                jobs,
                true,
                &|_, _| {},
            )
            .unwrap();
            let ends: Vec<RunEnd> = distinct.iter().map(|d| d.end).collect();
            assert_eq!(ends, every, "jobs={jobs}");
            let twins = distinct.iter().filter(|d| d.twin.is_some()).count();
            assert!(twins > 0, "jobs={jobs}: no run was a twin");
            for (i, d) in distinct.iter().enumerate() {
                if let Some(j) = d.twin {
                    assert!(distinct[j].twin.is_none() && j != i);
                    let between = mechanisms_between(&scenarios[j], &scenarios[i]).unwrap();
                    assert!(between.iter().all(|k| !d.consulted.contains(k)));
                }
            }
            by_jobs.push(distinct);
        }
        assert_eq!(
            by_jobs[0], by_jobs[1],
            "which runs are twins depends on jobs"
        );
    }

    #[test]
    fn a_twin_that_cannot_run_stops_the_set() {
        let ok = sc("v=1&preset=dfly-2008-06-30&until=2s");
        let mut bad = ok.clone();
        bad.overrides.set("recoverbufpages", "on").unwrap();
        let set = [ok, bad];
        let e = run_distinct(2, &|i| set[i].clone(), 1, true, &|_, _| {}).unwrap_err();
        assert!(e.to_string().contains("recoverbufpages"), "{e}");
    }
}
