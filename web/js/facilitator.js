// The facilitator's page: every room at a glance, moving people (drag and drop, or the
// menu beside each name), session controls, consolidation and conclusions.
import { $, h, fill, options } from './dom.js';
import { t, tn, errorText } from './i18n.js';
import { clock } from './model.js';
import { start, personLabel, roomName, columnTitle, notice, confirmed, chosen, makeGroupForm, groupForm, wireGroupForm } from './common.js';

const PHASES = ['brainstorm', 'reveal', 'vote', 'consolidate', 'closed'];
const STRATEGIES = ['even', 'random', 'by_country', 'self_select'];
const LATE = ['lobby', 'even', 'by_country'];
const cited = new Set();
let kEdit = null; // { id, base, draft, conflict }
let cEdit = null; // { id, draft }: a card a facilitator is correcting
const edits = new Map(); // command id -> conclusion id
const removals = new Map(); // command id -> conclusion id
let kNotRemoved = null; // { id, version }: a removal refused for a stale version
const kAsked = new Map(); // conclusion id -> the version shown when its removal was asked
let drawn = null; // the seed of this page's last random assignment
let lateShown = null; // the late joiners' policy the menu was last set to

// The organizer and the lead facilitator may remove facilitators and close the session.
function leads(m) { return m.me.role === 'organizer' || m.s.session.lead === m.me.id; }

function live(m) { return m.s.rooms.filter((r) => !r.removed); }

// A capacity field: a number, or null (no limit) when empty.
function capacity(sel) { const n = $(sel).value.trim(); return n === '' ? null : Number(n); }

function roomField(sel) { return sel.value === '' ? {} : { room: sel.value }; }

function person(app, p, places) {
  const m = app.model;
  const on = m.online.has(p.id);
  const move = h('select', { 'aria-label': t('facil.move_person', { name: p.name }), 'data-key': `mv-${p.id}`,
    onchange: (ev) => { if (ev.target.value) app.conn.send({ type: 'move_participant', participant: p.id, room: ev.target.value }); } },
  h('option', { value: '', text: t('facil.move_to') }),
  places.filter(([id]) => id !== p.room).map(([id, name]) => h('option', { value: id, text: name })));
  return h('li', { draggable: 'true', class: on ? 'on' : 'off', 'data-person': p.id,
    ondragstart: (ev) => { ev.dataTransfer.setData('text/plain', p.id); ev.dataTransfer.effectAllowed = 'move'; } },
  h('span', { class: 'dot', 'aria-hidden': 'true' }),
  h('span', { class: 'who', text: [personLabel(m, p.id), p.role === 'facilitator' && t('role.facilitator'), m.s.session.lead === p.id && t('role.lead')].filter(Boolean).join(' · ') }),
  h('span', { class: 'sr-only', text: t(on ? 'people.online' : 'people.offline') }), move,
  m.me.role === 'organizer' && p.role === 'facilitator' && m.s.session.lead !== p.id
    ? h('button', { type: 'button', 'data-key': `lead-${p.id}`, text: t('facil.make_lead'), 'aria-label': t('facil.lead_name', { name: p.name }),
      onclick: () => app.conn.send({ type: 'set_lead', participant: p.id }) }) : null,
  p.id !== m.me.id && (p.role === 'delegate' || leads(m)) ? confirmed(() => app.render(app), `rm-${p.id}`,
    { label: t('facil.remove'), aria: t('facil.remove_person', { name: p.name }), ask: t('facil.remove_q', { name: p.name }) },
    () => app.conn.send({ type: 'remove_participant', participant: p.id })) : null);
}

function dropZone(app, place, el) {
  el.addEventListener('dragover', (ev) => { ev.preventDefault(); el.classList.add('over'); });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', (ev) => {
    ev.preventDefault();
    el.classList.remove('over');
    const pid = ev.dataTransfer.getData('text/plain');
    if (pid) app.conn.send({ type: 'move_participant', participant: pid, room: place });
  });
  return el;
}

