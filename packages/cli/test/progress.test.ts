import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type Io, Progress } from '../src/index.js';

function io(tty: boolean): { io: Io; text: () => string } {
  let out = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        out += String(chunk);
        done();
      },
    }),
    {
      isTTY: tty,
      columns: 80,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    },
  );
  return { io: { stdout: stream, stderr: stream, cwd: '.' }, text: () => out };
}

describe('progress bar', () => {
  it('is silent when stderr is not a TTY', () => {
    const { io: fake, text } = io(false);
    const p = new Progress(fake, 'simulating', 0);
    p.update(0, 2, 0.5, 'a');
    p.update(1, 2, 1, 'b');
    p.stop();
    expect(text()).toBe('');
  });

  it('draws on a TTY once the run is older than the delay, naming the current path', () => {
    const { io: fake, text } = io(true);
    const p = new Progress(fake, 'simulating', 0);
    p.update(0, 2, 0.5, 'reference/msi-posted');
    p.update(1, 2, 0.5, 'reference/msi-irqfd');
    expect(text()).toContain('simulating');
    expect(text()).toContain('reference/msi-');
    p.stop();
  });

  it('stays hidden for runs shorter than the delay', () => {
    const { io: fake, text } = io(true);
    const p = new Progress(fake, 'simulating', 60_000);
    p.update(0, 1, 1, 'x');
    p.stop();
    expect(text()).toBe('');
  });
});
