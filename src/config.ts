import { z } from 'zod';
import type { CodecKeys } from './codec/keys';
import { parseCodecKeys } from './codec/keys';

/**
 * Where the separate `start:api` / `start:worker` processes look when DATABASE_URL is unset. `npm start` runs the
 * embedded database instead (see `embeddedDb` and src/dev/embedded-db.ts).
 */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/issue_sync';

/** Bot Framework's own OpenID metadata document (reference §2.5). */
export const DEFAULT_TEAMS_OPENID_METADATA_URL = 'https://login.botframework.com/v1/.well-known/openidconfiguration';

/** Bot Framework's Entra ID token endpoint for a bot's own calls (multi-tenant bots). */
export const DEFAULT_TEAMS_TOKEN_URL = 'https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** The API's listen address: loopback by default; 0.0.0.0 in a container (docker-compose sets it). */
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().url().default(DEFAULT_DATABASE_URL),
  REDIS_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('issue-sync'),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  API_TOKEN: z.string().min(1).optional(),
  /** Bearer token for GET /metrics; unset → /metrics answers loopback clients only. */
  METRICS_TOKEN: z.string().min(1).optional(),
  /** A standalone worker (`npm run start:worker`) serves its metrics on WORKER_METRICS_HOST:<port>/metrics; unset → none. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Where the worker's metrics listen (only with WORKER_METRICS_PORT); clients off this host need METRICS_TOKEN. */
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  DISCORD_API_BASE_URL: z.string().url().default('https://discord.com/api/v10'),
  /** The bot's Microsoft App ID: the `aud` every inbound Bot Framework token must carry. */
  TEAMS_APP_ID: z.string().min(1).optional(),
  /** OpenID metadata document whose `jwks_uri` lists the keys that sign inbound Bot Framework tokens. */
  TEAMS_OPENID_METADATA_URL: z.string().url().default(DEFAULT_TEAMS_OPENID_METADATA_URL),
  /** The bot's client secret (Entra ID client credentials) for its outbound Connector calls. */
  TEAMS_APP_PASSWORD: z.string().min(1).optional(),
  /** Entra ID token endpoint for the bot's outbound calls (client credentials). */
  TEAMS_TOKEN_URL: z.string().url().default(DEFAULT_TEAMS_TOKEN_URL),
  /** The address people reach this service at; account-link URLs start with it. Default: the API's own URL. */
  PUBLIC_URL: z.string().url().optional(),
  /** HMAC key of account-link tokens (at least 32 characters). `npm start` generates one under DATA_DIR. */
  LINK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Per-call timeout for outbound HTTP (Jira, Discord), in milliseconds. */
  HTTP_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /**
   * Whether a Jira site's base_url may be plain http on a loopback host (127.0.0.1, ::1, localhost), for the
   * simulators of tests and demos. Any other base_url must be https. Default: true unless NODE_ENV=production.
   */
  ALLOW_HTTP_LOOPBACK: z.enum(['true', 'false', '1', '0']).optional(),
  /** Prebundled workflow code for the worker (tests bundle once); unset: bundle src/workflows at start. */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  /** Where `npm start` keeps the dev server's SQLite file and the embedded database (DATA_DIR/pg). */
  DATA_DIR: z.string().default('.data'),
  /** Port of the embedded database on 127.0.0.1 (only when DATABASE_URL is unset); 0 = any free port. */
  EMBEDDED_DB_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /**
   * Payload encryption keys, `id:base64,id:base64` (32 bytes each): the first encrypts, all decrypt. Unset → payloads
   * are stored in Temporal unencrypted.
   */
  CODEC_KEYS: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      try {
        parseCodecKeys(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  /** Bearer token for POST /codec/decode|encode (the Temporal UI's codec endpoint); unset → loopback clients only. */
  CODEC_TOKEN: z.string().min(1).optional(),
  /** Origins allowed to call /codec from a browser, comma-separated. Default: the Temporal UI on TEMPORAL_UI_PORT. */
  CODEC_CORS_ORIGINS: z.string().optional(),
  /**
   * How a Jira delivery is acknowledged. `sync` (default): 202 after Temporal took the start (503 while Temporal is
   * unreachable, so Jira redelivers). `durable`: 202 right after the delivery row (with its start) is committed; the
   * start follows in the background and the delivery pump covers the rest, as for Discord and Teams. `queued`: 202
   * after the commit too, but the API never starts the run itself: the delivery pump does (woken at once), so a
   * burst costs Temporal nothing while it is being accepted.
   */
  JIRA_INTAKE: z.enum(['sync', 'durable', 'queued']).optional(),
  /** Starts the delivery pump keeps in flight at once (default 4): a burst beyond that waits, in order, in Postgres. */
  PUMP_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  /**
   * How long (ms) the API reuses a Jira site's shared secret before reading it again (default 5000; 0 = a query per
   * delivery). A rotated secret or a disabled site is still accepted by a running API for up to this long.
   */
  JIRA_SECRET_CACHE_MS: z.coerce.number().int().min(0).max(60_000).optional(),
  /** Worker tuning (unset: the SDK's defaults). */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().positive().optional(),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().optional(),
  /** 0 turns the sticky cache off (every workflow task replays the whole history). */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  WORKER_WORKFLOW_POLLERS: z.coerce.number().int().positive().optional(),
  WORKER_ACTIVITY_POLLERS: z.coerce.number().int().positive().optional(),
  /** Size of each process's knex pool (unset: 10). */
  DB_POOL_MAX: z.coerce.number().int().positive().optional(),
  /** `1`: the API also serves `POST /bench/bare` (parse JSON, answer 202): the floor of `npm run bench`. Never in production. */
  BENCH_BARE_ROUTE: z.enum(['1', 'true']).optional(),
});

