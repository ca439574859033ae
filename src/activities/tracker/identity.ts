/**
 * Chat identities and the checks a chat action passes before it changes anything (SPEC §3.3, Sentry §2.7):
 * the chat user's linked tracker user (identity_providers by workspace/guild, identities by chat user id), the
 * group, the integration installed for the group's organization, and the user's membership of that org.
 * Read-only: safe to retry.
 */
import type { Knex } from 'knex';
import type { ChatProvider } from '../../domain/model';

export interface ChatIdentityInput {
  readonly provider: ChatProvider;
  /** identity_providers.external_id: the Discord guild id (the Teams tenant id). */
  readonly workspaceId: string;
  /** identities.external_id: the chat user's id. */
  readonly chatUserId: string;
}

/** The active tracker user linked to the chat user, or null when there is none (or it is deactivated/invalid). */
export async function resolveChatIdentity(db: Knex, input: ChatIdentityInput): Promise<{ userId: number | null }> {
  const row = await db('identity_providers as ip')
    .join('identities as i', 'i.idp_id', 'ip.id')
    .join('users as u', 'u.id', 'i.user_id')
    .where({ 'ip.type': input.provider, 'ip.external_id': input.workspaceId, 'i.external_id': input.chatUserId })
    .whereNot('i.status', 2)
    .where('u.is_active', true)
    .first('i.user_id');
  return { userId: row ? Number(row.user_id) : null };
}

export interface ChatActionCheckInput {
  readonly integrationId: number;
  readonly groupId: number;
  readonly userId: number;
}

export type ChatActionCheck =
  | { readonly ok: true; readonly organizationId: number }
  | { readonly ok: false; readonly problem: 'group' | 'integration' | 'membership'; readonly reason: string };

/** Whether the linked user may act on the group through this integration; if not, why (in words for people). */
export async function checkChatAction(db: Knex, input: ChatActionCheckInput): Promise<ChatActionCheck> {
  const group = await db('groups as g')
    .join('projects as p', 'p.id', 'g.project_id')
    .where('g.id', input.groupId)
    .first('p.organization_id');
  if (!group) return { ok: false, problem: 'group', reason: `group ${input.groupId} not found` };
  const organizationId = Number(group.organization_id);
  const installed = await db('organization_integrations as oi')
    .join('integrations as i', 'i.id', 'oi.integration_id')
    .where({ 'oi.integration_id': input.integrationId, 'oi.organization_id': organizationId })
    .where('oi.status', 'active')
    .where('i.status', 'active')
    .first('oi.id');
  if (!installed) {
    return {
      ok: false,
      problem: 'integration',
      reason: `this integration is not installed for the organization of group ${input.groupId}`,
    };
  }
  const member = await db('organization_members')
    .where({ organization_id: organizationId, user_id: input.userId })
    .first('user_id');
  if (!member) {
    return {
      ok: false,
      problem: 'membership',
      reason: `the linked user is not a member of the organization of group ${input.groupId}`,
    };
  }
  return { ok: true, organizationId };
}

export interface TeamsTargetInput {
  readonly integrationId: number;
  readonly groupId: number;
  /** The activity's tenant (`channelData.tenant.id`), when it has one. */
  readonly tenantId: string | null;
}

export type TeamsTargetCheck =
  | { readonly ok: true; readonly workspaceId: string }
  | { readonly ok: false; readonly problem: 'integration' | 'group'; readonly reason: string };

/**
 * The first checks of a Teams card action (Sentry §2.8 steps 2–4): the card's integration is an active Teams
 * integration of the activity's tenant, and the group exists in an organization that installed it. Returns the
 * identity provider's external id (the integration's team or tenant id). A missing identity provider is not an
 * error here: it is created by the first link, so until then nobody is linked and the run asks to link.
 */
export async function checkTeamsTarget(db: Knex, input: TeamsTargetInput): Promise<TeamsTargetCheck> {
  const integration = await db('integrations')
    .where({ id: input.integrationId, provider: 'msteams', status: 'active' })
    .first('external_id', 'metadata');
  if (!integration) {
    return { ok: false, problem: 'integration', reason: `Teams integration ${input.integrationId} is not active` };
  }
  const tenant = (integration.metadata as Record<string, unknown> | null)?.tenant_id;
  if (typeof tenant === 'string' && input.tenantId !== null && tenant !== input.tenantId) {
    return {
      ok: false,
      problem: 'integration',
      reason: `Teams integration ${input.integrationId} belongs to another tenant`,
    };
  }
  const installed = await db('groups as g')
    .join('projects as p', 'p.id', 'g.project_id')
    .join('organization_integrations as oi', 'oi.organization_id', 'p.organization_id')
    .where({ 'g.id': input.groupId, 'oi.integration_id': input.integrationId, 'oi.status': 'active' })
    .first('g.id');
  if (!installed) {
    return {
      ok: false,
      problem: 'group',
      reason: `group ${input.groupId} not found in an organization with this Teams integration`,
    };
  }
  return { ok: true, workspaceId: String(integration.external_id) };
}

/** Removes the chat user's link on this workspace (the `unlink` command); says whether there was one. */
export async function unlinkChatIdentity(db: Knex, input: ChatIdentityInput): Promise<{ wasLinked: boolean }> {
  const idp = await db('identity_providers')
    .where({ type: input.provider, external_id: input.workspaceId })
    .first('id');
  if (!idp) return { wasLinked: false };
  const deleted = await db('identities').where({ idp_id: idp.id, external_id: input.chatUserId }).delete();
  return { wasLinked: deleted > 0 };
}

/** The identity provider key of an active Teams integration (its team or tenant id), or null. */
export async function teamsWorkspace(db: Knex, integrationId: number): Promise<{ workspaceId: string } | null> {
  const row = await db('integrations')
    .where({ id: integrationId, provider: 'msteams', status: 'active' })
    .first('external_id');
  return row ? { workspaceId: String(row.external_id) } : null;
}
