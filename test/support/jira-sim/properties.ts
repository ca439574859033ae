/** Entity properties sent inline on create or edit (issues and comments), checked with Jira's limits. */
import { isRecord } from '../sim-core';
import type { SimProperty } from './model';

const MAX_PROPERTY_KEY_LENGTH = 255;
const MAX_PROPERTY_VALUE_BYTES = 32_768;

/** Inline `properties` of a create/edit body: undefined when absent, else the list, else Jira's error message. */
export function parseProperties(raw: unknown): SimProperty[] | undefined | string {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) return 'properties must be a list of {key, value}.';
  const out: SimProperty[] = [];
  for (const p of raw) {
    if (!isRecord(p) || typeof p.key !== 'string' || p.key === '' || !('value' in p)) {
      return 'Each property needs a key and a value.';
    }
    if (p.key.length > MAX_PROPERTY_KEY_LENGTH) return 'The property key cannot be longer than 255 characters.';
    if (Buffer.byteLength(JSON.stringify(p.value) ?? '', 'utf8') > MAX_PROPERTY_VALUE_BYTES) {
      return 'The property value cannot be longer than 32768 bytes.';
    }
    out.push({ key: p.key, value: structuredClone(p.value) });
  }
  return mergeProperties([], out);
}

/** Later keys replace earlier ones; order of first appearance is kept. */
export function mergeProperties(base: SimProperty[], updates: SimProperty[]): SimProperty[] {
  const merged = base.map((p) => ({ ...p }));
  for (const u of updates) {
    const existing = merged.find((p) => p.key === u.key);
    if (existing) existing.value = u.value;
    else merged.push({ ...u });
  }
  return merged;
}
