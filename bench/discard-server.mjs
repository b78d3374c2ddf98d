#!/usr/bin/env node
/**
 * A `ws` server that reads every frame and drops it: the cheapest peer a load generator can have, for
 * measuring the simulator's own sending rate. Same `ws` settings as the relay.
 *
 * Usage: node bench/discard-server.mjs [port]   (prints "listening PORT" when ready; "received N" on exit)
 */
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 0);
let received = 0;
const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 1024 });

wss.on('connection', (ws) => {
  ws.on('message', () => {
    received++;
  });
  ws.on('error', () => {});
});

wss.on('listening', () => {
  process.stdout.write(`listening ${wss.address().port}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    process.stdout.write(`received ${received}\n`);
    process.exit(0);
  });
}
