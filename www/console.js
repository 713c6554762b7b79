// The console panel, in two views of what the kernel printed: the console itself, every line as
// printed (it "may spew"), and /var/log/messages, what syslogd wrote of it, with repeats folded
// into "last message repeated N times" (when, the engine decides, as syslogd does). Each line is a
// button with its time in a gutter; pressing it moves the time marker to its tick. A polite live
// region announces new console warnings at most every few seconds.

import { HZ } from './protocol.js';
import { StickToBottom } from './timeline.js';

const EMERG = 'bio_page_alloc: WARNING emergency page allocation';
const ANNOUNCE_EVERY_MS = 4000;
const FOLD = /^last message repeated \d+ times$/;

/** The two views: what the switch calls them, and what the panel says about each. */
export const VIEWS = Object.freeze({
  console: {
    label: 'Kernel console; select a line to mark its time',
    hint: 'Every line the kernel printed, as it printed it.',
    empty: '(the console is quiet)',
  },
  messages: {
    label: '/var/log/messages; select a line to mark its time',
    hint:
      'What syslogd wrote: repeats of a line are counted, and the count written once 30 s have ' +
      'passed since the last write, then 120 s, then 600 s while the line keeps coming, or at ' +
      'once when another line comes.',
    empty: '(nothing written yet)',
  },
});

/** The highlight class of a message, or '' for an ordinary line. */
export function classify(text) {
  if (text.startsWith(EMERG)) return text.endsWith('failed') ? 'fail' : 'warn';
  if (/^(Warning: )?bio_page_alloc: /i.test(text)) return 'fail';
  if (/warning/i.test(text)) return 'warn';
  return '';
}

/** The gutter's time of a tick, in seconds: `12.34`. */
export function gutterTime(tick) {
  return (Number(tick) / HZ).toFixed(2);
}

/** One view's list of lines. */
class LineList {
  /** @param {HTMLOListElement} list */
  constructor(list) {
    this.list = list;
    this.lastClass = '';
    this.count = 0;
    this.selected = null;
  }

  clear() {
    this.list.replaceChildren();
    this.lastClass = '';
    this.count = 0;
    this.selected = null;
  }

  /**
   * Appends lines as text (never as HTML); returns the warnings among them.
   * @param {Array<{index: number, tick: number, text: string}>} lines
   */
  append(lines) {
    const found = { warnings: 0, fails: 0, last: '' };
    const frag = document.createDocumentFragment();
    for (const line of lines) {
      const text = String(line.text);
      let cls = classify(text);
      // "last message repeated N times" repeats the line before it: keep its colour.
      if (FOLD.test(text)) cls = this.lastClass;
      else this.lastClass = cls;
      const li = document.createElement('li');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = `con-line${cls ? ` ${cls}` : ''}${FOLD.test(text) ? ' fold' : ''}`;
      btn.dataset.tick = String(line.tick);
      const ts = document.createElement('span');
      ts.className = 'ts';
      ts.textContent = gutterTime(line.tick);
      const unit = document.createElement('span');
      unit.className = 'visually-hidden';
      unit.textContent = ' s ';
      ts.append(unit);
      const msg = document.createElement('span');
      msg.className = 'msg';
      msg.textContent = text;
      btn.append(ts, msg);
      li.append(btn);
      frag.append(li);
      if (cls === 'fail') found.fails++;
      else if (cls === 'warn') found.warnings++;
      if (cls) found.last = text;
    }
    this.list.append(frag);
    this.count += lines.length;
    return found;
  }

  select(btn) {
    if (this.selected) this.selected.removeAttribute('aria-current');
    this.selected = btn;
    btn.setAttribute('aria-current', 'true');
  }

  /** The last line at or before a tick. */
  lineAt(tick) {
    let best = null;
    for (const btn of this.list.querySelectorAll('button[data-tick]')) {
      if (Number(btn.dataset.tick) <= tick) best = btn;
      else break;
    }
    return best;
  }
}

