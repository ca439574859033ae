// The knex migrations build the whole SPEC §2 data model, its constraints bite, and they go
// up -> all the way down -> up again. Runs against a throwaway database of its own on the local
// Postgres (never the service's database); a Postgres that does not answer fails the run.
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { knex, type Knex } from 'knex';

// TEST_EMBEDDED_DB=1: globalSetup serves an empty embedded database (PGlite) at TEST_EMBEDDED_EMPTY_DB_URL. PGlite
// has a single database, so the test migrates that one instead of creating and dropping its own.
const EMBEDDED_URL = process.env.TEST_EMBEDDED_EMPTY_DB_URL;
const ADMIN_URL = EMBEDDED_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const START_HINT = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');
const DB_NAME = `issue_sync_migtest_${randomBytes(6).toString('hex')}`;
const KNEX_TABLES = ['knex_migrations', 'knex_migrations_lock'];
const MIGRATION_FILES = [
  '20261123000001_tracker.js',
  '20261123000002_integrations.js',
  '20261123000003_assignment_history.js',
  '20261123000004_deliveries.js',
  '20261123000005_outbound.js',
  '20261203000001_jira_issue_claims.js',
  '20261203000002_discord_interactions.js',
  '20261207000001_deliveries_per_integration.js',
  '20261207000002_operator_controls.js',
];

// Columns per table as `name:udt_name`, with a trailing `?` when the column is nullable.
// Every table additionally has `created_at:timestamptz` (not null, default now()), checked separately.
const SCHEMA: Record<string, string[]> = {
  organizations: ['id:int8', 'slug:text', 'name:text', 'features:jsonb'],
  projects: ['id:int8', 'organization_id:int8', 'slug:text', 'name:text', 'has_releases:bool'],
  teams: ['id:int8', 'organization_id:int8', 'slug:text', 'name:text'],
  project_teams: ['project_id:int8', 'team_id:int8'],
  users: ['id:int8', 'name:text', 'username:text', 'is_active:bool'],
  user_emails: ['id:int8', 'user_id:int8', 'email:text', 'is_verified:bool'],
  organization_members: ['organization_id:int8', 'user_id:int8', 'role:text'],
  team_members: ['team_id:int8', 'user_id:int8'],
  groups: [
    'id:int8',
    'project_id:int8',
    'short_id:int4?',
    'title:text',
    'status:int2',
    'substatus:int2?',
    'first_seen:timestamptz',
    'last_seen:timestamptz',
    'resolved_at:timestamptz?',
  ],
  releases: ['id:int8', 'organization_id:int8', 'project_id:int8?', 'version:text', 'date_released:timestamptz?'],
  group_resolutions: ['id:int8', 'group_id:int8', 'release_id:int8', 'type:text', 'actor_id:int8?'],
  integrations: [
    'id:int8',
    'provider:text',
    'external_id:text',
    'name:text',
    'metadata:jsonb',
    'status:text',
    'paused_at:timestamptz?',
    'paused_reason:text?',
  ],
  organization_integrations: ['id:int8', 'organization_id:int8', 'integration_id:int8', 'config:jsonb', 'status:text'],
  external_projects: [
    'id:int8',
    'organization_integration_id:int8',
    'external_id:text',
    'resolved_status:text',
    'unresolved_status:text',
  ],
  external_issues: [
    'id:int8',
    'organization_id:int8',
    'integration_id:int8',
    'key:text',
    'external_id:text?',
    'title:text?',
    'description:text?',
    'metadata:jsonb',
    'assignee_updated_at:timestamptz?',
    'status_updated_at:timestamptz?',
  ],
  group_links: [
    'id:int8',
    'group_id:int8',
    'project_id:int8',
    'linked_type:int2',
    'linked_id:int8',
    'relationship:int2',
  ],
  identity_providers: ['id:int8', 'type:text', 'external_id:text'],
  identities: ['id:int8', 'idp_id:int8', 'user_id:int8', 'external_id:text', 'status:int2'],
  external_actors: ['id:int8', 'organization_id:int8', 'integration_id:int8', 'user_id:int8', 'external_id:text'],
  chat_messages: [
    'id:int8',
    'group_id:int8',
    'integration_id:int8',
    'provider:text',
    'channel_id:text',
    'message_id:text',
    'service_url:text?',
    'conversation_id:text?',
  ],
  group_assignees: [
    'id:int8',
    'project_id:int8',
    'group_id:int8',
    'user_id:int8?',
    'team_id:int8?',
    'date_added:timestamptz',
  ],
  activities: [
    'id:int8',
    'project_id:int8',
    'group_id:int8',
    'type:int2',
    'user_id:int8?',
    'data:jsonb',
    'idempotency_key:text?',
    'source:jsonb?',
  ],
  group_history: [
    'id:int8',
    'organization_id:int8',
    'project_id:int8',
    'group_id:int8',
    'status:int2',
    'user_id:int8?',
    'team_id:int8?',
    'prev_history_id:int8?',
    'release_id:int8?',
  ],
  group_subscriptions: [
    'id:int8',
    'project_id:int8',
    'group_id:int8',
    'user_id:int8?',
    'team_id:int8?',
    'is_active:bool',
    'reason:int2',
  ],
  webhook_deliveries: [
    'id:int8',
    'provider:text',
    'integration_id:int8?',
    'delivery_key:text',
    'workflow_id:text?',
    'received_at:timestamptz',
    'status:text',
    'reason:text?',
    'attempts:int4',
    'payload_sha256:text?',
    'finished_at:timestamptz?',
    'external_issue_key:text?',
    'group_ids:_int8?',
    'updated_at:timestamptz',
    'run:jsonb?',
    'redrive_count:int4',
  ],
  outbound_messages: ['id:int8', 'idempotency_key:text', 'provider:text', 'channel_id:text?', 'message_id:text?'],
  external_comments: ['id:int8', 'activity_id:int8', 'external_issue_id:int8', 'comment_id:text'],
  jira_issue_claims: ['id:int8', 'group_id:int8', 'integration_id:int8', 'request_id:text'],
  discord_interactions: [
    'id:int8',
    'integration_id:int8',
    'interaction_id:text',
    'application_id:text',
    'token:text',
    'channel_id:text?',
    'message_id:text?',
    'message_ephemeral:bool',
    'expires_at:timestamptz',
  ],
  operator_requests: ['idempotency_key:text', 'kind:text', 'response:jsonb?'],
};

