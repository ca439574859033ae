/**
 * `npm run demo`: what `npm start` runs (Temporal dev server + UI, the embedded database, worker, API), plus local
 * Jira, Discord and Bot Framework simulators in this process (127.0.0.1 only), a seeded demo organization, and a
 * short story played through the real public routes with real signatures. Each step prints what happened and the
 * Temporal UI link of its workflow; then it keeps running and prints curl commands for more events.
 *
 * The demo keeps its own state under DATA_DIR (default .data/demo), apart from `npm start`'s .data, and always
 * uses the embedded database: on every start it empties the tables (ids keep counting, so workflow ids never meet
 * a previous run's) and seeds again, because the simulators start fresh on new ports. A DATABASE_URL in the
 * environment is ignored, so the demo never empties a real database.
 *
 * More events: signed requests expire (a Jira Connect JWT after 3 minutes) and Teams tokens are signed with the
 * simulator's private key, which lives in this process, so printed curl lines could not carry the signature.
 * Instead a small helper listens on 127.0.0.1:DEMO_PORT (default PORT + 1): `GET /demo/<event>?…` builds the
 * event, signs it and sends it to the API's public route exactly like the story does, waits for the workflow and
 * answers with what happened and the UI link.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import type { RunningStack } from '../../src/dev/run-all';
import { runAll } from '../../src/dev/run-all';
import { installTemporalRuntime } from '../../src/worker';
import { truncateAll } from '../../test/support/stack';
import { startDiscordSimulator } from '../../test/support/discord-simulator';
import { startJiraSimulator } from '../../test/support/jira-simulator';
import { startTeamsSimulator } from '../../test/support/teams-simulator';
import { DEMO, seedDemo, type DemoWorld } from './seed';
import { createStory, type StepResult } from './story';

const log = (m: string) => process.stdout.write(`${m}\n`);

async function main(): Promise<void> {
  const env = { ...process.env };
  if (env.DATABASE_URL) log('The demo ignores DATABASE_URL and uses its own embedded database under DATA_DIR.');
  delete env.DATABASE_URL;
  env.DATA_DIR ??= '.data/demo';
  env.LOG_LEVEL ??= 'error'; // the story's throttled call would otherwise print the worker's retry warning
  env.API_TOKEN ??= 'demo-api-token';

  const jira = await startJiraSimulator({ clientKey: DEMO.jira.clientKey, sharedSecret: DEMO.jira.sharedSecret });
  const discord = await startDiscordSimulator({ botTokens: [DEMO.discord.botToken] });
  const teams = await startTeamsSimulator();
  const closeSims = async () => Promise.allSettled([jira.close(), discord.close(), teams.close()]);

  const config = loadConfig({
    ...env,
    DISCORD_API_BASE_URL: discord.baseUrl,
    TEAMS_APP_ID: teams.appId,
    TEAMS_APP_PASSWORD: teams.appPassword,
    TEAMS_OPENID_METADATA_URL: teams.openIdMetadataUrl,
    TEAMS_TOKEN_URL: teams.tokenUrl,
    ALLOW_HTTP_LOOPBACK: 'true',
  });
  installTemporalRuntime(config.logLevel);
  let stack: RunningStack;
  try {
    stack = await runAll(config, log);
  } catch (err) {
    await closeSims();
    throw err;
  }
  const stopAll = async () => {
    await stack.stop();
    await closeSims();
  };
  try {
    const client = new Client({ connection: stack.connection, namespace: config.temporal.namespace });
    const uiBase = stack.uiUrl ?? `http://127.0.0.1:${config.temporal.uiPort}`;
    const link = (workflowId: string) =>
      `${uiBase}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`;

    await truncateAll(stack.db);
    const world: DemoWorld = await seedDemo(stack.db, {
      jira,
      discord,
      teams,
      publicKeyHex: DEMO.discord.signer.publicKeyHex,
    });
    log(`\nSeeded the demo organization "${DEMO.org}": projects backend and web, teams, Jane and Bob, ${world.groups.length} issues,
a Jira site, a Discord server and a Teams team, every sync on. API token: ${config.apiToken}\n`);

    const story = createStory({
      api: stack.apiUrl,
      apiToken: config.apiToken!,
      client,
      db: stack.db,
      world,
      jira,
      discord,
      teams,
    });
    const print = (r: StepResult) =>
      log(`  ${r.ok ? '✔' : '✘'} ${r.title.padEnd(44)} ${r.what}\n      ${r.workflowId ? link(r.workflowId) : ''}`);
    log('The story, through the public routes:');
    let failed = 0;
    for (const step of story.steps) {
      const r = await story.run(step).catch((err: unknown): StepResult => ({
        ok: false,
        title: step.title,
        what: `failed: ${err instanceof Error ? err.message : String(err)}`,
      }));
      if (!r.ok) failed += 1;
      print(r);
    }

    const helper = await startHelper(config.port + 1, story, link);
    const h = `http://127.0.0.1:${helper}`;
    log(`
${failed === 0 ? 'All steps did what they should.' : `${failed} step(s) did not go as expected (see above).`}

  API          ${stack.apiUrl}   (Authorization: Bearer ${config.apiToken})
  Temporal UI  ${uiBase}/namespaces/${config.temporal.namespace}/workflows
               filter e.g.  Provider="jira"   ExternalIssueKey="${DEMO.issues[0].key}"   Outcome="skipped"
  Database     ${stack.databaseLabel}

More events (the helper on ${h} signs each one and sends it to the API's public route):
  curl -s '${h}/demo/jira/assign?issue=${DEMO.issues[1].key}&to=jane'       # Jira: assignee changed
  curl -s '${h}/demo/jira/assign?issue=${DEMO.issues[1].key}&to=nobody'     # Jira: unassigned
  curl -s '${h}/demo/jira/status?issue=${DEMO.issues[1].key}&category=done' # Jira: Done (or new, indeterminate)
  curl -s '${h}/demo/comment?group=${world.groups[1]!.id}&text=hello'        # tracker note, mirrored to Jira
  curl -s '${h}/demo/discord/click?group=${world.groups[2]!.id}&action=resolve'  # Discord button (resolve, archive, unresolve, mark_ongoing)
  curl -s '${h}/demo/teams/action?group=${world.groups[3]!.id}&action=assign'    # Teams card (resolve, archive, assign, unassign, unresolve)
  curl -s '${h}/demo'                                                            # this list
Straight to the API (no signature needed there):
  curl -s -H 'Authorization: Bearer ${config.apiToken}' ${stack.apiUrl}/api/groups/${world.groups[0]!.id}
  curl -s -H 'Authorization: Bearer ${config.apiToken}' '${stack.apiUrl}/api/deliveries'

Press Ctrl-C to stop.`);

    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`\n${signal}: stopping…`);
      helperServer?.close();
      await stopAll();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    await stack.running;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

let helperServer: ReturnType<typeof createServer> | undefined;

/** The `GET /demo/...` helper on 127.0.0.1 (see the header comment). Resolves with its port. */
async function startHelper(
  port: number,
  story: ReturnType<typeof createStory>,
  link: (id: string) => string
): Promise<number> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body, null, 2)}\n`);
    };
    if (req.method !== 'GET') return send(405, { error: 'GET only' });
    const q = Object.fromEntries(url.searchParams);
    if (url.pathname === '/demo' || url.pathname === '/demo/') return send(200, { events: story.helpText });
    const event = story.events[url.pathname.replace(/^\/demo\//, '')];
    if (!event) return send(404, { error: `unknown event ${url.pathname}`, events: story.helpText });
    try {
      const r = await story.run(event(q));
      send(r.ok ? 200 : 422, { ...r, link: r.workflowId ? link(r.workflowId) : undefined });
    } catch (err) {
      send(400, { error: err instanceof Error ? err.message : String(err) });
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  helperServer = server;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
