/** The workflow bundle entry: every workflow type the worker runs. */
export { jiraIssueUpdated } from './jira-issue-updated';
export { groupUpdate } from './group-update';
export { createJiraIssue, linkJiraIssue, syncCommentToJira } from './jira-outbound';
export { syncAssigneeToJira, syncStatusToJira } from './jira-push';
export { postDiscordAlert } from './discord-alert';
export { discordInteraction } from './discord-interaction';
export { postTeamsAlert } from './teams-alert';
export { teamsCardAction } from './teams-card-action';
export { teamsReply } from './teams-reply';
