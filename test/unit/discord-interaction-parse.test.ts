import { InputError } from '../../src/api/errors';
import { parseComponent, parseInteraction, peekApplicationId } from '../../src/api/parse/discord-interaction';
import { componentInteraction } from '../support/discord-signing';

const raw = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('custom_id → component request', () => {
  test('dialogs and state changes', () => {
    expect(parseComponent('assign_dialog:12')).toEqual({ kind: 'dialog', dialog: 'assign', groupId: 12 });
    expect(parseComponent('resolve_dialog:12')).toEqual({ kind: 'dialog', dialog: 'resolve', groupId: 12 });
    expect(parseComponent('assign:12', ['user:42'])).toEqual({
      kind: 'change',
      action: { kind: 'assign', value: 'user:42' },
      groupId: 12,
    });
    expect(parseComponent('assign:12', ['team:7']).kind).toBe('change');
    expect(parseComponent('assign:12', ['none']).kind).toBe('change');
    expect(parseComponent('resolve:12', ['inNextRelease'])).toEqual({
      kind: 'change',
      action: { kind: 'resolve', value: 'inNextRelease' },
      groupId: 12,
    });
    expect(parseComponent('resolve:12')).toMatchObject({ action: { kind: 'resolve', value: 'immediately' } });
    expect(parseComponent('unresolve:3')).toMatchObject({ action: { kind: 'unresolve' } });
    expect(parseComponent('mark_ongoing:3')).toMatchObject({ action: { kind: 'mark_ongoing' } });
    expect(parseComponent('archive:3')).toMatchObject({ action: { kind: 'archive' } });
  });

  test('unknown actions, bad group ids and bad values say why', () => {
    expect(parseComponent('explode:12')).toEqual({ kind: 'invalid', reason: 'unknown_action' });
    expect(parseComponent('')).toEqual({ kind: 'invalid', reason: 'unknown_action' });
    for (const id of [
      'assign_dialog:abc',
      'archive:',
      'archive',
      'archive:0',
      'archive:12.5',
      'archive:99999999999999999',
    ])
      expect(parseComponent(id)).toEqual({ kind: 'invalid', reason: 'bad_group_id' });
    expect(parseComponent('assign:12')).toEqual({ kind: 'invalid', reason: 'bad_value' });
    expect(parseComponent('assign:12', ['user:abc'])).toEqual({ kind: 'invalid', reason: 'bad_value' });
    expect(parseComponent('resolve:12', ['tomorrow'])).toEqual({ kind: 'invalid', reason: 'bad_value' });
  });
});

describe('interaction bodies', () => {
  test('PING', () => {
    expect(parseInteraction(raw({ id: '1', application_id: '2', type: 1 }))).toEqual({ kind: 'ping' });
  });

  test('a component click in a guild: member.user, message flags, values', () => {
    const body = componentInteraction({
      id: '55',
      applicationId: '9',
      customId: 'assign:4',
      values: ['none'],
      userId: '77',
      username: 'jane',
      token: 'tok',
      messageId: '88',
      messageFlags: 64,
    });
    const parsed = parseInteraction(raw(body));
    expect(parsed).toEqual({
      kind: 'component',
      base: {
        id: '55',
        applicationId: '9',
        token: 'tok',
        guildId: '808000000000000000',
        channelId: '1011000000000000000',
        userId: '77',
        userName: 'jane',
        messageId: '88',
        messageEphemeral: true,
      },
      component: { kind: 'change', action: { kind: 'assign', value: 'none' }, groupId: 4 },
    });
  });

  test('a DM click takes user.id and has no guild', () => {
    const parsed = parseInteraction(
      raw(componentInteraction({ applicationId: '9', guildId: null, customId: 'archive:1', userId: '5' }))
    );
    expect(parsed).toMatchObject({ kind: 'component', base: { guildId: null, userId: '5' } });
  });

  test('other interaction types are unsupported; malformed bodies are InputErrors', () => {
    expect(
      parseInteraction(raw({ ...componentInteraction({ applicationId: '9', customId: 'x' }), type: 2 })).kind
    ).toBe('unsupported');
    expect(() => parseInteraction(Buffer.from('{'))).toThrow(InputError);
    expect(() => parseInteraction(raw({ id: 'x', application_id: '1', type: 3 }))).toThrow(/id/);
    const noUser = componentInteraction({ applicationId: '9', customId: 'archive:1' });
    delete noUser.member;
    expect(() => parseInteraction(raw(noUser))).toThrow(/member.user/);
  });

  test('peekApplicationId reads only a well-formed application_id', () => {
    expect(peekApplicationId(raw({ application_id: '123' }))).toBe('123');
    expect(peekApplicationId(raw({ application_id: 123 }))).toBeNull();
    expect(peekApplicationId(Buffer.from('not json'))).toBeNull();
    expect(peekApplicationId(raw(null))).toBeNull();
  });
});
