/**
 * install.py, run as a person would (pasted into a Text DAT, right-click > Run Script) in the emulator: from
 * an empty component, a half-installed one, one where the user renamed the tagged table, one with the user's
 * own websocket1, and again after a regenerate. The network it builds must then pass the session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorProcess, type EmulatorState } from '../../src/emulate/process.js';
import { VARIANT_MATRIX } from '../../src/emulate/variants.js';
import { renderScripts, resolveOptions, type RawOptions } from '../../src/generate/index.js';
import { hasPython } from '../helpers/requirements.js';
import { byUser, HEADER, update } from './harness.js';

const installer = (raw: RawOptions = {}): string => renderScripts(resolveOptions(raw)).find((s) => s.file === 'install.py')!.text;
const TAGGED = ['test_test', 'websocket1', 'websocket1_callbacks', 'tdcrowd_execute', 'tdcrowd_chop', 'tdcrowd_chop_callbacks'];

interface Project {
  emu: EmulatorProcess;
  /** Pastes the installer into a Text DAT and runs it; returns what it printed. */
  install(raw?: RawOptions): Promise<string>;
  state(): Promise<EmulatorState>;
  /** Runs Python as a person would in a Text DAT. */
  script(code: string): Promise<void>;
}

let pastes = 0;

async function emptyProject(variants: Record<string, boolean | string> = {}): Promise<Project> {
  const emu = new EmulatorProcess();
  // the pretend relay listens where generate's --host/--port point by default
  await emu.request('load', { empty: true, variants, netaddress: '127.0.0.1', port: 8080, serverUp: true });
  const p: Project = {
    emu,
    state: () => emu.state(),
    script: async (code) => {
      const name = `script${++pastes}`;
      await emu.request('add_text', { name, text: code });
      const r = await emu.request<{ ok: boolean; errors: unknown[] }>('run_script', { op: name });
      expect(r.errors).toEqual([]);
    },
    install: async (raw = {}) => {
      const before = (await emu.state()).textportTail.length;
      await p.script(installer(raw));
      const tail = (await emu.state()).textportTail;
      return tail.slice(Math.min(before, tail.length)).join('\n');
    },
  };
  return p;
}

/** Operators other than the Text DATs the test pasted scripts into. */
const project = (s: EmulatorState): EmulatorState['operators'] => s.operators.filter((o) => !/^script\d+$/.test(o.name));
const ours = (s: EmulatorState): string[] => s.operators.filter((o) => o.tags.includes('tdcrowd')).map((o) => o.name).sort();

async function playSession(p: Project): Promise<void> {
  await p.emu.request('use', { table: 'test_test', websocketDat: 'websocket1', callbacksDat: 'websocket1_callbacks', executeDat: 'tdcrowd_execute', scriptChop: 'tdcrowd_chop' });
  for (let i = 0; i < 100 && !(await p.state()).connected; i++) await p.emu.request('advance', { seconds: 0.1 });
  let s = await p.state();
  expect(s.connected).toBe(true);
  expect(s.outbox.filter((o) => o.data.includes('"hello"'))).toHaveLength(1);
  await p.emu.request('texts', { data: [{ type: 'connect', sliderId: 7 }, update(7, 10, 20, 30, 40), update(8, 1, 2, 3, 4), { type: 'delete', sliderId: 8 }, 'ping'].map((m) => (typeof m === 'string' ? m : JSON.stringify(m))) });
  s = await p.state();
  expect(s.table[0]).toEqual(HEADER);
  expect([...byUser(s.table).entries()]).toEqual([['7', ['10', '20', '30', '40']]]);
  expect(s.outbox.at(-1)?.data).toBe('pong');
  expect(s.errors).toEqual([]);
  // the Script CHOP it made is wired to its callbacks and follows the table
  await p.emu.request('step');
  s = await p.state();
  expect(s.chop?.channels).toEqual({ valuex: [10], valuey: [20], speed: [30], angle: [40], active: [1] });
  expect(s.errors).toEqual([]);
}

