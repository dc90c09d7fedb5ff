// reference-fixture.mjs: the end-to-end fixture application (see fixture_test.go) written
// on the Node reference server, socket.io 4.8.4. It exists to check the suites'
// expectations against the reference implementation, and to compare with the Go engine when
// a case fails:
//
//   node test/engine/reference-fixture.mjs     # prints the three URLs as env assignments
//   E2E_URL=... E2E_RECOVERY_URL=... E2E_LEGACY_URL=... node --test test/engine/v4.test.mjs test/engine/v2.test.mjs
//
// or in one go: node test/engine/reference-fixture.mjs --run
// It is not part of `make e2e` (which tests the Go engine); it is a tool for the suites.

import { createServer } from "node:http";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Server } from "socket.io";

function pattern(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

function startFixture({ legacy = false, recovery = false }) {
  const httpServer = createServer();
  const opts = { serveClient: false, pingInterval: 3000, pingTimeout: 3000, allowEIO3: legacy };
  if (recovery) opts.connectionStateRecovery = { maxDisconnectionDuration: 120000, skipMiddlewares: false };
  const io = new Server(httpServer, opts);
  io.engine.on("initial_headers", (headers) => {
    headers["set-cookie"] = ["e2e-handshake=1; Path=/"];
  });
  io.engine.on("headers", (headers) => {
    headers["x-e2e"] = "every";
  });
  const reasons = new Map();
  const blocked = new Set();

  // drop transport: cut the TCP connections of an Engine.IO session, abort its later requests
  for (const ev of ["request", "upgrade"]) {
    const listeners = httpServer.listeners(ev).slice();
    httpServer.removeAllListeners(ev);
    httpServer.on(ev, (req, resOrSocket, head) => {
      const sid = new URL(req.url, "http://x").searchParams.get("sid");
      if (sid && blocked.has(sid)) {
        req.socket.destroy();
        return;
      }
      for (const l of listeners) l.call(httpServer, req, resOrSocket, head);
    });
  }
  function drop(sid) {
    blocked.add(sid);
    const conn = io.engine.clients[sid];
    if (!conn) return;
    const t = conn.transport;
    if (t.name === "websocket") t.socket._socket.destroy();
    else if (t.req) t.req.socket.destroy();
  }

  function auth(socket, next) {
    const a = socket.handshake.auth || {};
    let tok = a.token;
    if (legacy && !tok) tok = socket.handshake.query.token;
    if (tok !== "good") {
      const err = new Error("unauthorized");
      err.data = { code: "invalid_token" };
      return next(err);
    }
    socket.data.auth = socket.handshake.auth;
    next();
  }

  function setup(nsp) {
    nsp.use(auth);
    nsp.on("connection", (socket) => {
      socket.on("disconnect", (reason) => reasons.set(socket.id, reason));
      socket.on("whoami", (ack) => {
        const a = socket.data.auth;
        ack({
          id: socket.id,
          nsp: socket.nsp.name,
          auth: a && Object.keys(a).length ? a : legacy ? null : a,
          recovered: socket.recovered,
          rooms: [...socket.rooms],
          protocol: socket.conn.protocol,
        });
      });
      socket.on("echo", (...args) => socket.emit("echo", ...args));
      socket.on("handshake", (ack) => ack(JSON.parse(JSON.stringify(socket.handshake))));
      socket.on("nested binary", (u, ack) => {
        socket.emit("nested binary", { echo: u, list: [u.file, u.meta.thumb] });
        if (ack) ack(u);
      });
      socket.on("ack echo", (...args) => {
        const ack = args.pop();
        if (typeof ack === "function") ack(...args);
      });
      socket.on("binary echo", (...args) => {
        const last = args[args.length - 1];
        if (typeof last === "function") {
          args.pop();
          last(...args);
          return;
        }
        socket.emit("binary echo", ...args);
      });
      socket.on("give binary", ({ size, seed }, ack) => {
        const b = pattern(size, seed);
        socket.emit("binary", b, { size });
        if (ack) ack(b);
      });
      socket.on("join", (room, ack) => {
        socket.join(room);
        ack && ack({ ok: true, rooms: [...socket.rooms] });
      });
      socket.on("leave", (room, ack) => {
        socket.leave(room);
        ack && ack({ ok: true, rooms: [...socket.rooms] });
      });
      socket.on("broadcast", (req, ack) => {
        let op = req.self ? socket.nsp.to(req.room) : socket.to(req.room);
        if (req.except) op = op.except(req.except);
        op.emit(req.event, ...(req.args || []));
        ack && ack({ ok: true });
      });
      socket.on("ask", (req, ack) => {
        const q = [...(req.args || [])];
        if (req.binary) q.push(pattern(req.binary.size, req.binary.seed));
        socket.timeout(req.timeoutMs).emit("question", ...q, (err, ...res) => {
          if (err) ack("timeout");
          else ack("ok", ...res);
        });
      });
      socket.on("no ack", () => {});
      socket.on("kick me", () => socket.disconnect(false));
      socket.on("kick me hard", () => socket.disconnect(true));
      socket.on("drop transport", (sid) => drop(sid));
      socket.on("reason of", (id, ack) => ack(reasons.has(id) ? reasons.get(id) : null));
    });
  }

  setup(io.of("/"));
  io.of("/admin").use((socket, next) => {
    const err = new Error("forbidden");
    err.data = { code: "admin_only" };
    next(err);
  });
  setup(io.of(/^\/dyn-\d+$/));

  return new Promise((resolve) =>
    httpServer.listen(0, "127.0.0.1", () => resolve({ io, httpServer, url: `http://127.0.0.1:${httpServer.address().port}` })),
  );
}

const fixtures = await Promise.all([startFixture({}), startFixture({ recovery: true }), startFixture({ legacy: true })]);
const env = {
  E2E_URL: fixtures[0].url,
  E2E_RECOVERY_URL: fixtures[1].url,
  E2E_LEGACY_URL: fixtures[2].url,
};

if (process.argv.includes("--run")) {
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const files = process.argv.slice(process.argv.indexOf("--run") + 1);
  const args = ["--test", "--test-reporter=spec", ...(files.length ? files : ["v4.test.mjs", "v2.test.mjs"])];
  const child = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, ...env }, stdio: "inherit" });
  child.on("exit", (code) => {
    for (const f of fixtures) f.io.close();
    process.exit(code ?? 1);
  });
} else {
  for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
}
