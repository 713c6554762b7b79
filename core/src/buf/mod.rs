//! The buffer cache (kernel-2008.md §1, §4): buffers, their queues, `getblk`/`getnewbuf`/
//! `allocbuf`/`bio_page_alloc`/`recoverbufpages`, release, write and completion paths, dirty
//! accounting. `bwillwrite` and the buf daemons are in `daemon.rs`.

pub mod daemon;

use crate::events::EventKind;
use crate::kernel::Kernel;
use crate::kmalloc::hammer_alloc_mem_record;
use crate::list::{Index, Link, Lists, NIL};
use crate::msg;
use crate::policy::{BioVariant, Mempool};
use crate::sched::{tsleep, Chan, Kc, Tid};
use crate::vm::{
    vm_wait, NONE, OBJ_KERNEL, OBJ_VNODE0, PG_BUSY, PG_DIRTY, PG_VALID, PQ_CACHE, PQ_FREE,
    PQ_WIRED, VM_ALLOC_INTERRUPT, VM_ALLOC_NORMAL, VM_ALLOC_SYSTEM,
};

pub const PAGE_SIZE: u32 = 4096;
/// `MAXBSIZE`.
pub const MAXBSIZE: u32 = 65536;
/// `BKVASIZE`.
pub const BKVASIZE: u32 = 16384;
const MAXBPAGES: usize = (MAXBSIZE / PAGE_SIZE) as usize;

/// Buffer queues.
pub const BQ_NONE: u8 = 0;
pub const BQ_LOCKED: u8 = 1;
pub const BQ_CLEAN: u8 = 2;
pub const BQ_DIRTY: u8 = 3;
pub const BQ_DIRTY_HW: u8 = 4;
pub const BQ_EMPTYKVA: u8 = 5;
pub const BQ_EMPTY: u8 = 6;
const NBQ: usize = 7;

/// Buffer flags.
pub const B_DELWRI: u16 = 1;
pub const B_HEAVY: u16 = 2;
pub const B_AGE: u16 = 4;
pub const B_RELBUF: u16 = 8;
pub const B_INVAL: u16 = 16;
pub const B_CACHE: u16 = 32;
pub const B_ASYNC: u16 = 64;
pub const B_DIRECT: u16 = 128;
pub const B_NOCACHE: u16 = 256;
pub const B_VMIO: u16 = 512;
pub const B_LOCKED: u16 = 1024;
/// A write is in flight (counted in `runningbufspace`).
pub const B_WRITEIO: u16 = 2048;
/// A read is in flight.
pub const B_READIO: u16 = 4096;
/// I/O finished (for synchronous waiters).
pub const B_DONE: u16 = 8192;
/// HAMMER installed an in-memory record for this write (released to the flusher at `biodone`).
pub const B_HREC: u16 = 16384;

/// Buffer lock states besides a thread id.
pub const LK_FREE: u16 = u16::MAX;
/// Held by an asynchronous I/O (released by `biodone`).
pub const LK_IO: u16 = u16::MAX - 1;

/// No vnode.
pub const NOVP: u16 = u16::MAX;

/// One buffer header.
#[derive(Clone, Copy, Debug)]
pub struct Buf {
    next: u32,
    prev: u32,
    pub queue: u8,
    pub npages: u8,
    pub flags: u16,
    pub lock: u16,
    pub vp: u16,
    /// Logical offset in pages.
    pub lblk: u32,
    /// `b_bcount` in bytes.
    pub size: u32,
    /// `b_bufsize`: bytes of pages held.
    pub bufsize: u32,
    /// `b_kvasize`.
    pub kvasize: u32,
    pub pages: [u32; MAXBPAGES],
}

impl Link for Buf {
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

impl Buf {
    pub fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
}

/// Limits of §4.2, from memory size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufLimits {
    pub nbuf: u32,
    pub maxbufspace: u64,
    pub hibufspace: u64,
    pub lobufspace: u64,
    pub lorunningspace: u64,
    pub hirunningspace: u64,
    pub hidirtybufspace: u64,
    pub lodirtybufspace: u64,
}

impl BufLimits {
    /// `bufinit()` for `physmem` pages.
    pub fn compute(physmem: u32) -> BufLimits {
        let kbytes = u64::from(physmem) * 4;
        let factor = 4 * u64::from(BKVASIZE) / 1024;
        let mut nbuf = 50;
        if kbytes > 4096 {
            nbuf += ((kbytes - 4096) / factor).min(65536 / factor);
        }
        if kbytes > 65536 {
            nbuf += (kbytes - 65536) * 2 / (factor * 5);
        }
        let maxbcache = 200 * 1024 * 1024;
        nbuf = nbuf.min(maxbcache / u64::from(BKVASIZE));
        let maxbufspace = nbuf * u64::from(BKVASIZE);
        let hibufspace = (3 * maxbufspace / 4).max(maxbufspace - 10 * u64::from(MAXBSIZE));
        let hidirtybufspace = hibufspace / 2;
        BufLimits {
            nbuf: nbuf as u32,
            maxbufspace,
            hibufspace,
            lobufspace: hibufspace - u64::from(MAXBSIZE),
            lorunningspace: 512 * 1024,
            hirunningspace: 1024 * 1024,
            hidirtybufspace,
            lodirtybufspace: hidirtybufspace / 2,
        }
    }
}

/// The buffer cache's state.
#[derive(Debug)]
pub struct BufCache {
    pub bufs: Vec<Buf>,
    lists: Lists<NBQ>,
    pub qcount: [u32; NBQ],
    /// The buffers by (vnode, block): `findblk`'s table.
    hash: Index,
    /// log2 of the smallest block size in pages: the table's keys are blocks in that unit.
    block_shift: u32,
    pub lim: BufLimits,
    pub bufspace: u64,
    pub dirtybufspace: u64,
    pub dirtybufspacehw: u64,
    pub dirtybufcount: u32,
    pub dirtybufcounthw: u32,
    pub runningbufspace: u64,
    pub runningbufcount: u32,
    pub needsbuffer: bool,
    pub bd_request: [bool; 2],
    pub bd_wake_ary: [u32; 128],
    pub bd_wake_index: u32,
}

