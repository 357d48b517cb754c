//! XPath regular expressions (the XML Schema dialect plus `^`/`$`, reluctant quantifiers and
//! flags `s m i x q`) translated to the `regex` crate, compiled lazily and cached per call site.

use std::sync::{Arc, Mutex};

use regex::Regex;

use super::ast::{Expr, Literal};
use super::value::{err, R};

const NAME_START: &str = r":A-Z_a-z\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{2FF}\x{370}-\x{37D}\x{37F}-\x{1FFF}\x{200C}-\x{200D}\x{2070}-\x{218F}\x{2C00}-\x{2FEF}\x{3001}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFFD}\x{10000}-\x{EFFFF}";
const NAME_EXTRA: &str = r"\-.0-9\x{B7}\x{300}-\x{36F}\x{203F}-\x{2040}";

enum Piece {
    Char(char),
    Class(String),
}

fn hex(c: char) -> String {
    format!("\\x{{{:X}}}", c as u32)
}

const CATEGORIES: &[&str] = &[
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc",
    "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Z", "Zs", "Zl", "Zp", "S", "Sm", "Sc", "Sk", "So", "C",
    "Cc", "Cf", "Co", "Cn",
];

/// Parses the escape after a backslash at `chars[i]`; returns the piece and the index after it.
fn escape(chars: &[char], i: usize) -> Result<(Piece, usize), String> {
    let Some(&c) = chars.get(i) else {
        return Err("regular expression ends with a backslash".into());
    };
    let class = |s: &str| Ok((Piece::Class(s.to_string()), i + 1));
    match c {
        'n' => Ok((Piece::Char('\n'), i + 1)),
        'r' => Ok((Piece::Char('\r'), i + 1)),
        't' => Ok((Piece::Char('\t'), i + 1)),
        '\\' | '|' | '.' | '?' | '*' | '+' | '(' | ')' | '{' | '}' | '-' | '[' | ']' | '^'
        | '$' => Ok((Piece::Char(c), i + 1)),
        'd' => class(r"\p{Nd}"),
        'D' => class(r"\P{Nd}"),
        's' => class(r"[\x20\t\n\r]"),
        'S' => class(r"[^\x20\t\n\r]"),
        'w' => class(r"[^\p{P}\p{Z}\p{C}]"),
        'W' => class(r"[\p{P}\p{Z}\p{C}]"),
        'i' => class(&format!("[{NAME_START}]")),
        'I' => class(&format!("[^{NAME_START}]")),
        'c' => class(&format!("[{NAME_START}{NAME_EXTRA}]")),
        'C' => class(&format!("[^{NAME_START}{NAME_EXTRA}]")),
        'p' | 'P' => {
            if chars.get(i + 1) != Some(&'{') {
                return Err(format!("\\{c} must be followed by {{name}}"));
            }
            let end = chars
                .iter()
                .skip(i + 2)
                .position(|x| *x == '}')
                .ok_or("unterminated \\p{…}")?;
            let name: String = chars.iter().skip(i + 2).take(end).collect();
            if !CATEGORIES.contains(&name.as_str()) {
                return Err(format!(
                    "unsupported character property \\{c}{{{name}}} (block escapes are not supported)"
                ));
            }
            Ok((Piece::Class(format!("\\{c}{{{name}}}")), i + 3 + end))
        }
        '0'..='9' => Err("back-references are not supported".into()),
        other => Err(format!("invalid escape \\{other}")),
    }
}

