/**
 * How provider HTTP answers become Temporal failures (SPEC §4): Retry-After parsing, retryable vs not, the
 * failure type, and messages that carry only the system, the call name and the status.
 *
 * The SDK keeps `nextRetryDelay` exactly as passed to ApplicationFailure.create (a Duration; a number means ms),
 * and failures.ts passes milliseconds, so the tests expect plain numbers of ms.
 */
import { ActivityFailure, ApplicationFailure, ensureApplicationFailure, RetryState } from '@temporalio/common';
import { DatabaseError } from 'pg';
import { FailureType, httpFailure, networkFailure, parseRetryAfter, toFailure } from '../../src/activities/failures';
import { DiscordNonceError } from '../../src/activities/discord/client';
import { JiraResponseError } from '../../src/activities/jira/errors';
import {
  HttpError,
  InvalidRequestError,
  NetworkError,
  ResponseTooLargeError,
  UnexpectedBodyError,
} from '../../src/http';
import { failureReason } from '../../src/workflows/steps';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');

describe('parseRetryAfter', () => {
  it('When given whole seconds, Then it returns milliseconds', () => {
    expect(parseRetryAfter('5', NOW)).toBe(5_000);
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
  });

  it('When given zero seconds, Then it returns 0', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('When given fractional seconds, Then it returns rounded milliseconds', () => {
    expect(parseRetryAfter('1.5', NOW)).toBe(1_500);
    expect(parseRetryAfter('0.0004', NOW)).toBe(0);
  });

  it('When the value has surrounding whitespace, Then it is trimmed', () => {
    expect(parseRetryAfter('  7 ', NOW)).toBe(7_000);
  });

  it('When given an HTTP date in the future, Then it returns the time until then', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:30 GMT', NOW)).toBe(30_000);
  });

  it('When given an HTTP date in the past, Then it returns 0', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 11:59:00 GMT', NOW)).toBe(0);
  });

  it('When `now` is not given, Then the current time is used for HTTP dates', () => {
    const inOneMinute = new Date(Date.now() + 60_000).toUTCString();
    const ms = parseRetryAfter(inOneMinute);
    expect(ms).toBeGreaterThan(55_000);
    expect(ms).toBeLessThanOrEqual(60_000);
  });

  it.each(['soon', 'abc', '1e3', '10 seconds'])('When given garbage %j, Then it returns undefined', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it.each(['', '   ', null, undefined])('When given %p, Then it returns undefined', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('httpFailure', () => {
  describe('429 and 503 (wait for Retry-After)', () => {
    it('When 429 has Retry-After, Then it is a retryable RateLimited failure waiting that long', () => {
      const f = httpFailure('jira', 'get user email', 429, '7');
      expect(f).toBeInstanceOf(ApplicationFailure);
      expect(f.type).toBe(FailureType.RateLimited);
      expect(f.type).toBe('RateLimited');
      expect(f.nonRetryable).toBe(false);
      expect(f.nextRetryDelay).toBe(7_000);
    });

    it('When 429 has fractional Retry-After, Then the delay is in milliseconds', () => {
      expect(httpFailure('discord', 'edit message', 429, '0.25').nextRetryDelay).toBe(250);
    });

    it('When 429 has no Retry-After, Then it waits the default delay', () => {
      const f = httpFailure('jira', 'get user email', 429);
      expect(f.type).toBe('RateLimited');
      expect(f.nonRetryable).toBe(false);
      expect(f.nextRetryDelay).toBe(30_000);
    });

    it('When 429 has an unreadable Retry-After, Then it waits the default delay', () => {
      expect(httpFailure('jira', 'get user email', 429, 'soon').nextRetryDelay).toBe(30_000);
      expect(httpFailure('jira', 'get user email', 429, null).nextRetryDelay).toBe(30_000);
    });

    it('When 503 has Retry-After, Then it is a retryable ServerError waiting that long', () => {
      const f = httpFailure('jira', 'transition issue', 503, '12');
      expect(f.type).toBe('ServerError');
      expect(f.nonRetryable).toBe(false);
      expect(f.nextRetryDelay).toBe(12_000);
    });

    it('When 503 has no Retry-After, Then it is a retryable ServerError with normal backoff', () => {
      const f = httpFailure('jira', 'transition issue', 503);
      expect(f.type).toBe('ServerError');
      expect(f.nonRetryable).toBe(false);
      expect(f.nextRetryDelay).toBeUndefined();
    });

    it('When 429 or 503 fails, Then details carry the system and status', () => {
      expect(httpFailure('discord', 'post message', 429, '1').details).toEqual([{ system: 'discord', status: 429 }]);
    });
  });

  it.each([500, 502, 504, 599])('When the status is %d, Then it is a retryable ServerError with backoff', (status) => {
    const f = httpFailure('jira', 'assign issue', status);
    expect(f.type).toBe('ServerError');
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay == null).toBe(true);
  });

  it('When the status is 500 with a Retry-After, Then Retry-After is not used', () => {
    expect(httpFailure('jira', 'assign issue', 500, '30').nextRetryDelay == null).toBe(true);
  });

  it('When the status is 408, Then it is a retryable Timeout', () => {
    const f = httpFailure('jira', 'assign issue', 408);
    expect(f.type).toBe('Timeout');
    expect(f.nonRetryable).toBe(false);
  });

  it.each([
    [400, 'BadRequest'],
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    [404, 'NotFound'],
    [409, 'ClientError'],
    [422, 'ClientError'],
  ])('When the status is %d, Then it is a non-retryable %s', (status, type) => {
    const f = httpFailure('jira', 'create issue', status, '10');
    expect(f.type).toBe(type);
    expect(f.nonRetryable).toBe(true);
    expect(f.nextRetryDelay == null).toBe(true);
    expect(f.details).toEqual([{ system: 'jira', status }]);
  });

  it.each([400, 401, 403, 404, 408, 422, 429, 500, 502, 503])(
    'When the status is %d, Then the message is exactly system, call name and status',
    (status) => {
      expect(httpFailure('jira', 'get user email', status, '3').message).toBe(
        `jira get user email answered HTTP ${status}`
      );
    }
  );
});

describe('networkFailure', () => {
  it('When the request timed out, Then it is a retryable Timeout saying so', () => {
    const f = networkFailure('jira', 'get issue', new NetworkError('jira', 'get issue', true));
    expect(f.type).toBe('Timeout');
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toBe('jira get issue timed out');
  });

  it('When a plain error is named TimeoutError, Then it counts as a timeout', () => {
    const err = Object.assign(new Error('x'), { name: 'TimeoutError' });
    expect(networkFailure('discord', 'post message', err).message).toBe('discord post message timed out');
  });

  it('When the host could not be reached, Then it is a retryable Timeout saying so', () => {
    const f = networkFailure('discord', 'post message', new Error('ECONNREFUSED 127.0.0.1:1 secret-ish detail'));
    expect(f.type).toBe('Timeout');
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toBe('discord post message could not be reached');
  });
});

describe('toFailure', () => {
  it('When given an HttpError 429 with Retry-After, Then it maps to RateLimited with that delay', () => {
    const f = toFailure(new HttpError('jira', 'get user email', 429, '4', { errorMessages: [] }));
    expect(f).toBeInstanceOf(ApplicationFailure);
    const af = f as ApplicationFailure;
    expect(af.type).toBe('RateLimited');
    expect(af.nextRetryDelay).toBe(4_000);
    expect(af.message).toBe('jira get user email answered HTTP 429');
  });

  it('When given an HttpError 404, Then it maps to a non-retryable NotFound', () => {
    const af = toFailure(
      new HttpError('jira', 'get issue', 404, null, { errorMessages: ['x@y.z'] })
    ) as ApplicationFailure;
    expect(af).toBeInstanceOf(ApplicationFailure);
    expect(af.type).toBe('NotFound');
    expect(af.nonRetryable).toBe(true);
    expect(af.message).toBe('jira get issue answered HTTP 404');
  });

  it('When given a timed-out NetworkError, Then it maps to a retryable Timeout', () => {
    const af = toFailure(new NetworkError('discord', 'edit message', true)) as ApplicationFailure;
    expect(af).toBeInstanceOf(ApplicationFailure);
    expect(af.type).toBe('Timeout');
    expect(af.nonRetryable).toBe(false);
    expect(af.message).toBe('discord edit message timed out');
  });

  it('When given an unreachable NetworkError, Then the message says it could not be reached', () => {
    const af = toFailure(new NetworkError('discord', 'edit message', false)) as ApplicationFailure;
    expect(af.type).toBe('Timeout');
    expect(af.message).toBe('discord edit message could not be reached');
  });

  it('When Jira answered a body of the wrong shape, Then it is a non-retryable BadResponse naming paths only', () => {
    const af = toFailure(new JiraResponseError('Jira', 'issue', ['fields.status', 'key'])) as ApplicationFailure;
    expect(af).toBeInstanceOf(ApplicationFailure);
    expect(af.type).toBe(FailureType.BadResponse);
    expect(af.type).toBe('BadResponse');
    expect(af.nonRetryable).toBe(true);
    expect(af.message).toBe('Jira issue answered an unexpected body (fields.status, key)');
    expect(af.details).toEqual([{ system: 'Jira', what: 'issue', paths: ['fields.status', 'key'] }]);
  });

  it('When any provider answered an unexpected body, Then it is a BadResponse too (not only Jira)', () => {
    const af = toFailure(new UnexpectedBodyError('Teams', 'get member', [])) as ApplicationFailure;
    expect(af.type).toBe('BadResponse');
    expect(af.nonRetryable).toBe(true);
    expect(af.message).toBe('Teams get member answered an unexpected body (root)');
  });

  it('When the Discord client refused a nonce, Then it is a non-retryable BadRequest', () => {
    const af = toFailure(new DiscordNonceError(26)) as ApplicationFailure;
    expect(af).toBeInstanceOf(ApplicationFailure);
    expect(af.type).toBe('BadRequest');
    expect(af.nonRetryable).toBe(true);
    expect(af.message).toBe('Discord create channel message: nonce must be 1-25 characters, got 26');
    expect(af.details).toEqual([{ system: 'Discord', what: 'create channel message' }]);
  });

  it('When a client refused any request before sending it, Then it is a non-retryable BadRequest', () => {
    const af = toFailure(new InvalidRequestError('Jira', 'search', 'bad jql')) as ApplicationFailure;
    expect(af.type).toBe('BadRequest');
    expect(af.nonRetryable).toBe(true);
  });

  it('When given any other error, Then it is passed through unchanged', () => {
    const err = new TypeError('boom');
    expect(toFailure(err)).toBe(err);
  });

  it('When given an ApplicationFailure already, Then it is passed through unchanged', () => {
    const af = ApplicationFailure.nonRetryable('nope', 'Custom');
    expect(toFailure(af)).toBe(af);
  });

  it('When given a non-error value, Then it is passed through unchanged', () => {
    expect(toFailure('just a string')).toBe('just a string');
    expect(toFailure(undefined)).toBeUndefined();
  });
});

describe('parseRetryAfter rejects what is neither delta-seconds nor an HTTP-date', () => {
  test.each(['-5', '5.', '1,5', 'Retry later 3', 'tomorrow', '2024-05-01'])('%s → undefined', (v) => {
    expect(parseRetryAfter(v, Date.UTC(2024, 4, 1))).toBeUndefined();
  });
  test('a garbage Retry-After on a 429 falls back to the default delay instead of retrying at once', () => {
    expect(httpFailure('Jira', 'x', 429, '-5').nextRetryDelay).toBe(30_000);
  });
});

/**
 * Issue 12, holes 4 and 9: a database error never becomes a reason with SQL text or values in it, a redirect is
 * never retried (nor followed), and an oversized body is not asked for again.
 */
describe('hostile answers and database errors', () => {
  const SQL =
    'update "external_issues" set "assignee_updated_at" = $1 where "id" = $2 - ' +
    'date/time field value out of range: "+010000-01-01T00:00:00.000Z"';

  /** What knex rethrows for a statement Postgres refused: pg's DatabaseError, its message prefixed with the SQL. */
  function knexDatabaseError(code: string): Error {
    const err = new DatabaseError(SQL, 100, 'error') as DatabaseError & { code?: string; severity?: string };
    err.code = code;
    err.severity = 'ERROR';
    return err;
  }

  /** How a workflow sees an activity that threw `err`. */
  const asActivityFailure = (cause: Error) =>
    new ActivityFailure(
      'Activity task failed',
      'trackerApplyInboundAssignee',
      '1',
      RetryState.MAXIMUM_ATTEMPTS_REACHED,
      'w',
      cause
    );

  it('When a Postgres error reaches toFailure, Then it says only "database error (SQLSTATE)"', () => {
    const af = toFailure(knexDatabaseError('22008')) as ApplicationFailure;
    expect(af).toBeInstanceOf(ApplicationFailure);
    expect(af.message).toBe('database error (22008)');
    expect(af.type).toBe(FailureType.DatabaseError);
    expect(af.nonRetryable).toBe(true);
    expect(JSON.stringify(af.details)).not.toMatch(/update|010000/);
  });

  it('When the Postgres error is not a data exception (a deadlock, a restart), Then it stays retryable', () => {
    expect((toFailure(knexDatabaseError('40P01')) as ApplicationFailure).nonRetryable).toBe(false);
    expect((toFailure(knexDatabaseError('57P01')) as ApplicationFailure).nonRetryable).toBe(false);
  });

  it('When an activity threw a raw Postgres error, Then the workflow reason is "database error", not the SQL', () => {
    const reason = failureReason(asActivityFailure(ensureApplicationFailure(knexDatabaseError('22008'))));
    expect(reason).toBe('database error');
  });

  it('When an activity mapped it with toFailure, Then the reason keeps the SQLSTATE', () => {
    const af = toFailure(knexDatabaseError('22021')) as ApplicationFailure;
    expect(failureReason(asActivityFailure(af))).toBe('database error (22021)');
  });

  it('When any failure message is SQL text, Then the reason is "database error"', () => {
    expect(failureReason(asActivityFailure(ApplicationFailure.retryable(SQL, 'Error')))).toBe('database error');
    expect(failureReason(asActivityFailure(ApplicationFailure.retryable('Jira user/email answered HTTP 503')))).toBe(
      'Jira user/email answered HTTP 503'
    );
  });

  it.each([301, 302, 307, 308])('When a provider answers %p, Then it is a non-retryable Redirect', (status) => {
    const af = toFailure(new HttpError('Jira', 'issue/get', status, null, null)) as ApplicationFailure;
    expect(af.type).toBe(FailureType.Redirect);
    expect(af.nonRetryable).toBe(true);
    expect(af.message).toBe(`Jira issue/get answered HTTP ${status} (a redirect, not followed)`);
  });

  it('When a body was too large to read, Then it is a non-retryable BadResponse saying so', () => {
    const af = toFailure(new ResponseTooLargeError('Jira', 'issue/get', 5 * 1024 * 1024)) as ApplicationFailure;
    expect(af.type).toBe(FailureType.BadResponse);
    expect(af.nonRetryable).toBe(true);
    expect(af.message).toBe('Jira issue/get answered a body larger than 5 MiB; it was not read');
  });
});
