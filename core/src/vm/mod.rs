//! Pages, page queues, boot thresholds, `vm_page_alloc`/free/cache, `vm_wait` and the wakeups
//! (kernel-2008.md §2). Pages are dense `u32` indices; queues are intrusive doubly linked lists
//! over them (the kernel's TAILQs); resident pages are found through a per-object table with an
//! entry per 16 neighbouring page indices, so a block's pages are found in one cache line.

pub mod thresholds;

pub use thresholds::VmThresholds;

use crate::account::Band;
use crate::events::EventKind;
use crate::list::{Index, Link, Lists};
use crate::sched::{tsleep, Chan, Kc, TKind, Tid};

/// "No page" / "no buffer".
pub const NONE: u32 = crate::list::NIL;

/// Page queues. `WIRED` and `HELD` are not linked lists, only counts.
pub const PQ_FREE: u8 = 0;
pub const PQ_CACHE: u8 = 1;
pub const PQ_INACTIVE: u8 = 2;
pub const PQ_ACTIVE: u8 = 3;
/// Wired (`wire_count > 0`): held by a buffer or by kernel memory; invisible to the daemon.
pub const PQ_WIRED: u8 = 4;
/// Just allocated, not yet placed (never seen between two events).
pub const PQ_HELD: u8 = 5;
const NLISTS: usize = 4;

/// Page flags.
pub const PG_VALID: u8 = 1;
pub const PG_DIRTY: u8 = 2;
pub const PG_REFERENCED: u8 = 4;
/// `PG_BUSY`: hard-busy (being paged in).
pub const PG_BUSY: u8 = 8;
pub const PG_WINATCFLS: u8 = 16;
pub const PG_MARKER: u8 = 32;
/// What-if (flusher, laundry): the pageout daemon handed this dirty page to the flush or laundry
/// thread, which has not written it yet (Linux's PG_reclaim plays this part).
pub const PG_LAUNDER: u8 = 64;

/// Object ids: 0 none, 1 anonymous, 2 kernel, 3.. vnodes.
pub const OBJ_NONE: u8 = 0;
pub const OBJ_ANON: u8 = 1;
pub const OBJ_KERNEL: u8 = 2;
pub const OBJ_VNODE0: u8 = 3;

/// `vm_page_alloc` flags.
pub const VM_ALLOC_NORMAL: u8 = 1;
pub const VM_ALLOC_SYSTEM: u8 = 2;
pub const VM_ALLOC_INTERRUPT: u8 = 4;

/// `ACT_ADVANCE`, `ACT_MAX`.
pub const ACT_ADVANCE: u8 = 3;
pub const ACT_MAX: u8 = 64;

/// One page: 16 bytes. `id` packs the object (4 bits), the page index in it (21 bits: files
/// up to 8 GB) and `act_count` (7 bits).
#[derive(Clone, Copy, Debug, Default)]
pub struct Page {
    pub next: u32,
    pub prev: u32,
    id: u32,
    pub flags: u8,
    pub queue: u8,
    /// Soft-busy count (`m->busy`): pages under paging I/O. `allocbuf` ignores it on purpose.
    pub busy: u8,
    pub wire: u8,
}

const OBJ_BITS: u32 = 4;
const PINDEX_BITS: u32 = 21;
const OBJ_MASK: u32 = (1 << OBJ_BITS) - 1;
const PINDEX_MASK: u32 = (1 << PINDEX_BITS) - 1;
const ACT_SHIFT: u32 = OBJ_BITS + PINDEX_BITS;

/// Objects and page indices that fit in a page's `id`.
pub const MAX_OBJECTS: u32 = 1 << OBJ_BITS;
pub const MAX_PINDEX: u32 = PINDEX_MASK;

