// The worker pool: every feature of the page that runs more than one simulation (the switch grid,
// the phase map, survival curves, shrinking, the first divergence, compare mode's two runs) runs it here, never on
// the main thread.
//
// The pool keeps N engine workers (www/worker.js, the same module as the page's own run), N =
// the machine's cores (navigator.hardwareConcurrency), at least 1 and at most MAX_WORKERS. Jobs
// are requests of protocol.js (`run-link`, `divergence`, `grid-plan`, `grid-report`, `map-plan`,
// `map-report`, `shrink-start`, `shrink-probe`, `shrink-step`, `survival-plan`, `survival-run`,
// `survival-report`); they wait
// in one queue and go to the first worker with room, at most IN_FLIGHT per worker so that no
// worker idles while its next job crosses the thread boundary. Each job's result is handed over
// as soon as it is known (`onResult`), with the batch's progress (`onProgress`).
//
// Cancelling a batch drops its queued jobs and terminates the workers running its jobs (a run
// under way cannot be interrupted otherwise: it is one call into wasm); each of its jobs rejects
// with a `CancelledError`. Jobs of other batches that were waiting in those workers go back to the
// head of the queue, and workers are started again as jobs come.
//
// A feature that needs a run of its own to play, seek and look back in (compare mode) leases a
// worker: a dedicated engine worker outside the job rotation, wrapped in an EngineClient, that
// lives until it is released.

import { EngineClient, REQ } from './protocol.js';

/** The most job workers, whatever the machine says (each holds a wasm instance). */
export const MAX_WORKERS = 8;
/** Jobs handed to one worker before its first reply: one running, one waiting in its queue. */
export const IN_FLIGHT = 2;

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** How many job workers this machine gets. */
export function defaultPoolSize() {
  const cores = Number(globalThis.navigator?.hardwareConcurrency) || 1;
  return Math.max(1, Math.min(MAX_WORKERS, Math.floor(cores)));
}

/** The rejection of a job that was cancelled before it finished. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

function spawn() {
  return new Worker(WORKER_URL, { type: 'module' });
}

/** One job worker and the jobs handed to it. */
class Slot {
  constructor(pool) {
    this.pool = pool;
    this.worker = spawn();
    /** @type {Set<object>} jobs sent to this worker and not answered yet */
    this.inflight = new Set();
    this.dead = false;
    this.client = new EngineClient(this.worker, {
      onFrame() {},
      onProgress() {},
      onFatal: (message) => this.fail(new Error(message)),
      onTrapped() {
        // the worker has a fresh engine already and answered the job that trapped with an error
      },
    });
  }

  /** The worker cannot go on: its jobs fail, and the pool replaces it. */
  fail(err) {
    if (this.dead) return;
    this.stop();
    for (const job of this.inflight) job.reject(err);
    this.inflight.clear();
    this.pool.replace(this);
  }

  stop() {
    this.dead = true;
    this.worker.terminate();
  }

  send(job) {
    this.inflight.add(job);
    this.client.request(job.type, job.fields).then(
      (value) => {
        if (!this.inflight.delete(job)) return; // cancelled meanwhile
        job.resolve(value);
        this.pool.pump();
      },
      (err) => {
        if (!this.inflight.delete(job)) return;
        job.reject(err);
        this.pool.pump();
      },
    );
  }
}

export class WorkerPool {
  /** @param {{size?: number}} [options] */
  constructor({ size = defaultPoolSize() } = {}) {
    this.size = Math.max(1, Math.min(MAX_WORKERS, Math.floor(size)));
    /** @type {Slot[]} started lazily, on the first job */
    this.slots = [];
    /** @type {Array<{type: string, fields: object, resolve: Function, reject: Function}>} */
    this.queue = [];
    /** @type {Set<{client: EngineClient, worker: Worker}>} */
    this.leases = new Set();
  }

  /** Jobs waiting or under way. */
  get busy() {
    return this.queue.length + this.slots.reduce((n, s) => n + s.inflight.size, 0);
  }

