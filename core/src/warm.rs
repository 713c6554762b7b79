//! A warm machine: the state a box is in after it has been running the workload for a while,
//! built at boot from the scenario and its seed (kernel-2008.md §9.11, "A warm machine").
//!
//! The reporter's machine "had been running with a lot of dirty mmap'd HAMMER data". A cold boot
//! instead runs out of memory during start-up, before the pageout daemon has anything on its
//! inactive queue, and the write(2) writers, filling an empty buffer cache, drain the reserve.
//! So a warm machine starts with:
//!
//! - the buffer cache holding clean buffers up to `lobufspace` (where `getnewbuf` starts
//!   recycling), shared between the files: the blocks each writer wrote last, each writer at a
//!   seeded place in its file, and blocks of each mapped file that the pageout daemon packed and
//!   bufdaemon_hw has written since;
//! - each mapped file's resident pages, chosen at random as the workload's random stores would
//!   have left them: `v_cache_min` clean pages on the cache queue, `v_inactive_target` dirty pages
//!   on the inactive queue, the rest dirty on the active queue with aged `act_count`s, so that
//!   free + cache is at the daemon's paging target (`v_free_target + v_cache_min`);
//! - HAMMER's record zone part used.

use crate::kernel::Kernel;
use crate::sched::Tid;
use crate::vm::{
    ACT_ADVANCE, NONE, OBJ_KERNEL, OBJ_VNODE0, PG_DIRTY, PG_VALID, PG_WINATCFLS, PQ_ACTIVE,
    PQ_CACHE, PQ_INACTIVE, VM_ALLOC_NORMAL,
};
use crate::{FsKind, Scenario};

/// What the warm start put where, for the page and the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WarmStart {
    /// Whether the machine started warm.
    pub warm: bool,
    /// Clean buffers of the writers' files.
    pub buffers: u32,
    /// Pages those buffers hold (wired).
    pub buffer_pages: u32,
    /// Resident pages of the mapped files on the active queue (dirty).
    pub active: u32,
    /// ... on the inactive queue (dirty).
    pub inactive: u32,
    /// ... on the cache queue (clean).
    pub cache: u32,
    /// Free pages left.
    pub free: u32,
}

impl Kernel {
    /// Warms the machine up for scenario `s`; returns each writer's starting page.
    /// `written[i]` is writer i's file, `mapped` the mapped files.
    pub fn warm_up(&mut self, s: &Scenario, written: &[u16], mapped: &[u16]) -> Vec<u32> {
        // boot context: nobody's allocation, no privilege
        let saved: Tid = self.sched.cur;
        self.sched.cur = usize::MAX;
        let heavy = s.fs == FsKind::Hammer;

        // 1. the buffer cache, oldest first on the CLEAN queue: each writer's last blocks before
        // its place in the file, and blocks of each mapped file the pageout daemon wrote (the
        // buffers bufdaemon_hw has written since), `lobufspace` shared between the files
        // one share per writer and per mapped file
        let streams: Vec<(u16, bool)> = written
            .iter()
            .map(|&v| (v, true))
            .chain(mapped.iter().map(|&v| (v, false)))
            .collect();
        let budget = self.bc.lim.lobufspace / streams.len().max(1) as u64;
        let mut starts = Vec::with_capacity(written.len());
        let mut behind: Vec<(u16, Vec<(u32, u32)>)> = Vec::with_capacity(streams.len());
        for &(vp, is_writer) in &streams {
            let v = &self.vnodes[vp as usize];
            let size = v.size_pages;
            let mut blocks = Vec::new();
            let mut bytes = 0u64;
            if is_writer {
                let (start, _) = v.block(self.rng.below(size));
                let mut pi = start;
                while bytes < budget {
                    let (blk, bs) = v.block(if pi == 0 { size - 1 } else { pi - 1 });
                    if blk == start && !blocks.is_empty() {
                        break; // the whole file is in the cache
                    }
                    blocks.push((blk, bs));
                    bytes += u64::from(bs) * 4096;
                    pi = blk;
                }
                blocks.reverse();
                starts.push(start);
            } else {
                let mut tries = 0;
                while bytes < budget && tries < 4 * size {
                    tries += 1;
                    let (blk, bs) = v.block(self.rng.below(size));
                    if blocks.iter().any(|&(b, _)| b == blk) {
                        continue;
                    }
                    blocks.push((blk, bs));
                    bytes += u64::from(bs) * 4096;
                }
            }
            behind.push((vp, blocks));
        }
        let mut ws = WarmStart {
            warm: true,
            ..WarmStart::default()
        };
        let longest = behind.iter().map(|(_, b)| b.len()).max().unwrap_or(0);
        'fill: for i in 0..longest {
            for (vp, blocks) in &behind {
                if let Some(&(blk, bs)) = blocks.get(i) {
                    if self.bc.findblk(*vp, blk) != crate::list::NIL {
                        continue; // a writer and the mapping chose the same block
                    }
                    if !self.boot_clean_buf(*vp, blk, bs, heavy) {
                        break 'fill;
                    }
                    ws.buffers += 1;
                    ws.buffer_pages += bs;
                }
            }
        }

