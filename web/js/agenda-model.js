// The agenda in the participant's copy of the workshop (snapshot field `agenda`, kept up to
// date by the four agenda events), the agenda's strings (web/i18n/<lang>.agenda.json) and
// planned against actual, as src/domain/agenda.rs computes it (docs/protocol/agenda.md).
import { current, onChange } from './i18n.js';

let dict = {};
let loaded = null;
const listeners = [];

export async function loadAgendaStrings(lang = current()) {
  if (loaded === lang) return;
  const r = await fetch(`/static/i18n/${lang}.agenda.json`);
  dict = await r.json();
  loaded = lang;
  for (const f of listeners) f(lang);
}
onChange((l) => { loadAgendaStrings(l); });
export const onAgendaStrings = (f) => listeners.push(f);

export function at(key, vars) {
  let s = dict[key];
  if (s === undefined) return key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
  return s;
}

const pending = (plan) => ({ plan, status: 'pending', started_at: null, ended_at: null, extended: 0 });

// Folds an agenda event into the snapshot `s` (as Workshop::apply_agenda does).
export function applyAgenda(s, e) {
  if (!s.agenda) s.agenda = { segments: [], version: 0 };
  const a = s.agenda;
  const seg = (i) => (i === null || i === undefined ? null : a.segments[i]);
  switch (e.type) {
    case 'agenda_set': a.segments = [...a.segments.slice(0, e.from), ...e.segments.map(pending)]; break;
    case 'agenda_advanced': {
      const ended = seg(e.ended);
      if (ended) Object.assign(ended, { status: 'done', ended_at: e.at });
      const started = seg(e.started);
      if (started) Object.assign(started, { status: 'running', started_at: e.at });
      break;
    }
    case 'segment_skipped': { const x = seg(e.segment); if (x) Object.assign(x, { status: 'skipped', ended_at: e.at }); break; }
    case 'segment_extended': { const x = seg(e.segment); if (x) x.extended += e.minutes; break; }
    default: return false;
  }
  a.version += 1;
  return true;
}

export const reached = (a) => { let n = 0; while (n < a.segments.length && a.segments[n].status !== 'pending') n += 1; return n; };
export const runningIndex = (a) => a.segments.findIndex((x) => x.status === 'running');

// Planned against actual at `now`: {behind, remaining} in seconds (null when unknown).
export function schedule(a, now) {
  const mins = (x) => x.plan.minutes || 0;
  const first = a.segments[0];
  if (!first || first.started_at === null) return { behind: null, remaining: null };
  const done = a.segments.slice(0, reached(a));
  const planned = first.started_at + 60000 * done.filter((x) => x.status !== 'skipped').reduce((n, x) => n + mins(x), 0);
  const run = done.find((x) => x.status === 'running');
  let end = now;
  let remaining = null;
  if (run) {
    const e = run.started_at + 60000 * (mins(run) + run.extended);
    end = Math.max(e, now);
    if (run.plan.minutes) remaining = Math.floor((e - now) / 1000);
  } else {
    end = Math.max(...done.map((x) => x.ended_at || 0));
  }
  return { behind: Math.floor((end - planned) / 1000), remaining };
}

// "12:05" or "-3:10" for a number of seconds.
export function mmss(sec) {
  const sign = sec < 0 ? '-' : '';
  const s = Math.abs(sec);
  return `${sign}${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// "+4 min behind plan", "2 min ahead of plan", "on time" (null before the start).
export function lateness(a, now) {
  const { behind } = schedule(a, now);
  if (behind === null) return null;
  const min = Math.round(behind / 60);
  if (min === 0) return { kind: 'on_time', text: at('on_time') };
  return min > 0 ? { kind: 'late', text: at('behind', { n: min }) } : { kind: 'ahead', text: at('ahead', { n: -min }) };
}

export const segmentTitle = (x) => x.plan.title;
