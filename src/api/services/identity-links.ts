/**
 * Linking a chat account (Discord now, Teams next) to a tracker user. The chat side hands the person a signed,
 * expiring link (`<PUBLIC_URL>/link/<token>`, see ../../domain/link-token.ts); the tracker's front end confirms
 * it for the logged-in user with `POST /api/identity-links`. The link is written first; then, when the token
 * names the run that asked for it, that run is signalled (`identityLinked`). A run that has ended, or a
 * Temporal that does not answer, does not undo the link: the answer says `signalled: false`.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import type { LinkClaims, LinkProvider } from '../../domain/link-token';
import { InvalidLinkTokenError, verifyLinkToken } from '../../domain/link-token';
import type { Logger } from '../../logger';
import { identityLinkedSignal } from '../../workflows/chat-contracts';
import { ConflictError, InputError, NotFoundError, UnavailableError } from '../errors';
import { isTemporalUnreachable } from '../temporal-start';

/** `identities.status`: 0 unknown, 1 valid, 2 invalid (SPEC §2, migration 20261123000002). */
const IDENTITY_VALID = 1;
/** How long the signal may take before the link is answered with `signalled: false`. */
const SIGNAL_DEADLINE_MS = 5_000;

export const PROVIDER_DISPLAY_NAMES: Readonly<Record<LinkProvider, string>> = {
  discord: 'Discord',
  msteams: 'Microsoft Teams',
};

export interface IdentityLinkDeps {
  readonly db: Knex;
  /** LINK_SECRET; unset → linking answers 503. */
  readonly linkSecret: string | undefined;
  readonly temporal: Pick<Client, 'workflow' | 'withDeadline'>;
  readonly logger: Logger;
}

export interface LinkIntegration {
  readonly id: number;
  readonly provider: LinkProvider;
  /** Discord guild id, Teams team/tenant id: the identity provider's external id. */
  readonly externalId: string;
  /** The chat server or team, as the integration is named. */
  readonly name: string;
}

export interface LinkTarget {
  readonly claims: LinkClaims;
  readonly integration: LinkIntegration;
}

function secretOr503(secret: string | undefined): string {
  if (!secret) throw new UnavailableError('LINK_SECRET is not set; account linking is unavailable');
  return secret;
}

/** The token's claims and its (active) integration; a bad, expired or orphaned token is an InputError (400). */
export async function linkTarget(db: Knex, secret: string | undefined, token: string): Promise<LinkTarget> {
  let claims: LinkClaims;
  try {
    claims = verifyLinkToken(token, secretOr503(secret));
  } catch (err) {
    if (!(err instanceof InvalidLinkTokenError)) throw err;
    throw new InputError(
      err.problem === 'expired'
        ? 'token: this link has expired; ask for a new one in the chat'
        : 'token: this link is not valid'
    );
  }
  const row = await db('integrations')
    .where({ id: claims.integrationId, provider: claims.provider, status: 'active' })
    .first('id', 'provider', 'external_id', 'name');
  if (!row) throw new InputError('token: the chat integration of this link no longer exists');
  return {
    claims,
    integration: {
      id: Number(row.id),
      provider: row.provider as LinkProvider,
      externalId: String(row.external_id),
      name: String(row.name ?? ''),
    },
  };
}

export interface IdentityView {
  readonly id: number;
  readonly provider: string;
  readonly integrationId: number | null;
  readonly chatUserId: string;
  readonly userId: number;
  readonly created_at: string;
}

/** identities ⋈ identity_providers, with the integration the provider stands for (null once it is gone). */
function identityQuery(db: Knex) {
  return db('identities as id')
    .join('identity_providers as idp', 'idp.id', 'id.idp_id')
    .leftJoin('integrations as i', function () {
      this.on('i.provider', '=', 'idp.type').andOn('i.external_id', '=', 'idp.external_id');
    })
    .select('id.id', 'id.user_id', 'id.external_id', 'id.created_at', 'idp.type as provider', 'i.id as integration_id');
}

function toView(r: Record<string, unknown>): IdentityView {
  return {
    id: Number(r.id),
    provider: String(r.provider),
    integrationId: r.integration_id == null ? null : Number(r.integration_id),
    chatUserId: String(r.external_id),
    userId: Number(r.user_id),
    created_at: new Date(r.created_at as string | Date).toISOString(),
  };
}

async function activeUserOr404(db: Knex, userId: number): Promise<void> {
  const user = await db('users').where('id', userId).first('is_active');
  if (!user) throw new NotFoundError(`user ${userId} does not exist`);
  if (user.is_active !== true) throw new InputError(`userId: user ${userId} is not active`);
}

/** The identity provider of an integration (Discord: the guild), created on first use. */
async function idpIdOf(db: Knex, integration: LinkIntegration): Promise<number> {
  const key = { type: integration.provider, external_id: integration.externalId };
  await db('identity_providers').insert(key).onConflict(['type', 'external_id']).ignore();
  const row = await db('identity_providers').where(key).first('id');
  return Number(row.id);
}

