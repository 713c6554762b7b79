// The kernel console panel: dmesg lines as the engine prints them (repeats already folded),
// bio_page_alloc warnings highlighted, each line a button that moves the time marker to its
// tick, and a polite live region that announces new warnings at most every few seconds.

const EMERG = 'bio_page_alloc: WARNING emergency page allocation';
const ANNOUNCE_EVERY_MS = 4000;

/** The highlight class of a message, or '' for an ordinary line. */
export function classify(text) {
  if (text.startsWith(EMERG)) return text.endsWith('failed') ? 'fail' : 'warn';
  if (/^(Warning: )?bio_page_alloc: /i.test(text)) return 'fail';
  if (/warning/i.test(text)) return 'warn';
  return '';
}

export class ConsolePanel {
  /**
   * @param {HTMLElement} list  the <ol> that holds the lines
   * @param {HTMLElement} scroller  the scrolling box around it
   * @param {HTMLElement} announcer  a polite aria-live region
   * @param {(tick: number) => void} onPick
   */
  constructor(list, scroller, announcer, onPick) {
    this.list = list;
    this.scroller = scroller;
    this.announcer = announcer;
    this.onPick = onPick;
    this.lastClass = '';
    this.pendingWarnings = 0;
    this.pendingFails = 0;
    this.lastWarning = '';
    this.announceTimer = 0;
    this.lastAnnounce = 0;
    this.selected = null;
    this.count = 0;
    list.addEventListener('click', (e) => {
      const btn = e.target.closest('button[data-tick]');
      if (!btn) return;
      this.select(btn);
      this.onPick(Number(btn.dataset.tick));
    });
  }

  clear() {
    this.list.replaceChildren();
    this.lastClass = '';
    this.pendingWarnings = 0;
    this.pendingFails = 0;
    this.selected = null;
    this.count = 0;
    this.setEmpty(true);
  }

  setEmpty(empty) {
    this.scroller.classList.toggle('empty', empty);
  }

  select(btn) {
    if (this.selected) this.selected.removeAttribute('aria-current');
    this.selected = btn;
    btn.setAttribute('aria-current', 'true');
  }

  /** @param {Array<{index: number, tick: number, text: string, dmesg: string}>} lines */
  append(lines) {
    if (!lines || lines.length === 0) return;
    const atBottom =
      this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 24;
    const frag = document.createDocumentFragment();
    for (const line of lines) {
      const text = String(line.text);
      let cls = classify(text);
      // "last message repeated N times" repeats the line before it: keep its colour.
      if (/^last message repeated \d+ times$/.test(text)) cls = this.lastClass;
      else this.lastClass = cls;
      const li = document.createElement('li');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = `con-line${cls ? ` ${cls}` : ''}`;
      btn.dataset.tick = String(line.tick);
      const dmesg = String(line.dmesg || text);
      const m = /^(\[\s*[\d.]+\])\s?(.*)$/.exec(dmesg);
      const ts = document.createElement('span');
      ts.className = 'ts';
      ts.textContent = m ? m[1] : '';
      const msg = document.createElement('span');
      msg.className = 'msg';
      msg.textContent = m ? ` ${m[2]}` : dmesg;
      btn.append(ts, msg);
      li.append(btn);
      frag.append(li);
      if (cls === 'warn' || cls === 'fail') {
        if (cls === 'fail') this.pendingFails++;
        else this.pendingWarnings++;
        this.lastWarning = text;
      }
    }
    this.list.append(frag);
    this.count += lines.length;
    this.setEmpty(this.count === 0);
    if (atBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
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
      this.announcer.textContent = say;
    }, wait);
  }

  /** Highlights the last line printed at or before a tick. */
  selectTick(tick) {
    let best = null;
    for (const btn of this.list.querySelectorAll('button[data-tick]')) {
      if (Number(btn.dataset.tick) <= tick) best = btn;
      else break;
    }
    if (best) {
      this.select(best);
      best.scrollIntoView({ block: 'nearest' });
    }
  }
}
