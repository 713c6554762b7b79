//! Unit tests of single mechanisms, each against a booted machine whose threads do not run: the
//! test calls the kernel function as a chosen thread and looks at what it did.

use std::task::Poll;

use crate::buf::daemon::bwillwrite;
use crate::buf::{
    bio_page_alloc, getblk, hammer_blocksize_pages, recoverbufpages, BufLimits, BQ_CLEAN,
    BQ_EMPTYKVA, B_DELWRI, PAGE_SIZE,
};
use crate::kernel::testkit::{machine, poll_as, release, squeeze_to, user_thread, BDHW, PD};
use crate::policy::KernelPreset;
use crate::sched::TState;
use crate::vm::{
    vm_wait, NONE, OBJ_KERNEL, OBJ_VNODE0, PG_DIRTY, PG_VALID, PQ_INACTIVE, VM_ALLOC_INTERRUPT,
    VM_ALLOC_NORMAL, VM_ALLOC_SYSTEM,
};
use crate::{msg, HZ};

const N: u8 = VM_ALLOC_NORMAL;
const S: u8 = VM_ALLOC_SYSTEM;
const I: u8 = VM_ALLOC_INTERRUPT;

#[test]
fn normal_allocations_stop_at_the_reserved_level_and_wake_the_daemon() {
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let t = user_thread(k);
    let r = k.borrow().vm.t.v_free_reserved;
    let _held = squeeze_to(k, r + 1);
    let mut kk = k.borrow_mut();
    kk.sched.cur = t;
    kk.vm.vm_pages_needed = false;
    assert_ne!(
        kk.vm_page_alloc(OBJ_KERNEL, 0, N),
        NONE,
        "f + c = R + 1 > R"
    );
    assert_eq!(kk.vm_page_alloc(OBJ_KERNEL, 0, N), NONE, "f + c = R");
    assert_eq!(kk.vm.vm_pageout_deficit, 1);
    assert!(
        kk.vm.vm_pages_needed,
        "a failed allocation wakes the pageout daemon"
    );
}

#[test]
fn the_system_reserve_is_the_band_down_to_the_interrupt_reserve() {
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let t = user_thread(k);
    let r = k.borrow().vm.t.v_free_reserved;
    let _held = squeeze_to(k, r);
    let mut kk = k.borrow_mut();
    kk.sched.cur = t;
    // NORMAL|SYSTEM succeeds while f + c > I = 2
    for _ in 0..r - 2 {
        assert_ne!(kk.vm_page_alloc(OBJ_KERNEL, 0, N | S), NONE);
    }
    assert_eq!(kk.vm.fc(), 2);
    assert_eq!(kk.vm_page_alloc(OBJ_KERNEL, 0, N | S), NONE);
    // the interrupt reserve: the last two pages
    assert_ne!(kk.vm_page_alloc(OBJ_KERNEL, 0, N | S | I), NONE);
    assert_ne!(kk.vm_page_alloc(OBJ_KERNEL, 0, N | S | I), NONE);
    assert_eq!(kk.vm_page_alloc(OBJ_KERNEL, 0, N | S | I), NONE);
}

#[test]
fn the_pageout_daemon_gets_the_system_reserve_without_asking() {
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let r = k.borrow().vm.t.v_free_reserved;
    let _held = squeeze_to(k, r);
    let mut kk = k.borrow_mut();
    kk.sched.cur = PD;
    assert_ne!(
        kk.vm_page_alloc(OBJ_KERNEL, 0, N),
        NONE,
        "curthread == pagethread adds SYSTEM"
    );
    kk.sched.cur = BDHW;
    assert_eq!(
        kk.vm_page_alloc(OBJ_KERNEL, 0, N),
        NONE,
        "before the fix the buf daemons do not"
    );
}

#[test]
fn after_the_fix_the_buf_daemons_are_system_threads() {
    let m = machine(128, KernelPreset::Dfly20080701);
    let k = &m.k;
    let r = k.borrow().vm.t.v_free_reserved;
    let _held = squeeze_to(k, r);
    let mut kk = k.borrow_mut();
    kk.sched.cur = BDHW;
    assert_ne!(kk.vm_page_alloc(OBJ_KERNEL, 0, N), NONE);
}

