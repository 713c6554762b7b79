//! Timed interventions: things done to the running machine at a simulated time, as a user at the
//! console would — start a memory hog, start or stop a writer, change a rate, slow the disk, call
//! sync(2). They are part of the scenario (validated, in the link as the `at` key, deterministic).
//!
//! In a link they are one list, in time order, comma-separated, each `TIME:ACTION[:VALUE]` with
//! the value in the syntax of the scenario key of the same name:
//!
//! ```text
//! at=30s:hog:64M,45s:wrate:2M/s,60s:sync,90s:stop:writer0
//! ```
//!
//! | action | value | what happens at that time |
//! |---|---|---|
//! | `hog` | size (`64M`) | a new memory hog starts, allocating that much at the scenario's `hograte` |
//! | `writer` | — | a new write(2) writer starts on a file of its own (`wfile`, at the current write rate) |
//! | `mmap` | — | a new process starts dirtying a shared mapping of a file of its own (`mfile`, at the current `mrate`) |
//! | `stop` | a thread: `writer1`, `mmap0` | that writer finishes the block (or the store) it is doing and exits |
//! | `wrate` | rate (`2M/s`, `unlimited`) | every write(2) writer's rate |
//! | `mrate` | rate (`5000/s`) | every mapped-file writer's rate of stores |
//! | `bw` | rate (`20M/s`) | the disk's bandwidth, from the next transfer on |
//! | `seek` | duration (`20ms`) | the disk's seek time, from the next transfer on |
//! | `sync` | — | a process calls sync(2): every buffer dirty at that moment is written (`vfs_bio_awrite`), and it exits |
//!
//! A hog cannot be stopped: a hog's anonymous pages are not tracked per process, so its exit
//! could not free them. `sync` writes dirty buffers only: the `vfs_msync` pass over mapped files
//! that sync(2) also makes is not modelled.
//!
//! The threads an intervention starts exist from boot, asleep in `notstarted` until their time,
//! so that every run has one list of threads from its first tick.

use serde::{Deserialize, Serialize};

/// The most interventions in one scenario.
pub const MAX_INTERVENTIONS: usize = 16;

/// One intervention: what, and when.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Intervention {
    /// When, in milliseconds of simulated time (whole ticks, inside the run).
    pub at_ms: u64,
    /// What.
    pub action: Action,
}

/// What an intervention does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Action {
    /// Start a memory hog of this many MiB (at the scenario's hog rate).
    Hog { mb: u32 },
    /// Start a write(2) writer on a new file.
    Writer,
    /// Start a mapped-file writer on a new file.
    Mmap,
    /// Stop a writer or a mapped-file writer, by thread name.
    Stop { thread: String },
    /// Every writer's rate in KiB/s (0 = unlimited).
    Wrate { kb_s: u32 },
    /// Every mapped-file writer's stores per second.
    Mrate { pages_s: u32 },
    /// The disk's bandwidth in MiB/s.
    Bw { mb_s: u32 },
    /// The disk's seek time in ms.
    Seek { ms: u32 },
    /// A process calls sync(2).
    Sync,
}

impl Action {
    /// The action's name in a link.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Hog { .. } => "hog",
            Action::Writer => "writer",
            Action::Mmap => "mmap",
            Action::Stop { .. } => "stop",
            Action::Wrate { .. } => "wrate",
            Action::Mrate { .. } => "mrate",
            Action::Bw { .. } => "bw",
            Action::Seek { .. } => "seek",
            Action::Sync => "sync",
        }
    }

    /// Every action name, in the order of the table above.
    pub const NAMES: [&'static str; 9] = [
        "hog", "writer", "mmap", "stop", "wrate", "mrate", "bw", "seek", "sync",
    ];
}

/// A thread an intervention starts: its name and the time it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Started {
    /// Its place in the scenario's list.
    pub index: usize,
    pub name: String,
    pub at_ms: u64,
    pub action: Action,
}

/// The threads the interventions of a scenario start, named after the scenario's own threads
/// (`hog2` after `hog0` and `hog1`; `sync0`, `sync1` for the sync(2) callers), in list order.
pub fn started(s: &super::Scenario) -> Vec<Started> {
    let w = &s.workload;
    let mut hogs = if w.hog_mb > 0 { w.hogs } else { 0 };
    let (mut writers, mut mmaps, mut syncs) = (w.writers, w.mmap_writers, 0);
    let mut out = Vec::new();
    for (index, i) in s.interventions.iter().enumerate() {
        let name = match i.action {
            Action::Hog { .. } => next(&mut hogs, "hog"),
            Action::Writer => next(&mut writers, "writer"),
            Action::Mmap => next(&mut mmaps, "mmap"),
            Action::Sync => next(&mut syncs, "sync"),
            _ => continue,
        };
        out.push(Started {
            index,
            name,
            at_ms: i.at_ms,
            action: i.action.clone(),
        });
    }
    out
}

