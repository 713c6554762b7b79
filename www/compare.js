// Compare mode: one scenario under two kernels (or two sets of switches), side by side.
//
// Two runs, A and B, each in an engine worker of its own leased from the pool (www/pool.js), go
// forward in lockstep: the page asks both to run to the same tick and waits for both before the
// next step, so neither is ever ahead. The charts overlay them (A solid, B dashed, one legend);
// each run has its console and threads panel, side by side. The time slider moves both: forward
// runs both, back is a lookup in what each recorded. The first divergence, the first tick at which
// the two runs' states differ and what each did then, is the engine's (`divergence()`), computed
// in a pool worker while the page shows the runs; a marker shows it on the charts and the slider.
// Share gives the compare link, which opens this mode again.

import { REQ, HZ, SAMPLE_EVERY } from './protocol.js';
import { Charts } from './charts.js';
import { ConsolePanel } from './console.js';
import { ThreadsPanel } from './threads.js';
import { outcomeText } from './outcome.js';
import { offerLink, fragmentPairs, safeDecode } from './linkstate.js';

/** Ticks per lockstep step when running as fast as possible (the page draws between steps). */
const FAST_STRIDE = 500;
/** At a set speed, a step about this often. */
const STEP_MS = 40;
const fmtSec = (tick) => (Number(tick) / HZ).toFixed(2);

/** The kernel B runs by default: the fix of July 1 2008, or the kernel of the report when A has the fix. */
export function defaultB(a) {
  const b = structuredClone(a);
  b.preset = a.preset === 'dfly-2008-07-01' ? 'dfly-2008-06-30' : 'dfly-2008-07-01';
  b.overrides = {}; // a kernel is a bundle: B is that kernel as it shipped
  return b;
}

/** The markup of one run's column: its outcome, console and threads (ids prefixed cmp-a / cmp-b). */
function runColumn(side) {
  const p = `cmp-${side}`;
  const name = side.toUpperCase();
  const col = document.createElement('div');
  col.className = `compare-run run-${side}`;
  col.id = `${p}-run`;
  // static markup: nothing of the user's or the engine's goes in as HTML
  col.innerHTML = `
    <h3 class="compare-run-title"><span class="swatch swatch-${side}" aria-hidden="true"></span>Run ${name}: <span id="${p}-kernel"></span></h3>
    <div id="${p}-banner" class="banner" data-kind="idle" role="status" aria-live="polite">
      <p id="${p}-outcome" class="outcome-line">Ready.</p>
      <p class="run-facts"><span id="${p}-tick">t = 0.00 s</span> · trace hash <code id="${p}-hash" data-trace-hash="">—</code></p>
    </div>
    <section class="console-panel" aria-labelledby="${p}-console-title">
      <div class="panel-head">
        <h4 id="${p}-console-title">Console of ${name}</h4>
        <fieldset id="${p}-view" class="view-switch">
          <legend class="visually-hidden">Show for ${name}</legend>
          <label><input type="radio" name="${p}-view" value="console" checked><span>console</span></label>
          <label><input type="radio" name="${p}-view" value="messages"><span>/var/log/messages</span></label>
        </fieldset>
      </div>
      <div id="${p}-console" class="console console-short empty" tabindex="0" aria-describedby="${p}-console-hint">
        <ol id="${p}-console-lines"></ol>
        <ol id="${p}-messages-lines" hidden></ol>
        <p id="${p}-console-empty" class="console-empty">(the console is quiet)</p>
      </div>
      <p id="${p}-console-hint" class="hint"></p>
      <p id="${p}-announcer" class="visually-hidden" aria-live="polite"></p>
    </section>
    <section class="threads-panel" aria-labelledby="${p}-threads-title">
      <h4 id="${p}-threads-title">Kernel threads of ${name}</h4>
      <p id="${p}-threads-at" class="hint" role="status" hidden></p>
      <div class="table-wrap" tabindex="0" aria-labelledby="${p}-threads-title">
        <table class="threads">
          <tbody id="${p}-threads-body"></tbody>
        </table>
      </div>
    </section>`;
  // the columns of the page's own threads table
  const head = document.querySelector('.threads-panel table.threads thead');
  if (head) col.querySelector('table.threads').prepend(head.cloneNode(true));
  return col;
}