#[test]
fn the_pageout_daemon_sleeps_in_vmwait_until_34_pages_are_free() {
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let mut held = squeeze_to(k, 0);
    let mut f = Box::pin(vm_wait(k, 0, "test"));
    assert!(poll_as(k, PD, f.as_mut()).is_pending());
    {
        let kk = k.borrow();
        let th = &kk.sched.threads[PD];
        assert_eq!(
            (th.state, th.wmesg, th.timed),
            (TState::Sleeping, "VMWait", false)
        );
    }
    release(k, &mut held, 33);
    assert_eq!(
        k.borrow().sched.threads[PD].state,
        TState::Sleeping,
        "33 pages are not enough"
    );
    release(k, &mut held, 1);
    assert_eq!(
        k.borrow().sched.threads[PD].state,
        TState::Runnable,
        "v_pageout_free_min = 34"
    );
    assert!(poll_as(k, PD, f.as_mut()).is_ready());
}

#[test]
fn other_threads_sleep_in_vmwait_until_free_min() {
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let t = user_thread(k);
    let mut held = squeeze_to(k, 0);
    let mut f = Box::pin(vm_wait(k, 0, "test"));
    assert!(poll_as(k, t, f.as_mut()).is_pending());
    assert_eq!(k.borrow().sched.threads[t].wmesg, "vmwait");
    assert!(k.borrow().vm.vm_pages_needed);
    let min = k.borrow().vm.t.v_free_min as usize;
    release(k, &mut held, min - 1);
    assert_eq!(k.borrow().sched.threads[t].state, TState::Sleeping);
    release(k, &mut held, 1);
    assert_eq!(k.borrow().sched.threads[t].state, TState::Runnable);
}

#[test]
fn bufinit_sizes_a_128mb_machine_as_the_kernel_did() {
    let l = BufLimits::compute(128 * 256);
    assert_eq!(l.nbuf, 1483);
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    assert!(
        (mib(l.maxbufspace) - 23.2).abs() < 0.05,
        "{}",
        mib(l.maxbufspace)
    );
    assert!(
        (mib(l.hibufspace) - 22.6).abs() < 0.06,
        "{}",
        mib(l.hibufspace)
    );
    assert!((mib(l.hidirtybufspace) - 11.3).abs() < 0.05);
    assert!((mib(l.lodirtybufspace) - 5.6).abs() < 0.1);
}

#[test]
fn hammer_uses_64k_blocks_from_one_megabyte_on() {
    assert_eq!(hammer_blocksize_pages(0) * PAGE_SIZE, 16384);
    assert_eq!(hammer_blocksize_pages(255) * PAGE_SIZE, 16384);
    assert_eq!(hammer_blocksize_pages(256) * PAGE_SIZE, 65536);
}

#[test]
fn bd_heatup_asks_writers_to_wait_above_seven_eighths_of_the_high_water_mark() {
    let m = machine(128, KernelPreset::Dfly20080630);
    let mut kk = m.k.borrow_mut();
    let hi = kk.bc.lim.hidirtybufspace;
    let lo = kk.bc.lim.lodirtybufspace;
    let mid1 = lo + (hi - lo) / 2;
    let mid2 = mid1 + (hi - mid1) / 2;
    kk.bc.dirtybufspace = mid2 - 1;
    assert_eq!(kk.bd_heatup(), 0);
    kk.bc.dirtybufspace = mid2 + 4096;
    assert_eq!(kk.bd_heatup(), 4096);
    kk.bc.dirtybufspace = 0;
}

#[test]
fn bwillwrite_sleeps_in_flstik_while_dirty_space_is_high() {
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let t = user_thread(k);
    let hi = k.borrow().bc.lim.hidirtybufspace;
    k.borrow_mut().bc.dirtybufspace = hi;
    let mut f = Box::pin(bwillwrite(k, 65536));
    assert!(poll_as(k, t, f.as_mut()).is_pending());
    let kk = k.borrow();
    let th = &kk.sched.threads[t];
    assert_eq!((th.wmesg, th.timed), ("flstik", true));
    drop(kk);
    k.borrow_mut().bc.dirtybufspace = 0;
}

