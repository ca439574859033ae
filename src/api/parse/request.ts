/**
 * Request parsing shared by every route: zod → InputError naming the first offending path (the one
 * formatter), positive ids, and the Idempotency-Key header.
 */
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { InputError } from '../errors';

/** `path: message` of the first zod issue, `(body)` when the problem is the whole value. */
export function zodMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(body)';
  return `${path}: ${issue?.message ?? 'invalid'}`;
}

/** Validates a value with a schema; a failure is a 400 naming the field. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InputError(zodMessage(parsed.error));
  return parsed.data;
}

/** Ids are Postgres bigints; anything past 2^53 is refused here rather than by the database. */
const ID = /^[1-9]\d{0,15}$/;

/** A positive integer id from a path or query parameter; anything else is a 400 naming the parameter. */
export function parseId(value: unknown, name: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !ID.test(text) || !Number.isSafeInteger(Number(text)))
    throw new InputError(`${name}: must be a positive integer`);
  return Number(text);
}

const KEY = /^[A-Za-z0-9._:-]{1,100}$/;

/** The request's Idempotency-Key header (validated), or a fresh id. Used in workflow ids and activity keys. */
export function requestIdOf(req: Request): string {
  const given = req.get('idempotency-key');
  if (given === undefined) return randomUUID();
  if (!KEY.test(given)) throw new InputError('Idempotency-Key: 1-100 characters of A-Z a-z 0-9 . _ : -');
  return given;
}

/** An id in a JSON body: a positive safe integer (fits Postgres bigint). */
export const idSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER, 'must be at most 2^53 - 1');
