/** GET /api/groups/:id — the group with its assignee; `assigneeExists` is read through the cache (SPEC §5). */
import { Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Cache } from '../../activities/cache/cache';
import { readAssigneeExists } from '../../activities/cache/cache';
import { loadGroupView } from '../../activities/tracker/group-view';
import { InputError, NotFoundError } from '../errors';

const idParam = z.coerce.number().int().positive();

export function parseId(value: unknown, name: string): number {
  const parsed = idParam.safeParse(value);
  if (!parsed.success) throw new InputError(`${name}: must be a positive integer`);
  return parsed.data;
}

export function groupsRouter(deps: { db: Knex; cache: Cache }): Router {
  const router = Router();
  router.get('/api/groups/:id', async (req, res) => {
    const id = parseId(req.params.id, 'id');
    const group = await loadGroupView(deps.db, id);
    if (!group) throw new NotFoundError(`group ${id} not found`);
    const cached = await readAssigneeExists(deps.cache, id, async () => {
      const row = await deps.db('group_assignees').where('group_id', id).first('id');
      return row != null;
    });
    res.json({ ...group, assigneeExists: cached.value, assigneeExistsFromCache: cached.fromCache });
  });
  return router;
}
