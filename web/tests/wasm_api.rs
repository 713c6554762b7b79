//! The facade in a real browser, driven the way the page drives it:
//! `wasm-pack test --headless --chrome web`.
//!
//! Same runs as natively (against `tests/fixtures/native.json`, which `tests/native_fixtures.rs`
//! keeps in step with the engine); bad input gives a JS `Error` that names the problem and leaves
//! the module working; sample batches are copies that survive the growth of wasm memory.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect, Uint32Array, JSON};
use pageout_web::{
    columns, decode_compare_link, decode_link, default_scenario, divergence, encode_compare_link,
    encode_link, grid_plan, grid_report, limits, map_plan, map_report, presets, shrink_probe,
    shrink_start, shrink_step, survival_plan, survival_report, survival_run, twin_of, Simulation,
};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FIXTURE: &str = include_str!("fixtures/native.json");

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

fn put(v: &JsValue, key: &str, value: impl Into<JsValue>) {
    Reflect::set(v, &key.into(), &value.into()).unwrap();
}

/// A JS value as JSON, to compare with what the native engine wrote.
fn json(v: &JsValue) -> Value {
    serde_json::from_str(&String::from(JSON::stringify(v).unwrap())).unwrap()
}

fn num(v: &JsValue, key: &str) -> f64 {
    get(v, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number"))
}

/// The error a call threw: a JS `Error` (not a panic), and its message.
fn error_message<T: std::fmt::Debug>(r: Result<T, js_sys::Error>) -> String {
    let e: JsValue = r.expect_err("should have thrown").into();
    assert!(
        e.is_instance_of::<js_sys::Error>(),
        "threw a non-Error: {e:?}"
    );
    String::from(e.unchecked_into::<js_sys::Error>().message())
}

/// The default scenario with one field of one section changed, as a form would do it.
fn default_with(section: Option<&str>, key: &str, value: impl Into<JsValue>) -> JsValue {
    let s = default_scenario().unwrap();
    match section {
        Some(sec) => put(&get(&s, sec), key, value),
        None => put(&s, key, value),
    }
    s
}

fn column(samples: &JsValue, name: &str) -> Vec<u32> {
    get(&get(samples, "columns"), name)
        .unchecked_into::<Uint32Array>()
        .to_vec()
}

#[wasm_bindgen_test]
fn every_kernel_preset_runs_in_wasm_as_it_does_natively() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let runs = fixture["runs"].as_array().unwrap();
    let kernels: Vec<Value> = json(&get(&presets().unwrap(), "kernels"))
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].clone())
        .collect();
    let fixture_kernels: Vec<Value> = runs.iter().map(|r| r["preset"].clone()).collect();
    assert_eq!(
        kernels, fixture_kernels,
        "fixture is stale: {}",
        fixture["regenerate"]
    );

    for want in runs {
        let scenario = default_with(None, "preset", want["preset"].as_str().unwrap());
        let mut sim = Simulation::new(scenario).unwrap();
        assert_eq!(
            json(&sim.scenario().unwrap()),
            want["scenario"],
            "scenario of {}",
            want["preset"]
        );
        let until = want["untilTick"].as_f64().unwrap();
        let status = json(&sim.run_until(until.into(), Some(until.into())).unwrap());
        let got = serde_json::json!({
            "tick": status["tick"],
            "finished": status["finished"],
            "outcome": status["outcome"],
            "traceHash": sim.trace_hash(),
            "sampleRows": num(&sim.samples_since(JsValue::from(0.0)).unwrap(), "rows"),
            "logLines": Array::from(&sim.log_since(JsValue::from(0.0)).unwrap()).length(),
        });
        for key in [
            "tick",
            "finished",
            "outcome",
            "traceHash",
            "sampleRows",
            "logLines",
        ] {
            assert_eq!(
                got[key]
                    .as_f64()
                    .map(Value::from)
                    .unwrap_or(got[key].clone()),
                want[key]
                    .as_f64()
                    .map(Value::from)
                    .unwrap_or(want[key].clone()),
                "{key} of {} differs from native; if the engine changed: {}",
                want["preset"],
                fixture["regenerate"]
            );
        }
    }
}

#[wasm_bindgen_test]
fn timed_interventions_run_in_wasm_as_they_do_natively() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let want = &fixture["withInterventions"];
    let link = want["link"]
        .as_str()
        .expect("the fixture has the interventions run");
    let mut sim = Simulation::from_link(JsValue::from(link)).unwrap();
    let until = want["untilTick"].as_f64().unwrap();
    let status = json(&sim.run_until(until.into(), Some(until.into())).unwrap());
    assert_eq!(status["tick"].as_f64(), want["tick"].as_f64());
    assert_eq!(status["outcome"], want["outcome"]);
    assert_eq!(Value::from(sim.trace_hash()), want["traceHash"]);
    assert_eq!(
        num(&sim.samples_since(JsValue::from(0.0)).unwrap(), "rows"),
        want["sampleRows"].as_f64().unwrap()
    );
    let events = Array::from(&sim.events_since(JsValue::from(0.0)).unwrap());
    assert_eq!(f64::from(events.length()), want["events"].as_f64().unwrap());
    let kinds: Vec<String> = events
        .iter()
        .map(|e| get(&e, "kind").as_string().unwrap_or_default())
        .collect();
    assert!(
        kinds.iter().filter(|k| *k == "intervention").count() >= 8,
        "{kinds:?}"
    );
}

