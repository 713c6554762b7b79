// The four uPlot charts: memory against the thresholds, the page queues, buffer space against
// the dirty limits, and allocator activity. x = simulated seconds. Cursors are synced across the
// charts; a "time marker" (set from the console or the slider) is drawn on every chart, and so
// are the run's key moments (thin lines, coloured as the timeline colours them). Dragging across a
// chart zooms every chart to that time window (the cursor sync carries the drag); double-click,
// or `resetZoom`, shows the whole run again.
//
// The same charts can overlay two runs (compare mode): every series of a run is drawn twice, run A
// solid and run B dashed, in one legend; the thresholds are A's, drawn once. Both runs sample at
// the same ticks, so a row is one moment of both; the run that ended first leaves a gap. A second
// marker shows the first divergence of the two runs.

import uPlot from './vendor/uPlot.esm.js';
import { HZ } from './protocol.js';

const SYNC_KEY = 'pageout-time';
const MB = 1024 * 1024;
/** Least time between two redraws of one chart while samples stream in. */
const REDRAW_MS = 120;

/** Reads a CSS custom property of the current theme. */
function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

const fmtInt = (u, v) => (v == null ? '–' : Math.round(v).toLocaleString('en-US'));
const fmtMb = (u, v) => (v == null ? '–' : `${v.toFixed(1)} MB`);
const fmtSec = (u, v) => (v == null ? '–' : `${v.toFixed(2)} s`);

/**
 * The chart definitions. Each series says where its values come from: a sample column
 * (`col`), a sum of columns (`sum`), a scaled column, or a constant threshold (`threshold`).
 */
function definitions() {
  return [
    {
      id: 'chart-memory',
      title: 'Free + cache pages against the paging thresholds',
      yLabel: 'pages',
      distr: 4, // asinh: the 2-page interrupt reserve and the 1000s of free pages both readable
      fmt: fmtInt,
      series: [
        { label: 'free + cache', sum: ['free', 'cache'], color: '--s-primary', width: 2.5 },
        { label: 'v_free_target', threshold: 'vFreeTarget', color: '--s-target', dash: [6, 4] },
        { label: 'v_free_min', threshold: 'vFreeMin', color: '--s-min', dash: [6, 4] },
        { label: 'v_free_severe', threshold: 'vFreeSevere', color: '--s-severe', dash: [6, 4] },
        { label: 'v_free_reserved', threshold: 'vFreeReserved', color: '--s-reserved', dash: [6, 4] },
        { label: 'v_interrupt_free_min', threshold: 'vInterruptFreeMin', color: '--s-interrupt', dash: [2, 3] },
      ],
    },
    {
      id: 'chart-queues',
      title: 'Page queues',
      yLabel: 'pages',
      fmt: fmtInt,
      series: [
        { label: 'free', col: 'free', color: '--s-primary' },
        { label: 'cache', col: 'cache', color: '--s-target' },
        { label: 'inactive', col: 'inactive', color: '--s-min' },
        { label: 'active', col: 'active', color: '--s-severe' },
        { label: 'wired', col: 'wired', color: '--s-reserved' },
      ],
    },
    {
      id: 'chart-buffers',
      title: 'Buffer space: dirty and running against the dirty limits',
      yLabel: 'MB',
      fmt: fmtMb,
      series: [
        { label: 'dirtybufspace', col: 'dirtybufspace', scale: 1 / MB, color: '--s-primary', width: 2 },
        { label: 'dirtybufspacehw', col: 'dirtybufspacehw', scale: 1 / MB, color: '--s-target' },
        { label: 'runningbufspace', col: 'runningbufspace', scale: 1 / MB, color: '--s-min' },
        { label: 'hidirtybufspace', threshold: 'hidirtybufspace', scale: 1 / MB, color: '--s-severe', dash: [6, 4] },
        { label: 'lodirtybufspace', threshold: 'lodirtybufspace', scale: 1 / MB, color: '--s-reserved', dash: [6, 4] },
      ],
    },
    {
      id: 'chart-alloc',
      title: 'Emergency allocations and recoverbufpages (cumulative)',
      yLabel: 'count',
      fmt: fmtInt,
      series: [
        { label: 'emergency allocations', col: 'emergAllocs', color: '--s-target', width: 2 },
        { label: 'emergency failures', col: 'emergFails', color: '--s-severe', width: 2 },
        { label: 'recoverbufpages calls', col: 'recoverbufcalls', color: '--s-min' },
        { label: 'pages recovered', col: 'recoveredPages', color: '--s-reserved', dash: [4, 3] },
      ],
    },
  ];
}

