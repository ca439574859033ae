/**
 * Tracker (Postgres) activities. Names are global in the worker, so every one starts with `tracker`.
 * Each is safe to retry: writes are keyed (activities.idempotency_key) or checked under a row lock.
 */
import type { Knex } from 'knex';
import type { ApplyResult } from '../../domain/model';
import type { ChatMessageRef } from './chat';
import { listChatMessages } from './chat';
import { finishDelivery, markDeliveryRunning } from './deliveries';
import type { InboundAssigneeInput, InboundStatusInput } from './inbound';
import { applyInboundAssignee, applyInboundStatus } from './inbound';
import type { InboundFlag, LinkedGroups } from './links';
import { findLinkedGroups, rekeyExternalIssue } from './links';

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
  };
}

export type TrackerActivities = ReturnType<typeof createTrackerActivities>;
