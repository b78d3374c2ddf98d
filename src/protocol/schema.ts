/**
 * Wire protocol v1, defined once. Every other part of tdcrowd (relay, page, simulator, validator, generator)
 * takes its shapes from here: the TypeScript types in `types.ts` are inferred from these literals, and the
 * validators in `validators.ts` are compiled from them once at start-up.
 *
 * Shapes follow the tutorial's messages so existing pages and patches keep working (docs/protocol.md explains
 * them for people; `tdcrowd schema` and `tdcrowd asyncapi` print them for tools).
 */
import {
  ANGLE_MAX,
  COLUMNS_MAX_INDEX,
  COLUMNS_VERSION,
  DELETE_REASONS,
  ENCODINGS,
  ERROR_CODES,
  HUE_MAX,
  ID_CHARS,
  ID_PATTERN,
  MAX_BATCH_FRAME_BYTES,
  MAX_BATCH_HZ,
  MIN_BATCH_HZ,
  MAX_BATCH_MESSAGES,
  MAX_ERROR_MESSAGE,
  MAX_FRAME_BYTES,
  MAX_SAFE_ID,
  MAX_SINK_TOKEN,
  PING,
  PONG,
  RIM,
  SPEED_MAX,
  TOKEN_PATTERN,
} from './constants.js';

export const sliderIdSchema = {
  description: `an integer from 0 to ${MAX_SAFE_ID} (2^53-1) or a string matching ${ID_CHARS}`,
  anyOf: [
    { type: 'integer', minimum: 0, maximum: MAX_SAFE_ID },
    { type: 'string', pattern: ID_PATTERN },
  ],
} as const;

/** relay → f32-columns sink only: the index this user's rows carry in the binary frames (docs/protocol.md). */
const columnIndexSchema = {
  type: 'integer',
  minimum: 0,
  maximum: COLUMNS_MAX_INDEX - 1,
  description: "relay → f32-columns sink only: this user's index in the binary column batches (a phone may not send it)",
} as const;

const resumeTokenSchema = {
  type: 'string',
  pattern: TOKEN_PATTERN,
  description: 'opaque token the relay hands out in welcome; proves ownership of an id on reconnect',
} as const;

/** Optional everywhere it appears: relays before it never send it, and sinks that do not know it ignore it. */
const hueSchema = {
  type: 'integer',
  minimum: 0,
  maximum: HUE_MAX,
  description: "the phone's colour: a hue in degrees (0-359) the relay gives each phone, recent joins spread far apart",
} as const;

export const connectSchema = {
  type: 'object',
  title: 'connect',
  description: 'controller → relay: a phone announces its id (resume: take the id over after a reconnect)',
  properties: {
    type: { const: 'connect' },
    sliderId: sliderIdSchema,
    resume: resumeTokenSchema,
  },
  required: ['type', 'sliderId'],
  additionalProperties: false,
} as const;

export const relayConnectSchema = {
  type: 'object',
  title: 'relayConnect',
  description: "relay → sink: a user is present (its id, and the hue its phone was given); never the phone's resume token",
  properties: {
    type: { const: 'connect' },
    sliderId: sliderIdSchema,
    hue: hueSchema,
    index: columnIndexSchema,
  },
  required: ['type', 'sliderId'],
  additionalProperties: false,
} as const;

export const updateSchema = {
  type: 'object',
  title: 'update',
  description: 'controller → relay → sink: knob position; type is optional (the tutorial page omits it)',
  properties: {
    type: { const: 'update' },
    x: { type: 'number', minimum: -RIM, maximum: RIM, description: 'knob offset from the centre, +x right' },
    y: { type: 'number', minimum: -RIM, maximum: RIM, description: 'knob offset from the centre, +y down' },
    speed: { type: 'number', minimum: 0, maximum: SPEED_MAX, description: 'distance from centre, percent of the rim' },
    angle: {
      type: 'number',
      minimum: 0,
      maximum: ANGLE_MAX,
      description: 'degrees counter-clockwise from +x, with y up',
    },
    sliderId: sliderIdSchema,
    seq: { type: 'integer', minimum: 0, maximum: MAX_SAFE_ID, description: 'per-sender sequence number' },
    t: { type: 'number', minimum: 0, description: "sender's clock in ms (epoch), for latency measurement" },
  },
  required: ['x', 'y', 'speed', 'angle', 'sliderId'],
  additionalProperties: false,
} as const;

export const deleteSchema = {
  type: 'object',
  title: 'delete',
  description: 'controller → relay: the user left (the page sends it after 10 s without movement)',
  properties: {
    type: { const: 'delete' },
    sliderId: sliderIdSchema,
  },
  required: ['type', 'sliderId'],
  additionalProperties: false,
} as const;

