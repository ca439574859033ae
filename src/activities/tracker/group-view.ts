/** The group as people see it (API answers, chat alerts and cards): status, short id, assignee name. */
import type { Knex } from 'knex';
import { qualifiedShortId } from '../../domain/rules';

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
