// The engine benchmark in the browser (bench.html; not linked from the page).
//
// This one module plays two roles. On bench.html it is the main thread: it starts itself again as
// a module Web Worker, asks it to run each scenario, shows the numbers and leaves them in
// `window.__bench` (scripts/bench-wasm.mjs reads them; each result is also logged as one
// `BENCH {json}` console line). In the worker it runs the engine the way www/worker.js does: a
// fresh `Simulation`, `runUntil` calls of an adaptive number of ticks (about a millisecond each)
// grouped in slices of SLICE_MS, yielding to the event loop between slices. One unmeasured 300 s
// run warms the engine up before anything is timed (V8 optimises wasm in the background). Each
// scenario then runs once more unmeasured (reported apart as `cold_wall_ms`), then `runs` times,
// none dropped; a run in a single `runUntil` call is timed beside each, to show what the slicing
// costs.
//
// The scenarios are the ones of core/benches/throughput.rs, built from the engine's own defaults
// and presets; each result carries its link and trace hash so it can be matched to the native run.

const IN_WORKER = typeof window === 'undefined';

/** The numbers of a sample: median, min, max. */
function spread(values) {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  const median = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return { median, min: v[0], max: v[n - 1] };
}

// ---------------------------------------------------------------------------------------------
// The worker: runs the engine.

