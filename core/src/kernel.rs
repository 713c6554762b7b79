//! The simulated machine: all kernel state in one struct, the boot sequence, and the event loop
//! that drives the kernel threads (see `sched.rs`).

use std::cell::RefCell;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::buf::daemon::buf_daemon;
use crate::buf::{BufCache, BufLimits, B_DELWRI, B_HEAVY, B_WRITEIO, LK_FREE};
use crate::consult::KernelPolicy;
use crate::detect::{Outcome, OutcomeKind};
use crate::disk::Disk;
use crate::events::{EventKind, Events};
use crate::fs::Vnode;
use crate::kmalloc::{hammer_flusher, SlabZones};
use crate::pageout::{vm_launder, vm_pageout};
use crate::sched::{Kc, Sched, TKind, TState, ThreadFuture, Tid, EV_ACT, EV_DISK, TICK_US};
use crate::trace::{Col, Console, MomentThreads, Samples, ThreadSamples, NCOLS, SAMPLE_EVERY};
use crate::vm::{
    Vm, VmThresholds, NONE, OBJ_KERNEL, PG_BUSY, PG_DIRTY, PG_VALID, PQ_ACTIVE, PQ_CACHE, PQ_FREE,
    PQ_HELD, PQ_INACTIVE, PQ_WIRED,
};
use crate::workload::{hog, mmap_writer, writer};
use crate::{Scenario, Stats, ThreadInfo, Thresholds};

/// splitmix64: the one seeded PRNG every random choice comes from.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }
}

/// All kernel state.
#[derive(Debug)]
pub struct Kernel {
    pub sched: Sched,
    pub vm: Vm,
    pub bc: BufCache,
    pub disk: Disk,
    pub vnodes: Vec<Vnode>,
    pub policy: KernelPolicy,
    pub rng: Rng,
    pub console: Console,
    /// HAMMER's in-memory record zones (kmalloc M_HAMMER).
    pub hammer: SlabZones,
    /// What the warm start put where.
    pub warm: crate::warm::WarmStart,
    /// The swap area.
    pub swap: crate::swap::Swap,
    /// The pageout daemon's last resort: (tick, the process it killed) — the run ends there.
    pub oom_kill: Option<(u64, String)>,
    /// Key moments of the run.
    pub events: Events,
    /// Each mmap writer's thread and the vnode it dirties.
    pub mmap_vps: Vec<(Tid, u16)>,
    /// The workload's rates now, and the interventions still to come.
    pub load: crate::workload::Load,
    /// Counters for the run summary (`events` is filled in from the scheduler when read).
    pub stats: Stats,
    pub pagedaemon: Tid,
    /// The rate limit of the 2012 `bio_page_alloc` warning (one a second).
    pub biokrate: crate::buf::Krate,
    /// `vm_pagedaemon_time` (c3feb36a35): the tick the pageout daemon last got on; the emergency
    /// pager takes over when it is 2 s old while paging is needed.
    pub vm_pagedaemon_time: u64,
    /// What-if (Linux mempool): the pages set aside for buffer-cache allocations, wired.
    pub mempool: Vec<u32>,
    /// What-if (flusher, laundry): dirty file pages the pageout daemon handed over, as
    /// (vnode, page index), oldest first.
    pub launder_q: std::collections::VecDeque<(u16, u32)>,
}

impl Kernel {
    /// The name of the running thread (empty at boot).
    pub fn cur_name(&self) -> &str {
        self.sched
            .threads
            .get(self.sched.cur)
            .map_or("", |t| t.name.as_str())
    }

    /// Records a key moment now, by the running thread.
    pub fn event(&mut self, kind: EventKind, why: String) {
        let tick = self.sched.tick();
        let who = self.cur_name().to_string();
        self.events.push(tick, kind, &who, why);
    }

