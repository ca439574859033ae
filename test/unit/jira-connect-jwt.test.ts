import { createHash } from 'node:crypto';
import { encodeSymmetric, SymmetricAlgorithm } from 'atlassian-jwt';
import { SignatureError } from '../../src/api/errors';
import type { ConnectRequest, JiraSecretLookup } from '../../src/api/verify/jira-connect-jwt';
import { verifyConnectJwt } from '../../src/api/verify/jira-connect-jwt';
import { mintRs256, mintUnsignedNone, qshFor, signConnectJwt } from '../support/jira-jwt';

const NOW_MS = 1_750_000_000_000;
const NOW_S = NOW_MS / 1000;
const CLIENT_KEY = 'jira-client-key-1';
const SECRET = 'shared-secret-with-enough-entropy-0123456789';
const INTEGRATION_ID = 42;
const METHOD = 'POST';
const PATH = '/webhooks/jira';

const base = { clientKey: CLIENT_KEY, method: METHOD, path: PATH, iat: NOW_S };

function lookupStub(): jest.MockedFunction<JiraSecretLookup> {
  return jest.fn<ReturnType<JiraSecretLookup>, Parameters<JiraSecretLookup>>((clientKey) =>
    Promise.resolve(clientKey === CLIENT_KEY ? { integrationId: INTEGRATION_ID, sharedSecret: SECRET } : null)
  );
}

function headerRequest(token: string, over: Partial<ConnectRequest> = {}): ConnectRequest {
  return { method: METHOD, path: PATH, query: {}, authorization: `JWT ${token}`, ...over };
}

/** Runs the verifier expecting a SignatureError; returns its message so each test can pin the reason. */
async function rejection(req: ConnectRequest, lookup: JiraSecretLookup = lookupStub(), nowMs = NOW_MS) {
  let caught: unknown;
  try {
    await verifyConnectJwt(req, lookup, nowMs);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SignatureError);
  const message = (caught as SignatureError).message;
  expect(message).not.toContain(SECRET);
  const token = req.authorization?.replace(/^\S+\s*/, '') || req.query['jwt']?.toString() || '';
  if (token.length > 3) expect(message).not.toContain(token);
  return message;
}

