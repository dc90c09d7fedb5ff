// reference-fixture.mjs runs Node's socket.io 4.8 with @socket.io/admin-ui's
// instrument() shaped like rtserver with ADMIN_UI=1 (namespace /admin-ui, the demo
// admin's credentials, a /chat namespace whose `join` takes a room name, POST /login
// answering a token), so that protocol.test.mjs proves its expectations on the
// reference. It prints E2E_URL=... and E2E_READONLY_URL=... and serves until killed.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { instrument } from "@socket.io/admin-ui";
import bcrypt from "bcryptjs";

const hash = bcrypt.hashSync("admin-pass", 4);

function start({ readonly }) {
  const http = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/login") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ token: "reference" }));
      return;
    }
  });
  const io = new Server(http);
  instrument(io, {
    auth: { type: "basic", username: "admin", password: hash },
    namespaceName: "/admin-ui",
    readonly,
    mode: "development",
    serverId: `reference${readonly ? "-readonly" : ""}`,
  });
  io.of("/chat").on("connection", (s) => {
    s.on("join", (room, ack) => {
      s.join(room);
      if (typeof ack === "function") ack({ ok: true });
    });
    s.on("message", (m, ack) => typeof ack === "function" && ack({ ok: true }));
  });
  return new Promise((resolve) => http.listen(0, "127.0.0.1", () => resolve({ io, url: `http://127.0.0.1:${http.address().port}` })));
}

const [plain, ro] = await Promise.all([start({ readonly: false }), start({ readonly: true })]);
console.log(`E2E_URL=${plain.url}`);
console.log(`E2E_READONLY_URL=${ro.url}`);
process.on("SIGTERM", () => process.exit(0));
