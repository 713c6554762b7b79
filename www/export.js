// Taking a run out of the lab: the export panel (the samples as CSV and JSON, the console as
// text, raw and as /var/log/messages, the threads and the outcome with its wait-for graph as JSON,
// the run's Markdown report, each chart and the wait-for graph as PNG and SVG), the <iframe>
// snippet of the embed view, and the embed view itself (`?embed`: the charts, the console and a
// play/seek bar, sized for a slide or a blog post).
//
// The data files and the report are written by the engine in the worker (core/src/export.rs,
// core/src/report.rs), named after the scenario; this module only saves them. The pictures are
// the charts and the graph the page has drawn, from the engine's samples and outcome.

import { REQ } from './protocol.js';
import { copyText } from './linkstate.js';

/** The embed view's size, for the snippet: a 16:9 slot of a slide or a blog column. */
export const EMBED_SIZE = Object.freeze({ width: 640, height: 360 });

/** Whether the page is the embed view (`?embed` in the address). */
export function isEmbed(search = location.search) {
  return new URLSearchParams(search).has('embed');
}

// The embed view is a class on <html>: style.css hides the form and the rest. The charts then
// scroll inside their panel, which the keyboard can reach.
if (typeof document !== 'undefined' && isEmbed()) {
  document.documentElement.classList.add('embed');
  document.querySelector('section[aria-labelledby="charts-title"]')?.setAttribute('tabindex', '0');
}

/** The fingerprint keys of a link (`ev=…&eo=…&eh=…`, as given), or '' when it has none. */
export function fingerprintKeys(fragment) {
  return String(fragment)
    .replace(/^#/, '')
    .split('&')
    .filter((kv) => /^(ev|eo|eh)=/.test(kv.trim()))
    .join('&');
}

/**
 * The <iframe> snippet of a run's embed view: the page at `?embed` with the run's link.
 * @param {string} url the page's URL with the link in its fragment
 */
export function embedSnippet(url) {
  const u = new URL(url);
  u.search = '?embed';
  const attr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return (
    `<iframe src="${attr(u.href)}" width="${EMBED_SIZE.width}" height="${EMBED_SIZE.height}" ` +
    `title="Pageout Lab: a run of the DragonFly BSD 2008 HAMMER lockup" ` +
    `style="border: 0" loading="lazy"></iframe>`
  );
}

/** Saves a Blob as a download named `name`. */
export function download(name, blob) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 30_000);
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** A uPlot series' colour as drawn. */
function strokeOf(plot, i) {
  const s = plot.series[i];
  return typeof s.stroke === 'function' ? s.stroke(plot, i) : s.stroke;
}

/** What a chart shows: its caption and the legend's series (label, colour, dash). */
function chartParts(plot) {
  const fig = plot.root.closest('figure');
  const title = fig?.querySelector('figcaption')?.textContent ?? '';
  const series = plot.series
    .map((s, i) => ({ i, label: s.label, color: strokeOf(plot, i), dash: s.dash || [], show: s.show !== false }))
    .slice(1)
    .filter((s) => s.show);
  return { id: fig?.id || 'chart', title, series };
}

/** Lays legend entries out in rows within `width`; each entry is a swatch and a label. */
function legendRows(labels, width, measure, swatch, gap) {
  const rows = [[]];
  let x = 0;
  for (const label of labels) {
    const w = swatch + 6 + measure(label) + gap;
    if (x > 0 && x + w > width) {
      rows.push([]);
      x = 0;
    }
    rows[rows.length - 1].push({ label, x });
    x += w;
  }
  return rows;
}

/**
 * A chart as a PNG: its caption, the plot as uPlot drew it (axes, thresholds, key moments,
 * the marker) on the theme's panel colour, and its legend.
 */
