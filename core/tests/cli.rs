//! The command line, end to end: what a user types and what they see. These tests hold whatever
//! the outcome of a run is; the scenario tests pin outcomes.
#![cfg(feature = "cli")]

use std::process::{Command, Output};

use pageout_core::scenario::link;
use pageout_core::{KernelPreset, Scenario, ScenarioPreset};

/// Short runs keep the tests fast; the defaults run for 300 s of simulated time.
const SHORT: [&str; 2] = ["--until", "5s"];

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pageout-sim"))
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

fn ok(args: &[&str]) -> String {
    let o = sim(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(args)).expect("one JSON document")
}

#[test]
fn a_run_prints_its_link_first_then_the_log_then_a_summary() {
    let out = ok(&["run", "--preset", "hammer-lockup", "--until", "5s"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "link: #v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=5s"
    );
    let outcome = lines
        .iter()
        .position(|l| l.starts_with("outcome: "))
        .expect(&out);
    for l in &lines[1..outcome] {
        assert!(
            l.is_empty() || l.starts_with('['),
            "not a console line: {l:?}"
        );
    }
    let kind = lines[outcome].trim_start_matches("outcome: ");
    assert!(
        [
            "survived ",
            "deadlock ",
            "stall ",
            "starved ",
            "out-of-memory "
        ]
        .iter()
        .any(|k| kind.starts_with(k)),
        "{kind}"
    );
    for label in [
        "emergency allocations: ",
        "recoverbufpages calls: ",
        "min free+cache: ",
        "peak dirty buffer space: ",
        "trace hash: ",
    ] {
        assert!(
            lines[outcome..].iter().any(|l| l.starts_with(label)),
            "no {label:?} in\n{out}"
        );
    }
}

#[test]
fn the_printed_link_is_the_run() {
    // the link of a run, given back, gives the same run
    let out = ok(&[
        "run",
        "--preset",
        "ufs-same-load",
        "--kernel",
        "dfly-2008-07-01",
        "--seed",
        "9",
        "--until",
        "5s",
    ]);
    let first = out.lines().next().unwrap();
    let l = first.strip_prefix("link: ").unwrap();
    let expected = Scenario {
        preset: KernelPreset::Dfly20080701,
        seed: 9,
        duration_ms: 5_000,
        ..ScenarioPreset::UfsSameLoad.scenario()
    };
    assert_eq!(link::decode(l), Ok(expected));
    assert_eq!(ok(&["run", "--link", l]), out);
}

#[test]
fn a_run_from_a_link_prints_the_canonical_link() {
    let out = ok(&[
        "run",
        "--link",
        "https://example.org/#seed=7&until=5000ms&v=1&preset=dfly-2008-07-01&recoverbufpages=off",
    ]);
    assert_eq!(
        out.lines().next(),
        Some("link: #v=1&preset=dfly-2008-07-01&seed=7&until=5s&recoverbufpages=off")
    );
}

#[test]
fn set_takes_any_link_key() {
    let out = ok(&[
        "run",
        "--set",
        "ram=256M",
        "--set",
        "systhread=on",
        "--set",
        "until=5s",
        "--kernel",
        "dfly-2008-06-29",
    ]);
    assert_eq!(
        out.lines().next(),
        Some("link: #v=1&preset=dfly-2008-06-29&ram=256M&seed=19&until=5s&systhread=on")
    );
}

#[test]
fn a_kernel_name_is_also_a_preset() {
    let out = ok(&["run", "--preset", "dfly-2008-07-08", "--until", "5s"]);
    assert_eq!(
        out.lines().next(),
        Some("link: #v=1&preset=dfly-2008-07-08&ram=64M&seed=19&until=5s")
    );
}

#[test]
fn a_scenario_file_runs_like_its_link() {
    let s = Scenario {
        seed: 3,
        duration_ms: 5_000,
        ..ScenarioPreset::WritersOnly.scenario()
    };
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-writers-only.json");
    std::fs::write(&path, serde_json::to_string_pretty(&s).unwrap()).unwrap();
    let out = ok(&["run", "--scenario", path.to_str().unwrap()]);
    assert_eq!(
        out.lines().next().unwrap(),
        format!("link: #{}", link::encode(&s))
    );
}

#[test]
fn a_scenario_beyond_the_work_budget_is_refused_and_names_what_weighs_most() {
    // an hour of eight unthrottled writers on a 2 GB/s disk: minutes of simulation
    let o = sim(&[
        "run",
        "--link",
        "#v=1&preset=dfly-2008-07-01&ram=4G&writers=8&wrate=unlimited&bw=2000M/s&seek=0ms&until=3600s",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("error: wrate: "), "{err}");
    assert!(
        err.contains("work budget") && err.contains("--no-budget"),
        "{err}"
    );
    // the same scenario, shorter, is accepted
    let o = sim(&[
        "run",
        "--link",
        "#v=1&preset=dfly-2008-07-01&ram=4G&writers=8&wrate=unlimited&bw=2000M/s&seek=0ms&until=2s",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_broken_link_exits_2_and_names_every_bad_key() {
    let o = sim(&[
        "run",
        "--link",
        "#v=1&preset=dfly-2008-06-30&ram=lots&nosuch=1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("ram=lots") && lines[0].contains("128M or 2G"),
        "{err}"
    );
    assert!(lines[1].contains("nosuch"), "{err}");
}

#[test]
fn bad_input_of_every_kind_exits_2_with_a_message() {
    for (args, needle) in [
        (
            &["run", "--link", "#preset=dfly-2008-06-30"][..],
            "no version",
        ),
        (
            &["run", "--set", "ram=9G"],
            "ram=9G is out of range: ram must be in 32M..=4096M",
        ),
        (&["run", "--set", "ram"], "--set \"ram\" is not KEY=VALUE"),
        (&["run", "--kernel", "dfly-2009"], "preset=dfly-2009"),
        (&["run", "--seed=-1"], "seed=-1"),
        (&["run", "--until", "5min"], "until=5min"),
        (&["run", "--preset", "nosuch"], "hammer-lockup"),
        (
            &["run", "--scenario", "/nonexistent/scenario.json"],
            "cannot read",
        ),
        (
            &["run", "--preset", "hammer-lockup", "--link", "v=1"],
            "cannot be used with",
        ),
        (&["sweep", "--seeds", "10..10"], "holds no seed"),
        (
            &["sweep", "--seeds", "0..=18446744073709551615"],
            "0..=18446744073709551615 holds 18446744073709551616 seeds; at most 1000000 per sweep",
        ),
        (
            &["run", "--link", "#v=1&hog=8G&hogs=0"],
            "hog=8G has no effect with hogs=0",
        ),
        (
            &["run", "--link", "#v=1&hogs=1&hogat=3600s&until=10s"],
            "hogat=3600s is not allowed: hogat must be before until",
        ),
        (&["sweep", "--seeds", "1-10"], "A..B"),
        (
            &["sweep", "--seeds", "1..3", "--set", "seed=4"],
            "--seeds chooses",
        ),
    ] {
        let o = sim(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_link_with_thousands_of_problems_prints_the_first_twenty_and_a_count() {
    let o = sim(&["run", "--link", &format!("#v=1&{}", "=&".repeat(1000))]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 21, "{err}");
    assert!(lines[..20]
        .iter()
        .all(|l| l.starts_with("error: unknown key ")));
    assert_eq!(
        lines[20],
        "error: and 980 more problems: only the first 20 are listed"
    );
}

#[test]
fn a_link_too_long_to_read_is_one_line_naming_its_size() {
    // the link of the report, 120 KB: it printed 60,000 lines (18 MB)
    let o = sim(&["run", "--link", &format!("#v=1&{}", "=&".repeat(60_000))]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: the link is 120005 bytes long: links of at most 65536 bytes (64 KiB) are read; \
         a scenario's link is well under 2 KiB\n"
    );
}

#[test]
fn a_link_is_never_taken_for_an_option() {
    let o = sim(&["run", "--link", "-x=1"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("the link has no version"), "{err}");
    assert!(err.contains("unknown key -x (given as -x=1)"), "{err}");
}

#[test]
fn a_link_pasted_with_spaces_or_a_question_mark_runs() {
    for l in ["# v=1&ram=256M & seed=4", "?v=1&ram=256M&seed=4 "] {
        let out = ok(&["run", "--link", l, "--until", "5s"]);
        assert_eq!(
            out.lines().next(),
            Some("link: #v=1&preset=dfly-2008-06-30&ram=256M&seed=4&until=5s"),
            "{l:?}"
        );
    }
}

#[test]
fn the_seed_places_the_writers_of_writers_only() {
    // a warm machine starts each writer at a seeded place in its file, so even without a
    // mapped file two seeds are two different runs
    let hash = |seed| {
        json(&[
            "run",
            "--preset",
            "writers-only",
            "--seed",
            seed,
            "--until",
            "30s",
            "--json",
        ])["traceHash"]
            .clone()
    };
    assert_ne!(hash("1"), hash("2"));
}

#[test]
fn json_output_is_one_document_with_the_run() {
    let v = json(&[
        "run",
        "--json",
        "--kernel",
        "dfly-2008-07-01",
        "--until",
        "5s",
    ]);
    for key in [
        "engineVersion",
        "link",
        "scenario",
        "log",
        "outcome",
        "stats",
        "traceHash",
    ] {
        assert!(v.get(key).is_some(), "no {key} in {v}");
    }
    let s: Scenario = serde_json::from_value(v["scenario"].clone()).unwrap();
    assert_eq!(link::decode(v["link"].as_str().unwrap()), Ok(s));
    assert!(["survived", "deadlock", "stall"].contains(&v["outcome"]["kind"].as_str().unwrap()));
    assert!(v["log"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["dmesg"].as_str().unwrap().starts_with('[')));
    assert!(v["stats"]["minFreeCache"].is_u64());
    assert_eq!(v["traceHash"].as_str().unwrap().len(), 16);
}

/// A run says which mechanisms the kernel read; one it never read cannot change it.
#[test]
fn a_run_names_the_mechanisms_it_never_read_and_flipping_one_gives_the_same_run() {
    let link = "#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=60s&bio=fix-0701";
    let v = json(&["run", "--json", "--link", link]);
    let consulted: Vec<&str> = v["consulted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(consulted.contains(&"bio"), "{consulted:?}");
    // the grid's switches
    let unread: Vec<&str> = pageout_core::explore::grid::switches()
        .into_iter()
        .map(|m| m.key)
        .filter(|k| !consulted.contains(k))
        .collect();
    assert!(!unread.is_empty(), "{consulted:?}");
    for k in &unread {
        let on = format!("{k}=on");
        let w = json(&["run", "--json", "--link", link, "--set", &on]);
        assert_eq!(w["traceHash"], v["traceHash"], "{k}=on");
    }
    let text = ok(&["run", "--link", link]);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("never read in this run (it does not depend on them): "))
        .expect(&text);
    for k in &unread {
        assert!(line.split(' ').any(|w| w == *k), "{k} in {line}");
    }
    for k in &consulted {
        assert!(!line.split(' ').any(|w| w == *k), "{k} in {line}");
    }
}

#[test]
fn the_same_run_twice_is_the_same_output() {
    let a = ok(&["run", "--json", "--seed", "11", SHORT[0], SHORT[1]]);
    assert_eq!(
        ok(&["run", "--json", "--seed", "11", SHORT[0], SHORT[1]]),
        a
    );
}

#[test]
fn presets_lists_every_scenario_and_kernel_preset() {
    let out = ok(&["presets"]);
    for p in ScenarioPreset::ALL {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(p.name()))
            .unwrap_or_else(|| panic!("{} not listed", p.name()));
        assert!(line.contains(p.description()), "{line}");
    }
    for k in KernelPreset::ALL {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(k.name()))
            .unwrap_or_else(|| panic!("{} not listed", k.name()));
        assert!(line.contains(k.description()), "{line}");
    }
}

#[test]
fn a_sweep_prints_outcome_rates() {
    let out = ok(&["sweep", "--seeds", "1..=3", "--until", "5s", "--jobs", "2"]);
    assert!(
        out.starts_with("link: #v=1&preset=dfly-2008-06-30&ram=64M&until=5s\nseeds: 1..=3 (3 runs"),
        "{out}"
    );
    let mut runs = 0;
    for kind in ["deadlock", "stall", "starved", "out-of-memory", "survived"] {
        let line = out.lines().find(|l| l.starts_with(kind)).expect(kind);
        let cols: Vec<&str> = line.split_whitespace().collect();
        runs += cols[1].parse::<u32>().unwrap();
        assert!(cols[2].ends_with('%'), "{line}");
    }
    assert_eq!(runs, 3);
    assert!(out.contains("time to hang: "), "{out}");
}

#[test]
fn a_sweep_is_the_same_whatever_the_number_of_jobs() {
    let args = |jobs| {
        [
            "sweep", "--seeds", "4..8", "--json", "--until", "5s", "--jobs", jobs,
        ]
    };
    let one = json(&args("1"));
    assert_eq!(json(&args("3")), one);
    let seeds: Vec<&str> = one["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seed"].as_str().unwrap())
        .collect();
    assert_eq!(seeds, ["4", "5", "6", "7"]);
    let counts = &one["counts"];
    let total: u64 = ["deadlock", "stall", "survived"]
        .iter()
        .map(|k| counts[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, 4);
    assert_eq!(one["seeds"]["count"], 4);
}

#[test]
fn at_adds_timed_interventions_to_the_link_in_time_order() {
    let out = ok(&[
        "run",
        "--link",
        "#v=1&until=5s&at=3s:sync",
        "--at",
        "4s:stop=writer0",
        "--at",
        "1s:hog=8M",
    ]);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "link: #v=1&preset=dfly-2008-06-30&until=5s&at=1s:hog:8M,3s:sync,4s:stop:writer0"
    );
    // each one is a key moment of the run, by the thread it concerns
    assert!(
        out.contains("1.00 s  intervention hog0: a new process starts allocating 8 MB"),
        "{out}"
    );
    assert!(
        out.contains("3.00 s  intervention sync0: sync(2): "),
        "{out}"
    );
    assert!(
        out.contains("4.00 s  intervention writer0: told to stop"),
        "{out}"
    );
    // the printed link reproduces the run
    let link = first.strip_prefix("link: ").unwrap();
    let again = ok(&["run", "--link", link]);
    let hash = |o: &str| {
        o.lines()
            .find(|l| l.starts_with("trace hash"))
            .map(String::from)
    };
    assert_eq!(hash(&out), hash(&again));
}

#[test]
fn a_bad_intervention_exits_2_and_says_which_and_why() {
    for (args, want) in [
        (vec!["--at", "3s:fly"], "--at \"3s:fly\" does not read"),
        (
            vec!["--at", "9s:sync"],
            "at: the 1st (9s:sync) is not allowed",
        ),
        (vec!["--at", "1s:stop=hog0"], "a hog cannot be stopped"),
    ] {
        let mut all = vec!["run", "--until", "5s"];
        all.extend(args);
        let o = sim(&all);
        assert_eq!(o.status.code(), Some(2), "{all:?}");
        assert!(stderr(&o).contains(want), "{all:?}: {}", stderr(&o));
    }
}

// ---- grid ----

/// A short grid: two seeds of 5 s in each of the 128 cells.
const GRID: [&str; 5] = ["grid", "--until", "5s", "--seeds", "1..=2"];

fn with(base: &[&str], more: &[&str]) -> Vec<String> {
    base.iter().chain(more).map(|s| s.to_string()).collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn a_grid_prints_every_combination_of_the_switches_and_the_smallest_cures() {
    let out = ok(&GRID);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "link: #v=1&preset=dfly-2008-06-30&ram=64M&until=5s"
    );
    assert!(
        lines[1].starts_with("note: bio=pre-0630 has no recoverbufpages"),
        "{out}"
    );
    assert_eq!(lines[2], "seeds: 1..=2 (128 cells × 2 seeds = 256 runs)");
    let header = lines
        .iter()
        .position(|l| l.starts_with("switches on "))
        .expect(&out);
    let rows = &lines[header + 1..header + 129];
    assert!(rows[0].starts_with("(none) "), "{}", rows[0]);
    for row in rows {
        let counts: u32 = row
            .split_whitespace()
            .filter_map(|w| w.parse::<u32>().ok())
            .take(5)
            .sum();
        assert_eq!(counts, 2, "{row}");
        assert!(row.contains(" yes ") || row.contains(" no "), "{row}");
    }
    assert!(lines[header + 130].starts_with("smallest cures: "), "{out}");
    assert!(
        lines[header + 131].starts_with("rule: a cell cures"),
        "{out}"
    );
    // most runs are twins of a few: the grid says how many it simulated
    let simulated: usize = lines[header + 132]
        .strip_suffix(" of the 256 runs were simulated; each of the others differs from a simulated run of its seed only in switches that run never read, so it is that run")
        .expect(&out)
        .parse()
        .expect(&out);
    assert!(simulated > 2 && simulated < 128, "{out}");
}

#[test]
fn a_grid_in_json_is_the_report_the_page_gets_and_does_not_depend_on_jobs() {
    let one = json(&refs(&with(&GRID, &["--json", "--jobs", "1"])));
    assert_eq!(json(&refs(&with(&GRID, &["--json", "--jobs", "2"]))), one);
    assert_eq!(one["switches"].as_array().unwrap().len(), 7);
    assert!(
        one["simulated"].as_u64().unwrap() < 256,
        "{}",
        one["simulated"]
    );
    let cells = one["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 128);
    for c in cells {
        assert_eq!(c["runs"], 2);
        let total: u64 = c["counts"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(total, 2, "{c}");
        assert_eq!(c["hash"].as_str().unwrap().len(), 16);
        // the worst run is a run of the cell: its link repeats it
        let worst = link::decode(c["worstLink"].as_str().unwrap()).unwrap();
        assert_eq!(worst.seed, c["worstSeed"].as_u64().unwrap());
    }
    // every smallest cure is a curing cell
    for cure in one["cures"].as_array().unwrap() {
        assert!(
            cells.iter().any(|c| c["on"] == *cure && c["cures"] == true),
            "{cure}"
        );
    }
    assert!(one["rule"]
        .as_str()
        .unwrap()
        .contains("survived or starved"));
}

#[test]
fn a_grid_in_markdown_is_one_table_row_per_cell() {
    let out = ok(&refs(&with(&GRID, &["--markdown"])));
    assert!(
        out.starts_with("Switch grid of `#v=1&preset=dfly-2008-06-30&ram=64M&until=5s`"),
        "{out}"
    );
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 1 + 128, "{out}");
    assert_eq!(
        rows[0],
        "| switches on | deadlock | stall | out-of-memory | starved | survived | cures |"
    );
    assert!(rows[1].starts_with("| (none) |"), "{}", rows[1]);
    assert!(out.contains("\nSmallest cures: "), "{out}");
}

#[test]
fn bad_grid_input_exits_2_with_a_message() {
    for (args, says) in [
        (with(&GRID[..3], &["--seeds", "5..5"]), "holds no seed"),
        (
            with(&GRID, &["--set", "seed=3"]),
            "--seeds chooses the seed",
        ),
        (
            with(&GRID[..3], &["--seeds", "1..=1001"]),
            "at most 1000 per grid",
        ),
        (with(&GRID, &["--set", "ram=1M"]), "ram=1M is out of range"),
        (
            with(&GRID, &["--json", "--markdown"]),
            "cannot be used with",
        ),
    ] {
        let o = sim(&refs(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

// ---- diff ----

const LOCKUP: &str = "#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=20s";
const FIX: &str = "#v=1&preset=dfly-2008-07-01&ram=64M&seed=19&until=20s";

#[test]
fn diff_of_the_lockup_and_the_fix_prints_where_they_part_and_exits_1() {
    let o = sim(&["diff", LOCKUP, FIX]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("A: {LOCKUP}"));
    assert_eq!(lines[1], format!("B: {FIX}"));
    assert_eq!(
        lines[2],
        "compare: #v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=20s&b.preset=dfly-2008-07-01"
    );
    assert!(lines[4].starts_with("first divergence: tick "), "{out}");
    assert!(
        lines[5].starts_with("  A: ") && lines[6].starts_with("  B: "),
        "{out}"
    );
    assert!(
        out.contains("\noutcome A: ") && out.contains("\noutcome B: "),
        "{out}"
    );
    // one compare link is the same pair
    let o2 = sim(&["diff", &lines[2]["compare: ".len()..]]);
    assert_eq!(o2.status.code(), Some(1));
    assert_eq!(stdout(&o2), out);
}

#[test]
fn diff_in_json_has_the_solo_runs_hashes() {
    let d = {
        let o = sim(&["diff", LOCKUP, FIX, "--json"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()
    };
    let tick = d["tick"].as_u64().expect("a tick");
    assert_eq!(d["seconds"].as_f64(), Some(tick as f64 / 100.0));
    for (link, key) in [(LOCKUP, "traceHashA"), (FIX, "traceHashB")] {
        let solo = json(&["run", "--link", link, "--json"]);
        assert_eq!(d[key], solo["traceHash"], "{link}");
    }
    assert_eq!(
        d["outcomeA"]["kind"],
        json(&["run", "--link", LOCKUP, "--json"])["outcome"]["kind"]
    );
    assert_eq!(d["linkA"], &LOCKUP[1..]);
    assert!(!d["a"].as_str().unwrap().is_empty());
}

#[test]
fn diff_of_a_run_with_itself_exits_0() {
    let o = sim(&[
        "diff",
        LOCKUP,
        &LOCKUP.replace("until=20s", "until=20000ms"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("first divergence: none"),
        "{}",
        stdout(&o)
    );
}

/// A short run of the default lockup scenario, and more arguments.
fn lockup_3s<'a>(more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["run", "--preset", "hammer-lockup", "--until", "3s"];
    args.extend_from_slice(more);
    args
}

/// A directory of its own under the target directory, empty.
fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn export_writes_every_file_named_after_the_scenario_with_the_runs_data() {
    let dir = fresh_dir("cli-export");
    let d = dir.to_str().unwrap();
    let run = json(&lockup_3s(&["--json", "--export", d]));
    let stem = "pageout-dfly-2008-06-30-64M-seed19";
    let read =
        |suffix: &str| std::fs::read_to_string(dir.join(format!("{stem}-{suffix}"))).expect(suffix);
    // one row per sample: 3 s at one sample every 0.1 s
    let csv = read("samples.csv");
    let lines: Vec<&str> = csv.lines().collect();
    let headers: Vec<String> = pageout_core::export::columns()
        .iter()
        .map(|c| c.header())
        .collect();
    assert_eq!(lines[0], headers.join(","));
    assert!(lines[0].starts_with("time (s),free + cache (pages),free (pages),"));
    assert_eq!(lines.len(), 1 + 30, "{csv}");
    assert!(lines[30].starts_with("3.00,"), "{}", lines[30]);
    let samples: serde_json::Value = serde_json::from_str(&read("samples.json")).unwrap();
    assert_eq!(samples["rows"], 30);
    assert_eq!(
        samples["link"],
        run["link"].as_str().map(|l| format!("#{l}")).unwrap()
    );
    let outcome: serde_json::Value = serde_json::from_str(&read("outcome.json")).unwrap();
    assert_eq!(outcome["traceHash"], run["traceHash"]);
    assert_eq!(outcome["outcome"], run["outcome"]);
    assert_eq!(outcome["fingerprint"], run["fingerprint"]);
    let threads: serde_json::Value = serde_json::from_str(&read("threads.json")).unwrap();
    assert_eq!(threads["threads"], run["threads"]);
    let console = read("console.txt");
    let log: Vec<&str> = run["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["dmesg"].as_str().unwrap())
        .collect();
    assert_eq!(console.lines().collect::<Vec<_>>(), log);
    assert!(read("messages.txt").lines().count() <= log.len());
    assert!(read("report.md").starts_with("# Pageout Lab: "));
}

#[test]
fn report_prints_the_runs_markdown_with_its_self_checking_link() {
    let md = ok(&lockup_3s(&["--report"]));
    let run = json(&lockup_3s(&["--json"]));
    let fingerprint = run["fingerprint"].as_str().unwrap();
    let link = format!("#{}&{fingerprint}", run["link"].as_str().unwrap());
    assert!(
        md.starts_with("# Pageout Lab: survived at 3.00 s\n"),
        "{md}"
    );
    assert!(md.contains(&format!("| Link | `{link}` |")), "{md}");
    assert!(md.contains(&format!(
        "trace hash `{}`",
        run["traceHash"].as_str().unwrap()
    )));
    // the link in the report reproduces
    let o = sim(&["run", "--link", &link]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("link check: Reproduced: survived at 3.00 s"));
    // --report and --json are two ways to print the run, one at a time
    assert_eq!(
        sim(&["run", "--until", "3s", "--report", "--json"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn a_link_shared_by_the_engine_before_kmeminit_s_zones_says_which_engine_made_it() {
    // seed 19 as engine 0.1.0 ran it, with 128 KB zones on every machine
    let old = "#v=1&preset=dfly-2008-06-30&ram=64M&seed=19\
               &ev=0.1.0&eo=deadlock@109800ms&eh=155f656a4d2d97b4";
    let o = sim(&["run", "--link", old]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let check = stdout(&o);
    assert!(
        check.contains(
            "link check: Not reproduced: the link was made by engine 0.1.0; this is engine "
        ),
        "{check}"
    );
    assert!(
        check.contains("where the link says deadlock at 109.80 s"),
        "{check}"
    );
    // the same scenario with the zones 0.1.0 had is that run again, hash for hash
    let o = sim(&[
        "run",
        "--link",
        &old.replace("seed=19", "seed=19&kzone=128K"),
    ]);
    assert!(
        stdout(&o).contains("trace hash: 155f656a4d2d97b4"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_diff_input_exits_2_naming_the_link() {
    for (args, says) in [
        (
            vec!["diff", LOCKUP, "#v=1&ram=1M"],
            "LINK_B: ram=1M is out of range",
        ),
        (vec!["diff", "#v=1&fs=zfs", "#v=1&ram=1M"], "LINK_A: fs=zfs"),
        (vec!["diff", LOCKUP], "diff needs two scenarios"),
        (vec!["diff", "#v=1&b.ram=1M"], "b.ram=1M is out of range"),
        (vec!["diff"], "LINK_A"),
    ] {
        let o = sim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_link_whose_run_differs_from_its_fingerprint_exits_3_naming_what_differs() {
    let base = "#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=3s";
    let run = json(&["run", "--link", base, "--json"]);
    let hash = run["traceHash"].as_str().unwrap();
    assert_ne!(hash, "0123456789abcdef");
    let wrong = format!("{base}&ev=0.0.1&eo=survived@3s&eh=0123456789abcdef");
    let o = sim(&["run", "--link", &wrong]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.starts_with("Not reproduced: "), "{err}");
    assert!(err.contains("engine 0.0.1"), "{err}");
    assert!(
        err.contains(&format!(
            "the trace hash is {hash}, where the link says 0123456789abcdef"
        )),
        "{err}"
    );
    assert!(
        !err.contains("the outcome is"),
        "the outcome is the same: {err}"
    );
    // the JSON says the same, and the run is printed all the same
    let o = sim(&["run", "--link", &wrong, "--json"]);
    assert_eq!(o.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["verdict"]["reproduced"], false);
    let keys: Vec<&str> = doc["verdict"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["ev", "eh"]);
    // a link without a fingerprint is not checked
    let o = sim(&["run", "--link", base]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!stdout(&o).contains("link check:"));
    // an incomplete fingerprint is bad input that names the missing key
    let o = sim(&["run", "--link", &format!("{base}&ev=0.1.0&eh={hash}")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("eo is missing"), "{}", stderr(&o));
}

// ---- map, shards and merge ----

const MAP: [&str; 9] = [
    "map",
    "--x",
    "mrate=1000/s..5000/s:3",
    "--y",
    "ram=48M..96M:2",
    "--seeds",
    "1..=3",
    "--until",
    "60s",
];

#[test]
fn a_map_prints_the_hang_rate_and_the_time_to_hang_of_each_cell() {
    let out = ok(&MAP);
    assert!(
        out.starts_with("link: #v=1&preset=dfly-2008-06-30&ram=64M&until=60s\nmap: --x mrate=1000/s..5000/s:3 --y ram=48M..96M:2, seeds 1..=3 (6 cells × 3 seeds = 18 runs)\n"),
        "{out}"
    );
    assert!(
        out.contains("ram \\ mrate  1000/s  3000/s  5000/s\n"),
        "{out}"
    );
    let doc = json(
        &with(&MAP, &["--json"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let cells = doc["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 6);
    // every row of the rate table is the JSON's rates, in percent
    let rates: Vec<String> = cells
        .iter()
        .map(|c| format!("{:.0}", c["hangRate"].as_f64().unwrap() * 100.0))
        .collect();
    let table = out
        .split("hang rate (deadlock + stall), %\n")
        .nth(1)
        .unwrap();
    for (row, line) in table.lines().skip(1).take(2).enumerate() {
        let shown: Vec<&str> = line.split_whitespace().skip(1).collect();
        assert_eq!(shown, rates[row * 3..row * 3 + 3].to_vec(), "{out}");
    }
    for c in cells {
        let counts = c["counts"].as_object().unwrap();
        let sum: u64 = counts.values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(sum, 3);
        assert_eq!(c["runs"], 3);
        let hangs = counts["deadlock"].as_u64().unwrap() + counts["stall"].as_u64().unwrap();
        assert_eq!(c["hangs"].as_u64().unwrap(), hangs);
        assert_eq!(c["timeToHang"].is_null(), hangs == 0);
    }
    let csv = ok(&refs(&with(&MAP, &["--csv"])));
    assert_eq!(csv.lines().count(), 7, "{csv}");
    assert!(csv.starts_with("mrate,ram,runs,deadlock,stall,out-of-memory,starved,survived,none,hangs,hang_rate,median_s"));
}

#[test]
fn a_map_cell_is_the_sweep_of_its_point() {
    let doc = json(&refs(&with(&MAP, &["--json"])));
    let cell = &doc["cells"][4]; // mrate=3000/s, ram=96M
    let sweep = json(&[
        "sweep",
        "--set",
        "ram=96M",
        "--set",
        "mrate=3000/s",
        "--seeds",
        "1..=3",
        "--until",
        "60s",
        "--json",
    ]);
    assert_eq!(cell["counts"]["deadlock"], sweep["counts"]["deadlock"]);
    assert_eq!(cell["counts"]["survived"], sweep["counts"]["survived"]);
    assert_eq!(cell["timeToHang"], sweep["timeToHang"]);
    assert_eq!(
        cell["link"].as_str().unwrap(),
        sweep["link"].as_str().unwrap()
    );
}

#[test]
fn bad_map_input_exits_2_with_a_message() {
    for (args, says) in [
        (
            with(&MAP[..2], &["ram", "--y", "writers=1,2"]),
            "--x \"ram\" is not an axis",
        ),
        (
            with(&MAP[..2], &["ram=16M..64M:2", "--y", "writers=1,2"]),
            "axis ram=16M..64M:2: ram=16M is out of range",
        ),
        (
            with(&MAP[..2], &["ram=64M,128M", "--y", "ram=32M,64M"]),
            "two different keys",
        ),
        (with(&MAP, &["--shard", "4/3"]), "no shard"),
        (with(&MAP, &["--runs", "10..30"]), "the job has 18 runs"),
        (with(&MAP, &["--json", "--csv"]), "cannot be used with"),
    ] {
        let o = sim(&refs(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

/// Runs `args` in parts (each `--shard K/N` or `--runs A..B` given), writes each part to a file
/// and gives `pageout-sim merge`'s output of them, in reverse order, with `format`.
fn merged(name: &str, args: &[&str], parts: &[[&str; 2]], format: &[&str]) -> String {
    let dir = fresh_dir(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let text = ok(&refs(&with(args, part)));
        let f = dir.join(format!("part{i}.jsonl"));
        std::fs::write(&f, text).unwrap();
        files.push(f.to_str().unwrap().to_string());
    }
    files.reverse();
    let mut m = vec!["merge".to_string()];
    m.extend(files);
    m.extend(format.iter().map(|s| s.to_string()));
    ok(&refs(&m))
}

#[test]
fn sharded_and_merged_runs_print_what_the_unsharded_run_prints() {
    let sweep = ["sweep", "--seeds", "1..=8", "--until", "60s"];
    let grid = ["grid", "--seeds", "2..=2", "--until", "20s"];
    let shards = [["--shard", "1/3"], ["--shard", "2/3"], ["--shard", "3/3"]];
    for format in [&[][..], &["--json"]] {
        let whole = ok(&refs(&with(&sweep, format)));
        assert_eq!(merged("merge-sweep", &sweep, &shards, format), whole);
        let ranges = [["--runs", "0..5"], ["--runs", "5..=7"]];
        assert_eq!(merged("merge-sweep-r", &sweep, &ranges, format), whole);
        let whole = ok(&refs(&with(&MAP, format)));
        assert_eq!(merged("merge-map", &MAP, &shards, format), whole);
        let cells = [["--runs", "0..9"], ["--runs", "9..18"]];
        assert_eq!(merged("merge-map-r", &MAP, &cells, format), whole);
    }
    let whole = ok(&refs(&with(&grid, &["--markdown"])));
    assert_eq!(merged("merge-grid", &grid, &shards, &["--markdown"]), whole);
    let whole = ok(&refs(&with(&MAP, &["--csv"])));
    assert_eq!(merged("merge-map-csv", &MAP, &shards, &["--csv"]), whole);
}

#[test]
fn merge_refuses_parts_that_do_not_make_one_whole_job() {
    let dir = fresh_dir("merge-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let args = [
        "sweep", "--seeds", "1..=4", "--until", "5s", "--shard", "1/2",
    ];
    let part = dir.join("one.jsonl");
    std::fs::write(&part, ok(&args)).unwrap();
    let p = part.to_str().unwrap();
    let o = sim(&["merge", p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("2 of the job's 4 runs are missing (runs 1, 3)"),
        "{}",
        stderr(&o)
    );
    let o = sim(&["merge", p, p]);
    assert!(stderr(&o).contains("is also in"), "{}", stderr(&o));
    let o = sim(&["merge", p, "--csv"]);
    assert_eq!(o.status.code(), Some(2));
}

// ---- shrink ----

#[test]
fn shrink_prints_each_step_and_a_final_link_that_hangs_the_same_way() {
    let big = "#v=1&preset=dfly-2008-06-30&ram=32M&writers=3&wrate=2M/s&hogs=1&hog=4M&seed=3&at=5s:sync,60s:writer";
    let out = ok(&["shrink", big, "--jobs", "2"]);
    let cycle_of = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("wait-for cycle: "))
            .map(str::to_string)
    };
    let before = ok(&["run", "--link", big]);
    let cycle = cycle_of(&before).expect("the input hangs with a cycle");
    assert!(
        out.contains(&format!("hangs: deadlock, cycle {cycle}\n")),
        "{out}"
    );
    assert!(out.contains("\nstep 1: "), "{out}");
    let last = out
        .lines()
        .find_map(|l| l.strip_prefix("reproduce: pageout-sim run --link '"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("a final link");
    let after = ok(&["run", "--link", last]);
    assert!(after.contains("outcome: deadlock at "), "{after}");
    assert_eq!(cycle_of(&after), Some(cycle));
    // the same steps with one job
    assert_eq!(ok(&["shrink", big, "--jobs", "1"]), out);
    let doc = json(&["shrink", big, "--json"]);
    assert_eq!(doc["current"].as_str(), Some(&last[1..]));
}

#[test]
fn shrinking_a_scenario_that_does_not_hang_exits_2() {
    let o = sim(&["shrink", "#v=1&preset=dfly-2008-07-01&until=20s"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not hang"), "{}", stderr(&o));
}

#[test]
fn a_survival_prints_every_kernel_and_its_json_holds_each_seeds_death() {
    let args = [
        "survival",
        "--kernels",
        "dfly-2008-06-30,dfly-2008-07-08",
        "--seeds",
        "1..=2",
        "--until",
        "30s",
    ];
    let table = ok(&args);
    assert!(table.contains("hang@300s"), "{table}");
    for k in ["dfly-2008-06-30", "dfly-2008-07-08"] {
        assert!(table.lines().any(|l| l.starts_with(k)), "{table}");
    }
    let doc = json(&refs(&with(&args, &["--json"])));
    let kernels = doc["kernels"].as_array().unwrap();
    assert_eq!(kernels.len(), 2);
    for k in kernels {
        assert_eq!(k["deathTicks"].as_array().unwrap().len(), 2);
        // 300 s and beyond lie past a 30 s horizon: unknown, not 0
        assert_eq!(k["hangRate"], serde_json::json!([null, null, null]));
    }
    assert_eq!(doc["seeds"], serde_json::json!([1, 2]));
    // the same survival as a sweep of every kernel
    let sweep = json(&[
        "sweep",
        "--survival",
        "--seeds",
        "1..=2",
        "--until",
        "30s",
        "--json",
    ]);
    assert_eq!(
        sweep["kernels"].as_array().unwrap().len(),
        KernelPreset::ALL.len()
    );
    let md = ok(&refs(&with(&args, &["--markdown"])));
    assert!(
        md.starts_with("| kernel | hang rate at 300 s / 1800 s / 3600 s |"),
        "{md}"
    );
    let csv = ok(&refs(&with(&args, &["--csv"])));
    assert!(
        csv.starts_with("kernel,t_s,alive\ndfly-2008-06-30,0,"),
        "{csv}"
    );
}

#[test]
fn a_survival_writes_its_curves_as_svg() {
    let dir = std::env::temp_dir().join(format!("pageout-survival-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("curve.svg");
    let f = file.to_str().unwrap();
    ok(&[
        "survival",
        "--kernels",
        "dfly-2008-06-29",
        "--seeds",
        "1..=2",
        "--until",
        "20s",
        "--svg",
        f,
    ]);
    let svg = std::fs::read_to_string(&file).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("<title>dfly-2008-06-29</title>"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_survival_input_exits_2_with_a_message() {
    for (args, says) in [
        (
            vec!["survival", "--kernels", "dfly-1999", "--seeds", "1..=2"],
            "\"dfly-1999\" is not a kernel preset",
        ),
        (
            vec![
                "survival",
                "--kernel",
                "dfly-2008-06-30",
                "--seeds",
                "1..=2",
            ],
            "--kernel is not used in a survival",
        ),
        (
            vec![
                "survival",
                "--kernels",
                "dfly-2008-06-30,dfly-2008-06-30",
                "--seeds",
                "1..=2",
            ],
            "dfly-2008-06-30 is given twice",
        ),
        (vec!["sweep", "--seeds", "1..=2", "--csv"], "add --survival"),
        (
            vec!["survival", "--seeds", "1..=2", "--set", "seed=3"],
            "--set seed=",
        ),
    ] {
        let o = sim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_survival_in_shards_merges_to_the_whole_survival() {
    let args = [
        "survival",
        "--kernels",
        "dfly-2008-06-29,dfly-2008-07-08",
        "--seeds",
        "1..=3",
        "--until",
        "20s",
    ];
    let whole = ok(&refs(&with(&args, &["--json"])));
    let dir = std::env::temp_dir().join(format!("pageout-survival-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for k in 1..=2 {
        let part = ok(&refs(&with(&args, &["--shard", &format!("{k}/2")])));
        assert!(part.starts_with("{\"pageoutShard\":1"), "{part}");
        let f = dir.join(format!("part-{k}.jsonl"));
        std::fs::write(&f, part).unwrap();
        files.push(f.to_str().unwrap().to_string());
    }
    let merged = ok(&refs(&with(&["merge"], &[&files[0], &files[1], "--json"])));
    assert_eq!(merged, whole);
    // one part alone is refused, naming the runs it lacks
    let o = sim(&["merge", &files[0]]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("runs are missing"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}