#[wasm_bindgen_test]
fn a_bad_scenario_object_throws_an_error_naming_the_field() {
    // out of range: validate() names the field, the value given and what is allowed
    let msg = error_message(Simulation::new(default_with(Some("machine"), "ramMb", 8)));
    assert!(
        msg.contains("ram") && msg.contains("8M") && msg.contains("32M..=4096M"),
        "{msg}"
    );

    // wrong type: the message names the path of the field
    let msg = error_message(Simulation::new(default_with(
        Some("workload"),
        "writers",
        "many",
    )));
    assert!(msg.contains("workload.writers"), "{msg}");

    // a field the engine does not know
    let msg = error_message(Simulation::new(default_with(None, "colour", "blue")));
    assert!(msg.contains("colour"), "{msg}");

    // a misspelt mechanism is refused by name, not silently dropped
    let s = default_scenario().unwrap();
    put(&get(&s, "overrides"), "recoverBufPages", true);
    let msg = error_message(Simulation::new(s));
    assert!(
        msg.contains("overrides") && msg.contains("recoverBufPages"),
        "{msg}"
    );

    // a bad seed and an unknown kernel
    let msg = error_message(Simulation::new(default_with(None, "seed", "seven")));
    assert!(msg.contains("seed"), "{msg}");
    let msg = error_message(Simulation::new(default_with(None, "preset", "dfly-1999")));
    assert!(msg.contains("preset") && msg.contains("dfly-1999"), "{msg}");

    // not an object at all
    let msg = error_message(Simulation::new(JsValue::from_str("hammer")));
    assert!(!msg.is_empty());

    // encodeLink refuses the same scenarios
    let msg = error_message(encode_link(default_with(Some("machine"), "ramMb", 8)));
    assert!(msg.contains("ram"), "{msg}");

    // and the module still works
    let mut sim = Simulation::new(default_scenario().unwrap()).unwrap();
    assert_eq!(
        num(&sim.advance(JsValue::from(100.0)).unwrap(), "tick"),
        100.0
    );
}

#[wasm_bindgen_test]
fn a_broken_link_throws_an_error_listing_every_problem() {
    let msg = error_message(Simulation::from_link(JsValue::from(
        "#v=1&preset=dfly-1999&seed=seven",
    )));
    assert!(msg.contains("preset") && msg.contains("seed"), "{msg}");

    // decodeLink reports the same problems without throwing
    let r = json(&decode_link(JsValue::from("v=1&preset=dfly-1999&seed=seven")).unwrap());
    assert_eq!(r["ok"], false);
    let keys: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"preset") && keys.contains(&"seed"), "{r}");
    for e in r["errors"].as_array().unwrap() {
        for field in ["key", "given", "allowed", "message"] {
            assert!(e[field].is_string(), "{field} missing in {e}");
        }
    }

    // and the module still works
    let mut sim =
        Simulation::from_link(JsValue::from("#v=1&preset=dfly-2008-07-01&seed=7")).unwrap();
    assert_eq!(json(&sim.scenario().unwrap())["seed"], "7");
    assert_eq!(
        num(&sim.advance(JsValue::from(50.0)).unwrap(), "tick"),
        50.0
    );
}

#[wasm_bindgen_test]
fn links_round_trip_through_the_facade() {
    let scenario = default_with(None, "preset", "dfly-2008-07-01");
    put(&scenario, "seed", "18446744073709551615");
    let fragment = encode_link(scenario.clone()).unwrap();
    assert!(!fragment.starts_with('#'), "{fragment}");
    let sim = Simulation::new(scenario.clone()).unwrap();
    assert_eq!(sim.to_link(), format!("#{fragment}"));

    let r = json(&decode_link(JsValue::from(sim.to_link())).unwrap());
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["link"], fragment.as_str());
    assert_eq!(r["scenario"], json(&scenario));
    assert_eq!(
        json(
            &Simulation::from_link(JsValue::from(fragment))
                .unwrap()
                .scenario()
                .unwrap()
        ),
        json(&scenario)
    );
}

#[wasm_bindgen_test]
fn seeds_cross_as_strings_numbers_or_bigints() {
    for seed in [
        JsValue::from_str("42"),
        JsValue::from(42),
        JsValue::bigint_from_str("42"),
    ] {
        let sim = Simulation::new(default_with(None, "seed", seed)).unwrap();
        assert_eq!(get(&sim.scenario().unwrap(), "seed"), "42");
    }
    let big = JsValue::bigint_from_str("18446744073709551615");
    let sim = Simulation::new(default_with(None, "seed", big)).unwrap();
    assert_eq!(
        get(&sim.scenario().unwrap(), "seed"),
        "18446744073709551615"
    );
}

