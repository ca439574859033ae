/**
 * P4's comparison (bench only, never part of the service): the same Jira webhook handled the way Sentry does,
 * with the whole chain inside the request. A plain Express app on the same verification, parsing, planning and
 * delivery row as ours (jiraWebhookService + intake), whose "starter" does not start a workflow but runs the
 * jiraIssueUpdated steps in order, by calling the same activity functions (src/activities) directly, and answers
 * when they are done. A failure (such as Jira's email API answering 429) fails the request with 500, leaving the
 * row `accepted` as ours does on a 503, so a redelivery would run it again. Env as src/api/server.ts.
 */
import type { Server } from 'node:http';
import express from 'express';
import type { ErrorRequestHandler } from 'express';
import { createActivities } from '../src/activities';
import { createCache } from '../src/activities/cache';
import { STATUS_BY_ERROR_NAME } from '../src/api/errors';
import type { Starter } from '../src/api/temporal-start';
import { jiraRouter } from '../src/api/routes/jira';
import { jiraWebhookService } from '../src/api/services/jira-webhook';
import { loadConfig } from '../src/config';
import { createDb } from '../src/db';
import type { AssigneeTarget, ChangeSource, GroupChange } from '../src/domain/model';
import { statusTargetFromCategory } from '../src/domain/rules';
import { createMetrics } from '../src/metrics';
import type { JiraIssueUpdatedInput } from '../src/workflows/shared';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = createDb(config.databaseUrl, { max: config.dbPoolMax });
  const cache = createCache({ redisUrl: config.redisUrl });
  const acts = createActivities({
    db,
    cache,
    discordApiBaseUrl: config.discord.apiBaseUrl,
    httpTimeoutMs: config.httpTimeoutMs,
    allowHttpLoopback: config.allowHttpLoopback,
  });

  async function afterChanges(changes: readonly GroupChange[], source: ChangeSource): Promise<void> {
    if (changes.length === 0) return;
    const groupIds = [...new Set(changes.map((c) => c.groupId))];
    await acts.cacheInvalidateGroups({ groupIds });
    await acts.trackerListChatMessages({ groupIds }); // the bench seeds no chat messages: nothing to refresh
    for (const c of changes) await acts.trackerPlanOutbound({ groupId: c.groupId, kinds: ['assignee'], source }); // never back to its site
  }

  /** The chain of jiraIssueUpdated, inline (assignee and status chains; no retries: a failure is a 500). */
  async function runInline(input: JiraIssueUpdatedInput): Promise<void> {
    const source: ChangeSource = {
      provider: 'jira',
      integrationId: input.integrationId,
      key: input.deliveryKey,
      label: input.issue.key,
    };
    await acts.trackerMarkDeliveryRunning({ deliveryId: input.deliveryId });
    const groupIds = new Set<number>();
    let applied = false;
    if (input.assignee !== undefined) {
      const a = input.assignee;
      const { target } =
        a == null
          ? { target: { kind: 'none' } as AssigneeTarget }
          : await acts.jiraResolveAssigneeEmail({
              integrationId: input.integrationId,
              accountId: a.accountId,
              emailSha256: a.emailSha256,
            });
      const links = await acts.trackerFindLinkedGroups({
        integrationId: input.integrationId,
        issueKey: input.issue.key,
        issueId: input.issue.id,
        flag: 'sync_reverse_assignment',
      });
      if (links.externalIssueIds.length > 0) {
        const r = await acts.trackerApplyInboundAssignee({
          externalIssueIds: links.externalIssueIds,
          eventAt: input.eventAt,
          target,
          source,
        });
        await afterChanges(r.changed, source);
        r.changed.forEach((c) => groupIds.add(c.groupId));
        applied ||= r.changed.length > 0;
      }
    }
    const status = input.statusCategory !== undefined ? statusTargetFromCategory(input.statusCategory) : null;
    if (status) {
      const links = await acts.trackerFindLinkedGroups({
        integrationId: input.integrationId,
        issueKey: input.issue.key,
        issueId: input.issue.id,
        flag: 'sync_status_reverse',
      });
      if (links.externalIssueIds.length > 0) {
        const r = await acts.trackerApplyInboundStatus({
          externalIssueIds: links.externalIssueIds,
          eventAt: input.eventAt,
          target: status,
          source,
          orgConfig: links.orgConfig,
        });
        await afterChanges(r.changed, source);
        r.changed.forEach((c) => groupIds.add(c.groupId));
        applied ||= r.changed.length > 0;
      }
    }
    await acts.trackerFinishDelivery({
      deliveryId: input.deliveryId,
      outcome: applied ? 'applied' : 'skipped',
      reason: null,
      groupIds: [...groupIds].sort((x, y) => x - y),
    });
  }

  const start: Starter = async (spec) => {
    await runInline(spec.args[0] as JiraIssueUpdatedInput);
    return 'started';
  };
  const app = express();
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(jiraRouter(jiraWebhookService({ db, metrics: createMetrics(), start })));
  const onError: ErrorRequestHandler = (err: Error, _req, res, _next) => {
    const status = STATUS_BY_ERROR_NAME[err.name ?? ''] ?? 500;
    res.status(status).json({ error: { name: status === 500 ? 'InternalError' : err.name, message: err.message } });
  };
  app.use(onError);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, '127.0.0.1', () => resolve(s));
  });
  const stop = () => server.close(() => void Promise.all([db.destroy(), cache.close()]).then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
