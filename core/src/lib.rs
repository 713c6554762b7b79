//! pageout-core: a deterministic simulation of the DragonFly BSD low-memory path of June/July
//! 2008 — the pageout daemon, the buffer cache, HAMMER and UFS write paths — in which the
//! "HAMMER lockup" emerges from the mechanism and the July 1 2008 fix cures it.
//!
//! The whole surface is [`Simulation::new`] and [`Simulation::advance`]; the command line, the
//! wasm facade and the tests all drive the same code.

pub mod account;
mod consult;
pub mod detect;
pub mod events;
pub mod explore;
pub mod export;
pub mod fingerprint;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod trace;

mod buf;
mod digest;
mod disk;
mod fs;
mod intervene;
mod kernel;
mod kmalloc;
mod list;
mod outcome;
mod pageout;
mod sched;
mod swap;
mod vm;
pub mod warm;
mod workload;

#[cfg(test)]
mod tests;

pub use detect::{Outcome, OutcomeKind, WaitEdge, WaitGraph, WaitNode};
pub use policy::{BdSpeedup, BioVariant, DirtyLimit, KernelPreset, Policy, PolicyOverrides};
pub use scenario::{
    FieldError, FsKind, HammerMem, Machine, Scenario, ScenarioErrors, ScenarioPreset, Workload, HZ,
};
pub use trace::{Col, LogLine, Samples};

use serde::{Deserialize, Serialize};

/// The engine version (the crate version).
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The console strings of kernel-2008.md §9.8.
pub mod msg {
    /// An interrupt-reserve allocation succeeded in `bio_page_alloc`.
    pub const EMERG: &str = "bio_page_alloc: WARNING emergency page allocation";
    /// It failed; the caller sleeps up to 5 s and retries.
    pub const EMERG_FAIL: &str = "bio_page_alloc: WARNING emergency page allocation failed";
    /// 59a5a4e861 (2010-10) on: the failure message (`++lowmempgfails`, `vm_wait(hz)`).
    pub const EXHAUSTED: &str = "bio_page_alloc: Memory exhausted during bufcache page allocation";
    /// 20479584e1 (Dec 2008): the pageout daemon's scan with swap full and free+cache below min.
    pub const LOW_MEMORY_SWAP: &str = "Warning: system low on memory+swap!";
    /// 55b50bd522 (2012-01): three tries failed; followed by the thread's name (`td_comm`),
    /// at most once a second (`krateprintf`).
    pub const EXHAUSTED_2012: &str =
        "Warning: bio_page_alloc: memory exhausted during bufcache page allocation from ";
    /// c3feb36a35 (2017-08): the emergency pageout daemon takes over.
    pub const EMERG_PAGER_RUNNING: &str = "Emergency pager running";
    /// The primary pageout daemon got on again.
    pub const EMERG_PAGER_FINISHED: &str = "Emergency pager finished";
}

/// Where a run stands after a call to `advance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Current simulated tick.
    pub tick: u64,
    /// True once the run has an outcome (hang detected or duration reached).
    pub finished: bool,
    /// The outcome, once finished.
    pub outcome: Option<OutcomeKind>,
}

/// What a kernel thread is doing now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadInfo {
    /// `pagedaemon`, `bufdaemon`, `bufdaemon_hw`, `writer0`, `mmap0`, `hog0`.
    pub name: String,
    /// `running`, `runnable`, `sleeping` or `exited`.
    pub state: String,
    /// The sleep message (`VMWait`, `psleep`, ...), empty when not sleeping.
    pub wmesg: String,
    /// Whether the current sleep has a timeout.
    pub timed: bool,
    /// Tick since which it is in this state.
    pub since: u64,
    /// The kernel function whose wait the current sleep is (`bio_page_alloc`, `vm_fault`, ...),
    /// empty when the wait message says it all or the thread is not sleeping.
    pub path: String,
    /// What the thread has done so far: pages taken per band, pageouts, sleeps.
    pub account: account::ThreadAccount,
}

/// What a kernel thread was doing at a moment of the run (recorded at each sample, and at the
/// end of each tick with a key moment).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadState {
    /// Thread name.
    pub name: String,
    /// `running`, `runnable`, `sleeping` or `exited`.
    pub state: String,
    /// The sleep message, empty when not sleeping.
    pub wmesg: String,
    /// Whether the sleep has a timeout.
    pub timed: bool,
    /// Tick since which it is in this state.
    pub since: u64,
    /// The kernel function whose wait the sleep is, or empty.
    pub path: String,
    /// The tick whose state this is: the one asked for when the run recorded that moment (a
    /// sample, or a tick with a key moment), else the last recorded before it.
    pub at: u64,
}

