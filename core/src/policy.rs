//! `Policy`: one field per mechanism of the July 2008 fix (kernel-2008.md §6, §9.7).
//!
//! A kernel preset is nothing but a named bundle of these fields, so a user can take the
//! 2008-07-01 kernel, switch one mechanism off, and see whether the machine still survives.

use serde::{Deserialize, Serialize};

/// Which `bio_page_alloc()` the buffer cache uses when `allocbuf()` finds a page missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BioVariant {
    /// Before 4ecf7cc9c0: `vm_page_alloc(NORMAL|SYSTEM)`, on NULL `vm_wait(0)` — forever.
    #[serde(rename = "pre-0630")]
    Pre0630,
    /// 4ecf7cc9c0 (the post): the emergency warning is printed on every interrupt-reserve success.
    #[serde(rename = "fix-0701")]
    Fix0701,
    /// 02dede15d4: the warning is printed only when memory is still severe afterwards.
    #[serde(rename = "fix-0708")]
    Fix0708,
    /// 59a5a4e861 (2010-10): no success warning (counter `lowmempgallocs`, `vm_wait(hz/20+1)`);
    /// the failure prints "Memory exhausted during bufcache page allocation", counts
    /// `lowmempgfails` and waits `vm_wait(hz)`.
    #[serde(rename = "fix-2010")]
    Fix2010,
    /// 794fd6ea2c (2011-11, with 85946b6c2b): as fix-2010, but after `recoverbufpages()` a thread
    /// without `TDF_SYSTHREAD` does `vm_wait(hz)` and returns NULL: only system threads reach
    /// the interrupt reserve.
    #[serde(rename = "fix-2011")]
    Fix2011,
    /// 55b50bd522 (2012-01): three tries (normal, then the system reserve — the interrupt reserve
    /// too for system threads —, then again after `vm_wait(hz/20+1)`), no recoverbufpages, a
    /// warning rate-limited to one a second naming the thread, then `vm_wait(hz/20+1)` for
    /// system threads or `vm_wait(hz/2+1)` for others, and NULL.
    #[serde(rename = "fix-2012")]
    Fix2012,
}

/// How the dirty-buffer limits are computed (§4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DirtyLimit {
    /// 868d24aff2 (2008-06-28): `hidirtybufspace = hibufspace/2`, bytes only.
    #[serde(rename = "bytes")]
    Bytes0628,
    /// 70ac7d6c75 (2008-07-07): bytes, and also `dirtybufcount >= nbuf/2`.
    #[serde(rename = "bytes+count")]
    BytesCount0707,
}

/// The guard in `bd_speedup()` (§4.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BdSpeedup {
    /// 2008-06-28: wake the daemons whenever anything is dirty.
    #[serde(rename = "any")]
    Any0628,
    /// cd08334035 (2008-06-30): returns early when dirty > lodirtybufspace — inverted.
    #[serde(rename = "inverted")]
    Inverted0630,
    /// 70ac7d6c75 (2008-07-07): returns early only when dirty < lo and count < nbuf/2.
    #[serde(rename = "fixed")]
    Fixed0707,
}

/// What if `allocbuf` had a Linux-style mempool for buffer-cache pages (`mm/mempool.c`): how
/// many pages are set aside at boot. `off` is DragonFly as it was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mempool {
    /// No pool: DragonFly as it was.
    #[default]
    #[serde(rename = "off")]
    Off,
    /// `MAXBSIZE/PAGE_SIZE` pages: one 64 KB buffer.
    #[serde(rename = "16")]
    P16,
    /// `2*MAXBSIZE/PAGE_SIZE` pages, the size of `v_pageout_free_min`'s buffer term: two 64 KB
    /// buffers (the what-if preset's size).
    #[serde(rename = "32")]
    P32,
    /// `4*MAXBSIZE/PAGE_SIZE` pages.
    #[serde(rename = "64")]
    P64,
}

impl Mempool {
    /// Pages in the pool.
    pub fn pages(self) -> u32 {
        let per_buf = crate::buf::MAXBSIZE / crate::buf::PAGE_SIZE;
        match self {
            Mempool::Off => 0,
            Mempool::P16 => per_buf,
            Mempool::P32 => 2 * per_buf,
            Mempool::P64 => 4 * per_buf,
        }
    }
}

