//! Reading the vendored rule data (`data/rules/*.tsv`, see `data/rules/generate.py` for the
//! format): a line-based format that loads in microseconds, borrowing from the embedded text.

use std::borrow::Cow;

/// The rules of the KoSIT XRechnung configuration (CEN EN 16931 + XRechnung schematron).
pub(crate) const RULES_TSV: &str = include_str!("../../data/rules/rules.tsv");
/// The KoSIT scenarios.
pub(crate) const SCENARIOS_TSV: &str = include_str!("../../data/rules/scenarios.tsv");

/// Undoes the field escaping (`\\`, `\t`, `\n`, `\r`); borrows when there is nothing to undo.
pub(crate) fn unescape(s: &'static str) -> Cow<'static, str> {
    if !s.as_bytes().contains(&b'\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// The records of a data file: (tag, raw fields), comments and blank lines skipped. Split the
/// fields with [`fields`] only for records that are used.
pub(crate) fn records(text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('\t').unwrap_or((l, "")))
}

/// The unescaped fields of a record.
pub(crate) fn fields(raw: &'static str) -> Vec<Cow<'static, str>> {
    raw.split('\t').map(unescape).collect()
}

/// Field `i` of a record ("" when missing).
pub(crate) fn field(fields: &[Cow<'static, str>], i: usize) -> Cow<'static, str> {
    fields.get(i).cloned().unwrap_or(Cow::Borrowed(""))
}
