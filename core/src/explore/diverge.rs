//! The first divergence of two runs: the first moment at which the kernels of two scenarios stop
//! doing the same thing, and what each did then.
//!
//! Both runs are stepped one tick at a time in lockstep (`advance(1)`), and after each step their
//! state digests ([`Simulation::state_digest`]) and their statuses are compared. The digest covers
//! the dynamic state and not the scenario, so two runs whose scenarios differ in a switch that
//! never fires never diverge, and a switch that fires makes them diverge where it first acts. A
//! run that ends (its outcome decided) while the other goes on, or with another outcome, differs
//! from then on too. Different machines or workloads differ from boot (tick 0).
//!
//! **The tick.** After step *K* the states are those of the instant *K* × 10 ms, everything at or
//! before it done (the console lines printed in the step are compared too, word for word); so
//! when they first differ after step *K* the two runs parted during the tick
//! before. The tick reported is the tick of the earliest record in that step that differs — a
//! console line, a key moment, a thread that changed state — which is how the console and the
//! timeline stamp it (their clock counts whole ticks); when no record differs (only counters
//! did), it is *K* − 1; when only the outcomes differ, it is *K*, the tick of the sample that
//! decided one of them.
//!
//! After the divergence both runs go on to their ends, for their outcomes and trace hashes.

use serde::Serialize;

use super::{serialize_hex, start, ExploreError};
use crate::{LogLine, Outcome, Scenario, Simulation, ThreadInfo, HZ};

/// At most this many items in one side's account of the divergence.
const MAX_ITEMS: usize = 8;

/// At most this many counters named when the records say nothing.
const MAX_COUNTERS: usize = 3;

/// Where two runs part, and how each ends.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Divergence {
    /// The tick during which the runs parted; `None` when they never differ.
    pub tick: Option<u64>,
    /// The same in seconds.
    pub seconds: Option<f64>,
    /// What run A did then, in words (empty when they never differ).
    pub a: String,
    /// What run B did then.
    pub b: String,
    /// How A ended.
    pub outcome_a: Option<Outcome>,
    /// How B ended.
    pub outcome_b: Option<Outcome>,
    /// A's trace hash at its end (16 hex digits in JSON).
    #[serde(serialize_with = "serialize_hex")]
    pub trace_hash_a: u64,
    /// B's trace hash at its end.
    #[serde(serialize_with = "serialize_hex")]
    pub trace_hash_b: u64,
}

/// Where a run stood at the start of the step that parted them.
#[derive(Clone, Copy, Debug)]
struct Mark {
    log: usize,
    events: usize,
}

fn mark(s: &Simulation) -> Mark {
    Mark {
        log: s.log_len(),
        events: s.events_len(),
    }
}

fn same_status(a: &Simulation, b: &Simulation) -> bool {
    let (sa, sb) = (a.status(), b.status());
    sa.finished == sb.finished && sa.outcome == sb.outcome
}

/// Whether the console lines printed since `before` say the same (the digest counts the lines;
/// this reads them, when there are new ones).
fn same_new_lines(a: &Simulation, b: &Simulation, before: (Mark, Mark)) -> bool {
    a.log_len() == before.0.log || a.log_since(before.0.log) == b.log_since(before.1.log)
}

/// Runs `a` and `b` side by side to their ends and finds where they part (see the module).
/// `budget`: refuse scenarios beyond the work budget, as [`Simulation::new`] does.
pub fn diverge(a: &Scenario, b: &Scenario, budget: bool) -> Result<Divergence, ExploreError> {
    let (ra, rb) = (start(a, budget, "A"), start(b, budget, "B"));
    let (mut sa, mut sb) = match (ra, rb) {
        (Ok(sa), Ok(sb)) => (sa, sb),
        (ra, rb) => {
            let mut all = Vec::new();
            for r in [ra, rb] {
                if let Err(e) = r {
                    all.extend(e.0);
                }
            }
            return Err(ExploreError(all));
        }
    };
    let mut found = None;
    let mut before = (mark(&sa), mark(&sb));
    if sa.state_digest() != sb.state_digest() {
        found = Some(0);
    } else {
        while !(sa.status().finished && sb.status().finished) {
            before = (mark(&sa), mark(&sb));
            sa.advance(1);
            sb.advance(1);
            if sa.state_digest() != sb.state_digest()
                || !same_status(&sa, &sb)
                || !same_new_lines(&sa, &sb, before)
            {
                found = Some(sa.tick().max(sb.tick()));
                break;
            }
        }
    }
    let (mut tick, mut text_a, mut text_b) = (None, String::new(), String::new());
    if let Some(k) = found {
        let told = Told::of(&sa, &sb, before, k);
        tick = Some(told.tick);
        (text_a, text_b) = (told.a, told.b);
    }
    sa.run();
    sb.run();
    Ok(Divergence {
        tick,
        seconds: tick.map(|t| t as f64 / HZ as f64),
        a: text_a,
        b: text_b,
        outcome_a: sa.outcome().cloned(),
        outcome_b: sb.outcome().cloned(),
        trace_hash_a: sa.trace_hash(),
        trace_hash_b: sb.trace_hash(),
    })
}

