// An edge gateway: a Cloudflare worker that lets a request through to the origin only with a
// valid, unrevoked access token. revocable runs in workerd (the package's `workerd` entry);
// keys come from the issuer's JWKS and revocations from its feed, both found through the
// issuer's RFC 8414 metadata.
//
//   no token            401, WWW-Authenticate: Bearer realm="api"
//   malformed header    400 invalid_request
//   bad/expired/revoked 401 invalid_token (JSON body with the stable `code`)
//   valid               forwarded to ORIGIN_URL + path, with x-auth-sub / x-auth-sid /
//                       x-auth-scope set from the verified claims (any such header the client
//                       sent is removed first); Authorization is passed on, so the origin
//                       may verify again
//   GET /__gateway/health   200, not forwarded
//
// Workers run timers only while a request is in flight, so the verifier's background polling
// cannot be relied on here: every request awaits verifier.refreshRevocations(), which polls
// the feed when the last poll is older than REVOCATION_INTERVAL_MS (one request per interval
// pays one round trip to the issuer) and shares a poll already running.

import { createVerifier, JwtError } from 'revocable';

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const IDENTITY_HEADERS = ['x-auth-sub', 'x-auth-sid', 'x-auth-scope'];

// One verifier per isolate (keys and snapshot in memory), created on the first request.
let verifierPromise = null;

async function discover(env) {
  const issuer = env.ISSUER_URL.replace(/\/+$/, '');
  const res = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
  if (!res.ok) throw new Error(`issuer metadata: http ${res.status}`);
  const metadata = await res.json();
  if (metadata.issuer !== issuer) throw new Error('issuer metadata names another issuer');
  return metadata;
}

// readme:start edge-gateway
function getVerifier(env) {
  verifierPromise ??= discover(env)
    .then((metadata) =>
      createVerifier({
        issuer: metadata.issuer,
        audience: env.AUDIENCE,
        jwksUri: metadata.jwks_uri,
        revocationUri: metadata.revocation_feed_uri,
        serviceKey: env.FEED_KEY ?? env.ISSUER_SERVICE_KEY,
        revocationIntervalMs: Number(env.REVOCATION_INTERVAL_MS ?? 5000),
        typ: 'at+jwt',
      }),
    )
    .catch((err) => {
      verifierPromise = null; // try again on the next request
      throw err;
    });
  return verifierPromise;
}

async function authenticate(request, env) {
  const verifier = await getVerifier(env);
  // No timers between requests in workers: poll the feed here when it is due.
  await verifier.refreshRevocations();
  return verifier.verify(bearerToken(request)); // throws JwtError: answer 401
}
// readme:end edge-gateway

/** A client error with its RFC 6750 status and challenge. */
class AuthError extends Error {
  constructor(status, error, description, code) {
    super(description);
    this.status = status;
    this.error = error;
    this.code = code;
  }
}

function bearerToken(request) {
  const header = request.headers.get('authorization');
  if (header === null || header === '') throw new AuthError(401, undefined, 'no bearer token');
  const match = /^([^ \t]+)[ \t]+(.*)$/s.exec(header);
  if (!match || match[1].toLowerCase() !== 'bearer') throw new AuthError(401, undefined, 'no bearer token');
  if (!B64TOKEN.test(match[2])) throw new AuthError(400, 'invalid_request', 'malformed bearer token');
  return match[2];
}

function quoted(value) {
  // RFC 6750 error_description: no quotes or backslashes, printable ASCII only.
  return `"${String(value).replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '').slice(0, 200)}"`;
}

function refuse(err) {
  const params = [`realm="api"`];
  if (err.error) params.push(`error="${err.error}"`, `error_description=${quoted(err.message)}`);
  const body = { error: err.error ?? 'unauthorized', error_description: err.message };
  if (err.code) body.code = err.code;
  return Response.json(body, {
    status: err.status,
    headers: { 'www-authenticate': `Bearer ${params.join(', ')}`, 'cache-control': 'no-store' },
  });
}

function forward(request, env, claims) {
  const incoming = new URL(request.url);
  const target = new URL(incoming.pathname + incoming.search, env.ORIGIN_URL);
  const headers = new Headers(request.headers);
  for (const name of IDENTITY_HEADERS) headers.delete(name);
  headers.set('x-auth-sub', claims.sub ?? '');
  headers.set('x-auth-sid', claims.sid ?? '');
  headers.set('x-auth-scope', claims.scope ?? '');
  return fetch(target, {
    method: request.method,
    headers,
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
    redirect: 'manual',
  });
}

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === '/__gateway/health') return Response.json({ ok: true });
    let claims;
    try {
      claims = await authenticate(request, env);
    } catch (err) {
      if (err instanceof AuthError) return refuse(err);
      if (err instanceof JwtError) return refuse(new AuthError(401, 'invalid_token', err.message, err.code));
      // The issuer could not be reached for the first keys and feed: not the client's fault.
      console.error(`gateway: cannot verify: ${err?.code ?? err?.name}: ${err?.message}`);
      return Response.json(
        { error: 'temporarily_unavailable', error_description: 'token verification is not available yet' },
        { status: 503, headers: { 'retry-after': '5' } },
      );
    }
    try {
      return await forward(request, env, claims);
    } catch {
      return Response.json({ error: 'bad_gateway', error_description: 'the origin did not answer' }, { status: 502 });
    }
  },
};