fn next(n: &mut u32, what: &str) -> String {
    let name = format!("{what}{n}");
    *n += 1;
    name
}

/// The problems of a scenario's interventions, as (given, allowed) pairs for the `at` field.
pub fn problems(s: &super::Scenario) -> Vec<(String, String)> {
    use super::limits::*;
    let mut out = Vec::new();
    let list = &s.interventions;
    if list.len() > MAX_INTERVENTIONS {
        out.push((
            format!("{} interventions", list.len()),
            format!("at most {MAX_INTERVENTIONS}"),
        ));
        return out;
    }
    let w = &s.workload;
    let started = started(s);
    let count = |f: fn(&Action) -> bool| started.iter().filter(|t| f(&t.action)).count() as u32;
    let mut last = 0;
    for (n, i) in list.iter().enumerate() {
        let which = format!("{} ({})", ordinal(n + 1), text(i));
        if i.at_ms == 0 || i.at_ms >= s.duration_ms {
            out.push((
                which.clone(),
                format!(
                    "a time after 0 and before the end of the run ({} ms)",
                    s.duration_ms
                ),
            ));
        } else if i.at_ms % super::MS_PER_TICK != 0 {
            out.push((
                which.clone(),
                format!("a time in whole ticks ({} ms)", super::MS_PER_TICK),
            ));
        }
        if i.at_ms < last {
            out.push((
                which.clone(),
                "no earlier than the one before it: the list is in time order".into(),
            ));
        }
        last = i.at_ms;
        let range = |v: u64, (lo, hi): (u64, u64), unit: &str| -> Option<String> {
            (v < lo || v > hi).then(|| format!("{} from {lo}{unit} to {hi}{unit}", i.action.name()))
        };
        let bad = match &i.action {
            Action::Hog { mb } => range(u64::from(*mb), (1, u64::from(HOG_MB.1)), "M"),
            Action::Wrate { kb_s } => range(
                u64::from(*kb_s),
                (u64::from(WRITER_KB_S.0), u64::from(WRITER_KB_S.1)),
                "K/s",
            ),
            Action::Mrate { pages_s } => range(
                u64::from(*pages_s),
                (u64::from(MMAP_PAGES_S.0), u64::from(MMAP_PAGES_S.1)),
                "/s",
            ),
            Action::Bw { mb_s } => range(
                u64::from(*mb_s),
                (u64::from(DISK_MB_S.0), u64::from(DISK_MB_S.1)),
                "M/s",
            ),
            Action::Seek { ms } => range(
                u64::from(*ms),
                (u64::from(DISK_SEEK_MS.0), u64::from(DISK_SEEK_MS.1)),
                "ms",
            ),
            Action::Stop { thread } => stoppable(s, &started, thread, i.at_ms),
            Action::Writer | Action::Mmap | Action::Sync => None,
        };
        if let Some(allowed) = bad {
            out.push((which, allowed));
        }
    }
    let hogs = if w.hog_mb > 0 { w.hogs } else { 0 };
    let started_mb: u64 = list
        .iter()
        .map(|i| match i.action {
            Action::Hog { mb } => u64::from(mb),
            _ => 0,
        })
        .sum();
    let hog_mb = u64::from(hogs) * u64::from(w.hog_mb) + started_mb;
    if started_mb > 0 && hog_mb > u64::from(s.machine.ram_mb) * 2 {
        out.push((
            format!("{hog_mb}M of hogs in all"),
            format!(
                "at most twice ram ({}M) in all",
                u64::from(s.machine.ram_mb) * 2
            ),
        ));
    }
    for (what, have, max, f) in [
        (
            "hogs",
            hogs,
            HOGS.1,
            (|a: &Action| matches!(a, Action::Hog { .. })) as fn(&Action) -> bool,
        ),
        ("writers", w.writers, WRITERS.1, |a| {
            matches!(a, Action::Writer)
        }),
        ("mmap writers", w.mmap_writers, MMAP_WRITERS.1, |a| {
            matches!(a, Action::Mmap)
        }),
    ] {
        let added = count(f);
        let total = have + added;
        if added > 0 && total > max {
            out.push((
                format!("{total} {what} in all"),
                format!("at most {max} {what}, those of the workload included"),
            ));
        }
    }
    out
}

