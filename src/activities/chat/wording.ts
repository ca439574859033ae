/**
 * Provider-neutral wording of what people see about a group in chat: the status and assignee in words, the
 * sentence that announces a change, where it came from. Discord (discord/messages.ts) and the Teams card
 * builder wrap these in their own shapes and escaping.
 *
 * Privacy rule: nothing built here contains an email address. Every user-supplied string passes through
 * {@link redactEmails} (or {@link personName}), because a user's name or an error title can be an email.
 */
import type { AssigneeType, ChangeProvider, GroupChange } from '../../domain/model';
import { PROVIDER_NAMES } from '../../workflows/shared';

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
  readonly assignee: { readonly type: AssigneeType; readonly name: string } | null;
  readonly level?: string;
}

/** One change to announce in a short reply under an alert (or on a Teams card). */
export interface ChangeNotice {
  readonly kind: GroupChange['kind'];
  readonly assigneeName?: string;
  readonly assigneeType?: AssigneeType;
  /** Where the change came from; `label` is e.g. the Jira issue key (`APP-123`). */
  readonly source: { readonly provider: ChangeProvider; readonly label?: string };
}

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
export function assigneeLabel(assignee: { readonly type: AssigneeType; readonly name: string }): string {
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
