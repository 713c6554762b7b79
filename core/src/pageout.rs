//! The pageout daemon (kernel-2008.md §3): the main loop, the inactive and active scans,
//! clustering of dirty pages and putpages as a UIO_NOCOPY write into the filesystem.

use crate::events::EventKind;
use crate::fs::{putpages, vn_lock, vn_unlock};
use crate::kernel::Kernel;
use crate::sched::{tsleep, Chan, Kc, TKind, Wake};
use crate::vm::{
    Page, TailRun, ACT_ADVANCE, ACT_MAX, MARKER_SCAN, NONE, OBJ_ANON, OBJ_KERNEL, OBJ_VNODE0,
    PG_BUSY, PG_DIRTY, PG_LAUNDER, PG_MARKER, PG_REFERENCED, PG_VALID, PG_WINATCFLS, PQ_ACTIVE,
    PQ_CACHE, PQ_INACTIVE,
};
use crate::HZ;

/// `vm_max_launder`.
const VM_MAX_LAUNDER: i64 = 32;

/// What-if: the most pages waiting for the flush or laundry thread at once.
const LAUNDER_QUEUE: usize = 256;

/// What-if: the flush thread (Linux) or the laundry thread (FreeBSD) — the one that writes the
/// dirty file pages the pageout daemon handed over, through the same `vm_pageout_clean` and
/// UIO_NOCOPY VOP_WRITE the daemon used, so that when it sleeps in the filesystem or the
/// allocator the daemon goes on scanning. It locks the vnode as the daemon does (LK_TIMELOCK
/// with f043c4c79c); a page that changed meanwhile is skipped.
pub async fn vm_launder(k: Kc) {
    loop {
        let next = k.borrow_mut().launder_q.pop_front();
        let Some((vp, pi)) = next else {
            tsleep(&k, Chan::Launder, "psleep", 0).await;
            continue;
        };
        let (p, timo) = {
            let mut kk = k.borrow_mut();
            let p = kk.vm.lookup(OBJ_VNODE0 + vp as u8, pi);
            if p != NONE {
                kk.vm.pages[p as usize].flags &= !PG_LAUNDER;
            }
            let timo = if kk.policy.vnode_lock_timeout() {
                HZ / 10
            } else {
                0
            };
            (p, timo)
        };
        if p == NONE {
            continue;
        }
        if vn_lock(&k, vp, timo).await {
            let still = {
                let kk = k.borrow();
                let pg = kk.vm.pages[p as usize];
                pg.queue == PQ_INACTIVE
                    && pg.obj() == OBJ_VNODE0 + vp as u8
                    && pg.pindex() == pi
                    && pg.flags & (PG_BUSY | PG_DIRTY) == PG_DIRTY
                    && pg.busy == 0
            };
            if still {
                vm_pageout_clean(&k, p, vp).await;
            }
            vn_unlock(&k, vp);
        } else {
            k.borrow_mut().stats.pageout_lock_miss += 1;
        }
    }
}

/// `vm_pageout()`: the daemon's main loop (§3.1).
pub async fn vm_pageout(k: Kc) {
    if k.borrow().policy.alloc_wakeup() {
        return vm_pageout_dec2008(k).await;
    }
    let mut pass: u32 = 0;
    let mut fullintervalcount: u64 = 0;
    loop {
        let needed = {
            let mut kk = k.borrow_mut();
            if kk.vm.vm_pages_needed && !kk.vm.count_min() {
                kk.sched.wakeup(Chan::FreeCount);
                if !kk.vm.paging_needed() {
                    kk.vm.vm_pages_needed = false;
                }
            }
            kk.vm.vm_pages_needed
        };
        if needed {
            pass += 1;
            if pass > 1 {
                tsleep(&k, Chan::PageDaemon, "psleep", HZ / 2).await;
            }
        } else {
            pass = if pass > 1 { 1 } else { 0 };
            let w = tsleep(&k, Chan::PageDaemon, "psleep", 5 * HZ).await;
            if w == Wake::Timeout && !k.borrow().vm.vm_pages_needed {
                k.borrow_mut().vm_pageout_page_stats(&mut fullintervalcount);
                continue;
            }
            // c3feb36a35: wake the emergency pager so it can monitor us (no-op without one)
            k.borrow_mut().sched.wakeup(Chan::PagedaemonTime);
        }
        vm_pageout_scan(&k, pass).await;
        k.borrow_mut().vm.vm_pageout_deficit = 0;
    }
}