/** JIRA_INTAKE: how a Jira delivery is acknowledged (see the schema above). */
export type JiraIntakeMode = 'sync' | 'durable' | 'queued';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly redisUrl: string | undefined;
  readonly temporal: {
    readonly address: string | undefined;
    readonly namespace: string;
    readonly taskQueue: string;
    readonly uiPort: number;
  };
  readonly apiToken: string | undefined;
  /** GET /metrics needs `Authorization: Bearer <metricsToken>` when set; otherwise only loopback clients get it. */
  readonly metricsToken: string | undefined;
  /** WORKER_METRICS_PORT/HOST: the standalone worker's own /metrics; undefined → it serves none. */
  readonly workerMetrics: { readonly host: string; readonly port: number } | undefined;
  readonly discord: { readonly apiBaseUrl: string };
  readonly teams: {
    readonly appId: string | undefined;
    readonly openIdMetadataUrl: string;
    /** Secret: never logged, never in errors. */
    readonly appPassword: string | undefined;
    readonly tokenUrl: string;
  };
  /** PUBLIC_URL without a trailing slash, or undefined (then the API's own URL). */
  readonly publicUrl: string | undefined;
  readonly linkSecret: string | undefined;
  readonly logLevel: string;
  readonly httpTimeoutMs: number;
  /** ALLOW_HTTP_LOOPBACK: a Jira base_url may be http on a loopback host. */
  readonly allowHttpLoopback: boolean;
  readonly workflowBundlePath: string | undefined;
  readonly dataDir: string;
  /**
   * DATABASE_URL was unset: `npm start` runs the embedded database (PGlite under DATA_DIR/pg) and uses its URL
   * instead of `databaseUrl`.
   */
  readonly embeddedDb: { readonly port: number } | undefined;
  /** The payload codec (src/codec): keys undefined → no encryption. Key material is secret: never logged. */
  readonly codec: {
    readonly keys: CodecKeys | undefined;
    readonly token: string | undefined;
    readonly corsOrigins: readonly string[];
  };
  /** JIRA_INTAKE; undefined = `sync`. */
  readonly jiraIntake: JiraIntakeMode | undefined;
  /** PUMP_CONCURRENCY; undefined = 4. */
  readonly pumpConcurrency: number | undefined;
  /** JIRA_SECRET_CACHE_MS; undefined = 5000. */
  readonly jiraSecretCacheMs: number | undefined;
  /** WORKER_* tuning; undefined when none is set (the SDK's defaults). */
  readonly worker: WorkerTuning | undefined;
  /** DB_POOL_MAX; undefined = 10. */
  readonly dbPoolMax: number | undefined;
  /** BENCH_BARE_ROUTE: true serves `POST /bench/bare` (benchmarks only); undefined otherwise. */
  readonly benchBareRoute: true | undefined;
}

