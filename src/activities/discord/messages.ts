/**
 * Pure builders for what people see about a group in chat. The wording lives in small provider-neutral
 * functions (`statusLabel`, `assigneeLine`, `changeText`, …) that the Teams card builder reuses; the
 * `build*` functions wrap them in Discord's shapes (embeds, action rows, markdown escaping).
 *
 * Privacy rule: nothing built here contains an email address. Every user-supplied string passes through
 * {@link redactEmails} (or {@link personName}), because a user's name or an error title can be an email.
 */
import type { GroupChange } from '../../domain/model';
import type { DiscordActionRow, DiscordButton, DiscordEmbed } from './client';

/** The group as an alert shows it. `assignee.name` is a display name or a team slug (with or without `#`). */
export interface AlertGroup {
  readonly id: number;
  readonly shortId: string;
  readonly title: string;
  readonly url?: string;
  /** 0 unresolved, 1 resolved, 2 ignored ("archived"). */
  readonly status: 0 | 1 | 2;
  readonly substatus: number | null;
  /** Decides "Resolve..." (dialog: now / next release / current release) vs a one-click "Resolve". */
  readonly hasReleases: boolean;
  readonly assignee: { readonly type: 'user' | 'team'; readonly name: string } | null;
  readonly level?: string;
}

/** One change to announce in a short reply under an alert (or on a Teams card). */
export interface ChangeNotice {
  readonly kind: GroupChange['kind'];
  readonly assigneeName?: string;
  readonly assigneeType?: 'user' | 'team';
  /** Where the change came from; `label` is e.g. the Jira issue key (`APP-123`). */
  readonly source: { readonly provider: 'jira' | 'discord' | 'msteams' | 'api'; readonly label?: string };
}

// ---- provider-neutral wording -------------------------------------------------------------------------

const EMAIL = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const WHOLE_EMAIL = new RegExp(`^${EMAIL.source}$`);

/** Replaces every email address in free text (titles, labels) with `[email]`. */
export function redactEmails(text: string): string {
  return text.replace(EMAIL, '[email]');
}

/** A person's name safe to show: an email used as a name becomes its local part; emails inside are redacted. */
export function personName(name: string): string {
  const trimmed = name.trim();
  if (WHOLE_EMAIL.test(trimmed)) return trimmed.slice(0, trimmed.indexOf('@'));
  return redactEmails(trimmed) || 'unknown user';
}

