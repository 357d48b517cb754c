//! Arbitrary-precision decimals: the slow fallback behind `xs:integer`/`xs:decimal` when a value
//! leaves the fast `i64` / `rust_decimal` range (Saxon computes these with `BigInteger` and
//! `BigDecimal`, e.g. the IBAN check of BR-DE-19 turns 30+ character IBANs into 60-digit numbers).
//!
//! The representation is deliberately simple (decimal digits, little-endian) — it is only used
//! when the fast paths overflow.

use std::cmp::Ordering;

/// An exact decimal number: `(-1)^neg × mag × 10^-scale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BigDecimal {
    neg: bool,
    /// Decimal digits, least significant first, without high zeros (empty = 0).
    mag: Vec<u8>,
    scale: u32,
}

/// Digit limit of intermediate results (a guard against absurd inputs; Saxon has none, but a
/// 100,000-digit number is never a legitimate invoice value).
const MAX_DIGITS: usize = 100_000;

fn trim(mag: &mut Vec<u8>) {
    while mag.last() == Some(&0) {
        mag.pop();
    }
}

fn cmp_mag(a: &[u8], b: &[u8]) -> Ordering {
    if a.len() != b.len() {
        return a.len().cmp(&b.len());
    }
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        match x.cmp(y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

/// Compares `a × 10^-sa` with `b × 10^-sb` (trimmed magnitudes) without aligning copies.
fn cmp_aligned(a: &[u8], sa: u32, b: &[u8], sb: u32) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    // position of the leading digit relative to the decimal point
    let top_a = a.len() as i64 - i64::from(sa);
    let top_b = b.len() as i64 - i64::from(sb);
    if top_a != top_b {
        return top_a.cmp(&top_b);
    }
    // same leading position: compare digit by digit from the top, missing digits are zeros
    let n = a.len().max(b.len());
    for k in 0..n {
        let x = a
            .len()
            .checked_sub(k + 1)
            .and_then(|i| a.get(i))
            .copied()
            .unwrap_or(0);
        let y = b
            .len()
            .checked_sub(k + 1)
            .and_then(|i| b.get(i))
            .copied()
            .unwrap_or(0);
        match x.cmp(&y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

fn add_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0u8;
    for i in 0..a.len().max(b.len()) {
        let s = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
        out.push(s % 10);
        carry = s / 10;
    }
    if carry > 0 {
        out.push(carry);
    }
    trim(&mut out);
    out
}

/// `a - b` for `a >= b`.
fn sub_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i8;
    for (i, x) in a.iter().enumerate() {
        let mut d = *x as i8 - b.get(i).copied().unwrap_or(0) as i8 - borrow;
        if d < 0 {
            d += 10;
            borrow = 1;
        } else {
            borrow = 0;
        }
        out.push(d as u8);
    }
    trim(&mut out);
    out
}

/// `mag *= m` in place (`m < 10^18`, so that `9·m + carry` fits a `u64`).
fn mul_small_assign(mag: &mut Vec<u8>, m: u64) {
    if m == 0 || mag.is_empty() {
        mag.clear();
        return;
    }
    let mut carry = 0u64;
    for d in mag.iter_mut() {
        let v = u64::from(*d) * m + carry;
        *d = (v % 10) as u8;
        carry = v / 10;
    }
    while carry > 0 {
        mag.push((carry % 10) as u8);
        carry /= 10;
    }
}

/// The value of a magnitude of at most 18 digits.
fn small_value(mag: &[u8]) -> Option<u64> {
    if mag.len() > 18 {
        return None;
    }
    Some(
        mag.iter()
            .rev()
            .fold(0u64, |acc, d| acc * 10 + u64::from(*d)),
    )
}

fn mul_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    // one short factor: a single pass with a machine-word multiplier
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if let Some(m) = small_value(short) {
        let mut out = Vec::with_capacity(long.len() + short.len() + 1);
        out.extend_from_slice(long);
        mul_small_assign(&mut out, m);
        trim(&mut out);
        return out;
    }
    let mut acc = vec![0u32; a.len() + b.len()];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            if let Some(slot) = acc.get_mut(i + j) {
                *slot += u32::from(*x) * u32::from(*y);
            }
        }
    }
    let mut out = Vec::with_capacity(acc.len() + 1);
    let mut carry = 0u32;
    for v in acc {
        let s = v + carry;
        out.push((s % 10) as u8);
        carry = s / 10;
    }
    while carry > 0 {
        out.push((carry % 10) as u8);
        carry /= 10;
    }
    trim(&mut out);
    out
}

