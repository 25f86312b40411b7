import type { Response } from 'express';

/**
 * The small HTML pages the browser may land on during sign-in. Their text is fixed (no
 * request data, no IdP message is ever echoed), so there is nothing to escape and
 * nothing to leak.
 */
export function sendAuthPage(res: Response, status: number, title: string, text: string): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
        `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
        `<body><main><h1>${title}</h1><p>${text}</p><p><a href="/">Back to the shop</a></p></main></body></html>`,
    );
}

export const PAGES = {
  signInFailed: [400, 'Sign-in failed', 'We could not complete your sign-in. Please start again.'],
  signInUnavailable: [503, 'Sign-in unavailable', 'Sign-in is temporarily unavailable. Please try again in a moment.'],
  badAppSignIn: [400, 'App sign-in request not valid', 'This sign-in request from an app is not valid. Please start again from the app.'],
  badLogoutLink: [400, 'Sign-out link not valid', 'This sign-out link is not valid or has already been used.'],
} as const satisfies Record<string, readonly [number, string, string]>;
