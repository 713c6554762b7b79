//! Shrinking a hang: the smallest scenario that still hangs the same way.
//!
//! **The same way** ([`Target`]): the same kind of outcome (deadlock or stall) and the same
//! wait-for cycle, as [`crate::WaitGraph::cycle_text`] writes it — the same threads, in the same
//! order, asleep in the same wmesgs and kernel functions.
//!
//! **Smaller** ([`sizes`]): every parameter has a size, and a candidate is smaller when no size
//! grows and at least one shrinks. Counts, rates, file and hog sizes and the run's length are
//! their own size (fewer writers, hogs and mapped-file writers, lower `mrate`, `wrate` — unlimited
//! is the largest —, `hograte`, a shorter `until`); the number of interventions is one; every other
//! key's size is its distance from the link's default (`ram` closer to 128M, `bw`, `seek`,
//! `window`, ..., `fs`, `warm`, `shared` and each mechanism override 0 when at the default, 1
//! otherwise). So the shrunk scenario is no larger than its input in any parameter, by
//! construction, and its link is shorter as keys return to their defaults.
//!
//! **The search** is greedy and deterministic. From the current scenario the candidates are, in
//! this order: without any intervention, without each intervention (last first); each count
//! (`hogs`, `writers`, `mmap`) at 0, halved, less one; each key at its default; each rate and
//! size halved (`mrate`, `wrate`, `hograte`, `hog`, `mfile`, `wfile`); `ram` halfway to the
//! default; and `until` cut to the whole second after the hang was detected. Only candidates the
//! link codec accepts ([`link::apply`]) and that are smaller are kept. The first candidate, in
//! that order, that hangs the same way becomes the current scenario (a *step*) and the candidates
//! are made again; when none does, the search ends. Which candidate is accepted depends only on
//! the outcomes, never on how many are run at once, so a caller may run them in parallel (the
//! command line runs `--jobs` at a time, the page its worker pool) and get the same steps.
//!
//! The search is a state ([`State`], plain data, so the page can keep it between messages) and
//! two functions: [`candidates`] (what to run next) and [`step`] (what their outcomes decide).
//! [`shrink`] drives both with [`sweep::run_all`].

use serde::{Deserialize, Serialize};

use super::{start, sweep, ExploreError};
use crate::policy::MECHANISMS;
use crate::scenario::link;
use crate::{OutcomeKind, Scenario};

/// At most this many steps: each step shrinks a size, so a search ends long before.
pub const MAX_STEPS: usize = 200;

/// How one run ended, as far as shrinking is concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// The outcome's kind; `None` for a run without one.
    pub kind: Option<OutcomeKind>,
    /// The outcome's tick (for a hang, when progress stopped).
    pub tick: u64,
    /// When the hang was detected, in ms of simulated time (0 for a run that did not hang).
    pub detected_ms: u64,
    /// The wait-for cycle, `cycle_text()`; empty when there is none.
    pub cycle: String,
}

/// Runs one scenario and says how it ended.
pub fn probe(s: &Scenario, budget: bool) -> Result<Probe, ExploreError> {
    let mut sim = start(s, budget, "")?;
    sim.run();
    Ok(match sim.outcome() {
        Some(o) => Probe {
            kind: Some(o.kind),
            tick: o.tick,
            detected_ms: o.detected_at * 1000 / crate::HZ,
            cycle: o.graph.cycle_text(),
        },
        None => Probe {
            kind: None,
            tick: 0,
            detected_ms: 0,
            cycle: String::new(),
        },
    })
}

/// The way the input hangs, which every step must keep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub kind: OutcomeKind,
    pub cycle: String,
}

impl Target {
    fn matches(&self, p: &Probe) -> bool {
        p.kind == Some(self.kind) && p.cycle == self.cycle
    }
}

/// One accepted step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What changed, in words (`writers=2 → 1`, `without 30s:hog:64M`).
    pub what: String,
    /// The scenario after the step.
    pub link: String,
    /// Its hang's tick.
    pub tick: u64,
}

/// A candidate: a change to try, and the scenario it gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub what: String,
    pub link: String,
}

/// Where a search is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// The input's link.
    pub original: String,
    /// The way it hangs; `None` until the input has run.
    pub target: Option<Target>,
    /// The current scenario's link.
    pub current: String,
    /// When the current scenario's hang was detected, in ms.
    pub detected_ms: u64,
    /// The steps taken, in order.
    pub steps: Vec<Step>,
    /// Candidates judged so far, the input included: up to the one taken at each step,
    /// and every one of a search that ends (a caller running several at once may run more).
    pub tried: usize,
    /// How many of the current scenario's candidates have been run without hanging the same way:
    /// [`candidates`] gives the rest.
    pub judged: usize,
    /// Whether the search has ended.
    pub done: bool,
}

