/**
 * P3: events and billable actions of a history, in the JSON form `temporal workflow show --output json` prints
 * (the recorded test/replay/histories files, and live runs read the same way).
 *
 * Counting rule (Temporal Cloud "Actions", https://docs.temporal.io/cloud/actions): 1 for the workflow start;
 * 1 per activity attempt (ActivityTaskStarted.attempt: a retried activity counts once per attempt); 1 per
 * timer started; 1 per signal received or sent; 1 per child workflow started (the child's own actions are
 * counted in its own history); 1 per search-attribute upsert; 1 per batch of local activities in one workflow
 * task; 1 per side-effect marker. Not counted: workflow task events, completion, `patched()` version markers
 * (reported apart), queries.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

interface HistoryEvent {
  eventType: string;
  [k: string]: unknown;
}

export interface HistoryCost {
  events: number;
  actions: number;
  /** Regular activities scheduled (ActivityTaskScheduled). */
  activities: number;
  /** Local activities recorded (their markers). */
  localActivities: number;
  breakdown: Record<string, number>;
}

const norm = (t: string) => t.replace(/^EVENT_TYPE_/, '').toUpperCase();

export function costOf(events: readonly HistoryEvent[]): HistoryCost {
  const b: Record<string, number> = {};
  const add = (k: string, n = 1) => (b[k] = (b[k] ?? 0) + n);
  let lastLocalBatchTask = -1;
  let task = 0;
  let activities = 0;
  let localActivities = 0;
  for (const e of events) {
    const t = norm(e.eventType);
    if (t === 'WORKFLOW_TASK_COMPLETED') task++;
    if (t === 'WORKFLOW_EXECUTION_STARTED') add('workflow start');
    else if (t === 'ACTIVITY_TASK_STARTED') {
      const attrs = (e['activityTaskStartedEventAttributes'] ?? {}) as { attempt?: number };
      add('activity attempts', Math.max(1, Number(attrs.attempt ?? 1)));
    } else if (t === 'ACTIVITY_TASK_SCHEDULED') activities++;
    else if (t === 'TIMER_STARTED') add('timers');
    else if (t === 'WORKFLOW_EXECUTION_SIGNALED' || t === 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED')
      add('signals');
    else if (t === 'START_CHILD_WORKFLOW_EXECUTION_INITIATED') add('child starts');
    else if (t === 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES') add('search-attribute upserts');
    else if (t === 'MARKER_RECORDED') {
      const name = String(((e['markerRecordedEventAttributes'] ?? {}) as { markerName?: string }).markerName ?? '');
      if (/local/i.test(name)) {
        localActivities++;
        if (lastLocalBatchTask !== task) add('local-activity batches');
        lastLocalBatchTask = task;
      } else if (/patch|version/i.test(name))
        b['patch markers (not billed)'] = (b['patch markers (not billed)'] ?? 0) + 1;
      else add('side effects');
    }
  }
  const actions = Object.entries(b)
    .filter(([k]) => !k.includes('not billed'))
    .reduce((s, [, n]) => s + n, 0);
  return { events: events.length, actions, activities, localActivities, breakdown: b };
}

export function costOfFile(file: string): HistoryCost {
  return costOf((JSON.parse(readFileSync(file, 'utf8')) as { events: HistoryEvent[] }).events);
}

/** A live run's history through the CLI (the same JSON the recorded files hold). */
export function costOfLive(cliPath: string, address: string, workflowId: string): HistoryCost {
  const json = execFileSync(
    cliPath,
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', address],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }
  );
  return costOf((JSON.parse(json) as { events: HistoryEvent[] }).events);
}