function roomBox(app, r, places) {
  const m = app.model;
  const cards = m.s.cards.filter((c) => c.room === r.id && !c.hidden);
  const left = m.left(r.id);
  const help = m.s.session.help.filter((x) => x.room === r.id && x.status !== 'resolved').length;
  const people = m.members(r.id).filter((p) => p.role !== 'organizer');
  return dropZone(app, r.id, h('section', { class: `room${r.open ? '' : ' shut'}`, 'aria-label': r.name, 'data-room': r.id },
    h('h3', { text: r.name }),
    h('p', { class: 'meta' },
      h('span', { class: 'pill', text: t(`phase.${r.phase}`) + (r.hidden ? ` (${t('facil.hidden')})` : '') }),
      h('span', { class: 'pill', text: t(r.open ? 'room.open' : 'room.closed') }),
      r.capacity ? h('span', { class: 'pill', text: t('facil.cap', { n: r.capacity }) }) : null,
      h('span', { class: 'pill timer', 'data-timer': r.id, hidden: left === null, text: left === null ? '' : t('timer.left', { time: clock(left) }) }),
      help ? h('span', { class: 'pill alert', text: tn('n.help', help) }) : null),
    h('p', { class: 'counts', text: m.s.workshop.columns.map((c) => `${c.title}: ${cards.filter((x) => x.column === c.key).length}`).join(' · ') }),
    h('p', { class: 'muted', text: t('facil.online_count', { n: people.filter((p) => m.online.has(p.id)).length, of: people.length }) }),
    h('ul', { class: 'people' }, people.map((p) => person(app, p, places))),
    h('button', { type: 'button', 'data-key': `oc-${r.id}`, text: t(r.open ? 'facil.close_room' : 'facil.open_room'),
      onclick: () => app.conn.send({ type: r.open ? 'close_room' : 'open_room', room: r.id }) })));
}

function renderRooms(app) {
  const m = app.model;
  const places = [['lobby', t('room.lobby')], ...live(m).map((r) => [r.id, r.name])];
  const lobby = m.members('lobby').filter((p) => p.role !== 'organizer');
  fill($('#room-grid'),
    dropZone(app, 'lobby', h('section', { class: 'room lobby', 'aria-label': t('room.lobby'), 'data-room': 'lobby' },
      h('h3', { text: `${t('room.lobby')} (${lobby.length})` }),
      h('ul', { class: 'people' }, lobby.map((p) => person(app, p, places))))),
    live(m).map((r) => roomBox(app, r, places)));
}

function renderHelp(app) {
  const m = app.model;
  const open = m.s.session.help.filter((x) => x.status !== 'resolved');
  $('#help-box').hidden = !open.length;
  fill($('#help'), open.map((x) => h('li', { class: x.status },
    h('span', { text: `${personLabel(m, x.participant)} · ${roomName(m, x.room)} · ${x.text || t('help.no_text')} · ${t(`help.${x.status}`)}` }),
    x.status === 'open' ? h('button', { type: 'button', 'data-key': `ha-${x.id}`, text: t('facil.help_ack'), onclick: () => app.conn.send({ type: 'acknowledge_help', request: x.id }) }) : null,
    h('button', { type: 'button', 'data-key': `hr-${x.id}`, text: t('facil.help_resolve'), onclick: () => app.conn.send({ type: 'resolve_help', request: x.id }) }))));
}

function themeTitle(m, key) {
  const th = m.s.workshop.themes.find((x) => x.key === key);
  return th ? th.title : t('facil.untagged');
}

function effectiveTheme(m, c) {
  if (c.theme) return c.theme;
  const g = c.group && m.group(c.group);
  return (g && g.theme) || null;
}

function themeChoices(m) {
  return [['', t('facil.untagged')], ...m.s.workshop.themes.map((th) => [th.key, th.title])];
}

