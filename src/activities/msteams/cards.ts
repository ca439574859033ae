/**
 * Adaptive Cards (schema 1.2) that the Teams bot sends: the group card with actions that match the group's state
 * (Sentry §2.8), the linking card and the short command replies. Pure: no I/O; the wording comes from
 * ../chat/wording.ts and every user-supplied string passes through redactEmails / personName (never an email).
 *
 * Every Action.Submit carries `{payload: {actionType, groupId, integrationId}}`; Teams posts it back as the
 * activity's `value`, merged with the sub-card's input (`resolveInput`, `archiveInput`, `assignInput`), which
 * src/api/parse/teams-activity.ts reads.
 */
import type { AlertGroup } from '../chat/wording';
import { assigneeLabel, personName, redactEmails, statusLabel } from '../chat/wording';
import type { AdaptiveCard, TeamsOutboundActivity } from './client';
import { ADAPTIVE_CARD_CONTENT_TYPE } from './client';

export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
export const ADAPTIVE_CARD_VERSION = '1.2';

/** `value.payload.actionType`: strings, because Teams stringifies card values (as Sentry's cards do). */
export const TEAMS_ACTION_TYPES = {
  resolve: '1',
  archive: '2',
  assign: '3',
  unresolve: '4',
  unassign: '5',
} as const;

/** `resolveInput` values → resolve targets (ResolveTarget). */
export const TEAMS_RESOLVE_CHOICES = {
  resolved: 'immediately',
  'resolved:inNextRelease': 'inNextRelease',
  'resolved:inCurrentRelease': 'inCurrentRelease',
} as const;

/** `archiveInput` values offered (Sentry's `-1`: archive until the issue escalates). */
export const TEAMS_ARCHIVE_CHOICES: ReadonlyArray<{ readonly title: string; readonly value: string }> = [
  { title: 'Until escalating', value: '-1' },
];

/** `assignInput` value for the person who clicks (the run maps it to their linked tracker user). */
export const TEAMS_ASSIGN_ME = 'ME';
/** At most this many choices in the assignee list, "Me" included; members are cut first, then teams. */
export const TEAMS_ASSIGN_MAX_CHOICES = 100;

const TITLE_MAX = 256;
const CHOICE_TITLE_MAX = 100;
const ECHO_MAX = 100;

