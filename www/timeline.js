// The key moments of a run, as the engine records them (core/src/events.rs): free + cache
// falling through each threshold, the first pageout, the first page each thread took from a
// reserve, zone refills, daemons going to sleep on memory, emergency allocations, the hang.
// One button per moment: its time, what, who and the counters' own words; clicking it marks
// that time on the charts.

import { HZ } from './protocol.js';

/** A short label per kind, and whether it is bad news. */
const KINDS = {
  'below-target': ['below v_free_target', ''],
  'below-min': ['below v_free_min', ''],
  'below-severe': ['below v_free_severe', 'warn'],
  'below-reserved': ['into the system reserve', 'warn'],
  'reserve-gone': ['only the interrupt reserve left', 'bad'],
  'first-pageout': ['first pageout', ''],
  'system-reserve': ['first system-reserve page', 'warn'],
  'interrupt-reserve': ['first interrupt-reserve page', 'warn'],
  'reserve-empty': ['found the reserve empty', 'bad'],
  'zone-refill': ['kmalloc zone refill', ''],
  'waits-for-memory': ['asleep on memory, no timeout', 'bad'],
  'emergency-alloc': ['first emergency allocation', 'warn'],
  'emergency-fail': ['emergency allocation failed', 'bad'],
  'oom-kill': ['killed a process', 'bad'],
  hang: ['hang', 'bad'],
  starved: ['starved', 'warn'],
};

export class TimelinePanel {
  /**
   * @param {HTMLOListElement} list
   * @param {HTMLElement} scroller  the scrolling box around it (follows the newest moment)
   * @param {HTMLElement} empty  shown while there is nothing to list
   * @param {(tick: number) => void} onPick
   */
  constructor(list, scroller, empty, onPick) {
    this.list = list;
    this.scroller = scroller;
    this.empty = empty;
    this.count = 0;
    list.addEventListener('click', (e) => {
      const btn = e.target.closest('button[data-tick]');
      if (btn) onPick(Number(btn.dataset.tick));
    });
  }

  clear() {
    this.list.replaceChildren();
    this.count = 0;
    this.empty.hidden = false;
  }

  /** @param {Array<{tick: number, kind: string, thread: string, why: string}>} events */
  append(events) {
    if (!events || events.length === 0) return;
    const atBottom =
      this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 24;
    const frag = document.createDocumentFragment();
    for (const e of events) {
      const [label, cls] = KINDS[e.kind] || [String(e.kind), ''];
      const li = document.createElement('li');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = `moment${cls ? ` ${cls}` : ''}`;
      btn.dataset.tick = String(e.tick);
      btn.dataset.kind = String(e.kind);
      const time = document.createElement('span');
      time.className = 'ts';
      time.textContent = `${(Number(e.tick) / HZ).toFixed(2)} s`;
      const what = document.createElement('strong');
      what.textContent = e.thread ? `${e.thread}: ${label}` : label;
      const why = document.createElement('span');
      why.className = 'why';
      why.textContent = String(e.why);
      btn.append(time, what, why);
      li.append(btn);
      frag.append(li);
    }
    this.list.append(frag);
    this.count += events.length;
    this.empty.hidden = this.count > 0;
    if (atBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
  }
}