/// Every mechanism the June/July 2008 commits switched, one field each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// `bio_page_alloc()` variant (4ecf7cc9c0, 02dede15d4).
    pub bio: BioVariant,
    /// `bio_page_alloc()` calls `recoverbufpages()` before its second try (4ecf7cc9c0).
    pub recoverbufpages: bool,
    /// The second try adds `VM_ALLOC_INTERRUPT`: the last `v_interrupt_free_min` pages (4ecf7cc9c0).
    pub interrupt_retry: bool,
    /// `bio_page_alloc()` waits with `vm_wait(hz/20)` / `vm_wait(5*hz)` instead of forever.
    pub timed_vm_wait: bool,
    /// `TDF_SYSTHREAD` for bufdaemon and bufdaemon_hw: their allocations get VM_ALLOC_SYSTEM.
    pub systhread_bufdaemons: bool,
    /// `bd_wait()` returns at once for the buf daemons.
    pub bd_wait_exempt: bool,
    /// HAMMER 59G: `bwillwrite()` on every block, the pageout path (UIO_NOCOPY) included.
    pub hammer_pageout_bwillwrite: bool,
    /// HAMMER 59G: backend kmallocs with `M_USE_RESERVE` (VM_ALLOC_SYSTEM).
    pub hammer_use_reserve: bool,
    /// Dirty-limit rule.
    pub dirty_limit: DirtyLimit,
    /// `bd_speedup()` guard.
    pub bd_speedup: BdSpeedup,
    /// f043c4c79c: vnode locks time out after hz/10, so the pageout daemon's LK_TIMELOCK works.
    pub vnode_lock_timeout: bool,
    /// c84c24daf5, 20479584e1 (Dec 2008): the OOM rule of the pageout rework — kill the process
    /// with the most anonymous memory + swap when swap is full, free+cache is below min and the
    /// inactive queue is bloated — and the machine goes on. Off: the 2008 rule, and the run ends
    /// at the kill.
    #[serde(default)]
    pub oom_kill: bool,
    /// 20479584e1 (Dec 2008): every page allocation calls `pagedaemon_wakeup()`, which wakes the
    /// daemon below `v_free_severe`; the daemon's loop repeats its scan, with "pdelay" pauses,
    /// until its shortage is met.
    #[serde(default)]
    pub alloc_wakeup: bool,
    /// c84c24daf5, 20479584e1 (Dec 2008): while the inactive scan leaves a shortage, the active
    /// scan goes on deactivating pages, and caches the clean ones at once ("recycle").
    #[serde(default)]
    pub active_recycle: bool,
    /// 55b50bd522: brelse/bqrelse/vfs_vmio_release give a clean buffer's pages back to the VM when
    /// `vm_page_count_min()` instead of `vm_page_count_severe()`.
    #[serde(default)]
    pub relbuf_min: bool,
    /// 55b50bd522: `hammer_vop_write()` `bawrite()`s on IO_ASYNC (the pageout daemon's putpages)
    /// instead of `bdwrite()`.
    #[serde(default)]
    pub hammer_pageout_bawrite: bool,
    /// 55b50bd522: the flusher finalizes as soon as memory is severe, checked per record
    /// (`hammer_sync_record_callback`), not only at the meta-data limits.
    #[serde(default)]
    pub hammer_flusher_vmcheck: bool,
    /// c3feb36a35 (2017-08): a second pageout daemon, `emergpager`, takes over for anonymous
    /// memory when the primary has not got on for 2 s.
    #[serde(default)]
    pub emergency_pager: bool,
    // ---- what-ifs: how Linux and FreeBSD answer the same load (kernel-2008.md §7) ----------
    /// What if (Linux `PF_MEMALLOC`, `mm/page_alloc.c` ALLOC_NO_WATERMARKS): the pageout daemon
    /// may take free pages down to the last one, the whole reserve below `v_free_reserved`.
    #[serde(default)]
    pub pf_memalloc: bool,
    /// What if (Linux `mm/mempool.c`): buffer-cache pages come from a preallocated pool when the
    /// allocator says no; buffer I/O completion refills it; the wait for it is at most 5 s.
    #[serde(default)]
    pub mempool: Mempool,
    /// What if (Linux `mm/vmscan.c`, no filesystem writeback from reclaim): the pageout daemon
    /// hands dirty file pages to a "flush" thread and moves on instead of writing them itself.
    #[serde(default)]
    pub flusher: bool,
    /// What if (FreeBSD `vm_wait_doms()`, "pageprocwait"): the pageout daemon's `vm_wait`
    /// sleeps one tick and retries, never longer.
    #[serde(default)]
    pub pageprocwait: bool,
    /// What if (FreeBSD 12's laundry thread): a "laundry" thread of the pageout daemon writes
    /// the dirty file pages; the daemon itself only frees and caches clean ones.
    #[serde(default)]
    pub laundry: bool,
}

impl Policy {
    /// Whether a `bio_page_alloc()` sub-mechanism is switched on without `bio_page_alloc()`.
    pub fn conflicts(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        if self.bio == BioVariant::Pre0630 {
            if self.recoverbufpages {
                out.push((
                    "recoverbufpages",
                    "recoverbufpages=on needs bio=fix-0701 or a later bio_page_alloc()",
                ));
            }
            if self.interrupt_retry {
                out.push((
                    "interrupt",
                    "interrupt=on needs bio=fix-0701 or a later bio_page_alloc()",
                ));
            }
            if self.timed_vm_wait {
                out.push((
                    "timedwait",
                    "timedwait=on needs bio=fix-0701 or a later bio_page_alloc()",
                ));
            }
        }
        out
    }
}

/// Kernel versions: named bundles of `Policy` fields (kernel-2008.md §9.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KernelPreset {
    /// The day of 868d24aff2 and the new bwillwrite: byte-based dirty limits, no fix.
    #[serde(rename = "dfly-2008-06-29")]
    Dfly20080629,
    /// The kernel the lockup was reported on (inverted bd_speedup, vnode lock timeout).
    #[serde(rename = "dfly-2008-06-30")]
    Dfly20080630,
    /// The fix of the post: 4ecf7cc9c0 + HAMMER 59G (df3016149e).
    #[serde(rename = "dfly-2008-07-01")]
    Dfly20080701,
    /// A week later: count-based dirty limit, bd_speedup fixed, quieter warning.
    #[serde(rename = "dfly-2008-07-08")]
    Dfly20080708,
    /// The December 2008 pageout rework (c84c24daf5, 20479584e1; cb63d1bc9e).
    #[serde(rename = "dfly-2008-12")]
    Dfly200812,
    /// "Remove confusing warning" (59a5a4e861).
    #[serde(rename = "dfly-2010-10")]
    Dfly201010,
    /// Only system threads reach the interrupt reserve (794fd6ea2c, 85946b6c2b).
    #[serde(rename = "dfly-2011-11")]
    Dfly201111,
    /// The "3:00 a.m." fix (55b50bd522): bio_page_alloc rewritten, pages freed at min, HAMMER
    /// bawrite()s pageout data, the flusher checks memory per record.
    #[serde(rename = "dfly-2012-01")]
    Dfly201201,
    /// The emergency pageout daemon (c3feb36a35) on top of the 2012 kernel.
    #[serde(rename = "dfly-2017-08")]
    Dfly201708,
    /// What if DragonFly 2008-06-30 had done what Linux does (not Linux itself).
    #[serde(rename = "whatif-linux")]
    WhatifLinux,
    /// What if DragonFly 2008-06-30 had done what FreeBSD does (not FreeBSD itself).
    #[serde(rename = "whatif-freebsd")]
    WhatifFreebsd,
}

