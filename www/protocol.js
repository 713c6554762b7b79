// The message protocol between the page (main.js) and the simulation worker (worker.js).
//
// The worker owns the one wasm `Simulation`. The page sends small requests; the worker answers
// requests that carry an `id` with a `reply` of the same id, and while a run plays it posts one
// `frame` per slice of work: everything a frame of the page draws (new samples, new console
// lines, new lines of /var/log/messages, the threads, the status and, once decided, the outcome). The page never calls the
// engine itself, so a slow step can never freeze it.
//
// The worker pool (www/pool.js) runs the same worker module several times over; its jobs are the
// requests below that do their work inside one reply (run-link, divergence, grid-plan,
// grid-report, map-plan, map-report, shrink-start, shrink-probe, shrink-step, survival-plan,
// survival-run, survival-report), and compare mode's two runs are driven with the run requests (load, seek,
// threads-at) of a worker leased from it.

/**
 * A scenario exactly as the engine serialises it (core/src/scenario/mod.rs, camelCase).
 * @typedef {{
 *   preset: string,
 *   overrides: Object<string, boolean|string>,
 *   machine: {ramMb: number, diskSeekMs: number, diskMbS: number},
 *   fs: 'hammer'|'ufs',
 *   workload: {writers: number, writerFileMb: number, writerKbS: number, mmapWriters: number,
 *     mmapFileMb: number, mmapPagesS: number, hogs: number, hogMb: number, hogMbS: number,
 *     hogStartMs: number},
 *   seed: string,
 *   durationMs: number,
 *   hangWindowMs: number,
 * }} Scenario
 */

/**
 * One problem with a link or a scenario.
 * @typedef {{key: string, given: string, allowed: string, message?: string}} FieldProblem
 */

/**
 * @typedef {{tick: number, finished: boolean, outcome: null|'survived'|'deadlock'|'stall'}} Status
 * @typedef {{start: number, rows: number, columns: Object<string, Uint32Array>}} SampleBatch
 * One line of the console, or of /var/log/messages; `index` is its position in the whole of it.
 * @typedef {{index: number, tick: number, text: string, dmesg: string}} LogLine
 * @typedef {{name: string, state: string, wmesg: string, timed: boolean, since: number}} ThreadInfo
 * @typedef {{thread: string, wmesg: string, timed: boolean, waitsFor: string, since: number}} WaitNode
 * @typedef {{from: number, to: number, why: string}} WaitEdge
 * @typedef {{kind: 'survived'|'deadlock'|'stall', tick: number, detectedAt: number,
 *   summary: string, graph: {nodes: WaitNode[], edges: WaitEdge[], cycle: number[]}}} Outcome
 */

/**
 * Everything one frame of the page draws. `reset` means: forget what you have, this frame
 * starts from tick 0 (after a load, a reset or a seek backwards). `log` holds the console's new
 * lines (every line the kernel printed); `messages` the new lines syslogd wrote to
 * /var/log/messages (repeats folded into "last message repeated N times", each at the tick it
 * was written). Lines already sent never change; each frame only adds. `events` are the new key
 * moments (KeyEvent in web/src/api.d.ts: tick, kind, thread, why), in the order recorded.
 * @typedef {{
 *   type: 'frame',
 *   reset: boolean,
 *   status: Status,
 *   samples: SampleBatch,
 *   log: LogLine[],
 *   messages: LogLine[],
 *   events: Array<{tick: number, kind: string, thread: string, why: string}>,
 *   threads: ThreadInfo[],
 *   outcome: Outcome|null,
 *   stats: Object<string, number>|null,
 *   traceHash: string|null,
 *   playing: boolean,
 * }} Frame
 */

