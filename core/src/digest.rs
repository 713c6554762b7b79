//! The state digest: a hash of a run's dynamic state at this moment, so that two runs stepped
//! side by side can be compared tick by tick (`explore::diverge` finds where they part).
//!
//! It covers what the kernel is doing, not how it was configured: the page queues and the
//! paging requests, the buffer cache's space and counts, the disk's queue, HAMMER's record zones,
//! swap, every thread's state and wait (state, wmesg, timeout, kernel function, since when), the
//! number of console lines and key moments, and the running counters of the summary. It leaves
//! out the scenario — the policy, the limits, the seed — so that two scenarios that differ only in
//! a switch that never fires have equal digests at every tick, and differ the moment the switch
//! first changes what the kernel does. The PRNG's state is left out too: a different random
//! choice shows as soon as it changes something.
//!
//! The digest reads counters, never the page or buffer tables, so it costs the same on any
//! machine size; a difference confined to *which* pages sit on a queue shows when it reaches a
//! count. Like the trace hash, it is FNV-1a over little-endian integers: the same on every
//! platform.

use crate::kernel::Kernel;
use crate::sched::NOT_STARTED;
use crate::trace::Fnv;
use crate::Simulation;

/// Calls `f` with each named counter of the dynamic state, in a fixed order.
fn counters(k: &Kernel, f: &mut impl FnMut(&'static str, u64)) {
    let vm = &k.vm;
    let queues = [
        "free pages",
        "cache pages",
        "inactive pages",
        "active pages",
        "wired pages",
        "pages in transit",
    ];
    for (name, &n) in queues.iter().zip(&vm.count) {
        f(name, n.into());
    }
    f("vm_pages_needed", vm.vm_pages_needed.into());
    f("vm_pageout_pages_needed", vm.vm_pageout_pages_needed.into());
    // a deficit is never below zero for long, but it may be: keep its bits
    f("vm_pageout_deficit", vm.vm_pageout_deficit as u64);
    let bc = &k.bc;
    f("bufspace", bc.bufspace);
    f("dirtybufspace", bc.dirtybufspace);
    f("dirtybufspacehw", bc.dirtybufspacehw);
    f("dirtybufcount", bc.dirtybufcount.into());
    f("runningbufspace", bc.runningbufspace);
    f("runningbufcount", bc.runningbufcount.into());
    f("needsbuffer", bc.needsbuffer.into());
    f("bd_request", bc.bd_request[0].into());
    f("bd_request_hw", bc.bd_request[1].into());
    for &n in &bc.qcount {
        f("buffers on a queue", n.into());
    }
    f("disk requests queued", k.disk.queue.len() as u64);
    f("disk busy", k.disk.busy.into());
    f("HAMMER records in use", k.hammer.in_use.into());
    f("HAMMER records finished", k.hammer.finished.into());
    f("HAMMER zone refills", k.hammer.refills);
    f("swap pages used", k.swap.used.into());
    f("swap full", k.swap.full.into());
    f("pages written to swap", k.swap.pageouts);
    f("killed", k.oom_kill.is_some().into());
    let s = &k.stats;
    f("emergency allocations", s.emerg_allocs);
    f("emergency allocation failures", s.emerg_fails);
    f("recoverbufpages calls", s.recoverbufcalls);
    f("pages recovered", s.recovered_pages);
    f("pages freed", s.pages_freed);
    f("I/Os completed", s.io_completed);
    f("KiB written", s.user_kb);
    f("faults", s.faults);
    f("pageouts", s.pageouts);
    f("vnode locks given up", s.pageout_lock_miss);
    f("lowmempgallocs", s.lowmempgallocs);
    f("lowmempgfails", s.lowmempgfails);
    f("processes killed, the machine going on", s.oom_kills);
    f("thread steps and interrupts", k.sched.nevents);
    f("threads runnable", k.sched.runq.len() as u64);
    f("console lines", k.console.lines().len() as u64);
    f("key moments", k.events.list().len() as u64);
}

impl Simulation {
    /// A hash of the run's dynamic state now (see the `digest` module): equal for two runs
    /// whose kernels are doing the same thing, whatever their scenarios say.
    pub fn state_digest(&self) -> u64 {
        let k = self.m.k.borrow();
        let mut h = Fnv::default();
        counters(&k, &mut |_, v| h.write(&v.to_le_bytes()));
        // a thread a timed intervention starts later does not exist yet
        for t in k.sched.threads.iter().filter(|t| t.wmesg != NOT_STARTED) {
            let (wmesg, path, timed) = t.shown_wait();
            h.write(t.state.name().as_bytes());
            h.write(&[0, u8::from(timed)]);
            h.write(wmesg.as_bytes());
            h.write(&[0]);
            h.write(path.as_bytes());
            h.write(&t.since_us.to_le_bytes());
        }
        h.0
    }

    /// The counters the digest covers, by name, in a fixed order: what to show when two
    /// digests differ. (Thread states are in [`Simulation::threads`].)
    pub fn state_counters(&self) -> Vec<(&'static str, u64)> {
        let mut out = Vec::new();
        counters(&self.m.k.borrow(), &mut |name, v| out.push((name, v)));
        out
    }

    /// Number of key moments so far (what [`Simulation::events`] would return, without the copy).
    pub fn events_len(&self) -> usize {
        self.m.k.borrow().events.list().len()
    }
}

#[cfg(test)]
mod tests {
    use crate::{KernelPreset, Scenario, Simulation};

    #[test]
    fn the_digest_ignores_the_scenario_and_follows_the_state() {
        let a = Scenario::default();
        // a different kernel boots the same machine: equal digests at tick 0
        let b = Scenario {
            preset: KernelPreset::Dfly20080701,
            ..a.clone()
        };
        let (mut sa, sb) = (Simulation::new(&a).unwrap(), Simulation::new(&b).unwrap());
        assert_eq!(sa.state_digest(), sb.state_digest());
        assert_eq!(sa.state_counters(), sb.state_counters());
        // and the state moves on
        let boot = sa.state_digest();
        sa.advance(100);
        assert_ne!(sa.state_digest(), boot);
        // a different machine is a different state from boot on
        let big = Scenario {
            machine: crate::Machine {
                ram_mb: 128,
                ..a.machine
            },
            ..a
        };
        assert_ne!(
            Simulation::new(&big).unwrap().state_digest(),
            sb.state_digest()
        );
    }
}
