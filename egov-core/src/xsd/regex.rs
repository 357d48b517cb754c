//! The XML Schema regular-expression dialect (XSD Part 2, Appendix F) translated to the `regex`
//! crate's syntax — the one translator behind both XSD `pattern` facets ([`translate`]) and the
//! XPath functions `matches`, `replace` and `tokenize` ([`translate_xpath`]).
//!
//! Common to both: `.` excludes only `\n` and `\r`; character-class subtraction `[a-z-[aeiou]]`;
//! the multi-character escapes `\i \I \c \C` (XML name characters), `\w \W` (XSD's definition);
//! category escapes `\p{Lu}` and block escapes `\p{IsBasicLatin}`; no back-references or other
//! Perl extensions.
//!
//! XSD patterns are implicitly anchored and treat `^` and `$` as ordinary characters. XPath
//! expressions (F&O 3.1 §5.6.1) are unanchored and add `^`/`$` anchors, `\$`, reluctant
//! quantifiers, capturing and `(?:…)` groups, and the flags `s m i x q`.

use std::fmt::Write as _;

/// Translates an XSD pattern into an anchored `regex`-crate pattern. `Err` explains what is
/// wrong or unsupported.
pub(crate) fn translate(pattern: &str) -> Result<String, String> {
    let mut t = Translator::new(pattern, false);
    t.out.push_str(r"\A(?:");
    t.run()?;
    t.out.push_str(r")\z");
    Ok(t.out)
}

/// Translates an XPath regular expression with `flags` into an unanchored `regex`-crate pattern.
/// An invalid flag is reported with "FORX0001" in the message; anything else is FORX0002.
pub(crate) fn translate_xpath(pattern: &str, flags: &str) -> Result<String, String> {
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
    let mut t = Translator::new(pattern, true);
    t.dot_all = dot_all;
    t.extended = extended;
    if ci {
        t.out.push_str("(?i)");
    }
    if multi {
        t.out.push_str("(?m)");
    }
    if literal {
        t.out.push_str(&regex::escape(pattern));
        return Ok(t.out);
    }
    t.run()?;
    Ok(t.out)
}

/// Deepest nesting of groups; the `regex` crate refuses deeper patterns anyway, and the limit
/// keeps the recursive descent off the end of the stack for hostile patterns.
const MAX_GROUP_DEPTH: usize = 250;
/// Deepest nesting of character-class subtractions.
const MAX_CLASS_DEPTH: usize = 32;

struct Translator {
    chars: Vec<char>,
    i: usize,
    out: String,
    /// The XPath dialect (see the module documentation).
    xpath: bool,
    /// XPath flag `s`: `.` matches every character.
    dot_all: bool,
    /// XPath flag `x`: whitespace outside character classes is ignored.
    extended: bool,
    depth: usize,
}

const NAME_START: &str = r":A-Z_a-z\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{2FF}\x{370}-\x{37D}\x{37F}-\x{1FFF}\x{200C}-\x{200D}\x{2070}-\x{218F}\x{2C00}-\x{2FEF}\x{3001}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFFD}\x{10000}-\x{EFFFF}";
const NAME_EXTRA: &str = r"\-.0-9\x{B7}\x{300}-\x{36F}\x{203F}-\x{2040}";

fn lit(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", c as u32);
    }
}

impl Translator {
    fn new(pattern: &str, xpath: bool) -> Self {
        Translator {
            chars: pattern.chars().collect(),
            i: 0,
            out: String::with_capacity(pattern.len() * 2 + 8),
            xpath,
            dot_all: false,
            extended: false,
            depth: 0,
        }
    }

    /// The whole pattern.
    fn run(&mut self) -> Result<(), String> {
        self.regexp()?;
        if self.i < self.chars.len() {
            return Err(format!(
                "unexpected {:?} at character {}",
                self.peek_char(),
                self.i + 1
            ));
        }
        Ok(())
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    /// Like [`Self::peek`] outside character classes: skips whitespace under the `x` flag.
    fn peek_token(&mut self) -> Option<char> {
        if self.extended {
            while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
                self.i += 1;
            }
        }
        self.peek()
    }

