//! Simulated time, kernel threads, sleep channels and the deterministic executor.
//!
//! Every kernel thread is an `async fn` that sleeps where the kernel sleeps: a blocking point
//! six frames down (`getblk → allocbuf → bio_page_alloc → vm_wait`) is simply a pending future.
//! One simulated CPU: a thread runs until it sleeps. Time is in microseconds; `hz` = 100.
//! Events are ordered by (time, class, sequence): interrupts before thread timeouts at the same
//! instant; a wakeup makes the sleepers on a channel runnable in the order they went to sleep.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::account::ThreadAccount;
use crate::kernel::Kernel;

/// Microseconds per tick (hz = 100).
pub const TICK_US: u64 = 10_000;

/// Thread id.
pub type Tid = usize;

/// The shared kernel state, as every thread sees it. Never hold a borrow across an `.await`.
pub type Kc = Rc<RefCell<Kernel>>;

/// Sleep channels: the addresses the kernel `tsleep()`s on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chan {
    /// No channel: a pure delay (CPU work, think time).
    None,
    /// `&vm_pages_needed`: the pageout daemon's "psleep".
    PageDaemon,
    /// `&vm_pageout_pages_needed`: the pageout daemon's own "VMWait".
    PageoutPagesNeeded,
    /// `&vmstats.v_free_count`: everyone else's "vmwait" and "pfault".
    FreeCount,
    /// `&bd_request` (0) / `&bd_request_hw` (1): buf daemon "psleep".
    BdRequest(u8),
    /// `&bd_wake_ary[i]`: "flstik".
    BdWake(u8),
    /// `&needsbuffer`: "newbuf" / "nbufbs".
    Needsbuffer,
    /// `&runningbufreq`: "wdrain".
    Wdrain,
    /// A vnode lock.
    Vnode(u16),
    /// A buffer lock ("getblk").
    Buf(u32),
    /// A hard-busy page ("pgtblk").
    Page(u32),
    /// I/O completion of a buffer ("biord"/"biowr").
    Io(u32),
    /// The HAMMER flusher's idle sleep ("hmrwwa").
    Flusher,
    /// `&vm_pagedaemon_time`: the emergency pageout daemon's "psleep" (c3feb36a35).
    PagedaemonTime,
    /// What-if: the buffer-page mempool's wait queue ("mempool", `pool->wait` in Linux).
    Mempool,
    /// What-if: the flush or laundry thread's work queue (its idle "psleep").
    Launder,
}

/// Why a sleep ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Someone called `wakeup()` on the channel.
    Woken,
    /// The timeout expired.
    Timeout,
}

/// What kind of kernel thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TKind {
    /// `vm_pageout()`.
    PageDaemon,
    /// `buf_daemon()` (light buffers).
    BufDaemon,
    /// `buf_daemon_hw()` (heavy buffers).
    BufDaemonHw,
    /// A write(2) writer.
    Writer,
    /// A process dirtying a shared writable mapping.
    Mmap,
    /// An anonymous-memory consumer.
    Hog,
    /// The HAMMER flusher (finalizes in-memory records).
    Flusher,
    /// A process an intervention starts to call sync(2).
    Sync,
    /// `emergpager`: the second, emergency pageout daemon (c3feb36a35, 2017).
    EmergPager,
    /// What-if (Linux): the flusher the pageout daemon hands dirty file pages to ("flush").
    Flush,
    /// What-if (FreeBSD): the pageout daemon's laundry thread ("laundry").
    Laundry,
}

/// Thread state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TState {
    /// On the run queue.
    Runnable,
    /// Being polled.
    Running,
    /// In `tsleep`.
    Sleeping,
    /// Doing CPU work or thinking (a delay, not a wait).
    Busy,
    /// Finished.
    Exited,
}

impl TState {
    /// How the page and the command line name the state: a thread doing CPU work or thinking is
    /// running, not waiting.
    pub fn name(self) -> &'static str {
        match self {
            TState::Runnable => "runnable",
            TState::Running | TState::Busy => "running",
            TState::Sleeping => "sleeping",
            TState::Exited => "exited",
        }
    }
}

/// A kernel thread's scheduling record.
#[derive(Clone, Debug)]
pub struct Thread {
    pub name: String,
    pub kind: TKind,
    pub state: TState,
    pub chan: Chan,
    pub wmesg: &'static str,
    pub timed: bool,
    pub since_us: u64,
    /// Bumped on every sleep; a timeout event carries it so stale timeouts are ignored.
    pub sleep_seq: u64,
    pub wake: Option<Wake>,
    /// The kernel function whose wait this sleep is (`bio_page_alloc`, `kmem_slab_alloc`, ...),
    /// empty when the wait message says it all.
    pub path: &'static str,
    /// When the current sleep began (µs).
    pub slept_at_us: u64,
    /// What the thread has done so far.
    pub acct: ThreadAccount,
}

