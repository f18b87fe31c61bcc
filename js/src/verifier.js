// createVerifier(): the wasm verifier (revocable-core) plus the parts that need IO and
// timers, which the core deliberately has none of: issuer discovery, remote JWKS, the
// revocation feed poller, the feed's staleness limit, status and error reporting. Every
// verification decision about a token stays in the core.

import { unverifiedKid } from './decode.js';
import { JwtError, RemoteSourceError, toJwtError } from './errors.js';
import { createHostCrypto } from './host-crypto.js';
import { normalizeOptions } from './options.js';
import { fetchText } from './remote.js';

/**
 * The adapters (src/http-auth.js) call `verifier[KEY_REFETCH](err, token)` after a failed
 * verify(): a promise of the JWKS refetch that may make the token verify, or null. It is the
 * very test verifyAsync() applies. A registered symbol, so that the ESM and CommonJS copies
 * of the package, and the adapters, agree on it.
 */
const KEY_REFETCH = Symbol.for('revocable.verifier.keyRefetch');

// The core's limit (revocable_core::MAX_TOKEN_BYTES). A string of more UTF-16 units than this
// has at least as many UTF-8 bytes, so it is over the limit too.
const MAX_TOKEN_BYTES = 16 * 1024;
// verifyCached(): "verified, not cached" (no randomness for the cache's hash key).
const UNCACHED = 0xffff_ffff;
// Writes tokens into the wasm verifier's input buffer (#writeToken).
const encoder = new TextEncoder();
const NO_VIEW = new Uint8Array(0);

function tooLarge() {
  return new JwtError('invalid jwt: token is larger than 16 KiB', { code: 'ERR_JWT_INVALID' });
}

function newSourceState(now) {
  return { updatedAt: now, lastAttemptAt: now, failures: 0, lastError: null };
}

function sourceStatus(state) {
  return {
    updatedAt: state.updatedAt,
    lastAttemptAt: state.lastAttemptAt,
    stale: state.failures > 0,
    failures: state.failures,
    lastError: state.lastError && { ...state.lastError },
  };
}

/** A verifier created by createVerifier(); see types/index.d.ts for the public contract. */
class RevocableVerifier {
  #inner;
  #clock;
  #onError;
  #closed = false;
  // Aborts in-flight fetches on close().
  #abort = new AbortController();
  #remote;
  // { kind, state, kids, algorithms, url?, inflight? }
  #keys;
  // null | { url, feedKey, intervalMs, maxStalenessMs, etag, timer, inflight, entries, state }
  #revocations = null;
  // Whether options.algorithms fixed the allow-list (else it follows the keys).
  #explicitAlgorithms;
  // The runtime's node:crypto for host crypto, or null (browsers, hostCrypto: false).
  #crypto;
  // The wasm build (bindRuntime): its class, and whether it has no EC or RSA arithmetic
  // (keysNeedHost, Node's node-host build): then the runtime's crypto must take every EC and RSA
  // key, and a fetched key set is checked before it replaces the current one.
  #runtime;
  // Verified-token cache: the payload JSON text of each slot of the wasm cache, or null
  // when the cache is off. The wasm side holds the keyed hashes and claims (cache.rs).
  #cacheTexts = null;
  #cacheMax = 0;
  // The wasm module's memory, and a view of the wasm verifier's token buffer in it (empty
  // until first use; a view's length drops to 0 when the memory grows: then made again).
  #memory;
  #input = NO_VIEW;

  /** @internal Use createVerifier(). `host`: the host crypto for inner's keys, or null. */
  constructor(inner, opts, now, crypto, runtime, host) {
    this.#inner = inner;
    this.#memory = runtime.WasmVerifier.memory();
    this.#runtime = runtime;
    this.#clock = opts.clock;
    this.#onError = opts.onError;
    this.#remote = opts.remote;
    this.#explicitAlgorithms = opts.explicitAlgorithms;
    this.#crypto = opts.hostCrypto ? crypto ?? null : null;
    this.#keys = { kind: opts.keys.kind, url: opts.keys.url, inflight: null, state: newSourceState(now) };
    this.#cacheMax = opts.cacheMax;
    if (opts.cacheMax > 0) {
      inner.setCache(opts.cacheMax);
      this.#cacheTexts = [];
    }
    this.#readKeys(host);
  }