impl BufCache {
    /// `block_pages`: the smallest block size of the filesystem, in pages (a power of two).
    pub fn new(lim: BufLimits, block_pages: u32) -> BufCache {
        debug_assert!(block_pages.is_power_of_two());
        let n = lim.nbuf as usize;
        let mut bc = BufCache {
            bufs: vec![
                Buf {
                    next: NIL,
                    prev: NIL,
                    queue: BQ_EMPTY,
                    npages: 0,
                    flags: 0,
                    lock: LK_FREE,
                    vp: NOVP,
                    lblk: 0,
                    size: 0,
                    bufsize: 0,
                    kvasize: 0,
                    pages: [NONE; MAXBPAGES],
                };
                n
            ],
            lists: Lists::default(),
            qcount: [0; NBQ],
            hash: Index::new(),
            block_shift: block_pages.trailing_zeros(),
            lim,
            bufspace: 0,
            dirtybufspace: 0,
            dirtybufspacehw: 0,
            dirtybufcount: 0,
            dirtybufcounthw: 0,
            runningbufspace: 0,
            runningbufcount: 0,
            needsbuffer: false,
            bd_request: [false; 2],
            bd_wake_ary: [0; 128],
            bd_wake_index: 0,
        };
        for b in 0..n as u32 {
            bc.lists.push_tail(&mut bc.bufs, BQ_EMPTY as usize, b);
        }
        bc.qcount[BQ_EMPTY as usize] = n as u32;
        bc
    }

    /// The buffer table's key of block `lblk` (a buffer starts on a multiple of the smallest
    /// block size, so its block number in those units is its own).
    fn block_key(&self, lblk: u32) -> u32 {
        debug_assert_eq!(
            lblk & ((1 << self.block_shift) - 1),
            0,
            "block {lblk} is not aligned"
        );
        lblk >> self.block_shift
    }

    /// `findblk(vp, loffset)`.
    pub fn findblk(&self, vp: u16, lblk: u32) -> u32 {
        self.hash.get(usize::from(vp), self.block_key(lblk))
    }

    /// `bgetvp`: associates the buffer with (vp, lblk) and hashes it in.
    pub fn bgetvp(&mut self, b: u32, vp: u16, lblk: u32) {
        self.bufs[b as usize].vp = vp;
        self.bufs[b as usize].lblk = lblk;
        self.hash.insert(usize::from(vp), self.block_key(lblk), b);
    }

    /// `brelvp`: disassociates the buffer from its vnode.
    pub fn brelvp(&mut self, b: u32) {
        let bp = self.bufs[b as usize];
        if bp.vp != NOVP {
            self.hash
                .remove(usize::from(bp.vp), self.block_key(bp.lblk), b);
            self.bufs[b as usize].vp = NOVP;
        }
    }

    /// `bremfree`: takes the buffer off its queue.
    pub fn bremfree(&mut self, b: u32) {
        let q = self.bufs[b as usize].queue;
        if q != BQ_NONE {
            self.lists.remove(&mut self.bufs, q as usize, b);
            self.qcount[q as usize] -= 1;
            self.bufs[b as usize].queue = BQ_NONE;
        }
    }

    fn enqueue(&mut self, b: u32, q: u8, head: bool) {
        debug_assert_eq!(self.bufs[b as usize].queue, BQ_NONE);
        self.bufs[b as usize].queue = q;
        self.qcount[q as usize] += 1;
        if head {
            self.lists.push_head(&mut self.bufs, q as usize, b);
        } else {
            self.lists.push_tail(&mut self.bufs, q as usize, b);
        }
    }

    pub fn head(&self, q: u8) -> u32 {
        self.lists.head(q as usize)
    }

    /// Moves a queued buffer to the tail of its queue.
    fn requeue_tail(&mut self, b: u32) {
        let q = self.bufs[b as usize].queue;
        self.bremfree(b);
        self.enqueue(b, q, false);
    }

    /// `buf_dirty_count_severe()`.
    pub fn dirty_count_severe(&self, count_rule: bool) -> bool {
        self.runningbufspace + self.dirtybufspace >= self.lim.hidirtybufspace
            || (count_rule && self.dirtybufcount >= self.lim.nbuf / 2)
    }

    pub fn memory_bytes(&self) -> usize {
        self.bufs.len() * size_of::<Buf>() + self.hash.memory_bytes()
    }
}

/// HAMMER's block size at a file offset (in pages): 16 KB below 1 MB, 64 KB at and beyond.
pub fn hammer_blocksize_pages(lblk: u32) -> u32 {
    if lblk < 256 {
        4
    } else {
        16
    }
}

// ---- non-blocking operations (also run from interrupts) -----------------------------------

impl Kernel {
    fn buf(&self, b: u32) -> &Buf {
        &self.bc.bufs[b as usize]
    }
    fn bufm(&mut self, b: u32) -> &mut Buf {
        &mut self.bc.bufs[b as usize]
    }

    /// Releases the buffer lock and wakes its waiters ("getblk").
    pub fn buf_unlock(&mut self, b: u32) {
        self.bufm(b).lock = LK_FREE;
        self.sched.wakeup(Chan::Buf(b));
    }

    /// `bufspacewakeup()/bufcountwakeup()`: a buffer became reusable.
    fn bufcountwakeup(&mut self) {
        if self.bc.needsbuffer {
            self.bc.needsbuffer = false;
            self.sched.wakeup(Chan::Needsbuffer);
        }
    }

    /// `vfs_vmio_release(bp)` (§4.5): unwire every page; free, try-to-free (B_DIRECT) or cache
    /// (when memory is low, [`Self::low_mem_test`]) the ones nobody else holds. Returns pages freed or cached.
    pub fn vfs_vmio_release(&mut self, b: u32) -> u32 {
        let bp = *self.buf(b);
        let mut released = 0;
        for &p in &bp.pages[..bp.npages as usize] {
            self.vm_page_unwire(p);
            let pg = self.vm.pages[p as usize];
            if pg.flags & PG_BUSY != 0 || pg.busy != 0 || pg.wire != 0 {
                continue;
            }
            let done = if !bp.has(B_ASYNC) && pg.flags & PG_VALID == 0 {
                self.vm_page_free(p);
                true
            } else if bp.has(B_DIRECT) {
                self.vm_page_try_to_free(p)
            } else if self.low_mem_test() {
                self.vm_page_try_to_cache(p)
            } else {
                false
            };
            released += u32::from(done);
        }
        let bpm = self.bufm(b);
        bpm.pages = [NONE; MAXBPAGES];
        bpm.npages = 0;
        bpm.bufsize = 0;
        bpm.flags &= !B_VMIO;
        self.bc.brelvp(b);
        released
    }

