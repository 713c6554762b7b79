//! Key moments of a run, typed: the few instants a postmortem points at — memory falling through
//! each threshold, the first pageout, the first page a thread takes from a reserve, an allocation
//! that finds the reserve empty, a kmalloc zone refill, the pageout daemon or a buf daemon going
//! to sleep on memory, the first emergency allocation and each failure, the kill, the hang.
//! The engine records them where they happen; the page's timeline and the command line read them.

use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// free + cache fell below `v_free_target` (again after it had recovered above it).
    BelowTarget,
    /// ... below `v_free_min`: faulting processes and non-daemon allocators wait for it.
    BelowMin,
    /// ... below `v_free_severe`: page faults stop.
    BelowSevere,
    /// ... below `v_free_reserved`: only VM_ALLOC_SYSTEM allocations succeed.
    BelowReserved,
    /// ... to `v_interrupt_free_min`: only VM_ALLOC_INTERRUPT allocations succeed.
    ReserveGone,
    /// The pageout daemon handed its first cluster to a filesystem.
    FirstPageout,
    /// A thread took its first page from the system reserve.
    SystemReserve,
    /// A thread took its first page from the interrupt reserve.
    InterruptReserve,
    /// An allocation with VM_ALLOC_SYSTEM found the reserve empty.
    ReserveEmpty,
    /// `kmem_slab_alloc` began a new zone for HAMMER's in-memory records.
    ZoneRefill,
    /// The pageout daemon or a buf daemon went to sleep waiting for free pages.
    WaitsForMemory,
    /// `bio_page_alloc`'s first emergency (interrupt-reserve) allocation.
    EmergencyAlloc,
    /// An emergency allocation failed.
    EmergencyFail,
    /// The pageout daemon killed a process ("out of swap space").
    OomKill,
    /// The run hung: the tick is when progress stopped.
    Hang,
    /// A process waited longer than the hang window while the machine went on.
    Starved,
    /// A timed intervention of the scenario took effect.
    Intervention,
    /// The emergency pageout daemon took over from a stuck pageout daemon (c3feb36a35).
    EmergencyPager,
}

impl EventKind {
    /// Every kind, in the order of the enum.
    pub const ALL: [EventKind; 18] = [
        EventKind::BelowTarget,
        EventKind::BelowMin,
        EventKind::BelowSevere,
        EventKind::BelowReserved,
        EventKind::ReserveGone,
        EventKind::FirstPageout,
        EventKind::SystemReserve,
        EventKind::InterruptReserve,
        EventKind::ReserveEmpty,
        EventKind::ZoneRefill,
        EventKind::WaitsForMemory,
        EventKind::EmergencyAlloc,
        EventKind::EmergencyFail,
        EventKind::OomKill,
        EventKind::Hang,
        EventKind::Starved,
        EventKind::Intervention,
        EventKind::EmergencyPager,
    ];

    /// The name the JSON and the page use (`interrupt-reserve`).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::BelowTarget => "below-target",
            EventKind::BelowMin => "below-min",
            EventKind::BelowSevere => "below-severe",
            EventKind::BelowReserved => "below-reserved",
            EventKind::ReserveGone => "reserve-gone",
            EventKind::FirstPageout => "first-pageout",
            EventKind::SystemReserve => "system-reserve",
            EventKind::InterruptReserve => "interrupt-reserve",
            EventKind::ReserveEmpty => "reserve-empty",
            EventKind::ZoneRefill => "zone-refill",
            EventKind::WaitsForMemory => "waits-for-memory",
            EventKind::EmergencyAlloc => "emergency-alloc",
            EventKind::EmergencyFail => "emergency-fail",
            EventKind::OomKill => "oom-kill",
            EventKind::Hang => "hang",
            EventKind::Starved => "starved",
            EventKind::Intervention => "intervention",
            EventKind::EmergencyPager => "emergency-pager",
        }
    }
}

/// One key moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// When (tick, hz = 100).
    pub tick: u64,
    /// What.
    pub kind: EventKind,
    /// Who (a thread name), or empty for the machine as a whole.
    pub thread: String,
    /// One line: what the counters say about it.
    pub why: String,
}

/// At most this many events are kept: a run is told in a few dozen; the cap only guards against
/// a pathological scenario filling memory with them.
pub const MAX_EVENTS: usize = 4096;

/// The events of a run, and what it takes to record each kind only when it means something.
#[derive(Clone, Debug, Default)]
pub struct Events {
    list: Vec<Event>,
    /// How far free + cache has fallen since it was last above `v_free_target`: 0 above it,
    /// then 1 target, 2 min, 3 severe, 4 reserved, 5 interrupt reserve.
    pub depth: u8,
    /// Emergency allocations seen (the first is an event).
    emergency_seen: bool,
    /// Per thread: the tick of its last `ReserveEmpty` event (one per 10 s at most).
    last_empty: Vec<Option<u64>>,
}

impl Events {
    /// Records an event (nothing past `MAX_EVENTS` but the run's end).
    pub fn push(&mut self, tick: u64, kind: EventKind, thread: &str, why: String) {
        // the run's end is always told, past the cap too
        let last = matches!(
            kind,
            EventKind::Hang | EventKind::Starved | EventKind::OomKill
        );
        if self.list.len() < MAX_EVENTS || last {
            self.list.push(Event {
                tick,
                kind,
                thread: thread.to_string(),
                why,
            });
        }
    }

    /// Events recorded so far.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether no event has been recorded yet.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// All events so far, in the order they happened.
    pub fn list(&self) -> &[Event] {
        &self.list
    }

    /// Whether this is the run's first emergency allocation (and notes it).
    pub fn first_emergency(&mut self) -> bool {
        !std::mem::replace(&mut self.emergency_seen, true)
    }

    /// Whether thread `t`'s empty-reserve finding at `tick` is worth an event: its first, or the
    /// first for 10 s.
    pub fn reserve_empty_due(&mut self, t: usize, tick: u64) -> bool {
        if self.last_empty.len() <= t {
            self.last_empty.resize(t + 1, None);
        }
        let due = self.last_empty[t].is_none_or(|last| tick >= last + 1000);
        if due {
            self.last_empty[t] = Some(tick);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_reserve_is_reported_once_per_ten_seconds_per_thread() {
        let mut e = Events::default();
        assert!(e.reserve_empty_due(3, 100));
        assert!(!e.reserve_empty_due(3, 1099));
        assert!(e.reserve_empty_due(0, 1099));
        assert!(e.reserve_empty_due(3, 1100));
    }

    #[test]
    fn events_stop_at_the_cap_but_the_end_is_always_told() {
        let mut e = Events::default();
        for t in 0..(MAX_EVENTS as u64 + 10) {
            e.push(t, EventKind::ZoneRefill, "x", String::new());
        }
        assert_eq!(e.list().len(), MAX_EVENTS);
        e.push(99_999, EventKind::Hang, "", "the end".into());
        assert_eq!(e.list().last().unwrap().kind, EventKind::Hang);
    }

    #[test]
    fn every_kind_is_named_as_the_json_names_it() {
        for k in EventKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.name(), "{k:?}");
        }
    }
}
