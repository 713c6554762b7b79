// The guided run: predict, then reveal. It plays the scenario on screen and stops at three
// moments the engine records: free + cache falling into the system reserve, the first thread
// asleep on memory with no timeout, and the end of the run. At each it asks a question, takes
// the reader's guess, then answers from the engine's own records of that moment (the key
// moments, the threads as they were then, the outcome and its wait-for graph). Every control
// is a native form control, so the whole tour works from the keyboard. `?guide` in the address
// opens the page with the tour started.

import { HZ } from './protocol.js';

const fmtSec = (tick) => `${(Number(tick) / HZ).toFixed(2)} s`;

/** Where a sleeping thread is, in words: "asleep in VMWait in allocbuf". */
function whereIs(t) {
  if (!t) return 'not running in this kernel';
  if (t.state === 'running' || t.state === 'runnable' || !t.wmesg) return t.state || 'running';
  const path = t.path ? ` in ${t.path}` : '';
  const timo = t.timed ? ', with a timeout' : ', with no timeout';
  return `asleep in ${t.wmesg}${path}${timo}`;
}

/** The stops of the tour, in order. Each says when it applies and how to ask and answer. */
const STOPS = [
  {
    id: 'reserve',
    find: (host) => host.events().find((e) => e.kind === 'below-reserved'),
    async ask(host, e) {
      const reserved = host.thresholds().vFreeReserved;
      return {
        context: `${fmtSec(e.tick)}: free + cache has fallen to ${e.why.replace(/^free\+cache /, '')}.`,
        question: 'From here on, which allocations can still get a page?',
        choices: [
          'Any thread’s: the pages go to whoever asks first',
          'Only those marked VM_ALLOC_SYSTEM or VM_ALLOC_INTERRUPT: the kernel’s own',
          'None: everyone waits until the pageout daemon has freed pages',
        ],
        correct: 1,
        answer() {
          const took = host
            .events()
            .filter((x) => x.kind === 'system-reserve' && x.tick <= e.tick)
            .map((x) => `${x.thread} (${fmtSec(x.tick)})`);
          return (
            `Below v_free_reserved (${reserved} pages) vm_page_alloc() refuses a normal allocation; ` +
            'VM_ALLOC_SYSTEM may go on down to the interrupt reserve, and only VM_ALLOC_INTERRUPT ' +
            'may take that. ' +
            (took.length
              ? `In this run the system reserve has gone by now to: ${took.join(', ')}.`
              : 'No thread has taken a page of the system reserve yet.')
          );
        },
      };
    },
  },
  {
    id: 'asleep',
    find: (host) => host.events().find((e) => e.kind === 'waits-for-memory'),
    async ask(host, e) {
      const threads = await host.threadsAt(e.tick);
      const daemon = threads.find((t) => t.name === 'pagedaemon');
      return {
        context: `${fmtSec(e.tick)}: ${e.thread} ${e.why}.`,
        question: `What can wake ${e.thread} up again?`,
        choices: [
          'Its timeout: it tries again after a while on its own',
          'A wakeup when pages are freed: so some thread has to free pages',
          'Nothing can: a thread asleep on memory never wakes',
        ],
        correct: 1,
        answer() {
          const wait = `${e.thread} sleeps until pages are freed: there is no timeout to end the wait. `;
          if (e.thread === 'pagedaemon') {
            // the sleeper is the thread that frees memory: say so, not where it was a sample ago
            return (
              wait +
              'And it is itself the thread that frees memory: only pages others give back — ' +
              'buffers whose writes complete, clean buffers released — can wake it now.'
            );
          }
          return wait + `The thread that frees memory is the pageout daemon; at this moment it is ${whereIs(daemon)}.`;
        },
      };
    },
  },
  {
    id: 'end',
    find: (host) => (host.outcome() ? { tick: host.outcome().tick } : null),
    async ask(host) {
      const o = host.outcome();
      if (o.kind === 'deadlock' || o.kind === 'stall') {
        const threads = await host.threadsAt(o.tick);
        const daemon = threads.find((t) => t.name === 'pagedaemon');
        const actual = whereIs(daemon);
        const others = ['running its scan of the inactive queue', 'asleep in psleep: it has nothing to do'];
        const choices = [actual, ...others.filter((c) => c !== actual)].slice(0, 3);
        // the real answer is not always first: order the choices by their text
        const order = [...choices].sort();
        return {
          context: `${fmtSec(o.tick)}: nothing moves any more.`,
          question: 'Where is the pageout daemon, the one thread that frees memory?',
          choices: order,
          correct: order.indexOf(actual),
          answer() {
            const g = o.graph || { nodes: [], cycle: [] };
            const cycle = (g.cycle || []).map((i) => g.nodes[i]).filter(Boolean);
            const words = cycle.length
              ? ` The cycle: ${cycle.map((n) => `${n.thread} (${n.wmesg})`).join(' → ')} → ${cycle[0].thread}.`
              : '';
            const summary = String(o.summary).trim();
            return `${summary}${/[.!?]$/.test(summary) ? '' : '.'}${words}`;
          },
        };
      }
      const kinds = ['deadlock', 'survived', 'starved', 'stall', 'out-of-memory'];
      const words = {
        deadlock: 'A deadlock: every thread that could free memory waits',
        survived: 'It survives to the end',
        starved: 'A thread starves while the others go on',
        stall: 'A stall: nothing progresses, though some thread could be woken by a timeout',
        'out-of-memory': 'Out of memory: a process is killed',
      };
      return {
        context: `${fmtSec(o.tick)}: the run has ended.`,
        question: 'How did this run end?',
        choices: kinds.map((k) => words[k]),
        correct: kinds.indexOf(o.kind),
        answer: () => String(o.summary),
      };
    },
  },
];