impl Page {
    /// The object the page belongs to.
    pub fn obj(&self) -> u8 {
        (self.id & OBJ_MASK) as u8
    }
    /// Its index in the object.
    pub fn pindex(&self) -> u32 {
        (self.id >> OBJ_BITS) & PINDEX_MASK
    }
    /// `act_count`.
    pub fn act(&self) -> u8 {
        (self.id >> ACT_SHIFT) as u8
    }
    fn set_owner(&mut self, obj: u8, pindex: u32) {
        debug_assert!(u32::from(obj) < MAX_OBJECTS && pindex <= MAX_PINDEX);
        self.id = (self.id & !(PINDEX_MASK << OBJ_BITS | OBJ_MASK))
            | (pindex & PINDEX_MASK) << OBJ_BITS
            | u32::from(obj) & OBJ_MASK;
    }
    pub fn set_act(&mut self, act: u8) {
        self.id = (self.id & !(0x7f << ACT_SHIFT)) | u32::from(act.min(0x7f)) << ACT_SHIFT;
    }
}

impl Link for Page {
    fn next(&self) -> u32 {
        self.next
    }
    fn prev(&self) -> u32 {
        self.prev
    }
    fn set_next(&mut self, v: u32) {
        self.next = v;
    }
    fn set_prev(&mut self, v: u32) {
        self.prev = v;
    }
}

/// The VM system's state.
#[derive(Debug)]
pub struct Vm {
    /// Managed pages, then the markers.
    pub pages: Vec<Page>,
    pub npages: u32,
    lists: Lists<NLISTS>,
    /// Counts per queue (FREE, CACHE, INACTIVE, ACTIVE, WIRED, HELD).
    pub count: [u32; 6],
    /// Resident-page table (object, pindex) → page.
    table: Index,
    pub t: VmThresholds,
    /// `vm_pages_needed`.
    pub vm_pages_needed: bool,
    /// With 20479584e1's `pagedaemon_wakeup()`, `vm_pages_needed` counts: the requests beyond
    /// the first, made while the daemon was already running and memory below min.
    pub vm_pages_needed_more: u32,
    /// `vm_pageout_pages_needed`.
    pub vm_pageout_pages_needed: bool,
    /// `vm_pageout_deficit`.
    pub vm_pageout_deficit: i64,
}

/// The marker page the pageout daemon's inactive scan uses to keep its place.
pub const MARKER_SCAN: u32 = 0;

impl Vm {
    /// `npages` managed pages, all free.
    pub fn new(npages: u32, t: VmThresholds) -> Vm {
        let nmarkers = 1;
        let total = npages as usize + nmarkers;
        let mut vm = Vm {
            pages: vec![Page::default(); total],
            npages,
            lists: Lists::default(),
            count: [0; 6],
            table: Index::new(),
            t,
            vm_pages_needed: false,
            vm_pages_needed_more: 0,
            vm_pageout_pages_needed: false,
            vm_pageout_deficit: 0,
        };
        for p in 0..npages {
            vm.pages[p as usize].queue = PQ_HELD;
            vm.count[PQ_HELD as usize] += 1;
            vm.enqueue_tail(p, PQ_FREE);
        }
        let m = vm.marker(MARKER_SCAN);
        vm.pages[m as usize].flags = PG_MARKER;
        vm.pages[m as usize].queue = PQ_HELD;
        vm
    }

    /// Page index of marker `i`.
    pub fn marker(&self, i: u32) -> u32 {
        self.npages + i
    }

    pub fn free_count(&self) -> u32 {
        self.count[PQ_FREE as usize]
    }
    pub fn cache_count(&self) -> u32 {
        self.count[PQ_CACHE as usize]
    }
    /// free + cache: what every predicate compares.
    pub fn fc(&self) -> u32 {
        self.free_count() + self.cache_count()
    }
    /// `vm_page_count_severe()`.
    pub fn count_severe(&self) -> bool {
        self.fc() < self.t.v_free_severe
    }
    /// `vm_page_count_min()`.
    pub fn count_min(&self) -> bool {
        self.fc() < self.t.v_free_min
    }
    /// `vm_paging_target()`: positive = shortage.
    pub fn paging_target(&self) -> i64 {
        i64::from(self.t.v_free_target + self.t.v_cache_min) - i64::from(self.fc())
    }
    /// `vm_page_count_min(donotcount)` of 20479584e1 (Dec 2008): below `v_free_min` not counting
    /// `donotcount` pages, or fewer truly free pages than `v_free_reserved`.
    pub fn count_min_dec2008(&self, donotcount: u32) -> bool {
        self.t.v_free_min + donotcount > self.fc() || self.t.v_free_reserved > self.free_count()
    }
    /// `vm_paging_needed()` (2008; after 20479584e1 nothing calls it).
    pub fn paging_needed(&self) -> bool {
        self.paging_needed_at(self.fc())
    }
    /// `vm_paging_needed()` with `fc` pages free + cached.
    pub fn paging_needed_at(&self, fc: u32) -> bool {
        fc < self.t.v_free_reserved + self.t.v_cache_min
    }

