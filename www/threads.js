// The threads panel: every kernel thread and user process, its state and what it sleeps in.

import { HZ } from './protocol.js';

/** What a sleep message means, for a tooltip-free one-word gloss beside it (kernel-2008.md §9.8). */
const WMESG = {
  VMWait: 'pageout daemon waits for free pages',
  vmwait: 'waits for free pages',
  pfault: 'page fault waits for free pages',
  psleep: 'idle until woken',
  flstik: 'throttled in bwillwrite',
  wdrain: 'waits for writes to drain',
  wdrain2: 'waits for writes to drain',
  newbuf: 'waits for a buffer header',
  nbufbs: 'waits for buffer space',
  nbufkv: 'waits for buffer KVA',
  getblk: 'waits for a locked buffer',
  pgtblk: 'waits for a busy page',
  hmrslo: 'HAMMER record throttle',
  vnlock: 'waits for a vnode lock',
  biord: 'waits for a read',
  biowr: 'waits for a write',
  hmrwwa: 'HAMMER flusher, idle',
};

const fmt = (v) => Number(v || 0).toLocaleString('en-US');

export class ThreadsPanel {
  /** @param {HTMLTableSectionElement} tbody */
  /**
   * @param {HTMLTableSectionElement} tbody
   * @param {HTMLElement} [caption]  says which moment the table shows when it is not the latest
   */
  constructor(tbody, caption) {
    this.tbody = tbody;
    this.caption = caption;
    this.last = '';
  }

  clear() {
    this.last = '';
    this.tbody.replaceChildren();
    if (this.caption) this.caption.hidden = true;
  }

  /**
   * The threads at an earlier moment of the run, as it recorded them (no pages taken: those are
   * counted for the run's latest moment only).
   * @param {import('../web/src/api').ThreadState[]} states
   * @param {number} tick
   */
  showAt(states, tick) {
    this.update(states, true);
    if (this.caption) {
      const sec = (t) => `${(Number(t) / HZ).toFixed(2)} s`;
      // the run records the threads every 0.1 s and at every key moment: between two records
      // the table is the earlier one, and says so
      const at = states.length ? Number(states[0].at) : Number(tick);
      const when =
        at === Number(tick)
          ? `As at ${sec(tick)}, the moment marked on the charts`
          : `As at ${sec(at)}, the run's last record before the moment marked on the charts (${sec(tick)})`;
      this.caption.textContent = `${when} (pages taken: —). Run or step to return to the latest moment.`;
      this.caption.hidden = false;
    }
  }

  /**
   * @param {Array<import('../web/src/api').ThreadInfo | import('../web/src/api').ThreadState>} threads
   * @param {boolean} [past]  an earlier moment (keep the caption)
   */
  update(threads, past = false) {
    if (!threads) return;
    if (!past && this.caption) this.caption.hidden = true;
    const key = JSON.stringify(threads);
    if (key === this.last) return;
    this.last = key;
    const rows = threads.map((t) => {
      const tr = document.createElement('tr');
      tr.className = `state-${String(t.state).replace(/[^a-z]/gi, '')}`;
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = t.name;
      const state = document.createElement('td');
      state.textContent = t.state;
      const wmesg = document.createElement('td');
      if (t.wmesg) {
        const code = document.createElement('code');
        code.textContent = t.wmesg;
        wmesg.append(code);
        const gloss = WMESG[t.wmesg];
        const where = t.path ? `in ${t.path}` : '';
        const extra = [where, gloss, t.timed ? 'with timeout' : 'no timeout'].filter(Boolean).join(', ');
        const small = document.createElement('span');
        small.className = 'gloss';
        small.textContent = extra;
        wmesg.append(small);
      }
      const since = document.createElement('td');
      since.className = 'num';
      since.textContent = `${(Number(t.since) / HZ).toFixed(2)} s`;
      // pages taken per band of the free list: above v_free_reserved, the system reserve, the
      // interrupt reserve; and what the pageout daemon laundered
      const a = t.account || {};
      const pages = document.createElement('td');
      pages.className = 'num pages';
      pages.textContent = t.account
        ? `${fmt(a.pagesNormal)} · ${fmt(a.pagesSystem)} · ${fmt(a.pagesInterrupt)}`
        : '—';
      if (Number(a.pagesSystem) + Number(a.pagesInterrupt) > 0) pages.classList.add('reserve');
      if (Number(a.pageouts) > 0) {
        const small = document.createElement('span');
        small.className = 'gloss';
        small.textContent = `${fmt(a.pageouts)} pageouts, ${fmt(a.pagesLaundered)} pages laundered`;
        pages.append(small);
      }
      tr.append(name, state, wmesg, since, pages);
      return tr;
    });
    this.tbody.replaceChildren(...rows);
  }
}
