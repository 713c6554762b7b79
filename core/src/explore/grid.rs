//! The switch grid: which parts of the fix cure a scenario.
//!
//! **The switches** are the fix's on/off mechanisms: those of [`MECHANISMS`] whose values are
//! `off`/`on` and that the 2008-07-01 kernel has on and the 2008-06-30 kernel off (today seven:
//! `recoverbufpages`, `interrupt`, `timedwait`, `systhread`, `bdexempt`, `hammerbwill`,
//! `usereserve`). A mechanism added to the fix the same way joins the grid by itself.
//!
//! **The cells** are every on/off combination of them, on top of the scenario's other settings
//! (its kernel, its non-boolean mechanisms such as `bio`, `dirtylimit`, `bdspeedup`, the machine
//! and the load), in a stable order: by the number of switches on, then by the switches' order
//! in [`MECHANISMS`] (`{}`, `{recoverbufpages}`, `{interrupt}`, …, `{recoverbufpages,
//! interrupt}`, …, all on). Three of the switches are parts of `bio_page_alloc()` and do not
//! exist without it, so on a scenario whose `bio` is `pre-0630` the grid runs on `bio=fix-0701`
//! (the post's) and the plan's note says so — the rule the page's switches follow. A switch the
//! scenario sets itself is set by every cell instead, and the note says that too.
//!
//! **The runs** are each cell with each seed, cell by cell.
//!
//! **The cure rule** ([`CURE_RULE`]): a cell cures the scenario when each of its seeds ran to its
//! end with the machine going on — *survived* or *starved*. A deadlock or a stall is the lockup
//! itself; *out of memory* ends the run with the daemon's kill, so it is no cure either. A
//! starved run (a process waited longer than the hang window while the rest of the machine went
//! on) is not a hang, so it counts as cured; the cell's counts show how many starved.
//!
//! **The smallest cures** are the curing cells minimal by inclusion — no curing cell has a
//! proper subset of their switches on — smallest first, in cell order. Only complete cells (every
//! seed reported) are judged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{hex, severity, sweep, twins, ExploreError};
use crate::policy::{BioVariant, KernelPreset, Mechanism, MECHANISMS};
use crate::scenario::link;
use crate::trace::Fnv;
use crate::{OutcomeKind, Scenario};

/// The rule a cell cures by, in one sentence (the report carries it).
pub const CURE_RULE: &str = "a cell cures the scenario when every seed runs to its end with the \
    machine going on (survived or starved); a deadlock or a stall is the lockup, and out of memory \
    ends the run with a kill, so neither cures";

/// At most this many seeds per grid.
pub const MAX_SEEDS: usize = 1000;

pub use super::SEVERITY;

/// The fix's on/off switches (see the module), in [`MECHANISMS`] order.
pub fn switches() -> Vec<&'static Mechanism> {
    let (before, after) = (
        KernelPreset::Dfly20080630.policy(),
        KernelPreset::Dfly20080701.policy(),
    );
    MECHANISMS
        .iter()
        .filter(|m| m.values == ["off", "on"])
        .filter(|m| before.get(m.key) == Some("off") && after.get(m.key) == Some("on"))
        .collect()
}

/// One combination of switches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanCell {
    /// The switches on (link keys), in switch order; the others are off.
    pub on: Vec<String>,
    /// The link of the cell's scenario with the first seed.
    pub link: String,
}

/// One run of the grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRun {
    /// Index into the cells.
    pub cell: usize,
    /// The seed.
    pub seed: u64,
    /// The run's link.
    pub link: String,
}

/// What a grid will run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GridPlan {
    /// The switches (link keys), in order.
    pub switches: Vec<String>,
    /// Said when the grid does not run on the scenario as given (a `bio` brought in).
    pub note: Option<String>,
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// Every combination, in the stable order of the module.
    pub cells: Vec<PlanCell>,
    /// Every cell with every seed, cell by cell.
    pub runs: Vec<PlanRun>,
}

