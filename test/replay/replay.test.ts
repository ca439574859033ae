/**
 * Replays every recorded history under test/replay/histories/<workflowType>/*.json against the current
 * workflow code. A history that no longer replays means a change broke running workflows: use patched().
 * The tampered histories under test/replay/tampered/ must fail, which proves this test can fail.
 * Histories under test/replay/histories-encrypted/ were recorded with the payload codec on (CODEC_KEYS; recorded by
 * test/integration/codec.test.ts): they replay with the same codec and key, and not without it.
 * Re-record with `npm run record-histories` when a workflow changes shape on purpose (keep the old files).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { dataConverterFor, parseCodecKeys } from '../../src/codec';
import { WORKFLOWS_PATH } from '../../src/worker';
import { TEST_CODEC_KEYS } from './histories-encrypted/test-keys';

const HISTORIES = path.join(__dirname, 'histories');
const TAMPERED = path.join(__dirname, 'tampered');
const ENCRYPTED = path.join(__dirname, 'histories-encrypted');

/** The workflow id the run had (child ids derive from it), as recorded in its WorkflowExecutionStarted event. */
function originalWorkflowId(history: unknown, fallback: string): string {
  const events = (history as { events?: Array<Record<string, any>> }).events ?? [];
  return (events[0]?.workflowExecutionStartedEventAttributes?.workflowId as string | undefined) ?? fallback;
}

function load(dir: string): Array<{ name: string; history: unknown }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, history: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) }));
}

let workflowBundle: { code: string };

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const noop = (): void => undefined;
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop },
  });
});

const recorded = load(HISTORIES);

test('there are recorded histories for every workflow type', () => {
  const types = new Set(recorded.map((h) => h.name.split(path.sep)[0]));
  expect([...types].sort()).toEqual(
    [
      'createJiraIssue',
      'discordInteraction',
      'groupUpdate',
      'jiraIssueUpdated',
      'linkJiraIssue',
      'postDiscordAlert',
      'postTeamsAlert',
      'syncAssigneeToJira',
      'syncCommentToJira',
      'syncStatusToJira',
      'teamsCardAction',
      'teamsReply',
    ].sort()
  );
  expect(recorded.length).toBeGreaterThanOrEqual(27);
});

test.each(recorded.map((h) => [h.name, h.history] as const))(
  '%s replays against the current code',
  async (name, history) => {
    await expect(
      Worker.runReplayHistory({ workflowBundle }, history, originalWorkflowId(history, name))
    ).resolves.toBeUndefined();
  }
);

test.each(load(TAMPERED).map((h) => [h.name, h.history] as const))(
  'tampered %s fails to replay',
  async (name, history) => {
    await expect(Worker.runReplayHistory({ workflowBundle }, history, name)).rejects.toBeInstanceOf(
      DeterminismViolationError
    );
  }
);

const encrypted = load(ENCRYPTED);
const dataConverter = dataConverterFor(parseCodecKeys(TEST_CODEC_KEYS));

test('there is a history recorded with the codec on, and its payloads are ciphertext', () => {
  expect(encrypted.length).toBeGreaterThanOrEqual(1);
  for (const { history } of encrypted)
    expect(JSON.stringify(history)).toContain(Buffer.from('binary/encrypted').toString('base64'));
});

test.each(encrypted.map((h) => [h.name, h.history] as const))(
  'encrypted %s replays against the current code with the codec',
  async (name, history) => {
    await expect(
      Worker.runReplayHistory({ workflowBundle, dataConverter }, history, originalWorkflowId(history, name))
    ).resolves.toBeUndefined();
  }
);

test.each(encrypted.map((h) => [h.name, h.history] as const))(
  'encrypted %s does not replay without the codec',
  async (name, history) => {
    await expect(
      Worker.runReplayHistory({ workflowBundle }, history, originalWorkflowId(history, name))
    ).rejects.toThrow(/Unknown encoding: binary\/encrypted/);
  }
);
