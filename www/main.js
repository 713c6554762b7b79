// Wiring: the worker, the scenario form, the run controls, the panels and the URL.
// The page holds no simulation logic: every number, line and sentence it shows comes from the
// engine in the worker.

import { EngineClient, REQ, HZ, SAMPLE_EVERY } from './protocol.js';
import { Charts } from './charts.js';
import { ConsolePanel } from './console.js';
import { TimelinePanel, SliderMarks, crisisWindow } from './timeline.js';
import { ThreadsPanel } from './threads.js';
import { HangView } from './hangview.js';
import { Controls } from './controls.js';
import { LinkWriter, offerLink, currentFragment,
  momentOf, fragmentPairs, nearestValid, safeDecode } from './linkstate.js';
import { initTheme } from './theme.js';
import { Guide } from './guide.js';
import { Interventions } from './interventions.js';
import { ExportPanel, fingerprintKeys } from './export.js';
import { outcomeText } from './outcome.js';
import { pool } from './pool.js';
import { CompareView, defaultB } from './compare.js';
import { GridPanel } from './grid.js';
import { MapPanel } from './map.js';
import { SurvivalPanel } from './survival.js';
import { ShrinkPanel } from './shrink.js';
import { SwitchEffects } from './effects.js';

const $ = (id) => document.getElementById(id);
const STEP_TICKS = SAMPLE_EVERY;
const fmtSec = (tick) => (Number(tick) / HZ).toFixed(2);

const ui = {
  run: $('run'),
  step: $('step'),
  reset: $('reset'),
  speed: $('speed'),
  share: $('share'),
  shareStatus: $('share-status'),
  shareFallback: $('share-fallback'),
  time: $('time'),
  timeOut: $('time-out'),
  seekBox: $('seek-progress'),
  seekBar: $('seek-bar'),
  banner: $('banner'),
  outcomeLine: $('outcome-line'),
  runTick: $('run-tick'),
  warmFacts: $('warm-facts'),
  traceHash: $('trace-hash'),
  scenarioError: $('scenario-error'),
  fatal: $('fatal'),
  fatalTitle: $('fatal-title'),
  fatalText: $('fatal-text'),
  fatalReload: $('fatal-reload'),
  help: $('help'),
  verify: $('verify-line'),
};

/** What the page knows about the current run. */
const run = {
  scenario: null,
  thresholds: null,
  tick: 0,
  durationTicks: 0,
  playing: false,
  finished: false,
  outcome: null,
  stats: null,
  traceHash: null,
  loaded: false,
  seeking: false,
  /** The first field of the form that cannot be used, as a sentence, or ''. */
  formProblem: '',
  /** The moment shown when it is not the run's latest (a lookup, see `view`), or null. */
  viewTick: null,
  /** Bumped on every load so frames of an older run are ignored. */
  generation: 0,
};

initTheme($('theme-toggle'), () => {
  charts.retheme();
  if (compare) compare.retheme();
});

