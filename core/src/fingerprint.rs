//! Links that prove they still reproduce: the fingerprint of a run (the engine version that ran
//! it, its outcome and when, its trace hash) written into its link as three keys, and the check
//! of a run against the fingerprint its link carries.
//!
//! ```text
//! #v=1&preset=dfly-2008-06-30&ram=64M&seed=19&ev=0.2.0&eo=deadlock@120100ms&eh=898c5918fa5482e6
//! ```
//!
//! | key | what | syntax |
//! |---|---|---|
//! | `ev` | the engine version that made the link | `0.2.0`: letters, digits, `.`, `+`, `-`, at most 32 |
//! | `eo` | the run's outcome and its tick, as a duration | `deadlock@109800ms`, `survived@300s` |
//! | `eh` | the run's trace hash ([`Simulation::trace_hash`]) | 16 lower-case hex digits |
//!
//! Like `t`, the keys are not the scenario: [`crate::scenario::link::decode`] checks their
//! syntax and gives the same scenario with or without them, and the canonical link has none. A
//! fingerprint has all three keys or none ([`Fingerprint::from_link`] names a missing one).
//! [`Fingerprint::verify`] compares a finished run with it: the run *reproduces* the link when its
//! outcome, its tick and its trace hash are the ones the link gives; another engine version is
//! reported, and is no mismatch when the run is the same.
//!
//! This module is a layer above the engine: it reads a run through the public [`Simulation`] API.

use serde::{Deserialize, Serialize};

use crate::scenario::link::{self, LinkError, LinkErrors, FINGERPRINT_KEYS};
use crate::{OutcomeKind, Simulation, ENGINE_VERSION, HZ};

/// What a run was: the engine that ran it, its outcome and when, its trace hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fingerprint {
    /// The engine version (`ev`).
    pub engine: String,
    /// The outcome (`eo`, before the `@`).
    pub outcome: OutcomeKind,
    /// The outcome's tick (`eo`, after the `@`, written in ms).
    pub tick: u64,
    /// The trace hash (`eh`), 16 lower-case hex digits.
    pub hash: String,
}

/// One way a run differs from the fingerprint of its link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// The key that differs: `ev`, `eo` or `eh`.
    pub key: String,
    /// What the link says.
    pub expected: String,
    /// What this run gave.
    pub actual: String,
    /// One sentence saying so.
    pub message: String,
}

/// A run checked against its link's fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// The outcome, its tick and the trace hash are the link's (the engine version may differ).
    pub reproduced: bool,
    /// Everything that differs, the engine version included, in key order.
    pub differences: Vec<Difference>,
    /// One or two sentences for a banner or a terminal.
    pub summary: String,
    /// What the link says.
    pub expected: Fingerprint,
    /// What this run gave.
    pub actual: Fingerprint,
}

/// The longest engine version `ev` takes.
const MAX_VERSION: usize = 32;

/// Checks the syntax of one fingerprint key's value; the error is what is allowed. The link
/// codec calls it for `ev`, `eo` and `eh`.
pub fn check_value(key: &str, value: &str) -> Result<(), String> {
    match key {
        "ev" => parse_version(value).map(drop),
        "eo" => parse_outcome(value).map(drop),
        "eh" => parse_hash(value).map(drop),
        _ => Err("a fingerprint key: ev, eo or eh".into()),
    }
}

fn parse_version(value: &str) -> Result<&str, String> {
    let ok = !value.is_empty()
        && value.len() <= MAX_VERSION
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b));
    ok.then_some(value).ok_or_else(|| {
        format!(
            "an engine version like {ENGINE_VERSION}: letters, digits, '.', '+' and '-', at most \
             {MAX_VERSION}"
        )
    })
}

const KINDS: [OutcomeKind; 5] = [
    OutcomeKind::Survived,
    OutcomeKind::Deadlock,
    OutcomeKind::Stall,
    OutcomeKind::Starved,
    OutcomeKind::OutOfMemory,
];