    /// The memory test buffer release uses: `vm_page_count_severe()` in 2008,
    /// `vm_page_count_min()` from 55b50bd522 (`relbufmin`).
    pub fn low_mem_test(&self) -> bool {
        if self.policy.relbuf_min() {
            self.vm.count_min()
        } else {
            self.vm.count_severe()
        }
    }

    /// `bdirty()`: B_DELWRI and its accounting, then `bd_heatup()`.
    pub fn bdirty(&mut self, b: u32) {
        let bp = *self.buf(b);
        if !bp.has(B_DELWRI) {
            self.bufm(b).flags |= B_DELWRI;
            self.bc.dirtybufspace += u64::from(bp.bufsize);
            self.bc.dirtybufcount += 1;
            if bp.has(B_HEAVY) {
                self.bc.dirtybufspacehw += u64::from(bp.bufsize);
                self.bc.dirtybufcounthw += 1;
            }
            self.stats.peak_dirtybufspace =
                self.stats.peak_dirtybufspace.max(self.bc.dirtybufspace);
            self.bd_heatup();
        }
    }

    /// `bundirty()`: clears B_DELWRI, then `bd_signal(bufsize)`.
    pub fn bundirty(&mut self, b: u32) {
        let bp = *self.buf(b);
        if bp.has(B_DELWRI) {
            self.bufm(b).flags &= !B_DELWRI;
            self.bc.dirtybufspace -= u64::from(bp.bufsize);
            self.bc.dirtybufcount -= 1;
            if bp.has(B_HEAVY) {
                self.bc.dirtybufspacehw -= u64::from(bp.bufsize);
                self.bc.dirtybufcounthw -= 1;
            }
            self.bd_signal(u64::from(bp.bufsize));
        }
    }

    /// `brelse(bp)` (§4.1, §4.5).
    pub fn brelse(&mut self, b: u32) {
        let bp = *self.buf(b);
        if !bp.has(B_DELWRI | B_LOCKED) && self.low_mem_test() {
            self.bufm(b).flags |= B_RELBUF;
        }
        if bp.has(B_INVAL | B_NOCACHE) && bp.has(B_DELWRI) {
            self.bundirty(b);
        }
        let bp = *self.buf(b);
        if bp.has(B_INVAL | B_RELBUF | B_NOCACHE) && bp.has(B_VMIO) && !bp.has(B_DELWRI) {
            self.vfs_vmio_release(b);
        } else if bp.has(B_INVAL | B_NOCACHE) {
            self.bc.brelvp(b);
        }
        let bp = *self.buf(b);
        let (q, head) = if bp.has(B_LOCKED) {
            (BQ_LOCKED, false)
        } else if bp.bufsize == 0 {
            self.bc.brelvp(b);
            let q = if bp.kvasize > 0 {
                BQ_EMPTYKVA
            } else {
                BQ_EMPTY
            };
            self.bufm(b).flags = 0;
            (q, true)
        } else if bp.has(B_INVAL | B_NOCACHE | B_RELBUF) {
            (BQ_CLEAN, true)
        } else if bp.has(B_DELWRI) {
            (
                if bp.has(B_HEAVY) {
                    BQ_DIRTY_HW
                } else {
                    BQ_DIRTY
                },
                false,
            )
        } else {
            (BQ_CLEAN, false)
        };
        self.bc.enqueue(b, q, head);
        self.bufm(b).flags &= !(B_ASYNC | B_NOCACHE | B_RELBUF | B_DIRECT | B_DONE);
        self.buf_unlock(b);
        if q != BQ_DIRTY && q != BQ_DIRTY_HW && q != BQ_LOCKED {
            self.bufcountwakeup();
        }
    }

    /// `bqrelse(bp)`: like brelse, but keeps the pages unless memory is low ([`Self::low_mem_test`]).
    pub fn bqrelse(&mut self, b: u32) {
        let bp = *self.buf(b);
        if bp.has(B_LOCKED) {
            self.bc.enqueue(b, BQ_LOCKED, false);
        } else if bp.has(B_DELWRI) {
            self.bc.enqueue(
                b,
                if bp.has(B_HEAVY) {
                    BQ_DIRTY_HW
                } else {
                    BQ_DIRTY
                },
                false,
            );
        } else if self.low_mem_test() {
            // to free the wired pages
            self.brelse(b);
            return;
        } else {
            self.bc.enqueue(b, BQ_CLEAN, false);
        }
        self.bufm(b).flags &= !(B_ASYNC | B_NOCACHE | B_RELBUF | B_DIRECT | B_DONE);
        self.buf_unlock(b);
        if !bp.has(B_DELWRI | B_LOCKED) {
            self.bufcountwakeup();
        }
    }

    /// `bdwrite(bp)`: delayed write — the dirt moves from the VM pages into the buffer.
    pub fn bdwrite(&mut self, b: u32) {
        self.bdirty(b);
        self.bufm(b).flags |= B_CACHE;
        self.vfs_clean_pages(b);
        self.bqrelse(b);
    }

    /// `vfs_clean_pages`: the buffer's pages are clean from the VM's point of view.
    pub fn vfs_clean_pages(&mut self, b: u32) {
        let bp = *self.buf(b);
        for &p in &bp.pages[..bp.npages as usize] {
            self.vm.pages[p as usize].flags &= !PG_DIRTY;
        }
    }

    /// `runningbufwakeup()`.
    fn runningbufwakeup(&mut self, bytes: u64) {
        self.bc.runningbufspace -= bytes;
        self.bc.runningbufcount -= 1;
        if self.bc.runningbufspace <= self.bc.lim.lorunningspace {
            self.sched.wakeup(Chan::Wdrain);
        }
        self.bd_signal(bytes);
    }

