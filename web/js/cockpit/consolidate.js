// The consolidation workspace: every room's cards in one view, filtered by room, column,
// theme and votes, sorted by votes or time; each card is selected to GROUP and marked to
// CITE separately (a card grouped is not cited by the next conclusion, defect 10 of #17);
// conclusions with their live support (rooms, countries, votes) shown as they are written.
import { $, h, fill, options } from '../dom.js';
import { t, tn } from '../i18n.js';
import { Kept, place, setOptions, setText, keepFocus } from './keyed.js';
import { roomName, confirmed } from '../common.js';
import { barChart } from '../charts.js';
import { ct, titleIn, drawnIn } from './strings.js';

export const cited = new Set();
export const picked = new Set();
let kEdit = null; // { id, base, draft, conflict }
let cEdit = null; // { id, draft }: a card a facilitator is correcting
export const edits = new Map(); // command id -> conclusion id
export const removals = new Map(); // command id -> conclusion id
let kNotRemoved = null; // { id, version }: a removal refused for a stale version
const kAsked = new Map(); // conclusion id -> the version shown when its removal was asked
const PAGE = 100; // cards drawn at first, and added by "Show more" (2,000 cards stay quick)
let limit = PAGE;

function untagged(m, key) { return key ? titleIn(m, 'theme', key) : t('facil.untagged'); }

function effectiveTheme(m, c) {
  if (c.theme) return c.theme;
  const g = c.group && m.group(c.group);
  return (g && g.theme) || null;
}

export function themeChoices(m) {
  return [['', t('facil.untagged')], ...m.s.workshop.themes.map((th) => [th.key, titleIn(m, 'theme', th.key)])];
}

// A menu that acts as soon as an entry is chosen, showing `now`.
function menu(key, label, list, now, act) {
  const sel = h('select', { 'aria-label': label, 'data-key': key, onchange: (ev) => act(ev.target.value) });
  options(sel, list);
  sel.value = now || '';
  return sel;
}

function toggle(app, set, prefix, c, label) {
  const box = h('input', { type: 'checkbox', id: `${prefix}-${c.id}`, 'data-key': `${prefix}-${c.id}`, onchange: (ev) => {
    if (ev.target.checked) set.add(c.id); else set.delete(c.id);
    renderPicks(app);
  } });
  box.checked = set.has(c.id);
  return h('label', { class: `mark ${prefix}`, for: `${prefix}-${c.id}` }, box, h('span', { text: label }));
}

// Each card's entry is kept while nothing it shows changed (keyed.js): an event redraws the
// entries of the cards it touched, and moves the others only when their order changed.
const entries = new Kept(); // card id -> li
let cAsked = null; // the card whose deletion is being asked, or that is being corrected

function cardSig(m, c) {
  const author = m.person(c.author);
  return [drawnIn(), c.text, c.votes, c.theme, c.group, c.hidden, c.room, roomName(m, c.room), c.column, author && author.country,
    cEdit && cEdit.id === c.id, m.s.groups.filter((g) => g.room === c.room).map((g) => `${g.id}=${g.name}`).join(','),
    m.s.workshop.themes.map((x) => `${x.key}=${x.title}`).join(','), m.s.workshop.columns.map((x) => `${x.key}=${x.title}`).join(',')].join('|');
}