    // ---- queues and the resident-page index ---------------------------------------------------

    /// Removes `p` from its queue (list or count).
    pub fn unqueue(&mut self, p: u32) {
        let pg = self.pages[p as usize];
        if (pg.queue as usize) < NLISTS {
            self.lists.remove(&mut self.pages, pg.queue as usize, p);
        }
        if pg.flags & PG_MARKER == 0 {
            self.count[pg.queue as usize] -= 1;
            self.count[PQ_HELD as usize] += 1;
        }
        self.pages[p as usize].queue = PQ_HELD;
    }

    /// Appends a held page (or marker) to queue `q`.
    pub fn enqueue_tail(&mut self, p: u32, q: u8) {
        debug_assert_eq!(self.pages[p as usize].queue, PQ_HELD);
        if self.pages[p as usize].flags & PG_MARKER == 0 {
            self.count[PQ_HELD as usize] -= 1;
            self.count[q as usize] += 1;
        }
        self.pages[p as usize].queue = q;
        if (q as usize) < NLISTS {
            self.lists.push_tail(&mut self.pages, q as usize, p);
        }
    }

    /// Inserts the held marker `p` right after `after` in `after`'s queue.
    pub fn insert_marker_after(&mut self, after: u32, p: u32) {
        let q = self.pages[after as usize].queue;
        debug_assert!((q as usize) < NLISTS);
        self.pages[p as usize].queue = q;
        self.lists
            .insert_after(&mut self.pages, q as usize, after, p);
    }

    /// Turns the CACHE page `p` into a FREE one (free + cache does not change).
    pub fn free_cached(&mut self, p: u32) {
        debug_assert_eq!(self.pages[p as usize].queue, PQ_CACHE);
        self.unqueue(p);
        self.remove(p);
        self.pages[p as usize].flags = 0;
        self.enqueue_tail(p, PQ_FREE);
    }

    /// Moves `p` to the tail of `q`.
    pub fn requeue(&mut self, p: u32, q: u8) {
        if self.pages[p as usize].queue == q && (q as usize) < NLISTS {
            // same queue: relink only, the counts do not change
            self.lists.remove(&mut self.pages, q as usize, p);
            self.lists.push_tail(&mut self.pages, q as usize, p);
            return;
        }
        self.unqueue(p);
        self.enqueue_tail(p, q);
    }

    pub fn head(&self, q: u8) -> u32 {
        self.lists.head(q as usize)
    }

    /// Moves the pages `first..=last`, contiguous on queue `q`, to its tail: what `requeue(p, q)`
    /// of each of them in turn does, in O(1). See [`TailRun`].
    fn move_to_tail(&mut self, q: u8, first: u32, last: u32) {
        self.lists
            .move_to_tail(&mut self.pages, q as usize, first, last);
    }

    /// `vm_page_lookup(obj, pindex)`.
    pub fn lookup(&self, obj: u8, pindex: u32) -> u32 {
        self.table.get(usize::from(obj), pindex)
    }

    /// `vm_page_insert`. Only vnode pages are looked up, so only they enter the index.
    pub fn insert(&mut self, p: u32, obj: u8, pindex: u32) {
        self.pages[p as usize].set_owner(obj, pindex);
        if obj >= OBJ_VNODE0 {
            self.table.insert(usize::from(obj), pindex, p);
        }
    }

    /// `vm_page_remove`: the page leaves its object.
    pub fn remove(&mut self, p: u32) {
        let (obj, pindex) = (
            self.pages[p as usize].obj(),
            self.pages[p as usize].pindex(),
        );
        if obj >= OBJ_VNODE0 {
            self.table.remove(usize::from(obj), pindex, p);
        }
        self.pages[p as usize].set_owner(OBJ_NONE, pindex);
    }

