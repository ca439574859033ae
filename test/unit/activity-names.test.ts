/**
 * Activity names are global in the worker: every group's names start with its system, no name is defined
 * twice, and registering two groups that share a name fails instead of silently keeping one of them.
 * The type-level part (checked by `tsc --noEmit`) proves a workflow step can only call its own system's
 * activities.
 */
import type { Knex } from 'knex';
import type { Cache } from '../../src/activities/cache/cache';
import { createActivities, createActivityGroups, mergeActivities, registrationMap } from '../../src/activities';
import type { step } from '../../src/workflows/proxies';

// Nothing connects when the groups are built, so stand-ins for the database and the cache are enough.
const groups = createActivityGroups({
  db: {} as Knex,
  cache: {} as Cache,
  discordApiBaseUrl: 'http://127.0.0.1:9/api/v10',
  httpTimeoutMs: 1000,
});

const ok = (): Promise<void> => Promise.resolve();

describe('activity names', () => {
  it('has one group per system: tracker, cache, jira, discord, msteams', () => {
    expect(Object.keys(groups).sort()).toEqual(['cache', 'discord', 'jira', 'msteams', 'tracker']);
  });

  it.each(Object.entries(groups))('every %s activity starts with its system prefix', (system, group) => {
    const names = Object.keys(group);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(new RegExp(`^${system}[A-Z]`));
  });

  it('has the six jira activities', () => {
    expect(Object.keys(groups.jira).sort()).toEqual([
      'jiraCreateIssue',
      'jiraGetIssueForLink',
      'jiraPushAssignee',
      'jiraPushStatus',
      'jiraResolveAssigneeEmail',
      'jiraSyncComment',
    ]);
  });

  it('registers every activity of every group exactly once, under its own name', () => {
    const all = Object.values(groups).flatMap((g) => Object.keys(g));
    expect(new Set(all).size).toBe(all.length);
    const registered = createActivities({
      db: {} as Knex,
      cache: {} as Cache,
      discordApiBaseUrl: 'http://127.0.0.1:9/api/v10',
      httpTimeoutMs: 1000,
    });
    expect(Object.keys(registered).sort()).toEqual([...all].sort());
    expect(Object.values(registered).every((fn) => typeof fn === 'function')).toBe(true);
  });

  it('keeps each function under its name', () => {
    const a = { trackerA: ok };
    const b = { cacheB: jest.fn(ok) };
    const map = registrationMap({ tracker: a, cache: b });
    expect(map.trackerA).toBe(a.trackerA);
    expect(map.cacheB).toBe(b.cacheB);
  });

  it('throws when two groups define the same name (a spread would silently keep the last one)', () => {
    expect(() => registrationMap({ tracker: { trackerX: ok }, cache: { trackerX: ok } })).toThrow(
      'activity trackerX is defined twice'
    );
    expect(() => mergeActivities({ jiraA: ok }, { jiraB: ok }, { jiraA: ok })).toThrow(
      'activity jiraA is defined twice'
    );
  });
});

/** Never called: `tsc --noEmit` checks these lines (and fails if an expected error goes away). */
export function stepTypeChecks(run: typeof step): Array<Promise<unknown>> {
  return [
    run('tracker', 'trackerApplyGroupChange', 'ok', {
      groupId: 1,
      source: { provider: 'api', integrationId: null, key: 'r' },
    }),
    run('jiraCreate', 'jiraCreateIssue', 'ok: the jiraCreate options run the jira group', {
      requestId: 'r',
      integrationId: 1,
      fields: {},
    }),
    // @ts-expect-error a tracker activity cannot run with the discord options
    run('discord', 'trackerApplyInboundAssignee', 'wrong system', {}),
    // @ts-expect-error a jira activity cannot run with the cache options
    run('cache', 'jiraPushAssignee', 'wrong system', { groupId: 1, externalIssueId: 2 }),
    // @ts-expect-error arguments are checked against the activity's own signature
    run('cache', 'cacheInvalidateGroups', 'wrong argument', { groupIds: ['1'] }),
  ];
}