fn parse_outcome(value: &str) -> Result<(OutcomeKind, u64), String> {
    let allowed = || {
        let kinds: Vec<&str> = KINDS.iter().map(|k| k.name()).collect();
        format!(
            "an outcome and when, like deadlock@109800ms: one of {} @ a duration in whole ticks \
             (10 ms)",
            kinds.join(", ")
        )
    };
    let (kind, at) = value.split_once('@').ok_or_else(allowed)?;
    let kind = KINDS
        .into_iter()
        .find(|k| k.name() == kind)
        .ok_or_else(allowed)?;
    let ms = link::parse_duration(at)
        .filter(|ms| ms % (1000 / HZ) == 0)
        .ok_or_else(allowed)?;
    Ok((kind, ms / (1000 / HZ)))
}

fn parse_hash(value: &str) -> Result<&str, String> {
    let ok = value.len() == 16
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    ok.then_some(value)
        .ok_or_else(|| "a trace hash: 16 lower-case hex digits".to_string())
}

/// The words of an outcome and its time: `deadlock at 109.80 s`.
fn outcome_words(kind: OutcomeKind, tick: u64) -> String {
    format!("{} at {}.{:02} s", kind.name(), tick / HZ, tick % HZ)
}

impl Fingerprint {
    /// The fingerprint of a finished run; `None` while it has no outcome.
    pub fn of(sim: &Simulation) -> Option<Fingerprint> {
        let o = sim.outcome()?;
        Some(Fingerprint {
            engine: ENGINE_VERSION.to_string(),
            outcome: o.kind,
            tick: o.tick,
            hash: format!("{:016x}", sim.trace_hash()),
        })
    }

    /// The link keys, joined by `&`: `ev=0.2.0&eo=deadlock@120100ms&eh=898c5918fa5482e6`.
    pub fn keys(&self) -> String {
        format!(
            "ev={}&eo={}@{}&eh={}",
            self.engine,
            self.outcome.name(),
            link::duration_text(self.tick * (1000 / HZ)),
            self.hash
        )
    }

    /// The fingerprint a link carries: `None` when it has none of the keys, an error naming
    /// each key that is missing or unreadable when it has some.
    pub fn from_link(text: &str) -> Result<Option<Fingerprint>, LinkErrors> {
        let values: Vec<Option<String>> = FINGERPRINT_KEYS
            .iter()
            .map(|k| link::key_value(text, k))
            .collect();
        if values.iter().all(Option::is_none) {
            return Ok(None);
        }
        let mut errors = Vec::new();
        for (key, v) in FINGERPRINT_KEYS.iter().zip(&values) {
            let problem = match v {
                None => Some((
                    String::new(),
                    "given with the other two".to_string(),
                    format!(
                        "{key} is missing: a fingerprint is ev, eo and eh together (the engine \
                         version, the outcome and the trace hash)"
                    ),
                )),
                Some(v) => check_value(key, v).err().map(|allowed| {
                    let message = format!("{key}={v} is not a valid value: {key} takes {allowed}");
                    (v.clone(), allowed, message)
                }),
            };
            if let Some((given, allowed, message)) = problem {
                errors.push(LinkError {
                    key: (*key).to_string(),
                    given,
                    allowed,
                    message,
                });
            }
        }
        if !errors.is_empty() {
            return Err(LinkErrors(errors));
        }
        // every key is given and reads (checked above)
        let [ev, eo, eh] = [0, 1, 2].map(|i| values[i].clone().unwrap_or_default());
        let (outcome, tick) = parse_outcome(&eo).map_err(|_| LinkErrors(Vec::new()))?;
        Ok(Some(Fingerprint {
            engine: ev,
            outcome,
            tick,
            hash: eh,
        }))
    }

