/** POST /webhooks/discord/interactions: the raw body and signature headers → the interactions service. */
import { Router, raw } from 'express';
import type { IntakeReply } from '../intake';
import type { DiscordSignedRequest } from '../verify/discord-ed25519';
import { WEBHOOK_BODY_LIMIT } from './jira';

export function discordRouter(receive: (req: DiscordSignedRequest) => Promise<IntakeReply>): Router {
  const router = Router();
  router.post(
    '/webhooks/discord/interactions',
    raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    async (req, res) => {
      const reply = await receive({
        signature: req.get('x-signature-ed25519'),
        timestamp: req.get('x-signature-timestamp'),
        rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      });
      res.status(reply.status).json(reply.body);
    }
  );
  return router;
}
