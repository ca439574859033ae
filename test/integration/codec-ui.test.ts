/**
 * The dev server's Web UI is pointed at the API's remote codec: startDevServer({ uiCodecEndpoint }) passes
 * `--ui-codec-endpoint`, and the UI's own settings (what its browser code reads) carry it. npm start sets it to
 * `http://127.0.0.1:<PORT>/codec` when CODEC_KEYS is set (src/dev/run-all.ts).
 */
import { findTemporalCli, freePort, startDevServer } from '../../src/dev/temporal-dev-server';

test('When the dev server starts with a UI codec endpoint, Then the Web UI settings name it', async () => {
  const endpoint = 'http://127.0.0.1:3999/codec';
  const server = await startDevServer({
    cliPath: findTemporalCli({ build: false }),
    port: await freePort(),
    uiPort: await freePort(),
    headless: false,
    searchAttributes: [],
    uiCodecEndpoint: endpoint,
  });
  try {
    const res = await fetch(`${server.uiUrl!}/api/v1/settings`);
    expect(res.status).toBe(200);
    const settings = (await res.json()) as { Codec: { Endpoint: string; PassAccessToken: boolean } };
    expect(settings.Codec.Endpoint).toBe(endpoint);
    // The dev UI has no OIDC login, so it sends no access token: /codec relies on loopback or CODEC_TOKEN.
    expect(settings.Codec.PassAccessToken).toBe(false);
  } finally {
    await server.stop();
  }
});
