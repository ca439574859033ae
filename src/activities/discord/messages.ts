/**
 * Discord shapes of what people see about a group: the alert (embed + buttons) and the short change reply,
 * with Discord's markdown escaping and length limits. The wording itself is provider-neutral
 * (../chat/wording.ts) and shared with the Teams card builder.
 */
import type { AlertGroup, ChangeNotice } from '../chat/wording';
import { assigneeLabel, changeText, redactEmails, statusLabel } from '../chat/wording';
import type { DiscordActionRow, DiscordButton, DiscordEmbed } from './client';

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