// A menu that acts as soon as an entry is chosen, showing `now`.
function menu(key, label, list, now, act) {
  const sel = h('select', { 'aria-label': label, 'data-key': key, onchange: (ev) => act(ev.target.value) });
  options(sel, list);
  sel.value = now || '';
  return sel;
}

function cardEntry(app, c) {
  const m = app.model;
  const author = m.person(c.author);
  const box = h('input', { type: 'checkbox', id: `cite-${c.id}`, 'data-key': `cite-${c.id}`, onchange: (ev) => {
    if (ev.target.checked) cited.add(c.id); else cited.delete(c.id);
    renderCites(app);
  } });
  box.checked = cited.has(c.id);
  const tag = menu(`tag-${c.id}`, t('facil.tag_card'), themeChoices(m), c.theme,
    (v) => app.conn.send({ type: 'tag_card', card: c.id, theme: v || null }));
  const groups = m.s.groups.filter((g) => g.room === c.room);
  const regroup = groups.length ? menu(`grp-${c.id}`, t('facil.card_group'), [['', t('facil.ungrouped')], ...groups.map((g) => [g.id, g.name])], c.group,
    (v) => app.conn.send({ type: 'move_card_to_group', card: c.id, group: v || null })) : null;
  const moderate = h('button', { type: 'button', class: c.hidden ? '' : 'danger', 'data-key': `hide-${c.id}`,
    text: t(c.hidden ? 'facil.show_card' : 'facil.hide_card'),
    onclick: () => app.conn.send({ type: c.hidden ? 'show_card' : 'hide_card', card: c.id }) });
  const redraw = () => app.render(app);
  let fix = h('button', { type: 'button', 'data-key': `ce-${c.id}`, text: t('card.edit'), onclick: () => { cEdit = { id: c.id, draft: c.text }; redraw(); } });
  if (cEdit && cEdit.id === c.id) {
    const area = h('textarea', { 'aria-label': t('card.edit_label'), 'data-key': `ct-${c.id}`, maxlength: 1000, oninput: (ev) => { cEdit.draft = ev.target.value; } });
    area.value = cEdit.draft;
    fix = h('form', { class: 'edit', onsubmit: (ev) => { ev.preventDefault(); app.conn.send({ type: 'edit_card', card: c.id, text: cEdit.draft }); cEdit = null; redraw(); } },
      area, h('button', { type: 'submit', 'data-key': `cs-${c.id}`, text: t('card.save') }),
      h('button', { type: 'button', text: t('card.cancel'), onclick: () => { cEdit = null; redraw(); } }));
  }
  const remove = confirmed(redraw, `cd-${c.id}`, { label: t('card.delete'), ask: t('facil.delete_card_q') },
    () => app.conn.send({ type: 'delete_card', card: c.id }));
  return h('li', { class: `card${c.hidden ? ' hidden-card' : ''}`, 'data-card': c.id },
    h('label', { for: `cite-${c.id}` }, box, ' ', h('span', { class: 'text', text: c.text })),
    h('p', { class: 'meta', text: [roomName(m, c.room), columnTitle(m, c.column), author && author.country, tn('n.votes', c.votes || 0),
      c.hidden ? t('facil.hidden_card') : null].filter(Boolean).join(' · ') }), h('div', { class: 'actions' }, tag, regroup, moderate, fix, remove));
}

function renderConsolidation(app) {
  const m = app.model;
  const by = $('#by').value || 'theme';
  const key = { theme: (c) => effectiveTheme(m, c), tag: (c) => c.theme, group: (c) => c.group }[by];
  const label = by === 'group' ? (k) => { const g = k && m.group(k); return g ? `${g.name} · ${roomName(m, g.room)}` : t('facil.ungrouped'); } : (k) => themeTitle(m, k);
  const order = by === 'group' ? [...m.s.groups.map((g) => g.id), null] : [...m.s.workshop.themes.map((x) => x.key), null];
  const blocks = order.map((k) => [k, m.s.cards.filter((c) => (key(c) || null) === k)]).filter(([, list]) => list.length);
  fill($('#cons'), blocks.map(([k, list]) => h('section', { class: 'block' }, h('h4', { text: `${label(k)} (${list.length})` }),
    h('ul', { class: 'cards' }, list.map((c) => cardEntry(app, c))))));
}

