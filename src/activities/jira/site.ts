/**
 * The Jira site behind an integration, and a client for it. The client comes from `clientFor`, which the worker
 * wires to createJiraClient (with its HTTP timeout) and tests replace with a fake.
 */
import type { Knex } from 'knex';
import { ApplicationFailure } from '@temporalio/common';
import type { JiraClient } from './types';

export interface JiraSiteRecord {
  readonly integrationId: number;
  readonly baseUrl: string;
  readonly clientKey: string;
  readonly sharedSecret: string;
  readonly emailScope: boolean;
  /** An operator paused this integration (POST /api/integrations/:id/pause): pushes wait until it is resumed. */
  readonly paused: boolean;
}

/** Builds the client that talks to one site. */
export type ClientFor = (site: JiraSiteRecord) => JiraClient;

export interface JiraConnection {
  readonly site: JiraSiteRecord;
  readonly client: JiraClient;
}

/** Loads an integration's site and gives its client. */
export type Connect = (integrationId: number) => Promise<JiraConnection>;

/** Which Jira base URLs a site may have (config ALLOW_HTTP_LOOPBACK). */
export interface BaseUrlPolicy {
  /** Plain http is allowed for a loopback host (127.0.0.1, ::1, localhost): the simulators of tests and demos. */
  readonly allowHttpLoopback: boolean;
}

/**
 * The policy when the caller passes none: loopback http allowed (tests and the demo run simulators on
 * http://127.0.0.1). The worker passes `{ allowHttpLoopback: config.allowHttpLoopback }`.
 */
export const DEFAULT_BASE_URL_POLICY: BaseUrlPolicy = { allowHttpLoopback: true };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * What is wrong with a Jira base URL, or null: it must be an absolute https URL without credentials, query or
 * fragment; http only for a loopback host when the policy allows it. Requests carry a signed JWT, so a plain
 * http or otherwise odd base URL would hand it to whoever is on the path.
 */
export function baseUrlProblem(value: string, policy: BaseUrlPolicy = DEFAULT_BASE_URL_POLICY): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') {
    if (!LOOPBACK_HOSTS.has(url.hostname.toLowerCase())) return 'must be https (http only for a loopback host)';
    return policy.allowHttpLoopback ? null : 'must be https (http on loopback needs ALLOW_HTTP_LOOPBACK=true)';
  }
  return 'must be https';
}

/**
 * The Jira site behind an integration (secrets stay in this process; never returned or logged). A missing or
 * unacceptable base_url (see {@link baseUrlProblem}) is a non-retryable `IntegrationMisconfigured` failure
 * naming the problem, never the URL.
 */
export async function loadJiraSite(
  db: Knex,
  integrationId: number,
  policy: BaseUrlPolicy = DEFAULT_BASE_URL_POLICY
): Promise<JiraSiteRecord> {
  const row = await db('integrations')
    .where({ id: integrationId, provider: 'jira' })
    .first('external_id', 'metadata', 'paused_at');
  if (!row) throw ApplicationFailure.nonRetryable(`Jira integration ${integrationId} not found`, 'IntegrationNotFound');
  const meta = (row.metadata ?? {}) as Record<string, unknown>;
  if (typeof meta.base_url !== 'string' || typeof meta.shared_secret !== 'string') {
    throw ApplicationFailure.nonRetryable(
      `Jira integration ${integrationId} lacks base_url or shared_secret`,
      'IntegrationMisconfigured'
    );
  }
  const problem = baseUrlProblem(meta.base_url, policy);
  if (problem) {
    throw ApplicationFailure.nonRetryable(
      `Jira integration ${integrationId} base_url ${problem}`,
      'IntegrationMisconfigured'
    );
  }
  return {
    integrationId,
    baseUrl: meta.base_url,
    clientKey: String(row.external_id),
    sharedSecret: meta.shared_secret,
    emailScope: meta.email_scope === true,
    paused: row.paused_at != null,
  };
}

export function connector(db: Knex, clientFor: ClientFor, policy: BaseUrlPolicy = DEFAULT_BASE_URL_POLICY): Connect {
  return async (integrationId) => {
    const site = await loadJiraSite(db, integrationId, policy);
    return { site, client: clientFor(site) };
  };
}
