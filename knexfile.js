// knex CLI entry (`npm run db:migrate`). The service itself migrates through src/db.ts with the same settings.
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/issue_sync';

module.exports = {
  client: 'pg',
  connection: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
  migrations: { directory: './migrations', tableName: 'knex_migrations' },
};
