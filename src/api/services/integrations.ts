/** Integration lookups the webhook routes need before anything is stored. Secrets never leave this process. */
import type { Knex } from 'knex';

/** The active Jira integration for a Connect clientKey (the JWT's `iss`), with its shared secret. */
export function jiraSecretLookup(db: Knex) {
  return async (clientKey: string): Promise<{ integrationId: number; sharedSecret: string } | null> => {
    const row = await db('integrations')
      .where({ provider: 'jira', external_id: clientKey, status: 'active' })
      .first('id', 'metadata');
    const secret = (row?.metadata as Record<string, unknown> | undefined)?.shared_secret;
    return row && typeof secret === 'string' ? { integrationId: Number(row.id), sharedSecret: secret } : null;
  };
}