const charts = new Charts($('charts'), (tick) => markTime(tick), {
  onZoom: (zoom) => {
    $('zoom-reset').disabled = zoom == null;
    $('zoom-status').textContent = zoom
      ? `Charts zoomed to ${zoom.min.toFixed(2)}–${zoom.max.toFixed(2)} s`
      : 'Charts show the whole run';
  },
});
const consolePanel = new ConsolePanel(
  {
    scroller: $('console'),
    console: $('console-lines'),
    messages: $('messages-lines'),
    switcher: $('console-view'),
    hint: $('console-hint'),
    empty: $('console-empty'),
    announcer: $('console-announcer'),
  },
  (tick) => markTime(tick),
);
const threads = new ThreadsPanel($('threads-body'), $('threads-at'));
// a key moment clicked while the run stands still shows that moment (the threads as they were
// then, its console line); while it plays, it only marks the time on the charts
const moments = new TimelinePanel($('moments-list'), $('moments-scroll'), $('moments-empty'), (tick) =>
  !run.playing && tick <= run.tick ? view(tick) : markTime(tick),
);
const sliderMarks = new SliderMarks($('time-marks'));
const hang = new HangView($('hang'), $('hang-graph'), $('hang-edges'), $('hang-cycle'));

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let pendingFrames = [];
let drawScheduled = false;
const PANEL_MS = 200;
let lastPanels = 0;
let panelTimer = 0;
let latestThreads = null;
const engine = new EngineClient(worker, {
  onFrame(frame) {
    pendingFrames.push(frame);
    if (!drawScheduled) {
      drawScheduled = true;
      requestAnimationFrame(drawFrames);
    }
  },
  onProgress({ done, total }) {
    if (!run.seeking) return;
    ui.seekBar.max = Math.max(1, total);
    ui.seekBar.value = done;
  },
  onFatal(message) {
    showFatal('The simulator stopped', `${message}. Reload the page to start again.`);
    setState('idle');
  },
  onTrapped({ message, hadRun }) {
    // The worker has a fresh engine; the run is gone with the old one.
    run.generation++;
    run.loaded = false;
    run.playing = false;
    run.seeking = false;
    showFatal(
      'The simulator hit an internal error',
      `The engine trapped (${message}). ` +
        (hadRun
          ? 'The run was lost; a fresh engine has started: reload the scenario to run it again.'
          : 'A fresh engine has started: load the scenario to go on.'),
      { reload: true },
    );
    setState('idle');
  },
});

/** The fatal panel: what happened, with a button to load the scenario again when that helps. */
function showFatal(title, text, { reload = false } = {}) {
  ui.fatalTitle.textContent = title;
  ui.fatalText.textContent = text;
  ui.fatalReload.hidden = !reload;
  ui.fatal.hidden = false;
  if (reload) ui.fatalReload.focus();
}

ui.fatalReload.addEventListener('click', async () => {
  ui.fatal.hidden = true;
  await load(structuredClone(run.scenario || defaultScenario));
});

const links = new LinkWriter((scenario) => engine.request(REQ.ENCODE, { scenario }));
let controls = null;
/** @type {SwitchEffects|null} */
let effects = null;
let defaultScenario = null;
/** @type {CompareView|null} compare mode, built once the engine has said its kernels */
let compare = null;
const grid = new GridPanel($('grid'), pool(), () => engine.request(REQ.ENCODE, { scenario: run.scenario }));
const map = new MapPanel($('map'), pool(), () => engine.request(REQ.ENCODE, { scenario: run.scenario }));
const survival = new SurvivalPanel($('survival'), pool(), () => engine.request(REQ.ENCODE, { scenario: run.scenario }));
new ShrinkPanel($('shrink'), pool(), () => engine.request(REQ.ENCODE, { scenario: run.scenario }));

// ---------------------------------------------------------------- state

/** The banner while there is no outcome yet. */
const WAITING_TEXT = {
  loading: 'Loading the simulator…',
  idle: 'Ready. Press Run to boot the machine.',
  running: 'Running: watch free + cache fall towards the thresholds.',
  paused: 'Paused. Press Run (or Space) to go on, or “.” to step.',
};

function setState(state) {
  document.body.dataset.state = state;
  if (!run.outcome && ui.banner.dataset.kind !== 'error') {
    const text = WAITING_TEXT[state] || WAITING_TEXT.idle;
    if (ui.outcomeLine.textContent !== text) ui.outcomeLine.textContent = text;
  }
  const label = { idle: 'Run', running: 'Pause', paused: 'Resume', finished: 'Run again' }[state] || 'Run';
  ui.run.textContent = label;
  ui.run.setAttribute('aria-pressed', String(state === 'running'));
  ui.step.disabled = state === 'finished' || !run.loaded;
  // a field that cannot be read blocks Run until it is fixed (its hint says why)
  ui.run.disabled = !run.loaded || Boolean(run.formProblem);
  ui.run.title = run.formProblem || '';
}

