//! The claims policy, differentially: a token with the input's header and claims, signed with
//! an HS256 key (so it always passes the signature step), verified with the input's policy at
//! the input's time, against the reference model in `src/model.rs` (written from
//! docs/verification.md, over serde_json::Value).
//!
//! Input: `now\npolicy JSON\nheader JSON\nclaims JSON` (the policy in the JS option names:
//! issuer, audience, clockTolerance, maxTokenAge, requiredClaims, typ, requireExp, critical,
//! algorithms; a policy that does not parse is replaced by a plain one).
//! Invariants: documented error codes; whenever the core reaches the claims step (accepts, or
//! fails with ERR_JWT_EXPIRED / ERR_JWT_CLAIM_VALIDATION_FAILED) its verdict, claim and reason
//! equal the model's; an accepted token passes `recheck` at the same time and fails it with
//! ERR_JWT_EXPIRED from `exp + tolerance` on (a verified-token cache never serves it later).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use revocable_core::{Algorithm, Error, KeySet, Policy, SigningKey, Verifier};
use revocable_fuzz::{check_error, model, parse_i64, serde_object_verdict, split_lines};
use serde_json::{value::RawValue, Value};
use std::collections::HashMap;

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(Algorithm::Hs256, &[7; 32]).expect("hs256 key"))
}

fn reached_claims(result: &Result<revocable_core::Verified, Error>) -> bool {
    match result {
        Ok(_) => true,
        Err(e) => matches!(
            e.code(),
            "ERR_JWT_EXPIRED" | "ERR_JWT_CLAIM_VALIDATION_FAILED"
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(parts) = split_lines(data, 3) else {
        return;
    };
    let now = parse_i64(parts[0], 1_700_000_000);
    let policy: Policy = serde_json::from_slice(parts[1])
        .unwrap_or_else(|_| Policy::new(["https://issuer.test"], ["api"]));
    let (header, claims) = (parts[2], parts[3]);

    let verifier = match Verifier::new(KeySet::single(key().verifying_key()), policy.clone()) {
        Ok(v) => v,
        Err(e) => {
            check_error(&e, &[]);
            return;
        }
    };
    let Ok(token) = key().sign_parts(header, claims) else {
        return; // over 16 KiB
    };
    let result = verifier.verify(&token, now);
    if let Err(e) = &result {
        check_error(e, &policy.required_claims);
    }

    // The core's JSON reader against serde_json (plus a check for repeated names): the same
    // texts are objects without repeated names. (The core stops at the first repeated name,
    // so a text it calls "repeated" may also be broken further on.)
    let message = result
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    let header_parsed = match &result {
        Ok(_) => true,
        Err(e) => !matches!(e.code(), "ERR_JWS_INVALID" | "ERR_JOSE_NOT_SUPPORTED"),
    };
    agree_on_object(
        "a header",
        header,
        header_parsed,
        &message,
        "invalid jws: header is not a json object",
        "invalid jws: header repeats a member name",
    );
    agree_on_object(
        "claims",
        claims,
        reached_claims(&result),
        &message,
        "invalid jwt: claims are not a json object",
        "invalid jwt: claims repeat a member name",
    );
    if !reached_claims(&result) {
        return;
    }

    // The core parsed header and claims, so both are JSON objects without repeated names:
    // serde_json::Value holds them faithfully.
    let raw: HashMap<String, &RawValue> =
        serde_json::from_slice(claims).expect("claims the core accepted are a json object");
    let raw: HashMap<String, String> = raw
        .into_iter()
        .map(|(k, v)| (k, v.get().to_owned()))
        .collect();
    let claims: serde_json::Map<String, Value> =
        serde_json::from_slice(claims).expect("claims the core accepted are a json object");
    let header: Value = serde_json::from_slice(header).expect("header the core accepted");
    let typ = header.get("typ").and_then(Value::as_str);
    let expected = model::claims_outcome(&claims, &raw, typ, &policy, now);
    let actual = match &result {
        Ok(_) => Ok(()),
        Err(e) => Err(model::Expected {
            code: e.code(),
            claim: e.claim().unwrap_or_default().to_owned(),
            reason: e.reason().map(|r| r.as_str()).unwrap_or_default(),
        }),
    };
    assert_eq!(actual, expected, "core and model disagree at now={now}");

    if let Ok(verified) = &result {
        if let Err(e) = verifier.recheck(&verified.claims, now) {
            panic!("accepted but recheck fails at the same time: {e}");
        }
        if let Some(exp) = verified.claims.exp {
            let end = exp.saturating_add(i64::from(policy.clock_tolerance));
            for t in [end, end.saturating_add(1), end.saturating_add(86_400)] {
                match verifier.recheck(&verified.claims, t) {
                    Err(Error::Expired { claim: "exp" }) => {}
                    other => panic!("recheck at {t} (exp {exp}) gave {other:?}, not expired"),
                }
            }
        }
    }
});

/// The core's verdict on one JSON part (`what`: "a header" or "claims") against serde_json's:
/// `parsed` when the core got past the part; otherwise its error `message` tells a text that
/// is not an object from one that repeats a name.
fn agree_on_object(
    what: &str,
    text: &[u8],
    parsed: bool,
    message: &str,
    not_an_object: &str,
    repeats_a_name: &str,
) {
    if parsed {
        assert_eq!(
            serde_object_verdict(text),
            Some(true),
            "the core accepted {what} serde_json refuses"
        );
    } else if message == not_an_object {
        assert_eq!(
            serde_object_verdict(text),
            None,
            "the core refused {what} that is a json object"
        );
    } else if message == repeats_a_name {
        assert_ne!(
            serde_object_verdict(text),
            Some(true),
            "the core saw a repeated name in {what} serde_json reads as a clean object"
        );
    }
}
