// Who is on audio, muted or speaking, on each room tile (issue #18). The audio panel
// (audio.js) asks the server for `audio_roster` frames (`audio_watch`,
// docs/protocol/audio.md); the cockpit reads the same frames as they pass through the
// connection, and each person's entry on the tiles shows a microphone in that state.
import { h } from '../dom.js';
import { ct } from './strings.js';

const voices = new Map(); // participant id -> 'speaking' | 'muted' | 'connected'

// A person's audio state now (null: not on audio).
export const voiceOf = (id) => voices.get(id) || null;

// Reads the roster frames that reach `conn` (installed after the audio panel, so that it
// sees every frame before the panel takes the audio ones); `changed` runs when they change.
export function readVoices(conn, changed) {
  const next = conn.frame;
  conn.frame = (f) => {
    if (f && (f.type === 'audio_roster' || f.type === 'welcome')) {
      voices.clear();
      for (const r of (f.type === 'audio_roster' && f.rooms) || []) {
        for (const p of r.participants) voices.set(p.participant, p.talking ? 'speaking' : p.muted ? 'muted' : 'connected');
      }
      changed();
    }
    next(f);
  };
}

// The microphone's paths (24×24, stroked in currentColor like icons.js): on, and struck out.
const NS = ['http:', '', 'www.w3.org', '2000', 'svg'].join('/');
const MIC = ['M12 2a3 3 0 0 0-3 3v7a3 3 0 0 0 6 0V5a3 3 0 0 0-3-3z', 'M19 10v2a7 7 0 0 1-14 0v-2', 'M12 19v3'];
const MUTED = ['M2 2l20 20', 'M9 9v3a3 3 0 0 0 5.1 2.1', 'M15 9.3V5a3 3 0 0 0-5.9-.6', 'M17 17a7 7 0 0 1-12-5v-2', 'M19 10v2a7 7 0 0 1-.1 1.2', 'M12 19v3'];

// The small microphone beside a person on audio, with its state in words for screen readers.
export function micBadge(state) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of state === 'muted' ? MUTED : MIC) {
    const p = document.createElementNS(NS, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  const words = ct(`ck.mic_${state}`);
  return h('span', { class: 'mic', 'data-audio': state, title: words }, svg, h('span', { class: 'sr-only', text: words }));
}
