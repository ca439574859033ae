/** Finding the tracker user for an inbound assignee, per group (the user-matching rule in domain/rules.ts). */
import type { Knex } from 'knex';
import { EMAIL_HASH_SQL } from '../../db';
import type { CandidateUser } from '../../domain/rules';
import type { LockedGroup } from './rows';

/** Users whose verified email hashes to `emailSha256`, with the facts the matching rule needs for this group. */
export async function candidatesByEmail(db: Knex, emailSha256: string, group: LockedGroup): Promise<CandidateUser[]> {
  const ids = await db('user_emails')
    .where('is_verified', true)
    .whereRaw(`${EMAIL_HASH_SQL} = ?`, [emailSha256])
    .distinct('user_id');
  return candidatesFor(
    db,
    ids.map((r: { user_id: string | number }) => Number(r.user_id)),
    group
  );
}

/** The user an operator or an earlier email match linked to this Jira accountId in the group's org. */
export async function candidatesByActor(db: Knex, accountId: string, group: LockedGroup): Promise<CandidateUser[]> {
  const ids = await db('external_actors')
    .where({ external_id: accountId, organization_id: group.organizationId })
    .whereNotNull('user_id')
    .distinct('user_id');
  return candidatesFor(
    db,
    ids.map((r: { user_id: string | number }) => Number(r.user_id)),
    group
  );
}

/** The facts of the matching rule for the given users and group. */
export async function candidatesFor(
  db: Knex,
  userIds: readonly number[],
  group: LockedGroup
): Promise<CandidateUser[]> {
  if (userIds.length === 0) return [];
  const rows = await db('users as u')
    .whereIn('u.id', userIds)
    .select(
      'u.id',
      'u.is_active',
      db.raw(
        'exists (select 1 from organization_members om where om.user_id = u.id and om.organization_id = ?) as is_member',
        [group.organizationId]
      ),
      db.raw(
        `exists (select 1 from team_members tm join project_teams pt on pt.team_id = tm.team_id
                 join teams t on t.id = tm.team_id
                 where tm.user_id = u.id and pt.project_id = ? and t.organization_id = ?) as reaches`,
        [group.projectId, group.organizationId]
      )
    );
  return rows.map((r: { id: string | number; is_active: boolean; is_member: boolean; reaches: boolean }) => ({
    userId: Number(r.id),
    isActive: r.is_active,
    isOrgMember: r.is_member,
    reachesProject: r.reaches,
  }));
}
