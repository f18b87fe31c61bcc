// Validation of createVerifier() options. Every mistake is a TypeError naming the option,
// thrown before anything is fetched; values (secrets, keys) never appear in messages.

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
// Every algorithm the core verifies (exact, case-sensitive JOSE names; `none` never).
const ALGORITHMS = new Set([...HMAC_ALGORITHMS, 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']);

/** Defaults, documented in the README and types/index.d.ts. */
export const DEFAULTS = Object.freeze({
  revocationIntervalMs: 5000,
  jwksCooldownMs: 30_000,
  // Below this, a stream of tokens with made-up kids could make every verify() cost a fetch.
  jwksCooldownMinMs: 1000,
  jwksMaxAgeMs: 600_000,
  fetchTimeoutMs: 5000,
  maxResponseBytes: 4 * 1024 * 1024,
  // The verified-token cache is on unless `cache: false` (README "Verified-token cache").
  cacheMax: 1000,
});

// Largest accepted cache.max: 2^20 entries (a few hundred MB at most): a bigger number is a typo.
const CACHE_MAX_LIMIT = 2 ** 20;

const KNOWN = new Set([
  // key sources (exactly one)
  'jwks', 'jwksUri', 'secret',
  // claims policy (passed to the core)
  'issuer', 'audience', 'algorithms', 'clockTolerance', 'maxTokenAge', 'requiredClaims', 'typ',
  // revocation feed (`serviceKey`: the older name of `feedKey`)
  'revocationUri', 'feedKey', 'serviceKey', 'revocationIntervalMs', 'maxRevocationStalenessMs',
  // remote sources
  'jwksCooldownMs', 'jwksMaxAgeMs', 'fetchTimeoutMs', 'maxResponseBytes', 'fetch', 'onError',
  // time
  'clock',
  // speed: the verified-token cache and host crypto (README "Performance")
  'cache', 'hostCrypto',
]);

function fail(message) {
  return new TypeError(`createVerifier: ${message}`);
}

function oneOrMany(name, value) {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string' && v !== '')) {
    throw fail(`${name} is required: a non-empty string or array of non-empty strings`);
  }
  return list;
}

function stringList(name, value) {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw fail(`${name} must be an array of non-empty strings`);
  }
  return value;
}

function seconds(name, value) {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw fail(`${name} must be a whole number of seconds (0 to 2^32-1)`);
  }
  return value;
}

function integer(name, value, fallback, min, unit, max = 2 ** 31 - 1) {
  if (value === undefined) return fallback;
  // 2^31-1 by default: the largest delay setTimeout honours.
  if (!Number.isInteger(value) || value < min || value > max) {
    throw fail(`${name} must be a whole number of ${unit} from ${min} to ${max}`);
  }
  return value;
}

const millis = (name, value, fallback, min) => integer(name, value, fallback, min, 'milliseconds');

