/**
 * Parses a verified `jira:issue_updated` body into the workflow input (pure; unit-tested). Malformed →
 * InputError naming the field path (Jira does not retry 400). The assignee's email is hashed here and the
 * plain email goes no further: not into the delivery row, not into the workflow history.
 *
 * Hostile input is refused here, not later: every value that reaches an id, a search attribute or a Postgres
 * column is bounded (Temporal refuses workflow ids over 1000 bytes and keywords over 2048; Postgres refuses
 * NUL characters), and event times must be real (2000-01-01 to one day after receipt), so nothing a signed
 * body carries can become a 503, a 500 or a poisoned watermark.
 */
import { z } from 'zod';
import { emailSha256 } from '../../domain/hash';
import { eventTime, jiraTimeMs } from '../../domain/rules';
import type { JiraIssueUpdatedInput } from '../../workflows/shared';
import { InputError } from '../errors';
import { parseWith } from './request';

/** `X-Atlassian-Webhook-Identifier` (a UUID from Jira) becomes the workflow id `jira-<identifier>`. */
export const MAX_IDENTIFIER_BYTES = 200;
/** Jira keys are short (`APP-123`); this stays far inside Temporal's 2048-byte keyword limit. */
export const MAX_ISSUE_KEY_LENGTH = 255;
/** Jira's numeric ids (issue, changelog), as text. */
export const MAX_ID_LENGTH = 64;
/** Event times before this are not Jira's. */
export const EARLIEST_EVENT_MS = Date.UTC(2000, 0, 1);
/** How far after receipt an event time may lie (clock skew, generously). */
export const MAX_EVENT_LEAD_MS = 24 * 60 * 60 * 1000;

/** True when the text has a C0 control character or DEL (NUL is refused by Postgres; none belongs in an id). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

const hasNul = (s: string): boolean => s.includes('\u0000');

/** Non-empty text of at most `max` characters without control characters (ids, keys). */
const idText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !hasControl(s), 'must not contain control characters');

/** Text that reaches a query or a workflow input: no NUL (Postgres refuses 0x00). */
const plainText = z.string().refine((s) => !hasNul(s), 'must not contain NUL characters');

const idLike = z.union([idText(MAX_ID_LENGTH), z.number()]).transform(String);

const schema = z.object({
  webhookEvent: z.literal('jira:issue_updated'),
  timestamp: z.number().optional(),
  issue: z.object({
    id: idLike,
    key: idText(MAX_ISSUE_KEY_LENGTH),
    fields: z.looseObject({
      assignee: z
        .looseObject({ accountId: plainText.nullish(), emailAddress: z.string().nullish() })
        .nullable()
        .optional(),
      status: z.looseObject({ statusCategory: z.looseObject({ key: plainText }).nullish() }).nullish(),
      updated: z.string().nullish(),
    }),
  }),
  changelog: z
    .looseObject({
      id: idLike.optional(),
      items: z
        .array(z.looseObject({ field: plainText, fromString: z.string().nullish(), toString: z.string().nullish() }))
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

/**
 * Parses JSON text and validates it; the error names the first offending path.
 *
 * @param receivedAtMs when the request arrived (ms); event times more than a day after it are refused.
 */
export function parseJiraBody(raw: Buffer, receivedAtMs: number = Date.now()): JiraIssueUpdatedPayload {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'), ownPropertiesOnly);
  } catch {
    throw new InputError('body is not valid JSON');
  }
  const payload = parseWith(schema, json);
  checkEventTimes(payload, receivedAtMs);
  return payload;
}

/**
 * Both event times, when present, lie between 2000-01-01 and one day after receipt. A time outside would either
 * crash the event-time rule (1e20 is no Date), fail every write of the watermark (year 10000), or set the
 * watermark so far ahead that every later real change is skipped as stale (9999-12-31). A `fields.updated`
 * that is no time at all (`10000-01-01T…`, which Date.parse cannot read) is refused as well.
 */
function checkEventTimes(p: JiraIssueUpdatedPayload, receivedAtMs: number): void {
  const latest = receivedAtMs + MAX_EVENT_LEAD_MS;
  const inRange = (ms: number) => Number.isFinite(ms) && ms >= EARLIEST_EVENT_MS && ms <= latest;
  const range = 'must lie between 2000-01-01 and one day after receipt';
  if (p.timestamp !== undefined && !inRange(p.timestamp)) throw new InputError(`timestamp: ${range} (in ms)`);
  const updated = p.issue.fields.updated;
  if (updated == null || updated.trim() === '') return;
  const ms = jiraTimeMs(updated);
  if (ms === null) throw new InputError('issue.fields.updated: must be a time like 2024-05-01T12:00:00.000+0000');
  if (!inRange(ms)) throw new InputError(`issue.fields.updated: ${range}`);
}

/**
 * `X-Atlassian-Webhook-Identifier` when present (unchanged across Jira's retries), else issue:changelog:timestamp.
 * An identifier longer than {@link MAX_IDENTIFIER_BYTES} or with control characters is a 400: it would become a
 * workflow id Temporal refuses.
 */
export function jiraDeliveryKey(p: JiraIssueUpdatedPayload, identifier: string | undefined): string {
  const given = identifier?.trim() ?? '';
  if (given !== '') {
    if (Buffer.byteLength(given, 'utf8') > MAX_IDENTIFIER_BYTES)
      throw new InputError(`X-Atlassian-Webhook-Identifier: must be at most ${MAX_IDENTIFIER_BYTES} bytes`);
    if (hasControl(given)) throw new InputError('X-Atlassian-Webhook-Identifier: must not contain control characters');
    return given;
  }
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
    if (keyItem?.fromString != null && hasControl(keyItem.fromString))
      throw new InputError(`changelog.items.${items.indexOf(keyItem)}.fromString: must not contain control characters`);
    input = { ...input, moved: { previousKey: keyItem?.fromString ?? null } };
  }
  return { kind: 'run', input, fields: synced };
}