    /// Bytes of page and table memory.
    pub fn memory_bytes(&self) -> usize {
        self.pages.len() * size_of::<Page>() + self.table.memory_bytes()
    }
}

/// The pages a walk of one queue sends to its tail, in the order it visits them, moved there in
/// runs rather than one by one. A scan that requeues most of the pages it visits (the active
/// scans) would otherwise relink every page twice; the queue ends up the same: the pages it did
/// not reach, then the ones it sent back, in visiting order. Pages the walk takes off the queue
/// in between keep a run whole; anything else left in place ends the run.
#[derive(Debug)]
pub struct TailRun {
    q: u8,
    first: u32,
    last: u32,
}

impl TailRun {
    pub fn new(q: u8) -> TailRun {
        TailRun {
            q,
            first: NONE,
            last: NONE,
        }
    }

    /// `requeue(p, q)`, deferred: `p` is on the queue and is the page the walk just visited.
    pub fn push(&mut self, vm: &mut Vm, p: u32) {
        debug_assert_eq!(vm.pages[p as usize].queue, self.q);
        if self.first != NONE && vm.pages[self.last as usize].next != p {
            self.flush(vm);
        }
        if self.first == NONE {
            self.first = p;
        }
        self.last = p;
    }

    /// Moves the pending run to the tail. Call before anything else reads or changes the queue.
    pub fn flush(&mut self, vm: &mut Vm) {
        if self.first != NONE {
            vm.move_to_tail(self.q, self.first, self.last);
            self.first = NONE;
            self.last = NONE;
        }
    }
}

// ---- allocation, freeing, waiting: methods on the kernel --------------------------------------

use crate::kernel::Kernel;

impl Kernel {
    /// Whether thread `t` gets VM_ALLOC_SYSTEM on every allocation (`TDF_SYSTHREAD`; before the
    /// fix only `curthread == pagethread`).
    pub fn systhread(&self, t: Tid) -> bool {
        let Some(th) = self.sched.threads.get(t) else {
            return false; // boot, before any thread exists
        };
        match th.kind {
            TKind::PageDaemon | TKind::EmergPager => true,
            TKind::BufDaemon | TKind::BufDaemonHw => self.policy.systhread_bufdaemons(),
            // FreeBSD's laundry thread is a thread of pageproc: `curproc == pageproc` promotes it
            TKind::Laundry => true,
            _ => false,
        }
    }

    /// Whether thread `t` is the pageout daemon or a buf daemon (whatever its privileges).
    pub fn systhread_kind(&self, t: Tid) -> bool {
        self.sched.threads.get(t).is_some_and(|th| {
            matches!(
                th.kind,
                TKind::PageDaemon
                    | TKind::BufDaemon
                    | TKind::BufDaemonHw
                    | TKind::Flush
                    | TKind::Laundry
                    | TKind::EmergPager
            )
        })
    }

