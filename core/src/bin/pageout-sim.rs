//! `pageout-sim`: run scenarios from the terminal.
//!
//! ```text
//! pageout-sim run   [--preset NAME | --link '#v=1&…' | --scenario FILE.json] [--kernel NAME]
//!                   [--seed N] [--until 300s] [--set KEY=VALUE]... [--json]
//! pageout-sim sweep [--preset NAME | --link '#v=1&…' | --scenario FILE.json] [--kernel NAME]
//!                   --seeds A..B [--until 300s] [--set KEY=VALUE]... [--jobs N] [--json]
//! pageout-sim grid  [--preset NAME | --link '#v=1&…' | --scenario FILE.json] [--kernel NAME]
//!                   [--seeds A..B] [--until 300s] [--set KEY=VALUE]... [--jobs N]
//!                   [--json | --markdown]
//! pageout-sim diff  LINK_A LINK_B [--json]      (or one compare link: LINK_A&b.KEY=VALUE…)
//! pageout-sim presets
//! ```
//!
//! The scenario is built the way a link is read: the source (a scenario preset, a link, a JSON
//! file, or the default scenario), then `--kernel`, `--seed`, `--until` and every `--set` as link
//! keys (`--kernel X` is `preset=X`), checked by the link codec. Every run prints its canonical link
//! first, so the page and the terminal can repeat it. Exit status: 0 for a completed run whatever
//! its outcome, 2 for bad input, with one message per line on stderr; `diff` exits 0 when the two
//! runs never differ and 1 when they do.
//!
//! Everything that runs many simulations (sweep, grid, diff) is `pageout_core::explore`; this
//! file parses and prints. Progress goes to stderr when it is a terminal.

