//! The built-in simple types of XML Schema 1.0 Part 2: their lexical spaces (checked exactly, e.g.
//! `2023-02-30` is not an `xs:date`), whitespace handling, canonical forms (for enumerations and
//! fixed values) and value order (for the range facets).

use std::borrow::Cow;
use std::cmp::Ordering;

/// The `whiteSpace` facet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ws {
    /// Keep the value as is.
    Preserve,
    /// Tab, line feed and carriage return become spaces.
    Replace,
    /// Replace, then collapse runs of spaces and strip leading/trailing ones.
    Collapse,
}

fn is_xml_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Applies a `whiteSpace` facet (borrowing when nothing changes).
pub(crate) fn normalize(ws: Ws, s: &str) -> Cow<'_, str> {
    match ws {
        Ws::Preserve => Cow::Borrowed(s),
        Ws::Replace => {
            if s.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r')) {
                Cow::Owned(s.replace(['\t', '\n', '\r'], " "))
            } else {
                Cow::Borrowed(s)
            }
        }
        Ws::Collapse => {
            let b = s.as_bytes();
            let clean = !b.iter().any(|c| matches!(c, b'\t' | b'\n' | b'\r'))
                && b.first() != Some(&b' ')
                && b.last() != Some(&b' ')
                && memchr::memmem::find(b, b"  ").is_none();
            if clean {
                return Cow::Borrowed(s);
            }
            let mut out = String::with_capacity(s.len());
            for word in s.split(is_xml_ws).filter(|w| !w.is_empty()) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
            Cow::Owned(out)
        }
    }
}

macro_rules! builtins {
    ($($v:ident = $name:literal, $base:ident, $ws:ident;)*) => {
        /// A built-in simple type of XML Schema 1.0.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) enum Builtin { $($v,)* }

        impl Builtin {
            /// Every built-in simple type, base types before derived ones.
            pub(crate) const ALL: &'static [Builtin] = &[$(Builtin::$v,)*];

            /// Local name in the XML Schema namespace.
            pub(crate) fn name(self) -> &'static str {
                match self { $(Builtin::$v => $name,)* }
            }

            /// The type it is derived from (`anySimpleType` for primitives and itself).
            pub(crate) fn base(self) -> Builtin {
                match self { $(Builtin::$v => Builtin::$base,)* }
            }

            /// Its `whiteSpace` facet.
            pub(crate) fn whitespace(self) -> Ws {
                match self { $(Builtin::$v => Ws::$ws,)* }
            }
        }
    };
}

builtins! {
    AnySimpleType = "anySimpleType", AnySimpleType, Preserve;
    String = "string", AnySimpleType, Preserve;
    NormalizedString = "normalizedString", String, Replace;
    Token = "token", NormalizedString, Collapse;
    Language = "language", Token, Collapse;
    NmToken = "NMTOKEN", Token, Collapse;
    NmTokens = "NMTOKENS", AnySimpleType, Collapse;
    Name = "Name", Token, Collapse;
    NcName = "NCName", Name, Collapse;
    Id = "ID", NcName, Collapse;
    IdRef = "IDREF", NcName, Collapse;
    IdRefs = "IDREFS", AnySimpleType, Collapse;
    Entity = "ENTITY", NcName, Collapse;
    Entities = "ENTITIES", AnySimpleType, Collapse;
    Boolean = "boolean", AnySimpleType, Collapse;
    Decimal = "decimal", AnySimpleType, Collapse;
    Integer = "integer", Decimal, Collapse;
    NonPositiveInteger = "nonPositiveInteger", Integer, Collapse;
    NegativeInteger = "negativeInteger", NonPositiveInteger, Collapse;
    Long = "long", Integer, Collapse;
    Int = "int", Long, Collapse;
    Short = "short", Int, Collapse;
    Byte = "byte", Short, Collapse;
    NonNegativeInteger = "nonNegativeInteger", Integer, Collapse;
    UnsignedLong = "unsignedLong", NonNegativeInteger, Collapse;
    UnsignedInt = "unsignedInt", UnsignedLong, Collapse;
    UnsignedShort = "unsignedShort", UnsignedInt, Collapse;
    UnsignedByte = "unsignedByte", UnsignedShort, Collapse;
    PositiveInteger = "positiveInteger", NonNegativeInteger, Collapse;
    Float = "float", AnySimpleType, Collapse;
    Double = "double", AnySimpleType, Collapse;
    Duration = "duration", AnySimpleType, Collapse;
    DateTime = "dateTime", AnySimpleType, Collapse;
    Time = "time", AnySimpleType, Collapse;
    Date = "date", AnySimpleType, Collapse;
    GYearMonth = "gYearMonth", AnySimpleType, Collapse;
    GYear = "gYear", AnySimpleType, Collapse;
    GMonthDay = "gMonthDay", AnySimpleType, Collapse;
    GDay = "gDay", AnySimpleType, Collapse;
    GMonth = "gMonth", AnySimpleType, Collapse;
    HexBinary = "hexBinary", AnySimpleType, Collapse;
    Base64Binary = "base64Binary", AnySimpleType, Collapse;
    AnyUri = "anyURI", AnySimpleType, Collapse;
    QName = "QName", AnySimpleType, Collapse;
    Notation = "NOTATION", AnySimpleType, Collapse;
}

/// What the value-based facets compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Strings, names, URIs, QNames (compared as strings; no order).
    Text,
    Boolean,
    Decimal,
    Float,
    Double,
    Duration,
    /// Date/time types (the builtin tells which).
    Temporal,
    HexBinary,
    Base64Binary,
}

impl Builtin {
    /// The built-in list types: their item type.
    pub(crate) fn list_item(self) -> Option<Builtin> {
        match self {
            Builtin::NmTokens => Some(Builtin::NmToken),
            Builtin::IdRefs => Some(Builtin::IdRef),
            Builtin::Entities => Some(Builtin::Entity),
            _ => None,
        }
    }

    /// The primitive type this type is derived from.
    pub(crate) fn primitive(self) -> Builtin {
        let mut t = self;
        while t.base() != Builtin::AnySimpleType {
            t = t.base();
        }
        t
    }