export interface GroupCardOptions {
  readonly integrationId: number;
  readonly choices: {
    readonly teams: ReadonlyArray<{ readonly id: number; readonly slug: string }>;
    readonly members: ReadonlyArray<{ readonly id: number; readonly name: string }>;
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Backslash-escapes what would break a markdown link or emphasis in a TextBlock: `\ [ ] ( ) * \``. */
export function escapeTeamsMarkdown(text: string): string {
  return text.replace(/[\\[\]()*`]/g, '\\$&');
}

/** User text for a TextBlock: one line, emails redacted, bounded, then escaped. */
function safeText(text: string, max: number): string {
  return escapeTeamsMarkdown(truncate(redactEmails(text.replace(/\s+/g, ' ').trim()), max));
}

/** An http(s) URL with `(`, `)` and spaces percent-encoded so it cannot end a markdown link early; else null. */
function linkUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
    return parsed.toString().replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/ /g, '%20');
  } catch {
    return null;
  }
}

function textBlock(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'TextBlock', text, wrap: true, ...extra };
}

function card(body: unknown[], actions: unknown[] = []): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: ADAPTIVE_CARD_SCHEMA,
    version: ADAPTIVE_CARD_VERSION,
    body,
    ...(actions.length > 0 ? { actions } : {}),
  };
}

type ActionType = (typeof TEAMS_ACTION_TYPES)[keyof typeof TEAMS_ACTION_TYPES];

function submit(title: string, actionType: ActionType, groupId: number, integrationId: number) {
  return { type: 'Action.Submit', title, data: { payload: { actionType, groupId, integrationId } } };
}

function showCard(
  title: string,
  prompt: string,
  input: { id: string; value: string; choices: ReadonlyArray<{ title: string; value: string }>; note?: string },
  action: ReturnType<typeof submit>
) {
  const choiceSet = {
    type: 'Input.ChoiceSet',
    id: input.id,
    style: 'compact',
    isMultiSelect: false,
    value: input.value,
    choices: input.choices,
  };
  const body: unknown[] = [textBlock(prompt, { weight: 'Bolder' }), choiceSet];
  if (input.note !== undefined) body.push(textBlock(input.note, { size: 'Small', isSubtle: true }));
  return { type: 'Action.ShowCard', title, card: { type: 'AdaptiveCard', body, actions: [action] } };
}

/** "Me", then teams (`#slug`, by slug), then members (by name); at most {@link TEAMS_ASSIGN_MAX_CHOICES}. */
export function assignChoices(choices: GroupCardOptions['choices']): {
  choices: Array<{ title: string; value: string }>;
  total: number;
} {
  const byTitle = (a: { title: string }, b: { title: string }) => a.title.localeCompare(b.title);
  const teams = choices.teams
    .map((t) => ({
      title: truncate(assigneeLabel({ type: 'team', name: t.slug }), CHOICE_TITLE_MAX),
      value: `team:${t.id}`,
    }))
    .sort(byTitle);
  const members = choices.members
    .map((m) => ({ title: truncate(personName(m.name), CHOICE_TITLE_MAX), value: `user:${m.id}` }))
    .sort(byTitle);
  const all = [{ title: 'Me', value: TEAMS_ASSIGN_ME }, ...teams, ...members];
  return { choices: all.slice(0, TEAMS_ASSIGN_MAX_CHOICES), total: all.length };
}

/** The actions that match the group's state: Resolve/Unresolve, Archive/Unarchive, Assign, and Unassign. */
function groupActions(group: AlertGroup, opts: GroupCardOptions): unknown[] {
  const act = (title: string, type: ActionType) => submit(title, type, group.id, opts.integrationId);
  const actions: unknown[] = [];
  if (group.status === 1) {
    actions.push(act('Unresolve', TEAMS_ACTION_TYPES.unresolve));
  } else {
    const resolveChoices = [
      { title: 'Immediately', value: 'resolved' },
      ...(group.hasReleases
        ? [
            { title: 'In the next release', value: 'resolved:inNextRelease' },
            { title: 'In the current release', value: 'resolved:inCurrentRelease' },
          ]
        : []),
    ];
    actions.push(
      showCard(
        'Resolve',
        'Resolve',
        { id: 'resolveInput', value: 'resolved', choices: resolveChoices },
        act('Resolve', TEAMS_ACTION_TYPES.resolve)
      )
    );
  }
  if (group.status === 2) {
    actions.push(act('Unarchive', TEAMS_ACTION_TYPES.unresolve));
  } else {
    actions.push(
      showCard(
        'Archive',
        'Archive',
        { id: 'archiveInput', value: TEAMS_ARCHIVE_CHOICES[0]!.value, choices: TEAMS_ARCHIVE_CHOICES },
        act('Archive', TEAMS_ACTION_TYPES.archive)
      )
    );
  }
  const { choices, total } = assignChoices(opts.choices);
  const note = total > choices.length ? `Showing the first ${choices.length} of ${total} choices.` : undefined;
  actions.push(
    showCard(
      'Assign',
      'Assign to',
      { id: 'assignInput', value: TEAMS_ASSIGN_ME, choices, ...(note !== undefined ? { note } : {}) },
      act('Assign', TEAMS_ACTION_TYPES.assign)
    )
  );
  if (group.assignee) actions.push(act('Unassign', TEAMS_ACTION_TYPES.unassign));
  return actions;
}

/**
 * The group card (posted as an alert, refreshed in place after each action): the title linked to the group, the
 * status in words, the short id, the assignee, and the actions for the group's current state.
 */
export function buildGroupCard(group: AlertGroup & { readonly url: string }, opts: GroupCardOptions): AdaptiveCard {
  const title = safeText(group.title, TITLE_MAX) || '(no title)';
  const url = linkUrl(group.url);
  const assignee = group.assignee
    ? textBlock(`**Assigned to ${escapeTeamsMarkdown(assigneeLabel(group.assignee))}**`, { size: 'Small' })
    : textBlock('Unassigned', { size: 'Small', isSubtle: true });
  return card(
    [
      textBlock(url !== null ? `[${title}](${url})` : title, { size: 'Large', weight: 'Bolder' }),
      textBlock(statusLabel(group.status, group.substatus), { size: 'Medium', weight: 'Bolder' }),
      textBlock(safeText(group.shortId, TITLE_MAX), { size: 'Small', isSubtle: true }),
      assignee,
    ],
    groupActions(group, opts)
  );
}

export const CARD_TEXT = {
  link:
    'You need to link your Microsoft Teams account to issue-sync before you can act on issues. ' +
    'Your action will be applied once linked.',
  linkNotConfigured:
    'You need to link your Microsoft Teams account to issue-sync before you can act on issues, but linking ' +
    'is not configured here. Ask an administrator of issue-sync to set it up.',
  help:
    'I am issue-sync. I post issue cards from the error tracker and keep them in sync with Jira, Discord and ' +
    'Microsoft Teams. Use the buttons on an issue card to resolve, archive or assign the issue.',
  commands:
    'Commands (in a personal chat with me):\n\n- `link`: link your Microsoft Teams account to issue-sync\n' +
    '- `unlink`: unlink your Microsoft Teams account\n- `help`: show this message',
  mention:
    'Commands only work in a personal chat with me. Open a chat with issue-sync and type `help` to see them; ' +
    'the buttons on issue cards work everywhere.',
  alreadyLinked: 'Your Microsoft Teams account is already linked to issue-sync. Type `unlink` to unlink it.',
  unlinked: 'Your Microsoft Teams account is no longer linked to issue-sync.',
  notLinked: 'Your Microsoft Teams account was not linked to issue-sync, so there was nothing to unlink.',
} as const;

/** The linking card: an "open URL" action to the signed link page, or (no URL) why linking cannot happen here. */
export function buildLinkCard(url: string | null): AdaptiveCard {
  const target = linkUrl(url);
  if (target === null) return card([textBlock(CARD_TEXT.linkNotConfigured)]);
  return card([textBlock(CARD_TEXT.link)], [{ type: 'Action.OpenUrl', title: 'Link your account', url: target }]);
}

/** One wrapped TextBlock (text shown as given; callers pass wording, not user input). */
export function buildTextCard(text: string): AdaptiveCard {
  return card([textBlock(text)]);
}

export function buildHelpCard(): AdaptiveCard {
  return card([textBlock(CARD_TEXT.help), textBlock(CARD_TEXT.commands)]);
}

/** "Sorry, I didn't understand '<text>'." (echo redacted, bounded, escaped) and the help. */
export function buildUnknownCommandCard(text: string): AdaptiveCard {
  return card([
    textBlock(`Sorry, I didn't understand '${safeText(text, ECHO_MAX)}'.`),
    textBlock(CARD_TEXT.help),
    textBlock(CARD_TEXT.commands),
  ]);
}

/** The reply to a mention in a channel. */
export function buildMentionCard(): AdaptiveCard {
  return buildTextCard(CARD_TEXT.mention);
}

/** Sent when the bot is added to a team (or a personal chat, teamName null). */
export function buildWelcomeCard(teamName: string | null): AdaptiveCard {
  const name = teamName === null ? '' : safeText(teamName, ECHO_MAX);
  const where = name === '' ? '' : ` to ${name}`;
  return card([
    textBlock(`Thanks for adding issue-sync${where}!`, { size: 'Medium', weight: 'Bolder' }),
    textBlock(
      'Issue cards posted here carry buttons to resolve, archive and assign issues. The first time you use one, ' +
        'I will ask you to link your Microsoft Teams account.'
    ),
    textBlock('Type `help` in a personal chat with me to see the commands.'),
  ]);
}

export function buildAlreadyLinkedCard(): AdaptiveCard {
  return buildTextCard(CARD_TEXT.alreadyLinked);
}

export function buildUnlinkedCard(wasLinked: boolean): AdaptiveCard {
  return buildTextCard(wasLinked ? CARD_TEXT.unlinked : CARD_TEXT.notLinked);
}

/** The outbound activity carrying one card; `summary` is what notifications show (redacted, bounded). */
export function cardActivity(content: AdaptiveCard, summary: string): TeamsOutboundActivity {
  return {
    type: 'message',
    summary: truncate(redactEmails(summary), TITLE_MAX),
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content }],
  };
}