#[test]
fn before_the_fix_a_missing_buffer_page_means_sleeping_forever() {
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let _held = squeeze_to(k, 2);
    let mut f = Box::pin(bio_page_alloc(k, OBJ_VNODE0, 0, 16));
    assert!(poll_as(k, PD, f.as_mut()).is_pending());
    let kk = k.borrow();
    let th = &kk.sched.threads[PD];
    assert_eq!((th.wmesg, th.timed), ("VMWait", false));
    assert!(kk
        .console
        .lines()
        .iter()
        .all(|l| !l.text.contains("bio_page_alloc")));
}

#[test]
fn the_fix_digs_into_the_interrupt_reserve_and_says_so() {
    let m = machine(128, KernelPreset::Dfly20080701);
    let k = &m.k;
    let _held = squeeze_to(k, 2);
    let mut f = Box::pin(bio_page_alloc(k, OBJ_VNODE0, 0, 16));
    // memory is severe after the allocation, so the daemon pauses hz/20 with the page in hand
    assert!(poll_as(k, PD, f.as_mut()).is_pending());
    {
        let kk = k.borrow();
        assert_eq!(kk.stats.emerg_allocs, 1);
        assert_eq!(kk.stats.recoverbufcalls, 1);
        assert_eq!(kk.console.lines().last().unwrap().text, msg::EMERG);
        let th = &kk.sched.threads[PD];
        assert_eq!((th.wmesg, th.timed), ("VMWait", true));
    }
    let seq = k.borrow().sched.threads[PD].sleep_seq;
    k.borrow_mut().sched.timeout(PD, seq);
    match poll_as(k, PD, f.as_mut()) {
        Poll::Ready(p) => assert_ne!(p, NONE),
        Poll::Pending => panic!("the pause ends"),
    }
}

#[test]
fn when_even_the_emergency_fails_the_daemon_retries_after_five_seconds() {
    let m = machine(128, KernelPreset::Dfly20080701);
    let k = &m.k;
    let _held = squeeze_to(k, 0);
    let mut f = Box::pin(bio_page_alloc(k, OBJ_VNODE0, 0, 16));
    assert!(poll_as(k, PD, f.as_mut()).is_pending());
    let kk = k.borrow();
    assert_eq!(kk.stats.emerg_fails, 1);
    assert_eq!(kk.console.lines().last().unwrap().text, msg::EMERG_FAIL);
    let (_, _, _, tid, _) = kk.sched.events.peek().unwrap().0;
    assert_eq!(tid as usize, PD);
    assert_eq!(
        kk.sched.events.peek().unwrap().0 .0,
        kk.sched.now + 5 * HZ * 10_000
    );
}

/// A clean 64 KB buffer of vnode 0 at 1 MB, on the CLEAN queue with its 16 pages wired.
fn clean_buffer(k: &crate::sched::Kc) -> u32 {
    let t = user_thread(k);
    let mut f = Box::pin(getblk(k, 0, 256, 65536, true));
    let Poll::Ready(b) = poll_as(k, t, f.as_mut()) else {
        panic!("getblk blocked")
    };
    let mut kk = k.borrow_mut();
    let bp = kk.bc.bufs[b as usize];
    for &p in &bp.pages[..16] {
        kk.vm.pages[p as usize].flags |= PG_VALID;
    }
    kk.bqrelse(b);
    assert_eq!(kk.bc.bufs[b as usize].queue, BQ_CLEAN);
    b
}

#[test]
fn recoverbufpages_cashes_in_clean_buffers() {
    let m = machine(128, KernelPreset::Dfly20080701);
    let k = &m.k;
    let b = clean_buffer(k);
    let _held = squeeze_to(k, 10);
    let mut f = Box::pin(recoverbufpages(k));
    let Poll::Ready(bytes) = poll_as(k, PD, f.as_mut()) else {
        panic!("blocked")
    };
    assert_eq!(bytes, 65536);
    let kk = k.borrow();
    assert_eq!(
        kk.vm.fc(),
        10 + 16,
        "every page of the clean buffer was freed"
    );
    assert_eq!(kk.stats.recovered_pages, 16);
    assert_eq!(kk.bc.bufs[b as usize].queue, BQ_EMPTYKVA);
}

