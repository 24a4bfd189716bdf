// The agenda as delegates (and the projector) see it: one compact strip above the board:
// the segment now, its time left, what comes next, and the whole agenda on demand.
// Drawn again on every render of the page and each second (the time left).
import { $, h, fill } from './dom.js';
import { at, loadAgendaStrings, onAgendaStrings, runningIndex, reached, schedule, mmss } from './agenda-model.js';

let app = null;

function strip() {
  let box = $('#agenda-strip');
  if (box) return box;
  box = h('section', { id: 'agenda-strip', class: 'agenda-strip', 'aria-labelledby': 'agenda-strip-h', hidden: true });
  const main = $('#main');
  main.prepend(box);
  return box;
}

export function drawStrip() {
  if (!app || !app.model.s) return;
  const a = app.model.s.agenda;
  const box = strip();
  box.hidden = !a || !a.segments.length;
  if (box.hidden) return;
  const run = runningIndex(a);
  const next = a.segments[reached(a)];
  const now = run >= 0 ? a.segments[run] : null;
  const { remaining } = schedule(a, app.model.now());
  const done = a.segments.length && reached(a) === a.segments.length && run < 0;
  const head = now ? at('now', { n: run + 1, of: a.segments.length }) : at(done ? 'over' : 'not_started');
  fill(box,
    h('h2', { id: 'agenda-strip-h', class: 'sr-only', text: at('heading') }),
    h('p', { class: 'agenda-now' },
      h('span', { class: 'agenda-label', text: head }),
      now ? h('strong', { class: 'agenda-title', text: now.plan.title }) : null,
      remaining !== null ? h('span', { class: 'agenda-left', 'data-agenda-left': '', text: remaining >= 0 ? at('left', { time: mmss(remaining) }) : at('over_by', { time: mmss(-remaining) }) }) : null,
      next ? h('span', { class: 'agenda-next', text: at('next', { title: next.plan.title }) }) : null),
    h('details', { class: 'agenda-all' },
      h('summary', { text: at('whole') }),
      h('ol', {}, a.segments.map((x) => h('li', { class: `seg-${x.status}` },
        h('span', { text: x.plan.title }),
        x.plan.minutes ? h('span', { class: 'muted', text: ` · ${at('minutes', { n: x.plan.minutes })}` }) : null,
        h('span', { class: 'muted', text: ` · ${at(`status.${x.status}`)}` }))))));
}

// Keeps the <details> open across redraws: only the time changes each second.
export async function mountStrip(theApp) {
  app = theApp;
  await loadAgendaStrings();
  onAgendaStrings(() => drawStrip());
  let shown = '';
  const draw = () => {
    const m = app.model;
    if (!m.s) return;
    const sig = JSON.stringify([m.s.agenda, Math.floor(m.now() / 1000)]);
    if (sig === shown) return;
    const open = $('#agenda-strip details') && $('#agenda-strip details').open;
    shown = sig;
    drawStrip();
    if (open) $('#agenda-strip details').open = true;
  };
  draw();
  setInterval(draw, 1000);
  return draw;
}
