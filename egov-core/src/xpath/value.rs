//! The XPath data model as evaluated here: nodes of an [`egov_core::xml::Document`](crate::xml)
//! and the atomic types the rules need, with XPath 2.0 casting, comparison and arithmetic.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::rc::Rc;

use rust_decimal::Decimal;

use super::big::BigDecimal;
use super::functions::Builtin;
use super::XPathError;
use crate::xml::{Attribute, Node, NodeKind};

/// A string value: borrowed from the document or the compiled expression, short and inline,
/// or owned.
#[derive(Clone)]
pub enum Str<'a> {
    /// Borrowed.
    Borrowed(&'a str),
    /// Short strings (numbers, codes) without a heap allocation.
    Inline(InlineStr),
    /// Owned (shared).
    Owned(Rc<str>),
}

/// Up to 22 bytes of UTF-8 stored inline.
#[derive(Clone, Copy)]
pub struct InlineStr {
    len: u8,
    buf: [u8; 22],
}

impl InlineStr {
    fn new(s: &str) -> Option<InlineStr> {
        let b = s.as_bytes();
        if b.len() > 22 {
            return None;
        }
        let mut buf = [0u8; 22];
        buf.get_mut(..b.len())?.copy_from_slice(b);
        Some(InlineStr {
            len: b.len() as u8,
            buf,
        })
    }

    #[inline]
    fn as_str(&self) -> &str {
        let b = self.buf.get(..usize::from(self.len)).unwrap_or_default();
        std::str::from_utf8(b).unwrap_or_default()
    }
}

impl std::ops::Deref for Str<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match self {
            Str::Borrowed(s) => s,
            Str::Inline(s) => s.as_str(),
            Str::Owned(s) => s,
        }
    }
}

impl Str<'_> {
    /// A copy of `s`, inline when short.
    pub(crate) fn copy_of(s: &str) -> Self {
        match InlineStr::new(s) {
            Some(i) => Str::Inline(i),
            None => Str::Owned(Rc::from(s)),
        }
    }

    /// The decimal form of an integer (always inline: at most 20 bytes).
    pub(crate) fn of_i64(v: i64) -> Self {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut u = v.unsigned_abs();
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (u % 10) as u8;
            }
            u /= 10;
            if u == 0 || at == 0 {
                break;
            }
        }
        let mut buf = [0u8; 22];
        let mut len = 0;
        if v < 0 {
            if let Some(b) = buf.first_mut() {
                *b = b'-';
            }
            len = 1;
        }
        for d in digits.get(at..).unwrap_or_default() {
            if let Some(slot) = buf.get_mut(len) {
                *slot = *d;
            }
            len += 1;
        }
        Str::Inline(InlineStr {
            len: len as u8,
            buf,
        })
    }
}

impl std::fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl<'a> From<Cow<'a, str>> for Str<'a> {
    fn from(c: Cow<'a, str>) -> Self {
        match c {
            Cow::Borrowed(s) => Str::Borrowed(s),
            Cow::Owned(s) => Str::from(s),
        }
    }
}

impl From<String> for Str<'_> {
    fn from(s: String) -> Self {
        match InlineStr::new(&s) {
            Some(i) => Str::Inline(i),
            None => Str::Owned(Rc::from(s)),
        }
    }
}

impl<'a> From<&'a str> for Str<'a> {
    fn from(s: &'a str) -> Self {
        Str::Borrowed(s)
    }
}

/// A node as XPath sees it: a document, element, text, comment or PI node, or an attribute.
///
/// Adjacent text and CDATA nodes of the parsed document form ONE XPath text node (the first piece
/// stands for the run), as in the XDM.
#[derive(Clone, Copy)]
pub enum XNode<'a> {
    /// A node of the document tree.
    Node(Node<'a>),
    /// An attribute.
    Attr(Attribute<'a>),
}

impl std::fmt::Debug for XNode<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XNode::Node(n) => write!(f, "{n:?}"),
            XNode::Attr(a) => write!(f, "{}", a.path()),
        }
    }
}

impl PartialEq for XNode<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key() && std::ptr::eq(self.document(), other.document())
    }
}
impl Eq for XNode<'_> {}

fn is_text(n: &Node<'_>) -> bool {
    n.is_text()
}

impl<'a> XNode<'a> {
    /// Document-order key: `(node id, 0)` for tree nodes, `(owner id, 1 + attribute index)` for
    /// attributes.
    pub fn key(&self) -> (u32, u32) {
        match self {
            XNode::Node(n) => (n.id().index() as u32, 0),
            XNode::Attr(a) => (a.owner().id().index() as u32, a.index() as u32 + 1),
        }
    }

    /// The document.
    pub fn document(&self) -> &'a crate::xml::Document {
        match self {
            XNode::Node(n) => n.document(),
            XNode::Attr(a) => a.owner().document(),
        }
    }

    /// The tree node, if this is not an attribute.
    pub fn as_node(&self) -> Option<Node<'a>> {
        match self {
            XNode::Node(n) => Some(*n),
            XNode::Attr(_) => None,
        }
    }

    /// True for elements.
    pub fn is_element(&self) -> bool {
        matches!(self, XNode::Node(n) if n.is_element())
    }

    /// True for attributes.
    pub fn is_attribute(&self) -> bool {
        matches!(self, XNode::Attr(_))
    }

    /// The parent: the owner element for attributes.
    pub fn parent(&self) -> Option<XNode<'a>> {
        match self {
            XNode::Node(n) => n.parent().map(XNode::Node),
            XNode::Attr(a) => Some(XNode::Node(a.owner())),
        }
    }

    /// Namespace URI of an element or attribute name.
    pub fn namespace(&self) -> &'a str {
        match self {
            XNode::Node(n) => n.namespace(),
            XNode::Attr(a) => a.namespace(),
        }
    }

    /// Local name of an element or attribute; target of a PI; empty otherwise.
    pub fn local_name(&self) -> &'a str {
        match self {
            XNode::Node(n) => match n.kind() {
                NodeKind::ProcessingInstruction => n.pi_target(),
                _ => n.local_name(),
            },
            XNode::Attr(a) => a.local_name(),
        }
    }

    /// `fn:name`: the name as written (`prefix:local`), borrowed from the input where possible.
    pub fn name(&self) -> Str<'a> {
        match self {
            XNode::Node(n) => match n.kind() {
                NodeKind::Element => {
                    let prefix = n.prefix();
                    let local = n.local_name();
                    if prefix.is_empty() {
                        return Str::Borrowed(local);
                    }
                    // `<prefix:local` starts at the element's offset: borrow it from the source
                    let src = n.document().source();
                    let start = n.offset() + 1;
                    let len = prefix.len() + 1 + local.len();
                    if let Some(q) = src.get(start..start + len) {
                        if q.starts_with(prefix)
                            && q.as_bytes().get(prefix.len()) == Some(&b':')
                            && q.ends_with(local)
                        {
                            return Str::Borrowed(q);
                        }
                    }
                    Str::from(format!("{prefix}:{local}"))
                }
                NodeKind::ProcessingInstruction => Str::Borrowed(n.pi_target()),
                _ => Str::Borrowed(""),
            },
            XNode::Attr(a) => Str::from(a.qualified_name()),
        }
    }

    /// The XPath string value.
    pub fn string_value(&self) -> Str<'a> {
        match self {
            XNode::Attr(a) => Str::Borrowed(a.value()),
            XNode::Node(n) => match n.kind() {
                NodeKind::Text | NodeKind::CData => {
                    // the XDM text node is the whole run of adjacent text/CDATA pieces
                    match n.next_sibling().filter(is_text) {
                        None => Str::Borrowed(n.value()),
                        Some(_) => {
                            let mut s = String::from(n.value());
                            let mut cur = n.next_sibling();
                            while let Some(t) = cur.filter(is_text) {
                                s.push_str(t.value());
                                cur = t.next_sibling();
                            }
                            Str::from(s)
                        }
                    }
                }
                // the common leaf shapes without walking the subtree
                NodeKind::Element | NodeKind::Document => match n.only_text() {
                    Some(t) => Str::Borrowed(t),
                    None => Str::from(n.string_value()),
                },
                _ => Str::from(n.string_value()),
            },
        }
    }

    /// True for a text/CDATA piece that continues a run (not an XDM node of its own).
    pub(crate) fn is_text_continuation(n: &Node<'_>) -> bool {
        n.is_text() && n.prev_sibling().is_some_and(|p| p.is_text())
    }

    /// The root of the tree (the document node).
    pub fn root(&self) -> XNode<'a> {
        XNode::Node(self.document().document_node())
    }
}