  /**
   * @internal Discovers the issuer's URLs (without a key source), loads the key source and the
   * first revocation snapshot; rejects on failure. `fetchInit`: the runtime's extra fetch
   * options (the browser entry sends no cookies and no referrer).
   */
  static async create(runtime, options, crypto, fetchInit) {
    const { WasmVerifier, keysNeedHost } = runtime;
    const opts = normalizeOptions(options);
    if (fetchInit) opts.remote.init = fetchInit;
    if (opts.keys.discover) await discover(opts);
    const started = Date.now();
    const hostCrypto = opts.hostCrypto ? crypto : null;
    // The wasm verifier from `construct()` over the key set `json` (its kind: `source`, see the
    // wasm's hostJwksOf), and host crypto for its keys. Where the wasm has no EC or RSA arithmetic
    // (the node-host build), a key the runtime's crypto refuses fails the key set
    // (requiredHost). The portable build fails such a key while it parses the set, before it
    // checks the policy against the keys: so when building fails for a reason other than a key,
    // the key set alone is checked first, and a refused key is the error reported.
    const build = (source, json, construct) => {
      let built;
      try {
        built = construct();
      } catch (err) {
        if (keysNeedHost && !KEY_CONTENT_ERRORS.has(err?.code)) requiredHost(hostCrypto, WasmVerifier.hostJwksOf(source, json));
        throw err;
      }
      if (!keysNeedHost) return [built, optionalHost(hostCrypto, built)];
      try {
        return [built, requiredHost(hostCrypto, built.hostJwks())];
      } catch (err) {
        built.free();
        throw err;
      }
    };
    let inner;
    let host = null;
    try {
      const keys = opts.keys;
      if (keys.kind === 'secret') {
        inner = WasmVerifier.fromSecret(keys.secret, keys.alg, undefined, opts.policyJson);
        keys.secret.fill(0);
      } else if (keys.kind === 'jwks') {
        [inner, host] = keys.jwksJson !== undefined
          ? build('jwks', keys.jwksJson, () => WasmVerifier.fromJwks(keys.jwksJson, opts.policyJson))
          : build('jwk', keys.jwkJson, () => WasmVerifier.fromJwk(keys.jwkJson, opts.policyJson));
      } else {
        const { text } = await fetchText({ ...opts.remote, url: keys.url, source: 'jwks' });
        try {
          // Secret (oct) keys in a fetched JWKS are skipped: a published secret is none.
          [inner, host] = build('publicJwks', text, () => WasmVerifier.fromPublicJwks(text, opts.policyJson));
        } catch (err) {
          // The issuer's key set is unusable; configuration errors pass through.
          if (KEY_CONTENT_ERRORS.has(err?.code)) throw remoteInvalid('jwks', err);
          throw err;
        }
      }
    } catch (err) {
      throw configurationError(toJwtError(err));
    }
    const verifier = new RevocableVerifier(inner, opts, started, crypto, runtime, host);
    if (opts.revocations) {
      try {
        await verifier.#startRevocations(opts.revocations, started);
      } catch (err) {
        verifier.close();
        throw err;
      }
    }
    return verifier;
  }