    /// `vm_page_alloc(obj, pindex, flags)` (§2.2, §9.4). Returns a hard-busy page in no queue,
    /// or NONE after `vm_pageout_deficit++` and `pagedaemon_wakeup()`.
    pub fn vm_page_alloc(&mut self, obj: u8, pindex: u32, mut flags: u8) -> u32 {
        if self.systhread(self.sched.cur) {
            flags |= VM_ALLOC_SYSTEM;
        }
        if self.sched.cur == self.pagedaemon && self.policy.pf_memalloc() {
            // what-if, Linux PF_MEMALLOC: the reclaimer ignores the watermarks, down to the last
            // free page (DragonFly's only reclaimer is the pageout daemon)
            flags |= VM_ALLOC_INTERRUPT;
        }
        let r = self.vm.t.v_free_reserved;
        let i = self.vm.t.v_interrupt_free_min;
        loop {
            let f = self.vm.free_count();
            let c = self.vm.cache_count();
            if f > r
                || (flags & VM_ALLOC_INTERRUPT != 0 && f > 0)
                || (flags & VM_ALLOC_SYSTEM != 0 && c == 0 && f > i)
            {
                let cur = self.sched.cur;
                let band = Band::of(f, r, i);
                if let Some(th) = self.sched.threads.get_mut(cur) {
                    let first = match band {
                        Band::Normal => None,
                        Band::System => Some((th.acct.pages_system, EventKind::SystemReserve)),
                        Band::Interrupt => {
                            Some((th.acct.pages_interrupt, EventKind::InterruptReserve))
                        }
                    };
                    th.acct.took(band);
                    if let Some((0, kind)) = first {
                        self.event(kind, format!("its first page with {f} free pages left"));
                    }
                }
                let p = self.vm.head(PQ_FREE);
                self.vm.unqueue(p);
                let pg = &mut self.vm.pages[p as usize];
                debug_assert!(pg.obj() == OBJ_NONE && pg.flags & PG_DIRTY == 0);
                pg.flags = PG_BUSY;
                pg.busy = 0;
                pg.wire = 0;
                pg.set_act(0);
                self.vm.insert(p, obj, pindex);
                // 20479584e1: "pagedaemon_wakeup()" on every allocation; before, only when
                // vm_paging_needed()
                if self.policy.alloc_wakeup() || self.vm.paging_needed() {
                    self.pagedaemon_wakeup();
                }
                self.note_memory_level();
                return p;
            }
            if flags & VM_ALLOC_NORMAL != 0 && c > 0 {
                // vm_page_select_cache: free the head of the cache queue into FREE and retry
                self.vm.free_cached(self.vm.head(PQ_CACHE));
                continue;
            }
            let cur = self.sched.cur;
            if let Some(th) = self.sched.threads.get_mut(cur) {
                th.acct.alloc_failures += 1;
                if flags & VM_ALLOC_SYSTEM != 0 {
                    th.acct.reserve_empty += 1;
                    let tick = self.sched.tick();
                    if self.events.reserve_empty_due(cur, tick) {
                        self.event(
                            EventKind::ReserveEmpty,
                            format!("a VM_ALLOC_SYSTEM allocation found {f} free, {c} cached"),
                        );
                    }
                }
            }
            self.vm.vm_pageout_deficit += 1;
            self.pagedaemon_wakeup();
            return NONE;
        }
    }

    /// `vm_page_free`: the page leaves its object and goes to FREE.
    pub fn vm_page_free(&mut self, p: u32) {
        debug_assert_eq!(self.vm.pages[p as usize].wire, 0);
        if self.vm.pages[p as usize].queue != PQ_HELD {
            self.vm.unqueue(p);
        }
        self.vm.remove(p);
        let pg = &mut self.vm.pages[p as usize];
        pg.flags = 0;
        pg.busy = 0;
        pg.set_act(0);
        self.vm.enqueue_tail(p, PQ_FREE);
        self.stats.pages_freed += 1;
        self.vm_page_free_wakeup();
    }

    /// `vm_page_cache`: a clean, unbusy, unwired page moves to CACHE (counts as free).
    pub fn vm_page_cache(&mut self, p: u32) {
        let pg = self.vm.pages[p as usize];
        debug_assert!(pg.flags & (PG_DIRTY | PG_BUSY) == 0 && pg.busy == 0 && pg.wire == 0);
        if pg.queue != PQ_HELD {
            self.vm.unqueue(p);
        }
        self.vm.pages[p as usize].flags &= !(PG_REFERENCED | PG_WINATCFLS | PG_LAUNDER);
        self.vm.enqueue_tail(p, PQ_CACHE);
        self.stats.pages_freed += 1;
        self.vm_page_free_wakeup();
    }

    /// `vm_page_try_to_cache`.
    pub fn vm_page_try_to_cache(&mut self, p: u32) -> bool {
        let pg = self.vm.pages[p as usize];
        if pg.flags & (PG_DIRTY | PG_BUSY) != 0 || pg.busy != 0 || pg.wire != 0 {
            return false;
        }
        if pg.flags & PG_VALID == 0 {
            self.vm_page_free(p);
        } else {
            self.vm_page_cache(p);
        }
        true
    }

