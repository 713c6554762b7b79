// What every panel that runs a plan in the worker pool shares (the grid, the map, the survival):
// the engine plans the runs, the pool runs them with a progress bar and Cancel, and the engine
// reports on what came back. A panel says how to plan, what its runs are and how to show the
// report; this module keeps the states (`data-state` on the panel: idle, planning, running,
// done, cancelled, failed), the bar, the status line, and the rule that a newer start (or a
// Cancel while planning) makes the answers of an older one stale.

import { runPlan } from './pool.js';

/** The bar and the panel's tallies are redrawn at most this often while runs come in. */
export const DRAW_MS = 250;

export const count = (n) => n.toLocaleString('en-US');
export const fmtMs = (ms) => (ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`);
const workers = (n) => `${n} worker${n === 1 ? '' : 's'}`;

/**
 * Writes a panel's settings into the URL's query (a value of null removes its key), keeping the
 * rest of the URL; `=`, `/`, `:` and `,` stay readable (`mapx=mrate=500/s..5000/s:10`).
 * @param {Record<string, string | null>} params
 */
export function writeQuery(params) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(params)) {
    if (v == null) q.delete(k);
    else q.set(k, v);
  }
  const text = q.toString().replace(/%3D/g, '=').replace(/%2F/g, '/').replace(/%3A/g, ':').replace(/%2C/g, ',');
  history.replaceState(history.state, '', `${location.pathname}?${text}${location.hash}`);
}

export class BatchPanel {
  /**
   * @param {HTMLElement} root  the panel's section
   * @param {import('./pool.js').WorkerPool} pool
   * @param {() => Promise<string>} currentLink  the link of the scenario on screen
   * @param {string} prefix  the ids of its controls: `${prefix}-start`, `-cancel`, `-progress`,
   *   `-bar`, `-count`, `-status` and `-of` (the link it ran)
   * @param {string} noun  what the status line calls the batch ("grid": "Planning the grid…")
   */
  constructor(root, pool, currentLink, prefix, noun) {
    this.root = root;
    this.pool = pool;
    this.currentLink = currentLink;
    this.noun = noun;
    /** A control of the panel by the rest of its id (`seeds` → `#grid-seeds`). */
    this.$ = (id) => root.querySelector(`#${prefix}-${id}`);
    this.ui = {};
    for (const id of ['start', 'cancel', 'progress', 'bar', 'count', 'status', 'of']) this.ui[id] = this.$(id);
    this.job = null;
    this.generation = 0;
    this.ui.cancel.addEventListener('click', () => this.cancel());
  }

  get busy() {
    const s = this.root.dataset.state;
    return s === 'running' || s === 'planning';
  }

  setState(state) {
    this.root.dataset.state = state;
    this.ui.cancel.hidden = !this.busy;
    this.ui.start.disabled = this.busy || !this.ready();
    this.ui.progress.hidden = !this.busy;
  }

  /**
   * The number in the panel's seeds field (`#${prefix}-seeds`), or null (and the field marked
   * invalid) unless it is a whole number from 1 to `max`.
   */
  seedCount(max) {
    const field = this.$('seeds');
    const v = field.value.trim();
    const n = Number(v);
    const ok = /^\d+$/.test(v) && n >= 1 && n <= max;
    field.setAttribute('aria-invalid', String(!ok));
    return ok ? n : null;
  }

  /** Whether the form may start now; a panel refuses, say, a bad seed count before Start. */
  ready() {
    return true;
  }

  /** Stops the runs under way; while the batch is being planned, drops the plan to come. */
  cancel() {
    if (this.job) {
      this.job.cancel();
    } else if (this.root.dataset.state === 'planning') {
      this.generation++;
      this.setState('cancelled');
      this.ui.status.textContent = 'Cancelled before the first run.';
    }
  }

  /**
   * One batch, from the plan to the report. Returns the report, or null (cancelled, failed, or
   * overtaken by a newer start).
   * @param {object} how
   * @param {(link: string) => Promise<object>} how.plan  the engine's plan for the link on
   *   screen (without its `#`); the runs are `plan.runs`
   * @param {(plan: object) => string} how.what  what the runs are, for the status line
   *   ("128 cells × 10 seeds")
   * @param {(plan: object) => void} [how.planned]  once planned: build the cells, write the URL
   * @param {object} [how.runs]  `runPlan` options besides `onDraw` (jobOf, resultOf, onResult)
   * @param {() => void} [how.draw]  redraws what the results so far show (at most every DRAW_MS)
   * @param {(plan: object, finished: object[]) => Promise<object>} how.report  the engine's report
   * @param {(report: object, partial: boolean) => void} how.show  draws a report
   * @param {(report: object) => string} [how.summary]  a sentence added to the status line at the end
   * @param {string} how.cancelled  a sentence added when cancelled: what the panel shows then
   * @param {boolean} [how.partial]  whether a cancelled batch is reported on what finished
   */
  async runBatch(how) {
    if (this.job) this.job.cancel();
    const gen = ++this.generation;
    const live = () => gen === this.generation;
    this.setState('planning');
    this.ui.status.textContent = `Planning the ${this.noun}…`;
    let plan;
    try {
      plan = await how.plan(String(await this.currentLink()).replace(/^#/, ''));
    } catch (err) {
      if (!live()) return null;
      this.setState('idle');
      this.ui.status.textContent = `The ${this.noun} cannot be planned: ${err.message}`;
      return null;
    }
    if (!live()) return null;
    if (this.ui.of && plan.link) this.ui.of.textContent = `#${String(plan.link).replace(/^#/, '')}`;
    how.planned?.(plan);
    const total = plan.runs.length;
    const t0 = performance.now();
    this.ui.bar.max = total;
    this.ui.bar.value = 0;
    this.ui.count.textContent = `0 of ${count(total)}`;
    this.setState('running');
    this.ui.status.textContent = `Running ${count(total)} runs (${how.what(plan)}) in ${workers(this.pool.size)}…`;
    let done = 0;
    this.job = runPlan(this.pool, plan.runs, {
      ...how.runs,
      onDraw: (d) => {
        done = d;
        if (!live()) return;
        this.ui.bar.value = done;
        this.ui.count.textContent = `${count(done)} of ${count(total)}`;
        how.draw?.();
      },
      drawMs: DRAW_MS,
    });
    const { finished, failures, cancelled } = await this.job.done;
    this.job = null;
    if (!live()) return null;
    const ms = performance.now() - t0;
    if (cancelled) {
      // what finished is shown before the panel says it is cancelled
      if (how.partial && finished.length) {
        try {
          const partial = await how.report(plan, finished);
          if (live()) how.show(partial, true);
        } catch {
          // what the panel drew while the runs came in stays
        }
        if (!live()) return null;
      }
      this.setState('cancelled');
      this.ui.status.textContent = `Cancelled after ${count(done)} of ${count(total)} runs. ${how.cancelled}`;
      return null;
    }
    if (failures.length) {
      this.setState('failed');
      this.ui.status.textContent = `${failures.length} run${failures.length === 1 ? '' : 's'} failed: ${failures[0]}`;
      return null;
    }
    let report;
    try {
      report = await how.report(plan, finished);
    } catch (err) {
      if (!live()) return null;
      this.setState('failed');
      this.ui.status.textContent = `The ${this.noun}'s report failed: ${err.message}`;
      return null;
    }
    if (!live()) return null;
    how.show(report, false);
    this.root.dataset.ms = String(Math.round(ms));
    this.setState('done');
    const more = how.summary?.(report);
    this.ui.status.textContent = `${count(total)} runs in ${fmtMs(ms)} (${workers(this.pool.size)}).${more ? ` ${more}` : ''}`;
    return report;
  }
}