impl KernelPreset {
    /// All presets, oldest first.
    pub const ALL: [KernelPreset; 11] = [
        KernelPreset::Dfly20080629,
        KernelPreset::Dfly20080630,
        KernelPreset::Dfly20080701,
        KernelPreset::Dfly20080708,
        KernelPreset::Dfly200812,
        KernelPreset::Dfly201010,
        KernelPreset::Dfly201111,
        KernelPreset::Dfly201201,
        KernelPreset::Dfly201708,
        KernelPreset::WhatifLinux,
        KernelPreset::WhatifFreebsd,
    ];

    /// The name used in links and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            KernelPreset::Dfly20080629 => "dfly-2008-06-29",
            KernelPreset::Dfly20080630 => "dfly-2008-06-30",
            KernelPreset::Dfly20080701 => "dfly-2008-07-01",
            KernelPreset::Dfly20080708 => "dfly-2008-07-08",
            KernelPreset::Dfly200812 => "dfly-2008-12",
            KernelPreset::Dfly201010 => "dfly-2010-10",
            KernelPreset::Dfly201111 => "dfly-2011-11",
            KernelPreset::Dfly201201 => "dfly-2012-01",
            KernelPreset::Dfly201708 => "dfly-2017-08",
            KernelPreset::WhatifLinux => "whatif-linux",
            KernelPreset::WhatifFreebsd => "whatif-freebsd",
        }
    }

    /// Parses a preset name.
    pub fn from_name(name: &str) -> Option<KernelPreset> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// One line describing the preset.
    pub fn description(self) -> &'static str {
        match self {
            KernelPreset::Dfly20080629 => {
                "byte-based dirty limits (868d24aff2); no fix; vnode locks never time out"
            }
            KernelPreset::Dfly20080630 => {
                "the kernel of the lockup report: inverted bd_speedup, vnode lock timeout, no fix"
            }
            KernelPreset::Dfly20080701 => {
                "the fix of the post: bio_page_alloc, recoverbufpages, systhread buf daemons, HAMMER 59G"
            }
            KernelPreset::Dfly20080708 => {
                "a week later: dirty count limit, bd_speedup fixed, warning only when severe"
            }
            KernelPreset::Dfly200812 => {
                "Dec 2008 pageout rework (c84c24daf5, 20479584e1): OOM kill of the biggest anonymous process, daemon woken on every allocation"
            }
            KernelPreset::Dfly201010 => {
                "Oct 2010 (59a5a4e861): no success warning, counters lowmempgallocs/lowmempgfails, \"Memory exhausted\" and vm_wait(hz) on failure"
            }
            KernelPreset::Dfly201111 => {
                "Nov 2011 (794fd6ea2c, 85946b6c2b): only system threads reach the interrupt reserve"
            }
            KernelPreset::Dfly201201 => {
                "the 3:00 a.m. fix (55b50bd522): bio_page_alloc's three tries without recoverbufpages, pages freed at min, HAMMER bawrite()s pageout data, flusher checks memory"
            }
            KernelPreset::Dfly201708 => {
                "2012 plus the emergency pageout daemon (c3feb36a35): a second daemon pages out anonymous memory when the first is stuck"
            }
            KernelPreset::WhatifLinux => {
                "what if DragonFly 2008-06-30 had done what Linux does: the pageout daemon may use \
                 the whole reserve (PF_MEMALLOC), buffer pages from a mempool refilled by I/O \
                 completion, a flush thread writes dirty file pages instead of the daemon; \
                 a what-if on the 2008 kernel, not Linux"
            }
            KernelPreset::WhatifFreebsd => {
                "what if DragonFly 2008-06-30 had done what FreeBSD does: the pageout daemon's \
                 vm_wait sleeps one tick (pageprocwait) and a laundry thread writes dirty file \
                 pages; a what-if on the 2008 kernel, not FreeBSD"
            }
        }
    }

    /// The bundle of mechanisms this kernel had.
    pub fn policy(self) -> Policy {
        let pre = Policy {
            bio: BioVariant::Pre0630,
            recoverbufpages: false,
            interrupt_retry: false,
            timed_vm_wait: false,
            systhread_bufdaemons: false,
            bd_wait_exempt: false,
            hammer_pageout_bwillwrite: false,
            hammer_use_reserve: false,
            dirty_limit: DirtyLimit::Bytes0628,
            bd_speedup: BdSpeedup::Any0628,
            vnode_lock_timeout: false,
            oom_kill: false,
            alloc_wakeup: false,
            active_recycle: false,
            relbuf_min: false,
            hammer_pageout_bawrite: false,
            hammer_flusher_vmcheck: false,
            emergency_pager: false,
            pf_memalloc: false,
            mempool: Mempool::Off,
            flusher: false,
            pageprocwait: false,
            laundry: false,
        };
        let fix = Policy {
            bio: BioVariant::Fix0701,
            recoverbufpages: true,
            interrupt_retry: true,
            timed_vm_wait: true,
            systhread_bufdaemons: true,
            bd_wait_exempt: true,
            hammer_pageout_bwillwrite: true,
            hammer_use_reserve: true,
            dirty_limit: DirtyLimit::Bytes0628,
            bd_speedup: BdSpeedup::Inverted0630,
            vnode_lock_timeout: true,
            ..pre
        };
        let july8 = Policy {
            bio: BioVariant::Fix0708,
            dirty_limit: DirtyLimit::BytesCount0707,
            bd_speedup: BdSpeedup::Fixed0707,
            ..fix
        };
        let dec2008 = Policy {
            oom_kill: true,
            active_recycle: true,
            alloc_wakeup: true,
            ..july8
        };
        let oct2010 = Policy {
            bio: BioVariant::Fix2010,
            ..dec2008
        };
        match self {
            KernelPreset::Dfly20080629 => pre,
            KernelPreset::Dfly20080630 => Policy {
                bd_speedup: BdSpeedup::Inverted0630,
                vnode_lock_timeout: true,
                ..pre
            },
            KernelPreset::Dfly20080701 => fix,
            KernelPreset::Dfly20080708 => july8,
            KernelPreset::Dfly200812 => dec2008,
            KernelPreset::Dfly201010 => oct2010,
            KernelPreset::Dfly201111 => Policy {
                bio: BioVariant::Fix2011,
                ..oct2010
            },
            KernelPreset::Dfly201201 => Policy {
                bio: BioVariant::Fix2012,
                recoverbufpages: false,
                relbuf_min: true,
                hammer_pageout_bawrite: true,
                hammer_flusher_vmcheck: true,
                ..KernelPreset::Dfly201111.policy()
            },
            KernelPreset::Dfly201708 => Policy {
                bio: BioVariant::Fix2012,
                recoverbufpages: false,
                relbuf_min: true,
                hammer_pageout_bawrite: true,
                hammer_flusher_vmcheck: true,
                emergency_pager: true,
                ..KernelPreset::Dfly201111.policy()
            },
            KernelPreset::WhatifLinux => Policy {
                pf_memalloc: true,
                mempool: Mempool::P32,
                flusher: true,
                ..KernelPreset::Dfly20080630.policy()
            },
            KernelPreset::WhatifFreebsd => Policy {
                pageprocwait: true,
                laundry: true,
                ..KernelPreset::Dfly20080630.policy()
            },
        }
    }
}

