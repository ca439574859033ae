// Tracker side of the data model (SPEC §2): organizations, projects, teams, users and their emails,
// memberships, groups ("issues"), releases and group resolutions.
// Table and column names are a contract (outside acceptance tests use them): add, never rename.
//
// Email matching: the service never puts an email address into a workflow history. It hashes the
// lower-cased address (SHA-256, hex) and looks users up with
//   WHERE issue_sync_email_sha256(user_emails.email) = :hash
// which uses the expression index below. The wrapper function exists because Postgres marks
// convert_to() STABLE (it depends on the database encoding), and index expressions must be IMMUTABLE;
// for a database whose encoding is fixed the result never changes, so declaring the wrapper IMMUTABLE
// is sound. Both sides must lower-case the same way: Postgres lower() (database collation C.UTF-8)
// and JS toLowerCase() agree for ASCII and most Latin letters but not everywhere (e.g. 'İ'), so a
// hash computed in JS from a non-ASCII address may miss; the service should treat that as "no match".

/** @param {import('knex').Knex} knex @param {import('knex').Knex.CreateTableBuilder} t */
function createdAt(knex, t) {
  t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
}

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('organizations', (t) => {
    t.bigIncrements('id');
    t.text('slug').notNullable().unique({ indexName: 'organizations_slug_unique' });
    t.text('name').notNullable().defaultTo('');
    t.jsonb('features').notNullable().defaultTo(knex.raw("'{}'::jsonb"));
    createdAt(knex, t);
  });

  await knex.schema.createTable('projects', (t) => {
    t.bigIncrements('id');
    t.bigInteger('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.text('slug').notNullable();
    t.text('name').notNullable().defaultTo('');
    t.boolean('has_releases').notNullable().defaultTo(false);
    createdAt(knex, t);
    t.unique(['organization_id', 'slug'], { indexName: 'projects_organization_id_slug_unique' });
  });

  await knex.schema.createTable('teams', (t) => {
    t.bigIncrements('id');
    t.bigInteger('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.text('slug').notNullable();
    t.text('name').notNullable().defaultTo('');
    createdAt(knex, t);
    t.index(['organization_id'], 'teams_organization_id_index');
  });

  await knex.schema.createTable('project_teams', (t) => {
    t.bigInteger('project_id').notNullable().references('id').inTable('projects').onDelete('CASCADE');
    t.bigInteger('team_id').notNullable().references('id').inTable('teams').onDelete('CASCADE');
    createdAt(knex, t);
    t.primary(['project_id', 'team_id'], { constraintName: 'project_teams_pkey' });
    t.index(['team_id'], 'project_teams_team_id_index');
  });

  await knex.schema.createTable('users', (t) => {
    t.bigIncrements('id');
    t.text('name').notNullable().defaultTo('');
    t.text('username').notNullable().unique({ indexName: 'users_username_unique' });
    t.boolean('is_active').notNullable().defaultTo(true);
    createdAt(knex, t);
  });

  await knex.schema.createTable('user_emails', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('email').notNullable();
    t.boolean('is_verified').notNullable().defaultTo(false);
    createdAt(knex, t);
    t.index(['user_id'], 'user_emails_user_id_index');
  });
  // Expression indexes: the schema builder cannot express these.
  await knex.raw('CREATE UNIQUE INDEX user_emails_lower_email_user_id_unique ON user_emails (lower(email), user_id)');
  await knex.raw(`
    CREATE FUNCTION issue_sync_email_sha256(email text) RETURNS text
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $$ SELECT encode(sha256(convert_to(lower(email), 'UTF8')), 'hex') $$`);
  await knex.raw('CREATE INDEX user_emails_email_sha256_index ON user_emails (issue_sync_email_sha256(email))');

  await knex.schema.createTable('organization_members', (t) => {
    t.bigInteger('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('role').notNullable().defaultTo('member');
    createdAt(knex, t);
    t.primary(['organization_id', 'user_id'], { constraintName: 'organization_members_pkey' });
    t.index(['user_id'], 'organization_members_user_id_index');
  });

  await knex.schema.createTable('team_members', (t) => {
    t.bigInteger('team_id').notNullable().references('id').inTable('teams').onDelete('CASCADE');
    t.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    createdAt(knex, t);
    t.primary(['team_id', 'user_id'], { constraintName: 'team_members_pkey' });
    t.index(['user_id'], 'team_members_user_id_index');
  });

  await knex.schema.createTable('groups', (t) => {
    t.bigIncrements('id');
    t.bigInteger('project_id').notNullable().references('id').inTable('projects').onDelete('CASCADE');
    t.integer('short_id');
    t.text('title').notNullable().defaultTo('');
    // 0 unresolved, 1 resolved, 2 ignored ("archived"); 3..6 pending deletion / deleting / merge / reprocessing.
    t.smallint('status').notNullable().defaultTo(0);
    t.smallint('substatus');
    t.timestamp('first_seen', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('resolved_at', { useTz: true });
    createdAt(knex, t);
    t.index(['project_id', 'short_id'], 'groups_project_id_short_id_index');
  });

  await knex.schema.createTable('releases', (t) => {
    t.bigIncrements('id');
    t.bigInteger('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.bigInteger('project_id').references('id').inTable('projects').onDelete('CASCADE');
    t.text('version').notNullable();
    t.timestamp('date_released', { useTz: true });
    createdAt(knex, t);
    t.index(['organization_id', 'version'], 'releases_organization_id_version_index');
    t.index(['project_id', 'created_at'], 'releases_project_id_created_at_index');
  });

  await knex.schema.createTable('group_resolutions', (t) => {
    t.bigIncrements('id');
    t.bigInteger('group_id')
      .notNullable()
      .references('id')
      .inTable('groups')
      .onDelete('CASCADE')
      .unique({ indexName: 'group_resolutions_group_id_unique' });
    t.bigInteger('release_id').notNullable().references('id').inTable('releases').onDelete('CASCADE');
    t.text('type').notNullable();
    t.text('current_release_version');
    t.bigInteger('actor_id').references('id').inTable('users').onDelete('SET NULL');
    createdAt(knex, t);
    t.check("type IN ('in_release', 'in_next_release')", {}, 'group_resolutions_type_check');
    t.index(['release_id'], 'group_resolutions_release_id_index');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTableIfExists('group_resolutions');
  await knex.schema.dropTableIfExists('releases');
  await knex.schema.dropTableIfExists('groups');
  await knex.schema.dropTableIfExists('team_members');
  await knex.schema.dropTableIfExists('organization_members');
  await knex.schema.dropTableIfExists('user_emails');
  await knex.raw('DROP FUNCTION IF EXISTS issue_sync_email_sha256(text)');
  await knex.schema.dropTableIfExists('users');
  await knex.schema.dropTableIfExists('project_teams');
  await knex.schema.dropTableIfExists('teams');
  await knex.schema.dropTableIfExists('projects');
  await knex.schema.dropTableIfExists('organizations');
};
