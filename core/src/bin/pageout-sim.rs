//! `pageout-sim`: run scenarios from the terminal.
//!
//! ```text
//! pageout-sim run   [--preset NAME | --link '#v=1&…' | --scenario FILE.json] [--kernel NAME]
//!                   [--seed N] [--until 300s] [--set KEY=VALUE]... [--at TIME:ACTION[=VALUE]]...
//!                   [--json | --report] [--export DIR]
//! pageout-sim sweep [--preset NAME | --link '#v=1&…' | --scenario FILE.json] [--kernel NAME]
//!                   --seeds A..B [--until 300s] [--set KEY=VALUE]... [--jobs N] [--json]
//! pageout-sim grid  [--preset NAME | --link '#v=1&…' | --scenario FILE.json] [--kernel NAME]
//!                   [--seeds A..B] [--until 300s] [--set KEY=VALUE]... [--jobs N]
//!                   [--json | --markdown]
//! pageout-sim map   [--preset NAME | --link '#v=1&…' | --scenario FILE.json] [--kernel NAME]
//!                   --x KEY=A..B:N --y KEY=A..B:N [--seeds A..B] [--until 300s]
//!                   [--set KEY=VALUE]... [--jobs N] [--json | --csv]
//! pageout-sim survival [--preset NAME | --link '#v=1&…' | --scenario FILE.json]
//!                   [--kernels K1,K2,...] [--seeds A..B] [--until 3600s] [--set KEY=VALUE]...
//!                   [--jobs N] [--json | --markdown | --csv] [--svg FILE.svg]
//!                   (also `sweep --survival`: every kernel over the sweep's seeds)
//!                   (sweep, grid, map and survival also take --shard K/N or --runs A..B: one
//!                   part, as JSON lines)
//! pageout-sim merge FILES... [--json | --markdown | --csv] [--svg FILE.svg]
//! pageout-sim shrink LINK [--jobs N] [--json]
//! pageout-sim diff  LINK_A LINK_B [--json]      (or one compare link: LINK_A&b.KEY=VALUE…)
//! pageout-sim presets
//! ```
//!
//! The scenario is built the way a link is read: the source (a scenario preset, a link, a JSON
//! file, or the default scenario), then `--kernel`, `--seed`, `--until` and every `--set` as link
//! keys (`--kernel X` is `preset=X`), checked by the link codec. Every run prints its canonical link
//! first, so the page and the terminal can repeat it. A link that carries a fingerprint (`ev`,
//! `eo`, `eh`: the engine version, outcome and trace hash of the run it was made from) is checked
//! against the run. Exit status: 0 for a completed run whatever its outcome (and a link whose
//! fingerprint it reproduces), 2 for bad input, with one message per line on stderr, and 3 when
//! the run does not reproduce its link's fingerprint (another outcome or trace hash); `diff` exits
//! 0 when the two runs never differ and 1 when they do.
//!
//! Everything that runs many simulations (sweep, grid, map, shards, diff) is
//! `pageout_core::explore`; this
//! file parses and prints. Progress goes to stderr when it is a terminal.

use std::io::{IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use pageout_core::events::Event;
use pageout_core::explore::{diverge, grid, map, shard, shrink, survival, sweep, ExploreError};
use pageout_core::fingerprint::Fingerprint;
use pageout_core::policy::MECHANISMS;
use pageout_core::scenario::{intervention, link};
use pageout_core::{export, report};
use pageout_core::{
    KernelPreset, LogLine, Outcome, OutcomeKind, Scenario, ScenarioPreset, Simulation, Stats,
    ThreadInfo, HZ,
};
use serde_json::json;

#[derive(Parser, Debug)]
#[command(
    name = "pageout-sim",
    version,
    about = "Deterministic simulator of the DragonFly BSD 2008 HAMMER lockup"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run one scenario to its outcome: print its link, the console log and a summary.
    ///
    /// A link with a fingerprint (ev=, eo=, eh=, as the page's Share writes it) is checked
    /// against the run: exit status 3 when the outcome or the trace hash differ.
    #[command(after_help = EXIT_CODES)]
    Run {
        #[command(flatten)]
        source: Source,
        /// The seed every random choice derives from (link key `seed`).
        #[arg(long, value_name = "N")]
        seed: Option<String>,
        /// Print one JSON document instead of text.
        #[arg(long, conflicts_with = "report")]
        json: bool,
        /// Print the run's report in Markdown instead (as the page's Report gives it).
        #[arg(long)]
        report: bool,
        /// Also write the run's exports into DIR (created if missing): samples as CSV and
        /// JSON, console.txt, messages.txt, threads.json, outcome.json, report.md, named after
        /// the scenario as the page names its downloads.
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
    },
    /// Run a range of seeds of one scenario in parallel and print how often it hangs.
    Sweep {
        #[command(flatten)]
        source: Source,
        /// Seeds to run: `A..B` (B excluded) or `A..=B` (B included).
        #[arg(long, value_name = "A..B", value_parser = parse_seeds)]
        seeds: Seeds,
        #[command(flatten)]
        many: ManyArgs,
        /// Print one JSON document instead of a table.
        #[arg(long)]
        json: bool,
        /// Run the scenario's workload on every kernel over the seeds and print their survival
        /// instead, as `pageout-sim survival` does (with --json, --markdown, --csv, --svg).
        #[arg(long, conflicts_with = "kernel")]
        survival: bool,
        #[command(flatten)]
        out: SurvivalOut,
    },
    /// Run every on/off combination of the fix's switches over a range of seeds and print
    /// which cure the scenario (exit 0 whatever they find).
    Grid {
        #[command(flatten)]
        source: Source,
        /// Seeds to run in each cell: `A..B` (B excluded) or `A..=B` (B included).
        #[arg(long, value_name = "A..B", value_parser = parse_seeds, default_value = "1..=10")]
        seeds: Seeds,
        #[command(flatten)]
        many: ManyArgs,
        /// Print one JSON document (the page's grid report) instead of a table.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print the table as Markdown.
        #[arg(long)]
        markdown: bool,
    },
    /// Run a phase map: the hang rate and the time to hang over two numeric link keys, each
    /// cell over the seeds (exit 0 whatever they find).
    ///
    /// An axis is KEY=A..B:N, N values from A to B linearly spaced in whole units of the key
    /// (ram=64M..512M:8 is 64M, 128M, ..., 512M), or KEY=V1,V2,... for any other spacing.
    Map {
        #[command(flatten)]
        source: Source,
        /// The horizontal axis, e.g. mrate=500/s..5000/s:10.
        #[arg(long, value_name = "KEY=A..B:N")]
        x: String,
        /// The vertical axis, e.g. ram=64M..512M:8.
        #[arg(long, value_name = "KEY=A..B:N")]
        y: String,
        /// Seeds to run in each cell: `A..B` (B excluded) or `A..=B` (B included).
        #[arg(long, value_name = "A..B", value_parser = parse_seeds, default_value = "1..=10")]
        seeds: Seeds,
        #[command(flatten)]
        many: ManyArgs,
        /// Print one JSON document (the page's map report) instead of tables.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print one CSV row per cell.
        #[arg(long)]
        csv: bool,
    },
    /// Run one workload on every kernel over a range of seeds and print each kernel's survival:
    /// the hang rate at 300 s, 1800 s and 3600 s, the median time to hang and the cycle that
    /// kills it (a run dies in a deadlock, a stall or out of memory, at the outcome's tick).
    ///
    /// The horizon is the scenario's duration: --until, a link's or a scenario file's; 3600s
    /// when none of them gives one. Each kernel runs as its preset alone (the scenario's own
    /// mechanism keys are not used, and a note says so). Progress goes to stderr when it is a
    /// terminal.
    Survival {
        #[command(flatten)]
        source: Source,
        /// The kernels, comma-separated (default: every kernel preset, oldest first).
        #[arg(long, value_name = "K1,K2,...", value_delimiter = ',')]
        kernels: Vec<String>,
        /// Seeds each kernel runs: `A..B` (B excluded) or `A..=B` (B included).
        #[arg(long, value_name = "A..B", value_parser = parse_seeds, default_value = "1..=20")]
        seeds: Seeds,
        #[command(flatten)]
        many: ManyArgs,
        /// Print one JSON document (every kernel's death ticks, curve, rates, killer).
        #[arg(long, conflicts_with_all = ["markdown", "csv"])]
        json: bool,
        #[command(flatten)]
        out: SurvivalOut,
    },
    /// Merge the parts of a sweep, grid, map or survival (written with --shard or --runs) and print what
    /// the unsharded command prints.
    Merge {
        /// The parts, JSON lines as the commands wrote them (in any order).
        #[arg(value_name = "FILES", required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON document, as the command's --json.
        #[arg(long, conflicts_with_all = ["markdown", "csv"])]
        json: bool,
        /// Print a grid's table as Markdown.
        #[arg(long, conflicts_with = "csv")]
        markdown: bool,
        /// Print a map as CSV (a survival: its curves).
        #[arg(long)]
        csv: bool,
        /// A survival's parts: also write the curves as an SVG picture to FILE.
        #[arg(long, value_name = "FILE.svg")]
        svg: Option<PathBuf>,
    },
    /// Run two scenarios side by side and print the first tick at which they differ and how
    /// each ends (exit 0 when they never differ, 1 when they do, 2 for bad input).
    Diff {
        /// Scenario A's link, or one compare link holding both (`…&b.preset=dfly-2008-07-01`).
        #[arg(value_name = "LINK_A", allow_hyphen_values = true)]
        link_a: String,
        /// Scenario B's link.
        #[arg(value_name = "LINK_B", allow_hyphen_values = true)]
        link_b: Option<String>,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// Run scenarios beyond the work budget too.
        #[arg(long)]
        no_budget: bool,
    },
    /// Shrink a hanging scenario: search for a smaller one that hangs the same way (the same
    /// kind of outcome and the same wait-for cycle), printing each step and the final link.
    ///
    /// Candidates, in order: without interventions, fewer hogs, writers and mapped-file
    /// writers, each key at its default, rates and sizes halved, RAM halfway to the default, the
    /// run cut just after the hang. The first that hangs the same way is taken, and the search
    /// starts over from it; it ends when none does. Deterministic whatever --jobs is.
    Shrink {
        /// The hanging scenario's link.
        #[arg(value_name = "LINK", allow_hyphen_values = true)]
        link: String,
        /// Runs at once (default: the number of CPUs).
        #[arg(long, value_name = "N")]
        jobs: Option<NonZeroUsize>,
        /// Print one JSON document at the end instead of the steps as they come.
        #[arg(long)]
        json: bool,
        /// Run scenarios beyond the work budget too.
        #[arg(long)]
        no_budget: bool,
    },
    /// List the scenario presets, the kernel presets and the mechanisms of the fix.
    Presets,
}