/// Per-field overrides on top of a preset; `None` keeps the preset's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PolicyOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<BioVariant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recoverbufpages: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupt_retry: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timed_vm_wait: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub systhread_bufdaemons: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bd_wait_exempt: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hammer_pageout_bwillwrite: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hammer_use_reserve: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dirty_limit: Option<DirtyLimit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bd_speedup: Option<BdSpeedup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vnode_lock_timeout: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_kill: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alloc_wakeup: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_recycle: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relbuf_min: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hammer_pageout_bawrite: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hammer_flusher_vmcheck: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_pager: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pf_memalloc: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mempool: Option<Mempool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flusher: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pageprocwait: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub laundry: Option<bool>,
}

impl PolicyOverrides {
    /// The preset's policy with these overrides applied.
    pub fn apply(&self, base: Policy) -> Policy {
        Policy {
            bio: self.bio.unwrap_or(base.bio),
            recoverbufpages: self.recoverbufpages.unwrap_or(base.recoverbufpages),
            interrupt_retry: self.interrupt_retry.unwrap_or(base.interrupt_retry),
            timed_vm_wait: self.timed_vm_wait.unwrap_or(base.timed_vm_wait),
            systhread_bufdaemons: self
                .systhread_bufdaemons
                .unwrap_or(base.systhread_bufdaemons),
            bd_wait_exempt: self.bd_wait_exempt.unwrap_or(base.bd_wait_exempt),
            hammer_pageout_bwillwrite: self
                .hammer_pageout_bwillwrite
                .unwrap_or(base.hammer_pageout_bwillwrite),
            hammer_use_reserve: self.hammer_use_reserve.unwrap_or(base.hammer_use_reserve),
            dirty_limit: self.dirty_limit.unwrap_or(base.dirty_limit),
            bd_speedup: self.bd_speedup.unwrap_or(base.bd_speedup),
            vnode_lock_timeout: self.vnode_lock_timeout.unwrap_or(base.vnode_lock_timeout),
            oom_kill: self.oom_kill.unwrap_or(base.oom_kill),
            alloc_wakeup: self.alloc_wakeup.unwrap_or(base.alloc_wakeup),
            active_recycle: self.active_recycle.unwrap_or(base.active_recycle),
            relbuf_min: self.relbuf_min.unwrap_or(base.relbuf_min),
            hammer_pageout_bawrite: self
                .hammer_pageout_bawrite
                .unwrap_or(base.hammer_pageout_bawrite),
            hammer_flusher_vmcheck: self
                .hammer_flusher_vmcheck
                .unwrap_or(base.hammer_flusher_vmcheck),
            emergency_pager: self.emergency_pager.unwrap_or(base.emergency_pager),
            pf_memalloc: self.pf_memalloc.unwrap_or(base.pf_memalloc),
            mempool: self.mempool.unwrap_or(base.mempool),
            flusher: self.flusher.unwrap_or(base.flusher),
            pageprocwait: self.pageprocwait.unwrap_or(base.pageprocwait),
            laundry: self.laundry.unwrap_or(base.laundry),
        }
    }