/// The boot-time thresholds (kernel-2008.md §2.3, §4.2), in pages and bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thresholds {
    /// Managed pages (`v_page_count`).
    pub v_page_count: u32,
    /// `v_interrupt_free_min` (2).
    pub v_interrupt_free_min: u32,
    /// `v_pageout_free_min` (34).
    pub v_pageout_free_min: u32,
    /// `v_free_reserved`.
    pub v_free_reserved: u32,
    /// `v_free_severe`.
    pub v_free_severe: u32,
    /// `v_free_min`.
    pub v_free_min: u32,
    /// `v_free_target`.
    pub v_free_target: u32,
    /// `v_cache_min`.
    pub v_cache_min: u32,
    /// `v_inactive_target`.
    pub v_inactive_target: u32,
    /// Pageout cluster size (`vm_pageout_page_count`).
    pub cluster: u32,
    /// Buffer headers.
    pub nbuf: u32,
    /// `hibufspace` (bytes).
    pub hibufspace: u64,
    /// `lobufspace` (bytes).
    pub lobufspace: u64,
    /// `hidirtybufspace` (bytes).
    pub hidirtybufspace: u64,
    /// `lodirtybufspace` (bytes).
    pub lodirtybufspace: u64,
}

/// Counts for a run summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Successful emergency (interrupt-reserve) allocations.
    pub emerg_allocs: u64,
    /// Failed emergency allocations.
    pub emerg_fails: u64,
    /// `recoverbufcalls`.
    pub recoverbufcalls: u64,
    /// Pages `recoverbufpages` freed.
    pub recovered_pages: u64,
    /// Lowest free+cache seen (pages).
    pub min_free_cache: u32,
    /// Highest `dirtybufspace` seen (bytes).
    pub peak_dirtybufspace: u64,
    /// Engine events processed (thread resumptions and interrupts).
    pub events: u64,
    /// Pages freed or cached.
    pub pages_freed: u64,
    /// Disk I/Os completed.
    pub io_completed: u64,
    /// User data written, KiB.
    pub user_kb: u64,
    /// Page faults satisfied.
    pub faults: u64,
    /// Clusters the pageout daemon handed to the filesystem.
    pub pageouts: u64,
    /// Vnode locks the pageout daemon gave up on (LK_TIMELOCK).
    pub pageout_lock_miss: u64,
    /// `vfs.lowmempgallocs` (59a5a4e861 on): interrupt-reserve successes with memory still
    /// severe; 0 with the earlier `bio_page_alloc` variants, which have no such counter.
    #[serde(default)]
    pub lowmempgallocs: u64,
    /// `vfs.lowmempgfails` (59a5a4e861 on): interrupt-reserve failures.
    #[serde(default)]
    pub lowmempgfails: u64,
    /// Processes the pageout daemon killed and the machine went on (`oomkill=on`).
    #[serde(default)]
    pub oom_kills: u64,
}

/// A run of a scenario: `new`, then `advance` until `finished`.
#[derive(Debug)]
pub struct Simulation {
    scenario: Scenario,
    m: kernel::Machine,
}

impl Simulation {
    /// Builds the machine of a scenario and boots it (tick 0). Fails with every problem found,
    /// and when the scenario asks for more work than the budget ([`Scenario::check_budget`]).
    pub fn new(scenario: &Scenario) -> Result<Simulation, ScenarioErrors> {
        scenario.validate()?;
        scenario.check_budget()?;
        Ok(Self::boot(scenario))
    }

    /// Like [`Simulation::new`], without the work budget (a run may then take minutes).
    pub fn new_unbudgeted(scenario: &Scenario) -> Result<Simulation, ScenarioErrors> {
        scenario.validate()?;
        Ok(Self::boot(scenario))
    }

    fn boot(scenario: &Scenario) -> Simulation {
        Simulation {
            scenario: scenario.clone(),
            m: kernel::Machine::boot(scenario),
        }
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Current tick.
    pub fn tick(&self) -> u64 {
        self.m.tick()
    }

    /// Where the run stands.
    pub fn status(&self) -> Status {
        Status {
            tick: self.tick(),
            finished: self.m.outcome.is_some(),
            outcome: self.m.outcome.as_ref().map(|o| o.kind),
        }
    }

    /// Runs `ticks` more ticks, or until the outcome is decided.
    pub fn advance(&mut self, ticks: u64) -> Status {
        self.run_until(self.tick().saturating_add(ticks))
    }

    /// Runs until `tick`, or until the outcome is decided.
    pub fn run_until(&mut self, tick: u64) -> Status {
        self.m.run_until(tick);
        self.status()
    }

    /// Runs to the outcome.
    pub fn run(&mut self) -> Status {
        self.run_until(u64::MAX)
    }

    /// The outcome, once decided.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.m.outcome.as_ref()
    }

    /// Sampled counters.
    pub fn samples(&self) -> &Samples {
        &self.m.samples
    }

    /// Console lines so far: every line the kernel printed, repeats and all.
    pub fn log(&self) -> Vec<LogLine> {
        self.m.k.borrow().console.lines().to_vec()
    }

