//! `Scenario`: everything that determines a run, with validation and named presets.
//!
//! Two runs of the same `Scenario` are bit-identical, natively and in wasm. Defaults and presets
//! live here and are exported to the page, so the page and the engine cannot disagree.

use serde::{Deserialize, Serialize};

use crate::policy::{KernelPreset, Policy, PolicyOverrides};

pub mod budget;
pub mod intervention;
pub mod link;

/// Simulated ticks per second (`hz`).
pub const HZ: u64 = 100;
/// Milliseconds per tick.
pub const MS_PER_TICK: u64 = 1000 / HZ;

/// Which filesystem the workload's files live on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FsKind {
    /// HAMMER: 16 KB blocks below 1 MB of a file, 64 KB beyond; pageout data is `bdwrite`n.
    #[serde(rename = "hammer")]
    Hammer,
    /// UFS: 16 KB blocks; pageout data is written at once and released.
    #[serde(rename = "ufs")]
    Ufs,
}

impl FsKind {
    /// Name used in links.
    pub fn name(self) -> &'static str {
        match self {
            FsKind::Hammer => "hammer",
            FsKind::Ufs => "ufs",
        }
    }
}

/// The machine: memory and disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Machine {
    /// Physical memory in MiB.
    pub ram_mb: u32,
    /// Disk seek + rotational latency per request, in milliseconds.
    pub disk_seek_ms: u32,
    /// Disk transfer rate in MiB/s.
    pub disk_mb_s: u32,
    /// Swap space on the disk in MiB (0 = none): where anonymous pages go when laundered.
    #[serde(default = "default_swap_mb")]
    pub swap_mb: u32,
}

fn default_swap_mb() -> u32 {
    256
}

/// HAMMER's kernel memory (kernel-2008.md §5, `kern_slaballoc.c`): the in-memory records its
/// strategy writes install, the slab zones they come from, and how long they live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HammerMem {
    /// kmalloc's `ZoneSize` in KiB; 0 (`kzone=auto`) sizes it from memory as `kmeminit` does
    /// ([`crate::kmalloc::kmeminit_zone_bytes`]: 32 KiB up to 67 MB, 64 KiB from 68 MB, 128 KiB
    /// from 135 MB).
    pub zone_kb: u32,
    /// Bytes per in-memory record: `sizeof(struct hammer_record)` on i386 (140), rounded to the
    /// 16-byte chunk of kmalloc's 128..255-byte sizes.
    pub record_bytes: u32,
    /// How long a record lives after its write completes, until the flusher finalizes it, in
    /// ms: the syncer's 30 s.
    pub flush_ms: u64,
}

impl Default for HammerMem {
    fn default() -> Self {
        HammerMem {
            zone_kb: 0,
            record_bytes: 144,
            flush_ms: 30_000,
        }
    }
}

fn yes() -> bool {
    true
}

/// What user processes do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    /// Processes doing sequential write(2) to their own file.
    pub writers: u32,
    /// Size of each writer's file in MiB (it rewrites it from the start when it reaches the end).
    pub writer_file_mb: u32,
    /// Each writer's rate in KiB/s (0 = as fast as the kernel lets it).
    pub writer_kb_s: u32,
    /// Processes dirtying pages of a MAP_SHARED writable mapping of their own large file.
    pub mmap_writers: u32,
    /// Size of each mapped file in MiB.
    pub mmap_file_mb: u32,
    /// Pages each mmap writer touches per second.
    pub mmap_pages_s: u32,
    /// Processes that allocate anonymous memory and keep it.
    pub hogs: u32,
    /// Anonymous memory per hog, in MiB.
    pub hog_mb: u32,
    /// Each hog's allocation rate in MiB/s.
    pub hog_mb_s: u32,
    /// When the hogs start, in milliseconds of simulated time.
    pub hog_start_ms: u64,
    /// The writers write(2) into the mapped files (writer i into mapped file i mod `mmap`)
    /// instead of files of their own, so the pageout daemon meets vnodes they hold locked.
    #[serde(default)]
    pub shared: bool,
}

