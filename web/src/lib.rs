//! pageout-web: the wasm facade over pageout-core. Translation only; no simulation logic.
//!
//! Values go in through serde-wasm-bindgen and come out as plain JSON-compatible objects (maps
//! become objects, `None` becomes `null`); sampled columns come out as `Uint32Array` copies.
//! Every error becomes a JS `Error` carrying the engine's message, in [`js_error`]. The shapes of
//! the returned values are declared in `api.d.ts`, which wasm-bindgen appends to
//! `pageout_web.d.ts`.
//!
//! Every argument crosses as a `JsValue` and is checked here ([`string_arg`], [`whole_arg`]), so
//! a value of the wrong type is an `Error` that names the argument. wasm-bindgen's own glue
//! trusts the caller: it copied whatever a `&str` parameter was given into wasm memory as a string
//! (`decodeLink(123)` trapped, "memory access out of bounds", and so did `{}` and `10n`), and
//! coerced an `f64` one (`advance("10")` ran 10 ticks, `advance(10n)` was a TypeError).

use std::fmt::Display;

use js_sys::{Object, Reflect, Uint32Array};
use pageout_core::explore::{diverge, grid, map, shrink, survival, twins};
use pageout_core::export::{self, Export};
use pageout_core::fingerprint::Fingerprint;
use pageout_core::policy::{Mechanism, MECHANISMS};
use pageout_core::scenario::link::{self, LinkError};
use pageout_core::scenario::ScenarioPreset;
use pageout_core::{Col, KernelPreset, LogLine, Policy, Scenario, Simulation as Engine};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const API_TYPES: &str = include_str!("api.d.ts");

/// Installs the panic hook, so a Rust panic shows its message in the browser console.
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The one place a Rust error becomes a JS `Error`: the message is the engine's.
fn js_error(message: impl Display) -> js_sys::Error {
    js_sys::Error::new(&message.to_string())
}

/// Serializes an outgoing value as plain JS (objects, arrays, numbers, strings, `null`).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, js_sys::Error> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js_error)
}

/// Reads a scenario object (the seed may be a string, a safe integer or a BigInt) and validates
/// it. Type errors name the path of the bad field (`workload.writers: invalid type: ...`),
/// unknown fields are refused by name, and validation errors name the field, what was given and
/// what is allowed.
///
/// The object goes through a `serde_json::Value` on its way in: serde-wasm-bindgen reads only
/// the fields a struct declares, so on its own it would silently drop a misspelt field
/// (`overrides.recoverBufPages`) instead of honouring the engine's `deny_unknown_fields`.
fn scenario_from_js(value: JsValue) -> Result<Scenario, js_sys::Error> {
    let bad = |e: &dyn Display| js_error(format_args!("invalid scenario: {e}"));
    let tree: serde_json::Value = serde_wasm_bindgen::from_value(value).map_err(|e| bad(&e))?;
    let scenario: Scenario = serde_path_to_error::deserialize(tree).map_err(|e| bad(&e))?;
    scenario.validate().map_err(|e| bad(&e))?;
    Ok(scenario)
}

/// Reads a plain JS value as `T`, strictly: a wrong type or a missing field is an `Error` that
/// names the argument and the path (`results[3].kind: unknown variant ...`). The value goes
/// through a `serde_json::Value` for the path, as in [`scenario_from_js`].
fn plain_from_js<T: DeserializeOwned>(name: &str, value: JsValue) -> Result<T, js_sys::Error> {
    let bad = |e: &dyn Display| js_error(format_args!("{name}: {e}"));
    let tree: serde_json::Value = serde_wasm_bindgen::from_value(value).map_err(|e| bad(&e))?;
    serde_path_to_error::deserialize(tree).map_err(|e| bad(&e))
}

/// Reads a solo link argument; its problems become one `Error` naming the argument.
fn link_arg(name: &str, value: &JsValue) -> Result<Scenario, js_sys::Error> {
    link::decode(&string_arg(name, value)?)
        .map_err(|e| js_error(format_args!("{name}: invalid link: {e}")))
}

/// What a JS value is, for messages: `a number (NaN)`, `an object`, `a bigint (-1)`.
fn describe(value: &JsValue) -> String {
    if let Some(v) = value.as_f64() {
        format!("a number ({v})")
    } else if let Some(b) = value.as_bool() {
        format!("a boolean ({b})")
    } else if value.is_bigint() {
        let big = js_sys::BigInt::from(value.clone());
        big.to_string(10).map_or_else(
            |_| "a bigint".into(),
            |t| format!("a bigint ({})", String::from(t)),
        )
    } else if value.is_undefined() || value.is_null() {
        if value.is_null() { "null" } else { "undefined" }.into()
    } else {
        let kind = value.js_typeof().as_string().unwrap_or_default();
        let article = if kind.starts_with('o') { "an" } else { "a" };
        format!("{article} {kind}")
    }
}

