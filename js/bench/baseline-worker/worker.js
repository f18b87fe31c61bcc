// The bare-KV baseline for the issuer load test (js/bench/issuer-load.mjs): per request it does
// the KV operations of the issuer's refresh grant (docs/kv-schema.md: read rt:<hash>, then 3
// reads at once, then 2 writes) and nothing else: no parsing rules, no hashing, no signing. The
// issuer's throughput is reported as a ratio to this.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/jwks') {
      // The JWKS endpoint reads no KV: the baseline is a static body of the same size.
      return new Response(env.JWKS_BODY ?? '{"keys":[]}', { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' } });
    }
    if (request.method !== 'POST' || url.pathname !== '/refresh') return new Response('not found', { status: 404 });
    const form = new URLSearchParams(await request.text());
    const chain = form.get('chain') ?? 'x';
    const kv = env.REVOCABLE_KV;
    await kv.get(`rt:${chain}`);
    await Promise.all([kv.get(`session:${chain}`), kv.get(`revoked:${chain}`), kv.get(`logout:${chain}`)]);
    const next = crypto.randomUUID();
    await kv.put(`rt:${next}`, JSON.stringify({ chain, at: Date.now() }), { expirationTtl: 1209600 });
    await kv.put(`session:${chain}`, JSON.stringify({ current: next, at: Date.now() }), { expirationTtl: 2592000 });
    return Response.json({ refresh_token: next }, { headers: { 'cache-control': 'no-store' } });
  },
};
