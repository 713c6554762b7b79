// "Shrink this hang": the smallest scenario that still hangs the same way as the one on screen
// (the same kind of outcome and the same wait-for cycle). The search is the engine's
// (core/src/explore/shrink.rs, through `shrinkStart` / `shrinkProbe` / `shrinkStep`): it gives
// the candidates in order; the page runs the first few of them at once in the worker pool
// (www/pool.js), hands their outcomes back, and the engine takes the first that hangs the same
// way as a step. Which candidate is taken depends only on the outcomes, so the page's steps are
// `pageout-sim shrink`'s, however many workers it has. Each step is listed as it is taken, with
// its link; Cancel stops the runs under way.

import { REQ } from './protocol.js';

export class ShrinkPanel {
  /**
   * @param {HTMLElement} root  the shrink section (index.html #shrink)
   * @param {import('./pool.js').WorkerPool} pool
   * @param {() => Promise<string>} currentLink  the link of the scenario on screen
   */
  constructor(root, pool, currentLink) {
    this.root = root;
    this.pool = pool;
    this.currentLink = currentLink;
    const $ = (id) => root.querySelector(`#${id}`);
    this.ui = {
      start: $('shrink-start'),
      cancel: $('shrink-cancel'),
      status: $('shrink-status'),
      target: $('shrink-target'),
      steps: $('shrink-steps'),
      result: $('shrink-result'),
    };
    this.job = null;
    this.generation = 0;
    this.ui.start.addEventListener('click', () => this.start());
    this.ui.cancel.addEventListener('click', () => this.cancel());
    this.setState('idle');
  }

  setState(state) {
    this.root.dataset.state = state;
    const running = state === 'running';
    this.ui.cancel.hidden = !running;
    this.ui.start.disabled = running;
  }

  cancel() {
    this.cancelled = true;
    this.job?.cancel();
  }

  async start() {
    const gen = ++this.generation;
    this.cancelled = false;
    this.job?.cancel();
    this.setState('running');
    this.ui.steps.replaceChildren();
    this.ui.target.textContent = '';
    this.ui.result.replaceChildren();
    delete this.root.dataset.final;
    this.ui.status.textContent = 'Running the scenario as it is…';
    const alive = () => gen === this.generation;
    let next;
    try {
      const link = String(await this.currentLink()).replace(/^#/, '');
      next = await this.pool.request(REQ.SHRINK_START, { link });
      while (!next.state.done) {
        const batch = next.candidates.slice(0, this.pool.size);
        const outcomes = new Array(batch.length);
        this.job = this.pool.runAll(
          batch.map((c) => ({ type: REQ.SHRINK_PROBE, fields: { link: c.link } })),
          { onResult: (i, v) => (outcomes[i] = v) },
        );
        const summary = await this.job.done;
        this.job = null;
        if (!alive()) return;
        if (summary.cancelled || this.cancelled) {
          this.setState('cancelled');
          this.ui.status.textContent = `Cancelled after ${next.state.tried} candidates judged and ${next.state.steps.length} steps.`;
          this.showResult(next.state);
          return;
        }
        if (summary.failed) throw new Error('a candidate could not run');
        next = await this.pool.request(REQ.SHRINK_STEP, { state: next.state, outcomes });
        if (!alive()) return;
        this.show(next);
      }
    } catch (err) {
      if (!alive()) return;
      this.setState('failed');
      this.ui.status.textContent = `It cannot be shrunk: ${err.message}`;
      return;
    }
    this.setState('done');
    const s = next.state;
    this.ui.status.textContent = s.steps.length
      ? `Shrunk in ${s.steps.length} step${s.steps.length === 1 ? '' : 's'} (${s.tried} candidates judged).`
      : `No smaller scenario hangs the same way (${s.tried} candidates judged).`;
    this.showResult(s);
  }

  /** What a step of the engine said: the target once known, the step taken. */
  show(next) {
    const s = next.state;
    if (s.target && !this.ui.target.textContent) {
      this.ui.target.textContent = `It hangs: ${s.target.kind}${s.target.cycle ? `, ${s.target.cycle}` : ''}. Each step keeps that.`;
    }
    this.ui.status.textContent = `${s.tried} candidates judged, ${s.steps.length} step${s.steps.length === 1 ? '' : 's'}…`;
    if (!next.step) return;
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `#${next.step.link}`;
    a.textContent = next.step.what;
    li.append(a, ` (hangs at ${(next.step.tick / 100).toFixed(2)} s)`);
    li.dataset.link = next.step.link;
    this.ui.steps.append(li);
  }

  showResult(state) {
    this.root.dataset.final = state.current;
    const a = document.createElement('a');
    a.href = `#${state.current}`;
    a.textContent = `#${state.current}`;
    this.ui.result.replaceChildren('Smallest so far: ', a);
  }
}
