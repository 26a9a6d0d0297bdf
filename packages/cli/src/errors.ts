/** Exit codes of the `irqkit` command. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** The run failed: conformance failures, a path that errored. */
  failure: 1,
  /** The input was wrong: bad options, unreadable or invalid scenario file, unknown module. */
  usage: 2,
} as const;

/** A problem with what the user asked for; printed without a stack, exit code 2. */
export class UsageError extends Error {
  /** @param message - what is wrong, naming the offending value. */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
