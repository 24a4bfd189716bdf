// The Bun peer of `cabildo-baseline`: Bun.serve's built-in pub/sub (uWebSockets) carrying
// the baseline's protocol (protocol.js), so `cabildo-load --target bun` drives it. A room
// is a topic; a workshop is a topic (presence). Nothing is stored.
//
//   bun bench/peers/bun-hub.js [port]
const { hello, command, presence } = require("./protocol.js");
const port = Number(process.argv[2] ?? 8090);

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch(req, server) {
    const path = new URL(req.url).pathname;
    if (path === "/healthz") return new Response("ok\n");
    if (path === "/ws" && server.upgrade(req, { data: null })) return;
    return new Response("not found", { status: 404 });
  },
  websocket: {
    maxPayloadLength: 64 * 1024,
    message(ws, text) {
      if (typeof text !== "string") return;
      if (ws.data === null) {
        const { who, welcome } = hello(text) ?? {};
        if (!who) return ws.close();
        ws.send(welcome);
        ws.data = who;
        server.publish(`w${who.w}`, presence(who.me, true));
        ws.subscribe(`w${who.w}`);
        ws.subscribe(`w${who.w}.r${who.room}`);
        return;
      }
      const { event, reply } = command(ws.data, text);
      if (event) server.publish(`w${ws.data.w}.r${ws.data.room}`, event);
      ws.send(reply);
    },
    close(ws) {
      if (ws.data) server.publish(`w${ws.data.w}`, presence(ws.data.me, false));
    },
  },
});
console.log(`Bun hub listening on http://127.0.0.1:${server.port}`);
