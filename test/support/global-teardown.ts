import type { DevServer } from '../../src/dev/temporal-dev-server';
import { dropDatabase } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__ISSUE_SYNC_DEV_SERVER__ as DevServer | undefined;
  await server?.stop();
  if (process.env.TEST_DATABASE_URL) await dropDatabase(process.env.TEST_DATABASE_URL);
}
