/** Reading the relay's Prometheus text (`/metrics`). */

export interface Metrics {
  text: string;
  messagesIn: number;
  messagesOut: number;
  dropped: Record<string, number>;
  connections: Record<string, number>;
  users: number;
  /** One sample by its full series name, e.g. get('tdcrowd_dropped_total{reason="binary"}'). */
  get(series: string): number | undefined;
}

export function parseMetrics(text: string): Metrics {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const i = line.lastIndexOf(' ');
    samples.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  const labelled = (name: string, label: string): Record<string, number> => {
    const out: Record<string, number> = {};
    const re = new RegExp(`^${name}\\{${label}="([^"]*)"\\}$`);
    for (const [k, v] of samples) {
      const m = re.exec(k);
      if (m) out[m[1]!] = v;
    }
    return out;
  };
  return {
    text,
    messagesIn: samples.get('tdcrowd_messages_in_total') ?? NaN,
    messagesOut: samples.get('tdcrowd_messages_out_total') ?? NaN,
    dropped: labelled('tdcrowd_dropped_total', 'reason'),
    connections: labelled('tdcrowd_connections', 'role'),
    users: samples.get('tdcrowd_users') ?? NaN,
    get: (series) => samples.get(series),
  };
}

/** One sample from Prometheus text, e.g. metric(text, 'tdcrowd_dropped_total{reason="binary"}'). */
export function metric(text: string, series: string): number | undefined {
  return parseMetrics(text).get(series);
}
