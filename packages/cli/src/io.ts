/** Where the CLI writes and what it knows about its terminal (injectable for tests). */
export interface Io {
  /** Standard output (tables, JSON, DOT). */
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Standard error (progress, notes, errors). */
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
}

/** The process's streams and working directory. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() };
}
