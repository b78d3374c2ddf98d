/**
 * bench/RESULTS.md: a header describing the machine and run, then one section per benchmark between markers,
 * so a run of a subset (`npm run bench -- relay`) rewrites its own sections and keeps the others.
 */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, type } from 'node:os';
import { ROOT } from './servers.mjs';

export const RESULTS = `${ROOT}bench/RESULTS.md`;

export function machine() {
  let os = `${type()} ${release()}`;
  try {
    const rel = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(rel);
    if (m) os = `${m[1]} (${type()} ${release()})`;
  } catch {
    // not Linux: keep os.type()
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep os.cpus()
  }
  return { cores: nproc, cpu: cpus()[0]?.model?.trim() ?? 'unknown', node: process.version, os };
}

/** A markdown table from a header row and rows of cells. */
export function mdTable(header, rows) {
  const esc = (v) => String(v ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

const begin = (name) => `<!-- bench:${name}:begin -->`;
const end = (name) => `<!-- bench:${name}:end -->`;

function header(run) {
  const m = machine();
  return [
    '# tdcrowd benchmark results',
    '',
    'Written by `npm run bench` (bench/run.mjs); each section is rewritten by the benchmark that owns it, so the',
    'sections can come from different runs: each carries its own date and load average. Every table row names',
    'the exact commands that produced it (run from the repository root, after `npm run build`). Reports and',
    'scratch files go to bench/out/ (not committed). Ratios are always measured side by side in one run.',
    '',
    `- Last run: ${run.date} (\`${['node bench/run.mjs', ...run.args].join(' ')}\`)`,
    `- Machine: ${m.cores} cores (\`nproc\`), ${m.cpu}, Node ${m.node}, ${m.os}`,
    '- Everything on loopback (127.0.0.1); the server under test, the load generator and this orchestrator are',
    '  separate processes sharing those cores. CPU and RSS of the server are read from /proc/PID from outside.',
    '',
  ].join('\n');
}

/** Replaces (or appends) the named sections and the header, keeping sections this run did not produce. */
export function writeSections(sections, run) {
  let body = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const firstMarker = body.indexOf('<!-- bench:');
  body = firstMarker >= 0 ? body.slice(firstMarker) : '';
  for (const { name, markdown } of sections) {
    const block = `${begin(name)}\n${markdown.trim()}\n${end(name)}`;
    const a = body.indexOf(begin(name));
    const b = body.indexOf(end(name));
    if (a >= 0 && b > a) body = body.slice(0, a) + block + body.slice(b + end(name).length);
    else body = `${body.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(RESULTS, `${header(run)}\n${body.trim()}\n`);
}
