// usage.ts type-checks public/events.d.ts against socket.io-client's typed
// Socket (`make check` runs tsc on it): every event a frontend uses compiles,
// and misuse does not (the @ts-expect-error lines must stay errors).
import { io, type Socket } from "socket.io-client";
import type {
  AdminClientToServer,
  ChatClientToServer,
  ChatServerToClient,
  ClientToServerEvents,
  Message,
  NotificationsClientToServer,
  NotificationsServerToClient,
  ServerToClientEvents,
} from "../../public/events.js";

const token = "t";
const chat: Socket<ChatServerToClient, ChatClientToServer> = io("/chat", { auth: { token } });
const notes: Socket<NotificationsServerToClient, NotificationsClientToServer> = io("/notifications", { auth: { token } });
const any: Socket<ServerToClientEvents, ClientToServerEvents> = io("/", { auth: { token } });
const admin: Socket<{}, AdminClientToServer> = io("/admin", { auth: { token } });

admin.emit("online", (res) => {
  if (res.ok) {
    console.log(res.users.map((u) => `${u.name}:${u.sockets}`));
    if (res.partial) console.log(`${res.nodes?.answered} of ${res.nodes?.expected} nodes`);
  }
});
admin.emit("kick", { user: "u-2" }, (res) => {
  if (res.ok) console.log(res.sockets, res.partial === true);
});

chat.emit("join", "general", (res) => {
  if (res.ok) {
    const last: Message | undefined = res.history.at(-1);
    console.log(res.members.map((m) => m.name), last?.text);
  } else {
    console.log(res.error.code, res.error.message);
  }
});
chat.emit("message", { room: "general", text: "hi", cid: "c-1" }, (res) => {
  if (res.ok) console.log(res.id, res.ts);
});
chat.emit("history", { room: "general", before: "id", limit: 20 }, (res) => {
  if (res.ok) console.log(res.messages.length, res.more);
});
chat.emit("typing", { room: "general" });
chat.on("message", (m) => console.log(m.from.name, m.text, m.ts));
chat.on("presence", (p) => console.log(p.room, p.user.id, p.online));
chat.on("typing", (t) => console.log(t.from.name));
chat.on("auth:expiring", async ({ expiresAt }) => {
  console.log(expiresAt);
  chat.emit("auth:refresh", { token: "new" }, (res) => res.ok && console.log(res.expiresAt));
});

notes.on("unread", (ns) => console.log(ns.filter((n) => !n.read).length));
notes.on("notification", (n) => console.log(n.title, n.data));
notes.on("read", ({ ids }) => console.log(ids.length));
notes.emit("read", { ids: ["a"] }, (res) => res.ok && console.log(res.ids));
notes.emit("list", { limit: 10 }, (res) => res.ok && console.log(res.notifications, res.more));

any.emit("whoami", (res) => res.ok && console.log(res.user.teams));

// @ts-expect-error join takes the room name as a string
chat.emit("join", { room: "general" }, () => {});
// @ts-expect-error a message needs its text
chat.emit("message", { room: "general" }, () => {});
// @ts-expect-error no such event
chat.emit("shout", "x");