function httpUrl(name, value) {
  let url;
  try {
    url = new URL(String(value));
  } catch {
    throw fail(`${name} must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw fail(`${name} must be an absolute http(s) URL`);
  }
  return url.href;
}

/**
 * Discovery (no key source given): the RFC 8414 metadata URL of the one issuer. Several
 * issuers have several metadata documents and key sets, and picking one would silently fail
 * every token of the others, so an issuer list needs explicit key sources.
 */
function discovery(issuers) {
  if (issuers.length !== 1) {
    throw fail('discovery needs exactly one issuer: with several, pass jwksUri (and revocationUri) explicitly');
  }
  const [issuer] = issuers;
  let url;
  try {
    url = new URL(issuer);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
    throw fail('discovery needs an issuer that is an http(s) URL without query or fragment; otherwise pass jwks, jwksUri or secret');
  }
  return { issuer, url: `${issuer.replace(/\/+$/, '')}/.well-known/oauth-authorization-server` };
}

function keySource(options, algorithms, issuers) {
  const given = ['jwks', 'jwksUri', 'secret'].filter((name) => options[name] !== undefined);
  if (given.length === 0) return { kind: 'jwksUri', discover: discovery(issuers) };
  if (given.length !== 1) {
    throw fail(`at most one key source: jwks, jwksUri or secret (got ${given.join(', ')}); with none, the issuer's metadata names its jwks_uri`);
  }
  const [kind] = given;
  if (kind === 'jwks') {
    const { jwks } = options;
    if (jwks === null || typeof jwks !== 'object' || Array.isArray(jwks)) {
      throw fail('jwks must be a JWKS object ({ keys: [...] }) or a single JWK object');
    }
    // A JWKS has `keys`; an object with `kty` is one JWK.
    if (Array.isArray(jwks.keys)) return { kind, jwksJson: JSON.stringify(jwks) };
    if (typeof jwks.kty === 'string') return { kind, jwkJson: JSON.stringify(jwks) };
    throw fail('jwks must be a JWKS object ({ keys: [...] }) or a single JWK object');
  }
  if (kind === 'jwksUri') return { kind, url: httpUrl('jwksUri', options.jwksUri) };

  const { secret } = options;
  let bytes;
  if (typeof secret === 'string' && secret !== '') bytes = new TextEncoder().encode(secret);
  else if (secret instanceof Uint8Array && secret.byteLength > 0) bytes = new Uint8Array(secret);
  else throw fail('secret must be a non-empty string or Uint8Array');
  // The key fixes its algorithm: a secret is for one HMAC algorithm.
  const hmac = algorithms ?? ['HS256'];
  if (hmac.length !== 1 || !HMAC_ALGORITHMS.includes(hmac[0])) {
    throw fail(`a secret is a key for one HMAC algorithm: set algorithms to one of ${HMAC_ALGORITHMS.join(', ')}`);
  }
  return { kind, secret: bytes, alg: hmac[0] };
}

/** `cache`: true (default size), false (off), or `{ max }`; returns the size, 0 for off. */
function cacheSize(cache) {
  if (cache === undefined || cache === true) return DEFAULTS.cacheMax;
  if (cache === false) return 0;
  if (cache === null || typeof cache !== 'object' || Array.isArray(cache)) {
    throw fail('cache must be true, false or { max }');
  }
  for (const name of Object.keys(cache)) {
    if (name !== 'max') throw fail(`cache: unknown option "${name}"`);
  }
  return integer('cache.max', cache.max, DEFAULTS.cacheMax, 1, 'entries', CACHE_MAX_LIMIT);
}

/** The feed credential: `feedKey`, or its older name `serviceKey` (both only if equal). */
function feedCredential(options) {
  const { feedKey, serviceKey } = options;
  for (const [name, value] of [['feedKey', feedKey], ['serviceKey', serviceKey]]) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw fail(`${name} must be a non-empty string`);
  }
  if (feedKey !== undefined && serviceKey !== undefined && feedKey !== serviceKey) {
    throw fail('feedKey and serviceKey (its older name) are both set and differ: pass feedKey only');
  }
  return feedKey ?? serviceKey;
}

/**
 * The revocation feed settings, or null without a feed. With discovery, the feed is used when
 * a feed key is given; its URL comes from `revocationUri` or else the metadata (`url` null
 * until then).
 */
