/** createApp(deps): routes, bearer auth for /api, 404, and the one error middleware that maps names to statuses. */
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { Client } from '@temporalio/client';
import type { Cache } from '../activities/cache/cache';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { AuthError, errorExtra, NotFoundError, STATUS_BY_ERROR_NAME, UnavailableError } from './errors';
import { alertsRouter } from './routes/alerts';
import { deliveriesRouter } from './routes/deliveries';
import { discordRouter } from './routes/discord';
import { groupsRouter } from './routes/groups';
import { healthRouter } from './routes/health';
import { identitiesRouter } from './routes/identities';
import { jiraRouter } from './routes/jira';
import { linkPageRouter } from './routes/link-page';
import type { ServiceDeps } from './services/deps';
import { discordInteractionsService } from './services/discord-interactions';
import { jiraWebhookService } from './services/jira-webhook';
import { createStarter, resultWithin, runState } from './temporal-start';

export interface AppDeps {
  readonly db: Knex;
  readonly cache: Cache;
  readonly temporal: Client;
  readonly taskQueue: string;
  readonly apiToken: string | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** HMAC key of account-link tokens (LINK_SECRET); unset → /link pages and identity links answer 503. */
  readonly linkSecret?: string;
}

function bearerAuth(token: string | undefined): RequestHandler {
  const expected = token ? Buffer.from(token) : null;
  return (req, _res, next) => {
    if (!expected) throw new UnavailableError('API_TOKEN is not set; set it to use /api');
    const header = req.get('authorization') ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AuthError('missing or wrong bearer token');
    }
    next();
  };
}

function errorStatus(err: { name?: string; type?: string; status?: number }): number {
  if (err.type === 'entity.too.large') return 413;
  if (err.type === 'entity.parse.failed') return 400;
  return STATUS_BY_ERROR_NAME[err.name ?? ''] ?? 500;
}

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: Error & { type?: string }, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = errorStatus(err);
    if (status >= 500 && status !== 503)
      logger.error({ err: { name: err.name, stack: err.stack }, path: req.path }, 'request failed');
    const name = status === 413 ? 'PayloadTooLargeError' : status === 500 ? 'InternalError' : err.name;
    const message = status === 413 ? 'body larger than 1 MiB' : status === 500 ? 'internal error' : err.message;
    res.status(status).json({ error: { name, message, ...(status < 500 ? errorExtra(err) : {}) } });
  };
}

/** The services' view of the world: the database and the one workflow starter (see temporal-start.ts). */
function serviceDeps(deps: AppDeps): ServiceDeps {
  return {
    db: deps.db,
    start: createStarter({ temporal: deps.temporal, taskQueue: deps.taskQueue, logger: deps.logger }),
    resultWithin: (workflowId, ms) => resultWithin(deps.temporal, workflowId, ms),
    runState: (workflowId) => runState(deps.temporal, workflowId),
  };
}

export function createApp(deps: AppDeps): express.Express {
  const services = serviceDeps(deps);
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter(deps));
  app.use(jiraRouter(jiraWebhookService({ ...services, metrics: deps.metrics })));
  app.use(discordRouter(discordInteractionsService({ ...services, metrics: deps.metrics, logger: deps.logger })));
  app.use(linkPageRouter({ db: deps.db, linkSecret: deps.linkSecret }));
  app.use('/api', bearerAuth(deps.apiToken), express.json({ limit: '1mb' }));
  app.use(groupsRouter({ ...services, cache: deps.cache }));
  app.use(alertsRouter(services));
  app.use(identitiesRouter({ db: deps.db, linkSecret: deps.linkSecret, temporal: deps.temporal, logger: deps.logger }));
  app.use(deliveriesRouter(deps));
  app.use((req) => {
    throw new NotFoundError(`no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler(deps.logger));
  return app;
}
