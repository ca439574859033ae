/** A Jira `jira:issue_updated` webhook: verify the Connect JWT, parse, plan, record once and start `jiraIssueUpdated`. */
import type { Knex } from 'knex';
import type { JiraIntakeMode } from '../../config';
import { sha256Hex } from '../../domain/hash';
import { jiraIssueUpdated } from '../../workflows/jira-issue-updated';
import type { IntakeDeps, IntakeReply } from '../intake';
import { intake } from '../intake';
import { jiraDeliveryKey, parseJiraBody, planJiraDelivery } from '../parse/jira-payload';
import type { ConnectRequest } from '../verify/jira-connect-jwt';
import { verifyConnectJwt } from '../verify/jira-connect-jwt';
import { jiraSecretLookup } from './integrations';

export interface JiraWebhookRequest extends ConnectRequest {
  /** `X-Atlassian-Webhook-Identifier`: the same across Jira's retries of one delivery. */
  readonly identifier: string | undefined;
  readonly rawBody: Buffer;
}

/**
 * `mode` is JIRA_INTAKE. `sync` (default): answer after Temporal took the start (503 while it is unreachable;
 * Jira's retry redrives it). `durable`: answer 202 once the delivery row with its start is committed, start in the
 * background, and leave anything Temporal did not take to the delivery pump (no 503 while Temporal is down).
 * `queued`: the same answer, and the pump does every start.
 */
export function jiraWebhookService(deps: IntakeDeps & { db: Knex; mode?: JiraIntakeMode; secretCacheMs?: number }) {
  const lookup = jiraSecretLookup(deps.db, deps.secretCacheMs);
  return async function receiveIssueUpdated(req: JiraWebhookRequest): Promise<IntakeReply> {
    const { integrationId } = await verifyConnectJwt(req, lookup);
    const payload = parseJiraBody(req.rawBody, Date.now());
    const deliveryKey = jiraDeliveryKey(payload, req.identifier);
    const plan = planJiraDelivery(payload);
    return intake<typeof jiraIssueUpdated>(deps, {
      provider: 'jira',
      integrationId,
      deliveryKey,
      payloadSha256: sha256Hex(req.rawBody),
      externalIssueKey: payload.issue.key,
      durable: deps.mode === 'durable' || deps.mode === 'queued',
      queued: deps.mode === 'queued',
      ...(plan.kind === 'skip'
        ? { skipReason: plan.reason }
        : {
            run: {
              workflow: jiraIssueUpdated,
              input: { ...plan.input, deliveryKey, integrationId },
              summary: `Jira ${payload.issue.key} updated: ${plan.fields.join(', ')}`,
              labels: { externalIssueKey: payload.issue.key },
            },
          }),
    });
  };
}
