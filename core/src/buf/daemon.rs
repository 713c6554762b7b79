//! Dirty-buffer throttling and the two buf daemons (kernel-2008.md §4.6):
//! `bwillwrite`, `bd_heatup`, `bd_speedup`, `bd_wait`, `bd_signal`, `waitrunningbufspace`,
//! `flushbufqueues`, `buf_daemon` and `buf_daemon_hw`.

use super::{bawrite, BKVASIZE, BQ_DIRTY, BQ_DIRTY_HW, B_AGE, B_INVAL, LK_FREE};
use crate::kernel::Kernel;
use crate::list::NIL;
use crate::policy::{BdSpeedup, DirtyLimit};
use crate::sched::{tsleep, Chan, Kc, TKind};

impl Kernel {
    fn count_rule(&self) -> bool {
        self.policy.dirty_limit() == DirtyLimit::BytesCount0707
    }

    /// `bd_heatup()`: wakes the daemons above mid1 and returns how far the total is above mid2.
    pub fn bd_heatup(&mut self) -> u64 {
        let lim = self.bc.lim;
        let mid1 = lim.lodirtybufspace + (lim.hidirtybufspace - lim.lodirtybufspace) / 2;
        let total = self.bc.runningbufspace + self.bc.dirtybufspace;
        let by_count = self.count_rule() && self.bc.dirtybufcount >= lim.nbuf / 2;
        if total >= mid1 || by_count {
            self.bd_speedup();
            let mid2 = mid1 + (lim.hidirtybufspace - mid1) / 2;
            if total >= mid2 {
                return total - mid2;
            }
        }
        0
    }

    /// `bd_speedup()`: kick the buf daemons, with the version's guard.
    pub fn bd_speedup(&mut self) {
        let lo = self.bc.lim.lodirtybufspace;
        let dirty = self.bc.dirtybufspace;
        match self.policy.bd_speedup() {
            BdSpeedup::Any0628 => {
                if dirty == 0 {
                    return;
                }
            }
            // cd08334035: returns early when dirty > lo — inverted, so explicit wakeups happen
            // only when there is little to do and the daemons fall back on their 1 s poll
            BdSpeedup::Inverted0630 => {
                if dirty > lo {
                    return;
                }
            }
            BdSpeedup::Fixed0707 => {
                if dirty < lo && self.bc.dirtybufcount < self.bc.lim.nbuf / 2 {
                    return;
                }
            }
        }
        let hw = self.bc.dirtybufspacehw;
        // 70ac7d6c75 also wakes them when half the buffers are dirty, whatever their size
        let by_count = self.policy.bd_speedup() == BdSpeedup::Fixed0707
            && self.bc.dirtybufcount >= self.bc.lim.nbuf / 2;
        let (count, count_hw) = (self.bc.dirtybufcount, self.bc.dirtybufcounthw);
        if dirty - hw > lo / 2 || (by_count && count > count_hw) {
            self.bd_wakeup(0);
        }
        if hw > lo / 2 || (by_count && count_hw > 0) {
            self.bd_wakeup(1);
        }
    }

    fn bd_wakeup(&mut self, q: usize) {
        if !self.bc.bd_request[q] {
            self.bc.bd_request[q] = true;
            self.sched.wakeup(Chan::BdRequest(q as u8));
        }
    }

    /// `bd_signal(bytes)`: one ring slot per BKVASIZE chunk retired.
    pub fn bd_signal(&mut self, bytes: u64) {
        let mut left = bytes as i64;
        while left > 0 {
            // atomic_fetchadd_int(&bd_wake_index, 1): the slot of the value before the increment
            let i = (self.bc.bd_wake_index & 127) as usize;
            self.bc.bd_wake_index = self.bc.bd_wake_index.wrapping_add(1);
            if self.bc.bd_wake_ary[i] > 0 {
                self.bc.bd_wake_ary[i] = 0;
                self.sched.wakeup(Chan::BdWake(i as u8));
            }
            left -= i64::from(BKVASIZE);
        }
    }
}

/// `bwillwrite(bytes)`: `n = bd_heatup(); if n > 0 bd_wait(n/2)`.
pub async fn bwillwrite(k: &Kc, _bytes: u64) {
    let n = k.borrow_mut().bd_heatup();
    if n > 0 {
        bd_wait(k, n / 2).await;
    }
}