function cardEntry(app, c) {
  const m = app.model;
  const author = m.person(c.author);
  const tag = menu(`tag-${c.id}`, t('facil.tag_card'), themeChoices(m), c.theme,
    (v) => app.conn.send({ type: 'tag_card', card: c.id, theme: v || null }));
  const groups = m.s.groups.filter((g) => g.room === c.room);
  const regroup = groups.length ? menu(`grp-${c.id}`, t('facil.card_group'), [['', t('facil.ungrouped')], ...groups.map((g) => [g.id, g.name])], c.group,
    (v) => app.conn.send({ type: 'move_card_to_group', card: c.id, group: v || null })) : null;
  const moderate = h('button', { type: 'button', class: c.hidden ? 'small' : 'small danger', 'data-key': `hide-${c.id}`,
    text: t(c.hidden ? 'facil.show_card' : 'facil.hide_card'),
    onclick: () => app.conn.send({ type: c.hidden ? 'show_card' : 'hide_card', card: c.id }) });
  const redraw = () => { entries.forget(c.id); if (cAsked) entries.forget(cAsked); cAsked = c.id; app.render(app); };
  let fix = h('button', { type: 'button', class: 'small', 'data-key': `ce-${c.id}`, text: t('card.edit'), onclick: () => { cEdit = { id: c.id, draft: c.text }; redraw(); } });
  if (cEdit && cEdit.id === c.id) {
    const area = h('textarea', { 'aria-label': t('card.edit_label'), 'data-key': `ct-${c.id}`, maxlength: 1000, oninput: (ev) => { cEdit.draft = ev.target.value; } });
    area.value = cEdit.draft;
    fix = h('form', { class: 'edit', onsubmit: (ev) => { ev.preventDefault(); app.conn.send({ type: 'edit_card', card: c.id, text: cEdit.draft }); cEdit = null; redraw(); } },
      area, h('button', { type: 'submit', 'data-key': `cs-${c.id}`, text: t('card.save') }),
      h('button', { type: 'button', text: t('card.cancel'), onclick: () => { cEdit = null; redraw(); } }));
  }
  const remove = confirmed(redraw, `cd-${c.id}`, { label: t('card.delete'), ask: t('facil.delete_card_q') },
    () => app.conn.send({ type: 'delete_card', card: c.id }));
  return h('li', { class: `card${c.hidden ? ' hidden-card' : ''}`, 'data-card': c.id, draggable: 'true',
    ondragstart: (ev) => { ev.dataTransfer.setData('text/plain', `card:${c.id}`); ev.dataTransfer.effectAllowed = 'move'; } },
    h('p', { class: 'text', text: c.text }),
    h('p', { class: 'meta', text: [roomName(m, c.room), titleIn(m, 'column', c.column), author && author.country, tn('n.votes', c.votes || 0),
      c.hidden ? t('facil.hidden_card') : null].filter(Boolean).join(' · ') }),
    h('div', { class: 'marks' }, toggle(app, picked, 'pick', c, ct('ck.pick')), toggle(app, cited, 'cite', c, ct('ck.cite'))),
    h('div', { class: 'actions' }, tag, regroup, moderate, fix, remove));
}

// The filters' menus, filled from the workshop (choices kept while offered).
export function renderFilters(m) {
  const all = ['', ct('ck.all')];
  setOptions($('#f-room'), [all, ...m.s.rooms.filter((r) => !r.removed).map((r) => [r.id, r.name])]);
  setOptions($('#f-column'), [all, ...m.s.workshop.columns.map((c) => [c.key, titleIn(m, 'column', c.key)])]);
  setOptions($('#f-theme'), [all, ['-', t('facil.untagged')], ...m.s.workshop.themes.map((x) => [x.key, titleIn(m, 'theme', x.key)])]);
  setOptions($('#f-sort'), [['votes', ct('ck.sort_votes')], ['time', ct('ck.sort_time')]]);
}

function filtered(m) {
  const room = $('#f-room').value;
  const column = $('#f-column').value;
  const theme = $('#f-theme').value;
  const least = Number($('#f-votes').value) || 0;
  const list = m.s.cards.filter((c) => (!room || c.room === room) && (!column || c.column === column)
    && (!theme || (theme === '-' ? !effectiveTheme(m, c) : effectiveTheme(m, c) === theme)) && (c.votes || 0) >= least);
  if ($('#f-sort').value !== 'time') list.sort((a, b) => (b.votes || 0) - (a.votes || 0) || a.seq - b.seq);
  return list;
}

// A block of the workspace takes the cards dropped on it: into its group (arranged by
// group), or onto its theme (arranged by theme or tag). The menus on each card do the same
// from the keyboard.
function dropCards(app, by, k, el) {
  el.addEventListener('dragover', (ev) => { ev.preventDefault(); el.classList.add('over'); });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', (ev) => {
    ev.preventDefault();
    el.classList.remove('over');
    const data = ev.dataTransfer.getData('text/plain');
    if (!data.startsWith('card:')) return;
    const card = data.slice(5);
    if (by === 'group') app.conn.send({ type: 'move_card_to_group', card, group: k || null });
    else app.conn.send({ type: 'tag_card', card, theme: k || null });
  });
  return el;
}

// The blocks (a theme or a group each) are kept by key too; only their heading, chart and
// cards change in place.
const blocks = new Map(); // `${by}:${key}` -> { el, head, chart, list }

function blockOf(app, by, k) {
  const id = `${by}:${k || ''}`;
  let b = blocks.get(id);
  if (!b) {
    b = { head: h('h4'), chart: null, chartSig: null, list: h('ul', { class: 'cards' }) };
    b.el = dropCards(app, by, k, h('section', { class: 'block', 'data-block': k || '' }, b.head, b.list));
    blocks.set(id, b);
  }
  return b;
}

