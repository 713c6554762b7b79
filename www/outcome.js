// How an outcome is said: the banner sentence of a run, shared by the page's run and compare
// mode's two runs. The words are the engine's (its summary); this adds the kind and the time
// where the summary lacks them, and a survived run's emergency counts.

import { HZ } from './protocol.js';

const fmtSec = (tick) => (Number(tick) / HZ).toFixed(2);

/** How each outcome kind opens its banner sentence. */
const KIND_WORDS = {
  deadlock: 'Deadlock',
  stall: 'Stall',
  starved: 'Starved',
  'out-of-memory': 'Out of memory',
  survived: 'Survived',
};

/**
 * The banner sentence for an outcome: the engine's own summary ("Deadlock at 41.27 s: the
 * pageout daemon sleeps in VMWait …"), with the emergency counts of a survived run.
 */
export function outcomeText(o, stats, durationTicks) {
  const kind = KIND_WORDS[o.kind] || 'Survived';
  let s = String(o.summary || '').trim();
  if (!/^(deadlock|stall|survived|starved|out of memory)\b/i.test(s)) {
    const at = o.kind === 'survived' ? `all ${fmtSec(durationTicks || o.tick)} s` : `at ${fmtSec(o.tick)} s`;
    s = s && s.toLowerCase() !== o.kind ? `${kind} ${at}: ${s}` : `${kind} ${at}`;
  }
  if (o.kind === 'survived' && stats && Number(stats.emergAllocs) > 0) {
    const n = (v) => Number(v || 0).toLocaleString('en-US');
    s = `${s.replace(/\.$/, '')}; ${n(stats.emergAllocs)} emergency page allocations, ${n(stats.emergFails)} failed.`;
  }
  return s;
}

