// "Where it locks up": the phase map. For the scenario on screen (on the kernel chosen), two
// numeric link keys, each from A to B in N linear steps (or a list of values), every pair of
// values run over seeds 1..N in the worker pool (www/pool.js), with a progress bar and Cancel.
// Each cell is shaded by its hang rate (deadlocks and stalls), says it in percent, tells the
// median time to hang on hover and focus, and opens its worst seed's run. Which runs make a
// cell, the rate, the quartiles and the worst seed are the engine's (`mapPlan`, `mapReport`:
// core/src/explore/map.rs), so the page and `pageout-sim map` agree by construction. The map is
// in the URL's query (`?mapx=mrate=500/s..5000/s:10&mapy=ram=64M..512M:8&mapseeds=10`, and
// `mapkernel=` when it is not the scenario's), so a shared link opens the same map and runs it.

import { REQ } from './protocol.js';
import { BatchPanel, writeQuery } from './batch.js';

export const DEFAULT_SEEDS = 5;
export const MAX_SEEDS = 100;

/** The keys offered, with a range that says something about the lockup, as the form starts. */
export const KEYS = {
  mrate: { label: 'mapped-file dirty rate (mrate)', from: '500/s', to: '5000/s', steps: 5 },
  ram: { label: 'RAM (ram)', from: '64M', to: '256M', steps: 4 },
  writers: { label: 'write(2) writers (writers)', from: '0', to: '4', steps: 5 },
  wrate: { label: 'writer rate (wrate)', from: '256K/s', to: '4M/s', steps: 4 },
  mmap: { label: 'mapped-file writers (mmap)', from: '1', to: '4', steps: 4 },
  bw: { label: 'disk bandwidth (bw)', from: '10M/s', to: '80M/s', steps: 4 },
  seek: { label: 'disk seek (seek)', from: '2ms', to: '20ms', steps: 4 },
  hogs: { label: 'memory hogs (hogs)', from: '0', to: '4', steps: 5 },
  hog: { label: 'hog size (hog)', from: '16M', to: '128M', steps: 4 },
  mfile: { label: 'mapped file size (mfile)', from: '128M', to: '1G', steps: 4 },
  until: { label: 'run length (until)', from: '60s', to: '600s', steps: 4 },
  window: { label: 'hang window (window)', from: '5s', to: '30s', steps: 4 },
};

const fmtS = (s) => `${s.toFixed(1)} s`;
const HANGS = ['deadlock', 'stall'];

/** The scenario's link on another kernel (every link names its kernel: `preset=`). */
export function onKernel(link, kernel) {
  if (!kernel) return link;
  return link.replace(/(^|&)preset=[^&]*/, `$1preset=${kernel}`);
}