    /// True when no field is overridden.
    pub fn is_empty(&self) -> bool {
        *self == PolicyOverrides::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fix_of_the_post_switches_every_mechanism_on() {
        let p = KernelPreset::Dfly20080701.policy();
        assert_eq!(p.bio, BioVariant::Fix0701);
        assert!(p.recoverbufpages && p.interrupt_retry && p.timed_vm_wait);
        assert!(p.systhread_bufdaemons && p.bd_wait_exempt);
        assert!(p.hammer_pageout_bwillwrite && p.hammer_use_reserve);
        assert_eq!(p.bd_speedup, BdSpeedup::Inverted0630);
    }

    #[test]
    fn the_lockup_kernel_has_no_part_of_the_fix() {
        let p = KernelPreset::Dfly20080630.policy();
        assert_eq!(p.bio, BioVariant::Pre0630);
        assert!(!p.systhread_bufdaemons && !p.hammer_use_reserve);
        assert!(p.vnode_lock_timeout);
        assert!(p.conflicts().is_empty());
    }

    #[test]
    fn overrides_change_only_their_field() {
        let o = PolicyOverrides {
            recoverbufpages: Some(false),
            ..Default::default()
        };
        let base = KernelPreset::Dfly20080701.policy();
        let p = o.apply(base);
        assert!(!p.recoverbufpages);
        assert_eq!(
            Policy {
                recoverbufpages: true,
                ..p
            },
            base
        );
    }

    #[test]
    fn recoverbufpages_without_bio_page_alloc_is_a_conflict() {
        let o = PolicyOverrides {
            recoverbufpages: Some(true),
            ..Default::default()
        };
        let p = o.apply(KernelPreset::Dfly20080630.policy());
        assert_eq!(p.conflicts()[0].0, "recoverbufpages");
    }

    #[test]
    fn the_later_kernels_add_their_mechanisms_to_july_8_one_by_one() {
        let july8 = KernelPreset::Dfly20080708.policy();
        let dec = KernelPreset::Dfly200812.policy();
        assert!(dec.oom_kill && dec.alloc_wakeup && dec.active_recycle);
        assert_eq!(
            Policy {
                oom_kill: false,
                alloc_wakeup: false,
                active_recycle: false,
                ..dec
            },
            july8
        );
        let oct2010 = KernelPreset::Dfly201010.policy();
        assert_eq!(oct2010.bio, BioVariant::Fix2010);
        assert_eq!(
            Policy {
                bio: dec.bio,
                ..oct2010
            },
            dec
        );
        let nov2011 = KernelPreset::Dfly201111.policy();
        assert_eq!(nov2011.bio, BioVariant::Fix2011);
        assert_eq!(
            Policy {
                bio: oct2010.bio,
                ..nov2011
            },
            oct2010
        );
        // the older kernels have none of them
        for k in &KernelPreset::ALL[..4] {
            let p = k.policy();
            assert!(!p.oom_kill && !p.alloc_wakeup && !p.active_recycle, "{k:?}");
            assert!(!matches!(p.bio, BioVariant::Fix2010 | BioVariant::Fix2011));
        }
    }

    #[test]
    fn a_policy_written_before_the_later_switches_reads_them_as_off() {
        let mut v = serde_json::to_value(KernelPreset::Dfly20080708.policy()).unwrap();
        for f in ["oomKill", "allocWakeup", "activeRecycle"] {
            assert!(v.as_object_mut().unwrap().remove(f).is_some(), "{f}");
        }
        let p: Policy = serde_json::from_value(v).unwrap();
        assert_eq!(p, KernelPreset::Dfly20080708.policy());
    }

    #[test]
    fn preset_names_round_trip() {
        for p in KernelPreset::ALL {
            assert_eq!(KernelPreset::from_name(p.name()), Some(p));
        }
        assert_eq!(KernelPreset::from_name("dfly-2009"), None);
    }
}

/// One mechanism of the fix, for toggles and links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mechanism {
    /// Link key (`recoverbufpages=off`).
    pub key: &'static str,
    /// `Policy` field name as serde writes it (camelCase).
    pub field: &'static str,
    /// Short label for a toggle.
    pub label: &'static str,
    /// One line: what it does and which link of the deadlock it breaks.
    pub explain: &'static str,
    /// The commit that introduced it.
    pub commit: &'static str,
    /// Allowed values, first = the pre-fix value.
    pub values: &'static [&'static str],
}

