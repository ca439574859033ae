/**
 * A Jira Cloud stand-in for tests, on the shared simulator core: a real HTTP server on 127.0.0.1 that answers the
 * REST calls issue-sync makes, checks the Atlassian Connect JWT on every request (HS256 with the site's shared
 * secret, `qsh` recomputed with atlassian-jwt), keeps users / projects / issues / comments in memory, records every
 * call, and can inject faults (error answers, slow answers, answers that never come after Jira has acted).
 *
 * The resources live in `jira-sim/` (users, issues, comments, transitions, search); this file wires them to the
 * core and is the one tests import. Also exports {@link buildIssueUpdatedPayload}, a realistic
 * `jira:issue_updated` webhook body.
 */
import { matchRoute, startSimServer, type SimRequest, type SimResponse } from './sim-core';
import { COMMENT_ROUTES } from './jira-sim/comments';
import { connectJwtProblem } from './jira-sim/connect-jwt';
import { ISSUE_ROUTES } from './jira-sim/issues';
import { jiraError } from './jira-sim/model';
import type { AddIssueInput, SimIssue, SimProject, SimStatus, SimTransition, SimUser } from './jira-sim/model';
import { SEARCH_ROUTES } from './jira-sim/search';
import { JiraState, type JiraRoute } from './jira-sim/state';
import { TRANSITION_ROUTES } from './jira-sim/transitions';
import { USER_ROUTES } from './jira-sim/users';

export {
  DEFAULT_SIM_STATUSES,
  toJiraTime,
  type AddIssueInput,
  type SimComment,
  type SimIssue,
  type SimProject,
  type SimProperty,
  type SimStatus,
  type SimTransition,
  type SimUser,
  type StatusCategoryKey,
} from './jira-sim/model';
export { DEFAULT_SEARCH_PAGE_SIZE } from './jira-sim/state';
export { REMOVED_SEARCH_BODY } from './jira-sim/search';
export * from './jira-sim/webhook-payload';

/** One request as the simulator saw it. `path` is relative to `baseUrl` (no context path). */
export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  time: number;
  /** The Connect JWT was valid. */
  authorized: boolean;
  /** Status answered; undefined while held or never answered. */
  status?: number;
}

export interface CallMatch {
  method?: string;
  pathPrefix?: string;
}

export interface FailSpec {
  status: number;
  headers?: Record<string, string>;
  /** Default `{ errorMessages: ['Simulated HTTP <status>'], errors: {} }`. */
  body?: unknown;
}

export interface JiraSimulatorOptions {
  clientKey: string;
  sharedSecret: string;
  /** The JWT `iss` expected on requests; default 'issue-sync'. */
  appKey?: string;
  /** Serve under a context path, e.g. '/jira' (baseUrl then ends with it). */
  contextPath?: string;
}