/** How run B's lines are dashed when two runs are overlaid. */
const B_DASH = [7, 4];

/**
 * The lines of one chart: each a series of the definition for one run (`run` 0 or 1), or a
 * threshold drawn once (`run` null).
 */
function lines(def, runs) {
  const out = [];
  for (const s of def.series) {
    if (s.threshold) {
      out.push({ s, run: null, label: s.label, dash: runs > 1 ? [2, 3] : s.dash, width: 1 });
      continue;
    }
    for (let run = 0; run < runs; run++) {
      const name = runs > 1 ? `${s.label} ${run === 0 ? 'A' : 'B'}` : s.label;
      out.push({ s, run, label: name, dash: run === 1 ? B_DASH : s.dash, width: s.width || 1.5 });
    }
  }
  return out;
}

export class Charts {
  /**
   * @param {HTMLElement} container  where the chart figures go
   * @param {(tick: number) => void} onPick  called when the user clicks a chart at a time
   * @param {{runs?: number, syncKey?: string, idPrefix?: string}} [options]  `runs`: 1, or 2 to
   *   overlay two runs (A solid, B dashed)
   */
  constructor(container, onPick, { runs = 1, syncKey = SYNC_KEY, idPrefix = '', onZoom = () => {} } = {}) {
    this.container = container;
    this.onPick = onPick;
    this.runs = runs;
    this.syncKey = syncKey;
    this.idPrefix = idPrefix;
    /** Told `{min, max}` (seconds) when the charts zoom, `null` when they show the whole run. */
    this.onZoom = onZoom;
    /** The zoomed time window in seconds, or null for the whole run. */
    this.zoom = null;
    /** Key moments drawn on every chart: `{sec, cls}` with cls '', 'warn', 'bad' or 'act'. */
    this.moments = [];
    this.defs = definitions();
    this.lines = this.defs.map((def) => lines(def, runs));
    this.divergenceSec = null;
    /** Rows each run has filled. */
    this.rowsByRun = Array.from({ length: runs }, () => 0);
    this.plots = [];
    this.data = [];
    this.thresholds = null;
    this.markerSec = null;
    this.dirty = false;
    this.stale = new Set();
    this.lastDrawn = [];
    this.drawPending = false;
    this.build();
    this.container.classList.add('no-data');
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
  }