#[wasm_bindgen_test]
fn samples_since_returns_only_new_rows_as_copies_that_survive_memory_growth() {
    let mut sim = Simulation::new(default_scenario().unwrap()).unwrap();
    sim.advance(JsValue::from(1_000.0)).unwrap();
    let first = sim.samples_since(JsValue::from(0.0)).unwrap();
    let n1 = num(&first, "rows");
    assert_eq!(num(&first, "start"), 0.0);
    assert!(n1 > 0.0);
    let first_ticks = column(&first, "tick");
    assert_eq!(first_ticks.len() as f64, n1);

    // grow wasm memory by 64 MiB: a view into the old buffer would now be detached (length 0)
    let memory = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>();
    let before = memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length();
    let big = std::hint::black_box(vec![1u8; 64 << 20]);
    let after = memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length();
    assert!(after > before, "memory did not grow ({before} -> {after})");
    drop(big);
    assert_eq!(
        column(&first, "tick"),
        first_ticks,
        "the first batch changed after growth"
    );

    sim.advance(JsValue::from(1_000.0)).unwrap();
    let second = sim.samples_since(JsValue::from(n1)).unwrap();
    assert_eq!(num(&second, "start"), n1);
    let n2 = num(&second, "rows");
    assert!(n2 > 0.0);
    // nothing new since the last batch
    let none = sim.samples_since(JsValue::from(n1 + n2)).unwrap();
    assert_eq!(num(&none, "rows"), 0.0);
    assert_eq!(num(&none, "start"), n1 + n2);
    // a row past the end is clamped, never an error
    assert_eq!(
        num(&sim.samples_since(JsValue::from(1e9)).unwrap(), "start"),
        n1 + n2
    );

    // the two batches, concatenated, are exactly a fresh run's samples, column by column
    let mut fresh = Simulation::new(default_scenario().unwrap()).unwrap();
    fresh.advance(JsValue::from(2_000.0)).unwrap();
    let all = fresh.samples_since(JsValue::from(0.0)).unwrap();
    assert_eq!(num(&all, "rows"), n1 + n2);
    for name in columns() {
        let mut joined = column(&first, &name);
        joined.extend(column(&second, &name));
        assert_eq!(joined, column(&all, &name), "column {name}");
    }
    let ticks = column(&all, "tick");
    assert!(
        ticks.windows(2).all(|w| w[0] < w[1]),
        "ticks not increasing: {ticks:?}"
    );
}

#[wasm_bindgen_test]
fn log_since_returns_only_new_lines_with_their_index() {
    let mut sim = Simulation::new(default_scenario().unwrap()).unwrap();
    sim.run_until(6_000.0.into(), None).unwrap();
    let all = json(&sim.log_since(JsValue::from(0.0)).unwrap());
    let all = all.as_array().unwrap();
    for (i, l) in all.iter().enumerate() {
        assert_eq!(l["index"], i);
        assert!(
            l["dmesg"]
                .as_str()
                .unwrap()
                .ends_with(l["text"].as_str().unwrap()),
            "{l}"
        );
    }
    let tail = json(&sim.log_since(JsValue::from(all.len() as f64)).unwrap());
    assert_eq!(tail.as_array().unwrap().len(), 0);
    if let Some(last) = all.last() {
        let one = json(
            &sim.log_since(JsValue::from((all.len() - 1) as f64))
                .unwrap(),
        );
        assert_eq!(one, serde_json::json!([last]));
    }
}

#[wasm_bindgen_test]
fn messages_since_folds_what_the_console_repeats_and_only_adds_lines() {
    // the emergency-fails preset: the daemon's emergency allocation fails again every 5 s
    let mut sim = Simulation::from_link(JsValue::from(
        "#v=1&preset=dfly-2008-07-01&ram=40M&seed=9&window=600s&recoverbufpages=off",
    ))
    .unwrap();
    sim.run_until(10_000.0.into(), None).unwrap();
    let early = json(&sim.messages_since(JsValue::from(0.0)).unwrap());
    sim.run_until(20_000.0.into(), None).unwrap();
    let all = json(&sim.messages_since(JsValue::from(0.0)).unwrap());
    let all = all.as_array().unwrap();
    let early = early.as_array().unwrap();
    assert_eq!(all[..early.len()], early[..], "written lines never change");
    for (i, l) in all.iter().enumerate() {
        assert_eq!(l["index"], i);
    }
    let fold = |l: &Value| {
        l["text"]
            .as_str()
            .unwrap()
            .starts_with("last message repeated")
    };
    assert!(all.iter().any(fold), "{all:?}");
    let console = json(&sim.log_since(JsValue::from(0.0)).unwrap());
    assert!(!console.as_array().unwrap().iter().any(fold));
    assert!(console.as_array().unwrap().len() > all.len());
    let tail = json(&sim.messages_since(JsValue::from(all.len() as f64)).unwrap());
    assert_eq!(tail.as_array().unwrap().len(), 0);
}

#[wasm_bindgen_test]
fn run_until_stops_at_the_tick_or_the_budget() {
    let mut sim = Simulation::new(default_scenario().unwrap()).unwrap();
    let s = json(&sim.run_until(500.0.into(), Some(200.0.into())).unwrap());
    assert_eq!(s["tick"], 200);
    let s = json(&sim.run_until(500.0.into(), Some(1_000.0.into())).unwrap());
    assert_eq!(s["tick"], 500);
    assert_eq!(json(&sim.status().unwrap()), s);
    assert_eq!(sim.tick(), 500.0);
    for bad in [-1.0, 0.5, f64::NAN] {
        let msg = error_message(sim.advance(JsValue::from(bad)));
        assert!(msg.contains("ticks"), "{msg}");
    }
}

