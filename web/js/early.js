// The delegate page's WebSocket, opened as soon as this small script arrives (it imports
// nothing and runs `async`), while the page's modules are still loading: on a slow network
// the socket's round trips overlap theirs. It says hello with the stored session's token
// and keeps the frames that come; `Conn.start` (conn.js) adopts the socket and reads them.
const w = new URLSearchParams(location.search).get('w') || localStorage.getItem('cabildo.last');
let session = null;
try { session = JSON.parse(localStorage.getItem(`cabildo.session.${w}`)); } catch { session = null; }
if (session && session.token) {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`);
  const early = { ws, token: session.token, frames: [], closed: false };
  ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', token: session.token }));
  ws.onmessage = (m) => early.frames.push(m.data);
  ws.onclose = () => { early.closed = true; };
  globalThis.cabildoEarly = early;
}