/// Multiplies a magnitude by 10^k.
fn shift(mag: &[u8], k: u32) -> Vec<u8> {
    if mag.is_empty() {
        return Vec::new();
    }
    let mut out = vec![0u8; k as usize];
    out.extend_from_slice(mag);
    out
}

/// `a -= b` in place for `a >= b`.
fn sub_assign_mag(a: &mut Vec<u8>, b: &[u8]) {
    let mut borrow = 0i8;
    for (i, x) in a.iter_mut().enumerate() {
        let mut d = *x as i8 - b.get(i).copied().unwrap_or(0) as i8 - borrow;
        if d < 0 {
            d += 10;
            borrow = 1;
        } else {
            borrow = 0;
        }
        *x = d as u8;
    }
    trim(a);
}

/// Long division of magnitudes: (quotient, remainder). `b` must not be zero.
fn divmod_mag(a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut q = vec![0u8; a.len()];
    // a small divisor: one pass with a machine-word remainder
    if b.len() <= 17 {
        let m: u64 = b.iter().rev().fold(0u64, |acc, d| acc * 10 + u64::from(*d));
        if m > 0 {
            let mut r: u128 = 0;
            for i in (0..a.len()).rev() {
                r = r * 10 + u128::from(a.get(i).copied().unwrap_or(0));
                let d = r / u128::from(m);
                r %= u128::from(m);
                if let Some(slot) = q.get_mut(i) {
                    *slot = d as u8;
                }
            }
            trim(&mut q);
            return (q, mag_from_u128(r));
        }
    }
    let mut r: Vec<u8> = Vec::with_capacity(b.len() + 1);
    for i in (0..a.len()).rev() {
        // r = r * 10 + a[i]
        r.insert(0, a.get(i).copied().unwrap_or(0));
        trim(&mut r);
        let mut d = 0u8;
        while cmp_mag(&r, b) != Ordering::Less {
            sub_assign_mag(&mut r, b);
            d += 1;
        }
        if let Some(slot) = q.get_mut(i) {
            *slot = d;
        }
    }
    trim(&mut q);
    (q, r)
}

fn mag_from_u128(mut v: u128) -> Vec<u8> {
    let mut out = Vec::new();
    while v > 0 {
        out.push((v % 10) as u8);
        v /= 10;
    }
    out
}

/// Sign, mantissa and binary exponent of a finite double: `v = ±mant × 2^e2`.
fn f64_parts(v: f64) -> (bool, u64, i32) {
    let bits = v.to_bits();
    let neg = (bits >> 63) != 0;
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    if exp == 0 {
        (neg, frac, -1074)
    } else {
        (neg, frac | (1u64 << 52), exp - 1075)
    }
}

impl BigDecimal {
    /// Zero.
    pub fn zero() -> Self {
        BigDecimal {
            neg: false,
            mag: Vec::new(),
            scale: 0,
        }
    }

    fn new(neg: bool, mut mag: Vec<u8>, scale: u32) -> Self {
        trim(&mut mag);
        let neg = neg && !mag.is_empty();
        let mut d = BigDecimal { neg, mag, scale };
        d.strip();
        d
    }

    /// Removes trailing fractional zeros.
    fn strip(&mut self) {
        let zeros = self.mag.iter().take_while(|d| **d == 0).count() as u32;
        let k = zeros.min(self.scale);
        if k > 0 {
            self.mag.drain(..k as usize);
            self.scale -= k;
        }
        if self.mag.is_empty() {
            self.scale = 0;
            self.neg = false;
        }
    }

