//! Phase maps: where a scenario hangs, over two of its numeric parameters.
//!
//! **The axes** are two different numeric link keys ([`link::numeric_keys`]: `ram`, `mrate`,
//! `writers`, `wrate`, `bw`, `hog`, `until`, ...), each with its values, written
//!
//! ```text
//! mrate=500/s..5000/s:10     10 values from 500/s to 5000/s, evenly spaced (linear)
//! ram=64M..512M:8            64M, 128M, 192M, ..., 512M
//! writers=1,2,4,8            exactly these values (any spacing: list them)
//! ```
//!
//! `A..B:N` is N values (2 or more, [`MAX_STEPS`] at most) from A to B both included, in the
//! key's own syntax and unit; spacing is linear: the i-th value is A + (B − A)·i/(N − 1) in the
//! key's unit (MiB for `ram`, pages a second for `mrate`), rounded to the nearest whole unit, half
//! up — integer arithmetic only, so a plan is the same natively and in wasm. A range whose steps
//! would repeat a value (`writers=0..2:5`) is refused, naming how many fit. For any other spacing
//! (doubling RAM, say) list the values. B may be below A: the values then go down.
//!
//! **The cells** are every pair of values, the scenario with both keys set through the link
//! codec ([`link::apply`]), so a value that the key does not take, or one outside the scenario's
//! limits, is refused with the codec's own message, naming the axis and the value. Cells are in
//! row order: `y` outer, `x` inner (cell = iy·nx + ix). **The runs** are each cell with each seed,
//! cell by cell, as in the switch grid.
//!
//! **Per cell**: the runs by outcome, the hang rate (deadlocks and stalls over runs), the time to
//! hang of the hung runs (median, quartiles, mean: [`sweep::Summary`], the numbers
//! `pageout-sim sweep` prints for the same point), the worst run ([`super::SEVERITY`]: a
//! deadlock before a stall, the earliest of equals, then the smallest seed) and its link, and a
//! hash of the cell's runs.

use serde::{Deserialize, Serialize};

use super::grid::{by_cell, cell_runs, run_runs, worst_and_hash, PlanRun, RunResult};
use super::{sweep, ExploreError};
use crate::scenario::link;
use crate::Scenario;

/// At most this many values on an axis.
pub const MAX_STEPS: usize = 50;

/// At most this many seeds per map.
pub const MAX_SEEDS: usize = 1000;

/// At most this many runs per map.
pub const MAX_RUNS: usize = 200_000;

/// One axis of a map: a numeric link key and its values, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Axis {
    /// The link key (`ram`).
    pub key: String,
    /// The values, each in the key's canonical syntax (`64M`), in order.
    pub values: Vec<String>,
    /// The axis as written canonically: `ram=64M..512M:8`, or `writers=1,2,4` for a list.
    pub spec: String,
}