/**
 * Requests from the page. Those with an `id` get exactly one `reply` with the same id.
 * @typedef {{type: 'init', id: number}} InitRequest
 *   reply.value: {engineVersion: string, presets: object, defaultScenario: Scenario,
 *   columns: string[], limits: object|null}
 * @typedef {{type: 'decode', id: number, fragment: string}} DecodeRequest
 *   reply.value: {ok: true, scenario: Scenario, link: string} | {ok: false, errors: FieldProblem[]}
 * @typedef {{type: 'encode', id: number, scenario: Scenario}} EncodeRequest
 *   reply.value: string (the fragment without '#'); reply.error when the scenario is invalid
 * @typedef {{type: 'load', id: number, scenario: Scenario}} LoadRequest
 *   builds a fresh Simulation at tick 0; reply.value: {thresholds, warm, link} (warm: what the
 *   warm start put where, see WarmStart in web/src/api.d.ts); then a reset frame.
 *   reply.error: {message, problems: FieldProblem[]} when the engine refuses the scenario.
 * @typedef {{type: 'play', speed: number}} PlayRequest
 *   speed = simulated seconds per wall second; 0 = as fast as possible. Frames follow.
 * @typedef {{type: 'pause'}} PauseRequest
 * @typedef {{type: 'step', ticks: number}} StepRequest
 *   advances by `ticks` and posts one frame.
 * @typedef {{type: 'threads-at', id: number, tick: number}} ThreadsAtRequest
 *   reply.value: ThreadState[] (web/src/api.d.ts), what every thread was doing at `tick` as the
 *   run recorded it (every 0.1 s, and at the end of every tick with a key moment; each state's
 *   `at` is the tick it shows): a lookup, no simulation. The page uses it to show a moment before
 *   the end of a computed run without running it again.
 * @typedef {{type: 'seek', id: number, tick: number}} SeekRequest
 *   runs to `tick` (forwards: continues; backwards: a fresh Simulation from tick 0), posting
 *   `progress` messages while it works, then one frame; reply.value: {tick}.
 * @typedef {{type: 'export', id: number, kind: string, pageUrl?: string}} ExportRequest
 *   one export of the run as it stands (kind: 'samples-csv', 'samples-json', 'console',
 *   'messages', 'threads', 'outcome', 'report'; web/src/api.d.ts ExportKind), written by the
 *   engine (core/src/export.rs), named after the scenario; `pageUrl` is where the page is served,
 *   for the report's link. reply.value: {name, mime, text} (ExportFile).
 * @typedef {{type: 'file-stem', id: number, scenario: Scenario}} FileStemRequest
 *   reply.value: what the scenario's files are named after (`pageout-dfly-2008-06-30-64M-seed19`),
 *   for the downloads the page draws itself (the charts, the wait-for graph).
 * @typedef {{type: 'fingerprint', id: number}} FingerprintRequest
 *   reply.value: the finished run's fingerprint link keys (`ev=0.2.0&eo=deadlock@120100ms&eh=…`),
 *   or null while the run has no outcome.
 * @typedef {{type: 'verify', id: number, fragment: string}} VerifyRequest
 *   checks the finished run against the fingerprint the link carries (core/src/fingerprint.rs).
 *   reply.value: Verdict (web/src/api.d.ts: reproduced, differences, summary), or null when the
 *   link has none; reply.error when its fingerprint is incomplete or the run has no outcome.
 * @typedef {{type: 'decode-compare', id: number, fragment: string}} DecodeCompareRequest
 *   a link that may hold two scenarios (B's keys prefixed `b.`, see core/src/scenario/link.rs);
 *   reply.value: {ok: true, a: Scenario, b: Scenario|null, linkA: string, linkB: string|null}
 *   (b null: a solo link) | {ok: false, errors: FieldProblem[]} (each key as the link has it,
 *   `b.ram` for B's)
 * @typedef {{type: 'encode-compare', id: number, a: Scenario, b: Scenario}} EncodeCompareRequest
 *   reply.value: string, the compare link (without '#'); reply.error when either is invalid
 *
 * Jobs of the worker pool (www/pool.js). Each is answered by one reply and leaves the worker's own
 * run, if any, as it was: the job's simulations are built, run and freed inside the request.
 * @typedef {{type: 'preview', id: number, link: string, ticks: number}} PreviewRequest
 *   runs a link's scenario from tick 0 to `ticks` (or its outcome, if sooner) and answers its
 *   samples, for the faded first seconds the charts show before Run;
 *   reply.value: Samples ({rows, columns}, as `samples` frames carry them)
 * @typedef {{type: 'run-link', id: number, link: string,
 *   twins?: Array<{link: string, consulted: string[]}>}} RunLinkRequest
 *   runs a link's scenario from tick 0 to its outcome in one go;
 *   reply.value: {kind: OutcomeKind, tick: number, traceHash: string, consulted: string[]} (the
 *   outcome's tick; `consulted`, the mechanisms the run read), or {twin: number} without running
 *   when the run would be `twins[twin]`, a finished run whose scenario differs from the link's
 *   only in mechanisms it never consulted (core/src/explore/twins.rs);
 *   reply.error when the link is not valid
 * @typedef {{type: 'divergence', id: number, linkA: string, linkB: string}} DivergenceRequest
 *   runs both links in lockstep to their ends (the engine's core/src/explore/diverge.rs);
 *   reply.value: Divergence (web/src/api.d.ts): {tick, seconds, a, b, outcomeA, outcomeB,
 *   traceHashA, traceHashB}, `tick` null when the runs never differ
 * @typedef {{type: 'grid-plan', id: number, link: string, seeds: number[]}} GridPlanRequest
 *   reply.value: GridPlan: {switches: string[], cells: Array<{on: string[], link}>,
 *   runs: Array<{cell, seed, link}>}, every combination of the fix's switches on the scenario
 * @typedef {{type: 'grid-report', id: number, plan: object, results: object[]}} GridReportRequest
 *   results: Array<{cell, seed, kind, tick, traceHash, twin?}>, one per run of the plan, `twin`
 *   the index in `plan.runs` of the simulated run a twin's result was taken from;
 *   reply.value: GridReport: {cells: Array<{on, counts, worstSeed, worstLink, cures}>,
 *   cures: string[][], rule: string, simulated: number} (`simulated`: the results without `twin`)
 * @typedef {{type: 'map-plan', id: number, link: string, x: string, y: string, seeds: number[]}} MapPlanRequest
 *   a phase map of the link's scenario over two numeric link keys, each axis as the command
 *   line takes it (`mrate=500/s..5000/s:10`, `ram=64M,128M`; core/src/explore/map.rs);
 *   reply.value: MapPlan (web/src/api.d.ts): {link, x, y: {key, values, spec}, seeds,
 *   cells: Array<{x, y, link}>, runs: Array<{cell, seed, link}>}; reply.error names a bad axis
 * @typedef {{type: 'map-report', id: number, plan: object, results: object[]}} MapReportRequest
 *   results as for grid-report (any subset); reply.value: MapReport: {cells: Array<{x, y, runs,
 *   counts, hangs, hangRate, timeToHang: {medianS, q1S, q3S, ...}|null, worstSeed, worstLink,
 *   hash}>}, the same as `pageout-sim map --json`
 * @typedef {{type: 'shrink-start', id: number, link: string}} ShrinkStartRequest
 *   reply.value: ShrinkNext (web/src/api.d.ts): {state, step: null, candidates}, the first
 *   candidate being the scenario itself (core/src/explore/shrink.rs)
 * @typedef {{type: 'shrink-probe', id: number, link: string}} ShrinkProbeRequest
 *   runs one candidate to its end; reply.value: ShrinkProbe {kind, tick, detectedMs, cycle}
 * @typedef {{type: 'shrink-step', id: number, state: object, outcomes: object[]}} ShrinkStepRequest
 *   the outcomes of the first candidates, in order; reply.value: ShrinkNext with the step taken
 *   (or null) and the candidates still to run (none once state.done); reply.error when the
 *   scenario does not hang
 * @typedef {{type: 'survival-plan', id: number, link: string, kernels: string[], seeds: number[],
 *   until: string|null}} SurvivalPlanRequest
 *   the survival of the link's workload on each of `kernels` (every kernel preset when empty),
 *   alone, over `seeds`, for `until` (a link `until` value, `3600s`; the link's own when null)
 *   (core/src/explore/survival.rs); reply.value: SurvivalPlan (web/src/api.d.ts): {link,
 *   kernels, seeds, untilS, untilTick, note, runs: Array<{cell, seed, link}>} (`cell` is the
 *   kernel's index); reply.error names a bad kernel, horizon or seeds
 * @typedef {{type: 'survival-run', id: number, link: string, kernel: number}} SurvivalRunRequest
 *   runs one run of a survival plan to its outcome; reply.value: SurvivalRunResult {kernel, seed,
 *   kind, tick, cycle, traceHash} (`cycle` as cycle_text() writes it, empty when none)
 * @typedef {{type: 'survival-report', id: number, plan: object, results: object[],
 *   partial?: boolean}} SurvivalReportRequest
 *   results: every SurvivalRunResult of the plan, any order; reply.value: SurvivalReport
 *   (web/src/api.d.ts), the same as `pageout-sim survival --json`: per kernel its death ticks,
 *   curve, hang rates at 300/1800/3600 s, median time to hang and killer; reply.error when a
 *   run is missing or foreign. With `partial` (a cancelled survival): only the kernels whose
 *   every seed is among the results, the note naming the others, or null when none is
 * @typedef {{type: 'debug-trap', id?: number}} DebugTrapRequest
 *   for tests only, never sent by the page: makes the wasm instance trap as an out-of-memory
 *   does (its allocator asked for 4 GiB aborts with `unreachable`), so that the recovery below
 *   can be tested without an engine bug. Answered by a `trapped` message (and an error reply).
 */