/// The exit codes, for `run --help`.
const EXIT_CODES: &str = "Exit status: 0 the run completed (whatever its outcome; a link's \
fingerprint, if any, reproduced), 2 bad input, 3 the run did not reproduce the fingerprint of its \
link (another outcome or trace hash).";

/// Exit status when a run does not reproduce its link's fingerprint.
const NOT_REPRODUCED: u8 = 3;

/// Where the scenario comes from, and the link keys set on top of it.
#[derive(Args, Debug)]
struct Source {
    /// A scenario preset (see `presets`); a kernel preset name means the default scenario on it.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["link", "scenario"])]
    preset: Option<String>,
    /// A share link: the fragment (`#v=1&…`, quote it for the shell) or the page's whole URL.
    // a link is never an option, even when it starts with `-`
    #[arg(
        long,
        value_name = "LINK",
        conflicts_with = "scenario",
        allow_hyphen_values = true
    )]
    link: Option<String>,
    /// A scenario as JSON (the page's and the engine's serde form).
    #[arg(long, value_name = "FILE.json")]
    scenario: Option<PathBuf>,
    /// The kernel preset (link key `preset`), e.g. dfly-2008-07-01.
    #[arg(long, value_name = "NAME")]
    kernel: Option<String>,
    /// How long to run, e.g. 300s (link key `until`).
    #[arg(long, value_name = "DURATION")]
    until: Option<String>,
    /// Any link key, e.g. --set ram=256M --set recoverbufpages=off (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// A timed intervention, e.g. --at 30s:hog=64M --at 60s:sync --at 90s:stop=writer0
    /// (repeatable; added to the link's `at` list in time order; see `at` in the link keys).
    #[arg(long = "at", value_name = "TIME:ACTION[=VALUE]")]
    at: Vec<String>,
    /// Run scenarios beyond the work budget too (a run may then take minutes).
    #[arg(long)]
    no_budget: bool,
}

/// How a survival prints (a table by default), and the picture it may write.
#[derive(Args, Debug)]
struct SurvivalOut {
    /// Print the survival table as Markdown (core/README's table).
    #[arg(long, conflicts_with = "csv")]
    markdown: bool,
    /// Print every kernel's curve as CSV: kernel,t_s,alive (one row per step).
    #[arg(long)]
    csv: bool,
    /// Also write the curves, kernel after kernel, as an SVG picture to FILE.
    #[arg(long, value_name = "FILE.svg")]
    svg: Option<PathBuf>,
}

/// How many runs at once, and which part of the job this process does.
#[derive(Args, Debug)]
struct ManyArgs {
    /// Runs at once (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    jobs: Option<NonZeroUsize>,
    /// Do only shard K of N (K = 1..=N: the runs whose index is K-1 modulo N) and print it as
    /// JSON lines for `pageout-sim merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard, conflicts_with = "runs")]
    shard: Option<shard::Part>,
    /// Do only the runs with these indices (A..B or A..=B, from 0, in the unsharded order: seed
    /// by seed, cell by cell) and print them as JSON lines for `pageout-sim merge`.
    #[arg(long, value_name = "A..B", value_parser = parse_runs)]
    runs: Option<shard::Part>,
}

impl ManyArgs {
    fn how(&self, budget: bool) -> Many {
        Many {
            jobs: self.jobs,
            part: self.shard.or(self.runs),
            budget,
        }
    }
}

fn parse_shard(text: &str) -> Result<shard::Part, String> {
    if !text.contains('/') {
        return Err(format!("{text:?} is not K/N, e.g. 3/8"));
    }
    shard::Part::parse(text)
}

fn parse_runs(text: &str) -> Result<shard::Part, String> {
    if text.contains('/') {
        return Err(format!("{text:?} is not a range A..B of run indices"));
    }
    shard::Part::parse(text)
}

/// A seed range, `A..B` or `A..=B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seeds {
    first: u64,
    last: u64,
}

impl Seeds {
    /// How many seeds the range holds (all of them: 2^64, one more than a `u64` holds).
    fn count(self) -> u128 {
        u128::from(self.last - self.first) + 1
    }
}

/// At most this many runs in one sweep.
const MAX_SWEEP: u64 = 1_000_000;

fn parse_seeds(text: &str) -> Result<Seeds, String> {
    let syntax = "a seed range A..B (B excluded) or A..=B (B included), e.g. 1..101";
    let (a, b, inclusive) = if let Some((a, b)) = text.split_once("..=") {
        (a, b, true)
    } else if let Some((a, b)) = text.split_once("..") {
        (a, b, false)
    } else {
        return Err(format!("{text:?} is not {syntax}"));
    };
    let number = |s: &str| -> Result<u64, String> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "{s:?} in {text:?} is not a seed 0..={}; allowed {syntax}",
                u64::MAX
            ));
        }
        s.parse()
            .map_err(|_| format!("{s:?} in {text:?} is beyond the largest seed {}", u64::MAX))
    };
    let (first, end) = (number(a)?, number(b)?);
    let last = if inclusive {
        Some(end)
    } else {
        end.checked_sub(1)
    };
    match last {
        Some(last) if last >= first => {
            let seeds = Seeds { first, last };
            if seeds.count() > u128::from(MAX_SWEEP) {
                Err(format!(
                    "{text} holds {} seeds; at most {MAX_SWEEP} per sweep",
                    seeds.count()
                ))
            } else {
                Ok(seeds)
            }
        }
        _ => Err(format!("{text} holds no seed; allowed {syntax}")),
    }
}

/// Bad input: the messages to print, one per line.
struct BadInput(Vec<String>);

impl From<link::LinkErrors> for BadInput {
    fn from(e: link::LinkErrors) -> Self {
        BadInput(e.0.into_iter().map(|e| e.message).collect())
    }
}

impl From<ExploreError> for BadInput {
    fn from(e: ExploreError) -> Self {
        BadInput(e.0)
    }
}

/// What a command printed, and the exit status it asks for.
struct Done {
    text: String,
    code: u8,
}

impl From<String> for Done {
    fn from(text: String) -> Self {
        Done { text, code: 0 }
    }
}