/// An `xs:date` value: days since 0001-01-01 (proleptic Gregorian) and an optional timezone in
/// minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XDate {
    /// The date.
    pub date: chrono::NaiveDate,
    /// Timezone offset in minutes, when given.
    pub tz: Option<i16>,
}

impl XDate {
    /// Comparable instant (minutes), the implicit timezone being UTC.
    fn instant(&self) -> i64 {
        use chrono::Datelike;
        i64::from(self.date.num_days_from_ce()) * 1440 - i64::from(self.tz.unwrap_or(0))
    }

    fn parse(s: &str) -> Option<XDate> {
        let s = trim_ws(s);
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s),
        };
        let dash = body.find('-')?;
        let ystr = body.get(..dash)?;
        if ystr.len() < 4 || (ystr.len() > 4 && ystr.starts_with('0')) {
            return None;
        }
        if !ystr.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let rest = body.get(dash + 1..)?;
        let mstr = rest.get(..2)?;
        if rest.as_bytes().get(2) != Some(&b'-') {
            return None;
        }
        let dstr = rest.get(3..5)?;
        let tzs = rest.get(5..)?;
        if !mstr.bytes().all(|b| b.is_ascii_digit()) || !dstr.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut year: i32 = ystr.parse().ok()?;
        if neg {
            year = -year;
        }
        let date = chrono::NaiveDate::from_ymd_opt(year, mstr.parse().ok()?, dstr.parse().ok()?)?;
        let tz = parse_tz(tzs)?;
        Some(XDate { date, tz })
    }
}

fn parse_tz(s: &str) -> Option<Option<i16>> {
    if s.is_empty() {
        return Some(None);
    }
    if s == "Z" {
        return Some(Some(0));
    }
    let b = s.as_bytes();
    if b.len() != 6 || b.get(3) != Some(&b':') {
        return None;
    }
    let sign = match b.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let hh: i16 = s.get(1..3)?.parse().ok()?;
    let mm: i16 = s.get(4..6)?.parse().ok()?;
    if !s.get(1..3)?.bytes().all(|c| c.is_ascii_digit())
        || !s.get(4..6)?.bytes().all(|c| c.is_ascii_digit())
        || hh > 14
        || mm > 59
        || (hh == 14 && mm != 0)
    {
        return None;
    }
    Some(Some(sign * (hh * 60 + mm)))
}

impl std::fmt::Display for XDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Datelike;
        let y = self.date.year();
        if y < 0 {
            write!(f, "-{:04}", -y)?;
        } else {
            write!(f, "{y:04}")?;
        }
        write!(f, "-{:02}-{:02}", self.date.month(), self.date.day())?;
        match self.tz {
            None => Ok(()),
            Some(0) => f.write_str("Z"),
            Some(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                let m = m.abs();
                write!(f, "{sign}{:02}:{:02}", m / 60, m % 60)
            }
        }
    }
}

/// One item of a sequence.
#[derive(Clone, Debug)]
pub enum Item<'a> {
    /// A node.
    Node(XNode<'a>),
    /// `xs:untypedAtomic` (what nodes atomize to, schema-unaware).
    Untyped(Str<'a>),
    /// `xs:string`.
    String(Str<'a>),
    /// `xs:boolean`.
    Boolean(bool),
    /// `xs:integer` within `i64`.
    Integer(i64),
    /// `xs:decimal` within `rust_decimal` (96-bit mantissa, scale ≤ 28).
    Decimal(Decimal),
    /// `xs:double`.
    Double(f64),
    /// `xs:integer` beyond `i64`.
    BigInteger(Rc<BigDecimal>),
    /// `xs:decimal` beyond `rust_decimal`.
    BigDecimal(Rc<BigDecimal>),
    /// `xs:date`.
    Date(XDate),
}

/// Atomic types known to casts, constructor functions and sequence types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtomicType {
    /// `xs:anyAtomicType`.
    AnyAtomic,
    /// `xs:untypedAtomic`.
    Untyped,
    /// `xs:string`.
    String,
    /// `xs:boolean`.
    Boolean,
    /// `xs:decimal`.
    Decimal,
    /// `xs:integer`.
    Integer,
    /// `xs:double`.
    Double,
    /// `xs:date`.
    Date,
}

impl AtomicType {
    /// Every atomic type (in declaration order: the compiled form numbers them so).
    pub(crate) const ALL: [AtomicType; 8] = [
        AtomicType::AnyAtomic,
        AtomicType::Untyped,
        AtomicType::String,
        AtomicType::Boolean,
        AtomicType::Decimal,
        AtomicType::Integer,
        AtomicType::Double,
        AtomicType::Date,
    ];

    /// The type for an `xs:` local name.
    pub fn from_local(local: &str) -> Option<AtomicType> {
        Some(match local {
            "anyAtomicType" => AtomicType::AnyAtomic,
            "untypedAtomic" => AtomicType::Untyped,
            "string" => AtomicType::String,
            "boolean" => AtomicType::Boolean,
            "decimal" => AtomicType::Decimal,
            "integer" => AtomicType::Integer,
            "double" => AtomicType::Double,
            "date" => AtomicType::Date,
            _ => return None,
        })
    }

    /// `xs:` name.
    pub fn name(self) -> &'static str {
        match self {
            AtomicType::AnyAtomic => "xs:anyAtomicType",
            AtomicType::Untyped => "xs:untypedAtomic",
            AtomicType::String => "xs:string",
            AtomicType::Boolean => "xs:boolean",
            AtomicType::Decimal => "xs:decimal",
            AtomicType::Integer => "xs:integer",
            AtomicType::Double => "xs:double",
            AtomicType::Date => "xs:date",
        }
    }
}

/// Results inside the evaluator: the error boxed, so that `R<bool>` and the like come back in
/// registers (the evaluator returns them at every level of every expression).
pub(crate) type R<T> = Result<T, Box<XPathError>>;