/// `vm_pageout()` after 20479584e1 (Dec 2008): sleep until a request; then scan, and while the
/// scan leaves an inactive shortage scan again — at once when more requests came in meanwhile
/// (the first 10 passes), after a "pdelay" of hz/10 otherwise, or of hz when swap is full.
async fn vm_pageout_dec2008(k: Kc) {
    let mut pass: u32 = 0;
    let mut fullintervalcount: u64 = 0;
    loop {
        if !k.borrow().vm.vm_pages_needed {
            let w = tsleep(&k, Chan::PageDaemon, "psleep", 5 * HZ).await;
            if w == Wake::Timeout && !k.borrow().vm.vm_pages_needed {
                k.borrow_mut().vm_pageout_page_stats(&mut fullintervalcount);
                continue;
            }
            k.borrow_mut().vm.vm_pages_needed = true;
        }
        {
            let mut kk = k.borrow_mut();
            if !kk.vm.count_min_dec2008(0) {
                kk.sched.wakeup(Chan::FreeCount);
            }
        }
        let inactive_shortage = vm_pageout_scan(&k, pass).await;
        if inactive_shortage > 0 {
            pass += 1;
            let (full, more) = {
                let kk = k.borrow();
                (kk.swap.full, kk.vm.vm_pages_needed_more)
            };
            if full {
                // "Running out of memory, catastrophic back-off to one-second intervals."
                tsleep(&k, Chan::PageDaemon, "pdelay", HZ).await;
            } else if pass < 10 && more > 0 {
                // "additional processes have already kicked us. Retry immediately."
            } else if pass < 10 {
                {
                    let mut kk = k.borrow_mut();
                    kk.vm.vm_pages_needed = false;
                    kk.vm.vm_pages_needed_more = 0;
                }
                tsleep(&k, Chan::PageDaemon, "pdelay", HZ / 10).await;
                k.borrow_mut().vm.vm_pages_needed = true;
            } else {
                tsleep(&k, Chan::PageDaemon, "pdelay", HZ / 10).await;
            }
        } else {
            pass = 0;
            let mut kk = k.borrow_mut();
            kk.vm.vm_pages_needed = false;
            kk.vm.vm_pages_needed_more = 0;
        }
    }
}

/// `vm_pageout_thread()` as the emergency pageout daemon `emergpager` (c3feb36a35, 2017): while
/// paging is needed it looks every second at `vm_pagedaemon_time`; when the pageout daemon has
/// not stamped it for 2 s ("Emergency pager running") it runs the same scan, skipping every
/// vnode-backed page, so that it only pages anonymous memory out to swap and never takes the VFS
/// locks or buffers the daemon is stuck on; it never kills for want of swap. When the daemon
/// stamps the time again: "Emergency pager finished".
pub async fn vm_emergpager(k: Kc) {
    let mut pass: u32 = 0;
    let mut emrunning = false;
    loop {
        let needed = k.borrow().vm.vm_pages_needed;
        let timo = if needed { HZ } else { 10 * HZ };
        tsleep(&k, Chan::PagedaemonTime, "psleep", timo).await;
        {
            let mut kk = k.borrow_mut();
            if !kk.vm.vm_pages_needed {
                pass = 0;
                continue;
            }
            if kk.sched.tick().saturating_sub(kk.vm_pagedaemon_time) < 2 * HZ {
                if emrunning {
                    emrunning = false;
                    kk.printf(crate::msg::EMERG_PAGER_FINISHED);
                }
                pass = 0;
                continue;
            }
            if !emrunning {
                emrunning = true;
                kk.printf(crate::msg::EMERG_PAGER_RUNNING);
                let since = kk.vm_pagedaemon_time;
                let fc = kk.vm.fc();
                kk.event(
                    EventKind::EmergencyPager,
                    format!(
                        "the pageout daemon has not got on since {}.{:02} s, free+cache {fc}",
                        since / HZ,
                        since % HZ
                    ),
                );
            }
        }
        vm_pageout_scan(&k, pass).await;
        if k.borrow().vm.paging_target() > 0 {
            pass += 1;
        }
    }
}

