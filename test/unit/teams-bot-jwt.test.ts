import { SignatureError } from '../../src/api/errors';
import {
  createTeamsVerifier,
  TEAMS_FETCH_TIMEOUT_MS,
  TEAMS_ISSUER,
  TEAMS_MAX_KEYS_RESPONSE_BYTES,
} from '../../src/api/verify/teams-bot-jwt';
import type { TeamsVerifierOptions } from '../../src/api/verify/teams-bot-jwt';
import { startTeamsSimulator, type TeamsActivityTokenClaims, type TeamsSimulator } from '../support/teams-simulator';

const APP_ID = 'app-123';
const SERVICE_URL = 'https://smba.trafficmanager.net/emea/';
const activity = { serviceUrl: SERVICE_URL, channelId: 'msteams' };
const METADATA_PATH = '/v1/.well-known/openidconfiguration';
const JWKS_PATH = '/v1/.well-known/keys';

let sim: TeamsSimulator;
let clock: number;

beforeAll(async () => {
  sim = await startTeamsSimulator({ appId: APP_ID });
});
afterAll(async () => {
  sim.releaseAll();
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  clock = Date.now();
});

const hits = (path: string): number => sim.calls.filter((c) => c.path === path).length;
const seconds = (ms: number): number => Math.floor(ms / 1000);

function verifier(extra: Partial<TeamsVerifierOptions> = {}) {
  return createTeamsVerifier({ openIdMetadataUrl: sim.openIdMetadataUrl, appId: APP_ID, now: () => clock, ...extra });
}

function token(claims: Partial<TeamsActivityTokenClaims> = {}): Promise<string> {
  return sim.signActivityToken({ serviceUrl: SERVICE_URL, aud: APP_ID, ...claims });
}

/** The verify failed with a SignatureError whose reason is short and carries no token material. */
async function refused(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(SignatureError);
  const msg = (err as Error).message;
  expect(msg.length).toBeLessThan(80);
  expect(msg).not.toMatch(/eyJ|BEGIN|secret|internal|ECONN|127\.0\.0\.1/);
  return msg;
}