/// Everything that determines a run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// Kernel version.
    pub preset: KernelPreset,
    /// Per-mechanism overrides on top of the preset.
    #[serde(default)]
    pub overrides: PolicyOverrides,
    /// Memory and disk.
    pub machine: Machine,
    /// Filesystem of every file in the workload.
    pub fs: FsKind,
    /// User processes.
    pub workload: Workload,
    /// The one seed every random choice derives from. Crosses to JS as a string.
    #[serde(with = "seed_string")]
    pub seed: u64,
    /// How long to run, in milliseconds of simulated time.
    pub duration_ms: u64,
    /// No progress for this long while something waits for memory or buffers = hung.
    pub hang_window_ms: u64,
    /// Start from a machine that has been running the workload for a while: the mapped files'
    /// pages resident on the active, inactive and cache queues with aged `act_count`s, and the
    /// buffer cache full of the writers' recently written blocks. Off: a freshly booted machine.
    #[serde(default = "yes")]
    pub warm: bool,
    /// HAMMER's kernel memory.
    #[serde(default)]
    pub hammer: HammerMem,
    /// UFS block size in KiB (`newfs -b`; 16 by default in 2008): small blocks make many small
    /// dirty buffers, the case the July 7 count rule was added for.
    #[serde(default = "default_ufs_block_kb")]
    pub ufs_block_kb: u32,
    /// Timed interventions, in time order (link key `at`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interventions: Vec<intervention::Intervention>,
}

fn default_ufs_block_kb() -> u32 {
    16
}

/// Limits on scenario values (the engine budget in a browser tab).
pub mod limits {
    /// RAM in MiB.
    pub const RAM_MB: (u32, u32) = (32, 4096);
    /// Seek time in ms.
    pub const DISK_SEEK_MS: (u32, u32) = (0, 100);
    /// Bandwidth in MiB/s.
    pub const DISK_MB_S: (u32, u32) = (1, 2000);
    /// Writer count.
    pub const WRITERS: (u32, u32) = (0, 8);
    /// File size in MiB (writer and mmap).
    pub const FILE_MB: (u32, u32) = (1, 8192);
    /// Writer rate in KiB/s (0 = unlimited).
    pub const WRITER_KB_S: (u32, u32) = (0, 1_000_000);
    /// mmap writers.
    pub const MMAP_WRITERS: (u32, u32) = (0, 4);
    /// Pages touched per second.
    pub const MMAP_PAGES_S: (u32, u32) = (1, 1_000_000);
    /// Hogs.
    pub const HOGS: (u32, u32) = (0, 4);
    /// Hog size in MiB.
    pub const HOG_MB: (u32, u32) = (0, 8192);
    /// Hog rate in MiB/s.
    pub const HOG_MB_S: (u32, u32) = (1, 10_000);
    /// Duration in ms: 1 s .. 1 h.
    pub const DURATION_MS: (u64, u64) = (1_000, 3_600_000);
    /// Hang window in ms.
    pub const HANG_WINDOW_MS: (u64, u64) = (100, 600_000);
    /// Swap in MiB.
    pub const SWAP_MB: (u32, u32) = (0, 16_384);
    /// kmalloc zone size in KiB, when it is given (0 is `auto`).
    pub const ZONE_KB: (u32, u32) = (4, 1024);
    /// HAMMER record size in bytes.
    pub const RECORD_BYTES: (u32, u32) = (16, 4096);
    /// Record lifetime after its write, in ms.
    pub const FLUSH_MS: (u64, u64) = (10, 600_000);

