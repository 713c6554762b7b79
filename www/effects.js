// Switches that explain themselves: for the scenario on screen, each switch of the fix says
// whether setting it otherwise changes this run. In the background, in the shared worker pool,
// the page runs the scenario once as it is and once for every other value of every switch (set
// as the form would set it, dependencies included), and compares the trace hashes and outcome
// kinds the engine reports. A value whose run differs only in mechanisms the run as it is never read
// is not run at all: the engine knows it is the same run (core/src/explore/twins.rs), and the
// switch says it was never reached. A new scenario cancels the runs of the last one.

import { REQ, HZ } from './protocol.js';
import { pool, runLinkJob } from './pool.js';

const WORDS = {
  deadlock: 'a deadlock',
  stall: 'a stall',
  starved: 'starvation',
  'out-of-memory': 'out of memory',
  survived: 'survival',
};

/** An outcome in a few words: "a deadlock at 120.10 s". */
function shortly(r) {
  if (!r || !r.kind) return 'no outcome';
  const at = r.kind === 'survived' ? '' : ` at ${(Number(r.tick) / HZ).toFixed(2)} s`;
  return `${WORDS[r.kind] || r.kind}${at}`;
}

export class SwitchEffects {
  /**
   * @param {Object} o
   * @param {import('./protocol.js').EngineClient} o.engine  encodes scenarios into links
   * @param {import('./controls.js').Controls} o.controls  the form (its switches and their rules)
   */
  constructor({ engine, controls }) {
    this.engine = engine;
    this.controls = controls;
    this.job = null;
    this.key = '';
  }

  /** The text element of a switch's effect, made on first use. */
  slot(li) {
    let el = li.querySelector('.effect');
    if (!el) {
      el = document.createElement('p');
      el.className = 'hint effect';
      li.append(el);
    }
    return el;
  }

  /** Checks every switch of `scenario` in the background; a later call replaces this one. */
  async check(scenario) {
    const gen = {};
    this.gen = gen;
    if (this.job) this.job.cancel();
    this.job = null;
    const base = String(await this.engine.request(REQ.ENCODE, { scenario })).replace(/^#/, '');
    if (this.gen !== gen) return;
    if (base === this.key) return; // this scenario's answers are on screen
    this.key = '';
    // one job for the scenario itself, then one per other value of every switch
    const jobs = [runLinkJob(base)];
    const tries = [];
    const now = new Map(this.controls.mechanismValues(scenario).map((x) => [x.m.key, x.value]));
    for (const { m, li, value } of this.controls.mechanismValues(scenario)) {
      const el = this.slot(li);
      el.textContent = 'Checking whether it changes this run…';
      el.dataset.effect = 'pending';
      for (const v of m.values.filter((x) => x !== value)) {
        const { next } = this.controls.withMechanism(scenario, m, v);
        // what the form changes with it (a part of bio_page_alloc() brings bio_page_alloc() in)
        const along = this.controls
          .mechanismValues(next)
          .filter((x) => x.m.key !== m.key && x.value !== now.get(x.m.key))
          .map((x) => `${x.m.key}=${x.value}`);
        const shown = along.length ? `${v} (with ${along.join(', ')})` : v;
        let link;
        try {
          link = String(await this.engine.request(REQ.ENCODE, { scenario: next })).replace(/^#/, '');
        } catch {
          continue;
        }
        if (this.gen !== gen) return;
        tries.push({ m, li, value: shown, job: jobs.length });
        jobs.push(runLinkJob(link));
      }
    }
    const results = new Array(jobs.length);
    const run = async (list, from) => {
      const job = pool().runAll(list, {
        onResult: (i, r) => {
          results[from + i] = r;
        },
      });
      this.job = job;
      const { cancelled } = await job.done;
      return !cancelled && this.gen === gen;
    };
    // the run as it is first: what it read decides which of the others need running
    if (!(await run(jobs.slice(0, 1), 0))) return;
    const here = results[0];
    const twins = here?.consulted ? [{ link: base, consulted: here.consulted }] : [];
    if (!(await run(jobs.slice(1).map((j) => ({ ...j, fields: { ...j.fields, twins } })), 1))) return;
    this.key = base;
    const byKey = new Map();
    for (const t of tries) {
      const r = results[t.job];
      if (!byKey.has(t.m.key)) byKey.set(t.m.key, { li: t.li, m: t.m, said: [] });
      const entry = byKey.get(t.m.key);
      if (!r || !here) {
        entry.said.push({ value: t.value, text: `${t.value}: could not be run`, changes: null });
      } else if (r.twin != null) {
        entry.said.push({ value: t.value, text: `${t.value}: the same run`, changes: false, unread: true });
      } else if (r.traceHash === here.traceHash && r.kind === here.kind) {
        // the same samples and console can still end another way (a wait that retries every
        // tick is a stall where one that never wakes is a deadlock): the outcome is compared too
        entry.said.push({ value: t.value, text: `${t.value}: the same run`, changes: false });
      } else if (r.kind !== here.kind) {
        entry.said.push({ value: t.value, text: `${t.value}: ${shortly(r)} instead of ${shortly(here)}`, changes: true });
      } else {
        entry.said.push({ value: t.value, text: `${t.value}: another run, also ${shortly(r)}`, changes: true });
      }
    }
    for (const { li, said } of byKey.values()) {
      const el = this.slot(li);
      const changes = said.some((x) => x.changes);
      el.dataset.effect = changes ? 'changes' : 'none';
      const values = said.map((x) => x.value).join(', ');
      if (changes) el.textContent = `Changes this run — ${said.map((x) => x.text).join('; ')}.`;
      else if (said.every((x) => x.unread)) {
        el.textContent = `Makes no difference to this run: it never reaches this switch (${values}: the same run).`;
      } else el.textContent = `Makes no difference to this run (${values}: the same trace).`;
      el.dataset.reached = String(!said.every((x) => x.unread));
    }
  }
}
