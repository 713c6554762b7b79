//! The share-link codec: fixtures that pin what links mean, round trips over arbitrary valid
//! scenarios, and decoding arbitrary text without a panic.

use pageout_core::policy::MECHANISMS;
use pageout_core::scenario::limits;
use pageout_core::scenario::link::{
    canonical, decode, encode, LinkErrors, KEYS, MAX_ERRORS, MAX_LINK_BYTES,
};
use pageout_core::{FsKind, KernelPreset, Machine, PolicyOverrides, Scenario, Workload};
use proptest::prelude::*;

/// One line of `fixtures/links.txt`.
enum Expect {
    Ok(String),
    Err(Vec<String>),
}

fn fixtures() -> Vec<(usize, String, Expect)> {
    let text = include_str!("fixtures/links.txt");
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() || line.starts_with("# ") || line == "#" {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let expect = match words.as_slice() {
            ["ok", _, canon] => Expect::Ok(canon.to_string()),
            ["err", _, keys] => Expect::Err(keys.split(',').map(String::from).collect()),
            _ => {
                panic!("fixtures/links.txt:{n}: not `ok <link> <canonical>` or `err <link> <keys>`")
            }
        };
        out.push((n, words[1].to_string(), expect));
    }
    out
}

#[test]
fn every_fixture_link_decodes_as_recorded() {
    let all = fixtures();
    assert!(all.len() > 40, "fixtures went missing: {}", all.len());
    for (n, link, expect) in all {
        match (expect, decode(&link)) {
            (Expect::Ok(canon), Ok(s)) => {
                assert_eq!(encode(&s), canon, "line {n}: {link}");
                assert_eq!(
                    decode(&canon),
                    Ok(s),
                    "line {n}: the canonical form means the same"
                );
            }
            (Expect::Err(keys), Err(e)) => {
                assert_eq!(e.keys(), keys, "line {n}: {link}: {e}");
                for err in &e.0 {
                    assert!(err.message.contains(&err.key), "line {n}: {}", err.message);
                }
            }
            (Expect::Ok(_), Err(e)) => panic!("line {n}: {link} should decode, got: {e}"),
            (Expect::Err(keys), Ok(s)) => {
                panic!(
                    "line {n}: {link} should fail on {keys:?}, decoded to {}",
                    encode(&s)
                )
            }
        }
    }
}

#[test]
fn every_key_of_the_fixed_order_is_a_field_that_validate_names() {
    // validate() names fields by link key; each of its field names must be a link key, or a
    // decoded link could get an error about a key the link cannot contain.
    let mut s = Scenario {
        machine: Machine {
            ram_mb: 1,
            disk_seek_ms: 1000,
            disk_mb_s: 0,
            swap_mb: u32::MAX,
        },
        hammer: pageout_core::HammerMem {
            zone_kb: 0,
            record_bytes: 0,
            flush_ms: 5,
        },
        workload: Workload {
            writers: 99,
            writer_file_mb: 0,
            writer_kb_s: u32::MAX,
            mmap_writers: 99,
            mmap_file_mb: 0,
            mmap_pages_s: 0,
            hogs: 99,
            hog_mb: u32::MAX,
            hog_mb_s: 0,
            hog_start_ms: u64::MAX,
            shared: true,
        },
        duration_ms: 5,
        hang_window_ms: 5,
        ..Scenario::default()
    };
    s.overrides.set("recoverbufpages", "on").unwrap();
    let errs = s.validate().unwrap_err();
    for fe in errs.0 {
        let known =
            KEYS.contains(&fe.field.as_str()) || MECHANISMS.iter().any(|m| m.key == fe.field);
        assert!(
            known,
            "validate() names {:?}, which is not a link key",
            fe.field
        );
    }
}

#[test]
fn link_errors_serialize_as_a_list_of_key_given_allowed_message() {
    let e = decode("v=1&preset=dfly-2008-06-30&ram=8G").unwrap_err();
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{
            "key": "ram",
            "given": "8G",
            "allowed": "32M..=4096M",
            "message": "ram=8G is out of range: ram must be in 32M..=4096M",
        }])
    );
    let back: LinkErrors = serde_json::from_value(json).unwrap();
    assert_eq!(back, e);
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert_eq!(
        boxed.to_string(),
        "ram=8G is out of range: ram must be in 32M..=4096M"
    );
}

