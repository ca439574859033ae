/**
 * Deliveries are unique per provider AND integration (SPEC §2, §3): one tenant's delivery key never shadows
 * another's. Before, integration B posting identifier K made integration A's real change with K a "duplicate"
 * that answered with B's workflow id and was never applied. NULLS NOT DISTINCT keeps a delivery without an
 * integration (a Teams message from an unconnected tenant) unique on (provider, key) as before.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.dropUnique(['provider', 'delivery_key'], 'webhook_deliveries_provider_delivery_key_unique');
  });
  await knex.raw(
    'ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_provider_integration_id_delivery_key_unique ' +
      'UNIQUE NULLS NOT DISTINCT (provider, integration_id, delivery_key)'
  );
};

/**
 * Back to one delivery per (provider, key): deliveries of other integrations that share a key with an older
 * one cannot stay (the old key cannot hold them); the oldest of each key is kept.
 *
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.raw(
    'DELETE FROM webhook_deliveries d USING webhook_deliveries o ' +
      'WHERE d.provider = o.provider AND d.delivery_key = o.delivery_key AND d.id > o.id'
  );
  await knex.raw(
    'ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_provider_integration_id_delivery_key_unique'
  );
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.unique(['provider', 'delivery_key'], { indexName: 'webhook_deliveries_provider_delivery_key_unique' });
  });
};
