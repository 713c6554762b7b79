// The simulation worker: owns the wasm engine and the one running `Simulation`.
// It works in slices of at most SLICE_MS and posts one frame per slice, so the page stays
// responsive and draws at its own pace. See protocol.js for the messages.
//
// The same module is each worker of the pool (www/pool.js): there it answers jobs (`run-link`,
// `divergence`, `grid-plan`, `grid-report`), each in one go, or holds one run of compare mode.
//
// A trap (a WebAssembly.RuntimeError: `unreachable`, an access out of bounds) leaves the wasm
// instance unusable: its stack pointer and its RefCells stay where the trap left them. So the
// worker drops the run, starts a fresh instance and tells the page, which offers to reload.

import { REQ, MSG, SLICE_MS, HZ } from './protocol.js';

/** At a set speed, frames go out about this often (at full speed: after every slice). */
const FRAME_MS = 16;

const GLUE = new URL('./pkg/pageout_web.js', import.meta.url).href;
const WASM = new URL('./pkg/pageout_web_bg.wasm', import.meta.url);

/** The glue module of the live instance: the engine's API (`engine.Simulation`, ...). */
let engine = null;
/** The live instance's raw exports (only the debug hook uses them). */
let raw = null;
/** The compiled module, kept to start a fresh instance without fetching it again. */
let compiled = null;
/** Instances started so far. */
let instances = 0;

/**
 * Starts a wasm instance. The glue keeps one instance per copy of itself, so every instance
 * after the first gets a fresh copy of the glue (the same file under another query string).
 */
async function instantiate() {
  instances += 1;
  const glue = await import(instances === 1 ? GLUE : `${GLUE}?instance=${instances}`);
  if (!compiled) compiled = await WebAssembly.compile(await (await fetch(WASM)).arrayBuffer());
  raw = await glue.default({ module_or_path: compiled });
  engine = glue;
}

/** Settles when the live instance is ready; replaced while a fresh one starts. */
let ready = instantiate().catch((e) => {
  postMessage({ type: MSG.FATAL, message: `the engine could not be loaded: ${e && e.message ? e.message : e}` });
  throw e;
});

/** The scenario of the current run (to rebuild it when seeking backwards). */
let scenario = null;
/** @type {any} the wasm Simulation */
let sim = null;
/** What the page has already received, so frames carry only what is new. */
let rowsSent = 0;
let linesSent = 0;
let messagesSent = 0;
let eventsSent = 0;
let outcomeSent = false;
let resetPending = false;

let playing = false;
let speed = 10;
let playWall = 0;
let playTick = 0;
/** A seek in progress: {id, target}. */
let seekJob = null;
/** Ticks per engine call, tuned so one call takes about a millisecond. */
let batch = 10;
let loopScheduled = false;

const yieldChannel = new MessageChannel();
yieldChannel.port1.onmessage = () => {
  loopScheduled = false;
  loop();
};

function schedule(delayMs = 0) {
  if (loopScheduled) return;
  loopScheduled = true;
  if (delayMs > 0) {
    setTimeout(() => {
      loopScheduled = false;
      loop();
    }, delayMs);
  } else {
    yieldChannel.port2.postMessage(0);
  }
}

function reply(id, value) {
  postMessage({ type: MSG.REPLY, id, value });
}

function replyError(id, err, problems) {
  const message = err && err.message ? err.message : String(err);
  postMessage({ type: MSG.REPLY, id, error: { message, problems: problems || [] } });
}

function freeSim() {
  if (sim) {
    sim.free();
    sim = null;
  }
}

/** A trap of the wasm instance, as opposed to an Error the engine threw on purpose. */
function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError;
}

/**
 * After a trap: drops the run, answers the request that trapped (and a seek under way) with an
 * error, starts a fresh instance and tells the page. Requests wait until the instance is up.
 * @param {Error} e the trap
 * @param {number|undefined} id the request being handled, if any
 */
