// Shapes of the values the engine hands to JavaScript. They mirror the serde forms of the
// pageout-core types (camelCase); web/tests/ts_shapes.rs checks every interface below against
// what the engine actually serializes, so this file cannot drift from the Rust types unnoticed.
//
// Numbers: every count, tick and byte figure is a plain `number`. The u64 fields of Stats and
// Thresholds stay far below 2^53 for any scenario within the engine's limits, so they are exact;
// a value that could not be represented would throw rather than round. The seed is the one u64
// that can exceed 2^53, so it crosses as a decimal string.

/** Kernel versions (core/src/policy.rs `KernelPreset`). */
export type KernelPresetName =
  | "dfly-2008-06-29"
  | "dfly-2008-06-30"
  | "dfly-2008-07-01"
  | "dfly-2008-07-08"
  | "dfly-2008-12"
  | "dfly-2010-10"
  | "dfly-2011-11"
  | "dfly-2012-01"
  | "dfly-2017-08"
  | "whatif-linux"
  | "whatif-freebsd";

/** Filesystem of the workload's files. */
export type FsKind = "hammer" | "ufs";

/** `bio_page_alloc()` variant. */
export type BioVariant = "pre-0630" | "fix-0701" | "fix-0708" | "fix-2010" | "fix-2011" | "fix-2012";

/** Dirty-buffer limit rule. */
export type DirtyLimit = "bytes" | "bytes+count";

/** `bd_speedup()` guard. */
export type BdSpeedup = "any" | "inverted" | "fixed";

/** What-if buffer-page mempool size in pages (`off` = no pool). */
export type Mempool = "off" | "16" | "32" | "64";

/** Every mechanism of the July 2008 fix, one field each, then the what-ifs. */
export interface Policy {
  bio: BioVariant;
  recoverbufpages: boolean;
  interruptRetry: boolean;
  timedVmWait: boolean;
  systhreadBufdaemons: boolean;
  bdWaitExempt: boolean;
  hammerPageoutBwillwrite: boolean;
  hammerUseReserve: boolean;
  dirtyLimit: DirtyLimit;
  bdSpeedup: BdSpeedup;
  vnodeLockTimeout: boolean;
  /** c84c24daf5, 20479584e1: the Dec 2008 OOM rule; the machine goes on after the kill. */
  oomKill: boolean;
  /** 20479584e1: every allocation calls pagedaemon_wakeup() (wakes below severe). */
  allocWakeup: boolean;
  /** c84c24daf5, 20479584e1: the active scan caches clean pages while short. */
  activeRecycle: boolean;
  relbufMin: boolean;
  hammerPageoutBawrite: boolean;
  hammerFlusherVmcheck: boolean;
  emergencyPager: boolean;
  /** What-if (Linux PF_MEMALLOC): the pageout daemon may take free pages down to the last. */
  pfMemalloc: boolean;
  /** What-if (Linux mempool): pages set aside for buffer-cache allocations. */
  mempool: Mempool;
  /** What-if (Linux): a flush thread writes dirty file pages, not the pageout daemon. */
  flusher: boolean;
  /** What-if (FreeBSD): the pageout daemon's vm_wait sleeps one tick. */
  pageprocwait: boolean;
  /** What-if (FreeBSD): a laundry thread writes dirty file pages, not the pageout daemon. */
  laundry: boolean;
}

/** Per-mechanism overrides on top of a kernel preset; absent = the preset's value. */
export type PolicyOverrides = Partial<Policy>;

/** Memory and disk. */
export interface Machine {
  ramMb: number;
  diskSeekMs: number;
  diskMbS: number;
  /** Swap space in MiB (0 = none). */
  swapMb: number;
}

/** HAMMER's kernel memory: kmalloc zone size, in-memory record size, record lifetime. */
export interface HammerMem {
  zoneKb: number;
  recordBytes: number;
  flushMs: number;
}

/** What user processes do. */
export interface Workload {
  writers: number;
  writerFileMb: number;
  writerKbS: number;
  mmapWriters: number;
  mmapFileMb: number;
  mmapPagesS: number;
  hogs: number;
  hogMb: number;
  hogMbS: number;
  hogStartMs: number;
  /** The writers write into the mapped files instead of files of their own. */
  shared: boolean;
}

