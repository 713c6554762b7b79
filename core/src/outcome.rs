//! How a run ends, from the kernel's state: the wait-for graph (who waits on whom, and in which
//! kernel function), the hang classification (deadlock or stall), starvation, and the pageout
//! daemon's out-of-memory kill. The types are in `detect.rs`; the progress measure and the hang
//! window in `kernel.rs`'s sampling.

use crate::buf::{B_WRITEIO, LK_FREE, LK_IO};
use crate::detect::{find_cycle, Outcome, OutcomeKind, WaitEdge, WaitGraph, WaitNode};
use crate::kernel::Kernel;
use crate::sched::{demand, starvable, TKind, TState, TICK_US};
use crate::vm::PG_DIRTY;

/// The kernel threads that free pages: the pageout daemons, the buf daemons (whose writes let
/// buffers and their pages go), and the flush or laundry thread of the what-ifs.
const FREERS: &[TKind] = &[
    TKind::PageDaemon,
    TKind::BufDaemon,
    TKind::BufDaemonHw,
    TKind::Flush,
    TKind::Laundry,
    TKind::EmergPager,
];

/// Which threads can produce what a wmesg waits for.
fn wakers(wmesg: &str) -> (&'static str, &'static [TKind]) {
    use TKind::*;
    match wmesg {
        "VMWait" => ("free+cache >= v_pageout_free_min (34 pages)", FREERS),
        "vmwait" | "pfault" => ("free+cache >= v_free_min", FREERS),
        "pageprocwait" => (
            "a free page (it retries every tick)",
            &[PageDaemon, BufDaemon, BufDaemonHw, Flush, Laundry],
        ),
        "mempool" => (
            "a page returned to the mempool by buffer I/O completion",
            &[BufDaemon, BufDaemonHw, Flush, Laundry],
        ),
        "flstik" => (
            "dirty buffer space to drain below the high-water mark",
            &[BufDaemon, BufDaemonHw],
        ),
        "newbuf" | "nbufbs" => ("a buffer to be released", &[BufDaemon, BufDaemonHw]),
        "wdrain" | "wdrain2" | "biord" | "biowr" => ("the disk", &[]),
        "vnlock" => ("the vnode lock", &[]),
        "getblk" | "pgtblk" => ("a busy buffer or page", &[]),
        _ => ("", &[]),
    }
}

fn describe(kind: TKind) -> &'static str {
    match kind {
        TKind::PageDaemon => "frees pages by laundering and caching them",
        TKind::BufDaemon => "writes light dirty buffers, whose pages are released on completion",
        TKind::BufDaemonHw => {
            "writes heavy (HAMMER) dirty buffers, whose pages are released on completion"
        }
        TKind::Flush => "writes the dirty file pages the pageout daemon handed it",
        TKind::Laundry => "launders the dirty file pages the pageout daemon set aside",
        TKind::EmergPager => "pages anonymous memory out to swap when the pageout daemon is stuck",
        _ => "",
    }
}

/// Why the pageout daemon cannot go on, from where it sleeps: one sentence for a deadlock.
fn daemon_stuck(wmesg: &str, path: &str) -> String {
    match (wmesg, path) {
        ("VMWait", "allocbuf" | "bio_page_alloc") => "the pageout daemon sleeps in VMWait in allocbuf, \
             allocating the pages its own getblk of a HAMMER block needs, waiting for free pages \
             that only it can produce"
            .into(),
        ("VMWait", "kmem_slab_alloc") => "the pageout daemon sleeps in VMWait in kmem_slab_alloc: \
             its synchronous pageout write needs a new zone for HAMMER's in-memory records, and \
             kmalloc waits with no timeout for free pages that only the daemon can produce"
            .into(),
        ("VMWait", _) => {
            "the pageout daemon sleeps in VMWait waiting for free pages that only it can produce"
                .into()
        }
        ("newbuf" | "nbufbs", _) => format!(
            "the pageout daemon sleeps in {wmesg} waiting for a buffer: the buffer cache is full of \
             dirty buffers whose flusher waits for memory that only the daemon can produce"
        ),
        ("flstik", _) => "the pageout daemon sleeps in flstik: HAMMER's bwillwrite on the \
             pageout path (59G) waits for dirty buffer space to drain, and the buf daemons that \
             would write it wait for memory that only the daemon can produce"
            .into(),
        (w, "") => format!("the pageout daemon sleeps in {w}; nothing can wake it"),
        (w, p) => format!("the pageout daemon sleeps in {w} in {p}; nothing can wake it"),
    }
}

/// Seconds with two decimals.
fn secs(tick: u64) -> String {
    format!("{}.{:02}", tick / 100, tick % 100)
}

