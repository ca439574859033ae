/**
 * Mirrors a tracker note as a Jira comment on one linked issue, at most once. The comment carries an
 * `issue-sync` entity property `{ noteKey }`, so a retry after a crash between Jira's answer and our record of it
 * finds ("adopts") the comment instead of posting a second one.
 */
import type { Knex } from 'knex';
import type { PushResult } from '../../domain/model';
import { ActivityType } from '../../domain/model';
import { HttpError } from '../../http';
import { toFailure } from '../failures';
import type { IssueRef, PushDeps } from './push-support';
import { APPLIED, callJira, loadIssueRef, PROPERTY_KEY, skip } from './push-support';
import type { JiraClient } from './types';
import { jiraWikiQuote } from './wiki';

export interface SyncCommentInput {
  readonly noteId: number;
  readonly externalIssueId: number;
}

export interface CommentSyncResult extends PushResult {
  readonly commentId: string | null;
  readonly action: 'created' | 'updated' | 'adopted' | 'none';
}

/** Creates or updates the Jira comment of one note on one issue; never posts the same note twice. */
export async function syncComment({ db, connect }: PushDeps, input: SyncCommentInput): Promise<CommentSyncResult> {
  const ref = await loadIssueRef(db, input.externalIssueId);
  const body = await noteBody(db, input.noteId);
  if (!ref || body === null) return { ...skip('the note or the link was removed'), commentId: null, action: 'none' };
  const { client } = await connect(ref.integrationId);
  const known = await db('external_comments')
    .where({ activity_id: input.noteId, external_issue_id: ref.id })
    .first('comment_id');
  if (known) {
    const commentId = String(known.comment_id);
    if (await updateUnlessDeleted(client, ref.key, commentId, body))
      return { ...APPLIED, commentId, action: 'updated' };
  }
  return adoptOrCreate(client, ref, input.noteId, body);
}

/** The comment body for a note (activity type 8), or null when the note is gone. */
async function noteBody(db: Knex, noteId: number): Promise<string | null> {
  const note = await db('activities as a')
    .leftJoin('users as u', 'u.id', 'a.user_id')
    .where({ 'a.id': noteId, 'a.type': ActivityType.Note })
    .first('a.data', 'u.name', 'u.username');
  if (!note) return null;
  const author = String(note.name || note.username || 'Someone');
  const text = (note.data as { text?: unknown }).text;
  return jiraWikiQuote(author, typeof text === 'string' ? text : '');
}

/** Updates a comment we know; false when it was deleted in Jira (404), so the caller posts it again. */
async function updateUnlessDeleted(client: JiraClient, key: string, commentId: string, body: string): Promise<boolean> {
  try {
    await client.updateComment(key, commentId, body);
    return true;
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return false;
    throw toFailure(err);
  }
}

/** Finds the note's comment by its property (posted before a crash) and brings it up to date, or posts it. */
async function adoptOrCreate(
  client: JiraClient,
  ref: IssueRef,
  noteId: number,
  body: string
): Promise<CommentSyncResult> {
  const noteKey = `note-${noteId}-ei-${ref.id}`;
  const comments = await callJira(() => client.listComments(ref.key, { expandProperties: true }));
  const mine = comments.find((c) =>
    c.properties?.some((p) => p.key === PROPERTY_KEY && (p.value as { noteKey?: unknown })?.noteKey === noteKey)
  );
  if (mine) {
    if (mine.body !== body) await callJira(() => client.updateComment(ref.key, mine.id, body));
    return { ...APPLIED, commentId: mine.id, action: 'adopted' };
  }
  const created = await callJira(() => client.addComment(ref.key, body, [{ key: PROPERTY_KEY, value: { noteKey } }]));
  return { ...APPLIED, commentId: created.id, action: 'created' };
}
