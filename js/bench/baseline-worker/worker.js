// The bare Durable Object baseline for the issuer load test (js/bench/issuer-load.mjs). Its
// refresh route makes the issuer's one hop: the worker takes the object's name from the
// refresh token's first 11 characters (the issuer's routing prefix) and sends one JSON call to
// that SQLite-backed object with stub.fetch. The object does the storage operations of the
// issuer's refresh (docs/kv-schema.md: read `rt:` and `session:<user>:<sid>`, upsert the new
// `rt:` row and the session row, with the same statements on the same `kv` table as
// crates/issuer/src/store/object_kv.rs) and answers a JSON body the size of the issuer's token
// response, which the worker passes on. Nothing else: no hashing, no rules, no signing. The
// issuer's throughput is reported as a ratio to this.
import { DurableObject } from 'cloudflare:workers';

const ROUTE_CHARS = 11;
const REFRESH_TOKEN_TTL = 1_209_600;
const SESSION_MAX_AGE = 2_592_000;

/** 32 random bytes, base64url: with the prefix, a token as long as the issuer's (54 characters). */
function randomPart() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export class BaselineSessionObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, metadata TEXT, expires INTEGER NOT NULL)');
    // Stands in for the signed access token, so the answer is as long as the issuer's.
    this.filler = 'x'.repeat(Number(env.ACCESS_TOKEN_LENGTH ?? 400));
  }

  get(key, now) {
    const row = this.sql.exec('SELECT value FROM kv WHERE key = ? AND expires > ?', key, now).toArray()[0];
    return row ? JSON.parse(row.value) : null;
  }

  put(key, value, expires, metadata = null) {
    this.sql.exec(
      'INSERT INTO kv (key, value, metadata, expires) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, expires = excluded.expires',
      key, JSON.stringify(value), metadata && JSON.stringify(metadata), expires,
    );
  }

  async fetch(request) {
    const { token } = await request.json();
    const nowMs = Date.now();
    const now = Math.floor(nowMs / 1000);
    const route = token.slice(0, ROUTE_CHARS);
    // A chain's first token has no row yet: its session is named after the token.
    const rt = this.get(`rt:${token}`, now) ?? { sid: token, user: route, gen: 0 };
    const sessionKey = `session:${rt.user}:${rt.sid}`;
    const session = this.get(sessionKey, now) ?? { created_ms: nowMs, expires: now + SESSION_MAX_AGE };
    const next = `${route}${randomPart()}`;
    const gen = rt.gen + 1;
    this.put(`rt:${next}`, { sid: rt.sid, user: rt.user, gen, exp: now + REFRESH_TOKEN_TTL }, now + REFRESH_TOKEN_TTL);
    this.put(
      sessionKey,
      { ...session, gen, current: next, current_exp: now + REFRESH_TOKEN_TTL, previous: { hash: token, rotated_ms: nowMs }, last_used_ms: nowMs },
      session.expires,
      { created_ms: session.created_ms, last_used_ms: nowMs, expires: session.expires, revoked: false },
    );
    return Response.json({ access_token: this.filler, token_type: 'Bearer', expires_in: 300, refresh_token: next });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/jwks') {
      // The JWKS endpoint reaches no object: the baseline is a static body of the same size.
      return new Response(env.JWKS_BODY ?? '{"keys":[]}', { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' } });
    }
    if (request.method !== 'POST' || url.pathname !== '/refresh') return new Response('not found', { status: 404 });
    const token = new URLSearchParams(await request.text()).get('refresh_token') ?? '';
    if (token.length <= ROUTE_CHARS) return new Response('bad token', { status: 400 });
    const stub = env.SESSIONS.getByName(token.slice(0, ROUTE_CHARS));
    const answer = await stub.fetch('https://session/call', { method: 'POST', body: JSON.stringify({ token }) });
    if (answer.status !== 200) return new Response('object failed', { status: 500 });
    return new Response(answer.body, { headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
  },
};