function recover(e, id) {
  const message = `${e.name}: ${e.message}`;
  playing = false;
  if (seekJob) {
    replyError(seekJob.id, e);
    seekJob = null;
  }
  if (id !== undefined) replyError(id, e);
  if (sim) {
    // the glue forgets the object before it calls into wasm, so a second trap here leaves
    // nothing behind for the finalizer
    try {
      sim.free();
    } catch {
      // the old instance is gone with it
    }
    sim = null;
  }
  ready = instantiate().then(
    () => postMessage({ type: MSG.TRAPPED, message, hadRun: scenario !== null }),
    (err) => {
      postMessage({ type: MSG.FATAL, message: `the engine trapped (${message}) and could not be restarted: ${err && err.message ? err.message : err}` });
      throw err;
    },
  );
  return ready;
}

/** Builds a fresh Simulation of the current scenario at tick 0. */
function rebuild() {
  freeSim();
  sim = new engine.Simulation(scenario);
  rowsSent = 0;
  linesSent = 0;
  messagesSent = 0;
  eventsSent = 0;
  outcomeSent = false;
  resetPending = true;
  batch = Math.max(1, batch);
}

function status() {
  const s = { tick: Number(sim.tick()), finished: false, outcome: null };
  const o = sim.outcome();
  if (o) {
    s.finished = true;
    s.outcome = o.kind;
  }
  return s;
}

/** Posts what changed since the last frame. */
function postFrame() {
  if (!sim) return;
  const st = status();
  const samples = sim.samplesSince(rowsSent);
  rowsSent = samples.start + samples.rows;
  const log = sim.logSince(linesSent);
  linesSent += log.length;
  const messages = sim.messagesSince(messagesSent);
  messagesSent += messages.length;
  const events = sim.eventsSince(eventsSent);
  eventsSent += events.length;
  let outcome = null;
  let traceHash = null;
  let stats = null;
  if (st.finished && !outcomeSent) {
    outcome = sim.outcome();
    traceHash = sim.traceHash();
    stats = sim.stats();
    outcomeSent = true;
  }
  // Hand the copies over without copying again; only arrays that own their whole buffer
  // (never a view into wasm memory).
  const transfer = [
    ...new Set(
      Object.values(samples.columns || {})
        .filter((a) => ArrayBuffer.isView(a) && a.buffer instanceof ArrayBuffer && a.byteLength === a.buffer.byteLength)
        .map((a) => a.buffer),
    ),
  ];
  postMessage(
    {
      type: MSG.FRAME,
      reset: resetPending,
      status: st,
      samples,
      log,
      messages,
      events,
      threads: sim.threads(),
      outcome,
      stats,
      traceHash,
      playing,
    },
    transfer,
  );
  resetPending = false;
}

/**
 * Advances the simulation towards `target` for at most `budgetMs` of wall time.
 * Returns true when the target or the end of the run was reached.
 */
function work(target, budgetMs) {
  const start = performance.now();
  for (;;) {
    const now = Number(sim.tick());
    if (now >= target) return true;
    const n = Math.min(batch, target - now);
    const t0 = performance.now();
    const st = sim.advance(n);
    const dt = performance.now() - t0;
    // Keep one call around a millisecond, whatever the engine's speed on this machine.
    if (dt < 0.5 && n === batch) batch = Math.min(batch * 2, 100000);
    else if (dt > 2 && batch > 1) batch = Math.max(1, Math.floor(batch / 2));
    if (st.finished) return true;
    if (performance.now() - start >= budgetMs) return false;
  }
}

function loop() {
  try {
    slice();
  } catch (e) {
    if (!isTrap(e)) throw e;
    recover(e);
  }
}

/** One slice of work: a seek, or the run at its speed. */
function slice() {
  if (!sim) return;
  if (seekJob) {
    const job = seekJob;
    const done = work(job.target, SLICE_MS);
    postMessage({ type: MSG.PROGRESS, done: Number(sim.tick()), total: job.target });
    if (done) {
      seekJob = null;
      postFrame();
      reply(job.id, { tick: Number(sim.tick()) });
    }
    schedule();
    return;
  }
  if (!playing) return;
  const now = Number(sim.tick());
  const target =
    speed > 0 ? playTick + Math.floor(((performance.now() - playWall) * speed * HZ) / 1000) : Infinity;
  if (target > now) {
    const caughtUp = work(target, SLICE_MS);
    if (status().finished) playing = false;
    postFrame();
    // Behind the clock (or flat out): go on at once. On time: next frame in FRAME_MS.
    if (playing) schedule(caughtUp && speed > 0 ? FRAME_MS : 0);
  } else {
    schedule(FRAME_MS);
  }
}

