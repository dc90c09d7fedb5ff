// app.js drives the demo page. It runs under a strict Content-Security-Policy
// (script-src 'self'), so it has no inline handlers, and it renders every
// piece of user data with textContent, never innerHTML.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const state = { token: null, user: null, root: null, chat: null, rooms: new Set() };

  function setStatus(text) { $('status').textContent = text; }

  function show(signedIn) {
    $('login-panel').classList.toggle('hidden', signedIn);
    $('chat-panel').classList.toggle('hidden', !signedIn);
  }

  function errorText(err) {
    if (!err) return 'unknown error';
    return err.message ? err.code + ': ' + err.message : String(err.code || err);
  }

  function renderMe(user) {
    $('me-name').textContent = user.name;
    $('me-id').textContent = user.id;
    $('me-teams').textContent = (user.teams || []).join(', ') || '(none)';
    $('me-roles').textContent = (user.roles || []).join(', ') || '(none)';
  }

  function renderRooms() {
    const list = $('joined');
    list.replaceChildren();
    for (const room of state.rooms) {
      const li = document.createElement('li');
      li.textContent = room;
      list.appendChild(li);
    }
  }

  function addMessage(msg, mine) {
    const li = document.createElement('li');
    if (mine) li.className = 'mine';
    const room = document.createElement('span');
    room.className = 'room';
    room.textContent = '#' + msg.room;
    const from = document.createElement('span');
    from.className = 'from';
    from.textContent = msg.from && msg.from.name ? msg.from.name : '?';
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = msg.text;
    li.append(room, from, text);
    const list = $('messages');
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  function connect() {
    const opts = { auth: { token: state.token }, transports: ['websocket', 'polling'] };
    state.root = io('/', opts);
    state.chat = io('/chat', opts);

    state.root.on('connect', () => {
      setStatus('connected');
      state.root.emit('whoami', (res) => {
        if (res && res.ok) renderMe(res.user);
      });
    });
    state.root.on('connect_error', (err) => {
      setStatus('connection refused: ' + (err.data && err.data.code ? err.data.code : err.message));
    });
    state.root.on('disconnect', (reason) => {
      setStatus('disconnected: ' + reason);
    });

    state.chat.on('connect', () => {
      // Rejoin after a reconnect: the server forgets rooms with the socket.
      for (const room of state.rooms) state.chat.emit('join', room, () => {});
    });
    state.chat.on('message', (msg) => addMessage(msg, false));
  }

  function disconnect() {
    if (state.root) state.root.disconnect();
    if (state.chat) state.chat.disconnect();
    state.root = state.chat = null;
  }

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    try {
      const res = await fetch('/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ username: $('username').value, password: $('password').value }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        $('login-error').textContent = res.status === 429
          ? 'Too many attempts; try again in ' + (res.headers.get('Retry-After') || 'a few') + ' s.'
          : errorText(body.error);
        return;
      }
      state.token = body.token;
      state.user = body.user;
      $('password').value = '';
      renderMe(body.user);
      show(true);
      connect();
    } catch (e) {
      $('login-error').textContent = 'network error';
    }
  });

  $('logout-button').addEventListener('click', async () => {
    try {
      await fetch('/logout', {
        method: 'POST',
        headers: { Authorization: 'Bearer ' + state.token },
        credentials: 'same-origin',
      });
    } finally {
      disconnect();
      state.token = null;
      state.rooms.clear();
      renderRooms();
      $('messages').replaceChildren();
      show(false);
      setStatus('signed out');
    }
  });

  $('join-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const room = $('room').value.trim();
    const out = $('join-result');
    if (!state.chat) return;
    state.chat.emit('join', room, (res) => {
      if (res && res.ok) {
        state.rooms.add(res.room);
        renderRooms();
        out.className = 'notice ok';
        out.textContent = 'Joined ' + res.room + '.';
      } else {
        out.className = 'notice refused';
        out.textContent = 'You may not join ' + room + ' (' + errorText(res && res.error) + ').';
      }
    });
  });

  $('message-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('send-error').textContent = '';
    const text = $('text').value;
    const room = state.rooms.size ? Array.from(state.rooms).pop() : $('room').value.trim();
    if (!state.chat || !text) return;
    // Clear the field now, not when the ack comes: by then the user may
    // have typed the next message, which must not be wiped.
    $('text').value = '';
    state.chat.emit('message', { room, text }, (res) => {
      if (res && res.ok) {
        addMessage({ id: res.id, room, from: { id: state.user.id, name: state.user.name }, text, ts: res.ts }, true);
      } else {
        $('send-error').textContent = 'Not sent: ' + errorText(res && res.error);
        if (!$('text').value) $('text').value = text; // give the text back to retry
      }
    });
  });
})();
