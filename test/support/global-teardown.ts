import type { DevServer } from '../../src/dev/temporal-dev-server';
import type { EmbeddedDb } from '../../src/dev/embedded-db';
import { EMBEDDED_DBS_KEY } from './global-setup';
import { dropDatabase } from './services';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__ISSUE_SYNC_DEV_SERVER__ as DevServer | undefined;
  await server?.stop();
  const embedded = (globalThis as Record<string, unknown>)[EMBEDDED_DBS_KEY] as EmbeddedDb[] | undefined;
  if (embedded) await Promise.all(embedded.map((db) => db.stop()));
  else if (process.env.TEST_DATABASE_URL) await dropDatabase(process.env.TEST_DATABASE_URL);
}
