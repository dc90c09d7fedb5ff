// races.test.mjs: connects racing POST /logout, /admin revoke and /admin
// kick never survive them (SECURITY_CASES "Auth": 0 of 1,000). Each path
// gets ROUNDS rounds of PER_ROUND sockets of one login, spread over every
// namespace, both transports, token and cookie, started in a burst a few
// per millisecond while the revoking call goes out; once the call is done
// and every socket has settled, the test waits 1.5 s and counts the
// sockets still connected that answer an ack. It prints
// `races: <path> attempts=N survivors=M` for the report, and with
// RT_RACES_DEBUG=1 each round's socket states and connect times.
//
// The server (RT_RACES_URL) has no per-user socket cap: a round opens a few
// hundred sockets of one user.
//
// Kick is not a ban: a connect verified after the kick may succeed. To tell
// those apart from survivors, the kick rounds use tokens that expire at a
// whole second E and send the kick just after E: a socket verified after E
// is refused (token_expired), so any socket alive at the end was verified
// before the kick and should have been ended by it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { ALLOWED_ORIGIN, BASE, claimsLike, loginOK, logout, mint, nowSec, sleep } from './helpers.mjs';
import { io } from 'socket.io-client';

const RACES = (process.env.RT_RACES_URL || BASE).replace(/\/$/, '');
const ROUNDS = 3;
const PER_ROUND = 350;
// A logout or revoke round starts its sockets in a burst of BURST_MS and
// sends the call once FIRE_AFTER of them have connected: the rest are
// queued in the server, verified around the call.
const BURST_MS = 50;
const FIRE_AFTER = 5;
// A kick round starts the same burst KICK_LEAD_MS before E: the server
// is still verifying the queued sockets at E, when the kick goes out.
const KICK_LEAD_MS = 150;
const SETTLE_MS = 1500;

// One acked event per namespace: any answer proves the socket is alive.
const PROBES = { '/': 'whoami', '/chat': 'rooms', '/notifications': 'list', '/admin': 'online' };
const NAMESPACES = Object.keys(PROBES);

const figures = [];
after(() => {
  for (const f of figures) console.log(`races: ${f.path} attempts=${f.attempts} survivors=${f.survivors}`);
});

// track opens one socket and follows its state until closed.
function track(nsp, opts, onConnect) {
  const s = io(RACES + nsp, { forceNew: true, reconnection: false, timeout: 8000, ...opts });
  const t = { s, nsp, state: 'pending', start: performance.now() };
  t.settled = new Promise((resolve) => {
    s.once('connect', () => { t.state = 'connected'; t.ms = performance.now() - t.start; onConnect(); resolve(); });
    s.once('connect_error', () => { t.state = 'refused'; t.ms = performance.now() - t.start; resolve(); });
  });
  s.on('disconnect', () => { t.state = 'disconnected'; });
  return t;
}

// optsFor varies how the i-th socket presents the round's login:
// the auth payload mostly, the session cookie for some; WebSocket mostly,
// polling for some.
function optsFor(i, { token, session }) {
  const transports = i % 4 === 3 ? ['polling'] : ['websocket'];
  if (session && i % 5 === 2) {
    return { transports, extraHeaders: { Cookie: `session=${session}`, Origin: ALLOWED_ORIGIN } };
  }
  return { transports, auth: { token } };
}

// settle turns a rejection into a value, so a failing call running while
// the round goes on is not an unhandled rejection.
const settle = (p) => p.then(() => null, (err) => err);

// race starts PER_ROUND sockets over windowMs and calls fire once when()
// resolves (it gets a promise of the moment FIRE_AFTER sockets have
// connected); when both are done and every socket has settled, it waits
// SETTLE_MS and counts the sockets still alive.
async function race({ cred, windowMs, when, fire }) {
  const socks = [];
  let connected = 0;
  let enough;
  const enoughConnected = new Promise((resolve) => { enough = resolve; });
  const fired = settle(when(enoughConnected).then(fire));
  const began = performance.now();
  for (let i = 0; i < PER_ROUND; i++) {
    const wait = began + (i * windowMs) / PER_ROUND - performance.now();
    if (wait >= 1) await sleep(wait);
    socks.push(track(NAMESPACES[i % NAMESPACES.length], optsFor(i, cred), () => {
      if (++connected === FIRE_AFTER) enough();
    }));
  }
  await Promise.race([Promise.all(socks.map((t) => t.settled)), sleep(10000)]);
  enough();
  const failed = await fired;
  if (failed) throw failed;
  await sleep(SETTLE_MS);
  const alive = await Promise.all(socks.map(async (t) => {
    if (!t.s.connected) return false;
    try {
      await t.s.timeout(2000).emitWithAck(PROBES[t.nsp]);
      return true;
    } catch {
      return false;
    }
  }));
  const survivors = socks.filter((_, i) => alive[i]);
  const states = {};
  for (const t of socks) states[t.state] = (states[t.state] || 0) + 1;
  for (const t of socks) t.s.disconnect();
  if (process.env.RT_RACES_DEBUG) {
    const ms = socks.map((t) => t.ms).sort((a, b) => a - b);
    console.log(JSON.stringify(states), 'ms p10/p50/p90', [0.1, 0.5, 0.9].map((q) => Math.round(ms[Math.floor(q * ms.length)])));
  }
  return { attempts: socks.length, survivors: survivors.map((t) => t.nsp), states };
}