describe('verifyConnectJwt: accepted requests', () => {
  it('accepts an HS256 token in the Authorization header and names the integration', async () => {
    const lookup = lookupStub();
    const token = signConnectJwt({ ...base, sharedSecret: SECRET });

    await expect(verifyConnectJwt(headerRequest(token), lookup, NOW_MS)).resolves.toEqual({
      integrationId: INTEGRATION_ID,
      clientKey: CLIENT_KEY,
    });
    expect(lookup).toHaveBeenCalledWith(CLIENT_KEY);
  });

  it('accepts the token from the ?jwt= query parameter, which is left out of qsh', async () => {
    const query = { user_id: 'abc', user_key: 'k' };
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, query });
    const req: ConnectRequest = { method: METHOD, path: PATH, query: { ...query, jwt: token } };

    await expect(verifyConnectJwt(req, lookupStub(), NOW_MS)).resolves.toEqual({
      integrationId: INTEGRATION_ID,
      clientKey: CLIENT_KEY,
    });
  });

  it('prefers the header when a query jwt is also present', async () => {
    const good = signConnectJwt({ ...base, sharedSecret: SECRET });
    const req = headerRequest(good, { query: { jwt: 'not-a-token' } });

    await expect(verifyConnectJwt(req, lookupStub(), NOW_MS)).resolves.toMatchObject({ clientKey: CLIENT_KEY });
  });

  it('verifies when query parameters arrive in a different order than they were signed', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, query: { zeta: '1', alpha: 'x y', mid: 'a&b=c' } });
    const req = headerRequest(token, { query: { mid: 'a&b=c', alpha: 'x y', zeta: '1' } });

    await expect(verifyConnectJwt(req, lookupStub(), NOW_MS)).resolves.toMatchObject({ clientKey: CLIENT_KEY });
  });

  it('computes qsh as SHA-256 of METHOD&path&sorted-encoded-query, independently of the minting helper', async () => {
    const canonical = 'POST&/webhooks/jira&alpha=x%20y&b=%21%2A&tag=a,b';
    const qsh = createHash('sha256').update(canonical).digest('hex');
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, qshOverride: qsh });
    const req = headerRequest(token, { method: 'post', query: { tag: ['b', 'a'], b: '!*', alpha: 'x y' } });

    await expect(verifyConnectJwt(req, lookupStub(), NOW_MS)).resolves.toMatchObject({ clientKey: CLIENT_KEY });
  });

  it('hashes an empty query as METHOD&path& (trailing separator)', async () => {
    const qsh = createHash('sha256').update('POST&/webhooks/jira&').digest('hex');
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, qshOverride: qsh });

    await expect(verifyConnectJwt(headerRequest(token), lookupStub(), NOW_MS)).resolves.toMatchObject({
      clientKey: CLIENT_KEY,
    });
  });

  it('verifies repeated query keys in any value order without reordering the caller’s array', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, query: { tag: ['b', 'a', 'c'], x: '1' } });
    const tags = ['c', 'b', 'a'];
    const req = headerRequest(token, { query: { x: '1', tag: tags } });

    await expect(verifyConnectJwt(req, lookupStub(), NOW_MS)).resolves.toMatchObject({ clientKey: CLIENT_KEY });
    expect(tags).toEqual(['c', 'b', 'a']);
  });

  it('ignores query keys whose value is undefined', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, query: { x: '1' } });
    const req = headerRequest(token, { query: { x: '1', absent: undefined } });

    await expect(verifyConnectJwt(req, lookupStub(), NOW_MS)).resolves.toMatchObject({ clientKey: CLIENT_KEY });
  });

  it('accepts a token that expired less than 30 s ago (clock skew), and exactly 30 s ago', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, iat: NOW_S - 209, expSeconds: 180 });
    await expect(verifyConnectJwt(headerRequest(token), lookupStub(), NOW_MS)).resolves.toMatchObject({
      clientKey: CLIENT_KEY,
    });
    const edge = signConnectJwt({ ...base, sharedSecret: SECRET, iat: NOW_S - 210, expSeconds: 180 });
    await expect(verifyConnectJwt(headerRequest(edge), lookupStub(), NOW_MS)).resolves.toMatchObject({
      clientKey: CLIENT_KEY,
    });
  });

  it('accepts the JWT scheme case-insensitively', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET });
    const req = headerRequest(token, { authorization: `jwt ${token}` });

    await expect(verifyConnectJwt(req, lookupStub(), NOW_MS)).resolves.toMatchObject({ clientKey: CLIENT_KEY });
  });
});