function renderCites(app) {
  const m = app.model;
  const list = [...cited].map((id) => m.card(id)).filter(Boolean);
  $('#k-cites').textContent = list.length ? t('facil.citing', { cards: tn('n.cards', list.length), rooms: [...new Set(list.map((c) => roomName(m, c.room)))].join(', ') }) : t('facil.citing_none');
}

function support(m, k) {
  const cards = k.cards.map((id) => m.card(id)).filter((c) => c && !c.hidden);
  const rooms = [...new Set(cards.map((c) => roomName(m, c.room)))];
  const countries = [...new Set(cards.map((c) => (m.person(c.author) || {}).country).filter(Boolean))].sort();
  return t('facil.support', { cards: tn('n.cards', cards.length), rooms: rooms.join(', ') || '—', countries: countries.join(', ') || '—', votes: tn('n.votes', cards.reduce((n, c) => n + (c.votes || 0), 0)) });
}

// Up and down among the conclusions of its theme; at either end the button stays focusable
// (aria-disabled) so that the keyboard focus is not lost.
function order(app, k) {
  const same = app.model.s.conclusions.filter((x) => x.theme === k.theme);
  const at = same.indexOf(k);
  return [['k_up', at - 1, 'kup'], ['k_down', at + 1, 'kdown']].map(([label, to, key]) => {
    const edge = to < 0 || to >= same.length;
    return h('button', { type: 'button', 'data-key': `${key}-${k.id}`, 'aria-disabled': edge ? 'true' : null, text: t(`facil.${label}`),
      onclick: () => { if (!edge) app.conn.send({ type: 'move_conclusion', conclusion: k.id, position: to }); } });
  });
}

function conclusionView(app, k) {
  const m = app.model;
  const kids = [h('p', { class: 'meta', text: `${themeTitle(m, k.theme)} · ${t(`facil.status_${k.status}`)} · ${t('facil.version', { n: k.version })}` })];
  if (kEdit && kEdit.id === k.id) {
    if (kEdit.conflict) {
      kids.push(h('div', { class: 'conflict', role: 'alert' }, h('strong', { text: t('facil.conflict', { n: kEdit.conflict }) }),
        h('p', { text: t('facil.conflict_theirs') }), h('blockquote', { text: k.text })));
    }
    const area = h('textarea', { 'aria-label': t('facil.k_text'), 'data-key': `ke-${k.id}`, rows: 3, maxlength: 4000,
      oninput: (ev) => { kEdit.draft = ev.target.value; } });
    area.value = kEdit.draft;
    kids.push(area, h('button', { type: 'button', 'data-key': `ks-${k.id}`, text: t('card.save'), onclick: () => {
      const id = app.conn.send({ type: 'edit_conclusion', conclusion: k.id, version: kEdit.base, text: kEdit.draft });
      edits.set(id, k.id);
    } }), h('button', { type: 'button', text: t('card.cancel'), onclick: () => { kEdit = null; app.render(app); } }));
  } else {
    kids.push(h('p', { class: 'text', text: k.text }));
    kids.push(h('button', { type: 'button', 'data-key': `kedit-${k.id}`, text: t('card.edit'), onclick: () => {
      kEdit = { id: k.id, base: k.version, draft: k.text, conflict: null }; app.render(app);
    } }));
    if (k.status === 'draft') kids.push(h('button', { type: 'button', 'data-key': `kf-${k.id}`, text: t('facil.finalize'),
      onclick: () => app.conn.send({ type: 'edit_conclusion', conclusion: k.id, version: k.version, status: 'final' }) }));
  }
  if (kNotRemoved && kNotRemoved.id === k.id) kids.push(h('p', { class: 'conflict', role: 'alert', text: t('facil.k_not_removed', { n: kNotRemoved.version }) }));
  kids.push(h('div', { class: 'actions' }, order(app, k), confirmed(() => app.render(app), `kr-${k.id}`,
    { label: t('facil.k_remove'), ask: t('facil.k_remove_q'), asked: () => kAsked.set(k.id, k.version) }, () => {
      // Removing what was read when asking: if it changed since, the server says conflict.
      kNotRemoved = null;
      removals.set(app.conn.send({ type: 'remove_conclusion', conclusion: k.id, version: kAsked.get(k.id) }), k.id);
    })));
  kids.push(h('p', { class: 'muted', text: support(m, k) }));
  kids.push(h('ul', { class: 'cited' }, k.cards.map((id) => { const c = m.card(id); return h('li', { text: c ? `${c.text} (${roomName(m, c.room)})` : id }); })));
  return h('li', { class: 'conclusion', 'data-conclusion': k.id }, kids);
}

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

