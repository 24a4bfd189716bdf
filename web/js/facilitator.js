// The facilitator's cockpit: every room at a glance as tiles (cockpit/rooms.js), one toolbar
// of actions grouped by intent (time, phase, messages, people, rooms, the whole session)
// with the scope chosen once, the consolidation workspace and the conclusions
// (cockpit/consolidate.js), and a link to the projector view. Events are applied to the
// model at once and drawn at most once per frame.
import { $, h, fill, options } from './dom.js';
import { t, errorText, pick, onChange } from './i18n.js';
import { clock, Model } from './model.js';
import { start, roomName, notice, confirmed, chosen, makeGroupForm, groupForm, wireGroupForm, loadSession } from './common.js';
import { ask } from './confirm.js';
import { openProjector } from './cockpit/projector-link.js';
import { readVoices } from './cockpit/voice.js';
import { setText } from './cockpit/keyed.js';
import { ct, loadCockpit, onCockpit, titleIn, drawnIn } from './cockpit/strings.js';
import { renderRooms, renderHelp, live, leads, chimeOn } from './cockpit/rooms.js';
import { cited, picked, renderFilters, renderConsolidation, renderPicks, renderConclusions, conclusionRefused, conclusionSaved, themeChoices } from './cockpit/consolidate.js';

const PHASES = ['brainstorm', 'reveal', 'vote', 'consolidate', 'closed'];
const STRATEGIES = ['even', 'random', 'by_country', 'self_select'];
const LATE = ['lobby', 'even', 'by_country'];
let drawn = null; // the seed of this page's last random assignment
let lateShown = null; // the late joiners' policy the menu was last set to
const grouping = new Set(); // ids of group_cards commands waiting for their answer

// A capacity field: a number, or null (no limit) when empty.
function capacity(sel) { const n = $(sel).value.trim(); return n === '' ? null : Number(n); }

// The scope chosen once in the toolbar: every room, or one.
function scoped() { const v = $('#scope').value; return v === '' ? {} : { room: v }; }

function renderManage(app) {
  const m = app.model;
  const room = chosen($('#re-room'), live(m).map((r) => ({ ...r, label: r.name })), (r) => {
    $('#re-name').value = r.name;
    $('#re-cap').value = r.capacity || '';
  });
  fill($('#re-remove'), room && confirmed(() => app.render(app), 'rm-room', { label: t('facil.remove_room'), ask: t('facil.remove_room_q', { room: room.name }) },
    () => app.conn.send({ type: 'remove_room', room: room.id })));
  $('#self-select').textContent = t(m.s.session.self_select ? 'facil.self_lock' : 'facil.self_open');
  options($('#late'), LATE.map((p) => [p, t(`late.${p}`)]));
  // The menu shows the policy when it changes on the server, not over someone's choice.
  const late = m.s.session.late_joiners || 'lobby';
  if (lateShown !== late) { lateShown = late; $('#late').value = late; }
  options($('#gm-theme'), themeChoices(m));
  groupForm(m, m.s.groups, (g) => `${g.name} · ${roomName(m, g.room)}`, (g) => { $('#gm-theme').value = g.theme || ''; });
}

// The scope is for the strategies that place people, the seed for the random one.
function strategyFields() {
  const s = $('#a-strategy').value;
  $('#a-scope-box').hidden = s === 'self_select';
  $('#a-seed-box').hidden = s !== 'random';
}

// The toolbar's menus and forms are filled again only when what they offer changed (rooms,
// groups, themes, the session's settings, the language).
let toolbarShown = null;
function toolbarSig(m) {
  return [drawnIn(), drawn, m.s.workshop.title, m.s.session.closed, m.s.session.lead, m.s.session.self_select, m.s.session.late_joiners,
    m.s.workshop.columns.map((c) => `${c.key}=${c.title}`).join(','), m.s.workshop.themes.map((x) => `${x.key}=${x.title}`).join(','),
    m.s.rooms.map((r) => `${r.id}=${r.name}=${r.capacity}=${r.open}=${r.phase}=${r.removed}`).join(','),
    m.s.groups.map((g) => `${g.id}=${g.name}=${g.room}=${g.theme}`).join(','), m.me.role].join('|');
}