/** Everything that determines a run, as the engine returns it. */
export interface Scenario {
  preset: KernelPresetName;
  overrides: PolicyOverrides;
  machine: Machine;
  fs: FsKind;
  workload: Workload;
  /** A u64 as a decimal string. */
  seed: string;
  durationMs: number;
  hangWindowMs: number;
  /** Start from a machine that has been running the workload (warm queues and buffer cache). */
  warm: boolean;
  hammer: HammerMem;
  /** UFS block size in KiB (4, 8, 16, 32 or 64). */
  ufsBlockKb: number;
  /** Timed interventions in time order (link key `at`); absent when there are none. */
  interventions?: Intervention[];
}

/** One timed intervention (core/src/scenario/intervention.rs). */
export interface Intervention {
  /** When, in ms of simulated time (whole ticks, inside the run). */
  atMs: number;
  action: InterventionAction;
}

/** What an intervention does; `kind` is its name in a link. */
export type InterventionAction =
  | { kind: "hog"; mb: number }
  | { kind: "writer" }
  | { kind: "mmap" }
  | { kind: "stop"; thread: string }
  | { kind: "wrate"; kbS: number }
  | { kind: "mrate"; pagesS: number }
  | { kind: "bw"; mbS: number }
  | { kind: "seek"; ms: number }
  | { kind: "sync" };

/**
 * A scenario as the engine accepts it: `overrides` may be left out, and the seed may also be a
 * number (a safe integer) or a BigInt.
 */
export type ScenarioInput = Omit<
  Scenario,
  "seed" | "overrides" | "warm" | "hammer" | "machine" | "ufsBlockKb"
> & {
  seed: string | number | bigint;
  overrides?: PolicyOverrides;
  /** Absent = true. */
  warm?: boolean;
  /** Absent = the 2008 defaults. */
  hammer?: HammerMem;
  /** Absent = 16. */
  ufsBlockKb?: number;
  /** `swapMb` absent = 256. */
  machine: Omit<Machine, "swapMb"> & { swapMb?: number };
};

/** How a run ended. */
export type OutcomeKind = "survived" | "deadlock" | "stall" | "starved" | "out-of-memory";

/** Where a run stands after a call. */
export interface Status {
  tick: number;
  finished: boolean;
  outcome: OutcomeKind | null;
}

/** One array per sampled column, in `columns()` order. */
export interface SampleColumns {
  tick: Uint32Array;
  free: Uint32Array;
  cache: Uint32Array;
  inactive: Uint32Array;
  active: Uint32Array;
  wired: Uint32Array;
  bufspace: Uint32Array;
  dirtybufspace: Uint32Array;
  dirtybufspacehw: Uint32Array;
  runningbufspace: Uint32Array;
  emergAllocs: Uint32Array;
  emergFails: Uint32Array;
  recoverbufcalls: Uint32Array;
  recoveredPages: Uint32Array;
  pagesFreed: Uint32Array;
  userKb: Uint32Array;
}

/** A sample column name. */
export type ColumnName = keyof SampleColumns;

/**
 * Sample rows `start .. start + rows`. The arrays are copies owned by JavaScript (never views of
 * wasm memory), so they stay valid after later calls and may be transferred to another thread.
 */
export interface Samples {
  start: number;
  rows: number;
  columns: SampleColumns;
}

/**
 * One line of the console (`logSince`) or of `/var/log/messages` (`messagesSince`); `index` is
 * its position in the whole of either, `tick` when it was printed or written.
 */
export interface LogLine {
  index: number;
  tick: number;
  text: string;
  /** `[   12.340000] text`, as dmesg prints it. */
  dmesg: string;
}

/** What a key moment is (core/src/events.rs `EventKind`). */
export type EventKind =
  | "below-target" | "below-min" | "below-severe" | "below-reserved" | "reserve-gone"
  | "first-pageout" | "system-reserve" | "interrupt-reserve" | "reserve-empty" | "zone-refill"
  | "waits-for-memory" | "emergency-alloc" | "emergency-fail" | "oom-kill" | "hang" | "starved"
  | "intervention" | "emergency-pager";

