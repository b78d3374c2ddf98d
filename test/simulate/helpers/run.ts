/** Run a simulation in-process with quiet output; returns the report and the captured summary. */
import { Writable } from 'node:stream';
import { resolveOptions, runSimulation, type RawOptions, type SimulationResult } from '../../../src/simulate/index.js';

export interface Captured extends SimulationResult {
  summary: string;
}

export async function simulate(raw: RawOptions, signal?: AbortSignal): Promise<Captured> {
  let summary = '';
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      summary += chunk.toString();
      cb();
    },
  });
  const stderr = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { isTTY: false }) as unknown as NodeJS.WriteStream;
  const result = await runSimulation(resolveOptions({ progress: false, grace: '3', ...raw }), signal ? { stdout, stderr, signal } : { stdout, stderr });
  return { ...result, summary };
}
