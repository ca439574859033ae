import {
  buildAssignDialog,
  buildResolveDialog,
  DIALOG_TEXT,
  ephemeralMessage,
  invalidComponentMessage,
} from '../../src/activities/discord/dialogs';

type Select = {
  custom_id: string;
  placeholder: string;
  options: Array<{ label: string; value: string; default?: boolean }>;
};
const selectOf = (cb: ReturnType<typeof buildAssignDialog>): Select =>
  cb.data!.components![0]!.components[0] as unknown as Select;

describe('Discord dialogs', () => {
  test('assign: Unassign, then teams by slug, then members by name; the current assignee is the default', () => {
    const cb = buildAssignDialog({
      groupId: 12,
      teams: [
        { id: 2, slug: 'frontend' },
        { id: 1, slug: 'backend' },
      ],
      members: [
        { id: 10, name: 'Zoe' },
        { id: 11, name: 'adam@example.com' },
      ],
      current: { type: 'user', id: 10 },
    });
    expect(cb.type).toBe(4);
    expect(cb.data!.flags).toBe(64);
    const select = selectOf(cb);
    expect(select.custom_id).toBe('assign:12');
    expect(select.placeholder).toBe('Select assignee');
    expect(select.options).toEqual([
      { label: 'Unassign', value: 'none' },
      { label: '#backend', value: 'team:1' },
      { label: '#frontend', value: 'team:2' },
      { label: 'adam', value: 'user:11' },
      { label: 'Zoe', value: 'user:10', default: true },
    ]);
    expect(JSON.stringify(cb)).not.toContain('@');
  });

  test('assign: at most 25 options; the placeholder says the list was cut', () => {
    const members = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: `User ${String(i).padStart(2, '0')}` }));
    const select = selectOf(
      buildAssignDialog({ groupId: 1, teams: [{ id: 1, slug: 'core' }], members, current: null })
    );
    expect(select.options).toHaveLength(25);
    expect(select.options[0]).toEqual({ label: 'Unassign', value: 'none', default: true });
    expect(select.options[1]!.value).toBe('team:1');
    expect(select.placeholder).toBe('Select assignee (first 24 of 31 shown)');
  });

  test('resolve: release targets only when the project has releases', () => {
    const values = (hasReleases: boolean) =>
      selectOf(buildResolveDialog({ groupId: 3, hasReleases })).options.map((o) => o.value);
    expect(values(false)).toEqual(['immediately']);
    expect(values(true)).toEqual(['immediately', 'inNextRelease', 'inCurrentRelease']);
    expect(selectOf(buildResolveDialog({ groupId: 3, hasReleases: true })).custom_id).toBe('resolve:3');
  });

  test('ephemeral messages', () => {
    expect(ephemeralMessage(DIALOG_TEXT.notConnected)).toEqual({
      type: 4,
      data: { content: DIALOG_TEXT.notConnected, flags: 64, allowed_mentions: { parse: [] } },
    });
    expect(invalidComponentMessage('bad_group_id').data!.content).toMatch(/not a number/);
  });
});