function currentState() {
  if (run.finished) return 'finished';
  if (run.playing) return 'running';
  return run.tick > 0 ? 'paused' : 'idle';
}

// ---------------------------------------------------------------- frames

function drawFrames() {
  drawScheduled = false;
  const frames = pendingFrames;
  pendingFrames = [];
  let last = frames.length - 1;
  // A reset frame makes everything before it moot.
  let first = 0;
  for (let i = last; i >= 0; i--) {
    if (frames[i].reset) {
      first = i;
      break;
    }
  }
  for (let i = first; i <= last; i++) applyFrame(frames[i]);
  charts.draw();
  if (!charts.faded && !$('ghost-note').hidden) ghostNote('');
  guide.check();
  // Text panels change every frame while a run streams in; a few updates a second are plenty
  // and keep each animation frame short.
  const now = performance.now();
  if (!run.playing || now - lastPanels >= PANEL_MS) {
    lastPanels = now;
    if (run.viewTick == null) threads.update(latestThreads);
    syncTimeline();
  } else if (!panelTimer) {
    panelTimer = setTimeout(() => {
      panelTimer = 0;
      requestAnimationFrame(() => {
        lastPanels = performance.now();
        if (run.viewTick == null) threads.update(latestThreads);
        syncTimeline();
      });
    }, PANEL_MS);
  }
  setState(currentState());
}

function applyFrame(f) {
  if (f.reset) {
    // the charts keep the last run, faded, until this one's first samples come
    charts.fade();
    ghostNote(charts.faded ? 'Faded: the last run. Press Run to run the scenario as it is now.' : '');
    consolePanel.clear();
    moments.clear();
    sliderMarks.clear();
    shownMoments = -1;
    threads.clear();
    hang.clear();
    run.outcome = null;
    run.stats = null;
    run.traceHash = null;
    run.finished = false;
    run.viewTick = null;
    showOutcome();
  }
  charts.append(f.samples);
  consolePanel.append(f.log, f.messages);
  moments.append(f.events);
  latestThreads = f.threads;
  run.tick = Number(f.status.tick);
  run.playing = f.playing && !f.status.finished;
  run.finished = f.status.finished;
  if (f.outcome) {
    run.outcome = f.outcome;
    run.stats = f.stats;
    run.traceHash = f.traceHash;
    showOutcome();
  }
}

/** How many key moments the charts and the slider show. */
let shownMoments = -1;

/** Draws new key moments on the charts and under the slider; offers the crisis zoom once there is one. */
function syncMoments() {
  if (moments.events.length === shownMoments && sliderMarks.key.startsWith(`${ui.time.max}:`)) return;
  shownMoments = moments.events.length;
  charts.setMoments(moments.events);
  sliderMarks.update(moments.events, Number(ui.time.max));
  $('zoom-crisis').disabled = crisisWindow(moments.events, runEndTick()) == null;
}

/** Where the run's outcome was declared, or where it has got to. */
function runEndTick() {
  return run.outcome ? Number(run.outcome.detectedAt ?? run.outcome.tick) : run.tick;
}

/** How much of a run the charts show, faded, before Run when there is no last run to show. */
const PREVIEW_TICKS = 10 * HZ;

/** The note over the charts while they show a faded run ('' hides it). */
function ghostNote(text) {
  const el = $('ghost-note');
  el.textContent = text;
  el.hidden = !text;
}

/**
 * With nothing on the charts yet (a first visit), a worker of the pool runs this scenario's first
 * seconds and the charts show them, faded, until Run: the same samples the run will draw.
 */