    /// From an `i128` mantissa and a scale.
    pub fn from_i128(m: i128, scale: u32) -> Self {
        BigDecimal::new(m < 0, mag_from_u128(m.unsigned_abs()), scale)
    }

    /// Parses `[+-]?(d+(.d*)?|.d+)` (already whitespace-trimmed). `None` when not that shape.
    pub fn parse(s: &str) -> Option<Self> {
        let (neg, body) = match s.as_bytes().first() {
            Some(b'-') => (true, s.get(1..)?),
            Some(b'+') => (false, s.get(1..)?),
            _ => (false, s),
        };
        let (int, frac) = crate::split_once_ascii(body, b'.').unwrap_or((body, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if int.len() + frac.len() > MAX_DIGITS {
            return None;
        }
        let mag: Vec<u8> = int
            .bytes()
            .chain(frac.bytes())
            .rev()
            .map(|b| b - b'0')
            .collect();
        Some(BigDecimal::new(neg, mag, frac.len() as u32))
    }

    /// Exact value of a finite double (its full binary expansion, as Java's `new BigDecimal(d)`).
    pub fn from_f64_exact(v: f64) -> Option<Self> {
        if !v.is_finite() {
            return None;
        }
        if v == 0.0 {
            return Some(BigDecimal::zero());
        }
        let (neg, mant, e2) = f64_parts(v);
        let mut mag = mag_from_u128(u128::from(mant));
        // mant × 2^e2 = mant × 2^e2 (e2 ≥ 0) or mant × 5^k / 10^k (k = −e2), multiplied in
        // chunks of powers that fit a machine word
        let (base, chunk, count, scale) = if e2 >= 0 {
            (2u64, 59u32, e2 as u32, 0)
        } else {
            (5u64, 25u32, (-e2) as u32, (-e2) as u32)
        };
        let mut left = count;
        while left > 0 {
            let k = left.min(chunk);
            mul_small_assign(&mut mag, base.pow(k));
            left -= k;
        }
        Some(BigDecimal::new(neg, mag, scale))
    }

    /// [`BigDecimal::from_f64_exact`] as `(mantissa, scale)` with the trailing fractional
    /// zeros stripped, when that needs no more than an `i128` and a scale of 28 (amounts such as
    /// 1854.5 or 1854): no digit vectors. `None` for anything else (then the general one).
    pub fn f64_exact_small(v: f64) -> Option<(i128, u32)> {
        if !v.is_finite() {
            return None;
        }
        if v == 0.0 {
            return Some((0, 0));
        }
        let (neg, mant, e2) = f64_parts(v);
        // an odd mantissa: its decimal expansion ends in a non-zero digit (or is an integer)
        let tz = mant.trailing_zeros();
        let (mant, e2) = (i128::from(mant >> tz), e2 + tz as i32);
        let (m, scale) = if e2 >= 0 {
            // mant < 2^53: shifts up to 70 stay below 2^123
            if e2 > 70 {
                return None;
            }
            (mant << e2, 0)
        } else {
            let k = e2.unsigned_abs();
            if k > 28 {
                return None;
            }
            (mant.checked_mul(5i128.checked_pow(k)?)?, k)
        };
        Some((if neg { -m } else { m }, scale))
    }

    /// `(mantissa, scale)` when the mantissa fits an `i128`.
    pub fn to_i128(&self) -> Option<(i128, u32)> {
        if self.mag.len() > 38 {
            return None;
        }
        let mut v: i128 = 0;
        for d in self.mag.iter().rev() {
            v = v.checked_mul(10)?.checked_add(i128::from(*d))?;
        }
        Some((if self.neg { -v } else { v }, self.scale))
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.mag.is_empty()
    }

    /// True for negative values.
    pub fn is_negative(&self) -> bool {
        self.neg
    }

    /// True when the value has no fractional part.
    pub fn is_integer(&self) -> bool {
        self.scale == 0
    }

    fn aligned(&self, other: &BigDecimal) -> (Vec<u8>, Vec<u8>, u32) {
        let s = self.scale.max(other.scale);
        (
            shift(&self.mag, s - self.scale),
            shift(&other.mag, s - other.scale),
            s,
        )
    }

    /// Numeric comparison.
    pub fn cmp_value(&self, other: &BigDecimal) -> Ordering {
        match (self.neg, other.neg) {
            (false, true) => return Ordering::Greater,
            (true, false) => return Ordering::Less,
            _ => {}
        }
        let o = cmp_aligned(&self.mag, self.scale, &other.mag, other.scale);
        if self.neg {
            o.reverse()
        } else {
            o
        }
    }

    /// Negation.
    pub fn neg(&self) -> BigDecimal {
        BigDecimal::new(!self.neg, self.mag.clone(), self.scale)
    }

    /// Absolute value.
    pub fn abs(&self) -> BigDecimal {
        BigDecimal::new(false, self.mag.clone(), self.scale)
    }

    /// Sum.
    pub fn add(&self, other: &BigDecimal) -> Option<BigDecimal> {
        let (a, b, s) = self.aligned(other);
        if a.len().max(b.len()) > MAX_DIGITS {
            return None;
        }
        Some(if self.neg == other.neg {
            BigDecimal::new(self.neg, add_mag(&a, &b), s)
        } else {
            match cmp_mag(&a, &b) {
                Ordering::Less => BigDecimal::new(other.neg, sub_mag(&b, &a), s),
                _ => BigDecimal::new(self.neg, sub_mag(&a, &b), s),
            }
        })
    }

    /// Difference.
    pub fn sub(&self, other: &BigDecimal) -> Option<BigDecimal> {
        self.add(&other.neg())
    }

    /// Product.
    pub fn mul(&self, other: &BigDecimal) -> Option<BigDecimal> {
        if self.mag.len() + other.mag.len() > MAX_DIGITS {
            return None;
        }
        Some(BigDecimal::new(
            self.neg != other.neg,
            mul_mag(&self.mag, &other.mag),
            self.scale + other.scale,
        ))
    }

    /// Quotient rounded to `scale` fractional digits, half towards zero (Saxon's
    /// `BigDecimal.divide(…, scale, HALF_DOWN)`). `None` on division by zero.
    pub fn div(&self, other: &BigDecimal, scale: u32) -> Option<BigDecimal> {
        if other.is_zero() {
            return None;
        }
        // q = a.mag × 10^(scale + b.scale − a.scale) / b.mag
        let e = i64::from(scale) + i64::from(other.scale) - i64::from(self.scale);
        let (num, den) = if e >= 0 {
            (shift(&self.mag, e as u32), other.mag.clone())
        } else {
            (self.mag.clone(), shift(&other.mag, (-e) as u32))
        };
        if num.len() > MAX_DIGITS || den.len() > MAX_DIGITS {
            return None;
        }
        let (mut q, r) = divmod_mag(&num, &den);
        // half-down: round up only when 2r > den
        let twice = add_mag(&r, &r);
        if cmp_mag(&twice, &den) == Ordering::Greater {
            q = add_mag(&q, &[1]);
        }
        Some(BigDecimal::new(self.neg != other.neg, q, scale))
    }

    /// Integer quotient truncated towards zero (`idiv`). `None` on division by zero.
    pub fn idiv(&self, other: &BigDecimal) -> Option<BigDecimal> {
        if other.is_zero() {
            return None;
        }
        let (a, b, _) = self.aligned(other);
        let (q, _) = divmod_mag(&a, &b);
        Some(BigDecimal::new(self.neg != other.neg, q, 0))
    }

    /// Remainder with the sign of the dividend (`mod`). `None` on division by zero.
    pub fn rem(&self, other: &BigDecimal) -> Option<BigDecimal> {
        if other.is_zero() {
            return None;
        }
        let (a, b, s) = self.aligned(other);
        let (_, r) = divmod_mag(&a, &b);
        Some(BigDecimal::new(self.neg, r, s))
    }

    /// Truncation towards zero.
    pub fn trunc(&self) -> BigDecimal {
        let k = self.scale as usize;
        let mag = self.mag.get(k..).map(<[u8]>::to_vec).unwrap_or_default();
        BigDecimal::new(self.neg, mag, 0)
    }

    fn has_fraction(&self) -> bool {
        self.scale > 0 && !self.mag.is_empty()
    }

    /// Largest integer not greater.
    pub fn floor(&self) -> BigDecimal {
        let t = self.trunc();
        if self.neg && self.has_fraction() {
            t.sub(&BigDecimal::from_i128(1, 0)).unwrap_or(t)
        } else {
            t
        }
    }

    /// Smallest integer not smaller.
    pub fn ceil(&self) -> BigDecimal {
        let t = self.trunc();
        if !self.neg && self.has_fraction() {
            t.add(&BigDecimal::from_i128(1, 0)).unwrap_or(t)
        } else {
            t
        }
    }

    /// `fn:round`: nearest integer, halves towards positive infinity.
    pub fn round_half_up(&self) -> BigDecimal {
        let half = BigDecimal::from_i128(5, 1);
        match self.add(&half) {
            Some(v) => v.floor(),
            None => self.clone(),
        }
    }

    /// `fn:round-half-to-even` with `precision` fractional digits (may be negative).
    pub fn round_half_even(&self, precision: i64) -> BigDecimal {
        // scale the value so that rounding happens at the units digit
        let p = precision.clamp(-(MAX_DIGITS as i64), MAX_DIGITS as i64);
        let scaled = if p >= 0 {
            BigDecimal::new(self.neg, self.mag.clone(), self.scale).mul(&BigDecimal::new(
                false,
                shift(&[1], p as u32),
                0,
            ))
        } else {
            BigDecimal::new(self.neg, self.mag.clone(), self.scale).mul(&BigDecimal::new(
                false,
                vec![1],
                (-p) as u32,
            ))
        };
        let Some(scaled) = scaled else {
            return self.clone();
        };
        let t = scaled.trunc();
        let frac = scaled.sub(&t).unwrap_or_else(BigDecimal::zero).abs();
        let half = BigDecimal::from_i128(5, 1);
        let away = match frac.cmp_value(&half) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => t.mag.first().copied().unwrap_or(0) % 2 == 1,
        };
        let one = BigDecimal::from_i128(if scaled.neg { -1 } else { 1 }, 0);
        let r = if away { t.add(&one).unwrap_or(t) } else { t };
        // scale back
        if p >= 0 {
            BigDecimal::new(r.neg, r.mag.clone(), r.scale + p as u32)
        } else {
            r.mul(&BigDecimal::new(false, shift(&[1], (-p) as u32), 0))
                .unwrap_or(r)
        }
    }

    /// Nearest double (correctly rounded, via the decimal string).
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse::<f64>().unwrap_or(f64::NAN)
    }
}