/// A search of `s`: its first candidate is `s` itself, whose run gives the target.
pub fn begin(s: &Scenario) -> State {
    let l = link::encode(s);
    State {
        original: l.clone(),
        target: None,
        current: l,
        detected_ms: 0,
        steps: Vec::new(),
        tried: 0,
        judged: 0,
        done: false,
    }
}

/// The kinds of size, per parameter.
enum Size {
    /// The value itself: smaller is smaller.
    Value,
    /// Distance from the default.
    Distance,
}

/// Which keys are sized by value; every other numeric key by its distance from the default.
const BY_VALUE: [&str; 10] = [
    "writers", "mmap", "hogs", "mrate", "wrate", "hograte", "hog", "wfile", "mfile", "until",
];

/// Every parameter's size (see the module): `(name, size)`, in a fixed order.
pub fn sizes(s: &Scenario) -> Vec<(&'static str, u128)> {
    let d = link::v1_defaults();
    let mut out = Vec::new();
    for key in link::numeric_keys() {
        let v = u128::from(link::number_of(s, key).unwrap_or(0));
        let kind = if BY_VALUE.contains(&key) {
            Size::Value
        } else {
            Size::Distance
        };
        let size = match kind {
            // unlimited (0) is the fastest writer of all
            Size::Value if key == "wrate" && v == 0 => u128::MAX,
            Size::Value => v,
            Size::Distance => v.abs_diff(u128::from(link::number_of(&d, key).unwrap_or(0))),
        };
        out.push((key, size));
    }
    out.push(("fs", u128::from(s.fs != d.fs)));
    out.push(("warm", u128::from(s.warm != d.warm)));
    out.push(("shared", u128::from(s.workload.shared != d.workload.shared)));
    out.push(("at", s.interventions.len() as u128));
    let overrides = s.overrides.normalized(s.preset);
    for m in MECHANISMS {
        out.push((m.key, u128::from(overrides.get(m.key).is_some())));
    }
    out
}

/// Whether `a` is smaller than `b`: no size larger, one at least smaller.
pub fn smaller(a: &Scenario, b: &Scenario) -> bool {
    let (sa, sb) = (sizes(a), sizes(b));
    sa.iter().zip(&sb).all(|(x, y)| x.1 <= y.1) && sa != sb
}

/// The candidates of the current scenario still to run, in order (see the module): those after
/// the first `judged`. For a search that has not run its input yet, the input alone; none once
/// it is done.
pub fn candidates(state: &State) -> Result<Vec<Candidate>, ExploreError> {
    let mut all = all_candidates(state)?;
    Ok(all.split_off(state.judged.min(all.len())))
}

