//! The share-link codec: a [`Scenario`] as a short, human-readable URL fragment.
//!
//! A link is `key=value` pairs joined by `&`, the version first:
//!
//! ```text
//! v=1&preset=dfly-2008-07-01&ram=256M&mmap=2&hogat=30s&seed=7&recoverbufpages=off
//! ```
//!
//! [`decode`] accepts the fragment with or without its `#` (or a leading `?`), or a whole URL (it
//! reads what follows the first `#`). It is strict: an unknown key, a key given twice, a value
//! outside the syntax of its key, a number outside the limits of [`Scenario::validate`], settings
//! that conflict, or a missing or unknown version each give a [`LinkError`] naming the key, the
//! value and what is allowed; all problems of a link are reported together. Nothing panics and
//! nothing is replaced by a default without saying so. [`encode`] writes the canonical form: the
//! version, the kernel, then every field that differs from the v1 defaults, in the fixed key order
//! below, with the largest unit that is exact. [`canonical`] is `encode(decode(link))`.
//!
//! Bounds, so that no input costs more than a glance: a link longer than [`MAX_LINK_BYTES`]
//! (64 KiB; the canonical form of any scenario is under 2 KiB) is refused as a whole, before it
//! is split, with one error that names its size and the limit. Of the problems of a shorter link
//! the first [`MAX_ERRORS`] are listed in full and the rest are counted, in one last error whose
//! key and message say `and N more`.
//!
//! A missing, unknown or repeated version does not hide the other problems: the other keys are
//! still checked, against the version `encode` writes (or the version given, when one of the
//! repeated ones is known), and the version error says which version that was.
//!
//! # Version 1
//!
//! Sample: `v=1&preset=dfly-2008-06-30&ram=512M&writers=4&hog=256M&seed=42&until=600s`
//!
//! Keys, in the order `encode` writes them (a key left out means its value in [`v1_defaults`],
//! which is `Scenario::default()`, the `hammer-lockup` scenario):
//!
//! | key | field | syntax (canonical form first) | default |
//! |---|---|---|---|
//! | `v` | link version | `1` — required | |
//! | `preset` | kernel preset | `dfly-2008-06-29`, `dfly-2008-06-30`, `dfly-2008-07-01`, `dfly-2008-07-08`, `whatif-linux`, `whatif-freebsd` — always written | `dfly-2008-06-30` |
//! | `ram` | `machine.ram_mb` | size | `128M` |
//! | `seek` | `machine.disk_seek_ms` | duration | `8ms` |
//! | `bw` | `machine.disk_mb_s` | size per second | `40M/s` |
//! | `swap` | `machine.swap_mb` | size (`0M` = no swap) | `256M` |
//! | `fs` | `fs` | `hammer`, `ufs` | `hammer` |
//! | `ufsbs` | `ufs_block_kb` | `4K`, `8K`, `16K`, `32K`, `64K` | `16K` |
//! | `writers` | `workload.writers` | count | `2` |
//! | `wfile` | `workload.writer_file_mb` | size | `256M` |
//! | `wrate` | `workload.writer_kb_s` | size per second in KiB, or `unlimited` (= 0) | `1M/s` |
//! | `mmap` | `workload.mmap_writers` | count | `1` |
//! | `mfile` | `workload.mmap_file_mb` | size | `512M` |
//! | `mrate` | `workload.mmap_pages_s` | pages per second: `2500/s` | `2500/s` |
//! | `shared` | `workload.shared` | `on` (the writers write into the mapped files), `off` | `off` |
//! | `hogs` | `workload.hogs` | count | `0` |
//! | `hog` | `workload.hog_mb` | size | `64M` |
//! | `hograte` | `workload.hog_mb_s` | size per second | `8M/s` |
//! | `hogat` | `workload.hog_start_ms` | duration | `0ms` |
//! | `seed` | `seed` | whole number `0..=18446744073709551615` | `1` |
//! | `until` | `duration_ms` | duration | `300s` |
//! | `window` | `hang_window_ms` | duration | `10s` |
//! | `warm` | `warm` | `on` (a machine that has been running the workload), `off` (just booted) | `on` |
//! | `kzone` | `hammer.zone_kb` | size in KiB: `128K`, or `auto` (= 0: as `kmeminit` sizes it for the machine, 32K at 64 MB) | `auto` |
//! | `krec` | `hammer.record_bytes` | bytes: `144` | `144` |
//! | `ksync` | `hammer.flush_ms` | duration | `30s` |
//! | `at` | `interventions` | timed interventions, `30s:hog:64M,60s:sync` ([`super::intervention`]) | none |
//! | `t` | (not the scenario: the moment the page opens at, [`moment`]) | duration | none |
//! | `ev`, `eo`, `eh` | (not the scenario: the fingerprint of its run, [`crate::fingerprint`]) | engine version `0.2.0`; outcome and when `deadlock@120100ms`; trace hash, 16 hex digits | none |
//! | `bio`, `recoverbufpages`, `interrupt`, `timedwait`, `systhread`, `bdexempt`, `hammerbwill`, `usereserve`, `dirtylimit`, `bdspeedup`, `vlocktimo`, `oomkill`, `allocwakeup`, `recycle`, `relbufmin`, `hammerbawrite`, `flushervm`, `emergpager`, then the what-ifs `memalloc`, `mempool`, `flusher`, `pageprocwait`, `laundry` | `overrides` | the values of [`MECHANISMS`] (`on`/`off`, `fix-0701`, `fix-2010`, `fix-2011`, `fix-2012`, `bytes+count`, `mempool` pages `off`/`16`/`32`/`64`, ...) | the preset's |
//!
//! Units: a *size* is whole MiB written `<n>M`, or `<n>G` for a multiple of 1024M (`2G` =
//! `2048M`). A *size per second* is a size followed by `/s` (`40M/s`, `1G/s`); `wrate` is kept in
//! KiB/s, so it also takes `<n>K/s`. A *duration* is `<n>ms`, or `<n>s` for whole seconds
//! (`500ms`, `30s`). Counts and the seed are plain digits. `encode` always picks the largest exact
//! unit (`2048M` becomes `2G`, `30000ms` becomes `30s`; zero is written in the smallest unit);
//! `decode` takes any of them. Durations must be whole ticks (10 ms), as `validate` says.
//!
//! Only mechanisms that differ from the preset are written; `decode` drops overrides equal to the
//! preset ([`PolicyOverrides::normalized`]), so equal policies give equal scenarios and equal links.
//!
//! Values may be percent-encoded (`%2B` for `+`), as browsers sometimes do; `+` itself is a
//! plus, not a space (this is a fragment, not a form). Whitespace around a key or a value, spelt
//! out or percent-encoded (`# ram = 256M`, `%20ram=256M`), is dropped; inside a value it is an
//! error (`128 M`). Empty segments (`a=1&&b=2`, a trailing `&`) are ignored. There is no
//! scenario-preset key: a scenario preset may be retuned later, and a link must keep its meaning,
//! so links spell out every field that differs from the frozen v1 defaults.
//!
//! # Compare links
//!
//! Sample: `v=1&preset=dfly-2008-06-30&ram=64M&seed=19&b.preset=dfly-2008-07-01`
//!
//! Two scenarios in one v1 link, for comparing runs side by side: the plain keys are scenario A,
//! exactly as in a solo link, and each key prefixed `b.` sets that key for scenario B, which is
//! A with those keys applied (so `b.preset=dfly-2008-07-01` is A on the 2008-07-01 kernel, A's
//! overrides included; [`decode_compare`]). Any scenario key may be given with `b.`; `b.v`,
//! `b.t` and the fingerprint keys may not (the version, the moment and the fingerprint belong to
//! the whole link). A problem with a `b.`
//! key names it as written (`b.ram=1M is out of range: b.ram must be in ...`). A link without
//! `b.` keys is a solo link and means exactly what [`decode`] reads; [`decode`] itself refuses
//! `b.` keys, saying they belong to a compare link. [`encode_compare`] writes A's canonical link
//! and then B's differences in the canonical key order; when B equals A it writes
//! `b.preset=` A's kernel, so that the link still compares.
//!
//! The hog keys (`hog`, `hograte`, `hogat`) describe hogs, so a link that says `hogs=0` and gives
//! one of them contradicts itself and is refused (`hog=8G&hogs=0`); a link that leaves `hogs`
//! out may give them (older links do, and they keep their meaning). With hogs, `hogat` must be
//! before `until`: hogs that start after the run ends never run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{FieldError, FsKind, HammerMem, Machine, Scenario, Workload};
use crate::policy::{KernelPreset, PolicyOverrides, MECHANISMS};