#[wasm_bindgen_test]
fn every_returned_value_is_plain_json() {
    let mut sim = Simulation::new(default_scenario().unwrap()).unwrap();
    sim.advance(JsValue::from(1_000.0)).unwrap();
    let outcome = sim.outcome().unwrap();
    assert!(outcome.is_null() || outcome.is_object());
    let s = json(&sim.status().unwrap());
    assert_eq!(s["outcome"].is_null(), !s["finished"].as_bool().unwrap());
    assert!(json(&sim.thresholds().unwrap())["vInterruptFreeMin"].is_number());
    assert!(json(&sim.stats().unwrap())["events"].is_number());
    assert!(json(&sim.threads().unwrap()).is_array());
    let hash = sim.trace_hash();
    assert_eq!(hash.len(), 16);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");

    let p = json(&presets().unwrap());
    assert!(p["kernels"][0]["policy"]["bio"].is_string(), "{p}");
    assert!(p["scenarios"][0]["scenario"]["seed"].is_string(), "{p}");
    assert!(p["mechanisms"][0]["values"].is_array(), "{p}");
    let cols: js_sys::Object =
        get(&sim.samples_since(JsValue::from(0.0)).unwrap(), "columns").unchecked_into();
    let keys: Vec<String> = js_sys::Object::keys(&cols)
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect();
    assert_eq!(keys, columns());
}

#[wasm_bindgen_test]
fn limits_give_the_range_the_engine_validates() {
    let l = json(&limits().unwrap());
    assert_eq!(l["ramMb"], serde_json::json!([32, 4096]));
    // one past the top is refused by the engine with the same bound in its message
    let too_big = default_with(Some("machine"), "ramMb", 4097);
    let msg = error_message(Simulation::new(too_big));
    assert!(msg.contains("4096M"), "{msg}");
    for key in [
        "diskSeekMs",
        "writers",
        "fileMb",
        "mmapPagesS",
        "durationMs",
        "hangWindowMs",
    ] {
        assert!(
            l[key][0].as_u64().unwrap() <= l[key][1].as_u64().unwrap(),
            "{key}"
        );
    }
}

/// Values of every JS type but the one an argument wants.
fn odd_values() -> Vec<JsValue> {
    vec![
        JsValue::from(123),
        js_sys::Object::new().into(),
        JsValue::bigint_from_str("10"),
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::TRUE,
        Array::new().into(),
        JsValue::symbol(Some("s")),
        js_sys::Function::new_no_args("return 1").into(),
    ]
}

/// A method of `Simulation` that takes one number.
type Call = fn(&mut Simulation, JsValue) -> Result<JsValue, js_sys::Error>;

#[wasm_bindgen_test]
fn arguments_of_the_wrong_type_throw_an_error_naming_them_and_never_trap() {
    // decodeLink(123), decodeLink({}) and decodeLink(10n) trapped: "memory access out of bounds"
    for v in odd_values() {
        let msg = error_message(decode_link(v.clone()));
        assert!(
            msg.starts_with("fragment: got ") && msg.ends_with(", allowed a string"),
            "{msg}"
        );
        let msg = error_message(Simulation::from_link(v.clone()));
        assert!(msg.starts_with("fragment: got "), "{msg}");
        assert!(!error_message(Simulation::new(v.clone())).is_empty());
        assert!(!error_message(encode_link(v)).is_empty());
    }
    assert_eq!(
        error_message(decode_link(JsValue::bigint_from_str("10"))),
        "fragment: got a bigint (10), allowed a string"
    );

    let mut sim = Simulation::new(default_scenario().unwrap()).unwrap();
    let numbers: [(&str, Call); 6] = [
        ("ticks", |s, v| s.advance(v)),
        ("tick", |s, v| s.run_until(v, None)),
        ("row", |s, v| s.samples_since(v)),
        ("line", |s, v| s.log_since(v)),
        ("line", |s, v| s.messages_since(v)),
        ("from", |s, v| s.events_since(v)),
    ];
    let mut odd = odd_values();
    odd.retain(|v| !v.is_bigint() && v.as_f64().is_none());
    odd.extend([
        JsValue::from("10"),
        JsValue::from(f64::NAN),
        JsValue::from(-1),
        JsValue::bigint_from_str("-1"),
    ]);
    for (name, call) in numbers {
        for v in &odd {
            let msg = error_message(call(&mut sim, v.clone()));
            assert!(
                msg.starts_with(&format!("{name}: got "))
                    && msg.ends_with("allowed a whole number >= 0"),
                "{msg}"
            );
        }
    }
    let msg = error_message(sim.run_until(5.0.into(), Some(JsValue::from("5"))));
    assert_eq!(msg, "maxTicks: got a string, allowed a whole number >= 0");
    assert_eq!(
        error_message(sim.advance(JsValue::from(-1))),
        "ticks: got a number (-1), allowed a whole number >= 0"
    );

    // a BigInt is a whole number too, and an absent budget is no budget
    assert_eq!(
        num(
            &sim.advance(JsValue::bigint_from_str("30")).unwrap(),
            "tick"
        ),
        30.0
    );
    let s = sim
        .run_until(60.0.into(), Some(JsValue::UNDEFINED))
        .unwrap();
    assert_eq!(num(&s, "tick"), 60.0);

    // and the module still works
    let r = json(&decode_link(JsValue::from("#v=1&seed=3")).unwrap());
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(num(&sim.advance(JsValue::from(40)).unwrap(), "tick"), 100.0);
}

