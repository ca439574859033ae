import { createHmac } from 'node:crypto';
import {
  createLinkToken,
  InvalidLinkTokenError,
  LINK_TOKEN_TTL_MS,
  verifyLinkToken,
} from '../../src/domain/link-token';

const secret = 'test-secret-0123456789';
const now = 1_800_000_000_000;
const claims = { provider: 'discord' as const, integrationId: 7, chatUserId: '80351110224678912' };

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidLinkTokenError);
    expect((err as Error).name).toBe('InvalidLinkTokenError');
    return (err as InvalidLinkTokenError).problem;
  }
  throw new Error('expected a throw');
}

describe('link token', () => {
  it('round-trips the claims, with and without a workflow id', () => {
    const token = createLinkToken(claims, secret, now);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyLinkToken(token, secret, now + 1000)).toEqual({ ...claims, expiresAtMs: now + LINK_TOKEN_TTL_MS });

    const withRun = createLinkToken({ ...claims, provider: 'msteams', workflowId: 'discord-123' }, secret, now);
    expect(verifyLinkToken(withRun, secret, now)).toEqual({
      ...claims,
      provider: 'msteams',
      workflowId: 'discord-123',
      expiresAtMs: now + LINK_TOKEN_TTL_MS,
    });
  });

  it('is URL-safe as a path segment', () => {
    const token = createLinkToken({ ...claims, chatUserId: '?/+=&<>"' }, secret, now);
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyLinkToken(token, secret, now).chatUserId).toBe('?/+=&<>"');
  });

  it('rejects a tampered payload or mac', () => {
    const token = createLinkToken(claims, secret, now);
    const [payload, mac] = token.split('.') as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), u: '1' })
    ).toString('base64url');
    expect(problemOf(() => verifyLinkToken(`${forged}.${mac}`, secret, now))).toBe('signature');
    const flipped = (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
    expect(problemOf(() => verifyLinkToken(`${payload}.${flipped}`, secret, now))).toBe('signature');
    expect(problemOf(() => verifyLinkToken(`${payload}.${mac.slice(0, -2)}`, secret, now))).toBe('signature');
  });

  it('rejects a token signed with another secret', () => {
    const token = createLinkToken(claims, 'other-secret', now);
    expect(problemOf(() => verifyLinkToken(token, secret, now))).toBe('signature');
  });

  it('expires after 10 minutes', () => {
    const token = createLinkToken(claims, secret, now);
    expect(verifyLinkToken(token, secret, now + LINK_TOKEN_TTL_MS - 1).chatUserId).toBe(claims.chatUserId);
    expect(LINK_TOKEN_TTL_MS).toBe(600_000);
    expect(problemOf(() => verifyLinkToken(token, secret, now + LINK_TOKEN_TTL_MS))).toBe('expired');
  });

  it.each(['', '.', 'abc', 'a.b.c', 'a b.c', 'abc.', '.abc', 'a+b.c/d', 'x'.repeat(5000)])(
    'rejects malformed token #%#',
    (token) => {
      expect(problemOf(() => verifyLinkToken(token, secret, now))).toBe('format');
    }
  );

  it('rejects a well-signed payload of the wrong shape', () => {
    const sign = (payload: unknown): string => {
      const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${p}.${createHmac('sha256', secret).update(p).digest('base64url')}`;
    };
    expect(problemOf(() => verifyLinkToken(sign({ p: 'slack', i: 1, u: 'x', e: now + 1 }), secret, now))).toBe(
      'format'
    );
    expect(problemOf(() => verifyLinkToken(sign({ p: 'discord', i: '1', u: 'x', e: now + 1 }), secret, now))).toBe(
      'format'
    );
    expect(problemOf(() => verifyLinkToken(sign([1]), secret, now))).toBe('format');
    const notJson = Buffer.from('{nope').toString('base64url');
    const t = `${notJson}.${createHmac('sha256', secret).update(notJson).digest('base64url')}`;
    expect(problemOf(() => verifyLinkToken(t, secret, now))).toBe('format');
  });

  it('refuses to create a token with bad claims or no secret', () => {
    expect(() => createLinkToken(claims, '', now)).toThrow();
    expect(() => createLinkToken({ ...claims, integrationId: 0 }, secret, now)).toThrow();
    expect(() => createLinkToken({ ...claims, chatUserId: '' }, secret, now)).toThrow();
  });
});
