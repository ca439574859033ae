/**
 * Tracker-side bookkeeping for outbound syncs: which linked Jira issues a change goes to (echo prevention,
 * fail-closed), notes and their Jira comments, and linking created/linked Jira issues to groups.
 */
import type { Knex } from 'knex';
import { ApplicationFailure } from '@temporalio/common';
import type { ChangeSource, Provider } from '../../domain/model';
import { ActivityType, LINKED_TYPE_EXTERNAL_ISSUE, PROVIDERS, RELATIONSHIP_REFERENCES } from '../../domain/model';

export type OutboundKind = 'assignee' | 'status' | 'comment';

const FLAG: Record<OutboundKind, string> = {
  assignee: 'sync_forward_assignment',
  status: 'sync_status_forward',
  comment: 'sync_comments',
};

export interface OutboundTarget {
  readonly kind: OutboundKind;
  readonly externalIssueId: number;
  readonly integrationId: number;
  readonly key: string;
}

export interface OutboundPlan {
  readonly targets: OutboundTarget[];
  readonly skipped: string[];
}

/** A source we can attribute. Anything else is refused: an unknown origin might be an echo (fail-closed). */
export function knownSource(source: ChangeSource | null | undefined): source is ChangeSource {
  if (!source || typeof source.key !== 'string' || source.key === '') return false;
  if (source.provider === 'api') return true;
  return isProvider(source.provider) && typeof source.integrationId === 'number';
}

/** Checked at run time: a source arrives from workflow input, whose JSON may predate today's types. */
function isProvider(value: unknown): value is Provider {
  return (PROVIDERS as readonly unknown[]).includes(value);
}

/**
 * Linked Jira issues of a group (linked_type 3) in orgs whose active organization_integration has the flag for
 * `kind`, except the integration the change came from; optionally just one of them (a newly created issue).
 */
export async function planOutbound(
  db: Knex,
  input: { groupId: number; kinds: readonly OutboundKind[]; source: ChangeSource | null; onlyExternalIssueId?: number }
): Promise<OutboundPlan> {
  if (!knownSource(input.source))
    return { targets: [], skipped: ['unknown change source: nothing pushed (fail-closed)'] };
  const source = input.source;
  const rows = await db('group_links as gl')
    .join('groups as g', 'g.id', 'gl.group_id')
    .join('projects as p', 'p.id', 'g.project_id')
    .join('external_issues as ei', function () {
      this.on('ei.id', 'gl.linked_id').andOn('ei.organization_id', 'p.organization_id');
    })
    .join('integrations as i', 'i.id', 'ei.integration_id')
    .join('organizations as o', 'o.id', 'ei.organization_id')
    .leftJoin('organization_integrations as oi', function () {
      this.on('oi.organization_id', 'ei.organization_id').andOn('oi.integration_id', 'ei.integration_id');
    })
    .where({ 'gl.group_id': input.groupId, 'gl.linked_type': LINKED_TYPE_EXTERNAL_ISSUE, 'i.provider': 'jira' })
    .modify((q) => {
      if (input.onlyExternalIssueId != null) q.where('ei.id', input.onlyExternalIssueId);
    })
    .orderBy('ei.id')
    .select(
      'ei.id',
      'ei.key',
      'ei.integration_id',
      'i.status as integration_status',
      'oi.status',
      'oi.config',
      'o.slug'
    );
  const plan: OutboundPlan = { targets: [], skipped: [] };
  for (const kind of input.kinds) {
    for (const r of rows) {
      const integrationId = Number(r.integration_id);
      const config = (r.config ?? {}) as Record<string, unknown>;
      if (integrationId === source.integrationId) {
        plan.skipped.push(`${kind} not pushed back to ${String(r.key)}: the change came from that Jira site`);
      } else if (r.status !== 'active' || r.integration_status !== 'active') {
        plan.skipped.push(`${kind} not pushed to ${String(r.key)}: integration inactive for org ${String(r.slug)}`);
      } else if (config[FLAG[kind]] !== true) {
        plan.skipped.push(`${kind} sync disabled for org ${String(r.slug)}`);
      } else {
        plan.targets.push({ kind, externalIssueId: Number(r.id), integrationId, key: String(r.key) });
      }
    }
  }
  return plan;
}

/** Remembers the Jira comment a note became on one external issue; the note's data.external_id follows it. */
export async function recordExternalComment(
  db: Knex,
  input: { noteId: number; externalIssueId: number; commentId: string }
): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('external_comments')
      .insert({ activity_id: input.noteId, external_issue_id: input.externalIssueId, comment_id: input.commentId })
      .onConflict(['activity_id', 'external_issue_id'])
      .merge({ comment_id: input.commentId, updated_at: trx.fn.now() });
    await trx.raw(`update activities set data = data || jsonb_build_object('external_id', ?::text) where id = ?`, [
      input.commentId,
      input.noteId,
    ]);
  });
}

export interface LinkInput {
  readonly groupId: number;
  readonly integrationId: number;
  readonly key: string;
  readonly externalId: string;
  readonly title: string;
  readonly description: string | null;
  readonly url: string;
  readonly created: boolean;
  readonly userId: number | null;
  readonly requestId: string;
}

/**
 * Links a Jira issue to a group: external_issues (keyed by org, integration, key; Jira's numeric id kept),
 * group_links, and activity 7 — each once, so a retry after a crash adds nothing.
 */
export async function linkExternalIssue(db: Knex, input: LinkInput): Promise<{ externalIssueId: number }> {
  return db.transaction(async (trx) => {
    const group = await trx('groups as g')
      .join('projects as p', 'p.id', 'g.project_id')
      .where('g.id', input.groupId)
      .first('g.id', 'g.project_id', 'p.organization_id');
    if (!group) throw ApplicationFailure.nonRetryable(`group ${input.groupId} not found`, 'NotFound');
    const values = {
      organization_id: group.organization_id,
      integration_id: input.integrationId,
      key: input.key,
      external_id: input.externalId,
      title: input.title,
      description: input.description,
    };
    const [issue] = await trx('external_issues')
      .insert(values)
      .onConflict(['organization_id', 'integration_id', 'key'])
      .merge({ external_id: input.externalId, title: input.title, description: input.description })
      .returning('id');
    const externalIssueId = Number(issue.id);
    await trx('group_links')
      .insert({
        group_id: input.groupId,
        project_id: group.project_id,
        linked_type: LINKED_TYPE_EXTERNAL_ISSUE,
        linked_id: externalIssueId,
        relationship: RELATIONSHIP_REFERENCES,
      })
      .onConflict(['group_id', 'linked_type', 'linked_id'])
      .ignore();
    await trx('activities')
      .insert({
        project_id: group.project_id,
        group_id: input.groupId,
        type: ActivityType.CreateIssue,
        user_id: input.userId,
        data: { title: input.title, provider: 'jira', location: input.url, label: input.key, new: input.created },
        idempotency_key: `api:${input.requestId}:create_issue:${input.groupId}`,
        source: { provider: 'api', integration_id: null, delivery_key: input.requestId },
      })
      .onConflict('idempotency_key')
      .ignore();
    return { externalIssueId };
  });
}