export interface WorkerTuning {
  readonly maxConcurrentWorkflowTaskExecutions?: number;
  readonly maxConcurrentActivityTaskExecutions?: number;
  readonly maxCachedWorkflows?: number;
  readonly maxConcurrentWorkflowTaskPolls?: number;
  readonly maxConcurrentActivityTaskPolls?: number;
}

function workerTuning(e: z.infer<typeof envSchema>): WorkerTuning | undefined {
  const t = Object.fromEntries(
    Object.entries({
      maxConcurrentWorkflowTaskExecutions: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTaskPolls: e.WORKER_WORKFLOW_POLLERS,
      maxConcurrentActivityTaskPolls: e.WORKER_ACTIVITY_POLLERS,
    }).filter(([, v]) => v !== undefined)
  ) as WorkerTuning;
  return Object.keys(t).length > 0 ? Object.freeze(t) : undefined;
}

/** Parses the environment once; throws one error that lists every problem. Nothing else reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env)
      .map(([k, v]) => [k, v?.trim()] as const)
      .filter(([, v]) => v !== undefined && v !== '')
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    temporal: Object.freeze({
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiPort: e.TEMPORAL_UI_PORT,
    }),
    apiToken: e.API_TOKEN,
    metricsToken: e.METRICS_TOKEN,
    workerMetrics:
      e.WORKER_METRICS_PORT === undefined
        ? undefined
        : Object.freeze({ host: e.WORKER_METRICS_HOST, port: e.WORKER_METRICS_PORT }),
    discord: Object.freeze({ apiBaseUrl: e.DISCORD_API_BASE_URL }),
    teams: Object.freeze({
      appId: e.TEAMS_APP_ID,
      openIdMetadataUrl: e.TEAMS_OPENID_METADATA_URL,
      appPassword: e.TEAMS_APP_PASSWORD,
      tokenUrl: e.TEAMS_TOKEN_URL,
    }),
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    linkSecret: e.LINK_SECRET,
    logLevel: e.LOG_LEVEL,
    httpTimeoutMs: e.HTTP_TIMEOUT_MS,
    allowHttpLoopback:
      e.ALLOW_HTTP_LOOPBACK === undefined
        ? cleaned['NODE_ENV'] !== 'production'
        : e.ALLOW_HTTP_LOOPBACK === 'true' || e.ALLOW_HTTP_LOOPBACK === '1',
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    dataDir: e.DATA_DIR,
    embeddedDb: cleaned['DATABASE_URL'] === undefined ? Object.freeze({ port: e.EMBEDDED_DB_PORT }) : undefined,
    codec: Object.freeze({
      keys: e.CODEC_KEYS === undefined ? undefined : parseCodecKeys(e.CODEC_KEYS),
      token: e.CODEC_TOKEN,
      corsOrigins: Object.freeze(
        e.CODEC_CORS_ORIGINS === undefined
          ? [`http://127.0.0.1:${e.TEMPORAL_UI_PORT}`, `http://localhost:${e.TEMPORAL_UI_PORT}`]
          : e.CODEC_CORS_ORIGINS.split(',')
              .map((o) => o.trim().replace(/\/+$/, ''))
              .filter((o) => o !== '')
      ),
    }),
    jiraIntake: e.JIRA_INTAKE,
    pumpConcurrency: e.PUMP_CONCURRENCY,
    jiraSecretCacheMs: e.JIRA_SECRET_CACHE_MS,
    worker: workerTuning(e),
    dbPoolMax: e.DB_POOL_MAX,
    benchBareRoute: e.BENCH_BARE_ROUTE === undefined ? undefined : true,
  });
}
