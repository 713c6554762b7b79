//! Sampled counters in columns, the console log (dmesg style, every line) and what syslogd makes
//! of it in `/var/log/messages` (repeats folded).

use serde::{Deserialize, Serialize};

use crate::scenario::HZ;

/// Ticks between two samples.
pub const SAMPLE_EVERY: u64 = 10;

/// The sampled columns, in order. Byte counters are in bytes; counts are cumulative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Col {
    /// Simulated tick of the sample (hz = 100).
    Tick,
    /// `v_free_count`.
    Free,
    /// `v_cache_count`.
    Cache,
    /// `v_inactive_count`.
    Inactive,
    /// `v_active_count`.
    Active,
    /// `v_wire_count`.
    Wired,
    /// `bufspace` (KVA bytes held by buffers).
    Bufspace,
    /// `dirtybufspace` (bytes in B_DELWRI buffers).
    Dirtybufspace,
    /// `dirtybufspacehw` (bytes in heavy B_DELWRI buffers).
    Dirtybufspacehw,
    /// `runningbufspace` (bytes of writes in flight).
    Runningbufspace,
    /// Successful interrupt-reserve allocations in `bio_page_alloc` (cumulative).
    EmergAllocs,
    /// Failed interrupt-reserve allocations (cumulative).
    EmergFails,
    /// `recoverbufcalls` (cumulative).
    Recoverbufcalls,
    /// Pages `recoverbufpages` actually freed (cumulative).
    RecoveredPages,
    /// Pages freed or cached (cumulative; the progress measure of hang detection).
    PagesFreed,
    /// User bytes written by write(2) writers and pages dirtied by mmap writers, in KiB (cumulative).
    UserKb,
}

/// Number of columns.
pub const NCOLS: usize = 16;

impl Col {
    /// All columns in order.
    pub const ALL: [Col; NCOLS] = [
        Col::Tick,
        Col::Free,
        Col::Cache,
        Col::Inactive,
        Col::Active,
        Col::Wired,
        Col::Bufspace,
        Col::Dirtybufspace,
        Col::Dirtybufspacehw,
        Col::Runningbufspace,
        Col::EmergAllocs,
        Col::EmergFails,
        Col::Recoverbufcalls,
        Col::RecoveredPages,
        Col::PagesFreed,
        Col::UserKb,
    ];

    /// Column name (camelCase, as the page sees it).
    pub fn name(self) -> &'static str {
        match self {
            Col::Tick => "tick",
            Col::Free => "free",
            Col::Cache => "cache",
            Col::Inactive => "inactive",
            Col::Active => "active",
            Col::Wired => "wired",
            Col::Bufspace => "bufspace",
            Col::Dirtybufspace => "dirtybufspace",
            Col::Dirtybufspacehw => "dirtybufspacehw",
            Col::Runningbufspace => "runningbufspace",
            Col::EmergAllocs => "emergAllocs",
            Col::EmergFails => "emergFails",
            Col::Recoverbufcalls => "recoverbufcalls",
            Col::RecoveredPages => "recoveredPages",
            Col::PagesFreed => "pagesFreed",
            Col::UserKb => "userKb",
        }
    }

    /// What the page's charts call the column (their legend), and what exports put in their
    /// header: `dirtybufspace`, `emergency allocations`.
    pub fn label(self) -> &'static str {
        match self {
            Col::Tick => "time",
            Col::EmergAllocs => "emergency allocations",
            Col::EmergFails => "emergency failures",
            Col::Recoverbufcalls => "recoverbufpages calls",
            Col::RecoveredPages => "pages recovered",
            Col::PagesFreed => "pages freed or cached",
            Col::UserKb => "user data written",
            other => other.name(),
        }
    }

    /// The unit of the column's values as the engine records them (`tick` is in ticks of
    /// 1/100 s; exports write it as seconds).
    pub fn unit(self) -> &'static str {
        match self {
            Col::Tick => "tick",
            Col::Free | Col::Cache | Col::Inactive | Col::Active | Col::Wired => "pages",
            Col::RecoveredPages | Col::PagesFreed => "pages",
            Col::Bufspace | Col::Dirtybufspace | Col::Dirtybufspacehw | Col::Runningbufspace => {
                "bytes"
            }
            Col::EmergAllocs | Col::EmergFails | Col::Recoverbufcalls => "count",
            Col::UserKb => "KiB",
        }
    }
}

