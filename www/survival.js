// "Ten years of one deadlock": survival curves. The workload on screen runs on every kernel
// preset (or those ticked), each alone over seeds 1..N for a horizon, in the worker pool
// (www/pool.js), with a progress bar and Cancel. The chart (uPlot, as www/charts.js draws) has one
// stepped line per kernel: the fraction of its runs still alive against time; the table beside it
// gives each kernel's hang rate at 300 s, 1800 s and 3600 s, its median time to hang and the cycle
// that kills it. What a run is, when it dies, the curve and every number are the engine's
// (`survivalPlan`, `survivalRun`, `survivalReport`: core/src/explore/survival.rs), so the page and
// `pageout-sim survival --json` agree by construction. The survival is in the URL's query
// (`?survival=all&survseeds=10&survuntil=3600s`, or the kernels comma-separated instead of `all`),
// so a shared link opens the same survival and runs it.

import uPlot from './vendor/uPlot.esm.js';
import { REQ } from './protocol.js';
import { BatchPanel, writeQuery } from './batch.js';

export const DEFAULT_SEEDS = 10;
export const MAX_SEEDS = 1000;
export const DEFAULT_UNTIL = '3600s';
/** One colour per kernel, as the command line's SVG picture has them; past twelve, lines dash. */
export const COLOURS = [
  '#d62728', '#ff7f0e', '#bcbd22', '#2ca02c', '#17becf', '#1f77b4',
  '#9467bd', '#e377c2', '#8c564b', '#7f7f7f', '#393b79', '#637939',
];

const pct = (r) => (r == null ? '—' : `${Math.round(r * 100)}%`);

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/**
 * A curve's value at time t: the `alive` of its last step at or before t (the curves are
 * steps: from a point's time on, its fraction is alive).
 */
export function aliveAt(curve, t) {
  let a = curve.length ? curve[0].alive : null;
  for (const p of curve) {
    if (p.tS > t) break;
    a = p.alive;
  }
  return a;
}

/** The report's curves on one x axis (every kernel's step times), as uPlot takes data. */
export function chartData(report) {
  const xs = [...new Set(report.kernels.flatMap((k) => k.curve.map((p) => p.tS)))].sort((a, b) => a - b);
  return [xs, ...report.kernels.map((k) => xs.map((t) => aliveAt(k.curve, t)))];
}

