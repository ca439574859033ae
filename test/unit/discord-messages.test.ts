/**
 * The Discord shapes of an alert and a change reply: buttons that match the group's state (reference §2.7),
 * the assignee and status shown on the alert, markdown escaping and Discord's limits, and never an email.
 * The wording itself is tested in chat-wording.test.ts.
 */
import type { AlertGroup, ChangeNotice } from '../../src/activities/chat/wording';
import { changeText } from '../../src/activities/chat/wording';
import {
  alertButtons,
  buildAlertMessage,
  buildChangeReply,
  escapeDiscordMarkdown,
} from '../../src/activities/discord/messages';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/;

const group = (overrides: Partial<AlertGroup> = {}): AlertGroup => ({
  id: 12345,
  shortId: 'APP-1A',
  title: 'TypeError: x is undefined',
  status: 0,
  substatus: 3,
  hasReleases: false,
  assignee: null,
  ...overrides,
});

const jira = { provider: 'jira', label: 'APP-123' } as const;

function buttonsOf(g: AlertGroup): Array<[string, string]> {
  const { components } = buildAlertMessage(g);
  expect(components).toHaveLength(1);
  expect(components[0]?.type).toBe(1);
  return (components[0]?.components ?? []).map((c) => {
    expect(c).toMatchObject({ type: 2, style: 2, disabled: false });
    return [c.custom_id, 'label' in c ? c.label : ''];
  });
}

describe('alert buttons', () => {
  it.each<[string, Partial<AlertGroup>, Array<[string, string]>]>([
    [
      'unresolved, project without releases',
      { status: 0, hasReleases: false },
      [
        ['resolve:12345', 'Resolve'],
        ['archive:12345', 'Archive'],
        ['assign_dialog:12345', 'Assign...'],
      ],
    ],
    [
      'unresolved, project with releases',
      { status: 0, hasReleases: true },
      [
        ['resolve_dialog:12345', 'Resolve...'],
        ['archive:12345', 'Archive'],
        ['assign_dialog:12345', 'Assign...'],
      ],
    ],
    [
      'resolved, without releases',
      { status: 1, substatus: null, hasReleases: false },
      [
        ['unresolve:12345', 'Unresolve'],
        ['archive:12345', 'Archive'],
        ['assign_dialog:12345', 'Assign...'],
      ],
    ],
    [
      'resolved, with releases',
      { status: 1, substatus: null, hasReleases: true },
      [
        ['unresolve:12345', 'Unresolve'],
        ['archive:12345', 'Archive'],
        ['assign_dialog:12345', 'Assign...'],
      ],
    ],
    [
      'archived, without releases',
      { status: 2, substatus: 1, hasReleases: false },
      [
        ['resolve:12345', 'Resolve'],
        ['mark_ongoing:12345', 'Mark as Ongoing'],
        ['assign_dialog:12345', 'Assign...'],
      ],
    ],
    [
      'archived, with releases',
      { status: 2, substatus: 5, hasReleases: true },
      [
        ['resolve_dialog:12345', 'Resolve...'],
        ['mark_ongoing:12345', 'Mark as Ongoing'],
        ['assign_dialog:12345', 'Assign...'],
      ],
    ],
  ])('%s', (_name, overrides, expected) => {
    expect(buttonsOf(group(overrides))).toEqual(expected);
  });

  it('uses the group id in every custom_id', () => {
    expect(alertButtons({ id: 9, status: 0, hasReleases: false }).map((b) => b.custom_id)).toEqual([
      'resolve:9',
      'archive:9',
      'assign_dialog:9',
    ]);
  });
});

