/**
 * One function that signs, sends and returns the parsed body of a request to a Jira site. It throws what
 * src/http.ts throws (HttpError, NetworkError); the client checks the body's shape.
 */
import type { HttpRequest } from '../../http';
import { requestJson } from '../../http';
import { createConnectJwt, DEFAULT_APP_KEY } from './connect-jwt';
import { JIRA_SYSTEM } from './errors';
import { queryString } from './query';
import type { JiraClientOptions, JiraQuery, JiraSite } from './types';

export type Method = HttpRequest['method'];

/** `what` names the call in errors and metrics (never an id, a secret or an email). */
export type SignedCaller = (
  method: Method,
  path: string,
  what: string,
  extra?: { query?: JiraQuery; body?: unknown }
) => Promise<unknown>;

export function createSignedCaller(site: JiraSite, opts: JiraClientOptions): SignedCaller {
  const baseUrl = site.baseUrl.replace(/\/+$/, '');
  const issuer = site.appKey ?? DEFAULT_APP_KEY;
  const now = opts.now ?? Date.now;
  return async (method, path, what, extra = {}) => {
    const token = createConnectJwt({
      method,
      path,
      query: extra.query,
      issuer,
      sharedSecret: site.sharedSecret,
      now: now(),
    });
    const res = await requestJson<unknown>({
      method,
      url: baseUrl + path + queryString(extra.query),
      headers: { authorization: `JWT ${token}` },
      body: extra.body,
      timeoutMs: opts.timeoutMs,
      system: JIRA_SYSTEM,
      what,
    });
    return res.body;
  };
}
