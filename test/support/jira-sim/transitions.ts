/**
 * Statuses and transitions: `GET /rest/api/2/status`, `GET|POST /rest/api/2/issue/{issue}/transitions`. Without
 * `setTransitions`, an issue offers one transition to each other status.
 */
import { isRecord, route } from '../sim-core';
import { jiraError, json, type JiraRequest, type SimIssue, type SimTransition } from './model';
import { onIssue, type JiraRoute, type JiraState } from './state';

function availableTransitions(state: JiraState, issue: SimIssue): SimTransition[] {
  const configured = state.transitions.get(issue.key);
  if (configured) return configured;
  return state.statuses
    .map((s, index) => ({ id: String(11 + 10 * index), name: s.name, toStatusId: s.id }))
    .filter((t) => t.toStatusId !== issue.statusId);
}

function listTransitions(state: JiraState, issue: SimIssue) {
  const transitions = availableTransitions(state, issue).map((t) => ({
    id: t.id,
    name: t.name,
    to: state.statusJson(state.statusById(t.toStatusId)),
    hasScreen: false,
    isGlobal: true,
    isInitial: false,
    isAvailable: true,
    isConditional: false,
    isLooped: false,
  }));
  return json(200, { expand: 'transitions', transitions });
}

function transition(state: JiraState, issue: SimIssue, { body }: JiraRequest) {
  const wanted = isRecord(body) && isRecord(body.transition) ? body.transition : undefined;
  const id = wanted && (typeof wanted.id === 'string' || typeof wanted.id === 'number') ? String(wanted.id) : undefined;
  if (id === undefined) return jiraError(400, 'Missing transition id.');
  const t = availableTransitions(state, issue).find((x) => x.id === id);
  if (!t) return jiraError(400, `Transition id '${id}' is not valid for this issue.`);
  issue.statusId = t.toStatusId;
  state.touch(issue);
  return json(204);
}

const TRANSITIONS = /^\/rest\/api\/2\/issue\/([^/]+)\/transitions$/;

export const TRANSITION_ROUTES: readonly JiraRoute[] = [
  route('GET', /^\/rest\/api\/2\/status$/, (state: JiraState) =>
    json(
      200,
      state.statuses.map((s) => state.statusJson(s))
    )
  ),
  route('GET', TRANSITIONS, onIssue(listTransitions)),
  route('POST', TRANSITIONS, onIssue(transition)),
];
