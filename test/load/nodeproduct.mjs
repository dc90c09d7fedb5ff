// nodeproduct.mjs: the Node reference product for the load script (test/load/run.sh): the
// /chat namespace of cmd/server written with socket.io 4.8.4 (from test/node_modules) the way
// a Node developer would write it, so that "server CPU per authenticated handshake" and
// "RSS per idle authenticated connection" of the product are read against a Node server
// doing the same work per connection.
//
// Mirrors, per /chat connection, what cmd/server does (handlers/socket.go, chat.go,
// admission.go, expiry.go, eventrate.go, presence.go; middleware/auth.go):
//   engine     pingInterval 25 s, pingTimeout 20 s, maxHttpBufferSize 100 KiB, connectTimeout
//              10 s, connection state recovery for 2 min (the product's defaults: PING_INTERVAL,
//              PING_TIMEOUT, MAX_PAYLOAD, CONNECT_TIMEOUT, RECOVERY_WINDOW), polling and
//              WebSocket; a handshake with an Origin header must be same-origin (no
//              ALLOWED_ORIGINS), one without passes (non-browser client).
//   middleware the credential is handshake.auth.token, or "Authorization: Bearer" (AUTH_SOURCES
//              auth and header); an HS256 JWT checked with node:crypto as auth.Verifier does:
//              at most 8 KiB, three base64url segments, header alg HS256 (no crit, kid absent
//              or the secret's), HMAC-SHA256 signature compared with timingSafeEqual, claims
//              with exp required (a number), iat and nbf at most 30 s ahead, iss/aud when
//              LOAD_JWT_ISSUER/LOAD_JWT_AUDIENCE are set, sub present, then exp reached →
//              token_expired, then the jti's revocation (an in-memory Set here; the product
//              asks SQLite). Refusal: connect_error {message:"unauthorized", data:{code}} with
//              missing_token, invalid_token, token_expired or revoked; past 20 sockets of one
//              user (MAX_SOCKETS_PER_USER) {message:"forbidden", data:{code:"rate_limited"}}.
//   connection the socket is tracked by user (a Map of Sets: the product's Tracker, for the
//              socket cap, kick and the users list), joins user:<sub>, gets the token-expiry
//              timer (auth:expiring at 80% of the lifetime or 60 s before exp, auth:expired and
//              a disconnect at exp + 5 s grace), and the per-socket event rate limit (20/s,
//              burst 40: a token bucket made on the first event, as the product does; refused
//              events are acked rate_limited, a flood disconnects). A recovered socket counts
//              again in the presence of the rooms it got back.
//   handlers   auth:refresh, join, leave, message, history, rooms, users, typing, with the
//              product's acks ({ok:true,...} or {error:{code,message}}) and room rules (public
//              rooms, team:<t>, dm:<a>:<b>, admin:<r>); presence per room (a Map room → user →
//              socket ids): a user's first socket in a room → presence {room,user,online:true}
//              to the room, the last one leaving or disconnecting → online:false. Like the
//              product, a connect emits no presence: presence is per room, on join.
// Differs: no store. The claims are read with JSON.parse (the product's strict decoding, which
// refuses a key given twice or a claim name in another case, is not mirrored). History is kept in memory (the last 1,000 messages of each room), the
// users list is the users seen since start, revocations are a Set nothing adds to. Only /chat
// is served (the load connects there); no /, /notifications, /admin, HTTP routes, metrics or
// logs (the product runs at LOG_LEVEL=warn in the load run, which logs nothing per connect).
//
// Env: LOAD_PORT (default 0 = any free port), LOAD_JWT_SECRET (required, at least 32 bytes).
// Listens on 127.0.0.1 and prints one line "listening http://127.0.0.1:PORT" when ready.
// SIGTERM/SIGINT close it.