/// Prints `done/total what` over itself on stderr, when stderr is a terminal; `finish` clears it.
struct Progress {
    on: bool,
    what: &'static str,
}

impl Progress {
    fn new(what: &'static str) -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            what,
        }
    }

    fn tell(&self, done: usize, total: usize) {
        if self.on {
            eprint!("\r{done}/{total} {}", self.what);
        }
    }

    fn finish(&self) {
        if self.on {
            eprint!("\r\x1b[K");
        }
    }
}

/// `--jobs`, or every CPU.
fn jobs_or_all(jobs: Option<NonZeroUsize>) -> usize {
    jobs.or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get)
}

/// The scenario of a source plus the keys set on it.
fn scenario_of(src: &Source, seed: Option<&str>) -> Result<Scenario, BadInput> {
    let base = if let Some(name) = &src.preset {
        if let Some(p) = ScenarioPreset::from_name(name) {
            p.scenario()
        } else if let Some(k) = KernelPreset::from_name(name) {
            Scenario {
                preset: k,
                ..Scenario::default()
            }
        } else {
            let scenarios = ScenarioPreset::ALL.map(ScenarioPreset::name).join(", ");
            let kernels = KernelPreset::ALL.map(KernelPreset::name).join(", ");
            return Err(BadInput(vec![format!(
                "--preset {name:?} is not a preset: allowed are the scenario presets {scenarios} \
                 and the kernel presets {kernels}"
            )]));
        }
    } else if let Some(l) = &src.link {
        link::decode(l)?
    } else if let Some(path) = &src.scenario {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| BadInput(vec![format!("--scenario {shown}: cannot read it: {e}")]))?;
        serde_json::from_str(&text).map_err(|e| {
            BadInput(vec![format!(
                "--scenario {shown}: not a scenario in JSON: {e}"
            )])
        })?
    } else {
        Scenario::default()
    };
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    pairs.extend(src.kernel.as_deref().map(|k| ("preset", k)));
    pairs.extend(seed.map(|s| ("seed", s)));
    pairs.extend(src.until.as_deref().map(|u| ("until", u)));
    let mut bad = Vec::new();
    for kv in &src.set {
        match kv.split_once('=') {
            Some(pair) => pairs.push(pair),
            None => bad.push(format!(
                "--set {kv:?} is not KEY=VALUE: allowed are link keys like --set ram=256M"
            )),
        }
    }
    // --at 30s:hog=64M is the link's 30s:hog:64M, added to the interventions the source has
    let mut list = base.interventions.clone();
    for item in &src.at {
        let text = match item.split_once(':') {
            Some((at, rest)) => format!("{at}:{}", rest.replacen('=', ":", 1)),
            None => item.clone(),
        };
        match intervention::parse_list(&text) {
            Ok(mut more) => list.append(&mut more),
            Err(allowed) => bad.push(format!("--at {item:?} does not read: {allowed}")),
        }
    }
    if !bad.is_empty() {
        return Err(BadInput(bad));
    }
    list.sort_by_key(|i| i.at_ms);
    let at = intervention::list_text(&list);
    if !src.at.is_empty() {
        pairs.push(("at", &at));
    }
    Ok(link::apply(&base, &pairs)?)
}

/// What a finished run leaves behind.
#[derive(Debug)]
struct Report {
    outcome: Option<Outcome>,
    log: Vec<LogLine>,
    stats: Stats,
    threads: Vec<ThreadInfo>,
    events: Vec<Event>,
    trace_hash: u64,
    /// The mechanisms the kernel read (link keys).
    consulted: Vec<&'static str>,
}

/// Runs a scenario to its outcome.
fn simulate(s: &Scenario, budget: bool) -> Result<Simulation, BadInput> {
    let sim = if budget {
        Simulation::new(s)
    } else {
        Simulation::new_unbudgeted(s)
    };
    let mut sim = sim.map_err(|e| {
        BadInput(
            e.0.iter()
                .map(|fe| format!("{}: got {}, allowed {}", fe.field, fe.given, fe.allowed))
                .collect(),
        )
    })?;
    sim.run();
    Ok(sim)
}

/// A tick as seconds with two decimals: `123.45`.
fn seconds(tick: u64) -> String {
    let cs = u128::from(tick) * 100 / u128::from(HZ);
    format!("{}.{:02}", cs / 100, cs % 100)
}

fn hash_text(h: u64) -> String {
    format!("{h:016x}")
}

/// How `run` prints, and what else it writes.
struct RunOutput<'a> {
    json: bool,
    report: bool,
    export: Option<&'a PathBuf>,
}

/// What a command prints, and its exit status.
type Printed = (String, u8);

/// The fingerprint a `--link` carries, when the run is the link's (no key set on top of it).
fn expected_fingerprint(
    source: &Source,
    seed: Option<&str>,
) -> Result<Option<Fingerprint>, BadInput> {
    let Some(l) = &source.link else {
        return Ok(None);
    };
    let expected = Fingerprint::from_link(l)?;
    let changed = seed.is_some()
        || source.kernel.is_some()
        || source.until.is_some()
        || !source.set.is_empty();
    if expected.is_some() && changed {
        eprintln!(
            "note: the link's fingerprint (ev, eo, eh) is not checked: --seed, --kernel, --until \
             and --set change the scenario it was made from"
        );
        return Ok(None);
    }
    Ok(expected)
}

/// Writes every export of a finished run into `dir`, and says so on stderr.
fn write_exports(sim: &Simulation, dir: &PathBuf) -> Result<(), BadInput> {
    let shown = dir.display();
    std::fs::create_dir_all(dir)
        .map_err(|e| BadInput(vec![format!("--export {shown}: cannot create it: {e}")]))?;
    for e in export::Export::ALL {
        let path = dir.join(export::file_name(sim.scenario(), e));
        std::fs::write(&path, export::render(sim, e, None)).map_err(|err| {
            BadInput(vec![format!(
                "--export {shown}: cannot write {}: {err}",
                path.display()
            )])
        })?;
        eprintln!("exported {}", path.display());
    }
    Ok(())
}

fn cmd_run(source: &Source, seed: Option<&str>, how: &RunOutput) -> Result<Printed, BadInput> {
    let s = scenario_of(source, seed)?;
    let expected = expected_fingerprint(source, seed)?;
    let link = link::encode(&s);
    let sim = simulate(&s, !source.no_budget)?;
    let fingerprint = Fingerprint::of(&sim);
    let verdict = expected
        .zip(fingerprint.clone())
        .map(|(want, got)| want.verify(&got));
    let code = match &verdict {
        Some(v) if !v.reproduced => {
            eprintln!("{}", v.summary);
            NOT_REPRODUCED
        }
        _ => 0,
    };
    if let Some(dir) = how.export {
        write_exports(&sim, dir)?;
    }
    if how.report {
        return Ok((report::markdown(&sim, None), code));
    }
    let r = Report {
        outcome: sim.outcome().cloned(),
        log: sim.log(),
        stats: sim.stats(),
        threads: sim.threads(),
        events: sim.events(),
        trace_hash: sim.trace_hash(),
        consulted: sim.consulted(),
    };
    let fingerprint = fingerprint.map(|f| f.keys());
    if how.json {
        let log: Vec<_> = r
            .log
            .iter()
            .map(|l| json!({ "tick": l.tick, "text": l.text, "dmesg": l.dmesg() }))
            .collect();
        let doc = json!({
            "engineVersion": pageout_core::ENGINE_VERSION,
            "link": link,
            "scenario": s,
            "log": log,
            "outcome": r.outcome,
            "stats": r.stats,
            "threads": r.threads,
            "events": r.events,
            "traceHash": hash_text(r.trace_hash),
            "consulted": r.consulted,
            "fingerprint": fingerprint,
            "verdict": verdict,
        });
        return Ok((format!("{doc:#}\n"), code));
    }
    let mut out = format!("link: #{link}\n");
    for l in &r.log {
        out += &l.dmesg();
        out.push('\n');
    }
    out.push('\n');
    match &r.outcome {
        Some(o) => {
            out += &format!("outcome: {} at {} s", o.kind.name(), seconds(o.tick));
            if o.kind != OutcomeKind::Survived {
                out += &format!(" (detected at {} s)", seconds(o.detected_at));
            }
            out += &format!("\n  {}\n", o.summary);
            let g = &o.graph;
            if !g.cycle.is_empty() {
                out += &format!("wait-for cycle: {}\n", g.cycle_text());
            }
            let name = |i: usize| g.nodes.get(i).map_or("?", |n| n.thread.as_str());
            for e in &g.edges {
                out += &format!("  {} waits on {}: {}\n", name(e.from), name(e.to), e.why);
            }
        }
        None => out += "outcome: none (the run ended without one)\n",
    }
    let st = &r.stats;
    out += &format!(
        "emergency allocations: {} ({} failed)\n\
         recoverbufpages calls: {} ({} pages recovered)\n\
         min free+cache: {} pages ({} KiB)\n\
         peak dirty buffer space: {} bytes ({:.1} MiB)\n\
         trace hash: {}\n\
         fingerprint: {}\n",
        st.emerg_allocs,
        st.emerg_fails,
        st.recoverbufcalls,
        st.recovered_pages,
        st.min_free_cache,
        u64::from(st.min_free_cache) * 4,
        st.peak_dirtybufspace,
        st.peak_dirtybufspace as f64 / 1_048_576.0,
        hash_text(r.trace_hash),
        fingerprint.as_deref().unwrap_or("none (no outcome)"),
    );
    let unread: Vec<&str> = MECHANISMS
        .iter()
        .map(|m| m.key)
        .filter(|k| !r.consulted.contains(k))
        .collect();
    if !unread.is_empty() {
        out += &format!(
            "never read in this run (it does not depend on them): {}\n",
            unread.join(" ")
        );
    }
    if st.lowmempgallocs + st.lowmempgfails > 0 {
        out += &format!(
            "vfs.lowmempgallocs: {}, vfs.lowmempgfails: {}\n",
            st.lowmempgallocs, st.lowmempgfails
        );
    }
    if st.oom_kills > 0 {
        out += &format!(
            "processes killed by the pageout daemon, the machine going on: {}\n",
            st.oom_kills
        );
    }
    out += &threads_table(&r.threads);
    out += &key_moments(&r.events);
    if r.outcome
        .as_ref()
        .is_some_and(|o| o.kind != OutcomeKind::Survived)
    {
        out += &format!("reproduce: pageout-sim run --link '#{link}'\n");
    }
    if let Some(v) = &verdict {
        out += &format!("link check: {}\n", v.summary);
    }
    Ok((out, code))
}