function drawToolbar(app) {
  const m = app.model;
  $('#w-title').textContent = m.s.workshop.title;
  options($('#scope'), [['', t('facil.all_rooms')], ...live(m).map((r) => [r.id, r.name])]);
  options($('#p-phase'), PHASES.map((p) => [p, t(`phase.${p}`)]));
  options($('#a-strategy'), STRATEGIES.map((s) => [s, t(`strategy.${s}`)]));
  options($('#a-scope'), ['lobby', 'everyone'].map((s) => [s, t(`scope.${s}`)]));
  strategyFields();
  $('#a-drawn').textContent = drawn === null ? '' : t('facil.drawn', { seed: drawn });
  // Staff post on any board that is not closed, into one of the workshop's columns.
  const boards = live(m).filter((r) => r.open && r.phase !== 'closed');
  options($('#pc-room'), boards.map((r) => [r.id, r.name]));
  options($('#pc-column'), m.s.workshop.columns.map((c) => [c.key, titleIn(m, 'column', c.key)]));
  $('#pc-form').hidden = !boards.length;
  options($('#by'), ['theme', 'group', 'tag'].map((b) => [b, t(`facil.by_${b}`)]));
  options($('#k-theme'), m.s.workshop.themes.map((x) => [x.key, titleIn(m, 'theme', x.key)]));
  const may = leads(m);
  $('#close-ws').hidden = !may || m.s.session.closed;
  $('#reopen-ws').hidden = !may || !m.s.session.closed;
  if (m.s.session.closed) notice(t('workshop.closed'), () => t('workshop.closed'), 'info', 'closed');
  renderManage(app);
}

// Draws what changed: the toolbar when what it offers changed, the help requests, the tiles
// (in place, see cockpit/rooms.js) and, after events that touch cards (or when `all`), the
// consolidation workspace (cards kept by key, see cockpit/consolidate.js).
function draw(app, all = false) {
  const m = app.model;
  if (!m.s) return;
  const sig = toolbarSig(m);
  if (all || sig !== toolbarShown) { toolbarShown = sig; drawToolbar(app); }
  // The page's own controls may ask or edit in place among the conclusions: drawn anew.
  if (all) app.redrawConclusions = true;
  renderHelp(app);
  renderRooms(app);
  if (!workspace && !all) return;
  workspace = false;
  // The first time, the workspace waits until the tiles are on screen (a cheap first render).
  if (!workspaceShown) { workspaceShown = true; requestAnimationFrame(() => setTimeout(() => drawWorkspace(app))); return; }
  drawWorkspace(app);
}

let workspaceShown = false;
function drawWorkspace(app) {
  renderFilters(app.model);
  renderConsolidation(app);
  renderPicks(app);
  renderConclusions(app);
}

// What an event changes: the consolidation workspace is drawn again only after events that
// touch cards, votes, groups, conclusions, themes or rooms' names (presence, moves, timers
// and help, the most frequent in a large plenary, redraw the tiles only).
const WORKSPACE = /^(card_|vote|unvote|group|cards_|conclusion_|themes_|room_renamed|room_created|room_removed|participant_joined)/;
let workspace = true;
for (const name of ['welcome', 'snapshot']) {
  const was = Model.prototype[name];
  Model.prototype[name] = function redrawAll(...a) { workspace = true; return was.apply(this, a); };
}
onChange(() => { workspace = true; });
const applyEvent = Model.prototype.event;
Model.prototype.event = function noted(f) { if (WORKSPACE.test(f.event.type)) workspace = true; return applyEvent.call(this, f); };

// An event is drawn at once when nothing was drawn since the last animation frame (it shows
// in the coming frame); the events that follow it before that frame (a burst from 500
// delegates) are drawn together, once, in it.
let queued = false; // events wait for the next frame
let recent = false; // drawn since the last frame
function render(app) {
  if (recent) { queued = true; return; }
  recent = true;
  // A tab in the background gets no animation frames: its title must still count help.
  (document.hidden ? (f) => setTimeout(f, 100) : requestAnimationFrame)(() => {
    recent = false;
    if (queued) { queued = false; render(app); }
  });
  draw(app);
}

makeGroupForm($('#gm-box'), h('label', { for: 'gm-theme', 'data-i18n': 'facil.group_theme' }), h('select', { id: 'gm-theme' }),
  h('button', { type: 'button', id: 'gm-tag', 'data-i18n': 'facil.tag' }));

// A danger button that asks first (session-ending actions, defect 2 of #17).
function asking(sel, o, act) {
  $(sel).addEventListener('click', async () => { if (await ask({ title: ct(o.title), text: ct(o.text), yes: $(sel).textContent })) act(); });
}

