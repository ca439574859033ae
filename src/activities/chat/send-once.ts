/**
 * At-most-once chat posts for providers without a nonce (Discord webhook follow-ups, Teams): the idempotency
 * key is claimed in outbound_messages before the POST, the message id is recorded after it, and the claim is
 * released only when the provider answered with a refusal (nothing was posted, so a retry may post). A worker
 * killed mid-request leaves the claim: the retry does not post a second message (at most once, not exactly
 * once; the run's reason says so when a send is lost that way).
 */
import type { Knex } from 'knex';
import type { ChatProvider } from '../../domain/model';
import { HttpError } from '../../http';
import { toFailure } from '../failures';

/** message_id of a claim whose POST did not answer with an id. */
const CLAIMED = 'pending';

export interface SendOnceResult {
  readonly messageId: string | null;
  readonly alreadySent: boolean;
}

export async function sendOnce(
  db: Knex,
  claim: { readonly key: string; readonly provider: ChatProvider; readonly channelId: string | null },
  send: () => Promise<{ id: string }>
): Promise<SendOnceResult> {
  const existing = await db('outbound_messages').where('idempotency_key', claim.key).first('message_id');
  if (existing) return { messageId: (existing.message_id as string | null) ?? null, alreadySent: true };
  const claimed = await db('outbound_messages')
    .insert({ idempotency_key: claim.key, provider: claim.provider, channel_id: claim.channelId })
    .onConflict('idempotency_key')
    .ignore()
    .returning('id');
  if (claimed.length === 0) return { messageId: null, alreadySent: true };
  let messageId: string;
  try {
    messageId = (await send()).id;
  } catch (err) {
    if (err instanceof HttpError) await db('outbound_messages').where('idempotency_key', claim.key).delete();
    throw toFailure(err);
  }
  await db('outbound_messages')
    .where('idempotency_key', claim.key)
    .update({ message_id: messageId || CLAIMED });
  return { messageId, alreadySent: false };
}
