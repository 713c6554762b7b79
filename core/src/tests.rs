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

/// `allocbuf` takes the resident pages of a block as they come, sleeps on the first hard-busy one
/// ("pgtblk") holding what it took, and once that page is unbusied takes it and goes on until a
/// missing page cannot be had: before the fix it then sleeps in `vm_wait` for good.
#[test]
fn allocbuf_takes_pages_in_order_and_sleeps_where_the_kernel_does() {
    use crate::vm::{PG_BUSY, PQ_CACHE, PQ_WIRED};
    let m = machine(128, KernelPreset::Dfly20080630);
    let k = &m.k;
    let t = user_thread(k);
    // pages 256..260 of vnode 0 are cached, page 260 is hard-busy (being read, say)
    let (cached, busy) = {
        let mut kk = k.borrow_mut();
        kk.sched.cur = t;
        let cached: Vec<u32> = (256..260)
            .map(|pi| {
                let p = kk.vm_page_alloc(OBJ_VNODE0, pi, N);
                kk.vm.pages[p as usize].flags = PG_VALID;
                kk.vm_page_cache(p);
                p
            })
            .collect();
        (cached, kk.vm_page_alloc(OBJ_VNODE0, 260, N))
    };
    let mut f = Box::pin(getblk(k, 0, 256, 65536, true));
    assert!(poll_as(k, t, f.as_mut()).is_pending());
    let b = k.borrow().bc.findblk(0, 256);
    {
        let kk = k.borrow();
        let bp = kk.bc.bufs[b as usize];
        assert_eq!(
            bp.pages[..bp.npages as usize],
            cached[..],
            "the cached pages, in order"
        );
        assert!(cached
            .iter()
            .all(|&p| kk.vm.pages[p as usize].queue == PQ_WIRED));
        assert_eq!(kk.sched.threads[t].wmesg, "pgtblk");
    }
    // the busy page is released while memory is at the end of the system reserve
    let _held = squeeze_to(k, 2);
    k.borrow_mut().vm_page_wakeup(busy);
    assert!(poll_as(k, t, f.as_mut()).is_pending());
    let kk = k.borrow();
    let bp = kk.bc.bufs[b as usize];
    assert_eq!(bp.npages, 5, "the unbusied page is the fifth");
    assert_eq!(bp.pages[4], busy);
    assert_eq!(kk.vm.pages[busy as usize].flags & PG_BUSY, 0);
    assert_ne!(kk.vm.pages[busy as usize].queue, PQ_CACHE);
    assert_eq!(
        kk.vm.lookup(OBJ_VNODE0, 261),
        NONE,
        "the sixth could not be had"
    );
    let th = &kk.sched.threads[t];
    assert_eq!((th.wmesg, th.timed), ("vmwait", false));
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

// ---- 2012 (55b50bd522) and 2017 (c3feb36a35) ------------------------------------------------

/// Fires the pending timeout of thread `t`'s sleep.
fn time_out(k: &crate::sched::Kc, t: usize) {
    let seq = k.borrow().sched.threads[t].sleep_seq;
    k.borrow_mut().sched.timeout(t, seq);
}

/// When thread `t`'s pending timeout fires, in µs from now.
fn timeout_in(k: &crate::sched::Kc, t: usize) -> u64 {
    let kk = k.borrow();
    let seq = kk.sched.threads[t].sleep_seq;
    let e = kk
        .sched
        .events
        .iter()
        .find(|e| e.0 .3 as usize == t && e.0 .4 == seq)
        .expect("a timeout");
    e.0 .0 - kk.sched.now
}

#[test]
fn the_2012_bio_page_alloc_tries_three_times_then_warns_naming_the_thread() {
    let m = machine(128, KernelPreset::Dfly201201);
    let k = &m.k;
    let _held = squeeze_to(k, 0);
    let t = user_thread(k);
    let mut f = Box::pin(bio_page_alloc(k, OBJ_VNODE0, 0, 16));
    // two tries failed: vm_wait(hz/20 + 1), no warning yet, no recoverbufpages
    assert!(poll_as(k, t, f.as_mut()).is_pending());
    assert_eq!(k.borrow().sched.threads[t].wmesg, "vmwait");
    assert_eq!(timeout_in(k, t), (HZ / 20 + 1) * 10_000);
    assert_eq!(k.borrow().console.lines().len(), 2, "only the boot lines");
    assert_eq!(k.borrow().stats.recoverbufcalls, 0);
    time_out(k, t);
    // the third try failed: the rate-limited warning with the thread's name, vm_wait(hz/2 + 1)
    assert!(poll_as(k, t, f.as_mut()).is_pending());
    {
        let kk = k.borrow();
        assert_eq!(
            kk.console.lines().last().unwrap().text,
            "Warning: bio_page_alloc: memory exhausted during bufcache page allocation from test"
        );
        assert_eq!(kk.stats.emerg_fails, 1);
    }
    assert_eq!(timeout_in(k, t), (HZ / 2 + 1) * 10_000);
    time_out(k, t);
    // then NULL: allocbuf loops
    assert_eq!(poll_as(k, t, f.as_mut()), Poll::Ready(NONE));
}

#[test]
fn the_2012_bio_page_alloc_gives_system_threads_the_interrupt_reserve_at_once() {
    let m = machine(128, KernelPreset::Dfly201201);
    let k = &m.k;
    let _held = squeeze_to(k, 2);
    let mut f = Box::pin(bio_page_alloc(k, OBJ_VNODE0, 0, 16));
    // the second try, with VM_ALLOC_INTERRUPT, succeeds: no pause, no message
    let Poll::Ready(p) = poll_as(k, PD, f.as_mut()) else {
        panic!("the daemon got a page without sleeping")
    };
    assert_ne!(p, NONE);
    let kk = k.borrow();
    assert_eq!(kk.stats.emerg_allocs, 1);
    assert_eq!(kk.console.lines().len(), 2);
}

#[test]
fn the_2012_warning_is_printed_at_most_once_a_second() {
    let mut r = crate::buf::Krate::default();
    assert!(r.allow(0));
    assert!(!r.allow(99), "same second");
    assert!(r.allow(100));
    assert!(!r.allow(150));
    assert!(r.allow(1000));
}

#[test]
fn from_2012_a_released_buffer_gives_its_pages_back_below_min() {
    for (kernel, back) in [
        (KernelPreset::Dfly20080708, false),
        (KernelPreset::Dfly201201, true),
    ] {
        let m = machine(128, kernel);
        let k = &m.k;
        let b = clean_buffer(k);
        // below v_free_min, above v_free_severe
        let t = k.borrow().vm.t;
        let _held = squeeze_to(k, t.v_free_min - 1);
        assert!(!k.borrow().vm.count_severe());
        let mut kk = k.borrow_mut();
        kk.bc.bremfree(b);
        kk.bc.bufs[b as usize].lock = 0;
        kk.bqrelse(b);
        assert_eq!(kk.bc.bufs[b as usize].npages == 0, back, "{kernel:?}");
    }
}

#[test]
fn from_2012_hammer_starts_the_write_of_pageout_data_at_once() {
    for (kernel, writing) in [
        (KernelPreset::Dfly20080708, false),
        (KernelPreset::Dfly201201, true),
    ] {
        let m = machine(128, kernel);
        let k = &m.k;
        k.borrow_mut()
            .vnodes
            .push(crate::fs::Vnode::new(crate::FsKind::Hammer, 1024, 4));
        // two pages of the 64 KB block at 1 MB, as an asynchronous (IO_ASYNC) putpages
        let mut f = Box::pin(crate::fs::putpages(k, 0, 256, 2, false));
        assert!(poll_as(k, PD, f.as_mut()).is_ready(), "{kernel:?}");
        let kk = k.borrow();
        let b = kk.bc.findblk(0, 256);
        let bp = kk.bc.bufs[b as usize];
        assert_eq!(bp.has(crate::buf::B_WRITEIO), writing, "{kernel:?}");
        assert_eq!(bp.has(B_DELWRI), !writing, "{kernel:?}");
        assert_eq!(kk.bc.runningbufspace, if writing { 65536 } else { 0 });
    }
}

#[test]
fn from_2012_a_finished_record_wakes_the_flusher_when_memory_is_severe() {
    for (kernel, woken) in [
        (KernelPreset::Dfly20080708, false),
        (KernelPreset::Dfly201201, true),
    ] {
        let mut m = machine(128, kernel);
        m.run_until(1); // the kernel threads go to sleep
        let k = &m.k;
        let fl = k
            .borrow()
            .sched
            .threads
            .iter()
            .position(|t| t.name == "hammer_flusher")
            .unwrap();
        assert_eq!(k.borrow().sched.threads[fl].wmesg, "hmrwwa");
        k.borrow_mut().hammer_record_done();
        assert_eq!(
            k.borrow().sched.threads[fl].state,
            TState::Sleeping,
            "memory is plentiful"
        );
        let severe = k.borrow().vm.t.v_free_severe;
        let _held = squeeze_to(k, severe - 1);
        k.borrow_mut().hammer_record_done();
        let state = k.borrow().sched.threads[fl].state;
        assert_eq!(state == TState::Runnable, woken, "{kernel:?}");
    }
}

/// The emergency pager's thread id.
fn emergpager(k: &crate::sched::Kc) -> usize {
    k.borrow()
        .sched
        .threads
        .iter()
        .position(|t| t.name == "emergpager")
        .expect("an emergpager thread")
}

#[test]
fn only_the_2017_kernel_has_an_emergency_pager() {
    for kernel in KernelPreset::ALL {
        let m = machine(128, kernel);
        let has =
            m.k.borrow()
                .sched
                .threads
                .iter()
                .any(|t| t.name == "emergpager");
        assert_eq!(has, kernel.policy().emergency_pager, "{kernel:?}");
    }
}

#[test]
fn the_emergency_pager_takes_over_when_the_daemon_has_not_got_on_for_two_seconds() {
    let m = machine(128, KernelPreset::Dfly201708);
    let k = &m.k;
    let ep = emergpager(k);
    let mut f = Box::pin(crate::pageout::vm_emergpager(k.clone()));
    let running = |k: &crate::sched::Kc| {
        k.borrow()
            .console
            .lines()
            .iter()
            .filter(|l| l.text == msg::EMERG_PAGER_RUNNING)
            .count()
    };
    // nothing needed: a 10 s sleep
    assert!(poll_as(k, ep, f.as_mut()).is_pending());
    assert_eq!(timeout_in(k, ep), 10 * HZ * 10_000);
    {
        let mut kk = k.borrow_mut();
        kk.vm.vm_pages_needed = true;
        kk.sched.now = 100 * 10_000;
        kk.vm_pagedaemon_time = 100;
    }
    time_out(k, ep);
    // paging is needed, but the daemon stamped its time just now: it only watches, every second
    assert!(poll_as(k, ep, f.as_mut()).is_pending());
    assert_eq!(timeout_in(k, ep), HZ * 10_000);
    assert_eq!(running(k), 0);
    k.borrow_mut().sched.now = 301 * 10_000;
    time_out(k, ep);
    assert!(poll_as(k, ep, f.as_mut()).is_pending());
    assert_eq!(running(k), 1, "2.01 s without the daemon getting on");
    k.borrow_mut().vm_pagedaemon_time = 301;
    time_out(k, ep);
    assert!(poll_as(k, ep, f.as_mut()).is_pending());
    assert_eq!(
        k.borrow().console.lines().last().unwrap().text,
        msg::EMERG_PAGER_FINISHED
    );
}

#[test]
fn the_emergency_pager_pages_out_anonymous_memory_and_leaves_vnode_pages_alone() {
    let m = machine(128, KernelPreset::Dfly201708);
    let k = &m.k;
    let ep = emergpager(k);
    let (anon, file) = {
        let mut kk = k.borrow_mut();
        kk.sched.cur = ep;
        let mut page = |obj| {
            let p = kk.vm_page_alloc(obj, 0, N);
            kk.vm.pages[p as usize].flags = PG_VALID | PG_DIRTY;
            kk.vm_page_deactivate(p);
            p
        };
        (page(crate::vm::OBJ_ANON), page(OBJ_VNODE0))
    };
    let target = k.borrow().vm.t.v_free_target;
    let _held = squeeze_to(k, target / 2);
    // pass 1: dirty pages are laundered at once
    let mut f = Box::pin(crate::pageout::vm_pageout_scan(k, 1));
    assert!(
        poll_as(k, ep, f.as_mut()).is_ready(),
        "it never blocks on a vnode"
    );
    let kk = k.borrow();
    assert_eq!(kk.vm.pages[anon as usize].busy, 1, "on its way to swap");
    assert_eq!(kk.swap.used, 1);
    let pg = kk.vm.pages[file as usize];
    assert_eq!((pg.queue, pg.busy), (PQ_INACTIVE, 0));
    assert_ne!(pg.flags & PG_DIRTY, 0);
    assert_eq!(kk.sched.threads[ep].acct.pageouts, 1);
}

// ---- what-ifs: how Linux and FreeBSD answer the same load (kernel-2008.md §7) ----------------

/// The thread the boot spawned with `kind`.
fn thread_of(k: &crate::sched::Kc, kind: crate::sched::TKind) -> usize {
    let kk = k.borrow();
    let t = kk.sched.threads.iter().position(|th| th.kind == kind);
    t.unwrap_or_else(|| panic!("no {kind:?} thread"))
}

#[test]
fn what_if_pf_memalloc_the_pageout_daemon_takes_the_last_free_page() {
    for (kernel, last) in [
        (KernelPreset::Dfly20080630, 2),
        (KernelPreset::WhatifLinux, 0),
    ] {
        let m = machine(128, kernel);
        let k = &m.k;
        let t = user_thread(k);
        let _held = squeeze_to(k, 2);
        let mut kk = k.borrow_mut();
        kk.sched.cur = t;
        assert_eq!(
            kk.vm_page_alloc(OBJ_KERNEL, 0, N | S),
            NONE,
            "{kernel:?}: nobody else"
        );
        kk.sched.cur = PD;
        while kk.vm_page_alloc(OBJ_KERNEL, 0, N) != NONE {}
        assert_eq!(kk.vm.fc(), last, "{kernel:?}");
    }
}

#[test]
fn what_if_mempool_allocbuf_draws_on_the_pool_sleeps_on_it_and_io_completion_refills_it() {
    let m = machine(128, KernelPreset::WhatifLinux);
    let k = &m.k;
    let t = user_thread(k);
    let size = crate::buf::MAXBSIZE / PAGE_SIZE * 2;
    assert_eq!(k.borrow().mempool.len() as u32, size, "set aside at boot");
    let mut held = squeeze_to(k, 0);
    for i in 0..size {
        let mut f = Box::pin(bio_page_alloc(k, OBJ_VNODE0, i, 1));
        let Poll::Ready(p) = poll_as(k, t, f.as_mut()) else {
            panic!("the pool has pages")
        };
        assert_ne!(p, NONE);
        let kk = k.borrow();
        assert_eq!(kk.vm.lookup(OBJ_VNODE0, i), p, "the page is in the object");
    }
    assert!(k.borrow().mempool.is_empty());
    k.borrow().check_invariants().unwrap();
    // the pool is empty: sleep on it, 5 s at most, not in vm_wait
    let mut f = Box::pin(bio_page_alloc(k, OBJ_VNODE0, size, 1));
    assert!(poll_as(k, t, f.as_mut()).is_pending());
    {
        let kk = k.borrow();
        let th = &kk.sched.threads[t];
        assert_eq!(
            (th.wmesg, th.path, th.timed),
            ("mempool", "mempool_alloc", true)
        );
    }
    // an I/O completion that gives pages back refills the pool and wakes the sleeper
    release(k, &mut held, 3);
    k.borrow_mut().mempool_free(3);
    assert_eq!(k.borrow().mempool.len(), 3);
    assert_eq!(k.borrow().sched.threads[t].state, TState::Runnable);
    assert_eq!(
        poll_as(k, t, f.as_mut()),
        Poll::Ready(NONE),
        "allocbuf retries"
    );
    // below v_free_reserved only the pages a completion gave back go in
    k.borrow_mut().mempool_free(0);
    assert_eq!(k.borrow().mempool.len(), 3);
    k.borrow().check_invariants().unwrap();
}

#[test]
fn what_if_pageprocwait_the_pageout_daemon_and_its_laundry_thread_sleep_one_tick() {
    let m = machine(128, KernelPreset::WhatifFreebsd);
    let k = &m.k;
    let laundry = thread_of(k, crate::sched::TKind::Laundry);
    let _held = squeeze_to(k, 0);
    for t in [PD, laundry] {
        let mut f = Box::pin(vm_wait(k, 0, "test"));
        assert!(poll_as(k, t, f.as_mut()).is_pending());
        let (wmesg, timed) = {
            let kk = k.borrow();
            (kk.sched.threads[t].wmesg, kk.sched.threads[t].timed)
        };
        assert_eq!((wmesg, timed), ("pageprocwait", true), "thread {t}");
        let seq = k.borrow().sched.threads[t].sleep_seq;
        k.borrow_mut().sched.timeout(t, seq);
        assert!(poll_as(k, t, f.as_mut()).is_ready());
    }
    // anyone else still waits for v_free_min, with no timeout
    let u = user_thread(k);
    let mut f = Box::pin(vm_wait(k, 0, "test"));
    assert!(poll_as(k, u, f.as_mut()).is_pending());
    assert_eq!(k.borrow().sched.threads[u].wmesg, "vmwait");
}

#[test]
fn what_if_the_laundry_thread_allocates_like_the_pageout_daemon_and_the_flusher_does_not() {
    let m = machine(128, KernelPreset::WhatifFreebsd);
    let k = &m.k;
    let laundry = thread_of(k, crate::sched::TKind::Laundry);
    assert!(k.borrow().systhread(laundry), "a thread of pageproc");
    let m = machine(128, KernelPreset::WhatifLinux);
    let flush = thread_of(&m.k, crate::sched::TKind::Flush);
    assert!(!m.k.borrow().systhread(flush), "an ordinary kernel thread");
}

#[test]
fn what_if_the_pageout_daemon_hands_dirty_file_pages_over_and_moves_on() {
    use crate::pageout::vm_pageout_scan;
    use crate::sched::TKind;
    use crate::vm::{PG_LAUNDER, PG_WINATCFLS};
    for (kernel, kind) in [
        (KernelPreset::WhatifLinux, TKind::Flush),
        (KernelPreset::WhatifFreebsd, TKind::Laundry),
    ] {
        let m = machine(128, kernel);
        let k = &m.k;
        let worker = thread_of(k, kind);
        // the worker idles until it is handed a page
        let mut idle = Box::pin(crate::pageout::vm_launder(std::rc::Rc::clone(k)));
        assert!(poll_as(k, worker, idle.as_mut()).is_pending());
        let p = {
            let mut kk = k.borrow_mut();
            kk.sched.cur = PD;
            let p = kk.vm_page_alloc(OBJ_VNODE0, 7, N);
            kk.vm.pages[p as usize].flags = PG_VALID | PG_DIRTY | PG_WINATCFLS;
            kk.vm.enqueue_tail(p, PQ_INACTIVE);
            p
        };
        let _held = squeeze_to(k, 100);
        let mut scan = Box::pin(vm_pageout_scan(k, 0));
        assert!(
            poll_as(k, PD, scan.as_mut()).is_ready(),
            "{kernel:?}: the scan never blocks in the filesystem"
        );
        let kk = k.borrow();
        let pg = kk.vm.pages[p as usize];
        assert_eq!(pg.queue, PQ_INACTIVE, "{kernel:?}");
        assert_eq!(pg.flags & (PG_DIRTY | PG_LAUNDER), PG_DIRTY | PG_LAUNDER);
        assert_eq!(kk.launder_q.iter().copied().collect::<Vec<_>>(), [(0, 7)]);
        assert_eq!(kk.sched.threads[worker].state, TState::Runnable);
        assert_eq!(kk.stats.pageouts, 0, "the daemon wrote nothing itself");
    }
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

/// At pass 0 no page can be deactivated, so the active scan ages every active page and leaves
/// the queue's order as it was — whether it visits them in queue order (few active pages) or in
/// memory order (most pages active).
#[test]
fn the_active_scan_at_pass_0_ages_every_active_page_and_keeps_the_order() {
    use crate::vm::{Page, ACT_ADVANCE, ACT_MAX, OBJ_ANON, PG_BUSY, PG_REFERENCED, PQ_ACTIVE};
    for most_active in [true, false] {
        let m = machine(32, KernelPreset::Dfly20080630);
        let mut kk = m.k.borrow_mut();
        kk.sched.cur = PD;
        let mut i = 0;
        loop {
            let p = kk.vm_page_alloc(OBJ_ANON, i, N);
            if p == NONE {
                break;
            }
            kk.vm.pages[p as usize].flags = if i % 3 == 0 {
                PG_VALID | PG_REFERENCED
            } else {
                PG_VALID
            };
            kk.vm_page_activate(p);
            kk.vm.pages[p as usize].set_act((i % 11) as u8);
            if i % 7 == 0 {
                kk.vm.pages[p as usize].busy = 1;
            }
            i += 1;
        }
        if !most_active {
            while kk.vm.count[PQ_ACTIVE as usize] as usize * 2 >= kk.vm.pages.len() {
                let p = kk.vm.head(PQ_ACTIVE);
                kk.vm_page_deactivate(p);
            }
        }
        let walk = |kk: &crate::kernel::Kernel| {
            let mut out = Vec::new();
            let mut p = kk.vm.head(PQ_ACTIVE);
            while p != NONE {
                out.push(p);
                p = kk.vm.pages[p as usize].next;
            }
            out
        };
        let order = walk(&kk);
        let active = kk.vm.count[PQ_ACTIVE as usize];
        assert_eq!(order.len(), active as usize);
        assert_eq!(active as usize * 2 >= kk.vm.pages.len(), most_active);
        let before: Vec<Page> = kk.vm.pages.clone();
        kk.active_scan(0, i64::from(active));
        assert_eq!(walk(&kk), order, "the queue keeps its order");
        for (p, (was, now)) in before.iter().zip(&kk.vm.pages).enumerate() {
            let mut want = *was;
            if was.queue == PQ_ACTIVE && was.busy == 0 && was.flags & PG_BUSY == 0 {
                if was.flags & PG_REFERENCED != 0 {
                    want.flags &= !PG_REFERENCED;
                    want.set_act((was.act() + ACT_ADVANCE + 1).min(ACT_MAX));
                } else {
                    want.set_act(was.act().saturating_sub(1));
                }
            }
            assert_eq!(
                (now.flags, now.act(), now.queue),
                (want.flags, want.act(), want.queue),
                "page {p} (most active: {most_active})"
            );
        }
    }
}