    /// True when `self` is `other` or derived from it.
    pub(crate) fn derives_from(self, other: Builtin) -> bool {
        let mut t = self;
        loop {
            if t == other {
                return true;
            }
            if t == Builtin::AnySimpleType {
                return false;
            }
            t = t.base();
        }
    }

    pub(crate) fn kind(self) -> Kind {
        match self.primitive() {
            Builtin::Boolean => Kind::Boolean,
            Builtin::Decimal => Kind::Decimal,
            Builtin::Float => Kind::Float,
            Builtin::Double => Kind::Double,
            Builtin::Duration => Kind::Duration,
            Builtin::DateTime
            | Builtin::Time
            | Builtin::Date
            | Builtin::GYearMonth
            | Builtin::GYear
            | Builtin::GMonthDay
            | Builtin::GDay
            | Builtin::GMonth => Kind::Temporal,
            Builtin::HexBinary => Kind::HexBinary,
            Builtin::Base64Binary => Kind::Base64Binary,
            _ => Kind::Text,
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Lexical checks
// ----------------------------------------------------------------------------------------------

/// Checks a whitespace-normalised value against the lexical space of an atomic built-in type.
/// `Err` carries a short reason for the message.
pub(crate) fn check_lexical(b: Builtin, v: &str) -> Result<(), String> {
    match b {
        Builtin::AnySimpleType
        | Builtin::String
        | Builtin::NormalizedString
        | Builtin::Token
        | Builtin::NmTokens
        | Builtin::IdRefs
        | Builtin::Entities => Ok(()),
        Builtin::Language => {
            let ok = v.split('-').enumerate().all(|(i, part)| {
                (1..=8).contains(&part.len())
                    && if i == 0 {
                        part.bytes().all(|c| c.is_ascii_alphabetic())
                    } else {
                        part.bytes().all(|c| c.is_ascii_alphanumeric())
                    }
            });
            ok.then_some(())
                .ok_or_else(|| "not a language tag (e.g. de, en-GB)".into())
        }
        Builtin::NmToken => (!v.is_empty() && v.chars().all(is_name_char))
            .then_some(())
            .ok_or_else(|| "not an XML name token".into()),
        Builtin::Name => is_name(v)
            .then_some(())
            .ok_or_else(|| "not an XML name".into()),
        Builtin::NcName | Builtin::Id | Builtin::IdRef => is_ncname(v)
            .then_some(())
            .ok_or_else(|| "not an XML name without colon (NCName)".into()),
        Builtin::Entity => {
            if is_ncname(v) {
                Err("no unparsed entity of this name is declared".into())
            } else {
                Err("not an XML name without colon (NCName)".into())
            }
        }
        Builtin::QName | Builtin::Notation => {
            let ok = match v.split_once(':') {
                Some((p, l)) => is_ncname(p) && is_ncname(l),
                None => is_ncname(v),
            };
            ok.then_some(())
                .ok_or_else(|| "not a qualified name (prefix:name)".into())
        }
        Builtin::Boolean => matches!(v, "true" | "false" | "1" | "0")
            .then_some(())
            .ok_or_else(|| "expected true, false, 1 or 0".into()),
        Builtin::Decimal => parse_decimal(v)
            .map(|_| ())
            .ok_or_else(|| "not a decimal number (digits with optional sign and '.')".into()),
        Builtin::Float | Builtin::Double => parse_float(v)
            .map(|_| ())
            .ok_or_else(|| "not a floating-point number".into()),
        Builtin::Duration => parse_duration(v)
            .map(|_| ())
            .ok_or_else(|| "not a duration (e.g. P1Y2M3DT4H5M6S)".into()),
        Builtin::DateTime
        | Builtin::Time
        | Builtin::Date
        | Builtin::GYearMonth
        | Builtin::GYear
        | Builtin::GMonthDay
        | Builtin::GDay
        | Builtin::GMonth => parse_temporal(b, v).map(|_| ()),
        Builtin::HexBinary => (v.len().is_multiple_of(2)
            && v.bytes().all(|c| c.is_ascii_hexdigit()))
        .then_some(())
        .ok_or_else(|| "not hex-encoded binary (an even number of hex digits)".into()),
        Builtin::Base64Binary => check_base64(v),
        Builtin::AnyUri => check_any_uri(v),
        Builtin::Integer
        | Builtin::NonPositiveInteger
        | Builtin::NegativeInteger
        | Builtin::Long
        | Builtin::Int
        | Builtin::Short
        | Builtin::Byte
        | Builtin::NonNegativeInteger
        | Builtin::UnsignedLong
        | Builtin::UnsignedInt
        | Builtin::UnsignedShort
        | Builtin::UnsignedByte
        | Builtin::PositiveInteger => check_integer(b, v),
    }
}

fn check_integer(b: Builtin, v: &str) -> Result<(), String> {
    let d = parse_decimal(v)
        .filter(|_| !v.contains('.'))
        .ok_or_else(|| "not an integer".to_string())?;
    let (lo, hi): (Option<&str>, Option<&str>) = match b {
        Builtin::NonPositiveInteger => (None, Some("0")),
        Builtin::NegativeInteger => (None, Some("-1")),
        Builtin::Long => (Some("-9223372036854775808"), Some("9223372036854775807")),
        Builtin::Int => (Some("-2147483648"), Some("2147483647")),
        Builtin::Short => (Some("-32768"), Some("32767")),
        Builtin::Byte => (Some("-128"), Some("127")),
        Builtin::NonNegativeInteger => (Some("0"), None),
        Builtin::UnsignedLong => (Some("0"), Some("18446744073709551615")),
        Builtin::UnsignedInt => (Some("0"), Some("4294967295")),
        Builtin::UnsignedShort => (Some("0"), Some("65535")),
        Builtin::UnsignedByte => (Some("0"), Some("255")),
        Builtin::PositiveInteger => (Some("1"), None),
        _ => (None, None),
    };
    let below = lo
        .and_then(parse_decimal)
        .is_some_and(|lo| d.cmp_value(&lo) == Ordering::Less);
    let above = hi
        .and_then(parse_decimal)
        .is_some_and(|hi| d.cmp_value(&hi) == Ordering::Greater);
    if below || above {
        let range = match (lo, hi) {
            (Some(l), Some(h)) => format!("{l} … {h}"),
            (Some(l), None) => format!("≥ {l}"),
            (None, Some(h)) => format!("≤ {h}"),
            (None, None) => String::new(),
        };
        return Err(format!("out of the range of xs:{} ({range})", b.name()));
    }
    Ok(())
}

/// XML 1.0 (5th edition) NameStartChar.
pub(crate) fn is_name_start_char(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 (5th edition) NameChar.
pub(crate) fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

fn is_name(v: &str) -> bool {
    let b = v.as_bytes();
    if b.is_ascii() {
        return b
            .first()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'_' | b':'))
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'-' | b'.'));
    }
    let mut cs = v.chars();
    cs.next().is_some_and(is_name_start_char) && cs.all(is_name_char)
}

