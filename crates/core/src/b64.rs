//! Strict base64url (RFC 7515 §2: no padding, no whitespace, canonical trailing bits).
//!
//! `base64ct`'s `Base64UrlUnpadded` already rejects `=`, whitespace, characters outside the
//! URL-safe alphabet, impossible lengths (`len % 4 == 1`) and non-canonical trailing bits
//! (it re-encodes the last block and compares). It is also constant time, which matters
//! for the `k` and `d` members of keys. The tests below pin every one of those behaviours,
//! so a dependency update that relaxes them fails here first.

use alloc::{string::String, vec, vec::Vec};

use base64ct::{Base64UrlUnpadded, Encoding};

/// Why a segment did not decode. The caller maps it to its own error (a token segment is
/// `ERR_JWS_INVALID`, a key member is `ERR_JWK_INVALID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidBase64;

/// The number of bytes `encoded_len` base64url characters decode to (upper bound for
/// lengths that are not valid).
#[inline]
pub(crate) const fn decoded_len(encoded_len: usize) -> usize {
    encoded_len / 4 * 3 + (encoded_len % 4) * 3 / 4
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

/// Reverse alphabet for [`decode_public_into`]: the 6-bit value of each base64url character,
/// `0xff` for every other byte.
const DECODE_TABLE: [u8; 256] = {
    let mut table = [0xff_u8; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Strict base64url like [`decode_vec`], but table-driven and NOT constant time: for
/// token segments, which are public (the header and payload are readable by anyone holding
/// the token, the signature is no secret). Key material keeps the constant-time decoder.
/// Accepts exactly what `base64ct` accepts (a unit test compares them on every
/// single-character substitution): the URL-safe alphabet, no padding or whitespace, no
/// `len % 4 == 1`, canonical trailing bits. Returns the decoded length (`dst` must hold
/// [`decoded_len`] bytes).
#[inline]
pub(crate) fn decode_public_into(src: &[u8], dst: &mut [u8]) -> Result<usize, InvalidBase64> {
    let out_len = decoded_len(src.len());
    if src.len() % 4 == 1 || dst.len() < out_len {
        return Err(InvalidBase64);
    }
    let value = |c: u8| u32::from(DECODE_TABLE[usize::from(c)]);
    let mut chunks = src.chunks_exact(4);
    let mut out = dst.chunks_exact_mut(3);
    for (chunk, bytes) in (&mut chunks).zip(&mut out) {
        let (a, b, c, d) = (
            value(chunk[0]),
            value(chunk[1]),
            value(chunk[2]),
            value(chunk[3]),
        );
        // An invalid character maps to 0xff: any of its top two bits makes the OR >= 64.
        if (a | b | c | d) >= 64 {
            return Err(InvalidBase64);
        }
        let n = (a << 18) | (b << 12) | (c << 6) | d;
        bytes.copy_from_slice(&n.to_be_bytes()[1..]);
    }
    let tail = chunks.remainder();
    let written = src.len() / 4 * 3;
    match *tail {
        [] => {}
        [a, b] => {
            let (a, b) = (value(a), value(b));
            // The last character carries 4 bits that must be zero (canonical encoding).
            if (a | b) >= 64 || b & 0x0f != 0 {
                return Err(InvalidBase64);
            }
            dst[written] = ((a << 2) | (b >> 4)) as u8;
        }
        [a, b, c] => {
            let (a, b, c) = (value(a), value(b), value(c));
            if (a | b | c) >= 64 || c & 0x03 != 0 {
                return Err(InvalidBase64);
            }
            let n = (a << 10) | (b << 4) | (c >> 2);
            dst[written] = (n >> 8) as u8;
            dst[written + 1] = n as u8;
        }
        _ => return Err(InvalidBase64),
    }
    Ok(out_len)
}

/// Decodes a public token segment (fast, not constant time) into `stack` when it fits, else
/// into `heap` (cleared and reused). Returns the decoded bytes.
#[inline]
pub(crate) fn decode_public_buffered<'b>(
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
    let written = decode_public_into(src, dst)?;
    Ok(&dst[..written])
}

/// [`decode_vec`] for public token segments (fast, not constant time).
#[inline]
pub(crate) fn decode_public_vec(src: &[u8]) -> Result<Vec<u8>, InvalidBase64> {
    let mut out = vec![0_u8; decoded_len(src.len())];
    let len = decode_public_into(src, &mut out)?;
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
            // Both sides of the stack buffer's size, and the heap buffer reused.
            let mut stack = [0_u8; 16];
            let mut heap = vec![0xa5; 100];
            assert_eq!(
                decode_public_buffered(enc.as_bytes(), &mut stack, &mut heap),
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

    /// The fast decoder for public segments accepts and produces exactly what the
    /// constant-time one does: every length up to 70, and every single-byte substitution
    /// (all 256 values) at every position of encodings of lengths 0 to 13.
    #[test]
    fn public_decoder_agrees_with_base64ct() {
        let check = |s: &[u8]| {
            let fast = decode_public_vec(s);
            assert_eq!(fast, decode_vec(s), "{:?}", String::from_utf8_lossy(s));
            let mut stack = [0_u8; 8];
            let mut heap = Vec::new();
            assert_eq!(
                decode_public_buffered(s, &mut stack, &mut heap).map(<[u8]>::to_vec),
                fast
            );
        };
        for len in 0..70 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 151 + 7) as u8).collect();
            check(encode(&bytes).as_bytes());
        }
        for len in 0..14 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 97 + 200) as u8).collect();
            let encoded = encode(&bytes).into_bytes();
            for pos in 0..encoded.len() {
                for byte in 0..=255_u8 {
                    let mut mutated = encoded.clone();
                    mutated[pos] = byte;
                    check(&mutated);
                }
            }
            // Extra and missing characters, padding.
            for extra in [b'A', b'=', b' ', b'.'] {
                let mut longer = encoded.clone();
                longer.push(extra);
                check(&longer);
            }
        }
        for s in [
            "", "Q", "QQ", "QR", "QUJ", "QUI", "QQ==", "QUJD", "QUJDR", "-_8", "+/8",
        ] {
            check(s.as_bytes());
        }
    }

    #[test]
    fn decoded_len_is_exact_for_valid_lengths() {
        for len in 0..100 {
            assert_eq!(decoded_len(encode(&vec![0; len]).len()), len);
        }
    }
}
