/**
 * The remote codec the Temporal Web UI calls (`--ui-codec-endpoint http://<api>/codec`): POST /codec/decode and
 * /codec/encode take and answer Temporal's Payloads JSON (see src/codec/remote.ts), so an operator reads clear
 * inputs and results in the UI while Temporal's database holds ciphertext.
 *
 * - CORS: only the UI's origins (CODEC_CORS_ORIGINS, default http://127.0.0.1:<TEMPORAL_UI_PORT> and
 *   http://localhost:<TEMPORAL_UI_PORT>) get Access-Control-Allow-* headers; a preflight from another origin gets 403.
 * - Auth: with CODEC_TOKEN set, every POST needs `Authorization: Bearer <CODEC_TOKEN>` (401 otherwise). Without
 *   it only loopback clients are answered (403 otherwise): the dev server's UI cannot send a bearer token (it
 *   passes only an OIDC access token, and only to an https endpoint), and its browser runs on this machine.
 * - Without CODEC_KEYS there is nothing to decode with: 503.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { Router } from 'express';
import type { RequestHandler } from 'express';
import type { PayloadCodec } from '@temporalio/common';
import { CodecError } from '../../codec';
import { payloadsFromJson, payloadsToJson } from '../../codec/remote';
import { AuthError, InputError, UnavailableError } from '../errors';

export interface CodecEndpointOptions {
  /** The codec the worker and clients use; undefined when CODEC_KEYS is unset. */
  readonly codec: PayloadCodec | undefined;
  /** CODEC_TOKEN; unset → loopback clients only. */
  readonly token: string | undefined;
  /** Exact origins (scheme://host:port) of the Temporal Web UI. */
  readonly allowedOrigins: readonly string[];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const ALLOWED_HEADERS = 'Authorization, Authorization-Extras, Content-Type, X-Namespace';

function cors(allowed: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    const ok = origin !== undefined && allowed.has(origin);
    if (ok) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      if (!ok) {
        res.status(403).end();
        return;
      }
      res.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

function auth(token: string | undefined): RequestHandler {
  const expected = token ? Buffer.from(token) : null;
  return (req, res, next) => {
    if (!expected) {
      if (LOOPBACK.has(req.socket.remoteAddress ?? '')) return next();
      res.status(403).json({
        error: {
          name: 'ForbiddenError',
          message: '/codec answers loopback clients only; set CODEC_TOKEN to use it from elsewhere',
        },
      });
      return;
    }
    const header = req.get('authorization') ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AuthError('missing or wrong bearer token for /codec');
    }
    next();
  };
}

export function codecRouter(opts: CodecEndpointOptions | undefined): Router {
  const router = Router();
  router.use('/codec', cors(new Set(opts?.allowedOrigins ?? [])), auth(opts?.token), express.json({ limit: '8mb' }));
  const handle =
    (op: 'encode' | 'decode'): RequestHandler =>
    async (req, res) => {
      const codec = opts?.codec;
      if (!codec) throw new UnavailableError('CODEC_KEYS is not set: payloads are not encrypted, nothing to decode');
      const payloads = payloadsFromJson(req.body);
      try {
        res.json(payloadsToJson(await codec[op](payloads)));
      } catch (err) {
        if (err instanceof CodecError) throw new InputError(err.message);
        throw err;
      }
    };
  router.post('/codec/encode', handle('encode'));
  router.post('/codec/decode', handle('decode'));
  return router;
}