#[test]
fn recoverbufpages_cannot_free_a_page_the_mapping_dirtied_again() {
    let m = machine(128, KernelPreset::Dfly20080701);
    let k = &m.k;
    let b = clean_buffer(k);
    let p0 = k.borrow().bc.bufs[b as usize].pages[0];
    k.borrow_mut().vm.pages[p0 as usize].flags |= PG_DIRTY;
    let _held = squeeze_to(k, 10);
    let mut f = Box::pin(recoverbufpages(k));
    assert!(poll_as(k, PD, f.as_mut()).is_ready());
    let kk = k.borrow();
    // the bytes are counted anyway, but the dirty page goes to the inactive queue
    assert_eq!(kk.vm.fc(), 10 + 15);
    assert_eq!(kk.vm.pages[p0 as usize].queue, PQ_INACTIVE);
}

#[test]
fn a_released_buffer_gives_its_pages_back_only_when_memory_is_severe() {
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let b = clean_buffer(k);
    assert_eq!(
        k.borrow().bc.bufs[b as usize].npages,
        16,
        "not severe: the pages stay wired"
    );
    let severe = k.borrow().vm.t.v_free_severe;
    let _held = squeeze_to(k, severe - 20);
    let mut kk = k.borrow_mut();
    kk.bc.bremfree(b);
    kk.bc.bufs[b as usize].lock = 0;
    kk.bqrelse(b);
    assert_eq!(
        kk.bc.bufs[b as usize].npages, 0,
        "severe: bqrelse turned into brelse"
    );
    assert_eq!(kk.vm.fc(), severe - 20 + 16, "the clean pages were cached");
}

#[test]
fn bdwrite_moves_the_dirt_from_the_pages_into_the_buffer() {
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let t = user_thread(k);
    let mut f = Box::pin(getblk(k, 0, 256, 65536, true));
    let Poll::Ready(b) = poll_as(k, t, f.as_mut()) else {
        panic!("getblk blocked")
    };
    let mut kk = k.borrow_mut();
    let pages = kk.bc.bufs[b as usize].pages;
    for &p in &pages {
        kk.vm.pages[p as usize].flags |= PG_VALID | PG_DIRTY;
    }
    kk.bdwrite(b);
    assert!(kk.bc.bufs[b as usize].has(B_DELWRI));
    assert_eq!(kk.bc.dirtybufspace, 65536);
    assert_eq!(
        kk.bc.dirtybufspacehw, 65536,
        "HAMMER data buffers are heavy"
    );
    assert!(pages
        .iter()
        .all(|&p| kk.vm.pages[p as usize].flags & PG_DIRTY == 0));
    kk.check_invariants().unwrap();
}

#[test]
fn every_valid_scenario_fits_the_packed_page_id() {
    use crate::scenario::limits::{FILE_MB, MMAP_WRITERS, WRITERS};
    let objects = u32::from(OBJ_VNODE0) + WRITERS.1 + MMAP_WRITERS.1;
    assert!(objects <= crate::vm::MAX_OBJECTS, "{objects} objects");
    assert!(FILE_MB.1 * 256 - 1 <= crate::vm::MAX_PINDEX);
    assert_eq!(size_of::<crate::vm::Page>(), 16);
}

