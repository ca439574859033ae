/**
 * Posting a group's alert to a chat channel (`POST /api/groups/:id/alerts`). The integration decides the
 * provider: Discord runs `postDiscordAlert` (workflow id `alert-<request id>`), which posts the alert as the
 * bot and records the message so every later change refreshes it; Teams (`conversationId`) runs
 * `postTeamsAlert`, which posts the group's card to the conversation and records it the same way.
 * The group (404) and an active chat integration installed for the group's org (404) are checked before
 * anything starts. A repeat with the same request id finds the same run, so one message is posted.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { Knex } from 'knex';
import { postDiscordAlert } from '../../workflows/discord-alert';
import { postTeamsAlert } from '../../workflows/teams-alert';
import type { PostAlertInput, PostTeamsAlertInput } from '../../workflows/chat-contracts';
import { InputError, NotFoundError } from '../errors';
import type { ServiceDeps } from './deps';
import { groupOr404 } from './groups';

const RESULT_WAIT_MS = 15_000;

/** The workflow id of an alert post: `alert-<request id>`. */
export const alertWorkflowId = (requestId: string): string => `alert-${requestId}`;

export interface AlertRequest {
  readonly groupId: number;
  readonly integrationId: number;
  /** Discord: the channel to post in. */
  readonly channelId?: string;
  /** Teams: the conversation to post in (a channel's `19:…@thread…` id or a personal chat's id). */
  readonly conversationId?: string;
  readonly requestId: string;
}

export interface AlertAnswer {
  readonly status: 201 | 202 | 502;
  readonly body: Record<string, unknown>;
}

type AlertResult = Awaited<ReturnType<typeof postDiscordAlert>>;

/** The chat integration's provider, when it is active and installed (active) in the org; else 404. */
async function installedChatProvider(db: Knex, organizationId: number, integrationId: number): Promise<string> {
  const row = await db('organization_integrations as oi')
    .join('integrations as i', 'i.id', 'oi.integration_id')
    .where({
      'oi.organization_id': organizationId,
      'oi.integration_id': integrationId,
      'oi.status': 'active',
      'i.status': 'active',
    })
    .whereIn('i.provider', ['discord', 'msteams'])
    .first('i.provider');
  if (!row) throw new NotFoundError(`chat integration ${integrationId} is not installed for this organization`);
  return String(row.provider);
}

/** The innermost failure message of a failed run (an activity failure wraps Discord's answer). */
function innermostMessage(err: Error): string {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && e.cause instanceof Error && depth < 5; depth++) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** Starts the provider's alert run (`alert-<request id>`); the body's fields must fit the provider. */
async function startAlert(deps: ServiceDeps, req: AlertRequest, provider: string, shortId: string): Promise<string> {
  const workflowId = alertWorkflowId(req.requestId);
  const labels = { integrationId: req.integrationId, groupIds: [req.groupId] };
  if (provider === 'msteams') {
    if (req.channelId !== undefined) throw new InputError('channelId: only for Discord; give conversationId');
    if (req.conversationId === undefined) throw new InputError('conversationId: required for a Teams integration');
    const input: PostTeamsAlertInput = {
      requestId: req.requestId,
      groupId: req.groupId,
      integrationId: req.integrationId,
      conversationId: req.conversationId,
    };
    await deps.start({
      workflow: postTeamsAlert,
      workflowId,
      args: [input],
      summary: `Post the card of group ${req.groupId} (${shortId}) to Microsoft Teams`,
      labels: { ...labels, provider: 'msteams' },
    });
    return workflowId;
  }
  if (req.conversationId !== undefined) throw new InputError('conversationId: only for Teams; give channelId');
  if (req.channelId === undefined) throw new InputError('channelId: required for a Discord integration');
  const input: PostAlertInput = {
    requestId: req.requestId,
    groupId: req.groupId,
    integrationId: req.integrationId,
    channelId: req.channelId,
  };
  await deps.start({
    workflow: postDiscordAlert,
    workflowId,
    args: [input],
    summary: `Post the alert of group ${req.groupId} (${shortId}) to Discord`,
    labels: { ...labels, provider: 'discord' },
  });
  return workflowId;
}

export async function postAlert(deps: ServiceDeps, req: AlertRequest): Promise<AlertAnswer> {
  const group = await groupOr404(deps.db, req.groupId);
  const provider = await installedChatProvider(deps.db, group.organizationId, req.integrationId);
  const workflowId = await startAlert(deps, req, provider, group.shortId);
  const providerName = provider === 'msteams' ? 'Microsoft Teams' : 'Discord';
  let result: AlertResult | undefined;
  try {
    result = await deps.resultWithin<AlertResult>(workflowId, RESULT_WAIT_MS);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    return {
      status: 502,
      body: {
        error: { name: 'ChatPostFailed', message: `${providerName} refused the alert: ${innermostMessage(err)}` },
        workflowId,
      },
    };
  }
  if (!result) return { status: 202, body: { workflowId, status: 'running' } };
  return { status: 201, body: { chatMessageId: result.chatMessageId, messageId: result.messageId, workflowId } };
}
