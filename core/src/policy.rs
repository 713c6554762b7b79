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
}

impl Policy {
    /// Whether a `bio_page_alloc()` sub-mechanism is switched on without `bio_page_alloc()`.
    pub fn conflicts(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        if self.bio == BioVariant::Pre0630 {
            if self.recoverbufpages {
                out.push(("recoverbufpages", "recoverbufpages=on needs bio=fix-0701 or fix-0708"));
            }
            if self.interrupt_retry {
                out.push(("interrupt", "interrupt=on needs bio=fix-0701 or fix-0708"));
            }
            if self.timed_vm_wait {
                out.push(("timedwait", "timedwait=on needs bio=fix-0701 or fix-0708"));
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
}

impl KernelPreset {
    /// All presets, oldest first.
    pub const ALL: [KernelPreset; 4] = [
        KernelPreset::Dfly20080629,
        KernelPreset::Dfly20080630,
        KernelPreset::Dfly20080701,
        KernelPreset::Dfly20080708,
    ];

    /// The name used in links and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            KernelPreset::Dfly20080629 => "dfly-2008-06-29",
            KernelPreset::Dfly20080630 => "dfly-2008-06-30",
            KernelPreset::Dfly20080701 => "dfly-2008-07-01",
            KernelPreset::Dfly20080708 => "dfly-2008-07-08",
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
        };
        match self {
            KernelPreset::Dfly20080629 => pre,
            KernelPreset::Dfly20080630 => Policy {
                bd_speedup: BdSpeedup::Inverted0630,
                vnode_lock_timeout: true,
                ..pre
            },
            KernelPreset::Dfly20080701 => fix,
            KernelPreset::Dfly20080708 => Policy {
                bio: BioVariant::Fix0708,
                dirty_limit: DirtyLimit::BytesCount0707,
                bd_speedup: BdSpeedup::Fixed0707,
                ..fix
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
}

impl PolicyOverrides {
    /// The preset's policy with these overrides applied.
    pub fn apply(&self, base: Policy) -> Policy {
        Policy {
            bio: self.bio.unwrap_or(base.bio),
            recoverbufpages: self.recoverbufpages.unwrap_or(base.recoverbufpages),
            interrupt_retry: self.interrupt_retry.unwrap_or(base.interrupt_retry),
            timed_vm_wait: self.timed_vm_wait.unwrap_or(base.timed_vm_wait),
            systhread_bufdaemons: self.systhread_bufdaemons.unwrap_or(base.systhread_bufdaemons),
            bd_wait_exempt: self.bd_wait_exempt.unwrap_or(base.bd_wait_exempt),
            hammer_pageout_bwillwrite: self
                .hammer_pageout_bwillwrite
                .unwrap_or(base.hammer_pageout_bwillwrite),
            hammer_use_reserve: self.hammer_use_reserve.unwrap_or(base.hammer_use_reserve),
            dirty_limit: self.dirty_limit.unwrap_or(base.dirty_limit),
            bd_speedup: self.bd_speedup.unwrap_or(base.bd_speedup),
            vnode_lock_timeout: self.vnode_lock_timeout.unwrap_or(base.vnode_lock_timeout),
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
        let o = PolicyOverrides { recoverbufpages: Some(false), ..Default::default() };
        let base = KernelPreset::Dfly20080701.policy();
        let p = o.apply(base);
        assert!(!p.recoverbufpages);
        assert_eq!(Policy { recoverbufpages: true, ..p }, base);
    }

    #[test]
    fn recoverbufpages_without_bio_page_alloc_is_a_conflict() {
        let o = PolicyOverrides { recoverbufpages: Some(true), ..Default::default() };
        let p = o.apply(KernelPreset::Dfly20080630.policy());
        assert_eq!(p.conflicts()[0].0, "recoverbufpages");
    }

    #[test]
    fn preset_names_round_trip() {
        for p in KernelPreset::ALL {
            assert_eq!(KernelPreset::from_name(p.name()), Some(p));
        }
        assert_eq!(KernelPreset::from_name("dfly-2009"), None);
    }
}
