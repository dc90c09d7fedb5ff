// recovery.test.mjs: connection state recovery (RECOVERY_WINDOW, on by
// default) gives a client whose transport dropped its socket and rooms
// back, but only after its credential is checked again.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ack, closeAll, connect, loginOK, logout, next, sleep } from './helpers.mjs';

afterEach(closeAll);

const reconnecting = { reconnection: true, reconnectionDelay: 1000, reconnectionDelayMax: 1000, randomizationFactor: 0 };

describe('connection state recovery', () => {
  test('a dropped transport comes back recovered, in its rooms', async () => {
    const { token } = await loginOK('bob');
    const s = await connect('/chat', { auth: { token }, ...reconnecting });
    assert.equal((await ack(s, 'join', 'general')).ok, true);
    const id = s.id;
    s.io.engine.close(); // as if the network dropped
    await next(s, 'connect', 5000);
    assert.equal(s.recovered, true);
    assert.equal(s.id, id);
    const other = await connect('/chat', { auth: { token } });
    await ack(other, 'join', 'general');
    const got = next(s, 'message');
    await ack(other, 'message', { room: 'general', text: 'after recovery' });
    assert.equal((await got).text, 'after recovery', 'still in the room');
  });

  test('a token revoked meanwhile cannot come back through recovery', async () => {
    const { token } = await loginOK('carol');
    const s = await connect('/chat', { auth: { token }, ...reconnecting });
    await ack(s, 'join', 'general');
    s.io.engine.close();
    await sleep(300); // the server has seen the transport go
    assert.equal(await logout({ token }), 204);
    const err = await next(s, 'connect_error', 5000);
    assert.equal(err.message, 'unauthorized');
    assert.deepEqual(err.data, { code: 'revoked' });
    assert.notEqual(s.connected, true);
  });
});
