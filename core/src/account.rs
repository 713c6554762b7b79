//! Per-thread accounting: which thread took which pages, from which band of the free list, what
//! the pageout daemon laundered, and where every thread slept. These counters are what the page
//! and the README may say about "who did what"; the engine only adds to them.

use serde::{Deserialize, Serialize};

/// The band of the free list a page came from (kernel-2008.md §2.2), judged by `v_free_count`
/// at the moment `vm_page_alloc` took the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// `v_free_count > v_free_reserved`: anyone may take it.
    Normal,
    /// `v_interrupt_free_min < v_free_count <= v_free_reserved`: the system reserve
    /// (VM_ALLOC_SYSTEM).
    System,
    /// `v_free_count <= v_interrupt_free_min`: the interrupt reserve (VM_ALLOC_INTERRUPT).
    Interrupt,
}

impl Band {
    /// The band a page taken with `free` pages on the free list belongs to.
    pub fn of(free: u32, reserved: u32, interrupt_min: u32) -> Band {
        if free > reserved {
            Band::Normal
        } else if free > interrupt_min {
            Band::System
        } else {
            Band::Interrupt
        }
    }
}

/// Time a thread spent asleep on one wait message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SleepCount {
    /// The wait message (`VMWait`, `vmwait`, `newbuf`, ...).
    pub wmesg: String,
    /// Times the thread went to sleep on it.
    pub count: u64,
    /// Ticks spent asleep on it (sleeps still in progress count up to now).
    pub ticks: u64,
}

/// What one thread did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadAccount {
    /// Pages taken while the free list was above `v_free_reserved`.
    pub pages_normal: u64,
    /// Pages taken from the system reserve (free list at or below `v_free_reserved`).
    pub pages_system: u64,
    /// Pages taken from the interrupt reserve (free list at or below `v_interrupt_free_min`).
    pub pages_interrupt: u64,
    /// `vm_page_alloc` calls that returned NULL.
    pub alloc_failures: u64,
    /// Of those, calls with VM_ALLOC_SYSTEM: the thread found the system reserve empty.
    pub reserve_empty: u64,
    /// Clusters handed to the filesystem by `vm_pageout_clean` (the pageout daemon only).
    pub pageouts: u64,
    /// Dirty pages in those clusters.
    pub pages_laundered: u64,
    /// Pages moved to the cache or freed by the inactive scan (the pageout daemon only).
    pub pages_cached: u64,
    /// Sleeps by wait message, in the order first seen.
    pub sleeps: Vec<SleepCount>,
    /// The longest single wait for a resource that has ended (ticks), its wait message and
    /// when it began.
    pub longest_wait: u64,
    /// See `longest_wait`.
    pub longest_wait_wmesg: String,
    /// See `longest_wait`.
    pub longest_wait_at: u64,
}

impl ThreadAccount {
    /// Counts a page taken in `band`.
    pub fn took(&mut self, band: Band) {
        match band {
            Band::Normal => self.pages_normal += 1,
            Band::System => self.pages_system += 1,
            Band::Interrupt => self.pages_interrupt += 1,
        }
    }

    /// Pages taken below `v_free_reserved` (system and interrupt reserve together).
    pub fn reserve_pages(&self) -> u64 {
        self.pages_system + self.pages_interrupt
    }

    /// Counts a sleep on `wmesg` that lasted `ticks`.
    pub fn slept(&mut self, wmesg: &str, ticks: u64) {
        match self.sleeps.iter_mut().find(|s| s.wmesg == wmesg) {
            Some(s) => {
                s.count += 1;
                s.ticks += ticks;
            }
            None => self.sleeps.push(SleepCount {
                wmesg: wmesg.to_string(),
                count: 1,
                ticks,
            }),
        }
    }

    /// Ticks spent asleep on `wmesg`.
    pub fn ticks_in(&self, wmesg: &str) -> u64 {
        self.sleeps
            .iter()
            .find(|s| s.wmesg == wmesg)
            .map_or(0, |s| s.ticks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_reserve_thresholds() {
        // reserved 154, interrupt_free_min 2 (the 128 MB machine)
        assert_eq!(Band::of(155, 154, 2), Band::Normal);
        assert_eq!(Band::of(154, 154, 2), Band::System);
        assert_eq!(Band::of(3, 154, 2), Band::System);
        assert_eq!(Band::of(2, 154, 2), Band::Interrupt);
        assert_eq!(Band::of(1, 154, 2), Band::Interrupt);
    }

    #[test]
    fn sleeps_add_up_per_wait_message() {
        let mut a = ThreadAccount::default();
        a.slept("VMWait", 5);
        a.slept("psleep", 50);
        a.slept("VMWait", 7);
        assert_eq!(a.ticks_in("VMWait"), 12);
        assert_eq!(a.sleeps[0].count, 2);
        assert_eq!(a.ticks_in("vmwait"), 0);
    }
}
