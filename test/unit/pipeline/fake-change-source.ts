import type { ChangeHandler, ChangeMessage, ChangeSource } from '../../../src/source/change-source.ts';
import type { Lsn } from '../../../src/source/lsn.ts';

/**
 * A scripted ChangeSource: tests push messages, the handler is awaited for
 * each (backpressure, as in ReplicationSource), and acknowledgements,
 * keepalive requests and the stop are recorded. Like the real source, a
 * stop ends `run()` once the queued messages are delivered.
 */
export class FakeChangeSource implements ChangeSource {
  readonly acknowledged: Lsn[] = [];
  keepaliveRequests = 0;
  stopped = false;
  /** Messages the handler finished with. */
  delivered = 0;
  readonly #queue: ChangeMessage[] = [];
  #wake: (() => void) | undefined;

  push(...messages: ChangeMessage[]): void {
    this.#queue.push(...messages);
    this.#wake?.();
  }

  async run(handler: ChangeHandler): Promise<void> {
    while (true) {
      const message = this.#queue.shift();
      if (message) {
        await handler(message);
        this.delivered++;
        continue;
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  acknowledge(lsn: Lsn): void {
    this.acknowledged.push(lsn);
  }

  requestKeepalive(): void {
    this.keepaliveRequests++;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.#wake?.();
  }

  /** The last acknowledged position (0 before any). */
  get lastAcknowledged(): Lsn {
    return this.acknowledged.at(-1) ?? 0n;
  }
}