function startPlaying(newSpeed) {
  speed = newSpeed;
  if (!sim) return;
  if (status().finished) {
    playing = false;
    postFrame();
    return;
  }
  playing = true;
  playWall = performance.now();
  playTick = Number(sim.tick());
  schedule();
}

async function handle(msg) {
  await ready;
  try {
    handleNow(msg);
  } catch (e) {
    if (!isTrap(e)) throw e;
    await recover(e, msg.id);
  }
}

/** Replies with what `f` returns, or with the Error it throws (a trap goes on up). */
function guarded(id, f) {
  let value;
  try {
    value = f();
  } catch (e) {
    if (isTrap(e)) throw e;
    replyError(id, e);
    return;
  }
  reply(id, value);
}

/** Ticks per call while a job runs a link to its end (the run is one job: no yielding). */
const JOB_TICKS = 1_000_000;

/** A pool job: runs a link from tick 0 to its outcome, beside (never instead of) the own run. */
/** The samples of a link's run from its start to `ticks` (or its outcome, if sooner). */
function preview(link, ticks) {
  const job = engine.Simulation.fromLink(String(link));
  try {
    job.runUntil(Number(ticks));
    return job.samplesSince(0);
  } finally {
    try {
      job.free();
    } catch {
      // after a trap the instance is gone, and the job with it
    }
  }
}

function runLink(link, twins) {
  // a run that is one of the finished runs offered (it differs from it only in mechanisms that
  // run never read) is not run again: the page takes that run's result (explore/twins.rs)
  if (Array.isArray(twins) && twins.length) {
    const twin = engine.twinOf(String(link), twins);
    if (twin != null) return { twin };
  }
  const job = engine.Simulation.fromLink(String(link));
  try {
    for (;;) {
      const st = job.advance(JOB_TICKS);
      if (st.finished) break;
    }
    const o = job.outcome();
    return { kind: o.kind, tick: Number(o.tick), traceHash: job.traceHash(), consulted: job.consulted() };
  } finally {
    try {
      job.free();
    } catch {
      // after a trap the instance is gone, and the job with it
    }
  }
}