async function workerMain() {
  const pkg = await import('./pkg/pageout_web.js');
  const wasm = await pkg.default();
  // The page's slice length, if protocol.js still says it.
  const SLICE_MS = await import('./protocol.js').then((m) => m.SLICE_MS ?? 8, () => 8);

  const channel = new MessageChannel();
  let resume = null;
  channel.port1.onmessage = () => resume();
  /** Yields to the event loop the way www/worker.js does between slices. */
  const yieldOnce = () =>
    new Promise((r) => {
      resume = r;
      channel.port2.postMessage(0);
    });

  /** The scenarios of core/benches/throughput.rs. */
  function cases() {
    const def = pkg.defaultScenario();
    const preset = (name) => pkg.presets().scenarios.find((s) => s.name === name).scenario;
    const ticks = (s) => s.durationMs / 10;
    const at0701 = { ...def, preset: 'dfly-2008-07-01' };
    const list = [
      { name: 'lockup-0630', scenario: { ...def, preset: 'dfly-2008-06-30' } },
      { name: 'lockup-0701', scenario: at0701 },
      { name: 'hammer-512m', scenario: preset('hammer-512m') },
      { name: 'ram-4g', scenario: { ...def, machine: { ...def.machine, ramMb: 4096 }, durationMs: 60000 } },
    ].map((c) => ({ ...c, until: ticks(c.scenario) }));
    // Seeks: the page seeks by building a fresh Simulation and running it to the tick.
    list.push({ name: 'seek-150s', scenario: at0701, until: 15000, seek: true });
    list.push({ name: 'seek-300s', scenario: at0701, until: 30000, seek: true });
    return list;
  }

  /** One run, driven as the page drives it. */
  async function slicedRun(scenario, until) {
    const t0 = performance.now();
    const sim = new pkg.Simulation(scenario);
    const t1 = performance.now();
    let batch = 10;
    let calls = 0;
    let slices = 0;
    for (;;) {
      const sliceStart = performance.now();
      let done = false;
      for (;;) {
        const now = sim.tick();
        if (now >= until) {
          done = true;
          break;
        }
        const n = Math.min(batch, until - now);
        const c0 = performance.now();
        const st = sim.runUntil(until, n);
        const dt = performance.now() - c0;
        calls += 1;
        if (dt < 0.5 && n === batch) batch = Math.min(batch * 2, 100000);
        else if (dt > 2 && batch > 1) batch = Math.max(1, Math.floor(batch / 2));
        if (st.finished) {
          done = true;
          break;
        }
        if (performance.now() - sliceStart >= SLICE_MS) break;
      }
      slices += 1;
      if (done) break;
      await yieldOnce();
    }
    const t2 = performance.now();
    const result = summary(sim, { newMs: t1 - t0, wallMs: t2 - t0, calls, slices });
    sim.free();
    return result;
  }

  /** One run in a single call: the engine alone, without the slicing. */
  function oneCallRun(scenario, until) {
    const t0 = performance.now();
    const sim = new pkg.Simulation(scenario);
    sim.runUntil(until);
    const t1 = performance.now();
    const result = summary(sim, { wallMs: t1 - t0 });
    sim.free();
    return result;
  }

  function summary(sim, times) {
    const o = sim.outcome();
    return {
      ...times,
      ticks: sim.tick(),
      events: Number(sim.stats().events),
      outcome: o ? o.kind : 'running',
      traceHash: sim.traceHash(),
      link: sim.toLink().replace(/^#/, ''),
    };
  }

  async function runCase(c, runs) {
    // The first run of a scenario (baseline-compiled wasm, cold caches) is reported apart.
    const cold = await slicedRun(c.scenario, c.until);
    await yieldOnce();
    const sliced = [];
    const single = [];
    for (let i = 0; i < runs; i++) {
      sliced.push(await slicedRun(c.scenario, c.until));
      await yieldOnce();
      single.push(oneCallRun(c.scenario, c.until));
      await yieldOnce();
    }
    const first = sliced[0];
    for (const r of [cold, ...sliced, ...single]) {
      if (r.ticks !== first.ticks || r.traceHash !== first.traceHash) {
        throw new Error(`${c.name}: two runs of the same scenario differ (${r.traceHash} vs ${first.traceHash})`);
      }
    }
    const simS = first.ticks / 100;
    return {
      bench: 'throughput',
      target: 'wasm',
      scenario: c.name,
      link: first.link,
      runs,
      until_tick: c.until,
      ticks: first.ticks,
      sim_s: simS,
      outcome: first.outcome,
      trace_hash: first.traceHash,
      events: first.events,
      wall_ms: spread(sliced.map((r) => r.wallMs)),
      cold_wall_ms: cold.wallMs,
      new_ms: spread(sliced.map((r) => r.newMs)),
      sim_s_per_wall_s: spread(sliced.map((r) => simS / (r.wallMs / 1000))),
      events_per_s: spread(sliced.map((r) => r.events / (r.wallMs / 1000))),
      one_call_wall_ms: spread(single.map((r) => r.wallMs)),
      calls: spread(sliced.map((r) => r.calls)),
      slices: spread(sliced.map((r) => r.slices)),
      slice_ms: SLICE_MS,
      // Linear memory only grows: this is the high-water mark of every run so far.
      wasm_memory_bytes: wasm.memory.buffer.byteLength,
    };
  }

  self.onmessage = async (e) => {
    const { runs, only } = e.data;
    try {
      const all = cases();
      const list = all.filter((c) => !only || c.name.includes(only));
      if (list.length === 0) throw new Error(`no scenario matches "${only}"`);
      // V8 first runs wasm baseline-compiled and optimises hot functions in the background: one
      // unmeasured 300 s run first, so the first scenario is not the one that pays for it.
      const warm = all.find((c) => c.name === 'lockup-0701');
      const w0 = performance.now();
      oneCallRun(warm.scenario, warm.until);
      postMessage({ type: 'warmup', ms: performance.now() - w0 });
      await yieldOnce();
      for (const c of list) {
        postMessage({ type: 'start', name: c.name });
        postMessage({ type: 'result', result: await runCase(c, runs) });
      }
      postMessage({ type: 'done', userAgent: navigator.userAgent });
    } catch (err) {
      postMessage({ type: 'error', message: String(err && err.stack ? err.stack : err) });
    }
  };
  postMessage({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// The page: starts the worker and shows what it reports.

function pageMain() {
  const params = new URLSearchParams(location.search);
  const runs = Math.max(1, Number.parseInt(params.get('runs') || '7', 10) || 7);
  const only = params.get('only') || '';
  const state = document.getElementById('state');
  const rows = document.getElementById('rows');
  const bench = { done: false, error: null, results: [], userAgent: navigator.userAgent };
  window.__bench = bench;

  const fail = (message) => {
    bench.error = message;
    bench.done = true;
    state.textContent = `Failed: ${message}`;
    console.error(`BENCH-ERROR ${message}`);
  };
  const show = (s, d) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;

  const worker = new Worker(new URL(import.meta.url), { type: 'module' });
  worker.onerror = (e) => fail(e.message || 'the worker failed to start');
  worker.onmessage = (e) => {
    const m = e.data;
    switch (m.type) {
      case 'ready':
        state.textContent = `Running ${runs} runs of each scenario…`;
        worker.postMessage({ runs, only });
        break;
      case 'warmup':
        bench.warmupMs = m.ms;
        console.log(`BENCH-WARMUP ${m.ms.toFixed(1)} ms`);
        break;
      case 'start':
        state.textContent = `Running ${m.name} (${runs} runs)…`;
        break;
      case 'result': {
        const r = m.result;
        bench.results.push(r);
        console.log(`BENCH ${JSON.stringify(r)}`);
        const tr = document.createElement('tr');
        for (const text of [
          r.scenario,
          r.outcome,
          r.sim_s.toFixed(2),
          show(r.wall_ms, 1),
          show(r.sim_s_per_wall_s, 0),
          show({ median: r.events_per_s.median / 1e6, min: r.events_per_s.min / 1e6, max: r.events_per_s.max / 1e6 }, 2),
          show(r.one_call_wall_ms, 1),
        ]) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        rows.append(tr);
        break;
      }
      case 'done':
        bench.workerUserAgent = m.userAgent;
        bench.done = true;
        state.textContent = 'Done.';
        worker.terminate();
        break;
      case 'error':
        fail(m.message);
        worker.terminate();
        break;
      default:
        break;
    }
  };
}

if (IN_WORKER) {
  workerMain().catch((err) => postMessage({ type: 'error', message: String(err && err.stack ? err.stack : err) }));
} else {
  pageMain();
}
