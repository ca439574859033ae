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
}

/** Builds the client that talks to one site. */
export type ClientFor = (site: JiraSiteRecord) => JiraClient;

export interface JiraConnection {
  readonly site: JiraSiteRecord;
  readonly client: JiraClient;
}

/** Loads an integration's site and gives its client. */
export type Connect = (integrationId: number) => Promise<JiraConnection>;

/** The Jira site behind an integration (secrets stay in this process; never returned or logged). */
export async function loadJiraSite(db: Knex, integrationId: number): Promise<JiraSiteRecord> {
  const row = await db('integrations').where({ id: integrationId, provider: 'jira' }).first('external_id', 'metadata');
  if (!row) throw ApplicationFailure.nonRetryable(`Jira integration ${integrationId} not found`, 'IntegrationNotFound');
  const meta = (row.metadata ?? {}) as Record<string, unknown>;
  if (typeof meta.base_url !== 'string' || typeof meta.shared_secret !== 'string') {
    throw ApplicationFailure.nonRetryable(
      `Jira integration ${integrationId} lacks base_url or shared_secret`,
      'IntegrationMisconfigured'
    );
  }
  return {
    integrationId,
    baseUrl: meta.base_url,
    clientKey: String(row.external_id),
    sharedSecret: meta.shared_secret,
    emailScope: meta.email_scope === true,
  };
}

export function connector(db: Knex, clientFor: ClientFor): Connect {
  return async (integrationId) => {
    const site = await loadJiraSite(db, integrationId);
    return { site, client: clientFor(site) };
  };
}