import { createHmac, randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { createServer } from "node:http";
import { Server } from "socket.io";

const secret = process.env.LOAD_JWT_SECRET || "";
if (Buffer.byteLength(secret) < 32) {
  console.error("nodeproduct: LOAD_JWT_SECRET must be at least 32 bytes");
  process.exit(1);
}
const port = Number(process.env.LOAD_PORT || 0);
const issuer = process.env.LOAD_JWT_ISSUER || "";
const audience = process.env.LOAD_JWT_AUDIENCE || "";

const MAX_TOKEN_LEN = 8 << 10;
const SKEW_MS = 30_000;
const EXPIRY_GRACE_MS = 5_000;
const EXPIRING_LEAD_MS = 60_000;
const MAX_SOCKETS_PER_USER = 20;
const MAX_ROOMS_PER_SOCKET = 100;
const EVENT_RATE = 20;
const EVENT_BURST = 40;
const TYPING_RATE = 2;
const TYPING_BURST = 3;
const MAX_TEXT = 4096;
const MAX_CID = 64;
const JOIN_HISTORY = 50;
const MAX_HISTORY_PAGE = 200;
const HISTORY_LIMIT = 1000;
const MAX_USERS_LISTED = 1000;
const PUBLIC_ROOMS = ["general", "random"];

// The key id the product gives its secret (auth.secretKeyID): a token's kid, when present,
// must be this one.
const secretKid =
  "hs-" + createHash("sha256").update("rtserver hs256 kid\0").update(secret).digest().subarray(0, 12).toString("base64url");

const messages = {
  missing_token: "unauthorized",
  invalid_token: "unauthorized",
  token_expired: "unauthorized",
  revoked: "unauthorized",
};
const errorText = {
  bad_request: "the request is malformed",
  forbidden: "not allowed",
  not_found: "not found",
  rate_limited: "too many requests; try again later",
  unauthenticated: "authentication required",
  internal: "internal error",
  invalid_token: "invalid token",
  token_expired: "token expired",
  revoked: "token or session revoked",
  missing_token: "no credentials",
};
const fail = (code) => ({ error: { code, message: errorText[code] || code } });
const okAck = (fields = {}) => ({ ok: true, ...fields });

class AuthError extends Error {
  constructor(code) {
    super(messages[code] || "unauthorized");
    this.data = { code };
  }
}

// ---- tokens --------------------------------------------------------------------------

const revoked = new Set(); // jti → revoked; the product looks it up in SQLite
const base64url = /^[A-Za-z0-9_-]+$/;

function parseSegment(seg) {
  return JSON.parse(Buffer.from(seg, "base64url").toString("utf8"));
}

// verifyToken returns the claims of a valid token or throws AuthError.
function verifyToken(token) {
  if (!token) throw new AuthError("missing_token");
  if (typeof token !== "string" || token.length > MAX_TOKEN_LEN) throw new AuthError("invalid_token");
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((p) => base64url.test(p))) throw new AuthError("invalid_token");
  let header;
  try {
    header = parseSegment(parts[0]);
  } catch {
    throw new AuthError("invalid_token");
  }
  if (header?.alg !== "HS256" || "crit" in header || ("kid" in header && header.kid !== secretKid)) {
    throw new AuthError("invalid_token");
  }
  const sig = Buffer.from(parts[2], "base64url");
  const want = createHmac("sha256", secret).update(parts[0] + "." + parts[1]).digest();
  if (sig.length !== want.length || !timingSafeEqual(sig, want)) throw new AuthError("invalid_token");
  let c;
  try {
    c = parseSegment(parts[1]);
  } catch {
    throw new AuthError("invalid_token");
  }
  const now = Date.now();
  const num = (v) => v === undefined || typeof v === "number";
  const str = (v) => v === undefined || typeof v === "string";
  const strs = (v) => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === "string"));
  if (
    c === null || typeof c !== "object" || Array.isArray(c) ||
    typeof c.exp !== "number" || !num(c.iat) || !num(c.nbf) ||
    !str(c.sub) || !str(c.name) || !str(c.sid) || !str(c.jti) || !str(c.iss) ||
    !strs(c.teams) || !strs(c.roles) || !(str(c.aud) || strs(c.aud)) ||
    (c.iat !== undefined && c.iat * 1000 > now + SKEW_MS) ||
    (c.nbf !== undefined && c.nbf * 1000 > now + SKEW_MS) ||
    (issuer && c.iss !== issuer) ||
    (audience && ![].concat(c.aud ?? []).includes(audience))
  ) {
    throw new AuthError("invalid_token");
  }
  if (!c.sub) throw new AuthError("invalid_token");
  if (now >= c.exp * 1000) throw new AuthError("token_expired");
  if (c.jti && revoked.has(c.jti)) throw new AuthError("revoked");
  return {
    id: c.sub,
    name: c.name || "",
    teams: c.teams || [],
    roles: c.roles || [],
    tokenId: c.jti || "",
    sessionId: c.sid || "",
    issuedAt: c.iat === undefined ? 0 : c.iat * 1000,
    expires: c.exp * 1000,
  };
}

