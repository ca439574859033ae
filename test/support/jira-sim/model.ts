/**
 * The Jira simulator's data model (what tests seed and read), Jira's status categories and time format, and the
 * shapes of its error answers. Shared by the resource modules next to this file.
 */
import type { SimResponse } from '../sim-core';

export type StatusCategoryKey = 'new' | 'indeterminate' | 'done';

export interface SimUser {
  accountId: string;
  displayName: string;
  email: string;
  /** false: the profile hides the email, so `user/assignable/search` leaves `emailAddress` out. */
  emailVisible: boolean;
  /** Issue keys or project keys this user can be assigned in; undefined = everywhere. */
  assignableFor?: string[];
  /** Inactive users are never assignable. Default true. */
  active?: boolean;
}

export interface SimStatus {
  id: string;
  name: string;
  categoryKey: StatusCategoryKey;
}

export interface SimProject {
  id: string;
  key: string;
  name: string;
}

/** An entity property as Jira takes it inline on create and answers it with `expand=properties`. */
export interface SimProperty {
  key: string;
  value: unknown;
}

export interface SimComment {
  id: string;
  body: string;
  created: string;
  updated: string;
  /** Entity properties (sent on create or edit); answered only with `expand=properties`. */
  properties?: SimProperty[];
}

/** Live issue state; tests may read and change it directly. */
export interface SimIssue {
  id: string;
  key: string;
  projectId: string;
  projectKey: string;
  summary: string;
  description: string | null;
  statusId: string;
  assigneeAccountId: string | null;
  comments: SimComment[];
  /** Other fields sent on create (issuetype, custom fields, ...), answered back by GET issue. */
  extraFields: Record<string, unknown>;
  /** Issue entity properties, property key → value (set inline on create); searchable with JQL. */
  properties: Record<string, unknown>;
  created: string;
  updated: string;
}

export interface SimTransition {
  id: string;
  name: string;
  toStatusId: string;
}

export interface AddIssueInput {
  key: string;
  id?: string;
  projectId?: string;
  /** Defaults to the part of the key before the last `-`. */
  projectKey?: string;
  summary?: string;
  description?: string | null;
  /** Defaults to the first status of category `new`. */
  statusId?: string;
  assigneeAccountId?: string | null;
}

/** Statuses every simulator starts with (ids as in the reference payloads). */
export const DEFAULT_SIM_STATUSES: readonly SimStatus[] = [
  { id: '10000', name: 'To Do', categoryKey: 'new' },
  { id: '3', name: 'In Progress', categoryKey: 'indeterminate' },
  { id: '10101', name: 'Done', categoryKey: 'done' },
];

export const STATUS_CATEGORIES: Record<
  StatusCategoryKey,
  { id: number; key: string; colorName: string; name: string }
> = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};

/** Jira's timestamp format: `2024-05-01T12:34:56.789+0000`. */
export function toJiraTime(date: Date | string | number): string {
  return new Date(date).toISOString().replace('Z', '+0000');
}

/** What a route handler gets: the request relative to the base URL, with the path pattern's groups. */
export interface JiraRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly params: readonly string[];
}

export const json = (status: number, body?: unknown): SimResponse => ({ status, body });
export const jiraError = (status: number, ...errorMessages: string[]): SimResponse =>
  json(status, { errorMessages, errors: {} });
export const fieldErrors = (errors: Record<string, string>): SimResponse => json(400, { errorMessages: [], errors });
export const NO_ISSUE = 'Issue does not exist or you do not have permission to see it.';
