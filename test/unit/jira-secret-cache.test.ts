/** jiraSecretLookup's optional cache (JIRA_SECRET_CACHE_MS): one query per site per TTL, never for unknown keys. */
import type { Knex } from 'knex';
import { JIRA_SECRET_CACHE_MS, jiraSecretLookup } from '../../src/api/services/integrations';

/** The one query the lookup makes (`integrations` where … first), answering from `rows` as they are now. */
function fakeDb(rows: Map<string, { id: number; metadata: Record<string, unknown> }>) {
  const queries: string[] = [];
  const db = ((table: string) => ({
    where: (w: { external_id: string }) => ({
      first: () => {
        queries.push(`${table}:${w.external_id}`);
        return Promise.resolve(rows.get(w.external_id));
      },
    }),
  })) as unknown as Knex;
  return { db, queries };
}

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-07T12:00:00Z') }));
afterEach(() => jest.useRealTimers());

test('by default (0) every delivery reads the secret, so a rotated secret counts at once', async () => {
  expect(JIRA_SECRET_CACHE_MS).toBe(0);
  const rows = new Map([['site-a', { id: 1, metadata: { shared_secret: 'one' } }]]);
  const { db, queries } = fakeDb(rows);
  const lookup = jiraSecretLookup(db);
  expect(await lookup('site-a')).toEqual({ integrationId: 1, sharedSecret: 'one' });
  rows.set('site-a', { id: 1, metadata: { shared_secret: 'two' } });
  expect(await lookup('site-a')).toEqual({ integrationId: 1, sharedSecret: 'two' });
  expect(queries).toHaveLength(2);
});

test('with a TTL a found secret is reused until it ends, then read again', async () => {
  const rows = new Map([['site-a', { id: 1, metadata: { shared_secret: 'one' } }]]);
  const { db, queries } = fakeDb(rows);
  const lookup = jiraSecretLookup(db, 5_000);
  await lookup('site-a');
  rows.set('site-a', { id: 1, metadata: { shared_secret: 'two' } });
  jest.advanceTimersByTime(4_999);
  expect(await lookup('site-a')).toEqual({ integrationId: 1, sharedSecret: 'one' });
  expect(queries).toHaveLength(1);
  jest.advanceTimersByTime(1);
  expect(await lookup('site-a')).toEqual({ integrationId: 1, sharedSecret: 'two' });
  expect(queries).toHaveLength(2);
});

test('unknown keys and rows without a secret are never cached', async () => {
  const rows = new Map([['no-secret', { id: 2, metadata: {} }]]);
  const { db, queries } = fakeDb(rows);
  const lookup = jiraSecretLookup(db, 5_000);
  expect(await lookup('made-up')).toBeNull();
  expect(await lookup('made-up')).toBeNull();
  expect(await lookup('no-secret')).toBeNull();
  rows.set('made-up', { id: 3, metadata: { shared_secret: 's' } });
  expect(await lookup('made-up')).toEqual({ integrationId: 3, sharedSecret: 's' });
  expect(queries).toEqual([
    'integrations:made-up',
    'integrations:made-up',
    'integrations:no-secret',
    'integrations:made-up',
  ]);
});

test('at most 1,000 sites are kept: the oldest is read again', async () => {
  const rows = new Map(
    Array.from({ length: 1_001 }, (_, i) => [`s${i}`, { id: i, metadata: { shared_secret: `k${i}` } }] as const)
  );
  const { db, queries } = fakeDb(rows);
  const lookup = jiraSecretLookup(db, 60_000);
  for (let i = 0; i <= 1_000; i++) await lookup(`s${i}`);
  await lookup('s1000');
  expect(queries).toHaveLength(1_001);
  await lookup('s0');
  expect(queries).toHaveLength(1_002);
});
