// The hang view: the engine's wait-for graph as inline SVG (threads with their wmesg, an arrow
// from each waiting thread to a thread that could wake it, the cycle highlighted), and beside
// it one line per edge saying why, as the engine words it.

const SVG = 'http://www.w3.org/2000/svg';
// Drawing size in SVG units; narrow screens get a taller, narrower drawing so the text stays
// readable when the SVG is scaled down to the width of a phone.
let W = 640;
let H = 420;
let NODE_W = 168;
const NODE_H = 50;

function setSize(narrow) {
  W = narrow ? 360 : 640;
  H = narrow ? 500 : 420;
  NODE_W = narrow ? 150 : 168;
}

function el(name, attrs = {}) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Where the segment from the centre of a box towards (tx, ty) leaves the box. */
function boxExit(cx, cy, tx, ty, pad = 4) {
  const dx = tx - cx;
  const dy = ty - cy;
  const hw = NODE_W / 2 + pad;
  const hh = NODE_H / 2 + pad;
  const s = Math.min(dx === 0 ? Infinity : hw / Math.abs(dx), dy === 0 ? Infinity : hh / Math.abs(dy));
  return [cx + dx * s, cy + dy * s];
}

/** Cycle nodes first, in cycle order, then the others: they go round a circle in that order. */
function layout(graph) {
  const n = graph.nodes.length;
  const order = [...graph.cycle.filter((i) => i >= 0 && i < n)];
  for (let i = 0; i < n; i++) if (!order.includes(i)) order.push(i);
  const pos = new Array(n);
  if (n === 1) {
    pos[order[0]] = [W / 2, H / 2];
    return pos;
  }
  const rx = W / 2 - NODE_W / 2 - 12;
  const ry = H / 2 - NODE_H / 2 - 16;
  order.forEach((node, k) => {
    const a = -Math.PI / 2 + (2 * Math.PI * k) / n + (n === 2 ? Math.PI / 2 : 0);
    pos[node] = [W / 2 + rx * Math.cos(a), H / 2 + ry * Math.sin(a)];
  });
  return pos;
}

/**
 * Collapses identical waiters: threads off the cycle that nobody waits on, asleep on the same
 * wmesg in the same kernel function and waiting on the same threads, become one node
 * ("writer0 … writer7 (8)") with one arrow to each thread they wait on.
 * @param {{nodes: Array, edges: Array, cycle: number[]}} graph
 */
export function collapse(graph) {
  const n = graph.nodes.length;
  const onCycle = new Set(graph.cycle);
  const waitedOn = new Set(graph.edges.map((e) => e.to));
  const targets = (i) =>
    graph.edges
      .filter((e) => e.from === i)
      .map((e) => e.to)
      .sort((a, b) => a - b)
      .join(',');
  const groupOf = new Array(n);
  const groups = []; // [{key, members: [i]}]
  for (let i = 0; i < n; i++) {
    const node = graph.nodes[i];
    const alone = onCycle.has(i) || waitedOn.has(i);
    const key = alone ? `#${i}` : `${node.wmesg}|${node.path || ''}|${node.timed}|${targets(i)}`;
    let g = groups.findIndex((x) => x.key === key);
    if (g < 0) {
      groups.push({ key, members: [] });
      g = groups.length - 1;
    }
    groups[g].members.push(i);
    groupOf[i] = g;
  }
  if (groups.length === n) return graph;
  const label = (members) => {
    const names = members.map((i) => graph.nodes[i].thread);
    if (names.length === 1) return names[0];
    // writer0, writer1, … writer7 → "writer0–7 (8)"
    const parts = names.map((x) => /^(.*?)(\d+)$/.exec(x));
    const prefix = parts[0] && parts[0][1];
    if (parts.every((m) => m && m[1] === prefix)) {
      return `${prefix}${parts[0][2]}–${parts[parts.length - 1][2]} (${names.length})`;
    }
    return `${names[0]} … ${names[names.length - 1]} (${names.length})`;
  };
  const nodes = groups.map((g) => ({ ...graph.nodes[g.members[0]], thread: label(g.members), count: g.members.length }));
  const seen = new Set();
  const edges = [];
  for (const e of graph.edges) {
    const from = groupOf[e.from];
    const to = groupOf[e.to];
    if (seen.has(`${from}>${to}`)) continue;
    seen.add(`${from}>${to}`);
    const first = graph.nodes[e.from].thread;
    const why = groups[from].members.length > 1 ? e.why.split(first).join(nodes[from].thread) : e.why;
    edges.push({ from, to, why });
  }
  const cycle = graph.cycle.map((i) => groupOf[i]);
  return { nodes, edges, cycle };
}

