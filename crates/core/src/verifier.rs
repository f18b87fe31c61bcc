//! The verifier: keys + policy + revocation snapshot, and the fixed verification order.

use alloc::{string::String, vec::Vec};

use crate::{
    alg::AlgSet,
    b64,
    claims::{self, ParsedClaims},
    host::{self, SignatureHost},
    revocation, token, Algorithm, ClaimReason, Claims, Error, Header, KeySet, Policy,
    RevocationSnapshot,
};

/// Tokens longer than this (16 KiB) are rejected before any decoding (`ERR_JWT_INVALID`).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The phases of `Verifier::verify_until`: all of them.
const ALL_PHASES: u32 = 7;

/// Stack buffer sizes for the decoded header and signature: a 1 KiB header and a
/// 16384-bit RSA signature need no allocation; larger (hostile) ones fall back to the heap.
const HEADER_STACK: usize = 1024;
const SIGNATURE_STACK: usize = 2048;

/// A verified token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Verified {
    /// The protected header.
    pub header: Header,
    /// The registered claims, type-checked.
    pub claims: Claims,
    /// The whole payload as JSON text (a JSON object), for callers that want every claim.
    pub payload: String,
}

/// Verifies tokens against a key set, a policy and a revocation snapshot.
///
/// Verification order (fixed; each step runs only if the previous passed, so the error
/// names the first problem):
/// 1. size: at most [`MAX_TOKEN_BYTES`] (`ERR_JWT_INVALID`);
/// 2. exactly three `.`-separated segments (`ERR_JWT_INVALID`);
/// 3. each segment strict base64url (`ERR_JWS_INVALID`);
/// 4. header: a JSON object without repeated names, `alg` a string, `crit` understood;
///    `b64: false`, `zip`, `cty: JWT` unsupported (`ERR_JWS_INVALID` /
///    `ERR_JOSE_NOT_SUPPORTED`);
/// 5. `alg` in the allow-list: the policy's algorithms intersected with the keys'
///    (`none` and unknown names are never in it) (`ERR_JOSE_ALG_NOT_ALLOWED`);
/// 6. key: by `kid` when present, else the single key for `alg`
///    (`ERR_JWKS_NO_MATCHING_KEY`); a `kid`'s key for another algorithm is
///    `ERR_JOSE_ALG_NOT_ALLOWED`;
/// 7. signature with the key's algorithm, length checked, HMAC in constant time
///    (`ERR_JWS_SIGNATURE_VERIFICATION_FAILED`);
/// 8. payload: UTF-8, a JSON object without repeated names (`ERR_JWT_INVALID`);
/// 9. claims policy at `now` (see [`crate::Claims`] and `docs/verification.md`);
/// 10. revocation snapshot (`ERR_JWT_REVOKED`).
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: KeySet,
    policy: Policy,
    revocations: RevocationSnapshot,
    /// Policy allow-list intersected with the keys' algorithms.
    allowed: AlgSet,
}

/// Checks the key set and policy together; returns the effective allow-list.
fn validate(keys: &KeySet, policy: &Policy) -> Result<AlgSet, Error> {
    if keys.is_empty() {
        return Err(Error::InvalidJwk("no usable key in the key set"));
    }
    if policy.issuers.is_empty() {
        return Err(Error::InvalidOptions(
            "issuer: at least one issuer is required",
        ));
    }
    if policy.issuers.iter().any(String::is_empty) {
        return Err(Error::InvalidOptions("issuer: an issuer must not be empty"));
    }
    if policy.audiences.is_empty() {
        return Err(Error::InvalidOptions(
            "audience: at least one audience is required",
        ));
    }
    if policy.audiences.iter().any(String::is_empty) {
        return Err(Error::InvalidOptions(
            "audience: an audience must not be empty",
        ));
    }
    let key_algs = keys.alg_set();
    let allowed = match &policy.algorithms {
        Some(list) if list.is_empty() => {
            return Err(Error::InvalidOptions(
                "algorithms: the list must not be empty",
            ));
        }
        Some(list) => list.iter().copied().collect::<AlgSet>().intersect(key_algs),
        None => key_algs,
    };
    if allowed.is_empty() {
        return Err(Error::InvalidOptions(
            "algorithms: none of the allowed algorithms fits a configured key",
        ));
    }
    if policy.typ.as_deref().is_some_and(str::is_empty) {
        return Err(Error::InvalidOptions("typ: must not be empty"));
    }
    if policy.required_claims.len() > 64 || policy.critical.len() > 64 {
        return Err(Error::InvalidOptions(
            "requiredClaims and critical: at most 64 names each",
        ));
    }
    if policy.required_claims.iter().any(String::is_empty) {
        return Err(Error::InvalidOptions(
            "requiredClaims: a name must not be empty",
        ));
    }
    for name in &policy.critical {
        if name.is_empty() {
            return Err(Error::InvalidOptions("critical: a name must not be empty"));
        }
        if token::REGISTERED_HEADERS.contains(&name.as_str()) {
            return Err(Error::InvalidOptions(
                "critical: registered header parameters are not extensions",
            ));
        }
    }
    Ok(allowed)
}

