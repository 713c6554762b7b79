//! Timed interventions: each one does what it says at its time, and nothing before it.

use pageout_core::events::EventKind;
use pageout_core::scenario::link::decode;
use pageout_core::{Col, Simulation};

const BASE: &str = "#v=1&preset=dfly-2008-07-01&ram=128M&seed=3&until=60s";

fn sim(extra: &str) -> Simulation {
    let s = decode(&format!("{BASE}{extra}")).unwrap_or_else(|e| panic!("{extra}: {e}"));
    Simulation::new(&s).unwrap()
}

/// Runs to `tick` and returns the simulation.
fn at(extra: &str, tick: u64) -> Simulation {
    let mut s = sim(extra);
    s.run_until(tick);
    s
}

fn thread(s: &Simulation, name: &str) -> pageout_core::ThreadInfo {
    s.threads()
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no thread {name}"))
}

fn taken(s: &Simulation, name: &str) -> u64 {
    let a = thread(s, name).account;
    a.pages_normal + a.pages_system + a.pages_interrupt
}

/// The value of a sample column at a tick (a sample every 10 ticks; run past `tick` first).
fn col(s: &Simulation, c: Col, tick: u64) -> u32 {
    let i = s
        .samples()
        .col(Col::Tick)
        .iter()
        .position(|&t| u64::from(t) == tick);
    s.samples().col(c)[i.unwrap_or_else(|| panic!("no sample at tick {tick}"))]
}

/// The key moment an intervention left, if any.
fn moment(s: &Simulation, tick: u64) -> Option<(String, String)> {
    s.events()
        .into_iter()
        .find(|e| e.kind == EventKind::Intervention && e.tick == tick)
        .map(|e| (e.thread, e.why))
}

#[test]
fn before_its_time_an_intervention_changes_nothing() {
    let mut plain = sim("");
    let mut later = sim("&at=20s:hog:64M,20s:writer,20s:mmap,20s:wrate:8M/s,20s:bw:5M/s,20s:sync");
    plain.run_until(1999);
    later.run_until(1999);
    for c in Col::ALL {
        assert_eq!(plain.samples().col(c), later.samples().col(c), "{c:?}");
    }
    assert_eq!(plain.log(), later.log());
}

#[test]
fn a_hog_starts_at_its_time_and_takes_memory() {
    let before = at("&at=20s:hog:32M", 1990);
    assert_eq!(taken(&before, "hog0"), 0);
    let t = thread(&before, "hog0");
    assert_eq!(
        (t.state.as_str(), t.wmesg.as_str()),
        ("sleeping", "notstarted"),
        "{t:?}"
    );
    let after = at("&at=20s:hog:32M", 3000);
    let got = taken(&after, "hog0");
    assert!(got > 0 && got <= 32 * 256, "{got} pages by 30 s");
    let (who, why) = moment(&after, 2000).expect("a key moment at 20 s");
    assert_eq!(who, "hog0");
    assert!(why.contains("32 MB"), "{why}");
}

#[test]
fn a_started_writer_and_mmap_writer_work_from_their_time_on() {
    let s = at("&at=10s:writer,10s:mmap", 3000);
    assert!(taken(&s, "writer2") > 0, "writer2 wrote");
    assert!(taken(&s, "mmap1") > 0, "mmap1 faulted pages in");
    let early = at("&at=10s:writer,10s:mmap", 990);
    assert_eq!(taken(&early, "writer2"), 0);
    assert_eq!(taken(&early, "mmap1"), 0);
}

#[test]
fn a_stopped_writer_exits_and_takes_no_more_pages() {
    let stopped = at("&at=10s:stop:writer1", 1100);
    assert_eq!(thread(&stopped, "writer1").state, "exited");
    let then = taken(&stopped, "writer1");
    let end = at("&at=10s:stop:writer1", 6000);
    assert_eq!(taken(&end, "writer1"), then);
    // the other writer goes on
    assert!(taken(&end, "writer0") > taken(&stopped, "writer0"));
    assert_eq!(moment(&end, 1000).map(|m| m.0).as_deref(), Some("writer1"));
}

#[test]
fn a_faster_write_rate_writes_more() {
    let kb = |extra: &str| {
        let s = at(extra, 4010);
        col(&s, Col::UserKb, 4000) - col(&s, Col::UserKb, 2000)
    };
    let (plain, fast) = (kb(""), kb("&at=20s:wrate:4M/s"));
    assert!(
        fast > plain + 2 * 20 * 1024,
        "{plain} KB against {fast} KB in 20 s"
    );
}

#[test]
fn a_lower_store_rate_stores_less() {
    let kb = |extra: &str| {
        let s = at(extra, 4010);
        col(&s, Col::UserKb, 4000) - col(&s, Col::UserKb, 2000)
    };
    let (plain, slow) = (kb("&wrate=1K/s"), kb("&wrate=1K/s&at=20s:mrate:10/s"));
    assert!(slow * 8 < plain, "{plain} KB against {slow} KB in 20 s");
}

#[test]
fn a_slower_disk_completes_less_io() {
    let io = |extra: &str| at(extra, 4000).stats().io_completed;
    let (plain, slow) = (io(""), io("&at=5s:bw:1M/s,5s:seek:100ms"));
    assert!(slow * 2 < plain, "{plain} against {slow} transfers");
}

#[test]
fn sync_writes_the_dirty_buffers() {
    let s = at("&wrate=4M/s&at=20s:sync", 2060);
    let (who, why) = s
        .events()
        .into_iter()
        .find(|e| e.kind == EventKind::Intervention)
        .map(|e| (e.thread, e.why))
        .expect("the sync(2) moment");
    assert_eq!(who, "sync0");
    let n: u32 = why
        .strip_prefix("sync(2): ")
        .and_then(|w| w.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{why}"));
    assert!(n > 0, "{why}");
    let plain = at("&wrate=4M/s", 2060);
    let dirty = |s: &Simulation| col(s, Col::Dirtybufspace, 2050);
    assert!(
        dirty(&s) < dirty(&plain),
        "{} against {}",
        dirty(&s),
        dirty(&plain)
    );
}

#[test]
fn the_same_interventions_give_the_same_run() {
    let run = |extra: &str| {
        let mut s = sim(extra);
        s.run();
        s.trace_hash()
    };
    let x = "&at=10s:hog:16M,15s:writer,20s:stop:writer0,25s:sync,30s:mrate:4000/s";
    assert_eq!(run(x), run(x));
    assert_ne!(run(x), run(""));
}

#[test]
fn a_run_with_an_intervention_diverges_from_the_run_without_at_its_time_and_not_before() {
    use pageout_core::explore::diverge::diverge;
    let a = decode(BASE).unwrap();
    for (extra, tick) in [("&at=20s:hog:16M", 2000), ("&at=12340ms:sync", 1234)] {
        let b = decode(&format!("{BASE}{extra}")).unwrap();
        let d = diverge(&a, &b, true).unwrap();
        assert_eq!(d.tick, Some(tick), "{extra}: {d:?}");
        assert!(d.b.contains("(intervention)"), "{extra}: {}", d.b);
    }
}
