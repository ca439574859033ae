/**
 * Tracker (Postgres) activities. Names are global in the worker, so every one starts with `tracker`.
 * Each is safe to retry: writes are keyed (activities.idempotency_key) or checked under a row lock.
 */
import type { Knex } from 'knex';
import type { ApplyResult } from '../../domain/model';
import type { ChatMessageRef } from './chat';
import { listChatMessages } from './chat';
import type { RecordChatMessageInput } from './chat-messages';
import { recordChatMessage } from './chat-messages';
import { finishDelivery, markDeliveryRunning } from './deliveries';
import type { InboundAssigneeInput, InboundStatusInput } from './inbound';
import { applyInboundAssignee, applyInboundStatus } from './inbound';
import type { InboundFlag, LinkedGroups } from './links';
import { findLinkedGroups, rekeyExternalIssue } from './links';
import type {
  ChatActionCheck,
  ChatActionCheckInput,
  ChatIdentityInput,
  TeamsTargetCheck,
  TeamsTargetInput,
} from './identity';
import { checkChatAction, checkTeamsTarget, resolveChatIdentity, teamsWorkspace, unlinkChatIdentity } from './identity';
import type { GroupChangeInput } from './group-change';
import { applyGroupChange } from './group-change';
import type { LinkInput, OutboundKind, OutboundPlan } from './outbound';
import { linkExternalIssue, planOutbound, recordExternalComment } from './outbound';
import type { ChangeSource } from '../../domain/model';

export interface TrackerDeps {
  readonly db: Knex;
}

export function createTrackerActivities({ db }: TrackerDeps) {
  return {
    async trackerMarkDeliveryRunning(input: { deliveryId: number }): Promise<void> {
      await markDeliveryRunning(db, input.deliveryId);
    },
    async trackerFinishDelivery(input: Parameters<typeof finishDelivery>[1]): Promise<void> {
      await finishDelivery(db, input);
    },
    async trackerFindLinkedGroups(input: {
      integrationId: number;
      issueKey: string;
      issueId: string | null;
      flag: InboundFlag;
    }): Promise<LinkedGroups> {
      return findLinkedGroups(db, input);
    },
    async trackerApplyInboundAssignee(input: InboundAssigneeInput): Promise<ApplyResult> {
      return applyInboundAssignee(db, input);
    },
    async trackerApplyInboundStatus(input: InboundStatusInput): Promise<ApplyResult> {
      return applyInboundStatus(db, input);
    },
    async trackerRekeyExternalIssue(input: Parameters<typeof rekeyExternalIssue>[1]): Promise<{ rekeyed: number }> {
      return rekeyExternalIssue(db, input);
    },
    async trackerListChatMessages(input: { groupIds: number[] }): Promise<ChatMessageRef[]> {
      return listChatMessages(db, input.groupIds);
    },
    /** Where an alert was posted, inserted once (unique provider, channel, message). */
    async trackerRecordChatMessage(input: RecordChatMessageInput): Promise<{ chatMessageId: number }> {
      return recordChatMessage(db, input);
    },
    /** A person's change (API, chat): assignee and/or status through the same hubs as inbound. */
    async trackerApplyGroupChange(input: GroupChangeInput): Promise<ApplyResult> {
      return applyGroupChange(db, input);
    },
    /** The tracker user a chat user is linked to (identity_providers + identities), or null. */
    async trackerResolveChatIdentity(input: ChatIdentityInput): Promise<{ userId: number | null }> {
      return resolveChatIdentity(db, input);
    },
    /** A chat action's preconditions: the group, the integration installed for its org, org membership. */
    async trackerCheckChatAction(input: ChatActionCheckInput): Promise<ChatActionCheck> {
      return checkChatAction(db, input);
    },
    /** A Teams card action's integration (active, same tenant) and group (in an org that installed it). */
    async trackerCheckTeamsTarget(input: TeamsTargetInput): Promise<TeamsTargetCheck> {
      return checkTeamsTarget(db, input);
    },
    /** An active Teams integration's identity-provider key, or null. */
    async trackerTeamsWorkspace(input: { integrationId: number }): Promise<{ workspaceId: string } | null> {
      return teamsWorkspace(db, input.integrationId);
    },
    /** Removes a chat user's link (Teams `unlink`); idempotent. */
    async trackerUnlinkChatIdentity(input: ChatIdentityInput): Promise<{ wasLinked: boolean }> {
      return unlinkChatIdentity(db, input);
    },
    /** Which linked Jira issues a change goes to: forward flags on, never back to its source (fail-closed). */
    async trackerPlanOutbound(input: {
      groupId: number;
      kinds: OutboundKind[];
      source: ChangeSource | null;
      onlyExternalIssueId?: number;
    }): Promise<OutboundPlan> {
      return planOutbound(db, input);
    },
    async trackerRecordExternalComment(input: {
      noteId: number;
      externalIssueId: number;
      commentId: string;
    }): Promise<void> {
      await recordExternalComment(db, input);
    },
    async trackerLinkExternalIssue(input: LinkInput): Promise<{ externalIssueId: number }> {
      return linkExternalIssue(db, input);
    },
  };
}

export type TrackerActivities = ReturnType<typeof createTrackerActivities>;