        // 2. the mapped files' other resident pages
        let t = self.vm.t;
        let avail = self.vm.free_count().saturating_sub(t.v_free_target);
        let nmapped = mapped.len() as u32;
        for (i, &vp) in mapped.iter().enumerate() {
            let share = avail / nmapped + u32::from((i as u32) < avail % nmapped);
            let size = self.vnodes[vp as usize].size_pages;
            let obj = OBJ_VNODE0 + vp as u8;
            let mut candidates = (0..size)
                .filter(|&pi| self.vm.lookup(obj, pi) == NONE)
                .count() as u32;
            let resident = share.min(candidates);
            // the queues in proportion to the machine's: cache_min, inactive_target, the rest
            let cache = (t.v_cache_min / nmapped).min(resident);
            let inactive = (t.v_inactive_target / nmapped).min(resident - cache);
            let mut left = [cache, inactive, resident - cache - inactive];
            let mut need = resident;
            let mut pi = 0;
            while need > 0 {
                if self.vm.lookup(obj, pi) == NONE {
                    // selection sampling (Knuth's algorithm S) over the pages not yet resident
                    if self.rng.below(candidates) < need {
                        let pick = self.rng.below(left.iter().sum());
                        let q = if pick < left[0] {
                            0
                        } else if pick < left[0] + left[1] {
                            1
                        } else {
                            2
                        };
                        left[q] -= 1;
                        self.warm_page(obj, vp, pi, q, &mut ws);
                        need -= 1;
                    }
                    candidates -= 1;
                }
                pi += 1;
            }
        }

        // 3. HAMMER's record zone: one zone, part used
        if heavy {
            let mut pages = Vec::new();
            for _ in 0..self.hammer.zone_pages {
                let m = self.vm_page_alloc(OBJ_KERNEL, 0, VM_ALLOC_NORMAL);
                self.vm.pages[m as usize].flags = PG_VALID;
                self.vm_page_wire(m);
                pages.push(m);
            }
            self.hammer.add_zone(pages);
            self.hammer.in_use = self.rng.below(self.hammer.per_zone);
        }

        self.vm.vm_pages_needed = false;
        self.vm.vm_pageout_deficit = 0;
        ws.free = self.vm.free_count();
        self.warm = ws;
        self.sched.cur = saved;
        // the warm-up's own allocations are not moments of the run
        self.events = crate::events::Events::default();
        starts
    }

    /// One resident page of a mapped file: `q` 0 = cache (clean, on disk), 1 = inactive (dirty),
    /// 2 = active (dirty, an aged `act_count`).
    fn warm_page(&mut self, obj: u8, vp: u16, pi: u32, q: usize, ws: &mut WarmStart) {
        let m = self.vm_page_alloc(obj, pi, VM_ALLOC_NORMAL);
        debug_assert_ne!(m, NONE);
        match q {
            0 => {
                self.vm.pages[m as usize].flags = PG_VALID;
                self.vnodes[vp as usize].set_on_disk(pi);
                self.vm.enqueue_tail(m, PQ_CACHE);
                ws.cache += 1;
            }
            1 => {
                // half of them have gone round the inactive queue once already
                let once = if self.rng.below(2) == 0 {
                    PG_WINATCFLS
                } else {
                    0
                };
                self.vm.pages[m as usize].flags = PG_VALID | PG_DIRTY | once;
                self.vm.enqueue_tail(m, PQ_INACTIVE);
                ws.inactive += 1;
            }
            _ => {
                let act = self.rng.below(u32::from(2 * (ACT_ADVANCE + 1)) + 1) as u8;
                let pg = &mut self.vm.pages[m as usize];
                pg.flags = PG_VALID | PG_DIRTY;
                pg.set_act(act);
                self.vm.enqueue_tail(m, PQ_ACTIVE);
                ws.active += 1;
            }
        }
    }
}
