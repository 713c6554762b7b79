//! kmalloc's slab zones (`sys/kern/kern_slaballoc.c`, 2008), as HAMMER's backend uses them for
//! its in-memory records (`hammer_alloc_mem_record`, M_HAMMER).
//!
//! A HAMMER strategy write installs one in-memory record "to reference the storage until the
//! flusher can get to it". Records come from a slab zone of `ZoneSize` bytes, which `kmeminit`
//! sizes from memory ([`kmeminit_zone_bytes`]: 32 KB up to 67 MB of RAM, the default 64 MB
//! machine included, 64 KB from 68 MB, 128 KB from 135 MB, with 95 % of RAM managed). Only when
//! the zone is full does kmalloc
//! go to the VM: `kmem_slab_alloc` takes the zone's pages one by one with VM_ALLOC_NORMAL, plus
//! VM_ALLOC_SYSTEM with M_USE_RESERVE (HAMMER 59G), and on a NULL page `vm_wait(0)` and retries
//! that page, holding the ones it has. Records are freed when the flusher finalizes them (modelled
//! as the syncer's periodic pass); a zone left wholly free goes back to the VM once more than
//! `ZONE_RELS_THRESH` (2) free zones are cached.

use crate::events::EventKind;
use crate::kernel::Kernel;
use crate::sched::{tsleep, Chan, Kc};
use crate::vm::{vm_wait, NONE, OBJ_KERNEL, PG_VALID, VM_ALLOC_NORMAL, VM_ALLOC_SYSTEM};

/// `ZONE_RELS_THRESH`: free zones kmalloc keeps before it gives one back to the VM.
const ZONE_RELS_THRESH: u32 = 2;

/// The slab header at the start of a zone (`offsetof(SLZone, z_Bitmap[...])`), bytes, rounded.
const ZONE_HEADER: u32 = 256;

/// `ZALLOC_MIN_ZONE_SIZE` and `ZALLOC_MAX_ZONE_SIZE` (`sys/slaballoc.h`).
const ZALLOC_MIN_ZONE_SIZE: u32 = 32 * 1024;
const ZALLOC_MAX_ZONE_SIZE: u32 = 128 * 1024;

/// `kmeminit()`'s `ZoneSize` for `v_page_count` managed pages. The loop doubles the zone from
/// 32 KB while twice the zone is below `usesize`, and `usesize` is memory in **KiB** while the
/// zone is in bytes: so the zone reaches 64 KB only above 64 MiB of managed memory and 128 KB
/// above 128 MiB, and a 64 MB machine (about 61 MiB managed) keeps 32 KB zones of 8 pages.
pub fn kmeminit_zone_bytes(v_page_count: u32) -> u32 {
    // limsize is capped at KvaSize (1 GB and more on i386), which never matters here: the loop
    // stops at 128 KB once usesize passes 128 MiB
    let usesize = u64::from(v_page_count) * 4096 / 1024;
    let mut zone = ZALLOC_MIN_ZONE_SIZE;
    while zone < ZALLOC_MAX_ZONE_SIZE && u64::from(zone << 1) < usesize {
        zone <<= 1;
    }
    zone
}

/// The M_HAMMER record zones.
#[derive(Debug, Default)]
pub struct SlabZones {
    /// Pages per zone (`ZonePageCount`).
    pub zone_pages: u32,
    /// Records per zone (`z_NMax`).
    pub per_zone: u32,
    /// The wired kernel pages of each zone.
    zones: Vec<Vec<u32>>,
    /// Records allocated and not yet freed.
    pub in_use: u32,
    /// Records whose write has completed, waiting for the flusher to free them.
    pub finished: u32,
    /// Zone refills (`kmem_slab_alloc` calls).
    pub refills: u64,
}

impl SlabZones {
    /// Zones of `zone_bytes` holding records of `record_bytes`.
    pub fn new(zone_bytes: u32, record_bytes: u32) -> SlabZones {
        SlabZones {
            zone_pages: zone_bytes.div_ceil(4096).max(1),
            per_zone: ((zone_bytes.saturating_sub(ZONE_HEADER)) / record_bytes.max(1)).max(1),
            ..SlabZones::default()
        }
    }

    /// Records that can be handed out without going to the VM.
    pub fn free_records(&self) -> u32 {
        self.zones.len() as u32 * self.per_zone - self.in_use
    }

    /// Adds a zone made of `pages` (wired kernel pages).
    pub fn add_zone(&mut self, pages: Vec<u32>) {
        self.zones.push(pages);
    }
}