    /// Records each threshold free + cache has newly fallen through since it was last above
    /// `v_free_target`.
    pub fn note_memory_level(&mut self) {
        let fc = self.vm.fc();
        let t = self.vm.t;
        let level = if fc <= t.v_interrupt_free_min {
            5
        } else if fc < t.v_free_reserved {
            4
        } else if fc < t.v_free_severe {
            3
        } else if fc < t.v_free_min {
            2
        } else {
            u8::from(fc < t.v_free_target)
        };
        while self.events.depth < level {
            self.events.depth += 1;
            let (kind, name, v) = match self.events.depth {
                1 => (EventKind::BelowTarget, "v_free_target", t.v_free_target),
                2 => (EventKind::BelowMin, "v_free_min", t.v_free_min),
                3 => (EventKind::BelowSevere, "v_free_severe", t.v_free_severe),
                4 => (
                    EventKind::BelowReserved,
                    "v_free_reserved",
                    t.v_free_reserved,
                ),
                _ => (EventKind::ReserveGone, "", t.v_interrupt_free_min),
            };
            let why = if name.is_empty() {
                format!("free+cache {fc} pages: only the interrupt reserve ({v} pages) is left")
            } else {
                format!("free+cache {fc} pages, below {name} ({v})")
            };
            let tick = self.sched.tick();
            self.events.push(tick, kind, "", why);
        }
    }

    /// `printf` to the console.
    pub fn printf(&mut self, text: &str) {
        let tick = self.sched.tick();
        self.console.print(tick, text);
    }

    /// Progress measure for hang detection.
    fn progress(&self) -> u64 {
        self.stats.pages_freed + self.stats.io_completed + self.stats.user_kb + self.stats.faults
    }
}

/// The smallest block the filesystem writes, in pages: HAMMER's 16 KB (its 64 KB blocks start
/// beyond 1 MB, on multiples of 64 KB), UFS's one block size.
fn min_block_pages(s: &Scenario) -> u32 {
    match s.fs {
        crate::FsKind::Hammer => crate::buf::hammer_blocksize_pages(0),
        crate::FsKind::Ufs => (s.ufs_block_kb / 4).max(1),
    }
}

/// Keeps the first invariant violation, saying after what (`after()`) it was seen.
fn note_violation(first: &mut Option<String>, kk: &Kernel, after: impl FnOnce() -> String) {
    if first.is_none() {
        if let Err(e) = kk.check_invariants() {
            *first = Some(format!("after {}: {e}", after()));
        }
    }
}

use crate::sched::demand;

/// The machine and its threads.
pub struct Machine {
    pub k: Kc,
    futs: Vec<Option<ThreadFuture>>,
    pub samples: Samples,
    /// What every thread was doing at each sample, so that any moment of a run can be shown
    /// again without simulating it.
    pub thread_samples: ThreadSamples,
    /// What every thread was doing at the end of each tick with a key moment.
    pub moment_threads: MomentThreads,
    pub outcome: Option<Outcome>,
    end_tick: u64,
    window: u64,
    last_progress: u64,
    last_progress_tick: u64,
    check: bool,
    pub invariant_error: Option<String>,
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("tick", &self.k.borrow().sched.tick())
            .finish()
    }
}