#[test]
fn a_writer_in_bd_wait_wakes_once_its_share_of_dirty_data_has_retired() {
    use crate::buf::daemon::bd_wait;
    use crate::buf::BKVASIZE;
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let t = user_thread(k);
    let hi = k.borrow().bc.lim.hidirtybufspace;
    k.borrow_mut().bc.dirtybufspace = hi;
    // a waiter for less than one chunk sits in the very next slot
    let mut f = Box::pin(bd_wait(k, u64::from(BKVASIZE) / 2));
    assert!(poll_as(k, t, f.as_mut()).is_pending());
    k.borrow_mut().bd_signal(u64::from(BKVASIZE));
    assert_eq!(k.borrow().sched.threads[t].state, TState::Runnable);
    // one for three chunks sleeps through three retirements and wakes at the fourth
    let mut g = Box::pin(bd_wait(k, 3 * u64::from(BKVASIZE)));
    assert!(poll_as(k, t, g.as_mut()).is_pending());
    for _ in 0..3 {
        k.borrow_mut().bd_signal(u64::from(BKVASIZE));
        assert_eq!(k.borrow().sched.threads[t].state, TState::Sleeping);
    }
    k.borrow_mut().bd_signal(u64::from(BKVASIZE));
    assert_eq!(k.borrow().sched.threads[t].state, TState::Runnable);
    k.borrow_mut().bc.dirtybufspace = 0;
}

// ---- the later kernels: 59a5a4e861 (2010-10), 794fd6ea2c (2011-11), 20479584e1 (Dec 2008) ----

#[test]
fn the_2010_variant_counts_a_severe_emergency_success_and_prints_nothing() {
    let m = machine(128, KernelPreset::Dfly201010);
    let k = &m.k;
    let _held = squeeze_to(k, 2);
    let lines = k.borrow().console.lines().len();
    let mut f = Box::pin(bio_page_alloc(k, OBJ_VNODE0, 0, 16));
    assert!(poll_as(k, PD, f.as_mut()).is_pending());
    let kk = k.borrow();
    assert_eq!((kk.stats.emerg_allocs, kk.stats.lowmempgallocs), (1, 1));
    assert_eq!(kk.stats.lowmempgfails, 0);
    assert_eq!(
        kk.console.lines().len(),
        lines,
        "the success warning is gone"
    );
    // vm_wait(hz / 20 + 1) with the page in hand
    let th = &kk.sched.threads[PD];
    assert_eq!((th.wmesg, th.timed), ("VMWait", true));
    assert_eq!(
        kk.sched.events.peek().unwrap().0 .0,
        kk.sched.now + (HZ / 20 + 1) * 10_000
    );
}

#[test]
fn the_2010_variant_says_memory_exhausted_and_retries_after_one_second() {
    let m = machine(128, KernelPreset::Dfly201010);
    let k = &m.k;
    let _held = squeeze_to(k, 0);
    let mut f = Box::pin(bio_page_alloc(k, OBJ_VNODE0, 0, 16));
    assert!(poll_as(k, PD, f.as_mut()).is_pending());
    let kk = k.borrow();
    assert_eq!((kk.stats.emerg_fails, kk.stats.lowmempgfails), (1, 1));
    assert_eq!(kk.console.lines().last().unwrap().text, msg::EXHAUSTED);
    assert_eq!(
        msg::EXHAUSTED,
        "bio_page_alloc: Memory exhausted during bufcache page allocation"
    );
    assert_eq!(
        kk.sched.events.peek().unwrap().0 .0,
        kk.sched.now + HZ * 10_000,
        "vm_wait(hz), not 5 s"
    );
}

#[test]
fn in_2011_a_user_thread_never_reaches_the_interrupt_reserve() {
    let m = machine(128, KernelPreset::Dfly201111);
    let k = &m.k;
    let t = user_thread(k);
    let _held = squeeze_to(k, 2);
    let lines = k.borrow().console.lines().len();
    let mut f = Box::pin(bio_page_alloc(k, OBJ_VNODE0, 0, 16));
    assert!(poll_as(k, t, f.as_mut()).is_pending());
    {
        let kk = k.borrow();
        assert_eq!(
            kk.stats.recoverbufcalls, 1,
            "it still cashes in clean buffers"
        );
        assert_eq!((kk.stats.emerg_allocs, kk.stats.emerg_fails), (0, 0));
        assert_eq!(kk.console.lines().len(), lines, "and says nothing");
        let th = &kk.sched.threads[t];
        assert_eq!((th.wmesg, th.timed), ("vmwait", true));
        assert_eq!(
            kk.sched.events.peek().unwrap().0 .0,
            kk.sched.now + HZ * 10_000
        );
    }
    let seq = k.borrow().sched.threads[t].sleep_seq;
    k.borrow_mut().sched.timeout(t, seq);
    assert_eq!(poll_as(k, t, f.as_mut()), Poll::Ready(NONE));
    // the pageout daemon, a system thread, still takes the last pages
    let mut g = Box::pin(bio_page_alloc(k, OBJ_VNODE0, 1, 16));
    let _ = poll_as(k, PD, g.as_mut());
    assert_eq!(k.borrow().stats.emerg_allocs, 1);
}