/** One of the two runs: its worker, what it has computed, and its panels. */
class Side {
  constructor(view, index, column) {
    this.view = view;
    this.index = index;
    const $ = (id) => column.querySelector(`#cmp-${index === 0 ? 'a' : 'b'}-${id}`);
    this.els = {
      kernel: $('kernel'),
      banner: $('banner'),
      outcome: $('outcome'),
      tick: $('tick'),
      hash: $('hash'),
    };
    this.console = new ConsolePanel(
      {
        scroller: $('console'),
        console: $('console-lines'),
        messages: $('messages-lines'),
        switcher: $('view'),
        hint: $('console-hint'),
        empty: $('console-empty'),
        announcer: $('announcer'),
      },
      (tick) => view.lookAt(tick),
    );
    this.threads = new ThreadsPanel($('threads-body'), $('threads-at'));
    this.lease = null;
    this.reset();
  }

  reset() {
    this.scenario = null;
    this.link = '';
    this.tick = 0;
    this.finished = false;
    this.outcome = null;
    this.stats = null;
    this.traceHash = null;
    this.latestThreads = null;
    this.frames = [];
    this.console.clear();
    this.threads.clear();
    this.showOutcome();
  }

  /** Starts a worker of its own and loads the scenario in it. */
  async load(scenario, gen) {
    this.release();
    this.reset();
    this.scenario = scenario;
    this.els.kernel.textContent = describe(scenario);
    this.lease = this.view.pool.lease({
      onFrame: (f) => {
        if (gen !== this.view.generation) return;
        this.frames.push(f);
        this.view.scheduleDraw();
      },
      onProgress: (p) => this.view.onSeekProgress(this.index, p),
      onFatal: (message) => this.view.fail(`Run ${this.name}: ${message}`),
      onTrapped: ({ message }) => this.view.fail(`Run ${this.name}: the engine trapped (${message})`),
    });
    const { thresholds, link } = await this.lease.client.request(REQ.LOAD, { scenario });
    this.link = link;
    return thresholds;
  }

  get name() {
    return this.index === 0 ? 'A' : 'B';
  }

  release() {
    if (this.lease) this.lease.release();
    this.lease = null;
  }

  request(type, fields) {
    if (!this.lease) return Promise.reject(new Error('no run'));
    return this.lease.client.request(type, fields);
  }

  /** Applies the frames that arrived since the last draw. */
  drawFrames(charts) {
    const frames = this.frames;
    this.frames = [];
    for (const f of frames) {
      if (f.reset) {
        charts.clearRun(this.index);
        this.console.clear();
        this.threads.clear();
        this.outcome = null;
      }
      charts.append(f.samples, this.index);
      this.console.append(f.log, f.messages);
      this.latestThreads = f.threads;
      this.tick = Number(f.status.tick);
      this.finished = f.status.finished;
      if (f.outcome) {
        this.outcome = f.outcome;
        this.stats = f.stats;
        this.traceHash = f.traceHash;
        this.showOutcome();
      }
    }
    return frames.length > 0;
  }

  showOutcome() {
    const o = this.outcome;
    this.els.banner.dataset.kind = o ? o.kind : 'idle';
    this.els.outcome.textContent = o
      ? outcomeText(o, this.stats, Math.round(Number(this.scenario?.durationMs || 0) / 10))
      : this.tick > 0
        ? 'Running…'
        : 'Ready.';
    this.els.hash.textContent = this.traceHash || '—';
    this.els.hash.dataset.traceHash = this.traceHash || '';
  }
}

/** A scenario in a few words: its kernel and the switches set apart from it. */
function describe(s) {
  const n = Object.keys(s.overrides || {}).length;
  return n ? `${s.preset} with ${n} switch${n === 1 ? '' : 'es'} changed` : s.preset;
}

