/** The workflow bundle entry: every workflow type the worker runs. */
export { jiraIssueUpdated } from './jira-issue-updated';