/**
 * Writes the identity (chat user ↔ tracker user on this idp). Returns `created: false` for the same pair
 * again; 409 when either side is already linked to someone else. Both unique keys of `identities` hold the
 * rule, so two requests at the same moment give one row and one 409.
 */
async function writeIdentity(
  db: Knex,
  idpId: number,
  chatUserId: string,
  userId: number
): Promise<{ id: number; created: boolean }> {
  const inserted = await db('identities')
    .insert({ idp_id: idpId, user_id: userId, external_id: chatUserId, status: IDENTITY_VALID })
    .onConflict()
    .ignore()
    .returning('id');
  if (inserted.length > 0) return { id: Number(inserted[0].id), created: true };
  const rows: Array<{ id: string; user_id: string; external_id: string; status: number }> = await db('identities')
    .where('idp_id', idpId)
    .andWhereRaw('(external_id = ? or user_id = ?)', [chatUserId, userId])
    .select('id', 'user_id', 'external_id', 'status');
  const same = rows.find((r) => Number(r.user_id) === userId && r.external_id === chatUserId);
  if (same) {
    if (Number(same.status) !== IDENTITY_VALID) {
      await db('identities').where('id', same.id).update({ status: IDENTITY_VALID, date_verified: db.fn.now() });
    }
    return { id: Number(same.id), created: false };
  }
  if (rows.some((r) => r.external_id === chatUserId)) {
    throw new ConflictError('this chat account is already linked to another user; unlink it first');
  }
  if (rows.some((r) => Number(r.user_id) === userId)) {
    throw new ConflictError(`user ${userId} is already linked to another account on this chat server; unlink it first`);
  }
  // The conflicting row was deleted between the insert and the read: the request may simply be repeated.
  throw new ConflictError('the link changed while it was being written; try again');
}

export type SignalOutcome = 'signalled' | 'no-workflow' | 'run-not-found' | 'temporal-unreachable' | 'failed';

/** Wakes the run that asked for the link. Never throws: the link is already written. */
async function signalRun(deps: IdentityLinkDeps, workflowId: string | undefined, userId: number) {
  if (!workflowId) return 'no-workflow' as const;
  const { temporal } = deps;
  try {
    await temporal.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
      temporal.workflow.getHandle(workflowId).signal(identityLinkedSignal, { userId })
    );
    return 'signalled' as const;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'run-not-found' as const;
    const unreachable = isTemporalUnreachable(err);
    deps.logger.warn(
      { workflowId, err: { name: (err as Error).name } },
      unreachable ? 'identity linked; Temporal unreachable for the signal' : 'identity linked; signal failed'
    );
    return unreachable ? ('temporal-unreachable' as const) : ('failed' as const);
  }
}

const SIGNAL_NOTES: Readonly<Record<Exclude<SignalOutcome, 'signalled'>, string>> = {
  'no-workflow': 'the link names no waiting run',
  'run-not-found': 'the run that asked for the link has already ended; repeat the action in the chat',
  'temporal-unreachable': 'the link is saved, but the waiting run could not be reached; repeat the action in the chat',
  failed: 'the link is saved, but the waiting run could not be signalled; repeat the action in the chat',
};

export interface LinkAnswer {
  readonly status: 200 | 201;
  readonly body: {
    identity: Omit<IdentityView, 'created_at'>;
    signalled: boolean;
    note?: string;
  };
}

/** `POST /api/identity-links`: 201 new link, 200 the same link again; 400/404/409 as named errors. */
export async function linkIdentity(
  deps: IdentityLinkDeps,
  req: { token: string; userId: number }
): Promise<LinkAnswer> {
  const { claims, integration } = await linkTarget(deps.db, deps.linkSecret, req.token);
  await activeUserOr404(deps.db, req.userId);
  const idpId = await idpIdOf(deps.db, integration);
  const written = await writeIdentity(deps.db, idpId, claims.chatUserId, req.userId);
  const signal = await signalRun(deps, claims.workflowId, req.userId);
  return {
    status: written.created ? 201 : 200,
    body: {
      identity: {
        id: written.id,
        provider: integration.provider,
        integrationId: integration.id,
        chatUserId: claims.chatUserId,
        userId: req.userId,
      },
      signalled: signal === 'signalled',
      ...(signal === 'signalled' ? {} : { note: SIGNAL_NOTES[signal] }),
    },
  };
}

/** `GET /api/identities?userId=`: the user's chat identities, oldest first. */
export async function listIdentities(db: Knex, userId: number): Promise<IdentityView[]> {
  const user = await db('users').where('id', userId).first('id');
  if (!user) throw new NotFoundError(`user ${userId} does not exist`);
  const rows = await identityQuery(db).where('id.user_id', userId).orderBy('id.id');
  return rows.map(toView);
}

/** `DELETE /api/identities/:id`: unlinks; 404 when there is no such identity. */
export async function unlinkIdentity(db: Knex, identityId: number): Promise<void> {
  const removed = await db('identities').where('id', identityId).delete();
  if (removed === 0) throw new NotFoundError(`identity ${identityId} does not exist`);
}