/// Reads an axis: `KEY=A..B:N` (N values, linearly spaced) or `KEY=V1,V2,...`. Each value must
/// read in the key's syntax; whether the scenario takes it is checked by [`plan`].
pub fn parse_axis(text: &str) -> Result<Axis, String> {
    let syntax = "KEY=A..B:N (N values from A to B, linearly spaced) or KEY=V1,V2,... \
                  (e.g. mrate=500/s..5000/s:10, ram=64M,128M,256M)";
    let Some((key, rest)) = text.trim().split_once('=') else {
        return Err(format!("{text:?} is not an axis: allowed is {syntax}"));
    };
    let key = key.trim();
    if !link::numeric_keys().contains(&key) {
        return Err(format!(
            "{key:?} in {text:?} is not a numeric key: an axis is one of {}",
            link::numeric_keys().join(", ")
        ));
    }
    let numbers: Vec<u64> = if let Some((range, steps)) = rest.split_once(':') {
        let Some((a, b)) = range.split_once("..") else {
            return Err(format!("{text:?} is not an axis: allowed is {syntax}"));
        };
        let (a, b) = (link::parse_number(key, a)?, link::parse_number(key, b)?);
        let n: usize = steps
            .parse()
            .ok()
            .filter(|n| (2..=MAX_STEPS).contains(n))
            .ok_or_else(|| {
                format!(
                    "{steps:?} in {text:?} is not a number of steps: allowed are 2..={MAX_STEPS} \
                     (for one value write {key}=V)"
                )
            })?;
        if a == b {
            return Err(format!(
                "{text:?} goes from {} to itself: give two different ends, or one value {key}={}",
                link::number_text(key, a),
                link::number_text(key, a)
            ));
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let span = u128::from(hi - lo);
        let values: Vec<u64> = (0..n)
            .map(|i| {
                // lo + span·i/(n−1), rounded half up, in whole units of the key
                let num = span * i as u128 * 2 + (n as u128 - 1);
                let step = num / (2 * (n as u128 - 1));
                if a <= b {
                    lo + step as u64
                } else {
                    hi - step as u64
                }
            })
            .collect();
        if values.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!(
                "{text:?}: {n} steps would repeat values ({key} moves in whole units of {}; at \
                 most {} steps fit between its ends)",
                link::number_text(key, 1),
                span + 1
            ));
        }
        values
    } else {
        let values = rest
            .split(',')
            .map(|v| link::parse_number(key, v.trim()))
            .collect::<Result<Vec<u64>, String>>()?;
        if values.len() > MAX_STEPS {
            return Err(format!(
                "{text:?} has {} values: at most {MAX_STEPS} per axis",
                values.len()
            ));
        }
        let mut sorted = values.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!(
                "{text:?} gives {} twice: each value may appear once",
                link::number_text(key, w[0])
            ));
        }
        values
    };
    let values: Vec<String> = numbers.iter().map(|&v| link::number_text(key, v)).collect();
    let spec = match rest.split_once(':') {
        Some(_) => format!(
            "{key}={}..{}:{}",
            values[0],
            values[values.len() - 1],
            values.len()
        ),
        None => format!("{key}={}", values.join(",")),
    };
    Ok(Axis {
        key: key.to_string(),
        values,
        spec,
    })
}

/// One cell of a map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapCell {
    /// Index into the x axis's values.
    pub x: usize,
    /// Index into the y axis's values.
    pub y: usize,
    /// The link of the cell's scenario with the first seed.
    pub link: String,
}

/// What a map will run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapPlan {
    /// The scenario's link (with the first seed); the axes' keys take the cells' values.
    pub link: String,
    pub x: Axis,
    pub y: Axis,
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// Every cell, y outer, x inner.
    pub cells: Vec<MapCell>,
    /// Every cell with every seed, cell by cell.
    pub runs: Vec<PlanRun>,
}

/// Plans the map of `scenario` over the axes and `seeds` (the scenario's own seed and its values
/// of the two keys are not used).
pub fn plan(
    scenario: &Scenario,
    x: &Axis,
    y: &Axis,
    seeds: &[u64],
) -> Result<MapPlan, ExploreError> {
    let bad = |m: String| ExploreError(vec![m]);
    if x.key == y.key {
        return Err(bad(format!(
            "the axes are both {}: a map needs two different keys",
            x.key
        )));
    }
    super::check_seeds(seeds, MAX_SEEDS, "map")?;
    let total = x.values.len() * y.values.len() * seeds.len();
    if total > MAX_RUNS {
        return Err(bad(format!(
            "the map has {} × {} cells × {} seeds = {total} runs; at most {MAX_RUNS}",
            x.values.len(),
            y.values.len(),
            seeds.len()
        )));
    }
    // each value on its own first, so that a bad one is named once, not once per cell
    let mut problems = Vec::new();
    for axis in [x, y] {
        for v in &axis.values {
            if let Err(e) = link::apply(scenario, &[(axis.key.as_str(), v.as_str())]) {
                problems.push(format!("axis {}: {e}", axis.spec));
            }
        }
    }
    if !problems.is_empty() {
        return Err(ExploreError(problems));
    }
    let mut cells = Vec::new();
    let mut runs = Vec::new();
    for (iy, yv) in y.values.iter().enumerate() {
        for (ix, xv) in x.values.iter().enumerate() {
            let s = link::apply(
                scenario,
                &[(x.key.as_str(), xv.as_str()), (y.key.as_str(), yv.as_str())],
            )
            .map_err(|e| {
                bad(format!(
                    "the cell {}={xv} {}={yv} is not a valid scenario: {e}",
                    x.key, y.key
                ))
            })?;
            let link = cell_runs(cells.len(), &s, seeds, &mut runs);
            cells.push(MapCell { x: ix, y: iy, link });
        }
    }
    Ok(MapPlan {
        link: link::encode(&Scenario {
            seed: seeds[0],
            ..scenario.clone()
        }),
        x: x.clone(),
        y: y.clone(),
        seeds: seeds.to_vec(),
        cells,
        runs,
    })
}

