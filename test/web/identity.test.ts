import { describe, expect, it } from 'vitest';
import { parse } from '../../src/protocol/index.js';
import {
  base64url,
  generateId,
  Identity,
  isValidId,
  STORAGE_ID_KEY,
  STORAGE_RESUME_KEY,
  type KeyValueStore,
} from '../../src/web/client/identity.js';
import { MapStore } from './map-store.js';

const TOKEN = 'tok_ABCDEFGHIJKLMNOP-123';

describe('identity', () => {
  it('encodes base64url like Node does (no padding)', () => {
    for (let len = 0; len < 40; len++) {
      const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 97 + len * 31) & 255);
      expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
    }
    expect(base64url(Uint8Array.from([0xfb, 0xff, 0xfe]))).toBe('-__-');
  });

  it('generates 22-character base64url ids from crypto.getRandomValues, all different', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = generateId();
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(2000);
  });

  it('uses the random source it is given (all 128 bits)', () => {
    expect(generateId((b) => b.fill(0))).toBe('A'.repeat(22));
    expect(generateId((b) => b.fill(255))).toBe('_____________________w');
  });

  it('generated ids are valid protocol ids', () => {
    const id = generateId();
    const r = parse(JSON.stringify({ type: 'connect', sliderId: id }), { origin: 'controller' });
    expect(r.ok).toBe(true);
    expect(isValidId(id)).toBe(true);
    expect(isValidId('short')).toBe(false);
    expect(isValidId('<script>alert(1)</script>xxxxxxxxxxxx')).toBe(false);
  });

  it('keeps the id and resume token in the store for the tab’s life', () => {
    const store = new MapStore();
    const a = new Identity(store);
    expect(store.getItem(STORAGE_ID_KEY)).toBe(a.sliderId);
    expect(a.resume).toBeUndefined();
    a.setResume(TOKEN);
    expect(store.getItem(STORAGE_RESUME_KEY)).toBe(TOKEN);

    const reloaded = new Identity(store);
    expect(reloaded.sliderId).toBe(a.sliderId);
    expect(reloaded.resume).toBe(TOKEN);

    reloaded.clearResume();
    expect(new Identity(store).resume).toBeUndefined();
  });

  it('ignores tampered storage and invalid tokens', () => {
    const store = new MapStore();
    store.setItem(STORAGE_ID_KEY, 'bad id!');
    store.setItem(STORAGE_RESUME_KEY, TOKEN);
    const id = new Identity(store);
    expect(id.sliderId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(id.resume).toBeUndefined(); // a token never outlives the id it belonged to
    id.setResume('no spaces allowed here!');
    expect(id.resume).toBeUndefined();
  });

  it('works in memory when storage is missing or throws', () => {
    const throwing: KeyValueStore = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    for (const store of [null, throwing]) {
      const id = new Identity(store);
      expect(isValidId(id.sliderId)).toBe(true);
      id.setResume(TOKEN);
      expect(id.resume).toBe(TOKEN);
    }
  });

  it('renew gives a fresh id and forgets the token (a duplicated tab)', () => {
    const store = new MapStore();
    const a = new Identity(store);
    a.setResume(TOKEN);
    const before = a.sliderId;
    a.renew();
    expect(a.sliderId).not.toBe(before);
    expect(isValidId(a.sliderId)).toBe(true);
    expect(a.resume).toBeUndefined();
    expect(store.getItem(STORAGE_ID_KEY)).toBe(a.sliderId);
    expect(store.getItem(STORAGE_RESUME_KEY)).toBeNull();
  });
});
