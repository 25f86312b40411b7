import type { Request } from 'express';

/** The token of an `Authorization: Bearer …` header, or undefined (no header, another scheme). */
export function bearerToken(req: Request): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
}
