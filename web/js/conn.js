// The WebSocket connection: hello/welcome, resume from the last seq, reconnect with backoff
// and jitter, and an outbox of commands kept in localStorage until answered. A command's id
// is made once, when it is queued, and kept across retries and reloads: it is the
// idempotency key, so the server applies each command exactly once.
import { uid } from './dom.js';

const FATAL = { 4001: 'revoked', 4003: 'removed', 4004: 'erased' };

export class Conn {
  constructor(token, key, on) {
    this.token = token;
    this.key = `cabildo.outbox.${key}`;
    this.on = on;
    this.seq = null;
    this.ws = null;
    this.ready = false;
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    try { this.outbox = JSON.parse(localStorage.getItem(this.key)) || []; } catch { this.outbox = []; }
    addEventListener('online', () => this.now());
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify(this.outbox));
    this.status();
  }

  status() {
    const s = !this.ready ? 'offline' : this.outbox.length ? 'saving' : 'saved';
    if (this.on.status) this.on.status(s, this.outbox.length);
  }

  // Queues a command; returns its id.
  send(cmd) {
    const c = { ...cmd, id: uid() };
    this.outbox.push(c);
    this.save();
    if (this.ready) this.ws.send(JSON.stringify(c));
    return c.id;
  }

  pending(type) {
    return this.outbox.filter((c) => !type || c.type === type);
  }

  start() {
    this.stopped = false;
    // The socket early.js opened while the page loaded (same token, no seq yet), if open.
    const early = globalThis.cabildoEarly;
    globalThis.cabildoEarly = null;
    const adopt = early && !early.closed && early.token === this.token && this.seq === null;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = adopt ? early.ws : new WebSocket(`${proto}//${location.host}/ws`);
    this.ws = ws;
    if (!adopt) {
      ws.onopen = () => {
        const hello = { type: 'hello', token: this.token };
        if (this.seq !== null) hello.last_seq = this.seq;
        ws.send(JSON.stringify(hello));
      };
    }
    ws.onmessage = (m) => this.frame(JSON.parse(m.data));
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ready = false;
      this.status();
      if (FATAL[e.code]) { this.stopped = true; this.on.fatal(FATAL[e.code]); return; }
      if (!this.stopped) this.later();
    };
    if (adopt) for (const data of early.frames) this.frame(JSON.parse(data));
  }

  later() {
    clearTimeout(this.timer);
    const base = Math.min(30000, 500 * 2 ** this.attempt++);
    this.timer = setTimeout(() => this.start(), base / 2 + Math.random() * base / 2);
  }

  now() {
    if (this.ready || this.stopped) return;
    clearTimeout(this.timer);
    this.attempt = 0;
    if (this.ws) { this.ws.onclose = null; this.ws.close(); }
    this.start();
  }

  frame(f) {
    switch (f.type) {
      case 'welcome':
        this.ready = true;
        this.attempt = 0;
        this.on.welcome(f);
        this.seq = f.seq;
        for (const c of this.outbox) this.ws.send(JSON.stringify(c));
        this.status();
        break;
      case 'event':
        if (this.seq !== null && f.seq <= this.seq) return;
        this.seq = f.seq;
        this.on.event(f);
        break;
      case 'snapshot':
        this.seq = f.seq;
        this.on.snapshot(f);
        break;
      case 'presence':
        this.on.presence(f);
        break;
      case 'ack':
      case 'error': {
        const c = this.outbox.find((x) => x.id === f.id);
        if (f.type === 'error' && f.code === 'unavailable') {
          setTimeout(() => this.ready && c && this.ws.send(JSON.stringify(c)), 2000);
          return;
        }
        this.outbox = this.outbox.filter((x) => x.id !== f.id);
        this.save();
        if (this.on.answer) this.on.answer(f, c);
        break;
      }
    }
  }
}
