// "What cures it": the switch grid. For the scenario on screen, every combination of the fix's
// on/off switches (the engine's `gridPlan`), each run over seeds 1..N in the worker pool
// (www/pool.js), with a progress bar and Cancel. Each cell is coloured by its outcomes, says the
// rate of the most common one, and links to its worst seed's run; the smallest sets of switches
// that cure the scenario are named. Which runs belong to which cell, what counts as a cure and
// which seed is the worst are the engine's (`gridReport`), so the page and `pageout-sim grid`
// agree by construction; while the runs come in, the cells show a tally of what has finished.

import { REQ } from './protocol.js';
import { runPlan } from './pool.js';

export const DEFAULT_SEEDS = 10;
export const MAX_SEEDS = 100;
/** The progress bar and the cells are redrawn at most this often while runs come in. */
const DRAW_MS = 250;

/** Outcome kinds, from the best to the worst (the engine's order of a worst run, reversed). */
export const KINDS = ['survived', 'starved', 'out-of-memory', 'stall', 'deadlock'];
const KIND_WORD = {
  survived: 'survived',
  starved: 'starved',
  stall: 'stall',
  'out-of-memory': 'out of memory',
  deadlock: 'deadlock',
};

const fmtMs = (ms) => (ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`);

/** The most common kind of a cell's counts (the worse one on a tie), and its count. */
function dominant(counts) {
  let best = null;
  let n = -1;
  for (const k of KINDS) {
    const c = Number(counts[k] || 0);
    if (c >= n && c > 0) {
      best = k;
      n = c;
    }
  }
  return { kind: best, n: Math.max(0, n) };
}

/**
 * Fills a tile: one band per kind, as wide as its share of the runs (plain boxes: a CSS gradient
 * per tile costs milliseconds of paint each, while every core runs the grid), and the rate.
 */
function paint(tile, counts, total, rate) {
  const bands = document.createElement('span');
  bands.className = 'bands';
  for (const k of KINDS) {
    const c = Number(counts[k] || 0);
    if (!c) continue;
    const band = document.createElement('i');
    band.className = `k-${k}`;
    band.style.width = `${((100 * c) / total).toFixed(2)}%`;
    bands.append(band);
  }
  const text = document.createElement('span');
  text.className = 'rate';
  text.textContent = rate;
  tile.replaceChildren(bands, text);
}

const setName = (on) => (on.length ? on.join(' + ') : 'no switch on');

export class GridPanel {
  /**
   * @param {HTMLElement} root  the grid section (index.html #grid)
   * @param {import('./pool.js').WorkerPool} pool
   * @param {() => Promise<string>} currentLink  the link of the scenario on screen
   */
  constructor(root, pool, currentLink) {
    this.root = root;
    this.pool = pool;
    this.currentLink = currentLink;
    const $ = (id) => root.querySelector(`#${id}`);
    this.ui = {
      seeds: $('grid-seeds'),
      start: $('grid-start'),
      cancel: $('grid-cancel'),
      progress: $('grid-progress'),
      bar: $('grid-bar'),
      count: $('grid-count'),
      status: $('grid-status'),
      of: $('grid-of'),
      cells: $('grid-cells'),
      detail: $('grid-detail'),
      cures: $('grid-cures'),
      rule: $('grid-rule'),
    };
    this.job = null;
    this.generation = 0;
    this.ui.seeds.value = String(DEFAULT_SEEDS);
    this.ui.start.addEventListener('click', () => this.start());
    this.ui.cancel.addEventListener('click', () => this.cancel());
    this.ui.seeds.addEventListener('input', () => this.checkSeeds());
    const show = (e) => {
      const cell = e.target.closest('.cell');
      if (cell) this.ui.detail.textContent = cell.getAttribute('aria-label');
    };
    this.ui.cells.addEventListener('pointerover', show);
    this.ui.cells.addEventListener('focusin', show);
    this.setState('idle');
  }

  setState(state) {
    this.root.dataset.state = state;
    const running = state === 'running' || state === 'planning';
    this.ui.cancel.hidden = !running;
    this.ui.start.disabled = running || Boolean(this.checkSeeds());
    this.ui.progress.hidden = !running;
  }

  /** The seed count as a number, or a sentence saying what is wrong with it (and marks it). */
  checkSeeds() {
    const v = this.ui.seeds.value.trim();
    const n = Number(v);
    const bad = !/^\d+$/.test(v) || n < 1 || n > MAX_SEEDS ? `Seeds: a whole number from 1 to ${MAX_SEEDS}` : '';
    this.ui.seeds.setAttribute('aria-invalid', String(Boolean(bad)));
    this.ui.start.title = bad;
    if (this.root.dataset.state !== 'running' && this.root.dataset.state !== 'planning') this.ui.start.disabled = Boolean(bad);
    return bad;
  }

  cancel() {
    if (!this.job) return;
    this.job.cancel();
  }

  /** Plans the grid of the scenario on screen, runs it in the pool, then asks for the report. */
  async start() {
    if (this.checkSeeds()) return;
    if (this.job) this.job.cancel();
    const gen = ++this.generation;
    const n = Number(this.ui.seeds.value);
    const seeds = Array.from({ length: n }, (_, i) => i + 1);
    this.setState('planning');
    this.ui.status.textContent = 'Planning the grid…';
    this.ui.cures.textContent = '';
    this.ui.rule.textContent = '';
    this.ui.detail.textContent = '';
    let link;
    let plan;
    try {
      link = String(await this.currentLink()).replace(/^#/, '');
      plan = await this.pool.request(REQ.GRID_PLAN, { link, seeds });
    } catch (err) {
      if (gen !== this.generation) return;
      this.setState('idle');
      this.ui.status.textContent = `The grid cannot be planned: ${err.message}`;
      return;
    }
    if (gen !== this.generation) return;
    this.plan = plan;
    this.link = link;
    this.ui.of.textContent = `#${link}`;
    this.buildCells(plan, seeds.length);
    const total = plan.runs.length;
    const tally = plan.cells.map(() => ({}));
    const dirty = new Set();
    const t0 = performance.now();
    this.ui.bar.max = total;
    this.ui.bar.value = 0;
    this.ui.count.textContent = `0 of ${total}`;
    this.setState('running');
    this.ui.status.textContent = `Running ${total.toLocaleString('en-US')} runs (${plan.cells.length} cells × ${seeds.length} seeds) in ${this.pool.size} worker${this.pool.size === 1 ? '' : 's'}…`;
    let done = 0;
    this.job = runPlan(this.pool, plan.runs, {
      onResult: (r) => {
        tally[r.cell][r.kind] = (tally[r.cell][r.kind] || 0) + 1;
        dirty.add(r.cell);
      },
      onDraw: (d) => {
        done = d;
        if (gen !== this.generation) return;
        this.ui.bar.value = done;
        this.ui.count.textContent = `${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`;
        for (const c of dirty) this.paintTally(c, tally[c]);
        dirty.clear();
      },
      drawMs: DRAW_MS,
    });
    const { finished, failures, cancelled } = await this.job.done;
    this.job = null;
    if (gen !== this.generation) return;
    const ms = performance.now() - t0;
    if (cancelled) {
      this.setState('cancelled');
      this.ui.status.textContent = `Cancelled after ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} runs.`;
      // what finished still says something: each cell's worst run so far (no cell cures with
      // runs missing, so no cure is named)
      if (finished.length === 0) return;
      try {
        const partial = await this.pool.request(REQ.GRID_REPORT, { plan, results: finished });
        if (gen !== this.generation) return;
        this.showReport(partial, seeds.length);
        this.ui.cures.textContent = '';
        this.ui.status.textContent += ' The cells show the runs that finished; each opens its worst run so far.';
      } catch {
        // the tallies stay
      }
      return;
    }
    if (failures.length) {
      this.setState('failed');
      this.ui.status.textContent = `${failures.length} run${failures.length === 1 ? '' : 's'} failed: ${failures[0]}`;
      return;
    }
    let report;
    try {
      report = await this.pool.request(REQ.GRID_REPORT, { plan, results: finished });
    } catch (err) {
      if (gen !== this.generation) return;
      this.setState('failed');
      this.ui.status.textContent = `The grid's report failed: ${err.message}`;
      return;
    }
    if (gen !== this.generation) return;
    this.report = report;
    this.showReport(report, seeds.length);
    this.root.dataset.ms = String(Math.round(ms));
    this.setState('done');
    this.ui.status.textContent = `${total.toLocaleString('en-US')} runs in ${fmtMs(ms)} (${this.pool.size} worker${this.pool.size === 1 ? '' : 's'}).`;
  }

  /** One tile per cell, grouped by how many switches are on. */
  buildCells(plan, seeds) {
    this.tiles = [];
    this.seeds = seeds;
    const groups = new Map();
    plan.cells.forEach((cell, i) => {
      const k = cell.on.length;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(i);
    });
    const rows = [];
    for (const k of [...groups.keys()].sort((a, b) => a - b)) {
      const row = document.createElement('div');
      row.className = 'grid-row';
      const head = document.createElement('p');
      head.className = 'grid-row-head';
      head.textContent = k === 0 ? 'none on' : `${k} on`;
      const list = document.createElement('ul');
      list.className = 'grid-tiles';
      list.setAttribute('aria-label', k === 0 ? 'no switch on' : `${k} switch${k === 1 ? '' : 'es'} on`);
      for (const i of groups.get(k)) {
        const li = document.createElement('li');
        const tile = document.createElement('span');
        tile.className = 'cell pending';
        tile.dataset.cell = String(i);
        tile.dataset.on = plan.cells[i].on.join(',');
        tile.tabIndex = 0;
        tile.setAttribute('aria-label', `${setName(plan.cells[i].on)}: waiting`);
        li.append(tile);
        list.append(li);
        this.tiles[i] = tile;
      }
      row.append(head, list);
      rows.push(row);
    }
    this.ui.cells.replaceChildren(...rows);
  }

  /** A cell while its runs come in: the tally so far. */
  paintTally(i, counts) {
    const tile = this.tiles[i];
    const d = dominant(counts);
    tile.dataset.kind = d.kind || '';
    paint(tile, counts, this.seeds, d.kind ? String(d.n) : '');
    const done = Object.values(counts).reduce((a, b) => a + b, 0);
    tile.setAttribute('aria-label', `${setName(this.plan.cells[i].on)}: ${done} of ${this.seeds} runs done`);
  }

  /** The engine's report: each cell's counts, its worst seed's link, the cures. */
  showReport(report, seeds) {
    report.cells.forEach((cell, i) => {
      if (cell.worstLink == null) return; // no run of it finished (a cancelled grid)
      const old = this.tiles[i];
      const a = document.createElement('a');
      const d = dominant(cell.counts);
      a.className = `cell${cell.cures ? ' cures' : ''}`;
      a.dataset.cell = String(i);
      a.dataset.on = cell.on.join(',');
      a.dataset.kind = d.kind || '';
      a.dataset.counts = JSON.stringify(cell.counts);
      a.dataset.hash = cell.hash;
      a.href = `#${String(cell.worstLink).replace(/^#/, '')}`;
      paint(a, cell.counts, seeds, d.kind ? `${Math.round((100 * d.n) / seeds)}%` : '');
      const counts = KINDS.filter((k) => cell.counts[k]).map((k) => `${cell.counts[k]} ${KIND_WORD[k]}`);
      a.setAttribute(
        'aria-label',
        `${setName(cell.on)}: ${counts.join(', ')} of ${cell.runs < seeds ? `${cell.runs} finished of ` : ''}${seeds}${cell.cures ? ', cures it' : ''}; ` +
          `opens seed ${cell.worstSeed}, its worst run`,
      );
      a.title = a.getAttribute('aria-label');
      old.replaceWith(a);
      this.tiles[i] = a;
    });
    const cures = report.cures || [];
    if (cures.length === 0) this.ui.cures.textContent = 'No combination of these switches cures it.';
    else if (cures.some((c) => c.length === 0)) this.ui.cures.textContent = 'No switch is needed: with none of them on, it is already cured.';
    else this.ui.cures.textContent = `Smallest sets of switches that cure it: ${cures.map((c) => `{${c.join(', ')}}`).join('; ')}.`;
    // the rule of a cure, and what the plan had to add to the scenario (its note), if anything
    this.ui.rule.textContent = [report.rule, report.note]
      .filter(Boolean)
      .map((t) => String(t).trim().replace(/([^.])$/, '$1.'))
      .join(' ');
  }
}