/// Every mechanism, in link-key order.
pub const MECHANISMS: [Mechanism; 23] = [
    Mechanism {
        key: "bio",
        field: "bio",
        label: "bio_page_alloc()",
        explain: "pre-0630: allocbuf sleeps forever in vm_wait when a page is missing; fix-0701/0708: try harder, then retry; fix-2010: counters and \"Memory exhausted\"; fix-2011: only system threads reach the interrupt reserve; fix-2012: three tries, a rate-limited warning, a short wait",
        commit: "4ecf7cc9c0, 02dede15d4, 59a5a4e861, 794fd6ea2c, 55b50bd522",
        values: &["pre-0630", "fix-0701", "fix-0708", "fix-2010", "fix-2011", "fix-2012"],
    },
    Mechanism {
        key: "recoverbufpages",
        field: "recoverbufpages",
        label: "recoverbufpages()",
        explain: "free pages of clean buffers before the second try, so the pageout daemon makes its own memory",
        commit: "4ecf7cc9c0",
        values: &["off", "on"],
    },
    Mechanism {
        key: "interrupt",
        field: "interruptRetry",
        label: "interrupt reserve",
        explain: "the second try may take the last 2 pages (VM_ALLOC_INTERRUPT): slack, not a cure",
        commit: "4ecf7cc9c0",
        values: &["off", "on"],
    },
    Mechanism {
        key: "timedwait",
        field: "timedVmWait",
        label: "timed vm_wait",
        explain: "bio_page_alloc sleeps at most 5 s (1/20 s after a severe success; 1 s and 1/20 s + 1 tick from fix-2010) and retries, instead of forever",
        commit: "4ecf7cc9c0",
        values: &["off", "on"],
    },
    Mechanism {
        key: "systhread",
        field: "systhreadBufdaemons",
        label: "buf daemons are system threads",
        explain: "bufdaemon and bufdaemon_hw allocate with VM_ALLOC_SYSTEM, so flushing never waits on the pageout daemon",
        commit: "4ecf7cc9c0",
        values: &["off", "on"],
    },
    Mechanism {
        key: "bdexempt",
        field: "bdWaitExempt",
        label: "buf daemons skip bd_wait",
        explain: "the flushers are never throttled by bwillwrite",
        commit: "4ecf7cc9c0",
        values: &["off", "on"],
    },
    Mechanism {
        key: "hammerbwill",
        field: "hammerPageoutBwillwrite",
        label: "HAMMER bwillwrite on pageout",
        explain: "the pageout path is throttled too, so at least half the buffer cache stays clean and recoverable",
        commit: "df3016149e",
        values: &["off", "on"],
    },
    Mechanism {
        key: "usereserve",
        field: "hammerUseReserve",
        label: "HAMMER M_USE_RESERVE",
        explain: "HAMMER's backend kmallocs may use the system reserve, so buffer flushes complete",
        commit: "df3016149e",
        values: &["off", "on"],
    },
    Mechanism {
        key: "dirtylimit",
        field: "dirtyLimit",
        label: "dirty-buffer limit",
        explain: "bytes: at most half of hibufspace dirty; bytes+count: also at most nbuf/2 dirty buffers",
        commit: "868d24aff2, 70ac7d6c75",
        values: &["bytes", "bytes+count"],
    },
    Mechanism {
        key: "bdspeedup",
        field: "bdSpeedup",
        label: "bd_speedup() guard",
        explain: "any: wake flushers whenever dirty; inverted: only below lodirtybufspace (1 s polling); fixed",
        commit: "cd08334035, 70ac7d6c75",
        values: &["any", "inverted", "fixed"],
    },
    Mechanism {
        key: "vlocktimo",
        field: "vnodeLockTimeout",
        label: "vnode lock timeout",
        explain: "the pageout daemon gives up a vnode lock after hz/10 instead of waiting behind its holder forever",
        commit: "f043c4c79c",
        values: &["off", "on"],
    },
    Mechanism {
        key: "oomkill",
        field: "oomKill",
        label: "OOM kill (Dec 2008)",
        explain: "off: out of swap and short of memory, kill the largest process and the run ends; on: only when swap is full, free+cache below min and the inactive queue 4x the active, kill the biggest anonymous-memory process and go on",
        commit: "c84c24daf5, 20479584e1",
        values: &["off", "on"],
    },
    Mechanism {
        key: "allocwakeup",
        field: "allocWakeup",
        label: "daemon woken on every allocation",
        explain: "every page allocation wakes the pageout daemon below v_free_severe (not vm_paging_needed), and the daemon rescans every 1/10 s (1 s when swap is full) until its shortage is met",
        commit: "20479584e1",
        values: &["off", "on"],
    },
    Mechanism {
        key: "recycle",
        field: "activeRecycle",
        label: "active scan recycles (Dec 2008)",
        explain: "while short of free pages the active scan keeps deactivating, and caches clean pages at once, so with no swap the dirty ones pile up on the inactive queue",
        commit: "c84c24daf5, 20479584e1",
        values: &["off", "on"],
    },
    Mechanism {
        key: "relbufmin",
        field: "relbufMin",
        label: "buffer release frees at min",
        explain: "brelse/bqrelse give a clean buffer's pages back to the VM below v_free_min, not only below v_free_severe",
        commit: "55b50bd522",
        values: &["off", "on"],
    },
    Mechanism {
        key: "hammerbawrite",
        field: "hammerPageoutBawrite",
        label: "HAMMER bawrite on pageout",
        explain: "the pageout daemon's HAMMER write starts the I/O at once (bawrite) instead of leaving a dirty buffer (bdwrite)",
        commit: "55b50bd522",
        values: &["off", "on"],
    },
    Mechanism {
        key: "flushervm",
        field: "hammerFlusherVmcheck",
        label: "HAMMER flusher checks memory",
        explain: "the flusher finalizes per record as soon as memory is severe, so HAMMER's records do not pile up until its next pass",
        commit: "55b50bd522",
        values: &["off", "on"],
    },
    Mechanism {
        key: "emergpager",
        field: "emergencyPager",
        label: "emergency pageout daemon",
        explain: "a second daemon pages out anonymous memory only when the first has not got on for 2 s, skipping the vnodes it is stuck on",
        commit: "c3feb36a35",
        values: &["off", "on"],
    },
    // ---- what-ifs (kernel-2008.md §7): not in any DragonFly kernel; off in every dfly preset --
    Mechanism {
        key: "memalloc",
        field: "pfMemalloc",
        label: "what if: PF_MEMALLOC (Linux)",
        explain: "what if the pageout daemon could take free pages down to the last one, the whole reserve below v_free_reserved, as Linux's kswapd may (ALLOC_NO_WATERMARKS), not just the 2-page interrupt reserve; DragonFly never did this",
        commit: "what-if: Linux mm/page_alloc.c",
        values: &["off", "on"],
    },
    Mechanism {
        key: "mempool",
        field: "mempool",
        label: "what if: buffer-page mempool (Linux)",
        explain: "what if allocbuf drew from a pool of pages set aside at boot (16 = MAXBSIZE/PAGE_SIZE pages, 32, 64) when the allocator says no, the pool refilled as buffer I/O completes, waiting at most 5 s for it instead of in vm_wait, like Linux's mempool_alloc; DragonFly never did this",
        commit: "what-if: Linux mm/mempool.c",
        values: &["off", "16", "32", "64"],
    },
    Mechanism {
        key: "flusher",
        field: "flusher",
        label: "what if: a flusher writes, not the daemon (Linux)",
        explain: "what if the pageout daemon never wrote file pages itself: it marks a dirty file page, hands it to a flush thread and moves on, as Linux reclaim wakes the flusher threads; DragonFly never did this",
        commit: "what-if: Linux mm/vmscan.c",
        values: &["off", "on"],
    },
    Mechanism {
        key: "pageprocwait",
        field: "pageprocwait",
        label: "what if: pageprocwait (FreeBSD)",
        explain: "what if the pageout daemon's vm_wait slept one tick and retried (\"pageprocwait\"), as FreeBSD's vm_wait_doms does, instead of sleeping in VMWait until 34 pages are free; DragonFly never did this",
        commit: "what-if: FreeBSD sys/vm/vm_page.c",
        values: &["off", "on"],
    },
    Mechanism {
        key: "laundry",
        field: "laundry",
        label: "what if: a laundry thread (FreeBSD)",
        explain: "what if a laundry thread of the pageout daemon (with its VM_ALLOC_SYSTEM) wrote the dirty file pages and the daemon itself only freed and cached clean ones, as in FreeBSD 12; DragonFly never did this",
        commit: "what-if: FreeBSD sys/vm/vm_pageout.c",
        values: &["off", "on"],
    },
];

