/** Issue 12 hole 11: /metrics is not open to anyone (loopback only by default, or METRICS_TOKEN). */
import { metricsAllowed } from '../../src/api/routes/health';

function req(remoteAddress: string, authorization?: string) {
  return {
    socket: { remoteAddress },
    get: (name: string) => (name.toLowerCase() === 'authorization' ? authorization : undefined),
  } as unknown as Parameters<typeof metricsAllowed>[0];
}

describe('metricsAllowed', () => {
  it('without METRICS_TOKEN: loopback clients (IPv4, IPv6, mapped) only', () => {
    expect(metricsAllowed(req('127.0.0.1'), undefined)).toBe(true);
    expect(metricsAllowed(req('::1'), undefined)).toBe(true);
    expect(metricsAllowed(req('::ffff:127.0.0.1'), undefined)).toBe(true);
    expect(metricsAllowed(req('10.0.0.7'), undefined)).toBe(false);
    expect(metricsAllowed(req('::ffff:192.168.1.2'), undefined)).toBe(false);
    expect(metricsAllowed(req(''), undefined)).toBe(false);
  });

  it('with METRICS_TOKEN: the bearer token decides, wherever the client is', () => {
    expect(metricsAllowed(req('10.0.0.7', 'Bearer mtok'), 'mtok')).toBe(true);
    expect(metricsAllowed(req('127.0.0.1'), 'mtok')).toBe(false);
    expect(metricsAllowed(req('127.0.0.1', 'Bearer wrong'), 'mtok')).toBe(false);
    expect(metricsAllowed(req('127.0.0.1', 'mtok'), 'mtok')).toBe(false);
  });
});