impl Kernel {
    /// Whether the running thread is the emergency pageout daemon (`curthread == emergpager`).
    fn isep(&self) -> bool {
        self.sched
            .threads
            .get(self.sched.cur)
            .is_some_and(|t| t.kind == TKind::EmergPager)
    }

    /// The pageout daemon stamps `vm_pagedaemon_time` as it gets on through a pass.
    fn stamp_pagedaemon_time(&mut self) {
        if !self.isep() {
            self.vm_pagedaemon_time = self.sched.tick();
        }
    }
}

/// What the inactive scan decided for one page without blocking.
enum Step {
    /// Go on with the next page.
    Next(u32),
    /// A dirty vnode page to launder: (page, vnode).
    Launder(u32, u16),
}

/// `vm_pageout_scan(pass)` (§3.2). Returns the shortage the inactive scan left (20479584e1's
/// `inactive_shortage`).
pub async fn vm_pageout_scan(k: &Kc, pass: u32) -> i64 {
    let (mut page_shortage, mut maxscan, mut m) = {
        let mut kk = k.borrow_mut();
        kk.stamp_pagedaemon_time();
        let shortage = kk.vm.paging_target() + kk.vm.vm_pageout_deficit;
        kk.vm.vm_pageout_deficit = 0;
        let maxscan = kk.vm.count[PQ_INACTIVE as usize];
        (shortage, maxscan, kk.vm.head(PQ_INACTIVE))
    };
    let mut maxlaunder = if pass == 0 { VM_MAX_LAUNDER } else { 10_000 };
    let mut addl_page_shortage: i64 = 0;

    while m != NONE && maxscan > 0 && page_shortage > 0 {
        maxscan -= 1;
        let step = k.borrow_mut().inactive_step(
            m,
            pass,
            &mut maxlaunder,
            &mut page_shortage,
            &mut addl_page_shortage,
        );
        match step {
            Step::Next(next) => m = next,
            Step::Launder(p, vp) => {
                let timo = if k.borrow().policy.vnode_lock_timeout() {
                    HZ / 10
                } else {
                    0
                };
                // vget(LK_EXCLUSIVE|LK_TIMELOCK); the marker keeps our place while we block
                let marker = {
                    let mut kk = k.borrow_mut();
                    let mk = kk.vm.marker(MARKER_SCAN);
                    kk.vm.insert_marker_after(p, mk);
                    mk
                };
                if vn_lock(k, vp, timo).await {
                    let still = {
                        let kk = k.borrow();
                        let pg = kk.vm.pages[p as usize];
                        pg.queue == PQ_INACTIVE
                            && pg.obj() == OBJ_VNODE0 + vp as u8
                            && pg.flags & (PG_BUSY | PG_DIRTY) == PG_DIRTY
                            && pg.busy == 0
                    };
                    if still && vm_pageout_clean(k, p, vp).await > 0 {
                        page_shortage -= 1;
                        maxlaunder -= 1;
                    }
                    vn_unlock(k, vp);
                } else {
                    k.borrow_mut().stats.pageout_lock_miss += 1;
                }
                let mut kk = k.borrow_mut();
                let next = kk.vm.pages[marker as usize].next;
                kk.vm.unqueue(marker);
                m = next;
            }
        }
    }

    let mut kk = k.borrow_mut();
    kk.stamp_pagedaemon_time();
    let recycle_count = if kk.policy.active_recycle() {
        kk.active_scan_dec2008(pass, &mut page_shortage)
    } else {
        kk.active_scan(pass, addl_page_shortage);
        0
    };
    // free-reserve top-up: move CACHE pages to FREE while free < reserved
    while kk.vm.free_count() < kk.vm.t.v_free_reserved {
        let p = kk.vm.head(PQ_CACHE);
        if p == NONE {
            break;
        }
        kk.vm.free_cached(p);
        kk.vm_page_free_wakeup();
    }
    if kk.policy.oom_kill() {
        kk.vm_pageout_oom_dec2008(page_shortage, recycle_count);
    } else {
        kk.vm_pageout_oom();
    }
    page_shortage
}

/// `vm_pageout_stats_interval` (5 s) and `vm_pageout_full_stats_interval` (20 s), in ticks.
const STATS_INTERVAL: u64 = 5 * HZ;
const FULL_STATS_INTERVAL: u64 = 20 * HZ;