#[test]
fn after_december_2008_every_allocation_wakes_the_daemon_but_only_below_severe() {
    for (kernel, wakes_above_severe) in [
        (KernelPreset::Dfly20080708, true),
        (KernelPreset::Dfly200812, false),
    ] {
        let m = machine(128, kernel);
        let k = &m.k;
        let t = user_thread(k);
        let severe = k.borrow().vm.t.v_free_severe;
        assert!(k.borrow().vm.paging_needed_at(severe + 2));
        let _held = squeeze_to(k, severe + 2);
        let mut kk = k.borrow_mut();
        kk.sched.cur = t;
        kk.vm.vm_pages_needed = false;
        // free+cache goes to severe + 1: below vm_paging_needed(), not below severe
        assert_ne!(kk.vm_page_alloc(OBJ_KERNEL, 0, N), NONE);
        assert_eq!(kk.vm.vm_pages_needed, wakes_above_severe, "{kernel:?}");
        kk.vm.vm_pages_needed = false;
        assert_ne!(kk.vm_page_alloc(OBJ_KERNEL, 0, N), NONE);
        assert_ne!(kk.vm_page_alloc(OBJ_KERNEL, 0, N), NONE);
        assert!(kk.vm.count_severe());
        assert!(kk.vm.vm_pages_needed, "{kernel:?}: below severe");
        // a request while the daemon is running below min is counted (vm_pages_needed > 1)
        let before = kk.vm.vm_pages_needed_more;
        assert_ne!(kk.vm_page_alloc(OBJ_KERNEL, 0, N), NONE);
        let counted = kk.vm.vm_pages_needed_more - before;
        assert_eq!(counted, u32::from(!wakes_above_severe), "{kernel:?}");
    }
}

/// A 64 MB machine on `kernel`, its active queue emptied onto the inactive one, swap full, and
/// two processes holding `a` and `b` dirty anonymous pages on the inactive queue.
fn out_of_swap(kernel: KernelPreset, a: u32, b: u32) -> (crate::kernel::Machine, [usize; 2]) {
    use crate::sched::TKind;
    use crate::vm::{OBJ_ANON, PQ_ACTIVE};
    let m = machine(64, kernel);
    let ids = {
        let mut kk = m.k.borrow_mut();
        let ids = [
            kk.sched.spawn("hogA".into(), TKind::Hog),
            kk.sched.spawn("hogB".into(), TKind::Hog),
        ];
        for (&t, n) in ids.iter().zip([a, b]) {
            kk.sched.cur = t;
            for i in 0..n {
                let p = kk.vm_page_alloc(OBJ_ANON, i, N);
                assert_ne!(p, NONE);
                kk.vm.pages[p as usize].flags = PG_VALID | PG_DIRTY;
                kk.vm_page_deactivate(p);
                kk.swap.set_owner(p, t);
            }
        }
        loop {
            let p = kk.vm.head(PQ_ACTIVE);
            if p == NONE {
                break;
            }
            kk.vm_page_deactivate(p);
        }
        kk.swap.full = true;
        ids
    };
    (m, ids)
}

