// Keyed, element-level DOM updates for the cockpit: with 500 delegates and 2,000 cards an
// event must change the few elements it touches and leave the rest of the page as it is
// (replacing a whole list, even with the same elements, makes the browser lay it all out
// again). Each entry is built once and kept with a signature of what it shows; it is built
// again only when that signature changes.
import { options } from '../dom.js';

// A cache of built entries: `get(key, sig, build)` returns the entry kept for `key` while
// its `sig` is the same, else builds it anew.
export class Kept {
  constructor() { this.map = new Map(); }
  get(key, sig, build) {
    const kept = this.map.get(key);
    if (kept && kept.sig === sig) return kept.el;
    const el = build();
    this.map.set(key, { sig, el });
    return el;
  }
  forget(key) { this.map.delete(key); }
  // Drops the entries not in `keys` (removed people, deleted cards).
  keep(keys) { for (const k of this.map.keys()) if (!keys.has(k)) this.map.delete(k); }
}

// Puts `kids` (elements) in `box` in this order: what is not among them is removed, what is
// not in its place is inserted there; what already is stays untouched.
export function place(box, kids) {
  const wanted = new Set(kids);
  for (const c of [...box.children]) if (!wanted.has(c)) c.remove();
  let at = box.firstElementChild;
  for (const k of kids) {
    if (k === at) { at = at.nextElementSibling; continue; }
    box.insertBefore(k, at);
  }
}

// Sets an element's class or text only when it changes (an unchanged value is not written:
// the browser has nothing to recompute).
export function setClass(el, value) { if (el.className !== value) el.className = value; }
export function setText(el, value) { if (el.textContent !== value) el.textContent = value; }

// Fills a <select> like dom.js `options`, only when its list changed.
const lists = new WeakMap();
export function setOptions(sel, list) {
  const sig = list.map(([v, label]) => `${v}\u0001${label}`).join('\u0002');
  if (lists.get(sel) === sig) return;
  lists.set(sel, sig);
  options(sel, list);
}

// Runs `update` (which may replace elements inside `box`) and keeps the keyboard focus: when
// the focused element was replaced, the focus goes to the new one with the same data-key, or
// to the one that names that key in data-also (see dom.js `fill`).
export function keepFocus(box, update) {
  const active = document.activeElement;
  const key = active && box.contains(active) ? active.dataset.key : null;
  update();
  if (!key || active.isConnected) return;
  const k = CSS.escape(key);
  const again = box.querySelector(`[data-key="${k}"]`) || box.querySelector(`[data-also~="${k}"]`);
  if (again) again.focus();
}
