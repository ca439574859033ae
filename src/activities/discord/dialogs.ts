/**
 * Discord interaction answers that need no durable change (Sentry §2.7): the ephemeral assign / resolve
 * selects a dialog button opens, and the ephemeral one-line messages (not connected, unknown button, …). Pure:
 * the interactions service reads the teams and members and passes them in.
 *
 * Improvements on Sentry: the assignee select starts with "Unassign", never exceeds Discord's 25 options (the
 * placeholder says when the list was cut), and the release targets are offered only when the project has
 * releases. Names go through the shared wording (never an email).
 */
import { assigneeLabel, personName } from '../chat/wording';
import type { DiscordSelectOption, DiscordStringSelect } from './client';

/** Discord's limit on the options of one select. */
export const DISCORD_SELECT_MAX_OPTIONS = 25;
/** Discord's limit on an option's label. */
const OPTION_LABEL_MAX = 100;

export const CALLBACK_PONG = 1;
export const CALLBACK_CHANNEL_MESSAGE = 4;
export const CALLBACK_DEFERRED_UPDATE = 6;
export const EPHEMERAL = 64;

/** A callback (interaction response) as the route answers it in the HTTP body. */
export interface DiscordCallback {
  readonly type: number;
  readonly data?: {
    readonly content: string;
    readonly flags: number;
    readonly components?: ReadonlyArray<{ readonly type: 1; readonly components: readonly DiscordStringSelect[] }>;
    readonly allowed_mentions: { readonly parse: readonly [] };
  };
}

/** Why a message component cannot be acted on (the interactions parser says which). */
export type InvalidReason = 'unknown_action' | 'bad_group_id' | 'bad_value';

export const DIALOG_TEXT = {
  notConnected: 'This Discord server is not connected to issue-sync.',
  unknownAction: 'This button or menu is not one issue-sync knows.',
  badGroupId: 'This button does not name a valid issue: the group id is not a number.',
  badValue: 'That choice is not one issue-sync knows.',
  groupNotFound: 'That issue was not found in issue-sync (it may have been deleted or moved).',
  unsupported: 'issue-sync only handles its own buttons and menus here.',
  assignPrompt: 'Who should this issue be assigned to?',
  resolvePrompt: 'When should this issue be resolved?',
} as const;

const INVALID_TEXT: Readonly<Record<InvalidReason, string>> = {
  unknown_action: DIALOG_TEXT.unknownAction,
  bad_group_id: DIALOG_TEXT.badGroupId,
  bad_value: DIALOG_TEXT.badValue,
};

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** An ephemeral message (type 4, flags 64) that pings no one. */
export function ephemeralMessage(content: string): DiscordCallback {
  return {
    type: CALLBACK_CHANNEL_MESSAGE,
    data: { content: truncate(content, 2000), flags: EPHEMERAL, allowed_mentions: { parse: [] } },
  };
}

/** The ephemeral message for a component that cannot be acted on. */
export function invalidComponentMessage(reason: InvalidReason): DiscordCallback {
  return ephemeralMessage(INVALID_TEXT[reason]);
}

function selectMessage(content: string, select: DiscordStringSelect): DiscordCallback {
  return {
    type: CALLBACK_CHANNEL_MESSAGE,
    data: {
      content,
      flags: EPHEMERAL,
      components: [{ type: 1, components: [select] }],
      allowed_mentions: { parse: [] },
    },
  };
}

export interface AssignDialogInput {
  readonly groupId: number;
  /** The project's teams (any order; shown sorted by slug). */
  readonly teams: ReadonlyArray<{ readonly id: number; readonly slug: string }>;
  /** Members who reach the project (any order; shown sorted by name). */
  readonly members: ReadonlyArray<{ readonly id: number; readonly name: string }>;
  readonly current: { readonly type: 'user' | 'team'; readonly id: number } | null;
}

/**
 * The assignee select (`assign:<gid>`): "Unassign", then teams (`#slug`), then members by name, at most 25
 * options in all; when cut, the placeholder says how many of how many are shown. The current assignee is the
 * default (when it made the cut).
 */
export function buildAssignDialog(input: AssignDialogInput): DiscordCallback {
  const byLabel = (a: { label: string }, b: { label: string }) => a.label.localeCompare(b.label);
  const teams = input.teams
    .map((t) => ({
      label: assigneeLabel({ type: 'team', name: t.slug }),
      value: `team:${t.id}`,
      kind: 'team',
      id: t.id,
    }))
    .sort(byLabel);
  const members = input.members
    .map((m) => ({ label: personName(m.name), value: `user:${m.id}`, kind: 'user', id: m.id }))
    .sort(byLabel);
  const choices = [...teams, ...members];
  const room = DISCORD_SELECT_MAX_OPTIONS - 1;
  const shown = choices.slice(0, room);
  const options: DiscordSelectOption[] = [
    { label: 'Unassign', value: 'none', ...(input.current === null ? { default: true } : {}) },
    ...shown.map((c) => ({
      label: truncate(c.label, OPTION_LABEL_MAX),
      value: c.value,
      ...(input.current?.type === c.kind && input.current.id === c.id ? { default: true } : {}),
    })),
  ];
  const placeholder =
    choices.length > room ? `Select assignee (first ${room} of ${choices.length} shown)` : 'Select assignee';
  return selectMessage(DIALOG_TEXT.assignPrompt, {
    type: 3,
    custom_id: `assign:${input.groupId}`,
    placeholder,
    min_values: 1,
    max_values: 1,
    options,
  });
}

/** The resolve select (`resolve:<gid>`): Immediately; the release targets only when the project has releases. */
export function buildResolveDialog(input: {
  readonly groupId: number;
  readonly hasReleases: boolean;
}): DiscordCallback {
  const options: DiscordSelectOption[] = [
    { label: 'Immediately', value: 'immediately' },
    ...(input.hasReleases
      ? [
          { label: 'In the next release', value: 'inNextRelease' },
          { label: 'In the current release', value: 'inCurrentRelease' },
        ]
      : []),
  ];
  return selectMessage(DIALOG_TEXT.resolvePrompt, {
    type: 3,
    custom_id: `resolve:${input.groupId}`,
    placeholder: 'Select the resolution target',
    min_values: 1,
    max_values: 1,
    options,
  });
}
