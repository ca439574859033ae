/**
 * Who a group can be assigned to, as chat offers it (the Discord assignee dialog, the Teams card's choice set):
 * the project's teams, and active organization members who reach the project through a team (Sentry's rule,
 * reference §1). Read-only; bounded.
 */
import type { Knex } from 'knex';

export interface Assignable {
  readonly teams: ReadonlyArray<{ readonly id: number; readonly slug: string }>;
  readonly members: ReadonlyArray<{ readonly id: number; readonly name: string }>;
}

/** The group's project and organization, as loadGroupView gives them. */
export interface AssignableScope {
  readonly projectId: number;
  readonly organizationId: number;
}

/** Reads at most `limit` teams and `limit` members (chat shows fewer anyway). */
export async function loadAssignable(db: Knex, scope: AssignableScope, limit = 1_000): Promise<Assignable> {
  const teams = await db('project_teams as pt')
    .join('teams as t', 't.id', 'pt.team_id')
    .where({ 'pt.project_id': scope.projectId, 't.organization_id': scope.organizationId })
    .distinct('t.id', 't.slug')
    .orderBy('t.slug')
    .limit(limit);
  const members = await db('users as u')
    .join('organization_members as om', 'om.user_id', 'u.id')
    .where({ 'om.organization_id': scope.organizationId, 'u.is_active': true })
    .whereRaw(
      'exists (select 1 from team_members tm join project_teams pt on pt.team_id = tm.team_id ' +
        'where tm.user_id = u.id and pt.project_id = ?)',
      [scope.projectId]
    )
    .orderBy([{ column: 'u.name' }, { column: 'u.id' }])
    .limit(limit)
    .select('u.id', 'u.name', 'u.username');
  return {
    teams: teams.map((t: { id: string | number; slug: string }) => ({ id: Number(t.id), slug: String(t.slug) })),
    members: members.map((m: { id: string | number; name: string; username: string }) => ({
      id: Number(m.id),
      name: String(m.name || m.username),
    })),
  };
}
