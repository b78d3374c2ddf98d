/**
 * A problem the user can fix, not a bug: a bad option or flag value, a file that cannot be read or written, a port
 * already in use. Every feature's option, usage and environment errors extend this class; `tdcrowd` prints the
 * message as one line on stderr and exits 2, with no stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}
