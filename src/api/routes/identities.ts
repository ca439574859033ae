/**
 * Chat identities of tracker users (bearer API_TOKEN): confirm a link for the logged-in user (the tracker's
 * front end calls it with the token from `<PUBLIC_URL>/link/<token>`), list a user's links, unlink one.
 */
import { Router } from 'express';
import { z } from 'zod';
import { InputError } from '../errors';
import { idSchema, parseId, parseWith } from '../parse/request';
import type { IdentityLinkDeps } from '../services/identity-links';
import { linkIdentity, listIdentities, unlinkIdentity } from '../services/identity-links';

const linkSchema = z.strictObject({
  token: z.string().min(1).max(4096),
  userId: idSchema,
});

export function identitiesRouter(deps: IdentityLinkDeps): Router {
  const router = Router();

  router.post('/api/identity-links', async (req, res) => {
    const body = parseWith(linkSchema, req.body ?? {});
    const out = await linkIdentity(deps, body);
    res.status(out.status).json(out.body);
  });

  router.get('/api/identities', async (req, res) => {
    if (req.query.userId === undefined) throw new InputError('userId: required');
    res.json({ identities: await listIdentities(deps.db, parseId(req.query.userId, 'userId')) });
  });

  router.delete('/api/identities/:id', async (req, res) => {
    await unlinkIdentity(deps.db, parseId(req.params.id, 'id'));
    res.status(204).end();
  });

  return router;
}
