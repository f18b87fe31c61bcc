//! Token parsing and verification, with keys of every family (the shared test vectors: all 13
//! algorithms, RFC and revocable keys, with their policies and revocation feeds).
//!
//! Input: `[vector index][flags][now delta: i16 LE (2 bytes)]` then the token (UTF-8).
//! The token is verified three ways: with the real signature check, with a host that accepts
//! every signature (so mutated headers and claims get past step 7 and are fuzzed too) and with
//! one that refuses every signature. Invariants: documented error codes and messages without
//! token text; the host changes nothing but the signature step; a refusing host leaves only
//! HMAC tokens valid; an accepted token is at most 16 KiB, its payload a JSON object, and it
//! passes `recheck` at the same time (what the verified-token cache runs on a hit).
#![no_main]

use libfuzzer_sys::fuzz_target;
use revocable_core::{Error, Verified, MAX_TOKEN_BYTES};
use revocable_fuzz::{check_error, vector_verifiers, Always};

fn same(a: &Result<Verified, Error>, b: &Result<Verified, Error>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => a.payload == b.payload && a.claims == b.claims,
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let [index, flags, d0, d1, rest @ ..] = data else {
        return;
    };
    let Ok(token) = std::str::from_utf8(rest) else {
        return;
    };
    let vectors = vector_verifiers();
    let Some(v) = &vectors[usize::from(*index) % vectors.len()] else {
        return;
    };
    let delta = i64::from(i16::from_le_bytes([*d0, *d1]));
    // Mostly near the vector's time; sometimes at the ends of the i64 range.
    let now = match flags >> 6 {
        0 | 1 => v.now + delta,
        2 => i64::MAX - delta.abs(),
        _ => i64::MIN + delta.abs(),
    };
    let verifier = &v.verifier;

    let real = verifier.verify(token, now);
    let accepting = verifier.verify_with_host(token, now, &Always(true));
    let refusing = verifier.verify_with_host(token, now, &Always(false));

    for result in [&real, &accepting, &refusing] {
        match result {
            Err(err) => check_error(err, &verifier.policy().required_claims),
            Ok(verified) => {
                assert!(token.len() <= MAX_TOKEN_BYTES);
                assert!(
                    serde_json::from_str::<serde_json::Value>(&verified.payload)
                        .is_ok_and(|p| p.is_object()),
                    "payload of an accepted token is not a json object"
                );
                if let Err(err) = verifier.recheck(&verified.claims, now) {
                    panic!(
                        "{}: accepted, but recheck at the same time fails: {err}",
                        v.name
                    );
                }
            }
        }
    }
    // The host decides only step 7: any other outcome is the same with or without it.
    if !matches!(&real, Err(Error::SignatureVerificationFailed)) {
        assert!(
            same(&real, &accepting),
            "{}: host changed a non-signature outcome",
            v.name
        );
    }
    if let Ok(verified) = &refusing {
        assert!(
            verified.header.alg.is_hmac(),
            "{}: a refusing host let a {:?} token through",
            v.name,
            verified.header.alg
        );
        assert!(same(&refusing, &real));
    }
    if real.is_ok() {
        assert!(accepting.is_ok());
    }
});