describe('verifyConnectJwt: rejected requests', () => {
  it('rejects a token signed with another secret', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: 'some-other-secret' });
    expect(await rejection(headerRequest(token))).toBe('bad signature');
  });

  it('rejects a token whose claims were changed after signing', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, expSeconds: -3600 });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: NOW_S + 3600 })).toString('base64url');

    expect(await rejection(headerRequest(`${header}.${forged}.${signature}`))).toBe('bad signature');
  });

  it('rejects a token with its signature stripped', async () => {
    const [header, payload] = signConnectJwt({ ...base, sharedSecret: SECRET }).split('.') as [string, string];
    expect(await rejection(headerRequest(`${header}.${payload}.`))).toBe('bad signature');
  });

  it('rejects alg "none" before looking anything up', async () => {
    const lookup = lookupStub();
    expect(await rejection(headerRequest(mintUnsignedNone(base)), lookup)).toBe('unsupported alg none');
    expect(lookup).not.toHaveBeenCalled();
  });

  it('rejects RS256 without a kid', async () => {
    const lookup = lookupStub();
    expect(await rejection(headerRequest(mintRs256(base)), lookup)).toBe('unsupported alg RS256');
    expect(lookup).not.toHaveBeenCalled();
  });

  it('rejects RS256 with a kid (a lifecycle token is not accepted on the webhook route)', async () => {
    const lookup = lookupStub();
    const token = mintRs256({ ...base, kid: 'lifecycle-key-id' });
    expect(await rejection(headerRequest(token), lookup)).toBe('unsupported alg RS256');
    expect(lookup).not.toHaveBeenCalled();
  });

  it('rejects other symmetric algorithms even with the right secret', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, alg: SymmetricAlgorithm.HS512 });
    expect(await rejection(headerRequest(token))).toBe('unsupported alg HS512');
  });

  it('rejects a token without alg, and does not echo a junk alg', async () => {
    const payload = Buffer.from(JSON.stringify({ iss: CLIENT_KEY })).toString('base64url');
    const noAlg = `${Buffer.from('{"typ":"JWT"}').toString('base64url')}.${payload}.sig`;
    expect(await rejection(headerRequest(noAlg))).toBe('missing alg');

    const junkHeader = Buffer.from(JSON.stringify({ alg: 'HS256 <script>' })).toString('base64url');
    expect(await rejection(headerRequest(`${junkHeader}.${payload}.sig`))).toBe('unsupported alg (invalid)');
  });

  it('rejects a token that expired more than 30 s ago', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, iat: NOW_S - 211, expSeconds: 180 });
    expect(await rejection(headerRequest(token))).toBe('JWT expired');
  });

  it('rejects an iat more than 30 s in the future (+1 hour, +10 years), and accepts one exactly 30 s ahead', async () => {
    for (const ahead of [31, 3600, 10 * 365 * 86_400]) {
      const token = signConnectJwt({ ...base, sharedSecret: SECRET, iat: NOW_S + ahead, expSeconds: 180 });
      expect(await rejection(headerRequest(token))).toBe('iat in the future');
    }
    const edge = signConnectJwt({ ...base, sharedSecret: SECRET, iat: NOW_S + 30, expSeconds: 180 });
    await expect(verifyConnectJwt(headerRequest(edge), lookupStub(), NOW_MS)).resolves.toMatchObject({
      clientKey: CLIENT_KEY,
    });
  });

  it('rejects a lifetime (exp - iat) beyond 10 minutes, and accepts exactly 10 minutes', async () => {
    const long = signConnectJwt({ ...base, sharedSecret: SECRET, expSeconds: 601 });
    expect(await rejection(headerRequest(long))).toBe('JWT lifetime too long');
    const decade = signConnectJwt({ ...base, sharedSecret: SECRET, expSeconds: 10 * 365 * 86_400 });
    expect(await rejection(headerRequest(decade))).toBe('JWT lifetime too long');
    const edge = signConnectJwt({ ...base, sharedSecret: SECRET, expSeconds: 600 });
    await expect(verifyConnectJwt(headerRequest(edge), lookupStub(), NOW_MS)).resolves.toMatchObject({
      clientKey: CLIENT_KEY,
    });
  });

  it('rejects, without iat, an exp more than 10 minutes ahead (10 years ahead included)', async () => {
    const sign = (exp: number) =>
      encodeSymmetric({ iss: CLIENT_KEY, exp, qsh: qshFor(METHOD, PATH) }, SECRET, SymmetricAlgorithm.HS256);
    expect(await rejection(headerRequest(sign(NOW_S + 10 * 365 * 86_400)))).toBe('exp too far ahead');
    expect(await rejection(headerRequest(sign(NOW_S + 631)))).toBe('exp too far ahead');
    await expect(verifyConnectJwt(headerRequest(sign(NOW_S + 180)), lookupStub(), NOW_MS)).resolves.toMatchObject({
      clientKey: CLIENT_KEY,
    });
  });

  it('rejects an iat that is not a number', async () => {
    const token = encodeSymmetric(
      { iss: CLIENT_KEY, iat: String(NOW_S), exp: NOW_S + 180, qsh: qshFor(METHOD, PATH) },
      SECRET,
      SymmetricAlgorithm.HS256
    );
    expect(await rejection(headerRequest(token))).toBe('invalid iat');
  });

  it('rejects a token without exp', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, omitExp: true });
    expect(await rejection(headerRequest(token))).toBe('missing exp');
  });

  it('rejects a wrong qsh', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, qshOverride: 'a'.repeat(64) });
    expect(await rejection(headerRequest(token))).toBe('qsh mismatch');
  });

  it('rejects Atlassian’s "context-qsh" on a webhook', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, qshOverride: 'context-qsh' });
    expect(await rejection(headerRequest(token))).toBe('qsh mismatch');
  });

  it('rejects a qsh computed for another path', async () => {
    const token = signConnectJwt({ ...base, path: '/webhooks/other', sharedSecret: SECRET });
    expect(await rejection(headerRequest(token))).toBe('qsh mismatch');
  });

  it('rejects a qsh computed for another method', async () => {
    const token = signConnectJwt({ ...base, method: 'GET', sharedSecret: SECRET });
    expect(await rejection(headerRequest(token))).toBe('qsh mismatch');
  });

  it('rejects a qsh computed for other query values or an added parameter', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, query: { tag: ['a', 'b'] } });
    expect(await rejection(headerRequest(token, { query: { tag: ['a', 'c'] } }))).toBe('qsh mismatch');
    expect(await rejection(headerRequest(token, { query: { tag: ['a', 'b'], extra: '1' } }))).toBe('qsh mismatch');
  });

  it('rejects a token without qsh', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET, omitQsh: true });
    expect(await rejection(headerRequest(token))).toBe('missing qsh');
  });

  it('rejects an unknown iss', async () => {
    const lookup = lookupStub();
    const token = signConnectJwt({ ...base, clientKey: 'stranger', sharedSecret: SECRET });
    expect(await rejection(headerRequest(token), lookup)).toBe('unknown iss');
    expect(lookup).toHaveBeenCalledWith('stranger');
  });

  it('rejects a token without iss', async () => {
    const token = signConnectJwt({ ...base, clientKey: '', sharedSecret: SECRET });
    expect(await rejection(headerRequest(token))).toBe('missing iss');
  });

  it('rejects a request without any token', async () => {
    expect(await rejection({ method: METHOD, path: PATH, query: {} })).toBe('missing token');
    expect(await rejection({ method: METHOD, path: PATH, query: {}, authorization: 'JWT ' })).toBe('missing token');
    expect(await rejection({ method: METHOD, path: PATH, query: { jwt: '' } })).toBe('missing token');
  });

  it('does not take a token from another authorization scheme', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET });
    expect(await rejection(headerRequest(token, { authorization: `Bearer ${token}` }))).toBe('missing token');
  });

  it('rejects a repeated jwt query parameter as ambiguous', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET });
    expect(await rejection({ method: METHOD, path: PATH, query: { jwt: [token, token] } })).toBe('more than one token');
  });

  it.each([
    ['one segment', 'abc'],
    ['two segments', 'abc.def'],
    ['four segments', 'a.b.c.d'],
    ['non-JSON header', 'bm90IGpzb24.e30.sig'],
    ['non-JSON payload', `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.bm90IGpzb24.sig`],
    [
      'array payload',
      `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('[1]').toString('base64url')}.sig`,
    ],
    ['oversized', `${'a'.repeat(9000)}.b.c`],
  ])('rejects a malformed token (%s)', async (_name, token) => {
    const lookup = lookupStub();
    expect(await rejection(headerRequest(token), lookup)).toBe('malformed token');
    expect(lookup).not.toHaveBeenCalled();
  });

  it('rejects query values it cannot hash the way Jira signed them', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET });
    const query = { nested: { a: '1' } } as unknown as ConnectRequest['query'];
    expect(await rejection(headerRequest(token, { query }))).toBe('unsupported query value');
  });

  it('rejects when the stored shared secret is empty', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET });
    const lookup: JiraSecretLookup = () => Promise.resolve({ integrationId: 1, sharedSecret: '' });
    expect(await rejection(headerRequest(token), lookup)).toBe('bad signature');
  });

  it('lets a failing lookup propagate as itself, not as a signature failure', async () => {
    const token = signConnectJwt({ ...base, sharedSecret: SECRET });
    const boom = new Error('database unreachable');
    const lookup: JiraSecretLookup = () => Promise.reject(boom);
    await expect(verifyConnectJwt(headerRequest(token), lookup, NOW_MS)).rejects.toBe(boom);
  });
});
