// What every workshop page shares: the stored session, language, connection status,
// translated errors, broadcasts and the end of a session (revoked, removed, erased).
import { $, h, say } from './dom.js';
import { load, t, errorText, switcher, onChange } from './i18n.js';
import { Conn } from './conn.js';
import { Model } from './model.js';

export function saveSession(s) {
  localStorage.setItem(`cabildo.session.${s.workshop}`, JSON.stringify(s));
  localStorage.setItem('cabildo.last', s.workshop);
}

export function loadSession() {
  const w = new URLSearchParams(location.search).get('w') || localStorage.getItem('cabildo.last');
  try { return JSON.parse(localStorage.getItem(`cabildo.session.${w}`)); } catch { return null; }
}

export function forget(workshop) {
  localStorage.removeItem(`cabildo.session.${workshop}`);
}

// What the notice says, as a function, so that it is said again in a new language.
let noticeAgain = null;

export function notice(text, again = null) {
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
    },
    welcome: (f) => {
      // Whether the last welcome replayed the missed events or sent a snapshot (and why).
      statusBox.dataset.welcome = f.resumed ? 'resumed' : f.reason;
      model.welcome(f);
      moved();
      render(app);
    },
    event: (f) => {
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
    answer: (f, cmd) => {
      if (f.type === 'error') (hooks.refused || refused)(app, f, cmd);
      if (hooks.answer) hooks.answer(app, f, cmd);
    },
    fatal: (why) => {
      $('main').replaceChildren(h('p', { class: 'fatal', role: 'alert', text: t(`fatal.${why}`) }),
        h('a', { href: '/', text: t('fatal.rejoin') }));
      if (why === 'erased') forget(session.workshop);
    },
  });
  app.conn = conn;
  // A move (by an event, a snapshot or while offline) is told once, whatever brought it.
  let room = null;
  function moved() {
    const now = model.me.room;
    if (room !== null && now !== room && hooks.moved) hooks.moved(app, room);
    room = now;
  }
  conn.status();
  switcher($('#lang'), () => render(app));
  onChange(() => {
    conn.status();
    if (noticeAgain && !$('#notice').hidden) $('#notice').textContent = noticeAgain();
    if (model.s) render(app);
  });
  conn.start();
  setInterval(() => { if (model.s && hooks.tick) hooks.tick(app); }, 1000);
  return app;
}

function refused(app, f) {
  notice(`${errorText(f.code)}`);
}

// Broadcasts and timer warnings are read out by screen readers (#announce is aria-live).
function announce(app, f) {
  const e = f.event;
  const m = app.model;
  if (e.type === 'broadcast_sent' && (m.staff || e.room === null || e.room === m.me.room)) {
    say('#announce', t('broadcast.new', { text: e.text }));
  } else if (e.type === 'timer_warning' && (m.staff || e.room === m.me.room)) {
    say('#announce', t(e.closes ? 'timer.warning_closes' : 'timer.warning', { min: Math.round(e.seconds / 60), sec: e.seconds }));
  } else if (e.type === 'timer_ended' && e.room === m.me.room) {
    say('#announce', t('timer.ended'));
  }
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

export function columnTitle(m, key) {
  const c = m.s.workshop.columns.find((x) => x.key === key);
  return c ? c.title : key;
}
