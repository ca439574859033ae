/**
 * Teams messages (SPEC §3.4): `POST /webhooks/msteams/messages` with a Bot Framework token.
 *
 * 1. The token (verify/teams-bot-jwt.ts) is checked against the body's `serviceUrl` before anything is parsed or
 *    stored; any failure → 401, nothing stored.
 * 2. The activity is identified (parse/teams-activity.ts): a card action runs `teamsCardAction`; a personal
 *    command (`help`, `link`, `unlink`, anything else), a mention of the bot in a channel, the bot added to a team
 *    and an unreadable card action run `teamsReply`; everything else is ignored (204, nothing stored).
 * 3. Every run is a durable delivery keyed by the activity id (`msteams-<activity id>`): Teams gets 202 as soon
 *    as the row is committed and never waits on Temporal; the start happens in the background or, after an
 *    outage, through the delivery pump. A duplicate activity changes nothing.
 */
import type { Knex } from 'knex';
import { sha256Hex } from '../../domain/hash';
import type { Logger } from '../../logger';
import type { TeamsConversationRef, TeamsReplyKind } from '../../workflows/chat-contracts';
import { deliveryWorkflowId } from '../../workflows/ids';
import { teamsCardAction } from '../../workflows/teams-card-action';
import { teamsReply } from '../../workflows/teams-reply';
import { SignatureError } from '../errors';
import type { IntakeDeps, IntakeReply } from '../intake';
import { intake } from '../intake';
import type { TeamsInbound } from '../parse/teams-activity';
import { parseTeamsActivity, parseTeamsJson, peekServiceUrl } from '../parse/teams-activity';
import type { TeamsVerifier } from '../verify/teams-bot-jwt';

export interface TeamsSignedRequest {
  readonly authorization: string | undefined;
  readonly rawBody: Buffer;
}

export type TeamsMessagesDeps = IntakeDeps & {
  readonly db: Knex;
  readonly logger: Logger;
  /** Null when TEAMS_APP_ID is not set: every request is refused (401). */
  readonly verifier: TeamsVerifier | null;
};

const IGNORED: IntakeReply = { status: 204, body: null };

type Answered = Exclude<TeamsInbound, { kind: 'ignored' | 'cardAction' }>;

/** What `teamsReply` says for an activity that is not a card action: its kind and text. */
function replyOf(a: Answered): [TeamsReplyKind, string | null] {
  switch (a.kind) {
    case 'invalidCardAction':
      return ['invalid', a.reason];
    case 'command':
      return [a.command, a.command === 'unknown' ? a.text : null];
    case 'mention':
      return ['mention', null];
    case 'botAdded':
      return ['welcome', a.teamName];
  }
}

/** The Teams integration an activity belongs to: the card's own id if it is a Teams integration, else by team/tenant. */
async function integrationFor(
  db: Knex,
  conversation: TeamsConversationRef,
  cardIntegrationId: number | null
): Promise<number | null> {
  if (cardIntegrationId !== null) {
    const row = await db('integrations').where({ id: cardIntegrationId, provider: 'msteams' }).first('id');
    if (row) return Number(row.id);
  }
  const keys = [conversation.teamId, conversation.tenantId].filter((k): k is string => k !== null);
  if (keys.length === 0) return null;
  const row = await db('integrations')
    .where({ provider: 'msteams', status: 'active' })
    .where((q) => {
      q.whereIn('external_id', keys);
      if (conversation.tenantId !== null) q.orWhereRaw("metadata->>'tenant_id' = ?", [conversation.tenantId]);
    })
    .orderByRaw('(external_id = ?) desc, id', [conversation.teamId ?? ''])
    .first('id');
  return row ? Number(row.id) : null;
}

export function teamsMessagesService(deps: TeamsMessagesDeps) {
  const { db } = deps;

  function reply(
    activityId: string,
    rawBody: Buffer,
    integrationId: number | null,
    kind: TeamsReplyKind,
    text: string | null,
    conversation: TeamsConversationRef
  ): Promise<IntakeReply> {
    return intake<typeof teamsReply>(deps, {
      provider: 'msteams',
      integrationId,
      deliveryKey: activityId,
      payloadSha256: sha256Hex(rawBody),
      durable: true,
      run: {
        workflow: teamsReply,
        input: { deliveryKey: activityId, integrationId, kind, text, conversation },
        summary: `Teams ${kind} reply`,
      },
      reply: { status: 202, body: { workflowId: deliveryWorkflowId('msteams', activityId, integrationId) } },
    });
  }

  return async function receiveTeamsMessage(req: TeamsSignedRequest): Promise<IntakeReply> {
    if (!deps.verifier) throw new SignatureError('Teams is not configured on this server (TEAMS_APP_ID)');
    await deps.verifier.verify(req.authorization, peekServiceUrl(req.rawBody));
    const inbound = parseTeamsActivity(parseTeamsJson(req.rawBody));
    switch (inbound.kind) {
      case 'ignored':
        return IGNORED;
      case 'cardAction': {
        const integrationId = await integrationFor(db, inbound.conversation, inbound.integrationId);
        if (integrationId === null) {
          return reply(
            inbound.activityId,
            req.rawBody,
            null,
            'invalid',
            'this team is not connected to issue-sync',
            inbound.conversation
          );
        }
        deps.logger.info(
          { activityId: inbound.activityId, integrationId, groupId: inbound.groupId, action: inbound.action.kind },
          'teams card action'
        );
        return intake<typeof teamsCardAction>(deps, {
          provider: 'msteams',
          integrationId,
          deliveryKey: inbound.activityId,
          payloadSha256: sha256Hex(req.rawBody),
          durable: true,
          run: {
            workflow: teamsCardAction,
            input: {
              deliveryKey: inbound.activityId,
              integrationId,
              groupId: inbound.groupId,
              action: inbound.action,
              conversation: inbound.conversation,
            },
            summary: `Teams ${inbound.action.kind} on group ${inbound.groupId}`,
            labels: { groupIds: [inbound.groupId] },
          },
          reply: {
            status: 202,
            body: { workflowId: deliveryWorkflowId('msteams', inbound.activityId, integrationId) },
          },
        });
      }
      default: {
        const [kind, text] = replyOf(inbound);
        const integrationId = await integrationFor(db, inbound.conversation, null);
        return reply(inbound.activityId, req.rawBody, integrationId, kind, text, inbound.conversation);
      }
    }
  };
}