/** How an assignee is named: the person's name, or `#slug` for a team. */
export function assigneeLabel(assignee: { readonly type: 'user' | 'team'; readonly name: string }): string {
  if (assignee.type === 'user') return personName(assignee.name);
  const slug = redactEmails(assignee.name.trim()).replace(/^#/, '');
  return `#${slug || 'unknown-team'}`;
}

/** "Assigned to Jane Doe", "Assigned to #backend" or "Unassigned". */
export function assigneeLine(assignee: AlertGroup['assignee']): string {
  return assignee ? `Assigned to ${assigneeLabel(assignee)}` : 'Unassigned';
}

const UNRESOLVED_SUBSTATUS: Readonly<Record<number, string>> = {
  2: 'Escalating',
  3: 'Ongoing',
  6: 'Regressed',
  7: 'New',
};
const IGNORED_SUBSTATUS: Readonly<Record<number, string>> = {
  1: 'Archived until escalating',
  4: 'Archived until condition met',
  5: 'Archived forever',
};

/** The group's state in words: Resolved; New / Ongoing / Escalating / Regressed / Unresolved; Archived…. */
export function statusLabel(status: AlertGroup['status'], substatus: number | null): string {
  if (status === 1) return 'Resolved';
  const table = status === 2 ? IGNORED_SUBSTATUS : UNRESOLVED_SUBSTATUS;
  return (substatus != null ? table[substatus] : undefined) ?? (status === 2 ? 'Archived' : 'Unresolved');
}

const PROVIDER_NAMES = { jira: 'Jira', discord: 'Discord', msteams: 'Microsoft Teams' } as const;

/** "Jira APP-123", "Discord", "Microsoft Teams"; for the tracker's own API the label, else "the tracker". */
export function sourceLabel(source: ChangeNotice['source']): string {
  const label = source.label !== undefined ? redactEmails(source.label.trim()) : '';
  if (source.provider === 'api') return label || 'the tracker';
  const name = PROVIDER_NAMES[source.provider];
  return label ? `${name} ${label}` : name;
}

/** What changed, without where from: "Assigned to Jane Doe", "Resolved in the next release", … */
export function changeSummary(change: ChangeNotice): string {
  switch (change.kind) {
    case 'assigned':
      return change.assigneeName !== undefined
        ? `Assigned to ${assigneeLabel({ type: change.assigneeType ?? 'user', name: change.assigneeName })}`
        : 'Assigned';
    case 'unassigned':
      return 'Unassigned';
    case 'resolved':
      return 'Resolved';
    case 'resolved_in_release':
      return 'Resolved in the current release';
    case 'resolved_in_next_release':
      return 'Resolved in the next release';
    case 'unresolved':
      return 'Unresolved';
    case 'archived':
      return 'Archived';
  }
}

/** The whole sentence: "Assigned to Jane Doe from Jira APP-123". */
export function changeText(change: ChangeNotice): string {
  return `${changeSummary(change)} from ${sourceLabel(change.source)}`;
}

// ---- Discord shapes -----------------------------------------------------------------------------------

/** Discord limits (characters). */
const LIMITS = { content: 2000, title: 256, fieldValue: 1024, footer: 2048 } as const;

/** Colours by event level, as Sentry's alerts use them; unknown levels look like errors. */
const ERROR_COLOR = 0xe03e2f;
const LEVEL_COLORS: Readonly<Record<string, number>> = {
  debug: 0xfbe14f,
  info: 0x2788ce,
  warning: 0xf18500,
  error: ERROR_COLOR,
  fatal: 0xd20f2a,
};

/**
 * Escapes Discord markdown in user-supplied text (names, keys) so `Jane_Doe` stays `Jane_Doe` and `<@123>`
 * is not rendered as a mention. Discord consumes a backslash before punctuation, so readers see the text.
 */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(/[\\*_~`|<>[\]]/g, '\\$&').replace(/^([#>-])(?=\s)/, '\\$1');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function button(customId: string, label: string): DiscordButton {
  return { type: 2, style: 2, custom_id: customId, label, disabled: false };
}

/**
 * The three alert buttons (Sentry §2.7): Resolve / Resolve... / Unresolve, Archive / Mark as Ongoing,
 * Assign.... `custom_id` is `<action>:<groupId>`, which the interactions route parses.
 */
export function alertButtons(group: Pick<AlertGroup, 'id' | 'status' | 'hasReleases'>): DiscordButton[] {
  const id = group.id;
  const resolve =
    group.status === 1
      ? button(`unresolve:${id}`, 'Unresolve')
      : group.hasReleases
        ? button(`resolve_dialog:${id}`, 'Resolve...')
        : button(`resolve:${id}`, 'Resolve');
  const archive =
    group.status === 2 ? button(`mark_ongoing:${id}`, 'Mark as Ongoing') : button(`archive:${id}`, 'Archive');
  return [resolve, archive, button(`assign_dialog:${id}`, 'Assign...')];
}

function safeUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The issue alert (posted once, then edited in place on every change): one embed with the title (linked when
 * `url` is http(s)), Status and Assignee fields and the short id as footer, plus one row of buttons that
 * match the current state. Used for both the bot's channel message and an interaction's `@original`.
 */
export function buildAlertMessage(group: AlertGroup): { embeds: DiscordEmbed[]; components: DiscordActionRow[] } {
  const url = safeUrl(group.url);
  const embed: DiscordEmbed = {
    title: truncate(redactEmails(group.title.trim()) || '(no title)', LIMITS.title),
    ...(url !== undefined ? { url } : {}),
    color: LEVEL_COLORS[group.level ?? 'error'] ?? ERROR_COLOR,
    fields: [
      { name: 'Status', value: statusLabel(group.status, group.substatus), inline: true },
      {
        name: 'Assignee',
        value: truncate(
          group.assignee ? escapeDiscordMarkdown(assigneeLabel(group.assignee)) : 'Unassigned',
          LIMITS.fieldValue
        ),
        inline: true,
      },
    ],
    footer: { text: truncate(redactEmails(group.shortId), LIMITS.footer) },
  };
  return { embeds: [embed], components: [{ type: 1, components: alertButtons(group) }] };
}

/** The short reply's content, markdown-escaped for Discord: "Assigned to Jane Doe from Jira APP-123". */
export function buildChangeReply(change: ChangeNotice): string {
  return truncate(escapeDiscordMarkdown(changeText(change)), LIMITS.content);
}
