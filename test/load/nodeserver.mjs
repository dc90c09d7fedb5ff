// nodeserver.mjs: the Node reference server for the load script (test/load/run.sh).
//
// socket.io 4.8.4 from test/node_modules with the same handlers as test/load/goserver:
//   auth middleware   handshake auth {token} must equal LOAD_TOKEN (default "load-token"),
//                     otherwise connect_error {message:"unauthorized", data:{code:"invalid_token"}}
//   "join"  (room, ack)        join the room, ack(true)
//   "broadcast" (room, payload) emit "msg" with payload to the room, sender excluded
//   "echo" (...args, ack)      ack with the same arguments
// Engine settings are socket.io's defaults (pingInterval 25 s, pingTimeout 20 s, maxPayload
// 1e6, polling + websocket), like the Go fixture's. It listens on 127.0.0.1 (port from
// LOAD_PORT, default 0 = any free port) and prints one line "listening http://127.0.0.1:PORT"
// when ready. SIGTERM/SIGINT close it.

import { createServer } from "node:http";
import { Server } from "socket.io";

const token = process.env.LOAD_TOKEN || "load-token";
const port = Number(process.env.LOAD_PORT || 0);

const httpServer = createServer();
const io = new Server(httpServer, { serveClient: false });

io.use((socket, next) => {
  const auth = socket.handshake.auth;
  if (auth && auth.token === token) return next();
  const err = new Error("unauthorized");
  err.data = { code: "invalid_token" };
  next(err);
});

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack(true);
  });
  socket.on("broadcast", (room, payload) => {
    socket.to(room).emit("msg", payload);
  });
  socket.on("echo", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  const { port: p } = httpServer.address();
  process.stdout.write(`listening http://127.0.0.1:${p}\n`);
});

function stop() {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