/// Parses a character class starting at `chars[i] == '['`; returns the Rust class and the index
/// after the closing `]`.
fn class(chars: &[char], mut i: usize, depth: usize) -> Result<(String, usize), String> {
    if depth > 32 {
        return Err("character classes nested too deeply".into());
    }
    i += 1;
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut items = String::new();
    let mut count = 0usize;
    let mut subtract: Option<String> = None;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated character class".into());
        };
        match c {
            ']' if count > 0 => {
                i += 1;
                break;
            }
            '-' if chars.get(i + 1) == Some(&'[') && count > 0 => {
                let (sub, ni) = class(chars, i + 1, depth + 1)?;
                subtract = Some(sub);
                i = ni;
                if chars.get(i) != Some(&']') {
                    return Err("a class subtraction must end the character class".into());
                }
                i += 1;
                break;
            }
            '[' => return Err("'[' must be escaped inside a character class".into()),
            _ => {}
        }
        // one character or class escape, possibly the start of a range
        let (piece, ni) = if c == '\\' {
            escape(chars, i + 1)?
        } else {
            (Piece::Char(c), i + 1)
        };
        i = ni;
        count += 1;
        match piece {
            Piece::Class(s) => items.push_str(&s),
            Piece::Char(lo) => {
                let is_range = chars.get(i) == Some(&'-')
                    && !matches!(chars.get(i + 1), Some(']') | Some('[') | None);
                if is_range {
                    let hc = chars.get(i + 1).copied().unwrap_or(']');
                    let (hp, ni2) = if hc == '\\' {
                        escape(chars, i + 2)?
                    } else {
                        (Piece::Char(hc), i + 2)
                    };
                    let Piece::Char(hi) = hp else {
                        return Err("a range cannot end with a class escape".into());
                    };
                    if hi < lo {
                        return Err(format!("invalid range {lo}-{hi}"));
                    }
                    items.push_str(&hex(lo));
                    items.push('-');
                    items.push_str(&hex(hi));
                    i = ni2;
                } else {
                    items.push_str(&hex(lo));
                }
            }
        }
    }
    let base = format!("[{}{}]", if negated { "^" } else { "" }, items);
    Ok(match subtract {
        Some(sub) => (format!("[{base}--{sub}]"), i),
        None => (base, i),
    })
}

/// Translates an XPath regular expression with `flags` into `regex` crate syntax.
pub(crate) fn translate(pattern: &str, flags: &str) -> Result<String, String> {
    let (mut dot_all, mut ci, mut multi, mut extended, mut literal) =
        (false, false, false, false, false);
    for f in flags.chars() {
        match f {
            's' => dot_all = true,
            'i' => ci = true,
            'm' => multi = true,
            'x' => extended = true,
            'q' => literal = true,
            other => {
                return Err(format!(
                    "invalid regular expression flag {other:?} (FORX0001)"
                ))
            }
        }
    }
    let mut out = String::with_capacity(pattern.len() * 2 + 8);
    if ci {
        out.push_str("(?i)");
    }
    if multi {
        out.push_str("(?m)");
    }
    if literal {
        out.push_str(&regex::escape(pattern));
        return Ok(out);
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut open = 0i32;
    while let Some(&c) = chars.get(i) {
        if extended && matches!(c, ' ' | '\t' | '\n' | '\r') {
            i += 1;
            continue;
        }
        match c {
            '\\' => {
                let (p, ni) = escape(&chars, i + 1)?;
                match p {
                    Piece::Char(ch) => out.push_str(&hex(ch)),
                    Piece::Class(s) => out.push_str(&s),
                }
                i = ni;
                continue;
            }
            '[' => {
                let (s, ni) = class(&chars, i, 0)?;
                out.push_str(&s);
                i = ni;
                continue;
            }
            '.' => out.push_str(if dot_all { "(?s:.)" } else { r"[^\n\r]" }),
            '(' => {
                open += 1;
                if chars.get(i + 1) == Some(&'?') {
                    if chars.get(i + 2) == Some(&':') {
                        out.push_str("(?:");
                        i += 3;
                        continue;
                    }
                    return Err("'(?' groups other than '(?:' are not allowed".into());
                }
                out.push('(');
            }
            ')' => {
                open -= 1;
                if open < 0 {
                    return Err("unbalanced ')'".into());
                }
                out.push(')');
            }
            '|' | '^' | '$' | '*' | '+' | '?' => out.push(c),
            '{' => {
                let end = chars
                    .iter()
                    .skip(i + 1)
                    .position(|x| *x == '}')
                    .ok_or("unterminated quantifier")?;
                let body: String = chars.iter().skip(i + 1).take(end).collect();
                let valid = {
                    let (a, b) = body.split_once(',').unwrap_or((&body, ""));
                    !a.is_empty()
                        && a.bytes().all(|x| x.is_ascii_digit())
                        && b.bytes().all(|x| x.is_ascii_digit())
                };
                if !valid {
                    return Err(format!("invalid quantifier {{{body}}}"));
                }
                out.push('{');
                out.push_str(&body);
                out.push('}');
                i += end + 2;
                continue;
            }
            '}' | ']' => return Err(format!("unescaped '{c}'")),
            other => {
                if other.is_alphanumeric() || other == ' ' {
                    out.push(other);
                } else {
                    out.push_str(&hex(other));
                }
            }
        }
        i += 1;
    }
    if open != 0 {
        return Err("unbalanced '('".into());
    }
    Ok(out)
}

struct Entry {
    pattern: Box<str>,
    flags: Box<str>,
    regex: Arc<Regex>,
    matches_empty: bool,
}

/// Compiled regular expressions of one call site (`matches`, `replace`, `tokenize`), keyed by
/// pattern and flags. Literal patterns are checked when the expression is compiled and built on
/// first use; patterns from variables are cached as they come.
#[derive(Default)]
pub(crate) struct RegexCache {
    entries: Mutex<Vec<Entry>>,
}

impl std::fmt::Debug for RegexCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegexCache")
    }
}

