// Deliveries (SPEC §2): the webhook audit log and dedupe key, plus the record of chat messages we
// posted (check-then-act idempotency for outbound posts).
// Table and column names are a contract (outside acceptance tests use them): add, never rename.

/** @param {import('knex').Knex} knex @param {import('knex').Knex.CreateTableBuilder} t */
function createdAt(knex, t) {
  t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
}

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id');
    t.text('provider').notNullable();
    // Null until the integration is known; an audit row outlives its integration (SET NULL, not CASCADE).
    t.bigInteger('integration_id').references('id').inTable('integrations').onDelete('SET NULL');
    t.text('delivery_key').notNullable();
    // Null when the delivery was skipped at intake (no workflow was started).
    t.text('workflow_id');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // accepted -> running -> applied | skipped | failed
    t.text('status').notNullable().defaultTo('accepted');
    // Why, in words a person understands. Never the raw payload, never an email address.
    t.text('reason');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('payload_sha256');
    t.timestamp('finished_at', { useTz: true });
    t.text('external_issue_key');
    t.specificType('group_ids', 'bigint[]');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    createdAt(knex, t);
    t.check("status IN ('accepted', 'running', 'applied', 'skipped', 'failed')", {}, 'webhook_deliveries_status_check');
    t.check('attempts >= 0', {}, 'webhook_deliveries_attempts_check');
    t.unique(['provider', 'delivery_key'], { indexName: 'webhook_deliveries_provider_delivery_key_unique' });
    t.index(['status', 'received_at'], 'webhook_deliveries_status_received_at_index');
    t.index(['workflow_id'], 'webhook_deliveries_workflow_id_index');
    t.index(['integration_id'], 'webhook_deliveries_integration_id_index');
  });

  await knex.schema.createTable('outbound_messages', (t) => {
    t.bigIncrements('id');
    t.text('idempotency_key').notNullable().unique({ indexName: 'outbound_messages_idempotency_key_unique' });
    t.text('provider').notNullable();
    t.text('channel_id');
    t.text('message_id');
    createdAt(knex, t);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTableIfExists('outbound_messages');
  await knex.schema.dropTableIfExists('webhook_deliveries');
};
