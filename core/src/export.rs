//! A run taken out of the lab as files: the samples as CSV and JSON, the console as text (every
//! line, and `/var/log/messages` with repeats folded), the threads, and the outcome with its
//! wait-for graph as JSON, each named after the scenario
//! (`pageout-dfly-2008-06-30-64M-seed19-samples.csv`). The page (through the wasm facade) and
//! `pageout-sim run --export DIR` write the same bytes, because both call [`render`].
//!
//! The sample columns carry the names the page's charts give them in their legends
//! ([`Col::label`]) and their units in the header: `free (pages)`, `dirtybufspace (bytes)`,
//! `emergency allocations (count)`. Time is in seconds, first; `free + cache`, the line of the
//! memory chart, follows it.
//!
//! This module is a layer above the engine: it reads a run through the public [`Simulation`] API.

use serde::Serialize;
use serde_json::json;

use crate::fingerprint::Fingerprint;
use crate::scenario::link;
use crate::{Col, LogLine, Scenario, Simulation, ENGINE_VERSION, HZ};

/// One file a run can be exported as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Export {
    /// The sampled columns, one row per sample.
    SamplesCsv,
    /// The same, as JSON (one array per column), with the thresholds.
    SamplesJson,
    /// Every console line, as dmesg prints it.
    Console,
    /// `/var/log/messages`: what syslogd wrote, repeats folded.
    Messages,
    /// Every kernel thread, its state and its accounts.
    Threads,
    /// The outcome with its wait-for graph, the key moments, the counts and the fingerprint.
    Outcome,
    /// The run's report, in Markdown ([`crate::report`]).
    Report,
}

impl Export {
    /// Every export, in the order the page lists them.
    pub const ALL: [Export; 7] = [
        Export::SamplesCsv,
        Export::SamplesJson,
        Export::Console,
        Export::Messages,
        Export::Threads,
        Export::Outcome,
        Export::Report,
    ];

    /// The name the page and the facade use: `samples-csv`.
    pub fn name(self) -> &'static str {
        match self {
            Export::SamplesCsv => "samples-csv",
            Export::SamplesJson => "samples-json",
            Export::Console => "console",
            Export::Messages => "messages",
            Export::Threads => "threads",
            Export::Outcome => "outcome",
            Export::Report => "report",
        }
    }

    /// The export of a name, if there is one.
    pub fn from_name(name: &str) -> Option<Export> {
        Export::ALL.into_iter().find(|e| e.name() == name)
    }

    /// What ends the file name: `samples.csv`.
    pub fn suffix(self) -> &'static str {
        match self {
            Export::SamplesCsv => "samples.csv",
            Export::SamplesJson => "samples.json",
            Export::Console => "console.txt",
            Export::Messages => "messages.txt",
            Export::Threads => "threads.json",
            Export::Outcome => "outcome.json",
            Export::Report => "report.md",
        }
    }

    /// The media type of the file.
    pub fn mime(self) -> &'static str {
        match self {
            Export::SamplesCsv => "text/csv",
            Export::SamplesJson | Export::Threads | Export::Outcome => "application/json",
            Export::Console | Export::Messages => "text/plain",
            Export::Report => "text/markdown",
        }
    }
}

/// What every file of a scenario's run starts with: `pageout-dfly-2008-06-30-64M-seed19`.
pub fn file_stem(s: &Scenario) -> String {
    let ram = if s.machine.ram_mb % 1024 == 0 {
        format!("{}G", s.machine.ram_mb / 1024)
    } else {
        format!("{}M", s.machine.ram_mb)
    };
    format!("pageout-{}-{ram}-seed{}", s.preset.name(), s.seed)
}

/// The file name of one export of a scenario's run: `pageout-dfly-2008-06-30-64M-seed19-samples.csv`.
pub fn file_name(s: &Scenario, e: Export) -> String {
    format!("{}-{}", file_stem(s), e.suffix())
}

/// One column of the sample exports: its key, what the charts call it, its unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    /// The engine's column name, or `time` and `freeCache` for the two derived columns.
    pub key: &'static str,
    /// The charts' name for it.
    pub label: &'static str,
    /// Its unit.
    pub unit: &'static str,
}

impl Column {
    /// The CSV header of the column: `free (pages)`.
    pub fn header(&self) -> String {
        format!("{} ({})", self.label, self.unit)
    }
}

/// The columns of the sample exports, in order: time in seconds, free + cache, then every
/// sampled column but the tick.
pub fn columns() -> Vec<Column> {
    let mut out = vec![
        Column {
            key: "time",
            label: Col::Tick.label(),
            unit: "s",
        },
        Column {
            key: "freeCache",
            label: "free + cache",
            unit: "pages",
        },
    ];
    out.extend(Col::ALL[1..].iter().map(|&c| Column {
        key: c.name(),
        label: c.label(),
        unit: c.unit(),
    }));
    out
}

