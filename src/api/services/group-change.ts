/**
 * A person's change to a group, whoever makes it: the tracker API today, Discord and Teams through the same
 * function. It turns request values into the domain's AssigneeChoice / StatusRequest, checks the group and
 * the assignee (400/404 before anything starts), and runs `groupUpdate` with the change's source, which
 * drives idempotency keys, activity data, echo prevention and reply wording.
 */
import type { Knex } from 'knex';
import { invalidAssignee } from '../../activities/tracker/group-change';
import type { AssigneeChoice, ChangeSource, StatusRequest, StatusTarget } from '../../domain/model';
import { parseAssigneeValue } from '../../domain/requests';
import { groupUpdate } from '../../workflows/group-update';
import { apiWorkflowId } from '../../workflows/ids';
import type { GroupUpdateInput, GroupUpdateResult } from '../../workflows/shared';
import { InputError } from '../errors';
import type { ServiceDeps } from './deps';
import { groupOr404 } from './groups';

/** An assignee as requests spell it → the domain's choice; anything else is a 400 naming `field`. */
export function assigneeFromValue(value: string | null, field = 'assignedTo'): AssigneeChoice {
  const choice = parseAssigneeValue(value);
  if (!choice) throw new InputError(`${field}: must be user:<id>, team:<id> or null`);
  return choice;
}

export interface StatusOptions {
  /** Resolve in the next release, or in the current (latest) one; needs target `resolved`. */
  readonly release?: 'next' | 'current';
  readonly archiveSubstatus?: StatusRequest['archiveSubstatus'];
}

/** A status target and its options → the domain's request; release details on anything but resolve are a 400. */
export function statusRequest(target: StatusTarget, opts: StatusOptions = {}): StatusRequest {
  if (target !== 'resolved' && opts.release)
    throw new InputError('statusDetails: release details need status resolved');
  if (target !== 'ignored' && opts.archiveSubstatus)
    throw new InputError('statusDetails: substatus needs status ignored');
  const strategy =
    opts.release === 'next'
      ? 'resolve_next_release'
      : opts.release === 'current'
        ? 'resolve_current_release'
        : 'resolve';
  return { target, strategy, archiveSubstatus: opts.archiveSubstatus };
}

export interface GroupChangeRequest {
  readonly groupId: number;
  /** The Idempotency-Key (API) or the chat delivery key: a repeat finds the same run. */
  readonly requestId: string;
  readonly actorUserId: number | null;
  readonly assignee?: AssigneeChoice;
  readonly status?: StatusRequest;
  /** Who asks; the tracker API when absent. */
  readonly source?: ChangeSource;
}

/** Why the assignee cannot be given to this group, or null. The apply activity checks again under its lock. */
async function checkAssignee(db: Knex, groupId: number, assignee: AssigneeChoice): Promise<void> {
  const g = await groupOr404(db, groupId);
  const invalid = await invalidAssignee(
    db,
    { id: g.id, projectId: g.projectId, organizationId: g.organizationId, status: g.status, substatus: g.substatus },
    assignee
  );
  if (invalid) throw new InputError(`assignedTo: ${invalid}`);
}

const PROVIDER_LABEL = { api: 'API', jira: 'Jira', discord: 'Discord', msteams: 'Teams' } as const;

/**
 * Starts `groupUpdate` (workflow id `api-<request id>`; a repeat finds the same run) and waits up to
 * `waitMs` for its result. Returns the result, or only the workflow id while it is still running.
 */
export async function requestGroupChange(
  deps: ServiceDeps,
  req: GroupChangeRequest,
  waitMs = 15_000
): Promise<{ workflowId: string; result?: GroupUpdateResult }> {
  if (!req.assignee && !req.status) throw new InputError('(body): give status and/or assignedTo');
  if (req.assignee) await checkAssignee(deps.db, req.groupId, req.assignee);
  else await groupOr404(deps.db, req.groupId);
  const input: GroupUpdateInput = {
    requestId: req.requestId,
    groupId: req.groupId,
    actorUserId: req.actorUserId,
    assignee: req.assignee,
    status: req.status,
    ...(req.source ? { source: req.source } : {}),
  };
  const workflowId = apiWorkflowId.groupUpdate(req.requestId);
  const what = [req.status?.target, req.assignee ? 'assignee' : null].filter(Boolean).join(', ');
  const provider = req.source?.provider ?? 'api';
  await deps.start({
    workflow: groupUpdate,
    workflowId,
    args: [input],
    summary: `${PROVIDER_LABEL[provider]} change to group ${req.groupId}: ${what}`,
    labels: { provider, integrationId: req.source?.integrationId ?? null, groupIds: [req.groupId] },
  });
  const result = await deps.resultWithin<GroupUpdateResult>(workflowId, waitMs);
  return result ? { workflowId, result } : { workflowId };
}
