/** createApp(deps): routes, bearer auth for /api, 404, and the one error middleware that maps names to statuses. */
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { Client } from '@temporalio/client';
import type { Cache } from '../activities/cache/cache';
import type { JiraIntakeMode } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { intakeTimer } from '../metrics/intake-timer';
import {
  AuthError,
  bodyReadError,
  databaseUnavailableCode,
  errorExtra,
  NotFoundError,
  STATUS_BY_ERROR_NAME,
  UnavailableError,
} from './errors';
import { alertsRouter } from './routes/alerts';
import type { CodecEndpointOptions } from './routes/codec';
import { codecRouter } from './routes/codec';
import { deliveriesRouter } from './routes/deliveries';
import { integrationsRouter } from './routes/integrations';
import { discordRouter } from './routes/discord';
import { groupsRouter } from './routes/groups';
import { healthRouter } from './routes/health';
import { identitiesRouter } from './routes/identities';
import { jiraRouter } from './routes/jira';
import { linkPageRouter } from './routes/link-page';
import type { ServiceDeps } from './services/deps';
import { discordInteractionsService } from './services/discord-interactions';
import { jiraWebhookService } from './services/jira-webhook';
import { teamsMessagesService } from './services/teams-messages';
import { teamsRouter } from './routes/teams';
import { createTeamsVerifier } from './verify/teams-bot-jwt';
import { createStarter, resultWithin, runState } from './temporal-start';
import type { TemporalUi } from './services/deliveries';

const DEFAULT_TEMPORAL_UI: TemporalUi = { url: 'http://127.0.0.1:8233', namespace: 'default' };

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
  /** The Teams bot (TEAMS_APP_ID, TEAMS_OPENID_METADATA_URL); without an app id, Teams messages get 401. */
  readonly teams?: { readonly appId: string | undefined; readonly openIdMetadataUrl: string };
  /** Where deliveries link to (the Temporal Web UI and namespace); default the dev server's. */
  readonly temporalUi?: TemporalUi;
  /** METRICS_TOKEN: bearer token for /metrics; unset → loopback clients only. */
  readonly metricsToken?: string;
  /** The Temporal UI's remote codec at /codec (CODEC_KEYS, CODEC_TOKEN, CODEC_CORS_ORIGINS); unset → 503. */
  readonly codec?: CodecEndpointOptions;
  /**
   * JIRA_INTAKE: `sync` (default) acks after the start; `durable` acks after the row commit and starts in the
   * background; `queued` acks after the commit and leaves every start to the pump.
   */
  readonly jiraIntake?: JiraIntakeMode;
  /** This process's delivery pump, told when a queued delivery waits (JIRA_INTAKE=queued). */
  readonly wakePump?: () => void;
  /** JIRA_SECRET_CACHE_MS: how long a Jira site's secret is reused (default 0: read per delivery). */
  readonly jiraSecretCacheMs?: number;
  /** BENCH_BARE_ROUTE: serve `POST /bench/bare` (JSON parsed, 202), the floor `npm run bench` compares with. */
  readonly benchBareRoute?: boolean;
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

/**
 * The one error middleware. In this order: a body the parser refused (413, 415 for an unsupported
 * Content-Encoding, 400 for a corrupt gzip/deflate body or bad JSON) answers with its own status and a fixed
 * message, logged at no level (anyone can send one); a database that cannot be reached answers 503 Unavailable
 * (the provider retries) and is logged as a warning with its code, never the query; named errors map by name;
 * anything else is a 500 logged with its stack.
 */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: Error & { type?: string }, req, res, next) => {
    if (res.headersSent) return next(err);
    const refused = bodyReadError(err);
    if (refused) {
      res.status(refused.status).json({ error: { name: refused.name, message: refused.message } });
      return;
    }
    const dbDown = databaseUnavailableCode(err);
    if (dbDown) {
      logger.warn({ path: req.path, code: dbDown }, 'database unavailable');
      res.status(503).json({ error: { name: 'Unavailable', message: 'database unavailable' } });
      return;
    }
    const status = STATUS_BY_ERROR_NAME[err.name ?? ''] ?? 500;
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
  app.use('/webhooks', intakeTimer(deps.metrics));
  if (deps.benchBareRoute)
    app.post('/bench/bare', express.json({ limit: '1mb' }), (req, res) => {
      res.status(202).json({ accepted: typeof req.body === 'object' });
    });
  app.use(
    jiraRouter(
      jiraWebhookService({
        ...services,
        metrics: deps.metrics,
        logger: deps.logger,
        mode: deps.jiraIntake,
        wakePump: deps.wakePump,
        secretCacheMs: deps.jiraSecretCacheMs,
      })
    )
  );
  app.use(discordRouter(discordInteractionsService({ ...services, metrics: deps.metrics, logger: deps.logger })));
  const verifier = deps.teams?.appId
    ? createTeamsVerifier({ appId: deps.teams.appId, openIdMetadataUrl: deps.teams.openIdMetadataUrl })
    : null;
  app.use(teamsRouter(teamsMessagesService({ ...services, metrics: deps.metrics, logger: deps.logger, verifier })));
  app.use(linkPageRouter({ db: deps.db, linkSecret: deps.linkSecret }));
  app.use(codecRouter(deps.codec));
  app.use('/api', bearerAuth(deps.apiToken), express.json({ limit: '1mb' }));
  app.use(groupsRouter({ ...services, cache: deps.cache }));
  app.use(alertsRouter(services));
  app.use(identitiesRouter({ db: deps.db, linkSecret: deps.linkSecret, temporal: deps.temporal, logger: deps.logger }));
  app.use(deliveriesRouter({ ...services, temporalUi: deps.temporalUi ?? DEFAULT_TEMPORAL_UI }));
  app.use(integrationsRouter(deps));
  app.use((req) => {
    throw new NotFoundError(`no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler(deps.logger));
  return app;
}