export class CompareView {
  /**
   * @param {{
   *   root: HTMLElement,          the compare section (index.html #compare)
   *   pool: import('./pool.js').WorkerPool,
   *   engine: import('./protocol.js').EngineClient,  the page's own worker (links)
   *   kernels: Array<{name: string}>,
   *   onClose: () => void,        the user left compare mode
   * }} options
   */
  constructor({ root, pool, engine, kernels, onClose }) {
    this.root = root;
    this.pool = pool;
    this.engine = engine;
    this.onClose = onClose;
    this.generation = 0;
    this.active = false;
    this.playing = false;
    this.frontier = 0;
    this.durationTicks = 0;
    this.divergence = null;
    this.viewTick = null;
    this.drawScheduled = false;
    const $ = (id) => root.querySelector(`#${id}`);
    this.ui = {
      run: $('compare-run'),
      speed: $('compare-speed'),
      share: $('compare-share'),
      shareStatus: $('compare-share-status'),
      shareFallback: $('compare-share-fallback'),
      close: $('compare-close'),
      bKernel: $('compare-b-kernel'),
      linkA: $('compare-link-a'),
      bExtra: $('compare-b-extra'),
      time: $('compare-time'),
      timeOut: $('compare-time-out'),
      marker: $('compare-divergence-marker'),
      seekBox: $('compare-seek'),
      seekBar: $('compare-seek-bar'),
      divergence: $('compare-divergence'),
      divergenceText: $('compare-divergence-text'),
      divergenceA: $('compare-divergence-a'),
      divergenceB: $('compare-divergence-b'),
      divergenceGo: $('compare-divergence-go'),
      error: $('compare-error'),
      runs: $('compare-runs'),
    };
    for (const k of kernels) {
      const o = document.createElement('option');
      o.value = k.name;
      o.textContent = k.name;
      this.ui.bKernel.append(o);
    }
    const columns = ['a', 'b'].map(runColumn);
    this.ui.runs.replaceChildren(...columns);
    this.sides = columns.map((col, i) => new Side(this, i, col));
    this.charts = new Charts($('compare-charts'), (tick) => this.lookAt(tick), {
      runs: 2,
      syncKey: 'pageout-compare-time',
      idPrefix: 'compare-',
    });

    this.ui.run.addEventListener('click', () => (this.playing ? this.pause() : this.play()));
    this.ui.close.addEventListener('click', () => this.onClose());
    this.ui.share.addEventListener('click', () => this.share());
    this.ui.bKernel.addEventListener('change', () => {
      if (!this.sides[0].scenario || !this.sides[1].scenario) return; // still loading
      const b = structuredClone(this.sides[1].scenario);
      b.preset = this.ui.bKernel.value;
      b.overrides = {};
      this.open(this.sides[0].scenario, b);
    });
    this.ui.divergenceGo.addEventListener('click', () => {
      if (this.divergence && this.divergence.tick != null) this.seek(Number(this.divergence.tick), { after: true });
    });
    let dragging = false;
    this.ui.time.addEventListener('input', () => {
      dragging = true;
      this.ui.timeOut.textContent = `${fmtSec(this.ui.time.value)} s`;
    });
    this.ui.time.addEventListener('change', () => {
      dragging = false;
      this.seek(Number(this.ui.time.value));
    });
    this.isDragging = () => dragging;
  }

  /** The link of the pair (without '#'). */
  link() {
    return this.engine.request(REQ.ENCODE_COMPARE, { a: this.sides[0].scenario, b: this.sides[1].scenario });
  }

  /**
   * Opens compare mode on two scenarios: both loaded at tick 0, the divergence asked of the
   * pool. Resolves to true when both runs loaded.
   */
  async open(a, b) {
    const gen = ++this.generation; // a divergence or frames of an older pair are ignored
    this.active = true;
    this.playing = false;
    this.frontier = 0;
    this.viewTick = null;
    this.divergence = null;
    this.root.hidden = false;
    this.ui.error.hidden = true;
    this.ui.bKernel.value = b.preset;
    this.charts.clear();
    this.showDivergence();
    this.durationTicks = Math.round(Math.max(Number(a.durationMs), Number(b.durationMs)) / 10);
    this.ui.time.max = String(this.durationTicks);
    this.ui.time.value = '0';
    this.ui.timeOut.textContent = '0.00 s';
    this.syncButtons();
    let thresholds;
    try {
      [thresholds] = await Promise.all([this.sides[0].load(a, gen), this.sides[1].load(b, gen)]);
    } catch (err) {
      if (gen !== this.generation) return false;
      this.fail(`The engine cannot run this pair: ${err.message}`);
      return false;
    }
    if (gen !== this.generation) return false;
    this.charts.setThresholds(thresholds);
    this.ui.linkA.textContent = this.sides[0].link;
    // each run's own solo link, for whoever wants to run one alone
    this.root.dataset.linkA = this.sides[0].link;
    this.root.dataset.linkB = this.sides[1].link;
    this.writeUrl();
    this.findDivergence(gen);
    this.syncButtons();
    return true;
  }

  /** Leaves compare mode: both workers end. */
  close() {
    this.generation++;
    this.active = false;
    this.playing = false;
    for (const s of this.sides) s.release();
    this.root.hidden = true;
  }