function render(app) {
  const m = app.model;
  if (!m.s) return;
  $('#w-title').textContent = m.s.workshop.title;
  const rooms = live(m).map((r) => [r.id, r.name]);
  for (const sel of document.querySelectorAll('.room-select')) options(sel, [['', t('facil.all_rooms')], ...rooms]);
  options($('#p-phase'), PHASES.map((p) => [p, t(`phase.${p}`)]));
  options($('#a-strategy'), STRATEGIES.map((s) => [s, t(`strategy.${s}`)]));
  options($('#a-scope'), ['lobby', 'everyone'].map((s) => [s, t(`scope.${s}`)]));
  strategyFields();
  $('#a-drawn').textContent = drawn === null ? '' : t('facil.drawn', { seed: drawn });
  // Staff post on any board that is not closed, into one of the workshop's columns.
  const boards = live(m).filter((r) => r.open && r.phase !== 'closed');
  options($('#pc-room'), boards.map((r) => [r.id, r.name]));
  options($('#pc-column'), m.s.workshop.columns.map((c) => [c.key, c.title]));
  $('#pc-form').hidden = !boards.length;
  options($('#by'), ['theme', 'group', 'tag'].map((b) => [b, t(`facil.by_${b}`)]));
  options($('#k-theme'), m.s.workshop.themes.map((x) => [x.key, x.title]));
  const may = leads(m);
  $('#close-ws').hidden = !may || m.s.session.closed;
  $('#reopen-ws').hidden = !may || !m.s.session.closed;
  if (m.s.session.closed) notice(t('workshop.closed'), () => t('workshop.closed'));
  renderManage(app);
  renderHelp(app);
  renderRooms(app);
  renderConsolidation(app);
  renderCites(app);
  fill($('#k-list'), m.s.conclusions.map((k) => conclusionView(app, k)));
}

makeGroupForm($('#gm-box'), h('label', { for: 'gm-theme', 'data-i18n': 'facil.group_theme' }), h('select', { id: 'gm-theme' }),
  h('button', { type: 'button', id: 'gm-tag', 'data-i18n': 'facil.tag' }));

