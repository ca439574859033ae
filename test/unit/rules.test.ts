/**
 * The pure decisions in src/domain/rules.ts: Jira time parsing, the ordering guard, status targets and
 * decisions, the user-matching rule and the qualified short id.
 */
import { GroupStatus } from '../../src/domain/model';
import {
  type CandidateUser,
  decideStatus,
  eventTime,
  isStale,
  nextWatermark,
  noAssigneeReason,
  parseJiraTime,
  pickAssignee,
  qualifiedShortId,
  statusTargetFromCategory,
} from '../../src/domain/rules';

const user = (userId: number, over: Partial<CandidateUser> = {}): CandidateUser => ({
  userId,
  isActive: true,
  isOrgMember: true,
  reachesProject: true,
  ...over,
});

describe('parseJiraTime', () => {
  it("When given Jira's `+0000` format, Then it returns the UTC ISO string", () => {
    expect(parseJiraTime('2024-05-01T12:00:00.000+0000')).toBe('2024-05-01T12:00:00.000Z');
  });

  it('When given a `Z` time, Then it returns the same instant as ISO', () => {
    expect(parseJiraTime('2024-05-01T12:00:00Z')).toBe('2024-05-01T12:00:00.000Z');
  });

  it('When given a negative offset like `-0700`, Then it converts to UTC', () => {
    expect(parseJiraTime('2024-05-01T12:00:00.000-0700')).toBe('2024-05-01T19:00:00.000Z');
  });

  it('When given a positive offset like `+0530`, Then it converts to UTC', () => {
    expect(parseJiraTime('2024-05-01T12:00:00.000+0530')).toBe('2024-05-01T06:30:00.000Z');
  });

  it('When given an offset already written with a colon, Then it is accepted too', () => {
    expect(parseJiraTime('2024-05-01T12:00:00.000+02:00')).toBe('2024-05-01T10:00:00.000Z');
  });

  it('When the value has surrounding whitespace, Then it is trimmed before parsing', () => {
    expect(parseJiraTime('  2024-05-01T12:00:00.000+0000 \n')).toBe('2024-05-01T12:00:00.000Z');
  });

  it.each(['not a date', 'yesterday', '2024-13-45T99:00:00.000+0000', '', '   '])(
    'When given unreadable text %j, Then it returns null',
    (value) => {
      expect(parseJiraTime(value)).toBeNull();
    }
  );

  it.each([null, undefined, 1714564800000, {}, [], true])(
    'When given a non-string %p, Then it returns null',
    (value) => {
      expect(parseJiraTime(value)).toBeNull();
    }
  );
});