export function renderConsolidation(app) {
  const m = app.model;
  const by = $('#by').value || 'theme';
  const key = { theme: (c) => effectiveTheme(m, c), tag: (c) => c.theme, group: (c) => c.group }[by];
  const label = by === 'group' ? (k) => { const g = k && m.group(k); return g ? `${g.name} · ${roomName(m, g.room)}` : t('facil.ungrouped'); } : (k) => untagged(m, k);
  const order = by === 'group' ? [...m.s.groups.map((g) => g.id), null] : [...m.s.workshop.themes.map((x) => x.key), null];
  const all = filtered(m);
  const cards = all.slice(0, limit);
  setText($('#f-shown'), ct('ck.shown', { n: all.length, total: m.s.cards.length }));
  // Every theme or group is a block, empty ones too (cards can be dropped on them).
  const grouped = new Map(order.map((k) => [k, []]));
  for (const c of cards) { const k = key(c) || null; if (grouped.has(k)) grouped.get(k).push(c); }
  const shown = [...grouped].filter(([k, list]) => list.length || k !== null);
  const votes = (list) => list.reduce((n, c) => n + (c.votes || 0), 0);
  // Arranged by group, each group's votes are a bar on one scale, the most voted group's
  // full, so the groups compare at a glance; the heading above names the group.
  const most = by === 'group' ? Math.max(1, ...shown.filter(([k]) => k).map(([, list]) => votes(list))) : 0;
  const more = all.length - cards.length;
  entries.keep(new Set(m.s.cards.map((c) => c.id)));
  const box = $('#cons');
  keepFocus(box, () => {
    const els = shown.map(([k, list]) => {
      const b = blockOf(app, by, k);
      setText(b.head, `${label(k)} (${list.length})`);
      const chartSig = by === 'group' && k ? `${drawnIn()}|${votes(list)}|${most}` : null;
      if (chartSig !== b.chartSig) {
        if (b.chart) b.chart.remove();
        b.chart = chartSig ? barChart([{ name: tn('n.votes', votes(list)), value: votes(list), label: '' }], { max: most }) : null;
        if (b.chart) b.head.after(b.chart);
        b.chartSig = chartSig;
      }
      place(b.list, list.map((c) => {
        const el = entries.get(c.id, cardSig(m, c), () => cardEntry(app, c));
        for (const [set, prefix] of [[picked, 'pick'], [cited, 'cite']]) {
          const box = el.querySelector(`#${prefix}-${CSS.escape(c.id)}`);
          if (box && box.checked !== set.has(c.id)) box.checked = set.has(c.id);
        }
        return el;
      }));
      return b.el;
    });
    if (more > 0) {
      if (!moreButton) moreButton = h('button', { type: 'button', 'data-key': 'cons-more', onclick: () => { limit += PAGE; renderConsolidation(app); } });
      setText(moreButton, ct('ck.more', { n: Math.min(PAGE, more) }));
      els.push(moreButton);
    }
    place(box, els);
  });
}
let moreButton = null;

// What the cited cards bring a conclusion: rooms, countries, votes.
function supportOf(m, ids) {
  const cards = ids.map((id) => m.card(id)).filter((c) => c && !c.hidden);
  const rooms = [...new Set(cards.map((c) => roomName(m, c.room)))];
  const countries = [...new Set(cards.map((c) => (m.person(c.author) || {}).country).filter(Boolean))].sort();
  const votes = cards.reduce((n, c) => n + (c.votes || 0), 0);
  return { cards, rooms, countries, votes };
}

function supportText(s) {
  return t('facil.support', { cards: tn('n.cards', s.cards.length), rooms: s.rooms.join(', ') || '—', countries: s.countries.join(', ') || '—', votes: tn('n.votes', s.votes) });
}

// The selections' summaries and the conclusion being written's live support.
export function renderPicks(app) {
  const m = app.model;
  const list = [...cited].map((id) => m.card(id)).filter(Boolean);
  $('#k-cites').textContent = list.length ? t('facil.citing', { cards: tn('n.cards', list.length), rooms: [...new Set(list.map((c) => roomName(m, c.room)))].join(', ') }) : ct('ck.citing_none');
  const s = supportOf(m, [...cited]);
  const perRoom = s.rooms.map((name) => ({ name, value: s.cards.filter((c) => roomName(m, c.room) === name).length }));
  fill($('#k-live'), list.length ? [h('p', { class: 'hint', text: `${ct('ck.live_support')} ${supportText(s)}` }),
    barChart(perRoom, { caption: ct('ck.by_room'), tone: 'rooms' })] : []);
  const g = [...picked].map((id) => m.card(id)).filter(Boolean);
  $('#g-picked').textContent = g.length ? ct('ck.picked', { cards: tn('n.cards', g.length) }) : ct('ck.picked_none');
}

// Up and down among the conclusions of its theme; at either end the button stays focusable
// (aria-disabled) so that the keyboard focus is not lost.
function order(app, k) {
  const same = app.model.s.conclusions.filter((x) => x.theme === k.theme);
  const at = same.indexOf(k);
  return [['k_up', at - 1, 'kup'], ['k_down', at + 1, 'kdown']].map(([label, to, key]) => {
    const edge = to < 0 || to >= same.length;
    return h('button', { type: 'button', class: 'small', 'data-key': `${key}-${k.id}`, 'aria-disabled': edge ? 'true' : null, text: t(`facil.${label}`),
      onclick: () => { if (!edge) app.conn.send({ type: 'move_conclusion', conclusion: k.id, position: to }); } });
  });
}

