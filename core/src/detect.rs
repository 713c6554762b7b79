//! Hang detection (deadlock vs stall) and the wait-for graph.
//!
//! Progress is pages freed or cached, I/O completed, user bytes written and faults satisfied.
//! When some thread waits for memory or buffers and nothing progresses for the scenario's hang
//! window, the run has hung: a *deadlock* when every waiting thread sleeps with no timeout or waits
//! on one that does, a *stall* when timed retries keep firing without progress.

use serde::{Deserialize, Serialize};

/// How a run ended. Every outcome but `Survived` names its cause in the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeKind {
    /// Ran for the whole duration without hanging.
    Survived,
    /// Every waiter sleeps forever, or waits on a thread that does.
    Deadlock,
    /// Timed retries keep firing, nothing progresses.
    Stall,
    /// The machine went on, but a thread waited longer than the hang window (and still waits).
    Starved,
    /// The pageout daemon killed a process for want of swap ("out of swap space", §3.2).
    #[serde(rename = "out-of-memory")]
    OutOfMemory,
}

impl OutcomeKind {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            OutcomeKind::Survived => "survived",
            OutcomeKind::Deadlock => "deadlock",
            OutcomeKind::Stall => "stall",
            OutcomeKind::Starved => "starved",
            OutcomeKind::OutOfMemory => "out-of-memory",
        }
    }
}

/// A thread in the wait-for graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitNode {
    /// Thread name (`pagedaemon`, `bufdaemon_hw`, `writer0`, ...).
    pub thread: String,
    /// What it sleeps in (`VMWait`, `vmwait`, `flstik`, ...).
    pub wmesg: String,
    /// Whether the sleep has a timeout.
    pub timed: bool,
    /// What it waits for, in words (`free+cache >= 34 pages`).
    pub waits_for: String,
    /// Since when it sleeps (tick).
    pub since: u64,
    /// The kernel function whose wait it is (`bio_page_alloc`, `allocbuf`, `kmem_slab_alloc`,
    /// `vm_fault`), empty when the wait message says it all.
    #[serde(default)]
    pub path: String,
}

/// "`from` waits on `to`": `to` is one of the threads that could wake `from`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitEdge {
    /// Index of the waiting node.
    pub from: usize,
    /// Index of the node that could wake it.
    pub to: usize,
    /// One line: why `to` is needed and why it cannot help.
    pub why: String,
}

/// Who waits on whom at the moment of the hang.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitGraph {
    /// Sleeping threads that wait for something.
    pub nodes: Vec<WaitNode>,
    /// Waits-on edges.
    pub edges: Vec<WaitEdge>,
    /// A cycle through the graph, as node indices in order (empty if none).
    pub cycle: Vec<usize>,
}

impl WaitGraph {
    /// The cycle as `a → b → a` with wmesgs and the kernel function each waits in, e.g.
    /// `pagedaemon (newbuf) → bufdaemon_hw (vmwait in kmem_slab_alloc) → pagedaemon`.
    pub fn cycle_text(&self) -> String {
        if self.cycle.is_empty() {
            return String::new();
        }
        let mut parts: Vec<String> = self
            .cycle
            .iter()
            .map(|&i| {
                let n = &self.nodes[i];
                if n.path.is_empty() {
                    format!("{} ({})", n.thread, n.wmesg)
                } else {
                    format!("{} ({} in {})", n.thread, n.wmesg, n.path)
                }
            })
            .collect();
        parts.push(self.nodes[self.cycle[0]].thread.clone());
        parts.join(" → ")
    }
}

/// The end of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Survived, deadlock or stall.
    pub kind: OutcomeKind,
    /// Tick at which it was decided (for a hang: when progress stopped).
    pub tick: u64,
    /// Tick at which the detector noticed (progress stopped + hang window).
    pub detected_at: u64,
    /// One plain sentence for the banner.
    pub summary: String,
    /// Who waits on whom (empty when the run survived).
    pub graph: WaitGraph,
}

/// Finds a cycle in a directed graph given as edges; returns node indices in order.
pub fn find_cycle(n: usize, edges: &[WaitEdge]) -> Vec<usize> {
    // Iterative DFS with colours; deterministic: edges visited in the order given.
    let mut adj = vec![Vec::new(); n];
    for e in edges {
        adj[e.from].push(e.to);
    }
    let mut colour = vec![0u8; n]; // 0 white, 1 grey, 2 black
    let mut parent = vec![usize::MAX; n];
    for start in 0..n {
        if colour[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        colour[start] = 1;
        while let Some(&mut (v, ref mut i)) = stack.last_mut() {
            if *i < adj[v].len() {
                let w = adj[v][*i];
                *i += 1;
                if colour[w] == 1 {
                    let mut cyc = vec![v];
                    let mut x = v;
                    while x != w {
                        x = parent[x];
                        cyc.push(x);
                    }
                    cyc.reverse();
                    return cyc;
                }
                if colour[w] == 0 {
                    colour[w] = 1;
                    parent[w] = v;
                    stack.push((w, 0));
                }
            } else {
                colour[v] = 2;
                stack.pop();
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(from: usize, to: usize) -> WaitEdge {
        WaitEdge {
            from,
            to,
            why: String::new(),
        }
    }

    #[test]
    fn finds_the_two_thread_cycle() {
        let c = find_cycle(3, &[e(2, 0), e(0, 1), e(1, 0)]);
        assert_eq!(c, vec![0, 1]);
    }

    #[test]
    fn a_chain_is_not_a_cycle() {
        assert!(find_cycle(3, &[e(0, 1), e(1, 2)]).is_empty());
    }
}
