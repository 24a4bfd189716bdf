// A roster person's personal link (`/#link=WORKSHOP.SECRET`): joins as the person the
// organizer registered, with no form, and opens their page. Strings: <lang>.roster.json.
import { $, h } from './dom.js';
import { current, LANGS } from './i18n.js';
import { saveSession } from './session.js';
import { notify } from './notices.js';

async function rt(key) {
  const r = await fetch(`/static/i18n/${current()}.roster.json`).catch(() => null);
  const dict = r && r.ok ? await r.json() : {};
  return dict[key] || key;
}

// Returns true when the address is a personal link (then the code form stays hidden).
export async function personalLink() {
  const m = location.hash.match(/^#link=([0-9a-f-]{36})\.([0-9a-f]{16,128})$/i);
  if (!m) return false;
  const [, workshop, link] = m;
  $('#code-form').hidden = true;
  const wait = h('p', { id: 'link-joining', class: 'panel', role: 'status', text: await rt('link.joining') });
  $('#code-form').before(wait);
  // The reader's language first, then the others, until one is among the workshop's.
  for (const language of [current(), ...LANGS.filter((l) => l !== current())]) {
    let r;
    try {
      r = await fetch(`/api/workshops/${workshop}/roster/join`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ link, language }),
      });
    } catch {
      wait.textContent = await rt('link.offline');
      return true;
    }
    const v = await r.json().catch(() => ({}));
    if (r.ok) {
      saveSession({ workshop: v.workshop_id, token: v.token, participant: v.participant_id, role: v.role, language: v.language, title: '' });
      history.replaceState(null, '', '/');
      location.assign(`/${v.role === 'delegate' ? 'delegate' : 'facilitator'}?w=${v.workshop_id}&lang=${v.language}`);
      return true;
    }
    if (r.status === 400 && v.code === 'invalid') continue;
    const key = r.status === 403 ? 'link.revoked' : r.status === 401 ? 'link.unknown' : v.code === 'closed' ? 'link.closed' : 'link.failed';
    wait.textContent = await rt(key);
    notify({ kind: 'error', key: 'join', text: wait.textContent });
    $('#code-form').hidden = false;
    return true;
  }
  return true;
}
