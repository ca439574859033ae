/**
 * Definitions shared by the API (client side), the workflows and the activities. Only plain data and
 * @temporalio/common here: this file is part of the workflow bundle.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'issue-sync';

export const SA = {
  Provider: defineSearchAttributeKey('Provider', SearchAttributeType.KEYWORD),
  IntegrationId: defineSearchAttributeKey('IntegrationId', SearchAttributeType.KEYWORD),
  ExternalIssueKey: defineSearchAttributeKey('ExternalIssueKey', SearchAttributeType.KEYWORD),
  GroupIds: defineSearchAttributeKey('GroupIds', SearchAttributeType.KEYWORD_LIST),
  Outcome: defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD),
} as const;

/** `--search-attribute` values for the dev server (name=Type). */
export const SEARCH_ATTRIBUTE_FLAGS: readonly string[] = [
  'Provider=Keyword',
  'IntegrationId=Keyword',
  'ExternalIssueKey=Keyword',
  'GroupIds=KeywordList',
  'Outcome=Keyword',
];
