// The projector link of a workshop, made by a staff member (POST /api/workshops/{id}/projector,
// docs/PROTOCOL.md "Projector link") and opened in a new tab. Used by the facilitator's
// cockpit; the organizer's home can import it too. `say(kind, text)` shows the outcome.
import { errorText } from '../i18n.js';
import { ct } from './strings.js';

// Makes a new link (the previous one stops working); resolves to its address or null.
export async function projectorLink(session) {
  const r = await fetch(`/api/workshops/${encodeURIComponent(session.workshop)}/projector`, {
    method: 'POST', headers: { Authorization: `Bearer ${session.token}` },
  });
  const body = await r.json();
  if (!r.ok) throw new Error(body.code || 'unavailable');
  return body.url;
}

export async function openProjector(session, say) {
  try {
    window.open(await projectorLink(session), '_blank', 'noopener');
    say('info', ct('ck.projector_opened'));
  } catch (e) {
    say('error', errorText(e.message === 'Failed to fetch' ? 'unavailable' : e.message));
  }
}