/// The account of a divergence: the tick and what each side did.
struct Told {
    tick: u64,
    a: String,
    b: String,
}

impl Told {
    /// What differs between `a` and `b` now, at tick `k`, the first tick their states differ;
    /// `before` is where their records stood at the start of the step.
    fn of(a: &Simulation, b: &Simulation, before: (Mark, Mark), k: u64) -> Told {
        let (mut items_a, mut items_b) = (Vec::new(), Vec::new());
        let mut ticks = Vec::new();
        // the step's records: the tick of the part, read from the clock of the records
        let step = k.saturating_sub(1)..=k;
        let in_step = |t: u64| step.contains(&t);

        let (la, lb) = (a.log_since(before.0.log), b.log_since(before.1.log));
        let line = |l: &LogLine| format!("prints \"{}\"", l.text);
        differing(
            &la,
            &lb,
            |l| l.tick,
            line,
            &mut items_a,
            &mut items_b,
            &mut ticks,
        );

        let (ea, eb) = (
            a.events_since(before.0.events),
            b.events_since(before.1.events),
        );
        let event = |e: &crate::events::Event| {
            if e.thread.is_empty() {
                format!("{}: {}", e.kind.name(), e.why)
            } else {
                format!("{} ({}): {}", e.thread, e.kind.name(), e.why)
            }
        };
        differing(
            &ea,
            &eb,
            |e| e.tick,
            event,
            &mut items_a,
            &mut items_b,
            &mut ticks,
        );

        let (ta, tb) = (a.threads(), b.threads());
        for (mine, theirs, items) in [(&ta, &tb, &mut items_a), (&tb, &ta, &mut items_b)] {
            for t in mine {
                let other = theirs.iter().find(|u| u.name == t.name);
                if other.is_none_or(|u| !same_thread(t, u)) {
                    items.push(doing(t, in_step(t.since)));
                    ticks.push(t.since);
                }
            }
        }

        let (oa, ob) = (a.status(), b.status());
        let ends_differ = oa.finished != ob.finished || oa.outcome != ob.outcome;
        for (items, sim) in [(&mut items_a, a), (&mut items_b, b)] {
            match sim.outcome() {
                Some(o) if ends_differ => {
                    items.push(format!("the run ends: {} — {}", o.kind.name(), o.summary))
                }
                None if ends_differ => items.push("goes on".into()),
                _ => {}
            }
        }

        // only counters differ: name the first few
        if items_a.is_empty() && items_b.is_empty() {
            let (ca, cb) = (a.state_counters(), b.state_counters());
            for ((name, va), (_, vb)) in ca.iter().zip(&cb).filter(|(x, y)| x.1 != y.1) {
                if items_a.len() == MAX_COUNTERS {
                    break;
                }
                items_a.push(format!("{name} {va}"));
                items_b.push(format!("{name} {vb}"));
            }
        }

        let mut candidates: Vec<u64> = ticks.into_iter().filter(|&t| in_step(t)).collect();
        if ends_differ {
            candidates.push(k);
        }
        let tick = if k == 0 {
            0
        } else {
            candidates.into_iter().min().unwrap_or(k - 1)
        };
        Told {
            tick,
            a: join(items_a),
            b: join(items_b),
        }
    }
}

/// The records of the step that differ between the two sides, from the first that differs on:
/// each side's from there on goes to its items, and their ticks to `ticks`.
fn differing<T: PartialEq>(
    a: &[T],
    b: &[T],
    tick: impl Fn(&T) -> u64,
    say: impl Fn(&T) -> String,
    items_a: &mut Vec<String>,
    items_b: &mut Vec<String>,
    ticks: &mut Vec<u64>,
) {
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    for (side, items) in [(a, items_a), (b, items_b)] {
        for r in &side[same..] {
            items.push(say(r));
            ticks.push(tick(r));
        }
    }
}

fn same_thread(x: &ThreadInfo, y: &ThreadInfo) -> bool {
    (
        x.state.as_str(),
        x.wmesg.as_str(),
        x.path.as_str(),
        x.timed,
        x.since,
    ) == (
        y.state.as_str(),
        y.wmesg.as_str(),
        y.path.as_str(),
        y.timed,
        y.since,
    )
}

