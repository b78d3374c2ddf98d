/**
 * The protocol as an AsyncAPI 3 document (`tdcrowd asyncapi`), generated from the JSON Schema, the directions
 * table and the close codes, so tools and other teams can read the contract without reading TypeScript.
 * docs/protocol.md explains the same protocol for people.
 */
import { CLOSE_CODES } from './close-codes.js';
import { MAX_BATCH_FRAME_BYTES, MAX_FRAME_BYTES, PING, PONG } from './constants.js';
import { DIRECTIONS, type Direction, type FrameKind } from './directions.js';
import { protocolSchema } from './schema.js';

export const ASYNCAPI_VERSION = '3.0.0';

const CHANNEL = 'relay';

const OPERATIONS: Record<Direction, { id: string; action: 'send' | 'receive'; title: string }> = {
  controllerToRelay: { id: 'receiveFromController', action: 'receive', title: 'A phone speaks for its id' },
  sinkToRelay: { id: 'receiveFromSink', action: 'receive', title: 'A sink introduces itself' },
  relayToSink: { id: 'sendToSink', action: 'send', title: 'The relay keeps sinks up to date' },
  relayToController: { id: 'sendToController', action: 'send', title: 'The relay answers a phone' },
};

/** A deep copy, so a consumer that edits the document cannot edit the schema the validators use. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function keepAlive(text: string, summary: string): Record<string, unknown> {
  return { name: text, title: text, summary, contentType: 'text/plain', payload: { type: 'string', const: text } };
}

function closeCodesMarkdown(): string {
  const rows = Object.entries(CLOSE_CODES).map(([name, c]) => `| ${c.code} | ${name} | ${c.meaning} |`);
  return ['| code | name | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The AsyncAPI document, as a plain JSON value. `version` is tdcrowd's (the relay implementing the protocol). */
export function asyncapiDocument(version: string): Record<string, unknown> {
  const schemas = copy(protocolSchema.definitions) as Record<string, Record<string, unknown>>;
  const messages: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    if (name === 'sliderId') continue;
    messages[name] = {
      name,
      title: (schema.title as string | undefined) ?? name,
      summary: schema.description,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${name}` },
    };
  }
  messages.ping = keepAlive(PING, `bare keep-alive text frame; the other side answers "${PONG}"`);
  messages.pong = keepAlive(PONG, `answer to "${PING}"`);

  const ref = (kind: FrameKind): Record<string, string> => ({ $ref: `#/channels/${CHANNEL}/messages/${kind}` });
  const kinds = new Set<FrameKind>(Object.values(DIRECTIONS).flat());
  const operations = Object.fromEntries(
    (Object.entries(DIRECTIONS) as [Direction, readonly FrameKind[]][]).map(([direction, list]) => {
      const o = OPERATIONS[direction];
      return [
        o.id,
        {
          action: o.action,
          channel: { $ref: `#/channels/${CHANNEL}` },
          title: o.title,
          summary: direction.replace(/To/, ' → ').replace(/([A-Z])/g, (c) => c.toLowerCase()),
          messages: list.map(ref),
        },
      ];
    }),
  );

  return {
    asyncapi: ASYNCAPI_VERSION,
    info: {
      title: protocolSchema.title,
      version,
      description: `${protocolSchema.description}\n\nOne WebSocket endpoint carries everything: phones (controllers) send their knob, sinks (TouchDesigner, dashboards) say hello and receive every user's state. Explained in docs/protocol.md of the tdcrowd repository.`,
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      relay: {
        host: 'localhost:8080',
        protocol: 'ws',
        description: '`tdcrowd relay` (npm start): the joystick page over HTTP and this WebSocket on the same port',
      },
    },
    channels: {
      [CHANNEL]: {
        address: '/',
        title: 'The relay',
        description: `Text frames: one JSON object each (at most ${MAX_FRAME_BYTES} bytes; relay → sink batches at most ${MAX_BATCH_FRAME_BYTES} bytes) or the bare keep-alives "${PING}" and "${PONG}". A sink whose hello asks for f32-columns also receives binary column batches (their byte layout is in docs/protocol.md, "Column batches").\n\nClose codes:\n\n${closeCodesMarkdown()}`,
        servers: [{ $ref: '#/servers/relay' }],
        messages: Object.fromEntries([...kinds].map((k) => [k, { $ref: `#/components/messages/${k}` }])),
        bindings: { ws: { bindingVersion: '0.1.0' } },
        'x-close-codes': Object.entries(CLOSE_CODES).map(([name, c]) => ({ code: c.code, name, meaning: c.meaning })),
      },
    },
    operations,
    components: { schemas, messages },
  };
}