export class MapPanel extends BatchPanel {
  /**
   * @param {HTMLElement} root  the map section (index.html #map)
   * @param {import('./pool.js').WorkerPool} pool
   * @param {() => Promise<string>} currentLink  the link of the scenario on screen
   */
  constructor(root, pool, currentLink) {
    super(root, pool, currentLink, 'map', 'map');
    const $ = this.$;
    Object.assign(this.ui, {
      form: $('form'),
      kernel: $('kernel'),
      seeds: $('seeds'),
      cells: $('cells'),
      detail: $('detail'),
    });
    this.axes = {};
    for (const a of ['x', 'y']) {
      this.axes[a] = { key: $(`${a}-key`), from: $(`${a}-from`), to: $(`${a}-to`), steps: $(`${a}-steps`) };
      const ax = this.axes[a];
      for (const [k, d] of Object.entries(KEYS)) ax.key.append(new Option(d.label, k));
      ax.key.addEventListener('change', () => this.fillRange(a));
    }
    this.axes.x.key.value = 'mrate';
    this.axes.y.key.value = 'ram';
    this.fillRange('x');
    this.fillRange('y');
    this.ui.seeds.value = String(DEFAULT_SEEDS);
    this.ui.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.start();
    });
    const show = (e) => {
      const cell = e.target.closest('.map-cell');
      if (cell) this.ui.detail.textContent = cell.getAttribute('aria-label');
    };
    this.ui.cells.addEventListener('pointerover', show);
    this.ui.cells.addEventListener('focusin', show);
    this.setState('idle');
  }

  /** The kernels the map may run on, after the engine has said them. */
  setKernels(kernels) {
    for (const k of kernels) this.ui.kernel.append(new Option(k.name || k, k.name || k));
  }

  fillRange(a) {
    const d = KEYS[this.axes[a].key.value];
    this.axes[a].from.value = d.from;
    this.axes[a].to.value = d.to;
    this.axes[a].steps.value = String(d.steps);
  }

  /** An axis as the engine reads it: `KEY=A..B:N`, or a list when `from` holds commas. */
  axisText(a) {
    const ax = this.axes[a];
    const from = ax.from.value.trim();
    if (from.includes(',')) return `${ax.key.value}=${from}`;
    return `${ax.key.value}=${from}..${ax.to.value.trim()}:${ax.steps.value.trim()}`;
  }

  /** Fills the form from the URL's query and runs the map, when the URL holds one. */
  openFromUrl() {
    const q = new URLSearchParams(location.search);
    const x = q.get('mapx');
    const y = q.get('mapy');
    if (!x || !y) return false;
    const put = (a, text) => {
      const [key, rest = ''] = text.split(/=(.*)/s);
      const ax = this.axes[a];
      if (!KEYS[key]) ax.key.append(new Option(key, key));
      ax.key.value = key;
      const m = rest.match(/^(.*)\.\.(.*):(\d+)$/);
      if (m) {
        [ax.from.value, ax.to.value, ax.steps.value] = [m[1], m[2], m[3]];
      } else {
        ax.from.value = rest;
        ax.to.value = '';
        ax.steps.value = String(rest.split(',').length);
      }
    };
    put('x', x);
    put('y', y);
    if (q.get('mapseeds')) this.ui.seeds.value = q.get('mapseeds');
    if (q.get('mapkernel')) this.ui.kernel.value = q.get('mapkernel');
    this.root.scrollIntoView?.({ block: 'start' });
    this.start();
    return true;
  }

  /** Writes the map into the URL's query, keeping the rest of the URL. */
  writeUrl(x, y, seeds, kernel) {
    writeQuery({ mapx: x, mapy: y, mapseeds: String(seeds), mapkernel: kernel || null });
  }

  /** Plans the map of the scenario on screen, runs it in the pool, then asks for the report. */
  async start() {
    const n = this.seedCount(MAX_SEEDS);
    if (!n) {
      this.ui.status.textContent = `Seeds: a whole number from 1 to ${MAX_SEEDS}.`;
      return;
    }
    const seeds = Array.from({ length: n }, (_, i) => i + 1);
    const x = this.axisText('x');
    const y = this.axisText('y');
    const kernel = this.ui.kernel.value;
    this.ui.detail.textContent = '';
    let tally = [];
    const dirty = new Set();
    const report = await this.runBatch({
      plan: (link) => this.pool.request(REQ.MAP_PLAN, { link: onKernel(link, kernel), x, y, seeds }),
      planned: (plan) => {
        this.writeUrl(plan.x.spec, plan.y.spec, n, kernel);
        this.plan = plan;
        this.buildCells(plan, n);
        tally = plan.cells.map(() => ({ runs: 0, hangs: 0 }));
      },
      what: (plan) => `${plan.cells.length} cells × ${n} seeds`,
      runs: {
        onResult: (r) => {
          tally[r.cell].runs++;
          if (HANGS.includes(r.kind)) tally[r.cell].hangs++;
          dirty.add(r.cell);
        },
      },
      draw: () => {
        for (const c of dirty) this.paintTally(c, tally[c]);
        dirty.clear();
      },
      report: (plan, results) => this.pool.request(REQ.MAP_REPORT, { plan, results }),
      partial: true,
      cancelled: 'The cells show the runs that finished.',
      show: (report) => this.showReport(report, n),
    });
    if (report) this.report = report;
  }

  /** The heatmap's frame: y down the side (largest at the top), x along the bottom. */
  buildCells(plan, seeds) {
    this.tiles = [];
    this.seeds = seeds;
    const nx = plan.x.values.length;
    const ny = plan.y.values.length;
    const grid = document.createElement('div');
    grid.className = 'map-grid';
    grid.style.gridTemplateColumns = `auto repeat(${nx}, minmax(2.6rem, 1fr))`;
    grid.setAttribute('role', 'group');
    grid.setAttribute('aria-label', `${plan.y.key} down, ${plan.x.key} across`);
    for (let iy = ny - 1; iy >= 0; iy--) {
      const head = document.createElement('span');
      head.className = 'map-axis map-y';
      head.textContent = plan.y.values[iy];
      grid.append(head);
      for (let ix = 0; ix < nx; ix++) {
        const i = iy * nx + ix;
        const tile = document.createElement('span');
        tile.className = 'map-cell pending';
        tile.dataset.cell = String(i);
        tile.tabIndex = 0;
        tile.setAttribute('aria-label', `${this.where(i)}: waiting`);
        grid.append(tile);
        this.tiles[i] = tile;
      }
    }
    const corner = document.createElement('span');
    corner.className = 'map-axis map-corner';
    corner.textContent = `${plan.y.key} \\ ${plan.x.key}`;
    grid.append(corner);
    for (const v of plan.x.values) {
      const foot = document.createElement('span');
      foot.className = 'map-axis map-x';
      foot.textContent = v;
      grid.append(foot);
    }
    this.ui.cells.replaceChildren(grid);
  }

  where(i) {
    const c = this.plan.cells[i];
    return `${this.plan.x.key}=${this.plan.x.values[c.x]}, ${this.plan.y.key}=${this.plan.y.values[c.y]}`;
  }

  /** Shades a tile by a hang rate in 0..1 and writes the rate. */
  shade(tile, rate, text) {
    tile.style.setProperty('--rate', `${Math.round(rate * 100)}%`);
    tile.textContent = text;
  }

  paintTally(i, t) {
    this.shade(this.tiles[i], t.runs ? t.hangs / t.runs : 0, t.runs ? `${Math.round((100 * t.hangs) / t.runs)}` : '');
    this.tiles[i].setAttribute('aria-label', `${this.where(i)}: ${t.hangs} hangs in ${t.runs} of ${this.seeds} runs done`);
  }

  /** The engine's report: each cell's rate, time to hang and worst seed's link. */
  showReport(report, seeds) {
    report.cells.forEach((cell, i) => {
      if (cell.worstLink == null) return;
      const old = this.tiles[i];
      const a = document.createElement('a');
      a.className = 'map-cell';
      a.dataset.cell = String(i);
      a.dataset.counts = JSON.stringify(cell.counts);
      a.dataset.hash = cell.hash;
      a.dataset.rate = String(cell.hangRate);
      a.dataset.median = cell.timeToHang ? String(cell.timeToHang.medianS) : '';
      a.href = `#${String(cell.worstLink).replace(/^#/, '')}`;
      this.shade(a, cell.hangRate, `${Math.round(cell.hangRate * 100)}`);
      const t = cell.timeToHang;
      const when = t ? `median time to hang ${fmtS(t.medianS)} (quartiles ${fmtS(t.q1S)} to ${fmtS(t.q3S)})` : 'no run hung';
      const of = cell.runs < seeds ? `${cell.runs} finished of ${seeds}` : `${seeds}`;
      a.setAttribute(
        'aria-label',
        `${this.where(i)}: hang rate ${Math.round(cell.hangRate * 100)}% (${cell.hangs} of ${of}), ${when}; opens seed ${cell.worstSeed}, its worst run`,
      );
      a.title = a.getAttribute('aria-label');
      old.replaceWith(a);
      this.tiles[i] = a;
    });
  }
}
