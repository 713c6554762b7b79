//! Shards and merge: one sweep, grid, map or survival split over many machines, and put back
//! together.
//!
//! **A job** is what a sweep, a grid, a map or a survival runs, as its command line gives it: the
//! scenario's link, the seeds, for a map its axes, for a survival its kernels by name. Its runs
//! have indices 0..total in the order of the unsharded run: a sweep's run i is seed first + i; a
//! grid's, a map's and a survival's are their plans' runs, cell (kernel) by cell and seed by seed
//! within a cell.
//!
//! **A part** is the runs one machine does, either
//!
//! - `K/N` (the shard K of N, K = 1..=N): the runs whose index is K − 1 modulo N, so that every
//!   shard gets a share of every cell (cells with more memory run slower) and a job array of N
//!   tasks, each with its own K, covers the job; or
//! - `A..B` (or `A..=B`): the runs with indices A to B, contiguous: for a sweep a range of seeds
//!   (run i is seed first + i), for a grid or a map a range of cells when A and B are multiples of
//!   the number of seeds.
//!
//! **A part's output** is JSON lines: a header `{"pageoutShard":1, "engineVersion", "job",
//! "runs", "part"}`, then one line per run `{"run", "cell", "seed", "outcome", "tick",
//! "traceHash"}` (seeds as decimal strings, exact beyond 2^53; a survival's runs add `"cycle"`,
//! the wait-for cycle at the outcome, when there is one). [`merge`] reads any number of
//! them, checks that they are parts of one job run by one engine version, that no run is given
//! twice and none is missing, and gives the job and every result in run order: exactly what the
//! unsharded run had, so its report is the unsharded one.

use serde::{Deserialize, Serialize};

use super::grid::{self, PlanRun, RunResult};
use super::{hex, map, survival, sweep, twins, ExploreError};
use crate::scenario::link;
use crate::{KernelPreset, OutcomeKind, Scenario};

/// The version of the part format, the header's `pageoutShard`.
pub const FORMAT: u32 = 1;

/// What a sweep, a grid or a map runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "camelCase")]
pub enum Job {
    /// `pageout-sim sweep`: one scenario over a seed range.
    Sweep {
        link: String,
        #[serde(with = "seed_text")]
        first: u64,
        #[serde(with = "seed_text")]
        last: u64,
    },
    /// `pageout-sim grid`: the switch grid of a scenario.
    Grid {
        link: String,
        #[serde(with = "seed_text")]
        first: u64,
        #[serde(with = "seed_text")]
        last: u64,
    },
    /// `pageout-sim map`: a phase map of a scenario.
    Map {
        link: String,
        x: String,
        y: String,
        #[serde(with = "seed_text")]
        first: u64,
        #[serde(with = "seed_text")]
        last: u64,
    },
    /// `pageout-sim survival`: a workload on each of the kernels (named: a part keeps its
    /// meaning when kernel presets are added).
    Survival {
        link: String,
        kernels: Vec<String>,
        #[serde(with = "seed_text")]
        first: u64,
        #[serde(with = "seed_text")]
        last: u64,
    },
}

mod seed_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let t = String::deserialize(d)?;
        t.parse()
            .map_err(|_| serde::de::Error::custom(format!("{t:?} is not a seed")))
    }
}

/// A job ready to run: its scenario and, for a grid or a map, its plan.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub job: Job,
    /// The scenario (with the first seed).
    pub base: Scenario,
    /// A grid's plan.
    pub grid: Option<grid::GridPlan>,
    /// A map's plan.
    pub map: Option<map::MapPlan>,
    /// A survival's plan.
    pub survival: Option<survival::SurvivalPlan>,
}

