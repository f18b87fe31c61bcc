//! JSON numbers: the RFC 8259 §6 grammar, the `f64` range check, and exact conversions to
//! the integers the core needs (NumericDates, feed times, policy seconds).
//!
//! No floating point: a NumericDate's floor and ceiling come from its decimal digits, so
//! `exp: 1700000000.9999999999999999` is 1700000000 (the strict direction), where going
//! through the nearest `f64` (1700000001.0) would have given one second more.

use super::{Malformed, Result};

/// `2^1024 - 2^970`, the halfway point between `f64::MAX` and `2^1024`: a decimal at least
/// this large rounds to infinity (ties to even). serde_json rejected such numbers as out of
/// range, and so does this reader.
const F64_OVERFLOW: &[u8; 309] = b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// Exponents are clamped to this magnitude while parsing: beyond it every nonzero number is
/// out of range (or rounds to zero) whatever its digits, since the input is far shorter.
const EXPONENT_LIMIT: i64 = 1 << 40;

/// A JSON number, kept as its (grammar-checked, in-range) text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Number<'a> {
    text: &'a str,
    /// Where the integer digits end (at `.`, `e`, `E` or the end).
    int_end: usize,
    /// Where the fraction digits end (at `e`, `E` or the end); `int_end` when none.
    frac_end: usize,
    /// The magnitude, when the number is written as an integer (no fraction, no exponent)
    /// below 2^64: the common case (NumericDates), converted without the general path.
    integer: Option<u64>,
}

/// Rounding direction of [`Number::to_i64_rounded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Round {
    /// Towards negative infinity.
    Floor,
    /// Towards positive infinity.
    Ceil,
}

#[inline]
fn digits(src: &[u8], mut i: usize) -> usize {
    while let Some(b'0'..=b'9') = src.get(i) {
        i += 1;
    }
    i
}

