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
  vnode: 'waits for a vnode lock',
};

export class ThreadsPanel {
  /** @param {HTMLTableSectionElement} tbody */
  constructor(tbody) {
    this.tbody = tbody;
    this.last = '';
  }

  clear() {
    this.last = '';
    this.tbody.replaceChildren();
  }

  /** @param {Array<{name: string, state: string, wmesg: string, timed: boolean, since: number}>} threads */
  update(threads) {
    if (!threads) return;
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
        const extra = [gloss, t.timed ? 'with timeout' : 'no timeout'].filter(Boolean).join(', ');
        const small = document.createElement('span');
        small.className = 'gloss';
        small.textContent = extra;
        wmesg.append(small);
      }
      const since = document.createElement('td');
      since.className = 'num';
      since.textContent = `${(Number(t.since) / HZ).toFixed(2)} s`;
      tr.append(name, state, wmesg, since);
      return tr;
    });
    this.tbody.replaceChildren(...rows);
  }
}