pub(crate) fn is_ncname(v: &str) -> bool {
    let b = v.as_bytes();
    if b.is_ascii() {
        return b
            .first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'));
    }
    is_name(v) && !v.contains(':')
}

/// A decimal number as its digit strings (leading zeros of the integer part and trailing zeros of
/// the fraction removed; zero has empty parts and is never negative).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dec<'a> {
    neg: bool,
    int: &'a str,
    frac: &'a str,
}

pub(crate) fn parse_decimal(v: &str) -> Option<Dec<'_>> {
    let (neg, body) = match v.as_bytes().first()? {
        b'-' => (true, v.get(1..)?),
        b'+' => (false, v.get(1..)?),
        _ => (false, v),
    };
    let (int, frac) = match crate::split_once_ascii(body, b'.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let zero = int.is_empty() && frac.is_empty();
    Some(Dec {
        neg: neg && !zero,
        int,
        frac,
    })
}

impl Dec<'_> {
    fn cmp_abs(&self, other: &Dec<'_>) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(other.int))
            .then_with(|| self.frac.cmp(other.frac))
    }

    pub(crate) fn cmp_value(&self, other: &Dec<'_>) -> Ordering {
        match (self.neg, other.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_abs(other),
            (true, true) => other.cmp_abs(self),
        }
    }

    /// Number of significant digits (`totalDigits`).
    pub(crate) fn total_digits(&self) -> usize {
        if self.int.is_empty() {
            // 0.00123 has 3 significant digits; 0 has one.
            self.frac.trim_start_matches('0').len().max(1)
        } else {
            self.int.len() + self.frac.len()
        }
    }

    /// Number of fraction digits (`fractionDigits`).
    pub(crate) fn fraction_digits(&self) -> usize {
        self.frac.len()
    }

    fn canonical(&self) -> String {
        let mut s = String::with_capacity(self.int.len() + self.frac.len() + 3);
        if self.neg {
            s.push('-');
        }
        s.push_str(if self.int.is_empty() { "0" } else { self.int });
        if !self.frac.is_empty() {
            s.push('.');
            s.push_str(self.frac);
        }
        s
    }
}

/// Parses the `xs:float`/`xs:double` lexical space (XSD 1.0: `INF`, `-INF`, `NaN`, decimal or
/// scientific notation); `v` must already be whitespace-collapsed.
pub(crate) fn parse_float(v: &str) -> Option<f64> {
    match v {
        "INF" => return Some(f64::INFINITY),
        "-INF" => return Some(f64::NEG_INFINITY),
        "NaN" => return Some(f64::NAN),
        _ => {}
    }
    let b = v.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let mut digits = 0;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
        digits += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let s = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    v.parse::<f64>().ok()
}

/// A duration as (negative, months, seconds with fraction digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dur {
    months: i128,
    seconds: i128,
    nanos: i128,
}

fn parse_duration(v: &str) -> Option<Dur> {
    let (neg, rest) = match v.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, v),
    };
    let rest = rest.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return None;
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    let mut months: i128 = 0;
    let mut seconds: i128 = 0;
    let mut nanos: i128 = 0;
    // Parses one part; returns how many fields it had.
    let mut parse_part = |s: &str, designators: &[u8], time: bool| -> Option<usize> {
        let mut s = s;
        let mut next = 0usize;
        let mut fields = 0usize;
        while !s.is_empty() {
            let end = s.bytes().position(|c| !(c.is_ascii_digit() || c == b'.'))?;
            let num = s.get(..end)?;
            let des = *s.as_bytes().get(end)?;
            let pos = designators.iter().position(|d| *d == des)?;
            if pos < next || num.is_empty() {
                return None;
            }
            next = pos + 1;
            let (ip, fp) = match num.split_once('.') {
                Some((i, f)) => {
                    // only seconds may have a fraction ("PT.5S" is allowed, "PT1.S" is not)
                    if !(time && des == b'S') || f.is_empty() {
                        return None;
                    }
                    (if i.is_empty() { "0" } else { i }, f)
                }
                None => (num, ""),
            };
            let n: i128 = ip.parse::<i128>().ok().filter(|n| *n < 10i128.pow(30))?;
            match (time, des) {
                (false, b'Y') => months += n * 12,
                (false, b'M') => months += n,
                (false, b'D') => seconds += n * 86_400,
                (true, b'H') => seconds += n * 3600,
                (true, b'M') => seconds += n * 60,
                (true, b'S') => {
                    seconds += n;
                    let f: String = fp.chars().chain("000000000".chars()).take(9).collect();
                    nanos += f.parse::<i128>().ok()?;
                }
                _ => return None,
            }
            fields += 1;
            s = s.get(end + 1..)?;
        }
        Some(fields)
    };
    let date_fields = parse_part(date, b"YMD", false)?;
    let time_fields = match time {
        Some(t) => {
            let n = parse_part(t, b"HMS", true)?;
            if n == 0 {
                return None;
            }
            n
        }
        None => 0,
    };
    if date_fields + time_fields == 0 {
        return None;
    }
    let sign = if neg { -1 } else { 1 };
    Some(Dur {
        months: sign * months,
        seconds: sign * seconds,
        nanos: sign * nanos,
    })
}

/// A date/time value (fields not present in the type are defaulted per XML Schema's reference
/// dateTime 1972-12-31T00:00:00).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Temporal {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Fraction of a second, without trailing zeros.
    frac: String,
    /// Offset from UTC in minutes.
    tz: Option<i32>,
}

fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, s.get(n..)?))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: Option<i64>, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        // Without a year (gMonthDay), February 29 is allowed.
        2 => match year {
            Some(y) if !is_leap(y) => 28,
            _ => 29,
        },
        _ => 0,
    }
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn parse_year(s: &str) -> Result<(i64, &str), String> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
    if n < 4 {
        return Err("the year must have at least four digits".into());
    }
    let ys = rest.get(..n).unwrap_or("");
    if n > 4 && ys.starts_with('0') {
        return Err("a year of more than four digits must not start with 0".into());
    }
    let y: i64 = ys
        .parse::<i32>()
        .map(i64::from)
        .map_err(|_| "the year is out of range".to_string())?;
    if y == 0 {
        return Err("year 0000 is not allowed".into());
    }
    Ok((if neg { -y } else { y }, rest.get(n..).unwrap_or("")))
}

fn parse_tz(s: &str) -> Result<Option<i32>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    if s == "Z" {
        return Ok(Some(0));
    }
    let bad = || "malformed time zone (expected Z or ±hh:mm)".to_string();
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, s.get(1..).unwrap_or("")),
        Some(b'-') => (-1, s.get(1..).unwrap_or("")),
        _ => return Err(bad()),
    };
    let (h, rest) = digits(rest, 2).ok_or_else(bad)?;
    let rest = rest.strip_prefix(':').ok_or_else(bad)?;
    let (m, rest) = digits(rest, 2).ok_or_else(bad)?;
    if !rest.is_empty() {
        return Err(bad());
    }
    if m > 59 || h > 14 || (h == 14 && m > 0) {
        return Err("time zone offset out of range (at most ±14:00)".into());
    }
    Ok(Some(sign * (h as i32 * 60 + m as i32)))
}

/// hh:mm:ss(.s+)? → (hour, minute, second, fraction, rest).
fn parse_time_part(s: &str) -> Result<(u32, u32, u32, String, &str), String> {
    let bad = || "malformed time (expected hh:mm:ss)".to_string();
    let (h, rest) = digits(s, 2).ok_or_else(bad)?;
    let rest = rest.strip_prefix(':').ok_or_else(bad)?;
    let (m, rest) = digits(rest, 2).ok_or_else(bad)?;
    let rest = rest.strip_prefix(':').ok_or_else(bad)?;
    let (sec, mut rest) = digits(rest, 2).ok_or_else(bad)?;
    let mut frac = String::new();
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err("a '.' in the seconds must be followed by digits".into());
        }
        frac = r.get(..n).unwrap_or("").trim_end_matches('0').to_string();
        rest = r.get(n..).unwrap_or("");
    }
    if h == 24 {
        if m != 0 || sec != 0 || !frac.is_empty() {
            return Err("hour 24 is only allowed as 24:00:00".into());
        }
    } else if h > 23 {
        return Err(format!("hour {h} is out of range"));
    }
    if m > 59 {
        return Err(format!("minute {m} is out of range"));
    }
    if sec > 59 {
        return Err(format!("second {sec} is out of range"));
    }
    Ok((h, m, sec, frac, rest))
}

fn check_day(year: Option<i64>, month: u32, day: u32) -> Result<(), String> {
    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} does not exist"));
    }
    if day == 0 || day > days_in_month(year, month) {
        let name = MONTH_NAMES
            .get(month as usize - 1)
            .copied()
            .unwrap_or_default();
        return Err(match year {
            Some(y) => format!("day {day:02} does not exist in {name} {y}"),
            None => format!("day {day:02} does not exist in {name}"),
        });
    }
    Ok(())
}

