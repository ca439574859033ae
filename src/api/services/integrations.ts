/**
 * Integration lookups the webhook routes need before anything is stored (secrets never leave this process), and
 * the operator's pause and resume (issue 11). While an integration is paused its deliveries are verified and
 * recorded `paused` (reason "integration paused") but not started, and pushes to a paused Jira site wait; resume
 * turns the paused deliveries back to `accepted` and the delivery pump starts them in received order (one issue's
 * deliveries one after another).
 */
import type { Knex } from 'knex';
import { NotFoundError } from '../errors';

/** How long a found Jira secret is reused without asking Postgres again (JIRA_SECRET_CACHE_MS; 0 = never). */
export const JIRA_SECRET_CACHE_MS = 0;
/** At most this many sites' secrets are kept (the oldest goes first). */
const JIRA_SECRET_CACHE_MAX = 1_000;

type JiraSecret = { integrationId: number; sharedSecret: string };

/**
 * The active Jira integration for a Connect clientKey (the JWT's `iss`), with its shared secret. A found secret is
 * kept in this process for `cacheMs` (default {@link JIRA_SECRET_CACHE_MS}), so a burst of one site's webhooks costs
 * one query, not one per delivery (issue 10, P1). The price: a secret rotated or an integration disabled in the
 * database is still accepted by this process for up to `cacheMs`. Unknown keys are never cached (a flood of made-up
 * `iss` values cannot push real sites out).
 */
export function jiraSecretLookup(db: Knex, cacheMs: number = JIRA_SECRET_CACHE_MS) {
  const cache = new Map<string, { value: JiraSecret; until: number }>();
  const query = async (clientKey: string): Promise<JiraSecret | null> => {
    const row = await db('integrations')
      .where({ provider: 'jira', external_id: clientKey, status: 'active' })
      .first('id', 'metadata');
    const secret = (row?.metadata as Record<string, unknown> | undefined)?.shared_secret;
    return row && typeof secret === 'string' ? { integrationId: Number(row.id), sharedSecret: secret } : null;
  };
  return async (clientKey: string): Promise<JiraSecret | null> => {
    const now = Date.now();
    const hit = cache.get(clientKey);
    if (hit && hit.until > now) return hit.value;
    cache.delete(clientKey);
    const value = await query(clientKey);
    if (value && cacheMs > 0) {
      if (cache.size >= JIRA_SECRET_CACHE_MAX) cache.delete(cache.keys().next().value as string);
      cache.set(clientKey, { value, until: now + cacheMs });
    }
    return value;
  };
}

export interface PauseState {
  readonly integrationId: number;
  readonly provider: string;
  readonly paused: boolean;
  readonly pausedAt: string | null;
  readonly pausedReason: string | null;
}

function stateOf(row: Record<string, unknown>): PauseState {
  return {
    integrationId: Number(row.id),
    provider: String(row.provider),
    paused: row.paused_at != null,
    pausedAt: row.paused_at == null ? null : new Date(row.paused_at as string).toISOString(),
    pausedReason: (row.paused_reason as string | null) ?? null,
  };
}

/** Pauses an integration (idempotent: pausing a paused one keeps its first time and reason). */
export async function pauseIntegration(db: Knex, id: number, reason: string | null): Promise<PauseState> {
  await db('integrations')
    .where('id', id)
    .whereNull('paused_at')
    .update({ paused_at: db.fn.now(), paused_reason: reason });
  const row = await db('integrations').where('id', id).first('id', 'provider', 'paused_at', 'paused_reason');
  if (!row) throw new NotFoundError(`integration ${id} not found`);
  return stateOf(row as Record<string, unknown>);
}

/**
 * Resumes an integration: in one transaction the pause is lifted and its paused deliveries go back to `accepted`
 * (the pump starts them, oldest first). Answers how many were resumed. Idempotent.
 */
export async function resumeIntegration(db: Knex, id: number): Promise<PauseState & { resumed: number }> {
  return db.transaction(async (trx) => {
    // The update locks the row (as a SELECT … FOR UPDATE would) and answers its new state in the same statement.
    const [after] = await trx('integrations')
      .where('id', id)
      .update({ paused_at: null, paused_reason: null })
      .returning(['id', 'provider', 'paused_at', 'paused_reason']);
    if (!after) throw new NotFoundError(`integration ${id} not found`);
    const resumed = await trx('webhook_deliveries')
      .where({ integration_id: id, status: 'paused' })
      .update({ status: 'accepted', reason: null, updated_at: trx.fn.now() });
    return { ...stateOf(after as Record<string, unknown>), resumed };
  });
}