/// One cell of a map's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapCellReport {
    /// Index into the x axis's values.
    pub x: usize,
    /// Index into the y axis's values.
    pub y: usize,
    /// The cell's link (first seed).
    pub link: String,
    /// Counts, hang rate and time to hang of the runs reported so far.
    #[serde(flatten)]
    pub summary: sweep::Summary,
    /// The worst run's seed, `None` before any run is reported.
    pub worst_seed: Option<u64>,
    /// That run's link.
    pub worst_link: Option<String>,
    /// A hash of the cell's runs (each seed and its trace hash, in seed order).
    pub hash: String,
}

/// What a map found.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapReport {
    /// The scenario's link (first seed).
    pub link: String,
    pub x: Axis,
    pub y: Axis,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// Every cell, in plan order (y outer, x inner).
    pub cells: Vec<MapCellReport>,
}

/// Summarises the results of a plan's runs (any subset of them, in any order).
pub fn report(plan: &MapPlan, results: &[RunResult]) -> Result<MapReport, ExploreError> {
    let per_cell = by_cell(plan.cells.len(), &plan.runs, &plan.seeds, results)?;
    let cells = plan
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let got = &per_cell[i];
            let (worst_seed, worst_link, hash) = worst_and_hash(i, &plan.runs, got);
            MapCellReport {
                x: c.x,
                y: c.y,
                link: c.link.clone(),
                summary: sweep::summarize(got.values().map(|r| (r.kind, r.tick))),
                worst_seed,
                worst_link,
                hash,
            }
        })
        .collect();
    Ok(MapReport {
        link: plan.link.clone(),
        x: plan.x.clone(),
        y: plan.y.clone(),
        seeds: plan.seeds.clone(),
        cells,
    })
}

