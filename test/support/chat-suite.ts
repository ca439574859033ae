/**
 * The shared setup of the chat integration files: a Jira and a Discord simulator and a stack for the file, and
 * before each test reset simulators and empty tables. Register it at the top level of a test file, before the
 * file's own `beforeEach` (which then seeds what the file needs); the returned object is filled in by the hooks.
 */
import type { DiscordSimulator } from './discord-simulator';
import { startDiscordSimulator } from './discord-simulator';
import type { JiraSimulator } from './jira-simulator';
import { startJiraSimulator } from './jira-simulator';
import { CLIENT_KEY, SHARED_SECRET } from './jira-world';
import type { Stack } from './stack';
import { startStack, truncateAll } from './stack';

export interface ChatSuite {
  stack: Stack;
  jira: JiraSimulator;
  discord: DiscordSimulator;
}

export function useChatSuite(opts: { botToken: string; worker?: boolean }): ChatSuite {
  const suite = {} as ChatSuite;
  beforeAll(async () => {
    suite.jira = await startJiraSimulator({ clientKey: CLIENT_KEY, sharedSecret: SHARED_SECRET });
    suite.discord = await startDiscordSimulator({ botTokens: [opts.botToken] });
    suite.stack = await startStack({ discordApiBaseUrl: suite.discord.baseUrl, worker: opts.worker });
  });
  afterAll(async () => {
    await suite.stack?.stop();
    await suite.jira?.close();
    await suite.discord?.close();
  });
  beforeEach(async () => {
    suite.jira.reset();
    suite.discord.reset();
    await truncateAll(suite.stack.db);
  });
  return suite;
}
