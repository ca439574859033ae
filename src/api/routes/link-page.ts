/**
 * `GET /link/<token>` (no bearer; HTML): the page a chat user's link opens. It says what would be linked (the
 * chat provider, the server or team, the chat user id) and how the tracker confirms it: the tracker's front
 * end, for the logged-in user, calls `POST /api/identity-links` with the token. Nothing is written here.
 * An invalid or expired link is a 400 page. Everything printed is HTML-escaped; the page loads nothing.
 */
import type { Response } from 'express';
import { Router } from 'express';
import type { Knex } from 'knex';
import { InputError, UnavailableError } from '../errors';
import { linkTarget, PROVIDER_DISPLAY_NAMES } from '../services/identity-links';

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** `body` is already HTML; `title` is text. */
function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    })
    .send(
      `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
dt{font-weight:600}code{word-break:break-all}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`
    );
}

export function linkPageRouter(deps: { db: Knex; linkSecret: string | undefined }): Router {
  const router = Router();

  router.get('/link/:token', async (req, res) => {
    const token = String(req.params.token);
    let target;
    try {
      target = await linkTarget(deps.db, deps.linkSecret, token);
    } catch (err) {
      if (err instanceof UnavailableError) {
        page(res, 503, 'Account linking is unavailable', '<p>This service has no link secret configured.</p>');
        return;
      }
      if (!(err instanceof InputError)) throw err;
      const reason = err.message.replace(/^token: /, '');
      page(
        res,
        400,
        'This link cannot be used',
        `<p>${escapeHtml(reason)}.</p>\n<p>Links expire after 10 minutes. Go back to the chat and repeat the action to get a new one.</p>`
      );
      return;
    }
    const { claims, integration } = target;
    const provider = PROVIDER_DISPLAY_NAMES[claims.provider];
    const expires = new Date(claims.expiresAtMs).toISOString();
    page(
      res,
      200,
      `Link your ${provider} account`,
      `<p>This link connects a ${escapeHtml(provider)} account to your account in the issue tracker, so that what you do
in ${escapeHtml(provider)} (assign, resolve, archive) is done as you.</p>
<dl>
<dt>Chat</dt><dd>${escapeHtml(provider)}</dd>
<dt>${claims.provider === 'discord' ? 'Server' : 'Team'}</dt><dd>${escapeHtml(integration.name || '(unnamed)')}</dd>
<dt>${escapeHtml(provider)} user id</dt><dd><code>${escapeHtml(claims.chatUserId)}</code></dd>
<dt>Link expires</dt><dd>${escapeHtml(expires)}</dd>
</dl>
<h2>How to confirm</h2>
<p>Open this link while signed in to the issue tracker: it confirms the link for the signed-in user by calling
<code>POST /api/identity-links</code> with <code>{"token": "&lt;this link's token&gt;", "userId": &lt;your user id&gt;}</code>.
Until then nothing is linked. If you did not ask for this link, ignore it.</p>
<p>Token: <code id="link-token">${escapeHtml(token)}</code></p>`
    );
  });

  return router;
}
