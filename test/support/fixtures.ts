/** Seeding helpers for integration tests: small, composable inserts over the SPEC §2 tables. */
import type { Knex } from 'knex';

type Id = number;
const idOf = (rows: Array<{ id: string | number }>): Id => Number(rows[0]!.id);

export async function insertOrg(db: Knex, slug: string): Promise<Id> {
  return idOf(await db('organizations').insert({ slug, name: slug }).returning('id'));
}
export async function insertProject(db: Knex, orgId: Id, slug: string, hasReleases = false): Promise<Id> {
  return idOf(
    await db('projects').insert({ organization_id: orgId, slug, name: slug, has_releases: hasReleases }).returning('id')
  );
}
export async function insertTeam(db: Knex, orgId: Id, slug: string, projectIds: Id[] = []): Promise<Id> {
  const teamId = idOf(await db('teams').insert({ organization_id: orgId, slug, name: slug }).returning('id'));
  for (const projectId of projectIds) await db('project_teams').insert({ project_id: projectId, team_id: teamId });
  return teamId;
}
export async function insertUser(
  db: Knex,
  o: { username: string; name: string; emails?: Array<{ email: string; verified?: boolean }>; active?: boolean }
): Promise<Id> {
  const userId = idOf(
    await db('users')
      .insert({ username: o.username, name: o.name, is_active: o.active ?? true })
      .returning('id')
  );
  for (const e of o.emails ?? [])
    await db('user_emails').insert({ user_id: userId, email: e.email, is_verified: e.verified ?? true });
  return userId;
}
export async function addMember(db: Knex, orgId: Id, userId: Id, teamIds: Id[] = []): Promise<void> {
  await db('organization_members').insert({ organization_id: orgId, user_id: userId, role: 'member' });
  for (const teamId of teamIds) await db('team_members').insert({ team_id: teamId, user_id: userId });
}
export async function insertGroup(
  db: Knex,
  projectId: Id,
  o: { shortId?: number; title?: string; status?: number } = {}
): Promise<Id> {
  return idOf(
    await db('groups')
      .insert({
        project_id: projectId,
        short_id: o.shortId ?? 1,
        title: o.title ?? 'TypeError: x is undefined',
        status: o.status ?? 0,
      })
      .returning('id')
  );
}
export async function insertJiraIntegration(
  db: Knex,
  o: { clientKey: string; sharedSecret: string; baseUrl: string; emailScope?: boolean }
): Promise<Id> {
  return idOf(
    await db('integrations')
      .insert({
        provider: 'jira',
        external_id: o.clientKey,
        name: 'Jira',
        metadata: { shared_secret: o.sharedSecret, base_url: o.baseUrl, email_scope: o.emailScope ?? false },
      })
      .returning('id')
  );
}
export const ALL_JIRA_SYNC = {
  sync_comments: true,
  sync_forward_assignment: true,
  sync_reverse_assignment: true,
  sync_status_forward: true,
  sync_status_reverse: true,
  resolution_strategy: 'resolve',
};
export async function installIntegration(
  db: Knex,
  orgId: Id,
  integrationId: Id,
  config: Record<string, unknown> = {}
): Promise<Id> {
  return idOf(
    await db('organization_integrations')
      .insert({ organization_id: orgId, integration_id: integrationId, config })
      .returning('id')
  );
}
export async function linkExternalIssue(
  db: Knex,
  o: { groupId: Id; orgId: Id; integrationId: Id; key: string; externalId?: string | null }
): Promise<Id> {
  const group = await db('groups').where('id', o.groupId).first('project_id');
  const existing = await db('external_issues')
    .where({ organization_id: o.orgId, integration_id: o.integrationId, key: o.key })
    .first('id');
  const issueId = existing
    ? Number(existing.id)
    : idOf(
        await db('external_issues')
          .insert({
            organization_id: o.orgId,
            integration_id: o.integrationId,
            key: o.key,
            external_id: o.externalId ?? null,
            title: o.key,
          })
          .returning('id')
      );
  await db('group_links').insert({
    group_id: o.groupId,
    project_id: group.project_id,
    linked_type: 3,
    linked_id: issueId,
    relationship: 2,
  });
  return issueId;
}
export async function insertDiscordIntegration(
  db: Knex,
  o: { guildId: string; applicationId: string; botToken: string; publicKeyHex?: string }
): Promise<Id> {
  return idOf(
    await db('integrations')
      .insert({
        provider: 'discord',
        external_id: o.guildId,
        name: 'Discord',
        metadata: {
          application_id: o.applicationId,
          public_key_hex: o.publicKeyHex ?? '00'.repeat(32),
          bot_token: o.botToken,
        },
      })
      .returning('id')
  );
}
export async function insertChatMessage(
  db: Knex,
  o: { groupId: Id; integrationId: Id; channelId: string; messageId: string; provider?: 'discord' | 'msteams' }
): Promise<Id> {
  return idOf(
    await db('chat_messages')
      .insert({
        group_id: o.groupId,
        integration_id: o.integrationId,
        provider: o.provider ?? 'discord',
        channel_id: o.channelId,
        message_id: o.messageId,
      })
      .returning('id')
  );
}
export async function insertRelease(
  db: Knex,
  orgId: Id,
  projectId: Id,
  version: string,
  dateReleased: Date | null = null
): Promise<Id> {
  return idOf(
    await db('releases')
      .insert({ organization_id: orgId, project_id: projectId, version, date_released: dateReleased })
      .returning('id')
  );
}
export async function insertIdentityProvider(db: Knex, type: 'discord' | 'msteams', externalId: string): Promise<Id> {
  return idOf(await db('identity_providers').insert({ type, external_id: externalId }).returning('id'));
}
export async function insertIdentity(
  db: Knex,
  o: { idpId: Id; userId: Id; externalId: string; status?: number }
): Promise<Id> {
  return idOf(
    await db('identities')
      .insert({ idp_id: o.idpId, user_id: o.userId, external_id: o.externalId, status: o.status ?? 1 })
      .returning('id')
  );
}