export class SurvivalPanel extends BatchPanel {
  /**
   * @param {HTMLElement} root  the survival section (index.html #survival)
   * @param {import('./pool.js').WorkerPool} pool
   * @param {() => Promise<string>} currentLink  the link of the scenario on screen
   */
  constructor(root, pool, currentLink) {
    super(root, pool, currentLink, 'survival', 'survival');
    const $ = this.$;
    Object.assign(this.ui, {
      form: $('form'),
      kernels: $('kernels'),
      seeds: $('seeds'),
      until: $('until'),
      chart: $('chart'),
      table: $('table'),
      rule: $('rule'),
    });
    this.ui.seeds.value = String(DEFAULT_SEEDS);
    this.ui.until.value = DEFAULT_UNTIL;
    this.plot = null;
    this.report = null;
    this.ui.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.start();
    });
    this.setState('idle');
  }

  /** The kernels, after the engine has said them: one box each, all ticked. */
  setKernels(kernels) {
    this.order = kernels.map((k) => k.name || k);
    this.ui.kernels.replaceChildren();
    for (const k of kernels) {
      const name = k.name || k;
      const label = document.createElement('label');
      label.className = 'inline survival-kernel';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = name;
      box.checked = true;
      if (k.description) label.title = k.description;
      label.append(box, ` ${name}`);
      this.ui.kernels.append(label);
    }
  }

  /** A kernel's place among all of them (its `i`-th line when the list is not known), so a
   * kernel keeps its colour whichever others are ticked, as in the command line's picture. */
  colourIndex(kernel, i) {
    const at = (this.order || []).indexOf(kernel);
    return at < 0 ? i : at;
  }

  colour(kernel, i) {
    return COLOURS[this.colourIndex(kernel, i) % COLOURS.length];
  }

  boxes() {
    return [...this.ui.kernels.querySelectorAll('input[type=checkbox]')];
  }

  /** The kernels ticked, in the engine's order; [] when all are (the engine's "every kernel"). */
  chosenKernels() {
    const boxes = this.boxes();
    const on = boxes.filter((b) => b.checked).map((b) => b.value);
    return on.length === boxes.length ? [] : on;
  }

  /** Fills the form from the URL's query and runs the survival, when the URL holds one. */
  openFromUrl() {
    const q = new URLSearchParams(location.search);
    const which = q.get('survival');
    if (!which) return false;
    if (which !== 'all') {
      const want = new Set(which.split(','));
      for (const b of this.boxes()) b.checked = want.has(b.value);
    }
    if (q.get('survseeds')) this.ui.seeds.value = q.get('survseeds');
    if (q.get('survuntil')) this.ui.until.value = q.get('survuntil');
    this.root.scrollIntoView?.({ block: 'start' });
    this.start();
    return true;
  }

  /** Writes the survival into the URL's query, keeping the rest of the URL. */
  writeUrl(kernels, seeds, until) {
    writeQuery({ survival: kernels.length ? kernels.join(',') : 'all', survseeds: String(seeds), survuntil: until });
  }

  /** Plans the survival of the workload on screen, runs it in the pool, then asks for the report. */
  async start() {
    const n = this.seedCount(MAX_SEEDS);
    if (!n) {
      this.ui.status.textContent = `Seeds: a whole number from 1 to ${MAX_SEEDS}.`;
      return;
    }
    const kernels = this.chosenKernels();
    if (this.boxes().length && !this.boxes().some((b) => b.checked)) {
      this.ui.status.textContent = 'Kernels: tick at least one.';
      return;
    }
    const until = this.ui.until.value.trim();
    const seeds = Array.from({ length: n }, (_, i) => i + 1);
    const report = await this.runBatch({
      plan: (link) => this.pool.request(REQ.SURVIVAL_PLAN, { link, kernels, seeds, until: until || null }),
      planned: (plan) => this.writeUrl(kernels, n, until || `${plan.untilS}s`),
      what: (plan) => `${plan.kernels.length} kernels × ${n} seeds, ${plan.untilS} s each`,
      runs: {
        jobOf: (r) => ({ type: REQ.SURVIVAL_RUN, fields: { link: r.link, kernel: r.cell } }),
        resultOf: (r, v) => v,
      },
      report: (plan, results) =>
        this.pool.request(REQ.SURVIVAL_REPORT, { plan, results, partial: results.length < plan.runs.length }),
      // a curve needs every seed of its kernel: a cancelled survival draws the kernels that
      // finished (the runs go kernel by kernel)
      partial: true,
      cancelled: 'A curve needs every seed of its kernel: the kernels whose every seed finished are drawn.',
      show: (report) => {
        if (report) this.show(report);
      },
    });
    if (report) this.report = report;
  }

  show(report) {
    this.drawChart(report);
    this.fillTable(report);
    const rule = String(report.rule).replace(/^./, (c) => c.toUpperCase());
    this.ui.rule.textContent = `${rule}.${report.note ? ` Note: ${report.note}.` : ''}`;
  }

  /** One stepped line per kernel, the legend naming them. */
  drawChart(report) {
    this.plot?.destroy();
    this.plot = null;
    const axis = cssVar('--chart-axis');
    const grid = cssVar('--chart-grid');
    const font = '12px system-ui, sans-serif';
    const width = Math.max(320, this.ui.chart.clientWidth || 640);
    const opts = {
      width,
      height: 300,
      scales: { x: { time: false, range: [0, report.untilS] }, y: { range: [0, 1] } },
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, font, values: (u, v) => v.map((s) => `${s}s`) },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          font,
          size: 56,
          values: (u, v) => v.map((a) => `${Math.round(a * 100)}%`),
          label: 'runs alive',
          labelFont: font,
          labelSize: 16,
        },
      ],
      series: [
        { label: 'time', value: (u, v) => (v == null ? '–' : `${v.toFixed(1)} s`) },
        ...report.kernels.map((k, i) => ({
          label: k.kernel,
          stroke: this.colour(k.kernel, i),
          dash: this.colourIndex(k.kernel, i) >= COLOURS.length ? [6, 3] : undefined,
          width: 2,
          points: { show: false },
          paths: uPlot.paths.stepped({ align: 1 }),
          value: (u, v) => pct(v),
        })),
      ],
    };
    this.plot = new uPlot(opts, chartData(report), this.ui.chart);
    // follow the panel's width (a window resized, a phone turned)
    this.resizeObserver ??= new ResizeObserver(() => {
      const w = Math.max(320, this.ui.chart.clientWidth || 640);
      if (this.plot && Math.abs(this.plot.width - w) > 1) this.plot.setSize({ width: w, height: 300 });
    });
    this.resizeObserver.observe(this.ui.chart);
    this.ui.chart.setAttribute(
      'aria-label',
      `Runs still alive against time, one line per kernel: ${report.kernels.map((k) => `${k.kernel} ${k.runs - k.dead} of ${k.runs} alive at ${report.untilS} s`).join('; ')}`,
    );
  }

  /** The README's table: each kernel's hang rates, median time to hang, and killer. */
  fillTable(report) {
    const t = this.ui.table;
    const head = document.createElement('tr');
    const cols = ['kernel', ...report.checkpointsS.map((c) => `hang rate at ${c} s`), 'median time to hang', 'the cycle that kills it'];
    for (const c of cols) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = c;
      head.append(th);
    }
    const thead = document.createElement('thead');
    thead.append(head);
    const body = document.createElement('tbody');
    report.kernels.forEach((k, i) => {
      const tr = document.createElement('tr');
      tr.dataset.kernel = k.kernel;
      tr.dataset.deaths = JSON.stringify(k.deathTicks);
      tr.dataset.rates = JSON.stringify(k.hangRate);
      tr.dataset.median = k.medianS == null ? '' : String(k.medianS);
      tr.dataset.killer = k.killer ? k.killer.cause : '';
      const name = document.createElement('th');
      name.scope = 'row';
      const key = document.createElement('span');
      key.className = 'key';
      key.style.background = this.colour(k.kernel, i);
      name.append(key, ` ${k.kernel}`);
      name.title = k.description;
      tr.append(name);
      for (const r of k.hangRate) {
        const td = document.createElement('td');
        td.textContent = pct(r);
        tr.append(td);
      }
      const med = document.createElement('td');
      med.textContent = k.medianS == null ? '—' : `${Math.round(k.medianS)} s`;
      tr.append(med);
      const kill = document.createElement('td');
      if (k.killer) {
        const a = document.createElement('a');
        a.href = `#${k.killer.link}`;
        a.textContent = k.killer.cause === k.killer.outcome ? k.killer.cause : `${k.killer.outcome}: ${k.killer.cause}`;
        a.title = `opens seed ${k.killer.seed}, its first run that died this way`;
        kill.append(a, ` (${k.killer.count} of ${k.dead} dead)`);
      } else {
        kill.textContent = '—';
      }
      tr.append(kill);
      body.append(tr);
    });
    t.replaceChildren(thead, body);
  }
}