/// The version [`encode`] writes.
pub const LINK_VERSION: u32 = 1;

/// The versions [`decode`] reads.
pub const LINK_VERSIONS: [u32; 1] = [1];

/// The longest text [`decode`] reads, in bytes: 64 KiB. Longer text is refused before it is split,
/// with one error; the canonical link of any scenario is well under 2 KiB.
pub const MAX_LINK_BYTES: usize = 64 * 1024;

/// The most problems of one link listed in full; the rest are counted in one last error.
pub const MAX_ERRORS: usize = 20;

/// The scenario keys of a v1 link in canonical order; the mechanism keys of
/// [`MECHANISMS`] follow them.
pub const KEYS: [&str; 28] = [
    "v", "preset", "ram", "seek", "bw", "swap", "fs", "ufsbs", "writers", "wfile", "wrate", "mmap",
    "mfile", "mrate", "shared", "hogs", "hog", "hograte", "hogat", "seed", "until", "window",
    "warm", "kzone", "krec", "ksync", "at", "t",
];

/// The keys of a link that are not the scenario but the fingerprint of its run: the engine
/// version, the outcome and the trace hash it had ([`crate::fingerprint`]). Like `t`, they never
/// change the scenario, so a link with them decodes to the same scenario as one without.
pub const FINGERPRINT_KEYS: [&str; 3] = ["ev", "eo", "eh"];

/// One problem with a link: the key, the value given, what is allowed, and a sentence saying so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkError {
    /// The key as written in the link (`ram`), or `v` for a version problem; empty for a problem
    /// of the link as a whole (too long), and `and N more` for the problems not listed.
    pub key: String,
    /// The value given (percent-decoded), or the value in effect when the key was not given.
    pub given: String,
    /// What is allowed.
    pub allowed: String,
    /// One sentence naming the key, the value and what is allowed.
    pub message: String,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Every problem found in a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkErrors(pub Vec<LinkError>);

impl LinkErrors {
    /// The keys named by the errors, in order.
    pub fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.key.as_str()).collect()
    }
}

impl fmt::Display for LinkErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(&e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for LinkErrors {}

/// The scenario a v1 link describes when it gives no key but `v` (and `preset`).
///
/// Frozen: a v1 link keeps its meaning even if `Scenario::default()` is retuned one day. Today the
/// two are equal (a test says so); a change of defaults belongs in a new link version.
pub fn v1_defaults() -> Scenario {
    Scenario {
        preset: KernelPreset::Dfly20080630,
        overrides: PolicyOverrides::default(),
        machine: Machine {
            ram_mb: 128,
            disk_seek_ms: 8,
            disk_mb_s: 40,
            swap_mb: 256,
        },
        fs: FsKind::Hammer,
        workload: Workload {
            writers: 2,
            writer_file_mb: 256,
            writer_kb_s: 1024,
            mmap_writers: 1,
            mmap_file_mb: 512,
            mmap_pages_s: 2500,
            hogs: 0,
            hog_mb: 64,
            hog_mb_s: 8,
            hog_start_ms: 0,
            shared: false,
        },
        seed: 1,
        duration_ms: 300_000,
        hang_window_ms: 10_000,
        warm: true,
        hammer: HammerMem {
            zone_kb: 0,
            record_bytes: 144,
            flush_ms: 30_000,
        },
        ufs_block_kb: 16,
        interventions: Vec::new(),
    }
}

/// The moment a link asks to be shown at (`t=`, in ms), if it gives one that reads.
pub fn moment(link: &str) -> Option<u64> {
    fragment(link)
        .split('&')
        .filter_map(|seg| seg.split_once('='))
        .find(|(k, _)| k.trim() == "t")
        .and_then(|(_, v)| Unit::Ms.parse(v.trim()))
}

/// The value a link gives `key` (percent-decoded; the first if given twice), without decoding
/// the rest: for the keys that are not the scenario (`t`, [`FINGERPRINT_KEYS`]).
pub fn key_value(link: &str, key: &str) -> Option<String> {
    split(fragment(link), &mut Problems::default())
        .into_iter()
        .find(|p| p.key == key)
        .map(|p| p.value)
}

/// A duration in milliseconds as a link writes it (`109800ms`, `30s`).
pub fn duration_text(ms: u64) -> String {
    Unit::Ms.format(ms)
}

/// A duration as a link writes it (`500ms`, `30s`), in milliseconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    Unit::Ms.parse(text)
}

/// The canonical v1 link of a scenario, without the leading `#`.
pub fn encode(s: &Scenario) -> String {
    let d = v1_defaults();
    let mut out = vec![
        format!("v={LINK_VERSION}"),
        format!("preset={}", s.preset.name()),
    ];
    for key in &KEYS[2..] {
        let v = value_text(s, key);
        if v != value_text(&d, key) {
            out.push(format!("{key}={v}"));
        }
    }
    let overrides = s.overrides.normalized(s.preset);
    for m in MECHANISMS {
        if let Some(v) = overrides.get(m.key) {
            out.push(format!("{}={v}", m.key));
        }
    }
    out.join("&")
}

/// Reads a link: a fragment with or without `#`, or a whole URL. Reports every problem at once
/// (the first [`MAX_ERRORS`] of them in full).
pub fn decode(link: &str) -> Result<Scenario, LinkErrors> {
    if link.len() > MAX_LINK_BYTES {
        // refused before it is split: the cost of a link must not grow with its length
        return Err(LinkErrors(vec![too_long(link.len())]));
    }
    let mut problems = Problems::default();
    let pairs = split(fragment(link), &mut problems);
    let decoded = decode_pairs(&pairs, &mut problems);
    match decoded {
        Some(s) if problems.is_empty() => Ok(s),
        _ => Err(problems.into_errors()),
    }
}

/// Reads the pairs of one scenario, the version among them; `None` when there was a problem,
/// each of them in `problems`.
fn decode_pairs(pairs: &[Pair], problems: &mut Problems) -> Option<Scenario> {
    let versions: Vec<&Pair> = pairs.iter().filter(|p| p.key == "v").collect();
    let rest: Vec<Pair> = pairs.iter().filter(|p| p.key != "v").cloned().collect();
    let known = |p: &Pair| LINK_VERSIONS.into_iter().find(|v| v.to_string() == p.value);
    // The version chooses the decoder. A version problem does not stop the reading: the other
    // keys are checked against the version given, if one of them is known, or else the version
    // `encode` writes, and the version error says so.
    let (version, version_error) = match versions.as_slice() {
        [] => (LINK_VERSION, Some(missing_version())),
        [v] => match known(v) {
            Some(n) => (n, None),
            None => (LINK_VERSION, Some(unknown_version(&v.value))),
        },
        [first, second, ..] => (
            known(first).unwrap_or(LINK_VERSION),
            Some(duplicate("v", &first.value, &second.value)),
        ),
    };
    let mut others = Problems::default();
    // A new format gets its own decoder beside this one, chosen by `version`; `decode_v1` stays
    // as it is, so every v=1 link keeps its meaning.
    let decoded = decode_v1(&rest, &mut others);
    if let Some(mut e) = version_error {
        if !others.is_empty() {
            e.message += &format!(" (the other keys were checked as v={version})");
        }
        problems.add("v", || e);
    }
    let clean = problems.is_empty() && others.is_empty();
    problems.append(others);
    decoded.filter(|_| clean)
}

/// The canonical form of a link: `encode(decode(link))`.
pub fn canonical(link: &str) -> Result<String, LinkErrors> {
    decode(link).map(|s| encode(&s))
}

/// The prefix of the keys of a compare link's second scenario: `b.ram=128M`.
pub const B_PREFIX: &str = "b.";

/// What a link holds when it may be a compare link: scenario A, and scenario B when the link has
/// `b.` keys (`None` for a solo link).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareLink {
    /// The scenario of the link's plain keys.
    pub a: Scenario,
    /// A with the `b.` keys applied; `None` when the link has none.
    pub b: Option<Scenario>,
}

