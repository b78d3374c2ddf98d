/**
 * The deploy recipe (README, "Production set-up") without docker: the Dockerfile's promises (multi-stage, slim
 * base, non-root, PORT, a health check that really answers against a relay), every relay flag it and the compose
 * file use exists in `tdcrowd relay --help`, and the compose file's structure: two relays on one Redis behind a
 * TLS proxy they trust, Redis password from an env file that git ignores.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { load } from 'js-yaml';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, requireBuiltCli } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { spawnRelay, type ChildRelay } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l)!;
      return { op: m[1]!.toUpperCase(), args: m[2]! };
    });
}

/** The instructions of the last stage (what runs). */
function finalStage(all: Array<{ op: string; args: string }>): Array<{ op: string; args: string }> {
  const last = all.map((x) => x.op).lastIndexOf('FROM');
  return all.slice(last);
}

const execForm = (args: string): string[] => JSON.parse(args) as string[];

/** Long flags in a command line (`--x` or `--x=1`). */
const flagsOf = (argv: readonly string[]): string[] => argv.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!);

let help = '';
beforeAll(() => {
  requireBuiltCli();
  help = spawnSync(process.execPath, [CLI, 'relay', '--help'], { encoding: 'utf8' }).stdout;
  expect(help).toContain('--port');
});

