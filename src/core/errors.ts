/**
 * A UserError is written for the person in the channel: shown as is.
 * Anything else is a bug: chat gets a short id, the log gets the detail.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** Stable identifier for tests and metrics, e.g. "args.missing". */
    readonly code: string = 'user',
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