#[test]
fn a_link_of_a_megabyte_is_refused_with_one_error_naming_its_size() {
    // the link of the report: 60,000 empty pairs printed 60,000 errors; a megabyte of them
    let link = format!("#v=1&{}", "=&".repeat(1 << 19));
    let e = decode(&link).unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    assert!(e.0[0].message.contains(&format!("{} bytes", link.len())));
    assert!(e.0[0].message.contains(&MAX_LINK_BYTES.to_string()));
    // just under the limit, the problems are counted past the first few
    let link = format!("#v=1&{}", "=&".repeat((MAX_LINK_BYTES - 5) / 2));
    let e = decode(&link).unwrap_err();
    assert_eq!(e.0.len(), MAX_ERRORS + 1);
    assert_eq!(
        e.0[MAX_ERRORS].key,
        format!("and {} more", (MAX_LINK_BYTES - 5) / 2 - MAX_ERRORS)
    );
}

// ---- property tests ----

/// A number in `lo..=hi`, often at an edge or a multiple of 1024 (so every unit is exercised).
fn num(lo: u64, hi: u64) -> BoxedStrategy<u64> {
    prop_oneof![
        Just(lo),
        Just(hi),
        lo..=hi,
        (lo.div_ceil(1024)..=hi / 1024)
            .prop_map(|k| k * 1024)
            .prop_filter("in range", move |v| { (lo..=hi).contains(v) }),
    ]
    .boxed()
}

/// A duration in whole ticks in `lo..=hi` ms, often whole seconds.
fn ms(lo: u64, hi: u64) -> BoxedStrategy<u64> {
    prop_oneof![
        (lo / 10..=hi / 10).prop_map(|t| t * 10),
        (lo.div_ceil(1000)..=hi / 1000).prop_map(|s| s * 1000)
    ]
    .boxed()
}

fn n32((lo, hi): (u32, u32)) -> BoxedStrategy<u32> {
    num(lo.into(), hi.into()).prop_map(|v| v as u32).boxed()
}

fn overrides() -> impl Strategy<Value = PolicyOverrides> {
    let per: Vec<_> = MECHANISMS
        .iter()
        .map(|m| prop::option::of(0..m.values.len()))
        .collect();
    per.prop_map(|choices| {
        let mut o = PolicyOverrides::default();
        for (m, c) in MECHANISMS.iter().zip(choices) {
            if let Some(i) = c {
                o.set(m.key, m.values[i]).unwrap();
            }
        }
        o
    })
}

