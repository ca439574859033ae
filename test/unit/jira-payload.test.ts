/**
 * Parsing a verified `jira:issue_updated` body into the workflow input (SPEC §3.1): schema errors name the
 * field path, the delivery key, what the workflow has to do, and that the plain email goes no further.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../../src/api/errors';
import { jiraDeliveryKey, parseJiraBody, planJiraDelivery } from '../../src/api/parse/jira-payload';
import { buildIssueUpdatedPayload, type IssueUpdatedPayloadInput } from '../support/jira-simulator';

const UPDATED = '2024-05-01T12:00:00.000Z';
const ISSUE = { id: '10042', key: 'APP-123' };

function payload(over: Partial<IssueUpdatedPayloadInput> = {}): Record<string, unknown> {
  return buildIssueUpdatedPayload({
    issue: ISSUE,
    changedFields: ['assignee'],
    updated: UPDATED,
    assignee: null,
    ...over,
  });
}

const body = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
const parse = (value: unknown) => parseJiraBody(body(value));
const plan = (value: unknown) => planJiraDelivery(parse(value));

/** The run plan's input, failing the test when the plan is a skip. */
function runInput(value: unknown) {
  const p = plan(value);
  if (p.kind !== 'run') throw new Error(`expected a run plan, got skip: ${p.reason}`);
  return p.input;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

/** The built payload's mutable pieces, for tests that break it on purpose. */
const fieldsOf = (p: Record<string, unknown>) => (p.issue as { fields: Record<string, unknown> }).fields;
const changelogOf = (p: Record<string, unknown>) =>
  p.changelog as { id: string; items: Array<Record<string, unknown>> };

describe('parseJiraBody', () => {
  it('When the body is not JSON, Then it throws InputError "body is not valid JSON"', () => {
    const err = thrown(() => parseJiraBody(Buffer.from('{"webhookEvent": ', 'utf8')));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe('body is not valid JSON');
  });

  it('When the body is empty, Then it is not valid JSON', () => {
    expect(thrown(() => parseJiraBody(Buffer.alloc(0))).message).toBe('body is not valid JSON');
  });

  it('When issue.fields is missing, Then the InputError message starts with `issue.fields`', () => {
    const err = thrown(() => parse(payload({ omitFields: true })));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message.startsWith('issue.fields')).toBe(true);
  });

  it('When webhookEvent is another event, Then the InputError names `webhookEvent`', () => {
    const p = { ...payload(), webhookEvent: 'jira:issue_created' };
    const err = thrown(() => parse(p));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message.startsWith('webhookEvent')).toBe(true);
  });

  it('When issue.key is missing, Then the InputError names `issue.key`', () => {
    const p = payload();
    delete (p.issue as Record<string, unknown>).key;
    expect(thrown(() => parse(p)).message.startsWith('issue.key')).toBe(true);
  });

  it('When the body is a JSON array, Then the InputError names the body', () => {
    const err = thrown(() => parse([]));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message.startsWith('(body)')).toBe(true);
  });

  it('When issue.id is a number, Then it is read as a string', () => {
    const p = payload();
    (p.issue as Record<string, unknown>).id = 10042;
    expect(parse(p).issue.id).toBe('10042');
  });

  it('When the payload is valid, Then extra Jira fields are kept, not rejected', () => {
    const parsed = parse(payload());
    expect(parsed.issue.key).toBe('APP-123');
    expect((parsed.issue.fields as Record<string, unknown>).summary).toBe('Issue APP-123');
  });
});

