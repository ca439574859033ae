import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignatureError } from '../../src/api/errors';
import { createTeamsVerifier, TEAMS_ISSUER } from '../../src/api/verify/teams-bot-jwt';
import type { JWK } from '../../src/api/verify/teams-bot-jwt';

const APP_ID = 'app-123';
const SERVICE_URL = 'https://smba.trafficmanager.net/emea/';
const activity = { serviceUrl: SERVICE_URL, channelId: 'msteams' };
const T0 = 1_800_000_000_000;

interface Key {
  kid: string;
  privateKey: KeyObject;
  jwk: JWK;
}
async function makeKey(kid: string, endorsements: string[] = ['msteams']): Promise<Key> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, kty: 'RSA', use: 'sig', endorsements } as JWK;
  return Promise.resolve({ kid, privateKey, jwk });
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function signRs256(header: object, payload: object, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

let server: Server;
let base: string;
let published: JWK[] = [];
let metadataStatus = 200;
let jwksStatus = 200;
let metadataHits = 0;
let jwksHits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/openid') {
      metadataHits += 1;
      res.statusCode = metadataStatus;
      res.end(JSON.stringify({ issuer: TEAMS_ISSUER, jwks_uri: `${base}/keys` }));
    } else if (req.url === '/keys') {
      jwksHits += 1;
      res.statusCode = jwksStatus;
      res.end(jwksStatus === 200 ? JSON.stringify({ keys: published }) : '{"secret":"internal detail"}');
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let key: Key;
let clock: number;
beforeEach(async () => {
  key = await makeKey('k1');
  published = [key.jwk];
  metadataStatus = 200;
  jwksStatus = 200;
  metadataHits = 0;
  jwksHits = 0;
  clock = T0;
});

const verifier = () => createTeamsVerifier({ openIdMetadataUrl: `${base}/openid`, appId: APP_ID, now: () => clock });

interface TokenOpts {
  iss?: string;
  aud?: string;
  exp?: number;
  serviceurl?: string;
  kid?: string;
  signWith?: Key;
}
async function token(o: TokenOpts = {}): Promise<string> {
  const signer = o.signWith ?? key;
  const iat = Math.floor(T0 / 1000);
  const payload = {
    serviceurl: o.serviceurl ?? SERVICE_URL,
    iss: o.iss ?? TEAMS_ISSUER,
    aud: o.aud ?? APP_ID,
    iat,
    exp: o.exp ?? iat + 3600,
  };
  return Promise.resolve(signRs256({ alg: 'RS256', kid: o.kid ?? signer.kid, typ: 'JWT' }, payload, signer.privateKey));
}

async function refused(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(SignatureError);
  return (err as Error).message;
}

describe('Teams Bot Framework JWT', () => {
  it('accepts a valid token and returns its claims', async () => {
    const { claims } = await verifier().verify(`Bearer ${await token()}`, activity);
    expect(claims.iss).toBe(TEAMS_ISSUER);
    expect(claims.aud).toBe(APP_ID);
    expect(claims['serviceurl']).toBe(SERVICE_URL);
  });

  it('refuses a wrong issuer', async () => {
    const msg = await refused(verifier().verify(`Bearer ${await token({ iss: 'https://evil.example' })}`, activity));
    expect(msg).toMatch(/iss/);
  });

  it('refuses a wrong audience', async () => {
    const msg = await refused(verifier().verify(`Bearer ${await token({ aud: 'other-app' })}`, activity));
    expect(msg).toMatch(/aud/);
  });

  it('refuses a token expired beyond the 5-minute skew, accepts one within it', async () => {
    const exp = Math.floor(T0 / 1000);
    const t = await token({ exp });
    const v = verifier();
    clock = T0 + 4 * 60_000;
    await expect(v.verify(`Bearer ${t}`, activity)).resolves.toHaveProperty('claims');
    clock = T0 + 6 * 60_000;
    expect(await refused(v.verify(`Bearer ${t}`, activity))).toMatch(/exp/i);
  });

  it('refetches once on an unknown kid, and not endlessly within a minute', async () => {
    const v = verifier();
    await v.verify(`Bearer ${await token()}`, activity);
    expect(jwksHits).toBe(1);

    const rotated = await makeKey('k2');
    published = [key.jwk, rotated.jwk];
    clock += 61_000;
    await v.verify(`Bearer ${await token({ signWith: rotated })}`, activity);
    expect(jwksHits).toBe(2);

    const stranger = await makeKey('k3');
    for (let i = 0; i < 5; i += 1) {
      expect(await refused(v.verify(`Bearer ${await token({ signWith: stranger })}`, activity))).toMatch(
        /unknown signing key/
      );
    }
    expect(jwksHits).toBe(2);

    clock += 61_000;
    published = [key.jwk, rotated.jwk, stranger.jwk];
    await v.verify(`Bearer ${await token({ signWith: stranger })}`, activity);
    expect(jwksHits).toBe(3);
  });

  it('caches keys up to 24 h, then refetches', async () => {
    const v = verifier();
    const t = await token({ exp: Math.floor(T0 / 1000) + 3 * 86_400 });
    await v.verify(`Bearer ${t}`, activity);
    clock = T0 + 23 * 3_600_000;
    await v.verify(`Bearer ${t}`, activity);
    expect(jwksHits).toBe(1);
    clock = T0 + 24 * 3_600_000 + 1;
    await v.verify(`Bearer ${t}`, activity);
    expect(jwksHits).toBe(2);
  });

  it('refuses a key not endorsed for msteams', async () => {
    const skype = await makeKey('k-skype', ['skype', 'webchat']);
    published = [skype.jwk];
    const msg = await refused(verifier().verify(`Bearer ${await token({ signWith: skype })}`, activity));
    expect(msg).toMatch(/endorsed/);
  });

  it('refuses a key without endorsements', async () => {
    const bare = await makeKey('k-bare');
    delete (bare.jwk as { endorsements?: unknown }).endorsements;
    published = [bare.jwk];
    await refused(verifier().verify(`Bearer ${await token({ signWith: bare })}`, activity));
  });

  it('refuses a serviceurl claim that differs from the activity', async () => {
    const t = await token({ serviceurl: 'https://attacker.example/' });
    expect(await refused(verifier().verify(`Bearer ${t}`, activity))).toMatch(/serviceurl/);
    await refused(verifier().verify(`Bearer ${await token()}`, { channelId: 'msteams' }));
  });

  it('refuses alg none', async () => {
    const now = Math.floor(T0 / 1000);
    const unsigned = `${b64({ alg: 'none', kid: 'k1' })}.${b64({
      iss: TEAMS_ISSUER,
      aud: APP_ID,
      exp: now + 3600,
      serviceurl: SERVICE_URL,
    })}.`;
    await refused(verifier().verify(`Bearer ${unsigned}`, activity));
  });

  it('refuses HS256', async () => {
    const now = Math.floor(T0 / 1000);
    const input = `${b64({ alg: 'HS256', kid: 'k1' })}.${b64({
      iss: TEAMS_ISSUER,
      aud: APP_ID,
      exp: now + 3600,
      serviceurl: SERVICE_URL,
    })}`;
    const hs = `${input}.${createHmac('sha256', 'a-shared-secret').update(input).digest('base64url')}`;
    expect(await refused(verifier().verify(`Bearer ${hs}`, activity))).toMatch(/ALG/i);
  });

  it('refuses a missing or garbled bearer header', async () => {
    const v = verifier();
    const t = await token();
    for (const h of [undefined, '', 'Bearer', 'Bearer ', `Basic ${t}`, `JWT ${t}`, 'Bearer not-a-jwt', 'Bearer a.b']) {
      expect(await refused(v.verify(h, activity))).toMatch(/bearer/);
    }
    expect(metadataHits).toBe(0);
    await refused(v.verify('Bearer eyJ.eyJ.abc', activity));
    expect(metadataHits).toBe(0);
    expect(await refused(v.verify(`Bearer ${t.slice(0, -6)}AAAAAA`, activity))).toMatch(/signature/);
  });

  it('turns metadata and JWKS fetch failures into a SignatureError without internals', async () => {
    metadataStatus = 500;
    const t = await token();
    const m1 = await refused(verifier().verify(`Bearer ${t}`, activity));
    expect(m1).toBe('signing keys unavailable');
    metadataStatus = 200;
    jwksStatus = 503;
    const m2 = await refused(verifier().verify(`Bearer ${t}`, activity));
    expect(m2).toBe('signing keys unavailable');
    const unreachable = createTeamsVerifier({
      openIdMetadataUrl: 'http://127.0.0.1:1/openid',
      appId: APP_ID,
      now: () => clock,
    });
    expect(await refused(unreachable.verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    const throwing = createTeamsVerifier({
      openIdMetadataUrl: `${base}/openid`,
      appId: APP_ID,
      now: () => clock,
      fetch: () => Promise.reject(new Error('ECONNRESET secret-internal')),
    });
    expect(await refused(throwing.verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
  });
});
