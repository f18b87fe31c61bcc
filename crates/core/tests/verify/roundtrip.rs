//! Sign with the core, verify with the core, for all 13 algorithms; then one flipped
//! signature bit, one changed payload byte and a changed header each fail at the signature.

use revocable_core::Algorithm;

use crate::common::*;

const SIG: &str = "ERR_JWS_SIGNATURE_VERIFICATION_FAILED";

#[test]
fn every_algorithm_round_trips_and_detects_tampering() {
    for alg in Algorithm::ALL {
        let key = signing_key(alg);
        let verifier = verifier_for(&key, policy().with_typ("at+jwt"));
        let token = key.sign(&claims(), Some("at+jwt")).unwrap();

        let verified = verifier
            .verify(&token, NOW)
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.header.alg, alg);
        assert_eq!(verified.header.kid.as_deref(), Some(key.kid()));
        assert_eq!(verified.header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(verified.claims.sub.as_deref(), Some("user-1"));
        let payload: serde_json::Value = serde_json::from_str(&verified.payload).unwrap();
        assert_eq!(payload, serde_json::Value::Object(claims()), "{alg}");

        let parts: Vec<&str> = token.split('.').collect();

        // One flipped bit in every byte position class: first, middle, last.
        let signature = unb64(parts[2]);
        if let Some(expected) = alg.signature_len() {
            assert_eq!(signature.len(), expected, "{alg}");
        }
        for position in [0, signature.len() / 2, signature.len() - 1] {
            let mut flipped = signature.clone();
            flipped[position] ^= 0x01;
            let tampered = replace_segment(&token, 2, &b64(&flipped));
            expect_err(verifier.verify(&tampered, NOW), SIG);
        }
        // A truncated and an extended signature.
        let short = replace_segment(&token, 2, &b64(&signature[..signature.len() - 1]));
        expect_err(verifier.verify(&short, NOW), SIG);
        let mut long = signature.clone();
        long.push(0);
        expect_err(
            verifier.verify(&replace_segment(&token, 2, &b64(&long)), NOW),
            SIG,
        );

        // One changed payload byte ("user-1" -> "user-2"), still valid JSON and claims.
        let payload = String::from_utf8(unb64(parts[1]))
            .unwrap()
            .replace("user-1", "user-2");
        let tampered = replace_segment(&token, 1, &b64(payload.as_bytes()));
        expect_err(verifier.verify(&tampered, NOW), SIG);

        // A changed header that passes every header check (extra member, other typ case).
        let header = String::from_utf8(unb64(parts[0])).unwrap();
        for changed in [
            header.replacen('{', r#"{"x":1,"#, 1),
            header.replace("at+jwt", "AT+JWT"),
        ] {
            let tampered = replace_segment(&token, 0, &b64(changed.as_bytes()));
            expect_err(verifier.verify(&tampered, NOW), SIG);
        }

        // The same token under another key of the same algorithm fails at the signature.
        if !alg.is_rsa() {
            let mut other_seed = vec![
                0x42_u8;
                alg.min_secret_len().unwrap_or(match alg {
                    Algorithm::Es384 => 48,
                    Algorithm::Es512 => 66,
                    _ => 32,
                })
            ];
            other_seed[0] = 0x01;
            let other = revocable_core::SigningKey::generate(alg, &other_seed).unwrap();
            let stranger = verifier_for(&other, policy());
            let header = format!(r#"{{"alg":"{alg}","kid":"{}"}}"#, other.kid());
            let forged = replace_segment(&token, 0, &b64(header.as_bytes()));
            expect_err(stranger.verify(&forged, NOW), SIG);
        }
    }
}

#[test]
fn signatures_are_deterministic_except_pss() {
    for alg in Algorithm::ALL {
        let key = signing_key(alg);
        let a = key.sign(&claims(), None).unwrap();
        let b = key.sign(&claims(), None).unwrap();
        let pss = matches!(alg, Algorithm::Ps256 | Algorithm::Ps384 | Algorithm::Ps512);
        assert_eq!(a == b, !pss, "{alg}");
    }
}