  /**
   * Runs one request of protocol.js on the first free worker.
   * @param {string} type  a REQ of protocol.js
   * @param {object} [fields]
   * @param {object|null} [group]  the batch the job belongs to (see `cancel`)
   * @param {(() => object)|null} [prepare]  more fields, asked for when the job goes to a worker
   * @returns {Promise<any>} the reply's value; rejects with the worker's error, or a
   *   CancelledError when its batch was cancelled first
   */
  request(type, fields = {}, group = null, prepare = null) {
    return new Promise((resolve, reject) => {
      this.queue.push({ type, fields, resolve, reject, group, prepare });
      this.pump();
    });
  }

  /**
   * Runs a batch of jobs and streams their results. Jobs are queued in order; results arrive in
   * the order they finish.
   * @param {Array<{type: string, fields?: object, prepare?: () => object}>} jobs  `prepare` adds
   *   fields when the job goes to a worker
   * @param {{onResult?: (index: number, value: any) => void,
   *   onError?: (index: number, err: Error) => void,
   *   onProgress?: (done: number, total: number) => void}} [handlers]
   * @returns {{done: Promise<{done: number, total: number, failed: number, cancelled: boolean}>,
   *   cancel: () => void}} `cancel` stops this batch's jobs, queued or under way
   */
  runAll(jobs, handlers = {}) {
    const group = {};
    const total = jobs.length;
    let done = 0;
    let failed = 0;
    let cancelled = false;
    const finished = jobs.map((job, index) =>
      this.request(job.type, job.fields || {}, group, job.prepare || null).then(
        (value) => {
          done++;
          handlers.onResult?.(index, value);
          handlers.onProgress?.(done, total);
        },
        (err) => {
          if (err instanceof CancelledError) {
            cancelled = true;
            return;
          }
          done++;
          failed++;
          handlers.onError?.(index, err);
          handlers.onProgress?.(done, total);
        },
      ),
    );
    return {
      done: Promise.all(finished).then(() => ({ done, total, failed, cancelled })),
      cancel: () => this.cancel(group),
    };
  }

  /**
   * Stops the jobs of one batch (`group`), or every job when `group` is left out: the queued ones
   * and those under way, whose workers are terminated. Each rejects with a CancelledError; other
   * jobs those workers held are queued again first. Leased workers are not touched.
   * @param {object} [group]
   */
  cancel(group) {
    const err = new CancelledError();
    const hit = (job) => group === undefined || job.group === group;
    const requeue = [];
    for (const slot of this.slots) {
      const jobs = [...slot.inflight];
      if (!jobs.some(hit)) continue;
      slot.stop();
      slot.inflight.clear();
      for (const job of jobs) {
        if (hit(job)) job.reject(err);
        else requeue.push(job);
      }
    }
    this.slots = this.slots.filter((s) => !s.dead);
    const kept = [];
    for (const job of this.queue) {
      if (hit(job)) job.reject(err);
      else kept.push(job);
    }
    this.queue = [...requeue, ...kept];
    this.pump();
  }

  /** Hands queued jobs to workers with room, starting workers as needed. */
  pump() {
    while (this.queue.length > 0) {
      let slot = null;
      for (const s of this.slots) {
        if (!s.dead && s.inflight.size < IN_FLIGHT && (!slot || s.inflight.size < slot.inflight.size)) slot = s;
      }
      // an idle worker first; a new one while there is room for more
      if ((!slot || slot.inflight.size > 0) && this.slots.length < this.size) {
        slot = new Slot(this);
        this.slots.push(slot);
      }
      if (!slot) return;
      const job = this.queue.shift();
      // fields that depend on what has finished by now (runPlan's twins) are added as it leaves
      if (job.prepare) job.fields = { ...job.fields, ...job.prepare() };
      slot.send(job);
    }
  }

  /** Replaces a worker that failed. */
  replace(slot) {
    this.slots = this.slots.filter((s) => s !== slot);
    this.pump();
  }