/** One key moment of a run. */
export interface KeyEvent {
  tick: number;
  kind: EventKind;
  /** The thread, or "" for the machine as a whole. */
  thread: string;
  why: string;
}

/** Time a thread spent asleep on one wait message. */
export interface SleepCount {
  wmesg: string;
  count: number;
  ticks: number;
}

/** What one thread has done: pages taken per band of the free list, pageouts, sleeps. */
export interface ThreadAccount {
  /** Pages taken while the free list was above v_free_reserved. */
  pagesNormal: number;
  /** Pages taken from the system reserve (free list at or below v_free_reserved). */
  pagesSystem: number;
  /** Pages taken from the interrupt reserve (at or below v_interrupt_free_min). */
  pagesInterrupt: number;
  allocFailures: number;
  /** Allocations with VM_ALLOC_SYSTEM that found the reserve empty. */
  reserveEmpty: number;
  pageouts: number;
  pagesLaundered: number;
  pagesCached: number;
  sleeps: SleepCount[];
  /** The longest finished wait for a resource, in ticks; its wmesg and start tick. */
  longestWait: number;
  longestWaitWmesg: string;
  longestWaitAt: number;
}

/** What a kernel thread is doing now. */
export interface ThreadInfo {
  name: string;
  state: string;
  wmesg: string;
  timed: boolean;
  since: number;
  /** The kernel function whose wait the current sleep is (`bio_page_alloc`, ...), or "". */
  path: string;
  account: ThreadAccount;
}

/** What a thread was doing at a moment of the run (`threadsAt`). */
export interface ThreadState {
  name: string;
  state: string;
  wmesg: string;
  timed: boolean;
  since: number;
  path: string;
  /**
   * The tick whose state this is: the tick asked for when the run recorded it (a sample every
   * 0.1 s, and the end of every tick with a key moment), else the last one recorded before it.
   */
  at: number;
}

/** A sleeping thread in the wait-for graph. */
export interface WaitNode {
  thread: string;
  wmesg: string;
  timed: boolean;
  waitsFor: string;
  since: number;
  /** The kernel function whose wait it is, or "". */
  path: string;
}

/** `from` waits on `to` (indices into `nodes`). */
export interface WaitEdge {
  from: number;
  to: number;
  why: string;
}

/** Who waits on whom at the moment of a hang. */
export interface WaitGraph {
  nodes: WaitNode[];
  edges: WaitEdge[];
  /** Node indices in cycle order; empty when there is no cycle. */
  cycle: number[];
}

/** The end of a run. */
export interface Outcome {
  kind: OutcomeKind;
  tick: number;
  detectedAt: number;
  summary: string;
  graph: WaitGraph;
}

/** What the warm start put where (all zero and `warm: false` for a cold start). */
export interface WarmStart {
  warm: boolean;
  /** Clean buffers in the cache, and the pages they hold. */
  buffers: number;
  bufferPages: number;
  /** Resident pages of the mapped files by queue (active and inactive dirty, cache clean). */
  active: number;
  inactive: number;
  cache: number;
  /** Free pages left. */
  free: number;
}

/** Boot-time thresholds, in pages (and bytes for the buffer-space limits). */
export interface Thresholds {
  vPageCount: number;
  vInterruptFreeMin: number;
  vPageoutFreeMin: number;
  vFreeReserved: number;
  vFreeSevere: number;
  vFreeMin: number;
  vFreeTarget: number;
  vCacheMin: number;
  vInactiveTarget: number;
  cluster: number;
  nbuf: number;
  hibufspace: number;
  lobufspace: number;
  hidirtybufspace: number;
  lodirtybufspace: number;
}

/** Counts for a run summary. */
export interface Stats {
  emergAllocs: number;
  emergFails: number;
  recoverbufcalls: number;
  recoveredPages: number;
  minFreeCache: number;
  peakDirtybufspace: number;
  events: number;
  pagesFreed: number;
  ioCompleted: number;
  userKb: number;
  /** Page faults satisfied. */
  faults: number;
  /** Clusters the pageout daemon handed to the filesystem. */
  pageouts: number;
  /** Vnode locks the pageout daemon gave up on (LK_TIMELOCK). */
  pageoutLockMiss: number;
  /** `vfs.lowmempgallocs` (bio fix-2010 on). */
  lowmempgallocs: number;
  /** `vfs.lowmempgfails` (bio fix-2010 on). */
  lowmempgfails: number;
  /** Processes the pageout daemon killed with the machine going on (oomkill=on). */
  oomKills: number;
}