export interface JiraSimulator {
  /** e.g. `http://127.0.0.1:54321` (plus the context path). */
  readonly baseUrl: string;
  readonly clientKey: string;
  readonly appKey: string;
  /** Every request so far, oldest first (live array). */
  readonly calls: readonly RecordedCall[];
  callsTo(method: string, pathPrefix: string): RecordedCall[];
  addUser(user: SimUser): SimUser;
  addProject(project: { id: string; key: string; name?: string }): SimProject;
  addIssue(input: AddIssueInput): SimIssue;
  /** The live issue by key or id. */
  issue(keyOrId: string): SimIssue | undefined;
  /** A copy of the issue's entity properties (property key → value); undefined for an unknown issue. */
  issueProperties(keyOrId: string): Record<string, unknown> | undefined;
  setStatuses(statuses: SimStatus[]): void;
  /** Transitions offered by this issue whatever its status; without this, one per other status. */
  setTransitions(issueKey: string, transitions: SimTransition[]): void;
  /** Fields create-issue requires in this project: field id → Jira's message when missing. */
  setRequiredFields(projectKey: string, fields: Record<string, string>): void;
  /**
   * Most issues one page of `GET /rest/api/2/search/jql` answers, whatever `maxResults` asks (Jira may answer fewer
   * than asked). Default {@link DEFAULT_SEARCH_PAGE_SIZE}; `reset()` restores it.
   */
  setSearchPageSize(n: number): void;
  /** The next `n` matching requests are answered with `spec` and have no effect. */
  failNext(match: CallMatch, n: number, spec: FailSpec): void;
  /** The next `n` matching requests wait `ms` before they are handled (the effect happens after the wait). */
  delayNext(match: CallMatch, ms: number, n?: number): void;
  /**
   * The next `n` matching requests take effect (a comment or issue is created, with its properties) but are not
   * answered until `releaseAll()` or the client leaves.
   */
  holdNext(match: CallMatch, n?: number): void;
  /** Answers every held request. */
  releaseAll(): void;
  /** Forgets state, calls and faults; back to the default statuses. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

const ROUTES: readonly JiraRoute[] = [
  ...USER_ROUTES,
  ...ISSUE_ROUTES,
  ...COMMENT_ROUTES,
  ...TRANSITION_ROUTES,
  ...SEARCH_ROUTES,
];

function dispatch(state: JiraState, req: SimRequest): SimResponse {
  if (req.invalidJson) return jiraError(400, 'Unexpected character in request body');
  try {
    const found = matchRoute(ROUTES, req.method, req.path);
    if (found.kind === 'wrongMethod') return jiraError(405, 'Method not allowed');
    if (found.kind === 'none') return jiraError(404, 'No resource at this path');
    return found.handler(state, { ...req, params: found.params });
  } catch {
    return jiraError(500, 'Simulator error');
  }
}

const matches = (match: CallMatch, method: string, path: string): boolean =>
  (match.method === undefined || match.method.toUpperCase() === method) &&
  (match.pathPrefix === undefined || path.startsWith(match.pathPrefix));

const toPredicate = (match: CallMatch) => (call: RecordedCall) => matches(match, call.method, call.path);

/** Starts a simulator on 127.0.0.1 with a free port. Call `close()` when done. */
export async function startJiraSimulator(options: JiraSimulatorOptions): Promise<JiraSimulator> {
  const appKey = options.appKey ?? 'issue-sync';
  const contextPath = (options.contextPath ?? '').replace(/\/+$/, '');
  let baseUrl = '';
  let state = new JiraState(() => baseUrl);
  const problems = new WeakMap<RecordedCall, string | null>();

  const sim = await startSimServer<RecordedCall>({
    prefix: contextPath,
    maxBodyBytes: MAX_BODY_BYTES,
    contentType: 'application/json;charset=UTF-8',
    record(req) {
      const auth = { sharedSecret: options.sharedSecret, appKey, baseUrl };
      const problem = connectJwtProblem(req.method, req.url, req.headers.authorization, auth);
      const call: RecordedCall = {
        method: req.method,
        path: req.path,
        query: Object.fromEntries([...req.query].filter(([k]) => k !== 'jwt')),
        body: req.body,
        time: Date.now(),
        authorized: problem === null,
      };
      problems.set(call, problem);
      return call;
    },
    preflight(req, call) {
      if (req.raw === null) return jiraError(413, 'Request body too large');
      const problem = problems.get(call);
      return problem ? jiraError(401, problem) : undefined;
    },
    handle: (req) => dispatch(state, req),
    answered(call, response, how) {
      if (how !== 'held') call.status = response.status;
    },
  });
  baseUrl = `${sim.origin}${contextPath}`;
  const { calls } = sim;

  return {
    baseUrl,
    clientKey: options.clientKey,
    appKey,
    calls,
    callsTo: (method, pathPrefix) => calls.filter(toPredicate({ method, pathPrefix })),
    addUser: (user) => state.addUser(user),
    addProject: (project) => state.addProject(project),
    addIssue: (input) => state.addIssue(input),
    issue: (keyOrId) => state.findIssue(keyOrId),
    issueProperties: (keyOrId) => {
      const issue = state.findIssue(keyOrId);
      return issue ? structuredClone(issue.properties) : undefined;
    },
    setStatuses: (statuses) => {
      state.statuses = [...statuses];
    },
    setTransitions: (issueKey, transitions) => {
      state.transitions.set(issueKey, [...transitions]);
    },
    setRequiredFields: (projectKey, fields) => {
      state.requiredFields.set(projectKey, { ...fields });
    },
    setSearchPageSize: (n) => {
      if (!Number.isInteger(n) || n < 1) throw new Error('search page size must be a positive integer');
      state.searchPageSize = n;
    },
    failNext: (match, n, spec) =>
      sim.failNext(toPredicate(match), n, {
        status: spec.status,
        headers: spec.headers,
        body: spec.body ?? { errorMessages: [`Simulated HTTP ${spec.status}`], errors: {} },
      }),
    delayNext: (match, ms, n = 1) => sim.delayNext(toPredicate(match), n, ms),
    holdNext: (match, n = 1) => {
      sim.holdNext(toPredicate(match), n);
    },
    releaseAll: () => sim.releaseAll(),
    reset: () => {
      sim.reset();
      state = new JiraState(() => baseUrl);
    },
    close: () => sim.close(),
  };
}