    /// Console lines from index `from` on.
    pub fn log_since(&self, from: usize) -> Vec<LogLine> {
        let k = self.m.k.borrow();
        k.console
            .lines()
            .get(from..)
            .map(<[LogLine]>::to_vec)
            .unwrap_or_default()
    }

    /// Key moments so far, in the order they were recorded (see [`events::EventKind`]); the
    /// last, a hang or a starvation, is recorded when it is detected, with the tick it began.
    pub fn events(&self) -> Vec<events::Event> {
        self.m.k.borrow().events.list().to_vec()
    }

    /// Key moments from index `from` on.
    pub fn events_since(&self, from: usize) -> Vec<events::Event> {
        let k = self.m.k.borrow();
        k.events
            .list()
            .get(from..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    /// Number of console lines so far.
    pub fn log_len(&self) -> usize {
        self.m.k.borrow().console.lines().len()
    }

    /// What syslogd has written to `/var/log/messages` by now: the console's lines with repeats
    /// folded (`last message repeated N times`), each at the tick it was written. A later call
    /// only adds lines at the end.
    pub fn messages(&self) -> Vec<LogLine> {
        trace::syslog_messages(self.m.k.borrow().console.lines(), self.tick())
    }

    /// Every kernel thread and what it is doing.
    pub fn threads(&self) -> Vec<ThreadInfo> {
        self.m.k.borrow().thread_infos()
    }

    /// What the warm start put where (all zero when the scenario starts cold).
    pub fn warm_start(&self) -> warm::WarmStart {
        self.m.k.borrow().warm
    }

    /// What every thread was doing at `tick`, as the run recorded it: at the end of a tick with a
    /// key moment, else at the last sample at or before `tick` (every 0.1 s). A lookup into
    /// what the run recorded: no simulation. Each state's `at` says which moment it shows.
    /// Empty before the first sample.
    pub fn threads_at(&self, tick: u64) -> Vec<ThreadState> {
        let ticks = self.m.samples.col(Col::Tick);
        let i = ticks.partition_point(|&t| u64::from(t) <= tick);
        let moments = &self.m.moment_threads;
        let j = moments.ticks.partition_point(|&t| t <= tick);
        // a moment's record shows the end of its tick, a sample the start of its own
        let (recorded, at) = match (i, j) {
            (0, 0) => return Vec::new(),
            (_, j) if j > 0 && (i == 0 || moments.ticks[j - 1] >= u64::from(ticks[i - 1])) => {
                (moments.threads.at(j - 1), moments.ticks[j - 1])
            }
            (i, _) => (self.m.thread_samples.at(i - 1), u64::from(ticks[i - 1])),
        };
        let k = self.m.k.borrow();
        recorded
            .into_iter()
            .zip(&k.sched.threads)
            .map(|(a, th)| ThreadState {
                name: th.name.clone(),
                state: a.state.to_string(),
                wmesg: a.wmesg.to_string(),
                timed: a.timed,
                since: a.since,
                path: a.path.to_string(),
                at,
            })
            .collect()
    }

    /// Boot-time thresholds.
    pub fn thresholds(&self) -> Thresholds {
        self.m.k.borrow().thresholds()
    }

    /// Summary counts.
    pub fn stats(&self) -> Stats {
        self.m.k.borrow().public_stats()
    }

    /// The mechanisms (link keys, in `MECHANISMS` order) the kernel has read so far. A run that
    /// never read a mechanism is the same run, event for event, with any other value of it
    /// (`explore::twins`).
    pub fn consulted(&self) -> Vec<&'static str> {
        self.m.k.borrow().policy.consulted()
    }

    /// A hash of every sample and console line so far (same on every platform).
    pub fn trace_hash(&self) -> u64 {
        let mut h = trace::Fnv::default();
        let s = &self.m.samples;
        for i in 0..s.len() {
            for v in s.row(i) {
                h.write(&v.to_le_bytes());
            }
        }
        for l in self.m.k.borrow().console.lines() {
            h.write(&l.tick.to_le_bytes());
            h.write(l.text.as_bytes());
        }
        h.0
    }

    /// Bytes of engine memory (page, buffer and file tables).
    pub fn memory_bytes(&self) -> usize {
        self.m.k.borrow().memory_bytes()
    }

    /// Checks the invariants of kernel-2008.md §9.9 now, and reports the first violation seen
    /// by per-event checking if that was on.
    pub fn check_invariants(&self) -> Result<(), String> {
        if let Some(e) = &self.m.invariant_error {
            return Err(e.clone());
        }
        self.m.k.borrow().check_invariants()
    }

    /// Checks the invariants after every thread step (slow; for tests).
    pub fn set_check_invariants(&mut self, on: bool) {
        self.m.set_check(on);
    }
}

impl Simulation {
    /// Internal state for debugging the engine.
    #[doc(hidden)]
    pub fn debug_dump(&self) -> String {
        self.m.k.borrow().debug_dump()
    }
}