/// The run's key moments, one line each (the first 30).
fn key_moments(events: &[Event]) -> String {
    const SHOWN: usize = 30;
    let mut out = String::from("key moments:\n");
    for e in events.iter().take(SHOWN) {
        let who = if e.thread.is_empty() {
            String::new()
        } else {
            format!(" {}:", e.thread)
        };
        out += &format!(
            "  {:>9} s  {}{who} {}\n",
            seconds(e.tick),
            e.kind.name(),
            e.why
        );
    }
    if events.len() > SHOWN {
        out += &format!("  … {} more (--json has them all)\n", events.len() - SHOWN);
    }
    out
}

/// Who took which pages and where each thread slept longest, one line per thread.
fn threads_table(threads: &[ThreadInfo]) -> String {
    let mut out = String::from(
        "pages taken by thread (normal / system reserve / interrupt reserve; reserve found empty):\n",
    );
    for t in threads {
        let a = &t.account;
        let mut line = format!(
            "  {:<13} {:>7} / {:>4} / {:>2}; {:>3}",
            t.name, a.pages_normal, a.pages_system, a.pages_interrupt, a.reserve_empty
        );
        if a.pageouts > 0 || a.pages_cached > 0 {
            line += &format!(
                "  pageouts {} ({} pages), cached {}",
                a.pageouts, a.pages_laundered, a.pages_cached
            );
        }
        if t.state == "sleeping" {
            line += &format!("  now in {}", t.wmesg);
            if !t.path.is_empty() {
                line += &format!(" from {}", t.path);
            }
        }
        out += &line;
        out.push('\n');
    }
    out
}

/// How a sweep, a grid or a map prints: the whole report, or one part of the job as JSON lines.
struct Many {
    jobs: Option<NonZeroUsize>,
    part: Option<shard::Part>,
    budget: bool,
}

/// What running a job gave: every run (for the report), or one part's JSON lines.
enum Ran {
    Whole(Box<shard::Prepared>, Vec<shard::RunLine>),
    Part(String),
}

/// Runs a job, or the part of it `how` asks for.
fn run_job(job: shard::Job, how: &Many) -> Result<Ran, BadInput> {
    let p = shard::Prepared::new(job)?;
    let part = how.part.unwrap_or(shard::Part::ALL);
    let progress = Progress::new("runs");
    let lines = p.run(part, jobs_or_all(how.jobs), how.budget, &|d, n| {
        progress.tell(d, n)
    });
    progress.finish();
    let lines = lines?;
    if how.part.is_none() {
        return Ok(Ran::Whole(Box::new(p), lines));
    }
    let mut out = p.header(part);
    out.push('\n');
    for l in &lines {
        out += &l.to_line();
        out.push('\n');
    }
    Ok(Ran::Part(out))
}

fn cmd_sweep(source: &Source, seeds: Seeds, how: &Many, as_json: bool) -> Result<String, BadInput> {
    no_seed_set(source, "sweep")?;
    let base = Scenario {
        seed: seeds.first,
        ..scenario_of(source, None)?
    };
    let job = shard::Job::Sweep {
        link: link::encode(&base),
        first: seeds.first,
        last: seeds.last,
    };
    match run_job(job, how)? {
        Ran::Whole(p, lines) => {
            let runs: Vec<sweep::RunEnd> = lines.iter().map(shard::RunLine::end).collect();
            print_sweep(&p.base, seeds, &runs, as_json)
        }
        Ran::Part(lines) => Ok(lines),
    }
}

/// What `sweep` prints, from every run of the sweep in seed order.
fn print_sweep(
    base: &Scenario,
    seeds: Seeds,
    runs: &[sweep::RunEnd],
    as_json: bool,
) -> Result<String, BadInput> {
    let link = link::encode(base);
    let summary = sweep::summarize(runs.iter().map(|r| (r.kind, r.tick)));
    let kinds = [
        OutcomeKind::Deadlock,
        OutcomeKind::Stall,
        OutcomeKind::Starved,
        OutcomeKind::OutOfMemory,
        OutcomeKind::Survived,
    ];
    let total = runs.len();
    let count = |k: OutcomeKind| summary.counts[k.name()];
    let rate = |c: usize| {
        if total == 0 {
            0.0
        } else {
            c as f64 / total as f64
        }
    };
    let hung: Vec<&sweep::RunEnd> = runs.iter().filter(|r| sweep::is_hang(r.kind)).collect();
    let range = format!("{}..={}", seeds.first, seeds.last);
    if as_json {
        let counts: serde_json::Map<_, _> = kinds
            .iter()
            .map(|&k| (k.name().to_string(), json!(count(k))))
            .collect();
        let rates: serde_json::Map<_, _> = kinds
            .iter()
            .map(|&k| (k.name().to_string(), json!(rate(count(k)))))
            .collect();
        let per_run: Vec<_> = runs
            .iter()
            .map(|r| {
                json!({
                    "seed": r.seed.to_string(),
                    "outcome": r.kind.map(OutcomeKind::name),
                    "tick": r.tick,
                    "traceHash": hash_text(r.trace_hash),
                })
            })
            .collect();
        let doc = json!({
            "engineVersion": pageout_core::ENGINE_VERSION,
            "link": link,
            "seeds": { "first": seeds.first.to_string(), "last": seeds.last.to_string(), "count": total },
            "counts": counts,
            "rates": rates,
            "timeToHang": summary.time_to_hang,
            "hungSeeds": hung.iter().map(|r| r.seed.to_string()).collect::<Vec<_>>(),
            "runs": per_run,
        });
        return Ok(format!("{doc:#}\n"));
    }
    let mut out =
        format!("link: #{link}\nseeds: {range} ({total} runs; the link is the first)\n\n");
    out += "outcome        runs    rate\n";
    for k in kinds {
        let c = count(k);
        out += &format!("{:<13} {:>5}  {:>5.1}%\n", k.name(), c, rate(c) * 100.0);
    }
    out.push('\n');
    match &summary.time_to_hang {
        Some(t) => {
            out += &format!(
                "time to hang: mean {:.2} s, median {:.2} s, quartiles {:.2}..{:.2} s \
                 ({} hangs at {} distinct ticks)\n",
                t.mean_s, t.median_s, t.q1_s, t.q3_s, t.hangs, t.distinct_ticks
            );
            const SHOWN: usize = 20;
            let list: Vec<String> = hung
                .iter()
                .take(SHOWN)
                .map(|r| r.seed.to_string())
                .collect();
            let more = if hung.len() > SHOWN {
                format!(" … ({} in all)", hung.len())
            } else {
                String::new()
            };
            out += &format!("hung seeds: {}{more}\n", list.join(" "));
            let first = Scenario {
                seed: hung[0].seed,
                ..base.clone()
            };
            out += &format!(
                "reproduce: pageout-sim run --link '#{}'\n",
                link::encode(&first)
            );
        }
        None => out += "time to hang: no run hung\n",
    }
    Ok(out)
}

