/**
 * WebSocket close codes the relay uses, with what each means to the client that gets it (docs/protocol.md,
 * "Close codes"). Browser-safe: the page reads `takenOver` from here.
 */

export interface CloseCode {
  readonly code: number;
  /** Who closes, and why. */
  readonly meaning: string;
}

export const CLOSE_CODES = {
  normal: { code: 1000, meaning: 'normal closure (RFC 6455): a client ends its session (a page closing, a simulation over)' },
  goingAway: {
    code: 1001,
    meaning: 'going away (RFC 6455): the relay is shutting down; a page or a virtual phone closes with it when it leaves',
  },
  tooLarge: { code: 1009, meaning: 'message too big (RFC 6455): a frame was larger than the relay accepts (--max-payload)' },
  tryAgainLater: {
    code: 1013,
    meaning:
      'try again later (RFC 6455): the relay is full (--max-controllers phones, --max-per-address phones from this address, --max-sinks sinks), or sink hellos from this address come too often',
  },
  takenOver: {
    code: 4000,
    meaning: "id taken over: a connection that holds this id's resume token claimed it; sinks keep the row",
  },
  unauthorized: {
    code: 4001,
    meaning:
      'unauthorized: the sink hello had no token or a wrong one (--sink-token), came from an address --sink-from does not allow, or came during the back-off after failed hellos',
  },
  unidentified: {
    code: 4002,
    meaning: 'unidentified: neither hello nor connect within three heartbeats (route mode only)',
  },
} as const satisfies Record<string, CloseCode>;

export type CloseName = keyof typeof CLOSE_CODES;

/** The codes by name, e.g. `CLOSE.takenOver` is 4000. */
export const CLOSE = Object.fromEntries(Object.entries(CLOSE_CODES).map(([name, c]) => [name, c.code])) as {
  readonly [K in CloseName]: (typeof CLOSE_CODES)[K]['code'];
};
