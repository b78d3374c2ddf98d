import { WebSocket, WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { maskedTextFrame, rawSocket } from '../../src/simulate/raw-frame.js';

describe('raw frames: what the generator writes under ws', () => {
  let server: WebSocketServer | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('a ws server reads short and 16-bit-length frames, interleaved with ws.send, in order', async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => server!.once('listening', () => r()));
    const got: string[] = [];
    const done = new Promise<void>((resolve) =>
      server!.on('connection', (ws) =>
        ws.on('message', (d: Buffer, isBinary: boolean) => {
          expect(isBinary).toBe(false);
          got.push(d.toString());
          if (got.length === 4) resolve();
        }),
      ),
    );
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`, { perMessageDeflate: false });
    await new Promise((r) => client.once('open', r));
    const socket = rawSocket(client);
    expect(socket).toBeDefined();
    const short = '{"x":1,"y":2,"speed":3,"angle":4,"sliderId":5}';
    const long = `{"type":"connect","sliderId":"${'a'.repeat(64)}"}`.padEnd(300, ' ');
    const maxShort = 'x'.repeat(125);
    socket!.write(maskedTextFrame(short));
    client.send('pong');
    socket!.write(maskedTextFrame(long));
    socket!.write(maskedTextFrame(maxShort));
    await done;
    expect(got).toEqual([short, 'pong', long, maxShort]);
    client.close();
  });

  it('encodes the header as RFC 6455 says: FIN + text, MASK bit, length, zero key', () => {
    expect([...maskedTextFrame('ab')]).toEqual([0x81, 0x82, 0, 0, 0, 0, 0x61, 0x62]);
    const f = maskedTextFrame('z'.repeat(200));
    expect([...f.subarray(0, 8)]).toEqual([0x81, 0x80 | 126, 0, 200, 0, 0, 0, 0]);
    expect(f.length).toBe(208);
  });
});