/// Sampled time series, one `Vec<u32>` per column.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    cols: [Vec<u32>; NCOLS],
}

impl Samples {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.cols[0].len()
    }

    /// True when nothing has been sampled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One column.
    pub fn col(&self, c: Col) -> &[u32] {
        &self.cols[c as usize]
    }

    /// One column by name.
    pub fn column(&self, name: &str) -> Option<&[u32]> {
        Col::ALL
            .iter()
            .find(|c| c.name() == name)
            .map(|&c| self.col(c))
    }

    /// Appends a row (values in `Col::ALL` order).
    pub(crate) fn push(&mut self, row: [u32; NCOLS]) {
        for (col, v) in self.cols.iter_mut().zip(row) {
            col.push(v);
        }
    }

    /// Row `i` in `Col::ALL` order.
    pub fn row(&self, i: usize) -> [u32; NCOLS] {
        std::array::from_fn(|c| self.cols[c][i])
    }
}

/// What each thread was doing at each sample, as `Thread::shown_wait` and `TState::name` show it:
/// indices into a table of the strings seen, one `u32` per thread per sample.
#[derive(Clone, Debug, Default)]
pub struct ThreadSamples {
    /// `threads` codes per sample, sample after sample.
    codes: Vec<u32>,
    /// Threads per sample (fixed once the first sample is taken).
    threads: usize,
    /// The wait messages and kernel functions seen (index 0 is "").
    words: Vec<&'static str>,
    /// The tick since which each thread was in its state, per sample.
    since: Vec<u32>,
}

/// A thread at a sample, as [`ThreadSamples::at`] gives it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadAt {
    /// `runnable`, `running`, `sleeping` or `exited`.
    pub state: &'static str,
    /// The wait message, empty when not sleeping.
    pub wmesg: &'static str,
    /// The kernel function it waits in, empty when none.
    pub path: &'static str,
    /// Whether the sleep has a timeout.
    pub timed: bool,
    /// Tick since which it is in this state.
    pub since: u64,
}

impl ThreadSamples {
    fn word(&mut self, w: &'static str) -> u32 {
        if w.is_empty() {
            return 0;
        }
        match self.words.iter().position(|&x| x == w) {
            Some(i) => i as u32,
            None => {
                self.words.push(w);
                self.words.len() as u32 - 1
            }
        }
    }

    /// Records every thread's state now.
    pub(crate) fn record(&mut self, threads: &[crate::sched::Thread]) {
        if self.words.is_empty() {
            self.words.push("");
            self.threads = threads.len();
        }
        for th in threads.iter().take(self.threads) {
            let (wmesg, path, timed) = th.shown_wait();
            let (s, w, p) = (
                self.word(th.state.name()),
                self.word(wmesg),
                self.word(path),
            );
            debug_assert!(s < 128 && w < 256 && p < 256, "{} words", self.words.len());
            self.codes
                .push(s | u32::from(timed) << 7 | w << 8 | p << 16);
            let since = th.since_us / crate::sched::TICK_US;
            self.since.push(since.min(u64::from(u32::MAX)) as u32);
        }
    }

    /// The threads at sample `i`, in thread order; empty past the last sample.
    pub fn at(&self, i: usize) -> Vec<ThreadAt> {
        let n = self.threads;
        let Some(codes) = self.codes.get(i * n..(i + 1) * n) else {
            return Vec::new();
        };
        codes
            .iter()
            .zip(&self.since[i * n..(i + 1) * n])
            .map(|(&c, &since)| ThreadAt {
                state: self.words[(c & 0x7f) as usize],
                timed: c >> 7 & 1 == 1,
                wmesg: self.words[(c >> 8 & 0xff) as usize],
                path: self.words[(c >> 16 & 0xff) as usize],
                since: u64::from(since),
            })
            .collect()
    }
}