  fail(message) {
    this.playing = false;
    this.ui.error.textContent = message;
    this.ui.error.hidden = false;
    this.syncButtons();
  }

  /** The first divergence, from a pool worker; the marker goes up when it is known. */
  async findDivergence(gen) {
    this.ui.divergenceText.textContent = 'Finding the first moment the two runs differ…';
    try {
      const d = await this.pool.request(REQ.DIVERGENCE, { linkA: this.sides[0].link, linkB: this.sides[1].link });
      if (gen !== this.generation) return;
      this.divergence = d;
    } catch (err) {
      if (gen !== this.generation || err.name === 'CancelledError') return;
      this.divergence = null;
      this.ui.divergenceText.textContent = `The first divergence could not be found: ${err.message}`;
      return;
    }
    this.showDivergence();
  }

  showDivergence() {
    const d = this.divergence;
    const ui = this.ui;
    ui.divergence.dataset.tick = d && d.tick != null ? String(d.tick) : '';
    ui.divergence.dataset.state = d ? (d.tick == null ? 'same' : 'differ') : 'pending';
    this.charts.setDivergence(d && d.tick != null ? Number(d.tick) : null);
    ui.marker.hidden = !(d && d.tick != null);
    ui.divergenceGo.hidden = !(d && d.tick != null);
    if (!d) {
      ui.divergenceA.textContent = '';
      ui.divergenceB.textContent = '';
      return;
    }
    if (d.tick == null) {
      ui.divergenceText.textContent = 'The two runs never differ: every step of B is the step of A.';
      ui.divergenceA.textContent = '';
      ui.divergenceB.textContent = '';
      return;
    }
    const tick = Number(d.tick);
    ui.divergenceText.textContent = `First divergence at ${fmtSec(tick)} s (tick ${tick}):`;
    ui.divergenceA.textContent = d.a;
    ui.divergenceB.textContent = d.b;
    ui.marker.dataset.tick = String(tick);
    ui.marker.style.left = `${(100 * tick) / Math.max(1, this.durationTicks)}%`;
    ui.marker.title = `first divergence, ${fmtSec(tick)} s`;
  }

  /** The URL holds the pair while compare mode is open. */
  async writeUrl() {
    let link;
    try {
      link = await this.link();
    } catch {
      return;
    }
    const hash = `#${String(link).replace(/^#/, '')}`;
    // what else B changes, as the link says it (`b.` keys beside the kernel)
    const extra = fragmentPairs(hash)
      .map(([k, v]) => [safeDecode(k), safeDecode(v)])
      .filter(([k]) => k.startsWith('b.') && k !== 'b.preset')
      .map(([k, v]) => `${k.slice(2)}=${v}`);
    this.ui.bExtra.textContent = extra.length ? `, with ${extra.join(', ')}` : '';
    if (this.active && location.hash !== hash) {
      history.replaceState(history.state, '', `${location.pathname}${location.search}${hash}`);
    }
  }

  async share() {
    const link = await this.link();
    const url = `${location.origin}${location.pathname}${location.search}#${String(link).replace(/^#/, '')}`;
    await offerLink(url, this.ui.shareStatus, this.ui.shareFallback);
  }

  get finished() {
    return this.sides.every((s) => s.finished);
  }

  syncButtons() {
    const loaded = this.sides.every((s) => s.lease && s.link);
    this.ui.run.disabled = !loaded;
    this.ui.run.textContent = this.playing ? 'Pause' : this.finished && loaded ? 'Finished' : this.frontier > 0 ? 'Resume' : 'Run both';
    if (this.finished && loaded) this.ui.run.disabled = true;
    this.ui.run.setAttribute('aria-pressed', String(this.playing));
    this.root.dataset.state = this.playing ? 'running' : this.finished && loaded ? 'finished' : 'idle';
  }

  /** Runs both forward to `target` together; resolves when both got there (or ended). */
  async stepTo(target, gen) {
    await Promise.all(
      this.sides.map((s) => (s.finished || s.tick >= target ? null : s.request(REQ.SEEK, { tick: target }))),
    );
    if (gen === this.generation) this.frontier = Math.max(this.frontier, target);
  }

