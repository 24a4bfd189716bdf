// The review of the conclusions by delegations (docs/protocol/review.md), one light page:
// a delegate reads each conclusion with its supporting cards, rooms and countries, and
// answers for their country (endorse, endorse with a reservation, comment); staff open the
// review (deadline, who answers), see per conclusion which countries endorsed, reserved,
// commented or have not answered, reply to comments and revise texts, and close it.
// The review is read from GET /api/workshops/{id}/review and read again on each review
// event; answers go over the WebSocket. Strings: web/i18n/<lang>.review.json (`rv`).
import { $, h, fill, say } from './dom.js';
import { current, onChange } from './i18n.js';
import { start, confirmed, shownTitle } from './common.js';

const EVENTS = new Set(['review_opened', 'review_answered', 'review_replied', 'conclusion_revised', 'review_closed']);
let dict = {};
let loaded = null;
let data = null; // the review view; null while none is open; undefined until loaded
let missing = false;
const drafts = new Map(); // typed text by field key, kept across redraws

function rv(key, vars) {
  let s = dict[key];
  if (s === undefined) return key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
  return s;
}

async function strings() {
  if (loaded === current()) return;
  const r = await fetch(`/static/i18n/${current()}.review.json`);
  dict = await r.json();
  loaded = current();
  for (const e of document.querySelectorAll('[data-rv]')) e.textContent = rv(e.dataset.rv);
}

function countryName(code) {
  try { return new Intl.DisplayNames([current()], { type: 'region' }).of(code) || code; } catch { return code; }
}

const when = (ms) => new Date(ms).toLocaleString(current(), { dateStyle: 'medium', timeStyle: 'short' });

async function refresh(app) {
  const r = await fetch(`/api/workshops/${app.session.workshop}/review`, { headers: { Authorization: `Bearer ${app.session.token}` } });
  if (r.status === 404) { data = null; missing = true; } else if (r.ok) { data = await r.json(); missing = false; }
  render(app);
}

// A text field whose typing survives redraws.
function kept(tag, key, attrs) {
  const el = h(tag, { ...attrs, 'data-key': key });
  el.value = drafts.get(key) ?? attrs.value ?? '';
  el.addEventListener('input', () => drafts.set(key, el.value));
  return el;
}

function send(app, command, key) {
  app.conn.send(command);
  if (key) drafts.delete(key);
}

function support(c) {
  const parts = [];
  if (c.support.rooms.length) parts.push(rv('rv.rooms', { list: c.support.rooms.map((r) => r.name).join(', ') }));
  if (c.support.countries.length) parts.push(rv('rv.countries', { list: c.support.countries.map(countryName).join(', ') }));
  const cards = c.cards.length ? h('details', {}, h('summary', { text: rv('rv.cards', { n: c.cards.length }) }),
    h('ul', { class: 'rv-cards' }, c.cards.map((k) => h('li', { text: `${k.text} — ${k.room.name}${k.country ? `, ${countryName(k.country)}` : ''}` })))) : null;
  return [parts.length ? h('p', { class: 'rv-support', text: parts.join(' · ') }) : null, cards];
}

function revised(c) {
  if (!c.revisions.length) return null;
  const last = c.revisions[c.revisions.length - 1];
  return h('div', { class: 'rv-revised' }, h('p', { text: rv('rv.revised') }),
    h('p', {}, h('span', { class: 'sr-only', text: rv('rv.before') }), h('del', { text: last.previous_text })),
    h('p', {}, h('span', { class: 'sr-only', text: rv('rv.after') }), h('ins', { text: last.text })));
}

function record(c) {
  const list = (cls, label, items) => h('li', { class: cls }, h('strong', { text: `${label}: ` }),
    items.length ? items.join(', ') : rv('rv.none'));
  return h('ul', { class: 'rv-record' },
    list('endorsed', rv('rv.endorsed'), c.endorsed.map((a) => countryName(a.country))),
    list('reserved', rv('rv.reserved'), c.reserved.map((a) => countryName(a.country))),
    list('commented', rv('rv.commented'), c.commented.map((a) => countryName(a.country))),
    list('unanswered', rv('rv.unanswered'), c.unanswered.map(countryName)));
}

// Reservations and comments with their replies; staff reply under each while open.
function remarks(app, c, staff) {
  const all = [...c.reserved, ...c.commented];
  if (!all.length) return null;
  return h('ul', { class: 'rv-remarks' }, all.map((a) => {
    const key = `reply-${c.conclusion}-${a.country}`;
    const form = staff && !data.closed ? h('form', { class: 'rv-inline', onsubmit: (ev) => {
      ev.preventDefault();
      const text = drafts.get(key) || '';
      if (text.trim()) send(app, { type: 'reply_review', conclusion: c.conclusion, country: a.country, text }, key);
    } }, h('label', { for: key, text: rv('rv.reply_to', { country: countryName(a.country) }) }),
      kept('input', key, { id: key, maxlength: 2000 }), h('button', { type: 'submit', text: rv('rv.reply') })) : null;
    return h('li', {},
      h('strong', { text: `${countryName(a.country)} (${a.by_name}) — ${rv(`rv.kind_${a.answer}`)}: ` }), a.text || '',
      a.reply ? h('p', { class: 'rv-reply', text: `${rv('rv.reply')}: ${a.reply.text}` }) : null, form);
  }));
}

