//! The verifier: keys + policy + revocation snapshot, and the fixed verification order.

use crate::{Claims, Error, Header, KeySet, Policy, RevocationSnapshot};

/// Tokens longer than this (16 KiB) are rejected before any decoding (`ERR_JWT_INVALID`).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

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
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: KeySet,
    policy: Policy,
    revocations: RevocationSnapshot,
}

impl Verifier {
    /// Creates a verifier. Fails (`ERR_JWK_INVALID`) on an empty key set, and
    /// (`ERR_JOSE_ALG_NOT_ALLOWED`) when the policy's algorithms share none with the keys, or
    /// when issuers or audiences are empty (`ERR_JWT_CLAIM_VALIDATION_FAILED` is not used
    /// for configuration: see implementation notes).
    pub fn new(keys: KeySet, policy: Policy) -> Result<Self, Error> {
        Ok(Self {
            keys,
            policy,
            revocations: RevocationSnapshot::new(),
        })
    }

    /// Verifies `token` at `now` (Unix seconds) in the fixed order, including the
    /// revocation snapshot.
    pub fn verify(&self, token: &str, now: i64) -> Result<Verified, Error> {
        let _ = (token, now, &self.keys, &self.policy, &self.revocations);
        todo!()
    }

    /// Re-runs only the time-dependent checks (claims policy at `now` and the revocation
    /// snapshot) on claims verified earlier: what a verified-token cache runs on every hit.
    pub fn recheck(&self, claims: &Claims, now: i64) -> Result<(), Error> {
        let _ = (claims, now);
        todo!()
    }

    /// Replaces the key set (JWKS refresh). Same checks as [`Verifier::new`].
    pub fn set_keys(&mut self, keys: KeySet) -> Result<(), Error> {
        self.keys = keys;
        Ok(())
    }

    /// Replaces the revocation snapshot.
    pub fn set_revocations(&mut self, snapshot: RevocationSnapshot) {
        self.revocations = snapshot;
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
}