/// A string argument; anything else is an `Error` naming the argument.
fn string_arg(name: &str, value: &JsValue) -> Result<String, js_sys::Error> {
    value.as_string().ok_or_else(|| {
        js_error(format_args!(
            "{name}: got {}, allowed a string",
            describe(value)
        ))
    })
}

/// A whole, non-negative number of ticks or rows: a number (`Infinity` means "no limit") or a
/// BigInt; anything else is an `Error` naming the argument.
fn whole_arg(name: &str, value: &JsValue) -> Result<u64, js_sys::Error> {
    let bad = || {
        js_error(format_args!(
            "{name}: got {}, allowed a whole number >= 0",
            describe(value)
        ))
    };
    if let Some(v) = value.as_f64() {
        if v == f64::INFINITY || (v >= 0.0 && v.fract() == 0.0) {
            // `as` saturates: Infinity and anything beyond u64 become u64::MAX
            return Ok(v as u64);
        }
    } else if value.is_bigint() {
        let (big, zero) = (js_sys::BigInt::from(value.clone()), js_sys::BigInt::from(0));
        return match u64::try_from(big.clone()) {
            Ok(v) => Ok(v),
            // beyond u64 means "no limit", as a number beyond it does
            Err(_) if big > zero => Ok(u64::MAX),
            Err(_) => Err(bad()),
        };
    }
    Err(bad())
}

fn set(target: &Object, key: &str, value: &JsValue) {
    Reflect::set(target, &JsValue::from_str(key), value)
        .expect_throw("setting a property of a plain object");
}

#[derive(Serialize)]
struct LogLineJs<'a> {
    index: usize,
    tick: u64,
    text: &'a str,
    dmesg: String,
}

/// Lines from index `line` on, each with its index (a `line` past the end gives none).
fn lines_since(lines: &[LogLine], line: &JsValue) -> Result<JsValue, js_sys::Error> {
    let start = usize::try_from(whole_arg("line", line)?)
        .unwrap_or(usize::MAX)
        .min(lines.len());
    let out: Vec<LogLineJs<'_>> = lines[start..]
        .iter()
        .enumerate()
        .map(|(i, l)| LogLineJs {
            index: start + i,
            tick: l.tick,
            text: &l.text,
            dmesg: l.dmesg(),
        })
        .collect();
    to_js(&out)
}

#[derive(Serialize)]
struct KernelPresetJs {
    name: &'static str,
    description: &'static str,
    policy: Policy,
}

#[derive(Serialize)]
struct ScenarioPresetJs {
    name: &'static str,
    description: &'static str,
    scenario: Scenario,
}

#[derive(Serialize)]
struct PresetsJs {
    kernels: Vec<KernelPresetJs>,
    scenarios: Vec<ScenarioPresetJs>,
    mechanisms: &'static [Mechanism],
}

#[derive(Serialize)]
#[serde(untagged)]
enum DecodeCompareResultJs {
    Ok {
        ok: bool,
        a: Box<Scenario>,
        b: Option<Box<Scenario>>,
        link: String,
        #[serde(rename = "linkA")]
        link_a: String,
        #[serde(rename = "linkB")]
        link_b: Option<String>,
    },
    Err {
        ok: bool,
        errors: Vec<LinkError>,
    },
}

#[derive(Serialize)]
#[serde(untagged)]
enum DecodeResultJs {
    Ok {
        ok: bool,
        scenario: Scenario,
        link: String,
    },
    Err {
        ok: bool,
        errors: Vec<LinkError>,
    },
}

#[derive(Serialize)]
struct ExportFileJs {
    name: String,
    mime: &'static str,
    text: String,
}

/// A run of a scenario: construct, then `advance` or `runUntil` until `finished`.
#[wasm_bindgen(js_name = Simulation)]
#[derive(Debug)]
pub struct Simulation {
    engine: Engine,
}