    /// `biodone(bp)`, in interrupt context: never blocks; may wake threads and free pages.
    pub fn biodone(&mut self, b: u32) {
        let bp = *self.buf(b);
        self.stats.io_completed += 1;
        if bp.has(B_WRITEIO) {
            self.runningbufwakeup(u64::from(bp.bufsize));
            if bp.has(B_HREC) {
                self.bufm(b).flags &= !B_HREC;
                self.hammer_record_done();
            }
            if bp.vp != NOVP {
                for i in 0..bp.npages as u32 {
                    self.vnodes[bp.vp as usize].set_on_disk(bp.lblk + i);
                }
            }
        }
        for &p in &bp.pages[..bp.npages as usize] {
            let pg = &mut self.vm.pages[p as usize];
            if bp.has(B_READIO) {
                pg.flags |= PG_VALID;
            }
            pg.busy -= 1;
        }
        self.bufm(b).flags &= !(B_WRITEIO | B_READIO);
        let fc = self.vm.fc();
        if bp.has(B_ASYNC) {
            if bp.has(B_NOCACHE | B_INVAL | B_RELBUF) {
                self.brelse(b);
            } else {
                self.bqrelse(b);
            }
        } else {
            self.bufm(b).flags |= B_DONE;
            self.sched.wakeup(Chan::Io(b));
        }
        if self.policy.mempool() != Mempool::Off {
            let released = self.vm.fc().saturating_sub(fc);
            self.mempool_free(released);
        }
    }

    /// What-if, Linux `mempool_alloc()`'s second step: a page from the pool, made the page
    /// `vm_page_alloc` would have returned (hard-busy, in the object, in no queue); NONE when
    /// the pool is empty.
    pub fn mempool_alloc(&mut self, obj: u8, pi: u32) -> u32 {
        let Some(p) = self.mempool.pop() else {
            return NONE;
        };
        self.vm.unqueue(p);
        self.vm.remove(p);
        let pg = &mut self.vm.pages[p as usize];
        pg.wire = 0;
        pg.flags = PG_BUSY;
        pg.busy = 0;
        pg.set_act(0);
        self.vm.insert(p, obj, pi);
        p
    }

    /// What-if, Linux `mempool_free()` at buffer I/O completion: the pages the completion just
    /// gave back (`released`) go to the pool first while it is short; so does any page a
    /// VM_ALLOC_NORMAL allocation could take (free + cache above `v_free_reserved`). Wakes the
    /// pool's sleepers when a page went in.
    pub fn mempool_free(&mut self, mut released: u32) {
        let size = self.policy.mempool().pages() as usize;
        let mut put = false;
        while self.mempool.len() < size
            && self.vm.fc() > 0
            && (released > 0 || self.vm.fc() > self.vm.t.v_free_reserved)
        {
            released = released.saturating_sub(1);
            self.mempool_refill_one();
            put = true;
        }
        if put {
            self.sched.wakeup(Chan::Mempool);
        }
    }

    /// Moves one free (or cached) page into the pool: wired, kernel memory. free + cache > 0.
    pub(crate) fn mempool_refill_one(&mut self) {
        if self.vm.free_count() == 0 {
            self.vm.free_cached(self.vm.head(PQ_CACHE));
        }
        let p = self.vm.head(PQ_FREE);
        self.vm.unqueue(p);
        self.vm.insert(p, OBJ_KERNEL, 0);
        let pg = &mut self.vm.pages[p as usize];
        pg.flags = PG_VALID;
        pg.wire = 1;
        self.vm.enqueue_tail(p, PQ_WIRED);
        self.mempool.push(p);
    }

    /// `vfs_busy_pages`: soft-busy the pages for I/O.
    fn vfs_busy_pages(&mut self, b: u32) {
        let bp = *self.buf(b);
        for &p in &bp.pages[..bp.npages as usize] {
            self.vm.pages[p as usize].busy += 1;
        }
    }

    pub(crate) fn lock_buf(&mut self, b: u32, t: Tid) {
        debug_assert_eq!(self.buf(b).lock, LK_FREE);
        self.bufm(b).lock = t as u16;
    }
}

// ---- blocking operations ---------------------------------------------------------------------

/// `bwrite(bp)` / `bawrite(bp)` (B_ASYNC set): write the buffer. HAMMER's strategy first
/// kmallocs its in-memory record, which may refill a slab zone and sleep in `vm_wait` — the link
/// through which the buf daemons came to wait on the pageout daemon before the fix.
pub async fn bwrite(k: &Kc, b: u32) {
    let is_hammer = {
        let mut kk = k.borrow_mut();
        kk.bundirty(b);
        let bp = kk.bufm(b);
        bp.flags |= B_CACHE | B_WRITEIO;
        bp.flags &= !B_DONE;
        let vp = bp.vp;
        kk.vfs_clean_pages(b);
        kk.vfs_busy_pages(b);
        kk.bc.runningbufspace += u64::from(kk.buf(b).bufsize);
        kk.bc.runningbufcount += 1;
        vp != NOVP && kk.vnodes[vp as usize].fs == crate::FsKind::Hammer
    };
    if is_hammer {
        // hammer_vop_strategy_write → hammer_ip_add_bulk: an in-memory record for the flusher
        hammer_alloc_mem_record(k).await;
        k.borrow_mut().bufm(b).flags |= B_HREC;
    }
    let async_ = {
        let mut kk = k.borrow_mut();
        let async_ = kk.buf(b).has(B_ASYNC);
        if async_ {
            kk.bufm(b).lock = LK_IO;
        }
        let bp = *kk.buf(b);
        kk.disk_start(b, bp.bufsize);
        async_
    };
    if !async_ {
        biowait(k, b, "biowr").await;
        k.borrow_mut().brelse(b);
    }
}

/// `bawrite(bp)`.
pub async fn bawrite(k: &Kc, b: u32) {
    k.borrow_mut().bufm(b).flags |= B_ASYNC;
    bwrite(k, b).await;
}

/// Sleeps until the buffer's I/O is done.
async fn biowait(k: &Kc, b: u32, wmesg: &'static str) {
    while !k.borrow().buf(b).has(B_DONE) {
        tsleep(k, Chan::Io(b), wmesg, 0).await;
    }
    k.borrow_mut().bufm(b).flags &= !B_DONE;
}

