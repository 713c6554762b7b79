// The scenario form: scenario and kernel presets, one control per mechanism of the fix, the
// machine and workload knobs, seed, duration. It edits a scenario object and reports every
// change; presets, mechanisms and their explanations come from the engine.

/**
 * The knobs. `path` is where the value lives in the scenario; values shown in seconds are
 * stored in milliseconds (whole ticks of 10 ms).
 */
function knobs(L) {
  const lim = (name) => L[name];
  const sec = { toView: (ms) => ms / 1000, fromView: (s) => Math.round(s * 100) * 10 };
  const secLim = (name) => lim(name).map((ms) => ms / 1000);
  return {
    machine: [
      { path: ['machine', 'ramMb'], id: 'ram', label: 'RAM', unit: 'MB', range: lim('ramMb') },
      { path: ['machine', 'diskSeekMs'], id: 'seek', label: 'Disk seek', unit: 'ms', range: lim('diskSeekMs') },
      { path: ['machine', 'diskMbS'], id: 'bw', label: 'Disk bandwidth', unit: 'MB/s', range: lim('diskMbS') },
      { path: ['machine', 'swapMb'], id: 'swap', label: 'Swap', unit: 'MB', note: '0 = no swap', range: lim('swapMb') },
    ],
    workload: [
      { path: ['workload', 'mmapWriters'], id: 'mmap', label: 'mmap writers', unit: '', range: lim('mmapWriters') },
      { path: ['workload', 'mmapFileMb'], id: 'mfile', label: 'Mapped file size', unit: 'MB', range: lim('fileMb') },
      { path: ['workload', 'mmapPagesS'], id: 'mrate', label: 'Pages dirtied', unit: 'pages/s', range: lim('mmapPagesS') },
      { path: ['workload', 'writers'], id: 'writers', label: 'write(2) writers', unit: '', range: lim('writers') },
      { path: ['workload', 'writerFileMb'], id: 'wfile', label: 'Writer file size', unit: 'MB', range: lim('fileMb') },
      { path: ['workload', 'writerKbS'], id: 'wrate', label: 'Writer rate', unit: 'KB/s', note: '0 = unlimited', range: lim('writerKbS') },
      { path: ['workload', 'hogs'], id: 'hogs', label: 'Memory hogs', unit: '', range: lim('hogs') },
      { path: ['workload', 'hogMb'], id: 'hog', label: 'Memory per hog', unit: 'MB', range: lim('hogMb') },
      { path: ['workload', 'hogMbS'], id: 'hograte', label: 'Hog allocation rate', unit: 'MB/s', range: lim('hogMbS') },
      { path: ['workload', 'hogStartMs'], id: 'hogat', label: 'Hogs start at', unit: 's', range: [0, secLim('durationMs')[1]], step: 0.01, ...sec },
    ],
    run: [
      { path: ['durationMs'], id: 'until', label: 'Duration', unit: 's', range: secLim('durationMs'), step: 0.01, ...sec },
      { path: ['hangWindowMs'], id: 'window', label: 'Hang window', unit: 's', range: secLim('hangWindowMs'), step: 0.01, ...sec },
    ],
  };
}

/** The on/off settings of a scenario, as checkboxes in a knob group. */
const TOGGLES = [
  {
    path: ['warm'],
    id: 'warm',
    group: 'run',
    label: 'Warm start',
    hint: 'the machine has been running the workload: page queues and buffer cache full',
  },
  {
    path: ['workload', 'shared'],
    id: 'shared',
    group: 'workload',
    label: 'Writers write into the mapped file',
    hint: 'so the pageout daemon meets vnodes the writers hold locked',
  },
];

const get = (obj, path) => path.reduce((o, k) => (o == null ? undefined : o[k]), obj);
function set(obj, path, v) {
  let o = obj;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]] = v;
}

/** The mechanisms that are parts of `bio_page_alloc()` (link keys). */
const PARTS_OF_BIO = ['recoverbufpages', 'interrupt', 'timedwait'];

const isOnOff = (m) => m.values.length === 2 && m.values[0] === 'off' && m.values[1] === 'on';
/** A mechanism's link value ('on', 'fix-0701') as the Policy field holds it. */
const toPolicy = (m, v) => (isOnOff(m) ? v === 'on' : v);
const toLinkValue = (m, v) => (isOnOff(m) ? (v ? 'on' : 'off') : String(v));

/** A fresh random seed, short enough to read in a link. */
export function randomSeed() {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return String(a[0]);
}

