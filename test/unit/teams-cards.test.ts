/**
 * Teams Adaptive Cards (Sentry §2.8): the group card's actions per state and their Submit payloads, the assignee
 * choices and their cap, title escaping and length, never an email, and the linking / command reply cards.
 */
import type { AlertGroup } from '../../src/activities/chat/wording';
import type { AdaptiveCard } from '../../src/activities/msteams/client';
import { ADAPTIVE_CARD_CONTENT_TYPE } from '../../src/activities/msteams/client';
import {
  TEAMS_ACTION_TYPES,
  TEAMS_ASSIGN_MAX_CHOICES,
  buildAlreadyLinkedCard,
  buildGroupCard,
  buildHelpCard,
  buildLinkCard,
  buildMentionCard,
  buildTextCard,
  buildUnknownCommandCard,
  buildUnlinkedCard,
  buildWelcomeCard,
  cardActivity,
} from '../../src/activities/msteams/cards';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/;

type Group = AlertGroup & { url: string };
const group = (overrides: Partial<Group> = {}): Group => ({
  id: 12345,
  shortId: 'APP-1F',
  title: 'TypeError: x is undefined',
  url: 'https://tracker.example.com/issues/12345/?referrer=msteams',
  status: 0,
  substatus: 3,
  hasReleases: false,
  assignee: null,
  ...overrides,
});
const noChoices = { teams: [], members: [] };
const opts = { integrationId: 77, choices: noChoices };

interface Action {
  type: string;
  title: string;
  data?: { payload: Record<string, unknown> };
  card?: { body: any[]; actions: Action[] };
  url?: string;
}
const actionsOf = (c: AdaptiveCard) => (c.actions ?? []) as Action[];
const titles = (c: AdaptiveCard) => actionsOf(c).map((a) => `${a.type}:${a.title}`);
const texts = (c: AdaptiveCard) => (c.body ?? []).map((b) => (b as { text: string }).text);
const action = (c: AdaptiveCard, title: string) => actionsOf(c).find((a) => a.title === title)!;
const choiceSet = (a: Action) => a.card!.body.find((b) => b.type === 'Input.ChoiceSet');