describe('alert embed', () => {
  const fieldsOf = (g: AlertGroup): Record<string, string> =>
    Object.fromEntries((buildAlertMessage(g).embeds[0]?.fields ?? []).map((f) => [f.name, f.value]));

  it('shows title, short id footer, status and "Unassigned"', () => {
    const [embed] = buildAlertMessage(group()).embeds;
    expect(embed).toMatchObject({ title: 'TypeError: x is undefined', footer: { text: 'APP-1A' } });
    expect(fieldsOf(group())).toEqual({ Status: 'Ongoing', Assignee: 'Unassigned' });
  });

  it('shows a user assignee by name', () => {
    expect(fieldsOf(group({ assignee: { type: 'user', name: 'Jane Doe' } })).Assignee).toBe('Jane Doe');
  });

  it.each(['backend', '#backend'])('shows a team assignee as #slug (given %p)', (name) => {
    expect(fieldsOf(group({ assignee: { type: 'team', name } })).Assignee).toBe('#backend');
  });

  it('escapes Discord markdown in names so they render as typed', () => {
    expect(fieldsOf(group({ assignee: { type: 'user', name: 'jane_doe *admin*' } })).Assignee).toBe(
      'jane\\_doe \\*admin\\*'
    );
  });

  it('links the title only to http(s) URLs', () => {
    expect(buildAlertMessage(group({ url: 'https://tracker.example/issues/12345/' })).embeds[0]?.url).toBe(
      'https://tracker.example/issues/12345/'
    );
    expect(buildAlertMessage(group({ url: 'javascript:alert(1)' })).embeds[0]).not.toHaveProperty('url');
    expect(buildAlertMessage(group({ url: 'not a url' })).embeds[0]).not.toHaveProperty('url');
  });

  it('colours by level and treats an unknown or missing level as an error', () => {
    const color = (level?: string): number | undefined => buildAlertMessage(group({ level })).embeds[0]?.color;
    expect(color('warning')).toBe(0xf18500);
    expect(color('info')).toBe(0x2788ce);
    expect(color('fatal')).toBe(0xd20f2a);
    expect(color()).toBe(0xe03e2f);
    expect(color('bogus')).toBe(0xe03e2f);
  });

  it("truncates a title to Discord's 256 characters", () => {
    const title = buildAlertMessage(group({ title: 'x'.repeat(300) })).embeds[0]?.title ?? '';
    expect(title).toHaveLength(256);
    expect(title.endsWith('…')).toBe(true);
  });
});

describe('change replies', () => {
  it.each<[ChangeNotice, string]>([
    [
      { kind: 'assigned', assigneeName: 'Jane Doe', assigneeType: 'user', source: jira },
      'Assigned to Jane Doe from Jira APP-123',
    ],
    [{ kind: 'resolved_in_next_release', source: jira }, 'Resolved in the next release from Jira APP-123'],
    [{ kind: 'resolved', source: { provider: 'discord', label: 'jane' } }, 'Resolved from Discord jane'],
  ])('%j → %p (the shared wording, as is)', (notice, text) => {
    expect(buildChangeReply(notice)).toBe(text);
  });

  it('escapes markdown and mention syntax in the Discord reply only', () => {
    const notice: ChangeNotice = { kind: 'assigned', assigneeName: '<@123> _x_', assigneeType: 'user', source: jira };
    expect(changeText(notice)).toBe('Assigned to <@123> _x_ from Jira APP-123');
    expect(buildChangeReply(notice)).toBe('Assigned to \\<@123\\> \\_x\\_ from Jira APP-123');
  });

  it("truncates a reply to Discord's 2000 characters", () => {
    const reply = buildChangeReply({ kind: 'assigned', assigneeName: 'x'.repeat(2100), source: jira });
    expect(reply).toHaveLength(2000);
    expect(reply.endsWith('…')).toBe(true);
  });
});

describe('no email ever reaches a message', () => {
  const emailName = 'jane.doe@example.com';

  it.each<[string, () => unknown]>([
    ['alert with an email user name', () => buildAlertMessage(group({ assignee: { type: 'user', name: emailName } }))],
    [
      'alert with a "Name <email>" user name',
      () => buildAlertMessage(group({ assignee: { type: 'user', name: `Jane <${emailName}>` } })),
    ],
    ['alert with an email in the title', () => buildAlertMessage(group({ title: `Login failed for ${emailName}` }))],
    [
      'alert with an email-like team name',
      () => buildAlertMessage(group({ assignee: { type: 'team', name: emailName } })),
    ],
    ['alert with an email in the short id', () => buildAlertMessage(group({ shortId: emailName }))],
    ['reply naming an email', () => buildChangeReply({ kind: 'assigned', assigneeName: emailName, source: jira })],
    [
      'reply with an email label',
      () => buildChangeReply({ kind: 'resolved', source: { provider: 'api', label: emailName } }),
    ],
    [
      'reply with an email in a Jira label',
      () => buildChangeReply({ kind: 'resolved', source: { provider: 'jira', label: emailName } }),
    ],
  ])('%s', (_name, build) => {
    expect(JSON.stringify(build())).not.toMatch(EMAIL);
  });
});

describe('escapeDiscordMarkdown', () => {
  it('escapes inline markdown, mention brackets and a leading heading or quote marker', () => {
    expect(escapeDiscordMarkdown('a*b_c~d`e|f[g]h<i>\\')).toBe('a\\*b\\_c\\~d\\`e\\|f\\[g\\]h\\<i\\>\\\\');
    expect(escapeDiscordMarkdown('# big')).toBe('\\# big');
    expect(escapeDiscordMarkdown('#backend')).toBe('#backend');
  });
});
