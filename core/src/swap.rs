//! The swap pager (`sys/vm/swap_pager.c`, 2008), for anonymous memory: where the pageout daemon
//! sends dirty anonymous pages, and what happens when there is no swap left.
//!
//! `swap_pager_putpages` allocates swap blocks for a cluster of pages and writes them straight to
//! the swap area (no buffer cache), asynchronously; at completion (`swp_pager_async_iodone`) the
//! pages are clean and, under severe pressure, go straight to the cache. Swap metadata
//! (`struct swblock`, one per `SWAP_META_PAGES` = 16 pages) comes from an interrupt zone whose
//! pages are allocated with VM_ALLOC_INTERRUPT as it grows. With no swap left, a dirty anonymous
//! page cannot be cleaned: it is unreclaimable, and the daemon's last resort is to kill the
//! largest process ("out of swap space").

use crate::kernel::Kernel;
use crate::vm::{NONE, OBJ_KERNEL, PG_DIRTY, PG_VALID, VM_ALLOC_INTERRUPT, VM_ALLOC_SYSTEM};

/// `SWAP_META_PAGES`: pages one `struct swblock` describes.
const SWAP_META_PAGES: u32 = 16;
/// `struct swblock`s per page of the swap metadata zone (a 80-byte swblock on i386).
const SWBLOCKS_PER_PAGE: u32 = 4096 / 80;

/// The swap area and the pager's state.
#[derive(Debug, Default)]
pub struct Swap {
    /// Swap space in pages.
    pub total: u32,
    /// Pages of swap in use (`vm_swap_size` is `total - used`).
    pub used: u32,
    /// `swap_pager_full`: an allocation of swap space failed.
    pub full: bool,
    /// Pages of the swap metadata zone.
    meta_pages: Vec<u32>,
    /// Clusters being written: their pages.
    pub io: Vec<Vec<u32>>,
    /// Pages written to swap.
    pub pageouts: u64,
    /// For each page, the thread (process) whose anonymous memory it holds, or `NO_OWNER`;
    /// empty until a hog allocates.
    owner: Vec<u8>,
    /// For each thread, the pages of swap its anonymous memory occupies.
    swapped: Vec<u32>,
}

/// No process owns the page.
const NO_OWNER: u8 = u8::MAX;

/// `nswap_lowat`: `swp_sizecheck()` clears `swap_pager_full` above it.
const NSWAP_LOWAT: u32 = 128;

impl Swap {
    /// A swap area of `pages` pages.
    pub fn new(pages: u32) -> Swap {
        Swap {
            total: pages,
            ..Swap::default()
        }
    }

    /// `vm_swap_size`: free swap, in pages.
    pub fn free(&self) -> u32 {
        self.total - self.used
    }

    /// Bytes of the per-page owner table and the per-thread swap counts.
    pub fn memory_bytes(&self) -> usize {
        self.owner.len() + self.swapped.len() * size_of::<u32>()
    }

    /// Page `p` now holds anonymous memory of thread `t`.
    pub fn set_owner(&mut self, p: u32, t: usize) {
        let p = p as usize;
        if self.owner.len() <= p {
            self.owner.resize(p + 1, NO_OWNER);
        }
        self.owner[p] = u8::try_from(t).unwrap_or(NO_OWNER);
    }

    /// The thread whose anonymous memory page `p` held last (check that it is still anonymous).
    pub fn owner_of(&self, p: u32) -> Option<usize> {
        match self.owner.get(p as usize) {
            Some(&o) if o != NO_OWNER => Some(usize::from(o)),
            _ => None,
        }
    }

    /// Per thread: its resident anonymous pages plus its pages in swap
    /// (`vmspace_anonymous_count + vmspace_swap_count`).
    pub fn anonymous_sizes(&self, vm: &crate::vm::Vm) -> Vec<u64> {
        let mut out: Vec<u64> = self.swapped.iter().map(|&n| u64::from(n)).collect();
        for (p, &o) in self.owner.iter().enumerate() {
            if o == NO_OWNER {
                continue;
            }
            let pg = vm.pages[p];
            if pg.obj() == crate::vm::OBJ_ANON && pg.queue != crate::vm::PQ_FREE {
                let o = usize::from(o);
                if out.len() <= o {
                    out.resize(o + 1, 0);
                }
                out[o] += 1;
            }
        }
        out
    }

    /// Thread `t` exited: its swap is free again (`swp_sizecheck`).
    pub fn release(&mut self, t: usize) {
        if let Some(n) = self.swapped.get_mut(t) {
            self.used -= *n;
            *n = 0;
        }
        if self.free() >= NSWAP_LOWAT {
            self.full = false;
        }
    }
}

impl Kernel {
    /// `swap_pager_putpages` for the dirty anonymous pages `pages` (already soft-busy): allocate
    /// swap space and the metadata for it, then queue the write. Returns false, with nothing
    /// done, when there is no swap for them (`swap_pager_full`) or no page for the metadata.
    pub fn swap_pager_putpages(&mut self, pages: &[u32]) -> bool {
        let n = pages.len() as u32;
        if self.swap.free() < n {
            self.swap.full = true;
            return false;
        }
        let blocks = (self.swap.used + n).div_ceil(SWAP_META_PAGES);
        while (self.swap.meta_pages.len() as u32) * SWBLOCKS_PER_PAGE < blocks {
            // zalloc of an interrupt zone: VM_ALLOC_INTERRUPT
            let m = self.vm_page_alloc(OBJ_KERNEL, 0, VM_ALLOC_INTERRUPT | VM_ALLOC_SYSTEM);
            if m == NONE {
                return false;
            }
            self.vm.pages[m as usize].flags = PG_VALID;
            self.vm_page_wire(m);
            self.swap.meta_pages.push(m);
        }
        self.swap.used += n;
        self.swap.pageouts += u64::from(n);
        for &p in pages {
            if let Some(o) = self.swap.owner_of(p) {
                if self.vm.pages[p as usize].obj() == crate::vm::OBJ_ANON {
                    if self.swap.swapped.len() <= o {
                        self.swap.swapped.resize(o + 1, 0);
                    }
                    self.swap.swapped[o] += 1;
                }
            }
        }
        let slot = match self.swap.io.iter().position(Vec::is_empty) {
            Some(i) => i,
            None => {
                self.swap.io.push(Vec::new());
                self.swap.io.len() - 1
            }
        };
        self.swap.io[slot].extend_from_slice(pages);
        self.disk_swapout(slot as u32, n * 4096);
        true
    }

    /// `swp_pager_async_iodone`: the pages are clean copies of their swap blocks now; under
    /// severe pressure they go straight to the cache.
    pub fn swap_iodone(&mut self, slot: u32) {
        let pages = std::mem::take(&mut self.swap.io[slot as usize]);
        self.stats.io_completed += 1;
        for m in pages {
            let pg = &mut self.vm.pages[m as usize];
            pg.flags &= !PG_DIRTY;
            pg.busy -= 1;
            if self.vm.count_severe() {
                self.vm_page_try_to_cache(m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_swap_is_what_is_not_used() {
        let mut s = Swap::new(100);
        s.used = 30;
        assert_eq!(s.free(), 70);
    }
}