fn onoff(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

impl Policy {
    /// The value of a mechanism by link key, as its link value (`on`, `fix-0701`, ...).
    pub fn get(&self, key: &str) -> Option<&'static str> {
        Some(match key {
            "bio" => match self.bio {
                BioVariant::Pre0630 => "pre-0630",
                BioVariant::Fix0701 => "fix-0701",
                BioVariant::Fix0708 => "fix-0708",
                BioVariant::Fix2010 => "fix-2010",
                BioVariant::Fix2011 => "fix-2011",
                BioVariant::Fix2012 => "fix-2012",
            },
            "recoverbufpages" => onoff(self.recoverbufpages),
            "interrupt" => onoff(self.interrupt_retry),
            "timedwait" => onoff(self.timed_vm_wait),
            "systhread" => onoff(self.systhread_bufdaemons),
            "bdexempt" => onoff(self.bd_wait_exempt),
            "hammerbwill" => onoff(self.hammer_pageout_bwillwrite),
            "usereserve" => onoff(self.hammer_use_reserve),
            "dirtylimit" => match self.dirty_limit {
                DirtyLimit::Bytes0628 => "bytes",
                DirtyLimit::BytesCount0707 => "bytes+count",
            },
            "bdspeedup" => match self.bd_speedup {
                BdSpeedup::Any0628 => "any",
                BdSpeedup::Inverted0630 => "inverted",
                BdSpeedup::Fixed0707 => "fixed",
            },
            "vlocktimo" => onoff(self.vnode_lock_timeout),
            "oomkill" => onoff(self.oom_kill),
            "allocwakeup" => onoff(self.alloc_wakeup),
            "recycle" => onoff(self.active_recycle),
            "relbufmin" => onoff(self.relbuf_min),
            "hammerbawrite" => onoff(self.hammer_pageout_bawrite),
            "flushervm" => onoff(self.hammer_flusher_vmcheck),
            "emergpager" => onoff(self.emergency_pager),
            "memalloc" => onoff(self.pf_memalloc),
            "mempool" => match self.mempool {
                Mempool::Off => "off",
                Mempool::P16 => "16",
                Mempool::P32 => "32",
                Mempool::P64 => "64",
            },
            "flusher" => onoff(self.flusher),
            "pageprocwait" => onoff(self.pageprocwait),
            "laundry" => onoff(self.laundry),
            _ => return None,
        })
    }
}