    /// `vm_page_try_to_free`: only clean, unbusy, unwired pages.
    pub fn vm_page_try_to_free(&mut self, p: u32) -> bool {
        let pg = self.vm.pages[p as usize];
        if pg.flags & (PG_DIRTY | PG_BUSY) != 0 || pg.busy != 0 || pg.wire != 0 {
            return false;
        }
        self.vm_page_free(p);
        true
    }

    /// `vm_page_activate`.
    pub fn vm_page_activate(&mut self, p: u32) {
        let pg = &mut self.vm.pages[p as usize];
        if pg.wire > 0 {
            return;
        }
        pg.set_act((pg.act() + ACT_ADVANCE + 1).min(ACT_MAX));
        pg.flags &= !PG_WINATCFLS;
        debug_assert_ne!(pg.queue, PQ_FREE, "a free page is not activated");
        self.vm.requeue(p, PQ_ACTIVE);
    }

    /// `vm_page_deactivate`.
    pub fn vm_page_deactivate(&mut self, p: u32) {
        let pg = &mut self.vm.pages[p as usize];
        if pg.wire > 0 {
            return;
        }
        pg.flags &= !PG_WINATCFLS;
        self.vm.requeue(p, PQ_INACTIVE);
    }

    /// `vm_page_wire`: removes the page from its queue (CACHE included).
    pub fn vm_page_wire(&mut self, p: u32) {
        let pg = self.vm.pages[p as usize];
        if pg.wire == 0 {
            if pg.queue != PQ_HELD {
                self.vm.unqueue(p);
            }
            self.vm.enqueue_tail(p, PQ_WIRED);
        }
        self.vm.pages[p as usize].wire += 1;
    }

    /// `vm_page_unwire(m, 0)`: at zero the page goes to the tail of INACTIVE.
    pub fn vm_page_unwire(&mut self, p: u32) {
        let pg = &mut self.vm.pages[p as usize];
        debug_assert!(pg.wire > 0);
        pg.wire -= 1;
        if pg.wire == 0 {
            pg.flags &= !PG_WINATCFLS;
            self.vm.unqueue(p);
            self.vm.enqueue_tail(p, PQ_INACTIVE);
        }
    }

    /// `vm_page_wakeup`: clears PG_BUSY and wakes "pgtblk" sleepers.
    pub fn vm_page_wakeup(&mut self, p: u32) {
        self.vm.pages[p as usize].flags &= !PG_BUSY;
        self.sched.wakeup(Chan::Page(p));
    }

    /// `vm_page_free_wakeup()` (§2.4): runs whenever a page enters FREE or CACHE.
    pub fn vm_page_free_wakeup(&mut self) {
        if self.vm.vm_pageout_pages_needed && self.vm.fc() >= self.vm.t.v_pageout_free_min {
            self.vm.vm_pageout_pages_needed = false;
            self.sched.wakeup(Chan::PageoutPagesNeeded);
        }
        let min = if self.policy.alloc_wakeup() {
            self.vm.count_min_dec2008(0)
        } else {
            self.vm.count_min()
        };
        if self.vm.vm_pages_needed && !min {
            self.vm.vm_pages_needed = false;
            self.vm.vm_pages_needed_more = 0;
            self.sched.wakeup(Chan::FreeCount);
        }
    }

    /// A page leaves CACHE other than through `vm_page_alloc` (wired into a buffer, reactivated
    /// by a fault): until Dec 2008 that woke the daemon while free+cache < min + cache_min;
    /// with 20479584e1 `vm_page_unqueue()` calls `pagedaemon_wakeup()` for every such page.
    pub fn cache_page_taken(&mut self) {
        if self.policy.alloc_wakeup() || self.vm.fc() < self.vm.t.v_free_min + self.vm.t.v_cache_min
        {
            self.pagedaemon_wakeup();
        }
    }

    /// `pagedaemon_wakeup()`: a no-op from the daemon itself. With 20479584e1 it acts only
    /// below `v_free_severe`, and counts the requests made while the daemon runs below min.
    pub fn pagedaemon_wakeup(&mut self) {
        if self.sched.cur == self.pagedaemon {
            return;
        }
        if self.policy.alloc_wakeup() {
            if !self.vm.count_severe() {
                return;
            }
            if !self.vm.vm_pages_needed {
                self.vm.vm_pages_needed = true;
                self.sched.wakeup(Chan::PageDaemon);
            } else if self.vm.count_min_dec2008(0) {
                self.vm.vm_pages_needed_more += 1;
            }
        } else if !self.vm.vm_pages_needed {
            self.vm.vm_pages_needed = true;
            self.sched.wakeup(Chan::PageDaemon);
        }
    }
}