/// A tick in seconds, exactly: `109.80`.
fn seconds(tick: u64) -> String {
    format!("{}.{:02}", tick / HZ, tick % HZ)
}

/// The value of column `key` at sample row `i`, as text.
fn cell(sim: &Simulation, key: &str, i: usize) -> String {
    let s = sim.samples();
    let at = |c: Col| u64::from(s.col(c)[i]);
    match key {
        "time" => seconds(at(Col::Tick)),
        "freeCache" => (at(Col::Free) + at(Col::Cache)).to_string(),
        other => s.column(other).map_or(String::new(), |c| c[i].to_string()),
    }
}

/// The samples as CSV: a header of labels with units, then one row per sample.
pub fn samples_csv(sim: &Simulation) -> String {
    let cols = columns();
    let mut out = cols
        .iter()
        .map(Column::header)
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for i in 0..sim.samples().len() {
        let row: Vec<String> = cols.iter().map(|c| cell(sim, c.key, i)).collect();
        out += &row.join(",");
        out.push('\n');
    }
    out
}

/// The link of the run's scenario, with `#`.
fn link_of(sim: &Simulation) -> String {
    format!("#{}", link::encode(sim.scenario()))
}

/// The samples as JSON: each column with its label, unit and values, and the thresholds the
/// memory and buffer charts draw.
pub fn samples_json(sim: &Simulation) -> String {
    let s = sim.samples();
    let cols: Vec<_> = columns()
        .into_iter()
        .map(|c| {
            let values: Vec<serde_json::Value> = (0..s.len())
                .map(|i| match c.key {
                    // seconds as a JSON number: 109.8
                    "time" => json!(f64::from(s.col(Col::Tick)[i]) / HZ as f64),
                    "freeCache" => {
                        json!(u64::from(s.col(Col::Free)[i]) + u64::from(s.col(Col::Cache)[i]))
                    }
                    key => json!(s.column(key).map_or(0, |v| v[i])),
                })
                .collect();
            json!({
                "key": c.key,
                "label": c.label,
                "unit": c.unit,
                "header": c.header(),
                "values": values,
            })
        })
        .collect();
    let doc = json!({
        "engineVersion": ENGINE_VERSION,
        "link": link_of(sim),
        "hz": HZ,
        "sampleEveryTicks": crate::trace::SAMPLE_EVERY,
        "rows": s.len(),
        "thresholds": sim.thresholds(),
        "columns": cols,
    });
    format!("{doc:#}\n")
}

fn lines_text(lines: &[LogLine]) -> String {
    lines.iter().map(|l| l.dmesg() + "\n").collect()
}

/// Every console line, as dmesg prints it.
pub fn console_text(sim: &Simulation) -> String {
    lines_text(&sim.log())
}

/// `/var/log/messages`, as the page's console shows it.
pub fn messages_text(sim: &Simulation) -> String {
    lines_text(&sim.messages())
}

/// Every kernel thread as the run leaves it: state, wait, accounts.
pub fn threads_json(sim: &Simulation) -> String {
    let doc = json!({
        "engineVersion": ENGINE_VERSION,
        "link": link_of(sim),
        "tick": sim.tick(),
        "threads": sim.threads(),
    });
    format!("{doc:#}\n")
}

/// The outcome with its wait-for graph and the cycle in words, the key moments, the counts, the
/// trace hash and the fingerprint (`null` while the run has no outcome).
pub fn outcome_json(sim: &Simulation) -> String {
    let outcome = sim.outcome();
    let doc = json!({
        "engineVersion": ENGINE_VERSION,
        "link": link_of(sim),
        "scenario": sim.scenario(),
        "tick": sim.tick(),
        "outcome": outcome,
        "cycle": outcome.map(|o| o.graph.cycle_text()),
        "events": sim.events(),
        "stats": sim.stats(),
        "traceHash": format!("{:016x}", sim.trace_hash()),
        "fingerprint": Fingerprint::of(sim).map(|f| f.keys()),
    });
    format!("{doc:#}\n")
}