start(render, {
  // Only the timers' text changes each second: open menus and focus stay as they are.
  tick: (app) => {
    for (const el of document.querySelectorAll('[data-timer]')) {
      const left = app.model.left(el.dataset.timer);
      el.hidden = left === null;
      if (left !== null) el.textContent = t('timer.left', { time: clock(left) });
    }
  },
  refused: (app, f) => {
    const kid = edits.get(f.id);
    if (f.code === 'conflict' && removals.has(f.id)) {
      kNotRemoved = { id: removals.get(f.id), version: f.current_version };
      app.render(app);
      return;
    }
    if (f.code === 'conflict' && kEdit && kEdit.id === kid) {
      kEdit.conflict = f.current_version;
      kEdit.base = f.current_version;
      app.render(app);
      return;
    }
    notice(errorText(f.code));
  },
  answer: (app, f, cmd) => {
    // The seed of a draw, so that it can be made again.
    if (f.type === 'ack' && cmd && cmd.type === 'assign_rooms' && cmd.strategy === 'random') {
      drawn = cmd.seed;
      app.render(app);
    }
    if (f.type === 'ack' && edits.has(f.id)) {
      if (kEdit && kEdit.id === edits.get(f.id)) kEdit = null;
      edits.delete(f.id);
      app.render(app);
    }
  },
}).then((app) => {
  if (!app) return;
  import('./audio.js').then((audio) => audio.mountAudio(app));
  const send = (c) => app.conn.send(c);
  $('#broadcast-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send({ type: 'broadcast', text: $('#b-text').value, ...roomField($('#b-room')) });
    $('#b-text').value = '';
  });
  $('#timer-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const seconds = Math.round(Number($('#t-min').value) * 60);
    send({ type: 'start_timer', seconds, warnings: [60, 10].filter((w) => w < seconds), close_at_end: $('#t-close').checked, ...roomField($('#t-room')) });
  });
  $('#t-extend').addEventListener('click', () => send({ type: 'extend_timer', seconds: 60, ...roomField($('#t-room')) }));
  $('#t-pause').addEventListener('click', () => send({ type: 'pause_timer', ...roomField($('#t-room')) }));
  $('#t-resume').addEventListener('click', () => send({ type: 'resume_timer', ...roomField($('#t-room')) }));
  $('#t-cancel').addEventListener('click', () => send({ type: 'cancel_timer', ...roomField($('#t-room')) }));
  $('#phase-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const phase = $('#p-phase').value;
    send({ type: 'set_phase', phase, hidden: phase === 'brainstorm' && $('#p-hidden').checked, ...roomField($('#p-room')) });
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
  $('#back').addEventListener('click', () => send({ type: 'return_to_lobby' }));
  $('#room-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send({ type: 'create_room', name: $('#r-name').value, capacity: capacity('#r-cap') });
    $('#r-name').value = '';
    $('#r-cap').value = '';
  });
  $('#g-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!cited.size) { notice(t('facil.citing_none')); return; }
    send({ type: 'group_cards', cards: [...cited], name: $('#g-name').value });
    $('#g-name').value = '';
  });
  const value = (sel) => $(sel).value;
  $('#re-room').addEventListener('change', () => app.render(app));
  $('#re-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send({ type: 'rename_room', room: value('#re-room'), name: value('#re-name') });
  });
  $('#re-cap-set').addEventListener('click', () => {
    send({ type: 'set_room_capacity', room: value('#re-room'), capacity: capacity('#re-cap') });
  });
  $('#self-select').addEventListener('click', () => send({ type: 'set_self_select', open: !app.model.s.session.self_select }));
  $('#late-set').addEventListener('click', () => send({ type: 'set_late_joiners', policy: value('#late') }));
  wireGroupForm(app);
  $('#gm-tag').addEventListener('click', () => send({ type: 'tag_group', group: value('#gm-group'), theme: value('#gm-theme') || null }));
  $('#close-ws').addEventListener('click', () => send({ type: 'close_workshop' }));
  $('#reopen-ws').addEventListener('click', () => send({ type: 'reopen_workshop' }));
  $('#by').addEventListener('change', () => renderConsolidation(app));
  $('#k-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send({ type: 'add_conclusion', theme: $('#k-theme').value, text: $('#k-text').value, cards: [...cited] });
    $('#k-text').value = '';
    cited.clear();
    app.render(app);
  });
});