/// Reads a link that may be a compare link (see "Compare links" above). A solo link gives
/// exactly what [`decode`] gives, with `b` = `None`. Every problem is reported at once; those of
/// B name their key as the link spells it (`b.ram`).
pub fn decode_compare(link: &str) -> Result<CompareLink, LinkErrors> {
    if link.len() > MAX_LINK_BYTES {
        return Err(LinkErrors(vec![too_long(link.len())]));
    }
    let mut problems = Problems::default();
    let pairs = split(fragment(link), &mut problems);
    let (b_pairs, a_pairs): (Vec<Pair>, Vec<Pair>) =
        pairs.into_iter().partition(|p| p.key.starts_with(B_PREFIX));
    let a = decode_pairs(&a_pairs, &mut problems);
    if b_pairs.is_empty() {
        return match a {
            Some(a) if problems.is_empty() => Ok(CompareLink { a, b: None }),
            _ => Err(problems.into_errors()),
        };
    }
    let mut of_b = Problems::default();
    let mut keys = Vec::new();
    for p in b_pairs {
        let key = p.key[B_PREFIX.len()..].to_string();
        if key == "v" || key == "t" || FINGERPRINT_KEYS.contains(&key.as_str()) {
            let whose = match key.as_str() {
                "v" => "the version",
                "t" => "the moment shown",
                _ => "the fingerprint of the run",
            };
            of_b.add(&key, || {
                error(
                    &p.key,
                    &p.value,
                    &format!("{key} without b."),
                    format!(
                        "{}={} cannot be given for B: {whose} belongs to the whole link; give \
                         {key}= once, without b.",
                        shown(&p.key),
                        shown(&p.value)
                    ),
                )
            });
        } else {
            keys.push(Pair {
                key,
                value: p.value,
            });
        }
    }
    // B is A with its keys applied; when A could not be read, B's keys are still checked, on
    // the v1 defaults, so that every problem is reported at once
    let base = a.clone().unwrap_or_else(v1_defaults);
    let b = set_v1(base, &keys, "as in A", &mut of_b, B_PREFIX);
    problems.append(of_b);
    match (a, b) {
        (Some(a), Some(b)) if problems.is_empty() => Ok(CompareLink { a, b: Some(b) }),
        _ => Err(problems.into_errors()),
    }
}

/// The canonical compare link of two scenarios, without `#`: A's canonical link, then each key
/// whose value B changes, prefixed `b.`, in the canonical key order. When B equals A the link
/// still says it compares, with `b.preset=` A's preset. When B has no hogs and A has some, B's
/// hog sizes are not written (they mean nothing without hogs): B decodes with A's.
pub fn encode_compare(a: &Scenario, b: &Scenario) -> String {
    let mut out = vec![encode(a)];
    // a link that says b.hogs=0 may not describe B's hogs (a contradiction `decode` refuses):
    // they have no effect, so B keeps A's
    let no_hogs = b.workload.hogs == 0 && a.workload.hogs != 0;
    for key in &KEYS[1..] {
        if *key == "t" || (no_hogs && ["hog", "hograte", "hogat"].contains(key)) {
            continue;
        }
        let v = value_text(b, key);
        if v != value_text(a, key) {
            out.push(format!("{B_PREFIX}{key}={v}"));
        }
    }
    // B's keys are applied on A: A's overrides stay, on B's preset, unless B sets them again
    let on_b = a.overrides.normalized(a.preset).apply(b.preset.policy());
    let want = b.policy();
    for m in MECHANISMS {
        let v = want.get(m.key);
        if on_b.get(m.key) != v {
            out.push(format!("{B_PREFIX}{}={}", m.key, v.unwrap_or_default()));
        }
    }
    if out.len() == 1 {
        out.push(format!("{B_PREFIX}preset={}", b.preset.name()));
    }
    out.join("&")
}

/// Sets link keys on a scenario, with the syntax and the checks of a v1 link (values are taken as
/// they are, not percent-decoded). The command line's `--set ram=256M` is this.
pub fn apply(base: &Scenario, pairs: &[(&str, &str)]) -> Result<Scenario, LinkErrors> {
    let pairs: Vec<Pair> = pairs
        .iter()
        .map(|&(k, v)| Pair {
            key: k.to_string(),
            value: v.to_string(),
        })
        .collect();
    let mut problems = Problems::default();
    for p in pairs.iter().filter(|p| p.key == "v") {
        problems.add(&p.key, || unknown_key(&p.key, &p.value));
    }
    let rest: Vec<Pair> = pairs.into_iter().filter(|p| p.key != "v").collect();
    match set_v1(base.clone(), &rest, "unchanged", &mut problems, "") {
        Some(s) if problems.is_empty() => Ok(s),
        _ => Err(problems.into_errors()),
    }
}

/// Version 1, e.g. `v=1&preset=dfly-2008-07-01&ram=256M&seed=7&recoverbufpages=off`.
fn decode_v1(pairs: &[Pair], problems: &mut Problems) -> Option<Scenario> {
    set_v1(v1_defaults(), pairs, "the default", problems, "")
}

/// The problems found in a link: the first [`MAX_ERRORS`] in full, the rest only counted, so a
/// link of thousands of bad pairs costs a count, not thousands of messages.
#[derive(Debug, Default)]
struct Problems {
    listed: Vec<LinkError>,
    more: usize,
    /// The link keys with a problem, listed or not: `validate` adds one problem per key at most.
    keys: BTreeSet<&'static str>,
}

impl Problems {
    /// Notes a problem of `key`; `problem` builds it only when it will be listed.
    fn add(&mut self, key: &str, problem: impl FnOnce() -> LinkError) {
        if let Some(k) = link_key(key) {
            self.keys.insert(k);
        }
        if self.listed.len() < MAX_ERRORS {
            self.listed.push(problem());
        } else {
            self.more += 1;
        }
    }

    /// Adds the problems of `other` after these.
    fn append(&mut self, other: Problems) {
        self.keys.extend(other.keys);
        for e in other.listed {
            let key = e.key.clone();
            self.add(&key, || e);
        }
        self.more += other.more;
    }

    fn has(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    fn into_errors(mut self) -> LinkErrors {
        if self.more > 0 {
            self.listed.push(and_more(self.more));
        }
        LinkErrors(self.listed)
    }
}

/// The key of a v1 link spelt `key`, if there is one.
fn link_key(key: &str) -> Option<&'static str> {
    KEYS.iter()
        .chain(&FINGERPRINT_KEYS)
        .copied()
        .chain(MECHANISMS.iter().map(|m| m.key))
        .find(|&k| k == key)
}

/// One `key=value` of a link, percent-decoded.
#[derive(Clone, Debug)]
struct Pair {
    key: String,
    value: String,
}

/// What follows the first `#` (or a leading `?`), trimmed; a URL without `#` has an empty
/// fragment.
fn fragment(link: &str) -> &str {
    let t = link.trim();
    let f = match t.find('#') {
        Some(i) => &t[i + 1..],
        None if t.contains("://") => "",
        None => t.strip_prefix('?').unwrap_or(t),
    };
    f.trim()
}

/// The `key=value` pairs of a fragment, percent-decoded, with the whitespace around keys and
/// values dropped.
fn split(frag: &str, problems: &mut Problems) -> Vec<Pair> {
    let mut pairs = Vec::new();
    for seg in frag.split('&').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((k, v)) = seg.split_once('=') else {
            let key = percent_decode(seg).unwrap_or_else(|| seg.to_string());
            let key = key.trim();
            problems.add(key, || {
                error(
                    key,
                    "",
                    "key=value",
                    format!(
                        "{} has no value: a link is key=value pairs joined by &, e.g. ram=256M",
                        shown(key)
                    ),
                )
            });
            continue;
        };
        match (percent_decode(k), percent_decode(v)) {
            (Some(key), Some(value)) => pairs.push(Pair {
                key: key.trim().to_string(),
                value: value.trim().to_string(),
            }),
            (key, _) => {
                let key = key.unwrap_or_else(|| k.to_string());
                let (key, v) = (key.trim(), v.trim());
                problems.add(key, || {
                    error(
                        key,
                        v,
                        "percent escapes %XX (two hex digits) of UTF-8 text",
                        format!(
                            "{}={} has a bad percent escape: allowed are %XX with two hex digits \
                             that together spell UTF-8 text",
                            shown(key),
                            shown(v)
                        ),
                    )
                });
            }
        }
    }
    pairs
}

