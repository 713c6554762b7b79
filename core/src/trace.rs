//! Sampled counters in columns, and the console log (dmesg style, repeats folded as syslog does).

use serde::{Deserialize, Serialize};

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

/// One console line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Tick at which it was printed.
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

/// How long syslog keeps a repeated message before it prints the count (30 s).
const REPEAT_FLUSH_TICKS: u64 = 30 * 100;

/// The console: append-only lines with syslog-style folding of repeats.
#[derive(Clone, Debug, Default)]
pub struct Console {
    lines: Vec<LogLine>,
    /// Repeats of the last line not yet printed, and the tick of the last one.
    pending: u32,
    pending_tick: u64,
}

impl Console {
    /// Prints a message at `tick`.
    pub fn print(&mut self, tick: u64, text: &str) {
        if let Some(last) = self.lines.last() {
            if last.text == text {
                self.pending += 1;
                self.pending_tick = tick;
                return;
            }
        }
        self.flush();
        self.lines.push(LogLine {
            tick,
            text: text.to_string(),
        });
    }

    /// Prints the repeat count if repeats have waited long enough (syslogd's 30 s), or `force`.
    pub fn flush_repeats(&mut self, now: u64, force: bool) {
        if self.pending > 0 && (force || now >= self.pending_tick + REPEAT_FLUSH_TICKS) {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.pending > 0 {
            let n = self.pending;
            self.pending = 0;
            let text = if n == 1 {
                // syslog prints a single repeat as the message again
                self.lines
                    .last()
                    .map(|l| l.text.clone())
                    .unwrap_or_default()
            } else {
                format!("last message repeated {n} times")
            };
            self.lines.push(LogLine {
                tick: self.pending_tick,
                text,
            });
        }
    }

    /// All lines printed so far.
    pub fn lines(&self) -> &[LogLine] {
        &self.lines
    }
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

    #[test]
    fn repeats_fold_as_syslog_does() {
        let mut c = Console::default();
        c.print(1, "a");
        c.print(2, "a");
        c.print(3, "a");
        c.print(4, "b");
        let t: Vec<_> = c.lines().iter().map(|l| l.text.as_str()).collect();
        assert_eq!(t, ["a", "last message repeated 2 times", "b"]);
        assert_eq!(c.lines()[1].tick, 3);
    }

    #[test]
    fn long_runs_of_repeats_are_flushed_after_thirty_seconds() {
        let mut c = Console::default();
        c.print(0, "a");
        c.print(10, "a");
        c.flush_repeats(100, false);
        assert_eq!(c.lines().len(), 1);
        c.flush_repeats(3010, false);
        assert_eq!(c.lines()[1].text, "a");
        c.print(3020, "a");
        // the flushed line is again "a", so this folds onto it
        assert_eq!(c.lines().len(), 2);
    }
}
