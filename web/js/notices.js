// Notices: a stack of boxes under the page header (#notices), each of a kind — info (neutral
// news), warning, error, broadcast (from the staff, with sender and time) — with a close
// button. A notice with a `key` replaces the one with the same key; `ttl` (ms) makes it go
// by itself; the page removes one that stopped being true with `dismiss(key)` or
// `dismissWhere`. Text is given as a function so that it is said again in a new language.
import { h } from './dom.js';
import { t, onChange } from './i18n.js';
import { icon } from './icons.js';

const ICON = { info: 'info', warning: 'warning', error: 'error', broadcast: 'broadcast' };
const live = new Map(); // key -> { box, o, timer }
let counter = 0;

const stack = () => document.getElementById('notices');

function draw(entry) {
  const { o } = entry;
  const text = typeof o.text === 'function' ? o.text() : o.text;
  const when = o.when ? (typeof o.when === 'function' ? o.when() : o.when) : null;
  const body = h('p', { class: 'body' }, h('span', { class: 'text', text }), when ? h('span', { class: 'when', text: when }) : null);
  const close = h('button', { type: 'button', class: 'close', 'aria-label': t('notice.close'), title: t('notice.close'),
    onclick: () => dismiss(entry.key, true) }, icon('close'));
  entry.box.replaceChildren(icon(ICON[o.kind] || 'info'), body, close);
}

// Shows a notice; returns its key. o: { kind, text, key?, ttl?, when?, onClose? }
export function notify(o) {
  const box0 = stack();
  if (!box0) return null;
  const key = o.key || `n${++counter}`;
  let entry = live.get(key);
  const kind = o.kind || 'info';
  if (!entry) {
    // Errors interrupt (role=alert); the rest are read politely (role=status).
    const box = h('div', { class: `notice ${kind}`, 'data-notice': key, role: kind === 'error' ? 'alert' : 'status' });
    entry = { key, box, o, timer: null };
    live.set(key, entry);
    if (kind === 'broadcast') box0.prepend(box); else box0.append(box);
  } else {
    entry.box.className = `notice ${kind}`;
    entry.o = o;
    clearTimeout(entry.timer);
  }
  draw(entry);
  if (o.ttl) entry.timer = setTimeout(() => dismiss(key), o.ttl);
  return key;
}

// Removes the notice `key`; `byUser` when its close button was pressed (focus then goes to
// the next notice's close button, or to the main content).
export function dismiss(key, byUser = false) {
  const entry = live.get(key);
  if (!entry) return;
  live.delete(key);
  clearTimeout(entry.timer);
  const next = entry.box.nextElementSibling || entry.box.previousElementSibling;
  entry.box.remove();
  if (entry.o.onClose && byUser) entry.o.onClose();
  if (byUser) {
    const target = next ? next.querySelector('.close') : document.getElementById('main');
    if (target) { if (!next) target.setAttribute('tabindex', '-1'); target.focus(); }
  }
}

export function dismissWhere(test) {
  for (const [key, entry] of [...live]) if (test(entry.o, key)) dismiss(key);
}

export const shown = (key) => live.has(key);

onChange(() => { for (const entry of live.values()) draw(entry); });
