import { SignatureError } from '../../src/api/errors';
import {
  checkSignatureHeaders,
  ed25519PublicKey,
  verifyDiscordSignature,
  verifyWithKey,
} from '../../src/api/verify/discord-ed25519';
import { createDiscordSigner } from '../support/discord-signing';

const signer = createDiscordSigner();
const other = createDiscordSigner();
const body = Buffer.from('{"type":1,"application_id":"1"}');
const now = 1_800_000_000_000;
const ts = String(now / 1000);
const req = (
  over: Partial<{ signature: string | undefined; timestamp: string | undefined; rawBody: Buffer }> = {}
) => ({
  signature: signer.signHex(body, ts),
  timestamp: ts,
  rawBody: body,
  ...over,
});
const candidate = { publicKeyHex: signer.publicKeyHex, id: 1 };

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SignatureError);
    return (err as Error).message;
  }
  throw new Error('expected a SignatureError');
}

describe('Discord Ed25519 verification', () => {
  test('a good signature verifies and names the candidate whose key verified', () => {
    expect(verifyDiscordSignature(req(), [{ publicKeyHex: other.publicKeyHex, id: 0 }, candidate], now)).toBe(
      candidate
    );
  });

  test('every failure mode is a SignatureError, never another exception', () => {
    expect(reason(() => verifyDiscordSignature(req({ signature: undefined }), [candidate], now))).toMatch(/missing/);
    expect(reason(() => verifyDiscordSignature(req({ timestamp: undefined }), [candidate], now))).toMatch(/missing/);
    expect(reason(() => verifyDiscordSignature(req({ signature: 'zz'.repeat(64) }), [candidate], now))).toMatch(/hex/);
    expect(reason(() => verifyDiscordSignature(req({ signature: 'ab'.repeat(63) }), [candidate], now))).toMatch(/64/);
    expect(reason(() => verifyDiscordSignature(req({ signature: 'a'.repeat(127) }), [candidate], now))).toMatch(/64/);
    expect(reason(() => verifyDiscordSignature(req({ rawBody: Buffer.from('{}') }), [candidate], now))).toMatch(
      /invalid signature/
    );
    expect(reason(() => verifyDiscordSignature(req(), [], now))).toMatch(/unknown application/);
    expect(reason(() => verifyDiscordSignature(req({ timestamp: 'abc' }), [candidate], now))).toMatch(/unix/);
  });

  test('a timestamp more than 5 minutes old or ahead is refused; within 5 minutes passes', () => {
    const at = (offsetSec: number) => {
      const t = String(now / 1000 + offsetSec);
      return req({ timestamp: t, signature: signer.signHex(body, t) });
    };
    expect(reason(() => verifyDiscordSignature(at(-301), [candidate], now))).toMatch(/5 minutes/);
    expect(reason(() => verifyDiscordSignature(at(301), [candidate], now))).toMatch(/5 minutes/);
    expect(verifyDiscordSignature(at(-299), [candidate], now)).toBe(candidate);
    expect(verifyDiscordSignature(at(299), [candidate], now)).toBe(candidate);
  });

  test('a key that is not 32 bytes of hex verifies nothing (and does not throw)', () => {
    const sig = checkSignatureHeaders(req(), now);
    expect(verifyWithKey('xyz', req(), sig)).toBe(false);
    expect(verifyWithKey(signer.publicKeyHex.slice(2), req(), sig)).toBe(false);
    expect(verifyWithKey(`${signer.publicKeyHex}00`, req(), sig)).toBe(false);
    expect(verifyWithKey('g'.repeat(64), req(), sig)).toBe(false);
    expect(ed25519PublicKey('')).toBeNull();
    expect(ed25519PublicKey(signer.publicKeyHex)).not.toBeNull();
    expect(reason(() => verifyDiscordSignature(req(), [{ publicKeyHex: 'nothex' }], now))).toMatch(/invalid/);
  });

  test('the signature covers the timestamp: the same signature with another timestamp fails', () => {
    const t = String(now / 1000 - 1);
    expect(reason(() => verifyDiscordSignature(req({ timestamp: t }), [candidate], now))).toMatch(/invalid/);
  });
});