describe('eventTime', () => {
  const updated = '2024-05-01T12:00:00.000+0000';
  const otherMs = Date.parse('2024-06-01T00:00:00.000Z');

  it('When fields.updated is readable, Then it wins over the webhook timestamp', () => {
    expect(eventTime(updated, otherMs)).toBe('2024-05-01T12:00:00.000Z');
  });

  it('When fields.updated is absent, Then the timestamp (ms) is used', () => {
    expect(eventTime(undefined, otherMs)).toBe('2024-06-01T00:00:00.000Z');
  });

  it('When fields.updated is unreadable, Then the timestamp is used', () => {
    expect(eventTime('garbage', otherMs)).toBe('2024-06-01T00:00:00.000Z');
  });

  it('When neither is usable, Then it returns null', () => {
    expect(eventTime(null, undefined)).toBeNull();
    expect(eventTime('garbage', 'not-a-number')).toBeNull();
    expect(eventTime(undefined, Number.NaN)).toBeNull();
    expect(eventTime(undefined, Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('When the timestamp is a numeric string, Then it is not accepted', () => {
    expect(eventTime(undefined, String(otherMs))).toBeNull();
  });

  it.each([1e20, -1e20, 8.64e15 + 1, -8.64e15 - 1])(
    'When the timestamp %p is no representable Date, Then it returns null instead of throwing RangeError',
    (ms) => {
      expect(() => eventTime(undefined, ms)).not.toThrow();
      expect(eventTime(undefined, ms)).toBeNull();
    }
  );

  it('When a time has no 4-digit year (Postgres cannot read `+010000-…`), Then it is no time', () => {
    expect(eventTime('+010000-01-01T00:00:00.000Z', undefined)).toBeNull();
    expect(eventTime(undefined, Date.UTC(10000, 0, 1))).toBeNull();
    expect(parseJiraTime('10000-01-01')).toBeNull();
    expect(eventTime('9999-12-31T23:59:59.999+0000', undefined)).toBe('9999-12-31T23:59:59.999Z');
  });
});

describe('isStale', () => {
  const t = '2024-05-01T12:00:00.000Z';

  it('When the event is strictly older than the watermark, Then it is stale', () => {
    expect(isStale('2024-05-01T11:59:59.999Z', t)).toBe(true);
  });

  it('When the event time equals the watermark, Then it is not stale', () => {
    expect(isStale(t, t)).toBe(false);
    expect(isStale(t, new Date(t))).toBe(false);
  });

  it('When the event is newer than the watermark, Then it is not stale', () => {
    expect(isStale('2024-05-01T12:00:00.001Z', t)).toBe(false);
  });

  it('When the watermark is a Date, Then it is compared as an instant', () => {
    expect(isStale('2024-05-01T11:00:00.000Z', new Date(t))).toBe(true);
    expect(isStale('2024-05-01T13:00:00.000Z', new Date(t))).toBe(false);
  });

  it('When the event has no time, Then it is never stale', () => {
    expect(isStale(null, t)).toBe(false);
  });

  it('When there is no watermark yet, Then nothing is stale', () => {
    expect(isStale('2000-01-01T00:00:00.000Z', null)).toBe(false);
  });
});

describe('nextWatermark', () => {
  const older = '2024-05-01T11:00:00.000Z';
  const newer = '2024-05-01T12:00:00.000Z';

  it('When the event is newer, Then the watermark moves to the event time', () => {
    expect(nextWatermark(newer, older)).toBe(newer);
  });

  it('When the event is older, Then the watermark stays where it was', () => {
    expect(nextWatermark(older, newer)).toBe(newer);
  });

  it('When the event time equals the watermark, Then it is unchanged', () => {
    expect(nextWatermark(newer, newer)).toBe(newer);
  });

  it('When the watermark is a Date, Then the result is an ISO string', () => {
    expect(nextWatermark(older, new Date(newer))).toBe(newer);
    expect(nextWatermark(newer, new Date(older))).toBe(newer);
  });

  it('When the event has no time, Then the current watermark is kept', () => {
    expect(nextWatermark(null, new Date(older))).toBe(older);
  });

  it('When there is no watermark yet, Then the event time becomes it', () => {
    expect(nextWatermark(newer, null)).toBe(newer);
  });

  it('When neither exists, Then it stays null', () => {
    expect(nextWatermark(null, null)).toBeNull();
  });
});

describe('statusTargetFromCategory', () => {
  it('When the category is `done`, Then the target is resolved', () => {
    expect(statusTargetFromCategory('done')).toBe('resolved');
  });

  it.each(['new', 'indeterminate', 'undefined'])('When the category is %j, Then the target is unresolved', (key) => {
    expect(statusTargetFromCategory(key)).toBe('unresolved');
  });

  it('When the category is `Done` in another case, Then it does not count as done', () => {
    expect(statusTargetFromCategory('Done')).toBe('unresolved');
  });

  it.each(['', null, undefined, 3, { key: 'done' }])('When the category is %p, Then there is no target', (key) => {
    expect(statusTargetFromCategory(key)).toBeNull();
  });
});

describe('decideStatus', () => {
  describe('archived (ignored) groups', () => {
    it('When resolve_archived is off, Then Jira does not resolve an archived group', () => {
      const d = decideStatus(GroupStatus.Ignored, 'resolved', 'resolve', false, false);
      expect(d.action).toBe('none');
      expect(d).toEqual({ action: 'none', reason: expect.stringContaining('archived') });
      expect(d).toEqual({ action: 'none', reason: expect.stringContaining('resolve_archived') });
    });

    it('When resolve_archived is off, Then Jira does not unresolve an archived group either', () => {
      expect(decideStatus(GroupStatus.Ignored, 'unresolved', 'resolve', false, false)).toEqual({
        action: 'none',
        reason: expect.stringContaining('archived'),
      });
    });

    it('When resolve_archived is on, Then an archived group is resolved', () => {
      expect(decideStatus(GroupStatus.Ignored, 'resolved', 'resolve', false, true)).toEqual({ action: 'resolve' });
    });

    it('When resolve_archived is on and a release exists, Then the resolution strategy applies', () => {
      expect(decideStatus(GroupStatus.Ignored, 'resolved', 'resolve_next_release', true, true)).toEqual({
        action: 'resolve_in_release',
        next: true,
      });
    });

    it('When resolve_archived is on and the target is unresolved, Then the archived group is unresolved', () => {
      expect(decideStatus(GroupStatus.Ignored, 'unresolved', 'resolve', false, true)).toEqual({ action: 'unresolve' });
    });
  });

  it('When the group is already resolved and the target is resolved, Then nothing is done', () => {
    expect(decideStatus(GroupStatus.Resolved, 'resolved', 'resolve_current_release', true, false)).toEqual({
      action: 'none',
      reason: 'already resolved',
    });
  });

  it('When the group is already unresolved and the target is unresolved, Then nothing is done', () => {
    expect(decideStatus(GroupStatus.Unresolved, 'unresolved', 'resolve', false, false)).toEqual({
      action: 'none',
      reason: 'already unresolved',
    });
  });

  it('When the group is resolved and the target is unresolved, Then it is unresolved', () => {
    expect(decideStatus(GroupStatus.Resolved, 'unresolved', 'resolve', false, false)).toEqual({ action: 'unresolve' });
  });

  describe('resolving an unresolved group', () => {
    it.each([
      ['resolve', true, { action: 'resolve' }],
      ['resolve', false, { action: 'resolve' }],
      ['resolve_current_release', true, { action: 'resolve_in_release', next: false }],
      ['resolve_current_release', false, { action: 'resolve' }],
      ['resolve_next_release', true, { action: 'resolve_in_release', next: true }],
      ['resolve_next_release', false, { action: 'resolve' }],
    ] as const)(
      'When the strategy is %s and hasRelease is %s, Then the decision is %j',
      (strategy, hasRelease, want) => {
        expect(decideStatus(GroupStatus.Unresolved, 'resolved', strategy, hasRelease, false)).toEqual(want);
      }
    );
  });
});

describe('pickAssignee', () => {
  it('When there are no candidates, Then nobody is picked', () => {
    expect(pickAssignee([])).toBeNull();
  });

  it('When one candidate is active, an org member and reaches the project, Then it is picked', () => {
    expect(pickAssignee([user(7)])).toBe(7);
  });

  it('When several candidates are eligible, Then the lowest id wins regardless of order', () => {
    expect(pickAssignee([user(30), user(4), user(12)])).toBe(4);
  });

  it('When the lowest id is not eligible, Then the lowest eligible id is picked', () => {
    expect(
      pickAssignee([
        user(1, { isActive: false }),
        user(2, { reachesProject: false }),
        user(9),
        user(5, { isOrgMember: false }),
      ])
    ).toBe(9);
  });

  it('When a candidate is an org member but reaches the project through no team, Then it is not picked', () => {
    expect(pickAssignee([user(3, { reachesProject: false })])).toBeNull();
  });

  it('When a candidate reaches the project but is not an org member, Then it is not picked', () => {
    expect(pickAssignee([user(3, { isOrgMember: false })])).toBeNull();
  });

  it('When a candidate is deactivated, Then it is not picked', () => {
    expect(pickAssignee([user(3, { isActive: false })])).toBeNull();
  });

  it('When picking, Then the input array is not reordered', () => {
    const candidates = [user(30), user(4), user(12)];
    pickAssignee(candidates);
    expect(candidates.map((c) => c.userId)).toEqual([30, 4, 12]);
  });
});

describe('noAssigneeReason', () => {
  it('When there are no candidates, Then the reason says no verified user', () => {
    expect(noAssigneeReason([])).toBe('no verified user for the Jira assignee');
  });

  it('When every candidate is deactivated, Then the reason says so', () => {
    expect(noAssigneeReason([user(1, { isActive: false }), user(2, { isActive: false })])).toBe(
      'the matching user is deactivated'
    );
  });

  it('When no active candidate is an org member, Then the reason names the organization', () => {
    expect(noAssigneeReason([user(1, { isOrgMember: false }), user(2, { isActive: false })])).toBe(
      "the matching user is not a member of the group's organization"
    );
  });

  it('When an active member reaches no project, Then the reason names the project', () => {
    expect(noAssigneeReason([user(1, { reachesProject: false }), user(2, { isOrgMember: false })])).toBe(
      "the matching user has no access to the group's project"
    );
  });

  it('When an inactive candidate is the only org member, Then membership is not credited to it', () => {
    expect(noAssigneeReason([user(1, { isActive: false }), user(2, { isOrgMember: false })])).toBe(
      "the matching user is not a member of the group's organization"
    );
  });
});

describe('qualifiedShortId', () => {
  it.each([
    [0, '0'],
    [1, '1'],
    [9, '9'],
    [10, 'A'],
    [17, 'H'],
    [18, 'J'],
    [19, 'K'],
    [20, 'M'],
    [21, 'N'],
    [22, 'P'],
    [26, 'T'],
    [27, 'V'],
    [31, 'Z'],
    [32, '10'],
    [42, '1A'],
    [1023, 'ZZ'],
    [1024, '100'],
  ])('When the short id is %d, Then the suffix is %s in Crockford base32', (n, suffix) => {
    expect(qualifiedShortId('backend', n)).toBe(`BACKEND-${suffix}`);
  });

  it('When the alphabet is used, Then I, L, O and U never appear', () => {
    const suffixes = Array.from({ length: 32 }, (_, n) => qualifiedShortId('p', n).slice(2)).join('');
    expect(suffixes).toBe('0123456789ABCDEFGHJKMNPQRSTVWXYZ');
  });

  it('When the project slug has lower case and dashes, Then it is upper-cased and kept', () => {
    expect(qualifiedShortId('my-app', 31)).toBe('MY-APP-Z');
  });

  it('When the short id is null, Then it is shown as 0', () => {
    expect(qualifiedShortId('api', null)).toBe('API-0');
  });

  it('When the short id is negative or fractional, Then it is clamped to 0 and floored', () => {
    expect(qualifiedShortId('api', -5)).toBe('API-0');
    expect(qualifiedShortId('api', 32.9)).toBe('API-10');
  });
});

test('qualifiedShortId treats a missing or non-finite short id as 0', () => {
  expect(qualifiedShortId('api', NaN)).toBe('API-0');
  expect(qualifiedShortId('api', null)).toBe('API-0');
});
