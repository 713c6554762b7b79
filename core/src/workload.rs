//! User processes: write(2) writers, writers that dirty pages of a shared writable mapping of a
//! large file (the path that reaches the pageout daemon), anonymous-memory consumers, and the
//! sync(2) caller of an intervention. Their rates live in [`Load`], which timed interventions
//! change during a run.

use crate::buf::daemon::{bwillwrite, flushbufqueues};
use crate::buf::PAGE_SIZE;
use crate::buf::{BQ_DIRTY, BQ_DIRTY_HW};
use crate::fs::{vn_lock, vn_unlock, write_block};
use crate::kernel::Kernel;
use crate::sched::{delay, tsleep, Chan, Kc, TICK_US};
use crate::vm::{
    vm_waitpfault, NONE, OBJ_ANON, OBJ_VNODE0, PG_BUSY, PG_DIRTY, PG_REFERENCED, PG_VALID,
    PQ_CACHE, VM_ALLOC_NORMAL,
};

/// Memory copy bandwidth for write(2) (bytes per second): the CPU cost of a block.
const COPY_BYTES_S: u64 = 400 * 1024 * 1024;

/// The workload as it is now: the rates every writer and mapped-file writer reads before each
/// step, and the threads told to stop. The scenario sets them at boot; interventions change them.
#[derive(Clone, Debug, Default)]
pub struct Load {
    /// KiB/s of every write(2) writer (0 = as fast as it can).
    pub writer_kb_s: u32,
    /// Stores per second of every mapped-file writer.
    pub mmap_pages_s: u32,
    /// The threads (by id) told to stop.
    pub stop: Vec<usize>,
    /// The processes (by thread id) the pageout daemon killed (`oomkill=on`): they exit when
    /// they next run.
    pub killed: Vec<usize>,
    /// The scenario's interventions, applied by [`Kernel::intervene`] at their times.
    pub interventions: Vec<crate::scenario::intervention::Intervention>,
    /// For each intervention, the thread it starts or stops ("" for the others).
    pub names: Vec<String>,
}

impl Load {
    fn stopping(&self, t: usize) -> bool {
        self.stop.contains(&t)
    }
}

/// Whether the current thread has been told to stop.
fn told_to_stop(k: &Kc) -> bool {
    let kk = k.borrow();
    kk.load.stopping(kk.sched.cur)
}

/// A process doing sequential write(2)s of one block each to its own file from page `start`,
/// rewriting it from the start when it reaches the end, at the rate of [`Load::writer_kb_s`].
/// Told to stop, it exits after the block it is writing.
pub async fn writer(k: Kc, vp: u16, start: u32) {
    let mut pi = start;
    while !told_to_stop(&k) {
        let (blk, bs, size) = {
            let kk = k.borrow();
            let v = &kk.vnodes[vp as usize];
            let (blk, bs) = v.block(pi);
            (blk, bs, v.size_pages)
        };
        let bytes = u64::from(bs * PAGE_SIZE);
        // vn_write: bwillwrite() for regular files
        bwillwrite(&k, bytes).await;
        vn_lock(&k, vp, 0).await;
        write_block(&k, vp, blk, bs).await;
        vn_unlock(&k, vp);
        delay(&k, bytes * 1_000_000 / COPY_BYTES_S, "copy").await;
        let kb_s = k.borrow().load.writer_kb_s;
        if kb_s > 0 {
            delay(&k, bytes * 1_000_000 / (u64::from(kb_s) * 1024), "think").await;
        }
        pi = blk + bs;
        if pi >= size {
            pi = 0;
        }
    }
}

/// A process dirtying random pages of a MAP_SHARED writable mapping of its file,
/// [`Load::mmap_pages_s`] touches per second in one batch per tick. A fault on a missing page
/// allocates with VM_ALLOC_NORMAL, but first waits in "pfault" while memory is severe. Told to
/// stop, it exits after the batch it is storing.
pub async fn mmap_writer(k: Kc, vp: u16) {
    while !told_to_stop(&k) {
        let pages_s = k.borrow().load.mmap_pages_s;
        let per_tick = pages_s.div_ceil(100).max(1);
        let every_us = (u64::from(per_tick) * 1_000_000 / u64::from(pages_s)).max(1);
        for _ in 0..per_tick {
            let hit = {
                let mut kk = k.borrow_mut();
                let size = kk.vnodes[vp as usize].size_pages;
                let pi = kk.rng.below(size);
                if kk.store_resident(vp, pi) {
                    None
                } else {
                    Some(pi)
                }
            };
            if let Some(pi) = hit {
                touch(&k, vp, pi).await;
            }
        }
        delay(&k, every_us.min(TICK_US * 100), "think").await;
    }
}

