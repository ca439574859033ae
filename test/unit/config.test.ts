/**
 * The environment contract (SPEC §7): defaults, empty strings as unset, overrides, one error listing every
 * problem, and a frozen result. loadConfig is always given an explicit env, never the real process.env.
 */
import { DEFAULT_DATABASE_URL, DEFAULT_TEAMS_OPENID_METADATA_URL, loadConfig } from '../../src/config';

function configError(env: NodeJS.ProcessEnv): Error {
  try {
    loadConfig(env);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it('When PORT is unset, Then it is 3000', () => {
    expect(config.port).toBe(3000);
  });

  it('When DATABASE_URL is unset, Then the local issue_sync database is used', () => {
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/issue_sync');
    expect(config.databaseUrl).toBe(DEFAULT_DATABASE_URL);
  });

  it('When the Temporal variables are unset, Then namespace is default, task queue issue-sync, no address', () => {
    expect(config.temporal).toEqual({
      address: undefined,
      namespace: 'default',
      taskQueue: 'issue-sync',
      uiPort: 8233,
    });
  });

  it('When DISCORD_API_BASE_URL is unset, Then it is Discord v10', () => {
    expect(config.discord.apiBaseUrl).toBe('https://discord.com/api/v10');
  });

  it("When the TEAMS_* variables are unset, Then the metadata and token URLs are Bot Framework's and the rest undefined", () => {
    expect(DEFAULT_TEAMS_OPENID_METADATA_URL).toBe('https://login.botframework.com/v1/.well-known/openidconfiguration');
    expect(config.teams).toEqual({
      appId: undefined,
      openIdMetadataUrl: DEFAULT_TEAMS_OPENID_METADATA_URL,
      appPassword: undefined,
      tokenUrl: 'https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token',
    });
  });

  it('When the TEAMS_* variables are set, Then config.teams carries them', () => {
    const teams = loadConfig({
      TEAMS_APP_ID: 'app-1',
      TEAMS_OPENID_METADATA_URL: 'http://127.0.0.1:4100/openid',
      TEAMS_TOKEN_URL: 'http://127.0.0.1:4100/token',
      TEAMS_APP_PASSWORD: 'pw-1',
    }).teams;
    expect(teams).toEqual({
      appId: 'app-1',
      openIdMetadataUrl: 'http://127.0.0.1:4100/openid',
      appPassword: 'pw-1',
      tokenUrl: 'http://127.0.0.1:4100/token',
    });
  });

  it('When LOG_LEVEL is unset, Then it is info', () => {
    expect(config.logLevel).toBe('info');
  });

  it('When the optional variables are unset, Then they stay undefined', () => {
    expect(config.redisUrl).toBeUndefined();
    expect(config.apiToken).toBeUndefined();
    expect(config.workflowBundlePath).toBeUndefined();
  });

  it('When the HTTP timeout and data dir are unset, Then they are 10 s and .data', () => {
    expect(config.httpTimeoutMs).toBe(10_000);
    expect(config.dataDir).toBe('.data');
  });
});

describe('loadConfig empty strings', () => {
  it('When every variable is an empty string, Then the result equals the defaults', () => {
    const empty: NodeJS.ProcessEnv = {
      PORT: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      TEMPORAL_ADDRESS: '',
      TEMPORAL_NAMESPACE: '',
      TEMPORAL_TASK_QUEUE: '',
      API_TOKEN: '',
      DISCORD_API_BASE_URL: '',
      LOG_LEVEL: '',
      HTTP_TIMEOUT_MS: '',
    };
    expect(loadConfig(empty)).toEqual(loadConfig({}));
  });

  it('When PORT is empty, Then it is 3000, not 0', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(3000);
  });

  it('When API_TOKEN is empty, Then there is no token (an empty token would match an empty bearer)', () => {
    expect(loadConfig({ API_TOKEN: '' }).apiToken).toBeUndefined();
  });
});

describe('loadConfig overrides', () => {
  it('When every variable is set, Then each one is used', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://app:pw@db.internal:5433/sync',
      REDIS_URL: 'redis://cache:6379/2',
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'prod',
      TEMPORAL_TASK_QUEUE: 'sync-q',
      TEMPORAL_UI_PORT: '9000',
      API_TOKEN: 'tok',
      DISCORD_API_BASE_URL: 'http://127.0.0.1:4000/api/v10',
      TEAMS_APP_ID: 'bot-app',
      TEAMS_OPENID_METADATA_URL: 'http://127.0.0.1:4100/openid',
      TEAMS_TOKEN_URL: 'http://127.0.0.1:4100/token',
      METRICS_TOKEN: 'mtok',
      LOG_LEVEL: 'debug',
      HTTP_TIMEOUT_MS: '2500',
      WORKFLOW_BUNDLE_PATH: '/tmp/bundle.js',
      DATA_DIR: '/var/lib/issue-sync',
      CODEC_TOKEN: 'ctok',
    });
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://app:pw@db.internal:5433/sync',
      redisUrl: 'redis://cache:6379/2',
      temporal: { address: 'temporal:7233', namespace: 'prod', taskQueue: 'sync-q', uiPort: 9000 },
      apiToken: 'tok',
      metricsToken: 'mtok',
      discord: { apiBaseUrl: 'http://127.0.0.1:4000/api/v10' },
      teams: {
        appId: 'bot-app',
        openIdMetadataUrl: 'http://127.0.0.1:4100/openid',
        appPassword: undefined,
        tokenUrl: 'http://127.0.0.1:4100/token',
      },
      logLevel: 'debug',
      httpTimeoutMs: 2500,
      allowHttpLoopback: true,
      workflowBundlePath: '/tmp/bundle.js',
      dataDir: '/var/lib/issue-sync',
      codec: { keys: undefined, token: 'ctok', corsOrigins: ['http://127.0.0.1:9000', 'http://localhost:9000'] },
    });
  });

  it('When PORT is 0, Then it is accepted (any free port)', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
  });

  it('When unrelated variables are present, Then they are ignored', () => {
    expect(loadConfig({ HOME: '/root', PATH: '/usr/bin', SOMETHING_ELSE: 'x' })).toEqual(loadConfig({}));
  });
});

