/**
 * Tracker → Jira activities. Each reads the current state from Postgres when it runs (so a late or
 * reordered run pushes what is true now, not what was true when it was scheduled), checks Jira before
 * writing (already at the target → no write, no echo webhook), and is safe to retry after a crash:
 * comments and created issues carry an `issue-sync` entity property that is looked up before posting.
 */
import type { Knex } from 'knex';
import { ApplicationFailure } from '@temporalio/common';
import { HttpError } from '../../http';
import { toFailure } from '../failures';
import type { JiraClient } from './client';
import { createJiraClient, jiraFieldErrors, jiraWikiQuote } from './client';
import type { JiraSiteRecord } from './site';
import { loadJiraSite } from './site';

export const PROPERTY_KEY = 'issue-sync';

export interface PushResult {
  readonly outcome: 'applied' | 'skipped';
  readonly reason: string | null;
}

const skip = (reason: string): PushResult => ({ outcome: 'skipped', reason });
const APPLIED: PushResult = { outcome: 'applied', reason: null };

interface IssueRef {
  readonly id: number;
  readonly key: string;
  readonly integrationId: number;
  readonly organizationId: number;
  readonly orgSlug: string;
}

async function issueRef(db: Knex, externalIssueId: number): Promise<IssueRef | null> {
  const r = await db('external_issues as ei')
    .join('organizations as o', 'o.id', 'ei.organization_id')
    .where('ei.id', externalIssueId)
    .first('ei.id', 'ei.key', 'ei.integration_id', 'ei.organization_id', 'o.slug');
  return r
    ? {
        id: Number(r.id),
        key: String(r.key),
        integrationId: Number(r.integration_id),
        organizationId: Number(r.organization_id),
        orgSlug: String(r.slug),
      }
    : null;
}

/** Runs a Jira call, mapping HTTP failures to the shared retry semantics. */
async function jira<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toFailure(err);
  }
}

export interface JiraOutboundDeps {
  readonly db: Knex;
  readonly timeoutMs: number;
}

