/** Reading groups for the API: the view people see, and `assigneeExists` read through the cache (SPEC §5). */
import type { Knex } from 'knex';
import type { Cache } from '../../activities/cache/cache';
import { readAssigneeExists } from '../../activities/cache/cache';
import type { GroupView } from '../../activities/tracker/group-view';
import { loadGroupView } from '../../activities/tracker/group-view';
import { NotFoundError } from '../errors';

export async function groupOr404(db: Knex, id: number): Promise<GroupView> {
  const group = await loadGroupView(db, id);
  if (!group) throw new NotFoundError(`group ${id} not found`);
  return group;
}

export async function describeGroup(deps: { db: Knex; cache: Cache }, id: number) {
  const group = await groupOr404(deps.db, id);
  const cached = await readAssigneeExists(deps.cache, id, async () => {
    const row = await deps.db('group_assignees').where('group_id', id).first('id');
    return row != null;
  });
  return { ...group, assigneeExists: cached.value, assigneeExistsFromCache: cached.fromCache };
}
