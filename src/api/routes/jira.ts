/** POST /webhooks/jira/issue-updated: verify the Connect JWT on the raw request, parse, record, start, 202. */
import { Router, raw } from 'express';
import type { Knex } from 'knex';
import type { Client } from '@temporalio/client';
import { sha256Hex } from '../../domain/hash';
import type { Metrics } from '../../metrics';
import { jiraIssueUpdated } from '../../workflows/jira-issue-updated';
import { SA } from '../../workflows/shared';
import { intake } from '../intake';
import { jiraDeliveryKey, parseJiraBody, planJiraDelivery } from '../parse/jira-payload';
import type { ConnectRequest } from '../verify/jira-connect-jwt';
import { verifyConnectJwt } from '../verify/jira-connect-jwt';

export interface JiraRouteDeps {
  readonly db: Knex;
  readonly temporal: Client;
  readonly taskQueue: string;
  readonly metrics: Metrics;
}

export const WEBHOOK_BODY_LIMIT = '1mb';

/** Active Jira integrations by Connect clientKey (the JWT's iss). */
function secretLookup(db: Knex) {
  return async (clientKey: string) => {
    const row = await db('integrations')
      .where({ provider: 'jira', external_id: clientKey, status: 'active' })
      .first('id', 'metadata');
    const secret = (row?.metadata as Record<string, unknown> | undefined)?.shared_secret;
    return row && typeof secret === 'string' ? { integrationId: Number(row.id), sharedSecret: secret } : null;
  };
}

export function jiraRouter(deps: JiraRouteDeps): Router {
  const router = Router();
  const lookup = secretLookup(deps.db);
  router.post(
    '/webhooks/jira/issue-updated',
    raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    async (req, res) => {
      const { integrationId } = await verifyConnectJwt(
        {
          method: req.method,
          path: new URL(req.originalUrl, 'http://x').pathname,
          query: req.query as ConnectRequest['query'],
          authorization: req.get('authorization'),
        },
        lookup
      );
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const payload = parseJiraBody(body);
      const plan = planJiraDelivery(payload);
      const deliveryKey = jiraDeliveryKey(payload, req.get('x-atlassian-webhook-identifier'));
      const reply = await intake(deps, {
        provider: 'jira',
        integrationId,
        deliveryKey,
        payloadSha256: sha256Hex(body),
        externalIssueKey: payload.issue.key,
        skipReason: plan.kind === 'skip' ? plan.reason : undefined,
        start:
          plan.kind === 'run'
            ? async (workflowId, deliveryId) => {
                await deps.temporal.withDeadline(Date.now() + 5_000, () =>
                  deps.temporal.workflow.start(jiraIssueUpdated, {
                    taskQueue: deps.taskQueue,
                    workflowId,
                    workflowIdReusePolicy: 'REJECT_DUPLICATE',
                    args: [{ ...plan.input, deliveryId, deliveryKey, integrationId }],
                    staticSummary: `Jira ${payload.issue.key} updated: ${plan.fields.join(', ')}`,
                    typedSearchAttributes: [
                      { key: SA.Provider, value: 'jira' },
                      { key: SA.IntegrationId, value: String(integrationId) },
                      { key: SA.ExternalIssueKey, value: payload.issue.key },
                    ],
                  })
                );
              }
            : undefined,
      });
      res.status(reply.status).json(reply.body);
    }
  );
  return router;
}
