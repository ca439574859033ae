/**
 * Which start errors mark a stored delivery failed (Temporal's final "no") and which leave it `accepted` for the
 * delivery pump. The bench found deliveries marked failed when an API process was stopped with background starts
 * in flight: a connection closed under the call is not a refusal.
 */
import { isStartRefusal } from '../../src/api/stored-runs';

function grpcError(code: number, message = 'grpc'): Error {
  return Object.assign(new Error(message), { code, details: message, metadata: {} });
}

describe('isStartRefusal', () => {
  it('INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED and FAILED_PRECONDITION are refusals (also as a cause)', () => {
    for (const code of [3, 5, 7, 9]) expect(isStartRefusal(grpcError(code))).toBe(true);
    expect(isStartRefusal(new Error('wrapped', { cause: grpcError(3, 'search attribute too long') }))).toBe(true);
  });

  it('a closed connection, cancellation, throttling, unavailability or an unknown error are not', () => {
    expect(isStartRefusal(new Error('Connection closed'))).toBe(false);
    for (const code of [1, 2, 4, 8, 13, 14]) expect(isStartRefusal(grpcError(code))).toBe(false);
    expect(isStartRefusal('not an error')).toBe(false);
  });
});
