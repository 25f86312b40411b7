import type { ServiceHttp } from './service-http.js';

/**
 * What every downstream client shares: its one HTTP core (pool, resilience, credential),
 * the circuit state that `/metrics` reports, and closing its pool at shutdown (what the
 * registry's `ServiceClient` asks of a client). A client adds only what is its own: its
 * paths, its DTOs, its credential.
 */
export abstract class HttpServiceClient {
  constructor(protected readonly http: ServiceHttp) {}

  /** The circuit's state (the `downstream_circuit_state` gauge). */
  get circuit(): ServiceHttp['circuit'] {
    return this.http.circuit;
  }

  /** Calls waiting for the concurrency cap (the `downstream_queued_calls` gauge). */
  get queued(): number {
    return this.http.queued;
  }

  /** Calls in flight under the concurrency cap (the `downstream_active_calls` gauge). */
  get active(): number {
    return this.http.active;
  }

  /** Closes the pool after the calls in flight. */
  close(): Promise<void> {
    return this.http.close();
  }
}

/** A client whose answers are the same for every user, kept in the shared response cache. */
export abstract class SharedAnswerClient extends HttpServiceClient {
  /** Answers held by the shared response cache (the `downstream_cached_answers` gauge). */
  get cachedAnswers(): number {
    return this.http.cachedAnswers;
  }
}