/// Every candidate of the current scenario, in order.
fn all_candidates(state: &State) -> Result<Vec<Candidate>, ExploreError> {
    let cur = link::decode(&state.current)
        .map_err(|e| ExploreError(vec![format!("the current scenario {}: {e}", state.current)]))?;
    if state.done {
        return Ok(Vec::new());
    }
    if state.target.is_none() {
        return Ok(vec![Candidate {
            what: "the scenario as given".into(),
            link: state.current.clone(),
        }]);
    }
    let d = link::v1_defaults();
    let mut out: Vec<Candidate> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut push = |what: String, s: Option<Scenario>| {
        if let Some(s) = s.filter(|s| smaller(s, &cur)) {
            let l = link::encode(&s);
            if seen.insert(l.clone()) {
                out.push(Candidate { what, link: l });
            }
        }
    };
    let set = |pairs: &[(&str, &str)]| link::apply(&cur, pairs).ok();
    // interventions
    let n = cur.interventions.len();
    if n > 1 {
        push(
            "without any intervention".into(),
            Some(Scenario {
                interventions: Vec::new(),
                ..cur.clone()
            }),
        );
    }
    for i in (0..n).rev() {
        let mut s = cur.clone();
        let gone = s.interventions.remove(i);
        let text = crate::scenario::intervention::list_text(std::slice::from_ref(&gone));
        // a list without it must still validate (a stop of a thread it started, say)
        push(format!("without {text}"), link::apply(&s, &[]).ok());
    }
    // counts
    for key in ["hogs", "writers", "mmap"] {
        let v = link::number_of(&cur, key).unwrap_or(0);
        for to in [0, v / 2, v.saturating_sub(1)] {
            if to < v {
                push(format!("{key}={v} → {to}"), set(&[(key, &to.to_string())]));
            }
        }
    }
    // every key at its default
    for key in link::numeric_keys() {
        let (v, dv) = (link::number_of(&cur, key), link::number_of(&d, key));
        if v != dv {
            let dt = link::number_text(key, dv.unwrap_or(0));
            let vt = link::number_text(key, v.unwrap_or(0));
            push(
                format!("{key}={vt} → {dt} (the default)"),
                set(&[(key, &dt)]),
            );
        }
    }
    for (key, differs, dv) in [
        ("fs", cur.fs != d.fs, d.fs.name()),
        (
            "warm",
            cur.warm != d.warm,
            if d.warm { "on" } else { "off" },
        ),
        (
            "shared",
            cur.workload.shared != d.workload.shared,
            if d.workload.shared { "on" } else { "off" },
        ),
    ] {
        if differs {
            push(format!("{key} → {dv} (the default)"), set(&[(key, dv)]));
        }
    }
    let overrides = cur.overrides.normalized(cur.preset);
    let preset = cur.preset.policy();
    for m in MECHANISMS {
        if let (Some(v), Some(pv)) = (overrides.get(m.key), preset.get(m.key)) {
            push(
                format!("{}={v} → {pv} (the kernel's)", m.key),
                set(&[(m.key, pv)]),
            );
        }
    }
    // rates and sizes halved
    for key in ["mrate", "wrate", "hograte", "hog", "mfile", "wfile"] {
        let v = link::number_of(&cur, key).unwrap_or(0);
        if v >= 2 {
            let (vt, ht) = (link::number_text(key, v), link::number_text(key, v / 2));
            push(format!("{key}={vt} → {ht}"), set(&[(key, &ht)]));
        }
    }
    // RAM halfway to the default
    let (ram, dram) = (cur.machine.ram_mb, d.machine.ram_mb);
    let mid = (ram + dram) / 2;
    if mid != ram && mid != dram {
        push(
            format!(
                "ram={} → {}",
                link::number_text("ram", ram.into()),
                link::number_text("ram", mid.into())
            ),
            set(&[("ram", &link::number_text("ram", mid.into()))]),
        );
    }
    // the run cut to the whole second after the hang was detected
    let cut = state.detected_ms.div_ceil(1000) * 1000;
    if cut > 0 && cut < cur.duration_ms {
        let (from, to) = (
            link::number_text("until", cur.duration_ms),
            link::number_text("until", cut),
        );
        push(format!("until={from} → {to}"), set(&[("until", &to)]));
    }
    Ok(out)
}

/// Takes the outcomes of the first candidates [`candidates`] gives, in their order (any number
/// of them, from one to all). The first that hangs the same way is a step: it becomes the
/// current scenario, and [`candidates`] starts over from it. When none does, they are judged;
/// once every candidate is, the search is done. The input's own outcome (the first call) sets
/// the target, and is refused when it is not a hang.
pub fn step(state: &mut State, outcomes: &[Probe]) -> Result<Option<Step>, ExploreError> {
    let list = candidates(state)?;
    if outcomes.len() > list.len() {
        return Err(ExploreError(vec![format!(
            "{} outcomes for {} candidates",
            outcomes.len(),
            list.len()
        )]));
    }
    let Some(target) = state.target.clone() else {
        let Some(p) = outcomes.first() else {
            return Ok(None);
        };
        state.tried += 1;
        return match p.kind {
            Some(kind @ (OutcomeKind::Deadlock | OutcomeKind::Stall)) => {
                state.target = Some(Target {
                    kind,
                    cycle: p.cycle.clone(),
                });
                state.detected_ms = p.detected_ms;
                state.done = candidates(state)?.is_empty();
                Ok(None)
            }
            other => {
                state.done = true;
                Err(ExploreError(vec![format!(
                    "{} does not hang ({}): only a deadlock or a stall can be shrunk",
                    state.original,
                    other.map_or("no outcome", OutcomeKind::name)
                )]))
            }
        };
    };
    match outcomes.iter().position(|p| target.matches(p)) {
        Some(i) => {
            state.tried += i + 1;
            let s = Step {
                what: list[i].what.clone(),
                link: list[i].link.clone(),
                tick: outcomes[i].tick,
            };
            state.current = s.link.clone();
            state.detected_ms = outcomes[i].detected_ms;
            state.judged = 0;
            state.steps.push(s.clone());
            state.done = state.steps.len() >= MAX_STEPS || candidates(state)?.is_empty();
            Ok(Some(s))
        }
        None => {
            state.tried += outcomes.len();
            state.judged += outcomes.len();
            state.done = outcomes.len() == list.len();
            Ok(None)
        }
    }
}

