// app.js drives the chat and notification demo page, without a framework.
//
// It runs under a strict Content-Security-Policy (script-src 'self',
// style-src 'self'): no inline handlers or style attributes, and it renders
// every piece of user data with textContent or text nodes, never innerHTML.
//
// Sockets: one Manager (one connection) multiplexes /, /chat and
// /notifications, each authenticated with the login token in the CONNECT
// auth payload. The page stays joined to every public and team room it
// lists, so rooms not on screen still get messages (the unread dot); a DM
// reaches the user's sockets without a join, and is joined when opened.
//
// The token lives in memory only. A reload resumes the session through
// POST /token, which the HttpOnly session cookie authenticates; localStorage
// keeps just a flag saying there may be a session to resume (so a signed-out
// visit does not make a request that can only fail). auth:expiring is
// answered the same way: POST /token, then auth:refresh on every socket.
'use strict';

(function () {
  const PAGE = 50; // messages per join/history page (the server's default)
  const TYPING_SEND_MS = 2000; // emit `typing` at most once per this
  const TYPING_SHOW_MS = 3000; // show someone typing for this long
  const ACK_TIMEOUT_MS = 10000;
  const MAX_TEXT_BYTES = 4096; // the server's default MAX_TEXT
  const MAX_READ_IDS = 500; // ids per `read`
  const HINT_KEY = 'rtchat.signedIn';
  // Connect errors that end the session: the user must sign in again.
  const FATAL_AUTH = new Set(['missing_token', 'invalid_token', 'token_expired', 'revoked']);

  const $ = (id) => document.getElementById(id);
  const el = {
    status: $('status'), account: $('account'), meName: $('me-name'), logout: $('logout-button'),
    sessionNote: $('session-note'), announcer: $('announcer'),
    bell: $('bell'), bellCount: $('bell-count'), bellLabel: $('bell-count-label'),
    panel: $('notif-panel'), panelClose: $('notif-close'), notifList: $('notif-list'),
    notifEmpty: $('notif-empty'), notifMore: $('notif-more'),
    loginPanel: $('login-panel'), loginForm: $('login-form'), username: $('username'),
    password: $('password'), loginButton: $('login-button'), loginError: $('login-error'),
    app: $('chat-panel'), roomList: $('room-list'), dmList: $('dm-list'),
    joinForm: $('join-form'), joinInput: $('room'), joinResult: $('join-result'),
    roomTitle: $('room-title'), roomKind: $('room-kind'), loadOlder: $('load-older'),
    historyStatus: $('history-status'), messages: $('messages'), typing: $('typing'),
    composer: $('message-form'), text: $('text'), send: $('send-button'), sendError: $('send-error'),
    members: $('members'),
    adminForm: $('admin-form'), adminTo: $('admin-to'), adminTitle: $('admin-title-input'),
    adminBody: $('admin-body'), adminType: $('admin-type'), adminSend: $('admin-send'),
    adminResult: $('admin-result'),
  };

  let state = freshState();

  function freshState() {
    return {
      token: null,
      user: null, // {id, name, teams, roles}
      sockets: null, // {root, chat, notif}
      up: { root: false, chat: false, notif: false },
      everUp: false,
      rooms: new Map(), // name -> room (see newRoom)
      current: null, // name of the room on screen
      users: new Map(), // id -> {id, name, online}
      typing: new Map(), // room -> Map(userId -> {name, timer})
      typingSent: new Map(), // room -> ms of the last `typing` we sent
      notifs: new Map(), // id -> notification
      unread: new Set(), // ids of unread notifications
      liveSinceConnect: new Set(), // notification ids delivered before `unread`
      panelOpen: false,
      panelNew: new Set(), // ids highlighted in the open panel (were unread)
      notifMore: false,
      usersTimer: 0,
      pollTimer: 0,
    };
  }

  function newRoom(name, kind) {
    return {
      name, kind,
      wanted: kind !== 'dm', // stay joined (rejoin after a reconnect)
      joined: false,
      joining: null, // Promise of the join ack in flight
      loaded: false, // the first join answered
      messages: [], // oldest first
      ids: new Set(),
      more: false, // older messages exist on the server
      loadingOlder: false,
      unread: false,
      members: new Map(), // id -> name
    };
  }

  // ---- small helpers ----

  // h builds an element. props: text (textContent), className, and plain
  // attributes; children are nodes or strings (appended as text nodes).
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'className') node.className = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
    return node;
  }

  function errorText(err) {
    if (!err) return 'unknown error';
    if (err.message && err.code) return err.code + ': ' + err.message;
    return String(err.code || err.message || err);
  }

  function kindOf(room) {
    if (room.startsWith('team:')) return 'team';
    if (room.startsWith('dm:')) return 'dm';
    return 'public';
  }

  function dmRoomWith(other) {
    const a = state.user.id;
    return a < other ? 'dm:' + a + ':' + other : 'dm:' + other + ':' + a;
  }

  function dmOther(room) {
    const [, a, b] = room.split(':');
    return a === state.user.id ? b : a;
  }

  function userName(id) {
    const u = state.users.get(id);
    return u ? u.name : id;
  }

  function roomLabel(room) {
    if (room.kind === 'dm') return userName(dmOther(room.name));
    if (room.kind === 'team') return 'team ' + room.name.slice('team:'.length);
    return room.name;
  }

  function fmtTime(ts) {
    const d = new Date(ts);
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay
      ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
      : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }

  function announce(text) {
    // Clearing first makes a repeated text be read again.
    el.announcer.textContent = '';
    window.setTimeout(() => { el.announcer.textContent = text; }, 30);
  }

  // call emits an acknowledged event and resolves with the ack, or with an
  // AckError-shaped value when there is no answer in time.
  function call(sock, event, ...args) {
    return new Promise((resolve) => {
      if (!sock) {
        resolve({ ok: false, error: { code: 'unavailable', message: 'not connected' } });
        return;
      }
      sock.timeout(ACK_TIMEOUT_MS).emit(event, ...args, (err, res) => {
        if (err) resolve({ ok: false, error: { code: 'timeout', message: 'no answer from the server' } });
        else resolve(res && typeof res === 'object' ? res : { ok: false, error: { code: 'internal', message: 'bad answer' } });
      });
    });
  }

  // ---- status ----

  function setStatus(text, kind) {
    el.status.textContent = text;
    el.status.dataset.state = kind;
  }

  function updateStatus() {
    if (!state.sockets) return;
    const { root, chat, notif } = state.up;
    if (root && chat && notif) {
      state.everUp = true;
      setStatus('connected', 'connected');
    } else {
      setStatus(state.everUp ? 'reconnecting…' : 'connecting…', 'connecting');
    }
  }

  function setSessionNote(text) {
    el.sessionNote.textContent = text || '';
    el.sessionNote.hidden = !text;
  }

  // ---- session ----

  function setHint(on) {
    try {
      if (on) localStorage.setItem(HINT_KEY, '1');
      else localStorage.removeItem(HINT_KEY);
    } catch (e) { /* storage disabled: a reload just shows the sign-in form */ }
  }

  function hasHint() {
    try { return localStorage.getItem(HINT_KEY) === '1'; } catch (e) { return false; }
  }

  // requestToken asks POST /token for a fresh token of the current session,
  // with the Bearer token when there is one, else the session cookie. It
  // resolves to the /login-shaped answer, or null.
  async function requestToken(bearer) {
    const headers = bearer ? { Authorization: 'Bearer ' + bearer } : {};
    try {
      const res = await fetch('/token', { method: 'POST', headers, credentials: 'same-origin' });
      if (!res.ok) return null;
      const body = await res.json();
      return body && typeof body.token === 'string' && body.user ? body : null;
    } catch (e) {
      return null;
    }
  }

  let refreshing = null;

  // refreshToken gets a new token once for all sockets (each of them
  // says auth:expiring) and hands it to every connected socket.
  function refreshToken() {
    if (refreshing) return refreshing;
    const sockets = state.sockets;
    refreshing = requestToken(state.token).then(async (body) => {
      if (!body || state.sockets !== sockets) return false;
      state.token = body.token;
      const acks = await Promise.all(Object.values(sockets)
        .filter((s) => s.connected)
        .map((s) => call(s, 'auth:refresh', { token: body.token })));
      return acks.every((a) => a.ok);
    }).finally(() => { refreshing = null; });
    return refreshing;
  }

  function startSession(token, user) {
    state = freshState();
    state.token = token;
    state.user = normalizeUser(user);
    setHint(true);
    showApp(true);
    renderMe();
    renderAll();
    connect();
  }

  function normalizeUser(u) {
    return { id: String(u.id), name: String(u.name || u.id), teams: u.teams || [], roles: u.roles || [] };
  }

  // endSession drops everything local; message (optional) tells the user why.
  function endSession(message) {
    disconnect();
    for (const m of state.typing.values()) for (const t of m.values()) clearTimeout(t.timer);
    clearTimeout(state.usersTimer);
    clearInterval(state.pollTimer);
    setHint(false);
    state = freshState();
    closePanel(false);
    el.messages.replaceChildren();
    el.notifList.replaceChildren();
    for (const p of [el.joinResult, el.sendError, el.historyStatus, el.adminResult, el.typing]) p.textContent = '';
    el.text.value = '';
    renderBell();
    showApp(false);
    setStatus('signed out', 'offline');
    setSessionNote('');
    el.loginError.textContent = message || '';
    el.username.focus();
  }

  function showApp(signedIn) {
    el.loginPanel.hidden = signedIn;
    el.app.hidden = !signedIn;
    el.account.hidden = !signedIn;
    document.body.classList.toggle('signed-in', signedIn);
  }

  function renderMe() {
    el.meName.textContent = state.user.name;
    const admin = state.user.roles.includes('admin');
    el.adminForm.hidden = !admin;
    if (admin) renderAdminTargets();
  }

  // ---- sockets ----

  function connect() {
    const auth = (cb) => cb({ token: state.token });
    const root = io('/', { auth, forceNew: true, transports: ['websocket', 'polling'] });
    const chat = root.io.socket('/chat', { auth });
    const notif = root.io.socket('/notifications', { auth });
    state.sockets = { root, chat, notif };
    setStatus('connecting…', 'connecting');

    for (const [key, sock] of Object.entries(state.sockets)) {
      sock.on('connect', () => { state.up[key] = true; updateStatus(); });
      sock.on('disconnect', (reason) => {
        state.up[key] = false;
        updateStatus();
        // The server ended the socket (a restart, a kick, or a revoked
        // session): try once more; a dead session answers connect_error.
        if (reason === 'io server disconnect') retryLater(sock);
      });
      sock.on('connect_error', (err) => {
        const code = err && err.data && err.data.code;
        if (code === 'token_expired') {
          // Asleep past the token's life: the session (cookie) may live on.
          renewExpired(sock);
          return;
        }
        if (FATAL_AUTH.has(code)) {
          endSession('Your session ended (' + code + '). Please sign in again.');
          return;
        }
        if (code) { // refused by the server (rate_limited, unavailable…): no automatic retry
          setStatus('connection refused: ' + code, 'error');
          retryLater(sock);
        } else {
          setStatus('connection problem: retrying…', 'connecting');
        }
      });
      sock.on('auth:expiring', async () => {
        if (await refreshToken()) {
          setSessionNote('');
        } else if (state.sockets) {
          setSessionNote('Your session is about to end; sign in again to continue.');
        }
      });
      sock.on('auth:expired', () => endSession('Your session expired. Please sign in again.'));
    }

    root.on('connect', async () => {
      const res = await call(root, 'whoami');
      if (res.ok && res.user) {
        state.user = normalizeUser(res.user);
        renderMe();
        renderLists();
      }
    });

    chat.on('connect', onChatConnect);
    chat.on('disconnect', () => {
      for (const room of state.rooms.values()) { room.joined = false; room.joining = null; }
      renderComposer();
    });
    chat.on('message', onMessage);
    chat.on('presence', onPresence);
    chat.on('typing', onTyping);

    notif.on('connect', () => { state.liveSinceConnect.clear(); });
    notif.on('unread', onUnread);
    notif.on('notification', onNotification);
    notif.on('read', (p) => markLocallyRead((p && p.ids) || []));

    // Presence events cover the rooms we are in; a slow poll catches the rest.
    state.pollTimer = setInterval(refreshUsers, 30000);
  }

  let renewing = null;

  function renewExpired(sock) {
    const sockets = state.sockets;
    if (!renewing) {
      renewing = requestToken(null).then((body) => {
        if (state.sockets !== sockets) return false;
        if (body) state.token = body.token;
        return !!body;
      }).finally(() => { renewing = null; });
    }
    renewing.then((ok) => {
      if (state.sockets !== sockets) return;
      if (ok) sock.connect();
      else endSession('Your session expired. Please sign in again.');
    });
  }

  function retryLater(sock) {
    setTimeout(() => {
      if (state.sockets && Object.values(state.sockets).includes(sock) && !sock.connected) sock.connect();
    }, 1500 + Math.random() * 1500);
  }

  function disconnect() {
    if (!state.sockets) return;
    for (const sock of Object.values(state.sockets)) {
      sock.removeAllListeners();
      sock.disconnect();
    }
    state.sockets = null;
  }

  // ---- chat ----

  async function onChatConnect() {
    const chat = state.sockets.chat;
    const [roomsRes, usersRes] = await Promise.all([call(chat, 'rooms'), call(chat, 'users')]);
    if (!state.sockets || state.sockets.chat !== chat) return;
    if (usersRes.ok) setUsers(usersRes.users || []);
    if (roomsRes.ok) {
      for (const r of roomsRes.rooms || []) ensureRoom(r.name, r.kind);
    } else {
      el.historyStatus.textContent = 'Could not list rooms: ' + errorText(roomsRes.error);
    }
    renderLists();
    const joins = [];
    for (const room of state.rooms.values()) if (room.wanted) joins.push(joinRoom(room));
    if (!state.current) {
      const first = state.rooms.get('general') || [...state.rooms.values()].find((r) => r.kind !== 'dm');
      if (first) selectRoom(first.name, false);
    } else {
      selectRoom(state.current, false);
    }
    await Promise.all(joins);
  }

  function ensureRoom(name, kind) {
    let room = state.rooms.get(name);
    if (!room) {
      room = newRoom(name, kind || kindOf(name));
      state.rooms.set(name, room);
    }
    return room;
  }

  function joinRoom(room) {
    if (room.joined) return Promise.resolve({ ok: true, room: room.name });
    if (room.joining) return room.joining;
    const chat = state.sockets && state.sockets.chat;
    room.joining = call(chat, 'join', room.name).then((res) => {
      if (!state.sockets || state.sockets.chat !== chat) return res;
      room.joining = null;
      if (!res.ok) return res;
      room.joined = true;
      room.wanted = true;
      room.members = new Map((res.members || []).map((u) => [u.id, u.name]));
      const history = res.history || [];
      if (!room.loaded) {
        room.loaded = true;
        room.more = history.length >= PAGE;
      }
      mergeMessages(room, history);
      if (room.name === state.current) {
        renderMessages(true);
        renderMembers();
        renderComposer();
      }
      return res;
    });
    return room.joining;
  }

  // mergeMessages adds the messages not seen yet and keeps the list sorted;
  // it returns how many were new.
  function mergeMessages(room, msgs) {
    let added = 0;
    for (const m of msgs) {
      if (!m || room.ids.has(m.id)) continue;
      room.ids.add(m.id);
      room.messages.push(m);
      added++;
    }
    if (added) room.messages.sort((a, b) => a.ts - b.ts);
    return added;
  }

  function onMessage(m) {
    if (!m || typeof m.room !== 'string' || !m.from) return;
    const room = ensureRoom(m.room);
    if (room.ids.has(m.id)) return;
    const wasLast = room.messages.length === 0 || room.messages[room.messages.length - 1].ts <= m.ts;
    mergeMessages(room, [m]);
    stopTyping(m.room, m.from.id);
    const mine = m.from.id === state.user.id;
    if (room.name === state.current) {
      if (wasLast) appendMessage(room, m); else renderMessages(false);
      if (!mine) announce(m.from.name + ': ' + m.text);
    } else if (!mine) {
      room.unread = true;
      renderLists();
    }
  }

  function onPresence(p) {
    if (!p || !p.user) return;
    const room = state.rooms.get(p.room);
    if (room) {
      if (p.online) room.members.set(p.user.id, p.user.name);
      else room.members.delete(p.user.id);
      if (room.name === state.current) renderMembers();
    }
    if (p.online) {
      const u = state.users.get(p.user.id);
      if (u && !u.online) { u.online = true; renderLists(); }
    }
    // Leaving one room is not going offline: ask the server.
    clearTimeout(state.usersTimer);
    state.usersTimer = setTimeout(refreshUsers, 400);
  }

  async function refreshUsers() {
    if (!state.sockets || !state.up.chat) return;
    const res = await call(state.sockets.chat, 'users');
    if (res.ok) setUsers(res.users || []);
  }

  function setUsers(list) {
    state.users = new Map(list.map((u) => [u.id, { id: u.id, name: u.name, online: !!u.online }]));
    for (const u of state.users.values()) {
      if (u.id !== state.user.id) ensureRoom(dmRoomWith(u.id), 'dm');
    }
    renderLists();
    renderMembers();
    if (state.current) renderRoomHead();
    if (!el.adminForm.hidden) renderAdminTargets();
  }

  async function selectRoom(name, focusComposer) {
    const room = state.rooms.get(name);
    if (!room) return;
    const changed = state.current !== name;
    state.current = name;
    room.unread = false;
    room.wanted = true;
    el.sendError.textContent = '';
    if (changed) el.historyStatus.textContent = '';
    renderLists();
    renderRoomHead();
    renderMessages(true);
    renderMembers();
    renderTyping();
    renderComposer();
    if (focusComposer) el.text.focus();
    if (!room.joined && state.sockets) {
      el.historyStatus.textContent = 'Joining…';
      const res = await joinRoom(room);
      if (state.current !== name) return;
      el.historyStatus.textContent = res.ok ? '' : 'Could not join: ' + errorText(res.error);
      renderComposer();
    }
  }

  async function loadOlder() {
    const room = state.rooms.get(state.current);
    if (!room || !room.more || room.loadingOlder || !room.joined || room.messages.length === 0) return;
    room.loadingOlder = true;
    el.historyStatus.textContent = 'Loading older messages…';
    const res = await call(state.sockets.chat, 'history', { room: room.name, before: room.messages[0].id, limit: PAGE });
    room.loadingOlder = false;
    if (!res.ok) {
      if (room.name === state.current) el.historyStatus.textContent = 'Could not load older messages: ' + errorText(res.error);
      return;
    }
    room.more = !!res.more;
    mergeMessages(room, res.messages || []);
    if (room.name !== state.current) return;
    el.historyStatus.textContent = room.more ? '' : 'This is the beginning of the conversation.';
    // Keep the message the reader was looking at in place.
    const list = el.messages;
    const fromBottom = list.scrollHeight - list.scrollTop;
    renderMessages(false);
    list.scrollTop = list.scrollHeight - fromBottom;
  }

  // ---- typing ----

  function onTyping(p) {
    if (!p || !p.from || p.from.id === state.user.id) return;
    let inRoom = state.typing.get(p.room);
    if (!inRoom) { inRoom = new Map(); state.typing.set(p.room, inRoom); }
    const prev = inRoom.get(p.from.id);
    if (prev) clearTimeout(prev.timer);
    inRoom.set(p.from.id, {
      name: p.from.name,
      timer: setTimeout(() => stopTyping(p.room, p.from.id), TYPING_SHOW_MS),
    });
    if (p.room === state.current) renderTyping();
  }

  function stopTyping(room, userId) {
    const inRoom = state.typing.get(room);
    const t = inRoom && inRoom.get(userId);
    if (!t) return;
    clearTimeout(t.timer);
    inRoom.delete(userId);
    if (room === state.current) renderTyping();
  }

  function maybeSendTyping() {
    const room = state.rooms.get(state.current);
    if (!room || !room.joined || !el.text.value || !state.sockets) return;
    const now = Date.now();
    if (now - (state.typingSent.get(room.name) || 0) < TYPING_SEND_MS) return;
    state.typingSent.set(room.name, now);
    state.sockets.chat.emit('typing', { room: room.name });
  }

  // ---- sending ----

  function sendMessage() {
    el.sendError.textContent = '';
    const room = state.rooms.get(state.current);
    const text = el.text.value;
    if (!room || !text.trim() || !state.sockets) return;
    if (!room.joined) {
      el.sendError.textContent = 'Not in this room yet; wait a moment.';
      return;
    }
    if (new TextEncoder().encode(text).length > MAX_TEXT_BYTES) {
      el.sendError.textContent = 'The message is too long (at most 4 KiB).';
      return;
    }
    // Clear now, not when the ack comes: the user may be typing the next one.
    el.text.value = '';
    state.typingSent.delete(room.name);
    call(state.sockets.chat, 'message', { room: room.name, text }).then((res) => {
      if (res.ok) {
        onMessage({ id: res.id, room: room.name, from: { id: state.user.id, name: state.user.name }, text, ts: res.ts });
        scrollToBottom();
      } else {
        el.sendError.textContent = 'Not sent: ' + errorText(res.error);
        if (!el.text.value) el.text.value = text; // give the text back to retry
      }
    });
  }

  // ---- rendering: rooms, messages, members ----

  function renderAll() {
    renderLists();
    renderRoomHead();
    renderMessages(true);
    renderMembers();
    renderTyping();
    renderComposer();
    renderBell();
  }

  function roomButton(room, extra) {
    const current = room.name === state.current;
    return h('li', null,
      h('button', {
        type: 'button', className: 'room-btn' + (current ? ' current' : '') + (room.unread ? ' has-unread' : ''),
        'data-room': room.name, 'data-testid': 'room', 'aria-current': current ? 'true' : null,
      },
      extra || h('span', { className: 'hash', 'aria-hidden': 'true', text: room.kind === 'team' ? '◆' : '#' }),
      h('span', { className: 'room-name', text: roomLabel(room) }),
      room.unread ? h('span', { className: 'unread-dot', 'data-testid': 'unread-dot' },
        h('span', { className: 'visually-hidden', text: ', unread messages' })) : null));
  }

  function renderLists() {
    if (!state.user) {
      el.roomList.replaceChildren();
      el.dmList.replaceChildren();
      return;
    }
    const rooms = [...state.rooms.values()];
    const order = { public: 0, team: 1 };
    el.roomList.replaceChildren(...rooms.filter((r) => r.kind !== 'dm')
      .sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name))
      .map((r) => roomButton(r)));
    el.dmList.replaceChildren(...rooms.filter((r) => r.kind === 'dm')
      .map((r) => ({ r, u: state.users.get(dmOther(r.name)) }))
      .sort((a, b) => (b.u && b.u.online ? 1 : 0) - (a.u && a.u.online ? 1 : 0) ||
        roomLabel(a.r).localeCompare(roomLabel(b.r)))
      .map(({ r, u }) => roomButton(r, presenceDot(!!(u && u.online)))));
    if (el.dmList.children.length === 0) {
      el.dmList.append(h('li', { className: 'muted small-text', text: 'No one else yet.' }));
    }
  }

  function presenceDot(online) {
    return h('span', { className: 'presence ' + (online ? 'online' : 'offline'), 'data-online': String(online) },
      h('span', { className: 'visually-hidden', text: online ? 'online: ' : 'offline: ' }));
  }

  function renderRoomHead() {
    const room = state.rooms.get(state.current);
    if (!room) {
      el.roomTitle.textContent = 'Pick a room';
      el.roomKind.textContent = '';
      return;
    }
    el.roomTitle.textContent = room.kind === 'dm' ? roomLabel(room) : '#' + room.name;
    el.roomKind.textContent = room.kind === 'dm' ? 'Direct message'
      : room.kind === 'team' ? 'Team room' : 'Public room';
  }

  function isContinuation(prev, m) {
    return prev && prev.from.id === m.from.id && m.ts - prev.ts < 5 * 60 * 1000;
  }

  function messageNode(m, prev) {
    const mine = m.from.id === state.user.id;
    const cont = isContinuation(prev, m);
    return h('li', {
      className: 'msg' + (mine ? ' mine' : '') + (cont ? ' cont' : ''),
      'data-id': m.id, 'data-testid': 'message',
    },
    h('div', { className: 'meta' },
      h('span', { className: 'from', text: m.from.name }),
      h('time', { className: 'time', datetime: new Date(m.ts).toISOString(), text: fmtTime(m.ts) })),
    h('p', { className: 'text', text: m.text }));
  }

  function renderMessages(toBottom) {
    const room = state.rooms.get(state.current);
    const nodes = [];
    if (room) {
      room.messages.forEach((m, i) => nodes.push(messageNode(m, room.messages[i - 1])));
    }
    el.messages.replaceChildren(...nodes);
    if (room && room.loaded && room.messages.length === 0) {
      el.messages.append(h('li', { className: 'empty muted', text: 'No messages yet. Say hello!' }));
    }
    el.loadOlder.hidden = !(room && room.more);
    if (toBottom) scrollToBottom();
    // A short first page shows no scroll bar, so scrolling up cannot ask
    // for more: fetch until the list scrolls or the history ends.
    if (room && room.more && el.messages.scrollHeight <= el.messages.clientHeight) loadOlder();
  }

  function appendMessage(room, m) {
    const list = el.messages;
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const empty = list.querySelector('li.empty');
    if (empty) empty.remove();
    list.append(messageNode(m, room.messages[room.messages.length - 2]));
    if (nearBottom || m.from.id === state.user.id) scrollToBottom();
  }

  function scrollToBottom() {
    el.messages.scrollTop = el.messages.scrollHeight;
  }

  function renderMembers() {
    const room = state.rooms.get(state.current);
    if (!room || !room.joined) {
      el.members.replaceChildren(h('li', { className: 'muted small-text', text: room ? 'Joining…' : '' }));
      return;
    }
    const list = [...room.members.entries()].sort((a, b) => a[1].localeCompare(b[1]));
    el.members.replaceChildren(...list.map(([id, name]) => h('li', { 'data-user': id, 'data-testid': 'member' },
      presenceDot(true),
      h('span', { className: 'member-name', text: name }),
      id === state.user.id ? h('span', { className: 'muted small-text', text: ' (you)' }) : null)));
  }

  function renderTyping() {
    const names = [...((state.typing.get(state.current) || new Map()).values())].map((t) => t.name);
    let text = '';
    if (names.length === 1) text = names[0] + ' is typing…';
    else if (names.length === 2) text = names[0] + ' and ' + names[1] + ' are typing…';
    else if (names.length > 2) text = 'Several people are typing…';
    el.typing.textContent = text;
  }

  function renderComposer() {
    const room = state.rooms.get(state.current);
    const ready = !!(room && room.joined && state.up.chat);
    el.text.disabled = !room;
    el.send.disabled = !ready;
    el.text.placeholder = room ? 'Message ' + (room.kind === 'dm' ? roomLabel(room) : '#' + room.name) : 'Pick a room first';
  }

  // ---- notifications ----

  function addNotif(n) {
    if (!n || typeof n.id !== 'string') return false;
    const known = state.notifs.has(n.id);
    state.notifs.set(n.id, n);
    return !known;
  }

  function onUnread(list) {
    if (!Array.isArray(list)) return;
    // The list is authoritative for what was unread at connect; ones that
    // arrived live since then stay unread.
    const unread = new Set(state.liveSinceConnect);
    for (const n of list) { addNotif(n); unread.add(n.id); }
    state.unread = unread;
    renderBell();
    if (state.panelOpen) { renderPanel(); markShownRead(); }
  }

  function onNotification(n) {
    if (!addNotif(n)) return;
    state.liveSinceConnect.add(n.id);
    if (!n.read) state.unread.add(n.id);
    renderBell();
    announce('New notification: ' + n.title);
    if (state.panelOpen) { renderPanel(); markShownRead(); }
  }

  function markLocallyRead(ids) {
    for (const id of ids) {
      state.unread.delete(id);
      const n = state.notifs.get(id);
      if (n) n.read = true;
    }
    renderBell();
  }

  function renderBell() {
    const count = state.unread.size;
    el.bellCount.textContent = count > 99 ? '99+' : String(count);
    el.bellCount.dataset.count = String(count);
    el.bellCount.hidden = count === 0;
    el.bellLabel.textContent = count === 0 ? 'none unread' : count + ' unread';
    el.bell.classList.toggle('ringing', count > 0);
    document.title = (count > 0 ? '(' + count + ') ' : '') + 'rtserver chat';
  }

  function sortedNotifs() {
    return [...state.notifs.values()].sort((a, b) => b.ts - a.ts);
  }

  function renderPanel() {
    const list = sortedNotifs();
    el.notifList.replaceChildren(...list.map((n) => h('li', {
      className: 'notif' + (state.panelNew.has(n.id) || state.unread.has(n.id) ? ' new' : ''),
      'data-id': n.id, 'data-testid': 'notification',
    },
    h('div', { className: 'notif-top' },
      h('strong', { className: 'notif-title', text: n.title }),
      h('time', { className: 'time', datetime: new Date(n.ts).toISOString(), text: fmtTime(n.ts) })),
    n.body ? h('p', { className: 'notif-body', text: n.body }) : null,
    h('span', { className: 'notif-type muted', text: n.type }))));
    el.notifEmpty.hidden = list.length > 0;
    el.notifMore.hidden = !state.notifMore;
  }

  async function markShownRead() {
    const ids = [...el.notifList.querySelectorAll('li[data-id]')]
      .map((li) => li.dataset.id).filter((id) => state.unread.has(id));
    if (ids.length === 0 || !state.sockets) return;
    for (const id of ids) state.panelNew.add(id);
    for (let i = 0; i < ids.length; i += MAX_READ_IDS) {
      const chunk = ids.slice(i, i + MAX_READ_IDS);
      const res = await call(state.sockets.notif, 'read', { ids: chunk });
      // Ids not in the answer were already read (by another tab): also done.
      if (res.ok) markLocallyRead(chunk);
    }
  }

  async function fetchNotifs(before) {
    if (!state.sockets) return;
    const res = await call(state.sockets.notif, 'list', before ? { before, limit: PAGE } : { limit: PAGE });
    if (!res.ok) return;
    for (const n of res.notifications || []) {
      addNotif(n);
      if (!n.read) state.unread.add(n.id);
    }
    state.notifMore = !!res.more;
    renderBell();
  }

  async function openPanel() {
    state.panelOpen = true;
    state.panelNew = new Set(state.unread);
    el.panel.hidden = false;
    el.bell.setAttribute('aria-expanded', 'true');
    renderPanel();
    el.panel.focus();
    markShownRead();
    await fetchNotifs();
    if (!state.panelOpen) return;
    renderPanel();
    markShownRead();
  }

  function closePanel(restoreFocus) {
    const wasOpen = state.panelOpen;
    state.panelOpen = false;
    el.panel.hidden = true;
    el.bell.setAttribute('aria-expanded', 'false');
    if (wasOpen && restoreFocus) el.bell.focus();
  }

  // ---- admin publish form ----

  function renderAdminTargets() {
    const selected = el.adminTo.value;
    const opts = [h('option', { value: '*all*', text: 'Everyone' })];
    const users = [...state.users.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const u of users) opts.push(h('option', { value: u.id, text: u.name + ' (' + u.id + ')' }));
    el.adminTo.replaceChildren(...opts);
    if ([...el.adminTo.options].some((o) => o.value === selected)) el.adminTo.value = selected;
  }

  async function publish() {
    el.adminResult.className = 'notice';
    el.adminResult.textContent = 'Sending…';
    const target = el.adminTo.value;
    const payload = {
      to: target === '*all*' ? { all: true } : { users: [target] },
      type: el.adminType.value.trim(),
      title: el.adminTitle.value.trim(),
      body: el.adminBody.value,
    };
    el.adminSend.disabled = true;
    try {
      const res = await fetch('/api/v1/notifications', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + state.token },
        credentials: 'omit',
        body: JSON.stringify(payload),
      });
      const body = await res.json().catch(() => ({}));
      if (res.status === 202) {
        el.adminResult.className = 'notice ok';
        el.adminResult.textContent = 'Sent to ' + body.stored + ' user' + (body.stored === 1 ? '' : 's') +
          ' (' + body.online + ' online).';
        el.adminTitle.value = '';
        el.adminBody.value = '';
      } else {
        const e = body.error || {};
        el.adminResult.className = 'notice refused';
        el.adminResult.textContent = 'Not sent: ' + (e.field ? e.field + ' ' : '') + (e.message || e.code || 'HTTP ' + res.status);
      }
    } catch (e) {
      el.adminResult.className = 'notice refused';
      el.adminResult.textContent = 'Not sent: network error';
    } finally {
      el.adminSend.disabled = false;
    }
  }

  // ---- wiring ----

  el.loginForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    el.loginError.textContent = '';
    const username = el.username.value.trim();
    const password = el.password.value;
    if (!username || !password) {
      el.loginError.textContent = 'Enter a username and a password.';
      (username ? el.password : el.username).focus();
      return;
    }
    el.loginButton.disabled = true;
    try {
      const res = await fetch('/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ username, password }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        el.loginError.textContent = res.status === 429
          ? 'Too many attempts; try again in ' + (res.headers.get('Retry-After') || 'a few') + ' s.'
          : res.status === 401 ? 'Wrong username or password.' : errorText(body.error);
        el.password.select();
        return;
      }
      el.password.value = '';
      startSession(body.token, body.user);
    } catch (e) {
      el.loginError.textContent = 'Network error; is the server running?';
    } finally {
      el.loginButton.disabled = false;
    }
  });

  el.logout.addEventListener('click', async () => {
    const token = state.token;
    el.logout.disabled = true;
    try {
      await fetch('/logout', {
        method: 'POST',
        headers: { Authorization: 'Bearer ' + token },
        credentials: 'same-origin',
      });
    } catch (e) { /* signed out locally either way */ } finally {
      el.logout.disabled = false;
      endSession('');
    }
  });

  function onRoomClick(ev) {
    const btn = ev.target.closest('button[data-room]');
    if (btn) selectRoom(btn.dataset.room, true);
  }
  el.roomList.addEventListener('click', onRoomClick);
  el.dmList.addEventListener('click', onRoomClick);

  el.joinForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = el.joinInput.value.trim();
    if (!name || !state.sockets) return;
    const existed = state.rooms.has(name);
    const room = ensureRoom(name);
    const res = await joinRoom(room);
    if (res.ok) {
      el.joinResult.className = 'notice ok';
      el.joinResult.textContent = 'Joined ' + name + '.';
      el.joinInput.value = '';
      renderLists();
      selectRoom(name, true);
    } else {
      if (!existed) state.rooms.delete(name);
      el.joinResult.className = 'notice refused';
      el.joinResult.textContent = 'You may not join ' + name + ' (' + errorText(res.error) + ').';
    }
  });

  el.composer.addEventListener('submit', (ev) => {
    ev.preventDefault();
    sendMessage();
  });
  el.text.addEventListener('input', maybeSendTyping);

  el.messages.addEventListener('scroll', () => {
    if (el.messages.scrollTop < 60) loadOlder();
  }, { passive: true });
  el.loadOlder.addEventListener('click', loadOlder);

  el.bell.addEventListener('click', () => { if (state.panelOpen) closePanel(true); else openPanel(); });
  el.panelClose.addEventListener('click', () => closePanel(true));
  el.notifMore.addEventListener('click', async () => {
    const oldest = sortedNotifs().pop();
    await fetchNotifs(oldest && oldest.id);
    renderPanel();
    markShownRead();
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && state.panelOpen) closePanel(true);
  });
  document.addEventListener('click', (ev) => {
    if (state.panelOpen && !el.panel.contains(ev.target) && !el.bell.contains(ev.target)) closePanel(false);
  });

  el.adminForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!el.adminForm.reportValidity()) return;
    publish();
  });

  // Resume the browser's session (the cookie) after a reload or in a new tab.
  async function resume() {
    if (typeof io !== 'function') {
      // The server answers 503 for the client bundle when it was built
      // without it; without this the page would only say "Network error".
      el.loginError.textContent = 'This server was built without the socket.io client (/lib/socket.io.min.js): rebuild it with `make build`.';
      el.loginButton.disabled = true;
      return;
    }
    if (!hasHint()) {
      el.username.focus();
      return;
    }
    setStatus('resuming session…', 'connecting');
    const body = await requestToken(null);
    if (body && !state.token) {
      startSession(body.token, body.user);
    } else if (!state.token) {
      setHint(false);
      setStatus('signed out', 'offline');
      el.username.focus();
    }
  }
  resume();
})();
