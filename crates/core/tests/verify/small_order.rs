//! An Ed25519 signature whose R is the identity (a small-order point), made by the key's
//! owner: with S = k·a the cofactorless equation [S]B = R + [k]A holds exactly, so
//! ed25519-dalek's lenient `verify` accepts it, and `verify_strict` (revocable) rejects it.
//! RFC 8032 signers never produce one. Shared by the core's unit tests (src/alg/eddsa.rs)
//! and the integration vectors (tests/verify/vectors.rs).

use sha2::{Digest as _, Sha512};

/// Reduces a 512-bit little-endian integer modulo the group order in the scalar type of
/// `like` (curve25519-dalek's `Scalar`, which the core does not name directly).
fn reduce_wide<T>(bytes: &[u8; 64], _like: T) -> T
where
    T: Copy + From<u64> + std::ops::Mul<Output = T> + std::ops::Add<Output = T>,
{
    let base = T::from(256);
    bytes
        .iter()
        .rev()
        .fold(T::from(0), |acc, b| acc * base + T::from(u64::from(*b)))
}

/// The signature `R || S` of `message` with R the identity and S = k·a.
pub(crate) fn small_order_r_signature(key: &ed25519_dalek::SigningKey, message: &[u8]) -> [u8; 64] {
    let mut r = [0_u8; 32];
    r[0] = 1;
    let k: [u8; 64] = Sha512::new()
        .chain_update(r)
        .chain_update(key.verifying_key().as_bytes())
        .chain_update(message)
        .finalize()
        .into();
    let a = key.to_scalar();
    let mut signature = [0_u8; 64];
    signature[..32].copy_from_slice(&r);
    signature[32..].copy_from_slice(&(reduce_wide(&k, a) * a).to_bytes());
    signature
}