/**
 * Messages from the worker.
 * @typedef {{type: 'reply', id: number, value?: any, error?: {message: string,
 *   problems?: FieldProblem[]}}} Reply
 * @typedef {{type: 'progress', done: number, total: number}} Progress
 * @typedef {{type: 'fatal', message: string}} Fatal  the engine could not start at all
 * @typedef {{type: 'trapped', message: string, hadRun: boolean}} Trapped
 *   the wasm instance trapped (a WebAssembly.RuntimeError, named in `message`); every call on it
 *   would trap from then on. The worker has dropped the run (a request that was being handled,
 *   and a seek under way, got an error reply) and started a fresh instance, which takes requests
 *   as before: the page says what happened and offers to load the scenario again (`hadRun`:
 *   there was one).
 */

export const REQ = Object.freeze({
  INIT: 'init',
  DECODE: 'decode',
  ENCODE: 'encode',
  LOAD: 'load',
  PLAY: 'play',
  PAUSE: 'pause',
  STEP: 'step',
  SEEK: 'seek',
  THREADS_AT: 'threads-at',
  EXPORT: 'export',
  FILE_STEM: 'file-stem',
  FINGERPRINT: 'fingerprint',
  VERIFY: 'verify',
  DEBUG_TRAP: 'debug-trap',
  DECODE_COMPARE: 'decode-compare',
  ENCODE_COMPARE: 'encode-compare',
  RUN_LINK: 'run-link',
  PREVIEW: 'preview',
  DIVERGENCE: 'divergence',
  GRID_PLAN: 'grid-plan',
  GRID_REPORT: 'grid-report',
  MAP_PLAN: 'map-plan',
  MAP_REPORT: 'map-report',
  SHRINK_START: 'shrink-start',
  SHRINK_PROBE: 'shrink-probe',
  SHRINK_STEP: 'shrink-step',
  SURVIVAL_PLAN: 'survival-plan',
  SURVIVAL_RUN: 'survival-run',
  SURVIVAL_REPORT: 'survival-report',
});