impl Verifier {
    /// Creates a verifier. Fails with `ERR_JWK_INVALID` on an empty key set and with
    /// `ERR_INVALID_OPTIONS` (a revocable extension, never a token error) when issuers or
    /// audiences are empty (or contain an empty string), when `algorithms` is empty or shares
    /// no algorithm with the keys, when `typ` is empty, when `critical` names a registered
    /// header parameter, or when `required_claims` / `critical` have more than 64 names.
    #[inline(never)]
    pub fn new(keys: KeySet, policy: Policy) -> Result<Self, Error> {
        let allowed = validate(&keys, &policy)?;
        Ok(Self {
            keys,
            policy,
            revocations: RevocationSnapshot::new(),
            allowed,
        })
    }

    /// Verifies `token` at `now` (Unix seconds) in the fixed order, including the
    /// revocation snapshot.
    #[inline]
    pub fn verify(&self, token: &str, now: i64) -> Result<Verified, Error> {
        self.verify_checked(token, now, None)
    }

    /// Like [`Verifier::verify`], with the raw signature check of asymmetric keys delegated
    /// to `host` where it can (everything else, and the checks both paths share, stay
    /// here: see [`SignatureHost`]).
    #[inline]
    pub fn verify_with_host(
        &self,
        token: &str,
        now: i64,
        host: &dyn SignatureHost,
    ) -> Result<Verified, Error> {
        self.verify_checked(token, now, Some(host))
    }

    #[inline]
    fn verify_checked(
        &self,
        token: &str,
        now: i64,
        host: Option<&dyn SignatureHost>,
    ) -> Result<Verified, Error> {
        match self.verify_until::<ALL_PHASES>(token, now, host)? {
            Some(verified) => Ok(verified),
            // Not reached: with every phase run, `verify_until` returns the verified token.
            None => Err(Error::InvalidJwt(
                "verification stopped before its last phase",
            )),
        }
    }