function conclusionView(app, k) {
  const m = app.model;
  const kids = [h('p', { class: 'meta', text: `${untagged(m, k.theme)} · ${t(`facil.status_${k.status}`)} · ${t('facil.version', { n: k.version })}` })];
  if (kEdit && kEdit.id === k.id) {
    if (kEdit.conflict) {
      kids.push(h('div', { class: 'conflict', role: 'alert' }, h('strong', { text: t('facil.conflict', { n: kEdit.conflict }) }),
        h('p', { text: t('facil.conflict_theirs') }), h('blockquote', { text: k.text })));
    }
    const area = h('textarea', { 'aria-label': t('facil.k_text'), 'data-key': `ke-${k.id}`, rows: 3, maxlength: 4000,
      oninput: (ev) => { kEdit.draft = ev.target.value; } });
    area.value = kEdit.draft;
    kids.push(area, h('button', { type: 'button', class: 'primary', 'data-key': `ks-${k.id}`, text: t('card.save'), onclick: () => {
      const id = app.conn.send({ type: 'edit_conclusion', conclusion: k.id, version: kEdit.base, text: kEdit.draft });
      edits.set(id, k.id);
    } }), h('button', { type: 'button', text: t('card.cancel'), onclick: () => { kEdit = null; app.render(app); } }));
  } else {
    kids.push(h('p', { class: 'text', text: k.text }));
    kids.push(h('button', { type: 'button', class: 'small', 'data-key': `kedit-${k.id}`, text: t('card.edit'), onclick: () => {
      kEdit = { id: k.id, base: k.version, draft: k.text, conflict: null }; app.render(app);
    } }));
    if (k.status === 'draft') kids.push(h('button', { type: 'button', class: 'small', 'data-key': `kf-${k.id}`, text: t('facil.finalize'),
      onclick: () => app.conn.send({ type: 'edit_conclusion', conclusion: k.id, version: k.version, status: 'final' }) }));
  }
  if (kNotRemoved && kNotRemoved.id === k.id) kids.push(h('p', { class: 'conflict', role: 'alert', text: t('facil.k_not_removed', { n: kNotRemoved.version }) }));
  kids.push(h('div', { class: 'actions' }, order(app, k), confirmed(() => app.render(app), `kr-${k.id}`,
    { label: t('facil.k_remove'), ask: t('facil.k_remove_q'), asked: () => kAsked.set(k.id, k.version) }, () => {
      // Removing what was read when asking: if it changed since, the server says conflict.
      kNotRemoved = null;
      removals.set(app.conn.send({ type: 'remove_conclusion', conclusion: k.id, version: kAsked.get(k.id) }), k.id);
    })));
  kids.push(h('p', { class: 'muted', text: supportText(supportOf(m, k.cards)) }));
  kids.push(h('ul', { class: 'cited' }, k.cards.map((id) => { const c = m.card(id); return h('li', { text: c ? `${c.text} (${roomName(m, c.room)})` : id }); })));
  return h('li', { class: 'conclusion', 'data-conclusion': k.id }, kids);
}

// Drawn again when the conclusions, the cards they cite or their editing state changed.
let conclusionsShown = null;
export function renderConclusions(app) {
  const m = app.model;
  const sig = JSON.stringify([drawnIn(), m.s.conclusions, kEdit && [kEdit.id, kEdit.conflict], kNotRemoved, m.s.workshop.themes,
    m.s.conclusions.map((k) => k.cards.map((id) => { const c = m.card(id); return c && [c.text, c.votes, c.hidden, roomName(m, c.room), (m.person(c.author) || {}).country]; }))]);
  if (!app.redrawConclusions && sig === conclusionsShown) return;
  conclusionsShown = sig;
  app.redrawConclusions = false;
  fill($('#k-list'), m.s.conclusions.map((k) => conclusionView(app, k)));
}

// A refused edit or removal of a conclusion: shown in place. Returns whether it was one.
export function conclusionRefused(app, f) {
  if (f.code === 'conflict' && removals.has(f.id)) {
    kNotRemoved = { id: removals.get(f.id), version: f.current_version };
    app.render(app);
    return true;
  }
  if (f.code === 'conflict' && kEdit && kEdit.id === edits.get(f.id)) {
    kEdit.conflict = f.current_version;
    kEdit.base = f.current_version;
    app.render(app);
    return true;
  }
  return false;
}

// An edit went through: the editor closes.
export function conclusionSaved(app, f) {
  if (!edits.has(f.id)) return;
  if (kEdit && kEdit.id === edits.get(f.id)) kEdit = null;
  edits.delete(f.id);
  app.render(app);
}
