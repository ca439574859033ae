/**
 * Bot Framework activities from Teams (reference §2.5, Sentry §2.8/§3.3): card actions and their inputs, personal
 * vs channel ids, string vs number ids, invalid payloads answered (not 400), commands, mentions, the bot added,
 * bounds, and the unverified peek at serviceUrl.
 */
import { InputError } from '../../src/api/errors';
import { parseTeamsActivity, parseTeamsJson, peekServiceUrl } from '../../src/api/parse/teams-activity';

const SERVICE_URL = 'https://smba.trafficmanager.net/amer/';
const TENANT = 'f5ffd8cf-7a4e-4c1e-9a51-0f2b7b6c1d3e';
const TEAM = '19:8d46e1b2c9a54f8d9e0a7c3b2a1f0e9d@thread.tacv2';
const BOT = '28:5710acff-f313-4a8e-a0f4-b2a2c62c1d10';
const USER = '29:1Q2o9Y0pZx7wAbCdEfGhIjKlMnOpQrStUvWxYz0123456789';

/** A card Action.Submit posted back from a channel card. */
function channelSubmit(value: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return {
    type: 'message',
    id: '1598889368164',
    timestamp: '2024-05-01T12:00:00.000Z',
    localTimestamp: '2024-05-01T14:00:00.000+02:00',
    channelId: 'msteams',
    serviceUrl: SERVICE_URL,
    from: { id: USER, name: 'Jane Doe', aadObjectId: 'a6de2a64-2f7c-4b1e-8d3a-6f1e2d3c4b5a' },
    recipient: { id: BOT, name: 'issue-sync' },
    conversation: {
      isGroup: true,
      conversationType: 'channel',
      tenantId: TENANT,
      id: `${TEAM};messageid=1594836399000`,
    },
    replyToId: '1594836399000',
    channelData: {
      tenant: { id: TENANT },
      team: { id: TEAM, name: 'Payments' },
      channel: { id: TEAM },
      source: { name: 'message' },
    },
    value,
    ...overrides,
  };
}

/** The same from a card in the personal chat with the bot. */
function personalSubmit(value: Record<string, unknown>) {
  return channelSubmit(value, {
    conversation: { conversationType: 'personal', tenantId: TENANT, id: 'a:1rLdXyZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ' },
    channelData: { tenant: { id: TENANT } },
  });
}

const payload = (actionType: unknown, extra: Record<string, unknown> = {}) => ({
  payload: { actionType, groupId: 12345, integrationId: 77, ...extra },
});

function personalMessage(text: string | undefined, conversationType = 'personal') {
  const a: Record<string, unknown> = channelSubmit(
    {},
    {
      conversation: { conversationType, tenantId: TENANT, id: 'a:1rLdXyZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ' },
      channelData: { tenant: { id: TENANT } },
      replyToId: undefined,
      text,
    }
  );
  delete a.value;
  return a;
}

const actionOf = (body: unknown) => {
  const r = parseTeamsActivity(body);
  if (r.kind !== 'cardAction') throw new Error(`expected cardAction, got ${JSON.stringify(r)}`);
  return r;
};