#[cold]
pub(crate) fn err(code: &'static str, message: impl Into<String>) -> Box<XPathError> {
    Box::new(XPathError {
        code,
        message: message.into(),
    })
}

/// XML whitespace trimming (`xs:*` whiteSpace collapse for casts).
pub(crate) fn trim_ws(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

/// Parses the `xs:double` lexical space for casts: whitespace is trimmed and XSD 1.1's `+INF`
/// is accepted on top of the XSD 1.0 rules of `xsd::datatypes::parse_float`.
pub(crate) fn parse_double(s: &str) -> Option<f64> {
    match trim_ws(s) {
        "+INF" => Some(f64::INFINITY),
        t => crate::xsd::datatypes::parse_float(t),
    }
}

/// A parsed decimal/integer: fast `rust_decimal`, or big.
pub(crate) enum DecParse {
    Small(Decimal),
    Big(BigDecimal),
}

fn pow10(k: u32) -> Option<i128> {
    10i128.checked_pow(k)
}

/// Builds a decimal from an exact `(mantissa, scale)`, stripping trailing zeros when the scale
/// is over 28; big when it does not fit.
pub(crate) fn dec_from_parts(mut m: i128, mut scale: u32) -> DecParse {
    while scale > 28 {
        let (q, r) = divmod_u32(m.unsigned_abs(), 10);
        let Ok(q) = i128::try_from(q) else {
            break;
        };
        if r != 0 {
            break;
        }
        m = if m < 0 { -q } else { q };
        scale -= 1;
    }
    match Decimal::try_from_i128_with_scale(m, scale) {
        Ok(d) => DecParse::Small(d),
        Err(_) => DecParse::Big(BigDecimal::from_i128(m, scale)),
    }
}

/// Parses the `xs:decimal` lexical space (no exponent).
pub(crate) fn parse_decimal(s: &str) -> Option<DecParse> {
    let t = trim_ws(s);
    let b = t.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut m: i128 = 0;
    // the first 18 digits accumulate in a machine word (i128 arithmetic is slower)
    let mut small: u64 = 0;
    let mut scale = 0u32;
    let mut digits = 0;
    let mut overflow = false;
    let mut seen_point = false;
    while let Some(c) = b.get(i) {
        match c {
            b'0'..=b'9' => {
                digits += 1;
                let d = c - b'0';
                if digits <= 18 {
                    small = small * 10 + u64::from(d);
                } else if !overflow {
                    if digits == 19 {
                        m = i128::from(small);
                    }
                    match m.checked_mul(10).and_then(|v| v.checked_add(i128::from(d))) {
                        Some(v) => m = v,
                        None => overflow = true,
                    }
                }
                if seen_point {
                    scale += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if overflow || scale > 1000 {
        return BigDecimal::parse(t).map(DecParse::Big);
    }
    if digits <= 18 {
        m = i128::from(small);
    }
    Some(dec_from_parts(if neg { -m } else { m }, scale))
}

/// Parses the `xs:integer` lexical space.
pub(crate) fn parse_integer<'a>(s: &str) -> Option<Item<'a>> {
    let t = trim_ws(s);
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match t.strip_prefix('+').unwrap_or(t).parse::<i64>() {
        Ok(v) => Some(Item::Integer(v)),
        Err(_) => BigDecimal::parse(t).map(|b| Item::BigInteger(Rc::new(b))),
    }
}

/// XPath canonical string of a double.
pub(crate) fn format_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "INF".into() } else { "-INF".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let a = v.abs();
    if (1e-6..1e6).contains(&a) {
        let mut s = format!("{v}");
        if s.contains('.') {
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        s
    } else {
        let s = format!("{v:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mut out = String::from(mant);
        if !mant.contains('.') {
            out.push_str(".0");
        }
        out.push('E');
        out.push_str(exp);
        out
    }
}

pub(crate) fn format_decimal(d: &Decimal) -> String {
    if d.is_zero() {
        return "0".into();
    }
    d.normalize().to_string()
}

/// Nearest double of a decimal (correctly rounded).
pub(crate) fn decimal_to_f64(d: &Decimal) -> f64 {
    let m = d.mantissa();
    let s = d.scale();
    if m.unsigned_abs() < (1u128 << 53) && s <= 22 {
        let p = 10f64.powi(s as i32);
        return m as f64 / p;
    }
    format_decimal(d).parse::<f64>().unwrap_or(f64::NAN)
}

impl<'a> Item<'a> {
    /// True for nodes.
    pub fn is_node(&self) -> bool {
        matches!(self, Item::Node(_))
    }

    /// The node, if this is one.
    pub fn as_node(&self) -> Option<XNode<'a>> {
        match self {
            Item::Node(n) => Some(*n),
            _ => None,
        }
    }

    /// Atomization: nodes become `xs:untypedAtomic` of their string value.
    pub fn atomize(&self) -> Item<'a> {
        match self {
            Item::Node(n) => Item::Untyped(n.string_value()),
            other => other.clone(),
        }
    }

    /// True for numeric atomic values.
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Item::Integer(_)
                | Item::Decimal(_)
                | Item::Double(_)
                | Item::BigInteger(_)
                | Item::BigDecimal(_)
        )
    }

    /// The type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Item::Node(n) => match n {
                XNode::Attr(_) => "attribute()",
                XNode::Node(n) => match n.kind() {
                    NodeKind::Document => "document-node()",
                    NodeKind::Element => "element()",
                    NodeKind::Text | NodeKind::CData => "text()",
                    NodeKind::Comment => "comment()",
                    NodeKind::ProcessingInstruction => "processing-instruction()",
                },
            },
            Item::Untyped(_) => "xs:untypedAtomic",
            Item::String(_) => "xs:string",
            Item::Boolean(_) => "xs:boolean",
            Item::Integer(_) | Item::BigInteger(_) => "xs:integer",
            Item::Decimal(_) | Item::BigDecimal(_) => "xs:decimal",
            Item::Double(_) => "xs:double",
            Item::Date(_) => "xs:date",
        }
    }

    /// The string value (`fn:string`).
    pub fn string_value(&self) -> Str<'a> {
        match self {
            Item::Node(n) => n.string_value(),
            Item::Untyped(s) | Item::String(s) => s.clone(),
            Item::Boolean(b) => Str::Borrowed(if *b { "true" } else { "false" }),
            Item::Integer(i) => Str::of_i64(*i),
            Item::Decimal(d) => Str::from(format_decimal(d)),
            Item::Double(d) => Str::from(format_double(*d)),
            Item::BigInteger(b) | Item::BigDecimal(b) => Str::from(b.to_string()),
            Item::Date(d) => Str::from(d.to_string()),
        }
    }

    /// Appends the string value to `out` (no intermediate allocation for numbers).
    pub(crate) fn push_str(&self, out: &mut String) {
        match self {
            Item::Integer(i) => out.push_str(&Str::of_i64(*i)),
            other => out.push_str(&other.string_value()),
        }
    }

    /// Numeric value as a double (`None` for non-numeric).
    pub(crate) fn num_f64(&self) -> Option<f64> {
        Some(match self {
            Item::Integer(i) => *i as f64,
            Item::Decimal(d) => decimal_to_f64(d),
            Item::Double(d) => *d,
            Item::BigInteger(b) | Item::BigDecimal(b) => b.to_f64(),
            _ => return None,
        })
    }

    /// Numeric value as a big decimal (`None` for doubles and non-numerics).
    pub(crate) fn num_big(&self) -> Option<BigDecimal> {
        Some(match self {
            Item::Integer(i) => BigDecimal::from_i128(i128::from(*i), 0),
            Item::Decimal(d) => BigDecimal::from_i128(d.mantissa(), d.scale()),
            Item::BigInteger(b) | Item::BigDecimal(b) => (**b).clone(),
            _ => return None,
        })
    }

    /// `(mantissa, scale)` of an integer or decimal that fits `i128`.
    fn num_parts(&self) -> Option<(i128, u32)> {
        match self {
            Item::Integer(i) => Some((i128::from(*i), 0)),
            Item::Decimal(d) => Some((d.mantissa(), d.scale())),
            _ => None,
        }
    }

    /// The value of an integer that fits `i128`.
    fn int_i128(&self) -> Option<i128> {
        match self {
            Item::Integer(i) => Some(i128::from(*i)),
            Item::BigInteger(b) => b.to_i128().filter(|(_, s)| *s == 0).map(|(m, _)| m),
            _ => None,
        }
    }

    /// 0 integer, 1 decimal, 2 double; `None` for non-numerics.
    fn num_level(&self) -> Option<u8> {
        match self {
            Item::Integer(_) | Item::BigInteger(_) => Some(0),
            Item::Decimal(_) | Item::BigDecimal(_) => Some(1),
            Item::Double(_) => Some(2),
            _ => None,
        }
    }

    /// Effective boolean value of a single atomic item.
    pub(crate) fn atomic_ebv(&self) -> R<bool> {
        Ok(match self {
            Item::Node(_) => true,
            Item::Boolean(b) => *b,
            Item::Untyped(s) | Item::String(s) => !s.is_empty(),
            Item::Integer(i) => *i != 0,
            Item::Decimal(d) => !d.is_zero(),
            Item::Double(d) => *d != 0.0 && !d.is_nan(),
            Item::BigInteger(b) | Item::BigDecimal(b) => !b.is_zero(),
            Item::Date(_) => {
                return Err(err(
                    "FORG0006",
                    "effective boolean value is not defined for xs:date",
                ))
            }
        })
    }
}

