/** Starts the Python emulator with freshly generated scripts (never the committed copies). */
import { EmulatorProcess, type EmulatorState } from '../../src/emulate/process.js';
import { renderScripts, resolveOptions, type RawOptions } from '../../src/generate/index.js';

export interface Harness {
  emu: EmulatorProcess;
  send(message: unknown): Promise<void>;
  sendAll(messages: unknown[]): Promise<void>;
  state(drainOutbox?: boolean): Promise<EmulatorState>;
  rows(): Promise<string[][]>;
  close(): Promise<void>;
}

/** Text frames between the generated callbacks' checks of one table row against their index. */
export const AUDIT_EVERY = Number(
  /^AUDIT_EVERY = (\d+)/m.exec(renderScripts(resolveOptions({})).find((s) => s.file === 'websocket_callbacks.py')?.text ?? '')?.[1],
);

export const HEADER = ['user', 'valuex', 'valuey', 'speed', 'angle'];

const asText = (m: unknown): string => (typeof m === 'string' ? m : JSON.stringify(m));

export async function startHarness(
  raw: RawOptions = {},
  extra: {
    serverUp?: boolean;
    order?: 'frame_first' | 'messages_first';
    start?: boolean;
    connect?: boolean;
    /** Undocumented TouchDesigner behaviours to emulate (src/emulate/variants.ts). */
    variants?: Record<string, boolean | string>;
    /** false: the project starts without the Script CHOP. */
    chop?: boolean;
  } = {},
): Promise<Harness> {
  const o = resolveOptions(raw);
  const emu = new EmulatorProcess();
  await emu.load({
    chop: extra.chop,
    scripts: renderScripts(o),
    table: o.table,
    websocketDat: o.websocketDat,
    callbacksDat: o.callbacksDat,
    executeDat: o.executeDat,
    scriptChop: o.scriptChop,
    serverUp: extra.serverUp ?? true,
    order: extra.order,
    variants: extra.variants,
  });
  if (extra.start ?? true) await emu.request('start');
  // The loopback server accepts the DAT's connection attempt on the next frame.
  if (extra.connect ?? true) await emu.request('step');
  const h: Harness = {
    emu,
    send: async (m) => {
      await emu.request('text', { data: asText(m) });
    },
    sendAll: async (ms) => {
      await emu.request('texts', { data: ms.map(asText) });
    },
    state: (drain) => emu.state(drain),
    rows: async () => (await emu.state()).table,
    close: () => emu.close(),
  };
  return h;
}

export const update = (id: number | string, x = 0, y = 0, speed = 0, angle = 0): Record<string, unknown> => ({
  x,
  y,
  speed,
  angle,
  sliderId: id,
});

/** The table as a map id → [x, y, speed, angle], checking the header and one row per user on the way. */
export function byUser(table: string[][], header = HEADER): Map<string, string[]> {
  if (JSON.stringify(table[0]) !== JSON.stringify(header)) throw new Error(`header changed: ${JSON.stringify(table[0])}`);
  const m = new Map<string, string[]>();
  for (const row of table.slice(1)) {
    const [id, ...vals] = row;
    if (id === undefined || m.has(id)) throw new Error(`duplicate or empty row id: ${JSON.stringify(row)}`);
    m.set(id, vals);
  }
  return m;
}

/** A Web Server DAT project (--target webserver) with phones as client addresses. */
export interface ServerHarness {
  emu: EmulatorProcess;
  /** A phone's WebSocket opens (delivered now). */
  open(client: string): Promise<void>;
  /** Text frames from one phone, delivered now. */
  send(client: string, ...messages: unknown[]): Promise<void>;
  close(client: string): Promise<void>;
  state(drainOutbox?: boolean): Promise<EmulatorState>;
  /** What the server sent one phone (text frames parsed when JSON), drained. */
  sent(client: string): Promise<{ kind: string; data: unknown }[]>;
  rows(): Promise<string[][]>;
  stop(): Promise<void>;
}

export async function startServerHarness(
  raw: RawOptions = {},
  extra: { variants?: Record<string, boolean | string>; start?: boolean } = {},
): Promise<ServerHarness> {
  const o = resolveOptions({ ...raw, target: 'webserver' });
  const emu = new EmulatorProcess();
  await emu.load({
    target: 'webserver',
    scripts: renderScripts(o),
    table: o.table,
    websocketDat: o.websocketDat,
    webserverDat: o.webserverDat,
    callbacksDat: o.callbacksDat,
    executeDat: o.executeDat,
    scriptChop: o.scriptChop,
    port: o.port,
    variants: extra.variants,
  });
  if (extra.start ?? true) await emu.request('start');
  await emu.request('step');
  const outbox: { client: string; kind: string; data: string }[] = [];
  const drain = async (): Promise<EmulatorState> => {
    const s = await emu.state(true);
    outbox.push(...(s.server?.outbox ?? []));
    return s;
  };
  return {
    emu,
    open: async (client) => {
      await emu.request('ws_open', { client, queued: false });
    },
    send: async (client, ...messages) => {
      await emu.request('ws_texts', { client, data: messages.map(asText) });
    },
    close: async (client) => {
      await emu.request('ws_close', { client, queued: false });
    },
    state: async (d) => (d ? drain() : emu.state()),
    sent: async (client) => {
      await drain();
      const mine = outbox.filter((m) => m.client === client);
      for (let i = outbox.length - 1; i >= 0; i--) if (outbox[i]!.client === client) outbox.splice(i, 1);
      return mine.map((m) => {
        let data: unknown = m.data;
        try {
          data = m.kind === 'text' && m.data.startsWith('{') ? JSON.parse(m.data) : m.data;
        } catch {
          /* not JSON: kept as text */
        }
        return { kind: m.kind, data };
      });
    },
    rows: async () => (await emu.state()).table,
    stop: () => emu.close(),
  };
}

/** An OSC packet as the emulated OSC In DAT takes it: a message, or a bundle of messages. */
export type OscPacket = { address: string; args: unknown[] } | { bundle: OscPacket[]; timetag?: number };

/** An OSC In DAT project (--target osc). */
export interface OscHarness {
  emu: EmulatorProcess;
  /** Packets received now, in order. */
  send(...packets: OscPacket[]): Promise<void>;
  state(): Promise<EmulatorState>;
  rows(): Promise<string[][]>;
  stop(): Promise<void>;
}

export const oscUpdate = (id: string, x = 0, y = 0, speed = 0, angle = 0): OscPacket => ({ address: '/tdcrowd/update', args: [id, x, y, speed, angle] });

export async function startOscHarness(
  raw: RawOptions = {},
  extra: { variants?: Record<string, boolean | string>; splitbundle?: boolean } = {},
): Promise<OscHarness> {
  const o = resolveOptions({ ...raw, target: 'osc' });
  const emu = new EmulatorProcess();
  await emu.load({
    target: 'osc',
    scripts: renderScripts(o),
    table: o.table,
    websocketDat: o.websocketDat,
    oscinDat: o.oscinDat,
    callbacksDat: o.callbacksDat,
    executeDat: o.executeDat,
    scriptChop: o.scriptChop,
    port: o.port,
    variants: extra.variants,
    splitbundle: extra.splitbundle ?? true,
  });
  await emu.request('start');
  await emu.request('step');
  return {
    emu,
    send: async (...packets) => {
      await emu.request('osc', { packets });
    },
    state: () => emu.state(),
    rows: async () => (await emu.state()).table,
    stop: () => emu.close(),
  };
}
