// The npm package `revocable` as built from source (js/dist, `make build-js`), Ed25519 and
// HS256 tokens signed with node:crypto (independent of the package), and the ways a broken,
// hostile or overloaded server can answer the verifier's JWKS and feed requests.

import { createHmac, generateKeyPairSync, randomUUID, sign as cryptoSign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './common.mjs';

export const BUILT = existsSync(join(ROOT, 'js/dist/wasm/node.mjs'));

/** The package's Node ESM entry (imported from the source tree, with the built wasm). */
export async function loadPackage() {
  if (!BUILT) throw new Error('js/dist is not built: run `make build-js` (make test does)');
  return import(pathToFileURL(join(ROOT, 'js/src/entry/node.js')).href);
}

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An Ed25519 key pair with its public JWK (alg, kid, use). */
export function edKey(kid = `ed-${randomUUID().slice(0, 8)}`) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), alg: 'EdDSA', kid, use: 'sig' } };
}

/** A compact JWS of `claims` signed with an `edKey`. */
export function signEd(key, claims) {
  const input = `${b64({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })}.${b64(claims)}`;
  return `${input}.${cryptoSign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** A compact JWS of `claims` (any JSON text) signed HS256 with `secret`. */
export function signHs256(secret, claimsJson) {
  const input = `${b64({ alg: 'HS256', typ: 'at+jwt' })}.${b64(claimsJson)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * Server-side faults, by name: how a broken, hostile or overloaded issuer can answer.
 * Each is `(req, res, socket) => void`; `code` is the RemoteSourceError code the verifier must
 * report for it.
 */
const HTML = { 'content-type': 'text/html' };
const JSON_TYPE = { 'content-type': 'application/json' };
/** A fault that is one whole answer, sent at once. */
const answer = (status, headers, body) => (req, res) => res.writeHead(status, headers).end(body);

export const FAULTS = {
  'status 500 with an HTML body': { code: 'ERR_REMOTE_STATUS', serve: answer(500, HTML, '<h1>Internal Server Error</h1>') },
  'status 429 with Retry-After': { code: 'ERR_REMOTE_STATUS', serve: answer(429, { 'retry-after': '30' }) },
  'binary garbage': { code: 'ERR_REMOTE_INVALID', serve: answer(200, JSON_TYPE, Buffer.from([0x7b, 0x00, 0x01, 0x8f, 0xfe, 0x22, 0x7d])) },
  'invalid UTF-8': {
    code: 'ERR_REMOTE_INVALID',
    serve: answer(200, JSON_TYPE, Buffer.concat([Buffer.from('{"keys":[],"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])),
  },
  'an HTML page with status 200': { code: 'ERR_REMOTE_INVALID', serve: answer(200, HTML, '<!doctype html><title>captive portal</title>') },
  'an empty body': { code: 'ERR_REMOTE_INVALID', serve: answer(200, JSON_TYPE) },
  'JSON nested 100000 deep': { code: 'ERR_REMOTE_INVALID', serve: answer(200, JSON_TYPE, `${'['.repeat(100000)}${']'.repeat(100000)}`) },
  'a body cut off mid-way (connection reset)': {
    code: 'ERR_REMOTE_UNREACHABLE',
    serve: (req, res, socket) => {
      res.writeHead(200, { ...JSON_TYPE, 'content-length': '5000' });
      res.write('{"keys":[{"kty":"OKP","crv":"Ed');
      setTimeout(() => socket.destroy(), 20);
    },
  },
  'a connection reset before any answer': {
    code: 'ERR_REMOTE_UNREACHABLE',
    serve: (req, res, socket) => socket.destroy(),
  },
  // Redirects are never followed (the feed request carries the service key): the first 302
  // is the failure, so a loop costs one request.
  'a redirect loop': {
    code: 'ERR_REMOTE_STATUS',
    serve: (req, res) => res.writeHead(302, { location: req.url }).end(),
  },
  'a huge declared body (50 MB)': {
    code: 'ERR_REMOTE_TOO_LARGE',
    serve: (req, res) => {
      res.writeHead(200, { ...JSON_TYPE, 'content-length': String(50 << 20) });
      res.write('{"keys":[');
    },
  },
  'an endless streamed body': {
    code: 'ERR_REMOTE_TOO_LARGE',
    serve: (req, res) => {
      res.writeHead(200, JSON_TYPE);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    },
  },
  'no answer at all (hangs)': {
    code: 'ERR_REMOTE_TIMEOUT',
    serve: () => {},
  },
  'headers, then a body one byte at a time (slow loris)': {
    code: 'ERR_REMOTE_TIMEOUT',
    serve: (req, res) => {
      res.writeHead(200, JSON_TYPE);
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 100);
      res.on('close', () => clearInterval(timer));
    },
  },
};
