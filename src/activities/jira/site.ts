import type { Knex } from 'knex';
import { ApplicationFailure } from '@temporalio/common';

export interface JiraSiteRecord {
  readonly integrationId: number;
  readonly baseUrl: string;
  readonly clientKey: string;
  readonly sharedSecret: string;
  readonly emailScope: boolean;
}

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
