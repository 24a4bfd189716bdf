// The Node.js peer of `cabildo-baseline`: `ws` on node:http carrying the baseline's
// protocol (protocol.js), so `cabildo-load --target node-ws` drives it. A room and a
// workshop are sets of sockets, each sent the same string. Nothing is stored.
//
//   node bench/peers/node-ws-hub.js [port]
"use strict";
const http = require("node:http");
const { WebSocketServer } = require("ws");
const { hello, command, presence } = require("./protocol.js");
const port = Number(process.argv[2] ?? 8090);

function sockets(shop, key) {
  shop.sockets ??= new Map(); // "all" and each room -> Set of sockets
  if (!shop.sockets.has(key)) shop.sockets.set(key, new Set());
  return shop.sockets.get(key);
}

function announce(who, online) {
  const frame = presence(who.me, online);
  for (const other of sockets(who.shop, "all")) other.send(frame);
}

const server = http.createServer((req, res) => {
  const ok = req.url === "/healthz";
  res.writeHead(ok ? 200 : 404).end(ok ? "ok\n" : "not found");
});
const wss = new WebSocketServer({ server, path: "/ws", maxPayload: 64 * 1024 });
wss.on("connection", (ws) => {
  let who = null;
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    if (who === null) {
      const hi = hello(data.toString());
      if (!hi) return ws.close();
      who = hi.who;
      ws.send(hi.welcome);
      announce(who, true);
      sockets(who.shop, "all").add(ws);
      sockets(who.shop, who.room).add(ws);
      return;
    }
    const { event, reply } = command(who, data.toString());
    if (event) for (const member of sockets(who.shop, who.room)) member.send(event);
    ws.send(reply);
  });
  ws.on("close", () => {
    if (!who) return;
    sockets(who.shop, "all").delete(ws);
    sockets(who.shop, who.room).delete(ws);
    announce(who, false);
  });
});
server.listen(port, "127.0.0.1", () => console.log(`Node ws hub listening on http://127.0.0.1:${port}`));