/// Wait channels whose sleepers wait for a resource (as opposed to idling or working).
pub fn demand(wmesg: &str) -> bool {
    !matches!(
        wmesg,
        "psleep" | "" | "copy" | "think" | "hmrwwa" | NOT_STARTED | "pdelay"
    )
}

/// Waits for memory, buffers or locks: the ones a thread can starve in while the rest of the
/// machine goes on (waiting for the disk or pacing writes is not starving).
pub fn starvable(wmesg: &str) -> bool {
    matches!(
        wmesg,
        "VMWait"
            | "vmwait"
            | "pfault"
            | "newbuf"
            | "nbufbs"
            | "flstik"
            | "vnlock"
            | "getblk"
            | "pgtblk"
            | "mempool"
            | "pageprocwait"
    )
}

impl Thread {
    /// The wait the thread is in, as shown: (wmesg, the kernel function, whether it has a
    /// timeout); empty when it is not sleeping.
    pub fn shown_wait(&self) -> (&'static str, &'static str, bool) {
        if self.state == TState::Sleeping {
            (self.wmesg, self.path, self.timed)
        } else {
            ("", "", false)
        }
    }
}

/// Event classes, in the order they run at the same instant.
pub const EV_DISK: u8 = 0;
pub const EV_TIMEOUT: u8 = 1;
/// The wait message of a thread a timed intervention starts later ([`Sched::spawn_asleep`]).
pub const NOT_STARTED: &str = "notstarted";
/// A timed intervention (`b` unused, `a` its index in the scenario's list).
pub const EV_ACT: u8 = 2;

/// A timed event: (time µs, class, sequence, thread, sleep sequence).
pub type Event = Reverse<(u64, u8, u64, u32, u64)>;

/// Scheduler state, part of the kernel.
#[derive(Debug, Default)]
pub struct Sched {
    pub now: u64,
    pub cur: Tid,
    pub threads: Vec<Thread>,
    pub runq: VecDeque<Tid>,
    pub events: BinaryHeap<Event>,
    pub seq: u64,
    pub global_sleep_seq: u64,
    /// Thread resumptions and interrupts handled.
    pub nevents: u64,
    /// The sleeping threads and their channels, in the order they went to sleep: `wakeup` looks
    /// only at these, so it costs O(sleepers), not O(threads).
    sleepers: Vec<(Chan, Tid)>,
}

impl Sched {
    /// Current tick.
    pub fn tick(&self) -> u64 {
        self.now / TICK_US
    }

    /// Adds a thread; it becomes runnable at once.
    pub fn spawn(&mut self, name: String, kind: TKind) -> Tid {
        let t = self.threads.len();
        self.threads.push(Thread {
            name,
            kind,
            state: TState::Runnable,
            chan: Chan::None,
            wmesg: "",
            timed: false,
            since_us: self.now,
            sleep_seq: 0,
            wake: None,
            path: "",
            slept_at_us: self.now,
            acct: ThreadAccount::default(),
        });
        self.runq.push_back(t);
        t
    }

    /// A thread that a timed intervention starts at `start_us`: it exists from boot, asleep in
    /// "notstarted" (waiting for nothing but its time), and is first run at `start_us`, so that
    /// nothing of it happens before then — not even a first step.
    pub fn spawn_asleep(&mut self, name: String, kind: TKind, start_us: u64) -> Tid {
        let t = self.threads.len();
        self.global_sleep_seq += 1;
        let seq = self.global_sleep_seq;
        self.threads.push(Thread {
            name,
            kind,
            state: TState::Sleeping,
            chan: Chan::None,
            wmesg: NOT_STARTED,
            timed: true,
            since_us: self.now,
            sleep_seq: seq,
            wake: None,
            path: "",
            slept_at_us: self.now,
            acct: ThreadAccount::default(),
        });
        self.sleepers.push((Chan::None, t));
        self.at(start_us.max(self.now + 1), EV_TIMEOUT, t as u32, seq);
        t
    }

    /// Schedules an event.
    pub fn at(&mut self, time: u64, class: u8, a: u32, b: u64) {
        self.seq += 1;
        self.events.push(Reverse((time, class, self.seq, a, b)));
    }