/// What the walks of the active queue do first with a page: a busy page is left as it is; a
/// referenced one loses its reference bit and gets `act_count += ACT_ADVANCE + 1`. Returns
/// whether it was either (the walk then keeps it on the queue).
fn busy_or_referenced(p: &mut Page) -> bool {
    let busy = p.flags & PG_BUSY != 0 || p.busy != 0;
    if !busy {
        if p.flags & PG_REFERENCED == 0 {
            return false;
        }
        p.flags &= !PG_REFERENCED;
        p.set_act((p.act() + ACT_ADVANCE + 1).min(ACT_MAX));
    }
    true
}

impl Kernel {
    /// `vm_pageout_page_stats()` (§3.1): when the daemon's 5 s sleep times out with no request,
    /// age the active queue — unreferenced pages lose `act_count` and go to the inactive queue at
    /// zero — so that pages drift to the inactive queue before memory runs short. Only while
    /// free + inactive + cache is below `v_inactive_target + v_cache_max + v_free_min`; a part of
    /// the queue (`vm_pageout_stats_max` in proportion) every 5 s, the whole of it every 20 s.
    pub fn vm_pageout_page_stats(&mut self, fullintervalcount: &mut u64) {
        let t = self.vm.t;
        let have = self.vm.fc() + self.vm.count[PQ_INACTIVE as usize];
        if have >= t.v_inactive_target + t.v_cache_max + t.v_free_min {
            return;
        }
        let active = self.vm.count[PQ_ACTIVE as usize];
        let mut pcount = active;
        *fullintervalcount += STATS_INTERVAL;
        if *fullintervalcount < FULL_STATS_INTERVAL {
            // vm_pageout_stats_max = v_free_target
            let tpcount =
                (u64::from(t.v_free_target) * u64::from(active) / u64::from(t.v_page_count)) as u32;
            pcount = pcount.min(tpcount);
        } else {
            *fullintervalcount = 0;
        }
        let mut back = TailRun::new(PQ_ACTIVE);
        let mut m = self.vm.head(PQ_ACTIVE);
        while m != NONE && pcount > 0 {
            pcount -= 1;
            let pg = self.vm.pages[m as usize];
            let next = pg.next;
            if self.active_busy_or_referenced(m) {
                back.push(&mut self.vm, m);
                m = next;
                continue;
            }
            if pg.act() == 0 {
                self.vm_page_deactivate(m);
            } else {
                let p = &mut self.vm.pages[m as usize];
                p.set_act(p.act() - 1);
                back.push(&mut self.vm, m);
            }
            m = next;
        }
        back.flush(&mut self.vm);
    }

    /// One page of the inactive scan, everything that does not block.
    fn inactive_step(
        &mut self,
        m: u32,
        pass: u32,
        maxlaunder: &mut i64,
        page_shortage: &mut i64,
        addl: &mut i64,
    ) -> Step {
        let pg = self.vm.pages[m as usize];
        let next = pg.next;
        if pg.queue != PQ_INACTIVE {
            // the page moved to another queue: rescan from the head (maxscan still bounds it)
            return Step::Next(self.vm.head(PQ_INACTIVE));
        }
        if pg.flags & PG_MARKER != 0 {
            return Step::Next(next);
        }
        if pg.flags & PG_BUSY != 0 || pg.busy != 0 {
            *addl += 1;
            return Step::Next(next);
        }
        if pg.obj() >= OBJ_VNODE0 && self.isep() {
            // the emergency pager skips vnode-backed pages: they bricked the daemon
            return Step::Next(next);
        }
        if pg.flags & PG_REFERENCED != 0 {
            // activate: act_count += ACT_ADVANCE + 1 (in vm_page_activate)
            self.vm.pages[m as usize].flags &= !PG_REFERENCED;
            self.vm_page_activate(m);
            return Step::Next(next);
        }
        if pg.flags & PG_VALID == 0 {
            self.vm_page_free(m);
            *page_shortage -= 1;
            self.sched.threads[self.sched.cur].acct.pages_cached += 1;
            return Step::Next(next);
        }
        if pg.flags & PG_DIRTY == 0 {
            self.vm_page_cache(m);
            *page_shortage -= 1;
            self.sched.threads[self.sched.cur].acct.pages_cached += 1;
            return Step::Next(next);
        }
        if pass == 0 && pg.flags & PG_WINATCFLS == 0 {
            // dirty pages go around twice before being laundered
            self.vm.pages[m as usize].flags |= PG_WINATCFLS;
            self.vm.requeue(m, PQ_INACTIVE);
            return Step::Next(next);
        }
        if *maxlaunder <= 0 || pg.obj() == OBJ_KERNEL {
            self.vm.requeue(m, PQ_INACTIVE);
            return Step::Next(next);
        }
        if pg.obj() == OBJ_ANON {
            // anonymous memory goes to swap, asynchronously; without swap it stays
            if self.swap_cluster(m) {
                *page_shortage -= 1;
                *maxlaunder -= 1;
                return Step::Next(next);
            }
            self.vm.requeue(m, PQ_INACTIVE);
            return Step::Next(next);
        }
        let vp = u16::from(pg.obj() - OBJ_VNODE0);
        if self.policy.laundry() || self.policy.flusher() {
            // what-if: the daemon writes no file pages itself; it hands the page over and moves on
            self.launder_handoff(m, vp);
            return Step::Next(next);
        }
        Step::Launder(m, vp)
    }

