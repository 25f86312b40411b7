import type { ServiceName } from '../../config/index.js';
import type { Logger } from '../../observability/logger.js';
import type { HttpCall } from './call.js';
import { withoutQuery } from './wire.js';

/**
 * The answers an operator must hear about, because no user can fix them. The line names
 * the service, status, method and path; never a credential, a body or the query string
 * (id lists are long, and a query may carry user input).
 */

/** Our credential (or the user's token) was refused (401/403). */
export function logCredentialRefused(logger: Logger, service: ServiceName, status: number, call: HttpCall): void {
  warn(logger, service, status, call, `the ${service} service refused the credential`);
}

/** A collection endpoint that does not exist (404): the base URL (or the service) is wrong. */
export function logMissingEndpoint(logger: Logger, service: ServiceName, status: number, call: HttpCall): void {
  warn(logger, service, status, call, `the ${service} service has no such endpoint: check its base URL`);
}

function warn(logger: Logger, service: ServiceName, status: number, call: HttpCall, message: string): void {
  logger.warn({ downstream: service, status, method: call.method, path: withoutQuery(call.path) }, message);
}
