/**
 * Express middleware for POST /webhooks/*: observes issue_sync_intake_seconds{provider,status} when the answer is
 * sent (or the client goes away: status `aborted`). The provider is the path's first segment when it is a known
 * provider, else `other`, so a scanner's paths never make new series.
 */
import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics';
import { PROVIDERS } from '../domain/model';

const KNOWN = new Set<string>(PROVIDERS);

export function intakeTimer(metrics: Pick<Metrics, 'intakeSeconds'>): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    const segment = req.path.split('/')[1] ?? '';
    const provider = KNOWN.has(segment) ? segment : 'other';
    const stop = metrics.intakeSeconds.startTimer({ provider });
    let done = false;
    const end = (status: string) => {
      if (done) return;
      done = true;
      stop({ status });
    };
    res.once('finish', () => end(String(res.statusCode)));
    res.once('close', () => end(res.writableFinished ? String(res.statusCode) : 'aborted'));
    next();
  };
}