/// `%XX` decoding; `None` for a bad escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = hex(*b.get(i + 1)?)?;
            let lo = hex(*b.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Sets the pairs on `s`, then checks the result with `Scenario::validate`. `origin` says where
/// the value of a key that was not given comes from, for messages; `prefix` is how the link
/// spells the keys (`b.` for the second scenario of a compare link), for messages too. `None`
/// when there was a problem, each of them in `problems`.
fn set_v1(
    mut s: Scenario,
    pairs: &[Pair],
    origin: &str,
    problems: &mut Problems,
    prefix: &str,
) -> Option<Scenario> {
    let named = |key: &str| format!("{prefix}{key}");
    let before = problems.listed.len() + problems.more;
    // key -> value as given, for duplicates and for messages about validated values
    let mut given: BTreeMap<&str, &str> = BTreeMap::new();
    let mut bad_syntax: Vec<&str> = Vec::new();
    for p in pairs {
        let (key, value) = (p.key.as_str(), p.value.as_str());
        let known = KEYS[1..].contains(&key)
            || FINGERPRINT_KEYS.contains(&key)
            || MECHANISMS.iter().any(|m| m.key == key);
        if !known {
            problems.add(key, || unknown_key(&named(key), value));
            continue;
        }
        if let Some(first) = given.get(key) {
            problems.add(key, || duplicate(&named(key), first, value));
            continue;
        }
        given.insert(key, value);
        if let Err(allowed) = set_value(&mut s, key, value) {
            bad_syntax.push(key);
            problems.add(key, || malformed(&named(key), value, &allowed));
        }
    }
    // `hogs=0` and a hog key in one link contradict each other (a link without `hogs` may give
    // the hog keys: encode writes them whenever they differ from the defaults)
    if given.contains_key("hogs") && !bad_syntax.contains(&"hogs") && s.workload.hogs == 0 {
        for key in ["hog", "hograte", "hogat"] {
            if let Some(value) = given.get(key).filter(|_| !problems.has(key)) {
                problems.add(key, || without_hogs(&named(key), value));
            }
        }
    }
    s.overrides = s.overrides.normalized(s.preset);
    if let Err(e) = s.validate() {
        for fe in e.0 {
            // one problem per key: the first `validate` finds (the range, before the tick
            // granularity), and none for a key whose value could not even be read
            if problems.has(&fe.field) || bad_syntax.contains(&fe.field.as_str()) {
                continue;
            }
            let shown_given = given.get(fe.field.as_str()).copied();
            problems.add(&fe.field, || invalid(&fe, shown_given, &s, origin, prefix));
        }
    }
    (problems.listed.len() + problems.more == before).then_some(s)
}

// ---- values ----

/// How a numeric field is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// Plain digits.
    Count,
    /// MiB: `128M`, `2G`.
    Mib,
    /// MiB/s: `40M/s`, `1G/s`.
    MibPerS,
    /// KiB/s: `512K/s`, `4M/s`, `1G/s`; 0 is `unlimited`.
    KibPerS,
    /// Milliseconds: `500ms`, `30s`.
    Ms,
    /// KiB: `128K`, `1M`.
    Kib,
    /// KiB, or `auto` (0): `128K`, `auto`.
    KibOrAuto,
    /// Per second: `4000/s`.
    PerS,
}

impl Unit {
    /// Suffixes and their multiples of the field's unit, smallest first.
    fn suffixes(self) -> &'static [(&'static str, u64)] {
        match self {
            Unit::Count => &[("", 1)],
            Unit::Mib => &[("M", 1), ("G", 1024)],
            Unit::MibPerS => &[("M/s", 1), ("G/s", 1024)],
            Unit::KibPerS => &[("K/s", 1), ("M/s", 1024), ("G/s", 1024 * 1024)],
            Unit::Ms => &[("ms", 1), ("s", 1000)],
            Unit::Kib | Unit::KibOrAuto => &[("K", 1), ("M", 1024)],
            Unit::PerS => &[("/s", 1)],
        }
    }

    fn allowed(self) -> &'static str {
        match self {
            Unit::Count => "a whole number like 2",
            Unit::Mib => "a size in MiB or GiB like 128M or 2G",
            Unit::MibPerS => "a rate like 40M/s or 1G/s",
            Unit::KibPerS => "a rate like 512K/s, 4M/s or 1G/s, or unlimited",
            Unit::Ms => "a duration like 500ms or 30s",
            Unit::Kib => "a size in KiB or MiB like 128K or 1M",
            Unit::KibOrAuto => "a size in KiB or MiB like 128K or 1M, or auto",
            Unit::PerS => "a rate in pages per second like 4000/s",
        }
    }

    /// The word a unit writes for 0, when it has one.
    fn zero_word(self) -> Option<&'static str> {
        match self {
            Unit::KibPerS => Some("unlimited"),
            Unit::KibOrAuto => Some("auto"),
            _ => None,
        }
    }

    /// The canonical text: the largest exact suffix; zero in the smallest.
    fn format(self, v: u64) -> String {
        if let (0, Some(word)) = (v, self.zero_word()) {
            return word.into();
        }
        let sfx = self.suffixes();
        let (name, mult) = sfx
            .iter()
            .rev()
            .find(|&&(_, m)| v != 0 && v % m == 0)
            .copied()
            .unwrap_or(sfx[0]);
        format!("{}{name}", v / mult)
    }

    /// Parses a value in any of the suffixes. A number too big for `u64` becomes `u64::MAX`,
    /// which every limit rejects, so the message comes from `validate`.
    fn parse(self, text: &str) -> Option<u64> {
        if self.zero_word() == Some(text) {
            return Some(0);
        }
        // longest suffix first, so that `ms` is not read as `m` + `s`
        let mut sfx: Vec<_> = self.suffixes().to_vec();
        sfx.sort_by_key(|&(name, _)| std::cmp::Reverse(name.len()));
        sfx.into_iter().find_map(|(name, mult)| {
            let digits = text.strip_suffix(name)?;
            Some(whole_number(digits)?.saturating_mul(mult))
        })
    }
}

/// Plain decimal digits, saturating at `u64::MAX`; `None` for anything else.
fn whole_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        s.bytes()
            .try_fold(0u64, |n, b| {
                n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
            })
            .unwrap_or(u64::MAX),
    )
}

fn sat32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// The numeric fields: link key, unit, getter and setter.
type NumField = (
    &'static str,
    Unit,
    fn(&Scenario) -> u64,
    fn(&mut Scenario, u64),
);