describe('card actions', () => {
  test('resolve reads resolveInput; missing or empty → immediately', () => {
    expect(actionOf(channelSubmit({ ...payload('1'), resolveInput: 'resolved' })).action).toEqual({
      kind: 'resolve',
      value: 'immediately',
    });
    expect(actionOf(channelSubmit({ ...payload('1'), resolveInput: 'resolved:inNextRelease' })).action).toEqual({
      kind: 'resolve',
      value: 'inNextRelease',
    });
    expect(actionOf(channelSubmit({ ...payload('1'), resolveInput: 'resolved:inCurrentRelease' })).action).toEqual({
      kind: 'resolve',
      value: 'inCurrentRelease',
    });
    expect(actionOf(channelSubmit(payload('1'))).action).toEqual({ kind: 'resolve', value: 'immediately' });
    expect(actionOf(channelSubmit({ ...payload('1'), resolveInput: '' })).action).toMatchObject({
      value: 'immediately',
    });
  });

  test('archive (optional archiveInput), assign (ME / user / team), unresolve, unassign', () => {
    expect(actionOf(channelSubmit({ ...payload('2'), archiveInput: '-1' })).action).toEqual({ kind: 'archive' });
    expect(actionOf(channelSubmit(payload('2'))).action).toEqual({ kind: 'archive' });
    expect(actionOf(channelSubmit({ ...payload('3'), assignInput: 'ME' })).action).toEqual({
      kind: 'assign',
      value: 'ME',
    });
    expect(actionOf(channelSubmit(payload('3'))).action).toEqual({ kind: 'assign', value: 'ME' });
    expect(actionOf(channelSubmit({ ...payload('3'), assignInput: 'user:42' })).action).toEqual({
      kind: 'assign',
      value: 'user:42',
    });
    expect(actionOf(channelSubmit({ ...payload('3'), assignInput: 'team:7' })).action).toEqual({
      kind: 'assign',
      value: 'team:7',
    });
    expect(actionOf(channelSubmit(payload('4'))).action).toEqual({ kind: 'unresolve' });
    expect(actionOf(channelSubmit(payload('5'))).action).toEqual({ kind: 'unassign' });
  });

  test('a channel card: card updates go to channelData.channel.id; the whole reference', () => {
    const r = actionOf(channelSubmit(payload('4')));
    expect(r).toEqual({
      kind: 'cardAction',
      activityId: '1598889368164',
      integrationId: 77,
      groupId: 12345,
      action: { kind: 'unresolve' },
      conversation: {
        serviceUrl: SERVICE_URL,
        conversationId: `${TEAM};messageid=1594836399000`,
        conversationType: 'channel',
        cardConversationId: TEAM,
        replyToId: '1594836399000',
        fromId: USER,
        fromName: 'Jane Doe',
        botId: BOT,
        tenantId: TENANT,
        teamId: TEAM,
      },
    });
  });

  test('a personal card: conversation.id, tenant from conversation when channelData has none, no team', () => {
    const body = personalSubmit(payload('5'));
    const r = actionOf(body);
    expect(r.conversation).toMatchObject({
      conversationType: 'personal',
      conversationId: 'a:1rLdXyZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ',
      cardConversationId: 'a:1rLdXyZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ',
      tenantId: TENANT,
      teamId: null,
    });
    const noType = { ...body, conversation: { id: 'a:1x' }, channelData: {}, from: { id: USER } };
    expect(actionOf(noType).conversation).toMatchObject({
      conversationType: 'personal',
      cardConversationId: 'a:1x',
      tenantId: null,
      fromName: '',
    });
  });

  test('numbers and numeric strings for actionType, groupId and integrationId; integrationId may be absent', () => {
    const r = actionOf(channelSubmit({ payload: { actionType: 4, groupId: '12345', integrationId: '77' } }));
    expect(r).toMatchObject({ groupId: 12345, integrationId: 77, action: { kind: 'unresolve' } });
    expect(actionOf(channelSubmit({ payload: { actionType: '5', groupId: 9 } })).integrationId).toBeNull();
    expect(actionOf(channelSubmit({ payload: { actionType: 1, groupId: 9, integrationId: null } })).integrationId).toBe(
      null
    );
  });

  test.each([
    ['unknown actionType', payload('6'), /not one issue-sync knows/],
    ['actionType 0', payload(0), /not one issue-sync knows/],
    ['actionType " 1"', payload(' 1'), /not one issue-sync knows/],
    ['actionType 1.5', payload(1.5), /not one issue-sync knows/],
    ['groupId text', payload('1', { groupId: 'abc' }), /group id/],
    ['groupId 0', payload('1', { groupId: 0 }), /group id/],
    ['groupId negative', payload('1', { groupId: -4 }), /group id/],
    ['groupId past 2^53', payload('1', { groupId: '99999999999999999' }), /group id/],
    ['groupId missing', { payload: { actionType: '1' } }, /group id/],
    ['integrationId text', payload('1', { integrationId: 'x' }), /integration id/],
    ['bad resolveInput', { ...payload('1'), resolveInput: 'tomorrow' }, /resolve choice/],
    ['bad archiveInput', { ...payload('2'), archiveInput: '5' }, /archive choice/],
    ['assignInput none', { ...payload('3'), assignInput: 'none' }, /assignee choice/],
    ['assignInput user:abc', { ...payload('3'), assignInput: 'user:abc' }, /assignee choice/],
    ['assignInput number', { ...payload('3'), assignInput: 42 }, /assignee choice/],
  ])('%s → invalidCardAction with the reason in words', (_name, value, reason) => {
    const r = parseTeamsActivity(channelSubmit(value));
    expect(r).toMatchObject({ kind: 'invalidCardAction', activityId: '1598889368164', reason: expect.any(String) });
    expect(r.kind === 'invalidCardAction' && r.reason).toMatch(reason);
    expect(r.kind === 'invalidCardAction' && r.conversation.cardConversationId).toBe(TEAM);
  });

  test('an action without what its reply needs is a 400 naming the field', () => {
    const body = channelSubmit(payload('1'));
    const without = (key: string, value: unknown) => ({ ...body, [key]: value });
    expect(() => parseTeamsActivity(without('from', { name: 'Jane' }))).toThrow(new InputError('from.id: required'));
    expect(() => parseTeamsActivity(without('serviceUrl', undefined))).toThrow('serviceUrl: required');
    expect(() => parseTeamsActivity(without('recipient', undefined))).toThrow('recipient.id: required');
    expect(() => parseTeamsActivity(without('conversation', {}))).toThrow('conversation.id: required');
    expect(() => parseTeamsActivity(without('id', undefined))).toThrow('id: required');
  });
});

