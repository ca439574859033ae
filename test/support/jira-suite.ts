/**
 * The shared setup of the Jira integration files: a Jira simulator and a stack for the file, and before each
 * test empty tables, a reset simulator and the seeded world (see jira-world.ts). Register it at the top level
 * of a test file; the returned object is filled in by the hooks.
 */
import type { JiraSimulator } from './jira-simulator';
import { startJiraSimulator } from './jira-simulator';
import type { World } from './jira-world';
import { CLIENT_KEY, SHARED_SECRET, seedWorld } from './jira-world';
import type { Stack } from './stack';
import { startStack, truncateAll } from './stack';

export interface JiraSuite {
  stack: Stack;
  jira: JiraSimulator;
  w: World;
}

export function useJiraSuite(opts: { emailScope?: boolean } = {}): JiraSuite {
  const suite = {} as JiraSuite;
  beforeAll(async () => {
    suite.jira = await startJiraSimulator({ clientKey: CLIENT_KEY, sharedSecret: SHARED_SECRET });
    suite.stack = await startStack();
  });
  afterAll(async () => {
    await suite.stack?.stop();
    await suite.jira?.close();
  });
  beforeEach(async () => {
    suite.jira.reset();
    await truncateAll(suite.stack.db);
    suite.w = await seedWorld(suite.stack.db, suite.jira, { emailScope: opts.emailScope });
  });
  return suite;
}
