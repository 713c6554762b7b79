//! What the page shows for a key moment is what the engine's counters say of that moment: the
//! threads as they were at its tick, and the band the emergency allocation's page came from.

use pageout_core::events::EventKind;
use pageout_core::{ScenarioPreset, Simulation};

#[test]
fn the_threads_of_a_key_moment_are_the_threads_at_its_tick() {
    let mut sim = Simulation::new(&ScenarioPreset::HammerLockup.scenario()).unwrap();
    sim.run();
    let events = sim.events();
    let mut asleep = 0;
    for e in &events {
        let states = sim.threads_at(e.tick);
        assert!(!states.is_empty(), "nothing recorded at {}", e.tick);
        for s in &states {
            // the record is of the moment's own tick, not of the sample before it
            assert_eq!(s.at, e.tick, "{e:?}: {s:?}");
            assert!(s.since <= e.tick, "{e:?}: {s:?}");
        }
        if e.kind == EventKind::WaitsForMemory {
            // the thread that went to sleep is asleep, since that tick
            let s = states.iter().find(|s| s.name == e.thread).unwrap();
            assert_eq!(
                (s.state.as_str(), s.since),
                ("sleeping", e.tick),
                "{e:?}: {s:?}"
            );
            assert!(
                e.why.contains(&s.wmesg) || e.why.contains(&s.path),
                "{e:?}: {s:?}"
            );
            asleep += 1;
        }
    }
    assert!(asleep > 0, "no thread went to sleep on memory: {events:?}");
    // between moments a state is the sample's: at most 0.1 s old
    let last = events.last().unwrap().tick;
    for tick in (0..last).step_by(997) {
        let states = sim.threads_at(tick);
        assert!(
            states.iter().all(|s| s.at <= tick && tick - s.at < 10),
            "{tick}: {states:?}"
        );
    }
}

#[test]
fn the_first_emergency_allocation_names_the_band_its_page_came_from() {
    // `emergency`: recoverbufpages frees pages first, so the second try finds the system reserve;
    // `emergency-fails`: no recoverbufpages, the second try digs into the interrupt reserve
    for (preset, band) in [
        (ScenarioPreset::Emergency, "system reserve"),
        (ScenarioPreset::EmergencyFails, "interrupt reserve"),
    ] {
        let mut sim = Simulation::new(&preset.scenario()).unwrap();
        sim.run();
        let e = sim
            .events()
            .into_iter()
            .find(|e| e.kind == EventKind::EmergencyAlloc)
            .unwrap_or_else(|| panic!("{preset:?}: no emergency allocation"));
        assert!(e.why.contains(band), "{preset:?}: {e:?}");
        let th = sim
            .threads()
            .into_iter()
            .find(|t| t.name == e.thread)
            .unwrap();
        let counted = if band == "interrupt reserve" {
            th.account.pages_interrupt
        } else {
            th.account.pages_system
        };
        assert!(counted > 0, "{preset:?}: {e:?} but {:?}", th.account);
        if band == "system reserve" {
            // no thread took a page of the interrupt reserve in this run
            assert!(
                sim.threads().iter().all(|t| t.account.pages_interrupt == 0),
                "{preset:?}"
            );
        }
    }
}