export const MSG = Object.freeze({
  REPLY: 'reply',
  FRAME: 'frame',
  PROGRESS: 'progress',
  FATAL: 'fatal',
  TRAPPED: 'trapped',
});

/** Milliseconds of engine work per slice before the worker yields and posts a frame. */
export const SLICE_MS = 8;

/** Simulated ticks per second (hz) and ticks between two samples, as in the engine. */
export const HZ = 100;
export const SAMPLE_EVERY = 10;

/**
 * The page's side of the protocol: a worker wrapped so that requests with an id return
 * promises, and everything else arrives through `onFrame` / `onProgress` / `onFatal` /
 * `onTrapped`.
 */
export class EngineClient {
  /**
   * @param {Worker} worker
   * @param {{onFrame: (f: Frame) => void, onProgress: (p: Progress) => void,
   *   onFatal: (message: string) => void, onTrapped: (t: Trapped) => void}} handlers
   */
  constructor(worker, handlers) {
    this.worker = worker;
    this.handlers = handlers;
    this.nextId = 1;
    /** @type {Map<number, {resolve: Function, reject: Function}>} */
    this.pending = new Map();
    worker.addEventListener('message', (e) => this.receive(e.data));
    worker.addEventListener('error', (e) => {
      e.preventDefault?.();
      handlers.onFatal(e.message || 'the simulation worker failed to start');
    });
  }

  receive(msg) {
    switch (msg.type) {
      case MSG.REPLY: {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) {
          const err = new Error(msg.error.message);
          err.problems = msg.error.problems || [];
          p.reject(err);
        } else {
          p.resolve(msg.value);
        }
        break;
      }
      case MSG.FRAME:
        this.handlers.onFrame(msg);
        break;
      case MSG.PROGRESS:
        this.handlers.onProgress(msg);
        break;
      case MSG.FATAL:
        this.handlers.onFatal(msg.message);
        break;
      case MSG.TRAPPED:
        this.handlers.onTrapped(msg);
        break;
      default:
        break;
    }
  }

  /** Sends a request that expects a reply. */
  request(type, fields = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type, id, ...fields });
    });
  }

  /** Sends a request without a reply (play, pause, step). */
  send(type, fields = {}) {
    this.worker.postMessage({ type, ...fields });
  }
}