impl PolicyOverrides {
    /// The override of a mechanism by link key, as its link value; `None` when not overridden
    /// (or the key is unknown).
    pub fn get(&self, key: &str) -> Option<&'static str> {
        let set = match key {
            "bio" => self.bio.is_some(),
            "recoverbufpages" => self.recoverbufpages.is_some(),
            "interrupt" => self.interrupt_retry.is_some(),
            "timedwait" => self.timed_vm_wait.is_some(),
            "systhread" => self.systhread_bufdaemons.is_some(),
            "bdexempt" => self.bd_wait_exempt.is_some(),
            "hammerbwill" => self.hammer_pageout_bwillwrite.is_some(),
            "usereserve" => self.hammer_use_reserve.is_some(),
            "dirtylimit" => self.dirty_limit.is_some(),
            "bdspeedup" => self.bd_speedup.is_some(),
            "vlocktimo" => self.vnode_lock_timeout.is_some(),
            "oomkill" => self.oom_kill.is_some(),
            "allocwakeup" => self.alloc_wakeup.is_some(),
            "recycle" => self.active_recycle.is_some(),
            "relbufmin" => self.relbuf_min.is_some(),
            "hammerbawrite" => self.hammer_pageout_bawrite.is_some(),
            "flushervm" => self.hammer_flusher_vmcheck.is_some(),
            "emergpager" => self.emergency_pager.is_some(),
            "memalloc" => self.pf_memalloc.is_some(),
            "mempool" => self.mempool.is_some(),
            "flusher" => self.flusher.is_some(),
            "pageprocwait" => self.pageprocwait.is_some(),
            "laundry" => self.laundry.is_some(),
            _ => false,
        };
        if set {
            self.apply(KernelPreset::Dfly20080630.policy()).get(key)
        } else {
            None
        }
    }

    /// Sets a mechanism by link key from its link value. The error says what is allowed.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let m = MECHANISMS
            .iter()
            .find(|m| m.key == key)
            .ok_or_else(|| format!("unknown mechanism {key:?}"))?;
        if !m.values.contains(&value) {
            return Err(m.values.join(" | "));
        }
        let on = value == "on";
        match key {
            "bio" => {
                self.bio = Some(match value {
                    "pre-0630" => BioVariant::Pre0630,
                    "fix-0701" => BioVariant::Fix0701,
                    "fix-0708" => BioVariant::Fix0708,
                    "fix-2010" => BioVariant::Fix2010,
                    "fix-2011" => BioVariant::Fix2011,
                    _ => BioVariant::Fix2012,
                })
            }
            "recoverbufpages" => self.recoverbufpages = Some(on),
            "interrupt" => self.interrupt_retry = Some(on),
            "timedwait" => self.timed_vm_wait = Some(on),
            "systhread" => self.systhread_bufdaemons = Some(on),
            "bdexempt" => self.bd_wait_exempt = Some(on),
            "hammerbwill" => self.hammer_pageout_bwillwrite = Some(on),
            "usereserve" => self.hammer_use_reserve = Some(on),
            "dirtylimit" => {
                self.dirty_limit = Some(if value == "bytes" {
                    DirtyLimit::Bytes0628
                } else {
                    DirtyLimit::BytesCount0707
                })
            }
            "bdspeedup" => {
                self.bd_speedup = Some(match value {
                    "any" => BdSpeedup::Any0628,
                    "inverted" => BdSpeedup::Inverted0630,
                    _ => BdSpeedup::Fixed0707,
                })
            }
            "vlocktimo" => self.vnode_lock_timeout = Some(on),
            "oomkill" => self.oom_kill = Some(on),
            "allocwakeup" => self.alloc_wakeup = Some(on),
            "recycle" => self.active_recycle = Some(on),
            "relbufmin" => self.relbuf_min = Some(on),
            "hammerbawrite" => self.hammer_pageout_bawrite = Some(on),
            "flushervm" => self.hammer_flusher_vmcheck = Some(on),
            "emergpager" => self.emergency_pager = Some(on),
            "memalloc" => self.pf_memalloc = Some(on),
            "mempool" => {
                self.mempool = Some(match value {
                    "16" => Mempool::P16,
                    "32" => Mempool::P32,
                    "64" => Mempool::P64,
                    _ => Mempool::Off,
                })
            }
            "flusher" => self.flusher = Some(on),
            "pageprocwait" => self.pageprocwait = Some(on),
            _ => self.laundry = Some(on),
        }
        Ok(())
    }

    /// Drops overrides that equal the preset's value (the canonical form).
    pub fn normalized(&self, preset: KernelPreset) -> PolicyOverrides {
        let base = preset.policy();
        let p = self.apply(base);
        let mut out = PolicyOverrides::default();
        for m in MECHANISMS {
            let v = p.get(m.key).unwrap_or_default();
            if base.get(m.key) != Some(v) {
                // every value produced by get() is accepted by set()
                let _ = out.set(m.key, v);
            }
        }
        out
    }
}

#[cfg(test)]
mod mechanism_tests {
    use super::*;

    #[test]
    fn every_mechanism_value_round_trips_through_set_and_get() {
        for m in MECHANISMS {
            for v in m.values {
                let mut o = PolicyOverrides::default();
                o.set(m.key, v).unwrap();
                assert_eq!(o.get(m.key), Some(*v), "{}", m.key);
                assert_eq!(
                    o.apply(KernelPreset::Dfly20080630.policy()).get(m.key),
                    Some(*v)
                );
            }
        }
    }

    #[test]
    fn a_bad_value_names_what_is_allowed() {
        let mut o = PolicyOverrides::default();
        assert_eq!(
            o.set("recoverbufpages", "maybe"),
            Err("off | on".to_string())
        );
        assert!(o.set("nosuch", "on").is_err());
    }

    #[test]
    fn normalizing_drops_overrides_equal_to_the_preset() {
        let mut o = PolicyOverrides::default();
        o.set("recoverbufpages", "on").unwrap();
        o.set("systhread", "off").unwrap();
        let n = o.normalized(KernelPreset::Dfly20080701);
        assert_eq!(n.recoverbufpages, None);
        assert_eq!(n.systhread_bufdaemons, Some(false));
    }
}
