// URL fragment state. The fragment always holds the current scenario as the engine encodes it
// (`#v=1&preset=…`, defaults dropped); writes are throttled and never add history entries.
// Decoding is the engine's: this file only splits a fragment into its keys, to drop bad ones.

const THROTTLE_MS = 300;

/** The fragment of the page's URL, without '#'. */
export function currentFragment() {
  return location.hash.replace(/^#/, '');
}

/**
 * Splits a fragment into [key, rawValue] pairs, in order (values left percent-encoded).
 * @param {string} fragment
 * @returns {Array<[string, string]>}
 */
export function fragmentPairs(fragment) {
  return fragment
    .replace(/^#/, '')
    .split('&')
    .filter((kv) => kv.length > 0)
    .map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
    });
}

/** The fragment with the given keys removed. */
export function withoutKeys(fragment, keys) {
  const drop = new Set(keys);
  return fragmentPairs(fragment)
    .filter(([k]) => !drop.has(safeDecode(k)))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** decodeURIComponent that never throws (a malformed escape stays as it was). */
export function safeDecode(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * Finds the nearest valid scenario to a broken link: drops the keys the decoder complained
 * about and decodes again, a few times; gives up with null (the caller uses the default).
 * @param {string} fragment
 * @param {(f: string) => Promise<{ok: boolean, scenario?: object, errors?: Array<{key: string}>}>} decode
 */
export async function nearestValid(fragment, decode) {
  let f = fragment;
  for (let attempt = 0; attempt < 4; attempt++) {
    const r = await decode(f);
    if (r.ok) return { scenario: r.scenario, fragment: f };
    const keys = (r.errors || []).map((e) => e.key).filter(Boolean);
    // no key to drop (a link refused whole, too long): do not even split it
    if (keys.length === 0) break;
    const next = withoutKeys(f, keys);
    if (next === f) break;
    f = next;
  }
  // A link without a version may still say something: try it as version 1.
  if (!/(^|&)v=/.test(f) && f) {
    const r = await decode(`v=1&${f}`);
    if (r.ok) return { scenario: r.scenario, fragment: `v=1&${f}` };
  }
  return null;
}

/**
 * The moment a link asks to be shown at (`t=`, as `120100ms` or `120s`), in ticks, or null.
 * The engine reads the same key (`link::moment`) and keeps it out of the scenario.
 */
export function momentOf(fragment) {
  for (const [k, v] of fragmentPairs(fragment)) {
    if (k.trim() !== 't') continue;
    const m = /^(\d+)(ms|s)$/.exec(String(v).trim());
    if (!m) return null;
    const ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
    return Number.isSafeInteger(ms) ? Math.floor(ms / 10) : null;
  }
  return null;
}

/**
 * Keeps the URL fragment in step with the scenario, at most once per THROTTLE_MS, with the
 * moment shown when it is not the run's latest (`t=`), and the run's fingerprint once known
 * (`ev=`, `eo=`, `eh=`; core/src/fingerprint.rs).
 */
export class LinkWriter {
  /** @param {(scenario: object) => Promise<string>} encode */
  constructor(encode) {
    this.encode = encode;
    this.scenario = null;
    this.timer = 0;
    this.lastWrite = 0;
    this.enabled = true;
    /** The moment shown, in ticks, or null for the run's latest. */
    this.moment = null;
    /**
     * The run's fingerprint keys (`ev=…&eo=…&eh=…`) once Share or an opened link has given them,
     * or null; they go after the moment, and a new scenario drops them.
     */
    this.fingerprint = null;
  }

  /** Notes the moment shown (null: the latest); the fragment follows. */
  setMoment(tick) {
    this.moment = tick;
    if (this.scenario) this.update(this.scenario);
  }

  /** Notes a new scenario; the fragment follows within THROTTLE_MS. */
  update(scenario) {
    this.scenario = scenario;
    if (!this.enabled || this.timer) return;
    const wait = Math.max(0, THROTTLE_MS - (performance.now() - this.lastWrite));
    this.timer = setTimeout(() => {
      this.timer = 0;
      this.write();
    }, wait);
  }

  /** Writes now; resolves to the full URL. */
  async flush() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = 0;
    }
    await this.write();
    return location.href;
  }

  async write() {
    if (!this.enabled || !this.scenario) return;
    this.lastWrite = performance.now();
    let link;
    try {
      link = await this.encode(this.scenario);
    } catch {
      return; // an invalid scenario keeps the last valid link
    }
    const at = this.moment == null ? '' : `&t=${this.moment * 10}ms`;
    const fp = this.fingerprint ? `&${this.fingerprint}` : '';
    const hash = `#${link.replace(/^#/, '')}${at}${fp}`;
    if (location.hash !== hash) {
      history.replaceState(history.state, '', `${location.pathname}${location.search}${hash}`);
    }
  }
}

/**
 * Copies text to the clipboard: the async Clipboard API, else a hidden textarea and
 * execCommand. Resolves to true when it worked.
 */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

/** How long "Link copied" stays beside a Share button. */
const SHARED_MS = 4000;
const sharedTimers = new WeakMap();

/**
 * Hands a link to the user: copies it and says so beside the Share button, or, where the
 * clipboard is refused, shows it selected in a text field to copy by hand.
 * @param {string} url
 * @param {HTMLElement} status  the polite status beside the button
 * @param {HTMLInputElement} fallback  a read-only text field, hidden until needed
 */
export async function offerLink(url, status, fallback) {
  fallback.hidden = true;
  if (await copyText(url)) {
    status.textContent = 'Link copied';
  } else {
    fallback.value = url;
    fallback.hidden = false;
    fallback.select();
    status.textContent = 'Copy the link below';
  }
  clearTimeout(sharedTimers.get(status));
  sharedTimers.set(
    status,
    setTimeout(() => {
      status.textContent = '';
    }, SHARED_MS),
  );
}