describe('parseJiraBody reads own properties only', () => {
  const text = (json: string) => parseJiraBody(Buffer.from(json, 'utf8'));
  const withItem = (item: string, fields = '{"updated":"2024-05-01T12:00:00.000+0000","assignee":null}') =>
    `{"webhookEvent":"jira:issue_updated","issue":{"id":"1","key":"APP-1","fields":${fields}},` +
    `"changelog":{"id":"9","items":[${item}]}}`;

  it('When a changelog item has no fromString/toString, Then it is accepted (not the inherited toString)', () => {
    const parsed = text(withItem('{"field":"assignee"}'));
    expect(parsed.changelog?.items?.[0]?.field).toBe('assignee');
    expect(planJiraDelivery(parsed).kind).toBe('run');
  });

  it.each(['constructor', 'valueOf', 'toString', 'hasOwnProperty', '__proto__'])(
    'When `%s` is a real key with a string, in an item and in fields, Then the payload is accepted',
    (key) => {
      const parsed = text(
        withItem(
          `{"field":"status","${key}":"x","fromString":"To Do"}`,
          `{"${key}":"x","updated":"2024-05-01T12:00:00.000+0000","status":{"statusCategory":{"key":"done"}}}`
        )
      );
      expect(planJiraDelivery(parsed)).toMatchObject({ kind: 'run', input: { statusCategory: 'done' } });
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    }
  );

  it.each(['constructor', 'valueOf', '__proto__'])(
    'When `%s` is a real key holding an object, Then nothing is polluted and the payload still parses',
    (key) => {
      const parsed = text(withItem(`{"field":"assignee","${key}":{"polluted":true}}`));
      expect(parsed.changelog?.items?.[0]?.field).toBe('assignee');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    }
  );

  it('When toString is present with a wrong type, Then a 400 names it', () => {
    const err = thrown(() => text(withItem('{"field":"assignee","toString":42}')));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^changelog\.items\.0\.toString: /);
    expect(err.message).not.toContain('function');
  });

  it.each([
    ['fromString', '42'],
    ['fromString', '{}'],
    ['toString', '["a"]'],
    ['toString', 'true'],
  ])('When %s holds %s, Then a 400 names the item key', (key, value) => {
    const err = thrown(() => text(withItem(`{"field":"assignee","${key}":${value}}`)));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(new RegExp(`^changelog\\.items\\.0\\.${key}: `));
  });

  it('When fromString/toString are null, Then the item is accepted (Jira sends null for an empty side)', () => {
    const parsed = text(withItem('{"field":"assignee","fromString":null,"toString":null}'));
    expect(planJiraDelivery(parsed).kind).toBe('run');
  });

  it.each(['constructor', 'valueOf', 'toString', '__proto__'])(
    'When `%s` in issue.fields holds a number, an object or an array, Then the payload is accepted',
    (key) => {
      for (const value of ['42', '{"polluted":true}', '[1,2]', 'null']) {
        const parsed = text(
          withItem(
            '{"field":"assignee"}',
            `{"${key}":${value},"updated":"2024-05-01T12:00:00.000+0000","assignee":null}`
          )
        );
        expect(planJiraDelivery(parsed)).toMatchObject({ kind: 'run', input: { assignee: null } });
      }
      expect(Object.prototype).not.toHaveProperty('polluted');
    }
  );

  it('When issue.fields has a `__proto__` key carrying an assignee, Then it is not read as the assignee', () => {
    const parsed = text(
      withItem('{"field":"assignee"}', '{"__proto__":{"assignee":{"accountId":"evil"}},"updated":"2024-05-01"}')
    );
    const err = thrown(() => planJiraDelivery(parsed));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^issue\.fields\.assignee: required/);
    expect(Object.prototype).not.toHaveProperty('assignee');
  });

  it('When an item has a `__proto__` key carrying its field, Then the item has no field: a 400 names it', () => {
    const err = thrown(() => text(withItem('{"__proto__":{"field":"assignee"}}')));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^changelog\.items\.0\.field: /);
    expect(Object.prototype).not.toHaveProperty('field');
  });

  it('When issue.fields has a `toString` key and a wrongly typed assignee, Then the 400 names the assignee', () => {
    const err = thrown(() => text(withItem('{"field":"assignee"}', '{"toString":"x","assignee":"someone"}')));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^issue\.fields\.assignee: /);
  });
});

describe('jiraDeliveryKey', () => {
  it('When the webhook identifier header is given, Then it is the delivery key', () => {
    const p = parse(payload({ changelogId: '555' }));
    expect(jiraDeliveryKey(p, 'd6b1f0a4-8f8f-4c1e-9a55-3f2c1f1b2a3c')).toBe('d6b1f0a4-8f8f-4c1e-9a55-3f2c1f1b2a3c');
  });

  it('When the identifier has surrounding whitespace, Then it is trimmed', () => {
    expect(jiraDeliveryKey(parse(payload()), '  abc-1 ')).toBe('abc-1');
  });

  it('When there is no identifier, Then the key is `<issue.id>:<changelog.id>:<timestamp>`', () => {
    const p = parse(payload({ changelogId: '555', timestamp: 1714564800123 }));
    expect(jiraDeliveryKey(p, undefined)).toBe('10042:555:1714564800123');
  });

  it('When the identifier is blank, Then the fallback key is used', () => {
    const p = parse(payload({ changelogId: '555', timestamp: 1714564800123 }));
    expect(jiraDeliveryKey(p, '   ')).toBe('10042:555:1714564800123');
    expect(jiraDeliveryKey(p, '')).toBe('10042:555:1714564800123');
  });

  it('When the same payload arrives twice without an identifier, Then both get the same key', () => {
    const raw = payload({ changelogId: '777', timestamp: 1714564800000 });
    expect(jiraDeliveryKey(parse(raw), undefined)).toBe(jiraDeliveryKey(parse(raw), undefined));
  });

  it('When two payloads differ only by changelog id, Then their keys differ', () => {
    const a = parse(payload({ changelogId: '1', timestamp: 1714564800000 }));
    const b = parse(payload({ changelogId: '2', timestamp: 1714564800000 }));
    expect(jiraDeliveryKey(a, undefined)).not.toBe(jiraDeliveryKey(b, undefined));
  });
});