impl Prepared {
    /// Plans a job.
    pub fn new(job: Job) -> Result<Prepared, ExploreError> {
        let decode = |l: &str| {
            link::decode(l).map_err(|e| ExploreError(vec![format!("the job's link {l}: {e}")]))
        };
        let seeds = |first: u64, last: u64| -> Result<Vec<u64>, ExploreError> {
            if last < first || last - first >= grid::MAX_SEEDS as u64 {
                return Err(ExploreError(vec![format!(
                    "seeds {first}..={last}: allowed are 1 to {} seeds",
                    grid::MAX_SEEDS
                )]));
            }
            Ok((first..=last).collect())
        };
        let mut p = match &job {
            Job::Sweep { link, first, last } => {
                if last < first {
                    return Err(ExploreError(vec![format!(
                        "seeds {first}..={last} hold no seed"
                    )]));
                }
                Prepared {
                    base: decode(link)?,
                    grid: None,
                    map: None,
                    survival: None,
                    job: job.clone(),
                }
            }
            Job::Grid { link, first, last } => {
                let base = decode(link)?;
                let plan = grid::plan(&base, &seeds(*first, *last)?)?;
                Prepared {
                    base,
                    grid: Some(plan),
                    map: None,
                    survival: None,
                    job: job.clone(),
                }
            }
            Job::Map {
                link,
                x,
                y,
                first,
                last,
            } => {
                let base = decode(link)?;
                let axis = |t: &str| map::parse_axis(t).map_err(|e| ExploreError(vec![e]));
                let plan = map::plan(&base, &axis(x)?, &axis(y)?, &seeds(*first, *last)?)?;
                Prepared {
                    base,
                    grid: None,
                    map: Some(plan),
                    survival: None,
                    job: job.clone(),
                }
            }
            Job::Survival {
                link,
                kernels,
                first,
                last,
            } => {
                let base = decode(link)?;
                if last < first || last - first >= survival::MAX_SEEDS as u64 {
                    return Err(ExploreError(vec![format!(
                        "seeds {first}..={last}: allowed are 1 to {} seeds",
                        survival::MAX_SEEDS
                    )]));
                }
                let ks = kernels
                    .iter()
                    .map(|k| {
                        KernelPreset::from_name(k).ok_or_else(|| {
                            ExploreError(vec![format!(
                                "the job's kernel {k:?} is not a kernel preset of this engine"
                            )])
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let seeds: Vec<u64> = (*first..=*last).collect();
                let plan = survival::plan(&base, &ks, &seeds)?;
                Prepared {
                    base,
                    grid: None,
                    map: None,
                    survival: Some(plan),
                    job: job.clone(),
                }
            }
        };
        let first = match &p.job {
            Job::Sweep { first, .. }
            | Job::Grid { first, .. }
            | Job::Map { first, .. }
            | Job::Survival { first, .. } => *first,
        };
        p.base.seed = first;
        Ok(p)
    }

    /// The plan's runs, for a grid or a map.
    fn plan_runs(&self) -> Option<&[PlanRun]> {
        self.grid
            .as_ref()
            .map(|g| g.runs.as_slice())
            .or(self.map.as_ref().map(|m| m.runs.as_slice()))
            .or(self.survival.as_ref().map(|p| p.runs.as_slice()))
    }

    /// How many runs the job has.
    pub fn total(&self) -> usize {
        match (&self.job, self.plan_runs()) {
            (_, Some(runs)) => runs.len(),
            (Job::Sweep { first, last, .. }, None) => {
                usize::try_from(last - first).map_or(usize::MAX, |n| n.saturating_add(1))
            }
            _ => 0,
        }
    }

    /// Run `i`: its cell and seed.
    pub fn run_at(&self, i: usize) -> (usize, u64) {
        match self.plan_runs() {
            Some(runs) => (runs[i].cell, runs[i].seed),
            None => (0, self.base.seed + i as u64),
        }
    }

    /// Run `i`'s scenario.
    fn scenario(&self, i: usize) -> Result<Scenario, ExploreError> {
        match self.plan_runs() {
            Some(runs) => link::decode(&runs[i].link)
                .map_err(|e| ExploreError(vec![format!("{}: {e}", runs[i].link)])),
            None => Ok(Scenario {
                seed: self.base.seed + i as u64,
                ..self.base.clone()
            }),
        }
    }

    /// Runs the runs of a part, `jobs` at a time, and gives their results in run order.
    pub fn run(
        &self,
        part: Part,
        jobs: usize,
        budget: bool,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Vec<RunLine>, ExploreError> {
        let which = part.indices(self.total())?;
        // a plan's runs are read from their links once; a sweep's are made as they run
        let decoded = match self.plan_runs() {
            Some(_) => which
                .iter()
                .map(|&i| self.scenario(i))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let scenario = |j: usize| match decoded.get(j) {
            Some(s) => s.clone(),
            None => Scenario {
                seed: self.base.seed + which[j] as u64,
                ..self.base.clone()
            },
        };
        if self.survival.is_some() {
            // a survival keeps each run's wait-for cycle too: its killer is the commonest
            // (the kernel's index is the run's cell, taken from the plan below)
            let results =
                sweep::run_each(which.len(), &scenario, jobs, budget, progress, &|s, b| {
                    survival::run_one(0, s, b)
                })?;
            return Ok(which
                .iter()
                .zip(results)
                .map(|(&i, r)| {
                    let (cell, seed) = self.run_at(i);
                    RunLine {
                        run: i,
                        cell,
                        seed,
                        outcome: r.kind,
                        tick: r.tick,
                        trace_hash: r.trace_hash,
                        cycle: r.cycle,
                        twin: None,
                    }
                })
                .collect());
        }
        // a grid's runs are mostly twins of a few (twins): each distinct run is simulated once
        let ends = twins::run_distinct(which.len(), &scenario, jobs, budget, progress)?;
        Ok(which
            .iter()
            .zip(ends)
            .map(|(&i, d)| {
                let (cell, seed) = self.run_at(i);
                RunLine {
                    run: i,
                    cell,
                    seed,
                    outcome: d.end.kind,
                    tick: d.end.tick,
                    trace_hash: hex(d.end.trace_hash),
                    cycle: String::new(),
                    twin: d.twin.map(|j| which[j]),
                }
            })
            .collect())
    }

    /// The header line of a part of this job.
    pub fn header(&self, part: Part) -> String {
        let h = Header {
            pageout_shard: FORMAT,
            engine_version: crate::ENGINE_VERSION.to_string(),
            job: self.job.clone(),
            runs: self.total(),
            part: part.to_string(),
        };
        serde_json::to_string(&h).unwrap_or_default()
    }
}

/// Which runs of a job one part does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Shard `k` of `n` (1-based): the runs whose index is k − 1 modulo n.
    Shard { k: usize, n: usize },
    /// The runs `start..end` (end excluded).
    Runs { start: usize, end: usize },
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Shard { k, n } => write!(f, "{k}/{n}"),
            Part::Runs { start, end } => write!(f, "{start}..{end}"),
        }
    }
}

impl Part {
    /// The whole job.
    pub const ALL: Part = Part::Shard { k: 1, n: 1 };

    /// Reads `K/N`, `A..B` or `A..=B`.
    pub fn parse(text: &str) -> Result<Part, String> {
        let syntax = "K/N (shard K of N, 1 <= K <= N: every Nth run) or A..B / A..=B (the runs \
                      with those indices, from 0)";
        let number = |s: &str| -> Result<usize, String> {
            s.trim().parse().map_err(|_| {
                format!("{s:?} in {text:?} is not a whole number: allowed is {syntax}")
            })
        };
        if let Some((k, n)) = text.split_once('/') {
            let (k, n) = (number(k)?, number(n)?);
            if n == 0 || k == 0 || k > n {
                return Err(format!("{text:?} is no shard: allowed is {syntax}"));
            }
            return Ok(Part::Shard { k, n });
        }
        let (a, b, inclusive) = if let Some((a, b)) = text.split_once("..=") {
            (a, b, true)
        } else if let Some((a, b)) = text.split_once("..") {
            (a, b, false)
        } else {
            return Err(format!("{text:?} is not a part: allowed is {syntax}"));
        };
        let (start, b) = (number(a)?, number(b)?);
        let end = if inclusive { b.saturating_add(1) } else { b };
        if end <= start {
            return Err(format!("{text:?} holds no run: allowed is {syntax}"));
        }
        Ok(Part::Runs { start, end })
    }

    /// The run indices of the part, of a job of `total` runs.
    pub fn indices(self, total: usize) -> Result<Vec<usize>, ExploreError> {
        match self {
            Part::Shard { k, n } => Ok((k - 1..total).step_by(n).collect()),
            Part::Runs { start, end } if end <= total => Ok((start..end).collect()),
            Part::Runs { start, end } => Err(ExploreError(vec![format!(
                "runs {start}..{end}: the job has {total} runs, 0..{total}"
            )])),
        }
    }
}

/// The first line of a part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Header {
    pageout_shard: u32,
    engine_version: String,
    job: Job,
    runs: usize,
    part: String,
}

/// One run of a part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunLine {
    /// The run's index in the job.
    pub run: usize,
    /// Its cell (0 in a sweep).
    pub cell: usize,
    /// Its seed.
    #[serde(with = "seed_text")]
    pub seed: u64,
    /// Its outcome; `None` for a run without one.
    pub outcome: Option<OutcomeKind>,
    /// The outcome's tick.
    pub tick: u64,
    /// The trace hash, 16 hex digits.
    pub trace_hash: String,
    /// The wait-for cycle at the outcome (a survival's runs only; empty otherwise, and then
    /// not written).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cycle: String,
    /// When the run was not simulated: the job's index of the simulated run it is the same run
    /// as ([`twins`]); not written otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin: Option<usize>,
}

impl RunLine {
    /// The line as a part writes it.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// As a grid's or a map's run result.
    pub fn result(&self) -> RunResult {
        RunResult {
            cell: self.cell,
            seed: self.seed,
            kind: self.outcome,
            tick: self.tick,
            trace_hash: self.trace_hash.clone(),
            twin: self.twin,
        }
    }

