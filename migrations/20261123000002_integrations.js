// Integration side of the data model (SPEC §2): installed integrations (Jira site, Discord guild,
// Teams team/tenant), their per-organization installs, outbound status mappings, external issues and
// their links to groups, chat identities, Jira accountId links, and posted chat alert messages.
// Table and column names are a contract (outside acceptance tests use them): add, never rename.
// External ids (Jira clientKey / issue id / accountId, Discord snowflakes, Teams ids) are text.

/** @param {import('knex').Knex} knex @param {import('knex').Knex.CreateTableBuilder} t */
function createdAt(knex, t) {
  t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
}

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('integrations', (t) => {
    t.bigIncrements('id');
    t.text('provider').notNullable();
    t.text('external_id').notNullable();
    t.text('name').notNullable().defaultTo('');
    // Holds secrets (shared_secret, bot_token, ...): never log it, never return it from the API.
    t.jsonb('metadata').notNullable().defaultTo(knex.raw("'{}'::jsonb"));
    t.text('status').notNullable().defaultTo('active');
    createdAt(knex, t);
    t.check("provider IN ('jira', 'discord', 'msteams')", {}, 'integrations_provider_check');
    t.unique(['provider', 'external_id'], { indexName: 'integrations_provider_external_id_unique' });
  });

  await knex.schema.createTable('organization_integrations', (t) => {
    t.bigIncrements('id');
    t.bigInteger('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.bigInteger('integration_id').notNullable().references('id').inTable('integrations').onDelete('CASCADE');
    t.jsonb('config').notNullable().defaultTo(knex.raw("'{}'::jsonb"));
    t.text('status').notNullable().defaultTo('active');
    createdAt(knex, t);
    t.unique(['organization_id', 'integration_id'], {
      indexName: 'organization_integrations_organization_id_integration_id_unique',
    });
    // Inbound events fan out per org: "every org that installed this integration".
    t.index(['integration_id'], 'organization_integrations_integration_id_index');
  });

  await knex.schema.createTable('external_projects', (t) => {
    t.bigIncrements('id');
    t.bigInteger('organization_integration_id')
      .notNullable()
      .references('id')
      .inTable('organization_integrations')
      .onDelete('CASCADE');
    t.text('external_id').notNullable();
    t.text('name').notNullable().defaultTo('');
    t.text('resolved_status').notNullable();
    t.text('unresolved_status').notNullable();
    createdAt(knex, t);
    // One status mapping per Jira project per install.
    t.unique(['organization_integration_id', 'external_id'], {
      indexName: 'external_projects_org_integration_id_external_id_unique',
    });
  });

  await knex.schema.createTable('external_issues', (t) => {
    t.bigIncrements('id');
    t.bigInteger('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.bigInteger('integration_id').notNullable().references('id').inTable('integrations').onDelete('CASCADE');
    t.text('key').notNullable();
    // Jira's numeric issue id: survives project moves, the key does not.
    t.text('external_id');
    t.text('title');
    t.text('description');
    t.jsonb('metadata').notNullable().defaultTo(knex.raw("'{}'::jsonb"));
    // Watermarks: the Jira-side timestamp of the last assignee / status change applied.
    t.timestamp('assignee_updated_at', { useTz: true });
    t.timestamp('status_updated_at', { useTz: true });
    createdAt(knex, t);
    t.unique(['organization_id', 'integration_id', 'key'], {
      indexName: 'external_issues_organization_id_integration_id_key_unique',
    });
    t.index(['integration_id', 'key'], 'external_issues_integration_id_key_index');
    t.index(['integration_id', 'external_id'], 'external_issues_integration_id_external_id_index');
  });

  await knex.schema.createTable('group_links', (t) => {
    t.bigIncrements('id');
    t.bigInteger('group_id').notNullable().references('id').inTable('groups').onDelete('CASCADE');
    t.bigInteger('project_id').notNullable().references('id').inTable('projects').onDelete('CASCADE');
    // 1 commit, 2 pull request, 3 external issue (linked_id = external_issues.id). Always filter on it.
    t.smallint('linked_type').notNullable();
    // Polymorphic on linked_type: no foreign key.
    t.bigInteger('linked_id').notNullable();
    // 1 resolves, 2 references.
    t.smallint('relationship').notNullable().defaultTo(2);
    t.jsonb('data').notNullable().defaultTo(knex.raw("'{}'::jsonb"));
    createdAt(knex, t);
    t.unique(['group_id', 'linked_type', 'linked_id'], {
      indexName: 'group_links_group_id_linked_type_linked_id_unique',
    });
    t.index(['linked_type', 'linked_id'], 'group_links_linked_type_linked_id_index');
    t.index(['project_id'], 'group_links_project_id_index');
  });

  await knex.schema.createTable('identity_providers', (t) => {
    t.bigIncrements('id');
    t.text('type').notNullable();
    t.text('external_id').notNullable();
    t.jsonb('config').notNullable().defaultTo(knex.raw("'{}'::jsonb"));
    createdAt(knex, t);
    t.unique(['type', 'external_id'], { indexName: 'identity_providers_type_external_id_unique' });
  });

  await knex.schema.createTable('identities', (t) => {
    t.bigIncrements('id');
    t.bigInteger('idp_id').notNullable().references('id').inTable('identity_providers').onDelete('CASCADE');
    t.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('external_id').notNullable();
    // 0 unknown, 1 valid, 2 invalid.
    t.smallint('status').notNullable().defaultTo(1);
    t.jsonb('data').notNullable().defaultTo(knex.raw("'{}'::jsonb"));
    t.timestamp('date_verified', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    createdAt(knex, t);
    t.unique(['idp_id', 'external_id'], { indexName: 'identities_idp_id_external_id_unique' });
    t.unique(['idp_id', 'user_id'], { indexName: 'identities_idp_id_user_id_unique' });
    t.index(['user_id'], 'identities_user_id_index');
  });

  await knex.schema.createTable('external_actors', (t) => {
    t.bigIncrements('id');
    t.bigInteger('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.bigInteger('integration_id').notNullable().references('id').inTable('integrations').onDelete('CASCADE');
    t.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    // Jira accountId.
    t.text('external_id').notNullable();
    t.text('external_name');
    createdAt(knex, t);
    // An accountId maps to one user per org.
    t.unique(['integration_id', 'organization_id', 'external_id'], {
      indexName: 'external_actors_integration_id_org_id_external_id_unique',
    });
    t.index(['organization_id'], 'external_actors_organization_id_index');
    t.index(['user_id'], 'external_actors_user_id_index');
  });

  await knex.schema.createTable('chat_messages', (t) => {
    t.bigIncrements('id');
    t.bigInteger('group_id').notNullable().references('id').inTable('groups').onDelete('CASCADE');
    t.bigInteger('integration_id').notNullable().references('id').inTable('integrations').onDelete('CASCADE');
    t.text('provider').notNullable();
    t.text('channel_id').notNullable();
    t.text('message_id').notNullable();
    t.text('service_url');
    t.text('conversation_id');
    createdAt(knex, t);
    t.check("provider IN ('discord', 'msteams')", {}, 'chat_messages_provider_check');
    t.unique(['provider', 'channel_id', 'message_id'], {
      indexName: 'chat_messages_provider_channel_id_message_id_unique',
    });
    t.index(['group_id'], 'chat_messages_group_id_index');
    t.index(['integration_id'], 'chat_messages_integration_id_index');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTableIfExists('chat_messages');
  await knex.schema.dropTableIfExists('external_actors');
  await knex.schema.dropTableIfExists('identities');
  await knex.schema.dropTableIfExists('identity_providers');
  await knex.schema.dropTableIfExists('group_links');
  await knex.schema.dropTableIfExists('external_issues');
  await knex.schema.dropTableIfExists('external_projects');
  await knex.schema.dropTableIfExists('organization_integrations');
  await knex.schema.dropTableIfExists('integrations');
};