    /// Every limit by the name its field has in the serde form (camelCase), for the page's
    /// controls; `fileMb` applies to both file sizes.
    pub fn table() -> Vec<(&'static str, u64, u64)> {
        let w = |(a, b): (u32, u32)| (u64::from(a), u64::from(b));
        let rows = [
            ("ramMb", w(RAM_MB)),
            ("diskSeekMs", w(DISK_SEEK_MS)),
            ("diskMbS", w(DISK_MB_S)),
            ("writers", w(WRITERS)),
            ("fileMb", w(FILE_MB)),
            ("writerKbS", w(WRITER_KB_S)),
            ("mmapWriters", w(MMAP_WRITERS)),
            ("mmapPagesS", w(MMAP_PAGES_S)),
            ("hogs", w(HOGS)),
            ("hogMb", w(HOG_MB)),
            ("hogMbS", w(HOG_MB_S)),
            ("durationMs", DURATION_MS),
            ("hangWindowMs", HANG_WINDOW_MS),
            ("swapMb", w(SWAP_MB)),
            ("zoneKb", w(ZONE_KB)),
            ("recordBytes", w(RECORD_BYTES)),
            ("flushMs", FLUSH_MS),
        ];
        rows.iter().map(|&(n, (a, b))| (n, a, b)).collect()
    }
}

/// One problem with a scenario: the field, what was given, and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Field (link key) name.
    pub field: String,
    /// The value given.
    pub given: String,
    /// What is allowed.
    pub allowed: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: got {}, allowed {}",
            self.field, self.given, self.allowed
        )
    }
}

/// All problems found in a scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioErrors(pub Vec<FieldError>);

impl std::fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

fn check<T: PartialOrd + std::fmt::Display + Copy>(
    errs: &mut Vec<FieldError>,
    field: &str,
    v: T,
    (lo, hi): (T, T),
    unit: &str,
) {
    if v < lo || v > hi {
        errs.push(FieldError {
            field: field.to_string(),
            given: format!("{v}{unit}"),
            allowed: format!("{lo}{unit}..={hi}{unit}"),
        });
    }
}

impl Scenario {
    /// The effective policy: preset plus overrides.
    pub fn policy(&self) -> Policy {
        self.overrides.apply(self.preset.policy())
    }

    /// The size of HAMMER's record zones in bytes: `kzone` when it is given, otherwise what
    /// `kmeminit` makes of this machine's memory.
    pub fn zone_bytes(&self) -> u32 {
        match self.hammer.zone_kb {
            0 => {
                // clamped, so that `validate` can ask before it has checked `ram`
                let ram = (self.machine.ram_mb).clamp(limits::RAM_MB.0, limits::RAM_MB.1);
                let (n, _) = crate::vm::thresholds::VmThresholds::pages_for_ram(ram);
                crate::kmalloc::kmeminit_zone_bytes(n)
            }
            kb => kb.saturating_mul(1024),
        }
    }

