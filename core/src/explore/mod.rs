//! Many runs: the layer above the engine. Everything here drives [`Simulation`]s through their
//! public API only — `new`, `advance`, `run`, the outcome, the records and the state digest — and
//! never reaches into the kernel, so what it finds is what any caller of the engine would see.
//!
//! - [`diverge`]: two scenarios stepped in lockstep, and the first tick at which they differ.
//! - [`grid`]: every on/off combination of the fix's switches over a set of seeds, and the
//!   smallest sets of switches that cure the scenario.
//! - [`map`]: a phase map: the hang rate and the time to hang over two numeric keys.
//! - [`shard`]: a sweep, grid or map split into parts (JSON lines) and merged back.
//! - [`shrink`]: the smallest scenario that still hangs the same way as a given one.
//! - [`survival`]: the fraction of runs alive against time, kernel by kernel, over many seeds.
//! - [`sweep`]: many independent runs in parallel, in a stable order (under `sweep` and `grid`).
//! - [`twins`]: runs that are one run (they differ only in mechanisms it never read), simulated
//!   once: the grid, the map and the survival run each distinct run once.
//!
//! The command line (`pageout-sim diff`, `pageout-sim grid`) and the wasm facade call these
//! functions, so the terminal and the page agree by construction.

use std::fmt;

use crate::{OutcomeKind, Scenario, Simulation};

pub mod diverge;
pub mod grid;
pub mod map;
pub mod shard;
pub mod shrink;
pub mod survival;
pub mod sweep;
pub mod twins;

/// A problem that stops an exploration before it runs: one message per problem, each naming
/// what is wrong (the scenario, the key, the value) and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExploreError(pub Vec<String>);

impl fmt::Display for ExploreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

impl std::error::Error for ExploreError {}

/// Boots a run of `s`, with the work budget or without it. `what` names the scenario in the
/// messages (`A`, `B`, or empty).
pub fn start(s: &Scenario, budget: bool, what: &str) -> Result<Simulation, ExploreError> {
    let sim = if budget {
        Simulation::new(s)
    } else {
        Simulation::new_unbudgeted(s)
    };
    sim.map_err(|e| problems(&e, what))
}

/// Whether [`start`] would boot `s`, without booting it: the same checks and messages.
pub fn admit(s: &Scenario, budget: bool, what: &str) -> Result<(), ExploreError> {
    s.validate()
        .and_then(|()| if budget { s.check_budget() } else { Ok(()) })
        .map_err(|e| problems(&e, what))
}

fn problems(e: &crate::ScenarioErrors, what: &str) -> ExploreError {
    ExploreError(
        e.0.iter()
            .map(|fe| {
                if what.is_empty() {
                    fe.to_string()
                } else {
                    format!("{what}: {fe}")
                }
            })
            .collect(),
    )
}

/// A u64 as 16 lower-case hex digits, the form trace hashes take everywhere.
pub fn hex(h: u64) -> String {
    format!("{h:016x}")
}

/// Serializes a hash as [`hex`].
fn serialize_hex<S: serde::Serializer>(h: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(*h))
}

/// The outcomes in the order a cell's worst run is chosen, worst first (grids and maps).
pub const SEVERITY: [OutcomeKind; 5] = [
    OutcomeKind::Deadlock,
    OutcomeKind::Stall,
    OutcomeKind::OutOfMemory,
    OutcomeKind::Starved,
    OutcomeKind::Survived,
];

/// An outcome's place in [`SEVERITY`]; a run without an outcome is judged worst: nothing says it
/// went on.
pub(crate) fn severity(kind: Option<OutcomeKind>) -> usize {
    kind.and_then(|k| SEVERITY.iter().position(|&s| s == k))
        .unwrap_or(0)
}

/// An outcome's name, `none` for a run without one.
pub(crate) fn kind_name(kind: Option<OutcomeKind>) -> &'static str {
    kind.map_or("none", OutcomeKind::name)
}

/// Checks the seeds of a grid or a map (`what`): at least one, at most `most`, each once.
pub(crate) fn check_seeds(seeds: &[u64], most: usize, what: &str) -> Result<(), ExploreError> {
    let bad = |m: String| Err(ExploreError(vec![m]));
    if seeds.is_empty() {
        return bad(format!(
            "seeds: none given; a {what} needs at least one seed"
        ));
    }
    if seeds.len() > most {
        return bad(format!(
            "seeds: {} given; at most {most} per {what}",
            seeds.len()
        ));
    }
    let mut sorted = seeds.to_vec();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return bad(format!(
            "seeds: {} is given twice; each seed may appear once",
            w[0]
        ));
    }
    Ok(())
}
