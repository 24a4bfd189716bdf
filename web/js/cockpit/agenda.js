// The cockpit's agenda panel: the segments with planned against actual ("+4 min behind
// plan"), "next segment" (its moves, phase, timer and message in one step), skip, extend,
// move a segment up or down, remove one, add one, and the reference agenda as a template
// (the organizer deletes saved templates).
// Every change sends the version it was based on (docs/protocol/agenda.md): a stale one
// is refused `conflict` and the panel shows the agenda as it is now.
import { $, h, fill, options, say } from '../dom.js';
import { t } from '../i18n.js';
import { ask } from '../confirm.js';
import { at, loadAgendaStrings, onAgendaStrings, reached, runningIndex, schedule, lateness, mmss } from '../agenda-model.js';

const PHASES = ['brainstorm', 'reveal', 'vote', 'consolidate', 'closed'];
let app = null;

const agenda = () => app.model.s.agenda || { segments: [], version: 0 };
const send = (c) => app.conn.send(c);

// Sends the segments not reached yet, changed by `edit` (a function of the list).
function setFuture(edit) {
  const a = agenda();
  const future = a.segments.slice(reached(a)).map((x) => x.plan);
  send({ type: 'set_agenda', version: a.version, segments: edit(future) });
}

function describe(plan) {
  const bits = [at(`where.${plan.where || 'plenary'}`)];
  if (plan.phase) bits.push(plan.hidden ? at('hidden_brainstorm') : t(`phase.${plan.phase}`));
  if (plan.minutes) bits.push(at('minutes', { n: plan.minutes }));
  if (plan.message) bits.push(at('with_message'));
  return bits.join(' · ');
}

function actual(x) {
  if (x.status === 'skipped') return at('status.skipped');
  if (x.started_at === null) return at('status.pending');
  const end = x.ended_at === null ? app.model.now() : x.ended_at;
  const took = Math.max(0, Math.round((end - x.started_at) / 60000));
  return at(x.status === 'running' ? 'running_for' : 'took', { n: took });
}

function segment(x, i, from, count) {
  const tools = [];
  if (x.status === 'pending') {
    const k = i - from;
    const move = (d) => setFuture((f) => { const [s] = f.splice(k, 1); f.splice(k + d, 0, s); return f; });
    tools.push(
      h('button', { type: 'button', class: 'small', 'data-key': `up-${i}`, disabled: k === 0, 'aria-label': at('up', { title: x.plan.title }), text: '↑', onclick: () => move(-1) }),
      h('button', { type: 'button', class: 'small', 'data-key': `down-${i}`, disabled: i === count - 1, 'aria-label': at('down', { title: x.plan.title }), text: '↓', onclick: () => move(1) }),
      h('button', { type: 'button', class: 'small', 'data-key': `rm-${i}`, 'aria-label': at('remove', { title: x.plan.title }), text: '✕', onclick: () => setFuture((f) => { f.splice(k, 1); return f; }) }));
  }
  return h('li', { class: `seg-${x.status}`, 'data-segment': i },
    h('span', { text: x.plan.title }),
    h('span', { class: 'muted', text: ` — ${describe(x.plan)} · ${actual(x)}` }),
    x.extended ? h('span', { class: 'muted', text: ` · ${at('extended', { n: x.extended })}` }) : null,
    tools.length ? h('span', { class: 'seg-tools' }, tools) : null);
}

function field(id, label, input, cls = 'fld') {
  return h('span', { class: cls }, h('label', { for: id, text: label }), input);
}

function addForm() {
  const phase = h('select', { id: 'ag-phase' });
  options(phase, [['', at('no_phase')], ...PHASES.map((p) => [p, t(`phase.${p}`)])]);
  const where = h('select', { id: 'ag-where' });
  options(where, ['plenary', 'rooms'].map((w) => [w, at(`where.${w}`)]));
  const form = h('form', { id: 'ag-form', class: 'agenda-form' },
    field('ag-title', at('title'), h('input', { id: 'ag-title', maxlength: 120, required: true }), 'fld wide'),
    field('ag-where', at('where'), where),
    field('ag-phase', at('phase'), phase),
    h('label', {}, h('input', { type: 'checkbox', id: 'ag-hidden' }), ` ${at('hidden_brainstorm')}`),
    field('ag-minutes', at('planned_minutes'), h('input', { id: 'ag-minutes', type: 'number', min: 1, max: 1440 })),
    field('ag-message', at('message'), h('input', { id: 'ag-message', maxlength: 1000 }), 'fld wide'),
    h('button', { type: 'submit', text: at('add') }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const plan = { title: $('#ag-title').value, where: $('#ag-where').value };
    if ($('#ag-phase').value) plan.phase = $('#ag-phase').value;
    if (plan.phase === 'brainstorm' && $('#ag-hidden').checked) plan.hidden = true;
    if ($('#ag-minutes').value) plan.minutes = Number($('#ag-minutes').value);
    if ($('#ag-message').value.trim()) plan.message = $('#ag-message').value;
    setFuture((f) => [...f, plan]);
    form.reset();
  });
  return form;
}

let templates = [];
const templatesUrl = () => `/api/workshops/${app.session.workshop}/agenda-templates`;
const auth = () => ({ Authorization: `Bearer ${app.session.token}` });
async function loadTemplates() {
  const r = await fetch(templatesUrl(), { headers: auth() }).catch(() => null);
  templates = r && r.ok ? (await r.json()).templates || [] : [];
}

