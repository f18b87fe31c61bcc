//! The HTTP API (DESIGN.md "The issuer worker"): the route table, the checks each endpoint
//! makes in a fixed order (route -> method -> service key -> body size -> content type ->
//! parameters), and the flows that combine the rules, the tokens and the store.

use base64ct::{Base64UrlUnpadded, Encoding};
use revocable_core::{RevocationFeed, MAX_TOKEN_BYTES};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::{
    config::Config,
    http::{self, ApiError, Form, Method, Request, Response, FORM, JSON},
    rules::{self, RefreshDecision, RefreshView, SessionView},
    store::{self, Kv, RefreshRecord, SessionRecord, Store, StoreError},
    tokens::{self, AccessClaims, RandomError, RefreshToken},
};

/// `invalid_grant` description for every refresh token that is not accepted without reuse
/// (unknown, expired, revoked, session over, not a refresh token): one text, so the answer
/// does not tell which.
const INVALID_GRANT: &str = "refresh token is invalid, expired or revoked";
/// `invalid_grant` description for reuse: the legitimate client learns why it is logged out.
const REUSED_GRANT: &str = "refresh token was already used; the session is revoked";

/// `Cache-Control` of the metadata and the JWKS: verifiers refetch the JWKS on an unknown
/// `kid` anyway, so five minutes only delays nothing but a key removal.
const PUBLIC_MAX_AGE: &str = "public, max-age=300";

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            // KV's per-key write limit: transient, a retry a second later succeeds.
            StoreError::RateLimited(_) => ApiError::TemporarilyUnavailable(err.describe()),
            _ => ApiError::Internal(err.describe()),
        }
    }
}