fn big_item<'a>(b: BigDecimal, integer: bool) -> Item<'a> {
    if let Some((m, s)) = b.to_i128() {
        if integer && s == 0 {
            if let Ok(v) = i64::try_from(m) {
                return Item::Integer(v);
            }
        } else if !integer {
            if let DecParse::Small(d) = dec_from_parts(m, s) {
                return Item::Decimal(d);
            }
        }
    }
    if integer {
        Item::BigInteger(Rc::new(b))
    } else {
        Item::BigDecimal(Rc::new(b))
    }
}

fn dec_item<'a>(p: DecParse) -> Item<'a> {
    match p {
        DecParse::Small(d) => Item::Decimal(d),
        DecParse::Big(b) => big_item(b, false),
    }
}

/// Casts an atomic value (already atomized) to `ty`.
pub(crate) fn cast<'a>(v: &Item<'a>, ty: AtomicType) -> R<Item<'a>> {
    let fail = || {
        err(
            "FORG0001",
            format!(
                "cannot convert {} {:?} to {}",
                v.type_name(),
                &*v.string_value(),
                ty.name()
            ),
        )
    };
    Ok(match ty {
        AtomicType::AnyAtomic => v.clone(),
        AtomicType::Untyped => Item::Untyped(v.string_value()),
        AtomicType::String => Item::String(v.string_value()),
        AtomicType::Boolean => match v {
            Item::Boolean(b) => Item::Boolean(*b),
            Item::Untyped(s) | Item::String(s) => match trim_ws(s) {
                "true" | "1" => Item::Boolean(true),
                "false" | "0" => Item::Boolean(false),
                _ => return Err(fail()),
            },
            n if n.is_numeric() => Item::Boolean(n.atomic_ebv()?),
            _ => return Err(type_cast_error(v, ty)),
        },
        AtomicType::Double => match v {
            Item::Untyped(s) | Item::String(s) => Item::Double(parse_double(s).ok_or_else(fail)?),
            Item::Boolean(b) => Item::Double(if *b { 1.0 } else { 0.0 }),
            n if n.is_numeric() => Item::Double(n.num_f64().unwrap_or(f64::NAN)),
            _ => return Err(type_cast_error(v, ty)),
        },
        AtomicType::Decimal => match v {
            Item::Untyped(s) | Item::String(s) => dec_item(parse_decimal(s).ok_or_else(fail)?),
            Item::Boolean(b) => Item::Decimal(Decimal::from(u8::from(*b))),
            Item::Integer(i) => Item::Decimal(Decimal::from(*i)),
            Item::BigInteger(b) => Item::BigDecimal(b.clone()),
            Item::Decimal(_) | Item::BigDecimal(_) => v.clone(),
            Item::Double(d) => {
                if let Some((m, s)) = BigDecimal::f64_exact_small(*d) {
                    if let DecParse::Small(x) = dec_from_parts(m, s) {
                        return Ok(Item::Decimal(x));
                    }
                }
                let b = BigDecimal::from_f64_exact(*d).ok_or_else(|| {
                    err(
                        "FOCA0002",
                        format!("cannot convert {} to xs:decimal", format_double(*d)),
                    )
                })?;
                big_item(b, false)
            }
            _ => return Err(type_cast_error(v, ty)),
        },
        AtomicType::Integer => match v {
            Item::Untyped(s) | Item::String(s) => parse_integer(s).ok_or_else(fail)?,
            Item::Boolean(b) => Item::Integer(i64::from(*b)),
            Item::Integer(_) | Item::BigInteger(_) => v.clone(),
            Item::Decimal(d) => {
                let (t, _) = div_rem_trunc(d.mantissa(), pow10(d.scale()).unwrap_or(1));
                match i64::try_from(t) {
                    Ok(i) => Item::Integer(i),
                    Err(_) => big_item(BigDecimal::from_i128(t, 0), true),
                }
            }
            Item::BigDecimal(b) => big_item(b.trunc(), true),
            Item::Double(d) => {
                if !d.is_finite() {
                    return Err(err(
                        "FOCA0002",
                        format!("cannot convert {} to xs:integer", format_double(*d)),
                    ));
                }
                let t = d.trunc();
                if t.abs() < 9.0e18 {
                    Item::Integer(t as i64)
                } else {
                    big_item(
                        BigDecimal::from_f64_exact(t).unwrap_or_else(BigDecimal::zero),
                        true,
                    )
                }
            }
            _ => return Err(type_cast_error(v, ty)),
        },
        AtomicType::Date => match v {
            Item::Untyped(s) | Item::String(s) => Item::Date(XDate::parse(s).ok_or_else(fail)?),
            Item::Date(_) => v.clone(),
            _ => return Err(type_cast_error(v, ty)),
        },
    })
}