/// Refuses `--set seed=…` where `--seeds` chooses the seeds.
fn no_seed_set(source: &Source, command: &str) -> Result<(), BadInput> {
    if source
        .set
        .iter()
        .any(|kv| kv.split_once('=').is_some_and(|(k, _)| k == "seed"))
    {
        return Err(BadInput(vec![format!(
            "--set seed=… is not allowed in a {command}: --seeds chooses the seed of each run"
        )]));
    }
    Ok(())
}

/// Refuses more seeds than a grid or a map takes.
fn seeds_at_most(seeds: Seeds, most: usize, what: &str) -> Result<(), BadInput> {
    if seeds.count() > most as u128 {
        return Err(BadInput(vec![format!(
            "--seeds {}..={} holds {} seeds; at most {most} per {what}",
            seeds.first,
            seeds.last,
            seeds.count(),
        )]));
    }
    Ok(())
}

/// How a grid or a map prints.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    Markdown,
    Csv,
}

fn cmd_grid(source: &Source, seeds: Seeds, how: &Many, format: Format) -> Result<String, BadInput> {
    no_seed_set(source, "grid")?;
    seeds_at_most(seeds, grid::MAX_SEEDS, "grid")?;
    let base = scenario_of(source, None)?;
    let job = shard::Job::Grid {
        link: link::encode(&Scenario {
            seed: seeds.first,
            ..base
        }),
        first: seeds.first,
        last: seeds.last,
    };
    match run_job(job, how)? {
        Ran::Whole(p, lines) => print_grid(&p, &lines, format),
        Ran::Part(lines) => Ok(lines),
    }
}

/// What `grid` prints, from the runs of a grid.
fn print_grid(
    p: &shard::Prepared,
    lines: &[shard::RunLine],
    format: Format,
) -> Result<String, BadInput> {
    let Some(plan) = &p.grid else {
        return Err(BadInput(vec!["not a grid".into()]));
    };
    let results: Vec<grid::RunResult> = lines.iter().map(shard::RunLine::result).collect();
    let report = grid::report(plan, &results)?;
    if format == Format::Json {
        let doc = serde_json::to_value(&report)
            .map_err(|e| BadInput(vec![format!("the report does not serialize: {e}")]))?;
        return Ok(format!("{doc:#}\n"));
    }
    let markdown = format == Format::Markdown;
    let list = &plan.seeds;
    let range = format!("{}..={}", list[0], list[list.len() - 1]);
    let link = link::encode(&p.base);
    let kinds = grid::SEVERITY;
    let on = |c: &grid::CellReport| {
        if c.on.is_empty() {
            "(none)".to_string()
        } else {
            c.on.join(" ")
        }
    };
    let cures_text = if report.cures.is_empty() {
        "none: no combination of the switches cures every seed".to_string()
    } else {
        report
            .cures
            .iter()
            .map(|c| format!("{{{}}}", c.join(", ")))
            .collect::<Vec<_>>()
            .join(if markdown { ", " } else { "  " })
    };
    let mut out = String::new();
    if markdown {
        out += &format!(
            "Switch grid of `#{link}`, seeds {range} ({} cells × {} seeds):\n\n",
            report.cells.len(),
            list.len()
        );
        if let Some(note) = &report.note {
            out += &format!("{note}.\n\n");
        }
        out += "| switches on | ";
        out += &kinds.map(|k| k.name()).join(" | ");
        out += " | cures |\n|---|";
        out += &"---:|".repeat(kinds.len());
        out += "---|\n";
        for c in &report.cells {
            let counts = kinds.map(|k| {
                let n = c.counts[k.name()];
                if n == 0 {
                    "·".to_string()
                } else {
                    n.to_string()
                }
            });
            out += &format!(
                "| {} | {} | {} |\n",
                on(c),
                counts.join(" | "),
                if c.cures { "**yes**" } else { "no" }
            );
        }
        out += &format!("\nSmallest cures: {cures_text}. Rule: {}.\n", report.rule);
        return Ok(out);
    }
    out += &format!("link: #{link}\n");
    if let Some(note) = &report.note {
        out += &format!("note: {note}\n");
    }
    out += &format!(
        "seeds: {range} ({} cells × {} seeds = {} runs)\nswitches: {}\n\n",
        report.cells.len(),
        list.len(),
        plan.runs.len(),
        report.switches.join(" ")
    );
    let width = report
        .cells
        .iter()
        .map(|c| on(c).len())
        .max()
        .unwrap_or(0)
        .max("switches on".len());
    out += &format!("{:<width$}", "switches on");
    for k in kinds {
        out += &format!("{:>15}", k.name());
    }
    out += "  cures  worst run\n";
    for c in &report.cells {
        out += &format!("{:<width$}", on(c));
        for k in kinds {
            out += &format!("{:>15}", c.counts[k.name()]);
        }
        out += &format!("  {:<5}", if c.cures { "yes" } else { "no" });
        // the worst run is of the worst kind the cell counts
        let worst_kind = kinds.iter().find(|k| c.counts[k.name()] > 0);
        if let (Some(seed), Some(k)) = (c.worst_seed, worst_kind) {
            out += &format!("  seed {seed} ({})", k.name());
        }
        out.push('\n');
    }
    out += &format!("\nsmallest cures: {cures_text}\nrule: {}\n", report.rule);
    if let Some(t) = twins_text(report.simulated, results.len()) {
        out += &format!("{t}\n");
    }
    Ok(out)
}

/// How many runs of a grid were simulated, when not all were (explore::twins).
fn twins_text(simulated: usize, total: usize) -> Option<String> {
    (simulated < total).then(|| {
        format!(
            "{simulated} of the {total} runs were simulated; each of the others differs from a \
             simulated run of its seed only in switches that run never read, so it is that run"
        )
    })
}

fn format_of(json: bool, markdown: bool, csv: bool) -> Format {
    if json {
        Format::Json
    } else if markdown {
        Format::Markdown
    } else if csv {
        Format::Csv
    } else {
        Format::Table
    }
}

fn cmd_map(
    source: &Source,
    (x, y): (&str, &str),
    seeds: Seeds,
    how: &Many,
    format: Format,
) -> Result<String, BadInput> {
    no_seed_set(source, "map")?;
    seeds_at_most(seeds, map::MAX_SEEDS, "map")?;
    // the job keeps the axes in their canonical form: one map, however it was spelt
    let mut bad = Vec::new();
    let mut axes = Vec::new();
    for (flag, text) in [("--x", x), ("--y", y)] {
        match map::parse_axis(text) {
            Ok(a) => axes.push(a.spec),
            Err(e) => bad.push(format!("{flag} {e}")),
        }
    }
    let [x, y] = axes.as_slice() else {
        return Err(BadInput(bad));
    };
    let base = scenario_of(source, None)?;
    let job = shard::Job::Map {
        link: link::encode(&Scenario {
            seed: seeds.first,
            ..base
        }),
        x: x.clone(),
        y: y.clone(),
        first: seeds.first,
        last: seeds.last,
    };
    match run_job(job, how)? {
        Ran::Whole(p, lines) => print_map(&p, &lines, format),
        Ran::Part(lines) => Ok(lines),
    }
}

