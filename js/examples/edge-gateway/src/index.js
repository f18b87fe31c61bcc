// An edge gateway: a Cloudflare worker (Hono) that lets a request through to the origin only
// with a valid, unrevoked access token. revocable runs in workerd (the package's `workerd`
// entry) and revocable/hono answers for it; keys and revocations come from the issuer's JWKS
// and feed, found through its RFC 8414 metadata.
//
//   no token            401, WWW-Authenticate: Bearer realm="api"
//   malformed header    400 invalid_request
//   bad/expired/revoked 401 invalid_token (JSON body with the stable `code`)
//   feed too old        never: this gateway does not set maxRevocationStalenessMs
//   valid               forwarded to ORIGIN_URL with the request's path and query (never
//                       another scheme, host or port, whatever the path looks like), with
//                       x-auth-sub / x-auth-sid (percent-encoded UTF-8, as encodeURIComponent
//                       writes them) and x-auth-scope set from the verified claims (any such
//                       header the client sent is removed first); Authorization is passed on,
//                       so the origin may verify again
//   GET /__gateway/health   200, not forwarded
//
// Workers run timers only while a request is in flight, so the verifier's background polling
// cannot be relied on here: every request awaits verifier.refreshRevocations(), which polls
// the feed when the last poll is older than REVOCATION_INTERVAL_MS (one request per interval
// pays one round trip to the issuer) and shares a poll already running.

import { Hono } from 'hono';
import { createVerifier } from 'revocable';
import { requireAuth } from 'revocable/hono';

const IDENTITY_HEADERS = ['x-auth-sub', 'x-auth-sid', 'x-auth-scope'];

// One verifier per isolate (keys and snapshot in memory), created on the first request.
let gatePromise = null;

// readme:start edge-gateway
function getGate(env) {
  gatePromise ??= createVerifier({
    // No key source: the JWKS and feed URLs come from the issuer's metadata.
    issuer: env.ISSUER_URL,
    audience: env.AUDIENCE,
    // The issuer's read-only feed key; a verifier never holds the service key.
    feedKey: env.FEED_KEY,
    revocationIntervalMs: Number(env.REVOCATION_INTERVAL_MS ?? 5000),
    typ: 'at+jwt',
  })
    .then((verifier) => ({ verifier, auth: requireAuth({ verifier }) }))
    .catch((err) => {
      gatePromise = null; // try again on the next request
      throw err;
    });
  return gatePromise;
}

const app = new Hono();
app.get('/__gateway/health', (c) => c.json({ ok: true }));
app.use('*', async (c, next) => {
  const { verifier, auth } = await getGate(c.env);
  // No timers between requests in workers: poll the feed here when it is due.
  await verifier.refreshRevocations();
  return auth(c, next); // 401/400 answered by revocable/hono; c.get('auth') is the payload
});
app.all('*', (c) => forward(c.req.raw, c.env, c.get('auth')));
// readme:end edge-gateway

app.onError((err, c) => {
  // revocable/hono's answers (401, 400) are HTTPExceptions carrying their response.
  if (typeof err.getResponse === 'function') return err.getResponse();
  // The issuer could not be reached for the metadata, the first keys or the feed: not the
  // client's fault. The message names the source and status, never a key or a token.
  console.error(`gateway: cannot verify: ${err?.code ?? err?.name}: ${err?.message}`);
  return c.json(
    { error: 'temporarily_unavailable', error_description: 'token verification is not available yet' },
    503,
    { 'retry-after': '5' },
  );
});

/**
 * The upstream URL: ORIGIN_URL's scheme, host and port, its path as a prefix, then the
 * request's path and query. The request's path is only ever set as a path (`pathname`),
 * never resolved as a URL reference, so `//host/x`, `/\host/x` or an absolute-form target
 * cannot name another host.
 */
function upstreamUrl(requestUrl, originUrl) {
  const incoming = new URL(requestUrl);
  const origin = new URL(originUrl);
  const target = new URL(origin.href);
  target.pathname = origin.pathname.replace(/\/+$/, '') + incoming.pathname;
  target.search = incoming.search;
  target.hash = '';
  if (target.origin !== origin.origin) throw new Error('upstream url left the origin');
  return target;
}

/** The identity headers' values: percent-encoded so that any `sub` arrives exactly. */
function identityHeaders(claims) {
  return {
    'x-auth-sub': encodeURIComponent(claims.sub ?? ''),
    'x-auth-sid': encodeURIComponent(claims.sid ?? ''),
    // Scope tokens are printable ASCII (RFC 6749 §3.3); anything else is encoded all the same.
    'x-auth-scope': (claims.scope ?? '').replace(/[^\x21-\x7e ]|%/g, (ch) => encodeURIComponent(ch)),
  };
}

async function forward(request, env, claims) {
  const target = upstreamUrl(request.url, env.ORIGIN_URL);
  const headers = new Headers(request.headers);
  // The origin's own Host comes from the target URL, never from the client.
  headers.delete('host');
  for (const name of IDENTITY_HEADERS) headers.delete(name);
  for (const [name, value] of Object.entries(identityHeaders(claims))) headers.set(name, value);
  try {
    return await fetch(target, {
      method: request.method,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
      redirect: 'manual',
    });
  } catch {
    return Response.json({ error: 'bad_gateway', error_description: 'the origin did not answer' }, { status: 502 });
  }
}

export default app;
