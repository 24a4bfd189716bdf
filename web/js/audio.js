// The audio panel: the room's voice through Cabildo (Janus AudioBridge behind it). Join and
// leave, mute, who is connected, muted and speaking; staff also listen in to any room (or
// the lobby, the plenary) and mute a participant. Self-contained: mountAudio(app) finds
// <section id="audio" hidden> and fills it; its strings are in /static/i18n/<lang>.audio.json.
// Audio messages are live state: they never enter the command outbox, and after a
// reconnection the panel joins again by itself.
import { $, h, fill, say, uid, options } from './dom.js';
import { current, onChange } from './i18n.js';
import { personLabel, roomName } from './common.js';

let words = {};
const tr = (key, vars) => {
  let s = words[key] === undefined ? key : words[key];
  for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
  return s;
};

async function loadWords() {
  try {
    const r = await fetch(`/static/i18n/${current()}.audio.json`);
    words = await r.json();
  } catch { words = {}; }
}

// How long ICE gathering may take before the offer goes as it is.
const GATHER_MS = 3000;

export async function mountAudio(app) {
  const box = $('#audio');
  if (!box) return;
  box.classList.add('panel');
  box.setAttribute('aria-labelledby', 'audio-h');
  await loadWords();
  const conn = app.conn;
  const staff = () => app.model.me && app.model.me.role !== 'delegate';
  const st = {
    offered: false, available: false, wanted: false, joining: false, muted: false,
    listen: '', heard: null, roster: [], problem: null, pc: null, stream: null,
  };
  const player = h('audio', { autoplay: true });
  const waiting = new Map();

  function ask(msg, then) {
    if (!conn.ready) return false;
    const id = `audio-${uid()}`;
    waiting.set(id, then || (() => {}));
    conn.ws.send(JSON.stringify({ ...msg, id }));
    return true;
  }

  const frame = conn.frame.bind(conn);
  conn.frame = (f) => {
    if (f.id && waiting.has(f.id)) { const then = waiting.get(f.id); waiting.delete(f.id); then(f); return; }
    if (typeof f.type === 'string' && f.type.startsWith('audio_')) { onAudio(f); return; }
    frame(f);
    if (f.type === 'welcome') { waiting.clear(); hangUp(); watch(); }
  };

  function watch() {
    ask({ type: 'audio_watch' }, (f) => {
      // An error means this server has no audio: the panel stays hidden.
      st.offered = f.type === 'ack';
      draw();
    });
  }

  function hangUp() {
    if (st.pc) { st.pc.ontrack = null; st.pc.close(); }
    st.pc = null;
    st.heard = null;
  }

  async function join() {
    st.wanted = true;
    st.joining = true;
    st.problem = null;
    draw();
    try {
      st.stream = st.stream || await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      st.wanted = false; st.joining = false; st.problem = 'mic_denied'; draw(); return;
    }
    hangUp();
    const pc = new RTCPeerConnection({ iceServers: [] });
    st.pc = pc;
    for (const track of st.stream.getAudioTracks()) { track.enabled = !st.muted; pc.addTrack(track, st.stream); }
    pc.ontrack = (e) => { player.srcObject = e.streams[0] || new MediaStream([e.track]); player.play().catch(() => {}); };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((done) => {
      if (pc.iceGatheringState === 'complete') { done(); return; }
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') done(); });
      setTimeout(done, GATHER_MS);
    });
    if (st.pc !== pc) return;
    const msg = { type: 'audio_join', sdp: pc.localDescription.sdp };
    if (staff() && st.listen) msg.room = st.listen;
    const sent = ask(msg, async (f) => {
      st.joining = false;
      if (st.pc !== pc) return;
      if (f.type === 'audio_answer') {
        await pc.setRemoteDescription({ type: 'answer', sdp: f.sdp });
        if (st.muted) ask({ type: 'audio_mute', muted: true });
      } else {
        hangUp();
        st.wanted = f.code === 'unavailable';
        st.problem = f.code;
      }
      draw();
    });
    if (!sent) { st.joining = false; hangUp(); draw(); }
  }

  function leave() {
    st.wanted = false;
    hangUp();
    ask({ type: 'audio_leave' });
    draw();
  }

  function mute(muted) {
    st.muted = muted;
    if (st.stream) for (const track of st.stream.getAudioTracks()) track.enabled = !muted;
    ask({ type: 'audio_mute', muted });
    draw();
  }

  function onAudio(f) {
    if (f.type === 'audio_roster') {
      const back = f.available && !st.available;
      st.available = f.available;
      st.roster = f.rooms || [];
      st.heard = f.joined;
      if (!f.available) hangUp();
      // Back after the audio server restarted (or the workshop reopened): join again.
      if (back && st.wanted && !st.pc && !st.joining) join();
    } else if (f.type === 'audio_ended') {
      hangUp();
      st.wanted = f.reason === 'unavailable' || f.reason === 'closed';
      st.problem = f.reason;
      say('#announce', tr(`audio.ended.${f.reason}`));
    } else if (f.type === 'audio_muted') {
      st.muted = true;
      if (st.stream) for (const track of st.stream.getAudioTracks()) track.enabled = false;
      say('#announce', tr('audio.muted_by_staff'));
    }
    draw();
  }

  function person(p) {
    const icon = p.muted ? '🔇' : '🎤';
    const label = `${icon} ${personLabel(app.model, p.participant)}${p.talking ? ` · ${tr('audio.speaking')}` : ''}`;
    const mayMute = staff() && !p.muted && p.participant !== app.model.me.id;
    return h('li', { class: p.talking ? 'talking' : null, 'data-participant': p.participant },
      h('span', { text: label }),
      mayMute ? h('button', { type: 'button', 'data-key': `am-${p.participant}`, text: tr('audio.mute_them'),
        'aria-label': tr('audio.mute_them_label', { name: personLabel(app.model, p.participant) }),
        onclick: () => ask({ type: 'audio_mute', muted: true, participant: p.participant }) }) : null);
  }

  function draw() {
    box.hidden = !st.offered;
    if (!st.offered) return;
    const on = !!st.pc;
    const state = !st.available ? tr('audio.unavailable')
      : st.joining ? tr('audio.joining')
        : on && st.heard ? tr('audio.in_room', { room: roomName(app.model, st.heard) }) : tr('audio.off');
    const controls = [];
    if (staff()) {
      const sel = h('select', { id: 'audio-room', 'data-key': 'audio-room', 'aria-label': tr('audio.listen_in') });
      options(sel, [['', tr('audio.my_place')], ['lobby', roomName(app.model, 'lobby')],
        ...app.model.s.rooms.filter((r) => !r.removed).map((r) => [r.id, r.name])]);
      sel.value = st.listen;
      sel.addEventListener('change', () => { st.listen = sel.value; if (st.pc) join(); });
      controls.push(h('label', { text: tr('audio.listen_in') }), sel);
    }
    if (!on) {
      controls.push(h('button', { type: 'button', id: 'audio-join', 'data-key': 'audio-join', text: tr('audio.join'),
        disabled: !st.available || st.joining, onclick: () => join() }));
    } else {
      controls.push(h('button', { type: 'button', id: 'audio-mute', 'data-key': 'audio-mute', 'aria-pressed': st.muted ? 'true' : 'false',
        text: st.muted ? tr('audio.unmute') : tr('audio.mute'), onclick: () => mute(!st.muted) }));
      controls.push(h('button', { type: 'button', id: 'audio-leave', 'data-key': 'audio-leave', text: tr('audio.leave'), onclick: () => leave() }));
    }
    const rooms = st.roster.map((r) => h('div', { class: 'audio-room', 'data-room': r.room },
      h('h3', { text: roomName(app.model, r.room) }),
      h('ul', { class: 'people' }, r.participants.map(person))));
    fill(box,
      h('h2', { id: 'audio-h', text: tr('audio.heading') }),
      h('p', { id: 'audio-state', role: 'status', text: state }),
      st.problem && !on ? h('p', { class: 'problem', text: tr(`audio.problem.${st.problem}`) }) : null,
      h('div', { class: 'actions' }, controls),
      rooms.length ? rooms : h('p', { text: tr('audio.nobody') }),
      player);
  }

  onChange(async () => { await loadWords(); draw(); });
  if (conn.ready) watch();
}