    /// What-if (Linux: reclaim marks the folio and wakes the flusher threads; FreeBSD: the page
    /// goes to the laundry): a dirty file page found by the inactive scan is marked, queued for
    /// the flush or laundry thread, which is woken, and stays on the inactive queue. A page
    /// already handed over, or one that finds the queue full, just goes to the tail.
    fn launder_handoff(&mut self, m: u32, vp: u16) {
        let pg = self.vm.pages[m as usize];
        if pg.flags & PG_LAUNDER == 0 && self.launder_q.len() < LAUNDER_QUEUE {
            self.vm.pages[m as usize].flags |= PG_LAUNDER;
            self.launder_q.push_back((vp, pg.pindex()));
            self.sched.wakeup(Chan::Launder);
        }
        self.vm.requeue(m, PQ_INACTIVE);
    }

    /// `vm_pageout_clean` for anonymous memory: `m` and the dirty anonymous pages after it on the
    /// inactive queue, up to a cluster, soft-busied and handed to the swap pager.
    fn swap_cluster(&mut self, m: u32) -> bool {
        let mut pages = vec![m];
        let mut p = self.vm.pages[m as usize].next;
        while p != NONE && (pages.len() as u32) < self.vm.t.cluster {
            let pg = self.vm.pages[p as usize];
            let ok = pg.obj() == OBJ_ANON
                && pg.flags & (PG_DIRTY | PG_BUSY | PG_REFERENCED | PG_MARKER) == PG_DIRTY
                && pg.busy == 0;
            if !ok {
                break;
            }
            pages.push(p);
            p = pg.next;
        }
        for &q in &pages {
            self.vm.pages[q as usize].busy += 1;
        }
        if self.swap_pager_putpages(&pages) {
            let cur = self.sched.cur;
            let acct = &mut self.sched.threads[cur].acct;
            acct.pageouts += 1;
            acct.pages_laundered += pages.len() as u64;
            self.stats.pageouts += 1;
            true
        } else {
            for &q in &pages {
                self.vm.pages[q as usize].busy -= 1;
            }
            false
        }
    }