/// Scenarios within the limits (some still conflict; the tests skip those).
fn scenarios() -> impl Strategy<Value = Scenario> {
    use limits::*;
    let machine = (n32(RAM_MB), n32(DISK_SEEK_MS), n32(DISK_MB_S), n32(SWAP_MB)).prop_map(
        |(ram_mb, disk_seek_ms, disk_mb_s, swap_mb)| Machine {
            ram_mb,
            disk_seek_ms,
            disk_mb_s,
            swap_mb,
        },
    );
    let hammer = (
        n32(ZONE_KB),
        n32(RECORD_BYTES),
        ms(FLUSH_MS.0, FLUSH_MS.1),
        any::<bool>(),
    );
    let writers = (
        n32(WRITERS),
        n32(FILE_MB),
        n32(WRITER_KB_S),
        n32(MMAP_WRITERS),
        n32(FILE_MB),
        n32(MMAP_PAGES_S),
    );
    let hogs = (n32(HOGS), n32(HOG_MB), n32(HOG_MB_S), ms(0, DURATION_MS.1));
    let workload = (writers, hogs).prop_map(|((w, wf, wr, m, mf, mr), (h, hm, hr, ha))| Workload {
        writers: w,
        writer_file_mb: wf,
        writer_kb_s: wr,
        mmap_writers: m,
        mmap_file_mb: mf,
        mmap_pages_s: mr,
        hogs: h,
        hog_mb: hm,
        hog_mb_s: hr,
        hog_start_ms: ha,
        shared: false,
    });
    let run = (
        any::<u64>(),
        ms(DURATION_MS.0, DURATION_MS.1),
        ms(HANG_WINDOW_MS.0, HANG_WINDOW_MS.1),
    );
    (
        prop::sample::select(KernelPreset::ALL.to_vec()),
        overrides(),
        machine,
        prop::sample::select(vec![FsKind::Hammer, FsKind::Ufs]),
        workload,
        run,
        hammer,
    )
        .prop_map(
            |(
                preset,
                overrides,
                machine,
                fs,
                mut workload,
                (seed, duration_ms, hang_window_ms),
                (zone_kb, record_bytes, flush_ms, warm),
            )| {
                // keep the hogs within twice the machine's memory, and starting before the
                // run ends, as validate() wants
                let cap = 2 * machine.ram_mb / workload.hogs.max(1);
                workload.hog_mb %= cap + 1;
                if workload.hogs > 0 {
                    workload.hog_start_ms %= duration_ms;
                }
                Scenario {
                    preset,
                    overrides,
                    machine,
                    fs,
                    workload,
                    seed,
                    duration_ms,
                    hang_window_ms,
                    warm,
                    hammer: pageout_core::HammerMem {
                        zone_kb,
                        // a record always fits in its zone
                        record_bytes: record_bytes.min(zone_kb * 1024 - 256),
                        flush_ms,
                    },
                    ufs_block_kb: 4 << (seed % 5),
                }
            },
        )
}

fn all_keys() -> Vec<String> {
    KEYS.iter()
        .copied()
        .chain(MECHANISMS.iter().map(|m| m.key))
        .map(String::from)
        .collect()
}

/// Values that are valid for some key, and near misses.
fn values() -> BoxedStrategy<String> {
    let mut plausible: Vec<String> = [
        "1",
        "0",
        "2",
        "4",
        "7",
        "128M",
        "2G",
        "64M",
        "0M",
        "8ms",
        "0ms",
        "30s",
        "500ms",
        "1005ms",
        "300s",
        "40M/s",
        "1G/s",
        "512K/s",
        "unlimited",
        "4000/s",
        "hammer",
        "ufs",
        "dfly-2008-07-01",
        "dfly-2008-06-30",
        "dfly-2008-07-08",
        "on",
        "off",
        "bytes+count",
        "fix-0701",
        "inverted",
        "",
        "%",
        "%2",
        "%41",
        "%FF",
        "1.5G",
        "-1",
        "99999999999999999999999",
    ]
    .map(String::from)
    .to_vec();
    for m in MECHANISMS {
        plausible.extend(m.values.iter().map(|v| v.to_string()));
    }
    prop_oneof![
        4 => prop::sample::select(plausible),
        1 => "[ -~]{0,12}",
        1 => "\\PC{0,6}",
    ]
    .boxed()
}

/// `key=value` pairs that are each valid on their own (in the default scenario).
fn valid_pairs() -> Vec<String> {
    let mut out: Vec<String> = [
        "preset=dfly-2008-06-29",
        "preset=dfly-2008-07-01",
        "preset=dfly-2008-07-08",
        "ram=256M",
        "ram=1G",
        "ram=1024M",
        "seek=0ms",
        "seek=12ms",
        "bw=1G/s",
        "bw=80M/s",
        "fs=ufs",
        "writers=0",
        "writers=8",
        "wfile=2G",
        "wrate=unlimited",
        "wrate=512K/s",
        "wrate=2M/s",
        "mmap=0",
        "mmap=3",
        "mfile=1G",
        "mrate=250/s",
        "hogs=0",
        "hogs=2",
        "hog=0M",
        "hog=32M",
        "hograte=1G/s",
        "hogat=30s",
        "hogat=1500ms",
        "seed=0",
        "seed=18446744073709551615",
        "until=60s",
        "until=3600s",
        "window=100ms",
        "window=600s",
    ]
    .map(String::from)
    .to_vec();
    for m in MECHANISMS {
        out.extend(m.values.iter().map(|v| format!("{}={v}", m.key)));
    }
    out
}

