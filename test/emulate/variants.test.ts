/** VARIANT_MATRIX (src/emulate/variants.ts) against the emulator's own table (tdemu/variants.py). */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EmulatorProcess, PYTHON_DIR } from '../../src/emulate/process.js';
import { VARIANT_MATRIX } from '../../src/emulate/variants.js';
import { hasPython } from '../helpers/requirements.js';

type Table = Record<string, boolean | string>;

function pythonTables(): { defaults: Table; adverse: Table; flips: Table } {
  const r = spawnSync('python3', ['-m', 'tdemu.variants'], {
    env: { ...process.env, PYTHONPATH: PYTHON_DIR, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { defaults: Table; adverse: Table; flips: Table };
}

describe.skipIf(!hasPython())('the variant matrix', () => {
  it('has default, one entry per key flipped alone, and all_adverse, as variants.py defines them', () => {
    const { defaults, adverse, flips } = pythonTables();
    const names = VARIANT_MATRIX.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect(VARIANT_MATRIX[0]).toEqual({ name: 'default', variants: {} });
    expect(VARIANT_MATRIX.find((e) => e.name === 'all_adverse')?.variants).toEqual(adverse);
    const singles = VARIANT_MATRIX.filter((e) => e.name !== 'default' && e.name !== 'all_adverse');
    const flipped = singles.map((e) => {
      const keys = Object.keys(e.variants);
      expect(keys, e.name).toHaveLength(1);
      const key = keys[0] ?? '';
      expect(e.variants[key], e.name).toEqual(flips[key]);
      expect(e.variants[key], e.name).not.toEqual(defaults[key]);
      // named after the key: `no_<key>` for a true default switched off, `<key>_<value>` for a string
      const value = e.variants[key];
      const expected = typeof value === 'string' ? `${key}_${value}` : value ? key : `no_${key}`;
      if (e.name !== expected) expect(['no_dock', 'no_partial_replace']).toContain(e.name);
      return key;
    });
    expect(flipped.sort()).toEqual(Object.keys(defaults).sort());
  });

  it('every entry loads in the emulator and comes back in state.variants', async () => {
    const emu = new EmulatorProcess();
    try {
      for (const entry of VARIANT_MATRIX) {
        await emu.request('load', { empty: true, variants: entry.variants });
        const s = await emu.state();
        for (const [k, v] of Object.entries(entry.variants)) expect(s.variants[k], `${entry.name}.${k}`).toEqual(v);
        expect(s.timeline).toBe(entry.variants.timeline === 'paused' ? 'paused' : 'playing');
      }
      await expect(emu.request('load', { empty: true, variants: { nope: true } })).rejects.toThrow(/unknown variant/);
    } finally {
      await emu.close();
    }
  });
});
