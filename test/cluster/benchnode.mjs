// benchnode.mjs: the Node.js node of the cluster benchmark (test/cluster/bench.sh):
// socket.io 4.8.4 with @socket.io/redis-adapter 8.x on REDIS_URL (or, with
// REDIS_ADAPTER=streams, @socket.io/redis-streams-adapter 0.3.x) and the handlers of
// test/load/goserver with REDIS_URL (both after test/load):
//   auth middleware   handshake auth {token} must equal LOAD_TOKEN (default "load-token")
//   "join"  (room, ack)        join the room, ack(true)
//   "broadcast" (room, payload) emit "msg" with payload to the room, sender excluded,
//                               on every node
// It listens on 127.0.0.1 (any free port) and prints "listening http://127.0.0.1:PORT"
// when ready. SIGTERM/SIGINT close it.
import { createServer } from 'node:http';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';

const token = process.env.LOAD_TOKEN || 'load-token';
const pub = createClient({ url: process.env.REDIS_URL });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);

const httpServer = createServer();
const adapter = process.env.REDIS_ADAPTER === 'streams' ? createStreamsAdapter(pub) : createAdapter(pub, sub);
const io = new Server(httpServer, { serveClient: false, adapter });

io.use((socket, next) => {
  const auth = socket.handshake.auth;
  if (auth && auth.token === token) return next();
  const err = new Error('unauthorized');
  err.data = { code: 'invalid_token' };
  next(err);
});

io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(room);
    if (typeof ack === 'function') ack(true);
  });
  socket.on('broadcast', (room, payload) => {
    socket.to(room).emit('msg', payload);
  });
});

httpServer.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${httpServer.address().port}\n`);
});

function stop() {
  io.close();
  Promise.allSettled([pub.quit(), sub.quit()]).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