async function previewFirstSeconds(gen, scenario) {
  if (charts.faded || run.tick > 0) return;
  try {
    const link = String(await engine.request(REQ.ENCODE, { scenario })).replace(/^#/, '');
    const samples = await pool().request(REQ.PREVIEW, { link, ticks: PREVIEW_TICKS });
    if (gen !== run.generation || run.tick > 0 || run.playing || charts.faded) return;
    charts.append(samples);
    charts.draw();
    charts.fade();
    ghostNote(`Faded: the first ${PREVIEW_TICKS / HZ} s of this run. Press Run to watch them happen, and what follows.`);
  } catch {
    // a newer scenario, or a cancelled pool: no preview
  }
}

function syncTimeline() {
  syncMoments();
  if (run.viewTick != null) return; // showing an earlier moment: leave the marker where it is
  ui.runTick.textContent = `t = ${fmtSec(run.tick)} s`;
  if (!draggingTime && !run.seeking) {
    ui.time.value = String(run.tick);
    ui.timeOut.textContent = `${fmtSec(run.tick)} s`;
  }
}

/** One line on the state the machine starts in. */
export function warmText(w) {
  if (!w || !w.warm) return 'cold start: a freshly booted machine';
  const n = (v) => Number(v || 0).toLocaleString('en-US');
  const mapped = Number(w.active) + Number(w.inactive) + Number(w.cache);
  return `warm start: ${n(mapped)} pages of the mapped file resident (${n(w.active)} active and ` +
    `${n(w.inactive)} inactive, dirty; ${n(w.cache)} cached), ${n(w.buffers)} clean buffers`;
}

function showOutcome() {
  const o = run.outcome;
  if (!o) {
    ui.banner.dataset.kind = 'idle';
    ui.outcomeLine.textContent = WAITING_TEXT[run.loaded ? 'idle' : 'loading'];
    ui.traceHash.textContent = '—';
    ui.traceHash.dataset.traceHash = '';
    return;
  }
  ui.banner.dataset.kind = o.kind;
  ui.outcomeLine.textContent = outcomeText(o, run.stats, run.durationTicks);
  ui.traceHash.textContent = run.traceHash || '—';
  ui.traceHash.dataset.traceHash = run.traceHash || '';
  if (o.kind !== 'survived') hang.show(o.graph, o.kind);
  syncSliderRange();
}

function markTime(tick) {
  charts.mark(tick);
  interventions.setTime(tick);
  ui.runTick.textContent = `t = ${fmtSec(run.tick)} s · marked ${fmtSec(tick)} s`;
}

/** The slider spans the run: to its end once it has one, else to the scenario's duration. */
function syncSliderRange() {
  const end = run.outcome ? Number(run.outcome.detectedAt ?? run.outcome.tick) : run.durationTicks;
  ui.time.max = String(Math.max(1, end || run.durationTicks));
  syncMoments();
}

// ---------------------------------------------------------------- actions

/** Loads a scenario: a fresh run at tick 0. Resolves to true when the engine accepted it. */
async function load(scenario) {
  const gen = ++run.generation;
  controls.setScenario(scenario);
  run.scenario = scenario;
  links.moment = null;
  links.fingerprint = null;
  ui.verify.hidden = true;
  links.update(scenario);
  try {
    const { thresholds, warm } = await engine.request(REQ.LOAD, { scenario });
    if (gen !== run.generation) return false;
    run.thresholds = thresholds;
    interventions.show(scenario);
    if (effects) effects.check(scenario);
    ui.warmFacts.textContent = warmText(warm);
    charts.setThresholds(thresholds);
    run.loaded = true;
    run.playing = false;
    run.finished = false;
    run.tick = 0;
    run.durationTicks = Math.round(Number(scenario.durationMs) / (1000 / HZ));
    ui.time.max = String(run.durationTicks);
    ui.time.disabled = false;
    ui.scenarioError.hidden = true;
    ui.scenarioError.textContent = '';
    // a fresh engine after a trap runs this scenario: the offer to reload is taken
    if (!ui.fatalReload.hidden) ui.fatal.hidden = true;
    showOutcome();
    setState('idle');
    previewFirstSeconds(gen, scenario);
    return true;
  } catch (err) {
    if (gen !== run.generation) return false;
    run.loaded = false;
    ui.time.disabled = true;
    charts.clear();
    consolePanel.clear();
    threads.clear();
    hang.clear();
    ui.scenarioError.hidden = false;
    ui.scenarioError.textContent = `The engine cannot run this scenario: ${err.message}`;
    ui.banner.dataset.kind = 'error';
    ui.outcomeLine.textContent = `Cannot run: ${err.message}`;
    setState('idle');
    return false;
  }
}

function play() {
  if (!run.loaded) return;
  // the story folds away so that the charts come up; its summary brings it back
  $('intro-box').open = false;
  if (run.finished) {
    // Run again: same scenario, same run.
    load(run.scenario).then((ok) => ok && play());
    return;
  }
  run.playing = true;
  run.viewTick = null;
  links.setMoment(null);
  engine.send(REQ.PLAY, { speed: Number(ui.speed.value) });
  setState('running');
}

function pause() {
  run.playing = false;
  engine.send(REQ.PAUSE);
  setState(currentState());
}

function togglePlay() {
  if (run.playing) pause();
  else play();
}

function step() {
  if (!run.loaded || run.finished) return;
  run.playing = false;
  engine.send(REQ.STEP, { ticks: STEP_TICKS });
}

/**
 * Shows a moment of the run that is already computed, without running anything: the charts'
 * marker, the threads as the run recorded them then, the console line of that moment. The
 * outcome, the wait-for graph and the trace hash of the whole run stay.
 */
async function view(tick) {
  run.viewTick = tick;
  links.setMoment(tick);
  markTime(tick);
  ui.time.value = String(tick);
  ui.timeOut.textContent = `${fmtSec(tick)} s`;
  consolePanel.selectTick(tick);
  try {
    const states = await engine.request(REQ.THREADS_AT, { tick });
    if (run.viewTick === tick) threads.showAt(states, tick);
  } catch {
    // the run was replaced meanwhile
  }
}

/** Opens a link's moment (`t=`): runs to the end, then shows that moment of the run. */
async function openAt(tick) {
  await seek(run.durationTicks);
  await view(Math.min(tick, run.tick));
}

async function seek(tick) {
  if (!run.loaded) return;
  // a moment the run has already passed is a lookup; only moving forward runs the engine
  if (tick <= run.tick) {
    await view(tick);
    return;
  }
  run.viewTick = null;
  links.setMoment(null);
  const wasPlaying = run.playing;
  run.playing = false;
  run.seeking = true;
  const slow = setTimeout(() => {
    ui.seekBox.hidden = false;
  }, 150);
  try {
    // the frames of the seek are drawn on the next animation frame; the reply says where it got
    const r = await engine.request(REQ.SEEK, { tick });
    if (r && Number.isFinite(Number(r.tick))) run.tick = Number(r.tick);
  } catch {
    // a later seek replaced this one
  } finally {
    clearTimeout(slow);
    run.seeking = false;
    ui.seekBox.hidden = true;
    syncTimeline();
  }
  markTime(run.tick);
  if (wasPlaying && !run.finished) play();
  else setState(currentState());
}

/**
 * The link Share gives: the scenario on screen (also while a broken link's error panel holds the
 * address bar), the moment shown, and once the run has an outcome its fingerprint (engine
 * version, outcome, trace hash), so that the link can check that it still reproduces.
 */
async function shareUrl() {
  if (run.finished) {
    try {
      links.fingerprint = (await engine.request(REQ.FINGERPRINT)) || null;
    } catch {
      // the run was replaced meanwhile: no fingerprint
    }
  }
  if (links.enabled) return links.flush();
  const link = await engine.request(REQ.ENCODE, { scenario: run.scenario });
  const at = links.moment == null ? '' : `&t=${links.moment * 10}ms`;
  const fp = links.fingerprint ? `&${links.fingerprint}` : '';
  const search = location.search.replace(/^\?embed$/, '');
  return `${location.origin}${location.pathname}${search}#${String(link).replace(/^#/, '')}${at}${fp}`;
}

async function share() {
  const url = await shareUrl();
  $('share-embed').hidden = false;
  await offerLink(url, ui.shareStatus, ui.shareFallback);
}

function onScenarioChange(next) {
  hideLinkError();
  load(next);
}

// ---------------------------------------------------------------- links

const linkError = {
  panel: $('link-error'),
  list: $('link-error-list'),
  nearest: $('link-error-nearest'),
  byDefault: $('link-error-default'),
  hint: $('link-error-nearest-hint'),
  candidate: null,
};

function hideLinkError() {
  if (linkError.panel.hidden) return;
  linkError.panel.hidden = true;
  links.enabled = true;
  links.update(run.scenario);
}

async function showLinkError(fragment, errors, decode = (f) => engine.request(REQ.DECODE, { fragment: f })) {
  links.enabled = false; // keep the broken link in the address bar until the user decides
  linkError.list.replaceChildren();
  for (const e of errors) {
    const li = document.createElement('li');
    const key = document.createElement('code');
    key.textContent = e.key || '(link)';
    li.append(key);
    const parts = [];
    if (e.key === 'v' && e.message) {
      // a version problem is a sentence: which versions this page reads, or that it is newer
      parts.push(e.message);
    } else {
      if (e.given !== undefined && e.given !== '') parts.push(`got “${e.given}”`);
      if (e.allowed) parts.push(`allowed: ${e.allowed}`);
      if (e.message && !parts.length) parts.push(e.message);
    }
    li.append(document.createTextNode(` — ${parts.join('; ') || 'not understood'}`));
    linkError.list.append(li);
  }
  linkError.panel.hidden = false;
  const near = await nearestValid(fragment, decode);
  linkError.candidate = near ? near.scenario : null;
  if (near) {
    const kept = fragmentPairs(near.fragment).map(([k]) => safeDecode(k)).filter((k) => k !== 'v');
    linkError.hint.textContent = kept.length
      ? `The nearest valid scenario keeps what the link says about: ${kept.join(', ')}.`
      : 'Nothing in the link could be kept: the nearest valid scenario is the default one.';
  } else {
    linkError.hint.textContent = 'Nothing in the link could be kept: the nearest valid scenario is the default one.';
  }
  linkError.nearest.focus();
}

linkError.nearest.addEventListener('click', async () => {
  const s = linkError.candidate || defaultScenario;
  hideLinkError();
  await load(structuredClone(s));
  links.flush();
});
linkError.byDefault.addEventListener('click', async () => {
  hideLinkError();
  await load(structuredClone(defaultScenario));
  links.flush();
});

/** Says what checking a link's fingerprint found: `state` is pending, reproduced or differs. */
function showVerdict(state, text) {
  ui.verify.dataset.verdict = state;
  ui.verify.textContent = text;
  ui.verify.hidden = false;
}

/**
 * A link with a fingerprint (`ev=`, `eo=`, `eh=`) runs to its end and says whether the run is
 * the one the link was made from, or exactly what differs; the engine compares.
 */
async function verifyLink(fragment, keys) {
  const gen = run.generation;
  links.fingerprint = keys;
  links.update(run.scenario);
  showVerdict('pending', 'This link carries the run it was made from: running it to check…');
  await seek(run.durationTicks);
  if (gen !== run.generation) return;
  try {
    const v = await engine.request(REQ.VERIFY, { fragment });
    if (gen !== run.generation || !v) return;
    showVerdict(v.reproduced ? 'reproduced' : 'differs', v.summary);
  } catch (e) {
    if (gen === run.generation) showVerdict('differs', `The link's fingerprint cannot be checked: ${e.message}`);
  }
}

// ---------------------------------------------------------------- compare mode

/** Opens compare mode on two scenarios; the page's own run keeps A behind it. */
async function enterCompare(a, b) {
  if (run.playing) pause();
  hideLinkError();
  links.enabled = false; // the address bar holds the pair while compare mode is open
  document.body.dataset.mode = 'compare';
  $('compare-title').scrollIntoView({ block: 'nearest' });
  return compare.open(a, b);
}

/** Back to one run: the scenario A of the pair, as the page held it. */
function exitCompare() {
  if (!compare || !compare.active) return;
  compare.close();
  document.body.dataset.mode = 'single';
  links.enabled = true;
  if (run.scenario) {
    links.update(run.scenario);
    links.flush();
  }
  $('compare-open').focus();
}

/** A link that holds a second scenario (keys prefixed `b.`, see protocol.js decode-compare). */
function isCompareLink(fragment) {
  return fragmentPairs(fragment).some(([k]) => safeDecode(k).startsWith('b.'));
}

/** Decodes a compare link as a solo decode answers (for the nearest valid scenario: A's). */
async function decodeCompareAsSolo(fragment) {
  const r = await engine.request(REQ.DECODE_COMPARE, { fragment });
  return r.ok ? { ok: true, scenario: r.a } : r;
}

/** Opens whatever the URL fragment says; never leaves the page blank. */
async function openFragment(fragment) {
  if (fragment && isCompareLink(fragment)) {
    const r = await engine.request(REQ.DECODE_COMPARE, { fragment });
    if (r.ok && r.b) {
      const ok = await load(r.a);
      if (ok) await enterCompare(r.a, r.b);
      return ok;
    }
    if (!r.ok) {
      exitCompare();
      links.enabled = false;
      if (!run.loaded) await load(structuredClone(defaultScenario));
      await showLinkError(fragment, r.errors || [], decodeCompareAsSolo);
      return false;
    }
  }
  exitCompare();
  if (!fragment) {
    hideLinkError();
    return load(structuredClone(defaultScenario));
  }
  const r = await engine.request(REQ.DECODE, { fragment });
  if (r.ok) {
    hideLinkError();
    const ok = await load(r.scenario);
    const keys = fingerprintKeys(fragment);
    if (ok && keys) await verifyLink(fragment, keys);
    const at = momentOf(fragment);
    if (ok && at != null) await openAt(at);
    return ok;
  }
  // Show the lab with the default scenario behind the error panel, leaving the broken link in
  // the address bar until the user chooses.
  links.enabled = false;
  if (!run.loaded) await load(structuredClone(defaultScenario));
  await showLinkError(fragment, r.errors || []);
  return false;
}

// ---------------------------------------------------------------- events

ui.run.addEventListener('click', togglePlay);
ui.step.addEventListener('click', step);
ui.reset.addEventListener('click', () => run.scenario && load(run.scenario));
ui.speed.addEventListener('change', () => {
  if (run.playing) engine.send(REQ.PLAY, { speed: Number(ui.speed.value) });
});
ui.share.addEventListener('click', share);
const exporter = new ExportPanel({
  engine,
  charts,
  graph: $('hang-graph'),
  scenario: () => run.scenario,
  shareUrl,
});
// Share offers the run's <iframe> snippet too
$('share-embed').addEventListener('click', () => exporter.open('embed'));
// the embed view's way out: the same run in the whole lab
$('embed-open').addEventListener('click', (e) => {
  e.currentTarget.href = `${location.pathname}${location.hash}`;
});
$('zoom-crisis').addEventListener('click', () => {
  const w = crisisWindow(moments.events, runEndTick());
  if (w) charts.zoomTo(w.from / HZ, w.to / HZ);
});
$('zoom-reset').addEventListener('click', () => charts.resetZoom());
$('compare-open').addEventListener('click', () => {
  if (run.scenario && compare) enterCompare(structuredClone(run.scenario), defaultB(run.scenario));
});

let draggingTime = false;
ui.time.addEventListener('pointerdown', () => {
  draggingTime = true;
});
ui.time.addEventListener('input', () => {
  draggingTime = true;
  ui.timeOut.textContent = `${fmtSec(ui.time.value)} s`;
});
ui.time.addEventListener('change', () => {
  draggingTime = false;
  seek(Number(ui.time.value));
});
ui.time.addEventListener('pointerup', () => {
  draggingTime = false;
});

window.addEventListener('hashchange', () => {
  const f = currentFragment();
  openFragment(f);
});

$('help-open').addEventListener('click', () => ui.help.showModal());

function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type);
  return false;
}

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
  if (ui.help.open) return; // the dialog handles Escape itself
  const t = e.target;
  if (e.key === '?') {
    if (typing(t)) return;
    e.preventDefault();
    ui.help.showModal();
  } else if (e.key === ' ' || e.code === 'Space') {
    // Space on a button or a checkbox presses it; elsewhere it runs or pauses.
    if (typing(t) || (t instanceof HTMLElement && t.closest('button, a, summary, input, [role="button"]'))) return;
    e.preventDefault();
    if (compare && compare.active) {
      if (compare.playing) compare.pause();
      else compare.play();
    } else {
      togglePlay();
    }
  } else if (e.key === '.') {
    if (typing(t) || (compare && compare.active)) return;
    e.preventDefault();
    step();
  }
});