export const relayDeleteSchema = {
  type: 'object',
  title: 'relayDelete',
  description: 'relay → sink: a user is gone, and why',
  properties: {
    type: { const: 'delete' },
    sliderId: sliderIdSchema,
    reason: { enum: DELETE_REASONS },
    index: columnIndexSchema,
  },
  required: ['type', 'sliderId', 'reason'],
  additionalProperties: false,
} as const;

export const helloSchema = {
  type: 'object',
  title: 'hello',
  description: "sink → relay, first message: admits the connection as a sink (TouchDesigner, dashboard, simulator's sink)",
  properties: {
    type: { const: 'hello' },
    role: { const: 'sink' },
    token: { type: 'string', minLength: 1, maxLength: MAX_SINK_TOKEN },
    batchHz: {
      type: 'number',
      minimum: MIN_BATCH_HZ,
      maximum: MAX_BATCH_HZ,
      description: 'ask for at most this many batch frames per second instead of one frame per message',
    },
    encoding: {
      enum: ENCODINGS,
      description: 'f32-columns: binary column batches and text joins/leaves instead of JSON batches (needs batchHz)',
    },
  },
  required: ['type', 'role'],
  dependencies: { encoding: ['batchHz'] },
  additionalProperties: false,
} as const;

export const encodingSchema = {
  type: 'object',
  title: 'encoding',
  description:
    'relay → sink (only a sink that asked for f32-columns): the relay will send it binary column batches; right after admission, before the snapshot',
  properties: {
    type: { const: 'encoding' },
    encoding: { const: 'f32-columns' },
    version: { const: COLUMNS_VERSION, description: 'the binary layout version the relay writes' },
  },
  required: ['type', 'encoding', 'version'],
  additionalProperties: false,
} as const;

export const welcomeSchema = {
  type: 'object',
  title: 'welcome',
  description: 'relay → controller: the id is yours; keep the resume token to take it back after a reconnect',
  properties: {
    type: { const: 'welcome' },
    sliderId: sliderIdSchema,
    resume: resumeTokenSchema,
    hue: hueSchema,
  },
  required: ['type', 'sliderId', 'resume'],
  additionalProperties: false,
} as const;

export const statusSchema = {
  type: 'object',
  title: 'status',
  description:
    'relay → controller: whether a sink (TouchDesigner) is listening; sent when that changes, and after welcome while none is (route mode)',
  properties: {
    type: { const: 'status' },
    listening: { type: 'boolean', description: 'false: the phone is connected, but no sink receives its updates yet' },
  },
  required: ['type', 'listening'],
  additionalProperties: false,
} as const;

export const errorSchema = {
  type: 'object',
  title: 'error',
  description: 'relay → client: a frame was refused (throttled to one per second per connection)',
  properties: {
    type: { const: 'error' },
    code: { enum: ERROR_CODES },
    message: { type: 'string', maxLength: MAX_ERROR_MESSAGE },
  },
  required: ['type', 'code', 'message'],
  additionalProperties: false,
} as const;

export const batchSchema = {
  type: 'object',
  title: 'batch',
  description:
    'relay → sink (only sinks that asked for batchHz): latest update per user since the previous batch, deletes and connects kept in order',
  properties: {
    type: { const: 'batch' },
    messages: {
      type: 'array',
      maxItems: MAX_BATCH_MESSAGES,
      items: { anyOf: [updateSchema, relayConnectSchema, relayDeleteSchema] },
    },
  },
  required: ['type', 'messages'],
  additionalProperties: false,
} as const;

/** The whole protocol as one JSON Schema document (what `tdcrowd schema` prints). */
export const protocolSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:tdcrowd:protocol:v1',
  title: 'tdcrowd wire protocol v1',
  description: `Text frames of one JSON object each (UTF-8, at most ${MAX_FRAME_BYTES} bytes; relay-to-sink batch frames at most ${MAX_BATCH_FRAME_BYTES} bytes), plus the bare keep-alive strings "${PING}" and "${PONG}".`,
  definitions: {
    sliderId: sliderIdSchema,
    connect: connectSchema,
    relayConnect: relayConnectSchema,
    update: updateSchema,
    delete: deleteSchema,
    relayDelete: relayDeleteSchema,
    hello: helloSchema,
    welcome: welcomeSchema,
    status: statusSchema,
    error: errorSchema,
    batch: batchSchema,
    encoding: encodingSchema,
  },
  oneOf: [
    { $ref: '#/definitions/connect' },
    { $ref: '#/definitions/relayConnect' },
    { $ref: '#/definitions/update' },
    { $ref: '#/definitions/delete' },
    { $ref: '#/definitions/relayDelete' },
    { $ref: '#/definitions/hello' },
    { $ref: '#/definitions/welcome' },
    { $ref: '#/definitions/status' },
    { $ref: '#/definitions/error' },
    { $ref: '#/definitions/batch' },
    { $ref: '#/definitions/encoding' },
  ],
} as const;