/// What a thread is doing, as a clause: `pagedaemon sleeps in VMWait in bio_page_alloc`, or
/// `pagedaemon goes to sleep in …` when it changed state in the step (`now`).
fn doing(t: &ThreadInfo, now: bool) -> String {
    match t.state.as_str() {
        "sleeping" => {
            let verb = if now { "goes to sleep" } else { "sleeps" };
            let mut s = format!("{} {verb} in {}", t.name, t.wmesg);
            if !t.path.is_empty() {
                s += &format!(" in {}", t.path);
            }
            if t.timed {
                s += " (with a timeout)";
            }
            s
        }
        "running" if now => format!("{} wakes and runs", t.name),
        "running" => format!("{} runs", t.name),
        "runnable" => format!("{} is woken (runnable)", t.name),
        "exited" => format!("{} has exited", t.name),
        other => format!("{} is {other}", t.name),
    }
}

fn join(mut items: Vec<String>) -> String {
    if items.len() > MAX_ITEMS {
        let more = items.len() - MAX_ITEMS;
        items.truncate(MAX_ITEMS);
        items.push(format!("… {more} more"));
    }
    items.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{msg, KernelPreset, Machine, ScenarioPreset};

    fn with(s: &Scenario, key: &str, value: &str) -> Scenario {
        crate::scenario::link::apply(s, &[(key, value)]).unwrap()
    }

    #[test]
    fn identical_runs_never_diverge() {
        let s = Scenario::default();
        let d = diverge(&s, &s, true).unwrap();
        assert_eq!(d.tick, None);
        assert_eq!((d.a.as_str(), d.b.as_str()), ("", ""));
        assert_eq!(d.trace_hash_a, d.trace_hash_b);
        assert_eq!(d.outcome_a, d.outcome_b);
        // and each run is the run it is alone
        let mut solo = Simulation::new(&s).unwrap();
        solo.run();
        assert_eq!(d.trace_hash_a, solo.trace_hash());
    }

    #[test]
    fn a_switch_that_never_fires_never_diverges() {
        // 2008-07-01 on a machine large enough that bio_page_alloc never reaches its second try:
        // the engine's own count says recoverbufpages() was never called
        let a = Scenario {
            preset: KernelPreset::Dfly20080701,
            machine: Machine {
                ram_mb: 256,
                ..Scenario::default().machine
            },
            duration_ms: 60_000,
            ..Scenario::default()
        };
        let mut run = Simulation::new(&a).unwrap();
        run.run();
        assert_eq!(run.stats().recoverbufcalls, 0, "the switch must not fire");
        let b = with(&a, "recoverbufpages", "off");
        assert_ne!(a, b);
        let d = diverge(&a, &b, true).unwrap();
        assert_eq!(d.tick, None, "{d:?}");
        assert_eq!(d.trace_hash_a, d.trace_hash_b);
    }

    #[test]
    fn a_switch_that_fires_diverges_at_the_tick_it_first_fires() {
        // The fix without recoverbufpages on a small machine: its emergency allocations take the
        // last pages of the interrupt reserve. Without the interrupt retry the same second try
        // fails, and the console says so: the first "failed" line of B is the moment the switch
        // first changes what the kernel does.
        let a = with(
            &ScenarioPreset::EmergencyFails.scenario(),
            "interrupt",
            "on",
        );
        let b = with(&a, "interrupt", "off");
        let mut run_b = Simulation::new(&b).unwrap();
        run_b.run();
        let first_fail = run_b
            .log()
            .into_iter()
            .find(|l| l.text == msg::EMERG_FAIL)
            .expect("without the interrupt retry an emergency allocation fails")
            .tick;
        let mut run_a = Simulation::new(&a).unwrap();
        run_a.run();
        assert!(
            run_a
                .log()
                .iter()
                .all(|l| l.text != msg::EMERG_FAIL || l.tick > first_fail),
            "A must not fail there too"
        );
        let d = diverge(&a, &b, true).unwrap();
        assert_eq!(d.tick, Some(first_fail), "{d:?}");
        assert!(d.b.contains(msg::EMERG_FAIL), "{}", d.b);
        assert!(!d.a.contains(msg::EMERG_FAIL), "{}", d.a);
        // and both runs are the runs they are alone
        assert_eq!(d.trace_hash_a, run_a.trace_hash());
        assert_eq!(d.trace_hash_b, run_b.trace_hash());
    }

    #[test]
    fn different_machines_differ_from_boot() {
        let a = Scenario::default();
        let b = with(&a, "ram", "128M");
        let d = diverge(&a, &b, true).unwrap();
        assert_eq!(d.tick, Some(0));
        assert!(d.a.contains("free pages"), "{}", d.a);
    }

    #[test]
    fn a_bad_scenario_names_its_side() {
        let bad = Scenario {
            machine: Machine {
                ram_mb: 1,
                ..Scenario::default().machine
            },
            ..Scenario::default()
        };
        let e = diverge(&Scenario::default(), &bad, true).unwrap_err();
        assert!(e.0.iter().all(|m| m.starts_with("B: ")), "{e}");
    }
}