/// `hammer_alloc_mem_record()`: `kmalloc(sizeof(*record), M_HAMMER, M_WAITOK | M_USE_RESERVE)`.
/// Takes a record from the zone; when the zone is full, `kmem_slab_alloc` a new one first, which
/// may sleep in `vm_wait(0)` — the link through which bufdaemon_hw came to wait on the pageout
/// daemon before HAMMER 59G gave these allocations the system reserve.
pub async fn hammer_alloc_mem_record(k: &Kc) {
    if k.borrow().hammer.free_records() == 0 {
        kmem_slab_alloc(k).await;
    }
    k.borrow_mut().hammer.in_use += 1;
}

/// `kmem_slab_alloc(ZoneSize)`: the zone's pages, one by one; a NULL page is waited for and
/// retried while the pages already taken stay wired.
async fn kmem_slab_alloc(k: &Kc) {
    let n = {
        let mut kk = k.borrow_mut();
        let (n, per, fc) = (kk.hammer.zone_pages, kk.hammer.per_zone, kk.vm.fc());
        kk.event(
            EventKind::ZoneRefill,
            format!("HAMMER's record zones are full: a new zone of {n} pages for {per} records, free+cache {fc}"),
        );
        n
    };
    let mut pages = Vec::with_capacity(n as usize);
    while pages.len() < n as usize {
        let m = {
            let mut kk = k.borrow_mut();
            let mut flags = VM_ALLOC_NORMAL;
            if kk.policy.hammer_use_reserve() {
                flags |= VM_ALLOC_SYSTEM;
            }
            let m = kk.vm_page_alloc(OBJ_KERNEL, 0, flags);
            if m != NONE {
                kk.vm.pages[m as usize].flags = PG_VALID;
                kk.vm_page_wire(m);
            }
            m
        };
        if m == NONE {
            vm_wait(k, 0, "kmem_slab_alloc").await;
            continue;
        }
        pages.push(m);
    }
    let mut kk = k.borrow_mut();
    kk.hammer.add_zone(pages);
    kk.hammer.refills += 1;
}

impl Kernel {
    /// A HAMMER write completed: its record waits for the flusher. With `flushervm`
    /// (55b50bd522) the flusher finalizes as soon as memory is severe: in the kernel
    /// `hammer_sync_record_callback()` calls `hammer_flusher_finalize()` after any record when
    /// `vm_page_count_severe()`; the model's flusher has no records of its own to walk, so the
    /// finished record wakes it now instead of at its next pass.
    pub fn hammer_record_done(&mut self) {
        self.hammer.finished += 1;
        if self.vm.count_severe() && self.policy.hammer_flusher_vmcheck() {
            self.sched.wakeup(Chan::Flusher);
        }
    }

    /// The flusher finalized every finished record: free them, and give wholly free zones back
    /// to the VM beyond `ZONE_RELS_THRESH`.
    pub fn hammer_flush_records(&mut self) {
        let z = &mut self.hammer;
        z.in_use -= z.finished;
        z.finished = 0;
        while self.hammer.free_records() > ZONE_RELS_THRESH * self.hammer.per_zone {
            let pages = self.hammer.zones.pop().expect("a free zone");
            for m in pages {
                self.vm_page_unwire(m);
                self.vm_page_free(m);
            }
        }
    }
}

/// The HAMMER flusher, reduced to what matters here: every `period_ticks` (the syncer's pass)
/// it finalizes the in-memory records of completed writes, freeing them. Its own B-tree I/O and
/// allocations are not modelled.
pub async fn hammer_flusher(k: Kc, period_ticks: u64) {
    loop {
        tsleep(&k, Chan::Flusher, "hmrwwa", period_ticks).await;
        k.borrow_mut().hammer_flush_records();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_128k_zone_holds_hundreds_of_records() {
        let z = SlabZones::new(128 * 1024, 144);
        assert_eq!(z.zone_pages, 32);
        assert_eq!(z.per_zone, 908);
        assert_eq!(z.free_records(), 0);
    }

    #[test]
    fn kmeminit_compares_the_zone_in_bytes_with_memory_in_kib() {
        use crate::vm::thresholds::VmThresholds;
        let kb = |ram_mb| kmeminit_zone_bytes(VmThresholds::pages_for_ram(ram_mb).0) / 1024;
        assert_eq!(
            [
                kb(32),
                kb(64),
                kb(67),
                kb(68),
                kb(128),
                kb(134),
                kb(135),
                kb(4096)
            ],
            [32, 32, 32, 64, 64, 64, 128, 128]
        );
        // doubling needs twice the zone strictly below usesize: 64 MiB managed stays at 32 KB
        assert_eq!(kmeminit_zone_bytes(16_384), 32 * 1024);
        assert_eq!(kmeminit_zone_bytes(16_385), 64 * 1024);
        assert_eq!(kmeminit_zone_bytes(32_769), 128 * 1024);
        assert_eq!(SlabZones::new(32 * 1024, 144).per_zone, 225);
    }
}
