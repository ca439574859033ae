/** Jira-side fixtures for the outbound tests: issues in the simulator and the status mapping in Postgres. */
import type { Knex } from 'knex';
import type { JiraSimulator } from './jira-simulator';
import type { World } from './jira-world';

export const STATUS = { todo: '10000', inProgress: '3', done: '10101' } as const;

/** APP-123 (id 10001) in project APP (id 10000), unassigned, To Do; APP is mapped Done ⇄ To Do. */
export async function seedJiraIssue(db: Knex, jira: JiraSimulator, w: World): Promise<void> {
  jira.addProject({ id: '10000', key: 'APP' });
  jira.addIssue({ key: 'APP-123', id: '10001', projectId: '10000', projectKey: 'APP', statusId: STATUS.todo });
  await mapProject(db, w.orgId, w.integrationId, '10000');
}

export async function mapProject(db: Knex, orgId: number, integrationId: number, projectId: string): Promise<void> {
  const oi = await db('organization_integrations')
    .where({ organization_id: orgId, integration_id: integrationId })
    .first('id');
  await db('external_projects').insert({
    organization_integration_id: oi.id,
    external_id: projectId,
    name: projectId,
    resolved_status: STATUS.done,
    unresolved_status: STATUS.todo,
  });
}

export interface ApiResult {
  status: number;
  body: Record<string, any>;
}

export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<ApiResult> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: 'Bearer test-api-token', 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}
