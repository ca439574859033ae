/**
 * Operator controls (issue 11): pause and resume per integration, and redrive of deliveries.
 * - integrations.paused_at / paused_reason: while set, deliveries are verified and recorded `paused` (not started)
 *   and outbound pushes to that Jira site wait; resume starts the paused deliveries in received order.
 * - webhook_deliveries: status `paused`; `redrive_count` (how many times an operator ran it again; its current
 *   run is `<first run id>-redrive-<n>`); an index for the per-issue ordering of pump starts.
 * - operator_requests: the answer of an operator POST per Idempotency-Key, so a repeat gets the same answer.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('integrations', (t) => {
    t.timestamp('paused_at', { useTz: true });
    t.text('paused_reason');
  });
  await knex.raw('ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check');
  await knex.raw(
    'ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check ' +
      "CHECK (status IN ('accepted', 'running', 'applied', 'skipped', 'failed', 'paused'))"
  );
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.integer('redrive_count').notNullable().defaultTo(0);
    t.index(['integration_id', 'external_issue_key', 'id'], 'webhook_deliveries_integration_issue_id_index');
  });
  await knex.schema.createTable('operator_requests', (t) => {
    t.text('idempotency_key').primary();
    t.text('kind').notNullable();
    t.jsonb('response');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTableIfExists('operator_requests');
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.dropIndex([], 'webhook_deliveries_integration_issue_id_index');
    t.dropColumn('redrive_count');
  });
  await knex('webhook_deliveries').where('status', 'paused').update({ status: 'accepted' });
  await knex.raw('ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check');
  await knex.raw(
    'ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check ' +
      "CHECK (status IN ('accepted', 'running', 'applied', 'skipped', 'failed'))"
  );
  await knex.schema.alterTable('integrations', (t) => {
    t.dropColumn('paused_reason');
    t.dropColumn('paused_at');
  });
};
