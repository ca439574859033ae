/**
 * jira_issue_claims: the one-issue-per-site rule for creating Jira issues, held by the database. A create
 * request claims (group, Jira integration) before Jira is called; a second request with another id finds
 * the claim and gets 409, even when both arrive at the same moment. The claim passes to a new request only
 * when the claiming run ended without linking an issue (e.g. Jira refused the fields), and goes with unlink.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('jira_issue_claims', (t) => {
    t.bigIncrements('id');
    t.bigInteger('group_id').notNullable().references('id').inTable('groups').onDelete('CASCADE');
    t.bigInteger('integration_id').notNullable().references('id').inTable('integrations').onDelete('CASCADE');
    t.text('request_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['group_id', 'integration_id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTableIfExists('jira_issue_claims');
};