const saved = loadSession();
loadCockpit(pick(saved && saved.language)).then(() => start(render, {
  // Only the timers' text changes each second: open menus and focus stay as they are.
  tick: (app) => {
    for (const el of document.querySelectorAll('[data-timer]')) {
      const left = app.model.left(el.dataset.timer);
      if (el.hidden !== (left === null)) el.hidden = left === null;
      if (left !== null) setText(el, t('timer.left', { time: clock(left) }));
    }
  },
  refused: (app, f) => {
    if (conclusionRefused(app, f)) return;
    grouping.delete(f.id);
    notice(errorText(f.code), () => errorText(f.code), 'error', 'refused');
  },
  answer: (app, f, cmd) => {
    // The seed of a draw, so that it can be made again.
    if (f.type === 'ack' && cmd && cmd.type === 'assign_rooms' && cmd.strategy === 'random') drawn = cmd.seed;
    // Cards grouped are no longer selected to group; what is marked to cite stays.
    if (f.type === 'ack' && grouping.delete(f.id)) for (const id of cmd.cards) picked.delete(id);
    if (f.type === 'ack') conclusionSaved(app, f);
    app.render(app);
  },
})).then((app) => {
  if (!app) return;
  // What this page's own controls change is drawn whole; events skip the workspace when
  // they do not touch it (see WORKSPACE).
  // Drawn at once, not in the next frame: a control that asks or edits in place puts the
  // focus on what it just drew.
  app.render = (a) => draw(a, true);
  onCockpit(() => app.render(app));
  // The audio panel, then the tiles' microphones, which read the panel's roster frames.
  import('./audio.js').then((audio) => audio.mountAudio(app)).then(() => readVoices(app.conn, () => render(app)));
  import('./cockpit/agenda.js').then((agenda) => agenda.mountAgenda(app));
  const send = (c) => app.conn.send(c);
  $('#chime').addEventListener('click', () => { localStorage.setItem('cabildo.chime', chimeOn() ? 'off' : 'on'); app.render(app); });
  $('#projector-open').addEventListener('click', () => openProjector(app.session, (kind, text) => notice(text, () => text, kind, 'projector')));
  $('#broadcast-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send({ type: 'broadcast', text: $('#b-text').value, ...scoped() });
    $('#b-text').value = '';
  });
  $('#timer-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const seconds = Math.round(Number($('#t-min').value) * 60);
    send({ type: 'start_timer', seconds, warnings: [60, 10].filter((w) => w < seconds), close_at_end: $('#t-close').checked, ...scoped() });
  });
  $('#t-extend').addEventListener('click', () => send({ type: 'extend_timer', seconds: 60, ...scoped() }));
  $('#t-pause').addEventListener('click', () => send({ type: 'pause_timer', ...scoped() }));
  $('#t-resume').addEventListener('click', () => send({ type: 'resume_timer', ...scoped() }));
  $('#t-cancel').addEventListener('click', () => send({ type: 'cancel_timer', ...scoped() }));
  $('#phase-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const phase = $('#p-phase').value;
    send({ type: 'set_phase', phase, hidden: phase === 'brainstorm' && $('#p-hidden').checked, ...scoped() });
  });
  $('#assign-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const strategy = $('#a-strategy').value;
    const cmd = { type: 'assign_rooms', strategy, scope: $('#a-scope').value };
    // A random draw always goes with its seed (typed, or picked here) so it can be repeated.
    if (strategy === 'random') cmd.seed = $('#a-seed').value === '' ? Math.floor(Math.random() * 2 ** 32) : Number($('#a-seed').value);
    drawn = null;
    send(cmd);
  });
  $('#a-strategy').addEventListener('change', strategyFields);
  $('#pc-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send({ type: 'post_card', room: $('#pc-room').value, column: $('#pc-column').value, text: $('#pc-text').value });
    $('#pc-text').value = '';
  });
  $('#room-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send({ type: 'create_room', name: $('#r-name').value, capacity: capacity('#r-cap') });
    $('#r-name').value = '';
    $('#r-cap').value = '';
  });
  $('#g-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!picked.size) { notice(ct('ck.picked_none'), () => ct('ck.picked_none'), 'warning', 'group'); return; }
    grouping.add(send({ type: 'group_cards', cards: [...picked], name: $('#g-name').value }));
    $('#g-name').value = '';
  });
  const value = (sel) => $(sel).value;
  $('#re-room').addEventListener('change', () => app.render(app));
  $('#re-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send({ type: 'rename_room', room: value('#re-room'), name: value('#re-name') });
  });
  $('#re-cap-set').addEventListener('click', () => send({ type: 'set_room_capacity', room: value('#re-room'), capacity: capacity('#re-cap') }));
  $('#self-select').addEventListener('click', () => send({ type: 'set_self_select', open: !app.model.s.session.self_select }));
  $('#late-set').addEventListener('click', () => send({ type: 'set_late_joiners', policy: value('#late') }));
  wireGroupForm(app);
  $('#gm-tag').addEventListener('click', () => send({ type: 'tag_group', group: value('#gm-group'), theme: value('#gm-theme') || null }));
  asking('#back', { title: 'ck.back_q', text: 'ck.back_text' }, () => send({ type: 'return_to_lobby' }));
  asking('#close-ws', { title: 'ck.close_q', text: 'ck.close_text' }, () => send({ type: 'close_workshop' }));
  $('#reopen-ws').addEventListener('click', () => send({ type: 'reopen_workshop' }));
  import('./review-link.js').then((r) => r.reviewLink(app, $('nav.tabs')));
  for (const sel of ['#by', '#f-room', '#f-column', '#f-theme', '#f-votes', '#f-sort']) $(sel).addEventListener('change', () => renderConsolidation(app));
  $('#k-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send({ type: 'add_conclusion', theme: $('#k-theme').value, text: $('#k-text').value, cards: [...cited] });
    $('#k-text').value = '';
    cited.clear();
    app.render(app);
  });
});