// admin opens an /admin socket for the controller of a round.
async function admin() {
  const { token } = await loginOK('admin', RACES);
  const s = io(RACES + '/admin', { forceNew: true, reconnection: false, transports: ['websocket'], auth: { token } });
  await new Promise((resolve, reject) => { s.once('connect', resolve); s.once('connect_error', reject); });
  return s;
}

// command emits an /admin command and resolves with its ack, or null when
// the controller is disconnected by its own command (revoke of admin).
function command(ctl, event, arg) {
  return new Promise((resolve, reject) => {
    ctl.once('disconnect', () => resolve(null));
    ctl.timeout(8000).emitWithAck(event, arg).then(resolve, reject);
  });
}

function report(path, rounds) {
  const attempts = rounds.reduce((n, r) => n + r.attempts, 0);
  const survivors = rounds.flatMap((r) => r.survivors);
  figures.push({ path, attempts, survivors: survivors.length });
  return { attempts, survivors, states: rounds.map((r) => r.states) };
}

test('logout: no connect racing it survives', { timeout: 60000 }, async () => {
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const login = await loginOK('admin', RACES);
    rounds.push(await race({
      cred: login,
      windowMs: BURST_MS,
      when: (enough) => enough,
      fire: async () => assert.equal(await logout({ token: login.token, base: RACES }), 204),
    }));
  }
  const { attempts, survivors, states } = report('logout', rounds);
  assert.ok(attempts >= 1000, `attempts ${attempts}`);
  assert.deepEqual(survivors, [], `survivors by namespace; states per round ${JSON.stringify(states)}`);
});

test('/admin revoke: no connect racing it survives', { timeout: 60000 }, async () => {
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const login = await loginOK('admin', RACES);
    const ctl = await admin();
    rounds.push(await race({
      cred: login,
      windowMs: BURST_MS,
      when: (enough) => enough,
      fire: async () => {
        const res = await command(ctl, 'revoke', { user: login.body.user.id });
        assert.ok(res === null || res.ok, `revoke: ${JSON.stringify(res)}`);
      },
    }));
    ctl.disconnect();
  }
  const { attempts, survivors, states } = report('revoke', rounds);
  assert.ok(attempts >= 1000, `attempts ${attempts}`);
  assert.deepEqual(survivors, [], `survivors by namespace; states per round ${JSON.stringify(states)}`);
});

test('/admin kick: no connect verified before it survives', { timeout: 60000 }, async () => {
  const ctl = await admin();
  const model = (await loginOK('admin', RACES)).token;
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    // A user of its own per round (an admin, for /admin), with tokens
    // ending at the whole second E; the window ends at E, the kick just
    // after it.
    const user = `racer-${randomBytes(4).toString('hex')}`;
    const E = Math.ceil((Date.now() + KICK_LEAD_MS) / 1000);
    const token = mint(claimsLike(model, { sub: user, name: 'Racer', sid: undefined, iat: nowSec(), exp: E }));
    await sleep(E * 1000 - KICK_LEAD_MS - Date.now());
    rounds.push(await race({
      cred: { token },
      windowMs: BURST_MS,
      when: () => sleep(E * 1000 + 1 - Date.now()),
      fire: async () => {
        const res = await command(ctl, 'kick', { user });
        assert.ok(res && res.ok, `kick: ${JSON.stringify(res)}`);
      },
    }));
  }
  ctl.disconnect();
  const { attempts, survivors, states } = report('kick', rounds);
  assert.ok(attempts >= 1000, `attempts ${attempts}`);
  assert.deepEqual(survivors, [], `survivors by namespace; states per round ${JSON.stringify(states)}`);
});
