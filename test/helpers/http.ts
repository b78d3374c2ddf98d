/** Plain HTTP against a relay (the page, /healthz, /metrics). */

export async function fetchText(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}