#[wasm_bindgen(js_class = Simulation)]
impl Simulation {
    /// Boots the machine of a scenario at tick 0. Throws an `Error` naming every problem.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ScenarioInput")] scenario: JsValue,
    ) -> Result<Simulation, js_sys::Error> {
        let scenario = scenario_from_js(scenario)?;
        Ok(Simulation {
            engine: Engine::new(&scenario).map_err(js_error)?,
        })
    }

    /// Boots the scenario of a link (a fragment with or without `#`, or a whole URL). Throws an
    /// `Error` listing every problem with the link.
    #[wasm_bindgen(js_name = fromLink)]
    pub fn from_link(
        #[wasm_bindgen(unchecked_param_type = "string")] fragment: JsValue,
    ) -> Result<Simulation, js_sys::Error> {
        let fragment = string_arg("fragment", &fragment)?;
        let scenario =
            link::decode(&fragment).map_err(|e| js_error(format_args!("invalid link: {e}")))?;
        Ok(Simulation {
            engine: Engine::new(&scenario).map_err(js_error)?,
        })
    }

    /// Runs `ticks` more ticks, or until the outcome is decided.
    #[wasm_bindgen(unchecked_return_type = "Status")]
    pub fn advance(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] ticks: JsValue,
    ) -> Result<JsValue, js_sys::Error> {
        let ticks = whole_arg("ticks", &ticks)?;
        to_js(&self.engine.advance(ticks))
    }

    /// Runs until tick `tick`, but at most `maxTicks` more ticks (no limit when left out), or
    /// until the outcome is decided.
    #[wasm_bindgen(js_name = runUntil, unchecked_return_type = "Status")]
    pub fn run_until(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] tick: JsValue,
        #[wasm_bindgen(js_name = maxTicks, unchecked_optional_param_type = "number")]
        max_ticks: Option<JsValue>,
    ) -> Result<JsValue, js_sys::Error> {
        let mut target = whole_arg("tick", &tick)?;
        if let Some(max) = max_ticks.filter(|m| !m.is_undefined() && !m.is_null()) {
            let max = whole_arg("maxTicks", &max)?;
            target = target.min(self.engine.tick().saturating_add(max));
        }
        to_js(&self.engine.run_until(target))
    }

    /// Where the run stands.
    #[wasm_bindgen(unchecked_return_type = "Status")]
    pub fn status(&self) -> Result<JsValue, js_sys::Error> {
        to_js(&self.engine.status())
    }

    /// Current tick.
    pub fn tick(&self) -> f64 {
        self.engine.tick() as f64
    }

    /// Sample rows from `row` on, as fresh `Uint32Array` copies. `start + rows` is where the next
    /// call should begin; a `row` past the end gives no rows and `start` = the row count.
    #[wasm_bindgen(js_name = samplesSince, unchecked_return_type = "Samples")]
    pub fn samples_since(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] row: JsValue,
    ) -> Result<JsValue, js_sys::Error> {
        let samples = self.engine.samples();
        let len = samples.len();
        let start = usize::try_from(whole_arg("row", &row)?)
            .unwrap_or(usize::MAX)
            .min(len);
        let columns = Object::new();
        for col in Col::ALL {
            // a copy, never a view: a view would go stale when wasm memory grows
            set(
                &columns,
                col.name(),
                &Uint32Array::from(&samples.col(col)[start..]).into(),
            );
        }
        let out = Object::new();
        set(&out, "start", &JsValue::from(start as f64));
        set(&out, "rows", &JsValue::from((len - start) as f64));
        set(&out, "columns", &columns);
        Ok(out.into())
    }

    /// Console lines from index `line` on: every line the kernel printed.
    #[wasm_bindgen(js_name = logSince, unchecked_return_type = "LogLine[]")]
    pub fn log_since(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] line: JsValue,
    ) -> Result<JsValue, js_sys::Error> {
        lines_since(&self.engine.log(), &line)
    }

    /// `/var/log/messages` from index `line` on: what syslogd has written so far, repeats
    /// folded. Lines already returned never change; later calls only add lines.
    #[wasm_bindgen(js_name = messagesSince, unchecked_return_type = "LogLine[]")]
    pub fn messages_since(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] line: JsValue,
    ) -> Result<JsValue, js_sys::Error> {
        lines_since(&self.engine.messages(), &line)
    }

    /// Key moments from index `from` on (threshold crossings, first pageout, reserve pages,
    /// zone refills, waits, emergency allocations, the kill, the hang).
    #[wasm_bindgen(js_name = eventsSince, unchecked_return_type = "KeyEvent[]")]
    pub fn events_since(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] from: JsValue,
    ) -> Result<JsValue, js_sys::Error> {
        let from = usize::try_from(whole_arg("from", &from)?).unwrap_or(usize::MAX);
        to_js(&self.engine.events_since(from))
    }

    /// What every thread was doing at `tick` (the last sample at or before it): a lookup into
    /// what the run recorded, no simulation.
    #[wasm_bindgen(js_name = threadsAt, unchecked_return_type = "ThreadState[]")]
    pub fn threads_at(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] tick: JsValue,
    ) -> Result<JsValue, js_sys::Error> {
        to_js(&self.engine.threads_at(whole_arg("tick", &tick)?))
    }

    /// Every kernel thread and what it is doing.
    #[wasm_bindgen(unchecked_return_type = "ThreadInfo[]")]
    pub fn threads(&self) -> Result<JsValue, js_sys::Error> {
        to_js(&self.engine.threads())
    }

    /// The outcome with its wait-for graph, or `null` while the run goes on.
    #[wasm_bindgen(unchecked_return_type = "Outcome | null")]
    pub fn outcome(&self) -> Result<JsValue, js_sys::Error> {
        to_js(&self.engine.outcome())
    }

    /// What the warm start put where: clean buffers and the mapped files' resident pages.
    #[wasm_bindgen(js_name = warmStart, unchecked_return_type = "WarmStart")]
    pub fn warm_start(&self) -> Result<JsValue, js_sys::Error> {
        to_js(&self.engine.warm_start())
    }

    /// Boot-time thresholds.
    #[wasm_bindgen(unchecked_return_type = "Thresholds")]
    pub fn thresholds(&self) -> Result<JsValue, js_sys::Error> {
        to_js(&self.engine.thresholds())
    }

    /// Summary counts (plain numbers; see `api.d.ts`).
    #[wasm_bindgen(unchecked_return_type = "Stats")]
    pub fn stats(&self) -> Result<JsValue, js_sys::Error> {
        to_js(&self.engine.stats())
    }

    /// The mechanisms (link keys) the kernel has read so far: a run that never read one is the
    /// same run with any other value of it (`twinOf`).
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn consulted(&self) -> Result<JsValue, js_sys::Error> {
        to_js(&self.engine.consulted())
    }

    /// The hash of every sample and console line so far, as 16 lower-case hex digits.
    #[wasm_bindgen(js_name = traceHash)]
    pub fn trace_hash(&self) -> String {
        format!("{:016x}", self.engine.trace_hash())
    }

    /// The share link of this run's scenario, with its leading `#`.
    #[wasm_bindgen(js_name = toLink)]
    pub fn to_link(&self) -> String {
        format!("#{}", link::encode(self.engine.scenario()))
    }

    /// One export of the run as a file: `{name, mime, text}`, named after the scenario.
    /// `pageUrl` is where the page is served, for the report's link (left out: the fragment
    /// only). Throws for an unknown kind, naming the kinds there are.
    #[wasm_bindgen(js_name = exportFile, unchecked_return_type = "ExportFile")]
    pub fn export_file(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ExportKind")] kind: JsValue,
        #[wasm_bindgen(js_name = pageUrl, unchecked_optional_param_type = "string")]
        page_url: Option<JsValue>,
    ) -> Result<JsValue, js_sys::Error> {
        let name = string_arg("kind", &kind)?;
        let kind = Export::from_name(&name).ok_or_else(|| {
            let kinds: Vec<&str> = Export::ALL.iter().map(|e| e.name()).collect();
            js_error(format_args!(
                "kind: got {name:?}, allowed one of {}",
                kinds.join(", ")
            ))
        })?;
        let page_url = match page_url.filter(|u| !u.is_undefined() && !u.is_null()) {
            Some(u) => Some(string_arg("pageUrl", &u)?),
            None => None,
        };
        to_js(&ExportFileJs {
            name: export::file_name(self.engine.scenario(), kind),
            mime: kind.mime(),
            text: export::render(&self.engine, kind, page_url.as_deref()),
        })
    }

    /// The fingerprint link keys of the finished run (`ev=…&eo=…&eh=…`), or `null` while it
    /// has no outcome.
    pub fn fingerprint(&self) -> Option<String> {
        Fingerprint::of(&self.engine).map(|f| f.keys())
    }

    /// Checks the finished run against the fingerprint a link carries: a `Verdict`, or `null`
    /// when the link has none. Throws when the fingerprint cannot be read (naming the key) or
    /// the run has no outcome yet.
    #[wasm_bindgen(unchecked_return_type = "Verdict | null")]
    pub fn verify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] fragment: JsValue,
    ) -> Result<JsValue, js_sys::Error> {
        let fragment = string_arg("fragment", &fragment)?;
        let Some(expected) = Fingerprint::from_link(&fragment).map_err(js_error)? else {
            return Ok(JsValue::NULL);
        };
        let actual = Fingerprint::of(&self.engine)
            .ok_or_else(|| js_error("verify: the run has no outcome yet; run it to its end"))?;
        to_js(&expected.verify(&actual))
    }

    /// The scenario being run (seed as a string).
    #[wasm_bindgen(unchecked_return_type = "Scenario")]
    pub fn scenario(&self) -> Result<JsValue, js_sys::Error> {
        to_js(self.engine.scenario())
    }
}