describe.skipIf(!hasPython())('install.py in the emulator', () => {
  let p: Project | undefined;
  afterEach(async () => {
    await p?.emu.close();
    p = undefined;
  });

  describe.each(VARIANT_MATRIX)('$name', ({ variants }) => {
    it('builds a working network in an empty component, tagged, wired and switched on', async () => {
      p = await emptyProject(variants);
      const out = await p.install();
      expect(out).toMatch(/tdcrowd install: created test_test, websocket1, websocket1_callbacks, tdcrowd_execute, tdcrowd_chop, tdcrowd_chop_callbacks in \/project1/);
      const s = await p.state();
      expect(ours(s)).toEqual([...TAGGED].sort());
      const ws = s.operators.find((o) => o.name === 'websocket1')!;
      expect(ws.pars).toMatchObject({ netaddress: '127.0.0.1', port: 8080, active: true });
      expect(String(ws.pars?.callbacks)).toMatch(/websocket1_callbacks/);
      const ex = s.operators.find((o) => o.name === 'tdcrowd_execute')!;
      expect(ex.pars).toMatchObject({ active: true, start: true, create: true, framestart: true });
      // one callbacks DAT, whether or not TouchDesigner docked one to the new WebSocket DAT or Script CHOP
      expect(s.operators.filter((o) => o.OPType === 'textDAT' && o.name.startsWith('websocket1'))).toHaveLength(1);
      expect(s.operators.filter((o) => o.OPType === 'textDAT' && o.name.startsWith('tdcrowd_chop'))).toHaveLength(1);
      const chop = s.operators.find((o) => o.name === 'tdcrowd_chop')!;
      expect(chop).toMatchObject({ OPType: 'scriptCHOP', family: 'CHOP', tags: ['tdcrowd', 'tdcrowd-chop'] });
      expect(String(chop.pars?.callbacks)).toMatch(/tdcrowd_chop_callbacks/);
      await playSession(p);
    });
  });

  it('completes a half-installed component and reuses what it made before', async () => {
    p = await emptyProject();
    await p.install();
    await p.script("op('/project1/websocket1').destroy()\nop('/project1/tdcrowd_execute').destroy()");
    let s = await p.state();
    // destroying the WebSocket DAT may take its docked callbacks DAT with it: either way install restores all
    const out = await p.install();
    expect(out).toMatch(/tdcrowd install: created (websocket1_callbacks, )?websocket1, (websocket1_callbacks, )?tdcrowd_execute in/);
    s = await p.state();
    expect(ours(s)).toEqual([...TAGGED].sort());
    expect(s.operators.filter((o) => o.OPType === 'tableDAT')).toHaveLength(1);
    expect(s.operators.filter((o) => o.OPType === 'textDAT' && o.name.startsWith('websocket1'))).toHaveLength(1);
    await playSession(p);
  });

  it('reports a tagged table the user renamed and makes no second one', async () => {
    p = await emptyProject();
    await p.install();
    await p.emu.request('rename', { op: 'test_test', to: 'crowd' });
    const before = project(await p.state()).length;
    const out = await p.install();
    expect(out).toMatch(/nothing changed/);
    expect(out).toMatch(/the tableDAT tdcrowd made is now named \/project1\/crowd; the scripts look for 'test_test'/);
    const s = await p.state();
    expect(project(s)).toHaveLength(before);
    expect(s.operators.filter((o) => o.OPType === 'tableDAT').map((o) => o.name)).toEqual(['crowd']);
  });

  it("stops at the user's own websocket1 and says what to rename, changing nothing", async () => {
    p = await emptyProject();
    await p.emu.request('create', { opType: 'websocketDAT', name: 'websocket1' });
    const before = await p.state();
    const out = await p.install();
    expect(out).toMatch(/nothing changed/);
    expect(out).toMatch(/\/project1\/websocket1 is taken by websocketDAT, which tdcrowd did not make: rename it/);
    const s = await p.state();
    expect(project(s).map((o) => o.name).sort()).toEqual(project(before).map((o) => o.name).sort());
    expect(ours(s)).toEqual([]);
    const theirs = s.operators.find((o) => o.name === 'websocket1')!;
    expect(theirs.pars).toEqual(before.operators.find((o) => o.name === 'websocket1')!.pars);
  });

  it('updates its own operators in place after a regenerate, and reconnects when the relay moved', async () => {
    p = await emptyProject();
    await p.install();
    await playSession(p);
    const opsBefore = project(await p.state()).map((o) => o.name).sort();
    const attempts = (await p.state()).attemptsWall.length;
    const out = await p.install({ timeout: 4, host: 'localhost', port: 8080 });
    expect(out).toMatch(/tdcrowd install: updated in \/project1/);
    expect(out).toMatch(/websocket1_callbacks text/);
    expect(out).toMatch(/tdcrowd_execute text/);
    expect(out).toMatch(/websocket1\.netaddress = 'localhost'/);
    let s = await p.state();
    expect(project(s).map((o) => o.name).sort()).toEqual(opsBefore);
    // the user's row is still there (state lives in the table's storage), pruned by the new 4 s timeout
    expect(byUser(s.table).has('7')).toBe(true);
    await p.emu.request('advance', { seconds: 5 });
    s = await p.state();
    expect(s.attemptsWall.length).toBeGreaterThan(attempts); // reconnected to the new address
    expect(s.websocketPars).toMatchObject({ netaddress: 'localhost', active: true });
    expect(byUser(s.table).size).toBe(0);
    expect(s.errors).toEqual([]);
    // run again with the same options: nothing to change
    expect(await p.install({ timeout: 4, host: 'localhost', port: 8080 })).toMatch(/tdcrowd install: updated in \/project1\.\nCheck it with/);
  });

  it('--target webserver: builds the Web Server DAT network, serves the page and keeps the table', async () => {
    p = await emptyProject();
    const out = await p.install({ target: 'webserver', port: 9980 });
    expect(out).toMatch(/tdcrowd install: created test_test, webserver1, webserver1_callbacks, tdcrowd_execute, tdcrowd_chop, tdcrowd_chop_callbacks in \/project1/);
    let s = await p.state();
    const srv = s.operators.find((o) => o.name === 'webserver1')!;
    expect(srv).toMatchObject({ OPType: 'webserverDAT', tags: ['tdcrowd', 'tdcrowd-webserver'] });
    expect(srv.pars).toMatchObject({ port: 9980, active: true });
    expect(String(srv.pars?.callbacks)).toMatch(/webserver1_callbacks/);
    await p.emu.request('use', { table: 'test_test', webserverDat: 'webserver1', callbacksDat: 'webserver1_callbacks', executeDat: 'tdcrowd_execute', scriptChop: 'tdcrowd_chop' });
    const page = await p.emu.request<{ response: { statusCode: number; data: string } }>('http', { method: 'GET', uri: '/' });
    expect(page.response.statusCode).toBe(200);
    expect(page.response.data).toContain('/client/main.js');
    await p.emu.request('ws_open', { client: '10.0.0.9:5000', queued: false });
    await p.emu.request('ws_texts', { client: '10.0.0.9:5000', data: [JSON.stringify({ type: 'connect', sliderId: 'p' }), JSON.stringify(update('p', 3, 4, 5, 6))] });
    await p.emu.request('step');
    s = await p.state();
    expect([...byUser(s.table).entries()]).toEqual([['p', ['3', '4', '5', '6']]]);
    expect(s.chop?.channels.active).toEqual([1]);
    expect(s.server?.outbox.some((m) => m.data.includes('"welcome"'))).toBe(true);
    expect(s.errors).toEqual([]);
    // run again after a regenerate on another port: updated in place, the server restarted on it
    const again = await p.install({ target: 'webserver', port: 9981 });
    expect(again).toMatch(/webserver1\.port = 9981/);
    s = await p.state();
    expect(s.server).toMatchObject({ running: true, pars: { port: 9981 } });
    expect(s.errors).toEqual([]);
  });

  it('--target osc: builds the OSC In DAT network (port, Split Bundle on) and keeps the table from OSC', async () => {
    p = await emptyProject();
    const out = await p.install({ target: 'osc', port: 7001 });
    expect(out).toMatch(/tdcrowd install: created test_test, oscin1, oscin1_callbacks, tdcrowd_execute, tdcrowd_chop, tdcrowd_chop_callbacks in \/project1/);
    let s = await p.state();
    const dat = s.operators.find((o) => o.name === 'oscin1')!;
    expect(dat).toMatchObject({ OPType: 'oscinDAT', tags: ['tdcrowd', 'tdcrowd-osc'] });
    expect(dat.pars).toMatchObject({ port: 7001, splitbundle: true, active: true });
    await p.emu.request('use', { table: 'test_test', oscinDat: 'oscin1', callbacksDat: 'oscin1_callbacks', executeDat: 'tdcrowd_execute', scriptChop: 'tdcrowd_chop' });
    await p.emu.request('osc', { packets: [{ bundle: [{ address: '/tdcrowd/connect', args: ['p'] }, { address: '/tdcrowd/update', args: ['p', 3, 4, 5, 6] }] }] });
    await p.emu.request('step');
    s = await p.state();
    expect([...byUser(s.table).entries()]).toEqual([['p', ['3', '4', '5', '6']]]);
    expect(s.chop?.channels.active).toEqual([1]);
    expect(s.errors).toEqual([]);
  });
});