    /// Puts the current thread to sleep on `chan` (timeout in µs, 0 = forever).
    fn sleep(
        &mut self,
        chan: Chan,
        wmesg: &'static str,
        timo_us: u64,
        state: TState,
        path: &'static str,
    ) {
        let t = self.cur;
        self.global_sleep_seq += 1;
        let seq = self.global_sleep_seq;
        let now = self.now;
        let th = &mut self.threads[t];
        if th.state != TState::Sleeping || th.chan != chan || th.wmesg != wmesg {
            th.since_us = now;
        }
        th.state = state;
        th.chan = chan;
        th.wmesg = wmesg;
        th.path = path;
        th.slept_at_us = now;
        th.timed = timo_us > 0;
        th.sleep_seq = seq;
        th.wake = None;
        if state == TState::Sleeping {
            debug_assert!(self.sleepers.iter().all(|&(_, u)| u != t));
            self.sleepers.push((chan, t));
        }
        if timo_us > 0 {
            self.at(now + timo_us, EV_TIMEOUT, t as u32, seq);
        }
    }

    /// `wakeup(chan)`: every sleeper on `chan` becomes runnable, in the order it slept.
    /// Returns how many were woken. Allocates nothing: most wakeups find no sleeper.
    pub fn wakeup(&mut self, chan: Chan) -> usize {
        let mut woken = 0;
        let mut i = 0;
        // the sleepers are in sleep order, so the woken run in the order they slept
        while i < self.sleepers.len() {
            let (c, t) = self.sleepers[i];
            if c == chan {
                self.make_runnable(t, Wake::Woken); // removes entry i
                woken += 1;
            } else {
                i += 1;
            }
        }
        woken
    }

    fn make_runnable(&mut self, t: Tid, why: Wake) {
        let now = self.now;
        if self.threads[t].state == TState::Sleeping {
            if let Some(i) = self.sleepers.iter().position(|&(_, u)| u == t) {
                self.sleepers.remove(i);
            }
        }
        let th = &mut self.threads[t];
        if th.state == TState::Sleeping {
            let ticks = (now - th.slept_at_us) / TICK_US;
            th.acct.slept(th.wmesg, ticks);
            if starvable(th.wmesg) && ticks > th.acct.longest_wait {
                th.acct.longest_wait = ticks;
                th.acct.longest_wait_wmesg = th.wmesg.to_string();
                th.acct.longest_wait_at = th.slept_at_us / TICK_US;
            }
        }
        th.state = TState::Runnable;
        th.wake = Some(why);
        self.runq.push_back(t);
    }

    /// A timeout event fired.
    pub fn timeout(&mut self, t: Tid, seq: u64) {
        let th = &self.threads[t];
        if matches!(th.state, TState::Sleeping | TState::Busy) && th.sleep_seq == seq {
            self.make_runnable(t, Wake::Timeout);
        }
    }
}

/// The future of one `tsleep`.
#[derive(Debug)]
pub struct Sleep {
    k: Kc,
    chan: Chan,
    wmesg: &'static str,
    timo_us: u64,
    state: TState,
    path: &'static str,
    armed: bool,
}

impl Sleep {
    /// Names the kernel function this sleep is the wait of (shown with the wait message).
    pub fn from(mut self, path: &'static str) -> Sleep {
        self.path = path;
        self
    }
}

impl Future for Sleep {
    type Output = Wake;
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Wake> {
        let k = Rc::clone(&self.k);
        let mut kk = k.borrow_mut();
        if !self.armed {
            self.armed = true;
            kk.sched
                .sleep(self.chan, self.wmesg, self.timo_us, self.state, self.path);
            return Poll::Pending;
        }
        let t = kk.sched.cur;
        match kk.sched.threads[t].wake.take() {
            Some(w) => Poll::Ready(w),
            None => Poll::Pending,
        }
    }
}

/// `tsleep(chan, wmesg, timo)`: timo in ticks, 0 = forever.
pub fn tsleep(k: &Kc, chan: Chan, wmesg: &'static str, timo_ticks: u64) -> Sleep {
    Sleep {
        k: Rc::clone(k),
        chan,
        wmesg,
        timo_us: timo_ticks * TICK_US,
        state: TState::Sleeping,
        path: "",
        armed: false,
    }
}

/// A delay of `us` microseconds spent working (CPU) or thinking; not a wait for a resource.
pub fn delay(k: &Kc, us: u64, what: &'static str) -> Sleep {
    Sleep {
        k: Rc::clone(k),
        chan: Chan::None,
        wmesg: what,
        timo_us: us.max(1),
        state: TState::Busy,
        path: "",
        armed: false,
    }
}

/// A boxed kernel thread.
pub type ThreadFuture = Pin<Box<dyn Future<Output = ()>>>;
