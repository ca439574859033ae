/**
 * Creating a Jira issue for a group, and reading an existing one to link it. A create carries an `issue-sync`
 * entity property `{ requestId }` and is looked up by it first, so a retry after a crash reuses the issue (within
 * the limits of Jira's eventually consistent search: see JiraClient.searchIssues).
 */
import { ApplicationFailure } from '@temporalio/common';
import { toFailure } from '../failures';
import { jiraFieldErrors } from './errors';
import type { PushDeps } from './push-support';
import { callJira, PROPERTY_KEY } from './push-support';

type ConnectDeps = Pick<PushDeps, 'connect'>;

export interface CreateIssueInput {
  readonly requestId: string;
  readonly integrationId: number;
  readonly fields: Record<string, unknown>;
}

export interface CreatedIssue {
  readonly id: string;
  readonly key: string;
  readonly url: string;
  readonly reused: boolean;
}

/** Only these request ids go into JQL: no quoting or escaping to get wrong. */
const JQL_SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Creates a Jira issue once per request id (found again by its property after a crash). Jira's 400 with field
 * errors becomes a non-retryable `JiraFieldErrors` failure whose details carry them, for the caller to show.
 */
export async function createIssue({ connect }: ConnectDeps, input: CreateIssueInput): Promise<CreatedIssue> {
  if (!JQL_SAFE_REQUEST_ID.test(input.requestId)) {
    throw ApplicationFailure.nonRetryable('request id not usable in JQL', 'BadRequest');
  }
  const { site, client } = await connect(input.integrationId);
  const browse = (key: string): string => `${site.baseUrl}/browse/${key}`;
  const found = await callJira(() =>
    client.searchIssues(`issue.property[${PROPERTY_KEY}].requestId = "${input.requestId}"`, { fields: ['summary'] })
  );
  if (found[0]) return { id: found[0].id, key: found[0].key, url: browse(found[0].key), reused: true };
  try {
    const created = await client.createIssue(input.fields, [
      { key: PROPERTY_KEY, value: { requestId: input.requestId } },
    ]);
    return { id: created.id, key: created.key, url: browse(created.key), reused: false };
  } catch (err) {
    throw fieldErrorsFailure(err) ?? toFailure(err);
  }
}

function fieldErrorsFailure(err: unknown): ApplicationFailure | null {
  const fe = jiraFieldErrors(err);
  if (!fe) return null;
  const names = Object.keys(fe.fieldErrors);
  return ApplicationFailure.create({
    type: 'JiraFieldErrors',
    nonRetryable: true,
    message: `Jira rejected the issue${names.length ? `: ${names.join(', ')}` : ''}`,
    details: [fe],
  });
}

export interface GetIssueForLinkInput {
  readonly integrationId: number;
  readonly key: string;
}

export interface IssueForLink {
  readonly id: string;
  readonly key: string;
  readonly title: string;
  readonly description: string | null;
  readonly url: string;
}

/** Reads an existing issue to link it (404 → NotFound, not retried). */
export async function getIssueForLink({ connect }: ConnectDeps, input: GetIssueForLinkInput): Promise<IssueForLink> {
  const { site, client } = await connect(input.integrationId);
  const issue = await callJira(() => client.getIssue(input.key));
  return {
    id: issue.id,
    key: issue.key,
    title: issue.fields.summary,
    description: typeof issue.fields.description === 'string' ? issue.fields.description : null,
    url: `${site.baseUrl}/browse/${issue.key}`,
  };
}
