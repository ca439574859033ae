/**
 * What the Tracker → Jira activities share: their deps, the linked issue they push to, the entity property that
 * marks what issue-sync wrote in Jira, the two push outcomes, and the mapping of client errors to failures.
 */
import type { Knex } from 'knex';
import type { PausedPush, PushResult } from '../../domain/model';
import { toFailure } from '../failures';
import type { Connect } from './site';

/** Key of the Jira entity property on every comment and issue issue-sync creates (found again after a crash). */
export const PROPERTY_KEY = 'issue-sync';

export interface PushDeps {
  readonly db: Knex;
  readonly connect: Connect;
}

export const APPLIED: PushResult = { outcome: 'applied', reason: null };
export const skip = (reason: string): PushResult => ({ outcome: 'skipped', reason });
/** Nothing sent: the site is paused; the push workflow waits and asks again. */
export const PAUSED: PausedPush = { outcome: 'paused', reason: 'integration paused' };

/** A linked Jira issue (an external_issues row) and the org it belongs to. */
export interface IssueRef {
  readonly id: number;
  readonly key: string;
  readonly integrationId: number;
  readonly organizationId: number;
  readonly orgSlug: string;
}

/** The linked issue, or null when the link was removed since the push was scheduled. */
export async function loadIssueRef(db: Knex, externalIssueId: number): Promise<IssueRef | null> {
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

/** Runs a Jira call, mapping what the client throws to the shared retry semantics (failures.ts). */
export async function callJira<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toFailure(err);
  }
}
