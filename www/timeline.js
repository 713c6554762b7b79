// The key moments of a run, as the engine records them (core/src/events.rs): free + cache
// falling through each threshold, the first pageout, the first page each thread took from a
// reserve, zone refills, daemons going to sleep on memory, emergency allocations, the hang.
// One button per moment: its time, what, who and the counters' own words; clicking it shows
// that moment (main.js: the charts' marker, the threads as they were then, its console line). The same moments are drawn on the charts and under the time slider,
// and they say where the crisis of a run is (`crisisWindow`), for "zoom to the crisis".

import { HZ } from './protocol.js';

/** A short label per kind, and whether it is bad news ('warn', 'bad'), or the user's doing ('act'). */
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
  intervention: ['intervention', 'act'],
  'emergency-pager': ['emergency pager takes over', 'warn'],
};

/**
 * Keeps a scrolling list at its bottom while it grows, if the reader left it there, without
 * reading the layout while the page is being changed: whether it is at the bottom is noted when
 * it scrolls, and the scroll to the new bottom waits for the next animation frame (one layout a
 * frame, not one per panel).
 */
export class StickToBottom {
  constructor(scroller) {
    this.scroller = scroller;
    this.pinned = true;
    this.pending = false;
    scroller.addEventListener(
      'scroll',
      () => {
        this.pinned = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 24;
      },
      { passive: true },
    );
  }

  /** After new lines: back to the bottom on the next frame, if that is where the reader was. */
  grew() {
    if (!this.pinned || this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      if (this.pinned) this.scroller.scrollTop = this.scroller.scrollHeight;
    });
  }
}

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
    this.stick = new StickToBottom(scroller);
    this.empty = empty;
    this.count = 0;
    /** Every moment listed so far: `{tick, kind, cls, thread, why}`. */
    this.events = [];
    list.addEventListener('click', (e) => {
      const btn = e.target.closest('button[data-tick]');
      if (btn) onPick(Number(btn.dataset.tick));
    });
  }

  clear() {
    this.list.replaceChildren();
    this.count = 0;
    this.events = [];
    this.empty.hidden = false;
  }

  /** @param {Array<{tick: number, kind: string, thread: string, why: string}>} events */
  append(events) {
    if (!events || events.length === 0) return;
    const frag = document.createDocumentFragment();
    for (const e of events) {
      const [label, cls] = KINDS[e.kind] || [String(e.kind), ''];
      this.events.push({ tick: Number(e.tick), kind: String(e.kind), cls, thread: String(e.thread || ''), why: String(e.why || '') });
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
    this.stick.grew();
  }
}

/** Whether a moment is bad news (the crisis), from its kind. */
export function momentClass(kind) {
  return (KINDS[kind] || ['', ''])[1];
}

/**
 * The time window of a run's crisis, in ticks: from the last fall below `v_free_target` before
 * the first bad moment (a reserve found empty, a daemon asleep on memory, a failed emergency
 * allocation, a kill, the hang) to `endTick` (where the run's outcome was declared), with a second
 * of margin on each side. Null when nothing bad happened.
 * @param {Array<{tick: number, kind: string, cls: string}>} events
 * @param {number} endTick
 */
export function crisisWindow(events, endTick) {
  const bad = events.findIndex((e) => e.cls === 'bad');
  if (bad < 0) return null;
  let from = events[bad].tick;
  for (let i = bad; i >= 0; i--) {
    if (events[i].kind === 'below-target') {
      from = events[i].tick;
      break;
    }
  }
  const lastTick = events[events.length - 1].tick;
  const to = Math.max(endTick || 0, lastTick);
  return { from: Math.max(0, from - HZ), to: to + HZ };
}

/**
 * The key moments as marks under the time slider: one thin bar per warning, bad moment or
 * intervention, at its place on the slider's track. Decorative (the list of moments is the accessible form).
 */
export class SliderMarks {
  /** @param {HTMLElement} strip  an element laid over the slider's track */
  constructor(strip) {
    this.strip = strip;
    this.key = '';
  }

  /**
   * @param {Array<{tick: number, kind: string, cls: string}>} events
   * @param {number} maxTick  the slider's end
   */
  update(events, maxTick) {
    const shown = events.filter((e) => e.cls);
    const key = `${maxTick}:${shown.length}`;
    if (key === this.key) return;
    this.key = key;
    const frag = document.createDocumentFragment();
    for (const e of shown) {
      const frac = Math.min(1, Math.max(0, e.tick / Math.max(1, maxTick)));
      const mark = document.createElement('span');
      mark.className = `time-mark ${e.cls}`;
      // the thumb's centre runs from 8 px to the width less 8 px (style.css .time-track)
      mark.style.left = `calc(8px + (100% - 16px) * ${frac.toFixed(5)})`;
      mark.dataset.kind = e.kind;
      frag.append(mark);
    }
    this.strip.replaceChildren(frag);
  }

  clear() {
    this.key = '';
    this.strip.replaceChildren();
  }
}
