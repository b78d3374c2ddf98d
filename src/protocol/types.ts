/**
 * Message types, inferred from the schema literals so they cannot drift from what the validators accept.
 */
import type { FromSchema } from 'json-schema-to-ts';
import type {
  batchSchema,
  connectSchema,
  relayConnectSchema,
  deleteSchema,
  encodingSchema,
  errorSchema,
  helloSchema,
  relayDeleteSchema,
  sliderIdSchema,
  updateSchema,
  statusSchema,
  welcomeSchema,
} from './schema.js';
import type { DELETE_REASONS, ENCODINGS, ERROR_CODES } from './constants.js';

export type SliderId = FromSchema<typeof sliderIdSchema>;
export type ConnectMessage = FromSchema<typeof connectSchema>;
export type RelayConnectMessage = FromSchema<typeof relayConnectSchema>;
export type UpdateMessage = FromSchema<typeof updateSchema>;
export type DeleteMessage = FromSchema<typeof deleteSchema>;
export type RelayDeleteMessage = FromSchema<typeof relayDeleteSchema>;
export type HelloMessage = FromSchema<typeof helloSchema>;
export type WelcomeMessage = FromSchema<typeof welcomeSchema>;
export type StatusMessage = FromSchema<typeof statusSchema>;
export type ErrorMessage = FromSchema<typeof errorSchema>;
export type BatchMessage = FromSchema<typeof batchSchema>;
export type EncodingMessage = FromSchema<typeof encodingSchema>;
export type Encoding = (typeof ENCODINGS)[number];
export type DeleteReason = (typeof DELETE_REASONS)[number];
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What a phone may send. */
export type ControllerMessage = ConnectMessage | UpdateMessage | DeleteMessage;
/** What a sink receives from the relay (besides `ping`). */
export type SinkBoundMessage = RelayConnectMessage | UpdateMessage | RelayDeleteMessage | BatchMessage | EncodingMessage;
/** Every JSON message of the protocol. */
export type ProtocolMessage =
  | ControllerMessage
  | RelayConnectMessage
  | RelayDeleteMessage
  | HelloMessage
  | WelcomeMessage
  | StatusMessage
  | ErrorMessage
  | BatchMessage
  | EncodingMessage;

/** Message kinds after dispatch; an update without `type` is still kind `update`. */
export type MessageKind =
  | 'connect'
  | 'relayConnect'
  | 'update'
  | 'delete'
  | 'relayDelete'
  | 'hello'
  | 'welcome'
  | 'status'
  | 'error'
  | 'batch'
  | 'encoding';