/// One export of a run, as the text of its file. `page_url` is where the page is served, for
/// the report's link (none: the report gives the link's fragment only).
pub fn render(sim: &Simulation, e: Export, page_url: Option<&str>) -> String {
    match e {
        Export::SamplesCsv => samples_csv(sim),
        Export::SamplesJson => samples_json(sim),
        Export::Console => console_text(sim),
        Export::Messages => messages_text(sim),
        Export::Threads => threads_json(sim),
        Export::Outcome => outcome_json(sim),
        Export::Report => crate::report::markdown(sim, page_url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(s: &Scenario) -> Simulation {
        let mut sim = Simulation::new(s).unwrap();
        sim.run();
        sim
    }

    fn short() -> Scenario {
        Scenario {
            duration_ms: 3_000,
            ..Scenario::default()
        }
    }

    #[test]
    fn files_are_named_after_the_scenario() {
        let s = Scenario::default();
        assert_eq!(
            file_name(&s, Export::SamplesCsv),
            "pageout-dfly-2008-06-30-64M-seed19-samples.csv"
        );
        let big = Scenario {
            machine: crate::Machine {
                ram_mb: 2048,
                ..s.machine
            },
            seed: 7,
            ..s
        };
        assert_eq!(file_stem(&big), "pageout-dfly-2008-06-30-2G-seed7");
        for e in Export::ALL {
            assert_eq!(Export::from_name(e.name()), Some(e));
        }
        assert_eq!(Export::from_name("pdf"), None);
    }

    #[test]
    fn the_csv_has_a_row_per_sample_with_the_charts_names_and_units() {
        let sim = finished(&short());
        let csv = samples_csv(&sim);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), sim.samples().len() + 1);
        assert!(
            lines[0].starts_with("time (s),free + cache (pages),free (pages),cache (pages),"),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains(",dirtybufspace (bytes),"), "{}", lines[0]);
        assert!(lines[0].contains(",emergency allocations (count),"));
        assert!(lines[0].ends_with(",user data written (KiB)"));
        // the last row is the last sample, exactly
        let s = sim.samples();
        let n = s.len() - 1;
        let last: Vec<&str> = lines[n + 1].split(',').collect();
        assert_eq!(last.len(), columns().len());
        assert_eq!(last[0], seconds(u64::from(s.col(Col::Tick)[n])));
        assert_eq!(
            last[1].parse::<u64>().unwrap(),
            u64::from(s.col(Col::Free)[n] + s.col(Col::Cache)[n])
        );
        assert_eq!(last[2], s.col(Col::Free)[n].to_string());
        assert_eq!(last[last.len() - 1], s.col(Col::UserKb)[n].to_string());
    }

    #[test]
    fn the_json_samples_hold_the_same_columns_as_the_csv() {
        let sim = finished(&short());
        let doc: serde_json::Value = serde_json::from_str(&samples_json(&sim)).unwrap();
        assert_eq!(doc["rows"], sim.samples().len());
        let headers: Vec<String> = doc["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["header"].as_str().unwrap().to_string())
            .collect();
        let csv = samples_csv(&sim);
        assert_eq!(headers.join(","), csv.lines().next().unwrap());
        let free = &doc["columns"][2];
        assert_eq!(free["key"], "free");
        assert_eq!(
            free["values"].as_array().unwrap().len(),
            sim.samples().len()
        );
        assert_eq!(
            doc["thresholds"]["vFreeReserved"],
            sim.thresholds().v_free_reserved
        );
    }

    #[test]
    fn the_console_exports_are_the_runs_lines() {
        let s = Scenario::default(); // the lockup of seed 19: the console has lines
        let sim = finished(&s);
        let text = console_text(&sim);
        assert_eq!(text.lines().count(), sim.log().len());
        if let Some(first) = sim.log().first() {
            assert_eq!(text.lines().next().unwrap(), first.dmesg());
        }
        assert_eq!(messages_text(&sim).lines().count(), sim.messages().len());
    }

    #[test]
    fn the_outcome_export_has_the_graph_the_cycle_and_the_fingerprint() {
        let sim = finished(&Scenario::default());
        let doc: serde_json::Value = serde_json::from_str(&outcome_json(&sim)).unwrap();
        let o = sim.outcome().unwrap();
        assert_eq!(doc["outcome"]["kind"], o.kind.name());
        assert_eq!(
            doc["outcome"]["graph"]["nodes"].as_array().unwrap().len(),
            o.graph.nodes.len()
        );
        assert_eq!(doc["cycle"], o.graph.cycle_text());
        assert_eq!(doc["traceHash"], format!("{:016x}", sim.trace_hash()));
        assert_eq!(
            doc["fingerprint"],
            Fingerprint::of(&sim).unwrap().keys().as_str()
        );
        let threads: serde_json::Value = serde_json::from_str(&threads_json(&sim)).unwrap();
        assert_eq!(
            threads["threads"].as_array().unwrap().len(),
            sim.threads().len()
        );
    }
}
