/**
 * Outbound sync bookkeeping (tracker → Jira).
 * external_comments: the Jira comment a note became on one external issue. Unique per note × external issue:
 * the idempotency key of comment sync (checked before posting; Jira's comment property is the second check).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('external_comments', (t) => {
    t.bigIncrements('id');
    t.bigInteger('activity_id').notNullable().references('id').inTable('activities').onDelete('CASCADE');
    t.bigInteger('external_issue_id').notNullable().references('id').inTable('external_issues').onDelete('CASCADE');
    t.text('comment_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['activity_id', 'external_issue_id']);
    t.index(['external_issue_id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTableIfExists('external_comments');
};