describe('Teams Bot Framework JWT', () => {
  it('accepts a valid token and returns its claims', async () => {
    const { claims } = await verifier().verify(`Bearer ${await token()}`, activity);
    expect(claims.iss).toBe(TEAMS_ISSUER);
    expect(claims.aud).toBe(APP_ID);
    expect(claims['serviceurl']).toBe(SERVICE_URL);
    expect(hits(METADATA_PATH)).toBe(1);
    expect(hits(JWKS_PATH)).toBe(1);
  });

  it('accepts an aud array that contains the app id', async () => {
    const t = await token({ extra: { aud: ['someone-else', APP_ID] } });
    await expect(verifier().verify(`Bearer ${t}`, activity)).resolves.toHaveProperty('claims');
  });

  it('refuses a wrong issuer', async () => {
    const v = verifier();
    expect(await refused(v.verify(`Bearer ${await token({ iss: 'https://evil.example' })}`, activity))).toBe(
      'unexpected "iss" claim'
    );
    const noIss = await token({ extra: { iss: undefined } });
    expect(await refused(v.verify(`Bearer ${noIss}`, activity))).toBe('missing "iss" claim');
  });

  it('refuses a wrong audience', async () => {
    const v = verifier();
    expect(await refused(v.verify(`Bearer ${await token({ aud: 'other-app' })}`, activity))).toBe(
      'unexpected "aud" claim'
    );
    const noAud = await token({ extra: { aud: undefined } });
    expect(await refused(v.verify(`Bearer ${noAud}`, activity))).toBe('missing "aud" claim');
  });

  it('refuses a token expired beyond the 5-minute skew, accepts one within it', async () => {
    const start = clock;
    const t = await token({ exp: seconds(start) });
    const v = verifier();
    clock = start + 4 * 60_000;
    await expect(v.verify(`Bearer ${t}`, activity)).resolves.toHaveProperty('claims');
    clock = start + 5 * 60_000 + 1000;
    expect(await refused(v.verify(`Bearer ${t}`, activity))).toBe('token expired ("exp")');
  });

  it('refuses a token not valid yet beyond the skew ("nbf"), accepts one within it', async () => {
    const v = verifier();
    const soon = await token({ nbf: seconds(clock) + 4 * 60 });
    await expect(v.verify(`Bearer ${soon}`, activity)).resolves.toHaveProperty('claims');
    const later = await token({ nbf: seconds(clock) + 6 * 60 });
    expect(await refused(v.verify(`Bearer ${later}`, activity))).toBe('token not yet valid ("nbf")');
  });

  it('refuses a token without exp, or with a non-numeric time claim', async () => {
    const v = verifier();
    expect(await refused(v.verify(`Bearer ${await token({ omitExp: true })}`, activity))).toBe('missing "exp" claim');
    const wordy = await token({ extra: { iat: 'yesterday' } });
    expect(await refused(v.verify(`Bearer ${wordy}`, activity))).toBe('invalid "iat" claim');
  });

  it('refetches once when the JWKS rotated (unknown kid), then accepts', async () => {
    const v = verifier();
    await v.verify(`Bearer ${await token()}`, activity);
    expect(hits(JWKS_PATH)).toBe(1);

    await sim.rotateKeys();
    clock += 61_000;
    const { claims } = await v.verify(`Bearer ${await token()}`, activity);
    expect(claims.aud).toBe(APP_ID);
    expect(hits(METADATA_PATH)).toBe(2);
    expect(hits(JWKS_PATH)).toBe(2);

    await v.verify(`Bearer ${await token()}`, activity);
    expect(hits(JWKS_PATH)).toBe(2);
  });

  it('refuses a kid still unknown after the one refetch', async () => {
    const v = verifier();
    await v.verify(`Bearer ${await token()}`, activity);
    clock += 61_000;
    const stranger = await token({ kid: 'never-published' });
    expect(await refused(v.verify(`Bearer ${stranger}`, activity))).toBe('unknown signing key');
    expect(hits(JWKS_PATH)).toBe(2);
    expect(await refused(v.verify(`Bearer ${stranger}`, activity))).toBe('unknown signing key');
    expect(hits(JWKS_PATH)).toBe(2);
  });

  it('refetches for unknown kids at most once a minute', async () => {
    const v = verifier();
    await v.verify(`Bearer ${await token()}`, activity);
    clock += 61_000;
    await refused(v.verify(`Bearer ${await token({ kid: 'unknown-1' })}`, activity));
    expect(hits(JWKS_PATH)).toBe(2);

    // A real rotation within the minute is not seen yet: no fetch, refused.
    await sim.rotateKeys(false);
    clock += 30_000;
    for (let i = 0; i < 3; i += 1) {
      expect(await refused(v.verify(`Bearer ${await token()}`, activity))).toBe('unknown signing key');
    }
    expect(hits(JWKS_PATH)).toBe(2);

    clock += 31_000;
    await v.verify(`Bearer ${await token()}`, activity);
    expect(hits(JWKS_PATH)).toBe(3);
  });

  it('fetches once for concurrent verifies on a cold cache (single flight)', async () => {
    const v = verifier();
    const t = await token();
    await Promise.all(Array.from({ length: 5 }, () => v.verify(`Bearer ${t}`, activity)));
    expect(hits(METADATA_PATH)).toBe(1);
    expect(hits(JWKS_PATH)).toBe(1);
  });

  it('reuses cached keys for up to 24 h, then fetches again', async () => {
    const start = clock;
    const v = verifier();
    const t = await token({ exp: seconds(start) + 3 * 86_400 });
    await v.verify(`Bearer ${t}`, activity);
    await v.verify(`Bearer ${t}`, activity);
    expect(hits(JWKS_PATH)).toBe(1);
    clock = start + 23 * 3_600_000;
    await v.verify(`Bearer ${t}`, activity);
    expect(hits(JWKS_PATH)).toBe(1);
    clock = start + 24 * 3_600_000 + 1;
    await v.verify(`Bearer ${t}`, activity);
    expect(hits(METADATA_PATH)).toBe(2);
    expect(hits(JWKS_PATH)).toBe(2);
  });

  it('refuses a key not endorsed for msteams, or without endorsements', async () => {
    const v = verifier();
    const skype = await sim.addKey(['skype', 'webchat']);
    expect(await refused(v.verify(`Bearer ${await token({ kid: skype })}`, activity))).toBe(
      'signing key not endorsed for msteams'
    );
    const bare = await sim.addKey([]);
    clock += 61_000;
    expect(await refused(v.verify(`Bearer ${await token({ kid: bare })}`, activity))).toBe(
      'signing key not endorsed for msteams'
    );
  });

  it('refuses a JWKS key that is not RSA', async () => {
    sim.failNext((c) => c.path === JWKS_PATH, 1, {
      status: 200,
      body: { keys: [{ kty: 'EC', kid: 'ec-1', crv: 'P-256', x: 'AA', y: 'AA', endorsements: ['msteams'] }] },
    });
    const t = await token({ kid: 'ec-1' });
    expect(await refused(verifier().verify(`Bearer ${t}`, activity))).toBe('unusable signing key');
  });

  it('requires the serviceurl claim to equal the activity serviceUrl (trailing slashes ignored)', async () => {
    const v = verifier();
    const other = await token({ serviceUrl: 'https://attacker.example/' });
    expect(await refused(v.verify(`Bearer ${other}`, activity))).toMatch(/serviceurl/);
    const missing = await token({ extra: { serviceurl: undefined } });
    expect(await refused(v.verify(`Bearer ${missing}`, activity))).toMatch(/serviceurl/);
    const noSlash = await token({ serviceUrl: SERVICE_URL.replace(/\/$/, '') });
    await expect(v.verify(`Bearer ${noSlash}`, activity)).resolves.toHaveProperty('claims');
    const t = await token();
    expect(await refused(v.verify(`Bearer ${t}`, { channelId: 'msteams' }))).toBe('activity has no serviceUrl');
    expect(await refused(v.verify(`Bearer ${t}`, { ...activity, channelId: 'skype' }))).toBe('channel is not msteams');
  });

  it('refuses alg none before fetching any key', async () => {
    const v = verifier();
    const unsigned = await token({ alg: 'none' });
    expect(unsigned.endsWith('.')).toBe(true);
    expect(await refused(v.verify(`Bearer ${unsigned}`, activity))).toBe('token algorithm not allowed (RS256 only)');
    expect(hits(METADATA_PATH)).toBe(0);
  });

  it('refuses HS256, also when keyed with the RSA public key', async () => {
    const v = verifier();
    await v.verify(`Bearer ${await token()}`, activity); // keys cached: the public key is known
    const confused = await token({ alg: 'HS256' });
    expect(await refused(v.verify(`Bearer ${confused}`, activity))).toBe('token algorithm not allowed (RS256 only)');
    const shared = await token({ alg: 'HS256', hmacSecret: 'a-shared-secret' });
    expect(await refused(v.verify(`Bearer ${shared}`, activity))).toBe('token algorithm not allowed (RS256 only)');
    expect(hits(JWKS_PATH)).toBe(1);
  });

  it('refuses a missing or garbled bearer header, and a bad signature', async () => {
    const v = verifier();
    const t = await token();
    for (const h of [undefined, '', 'Bearer', 'Bearer ', `Basic ${t}`, `JWT ${t}`, 'Bearer not-a-jwt', 'Bearer a.b']) {
      expect(await refused(v.verify(h, activity))).toBe('missing or malformed bearer token');
    }
    expect(await refused(v.verify('Bearer eyJ.eyJ.abc', activity))).toBe('malformed token');
    const [h, p] = t.split('.');
    const noKid = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${p}.${t.split('.')[2]}`;
    expect(await refused(v.verify(`Bearer ${noKid}`, activity))).toBe('token has no kid');
    expect(hits(METADATA_PATH)).toBe(0);
    expect(await refused(v.verify(`Bearer ${t.slice(0, -6)}AAAAAA`, activity))).toBe('bad token signature');
    const forged = Buffer.from(JSON.stringify({ iss: TEAMS_ISSUER, aud: 'other' })).toString('base64url');
    expect(await refused(v.verify(`Bearer ${h}.${forged}.${t.split('.')[2]}`, activity))).toBe('bad token signature');
  });

  it('turns metadata and JWKS failures into "signing keys unavailable"', async () => {
    const t = await token();
    sim.failNext((c) => c.path === METADATA_PATH, 1, { status: 500, body: { secret: 'internal detail' } });
    expect(await refused(verifier().verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    sim.failNext((c) => c.path === JWKS_PATH, 1, { status: 503, body: { secret: 'internal detail' } });
    expect(await refused(verifier().verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    sim.failNext((c) => c.path === METADATA_PATH, 1, { status: 200, body: { issuer: TEAMS_ISSUER } });
    expect(await refused(verifier().verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    sim.failNext((c) => c.path === JWKS_PATH, 1, { status: 200, body: 'not json' });
    expect(await refused(verifier().verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');

    const unreachable = verifier({ openIdMetadataUrl: 'http://127.0.0.1:1/openid' });
    expect(await refused(unreachable.verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    const throwing = verifier({ fetch: () => Promise.reject(new Error('ECONNRESET secret-internal')) });
    expect(await refused(throwing.verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    // Fails closed, and the next verify tries again.
    await expect(verifier().verify(`Bearer ${t}`, activity)).resolves.toHaveProperty('claims');
  });

  it('refuses when the JWKS has no keys', async () => {
    const t = await token();
    sim.failNext((c) => c.path === JWKS_PATH, 1, { status: 200, body: { issuer: TEAMS_ISSUER } });
    expect(await refused(verifier().verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    sim.failNext((c) => c.path === JWKS_PATH, 1, { status: 200, body: { keys: [] } });
    expect(await refused(verifier().verify(`Bearer ${t}`, activity))).toBe('unknown signing key');
  });

  it('refuses a JWKS answer larger than the cap', async () => {
    const t = await token();
    const padding = 'x'.repeat(TEAMS_MAX_KEYS_RESPONSE_BYTES + 1);
    sim.failNext((c) => c.path === JWKS_PATH, 1, { status: 200, body: { keys: [], padding } });
    expect(await refused(verifier().verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    expect(hits(JWKS_PATH)).toBe(1);
  });

  it('gives up on a key server that hangs within fetchTimeoutMs (default 5 s)', async () => {
    expect(TEAMS_FETCH_TIMEOUT_MS).toBe(5000);
    const t = await token();
    const v = verifier({ fetchTimeoutMs: 300 });

    const held = sim.holdNext((c) => c.path === JWKS_PATH, 1);
    let started = Date.now();
    expect(await refused(v.verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    let elapsed = Date.now() - started;
    await held.arrived;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);

    sim.holdNext((c) => c.path === METADATA_PATH, 1);
    started = Date.now();
    expect(await refused(v.verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    expect(Date.now() - started).toBeLessThan(2000);

    // An injected fetch that ignores the abort signal is cut off too.
    const deaf = verifier({ fetchTimeoutMs: 300, fetch: () => new Promise<Response>(() => undefined) });
    started = Date.now();
    expect(await refused(deaf.verify(`Bearer ${t}`, activity))).toBe('signing keys unavailable');
    elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);

    sim.releaseAll();
    await expect(v.verify(`Bearer ${t}`, activity)).resolves.toHaveProperty('claims');
  });
});