describe('bounds', () => {
  const body = channelSubmit(payload('1'));
  test('ids, text and serviceUrl are bounded; names are cut', () => {
    expect(() => parseTeamsActivity({ ...body, from: { id: 'x'.repeat(513) } })).toThrow(/^from\.id: at most 512/);
    expect(() => parseTeamsActivity({ ...body, from: { id: 42 } })).toThrow(/^from\.id: /);
    expect(() => parseTeamsActivity({ ...personalMessage('x'.repeat(4097)) })).toThrow(/^text: at most 4096/);
    expect(() => parseTeamsActivity({ ...body, serviceUrl: 'ftp://smba.example/' })).toThrow(
      'serviceUrl: must be an http(s) URL'
    );
    expect(() => parseTeamsActivity({ ...body, serviceUrl: 'https://u:p@smba.example/' })).toThrow(/serviceUrl/);
    expect(() => parseTeamsActivity({ ...body, serviceUrl: `https://a.example/${'x'.repeat(2048)}` })).toThrow(
      /serviceUrl: at most 2048/
    );
    expect(actionOf({ ...body, from: { id: USER, name: 'n'.repeat(300) } }).conversation.fromName).toHaveLength(256);
    expect(() => parseTeamsActivity({ id: '1' })).toThrow('type: required');
    expect(() => parseTeamsActivity(null)).toThrow('type: required');
  });
});

