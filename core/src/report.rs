//! The run's report: one Markdown page for a postmortem or a bug report — the link (with the
//! run's fingerprint, so that it proves itself), the command that repeats it, the kernel, the
//! machine, the workload, the outcome, the cycle in words, the key moments, who took the reserve,
//! and the end of the console. The page's "Report" and `pageout-sim run --report` both print
//! [`markdown`], so they agree by construction.
//!
//! This module is a layer above the engine: it reads a run through the public [`Simulation`] API.

use crate::events::{Event, EventKind};
use crate::fingerprint::Fingerprint;
use crate::scenario::link;
use crate::{FsKind, Scenario, Simulation, ENGINE_VERSION, HZ};

/// Key moments listed in full; past this, the first and the last ones.
const MOMENTS: usize = 24;
/// Console lines quoted (the last ones).
const CONSOLE_LINES: usize = 20;

fn seconds(tick: u64) -> String {
    format!("{}.{:02}", tick / HZ, tick % HZ)
}

fn size_mb(mb: u64) -> String {
    if mb >= 1024 && mb % 1024 == 0 {
        format!("{} GB", mb / 1024)
    } else {
        format!("{mb} MB")
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A Markdown table cell: no line breaks, no bare `|`.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The kernel: its preset, what that is, and the switches set against it.
fn kernel_words(s: &Scenario) -> String {
    let mut out = format!("`{}` ({})", s.preset.name(), s.preset.description());
    let o = s.overrides.normalized(s.preset);
    let set: Vec<String> = crate::policy::MECHANISMS
        .iter()
        .filter_map(|m| o.get(m.key).map(|v| format!("`{}={v}`", m.key)))
        .collect();
    if !set.is_empty() {
        out += &format!(", with {}", set.join(", "));
    }
    out
}

fn machine_words(s: &Scenario) -> String {
    let m = &s.machine;
    let swap = if m.swap_mb == 0 {
        "no swap".to_string()
    } else {
        format!("{} swap", size_mb(m.swap_mb.into()))
    };
    let fs = match s.fs {
        FsKind::Hammer => "HAMMER".to_string(),
        FsKind::Ufs => format!("UFS with {} KB blocks", s.ufs_block_kb),
    };
    let start = if s.warm {
        "warm start (a machine that has been running the workload)"
    } else {
        "cold start"
    };
    format!(
        "{} RAM, {swap}; a disk of {} MB/s with {} ms seeks; {fs}; {start}",
        size_mb(m.ram_mb.into()),
        m.disk_mb_s,
        m.disk_seek_ms
    )
}

fn workload_words(s: &Scenario) -> String {
    let w = &s.workload;
    let mut parts = Vec::new();
    if w.mmap_writers > 0 {
        parts.push(format!(
            "{} dirtying {} pages/s of a shared mapping of a {} file",
            plural(w.mmap_writers, "mmap writer", "mmap writers"),
            w.mmap_pages_s,
            size_mb(w.mmap_file_mb.into())
        ));
    }
    if w.writers > 0 {
        let rate = if w.writer_kb_s == 0 {
            "as fast as they can".to_string()
        } else if w.writer_kb_s % 1024 == 0 {
            format!("at {} MB/s each", w.writer_kb_s / 1024)
        } else {
            format!("at {} KB/s each", w.writer_kb_s)
        };
        let into = if w.shared {
            "into the mapped files".to_string()
        } else {
            format!("on {} files", size_mb(w.writer_file_mb.into()))
        };
        parts.push(format!(
            "{} {rate} {into}",
            plural(w.writers, "write(2) writer", "write(2) writers")
        ));
    }
    if w.hogs > 0 {
        parts.push(format!(
            "{} of {} each at {} MB/s from {} s",
            plural(w.hogs, "anonymous-memory hog", "anonymous-memory hogs"),
            size_mb(w.hog_mb.into()),
            w.hog_mb_s,
            seconds(w.hog_start_ms / (1000 / HZ))
        ));
    }
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join("; ")
    }
}

fn kind_name(kind: EventKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn moment_line(e: &Event) -> String {
    let who = if e.thread.is_empty() {
        String::new()
    } else {
        format!(" `{}`:", e.thread)
    };
    format!(
        "- **{} s** {}{who} {}\n",
        seconds(e.tick),
        kind_name(e.kind),
        e.why
    )
}

/// The key moments: all of them but the zone refills (one per 32 pages of HAMMER records, too
/// many to read), the first and the last when there are more than [`MOMENTS`].
fn moments(events: &[Event]) -> String {
    let told: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind != EventKind::ZoneRefill)
        .collect();
    let refills = events.len() - told.len();
    let mut out = String::new();
    if told.len() <= MOMENTS {
        told.iter().for_each(|e| out += &moment_line(e));
    } else {
        let (head, tail) = (MOMENTS / 3, MOMENTS - MOMENTS / 3);
        told[..head].iter().for_each(|e| out += &moment_line(e));
        out += &format!("- … {} more …\n", told.len() - head - tail);
        told[told.len() - tail..]
            .iter()
            .for_each(|e| out += &moment_line(e));
    }
    if told.is_empty() {
        out += "- (none)\n";
    }
    if refills > 0 {
        let what = if refills == 1 {
            "1 refill of HAMMER's record zone is"
        } else {
            &format!("{refills} refills of HAMMER's record zone are")
        };
        out += &format!("\n({what} left out; the outcome export lists every key moment.)\n");
    }
    out
}

/// The run's report in Markdown. `page_url` is the page the link opens in (none: the fragment
/// only). The link carries the run's fingerprint once it has an outcome.
pub fn markdown(sim: &Simulation, page_url: Option<&str>) -> String {
    let s = sim.scenario();
    let canonical = link::encode(s);
    let fingerprint = Fingerprint::of(sim);
    let fragment = match &fingerprint {
        Some(f) => format!("#{canonical}&{}", f.keys()),
        None => format!("#{canonical}"),
    };
    let hash = format!("{:016x}", sim.trace_hash());
    let outcome = sim.outcome();
    let title = match outcome {
        Some(o) => format!("{} at {} s", o.kind.name(), seconds(o.tick)),
        None => format!("running, at {} s", seconds(sim.tick())),
    };
    let mut out = format!("# Pageout Lab: {title}\n\n");
    match outcome {
        Some(o) => out += &format!("> {}\n\n", o.summary),
        None => out += "> The run has no outcome yet.\n\n",
    }
    let shown_link = match page_url {
        Some(url) => format!("<{url}{fragment}>"),
        None => format!("`{fragment}`"),
    };
    out += "| | |\n|---|---|\n";
    out += &format!("| Link | {shown_link} |\n");
    out += &format!("| Repeat it | `pageout-sim run --link '{fragment}'` |\n");
    out += &format!("| Engine | {ENGINE_VERSION}, trace hash `{hash}` |\n");
    out += &format!("| Kernel | {} |\n", cell(&kernel_words(s)));
    out += &format!("| Machine | {} |\n", cell(&machine_words(s)));
    out += &format!("| Workload | {} |\n", cell(&workload_words(s)));
    out += &format!(
        "| Run | seed {}, {} s, hang window {} s |\n",
        s.seed,
        seconds(s.duration_ticks()),
        seconds(s.hang_window_ticks())
    );
    if let Some(o) = outcome {
        out += &format!(
            "| Outcome | {} at {} s (declared at {} s) |\n",
            o.kind.name(),
            seconds(o.tick),
            seconds(o.detected_at)
        );
    }
    let g = outcome.map(|o| &o.graph);
    if let Some(g) = g.filter(|g| !g.nodes.is_empty()) {
        out += "\n## Who waits for whom\n\n";
        if g.cycle.is_empty() {
            out += "No cycle.\n\n";
        } else {
            out += &format!("The cycle: {}.\n\n", g.cycle_text());
        }
        let name = |i: usize| g.nodes.get(i).map_or("?", |n| n.thread.as_str());
        for e in &g.edges {
            out += &format!(
                "- `{}` waits on `{}`: {}\n",
                name(e.from),
                name(e.to),
                e.why
            );
        }
        for n in &g.nodes {
            let in_path = if n.path.is_empty() {
                String::new()
            } else {
                format!(" in {}", n.path)
            };
            let timed = if n.timed { "with a timeout" } else { "forever" };
            out += &format!(
                "- `{}` sleeps in {}{in_path} {timed} since {} s, waiting for {}\n",
                n.thread,
                n.wmesg,
                seconds(n.since),
                n.waits_for
            );
        }
    }
    out += "\n## Key moments\n\n";
    out += &moments(&sim.events());
    out += "\n## Pages taken by thread\n\n";
    out += "| thread | state | above reserved | system reserve | interrupt reserve | pageouts |\n";
    out += "|---|---|---:|---:|---:|---:|\n";
    for t in sim.threads() {
        let a = &t.account;
        let state = if t.state == "sleeping" && !t.path.is_empty() {
            format!("sleeping in {} in {}", t.wmesg, t.path)
        } else if t.state == "sleeping" {
            format!("sleeping in {}", t.wmesg)
        } else {
            t.state.clone()
        };
        out += &format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            t.name,
            cell(&state),
            a.pages_normal,
            a.pages_system,
            a.pages_interrupt,
            a.pageouts
        );
    }
    let log = sim.log();
    out += "\n## Console\n\n";
    if log.is_empty() {
        out += "The console printed nothing.\n";
    } else {
        let from = log.len().saturating_sub(CONSOLE_LINES);
        if from > 0 {
            out += &format!(
                "The last {CONSOLE_LINES} of {} lines (the console export has them all):\n\n",
                log.len()
            );
        }
        out += "```text\n";
        for l in &log[from..] {
            out += &l.dmesg();
            out.push('\n');
        }
        out += "```\n";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_of_the_default_lockup_tells_the_postmortem() {
        let s = Scenario::default();
        let mut sim = Simulation::new(&s).unwrap();
        sim.run();
        let o = sim.outcome().unwrap().clone();
        let md = markdown(&sim, Some("https://lab.example/"));
        let f = Fingerprint::of(&sim).unwrap();
        let link = format!("#{}&{}", link::encode(&s), f.keys());
        assert!(
            md.starts_with(&format!(
                "# Pageout Lab: {} at {} s\n\n> {}\n",
                o.kind.name(),
                seconds(o.tick),
                o.summary
            )),
            "{md}"
        );
        assert!(
            md.contains(&format!("| Link | <https://lab.example/{link}> |")),
            "{md}"
        );
        assert!(md.contains(&format!("`pageout-sim run --link '{link}'`")));
        assert!(md.contains(&format!("trace hash `{:016x}`", sim.trace_hash())));
        assert!(md.contains("| Kernel | `dfly-2008-06-30` (the kernel of the lockup report"));
        assert!(md.contains("| Machine | 64 MB RAM, 256 MB swap;"), "{md}");
        assert!(md.contains(
            "| Workload | 1 mmap writer dirtying 2500 pages/s of a shared mapping of a 512 MB \
             file; 2 write(2) writers at 1 MB/s each on 256 MB files |"
        ));
        if !o.graph.cycle.is_empty() {
            assert!(md.contains(&format!("The cycle: {}.", o.graph.cycle_text())));
        }
        // the last key moment is the end of the run
        let last = sim.events().last().cloned().unwrap();
        assert!(md.contains(&moment_line(&last)), "{md}");
        for t in sim.threads() {
            assert!(md.contains(&format!("| `{}` |", t.name)), "{}", t.name);
        }
        if let Some(l) = sim.log().last() {
            assert!(md.contains(&format!("{}\n```\n", l.dmesg())));
        }
    }

    #[test]
    fn a_report_without_a_page_gives_the_fragment_and_switches_set() {
        let s =
            link::decode("v=1&preset=dfly-2008-07-01&recoverbufpages=off&until=2s&hogs=1").unwrap();
        let mut sim = Simulation::new(&s).unwrap();
        sim.run();
        let md = markdown(&sim, None);
        assert!(md.contains("| Link | `#v=1&preset=dfly-2008-07-01"), "{md}");
        assert!(md.contains("with `recoverbufpages=off`"), "{md}");
        assert!(md.contains("1 anonymous-memory hog of 64 MB each at 8 MB/s from 0.00 s"));
    }

    #[test]
    fn a_report_before_the_outcome_says_so_and_has_no_fingerprint() {
        let mut sim = Simulation::new(&Scenario::default()).unwrap();
        sim.advance(100);
        let md = markdown(&sim, None);
        assert!(
            md.starts_with("# Pageout Lab: running, at 1.00 s\n\n> The run has no outcome yet.")
        );
        assert!(!md.contains("&ev="));
    }
}