/// The scenarios of a plan's runs, in their order (for a runner); grid, map and survival plans
/// alike.
pub fn run_scenarios(runs: &[PlanRun]) -> Result<Vec<Scenario>, ExploreError> {
    runs.iter()
        .map(|r| link::decode(&r.link).map_err(|e| ExploreError(vec![format!("{}: {e}", r.link)])))
        .collect()
}

/// Runs `runs`, `jobs` at a time, and gives their results in their order. Each distinct run is
/// simulated once ([`twins::run_distinct`]): a run that differs from a finished one only in
/// switches that one never consulted gets its result, and `twin` says which.
/// `progress(done, total)` is called after each run.
pub fn run_runs(
    runs: &[PlanRun],
    jobs: usize,
    budget: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<RunResult>, ExploreError> {
    let scenarios = run_scenarios(runs)?;
    let ends = twins::run_distinct(
        scenarios.len(),
        &|i| scenarios[i].clone(),
        jobs,
        budget,
        progress,
    )?;
    Ok(runs
        .iter()
        .zip(ends)
        .map(|(r, d)| RunResult {
            cell: r.cell,
            seed: r.seed,
            kind: d.end.kind,
            tick: d.end.tick,
            trace_hash: hex(d.end.trace_hash),
            twin: d.twin,
        })
        .collect())
}

/// Runs every run of a plan, `jobs` at a time ([`run_runs`]), and reports.
/// `progress(done, total)` is called after each run.
pub fn run(
    plan: &GridPlan,
    jobs: usize,
    budget: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<GridReport, ExploreError> {
    let results = run_runs(&plan.runs, jobs, budget, progress)?;
    report(plan, &results)
}

/// Every index set of `n` switches, by size, then in lexicographic order of the indices.
fn combinations(n: usize) -> Vec<Vec<usize>> {
    fn extend(from: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in from..n {
            cur.push(i);
            extend(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    for k in 0..=n {
        extend(0, n, k, &mut Vec::new(), &mut out);
    }
    out
}

/// Adds one run of a plan's cell per seed to `runs`; returns the cell's own link (its first seed).
pub(super) fn cell_runs(
    cell: usize,
    s: &Scenario,
    seeds: &[u64],
    runs: &mut Vec<PlanRun>,
) -> String {
    for &seed in seeds {
        runs.push(PlanRun {
            cell,
            seed,
            link: link::encode(&Scenario { seed, ..s.clone() }),
        });
    }
    link::encode(&Scenario {
        seed: seeds[0],
        ..s.clone()
    })
}

/// Plans the grid of `scenario` over `seeds` (the scenario's own seed is not used).
pub fn plan(scenario: &Scenario, seeds: &[u64]) -> Result<GridPlan, ExploreError> {
    super::check_seeds(seeds, MAX_SEEDS, "grid")?;
    let sw = switches();
    let mut base = scenario.clone();
    let mut notes = Vec::new();
    if base.policy().bio == BioVariant::Pre0630 {
        let _ = base.overrides.set("bio", "fix-0701");
        notes.push(format!(
            "bio=pre-0630 has no {}: the grid runs on bio=fix-0701 (4ecf7cc9c0), as the \
             switches of the page do",
            ["recoverbufpages", "interrupt", "timedwait"]
                .into_iter()
                .filter(|k| sw.iter().any(|m| m.key == *k))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let given: Vec<String> = sw
        .iter()
        .filter_map(|m| Some(format!("{}={}", m.key, scenario.overrides.get(m.key)?)))
        .collect();
    if !given.is_empty() {
        notes.push(format!(
            "the grid sets every switch in every cell, so the scenario's {} is not used",
            given.join(" ")
        ));
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    let mut cells = Vec::new();
    let mut runs = Vec::new();
    for on in combinations(sw.len()) {
        let mut s = base.clone();
        for (i, m) in sw.iter().enumerate() {
            let v = if on.contains(&i) { "on" } else { "off" };
            // every value of a switch is one `set` accepts
            let _ = s.overrides.set(m.key, v);
        }
        s.overrides = s.overrides.normalized(s.preset);
        let names: Vec<String> = on.iter().map(|&i| sw[i].key.to_string()).collect();
        s.validate().map_err(|e| {
            ExploreError(vec![format!(
                "the cell with {{{}}} on is not a valid scenario: {e}",
                names.join(", ")
            )])
        })?;
        let link = cell_runs(cells.len(), &s, seeds, &mut runs);
        cells.push(PlanCell { on: names, link });
    }
    Ok(GridPlan {
        switches: sw.iter().map(|m| m.key.to_string()).collect(),
        note,
        seeds: seeds.to_vec(),
        cells,
        runs,
    })
}

/// How one run of a grid ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    /// Index into the plan's cells.
    pub cell: usize,
    /// The seed.
    pub seed: u64,
    /// The outcome; `None` for a run that has none (it did not finish).
    pub kind: Option<OutcomeKind>,
    /// The outcome's tick.
    pub tick: u64,
    /// The run's trace hash, 16 hex digits.
    pub trace_hash: String,
    /// When the run was not simulated: the index (among the runs run together) of the simulated
    /// run it is the same run as ([`twins`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin: Option<usize>,
}

/// One cell of a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CellReport {
    /// The switches on.
    pub on: Vec<String>,
    /// The cell's link (first seed).
    pub link: String,
    /// Runs reported, of the plan's seeds.
    pub runs: usize,
    /// Runs by outcome (`deadlock`, `stall`, `out-of-memory`, `starved`, `survived`, and `none`
    /// for runs without an outcome); every kind is present.
    pub counts: BTreeMap<String, usize>,
    /// The seed of the worst run (see [`SEVERITY`]; the earliest of equals, then the smallest
    /// seed), `None` before any run is reported.
    pub worst_seed: Option<u64>,
    /// That run's link.
    pub worst_link: Option<String>,
    /// Whether the cell cures the scenario ([`CURE_RULE`]); false while it is incomplete.
    pub cures: bool,
    /// A hash of the cell's runs (each seed and its trace hash, in seed order): two grids agree
    /// on a cell when these are equal.
    pub hash: String,
}

/// What a grid found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GridReport {
    /// The switches, in order.
    pub switches: Vec<String>,
    /// The plan's note, if any.
    pub note: Option<String>,
    /// Every cell, in plan order.
    pub cells: Vec<CellReport>,
    /// The smallest sets of switches that cure the scenario (see the module), smallest first.
    pub cures: Vec<Vec<String>>,
    /// The cure rule, in words.
    pub rule: String,
    /// How many of the runs reported were simulated; each of the others differed from one of
    /// those only in switches that run never consulted, and is that run ([`twins`]).
    pub simulated: usize,
}

/// The results of a plan's runs by cell, each cell's by seed; a result the plan has no run for,
/// or one given twice, is refused by name. Grids and maps share this.
pub(crate) fn by_cell<'r>(
    cells: usize,
    runs: &[PlanRun],
    seeds: &[u64],
    results: &'r [RunResult],
) -> Result<Vec<BTreeMap<u64, &'r RunResult>>, ExploreError> {
    let known: std::collections::BTreeSet<(usize, u64)> =
        runs.iter().map(|p| (p.cell, p.seed)).collect();
    let mut per_cell: Vec<BTreeMap<u64, &RunResult>> = vec![BTreeMap::new(); cells];
    let mut bad = Vec::new();
    for r in results {
        if !known.contains(&(r.cell, r.seed)) {
            bad.push(format!(
                "result for cell {} seed {}: the plan has no such run ({cells} cells, seeds {:?})",
                r.cell, r.seed, seeds
            ));
        } else if per_cell[r.cell].insert(r.seed, r).is_some() {
            bad.push(format!(
                "result for cell {} seed {} is given twice",
                r.cell, r.seed
            ));
        }
    }
    if bad.is_empty() {
        Ok(per_cell)
    } else {
        Err(ExploreError(bad))
    }
}

/// A cell's worst run ([`SEVERITY`]; the earliest of equals, then the smallest seed), that run's
/// link, and a hash of the cell's runs (each seed and its trace hash, in seed order).
pub(crate) fn worst_and_hash(
    cell: usize,
    runs: &[PlanRun],
    got: &BTreeMap<u64, &RunResult>,
) -> (Option<u64>, Option<String>, String) {
    let worst = got
        .values()
        .min_by_key(|r| (severity(r.kind), r.tick, r.seed));
    let worst_link = worst.and_then(|w| {
        runs.iter()
            .find(|p| p.cell == cell && p.seed == w.seed)
            .map(|p| p.link.clone())
    });
    let mut h = Fnv::default();
    for (seed, r) in got {
        h.write(&seed.to_le_bytes());
        h.write(r.trace_hash.as_bytes());
    }
    (worst.map(|w| w.seed), worst_link, hex(h.0))
}

/// Summarises the results of a plan's runs (any subset of them, in any order).
pub fn report(plan: &GridPlan, results: &[RunResult]) -> Result<GridReport, ExploreError> {
    let per_cell = by_cell(plan.cells.len(), &plan.runs, &plan.seeds, results)?;
    let mut cells = Vec::new();
    for (i, cell) in plan.cells.iter().enumerate() {
        let got = &per_cell[i];
        let counts = sweep::summarize(got.values().map(|r| (r.kind, r.tick))).counts;
        let (worst_seed, worst_link, hash) = worst_and_hash(i, &plan.runs, got);
        let complete = got.len() == plan.seeds.len();
        let cures = complete
            && got
                .values()
                .all(|r| matches!(r.kind, Some(OutcomeKind::Survived | OutcomeKind::Starved)));
        cells.push(CellReport {
            on: cell.on.clone(),
            link: cell.link.clone(),
            runs: got.len(),
            counts,
            worst_seed,
            worst_link,
            cures,
            hash,
        });
    }
    let curing: Vec<&CellReport> = cells.iter().filter(|c| c.cures).collect();
    let subset = |x: &[String], y: &[String]| x.iter().all(|k| y.contains(k));
    let cures = curing
        .iter()
        .filter(|c| {
            !curing
                .iter()
                .any(|d| d.on.len() < c.on.len() && subset(&d.on, &c.on))
        })
        .map(|c| c.on.clone())
        .collect();
    Ok(GridReport {
        switches: plan.switches.clone(),
        note: plan.note.clone(),
        cells,
        cures,
        rule: CURE_RULE.to_string(),
        simulated: results.iter().filter(|r| r.twin.is_none()).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switches_are_the_seven_booleans_of_the_fix() {
        let keys: Vec<&str> = switches().iter().map(|m| m.key).collect();
        assert_eq!(
            keys,
            [
                "recoverbufpages",
                "interrupt",
                "timedwait",
                "systhread",
                "bdexempt",
                "hammerbwill",
                "usereserve"
            ]
        );
    }

    #[test]
    fn the_plan_holds_every_combination_once_smallest_first() {
        let p = plan(&Scenario::default(), &[1, 2, 3]).unwrap();
        assert_eq!(p.cells.len(), 128);
        assert_eq!(p.runs.len(), 128 * 3);
        assert!(p.cells[0].on.is_empty());
        assert_eq!(p.cells[1].on, ["recoverbufpages"]);
        assert_eq!(p.cells[8].on, ["recoverbufpages", "interrupt"]);
        assert_eq!(p.cells[127].on.len(), 7);
        let mut seen: Vec<_> = p.cells.iter().map(|c| c.on.clone()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 128);
        assert!(p.cells.windows(2).all(|w| w[0].on.len() <= w[1].on.len()));
        // the default scenario has bio=pre-0630: the grid brings bio_page_alloc in, and says so
        assert!(p.note.as_deref().unwrap().contains("bio=fix-0701"));
        // the cell with everything on is 2008-07-01's bundle on the 06-30 kernel
        let all = link::decode(&p.cells[127].link).unwrap();
        let fix = KernelPreset::Dfly20080701.policy();
        for m in switches() {
            assert_eq!(all.policy().get(m.key), fix.get(m.key));
        }
        assert_eq!(p.runs[4].cell, 1);
        assert_eq!(link::decode(&p.runs[4].link).unwrap().seed, 2);
    }

    #[test]
    fn a_fix_kernel_keeps_its_bio_and_has_no_note() {
        let s = Scenario {
            preset: KernelPreset::Dfly20080708,
            ..Scenario::default()
        };
        let p = plan(&s, &[5]).unwrap();
        assert_eq!(p.note, None);
        let cell = link::decode(&p.cells[0].link).unwrap();
        assert_eq!(cell.policy().bio, BioVariant::Fix0708);
        assert!(!cell.policy().recoverbufpages);
    }

    #[test]
    fn a_switch_the_scenario_sets_is_said_to_be_unused() {
        let s = link::decode("v=1&preset=dfly-2008-07-01&systhread=off").unwrap();
        let p = plan(&s, &[1]).unwrap();
        assert_eq!(
            p.note.as_deref(),
            Some("the grid sets every switch in every cell, so the scenario's systhread=off is not used")
        );
        // and the cells do set it
        assert!(
            link::decode(&p.cells[4].link)
                .unwrap()
                .policy()
                .systhread_bufdaemons
        );
        assert_eq!(p.cells[4].on, ["systhread"]);
    }

    #[test]
    fn bad_seeds_are_refused_by_name() {
        let s = Scenario::default();
        assert!(plan(&s, &[]).unwrap_err().0[0].starts_with("seeds:"));
        assert!(plan(&s, &[3, 1, 3]).unwrap_err().0[0].contains("3 is given twice"));
    }

    fn result(cell: usize, seed: u64, kind: OutcomeKind, tick: u64) -> RunResult {
        RunResult {
            cell,
            seed,
            kind: Some(kind),
            tick,
            trace_hash: format!("{:016x}", seed * 1000 + cell as u64),
            twin: None,
        }
    }

    #[test]
    fn the_smallest_cures_are_minimal_by_inclusion() {
        use OutcomeKind::*;
        let p = plan(&Scenario::default(), &[1, 2]).unwrap();
        let index = |on: &[&str]| p.cells.iter().position(|c| c.on == on).unwrap();
        // every cell deadlocks on seed 1, except those with systhread on, or with both
        // hammerbwill and usereserve on; seed 2 survives everywhere but starves with systhread
        let mut results = Vec::new();
        for (i, c) in p.cells.iter().enumerate() {
            let has = |k: &str| c.on.iter().any(|o| o == k);
            let cured = has("systhread") || (has("hammerbwill") && has("usereserve"));
            results.push(result(
                i,
                1,
                if cured { Survived } else { Deadlock },
                500 + i as u64,
            ));
            results.push(result(
                i,
                2,
                if has("systhread") { Starved } else { Survived },
                30_000,
            ));
        }
        let r = report(&p, &results).unwrap();
        assert_eq!(
            r.cures,
            vec![vec!["systhread"], vec!["hammerbwill", "usereserve"]]
        );
        let none = &r.cells[index(&[])];
        assert!(!none.cures);
        assert_eq!(none.counts["deadlock"], 1);
        assert_eq!(none.counts["survived"], 1);
        assert_eq!(none.worst_seed, Some(1));
        assert_eq!(none.worst_link.as_deref(), Some(p.runs[0].link.as_str()));
        assert!(
            r.cells[index(&["systhread"])].cures,
            "starved counts as cured"
        );
        assert_eq!(r.rule, CURE_RULE);
        // the same results in another order give the same report
        results.reverse();
        assert_eq!(report(&p, &results).unwrap(), r);
        // an incomplete cell is not judged
        let partial: Vec<_> = results.iter().filter(|r| r.seed == 1).cloned().collect();
        let r = report(&p, &partial).unwrap();
        assert!(r.cells.iter().all(|c| !c.cures && c.runs == 1));
        assert!(r.cures.is_empty());
    }

    #[test]
    fn results_outside_the_plan_are_refused() {
        let p = plan(&Scenario::default(), &[1]).unwrap();
        let e = report(&p, &[result(128, 1, OutcomeKind::Survived, 0)]).unwrap_err();
        assert!(e.0[0].contains("no such run"), "{e}");
        let twice = [
            result(0, 1, OutcomeKind::Survived, 0),
            result(0, 1, OutcomeKind::Survived, 0),
        ];
        assert!(report(&p, &twice).unwrap_err().0[0].contains("twice"));
    }
}