fn type_cast_error(v: &Item<'_>, ty: AtomicType) -> Box<XPathError> {
    err(
        "XPTY0004",
        format!("cannot cast {} to {}", v.type_name(), ty.name()),
    )
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=` / `eq`
    Eq,
    /// `!=` / `ne`
    Ne,
    /// `<` / `lt`
    Lt,
    /// `<=` / `le`
    Le,
    /// `>` / `gt`
    Gt,
    /// `>=` / `ge`
    Ge,
}

impl CmpOp {
    pub(crate) fn test(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        }
    }
}

/// String comparison by codepoints (equality tests compare lengths first).
pub(crate) fn cmp_str(op: CmpOp, a: &str, b: &str) -> bool {
    match op {
        // (no `memcmp` on empty strings: see `eval::str_eq`)
        CmpOp::Eq => a.len() == b.len() && (a.is_empty() || a.as_bytes() == b.as_bytes()),
        CmpOp::Ne => a.len() != b.len() || (!a.is_empty() && a.as_bytes() != b.as_bytes()),
        _ => op.test(a.cmp(b)),
    }
}

fn cmp_f64(op: CmpOp, a: f64, b: f64) -> bool {
    match a.partial_cmp(&b) {
        Some(o) => op.test(o),
        None => op == CmpOp::Ne,
    }
}

/// Numeric comparison with promotion.
fn cmp_numeric(op: CmpOp, a: &Item<'_>, b: &Item<'_>) -> bool {
    let la = a.num_level().unwrap_or(2);
    let lb = b.num_level().unwrap_or(2);
    if la == 2 || lb == 2 {
        return cmp_f64(
            op,
            a.num_f64().unwrap_or(f64::NAN),
            b.num_f64().unwrap_or(f64::NAN),
        );
    }
    match (a, b) {
        (Item::Integer(x), Item::Integer(y)) => op.test(x.cmp(y)),
        (Item::Decimal(x), Item::Decimal(y)) => op.test(x.cmp(y)),
        (Item::Integer(x), Item::Decimal(y)) => op.test(Decimal::from(*x).cmp(y)),
        (Item::Decimal(x), Item::Integer(y)) => op.test(x.cmp(&Decimal::from(*y))),
        // big values are compared in place (no copy of their digits)
        (Item::BigInteger(x) | Item::BigDecimal(x), Item::BigInteger(y) | Item::BigDecimal(y)) => {
            op.test(x.cmp_value(y))
        }
        (Item::BigInteger(x) | Item::BigDecimal(x), other) => match other.num_big() {
            Some(y) => op.test(x.cmp_value(&y)),
            None => false,
        },
        (other, Item::BigInteger(y) | Item::BigDecimal(y)) => match other.num_big() {
            Some(x) => op.test(x.cmp_value(y)),
            None => false,
        },
        _ => match (a.num_big(), b.num_big()) {
            (Some(x), Some(y)) => op.test(x.cmp_value(&y)),
            _ => false,
        },
    }
}

/// Compares two atomic values after the general/value comparison conversions were applied.
fn compare_converted(op: CmpOp, a: &Item<'_>, b: &Item<'_>) -> R<bool> {
    match (a, b) {
        (Item::Untyped(x) | Item::String(x), Item::Untyped(y) | Item::String(y)) => {
            Ok(cmp_str(op, x, y))
        }
        (Item::Boolean(x), Item::Boolean(y)) => Ok(op.test(x.cmp(y))),
        (Item::Date(x), Item::Date(y)) => Ok(op.test(x.instant().cmp(&y.instant()))),
        (x, y) if x.is_numeric() && y.is_numeric() => Ok(cmp_numeric(op, x, y)),
        _ => Err(err(
            "XPTY0004",
            format!("cannot compare {} with {}", a.type_name(), b.type_name()),
        )),
    }
}

/// Value comparison (`eq`, `lt`, …) of two atomic values: untypedAtomic compares as string.
pub(crate) fn value_compare(op: CmpOp, a: &Item<'_>, b: &Item<'_>) -> R<bool> {
    fn conv<'x>(v: &Item<'x>) -> Option<Item<'x>> {
        match v {
            Item::Untyped(s) => Some(Item::String(s.clone())),
            _ => None,
        }
    }
    match (conv(a), conv(b)) {
        (None, None) => compare_converted(op, a, b),
        (Some(x), None) => compare_converted(op, &x, b),
        (None, Some(y)) => compare_converted(op, a, &y),
        (Some(x), Some(y)) => compare_converted(op, &x, &y),
    }
}

/// General comparison (`=`, `<`, …) of one pair of atomic values (XPath 2.0 rules: untypedAtomic
/// vs numeric → xs:double, vs untypedAtomic/string → string, vs other → that type).
pub(crate) fn general_compare(op: CmpOp, a: &Item<'_>, b: &Item<'_>) -> R<bool> {
    match (a, b) {
        (Item::Untyped(x), Item::Untyped(y)) => Ok(cmp_str(op, x, y)),
        (Item::Untyped(x), Item::String(y)) | (Item::String(x), Item::Untyped(y)) => {
            Ok(cmp_str(op, x, y))
        }
        (Item::Untyped(_), other) => {
            let ty = target_for(other);
            compare_converted(op, &cast(a, ty)?, other)
        }
        (other, Item::Untyped(_)) => {
            let ty = target_for(other);
            compare_converted(op, other, &cast(b, ty)?)
        }
        _ => compare_converted(op, a, b),
    }
}

fn target_for(other: &Item<'_>) -> AtomicType {
    match other {
        o if o.is_numeric() => AtomicType::Double,
        Item::Boolean(_) => AtomicType::Boolean,
        Item::Date(_) => AtomicType::Date,
        _ => AtomicType::String,
    }
}

/// Equality as `fn:distinct-values` / `fn:index-of` see it (no errors: incomparable = unequal).
pub(crate) fn atomic_equal(a: &Item<'_>, b: &Item<'_>) -> bool {
    fn conv<'x>(v: &Item<'x>) -> Item<'x> {
        match v {
            Item::Untyped(s) => Item::String(s.clone()),
            o => o.clone(),
        }
    }
    let (a, b) = (conv(a), conv(b));
    if let (Some(x), Some(y)) = (a.num_f64(), b.num_f64()) {
        if x.is_nan() && y.is_nan() {
            return true;
        }
    }
    compare_converted(CmpOp::Eq, &a, &b).unwrap_or(false)
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `div`
    Div,
    /// `idiv`
    IDiv,
    /// `mod`
    Mod,
}

/// The scale Saxon divides decimals with: at least 18 fractional digits.
const DIVIDE_PRECISION: u32 = 18;

fn div_by_zero() -> Box<XPathError> {
    err("FOAR0001", "division by zero")
}

fn overflow() -> Box<XPathError> {
    err("FOAR0002", "numeric overflow")
}

/// Arithmetic on two numeric atomic values (untypedAtomic already cast to xs:double).
pub(crate) fn arith<'a>(op: ArithOp, a: &Item<'a>, b: &Item<'a>) -> R<Item<'a>> {
    let (Some(la), Some(lb)) = (a.num_level(), b.num_level()) else {
        return Err(err(
            "XPTY0004",
            format!(
                "arithmetic operator is not defined for {} and {}",
                a.type_name(),
                b.type_name()
            ),
        ));
    };
    let level = la.max(lb);
    if level == 2 {
        let x = a.num_f64().unwrap_or(f64::NAN);
        let y = b.num_f64().unwrap_or(f64::NAN);
        return Ok(match op {
            ArithOp::Add => Item::Double(x + y),
            ArithOp::Sub => Item::Double(x - y),
            ArithOp::Mul => Item::Double(x * y),
            ArithOp::Div => Item::Double(x / y),
            ArithOp::Mod => Item::Double(x % y),
            ArithOp::IDiv => {
                if y == 0.0 {
                    return Err(div_by_zero());
                }
                if x.is_nan() || y.is_nan() || x.is_infinite() {
                    return Err(err("FOAR0002", "idiv of NaN or infinity"));
                }
                cast(&Item::Double((x / y).trunc()), AtomicType::Integer)?
            }
        });
    }
    if level == 0 && op != ArithOp::Div {
        if let (Item::Integer(x), Item::Integer(y)) = (a, b) {
            if *y == 0 && matches!(op, ArithOp::IDiv | ArithOp::Mod) {
                return Err(div_by_zero());
            }
            if let Some(r) = int_arith(op, *x, *y) {
                return Ok(Item::Integer(r));
            }
        }
        // integers of up to 38 digits (e.g. a 30-digit IBAN number `mod 97`): i128
        if let (Some(x), Some(y)) = (a.int_i128(), b.int_i128()) {
            let r = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::IDiv | ArithOp::Mod if y == 0 => return Err(div_by_zero()),
                ArithOp::IDiv => x.checked_div(y),
                ArithOp::Mod => x.checked_rem(y),
                ArithOp::Div => None,
            };
            if let Some(r) = r {
                return Ok(match i64::try_from(r) {
                    Ok(v) => Item::Integer(v),
                    Err(_) => Item::BigInteger(Rc::new(BigDecimal::from_i128(r, 0))),
                });
            }
        }
        return big_arith(op, a, b, true);
    }
    // decimal arithmetic (also integer div integer)
    if let (Some((ma, sa)), Some((mb, sb))) = (a.num_parts(), b.num_parts()) {
        if let Some(r) = small_decimal(op, ma, sa, mb, sb)? {
            return Ok(r);
        }
    }
    big_arith(op, a, b, false)
}

/// `x op y` of two `xs:integer`s that is an `xs:integer` within `i64`; `None` when it is not
/// (division, overflow, `idiv`/`mod` by zero: see [`arith`]).
#[inline]
pub(crate) fn int_arith(op: ArithOp, x: i64, y: i64) -> Option<i64> {
    match op {
        ArithOp::Add => x.checked_add(y),
        ArithOp::Sub => x.checked_sub(y),
        ArithOp::Mul => x.checked_mul(y),
        ArithOp::IDiv => x.checked_div(y),
        ArithOp::Mod => x.checked_rem(y),
        ArithOp::Div => None,
    }
}

/// Exact decimal arithmetic in `i128`; `Ok(None)` when it does not fit (→ big).
fn small_decimal<'a>(op: ArithOp, ma: i128, sa: u32, mb: i128, sb: u32) -> R<Option<Item<'a>>> {
    let align = |m: i128, from: u32, to: u32| pow10(to - from).and_then(|p| m.checked_mul(p));
    Ok(match op {
        ArithOp::Add | ArithOp::Sub => {
            let s = sa.max(sb);
            let (Some(x), Some(y)) = (align(ma, sa, s), align(mb, sb, s)) else {
                return Ok(None);
            };
            let r = if op == ArithOp::Add {
                x.checked_add(y)
            } else {
                x.checked_sub(y)
            };
            r.map(|m| dec_item(dec_from_parts(m, s)))
        }
        ArithOp::Mul => ma
            .checked_mul(mb)
            .map(|m| dec_item(dec_from_parts(m, sa + sb))),
        ArithOp::Div => {
            if mb == 0 {
                return Err(div_by_zero());
            }
            let s = DIVIDE_PRECISION.max(sa).max(sb);
            // Q = ma × 10^(s + sb − sa) / mb
            let Some(num) = align(ma, sa, s + sb) else {
                return Ok(None);
            };
            let Some(q) = div_half_down(num, mb) else {
                return Ok(None);
            };
            let (q, s) = strip_zeros(q, s);
            Some(dec_item(dec_from_parts(q, s)))
        }
        ArithOp::IDiv | ArithOp::Mod => {
            if mb == 0 {
                return Err(div_by_zero());
            }
            let s = sa.max(sb);
            let (Some(x), Some(y)) = (align(ma, sa, s), align(mb, sb, s)) else {
                return Ok(None);
            };
            if op == ArithOp::IDiv {
                let Some(q) = x.checked_div(y) else {
                    return Ok(None);
                };
                Some(match i64::try_from(q) {
                    Ok(v) => Item::Integer(v),
                    Err(_) => big_item(BigDecimal::from_i128(q, 0), true),
                })
            } else {
                let Some(r) = x.checked_rem(y) else {
                    return Ok(None);
                };
                Some(dec_item(dec_from_parts(r, s)))
            }
        }
    })
}

/// `(n / d, n % d)` truncated towards zero like `i128`'s operators (`d > 0`), in machine words
/// when both fit a `u64`.
fn div_rem_trunc(n: i128, d: i128) -> (i128, i128) {
    match (u64::try_from(n.unsigned_abs()), u64::try_from(d)) {
        (Ok(x), Ok(y)) if y > 0 => {
            let (q, r) = (i128::from(x / y), i128::from(x % y));
            if n < 0 {
                (-q, -r)
            } else {
                (q, r)
            }
        }
        _ => (n / d.max(1), n % d.max(1)),
    }
}

/// `(n / d, n % d)` for `0 < d < 2^32` in four machine-word divisions (a 128-bit division is a
/// slow library call).
fn divmod_u32(n: u128, d: u32) -> (u128, u32) {
    let d = u64::from(d.max(1));
    let mut q: u128 = 0;
    let mut r: u64 = 0;
    for shift in [96u32, 64, 32, 0] {
        let limb = u64::try_from((n >> shift) & 0xffff_ffff).unwrap_or(0);
        let cur = (r << 32) | limb;
        q = (q << 32) | u128::from(cur / d);
        r = cur % d;
    }
    (q, u32::try_from(r).unwrap_or(0))
}

/// `n / d` rounded half towards zero (`d` ≠ 0); `None` on overflow. Machine-word division
/// when both fit a `u64`, or the divisor fits a `u32` (i128 division is a slow library call).
fn div_half_down(n: i128, d: i128) -> Option<i128> {
    let neg = (n < 0) != (d < 0);
    let (q, r, dm) = match (
        u64::try_from(n.unsigned_abs()),
        u64::try_from(d.unsigned_abs()),
    ) {
        (Ok(x), Ok(y)) => (u128::from(x / y), u128::from(x % y), u128::from(y)),
        (Err(_), Ok(y)) if y > 0 && y <= u64::from(u32::MAX) => {
            let y32 = u32::try_from(y).unwrap_or(1);
            let (q, r) = divmod_u32(n.unsigned_abs(), y32);
            (q, u128::from(r), u128::from(y))
        }
        _ => {
            let q = n.checked_div(d)?;
            let r = n.checked_rem(d)?;
            (q.unsigned_abs(), r.unsigned_abs(), d.unsigned_abs())
        }
    };
    let q = if r * 2 > dm { q + 1 } else { q };
    let q = i128::try_from(q).ok()?;
    Some(if neg { -q } else { q })
}

/// Removes trailing decimal zeros of `q × 10^-s` while `s > 0` (zero becomes `(0, 0)`).
fn strip_zeros(q: i128, mut s: u32) -> (i128, u32) {
    if let Ok(mut v) = u64::try_from(q.unsigned_abs()) {
        while s >= 8 && v % 100_000_000 == 0 {
            v /= 100_000_000;
            s -= 8;
        }
        while s > 0 && v % 10 == 0 {
            v /= 10;
            s -= 1;
        }
        let m = i128::from(v);
        return (if q < 0 { -m } else { m }, s);
    }
    // beyond a u64: nine zeros at a time, then single ones, in machine-word divisions
    let neg = q < 0;
    let mut v = q.unsigned_abs();
    while s >= 9 {
        let (d, r) = divmod_u32(v, 1_000_000_000);
        if r != 0 {
            break;
        }
        v = d;
        s -= 9;
    }
    while s > 0 {
        let (d, r) = divmod_u32(v, 10);
        if r != 0 {
            break;
        }
        v = d;
        s -= 1;
    }
    // |q| only got smaller, so it fits again
    let m = i128::try_from(v).unwrap_or(i128::MAX);
    (if neg { -m } else { m }, s)
}

fn big_arith<'a>(op: ArithOp, a: &Item<'a>, b: &Item<'a>, integer: bool) -> R<Item<'a>> {
    let (Some(x), Some(y)) = (a.num_big(), b.num_big()) else {
        return Err(overflow());
    };
    let r = match op {
        ArithOp::Add => x.add(&y).ok_or_else(overflow)?,
        ArithOp::Sub => x.sub(&y).ok_or_else(overflow)?,
        ArithOp::Mul => x.mul(&y).ok_or_else(overflow)?,
        ArithOp::Div => {
            let s = DIVIDE_PRECISION.max(scale_of(a)).max(scale_of(b));
            return Ok(big_item(x.div(&y, s).ok_or_else(div_by_zero)?, false));
        }
        ArithOp::IDiv => return Ok(big_item(x.idiv(&y).ok_or_else(div_by_zero)?, true)),
        ArithOp::Mod => x.rem(&y).ok_or_else(div_by_zero)?,
    };
    Ok(big_item(r, integer))
}

fn scale_of(v: &Item<'_>) -> u32 {
    match v {
        Item::Decimal(d) => d.scale(),
        Item::BigDecimal(b) => {
            let s = b.to_string();
            s.split_once('.').map_or(0, |(_, f)| f.len() as u32)
        }
        _ => 0,
    }
}

/// Unary minus.
pub(crate) fn negate<'a>(v: &Item<'a>) -> R<Item<'a>> {
    Ok(match v {
        Item::Integer(i) => match i.checked_neg() {
            Some(n) => Item::Integer(n),
            None => big_item(BigDecimal::from_i128(-i128::from(*i), 0), true),
        },
        Item::Decimal(d) => Item::Decimal(-*d),
        Item::Double(d) => Item::Double(-d),
        Item::BigInteger(b) => big_item(b.neg(), true),
        Item::BigDecimal(b) => big_item(b.neg(), false),
        _ => {
            return Err(err(
                "XPTY0004",
                format!("unary minus is not defined for {}", v.type_name()),
            ))
        }
    })
}

/// Rounding functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rounding {
    Round,
    Floor,
    Ceiling,
    Abs,
    HalfEven(i64),
}

impl Rounding {
    /// The rounding of a rounding function called with one argument (`round-half-to-even` to
    /// precision 0).
    pub(crate) fn of(b: Builtin) -> Option<Rounding> {
        Some(match b {
            Builtin::Round => Rounding::Round,
            Builtin::Floor => Rounding::Floor,
            Builtin::Ceiling => Rounding::Ceiling,
            Builtin::Abs => Rounding::Abs,
            Builtin::RoundHalfToEven => Rounding::HalfEven(0),
            _ => return None,
        })
    }
}

pub(crate) fn round<'a>(v: &Item<'a>, mode: Rounding) -> R<Item<'a>> {
    Ok(match v {
        Item::Integer(i) => match mode {
            Rounding::Abs => match i.checked_abs() {
                Some(a) => Item::Integer(a),
                None => big_item(BigDecimal::from_i128(i128::from(*i), 0).abs(), true),
            },
            Rounding::HalfEven(p) if p < 0 => big_item(
                BigDecimal::from_i128(i128::from(*i), 0).round_half_even(p),
                true,
            ),
            _ => Item::Integer(*i),
        },
        Item::BigInteger(b) => match mode {
            Rounding::Abs => big_item(b.abs(), true),
            Rounding::HalfEven(p) if p < 0 => big_item(b.round_half_even(p), true),
            _ => v.clone(),
        },
        Item::Decimal(d) => {
            let m = d.mantissa();
            let s = d.scale();
            let r = match mode {
                Rounding::Abs => return Ok(Item::Decimal(d.abs())),
                Rounding::Floor => d.floor(),
                Rounding::Ceiling => d.ceil(),
                Rounding::Round => {
                    if s == 0 {
                        *d
                    } else {
                        let p = pow10(s).unwrap_or(1);
                        let (t, r) = div_rem_trunc(m, p);
                        let half = p / 2;
                        let q = if m >= 0 {
                            if r >= half {
                                t + 1
                            } else {
                                t
                            }
                        } else if -r > half {
                            t - 1
                        } else {
                            t
                        };
                        return Ok(dec_item(dec_from_parts(q, 0)));
                    }
                }
                Rounding::HalfEven(p) => {
                    return Ok(big_item(
                        BigDecimal::from_i128(m, s).round_half_even(p),
                        false,
                    ))
                }
            };
            Item::Decimal(r)
        }
        Item::BigDecimal(b) => big_item(
            match mode {
                Rounding::Abs => b.abs(),
                Rounding::Floor => b.floor(),
                Rounding::Ceiling => b.ceil(),
                Rounding::Round => b.round_half_up(),
                Rounding::HalfEven(p) => b.round_half_even(p),
            },
            false,
        ),
        Item::Double(d) => {
            let d = *d;
            Item::Double(match mode {
                Rounding::Abs => d.abs(),
                Rounding::Floor => d.floor(),
                Rounding::Ceiling => d.ceil(),
                Rounding::Round => {
                    if !d.is_finite() || d == 0.0 {
                        d
                    } else if (-0.5..0.0).contains(&d) {
                        -0.0
                    } else {
                        (d + 0.5).floor()
                    }
                }
                Rounding::HalfEven(p) => {
                    if !d.is_finite() || d == 0.0 {
                        d
                    } else {
                        match BigDecimal::from_f64_exact(d) {
                            Some(b) => b.round_half_even(p).to_f64(),
                            None => d,
                        }
                    }
                }
            })
        }
        _ => {
            return Err(err(
                "XPTY0004",
                format!("a numeric value is required, not {}", v.type_name()),
            ))
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const VALUES: [i128; 17] = [
        0,
        110_000_000_000_000_000_000,
        -1_000_000_000_000_000_000_000_000_000_000,
        123_000_000_000_000_000_000_000_000_000_000_000_000,
        1,
        -1,
        5,
        -5,
        7,
        10,
        -70_000_000_000_000_000,
        123_456_789_000,
        u64::MAX as i128,
        -(u64::MAX as i128),
        u64::MAX as i128 + 1,
        i128::MAX,
        i128::MIN + 1,
    ];

    #[test]
    fn machine_word_division_agrees_with_i128() {
        for n in VALUES {
            for d in VALUES {
                if d == 0 {
                    continue;
                }
                // reference: the former i128 code
                let reference = n.checked_div(d).zip(n.checked_rem(d)).and_then(|(q, r)| {
                    let step = if (n < 0) != (d < 0) { -1 } else { 1 };
                    if r.unsigned_abs() * 2 > d.unsigned_abs() {
                        q.checked_add(step)
                    } else {
                        Some(q)
                    }
                });
                assert_eq!(div_half_down(n, d), reference, "{n} / {d}");
                if d > 0 {
                    assert_eq!(div_rem_trunc(n, d), (n / d, n % d), "{n} / {d}");
                }
            }
            for s in [0, 1, 2, 8, 9, 17, 18, 30] {
                let (mut q, mut k) = (n, s);
                while k > 0 && q % 10 == 0 {
                    q /= 10;
                    k -= 1;
                }
                assert_eq!(strip_zeros(n, s), (q, k), "{n} e-{s}");
            }
        }
    }

    #[test]
    fn decimals_parse_alike_below_and_beyond_a_machine_word() {
        let d = |s: &str| {
            dec_item(parse_decimal(s).unwrap())
                .string_value()
                .to_string()
        };
        for (text, canonical) in [
            ("123456789012345678", "123456789012345678"),
            ("1234567890123456789", "1234567890123456789"),
            ("-12345678901234567890.5", "-12345678901234567890.5"),
            (" +000000000000000000000.1200 ", "0.12"),
            ("99999999999999999.99", "99999999999999999.99"),
            ("999999999999999999.9", "999999999999999999.9"),
            ("-0.000000000000000000001", "-0.000000000000000000001"),
            (
                "123456789012345678901234567890123456789012",
                "123456789012345678901234567890123456789012",
            ),
        ] {
            assert_eq!(d(text), canonical, "{text:?}");
        }
    }

    #[test]
    fn decimal_division_and_rounding_results() {
        let d = |s: &str| dec_item(parse_decimal(s).unwrap());
        let show = |i: R<Item<'_>>| i.unwrap().string_value().to_string();
        assert_eq!(
            show(arith(ArithOp::Div, &d("7"), &Item::Integer(100))),
            "0.07"
        );
        assert_eq!(
            show(arith(ArithOp::Div, &d("2204.02"), &Item::Integer(100))),
            "22.0402"
        );
        assert_eq!(
            show(arith(ArithOp::Div, &d("-1"), &Item::Integer(3))),
            "-0.333333333333333333"
        );
        assert_eq!(
            show(arith(ArithOp::Div, &d("2"), &Item::Integer(3))),
            "0.666666666666666667"
        );
        assert_eq!(show(arith(ArithOp::Div, &d("0"), &Item::Integer(-3))), "0");
        assert_eq!(show(round(&d("2.5"), Rounding::Round)), "3");
        assert_eq!(show(round(&d("-2.5"), Rounding::Round)), "-2");
        assert_eq!(show(round(&d("-2.51"), Rounding::Round)), "-3");
        assert_eq!(show(cast(&d("-2.9"), AtomicType::Integer)), "-2");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod integer_tests {
    use super::*;

    #[test]
    fn long_integer_arithmetic_agrees_with_the_big_path() {
        let ints = [
            "0",
            "1",
            "-1",
            "97",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "131400000000000000000000000",
            "-512108001245126199131475",
            "99999999999999999999999999999999999999",
            "170141183460469231731687303715884105727",
            "1000000000000000000000000000000000000000",
        ];
        let ops = [
            ArithOp::Add,
            ArithOp::Sub,
            ArithOp::Mul,
            ArithOp::IDiv,
            ArithOp::Mod,
        ];
        for x in ints {
            for y in ints {
                let a = parse_integer(x).unwrap();
                let b = parse_integer(y).unwrap();
                for op in ops {
                    let fast =
                        arith(op, &a, &b).map(|v| (v.type_name(), v.string_value().to_string()));
                    let slow = big_arith(op, &a, &b, true)
                        .map(|v| (v.type_name(), v.string_value().to_string()));
                    let fast = fast.map_err(|e| e.code);
                    let slow = if matches!(op, ArithOp::IDiv | ArithOp::Mod) && y == "0" {
                        Err("FOAR0001")
                    } else {
                        slow.map_err(|e| e.code)
                    };
                    assert_eq!(fast, slow, "{x} {op:?} {y}");
                }
            }
        }
    }
}

#[cfg(test)]
mod division_tests {
    use super::*;

    #[test]
    fn word_division_agrees_with_i128() {
        let ns: [i128; 9] = [
            0,
            7,
            -7,
            123_456_789_012_345_678_901_234_567_890,
            -98_765_432_109_876_543_210_987_654_321,
            i128::MAX,
            i128::MIN + 1,
            (1i128 << 96) + 5,
            10i128.pow(36),
        ];
        let ds: [i128; 8] = [1, 3, 7, 10, 100, 97, 4_294_967_295, -10];
        for n in ns {
            for d in ds {
                let (q, r) = divmod_u32(
                    n.unsigned_abs(),
                    u32::try_from(d.unsigned_abs()).unwrap_or(1),
                );
                assert_eq!(q, n.unsigned_abs() / d.unsigned_abs(), "{n} / {d}");
                assert_eq!(
                    u128::from(r),
                    n.unsigned_abs() % d.unsigned_abs(),
                    "{n} % {d}"
                );
                // the general path of div_half_down
                let want = {
                    let (q, r) = (n / d, n % d);
                    let (q, r, dm) = (q.unsigned_abs(), r.unsigned_abs(), d.unsigned_abs());
                    let q = if r * 2 > dm { q + 1 } else { q };
                    i128::try_from(q)
                        .ok()
                        .map(|q| if (n < 0) != (d < 0) { -q } else { q })
                };
                assert_eq!(div_half_down(n, d), want, "{n} / {d}");
            }
        }
        // trailing zeros stripped beyond scale 28 as by i128 arithmetic
        for (m, s) in [
            (1_000_000i128, 31u32),
            (-120i128, 30),
            (123_456i128, 29),
            (10i128.pow(35), 40),
        ] {
            let (mut wm, mut ws) = (m, s);
            while ws > 28 && wm % 10 == 0 {
                wm /= 10;
                ws -= 1;
            }
            let want = Decimal::try_from_i128_with_scale(wm, ws)
                .ok()
                .map(|d| (d.mantissa(), d.scale()));
            let got = match dec_from_parts(m, s) {
                DecParse::Small(d) => Some((d.mantissa(), d.scale())),
                DecParse::Big(_) => None,
            };
            assert_eq!(got, want, "{m}e-{s}");
        }
    }
}
