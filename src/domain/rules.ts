/**
 * Pure decisions, unit-tested, called from activities and the intake. No I/O, no imports beyond model.ts.
 */
import type { ResolutionStrategy, StatusTarget } from './model';
import { GroupStatus } from './model';

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the times whose ISO form has a 4-digit year (Postgres reads it). */
const FIRST_4_DIGIT_YEAR_MS = Date.parse('0000-01-01T00:00:00.000Z');
const LAST_4_DIGIT_YEAR_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A time in ms → its ISO string, or null when it is no Date (NaN, ±1e20, beyond ±8.64e15, where `toISOString`
 * throws RangeError) or has no 4-digit year (`+010000-…`, which Postgres cannot read).
 */
function isoOrNull(ms: number): string | null {
  if (!Number.isFinite(ms) || ms < FIRST_4_DIGIT_YEAR_MS || ms > LAST_4_DIGIT_YEAR_MS) return null;
  return new Date(ms).toISOString();
}

/**
 * Jira timestamps look like `2024-05-01T12:00:00.000+0000`; Date.parse wants `+00:00`.
 * Returns an ISO string, or null when absent, unreadable or outside years 0000-9999.
 */
export function parseJiraTime(value: unknown): string | null {
  const ms = jiraTimeMs(value);
  return ms === null ? null : isoOrNull(ms);
}

/** A Jira time as ms since the epoch, however far out; null when absent or unreadable. */
export function jiraTimeMs(value: unknown): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const ms = Date.parse(value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The time an event describes: the issue snapshot's `fields.updated`, else the webhook `timestamp` (ms). Never
 * throws: a timestamp that is no representable time is no time (null). The intake refuses such bodies first.
 */
export function eventTime(fieldsUpdated: unknown, timestampMs: unknown): string | null {
  const updated = parseJiraTime(fieldsUpdated);
  if (updated) return updated;
  if (typeof timestampMs === 'number') return isoOrNull(timestampMs);
  return null;
}

/**
 * The ordering guard: an event is stale when it is strictly older than what was already applied to this
 * external issue. Equal times are applied (payloads are snapshots, and a retry of the same event must pass).
 * An event without a time is never stale, but it does not move the watermark either.
 */
export function isStale(eventAt: string | null, watermark: Date | string | null): boolean {
  if (eventAt == null || watermark == null) return false;
  return Date.parse(eventAt) < new Date(watermark).getTime();
}

/** The watermark after applying an event: never moves backwards. */
export function nextWatermark(eventAt: string | null, watermark: Date | string | null): string | null {
  const current = watermark == null ? null : new Date(watermark).toISOString();
  if (eventAt == null) return current;
  if (current == null) return eventAt;
  return Date.parse(eventAt) > Date.parse(current) ? eventAt : current;
}

/** Jira status snapshot → target: only the `done` category resolves; anything else unresolves. */
export function statusTargetFromCategory(categoryKey: unknown): StatusTarget | null {
  if (typeof categoryKey !== 'string' || categoryKey === '') return null;
  return categoryKey === 'done' ? 'resolved' : 'unresolved';
}

export type StatusDecision =
  | { readonly action: 'none'; readonly reason: string }
  | { readonly action: 'resolve' }
  | { readonly action: 'resolve_in_release'; readonly next: boolean }
  | { readonly action: 'unresolve' }
  | { readonly action: 'archive' };

/**
 * What to do with one group for a status target. Groups already there are untouched. For inbound Jira,
 * archived (ignored) groups are left alone unless the org sets `resolve_archived` (Sentry resolves them,
 * #63615); a person acting through the API or chat passes `resolveArchived = true`.
 */
export function decideStatus(
  groupStatus: number,
  target: StatusTarget,
  strategy: ResolutionStrategy,
  hasRelease: boolean,
  resolveArchived: boolean
): StatusDecision {
  if (target === 'ignored') {
    return groupStatus === GroupStatus.Ignored ? { action: 'none', reason: 'already archived' } : { action: 'archive' };
  }
  if (groupStatus === GroupStatus.Ignored && !resolveArchived) {
    return { action: 'none', reason: 'archived: left alone (set resolve_archived to let Jira change it)' };
  }
  if (target === 'resolved') {
    if (groupStatus === GroupStatus.Resolved) return { action: 'none', reason: 'already resolved' };
    if (strategy !== 'resolve' && hasRelease) {
      return { action: 'resolve_in_release', next: strategy === 'resolve_next_release' };
    }
    return { action: 'resolve' };
  }
  if (groupStatus === GroupStatus.Unresolved) return { action: 'none', reason: 'already unresolved' };
  return { action: 'unresolve' };
}

export interface CandidateUser {
  readonly userId: number;
  readonly isActive: boolean;
  readonly isOrgMember: boolean;
  readonly reachesProject: boolean;
}

/**
 * The user-matching rule for inbound assignment: the first (lowest id) user with the verified email who is
 * active, a member of the group's org, and reaches the group's project through a team. Org membership alone
 * is not enough.
 */
export function pickAssignee(candidates: readonly CandidateUser[]): number | null {
  const eligible = candidates
    .filter((c) => c.isActive && c.isOrgMember && c.reachesProject)
    .sort((a, b) => a.userId - b.userId);
  return eligible[0]?.userId ?? null;
}

/** Why no user could be picked, for the delivery reason. */
export function noAssigneeReason(candidates: readonly CandidateUser[]): string {
  if (candidates.length === 0) return 'no verified user for the Jira assignee';
  if (!candidates.some((c) => c.isActive)) return 'the matching user is deactivated';
  if (!candidates.some((c) => c.isActive && c.isOrgMember))
    return "the matching user is not a member of the group's organization";
  return "the matching user has no access to the group's project";
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The qualified short id shown to people: `<PROJECT SLUG upper>-<base32(short_id)>`, e.g. `BACKEND-1A`. */
export function qualifiedShortId(projectSlug: string, shortId: number | null): string {
  let n = Number.isFinite(shortId) ? Math.max(0, Math.floor(shortId as number)) : 0;
  let out = '';
  do {
    out = CROCKFORD[n % 32] + out;
    n = Math.floor(n / 32);
  } while (n > 0);
  return `${projectSlug.toUpperCase()}-${out}`;
}
