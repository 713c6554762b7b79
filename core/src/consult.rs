//! The kernel's [`Policy`] as the kernel reads it: one accessor per mechanism, each of which
//! notes that the run consulted that mechanism.
//!
//! A run is a deterministic function of its scenario, and the only way a mechanism's value can
//! change a run is by being read. So a run that never consulted a mechanism would have been the
//! same run, event for event, with any other value of it. The switch grid uses that to simulate
//! each distinct run once (`explore::grid`): of two runs of one seed that differ only in switches
//! the first never consulted, the second is the first.
//!
//! Every read of the policy during a run goes through here: the policy itself is private.

use std::cell::Cell;

use crate::policy::{BdSpeedup, BioVariant, DirtyLimit, Mempool, Policy, MECHANISMS};

/// A run's policy and the mechanisms it has consulted so far.
#[derive(Debug)]
pub struct KernelPolicy {
    policy: Policy,
    /// Bit `i`: `MECHANISMS[i]` has been read.
    consulted: Cell<u32>,
}

macro_rules! accessors {
    ($($bit:literal $key:literal $field:ident: $ty:ty),* $(,)?) => {
        /// The link key of each mechanism bit, in `MECHANISMS` order.
        const KEYS: &[&str] = &[$($key),*];

        impl KernelPolicy {
            $(
                #[doc = concat!("The value of `", $key, "`, noting it consulted.")]
                #[inline]
                pub fn $field(&self) -> $ty {
                    // a read on every page allocation: test first, store once per run
                    let c = self.consulted.get();
                    if c & 1 << $bit == 0 {
                        self.consulted.set(c | 1 << $bit);
                    }
                    self.policy.$field
                }
            )*
        }
    };
}

accessors! {
    0 "bio" bio: BioVariant,
    1 "recoverbufpages" recoverbufpages: bool,
    2 "interrupt" interrupt_retry: bool,
    3 "timedwait" timed_vm_wait: bool,
    4 "systhread" systhread_bufdaemons: bool,
    5 "bdexempt" bd_wait_exempt: bool,
    6 "hammerbwill" hammer_pageout_bwillwrite: bool,
    7 "usereserve" hammer_use_reserve: bool,
    8 "dirtylimit" dirty_limit: DirtyLimit,
    9 "bdspeedup" bd_speedup: BdSpeedup,
    10 "vlocktimo" vnode_lock_timeout: bool,
    11 "oomkill" oom_kill: bool,
    12 "allocwakeup" alloc_wakeup: bool,
    13 "recycle" active_recycle: bool,
    14 "relbufmin" relbuf_min: bool,
    15 "hammerbawrite" hammer_pageout_bawrite: bool,
    16 "flushervm" hammer_flusher_vmcheck: bool,
    17 "emergpager" emergency_pager: bool,
    18 "memalloc" pf_memalloc: bool,
    19 "mempool" mempool: Mempool,
    20 "flusher" flusher: bool,
    21 "pageprocwait" pageprocwait: bool,
    22 "laundry" laundry: bool,
}

impl KernelPolicy {
    pub fn new(policy: Policy) -> KernelPolicy {
        KernelPolicy {
            policy,
            consulted: Cell::new(0),
        }
    }

    /// The link keys of the mechanisms read so far, in `MECHANISMS` order.
    pub fn consulted(&self) -> Vec<&'static str> {
        let bits = self.consulted.get();
        KEYS.iter()
            .enumerate()
            .filter(|&(i, _)| bits & 1 << i != 0)
            .map(|(_, k)| *k)
            .collect()
    }
}

// Every mechanism has its accessor, at its index.
const _: () = assert!(KEYS.len() == MECHANISMS.len());

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::KernelPreset;

    #[test]
    fn the_bits_are_the_mechanisms_in_order() {
        let keys: Vec<&str> = MECHANISMS.iter().map(|m| m.key).collect();
        assert_eq!(KEYS, keys.as_slice());
    }

    #[test]
    fn only_what_is_read_is_consulted() {
        let p = KernelPolicy::new(KernelPreset::Dfly20080701.policy());
        assert!(p.consulted().is_empty());
        assert!(p.recoverbufpages());
        assert_eq!(p.bd_speedup(), BdSpeedup::Inverted0630);
        assert!(p.recoverbufpages());
        assert_eq!(p.consulted(), ["recoverbufpages", "bdspeedup"]);
    }
}