// ---------------------------------------------------------------- interventions

const interventions = new Interventions({
  engine,
  scenario: () => run.scenario,
  apply: async (scenario, tick) => {
    hideLinkError();
    $('intro-box').open = false;
    if (await load(scenario)) await seek(tick);
  },
});

// ---------------------------------------------------------------- the guided run

const guide = new Guide({
  events: () => moments.events,
  tick: () => run.tick,
  outcome: () => (run.finished ? run.outcome : null),
  thresholds: () => run.thresholds || {},
  threadsAt: (tick) => engine.request(REQ.THREADS_AT, { tick }),
  finished: () => run.finished,
  play,
  pause,
  view,
  restart: () => load(run.scenario),
});

// The form beside the charts sticks below the run bar, whose height depends on the width.
new ResizeObserver(([entry]) => {
  const h = entry.target.getBoundingClientRect().height;
  document.documentElement.style.setProperty('--runbar-h', `${Math.ceil(h)}px`);
}).observe(document.querySelector('.runbar'));

// ---------------------------------------------------------------- start

async function start() {
  setState('loading');
  showOutcome();
  const info = await engine.request(REQ.INIT);
  $('engine-version').textContent = info.engineVersion;
  defaultScenario = info.defaultScenario;
  compare = new CompareView({
    root: $('compare'),
    pool: pool(),
    engine,
    kernels: info.presets.kernels,
    onClose: exitCompare,
  });
  controls = new Controls($('controls'), info.presets, info.limits, onScenarioChange, (why) => {
    run.formProblem = why;
    setState(currentState());
  });
  // each switch says, from background runs, whether it changes the run on screen (not in the
  // embed view, which has no form)
  if (!document.documentElement.classList.contains('embed')) {
    effects = new SwitchEffects({ engine, controls });
    if (run.loaded) effects.check(run.scenario);
  }
  map.setKernels(info.presets.kernels);
  survival.setKernels(info.presets.kernels);
  await openFragment(currentFragment());
  if (new URLSearchParams(location.search).has('guide')) guide.offer();
  // a link with a map (?mapx=…&mapy=…) runs it
  if (!document.documentElement.classList.contains('embed')) map.openFromUrl();
  // and one with a survival (?survival=all&survseeds=…) runs that
  if (!document.documentElement.classList.contains('embed')) survival.openFromUrl();
}

start().catch((err) => {
  showFatal('The simulator could not start', `${err && err.message ? err.message : err}`);
});