#[wasm_bindgen_test]
fn a_link_of_16_mib_is_one_error_and_the_module_lives_on() {
    // it grew wasm memory to 4 GiB and trapped; every later call trapped too
    for len in [1 << 20, 16 << 20] {
        let link = format!("#v=1&{}", "=&".repeat(len / 2));
        let r = json(&decode_link(JsValue::from(link)).unwrap());
        assert_eq!(r["ok"], false);
        let errors = r["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{len}: {}", errors.len());
        let message = errors[0]["message"].as_str().unwrap();
        assert!(message.contains(&format!("{} bytes", len + 5)), "{message}");
        assert!(message.contains("65536"), "{message}");
    }
    let r = json(&decode_link(JsValue::from(format!("#v=1&{}", "=&".repeat(1000)))).unwrap());
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 21);
    assert_eq!(errors[20]["key"], "and 980 more");
    let r = json(&decode_link(JsValue::from("#v=1&seed=3")).unwrap());
    assert_eq!(r["ok"], true, "{r}");
}

/// splitmix64, so the property test below is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// A link-like string: keys, values, separators, escapes and junk in any order.
fn random_link(rng: &mut Rng) -> String {
    const HEADS: [&str; 8] = [
        "",
        "#",
        "?",
        "v=1&",
        "#v=1&",
        " # v=1&",
        "https://x.test/p?q=1#v=1&",
        "v=2&v=1&",
    ];
    const KEYS: [&str; 18] = [
        "v",
        "preset",
        "ram",
        "seed",
        "until",
        "hogs",
        "hog",
        "hogat",
        "fs",
        "bio",
        "warm",
        "recoverbufpages",
        "dirtylimit",
        "x",
        "",
        "RAM",
        " ram ",
        "%72am",
    ];
    const VALUES: [&str; 22] = [
        "1",
        "0",
        "00",
        "007",
        "2",
        "256M",
        "2G",
        "0M",
        "1T",
        "30s",
        "500ms",
        "1005ms",
        "on",
        "off",
        "ufs",
        "dfly-2008-07-01",
        "bytes%2Bcount",
        "%",
        "%zz",
        "%FF",
        "-1",
        "18446744073709551616",
    ];
    const JUNK: [&str; 12] = [
        "&",
        "=",
        "&&",
        "==",
        "#",
        "?",
        " ",
        "%",
        "\u{202e}",
        "\u{1f600}",
        "\n",
        "\0",
    ];
    let mut s = String::from(rng.pick(&HEADS));
    for _ in 0..rng.below(12) {
        match rng.below(8) {
            0 => s.push_str(rng.pick(&JUNK)),
            1 => {
                let c = char::from_u32(rng.next() as u32 % 0x11_0000).unwrap_or('\u{fffd}');
                s.push(c);
            }
            _ => {
                s.push_str(rng.pick(&KEYS));
                s.push('=');
                s.push_str(rng.pick(&VALUES));
                s.push('&');
            }
        }
    }
    s
}

#[wasm_bindgen_test]
fn ten_thousand_random_links_decode_without_a_trap() {
    let mut rng = Rng(20_080_630);
    let mut decoded = 0;
    for i in 0..10_240 {
        let mut link = random_link(&mut rng);
        if i % 1024 == 0 {
            // now and then a long one: just under the limit, or over it
            let pad = 60_000 + rng.below(10_000);
            link.push_str(&"x=&".repeat(pad / 3));
        }
        let r = decode_link(JsValue::from(link.as_str()))
            .unwrap_or_else(|e| panic!("{link:?} threw {:?}", JsValue::from(e)));
        match get(&r, "ok").as_bool() {
            Some(true) => {
                decoded += 1;
                assert!(get(&r, "link").is_string(), "{link:?}");
            }
            Some(false) => {
                let errors = Array::from(&get(&r, "errors"));
                let n = errors.length() as usize;
                assert!((1..=21).contains(&n), "{link:?}: {n} errors");
                for e in errors.iter() {
                    for field in ["key", "given", "allowed", "message"] {
                        assert!(get(&e, field).is_string(), "{link:?}: {field}");
                    }
                }
            }
            None => panic!("{link:?}: no ok in the result"),
        }
    }
    assert!(
        decoded > 100,
        "only {decoded} links decoded: the generator is off"
    );
    let r = json(&decode_link(JsValue::from("#v=1&seed=3")).unwrap());
    assert_eq!(r["ok"], true, "{r}");
}

#[wasm_bindgen_test]
fn the_default_compare_link_decodes_into_two_scenarios_and_back() {
    let link = "v=1&preset=dfly-2008-06-30&ram=64M&seed=19&b.preset=dfly-2008-07-01";
    let r = decode_compare_link(JsValue::from(format!("#{link}"))).unwrap();
    let v = json(&r);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["a"], json(&default_scenario().unwrap()));
    assert_eq!(v["b"]["preset"], "dfly-2008-07-01");
    assert_eq!(v["link"], link);
    assert_eq!(v["linkA"], "v=1&preset=dfly-2008-06-30&ram=64M&seed=19");
    assert_eq!(v["linkB"], "v=1&preset=dfly-2008-07-01&ram=64M&seed=19");
    // the scenarios it gives encode back to the same link, the way the page would do it
    assert_eq!(
        encode_compare_link(get(&r, "a"), get(&r, "b")).unwrap(),
        link
    );
    // a solo link is not a compare link
    let solo = json(&decode_compare_link(JsValue::from("#v=1&seed=3")).unwrap());
    assert_eq!(
        (solo["ok"].clone(), solo["b"].clone()),
        (Value::Bool(true), Value::Null)
    );
    // B's problems name B's keys
    let bad = json(&decode_compare_link(JsValue::from("v=1&b.ram=1M")).unwrap());
    assert_eq!(bad["ok"], false);
    assert_eq!(bad["errors"][0]["key"], "b.ram");
    let e = error_message(encode_compare_link(
        default_scenario().unwrap(),
        JsValue::from(3),
    ));
    assert!(e.starts_with("b: "), "{e}");
}

