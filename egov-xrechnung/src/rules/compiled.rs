//! The rules of each syntax in compiled form (`data/rules/compiled/{ubl,cii}.bin`), so that a
//! fresh process does not parse and analyse ~1,100 XPath expressions before its first
//! validation — the same idea as the compiled XSDs (see [`crate::schema`]).
//!
//! The files are made from `data/rules/rules.tsv` by [`write`] (the test
//! `rules::compiled_rules_are_current` fails when they are stale; run it with
//! `EGOV_WRITE_COMPILED_RULES=1` to rewrite them). They hold, in the order
//! [`super::RuleSet::load`] reads the text: per schema its function library, its global
//! variables, and per rule the context pattern and one block with the rule's variables and
//! assertion tests, decoded when the rule is first used. The header names the format versions
//! and a hash of `rules.tsv`; a file that does not match the embedded text, or any decoding
//! error, makes the loader compile from the text instead — slower, never wrong.

use egov_core::xpath::{CompiledReader, CompiledWriter, COMPILED_FORMAT_VERSION};

use super::data::RULES_TSV;
use super::RuleSet;
use crate::Syntax;

const MAGIC: &str = "EGOV-RULES";
/// Bumped when the layout of these files changes (the XPath part has its own version).
const FORMAT_VERSION: u32 = 1;

/// The shipped compiled form of a syntax's rules.
pub(super) fn shipped(syntax: Syntax) -> &'static [u8] {
    match syntax {
        Syntax::Ubl => include_bytes!("../../data/rules/compiled/ubl.bin"),
        Syntax::Cii => include_bytes!("../../data/rules/compiled/cii.bin"),
    }
}

/// A hash of `rules.tsv` (eight bytes at a time: this runs at every start).
fn text_hash() -> u64 {
    let (words, rest) = RULES_TSV.as_bytes().as_chunks::<8>();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ RULES_TSV.len() as u64;
    let mut mix = |w: u64| h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    for w in words {
        mix(u64::from_le_bytes(*w));
    }
    for b in rest {
        mix(u64::from(*b));
    }
    h
}

/// A reader positioned after the header of `bytes`, if the header matches this build and
/// `syntax`.
pub(super) fn open(bytes: &'static [u8], syntax: Syntax) -> Option<CompiledReader<'static>> {
    let mut r = CompiledReader::new(bytes).ok()?;
    let ok = r.str().ok()? == MAGIC
        && r.u32().ok()? == FORMAT_VERSION
        && r.u32().ok()? == COMPILED_FORMAT_VERSION
        && r.u64().ok()? == text_hash()
        && r.str().ok()? == syntax.as_str();
    ok.then_some(r)
}

/// The compiled form of a rule set (compiles every rule first).
///
/// # Errors
/// When a rule does not compile.
pub(super) fn write(rules: &RuleSet) -> Result<Vec<u8>, crate::Error> {
    rules.compile_all()?;
    let mut w = CompiledWriter::new();
    w.str(MAGIC);
    w.u32(FORMAT_VERSION);
    w.u32(COMPILED_FORMAT_VERSION);
    w.u64(text_hash());
    w.str(rules.syntax().as_str());
    for s in rules.schemas() {
        s.write_compiled(&mut w)?;
    }
    Ok(w.into_bytes())
}
