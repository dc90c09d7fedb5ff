// reload.mjs: the certificate is replaced while sockets are open. Env:
// RT_BASE_URL (https), RT_SERVER_PID, RT_CERT_FILE and RT_KEY_FILE (the
// files the server reads), RT_NEW_CERT and RT_NEW_KEY (the renewal, from
// the same CA), NODE_EXTRA_CA_CERTS (the CA). It opens a WebSocket and a
// polling socket, moves the new files into place, sends SIGHUP, and checks
// that a new TLS connection gets the new certificate while both sockets
// stay connected and answer.
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import tls from 'node:tls';
import { io } from 'socket.io-client';

const BASE = process.env.RT_BASE_URL.replace(/\/$/, '');
const url = new URL(BASE);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function peerCN() {
  return new Promise((resolve, reject) => {
    const c = tls.connect({ host: url.hostname, port: Number(url.port), servername: undefined }, () => {
      const cn = c.getPeerCertificate().subject.CN;
      c.end();
      resolve(cn);
    });
    c.on('error', reject);
  });
}

function connect(opts) {
  const s = io(BASE, { forceNew: true, reconnection: false, timeout: 5000, ...opts });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

const whoami = async (s) => (await s.timeout(3000).emitWithAck('whoami')).user.name;

const res = await fetch(`${BASE}/login`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ username: 'alice', password: 'alice-pass' }),
});
assert.equal(res.status, 200);
const { token } = await res.json();

const sockets = {
  websocket: await connect({ transports: ['websocket'], auth: { token } }),
  polling: await connect({ transports: ['polling'], auth: { token } }),
};
const drops = [];
for (const [name, s] of Object.entries(sockets)) s.on('disconnect', (reason) => drops.push(`${name}: ${reason}`));
assert.equal(await peerCN(), 'first');

renameSync(process.env.RT_NEW_CERT, process.env.RT_CERT_FILE);
renameSync(process.env.RT_NEW_KEY, process.env.RT_KEY_FILE);
process.kill(Number(process.env.RT_SERVER_PID), 'SIGHUP');
const deadline = Date.now() + 5000;
let cn;
while ((cn = await peerCN()) !== 'second') {
  assert.ok(Date.now() < deadline, `still ${cn} 5 s after SIGHUP`);
  await sleep(50);
}
console.log(`a new connection sees CN=${cn} after SIGHUP`);

for (const [name, s] of Object.entries(sockets)) {
  assert.equal(s.connected, true, `${name} socket still connected`);
  assert.equal(await whoami(s), 'Alice', `${name} socket answers`);
}
const fresh = await connect({ auth: { token } });
assert.equal(await whoami(fresh), 'Alice', 'a new socket after the reload');
await sleep(200);
assert.deepEqual(drops, [], 'no socket dropped');
for (const s of [...Object.values(sockets), fresh]) s.disconnect();
console.log('reload: 1 passed, 0 failed');