describe('control characters (the chaos fuzz found NUL → 500: Postgres refuses \\u0000 in jsonb)', () => {
  const body = channelSubmit(payload('1'));
  test('NUL or another control character in an id or the conversation type is a 400 naming the field', () => {
    expect(() => parseTeamsActivity({ ...body, from: { id: `${USER}\u0000` } })).toThrow(
      'from.id: must not contain control characters'
    );
    expect(() =>
      parseTeamsActivity({ ...body, channelData: { tenant: { id: `x\u0000` }, team: { id: TEAM } } })
    ).toThrow(/^channelData\.tenant\.id: must not contain control characters/);
    expect(() =>
      parseTeamsActivity({ ...body, channelData: { tenant: { id: TENANT }, team: { id: `${TEAM}\u001b` } } })
    ).toThrow(/^channelData\.team\.id: /);
    expect(() =>
      parseTeamsActivity({ ...body, conversation: { conversationType: 'channel\u0000', id: TEAM, tenantId: TENANT } })
    ).toThrow(/^conversation\.conversationType: /);
    expect(() => parseTeamsActivity({ ...body, id: '1\u0000' })).toThrow(/^id: must not contain control characters/);
  });

  test('names and text lose NUL and other controls (command text also folds whitespace)', () => {
    const named = actionOf({ ...body, from: { id: USER, name: 'Ja\u0000ne\u0007 Doe' } });
    expect(named.conversation.fromName).toBe('Jane Doe');
    const r = parseTeamsActivity(personalMessage('hel\u0000p'));
    expect(r).toMatchObject({ kind: 'command', command: 'help' });
    const other = parseTeamsActivity(personalMessage('a\tb\nc\u0000'));
    expect(other).toMatchObject({ kind: 'command', command: 'unknown', text: 'a b c' });
  });
});

describe('messages without an action', () => {
  test('personal commands: trimmed, case-insensitive, mention markup removed', () => {
    expect(parseTeamsActivity(personalMessage('  Help '))).toMatchObject({
      kind: 'command',
      command: 'help',
      text: 'Help',
    });
    expect(parseTeamsActivity(personalMessage('LINK'))).toMatchObject({ command: 'link', text: 'LINK' });
    expect(parseTeamsActivity(personalMessage('<at>issue-sync</at>&nbsp;unlink'))).toMatchObject({
      command: 'unlink',
      text: 'unlink',
    });
    expect(parseTeamsActivity(personalMessage('<at id="0">issue sync</at> help', 'groupChat'))).toMatchObject({
      kind: 'command',
      command: 'help',
      conversation: { conversationType: 'groupChat', replyToId: null },
    });
    expect(parseTeamsActivity(personalMessage('dance please'))).toMatchObject({
      command: 'unknown',
      text: 'dance please',
    });
    expect(parseTeamsActivity(personalMessage('link me'))).toMatchObject({ command: 'unknown' });
    expect(parseTeamsActivity(personalMessage(undefined))).toMatchObject({ command: 'unknown', text: '' });
  });

  test('a value without payload.actionType is a plain message, not a card action', () => {
    const a = { ...personalMessage('help'), value: { payload: { groupId: 1 } } };
    expect(parseTeamsActivity(a)).toMatchObject({ kind: 'command', command: 'help' });
  });

  const channelMessage = (entities: unknown[]) => {
    const a: Record<string, unknown> = { ...channelSubmit({}), text: '<at>issue-sync</at> help', entities };
    delete a.value;
    return a;
  };

  test('a channel message that mentions the bot → mention; otherwise ignored', () => {
    const mentionBot = { type: 'mention', text: '<at>issue-sync</at>', mentioned: { id: BOT, name: 'issue-sync' } };
    const mentionJane = { type: 'mention', text: '<at>Jane</at>', mentioned: { id: USER, name: 'Jane' } };
    expect(parseTeamsActivity(channelMessage([{ type: 'clientInfo', locale: 'en-US' }, mentionBot]))).toMatchObject({
      kind: 'mention',
      activityId: '1598889368164',
      conversation: { cardConversationId: TEAM, botId: BOT },
    });
    expect(parseTeamsActivity(channelMessage([mentionJane]))).toMatchObject({ kind: 'ignored' });
    expect(parseTeamsActivity(channelMessage([]))).toMatchObject({ kind: 'ignored' });
    expect(parseTeamsActivity(channelMessage([{ type: 'hashtag', mentioned: { id: BOT } }]))).toMatchObject({
      kind: 'ignored',
    });
  });
});