#[test]
fn the_december_2008_oom_rule_kills_the_biggest_anonymous_process_and_frees_it() {
    let (m, [a, b]) = out_of_swap(KernelPreset::Dfly200812, 300, 500);
    let k = &m.k;
    let min = k.borrow().vm.t.v_free_min;
    let _held = squeeze_to(k, min + 1);
    let mut kk = k.borrow_mut();
    kk.sched.cur = PD;
    let n = kk.console.lines().len();
    kk.vm_pageout_oom_dec2008(1, 0);
    assert_eq!(kk.console.lines().len(), n, "free+cache is not below min");
    // the pages the active scan recycled do not count: min + 2 > free+cache
    kk.vm_pageout_oom_dec2008(0, 2);
    assert_eq!(
        kk.console.lines().last().unwrap().text,
        msg::LOW_MEMORY_SWAP
    );
    assert!(
        kk.load.killed.is_empty(),
        "no shortage left by the inactive scan: no kill"
    );
    kk.vm_pageout_oom_dec2008(1, 2);
    let last = kk.console.lines().last().unwrap().text.clone();
    assert_eq!(
        last,
        format!(
            "pid {} (hogB), uid 0, was killed: out of swap space",
            100 + b
        )
    );
    assert_eq!(kk.load.killed, [b]);
    assert_eq!(kk.stats.oom_kills, 1);
    assert!(kk.oom_kill.is_none(), "the run does not end");
    let fc = kk.vm.fc();
    kk.exit_killed(b);
    assert_eq!(kk.vm.fc(), fc + 500, "its anonymous pages are free");
    assert!(!kk.load.killed.contains(&a));
}

#[test]
fn the_december_2008_oom_rule_waits_for_a_bloated_inactive_queue() {
    let (m, _) = out_of_swap(KernelPreset::Dfly200812, 300, 500);
    let k = &m.k;
    let min = k.borrow().vm.t.v_free_min;
    let _held = squeeze_to(k, min - 1);
    let mut kk = k.borrow_mut();
    // move pages back to the active queue until inactive <= 4 x active
    while kk.vm.count[PQ_INACTIVE as usize] > 4 * kk.vm.count[crate::vm::PQ_ACTIVE as usize] {
        let p = kk.vm.head(PQ_INACTIVE);
        kk.vm_page_activate(p);
    }
    kk.sched.cur = PD;
    kk.vm_pageout_oom_dec2008(1, 0);
    assert_eq!(
        kk.console.lines().last().unwrap().text,
        msg::LOW_MEMORY_SWAP
    );
    assert!(kk.load.killed.is_empty());
}

#[test]
fn the_december_2008_active_scan_caches_clean_pages_while_short() {
    use crate::vm::{OBJ_ANON, PQ_ACTIVE, PQ_CACHE};
    let m = machine(64, KernelPreset::Dfly200812);
    let k = &m.k;
    let mut kk = k.borrow_mut();
    kk.sched.cur = PD;
    loop {
        let p = kk.vm.head(PQ_ACTIVE);
        if p == NONE {
            break;
        }
        kk.vm_page_deactivate(p);
    }
    // four dirty pages, then eight clean ones, all aged out (act_count 0, not referenced)
    let mut mine = Vec::new();
    for i in 0..12 {
        let p = kk.vm_page_alloc(OBJ_ANON, i, N);
        kk.vm.pages[p as usize].flags = if i < 4 { PG_VALID | PG_DIRTY } else { PG_VALID };
        kk.vm_page_activate(p);
        kk.vm.pages[p as usize].set_act(0);
        mine.push(p);
    }
    let cache = kk.vm.cache_count();
    let mut shortage = 5;
    let recycled = kk.active_scan_dec2008(0, &mut shortage);
    assert_eq!(shortage, 0, "it goes on until the shortage is met");
    assert_eq!(recycled, 4 + 5);
    assert_eq!(
        kk.vm.cache_count(),
        cache + 5,
        "the clean ones go to the cache"
    );
    let queue = |p: &u32| kk.vm.pages[*p as usize].queue;
    assert!(mine[..4].iter().all(|p| queue(p) == PQ_INACTIVE));
    assert!(mine[4..9].iter().all(|p| queue(p) == PQ_CACHE));
    // once the shortage is met the rest only go to the inactive queue, up to its target
    assert!(kk.vm.count[PQ_INACTIVE as usize] <= kk.vm.t.v_inactive_target);
    assert!(mine[9..].iter().all(|p| queue(p) == PQ_INACTIVE));
}