  /** (Re)creates every chart with the current theme's colours, keeping the data. */
  build() {
    for (const p of this.plots) p.destroy();
    this.container.replaceChildren();
    this.plots = [];
    this.lastDrawn = this.defs.map(() => -Infinity);
    const axis = cssVar('--chart-axis');
    const grid = cssVar('--chart-grid');
    const font = '12px system-ui, sans-serif';
    const width = this.width();
    this.defs.forEach((def, i) => {
      const fig = document.createElement('figure');
      fig.className = 'chart';
      fig.id = `${this.idPrefix}${def.id}`;
      const cap = document.createElement('figcaption');
      cap.textContent = def.title;
      fig.append(cap);
      const holder = document.createElement('div');
      holder.setAttribute('role', 'img');
      holder.setAttribute('aria-label', `${def.title}, over simulated seconds`);
      fig.append(holder);
      const empty = document.createElement('p');
      empty.className = 'chart-empty';
      empty.textContent = 'No samples yet: press Run.';
      fig.append(empty);
      this.container.append(fig);
      if (!this.data[i]) this.data[i] = [[], ...this.lines[i].map(() => [])];
      const self = this;
      const opts = {
        width,
        height: 190,
        pxAlign: 0,
        scales: { x: { time: false }, y: def.distr ? { distr: def.distr, asinh: 1, log: 10 } : {} },
        cursor: {
          sync: { key: this.syncKey, setSeries: false },
          drag: { x: true, y: false, setScale: true },
          points: { size: 6 },
        },
        legend: {
          live: true,
          // a dashed line has a dashed key (run B, the thresholds)
          markers: { dash: (u, k) => (k > 0 && u.series[k].dash ? 'dashed' : 'solid') },
        },
        axes: [
          {
            stroke: axis,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            font,
            values: (u, vals) => vals.map((v) => `${v}s`),
          },
          {
            stroke: axis,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            font,
            size: 56,
            // asinh scale: one grid line per power of ten, not nine
            ...(def.distr === 4
              ? {
                  splits: (u, i, min, max) => {
                    const out = [0];
                    for (let v = 1; v <= Math.max(max, 1); v *= 10) out.push(v);
                    return out;
                  },
                  values: (u, vals) => vals.map((v) => (v == null ? '' : v.toLocaleString('en-US'))),
                }
              : {}),
            label: def.yLabel,
            labelFont: font,
            labelSize: 16,
          },
        ],
        series: [
          { label: 'time', value: fmtSec },
          ...this.lines[i].map((l) => ({
            label: l.label,
            stroke: cssVar(l.s.color),
            width: l.width,
            dash: l.dash,
            points: { show: false },
            value: def.fmt,
          })),
        ],
        hooks: {
          draw: [
            (u) => {
              self.drawMoments(u);
              self.drawMarker(u);
            },
          ],
          // a drag across the chart zoomed it (every chart: the sync carries the drag)
          setSelect: [
            (u) => {
              if (u.select.width <= 0) return;
              self.dragged = true;
              const min = u.posToVal(u.select.left, 'x');
              const max = u.posToVal(u.select.left + u.select.width, 'x');
              if (u === self.plots[0] && Number.isFinite(min) && Number.isFinite(max) && max > min) {
                self.zoom = { min, max };
                self.onZoom(self.zoom);
              }
            },
          ],
          // with the cursor off the chart, the legend shows the latest values instead of dashes
          setLegend: [(u) => self.legendAtRest(u)],
          ready: [
            (u) => {
              u.over.addEventListener('click', () => {
                // the click that ends a drag is the zoom, not a pick
                if (self.dragged) {
                  self.dragged = false;
                  return;
                }
                const left = u.cursor.left;
                if (left == null || left < 0) return;
                const sec = u.posToVal(left, 'x');
                if (Number.isFinite(sec)) self.onPick(Math.max(0, Math.round(sec * HZ)));
              });
              u.over.addEventListener('mousedown', () => {
                self.dragged = false;
              });
              // uPlot's double-click shows the whole x range again (on every synced chart)
              u.over.addEventListener('dblclick', () => {
                if (self.zoom == null) return;
                self.zoom = null;
                self.onZoom(null);
              });
            },
          ],
        },
      };
      this.plots.push(new uPlot(opts, this.data[i], holder));
    });
    if (this.zoom) this.applyZoom();
  }

  width() {
    const w = this.container.clientWidth || 600;
    // Two columns on wide screens (see style.css .charts).
    const cols = w >= 900 ? 2 : 1;
    return Math.max(240, Math.floor((w - (cols - 1) * 16) / cols) - 4);
  }

  resize() {
    const width = this.width();
    for (const p of this.plots) {
      if (Math.abs(p.width - width) > 1) p.setSize({ width, height: 190 });
    }
  }

  /** Forgets every sample (a new run or a seek backwards). */
  clear() {
    this.ghostly = false;
    this.container.classList.remove('ghost');
    this.data = this.lines.map((ls) => [[], ...ls.map(() => [])]);
    // redrawn one chart per animation frame, as new samples are (four at once can be a long task)
    this.dirty = true;
    this.markerSec = null;
    this.moments = [];
    if (this.zoom) {
      this.zoom = null;
      this.onZoom(null);
    }
    this.divergenceSec = null;
    this.rowsByRun.fill(0);
    this.container.classList.add('no-data');
    this.draw();
  }