export function chartPng(plot) {
  const src = plot.ctx.canvas;
  const px = src.width / plot.width || 1;
  const { title, series } = chartParts(plot);
  const pad = 12 * px;
  const font = `${13 * px}px system-ui, sans-serif`;
  const scratch = document.createElement('canvas').getContext('2d');
  scratch.font = font;
  const rows = legendRows(series.map((s) => s.label), src.width, (t) => scratch.measureText(t).width, 18 * px, 14 * px);
  const titleH = 26 * px;
  const rowH = 20 * px;
  const canvas = document.createElement('canvas');
  canvas.width = src.width + 2 * pad;
  canvas.height = titleH + src.height + rows.length * rowH + 2 * pad;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = cssVar('--panel') || '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = cssVar('--fg') || '#000';
  ctx.font = `600 ${14 * px}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.fillText(title, pad, pad + titleH / 2);
  ctx.drawImage(src, pad, pad + titleH);
  ctx.font = font;
  let k = 0;
  rows.forEach((row, r) => {
    const y = pad + titleH + src.height + r * rowH + rowH / 2;
    for (const item of row) {
      const s = series[k++];
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 2 * px;
      ctx.setLineDash(s.dash.map((d) => d * px));
      ctx.beginPath();
      ctx.moveTo(pad + item.x, y);
      ctx.lineTo(pad + item.x + 18 * px, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = cssVar('--fg') || '#000';
      ctx.fillText(item.label, pad + item.x + 24 * px, y);
    }
  });
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the chart could not be drawn as PNG'))), 'image/png'),
  );
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A chart as SVG: its caption, the grid and the axes with uPlot's own ticks, every series as a
 * path over the samples the chart holds (the x window it shows), and its legend.
 */
export function chartSvg(plot) {
  const px = plot.ctx.canvas.width / plot.width || 1;
  const { title, series } = chartParts(plot);
  const b = plot.bbox;
  const L = b.left / px;
  const T = b.top / px;
  const W = b.width / px;
  const H = b.height / px;
  const titleH = 26;
  const fg = cssVar('--fg') || '#000';
  const axis = cssVar('--chart-axis') || '#555';
  const grid = cssVar('--chart-grid') || '#ddd';
  const rows = legendRows(series.map((s) => s.label), plot.width, (t) => t.length * 7, 18, 14);
  const width = plot.width + 24;
  const height = titleH + plot.height + rows.length * 20 + 24;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="${esc(cssVar('--panel') || '#fff')}"/>`,
    `<text x="12" y="${12 + titleH / 2}" dominant-baseline="middle" font-size="14" font-weight="600" fill="${esc(fg)}">${esc(title)}</text>`,
    `<g transform="translate(12 ${12 + titleH})">`,
    `<clipPath id="plot-area"><rect x="${L}" y="${T}" width="${W}" height="${H}"/></clipPath>`,
  );
  // the axes as uPlot laid them out (its ticks and their labels)
  const [ax, ay] = plot.axes;
  const xs = (ax._splits || []).map((v, i) => ({ v, text: (ax._values || [])[i] }));
  const ys = (ay._splits || []).map((v, i) => ({ v, text: (ay._values || [])[i] }));
  for (const { v, text } of xs) {
    const x = L + plot.valToPos(v, 'x');
    if (!(x >= L - 0.5 && x <= L + W + 0.5)) continue;
    out.push(`<line x1="${x.toFixed(1)}" y1="${T}" x2="${x.toFixed(1)}" y2="${T + H}" stroke="${esc(grid)}"/>`);
    if (text != null) out.push(`<text x="${x.toFixed(1)}" y="${T + H + 16}" text-anchor="middle" fill="${esc(axis)}">${esc(text)}</text>`);
  }
  const yScale = plot.series[1]?.scale || 'y';
  for (const { v, text } of ys) {
    const y = T + plot.valToPos(v, yScale);
    if (!(y >= T - 0.5 && y <= T + H + 0.5)) continue;
    out.push(`<line x1="${L}" y1="${y.toFixed(1)}" x2="${L + W}" y2="${y.toFixed(1)}" stroke="${esc(grid)}"/>`);
    if (text != null && text !== '') out.push(`<text x="${L - 6}" y="${y.toFixed(1)}" text-anchor="end" dominant-baseline="middle" fill="${esc(axis)}">${esc(text)}</text>`);
  }
  if (ay.label) {
    out.push(`<text transform="translate(12 ${T + H / 2}) rotate(-90)" text-anchor="middle" fill="${esc(axis)}">${esc(ay.label)}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${W}" height="${H}" fill="none" stroke="${esc(grid)}"/>`);
  // every series over the samples: one point per x pixel column at most (the first there)
  const xv = plot.data[0];
  out.push('<g clip-path="url(#plot-area)" fill="none" stroke-linejoin="round">');
  for (const s of series) {
    const yv = plot.data[s.i];
    const scale = plot.series[s.i].scale || 'y';
    let d = '';
    let pen = false;
    let lastX = null;
    for (let k = 0; k < xv.length; k++) {
      const v = yv[k];
      if (v == null || xv[k] == null) {
        pen = false;
        continue;
      }
      const x = L + plot.valToPos(xv[k], 'x');
      const y = T + plot.valToPos(v, scale);
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const rx = Math.round(x * 10) / 10;
      if (pen && rx === lastX && k < xv.length - 1) continue;
      d += `${pen ? 'L' : 'M'}${rx} ${(Math.round(y * 10) / 10)}`;
      pen = true;
      lastX = rx;
    }
    const width = plot.series[s.i].width || 1.5;
    const dash = s.dash.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
    if (d) out.push(`<path d="${d}" stroke="${esc(s.color)}" stroke-width="${width}"${dash}><title>${esc(s.label)}</title></path>`);
  }
  out.push('</g></g>');
  let k = 0;
  rows.forEach((row, r) => {
    const y = 12 + titleH + plot.height + r * 20 + 10;
    for (const item of row) {
      const s = series[k++];
      const dash = s.dash.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
      out.push(
        `<line x1="${12 + item.x}" y1="${y}" x2="${30 + item.x}" y2="${y}" stroke="${esc(s.color)}" stroke-width="2"${dash}/>`,
        `<text x="${36 + item.x}" y="${y}" dominant-baseline="middle" fill="${esc(fg)}">${esc(s.label)}</text>`,
      );
    }
  });
  out.push('</svg>');
  return out.join('\n');
}