/// Shrinks `s`: runs the candidates `jobs` at a time, in order, until the first that hangs the
/// same way, step after step. `progress(&state, step)` is called after every batch of runs,
/// with the step it took, if any.
pub fn shrink(
    s: &Scenario,
    jobs: usize,
    budget: bool,
    progress: &mut dyn FnMut(&State, Option<&Step>),
) -> Result<State, ExploreError> {
    let mut state = begin(s);
    let jobs = jobs.max(1);
    while !state.done {
        let batch = candidates(&state)?
            .into_iter()
            .take(jobs)
            .map(|c| link::decode(&c.link).map_err(|e| ExploreError(vec![e.to_string()])))
            .collect::<Result<Vec<Scenario>, _>>()?;
        let probes = run_probes(&batch, jobs, budget)?;
        let taken = step(&mut state, &probes)?;
        progress(&state, taken.as_ref());
    }
    Ok(state)
}

/// Probes scenarios side by side, in order.
fn run_probes(batch: &[Scenario], jobs: usize, budget: bool) -> Result<Vec<Probe>, ExploreError> {
    sweep::run_each(
        batch.len(),
        &|i| batch[i].clone(),
        jobs,
        budget,
        &|_, _| {},
        &probe,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lockup with more than it needs: a hog, faster writers, two interventions.
    const BIG: &str = "v=1&preset=dfly-2008-06-30&ram=64M&hogs=1&hog=4M&wrate=2M/s&seed=4\
                       &at=5s:sync,200s:writer";

    #[test]
    fn a_shrunk_hang_hangs_the_same_way_and_is_no_larger_anywhere() {
        let s = link::decode(BIG).unwrap();
        let before = probe(&s, true).unwrap();
        assert!(sweep::is_hang(before.kind), "{before:?}");
        let mut seen = Vec::new();
        let state = shrink(&s, 2, true, &mut |st, step| {
            if let Some(step) = step {
                seen.push(step.clone());
            }
            assert!(st.tried > 0);
        })
        .unwrap();
        assert!(state.done);
        assert_eq!(seen, state.steps);
        assert!(!state.steps.is_empty(), "something should shrink");
        let small = link::decode(&state.current).unwrap();
        let after = probe(&small, true).unwrap();
        assert_eq!(after.kind, before.kind);
        assert_eq!(after.cycle, before.cycle);
        assert!(!after.cycle.is_empty());
        // no larger in any parameter
        let w = |s: &Scenario| s.workload;
        assert!(w(&small).writers <= w(&s).writers);
        assert!(w(&small).hogs <= w(&s).hogs);
        assert!(w(&small).mmap_writers <= w(&s).mmap_writers);
        assert!(w(&small).mmap_pages_s <= w(&s).mmap_pages_s);
        assert!(w(&small).writer_kb_s <= w(&s).writer_kb_s);
        assert!(small.interventions.len() <= s.interventions.len());
        assert!(small.duration_ms <= s.duration_ms);
        assert!(
            small.duration_ms >= after.detected_ms,
            "the run ends after its hang"
        );
        assert!(small.machine.ram_mb.abs_diff(128) <= s.machine.ram_mb.abs_diff(128));
        for ((k, a), (_, b)) in sizes(&small).iter().zip(sizes(&s)) {
            assert!(*a <= b, "{k} grew");
        }
        // each step is smaller than the one before
        let mut prev = s.clone();
        for st in &state.steps {
            let next = link::decode(&st.link).unwrap();
            assert!(smaller(&next, &prev), "{}", st.what);
            prev = next;
        }
    }

    #[test]
    fn shrinking_is_deterministic() {
        let s = link::decode(BIG).unwrap();
        let one = shrink(&s, 1, true, &mut |_, _| {}).unwrap();
        let three = shrink(&s, 3, true, &mut |_, _| {}).unwrap();
        assert_eq!(one.steps, three.steps);
        assert_eq!(one.current, three.current);
        let again = shrink(&s, 1, true, &mut |_, _| {}).unwrap();
        assert_eq!(one, again);
    }

    #[test]
    fn a_scenario_that_does_not_hang_is_refused() {
        let s = link::decode("v=1&preset=dfly-2008-07-01&until=20s").unwrap();
        let e = shrink(&s, 1, true, &mut |_, _| {}).unwrap_err();
        assert!(e.0[0].contains("does not hang ("), "{e}");
    }

    #[test]
    fn candidates_are_smaller_and_valid() {
        let s = link::decode(BIG).unwrap();
        let mut st = begin(&s);
        assert_eq!(candidates(&st).unwrap().len(), 1);
        step(&mut st, &[probe(&s, true).unwrap()]).unwrap();
        let list = candidates(&st).unwrap();
        assert!(list.len() > 10, "{list:?}");
        assert_eq!(list[0].what, "without any intervention");
        for c in &list {
            let cs = link::decode(&c.link).unwrap();
            assert!(smaller(&cs, &s), "{}", c.what);
        }
    }
}
