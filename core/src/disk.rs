//! The disk: a FIFO request queue with seek time and bandwidth; completions arrive as interrupts
//! that call `biodone` (or finish a page-in).

use std::collections::VecDeque;

use crate::kernel::Kernel;
use crate::sched::{Chan, EV_DISK};
use crate::vm::PG_VALID;

/// What a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Req {
    /// A buffer read or write; completion calls `biodone`.
    Buf(u32),
    /// A page-in for a fault (`vnode_pager_getpages`) of one page.
    PageIn(u32),
    /// A swap pager write of a cluster of anonymous pages (slot in `Swap::io`).
    SwapOut(u32),
}

/// The swap area's position for the seek model.
const SWAP_VP: u16 = u16::MAX - 1;

/// A disk request.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub req: Req,
    pub bytes: u32,
    /// Position (vnode, page) for the seek model: contiguous requests skip the seek.
    pub pos: (u16, u32),
}

/// The disk.
#[derive(Debug)]
pub struct Disk {
    pub queue: VecDeque<Request>,
    pub busy: bool,
    pub seek_us: u64,
    pub bytes_per_s: u64,
    last_end: (u16, u32),
}

impl Disk {
    pub fn new(seek_ms: u32, mb_s: u32) -> Disk {
        Disk {
            queue: VecDeque::new(),
            busy: false,
            seek_us: u64::from(seek_ms) * 1000,
            bytes_per_s: u64::from(mb_s) * 1024 * 1024,
            last_end: (u16::MAX, 0),
        }
    }

    /// Service time of a request: a seek unless it continues the previous one, plus transfer.
    fn service_us(&mut self, r: &Request) -> u64 {
        let seek = if r.pos == self.last_end {
            0
        } else {
            self.seek_us
        };
        self.last_end = (r.pos.0, r.pos.1 + r.bytes.div_ceil(4096));
        seek + (u64::from(r.bytes) * 1_000_000).div_ceil(self.bytes_per_s)
    }

    /// Requests queued or in service.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }
}

impl Kernel {
    /// `vn_strategy` for a buffer: queue the I/O.
    pub fn disk_start(&mut self, b: u32, bytes: u32) {
        let bp = &self.bc.bufs[b as usize];
        let pos = (bp.vp, bp.lblk);
        self.disk_submit(Request {
            req: Req::Buf(b),
            bytes,
            pos,
        });
    }

    /// Queues a page-in of page `p` (vnode `vp`, page `pi`).
    pub fn disk_pagein(&mut self, p: u32, vp: u16, pi: u32) {
        self.disk_submit(Request {
            req: Req::PageIn(p),
            bytes: 4096,
            pos: (vp, pi),
        });
    }

    /// Queues a swap write of `bytes` for the cluster in swap I/O slot `slot`.
    pub fn disk_swapout(&mut self, slot: u32, bytes: u32) {
        let pos = (SWAP_VP, self.swap.used - bytes / 4096);
        self.disk_submit(Request {
            req: Req::SwapOut(slot),
            bytes,
            pos,
        });
    }

    fn disk_submit(&mut self, r: Request) {
        self.disk.queue.push_back(r);
        if !self.disk.busy {
            self.disk_next();
        }
    }

    fn disk_next(&mut self) {
        if let Some(r) = self.disk.queue.front().copied() {
            let us = self.disk.service_us(&r);
            self.disk.busy = true;
            let when = self.sched.now + us;
            self.sched.at(when, EV_DISK, 0, 0);
        } else {
            self.disk.busy = false;
        }
    }

    /// The completion interrupt of the request at the head of the queue.
    pub fn disk_intr(&mut self) {
        let Some(r) = self.disk.queue.pop_front() else {
            return;
        };
        match r.req {
            Req::Buf(b) => self.biodone(b),
            Req::PageIn(p) => {
                // the page stays hard-busy until the fault that read it is done (vm_fault
                // unbusies it); only its data is valid now
                self.stats.io_completed += 1;
                self.vm.pages[p as usize].flags |= PG_VALID;
                self.sched.wakeup(Chan::Page(p));
            }
            Req::SwapOut(slot) => self.swap_iodone(slot),
        }
        self.disk_next();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_requests_skip_the_seek() {
        let mut d = Disk::new(8, 40);
        let a = Request {
            req: Req::Buf(0),
            bytes: 65536,
            pos: (0, 256),
        };
        let b = Request {
            req: Req::Buf(1),
            bytes: 65536,
            pos: (0, 272),
        };
        let transfer = (65536u64 * 1_000_000).div_ceil(40 * 1024 * 1024);
        assert_eq!(d.service_us(&a), 8000 + transfer);
        assert_eq!(d.service_us(&b), transfer);
        assert_eq!(d.service_us(&a), 8000 + transfer);
    }
}