/** One mechanism of the fix, for toggles and links. */
export interface Mechanism {
  /** Link key (`recoverbufpages=off`). */
  key: string;
  /** The `Policy` field it sets. */
  field: keyof Policy;
  label: string;
  explain: string;
  commit: string;
  /** Allowed link values, first = the pre-fix value. */
  values: string[];
}

/** A kernel version and its bundle of mechanisms. */
export interface KernelPresetInfo {
  name: KernelPresetName;
  description: string;
  policy: Policy;
}

/** A named scenario. */
export interface ScenarioPresetInfo {
  name: string;
  description: string;
  scenario: Scenario;
}

/** Everything the controls offer. */
export interface Presets {
  kernels: KernelPresetInfo[];
  scenarios: ScenarioPresetInfo[];
  mechanisms: Mechanism[];
}

/**
 * One problem with a link (or with the scenario it describes). `key` is the key as the link
 * spells it, `v` for the version, "" for the link as a whole (one over 64 KiB, refused unread),
 * and `and N more` in a last entry when more than 20 problems were found.
 */
export interface LinkProblem {
  key: string;
  given: string;
  allowed: string;
  message: string;
}

/** What `decodeLink` found: a scenario and its canonical link, or every problem. */
export type DecodeResult =
  | { ok: true; scenario: Scenario; link: string }
  | { ok: false; errors: LinkProblem[] };

/** The range of every scenario knob by its field name (`fileMb` for both file sizes). */
export type Limits = Record<
  | "ramMb" | "diskSeekMs" | "diskMbS" | "writers" | "fileMb" | "writerKbS" | "mmapWriters"
  | "mmapPagesS" | "hogs" | "hogMb" | "hogMbS" | "durationMs" | "hangWindowMs" | "swapMb"
  | "zoneKb" | "recordBytes" | "flushMs",
  [number, number]
>;

/**
 * What `decodeCompareLink` found. A compare link is a v1 link for scenario A followed by B's
 * differences as `b.`-prefixed keys (`#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&b.preset=dfly-2008-07-01`);
 * a solo link decodes with `b` and `linkB` null. `link` is the canonical form of the whole link,
 * `linkA` and `linkB` each scenario's own canonical solo link (all without `#`).
 */
export type DecodeCompareResult =
  | { ok: true; a: Scenario; b: Scenario | null; link: string; linkA: string; linkB: string | null }
  | { ok: false; errors: LinkProblem[] };

/**
 * Where two runs part (`divergence(linkA, linkB)`): both were stepped tick by tick in lockstep
 * to their ends. `tick` is the tick during which their states first differ (null when they never
 * do; 0 when they differ from boot), `a` and `b` say in words what each run did then (empty when
 * they never differ). Each run's outcome and trace hash are those of its solo run. The call runs
 * both scenarios to their ends (about 0.1 s natively for the default pair): make it in a worker.
 */
export interface Divergence {
  tick: number | null;
  seconds: number | null;
  a: string;
  b: string;
  outcomeA: Outcome | null;
  outcomeB: Outcome | null;
  traceHashA: string;
  traceHashB: string;
}

/** One combination of the fix's switches: those in `on` on, the others off. */
export interface GridCell {
  on: string[];
  /** The cell's scenario with the plan's first seed. */
  link: string;
}

/** One run of a grid: a cell with a seed. */
export interface GridRun {
  /** Index into `cells`. */
  cell: number;
  seed: number;
  link: string;
}

/**
 * What a grid runs (`gridPlan(link, seeds)`): every on/off combination of the fix's switches on
 * top of the scenario, smallest first, and every cell with every seed, cell by cell. `note` says
 * when the grid does not run on the scenario as given (a `bio=pre-0630` scenario runs on
 * `bio=fix-0701`, as the page's switches do; a switch the scenario sets is set by each cell).
 */
export interface GridPlan {
  switches: string[];
  note: string | null;
  seeds: number[];
  cells: GridCell[];
  runs: GridRun[];
}

