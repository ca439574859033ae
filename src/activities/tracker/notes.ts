/** Notes (activity type 8) and unlinking, the tracker writes behind the comment and external-issue routes. */
import type { Knex } from 'knex';
import { ActivityType, LINKED_TYPE_EXTERNAL_ISSUE, SubscriptionReason } from '../../domain/model';

/**
 * Writes a note once per request id (a retried request finds the same note) and subscribes its author
 * (reason comment). Returns the note id, or null when the request id was already used for another group.
 */
export async function insertNote(
  db: Knex,
  input: { groupId: number; projectId: number; userId: number; text: string; requestId: string }
): Promise<number | null> {
  const key = `api:${input.requestId}:note`;
  await db.transaction(async (trx) => {
    await trx('activities')
      .insert({
        project_id: input.projectId,
        group_id: input.groupId,
        type: ActivityType.Note,
        user_id: input.userId,
        data: { text: input.text },
        idempotency_key: key,
        source: { provider: 'api', integration_id: null, delivery_key: input.requestId },
      })
      .onConflict('idempotency_key')
      .ignore();
    await trx('group_subscriptions')
      .insert({
        project_id: input.projectId,
        group_id: input.groupId,
        user_id: input.userId,
        is_active: true,
        reason: SubscriptionReason.Comment,
      })
      .onConflict(['group_id', 'user_id'])
      .ignore();
  });
  const note = await db('activities').where('idempotency_key', key).first('id', 'group_id');
  return Number(note.group_id) === input.groupId ? Number(note.id) : null;
}

/** New text for a note; its version counts edits (edit syncs are keyed by it). Null when no such note. */
export async function editNote(
  db: Knex,
  input: { groupId: number; noteId: number; text: string }
): Promise<number | null> {
  const [note] = await db('activities')
    .where({ id: input.noteId, group_id: input.groupId, type: ActivityType.Note })
    .update({
      data: db.raw(`data || jsonb_build_object('text', ?::text, 'version', coalesce((data->>'version')::int, 1) + 1)`, [
        input.text,
      ]),
    })
    .returning(['data']);
  return note ? Number((note.data as { version?: number }).version) : null;
}

/**
 * Removes a group's link (and its create claim on that site); the external issue goes too once nothing links it.
 * Returns whether a link existed.
 */
export async function unlinkExternalIssue(db: Knex, groupId: number, externalIssueId: number): Promise<boolean> {
  return db.transaction(async (trx) => {
    const where = { linked_type: LINKED_TYPE_EXTERNAL_ISSUE, linked_id: externalIssueId };
    const removed = await trx('group_links')
      .where({ ...where, group_id: groupId })
      .delete();
    const issue = await trx('external_issues').where('id', externalIssueId).first('integration_id');
    // The group may get a new issue on that site again (the one-issue-per-site claim goes with the link).
    if (removed > 0 && issue)
      await trx('jira_issue_claims').where({ group_id: groupId, integration_id: issue.integration_id }).delete();
    if (removed > 0 && !(await trx('group_links').where(where).first('id'))) {
      await trx('external_issues').where('id', externalIssueId).delete();
    }
    return removed > 0;
  });
}
