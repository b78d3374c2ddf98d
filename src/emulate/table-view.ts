/** Draws the emulated Table DAT: a boxed table for terminals, tab-separated text for logs and pipes. */
import Table from 'cli-table3';
import type { EmulatorState } from './process.js';

export interface ViewInfo {
  url: string;
  socketOpen: boolean;
}

function statusLine(s: EmulatorState, info: ViewInfo): string {
  const users = Math.max(0, s.table.length - 1);
  const st = s.stats;
  const ignored = st ? Object.entries(st.ignored).map(([k, v]) => `${k}=${v}`).join(' ') : '';
  return [
    s.server
      ? `${info.url}  serving: ${s.server.running ? `${s.server.clients.length} phone(s) connected` : 'stopped'}  t=${s.seconds.toFixed(1)}s  users=${users}`
      : `${info.url}  ${s.connected ? 'connected' : 'disconnected'}  t=${s.seconds.toFixed(1)}s  users=${users}`,
    st ? `frames=${st.frames} received=${st.received} applied=${st.applied}${ignored ? ` ignored: ${ignored}` : ''}` : '',
    s.errors.length ? `SCRIPT ERRORS: ${s.errors.length} (last: ${s.errors[s.errors.length - 1]?.error ?? ''})` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function renderBoxed(s: EmulatorState, info: ViewInfo, maxRows: number): string {
  const [header = [], ...rows] = s.table;
  const t = new Table({ head: header, style: { head: [], border: [], compact: true } });
  for (const r of rows.slice(0, maxRows)) t.push(r);
  const more = rows.length > maxRows ? `\n... ${rows.length - maxRows} more rows` : '';
  return `${statusLine(s, info)}\n${t.toString()}${more}\n`;
}

export function renderPlain(s: EmulatorState, info: ViewInfo): string {
  const body = s.table.map((r) => r.join('\t')).join('\n');
  return `--- ${statusLine(s, info).replace(/\n/g, '\n--- ')}\n${body}\n`;
}