/// Locks a buffer, sleeping "getblk" while someone else holds it. Returns false if the buffer
/// changed identity while we slept (the caller re-looks it up).
async fn buf_lock(k: &Kc, b: u32, vp: u16, lblk: u32) -> bool {
    loop {
        {
            let mut kk = k.borrow_mut();
            let bp = *kk.buf(b);
            if bp.vp != vp || bp.lblk != lblk {
                return false;
            }
            if bp.lock == LK_FREE {
                let t = kk.sched.cur;
                kk.lock_buf(b, t);
                return true;
            }
        }
        tsleep(k, Chan::Buf(b), "getblk", 0).await;
    }
}

/// `getblk(vp, loffset, size, GETBLK_BHEAVY?)` (§1.4, §9.5): returns the buffer locked.
pub async fn getblk(k: &Kc, vp: u16, lblk: u32, size: u32, heavy: bool) -> u32 {
    loop {
        let found = k.borrow().bc.findblk(vp, lblk);
        if found != NIL {
            if !buf_lock(k, found, vp, lblk).await {
                continue;
            }
            let bp = {
                let mut kk = k.borrow_mut();
                kk.bc.bremfree(found);
                *kk.buf(found)
            };
            if bp.size != size || (bp.has(B_DELWRI) && !bp.has(B_CACHE)) {
                if bp.has(B_DELWRI) {
                    k.borrow_mut().bufm(found).flags |= B_NOCACHE;
                    bwrite(k, found).await;
                } else {
                    let mut kk = k.borrow_mut();
                    kk.bufm(found).flags |= B_RELBUF;
                    kk.brelse(found);
                }
                continue;
            }
            if heavy && !bp.has(B_HEAVY) && !bp.has(B_DELWRI) {
                k.borrow_mut().bufm(found).flags |= B_HEAVY;
            }
            return found;
        }
        let b = getnewbuf(k, size).await;
        {
            let mut kk = k.borrow_mut();
            if kk.bc.findblk(vp, lblk) != NIL {
                kk.bufm(b).flags |= B_INVAL;
                kk.brelse(b);
                continue;
            }
            kk.bc.bgetvp(b, vp, lblk);
            let bp = kk.bufm(b);
            bp.flags |= B_VMIO | B_CACHE;
            if heavy {
                bp.flags |= B_HEAVY;
            }
        }
        allocbuf(k, b, size).await;
        return b;
    }
}

/// `getnewbuf()` (§4.3): a locked, empty buffer header with `roundup(size, BKVASIZE)` of KVA.
/// Sleeps "newbuf"/"nbufbs" until a buffer is released when none can be had.
pub async fn getnewbuf(k: &Kc, size: u32) -> u32 {
    let maxsize = size.div_ceil(BKVASIZE) * BKVASIZE;
    loop {
        let wmesg = {
            let mut kk = k.borrow_mut();
            match kk.getnewbuf_scan(maxsize) {
                Some(b) => return b,
                None => {
                    kk.bc.needsbuffer = true;
                    kk.bd_speedup();
                    if kk.bc.bufspace >= kk.bc.lim.hibufspace {
                        "nbufbs"
                    } else {
                        "newbuf"
                    }
                }
            }
        };
        tsleep(k, Chan::Needsbuffer, wmesg, 0).await;
    }
}

impl Kernel {
    /// The scan of `getnewbuf` (§4.3): a header that still has KVA (EMPTYKVA) first; then a
    /// CLEAN buffer to recycle once `bufspace >= lobufspace` (the B_AGE twice-around rule); then
    /// a fresh EMPTY header if its KVA fits under `hibufspace`; a CLEAN buffer after all if it
    /// does not. Never sleeps.
    fn getnewbuf_scan(&mut self, maxsize: u32) -> Option<u32> {
        let (hi, lo) = (self.bc.lim.hibufspace, self.bc.lim.lobufspace);
        loop {
            let ekva = self.bc.head(BQ_EMPTYKVA);
            if ekva != NIL {
                let kva = self.buf(ekva).kvasize;
                if self.bc.bufspace - u64::from(kva) + u64::from(maxsize) <= hi {
                    return Some(self.take_buf(ekva, maxsize));
                }
                // flushingbufs: give its KVA back and look again
                self.bc.bremfree(ekva);
                self.bc.bufspace -= u64::from(kva);
                self.bufm(ekva).kvasize = 0;
                self.bc.enqueue(ekva, BQ_EMPTY, true);
                continue;
            }
            let empty = self.bc.head(BQ_EMPTY);
            let empty_fits = empty != NIL && self.bc.bufspace + u64::from(maxsize) < hi;
            let mut b = self.bc.head(BQ_CLEAN);
            if b != NIL && (self.bc.bufspace >= lo || !empty_fits) {
                // B_AGE: a buffer cycles through the clean queue twice
                while !self.buf(b).has(B_AGE) && self.buf(b).next != NIL {
                    self.bufm(b).flags |= B_AGE;
                    self.bc.requeue_tail(b);
                    b = self.bc.head(BQ_CLEAN);
                }
                debug_assert_eq!(self.buf(b).lock, LK_FREE);
                self.bc.bremfree(b);
                self.vfs_vmio_release(b);
                self.bc.brelvp(b);
                self.bufm(b).flags = 0;
                self.bc.enqueue(b, BQ_EMPTYKVA, true);
                continue;
            }
            if empty_fits {
                return Some(self.take_buf(empty, maxsize));
            }
            return None;
        }
    }