// Deletes saved template `x` once the organizer confirms, then lists the templates again.
async function deleteTemplate(x) {
  const name = x.name;
  if (!await ask({ title: at('delete_template_q', { name }), text: at('delete_template_text'), yes: at('delete_template') })) return;
  const r = await fetch(`${templatesUrl()}/${encodeURIComponent(name)}`, { method: 'DELETE', headers: auth() }).catch(() => null);
  const done = r && (r.status === 204 || r.status === 404);
  if (done) await loadTemplates();
  const row = $('#ag-tpl > *');
  if (row) row.remove();
  drawAgenda();
  say($('#ag-tpl-status'), at(done ? 'template_deleted' : 'template_not_deleted', { name }));
}

function templateRow() {
  const status = h('p', { id: 'ag-tpl-status', class: 'hint', role: 'status' });
  if (!templates.length) return status;
  const pick = h('select', { id: 'ag-template' });
  options(pick, templates.map((x, i) => [String(i), x.name]));
  const picked = () => templates[Number(pick.value)];
  // Saved templates are the server's: only the organizer deletes them; the built-in one stays.
  const del = app.model.me.role === 'organizer'
    ? h('button', { type: 'button', id: 'ag-delete', class: 'danger', text: at('delete_template'),
      onclick: () => { const x = picked(); if (x && !x.builtin) deleteTemplate(x); } })
    : null;
  const shown = () => { if (del) del.hidden = !picked() || picked().builtin; };
  pick.addEventListener('change', shown);
  shown();
  return h('div', {},
    h('div', { class: 'row' },
      field('ag-template', at('template'), pick),
      h('button', { type: 'button', id: 'ag-use', text: at('use_template'),
        onclick: () => { const x = picked(); if (x) setFuture(() => x.segments.map((s) => ({ ...s }))); } }),
      del),
    status);
}

// The panel's parts: the head, actions, list and templates are drawn again; the form to
// add a segment is made once (what is typed there and the focus stay).
function panel() {
  let box = $('#agenda');
  if (box) return box;
  box = h('section', { id: 'agenda', class: 'panel agenda-panel', 'aria-labelledby': 'agenda-h' },
    h('div', { id: 'ag-head', class: 'row' }), h('div', { id: 'ag-actions', class: 'row' }), h('div', { id: 'ag-list-box' }),
    h('div', { id: 'ag-tpl' }), h('details', { class: 'agenda-add' }, h('summary', { id: 'ag-add-summary' }), h('div', { id: 'ag-form-box' })));
  $('#main .cockpit-top').before(box);
  return box;
}

export function drawAgenda() {
  if (!app || !app.model.s) return;
  const a = agenda();
  panel();
  const run = runningIndex(a);
  const from = reached(a);
  const next = a.segments[from];
  const late = lateness(a, app.model.now());
  const { remaining } = schedule(a, app.model.now());
  fill($('#ag-head'),
    h('h2', { id: 'agenda-h', text: at('heading') }),
    late ? h('span', { id: 'ag-late', class: `agenda-pill ${late.kind}`, text: late.text }) : null,
    run >= 0 ? h('span', { text: at('now_title', { title: a.segments[run].plan.title }) }) : null,
    remaining !== null ? h('span', { id: 'ag-left', class: 'agenda-left', text: remaining >= 0 ? at('left', { time: mmss(remaining) }) : at('over_by', { time: mmss(-remaining) }) }) : null);
  fill($('#ag-actions'),
    (next || run >= 0) ? h('button', { type: 'button', id: 'ag-next', class: 'primary', 'data-key': 'ag-next',
      text: next ? at('start', { title: next.plan.title }) : at('finish'),
      onclick: () => send({ type: 'next_segment', version: a.version }) }) : null,
    next ? h('button', { type: 'button', id: 'ag-skip', 'data-key': 'ag-skip', text: at('skip', { title: next.plan.title }),
      onclick: () => send({ type: 'skip_segment', version: a.version }) }) : null,
    run >= 0 ? h('button', { type: 'button', id: 'ag-extend', 'data-key': 'ag-extend', text: at('extend', { n: 5 }),
      onclick: () => send({ type: 'extend_segment', version: a.version, minutes: 5 }) }) : null);
  fill($('#ag-list-box'), a.segments.length
    ? h('ol', { id: 'ag-list', class: 'agenda-list' }, a.segments.map((x, i) => segment(x, i, from, a.segments.length)))
    : h('p', { class: 'hint', text: at('empty') }));
  if (!$('#ag-tpl > *')) fill($('#ag-tpl'), templateRow());
  $('#ag-add-summary').textContent = at('add_segment');
  if (!$('#ag-form')) fill($('#ag-form-box'), addForm());
}

// The panel is drawn again when the agenda changes, and its clock each second.
export async function mountAgenda(theApp) {
  app = theApp;
  await Promise.all([loadAgendaStrings(), loadTemplates()]);
  // The form's labels are in the language it was made in: made again.
  onAgendaStrings(() => { for (const sel of ['#ag-form', '#ag-tpl > *']) { const x = $(sel); if (x) x.remove(); } drawAgenda(); });
  let shown = '';
  const draw = () => {
    const m = app.model;
    if (!m.s) return;
    const sig = JSON.stringify([m.s.agenda, Math.floor(m.now() / 1000), t('phase.vote')]);
    if (sig === shown) return;
    shown = sig;
    drawAgenda();
  };
  draw();
  setInterval(draw, 1000);
  return draw;
}