function feedSettings(options, discovering) {
  const key = feedCredential(options);
  const explicit = options.revocationUri !== undefined;
  if (explicit && key === undefined) {
    throw fail('feedKey (the bearer credential for the revocation feed) is required with revocationUri');
  }
  if (key === undefined) {
    for (const name of ['revocationIntervalMs', 'maxRevocationStalenessMs']) {
      if (options[name] !== undefined) throw fail(`${name} needs the revocation feed: pass feedKey (and revocationUri, unless discovered)`);
    }
    return null;
  }
  if (!explicit && !discovering) throw fail('feedKey needs revocationUri (or discovery: no jwks, jwksUri or secret)');
  const intervalMs = millis('revocationIntervalMs', options.revocationIntervalMs, DEFAULTS.revocationIntervalMs, 50);
  let maxStalenessMs = null;
  if (options.maxRevocationStalenessMs !== undefined) {
    maxStalenessMs = millis('maxRevocationStalenessMs', options.maxRevocationStalenessMs, undefined, 1);
    // One interval is the normal age of the snapshot just before a poll: refusing at that age
    // would refuse tokens on a healthy feed.
    if (maxStalenessMs <= intervalMs) {
      throw fail('maxRevocationStalenessMs must be larger than revocationIntervalMs (a few intervals plus fetchTimeoutMs is typical)');
    }
  }
  return {
    url: explicit ? httpUrl('revocationUri', options.revocationUri) : null,
    feedKey: key,
    intervalMs,
    maxStalenessMs,
  };
}

/**
 * Checks `options` and splits them into the core's policy (JSON text), the key source,
 * the revocation feed settings and the remote-source settings.
 */
export function normalizeOptions(options) {
  if (options === null || typeof options !== 'object') throw fail('options object is required');
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw fail(`unknown option "${name}"`);
  }

  const algorithms = stringList('algorithms', options.algorithms);
  if (algorithms !== undefined) {
    if (algorithms.length === 0) throw fail('algorithms must not be empty');
    const unknown = algorithms.find((alg) => !ALGORITHMS.has(alg));
    if (unknown !== undefined) throw fail(`algorithms: unsupported algorithm "${unknown}" (supported: ${[...ALGORITHMS].join(', ')})`);
  }
  if (options.typ !== undefined && (typeof options.typ !== 'string' || options.typ === '')) {
    throw fail('typ must be a non-empty string');
  }
  // Field names are the core's Policy (camelCase); undefined fields are left out.
  const policy = {
    issuer: oneOrMany('issuer', options.issuer),
    audience: oneOrMany('audience', options.audience),
    algorithms,
    clockTolerance: seconds('clockTolerance', options.clockTolerance),
    maxTokenAge: seconds('maxTokenAge', options.maxTokenAge),
    requiredClaims: stringList('requiredClaims', options.requiredClaims),
    typ: options.typ,
  };

  const keys = keySource(options, algorithms, policy.issuer);
  const revocations = feedSettings(options, keys.discover !== undefined);

  for (const name of ['fetch', 'onError', 'clock']) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw fail(`${name} must be a function`);
  }
  // Called through a wrapper: some runtimes reject a detached `fetch` ("Illegal invocation").
  const fetchImpl = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  if ((keys.kind === 'jwksUri' || revocations) && !options.fetch && typeof globalThis.fetch !== 'function') {
    throw fail('no fetch available: pass options.fetch');
  }

  if (options.hostCrypto !== undefined && typeof options.hostCrypto !== 'boolean') {
    throw fail('hostCrypto must be a boolean');
  }

  return {
    policyJson: JSON.stringify(policy),
    cacheMax: cacheSize(options.cache),
    hostCrypto: options.hostCrypto ?? true,
    explicitAlgorithms: algorithms !== undefined,
    keys,
    revocations,
    remote: {
      fetch: fetchImpl,
      timeoutMs: millis('fetchTimeoutMs', options.fetchTimeoutMs, DEFAULTS.fetchTimeoutMs, 1),
      maxBytes: integer('maxResponseBytes', options.maxResponseBytes, DEFAULTS.maxResponseBytes, 1, 'bytes'),
      cooldownMs: millis('jwksCooldownMs', options.jwksCooldownMs, DEFAULTS.jwksCooldownMs, DEFAULTS.jwksCooldownMinMs),
      maxAgeMs: millis('jwksMaxAgeMs', options.jwksMaxAgeMs, DEFAULTS.jwksMaxAgeMs, 0),
    },
    onError: options.onError ?? null,
    clock: options.clock ?? Date.now,
  };
}
