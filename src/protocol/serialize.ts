import type { ProtocolMessage } from './types.js';

/** Serialise a message for the wire. One place, so every sender agrees on the format. */
export function serialize(message: ProtocolMessage): string {
  return JSON.stringify(message);
}
