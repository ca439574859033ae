/** The one reading of assignee values and resolve targets, shared by the API and the chat workflows. */
import { parseAssigneeValue, resolveStrategyOf } from '../../src/domain/requests';
import { mapAction } from '../../src/workflows/discord-interaction';

describe('parseAssigneeValue', () => {
  it.each([
    ['user:42', { kind: 'user', userId: 42 }],
    ['team:7', { kind: 'team', teamId: 7 }],
    ['none', { kind: 'none' }],
    [null, { kind: 'none' }],
    ['user:9007199254740991', { kind: 'user', userId: 9007199254740991 }],
  ])('%j → %j', (value, expected) => {
    expect(parseAssigneeValue(value)).toEqual(expected);
  });

  it.each(['user:0', 'user:-1', 'user:01', 'user:99999999999999999999', 'user:9999999999999999', 'jane', 'team:', ''])(
    '%j → null',
    (value) => {
      expect(parseAssigneeValue(value)).toBeNull();
    }
  );
});

describe('resolveStrategyOf', () => {
  it('maps the three chat targets and nothing else (not even inherited keys)', () => {
    expect(resolveStrategyOf('immediately')).toBe('resolve');
    expect(resolveStrategyOf('inNextRelease')).toBe('resolve_next_release');
    expect(resolveStrategyOf('inCurrentRelease')).toBe('resolve_current_release');
    for (const bad of ['toString', 'constructor', '__proto__', 'later', '']) expect(resolveStrategyOf(bad)).toBeNull();
  });
});

describe('mapAction (discordInteraction)', () => {
  it('turns each chat action into the hub request', () => {
    expect(mapAction({ kind: 'assign', value: 'team:3' })).toEqual({ ok: true, assignee: { kind: 'team', teamId: 3 } });
    expect(mapAction({ kind: 'assign', value: 'none' })).toEqual({ ok: true, assignee: { kind: 'none' } });
    expect(mapAction({ kind: 'resolve', value: 'inNextRelease' })).toEqual({
      ok: true,
      status: { target: 'resolved', strategy: 'resolve_next_release' },
    });
    expect(mapAction({ kind: 'unresolve' })).toEqual({ ok: true, status: { target: 'unresolved' } });
    expect(mapAction({ kind: 'mark_ongoing' })).toEqual({ ok: true, status: { target: 'unresolved' } });
    expect(mapAction({ kind: 'archive' })).toEqual({
      ok: true,
      status: { target: 'ignored', archiveSubstatus: 'archived_until_escalating' },
    });
  });

  it('refuses values that do not parse', () => {
    expect(mapAction({ kind: 'assign', value: 'user:abc' })).toEqual({ ok: false, reason: 'invalid assignee value' });
    expect(mapAction({ kind: 'resolve', value: 'toString' as never })).toEqual({
      ok: false,
      reason: 'invalid resolve value',
    });
  });
});