/** Edges (as "from→to") that lie on the cycle. */
function cycleEdges(cycle) {
  const set = new Set();
  for (let i = 0; i < cycle.length; i++) set.add(`${cycle[i]}>${cycle[(i + 1) % cycle.length]}`);
  return set;
}

export class HangView {
  /**
   * @param {HTMLElement} section  shown only when there is a graph
   * @param {HTMLElement} figure  where the SVG goes
   * @param {HTMLOListElement} list  the edge explanations
   * @param {HTMLElement} cycleText  one line naming the cycle
   */
  constructor(section, figure, list, cycleText) {
    this.section = section;
    this.figure = figure;
    this.list = list;
    this.cycleText = cycleText;
    this.graph = null;
    this.narrow = null;
    new ResizeObserver(() => {
      const narrow = this.isNarrow();
      if (this.graph && narrow !== this.narrow) this.show(this.graph, this.kind);
    }).observe(section);
  }

  isNarrow() {
    return (this.section.clientWidth || window.innerWidth) < 560;
  }

  clear() {
    this.graph = null;
    this.section.hidden = true;
    this.figure.replaceChildren();
    this.list.replaceChildren();
    this.cycleText.textContent = '';
  }

  /** @param {{nodes: Array, edges: Array, cycle: number[]}} graph */
  /** @param {string} [kind] the outcome kind: a starved run has waiters but no cycle */
  show(whole, kind = 'deadlock') {
    this.clear();
    if (!whole || !whole.nodes || whole.nodes.length === 0) return;
    this.graph = whole;
    this.kind = kind;
    const graph = collapse(whole);
    this.section.hidden = false;
    this.narrow = this.isNarrow();
    setSize(this.narrow);
    const nodes = graph.nodes;
    const edges = (graph.edges || []).filter(
      (e) => e.from >= 0 && e.from < nodes.length && e.to >= 0 && e.to < nodes.length,
    );
    const cycle = (graph.cycle || []).filter((i) => i >= 0 && i < nodes.length);
    const onCycle = cycleEdges(cycle);
    const pos = layout({ nodes, cycle });

    const where = (n) => (n.path ? `${n.wmesg} in ${n.path}` : n.wmesg);
    const names = cycle.map((i) => `${nodes[i].thread} (${where(nodes[i])})`);
    const cycleWords = cycle.length ? `${names.join(' → ')} → ${nodes[cycle[0]].thread}` : '';
    this.cycleText.textContent = cycle.length
      ? `Cycle: ${cycleWords}`
      : kind === 'starved'
        ? 'No cycle: these threads wait while the rest of the machine goes on.'
        : 'No cycle: every waiter retries on a timer, but nothing makes progress.';

    const svg = el('svg', {
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      class: 'waitgraph',
      'aria-labelledby': 'waitgraph-title',
    });
    const title = el('title', { id: 'waitgraph-title' });
    title.textContent = `Wait-for graph of ${whole.nodes.length} sleeping threads. ${cycleWords ? `Cycle: ${cycleWords}.` : ''}`;
    svg.append(title);
    const defs = el('defs');
    for (const [id, cls] of [
      ['arrow', 'arrowhead'],
      ['arrow-cycle', 'arrowhead cycle'],
    ]) {
      const m = el('marker', {
        id,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 8,
        markerHeight: 8,
        orient: 'auto-start-reverse',
      });
      m.append(el('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
      defs.append(m);
    }
    svg.append(defs);

    const pairs = new Set(edges.map((e) => `${e.from}>${e.to}`));
    const gEdges = el('g', { class: 'edges' });
    edges.forEach((e, k) => {
      const [x1, y1] = pos[e.from];
      const [x2, y2] = pos[e.to];
      const cyc = onCycle.has(`${e.from}>${e.to}`);
      // Two threads waiting on each other: bend both arrows so they do not overlap.
      const bend = pairs.has(`${e.to}>${e.from}`) ? 36 : 0;
      const mx = (x1 + x2) / 2;
      const my = (y1 + y2) / 2;
      const len = Math.hypot(x2 - x1, y2 - y1) || 1;
      const nx = -(y2 - y1) / len;
      const ny = (x2 - x1) / len;
      const cx = mx + nx * bend;
      const cy = my + ny * bend;
      const [sx, sy] = boxExit(x1, y1, cx, cy);
      const [tx, ty] = boxExit(x2, y2, cx, cy);
      const g = el('g', { class: `edge${cyc ? ' cycle' : ''}`, 'data-from': e.from, 'data-to': e.to });
      g.append(
        el('path', {
          d: `M${sx.toFixed(1)},${sy.toFixed(1)} Q${cx.toFixed(1)},${cy.toFixed(1)} ${tx.toFixed(1)},${ty.toFixed(1)}`,
          'marker-end': `url(#${cyc ? 'arrow-cycle' : 'arrow'})`,
        }),
      );
      // Edge number, matching the list beside the graph.
      const lx = 0.25 * sx + 0.5 * cx + 0.25 * tx;
      const ly = 0.25 * sy + 0.5 * cy + 0.25 * ty;
      g.append(el('circle', { cx: lx.toFixed(1), cy: ly.toFixed(1), r: 10, class: 'edge-badge' }));
      const num = el('text', { x: lx.toFixed(1), y: (ly + 4).toFixed(1), class: 'edge-num' });
      num.textContent = String(k + 1);
      g.append(num);
      gEdges.append(g);
    });
    svg.append(gEdges);

    const cycleNodes = new Set(cycle);
    const gNodes = el('g', { class: 'nodes' });
    nodes.forEach((n, i) => {
      const [x, y] = pos[i];
      const g = el('g', { class: `node${cycleNodes.has(i) ? ' cycle' : ''}`, 'data-thread': n.thread });
      g.append(
        el('rect', {
          x: (x - NODE_W / 2).toFixed(1),
          y: (y - NODE_H / 2).toFixed(1),
          width: NODE_W,
          height: NODE_H,
          rx: 8,
        }),
      );
      const name = el('text', { x: x.toFixed(1), y: (y - 5).toFixed(1), class: 'node-name' });
      name.textContent = n.thread;
      const w = el('text', { x: x.toFixed(1), y: (y + 14).toFixed(1), class: 'node-wmesg' });
      w.textContent = `"${n.wmesg}" ${n.timed ? 'timed' : 'forever'}`;
      const tip = el('title');
      tip.textContent = `${n.thread} sleeps in ${n.wmesg}; waits for ${n.waitsFor}`;
      g.append(tip, name, w);
      gNodes.append(g);
    });
    svg.append(gNodes);
    this.figure.append(svg);

    for (const [k, e] of edges.entries()) {
      const li = document.createElement('li');
      if (onCycle.has(`${e.from}>${e.to}`)) li.className = 'cycle';
      const head = document.createElement('strong');
      head.textContent = `${k + 1}. ${nodes[e.from].thread} → ${nodes[e.to].thread}`;
      const why = document.createElement('span');
      why.textContent = `: ${e.why}`;
      li.append(head, why);
      this.list.append(li);
    }
    for (const n of nodes) {
      if (!n.waitsFor) continue;
      const li = document.createElement('li');
      li.className = 'waits';
      const head = document.createElement('strong');
      head.textContent = `${n.thread} (${n.wmesg})`;
      const why = document.createElement('span');
      why.textContent = ` waits for ${n.waitsFor}`;
      li.append(head, why);
      this.list.append(li);
    }
    this.section.hidden = false;
  }
}
