/**
 * The steps of a run as the Temporal UI lists them, read from its history: every activity, whether it ran as a
 * regular activity (ActivityTaskScheduled) or as a local activity (a `core_local_activity` marker), with its type
 * and its UI summary. Tests use it so they hold for either history shape (see src/workflows/proxies.ts).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

export interface HistoryStep {
  readonly eventId: number;
  readonly type: string;
  readonly summary: string | undefined;
  readonly local: boolean;
  /** Local activities: the attempt that completed (1 = first try); regular ones: undefined (see ActivityTaskStarted). */
  readonly attempt?: number;
}

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

function summaryOf(e: temporal.api.history.v1.IHistoryEvent): string | undefined {
  const p = e.userMetadata?.summary;
  return p ? defaultPayloadConverter.fromPayload<string>(p) : undefined;
}

export function historySteps(history: temporal.api.history.v1.IHistory): HistoryStep[] {
  const steps: HistoryStep[] = [];
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      steps.push({
        eventId: Number(e.eventId),
        type: scheduled.activityType?.name ?? '',
        summary: summaryOf(e),
        local: false,
      });
      continue;
    }
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) continue;
    const data = marker.details?.['data']?.payloads?.[0];
    const info = data ? defaultPayloadConverter.fromPayload<{ activity_type?: string; attempt?: number }>(data) : {};
    steps.push({
      eventId: Number(e.eventId),
      type: info.activity_type ?? '',
      summary: summaryOf(e),
      local: true,
      attempt: info.attempt,
    });
  }
  return steps;
}
