/**
 * The simulator's errors. Bad options and unreadable replay logs are the user's to fix (UserError: the CLI prints
 * one line and exits 2); a relay that never admits the sink is a failure found (exit 1).
 */
import { UserError } from '../common/user-error.js';

/** A bad flag value or combination; the message names the flag. */
export class OptionsError extends UserError {
  override name = 'OptionsError';
}

/** `--slo` text that does not parse. */
export class SloSyntaxError extends OptionsError {
  override name = 'SloSyntaxError';
}

/** `--replay` got a file it cannot read or replay. */
export class ReplayError extends UserError {
  override name = 'ReplayError';
}

/** The relay never admitted the sink (or refused it): nothing could be measured. */
export class AdmissionError extends Error {
  override name = 'AdmissionError';
}