  /**
   * The key moments to draw on every chart.
   * @param {Array<{tick: number, cls: string}>} moments
   */
  setMoments(moments) {
    this.moments = moments.map((m) => ({ sec: Number(m.tick) / HZ, cls: m.cls || '' }));
    for (const p of this.plots) p.redraw(false, false);
  }

  /** Shows `min`..`max` seconds on every chart. */
  zoomTo(min, max) {
    if (!(max > min)) return;
    this.zoom = { min, max };
    this.applyZoom();
    this.onZoom(this.zoom);
  }

  /** Shows the whole run again. */
  resetZoom() {
    if (this.zoom == null) return;
    this.zoom = null;
    this.plots.forEach((p, i) => p.setData(this.data[i], true));
    this.onZoom(null);
  }

  applyZoom() {
    for (const p of this.plots) p.setScale('x', { min: this.zoom.min, max: this.zoom.max });
  }

  /** Forgets one run's samples (compare mode: that run starts again), keeping the other's. */
  clearRun(run) {
    this.data.forEach((d, i) => {
      this.lines[i].forEach((l, j) => {
        if (l.run === run) d[j + 1].fill(null);
      });
    });
    this.rowsByRun[run] = 0;
    this.dirty = true;
  }

  setThresholds(t) {
    this.thresholds = t;
  }

  /**
   * Appends a batch of sample rows (columns as the engine names them).
   * @param {{rows: number, columns: Object<string, ArrayLike<number>>}} batch
   */
  /**
   * Keeps what the charts show, faded, until the first samples of the next run arrive: before
   * Run, the charts show the last run (or a preview of this one's first seconds).
   */
  fade() {
    if (this.data[0][0].length === 0) return;
    this.ghostly = true;
    this.markerSec = null;
    this.moments = [];
    this.divergenceSec = null;
    this.rowsByRun.fill(0);
    this.container.classList.add('ghost');
    for (const p of this.plots) p.redraw(false, false);
  }

  /** Whether the charts show a faded run. */
  get faded() {
    return Boolean(this.ghostly);
  }

  append(batch, run = 0) {
    if (!batch || !batch.rows) return;
    if (this.ghostly) this.clear();
    const c = batch.columns;
    const t = this.thresholds || {};
    const scaled = (s, v) => (v != null && s.scale ? v * s.scale : v);
    const start = Number(batch.start) || 0;
    this.rowsByRun[run] = Math.max(this.rowsByRun[run], start + batch.rows);
    this.defs.forEach((def, i) => {
      const d = this.data[i];
      const ls = this.lines[i];
      for (let r = 0; r < batch.rows; r++) {
        const row = start + r;
        // a row that is new to the chart: its time, the thresholds, and gaps for every run
        while (d[0].length <= row) {
          d[0].push(null);
          ls.forEach((l, j) => d[j + 1].push(l.run === null ? scaled(l.s, t[l.s.threshold] ?? null) : null));
        }
        d[0][row] = c.tick[r] / HZ;
        ls.forEach((l, j) => {
          if (l.run !== run) return;
          const s = l.s;
          const v = s.sum ? s.sum.reduce((a, k) => a + c[k][r], 0) : c[s.col][r];
          d[j + 1][row] = scaled(s, v);
        });
      }
    });
    this.dirty = true;
  }

  /**
   * Redraws charts whose data changed; call from requestAnimationFrame. At most one chart is
   * redrawn per animation frame, and each at most every REDRAW_MS, so a frame of the page never
   * turns into a long task however fast the run goes.
   */
  draw() {
    if (this.dirty) {
      this.dirty = false;
      this.plots.forEach((_, i) => this.stale.add(i));
      this.container.classList.toggle('no-data', this.data[0][0].length === 0);
    }
    if (this.stale.size === 0 || this.drawPending) return;
    const now = performance.now();
    const order = [...this.stale].sort((a, b) => this.lastDrawn[a] - this.lastDrawn[b]);
    const i = order[0];
    const wait = REDRAW_MS - (now - this.lastDrawn[i]);
    if (wait > 0) {
      this.drawPending = true;
      setTimeout(() => {
        requestAnimationFrame(() => {
          this.drawPending = false;
          this.draw();
        });
      }, wait);
      return;
    }
    this.stale.delete(i);
    this.lastDrawn[i] = now;
    // while zoomed, new samples keep the window (the y range follows what is in it)
    this.plots[i].setData(this.data[i], this.zoom == null);
    if (this.zoom) this.plots[i].setScale('x', { min: this.zoom.min, max: this.zoom.max });
    if (this.stale.size > 0) {
      this.drawPending = true;
      requestAnimationFrame(() => {
        this.drawPending = false;
        this.draw();
      });
    }
  }

