// A link to the review of the conclusions (web/review.html), for the delegate's board and
// the facilitator's cockpit: always there for staff; for a delegate once a review is open
// (looked up at start and on `review_opened`). Strings: web/i18n/<lang>.review.json.
import { h } from './dom.js';
import { current, onChange } from './i18n.js';

export async function reviewLink(app, where) {
  let dict = {};
  let open = false;
  const link = h('a', { id: 'review-link', class: 'review-link', href: `/review?w=${encodeURIComponent(app.session.workshop)}` });
  const draw = async () => {
    const r = await fetch(`/static/i18n/${current()}.review.json`);
    if (r.ok) dict = await r.json();
    link.textContent = dict[app.model.staff ? 'rv.link' : 'rv.link_open'] || 'Review';
    link.hidden = !app.model.staff && !open;
  };
  const check = async () => {
    const r = await fetch(`/api/workshops/${app.session.workshop}/review`, { headers: { Authorization: `Bearer ${app.session.token}` } });
    open = r.ok && !(await r.json()).closed;
    await draw();
  };
  where.append(link);
  onChange(draw);
  const event = app.model.event.bind(app.model);
  app.model.event = (f) => { event(f); if (f.event.type === 'review_opened' || f.event.type === 'review_closed') check(); };
  await check();
}
