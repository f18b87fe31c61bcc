//! Strict base64url (RFC 7515 §2: no padding, no whitespace, canonical trailing bits).
//!
//! `base64ct`'s `Base64UrlUnpadded` already rejects `=`, whitespace, characters outside the
//! URL-safe alphabet, impossible lengths (`len % 4 == 1`) and non-canonical trailing bits
//! (it re-encodes the last block and compares). It is also constant time, which matters
//! for the `k` and `d` members of keys. The tests below pin every one of those behaviours,
//! so a dependency update that relaxes them fails here first.

use base64ct::{Base64UrlUnpadded, Encoding};

/// Why a segment did not decode. The caller maps it to its own error (a token segment is
/// `ERR_JWS_INVALID`, a key member is `ERR_JWK_INVALID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidBase64;

/// The number of bytes `encoded_len` base64url characters decode to (upper bound for
/// lengths that are not valid).
pub(crate) const fn decoded_len(encoded_len: usize) -> usize {
    encoded_len / 4 * 3 + (encoded_len % 4) * 3 / 4
}

/// Decodes into `stack` when it fits, else into `heap` (cleared and reused). Returns the
/// decoded bytes. Used on the hot path so that headers and signatures never allocate.
pub(crate) fn decode_buffered<'b>(
    src: &[u8],
    stack: &'b mut [u8],
    heap: &'b mut Vec<u8>,
) -> Result<&'b [u8], InvalidBase64> {
    let len = decoded_len(src.len());
    let dst = if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.clear();
        heap.resize(len, 0);
        &mut heap[..]
    };
    let decoded = Base64UrlUnpadded::decode(src, dst).map_err(|_| InvalidBase64)?;
    Ok(decoded)
}

/// Decodes into a new vector (payloads, key members).
pub(crate) fn decode_vec(src: &[u8]) -> Result<Vec<u8>, InvalidBase64> {
    let mut out = vec![0_u8; decoded_len(src.len())];
    let len = Base64UrlUnpadded::decode(src, &mut out)
        .map_err(|_| InvalidBase64)?
        .len();
    out.truncate(len);
    Ok(out)
}

/// Encodes without padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Appends the encoding of `bytes` to `out` (token assembly without intermediate strings).
#[cfg(feature = "sign")]
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    out.push_str(&Base64UrlUnpadded::encode_string(bytes));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Result<Vec<u8>, InvalidBase64> {
        decode_vec(s.as_bytes())
    }

    #[test]
    fn round_trips_every_length() {
        for len in 0..70 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let enc = encode(&bytes);
            assert!(!enc.contains('='));
            assert_eq!(dec(&enc), Ok(bytes.clone()), "len {len}");
            let mut stack = [0_u8; 16];
            let mut heap = Vec::new();
            assert_eq!(
                decode_buffered(enc.as_bytes(), &mut stack, &mut heap),
                Ok(&bytes[..])
            );
        }
    }

    #[test]
    fn uses_the_url_safe_alphabet() {
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(dec("-_8"), Ok(vec![0xfb, 0xff]));
        // The standard alphabet's '+' and '/' are not base64url.
        assert_eq!(dec("+/8"), Err(InvalidBase64));
    }

    #[test]
    fn rejects_padding() {
        assert_eq!(dec("QQ"), Ok(b"A".to_vec()));
        assert_eq!(dec("QQ=="), Err(InvalidBase64));
        assert_eq!(dec("QUI="), Err(InvalidBase64));
        assert_eq!(dec("="), Err(InvalidBase64));
    }

    #[test]
    fn rejects_whitespace_anywhere() {
        for s in [" QUJD", "QUJD ", "QU JD", "QUJD\n", "QU\tJD", "\r\nQUJD"] {
            assert_eq!(dec(s), Err(InvalidBase64), "{s:?}");
        }
    }

    #[test]
    fn rejects_non_canonical_trailing_bits() {
        // "QQ" is the canonical encoding of "A" (0x41); "QR".."QV" carry the same byte
        // with non-zero padding bits and must not decode to it.
        for s in ["QR", "QS", "QT", "QV", "Qf"] {
            assert_eq!(dec(s), Err(InvalidBase64), "{s:?}");
        }
        // Two-byte group: "QUI" is "AB"; "QUJ" differs only in the 2 trailing bits.
        assert_eq!(dec("QUI"), Ok(b"AB".to_vec()));
        assert_eq!(dec("QUJ"), Err(InvalidBase64));
    }

    #[test]
    fn rejects_impossible_lengths_and_foreign_bytes() {
        assert_eq!(dec("Q"), Err(InvalidBase64));
        assert_eq!(dec("QUJDR"), Err(InvalidBase64));
        assert_eq!(dec("QU.D"), Err(InvalidBase64));
        assert_eq!(dec("QUJ\u{e9}"), Err(InvalidBase64));
        assert_eq!(dec("QUJ\0"), Err(InvalidBase64));
        assert_eq!(dec(""), Ok(Vec::new()));
    }

    #[test]
    fn decoded_len_is_exact_for_valid_lengths() {
        for len in 0..100 {
            assert_eq!(decoded_len(encode(&vec![0; len]).len()), len);
        }
    }
}