    /// Checks every field; reports every problem at once.
    pub fn validate(&self) -> Result<(), ScenarioErrors> {
        use limits::*;
        let mut e = Vec::new();
        let m = &self.machine;
        check(&mut e, "ram", m.ram_mb, RAM_MB, "M");
        check(&mut e, "seek", m.disk_seek_ms, DISK_SEEK_MS, "ms");
        check(&mut e, "bw", m.disk_mb_s, DISK_MB_S, "M/s");
        check(&mut e, "swap", m.swap_mb, SWAP_MB, "M");
        let h = &self.hammer;
        if h.zone_kb != 0 && !(ZONE_KB.0..=ZONE_KB.1).contains(&h.zone_kb) {
            e.push(FieldError {
                field: "kzone".into(),
                given: format!("{}K", h.zone_kb),
                allowed: format!("{}K..={}K, or auto", ZONE_KB.0, ZONE_KB.1),
            });
        }
        check(&mut e, "krec", h.record_bytes, RECORD_BYTES, "");
        check(&mut e, "ksync", h.flush_ms, FLUSH_MS, "ms");
        if ![4, 8, 16, 32, 64].contains(&self.ufs_block_kb) {
            e.push(FieldError {
                field: "ufsbs".into(),
                given: format!("{}K", self.ufs_block_kb),
                allowed: "4K, 8K, 16K, 32K or 64K".into(),
            });
        }
        let zone = self.zone_bytes();
        if h.record_bytes.saturating_add(256) > zone {
            e.push(FieldError {
                field: "krec".into(),
                given: format!("{} bytes in a {}K zone", h.record_bytes, zone / 1024),
                allowed: "a record that fits in a zone after its 256-byte header".into(),
            });
        }
        let w = &self.workload;
        check(&mut e, "writers", w.writers, WRITERS, "");
        check(&mut e, "wfile", w.writer_file_mb, FILE_MB, "M");
        check(&mut e, "wrate", w.writer_kb_s, WRITER_KB_S, "K/s");
        check(&mut e, "mmap", w.mmap_writers, MMAP_WRITERS, "");
        check(&mut e, "mfile", w.mmap_file_mb, FILE_MB, "M");
        check(&mut e, "mrate", w.mmap_pages_s, MMAP_PAGES_S, "/s");
        check(&mut e, "hogs", w.hogs, HOGS, "");
        check(&mut e, "hog", w.hog_mb, HOG_MB, "M");
        check(&mut e, "hograte", w.hog_mb_s, HOG_MB_S, "M/s");
        check(&mut e, "hogat", w.hog_start_ms, (0, DURATION_MS.1), "ms");
        check(&mut e, "until", self.duration_ms, DURATION_MS, "ms");
        check(&mut e, "window", self.hang_window_ms, HANG_WINDOW_MS, "ms");
        for (field, v) in [
            ("until", self.duration_ms),
            ("window", self.hang_window_ms),
            ("hogat", w.hog_start_ms),
            ("ksync", h.flush_ms),
        ] {
            if v % MS_PER_TICK != 0 {
                e.push(FieldError {
                    field: field.into(),
                    given: format!("{v}ms"),
                    allowed: format!("a multiple of {MS_PER_TICK}ms (one tick at hz={HZ})"),
                });
            }
        }
        if w.hogs > 0 && w.hog_start_ms >= self.duration_ms {
            e.push(FieldError {
                field: "hogat".into(),
                given: format!("{}ms", w.hog_start_ms),
                allowed: format!(
                    "before until ({}ms) when hogs > 0, or the hogs never start",
                    self.duration_ms
                ),
            });
        }
        if w.shared && w.mmap_writers == 0 && w.writers > 0 {
            e.push(FieldError {
                field: "shared".into(),
                given: "on".into(),
                allowed: "shared=on needs a mapped file (mmap=1 or more)".into(),
            });
        }
        let total_hog = u64::from(w.hogs) * u64::from(w.hog_mb);
        if total_hog > u64::from(m.ram_mb) * 2 {
            e.push(FieldError {
                field: "hog".into(),
                given: format!("{}M x {} hogs", w.hog_mb, w.hogs),
                allowed: format!("at most twice ram ({}M) in all", u64::from(m.ram_mb) * 2),
            });
        }
        for (given, allowed) in intervention::problems(self) {
            e.push(FieldError {
                field: "at".into(),
                given,
                allowed,
            });
        }
        for (field, msg) in self.policy().conflicts() {
            e.push(FieldError {
                field: field.into(),
                given: "on".into(),
                allowed: msg.into(),
            });
        }
        if e.is_empty() {
            Ok(())
        } else {
            Err(ScenarioErrors(e))
        }
    }

