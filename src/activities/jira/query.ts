/**
 * Query strings for Jira requests. The JWT's `qsh` (connect-jwt.ts) and the URL actually sent
 * (signed-caller.ts) must see the same parameters, encoded the same way, or Jira rejects the token.
 */
import type { JiraQuery } from './types';

/** The parameters that are sent: `undefined` values are left out. */
export function definedEntries(query: JiraQuery | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * The query string as sent, percent-encoded the way the `qsh` canonicalises it (RFC 3986: space is `%20`, never `+`),
 * so a JQL value such as `issue.property[issue-sync].requestId = "r-1"` reaches Jira exactly as it was signed.
 */
export function queryString(query: JiraQuery | undefined): string {
  const qs = Object.entries(definedEntries(query))
    .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
    .join('&');
  return qs === '' ? '' : `?${qs}`;
}

function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