interface ColumnRow {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
}

function connect(url: string): Knex {
  return knex({
    client: 'pg',
    connection: { connectionString: url, connectionTimeoutMillis: 5_000 },
    pool: { min: 0, max: 2 },
    acquireConnectionTimeout: 10_000,
    migrations: { directory: MIGRATIONS_DIR, tableName: 'knex_migrations' },
  });
}

async function rows<T>(db: Knex, sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<T[]> {
  const result = await db.raw<{ rows: T[] }>(sql, bindings);
  return result.rows;
}

async function publicTables(db: Knex): Promise<string[]> {
  const r = await rows<{ table_name: string }>(
    db,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
  );
  return r.map((x) => x.table_name);
}

/** Awaits a statement that must be rejected by Postgres with SQLSTATE `code` (and, if given, by `constraint`). */
async function expectPgError(statement: PromiseLike<unknown>, code: string, constraint?: string): Promise<void> {
  let caught: unknown;
  try {
    await statement;
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) {
    throw new Error(
      `expected Postgres error ${code}${constraint ? ` on ${constraint}` : ''}, but the statement succeeded`
    );
  }
  expect(caught).toMatchObject(constraint ? { code, constraint } : { code });
}

const UNIQUE = '23505';
const CHECK = '23514';
const FOREIGN_KEY = '23503';

let admin: Knex | undefined;
let db: Knex | undefined;

function database(): Knex {
  if (!db) throw new Error('test database was not created (see the beforeAll error above)');
  return db;
}

beforeAll(async () => {
  admin = connect(ADMIN_URL);
  try {
    await admin.raw('SELECT 1');
  } catch (err) {
    throw new Error(
      `Postgres does not answer at ${ADMIN_URL} (${(err as Error).message}). ` + `Start it with: ${START_HINT}`
    );
  }
  if (EMBEDDED_URL) {
    db = connect(EMBEDDED_URL);
    return;
  }
  await admin.raw(`CREATE DATABASE ${DB_NAME}`);
  db = connect(`postgres://postgres@127.0.0.1:5432/${DB_NAME}`);
});

afterAll(async () => {
  await db?.destroy();
  if (admin && EMBEDDED_URL) await admin.destroy();
  else if (admin) {
    try {
      await admin.raw(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    } finally {
      await admin.destroy();
    }
  }
});

describe('migrations: up', () => {
  test('migrate.latest applies every migration file in order', async () => {
    const [batch, applied] = (await database().migrate.latest()) as [number, string[]];
    expect(batch).toBe(1);
    expect(applied).toEqual(MIGRATION_FILES.map((f): unknown => expect.stringContaining(f)));
  });

  test('every SPEC table exists with its columns, types and nullability', async () => {
    const tables = await publicTables(database());
    expect(tables).toEqual(expect.arrayContaining([...Object.keys(SCHEMA), ...KNEX_TABLES]));

    const cols = await rows<ColumnRow>(
      database(),
      `SELECT table_name, column_name, udt_name, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = 'public'`
    );
    for (const [table, spec] of Object.entries(SCHEMA)) {
      const actual = cols
        .filter((c) => c.table_name === table)
        .map((c) => `${c.column_name}:${c.udt_name}${c.is_nullable === 'YES' ? '?' : ''}`);
      // Phrased per table so a failure names the table.
      expect({ table, columns: actual }).toEqual({ table, columns: expect.arrayContaining(spec) });
    }
  });

  test('ids are bigserial and every table has created_at timestamptz not null default now()', async () => {
    const cols = await rows<ColumnRow>(
      database(),
      `SELECT table_name, column_name, udt_name, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = 'public' AND column_name IN ('id', 'created_at')`
    );
    for (const table of Object.keys(SCHEMA)) {
      const createdAt = cols.find((c) => c.table_name === table && c.column_name === 'created_at');
      expect({ table, createdAt }).toEqual({
        table,
        createdAt: expect.objectContaining({
          udt_name: 'timestamptz',
          is_nullable: 'NO',
          column_default: expect.stringMatching(/CURRENT_TIMESTAMP|now\(\)/),
        }),
      });
      if (SCHEMA[table]?.includes('id:int8')) {
        const id = cols.find((c) => c.table_name === table && c.column_name === 'id');
        expect({ table, id }).toEqual({
          table,
          id: expect.objectContaining({ udt_name: 'int8', column_default: expect.stringContaining('nextval(') }),
        });
      }
    }
  });

  test('composite primary keys on the join tables', async () => {
    const pks = await rows<{ table_name: string; columns: string }>(
      database(),
      `SELECT tc.table_name, string_agg(kcu.column_name, ',' ORDER BY kcu.ordinal_position) AS columns
         FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage kcu
           ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
        WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY'
          AND tc.table_name IN ('project_teams', 'organization_members', 'team_members')
        GROUP BY tc.table_name ORDER BY tc.table_name`
    );
    expect(pks).toEqual([
      { table_name: 'organization_members', columns: 'organization_id,user_id' },
      { table_name: 'project_teams', columns: 'project_id,team_id' },
      { table_name: 'team_members', columns: 'team_id,user_id' },
    ]);
  });

  test('indexes for the hot lookups exist', async () => {
    const idx = await rows<{ indexdef: string }>(
      database(),
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'"
    );
    const defs = idx.map((i) => i.indexdef.replace(/public\./g, ''));
    const wanted = [
      /ON user_emails USING btree \(lower\(email\), user_id\)/,
      /UNIQUE INDEX .* ON user_emails USING btree \(lower\(email\), user_id\)/,
      /ON user_emails USING btree \(issue_sync_email_sha256\(email\)\)/,
      /ON external_issues USING btree \(integration_id, key\)/,
      /ON external_issues USING btree \(integration_id, external_id\)/,
      /ON group_links USING btree \(linked_type, linked_id\)/,
      /ON organization_members USING btree \(user_id\)/,
      /ON team_members USING btree \(user_id\)/,
      /ON project_teams USING btree \(team_id\)/,
      /ON activities USING btree \(group_id, created_at\)/,
      /ON chat_messages USING btree \(group_id\)/,
      /ON webhook_deliveries USING btree \(status, received_at\)/,
    ];
    for (const re of wanted) expect(defs).toEqual(expect.arrayContaining([expect.stringMatching(re)]));
  });
});

describe('migrations: constraints bite', () => {
  let orgId: string;
  let projectId: string;
  let teamId: string;
  let aliceId: string;
  let bobId: string;
  let groupId: string;
  let jiraId: string;
  let releaseId: string;

  async function insertId(table: string, row: Record<string, unknown>): Promise<string> {
    const [r] = await database()(table).insert(row).returning<{ id: string }[]>('id');
    if (!r) throw new Error(`insert into ${table} returned no id`);
    return r.id;
  }

  beforeAll(async () => {
    await database().migrate.latest(); // no-op after the "up" tests; makes this block runnable alone
    orgId = await insertId('organizations', { slug: 'acme', name: 'Acme' });
    projectId = await insertId('projects', { organization_id: orgId, slug: 'backend', name: 'Backend' });
    teamId = await insertId('teams', { organization_id: orgId, slug: 'core', name: 'Core' });
    aliceId = await insertId('users', { name: 'Alice', username: 'alice' });
    bobId = await insertId('users', { name: 'Bob', username: 'bob' });
    groupId = await insertId('groups', { project_id: projectId, short_id: 1, title: 'TypeError' });
    jiraId = await insertId('integrations', {
      provider: 'jira',
      external_id: 'client-key-1',
      name: 'acme.atlassian.net',
    });
    releaseId = await insertId('releases', { organization_id: orgId, project_id: projectId, version: '1.0.0' });
  });

  test('defaults are applied', async () => {
    const org = await database()('organizations').where({ id: orgId }).first();
    expect(org.features).toEqual({});
    const group = await database()('groups').where({ id: groupId }).first();
    expect(group).toMatchObject({ status: 0, substatus: null, resolved_at: null });
    expect(group.first_seen).toBeInstanceOf(Date);
    const user = await database()('users').where({ id: aliceId }).first();
    expect(user.is_active).toBe(true);
    const integration = await database()('integrations').where({ id: jiraId }).first();
    expect(integration).toMatchObject({ metadata: {}, status: 'active' });
    const oi = await insertId('organization_integrations', { organization_id: orgId, integration_id: jiraId });
    expect(await database()('organization_integrations').where({ id: oi }).first()).toMatchObject({
      config: {},
      status: 'active',
    });
  });

  test('organizations.slug, projects(organization_id, slug), users.username are unique', async () => {
    await expectPgError(
      database()('organizations').insert({ slug: 'acme', name: 'Other' }),
      UNIQUE,
      'organizations_slug_unique'
    );
    await expectPgError(
      database()('projects').insert({ organization_id: orgId, slug: 'backend', name: 'Again' }),
      UNIQUE,
      'projects_organization_id_slug_unique'
    );
    const otherOrg = await insertId('organizations', { slug: 'globex', name: 'Globex' });
    await insertId('projects', { organization_id: otherOrg, slug: 'backend', name: 'Same slug, other org' });
    await expectPgError(database()('users').insert({ name: 'A2', username: 'alice' }), UNIQUE, 'users_username_unique');
  });

  test('user_emails is unique on (lower(email), user_id), and the sha256 expression matches a JS hash', async () => {
    await insertId('user_emails', { user_id: aliceId, email: 'Alice@Example.com', is_verified: true });
    await expectPgError(
      database()('user_emails').insert({ user_id: aliceId, email: 'alice@EXAMPLE.COM', is_verified: false }),
      UNIQUE,
      'user_emails_lower_email_user_id_unique'
    );
    // The same address may belong to another user (Sentry allows it; matching then is ambiguous and refused).
    await insertId('user_emails', { user_id: bobId, email: 'alice@example.com', is_verified: false });

    const hash = createHash('sha256').update('alice@example.com', 'utf8').digest('hex');
    const matched = await rows<{ user_id: string }>(
      database(),
      'SELECT user_id FROM user_emails WHERE issue_sync_email_sha256(email) = ? AND is_verified ORDER BY user_id',
      [hash]
    );
    expect(matched).toEqual([{ user_id: aliceId }]);
  });

  test('group_assignees: exactly one of user_id / team_id, one assignee per group', async () => {
    await expectPgError(
      database()('group_assignees').insert({
        project_id: projectId,
        group_id: groupId,
        user_id: aliceId,
        team_id: teamId,
      }),
      CHECK,
      'group_assignees_user_xor_team_check'
    );
    await expectPgError(
      database()('group_assignees').insert({ project_id: projectId, group_id: groupId }),
      CHECK,
      'group_assignees_user_xor_team_check'
    );
    await insertId('group_assignees', { project_id: projectId, group_id: groupId, user_id: aliceId });
    await expectPgError(
      database()('group_assignees').insert({ project_id: projectId, group_id: groupId, team_id: teamId }),
      UNIQUE,
      'group_assignees_group_id_unique'
    );
  });

  test('provider / type / status checks', async () => {
    await expectPgError(
      database()('integrations').insert({ provider: 'slack', external_id: 'T1', name: 'x' }),
      CHECK,
      'integrations_provider_check'
    );
    await expectPgError(
      database()('chat_messages').insert({
        group_id: groupId,
        integration_id: jiraId,
        provider: 'jira',
        channel_id: 'c',
        message_id: 'm',
      }),
      CHECK,
      'chat_messages_provider_check'
    );
    await expectPgError(
      database()('group_resolutions').insert({ group_id: groupId, release_id: releaseId, type: 'in_commit' }),
      CHECK,
      'group_resolutions_type_check'
    );
    await expectPgError(
      database()('webhook_deliveries').insert({ provider: 'jira', delivery_key: 'k0', status: 'done' }),
      CHECK,
      'webhook_deliveries_status_check'
    );
    await expectPgError(
      database()('group_subscriptions').insert({
        project_id: projectId,
        group_id: groupId,
        user_id: aliceId,
        team_id: teamId,
      }),
      CHECK,
      'group_subscriptions_user_xor_team_check'
    );
  });

  test('foreign keys reject dangling references (group_links.linked_id is polymorphic and has none)', async () => {
    const missing = '999999999';
    await expectPgError(
      database()('projects').insert({ organization_id: missing, slug: 'x', name: 'x' }),
      FOREIGN_KEY,
      'projects_organization_id_foreign'
    );
    await expectPgError(
      database()('activities').insert({ project_id: projectId, group_id: missing, type: 8 }),
      FOREIGN_KEY,
      'activities_group_id_foreign'
    );
    await expectPgError(
      database()('identities').insert({ idp_id: missing, user_id: aliceId, external_id: 'u1' }),
      FOREIGN_KEY,
      'identities_idp_id_foreign'
    );
    await expectPgError(
      database()('external_issues').insert({ organization_id: orgId, integration_id: missing, key: 'APP-1' }),
      FOREIGN_KEY,
      'external_issues_integration_id_foreign'
    );
    await expectPgError(
      database()('group_history').insert({
        organization_id: orgId,
        project_id: projectId,
        group_id: groupId,
        status: 5,
        release_id: missing,
      }),
      FOREIGN_KEY,
      'group_history_release_id_foreign'
    );
    await insertId('group_links', {
      group_id: groupId,
      project_id: projectId,
      linked_type: 2,
      linked_id: missing,
      relationship: 2,
    });
  });

  test('integration-side unique keys', async () => {
    await expectPgError(
      database()('integrations').insert({ provider: 'jira', external_id: 'client-key-1', name: 'dup' }),
      UNIQUE,
      'integrations_provider_external_id_unique'
    );
    await insertId('integrations', {
      provider: 'discord',
      external_id: 'client-key-1',
      name: 'same id, other provider',
    });
    await expectPgError(
      database()('organization_integrations').insert({ organization_id: orgId, integration_id: jiraId }),
      UNIQUE,
      'organization_integrations_organization_id_integration_id_unique'
    );

    const issueId = await insertId('external_issues', {
      organization_id: orgId,
      integration_id: jiraId,
      key: 'APP-123',
      external_id: '10001',
    });
    await expectPgError(
      database()('external_issues').insert({ organization_id: orgId, integration_id: jiraId, key: 'APP-123' }),
      UNIQUE,
      'external_issues_organization_id_integration_id_key_unique'
    );
    await insertId('group_links', { group_id: groupId, project_id: projectId, linked_type: 3, linked_id: issueId });
    await expectPgError(
      database()('group_links').insert({
        group_id: groupId,
        project_id: projectId,
        linked_type: 3,
        linked_id: issueId,
      }),
      UNIQUE,
      'group_links_group_id_linked_type_linked_id_unique'
    );

    const idp = await insertId('identity_providers', { type: 'discord', external_id: 'guild-1' });
    await expectPgError(
      database()('identity_providers').insert({ type: 'discord', external_id: 'guild-1' }),
      UNIQUE,
      'identity_providers_type_external_id_unique'
    );
    await insertId('identities', { idp_id: idp, user_id: aliceId, external_id: 'discord-user-1' });
    await expectPgError(
      database()('identities').insert({ idp_id: idp, user_id: bobId, external_id: 'discord-user-1' }),
      UNIQUE,
      'identities_idp_id_external_id_unique'
    );
    await expectPgError(
      database()('identities').insert({ idp_id: idp, user_id: aliceId, external_id: 'discord-user-2' }),
      UNIQUE,
      'identities_idp_id_user_id_unique'
    );

    await insertId('external_actors', {
      organization_id: orgId,
      integration_id: jiraId,
      user_id: aliceId,
      external_id: 'acc-1',
    });
    await expectPgError(
      database()('external_actors').insert({
        organization_id: orgId,
        integration_id: jiraId,
        user_id: bobId,
        external_id: 'acc-1',
      }),
      UNIQUE,
      'external_actors_integration_id_org_id_external_id_unique'
    );

    const discordId = await insertId('integrations', { provider: 'discord', external_id: 'guild-1', name: 'Guild' });
    const chat = {
      group_id: groupId,
      integration_id: discordId,
      provider: 'discord',
      channel_id: 'ch-1',
      message_id: 'msg-1',
    };
    await insertId('chat_messages', chat);
    await expectPgError(
      database()('chat_messages').insert(chat),
      UNIQUE,
      'chat_messages_provider_channel_id_message_id_unique'
    );
  });

  test('activities.idempotency_key is unique when set and may be null many times', async () => {
    const activity = { project_id: projectId, group_id: groupId, type: 11, data: { assignee: aliceId } };
    await insertId('activities', activity);
    await insertId('activities', activity);
    await insertId('activities', { ...activity, idempotency_key: 'wf-1:assign' });
    await expectPgError(
      database()('activities').insert({ ...activity, idempotency_key: 'wf-1:assign' }),
      UNIQUE,
      'activities_idempotency_key_unique'
    );
    const [row] = await database()('activities').where({ idempotency_key: 'wf-1:assign' });
    expect(row).toMatchObject({ data: { assignee: aliceId }, user_id: null, source: null });
  });

  test('webhook_deliveries: defaults, duplicate (provider, integration_id, delivery_key) rejected, nulls not distinct', async () => {
    const id = await insertId('webhook_deliveries', { provider: 'jira', delivery_key: 'hook-1', payload_sha256: 'ab' });
    expect(await database()('webhook_deliveries').where({ id }).first()).toMatchObject({
      status: 'accepted',
      attempts: 0,
      workflow_id: null,
      integration_id: null,
      reason: null,
      finished_at: null,
      group_ids: null,
    });
    await expectPgError(
      database()('webhook_deliveries').insert({ provider: 'jira', delivery_key: 'hook-1' }),
      UNIQUE,
      'webhook_deliveries_provider_integration_id_delivery_key_unique'
    );
    // Another integration may use the same key (one tenant never shadows another); the same integration may not.
    const siteA = await insertId('integrations', { provider: 'jira', external_id: 'site-a', name: 'A' });
    const siteB = await insertId('integrations', { provider: 'jira', external_id: 'site-b', name: 'B' });
    await insertId('webhook_deliveries', { provider: 'jira', integration_id: siteA, delivery_key: 'hook-1' });
    await insertId('webhook_deliveries', { provider: 'jira', integration_id: siteB, delivery_key: 'hook-1' });
    await expectPgError(
      database()('webhook_deliveries').insert({ provider: 'jira', integration_id: siteA, delivery_key: 'hook-1' }),
      UNIQUE,
      'webhook_deliveries_provider_integration_id_delivery_key_unique'
    );
    await insertId('webhook_deliveries', { provider: 'discord', delivery_key: 'hook-1', group_ids: [groupId] });
    await expectPgError(
      database()('outbound_messages').insert([
        { idempotency_key: 'post-1', provider: 'discord' },
        { idempotency_key: 'post-1', provider: 'discord' },
      ]),
      UNIQUE,
      'outbound_messages_idempotency_key_unique'
    );
  });

  test('ON DELETE: actor references SET NULL, children of groups/orgs/integrations CASCADE', async () => {
    const carol = await insertId('users', { name: 'Carol', username: 'carol' });
    const act = await insertId('activities', { project_id: projectId, group_id: groupId, type: 1, user_id: carol });
    const hist = await insertId('group_history', {
      organization_id: orgId,
      project_id: projectId,
      group_id: groupId,
      status: 1,
      user_id: carol,
      release_id: releaseId,
    });
    await database()('users').where({ id: carol }).delete();
    expect(await database()('activities').where({ id: act }).first()).toMatchObject({ user_id: null });
    expect(await database()('group_history').where({ id: hist }).first()).toMatchObject({ user_id: null });

    const hookId = await insertId('webhook_deliveries', {
      provider: 'jira',
      delivery_key: 'hook-2',
      integration_id: jiraId,
    });
    await database()('integrations').where({ id: jiraId }).delete();
    expect(await database()('external_issues').where({ integration_id: jiraId })).toEqual([]);
    expect(await database()('webhook_deliveries').where({ id: hookId }).first()).toMatchObject({
      integration_id: null,
    });

    await database()('organizations').where({ id: orgId }).delete();
    for (const table of ['projects', 'groups', 'group_assignees', 'activities', 'group_history', 'releases']) {
      const [count] = await rows<{ n: string }>(database(), 'SELECT count(*) AS n FROM ??', [table]);
      expect({ table, n: Number(count?.n) }).toEqual({ table, n: table === 'projects' ? 1 : 0 }); // globex/backend remains
    }
  });
});

describe('migrations: down and up again', () => {
  test('rollback all the way leaves nothing but knex’s own tables', async () => {
    await database().migrate.latest();
    await database().migrate.rollback(undefined, true);
    expect(await publicTables(database())).toEqual(KNEX_TABLES);
    const leftovers = await rows<{ name: string }>(
      database(),
      `SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
       UNION ALL
       SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'S' AND c.relname NOT LIKE 'knex_migrations%'`
    );
    expect(leftovers).toEqual([]);
  });

  test('migrate.latest succeeds again after the full rollback', async () => {
    const [, applied] = (await database().migrate.latest()) as [number, string[]];
    expect(applied).toHaveLength(MIGRATION_FILES.length);
    expect(await publicTables(database())).toEqual(expect.arrayContaining(Object.keys(SCHEMA)));
    await database()('organizations').insert({ slug: 'acme', name: 'Acme again' });
  });
});
