/**
 * The Grafana dashboard, its provisioning, Prometheus's config and the compose services that run them parse and
 * agree with each other (there is no Docker here to run them). That every metric the dashboard queries is really
 * served is checked against a live scrape in test/integration/metrics.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

// js-yaml comes with jest and eslint (no types of its own); only its `load` is used.
const yaml = jest.requireActual<{ load(text: string): unknown }>('js-yaml');

const root = path.resolve(__dirname, '../..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
const readYaml = (p: string) => yaml.load(read(p)) as any;

interface Panel {
  title: string;
  type: string;
  datasource: { type: string; uid: string };
  targets: Array<{ expr: string; refId: string }>;
  gridPos: { x: number; y: number; w: number; h: number };
}
const dashboard = JSON.parse(read('docs/grafana/dashboards/issue-sync.json')) as {
  uid: string;
  title: string;
  panels: Panel[];
};
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

describe('Grafana dashboard', () => {
  it('is a dashboard with panels that each query Prometheus', () => {
    expect(dashboard.uid).toBe('issue-sync');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(7);
    for (const p of dashboard.panels) {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: 'prometheus' });
      expect(p.targets.length).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.expr).toMatch(/\bissue_sync_[a-z_]+\b/);
    }
    expect(new Set(dashboard.panels.map((p) => (p as unknown as { id: number }).id)).size).toBe(
      dashboard.panels.length
    );
  });

  it('charts what an operator asks for', () => {
    const has = (re: RegExp) => expect(exprs.some((e) => re.test(e))).toBe(true);
    has(/sum by \(provider, result\) \(rate\(issue_sync_webhook_deliveries_total\[/);
    has(/sum by \(workflow_type, outcome\) \(rate\(issue_sync_workflow_outcomes_total\[/);
    has(/histogram_quantile\(0\.5, .*issue_sync_intake_seconds_bucket/);
    has(/histogram_quantile\(0\.99, .*issue_sync_intake_seconds_bucket/);
    has(/histogram_quantile\(0\.99, sum by \(le, activity_type\) .*issue_sync_activity_seconds_bucket/);
    has(/sum by \(activity_type, failure_type\) .*issue_sync_activity_failures_total/);
    has(/issue_sync_pump_backlog/);
    has(/by \(integration_id, provider\) \(issue_sync_paused_backlog\)/);
    // Parentheses balance in every query (a cheap syntax check).
    for (const e of exprs) {
      let depth = 0;
      for (const c of e) {
        depth += c === '(' ? 1 : c === ')' ? -1 : 0;
        expect(depth).toBeGreaterThanOrEqual(0);
      }
      expect(depth).toBe(0);
    }
  });
});

describe('Prometheus, Grafana provisioning and docker-compose.yml', () => {
  const prometheus = readYaml('docs/prometheus.yml');
  const compose = readYaml('docker-compose.yml');
  const services = compose.services as Record<string, any>;

  it('Prometheus scrapes the API and every worker replica with the metrics token', () => {
    const jobs = prometheus.scrape_configs as any[];
    const api = jobs.find((j) => j.job_name === 'issue-sync-api');
    const worker = jobs.find((j) => j.job_name === 'issue-sync-worker');
    expect(api.static_configs[0].targets).toEqual([`api:${services.api.environment.PORT}`]);
    expect(worker.dns_sd_configs[0]).toMatchObject({ names: ['worker'], type: 'A' });
    expect(worker.dns_sd_configs[0].port).toBe(Number(services.worker.environment.WORKER_METRICS_PORT));
    expect(services.worker.environment.WORKER_METRICS_HOST).toBe('0.0.0.0');
    for (const j of [api, worker]) {
      expect(j.metrics_path).toBe('/metrics');
      expect(j.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/metrics_token' });
    }
    expect(services.prometheus.secrets).toContain('metrics_token');
    expect(compose.secrets.metrics_token).toEqual({ environment: 'METRICS_TOKEN' });
    // The API and the worker get METRICS_TOKEN (a `${METRICS_TOKEN:?...}` that fails compose when unset).
    expect(services.api.environment.METRICS_TOKEN).toMatch(/^\$\{METRICS_TOKEN:\?/);
    expect(services.worker.environment.METRICS_TOKEN).toMatch(/^\$\{METRICS_TOKEN:\?/);
  });

  it('compose mounts files that exist where Prometheus and Grafana look for them', () => {
    const mounts = (svc: string) =>
      (services[svc].volumes as string[])
        .filter((v) => v.startsWith('./'))
        .map((v) => {
          const [from, to] = v.split(':');
          return { from: from!, to: to! };
        });
    const prom = mounts('prometheus');
    expect(prom).toContainEqual({ from: './docs/prometheus.yml', to: '/etc/prometheus/prometheus.yml' });
    expect(services.prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const grafana = mounts('grafana');
    for (const m of [...prom, ...grafana]) expect(existsSync(path.join(root, m.from))).toBe(true);
    const provisioning = grafana.find((m) => m.to === '/etc/grafana/provisioning')!;
    const dashboards = grafana.find((m) => m.to === '/etc/grafana/dashboards')!;
    expect(dashboards.from).toBe('./docs/grafana/dashboards');

    const ds = readYaml(path.join(provisioning.from, 'datasources/prometheus.yml'));
    expect(ds.datasources[0]).toMatchObject({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' });
    const dp = readYaml(path.join(provisioning.from, 'dashboards/issue-sync.yml'));
    expect(dp.providers[0].options.path).toBe(dashboards.to);
    expect(services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(
      `${dashboards.to}/issue-sync.json`
    );
    expect(services.grafana.depends_on).toHaveProperty('prometheus');
  });
});