impl Machine {
    /// Boots the machine of a (validated) scenario.
    pub fn boot(s: &Scenario) -> Machine {
        let physmem = s.machine.ram_mb * 256;
        let (n, f0) = VmThresholds::pages_for_ram(s.machine.ram_mb);
        let t = VmThresholds::compute(n, f0);
        let mut vnodes = Vec::new();
        let w = &s.workload;
        // each writer's file, then each mapped file; with `shared`, writer i writes into mapped
        // file i mod mmap instead of a file of its own
        let nwfiles = if w.shared { 0 } else { w.writers };
        for _ in 0..nwfiles {
            vnodes.push(Vnode::new(s.fs, w.writer_file_mb * 256, s.ufs_block_kb / 4));
        }
        for _ in 0..w.mmap_writers {
            vnodes.push(Vnode::new(s.fs, w.mmap_file_mb * 256, s.ufs_block_kb / 4));
        }
        let mapped: Vec<u16> = (nwfiles..nwfiles + w.mmap_writers)
            .map(|v| v as u16)
            .collect();
        let written: Vec<u16> = (0..w.writers)
            .map(|i| {
                if w.shared {
                    mapped[(i % w.mmap_writers) as usize]
                } else {
                    i as u16
                }
            })
            .collect();
        let kernel = Kernel {
            sched: Sched::default(),
            vm: Vm::new(n, t),
            bc: BufCache::new(BufLimits::compute(physmem), min_block_pages(s)),
            disk: Disk::new(s.machine.disk_seek_ms, s.machine.disk_mb_s),
            vnodes,
            policy: KernelPolicy::new(s.policy()),
            rng: Rng::new(s.seed),
            console: Console::default(),
            hammer: SlabZones::new(s.zone_bytes(), s.hammer.record_bytes),
            warm: crate::warm::WarmStart::default(),
            swap: crate::swap::Swap::new(s.machine.swap_mb * 256),
            oom_kill: None,
            events: Events::default(),
            mmap_vps: Vec::new(),
            load: crate::workload::Load {
                writer_kb_s: w.writer_kb_s,
                mmap_pages_s: w.mmap_pages_s,
                ..Default::default()
            },
            stats: Stats {
                min_free_cache: u32::MAX,
                ..Stats::default()
            },
            pagedaemon: 0,
            biokrate: crate::buf::Krate::default(),
            vm_pagedaemon_time: 0,
            mempool: Vec::new(),
            launder_q: std::collections::VecDeque::new(),
        };
        let k: Kc = Rc::new(RefCell::new(kernel));
        let mut futs: Vec<Option<ThreadFuture>> = Vec::new();
        {
            let mut kk = k.borrow_mut();
            // the kernel's own memory: wired at boot, so F0 pages are free when the daemon starts
            for _ in 0..n - f0 {
                let m = kk.vm_page_alloc(OBJ_KERNEL, 0, crate::vm::VM_ALLOC_INTERRUPT);
                kk.vm.pages[m as usize].flags = PG_VALID;
                kk.vm_page_wire(m);
                kk.vm.pages[m as usize].flags &= !PG_BUSY;
            }
            kk.printf(&format!(
                "real memory  = {} ({} MB)",
                u64::from(physmem) * 4096,
                s.machine.ram_mb
            ));
            kk.printf(&format!(
                "avail memory = {} ({} MB)",
                u64::from(f0) * 4096,
                u64::from(f0) * 4096 / (1024 * 1024)
            ));
            // what-if, Linux mempool_create: the pool's pages are set aside at boot
            let pool = kk.policy.mempool().pages();
            while (kk.mempool.len() as u32) < pool {
                kk.mempool_refill_one();
            }
            kk.pagedaemon = kk.sched.spawn("pagedaemon".into(), TKind::PageDaemon);
            kk.sched.spawn("bufdaemon".into(), TKind::BufDaemon);
            kk.sched.spawn("bufdaemon_hw".into(), TKind::BufDaemonHw);
        }
        futs.push(Some(Box::pin(vm_pageout(Rc::clone(&k)))));
        futs.push(Some(Box::pin(buf_daemon(Rc::clone(&k), false))));
        futs.push(Some(Box::pin(buf_daemon(Rc::clone(&k), true))));
        if s.fs == crate::FsKind::Hammer {
            k.borrow_mut()
                .sched
                .spawn("hammer_flusher".into(), TKind::Flusher);
            let period = s.hammer.flush_ms / crate::scenario::MS_PER_TICK;
            futs.push(Some(Box::pin(hammer_flusher(Rc::clone(&k), period))));
        }
        let emergency_pager = k.borrow().policy.emergency_pager();
        if emergency_pager {
            // c3feb36a35: the second pageout daemon (SI_ORDER_ANY, after the first)
            k.borrow_mut()
                .sched
                .spawn("emergpager".into(), TKind::EmergPager);
            futs.push(Some(Box::pin(crate::pageout::vm_emergpager(Rc::clone(&k)))));
        }
        // what-if: the thread the pageout daemon hands dirty file pages to (the laundry thread
        // when both are switched on)
        let launder = {
            let p = &k.borrow().policy;
            if p.laundry() {
                Some(("laundry", TKind::Laundry))
            } else if p.flusher() {
                Some(("flush", TKind::Flush))
            } else {
                None
            }
        };
        if let Some((name, kind)) = launder {
            k.borrow_mut().sched.spawn(name.into(), kind);
            futs.push(Some(Box::pin(vm_launder(Rc::clone(&k)))));
        }
        // where each writer is in its file; a warm machine has been writing for a while
        let starts = if s.warm {
            k.borrow_mut().warm_up(s, &written, &mapped)
        } else {
            vec![0; w.writers as usize]
        };
        for (i, (&start, &vp)) in starts.iter().zip(&written).enumerate() {
            k.borrow_mut()
                .sched
                .spawn(format!("writer{i}"), TKind::Writer);
            futs.push(Some(Box::pin(writer(Rc::clone(&k), vp, start))));
        }
        for (i, &vp) in mapped.iter().enumerate() {
            let t = k.borrow_mut().sched.spawn(format!("mmap{i}"), TKind::Mmap);
            k.borrow_mut().mmap_vps.push((t, vp));
            futs.push(Some(Box::pin(mmap_writer(Rc::clone(&k), vp))));
        }
        let hog_pages = w.hog_mb * 256;
        if hog_pages > 0 {
            for i in 0..w.hogs {
                k.borrow_mut().sched.spawn(format!("hog{i}"), TKind::Hog);
                let f = hog(
                    Rc::clone(&k),
                    hog_pages,
                    w.hog_mb_s * 256,
                    w.hog_start_ms * 1000,
                );
                futs.push(Some(Box::pin(f)));
            }
        }
        crate::intervene::boot(&k, s, &mut futs);
        Machine {
            k,
            futs,
            samples: Samples::default(),
            thread_samples: ThreadSamples::default(),
            moment_threads: MomentThreads::default(),
            outcome: None,
            end_tick: s.duration_ticks(),
            window: s.hang_window_ticks(),
            last_progress: 0,
            last_progress_tick: 0,
            check: false,
            invariant_error: None,
        }
    }

