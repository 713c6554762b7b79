// Timed interventions (core/src/scenario/intervention.rs): the bar above the charts adds one at
// the marked time ("at the cursor") and runs the new scenario to that moment; the list in the
// form shows them and removes them. The page never builds an intervention itself: it writes the
// link's `at` list (TIME:ACTION[:VALUE], values in the link's own syntax) and lets the engine
// decode it, so the engine's checks and messages are the page's.

import { REQ, HZ } from './protocol.js';

/** The actions, with an example value in the link's syntax ('' when the action takes none). */
const ACTIONS = [
  ['hog', 'start a memory hog of', '64M'],
  ['writer', 'start a write(2) writer', ''],
  ['mmap', 'start a mapped-file writer', ''],
  ['stop', 'stop the thread', 'writer0'],
  ['wrate', 'set the writers’ rate to', '4M/s'],
  ['mrate', 'set the mapped-file stores to', '5000/s'],
  ['bw', 'set the disk’s bandwidth to', '10M/s'],
  ['seek', 'set the disk’s seek time to', '20ms'],
  ['sync', 'call sync(2)', ''],
];

const fmtSec = (ms) => `${(Number(ms) / 1000).toFixed(2)} s`;

/** One intervention of a scenario in words. */
export function describe(iv) {
  const a = iv.action || {};
  const kb = (v) => (v === 0 ? 'as fast as they can' : v % 1024 === 0 ? `${v / 1024} MB/s` : `${v} KB/s`);
  switch (a.kind) {
    case 'hog':
      return `a memory hog of ${a.mb} MB starts`;
    case 'writer':
      return 'a write(2) writer starts';
    case 'mmap':
      return 'a mapped-file writer starts';
    case 'stop':
      return `${a.thread} stops`;
    case 'wrate':
      return `writers at ${kb(a.kbS)}`;
    case 'mrate':
      return `mapped-file writers at ${a.pagesS} stores/s`;
    case 'bw':
      return `the disk at ${a.mbS} MB/s`;
    case 'seek':
      return `the disk seeks in ${a.ms} ms`;
    case 'sync':
      return 'sync(2)';
    default:
      return String(a.kind);
  }
}

/** The `at=` value of a link fragment, split into its items ([] when there is none). */
function atItems(link) {
  const pair = String(link)
    .replace(/^#/, '')
    .split('&')
    .find((p) => p.startsWith('at='));
  return pair ? decodeURIComponent(pair.slice(3)).split(',').filter(Boolean) : [];
}

/** The link with its `at=` value replaced by `items` (left out when there are none). */
function withAt(link, items) {
  const pairs = String(link)
    .replace(/^#/, '')
    .split('&')
    .filter((p) => p && !p.startsWith('at='));
  if (items.length) pairs.push(`at=${items.join(',')}`);
  return pairs.join('&');
}

export class Interventions {
  /**
   * @param {Object} o
   * @param {import('./protocol.js').EngineClient} o.engine
   * @param {() => Object} o.scenario  the scenario on screen
   * @param {(scenario: Object, tick: number) => Promise<void>} o.apply  loads a scenario and runs
   *   it to `tick`
   */
  constructor({ engine, scenario, apply }) {
    const $ = (id) => document.getElementById(id);
    this.engine = engine;
    this.scenario = scenario;
    this.apply = apply;
    this.ui = {
      form: $('intervene'),
      time: $('iv-time'),
      action: $('iv-action'),
      value: $('iv-value'),
      error: $('iv-error'),
      list: $('iv-list'),
      empty: $('iv-empty'),
    };
    for (const [name, words] of ACTIONS) {
      const o = document.createElement('option');
      o.value = name;
      o.textContent = words;
      this.ui.action.append(o);
    }
    this.ui.action.addEventListener('change', () => this.syncValue(true));
    this.syncValue(true);
    this.ui.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.add();
    });
    this.ui.list.addEventListener('click', (e) => {
      const btn = e.target.closest('button[data-index]');
      if (btn) this.remove(Number(btn.dataset.index));
    });
  }

  /** The value field follows the action: its example, or disabled when the action takes none. */
  syncValue(reset) {
    const [, , example] = ACTIONS.find(([n]) => n === this.ui.action.value) || ACTIONS[0];
    this.ui.value.disabled = example === '';
    this.ui.value.placeholder = example;
    if (reset) this.ui.value.value = example;
  }

  /** The marked time becomes the time of the next intervention. */
  setTime(tick) {
    if (Number.isFinite(Number(tick)) && Number(tick) > 0) {
      this.ui.time.value = (Number(tick) / HZ).toFixed(2);
    }
  }

  /** Lists the interventions of the scenario on screen. */
  show(scenario) {
    const list = (scenario && scenario.interventions) || [];
    const frag = document.createDocumentFragment();
    list.forEach((iv, i) => {
      const li = document.createElement('li');
      const at = document.createElement('span');
      at.className = 'ts';
      at.textContent = fmtSec(iv.atMs);
      const what = document.createElement('span');
      what.textContent = describe(iv);
      const rm = document.createElement('button');
      rm.type = 'button';
      rm.className = 'link-button';
      rm.dataset.index = String(i);
      rm.textContent = 'remove';
      rm.setAttribute('aria-label', `Remove: at ${fmtSec(iv.atMs)}, ${describe(iv)}`);
      li.append(at, what, rm);
      frag.append(li);
    });
    this.ui.list.replaceChildren(frag);
    this.ui.empty.hidden = list.length > 0;
  }

  showError(text) {
    this.ui.error.textContent = text;
    this.ui.error.hidden = !text;
  }

  /** Adds the intervention of the bar, in time order, and runs the new scenario to its time. */
  async add() {
    const sec = Number(this.ui.time.value);
    if (!(sec > 0)) {
      this.showError('The time must be a number of seconds after 0, e.g. 30 or 12.5.');
      this.ui.time.focus();
      return;
    }
    const ms = Math.round(sec * HZ) * (1000 / HZ);
    const action = this.ui.action.value;
    const value = this.ui.value.disabled ? '' : this.ui.value.value.trim();
    const item = value ? `${ms}ms:${action}:${value}` : `${ms}ms:${action}`;
    const scenario = this.scenario();
    const link = await this.engine.request(REQ.ENCODE, { scenario });
    const items = atItems(link);
    const times = ((scenario && scenario.interventions) || []).map((iv) => Number(iv.atMs));
    let at = times.findIndex((t) => t > ms);
    if (at < 0) at = items.length;
    items.splice(at, 0, item);
    await this.decodeAndApply(withAt(link, items), ms);
  }

  async remove(i) {
    const scenario = this.scenario();
    const link = await this.engine.request(REQ.ENCODE, { scenario });
    const items = atItems(link);
    const gone = ((scenario && scenario.interventions) || [])[i];
    items.splice(i, 1);
    await this.decodeAndApply(withAt(link, items), gone ? Number(gone.atMs) : 0);
  }

  async decodeAndApply(fragment, ms) {
    const r = await this.engine.request(REQ.DECODE, { fragment });
    if (!r.ok) {
      this.showError((r.errors || []).map((e) => e.message).join(' ') || 'The engine cannot read it.');
      return;
    }
    this.showError('');
    await this.apply(r.scenario, Math.round(ms / (1000 / HZ)));
  }
}
