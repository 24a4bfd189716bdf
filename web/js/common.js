// What every workshop page shares: the stored session, language, connection status,
// translated errors, broadcasts and the end of a session (revoked, removed, erased).
import { $, h, say, options } from './dom.js';
import { load, t, tn, errorText, switcher, onChange, current } from './i18n.js';
import { Conn } from './conn.js';
import { Model } from './model.js';
import { notify, dismissWhere } from './notices.js';

export { saveSession, loadSession, forget } from './session.js';
import { loadSession, forget } from './session.js';

// What the notice says, as a function, so that it is said again in a new language.
let noticeAgain = null;

// On a page with a #notices stack it is a notice of `kind` (replacing the last one of the
// same key); otherwise the page's single #notice box.
export function notice(text, again = null, kind = 'warning', key = 'notice') {
  if ($('#notices')) { notify({ kind, key, text: again || text }); return; }
  noticeAgain = again;
  const box = $('#notice');
  if (!box.hidden && box.textContent === text) return;
  box.hidden = false;
  say(box, text);
}

// Starts a workshop page: language, model, connection; `render` runs after every change.
export async function start(render, hooks = {}) {
  const session = loadSession();
  if (!session) { location.replace('/'); return null; }
  await load(session.language);
  const model = new Model();
  const app = { session, model, conn: null, render };
  const statusBox = $('#status');
  const conn = new Conn(session.token, `${session.workshop}.${session.participant}`, {
    status: (s, n) => {
      statusBox.dataset.state = s;
      statusBox.textContent = t(`status.${s}`, { n });
      const connected = s !== 'offline';
      if (connected !== model.connected) {
        model.connected = connected;
        if (model.s) render(app);
      }
    },
    welcome: (f) => {
      // Whether the last welcome replayed the missed events or sent a snapshot (and why).
      statusBox.dataset.welcome = f.resumed ? 'resumed' : f.reason;
      model.welcome(f);
      moved();
      render(app);
    },
    event: (f) => {
      if (f.event.type === 'participant_removed' && f.event.participant === model.me.id) { end('removed'); return; }
      model.event(f);
      announce(app, f);
      moved();
      render(app);
    },
    snapshot: (f) => {
      model.snapshot(f.snapshot);
      moved();
      render(app);
    },
    presence: (f) => { model.presence(f); render(app); },
    // An answer changes what is waiting in the outbox (a card "not sent yet" is sent now):
    // the page is drawn again.
    answer: (f, cmd) => {
      if (f.type === 'error') (hooks.refused || refused)(app, f, cmd);
      if (hooks.answer) hooks.answer(app, f, cmd);
      if (model.s && !conn.stopped) render(app);
    },
    fatal: end,
  });
  // The end of this session (removed, revoked, erased): said in words, no more reconnecting.
  // A removal is told by its event too, in case the 4003 close never arrives.
  function end(why) {
    conn.stopped = true;
    conn.ready = false;
    if (conn.ws) { conn.ws.onmessage = null; conn.ws.onclose = null; conn.ws.close(); }
    // data-i18n: translated again when the language changes.
    $('main').replaceChildren(h('p', { class: 'fatal', role: 'alert', id: 'fatal', 'data-i18n': `fatal.${why}`, text: t(`fatal.${why}`) }),
      h('a', { href: '/', 'data-i18n': 'fatal.rejoin', text: t('fatal.rejoin') }));
    if ($('#notice')) $('#notice').hidden = true;
    dismissWhere(() => true);
    statusBox.hidden = true;
    if (why === 'erased') forget(session.workshop);
  }
  app.conn = conn;
  // A move (by an event, a snapshot or while offline) is told once, whatever brought it.
  let room = null;
  function moved() {
    const now = model.me.room;
    if (room !== null && now !== room && hooks.moved) hooks.moved(app, room);
    room = now;
  }
  conn.status();
  switcher($('#lang'), () => { if (model.s && !conn.stopped) render(app); });
  onChange(() => {
    conn.status();
    if (noticeAgain && $('#notice') && !$('#notice').hidden) $('#notice').textContent = noticeAgain();
    if (model.s && !conn.stopped) render(app);
  });
  conn.start();
  setInterval(() => { if (model.s && hooks.tick && !conn.stopped) hooks.tick(app); }, 1000);
  return app;
}

function refused(app, f) {
  notice(errorText(f.code), () => errorText(f.code), 'error', 'refused');
}

// Broadcasts and timer warnings are read out by screen readers (#announce is aria-live).
function announce(app, f) {
  const e = f.event;
  const m = app.model;
  if (e.type === 'broadcast_sent' && (m.staff || e.room === null || e.room === m.me.room)) {
    say('#announce', t('broadcast.new', { text: e.text }));
  } else if (e.type === 'timer_warning' && (m.staff || e.room === m.me.room)) {
    say('#announce', tn(e.closes ? 'timer.warning_closes' : 'timer.warning', e.seconds));
  } else if (e.type === 'timer_ended' && e.room === m.me.room) {
    say('#announce', t('timer.ended'));
  }
}