impl<'a> Number<'a> {
    /// Parses the number at the start of `src`; returns it and its length. The number ends
    /// where the grammar does (what follows is the caller's to check).
    #[inline]
    pub(crate) fn parse(src: &'a [u8]) -> Result<(Self, usize)> {
        let mut i = usize::from(src.first() == Some(&b'-'));
        let mut integer = Some(0_u64);
        match src.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while let Some(&d @ b'0'..=b'9') = src.get(i) {
                    integer = integer
                        .and_then(|v| v.checked_mul(10))
                        .and_then(|v| v.checked_add(u64::from(d - b'0')));
                    i += 1;
                }
            }
            _ => return Err(Malformed),
        }
        let int_end = i;
        if src.get(i) == Some(&b'.') {
            i = digits(src, i + 1);
            if i == int_end + 1 {
                return Err(Malformed);
            }
        }
        let frac_end = i;
        if let Some(b'e' | b'E') = src.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = src.get(i) {
                i += 1;
            }
            let start = i;
            i = digits(src, i);
            if i == start {
                return Err(Malformed);
            }
        }
        // ASCII digits and signs: always UTF-8.
        let text = core::str::from_utf8(src.get(..i).ok_or(Malformed)?).map_err(|_| Malformed)?;
        let plain = i == int_end;
        let number = Self {
            text,
            int_end,
            frac_end,
            integer: integer.filter(|_| plain),
        };
        // Without an exponent the value is below 10^(integer digits): only a text of over 308
        // integer digits can be out of range.
        if (frac_end != i || int_end > 308) && number.beyond_f64() {
            return Err(Malformed);
        }
        Ok((number, i))
    }

    /// The number as written.
    #[cfg(test)]
    #[inline]
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    #[inline]
    fn negative(&self) -> bool {
        self.text.starts_with('-')
    }

    /// Integer digits then fraction digits (the significand, with leading zeros).
    #[inline]
    fn significand(&self) -> impl Iterator<Item = u8> + Clone + 'a {
        let bytes = self.text.as_bytes();
        let int = bytes
            .get(usize::from(self.negative())..self.int_end)
            .unwrap_or_default();
        let frac = bytes
            .get((self.int_end + 1).min(self.frac_end)..self.frac_end)
            .unwrap_or_default();
        int.iter().chain(frac).map(|d| d - b'0')
    }

    /// The written exponent (0 when none), clamped to +-[`EXPONENT_LIMIT`].
    #[inline]
    fn exponent(&self) -> i64 {
        let bytes = self.text.as_bytes();
        let Some(rest) = bytes.get(self.frac_end + 1..) else {
            return 0;
        };
        let (negative, rest) = match rest.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, rest),
        };
        let mut value: i64 = 0;
        for d in rest {
            value = (value * 10 + i64::from(d - b'0')).min(EXPONENT_LIMIT);
        }
        if negative {
            -value
        } else {
            value
        }
    }

    /// How many significand digits stand before the decimal point once the exponent is
    /// applied (may be negative or beyond the digits).
    #[inline]
    fn point(&self) -> i64 {
        let int_digits = self.int_end - usize::from(self.negative());
        i64::try_from(int_digits)
            .unwrap_or(i64::MAX)
            .saturating_add(self.exponent())
    }

    /// True when the value rounds to an infinite `f64` (what serde_json rejects).
    #[inline]
    fn beyond_f64(&self) -> bool {
        let leading_zeros = self.significand().take_while(|d| *d == 0).count();
        let mut digits = self.significand().skip(leading_zeros).peekable();
        if digits.peek().is_none() {
            return false; // zero, whatever the exponent
        }
        // The value is 0.d1d2d3... * 10^magnitude with d1 != 0.
        let magnitude = self
            .point()
            .saturating_sub(i64::try_from(leading_zeros).unwrap_or(i64::MAX));
        match magnitude {
            ..=308 => false,
            309 => {
                // Compare with 2^1024 - 2^970 digit by digit (missing digits are zeros).
                let mut digits = digits.chain(core::iter::repeat(0));
                for &limit in F64_OVERFLOW {
                    let d = digits.next().unwrap_or(0);
                    if d != limit - b'0' {
                        return d > limit - b'0';
                    }
                }
                true // equal to the halfway point: rounds to even, which is infinity
            }
            _ => true,
        }
    }

    /// `(magnitude of the integer part, saturated to u64; fraction is nonzero)`.
    #[inline]
    fn integer_part(&self) -> (u64, bool) {
        let point = self.point();
        let mut integer: u64 = 0;
        let mut fraction = false;
        let mut at: i64 = 0;
        for d in self.significand() {
            if at < point {
                integer = integer.saturating_mul(10).saturating_add(u64::from(d));
            } else if d != 0 {
                fraction = true;
                break;
            }
            at += 1;
        }
        // Zeros the exponent appends past the written digits (at most 20 matter).
        if integer != 0 {
            for _ in at..point.min(at.saturating_add(20)) {
                integer = integer.saturating_mul(10);
            }
            if point.saturating_sub(at) > 20 {
                integer = u64::MAX;
            }
        }
        (integer, fraction)
    }

    /// The exact value rounded in `round`'s direction, saturated to the `i64` range
    /// (`1e300` is `i64::MAX`, `-1e300` is `i64::MIN`); and whether it had a nonzero
    /// fraction. For NumericDates.
    #[inline]
    pub(crate) fn to_i64_rounded(self, round: Round) -> (i64, bool) {
        let (integer, fraction) = match self.integer {
            Some(integer) => (integer, false),
            None => self.integer_part(),
        };
        // Away from zero: the ceiling of a positive number, the floor of a negative one.
        let away = match (self.negative(), round) {
            (false, Round::Ceil) | (true, Round::Floor) => u64::from(fraction),
            _ => 0,
        };
        let magnitude = integer.saturating_add(away);
        let value = if self.negative() {
            // -(2^63) is the one magnitude beyond i64::MAX that still fits.
            0_i64.checked_sub_unsigned(magnitude).unwrap_or(i64::MIN)
        } else {
            i64::try_from(magnitude).unwrap_or(i64::MAX)
        };
        (value, fraction)
    }

    /// The value when it is written as an integer (no fraction, no exponent) that fits
    /// `i64`, as serde_json deserialized an `i64`. `-0` is `None`: serde_json read it as a
    /// float, which an `i64` field rejects.
    #[inline]
    pub(crate) fn to_i64(self) -> Option<i64> {
        let magnitude = self.integer?;
        if self.negative() {
            if magnitude == 0 {
                return None;
            }
            0_i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        }
    }

    /// The value when it is a non-negative integer (as written) that fits `u32`.
    #[inline]
    pub(crate) fn to_u32(self) -> Option<u32> {
        if self.negative() {
            return None;
        }
        self.to_i64().and_then(|v| u32::try_from(v).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Result<Number<'_>> {
        let (n, len) = Number::parse(text.as_bytes())?;
        assert_eq!(len, text.len(), "{text}");
        Ok(n)
    }

    #[test]
    fn grammar() {
        for ok in [
            "0",
            "-0",
            "1",
            "-1",
            "10",
            "0.5",
            "-0.5",
            "1e5",
            "1E5",
            "1e+5",
            "1e-5",
            "1.5e3",
            "0e0",
            "0.0",
            "123456789012345678901234567890",
            "1e-400",
            "0e999999999999999999",
        ] {
            assert!(num(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "-", "+1", ".5", "-.5", "1.", "1.e5", "1e", "1e+", "e5", "x", "-x",
        ] {
            assert!(Number::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        // The grammar stops where the number does; what follows is the caller's.
        for (text, len) in [("01", 1), ("1.5.5", 3), ("1e5e5", 3), ("-0x", 2), ("1 ", 1)] {
            assert_eq!(Number::parse(text.as_bytes()).unwrap().1, len, "{text}");
        }
    }

    #[test]
    fn f64_range() {
        let limit = std::str::from_utf8(F64_OVERFLOW).unwrap();
        let as_exponent = |digits: &str| format!("{}.{}e308", &digits[..1], &digits[1..]);
        let below = format!("{}1", &limit[..308]);
        let mut ok = vec![
            "1e308".to_owned(),
            "-1e308".to_owned(),
            "1.7976931348623157e308".to_owned(),
            format!("17976931348623157{}", "0".repeat(292)),
            as_exponent(&below),
            below.clone(),
            "0.00001e313".to_owned(),
            "1e-99999".to_owned(),
        ];
        ok.push(format!("-{below}"));
        for text in &ok {
            assert!(num(text).is_ok(), "{text}");
        }
        let bad = [
            "1e309".to_owned(),
            "-1e309".to_owned(),
            "1e400".to_owned(),
            "1.7976931348623159e308".to_owned(),
            limit.to_owned(),
            format!("-{limit}"),
            as_exponent(limit),
            format!("{}0001", as_exponent(limit).trim_end_matches("e308")) + "e308",
            format!("{limit}.5"),
            "1e99999999999999999999".to_owned(),
            format!("1{}e300", "0".repeat(38)),
        ];
        for text in &bad {
            assert!(num(text).is_err(), "{text}");
        }
        // The boundary agrees with the standard library's correctly rounded parser.
        for text in ok.iter().chain(&bad).map(String::as_str).chain([
            "1.7976931348623158e308",
            "1.797693134862315807e308",
            "1.7976931348623158079e308",
            "1.79769313486231580793e308",
        ]) {
            let inf = text.parse::<f64>().unwrap().is_infinite();
            assert_eq!(num(text).is_err(), inf, "{text}");
        }
    }

    #[test]
    fn rounding_is_exact_and_saturating() {
        let r = |text: &str, round| num(text).unwrap().to_i64_rounded(round);
        use Round::{Ceil, Floor};
        assert_eq!(r("10", Floor), (10, false));
        assert_eq!(r("10.9", Floor), (10, true));
        assert_eq!(r("10.1", Ceil), (11, true));
        assert_eq!(r("-0.5", Ceil), (0, true));
        assert_eq!(r("-0.5", Floor), (-1, true));
        assert_eq!(r("-7.25", Floor), (-8, true));
        assert_eq!(r("-7.25", Ceil), (-7, true));
        assert_eq!(r("7.0", Ceil), (7, false));
        assert_eq!(r("7e0", Ceil), (7, false));
        assert_eq!(r("700e-2", Ceil), (7, false));
        assert_eq!(r("701e-2", Ceil), (8, true));
        assert_eq!(r("0.07e2", Floor), (7, false));
        assert_eq!(r("-0", Floor), (0, false));
        assert_eq!(r("-0.0", Ceil), (0, false));
        assert_eq!(r("0e99999999999999999999", Ceil), (0, false));
        assert_eq!(r("1e-400", Ceil), (1, true));
        assert_eq!(r("1e-400", Floor), (0, true));
        assert_eq!(r("-1e-400", Floor), (-1, true));
        assert_eq!(
            r("1700000000.9999999999999999", Floor),
            (1_700_000_000, true)
        );
        assert_eq!(
            r("1700000000.0000000000000001", Ceil),
            (1_700_000_001, true)
        );
        assert_eq!(r("1e300", Floor), (i64::MAX, false));
        assert_eq!(r("-1e300", Ceil), (i64::MIN, false));
        assert_eq!(r("1e18", Floor), (1_000_000_000_000_000_000, false));
        assert_eq!(r("1e19", Floor), (i64::MAX, false));
        assert_eq!(r("9223372036854775807", Floor), (i64::MAX, false));
        assert_eq!(r("9223372036854775807.5", Ceil), (i64::MAX, true));
        assert_eq!(r("-9223372036854775808", Floor), (i64::MIN, false));
        assert_eq!(r("-9223372036854775808.5", Floor), (i64::MIN, true));
        assert_eq!(r("-9223372036854775807.5", Floor), (i64::MIN, true));
        assert_eq!(r("18446744073709551615", Floor), (i64::MAX, false));
        assert_eq!(r("99999999999999999999999", Floor), (i64::MAX, false));
        assert_eq!(r("0.000000000000000000000000001e27", Floor), (1, false));
        assert_eq!(r("1234.5678e2", Floor), (123_456, true));
        assert_eq!(r("1234.5678e4", Floor), (12_345_678, false));
        assert_eq!(r("1234.5678e6", Floor), (1_234_567_800, false));
    }

    #[test]
    fn exact_integers() {
        let i = |text: &str| num(text).unwrap().to_i64();
        assert_eq!(i("0"), Some(0));
        assert_eq!(i("-0"), None);
        assert_eq!(i("5"), Some(5));
        assert_eq!(i("-5"), Some(-5));
        assert_eq!(i("1.5"), None);
        assert_eq!(i("1.0"), None);
        assert_eq!(i("1e3"), None);
        assert_eq!(i("9223372036854775807"), Some(i64::MAX));
        assert_eq!(i("9223372036854775808"), None);
        assert_eq!(i("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(i("-9223372036854775809"), None);
        assert_eq!(i("18446744073709551616"), None);
        assert_eq!(i("100000000000000000000000000"), None);
        let u = |text: &str| num(text).unwrap().to_u32();
        assert_eq!(u("0"), Some(0));
        assert_eq!(u("4294967295"), Some(u32::MAX));
        assert_eq!(u("4294967296"), None);
        assert_eq!(u("-1"), None);
        assert_eq!(u("-0"), None);
        assert_eq!(u("5.0"), None);
    }
}