describe('Dockerfile', () => {
  const all = instructions(read('Dockerfile'));
  const last = finalStage(all);

  it('is multi-stage on a slim Node 20 base: dev dependencies build, the runtime gets npm ci --omit=dev output', () => {
    const froms = all.filter((x) => x.op === 'FROM').map((x) => x.args);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^node:20-(slim|alpine)\b/);
    const runs = all.filter((x) => x.op === 'RUN').map((x) => x.args);
    expect(runs.some((r) => /npm ci\b(?!.*--omit=dev)/.test(r))).toBe(true);
    expect(runs.some((r) => r.includes('npm run build'))).toBe(true);
    expect(runs.some((r) => /npm ci .*--omit=dev/.test(r))).toBe(true);
    // The final stage installs nothing itself and takes node_modules from the --omit=dev stage.
    expect(last.filter((x) => x.op === 'RUN')).toEqual([]);
    const depsStage = all.find((x) => x.op === 'FROM' && / AS deps$/i.test(x.args));
    expect(depsStage).toBeDefined();
    expect(last.some((x) => x.op === 'COPY' && x.args.startsWith('--from=deps') && x.args.includes('node_modules'))).toBe(true);
    expect(last.some((x) => x.op === 'COPY' && x.args.startsWith('--from=build') && x.args.includes('dist'))).toBe(true);
  });

  it('runs as the unprivileged node user, PORT 8080 by default, no --port in CMD', () => {
    const users = last.filter((x) => x.op === 'USER').map((x) => x.args);
    expect(users.at(-1)).toBe('node');
    expect(last.some((x) => x.op === 'ENV' && /\bPORT=8080\b/.test(x.args))).toBe(true);
    const cmd = execForm(last.find((x) => x.op === 'CMD')!.args);
    expect(cmd[0]).toBe('relay');
    expect(cmd).not.toContain('--port');
    expect(execForm(last.find((x) => x.op === 'ENTRYPOINT')!.args)).toEqual(['node', 'dist/cli/main.js']);
  });

  it("every flag of its CMD exists in `tdcrowd relay --help`", () => {
    const cmd = execForm(last.find((x) => x.op === 'CMD')!.args);
    for (const flag of flagsOf(cmd)) expect(help, flag).toMatch(new RegExp(`(^|\\s)${flag}\\b`, 'm'));
  });

  it('the files the relay reads at run time are copied: the page (src/web/static) and dist', () => {
    const copies = last.filter((x) => x.op === 'COPY').map((x) => x.args);
    expect(copies).toContain('src/web/static ./src/web/static');
    expect(copies.some((c) => c === '--from=build /app/dist ./dist')).toBe(true);
  });

  it("the final stage's files are enough: a relay run from a directory holding only them serves the page and /healthz on PORT", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-image-'));
    let child: ChildProcess | undefined;
    try {
      for (const { args } of last.filter((x) => x.op === 'COPY')) {
        const parts = args.split(/\s+/);
        const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
        const [src, dest] = parts as [string, string];
        const target = join(dir, dest === './' ? src.replace(/^\/app\//, '') : dest);
        const source = join(ROOT, from ? src.replace(/^\/app\//, '') : src);
        mkdirSync(dirname(target), { recursive: true });
        // node_modules comes from `npm ci --omit=dev` in the image; here the checkout's (a superset) stands in.
        if (from === 'deps') symlinkSync(source, target, 'dir');
        else cpSync(source, target, { recursive: true });
      }
      const port = await freePort();
      const cmd = execForm(last.find((x) => x.op === 'CMD')!.args);
      child = spawn(process.execPath, [...execForm(last.find((x) => x.op === 'ENTRYPOINT')!.args).slice(1), ...cmd, '--host', '127.0.0.1', '--quiet'], {
        cwd: dir,
        env: { ...process.env, PORT: String(port) },
        stdio: 'ignore',
      });
      const page = await until(async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/`);
          return res.ok ? await res.text() : false;
        } catch {
          return false;
        }
      }, 'the relay in the image layout to serve the page');
      expect(page).toMatch(/<html/i);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('HEALTHCHECK: Node fetch on /healthz (the slim image has no curl)', () => {
    let relay: ChildRelay | undefined;
    afterEach(async () => {
      await relay?.stop();
      relay = undefined;
    });
    const check = (): string[] => {
      const hc = last.find((x) => x.op === 'HEALTHCHECK')!.args;
      const m = /\bCMD\s+(\[.*\])\s*$/.exec(hc);
      expect(m, hc).not.toBeNull();
      return execForm(m![1]!);
    };
    const run = (argv: string[], port: number): Promise<number> =>
      new Promise((resolve) => {
        execFile(process.execPath, argv.slice(1), { env: { ...process.env, PORT: String(port) }, timeout: 10_000 }, (err) =>
          resolve(err ? (typeof err.code === 'number' ? err.code : 1) : 0),
        );
      });

    it('exits 0 against a live relay on PORT (no sink yet: degraded, still alive), 1 when nothing answers', async () => {
      const argv = check();
      expect(argv[0]).toBe('node');
      relay = await spawnRelay();
      expect(await run(argv, relay.port)).toBe(0);
      const port = relay.port;
      await relay.stop();
      relay = undefined;
      expect(await run(argv, port)).toBe(1);
    });
  });
});

describe('.dockerignore', () => {
  it('keeps local state and secrets out of the build context', () => {
    const lines = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['.git', 'node_modules', 'dist', 'test-artifacts', 'bench/out', 'deploy/.env']) expect(lines, entry).toContain(entry);
  });
});

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
  networks?: Record<string, { ipv4_address?: string } | null>;
  healthcheck?: { test: string[] };
}

describe('deploy/compose.yaml', () => {
  const compose = load(read('deploy/compose.yaml')) as { services: Record<string, Service>; networks: Record<string, { ipam: { config: Array<{ subnet: string }> } }> };
  const s = compose.services;
  const relays = ['relay1', 'relay2'].map((n) => s[n]!);
  const proxyAddress = s.caddy?.networks?.internal?.ipv4_address;

  it('has Redis, two relays and Caddy; only Caddy publishes ports (80 and 443)', () => {
    expect(Object.keys(s).sort()).toEqual(['caddy', 'redis', 'relay1', 'relay2']);
    expect(s.caddy!.ports).toEqual(expect.arrayContaining(['80:80', '443:443']));
    for (const name of ['redis', 'relay1', 'relay2']) expect(s[name]!.ports, name).toBeUndefined();
  });

  it('Redis takes its password from the env file, which git ignores; its health check authenticates', () => {
    const cmd = s.redis!.command!;
    expect(cmd[cmd.indexOf('--requirepass') + 1]).toMatch(/^\$\{REDIS_PASSWORD:\?/);
    expect(s.redis!.environment!.REDISCLI_AUTH).toMatch(/^\$\{REDIS_PASSWORD/);
    expect(s.redis!.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);
    const ignored = spawnSync('git', ['check-ignore', '-q', 'deploy/.env'], { cwd: ROOT });
    expect(ignored.status, 'deploy/.env must be git-ignored').toBe(0);
    const example = read('deploy/.env.example');
    for (const v of ['REDIS_PASSWORD=', 'SINK_TOKEN=', 'SITE_ADDRESS=']) expect(example).toMatch(new RegExp(`^${v}`, 'm'));
    expect(example).toMatch(/^REDIS_PASSWORD=$/m);
  });

  it('both relays: the image built from the Dockerfile, --redis on the compose Redis with the password, trusting only Caddy', () => {
    for (const r of relays) {
      expect(r.build).toEqual({ context: '..', dockerfile: 'Dockerfile' });
      const cmd = r.command!;
      expect(cmd[0]).toBe('relay');
      expect(cmd[cmd.indexOf('--redis') + 1]).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD[^}]*\}@redis:6379$/);
      expect(cmd[cmd.indexOf('--trust-proxy') + 1]).toBe(proxyAddress);
      expect(cmd[cmd.indexOf('--sink-token') + 1]).toMatch(/^\$\{SINK_TOKEN/);
      expect(cmd).not.toContain('--port');
      expect(r.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
    }
    expect(relays[0]!.command).toEqual(relays[1]!.command);
  });

  it("the proxy's fixed address is inside the internal network's subnet", () => {
    expect(proxyAddress).toBe('172.28.0.10');
    expect(compose.networks.internal!.ipam.config[0]!.subnet).toBe('172.28.0.0/24');
  });

  it('Caddy: TLS for SITE_ADDRESS, both relays as upstreams with the /healthz check, /metrics not public', () => {
    expect(s.caddy!.image).toMatch(/^caddy:2/);
    expect(s.caddy!.volumes).toContain('./Caddyfile:/etc/caddy/Caddyfile:ro');
    const caddyfile = read('deploy/Caddyfile').replace(/#.*$/gm, '');
    expect(caddyfile).toMatch(/^\{\$SITE_ADDRESS\} \{/m);
    expect(caddyfile).toMatch(/reverse_proxy relay1:8080 relay2:8080 \{/);
    expect(caddyfile).toMatch(/health_uri \/healthz/);
    expect(caddyfile).toMatch(/handle \/metrics \{\s*respond 404\s*\}/);
  });

  it('every relay flag the compose file uses exists in `tdcrowd relay --help`', () => {
    for (const flag of flagsOf(relays[0]!.command!)) expect(help, flag).toMatch(new RegExp(`(^|\\s)${flag}\\b`, 'm'));
  });
});
