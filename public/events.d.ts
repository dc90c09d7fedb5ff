// events.d.ts declares every Socket.IO event of this server, for frontends
// written in TypeScript:
//
//   import { io, Socket } from "socket.io-client";
//   import type { ChatServerToClient, ChatClientToServer } from "./events";
//   const chat: Socket<ChatServerToClient, ChatClientToServer> =
//     io("/chat", { auth: { token } });
//
// ServerToClientEvents / ClientToServerEvents are the unions of all
// namespaces, for code that keeps one type for every socket.
//
// Every ack is either { ok: true, ... } or AckError. Times (ts, expiresAt)
// are milliseconds since the Unix epoch.

export type ErrorCode =
  | "bad_request"
  | "forbidden"
  | "not_found"
  | "rate_limited"
  | "unauthenticated"
  | "internal"
  | "unavailable"
  // auth:refresh only:
  | "invalid_token"
  | "token_expired"
  | "revoked";

/** AckError is the failed answer of every acknowledged event. */
export interface AckError {
  ok: false;
  error: { code: ErrorCode; message: string };
}

/** Ack is what an acknowledged event answers: T on success. */
export type Ack<T> = (res: ({ ok: true } & T) | AckError) => void;

/** ConnectErrorData is `err.data` of a refused connection (connect_error). */
export interface ConnectErrorData {
  code:
    | "missing_token"
    | "invalid_token"
    | "token_expired"
    | "revoked"
    | "forbidden"
    | "rate_limited"
    | "unavailable";
}

export interface User {
  id: string;
  name: string;
}

export interface Me extends User {
  teams: string[];
  roles: string[];
}

// ---- / (root) ----

export interface RootServerToClient {
  /** Token lifetime is nearly over: emit auth:refresh with a new token. */
  "auth:expiring": (p: { expiresAt: number }) => void;
  /** The token expired without a refresh; the server disconnects next. */
  "auth:expired": (p: { expiresAt: number }) => void;
}

export interface RootClientToServer {
  whoami: (ack: Ack<{ user: Me }>) => void;
  /** Only when the server runs with AUTH_AFTER_CONNECT=1. */
  authenticate: (p: { token: string }, ack: Ack<{ user: Me }>) => void;
  "auth:refresh": (p: { token: string }, ack: Ack<{ expiresAt: number; left: string[] }>) => void;
}

// ---- /chat ----

/** Message is a chat message as stored and delivered. */
export interface Message {
  id: string;
  room: string;
  from: User;
  text: string;
  ts: number;
}

export type RoomKind = "public" | "team" | "dm";

export interface RoomInfo {
  name: string;
  kind: RoomKind;
}

export interface ChatServerToClient {
  /** A message in a room this socket is in, or in a DM of this user. */
  message: (m: Message) => void;
  /** A user's first socket entered the room (online: true) or their last left. */
  presence: (p: { room: string; user: User; online: boolean }) => void;
  /** Volatile: dropped rather than queued for a slow client. */
  typing: (p: { room: string; from: User }) => void;
  "auth:expiring": (p: { expiresAt: number }) => void;
  "auth:expired": (p: { expiresAt: number }) => void;
}

export interface ChatClientToServer {
  /**
   * Joins room; answers its members online and its last 50 messages, oldest
   * first. A message sent while joining may arrive live and be in history:
   * keep messages by id.
   */
  join: (
    room: string,
    ack: Ack<{ room: string; members: User[]; history: Message[] }>,
  ) => void;
  leave: (room: string, ack: Ack<{ room: string }>) => void;
  /**
   * The ack comes once the message is stored. `cid`, your own id for the
   * message (up to 64 bytes), makes a retry safe: the same cid answers the
   * same id with duplicate: true.
   */
  message: (
    p: { room: string; text: string; cid?: string },
    ack: Ack<{ id: string; ts: number; duplicate?: boolean }>,
  ) => void;
  /** Pages back: messages older than `before` (a message id), oldest first; limit 1-200, default 50. */
  history: (
    p: { room: string; before?: string; limit?: number },
    ack: Ack<{ room: string; messages: Message[]; more: boolean }>,
  ) => void;
  /** No ack needed; more than 2 a second per socket are dropped. */
  typing: (p: { room: string }, ack?: Ack<{}>) => void;
  /** The rooms this user may join: public rooms, the user's teams, DMs with every other user. */
  rooms: (ack: Ack<{ rooms: RoomInfo[] }>) => void;
  /** Every user, and whether they have a socket connected anywhere. */
  users: (ack: Ack<{ users: (User & { online: boolean })[] }>) => void;
  "auth:refresh": (p: { token: string }, ack: Ack<{ expiresAt: number; left: string[] }>) => void;
}

// ---- /notifications ----

export interface Notification {
  id: string;
  type: string;
  title: string;
  body: string;
  data: unknown;
  ts: number;
  read: boolean;
}

export interface NotificationsServerToClient {
  /** A new notification (read: false). */
  notification: (n: Notification) => void;
  /** Right after connecting: every unread notification, oldest first. */
  unread: (ns: Notification[]) => void;
  /** Another socket of this user marked these read. */
  read: (p: { ids: string[] }) => void;
  "auth:expiring": (p: { expiresAt: number }) => void;
  "auth:expired": (p: { expiresAt: number }) => void;
}

export interface NotificationsClientToServer {
  /** Marks them read; answers the ids that changed. */
  read: (p: { ids: string[] }, ack: Ack<{ ids: string[] }>) => void;
  /** Pages back through all notifications, newest first; limit 1-200, default 50. */
  list: (
    p: { before?: string; limit?: number },
    ack: Ack<{ notifications: Notification[]; more: boolean }>,
  ) => void;
  "auth:refresh": (p: { token: string }, ack: Ack<{ expiresAt: number; left: string[] }>) => void;
}

// ---- /admin (role admin) ----

/**
 * Added to an /admin ack when another node did not answer within 2 s: the
 * counts cover the nodes that answered (this one included) only.
 */
export interface ClusterPartial {
  partial?: true;
  nodes?: { answered: number; expected: number };
}

export interface AdminClientToServer {
  /** Users with a socket connected on any node, each once, with their socket count. */
  online: (ack: Ack<{ users: (User & { sockets: number })[] } & ClusterPartial>) => void;
  /** Disconnects the user's sockets on every node; sockets counts them all. */
  kick: (p: { user: string }, ack: Ack<{ sockets: number } & ClusterPartial>) => void;
  /** Revokes every session of the user, then disconnects their sockets on every node. */
  revoke: (
    p: { user: string },
    ack: Ack<{ sessions: number; sockets: number } & ClusterPartial>,
  ) => void;
}

export type ServerToClientEvents = RootServerToClient &
  ChatServerToClient &
  NotificationsServerToClient;

export type ClientToServerEvents = RootClientToServer &
  ChatClientToServer &
  NotificationsClientToServer &
  AdminClientToServer;