/// `vm_wait(timo)`: the pageout daemon sleeps on its own channel ("VMWait") until
/// free+cache ≥ `v_pageout_free_min`; anyone else wakes the daemon and sleeps "vmwait" until
/// not `vm_page_count_min()`. `timo` in ticks, 0 = forever.
/// `from` names the caller (`bio_page_alloc`, `kmem_slab_alloc`), shown with the wait.
/// What-if (FreeBSD `vm_wait_doms()`): with `pageprocwait` the pageout daemon, and its laundry
/// thread, sleep one tick ("pageprocwait") whatever `timo` asked for, and retry.
pub async fn vm_wait(k: &Kc, timo: u64, from: &'static str) {
    let pageproc = {
        let kk = k.borrow();
        let cur = kk.sched.cur;
        let laundry = kk
            .sched
            .threads
            .get(cur)
            .is_some_and(|th| th.kind == TKind::Laundry);
        (cur == kk.pagedaemon || laundry) && kk.policy.pageprocwait()
    };
    let timo = if pageproc { 1 } else { timo };
    let (chan, wmesg) = {
        let mut kk = k.borrow_mut();
        if timo == 0 && kk.systhread_kind(kk.sched.cur) {
            let fc = kk.vm.fc();
            kk.event(
                EventKind::WaitsForMemory,
                format!("sleeps in vm_wait from {from} with no timeout, free+cache {fc}"),
            );
        }
        if kk.sched.cur == kk.pagedaemon {
            kk.vm.vm_pageout_pages_needed = true;
            (Chan::PageoutPagesNeeded, "VMWait")
        } else {
            if !kk.vm.vm_pages_needed {
                kk.vm.vm_pages_needed = true;
                kk.sched.wakeup(Chan::PageDaemon);
            }
            (Chan::FreeCount, "vmwait")
        }
    };
    let wmesg = if pageproc { "pageprocwait" } else { wmesg };
    tsleep(k, chan, wmesg, timo).from(from).await;
}

/// `vm_waitpfault()`: like `vm_wait(0)` for a faulting process, wmesg "pfault".
pub async fn vm_waitpfault(k: &Kc) {
    {
        let mut kk = k.borrow_mut();
        if !kk.vm.vm_pages_needed {
            kk.vm.vm_pages_needed = true;
            kk.sched.wakeup(Chan::PageDaemon);
        }
    }
    tsleep(k, Chan::FreeCount, "pfault", 0)
        .from("vm_fault")
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(n: u32) -> Vm {
        Vm::new(n, VmThresholds::compute(n, n))
    }

    #[test]
    fn queues_are_intrusive_lists_with_counts() {
        let mut v = vm(10);
        assert_eq!(v.free_count(), 10);
        let p = v.head(PQ_FREE);
        v.unqueue(p);
        v.enqueue_tail(p, PQ_INACTIVE);
        assert_eq!(v.count[PQ_INACTIVE as usize], 1);
        assert_eq!(v.free_count(), 9);
        v.requeue(p, PQ_ACTIVE);
        assert_eq!(v.head(PQ_ACTIVE), p);
        assert_eq!(v.head(PQ_INACTIVE), NONE);
    }

    #[test]
    fn resident_table_survives_inserts_and_removals_in_any_order() {
        let mut v = vm(64);
        for p in 0..64 {
            v.insert(p, OBJ_VNODE0 + (p % 3) as u8, p * 7);
        }
        for p in (0..64).step_by(2) {
            v.remove(p);
        }
        for p in 0..64u32 {
            let found = v.lookup(OBJ_VNODE0 + (p % 3) as u8, p * 7);
            assert_eq!(found, if p % 2 == 0 { NONE } else { p }, "page {p}");
        }
    }
}