    /// Checks invariants after every event (tests).
    pub fn set_check(&mut self, on: bool) {
        self.check = on;
    }

    /// Runs until `tick` (exclusive of events after it) or the outcome.
    pub fn run_until(&mut self, tick: u64) {
        let tick = tick.min(self.end_tick);
        let end_us = tick.saturating_mul(TICK_US);
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        while self.outcome.is_none() {
            // run every runnable thread at the current instant
            loop {
                let t = {
                    let mut kk = self.k.borrow_mut();
                    let Some(t) = kk.sched.runq.pop_front() else {
                        break;
                    };
                    kk.sched.cur = t;
                    kk.sched.threads[t].state = TState::Running;
                    kk.sched.nevents += 1;
                    t
                };
                let done = match self.futs[t].as_mut() {
                    Some(f) => matches!(f.as_mut().poll(&mut cx), Poll::Ready(())),
                    None => true,
                };
                let mut kk = self.k.borrow_mut();
                if done {
                    kk.sched.threads[t].state = TState::Exited;
                    self.futs[t] = None;
                }
                debug_assert_ne!(kk.sched.threads[t].state, TState::Running, "thread {t}");
                if self.check {
                    note_violation(&mut self.invariant_error, &kk, || {
                        kk.sched.threads[t].name.clone()
                    });
                }
            }
            let (next_ev, next_sample) = {
                let kk = self.k.borrow();
                let ev = kk.sched.events.peek().map_or(u64::MAX, |e| e.0 .0);
                // every SAMPLE_EVERY ticks, and once more at the end of the run
                let last = self.samples.len() as u64 * SAMPLE_EVERY;
                (ev, (last + SAMPLE_EVERY).min(self.end_tick) * TICK_US)
            };
            // the time moves on: first the threads as this tick leaves them, if it had a key moment
            self.note_moment(next_sample.min(next_ev).min(end_us));
            if next_sample <= next_ev {
                if next_sample > end_us {
                    self.k.borrow_mut().sched.now = end_us;
                    break;
                }
                self.k.borrow_mut().sched.now = next_sample;
                self.sample();
                continue;
            }
            if next_ev > end_us {
                self.k.borrow_mut().sched.now = end_us;
                break;
            }
            let mut kk = self.k.borrow_mut();
            let std::cmp::Reverse((time, class, _, a, b)) = kk.sched.events.pop().expect("peeked");
            kk.sched.now = time;
            kk.sched.nevents += 1;
            if class == EV_DISK {
                kk.disk_intr();
                if self.check {
                    note_violation(&mut self.invariant_error, &kk, || "a disk interrupt".into());
                }
            } else if class == EV_ACT {
                kk.intervene(a as usize);
            } else {
                kk.sched.timeout(a as Tid, b);
            }
        }
    }

    /// Before the clock moves to `to_us`: when that leaves the current tick and the tick recorded
    /// a key moment, records every thread as the tick leaves it.
    fn note_moment(&mut self, to_us: u64) {
        let kk = self.k.borrow();
        let events = kk.events.len();
        if events == self.moment_threads.events_seen {
            return;
        }
        let tick = kk.sched.tick();
        if to_us / TICK_US > tick {
            self.moment_threads.record(tick, &kk.sched.threads, events);
        }
    }

