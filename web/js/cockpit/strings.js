// The cockpit's own strings (facilitator cockpit, projector): web/i18n/<lang>.cockpit.json,
// loaded beside the page's main translations and reloaded when the language changes.
// `ct(key, vars)` reads them; `[data-ct]` elements get their text from them.
import { current, onChange, pluralForm } from '../i18n.js';

let dict = {};
let loaded = null;
const listeners = [];

export async function loadCockpit(lang = current()) {
  if (loaded === lang) return;
  const r = await fetch(`/static/i18n/${lang}.cockpit.json`);
  dict = await r.json();
  loaded = lang;
  applyCockpit(document);
  for (const f of listeners) f(lang);
}

// The languages of the page's and the cockpit's strings now: part of every kept entry's
// signature (cockpit/keyed.js), so that both are drawn again when either arrives.
export const drawnIn = () => `${current()}/${loaded}`;

// Called when the cockpit's strings are in (first load and each language change).
export const onCockpit = (f) => listeners.push(f);

onChange((l) => { loadCockpit(l); });

export function ct(key, vars) {
  let s = dict[key];
  if (s === undefined) return key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
  return s;
}

// A counted string: `key.one` or `key.other` by the language's plural rules (those of
// i18n.js: "0 votos" in Portuguese, as on the delegate's board), with {n}.
export function ctn(key, n, vars) {
  const form = `${key}.${pluralForm(loaded || 'en', n)}`;
  return ct(dict[form] === undefined ? `${key}.other` : form, { ...vars, n });
}

export function applyCockpit(root) {
  for (const e of root.querySelectorAll('[data-ct]')) e.textContent = ct(e.dataset.ct);
  for (const e of root.querySelectorAll('[data-ct-label]')) e.setAttribute('aria-label', ct(e.dataset.ctLabel));
  const title = document.querySelector('title[data-ct]');
  if (title) document.title = ct(title.dataset.ct);
}

// The server's built-in columns and themes with their English titles: one whose title is
// still the built-in one is shown in the reader's language; a typed title as typed.
const BUILT_IN = {
  column: { strengths: 'Strengths', problems: 'Main problems', solutions: 'Possible solutions' },
  theme: { governance: 'Governance of digital government', data: 'Data-driven public sector',
    capabilities: 'Public sector capabilities', innovation: 'Digital innovation',
    services: 'Design and delivery of public services', divide: 'Digital divide' },
};

// The title of the workshop's column or theme `key` (the key itself when there is none).
export function titleIn(m, kind, key) {
  const x = (kind === 'column' ? m.s.workshop.columns : m.s.workshop.themes).find((y) => y.key === key);
  return x ? labelTitle(kind, { ...x, default: BUILT_IN[kind][x.key] === x.title }) : key;
}

// A column's or theme's title from the projector view (`default` set by the server).
export function labelTitle(kind, x) {
  if (!x) return '';
  const key = `${kind}.${x.key}`;
  return x.default && dict[key] !== undefined ? dict[key] : x.title;
}
