//! Timed interventions in the running machine ([`crate::scenario::intervention`]): the threads
//! they start are made at boot, asleep in `notstarted` and first run at their time; the changes of a rate, of the
//! disk or the order to stop are events at their time. Each intervention is a key moment.

use std::rc::Rc;

use crate::events::EventKind;
use crate::fs::Vnode;
use crate::kernel::Kernel;
use crate::scenario::intervention::{started, Action};
use crate::sched::{Kc, TKind, ThreadFuture, EV_ACT};
use crate::workload::{hog, mmap_writer, sync, writer};
use crate::Scenario;

/// Makes the threads the interventions start (with the files they write) and schedules the
/// others as events.
pub fn boot(k: &Kc, s: &Scenario, futs: &mut Vec<Option<ThreadFuture>>) {
    let w = &s.workload;
    let mut names = vec![String::new(); s.interventions.len()];
    for t in started(s) {
        names[t.index] = t.name.clone();
        let at_us = t.at_ms * 1000;
        let k2 = Rc::clone(k);
        let fut: ThreadFuture = match t.action {
            Action::Hog { mb } => {
                k.borrow_mut().sched.spawn_asleep(t.name, TKind::Hog, at_us);
                Box::pin(hog(k2, mb * 256, w.hog_mb_s * 256, 0))
            }
            Action::Writer | Action::Mmap => {
                let mmap = matches!(t.action, Action::Mmap);
                let mut kk = k.borrow_mut();
                let mb = if mmap {
                    w.mmap_file_mb
                } else {
                    w.writer_file_mb
                };
                kk.vnodes
                    .push(Vnode::new(s.fs, mb * 256, s.ufs_block_kb / 4));
                let vp = (kk.vnodes.len() - 1) as u16;
                let kind = if mmap { TKind::Mmap } else { TKind::Writer };
                let tid = kk.sched.spawn_asleep(t.name, kind, at_us);
                if mmap {
                    kk.mmap_vps.push((tid, vp));
                    Box::pin(mmap_writer(k2, vp))
                } else {
                    Box::pin(writer(k2, vp, 0))
                }
            }
            Action::Sync => {
                k.borrow_mut()
                    .sched
                    .spawn_asleep(t.name, TKind::Sync, at_us);
                Box::pin(sync(k2))
            }
            _ => continue,
        };
        futs.push(Some(fut));
    }
    let mut kk = k.borrow_mut();
    for (i, iv) in s.interventions.iter().enumerate() {
        kk.sched.at(iv.at_ms * 1000, EV_ACT, i as u32, 0);
    }
    kk.load.interventions = s.interventions.clone();
    kk.load.names = names;
}

impl Kernel {
    /// Intervention `i` of the scenario, at its time: a rate, the disk or a thread told to stop
    /// changes now; a started thread starts by itself. Either way it is a key moment.
    pub fn intervene(&mut self, i: usize) {
        let Some(iv) = self.load.interventions.get(i).cloned() else {
            return;
        };
        let name = self.load.names.get(i).cloned().unwrap_or_default();
        let (who, why) = match &iv.action {
            Action::Hog { mb } => (
                name.clone(),
                format!("a new process starts allocating {mb} MB of anonymous memory"),
            ),
            Action::Writer => (
                name.clone(),
                "a new process starts write(2)s to a file of its own".to_string(),
            ),
            Action::Mmap => (
                name.clone(),
                "a new process starts dirtying a shared mapping of a file of its own".to_string(),
            ),
            // the sync(2) caller tells its own moment, with the buffers it finds dirty
            Action::Sync => return,
            Action::Stop { thread } => {
                if let Some(t) = self.sched.threads.iter().position(|x| &x.name == thread) {
                    self.load.stop.push(t);
                }
                (
                    thread.clone(),
                    "told to stop: it exits after what it is doing".into(),
                )
            }
            Action::Wrate { kb_s } => {
                let before = self.load.writer_kb_s;
                self.load.writer_kb_s = *kb_s;
                (
                    String::new(),
                    format!(
                        "write(2) writers at {} instead of {}",
                        kb(*kb_s),
                        kb(before)
                    ),
                )
            }
            Action::Mrate { pages_s } => {
                let before = self.load.mmap_pages_s;
                self.load.mmap_pages_s = *pages_s;
                (
                    String::new(),
                    format!("mapped-file writers at {pages_s} stores/s instead of {before}"),
                )
            }
            Action::Bw { mb_s } => {
                let before = self.disk.bytes_per_s / (1024 * 1024);
                self.disk.bytes_per_s = u64::from(*mb_s) * 1024 * 1024;
                (
                    String::new(),
                    format!("the disk at {mb_s} MB/s instead of {before} MB/s"),
                )
            }
            Action::Seek { ms } => {
                let before = self.disk.seek_us / 1000;
                self.disk.seek_us = u64::from(*ms) * 1000;
                (
                    String::new(),
                    format!("the disk seeks in {ms} ms instead of {before} ms"),
                )
            }
        };
        let tick = self.sched.tick();
        self.events.push(tick, EventKind::Intervention, &who, why);
    }
}

fn kb(kb_s: u32) -> String {
    if kb_s == 0 {
        "as fast as they can".into()
    } else if kb_s % 1024 == 0 {
        format!("{} MB/s", kb_s / 1024)
    } else {
        format!("{kb_s} KB/s")
    }
}
