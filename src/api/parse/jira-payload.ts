/**
 * Parses a verified `jira:issue_updated` body into the workflow input (pure; unit-tested). Malformed →
 * InputError naming the field path (Jira does not retry 400). The assignee's email is hashed here and the
 * plain email goes no further: not into the delivery row, not into the workflow history.
 */
import { z } from 'zod';
import { emailSha256 } from '../../domain/hash';
import { eventTime } from '../../domain/rules';
import type { JiraIssueUpdatedInput } from '../../workflows/shared';
import { InputError } from '../errors';
import { parseWith } from './request';

const idLike = z.union([z.string().min(1), z.number()]).transform(String);

const schema = z.object({
  webhookEvent: z.literal('jira:issue_updated'),
  timestamp: z.number().optional(),
  issue: z.object({
    id: idLike,
    key: z.string().min(1),
    fields: z.looseObject({
      assignee: z
        .looseObject({ accountId: z.string().nullish(), emailAddress: z.string().nullish() })
        .nullable()
        .optional(),
      status: z.looseObject({ statusCategory: z.looseObject({ key: z.string() }).nullish() }).nullish(),
      updated: z.string().nullish(),
    }),
  }),
  changelog: z
    .looseObject({
      id: idLike.optional(),
      items: z
        .array(z.looseObject({ field: z.string(), fromString: z.string().nullish(), toString: z.string().nullish() }))
        .optional(),
    })
    .nullish(),
});

export type JiraIssueUpdatedPayload = z.infer<typeof schema>;

/**
 * JSON.parse reviver: every object becomes a null-prototype object, so a missing optional key (`toString`,
 * `constructor`, `valueOf`, …) reads as absent instead of as the inherited Object.prototype member, and a
 * `__proto__` key is plain data.
 */
function ownPropertiesOnly(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.assign(Object.create(null) as Record<string, unknown>, value);
}

/** Parses JSON text and validates it; the error names the first offending path. */
export function parseJiraBody(raw: Buffer): JiraIssueUpdatedPayload {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'), ownPropertiesOnly);
  } catch {
    throw new InputError('body is not valid JSON');
  }
  return parseWith(schema, json);
}

/** `X-Atlassian-Webhook-Identifier` when present (unchanged across Jira's retries), else issue:changelog:timestamp. */
export function jiraDeliveryKey(p: JiraIssueUpdatedPayload, identifier: string | undefined): string {
  if (identifier && identifier.trim() !== '') return identifier.trim();
  return `${p.issue.id}:${p.changelog?.id ?? 'none'}:${p.timestamp ?? 'none'}`;
}

export type JiraPlan =
  | { readonly kind: 'skip'; readonly reason: string }
  | {
      readonly kind: 'run';
      readonly input: Omit<JiraIssueUpdatedInput, 'deliveryId' | 'deliveryKey' | 'integrationId'>;
      readonly fields: string[];
    };

const SYNCED = new Set(['assignee', 'status', 'Key', 'project']);

/** Decides what the workflow has to do, or why nothing needs doing. */
export function planJiraDelivery(p: JiraIssueUpdatedPayload): JiraPlan {
  const items = p.changelog?.items ?? [];
  if (items.length === 0) return { kind: 'skip', reason: 'no changelog' };
  const fields = [...new Set(items.map((i) => i.field))];
  const synced = fields.filter((f) => SYNCED.has(f));
  if (synced.length === 0) return { kind: 'skip', reason: `nothing to sync: changelog changes ${fields.join(', ')}` };
  const f = p.issue.fields;
  const base = { issue: { id: p.issue.id, key: p.issue.key }, eventAt: eventTime(f.updated, p.timestamp) };
  let input: Omit<JiraIssueUpdatedInput, 'deliveryId' | 'deliveryKey' | 'integrationId'> = base;
  if (synced.includes('assignee')) {
    if (f.assignee === undefined)
      throw new InputError('issue.fields.assignee: required when the changelog changes the assignee');
    const a = f.assignee;
    input = {
      ...input,
      assignee:
        a === null
          ? null
          : { accountId: a.accountId ?? null, emailSha256: a.emailAddress ? emailSha256(a.emailAddress) : null },
    };
  }
  if (synced.includes('status')) {
    const key = f.status?.statusCategory?.key;
    if (!key)
      throw new InputError('issue.fields.status.statusCategory.key: required when the changelog changes the status');
    input = { ...input, statusCategory: key };
  }
  if (synced.includes('Key') || synced.includes('project')) {
    const keyItem = items.find((i) => i.field === 'Key');
    input = { ...input, moved: { previousKey: keyItem?.fromString ?? null } };
  }
  return { kind: 'run', input, fields: synced };
}