    /// The last resort of `vm_pageout_scan` (§3.2): still short of memory with (almost) no swap
    /// left, kill the largest process, "out of swap space". Here that ends the run.
    fn vm_pageout_oom(&mut self) {
        // "THE EMERGENCY PAGER (isep) DOES NOT HANDLE SWAP FULL SITUATIONS"
        if self.oom_kill.is_some() || self.vm.paging_target() <= 0 || self.isep() {
            return;
        }
        let out_of_swap = (self.swap.free() < 64 && self.vm.count_min()) || self.swap.full;
        if !out_of_swap {
            return;
        }
        // the largest process (resident + swapped): a hog holds every page it took (its pages
        // are never freed, only swapped); a mapped-file writer holds its file's resident pages
        let mut resident = vec![0u64; crate::vm::MAX_OBJECTS as usize];
        for pg in &self.vm.pages[..self.vm.npages as usize] {
            if pg.queue != crate::vm::PQ_FREE {
                resident[pg.obj() as usize] += 1;
            }
        }
        let victim = self
            .sched
            .threads
            .iter()
            .enumerate()
            .filter_map(|(t, th)| {
                let size = match th.kind {
                    TKind::Hog => {
                        let a = &th.acct;
                        a.pages_normal + a.pages_system + a.pages_interrupt
                    }
                    TKind::Mmap => {
                        let vp = self.mmap_vps.iter().find(|&&(u, _)| u == t)?.1;
                        resident[(OBJ_VNODE0 + vp as u8) as usize]
                    }
                    _ => return None,
                };
                Some((size, usize::MAX - t, t, th.name.clone()))
            })
            .max()
            .map(|(_, _, t, name)| (t, name));
        if let Some((t, name)) = victim {
            let pid = 100 + t;
            self.printf(&format!(
                "pid {pid} ({name}), uid 0, was killed: out of swap space"
            ));
            let tick = self.sched.tick();
            self.event(
                EventKind::OomKill,
                format!("killed {name}: {} pages of swap free", self.swap.free()),
            );
            self.oom_kill = Some((tick, name));
        }
    }

    /// The catastrophic-condition test of 20479584e1 (Dec 2008): with swap full and free+cache
    /// below min, "Warning: system low on memory+swap!"; if moreover the inactive queue is more
    /// than 4 times the active one and the inactive scan left a shortage, kill the process with
    /// the most anonymous memory + swap (`vmspace_anonymous_count + vmspace_swap_count`; on a
    /// tie the newest, first on the allproc list), and wake the memory waiters so it can exit.
    /// The machine goes on. `recycle_count`: the pages the active scan freed or cached while
    /// short (0 with the 2008 active scan, which never does).
    pub(crate) fn vm_pageout_oom_dec2008(&mut self, inactive_shortage: i64, recycle_count: u32) {
        if !(self.swap.full && self.vm.count_min_dec2008(recycle_count)) {
            return;
        }
        self.printf(crate::msg::LOW_MEMORY_SWAP);
        let inactive = self.vm.count[PQ_INACTIVE as usize];
        let active = self.vm.count[PQ_ACTIVE as usize];
        if !(inactive > active.saturating_mul(4) && inactive_shortage > 0) {
            return;
        }
        let sizes = self.swap.anonymous_sizes(&self.vm);
        let victim = self
            .sched
            .threads
            .iter()
            .enumerate()
            .filter(|(_, th)| !self.systhread_kind_or_flusher(th.kind))
            .map(|(t, th)| (sizes.get(t).copied().unwrap_or(0), t, th.name.clone()))
            .filter(|&(size, _, _)| size > 0)
            .max_by_key(|&(size, t, _)| (size, t));
        let Some((size, t, name)) = victim else {
            return;
        };
        let pid = 100 + t;
        self.printf(&format!(
            "pid {pid} ({name}), uid 0, was killed: out of swap space"
        ));
        self.event(
            EventKind::OomKill,
            format!(
                "killed {name}: {size} pages of anonymous memory and swap; the machine goes on"
            ),
        );
        self.stats.oom_kills += 1;
        if !self.load.killed.contains(&t) {
            self.load.killed.push(t);
        }
        if self.sched.threads[t].state == crate::sched::TState::Exited {
            // a hog that took all it wanted holds its memory without running: it goes now
            self.exit_killed(t);
        }
        self.sched.wakeup(Chan::FreeCount);
    }

    /// A killed process exits: its resident anonymous pages are freed (those under swap I/O
    /// go to the cache when it completes) and its swap space is released; `swp_sizecheck()`
    /// clears `swap_pager_full` once `nswap_lowat` (128) pages of swap are free.
    pub(crate) fn exit_killed(&mut self, t: usize) {
        for p in 0..self.vm.npages {
            let pg = self.vm.pages[p as usize];
            if pg.obj() == OBJ_ANON
                && self.swap.owner_of(p) == Some(t)
                && pg.wire == 0
                && pg.busy == 0
                && pg.flags & PG_BUSY == 0
                && pg.queue != crate::vm::PQ_FREE
            {
                self.vm_page_free(p);
            }
        }
        self.swap.release(t);
    }