/// Runs the runs of a plan with the given indices, `jobs` at a time ([`sweep::run_all`]), and
/// gives their results in that order. `progress(done, total)` is called after each run.
pub fn run_some(
    runs: &[PlanRun],
    which: &[usize],
    jobs: usize,
    budget: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<RunResult>, ExploreError> {
    let chosen: Vec<PlanRun> = which.iter().map(|&i| runs[i].clone()).collect();
    run_runs(&chosen, jobs, budget, progress)
}

/// Runs every run of a plan and reports.
pub fn run(
    plan: &MapPlan,
    jobs: usize,
    budget: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<MapReport, ExploreError> {
    let all: Vec<usize> = (0..plan.runs.len()).collect();
    let results = run_some(&plan.runs, &all, jobs, budget, progress)?;
    report(plan, &results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OutcomeKind;

    #[test]
    fn a_range_is_linear_in_whole_units_of_the_key() {
        let a = parse_axis("ram=64M..512M:8").unwrap();
        assert_eq!(
            a.values,
            ["64M", "128M", "192M", "256M", "320M", "384M", "448M", "512M"]
        );
        assert_eq!(a.spec, "ram=64M..512M:8");
        let m = parse_axis("mrate=500/s..5000/s:10").unwrap();
        assert_eq!(m.values[0], "500/s");
        assert_eq!(m.values[1], "1000/s");
        assert_eq!(m.values[9], "5000/s");
        // rounded half up; downward ranges go down; units are read and written canonically
        assert_eq!(
            parse_axis("writers=1..4:3").unwrap().values,
            ["1", "3", "4"]
        );
        assert_eq!(
            parse_axis("ram=1G..512M:3").unwrap().values,
            ["1G", "768M", "512M"]
        );
        assert_eq!(
            parse_axis("until=60s..120000ms:2").unwrap().spec,
            "until=60s..120s:2"
        );
        assert_eq!(parse_axis("writers=4,1,2").unwrap().spec, "writers=4,1,2");
    }

    #[test]
    fn bad_axes_say_what_is_allowed() {
        for (bad, says) in [
            ("ram", "not an axis"),
            ("seed=1..5:5", "not a numeric key"),
            ("preset=1..2:2", "not a numeric key"),
            ("ram=64..128M:2", "ram takes a size"),
            ("ram=64M..128M:1", "2..=50"),
            ("ram=64M..128M:x", "not a number of steps"),
            ("ram=64M..64M:3", "to itself"),
            ("writers=0..2:5", "at most 3 steps"),
            ("writers=1,2,1", "twice"),
        ] {
            let e = parse_axis(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn the_plan_refuses_values_the_scenario_does_not_take() {
        let s = Scenario::default();
        let x = parse_axis("ram=16M..64M:2").unwrap();
        let y = parse_axis("writers=1..2:2").unwrap();
        let e = plan(&s, &x, &y, &[1]).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        assert!(
            e.0[0].starts_with("axis ram=16M..64M:2: ram=16M is out of range"),
            "{e}"
        );
        let e = plan(&s, &x, &x, &[1]).unwrap_err();
        assert!(e.0[0].contains("two different keys"));
        assert!(plan(&s, &y, &parse_axis("ram=64M,128M").unwrap(), &[2, 2]).is_err());
    }

    #[test]
    fn the_cells_are_rows_of_y_with_both_values_set() {
        let s = Scenario::default();
        let x = parse_axis("mrate=1000/s..3000/s:3").unwrap();
        let y = parse_axis("ram=64M,96M").unwrap();
        let p = plan(&s, &x, &y, &[4, 5]).unwrap();
        assert_eq!(p.cells.len(), 6);
        assert_eq!(p.runs.len(), 12);
        assert_eq!((p.cells[4].x, p.cells[4].y), (1, 1));
        let c = link::decode(&p.cells[4].link).unwrap();
        assert_eq!(
            (c.workload.mmap_pages_s, c.machine.ram_mb, c.seed),
            (2000, 96, 4)
        );
        assert_eq!(link::decode(&p.runs[9].link).unwrap().seed, 5);
        assert_eq!(p.runs[9].cell, 4);
    }

    #[test]
    fn a_map_cell_is_a_sweep_of_its_point() {
        let s = Scenario {
            duration_ms: 150_000,
            ..Scenario::default()
        };
        let x = parse_axis("mrate=2500/s..5000/s:2").unwrap();
        let y = parse_axis("ram=64M..96M:2").unwrap();
        let seeds: Vec<u64> = (1..=8).collect();
        let p = plan(&s, &x, &y, &seeds).unwrap();
        let r = run(&p, 2, true, &|_, _| {}).unwrap();
        let mut hung_somewhere = false;
        for c in &r.cells {
            // the same point, built by hand, swept over the same seeds
            let point = Scenario {
                machine: crate::Machine {
                    ram_mb: [64, 96][c.y],
                    ..s.machine
                },
                workload: crate::Workload {
                    mmap_pages_s: [2500, 5000][c.x],
                    ..s.workload
                },
                ..s.clone()
            };
            let ends = sweep::run_all(
                seeds.len(),
                &|i| Scenario {
                    seed: seeds[i],
                    ..point.clone()
                },
                1,
                true,
                &|_, _| {},
            )
            .unwrap();
            let swept = sweep::summarize(ends.iter().map(|e| (e.kind, e.tick)));
            assert_eq!(c.summary, swept, "cell {},{}", c.x, c.y);
            assert_eq!(c.summary.runs, 8);
            hung_somewhere |= c.summary.hangs > 0;
            // the worst seed is the earliest hang, when there is one
            if let Some(t) = &c.summary.time_to_hang {
                let first = ends
                    .iter()
                    .filter(|e| sweep::is_hang(e.kind))
                    .min_by_key(|e| (e.kind != Some(OutcomeKind::Deadlock), e.tick, e.seed))
                    .unwrap();
                assert_eq!(c.worst_seed, Some(first.seed));
                assert!(t.q1_s <= t.median_s && t.median_s <= t.q3_s);
                let w = link::decode(c.worst_link.as_deref().unwrap()).unwrap();
                assert_eq!(
                    w,
                    Scenario {
                        seed: first.seed,
                        ..point.clone()
                    }
                );
            }
        }
        assert!(hung_somewhere, "the map should reach the lockup somewhere");
    }
}
