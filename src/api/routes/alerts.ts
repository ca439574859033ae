/** `POST /api/groups/:id/alerts` (bearer API_TOKEN, Idempotency-Key): post the group's alert to a chat channel. */
import { Router } from 'express';
import { z } from 'zod';
import { idSchema, parseId, parseWith, requestIdOf } from '../parse/request';
import type { ServiceDeps } from '../services/deps';
import { postAlert } from '../services/alerts';

const alertSchema = z.strictObject({
  integrationId: idSchema,
  /** Discord channel id (a snowflake). */
  channelId: z
    .string()
    .regex(/^\d{1,25}$/, 'must be a Discord channel id')
    .optional(),
  /** Teams conversation id: a channel (`19:…@thread.tacv2`) or a personal chat (`a:…`). */
  conversationId: z.string().min(1).max(500).optional(),
});

export function alertsRouter(deps: ServiceDeps): Router {
  const router = Router();
  router.post('/api/groups/:id/alerts', async (req, res) => {
    const groupId = parseId(req.params.id, 'id');
    const body = parseWith(alertSchema, req.body ?? {});
    const out = await postAlert(deps, { groupId, ...body, requestId: requestIdOf(req) });
    res.status(out.status).json(out.body);
  });
  return router;
}