    /// Kernel threads (`P_SYSTEM`), which the OOM killer never picks.
    fn systhread_kind_or_flusher(&self, kind: TKind) -> bool {
        matches!(
            kind,
            TKind::PageDaemon | TKind::BufDaemon | TKind::BufDaemonHw | TKind::Flusher
        )
    }

    /// What both walks of the active queue do first ([`busy_or_referenced`]); the walk sends
    /// such a page back to the tail (through its [`TailRun`]).
    fn active_busy_or_referenced(&mut self, m: u32) -> bool {
        busy_or_referenced(&mut self.vm.pages[m as usize])
    }

    /// The active scan at `pass` 0, where no `act_count` can fall below the pass: every page the
    /// walk visits goes back to the tail in the order visited, and the walk visits the whole
    /// queue (nothing else sits on it), so the queue keeps its order: only the pages' reference
    /// bits and `act_count`s change. The same as the walk below, without moving a page.
    fn active_age(&mut self, isep: bool) {
        let age = |p: &mut Page| {
            if isep && p.obj() >= OBJ_VNODE0 {
                return; // the emergency pager leaves vnode-backed pages as they are
            }
            if !busy_or_referenced(p) {
                p.set_act(p.act().saturating_sub(1));
            }
        };
        let active = self.vm.count[PQ_ACTIVE as usize] as usize;
        if active * 2 >= self.vm.pages.len() {
            // most pages are active: visit them in memory order, which the walk's order does not
            // change (each page's update depends on that page alone)
            for p in self.vm.pages.iter_mut().filter(|p| p.queue == PQ_ACTIVE) {
                age(p);
            }
            return;
        }
        let mut n = active;
        let mut m = self.vm.head(PQ_ACTIVE);
        while m != NONE && n > 0 {
            n -= 1;
            let p = &mut self.vm.pages[m as usize];
            m = p.next;
            age(p);
        }
        debug_assert_eq!(m, NONE, "the active queue holds only its counted pages");
    }

    /// The active scan (§3.2).
    pub(crate) fn active_scan(&mut self, pass: u32, addl: i64) {
        let mut shortage = self.vm.paging_target() + i64::from(self.vm.t.v_inactive_target)
            - i64::from(self.vm.count[PQ_INACTIVE as usize])
            + addl;
        let isep = self.isep();
        if pass == 0 {
            if shortage > 0 {
                self.active_age(isep);
            }
            return;
        }
        let mut n = self.vm.count[PQ_ACTIVE as usize];
        let mut back = TailRun::new(PQ_ACTIVE);
        let mut m = self.vm.head(PQ_ACTIVE);
        while m != NONE && n > 0 && shortage > 0 {
            n -= 1;
            let next = self.vm.pages[m as usize].next;
            if isep && self.vm.pages[m as usize].obj() >= OBJ_VNODE0 {
                // the emergency pager moves vnode-backed pages to the tail and leaves them
                back.push(&mut self.vm, m);
            } else if self.active_busy_or_referenced(m) {
                back.push(&mut self.vm, m);
            } else {
                let p = &mut self.vm.pages[m as usize];
                p.set_act(p.act().saturating_sub(1));
                if u32::from(p.act()) < pass {
                    self.vm_page_deactivate(m);
                    shortage -= 1;
                } else {
                    back.push(&mut self.vm, m);
                }
            }
            m = next;
        }
        back.flush(&mut self.vm);
    }