  /** Plays both in lockstep at the chosen speed until both have ended or Pause. */
  async play() {
    if (this.playing || !this.active) return;
    this.playing = true;
    this.viewTick = null;
    this.syncButtons();
    const gen = this.generation;
    let wall = performance.now();
    try {
      while (this.playing && gen === this.generation) {
        const speed = Number(this.ui.speed.value);
        const now = performance.now();
        const stride = speed > 0 ? Math.max(1, Math.round(((now - wall) * speed * HZ) / 1000)) : FAST_STRIDE;
        wall = now;
        const target = Math.min(this.durationTicks, this.frontier + stride);
        await this.stepTo(target, gen);
        // the frames of this step are drawn before the next one is asked for
        await new Promise((r) => requestAnimationFrame(r));
        if (gen !== this.generation) return;
        this.drawAll();
        if (this.finished || this.frontier >= this.durationTicks) break;
        if (speed > 0) await new Promise((r) => setTimeout(r, STEP_MS));
      }
    } catch (err) {
      if (gen === this.generation && err.name !== 'CancelledError') this.fail(err.message);
    }
    if (gen !== this.generation) return;
    this.playing = false;
    this.syncButtons();
  }

  pause() {
    this.playing = false;
    this.syncButtons();
  }

  onSeekProgress(index, { done, total }) {
    if (this.ui.seekBox.hidden) return;
    this.ui.seekBar.max = Math.max(1, total);
    this.ui.seekBar.value = Math.min(done, total);
  }

  /**
   * Moves both runs to a moment: forward runs both to it; back is a lookup. `after`: the threads
   * as the first sample after the moment recorded them (the first divergence happens during a
   * tick; the sample before it shows both runs still alike).
   */
  async seek(tick, { after = false } = {}) {
    if (!this.active) return;
    this.playing = false;
    const gen = this.generation;
    const sampled = after ? (Math.floor(tick / SAMPLE_EVERY) + 1) * SAMPLE_EVERY : tick;
    if (sampled > this.frontier && !this.finished) {
      const slow = setTimeout(() => {
        this.ui.seekBox.hidden = false;
      }, 150);
      try {
        await this.stepTo(Math.min(sampled, this.durationTicks), gen);
      } catch (err) {
        if (gen === this.generation && err.name !== 'CancelledError') this.fail(err.message);
      } finally {
        clearTimeout(slow);
        this.ui.seekBox.hidden = true;
      }
      await new Promise((r) => requestAnimationFrame(r));
      if (gen !== this.generation) return;
      this.drawAll();
    }
    this.syncButtons();
    await this.lookAt(tick, sampled);
  }

  /**
   * Shows one moment of both runs as they recorded it: the marker, each console and threads (the
   * threads as at `threadsTick`, the moment itself unless said otherwise).
   */
  async lookAt(tick, threadsTick = tick) {
    this.playing = false;
    this.viewTick = tick;
    this.charts.mark(tick);
    this.ui.time.value = String(tick);
    this.ui.timeOut.textContent = `${fmtSec(tick)} s`;
    const gen = this.generation;
    await Promise.all(
      this.sides.map(async (s) => {
        const at = Math.min(tick, s.tick);
        const threadsAt = Math.min(threadsTick, s.tick);
        s.console.selectTick(at);
        s.els.tick.textContent = `t = ${fmtSec(at)} s`;
        try {
          const states = await s.request(REQ.THREADS_AT, { tick: threadsAt });
          if (gen === this.generation && this.viewTick === tick) s.threads.showAt(states, threadsAt);
        } catch {
          // the pair was replaced meanwhile
        }
      }),
    );
  }

  scheduleDraw() {
    if (this.drawScheduled) return;
    this.drawScheduled = true;
    requestAnimationFrame(() => {
      this.drawScheduled = false;
      this.drawAll();
    });
  }

  drawAll() {
    let changed = false;
    for (const s of this.sides) changed = s.drawFrames(this.charts) || changed;
    if (!changed) return;
    this.charts.draw();
    if (this.viewTick == null) {
      for (const s of this.sides) {
        s.threads.update(s.latestThreads);
        s.els.tick.textContent = `t = ${fmtSec(s.tick)} s`;
        if (!s.outcome) s.showOutcome();
      }
      if (!this.isDragging()) {
        this.ui.time.value = String(this.frontier);
        this.ui.timeOut.textContent = `${fmtSec(this.frontier)} s`;
      }
    }
    this.syncButtons();
  }

  /** Rebuilds the charts in the colours of a new theme. */
  retheme() {
    this.charts.retheme();
  }
}