export class Guide {
  /**
   * @param {Object} host  what the guide may read and do: `events()`, `tick()`, `outcome()`,
   *   `thresholds()`, `threadsAt(tick)`, `play()`, `pause()`, `view(tick)`, `finished()`,
   *   `restart()` (the scenario from its start)
   */
  constructor(host) {
    this.host = host;
    const $ = (id) => document.getElementById(id);
    this.ui = {
      panel: $('guide'),
      step: $('guide-step'),
      context: $('guide-context'),
      form: $('guide-form'),
      question: $('guide-question'),
      choices: $('guide-choices'),
      reveal: $('guide-reveal'),
      next: $('guide-next'),
      answer: $('guide-answer'),
      close: $('guide-close'),
      start: $('guide-start'),
      open: $('guide-open'),
    };
    this.active = false;
    this.at = 0;
    this.waiting = false;
    this.current = null;
    this.ui.open.addEventListener('click', () => this.offer());
    this.ui.start.addEventListener('click', () => this.begin());
    this.ui.close.addEventListener('click', () => this.end());
    this.ui.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.reveal();
    });
    this.ui.next.addEventListener('click', () => this.next());
  }

  /** Shows the guide's opening card (the `?guide` address, or the Guided run button). */
  offer() {
    const { ui } = this;
    this.active = false;
    this.setAddress(true);
    ui.panel.hidden = false;
    ui.step.textContent = 'Three questions on the way';
    ui.context.textContent =
      'The scenario on screen plays from its start and stops at three moments. At each, guess ' +
      'before you look: the answer comes from what the engine recorded at that moment.';
    ui.form.hidden = true;
    ui.answer.hidden = true;
    ui.next.hidden = true;
    ui.start.hidden = false;
    ui.start.focus();
  }

  async begin() {
    this.ui.start.hidden = true;
    this.active = true;
    this.at = 0;
    this.waiting = false;
    await this.host.restart();
    this.ui.step.textContent = 'Playing to the first stop…';
    this.ui.context.textContent = 'Watch free + cache fall on the first chart.';
    this.host.play();
  }

  end() {
    this.active = false;
    this.waiting = false;
    this.ui.panel.hidden = true;
    this.setAddress(false);
    this.ui.open.focus();
  }

  setAddress(on) {
    const url = new URL(location.href);
    if (on) url.searchParams.set('guide', '');
    else url.searchParams.delete('guide');
    const text = url.toString().replace(/\?guide=(?=#|$)/, '?guide').replace(/&guide=(?=#|&|$)/, '&guide');
    history.replaceState(history.state, '', text);
  }

  /** Called after every batch of frames: stops at the next moment once the run has reached it. */
  async check() {
    if (!this.active || this.waiting || this.at >= STOPS.length) return;
    const stop = STOPS[this.at];
    let found = stop.find(this.host);
    // a stop the run never reaches is skipped once the run is over
    while (!found && this.host.finished() && this.at < STOPS.length - 1) {
      this.at++;
      found = STOPS[this.at].find(this.host);
    }
    if (!found) return;
    this.waiting = true;
    this.host.pause();
    await this.host.view(found.tick);
    this.current = await STOPS[this.at].ask(this.host, found);
    this.showQuestion();
  }

  showQuestion() {
    const { ui } = this;
    const q = this.current;
    ui.step.textContent = `Question ${this.at + 1} of ${STOPS.length}`;
    ui.context.textContent = q.context;
    ui.question.textContent = q.question;
    ui.choices.replaceChildren();
    q.choices.forEach((text, i) => {
      const label = document.createElement('label');
      label.className = 'guide-choice';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'guide-choice';
      input.value = String(i);
      label.append(input, document.createTextNode(` ${text}`));
      ui.choices.append(label);
    });
    ui.form.hidden = false;
    ui.reveal.disabled = false;
    ui.answer.hidden = true;
    ui.answer.replaceChildren();
    ui.next.hidden = true;
    ui.choices.querySelector('input').focus();
  }

  reveal() {
    const { ui } = this;
    const q = this.current;
    if (!q) return;
    const picked = ui.choices.querySelector('input:checked');
    const verdict = document.createElement('strong');
    if (!picked) verdict.textContent = 'The answer: ';
    else if (Number(picked.value) === q.correct) verdict.textContent = 'Right. ';
    else verdict.textContent = `Not quite: it is “${q.choices[q.correct]}”. `;
    ui.answer.replaceChildren(verdict, document.createTextNode(q.answer()));
    ui.answer.hidden = false;
    ui.reveal.disabled = true;
    for (const input of ui.choices.querySelectorAll('input')) input.disabled = true;
    const last = this.at === STOPS.length - 1;
    ui.next.textContent = last ? 'End the guided run' : 'Continue';
    ui.next.hidden = false;
    ui.next.focus();
  }

  next() {
    if (this.at >= STOPS.length - 1) {
      this.end();
      return;
    }
    this.at++;
    this.waiting = false;
    this.current = null;
    this.ui.form.hidden = true;
    this.ui.answer.hidden = true;
    this.ui.next.hidden = true;
    this.ui.step.textContent = `Playing to stop ${this.at + 1}…`;
    this.ui.context.textContent = '';
    if (this.host.finished()) this.check();
    else this.host.play();
  }
}