    /// The active scan of 20479584e1 (Dec 2008): while the inactive scan left a shortage (or
    /// the inactive queue is below its target), deactivate pages whose `act_count` fell below
    /// `pass + 1`; while short, cache the clean ones at once instead ("recycling", counted in
    /// the returned `recycle_count`, each one taken off the shortage) — so that with no swap the
    /// dirty anonymous pages pile up on the inactive queue, which the OOM test reads.
    pub(crate) fn active_scan_dec2008(&mut self, pass: u32, inactive_shortage: &mut i64) -> u32 {
        let mut active_shortage = if *inactive_shortage > 0 {
            i64::from(self.vm.t.v_inactive_target) - i64::from(self.vm.count[PQ_INACTIVE as usize])
        } else {
            0
        };
        let mut recycle_count = 0;
        let mut n = self.vm.count[PQ_ACTIVE as usize];
        let mut back = TailRun::new(PQ_ACTIVE);
        let mut m = self.vm.head(PQ_ACTIVE);
        while m != NONE && n > 0 && (*inactive_shortage > 0 || active_shortage > 0) {
            n -= 1;
            let next = self.vm.pages[m as usize].next;
            if self.active_busy_or_referenced(m) {
                back.push(&mut self.vm, m);
            } else {
                let p = &mut self.vm.pages[m as usize];
                p.set_act(p.act().saturating_sub(1));
                if u32::from(p.act()) < pass + 1 {
                    active_shortage -= 1;
                    if *inactive_shortage > 0 {
                        recycle_count += 1;
                        if p.flags & PG_DIRTY == 0 {
                            *inactive_shortage -= 1;
                            self.vm_page_cache(m);
                            self.sched.threads[self.sched.cur].acct.pages_cached += 1;
                        } else {
                            self.vm_page_deactivate(m);
                        }
                    } else {
                        self.vm_page_deactivate(m);
                    }
                } else {
                    back.push(&mut self.vm, m);
                }
            }
            m = next;
        }
        back.flush(&mut self.vm);
        recycle_count
    }

    /// The cluster around `m` (§3.3): up to `vm_pageout_page_count` contiguous pages that are
    /// resident, dirty, inactive, unwired and not busy; first backward to an aligned boundary,
    /// then forward, then backward again past the boundary if there is room.
    fn cluster(&self, m: u32, vp: u16) -> (u32, u32) {
        let obj = OBJ_VNODE0 + vp as u8;
        let size = self.vnodes[vp as usize].size_pages;
        let ppc = self.vm.t.cluster;
        let qualifies = |pi: u32| {
            let p = self.vm.lookup(obj, pi);
            if p == NONE {
                return false;
            }
            let pg = self.vm.pages[p as usize];
            pg.queue == PQ_INACTIVE
                && pg.flags & (PG_DIRTY | PG_BUSY) == PG_DIRTY
                && pg.busy == 0
                && pg.wire == 0
        };
        let pi = self.vm.pages[m as usize].pindex();
        let mut first = pi;
        while first % ppc != 0 && first > 0 && qualifies(first - 1) {
            first -= 1;
        }
        let mut last = pi;
        while last + 1 < size && last + 1 - first < ppc && qualifies(last + 1) {
            last += 1;
        }
        while last + 1 - first < ppc && first > 0 && qualifies(first - 1) {
            first -= 1;
        }
        (first, last + 1 - first)
    }
}

/// `vm_pageout_clean(m)` + `vm_pageout_flush()` (§3.3, §3.4): soft-busy the cluster and hand it
/// to the filesystem, synchronously below `v_pageout_free_min`. Returns the pages written.
async fn vm_pageout_clean(k: &Kc, m: u32, vp: u16) -> u32 {
    let (first, n, sync) = {
        let mut kk = k.borrow_mut();
        let (first, n) = kk.cluster(m, vp);
        let obj = OBJ_VNODE0 + vp as u8;
        for pi in first..first + n {
            let p = kk.vm.lookup(obj, pi);
            kk.vm.pages[p as usize].busy += 1;
        }
        let sync = kk.vm.fc() < kk.vm.t.v_pageout_free_min;
        kk.stats.pageouts += 1;
        if kk.stats.pageouts == 1 {
            kk.event(
                EventKind::FirstPageout,
                format!(
                    "{n} dirty page{} to the filesystem as a UIO_NOCOPY VOP_WRITE",
                    if n == 1 { " goes" } else { "s go" }
                ),
            );
        }
        let cur = kk.sched.cur;
        let acct = &mut kk.sched.threads[cur].acct;
        acct.pageouts += 1;
        acct.pages_laundered += u64::from(n);
        (first, n, sync)
    };
    putpages(k, vp, first, n, sync).await;
    let mut kk = k.borrow_mut();
    let obj = OBJ_VNODE0 + vp as u8;
    let severe = kk.vm.count_severe();
    for pi in first..first + n {
        let p = kk.vm.lookup(obj, pi);
        if p == NONE {
            continue;
        }
        kk.vm.pages[p as usize].busy -= 1;
        if severe && kk.vm.pages[p as usize].wire == 0 {
            kk.vm_page_deactivate(p);
        }
    }
    n
}