    /// Checks the work budget (see [`budget`]): an error naming the key that weighs most when
    /// simulating this scenario would take more than a few seconds.
    pub fn check_budget(&self) -> Result<(), ScenarioErrors> {
        let e = budget::estimate(self);
        if e.ns <= budget::BUDGET_NS {
            return Ok(());
        }
        let (key, _) = e.parts[0];
        let given = match key {
            "mrate" => format!(
                "{} pages/s x {} mmap writers for {} s",
                self.workload.mmap_pages_s,
                self.workload.mmap_writers,
                self.duration_ms / 1000
            ),
            "wrate" if self.workload.writer_kb_s == 0 => format!(
                "{} unthrottled writers on a {} MB/s disk for {} s",
                self.workload.writers,
                self.machine.disk_mb_s,
                self.duration_ms / 1000
            ),
            "wrate" => format!(
                "{} writers at {} KB/s for {} s",
                self.workload.writers,
                self.workload.writer_kb_s,
                self.duration_ms / 1000
            ),
            "bw" => format!(
                "a {} MB/s disk with {} ms seeks for {} s",
                self.machine.disk_mb_s,
                self.machine.disk_seek_ms,
                self.duration_ms / 1000
            ),
            "ram" => format!("{} MB", self.machine.ram_mb),
            "hog" => format!("{} hogs of {} MB", self.workload.hogs, self.workload.hog_mb),
            _ => format!("{} s", self.duration_ms / 1000),
        };
        let secs = |ns: u128| ns.div_ceil(1_000_000_000);
        // what to change: the duration always helps; otherwise the key that weighs most (the
        // duration's own part is every thread's ticks)
        let advice = match key {
            "until" => "shorten until, or run fewer threads".to_string(),
            _ => format!("shorten until, or lower {key}"),
        };
        Err(ScenarioErrors(vec![FieldError {
            field: key.into(),
            given,
            allowed: format!(
                "a scenario within the work budget of about {} s of simulation; this one needs \
                 about {} s, most of it for {key} ({advice}; the command line's --no-budget \
                 lifts the limit)",
                secs(budget::BUDGET_NS),
                secs(e.ns)
            ),
        }]))
    }

    /// Duration in ticks.
    pub fn duration_ticks(&self) -> u64 {
        self.duration_ms / MS_PER_TICK
    }

    /// Hang window in ticks.
    pub fn hang_window_ticks(&self) -> u64 {
        self.hang_window_ms / MS_PER_TICK
    }
}

impl Default for Scenario {
    /// The HAMMER lockup of the post on a small machine, under the kernel it was reported on.
    fn default() -> Self {
        ScenarioPreset::HammerLockup.scenario()
    }
}

/// Named scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScenarioPreset {
    /// The lockup of the post: a shared writable mapping of a large HAMMER file on a small machine
    /// under memory pressure, with write(2) writers keeping the buffer cache busy.
    #[serde(rename = "hammer-lockup")]
    HammerLockup,
    /// The same load and kernel, another seed: when bufdaemon_hw goes into HAMMER's kmalloc the
    /// reserve is not yet gone, so giving it the reserve (the fix's `systhread`, or 59G's
    /// `usereserve`) alone breaks the lockup; in the post's own seed it comes too late.
    #[serde(rename = "bufdaemon-kmalloc")]
    BufDaemonKmalloc,
    /// The same workload on UFS (16 KB blocks, pageout data written at once).
    #[serde(rename = "ufs-same-load")]
    UfsSameLoad,
    /// Only write(2) writers: the buffer cache throttles them; the pageout path is never reached.
    #[serde(rename = "writers-only")]
    WritersOnly,
    /// A bigger machine under heavy HAMMER load for ten minutes.
    #[serde(rename = "hammer-512m")]
    Hammer512M,
    /// The fixed kernel on a 48 MB machine: `bio_page_alloc` takes the emergency path, cashes
    /// in clean buffers and says so on the console.
    #[serde(rename = "emergency")]
    Emergency,
    /// The fix without `recoverbufpages` on a 40 MB machine: the writers' emergency allocations
    /// fail and are retried every 5 s ("... failed" on the console), while the pageout daemon
    /// itself sleeps with no timeout in kmalloc: a stall.
    #[serde(rename = "emergency-fails")]
    EmergencyFails,
    /// UFS with 4 KB blocks and four writers at full speed: many small dirty buffers, the case
    /// the dirty-buffer count rule of July 7 was added for.
    #[serde(rename = "ufs-small-blocks")]
    UfsSmallBlocks,
    /// The writers write(2) into the mapped file, so the pageout daemon meets vnodes they hold
    /// locked: the LK_TIMELOCK timeout of f043c4c79c decides whether it waits or moves on.
    #[serde(rename = "shared-file")]
    SharedFile,
    /// No swap, and two processes allocating 56 MB of anonymous memory each: memory nobody can
    /// page out, so the daemon's last resort is a kill, not a deadlock.
    #[serde(rename = "no-swap")]
    NoSwap,
}