    /// Compares a run (`actual`) with this fingerprint, the link's.
    pub fn verify(&self, actual: &Fingerprint) -> Verdict {
        let mut differences = Vec::new();
        let version_differs = self.engine != actual.engine;
        if version_differs {
            differences.push(Difference {
                key: "ev".into(),
                expected: self.engine.clone(),
                actual: actual.engine.clone(),
                message: format!(
                    "the link was made by engine {}; this is engine {}",
                    self.engine, actual.engine
                ),
            });
        }
        let (want, got) = (
            outcome_words(self.outcome, self.tick),
            outcome_words(actual.outcome, actual.tick),
        );
        if want != got {
            differences.push(Difference {
                key: "eo".into(),
                expected: want.clone(),
                actual: got.clone(),
                message: format!("the outcome is {got}, where the link says {want}"),
            });
        }
        if self.hash != actual.hash {
            differences.push(Difference {
                key: "eh".into(),
                expected: self.hash.clone(),
                actual: actual.hash.clone(),
                message: format!(
                    "the trace hash is {}, where the link says {}",
                    actual.hash, self.hash
                ),
            });
        }
        let reproduced = differences.iter().all(|d| d.key == "ev");
        let summary = if reproduced && !version_differs {
            format!(
                "Reproduced: {got}, trace hash {}, on engine {}, as the link says.",
                actual.hash, actual.engine
            )
        } else if reproduced {
            format!(
                "Reproduced on another engine version: the link was made by engine {}, this is \
                 engine {}; the outcome ({got}) and the trace hash ({}) are the same.",
                self.engine, actual.engine, actual.hash
            )
        } else {
            let what: Vec<&str> = differences.iter().map(|d| d.message.as_str()).collect();
            format!("Not reproduced: {}.", what.join("; "))
        };
        Verdict {
            reproduced,
            differences,
            summary,
            expected: self.clone(),
            actual: actual.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::link::{canonical, decode};
    use crate::Scenario;

    fn print(engine: &str, outcome: OutcomeKind, tick: u64, hash: &str) -> Fingerprint {
        Fingerprint {
            engine: engine.into(),
            outcome,
            tick,
            hash: hash.into(),
        }
    }

    const LINK: &str = "v=1&preset=dfly-2008-06-30&ram=64M&seed=19";

    #[test]
    fn the_fingerprint_keys_round_trip_through_a_link() {
        for f in [
            print("0.1.0", OutcomeKind::Deadlock, 10_980, "155f656a4d2d97b4"),
            print(
                "0.2.0-rc.1+x",
                OutcomeKind::Survived,
                30_000,
                "0000000000000000",
            ),
            print("1", OutcomeKind::OutOfMemory, 1, "ffffffffffffffff"),
        ] {
            let link = format!("{LINK}&{}", f.keys());
            assert_eq!(Fingerprint::from_link(&link), Ok(Some(f.clone())), "{link}");
            // the keys are not the scenario: same scenario, same canonical link
            assert_eq!(decode(&link), decode(LINK));
            assert_eq!(canonical(&link).unwrap(), canonical(LINK).unwrap());
        }
        assert_eq!(
            print("0.1.0", OutcomeKind::Deadlock, 10_980, "155f656a4d2d97b4").keys(),
            "ev=0.1.0&eo=deadlock@109800ms&eh=155f656a4d2d97b4"
        );
        assert_eq!(
            print("0.1.0", OutcomeKind::Survived, 30_000, "155f656a4d2d97b4").keys(),
            "ev=0.1.0&eo=survived@300s&eh=155f656a4d2d97b4"
        );
    }

    #[test]
    fn a_link_without_a_fingerprint_reads_as_before() {
        assert_eq!(Fingerprint::from_link(LINK), Ok(None));
        assert_eq!(
            decode(LINK),
            Ok(Scenario {
                ..Scenario::default()
            })
        );
        assert_eq!(
            Fingerprint::from_link(&format!("{LINK}&t=109800ms")),
            Ok(None)
        );
    }

    #[test]
    fn a_bad_fingerprint_value_names_its_key() {
        for (bad, key) in [
            ("ev=0.1.0&eo=deadlock@109800ms&eh=155F656A4D2D97B4", "eh"),
            ("ev=0.1.0&eo=deadlock@109800ms&eh=155f", "eh"),
            ("ev=0.1.0&eo=hung@109800ms&eh=155f656a4d2d97b4", "eo"),
            ("ev=0.1.0&eo=deadlock@109805ms&eh=155f656a4d2d97b4", "eo"),
            ("ev=0.1.0&eo=deadlock&eh=155f656a4d2d97b4", "eo"),
            ("ev=a b&eo=deadlock@1s&eh=155f656a4d2d97b4", "ev"),
        ] {
            let link = format!("{LINK}&{bad}");
            let e = decode(&link).expect_err(&link);
            assert_eq!(e.keys(), vec![key], "{link}: {e}");
            let e = Fingerprint::from_link(&link).expect_err(&link);
            assert_eq!(e.keys(), vec![key], "{link}: {e}");
        }
    }

    #[test]
    fn a_fingerprint_is_all_three_keys() {
        let e = Fingerprint::from_link(&format!("{LINK}&ev=0.1.0&eh=155f656a4d2d97b4"))
            .expect_err("eo is missing");
        assert_eq!(e.keys(), vec!["eo"]);
        assert!(e.0[0].message.contains("eo is missing"), "{e}");
    }

    #[test]
    fn the_same_run_is_reproduced() {
        let f = print("0.1.0", OutcomeKind::Deadlock, 10_980, "155f656a4d2d97b4");
        let v = f.verify(&f);
        assert!(v.reproduced);
        assert!(v.differences.is_empty());
        assert!(
            v.summary.starts_with("Reproduced: deadlock at 109.80 s"),
            "{}",
            v.summary
        );
    }

    #[test]
    fn another_engine_version_is_said_but_is_no_mismatch() {
        let link = print("0.0.9", OutcomeKind::Deadlock, 10_980, "155f656a4d2d97b4");
        let run = print("0.1.0", OutcomeKind::Deadlock, 10_980, "155f656a4d2d97b4");
        let v = link.verify(&run);
        assert!(v.reproduced);
        assert_eq!(v.differences.len(), 1);
        assert_eq!(v.differences[0].key, "ev");
        assert!(v.summary.contains("engine 0.0.9"), "{}", v.summary);
    }

    #[test]
    fn a_mismatch_names_exactly_what_differs() {
        let link = print("0.0.9", OutcomeKind::Deadlock, 10_980, "155f656a4d2d97b4");
        let run = print("0.1.0", OutcomeKind::Survived, 30_000, "0123456789abcdef");
        let v = link.verify(&run);
        assert!(!v.reproduced);
        let keys: Vec<&str> = v.differences.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, vec!["ev", "eo", "eh"]);
        assert_eq!(v.differences[1].expected, "deadlock at 109.80 s");
        assert_eq!(v.differences[1].actual, "survived at 300.00 s");
        assert_eq!(
            v.summary,
            "Not reproduced: the link was made by engine 0.0.9; this is engine 0.1.0; the \
             outcome is survived at 300.00 s, where the link says deadlock at 109.80 s; the \
             trace hash is 0123456789abcdef, where the link says 155f656a4d2d97b4."
        );
        // only the hash
        let v = link.verify(&print(
            "0.0.9",
            OutcomeKind::Deadlock,
            10_980,
            "0123456789abcdef",
        ));
        assert!(!v.reproduced);
        assert_eq!(v.differences.len(), 1);
        assert_eq!(v.differences[0].key, "eh");
    }

    #[test]
    fn a_run_reproduces_the_fingerprint_it_wrote() {
        let s = Scenario {
            duration_ms: 2_000,
            ..Scenario::default()
        };
        let mut sim = Simulation::new(&s).unwrap();
        assert_eq!(Fingerprint::of(&sim), None, "no outcome yet");
        sim.run();
        let f = Fingerprint::of(&sim).unwrap();
        let link = format!("{}&{}", link::encode(&s), f.keys());
        let again = decode(&link).unwrap();
        let mut sim2 = Simulation::new(&again).unwrap();
        sim2.run();
        let v = Fingerprint::from_link(&link)
            .unwrap()
            .unwrap()
            .verify(&Fingerprint::of(&sim2).unwrap());
        assert!(v.reproduced, "{}", v.summary);
        assert!(v.differences.is_empty());
    }
}