    /// As a survival's run result.
    pub fn survival_result(&self) -> survival::RunResult {
        survival::RunResult {
            kernel: self.cell,
            seed: self.seed,
            kind: self.outcome,
            tick: self.tick,
            cycle: self.cycle.clone(),
            trace_hash: self.trace_hash.clone(),
        }
    }

    /// As a sweep's run end.
    pub fn end(&self) -> sweep::RunEnd {
        sweep::RunEnd {
            seed: self.seed,
            kind: self.outcome,
            tick: self.tick,
            trace_hash: u64::from_str_radix(&self.trace_hash, 16).unwrap_or(0),
        }
    }
}

/// At most this many problems are listed by [`merge`]; the rest are counted.
const SHOWN: usize = 10;

/// Reads parts (`(name, text)`: a file's name, for messages, and its text) of one job and gives
/// the job and every run's result in run order. Refuses, naming the file and the line, anything
/// that is not a part, parts of different jobs or engine versions, a run given twice, and a job
/// with runs missing (it names them, and the parts it got).
pub fn merge(parts: &[(String, String)]) -> Result<(Prepared, Vec<RunLine>), ExploreError> {
    let mut problems = Vec::new();
    let mut header: Option<(String, Header)> = None;
    let mut lines: Vec<(String, usize, RunLine)> = Vec::new();
    let mut got_parts = Vec::new();
    if parts.is_empty() {
        return Err(ExploreError(vec![
            "no parts given: merge reads the JSON lines that sweep, grid, map or survival write with \
             --shard K/N or --runs A..B"
                .into(),
        ]));
    }
    for (name, text) in parts {
        let mut rows = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, first)) = rows.next() else {
            problems.push(format!("{name}: empty; a part starts with its header line"));
            continue;
        };
        let h: Header = match serde_json::from_str(first) {
            Ok(h) => h,
            Err(e) => {
                problems.push(format!(
                    "{name}:1: not the header of a part ({e}); a part is what sweep, grid or \
                     map write with --shard or --runs"
                ));
                continue;
            }
        };
        if h.pageout_shard != FORMAT {
            problems.push(format!(
                "{name}: part format {} is not read here: allowed is {FORMAT}",
                h.pageout_shard
            ));
            continue;
        }
        match &header {
            None => header = Some((name.clone(), h.clone())),
            Some((first_name, first)) => {
                if first.engine_version != h.engine_version {
                    problems.push(format!(
                        "{name}: run by engine {}, {first_name} by engine {}: parts of one job \
                         must come from one engine version",
                        h.engine_version, first.engine_version
                    ));
                    continue;
                }
                if first.job != h.job {
                    problems.push(format!(
                        "{name} is a part of another job than {first_name}: {} and {}",
                        serde_json::to_string(&h.job).unwrap_or_default(),
                        serde_json::to_string(&first.job).unwrap_or_default()
                    ));
                    continue;
                }
            }
        }
        got_parts.push(format!("{name} ({})", h.part));
        for (i, row) in rows {
            match serde_json::from_str::<RunLine>(row) {
                Ok(r) => lines.push((name.clone(), i + 1, r)),
                Err(e) => problems.push(format!("{name}:{}: not a run ({e})", i + 1)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(ExploreError(problems));
    }
    let Some((_, header)) = header else {
        return Err(ExploreError(vec!["no part read".into()]));
    };
    let prepared = Prepared::new(header.job)?;
    let total = prepared.total();
    if total != header.runs {
        return Err(ExploreError(vec![format!(
            "the parts say the job has {} runs; planned here it has {total}",
            header.runs
        )]));
    }
    let mut slots: Vec<Option<(String, usize, RunLine)>> = vec![None; total];
    let mut bad = 0;
    for (name, line, r) in lines {
        let mut say = |m: String| {
            if problems.len() < SHOWN {
                problems.push(m);
            } else {
                bad += 1;
            }
        };
        if r.run >= total {
            say(format!(
                "{name}:{line}: run {} is not in the job (0..{total})",
                r.run
            ));
            continue;
        }
        if prepared.run_at(r.run) != (r.cell, r.seed) {
            let (cell, seed) = prepared.run_at(r.run);
            say(format!(
                "{name}:{line}: run {} is cell {cell} seed {seed} in the job, not cell {} seed {}",
                r.run, r.cell, r.seed
            ));
            continue;
        }
        match &slots[r.run] {
            Some((other, other_line, _)) => say(format!(
                "{name}:{line}: run {} is also in {other}:{other_line}; each run once",
                r.run
            )),
            None => {
                let i = r.run;
                slots[i] = Some((name, line, r));
            }
        }
    }
    let missing: Vec<usize> = (0..total).filter(|&i| slots[i].is_none()).collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(SHOWN).map(usize::to_string).collect();
        problems.push(format!(
            "{} of the job's {total} runs are missing (runs {}{}); the parts read: {}",
            missing.len(),
            shown.join(", "),
            if missing.len() > SHOWN { ", …" } else { "" },
            got_parts.join(", ")
        ));
    }
    if bad > 0 {
        problems.push(format!("and {bad} more problems"));
    }
    if !problems.is_empty() {
        return Err(ExploreError(problems));
    }
    Ok((
        prepared,
        slots.into_iter().flatten().map(|(_, _, r)| r).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(link: &str) -> String {
        link::encode(&link::apply(&link::decode(link).unwrap(), &[("until", "60s")]).unwrap())
    }

    /// Runs a job in `n` shards and merges their text.
    fn sharded(p: &Prepared, parts: &[Part]) -> Vec<RunLine> {
        let files: Vec<(String, String)> = parts
            .iter()
            .map(|&part| {
                let mut text = p.header(part) + "\n";
                for r in p.run(part, 2, true, &|_, _| {}).unwrap() {
                    text += &(r.to_line() + "\n");
                }
                (format!("part-{part}"), text)
            })
            .collect();
        merge(&files).unwrap().1
    }

    #[test]
    fn parts_read_and_cover_the_job() {
        assert_eq!(Part::parse("2/4"), Ok(Part::Shard { k: 2, n: 4 }));
        assert_eq!(Part::parse("3..=5"), Ok(Part::Runs { start: 3, end: 6 }));
        for bad in ["0/4", "5/4", "1/0", "x/2", "4..4", "5..3", "7"] {
            assert!(Part::parse(bad).is_err(), "{bad}");
        }
        let mut all: Vec<usize> = (1..=3)
            .flat_map(|k| Part::Shard { k, n: 3 }.indices(10).unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert!(Part::Runs { start: 5, end: 11 }.indices(10).is_err());
    }

    #[test]
    fn a_sharded_sweep_grid_and_map_merge_into_the_unsharded_runs() {
        let link = short("v=1&preset=dfly-2008-06-30&ram=64M");
        let jobs = [
            Job::Sweep {
                link: link.clone(),
                first: 1,
                last: 6,
            },
            Job::Grid {
                link: link.clone(),
                first: 3,
                last: 3,
            },
            Job::Map {
                link: link.clone(),
                x: "mrate=2500/s..5000/s:2".into(),
                y: "ram=64M..96M:2".into(),
                first: 1,
                last: 2,
            },
        ];
        for job in jobs {
            let p = Prepared::new(job.clone()).unwrap();
            // which runs are twins depends on which runs a part has; their results do not
            let results = |lines: Vec<RunLine>| {
                lines
                    .into_iter()
                    .map(|l| RunLine { twin: None, ..l })
                    .collect::<Vec<_>>()
            };
            let whole = results(p.run(Part::ALL, 2, true, &|_, _| {}).unwrap());
            assert_eq!(whole.len(), p.total());
            let by_shards = results(sharded(
                &p,
                &[
                    Part::Shard { k: 2, n: 3 },
                    Part::Shard { k: 1, n: 3 },
                    Part::Shard { k: 3, n: 3 },
                ],
            ));
            assert_eq!(by_shards, whole, "{job:?}");
            let half = p.total() / 2;
            let by_ranges = results(sharded(
                &p,
                &[
                    Part::Runs {
                        start: half,
                        end: p.total(),
                    },
                    Part::Runs {
                        start: 0,
                        end: half,
                    },
                ],
            ));
            assert_eq!(by_ranges, whole, "{job:?}");
        }
    }

    #[test]
    fn merge_names_missing_repeated_and_foreign_runs() {
        let p = Prepared::new(Job::Sweep {
            link: short("v=1&preset=dfly-2008-06-30"),
            first: 1,
            last: 4,
        })
        .unwrap();
        let part = |part: Part| {
            let mut t = p.header(part) + "\n";
            for r in p.run(part, 1, true, &|_, _| {}).unwrap() {
                t += &(r.to_line() + "\n");
            }
            t
        };
        let one = ("a".to_string(), part(Part::Shard { k: 1, n: 2 }));
        let e = merge(std::slice::from_ref(&one)).unwrap_err();
        assert!(
            e.0[0].starts_with("2 of the job's 4 runs are missing (runs 1, 3)"),
            "{e}"
        );
        let e = merge(&[one.clone(), ("b".into(), one.1.clone())]).unwrap_err();
        assert!(e.0[0].contains("run 0 is also in a:2"), "{e}");
        let other = Prepared::new(Job::Sweep {
            link: short("v=1&preset=dfly-2008-07-01"),
            first: 1,
            last: 4,
        })
        .unwrap();
        let foreign = ("c".to_string(), other.header(Part::ALL) + "\n");
        let e = merge(&[one.clone(), foreign]).unwrap_err();
        assert!(
            e.0[0].starts_with("c is a part of another job than a"),
            "{e}"
        );
        let e = merge(&[("d".into(), "hello\n".into())]).unwrap_err();
        assert!(e.0[0].starts_with("d:1: not the header of a part"), "{e}");
        let broken = one.1.replace("\"seed\":\"1\"", "\"seed\":\"2\"");
        let e = merge(&[("e".into(), broken)]).unwrap_err();
        assert!(
            e.0[0].contains("run 0 is cell 0 seed 1 in the job, not cell 0 seed 2"),
            "{e}"
        );
    }
}