#[wasm_bindgen_test]
fn divergence_finds_where_two_links_part_and_keeps_their_solo_hashes() {
    // the fix without recoverbufpages on 40 MB, with and without the interrupt retry
    let a = "v=1&preset=dfly-2008-07-01&ram=40M&seed=9&until=60s&recoverbufpages=off";
    let b = format!("{a}&interrupt=off");
    let d = json(&divergence(JsValue::from(a), JsValue::from(b.as_str())).unwrap());
    let solo = |link: &str| {
        let mut sim = Simulation::from_link(JsValue::from(link)).unwrap();
        sim.run_until(JsValue::from(f64::INFINITY), None).unwrap();
        sim.trace_hash()
    };
    assert_eq!(d["traceHashA"], solo(a));
    assert_eq!(d["traceHashB"], solo(&b));
    let same = json(&divergence(JsValue::from(a), JsValue::from(a)).unwrap());
    assert_eq!(same["tick"], Value::Null, "{same}");
    assert_eq!(same["traceHashA"], same["traceHashB"]);
    if d["traceHashA"] != d["traceHashB"] {
        assert!(d["tick"].is_number(), "{d}");
        assert!(!d["b"].as_str().unwrap().is_empty(), "{d}");
    }
    let e = error_message(divergence(JsValue::from(a), JsValue::from("v=1&ram=1M")));
    assert!(e.starts_with("linkB: invalid link: ram=1M"), "{e}");
}

#[wasm_bindgen_test]
fn a_grid_plan_and_its_report_come_from_the_engine() {
    let link = JsValue::from("v=1&preset=dfly-2008-07-01&ram=64M&seed=19");
    let seeds = Array::of2(&JsValue::from(1), &JsValue::from("2"));
    let plan = grid_plan(link.clone(), seeds.into()).unwrap();
    let p = json(&plan);
    assert_eq!(p["switches"].as_array().unwrap().len(), 7);
    assert_eq!(p["cells"].as_array().unwrap().len(), 128);
    assert_eq!(p["runs"].as_array().unwrap().len(), 256);
    assert_eq!(p["runs"][1]["seed"], 2);
    // every run survives but those of the first cell, which deadlock
    let results = Array::new();
    for run in p["runs"].as_array().unwrap() {
        let r = serde_json::json!({
            "cell": run["cell"], "seed": run["seed"], "tick": 100, "traceHash": "00",
            "kind": if run["cell"] == 0 { "deadlock" } else { "survived" },
        });
        results.push(&JSON::parse(&r.to_string()).unwrap());
    }
    let report = json(&grid_report(plan.clone(), results.into()).unwrap());
    assert_eq!(report["cells"][0]["cures"], false);
    assert_eq!(report["cells"][0]["counts"]["deadlock"], 2);
    assert_eq!(
        report["cures"].as_array().unwrap().len(),
        7,
        "{}",
        report["cures"]
    );
    assert!(report["rule"]
        .as_str()
        .unwrap()
        .contains("survived or starved"));
    // bad input is an Error naming the argument
    let e = error_message(grid_plan(link.clone(), JsValue::from("1..10")));
    assert!(e.starts_with("seeds:"), "{e}");
    let e = error_message(grid_plan(
        link.clone(),
        Array::of1(&JsValue::from(1.5)).into(),
    ));
    assert!(e.starts_with("seeds[0]:"), "{e}");
    let e = error_message(grid_report(plan, JsValue::from(3)));
    assert!(e.starts_with("results:"), "{e}");
}