function labelled(id, text, control, unitText, hint) {
  const wrap = document.createElement('div');
  wrap.className = 'field';
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = text;
  wrap.append(label);
  const row = document.createElement('div');
  row.className = 'field-row';
  row.append(control);
  if (unitText) {
    const unit = document.createElement('span');
    unit.className = 'unit';
    unit.textContent = unitText;
    row.append(unit);
  }
  wrap.append(row);
  if (hint) {
    const h = document.createElement('p');
    h.className = 'hint';
    h.id = `${id}-hint`;
    h.textContent = hint;
    control.setAttribute('aria-describedby', h.id);
    wrap.append(h);
  }
  return wrap;
}

export class Controls {
  /**
   * @param {HTMLElement} root  the form
   * @param {{kernels: Array, scenarios: Array, mechanisms: Array}} presets
   * @param {object|null} limits
   * @param {(scenario: object) => void} onChange
   */
  constructor(root, presets, limits, onChange, onValidity = () => {}) {
    this.root = root;
    this.presets = presets;
    this.onChange = onChange;
    /** Called with the first problem of the form (a sentence), or '' when every field reads. */
    this.onValidity = onValidity;
    /** Fields whose value cannot be used: id → sentence. */
    this.invalid = new Map();
    this.scenario = null;
    this.knobs = knobs(limits);
    this.inputs = new Map();
    this.mechInputs = new Map();
    this.build();
  }

  kernelPolicy(name) {
    const k = this.presets.kernels.find((x) => x.name === name);
    return k ? k.policy : {};
  }

  build() {
    const r = this.root;

    // Scenario and kernel.
    this.scenarioSelect = r.querySelector('#scenario-preset');
    for (const s of this.presets.scenarios) {
      const o = document.createElement('option');
      o.value = s.name;
      o.textContent = `${s.name} — ${s.description}`;
      this.scenarioSelect.append(o);
    }
    const custom = document.createElement('option');
    custom.value = '';
    custom.textContent = 'custom (edited below)';
    custom.disabled = true;
    this.scenarioSelect.append(custom);
    this.scenarioSelect.addEventListener('change', () => {
      const p = this.presets.scenarios.find((s) => s.name === this.scenarioSelect.value);
      if (!p) return;
      // A scenario preset is a whole scenario: machine, load, kernel, mechanisms and seed.
      this.emit(structuredClone(p.scenario));
    });

    this.kernelSelect = r.querySelector('#kernel');
    this.kernelHint = r.querySelector('#kernel-hint');
    // The kernels in three groups: the June and July 2008 kernels of the post, the DragonFly
    // kernels after it, and the what-ifs — the 2008-06-30 kernel with another system's answer
    // switched on, not those systems, in a group that says so.
    const groupOf = (name) => {
      if (name.startsWith('whatif-')) return 'what if DragonFly 2008-06-30 had done what Linux / FreeBSD do';
      if (/^dfly-2008-0[67]-/.test(name)) return 'DragonFly, June and July 2008';
      return 'DragonFly after July 2008';
    };
    const groups = new Map();
    for (const k of this.presets.kernels) {
      const o = document.createElement('option');
      o.value = k.name;
      o.textContent = k.name;
      const label = groupOf(k.name);
      if (!groups.has(label)) {
        const g = document.createElement('optgroup');
        g.label = label;
        groups.set(label, g);
        this.kernelSelect.append(g);
      }
      groups.get(label).append(o);
    }
    this.kernelSelect.addEventListener('change', () => {
      const next = structuredClone(this.scenario);
      next.preset = this.kernelSelect.value;
      next.overrides = {}; // a kernel is a bundle: choosing one resets every mechanism to it
      this.emit(next);
    });

    // One control per mechanism.
    const mechList = r.querySelector('#mechanisms');
    for (const m of this.presets.mechanisms) {
      const li = document.createElement('li');
      li.className = 'mech';
      li.dataset.key = m.key;
      const id = `mech-${m.key}`;
      let input;
      const head = document.createElement('div');
      head.className = 'mech-head';
      if (isOnOff(m)) {
        input = document.createElement('input');
        input.type = 'checkbox';
        input.id = id;
        input.className = 'switch';
        const label = document.createElement('label');
        label.htmlFor = id;
        label.textContent = m.label;
        head.append(input, label);
        input.addEventListener('change', () => this.setMechanism(m, input.checked ? 'on' : 'off'));
      } else {
        input = document.createElement('select');
        input.id = id;
        for (const v of m.values) {
          const o = document.createElement('option');
          o.value = v;
          o.textContent = v;
          input.append(o);
        }
        const label = document.createElement('label');
        label.htmlFor = id;
        label.textContent = m.label;
        head.append(label, input);
        input.addEventListener('change', () => this.setMechanism(m, input.value));
      }
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.id = `${id}-badge`;
      head.append(badge);
      const explain = document.createElement('p');
      explain.className = 'hint';
      explain.id = `${id}-explain`;
      explain.textContent = `${m.explain} `;
      const commit = document.createElement('span');
      commit.className = 'commit';
      commit.textContent = `(${m.commit})`;
      explain.append(commit);
      input.setAttribute('aria-describedby', `${explain.id} ${badge.id}`);
      li.append(head, explain);
      mechList.append(li);
      this.mechInputs.set(m.key, { m, input, badge, li });
    }
    r.querySelector('#reset-overrides').addEventListener('click', () => {
      const next = structuredClone(this.scenario);
      next.overrides = {};
      this.emit(next);
    });

    // Machine, filesystem, workload, run.
    this.fsSelect = r.querySelector('#fs');
    this.fsSelect.addEventListener('change', () => {
      const next = structuredClone(this.scenario);
      next.fs = this.fsSelect.value;
      this.emit(next);
    });
    for (const [group, list] of Object.entries(this.knobs)) {
      const box = r.querySelector(`#knobs-${group}`);
      for (const k of list) {
        const input = document.createElement('input');
        input.type = 'number';
        input.id = `knob-${k.id}`;
        input.name = k.id;
        input.inputMode = k.step ? 'decimal' : 'numeric';
        input.min = String(k.range[0]);
        input.max = String(k.range[1]);
        input.step = String(k.step || 1);
        input.required = true;
        const hint = `${k.range[0]}–${k.range[1]}${k.note ? `; ${k.note}` : ''}`;
        box.append(labelled(input.id, k.unit ? `${k.label} (${k.unit})` : k.label, input, '', hint));
        input.addEventListener('change', () => this.setKnob(k, input));
        this.inputs.set(k.id, { k, input });
      }
    }

    this.toggles = new Map();
    for (const t of TOGGLES) {
      const box = r.querySelector(`#knobs-${t.group}`);
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.id = `toggle-${t.id}`;
      input.className = 'switch';
      const wrap = document.createElement('div');
      wrap.className = 'field toggle';
      const label = document.createElement('label');
      label.htmlFor = input.id;
      label.textContent = t.label;
      const hint = document.createElement('p');
      hint.className = 'hint';
      hint.id = `${input.id}-hint`;
      hint.textContent = t.hint;
      input.setAttribute('aria-describedby', hint.id);
      const row = document.createElement('div');
      row.className = 'field-row';
      row.append(input, label);
      wrap.append(row, hint);
      box.append(wrap);
      input.addEventListener('change', () => {
        const next = structuredClone(this.scenario);
        set(next, t.path, input.checked);
        this.emit(next);
      });
      this.toggles.set(t.id, { t, input });
    }

    this.seedInput = r.querySelector('#seed');
    this.seedInput.addEventListener('change', () => {
      const v = this.seedInput.value.trim();
      const ok = /^\d{1,20}$/.test(v) && BigInt(v) <= 18446744073709551615n;
      this.seedInput.setAttribute('aria-invalid', String(!ok));
      if (!ok) return;
      const next = structuredClone(this.scenario);
      next.seed = String(BigInt(v));
      this.emit(next);
    });
    r.querySelector('#new-seed').addEventListener('click', () => {
      const next = structuredClone(this.scenario);
      next.seed = randomSeed();
      this.emit(next);
    });
  }

