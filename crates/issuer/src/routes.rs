//! The HTTP API (README "The issuer HTTP API", docs/architecture.md "A refresh"): the route table, the checks each endpoint
//! makes in a fixed order (route -> method -> service key -> body size -> content type ->
//! parameters), and the flows that combine the rules, the tokens and the store.

use base64ct::{Base64UrlUnpadded, Encoding};
use revocable_core::{RevocationFeed, MAX_TOKEN_BYTES};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::{
    config::{Config, ServiceKey},
    host_keys,
    http::{self, ApiError, Form, Method, Request, Response, FORM, JSON},
    objects::{Backend, Call, Command, Outcome, Settings},
    rules,
    store::{Grant, StoreError},
    tokens::{self, AccessClaims, RandomError},
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
            // Transient: a retry a moment later succeeds, and every flow is safe to retry.
            StoreError::RateLimited(_) | StoreError::FeedDelivery => {
                ApiError::TemporarilyUnavailable(err.describe())
            }
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
pub async fn handle<B: Backend>(
    config: &Config,
    backend: &B,
    request: &Request,
    now_ms: i64,
) -> Response {
    let cx = Cx {
        config,
        backend,
        now_ms,
    };
    match dispatch(&cx, request).await {
        Ok(response) => response,
        Err(err) => err.to_response(),
    }
}

/// What every handler of one request shares: the configuration, the objects, and the time
/// the request is handled at.
struct Cx<'a, B> {
    config: &'a Config,
    backend: &'a B,
    now_ms: i64,
}

impl<B: Backend> Cx<'_, B> {
    /// Sends `command` to the session object `route`, and wakes the feed when the outcome
    /// may have revoked something.
    async fn call(&self, route: &str, command: Command) -> Result<Outcome, ApiError> {
        let call = Call {
            settings: Settings {
                lifetimes: self.config.lifetimes,
                reuse_interval_ms: self.config.reuse_interval * 1000,
            },
            command,
        };
        let outcome = self.backend.call(route, &call, self.now_ms).await?;
        if call.command.may_revoke(&outcome) {
            self.backend.feed_changed().await;
        }
        Ok(outcome)
    }
}