#[wasm_bindgen_test]
fn a_run_knows_what_it_consulted_and_its_twins_are_not_run_again() {
    // seed 19 of the default scenario with bio=fix-0701 never brings a buf daemon to bd_wait
    let base = "v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=20s&bio=fix-0701";
    let mut sim = Simulation::from_link(JsValue::from(base)).unwrap();
    sim.run_until(3_000.0.into(), None).unwrap();
    assert_eq!(sim.tick(), 2_000.0, "the run ends at 20 s");
    let consulted: Vec<String> = serde_json::from_value(json(&sim.consulted().unwrap())).unwrap();
    assert!(consulted.iter().any(|k| k == "bio"), "{consulted:?}");
    assert!(!consulted.iter().any(|k| k == "bdexempt"), "{consulted:?}");
    let candidate = |consulted: &[String]| {
        let c = serde_json::json!([{ "link": base, "consulted": consulted }]);
        JSON::parse(&c.to_string()).unwrap()
    };
    // a switch the run never read: the same run
    let flipped = JsValue::from(format!("{base}&bdexempt=on"));
    assert_eq!(
        twin_of(flipped.clone(), candidate(&consulted)).unwrap(),
        JsValue::from(0)
    );
    // one it read, or another seed: not
    let mut with = consulted.clone();
    with.push("bdexempt".into());
    assert!(twin_of(flipped, candidate(&with)).unwrap().is_null());
    let other_seed = JsValue::from(base.replace("seed=19", "seed=20"));
    assert!(twin_of(other_seed, candidate(&consulted))
        .unwrap()
        .is_null());
    // bad input is an Error naming the argument, never a trap
    let e = error_message(twin_of(JsValue::from(3), candidate(&consulted)));
    assert!(e.starts_with("link:"), "{e}");
    let e = error_message(twin_of(JsValue::from(base), JsValue::from("x")));
    assert!(e.starts_with("candidates:"), "{e}");
    let e = error_message(twin_of(
        JsValue::from("v=1&preset=dfly-2008-06-30&seed=19&recoverbufpages=on"),
        candidate(&consulted),
    ));
    assert!(e.contains("recoverbufpages"), "{e}");
}