/// What each thread was doing at the end of every tick in which the engine recorded a key moment
/// (an event), so that the state shown for a key moment is the state at its tick, not at the
/// sample before it.
#[derive(Clone, Debug, Default)]
pub struct MomentThreads {
    /// The tick of each record; the record shows the threads once that tick's work was done.
    pub ticks: Vec<u64>,
    /// The records, in the order of `ticks`.
    pub threads: ThreadSamples,
    /// Events seen when the last record was taken.
    pub(crate) events_seen: usize,
}

impl MomentThreads {
    /// Records the threads at the end of `tick`.
    pub(crate) fn record(&mut self, tick: u64, threads: &[crate::sched::Thread], events: usize) {
        self.ticks.push(tick);
        self.threads.record(threads);
        self.events_seen = events;
    }
}

/// One line of the console, or of `/var/log/messages`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Tick at which it was printed (or written, by syslogd).
    pub tick: u64,
    /// The message, without timestamp.
    pub text: String,
}

impl LogLine {
    /// `[   12.340000] text`, as dmesg prints it.
    pub fn dmesg(&self) -> String {
        format!("{} {}", timestamp(self.tick), self.text)
    }
}

/// Kernel-style timestamp for a tick: `[   12.340000]`.
pub fn timestamp(tick: u64) -> String {
    let us = tick * 10_000;
    format!("[{:5}.{:06}]", us / 1_000_000, us % 1_000_000)
}

/// The console: every line the kernel prints, in order. The console never folds repeats; that is
/// syslogd's doing, on its way to `/var/log/messages` ([`syslog_messages`]).
#[derive(Clone, Debug, Default)]
pub struct Console {
    lines: Vec<LogLine>,
}

impl Console {
    /// Prints a message at `tick`.
    pub fn print(&mut self, tick: u64, text: &str) {
        self.lines.push(LogLine {
            tick,
            text: text.to_string(),
        });
    }

    /// All lines printed so far.
    pub fn lines(&self) -> &[LogLine] {
        &self.lines
    }
}

/// syslogd's `repeatinterval[]`: seconds after a line was last written before a pending count of
/// repeats is written; each such flush backs off to the next interval, up to the last.
const REPEAT_INTERVAL: [u64; 3] = [30, 120, 600];
/// syslogd's `TIMERINTVL`: every 30 s `markit()` writes the repeats that have waited long enough.
const TIMER_INTERVAL: u64 = 30;
/// syslogd's `MAXSVLINE`: a longer message is not saved, so its repeats are never folded.
const MAXSVLINE: usize = 120;
/// What `logmsg()` puts in front of a kernel message; it counts towards `MAXSVLINE`. The view
/// leaves it out, as it leaves out the date and the host name.
const KERNEL_PREFIX: &str = "kernel: ";

/// The `struct filed` of `/var/log/messages`: the fields of syslogd.c that fold repeats.
struct Filed {
    out: Vec<LogLine>,
    /// `f_prevline`: the last message saved, `None` when it was too long to save.
    prevline: Option<String>,
    /// `f_prevcount`: repeats of it not written yet.
    prevcount: u32,
    /// `f_repeatcount`: index into `REPEAT_INTERVAL` (the back-off).
    repeatcount: usize,
    /// `f_time`: when the file was last written, in whole seconds.
    time: u64,
    /// Tick of the next `markit()`.
    next_mark: u64,
}

impl Filed {
    /// `REPEATTIME(f)`: `f_time + repeatinterval[f_repeatcount]`.
    fn repeattime(&self) -> u64 {
        self.time + REPEAT_INTERVAL[self.repeatcount]
    }

    /// `BACKOFF(f)`: the next interval, up to the last.
    fn backoff(&mut self) {
        self.repeatcount = (self.repeatcount + 1).min(REPEAT_INTERVAL.len() - 1);
    }

    /// `fprintlog()`: writes a line at `tick`; `f_time = now`, `f_prevcount = 0`.
    fn fprintlog(&mut self, tick: u64, text: String) {
        self.out.push(LogLine { tick, text });
        self.time = seconds(tick);
        self.prevcount = 0;
    }

    /// `fprintlog(f, 0, NULL)` with repeats pending: one repeat is written as the message again,
    /// more as `last message repeated N times`.
    fn flush(&mut self, tick: u64) {
        let text = match (self.prevcount, &self.prevline) {
            (1, Some(line)) => line.clone(),
            (n, _) => format!("last message repeated {n} times"),
        };
        self.fprintlog(tick, text);
    }

