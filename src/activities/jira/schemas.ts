/**
 * The shapes the client accepts from Jira (zod), and {@link parseBody}, which turns a body of another shape into a
 * JiraResponseError. Jira sends some ids as numbers and some as strings; `idString` takes both.
 */
import { z } from 'zod';
import { JIRA_SYSTEM, JiraResponseError } from './errors';
import type { JiraAssignableUser } from './types';

/** The body as `schema` reads it, or a JiraResponseError naming the paths that did not fit (never the values). */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new JiraResponseError(
    JIRA_SYSTEM,
    what,
    parsed.error.issues.map((i) => i.path.join('.'))
  );
}

const idString = z.union([z.string(), z.number()]).transform(String);

export const userEmailSchema = z.object({ accountId: z.string().optional(), email: z.string().nullish() });

export const assignableUserSchema = z.object({
  accountId: z.string(),
  emailAddress: z.string().nullish(),
  displayName: z.string().nullish(),
  active: z.boolean().nullish(),
});

/** Drops what Jira sent as null or empty, so callers see absent fields as absent. */
export function toAssignableUser(u: z.infer<typeof assignableUserSchema>): JiraAssignableUser {
  return {
    accountId: u.accountId,
    ...(u.emailAddress ? { emailAddress: u.emailAddress } : {}),
    ...(u.displayName != null ? { displayName: u.displayName } : {}),
    ...(u.active != null ? { active: u.active } : {}),
  };
}

export const issueSchema = z.object({
  id: idString,
  key: z.string(),
  fields: z.object({
    summary: z.string(),
    description: z.string().nullish(),
    status: z.object({ id: idString, name: z.string(), statusCategory: z.object({ key: z.string() }) }),
    project: z.object({ id: idString, key: z.string() }),
    assignee: z
      .object({ accountId: z.string() })
      .nullish()
      .transform((a) => a ?? null),
  }),
});

export const transitionsSchema = z.object({
  transitions: z.array(z.object({ id: idString, name: z.string(), to: z.object({ id: idString, name: z.string() }) })),
});

export const createdIssueSchema = z.object({ id: idString, key: z.string(), self: z.string() });

export const commentSchema = z.object({ id: idString, body: z.string() });

const entityPropertySchema = z.object({ key: z.string(), value: z.unknown() });

export const commentPageSchema = z.object({
  total: z.number().optional(),
  comments: z.array(commentSchema.extend({ properties: z.array(entityPropertySchema).optional() })),
});

export const searchPageSchema = z.object({
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().nullish(),
  issues: z.array(
    z.object({
      id: idString,
      key: z.string(),
      fields: z
        .record(z.string(), z.unknown())
        .nullish()
        .transform((f) => f ?? {}),
    })
  ),
});