    /// A clean buffer over blocks written before the run began (a warm machine): a fresh header
    /// with its KVA, its pages allocated, valid, on disk and wired, on the CLEAN queue. Returns
    /// false when no header or KVA is left.
    pub(crate) fn boot_clean_buf(&mut self, vp: u16, lblk: u32, npages: u32, heavy: bool) -> bool {
        let maxsize = (npages * PAGE_SIZE).div_ceil(BKVASIZE) * BKVASIZE;
        let empty = self.bc.head(BQ_EMPTY);
        if empty == NIL
            || self.bc.bufspace + u64::from(maxsize) >= self.bc.lim.hibufspace
            || self.bc.findblk(vp, lblk) != NIL
        {
            return false;
        }
        let b = self.take_buf(empty, maxsize);
        self.bc.bgetvp(b, vp, lblk);
        let obj = OBJ_VNODE0 + vp as u8;
        self.bufm(b).size = npages * PAGE_SIZE;
        for pi in lblk..lblk + npages {
            let m = self.vm_page_alloc(obj, pi, VM_ALLOC_NORMAL);
            debug_assert_ne!(m, NONE, "a warm machine starts with free pages");
            self.vm.pages[m as usize].flags = PG_VALID;
            self.vm_page_wire(m);
            self.append_page(b, m);
            self.vnodes[vp as usize].set_on_disk(pi);
        }
        self.bufm(b).flags = B_VMIO | B_CACHE | if heavy { B_HEAVY } else { 0 };
        self.bc.enqueue(b, BQ_CLEAN, false);
        self.bufm(b).lock = LK_FREE;
        true
    }

    fn take_buf(&mut self, b: u32, maxsize: u32) -> u32 {
        self.bc.bremfree(b);
        let t = self.sched.cur;
        self.lock_buf(b, t);
        let old = self.buf(b).kvasize;
        self.bc.bufspace = self.bc.bufspace - u64::from(old) + u64::from(maxsize);
        let bp = self.bufm(b);
        bp.kvasize = maxsize;
        bp.flags = 0;
        bp.size = 0;
        bp.bufsize = 0;
        bp.npages = 0;
        b
    }
}

/// `allocbuf(bp, size)` (§1.4): grow the buffer to `size`, wiring resident pages and allocating
/// the missing ones with `bio_page_alloc`. A NULL result just loops: allocbuf never fails.
pub async fn allocbuf(k: &Kc, b: u32, size: u32) {
    let desired = size.div_ceil(PAGE_SIZE) as u8;
    k.borrow_mut().bufm(b).size = size;
    loop {
        // everything up to the next page that may sleep, without letting go of the kernel
        let stop = k.borrow_mut().allocbuf_nowait(b, desired);
        match stop {
            AllocbufStop::Done => break,
            AllocbufStop::Busy(m) => {
                tsleep(k, Chan::Page(m), "pgtblk", 0).await;
            }
            AllocbufStop::NoPage { obj, pi, deficit } => {
                // bio_page_alloc's first try failed: the rest of it, which may sleep
                let m = bio_page_alloc_retry(k, obj, pi, deficit).await;
                if m != NONE {
                    let mut kk = k.borrow_mut();
                    kk.vm_page_wire(m);
                    kk.vm_page_wakeup(m);
                    kk.append_page(b, m);
                }
            }
        }
    }
    let mut kk = k.borrow_mut();
    let bp = *kk.buf(b);
    let all_valid = bp.pages[..bp.npages as usize]
        .iter()
        .all(|&p| kk.vm.pages[p as usize].flags & PG_VALID != 0);
    if !all_valid {
        kk.bufm(b).flags &= !B_CACHE;
    }
}

/// Where [`Kernel::allocbuf_nowait`] stopped.
enum AllocbufStop {
    /// The buffer has its pages.
    Done,
    /// The next page is hard-busy: sleep on it ("pgtblk") and look again.
    Busy(u32),
    /// The next page is not resident and `bio_page_alloc`'s first try found none: the rest of
    /// it, with the pages still missing (`deficit`).
    NoPage { obj: u8, pi: u32, deficit: u32 },
}

impl Kernel {
    /// `allocbuf`'s walk over the pages the buffer still lacks, as far as it goes without
    /// sleeping: a resident page that is not busy is wired in; a missing one is allocated by
    /// `bio_page_alloc`'s first try, which never sleeps.
    fn allocbuf_nowait(&mut self, b: u32, desired: u8) -> AllocbufStop {
        loop {
            let bp = self.buf(b);
            if bp.npages >= desired {
                return AllocbufStop::Done;
            }
            let (obj, pi) = (OBJ_VNODE0 + bp.vp as u8, bp.lblk + u32::from(bp.npages));
            let deficit = u32::from(desired - bp.npages);
            let m = self.vm.lookup(obj, pi);
            if m == NONE {
                let m = self.bio_page_alloc_first(obj, pi);
                if m == NONE {
                    return AllocbufStop::NoPage { obj, pi, deficit };
                }
                self.vm_page_wire(m);
                self.vm_page_wakeup(m);
                self.append_page(b, m);
                continue;
            }
            if self.vm.pages[m as usize].flags & PG_BUSY != 0 {
                return AllocbufStop::Busy(m);
            }
            if self.vm.pages[m as usize].queue == PQ_CACHE {
                self.cache_page_taken();
            }
            self.vm_page_wire(m);
            self.append_page(b, m);
        }
    }

    /// The first try of `bio_page_alloc` (and of the bare `allocbuf` allocation before the
    /// fix): a VM_ALLOC_SYSTEM page, or NONE. The 2012 variant starts otherwise and has none.
    fn bio_page_alloc_first(&mut self, obj: u8, pi: u32) -> u32 {
        if self.policy.bio() == BioVariant::Fix2012 {
            return NONE;
        }
        self.vm_page_alloc(obj, pi, VM_ALLOC_NORMAL | VM_ALLOC_SYSTEM)
    }

    fn append_page(&mut self, b: u32, m: u32) {
        let bp = self.bufm(b);
        bp.pages[bp.npages as usize] = m;
        bp.npages += 1;
        bp.bufsize += PAGE_SIZE;
        if bp.flags & B_DELWRI != 0 {
            let heavy = bp.flags & B_HEAVY != 0;
            self.bc.dirtybufspace += u64::from(PAGE_SIZE);
            if heavy {
                self.bc.dirtybufspacehw += u64::from(PAGE_SIZE);
            }
        }
    }
}

/// `bio_page_alloc(obj, pindex, deficit)` (§1.2, §9.5), or before the fix the bare
/// `vm_page_alloc` + `vm_wait(0)` that `allocbuf` did. `allocbuf` runs it in its two halves:
/// the first try ([`Kernel::bio_page_alloc_first`]) in its walk that never sleeps, the rest
/// ([`bio_page_alloc_retry`]) when that try finds no page; the tests call it whole.
#[cfg(test)]
pub async fn bio_page_alloc(k: &Kc, obj: u8, pi: u32, deficit: u32) -> u32 {
    let m = k.borrow_mut().bio_page_alloc_first(obj, pi);
    if m != NONE {
        return m;
    }
    bio_page_alloc_retry(k, obj, pi, deficit).await
}

