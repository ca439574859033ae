/** Chat messages that show a group (so changes can refresh them), the group state they render, and sent-message records. */
import type { Knex } from 'knex';
import { qualifiedShortId } from '../../domain/rules';

export interface ChatMessageRef {
  readonly id: number;
  readonly groupId: number;
  readonly integrationId: number;
  readonly provider: 'discord' | 'msteams';
  readonly channelId: string;
  readonly messageId: string;
  readonly serviceUrl: string | null;
  readonly conversationId: string | null;
}

function toRef(r: Record<string, unknown>): ChatMessageRef {
  return {
    id: Number(r.id),
    groupId: Number(r.group_id),
    integrationId: Number(r.integration_id),
    provider: r.provider as 'discord' | 'msteams',
    channelId: String(r.channel_id),
    messageId: String(r.message_id),
    serviceUrl: (r.service_url as string | null) ?? null,
    conversationId: (r.conversation_id as string | null) ?? null,
  };
}

export async function listChatMessages(db: Knex, groupIds: readonly number[]): Promise<ChatMessageRef[]> {
  if (groupIds.length === 0) return [];
  const rows = await db('chat_messages').whereIn('group_id', groupIds).orderBy('id');
  return rows.map(toRef);
}

export async function getChatMessage(db: Knex, id: number): Promise<ChatMessageRef | null> {
  const row = await db('chat_messages').where('id', id).first();
  return row ? toRef(row as Record<string, unknown>) : null;
}

export interface GroupView {
  readonly id: number;
  readonly shortId: string;
  readonly title: string;
  readonly status: 0 | 1 | 2;
  readonly substatus: number | null;
  readonly hasReleases: boolean;
  readonly projectId: number;
  readonly organizationId: number;
  readonly assignee: { type: 'user' | 'team'; id: number; name: string } | null;
}

/** The group as people see it: status, short id and current assignee (name, never email). */
export async function loadGroupView(db: Knex, groupId: number): Promise<GroupView | null> {
  const r = await db('groups as g')
    .join('projects as p', 'p.id', 'g.project_id')
    .leftJoin('group_assignees as ga', 'ga.group_id', 'g.id')
    .leftJoin('users as u', 'u.id', 'ga.user_id')
    .leftJoin('teams as t', 't.id', 'ga.team_id')
    .where('g.id', groupId)
    .first(
      'g.id',
      'g.short_id',
      'g.title',
      'g.status',
      'g.substatus',
      'g.project_id',
      'p.organization_id',
      'p.slug as project_slug',
      'p.has_releases',
      'ga.user_id',
      'ga.team_id',
      'u.name as user_name',
      'u.username',
      't.slug as team_slug'
    );
  if (!r) return null;
  const assignee =
    r.user_id != null
      ? { type: 'user' as const, id: Number(r.user_id), name: String(r.user_name || r.username) }
      : r.team_id != null
        ? { type: 'team' as const, id: Number(r.team_id), name: `#${String(r.team_slug)}` }
        : null;
  return {
    id: Number(r.id),
    shortId: qualifiedShortId(String(r.project_slug), r.short_id == null ? null : Number(r.short_id)),
    title: String(r.title),
    status: Number(r.status) as 0 | 1 | 2,
    substatus: r.substatus == null ? null : Number(r.substatus),
    hasReleases: r.has_releases === true,
    projectId: Number(r.project_id),
    organizationId: Number(r.organization_id),
    assignee,
  };
}

/** Check-then-act for chat posts: the message this idempotency key already produced, if any. */
export async function findOutbound(db: Knex, key: string): Promise<string | null> {
  const row = await db('outbound_messages').where('idempotency_key', key).first('message_id');
  return row ? String(row.message_id) : null;
}

export async function recordOutbound(
  db: Knex,
  rec: { key: string; provider: string; channelId: string; messageId: string }
): Promise<void> {
  await db('outbound_messages')
    .insert({ idempotency_key: rec.key, provider: rec.provider, channel_id: rec.channelId, message_id: rec.messageId })
    .onConflict('idempotency_key')
    .ignore();
}