/// Kernel presets, scenario presets and the mechanism table, for the controls.
#[wasm_bindgen(unchecked_return_type = "Presets")]
pub fn presets() -> Result<JsValue, js_sys::Error> {
    to_js(&PresetsJs {
        kernels: KernelPreset::ALL
            .into_iter()
            .map(|k| KernelPresetJs {
                name: k.name(),
                description: k.description(),
                policy: k.policy(),
            })
            .collect(),
        scenarios: ScenarioPreset::ALL
            .into_iter()
            .map(|s| ScenarioPresetJs {
                name: s.name(),
                description: s.description(),
                scenario: s.scenario(),
            })
            .collect(),
        mechanisms: &MECHANISMS,
    })
}

/// The default scenario.
#[wasm_bindgen(js_name = defaultScenario, unchecked_return_type = "Scenario")]
pub fn default_scenario() -> Result<JsValue, js_sys::Error> {
    to_js(&Scenario::default())
}

/// Decodes a link (a fragment with or without `#`, or a whole URL). Gives
/// `{ok: true, scenario, link}` with the canonical fragment (without `#`), or
/// `{ok: false, errors}` with its problems (the first 20, then a count; one for a link over
/// 64 KiB). Throws only when `fragment` is not a string.
#[wasm_bindgen(js_name = decodeLink, unchecked_return_type = "DecodeResult")]
pub fn decode_link(
    #[wasm_bindgen(unchecked_param_type = "string")] fragment: JsValue,
) -> Result<JsValue, js_sys::Error> {
    let fragment = string_arg("fragment", &fragment)?;
    to_js(&match link::decode(&fragment) {
        Ok(scenario) => DecodeResultJs::Ok {
            ok: true,
            link: link::encode(&scenario),
            scenario,
        },
        Err(errors) => DecodeResultJs::Err {
            ok: false,
            errors: errors.0,
        },
    })
}

