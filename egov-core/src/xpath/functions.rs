//! The built-in function library (the `fn:` functions the rules use, plus the common rest) and
//! `xs:` constructor functions.

use super::value::AtomicType;

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    Position,
    Last,
    Count,
    Exists,
    Empty,
    Not,
    Boolean,
    True,
    False,
    Sum,
    Avg,
    Min,
    Max,
    Number,
    String,
    StringLength,
    NormalizeSpace,
    Concat,
    Contains,
    StartsWith,
    EndsWith,
    Substring,
    SubstringBefore,
    SubstringAfter,
    Translate,
    UpperCase,
    LowerCase,
    Matches,
    Replace,
    Tokenize,
    StringJoin,
    Round,
    RoundHalfToEven,
    Floor,
    Ceiling,
    Abs,
    DistinctValues,
    Reverse,
    StringToCodepoints,
    CodepointsToString,
    IndexOf,
    Name,
    LocalName,
    NamespaceUri,
    Root,
    Data,
    Subsequence,
    ExactlyOne,
    ZeroOrOne,
    OneOrMore,
    Compare,
    Error,
    Constructor(AtomicType),
}

/// (name, builtin, min arity, max arity; usize::MAX = variadic)
const TABLE: &[(&str, Builtin, usize, usize)] = &[
    ("position", Builtin::Position, 0, 0),
    ("last", Builtin::Last, 0, 0),
    ("count", Builtin::Count, 1, 1),
    ("exists", Builtin::Exists, 1, 1),
    ("empty", Builtin::Empty, 1, 1),
    ("not", Builtin::Not, 1, 1),
    ("boolean", Builtin::Boolean, 1, 1),
    ("true", Builtin::True, 0, 0),
    ("false", Builtin::False, 0, 0),
    ("sum", Builtin::Sum, 1, 2),
    ("avg", Builtin::Avg, 1, 1),
    ("min", Builtin::Min, 1, 1),
    ("max", Builtin::Max, 1, 1),
    ("number", Builtin::Number, 0, 1),
    ("string", Builtin::String, 0, 1),
    ("string-length", Builtin::StringLength, 0, 1),
    ("normalize-space", Builtin::NormalizeSpace, 0, 1),
    ("concat", Builtin::Concat, 2, usize::MAX),
    ("contains", Builtin::Contains, 2, 2),
    ("starts-with", Builtin::StartsWith, 2, 2),
    ("ends-with", Builtin::EndsWith, 2, 2),
    ("substring", Builtin::Substring, 2, 3),
    ("substring-before", Builtin::SubstringBefore, 2, 2),
    ("substring-after", Builtin::SubstringAfter, 2, 2),
    ("translate", Builtin::Translate, 3, 3),
    ("upper-case", Builtin::UpperCase, 1, 1),
    ("lower-case", Builtin::LowerCase, 1, 1),
    ("matches", Builtin::Matches, 2, 3),
    ("replace", Builtin::Replace, 3, 4),
    ("tokenize", Builtin::Tokenize, 2, 3),
    ("string-join", Builtin::StringJoin, 1, 2),
    ("round", Builtin::Round, 1, 1),
    ("round-half-to-even", Builtin::RoundHalfToEven, 1, 2),
    ("floor", Builtin::Floor, 1, 1),
    ("ceiling", Builtin::Ceiling, 1, 1),
    ("abs", Builtin::Abs, 1, 1),
    ("distinct-values", Builtin::DistinctValues, 1, 1),
    ("reverse", Builtin::Reverse, 1, 1),
    ("string-to-codepoints", Builtin::StringToCodepoints, 1, 1),
    ("codepoints-to-string", Builtin::CodepointsToString, 1, 1),
    ("index-of", Builtin::IndexOf, 2, 2),
    ("name", Builtin::Name, 0, 1),
    ("local-name", Builtin::LocalName, 0, 1),
    ("namespace-uri", Builtin::NamespaceUri, 0, 1),
    ("root", Builtin::Root, 0, 1),
    ("data", Builtin::Data, 1, 1),
    ("subsequence", Builtin::Subsequence, 2, 3),
    ("exactly-one", Builtin::ExactlyOne, 1, 1),
    ("zero-or-one", Builtin::ZeroOrOne, 1, 1),
    ("one-or-more", Builtin::OneOrMore, 1, 1),
    ("compare", Builtin::Compare, 2, 2),
    ("error", Builtin::Error, 0, 3),
];

/// The built-in `fn:` function with this local name and arity.
pub(crate) fn lookup_builtin(local: &str, arity: usize) -> Option<Builtin> {
    TABLE
        .iter()
        .find(|(n, _, lo, hi)| *n == local && arity >= *lo && arity <= *hi)
        .map(|(_, b, _, _)| *b)
}

impl Builtin {
    /// A number for the compiled form: the function's row in the table, or for a constructor
    /// function the table's length plus the type's number.
    pub(crate) fn code(self) -> u32 {
        match self {
            Builtin::Constructor(t) => (TABLE.len() + t as usize) as u32,
            b => TABLE.iter().position(|(_, x, _, _)| *x == b).unwrap_or(0) as u32,
        }
    }