// A button that asks before it acts: the first press shows the question `o.ask` with "yes"
// and "no" in its place (focus goes to "no"), and runs `o.asked` if given; `redraw` renders
// the page again.
let asking = null;
export function confirmed(redraw, key, o, act) {
  const again = (k) => { redraw(); const b = $(`[data-key="${k}"]`); if (b) b.focus(); };
  if (asking !== key) {
    return h('button', { type: 'button', class: 'danger', 'data-key': key, text: o.label, 'aria-label': o.aria,
      onclick: () => { asking = key; if (o.asked) o.asked(); again(`${key}-no`); } });
  }
  return h('span', { class: 'ask', role: 'group' }, h('span', { text: o.ask }),
    h('button', { type: 'button', class: 'danger', 'data-key': `${key}-yes`, text: t('confirm.yes'), onclick: () => { asking = null; act(); redraw(); } }),
    h('button', { type: 'button', 'data-key': `${key}-no`, text: t('confirm.no'), onclick: () => { asking = null; again(key); } }));
}

export function latestBroadcast(m) {
  const list = m.s.session.broadcasts.filter((b) => m.staff || b.room === null || b.room === m.me.room);
  return list[list.length - 1] || null;
}

export function personLabel(m, id) {
  const p = m.person(id);
  if (!p) return '?';
  return p.country ? `${p.name} (${p.country})` : p.name;
}

export function roomName(m, id) {
  if (id === 'lobby') return t('room.lobby');
  const r = m.room(id);
  return r ? r.name : '?';
}

// The server's default columns and themes, by key, with their English titles: one whose
// title is still the default is shown in the reader's language (`default.<key>`); a title
// the organizer typed is shown as typed.
const DEFAULTS = {
  strengths: 'Strengths', problems: 'Main problems', solutions: 'Possible solutions',
  governance: 'Governance of digital government', data: 'Data-driven public sector',
  capabilities: 'Public sector capabilities', innovation: 'Digital innovation',
  services: 'Design and delivery of public services', divide: 'Digital divide',
};
export function shownTitle(x) {
  return DEFAULTS[x.key] === x.title ? t(`default.${x.key}`) : x.title;
}

export function columnTitle(m, key) {
  const c = m.s.workshop.columns.find((x) => x.key === key);
  return c ? shownTitle(c) : key;
}

export function themeTitle(m, key) {
  const c = m.s.workshop.themes.find((x) => x.key === key);
  return c ? shownTitle(c) : key;
}

// A time of the server's clock (ms), as the reader says it ("14:05").
export function timeOf(at) {
  return new Date(at).toLocaleTimeString(current(), { hour: '2-digit', minute: '2-digit' });
}

// A menu of things to change (a room, a group): choosing one fills the form's fields with its
// values, once per choice so that typing is kept; the form hides while there is none.
const shown = {};
export function chosen(sel, list, fields) {
  options(sel, list.map((x) => [x.id, x.label]));
  const x = list.find((y) => y.id === sel.value);
  sel.form.hidden = !x;
  if (x && shown[sel.id] !== x.id) { shown[sel.id] = x.id; fields(x); }
  return x;
}

// The form that renames a group, merges it into another of its room, or dissolves it: made
// into `box` before the page's language is loaded (data-i18n translates it), with `more`
// controls at its end. `groupForm` fills it in, `wireGroupForm` sends its commands.
export function makeGroupForm(box, ...more) {
  box.append(h('form', { id: 'gm-form', class: 'row', hidden: true },
    h('label', { for: 'gm-group', 'data-i18n': 'facil.manage_group' }), h('select', { id: 'gm-group' }),
    h('label', { for: 'gm-name', 'data-i18n': 'facil.group_new_name' }), h('input', { id: 'gm-name', maxlength: 100, required: true }),
    h('button', { type: 'submit', 'data-i18n': 'facil.rename' }),
    h('label', { for: 'gm-into', 'data-i18n': 'facil.merge_into' }), h('select', { id: 'gm-into' }),
    h('button', { type: 'button', id: 'gm-merge', 'data-i18n': 'facil.merge' }),
    h('button', { type: 'button', id: 'gm-ungroup', 'data-i18n': 'facil.ungroup' }), ...more));
}

export function groupForm(m, groups, label, fields) {
  const g = chosen($('#gm-group'), groups.map((x) => ({ ...x, label: label(x) })), (x) => {
    $('#gm-name').value = x.name;
    if (fields) fields(x);
  });
  options($('#gm-into'), g ? m.s.groups.filter((x) => x.room === g.room && x.id !== g.id).map((x) => [x.id, x.name]) : []);
  $('#gm-merge').disabled = !$('#gm-into').value;
  return g;
}

export function wireGroupForm(app) {
  const send = (c) => app.conn.send(c);
  const group = () => $('#gm-group').value;
  $('#gm-group').addEventListener('change', () => app.render(app));
  $('#gm-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send({ type: 'rename_group', group: group(), name: $('#gm-name').value });
  });
  $('#gm-merge').addEventListener('click', () => send({ type: 'merge_groups', group: group(), into: $('#gm-into').value }));
  $('#gm-ungroup').addEventListener('click', () => send({ type: 'ungroup', group: group() }));
}