// The delegate's answer form, with their country's current answer.
function answerForm(app, c) {
  const mine = [...c.endorsed, ...c.reserved, ...c.commented].find((a) => a.country === data.country);
  const said = mine ? h('p', { class: 'rv-mine', text: rv('rv.your_answer', { answer: rv(`rv.kind_${mine.answer}`), name: mine.by_name }) }) : null;
  if (data.closed || !data.eligible) return said;
  const group = `kind-${c.conclusion}`;
  const key = `text-${c.conclusion}`;
  const chosen = drafts.get(group) || (mine ? mine.answer : 'endorse');
  const choice = (value) => h('label', { class: 'rv-choice' },
    h('input', { type: 'radio', name: group, value, checked: chosen === value, 'data-key': `${group}-${value}`,
      onchange: () => { drafts.set(group, value); render(app); } }), rv(`rv.choose_${value}`));
  const needsText = chosen !== 'endorse';
  // The delegation's stored reservation or comment, to amend rather than retype.
  const prior = mine && mine.answer === chosen ? mine.text || '' : '';
  return h('form', { class: 'rv-answer', onsubmit: (ev) => {
    ev.preventDefault();
    const text = (drafts.get(key) ?? prior).trim();
    if (needsText && !text) { say('#announce', rv('rv.text_needed')); $(`#${key}`).focus(); return; }
    send(app, { type: 'answer_review', conclusion: c.conclusion, version: c.version, answer: chosen, ...(needsText ? { text } : {}) }, key);
  } }, said,
  h('fieldset', {}, h('legend', { text: rv('rv.answer_for', { country: countryName(data.country) }) }),
    choice('endorse'), choice('reserve'), choice('comment')),
  needsText ? h('label', { for: key, text: rv(chosen === 'reserve' ? 'rv.reservation' : 'rv.comment') }) : null,
  needsText ? kept('textarea', key, { id: key, rows: 3, maxlength: 2000, value: prior }) : null,
  h('button', { type: 'submit', class: 'primary', 'data-key': `send-${c.conclusion}`, text: rv('rv.send') }));
}

function reviseForm(app, c) {
  if (data.closed) return null;
  const key = `revise-${c.conclusion}`;
  return h('details', { class: 'rv-inline' }, h('summary', { text: rv('rv.revise') }),
    h('form', { onsubmit: (ev) => {
      ev.preventDefault();
      send(app, { type: 'revise_conclusion', conclusion: c.conclusion, version: c.version, text: drafts.get(key) ?? c.text }, key);
    } }, h('label', { for: key, text: rv('rv.new_text') }), kept('textarea', key, { id: key, rows: 4, maxlength: 4000, value: c.text }),
      h('p', { class: 'hint', text: rv('rv.revise_hint') }),
      h('button', { type: 'submit', text: rv('rv.revise') })));
}

function item(app, c, staff) {
  return h('article', { class: 'rv-item', 'aria-labelledby': `rv-${c.conclusion}` },
    h('p', { class: 'rv-theme', text: themeTitle(app, c.theme) }),
    h('h3', { id: `rv-${c.conclusion}`, text: c.text }),
    revised(c), support(c), record(c), remarks(app, c, staff),
    staff ? reviseForm(app, c) : answerForm(app, c));
}

function themeTitle(app, key) {
  const t = app.model.s && app.model.s.workshop.themes.find((x) => x.key === key);
  return t ? shownTitle(t) : key;
}

function manage(app) {
  const box = $('#rv-manage');
  box.hidden = !app.model.staff || (data && data.closed);
  if (box.hidden) return;
  $('#rv-rule').options[0].textContent = rv('rv.rule_all');
  $('#rv-rule').options[1].textContent = rv('rv.rule_head');
  $('#rv-open-button').textContent = rv(data ? 'rv.change' : 'rv.open');
  // The deadline and rule in force, in the reader's local time, until they are changed.
  if (data && !$('#rv-deadline').value) {
    const d = new Date(data.deadline);
    $('#rv-deadline').value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    $('#rv-rule').value = data.rule;
  }
  fill($('#rv-close'), data ? confirmed(() => render(app), 'rv-close', { label: rv('rv.close'), ask: rv('rv.close_ask') },
    () => send(app, { type: 'close_review' })) : null);
}

function render(app) {
  if (!loaded) return;
  document.title = `${rv('rv.heading')} — Cabildo`;
  if (app.model.s) $('#w-title').textContent = app.model.s.workshop.title;
  $('#rv-back').href = app.model.staff ? '/facilitator' : '/delegate';
  const state = $('#rv-state');
  state.toggleAttribute('data-closed', Boolean(data && data.closed));
  if (data === undefined) { state.textContent = ''; return; }
  manage(app);
  if (!data) {
    state.textContent = rv(missing ? 'rv.not_open' : 'rv.loading');
    $('#rv-you').textContent = '';
    fill($('#rv-list'));
    return;
  }
  state.textContent = data.closed ? rv('rv.closed') : rv('rv.open_until', { when: when(data.deadline) });
  const staff = app.model.staff;
  $('#rv-you').textContent = staff ? rv('rv.staff_hint', { n: data.countries.length })
    : data.eligible ? rv('rv.you_answer', { country: countryName(data.country) })
      : data.closed ? '' : rv('rv.head_answers', { country: countryName(data.country || '') });
  fill($('#rv-list'), data.conclusions.map((c) => item(app, c, staff)));
}

const app = await start(render, {});
if (app) {
  await strings();
  data = undefined;
  const event = app.model.event.bind(app.model);
  app.model.event = (f) => { event(f); if (EVENTS.has(f.event.type)) refresh(app); };
  onChange(async () => { await strings(); render(app); });
  $('#rv-open').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const deadline = new Date($('#rv-deadline').value).getTime();
    if (Number.isFinite(deadline)) send(app, { type: 'open_review', deadline, rule: $('#rv-rule').value });
  });
  await refresh(app);
}