    /// Takes a sample at the current tick, and decides whether the run has ended.
    fn sample(&mut self) {
        let mut kk = self.k.borrow_mut();
        let tick = kk.sched.tick();
        let fc = kk.vm.fc();
        kk.stats.min_free_cache = kk.stats.min_free_cache.min(fc);
        let s = kk.stats;
        let mut row = [0u32; NCOLS];
        let clamp = |v: u64| v.min(u64::from(u32::MAX)) as u32;
        for c in Col::ALL {
            row[c as usize] = match c {
                Col::Tick => clamp(tick),
                Col::Free => kk.vm.free_count(),
                Col::Cache => kk.vm.cache_count(),
                Col::Inactive => kk.vm.count[PQ_INACTIVE as usize],
                Col::Active => kk.vm.count[PQ_ACTIVE as usize],
                Col::Wired => kk.vm.count[PQ_WIRED as usize] + kk.vm.count[PQ_HELD as usize],
                Col::Bufspace => clamp(kk.bc.bufspace),
                Col::Dirtybufspace => clamp(kk.bc.dirtybufspace),
                Col::Dirtybufspacehw => clamp(kk.bc.dirtybufspacehw),
                Col::Runningbufspace => clamp(kk.bc.runningbufspace),
                Col::EmergAllocs => clamp(s.emerg_allocs),
                Col::EmergFails => clamp(s.emerg_fails),
                Col::Recoverbufcalls => clamp(s.recoverbufcalls),
                Col::RecoveredPages => clamp(s.recovered_pages),
                Col::PagesFreed => clamp(s.pages_freed),
                Col::UserKb => clamp(s.user_kb),
            };
        }
        self.samples.push(row);
        self.thread_samples.record(&kk.sched.threads);

        let progress = kk.progress();
        if progress != self.last_progress {
            self.last_progress = progress;
            self.last_progress_tick = tick;
        }
        let waiting = kk
            .sched
            .threads
            .iter()
            .any(|t| t.state == TState::Sleeping && demand(t.wmesg));
        if !waiting {
            self.last_progress_tick = tick;
        }
        // a new descent is told again only once the daemon has reached its paging target
        if kk.vm.paging_target() <= 0 {
            kk.events.depth = 0;
        }
        if let Some((at, victim)) = kk.oom_kill.clone() {
            self.outcome = Some(kk.oom_outcome(at, tick, &victim));
        } else if tick >= self.last_progress_tick + self.window {
            let outcome = kk.hang_outcome(self.last_progress_tick, tick);
            self.outcome = Some(outcome);
        } else if tick >= self.end_tick {
            self.outcome = Some(kk.end_outcome(tick, self.window, self.last_progress_tick));
        }
        // the hang and the starvation are key moments too, at the tick they began
        if let Some(o) = &self.outcome {
            let kind = match o.kind {
                OutcomeKind::Deadlock | OutcomeKind::Stall => Some(EventKind::Hang),
                OutcomeKind::Starved => Some(EventKind::Starved),
                _ => None,
            };
            if let Some(kind) = kind {
                let (at, why) = (o.tick, o.summary.clone());
                kk.events.push(at, kind, "", why);
            }
        }
    }

    pub fn tick(&self) -> u64 {
        self.k.borrow().sched.tick()
    }
}

