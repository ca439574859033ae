/**
 * The common Jira scenario: org acme with project backend (reached through team backend), Jane (verified
 * jane@example.com) a member of both, a Jira site (simulator) installed with every sync flag, and a group
 * linked to APP-123. Plus helpers to send signed webhooks and wait for their workflow.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { findTemporalCli } from '../../src/dev/temporal-dev-server';
import type { SyncResult } from '../../src/workflows/shared';
import * as fx from './fixtures';
import type { JiraSimulator } from './jira-simulator';
import { buildIssueUpdatedPayload } from './jira-simulator';
import { signConnectJwt } from './jira-jwt';

export const CLIENT_KEY = 'jira-site-1';
export const SHARED_SECRET = 'test-shared-secret-0123456789';
export const WEBHOOK_PATH = '/webhooks/jira/issue-updated';
export const JANE = { accountId: '5b10a2844c20165700ede21g', displayName: 'Jane Doe', email: 'jane@example.com' };

export interface World {
  orgId: number;
  projectId: number;
  teamId: number;
  janeId: number;
  integrationId: number;
  groupId: number;
  externalIssueId: number;
}

export async function seedWorld(
  db: Knex,
  jira: JiraSimulator,
  o: { emailScope?: boolean; config?: Record<string, unknown> } = {}
): Promise<World> {
  const orgId = await fx.insertOrg(db, 'acme');
  const projectId = await fx.insertProject(db, orgId, 'backend');
  const teamId = await fx.insertTeam(db, orgId, 'backend', [projectId]);
  const janeId = await fx.insertUser(db, { username: 'jane', name: JANE.displayName, emails: [{ email: JANE.email }] });
  await fx.addMember(db, orgId, janeId, [teamId]);
  const integrationId = await fx.insertJiraIntegration(db, {
    clientKey: CLIENT_KEY,
    sharedSecret: SHARED_SECRET,
    baseUrl: jira.baseUrl,
    emailScope: o.emailScope ?? false,
  });
  await fx.installIntegration(db, orgId, integrationId, o.config ?? fx.ALL_JIRA_SYNC);
  const groupId = await fx.insertGroup(db, projectId, { shortId: 42 });
  const externalIssueId = await fx.linkExternalIssue(db, {
    groupId,
    orgId,
    integrationId,
    key: 'APP-123',
    externalId: '10001',
  });
  return { orgId, projectId, teamId, janeId, integrationId, groupId, externalIssueId };
}

export type PayloadInput = Parameters<typeof buildIssueUpdatedPayload>[0];

export function issuePayload(
  over: Partial<PayloadInput> & Pick<PayloadInput, 'changedFields' | 'updated'>
): Record<string, unknown> {
  return buildIssueUpdatedPayload({
    issue: { id: '10001', key: 'APP-123', projectId: '10000', projectKey: 'APP' },
    ...over,
  });
}

export interface SendResult {
  status: number;
  body: Record<string, any>;
}

export async function sendWebhook(
  api: string,
  payload: unknown,
  o: { identifier?: string; token?: string; rawBody?: string; headers?: Record<string, string> } = {}
): Promise<SendResult> {
  const token =
    o.token ??
    signConnectJwt({ clientKey: CLIENT_KEY, sharedSecret: SHARED_SECRET, method: 'POST', path: WEBHOOK_PATH });
  const res = await fetch(`${api}${WEBHOOK_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `JWT ${token}`,
      ...(o.identifier ? { 'x-atlassian-webhook-identifier': o.identifier } : {}),
      ...o.headers,
    },
    body: o.rawBody ?? JSON.stringify(payload),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** Waits for the workflow's result and, with RECORD_HISTORIES=1, stores its history for the replay tests. */
export async function resultOf(client: Client, workflowId: string, recordAs?: string): Promise<SyncResult> {
  const handle = client.workflow.getHandle(workflowId);
  const result = (await handle.result()) as SyncResult;
  if (recordAs && process.env.RECORD_HISTORIES === '1') await recordHistory(client, workflowId, recordAs);
  return result;
}

/**
 * Writes the history as `temporal workflow show --output json` prints it (the form the SDK replayer reads;
 * historyToJSON trips over protobufjs realms under jest).
 */
export async function recordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  const desc = await client.workflow.getHandle(workflowId).describe();
  const json = execFileSync(
    findTemporalCli({ build: false }),
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--run-id',
      desc.runId,
      '--output',
      'json',
      '--address',
      process.env.TEMPORAL_ADDRESS!,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }
  );
  const dir = path.resolve(__dirname, '..', 'replay', 'histories', desc.type);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), json.endsWith('\n') ? json : `${json}\n`);
}

export async function delivery(db: Knex, id: number): Promise<Record<string, any>> {
  return db('webhook_deliveries').where('id', id).first();
}

/**
 * The workflow's history as text with every payload decoded (payload `data` is base64 in the proto JSON), so
 * tests can search it for what a person would see in the Temporal UI: summaries, inputs, results, failures.
 */
export async function historyText(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (v == null) return;
    if (v instanceof Uint8Array) {
      parts.push(Buffer.from(v).toString('utf8'));
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (typeof v === 'object') {
      Object.values(v as Record<string, unknown>).forEach(walk);
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
      parts.push(String(v));
    }
  };
  walk(history);
  return parts.join('\n');
}
