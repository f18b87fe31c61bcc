//! Attacks on the verifier: algorithm confusion, `none`, key selection, encoding tricks,
//! size, and payload shapes.

use revocable_core::{Algorithm, Key, KeySet, Policy, SigningKey, Verifier, MAX_TOKEN_BYTES};
use serde_json::Value;

use crate::common::*;

const ALG: &str = "ERR_JOSE_ALG_NOT_ALLOWED";
const SIG: &str = "ERR_JWS_SIGNATURE_VERIFICATION_FAILED";
const JWS: &str = "ERR_JWS_INVALID";
const JWT: &str = "ERR_JWT_INVALID";
const NO_KEY: &str = "ERR_JWKS_NO_MATCHING_KEY";

fn payload() -> String {
    Value::Object(claims()).to_string()
}

#[test]
fn alg_none_is_never_accepted() {
    let key = signing_key(Algorithm::Hs256);
    let verifier = verifier_for(&key, policy());
    let valid = key.sign(&claims(), None).unwrap();
    let valid_signature = valid.split('.').nth(2).unwrap();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = b64(format!(r#"{{"alg":"{alg}"}}"#).as_bytes());
        let body = b64(payload().as_bytes());
        // Without a signature (the RFC 7515 A.5 shape) and with one.
        expect_err(verifier.verify(&format!("{header}.{body}."), NOW), ALG);
        expect_err(
            verifier.verify(&format!("{header}.{body}.{valid_signature}"), NOW),
            ALG,
        );
        let with_kid = b64(format!(r#"{{"alg":"{alg}","kid":"{}"}}"#, key.kid()).as_bytes());
        expect_err(verifier.verify(&format!("{with_kid}.{body}."), NOW), ALG);
    }
    // Even when the caller lists every algorithm, `none` is not one of them.
    let all = Verifier::new(
        KeySet::single(key.verifying_key()),
        policy().with_algorithms(Algorithm::ALL),
    )
    .unwrap();
    let header = b64(br#"{"alg":"none"}"#);
    expect_err(
        all.verify(&format!("{header}.{}.", b64(payload().as_bytes())), NOW),
        ALG,
    );
    assert!("none".parse::<Algorithm>().is_err());
}

#[test]
fn unknown_and_near_miss_alg_names_are_not_allowed() {
    let key = signing_key(Algorithm::Hs256);
    let verifier = verifier_for(&key, policy());
    for alg in [
        "hs256",
        "HS256 ",
        " HS256",
        "HS257",
        "HS2560",
        "ES256K",
        "EdDSA\\u0000",
        "",
        "Ed25519",
    ] {
        let token = raw_token(&key, &format!(r#"{{"alg":"{alg}"}}"#), &payload());
        expect_err(verifier.verify(&token, NOW), ALG);
    }
}

/// The bytes of a public key, in every form an attacker might use as an HMAC secret.
fn public_key_forms(jwk_file: &str, pem_file: &str) -> Vec<Vec<u8>> {
    let private: Value = serde_json::from_str(&fixture(jwk_file)).unwrap();
    let public = Key::from_jwk_json(&private_to_public(&private).to_string())
        .unwrap()
        .to_public_jwk()
        .unwrap();
    let pem = fixture(pem_file);
    let der_b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64ct::Base64::decode_vec(&der_b64).unwrap();
    let raw = match public["kty"].as_str().unwrap() {
        "RSA" => unb64(public["n"].as_str().unwrap()),
        "EC" => {
            let mut point = vec![4];
            point.extend(unb64(public["x"].as_str().unwrap()));
            point.extend(unb64(public["y"].as_str().unwrap()));
            point
        }
        _ => unb64(public["x"].as_str().unwrap()),
    };
    vec![
        public.to_string().into_bytes(),
        serde_json::to_string_pretty(&public).unwrap().into_bytes(),
        pem.clone().into_bytes(),
        pem.trim_end().as_bytes().to_vec(),
        der,
        raw,
    ]
}

fn private_to_public(private: &Value) -> Value {
    let mut public = private.clone();
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        public.as_object_mut().unwrap().remove(member);
    }
    public
}

use base64ct::Encoding as _;

#[test]
fn hs256_signed_with_a_public_key_is_rejected() {
    for (jwk_file, pem_file) in [
        ("rsa2048.jwk.json", "rsa2048.pub.pem"),
        ("p256.jwk.json", "p256.pub.pem"),
        ("ed25519.jwk.json", "ed25519.pub.pem"),
    ] {
        let private: Value = serde_json::from_str(&fixture(jwk_file)).unwrap();
        let public_jwk = private_to_public(&private).to_string();
        let keys = KeySet::from_jwks_json(&format!(r#"{{"keys":[{public_jwk}]}}"#)).unwrap();
        let kid = keys.keys()[0].kid().unwrap().to_owned();
        let default = Verifier::new(keys.clone(), policy()).unwrap();
        // A caller who lists HS256 too still cannot get it for a public key.
        let widened = Verifier::new(
            keys.clone(),
            policy().with_algorithms([Algorithm::Hs256, keys.keys()[0].algorithm()]),
        )
        .unwrap();
        assert_eq!(widened.algorithms(), vec![keys.keys()[0].algorithm()]);
        // HS256 alone fits no key: a configuration error, not a silent HMAC key.
        assert_eq!(
            Verifier::new(keys.clone(), policy().with_algorithms([Algorithm::Hs256]))
                .unwrap_err()
                .code(),
            "ERR_INVALID_OPTIONS"
        );
        for secret in public_key_forms(jwk_file, pem_file) {
            let hmac = SigningKey::generate(Algorithm::Hs256, &secret).unwrap();
            for header in [
                format!(r#"{{"alg":"HS256","kid":"{kid}"}}"#),
                r#"{"alg":"HS256"}"#.to_owned(),
            ] {
                let token = raw_token(&hmac, &header, &payload());
                expect_err(default.verify(&token, NOW), ALG);
                expect_err(widened.verify(&token, NOW), ALG);
            }
        }
    }
}

#[test]
fn allow_list_restricts_algorithms() {
    let ed = signing_key(Algorithm::EdDsa);
    let es = signing_key(Algorithm::Es256);
    let keys = KeySet::from_keys(vec![ed.verifying_key(), es.verifying_key()]).unwrap();
    let only_ed =
        Verifier::new(keys.clone(), policy().with_algorithms([Algorithm::EdDsa])).unwrap();
    assert!(only_ed
        .verify(&ed.sign(&claims(), None).unwrap(), NOW)
        .is_ok());
    expect_err(only_ed.verify(&es.sign(&claims(), None).unwrap(), NOW), ALG);
    let both = Verifier::new(keys, policy()).unwrap();
    assert_eq!(both.algorithms(), vec![Algorithm::Es256, Algorithm::EdDsa]);
    assert!(both.verify(&es.sign(&claims(), None).unwrap(), NOW).is_ok());
}

#[test]
fn kid_selects_the_key_and_the_key_fixes_the_algorithm() {
    let ed = signing_key(Algorithm::EdDsa);
    let es = signing_key(Algorithm::Es256);
    let verifier_of = |keys: &[&SigningKey]| {
        let keys = keys.iter().map(|key| key.verifying_key()).collect();
        Verifier::new(KeySet::from_keys(keys).unwrap(), policy()).unwrap()
    };
    // A token signed by `signer` with the header `{"alg":alg,"kid":kid}`.
    let naming = |signer: &SigningKey, alg: &str, kid: &str| {
        raw_token(
            signer,
            &format!(r#"{{"alg":"{alg}","kid":"{kid}"}}"#),
            &payload(),
        )
    };
    let verifier = verifier_of(&[&ed, &es]);
    // ES256 token naming the EdDSA key's kid, and the other way round.
    expect_err(verifier.verify(&naming(&es, "ES256", ed.kid()), NOW), ALG);
    expect_err(verifier.verify(&naming(&ed, "EdDSA", es.kid()), NOW), ALG);
    // An unknown kid.
    expect_err(verifier.verify(&naming(&ed, "EdDSA", "nope"), NOW), NO_KEY);
    // No kid: the one key of that algorithm is used.
    let no_kid = raw_token(&ed, r#"{"alg":"EdDSA"}"#, &payload());
    assert!(verifier.verify(&no_kid, NOW).is_ok());

    // Two keys of one algorithm: the kid of the other key fails at the signature, and no
    // kid at all is ambiguous.
    let ed2 = SigningKey::generate(Algorithm::EdDsa, &[9; 32]).unwrap();
    let two = verifier_of(&[&ed, &ed2]);
    expect_err(two.verify(&naming(&ed, "EdDSA", ed2.kid()), NOW), SIG);
    expect_err(two.verify(&no_kid, NOW), NO_KEY);
    assert!(two.verify(&ed.sign(&claims(), None).unwrap(), NOW).is_ok());
    assert!(two.verify(&ed2.sign(&claims(), None).unwrap(), NOW).is_ok());
}

#[test]
fn embedded_keys_in_the_header_are_never_used() {
    let trusted = signing_key(Algorithm::EdDsa);
    let verifier = verifier_for(&trusted, policy());
    let attacker = SigningKey::generate(Algorithm::EdDsa, &[7; 32]).unwrap();
    let jwk = attacker.public_jwk().unwrap();
    for header in [
        format!(r#"{{"alg":"EdDSA","jwk":{jwk}}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{}","jwk":{jwk}}}"#, trusted.kid()),
        r#"{"alg":"EdDSA","jku":"https://attacker.example/jwks.json"}"#.to_owned(),
        r#"{"alg":"EdDSA","x5u":"https://attacker.example/cert.pem"}"#.to_owned(),
        r#"{"alg":"EdDSA","x5c":["MIIB"]}"#.to_owned(),
    ] {
        let token = raw_token(&attacker, &header, &payload());
        expect_err(verifier.verify(&token, NOW), SIG);
    }
}

#[test]
fn ecdsa_signature_in_der_form_is_rejected() {
    let key = signing_key(Algorithm::Es256);
    let verifier = verifier_for(&key, policy());
    let token = key.sign(&claims(), None).unwrap();
    let raw = unb64(token.split('.').nth(2).unwrap());
    // Raw r || s to ASN.1 DER SEQUENCE { INTEGER r, INTEGER s }.
    let integer = |bytes: &[u8]| {
        let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        let mut value = if trimmed[0] & 0x80 != 0 {
            vec![0]
        } else {
            vec![]
        };
        value.extend(trimmed);
        let mut out = vec![0x02, value.len() as u8];
        out.extend(value);
        out
    };
    let mut body = integer(&raw[..32]);
    body.extend(integer(&raw[32..]));
    let mut der = vec![0x30, body.len() as u8];
    der.extend(body);
    assert!((68..=72).contains(&der.len()));
    expect_err(
        verifier.verify(&replace_segment(&token, 2, &b64(&der)), NOW),
        SIG,
    );
    // Also for ES384 and ES512 (fixed 96 / 132 bytes expected).
    for alg in [Algorithm::Es384, Algorithm::Es512] {
        let key = signing_key(alg);
        let verifier = verifier_for(&key, policy());
        let token = key.sign(&claims(), None).unwrap();
        let mut raw = unb64(token.split('.').nth(2).unwrap());
        raw.insert(0, 0x30);
        expect_err(
            verifier.verify(&replace_segment(&token, 2, &b64(&raw)), NOW),
            SIG,
        );
    }
}

#[test]
fn segment_count_and_duplicated_segments() {
    let key = signing_key(Algorithm::EdDsa);
    let verifier = verifier_for(&key, policy());
    let token = key.sign(&claims(), None).unwrap();
    let [h, p, s]: [&str; 3] = token.split('.').collect::<Vec<_>>().try_into().unwrap();
    for bad in [
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{p}.{s}"),
        format!("{h}.{h}.{p}.{s}"),
        format!("{h}.{p}.{s}.{h}.{p}.{s}"),
        format!("{h}.{p}.{s}."),
        format!("{h}.{p}"),
        format!("{h}{p}{s}"),
        String::new(),
        ".".into(),
        "..".replace("..", "..."),
    ] {
        expect_err(verifier.verify(&bad, NOW), JWT);
    }
    // Two dots but segments swapped or repeated: three segments, then later stages fail.
    expect_err(verifier.verify(&format!("{p}.{h}.{s}"), NOW), JWS);
    expect_err(verifier.verify(&format!("{h}.{h}.{s}"), NOW), SIG);
    expect_err(verifier.verify("..", NOW), JWS);
}

#[test]
fn whitespace_and_padding_are_not_base64url() {
    let key = signing_key(Algorithm::Hs256);
    let verifier = verifier_for(&key, policy());
    let token = key.sign(&claims(), None).unwrap();
    assert!(verifier.verify(&token, NOW).is_ok());
    let [h, p, s]: [&str; 3] = token.split('.').collect::<Vec<_>>().try_into().unwrap();
    let mid =
        |seg: &str, ins: &str| format!("{}{ins}{}", &seg[..seg.len() / 2], &seg[seg.len() / 2..]);
    for bad in [
        format!(" {token}"),
        format!("{token} "),
        format!("{token}\n"),
        format!("{token}\r\n"),
        format!("{h} .{p}.{s}"),
        format!("{h}. {p}.{s}"),
        format!("{h}.{}.{s}", mid(p, " ")),
        format!("{h}.{}.{s}", mid(p, "\n")),
        format!("{}.{p}.{s}", mid(h, "\t")),
        format!("{h}.{p}.{}", mid(s, " ")),
        // Standard-alphabet characters.
        format!(
            "{h}.{}.{s}",
            p.replacen(|c: char| c.is_ascii_alphabetic(), "+", 1)
        ),
        format!(
            "{h}.{}.{s}",
            p.replacen(|c: char| c.is_ascii_alphabetic(), "/", 1)
        ),
    ] {
        expect_err(verifier.verify(&bad, NOW), JWS);
    }
    // Padding: pad each segment to a multiple of 4 (only meaningful when it is not).
    let pad = |seg: &str| format!("{seg}{}", "=".repeat((4 - seg.len() % 4) % 4));
    let mut padded_any = false;
    for (i, seg) in [h, p, s].iter().enumerate() {
        if seg.len() % 4 != 0 {
            padded_any = true;
            expect_err(
                verifier.verify(&replace_segment(&token, i, &pad(seg)), NOW),
                JWS,
            );
        }
        expect_err(
            verifier.verify(&replace_segment(&token, i, &format!("{seg}====")), NOW),
            JWS,
        );
    }
    assert!(padded_any, "the test token should have an unpadded segment");
    // HS256 signatures are 32 bytes: 43 characters, and the last one carries 2 zero bits.
    assert_eq!(s.len(), 43);
    let last = s.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap();
    let non_canonical = &alphabet[(index | 1)..=(index | 1)];
    let bad = format!("{h}.{p}.{}{non_canonical}", &s[..42]);
    expect_err(verifier.verify(&bad, NOW), JWS);
}

#[test]
fn oversized_tokens_are_rejected_before_decoding() {
    let key = signing_key(Algorithm::Hs256);
    let verifier = verifier_for(&key, policy());
    // Build tokens of chosen lengths by padding a claim (and a header member, to reach
    // every length modulo 4); sign with the raw signer, which has no size limit.
    let token_with_pad = |header_pad: usize, pad: usize| {
        let mut c = claims();
        c.insert("pad".into(), "x".repeat(pad).into());
        let header = format!(
            r#"{{"alg":"HS256","kid":"{}","p":"{}"}}"#,
            key.kid(),
            "h".repeat(header_pad)
        );
        let input = format!(
            "{}.{}",
            b64(header.as_bytes()),
            b64(Value::Object(c).to_string().as_bytes())
        );
        let signature = key.sign_bytes(input.as_bytes()).unwrap();
        format!("{input}.{}", b64(&signature))
    };
    let mut at_limit = None;
    let mut over_limit = None;
    'search: for header_pad in 0..4 {
        for pad in 11_900..12_100 {
            let token = token_with_pad(header_pad, pad);
            if token.len() == MAX_TOKEN_BYTES {
                at_limit = Some(token);
                over_limit = Some(token_with_pad(header_pad, pad + 1));
                break 'search;
            }
        }
    }
    let at_limit = at_limit.expect("a token of exactly 16 KiB");
    assert!(verifier.verify(&at_limit, NOW).is_ok());
    let over = over_limit.unwrap();
    assert!(over.len() > MAX_TOKEN_BYTES && over.len() <= MAX_TOKEN_BYTES + 2);
    assert_eq!(
        expect_err(verifier.verify(&over, NOW), JWT),
        revocable_core::Error::InvalidJwt("token is larger than 16 KiB")
    );
    // 17 KiB: rejected whatever it contains; the size check comes first.
    let big = token_with_pad(0, 12_800);
    assert!(
        big.len() >= 17 * 1024 && big.len() < 18 * 1024,
        "{}",
        big.len()
    );
    expect_err(verifier.verify(&big, NOW), JWT);
    expect_err(verifier.verify(&"!".repeat(17 * 1024), NOW), JWT);
}

#[test]
fn payloads_that_are_not_json_objects() {
    let key = signing_key(Algorithm::EdDsa);
    let verifier = verifier_for(&key, policy());
    let header = header_for(&key);
    for payload in [
        "[]",
        r#"[{"iss":"https://issuer.example"}]"#,
        r#""a string""#,
        "42",
        "1.5",
        "null",
        "true",
        "",
        " ",
        "{",
        r#"{"iss":"a"} trailing"#,
        r#"{"iss":"a"}{"iss":"b"}"#,
        "plain text",
    ] {
        let token = raw_token(&key, &header, payload);
        expect_err(verifier.verify(&token, NOW), JWT);
    }
    // Not UTF-8.
    let bad = key
        .sign_parts(header.as_bytes(), &[b'{', 0xff, b'}'])
        .unwrap();
    expect_err(verifier.verify(&bad, NOW), JWT);
    // Whitespace around a valid object is fine JSON.
    let spaced = format!("  {}\n", payload());
    assert!(verifier
        .verify(&raw_token(&key, &header, &spaced), NOW)
        .is_ok());
}

#[test]
fn headers_that_are_not_json_objects() {
    let key = signing_key(Algorithm::EdDsa);
    let verifier = verifier_for(&key, policy());
    for header in [
        "",
        "[]",
        r#""EdDSA""#,
        "null",
        "{",
        r#"{"alg":"EdDSA"}x"#,
        "alg=EdDSA",
    ] {
        let token = raw_token(&key, header, &payload());
        expect_err(verifier.verify(&token, NOW), JWS);
    }
    let bad = key
        .sign_parts(&[b'{', 0xff, b'}'], payload().as_bytes())
        .unwrap();
    expect_err(verifier.verify(&bad, NOW), JWS);
}

#[test]
fn duplicate_member_names_are_rejected() {
    let key = signing_key(Algorithm::EdDsa);
    let verifier = verifier_for(&key, policy());
    let header = header_for(&key);
    // Payload: a repeated sub (the second would win in JSON.parse), an escaped repeat, a
    // repeated custom claim, a nested repeat.
    let base = payload();
    let body = &base[..base.len() - 1];
    for extra in [
        r#","sub":"admin""#,
        r#","\u0073ub":"admin""#,
        r#","exp":99999999999"#,
        r#","role":"user","role":"admin""#,
        r#","realm":{"roles":["user"],"roles":["admin"]}"#,
    ] {
        let token = raw_token(&key, &header, &format!("{body}{extra}}}"));
        expect_err(verifier.verify(&token, NOW), JWT);
    }
    // Header: a repeated alg or kid.
    for header in [
        format!(r#"{{"alg":"EdDSA","alg":"EdDSA","kid":"{}"}}"#, key.kid()),
        format!(r#"{{"alg":"EdDSA","kid":"{0}","kid":"{0}"}}"#, key.kid()),
    ] {
        expect_err(verifier.verify(&raw_token(&key, &header, &base), NOW), JWS);
    }
}

/// Regression for the claims_policy fuzz finding crash-55cfde94: a nested object that repeats a
/// member name was reported as "not a json object" although it is one (the input is kept in
/// fuzz/regressions/claims_policy/nested-object-repeating-a-member-name).
#[test]
fn fuzz_finding_nested_object_repeating_a_member_name_is_reported_as_a_repeat() {
    let key = signing_key(Algorithm::EdDsa);
    let verifier = verifier_for(&key, policy());
    let base = payload();
    let body = &base[..base.len() - 1];
    for extra in [
        r#","s":{"nce":["x","api"],"a":1,"nce":["x","api"]}"#,
        r#","s":[{"n":1},{"n":1,"n":2}]"#,
    ] {
        let token = raw_token(&key, &header_for(&key), &format!("{body}{extra}}}"));
        let err = expect_err(verifier.verify(&token, NOW), JWT);
        assert_eq!(err.to_string(), "invalid jwt: claims repeat a member name");
    }
    let header = format!(
        r#"{{"alg":"EdDSA","kid":"{}","x":{{"a":1,"a":1}}}}"#,
        key.kid()
    );
    let err = expect_err(verifier.verify(&raw_token(&key, &header, &base), NOW), JWS);
    assert_eq!(err.to_string(), "invalid jws: header repeats a member name");
}

#[test]
fn policy_from_the_js_options_shape() {
    let policy: Policy = serde_json::from_str(
        r#"{"issuer":["https://issuer.example","https://other.example"],"audience":"api",
            "algorithms":["EdDSA"],"clockTolerance":5,"maxTokenAge":600,
            "requiredClaims":["sub"],"typ":"at+jwt","requireExp":true,"critical":["x-tenant"]}"#,
    )
    .unwrap();
    assert_eq!(policy.issuers.len(), 2);
    assert_eq!(policy.clock_tolerance, 5);
    assert!(
        serde_json::from_str::<Policy>(r#"{"issuer":"a","audience":"b","algorithm":"x"}"#).is_err()
    );
    assert!(serde_json::from_str::<Policy>(
        r#"{"issuer":"a","audience":"b","algorithms":["none"]}"#
    )
    .is_err());
    let key = signing_key(Algorithm::EdDsa);
    let verifier = verifier_for(&key, policy);
    assert!(verifier
        .verify(&key.sign(&claims(), Some("at+jwt")).unwrap(), NOW)
        .is_ok());
}

/// A small deterministic mutation fuzzer: every mutation of a valid token (bit flips,
/// replaced, inserted, removed and duplicated characters, truncation), for every algorithm,
/// fails with an error: never a panic, never a second accepted form of the token.
#[test]
fn mutated_tokens_never_verify_and_never_panic() {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \0";
    for alg in Algorithm::ALL {
        let key = signing_key(alg);
        let verifier = verifier_for(&key, policy());
        let token = key.sign(&claims(), Some("at+jwt")).unwrap();
        assert!(verifier.verify(&token, NOW).is_ok());
        // REVOCABLE_FUZZ_ROUNDS=100000 (with --release) for a longer run.
        let rounds = std::env::var("REVOCABLE_FUZZ_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(if alg.is_rsa() { 150 } else { 600 });
        for _ in 0..rounds {
            let mut bytes = token.clone().into_bytes();
            for _ in 0..=next(3) {
                let at = next(bytes.len());
                match next(6) {
                    0 => bytes[at] ^= 1 << next(8),
                    1 => bytes[at] = alphabet[next(alphabet.len())],
                    2 => bytes.insert(at, alphabet[next(alphabet.len())]),
                    3 => {
                        bytes.remove(at);
                    }
                    4 => bytes.truncate(at),
                    _ => {
                        let end = (at + next(64)).min(bytes.len());
                        let copy = bytes[at..end].to_vec();
                        let to = next(bytes.len());
                        bytes.splice(to..to, copy);
                    }
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let mutated = String::from_utf8_lossy(&bytes).into_owned();
            if mutated == token {
                continue;
            }
            let result = verifier.verify(&mutated, NOW);
            assert!(
                result.is_err(),
                "{alg}: a mutated token verified: {mutated}"
            );
        }
    }
}

/// ECDSA signatures are malleable: (r, n - s) verifies like (r, s). revocable accepts both,
/// as jose and WebCrypto do (their signers produce "high" s half the time, so requiring low s
/// would reject honest tokens). Nothing in revocable keys on the exact token bytes except the
/// JS verified-token cache, which re-checks expiry and revocation (by jti, sid, sub) on every
/// hit, so a second form gains nothing. This test pins the decision.
#[test]
fn ecdsa_high_s_is_accepted_by_design() {
    let key = signing_key(Algorithm::Es256);
    let verifier = verifier_for(&key, policy());
    let token = key.sign(&claims(), None).unwrap();
    let signature =
        p256::ecdsa::Signature::from_slice(&unb64(token.split('.').nth(2).unwrap())).unwrap();
    let (r, s) = signature.split_scalars();
    let negated =
        p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s.as_ref()).to_bytes()).unwrap();
    assert_ne!(negated, signature);
    let other_form = replace_segment(&token, 2, &b64(&negated.to_bytes()));
    assert_ne!(other_form, token);
    let first = verifier.verify(&token, NOW).unwrap();
    let second = verifier.verify(&other_form, NOW).unwrap();
    assert_eq!(first.claims, second.claims);
}

/// JSON edge cases of docs/verification.md ("JSON text"), in the header (before the
/// signature: attacker-controlled) and the payload.
#[test]
fn json_text_edge_cases() {
    let key = signing_key(Algorithm::Hs256);
    let verifier = verifier_for(&key, policy());
    let body = payload();
    let header = r#"{"alg":"HS256"}"#;
    let claims_with = |extra: &str| format!("{},{extra}}}", &body[..body.len() - 1]);
    // Escapes are decoded: this is HS256.
    assert!(verifier
        .verify(&raw_token(&key, r#"{"\u0061lg":"\u0048S256"}"#, &body), NOW)
        .is_ok());
    // Whitespace is JSON.
    assert!(verifier
        .verify(
            &raw_token(&key, " {\r\n \"alg\" : \"HS256\"\t}\n", &body),
            NOW
        )
        .is_ok());
    for bad_header in [
        "\u{feff}{\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"x\":\"a\0\"}",
        r#"{"alg":"HS256","x":"\ud800"}"#,
        r#"{"alg":"HS256","x":1e400}"#,
    ] {
        expect_err(
            verifier.verify(&raw_token(&key, bad_header, &body), NOW),
            JWS,
        );
    }
    for bad_payload in [
        format!("\u{feff}{body}"),
        claims_with("\"x\":\"a\0\""),
        claims_with(r#""x":"\ud800""#),
        claims_with(r#""x":1e400"#),
    ] {
        expect_err(
            verifier.verify(&raw_token(&key, header, &bad_payload), NOW),
            JWT,
        );
    }
    // Nesting: 127 levels parse, 128 fail, and a 16 KiB bracket bomb (not even signed)
    // fails cleanly. Run on a thread with a 256 KiB stack (wasm has 1 MiB) to show the
    // recursion stays far from overflowing in a debug build.
    let nested = |depth: usize| {
        format!(
            r#"{{"alg":"HS256","x":{}1{}}}"#,
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    let (ok, deep, bomb) = (
        raw_token(&key, &nested(127), &body),
        raw_token(&key, &nested(128), &body),
        format!("{}.e30.AAAA", b64(&[b'['; 12_000])),
    );
    let deep_payload = raw_token(
        &key,
        header,
        &claims_with(&format!(r#""x":{}1{}"#, "[".repeat(126), "]".repeat(126))),
    );
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            assert!(verifier.verify(&ok, NOW).is_ok());
            expect_err(verifier.verify(&deep, NOW), JWS);
            expect_err(verifier.verify(&bomb, NOW), JWS);
            assert!(verifier.verify(&deep_payload, NOW).is_ok());
        })
        .unwrap()
        .join()
        .unwrap();
}

/// RFC 8017 §5.2.2 step 1: an RSA signature is an integer below the modulus. rsa 0.9's
/// PKCS#1 v1.5 verification checks it, its PSS verification does not: `s + n` (when it
/// still fits in the modulus length) was a second accepted form of every such PS* token.
#[test]
fn rsa_signature_not_below_the_modulus_is_rejected() {
    use rsa::BigUint;

    for alg in [
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
    ] {
        let key = signing_key(alg);
        let verifier = verifier_for(&key, policy());
        let n = BigUint::from_bytes_be(&unb64(key.public_jwk().unwrap()["n"].as_str().unwrap()));
        let size = n.to_bytes_be().len();
        // PSS is randomized: sign until s + n still fits in `size` bytes (about one try in
        // three for this modulus). PKCS#1 v1.5 is deterministic: one token.
        let mut shifted = None;
        for _ in 0..(if alg.is_rsa() && alg.as_str().starts_with('P') {
            64
        } else {
            1
        }) {
            let token = key.sign(&claims(), None).unwrap();
            let s = BigUint::from_bytes_be(&unb64(token.split('.').nth(2).unwrap()));
            let sum = (s + &n).to_bytes_be();
            if sum.len() == size {
                shifted = Some(replace_segment(&token, 2, &b64(&sum)));
                break;
            }
        }
        match shifted {
            Some(token) => expect_err(verifier.verify(&token, NOW), SIG),
            None if alg.as_str().starts_with('P') => panic!("{alg}: no signature with room"),
            None => continue,
        };
        // n itself (and n - 1 + 1...) as a signature: not below the modulus either.
        let token = key.sign(&claims(), None).unwrap();
        expect_err(
            verifier.verify(&replace_segment(&token, 2, &b64(&n.to_bytes_be())), NOW),
            SIG,
        );
    }
}