describe('loadConfig errors', () => {
  it('When several variables are invalid, Then one error names every one of them', () => {
    const err = configError({ PORT: 'abc', DATABASE_URL: 'not-a-url', LOG_LEVEL: 'loud' });
    expect(err.message).toMatch(/^Invalid configuration: /);
    expect(err.message).toContain('PORT');
    expect(err.message).toContain('DATABASE_URL');
    expect(err.message).toContain('LOG_LEVEL');
  });

  it('When one variable is invalid, Then the error names only that one', () => {
    const err = configError({ PORT: 'abc' });
    expect(err.message).toContain('PORT');
    expect(err.message).not.toContain('DATABASE_URL');
  });

  it.each([
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['HTTP_TIMEOUT_MS', '0'],
    ['HTTP_TIMEOUT_MS', 'ten'],
    ['REDIS_URL', 'redis cache'],
    ['DISCORD_API_BASE_URL', 'discord'],
    ['TEAMS_OPENID_METADATA_URL', 'botframework'],
    ['TEAMS_TOKEN_URL', 'token endpoint'],
    ['LOG_LEVEL', 'verbose'],
  ])('When %s is %j, Then loading fails naming it', (name, value) => {
    expect(configError({ [name]: value }).message).toContain(name);
  });
});

describe('loadConfig result', () => {
  it('When loaded, Then the config and its nested objects are frozen', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.temporal)).toBe(true);
    expect(Object.isFrozen(config.discord)).toBe(true);
    expect(Object.isFrozen(config.teams)).toBe(true);
  });

  it('When someone tries to change it, Then the assignment throws in strict mode and nothing changes', () => {
    const config = loadConfig({});
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.temporal as { namespace: string }).namespace = 'other';
    }).toThrow(TypeError);
    expect(config.port).toBe(3000);
    expect(config.temporal.namespace).toBe('default');
  });
});

describe('whitespace and ranges', () => {
  test('When PORT is only whitespace, Then it counts as unset', () => {
    expect(loadConfig({ PORT: '  ' }).port).toBe(3000);
  });
  test('When TEMPORAL_UI_PORT is out of range, Then loading fails naming it', () => {
    expect(() => loadConfig({ TEMPORAL_UI_PORT: '-5' })).toThrow(/TEMPORAL_UI_PORT/);
  });
});

describe('ALLOW_HTTP_LOOPBACK', () => {
  it('When unset, Then http on loopback is allowed, except with NODE_ENV=production', () => {
    expect(loadConfig({}).allowHttpLoopback).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).allowHttpLoopback).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).allowHttpLoopback).toBe(false);
  });

  it('When set, Then it wins over NODE_ENV', () => {
    expect(loadConfig({ ALLOW_HTTP_LOOPBACK: 'false' }).allowHttpLoopback).toBe(false);
    expect(loadConfig({ ALLOW_HTTP_LOOPBACK: '0' }).allowHttpLoopback).toBe(false);
    expect(loadConfig({ ALLOW_HTTP_LOOPBACK: 'true', NODE_ENV: 'production' }).allowHttpLoopback).toBe(true);
    expect(loadConfig({ ALLOW_HTTP_LOOPBACK: '1', NODE_ENV: 'production' }).allowHttpLoopback).toBe(true);
  });

  it('When it is not a boolean, Then loading fails naming it', () => {
    expect(configError({ ALLOW_HTTP_LOOPBACK: 'yes' }).message).toMatch(/ALLOW_HTTP_LOOPBACK/);
  });
});

describe('intake and pump tuning (issue 10)', () => {
  test('When unset, Then Jira intake is sync, the secret is read per delivery and the pump uses its default', () => {
    const c = loadConfig({});
    expect([c.jiraIntake, c.jiraSecretCacheMs, c.pumpConcurrency]).toEqual([undefined, undefined, undefined]);
  });

  test('When JIRA_INTAKE=queued, JIRA_SECRET_CACHE_MS and PUMP_CONCURRENCY are set, Then they are taken', () => {
    const c = loadConfig({ JIRA_INTAKE: 'queued', JIRA_SECRET_CACHE_MS: '5000', PUMP_CONCURRENCY: '8' });
    expect([c.jiraIntake, c.jiraSecretCacheMs, c.pumpConcurrency]).toEqual(['queued', 5000, 8]);
  });

  test('When they are out of range or unknown, Then loading fails naming each', () => {
    const err = configError({ JIRA_INTAKE: 'later', JIRA_SECRET_CACHE_MS: '60001', PUMP_CONCURRENCY: '0' });
    expect(err.message).toMatch(/JIRA_INTAKE/);
    expect(err.message).toMatch(/JIRA_SECRET_CACHE_MS/);
    expect(err.message).toMatch(/PUMP_CONCURRENCY/);
  });
});