const NUM_FIELDS: [NumField; 21] = [
    (
        "ufsbs",
        Unit::Kib,
        |s| s.ufs_block_kb.into(),
        |s, v| s.ufs_block_kb = sat32(v),
    ),
    (
        "swap",
        Unit::Mib,
        |s| s.machine.swap_mb.into(),
        |s, v| s.machine.swap_mb = sat32(v),
    ),
    (
        "kzone",
        Unit::KibOrAuto,
        |s| s.hammer.zone_kb.into(),
        |s, v| s.hammer.zone_kb = sat32(v),
    ),
    (
        "krec",
        Unit::Count,
        |s| s.hammer.record_bytes.into(),
        |s, v| s.hammer.record_bytes = sat32(v),
    ),
    (
        "ksync",
        Unit::Ms,
        |s| s.hammer.flush_ms,
        |s, v| s.hammer.flush_ms = v,
    ),
    (
        "ram",
        Unit::Mib,
        |s| s.machine.ram_mb.into(),
        |s, v| s.machine.ram_mb = sat32(v),
    ),
    (
        "seek",
        Unit::Ms,
        |s| s.machine.disk_seek_ms.into(),
        |s, v| s.machine.disk_seek_ms = sat32(v),
    ),
    (
        "bw",
        Unit::MibPerS,
        |s| s.machine.disk_mb_s.into(),
        |s, v| s.machine.disk_mb_s = sat32(v),
    ),
    (
        "writers",
        Unit::Count,
        |s| s.workload.writers.into(),
        |s, v| s.workload.writers = sat32(v),
    ),
    (
        "wfile",
        Unit::Mib,
        |s| s.workload.writer_file_mb.into(),
        |s, v| s.workload.writer_file_mb = sat32(v),
    ),
    (
        "wrate",
        Unit::KibPerS,
        |s| s.workload.writer_kb_s.into(),
        |s, v| s.workload.writer_kb_s = sat32(v),
    ),
    (
        "mmap",
        Unit::Count,
        |s| s.workload.mmap_writers.into(),
        |s, v| s.workload.mmap_writers = sat32(v),
    ),
    (
        "mfile",
        Unit::Mib,
        |s| s.workload.mmap_file_mb.into(),
        |s, v| s.workload.mmap_file_mb = sat32(v),
    ),
    (
        "mrate",
        Unit::PerS,
        |s| s.workload.mmap_pages_s.into(),
        |s, v| s.workload.mmap_pages_s = sat32(v),
    ),
    (
        "hogs",
        Unit::Count,
        |s| s.workload.hogs.into(),
        |s, v| s.workload.hogs = sat32(v),
    ),
    (
        "hog",
        Unit::Mib,
        |s| s.workload.hog_mb.into(),
        |s, v| s.workload.hog_mb = sat32(v),
    ),
    (
        "hograte",
        Unit::MibPerS,
        |s| s.workload.hog_mb_s.into(),
        |s, v| s.workload.hog_mb_s = sat32(v),
    ),
    (
        "hogat",
        Unit::Ms,
        |s| s.workload.hog_start_ms,
        |s, v| s.workload.hog_start_ms = v,
    ),
    (
        "until",
        Unit::Ms,
        |s| s.duration_ms,
        |s, v| s.duration_ms = v,
    ),
    (
        "window",
        Unit::Ms,
        |s| s.hang_window_ms,
        |s, v| s.hang_window_ms = v,
    ),
    ("seed", Unit::Count, |s| s.seed, |s, v| s.seed = v),
];

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn num_field(key: &str) -> Option<&'static NumField> {
    NUM_FIELDS.iter().find(|f| f.0 == key)
}

/// The numeric scenario keys, in canonical order: every key whose value is a number in a unit of
/// its own (`ram` in MiB, `mrate` in pages per second, `until` in ms, ...). The seed is not one of
/// them: it names a run, it does not measure anything.
pub fn numeric_keys() -> Vec<&'static str> {
    KEYS.iter()
        .copied()
        .filter(|&k| k != "seed" && num_field(k).is_some())
        .collect()
}

/// Reads `text` in the syntax of the numeric key `key` (`parse_number("ram", "2G")` = 2048, in
/// the key's own unit); the error says what the key takes. The number is not checked against the
/// scenario's limits: [`apply`] does that.
pub fn parse_number(key: &str, text: &str) -> Result<u64, String> {
    let &(_, unit, _, _) = num_field(key).filter(|_| key != "seed").ok_or_else(|| {
        format!(
            "{} is not a numeric key: allowed are {}",
            shown(key),
            numeric_keys().join(", ")
        )
    })?;
    unit.parse(text).ok_or_else(|| {
        format!(
            "{key}={} does not read: {key} takes {}",
            shown(text),
            unit.allowed()
        )
    })
}

/// A number of the numeric key `key` in its canonical syntax (`number_text("ram", 2048)` = `2G`).
pub fn number_text(key: &str, v: u64) -> String {
    unit_text(key, v)
}

/// The value of the numeric key `key` in `s`, in the key's own unit.
pub fn number_of(s: &Scenario, key: &str) -> Option<u64> {
    num_field(key).map(|f| (f.2)(s))
}

/// Reads a value in the syntax of the numeric key `key` (`unit_parse("hog", "64M")` = 64).
pub(super) fn unit_parse(key: &str, text: &str) -> Option<u64> {
    num_field(key).and_then(|f| f.1.parse(text))
}

/// Writes a value in the canonical syntax of the numeric key `key`.
pub(super) fn unit_text(key: &str, v: u64) -> String {
    num_field(key).map_or_else(|| v.to_string(), |f| f.1.format(v))
}

fn preset_names() -> String {
    KernelPreset::ALL.map(KernelPreset::name).join(", ")
}

/// The canonical text of a scenario key's value.
fn value_text(s: &Scenario, key: &str) -> String {
    match key {
        "preset" => s.preset.name().into(),
        "fs" => s.fs.name().into(),
        "warm" => on_off(s.warm).into(),
        "shared" => on_off(s.workload.shared).into(),
        "at" => super::intervention::list_text(&s.interventions),
        _ => match num_field(key) {
            Some(&(_, unit, get, _)) => unit.format(get(s)),
            None => String::new(),
        },
    }
}

/// Sets one key from its link value; the error is what is allowed.
fn set_value(s: &mut Scenario, key: &str, value: &str) -> Result<(), String> {
    match key {
        "preset" => {
            s.preset = KernelPreset::from_name(value)
                .ok_or_else(|| format!("one of {}", preset_names()))?;
        }
        "fs" => {
            s.fs = [FsKind::Hammer, FsKind::Ufs]
                .into_iter()
                .find(|f| f.name() == value)
                .ok_or("one of hammer, ufs")?;
        }
        "at" => {
            s.interventions = super::intervention::parse_list(value)?;
        }
        "t" => {
            // the moment the page shows: not part of the scenario, but a duration all the same
            Unit::Ms.parse(value).ok_or(Unit::Ms.allowed())?;
        }
        "ev" | "eo" | "eh" => crate::fingerprint::check_value(key, value)?,
        "warm" | "shared" => {
            let on = match value {
                "on" => true,
                "off" => false,
                _ => return Err("one of on, off".into()),
            };
            if key == "warm" {
                s.warm = on;
            } else {
                s.workload.shared = on;
            }
        }
        "seed" => {
            // the seed has no limit but its type, so a seed too big is a syntax error
            let allowed = format!("a whole number 0..={}", u64::MAX);
            if !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(allowed);
            }
            s.seed = value.parse().map_err(|_| allowed)?;
        }
        _ => {
            if let Some(&(_, unit, _, set)) = num_field(key) {
                let v = unit.parse(value).ok_or(unit.allowed())?;
                set(s, v);
            } else {
                let m = MECHANISMS
                    .iter()
                    .find(|m| m.key == key)
                    .ok_or("a known key")?;
                s.overrides
                    .set(key, value)
                    .map_err(|_| format!("one of {}", m.values.join(", ")))?;
            }
        }
    }
    Ok(())
}

// ---- errors ----

/// A value for messages: escaped and cut short, so that any input prints as one tidy line.
fn shown(s: &str) -> String {
    const MAX: usize = 48;
    let e: String = s.escape_debug().collect();
    if e.chars().count() > MAX {
        let cut: String = e.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        e
    }
}

fn error(key: &str, given: &str, allowed: &str, message: String) -> LinkError {
    LinkError {
        key: shown(key),
        given: shown(given),
        allowed: allowed.to_string(),
        message,
    }
}

