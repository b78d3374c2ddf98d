import type { KeyValueStore } from '../../src/web/client/identity.js';

/** sessionStorage stand-in for the page's identity logic. */
export class MapStore implements KeyValueStore {
  readonly map = new Map<string, string>();
  getItem(k: string): string | null {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.map.set(k, v);
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}