/// Parses a value of one of the eight date/time types.
pub(crate) fn parse_temporal(b: Builtin, v: &str) -> Result<Temporal, String> {
    let mut t = Temporal {
        year: 1972,
        month: 12,
        day: 31,
        hour: 0,
        minute: 0,
        second: 0,
        frac: String::new(),
        tz: None,
    };
    let form = match b {
        Builtin::DateTime => "YYYY-MM-DDThh:mm:ss",
        Builtin::Date => "YYYY-MM-DD",
        Builtin::Time => "hh:mm:ss",
        Builtin::GYearMonth => "YYYY-MM",
        Builtin::GYear => "YYYY",
        Builtin::GMonthDay => "--MM-DD",
        Builtin::GDay => "---DD",
        _ => "--MM",
    };
    let bad = |why: String| format!("{why}; expected {form} with optional time zone");
    let rest = match b {
        Builtin::DateTime | Builtin::Date | Builtin::GYearMonth | Builtin::GYear => {
            let (y, rest) = parse_year(v).map_err(bad)?;
            t.year = y;
            if b == Builtin::GYear {
                rest
            } else {
                let malformed = || bad("malformed value".into());
                let rest = rest.strip_prefix('-').ok_or_else(malformed)?;
                let (m, rest) = digits(rest, 2).ok_or_else(malformed)?;
                t.month = m;
                if b == Builtin::GYearMonth {
                    if !(1..=12).contains(&m) {
                        return Err(format!("month {m:02} does not exist"));
                    }
                    rest
                } else {
                    let rest = rest.strip_prefix('-').ok_or_else(malformed)?;
                    let (d, rest) = digits(rest, 2).ok_or_else(malformed)?;
                    t.day = d;
                    check_day(Some(y), m, d)?;
                    if b == Builtin::DateTime {
                        let rest = rest
                            .strip_prefix('T')
                            .ok_or_else(|| bad("the time part ('T' hh:mm:ss) is missing".into()))?;
                        let (h, mi, s, f, rest) = parse_time_part(rest).map_err(bad)?;
                        t.hour = h;
                        t.minute = mi;
                        t.second = s;
                        t.frac = f;
                        rest
                    } else {
                        rest
                    }
                }
            }
        }
        Builtin::Time => {
            let (h, mi, s, f, rest) = parse_time_part(v).map_err(bad)?;
            t.hour = h;
            t.minute = mi;
            t.second = s;
            t.frac = f;
            rest
        }
        Builtin::GMonthDay | Builtin::GMonth => {
            let malformed = || bad("malformed value".into());
            let rest = v.strip_prefix("--").ok_or_else(malformed)?;
            let (m, rest) = digits(rest, 2).ok_or_else(malformed)?;
            t.month = m;
            if b == Builtin::GMonthDay {
                let rest = rest.strip_prefix('-').ok_or_else(malformed)?;
                let (d, rest) = digits(rest, 2).ok_or_else(malformed)?;
                t.day = d;
                check_day(None, m, d)?;
                rest
            } else {
                if !(1..=12).contains(&m) {
                    return Err(format!("month {m:02} does not exist"));
                }
                // The first edition's "--MM--" is still accepted (as Xerces does).
                rest.strip_prefix("--").unwrap_or(rest)
            }
        }
        _ => {
            let malformed = || bad("malformed value".into());
            let rest = v.strip_prefix("---").ok_or_else(malformed)?;
            let (d, rest) = digits(rest, 2).ok_or_else(malformed)?;
            if !(1..=31).contains(&d) {
                return Err(format!("day {d:02} does not exist"));
            }
            t.day = d;
            rest
        }
    };
    t.tz = parse_tz(rest).map_err(|e| {
        if rest
            .as_bytes()
            .first()
            .is_some_and(|c| matches!(c, b'Z' | b'+' | b'-'))
        {
            e
        } else {
            bad("unexpected characters".into())
        }
    })?;
    Ok(t)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Temporal {
    /// Seconds on a common time line (local time when there is no time zone) and the fraction.
    fn key(&self) -> (i128, &str) {
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = i128::from(days) * 86_400
            + i128::from(self.hour) * 3600
            + i128::from(self.minute) * 60
            + i128::from(self.second)
            - i128::from(self.tz.unwrap_or(0)) * 60;
        (secs, &self.frac)
    }
}

/// Checks base64 text as it appears in the document: XML whitespace anywhere is ignored (what the
/// `collapse` facet followed by the lexical rule's optional single spaces amounts to), so the
/// (often megabytes long) value is checked in one pass without normalising it first.
pub(crate) fn check_base64(v: &str) -> Result<(), String> {
    const B04: &[u8] = b"AQgw";
    const B16: &[u8] = b"AEIMQUYcgkosw048";
    let bad = |why: &str| Err(format!("not valid base64: {why}"));
    #[inline(always)]
    fn is64(b: u8) -> bool {
        (b.wrapping_sub(b'A') < 26)
            | (b.wrapping_sub(b'a') < 26)
            | (b.wrapping_sub(b'0') < 10)
            | (b == b'+')
            | (b == b'/')
    }
    // Fast path: whole 64-byte blocks of base64 characters and whitespace (vectorised).
    let bytes = v.as_bytes();
    let mut n = 0usize;
    let mut done = 0usize;
    for block in bytes.chunks_exact(64) {
        // Branch-free over a fixed-size block so that it is vectorised (~6 GB/s).
        let mut invalid = 0u8;
        let mut count = 0u8;
        for &b in block {
            let letter = (b | 0x20).wrapping_sub(b'a') < 26;
            let digit = b.wrapping_sub(b'0') < 10;
            let c = u8::from(letter | digit | (b == b'+') | (b == b'/'));
            let w = u8::from((b == b' ') | (b == b'\n') | (b == b'\r') | (b == b'\t'));
            invalid |= (c | w) ^ 1;
            count += c;
        }
        if invalid != 0 {
            break;
        }
        n += usize::from(count);
        done += 64;
    }
    let head = bytes.get(..done).unwrap_or_default();
    let mut prev = head.iter().rev().copied().find(|b| is64(*b)).unwrap_or(0);
    let mut pad = 0u8;
    for &c in bytes.get(done..).unwrap_or_default() {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        n += 1;
        if c == b'=' {
            match pad {
                0 => {
                    // The character before the first '=' must have zero padding bits:
                    // "xy==" (one octet) or "xyz=" (two octets).
                    pad = 1;
                    match n % 4 {
                        0 if !B16.contains(&prev) => {
                            return bad("non-zero padding bits before '='")
                        }
                        3 if !B04.contains(&prev) => {
                            return bad("non-zero padding bits before '=='")
                        }
                        0 | 3 => {}
                        _ => return bad("misplaced '='"),
                    }
                }
                1 if n.is_multiple_of(4) => pad = 2,
                _ => return bad("misplaced '='"),
            }
            continue;
        }
        if pad > 0 {
            return bad("characters after '='");
        }
        if !is64(c) {
            return bad("invalid character");
        }
        prev = c;
    }
    if !n.is_multiple_of(4) {
        return bad("the number of base64 characters is not a multiple of 4");
    }
    Ok(())
}

/// `xs:anyURI` as Xerces (the validator behind the KoSIT pipeline) checks it: characters that
/// are not allowed in URIs are escaped first (XLink §5.4: controls, space, `<>"{}|\^` and
/// backtick, non-ASCII), then the result must parse as an RFC 2396/2732 URI reference.
fn check_any_uri(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    let mut enc = Vec::with_capacity(v.len());
    for &b in v.as_bytes() {
        let escape = !(0x20..0x7f).contains(&b)
            || matches!(
                b,
                b' ' | b'<' | b'>' | b'"' | b'{' | b'}' | b'|' | b'\\' | b'^' | b'`'
            );
        if escape {
            enc.extend_from_slice(b"%00");
        } else {
            enc.push(b);
        }
    }
    uri_reference(&enc).map_err(|why| format!("not a valid URI: {why}"))
}

fn is_mark(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
    )
}

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || is_mark(c)
}

fn is_uric(c: u8) -> bool {
    is_unreserved(c)
        || matches!(
            c,
            b';' | b'/' | b'?' | b':' | b'@' | b'&' | b'=' | b'+' | b'$' | b',' | b'[' | b']'
        )
}

fn is_path_char(c: u8) -> bool {
    is_unreserved(c)
        || matches!(
            c,
            b';' | b'/' | b':' | b'@' | b'&' | b'=' | b'+' | b'$' | b','
        )
}

/// Checks `%HH` at `i`; returns the index of its last character.
fn escape_at(s: &[u8], i: usize, what: &str) -> Result<usize, String> {
    let ok = s.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
        && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
    if ok {
        Ok(i + 2)
    } else {
        Err(format!("invalid escape sequence in the {what}"))
    }
}