    /// The verification order, stopped after `PHASES` of its phases (`verify_phases`): 0
    /// returns at once, 1 after size, split and base64url (steps 1-3), 2 after the header
    /// (4), 3 after the allow-list and key lookup (5-6), 4 after the signature (7), 5 after
    /// the claims JSON (8), 6 after the policy and revocation (9-10); `Some` only with
    /// [`ALL_PHASES`]. `PHASES` is a constant, so `verify_checked`'s instance has no stops.
    #[inline]
    fn verify_until<const PHASES: u32>(
        &self,
        token: &str,
        now: i64,
        host: Option<&dyn SignatureHost>,
    ) -> Result<Option<Verified>, Error> {
        if PHASES == 0 {
            return Ok(None);
        }
        // 1-2. Size, then shape.
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Error::InvalidJwt("token is larger than 16 KiB"));
        }
        let segments = token::split(token)?;

        // 3. Strict base64url for all three segments, into stack buffers where they fit.
        // Token segments are public: the fast (not constant-time) strict decoder.
        let mut header_stack = [0_u8; HEADER_STACK];
        let mut header_heap = Vec::new();
        let header_json =
            b64::decode_public_buffered(segments.header, &mut header_stack, &mut header_heap)
                .map_err(|_| Error::InvalidJws("header is not strict base64url"))?;
        let payload = b64::decode_public_vec(segments.payload)
            .map_err(|_| Error::InvalidJws("payload is not strict base64url"))?;
        let mut signature_stack = [0_u8; SIGNATURE_STACK];
        let mut signature_heap = Vec::new();
        let signature = b64::decode_public_buffered(
            segments.signature,
            &mut signature_stack,
            &mut signature_heap,
        )
        .map_err(|_| Error::InvalidJws("signature is not strict base64url"))?;
        if PHASES == 1 {
            return Ok(None);
        }

        // 4. Header.
        let header = token::parse_header(header_json, &self.policy.critical)?;
        if PHASES == 2 {
            return Ok(None);
        }

        // 5. Allow-list (never the token's choice: an unknown name or `none` is not allowed).
        let alg_name = header.alg.as_deref().unwrap_or_default();
        let alg = Algorithm::from_token_header(alg_name)?;
        if !self.allowed.contains(alg) {
            return Err(Error::AlgNotAllowed);
        }

        // 6. Key by kid (the key fixes the algorithm).
        let key = self.keys.select(alg, header.kid.as_deref())?;
        if PHASES == 3 {
            return Ok(None);
        }

        // 7. Signature over `header.payload` as sent.
        if !host::check_signature(&self.keys, key, host, segments.signing_input, signature) {
            return Err(Error::SignatureVerificationFailed);
        }
        if PHASES == 4 {
            return Ok(None);
        }

        // 8. Payload: one pass into the registered claims.
        let payload =
            String::from_utf8(payload).map_err(|_| Error::InvalidJwt("claims are not utf-8"))?;
        let parsed = claims::parse(&payload, &self.policy.required_claims)?;
        if PHASES == 5 {
            return Ok(None);
        }

        // 9. Claims policy, 10. revocation.
        self.check_policy(&parsed, header.typ.as_deref(), now)?;
        self.revocations.check(&parsed.claims)?;
        if PHASES < ALL_PHASES {
            return Ok(None);
        }

        Ok(Some(Verified {
            header: Header {
                alg,
                kid: header.kid.map(Into::into),
                typ: header.typ.map(Into::into),
            },
            claims: parsed.claims,
            payload,
        }))
    }

    /// [`Verifier::verify_with_host`] stopped after `steps` of its phases, to time each phase
    /// (js/bench/phases.mjs): the phases of `Verifier::verify_until`, `Some(payload)` only
    /// when every phase ran. The same code as `verify`; a measuring tool, never used to verify.
    #[cfg(feature = "measure-phases")]
    #[doc(hidden)]
    #[inline]
    pub fn verify_phases(
        &self,
        token: &str,
        now: i64,
        host: Option<&dyn SignatureHost>,
        steps: u32,
    ) -> Result<Option<String>, Error> {
        let verified = match steps {
            0 => self.verify_until::<0>(token, now, host),
            1 => self.verify_until::<1>(token, now, host),
            2 => self.verify_until::<2>(token, now, host),
            3 => self.verify_until::<3>(token, now, host),
            4 => self.verify_until::<4>(token, now, host),
            5 => self.verify_until::<5>(token, now, host),
            6 => self.verify_until::<6>(token, now, host),
            _ => self.verify_until::<ALL_PHASES>(token, now, host),
        }?;
        Ok(verified.map(|verified| verified.payload))
    }

    /// The claims policy, in the documented order.
    #[inline]
    fn check_policy(
        &self,
        parsed: &ParsedClaims,
        typ: Option<&str>,
        now: i64,
    ) -> Result<(), Error> {
        parsed.check_types()?;
        if let Some(expected) = &self.policy.typ {
            match typ {
                None => return Err(Error::claim_failed("typ", ClaimReason::Missing)),
                Some(typ) if !token::typ_matches(typ, expected) => {
                    return Err(Error::claim_failed("typ", ClaimReason::CheckFailed));
                }
                Some(_) => {}
            }
        }
        parsed.check_presence(&self.policy)?;
        claims::check_issuer_and_audience(&parsed.claims, &self.policy)?;
        claims::check_times(&parsed.claims, &self.policy, now)
    }

    /// Re-runs only the time-dependent checks (claims policy at `now` and the revocation
    /// snapshot) on claims verified earlier: what a verified-token cache runs on every hit.
    #[inline]
    pub fn recheck(&self, claims: &Claims, now: i64) -> Result<(), Error> {
        claims::check_times(claims, &self.policy, now)?;
        self.revocations.check(claims)
    }

    /// Replaces the key set (JWKS refresh). Same checks as [`Verifier::new`]; on error the
    /// verifier keeps its previous keys.
    #[inline(never)]
    pub fn set_keys(&mut self, keys: KeySet) -> Result<(), Error> {
        self.allowed = validate(&keys, &self.policy)?;
        self.keys = keys;
        Ok(())
    }

    /// Replaces the revocation snapshot as it is (nothing carried over from the previous
    /// one: this is also how a caller empties it). To apply a polled feed, use
    /// [`Verifier::update_revocations`], which does not forget revocations the new feed no
    /// longer lists while a token they match could still be accepted.
    pub fn set_revocations(&mut self, snapshot: RevocationSnapshot) {
        self.revocations = snapshot;
    }

    /// Applies a polled feed body (`GET /v1/revocations`) at `now`: the new snapshot holds
    /// the feed's entries, plus every entry of the previous snapshot that the feed no longer
    /// lists but that a token could still need (`exp + clock tolerance` not passed), each
    /// kept until `exp + clock tolerance` (a token is accepted that long).
    ///
    /// The carry-over matters because the issuer drops an entry once `exp` has passed on its
    /// own clock (a verifier with a tolerance, or a clock behind the issuer's, still accepts
    /// the token) and because feeds are cached per location for a moment (a feed served
    /// from another location's cache may not list a revocation yet). Revocations are never undone, so
    /// keeping one is always safe, and the snapshot stays bounded by `exp + tolerance`.
    ///
    /// On error the previous snapshot stays (`ERR_REVOCATION_FEED_INVALID`).
    #[inline(never)]
    pub fn update_revocations(&mut self, feed_json: &str, now: i64) -> Result<(), Error> {
        let feed = revocation::parse_feed(feed_json)?;
        let horizon = self.prune_horizon(now);
        let mut snapshot = RevocationSnapshot::from_feed(&feed, horizon);
        snapshot.carry_over(&self.revocations, horizon);
        self.revocations = snapshot;
        Ok(())
    }

    /// Drops revocation entries no token can still match at `now` (with the tolerance).
    #[inline(never)]
    pub fn prune_revocations(&mut self, now: i64) {
        let horizon = self.prune_horizon(now);
        self.revocations.prune(horizon);
    }

    fn prune_horizon(&self, now: i64) -> i64 {
        now.saturating_sub(i64::from(self.policy.clock_tolerance))
    }

    /// The current revocation snapshot.
    pub fn revocations(&self) -> &RevocationSnapshot {
        &self.revocations
    }

    /// The key set.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The effective allow-list: the policy's algorithms intersected with the keys'.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        self.allowed.iter().collect()
    }
}

