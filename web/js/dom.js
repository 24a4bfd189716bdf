// DOM helpers. Text always goes in as text (textContent), never as HTML.
export function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k);
  return e;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// Fills a <select> with [value, label] pairs, keeping the chosen value while it is offered.
export function options(sel, list) {
  const keep = sel.value;
  sel.replaceChildren(...list.map(([v, label]) => h('option', { value: v, text: label })));
  if (list.some(([v]) => v === keep)) sel.value = keep;
}

// Replaces the children of `box`, keeping the keyboard focus on the element with the same
// data-key (re-rendering must not throw a keyboard user back to the top of the page). When
// that element is gone (a "Remove vote" button after the last vote), the focus goes to the
// one that names its key in `data-also` (the card's "Vote" button).
// When neither is left (a deleted card), it goes to the region it was in (`data-home`,
// focusable with tabindex=-1: the card's column).
export function fill(box, ...kids) {
  const active = document.activeElement;
  const inside = active && box.contains(active);
  const key = inside ? active.dataset.key : null;
  const region = inside && active.closest('[data-home]');
  const home = region ? region.dataset.home : null;
  box.replaceChildren(...kids.flat().filter(Boolean));
  if (key) {
    const k = CSS.escape(key);
    const again = box.querySelector(`[data-key="${k}"]`) || box.querySelector(`[data-also~="${k}"]`)
      || (home && box.querySelector(`[data-home="${CSS.escape(home)}"]`));
    if (again) again.focus();
  }
}

// Says something in a live region (screen readers announce it) and shows it.
export function say(region, text) {
  const el = typeof region === 'string' ? $(region) : region;
  if (!el) return;
  el.textContent = '';
  setTimeout(() => { el.textContent = text; }, 30);
}

export function uid() {
  return crypto.randomUUID ? crypto.randomUUID()
    : Date.now().toString(36) + Math.random().toString(36).slice(2);
}