impl Kernel {
    /// The invariants of kernel-2008.md §9.9.
    pub fn check_invariants(&self) -> Result<(), String> {
        let v = &self.vm;
        let sum: u32 = v.count.iter().sum();
        if sum != v.npages {
            return Err(format!(
                "page conservation: queues hold {sum} of {} pages",
                v.npages
            ));
        }
        let mut counted = [0u32; 6];
        for (i, pg) in v.pages[..v.npages as usize].iter().enumerate() {
            counted[pg.queue as usize] += 1;
            if (pg.queue == PQ_FREE || pg.queue == PQ_CACHE)
                && (pg.flags & (PG_DIRTY | PG_BUSY) != 0 || pg.busy != 0 || pg.wire != 0)
            {
                return Err(format!("page {i} in FREE/CACHE is dirty, busy or wired"));
            }
            if pg.queue == PQ_HELD && pg.flags & PG_BUSY == 0 {
                return Err(format!("page {i} is in no queue but not busy in transit"));
            }
            if (pg.queue == PQ_WIRED) != (pg.wire > 0) {
                return Err(format!(
                    "page {i}: wire count {} but queue {}",
                    pg.wire, pg.queue
                ));
            }
        }
        if counted != v.count {
            return Err(format!(
                "queue counts {:?} but pages say {counted:?}",
                v.count
            ));
        }
        let (mut dirty, mut dirtyhw, mut running) = (0u64, 0u64, 0u64);
        let (mut ndirty, mut ndirtyhw, mut nrunning) = (0u32, 0u32, 0u32);
        for (b, bp) in self.bc.bufs.iter().enumerate() {
            if bp.has(B_DELWRI) {
                dirty += u64::from(bp.bufsize);
                ndirty += 1;
                if bp.has(B_HEAVY) {
                    dirtyhw += u64::from(bp.bufsize);
                    ndirtyhw += 1;
                }
            }
            if bp.has(B_WRITEIO) {
                running += u64::from(bp.bufsize);
                nrunning += 1;
            }
            if u32::from(bp.npages) * 4096 != bp.bufsize {
                return Err(format!(
                    "buf {b}: {} pages but bufsize {}",
                    bp.npages, bp.bufsize
                ));
            }
            for &p in &bp.pages[..bp.npages as usize] {
                if p == NONE || v.pages[p as usize].wire == 0 {
                    return Err(format!("buf {b} holds page {p} that is not wired"));
                }
            }
        }
        if dirty != self.bc.dirtybufspace || dirtyhw != self.bc.dirtybufspacehw {
            return Err(format!(
                "dirtybufspace {} (hw {}) but DELWRI buffers hold {dirty} (hw {dirtyhw})",
                self.bc.dirtybufspace, self.bc.dirtybufspacehw
            ));
        }
        if ndirty != self.bc.dirtybufcount || ndirtyhw != self.bc.dirtybufcounthw {
            return Err(format!(
                "dirtybufcount {} (hw {}) but {ndirty} DELWRI buffers ({ndirtyhw} heavy)",
                self.bc.dirtybufcount, self.bc.dirtybufcounthw
            ));
        }
        if nrunning != self.bc.runningbufcount {
            return Err(format!(
                "runningbufcount {} but {nrunning} writes in flight",
                self.bc.runningbufcount
            ));
        }
        if running != self.bc.runningbufspace {
            return Err(format!(
                "runningbufspace {} but writes in flight hold {running}",
                self.bc.runningbufspace
            ));
        }
        Ok(())
    }

    /// Public thresholds.
    pub fn thresholds(&self) -> Thresholds {
        let t = self.vm.t;
        let l = self.bc.lim;
        Thresholds {
            v_page_count: t.v_page_count,
            v_interrupt_free_min: t.v_interrupt_free_min,
            v_pageout_free_min: t.v_pageout_free_min,
            v_free_reserved: t.v_free_reserved,
            v_free_severe: t.v_free_severe,
            v_free_min: t.v_free_min,
            v_free_target: t.v_free_target,
            v_cache_min: t.v_cache_min,
            v_inactive_target: t.v_inactive_target,
            cluster: t.cluster,
            nbuf: l.nbuf,
            hibufspace: l.hibufspace,
            lobufspace: l.lobufspace,
            hidirtybufspace: l.hidirtybufspace,
            lodirtybufspace: l.lodirtybufspace,
        }
    }

    /// Public stats.
    pub fn public_stats(&self) -> Stats {
        let mut s = self.stats;
        s.events = self.sched.nevents;
        if s.min_free_cache == u32::MAX {
            s.min_free_cache = self.vm.fc();
        }
        s
    }

    /// Public thread list.
    pub fn thread_infos(&self) -> Vec<ThreadInfo> {
        self.sched
            .threads
            .iter()
            .map(|th| {
                let (wmesg, path, timed) = th.shown_wait();
                ThreadInfo {
                    name: th.name.clone(),
                    state: th.state.name().to_string(),
                    wmesg: wmesg.to_string(),
                    timed,
                    since: th.since_us / TICK_US,
                    path: path.to_string(),
                    account: {
                        let mut a = th.acct.clone();
                        if th.state == TState::Sleeping {
                            // the sleep in progress counts up to now
                            a.slept(th.wmesg, (self.sched.now - th.slept_at_us) / TICK_US);
                            if let Some(s) = a.sleeps.iter_mut().find(|s| s.wmesg == th.wmesg) {
                                s.count -= 1;
                            }
                        }
                        a
                    },
                }
            })
            .collect()
    }