#[cfg(all(test, feature = "measure-phases", feature = "sign"))]
mod tests {
    use crate::{Algorithm, KeySet, Policy, SigningKey, Verifier};

    /// Every phase count short of all returns nothing; all of them return what `verify` does.
    #[test]
    fn verify_phases_stops_after_each_phase() {
        let key = SigningKey::generate(Algorithm::EdDsa, &[4; 32]).unwrap();
        let verifier = Verifier::new(
            KeySet::single(key.verifying_key()),
            Policy::new(["iss"], ["api"]),
        )
        .unwrap();
        let token = key
            .sign_parts(
                br#"{"alg":"EdDSA"}"#,
                br#"{"iss":"iss","aud":"api","exp":200}"#,
            )
            .unwrap();
        for steps in 0..super::ALL_PHASES {
            assert_eq!(verifier.verify_phases(&token, 100, None, steps), Ok(None));
        }
        let payload = verifier.verify(&token, 100).unwrap().payload;
        assert_eq!(
            verifier.verify_phases(&token, 100, None, super::ALL_PHASES),
            Ok(Some(payload))
        );
        // A failing phase fails whatever comes after it: an expired token at 6 steps.
        assert_eq!(
            verifier
                .verify_phases(&token, 300, None, 6)
                .unwrap_err()
                .code(),
            "ERR_JWT_EXPIRED"
        );
        assert_eq!(verifier.verify_phases(&token, 300, None, 5), Ok(None));
    }
}