fn uri_reference(s: &[u8]) -> Result<(), String> {
    let n = s.len();
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut index = 0usize;
    let mut has_scheme = false;
    if let Some(colon) = s.iter().position(|c| *c == b':') {
        if colon == 0 {
            return Err("no scheme before ':'".into());
        }
        let before = s.get(..colon).unwrap_or_default();
        if !before.iter().any(|c| matches!(c, b'/' | b'?' | b'#')) {
            let scheme_ok = before.first().is_some_and(u8::is_ascii_alphabetic)
                && before
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
            if !scheme_ok {
                return Err("invalid scheme".into());
            }
            if colon == n - 1 || at(colon + 1) == b'#' {
                return Err("empty scheme-specific part".into());
            }
            index = colon + 1;
            has_scheme = true;
        }
    }
    if index + 1 < n && at(index) == b'/' && at(index + 1) == b'/' {
        index += 2;
        let start = index;
        while index < n && !matches!(at(index), b'/' | b'?' | b'#') {
            index += 1;
        }
        if index > start {
            if !authority_ok(s.get(start..index).unwrap_or_default()) {
                index = start - 2;
            }
        } else if index >= n {
            return Err("expected an authority after '//'".into());
        }
    }
    // path: hierarchical (or relative), or the opaque part of an absolute URI
    let opaque = has_scheme && index < n && at(index) != b'/';
    while index < n {
        let c = at(index);
        if c == b'?' || c == b'#' {
            break;
        }
        if c == b'%' {
            index = escape_at(s, index, "path")?;
        } else if opaque {
            if !is_uric(c) {
                return Err(format!("invalid character {:?} in the URI", c as char));
            }
        } else if !is_path_char(c) {
            return Err(format!("invalid character {:?} in the path", c as char));
        }
        index += 1;
    }
    if at(index) == b'?' && index < n {
        index += 1;
        while index < n && at(index) != b'#' {
            let c = at(index);
            if c == b'%' {
                index = escape_at(s, index, "query")?;
            } else if !is_uric(c) {
                return Err(format!("invalid character {:?} in the query", c as char));
            }
            index += 1;
        }
    }
    if at(index) == b'#' && index < n {
        index += 1;
        while index < n {
            let c = at(index);
            if c == b'%' {
                index = escape_at(s, index, "fragment")?;
            } else if !is_uric(c) {
                return Err(format!("invalid character {:?} in the fragment", c as char));
            }
            index += 1;
        }
    }
    Ok(())
}

/// A server-based (`userinfo@host:port`) or registry-based authority.
fn authority_ok(a: &[u8]) -> bool {
    let (userinfo, rest) = match a.iter().position(|c| *c == b'@') {
        Some(i) => (a.get(..i), a.get(i + 1..).unwrap_or_default()),
        None => (None, a),
    };
    let (host, port): (&[u8], Option<&[u8]>) = if rest.first() == Some(&b'[') {
        match rest.iter().position(|c| *c == b']') {
            Some(b) if rest.get(b + 1) == Some(&b':') => {
                (rest.get(..=b).unwrap_or_default(), rest.get(b + 2..))
            }
            _ => (rest, None),
        }
    } else {
        match rest.iter().rposition(|c| *c == b':') {
            Some(c) if c > 0 => (rest.get(..c).unwrap_or_default(), rest.get(c + 1..)),
            _ => (rest, None),
        }
    };
    let port_ok = match port {
        None | Some([]) => true,
        Some(p) => std::str::from_utf8(p)
            .ok()
            .and_then(|p| p.parse::<i32>().ok())
            .is_some_and(|p| (-1..=65535).contains(&p)),
    };
    let userinfo_ok = userinfo.is_none_or(|u| {
        let mut i = 0;
        while let Some(&c) = u.get(i) {
            if c == b'%' {
                match escape_at(u, i, "") {
                    Ok(j) => i = j,
                    Err(_) => return false,
                }
            } else if !(is_unreserved(c)
                || matches!(c, b';' | b':' | b'&' | b'=' | b'+' | b'$' | b','))
            {
                return false;
            }
            i += 1;
        }
        true
    });
    if well_formed_address(host) && port_ok && userinfo_ok {
        return true;
    }
    // registry-based
    let mut i = 0;
    while let Some(&c) = a.get(i) {
        if c == b'%' {
            match escape_at(a, i, "") {
                Ok(j) => i = j,
                Err(_) => return false,
            }
        } else if !is_path_char(c) {
            return false;
        }
        i += 1;
    }
    true
}

fn well_formed_address(h: &[u8]) -> bool {
    if h.is_empty() {
        return false;
    }
    if h.first() == Some(&b'[') {
        return well_formed_ipv6_reference(h);
    }
    if matches!(h.first(), Some(b'.' | b'-')) || h.last() == Some(&b'-') {
        return false;
    }
    let trimmed = h.strip_suffix(b".").unwrap_or(h);
    let last_label_start = trimmed
        .iter()
        .rposition(|c| *c == b'.')
        .map_or(0, |i| i + 1);
    if h.get(last_label_start).is_some_and(u8::is_ascii_digit) {
        return well_formed_ipv4(h);
    }
    if h.len() > 255 {
        return false;
    }
    let mut label = 0;
    for (i, &c) in h.iter().enumerate() {
        if c == b'.' {
            let prev_ok = i > 0 && h.get(i - 1).is_some_and(u8::is_ascii_alphanumeric);
            let next_ok = h.get(i + 1).is_none_or(u8::is_ascii_alphanumeric);
            if !prev_ok || !next_ok {
                return false;
            }
            label = 0;
        } else if !c.is_ascii_alphanumeric() && c != b'-' {
            return false;
        } else {
            label += 1;
            if label > 63 {
                return false;
            }
        }
    }
    true
}

fn well_formed_ipv4(a: &[u8]) -> bool {
    let mut dots = 0;
    let mut digits = 0;
    for (i, &c) in a.iter().enumerate() {
        if c == b'.' {
            let prev_bad = i > 0 && !a.get(i - 1).is_some_and(u8::is_ascii_digit);
            let next_bad = a.get(i + 1).is_some_and(|d| !d.is_ascii_digit());
            if prev_bad || next_bad {
                return false;
            }
            digits = 0;
            dots += 1;
            if dots > 3 {
                return false;
            }
        } else if !c.is_ascii_digit() {
            return false;
        } else {
            digits += 1;
            if digits > 3 {
                return false;
            }
            if digits == 3 {
                let first = a.get(i - 2).copied().unwrap_or(b'0');
                let second = a.get(i - 1).copied().unwrap_or(b'0');
                let ok = first < b'2'
                    || (first == b'2' && (second < b'5' || (second == b'5' && c <= b'5')));
                if !ok {
                    return false;
                }
            }
        }
    }
    dots == 3
}