impl Kernel {
    /// The pageout daemon killed a process for want of swap (§3.2).
    pub(crate) fn oom_outcome(&self, at: u64, now: u64, victim: &str) -> Outcome {
        let anon = self.vm.pages[..self.vm.npages as usize]
            .iter()
            .filter(|p| p.obj() == crate::vm::OBJ_ANON && p.flags & PG_DIRTY != 0)
            .count();
        let swap = if self.swap.total == 0 {
            "there is no swap".to_string()
        } else {
            format!(
                "swap is full ({} of {} MB used)",
                self.swap.used / 256,
                self.swap.total / 256
            )
        };
        let summary = if anon == 0 {
            format!(
                "Out of memory at {} s: {swap}, so with free+cache below v_free_min the pageout \
                 daemon killed the largest process, {victim} (\"out of swap space\"), though its \
                 memory was file pages that could have been paged out",
                secs(at)
            )
        } else {
            format!(
                "Out of memory at {} s: {swap} and {anon} dirty anonymous pages cannot be paged \
                 out, so the pageout daemon killed {victim} (\"out of swap space\")",
                secs(at)
            )
        };
        Outcome {
            kind: OutcomeKind::OutOfMemory,
            tick: at,
            detected_at: now,
            summary,
            graph: WaitGraph::default(),
        }
    }

    /// The run reached its end: survived, or starved if a thread has been waiting for longer
    /// than the hang window while the rest of the machine went on.
    /// `last_progress` is the tick of the last progress seen.
    pub(crate) fn end_outcome(&self, tick: u64, window: u64, last_progress: u64) -> Outcome {
        let now = self.sched.now / TICK_US;
        let starved: Vec<usize> = (0..self.sched.threads.len())
            .filter(|&t| {
                let th = &self.sched.threads[t];
                th.state == TState::Sleeping
                    && starvable(th.wmesg)
                    && now.saturating_sub(th.slept_at_us / TICK_US) > window
            })
            .collect();
        if !starved.is_empty() {
            let mut graph = self.wait_graph();
            graph.nodes.retain(|n| {
                starved
                    .iter()
                    .any(|&t| self.sched.threads[t].name == n.thread)
            });
            graph.edges.clear();
            graph.cycle.clear();
            let who: Vec<String> = starved
                .iter()
                .map(|&t| {
                    let th = &self.sched.threads[t];
                    format!(
                        "{} has waited in {} since {} s",
                        th.name,
                        th.wmesg,
                        secs(th.slept_at_us / TICK_US)
                    )
                })
                .collect();
            let since = starved
                .iter()
                .map(|&t| self.sched.threads[t].slept_at_us / TICK_US)
                .min()
                .unwrap_or(tick);
            return Outcome {
                kind: OutcomeKind::Starved,
                tick: since,
                detected_at: tick,
                summary: format!(
                    "Starved: the machine kept going for {} s, but {}",
                    secs(tick),
                    who.join("; ")
                ),
                graph,
            };
        }
        let mut summary = format!(
            "Survived {} s: memory kept being freed and written; nothing hung.",
            secs(tick)
        );
        let longest = self
            .sched
            .threads
            .iter()
            .filter(|th| th.acct.longest_wait > window)
            .max_by_key(|th| th.acct.longest_wait);
        if let Some(th) = longest {
            let a = &th.acct;
            summary = format!(
                "Survived {} s, though {} once waited {} s in {} (from {} s)",
                secs(tick),
                th.name,
                secs(a.longest_wait),
                a.longest_wait_wmesg,
                secs(a.longest_wait_at)
            );
        }
        // a stretch without progress shorter than the hang window is not a hang, but not
        // "nothing hung" either
        if tick.saturating_sub(last_progress) >= 100 {
            summary = format!(
                "Survived {} s as far as the hang window ({} s) can tell: nothing has been freed, \
                 written or faulted in since {} s",
                secs(tick),
                secs(window),
                secs(last_progress)
            );
        }
        if !self.load.killed.is_empty() {
            // oomkill=on: the machine went on after the pageout daemon killed someone
            let names: Vec<&str> = self
                .load
                .killed
                .iter()
                .map(|&t| self.sched.threads[t].name.as_str())
                .collect();
            summary = format!(
                "{}; the pageout daemon killed {} (\"out of swap space\") on the way",
                summary.trim_end_matches('.'),
                names.join(" and ")
            );
        }
        Outcome {
            kind: OutcomeKind::Survived,
            tick,
            detected_at: tick,
            summary,
            graph: WaitGraph::default(),
        }
    }