fn literal_str(e: &Expr) -> Option<&str> {
    match e {
        Expr::Literal(Literal::String(s)) => Some(s),
        _ => None,
    }
}

impl RegexCache {
    /// A cache for a call with these arguments; literal patterns and flags are validated now.
    /// `flags_at` is the index of the flags argument (2 for `matches`/`tokenize`, 3 for
    /// `replace`).
    pub(crate) fn for_call(args: &[Expr], flags_at: usize) -> Result<RegexCache, String> {
        let pattern = args.get(1).and_then(literal_str);
        let flags = match args.get(flags_at) {
            Some(e) => literal_str(e),
            None => Some(""),
        };
        if let (Some(p), Some(f)) = (pattern, flags) {
            translate(p, f)?;
        }
        Ok(RegexCache::default())
    }

    /// The compiled regex for `pattern` with `flags`.
    #[allow(dead_code)]
    pub(crate) fn get(&self, pattern: &str, flags: &str) -> R<Arc<Regex>> {
        self.get_with_empty(pattern, flags).map(|(r, _)| r)
    }

    /// The compiled regex and whether it matches the empty string.
    pub(crate) fn get_with_empty(&self, pattern: &str, flags: &str) -> R<(Arc<Regex>, bool)> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = entries
            .iter()
            .find(|e| &*e.pattern == pattern && &*e.flags == flags)
        {
            return Ok((e.regex.clone(), e.matches_empty));
        }
        let translated = translate(pattern, flags).map_err(|m| {
            err(
                if m.contains("FORX0001") {
                    "FORX0001"
                } else {
                    "FORX0002"
                },
                format!("invalid regular expression {pattern:?}: {m}"),
            )
        })?;
        let regex = regex::RegexBuilder::new(&translated)
            .size_limit(4 << 20)
            .build()
            .map_err(|e| {
                err(
                    "FORX0002",
                    format!("invalid regular expression {pattern:?}: {e}"),
                )
            })?;
        let regex = Arc::new(regex);
        let matches_empty = regex.is_match("");
        if entries.len() >= 16 {
            entries.remove(0);
        }
        entries.push(Entry {
            pattern: pattern.into(),
            flags: flags.into(),
            regex: regex.clone(),
            matches_empty,
        });
        Ok((regex, matches_empty))
    }
}
