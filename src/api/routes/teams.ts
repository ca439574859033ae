/** POST /webhooks/msteams/messages: the raw body and bearer token → the Teams messages service. */
import { Router, raw } from 'express';
import type { IntakeReply } from '../intake';
import type { TeamsSignedRequest } from '../services/teams-messages';
import { WEBHOOK_BODY_LIMIT } from './jira';

export function teamsRouter(receive: (req: TeamsSignedRequest) => Promise<IntakeReply>): Router {
  const router = Router();
  router.post('/webhooks/msteams/messages', raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }), async (req, res) => {
    const reply = await receive({
      authorization: req.get('authorization'),
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    });
    if (reply.status === 204) res.status(204).end();
    else res.status(reply.status).json(reply.body);
  });
  return router;
}