describe('planJiraDelivery', () => {
  describe('skips', () => {
    it('When there is no changelog, Then the delivery is skipped with "no changelog"', () => {
      expect(plan(payload({ omitChangelog: true }))).toEqual({ kind: 'skip', reason: 'no changelog' });
    });

    it('When the changelog has no items, Then the delivery is skipped with "no changelog"', () => {
      expect(plan(payload({ changedFields: [] }))).toEqual({ kind: 'skip', reason: 'no changelog' });
    });

    it('When the changelog only changes unsynced fields, Then the skip reason names them', () => {
      const p = payload({ changedFields: [] });
      changelogOf(p).items = [
        { field: 'summary', fromString: 'a', toString: 'b' },
        { field: 'description', fromString: null, toString: 'c' },
        { field: 'summary', fromString: 'b', toString: 'c' },
      ];
      const result = plan(p);
      expect(result.kind).toBe('skip');
      expect(result).toEqual({ kind: 'skip', reason: expect.stringContaining('summary') });
      expect(result).toEqual({ kind: 'skip', reason: expect.stringContaining('description') });
    });
  });

  describe('assignee', () => {
    it('When the assignee changed but `fields.assignee` is absent, Then it throws InputError naming it', () => {
      const p = payload({ assignee: undefined });
      expect(fieldsOf(p)).not.toHaveProperty('assignee');
      const err = thrown(() => plan(p));
      expect(err).toBeInstanceOf(InputError);
      expect(err.message.startsWith('issue.fields.assignee')).toBe(true);
    });

    it('When `fields.assignee` is null, Then the input unassigns (assignee === null)', () => {
      const input = runInput(payload({ assignee: null }));
      expect(input.assignee).toBeNull();
    });

    it('When the payload carries the email, Then emailSha256 is the sha256 of the lower-cased email', () => {
      const email = 'Jane.Doe@Example.COM';
      const input = runInput(
        payload({ assignee: { accountId: 'acc-jane', displayName: 'Jane Doe', emailAddress: email } })
      );
      const expected = createHash('sha256').update('jane.doe@example.com', 'utf8').digest('hex');
      expect(input.assignee).toEqual({ accountId: 'acc-jane', emailSha256: expected });
    });

    it('When the payload carries the email, Then the plain email appears nowhere in the plan', () => {
      const email = 'Jane.Doe@Example.COM';
      const json = JSON.stringify(
        plan(payload({ assignee: { accountId: 'acc-jane', displayName: 'Jane Doe', emailAddress: email } }))
      );
      expect(json).not.toContain(email);
      expect(json.toLowerCase()).not.toContain(email.toLowerCase());
      expect(json).not.toContain('@');
    });

    it('When the profile hides the email, Then emailSha256 is null and the accountId is kept', () => {
      const input = runInput(payload({ assignee: { accountId: 'acc-hidden', displayName: 'Hidden' } }));
      expect(input.assignee).toEqual({ accountId: 'acc-hidden', emailSha256: null });
    });

    it('When the email is an empty string, Then emailSha256 is null', () => {
      const input = runInput(payload({ assignee: { accountId: 'acc-x', emailAddress: '' } }));
      expect(input.assignee).toEqual({ accountId: 'acc-x', emailSha256: null });
    });

    it('When only the assignee changed, Then the plan has no status or move', () => {
      const p = plan(payload({ assignee: null }));
      expect(p).toEqual({
        kind: 'run',
        fields: ['assignee'],
        input: { issue: { id: '10042', key: 'APP-123' }, eventAt: UPDATED, assignee: null },
      });
    });
  });

  describe('status', () => {
    it('When the status changed, Then the input carries the snapshot statusCategory key', () => {
      const input = runInput(payload({ changedFields: ['status'], statusCategoryKey: 'done' }));
      expect(input.statusCategory).toBe('done');
      expect(input).not.toHaveProperty('assignee');
    });

    it('When the status changed to an in-progress status, Then the key is `indeterminate`', () => {
      expect(runInput(payload({ changedFields: ['status'], statusCategoryKey: 'indeterminate' })).statusCategory).toBe(
        'indeterminate'
      );
    });

    it('When the status changed but the snapshot has no statusCategory, Then it throws InputError', () => {
      const p = payload({ changedFields: ['status'], statusCategoryKey: 'done' });
      delete (fieldsOf(p).status as Record<string, unknown>).statusCategory;
      const err = thrown(() => plan(p));
      expect(err).toBeInstanceOf(InputError);
      expect(err.message.startsWith('issue.fields.status.statusCategory.key')).toBe(true);
    });

    it('When the status changed but the snapshot has no status, Then it throws InputError', () => {
      const p = payload({ changedFields: ['status'] });
      delete fieldsOf(p).status;
      expect(thrown(() => plan(p))).toBeInstanceOf(InputError);
    });

    it('When the status did not change, Then a missing statusCategory does not matter', () => {
      const p = payload({ changedFields: ['assignee'] });
      delete (fieldsOf(p).status as Record<string, unknown>).statusCategory;
      expect(runInput(p)).not.toHaveProperty('statusCategory');
    });
  });

  describe('moves', () => {
    it('When the Key changed, Then moved.previousKey is the Key item fromString', () => {
      const input = runInput(payload({ changedFields: ['Key', 'project'], from: { key: 'OLD-7' } }));
      expect(input.moved).toEqual({ previousKey: 'OLD-7' });
    });

    it('When only the project changed, Then moved.previousKey is null', () => {
      const input = runInput(payload({ changedFields: ['project'], from: { project: { id: '1', key: 'OLD' } } }));
      expect(input.moved).toEqual({ previousKey: null });
    });

    it('When nothing moved, Then there is no `moved`', () => {
      expect(runInput(payload())).not.toHaveProperty('moved');
    });
  });

  it('When several synced fields changed alongside unsynced ones, Then `fields` lists only the synced ones', () => {
    const p = payload({ changedFields: ['assignee', 'status', 'Key'], statusCategoryKey: 'new', from: { key: 'X-1' } });
    changelogOf(p).items.push({ field: 'summary', fromString: 'a', toString: 'b' });
    const result = plan(p);
    expect(result.kind).toBe('run');
    if (result.kind !== 'run') return;
    expect(result.fields).toEqual(['assignee', 'status', 'Key']);
    expect(result.input).toEqual({
      issue: { id: '10042', key: 'APP-123' },
      eventAt: UPDATED,
      assignee: null,
      statusCategory: 'new',
      moved: { previousKey: 'X-1' },
    });
  });

  describe('eventAt', () => {
    it('When fields.updated is present, Then eventAt is taken from it, not from timestamp', () => {
      const input = runInput(
        payload({ updated: '2024-05-01T12:34:56.789Z', timestamp: Date.parse('2024-05-02T00:00:00.000Z') })
      );
      expect(input.eventAt).toBe('2024-05-01T12:34:56.789Z');
    });

    it('When fields.updated is absent, Then eventAt falls back to the webhook timestamp', () => {
      const p = payload({ timestamp: Date.parse('2024-05-02T00:00:00.000Z') });
      delete fieldsOf(p).updated;
      expect(runInput(p).eventAt).toBe('2024-05-02T00:00:00.000Z');
    });

    it('When neither fields.updated nor timestamp is present, Then eventAt is null', () => {
      const p = payload();
      delete fieldsOf(p).updated;
      delete p.timestamp;
      expect(runInput(p).eventAt).toBeNull();
    });
  });
});

