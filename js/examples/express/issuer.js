// A small client of the revocable issuer's HTTP API (README "The issuer HTTP API"). The
// service key is sent only to the service endpoints, never to a browser. Errors carry the
// issuer's status and OAuth error code; nothing here logs or echoes a token.

/** The issuer answered with an error (`status`, OAuth `error` code, `description`). */
export class IssuerError extends Error {
  constructor(status, error, description) {
    super(`issuer answered ${status} ${error}`);
    this.name = 'IssuerError';
    this.status = status;
    this.error = error;
    this.description = description;
  }
}

/** The issuer could not be reached or did not answer in time. */
export class IssuerUnavailableError extends Error {
  constructor(why) {
    super(`issuer unavailable: ${why}`);
    this.name = 'IssuerUnavailableError';
  }
}

/**
 * @param {{ url: string, serviceKey: string, timeoutMs?: number }} options
 */
export function issuerClient({ url, serviceKey, timeoutMs = 5000 }) {
  const base = url.replace(/\/+$/, '');
  const service = { authorization: `Bearer ${serviceKey}` };
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  async function call(method, path, { headers = {}, body } = {}) {
    let response;
    try {
      response = await fetch(base + path, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new IssuerUnavailableError(err?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'network error');
    }
    const text = await response.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      throw new IssuerError(response.status, json?.error ?? 'unknown_error', json?.error_description ?? '');
    }
    return { status: response.status, json };
  }

  return {
    /** POST /v1/sessions: starts a session; 201 with the first token pair and session_id. */
    async createSession({ sub, scope, claims }) {
      const { json } = await call('POST', '/v1/sessions', {
        headers: { ...service, 'content-type': 'application/json' },
        body: JSON.stringify({ sub, scope, claims }),
      });
      return json;
    },
    /** POST /oauth/token (refresh_token grant): a new access token and a NEW refresh token. */
    async refresh(refreshToken) {
      const { json } = await call('POST', '/oauth/token', {
        headers: form,
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
      });
      return json;
    },
    /** POST /oauth/revoke (RFC 7009): a refresh token ends its session. Always 200. */
    async revoke(token) {
      await call('POST', '/oauth/revoke', { headers: form, body: new URLSearchParams({ token }).toString() });
    },
    /** DELETE /v1/sessions/{id}: ends one session; false when the issuer does not know it. */
    async endSession(sessionId) {
      try {
        await call('DELETE', `/v1/sessions/${encodeURIComponent(sessionId)}`, { headers: service });
        return true;
      } catch (err) {
        if (err instanceof IssuerError && err.status === 404) return false;
        throw err;
      }
    },
    /** GET /v1/users/{sub}/sessions: the user's live sessions, `[{id, created, last_used, expires}]` (Unix seconds). */
    async listSessions(sub) {
      const { json } = await call('GET', `/v1/users/${encodeURIComponent(sub)}/sessions`, { headers: service });
      return Array.isArray(json?.sessions) ? json.sessions : [];
    },
    /** POST /v1/users/{sub}/revoke: logout everywhere; `{ not_before, revoked_sessions }`. */
    async logoutEverywhere(sub) {
      const { json } = await call('POST', `/v1/users/${encodeURIComponent(sub)}/revoke`, { headers: service });
      return json;
    },
  };
}