    /// Engine memory in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.vm.memory_bytes()
            + self.bc.memory_bytes()
            + self.swap.memory_bytes()
            + self.vnodes.iter().map(Vnode::memory_bytes).sum::<usize>()
    }
}

impl Kernel {
    pub fn debug_dump(&self) -> String {
        let evs: Vec<_> = self
            .sched
            .events
            .iter()
            .filter(|e| e.0 .1 == EV_DISK)
            .map(|e| e.0 .0)
            .collect();
        let mut s = format!(
            "now {} disk events {evs:?}\ndisk busy={} queue={:?}\nbufq counts {:?} bufspace {} dirty {} running {} ({})\n",
            self.sched.now,
            self.disk.busy,
            self.disk.queue.iter().take(5).collect::<Vec<_>>(),
            self.bc.qcount,
            self.bc.bufspace,
            self.bc.dirtybufspace,
            self.bc.runningbufspace,
            self.bc.runningbufcount
        );
        for (b, bp) in self.bc.bufs.iter().enumerate() {
            if bp.has(B_WRITEIO) || (bp.lock != LK_FREE) {
                s += &format!(
                    "buf {b}: {:?}\n",
                    (bp.flags, bp.lock, bp.vp, bp.lblk, bp.npages, bp.queue)
                );
            }
        }
        s
    }
}

/// Helpers for the engine's unit tests: a booted machine whose threads never run unless asked,
/// and a way to call a blocking kernel function as a given thread.
#[cfg(test)]
pub mod testkit {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use super::Machine;
    use crate::policy::KernelPreset;
    use crate::sched::{Kc, TKind, Tid};
    use crate::vm::{NONE, OBJ_KERNEL, PG_VALID, VM_ALLOC_INTERRUPT};
    use crate::{Scenario, ScenarioPreset, Workload};

    /// Thread ids of the kernel threads `boot` creates.
    pub const PD: Tid = 0;
    pub const BDHW: Tid = 2;

    /// A `ram_mb` machine on `kernel` with no user processes.
    pub fn machine(ram_mb: u32, kernel: KernelPreset) -> Machine {
        let base = ScenarioPreset::HammerLockup.scenario();
        let s = Scenario {
            preset: kernel,
            machine: crate::Machine {
                ram_mb,
                ..base.machine
            },
            workload: Workload {
                writers: 0,
                mmap_writers: 0,
                hogs: 0,
                ..base.workload
            },
            ..base
        };
        Machine::boot(&s)
    }

    /// Adds a user thread (it is never run by the executor in these tests).
    pub fn user_thread(k: &Kc) -> Tid {
        k.borrow_mut().sched.spawn("test".into(), TKind::Writer)
    }

    /// Polls `f` once as thread `t`.
    pub fn poll_as<F: Future>(k: &Kc, t: Tid, f: Pin<&mut F>) -> Poll<F::Output> {
        k.borrow_mut().sched.cur = t;
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    /// Wires kernel pages until free + cache is exactly `n`; returns them.
    pub fn squeeze_to(k: &Kc, n: u32) -> Vec<u32> {
        let mut kk = k.borrow_mut();
        kk.sched.cur = PD;
        let mut taken = Vec::new();
        while kk.vm.fc() > n {
            let m = kk.vm_page_alloc(OBJ_KERNEL, 0, VM_ALLOC_INTERRUPT);
            assert_ne!(m, NONE);
            kk.vm.pages[m as usize].flags = PG_VALID;
            kk.vm_page_wire(m);
            taken.push(m);
        }
        taken
    }

    /// Gives back pages taken by `squeeze_to`.
    pub fn release(k: &Kc, pages: &mut Vec<u32>, n: usize) {
        let mut kk = k.borrow_mut();
        for _ in 0..n {
            let m = pages.pop().expect("a page to give back");
            kk.vm_page_unwire(m);
            kk.vm_page_free(m);
        }
    }
}