    /// `markit()` (`domark()` in older syslogd) at every 30 s alarm up to `tick`: a pending count is written once
    /// `now >= REPEATTIME(f)`, then `BACKOFF(f)`.
    fn marks_until(&mut self, tick: u64) {
        let every = TIMER_INTERVAL * HZ;
        while self.next_mark <= tick {
            if self.prevcount == 0 {
                // nothing pending: no alarm up to `tick` writes anything
                self.next_mark = (tick / every).saturating_add(1).saturating_mul(every);
                break;
            }
            let mark = self.next_mark;
            if seconds(mark) >= self.repeattime() {
                self.flush(mark);
                self.backoff();
            }
            self.next_mark = mark.saturating_add(every);
        }
    }

    /// `logmsg()` for one kernel line.
    fn logmsg(&mut self, line: &LogLine) {
        let now = seconds(line.tick);
        if self.prevline.as_deref() == Some(line.text.as_str()) {
            // a duplicate: count it, and write the count at once if markit() would have by now
            self.prevcount += 1;
            if now > self.repeattime() {
                self.flush(line.tick);
                self.backoff();
            }
        } else {
            // a new line: the pending count goes first, and the back-off starts over
            if self.prevcount > 0 {
                self.flush(line.tick);
            }
            self.repeatcount = 0;
            let saved = KERNEL_PREFIX.len() + line.text.len() < MAXSVLINE;
            self.prevline = saved.then(|| line.text.clone());
            self.fprintlog(line.tick, line.text.clone());
        }
    }
}

/// syslogd's clock, `time(2)`: whole seconds (the run starts at second 0, with syslogd's alarm).
fn seconds(tick: u64) -> u64 {
    tick / HZ
}

/// What syslogd has written to `/var/log/messages` by tick `now`, from the console's lines
/// (FreeBSD's syslogd.c, which DragonFly's follows: `logmsg()`, `markit()`, `fprintlog()`).
///
/// Repeats of a line are counted, not written; the count is written as `last message repeated N
/// times` (or, for one repeat, as the line again) when a different line comes, when a repeat
/// comes after the repeat interval has passed since the file was last written, or at the 30 s
/// alarm after that. Each such flush backs the interval off (30 s, 120 s, 600 s); a different line
/// starts it over. A count still pending at `now` is not written. Each line carries the tick at
/// which syslogd writes it, and the lines up to `now` never change as `now` grows.
pub fn syslog_messages(lines: &[LogLine], now: u64) -> Vec<LogLine> {
    let mut f = Filed {
        out: Vec::new(),
        prevline: None,
        prevcount: 0,
        repeatcount: 0,
        time: 0,
        next_mark: TIMER_INTERVAL * HZ,
    };
    for line in lines.iter().take_while(|l| l.tick <= now) {
        // an alarm due at the tick of a line goes first
        f.marks_until(line.tick);
        f.logmsg(line);
    }
    f.marks_until(now);
    f.out
}

