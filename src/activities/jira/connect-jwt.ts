/**
 * Atlassian Connect request tokens. A Connect app signs each call to Jira with `Authorization: JWT <token>`:
 * HS256 with the installation's shared secret, claims `{ iss: appKey, iat, exp: iat + 180, qsh }`, where `qsh`
 * (computed by atlassian-jwt) binds the token to the exact method, path (relative to the site's base URL, which
 * may have a context path) and query.
 */
import { createQueryStringHash, encodeSymmetric, SymmetricAlgorithm } from 'atlassian-jwt';
import { definedEntries } from './query';
import type { JiraQuery } from './types';

/** Connect app key used as the JWT `iss` when the site does not name one. */
export const DEFAULT_APP_KEY = 'issue-sync';

/** Lifetime of a request token, in seconds (Atlassian recommends 3 minutes). */
export const CONNECT_JWT_TTL_SECONDS = 180;

/** Input of {@link createConnectJwt}. */
export interface ConnectJwtInput {
  readonly method: string;
  /** Path relative to the site's base URL, starting with `/`, as sent (percent-encoded). */
  readonly path: string;
  readonly query?: JiraQuery;
  /** JWT `iss`: the app key when we call Jira, the client key when Jira calls us. */
  readonly issuer: string;
  readonly sharedSecret: string;
  /** Milliseconds since the epoch; defaults to now. */
  readonly now?: number;
  readonly ttlSeconds?: number;
}

/** Mints an Atlassian Connect HS256 token whose `qsh` binds it to one method + path + query. */
export function createConnectJwt(input: ConnectJwtInput): string {
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  const qsh = createQueryStringHash({
    method: input.method,
    pathname: input.path,
    query: definedEntries(input.query),
  });
  const claims = { iss: input.issuer, iat, exp: iat + (input.ttlSeconds ?? CONNECT_JWT_TTL_SECONDS), qsh };
  return encodeSymmetric(claims, input.sharedSecret, SymmetricAlgorithm.HS256);
}