/// Xerces' `scanHexSequence`: returns the index where scanning stopped, or `None` when invalid.
fn scan_hex_sequence(a: &[u8], mut index: usize, end: usize, counter: &mut u32) -> Option<usize> {
    let start = index;
    let mut digits = 0usize;
    while index < end {
        let c = a.get(index).copied().unwrap_or(0);
        if c == b':' {
            if digits > 0 {
                *counter += 1;
                if *counter > 8 {
                    return None;
                }
            }
            if digits == 0 || (index + 1 < end && a.get(index + 1) == Some(&b':')) {
                return Some(index);
            }
            digits = 0;
        } else if !c.is_ascii_hexdigit() {
            if c == b'.' && digits < 4 && digits > 0 && *counter <= 6 {
                let back = index as isize - digits as isize - 1;
                return Some(if back >= start as isize {
                    back as usize
                } else {
                    (back + 1) as usize
                });
            }
            return None;
        } else {
            digits += 1;
            if digits > 4 {
                return None;
            }
        }
        index += 1;
    }
    if digits > 0 {
        *counter += 1;
        if *counter <= 8 {
            return Some(end);
        }
    }
    None
}

fn well_formed_ipv6_reference(a: &[u8]) -> bool {
    let len = a.len();
    if !(len > 2 && a.first() == Some(&b'[') && a.last() == Some(&b']')) {
        return false;
    }
    let end = len - 1;
    let mut counter = 0u32;
    let Some(mut index) = scan_hex_sequence(a, 1, end, &mut counter) else {
        return false;
    };
    if index == end {
        return counter == 8;
    }
    if index + 1 < end && a.get(index) == Some(&b':') {
        if a.get(index + 1) == Some(&b':') {
            counter += 1;
            if counter > 8 {
                return false;
            }
            index += 2;
            if index == end {
                return true;
            }
        } else {
            return counter == 6 && well_formed_ipv4(a.get(index + 1..end).unwrap_or_default());
        }
    } else {
        return false;
    }
    let prev = counter;
    match scan_hex_sequence(a, index, end, &mut counter) {
        Some(i) if i == end => true,
        Some(i) => {
            let from = if counter > prev { i + 1 } else { i };
            well_formed_ipv4(a.get(from..end).unwrap_or_default())
        }
        None => false,
    }
}

// ----------------------------------------------------------------------------------------------
// Canonical forms and order (for enumeration, fixed values and range facets)
// ----------------------------------------------------------------------------------------------

/// A canonical form of a lexically valid value, so that two values are equal in the value space
/// exactly when their canonical forms are equal (for the types whose values are compared).
pub(crate) fn canonical(b: Builtin, v: &str) -> Cow<'_, str> {
    match b.kind() {
        Kind::Text => Cow::Borrowed(v),
        Kind::Boolean => Cow::Borrowed(match v {
            "1" | "true" => "true",
            _ => "false",
        }),
        Kind::Decimal => parse_decimal(v).map_or(Cow::Borrowed(v), |d| Cow::Owned(d.canonical())),
        Kind::Float | Kind::Double => match parse_float(v) {
            Some(f) if f.is_nan() => Cow::Borrowed("NaN"),
            Some(f) if b.kind() == Kind::Float => Cow::Owned(format!("{:e}", f as f32)),
            Some(f) => Cow::Owned(format!("{f:e}")),
            None => Cow::Borrowed(v),
        },
        Kind::Duration => parse_duration(v).map_or(Cow::Borrowed(v), |d| {
            Cow::Owned(format!("{}/{}/{}", d.months, d.seconds, d.nanos))
        }),
        Kind::Temporal => parse_temporal(b, v).map_or(Cow::Borrowed(v), |t| {
            let (secs, frac) = t.key();
            Cow::Owned(format!("{secs}.{frac}/{}", t.tz.is_some()))
        }),
        Kind::HexBinary => Cow::Owned(v.to_ascii_uppercase()),
        Kind::Base64Binary => Cow::Owned(v.replace(' ', "")),
    }
}

/// Order of two lexically valid values of an ordered type; `None` when the type has no order or
/// the values are incomparable (e.g. a date with and one without time zone).
pub(crate) fn compare(b: Builtin, x: &str, y: &str) -> Option<Ordering> {
    match b.kind() {
        Kind::Decimal => Some(parse_decimal(x)?.cmp_value(&parse_decimal(y)?)),
        Kind::Float | Kind::Double => parse_float(x)?.partial_cmp(&parse_float(y)?),
        Kind::Duration => {
            let (a, c) = (parse_duration(x)?, parse_duration(y)?);
            let m = a.months.cmp(&c.months);
            let s = (a.seconds, a.nanos).cmp(&(c.seconds, c.nanos));
            match (m, s) {
                (Ordering::Equal, s) => Some(s),
                (m, Ordering::Equal) => Some(m),
                (m, s) if m == s => Some(m),
                _ => None,
            }
        }
        Kind::Temporal => {
            let (a, c) = (parse_temporal(b, x).ok()?, parse_temporal(b, y).ok()?);
            if a.tz.is_some() != c.tz.is_some() {
                // Comparable only when they differ by more than 14 hours.
                let ((sa, _), (sc, _)) = (a.key(), c.key());
                return if sa + 14 * 3600 < sc {
                    Some(Ordering::Less)
                } else if sc + 14 * 3600 < sa {
                    Some(Ordering::Greater)
                } else {
                    None
                };
            }
            let (ka, kc) = (a.key(), c.key());
            Some(ka.0.cmp(&kc.0).then_with(|| {
                let (fa, fc) = (ka.1, kc.1);
                let n = fa.len().max(fc.len());
                format!("{fa:0<n$}").cmp(&format!("{fc:0<n$}"))
            }))
        }
        _ => None,
    }
}

