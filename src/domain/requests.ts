/**
 * How people spell a change, wherever they make it (the API body, a Discord select, a Teams card): the one
 * reading of assignee values and resolve targets. Pure and import-free of I/O, so the API's services and the
 * chat workflows share it.
 */
import type { AssigneeChoice, ResolutionStrategy } from './model';

/** `user:<id>`, `team:<id>` (ids fit a bigint and a JS safe integer). */
const ASSIGNEE_VALUE = /^(user|team):([1-9]\d{0,15})$/;

/** `user:<id>` / `team:<id>` / `none` (or null) → the choice; anything else → null (the caller says why). */
export function parseAssigneeValue(value: string | null): AssigneeChoice | null {
  if (value === null || value === 'none') return { kind: 'none' };
  const m = ASSIGNEE_VALUE.exec(value);
  const id = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(id)) return null;
  return m[1] === 'user' ? { kind: 'user', userId: id } : { kind: 'team', teamId: id };
}

/** Resolve targets as chat offers them: now, in the next release, in the current (latest) release. */
export const RESOLVE_TARGETS = {
  immediately: 'resolve',
  inNextRelease: 'resolve_next_release',
  inCurrentRelease: 'resolve_current_release',
} as const satisfies Record<string, ResolutionStrategy>;

export type ResolveTarget = keyof typeof RESOLVE_TARGETS;

/** A resolve target → its strategy; null for anything else. */
export function resolveStrategyOf(value: string): ResolutionStrategy | null {
  return Object.hasOwn(RESOLVE_TARGETS, value) ? RESOLVE_TARGETS[value as ResolveTarget] : null;
}
