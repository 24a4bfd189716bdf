// The organizer's home: with the admin token, every workshop on this server (title, state,
// people, rooms, created) with its links and QR codes; the ones this browser holds the
// organizer token of open in full (progress, exports, erase).
import { $, h, fill } from './dom.js';
import { t, tn, errorText, current } from './i18n.js';
import { notify, dismiss } from './notices.js';
import { icon } from './icons.js';

const KEY = 'cabildo.admin';

function held(id) {
  try { const s = JSON.parse(localStorage.getItem(`cabildo.session.${id}`)); return s && s.role === 'organizer' ? s : null; } catch { return null; }
}

function linkBox(kind, code) {
  const url = `${location.origin}/j/${code}`;
  return h('div', { class: 'link-box' }, h('h4', { text: t(kind === 'd' ? 'org.delegate_link' : 'org.facilitator_link') }),
    h('code', { text: code }), h('a', { class: 'url', href: url, text: url }),
    h('img', { class: 'qr', src: `/qr.svg?text=${encodeURIComponent(url)}`, alt: t('home.qr_of', { code }), width: 160, height: 160 }));
}

function entry(w, open) {
  const mine = held(w.id);
  const created = new Date(w.created).toLocaleDateString(current(), { year: 'numeric', month: 'short', day: 'numeric' });
  return h('li', { class: 'ws', 'data-workshop': w.id },
    h('div', { class: 'ws-head' }, h('h3', { text: w.title }),
      h('span', { class: `pill ${w.closed ? '' : 'ok'}`, text: t(w.closed ? 'home.closed' : 'home.open') })),
    h('p', { class: 'ws-meta' }, h('span', { text: t('home.created', { date: created }) }),
      h('span', { text: tn('n.delegates', w.delegates) }), h('span', { text: tn('n.countries', w.countries) }),
      h('span', { text: tn('n.rooms', w.rooms) }), h('span', { text: tn('n.cards', w.cards) })),
    h('details', {}, h('summary', { text: t('home.links') }), h('div', { class: 'links' }, linkBox('d', w.delegate_code), linkBox('f', w.facilitator_code))),
    h('div', { class: 'ws-actions' }, mine
      ? h('button', { type: 'button', class: 'primary', 'data-open': w.id, text: t('home.manage'), onclick: () => open(mine) })
      : h('p', { class: 'hint', text: t('home.not_here') })));
}

// Lists the workshops; `open(session)` shows one in full.
export async function list(open, token = sessionStorage.getItem(KEY)) {
  if (!token) return;
  const r = await fetch('/api/admin/workshops', { headers: { Authorization: `Bearer ${token}` } }).catch(() => null);
  if (!r) { notify({ kind: 'error', key: 'home', text: () => t('error.offline') }); return; }
  const v = await r.json().catch(() => ({}));
  if (!r.ok) {
    const why = r.status === 403 || r.status === 401 ? () => t('home.wrong_admin') : () => errorText(v.code);
    notify({ kind: 'error', key: 'home', text: why });
    sessionStorage.removeItem(KEY);
    return;
  }
  dismiss('home');
  sessionStorage.setItem(KEY, token);
  $('#list-admin').value = token;
  if (!$('#admin').value) $('#admin').value = token;
  fill($('#ws-list'), v.length ? v.map((w) => entry(w, open))
    : [h('li', { class: 'empty' }, icon('board'), h('p', { text: t('home.none') }))]);
}

export function wireList(open) {
  $('#list-form').addEventListener('submit', (ev) => { ev.preventDefault(); list(open, $('#list-admin').value); });
  list(open);
}