/// What `map` prints, from the runs of a map: two tables (hang rate, median time to hang) with
/// y down and x across, the worst cell and how to repeat its worst run; or JSON, or CSV.
fn print_map(
    p: &shard::Prepared,
    lines: &[shard::RunLine],
    format: Format,
) -> Result<String, BadInput> {
    let Some(plan) = &p.map else {
        return Err(BadInput(vec!["not a map".into()]));
    };
    let results: Vec<grid::RunResult> = lines.iter().map(shard::RunLine::result).collect();
    let report = map::report(plan, &results)?;
    let (xa, ya) = (&report.x, &report.y);
    match format {
        Format::Json => {
            let doc = serde_json::to_value(&report)
                .map_err(|e| BadInput(vec![format!("the report does not serialize: {e}")]))?;
            return Ok(format!("{doc:#}\n"));
        }
        Format::Markdown => {
            return Err(BadInput(vec![
                "a map prints as a table, --json or --csv, not --markdown".into(),
            ]))
        }
        Format::Csv => {
            let kinds = grid::SEVERITY.map(OutcomeKind::name);
            let mut out = format!(
                "{},{},runs,{},none,hangs,hang_rate,median_s,q1_s,q3_s,mean_s,worst_seed,worst_link\n",
                xa.key,
                ya.key,
                kinds.join(",")
            );
            let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.2}"));
            for c in &report.cells {
                let s = &c.summary;
                let t = s.time_to_hang.as_ref();
                out += &format!(
                    "{},{},{},{},{},{},{:.4},{},{},{},{},{},{}\n",
                    xa.values[c.x],
                    ya.values[c.y],
                    s.runs,
                    kinds.map(|k| s.counts[k].to_string()).join(","),
                    s.counts["none"],
                    s.hangs,
                    s.hang_rate,
                    num(t.map(|t| t.median_s)),
                    num(t.map(|t| t.q1_s)),
                    num(t.map(|t| t.q3_s)),
                    num(t.map(|t| t.mean_s)),
                    c.worst_seed.map_or(String::new(), |s| s.to_string()),
                    c.worst_link.as_deref().unwrap_or(""),
                );
            }
            return Ok(out);
        }
        Format::Table => {}
    }
    let seeds = &report.seeds;
    let mut out = format!(
        "link: #{}\nmap: --x {} --y {}, seeds {}..={} ({} cells × {} seeds = {} runs)\n",
        report.link,
        xa.spec,
        ya.spec,
        seeds[0],
        seeds[seeds.len() - 1],
        report.cells.len(),
        seeds.len(),
        plan.runs.len()
    );
    let width = xa.values.iter().map(String::len).max().unwrap_or(0).max(6) + 2;
    let corner = format!("{} \\ {}", ya.key, xa.key);
    let head = ya
        .values
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max(corner.len());
    let table = |title: &str, cell: &dyn Fn(&map::MapCellReport) -> String| {
        let mut t = format!("\n{title}\n{corner:>head$}");
        for v in &xa.values {
            t += &format!("{v:>width$}");
        }
        t.push('\n');
        for (iy, yv) in ya.values.iter().enumerate() {
            t += &format!("{yv:>head$}");
            for c in report.cells.iter().filter(|c| c.y == iy) {
                t += &format!("{:>width$}", cell(c));
            }
            t.push('\n');
        }
        t
    };
    out += &table("hang rate (deadlock + stall), %", &|c| {
        format!("{:.0}", c.summary.hang_rate * 100.0)
    });
    out += &table("median time to hang, s (- where no run hung)", &|c| {
        c.summary
            .time_to_hang
            .as_ref()
            .map_or("-".into(), |t| format!("{:.1}", t.median_s))
    });
    // the cell that hangs most, the earliest median of equals
    let worst = report
        .cells
        .iter()
        .filter(|c| c.summary.hangs > 0)
        .min_by(|a, b| {
            let key = |c: &map::MapCellReport| {
                (
                    std::cmp::Reverse(c.summary.hangs),
                    c.summary
                        .time_to_hang
                        .as_ref()
                        .map_or(0, |t| (t.median_s * 100.0) as u64),
                )
            };
            key(a).cmp(&key(b))
        });
    match worst {
        Some(c) => {
            out += &format!(
                "\nmost hangs: {}={} {}={} ({} of {} runs)\nreproduce its worst run: \
                 pageout-sim run --link '#{}'\n",
                xa.key,
                xa.values[c.x],
                ya.key,
                ya.values[c.y],
                c.summary.hangs,
                c.summary.runs,
                c.worst_link.as_deref().unwrap_or("")
            );
        }
        None => out += "\nno run hung\n",
    }
    Ok(out)
}

fn cmd_merge(files: &[PathBuf], format: Format, svg: Option<&PathBuf>) -> Result<String, BadInput> {
    let mut parts = Vec::new();
    let mut bad = Vec::new();
    for f in files {
        match std::fs::read_to_string(f) {
            Ok(t) => parts.push((f.display().to_string(), t)),
            Err(e) => bad.push(format!("{}: cannot read it: {e}", f.display())),
        }
    }
    if !bad.is_empty() {
        return Err(BadInput(bad));
    }
    let (p, lines) = shard::merge(&parts)?;
    if svg.is_some() && !matches!(p.job, shard::Job::Survival { .. }) {
        return Err(BadInput(vec![
            "--svg draws a survival's curves; these are parts of another job".into(),
        ]));
    }
    match &p.job {
        shard::Job::Sweep { first, last, .. } => {
            if !matches!(format, Format::Table | Format::Json) {
                return Err(BadInput(vec![
                    "a sweep prints as a table or --json, not --markdown or --csv".into(),
                ]));
            }
            let runs: Vec<sweep::RunEnd> = lines.iter().map(shard::RunLine::end).collect();
            let seeds = Seeds {
                first: *first,
                last: *last,
            };
            print_sweep(&p.base, seeds, &runs, format == Format::Json)
        }
        shard::Job::Grid { .. } => {
            if format == Format::Csv {
                return Err(BadInput(vec![
                    "a grid prints as a table, --json or --markdown, not --csv".into(),
                ]));
            }
            print_grid(&p, &lines, format)
        }
        shard::Job::Map { .. } => print_map(&p, &lines, format),
        shard::Job::Survival { first, last, .. } => {
            let seeds = Seeds {
                first: *first,
                last: *last,
            };
            let out = SurvivalOut {
                markdown: format == Format::Markdown,
                csv: format == Format::Csv,
                svg: svg.cloned(),
            };
            print_survival(&p, &lines, seeds, format == Format::Json, &out)
        }
    }
}

fn cmd_shrink(
    text: &str,
    jobs: Option<NonZeroUsize>,
    as_json: bool,
    budget: bool,
) -> Result<String, BadInput> {
    let s = link::decode(text)?;
    let tty = std::io::stderr().is_terminal();
    let mut shown_target = false;
    let state = shrink::shrink(&s, jobs_or_all(jobs), budget, &mut |st, step| {
        if tty {
            eprint!(
                "\r\x1b[K{} candidates judged, {} steps",
                st.tried,
                st.steps.len()
            );
        }
        if as_json {
            return;
        }
        let mut out = std::io::stdout().lock();
        if !shown_target {
            shown_target = true;
            if let Some(t) = &st.target {
                let _ = writeln!(
                    out,
                    "link: #{}\nhangs: {}{}\n",
                    st.original,
                    t.kind.name(),
                    if t.cycle.is_empty() {
                        String::new()
                    } else {
                        format!(", cycle {}", t.cycle)
                    }
                );
            }
        }
        if let Some(step) = step {
            if tty {
                eprint!("\r\x1b[K");
            }
            let _ = writeln!(
                out,
                "step {}: {} (hangs at {} s)\n  #{}",
                st.steps.len(),
                step.what,
                seconds(step.tick),
                step.link
            );
        }
    });
    if tty {
        eprint!("\r\x1b[K");
    }
    let state = state?;
    if as_json {
        let mut doc = serde_json::to_value(&state)
            .map_err(|e| BadInput(vec![format!("the result does not serialize: {e}")]))?;
        if let Some(m) = doc.as_object_mut() {
            m.insert("engineVersion".into(), json!(pageout_core::ENGINE_VERSION));
        }
        return Ok(format!("{doc:#}\n"));
    }
    let mut out = String::new();
    if state.steps.is_empty() {
        out += "no smaller scenario hangs the same way\n";
    }
    out += &format!(
        "\nshrunk in {} steps ({} candidates judged): #{}\nreproduce: pageout-sim run --link '#{}'\n",
        state.steps.len(),
        state.tried,
        state.current,
        state.current
    );
    Ok(out)
}