    fn peek_char(&self) -> char {
        self.peek().unwrap_or('\0')
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn regexp(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_GROUP_DEPTH {
            return Err("groups nested too deeply".into());
        }
        self.branch()?;
        while self.peek_token() == Some('|') {
            self.i += 1;
            self.out.push('|');
            self.branch()?;
        }
        self.depth -= 1;
        Ok(())
    }

    fn branch(&mut self) -> Result<(), String> {
        while let Some(c) = self.peek_token() {
            if c == '|' || c == ')' {
                break;
            }
            self.atom()?;
            self.quantifier()?;
            // XPath has always handed stacked quantifiers (`a**`, `a{2}+`) to the `regex`
            // crate, which accepts them.
            while self.xpath && matches!(self.peek_token(), Some('?' | '*' | '+' | '{')) {
                self.quantifier()?;
            }
        }
        Ok(())
    }

    fn quantifier(&mut self) -> Result<(), String> {
        match self.peek_token() {
            Some(c @ ('?' | '*' | '+')) => {
                self.i += 1;
                self.out.push(c);
            }
            Some('{') => {
                let start = self.i;
                self.i += 1;
                let mut body = String::new();
                loop {
                    match self.peek() {
                        Some('}') => {
                            self.i += 1;
                            break;
                        }
                        Some(c) if c.is_ascii_digit() || c == ',' => {
                            body.push(c);
                            self.i += 1;
                        }
                        _ => {
                            return Err(format!("malformed quantifier at character {}", start + 1))
                        }
                    }
                }
                let valid = match body.split_once(',') {
                    None => !body.is_empty(),
                    Some((a, b)) => {
                        !a.is_empty()
                            && !b.contains(',')
                            && (b.is_empty() || a.parse::<u64>().ok() <= b.parse::<u64>().ok())
                    }
                };
                if !valid {
                    return Err(format!("malformed quantifier {{{body}}}"));
                }
                let _ = write!(self.out, "{{{body}}}");
            }
            _ => return Ok(()),
        }
        // XPath: a reluctant quantifier.
        if self.xpath && self.peek_token() == Some('?') {
            self.i += 1;
            self.out.push('?');
        }
        Ok(())
    }

    fn atom(&mut self) -> Result<(), String> {
        let Some(c) = self.peek_token() else {
            return Ok(());
        };
        self.i += 1;
        match c {
            '(' => {
                if !self.xpath {
                    self.out.push_str("(?:");
                } else if self.peek() == Some('?') {
                    if self.peek_at(1) != Some(':') {
                        return Err("'(?' groups other than '(?:' are not allowed".into());
                    }
                    self.i += 2;
                    self.out.push_str("(?:");
                } else {
                    self.out.push('(');
                }
                self.regexp()?;
                if self.peek_token() != Some(')') {
                    return Err("missing ')'".into());
                }
                self.i += 1;
                self.out.push(')');
            }
            '[' => {
                let class = self.class_expr(0)?;
                self.out.push_str(&class);
            }
            '.' if self.dot_all => self.out.push_str("(?s:.)"),
            '.' => self.out.push_str(r"[^\n\r]"),
            '^' | '$' if self.xpath => self.out.push(c),
            '\\' => {
                let e = self.escape()?;
                match e {
                    Esc::Char(ch) => lit(&mut self.out, ch),
                    Esc::Class(cls) => self.out.push_str(&cls),
                }
            }
            '?' | '*' | '+' | '{' | '}' | ')' | ']' => {
                return Err(format!("unexpected {c:?} at character {}", self.i));
            }
            c => lit(&mut self.out, c),
        }
        Ok(())
    }

    /// After a `\`.
    fn escape(&mut self) -> Result<Esc, String> {
        let c = self.peek().ok_or("pattern ends with '\\'")?;
        self.i += 1;
        Ok(match c {
            'n' => Esc::Char('\n'),
            'r' => Esc::Char('\r'),
            't' => Esc::Char('\t'),
            '\\' | '|' | '.' | '-' | '^' | '?' | '*' | '+' | '{' | '}' | '(' | ')' | '[' | ']' => {
                Esc::Char(c)
            }
            '$' if self.xpath => Esc::Char(c),
            's' => Esc::Class(r"[\t\n\r ]".into()),
            'S' => Esc::Class(r"[^\t\n\r ]".into()),
            'd' => Esc::Class(r"\p{Nd}".into()),
            'D' => Esc::Class(r"\P{Nd}".into()),
            'w' => Esc::Class(r"[^\p{P}\p{Z}\p{C}]".into()),
            'W' => Esc::Class(r"[\p{P}\p{Z}\p{C}]".into()),
            'i' => Esc::Class(format!("[{NAME_START}]")),
            'I' => Esc::Class(format!("[^{NAME_START}]")),
            'c' => Esc::Class(format!("[{NAME_START}{NAME_EXTRA}]")),
            'C' => Esc::Class(format!("[^{NAME_START}{NAME_EXTRA}]")),
            'p' | 'P' => {
                if self.peek() != Some('{') {
                    return Err("\\p must be followed by {name}".into());
                }
                self.i += 1;
                let mut name = String::new();
                loop {
                    match self.peek() {
                        Some('}') => {
                            self.i += 1;
                            break;
                        }
                        Some(ch) => {
                            name.push(ch);
                            self.i += 1;
                        }
                        None => return Err("unterminated \\p{…}".into()),
                    }
                }
                let neg = c == 'P';
                Esc::Class(property(&name, neg)?)
            }
            '0'..='9' => return Err("back-references are not supported".into()),
            other => return Err(format!("unknown escape \\{other}")),
        })
    }

    /// After a `[`: a character class expression up to and including its `]`.
    fn class_expr(&mut self, depth: usize) -> Result<String, String> {
        if depth > MAX_CLASS_DEPTH {
            return Err("character classes nested too deeply".into());
        }
        let negated = if self.peek() == Some('^') {
            self.i += 1;
            true
        } else {
            false
        };
        let mut items = String::new();
        let mut count = 0usize;
        let mut subtraction: Option<String> = None;
        loop {
            let c = self.peek().ok_or("unterminated character class")?;
            match c {
                // XPath (historically) reads a leading ']' as a literal.
                ']' if count == 0 && self.xpath => {}
                ']' => {
                    if count == 0 {
                        return Err("empty character class".into());
                    }
                    self.i += 1;
                    break;
                }
                '-' if self.peek_at(1) == Some('[') => {
                    if count == 0 {
                        return Err("character class subtraction without a base".into());
                    }
                    self.i += 2;
                    subtraction = Some(self.class_expr(depth + 1)?);
                    if self.peek() != Some(']') {
                        return Err("subtraction must end the character class".into());
                    }
                    self.i += 1;
                    break;
                }
                '[' => return Err("'[' must be escaped inside a character class".into()),
                _ => {}
            }
            // A single character or escape, possibly starting a range.
            self.i += 1;
            let first = if c == '\\' {
                match self.escape()? {
                    Esc::Char(ch) => ch,
                    Esc::Class(cls) => {
                        items.push_str(&cls);
                        count += 1;
                        continue;
                    }
                }
            } else {
                c
            };
            let is_range = self.peek() == Some('-')
                && !matches!(self.peek_at(1), Some(']') | Some('[') | None);
            if is_range {
                self.i += 1;
                let d = self.peek().ok_or("unterminated range")?;
                self.i += 1;
                let last = if d == '\\' {
                    match self.escape()? {
                        Esc::Char(ch) => ch,
                        Esc::Class(_) => {
                            return Err("a range cannot end with a class escape".into())
                        }
                    }
                } else {
                    d
                };
                if last < first {
                    return Err(format!("range {first}-{last} is out of order"));
                }
                lit(&mut items, first);
                items.push('-');
                lit(&mut items, last);
            } else {
                lit(&mut items, first);
            }
            count += 1;
        }
        let base = if negated {
            format!("[^{items}]")
        } else {
            format!("[{items}]")
        };
        Ok(match subtraction {
            Some(sub) => format!("[{base}--{sub}]"),
            None => base,
        })
    }
}

enum Esc {
    Char(char),
    Class(String),
}

const CATEGORIES: &[&str] = &[
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc",
    "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Z", "Zs", "Zl", "Zp", "S", "Sm", "Sc", "Sk", "So", "C",
    "Cc", "Cf", "Co", "Cn",
];

/// Unicode blocks as named by XML Schema 1.0 (Unicode 3.1).
const BLOCKS: &[(&str, u32, u32)] = &[
    ("BasicLatin", 0x0000, 0x007F),
    ("Latin-1Supplement", 0x0080, 0x00FF),
    ("LatinExtended-A", 0x0100, 0x017F),
    ("LatinExtended-B", 0x0180, 0x024F),
    ("IPAExtensions", 0x0250, 0x02AF),
    ("SpacingModifierLetters", 0x02B0, 0x02FF),
    ("CombiningDiacriticalMarks", 0x0300, 0x036F),
    ("Greek", 0x0370, 0x03FF),
    ("Cyrillic", 0x0400, 0x04FF),
    ("Armenian", 0x0530, 0x058F),
    ("Hebrew", 0x0590, 0x05FF),
    ("Arabic", 0x0600, 0x06FF),
    ("Syriac", 0x0700, 0x074F),
    ("Thaana", 0x0780, 0x07BF),
    ("Devanagari", 0x0900, 0x097F),
    ("Bengali", 0x0980, 0x09FF),
    ("Gurmukhi", 0x0A00, 0x0A7F),
    ("Gujarati", 0x0A80, 0x0AFF),
    ("Oriya", 0x0B00, 0x0B7F),
    ("Tamil", 0x0B80, 0x0BFF),
    ("Telugu", 0x0C00, 0x0C7F),
    ("Kannada", 0x0C80, 0x0CFF),
    ("Malayalam", 0x0D00, 0x0D7F),
    ("Sinhala", 0x0D80, 0x0DFF),
    ("Thai", 0x0E00, 0x0E7F),
    ("Lao", 0x0E80, 0x0EFF),
    ("Tibetan", 0x0F00, 0x0FFF),
    ("Myanmar", 0x1000, 0x109F),
    ("Georgian", 0x10A0, 0x10FF),
    ("HangulJamo", 0x1100, 0x11FF),
    ("Ethiopic", 0x1200, 0x137F),
    ("Cherokee", 0x13A0, 0x13FF),
    ("UnifiedCanadianAboriginalSyllabics", 0x1400, 0x167F),
    ("Ogham", 0x1680, 0x169F),
    ("Runic", 0x16A0, 0x16FF),
    ("Khmer", 0x1780, 0x17FF),
    ("Mongolian", 0x1800, 0x18AF),
    ("LatinExtendedAdditional", 0x1E00, 0x1EFF),
    ("GreekExtended", 0x1F00, 0x1FFF),
    ("GeneralPunctuation", 0x2000, 0x206F),
    ("SuperscriptsandSubscripts", 0x2070, 0x209F),
    ("CurrencySymbols", 0x20A0, 0x20CF),
    ("CombiningMarksforSymbols", 0x20D0, 0x20FF),
    ("LetterlikeSymbols", 0x2100, 0x214F),
    ("NumberForms", 0x2150, 0x218F),
    ("Arrows", 0x2190, 0x21FF),
    ("MathematicalOperators", 0x2200, 0x22FF),
    ("MiscellaneousTechnical", 0x2300, 0x23FF),
    ("ControlPictures", 0x2400, 0x243F),
    ("OpticalCharacterRecognition", 0x2440, 0x245F),
    ("EnclosedAlphanumerics", 0x2460, 0x24FF),
    ("BoxDrawing", 0x2500, 0x257F),
    ("BlockElements", 0x2580, 0x259F),
    ("GeometricShapes", 0x25A0, 0x25FF),
    ("MiscellaneousSymbols", 0x2600, 0x26FF),
    ("Dingbats", 0x2700, 0x27BF),
    ("BraillePatterns", 0x2800, 0x28FF),
    ("CJKRadicalsSupplement", 0x2E80, 0x2EFF),
    ("KangxiRadicals", 0x2F00, 0x2FDF),
    ("IdeographicDescriptionCharacters", 0x2FF0, 0x2FFF),
    ("CJKSymbolsandPunctuation", 0x3000, 0x303F),
    ("Hiragana", 0x3040, 0x309F),
    ("Katakana", 0x30A0, 0x30FF),
    ("Bopomofo", 0x3100, 0x312F),
    ("HangulCompatibilityJamo", 0x3130, 0x318F),
    ("Kanbun", 0x3190, 0x319F),
    ("BopomofoExtended", 0x31A0, 0x31BF),
    ("EnclosedCJKLettersandMonths", 0x3200, 0x32FF),
    ("CJKCompatibility", 0x3300, 0x33FF),
    ("CJKUnifiedIdeographsExtensionA", 0x3400, 0x4DB5),
    ("CJKUnifiedIdeographs", 0x4E00, 0x9FFF),
    ("YiSyllables", 0xA000, 0xA48F),
    ("YiRadicals", 0xA490, 0xA4CF),
    ("HangulSyllables", 0xAC00, 0xD7A3),
    ("PrivateUse", 0xE000, 0xF8FF),
    ("CJKCompatibilityIdeographs", 0xF900, 0xFAFF),
    ("AlphabeticPresentationForms", 0xFB00, 0xFB4F),
    ("ArabicPresentationForms-A", 0xFB50, 0xFDFF),
    ("CombiningHalfMarks", 0xFE20, 0xFE2F),
    ("CJKCompatibilityForms", 0xFE30, 0xFE4F),
    ("SmallFormVariants", 0xFE50, 0xFE6F),
    ("ArabicPresentationForms-B", 0xFE70, 0xFEFE),
    ("Specials", 0xFFF0, 0xFFFD),
    ("HalfwidthandFullwidthForms", 0xFF00, 0xFFEF),
    ("OldItalic", 0x10300, 0x1032F),
    ("Gothic", 0x10330, 0x1034F),
    ("Deseret", 0x10400, 0x1044F),
    ("ByzantineMusicalSymbols", 0x1D000, 0x1D0FF),
    ("MusicalSymbols", 0x1D100, 0x1D1FF),
    ("MathematicalAlphanumericSymbols", 0x1D400, 0x1D7FF),
    ("CJKUnifiedIdeographsExtensionB", 0x20000, 0x2A6D6),
    ("CJKCompatibilityIdeographsSupplement", 0x2F800, 0x2FA1F),
    ("Tags", 0xE0000, 0xE007F),
];

fn property(name: &str, negated: bool) -> Result<String, String> {
    if CATEGORIES.contains(&name) {
        let p = if negated { 'P' } else { 'p' };
        return Ok(format!("\\{p}{{{name}}}"));
    }
    if let Some(block) = name.strip_prefix("Is") {
        let mut ranges: Vec<(u32, u32)> = BLOCKS
            .iter()
            .filter(|(n, _, _)| *n == block)
            .map(|(_, a, b)| (*a, *b))
            .collect();
        if block == "Specials" {
            ranges.push((0xFEFF, 0xFEFF));
        }
        if block == "PrivateUse" {
            ranges.push((0xF0000, 0xFFFFD));
            ranges.push((0x100000, 0x10FFFD));
        }
        if ranges.is_empty() {
            return Err(format!("unknown or unsupported Unicode block {name}"));
        }
        let mut s = String::from(if negated { "[^" } else { "[" });
        for (a, b) in ranges {
            let _ = write!(s, "\\x{{{a:X}}}-\\x{{{b:X}}}");
        }
        s.push(']');
        return Ok(s);
    }
    Err(format!("unknown character property {name}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{translate, translate_xpath};

    fn m(p: &str, s: &str) -> bool {
        let r = regex::Regex::new(&translate(p).unwrap()).unwrap();
        r.is_match(s)
    }

    #[test]
    fn xsd_semantics() {
        assert!(m("[0-9]{3}", "123"));
        assert!(!m("[0-9]{3}", "1234"));
        assert!(m("a|b", "b"));
        assert!(!m("a|b", "ab"));
        assert!(m("^a$", "^a$"));
        assert!(m("[a-z-[aeiou]]+", "bcd"));
        assert!(!m("[a-z-[aeiou]]+", "bad"));
        assert!(m("[^a-z-[0-9]]", "A"));
        assert!(!m("[^a-z-[0-9]]", "5"));
        assert!(m(r"\i\c*", "xs:Name-1"));
        assert!(!m(r"\i\c*", "1abc"));
        assert!(m(r"\p{IsBasicLatin}+", "abc"));
        assert!(!m(r"\p{IsBasicLatin}+", "äbc"));
        assert!(m(r"\p{Lu}\d", "A1"));
        assert!(m(".", "x"));
        assert!(!m(".", "\n"));
        assert!(m("[0-9|A-F|a-f]{2}", "|a"));
        assert!(m("[-a]", "-"));
        assert!(m("[a-]", "-"));
        assert!(m(r"\d+\.\d{2}", "10.50"));
        assert!(m("(ab)*", ""));
    }

    fn xm(p: &str, flags: &str, s: &str) -> bool {
        let r = regex::Regex::new(&translate_xpath(p, flags).unwrap()).unwrap();
        r.is_match(s)
    }

    #[test]
    fn xpath_semantics() {
        assert!(xm("b", "", "abc"), "unanchored");
        assert!(!xm("^b", "", "abc"));
        assert!(xm("^b$", "m", "a\nb"));
        assert!(!xm("^b$", "", "a\nb"));
        assert!(!xm("a.b", "", "a\nb"));
        assert!(xm("a.b", "s", "a\nb"));
        assert!(xm("B", "i", "abc"));
        assert!(xm("a b", "x", "ab"));
        assert!(xm("[ ]", "x", " "), "whitespace in a class is kept under x");
        assert!(xm("a.b", "q", "a.b"));
        assert!(!xm("a.b", "q", "axb"));
        assert!(xm(r"\$\^", "", "$^"));
        assert!(xm("^[a-z-[aeiou]]$", "", "b"));
        assert!(!xm("^[a-z-[aeiou]]$", "", "e"));
        assert!(xm(r"^\i\c*$", "", "_a1"));
        assert!(xm(r"^\p{IsBasicLatin}+$", "", "abc"));
        assert!(xm("^a+?$", "", "aaa"));
        assert!(xm("^(?:ab)+$", "", "abab"));
        let r = regex::Regex::new(&translate_xpath("(a)(?:b)(c)", "").unwrap()).unwrap();
        assert_eq!(
            r.captures_len(),
            3,
            "capturing groups are kept for replace()"
        );
        for (p, f) in [
            ("(a)\\1", ""),
            ("a", "z"),
            ("[a", ""),
            ("(?=a)", ""),
            ("a)", ""),
        ] {
            assert!(translate_xpath(p, f).is_err(), "{p} {f}");
        }
        assert!(translate_xpath("a", "z").unwrap_err().contains("FORX0001"));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(translate(&deep).is_err());
        assert!(translate_xpath(&deep, "").is_err());
        let classes = format!("{}{}", "[a-".repeat(40), "]".repeat(40));
        assert!(translate(&classes).is_err());
    }

    #[test]
    fn rejects_malformed() {
        for p in [
            "(a",
            "a{2,1}",
            "[",
            "[]",
            "*a",
            r"\q",
            r"\p{IsNoSuchBlock}",
            "[b-a]",
        ] {
            assert!(translate(p).is_err(), "{p}");
        }
    }
}