/// The link fragment of a scenario, without `#`. Throws when the scenario is invalid.
#[wasm_bindgen(js_name = encodeLink)]
pub fn encode_link(
    #[wasm_bindgen(unchecked_param_type = "ScenarioInput")] scenario: JsValue,
) -> Result<String, js_sys::Error> {
    Ok(link::encode(&scenario_from_js(scenario)?))
}

/// Decodes a link that may be a compare link (`…&b.preset=dfly-2008-07-01`). Gives
/// `{ok: true, a, b, link, linkA, linkB}` — `b` and `linkB` null for a solo link; `link` the
/// canonical form of the whole, `linkA`/`linkB` each scenario's own canonical link (without `#`)
/// — or `{ok: false, errors}`, B's problems naming their `b.` key. Throws only when `fragment` is
/// not a string.
#[wasm_bindgen(js_name = decodeCompareLink, unchecked_return_type = "DecodeCompareResult")]
pub fn decode_compare_link(
    #[wasm_bindgen(unchecked_param_type = "string")] fragment: JsValue,
) -> Result<JsValue, js_sys::Error> {
    let fragment = string_arg("fragment", &fragment)?;
    to_js(&match link::decode_compare(&fragment) {
        Ok(c) => DecodeCompareResultJs::Ok {
            ok: true,
            link: match &c.b {
                Some(b) => link::encode_compare(&c.a, b),
                None => link::encode(&c.a),
            },
            link_a: link::encode(&c.a),
            link_b: c.b.as_ref().map(link::encode),
            a: Box::new(c.a),
            b: c.b.map(Box::new),
        },
        Err(errors) => DecodeCompareResultJs::Err {
            ok: false,
            errors: errors.0,
        },
    })
}

/// The compare link of two scenarios, without `#`: A's link, then B's differences as `b.` keys.
/// Throws when either scenario is invalid.
#[wasm_bindgen(js_name = encodeCompareLink)]
pub fn encode_compare_link(
    #[wasm_bindgen(unchecked_param_type = "ScenarioInput")] a: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ScenarioInput")] b: JsValue,
) -> Result<String, js_sys::Error> {
    let a = scenario_from_js(a).map_err(|e| js_error(format_args!("a: {}", e.message())))?;
    let b = scenario_from_js(b).map_err(|e| js_error(format_args!("b: {}", e.message())))?;
    Ok(link::encode_compare(&a, &b))
}

