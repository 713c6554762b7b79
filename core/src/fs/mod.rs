//! HAMMER and UFS write paths (kernel-2008.md §5): block size, `VOP_WRITE` for write(2) and for
//! the pageout daemon's UIO_NOCOPY putpages, and what each does with the buffer afterwards.

use crate::buf::daemon::bwillwrite;
use crate::buf::{bawrite, bread, bwrite, getblk, hammer_blocksize_pages, B_RELBUF, PAGE_SIZE};
use crate::sched::{tsleep, Chan, Kc, Tid, TICK_US};
use crate::vm::PG_VALID;
use crate::FsKind;

/// A file: its filesystem, size, lock and which of its pages hold data on disk.
#[derive(Clone, Debug)]
pub struct Vnode {
    pub fs: FsKind,
    pub size_pages: u32,
    /// Exclusive lock holder.
    pub lock: Option<Tid>,
    on_disk: Vec<u64>,
    /// UFS block size in pages (`fs_bsize`).
    ufs_bs: u32,
}

impl Vnode {
    /// A new, sparse file of `size_pages` pages (holes read as zeros without I/O).
    /// `ufs_bs` is the UFS block size in pages (ignored on HAMMER).
    pub fn new(fs: FsKind, size_pages: u32, ufs_bs: u32) -> Vnode {
        Vnode {
            fs,
            size_pages,
            lock: None,
            on_disk: vec![0; size_pages.div_ceil(64) as usize],
            ufs_bs: ufs_bs.max(1),
        }
    }

    /// Whether page `pi` has been written to disk (a read must fetch it).
    pub fn on_disk(&self, pi: u32) -> bool {
        self.on_disk
            .get(pi as usize / 64)
            .is_some_and(|w| w >> (pi % 64) & 1 == 1)
    }

    pub fn set_on_disk(&mut self, pi: u32) {
        if let Some(w) = self.on_disk.get_mut(pi as usize / 64) {
            *w |= 1 << (pi % 64);
        }
    }

    /// Block size (pages) at offset `pi`, and the block's first page.
    pub fn block(&self, pi: u32) -> (u32, u32) {
        let bs = match self.fs {
            FsKind::Hammer => hammer_blocksize_pages(pi),
            FsKind::Ufs => self.ufs_bs,
        };
        (pi / bs * bs, bs)
    }

    pub fn memory_bytes(&self) -> usize {
        self.on_disk.len() * 8
    }
}

/// `vn_lock(vp, LK_EXCLUSIVE [| LK_TIMELOCK])`: `timo` ticks in all (0 = wait forever). Returns
/// false when the lock timed out (the pageout daemon's `pageout_lock_miss`).
pub async fn vn_lock(k: &Kc, vp: u16, timo: u64) -> bool {
    let deadline = k.borrow().sched.now + timo * TICK_US;
    loop {
        let left = {
            let mut kk = k.borrow_mut();
            let t = kk.sched.cur;
            let now = kk.sched.now;
            let v = &mut kk.vnodes[vp as usize];
            if v.lock.is_none() {
                v.lock = Some(t);
                return true;
            }
            if timo > 0 && now >= deadline {
                return false;
            }
            if timo > 0 {
                (deadline - now).div_ceil(TICK_US)
            } else {
                0
            }
        };
        tsleep(k, Chan::Vnode(vp), "vnlock", left).await;
    }
}

/// `vn_unlock(vp)`.
pub fn vn_unlock(k: &Kc, vp: u16) {
    let mut kk = k.borrow_mut();
    kk.vnodes[vp as usize].lock = None;
    kk.sched.wakeup(Chan::Vnode(vp));
}

/// One block of a write(2) (the caller holds the vnode lock): a full-block overwrite, so
/// `getblk` + clear, copy, then the filesystem's disposition.
pub async fn write_block(k: &Kc, vp: u16, blk: u32, bs: u32) {
    let fs = k.borrow().vnodes[vp as usize].fs;
    if fs == FsKind::Hammer && k.borrow().policy.hammer_pageout_bwillwrite() {
        // 59G: bwillwrite on every block
        bwillwrite(k, u64::from(bs * PAGE_SIZE)).await;
    }
    let b = getblk(k, vp, blk, bs * PAGE_SIZE, fs == FsKind::Hammer).await;
    let write_now = {
        let mut kk = k.borrow_mut();
        let bp = kk.bc.bufs[b as usize];
        for &p in &bp.pages[..bp.npages as usize] {
            kk.vm.pages[p as usize].flags |= PG_VALID;
        }
        kk.bc.bufs[b as usize].flags |= crate::buf::B_CACHE;
        kk.stats.user_kb += u64::from(bs * PAGE_SIZE / 1024);
        // UFS: bawrite under memory or dirty-buffer pressure; a full block otherwise goes to
        // cluster_write, which delays the write like bdwrite. HAMMER always bdwrite()s.
        fs == FsKind::Ufs
            && (kk.vm.count_severe() || {
                let count_rule = kk.policy.dirty_limit() == crate::DirtyLimit::BytesCount0707;
                kk.bc.dirty_count_severe(count_rule)
            })
    };
    if write_now {
        bawrite(k, b).await;
    } else {
        k.borrow_mut().bdwrite(b);
    }
}

/// The pageout daemon's `VOP_PUTPAGES → VOP_WRITE(UIO_NOCOPY)` over pages `[first, first+n)`.
/// The filesystem instantiates buffers over the packaged pages with `getblk()`; a 64 KB HAMMER
/// block covers more pages than were packaged, and allocating those is where it can sleep.
pub async fn putpages(k: &Kc, vp: u16, first: u32, n: u32, sync: bool) {
    let fs = k.borrow().vnodes[vp as usize].fs;
    let mut pi = first;
    while pi < first + n {
        let (blk, bs) = k.borrow().vnodes[vp as usize].block(pi);
        match fs {
            FsKind::Hammer => {
                // before 59G the throttle was skipped for UIO_NOCOPY
                if k.borrow().policy.hammer_pageout_bwillwrite() {
                    bwillwrite(k, u64::from(bs * PAGE_SIZE)).await;
                }
                let b = bread(k, vp, blk, bs * PAGE_SIZE, true).await;
                if sync {
                    bwrite(k, b).await;
                } else if k.borrow().policy.hammer_pageout_bawrite() {
                    // 55b50bd522: "failing to flush a dirty buffer out when issued from the
                    // pageout daemon can result in a low memory deadlock against
                    // bio_page_alloc(), so we have to bawrite() on IO_ASYNC as well"
                    bawrite(k, b).await;
                } else {
                    // 2008: HAMMER bdwrite()s even on IO_ASYNC — a dirty heavy buffer, not I/O
                    k.borrow_mut().bdwrite(b);
                }
            }
            FsKind::Ufs => {
                let b = bread(k, vp, blk, bs * PAGE_SIZE, false).await;
                // IO_VMIO: B_RELBUF, so the pages go back to the VM once written
                k.borrow_mut().bc.bufs[b as usize].flags |= B_RELBUF;
                if sync {
                    bwrite(k, b).await;
                } else {
                    bawrite(k, b).await;
                }
            }
        }
        pi = blk + bs;
    }
}