/// Links made of known keys with plausible values, some junk, in any order.
fn soups() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        6 => prop::sample::select(all_keys()),
        1 => "[a-zA-Z%=#&?]{0,8}",
    ];
    let pair = prop_oneof![
        6 => prop::sample::select(valid_pairs()),
        1 => (key, values()).prop_map(|(k, v)| format!("{k}={v}")),
    ];
    (
        prop::sample::select(vec![
            "",
            "#",
            "v=1&",
            "#v=1&",
            "https://x.test/p#v=1&",
            "v=1&v=2&",
        ]),
        prop::collection::vec(pair, 0..8),
    )
        .prop_map(|(head, pairs)| format!("{head}{}", pairs.join("&")))
}

/// What must hold for any input: no panic; a decoded link is canonical after one step; every
/// error names its key and value.
fn check_any(link: &str) -> Result<(), TestCaseError> {
    match decode(link) {
        Ok(s) => {
            prop_assert_eq!(s.validate(), Ok(()));
            let canon = encode(&s);
            prop_assert_eq!(decode(&canon), Ok(s));
            prop_assert_eq!(canonical(&canon), Ok(canon.clone()));
        }
        Err(e) => {
            prop_assert!(!e.0.is_empty());
            prop_assert!(e.0.len() <= MAX_ERRORS + 1, "{} errors", e.0.len());
            let (listed, more) = match e.0.split_last() {
                Some((last, listed)) if last.key.starts_with("and ") => (listed, Some(last)),
                _ => (&e.0[..], None),
            };
            if let Some(more) = more {
                prop_assert_eq!(listed.len(), MAX_ERRORS);
                prop_assert!(more.message.starts_with(&more.key), "{:?}", more);
            }
            for err in listed {
                prop_assert!(err.message.contains(&err.key), "{:?}", err);
                prop_assert!(err.message.contains(&err.given), "{:?}", err);
                prop_assert!(!err.allowed.is_empty(), "{:?}", err);
                prop_assert!(!err.message.contains('\n'), "{:?}", err);
            }
            prop_assert_eq!(canonical(link), Err(e));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_valid_scenario_survives_a_round_trip(s in scenarios()) {
        prop_assume!(s.validate().is_ok());
        let link = encode(&s);
        let back = decode(&link).map_err(|e| TestCaseError::fail(format!("{link}: {e}")))?;
        // a link carries the policy, not how it was spelt: overrides equal to the preset go
        prop_assert_eq!(back.policy(), s.policy());
        let s = Scenario { overrides: s.overrides.normalized(s.preset), ..s };
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(canonical(&link), Ok(link.clone()));
        prop_assert_eq!(decode(&format!("https://x.test/#{link}")), Ok(s));
    }

    #[test]
    fn decoding_any_text_never_panics(link in "\\PC{0,80}") {
        check_any(&link)?;
    }

    #[test]
    fn decoding_any_url_characters_never_panics(link in "(%[0-9A-Fa-f]{2}|[a-z0-9=&%#+/.-]){0,80}") {
        check_any(&link)?;
        check_any(&format!("v=1&{link}"))?;
    }

    #[test]
    fn decoding_key_value_soups_never_panics_and_is_canonical(link in soups()) {
        check_any(&link)?;
    }

    #[test]
    fn long_soups_list_a_bounded_number_of_problems(
        link in prop::collection::vec(soups(), 1..40).prop_map(|v| v.join("&"))
    ) {
        check_any(&link)?;
    }
}

// ---- compare links ----

use pageout_core::scenario::link::{decode_compare, encode_compare, CompareLink};

#[test]
fn every_fixture_link_reads_as_a_solo_link_in_the_compare_decoder() {
    for (n, link, _) in fixtures() {
        match (decode(&link), decode_compare(&link)) {
            (Ok(s), Ok(c)) => assert_eq!(c, CompareLink { a: s, b: None }, "line {n}"),
            (Err(e), Err(c)) => assert_eq!(c, e, "line {n}: the same problems"),
            (solo, compare) => panic!("line {n}: {link}: {solo:?} but {compare:?}"),
        }
    }
}

#[test]
fn the_default_compare_link_is_the_lockup_against_the_fix() {
    let link = "v=1&preset=dfly-2008-06-30&ram=64M&seed=19&b.preset=dfly-2008-07-01";
    let c = decode_compare(&format!("https://x.test/#{link}")).unwrap();
    assert_eq!(c.a, Scenario::default());
    let b = c.b.expect("a compare link");
    assert_eq!(
        b,
        Scenario {
            preset: KernelPreset::Dfly20080701,
            ..Scenario::default()
        }
    );
    assert_eq!(encode_compare(&c.a, &b), link);
    // a solo decoder refuses it, saying what the b. keys are
    let e = decode(link).unwrap_err();
    assert_eq!(e.keys(), vec!["b.preset"]);
    assert!(e.0[0].message.contains("compare link"), "{e}");
}

#[test]
fn b_keys_apply_on_a_and_keep_a_overrides() {
    let c = decode_compare("v=1&bio=fix-0701&recoverbufpages=on&ram=64M&b.ram=96M&b.timedwait=on")
        .unwrap();
    let b = c.b.unwrap();
    assert_eq!(b.machine.ram_mb, 96);
    assert!(b.policy().recoverbufpages && b.policy().timed_vm_wait);
    assert!(c.a.policy().recoverbufpages && !c.a.policy().timed_vm_wait);
}

#[test]
fn a_problem_of_b_names_its_key_as_the_link_spells_it() {
    let e = decode_compare("v=1&ram=64M&b.ram=1M&b.fs=zfs&b.nosuch=1&b.v=1&b.t=10s").unwrap_err();
    // the version and the moment first, then the syntax, then the ranges, as for A
    assert_eq!(e.keys(), vec!["b.v", "b.t", "b.fs", "b.nosuch", "b.ram"]);
    assert!(e.0[0].message.contains("belongs to the whole link"));
    assert!(e.0[2].message.starts_with("b.fs=zfs is not a valid value"));
    assert!(e.0[3].message.starts_with("unknown key b.nosuch"));
    assert!(
        e.0[4]
            .message
            .starts_with("b.ram=1M is out of range: b.ram must be in"),
        "{}",
        e.0[4].message
    );
    // a problem of A and one of B are reported together
    let e = decode_compare("v=1&ram=1M&b.writers=x").unwrap_err();
    assert_eq!(e.keys(), vec!["ram", "b.writers"]);
    // B's conflicts name B's key and say where the other value came from
    let e = decode_compare("v=1&b.recoverbufpages=on").unwrap_err();
    assert_eq!(e.keys(), vec!["b.recoverbufpages"]);
    assert!(e.0[0].message.contains("needs bio=fix-0701"), "{e}");
}

#[test]
fn a_compare_of_a_scenario_with_itself_is_still_a_compare_link() {
    let s = Scenario::default();
    let link = encode_compare(&s, &s);
    assert_eq!(
        link,
        "v=1&preset=dfly-2008-06-30&ram=64M&seed=19&b.preset=dfly-2008-06-30"
    );
    assert_eq!(decode_compare(&link).unwrap().b, Some(s));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_pair_of_valid_scenarios_survives_a_compare_round_trip(a in scenarios(), b in scenarios()) {
        prop_assume!(a.validate().is_ok() && b.validate().is_ok());
        let link = encode_compare(&a, &b);
        let back = decode_compare(&link).map_err(|e| TestCaseError::fail(format!("{link}: {e}")))?;
        let norm = |s: &Scenario| Scenario { overrides: s.overrides.normalized(s.preset), ..s.clone() };
        let mut want_b = norm(&b);
        if b.workload.hogs == 0 && a.workload.hogs != 0 {
            // without hogs B's hog sizes are not written: B keeps A's
            want_b.workload = Workload {
                hog_mb: a.workload.hog_mb,
                hog_mb_s: a.workload.hog_mb_s,
                hog_start_ms: a.workload.hog_start_ms,
                ..b.workload
            };
        }
        prop_assert_eq!(back, CompareLink { a: norm(&a), b: Some(want_b) });
        prop_assert!(link.starts_with(&encode(&a)));
    }
}