/// Why `thread` cannot be stopped at `at_ms`, or None when it can.
fn stoppable(s: &super::Scenario, started: &[Started], thread: &str, at_ms: u64) -> Option<String> {
    let w = &s.workload;
    let own = |what: &str, n: u32| (0..n).any(|i| format!("{what}{i}") == thread);
    let exists = own("writer", w.writers)
        || own("mmap", w.mmap_writers)
        || started.iter().any(|t| {
            t.name == thread
                && matches!(t.action, Action::Writer | Action::Mmap)
                && t.at_ms <= at_ms
        });
    (!exists).then(|| {
        "stop:NAME of a writer or mapped-file writer running by then (writer0, mmap0, …); a hog \
         cannot be stopped"
            .to_string()
    })
}

fn ordinal(n: usize) -> String {
    let sfx = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("the {n}{sfx}")
}

/// How an intervention reads in a link, `30s:hog:64M`.
pub fn text(i: &Intervention) -> String {
    use super::link::unit_text;
    let at = unit_text("until", i.at_ms);
    let value = match &i.action {
        Action::Hog { mb } => Some(unit_text("hog", u64::from(*mb))),
        Action::Wrate { kb_s } => Some(unit_text("wrate", u64::from(*kb_s))),
        Action::Mrate { pages_s } => Some(unit_text("mrate", u64::from(*pages_s))),
        Action::Bw { mb_s } => Some(unit_text("bw", u64::from(*mb_s))),
        Action::Seek { ms } => Some(unit_text("seek", u64::from(*ms))),
        Action::Stop { thread } => Some(thread.clone()),
        Action::Writer | Action::Mmap | Action::Sync => None,
    };
    match value {
        Some(v) => format!("{at}:{}:{v}", i.action.name()),
        None => format!("{at}:{}", i.action.name()),
    }
}

/// The `at` value of a link: every intervention, comma-separated.
pub fn list_text(list: &[Intervention]) -> String {
    list.iter().map(text).collect::<Vec<_>>().join(",")
}

/// What `at` accepts, for error messages.
pub const SYNTAX: &str = "a comma-separated list of TIME:ACTION[:VALUE] in time order, e.g. \
     30s:hog:64M,45s:wrate:2M/s,60s:sync,90s:stop:writer0 (actions: hog SIZE, writer, mmap, \
     stop THREAD, wrate RATE, mrate RATE, bw RATE, seek DURATION, sync)";

/// Reads the `at` value of a link; `Err` with what is allowed when it does not read.
pub fn parse_list(text: &str) -> Result<Vec<Intervention>, String> {
    use super::link::unit_parse;
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for item in text.split(',') {
        let bad = || format!("{SYNTAX}; “{item}” does not read");
        let mut parts = item.splitn(3, ':');
        let (Some(at), Some(name)) = (parts.next(), parts.next()) else {
            return Err(bad());
        };
        let value = parts.next();
        let at_ms = unit_parse("until", at).ok_or_else(bad)?;
        let num = |key: &str| -> Result<u32, String> {
            let v = value.ok_or_else(bad)?;
            unit_parse(key, v)
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
                .ok_or_else(bad)
        };
        let action = match name {
            "hog" => Action::Hog { mb: num("hog")? },
            "wrate" => Action::Wrate {
                kb_s: num("wrate")?,
            },
            "mrate" => Action::Mrate {
                pages_s: num("mrate")?,
            },
            "bw" => Action::Bw { mb_s: num("bw")? },
            "seek" => Action::Seek { ms: num("seek")? },
            "stop" => {
                let t = value.filter(|t| !t.is_empty()).ok_or_else(bad)?;
                if t.len() > 16 || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(bad());
                }
                Action::Stop {
                    thread: t.to_string(),
                }
            }
            "writer" | "mmap" | "sync" if value.is_none() => match name {
                "writer" => Action::Writer,
                "mmap" => Action::Mmap,
                _ => Action::Sync,
            },
            _ => return Err(bad()),
        };
        out.push(Intervention { at_ms, action });
        if out.len() > MAX_INTERVENTIONS {
            return Err(format!("at most {MAX_INTERVENTIONS} interventions"));
        }
    }
    Ok(out)
}