fn all_keys() -> String {
    let mech = MECHANISMS.iter().map(|m| m.key);
    KEYS.iter()
        .chain(&FINGERPRINT_KEYS)
        .copied()
        .chain(mech)
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_key(key: &str, value: &str) -> LinkError {
    let allowed = all_keys();
    // a key of a compare link's second scenario, read where one scenario is expected
    let compare = if key.starts_with(B_PREFIX) && link_key(&key[B_PREFIX.len()..]).is_some() {
        " is a key of the second scenario of a compare link, which holds two scenarios \
         (`pageout-sim diff` and the page's compare mode read it);"
    } else {
        ":"
    };
    let message = format!(
        "unknown key {} (given as {}={}){compare} the keys of a v1 link are {allowed}",
        shown(key),
        shown(key),
        shown(value)
    );
    error(key, value, &allowed, message)
}

fn duplicate(key: &str, first: &str, second: &str) -> LinkError {
    let message = format!(
        "{k} is given twice ({k}={} and {k}={}): each key may appear once",
        shown(first),
        shown(second),
        k = shown(key)
    );
    error(key, second, "each key once", message)
}

fn malformed(key: &str, value: &str, allowed: &str) -> LinkError {
    let message = format!(
        "{k}={} is not a valid value: {k} takes {allowed}",
        shown(value),
        k = shown(key)
    );
    error(key, value, allowed, message)
}

fn without_hogs(key: &str, value: &str) -> LinkError {
    let message = format!(
        "{key}={} has no effect with hogs=0: give hogs=1 or more, or leave {key} out",
        shown(value)
    );
    error(key, value, "only with hogs=1 or more", message)
}

fn too_long(bytes: usize) -> LinkError {
    let message = format!(
        "the link is {bytes} bytes long: links of at most {MAX_LINK_BYTES} bytes (64 KiB) are \
         read; a scenario's link is well under 2 KiB"
    );
    error(
        "",
        &format!("{bytes} bytes"),
        &format!("at most {MAX_LINK_BYTES} bytes"),
        message,
    )
}

fn and_more(n: usize) -> LinkError {
    let key = format!("and {n} more");
    let message = format!("{key} problems: only the first {MAX_ERRORS} are listed");
    LinkError {
        key,
        given: String::new(),
        allowed: String::new(),
        message,
    }
}

fn versions() -> String {
    LINK_VERSIONS.map(|v| v.to_string()).join(", ")
}

fn missing_version() -> LinkError {
    let message = format!(
        "the link has no version: it must have v={LINK_VERSION} (versions this build reads: {})",
        versions()
    );
    error("v", "", &versions(), message)
}

fn unknown_version(given: &str) -> LinkError {
    let newer = whole_number(given).is_some_and(|v| v > u64::from(LINK_VERSION));
    let message = if newer {
        format!(
            "v={} comes from a newer version of Pageout Lab than this one, which reads links \
             up to v={LINK_VERSION}: open it where it was made, or with the newer version",
            shown(given)
        )
    } else {
        format!(
            "v={} is not a link version this build reads: allowed are {}",
            shown(given),
            versions()
        )
    };
    error("v", given, &versions(), message)
}

/// A problem `Scenario::validate` found, as a link error. `given` is the value as the link wrote
/// it, when the link gave the key.
fn invalid(
    fe: &FieldError,
    given: Option<&str>,
    s: &Scenario,
    origin: &str,
    prefix: &str,
) -> LinkError {
    let field = fe.field.as_str();
    let value = match given {
        Some(g) => shown(g),
        None => format!("{} ({})", shown(&fe.given), origin_of(field, s, origin)),
    };
    let key = &format!("{prefix}{field}");
    let message = if field == "at" {
        // a list: say which of its interventions is wrong
        format!(
            "{key}: {} is not allowed: it must be {}",
            shown(&fe.given),
            fe.allowed
        )
    } else if MECHANISMS.iter().any(|m| m.key == field) {
        format!(
            "{key}={value} conflicts with another setting: {}",
            fe.allowed
        )
    } else if fe.allowed.contains("..=") {
        format!(
            "{key}={value} is out of range: {key} must be in {}",
            fe.allowed
        )
    } else {
        format!("{key}={value} is not allowed: {key} must be {}", fe.allowed)
    };
    // the interventions are a list: the one named is what was given wrong
    let given = if field == "at" {
        shown(&fe.given)
    } else {
        given.map(shown).unwrap_or_else(|| fe.given.clone())
    };
    LinkError {
        key: key.to_string(),
        given,
        allowed: fe.allowed.clone(),
        message,
    }
}

fn origin_of(key: &str, s: &Scenario, origin: &str) -> String {
    if MECHANISMS.iter().any(|m| m.key == key) && s.overrides.get(key).is_none() {
        format!("from preset={}", s.preset.name())
    } else {
        origin.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{limits, ScenarioPreset};

    fn err(link: &str) -> LinkErrors {
        decode(link).expect_err(link)
    }

    #[test]
    fn the_v1_defaults_keep_their_meaning_when_the_default_scenario_is_retuned() {
        // Scenario::default() moved to a 64 MB machine and the seed of a lockup; v1 links keep
        // the 128 MB machine and seed 1, so the default link spells both out. Keys added to v1
        // later (swap, warm, shared, kzone, krec, ksync) default to the engine's current values.
        assert_eq!(
            v1_defaults(),
            Scenario {
                machine: Machine {
                    ram_mb: 128,
                    ..Scenario::default().machine
                },
                seed: 1,
                ..Scenario::default()
            }
        );
    }

    #[test]
    fn the_default_scenario_link_names_only_what_differs_from_v1() {
        assert_eq!(
            encode(&Scenario::default()),
            "v=1&preset=dfly-2008-06-30&ram=64M&seed=19"
        );
        assert_eq!(
            decode("v=1&preset=dfly-2008-06-30&ram=64M&seed=19"),
            Ok(Scenario::default())
        );
    }

    #[test]
    fn a_moment_in_a_link_is_read_but_is_not_the_scenario() {
        let l = "v=1&preset=dfly-2008-06-30&ram=64M&seed=19&t=109800ms";
        assert_eq!(moment(l), Some(109_800));
        assert_eq!(moment("v=1&t=110s"), Some(110_000));
        assert_eq!(moment("v=1&preset=dfly-2008-06-30"), None);
        // the scenario is the same with or without it, and its canonical link has none
        assert_eq!(
            decode(l),
            decode("v=1&preset=dfly-2008-06-30&ram=64M&seed=19")
        );
        assert!(!canonical(l).unwrap().contains("&t="));
        assert_eq!(err("v=1&t=soon").keys(), vec!["t"]);
    }

    #[test]
    fn the_module_samples_are_canonical() {
        for link in [
            "v=1&preset=dfly-2008-07-01&ram=256M&mmap=2&hogat=30s&seed=7&recoverbufpages=off",
            "v=1&preset=dfly-2008-06-30&ram=512M&writers=4&hog=256M&seed=42&until=600s",
        ] {
            assert_eq!(canonical(link).as_deref(), Ok(link));
        }
    }

    #[test]
    fn the_longest_canonical_link_is_far_below_the_limit() {
        // every key away from its default, at its longest, and every mechanism overridden
        let mut s = v1_defaults();
        s.preset = KernelPreset::Dfly20080629;
        s.machine = Machine {
            ram_mb: 4095,
            disk_seek_ms: 99,
            disk_mb_s: 1999,
            swap_mb: 16_383,
        };
        s.fs = FsKind::Ufs;
        s.ufs_block_kb = 32;
        s.workload = Workload {
            writers: 7,
            writer_file_mb: 8191,
            writer_kb_s: 999_999,
            mmap_writers: 3,
            mmap_file_mb: 8191,
            mmap_pages_s: 999_999,
            hogs: 3,
            hog_mb: 8191,
            hog_mb_s: 9999,
            hog_start_ms: 3_599_990,
            shared: true,
        };
        s.seed = u64::MAX;
        (s.duration_ms, s.hang_window_ms) = (3_599_990, 599_990);
        s.warm = false;
        s.hammer = HammerMem {
            zone_kb: 1023,
            record_bytes: 4095,
            flush_ms: 599_990,
        };
        let policy = s.preset.policy();
        for m in MECHANISMS {
            let other = m
                .values
                .iter()
                .rev()
                .find(|&&v| Some(v) != policy.get(m.key));
            s.overrides.set(m.key, other.unwrap()).unwrap();
        }
        // as many interventions as allowed, each with the longest text
        s.interventions = (0..super::super::intervention::MAX_INTERVENTIONS as u64)
            .map(|i| super::super::intervention::Intervention {
                at_ms: 3_599_990 - i * 10,
                action: super::super::intervention::Action::Wrate { kb_s: 999_999 },
            })
            .rev()
            .collect();
        let link = encode(&s);
        // every key but `t` (the moment the page shows, not part of the scenario)
        assert_eq!(
            link.matches('&').count(),
            KEYS.len() - 1 + MECHANISMS.len() - 1,
            "{link}"
        );
        assert!(link.len() < 2048, "{} bytes: {link}", link.len());
    }

    #[test]
    fn every_scenario_preset_round_trips() {
        for p in ScenarioPreset::ALL {
            let s = p.scenario();
            assert_eq!(decode(&encode(&s)), Ok(s), "{}", p.name());
        }
    }

    #[test]
    fn units_are_written_in_the_largest_exact_unit() {
        let mut s = v1_defaults();
        s.machine.ram_mb = 2048;
        s.machine.disk_mb_s = 1024;
        s.workload.writer_kb_s = 1536;
        s.workload.hog_start_ms = 30_000;
        s.hang_window_ms = 1_500;
        s.workload.mmap_pages_s = 1000;
        assert_eq!(
            encode(&s),
            "v=1&preset=dfly-2008-06-30&ram=2G&bw=1G/s&wrate=1536K/s&mrate=1000/s&hogat=30s\
             &window=1500ms"
        );
    }

    #[test]
    fn every_unit_of_a_key_decodes_to_the_same_value() {
        let a = decode("v=1&preset=dfly-2008-06-30&ram=1024M&wrate=4096K/s&until=60000ms");
        let b = decode("v=1&preset=dfly-2008-06-30&ram=1G&wrate=4M/s&until=60s");
        assert_eq!(a, b);
        assert_eq!(a.unwrap().workload.writer_kb_s, 4096);
    }

    #[test]
    fn unlimited_is_a_zero_writer_rate() {
        let s = decode("v=1&preset=dfly-2008-06-30&wrate=0K/s").unwrap();
        assert_eq!(s.workload.writer_kb_s, 0);
        assert_eq!(value_text(&s, "wrate"), "unlimited");
    }

    #[test]
    fn auto_is_a_zone_sized_by_kmeminit() {
        let s = decode("v=1&preset=dfly-2008-06-30&ram=64M").unwrap();
        assert_eq!(s.hammer.zone_kb, 0);
        assert_eq!(value_text(&s, "kzone"), "auto");
        assert_eq!(s.zone_bytes(), 32 * 1024);
        assert_eq!(
            decode("v=1&preset=dfly-2008-06-30&ram=64M&kzone=auto").unwrap(),
            s
        );
        let big = decode("v=1&ram=512M").unwrap();
        assert_eq!(big.zone_bytes(), 128 * 1024);
        let given = decode("v=1&ram=64M&kzone=128K").unwrap();
        assert_eq!(
            (given.hammer.zone_kb, given.zone_bytes()),
            (128, 128 * 1024)
        );
        assert!(encode(&given).contains("kzone=128K"));
        assert!(!encode(&s).contains("kzone"));
        let e = err("v=1&kzone=2K");
        assert!(e.to_string().contains("or auto"), "{e}");
    }

    #[test]
    fn a_url_and_a_hash_are_read_like_the_bare_fragment() {
        let bare = decode("v=1&preset=dfly-2008-07-01&seed=9").unwrap();
        assert_eq!(decode("#v=1&preset=dfly-2008-07-01&seed=9").unwrap(), bare);
        assert_eq!(
            decode("https://example.org/pageout/#v=1&preset=dfly-2008-07-01&seed=9").unwrap(),
            bare
        );
        assert_eq!(
            decode("  #v=1&preset=dfly-2008-07-01&seed=9&\n").unwrap(),
            bare
        );
    }

    #[test]
    fn percent_escapes_are_decoded() {
        let s = decode("v%3D1&preset=dfly-2008-07-08&dirtylimit=bytes%2Bcount");
        // `v%3D1` is a key without a value, not v=1: escapes never split pairs
        assert_eq!(s.unwrap_err().keys(), ["v=1", "v"]);
        let s = decode("v=1&preset=dfly-2008-07-0%31&dirtylimit=bytes%2Bcount&ram=256%4D").unwrap();
        assert_eq!(s.preset, KernelPreset::Dfly20080701);
        assert_eq!(s.machine.ram_mb, 256);
        assert_eq!(s.overrides.get("dirtylimit"), Some("bytes+count"));
    }

    #[test]
    fn a_bad_percent_escape_names_the_key() {
        let e = err("v=1&preset=dfly-2008-06-30&ram=12%G8M&seed=%FF");
        assert_eq!(e.keys(), ["ram", "seed"]);
        assert!(
            e.0[0].message.contains("percent escape"),
            "{}",
            e.0[0].message
        );
    }

    #[test]
    fn overrides_equal_to_the_preset_are_dropped() {
        let s = decode("v=1&preset=dfly-2008-07-01&recoverbufpages=on&systhread=off").unwrap();
        assert_eq!(s.overrides.recoverbufpages, None);
        assert_eq!(encode(&s), "v=1&preset=dfly-2008-07-01&systhread=off");
    }

    #[test]
    fn a_missing_preset_is_the_v1_default() {
        let s = decode("v=1&seed=3").unwrap();
        assert_eq!(s.preset, KernelPreset::Dfly20080630);
        assert_eq!(
            canonical("v=1&seed=3").unwrap(),
            "v=1&preset=dfly-2008-06-30&seed=3"
        );
    }

    #[test]
    fn an_unknown_key_names_the_keys_allowed() {
        let e = err("v=1&preset=dfly-2008-06-30&ramsize=128M").0;
        assert_eq!(e[0].key, "ramsize");
        assert_eq!(e[0].given, "128M");
        assert!(e[0].allowed.contains("ram, seek, bw"), "{}", e[0].allowed);
        let last = MECHANISMS[MECHANISMS.len() - 1].key;
        assert!(e[0].allowed.ends_with(last), "{}", e[0].allowed);
        assert!(e[0]
            .message
            .starts_with("unknown key ramsize (given as ramsize=128M)"));
    }

    #[test]
    fn a_key_given_twice_is_an_error() {
        let e = err("v=1&preset=dfly-2008-06-30&seed=1&seed=2").0;
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].key, "seed");
        assert_eq!(
            e[0].message,
            "seed is given twice (seed=1 and seed=2): each key may appear once"
        );
        assert_eq!(err("v=1&v=1").keys(), ["v"]);
    }

    #[test]
    fn a_malformed_value_says_the_syntax_of_its_key() {
        let e = err("v=1&preset=dfly-2008-06-30&ram=128&until=5min&fs=zfs&bio=yes").0;
        assert_eq!(
            e.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["ram", "until", "fs", "bio"]
        );
        assert_eq!(
            e[0].message,
            "ram=128 is not a valid value: ram takes a size in MiB or GiB like 128M or 2G"
        );
        assert_eq!(e[2].allowed, "one of hammer, ufs");
        let bio = MECHANISMS.iter().find(|m| m.key == "bio").unwrap();
        assert_eq!(e[3].allowed, format!("one of {}", bio.values.join(", ")));
        assert!(e[3]
            .allowed
            .starts_with("one of pre-0630, fix-0701, fix-0708"));
    }

    #[test]
    fn signs_spaces_and_fractions_are_not_numbers() {
        for v in [
            "+128M", "-1M", "1.5G", "128 M", "1 28M", "128m", "0x80M", "M", "",
        ] {
            let e = err(&format!("v=1&preset=dfly-2008-06-30&ram={v}"));
            assert_eq!(e.keys(), ["ram"], "{v:?}");
        }
        assert_eq!(err("v=1&preset=dfly-2008-06-30&seed=+7").keys(), ["seed"]);
    }

    #[test]
    fn out_of_range_numbers_use_the_scenario_limits() {
        let e = err("v=1&preset=dfly-2008-06-30&ram=8G").0;
        assert_eq!(e[0].key, "ram");
        assert_eq!(e[0].given, "8G");
        assert_eq!(
            e[0].allowed,
            format!("{}M..={}M", limits::RAM_MB.0, limits::RAM_MB.1)
        );
        assert_eq!(
            e[0].message,
            "ram=8G is out of range: ram must be in 32M..=4096M"
        );
    }

    #[test]
    fn numbers_too_big_for_any_type_are_out_of_range_not_a_panic() {
        let e = err(
            "v=1&preset=dfly-2008-06-30&ram=99999999999999999999999G&until=99999999999999999999s",
        );
        assert_eq!(e.keys(), ["ram", "until"]);
        let e = err("v=1&preset=dfly-2008-06-30&seed=18446744073709551616");
        assert_eq!(e.0[0].allowed, "a whole number 0..=18446744073709551615");
        let s = decode("v=1&preset=dfly-2008-06-30&seed=18446744073709551615").unwrap();
        assert_eq!(s.seed, u64::MAX);
    }

    #[test]
    fn durations_must_be_whole_ticks() {
        let e = err("v=1&preset=dfly-2008-06-30&window=1005ms").0;
        assert_eq!(e[0].key, "window");
        assert_eq!(
            e[0].message,
            "window=1005ms is not allowed: window must be a multiple of 10ms (one tick at hz=100)"
        );
    }

    #[test]
    fn conflicting_mechanisms_name_the_preset_when_the_link_did_not_set_them() {
        let e = err("v=1&preset=dfly-2008-07-01&bio=pre-0630").0;
        assert_eq!(
            e.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["recoverbufpages", "interrupt", "timedwait"]
        );
        assert_eq!(
            e[0].message,
            "recoverbufpages=on (from preset=dfly-2008-07-01) conflicts with another setting: \
             recoverbufpages=on needs bio=fix-0701 or a later bio_page_alloc()"
        );
        let e = err("v=1&preset=dfly-2008-06-30&recoverbufpages=on").0;
        assert_eq!(e[0].given, "on");
        assert!(
            e[0].message.starts_with("recoverbufpages=on conflicts"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn too_many_hogs_for_the_machine_is_a_conflict_on_hog() {
        let e = err("v=1&preset=dfly-2008-06-30&ram=64M&hogs=3").0;
        assert_eq!(e[0].key, "hog");
        assert!(e[0].message.contains("(the default)"), "{}", e[0].message);
        assert!(
            e[0].message.contains("at most twice ram (128M) in all"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn a_missing_or_unknown_version_is_an_error() {
        let e = err("preset=dfly-2008-06-30&ram=256M").0;
        assert_eq!((e[0].key.as_str(), e[0].allowed.as_str()), ("v", "1"));
        assert_eq!(
            e[0].message,
            "the link has no version: it must have v=1 (versions this build reads: 1)"
        );
        let e = err("v=2&preset=dfly-2008-06-30").0;
        assert_eq!(e[0].given, "2");
        assert_eq!(
            e[0].message,
            "v=2 comes from a newer version of Pageout Lab than this one, which reads links up to \
             v=1: open it where it was made, or with the newer version"
        );
        assert_eq!(
            err("v=x").0[0].message,
            "v=x is not a link version this build reads: allowed are 1"
        );
        assert_eq!(err("").keys(), ["v"]);
        assert_eq!(err("https://example.org/").keys(), ["v"]);
    }

    #[test]
    fn a_version_problem_does_not_hide_the_others() {
        let e = err("v=2&preset=dfly-2008-06-30&ram=1T&what=ever").0;
        assert_eq!(
            e.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["v", "ram", "what"]
        );
        assert_eq!(
            e[0].message,
            "v=2 comes from a newer version of Pageout Lab than this one, which reads links up to \
             v=1: open it where it was made, or with the newer version (the other keys were \
             checked as v=1)"
        );
        assert_eq!(err("ram=1T&seed=x").keys(), ["v", "ram", "seed"]);
        assert_eq!(err("v=1&v=3&ram=1T").keys(), ["v", "ram"]);
        // with nothing else wrong, the version error is the one it always was
        assert_eq!(
            err("seed=3").0[0].message,
            "the link has no version: it must have v=1 (versions this build reads: 1)"
        );
    }

    #[test]
    fn whitespace_around_keys_and_values_is_dropped() {
        let want = decode("v=1&ram=256M&seed=4").unwrap();
        for link in [
            "# v=1&ram=256M&seed=4",
            "#v = 1 & ram = 256M &\tseed=4 ",
            "v=1&%20ram%20=%20256M&seed=4%0A",
            "?v=1&ram=256M&seed=4",
            " ? v=1&ram=256M&seed=4",
        ] {
            assert_eq!(decode(link).as_ref(), Ok(&want), "{link:?}");
        }
        // inside a value it is still an error
        assert_eq!(err("v=1&ram=256 M").keys(), ["ram"]);
    }

    #[test]
    fn a_link_longer_than_the_limit_is_refused_whole_before_it_is_split() {
        // empty segments are ignored, so once split this link would decode
        let padded = |len: usize| format!("v=1&seed=4{}", "&".repeat(len - 10));
        assert_eq!(decode(&padded(MAX_LINK_BYTES)).unwrap().seed, 4);
        let e = err(&padded(1 << 20));
        assert_eq!(e.keys(), [""]);
        assert_eq!(e.0[0].given, "1048576 bytes");
        assert_eq!(
            e.0[0].message,
            "the link is 1048576 bytes long: links of at most 65536 bytes (64 KiB) are read; \
             a scenario's link is well under 2 KiB"
        );
        let broken = format!("#v=1&{}", "=&".repeat(1 << 19));
        assert_eq!(err(&broken).0.len(), 1);
    }

    #[test]
    fn only_the_first_problems_are_listed_and_the_rest_are_counted() {
        let e = err(&format!("#v=1&{}", "=&".repeat(1000))).0;
        assert_eq!(e.len(), MAX_ERRORS + 1);
        assert!(e[..MAX_ERRORS].iter().all(|e| e.key.is_empty()));
        assert_eq!(e[MAX_ERRORS].key, "and 980 more");
        assert_eq!(
            e[MAX_ERRORS].message,
            "and 980 more problems: only the first 20 are listed"
        );
        // problems of the version and of the values share the one list
        let many: String = (0..30).map(|i| format!("&x{i}=1")).collect();
        let e = err(&format!("ram=1T{many}")).0;
        assert_eq!((e[0].key.as_str(), e[1].key.as_str()), ("v", "ram"));
        assert_eq!(e[MAX_ERRORS].key, "and 12 more");
        // exactly the limit: no count
        let some: String = (0..MAX_ERRORS).map(|i| format!("&x{i}=1")).collect();
        assert_eq!(err(&format!("v=1{some}")).0.len(), MAX_ERRORS);
    }

    #[test]
    fn a_hog_key_beside_hogs_0_is_refused_by_name() {
        let e = err("v=1&hog=8G&hogs=0").0;
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].key, "hog");
        assert_eq!(
            e[0].message,
            "hog=8G has no effect with hogs=0: give hogs=1 or more, or leave hog out"
        );
        assert_eq!(
            err("v=1&hogs=0&hograte=1G/s&hogat=5s&hog=64M").keys(),
            ["hog", "hograte", "hogat"]
        );
        // a link that leaves hogs out may set them: encode writes them whenever they differ
        // from the defaults, and older links do
        assert_eq!(decode("v=1&hog=256M").unwrap().workload.hog_mb, 256);
        assert_eq!(decode("v=1&hogs=1&hog=256M").unwrap().workload.hogs, 1);
    }

    #[test]
    fn hogs_must_start_before_the_run_ends() {
        let e = err("v=1&hogs=1&hogat=3600s&until=10s").0;
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].key, "hogat");
        assert_eq!(
            e[0].message,
            "hogat=3600s is not allowed: hogat must be before until (10000ms) when hogs > 0, \
             or the hogs never start"
        );
        assert!(decode("v=1&hogs=1&hogat=9990ms&until=10s").is_ok());
        assert!(decode("v=1&hogat=3600s&until=10s").is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let e = err("v=1&preset=dfly-1999&ram=1T&what=ever&seed=1&seed=2&window=5ms");
        assert_eq!(e.keys(), ["preset", "ram", "what", "seed", "window"]);
        assert_eq!(e.to_string().matches("; ").count(), 4);
    }

    #[test]
    fn odd_characters_are_escaped_in_messages() {
        let e = err("v=1&preset=dfly-2008-06-30&ram=%0A%E2%80%AE");
        assert_eq!(e.keys(), ["ram"]);
        assert!(
            !e.0[0].given.contains(['\n', '\u{202e}']),
            "{:?}",
            e.0[0].given
        );
        assert!(
            !e.0[0].message.contains(['\n', '\u{202e}']),
            "{:?}",
            e.0[0].message
        );
        let long = "9".repeat(500);
        let e = err(&format!("v=1&preset=dfly-2008-06-30&{long}=1"));
        assert!(e.0[0].message.len() < 1000);
    }

    #[test]
    fn apply_sets_keys_on_a_scenario() {
        let mut base = ScenarioPreset::Hammer512M.scenario();
        base.workload.hog_mb = 256;
        let s = apply(&base, &[("preset", "dfly-2008-07-01"), ("seed", "5")]).unwrap();
        assert_eq!(s.machine.ram_mb, 512);
        assert_eq!((s.preset, s.seed), (KernelPreset::Dfly20080701, 5));
        assert_eq!(apply(&base, &[("v", "1")]).unwrap_err().keys(), ["v"]);
        let e = apply(&base, &[("hogs", "9")]).unwrap_err();
        assert_eq!(e.keys(), ["hogs", "hog"]);
        assert!(e.0[1].message.contains("(unchanged)"), "{}", e.0[1].message);
    }
}
