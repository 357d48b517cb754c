//! XPath regular expressions (the XML Schema dialect plus `^`/`$`, reluctant quantifiers and
//! flags `s m i x q`), compiled lazily and cached per call site. The translation to the `regex`
//! crate is shared with XSD patterns: [`crate::xsd::regex::translate_xpath`].

use std::sync::{Arc, Mutex};

use regex::Regex;

use super::ast::{Expr, Literal};
use super::value::{err, R};
use crate::xsd::regex::translate_xpath;

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
            translate_xpath(p, f)?;
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
        let translated = translate_xpath(pattern, flags).map_err(|m| {
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