  setMechanism(m, linkValue) {
    const { next, note } = this.withMechanism(this.scenario, m, linkValue);
    this.note = note;
    this.emit(next);
  }

  /**
   * A scenario with one mechanism set as the form sets it, dependencies included (a part of
   * bio_page_alloc() brings bio_page_alloc() in; taking it out takes its parts), and the note
   * that says so.
   */
  withMechanism(scenario, m, linkValue) {
    const next = structuredClone(scenario);
    next.overrides = { ...(next.overrides || {}) };
    const policy = this.kernelPolicy(next.preset);
    const put = (mech, v) => {
      if (v === policy[mech.field]) delete next.overrides[mech.field];
      else next.overrides[mech.field] = v;
    };
    const value = (key) => {
      const mech = this.mechInputs.get(key).m;
      const over = next.overrides[mech.field];
      return over !== undefined ? over : policy[mech.field];
    };
    put(m, toPolicy(m, linkValue));
    // recoverbufpages, the interrupt retry and the timed vm_wait are parts of bio_page_alloc():
    // switching one on brings the function in, taking bio_page_alloc() out takes them with it
    const bio = this.mechInputs.get('bio');
    let note = '';
    if (bio && PARTS_OF_BIO.includes(m.key) && toPolicy(m, linkValue) === true && value('bio') === 'pre-0630') {
      put(bio.m, 'fix-0701');
      note = `${m.label} is part of bio_page_alloc(), so bio_page_alloc() is now fix-0701 (4ecf7cc9c0).`;
    } else if (bio && m.key === 'bio' && linkValue === 'pre-0630') {
      const off = PARTS_OF_BIO.map((k) => this.mechInputs.get(k)).filter((x) => x && value(x.m.key) === true);
      for (const x of off) put(x.m, false);
      if (off.length) {
        note = `${off.map((x) => x.m.label).join(', ')} switched off with it: without bio_page_alloc() they do not exist.`;
      }
    }
    return { next, note };
  }