describe('group card', () => {
  test('card header, title link, status, short id and "Unassigned"', () => {
    const c = buildGroupCard(group(), opts);
    expect(c).toMatchObject({
      type: 'AdaptiveCard',
      version: '1.2',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    });
    expect(c.body?.[0]).toEqual({
      type: 'TextBlock',
      text: '[TypeError: x is undefined](https://tracker.example.com/issues/12345/?referrer=msteams)',
      size: 'Large',
      weight: 'Bolder',
      wrap: true,
    });
    expect(texts(c)).toEqual([expect.any(String), 'Ongoing', 'APP-1F', 'Unassigned']);
  });

  test('unresolved, not archived, unassigned: Resolve, Archive, Assign; no Unassign', () => {
    const c = buildGroupCard(group(), opts);
    expect(titles(c)).toEqual(['Action.ShowCard:Resolve', 'Action.ShowCard:Archive', 'Action.ShowCard:Assign']);
    const resolve = action(c, 'Resolve');
    expect(choiceSet(resolve)).toMatchObject({
      id: 'resolveInput',
      value: 'resolved',
      choices: [{ title: 'Immediately', value: 'resolved' }],
    });
    expect(resolve.card!.actions).toEqual([
      {
        type: 'Action.Submit',
        title: 'Resolve',
        data: { payload: { actionType: '1', groupId: 12345, integrationId: 77 } },
      },
    ]);
    const archive = action(c, 'Archive');
    expect(choiceSet(archive)).toMatchObject({ id: 'archiveInput', choices: [{ value: '-1' }] });
    expect(archive.card!.actions[0]!.data).toEqual({ payload: { actionType: '2', groupId: 12345, integrationId: 77 } });
    expect(action(c, 'Assign').card!.actions[0]!.data!.payload.actionType).toBe('3');
  });

  test('hasReleases offers the next and the current release', () => {
    const c = buildGroupCard(group({ hasReleases: true }), opts);
    expect(choiceSet(action(c, 'Resolve')).choices).toEqual([
      { title: 'Immediately', value: 'resolved' },
      { title: 'In the next release', value: 'resolved:inNextRelease' },
      { title: 'In the current release', value: 'resolved:inCurrentRelease' },
    ]);
  });

  test('resolved: Unresolve submits actionType 4', () => {
    const c = buildGroupCard(group({ status: 1, substatus: null }), opts);
    expect(texts(c)[1]).toBe('Resolved');
    expect(titles(c)).toEqual(['Action.Submit:Unresolve', 'Action.ShowCard:Archive', 'Action.ShowCard:Assign']);
    expect(action(c, 'Unresolve').data).toEqual({ payload: { actionType: '4', groupId: 12345, integrationId: 77 } });
  });

  test('archived: Resolve stays, Unarchive submits actionType 4', () => {
    const c = buildGroupCard(group({ status: 2, substatus: 1 }), opts);
    expect(texts(c)[1]).toBe('Archived until escalating');
    expect(titles(c)).toEqual(['Action.ShowCard:Resolve', 'Action.Submit:Unarchive', 'Action.ShowCard:Assign']);
    expect(action(c, 'Unarchive').data!.payload.actionType).toBe(TEAMS_ACTION_TYPES.unresolve);
  });

  test('assigned: the assignee line, and Unassign submits actionType 5', () => {
    const user = buildGroupCard(group({ assignee: { type: 'user', name: 'Jane Doe' } }), opts);
    expect(texts(user)[3]).toBe('**Assigned to Jane Doe**');
    expect(titles(user)).toContain('Action.Submit:Unassign');
    expect(action(user, 'Unassign').data).toEqual({ payload: { actionType: '5', groupId: 12345, integrationId: 77 } });
    const team = buildGroupCard(group({ assignee: { type: 'team', name: 'backend' } }), opts);
    expect(texts(team)[3]).toBe('**Assigned to #backend**');
  });

  test('assign choices: Me (default), teams by slug, members by name', () => {
    const c = buildGroupCard(group(), {
      integrationId: 77,
      choices: {
        teams: [
          { id: 9, slug: 'web' },
          { id: 3, slug: 'backend' },
        ],
        members: [
          { id: 42, name: 'Zoe' },
          { id: 41, name: 'adam@example.com' },
        ],
      },
    });
    const set = choiceSet(action(c, 'Assign'));
    expect(set).toMatchObject({ type: 'Input.ChoiceSet', id: 'assignInput', value: 'ME', isMultiSelect: false });
    expect(set.choices).toEqual([
      { title: 'Me', value: 'ME' },
      { title: '#backend', value: 'team:3' },
      { title: '#web', value: 'team:9' },
      { title: 'adam', value: 'user:41' },
      { title: 'Zoe', value: 'user:42' },
    ]);
  });

  test('at most 100 choices: members are cut first, and the card says so', () => {
    const teams = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, slug: `team-${String(i).padStart(2, '0')}` }));
    const members = Array.from({ length: 150 }, (_, i) => ({ id: i + 1, name: `User ${String(i).padStart(3, '0')}` }));
    const set = choiceSet(action(buildGroupCard(group(), { integrationId: 1, choices: { teams, members } }), 'Assign'));
    expect(set.choices).toHaveLength(TEAMS_ASSIGN_MAX_CHOICES);
    expect(set.choices.filter((x: { value: string }) => x.value.startsWith('team:'))).toHaveLength(30);
    expect(set.choices.at(-1)).toEqual({ title: 'User 068', value: 'user:69' });
    const note = action(buildGroupCard(group(), { integrationId: 1, choices: { teams, members } }), 'Assign').card!
      .body;
    expect(JSON.stringify(note)).toContain('Showing the first 100 of 181 choices.');
    const manyTeams = Array.from({ length: 120 }, (_, i) => ({ id: i + 1, slug: `t${i}` }));
    const set2 = choiceSet(
      action(buildGroupCard(group(), { integrationId: 1, choices: { teams: manyTeams, members } }), 'Assign')
    );
    expect(set2.choices).toHaveLength(100);
    expect(set2.choices[0]).toEqual({ title: 'Me', value: 'ME' });
  });

  test('link-breaking characters in the title are escaped; long titles are cut', () => {
    const c = buildGroupCard(group({ title: 'Error [x](javascript:alert(1)) *bold*' }), opts);
    expect(texts(c)[0]).toBe(
      '[Error \\[x\\]\\(javascript:alert\\(1\\)\\) \\*bold\\*](https://tracker.example.com/issues/12345/?referrer=msteams)'
    );
    const long = texts(buildGroupCard(group({ title: 'a'.repeat(1000) }), opts))[0]!;
    expect(long.indexOf('](')).toBe(1 + 256);
    const weird = texts(buildGroupCard(group({ url: 'https://t.example.com/a (b)' }), opts))[0]!;
    expect(weird).toMatch(/\(https:\/\/t\.example\.com\/a%20%28b%29\)$/);
    expect(texts(buildGroupCard(group({ url: 'javascript:alert(1)' }), opts))[0]).toBe('TypeError: x is undefined');
  });

  test('emails never reach the card', () => {
    const c = buildGroupCard(
      group({
        title: 'Login failed for jane.doe@example.com',
        shortId: 'bob@example.com',
        assignee: { type: 'user', name: 'jane.doe@example.com' },
      }),
      {
        integrationId: 1,
        choices: { teams: [{ id: 1, slug: 'ops@example.com' }], members: [{ id: 2, name: 'x <a@b.io>' }] },
      }
    );
    const json = JSON.stringify(c);
    expect(json).not.toMatch(EMAIL);
    expect(texts(c)[0]).toMatch(/^\[Login failed for \\\[email\\\]\]\(/);
    expect(json).toContain('**Assigned to jane.doe**');
  });
});