  /**
   * A worker of one's own, for a run to play and seek in (the requests of the page's own run:
   * init, load, play, seek, threads-at ...). It is not one of the job workers and lives until
   * `release`.
   * @param {{onFrame: Function, onProgress: Function, onFatal: Function, onTrapped: Function}} handlers
   * @returns {{client: EngineClient, release: () => void}}
   */
  lease(handlers) {
    const worker = spawn();
    const client = new EngineClient(worker, handlers);
    const lease = { client, worker };
    this.leases.add(lease);
    return {
      client,
      release: () => {
        if (!this.leases.delete(lease)) return;
        worker.terminate();
        for (const p of client.pending.values()) p.reject(new CancelledError());
        client.pending.clear();
      },
    };
  }
}

/** The page's one pool. */
let shared = null;
export function pool() {
  if (!shared) shared = new WorkerPool();
  return shared;
}

/** The job that runs a link to its outcome: resolves to {kind, tick, traceHash}. */
export function runLinkJob(link) {
  return { type: REQ.RUN_LINK, fields: { link } };
}

/**
 * Runs the runs of a grid's or a map's plan (each `{cell, seed, link}`) to their outcomes in the
 * pool, for a panel that draws them as they come: each result, in the shape the engine's reports
 * read (`{cell, seed, kind, tick, traceHash}`), goes to `onResult(result, index)` as it arrives,
 * and `onDraw(done, total)` is called at most once per `drawMs` (in an animation frame) and once
 * at the end, so that a panel redraws in batches while every core runs.
 * A plan whose runs are other jobs (a survival's `survival-run`) gives `jobOf(run)`, the job of a
 * run, and `resultOf(run, value)`, the result it keeps of the reply.
 * With `twins` (run-link jobs only), each run goes out with the finished runs of its seed that
 * were simulated, and a run the engine finds to be one of them (it differs only in mechanisms
 * that run never read: core/src/explore/twins.rs) is not simulated again: its result is that
 * run's, with `twin`, the index of that run in `runs`.
 * @returns {{cancel: () => void, done: Promise<{results: object[], finished: object[],
 *   failures: string[], cancelled: boolean, done: number}>}}
 */
export function runPlan(
  pool,
  runs,
  {
    onResult = () => {},
    onDraw = () => {},
    drawMs = 250,
    jobOf = (r) => runLinkJob(r.link),
    resultOf = (r, v) => ({ cell: r.cell, seed: r.seed, kind: v.kind, tick: v.tick, traceHash: v.traceHash }),
    twins = false,
  } = {},
) {
  const results = new Array(runs.length);
  // twins: the simulated runs of each seed that have finished ({index, link, consulted}), and
  // the list each run was sent with
  const simulated = new Map();
  const offered = new Array(runs.length);
  const jobAt = (r, i) => {
    const job = jobOf(r);
    if (!twins) return job;
    return {
      ...job,
      prepare: () => {
        offered[i] = simulated.get(String(r.seed)) || [];
        return { twins: offered[i].map(({ link, consulted }) => ({ link, consulted })) };
      },
    };
  };
  const keep = (i, v) => {
    if (v.twin == null) {
      results[i] = resultOf(runs[i], v);
      if (twins) {
        const seed = String(runs[i].seed);
        if (!simulated.has(seed)) simulated.set(seed, []);
        simulated.get(seed).push({ index: i, link: runs[i].link, consulted: v.consulted });
      }
      return;
    }
    const from = offered[i][v.twin].index;
    const { kind, tick, traceHash } = results[from];
    results[i] = { cell: runs[i].cell, seed: runs[i].seed, kind, tick, traceHash, twin: from };
  };
  const failures = [];
  let done = 0;
  let timer = 0;
  const draw = () => {
    timer = 0;
    onDraw(done, runs.length);
  };
  const batch = pool.runAll(
    runs.map(jobAt),
    {
      onResult: (i, v) => {
        keep(i, v);
        onResult(results[i], i);
      },
      onError: (i, err) => failures.push(`${runs[i].link}: ${err.message}`),
      onProgress: (d) => {
        done = d;
        if (!timer) timer = setTimeout(() => requestAnimationFrame(draw), drawMs);
      },
    },
  );
  return {
    cancel: batch.cancel,
    done: batch.done.then((summary) => {
      clearTimeout(timer);
      draw();
      return { results, finished: results.filter(Boolean), failures, cancelled: summary.cancelled, done };
    }),
  };
}