  /** Every mechanism with the value it has in `scenario` (its link value) and the values it can take. */
  mechanismValues(scenario) {
    const policy = this.kernelPolicy(scenario.preset);
    return [...this.mechInputs.values()].map(({ m, li }) => {
      const over = scenario.overrides ? scenario.overrides[m.field] : undefined;
      const v = over !== undefined ? over : policy[m.field];
      return { m, li, value: toLinkValue(m, v) };
    });
  }

  setKnob(k, input) {
    const n = Number(input.value);
    const valid = input.value !== '' && Number.isFinite(n) && n >= k.range[0] && n <= k.range[1];
    input.setAttribute('aria-invalid', String(!valid));
    const hint = this.root.querySelector(`#${input.id}-hint`);
    const range = `${k.range[0]}–${k.range[1]}${k.note ? `; ${k.note}` : ''}`;
    if (!valid) {
      const unit = k.unit ? ` ${k.unit}` : '';
      const why = `${k.label} must be a number from ${k.range[0]} to ${k.range[1]}${unit}; "${input.value}" is not. The run shown is still the last valid scenario.`;
      if (hint) {
        hint.textContent = why;
        hint.classList.add('invalid');
      }
      this.invalid.set(input.id, why);
      this.onValidity(why);
      return;
    }
    if (hint) {
      hint.textContent = range;
      hint.classList.remove('invalid');
    }
    this.invalid.delete(input.id);
    this.onValidity(this.invalid.values().next().value || '');
    const next = structuredClone(this.scenario);
    set(next, k.path, k.fromView ? k.fromView(n) : Math.round(n));
    this.emit(next);
  }

  emit(next) {
    this.onChange(next);
  }

  /** Shows a scenario in every control. */
  setScenario(s) {
    this.scenario = structuredClone(s);
    const match = this.presets.scenarios.find((p) => sameLoad(p.scenario, s));
    this.scenarioSelect.value = match ? match.name : '';
    this.kernelSelect.value = s.preset;
    const k = this.presets.kernels.find((x) => x.name === s.preset);
    this.kernelHint.textContent = k ? k.description : '';
    const policy = this.kernelPolicy(s.preset);
    let overridden = 0;
    for (const { m, input, badge, li } of this.mechInputs.values()) {
      const over = s.overrides ? s.overrides[m.field] : undefined;
      const v = over !== undefined ? over : policy[m.field];
      if (input.type === 'checkbox') input.checked = v === true;
      else input.value = toLinkValue(m, v);
      const changed = over !== undefined && over !== policy[m.field];
      if (changed) overridden++;
      li.classList.toggle('overridden', changed);
      badge.textContent = changed ? `changed: ${s.preset} has ${toLinkValue(m, policy[m.field])}` : '';
    }
    this.root.querySelector('#reset-overrides').disabled = overridden === 0;
    const noteEl = this.root.querySelector('#mech-note');
    if (noteEl) {
      noteEl.textContent = this.note || '';
      noteEl.hidden = !this.note;
      this.note = '';
    }
    this.root.querySelector('#override-count').textContent =
      overridden === 0 ? `as in ${s.preset}` : `${overridden} changed from ${s.preset}`;
    this.fsSelect.value = s.fs;
    for (const { k, input } of this.inputs.values()) {
      const v = get(s, k.path);
      input.value = String(k.toView ? k.toView(Number(v)) : v);
      input.setAttribute('aria-invalid', 'false');
      const hint = this.root.querySelector(`#${input.id}-hint`);
      if (hint && hint.classList.contains('invalid')) {
        hint.textContent = `${k.range[0]}–${k.range[1]}${k.note ? `; ${k.note}` : ''}`;
        hint.classList.remove('invalid');
      }
    }
    if (this.invalid.size > 0) {
      this.invalid.clear();
      this.onValidity('');
    }
    for (const { t, input } of this.toggles.values()) input.checked = get(s, t.path) === true;
    this.seedInput.value = String(s.seed);
    this.seedInput.setAttribute('aria-invalid', 'false');
  }
}

/** Whether two scenarios are the same (a preset matches whatever the order of the keys). */
function sameLoad(a, b) {
  const pick = (s) =>
    JSON.stringify([
      s.machine,
      s.fs,
      s.workload,
      s.durationMs,
      s.hangWindowMs,
      s.warm,
      s.hammer,
      s.ufsBlockKb,
      s.preset,
      s.seed,
      Object.entries(s.overrides || {}).sort(),
    ]);
  return pick(a) === pick(b);
}
