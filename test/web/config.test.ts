import { describe, expect, it } from 'vitest';
import { DEFAULT_IDLE_MS, idleMsFromSearch, relayUrlFor } from '../../src/web/client/config.js';

describe('page config', () => {
  it('idle delete defaults to 10 s; ?idle=MS overrides it within bounds (test hook)', () => {
    expect(DEFAULT_IDLE_MS).toBe(10_000);
    expect(idleMsFromSearch('')).toBe(10_000);
    expect(idleMsFromSearch('?idle=1000')).toBe(1000);
    expect(idleMsFromSearch('?a=1&idle=250')).toBe(250);
    for (const bad of ['?idle=', '?idle=abc', '?idle=-5', '?idle=5', '?idle=1e3', '?idle=99999999']) {
      expect(idleMsFromSearch(bad)).toBe(10_000);
    }
  });

  it('connects to the page’s own origin, wss: under https:', () => {
    expect(relayUrlFor({ protocol: 'http:', host: '192.0.2.1:8080' })).toBe('ws://192.0.2.1:8080/');
    expect(relayUrlFor({ protocol: 'https:', host: 'show.example' })).toBe('wss://show.example/');
  });
});