  /** Moves the time marker (and the cursors, so legends show the values there). */
  mark(tick) {
    this.markerSec = tick == null ? null : tick / HZ;
    for (const p of this.plots) p.redraw(false, false);
    if (this.markerSec == null || !this.plots.length) return;
    const p = this.plots[0];
    const left = p.valToPos(this.markerSec, 'x');
    if (Number.isFinite(left) && left >= 0 && left <= p.over.clientWidth) {
      p.setCursor({ left, top: p.over.clientHeight / 2 });
    }
  }

  /**
   * With the cursor off the chart, the legend shows the latest moment every run has reached (the
   * end of the run that ended first), so that no run's values read as dashes.
   */
  legendAtRest(u) {
    if (this.restingLegend || u.cursor.idx != null) return;
    const n = u.data[0] ? u.data[0].length : 0;
    if (n === 0) return;
    const reached = this.rowsByRun.filter((r) => r > 0);
    const idx = Math.min(n, ...reached) - 1;
    this.restingLegend = true;
    u.setLegend({ idx });
    this.restingLegend = false;
  }

  drawMoments(u) {
    if (!this.moments.length) return;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const color = {
      bad: cssVar('--s-severe'),
      warn: cssVar('--s-min'),
      act: cssVar('--accent'),
      '': cssVar('--chart-axis'),
    };
    ctx.save();
    ctx.lineWidth = devicePixelRatio;
    ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio]);
    for (const m of this.moments) {
      const x = Math.round(u.valToPos(m.sec, 'x', true));
      if (!Number.isFinite(x) || x < left || x > left + width) continue;
      ctx.strokeStyle = color[m.cls] ?? color[''];
      ctx.globalAlpha = m.cls ? 0.8 : 0.35;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    ctx.restore();
  }

  /** Marks the first divergence of two overlaid runs (null: none, or not known yet). */
  setDivergence(tick) {
    this.divergenceSec = tick == null ? null : tick / HZ;
    for (const p of this.plots) p.redraw(false, false);
  }

  drawMarker(u) {
    if (this.divergenceSec != null) this.drawDivergence(u);
    if (this.markerSec == null) return;
    const x = Math.round(u.valToPos(this.markerSec, 'x', true));
    if (!Number.isFinite(x) || x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = cssVar('--accent');
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }

  /** The first divergence: a dashed line in the warning colour, labelled at the top. */
  drawDivergence(u) {
    const x = Math.round(u.valToPos(this.divergenceSec, 'x', true));
    if (!Number.isFinite(x) || x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
    const ctx = u.ctx;
    const px = devicePixelRatio;
    ctx.save();
    ctx.strokeStyle = cssVar('--s-severe');
    ctx.fillStyle = cssVar('--s-severe');
    ctx.lineWidth = 2 * px;
    ctx.setLineDash([4 * px, 3 * px]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.font = `${11 * px}px system-ui, sans-serif`;
    const label = 'first divergence';
    const w = ctx.measureText(label).width;
    const right = x + 4 * px + w <= u.bbox.left + u.bbox.width;
    ctx.textAlign = right ? 'left' : 'right';
    ctx.fillText(label, right ? x + 4 * px : x - 4 * px, u.bbox.top + 12 * px);
    ctx.restore();
  }

  /** Rebuilds with the colours of a new theme. */
  retheme() {
    this.build();
    this.dirty = true;
    this.draw();
  }
}
