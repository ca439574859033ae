/**
 * Discord interactions.
 * - discord_interactions: what a `discordInteraction` run needs to answer through Discord's interaction
 *   webhook (application id, the 15-minute token, the message clicked). The token is a credential, so it is
 *   kept here and never enters workflow inputs, histories or logs; rows are useless after `expires_at`.
 * - webhook_deliveries.run: the start of a delivery's workflow (type, input without secrets, summary, search
 *   labels), so the delivery pump can start it when Temporal comes back: Discord and Teams never redeliver.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('discord_interactions', (t) => {
    t.bigIncrements('id');
    t.bigInteger('integration_id').notNullable().references('id').inTable('integrations').onDelete('CASCADE');
    t.text('interaction_id').notNullable().unique();
    t.text('application_id').notNullable();
    t.text('token').notNullable();
    t.text('channel_id');
    t.text('message_id');
    t.boolean('message_ephemeral').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.jsonb('run');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.dropColumn('run');
  });
  await knex.schema.dropTableIfExists('discord_interactions');
};
