/**
 * The provider-neutral wording Discord and Teams share: status and assignee in words, the change sentence and
 * where it came from, and the privacy rule (no email ever reaches a message).
 */
import type { AlertGroup, ChangeNotice } from '../../src/activities/chat/wording';
import {
  assigneeLine,
  changeSummary,
  changeText,
  personName,
  redactEmails,
  sourceLabel,
  statusLabel,
} from '../../src/activities/chat/wording';

const jira = { provider: 'jira', label: 'APP-123' } as const;

describe('statusLabel', () => {
  it.each<[AlertGroup['status'], number | null, string]>([
    [0, null, 'Unresolved'],
    [0, 2, 'Escalating'],
    [0, 3, 'Ongoing'],
    [0, 6, 'Regressed'],
    [0, 7, 'New'],
    [0, 99, 'Unresolved'],
    [1, null, 'Resolved'],
    [2, null, 'Archived'],
    [2, 1, 'Archived until escalating'],
    [2, 4, 'Archived until condition met'],
    [2, 5, 'Archived forever'],
  ])('status %p substatus %p → %p', (status, substatus, label) => {
    expect(statusLabel(status, substatus)).toBe(label);
  });
});

describe('change text', () => {
  it.each<[ChangeNotice, string]>([
    [
      { kind: 'assigned', assigneeName: 'Jane Doe', assigneeType: 'user', source: jira },
      'Assigned to Jane Doe from Jira APP-123',
    ],
    [
      { kind: 'assigned', assigneeName: 'backend', assigneeType: 'team', source: jira },
      'Assigned to #backend from Jira APP-123',
    ],
    [
      { kind: 'assigned', assigneeName: '#backend', assigneeType: 'team', source: jira },
      'Assigned to #backend from Jira APP-123',
    ],
    [{ kind: 'assigned', source: jira }, 'Assigned from Jira APP-123'],
    [{ kind: 'unassigned', source: jira }, 'Unassigned from Jira APP-123'],
    [{ kind: 'resolved', source: jira }, 'Resolved from Jira APP-123'],
    [{ kind: 'resolved_in_release', source: jira }, 'Resolved in the current release from Jira APP-123'],
    [{ kind: 'resolved_in_next_release', source: jira }, 'Resolved in the next release from Jira APP-123'],
    [{ kind: 'unresolved', source: jira }, 'Unresolved from Jira APP-123'],
    [{ kind: 'archived', source: jira }, 'Archived from Jira APP-123'],
    [{ kind: 'resolved', source: { provider: 'discord' } }, 'Resolved from Discord'],
    [{ kind: 'resolved', source: { provider: 'msteams' } }, 'Resolved from Microsoft Teams'],
    [{ kind: 'resolved', source: { provider: 'jira' } }, 'Resolved from Jira'],
    [{ kind: 'resolved', source: { provider: 'api' } }, 'Resolved from the tracker'],
    [{ kind: 'resolved', source: { provider: 'api', label: 'the API' } }, 'Resolved from the API'],
    [{ kind: 'unassigned', source: { provider: 'discord', label: 'jane#1' } }, 'Unassigned from Discord jane#1'],
  ])('%j → %p', (notice, text) => {
    expect(changeText(notice)).toBe(text);
  });

  it('builds the sentence from reusable pieces', () => {
    const notice: ChangeNotice = { kind: 'assigned', assigneeName: 'ops', assigneeType: 'team', source: jira };
    expect(changeSummary(notice)).toBe('Assigned to #ops');
    expect(sourceLabel(jira)).toBe('Jira APP-123');
    expect(assigneeLine({ type: 'team', name: 'ops' })).toBe('Assigned to #ops');
    expect(assigneeLine(null)).toBe('Unassigned');
  });
});

describe('no email ever reaches the wording', () => {
  const emailName = 'jane.doe@example.com';

  it('shows an email used as a name by its local part', () => {
    expect(personName(emailName)).toBe('jane.doe');
    expect(assigneeLine({ type: 'user', name: emailName })).toBe('Assigned to jane.doe');
  });

  it('redacts emails inside free text but leaves package versions alone', () => {
    expect(redactEmails('User jane@example.co.uk not found in lodash@4.17.21')).toBe(
      'User [email] not found in lodash@4.17.21'
    );
  });

  it('redacts emails in a source label', () => {
    expect(sourceLabel({ provider: 'msteams', label: emailName })).toBe('Microsoft Teams [email]');
    expect(changeText({ kind: 'resolved', source: { provider: 'api', label: emailName } })).toBe(
      'Resolved from [email]'
    );
  });
});