/** The SVG properties the wait-for graph takes from style.css, written into the copy. */
const GRAPH_STYLE = ['fill', 'stroke', 'stroke-width', 'font-family', 'font-size', 'font-weight', 'text-anchor'];

/** The wait-for graph the page draws, as a standalone SVG: its styles inlined, on the panel colour. */
export function graphSvg(svg) {
  const copy = svg.cloneNode(true);
  const from = [svg, ...svg.querySelectorAll('*')];
  const to = [copy, ...copy.querySelectorAll('*')];
  from.forEach((el, i) => {
    const cs = getComputedStyle(el);
    const style = GRAPH_STYLE.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(';');
    to[i].setAttribute('style', style);
  });
  const [, , w, h] = (svg.getAttribute('viewBox') || '0 0 640 420').split(/\s+/).map(Number);
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(w));
  copy.setAttribute('height', String(h));
  copy.removeAttribute('class');
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', cssVar('--panel') || '#fff');
  copy.insertBefore(bg, copy.querySelector('defs')?.nextSibling ?? copy.firstChild);
  return new XMLSerializer().serializeToString(copy);
}

/** An SVG drawn into a PNG at `scale` times its size. */
export async function svgToPng(svgText, scale = 2) {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(img.naturalWidth * scale);
    canvas.height = Math.round(img.naturalHeight * scale);
    canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the graph could not be drawn as PNG'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The export panel. */
export class ExportPanel {
  /**
   * @param {{
   *   engine: import('./protocol.js').EngineClient,
   *   charts: {plots: Array<any>},
   *   graph: HTMLElement,
   *   scenario: () => object,
   *   shareUrl: () => Promise<string>,
   * }} deps  `graph`: where the wait-for graph's SVG is drawn; `shareUrl`: the run's link as
   *   Share gives it (with its fingerprint once the run has an outcome)
   */
  constructor(deps) {
    this.deps = deps;
    const $ = (id) => document.getElementById(id);
    this.section = $('export');
    this.toggle = $('export-open');
    this.status = $('export-status');
    this.reportFallback = $('report-fallback');
    this.snippet = $('embed-snippet');
    this.chartList = $('export-charts');
    this.graphButtons = [...this.section.querySelectorAll('[data-graph]')];
    this.toggle.addEventListener('click', () => (this.section.hidden ? this.open() : this.close()));
    $('export-close').addEventListener('click', () => this.close());
    for (const b of this.section.querySelectorAll('[data-export]')) {
      b.addEventListener('click', () => this.run(() => this.saveFile(b.dataset.export)));
    }
    for (const b of this.graphButtons) {
      b.addEventListener('click', () => this.run(() => this.saveGraph(b.dataset.graph)));
    }
    $('report-copy').addEventListener('click', () => this.run(() => this.copyReport()));
    $('embed-copy').addEventListener('click', () => this.run(() => this.copySnippet()));
  }

  /** Opens the panel; `at` 'embed' puts the focus on the embed snippet. */
  async open(at = '') {
    this.section.hidden = false;
    this.toggle.setAttribute('aria-expanded', 'true');
    this.reportFallback.hidden = true;
    this.say('');
    this.listCharts();
    this.graphButtons.forEach((b) => {
      b.disabled = !this.deps.graph.querySelector('svg');
    });
    this.snippet.value = embedSnippet(await this.deps.shareUrl());
    if (at === 'embed') {
      this.snippet.focus();
      this.snippet.select();
    } else {
      this.section.querySelector('button').focus();
    }
  }

  close() {
    this.section.hidden = true;
    this.toggle.setAttribute('aria-expanded', 'false');
    this.toggle.focus();
  }

  /** One PNG and one SVG button per chart on the page. */
  listCharts() {
    this.chartList.replaceChildren();
    for (const plot of this.deps.charts.plots) {
      const { id, title } = chartParts(plot);
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = title;
      li.append(name);
      for (const kind of ['png', 'svg']) {
        const b = document.createElement('button');
        b.type = 'button';
        b.dataset.chart = id;
        b.textContent = kind.toUpperCase();
        b.setAttribute('aria-label', `${title}, as ${kind.toUpperCase()}`);
        b.addEventListener('click', () => this.run(() => this.saveChart(plot, id, kind)));
        li.append(' ', b);
      }
      this.chartList.append(li);
    }
  }

  say(text) {
    this.status.textContent = text;
  }

  /** Runs one action, saying what went wrong if it did. */
  async run(action) {
    try {
      await action();
    } catch (e) {
      this.say(`Could not export: ${e && e.message ? e.message : e}`);
    }
  }

  pageUrl() {
    return `${location.origin}${location.pathname}`;
  }

  async stem() {
    return this.deps.engine.request(REQ.FILE_STEM, { scenario: this.deps.scenario() });
  }

  /** A file the engine writes (data or report), saved as it names it. */
  async saveFile(kind) {
    const f = await this.deps.engine.request(REQ.EXPORT, { kind, pageUrl: this.pageUrl() });
    download(f.name, new Blob([f.text], { type: `${f.mime};charset=utf-8` }));
    this.say(`Saved ${f.name}`);
  }

  async saveChart(plot, id, kind) {
    const name = `${await this.stem()}-${id}.${kind}`;
    const blob = kind === 'png' ? await chartPng(plot) : new Blob([chartSvg(plot)], { type: 'image/svg+xml' });
    download(name, blob);
    this.say(`Saved ${name}`);
  }

  async saveGraph(kind) {
    const svg = this.deps.graph.querySelector('svg');
    if (!svg) throw new Error('the run has no wait-for graph');
    const text = graphSvg(svg);
    const name = `${await this.stem()}-waitfor.${kind}`;
    download(name, kind === 'png' ? await svgToPng(text) : new Blob([text], { type: 'image/svg+xml' }));
    this.say(`Saved ${name}`);
  }

  /** The run's report to the clipboard, or into a text area to copy by hand. */
  async copyReport() {
    const f = await this.deps.engine.request(REQ.EXPORT, { kind: 'report', pageUrl: this.pageUrl() });
    this.reportFallback.value = f.text;
    if (await copyText(f.text)) {
      this.reportFallback.hidden = true;
      this.say('Report copied (Markdown)');
    } else {
      this.reportFallback.hidden = false;
      this.reportFallback.select();
      this.say('Copy the report below');
    }
  }

  async copySnippet() {
    this.snippet.value = embedSnippet(await this.deps.shareUrl());
    if (await copyText(this.snippet.value)) this.say('Embed snippet copied');
    else {
      this.snippet.select();
      this.say('Copy the snippet above');
    }
  }
}