impl ScenarioPreset {
    /// All scenario presets.
    pub const ALL: [ScenarioPreset; 10] = [
        ScenarioPreset::HammerLockup,
        ScenarioPreset::BufDaemonKmalloc,
        ScenarioPreset::UfsSameLoad,
        ScenarioPreset::WritersOnly,
        ScenarioPreset::Hammer512M,
        ScenarioPreset::Emergency,
        ScenarioPreset::EmergencyFails,
        ScenarioPreset::SharedFile,
        ScenarioPreset::UfsSmallBlocks,
        ScenarioPreset::NoSwap,
    ];

    /// Name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ScenarioPreset::HammerLockup => "hammer-lockup",
            ScenarioPreset::BufDaemonKmalloc => "bufdaemon-kmalloc",
            ScenarioPreset::UfsSameLoad => "ufs-same-load",
            ScenarioPreset::WritersOnly => "writers-only",
            ScenarioPreset::Hammer512M => "hammer-512m",
            ScenarioPreset::Emergency => "emergency",
            ScenarioPreset::EmergencyFails => "emergency-fails",
            ScenarioPreset::UfsSmallBlocks => "ufs-small-blocks",
            ScenarioPreset::SharedFile => "shared-file",
            ScenarioPreset::NoSwap => "no-swap",
        }
    }

    /// Parses a scenario preset name.
    pub fn from_name(name: &str) -> Option<ScenarioPreset> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// One line describing the scenario.
    pub fn description(self) -> &'static str {
        match self {
            ScenarioPreset::HammerLockup => {
                "the post: a 64 MB machine that has been running a shared mapping of a large HAMMER file dirtied at 10 MB/s and two 1 MB/s writers; seed 19 locks up"
            }
            ScenarioPreset::BufDaemonKmalloc => {
                "the same lockup, seed 12: bufdaemon_hw waits in HAMMER's kmalloc outside the reserve; systhread=on or usereserve=on alone breaks it"
            }
            ScenarioPreset::UfsSameLoad => "the same load on UFS (16 KB blocks, written at once)",
            ScenarioPreset::WritersOnly => "write(2) writers only: the pageout path is not reached",
            ScenarioPreset::Hammer512M => "512 MB machine, heavy HAMMER load for 600 s",
            ScenarioPreset::Emergency => {
                "the fix on a 48 MB machine: recoverbufpages frees pages of clean buffers for bio_page_alloc's second try, and the console says so"
            }
            ScenarioPreset::EmergencyFails => {
                "the fix without recoverbufpages on 40 MB: \"emergency page allocation failed\" every 5 s as the writers retry"
            }
            ScenarioPreset::UfsSmallBlocks => {
                "UFS with 4 KB blocks and four full-speed writers: many small dirty buffers (the July 7 count rule)"
            }
            ScenarioPreset::SharedFile => {
                "the fix, with the writers writing into the mapped file: the daemon meets locked vnodes"
            }
            ScenarioPreset::NoSwap => {
                "no swap and two 56 MB anonymous hogs on 64 MB: out of memory, not a deadlock"
            }
        }
    }

    /// The scenario.
    pub fn scenario(self) -> Scenario {
        let base = Scenario {
            preset: KernelPreset::Dfly20080630,
            overrides: PolicyOverrides::default(),
            machine: Machine {
                ram_mb: 64,
                disk_seek_ms: 8,
                disk_mb_s: 40,
                swap_mb: 256,
            },
            fs: FsKind::Hammer,
            workload: Workload {
                writers: 2,
                writer_file_mb: 256,
                writer_kb_s: 1024,
                mmap_writers: 1,
                mmap_file_mb: 512,
                mmap_pages_s: 2500,
                hogs: 0,
                hog_mb: 64,
                hog_mb_s: 8,
                hog_start_ms: 0,
                shared: false,
            },
            seed: 1,
            duration_ms: 300_000,
            hang_window_ms: 10_000,
            warm: true,
            hammer: HammerMem::default(),
            ufs_block_kb: 16,
            interventions: Vec::new(),
        };
        match self {
            // one of the seeds that lock up within the 300 s (about one in five do)
            ScenarioPreset::HammerLockup => Scenario { seed: 19, ..base },
            ScenarioPreset::UfsSameLoad => Scenario {
                fs: FsKind::Ufs,
                seed: 19,
                ..base
            },
            ScenarioPreset::WritersOnly => Scenario {
                workload: Workload {
                    mmap_writers: 0,
                    hogs: 0,
                    ..base.workload
                },
                ..base
            },
            ScenarioPreset::Hammer512M => Scenario {
                machine: Machine {
                    ram_mb: 512,
                    ..base.machine
                },
                workload: Workload {
                    writers: 4,
                    mmap_pages_s: 12000,
                    ..base.workload
                },
                duration_ms: 600_000,
                ..base
            },
            ScenarioPreset::Emergency => Scenario {
                preset: KernelPreset::Dfly20080701,
                machine: Machine {
                    ram_mb: 48,
                    ..base.machine
                },
                ..base
            },
            ScenarioPreset::EmergencyFails => Scenario {
                preset: KernelPreset::Dfly20080701,
                overrides: PolicyOverrides {
                    recoverbufpages: Some(false),
                    ..PolicyOverrides::default()
                },
                machine: Machine {
                    ram_mb: 40,
                    ..base.machine
                },
                seed: 9,
                ..base
            },
            ScenarioPreset::UfsSmallBlocks => Scenario {
                fs: FsKind::Ufs,
                ufs_block_kb: 4,
                workload: Workload {
                    writers: 4,
                    writer_kb_s: 0,
                    mmap_writers: 0,
                    ..base.workload
                },
                ..base
            },
            ScenarioPreset::SharedFile => Scenario {
                preset: KernelPreset::Dfly20080701,
                workload: Workload {
                    shared: true,
                    ..base.workload
                },
                // a seed in which the daemon finds a vnode locked by a writer (6 times)
                seed: 3,
                ..base
            },
            // another seed of the post's lockup, in which bufdaemon_hw is still outside the
            // reserve when it goes into HAMMER's kmalloc
            ScenarioPreset::BufDaemonKmalloc => Scenario { seed: 12, ..base },
            ScenarioPreset::NoSwap => Scenario {
                machine: Machine {
                    swap_mb: 0,
                    ..base.machine
                },
                workload: Workload {
                    mmap_writers: 0,
                    hogs: 2,
                    hog_mb: 56,
                    ..base.workload
                },
                ..base
            },
        }
    }
}

