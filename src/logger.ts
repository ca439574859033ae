import pino from 'pino';

/**
 * Structured logger. Log ids and hashes only: the redact list is a safety net for fields that must never
 * appear (emails, tokens, secrets), not a licence to log whole payloads.
 */
export function createLogger(level: string): pino.Logger {
  return pino({
    level,
    redact: {
      paths: ['*.email', '*.emailAddress', '*.token', '*.secret', '*.shared_secret', '*.bot_token', 'authorization'],
      censor: '[redacted]',
    },
  });
}
export type Logger = pino.Logger;
