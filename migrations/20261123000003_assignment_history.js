// Assignment and history side of the data model (SPEC §2): the one assignee per group, the activity
// feed, the group status history and subscriptions.
// Table and column names are a contract (outside acceptance tests use them): add, never rename.

/** @param {import('knex').Knex} knex @param {import('knex').Knex.CreateTableBuilder} t */
function createdAt(knex, t) {
  t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
}

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('group_assignees', (t) => {
    t.bigIncrements('id');
    t.bigInteger('project_id').notNullable().references('id').inTable('projects').onDelete('CASCADE');
    t.bigInteger('group_id')
      .notNullable()
      .references('id')
      .inTable('groups')
      .onDelete('CASCADE')
      .unique({ indexName: 'group_assignees_group_id_unique' });
    t.bigInteger('user_id').references('id').inTable('users').onDelete('CASCADE');
    t.bigInteger('team_id').references('id').inTable('teams').onDelete('CASCADE');
    t.timestamp('date_added', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    createdAt(knex, t);
    t.check('(user_id IS NULL) <> (team_id IS NULL)', {}, 'group_assignees_user_xor_team_check');
    t.index(['user_id'], 'group_assignees_user_id_index');
    t.index(['team_id'], 'group_assignees_team_id_index');
  });

  await knex.schema.createTable('activities', (t) => {
    t.bigIncrements('id');
    t.bigInteger('project_id').notNullable().references('id').inTable('projects').onDelete('CASCADE');
    t.bigInteger('group_id').notNullable().references('id').inTable('groups').onDelete('CASCADE');
    // 1 set_resolved, 2 set_unresolved, 3 set_ignored, 7 create_issue, 8 note, 11 assigned,
    // 12 unassigned, 13 set_resolved_in_release.
    t.smallint('type').notNullable();
    // Acting user; null for system / integration.
    t.bigInteger('user_id').references('id').inTable('users').onDelete('SET NULL');
    t.jsonb('data').notNullable().defaultTo(knex.raw("'{}'::jsonb"));
    // Null or unique: lets a retried activity insert be a no-op.
    t.text('idempotency_key').unique({ indexName: 'activities_idempotency_key_unique' });
    // Where the change came from: {provider, integration_id, delivery_key}; null for tracker-side changes.
    t.jsonb('source');
    createdAt(knex, t);
    t.index(['group_id', 'created_at'], 'activities_group_id_created_at_index');
    t.index(['project_id'], 'activities_project_id_index');
    t.index(['user_id'], 'activities_user_id_index');
  });

  await knex.schema.createTable('group_history', (t) => {
    t.bigIncrements('id');
    t.bigInteger('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.bigInteger('project_id').notNullable().references('id').inTable('projects').onDelete('CASCADE');
    t.bigInteger('group_id').notNullable().references('id').inTable('groups').onDelete('CASCADE');
    // As in reference §1.4: 0 unresolved, 1 resolved, 3 ignored, 5 assigned, 6 unassigned, 11 resolved in release ...
    t.smallint('status').notNullable();
    t.bigInteger('user_id').references('id').inTable('users').onDelete('SET NULL');
    t.bigInteger('team_id').references('id').inTable('teams').onDelete('SET NULL');
    t.bigInteger('prev_history_id').references('id').inTable('group_history').onDelete('SET NULL');
    t.timestamp('prev_history_date', { useTz: true });
    t.bigInteger('release_id').references('id').inTable('releases').onDelete('SET NULL');
    createdAt(knex, t);
    t.index(['group_id', 'created_at'], 'group_history_group_id_created_at_index');
    t.index(['project_id'], 'group_history_project_id_index');
    t.index(['organization_id'], 'group_history_organization_id_index');
    t.index(['user_id'], 'group_history_user_id_index');
    t.index(['team_id'], 'group_history_team_id_index');
    t.index(['prev_history_id'], 'group_history_prev_history_id_index');
    t.index(['release_id'], 'group_history_release_id_index');
  });

  await knex.schema.createTable('group_subscriptions', (t) => {
    t.bigIncrements('id');
    t.bigInteger('project_id').notNullable().references('id').inTable('projects').onDelete('CASCADE');
    t.bigInteger('group_id').notNullable().references('id').inTable('groups').onDelete('CASCADE');
    t.bigInteger('user_id').references('id').inTable('users').onDelete('CASCADE');
    t.bigInteger('team_id').references('id').inTable('teams').onDelete('CASCADE');
    t.boolean('is_active').notNullable().defaultTo(true);
    // 0 unknown, 1 comment, 2 assigned, 3 bookmark, 4 status_change, 5 deploy_setting, 6 mentioned, 7 team_mentioned.
    t.smallint('reason').notNullable().defaultTo(0);
    createdAt(knex, t);
    t.check('(user_id IS NULL) <> (team_id IS NULL)', {}, 'group_subscriptions_user_xor_team_check');
    // One subscription per subscriber per group (NULLs are distinct, so user rows and team rows never clash).
    t.unique(['group_id', 'user_id'], { indexName: 'group_subscriptions_group_id_user_id_unique' });
    t.unique(['group_id', 'team_id'], { indexName: 'group_subscriptions_group_id_team_id_unique' });
    t.index(['project_id'], 'group_subscriptions_project_id_index');
    t.index(['user_id'], 'group_subscriptions_user_id_index');
    t.index(['team_id'], 'group_subscriptions_team_id_index');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTableIfExists('group_subscriptions');
  await knex.schema.dropTableIfExists('group_history');
  await knex.schema.dropTableIfExists('activities');
  await knex.schema.dropTableIfExists('group_assignees');
};