  /**
   * Verifies `token` synchronously and returns its payload. Throws a JwtError.
   * An unknown `kid` with a remote JWKS fails now and starts a background refetch
   * (respecting the cooldown); verifyAsync() waits for it.
   */
  verify(token) {
    if (this.#closed) throw new Error('revocable: verify() called on a closed verifier');
    if (typeof token !== 'string') {
      throw new JwtError('invalid jwt: token must be a string', { code: 'ERR_JWT_INVALID' });
    }
    // The core rejects more than 16 KiB first thing; rejecting longer strings here too keeps
    // hostile megabytes from being copied into wasm memory, which never shrinks.
    if (token.length > MAX_TOKEN_BYTES) throw tooLarge();
    let payload;
    try {
      const length = this.#writeToken(token);
      payload = this.#cacheTexts ? this.#verifyCached(length, token) : this.#inner.verifyInput(length, this.#clock() / 1000);
    } catch (err) {
      const jwtError = toJwtError(err);
      if (this.#mayBeNewKey(jwtError, token)) this.#refreshKeys();
      throw jwtError;
    }
    if (this.#keys.url !== undefined) this.#refreshKeysIfOld();
    // Checked after the token: a bad token is refused as such, an outage or not.
    const staleMs = this.#staleForMs();
    if (staleMs > 0) {
      throw new JwtError(
        `revocation feed is stale: no successful poll for ${Math.floor(staleMs / 1000)} s (limit ${this.#revocations.maxStalenessMs / 1000} s)`,
        { code: 'ERR_REVOCATION_STALE' },
      );
    }
    // A new object for every call, cached or not: one caller's changes never reach another.
    return JSON.parse(payload);
  }

  /**
   * The payload JSON text of `token` through the verified-token cache. The wasm side hashes
   * the token with its secret key, finds the slot, and on a hit re-runs the time checks and
   * the revocation snapshot (else it verifies fully and fills a slot); this side keeps the
   * payload text of each slot.
   */
  #verifyCached(length, token) {
    const texts = this.#cacheTexts;
    const result = this.#inner.verifyCachedInput(length, this.#clock() / 1000);
    if (result === UNCACHED) return this.#inner.takePayload();
    const slot = result >>> 1;
    if (result & 1) {
      const text = this.#inner.takePayload();
      texts[slot] = text;
      return text;
    }
    const text = texts[slot];
    if (text !== undefined) return text;
    // Unreachable while both sides stay in step; if not, drop the entry and verify again.
    this.#inner.evictCached(slot);
    return this.#inner.verify(token, this.#clock() / 1000);
  }

  /**
   * Writes `token` as UTF-8 into the wasm verifier's token buffer and returns its length in
   * bytes: one native copy (`encodeInto`) instead of a string argument, which the bindings
   * copy character by character into memory they allocate and free per call. A token that
   * does not fit is over the core's 16 KiB limit.
   */
  #writeToken(token) {
    let view = this.#input;
    if (view.byteLength === 0) {
      // inputBuffer() may allocate, and so grow the memory: the address first, then the buffer.
      const address = this.#inner.inputBuffer();
      view = this.#input = new Uint8Array(this.#memory.buffer, address, MAX_TOKEN_BYTES);
    }
    const { read, written } = encoder.encodeInto(token, view);
    if (read !== token.length) throw tooLarge();
    return written;
  }

  /**
   * Like verify(), but when the token names a key the verifier does not have and a JWKS
   * refetch is running (or may start: cooldown), waits for it and tries once more.
   */
  async verifyAsync(token) {
    try {
      return this.verify(token);
    } catch (err) {
      const refetch = this[KEY_REFETCH](err, token);
      if (!refetch || !(await refetch) || this.#closed) throw err;
      return this.verify(token);
    }
  }

  /**
   * @internal After verify(token) threw `err`: the running JWKS refetch (resolving true when
   * the keys changed) when it may make the token verify, else null.
   */
  [KEY_REFETCH](err, token) {
    if (!this.#keys.inflight || !this.#mayBeNewKey(err, token)) return null;
    return this.#keys.inflight;
  }

  /**
   * How long the snapshot has been older than maxRevocationStalenessMs (ms, 0 or less: not
   * too old). Measured from the last successful poll, on the wall clock (Date.now).
   */
  #staleForMs() {
    const rev = this.#revocations;
    if (!rev || rev.maxStalenessMs === null) return 0;
    const age = Date.now() - rev.state.updatedAt;
    return age > rev.maxStalenessMs ? age : 0;
  }

  /**
   * Polls the revocation feed now unless a poll started less than `revocationIntervalMs` ago
   * (then resolves at once) or one is running (then shares it). Never rejects: a failed poll
   * is reported like any other and the last snapshot stays. For runtimes whose timers only run
   * while a request is in flight (Cloudflare Workers): `await` it before verify() to bound the
   * snapshot's age by the interval plus one poll, or pass it to `ctx.waitUntil()` to keep
   * polling off the request's path. A no-op without `revocationUri` or after close().
   */
  refreshRevocations() {
    const rev = this.#revocations;
    if (!rev || this.#closed) return Promise.resolve();
    if (rev.inflight) return rev.inflight;
    if (Date.now() - rev.state.lastAttemptAt < rev.intervalMs) return Promise.resolve();
    return this.#pollShared();
  }

  /** Stops every timer and in-flight fetch and frees the wasm verifier. Idempotent. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    if (this.#revocations) clearTimeout(this.#revocations.timer);
    this.#inner.free();
  }

  /** A snapshot of the key source and the revocation feed: freshness and last errors. */
  status() {
    const keys = this.#keys;
    const rev = this.#revocations;
    return {
      closed: this.#closed,
      keys: {
        source: keys.kind,
        url: keys.url ?? null,
        count: keys.kids.length,
        kids: [...keys.kids],
        algorithms: [...keys.algorithms],
        ...sourceStatus(keys.state),
      },
      revocations: rev && {
        entries: rev.entries,
        intervalMs: rev.intervalMs,
        url: rev.url,
        ...sourceStatus(rev.state),
        maxStalenessMs: rev.maxStalenessMs,
        // verify() refuses every token with ERR_REVOCATION_STALE while this is true.
        refusing: this.#staleForMs() > 0,
      },
      cache: this.#cacheTexts && !this.#closed ? { entries: this.#inner.cacheSize(), max: this.#cacheMax } : null,
      hostCrypto: this.#crypto !== null,
    };
  }

  /**
   * Whether a refetch of the remote JWKS could make this failed token verify: its kid is
   * unknown (ERR_JWKS_NO_MATCHING_KEY), or, when the allow-list defaults to the algorithms of
   * the current keys, it names an unknown kid with an algorithm none of them has yet
   * (ERR_JOSE_ALG_NOT_ALLOWED, e.g. an issuer rotating from RS256 to EdDSA).
   */
  #mayBeNewKey(err, token) {
    if (this.#keys.url === undefined) return false;
    if (err?.code === 'ERR_JWKS_NO_MATCHING_KEY') return true;
    if (err?.code !== 'ERR_JOSE_ALG_NOT_ALLOWED' || this.#explicitAlgorithms) return false;
    const kid = unverifiedKid(token);
    return kid !== undefined && !this.#keys.kids.includes(kid);
  }

  /** Reads the key set's kids and algorithms, and installs `host` (host crypto for its keys). */
  #readKeys(host) {
    this.#keys.kids = this.#inner.keyIds().map((kid) => kid ?? null);
    this.#keys.algorithms = this.#inner.keyAlgorithms();
    if (host) this.#inner.setHost(host);
  }

  #refreshKeysIfOld() {
    const now = Date.now();
    if (now - this.#keys.state.updatedAt > this.#remote.maxAgeMs) this.#refreshKeys(now);
  }

  /** Starts a JWKS refetch unless one runs or the cooldown has not passed. */
  #refreshKeys(now = Date.now()) {
    const keys = this.#keys;
    if (keys.url === undefined || this.#closed) return null;
    if (keys.inflight) return keys.inflight;
    if (now - keys.state.lastAttemptAt < this.#remote.cooldownMs) return null;
    keys.inflight = this.#loadKeys(now).finally(() => {
      keys.inflight = null;
    });
    return keys.inflight;
  }

  /** Fetches the JWKS and swaps it in. Resolves true when the keys were replaced; never rejects. */
  async #loadKeys(now) {
    const state = this.#keys.state;
    state.lastAttemptAt = now;
    try {
      const { text } = await fetchText({ ...this.#remote, url: this.#keys.url, source: 'jwks', signal: this.#abort.signal });
      if (this.#closed) return false;
      let host;
      try {
        // The node-host wasm: a set with a key the runtime's crypto refuses never replaces the
        // current one (the same parse as setJwks, so the same keys in the same order).
        if (this.#runtime.keysNeedHost) host = requiredHost(this.#crypto, this.#runtime.WasmVerifier.hostJwksOf('publicJwks', text));
        this.#inner.setJwks(text);
      } catch (err) {
        throw remoteInvalid('jwks', err);
      }
      // The wasm side emptied its cache (verdicts of the old keys) and dropped the host.
      if (this.#cacheTexts) this.#cacheTexts = [];
      this.#readKeys(this.#runtime.keysNeedHost ? host : optionalHost(this.#crypto, this.#inner));
      this.#succeeded(state);
      return true;
    } catch (err) {
      // close() aborts a fetch in flight: that is no failure of the source.
      if (!this.#closed) this.#sourceFailed(state, err);
      return false;
    }
  }

  async #startRevocations(settings, now) {
    this.#revocations = { ...settings, etag: null, timer: undefined, inflight: null, entries: 0, state: newSourceState(now) };
    const ok = await this.#pollRevocations(true);
    if (ok) this.#scheduleRevocations();
  }

  #scheduleRevocations() {
    const rev = this.#revocations;
    if (this.#closed) return;
    // A chain of timeouts, not an interval: polls never overlap, and a slow issuer slows us.
    rev.timer = setTimeout(async () => {
      await this.#pollShared();
      this.#scheduleRevocations();
    }, rev.intervalMs);
    // Polling must never keep a Node process alive (close() is not required to exit).
    rev.timer.unref?.();
  }

  /** A background poll shared by the timer and refreshRevocations(): never two at once. */
  #pollShared() {
    const rev = this.#revocations;
    rev.inflight ??= this.#pollRevocations(false).then(() => {
      rev.inflight = null;
    });
    return rev.inflight;
  }

  /** One feed poll (ETag / 304 aware). `first`: reject on failure instead of reporting. */
  async #pollRevocations(first) {
    const rev = this.#revocations;
    rev.state.lastAttemptAt = Date.now();
    try {
      const headers = { authorization: `Bearer ${rev.feedKey}` };
      if (rev.etag) headers['if-none-match'] = rev.etag;
      const response = await fetchText({ ...this.#remote, url: rev.url, source: 'revocations', headers, signal: this.#abort.signal });
      if (this.#closed) return false;
      if (response.status !== 304) {
        try {
          rev.entries = this.#inner.setRevocations(response.text, this.#clock() / 1000);
        } catch (err) {
          throw remoteInvalid('revocations', err);
        }
        rev.etag = response.headers.get('etag');
      }
      this.#succeeded(rev.state);
      return true;
    } catch (err) {
      if (first) throw err;
      if (!this.#closed) this.#sourceFailed(rev.state, err);
      return false;
    }
  }

  #succeeded(state) {
    state.updatedAt = Date.now();
    state.failures = 0;
  }

  /** Records and reports a failed refresh; the last good keys / snapshot stay in use. */
  #sourceFailed(state, err) {
    state.failures += 1;
    state.lastError = { code: err.code ?? 'ERR_REMOTE_UNREACHABLE', message: err.message, at: Date.now() };
    if (this.#onError) {
      try {
        this.#onError(err);
      } catch {
        // A throwing hook must not break polling; the failure is still in status().
      }
    } else if (state.failures === 1) {
      // Not hidden: without a hook, the first failure of a streak is logged (no secrets in it).
      console.warn(`revocable: ${err.message}; still serving the last good copy (see verifier.status())`);
    }
  }
}

/**
 * Host crypto (src/host-crypto.js) for the keys of the wasm verifier `inner`, or null: none
 * without `crypto` (browsers, hostCrypto: false). For builds with EC and RSA arithmetic.
 */
function optionalHost(crypto, inner) {
  return crypto ? createHostCrypto(crypto, inner.hostJwks()) : null;
}

/**
 * Host crypto for the keys of `hostJwksJson` (the wasm's `hostJwksOf`) where the wasm has no EC
 * or RSA arithmetic (the node-host build): throws ERR_JWK_INVALID when `crypto` refuses one of
 * those keys (or is missing while there is one), as the portable wasm's own import fails it.
 */
function requiredHost(crypto, hostJwksJson) {
  return createHostCrypto(crypto, hostJwksJson, { keysNeedHost: true });
}

// What a fetched JWKS can be wrong about (as opposed to the options it is combined with).
const KEY_CONTENT_ERRORS = new Set(['ERR_JWK_INVALID', 'ERR_JOSE_NOT_SUPPORTED']);

/**
 * The core's ERR_INVALID_OPTIONS (e.g. `algorithms` sharing none with the keys) is a mistake in
 * the options like every other: a TypeError, keeping the stable code.
 */
function configurationError(err) {
  if (err?.code !== 'ERR_INVALID_OPTIONS') return err;
  const typeError = new TypeError(`createVerifier: ${err.message}`);
  typeError.code = 'ERR_INVALID_OPTIONS';
  return typeError;
}

/**
 * RFC 8414 discovery: reads `${issuer}/.well-known/oauth-authorization-server` (the same
 * fetch rules as the JWKS: no redirects, no credentials, timeout, size cap), checks that it
 * names exactly this issuer, and fills in the JWKS URL and, for a verifier with a feed key
 * and no revocationUri, the feed URL. Options given explicitly were never replaced.
 */
async function discover(opts) {
  const { issuer, url } = opts.keys.discover;
  const invalid = (detail) => new RemoteSourceError(`issuer metadata at ${url} rejected: ${detail}`, { code: 'ERR_REMOTE_INVALID', source: 'metadata' });
  const { text } = await fetchText({ ...opts.remote, url, source: 'metadata' });
  let metadata;
  try {
    metadata = JSON.parse(text);
  } catch {
    throw invalid('not json');
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw invalid('not a json object');
  // RFC 8414 §3.3: the issuer in the document must be identical to the one it was read for.
  if (metadata.issuer !== issuer) throw invalid('its "issuer" is not the configured issuer');
  opts.keys.url = metadataUrl(metadata, 'jwks_uri', invalid);
  if (opts.revocations && opts.revocations.url === null) {
    opts.revocations.url = metadataUrl(metadata, 'revocation_feed_uri', invalid);
  }
}

function metadataUrl(metadata, member, invalid) {
  const value = metadata[member];
  if (typeof value !== 'string') throw invalid(`no "${member}"`);
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
  } catch {
    // reported below
  }
  throw invalid(`"${member}" is not an http(s) URL`);
}

function remoteInvalid(source, err) {
  const cause = toJwtError(err);
  const what = source === 'jwks' ? 'jwks' : 'revocation feed';
  return new RemoteSourceError(`${what} rejected: ${cause?.message ?? 'invalid'}`, {
    code: 'ERR_REMOTE_INVALID',
    source,
    cause,
  });
}

/**
 * Binds the public API to one build of the wasm module (node, web or workerd).
 * `init(source)` makes sure the module is instantiated (a no-op where that is synchronous);
 * `fetchInit` is added to every fetch of the metadata, the JWKS and the feed. `keysNeedHost`:
 * the build has no EC or RSA arithmetic (Node's node-host wasm), so `crypto` must take every
 * such key (src/host-crypto.js).
 */
export function bindRuntime({ Verifier, init, crypto, fetchInit, keysNeedHost = false }) {
  const runtime = { WasmVerifier: Verifier, keysNeedHost };
  let ready;
  function initWasm(source) {
    ready ??= Promise.resolve(init(source)).catch((err) => {
      ready = undefined;
      throw err;
    });
    return ready.then(() => undefined);
  }
  async function createVerifier(options) {
    await initWasm();
    return RevocableVerifier.create(runtime, options, crypto, fetchInit);
  }
  return { createVerifier, initWasm };
}