    /// The function with this [`Builtin::code`].
    pub(crate) fn from_code(code: u32) -> Option<Builtin> {
        let i = code as usize;
        match TABLE.get(i) {
            Some((_, b, _, _)) => Some(*b),
            None => AtomicType::ALL
                .iter()
                .find(|t| **t as usize + TABLE.len() == i)
                .map(|t| Builtin::Constructor(*t)),
        }
    }

    /// The `fn:` name, for messages.
    pub(crate) fn name(self) -> &'static str {
        if let Builtin::Constructor(t) = self {
            return t.name();
        }
        TABLE
            .iter()
            .find(|(_, b, _, _)| *b == self)
            .map_or("?", |(n, _, _, _)| n)
    }

    /// True when the function returns at most one item (so it can be evaluated without a
    /// sequence buffer).
    pub(crate) fn single_valued(self, nargs: usize) -> bool {
        let multi = matches!(
            self,
            Builtin::Tokenize
                | Builtin::DistinctValues
                | Builtin::Reverse
                | Builtin::StringToCodepoints
                | Builtin::IndexOf
                | Builtin::Data
                | Builtin::Subsequence
                | Builtin::ExactlyOne
                | Builtin::ZeroOrOne
                | Builtin::OneOrMore
        );
        !multi && (self != Builtin::Sum || nargs != 2)
    }

    pub(crate) fn uses_regex(self) -> bool {
        matches!(
            self,
            Builtin::Matches | Builtin::Replace | Builtin::Tokenize
        )
    }

    pub(crate) fn regex_flags_index(self) -> usize {
        if self == Builtin::Replace {
            3
        } else {
            2
        }
    }

    /// True when the result is never numeric (boolean, string, nodes).
    pub(crate) fn returns_non_numeric(self) -> bool {
        matches!(
            self,
            Builtin::Exists
                | Builtin::Empty
                | Builtin::Not
                | Builtin::Boolean
                | Builtin::True
                | Builtin::False
                | Builtin::String
                | Builtin::NormalizeSpace
                | Builtin::Concat
                | Builtin::Contains
                | Builtin::StartsWith
                | Builtin::EndsWith
                | Builtin::Substring
                | Builtin::SubstringBefore
                | Builtin::SubstringAfter
                | Builtin::Translate
                | Builtin::UpperCase
                | Builtin::LowerCase
                | Builtin::Matches
                | Builtin::Replace
                | Builtin::Tokenize
                | Builtin::StringJoin
                | Builtin::CodepointsToString
                | Builtin::Name
                | Builtin::LocalName
                | Builtin::NamespaceUri
                | Builtin::Root
                | Builtin::Constructor(
                    AtomicType::String
                        | AtomicType::Boolean
                        | AtomicType::Date
                        | AtomicType::Untyped
                )
        )
    }
}

/// XML white space (what `normalize-space` strips and collapses).
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `fn:normalize-space`; `None` when the string is already normalized (borrow it).
pub(crate) fn normalize_space(s: &str) -> Option<String> {
    let b = s.as_bytes();
    // one pass: is anything to be changed?
    let mut prev_space = true; // at the start, a space would be leading
    let mut clean = true;
    for &c in b {
        if is_ws(c) {
            if c != b' ' || prev_space {
                clean = false;
                break;
            }
            prev_space = true;
        } else {
            prev_space = false;
        }
    }
    if clean && (!prev_space || b.is_empty()) {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    for word in s
        .split(|c: char| c.is_ascii() && is_ws(c as u8))
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Some(out)
}

/// True when `normalize-space(s)` is not empty (some non-whitespace character).
pub(crate) fn has_content(s: &str) -> bool {
    s.bytes().any(|c| !is_ws(c))
}

/// XPath `fn:round` of a double used as a position (substring arguments).
pub(crate) fn xpath_round(d: f64) -> f64 {
    if !d.is_finite() {
        return d;
    }
    (d + 0.5).floor()
}

/// `fn:substring` on characters.
pub(crate) fn substring(s: &str, start: f64, len: Option<f64>) -> &str {
    let rs = xpath_round(start);
    let end = match len {
        Some(l) => rs + xpath_round(l),
        None => f64::INFINITY,
    };
    if rs.is_nan() || end.is_nan() {
        return "";
    }
    // byte offsets of the first character at position >= rs and of the first at position >= end
    let mut from = None;
    let mut to = s.len();
    for (i, (at, _)) in s.char_indices().enumerate() {
        let p = (i + 1) as f64;
        if p >= end {
            to = at;
            break;
        }
        if from.is_none() && p >= rs {
            from = Some(at);
        }
    }
    match from {
        Some(a) => s.get(a..to).unwrap_or_default(),
        None => "",
    }
}

/// `fn:translate`.
pub(crate) fn translate(s: &str, map: &str, trans: &str) -> String {
    let from: Vec<char> = map.chars().collect();
    let to: Vec<char> = trans.chars().collect();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match from.iter().position(|f| *f == c) {
            Some(i) => {
                if let Some(t) = to.get(i) {
                    out.push(*t);
                }
            }
            None => out.push(c),
        }
    }
    out
}