/// Length of a value for the length facets: characters for strings, octets for binary types.
pub(crate) fn value_length(b: Builtin, v: &str) -> usize {
    match b.kind() {
        Kind::HexBinary => v.len() / 2,
        Kind::Base64Binary => {
            let n = v.bytes().filter(|c| *c != b' ').count();
            let pad = v
                .bytes()
                .rev()
                .filter(|c| *c != b' ')
                .take_while(|c| *c == b'=')
                .count();
            ((n / 4) * 3).saturating_sub(pad.min(2))
        }
        _ => v.chars().count(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ok(b: Builtin, v: &str) -> bool {
        check_lexical(b, v).is_ok()
    }

    #[test]
    fn dates() {
        assert!(ok(Builtin::Date, "2023-02-28"));
        assert!(ok(Builtin::Date, "2024-02-29"));
        assert!(!ok(Builtin::Date, "2023-02-29"));
        assert!(!ok(Builtin::Date, "2023-02-30"));
        assert!(!ok(Builtin::Date, "20230101"));
        assert!(!ok(Builtin::Date, "2023-1-01"));
        assert!(!ok(Builtin::Date, "2023-13-01"));
        assert!(ok(Builtin::Date, "2023-01-01Z"));
        assert!(ok(Builtin::Date, "2023-01-01+14:00"));
        assert!(!ok(Builtin::Date, "2023-01-01+14:01"));
        assert!(!ok(Builtin::Date, "0000-01-01"));
        assert!(ok(Builtin::Date, "-0001-01-01"));
        assert!(ok(Builtin::Date, "12023-01-01"));
        assert!(!ok(Builtin::Date, "02023-01-01"));
        assert!(!ok(Builtin::Date, "2023-01-01 "));
        assert!(ok(Builtin::DateTime, "2023-01-01T24:00:00"));
        assert!(!ok(Builtin::DateTime, "2023-01-01T24:00:01"));
        assert!(ok(Builtin::DateTime, "2023-01-01T23:59:59.123+01:00"));
        assert!(!ok(Builtin::DateTime, "2023-01-01T23:59:59."));
        assert!(!ok(Builtin::DateTime, "2023-01-01"));
        assert!(ok(Builtin::Time, "13:20:00"));
        assert!(!ok(Builtin::Time, "13:20"));
        assert!(ok(Builtin::GMonthDay, "--02-29"));
        assert!(ok(Builtin::GYear, "2020"));
        assert!(ok(Builtin::GDay, "---31"));
        assert!(ok(Builtin::GMonth, "--12"));
        assert!(ok(Builtin::GYearMonth, "2020-12Z"));
    }

    #[test]
    fn numbers() {
        assert!(ok(Builtin::Decimal, "1.5"));
        assert!(ok(Builtin::Decimal, "-.5"));
        assert!(ok(Builtin::Decimal, "+5."));
        assert!(!ok(Builtin::Decimal, "1e5"));
        assert!(!ok(Builtin::Decimal, "."));
        assert!(!ok(Builtin::Decimal, "1,5"));
        assert!(ok(Builtin::Integer, "-0012"));
        assert!(!ok(Builtin::Integer, "1.0"));
        assert!(ok(Builtin::UnsignedByte, "255"));
        assert!(!ok(Builtin::UnsignedByte, "256"));
        assert!(!ok(Builtin::PositiveInteger, "0"));
        assert!(ok(Builtin::Long, "-9223372036854775808"));
        assert!(!ok(Builtin::Long, "9223372036854775808"));
        assert!(ok(Builtin::Double, "1.5E-3"));
        assert!(ok(Builtin::Double, "-INF"));
        assert!(!ok(Builtin::Double, "1.5E"));
        assert!(!ok(Builtin::Double, "inf"));
        let d = parse_decimal("0012.3400").unwrap();
        assert_eq!((d.total_digits(), d.fraction_digits()), (4, 2));
        assert_eq!(compare(Builtin::Decimal, "-1", "0.5"), Some(Ordering::Less));
        assert_eq!(
            compare(Builtin::Decimal, "10", "9.99"),
            Some(Ordering::Greater)
        );
        assert_eq!(canonical(Builtin::Decimal, "+010.50"), "10.5");
        assert_eq!(canonical(Builtin::Decimal, "-0.0"), "0");
    }

    #[test]
    fn others() {
        assert!(ok(Builtin::Boolean, "1"));
        assert!(!ok(Builtin::Boolean, "TRUE"));
        assert!(ok(Builtin::Base64Binary, "QUJD"));
        assert!(ok(Builtin::Base64Binary, "QUI="));
        assert!(ok(Builtin::Base64Binary, "QQ=="));
        assert!(ok(Builtin::Base64Binary, "QU JD QQ=="));
        assert!(ok(Builtin::Base64Binary, ""));
        assert!(!ok(Builtin::Base64Binary, "QUJ"));
        assert!(!ok(Builtin::Base64Binary, "QR=="));
        assert!(!ok(Builtin::Base64Binary, "Q=JD"));
        assert!(!ok(Builtin::Base64Binary, "QUJD="));
        assert!(ok(Builtin::HexBinary, "0aFF"));
        assert!(!ok(Builtin::HexBinary, "0aF"));
        assert!(ok(Builtin::Language, "de-DE"));
        assert!(!ok(Builtin::Language, "de_DE"));
        assert!(ok(Builtin::NcName, "a-b.c"));
        assert!(!ok(Builtin::NcName, "a:b"));
        assert!(!ok(Builtin::NcName, "1a"));
        assert!(ok(Builtin::AnyUri, "http://example.com/a b"));
        assert!(!ok(Builtin::AnyUri, "http://x/%zz"));
        assert!(!ok(Builtin::AnyUri, "a#b#c"));
        assert!(ok(Builtin::Duration, "P1Y2M3DT4H5M6.7S"));
        assert!(ok(Builtin::Duration, "-PT1S"));
        assert!(!ok(Builtin::Duration, "P"));
        assert!(!ok(Builtin::Duration, "P1YT"));
        assert!(!ok(Builtin::Duration, "P1D2Y"));
        assert_eq!(normalize(Ws::Collapse, "  a \n b  "), "a b");
        assert_eq!(normalize(Ws::Replace, "a\tb"), "a b");
        assert!(matches!(normalize(Ws::Collapse, "a b"), Cow::Borrowed(_)));
    }
}