async fn dispatch<B: Backend>(cx: &Cx<'_, B>, request: &Request) -> Result<Response, ApiError> {
    let config = cx.config;
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
    match route {
        Route::Metadata => Ok(metadata(config)),
        Route::Jwks => Ok(Response::json(200, &config.keys.public_jwks())
            .with_header("cache-control", PUBLIC_MAX_AGE)
            .with_header("access-control-allow-origin", "*")),
        Route::Token => refresh(cx, request).await,
        Route::Revoke => revoke(cx, request).await,
        // The feed: the service key or a read-only feed key.
        Route::Feed => {
            let presented = http::bearer(request);
            let service = config.service_key.verify(presented);
            if !(ServiceKey::verify_any(&config.feed_keys, presented) | service) {
                return Err(ApiError::Unauthorized);
            }
            feed(cx, request).await
        }
        // Everything below needs the service key.
        service_route => {
            if !config.service_key.verify(http::bearer(request)) {
                return Err(ApiError::Unauthorized);
            }
            match service_route {
                Route::CreateSession => create_session(cx, request).await,
                Route::EndSession(id) => end_session(cx, id).await,
                Route::UserSessions(raw) => {
                    let sub = path_subject(raw)?;
                    let route = tokens::route_for_subject(&sub);
                    match cx.call(&route, Command::ListSessions { sub }).await? {
                        Outcome::Sessions { sessions } => {
                            Ok(Response::json(200, &json!({ "sessions": sessions })))
                        }
                        _ => Err(UNEXPECTED),
                    }
                }
                Route::UserRevoke(raw) => {
                    let sub = path_subject(raw)?;
                    let route = tokens::route_for_subject(&sub);
                    match cx.call(&route, Command::LogoutEverywhere { sub }).await? {
                        Outcome::LoggedOut {
                            sessions,
                            not_before,
                        } => Ok(Response::json(
                            200,
                            &json!({ "not_before": not_before, "revoked_sessions": sessions }),
                        )),
                        _ => Err(UNEXPECTED),
                    }
                }
                Route::Metadata | Route::Jwks | Route::Token | Route::Revoke | Route::Feed => {
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

/// The form body of an OAuth endpoint: size, then content type, then the form itself.
fn form_body(request: &Request) -> Result<Form, ApiError> {
    let body = request.body_bytes()?;
    http::require_content_type(request, FORM)?;
    Form::parse(body)
}

/// A token response (`Cache-Control: no-store` and `Pragma: no-cache`, RFC 6749 §5.1).
fn token_response(status: u16, body: &Value) -> Response {
    Response::json(status, body).with_header("pragma", "no-cache")
}

/// An answer of a session object that does not fit the command (never expected).
const UNEXPECTED: ApiError = ApiError::Internal("session object answered out of turn");

/// The token response of a grant: the access token is signed here, in the worker, so the
/// session objects never hold signing keys. `created` adds `session_id` (RFC 6749 §5.1 plus
/// this API's field).
///
/// `expires_in` and `refresh_token_expires_in` count from the grant's `access_iat`: the
/// session object's clock, which also set both `exp`s. The worker's own clock (read when the
/// request arrived) can be a second behind the object's, and mixing the two would announce
/// one second more than the token's `exp - iat`.
async fn grant_response<B: Backend>(
    cx: &Cx<'_, B>,
    grant: &Grant,
    created: bool,
) -> Result<Response, ApiError> {
    let config = cx.config;
    let now = grant.access_iat;
    let jti = tokens::random_id()?;
    let access_token = host_keys::sign_access_token(
        config,
        cx.backend,
        &AccessClaims {
            issuer: &config.issuer,
            audience: &config.audience,
            sub: &grant.sub,
            sid: &grant.sid,
            jti: &jti,
            iat: grant.access_iat,
            exp: grant.access_exp,
            scope: grant.scope.as_deref(),
            extra: &grant.claims,
        },
    )
    .await?;
    let mut out = Map::new();
    out.insert("access_token".into(), access_token.into());
    out.insert("token_type".into(), "Bearer".into());
    out.insert("expires_in".into(), (grant.access_exp - now).max(0).into());
    out.insert("refresh_token".into(), grant.refresh_token.clone().into());
    out.insert(
        "refresh_token_expires_in".into(),
        (grant.refresh_exp - now).max(0).into(),
    );
    if created {
        out.insert("session_id".into(), grant.sid.clone().into());
    }
    if let Some(scope) = &grant.scope {
        out.insert("scope".into(), scope.clone().into());
    }
    Ok(token_response(
        if created { 201 } else { 200 },
        &Value::Object(out),
    ))
}

/// `POST /v1/sessions`: `{sub, scope?, claims?}` -> 201 with the first token pair.
async fn create_session<B: Backend>(
    cx: &Cx<'_, B>,
    request: &Request,
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

    let route = tokens::route_for_subject(&body.sub);
    let sid = tokens::new_session_id(&route)?;
    let command = Command::Start {
        sid,
        sub: body.sub,
        scope,
        claims: body.claims,
    };
    match cx.call(&route, command).await? {
        Outcome::Granted(grant) => grant_response(cx, &grant, true).await,
        _ => Err(UNEXPECTED),
    }
}

/// `POST /oauth/token` with `grant_type=refresh_token`: rotation with reuse detection and
/// the reuse interval, decided by the session object.
async fn refresh<B: Backend>(cx: &Cx<'_, B>, request: &Request) -> Result<Response, ApiError> {
    let form = form_body(request)?;
    if form.require("grant_type")? != "refresh_token" {
        return Err(ApiError::UnsupportedGrantType);
    }
    let presented = form.require("refresh_token")?;
    let requested_scope = form.get("scope");
    // `client_id` is accepted and ignored: public clients, no client registry.

    // Not the shape of our refresh tokens (every JWT included): no object is woken, same
    // answer as an unknown token.
    if !tokens::looks_like_refresh_token(presented) {
        return Err(ApiError::InvalidGrant(INVALID_GRANT));
    }
    if let Some(scope) = requested_scope {
        rules::parse_scope(scope).map_err(|e| ApiError::InvalidScope(e.0))?;
    }
    let command = Command::Refresh {
        token: presented.to_owned(),
        scope: requested_scope.map(str::to_owned),
    };
    match cx.call(tokens::route_of(presented), command).await? {
        Outcome::Granted(grant) => grant_response(cx, &grant, false).await,
        Outcome::Refused { reuse: true } => Err(ApiError::InvalidGrant(REUSED_GRANT)),
        Outcome::Refused { reuse: false } => Err(ApiError::InvalidGrant(INVALID_GRANT)),
        Outcome::ScopeExceeded { .. } => Err(ApiError::InvalidScope(
            "requested scope exceeds the scope of the session",
        )),
        _ => Err(UNEXPECTED),
    }
}

/// `POST /oauth/revoke` (RFC 7009): 200 whatever the token, once it is well-formed as a
/// request. A refresh token ends its session; an access token of this issuer that still
/// verifies is revoked by `jti` until its `exp` (up to a bound per session, past which its
/// session ends: [`rules::MAX_REVOKED_ACCESS_TOKENS_PER_SESSION`]). `token_type_hint` is not
/// needed: the two token shapes cannot be confused.
async fn revoke<B: Backend>(cx: &Cx<'_, B>, request: &Request) -> Result<Response, ApiError> {
    let form = form_body(request)?;
    let token = form.require("token")?;
    if tokens::looks_like_refresh_token(token) {
        let command = Command::RevokeRefreshToken {
            token: token.to_owned(),
        };
        cx.call(tokens::route_of(token), command).await?;
    } else if token.len() <= MAX_TOKEN_BYTES {
        // Only tokens this issuer signed and that are still valid get a feed entry: anyone
        // may call this endpoint, and the feed must not fill with junk. Every access token
        // of this issuer carries its session's `sid`, which bounds the entries per session.
        let now = rules::secs(cx.now_ms);
        if let Ok(verified) = host_keys::verify_own_token(cx.config, cx.backend, token, now).await {
            let claims = &verified.claims;
            if let (Some(jti), Some(exp), Some(sid)) =
                (claims.jti.as_deref(), claims.exp, claims.sid.as_deref())
            {
                if !jti.is_empty() && jti.len() <= 128 && tokens::looks_like_session_id(sid) {
                    let command = Command::RevokeAccessToken {
                        sid: sid.to_owned(),
                        jti: jti.to_owned(),
                        exp,
                    };
                    cx.call(tokens::route_of(sid), command).await?;
                }
            }
        }
    }
    Ok(Response::empty(200))
}

/// `DELETE /v1/sessions/{id}`: 204, or 404 for a session this issuer does not know.
async fn end_session<B: Backend>(cx: &Cx<'_, B>, sid: &str) -> Result<Response, ApiError> {
    const UNKNOWN: ApiError = ApiError::NotFound("no such session");
    if !tokens::looks_like_session_id(sid) {
        return Err(UNKNOWN);
    }
    let command = Command::EndSession {
        sid: sid.to_owned(),
    };
    match cx.call(tokens::route_of(sid), command).await? {
        Outcome::Done => Ok(Response::empty(204)),
        Outcome::UnknownSession => Err(UNKNOWN),
        _ => Err(UNEXPECTED),
    }
}

/// `GET /v1/revocations`: the feed, with a weak ETag over its entries (not over
/// `generated_at`, which changes every second) and 304 on `If-None-Match`.
async fn feed<B: Backend>(cx: &Cx<'_, B>, request: &Request) -> Result<Response, ApiError> {
    let feed = cx.backend.feed(rules::secs(cx.now_ms)).await?;
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
        let known = [
            ("/oauth/token", Route::Token, "POST"),
            ("/v1/sessions/abc", Route::EndSession("abc"), "DELETE"),
            (
                "/v1/users/a%2Fb/sessions",
                Route::UserSessions("a%2Fb"),
                "GET",
            ),
            ("/v1/users/alice/revoke", Route::UserRevoke("alice"), "POST"),
            ("/v1/users//sessions", Route::UserSessions(""), "GET"),
        ];
        for (path, want, method) in known {
            assert_eq!(route(path), Some((want, method)), "{path}");
        }
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
