import type { EventFd } from '../eventfd.js';

/**
 * VFIO's virqfd on an unmask eventfd (drivers/vfio/virqfd.c): every signal consumes the counter
 * and calls `handler`; a hang-up shuts the path down for good.
 * @returns a function that stops listening (idempotent), or null when there is no eventfd.
 */
export function virqfd(fd: EventFd | undefined, handler: () => void): (() => void) | null {
  if (fd === undefined) return null;
  let stop: (() => void) | null = null;
  const shutdown = (): void => {
    stop?.();
    stop = null;
  };
  stop = fd.listen((f, why) => {
    if (why === 'hangup') {
      shutdown();
      return;
    }
    f.read();
    handler();
  });
  return shutdown;
}
