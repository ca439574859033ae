/** Which errors mean "the database cannot be reached" (→ 503, the provider retries) and which do not. */
import { databaseUnavailableCode } from '../../src/api/errors';

describe('databaseUnavailableCode', () => {
  it('a connection cut during a query, as knex reports it (statement prefixed to the message), is unavailable', () => {
    // Found by the chaos run (Postgres refusal): this answered 500 while the pattern was anchored at the start.
    const err = new Error(
      'insert into "webhook_deliveries" ("attempts") values ($1) - Connection terminated unexpectedly'
    );
    expect(databaseUnavailableCode(err)).toBe('connection lost');
    expect(databaseUnavailableCode(new Error('Connection terminated unexpectedly'))).toBe('connection lost');
  });

  it('socket codes, class 08 and pool timeouts are unavailable; a constraint violation is not', () => {
    expect(databaseUnavailableCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(databaseUnavailableCode(Object.assign(new Error('x'), { code: '08006' }))).toBe('08006');
    expect(databaseUnavailableCode(Object.assign(new Error('x'), { name: 'KnexTimeoutError' }))).toBe('pool timeout');
    expect(databaseUnavailableCode(Object.assign(new Error('dup'), { code: '23505' }))).toBeUndefined();
    expect(databaseUnavailableCode(new Error('syntax error at or near "select"'))).toBeUndefined();
  });
});