describe('conversationUpdate and other activity types', () => {
  const update = (membersAdded: unknown[]) => ({
    type: 'conversationUpdate',
    id: 'f:2b1d6c4e-0c8f-4e6a-9d5e-3a2b1c0d9e8f',
    timestamp: '2024-05-01T12:00:00.000Z',
    channelId: 'msteams',
    serviceUrl: SERVICE_URL,
    from: { id: USER, aadObjectId: 'a6de2a64-2f7c-4b1e-8d3a-6f1e2d3c4b5a' },
    recipient: { id: BOT, name: 'issue-sync' },
    conversation: { isGroup: true, conversationType: 'channel', tenantId: TENANT, id: TEAM },
    channelData: { tenant: { id: TENANT }, team: { id: TEAM, name: 'Payments' }, eventType: 'teamMemberAdded' },
    membersAdded,
  });

  test('the bot added → botAdded with the team name; someone else added → ignored', () => {
    expect(parseTeamsActivity(update([{ id: BOT }]))).toEqual({
      kind: 'botAdded',
      activityId: 'f:2b1d6c4e-0c8f-4e6a-9d5e-3a2b1c0d9e8f',
      teamName: 'Payments',
      conversation: expect.objectContaining({ conversationId: TEAM, teamId: TEAM, fromName: '' }),
    });
    expect(parseTeamsActivity(update([{ id: USER }]))).toMatchObject({ kind: 'ignored' });
    expect(parseTeamsActivity({ ...update([]), membersAdded: undefined })).toMatchObject({ kind: 'ignored' });
    const personal = { ...update([{ id: USER }, { id: BOT }]), channelData: { tenant: { id: TENANT } } };
    expect(parseTeamsActivity(personal)).toMatchObject({ kind: 'botAdded', teamName: null });
  });

  test.each(['typing', 'messageReaction', 'installationUpdate', 'invoke', 'endOfConversation'])(
    '%s → ignored without further checks',
    (type) => {
      expect(parseTeamsActivity({ type, serviceUrl: 'not a url' })).toMatchObject({ kind: 'ignored' });
    }
  );
});

describe('raw bodies', () => {
  test('peekServiceUrl reads serviceUrl and channelId and never throws', () => {
    const raw = Buffer.from(JSON.stringify(channelSubmit(payload('1'))));
    expect(peekServiceUrl(raw)).toEqual({ serviceUrl: SERVICE_URL, channelId: 'msteams' });
    expect(peekServiceUrl(Buffer.from('not json'))).toEqual({});
    expect(peekServiceUrl(Buffer.from('[1,2]'))).toEqual({});
    expect(peekServiceUrl(Buffer.from('null'))).toEqual({});
    expect(peekServiceUrl(Buffer.from('{"type":"message"}'))).toEqual({});
  });

  test('__proto__ in the JSON is plain data: it cannot supply serviceUrl or a payload', () => {
    const raw = Buffer.from('{"__proto__":{"serviceUrl":"https://evil.example/","channelId":"msteams"}}');
    expect(peekServiceUrl(raw)).toEqual({});
    expect(({} as { serviceUrl?: unknown }).serviceUrl).toBeUndefined();
    const body = channelSubmit({}) as Record<string, unknown>;
    const text = JSON.stringify(body).replace(
      '"value":{}',
      '"value":{"__proto__":{"payload":{"actionType":"5","groupId":1}}}'
    );
    expect(parseTeamsActivity(parseTeamsJson(Buffer.from(text)))).toMatchObject({ kind: 'ignored' });
    const parsed = parseTeamsJson(Buffer.from('{"value":{"payload":{}}}')) as { value: { payload: object } };
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(Object.getPrototypeOf(parsed.value.payload)).toBeNull();
    expect(() => parseTeamsJson(Buffer.from('{'))).toThrow(InputError);
  });
});
