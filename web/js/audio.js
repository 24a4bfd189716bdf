// Audio panel: the room's voice through Cabildo (Janus behind it). mountAudio(app) fills
// <section id="audio" hidden>; strings in /static/i18n/<lang>.audio.json. Audio is live
// state: it never enters the outbox, and the panel rejoins by itself after a reconnection.
import { $, h, fill, say, uid, options } from './dom.js';
import { current, onChange } from './i18n.js';
import { personLabel, roomName } from './common.js';

let words = {};
const tr = (k, vars = {}) => Object.entries(vars).reduce((s, [n, v]) => s.split(`{${n}}`).join(v), words[k] ?? k);
const loadWords = () => fetch(`/static/i18n/${current()}.audio.json`).then((r) => r.json()).then((w) => { words = w; }, () => {});

export async function mountAudio(app) {
  const box = $('#audio');
  if (!box) return;
  box.className = 'panel';
  await loadWords();
  const conn = app.conn;
  const m = app.model;
  const staff = () => m.me.role !== 'delegate';
  const st = { offered: false, available: false, wanted: false, joining: false, muted: false, listen: '', heard: null, roster: [], announcing: [], problem: null, pc: null, mic: null };
  const player = h('audio', { autoplay: true });
  const waiting = new Map();
  const ask = (msg, then = () => {}) => {
    if (!conn.ready) return false;
    const id = `audio-${uid()}`;
    waiting.set(id, then);
    conn.ws.send(JSON.stringify({ ...msg, id }));
    return true;
  };
  const frame = conn.frame.bind(conn);
  conn.frame = (f) => {
    const then = f.id && waiting.get(f.id);
    if (then) { waiting.delete(f.id); then(f); return; }
    if (String(f.type).startsWith('audio_')) { onAudio(f); return; }
    frame(f);
    if (f.type === 'welcome') { waiting.clear(); hangUp(); watch(); }
  };
  // An error means this server has no audio: the panel stays hidden.
  const watch = () => ask({ type: 'audio_watch' }, (f) => { st.offered = f.type === 'ack'; draw(); });
  const hangUp = () => { if (st.pc) { st.pc.ontrack = null; st.pc.close(); } st.pc = null; st.heard = null; };
  const setMic = () => st.mic && st.mic.getAudioTracks().forEach((t) => { t.enabled = !st.muted; });

  async function join() {
    Object.assign(st, { wanted: true, joining: true, problem: null });
    draw();
    try {
      st.mic = st.mic || await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      Object.assign(st, { wanted: false, joining: false, problem: 'mic_denied' }); draw(); return;
    }
    hangUp();
    // TURN servers with fresh credentials from the server (none without --turn-url).
    const config = await new Promise((done) => { if (!ask({ type: 'audio_config' }, done)) done({}); });
    if (!st.wanted) { st.joining = false; draw(); return; }
    const pc = st.pc = new RTCPeerConnection({ iceServers: config.ice_servers || [] });
    setMic();
    st.mic.getAudioTracks().forEach((t) => pc.addTrack(t, st.mic));
    pc.ontrack = (e) => { player.srcObject = e.streams[0] || new MediaStream([e.track]); player.play().catch(() => {}); };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((done) => {
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && done());
      if (pc.iceGatheringState === 'complete') done();
      setTimeout(done, 3000);
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
        Object.assign(st, { wanted: f.code === 'unavailable', problem: f.code });
      }
      draw();
    });
    if (!sent) { st.joining = false; hangUp(); draw(); }
  }

  function onAudio(f) {
    if (f.type === 'audio_roster') {
      const back = f.available && !st.available;
      Object.assign(st, { available: f.available, roster: f.rooms || [], heard: f.joined, announcing: f.announcing || [] });
      // For other panels (the cockpit's room tiles): the roster as the server sent it.
      document.dispatchEvent(new CustomEvent('cabildo:audio-roster', { detail: f }));
      if (!f.available) hangUp();
      if (back && st.wanted && !st.pc && !st.joining) join();
    } else if (f.type === 'audio_ended') {
      hangUp();
      Object.assign(st, { wanted: ['unavailable', 'closed'].includes(f.reason), problem: f.reason });
      say('#announce', tr(`audio.ended.${f.reason}`));
    } else if (f.type === 'audio_muted') {
      st.muted = true;
      setMic();
      say('#announce', tr('audio.muted_by_staff'));
    }
    draw();
  }

  function person(p) {
    const name = personLabel(m, p.participant);
    return h('li', { class: p.talking ? 'talking' : null, 'data-participant': p.participant },
      h('span', { text: `${p.muted ? '🔇' : '🎤'} ${name}${p.talking ? ` · ${tr('audio.speaking')}` : ''}` }),
      staff() && !p.muted && p.participant !== m.me.id ? h('button', { type: 'button', 'data-key': `am-${p.participant}`,
        text: tr('audio.mute_them'), 'aria-label': tr('audio.mute_them_label', { name }),
        onclick: () => ask({ type: 'audio_mute', muted: true, participant: p.participant }) }) : null);
  }

  function draw() {
    box.hidden = !st.offered;
    if (!st.offered) return;
    const on = !!st.pc;
    const all = on && st.heard === 'all';
    const state = !st.available ? 'audio.unavailable' : st.joining ? 'audio.joining' : all ? 'audio.announcing' : on && st.heard ? 'audio.in_room' : 'audio.off';
    const controls = [];
    if (staff()) {
      const sel = h('select', { id: 'audio-room', 'data-key': 'audio-room', 'aria-label': tr('audio.listen_in') });
      options(sel, [['', tr('audio.my_place')], ['lobby', roomName(m, 'lobby')], ...m.s.rooms.filter((r) => !r.removed).map((r) => [r.id, r.name])]);
      sel.value = st.listen;
      sel.onchange = () => { st.listen = sel.value; if (st.pc) join(); };
      controls.push(h('label', { text: tr('audio.listen_in') }), sel);
    }
    const button = (id, text, onclick, extra) => h('button', { type: 'button', id, 'data-key': id, text: tr(text), onclick, ...extra });
    if (m.me.role === 'organizer') {
      const audioOn = m.s.session.audio !== false;
      controls.push(button('audio-switch', audioOn ? 'audio.turn_off' : 'audio.turn_on', () => conn.send({ type: 'set_audio', on: !audioOn })));
    }
    if (on) {
      controls.push(button('audio-mute', st.muted ? 'audio.unmute' : 'audio.mute', () => { st.muted = !st.muted; setMic(); ask({ type: 'audio_mute', muted: st.muted }); draw(); },
        { 'aria-pressed': String(st.muted) }));
      if (staff()) {
        controls.push(button('audio-announce', all ? 'audio.announce_stop' : 'audio.announce', () => ask({ type: 'audio_announce', on: !all }, (f) => {
          st.problem = f.type === 'error' ? 'announce' : null; draw();
        }), { 'aria-pressed': String(all) }));
      }
      controls.push(button('audio-leave', 'audio.leave', () => { st.wanted = false; hangUp(); ask({ type: 'audio_leave' }); draw(); }));
    } else {
      controls.push(button('audio-join', 'audio.join', join, { disabled: !st.available || st.joining }));
    }
    fill(box,
      h('h2', { text: tr('audio.heading') }),
      h('p', { id: 'audio-state', role: 'status', text: tr(state, { room: st.heard ? roomName(m, st.heard) : '' }) }),
      st.problem && (!on || st.problem === 'announce') ? h('p', { class: 'problem', text: tr(`audio.problem.${st.problem}`) }) : null,
      st.announcing.some((p) => p !== m.me.id) ? h('p', { id: 'audio-announcement', role: 'status',
        text: tr('audio.announcement', { names: st.announcing.filter((p) => p !== m.me.id).map((p) => personLabel(m, p)).join(', ') }) }) : null,
      h('div', { class: 'actions' }, controls),
      st.roster.length ? st.roster.map((r) => h('div', { 'data-room': r.room }, h('h3', { text: roomName(m, r.room) }),
        h('ul', { class: 'people' }, r.participants.map(person)))) : h('p', { text: tr('audio.nobody') }),
      player);
  }

  onChange(() => loadWords().then(draw));
  if (conn.ready) watch();
}