/// `bio_page_alloc` after its first try found no page (the 2012 variant from its start).
async fn bio_page_alloc_retry(k: &Kc, obj: u8, pi: u32, deficit: u32) -> u32 {
    let bio = k.borrow().policy.bio();
    if bio == BioVariant::Fix2012 {
        return bio_page_alloc_2012(k, obj, pi, deficit).await;
    }
    if k.borrow().policy.mempool() != Mempool::Off {
        // what-if, Linux mempool_alloc(): the allocator said no, so take a page from the pool
        let m = k.borrow_mut().mempool_alloc(obj, pi);
        if m != NONE {
            return m;
        }
        if bio == BioVariant::Pre0630 {
            // the pool is empty: sleep on it until I/O completion returns a page, at most 5 s
            // (io_schedule_timeout(5*HZ)), instead of in vm_wait; allocbuf then tries again
            tsleep(k, Chan::Mempool, "mempool", 5 * crate::HZ)
                .from("mempool_alloc")
                .await;
            k.borrow_mut().vm.vm_pageout_deficit += i64::from(deficit);
            return NONE;
        }
    }
    if bio == BioVariant::Pre0630 {
        // "must allocate system pages since blocking here could intefere with paging I/O":
        // and when even those are gone, sleep until the pageout daemon frees some — forever.
        vm_wait(k, 0, "allocbuf").await;
        k.borrow_mut().vm.vm_pageout_deficit += i64::from(deficit);
        return NONE;
    }
    k.borrow_mut().vm.vm_pageout_deficit += i64::from(deficit);
    if k.borrow().policy.recoverbufpages() {
        recoverbufpages(k).await;
    }
    // the 2010 and later variants pause with `+ 1` tick and fail with `vm_wait(hz)`
    let later = matches!(bio, BioVariant::Fix2010 | BioVariant::Fix2011);
    let timed = |t: u64| {
        if k.borrow().policy.timed_vm_wait() {
            t
        } else {
            0
        }
    };
    if k.borrow().vm.lookup(obj, pi) != NONE {
        return NONE;
    }
    if bio == BioVariant::Fix2011 && !k.borrow().systhread(k.borrow().sched.cur) {
        // 85946b6c2b/794fd6ea2c: "Only system threads can use the interrupt reserve"
        vm_wait(k, timed(crate::HZ), "bio_page_alloc").await;
        return NONE;
    }
    let (m, severe) = {
        let mut kk = k.borrow_mut();
        let mut flags = VM_ALLOC_NORMAL | VM_ALLOC_SYSTEM;
        if kk.policy.interrupt_retry() {
            flags |= VM_ALLOC_INTERRUPT;
        }
        let cur = kk.sched.cur;
        let taken = |kk: &Kernel| {
            kk.sched
                .threads
                .get(cur)
                .map(|th| (th.acct.pages_interrupt, th.acct.pages_system))
        };
        let before = taken(&kk);
        let m = kk.vm_page_alloc(obj, pi, flags);
        let severe = kk.vm.count_severe();
        if m != NONE {
            kk.stats.emerg_allocs += 1;
            if kk.events.first_emergency() {
                let fc = kk.vm.fc();
                // the band the page came from, as the thread's account counted it: the pages
                // recoverbufpages freed may have lifted the free list out of the interrupt reserve
                let from = match (before, taken(&kk)) {
                    (Some((i0, _)), Some((i1, _))) if i1 > i0 => "from the interrupt reserve",
                    (Some((_, s0)), Some((_, s1))) if s1 > s0 => "from the system reserve",
                    _ => "above v_free_reserved",
                };
                kk.event(
                    EventKind::EmergencyAlloc,
                    format!("bio_page_alloc's second try took a page {from}, free+cache {fc}"),
                );
            }
            if later {
                if severe {
                    kk.stats.lowmempgallocs += 1;
                }
            } else if bio == BioVariant::Fix0701 || severe {
                kk.printf(msg::EMERG);
            }
        } else {
            kk.stats.emerg_fails += 1;
            kk.event(
                EventKind::EmergencyFail,
                "bio_page_alloc found no page even in the interrupt reserve".into(),
            );
            if later {
                // 794fd6ea2c prints only if the page still does not exist: nothing else runs
                // between the lookup above and here, so it never does
                kk.printf(msg::EXHAUSTED);
                kk.stats.lowmempgfails += 1;
            } else {
                kk.printf(msg::EMERG_FAIL);
            }
        }
        (m, severe)
    };
    if m != NONE {
        if severe && k.borrow().policy.timed_vm_wait() {
            // the page is ours and hard-busy; nobody can take it while we pause
            let t = if later {
                crate::HZ / 20 + 1
            } else {
                crate::HZ / 20
            };
            vm_wait(k, t, "bio_page_alloc").await;
        }
    } else {
        let t = if later { crate::HZ } else { 5 * crate::HZ };
        vm_wait(k, timed(t), "bio_page_alloc").await;
    }
    m
}

/// `krateprintf`'s `struct krate` with `.freq = 1`: at most one line per second of uptime.
#[derive(Clone, Copy, Debug, Default)]
pub struct Krate {
    /// The second (`time_second`) the count is for.
    second: u64,
    /// Lines printed in that second.
    count: u32,
}

impl Krate {
    /// Whether a line may be printed at `tick` (and counts it if so).
    pub fn allow(&mut self, tick: u64) -> bool {
        let second = tick / crate::HZ;
        if self.second != second {
            self.second = second;
            self.count = 0;
        }
        if self.count < 1 {
            self.count += 1;
            true
        } else {
            false
        }
    }
}