export class ConsolePanel {
  /**
   * @param {{
   *   scroller: HTMLElement,    the scrolling box around the lists
   *   console: HTMLOListElement, the raw console's lines
   *   messages: HTMLOListElement, /var/log/messages' lines
   *   switcher: HTMLElement,    holds the radio buttons named after the views
   *   hint: HTMLElement,        describes the view shown
   *   empty: HTMLElement,       shown while the view has no line
   *   announcer: HTMLElement,   a polite aria-live region
   * }} els
   * @param {(tick: number) => void} onPick
   */
  constructor(els, onPick) {
    this.els = els;
    this.onPick = onPick;
    this.views = { console: new LineList(els.console), messages: new LineList(els.messages) };
    this.view = 'console';
    this.markedTick = null;
    this.pendingWarnings = 0;
    this.pendingFails = 0;
    this.lastWarning = '';
    this.announceTimer = 0;
    this.lastAnnounce = 0;
    this.stick = new StickToBottom(els.scroller);
    els.scroller.addEventListener('click', (e) => {
      const btn = e.target.closest('button[data-tick]');
      if (!btn) return;
      this.current.select(btn);
      this.markedTick = Number(btn.dataset.tick);
      this.onPick(this.markedTick);
    });
    els.switcher.addEventListener('change', (e) => {
      if (e.target.name && e.target.checked) this.show(e.target.value);
    });
    const checked = els.switcher.querySelector('input:checked');
    this.show(checked && checked.value in VIEWS ? checked.value : 'console');
  }

  get current() {
    return this.views[this.view];
  }

  /** Shows one view ('console' or 'messages'), at the marked line or else at the end. */
  show(view) {
    if (!(view in VIEWS)) return;
    this.view = view;
    for (const [name, list] of Object.entries(this.views)) list.list.hidden = name !== view;
    for (const input of this.els.switcher.querySelectorAll('input')) input.checked = input.value === view;
    this.els.scroller.setAttribute('aria-label', VIEWS[view].label);
    this.els.hint.textContent = VIEWS[view].hint;
    this.els.empty.textContent = VIEWS[view].empty;
    this.syncEmpty();
    const at = this.markedTick === null ? null : this.current.lineAt(this.markedTick);
    if (at) {
      this.current.select(at);
      at.scrollIntoView({ block: 'nearest' });
    } else {
      this.els.scroller.scrollTop = this.els.scroller.scrollHeight;
    }
  }

  clear() {
    for (const list of Object.values(this.views)) list.clear();
    this.pendingWarnings = 0;
    this.pendingFails = 0;
    this.markedTick = null;
    this.syncEmpty();
  }

  syncEmpty() {
    this.els.scroller.classList.toggle('empty', this.current.count === 0);
  }

  /**
   * New lines of both views. Only the console's warnings are announced: the file holds the
   * same lines again.
   * @param {Array<{index: number, tick: number, text: string}>} consoleLines
   * @param {Array<{index: number, tick: number, text: string}>} messageLines
   */
  append(consoleLines, messageLines) {
    let added = false;
    if (consoleLines && consoleLines.length) {
      const found = this.views.console.append(consoleLines);
      this.pendingWarnings += found.warnings;
      this.pendingFails += found.fails;
      if (found.last) this.lastWarning = found.last;
      added = added || this.view === 'console';
    }
    if (messageLines && messageLines.length) {
      this.views.messages.append(messageLines);
      added = added || this.view === 'messages';
    }
    if (added) {
      this.syncEmpty();
      this.stick.grew();
    }
    this.scheduleAnnouncement();
  }

  scheduleAnnouncement() {
    if (this.pendingWarnings + this.pendingFails === 0 || this.announceTimer) return;
    const wait = Math.max(0, ANNOUNCE_EVERY_MS - (performance.now() - this.lastAnnounce));
    this.announceTimer = setTimeout(() => {
      this.announceTimer = 0;
      this.lastAnnounce = performance.now();
      const n = this.pendingWarnings + this.pendingFails;
      const fails = this.pendingFails;
      this.pendingWarnings = 0;
      this.pendingFails = 0;
      let say = n === 1 ? `Console: ${this.lastWarning}` : `Console: ${n} new warnings`;
      if (n > 1 && fails > 0) say += `, ${fails} of them failed emergency allocations`;
      this.els.announcer.textContent = say;
    }, wait);
  }

  /** Highlights the last line of the shown view printed at or before a tick. */
  selectTick(tick) {
    this.markedTick = tick;
    const best = this.current.lineAt(tick);
    if (best) {
      this.current.select(best);
      best.scrollIntoView({ block: 'nearest' });
    }
  }
}