fn cmd_diff(
    link_a: &str,
    link_b: Option<&str>,
    as_json: bool,
    budget: bool,
) -> Result<Done, BadInput> {
    let (a, b) = match link_b {
        Some(lb) => {
            let named = |which: &str, e: link::LinkErrors| {
                BadInput(
                    e.0.into_iter()
                        .map(|e| format!("{which}: {}", e.message))
                        .collect(),
                )
            };
            let a = link::decode(link_a).map_err(|e| named("LINK_A", e));
            let b = link::decode(lb).map_err(|e| named("LINK_B", e));
            match (a, b) {
                (Ok(a), Ok(b)) => (a, b),
                (a, b) => {
                    let mut all = Vec::new();
                    for r in [a, b] {
                        if let Err(BadInput(m)) = r {
                            all.extend(m);
                        }
                    }
                    return Err(BadInput(all));
                }
            }
        }
        None => {
            let c = link::decode_compare(link_a)?;
            let Some(b) = c.b else {
                return Err(BadInput(vec![
                    "diff needs two scenarios: LINK_A LINK_B, or one compare link with b. keys \
                     (e.g. '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&b.preset=dfly-2008-07-01')"
                        .into(),
                ]));
            };
            (c.a, b)
        }
    };
    let d = diverge::diverge(&a, &b, budget)?;
    let code = u8::from(d.tick.is_some());
    let (la, lb, lc) = (
        link::encode(&a),
        link::encode(&b),
        link::encode_compare(&a, &b),
    );
    if as_json {
        let mut doc = serde_json::to_value(&d)
            .map_err(|e| BadInput(vec![format!("the result does not serialize: {e}")]))?;
        if let Some(m) = doc.as_object_mut() {
            m.insert("engineVersion".into(), json!(pageout_core::ENGINE_VERSION));
            m.insert("linkA".into(), json!(la));
            m.insert("linkB".into(), json!(lb));
            m.insert("link".into(), json!(lc));
        }
        return Ok(Done {
            text: format!("{doc:#}\n"),
            code,
        });
    }
    let mut out = format!("A: #{la}\nB: #{lb}\ncompare: #{lc}\n\n");
    match d.tick {
        Some(t) => {
            out += &format!("first divergence: tick {t} ({} s)\n", seconds(t));
            out += &format!("  A: {}\n  B: {}\n", d.a, d.b);
        }
        None => out += "first divergence: none — the two runs never differ\n",
    }
    out.push('\n');
    for (name, o, h) in [
        ("A", &d.outcome_a, d.trace_hash_a),
        ("B", &d.outcome_b, d.trace_hash_b),
    ] {
        match o {
            Some(o) => {
                out += &format!(
                    "outcome {name}: {} at {} s\n  {}\n",
                    o.kind.name(),
                    seconds(o.tick),
                    o.summary
                )
            }
            None => out += &format!("outcome {name}: none\n"),
        }
        out += &format!("  trace hash: {}\n", hash_text(h));
    }
    Ok(Done { text: out, code })
}

/// Refuses the survival's printing flags on a sweep that is not one.
fn survival_flags_unused(out: &SurvivalOut) -> Result<(), BadInput> {
    if out.markdown || out.csv || out.svg.is_some() {
        return Err(BadInput(vec![
            "--markdown, --csv and --svg print a survival: add --survival, or use \
             `pageout-sim survival`"
                .into(),
        ]));
    }
    Ok(())
}

/// The kernels named on the command line (every kernel preset when none is).
fn kernels_of(names: &[String]) -> Result<Vec<KernelPreset>, BadInput> {
    let mut bad = Vec::new();
    let mut ks = Vec::new();
    for n in names {
        match KernelPreset::from_name(n.trim()) {
            Some(k) => ks.push(k),
            None => bad.push(format!(
                "--kernels: {n:?} is not a kernel preset; allowed are {}",
                KernelPreset::ALL.map(KernelPreset::name).join(", ")
            )),
        }
    }
    if bad.is_empty() {
        Ok(ks)
    } else {
        Err(BadInput(bad))
    }
}

fn cmd_survival(
    source: &Source,
    kernels: &[String],
    seeds: Seeds,
    how: &Many,
    as_json: bool,
    out: &SurvivalOut,
) -> Result<String, BadInput> {
    no_seed_set(source, "survival")?;
    if source.kernel.is_some() {
        return Err(BadInput(vec![
            "--kernel is not used in a survival: every kernel runs (--kernels picks some)".into(),
        ]));
    }
    if how.part.is_some() && (out.svg.is_some() || out.markdown || out.csv || as_json) {
        return Err(BadInput(vec![
            "a part (--shard, --runs) prints JSON lines for `pageout-sim merge`: give --json, \
             --markdown, --csv or --svg to the merge instead"
                .into(),
        ]));
    }
    seeds_at_most(seeds, survival::MAX_SEEDS, "survival")?;
    let mut ks = kernels_of(kernels)?;
    if ks.is_empty() {
        ks = KernelPreset::ALL.to_vec();
    }
    let mut base = scenario_of(source, None)?;
    if source.until.is_none() && source.link.is_none() && source.scenario.is_none() {
        base = link::apply(&base, &[("until", "3600s")])?;
    }
    // the job names its kernels, so that its parts keep their meaning as presets are added
    let job = shard::Job::Survival {
        link: link::encode(&Scenario {
            seed: seeds.first,
            ..base
        }),
        kernels: ks.iter().map(|k| k.name().to_string()).collect(),
        first: seeds.first,
        last: seeds.last,
    };
    match run_job(job, how)? {
        Ran::Whole(p, lines) => print_survival(&p, &lines, seeds, as_json, out),
        Ran::Part(lines) => Ok(lines),
    }
}

/// What `survival` prints, from every run of a survival (and writes, with --svg).
fn print_survival(
    p: &shard::Prepared,
    lines: &[shard::RunLine],
    seeds: Seeds,
    as_json: bool,
    out: &SurvivalOut,
) -> Result<String, BadInput> {
    let Some(plan) = &p.survival else {
        return Err(BadInput(vec!["not a survival".into()]));
    };
    let results: Vec<survival::RunResult> =
        lines.iter().map(shard::RunLine::survival_result).collect();
    let report = survival::report(plan, &results)?;
    if let Some(path) = &out.svg {
        std::fs::write(path, survival_svg(&report)).map_err(|e| {
            BadInput(vec![format!(
                "--svg {}: cannot write it: {e}",
                path.display()
            )])
        })?;
    }
    if as_json {
        return Ok(format!("{:#}\n", json!(report)));
    }
    if out.csv {
        let mut text = String::from("kernel,t_s,alive\n");
        for k in &report.kernels {
            for p in &k.curve {
                text += &format!("{},{},{}\n", k.kernel, p.t_s, p.alive);
            }
        }
        return Ok(text);
    }
    Ok(survival_table(&report, seeds, out.markdown))
}

/// A rate as a percentage, `—` when it is unknown (beyond the horizon).
fn percent(rate: Option<f64>) -> String {
    rate.map_or("—".into(), |r| format!("{:.0}%", r * 100.0))
}

/// The survival table, as text or as Markdown.
fn survival_table(r: &survival::SurvivalReport, seeds: Seeds, markdown: bool) -> String {
    let median =
        |k: &survival::KernelSurvival| k.median_s.map_or("—".into(), |m| format!("{m:.0} s"));
    let killer = |k: &survival::KernelSurvival| match &k.killer {
        Some(kl) if kl.cause == kl.outcome => {
            format!("{} ({}/{} dead)", kl.cause, kl.count, k.dead)
        }
        Some(kl) => format!(
            "{}: {} ({}/{} dead)",
            kl.outcome, kl.cause, kl.count, k.dead
        ),
        None => "—".into(),
    };
    let cps: Vec<String> = r.checkpoints_s.iter().map(|c| format!("{c} s")).collect();
    let mut out = String::new();
    let range = format!("{}..={}", seeds.first, seeds.last);
    if markdown {
        out += &format!(
            "| kernel | hang rate at {} | median time to hang | the cycle that kills it |\n",
            cps.join(" / ")
        );
        out += "|---|---|---|---|\n";
        for k in &r.kernels {
            let rates: Vec<String> = k.hang_rate.iter().map(|&x| percent(x)).collect();
            out += &format!(
                "| `{}` | {} | {} | {} |\n",
                k.kernel,
                rates.join(" / "),
                median(k),
                killer(k).replace('|', "\\|")
            );
        }
        out += &format!(
            "\n{} seeds ({range}) per kernel, {} s horizon, the workload of `#{}` (its link on \
             the first kernel). {}.\n",
            r.seeds.len(),
            r.until_s,
            r.link,
            upper_first(&r.rule)
        );
        if let Some(n) = &r.note {
            out += &format!("Note: {n}.\n");
        }
        return out;
    }
    out += &format!(
        "workload: #{}\nseeds: {range} ({} runs per kernel), horizon {} s\n\n",
        r.link,
        r.seeds.len(),
        r.until_s
    );
    let width = r
        .kernels
        .iter()
        .map(|k| k.kernel.len())
        .max()
        .unwrap_or(6)
        .max(6);
    out += &format!("{:<width$}  {:>4}  {:>4}", "kernel", "runs", "dead");
    for c in &cps {
        out += &format!("  {:>10}", format!("hang@{}", c.replace(' ', "")));
    }
    out += &format!("  {:>8}  killer\n", "median");
    for k in &r.kernels {
        out += &format!("{:<width$}  {:>4}  {:>4}", k.kernel, k.runs, k.dead);
        for &x in &k.hang_rate {
            out += &format!("  {:>10}", percent(x));
        }
        out += &format!("  {:>8}  {}\n", median(k), killer(k));
    }
    out += &format!("\nrule: {}\n", r.rule);
    if let Some(n) = &r.note {
        out += &format!("note: {n}\n");
    }
    out
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}