/// One `vm_page_alloc()` of the 2012 `bio_page_alloc`: the page, `Some(NONE)` when the page now
/// exists (the caller re-looks it up), `None` when it must try harder.
fn try_2012(kk: &mut Kernel, obj: u8, pi: u32, flags: u8) -> Option<u32> {
    let f = kk.vm.free_count();
    let m = kk.vm_page_alloc(obj, pi, flags);
    if m != NONE {
        if f <= kk.vm.t.v_free_reserved {
            kk.stats.emerg_allocs += 1;
            if kk.events.first_emergency() {
                let band = if f <= kk.vm.t.v_interrupt_free_min {
                    "interrupt"
                } else {
                    "system"
                };
                let fc = kk.vm.fc();
                kk.event(
                    EventKind::EmergencyAlloc,
                    format!("bio_page_alloc took a page from the {band} reserve, free+cache {fc}"),
                );
            }
        }
        return Some(m);
    }
    if kk.vm.lookup(obj, pi) != NONE {
        return Some(NONE);
    }
    None
}

/// `bio_page_alloc()` of 55b50bd522 (2012-01, §1.5): a normal try; a second digging into the
/// system reserve (and the interrupt reserve for `TDF_SYSTHREAD` threads); `vm_wait(hz/20+1)`
/// and a third; then "really in trouble": a warning rate-limited to one a second naming the
/// thread, `vm_wait(hz/20+1)` for system threads or `vm_wait(hz/2+1)` for others, and NULL —
/// `allocbuf` loops. `recoverbufpages()` is no longer called (it could deadlock); low memory is
/// left to brelse/bqrelse (`relbufmin`). The `recoverbufpages`, `interrupt` and `timedwait`
/// switches still apply: the 2008 call before the second try, the interrupt reserve, and
/// (off) waits with no timeout.
async fn bio_page_alloc_2012(k: &Kc, obj: u8, pi: u32, deficit: u32) -> u32 {
    let sys = {
        let mut kk = k.borrow_mut();
        let m = kk.vm_page_alloc(obj, pi, VM_ALLOC_NORMAL);
        if m != NONE {
            return m;
        }
        if kk.vm.lookup(obj, pi) != NONE {
            return NONE;
        }
        kk.vm.vm_pageout_deficit += i64::from(deficit);
        let cur = kk.sched.cur;
        kk.systhread(cur)
    };
    if k.borrow().policy.recoverbufpages() {
        recoverbufpages(k).await;
    }
    let mut flags = VM_ALLOC_NORMAL | VM_ALLOC_SYSTEM;
    if sys && k.borrow().policy.interrupt_retry() {
        flags |= VM_ALLOC_INTERRUPT;
    }
    if let Some(m) = try_2012(&mut k.borrow_mut(), obj, pi, flags) {
        return m;
    }
    let timo = |t: u64| {
        if k.borrow().policy.timed_vm_wait() {
            t
        } else {
            0
        }
    };
    vm_wait(k, timo(crate::HZ / 20 + 1), "bio_page_alloc").await;
    if let Some(m) = try_2012(&mut k.borrow_mut(), obj, pi, flags) {
        return m;
    }
    {
        let mut kk = k.borrow_mut();
        kk.stats.emerg_fails += 1;
        kk.event(
            EventKind::EmergencyFail,
            "bio_page_alloc found no page in three tries".into(),
        );
        let tick = kk.sched.tick();
        if kk.biokrate.allow(tick) {
            let line = format!("{}{}", msg::EXHAUSTED_2012, kk.cur_name());
            kk.printf(&line);
        }
    }
    let wait = if sys {
        crate::HZ / 20 + 1
    } else {
        crate::HZ / 2 + 1
    };
    vm_wait(k, timo(wait), "bio_page_alloc").await;
    NONE
}

/// `recoverbufpages()` (§1.3): cash in clean buffers — free the pages of up to 64 KB of them.
pub async fn recoverbufpages(k: &Kc) -> u32 {
    let mut kk = k.borrow_mut();
    kk.stats.recoverbufcalls += 1;
    let mut bytes = 0;
    while bytes < MAXBSIZE {
        let b = kk.bc.head(BQ_CLEAN);
        if b == NIL {
            break;
        }
        if !kk.buf(b).has(B_AGE) && kk.buf(b).next != NIL {
            kk.bufm(b).flags |= B_AGE;
            kk.bc.requeue_tail(b);
            continue;
        }
        // buffers on a queue are unlocked in this single-CPU model, so the lock races of the
        // kernel ("locked buf %p, race corrected") cannot happen here
        debug_assert_eq!(kk.buf(b).lock, LK_FREE);
        kk.bc.bremfree(b);
        let t = kk.sched.cur;
        kk.lock_buf(b, t);
        bytes += kk.buf(b).bufsize;
        let bp = kk.bufm(b);
        bp.flags &= !B_ASYNC;
        bp.flags |= B_DIRECT;
        let freed = kk.vfs_vmio_release(b);
        kk.stats.recovered_pages += u64::from(freed);
        kk.bc.brelvp(b);
        kk.bufm(b).flags |= B_INVAL;
        kk.brelse(b);
    }
    bytes
}

/// `bread()`: `getblk`, and if not B_CACHE a synchronous read of the pages that hold data on
/// disk (holes are zero-filled without I/O).
pub async fn bread(k: &Kc, vp: u16, lblk: u32, size: u32, heavy: bool) -> u32 {
    let b = getblk(k, vp, lblk, size, heavy).await;
    let need_io = {
        let mut kk = k.borrow_mut();
        let bp = *kk.buf(b);
        if bp.has(B_CACHE) {
            return b;
        }
        let mut bytes = 0;
        for (i, &p) in bp.pages[..bp.npages as usize].iter().enumerate() {
            if kk.vm.pages[p as usize].flags & PG_VALID == 0 {
                if kk.vnodes[vp as usize].on_disk(lblk + i as u32) {
                    bytes += PAGE_SIZE;
                } else {
                    kk.vm.pages[p as usize].flags |= PG_VALID;
                }
            }
        }
        if bytes > 0 {
            kk.bufm(b).flags |= B_READIO;
            kk.bufm(b).flags &= !B_DONE;
            kk.vfs_busy_pages(b);
            kk.disk_start(b, bytes);
        }
        bytes > 0
    };
    if need_io {
        biowait(k, b, "biord").await;
    }
    k.borrow_mut().bufm(b).flags |= B_CACHE;
    b
}