use std::io::{IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use pageout_core::events::Event;
use pageout_core::explore::{diverge, grid, sweep, ExploreError};
use pageout_core::policy::MECHANISMS;
use pageout_core::scenario::link;
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
    Run {
        #[command(flatten)]
        source: Source,
        /// The seed every random choice derives from (link key `seed`).
        #[arg(long, value_name = "N")]
        seed: Option<String>,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a range of seeds of one scenario in parallel and print how often it hangs.
    Sweep {
        #[command(flatten)]
        source: Source,
        /// Seeds to run: `A..B` (B excluded) or `A..=B` (B included).
        #[arg(long, value_name = "A..B", value_parser = parse_seeds)]
        seeds: Seeds,
        /// Runs at once (default: the number of CPUs).
        #[arg(long, value_name = "N")]
        jobs: Option<NonZeroUsize>,
        /// Print one JSON document instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run every on/off combination of the fix's switches over a range of seeds and print
    /// which cure the scenario (exit 0 whatever they find).
    Grid {
        #[command(flatten)]
        source: Source,
        /// Seeds to run in each cell: `A..B` (B excluded) or `A..=B` (B included).
        #[arg(long, value_name = "A..B", value_parser = parse_seeds, default_value = "1..=10")]
        seeds: Seeds,
        /// Runs at once (default: the number of CPUs).
        #[arg(long, value_name = "N")]
        jobs: Option<NonZeroUsize>,
        /// Print one JSON document (the page's grid report) instead of a table.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print the table as Markdown.
        #[arg(long)]
        markdown: bool,
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
    /// List the scenario presets, the kernel presets and the mechanisms of the fix.
    Presets,
}

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
    /// Run scenarios beyond the work budget too (a run may then take minutes).
    #[arg(long)]
    no_budget: bool,
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
    if !bad.is_empty() {
        return Err(BadInput(bad));
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
}

fn run(s: &Scenario, budget: bool) -> Result<Report, BadInput> {
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
    Ok(Report {
        outcome: sim.outcome().cloned(),
        log: sim.log().to_vec(),
        stats: sim.stats(),
        threads: sim.threads(),
        events: sim.events(),
        trace_hash: sim.trace_hash(),
    })
}

/// A tick as seconds with two decimals: `123.45`.
fn seconds(tick: u64) -> String {
    let cs = u128::from(tick) * 100 / u128::from(HZ);
    format!("{}.{:02}", cs / 100, cs % 100)
}

fn hash_text(h: u64) -> String {
    format!("{h:016x}")
}

fn cmd_run(source: &Source, seed: Option<&str>, as_json: bool) -> Result<String, BadInput> {
    let s = scenario_of(source, seed)?;
    let link = link::encode(&s);
    let r = run(&s, !source.no_budget)?;
    if as_json {
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
        });
        return Ok(format!("{doc:#}\n"));
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
         trace hash: {}\n",
        st.emerg_allocs,
        st.emerg_fails,
        st.recoverbufcalls,
        st.recovered_pages,
        st.min_free_cache,
        u64::from(st.min_free_cache) * 4,
        st.peak_dirtybufspace,
        st.peak_dirtybufspace as f64 / 1_048_576.0,
        hash_text(r.trace_hash),
    );
    out += &threads_table(&r.threads);
    out += &key_moments(&r.events);
    if r.outcome
        .as_ref()
        .is_some_and(|o| o.kind != OutcomeKind::Survived)
    {
        out += &format!("reproduce: pageout-sim run --link '#{link}'\n");
    }
    Ok(out)
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

fn cmd_sweep(
    source: &Source,
    seeds: Seeds,
    jobs: Option<NonZeroUsize>,
    as_json: bool,
) -> Result<String, BadInput> {
    no_seed_set(source, "sweep")?;
    let base = Scenario {
        seed: seeds.first,
        ..scenario_of(source, None)?
    };
    let n = usize::try_from(seeds.count()).unwrap_or(usize::MAX);
    let progress = Progress::new("seeds");
    let runs = sweep::run_all(
        n,
        &|i| Scenario {
            seed: seeds.first + i as u64,
            ..base.clone()
        },
        jobs_or_all(jobs),
        !source.no_budget,
        &|done, total| progress.tell(done, total),
    );
    progress.finish();
    let runs = runs?;
    let link = link::encode(&base);
    let count = |k: OutcomeKind| runs.iter().filter(|r| r.kind == Some(k)).count();
    let kinds = [
        OutcomeKind::Deadlock,
        OutcomeKind::Stall,
        OutcomeKind::Starved,
        OutcomeKind::OutOfMemory,
        OutcomeKind::Survived,
    ];
    let total = runs.len();
    let rate = |c: usize| {
        if total == 0 {
            0.0
        } else {
            c as f64 / total as f64
        }
    };
    let hung: Vec<&sweep::RunEnd> = runs
        .iter()
        .filter(|r| matches!(r.kind, Some(OutcomeKind::Deadlock | OutcomeKind::Stall)))
        .collect();
    let mut ticks: Vec<u64> = hung.iter().map(|r| r.tick).collect();
    ticks.sort_unstable();
    let secs = |t: f64| t / HZ as f64;
    let mean = (!ticks.is_empty())
        .then(|| secs(ticks.iter().map(|&t| t as f64).sum::<f64>() / ticks.len() as f64));
    // quantile q of the hang ticks (linear between neighbours), in seconds
    let quantile = |q: f64| {
        (!ticks.is_empty()).then(|| {
            let x = q * (ticks.len() - 1) as f64;
            let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
            secs(ticks[lo] as f64 + (ticks[hi] as f64 - ticks[lo] as f64) * (x - lo as f64))
        })
    };
    let median = quantile(0.5);
    let (q1, q3) = (quantile(0.25), quantile(0.75));
    let mut distinct = ticks.clone();
    distinct.dedup();
    let distinct = distinct.len();
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
            "timeToHang": mean.zip(median).map(|(mean, median)| json!({
                "hangs": hung.len(), "meanS": mean, "medianS": median,
                "q1S": q1, "q3S": q3, "distinctTicks": distinct,
            })),
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
    match mean.zip(median) {
        Some((mean, median)) => {
            out += &format!(
                "time to hang: mean {mean:.2} s, median {median:.2} s, quartiles {:.2}..{:.2} s \
                 ({} hangs at {distinct} distinct ticks)\n",
                q1.unwrap_or(median),
                q3.unwrap_or(median),
                hung.len()
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
                ..base
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

fn cmd_grid(
    source: &Source,
    seeds: Seeds,
    jobs: Option<NonZeroUsize>,
    as_json: bool,
    markdown: bool,
) -> Result<String, BadInput> {
    no_seed_set(source, "grid")?;
    if seeds.count() > grid::MAX_SEEDS as u128 {
        return Err(BadInput(vec![format!(
            "--seeds {}..={} holds {} seeds; at most {} per grid",
            seeds.first,
            seeds.last,
            seeds.count(),
            grid::MAX_SEEDS
        )]));
    }
    let base = scenario_of(source, None)?;
    let list: Vec<u64> = (seeds.first..=seeds.last).collect();
    let plan = grid::plan(&base, &list)?;
    let progress = Progress::new("runs");
    let report = grid::run(&plan, jobs_or_all(jobs), !source.no_budget, &|d, n| {
        progress.tell(d, n)
    });
    progress.finish();
    let report = report?;
    if as_json {
        let doc = serde_json::to_value(&report)
            .map_err(|e| BadInput(vec![format!("the report does not serialize: {e}")]))?;
        return Ok(format!("{doc:#}\n"));
    }
    let range = format!("{}..={}", seeds.first, seeds.last);
    let link = link::encode(&Scenario {
        seed: seeds.first,
        ..base
    });
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

fn cmd_presets() -> String {
    let mut out = String::from("scenario presets (--preset NAME):\n");
    for p in ScenarioPreset::ALL {
        out += &format!("  {:<16} {}\n", p.name(), p.description());
    }
    out += "\nkernel presets (--kernel NAME, link key preset=NAME):\n";
    for k in KernelPreset::ALL {
        out += &format!("  {:<16} {}\n", k.name(), k.description());
    }
    out += "\nmechanisms (--set KEY=VALUE, link keys; the first value is the pre-fix one):\n";
    for m in MECHANISMS {
        out += &format!("  {:<16} {:<32} {}\n", m.key, m.values.join(" | "), m.label);
    }
    out
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<Done, BadInput> = match &cli.cmd {
        Cmd::Run { source, seed, json } => cmd_run(source, seed.as_deref(), *json).map(Done::from),
        Cmd::Sweep {
            source,
            seeds,
            jobs,
            json,
        } => cmd_sweep(source, *seeds, *jobs, *json).map(Done::from),
        Cmd::Grid {
            source,
            seeds,
            jobs,
            json,
            markdown,
        } => cmd_grid(source, *seeds, *jobs, *json, *markdown).map(Done::from),
        Cmd::Diff {
            link_a,
            link_b,
            json,
            no_budget,
        } => cmd_diff(link_a, link_b.as_deref(), *json, !no_budget),
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
