/**
 * One Prometheus text exposition from several registries: the API's own, its backlog gauges and prom-client's
 * global registry (the worker's metrics when it runs in the same process). A name registered in two of them
 * (e.g. Node's default metrics, if both collected them) is served once, from the first registry that has it.
 */
import { Registry } from 'prom-client';
import type { Metric } from 'prom-client';

export async function scrape(registries: readonly Registry[]): Promise<string> {
  const merged = new Registry();
  for (const reg of registries) {
    for (const metric of reg.getMetricsAsArray()) {
      if (!merged.getSingleMetric(metric.name)) merged.registerMetric(metric as unknown as Metric);
    }
  }
  return merged.metrics();
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