/// The curves as an SVG picture: the fraction of runs alive against time, one stepped line per
/// kernel, a legend with the kernels' names.
fn survival_svg(r: &survival::SurvivalReport) -> String {
    // a palette that stays apart for a dozen kernels; past it the lines dash
    const COLOURS: [&str; 12] = [
        "#d62728", "#ff7f0e", "#bcbd22", "#2ca02c", "#17becf", "#1f77b4", "#9467bd", "#e377c2",
        "#8c564b", "#7f7f7f", "#393b79", "#637939",
    ];
    let (w, h) = (900.0, 480.0);
    let (left, right, top, bottom) = (60.0, 250.0, 40.0, 50.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let until = r.until_s.max(1.0);
    let x = |t: f64| left + pw * (t / until);
    let y = |a: f64| top + ph * (1.0 - a);
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n"
    );
    s += &format!(
        "<text x=\"{left}\" y=\"22\" font-size=\"14\">Runs still alive, of {} seeds per kernel \
         (one workload, {} s)</text>\n",
        r.seeds.len(),
        r.until_s
    );
    // y grid: 0..100 %
    for i in 0..=4 {
        let a = f64::from(i) / 4.0;
        s += &format!(
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#dddddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}%</text>\n",
            left + pw,
            y(a),
            y(a),
            left - 6.0,
            y(a) + 4.0,
            i * 25
        );
    }
    // x grid: a round step giving 4 to 10 lines
    let step = [
        60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0,
    ]
    .into_iter()
    .find(|st| until / st <= 8.0)
    .unwrap_or(until / 4.0);
    let mut t = 0.0;
    while t <= until + 1e-9 {
        s += &format!(
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"#eeeeee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            x(t),
            x(t),
            top + ph,
            x(t),
            top + ph + 16.0,
            t
        );
        t += step;
    }
    s += &format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">simulated time (s)</text>\n",
        left + pw / 2.0,
        h - 12.0
    );
    s += &format!(
        "<rect x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" \
         stroke=\"#888888\"/>\n"
    );
    for (i, k) in r.kernels.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let dash = if i >= COLOURS.len() {
            " stroke-dasharray=\"6 3\""
        } else {
            ""
        };
        // a step down at each death: horizontal to the next point, then vertical
        let mut d = String::new();
        for (j, p) in k.curve.iter().enumerate() {
            if j == 0 {
                d += &format!("M{:.1},{:.1}", x(p.t_s), y(p.alive));
            } else {
                d += &format!(" H{:.1} V{:.1}", x(p.t_s), y(p.alive));
            }
        }
        s += &format!(
            "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}>\
             <title>{}</title></path>\n",
            esc(&k.kernel)
        );
        let ly = top + 8.0 + 20.0 * i as f64;
        let lx = left + pw + 16.0;
        s += &format!(
            "<line x1=\"{lx:.1}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"{colour}\" \
             stroke-width=\"3\"{dash}/><text x=\"{:.1}\" y=\"{:.1}\">{} ({}/{} dead)</text>\n",
            lx + 22.0,
            lx + 28.0,
            ly + 4.0,
            esc(&k.kernel),
            k.dead,
            k.runs
        );
    }
    s += "</svg>\n";
    s
}

fn cmd_presets() -> String {
    let mut out = String::from("scenario presets (--preset NAME):\n");
    for p in ScenarioPreset::ALL {
        out += &format!("  {:<17} {}\n", p.name(), p.description());
    }
    out += "\nkernel presets (--kernel NAME, link key preset=NAME):\n";
    for k in KernelPreset::ALL {
        out += &format!("  {:<17} {}\n", k.name(), k.description());
    }
    out += "\nmechanisms (--set KEY=VALUE, link keys; the first value is the pre-fix one):\n";
    for m in MECHANISMS {
        out += &format!("  {:<17} {:<32} {}\n", m.key, m.values.join(" | "), m.label);
    }
    out
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<Done, BadInput> = match &cli.cmd {
        Cmd::Run {
            source,
            seed,
            json,
            report,
            export,
        } => cmd_run(
            source,
            seed.as_deref(),
            &RunOutput {
                json: *json,
                report: *report,
                export: export.as_ref(),
            },
        )
        .map(|(text, code)| Done { text, code }),
        Cmd::Sweep {
            source,
            seeds,
            many,
            json,
            survival: true,
            out,
        } => cmd_survival(
            source,
            &[],
            *seeds,
            &many.how(!source.no_budget),
            *json,
            out,
        )
        .map(Done::from),
        Cmd::Sweep {
            source,
            seeds,
            many,
            json,
            survival: false,
            out,
        } => survival_flags_unused(out)
            .and_then(|()| cmd_sweep(source, *seeds, &many.how(!source.no_budget), *json))
            .map(Done::from),
        Cmd::Survival {
            source,
            kernels,
            seeds,
            many,
            json,
            out,
        } => cmd_survival(
            source,
            kernels,
            *seeds,
            &many.how(!source.no_budget),
            *json,
            out,
        )
        .map(Done::from),
        Cmd::Grid {
            source,
            seeds,
            many,
            json,
            markdown,
        } => cmd_grid(
            source,
            *seeds,
            &many.how(!source.no_budget),
            format_of(*json, *markdown, false),
        )
        .map(Done::from),
        Cmd::Map {
            source,
            x,
            y,
            seeds,
            many,
            json,
            csv,
        } => cmd_map(
            source,
            (x, y),
            *seeds,
            &many.how(!source.no_budget),
            format_of(*json, false, *csv),
        )
        .map(Done::from),
        Cmd::Merge {
            files,
            json,
            markdown,
            csv,
            svg,
        } => cmd_merge(files, format_of(*json, *markdown, *csv), svg.as_ref()).map(Done::from),
        Cmd::Diff {
            link_a,
            link_b,
            json,
            no_budget,
        } => cmd_diff(link_a, link_b.as_deref(), *json, !no_budget),
        Cmd::Shrink {
            link,
            jobs,
            json,
            no_budget,
        } => cmd_shrink(link, *jobs, *json, !no_budget).map(Done::from),
        Cmd::Presets => Ok(Done::from(cmd_presets())),
    };
    match result {
        Ok(Done { text, code }) => {
            // a closed pipe (`| head`) is not an error of the run
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::from(code)
        }
        Err(BadInput(messages)) => {
            let mut err = std::io::stderr().lock();
            for m in messages {
                let _ = writeln!(err, "error: {m}");
            }
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_are_rust_ranges() {
        assert_eq!(
            parse_seeds("1..101"),
            Ok(Seeds {
                first: 1,
                last: 100
            })
        );
        assert_eq!(
            parse_seeds("1..=100"),
            Ok(Seeds {
                first: 1,
                last: 100
            })
        );
        assert_eq!(parse_seeds("7..=7").map(Seeds::count), Ok(1));
        let top = format!("0..={}", u64::MAX - 1);
        assert!(parse_seeds(&top).unwrap_err().contains("at most 1000000"));
        // every seed there is: one more than a u64 can count
        let all = format!("0..={}", u64::MAX);
        assert_eq!(
            parse_seeds(&all).unwrap_err(),
            format!("{all} holds 18446744073709551616 seeds; at most 1000000 per sweep")
        );
    }

    #[test]
    fn a_bad_seed_range_says_what_is_allowed() {
        for bad in [
            "5..5",
            "5..=4",
            "0..0",
            "1-10",
            "a..b",
            "..5",
            "1..",
            "-1..3",
            "1..99999999999999999999",
        ] {
            let e = parse_seeds(bad).unwrap_err();
            assert!(
                e.contains("A..B") || e.contains("largest seed"),
                "{bad}: {e}"
            );
        }
    }
}