mod seed_string {
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum SeedRepr {
        Str(String),
        Num(u64),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        match SeedRepr::deserialize(d)? {
            SeedRepr::Num(n) => Ok(n),
            SeedRepr::Str(s) => s.parse().map_err(|_| {
                de::Error::custom(format!(
                    "seed: got {s:?}, allowed a whole number 0..={}",
                    u64::MAX
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_scenario_is_valid() {
        for p in ScenarioPreset::ALL {
            assert_eq!(p.scenario().validate(), Ok(()), "{}", p.name());
        }
    }

    #[test]
    fn validation_reports_every_problem_with_its_field() {
        let mut s = Scenario::default();
        s.machine.ram_mb = 8;
        s.duration_ms = 15;
        let e = s.validate().unwrap_err().0;
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"ram"), "{fields:?}");
        assert!(fields.contains(&"until"), "{fields:?}");
        let ram = e.iter().find(|e| e.field == "ram").unwrap();
        assert_eq!(ram.given, "8M");
        assert_eq!(ram.allowed, "32M..=4096M");
    }

    #[test]
    fn seeds_cross_as_strings() {
        let s = Scenario {
            seed: u64::MAX,
            ..Scenario::default()
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            json.contains(&format!("\"seed\":\"{}\"", u64::MAX)),
            "{json}"
        );
        let back: Scenario = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }
}
