/** POST /webhooks/jira/issue-updated: the raw request (for the Connect JWT and the body hash) → the Jira service. */
import { Router, raw } from 'express';
import type { IntakeReply } from '../intake';
import type { JiraWebhookRequest } from '../services/jira-webhook';
import type { ConnectRequest } from '../verify/jira-connect-jwt';

export const WEBHOOK_BODY_LIMIT = '1mb';

export function jiraRouter(receive: (req: JiraWebhookRequest) => Promise<IntakeReply>): Router {
  const router = Router();
  router.post(
    '/webhooks/jira/issue-updated',
    raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    async (req, res) => {
      const reply = await receive({
        method: req.method,
        path: new URL(req.originalUrl, 'http://x').pathname,
        query: req.query as ConnectRequest['query'],
        authorization: req.get('authorization'),
        identifier: req.get('x-atlassian-webhook-identifier'),
        rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      });
      res.status(reply.status).json(reply.body);
    }
  );
  return router;
}