#[wasm_bindgen_test]
fn a_survival_plan_its_runs_and_its_report_come_from_the_engine() {
    let link = JsValue::from("v=1&preset=dfly-2008-07-01&ram=64M&seed=19&systhread=off");
    let kernels = Array::of2(&"dfly-2008-06-30".into(), &"dfly-2008-07-08".into());
    let seeds = Array::of2(&JsValue::from(1), &JsValue::from(2));
    let plan = survival_plan(
        link.clone(),
        kernels.clone().into(),
        seeds.clone().into(),
        "20s".into(),
    )
    .unwrap();
    let p = json(&plan);
    assert_eq!(
        p["kernels"],
        serde_json::json!(["dfly-2008-06-30", "dfly-2008-07-08"])
    );
    assert_eq!(p["untilS"], 20.0);
    assert_eq!(p["runs"].as_array().unwrap().len(), 4);
    assert!(p["note"].as_str().unwrap().contains("systhread=off"));
    let results = Array::new();
    for run in p["runs"].as_array().unwrap() {
        let r = survival_run(
            run["link"].as_str().unwrap().into(),
            JsValue::from(run["cell"].as_f64().unwrap()),
        )
        .unwrap();
        assert_eq!(json(&r)["seed"], run["seed"]);
        results.push(&r);
    }
    // stopped after the first kernel's runs: that kernel alone, the other named in the note
    let first = Array::of2(&results.get(0), &results.get(1));
    let part = json(&survival_report(plan.clone(), first.into(), Some(JsValue::TRUE)).unwrap());
    assert_eq!(part["kernels"].as_array().unwrap().len(), 1);
    assert!(part["note"]
        .as_str()
        .unwrap()
        .contains("dfly-2008-07-08 left out"));
    let none = Array::of1(&results.get(0));
    assert!(
        survival_report(plan.clone(), none.clone().into(), Some(JsValue::TRUE))
            .unwrap()
            .is_null()
    );
    assert!(error_message(survival_report(plan.clone(), none.into(), None)).contains("missing"));
    let e = error_message(survival_report(
        plan.clone(),
        Array::new().into(),
        Some(JsValue::from(1)),
    ));
    assert!(e.starts_with("partial:"), "{e}");
    let report = json(&survival_report(plan.clone(), results.into(), None).unwrap());
    assert_eq!(report["kernels"].as_array().unwrap().len(), 2);
    assert_eq!(
        report["kernels"][1]["deathTicks"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        report["kernels"][0]["hangRate"],
        serde_json::json!([null, null, null])
    );
    // bad input is an Error naming the argument
    let bad = Array::of1(&"dfly-1999".into());
    let e = error_message(survival_plan(
        link.clone(),
        bad.into(),
        seeds.clone().into(),
        JsValue::NULL,
    ));
    assert!(
        e.starts_with("kernels: \"dfly-1999\" is not a kernel preset"),
        "{e}"
    );
    let e = error_message(survival_plan(
        link.clone(),
        kernels.into(),
        seeds.into(),
        "forever".into(),
    ));
    assert!(e.starts_with("until:"), "{e}");
    let e = error_message(survival_report(plan, JsValue::from(3), None));
    assert!(e.starts_with("results:"), "{e}");
}

#[wasm_bindgen_test]
fn exports_and_the_fingerprint_check_come_from_the_engine() {
    let link = "#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=2s";
    let mut sim = Simulation::from_link(link.into()).unwrap();
    assert!(sim.fingerprint().is_none(), "no outcome yet");
    sim.run_until(f64::INFINITY.into(), None).unwrap();
    let rows = num(&sim.samples_since(0.into()).unwrap(), "rows") as usize;
    let csv = sim.export_file("samples-csv".into(), None).unwrap();
    assert_eq!(
        get(&csv, "name").as_string().unwrap(),
        "pageout-dfly-2008-06-30-64M-seed19-samples.csv"
    );
    let text = get(&csv, "text").as_string().unwrap();
    assert_eq!(text.lines().count(), rows + 1);
    assert!(text.starts_with("time (s),free + cache (pages),"));
    let report = sim
        .export_file("report".into(), Some("https://lab.example/".into()))
        .unwrap();
    let md = get(&report, "text").as_string().unwrap();
    let keys = sim.fingerprint().unwrap();
    assert!(
        md.contains(&format!("<https://lab.example/{link}&{keys}>")),
        "{md}"
    );
    // the run reproduces its own fingerprint, and a wrong hash is named
    let ok = json(&sim.verify(format!("{link}&{keys}").into()).unwrap());
    assert_eq!(ok["reproduced"], true);
    let hash = sim.trace_hash();
    let wrong = format!("{link}&{}", keys.replace(&hash, "0123456789abcdef"));
    let bad = json(&sim.verify(wrong.into()).unwrap());
    assert_eq!(bad["reproduced"], false);
    assert_eq!(bad["differences"][0]["key"], "eh");
    assert!(sim.verify(link.into()).unwrap().is_null());
    assert!(error_message(sim.export_file("pdf".into(), None)).contains("samples-csv"));
}

#[wasm_bindgen_test]
fn a_map_plan_and_its_report_come_from_the_engine() {
    let link = JsValue::from("v=1&preset=dfly-2008-06-30&seed=19");
    let seeds = Array::of2(&JsValue::from(1), &JsValue::from("2"));
    let plan = map_plan(
        link.clone(),
        "mrate=1000/s..3000/s:3".into(),
        "ram=64M,96M".into(),
        seeds.clone().into(),
    )
    .unwrap();
    let p = json(&plan);
    assert_eq!(
        p["x"]["values"],
        serde_json::json!(["1000/s", "2000/s", "3000/s"])
    );
    assert_eq!(p["cells"].as_array().unwrap().len(), 6);
    assert_eq!(p["runs"].as_array().unwrap().len(), 12);
    assert_eq!(
        p["cells"][4]["link"],
        "v=1&preset=dfly-2008-06-30&ram=96M&mrate=2000/s"
    );
    // the runs of the cell x=2000/s, y=96M hang at 50 s and 70 s; the rest survive
    let results = Array::new();
    for run in p["runs"].as_array().unwrap() {
        let hung = run["cell"] == 4;
        let r = serde_json::json!({
            "cell": run["cell"], "seed": run["seed"], "traceHash": "00",
            "tick": if hung { 3000 + 2000 * (run["seed"].as_u64().unwrap() - 1) } else { 30000 },
            "kind": if hung { "deadlock" } else { "survived" },
        });
        results.push(&JSON::parse(&r.to_string()).unwrap());
    }
    let report = json(&map_report(plan.clone(), results.into()).unwrap());
    let cell = &report["cells"][4];
    assert_eq!(cell["hangRate"], 1.0);
    assert_eq!(cell["timeToHang"]["medianS"], 40.0);
    assert_eq!(cell["worstSeed"], 1);
    assert_eq!(report["cells"][0]["hangRate"], 0.0);
    assert!(report["cells"][0]["timeToHang"].is_null());
    // bad input is an Error naming the argument
    let e = error_message(map_plan(
        link.clone(),
        "ram=16M,64M".into(),
        "writers=1,2".into(),
        seeds.clone().into(),
    ));
    assert!(e.contains("ram=16M is out of range"), "{e}");
    let e = error_message(map_plan(
        link.clone(),
        JsValue::from(3),
        "writers=1,2".into(),
        seeds.into(),
    ));
    assert!(e.starts_with("x:"), "{e}");
    let e = error_message(map_report(plan, JsValue::from("x")));
    assert!(e.starts_with("results:"), "{e}");
}

#[wasm_bindgen_test]
fn a_shrink_runs_step_by_step_and_keeps_the_cycle() {
    let link = "v=1&preset=dfly-2008-06-30&ram=32M&writers=3&wrate=2M/s&hogs=1&hog=4M&seed=3\
                &at=5s:sync,60s:writer";
    let mut next = shrink_start(link.into()).unwrap();
    let mut first: Option<Value> = None;
    let mut rounds = 0;
    loop {
        let state = get(&next, "state");
        if get(&state, "done").as_bool().unwrap() {
            break;
        }
        // as the page does: one candidate per worker, here two at a time
        let candidates = Array::from(&get(&next, "candidates"));
        let outcomes = Array::new();
        for c in candidates.iter().take(2) {
            let probe = shrink_probe(get(&c, "link")).unwrap();
            first.get_or_insert_with(|| json(&probe));
            outcomes.push(&probe);
        }
        next = shrink_step(state, outcomes.into()).unwrap();
        rounds += 1;
        assert!(rounds < 500, "the search ends");
    }
    let state = json(&get(&next, "state"));
    let first = first.unwrap();
    assert_eq!(first["kind"], "deadlock");
    assert!(!state["steps"].as_array().unwrap().is_empty());
    let last = json(&shrink_probe(state["current"].as_str().unwrap().into()).unwrap());
    assert_eq!(last["kind"], first["kind"]);
    assert_eq!(last["cycle"], first["cycle"]);
    // a scenario that does not hang is refused
    let survives = shrink_start("v=1&preset=dfly-2008-07-01&until=5s".into()).unwrap();
    let probe = shrink_probe("v=1&preset=dfly-2008-07-01&until=5s".into()).unwrap();
    let e = error_message(shrink_step(
        get(&survives, "state"),
        Array::of1(&probe).into(),
    ));
    assert!(e.contains("does not hang"), "{e}");
}