describe('linking and command cards', () => {
  test('link card: OpenUrl action; no URL → no action and says to ask an administrator', () => {
    const c = buildLinkCard('https://sync.example.com/link/abc');
    expect(texts(c)[0]).toContain('You need to link your Microsoft Teams account to issue-sync');
    expect(texts(c)[0]).toContain('Your action will be applied once linked.');
    expect(c.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Link your account', url: 'https://sync.example.com/link/abc' },
    ]);
    const none = buildLinkCard(null);
    expect(none.actions).toBeUndefined();
    expect(texts(none)[0]).toMatch(/not configured here.*administrator/);
  });

  test('help lists the commands; unknown echoes the text (redacted, escaped) and the help', () => {
    const help = JSON.stringify(buildHelpCard());
    for (const cmd of ['`link`', '`unlink`', '`help`']) expect(help).toContain(cmd);
    expect(help).toContain('buttons on an issue card');
    const unknown = buildUnknownCommandCard('dance for me@example.com [now]');
    expect(texts(unknown)[0]).toBe("Sorry, I didn't understand 'dance for \\[email\\] \\[now\\]'.");
    expect(JSON.stringify(unknown)).toContain('`unlink`');
  });

  test('mention, welcome, already linked, unlinked', () => {
    expect(texts(buildMentionCard())[0]).toContain('only work in a personal chat');
    expect(texts(buildWelcomeCard('Payments'))[0]).toBe('Thanks for adding issue-sync to Payments!');
    expect(texts(buildWelcomeCard(null))[0]).toBe('Thanks for adding issue-sync!');
    expect(JSON.stringify(buildWelcomeCard('ops a@b.io'))).not.toMatch(EMAIL);
    expect(texts(buildAlreadyLinkedCard())[0]).toContain('already linked');
    expect(texts(buildUnlinkedCard(true))[0]).toContain('no longer linked');
    expect(texts(buildUnlinkedCard(false))[0]).toContain('nothing to unlink');
    expect(buildTextCard('Done.')).toEqual({
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: '1.2',
      body: [{ type: 'TextBlock', text: 'Done.', wrap: true }],
    });
  });

  test('cardActivity wraps the card as an adaptive card attachment', () => {
    const c = buildTextCard('Done.');
    expect(cardActivity(c, 'APP-1F resolved')).toEqual({
      type: 'message',
      summary: 'APP-1F resolved',
      attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: c }],
    });
    expect(cardActivity(c, 'for a@b.io').summary).toBe('for [email]');
  });
});