impl std::fmt::Display for BigDecimal {
    /// The canonical XPath form: no exponent, no trailing fractional zeros, no `.` for integers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mag.is_empty() {
            return f.write_str("0");
        }
        let mut s = String::with_capacity(self.mag.len() + 3);
        if self.neg {
            s.push('-');
        }
        let scale = self.scale as usize;
        let digits: Vec<char> = self.mag.iter().rev().map(|d| (b'0' + d) as char).collect();
        if scale == 0 {
            s.extend(digits.iter());
        } else if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            s.extend(int.iter());
            s.push('.');
            s.extend(frac.iter());
        } else {
            s.push_str("0.");
            for _ in 0..(scale - digits.len()) {
                s.push('0');
            }
            s.extend(digits.iter());
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The schoolbook product, digit by digit (the reference for the fast paths).
    fn mul_reference(a: &[u8], b: &[u8]) -> Vec<u8> {
        let mut acc = vec![0u32; a.len() + b.len() + 1];
        for (i, x) in a.iter().enumerate() {
            for (j, y) in b.iter().enumerate() {
                acc[i + j] += u32::from(*x) * u32::from(*y);
            }
        }
        let mut out = Vec::new();
        let mut carry = 0u32;
        for v in acc {
            let s = v + carry;
            out.push((s % 10) as u8);
            carry = s / 10;
        }
        trim(&mut out);
        out
    }

    fn mag(s: &str) -> Vec<u8> {
        let mut m: Vec<u8> = s.bytes().rev().map(|b| b - b'0').collect();
        trim(&mut m);
        m
    }

    #[test]
    fn comparisons_match_the_aligned_comparison() {
        let vals = [
            "0",
            "1",
            "-1",
            "10",
            "9.99",
            "10.00001",
            "0.001",
            "-0.001",
            "312.86",
            "312.8600000000000136424205265939235687255859375",
            "-312.86",
            "100",
            "99.999999999999999999999999",
        ];
        for x in vals {
            for y in vals {
                let (a, b) = (
                    BigDecimal::parse(x.trim_start_matches('-')).unwrap(),
                    BigDecimal::parse(y.trim_start_matches('-')).unwrap(),
                );
                let a = if x.starts_with('-') { a.neg() } else { a };
                let b = if y.starts_with('-') { b.neg() } else { b };
                let (p, q, _) = a.aligned(&b);
                let mut expected = cmp_mag(&p, &q);
                match (a.neg, b.neg) {
                    (false, true) => expected = Ordering::Greater,
                    (true, false) => expected = Ordering::Less,
                    (true, true) => expected = expected.reverse(),
                    _ => {}
                }
                assert_eq!(a.cmp_value(&b), expected, "{x} <> {y}");
            }
        }
    }

    #[test]
    fn short_factor_products_match_the_schoolbook_product() {
        let cases = [
            "0",
            "1",
            "9",
            "10",
            "99999999999999999",
            "999999999999999999",
            "1000000000000000000",
            "9999999999999999999",
            "123456789012345678901234567890",
        ];
        for a in cases {
            for b in cases {
                assert_eq!(
                    mul_mag(&mag(a), &mag(b)),
                    mul_reference(&mag(a), &mag(b)),
                    "{a} × {b}"
                );
            }
        }
        assert!(mul_mag(&[], &mag("5")).is_empty());
    }

    /// The exact expansion, one factor of 2 or 5 at a time.
    fn f64_reference(v: f64) -> String {
        let (neg, mant, e2) = f64_parts(v);
        let mut m = mag_from_u128(u128::from(mant));
        let scale = if e2 >= 0 {
            for _ in 0..e2 {
                m = mul_reference(&m, &[2]);
            }
            0
        } else {
            for _ in 0..-e2 {
                m = mul_reference(&m, &[5]);
            }
            (-e2) as u32
        };
        BigDecimal::new(neg, m, scale).to_string()
    }

    #[test]
    fn exact_doubles_match_the_one_factor_at_a_time_expansion() {
        for v in [
            0.1,
            -0.1,
            313.86 - 1.0,
            1.0,
            -2.5,
            1e300,
            -1.7976931348623157e308,
            5e-324,
            2.2250738585072014e-308,
            123456789.125,
            9007199254740993.0,
        ] {
            assert_eq!(
                BigDecimal::from_f64_exact(v).unwrap().to_string(),
                f64_reference(v),
                "{v}"
            );
        }
        assert_eq!(BigDecimal::from_f64_exact(0.0).unwrap().to_string(), "0");
        // the small form is the general one's mantissa and scale, where it has one
        let mut small = 0;
        for v in [
            1854.5,
            -1854.0,
            0.25,
            1e15,
            3.0e20,
            0.1,
            1.0 / 3.0,
            123.456,
            5e-324,
            -0.0,
            2.0f64.powi(70),
            2.0f64.powi(71),
            1.5e300,
            0.5f64.powi(28),
            0.5f64.powi(29),
            9007199254740993.0,
        ] {
            let general = BigDecimal::from_f64_exact(v).unwrap().to_i128();
            if let Some(s) = BigDecimal::f64_exact_small(v) {
                assert_eq!(Some(s), general, "{v}");
                small += 1;
            }
        }
        assert_eq!(small, 9);
        assert!(BigDecimal::from_f64_exact(f64::NAN).is_none());
        assert!(BigDecimal::from_f64_exact(f64::INFINITY).is_none());
        assert_eq!(
            BigDecimal::from_f64_exact(0.1).unwrap().to_string(),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
    }
}