/// `bd_wait(total)`: wait until about `total` bytes of dirty or in-flight data have retired,
/// and keep waiting while over the high-water mark. The buf daemons are exempt since the fix.
pub async fn bd_wait(k: &Kc, mut total: u64) {
    {
        let kk = k.borrow();
        let kind = kk.sched.threads[kk.sched.cur].kind;
        if matches!(kind, TKind::BufDaemon | TKind::BufDaemonHw) && kk.policy.bd_wait_exempt() {
            return;
        }
    }
    while total > 0 {
        let slot = {
            let mut kk = k.borrow_mut();
            kk.bd_heatup();
            let cur = kk.bc.runningbufspace + kk.bc.dirtybufspace;
            total = total.min(cur);
            let step = (total / u64::from(BKVASIZE)).min(127) as u32;
            let slot = (kk.bc.bd_wake_index.wrapping_add(step) & 127) as usize;
            kk.bc.bd_wake_ary[slot] += 1;
            slot as u8
        };
        tsleep(k, Chan::BdWake(slot), "flstik", crate::HZ).await;
        let kk = k.borrow();
        total =
            (kk.bc.runningbufspace + kk.bc.dirtybufspace).saturating_sub(kk.bc.lim.hidirtybufspace);
    }
}

/// `waitrunningbufspace(limit)`.
async fn waitrunningbufspace(k: &Kc, limit: u64) {
    let lorun = k.borrow().bc.lim.lorunningspace.min(limit);
    let running = k.borrow().bc.runningbufspace;
    if running > lorun {
        while k.borrow().bc.runningbufspace > lorun {
            tsleep(k, Chan::Wdrain, "wdrain", 0).await;
        }
    } else if running > 0 {
        tsleep(k, Chan::Wdrain, "wdrain2", 1).await;
    }
}

/// `flushbufqueues(q)`: start an async write of the first dirty buffer. Returns false if
/// nothing could be flushed.
pub(crate) async fn flushbufqueues(k: &Kc, q: u8) -> bool {
    let b = {
        let mut kk = k.borrow_mut();
        let b = kk.bc.head(q);
        if b == NIL {
            return false;
        }
        debug_assert_eq!(kk.bc.bufs[b as usize].lock, LK_FREE);
        kk.bc.bremfree(b);
        let t = kk.sched.cur;
        kk.lock_buf(b, t);
        if kk.bc.bufs[b as usize].flags & B_INVAL != 0 {
            kk.brelse(b);
            return true;
        }
        kk.bc.bufs[b as usize].flags |= B_AGE;
        b
    };
    // vfs_bio_awrite: a clustered async write; may sleep in HAMMER's strategy kmalloc
    bawrite(k, b).await;
    true
}

/// `buf_daemon()` (hw = false, light buffers) and `buf_daemon_hw()` (heavy buffers).
pub async fn buf_daemon(k: Kc, hw: bool) {
    let (q, idx) = if hw {
        (BQ_DIRTY_HW, 1usize)
    } else {
        (BQ_DIRTY, 0usize)
    };
    loop {
        let limit = k.borrow().bc.lim.lodirtybufspace / 2;
        waitrunningbufspace(&k, limit).await;
        loop {
            let over = {
                let kk = k.borrow();
                let dirty = if hw {
                    kk.bc.dirtybufspacehw
                } else {
                    kk.bc.dirtybufspace - kk.bc.dirtybufspacehw
                };
                let count = if hw {
                    kk.bc.dirtybufcounthw
                } else {
                    kk.bc.dirtybufcount - kk.bc.dirtybufcounthw
                };
                kk.bc.runningbufspace + dirty > limit
                    || (kk.count_rule() && count >= kk.bc.lim.nbuf / 2)
            };
            if !over || !flushbufqueues(&k, q).await {
                break;
            }
            waitrunningbufspace(&k, limit).await;
        }
        if !k.borrow().bc.bd_request[idx] {
            tsleep(&k, Chan::BdRequest(idx as u8), "psleep", crate::HZ).await;
        }
        k.borrow_mut().bc.bd_request[idx] = false;
    }
}