function credential(handshake) {
  const t = handshake.auth?.token;
  if (typeof t === "string" && t !== "") return t;
  const h = handshake.headers.authorization;
  if (typeof h === "string" && h.startsWith("Bearer ")) return h.slice(7).trim();
  return "";
}

// ---- rooms (rooms/policy.go) -----------------------------------------------------------

const MAX_ID_LEN = 128;
const MAX_ROOM_LEN = 2 * MAX_ID_LEN + 3 + 1;
const validId = (id) => typeof id === "string" && id.length <= MAX_ID_LEN && /^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(id);
const isPublic = (r) => typeof r === "string" && r.length <= 64 && /^[a-z0-9][a-z0-9_-]*$/.test(r);

// canJoin returns "" when user may join room, else the refusal code.
function canJoin(user, room) {
  if (typeof room !== "string" || room === "" || room.length > MAX_ROOM_LEN) return "bad_request";
  if (!validId(user.id)) return "forbidden";
  if (isPublic(room)) return "";
  if (room.startsWith("team:")) {
    const team = room.slice(5);
    if (!validId(team)) return "bad_request";
    return user.teams.includes(team) ? "" : "forbidden";
  }
  if (room.startsWith("dm:")) {
    const [a, b, ...rest] = room.slice(3).split(":");
    if (rest.length || !validId(a) || !validId(b) || a >= b) return "bad_request";
    return user.id === a || user.id === b ? "" : "forbidden";
  }
  if (room.startsWith("user:")) return validId(room.slice(5)) ? "forbidden" : "bad_request";
  if (room.startsWith("admin:")) {
    if (!isPublic(room.slice(6))) return "bad_request";
    return user.roles.includes("admin") ? "" : "forbidden";
  }
  return "forbidden";
}

function dmParties(room) {
  if (!room.startsWith("dm:")) return null;
  const [a, b, ...rest] = room.slice(3).split(":");
  return !rest.length && validId(a) && validId(b) && a < b ? [a, b] : null;
}

// ---- state -----------------------------------------------------------------------------

const sockets = new Map(); // user id → Set of sockets (the product's Tracker)
const names = new Map(); // user id → display name, every user seen (the users directory)
const presence = new Map(); // room → Map user id → Set of socket ids
const history = new Map(); // room → messages, oldest first, at most HISTORY_LIMIT

function arrive(room, userId, sid) {
  let users = presence.get(room);
  if (!users) presence.set(room, (users = new Map()));
  let sids = users.get(userId);
  if (!sids) users.set(userId, (sids = new Set()));
  const first = sids.size === 0;
  sids.add(sid);
  return first;
}

function depart(room, userId, sid) {
  const users = presence.get(room);
  const sids = users?.get(userId);
  if (!sids || !sids.delete(sid) || sids.size > 0) return false;
  users.delete(userId);
  if (users.size === 0) presence.delete(room);
  return true;
}

class Bucket {
  constructor(rate, burst) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
    this.last = Date.now();
  }
  allow() {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

// ---- server ----------------------------------------------------------------------------

const httpServer = createServer();
const io = new Server(httpServer, {
  serveClient: false,
  pingInterval: 25_000,
  pingTimeout: 20_000,
  maxHttpBufferSize: 100 << 10,
  connectTimeout: 10_000,
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: false },
  allowRequest: (req, callback) => {
    const origin = req.headers.origin;
    callback(null, origin === undefined || origin === `http://${req.headers.host}`);
  },
});

const chat = io.of("/chat");

chat.use((socket, next) => {
  let user;
  try {
    user = verifyToken(credential(socket.handshake));
  } catch (err) {
    if (err instanceof AuthError) return next(err);
    const e = new Error("internal error");
    e.data = { code: "internal" };
    return next(e);
  }
  if ((sockets.get(user.id)?.size ?? 0) >= MAX_SOCKETS_PER_USER) {
    const e = new Error("forbidden");
    e.data = { code: "rate_limited" };
    return next(e);
  }
  socket.data.user = user;
  next();
});

