/** The workflow bundle entry: every workflow type the worker runs. */
export { jiraIssueUpdated } from './jira-issue-updated';
export { groupUpdate } from './group-update';
export {
  createJiraIssue,
  linkJiraIssue,
  syncAssigneeToJira,
  syncCommentToJira,
  syncStatusToJira,
} from './jira-outbound';