/** How one run of a grid ended, as a worker reports it to `gridReport`. */
export interface GridRunResult {
  cell: number;
  seed: number;
  /** The outcome's kind (`outcome().kind`); null for a run without an outcome. */
  kind: OutcomeKind | null;
  /** The outcome's tick (`outcome().tick`). */
  tick: number;
  traceHash: string;
  /**
   * Set when the run was not simulated: the index in the plan's runs of the simulated run it is
   * (it differs from that run only in switches the run never read; core/src/explore/twins.rs).
   */
  twin?: number;
}

/** One cell of a grid report. */
export interface GridCellReport {
  on: string[];
  link: string;
  /** Runs reported so far, of the plan's seeds. */
  runs: number;
  /** Runs by outcome kind, every kind present, and `none` for runs without an outcome. */
  counts: Record<OutcomeKind | "none", number>;
  /** The worst run (deadlock, stall, out-of-memory, starved, survived; earliest; smallest seed). */
  worstSeed: number | null;
  worstLink: string | null;
  /** Whether the cell cures the scenario (`rule`); false while runs are missing. */
  cures: boolean;
  /** A hash of the cell's seeds and trace hashes: equal cells of two grids have equal hashes. */
  hash: string;
}

/** What a grid found (`gridReport(plan, results)`), the same as `pageout-sim grid --json`. */
export interface GridReport {
  switches: string[];
  note: string | null;
  cells: GridCellReport[];
  /** The smallest sets of switches that cure (curing cells minimal by inclusion), smallest first. */
  cures: string[][];
  /** The cure rule in words. */
  rule: string;
  /** How many of the results were simulated (have no `twin`). */
  simulated: number;
}

/** One axis of a map: a numeric link key and its values in the key's syntax (`64M`). */
export interface MapAxis {
  key: string;
  values: string[];
  /** The axis as the command line writes it: `ram=64M..512M:8`, or `writers=1,2,4`. */
  spec: string;
}

/** One cell of a map: indices into the axes' values, and its link with the first seed. */
export interface MapCell {
  x: number;
  y: number;
  link: string;
}

/**
 * What a map runs (`mapPlan(link, x, y, seeds)`): every pair of the axes' values (y outer, x
 * inner), each with every seed, cell by cell. Runs have the grid's shape (`cell`, `seed`,
 * `link`), and their results too (`GridRunResult`).
 */
export interface MapPlan {
  link: string;
  x: MapAxis;
  y: MapAxis;
  seeds: number[];
  cells: MapCell[];
  runs: GridRun[];
}

/** When the hung runs of a cell hung, in seconds of simulated time. */
export interface HangTimes {
  hangs: number;
  meanS: number;
  medianS: number;
  q1S: number;
  q3S: number;
  distinctTicks: number;
}

/** One cell of a map's report. */
export interface MapCellReport {
  x: number;
  y: number;
  link: string;
  /** Runs reported so far, of the plan's seeds. */
  runs: number;
  /** Runs by outcome kind, every kind present, and `none` for runs without an outcome. */
  counts: Record<OutcomeKind | "none", number>;
  /** Deadlocks and stalls. */
  hangs: number;
  /** `hangs / runs` (0 before any run). */
  hangRate: number;
  /** Null when no run hung. */
  timeToHang: HangTimes | null;
  /** The worst run (deadlock, stall, out-of-memory, starved, survived; earliest; smallest seed). */
  worstSeed: number | null;
  worstLink: string | null;
  hash: string;
}

/** What a map found (`mapReport(plan, results)`), the same as `pageout-sim map --json`. */
export interface MapReport {
  link: string;
  x: MapAxis;
  y: MapAxis;
  seeds: number[];
  cells: MapCellReport[];
}

/**
 * What a survival runs (`survivalPlan(link, kernels, seeds, until)`): the workload on each
 * kernel alone, each with every seed, kernel by kernel; a run's `cell` is its kernel's index.
 */
export interface SurvivalPlan {
  /** The workload's link (first kernel, first seed, no overrides). */
  link: string;
  kernels: string[];
  seeds: number[];
  untilS: number;
  untilTick: number;
  /** What the plan changed about the scenario (its mechanism keys are not used), if anything. */
  note: string | null;
  runs: GridRun[];
}