function handleNow(msg) {
  switch (msg.type) {
    case REQ.INIT:
      reply(msg.id, {
        engineVersion: engine.engineVersion(),
        presets: engine.presets(),
        defaultScenario: engine.defaultScenario(),
        columns: engine.columns(),
        limits: engine.limits(),
      });
      break;
    case REQ.DECODE:
      try {
        reply(msg.id, engine.decodeLink(msg.fragment));
      } catch (e) {
        if (isTrap(e)) throw e;
        reply(msg.id, { ok: false, errors: [{ key: '', given: msg.fragment, allowed: '', message: String(e.message || e) }] });
      }
      break;
    case REQ.ENCODE:
      try {
        reply(msg.id, engine.encodeLink(msg.scenario));
      } catch (e) {
        if (isTrap(e)) throw e;
        replyError(msg.id, e);
      }
      break;
    case REQ.LOAD: {
      playing = false;
      seekJob = null;
      const previous = scenario;
      try {
        scenario = msg.scenario;
        rebuild();
      } catch (e) {
        if (isTrap(e)) throw e;
        scenario = previous;
        freeSim();
        replyError(msg.id, e);
        break;
      }
      reply(msg.id, { thresholds: sim.thresholds(), warm: sim.warmStart(), link: sim.toLink() });
      postFrame();
      break;
    }
    case REQ.PLAY:
      startPlaying(msg.speed);
      break;
    case REQ.PAUSE:
      playing = false;
      if (sim) postFrame();
      break;
    case REQ.THREADS_AT:
      if (!sim) {
        replyError(msg.id, new Error('nothing loaded'));
        break;
      }
      reply(msg.id, sim.threadsAt(Math.max(0, Math.floor(Number(msg.tick) || 0))));
      break;
    case REQ.STEP:
      if (!sim) break;
      playing = false;
      work(Number(sim.tick()) + msg.ticks, 1000);
      postFrame();
      break;
    case REQ.SEEK: {
      if (!sim) {
        replyError(msg.id, new Error('nothing loaded'));
        break;
      }
      playing = false;
      if (seekJob) reply(seekJob.id, { tick: Number(sim.tick()), cancelled: true });
      const target = Math.max(0, Math.floor(msg.tick));
      if (target < Number(sim.tick())) rebuild();
      seekJob = { id: msg.id, target };
      schedule();
      break;
    }
    case REQ.EXPORT:
    case REQ.FINGERPRINT:
    case REQ.VERIFY:
      if (!sim) {
        replyError(msg.id, new Error('nothing loaded'));
        break;
      }
      try {
        if (msg.type === REQ.EXPORT) reply(msg.id, sim.exportFile(msg.kind, msg.pageUrl));
        else if (msg.type === REQ.FINGERPRINT) reply(msg.id, sim.fingerprint() ?? null);
        else reply(msg.id, sim.verify(msg.fragment));
      } catch (e) {
        if (isTrap(e)) throw e;
        replyError(msg.id, e);
      }
      break;
    case REQ.FILE_STEM:
      try {
        reply(msg.id, engine.fileStem(msg.scenario));
      } catch (e) {
        if (isTrap(e)) throw e;
        replyError(msg.id, e);
      }
      break;
    case REQ.DECODE_COMPARE:
      try {
        reply(msg.id, engine.decodeCompareLink(msg.fragment));
      } catch (e) {
        if (isTrap(e)) throw e;
        reply(msg.id, { ok: false, errors: [{ key: '', given: msg.fragment, allowed: '', message: String(e.message || e) }] });
      }
      break;
    case REQ.ENCODE_COMPARE:
      guarded(msg.id, () => engine.encodeCompareLink(msg.a, msg.b));
      break;
    case REQ.RUN_LINK:
      guarded(msg.id, () => runLink(msg.link, msg.twins));
      break;
    case REQ.PREVIEW:
      guarded(msg.id, () => preview(msg.link, msg.ticks));
      break;
    case REQ.DIVERGENCE:
      guarded(msg.id, () => engine.divergence(msg.linkA, msg.linkB));
      break;
    case REQ.GRID_PLAN:
      guarded(msg.id, () => engine.gridPlan(msg.link, msg.seeds));
      break;
    case REQ.GRID_REPORT:
      guarded(msg.id, () => engine.gridReport(msg.plan, msg.results));
      break;
    case REQ.MAP_PLAN:
      guarded(msg.id, () => engine.mapPlan(msg.link, msg.x, msg.y, msg.seeds));
      break;
    case REQ.MAP_REPORT:
      guarded(msg.id, () => engine.mapReport(msg.plan, msg.results));
      break;
    case REQ.SHRINK_START:
      guarded(msg.id, () => engine.shrinkStart(msg.link));
      break;
    case REQ.SHRINK_PROBE:
      guarded(msg.id, () => engine.shrinkProbe(msg.link));
      break;
    case REQ.SHRINK_STEP:
      guarded(msg.id, () => engine.shrinkStep(msg.state, msg.outcomes));
      break;
    case REQ.SURVIVAL_PLAN:
      guarded(msg.id, () => engine.survivalPlan(msg.link, msg.kernels, msg.seeds, msg.until ?? null));
      break;
    case REQ.SURVIVAL_RUN:
      guarded(msg.id, () => engine.survivalRun(msg.link, msg.kernel));
      break;
    case REQ.SURVIVAL_REPORT:
      guarded(msg.id, () => engine.survivalReport(msg.plan, msg.results, Boolean(msg.partial)));
      break;
    case REQ.DEBUG_TRAP:
      // For tests: a trap the way an out-of-memory ends, the allocator asked for 4 GiB.
      raw.__wbindgen_malloc(0xfffffff0, 8);
      replyError(msg.id, new Error('the engine did not trap'));
      break;
    default:
      break;
  }
}

// Requests are handled one after another, in the order they were sent.
let queue = Promise.resolve();
self.onmessage = (e) => {
  queue = queue.then(() => handle(e.data)).catch((err) => {
    postMessage({ type: MSG.FATAL, message: String(err && err.message ? err.message : err) });
  });
};
