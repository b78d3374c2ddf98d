/**
 * The protocol's numbers and patterns (docs/protocol.md, "Limits"), defined once. Browser-safe: no imports at
 * all, so the joystick page loads this file as it is (served at /protocol/constants.js), and the JSON Schema,
 * the relay, the simulator, the validator and the generated Python (through the render context) read the same
 * values.
 */

/** Joystick units: the knob's offset from the pad centre; the rim of the pad is at 170 (the tutorial's radius). */
export const RIM = 170;
/** speed is the knob's distance from the centre in percent of the rim. */
export const SPEED_MAX = 100;
/** angle is in degrees, counter-clockwise from +x with y up. */
export const ANGLE_MAX = 360;

/** Hues the relay gives phones are whole degrees on the colour wheel, 0…HUE_MAX (docs/protocol.md, "Hue"). */
export const HUE_MAX = 359;
/** Degrees between the hues of successive joins: the golden angle, 360 / φ² (docs/protocol.md, "Hue"). */
export const HUE_STEP = 137.508;

/** Largest integer sliderId: 2^53 − 1, the largest integer a JavaScript number (and JSON in a browser) keeps exact. */
export const MAX_SAFE_ID = 9007199254740991;
/** A string sliderId, unanchored: the generated Python full-matches it, the schema anchors it (ID_PATTERN). */
export const ID_CHARS = '[A-Za-z0-9_-]{1,64}';
export const ID_PATTERN = `^${ID_CHARS}$`;
/** Resume tokens the relay hands out (it makes 24 base64url characters); 16–128 leaves it room to change. */
export const TOKEN_PATTERN = '^[A-Za-z0-9_-]{16,128}$';

/** Bare keep-alive text frames (the tutorial relay's behaviour): the relay sends `ping`, clients answer `pong`. */
export const PING = 'ping';
export const PONG = 'pong';

/** Largest text frame, in UTF-8 bytes, for every client frame and every single message. */
export const MAX_FRAME_BYTES = 1024;
/**
 * Largest relay → sink frame, in UTF-8 bytes: a sink must be ready to parse frames this large. Single messages
 * stay within MAX_FRAME_BYTES, but a batch frame holds one message per live user, so it cannot fit in 1 KiB;
 * 4 MiB is far above a 5000-user batch (~0.5 MB) and bounds what a sink must buffer. The generated Python
 * compares it with the frame's length in characters, which is never more than its length in bytes.
 */
export const MAX_BATCH_FRAME_BYTES = 4 * 1024 * 1024;
/** Most messages in one batch frame: the generated Python refuses a longer batch whole. */
export const MAX_BATCH_MESSAGES = 20000;
/**
 * Lowest batchHz a sink may ask for: a batch is at most a second old, so what waits for a sink is at most a
 * second of traffic (at 0.05 Hz one batch held 29 853 messages; at 1e-6 Hz churned ids piled up for good).
 */
export const MIN_BATCH_HZ = 1;
/** Highest batchHz a sink may ask for in its hello. */
export const MAX_BATCH_HZ = 240;
/** Longest `message` text of an error frame; the relay shortens longer texts. */
export const MAX_ERROR_MESSAGE = 512;
/** Longest sink token in a hello. */
export const MAX_SINK_TOKEN = 256;
/** Shortest sink token a relay accepts to be started with: a shorter one can be guessed. */
export const MIN_SINK_TOKEN = 16;

/** Why the relay says a user is gone, in its delete to the sinks. */
export const DELETE_REASONS = ['client', 'closed', 'timeout'] as const;

export const DELETE_REASON_MEANINGS: Readonly<Record<(typeof DELETE_REASONS)[number], string>> = {
  client: 'the phone sent delete (the page does after 10 s without movement)',
  closed: "the phone's socket closed",
  timeout: 'the phone stopped answering the heartbeat (gone within two intervals)',
};

/** Why the relay (or `parse`) refused a frame. Also the `reason` label of the relay's drop counters. */
export const ERROR_CODES = [
  'too_large',
  'not_utf8',
  'binary',
  'not_json',
  'not_object',
  'schema',
  'wrong_direction',
  'rate_limited',
  'id_mismatch',
  'id_taken',
  'bad_resume',
  'not_connected',
  'unauthorized',
  'origin',
  'server_full',
  'address_full',
  'too_many_sinks',
  'backpressure',
  'no_sink',
  'unavailable',
] as const;

export const ERROR_MEANINGS: Readonly<Record<(typeof ERROR_CODES)[number], string>> = {
  too_large: 'the frame is larger than the relay accepts (it closes the connection with 1009)',
  not_utf8: 'the frame is not valid UTF-8',
  binary: 'a binary frame from a client: only the relay sends binary frames (column batches to sinks that ask)',
  not_json: 'the frame is neither JSON nor a keep-alive',
  not_object: 'the JSON is not an object',
  schema: 'the object breaks the schema (the message names the property)',
  wrong_direction: 'this sender may not send this message (e.g. a batch from a phone)',
  rate_limited: 'more than the rate limit allows (token bucket per connection; sink hellos and snapshots per address)',
  id_mismatch: 'the connection speaks for an id other than the one it claimed',
  id_taken: 'another live connection holds the id, and no valid resume token came with the claim',
  bad_resume: "the resume token is not the id's",
  not_connected: 'delete before the connection claimed any id',
  unauthorized:
    'the sink hello was refused: no token or a wrong one, an address --sink-from does not allow (by default only the relay\'s own machine), or the back-off after failed hellos',
  origin: 'the page origin is not allowed (refused at the handshake, HTTP 403; counted only)',
  server_full: 'the relay already holds its maximum number of phones (closes with 1013)',
  address_full: 'this client address already holds --max-per-address phones (closes with 1013)',
  too_many_sinks: 'the relay already has --max-sinks sinks (closes with 1013)',
  backpressure: 'a frame skipped for a slow sink, replaced by a newer one (counted only)',
  no_sink: 'an update no sink could receive: none was connected (counted only; phones get status listening:false)',
  unavailable: 'the relay cannot check the id right now (relay --redis: Redis unreachable): retry in a few seconds',
};

/**
 * f32-columns (docs/protocol.md, "Column batches"): a sink that says `"encoding":"f32-columns"` (with batchHz) in
 * its hello gets one binary frame per tick with the changed users' values as little-endian columns, and text
 * frames only for joins and leaves. These are the frame's fixed numbers; the layout is in columns.ts.
 */
export const ENCODINGS = ['json', 'f32-columns'] as const;
/** "TDCB", the first four bytes of every column batch. */
export const COLUMNS_MAGIC = 'TDCB';
/** The layout version a relay writes and a reader must know (byte 4). */
export const COLUMNS_VERSION = 1;
/** Flag bit: an f64 seq column follows the angle column (NaN where that update had no seq). */
export const COLUMNS_FLAG_SEQ = 1;
/** Flag bit: an f32 dt column (t − t0 in ms) follows (NaN where that update had no t). */
export const COLUMNS_FLAG_DT = 2;
/** Bytes before the first column: magic, version, flags, reserved, batch number, row count, t0. */
export const COLUMNS_HEADER_BYTES = 24;
/** Indices a relay hands one sink: 0 ≤ index < COLUMNS_MAX_INDEX (the lowest free at join). */
export const COLUMNS_MAX_INDEX = 65536;