/** How one run of a survival ended (`survivalRun(link, kernel)`). */
export interface SurvivalRunResult {
  kernel: number;
  seed: number;
  kind: OutcomeKind | null;
  tick: number;
  /** The wait-for cycle as `cycle_text()` writes it; empty when there is none. */
  cycle: string;
  traceHash: string;
}

/** One kernel of a survival report. */
export interface KernelSurvival {
  kernel: string;
  description: string;
  runs: number;
  /** Runs dead by the horizon (deadlock, stall, out-of-memory). */
  dead: number;
  counts: Record<OutcomeKind | "none", number>;
  /** Each seed's death tick in seed order; null: alive at the horizon. */
  deathTicks: Array<number | null>;
  /** From `tS` on, `alive` of the runs are alive: 1 at 0, a step per death tick, the horizon last. */
  curve: Array<{ tS: number; alive: number }>;
  /** The hang rate at each of `checkpointsS`; null past the horizon. */
  hangRate: Array<number | null>;
  /** The first time half the runs or more are dead; null when fewer than half die. */
  medianS: number | null;
  /** The most frequent cause of death among the dead runs; null when none died. */
  killer: { outcome: string; cause: string; count: number; seed: number; link: string } | null;
}

/** What a survival found (`survivalReport(plan, results)`), as `pageout-sim survival --json`. */
export interface SurvivalReport {
  engineVersion: string;
  link: string;
  seeds: number[];
  untilS: number;
  checkpointsS: number[];
  note: string | null;
  rule: string;
  kernels: KernelSurvival[];
}

/** How one candidate of a shrink ended (`shrinkProbe(link)`). */
export interface ShrinkProbe {
  kind: OutcomeKind | null;
  tick: number;
  /** When the hang was detected, in ms (0 when the run did not hang). */
  detectedMs: number;
  /** The wait-for cycle as `cycle_text()` writes it; empty when there is none. */
  cycle: string;
}

/** The way the input hangs, which every step keeps. */
export interface ShrinkTarget {
  kind: OutcomeKind;
  cycle: string;
}

/** One step of a shrink: what changed, the scenario after it, and its hang's tick. */
export interface ShrinkStep {
  what: string;
  link: string;
  tick: number;
}

/** A candidate to run: what it changes, and its link. */
export interface ShrinkCandidate {
  what: string;
  link: string;
}

/** Where a shrink is; plain data, handed back to `shrinkStep` as it was given. */
export interface ShrinkState {
  original: string;
  target: ShrinkTarget | null;
  current: string;
  detectedMs: number;
  steps: ShrinkStep[];
  /** Candidates judged so far, the input included. */
  tried: number;
  /** How many of the current scenario's candidates ran without hanging the same way. */
  judged: number;
  done: boolean;
}

/**
 * What a shrink does next (`shrinkStart(link)`, `shrinkStep(state, outcomes)`): its state, the
 * step just taken (or null), and the candidates still to run, in order (none once `done`).
 */
export interface ShrinkNext {
  state: ShrinkState;
  step: ShrinkStep | null;
  candidates: ShrinkCandidate[];
}

/** What a run can be exported as (`exportFile`'s kinds; core/src/export.rs `Export`). */
export type ExportKind =
  | "samples-csv" | "samples-json" | "console" | "messages" | "threads" | "outcome" | "report";

/** One export of a run: the file name (after the scenario), its media type and its text. */
export interface ExportFile {
  name: string;
  mime: string;
  text: string;
}

/** What a run was (core/src/fingerprint.rs): engine version, outcome and its tick, trace hash. */
export interface Fingerprint {
  engine: string;
  outcome: OutcomeKind;
  tick: number;
  hash: string;
}

/** One way a run differs from its link's fingerprint. */
export interface Difference {
  key: "ev" | "eo" | "eh";
  expected: string;
  actual: string;
  message: string;
}

/** A run checked against its link's fingerprint (`verify`). */
export interface Verdict {
  /** Same outcome, tick and trace hash (the engine version may differ). */
  reproduced: boolean;
  differences: Difference[];
  summary: string;
  expected: Fingerprint;
  actual: Fingerprint;
}
