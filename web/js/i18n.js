// Translations: web/i18n/<lang>.json. Every visible string comes from there.
export const LANGS = ['en', 'es', 'pt'];
let dict = {};
let lang = 'en';
const listeners = [];

// The address's `lang` and a language the reader chose (the header's menu, the join form)
// win over the one a page asks for (a session's), so that a choice survives a reload.
export function pick(wanted) {
  for (const l of [new URLSearchParams(location.search).get('lang'), localStorage.getItem('cabildo.lang.chosen'), wanted, localStorage.getItem('cabildo.lang'),
    ...(navigator.languages || [navigator.language])]) {
    const short = (l || '').slice(0, 2).toLowerCase();
    if (LANGS.includes(short)) return short;
  }
  return 'en';
}

export async function load(wanted) {
  const l = pick(wanted);
  // Beside this module: under the page's versioned address when it has one (preloaded).
  const r = await fetch(new URL(`../i18n/${l}.json`, import.meta.url));
  dict = await r.json();
  lang = l;
  localStorage.setItem('cabildo.lang', l);
  document.documentElement.lang = l;
  apply(document);
  for (const f of listeners) f(l);
  return l;
}

// The reader chose `l`: kept for every page and put in the address (the server then
// preloads that translation with the page).
export function choose(l) {
  localStorage.setItem('cabildo.lang.chosen', l);
  const url = new URL(location.href);
  url.searchParams.set('lang', l);
  history.replaceState(history.state, '', url);
  return load(l);
}

export const current = () => lang;
export const onChange = (f) => listeners.push(f);

export function t(key, vars) {
  let s = dict[key];
  if (s === undefined) return key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
  return s;
}

// The plural form of n in a language (`one`, `other`…), the same on every page.
// Portuguese counts as in Portugal: "0 votos" (Brazil's rules give "0 voto").
const RULES = { pt: 'pt-PT' };
export const pluralForm = (language, n) => new Intl.PluralRules(RULES[language] || language).select(n);

// A counted string: `key.one`, `key.other` (or another form of the language's plural rules,
// falling back to `key.other`), with {n} = n.
export function tn(key, n, vars) {
  const form = `${key}.${pluralForm(lang, n)}`;
  return t(dict[form] === undefined ? `${key}.other` : form, { ...vars, n });
}

// An error frame or body, in the reader's language.
export function errorText(code) {
  return t(`error.${code}`) === `error.${code}` ? t('error.unknown') : t(`error.${code}`);
}

export function apply(root) {
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder);
  for (const e of root.querySelectorAll('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset.i18nLabel));
  const title = document.querySelector('title[data-i18n]');
  if (title) document.title = t(title.dataset.i18n);
}

// Wires a <select id="lang"> to switch language at any time.
export function switcher(select, onPick) {
  select.replaceChildren(...LANGS.map((l) => {
    const o = document.createElement('option');
    o.value = l; o.textContent = t(`lang.${l}`);
    return o;
  }));
  select.value = lang;
  select.addEventListener('change', async () => {
    await choose(select.value);
    if (onPick) onPick(select.value);
  });
  onChange(() => {
    for (const o of select.options) o.textContent = t(`lang.${o.value}`);
    select.value = lang;
  });
}