/// Runs the scenarios of two solo links side by side to their ends and finds the first tick at
/// which they differ (`tick` null when they never do), what each did then, and how each ended.
/// Throws when a link is invalid or a scenario is beyond the work budget.
#[wasm_bindgen(unchecked_return_type = "Divergence")]
pub fn divergence(
    #[wasm_bindgen(js_name = linkA, unchecked_param_type = "string")] link_a: JsValue,
    #[wasm_bindgen(js_name = linkB, unchecked_param_type = "string")] link_b: JsValue,
) -> Result<JsValue, js_sys::Error> {
    let (a, b) = (link_arg("linkA", &link_a)?, link_arg("linkB", &link_b)?);
    to_js(&diverge::diverge(&a, &b, true).map_err(js_error)?)
}

/// The largest seed a grid takes from JavaScript: seeds cross as plain numbers here.
const MAX_SAFE_SEED: u64 = (1 << 53) - 1;

/// Reads a seeds argument: an array of whole numbers 0..=2^53-1, or decimal strings.
fn seeds_arg(seeds: &JsValue) -> Result<Vec<u64>, js_sys::Error> {
    if !js_sys::Array::is_array(seeds) {
        return Err(js_error(format_args!(
            "seeds: got {}, allowed an array of whole numbers",
            describe(seeds)
        )));
    }
    let mut list = Vec::new();
    for (i, v) in js_sys::Array::from(seeds).iter().enumerate() {
        let name = format!("seeds[{i}]");
        let seed = match v.as_string() {
            Some(t) => t.parse::<u64>().ok(),
            None => whole_arg(&name, &v).ok(),
        };
        match seed.filter(|&s| s <= MAX_SAFE_SEED) {
            Some(s) => list.push(s),
            None => {
                return Err(js_error(format_args!(
                    "{name}: got {}, allowed a whole number 0..={MAX_SAFE_SEED}",
                    describe(&v)
                )))
            }
        }
    }
    Ok(list)
}

/// Plans the switch grid of a solo link's scenario over `seeds` (an array of whole numbers
/// 0..=2^53-1, or decimal strings): every on/off combination of the fix's switches, and every
/// cell with every seed, in the command line's order. Throws on a bad link or bad seeds.
#[wasm_bindgen(js_name = gridPlan, unchecked_return_type = "GridPlan")]
pub fn grid_plan(
    #[wasm_bindgen(unchecked_param_type = "string")] link: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number[]")] seeds: JsValue,
) -> Result<JsValue, js_sys::Error> {
    let scenario = link_arg("link", &link)?;
    let list = seeds_arg(&seeds)?;
    to_js(&grid::plan(&scenario, &list).map_err(js_error)?)
}

/// A simulated run that a run of `link` would be, or null: `candidates` are finished runs
/// (`{link, consulted}`, `consulted` what `Simulation.consulted()` gave at their end), and the
/// answer is the index of the first whose scenario differs from `link`'s only in mechanisms it
/// never consulted (the engine's `explore::twins::same_run`). Throws on a bad link, or one
/// `Simulation.fromLink` would refuse.
#[wasm_bindgen(js_name = twinOf, unchecked_return_type = "number | null")]
pub fn twin_of(
    #[wasm_bindgen(unchecked_param_type = "string")] link: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Array<{link: string, consulted: string[]}>")]
    candidates: JsValue,
) -> Result<JsValue, js_sys::Error> {
    #[derive(serde::Deserialize)]
    struct Candidate {
        link: String,
        consulted: Vec<String>,
    }
    let scenario = link_arg("link", &link)?;
    // a twin answers only for a run that could start: the checks `Simulation.fromLink` makes
    pageout_core::explore::admit(&scenario, true, "").map_err(js_error)?;
    let candidates: Vec<Candidate> = plain_from_js("candidates", candidates)?;
    for (i, c) in candidates.iter().enumerate() {
        let Ok(a) = link::decode(&c.link) else {
            return Err(js_error(format_args!(
                "candidates[{i}].link: not a valid link"
            )));
        };
        let consulted: Vec<&str> = c.consulted.iter().map(String::as_str).collect();
        if twins::same_run(&a, &consulted, &scenario) {
            return Ok(JsValue::from(i as u32));
        }
    }
    Ok(JsValue::NULL)
}

/// Summarises a grid: `plan` as `gridPlan` gave it, `results` one per finished run
/// (`{cell, seed, kind, tick, traceHash}`, any subset, any order). Gives each cell's counts, its
/// worst run and whether it cures, the smallest sets of switches that cure, and the rule.
#[wasm_bindgen(js_name = gridReport, unchecked_return_type = "GridReport")]
pub fn grid_report(
    #[wasm_bindgen(unchecked_param_type = "GridPlan")] plan: JsValue,
    #[wasm_bindgen(unchecked_param_type = "GridRunResult[]")] results: JsValue,
) -> Result<JsValue, js_sys::Error> {
    let plan: grid::GridPlan = plain_from_js("plan", plan)?;
    let results: Vec<grid::RunResult> = plain_from_js("results", results)?;
    to_js(&grid::report(&plan, &results).map_err(js_error)?)
}

