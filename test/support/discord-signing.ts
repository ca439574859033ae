/**
 * Discord's side of interaction signatures, for tests and the bench: an Ed25519 key pair (the public key as
 * the 64-hex-character string an integration stores) and a signer that produces the headers Discord sends.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface DiscordSigner {
  /** The raw 32-byte public key as hex (what `integrations.metadata.public_key_hex` holds). */
  readonly publicKeyHex: string;
  /** Headers for `body`, signed at `timestampSec` (default: now). */
  headers(body: string | Buffer, timestampSec?: number): Record<string, string>;
  /** The signature alone (hex), over timestamp + body. */
  signHex(body: string | Buffer, timestamp: string): string;
}

function rawPublicKeyHex(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(String(jwk.x), 'base64url').toString('hex');
}

export function createDiscordSigner(): DiscordSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const signHex = (body: string | Buffer, timestamp: string) =>
    sign(null, Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), privateKey).toString('hex');
  return {
    publicKeyHex: rawPublicKeyHex(publicKey),
    signHex,
    headers(body, timestampSec = Math.floor(Date.now() / 1000)) {
      const timestamp = String(timestampSec);
      return {
        'content-type': 'application/json',
        'x-signature-ed25519': signHex(body, timestamp),
        'x-signature-timestamp': timestamp,
      };
    },
  };
}

let counter = 0n;
/** A fresh snowflake-like id (unique within a process run). */
export function nextSnowflake(): string {
  counter += 1n;
  return String(1_130_000_000_000_000_000n + BigInt(Date.now()) * 1000n + counter);
}

/** A MESSAGE_COMPONENT interaction body (Sentry §3.2 shape). */
export function componentInteraction(o: {
  id?: string;
  applicationId: string;
  guildId?: string | null;
  customId: string;
  values?: string[];
  userId?: string;
  username?: string;
  token?: string;
  messageId?: string;
  messageFlags?: number;
}): Record<string, unknown> {
  const user = { id: o.userId ?? '223300000000000000', username: o.username ?? 'jane' };
  return {
    id: o.id ?? nextSnowflake(),
    application_id: o.applicationId,
    type: 3,
    token: o.token ?? `tok-${nextSnowflake()}`,
    version: 1,
    ...(o.guildId === null ? { user } : { guild_id: o.guildId ?? '808000000000000000', member: { user, roles: [] } }),
    channel_id: '1011000000000000000',
    message: { id: o.messageId ?? '1129000000000000000', flags: o.messageFlags ?? 0, embeds: [], components: [] },
    data: {
      custom_id: o.customId,
      component_type: o.values ? 3 : 2,
      ...(o.values ? { values: o.values } : {}),
    },
  };
}