/// FNV-1a over bytes, for trace hashes (same on every platform).
#[derive(Clone, Copy, Debug)]
pub struct Fnv(pub u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Mixes bytes in.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmesg_timestamps_have_six_decimals() {
        let l = LogLine {
            tick: 1234,
            text: "x".into(),
        };
        assert_eq!(l.dmesg(), "[   12.340000] x");
    }

    fn line(tick: u64, text: &str) -> LogLine {
        LogLine {
            tick,
            text: text.into(),
        }
    }

    /// `text` every `every` ticks from `from` to `to` inclusive.
    fn every(text: &str, from: u64, to: u64, every: u64) -> Vec<LogLine> {
        (from..=to)
            .step_by(every as usize)
            .map(|t| line(t, text))
            .collect()
    }

    fn pairs(lines: &[LogLine]) -> Vec<(u64, &str)> {
        lines.iter().map(|l| (l.tick, l.text.as_str())).collect()
    }

    #[test]
    fn the_console_keeps_every_line_it_prints() {
        let mut c = Console::default();
        for t in [1, 2, 3] {
            c.print(t, "a");
        }
        c.print(4, "b");
        assert_eq!(pairs(c.lines()), [(1, "a"), (2, "a"), (3, "a"), (4, "b")]);
    }

    #[test]
    fn syslogd_writes_a_retry_loop_at_thirty_seconds_then_backs_off_to_two_minutes() {
        // a line every 5 s for 200 s: the count is written by the 30 s alarm once 30 s, then
        // 120 s, have passed since the file was last written (not once, at the end)
        let raw = every("a", 0, 20_000, 500);
        let out = syslog_messages(&raw, 20_000);
        assert_eq!(
            pairs(&out),
            [
                (0, "a"),
                (3_000, "last message repeated 5 times"),
                (15_000, "last message repeated 24 times"),
            ]
        );
        // the 11 repeats since 150 s wait for 750 s (the back-off's last step, 600 s)
        assert_eq!(syslog_messages(&raw, 74_999).len(), 3);
        let late = syslog_messages(&raw, 75_000);
        assert_eq!(
            pairs(&late[3..]),
            [(75_000, "last message repeated 11 times")]
        );
    }

    #[test]
    fn a_different_line_writes_the_pending_count_first() {
        let raw = [line(0, "a"), line(100, "a"), line(200, "a"), line(300, "b")];
        assert_eq!(
            pairs(&syslog_messages(&raw, 300)),
            [(0, "a"), (300, "last message repeated 2 times"), (300, "b")]
        );
    }

    #[test]
    fn a_different_line_starts_the_back_off_over() {
        let mut raw = every("a", 0, 4_000, 500);
        raw.extend([line(4_100, "b"), line(5_000, "b"), line(7_500, "b")]);
        assert_eq!(
            pairs(&syslog_messages(&raw, 7_500)),
            [
                (0, "a"),
                (3_000, "last message repeated 5 times"),
                (4_100, "last message repeated 3 times"),
                (4_100, "b"),
                // 75 s is past 41 s + 30 s (not + 120 s): the repeat writes the count at once
                (7_500, "last message repeated 2 times"),
            ]
        );
    }

    #[test]
    fn a_single_repeat_is_written_as_the_line_again() {
        let raw = [line(0, "a"), line(100, "a"), line(200, "b")];
        assert_eq!(
            pairs(&syslog_messages(&raw, 200)),
            [(0, "a"), (200, "a"), (200, "b")]
        );
        // and the same when the alarm writes it
        let raw = [line(0, "a"), line(1_000, "a")];
        assert_eq!(
            pairs(&syslog_messages(&raw, 3_000)),
            [(0, "a"), (3_000, "a")]
        );
    }

    #[test]
    fn a_count_is_not_written_before_its_time() {
        let raw = [line(0, "a"), line(500, "a")];
        assert_eq!(pairs(&syslog_messages(&raw, 2_999)), [(0, "a")]);
        // syslogd's alarm runs on whole seconds of its own, every 30 s from the start
        let raw = [line(1_050, "a"), line(1_500, "a")];
        assert_eq!(pairs(&syslog_messages(&raw, 5_999)), [(1_050, "a")]);
        assert_eq!(
            pairs(&syslog_messages(&raw, 6_000)),
            [(1_050, "a"), (6_000, "a")]
        );
    }

    #[test]
    fn a_message_too_long_to_save_is_never_folded() {
        let long = "x".repeat(MAXSVLINE);
        let raw = every(&long, 0, 10_000, 500);
        assert_eq!(syslog_messages(&raw, 10_000), raw);
    }

    #[test]
    fn what_syslogd_wrote_never_changes_later() {
        let mut raw = every("a", 0, 20_000, 500);
        raw.extend([line(20_000, "b"), line(20_050, "b")]);
        raw.extend(every("a", 21_000, 90_000, 700));
        let end = syslog_messages(&raw, 90_000);
        for now in (0..=90_000).step_by(50) {
            let at = syslog_messages(&raw, now);
            assert_eq!(at[..], end[..at.len()], "at tick {now}");
            assert!(at.iter().all(|l| l.tick <= now), "at tick {now}");
        }
        assert!(end.windows(2).all(|w| w[0].tick <= w[1].tick));
    }
}
