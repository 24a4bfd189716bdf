// The join page: a code (typed, or from a /j/CODE link), then name, country and language.
import { $, h } from './dom.js';
import { load, t, errorText, switcher, current, onChange, choose } from './i18n.js';
import { countries } from './countries.js';
import { saveSession } from './session.js';
import { notify, dismiss } from './notices.js';

let found = null;

function notice(text) { notify({ kind: 'error', key: 'join', text }); }

function fillCountries() {
  const q = $('#country-search').value.trim().toLowerCase();
  const sel = $('#country');
  const keep = sel.value;
  const list = countries(current()).filter((c) => !q || c.name.toLowerCase().includes(q) || c.code.toLowerCase() === q);
  sel.replaceChildren(...list.map((c) => h('option', { value: c.code, text: `${c.name} (${c.code})` })));
  if (list.some((c) => c.code === keep)) sel.value = keep;
  else if (list.length === 1) sel.value = list[0].code;
}

function fillLanguages() {
  if (!found) return;
  const sel = $('#language');
  sel.replaceChildren(...found.languages.map((l) => h('option', { value: l, text: t(`lang.${l}`) })));
  sel.value = found.languages.includes(current()) ? current() : found.languages[0];
}

async function lookup(code) {
  const r = await fetch(`/api/codes/${encodeURIComponent(code)}`);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) { notice(r.status === 404 ? t('join.no_such_code') : errorText(body.code)); return; }
  found = { ...body, code };
  dismiss('join');
  $('#code-form').hidden = true;
  $('#join-form').hidden = false;
  $('#w-title').textContent = body.title;
  $('#w-role').textContent = t(`join.as_${body.role}`);
  $('#country').required = body.role === 'delegate';
  fillLanguages();
  fillCountries();
  $('#name').focus();
}

async function join(ev) {
  ev.preventDefault();
  const body = { code: found.code, name: $('#name').value, language: $('#language').value };
  if ($('#country').value) body.country = $('#country').value;
  $('#join-button').disabled = true;
  try {
    const r = await fetch(`/api/workshops/${found.workshop}/join`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const v = await r.json().catch(() => ({}));
    if (!r.ok) { notice(errorText(v.code)); return; }
    saveSession({ workshop: v.workshop_id, token: v.token, participant: v.participant_id, role: v.role, language: v.language, title: found.title });
    location.assign(`/${v.role === 'delegate' ? 'delegate' : 'facilitator'}?w=${v.workshop_id}&lang=${v.language}`);
  } catch {
    notice(t('error.offline'));
  } finally {
    $('#join-button').disabled = false;
  }
}

async function main() {
  await load();
  switcher($('#lang'));
  onChange(() => { fillCountries(); fillLanguages(); if (found) $('#w-role').textContent = t(`join.as_${found.role}`); });
  $('#language').addEventListener('change', () => choose($('#language').value));
  $('#country-search').addEventListener('input', fillCountries);
  $('#code-form').addEventListener('submit', (ev) => { ev.preventDefault(); lookup($('#code').value.trim()); });
  $('#join-form').addEventListener('submit', join);
  if (await import('./roster-link.js').then((r) => r.personalLink())) return;
  const m = location.pathname.match(/^\/j\/([^/]+)/);
  if (m) { $('#code').value = decodeURIComponent(m[1]); lookup($('#code').value); }
}

main();