/**
 * Hostile input (issue 12, holes 1, 3 and 4): everything that reaches a workflow id, a search attribute, a Postgres
 * column or the watermark is refused at parse time with a 400 naming the field, never a 500 or a 503 later.
 */
describe('hostile input', () => {
  const NOW = Date.parse('2026-12-07T09:00:00.000Z');
  const DAY = 24 * 60 * 60 * 1000;
  const parseAt = (value: unknown, now = NOW) => parseJiraBody(body(value), now);

  it('When the webhook identifier is longer than 200 bytes, Then it is a 400 naming the header', () => {
    const p = parse(payload());
    const err = thrown(() => jiraDeliveryKey(p, 'x'.repeat(996)));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^X-Atlassian-Webhook-Identifier: /);
    expect(thrown(() => jiraDeliveryKey(p, 'é'.repeat(101))).message).toMatch(/at most 200 bytes/);
    expect(jiraDeliveryKey(p, 'x'.repeat(200))).toBe('x'.repeat(200));
  });

  it('When the webhook identifier has a control character, Then it is a 400 naming the header', () => {
    expect(thrown(() => jiraDeliveryKey(parse(payload()), 'a\tb')).message).toMatch(/^X-Atlassian-Webhook-Identifier/);
  });

  it('When issue.key is longer than 255 characters, Then it is a 400 naming issue.key', () => {
    const err = thrown(() => parse(payload({ issue: { id: '10042', key: 'K'.repeat(2048) } })));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe('issue.key: must be at most 255 characters');
    expect(parse(payload({ issue: { id: '10042', key: 'K'.repeat(255) } })).issue.key).toHaveLength(255);
  });

  it('When issue.id is longer than 64 characters, Then it is a 400 naming issue.id', () => {
    expect(thrown(() => parse(payload({ issue: { id: '1'.repeat(65), key: 'APP-1' } }))).message).toMatch(
      /^issue\.id: /
    );
  });

  it.each([
    ['issue.key', { id: '10042', key: 'APP-1\u0000' }],
    ['issue.id', { id: '100\u000042', key: 'APP-1' }],
  ])('When %s contains a NUL character, Then it is a 400 naming it', (field, issue) => {
    const err = thrown(() => parse(payload({ issue })));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(`${field}: must not contain control characters`);
  });

  it('When the assignee accountId or a changelog field contains NUL, Then it is a 400 naming it', () => {
    const a = payload({ assignee: { accountId: 'acc\u0000' } });
    expect(thrown(() => parse(a)).message).toBe('issue.fields.assignee.accountId: must not contain NUL characters');
    const c = payload();
    changelogOf(c).items[0]!.field = 'assignee\u0000';
    expect(thrown(() => parse(c)).message).toBe('changelog.items.0.field: must not contain NUL characters');
  });

  it('When the previous key of a move contains a control character, Then it is a 400 naming it', () => {
    const p = payload({ changedFields: ['Key'], from: { key: 'OLD-1\u0000' } });
    expect(thrown(() => plan(p)).message).toMatch(/^changelog\.items\.0\.fromString: /);
  });

  it.each([1e20, -1e20, 8.64e15 + 1, 0, Date.parse('1999-12-31T23:59:59.999Z'), NOW + DAY + 1])(
    'When timestamp is %p (without fields.updated), Then it is a 400 naming timestamp, not a RangeError',
    (timestamp) => {
      const p = payload({ timestamp });
      delete fieldsOf(p).updated;
      const err = thrown(() => parseAt(p));
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toMatch(/^timestamp: must lie between 2000-01-01 and one day after receipt/);
    }
  );

  it.each([
    '10000-01-01T00:00:00.000+0000',
    '+010000-01-01T00:00:00.000Z',
    '9999-12-31T00:00:00.000+0000',
    '1999-12-31T23:59:59.999+0000',
    new Date(NOW + DAY + 60_000).toISOString(),
  ])('When fields.updated is %p, Then it is a 400 naming issue.fields.updated', (updated) => {
    const p = payload({ timestamp: NOW });
    fieldsOf(p).updated = updated;
    const err = thrown(() => parseAt(p));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(
      /^issue\.fields\.updated: must (lie between 2000-01-01 and one day after receipt|be a time)/
    );
  });

  it('When the event times lie within a day after receipt, Then they are accepted (clock skew)', () => {
    const ahead = new Date(NOW + DAY - 60_000).toISOString();
    const p = payload({ updated: ahead, timestamp: NOW + DAY });
    expect(planJiraDelivery(parseAt(p))).toMatchObject({ kind: 'run', input: { eventAt: ahead } });
    expect(parseAt(payload({ updated: '2000-01-01T00:00:00.000Z' })).issue.key).toBe('APP-123');
  });
});
