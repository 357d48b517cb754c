//! XPath regular expressions (the XML Schema dialect plus `^`/`$`, reluctant quantifiers and
//! flags `s m i x q`), compiled lazily and cached per call site; literal patterns are also
//! shared by the call sites of a process (see [`shared`]). The translation to the `regex` crate
//! is shared with XSD patterns: [`crate::xsd::regex::translate_xpath`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

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

    /// The compiled regex and whether it matches the empty string. `literal`: the pattern and
    /// flags are literals of the expression, and the compiled regex is shared with the other
    /// call sites of the process (see [`shared`]); patterns computed when evaluating (from a
    /// document, say) stay with this call site, so that input cannot fill the shared table.
    pub(crate) fn get_with_empty(
        &self,
        pattern: &str,
        flags: &str,
        literal: bool,
    ) -> R<(Arc<Regex>, bool)> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = entries
            .iter()
            .find(|e| &*e.pattern == pattern && &*e.flags == flags)
        {
            return Ok((e.regex.clone(), e.matches_empty));
        }
        let (regex, matches_empty) = if literal {
            shared(pattern, flags)?
        } else {
            build(pattern, flags)?
        };
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

/// At most this many patterns are kept process-wide (beyond, each call site keeps its own).
const MAX_SHARED: usize = 512;

type Shared = Mutex<HashMap<(Box<str>, Box<str>), (Arc<Regex>, bool)>>;

/// The compiled regex of a literal pattern, shared by all call sites of the process: rule sets
/// repeat the same patterns at many call sites (`replace(…, '([ \n\r\t\s])', '')`), and
/// building one costs far more than a validation's use of it.
fn shared(pattern: &str, flags: &str) -> R<(Arc<Regex>, bool)> {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    let table = SHARED.get_or_init(Shared::default);
    let key = (Box::from(pattern), Box::from(flags));
    if let Some(hit) = table.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(hit.clone());
    }
    // built outside the lock: another thread may build the same pattern meanwhile (same result)
    let built = build(pattern, flags)?;
    let mut table = table.lock().unwrap_or_else(|e| e.into_inner());
    if table.len() < MAX_SHARED {
        table.entry(key).or_insert_with(|| built.clone());
    }
    Ok(built)
}

fn build(pattern: &str, flags: &str) -> R<(Arc<Regex>, bool)> {
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
    let matches_empty = regex.is_match("");
    Ok((Arc::new(regex), matches_empty))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn call_sites_share_compiled_patterns() {
        let (a, b) = (RegexCache::default(), RegexCache::default());
        let (ra, empty) = a.get_with_empty("x([0-9]+)y", "", true).unwrap();
        let (rb, _) = b.get_with_empty("x([0-9]+)y", "", true).unwrap();
        assert!(Arc::ptr_eq(&ra, &rb));
        assert!(!empty);
        // flags are part of the key; invalid patterns are errors at every site
        let (ri, _) = b.get_with_empty("x([0-9]+)y", "i", true).unwrap();
        assert!(!Arc::ptr_eq(&ra, &ri));
        assert!(ri.is_match("X12Y"));
        assert!(a.get_with_empty("x(", "", true).is_err());
        assert!(b.get_with_empty("x(", "", true).is_err());
        // patterns computed at run time are not shared
        let c = RegexCache::default();
        let (rc, _) = c.get_with_empty("x([0-9]+)y", "", false).unwrap();
        assert!(!Arc::ptr_eq(&ra, &rc));
        assert!(rc.is_match("x12y"));
    }
}