// armExpiry (re)starts the socket's one expiry timer: auth:expiring first, then auth:expired
// and the disconnect at exp + grace.
function armExpiry(socket) {
  const { user } = socket.data;
  clearTimeout(socket.data.expiry);
  const now = Date.now();
  const issued = user.issuedAt && user.issuedAt <= now ? user.issuedAt : now;
  const warnAt = Math.max(issued + ((user.expires - issued) * 4) / 5, user.expires - EXPIRING_LEAD_MS);
  const end = user.expires + EXPIRY_GRACE_MS;
  const expired = () => {
    socket.emit("auth:expired", { expiresAt: user.expires });
    socket.disconnect(true);
  };
  socket.data.expiry = setTimeout(() => {
    socket.emit("auth:expiring", { expiresAt: user.expires });
    socket.data.expiry = setTimeout(expired, Math.max(0, end - Date.now()));
  }, Math.max(0, warnAt - now));
}

chat.on("connection", (socket) => {
  const { user } = socket.data;
  let mine = sockets.get(user.id);
  if (!mine) sockets.set(user.id, (mine = new Set()));
  mine.add(socket);
  names.set(user.id, user.name);
  socket.join(`user:${user.id}`);
  armExpiry(socket);
  if (socket.recovered) {
    for (const room of socket.rooms) {
      if (room === socket.id || room === `user:${user.id}`) continue;
      if (canJoin(socket.data.user, room) !== "") {
        socket.leave(room);
      } else if (arrive(room, user.id, socket.id)) {
        socket.to(room).emit("presence", { room, user: { id: user.id, name: user.name }, online: true });
      }
    }
  }

  // the event rate limit: buckets made on the first event (most sockets stay idle)
  socket.use(([, ...args], next) => {
    if (!socket.data.allowed) {
      socket.data.allowed = new Bucket(EVENT_RATE, EVENT_BURST);
      socket.data.strikes = new Bucket(EVENT_RATE, EVENT_BURST);
    }
    if (socket.data.allowed.allow()) return next();
    if (!socket.data.strikes.allow()) {
      socket.disconnect(true);
      return;
    }
    const ack = args[args.length - 1];
    if (typeof ack === "function") ack(fail("rate_limited"));
  });

  // on registers a handler that answers through its ack, as the product's namespaces.on.
  const on = (event, h) =>
    socket.on(event, (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      let res;
      try {
        res = h(socket.data.user, ...args);
      } catch (err) {
        res = fail(err.code || "internal");
      }
      if (ack) ack(res);
    });
  const bad = (code) => Object.assign(new Error(code), { code });
  const roomArg = (room) => {
    if (typeof room !== "string" || room === "" || room.length > MAX_ROOM_LEN) throw bad("bad_request");
    return room;
  };
  const checkRead = (u, room) => {
    const code = canJoin(u, room);
    if (code) throw bad(code);
  };
  const members = (room) =>
    [...(presence.get(room)?.keys() ?? [])].map((id) => ({ id, name: names.get(id) || "" }));

  on("auth:refresh", (u, p) => {
    if (typeof p?.token !== "string" || p.token === "") throw bad("bad_request");
    let nu;
    try {
      nu = verifyToken(p.token);
    } catch (err) {
      throw bad(err.data?.code || "internal");
    }
    if (nu.id !== u.id) throw bad("forbidden");
    socket.data.user = nu;
    armExpiry(socket);
    const left = [];
    for (const room of socket.rooms) {
      if (room === socket.id || room === `user:${nu.id}` || canJoin(nu, room) === "") continue;
      socket.leave(room);
      if (depart(room, nu.id, socket.id)) {
        chat.to(room).emit("presence", { room, user: { id: nu.id, name: nu.name }, online: false });
      }
      left.push(room);
    }
    return okAck({ expiresAt: nu.expires, left });
  });

  on("join", (u, room) => {
    roomArg(room);
    checkRead(u, room);
    if (!socket.rooms.has(room) && socket.rooms.size >= MAX_ROOMS_PER_SOCKET) throw bad("forbidden");
    socket.join(room);
    const hist = (history.get(room) ?? []).slice(-JOIN_HISTORY);
    if (arrive(room, u.id, socket.id)) {
      socket.to(room).emit("presence", { room, user: { id: u.id, name: u.name }, online: true });
    }
    return okAck({ room, members: members(room), history: hist });
  });

  on("leave", (u, room) => {
    roomArg(room);
    checkRead(u, room);
    socket.leave(room);
    if (depart(room, u.id, socket.id)) {
      chat.to(room).emit("presence", { room, user: { id: u.id, name: u.name }, online: false });
    }
    return okAck({ room });
  });

  on("message", (u, m) => {
    const { room, text, cid = "" } = m ?? {};
    if (typeof room !== "string" || typeof text !== "string" || room === "" || text === "" || typeof cid !== "string") {
      throw bad("bad_request");
    }
    if (Buffer.byteLength(text) > MAX_TEXT || cid.length > MAX_CID || text.includes("\0") || cid.includes("\0")) {
      throw bad("bad_request");
    }
    if (room === socket.id || !socket.rooms.has(room)) throw bad("forbidden");
    checkRead(u, room);
    const id = cid
      ? "c" + createHash("sha256").update(u.id + "\0" + cid).digest("hex").slice(0, 24)
      : randomBytes(12).toString("hex");
    let msgs = history.get(room);
    if (!msgs) history.set(room, (msgs = []));
    const dup = cid && msgs.find((x) => x.id === id);
    if (dup) return okAck({ id, ts: dup.ts, duplicate: true });
    const out = { id, room, from: { id: u.id, name: u.name }, text, ts: Date.now() };
    msgs.push(out);
    if (msgs.length > HISTORY_LIMIT) msgs.shift();
    let to = socket.to(room);
    const dm = dmParties(room);
    if (dm) to = to.to([`user:${dm[0]}`, `user:${dm[1]}`]);
    to.emit("message", out);
    return okAck({ id, ts: out.ts });
  });

  on("history", (u, p) => {
    const { room, before = "", limit = 0 } = p ?? {};
    if (typeof room !== "string" || room === "" || !Number.isInteger(limit) || limit < 0 || typeof before !== "string" || before.length > 128) {
      throw bad("bad_request");
    }
    checkRead(u, room);
    const msgs = history.get(room) ?? [];
    let end = msgs.length;
    if (before) {
      end = msgs.findIndex((x) => x.id === before);
      if (end < 0) throw bad("not_found");
    }
    const n = Math.min(limit || JOIN_HISTORY, MAX_HISTORY_PAGE);
    const start = Math.max(0, end - n);
    return okAck({ room, messages: msgs.slice(start, end), more: start > 0 });
  });

  on("rooms", (u) => {
    const out = PUBLIC_ROOMS.map((name) => ({ name, kind: "public" }));
    for (const t of u.teams) if (validId(t)) out.push({ name: `team:${t}`, kind: "team" });
    for (const id of names.keys()) {
      if (id !== u.id && validId(id) && validId(u.id)) {
        out.push({ name: id < u.id ? `dm:${id}:${u.id}` : `dm:${u.id}:${id}`, kind: "dm" });
      }
    }
    return okAck({ rooms: out });
  });

  on("users", () => {
    const users = [...names].slice(0, MAX_USERS_LISTED);
    return okAck({ users: users.map(([id, name]) => ({ id, name, online: (sockets.get(id)?.size ?? 0) > 0 })) });
  });

  socket.on("typing", (p, ack) => {
    const room = p?.room;
    if (typeof room !== "string" || room === "" || room === socket.id || !socket.rooms.has(room)) {
      if (typeof ack === "function") ack(fail("bad_request"));
      return;
    }
    socket.data.typing ??= new Bucket(TYPING_RATE, TYPING_BURST);
    if (!socket.data.typing.allow()) return;
    const { user: u } = socket.data;
    socket.to(room).volatile.emit("typing", { room, from: { id: u.id, name: u.name } });
    if (typeof ack === "function") ack(okAck());
  });

  socket.on("disconnecting", () => {
    const u = socket.data.user;
    clearTimeout(socket.data.expiry);
    const set = sockets.get(u.id);
    if (set) {
      set.delete(socket);
      if (set.size === 0) sockets.delete(u.id);
    }
    // socket.to: the room's other sockets, as the product's emit after the socket left
    for (const room of socket.rooms) {
      if (depart(room, u.id, socket.id)) {
        socket.to(room).emit("presence", { room, user: { id: u.id, name: u.name }, online: false });
      }
    }
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
