// Fetching a remote source (issuer metadata, JWKS, revocation feed) with a timeout, a size cap
// and an abort signal, classifying every failure into a RemoteSourceError. Runs on any fetch:
// Node 20+, browsers, workerd.

import { RemoteSourceError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const WHAT = { jwks: 'jwks', revocations: 'revocation feed', metadata: 'issuer metadata' };

async function readCapped(response, maxBytes, fail) {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw fail('ERR_REMOTE_TOO_LARGE', `response larger than ${maxBytes} bytes`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw fail('ERR_REMOTE_TOO_LARGE', `response larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw fail('ERR_REMOTE_INVALID', 'response is not utf-8 text');
  }
}

/**
 * GETs `url`. Resolves `{ status: 304, headers }` for Not Modified to a request that sent
 * If-None-Match, `{ status, headers, text }` for a 2xx; rejects with a RemoteSourceError for
 * anything else, a 304 to an unconditional request included (never with the response body or
 * the request's credentials in the message).
 *
 * @param {object} options
 * @param {typeof fetch} options.fetch
 * @param {string} options.url
 * @param {'jwks' | 'revocations' | 'metadata'} options.source
 * @param {Record<string, string>} [options.headers] lowercase names
 * @param {RequestInit} [options.init] extra fetch options of the runtime (the browser entry's
 *   `credentials: 'omit'` and `referrerPolicy: 'no-referrer'`)
 * @param {number} options.timeoutMs
 * @param {number} options.maxBytes
 * @param {AbortSignal} [options.signal] aborts the request (the verifier's close()).
 */
export async function fetchText({ fetch: fetchImpl, url, source, headers = {}, init, timeoutMs, maxBytes, signal }) {
  const what = WHAT[source];
  const fail = (code, detail, extra = {}) =>
    new RemoteSourceError(`${what} fetch failed: ${detail}`, { code, source, ...extra });

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  // A pending fetch timeout must never keep a Node process alive on its own.
  timer.unref?.();
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const classify = (err) => {
    if (err instanceof RemoteSourceError) return err;
    if (timedOut) return fail('ERR_REMOTE_TIMEOUT', `no response within ${timeoutMs} ms`);
    if (signal?.aborted) return fail('ERR_REMOTE_UNREACHABLE', 'aborted (verifier closed)');
    return fail('ERR_REMOTE_UNREACHABLE', 'network error', { cause: err });
  };

  try {
    const response = await fetchImpl(url, {
      ...init,
      method: 'GET',
      headers: { accept: 'application/json', ...headers },
      signal: controller.signal,
      // Redirects are not followed: the feed request carries the service key, which a
      // redirect (same-origin in every runtime, cross-origin in some) would hand to another
      // URL, and both documents are served by the issuer at the configured address.
      redirect: 'manual',
    });
    if (response.status === 304) {
      await response.body?.cancel().catch(() => {});
      // Not Modified means "the copy you named is current": without If-None-Match there is no
      // such copy, and an empty answer must not pass for a current one.
      if (headers['if-none-match'] === undefined) {
        throw fail('ERR_REMOTE_STATUS', 'http status 304 to a request without If-None-Match', { status: 304 });
      }
      return { status: 304, headers: response.headers };
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      // `manual`: a 3xx in Node and workerd, an opaque redirect (status 0) in browsers.
      const redirect = response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);
      const detail = `${redirect ? 'redirect not followed, ' : ''}http status ${response.status}`;
      throw fail('ERR_REMOTE_STATUS', detail, { status: response.status });
    }
    const text = await readCapped(response, maxBytes, fail);
    return { status: response.status, headers: response.headers, text };
  } catch (err) {
    throw classify(err);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
