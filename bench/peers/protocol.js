// The tiny protocol of `cabildo-baseline` (src/bin/cabildo-baseline.rs), shared by the
// peers: frames as strings, the workshops' sequence numbers and replay windows. The peers
// themselves only move these strings between sockets.
"use strict";
const REPLAY_WINDOW = 10_000; // events kept per workshop for resuming connections
const workshops = new Map(); // workshop id -> { seq, recent: [[seq, room, frame]], ...peer's }

function workshop(w) {
  let shop = workshops.get(w);
  if (!shop) workshops.set(w, (shop = { seq: 0, recent: [] }));
  return shop;
}

function presence(me, online) {
  return JSON.stringify({ online, participant: me, type: "presence" });
}

function error(id, message) {
  return JSON.stringify({ code: "invalid", id, message, type: "error" });
}

// `hello` with a token `w<workshop>.r<room>.m<member>`: who it is and its `welcome`
// (the room's missed events when `last_seq` is given), or null for a bad hello.
function hello(text) {
  let msg, m;
  try {
    msg = JSON.parse(text);
    m = /^w(\d+)\.r(\d+)\.m(\d+)$/.exec(msg.token);
  } catch {}
  if (!m) return null;
  const [w, room, me, shop] = [m[1], m[2], msg.token, workshop(m[1])];
  let welcome;
  if (msg.last_seq == null) {
    welcome = JSON.stringify({ type: "welcome", seq: shop.seq, resumed: false, snapshot: {} });
  } else {
    const missed = shop.recent.filter(([s, r]) => s > msg.last_seq && r === room).map(([, , f]) => f);
    welcome = `{"type":"welcome","seq":${shop.seq},"resumed":true,"events":[${missed.join(",")}]}`;
  }
  return { who: { w, room, me, shop }, welcome };
}

// `post_card` / `edit_card`: the event frame for the sender's room (null if none) and the
// reply to the sender (its ack, or an error), in that order.
function command(who, text) {
  const { room, me, shop } = who;
  let cmd;
  try {
    cmd = JSON.parse(text);
  } catch (e) {
    return { event: null, reply: error(null, String(e)) };
  }
  const seq = shop.seq + 1;
  let body;
  if (cmd.type === "post_card") {
    body = { type: "card_posted", card: `c${seq}`, room: `r${room}`, column: cmd.column ?? "strengths", text: cmd.text, author: me };
  } else if (cmd.type === "edit_card") {
    body = { type: "card_edited", card: cmd.card, room: `r${room}`, text: cmd.text, by: me };
  } else {
    return { event: null, reply: error(cmd.id, "the baseline knows post_card and edit_card") };
  }
  shop.seq = seq;
  const event = JSON.stringify({ type: "event", seq, at: Date.now(), by: me, event: body });
  if (shop.recent.length === REPLAY_WINDOW) shop.recent.shift();
  shop.recent.push([seq, room, event]);
  return { event, reply: JSON.stringify({ id: cmd.id, seq, type: "ack" }) };
}

module.exports = { hello, command, presence };