/// Plans a phase map of a solo link's scenario: `x` and `y` are axes as the command line takes
/// them (`mrate=500/s..5000/s:10`, `ram=64M,128M`), `seeds` as for `gridPlan`. Every cell (y
/// outer, x inner) with every seed, cell by cell, as `pageout-sim map` runs them. Throws on a bad
/// link, axis or seeds, naming which.
#[wasm_bindgen(js_name = mapPlan, unchecked_return_type = "MapPlan")]
pub fn map_plan(
    #[wasm_bindgen(unchecked_param_type = "string")] link: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] x: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] y: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number[]")] seeds: JsValue,
) -> Result<JsValue, js_sys::Error> {
    let scenario = link_arg("link", &link)?;
    let axis = |name: &str, v: &JsValue| {
        map::parse_axis(&string_arg(name, v)?).map_err(|e| js_error(format_args!("{name}: {e}")))
    };
    let (x, y) = (axis("x", &x)?, axis("y", &y)?);
    let list = seeds_arg(&seeds)?;
    to_js(&map::plan(&scenario, &x, &y, &list).map_err(js_error)?)
}

/// Summarises a map: `plan` as `mapPlan` gave it, `results` one per finished run (the shape of
/// a grid's, any subset, any order). The same report as `pageout-sim map --json`.
#[wasm_bindgen(js_name = mapReport, unchecked_return_type = "MapReport")]
pub fn map_report(
    #[wasm_bindgen(unchecked_param_type = "MapPlan")] plan: JsValue,
    #[wasm_bindgen(unchecked_param_type = "GridRunResult[]")] results: JsValue,
) -> Result<JsValue, js_sys::Error> {
    let plan: map::MapPlan = plain_from_js("plan", plan)?;
    let results: Vec<grid::RunResult> = plain_from_js("results", results)?;
    to_js(&map::report(&plan, &results).map_err(js_error)?)
}

/// Plans the survival of a solo link's scenario's workload: `kernels` (an array of kernel
/// names; every kernel preset when empty), each alone over `seeds` (as for `gridPlan`), for
/// `until` (a link `until` value such as `3600s`; the link's own when null). The same plan as
/// `pageout-sim survival`. Throws on a bad link, kernel, horizon or seeds, naming which.
#[wasm_bindgen(js_name = survivalPlan, unchecked_return_type = "SurvivalPlan")]
pub fn survival_plan(
    #[wasm_bindgen(unchecked_param_type = "string")] link: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] kernels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number[]")] seeds: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | null")] until: JsValue,
) -> Result<JsValue, js_sys::Error> {
    let mut scenario = link_arg("link", &link)?;
    if !until.is_null() && !until.is_undefined() {
        let u = string_arg("until", &until)?;
        scenario = link::apply(&scenario, &[("until", u.as_str())])
            .map_err(|e| js_error(format_args!("until: {e}")))?;
    }
    let names: Vec<String> = plain_from_js("kernels", kernels)?;
    let mut list = Vec::new();
    for n in &names {
        list.push(KernelPreset::from_name(n).ok_or_else(|| {
            js_error(format_args!(
                "kernels: {n:?} is not a kernel preset; allowed are {}",
                KernelPreset::ALL.map(KernelPreset::name).join(", ")
            ))
        })?);
    }
    let seeds = seeds_arg(&seeds)?;
    to_js(&survival::plan(&scenario, &list, &seeds).map_err(js_error)?)
}

/// Runs one run of a survival plan (`link`, its kernel's index `kernel`) to its outcome: its
/// kind, tick, wait-for cycle and trace hash. Long: call it in a worker.
#[wasm_bindgen(js_name = survivalRun, unchecked_return_type = "SurvivalRunResult")]
pub fn survival_run(
    #[wasm_bindgen(unchecked_param_type = "string")] link: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] kernel: JsValue,
) -> Result<JsValue, js_sys::Error> {
    let scenario = link_arg("link", &link)?;
    let k = whole_arg("kernel", &kernel)?;
    to_js(&survival::run_one(k as usize, &scenario, true).map_err(js_error)?)
}

