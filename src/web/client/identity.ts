/**
 * The tab's identity: an unguessable slider id kept for the tab's life, and the resume token the relay hands
 * out in `welcome`, both in sessionStorage so a reload or a reconnect keeps the same user row in TouchDesigner.
 */
import { TOKEN_PATTERN } from '../../protocol/constants.js';

/** 16 random bytes = 128 bits, 22 base64url characters. */
export const ID_BYTES = 16;
export const STORAGE_ID_KEY = 'tdcrowd.sliderId';
export const STORAGE_RESUME_KEY = 'tdcrowd.resume';

/** An id this page made (ID_BYTES in base64url), or a longer one from a newer page: always a valid protocol id. */
const ID_RE = /^[A-Za-z0-9_-]{22,64}$/;
const TOKEN_RE = new RegExp(TOKEN_PATTERN);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Unpadded base64url (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

export type RandomFill = (bytes: Uint8Array) => Uint8Array;

const cryptoFill: RandomFill = (bytes) => globalThis.crypto.getRandomValues(bytes);

export function generateId(fill: RandomFill = cryptoFill): string {
  return base64url(fill(new Uint8Array(ID_BYTES)));
}

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_RE.test(value);
}

export function isValidToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_RE.test(value);
}

/** The subset of the Storage API used here (sessionStorage in the page, a Map-backed fake in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class Identity {
  #sliderId: string;
  #resume: string | undefined;
  readonly #store: KeyValueStore | null;
  readonly #fill: RandomFill;

  /** `store` may be null or throw (storage disabled, private mode): the identity then lives in memory only. */
  constructor(store: KeyValueStore | null, fill: RandomFill = cryptoFill) {
    this.#store = store;
    const savedId = safeGet(store, STORAGE_ID_KEY);
    this.#fill = fill;
    if (isValidId(savedId)) {
      this.#sliderId = savedId;
      const savedToken = safeGet(store, STORAGE_RESUME_KEY);
      this.#resume = isValidToken(savedToken) ? savedToken : undefined;
    } else {
      this.#sliderId = generateId(fill);
      safeSet(store, STORAGE_ID_KEY, this.#sliderId);
      safeRemove(store, STORAGE_RESUME_KEY);
    }
  }

  get sliderId(): string {
    return this.#sliderId;
  }

  /**
   * A fresh id and no token: for a tab whose id was taken over by another tab holding the same storage
   * (browsers copy sessionStorage when a tab is duplicated), so each tab steers its own user.
   */
  renew(): void {
    this.#sliderId = generateId(this.#fill);
    this.#resume = undefined;
    safeSet(this.#store, STORAGE_ID_KEY, this.#sliderId);
    safeRemove(this.#store, STORAGE_RESUME_KEY);
  }

  get resume(): string | undefined {
    return this.#resume;
  }

  setResume(token: string): void {
    if (!isValidToken(token)) return;
    this.#resume = token;
    safeSet(this.#store, STORAGE_RESUME_KEY, token);
  }

  clearResume(): void {
    this.#resume = undefined;
    safeRemove(this.#store, STORAGE_RESUME_KEY);
  }
}

function safeGet(store: KeyValueStore | null, key: string): string | null {
  try {
    return store ? store.getItem(key) : null;
  } catch {
    return null;
  }
}

function safeSet(store: KeyValueStore | null, key: string, value: string): void {
  try {
    store?.setItem(key, value);
  } catch {
    // Quota or disabled storage: the identity still works for this page's life.
  }
}

function safeRemove(store: KeyValueStore | null, key: string): void {
  try {
    store?.removeItem(key);
  } catch {
    // as above
  }
}
