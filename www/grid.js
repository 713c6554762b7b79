// "What cures it": the switch grid. For the scenario on screen, every combination of the fix's
// on/off switches (the engine's `gridPlan`), each run over seeds 1..N in the worker pool
// (www/pool.js), with a progress bar and Cancel. Each cell is coloured by its outcomes, says the
// rate of the most common one, and links to its worst seed's run; the smallest sets of switches
// that cure the scenario are named. Which runs belong to which cell, what counts as a cure and
// which seed is the worst are the engine's (`gridReport`), so the page and `pageout-sim grid`
// agree by construction; while the runs come in, the cells show a tally of what has finished.

import { REQ } from './protocol.js';
import { BatchPanel, count } from './batch.js';

export const DEFAULT_SEEDS = 10;
export const MAX_SEEDS = 100;

/** Outcome kinds, from the best to the worst (the engine's order of a worst run, reversed). */
export const KINDS = ['survived', 'starved', 'out-of-memory', 'stall', 'deadlock'];
const KIND_WORD = {
  survived: 'survived',
  starved: 'starved',
  stall: 'stall',
  'out-of-memory': 'out of memory',
  deadlock: 'deadlock',
};

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

/**
 * What the status line says of the runs that were not simulated: the engine found each to be a
 * run it had already simulated (core/src/explore/twins.rs).
 */
export function twinSentence(simulated, total) {
  if (simulated >= total) return '';
  const n = total - simulated;
  return (
    `${count(simulated)} of them were simulated; each of the other ${count(n)} differs from a ` +
    'simulated run of its seed only in switches that run never read, so it is that run.'
  );
}

const setName = (on) => (on.length ? on.join(' + ') : 'no switch on');

export class GridPanel extends BatchPanel {
  /**
   * @param {HTMLElement} root  the grid section (index.html #grid)
   * @param {import('./pool.js').WorkerPool} pool
   * @param {() => Promise<string>} currentLink  the link of the scenario on screen
   */
  constructor(root, pool, currentLink) {
    super(root, pool, currentLink, 'grid', 'grid');
    Object.assign(this.ui, {
      seeds: this.$('seeds'),
      cells: this.$('cells'),
      detail: this.$('detail'),
      cures: this.$('cures'),
      rule: this.$('rule'),
    });
    this.ui.seeds.value = String(DEFAULT_SEEDS);
    this.ui.start.addEventListener('click', () => this.start());
    this.ui.seeds.addEventListener('input', () => this.checkSeeds());
    const show = (e) => {
      const cell = e.target.closest('.cell');
      if (cell) this.ui.detail.textContent = cell.getAttribute('aria-label');
    };
    this.ui.cells.addEventListener('pointerover', show);
    this.ui.cells.addEventListener('focusin', show);
    this.setState('idle');
  }

  ready() {
    return !this.checkSeeds();
  }

  /** The seed count as a number, or a sentence saying what is wrong with it (and marks it). */
  checkSeeds() {
    const v = this.ui.seeds.value.trim();
    const n = Number(v);
    const bad = !/^\d+$/.test(v) || n < 1 || n > MAX_SEEDS ? `Seeds: a whole number from 1 to ${MAX_SEEDS}` : '';
    this.ui.seeds.setAttribute('aria-invalid', String(Boolean(bad)));
    this.ui.start.title = bad;
    if (!this.busy) this.ui.start.disabled = Boolean(bad);
    return bad;
  }

  /** Plans the grid of the scenario on screen, runs it in the pool, then asks for the report. */
  async start() {
    if (this.checkSeeds()) return;
    const n = Number(this.ui.seeds.value);
    const seeds = Array.from({ length: n }, (_, i) => i + 1);
    this.ui.cures.textContent = '';
    this.ui.rule.textContent = '';
    this.ui.detail.textContent = '';
    let tally = [];
    const dirty = new Set();
    const report = await this.runBatch({
      plan: (link) => {
        this.link = link;
        return this.pool.request(REQ.GRID_PLAN, { link, seeds });
      },
      planned: (plan) => {
        this.plan = plan;
        this.ui.of.textContent = `#${this.link}`;
        this.buildCells(plan, n);
        tally = plan.cells.map(() => ({}));
      },
      what: (plan) => `${plan.cells.length} cells × ${n} seeds`,
      runs: {
        onResult: (r) => {
          tally[r.cell][r.kind] = (tally[r.cell][r.kind] || 0) + 1;
          dirty.add(r.cell);
        },
        // most cells flip switches a run never reaches: such a run is simulated once
        twins: true,
      },
      draw: () => {
        for (const c of dirty) this.paintTally(c, tally[c]);
        dirty.clear();
      },
      report: (plan, results) => this.pool.request(REQ.GRID_REPORT, { plan, results }),
      summary: (report) => twinSentence(report.simulated, report.cells.reduce((n, c) => n + c.runs, 0)),
      // what finished still says something: each cell's worst run so far (no cell cures with
      // runs missing, so no cure is named)
      partial: true,
      cancelled: 'The cells show the runs that finished; each opens its worst run so far.',
      show: (report, partial) => {
        this.showReport(report, n);
        if (partial) this.ui.cures.textContent = '';
      },
    });
    if (report) this.report = report;
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