/// Reports a survival: `plan` as `survivalPlan` gave it, `results` one per run (every run of
/// the plan, any order). The same report as `pageout-sim survival --json`. With `partial` true
/// (a survival stopped part way), only the kernels whose every run is among `results`, or null
/// when there is none.
#[wasm_bindgen(js_name = survivalReport, unchecked_return_type = "SurvivalReport | null")]
pub fn survival_report(
    #[wasm_bindgen(unchecked_param_type = "SurvivalPlan")] plan: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SurvivalRunResult[]")] results: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "boolean")] partial: Option<JsValue>,
) -> Result<JsValue, js_sys::Error> {
    let plan: survival::SurvivalPlan = plain_from_js("plan", plan)?;
    let results: Vec<survival::RunResult> = plain_from_js("results", results)?;
    let partial = match partial.filter(|p| !p.is_undefined() && !p.is_null()) {
        None => false,
        Some(p) => p.as_bool().ok_or_else(|| {
            js_error(format_args!(
                "partial: got {}, allowed true or false",
                describe(&p)
            ))
        })?,
    };
    if partial {
        return match survival::report_complete(&plan, &results).map_err(js_error)? {
            Some(r) => to_js(&r),
            None => Ok(JsValue::NULL),
        };
    }
    to_js(&survival::report(&plan, &results).map_err(js_error)?)
}

/// What a search does next: its state and the candidates to run, in order.
#[derive(serde::Serialize)]
struct ShrinkNext {
    state: shrink::State,
    step: Option<shrink::Step>,
    candidates: Vec<shrink::Candidate>,
}

fn shrink_next(state: shrink::State, step: Option<shrink::Step>) -> Result<JsValue, js_sys::Error> {
    let candidates = shrink::candidates(&state).map_err(js_error)?;
    to_js(&ShrinkNext {
        state,
        step,
        candidates,
    })
}

/// Starts shrinking a solo link's scenario: the state, and the first candidate to run (the
/// scenario itself, whose run says how it hangs). Run each candidate's link with `shrinkProbe`
/// (in workers), then give the outcomes, in candidate order, to `shrinkStep`.
#[wasm_bindgen(js_name = shrinkStart, unchecked_return_type = "ShrinkNext")]
pub fn shrink_start(
    #[wasm_bindgen(unchecked_param_type = "string")] link: JsValue,
) -> Result<JsValue, js_sys::Error> {
    shrink_next(shrink::begin(&link_arg("link", &link)?), None)
}

/// Runs one candidate to its end and says how it ended, wait-for cycle included. Long: call it
/// in a worker.
#[wasm_bindgen(js_name = shrinkProbe, unchecked_return_type = "ShrinkProbe")]
pub fn shrink_probe(
    #[wasm_bindgen(unchecked_param_type = "string")] link: JsValue,
) -> Result<JsValue, js_sys::Error> {
    to_js(&shrink::probe(&link_arg("link", &link)?, true).map_err(js_error)?)
}

/// Takes the outcomes of the first candidates (in their order; the first that hangs the same way
/// decides, so the rest may be left out once one does) and gives the next state, the step taken
/// if any, and the next candidates (none when the search is done). Throws when the scenario does
/// not hang.
#[wasm_bindgen(js_name = shrinkStep, unchecked_return_type = "ShrinkNext")]
pub fn shrink_step(
    #[wasm_bindgen(unchecked_param_type = "ShrinkState")] state: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ShrinkProbe[]")] outcomes: JsValue,
) -> Result<JsValue, js_sys::Error> {
    let mut state: shrink::State = plain_from_js("state", state)?;
    let outcomes: Vec<shrink::Probe> = plain_from_js("outcomes", outcomes)?;
    let step = shrink::step(&mut state, &outcomes).map_err(js_error)?;
    shrink_next(state, step)
}

/// The engine version.
#[wasm_bindgen(js_name = engineVersion)]
pub fn engine_version() -> String {
    pageout_core::ENGINE_VERSION.to_string()
}

/// The range of every scenario knob, `{ramMb: [32, 4096], ...}`, as the engine validates them.
#[wasm_bindgen(unchecked_return_type = "Limits")]
pub fn limits() -> Result<JsValue, js_sys::Error> {
    let table: std::collections::BTreeMap<&str, [u64; 2]> = pageout_core::scenario::limits::table()
        .into_iter()
        .map(|(name, lo, hi)| (name, [lo, hi]))
        .collect();
    to_js(&table)
}

/// What a scenario's files start with: `pageout-dfly-2008-06-30-64M-seed19`.
#[wasm_bindgen(js_name = fileStem)]
pub fn file_stem(
    #[wasm_bindgen(unchecked_param_type = "ScenarioInput")] scenario: JsValue,
) -> Result<String, js_sys::Error> {
    Ok(export::file_stem(&scenario_from_js(scenario)?))
}

/// The sample column names, in order.
#[wasm_bindgen(unchecked_return_type = "ColumnName[]")]
pub fn columns() -> Vec<String> {
    Col::ALL.iter().map(|c| c.name().to_string()).collect()
}
