#!/usr/bin/env node
/**
 * Baseline for the relay's CPU bar (README, "Benchmarks"): the least a forwarder can do with `ws`. No validation, no
 * identity, no limits: a connection whose first frame is a hello becomes a sink; every other frame goes to
 * every sink as is. Same `ws` settings as the relay (no compression).
 *
 * Usage: node bench/bare-forwarder.mjs [port]   (prints "listening PORT" when ready)
 */
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 0);
const sinks = new Set();
const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 1024 });

wss.on('connection', (ws) => {
  let decided = false;
  ws.on('message', (data, isBinary) => {
    if (!decided) {
      decided = true;
      if (!isBinary && data.toString().includes('"hello"')) {
        sinks.add(ws);
        ws.on('close', () => sinks.delete(ws));
        return;
      }
    }
    for (const sink of sinks) sink.send(data, { binary: isBinary });
  });
  ws.on('error', () => {});
});

wss.on('listening', () => {
  process.stdout.write(`listening ${wss.address().port}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => wss.close(() => process.exit(0)));
