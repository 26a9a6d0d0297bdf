import { SingleBar } from 'cli-progress';
import type { Io } from './io.js';

/**
 * A progress bar on stderr for runs that take more than a second, on a TTY only: it appears
 * after the first second and is silent otherwise (pipes, CI, `--json` consumers).
 */
export class Progress {
  private bar: SingleBar | null = null;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  /**
   * @param io - where to draw.
   * @param label - what is running.
   * @param delayMs - how long a run must take before the bar appears.
   */
  constructor(
    private readonly io: Io,
    private readonly label: string,
    private readonly delayMs = 1000,
  ) {
    this.enabled = io.stderr.isTTY === true;
  }

  /** Path `index` of `count` is `fraction` done. */
  update(index: number, count: number, fraction: number, name: string): void {
    if (!this.enabled) return;
    const value = Math.round(((index + fraction) / count) * 1000);
    if (this.bar === null) {
      if (Date.now() - this.started < this.delayMs) return;
      this.bar = new SingleBar({
        format: `${this.label} [{bar}] {percentage}% | {path}`,
        stream: this.io.stderr,
        hideCursor: true,
        clearOnComplete: true,
        synchronousUpdate: true,
        fps: 20,
      });
      this.bar.start(1000, value, { path: name });
      return;
    }
    this.bar.update(value, { path: name });
  }

  /** Removes the bar. */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
