// Charts as inline SVG, no framework: a list of horizontal bars, one per item, each with its
// name and value as text (screen readers read the list; the bars are decoration). Used by
// the projector (votes per card, each conclusion's support by room and by country) and the
// facilitator's consolidation; src/export/html.rs draws the same bars in the HTML export.
import { h } from './dom.js';

// The SVG namespace is a name, not an address (nothing is fetched from it).
const NS = ['http:', '', 'www.w3.org', '2000', 'svg'].join('/');

function svg(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// One bar, `value` of `max`, as wide as its row allows.
export function bar(value, max, tone = '') {
  const s = svg('svg', { class: `chart-bar ${tone}`.trim(), viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' });
  s.append(svg('rect', { class: 'track', x: 0, y: 0, width: 100, height: 10, rx: 2 }));
  const w = max > 0 ? Math.max(value > 0 ? 1.5 : 0, (100 * value) / max) : 0;
  s.append(svg('rect', { class: 'fill', x: 0, y: 0, width: w.toFixed(2), height: 10, rx: 2 }));
  return s;
}

// items: [{ name, value, label? }] (label: the value as shown, default the number).
// o: { caption, tone, max }. Returns a <figure>, or null when there is nothing to draw.
export function barChart(items, o = {}) {
  if (!items.length) return null;
  const max = o.max || Math.max(1, ...items.map((x) => x.value));
  return h('figure', { class: 'chart' },
    o.caption ? h('figcaption', { text: o.caption }) : null,
    h('ul', { class: 'bars' }, items.map((x) => h('li', {},
      h('span', { class: 'bar-name', text: x.name }),
      bar(x.value, max, o.tone),
      h('span', { class: 'bar-value', text: x.label === undefined ? String(x.value) : x.label })))));
}