impl From<RandomError> for ApiError {
    fn from(_: RandomError) -> Self {
        ApiError::Internal("random number generator failed")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Metadata,
    Jwks,
    CreateSession,
    EndSession(&'a str),
    Token,
    Revoke,
    UserSessions(&'a str),
    UserRevoke(&'a str),
    Feed,
}

/// The route for a raw path and the methods it allows.
fn route(path: &str) -> Option<(Route<'_>, &'static str)> {
    let fixed = match path {
        "/.well-known/oauth-authorization-server" => Some((Route::Metadata, "GET")),
        "/.well-known/jwks.json" => Some((Route::Jwks, "GET")),
        "/v1/sessions" => Some((Route::CreateSession, "POST")),
        "/oauth/token" => Some((Route::Token, "POST")),
        "/oauth/revoke" => Some((Route::Revoke, "POST")),
        "/v1/revocations" => Some((Route::Feed, "GET")),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let one_segment = |s: &str| !s.contains('/');
    if let Some(id) = path
        .strip_prefix("/v1/sessions/")
        .filter(|s| one_segment(s))
    {
        return Some((Route::EndSession(id), "DELETE"));
    }
    let user = path.strip_prefix("/v1/users/")?;
    if let Some(sub) = user.strip_suffix("/sessions").filter(|s| one_segment(s)) {
        return Some((Route::UserSessions(sub), "GET"));
    }
    if let Some(sub) = user.strip_suffix("/revoke").filter(|s| one_segment(s)) {
        return Some((Route::UserRevoke(sub), "POST"));
    }
    None
}

/// Handles one request at `now_ms`. Never panics on input; every failure is an
/// [`ApiError`] response (500s carry what to log in [`Response::log`]).
pub async fn handle<K: Kv>(
    config: &Config,
    store: &Store<K>,
    request: &Request,
    now_ms: i64,
) -> Response {
    match dispatch(config, store, request, now_ms).await {
        Ok(response) => response,
        Err(err) => err.to_response(),
    }
}

async fn dispatch<K: Kv>(
    config: &Config,
    store: &Store<K>,
    request: &Request,
    now_ms: i64,
) -> Result<Response, ApiError> {
    let (route, allow) = route(&request.path).ok_or(ApiError::NotFound("no such endpoint"))?;
    let allowed = match allow {
        "GET" => request.method == Method::Get,
        "POST" => request.method == Method::Post,
        "DELETE" => request.method == Method::Delete,
        _ => false,
    };
    if !allowed {
        return Err(ApiError::MethodNotAllowed(allow));
    }
    let now = rules::secs(now_ms);
    match route {
        Route::Metadata => Ok(metadata(config)),
        Route::Jwks => Ok(Response::json(200, &config.keys.public_jwks())
            .with_header("cache-control", PUBLIC_MAX_AGE)
            .with_header("access-control-allow-origin", "*")),
        Route::Token => refresh(config, store, request, now_ms).await,
        Route::Revoke => revoke(config, store, request, now).await,
        // Everything below needs the service key.
        service_route => {
            if !config.service_key.verify(http::bearer(request)) {
                return Err(ApiError::Unauthorized);
            }
            match service_route {
                Route::CreateSession => create_session(config, store, request, now_ms).await,
                Route::EndSession(id) => end_session(config, store, id, now).await,
                Route::UserSessions(raw) => {
                    let sub = path_subject(raw)?;
                    let sessions = store.list_sessions(&sub, now).await?;
                    Ok(Response::json(200, &json!({ "sessions": sessions })))
                }
                Route::UserRevoke(raw) => {
                    let sub = path_subject(raw)?;
                    let count = store
                        .logout_everywhere(&sub, now_ms, &config.lifetimes)
                        .await?;
                    Ok(Response::json(
                        200,
                        &json!({ "not_before": now, "revoked_sessions": count }),
                    ))
                }
                Route::Feed => feed(store, request, now).await,
                Route::Metadata | Route::Jwks | Route::Token | Route::Revoke => {
                    Err(ApiError::Internal("route table inconsistent"))
                }
            }
        }
    }
}

/// RFC 8414 metadata. Endpoint URLs derive from `ISSUER`, never from the request's Host.
fn metadata(config: &Config) -> Response {
    let base = config.base_url();
    let body = json!({
        "issuer": config.issuer,
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "grant_types_supported": ["refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        // Required by RFC 8414; this issuer has no authorization endpoint.
        "response_types_supported": [],
        "revocation_feed_uri": format!("{base}/v1/revocations"),
    });
    Response::json(200, &body)
        .with_header("cache-control", PUBLIC_MAX_AGE)
        .with_header("access-control-allow-origin", "*")
}

/// A `{sub}` path segment: percent-decoded (so `%2F` can carry a slash), then validated.
fn path_subject(raw: &str) -> Result<String, ApiError> {
    let sub = http::percent_decode(raw.as_bytes(), false).ok_or_else(|| {
        ApiError::InvalidRequest("sub in the path is not valid percent-encoded UTF-8".into())
    })?;
    rules::validate_subject(&sub)?;
    Ok(sub)
}

/// A token response (`Cache-Control: no-store` and `Pragma: no-cache`, RFC 6749 §5.1).
fn token_response(status: u16, body: &Value) -> Response {
    Response::json(status, body).with_header("pragma", "no-cache")
}

fn sign(config: &Config, claims: &AccessClaims<'_>) -> Result<String, ApiError> {
    tokens::sign_access_token(&config.keys, claims)
        .map_err(|_| ApiError::Internal("signing failed"))
}

/// `POST /v1/sessions`: `{sub, scope?, claims?}` -> 201 with the first token pair.
async fn create_session<K: Kv>(
    config: &Config,
    store: &Store<K>,
    request: &Request,
    now_ms: i64,
) -> Result<Response, ApiError> {
    let body = request.body_bytes()?;
    http::require_content_type(request, JSON)?;
    let body = http::parse_session_body(body)?;
    rules::validate_subject(&body.sub)?;
    let scope = match body.scope.as_deref() {
        Some(scope) => Some(rules::parse_scope(scope)?.join(" ")),
        None => None,
    };
    rules::validate_extra_claims(&body.claims)?;

    let now = rules::secs(now_ms);
    let times = rules::start_session(now_ms, &config.lifetimes);
    let sid = tokens::random_id()?;
    let jti = tokens::random_id()?;
    let refresh = RefreshToken::generate()?;
    let user = store::subject_key(&body.sub);
    // Sign before writing: a signing failure leaves nothing behind.
    let access_token = sign(
        config,
        &AccessClaims {
            issuer: &config.issuer,
            audience: &config.audience,
            sub: &body.sub,
            sid: &sid,
            jti: &jti,
            iat: times.access_iat,
            exp: times.access_exp,
            scope: scope.as_deref(),
            extra: &body.claims,
        },
    )?;
    let session = SessionRecord {
        sub: body.sub,
        scope: scope.clone(),
        claims: body.claims,
        created_ms: times.created_ms,
        expires: times.expires,
        gen: 0,
        current: refresh.hash().to_owned(),
        last_used_ms: now_ms,
    };
    let record = RefreshRecord {
        sid: sid.clone(),
        user,
        gen: 0,
        exp: times.refresh_exp,
        session_expires: times.expires,
    };
    store
        .create_session(&sid, &session, refresh.hash(), &record, now)
        .await?;

    let mut out = Map::new();
    out.insert("access_token".into(), access_token.into());
    out.insert("token_type".into(), "Bearer".into());
    out.insert("expires_in".into(), (times.access_exp - now).into());
    out.insert("refresh_token".into(), refresh.secret().into());
    out.insert(
        "refresh_token_expires_in".into(),
        (times.refresh_exp - now).into(),
    );
    out.insert("session_id".into(), sid.into());
    if let Some(scope) = scope {
        out.insert("scope".into(), scope.into());
    }
    Ok(token_response(201, &Value::Object(out)))
}

/// `POST /oauth/token` with `grant_type=refresh_token`: rotation with reuse detection.
async fn refresh<K: Kv>(
    config: &Config,
    store: &Store<K>,
    request: &Request,
    now_ms: i64,
) -> Result<Response, ApiError> {
    let body = request.body_bytes()?;
    http::require_content_type(request, FORM)?;
    let form = Form::parse(body)?;
    if form.require("grant_type")? != "refresh_token" {
        return Err(ApiError::UnsupportedGrantType);
    }
    let presented = form.require("refresh_token")?;
    let requested_scope = form.get("scope");
    // `client_id` is accepted and ignored: public clients, no client registry (DESIGN.md).

    // Not the shape of our refresh tokens (every JWT included): no KV read, same answer as
    // an unknown token.
    if !tokens::looks_like_refresh_token(presented) {
        return Err(ApiError::InvalidGrant(INVALID_GRANT));
    }
    if let Some(scope) = requested_scope {
        rules::parse_scope(scope).map_err(|e| ApiError::InvalidScope(e.0))?;
    }
    let hash = tokens::hash_refresh_token(presented);
    let Some(token) = store.refresh_token(&hash).await? else {
        return Err(ApiError::InvalidGrant(INVALID_GRANT));
    };
    let state = store.session_state(&token.user, &token.sid).await?;
    let view = state.session.as_ref().map(|s| SessionView {
        created_ms: s.created_ms,
        expires: s.expires,
        gen: s.gen,
        current: &s.current,
    });
    let decision = rules::decide_refresh(
        now_ms,
        &hash,
        RefreshView {
            gen: token.gen,
            exp: token.exp,
        },
        view,
        state.revocations,
        &config.lifetimes,
    );
    let now = rules::secs(now_ms);
    let rotation = match decision {
        RefreshDecision::Rotate(rotation) => rotation,
        RefreshDecision::Reuse => {
            store
                .revoke_session(
                    &token.user,
                    &token.sid,
                    token.session_expires,
                    now,
                    &config.lifetimes,
                )
                .await?;
            return Err(ApiError::InvalidGrant(REUSED_GRANT));
        }
        RefreshDecision::Reject(_) => return Err(ApiError::InvalidGrant(INVALID_GRANT)),
    };
    let Some(mut session) = state.session else {
        return Err(ApiError::Internal("rotation without a session"));
    };
    let scope = rules::narrow_scope(session.scope.as_deref(), requested_scope)
        .map_err(|e| ApiError::InvalidScope(e.0))?;

    let jti = tokens::random_id()?;
    let next = RefreshToken::generate()?;
    let access_token = sign(
        config,
        &AccessClaims {
            issuer: &config.issuer,
            audience: &config.audience,
            sub: &session.sub,
            sid: &token.sid,
            jti: &jti,
            iat: rotation.access_iat,
            exp: rotation.access_exp,
            scope: scope.as_deref(),
            extra: &session.claims,
        },
    )?;
    session.gen = rotation.gen;
    session.current = next.hash().to_owned();
    session.last_used_ms = now_ms;
    let record = RefreshRecord {
        sid: token.sid.clone(),
        user: token.user.clone(),
        gen: rotation.gen,
        exp: rotation.refresh_exp,
        session_expires: session.expires,
    };
    store
        .rotate(&token.sid, &session, next.hash(), &record, now)
        .await?;

    let mut out = Map::new();
    out.insert("access_token".into(), access_token.into());
    out.insert("token_type".into(), "Bearer".into());
    out.insert("expires_in".into(), (rotation.access_exp - now).into());
    out.insert("refresh_token".into(), next.secret().into());
    out.insert(
        "refresh_token_expires_in".into(),
        (rotation.refresh_exp - now).into(),
    );
    if let Some(scope) = scope {
        out.insert("scope".into(), scope.into());
    }
    Ok(token_response(200, &Value::Object(out)))
}

/// `POST /oauth/revoke` (RFC 7009): 200 whatever the token, once it is well-formed as a
/// request. A refresh token ends its session; an access token of this issuer that still
/// verifies is revoked by `jti` until its `exp` (up to a bound per session, past which its
/// session ends: [`rules::MAX_REVOKED_ACCESS_TOKENS_PER_SESSION`]). `token_type_hint` is not
/// needed: the two token shapes cannot be confused.
async fn revoke<K: Kv>(
    config: &Config,
    store: &Store<K>,
    request: &Request,
    now: i64,
) -> Result<Response, ApiError> {
    let body = request.body_bytes()?;
    http::require_content_type(request, FORM)?;
    let form = Form::parse(body)?;
    let token = form.require("token")?;
    if tokens::looks_like_refresh_token(token) {
        if let Some(record) = store
            .refresh_token(&tokens::hash_refresh_token(token))
            .await?
        {
            store
                .revoke_session(
                    &record.user,
                    &record.sid,
                    record.session_expires,
                    now,
                    &config.lifetimes,
                )
                .await?;
        }
    } else if token.len() <= MAX_TOKEN_BYTES {
        // Only tokens this issuer signed and that are still valid get a feed entry: anyone
        // may call this endpoint, and the feed must not fill with junk. Every access token
        // of this issuer carries its session's `sid`, which bounds the entries per session
        // (rules::MAX_REVOKED_ACCESS_TOKENS_PER_SESSION).
        if let Ok(verified) = config.verifier.verify(token, now) {
            let claims = &verified.claims;
            if let (Some(jti), Some(exp), Some(sid)) =
                (claims.jti.as_deref(), claims.exp, claims.sid.as_deref())
            {
                if !jti.is_empty() && jti.len() <= 128 && tokens::looks_like_id(sid) {
                    store
                        .revoke_access_token(sid, jti, exp, now, &config.lifetimes)
                        .await?;
                }
            }
        }
    }
    Ok(Response::empty(200))
}

/// `DELETE /v1/sessions/{id}`: 204, or 404 for a session this issuer does not know.
async fn end_session<K: Kv>(
    config: &Config,
    store: &Store<K>,
    sid: &str,
    now: i64,
) -> Result<Response, ApiError> {
    const UNKNOWN: ApiError = ApiError::NotFound("no such session");
    if !tokens::looks_like_id(sid) {
        return Err(UNKNOWN);
    }
    let owner = store.session_owner(sid).await?.ok_or(UNKNOWN)?;
    store
        .revoke_session(
            &owner.user,
            sid,
            owner.session_expires,
            now,
            &config.lifetimes,
        )
        .await?;
    Ok(Response::empty(204))
}

/// `GET /v1/revocations`: the feed, with a weak ETag over its entries (not over
/// `generated_at`, which changes every second) and 304 on `If-None-Match`.
async fn feed<K: Kv>(store: &Store<K>, request: &Request, now: i64) -> Result<Response, ApiError> {
    let feed = store.feed(now).await?;
    let etag = feed_etag(&feed);
    let cache = "private, no-cache";
    if http::if_none_match(request.header("if-none-match"), &etag) {
        return Ok(Response::empty(304)
            .with_header("etag", etag)
            .with_header("cache-control", cache));
    }
    let body =
        serde_json::to_value(&feed).map_err(|_| ApiError::Internal("feed serialization failed"))?;
    Ok(Response::json(200, &body)
        .with_header("etag", etag)
        .with_header("cache-control", cache))
}

/// `W/"<base64url of the first 16 bytes of SHA-256 over the entries>"`. The entries are
/// sorted by [`rules::assemble_feed`], so equal content gives an equal tag.
pub fn feed_etag(feed: &RevocationFeed) -> String {
    let content = serde_json::to_vec(&(&feed.jti, &feed.sid, &feed.sub)).unwrap_or_default();
    let digest = Sha256::digest(&content);
    format!("W/\"{}\"", Base64UrlUnpadded::encode_string(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table() {
        assert_eq!(route("/oauth/token"), Some((Route::Token, "POST")));
        assert_eq!(
            route("/v1/sessions/abc"),
            Some((Route::EndSession("abc"), "DELETE"))
        );
        assert_eq!(
            route("/v1/users/a%2Fb/sessions"),
            Some((Route::UserSessions("a%2Fb"), "GET"))
        );
        assert_eq!(
            route("/v1/users/alice/revoke"),
            Some((Route::UserRevoke("alice"), "POST"))
        );
        assert_eq!(
            route("/v1/users//sessions"),
            Some((Route::UserSessions(""), "GET"))
        );
        for unknown in [
            "/",
            "",
            "/oauth/token/",
            "/v1/sessions/a/b",
            "/v1/users/a/b/sessions",
            "/v1/users/a",
            "/v1/users/a/other",
            "/.well-known/jwks.json/x",
            "/OAUTH/TOKEN",
        ] {
            assert_eq!(route(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn path_subjects() {
        assert_eq!(path_subject("a%2Fb").ok().as_deref(), Some("a/b"));
        assert_eq!(
            path_subject("alice+bob").ok().as_deref(),
            Some("alice+bob"),
            "+ is literal in paths"
        );
        assert!(path_subject("").is_err());
        assert!(path_subject("%ff").is_err());
        assert!(path_subject("a%0Ab").is_err(), "control characters");
        assert!(path_subject(&"x".repeat(257)).is_err());
    }

    #[test]
    fn etag_depends_on_entries_not_on_generation_time() {
        let mut a = RevocationFeed {
            generated_at: 1,
            ..RevocationFeed::default()
        };
        let mut b = a.clone();
        b.generated_at = 2;
        assert_eq!(feed_etag(&a), feed_etag(&b));
        a.jti.push(revocable_core::FeedEntry {
            id: "x".into(),
            exp: 5,
        });
        assert_ne!(feed_etag(&a), feed_etag(&b));
        assert!(feed_etag(&a).starts_with("W/\"") && feed_etag(&a).ends_with('"'));
    }
}
