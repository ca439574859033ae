/**
 * The demo organization: org acme with projects backend and web (each reached through its team), Jane
 * (jane@example.com, both teams) and Bob (bob@example.com, team backend), four issues linked to Jira issues
 * APP-1…APP-4, a Jira site (the simulator, every sync on, APP mapped Done ⇄ To Do), a Discord server and a Teams
 * team installed for acme, with Jane's Discord and Teams accounts linked. Built with the integration tests'
 * fixtures, in the tables the API reads.
 */
import type { Knex } from 'knex';
import type { DiscordSimulator } from '../../test/support/discord-simulator';
import { createDiscordSigner } from '../../test/support/discord-signing';
import * as fx from '../../test/support/fixtures';
import type { JiraSimulator } from '../../test/support/jira-simulator';
import { mapProject, STATUS } from '../../test/support/outbound-world';
import type { TeamsSimulator } from '../../test/support/teams-simulator';

export const DEMO = {
  org: 'acme',
  jira: {
    clientKey: 'demo-jira-site',
    sharedSecret: 'demo-shared-secret-0123456789abcdef',
    jane: { accountId: '5b10a2844c20165700ede21g', displayName: 'Jane Doe', email: 'jane@example.com' },
    bob: { accountId: '5b10a2844c20165700ede22b', displayName: 'Bob Smith', email: 'bob@example.com' },
  },
  discord: {
    guildId: '4100000000000000001',
    applicationId: '4200000000000000001',
    botToken: 'demo-discord-bot-token',
    channelId: '4300000000000000001',
    jane: { id: '4500000000000000001', username: 'jane.discord' },
    signer: createDiscordSigner(),
  },
  teams: {
    team: '19:team-general@thread.tacv2',
    tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    channel: '19:alerts-channel@thread.tacv2',
    jane: { id: '29:1jane-teams-user', name: 'Jane Teams', aadObjectId: 'aad-jane' },
  },
  issues: [
    { key: 'APP-1', id: '10001', title: "TypeError: Cannot read properties of undefined (reading 'id')" },
    { key: 'APP-2', id: '10002', title: "KeyError: 'user_id'" },
    { key: 'APP-3', id: '10003', title: 'TimeoutError: upstream took 30 s' },
    { key: 'APP-4', id: '10004', title: 'ZeroDivisionError: division by zero' },
  ],
} as const;

export interface DemoWorld {
  orgId: number;
  projectId: number;
  janeId: number;
  bobId: number;
  jiraId: number;
  discordId: number;
  teamsId: number;
  /** One per DEMO.issues entry, in order. */
  groups: Array<{ id: number; key: string; externalIssueId: number }>;
}

export async function seedDemo(
  db: Knex,
  sims: { jira: JiraSimulator; discord: DiscordSimulator; teams: TeamsSimulator; publicKeyHex: string }
): Promise<DemoWorld> {
  const { jira, teams } = sims;
  const orgId = await fx.insertOrg(db, DEMO.org);
  const projectId = await fx.insertProject(db, orgId, 'backend');
  const webId = await fx.insertProject(db, orgId, 'web');
  const backendTeam = await fx.insertTeam(db, orgId, 'backend', [projectId]);
  const webTeam = await fx.insertTeam(db, orgId, 'web', [webId]);
  const janeId = await fx.insertUser(db, {
    username: 'jane',
    name: 'Jane Doe',
    emails: [{ email: DEMO.jira.jane.email }],
  });
  const bobId = await fx.insertUser(db, {
    username: 'bob',
    name: 'Bob Smith',
    emails: [{ email: DEMO.jira.bob.email }],
  });
  await fx.addMember(db, orgId, janeId, [backendTeam, webTeam]);
  await fx.addMember(db, orgId, bobId, [backendTeam]);

  // Jira: the site, its project and issues, Jane (email visible) and Bob (email hidden: needs the email API).
  const jiraId = await fx.insertJiraIntegration(db, {
    clientKey: DEMO.jira.clientKey,
    sharedSecret: DEMO.jira.sharedSecret,
    baseUrl: jira.baseUrl,
    emailScope: true,
  });
  await fx.installIntegration(db, orgId, jiraId, fx.ALL_JIRA_SYNC);
  await mapProject(db, orgId, jiraId, '10000');
  jira.addProject({ id: '10000', key: 'APP', name: 'Application' });
  jira.addUser({ ...DEMO.jira.jane, emailVisible: true });
  jira.addUser({ ...DEMO.jira.bob, emailVisible: false });
  const groups: DemoWorld['groups'] = [];
  let shortId = 100;
  for (const issue of DEMO.issues) {
    const groupId = await fx.insertGroup(db, projectId, { shortId: shortId++, title: issue.title });
    jira.addIssue({
      key: issue.key,
      id: issue.id,
      projectId: '10000',
      projectKey: 'APP',
      summary: issue.title,
      statusId: STATUS.todo,
    });
    const externalIssueId = await fx.linkExternalIssue(db, {
      groupId,
      orgId,
      integrationId: jiraId,
      key: issue.key,
      externalId: issue.id,
    });
    groups.push({ id: groupId, key: issue.key, externalIssueId });
  }

  // Discord: the server (its interactions are signed with the demo's Ed25519 key), Jane's account linked.
  const discordId = await fx.insertDiscordIntegration(db, {
    guildId: DEMO.discord.guildId,
    applicationId: DEMO.discord.applicationId,
    botToken: DEMO.discord.botToken,
    publicKeyHex: sims.publicKeyHex,
  });
  await fx.installIntegration(db, orgId, discordId);
  const discordIdp = await fx.insertIdentityProvider(db, 'discord', DEMO.discord.guildId);
  await fx.insertIdentity(db, { idpId: discordIdp, userId: janeId, externalId: DEMO.discord.jane.id });

  // Teams: the team (service URL = the Bot Framework simulator), Jane's account linked.
  const [row] = await db('integrations')
    .insert({
      provider: 'msteams',
      external_id: DEMO.teams.team,
      name: 'Contoso Engineering',
      metadata: { service_url: teams.baseUrl, tenant_id: DEMO.teams.tenant, app_id: teams.appId },
    })
    .returning('id');
  const teamsId = Number((row as { id: string | number }).id);
  await fx.installIntegration(db, orgId, teamsId);
  const teamsIdp = await fx.insertIdentityProvider(db, 'msteams', DEMO.teams.team);
  await fx.insertIdentity(db, { idpId: teamsIdp, userId: janeId, externalId: DEMO.teams.jane.id });

  return { orgId, projectId, janeId, bobId, jiraId, discordId, teamsId, groups };
}