    /// Builds the wait-for graph and classifies the hang.
    /// Who waits on whom now: every thread asleep waiting for a resource, with an edge to each
    /// thread that could produce it; the node ids' thread ids.
    fn wait_graph_ids(&self) -> (WaitGraph, Vec<usize>) {
        let mut graph = WaitGraph::default();
        let mut ids: Vec<usize> = Vec::new(); // node -> tid
        for (t, th) in self.sched.threads.iter().enumerate() {
            if th.state == TState::Sleeping && demand(th.wmesg) {
                let (what, _) = wakers(th.wmesg);
                graph.nodes.push(WaitNode {
                    thread: th.name.clone(),
                    wmesg: th.wmesg.to_string(),
                    timed: th.timed,
                    waits_for: what.to_string(),
                    since: th.since_us / TICK_US,
                    path: th.path.to_string(),
                });
                ids.push(t);
            }
        }
        for (i, &t) in ids.iter().enumerate() {
            let th = &self.sched.threads[t];
            let (what, kinds) = wakers(th.wmesg);
            let mut holders: Vec<usize> = Vec::new();
            if th.wmesg == "vnlock" {
                if let crate::sched::Chan::Vnode(v) = th.chan {
                    holders.extend(self.vnodes[v as usize].lock);
                }
            }
            if th.wmesg == "getblk" {
                if let crate::sched::Chan::Buf(b) = th.chan {
                    let l = self.bc.bufs[b as usize].lock;
                    if l != LK_FREE && l != LK_IO {
                        holders.push(l as usize);
                    }
                }
            }
            if th.wmesg.starts_with("wdrain") {
                // writes counted in runningbufspace but not yet on the disk: their writer holds them
                for bp in &self.bc.bufs {
                    if bp.has(B_WRITEIO) && bp.lock != LK_FREE && bp.lock != LK_IO {
                        holders.push(bp.lock as usize);
                    }
                }
            }
            for (j, &u) in ids.iter().enumerate() {
                if u == t {
                    continue;
                }
                let uk = self.sched.threads[u].kind;
                let uth = &self.sched.threads[u];
                let why = if holders.contains(&u) {
                    format!(
                        "{} holds what {} waits for, but sleeps in {}",
                        uth.name, th.name, uth.wmesg
                    )
                } else if kinds.contains(&uk) {
                    format!(
                        "{} waits in {} for {}; {} {}, but sleeps in {}",
                        th.name,
                        th.wmesg,
                        what,
                        uth.name,
                        describe(uk),
                        uth.wmesg
                    )
                } else {
                    continue;
                };
                graph.edges.push(WaitEdge {
                    from: i,
                    to: j,
                    why,
                });
            }
        }
        graph.cycle = find_cycle(graph.nodes.len(), &graph.edges);
        (graph, ids)
    }

    /// The wait-for graph now.
    pub fn wait_graph(&self) -> WaitGraph {
        self.wait_graph_ids().0
    }

    pub(crate) fn hang_outcome(&self, since: u64, now: u64) -> Outcome {
        let (graph, ids) = self.wait_graph_ids();
        // Greatest fixpoint: a waiter is stuck if it sleeps forever, or if it polls (a timed
        // sleep that is not a memory retry) and everything it waits on is stuck. A timed
        // vm_wait is the fix's retry loop: it keeps trying, so it is never "stuck" — a hang with
        // such a retry in it is a stall, not a deadlock.
        let n = ids.len();
        let nodes = &graph.nodes;
        let mut stuck: Vec<bool> = nodes
            .iter()
            .map(|w| {
                !(w.timed
                    && matches!(
                        w.wmesg.as_str(),
                        "VMWait" | "vmwait" | "pfault" | "pageprocwait" | "mempool"
                    ))
            })
            .collect();
        loop {
            let mut changed = false;
            for i in 0..n {
                if stuck[i] && nodes[i].timed {
                    let mut out = graph.edges.iter().filter(|e| e.from == i).peekable();
                    let ok = out.peek().is_some() && out.all(|e| stuck[e.to]);
                    if !ok {
                        stuck[i] = false;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let deadlock = n > 0 && stuck.iter().all(|&s| s) && self.disk.in_flight() == 0;
        let secs = since as f64 / 100.0;
        let pd = ids.iter().position(|&t| t == self.pagedaemon);
        let (kind, summary) = if deadlock {
            let at = format!("Deadlock at {secs:.2} s: ");
            let s = match pd.map(|i| &graph.nodes[i]) {
                Some(n) => at + &daemon_stuck(&n.wmesg, &n.path),
                None => {
                    let who: Vec<String> = graph
                        .nodes
                        .iter()
                        .map(|n| format!("{} ({})", n.thread, n.wmesg))
                        .collect();
                    format!("{at}{} sleep and nothing can wake them", who.join(", "))
                }
            };
            (OutcomeKind::Deadlock, s)
        } else {
            let fails = self.stats.emerg_fails;
            let failed = if fails > 0 {
                format!("; {fails} emergency page allocations failed")
            } else {
                String::new()
            };
            let who = match pd {
                Some(i) if graph.nodes[i].timed => "the pageout daemon keeps retrying",
                _ => "threads keep waking up and retrying",
            };
            (
                OutcomeKind::Stall,
                format!(
                    "Stall at {secs:.2} s: {who}, but no page is freed, no buffer written and no user data moves{failed}"
                ),
            )
        };
        Outcome {
            kind,
            tick: since,
            detected_at: now,
            summary,
            graph,
        }
    }
}