/// A process that calls sync(2): every buffer dirty at that moment is written asynchronously
/// (`vfs_bio_awrite`, as the buf daemons write them), then it exits.
pub async fn sync(k: Kc) {
    let dirty = k.borrow().bc.dirtybufcount;
    k.borrow_mut().event(
        crate::events::EventKind::Intervention,
        format!("sync(2): {dirty} dirty buffers to write"),
    );
    for _ in 0..dirty {
        if !flushbufqueues(&k, BQ_DIRTY).await && !flushbufqueues(&k, BQ_DIRTY_HW).await {
            break;
        }
    }
}

/// One store into page `pi` of the mapping.
async fn touch(k: &Kc, vp: u16, pi: u32) {
    let obj = OBJ_VNODE0 + vp as u8;
    loop {
        let (m, severe) = {
            let kk = k.borrow();
            (kk.vm.lookup(obj, pi), kk.vm.count_severe())
        };
        if m != NONE {
            let pg = k.borrow().vm.pages[m as usize];
            if pg.flags & PG_BUSY != 0 {
                tsleep(k, Chan::Page(m), "pgtblk", 0).await;
                continue;
            }
            if pg.queue == PQ_CACHE {
                // reactivating a cache page under severe pressure waits too
                if severe {
                    vm_waitpfault(k).await;
                    continue;
                }
                let mut kk = k.borrow_mut();
                kk.cache_page_taken();
                kk.vm_page_activate(m);
            }
            let mut kk = k.borrow_mut();
            kk.vm.pages[m as usize].flags |= PG_DIRTY | PG_REFERENCED;
            kk.stats.user_kb += 4;
            return;
        }
        if severe {
            vm_waitpfault(k).await;
            continue;
        }
        let (m, read) = {
            let mut kk = k.borrow_mut();
            let m = kk.vm_page_alloc(obj, pi, VM_ALLOC_NORMAL);
            let read = m != NONE && kk.vnodes[vp as usize].on_disk(pi);
            if read {
                kk.disk_pagein(m, vp, pi);
            }
            (m, read)
        };
        if m == NONE {
            vm_waitpfault(k).await;
            continue;
        }
        if read {
            while k.borrow().vm.pages[m as usize].flags & PG_VALID == 0 {
                tsleep(k, Chan::Page(m), "biord", 0).await;
            }
        }
        let mut kk = k.borrow_mut();
        kk.fault_done(m);
        kk.stats.user_kb += 4;
        return;
    }
}

impl Kernel {
    /// A store into a resident page that needs no fault (mapped, not busy, not in the cache):
    /// the pmap's modified and referenced bits. Returns false when the store must fault.
    fn store_resident(&mut self, vp: u16, pi: u32) -> bool {
        let m = self.vm.lookup(OBJ_VNODE0 + vp as u8, pi);
        if m == NONE {
            return false;
        }
        let pg = &mut self.vm.pages[m as usize];
        if pg.flags & PG_BUSY != 0 || pg.queue == PQ_CACHE {
            return false;
        }
        pg.flags |= PG_DIRTY | PG_REFERENCED;
        self.stats.user_kb += 4;
        true
    }

    /// The end of a write fault on a fresh page: valid, dirty, referenced, unbusied, active.
    fn fault_done(&mut self, m: u32) {
        self.vm.pages[m as usize].flags |= PG_VALID | PG_DIRTY | PG_REFERENCED;
        self.vm_page_wakeup(m);
        self.vm_page_activate(m);
        self.stats.faults += 1;
    }
}

/// A process that allocates `pages` anonymous pages at `pages_s` per second after `start_us`,
/// then keeps them (swap is not modelled).
pub async fn hog(k: Kc, pages: u32, pages_s: u32, start_us: u64) {
    if start_us > 0 {
        delay(&k, start_us, "think").await;
    }
    let per_tick = pages_s.div_ceil(100).max(1);
    let mut have = 0;
    while have < pages {
        let mut batch = per_tick.min(pages - have);
        while batch > 0 {
            if killed(&k) {
                let mut kk = k.borrow_mut();
                let cur = kk.sched.cur;
                return kk.exit_killed(cur);
            }
            let m = {
                let mut kk = k.borrow_mut();
                if kk.vm.count_severe() {
                    NONE
                } else {
                    kk.vm_page_alloc(OBJ_ANON, have, VM_ALLOC_NORMAL)
                }
            };
            if m == NONE {
                vm_waitpfault(&k).await;
                continue;
            }
            let mut kk = k.borrow_mut();
            kk.fault_done(m);
            let cur = kk.sched.cur;
            kk.swap.set_owner(m, cur);
            have += 1;
            batch -= 1;
        }
        delay(&k, TICK_US, "think").await;
    }
    // the thread ends here; the process keeps what it took (the pageout daemon may kill it)
}

/// Whether the pageout daemon has killed the current process.
fn killed(k: &Kc) -> bool {
    let kk = k.borrow();
    kk.load.killed.contains(&kk.sched.cur)
}