export function createJiraOutboundActivities({ db, timeoutMs }: JiraOutboundDeps) {
  const connect = async (integrationId: number): Promise<{ site: JiraSiteRecord; client: JiraClient }> => {
    const site = await loadJiraSite(db, integrationId);
    return { site, client: createJiraClient(site, { timeoutMs }) };
  };

  /** The accountId for a tracker user: a known external_actors link, else a verified email Jira can assign. */
  async function findAccount(
    ref: IssueRef,
    site: JiraSiteRecord,
    client: JiraClient,
    userId: number
  ): Promise<string | null> {
    const actor = await db('external_actors')
      .where({ organization_id: ref.organizationId, integration_id: ref.integrationId, user_id: userId })
      .first('external_id');
    if (actor) return String(actor.external_id);
    const emails = await db('user_emails').where({ user_id: userId, is_verified: true }).orderBy('id').pluck('email');
    for (const email of emails as string[]) {
      const wanted = email.trim().toLowerCase();
      let users;
      try {
        users = await client.findAssignableUsers(ref.key, email);
      } catch (err) {
        if (err instanceof HttpError && err.status >= 400 && err.status < 500 && err.status !== 429) continue;
        throw toFailure(err);
      }
      for (const u of users) {
        const seen = u.emailAddress ?? (site.emailScope ? await jira(() => client.getUserEmail(u.accountId)) : null);
        if (seen && seen.trim().toLowerCase() === wanted) {
          await db('external_actors')
            .insert({
              organization_id: ref.organizationId,
              integration_id: ref.integrationId,
              user_id: userId,
              external_id: u.accountId,
            })
            .onConflict(['integration_id', 'organization_id', 'external_id'])
            .ignore();
          return u.accountId;
        }
      }
    }
    return null;
  }

  return {
    /** Pushes the group's current assignee to one linked Jira issue. Team assignments are never pushed. */
    async jiraPushAssignee(input: {
      groupId: number;
      externalIssueId: number;
      previousAssigneeType?: 'user' | 'team';
      /** `initial`: a newly created or linked issue; an unassigned group then leaves Jira's assignee alone. */
      mode?: 'change' | 'initial';
    }): Promise<PushResult> {
      const ref = await issueRef(db, input.externalIssueId);
      if (!ref) return skip('the link to Jira was removed');
      const row = await db('group_assignees').where('group_id', input.groupId).first('user_id', 'team_id');
      if (row?.team_id != null) return skip('team assignments are not pushed to Jira');
      if (!row && input.mode === 'initial') return skip('the group has no assignee');
      if (!row && input.previousAssigneeType === 'team')
        return skip('the removed assignee was a team; Jira keeps its assignee');
      const { site, client } = await connect(ref.integrationId);
      const accountId = row ? await findAccount(ref, site, client, Number(row.user_id)) : null;
      if (row && !accountId) return skip(`no Jira user on ${ref.key} matches the assignee's verified emails`);
      const issue = await jira(() => client.getIssue(ref.key));
      if ((issue.fields.assignee?.accountId ?? null) === accountId) return skip('Jira already has this assignee');
      await jira(() => client.setAssignee(ref.key, accountId));
      return APPLIED;
    },

    /** Moves one linked Jira issue to the status mapped for the group's status, through a fresh transition list. */
    async jiraPushStatus(input: { groupId: number; externalIssueId: number }): Promise<PushResult> {
      const ref = await issueRef(db, input.externalIssueId);
      if (!ref) return skip('the link to Jira was removed');
      const group = await db('groups').where('id', input.groupId).first('status');
      const status = Number(group?.status);
      if (status !== 0 && status !== 1) return skip('only resolved and unresolved are pushed to Jira');
      const { client } = await connect(ref.integrationId);
      const issue = await jira(() => client.getIssue(ref.key));
      const mapping = await db('external_projects as ep')
        .join('organization_integrations as oi', 'oi.id', 'ep.organization_integration_id')
        .where({
          'oi.organization_id': ref.organizationId,
          'oi.integration_id': ref.integrationId,
          'ep.external_id': issue.fields.project.id,
        })
        .first('ep.resolved_status', 'ep.unresolved_status');
      if (!mapping)
        return skip(`Jira project ${issue.fields.project.key} has no status mapping for org ${ref.orgSlug}`);
      const target = String(status === 1 ? mapping.resolved_status : mapping.unresolved_status);
      if (issue.fields.status.id === target) return skip(`${ref.key} is already in the mapped status`);
      const transitions = await jira(() => client.getTransitions(ref.key));
      const transition = transitions.find((t) => t.to.id === target);
      if (!transition)
        return skip(`no transition from "${issue.fields.status.name}" to status ${target} on ${ref.key}`);
      await jira(() => client.transitionIssue(ref.key, transition.id));
      return APPLIED;
    },

    /** Creates or updates the Jira comment of one note on one issue; never posts the same note twice. */
    async jiraSyncComment(input: {
      noteId: number;
      externalIssueId: number;
    }): Promise<PushResult & { commentId: string | null; action: 'created' | 'updated' | 'adopted' | 'none' }> {
      const ref = await issueRef(db, input.externalIssueId);
      const note = await db('activities as a')
        .leftJoin('users as u', 'u.id', 'a.user_id')
        .where({ 'a.id': input.noteId, 'a.type': 8 })
        .first('a.data', 'u.name', 'u.username');
      if (!ref || !note) return { ...skip('the note or the link was removed'), commentId: null, action: 'none' };
      const author = String(note.name || note.username || 'Someone');
      const text = (note.data as { text?: unknown }).text;
      const body = jiraWikiQuote(author, typeof text === 'string' ? text : '');
      const { client } = await connect(ref.integrationId);
      const known = await db('external_comments')
        .where({ activity_id: input.noteId, external_issue_id: ref.id })
        .first('comment_id');
      if (known) {
        try {
          await client.updateComment(ref.key, String(known.comment_id), body);
          return { ...APPLIED, commentId: String(known.comment_id), action: 'updated' };
        } catch (err) {
          if (!(err instanceof HttpError && err.status === 404)) throw toFailure(err); // deleted in Jira: post again
        }
      }
      const noteKey = `note-${input.noteId}-ei-${ref.id}`;
      const comments = await jira(() => client.listComments(ref.key, { expandProperties: true }));
      const mine = comments.find((c) =>
        c.properties?.some((p) => p.key === PROPERTY_KEY && (p.value as { noteKey?: unknown })?.noteKey === noteKey)
      );
      if (mine) {
        if (mine.body !== body) await jira(() => client.updateComment(ref.key, mine.id, body));
        return { ...APPLIED, commentId: mine.id, action: 'adopted' };
      }
      const created = await jira(() => client.addComment(ref.key, body, [{ key: PROPERTY_KEY, value: { noteKey } }]));
      return { ...APPLIED, commentId: created.id, action: 'created' };
    },

    /** Creates a Jira issue once per request id (found again by its property after a crash). 400 → field errors. */
    async jiraCreateIssue(input: {
      requestId: string;
      integrationId: number;
      fields: Record<string, unknown>;
    }): Promise<{ id: string; key: string; url: string; reused: boolean }> {
      if (!/^[A-Za-z0-9._:-]{1,100}$/.test(input.requestId)) {
        throw ApplicationFailure.nonRetryable('request id not usable in JQL', 'BadRequest');
      }
      const { site, client } = await connect(input.integrationId);
      const found = await jira(() =>
        client.searchIssues(`issue.property[${PROPERTY_KEY}].requestId = "${input.requestId}"`, { fields: ['summary'] })
      );
      if (found[0])
        return { id: found[0].id, key: found[0].key, url: `${site.baseUrl}/browse/${found[0].key}`, reused: true };
      try {
        const created = await client.createIssue(input.fields, [
          { key: PROPERTY_KEY, value: { requestId: input.requestId } },
        ]);
        return { id: created.id, key: created.key, url: `${site.baseUrl}/browse/${created.key}`, reused: false };
      } catch (err) {
        const fe = jiraFieldErrors(err);
        if (fe) {
          const names = Object.keys(fe.fieldErrors);
          throw ApplicationFailure.create({
            type: 'JiraFieldErrors',
            nonRetryable: true,
            message: `Jira rejected the issue${names.length ? `: ${names.join(', ')}` : ''}`,
            details: [fe],
          });
        }
        throw toFailure(err);
      }
    },

    /** Reads an existing issue to link it (404 → NotFound, not retried). */
    async jiraGetIssueForLink(input: {
      integrationId: number;
      key: string;
    }): Promise<{ id: string; key: string; title: string; description: string | null; url: string }> {
      const { site, client } = await connect(input.integrationId);
      const issue = await jira(() => client.getIssue(input.key));
      return {
        id: issue.id,
        key: issue.key,
        title: issue.fields.summary,
        description: typeof issue.fields.description === 'string' ? issue.fields.description : null,
        url: `${site.baseUrl}/browse/${issue.key}`,
      };
    },
  };
}

export type JiraOutboundActivities = ReturnType<typeof createJiraOutboundActivities>;
