import type { ServiceName } from '../../src/config/index.js';
import type { DemoServiceRequest } from '../../src/demo/index.js';

/**
 * Collects what the demo services received (pass `recorder.record` as `onRequest`), so
 * tests assert on downstream calls the way dataloader's tests assert on batches.
 */
export class Recorder {
  readonly #all: DemoServiceRequest[] = [];

  /** Bound, so it can be handed over as a callback. */
  readonly record = (request: DemoServiceRequest): void => {
    this.#all.push(request);
  };

  /** Every request so far, oldest first (a copy). */
  get all(): DemoServiceRequest[] {
    return [...this.#all];
  }

  forService(service: ServiceName): DemoServiceRequest[] {
    return this.#all.filter((r) => r.service === service);
  }

  clear(): void {
    this.#all.length = 0;
  }
}
