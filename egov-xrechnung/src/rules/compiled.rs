//! The rules of each syntax in compiled form (`data/rules/compiled/{ubl,cii}.bin`), so that a
//! fresh process does not parse and analyse ~1,100 XPath expressions before its first
//! validation — the same idea as the compiled XSDs (see [`crate::schema`]).
//!
//! The files are made from `data/rules/rules.tsv` by [`write`] (the test
//! `rules::compiled_rules_are_current` fails when they are stale; run it with
//! `EGOV_WRITE_COMPILED_RULES=1` to rewrite them). They hold everything the loader needs, so
//! that it does not read the text at all: per schema its names, namespaces, function library
//! and global variables, and per rule its data (context, variables, assertions with id, flag,
//! layer, test and message — strings borrowed from the file) with the compiled context pattern
//! and one block with the compiled variables and tests, each of which is decoded when first
//! evaluated. The header names the format versions and a hash of `rules.tsv`; a file that does
//! not match the embedded text, or any reading error, makes the loader compile the text
//! instead — slower, never wrong.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use egov_core::xpath::{CompiledReader, CompiledWriter, StaticContext, COMPILED_FORMAT_VERSION};

use super::globals::Global;
use super::{data_error, AssertDef, NameIndex, Rule, Schema};
use crate::report::Flag;

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

/// A hash of `rules.tsv`, computed when the crate is compiled: a start only compares it with
/// the one stored in the compiled form (hashing the 0.6 MB text at every start cost more than
/// a tenth of a fresh process's first validation).
#[allow(long_running_const_eval)] // half a second of compile time
const TEXT_HASH: u64 = text_hash(RULES_TSV.as_bytes());

/// The hash itself (FNV-like, 32 bytes at a time in four lanes; `const` for [`TEXT_HASH`]).
const fn text_hash(bytes: &[u8]) -> u64 {
    const fn mix(h: u64, w: u64) -> u64 {
        (h ^ w).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29)
    }
    let Some((mut blocks, mut tail)) = bytes.split_at_checked(bytes.len() / 32 * 32) else {
        return 0;
    };
    let mut lanes = (0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64, 1, 2, 3);
    // word k of a block goes to lane k: mix into the first lane, then rotate the lanes
    while let Some((word, rest)) = blocks.split_first_chunk::<8>() {
        let mixed = mix(lanes.0, u64::from_le_bytes(*word));
        lanes = (lanes.1, lanes.2, lanes.3, mixed);
        blocks = rest;
    }
    let mut h = mix(mix(mix(mix(0, lanes.0), lanes.1), lanes.2), lanes.3);
    while let Some((b, rest)) = tail.split_first() {
        h = mix(h, *b as u64);
        tail = rest;
    }
    h
}

/// A reader positioned after the header of `bytes`, if the header matches this build and
/// `syntax`.
fn open(bytes: &'static [u8], syntax: Syntax) -> Option<CompiledReader<'static>> {
    let mut r = CompiledReader::new(bytes).ok()?;
    let ok = r.str().ok()? == MAGIC
        && r.u32().ok()? == FORMAT_VERSION
        && r.u32().ok()? == COMPILED_FORMAT_VERSION
        && r.u64().ok()? == TEXT_HASH
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
    w.u64(TEXT_HASH);
    w.str(rules.syntax().as_str());
    w.u32(len(rules.schemas().len()));
    for s in rules.schemas() {
        write_schema(&mut w, s)?;
    }
    Ok(w.into_bytes())
}

fn len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn flag_code(f: Flag) -> u32 {
    match f {
        Flag::Fatal => 0,
        Flag::Warning => 1,
        Flag::Information => 2,
    }
}

fn write_schema(w: &mut CompiledWriter, s: &Schema) -> Result<(), crate::Error> {
    w.text(&s.name);
    w.text(&s.layers.join(","));
    w.text(&s.version);
    w.text(&s.licence);
    let ns: Vec<(&str, &str)> = s.ctx.namespaces().collect();
    w.u32(len(ns.len()));
    for (prefix, uri) in ns {
        w.text(prefix);
        w.text(uri);
    }
    match &s.functions {
        Some(lib) => {
            w.u32(1);
            w.functions(lib);
        }
        None => w.u32(0),
    }
    w.u32(len(s.globals.len()));
    for g in &s.globals {
        w.text(&g.name);
        w.text(&g.source);
        match &g.xpath {
            Ok(x) => {
                w.u32(1);
                w.xpath(x)?;
            }
            Err(e) => {
                w.u32(0);
                w.str(e);
            }
        }
    }
    w.u32(len(s.patterns.len()));
    for p in &s.patterns {
        w.text(p);
    }
    w.u32(len(s.rules.len()));
    for r in &s.rules {
        write_rule(w, s, r)?;
    }
    Ok(())
}

fn write_rule(w: &mut CompiledWriter, s: &Schema, r: &Rule) -> Result<(), crate::Error> {
    w.u32(len(r.pattern));
    w.text(&r.context_source);
    w.pattern(&r.context);
    w.u32(len(r.lets.len()));
    for (name, value) in &r.lets {
        w.text(name);
        w.text(value);
    }
    w.u32(len(r.asserts.len()));
    for a in &r.asserts {
        w.text(&a.id);
        w.u32(flag_code(a.flag));
        w.text(&a.layer);
        w.text(&a.test);
        w.text(a.message);
    }
    let c = s.compiled(r).map_err(data_error)?;
    let mut result = Ok(());
    w.block(|block| {
        result = c.expressions().try_for_each(|x| block.xpath(x));
    });
    Ok(result?)
}

/// The shipped rules of `syntax`, if their compiled form matches this build and the embedded
/// text and reads without error (else the caller compiles the text).
pub(super) fn read(syntax: Syntax) -> Option<RuleSet> {
    let mut r = open(shipped(syntax), syntax)?;
    let n = r.u32().ok()?;
    let mut schemas = Vec::new();
    for _ in 0..n {
        schemas.push(read_schema(&mut r).ok()?);
    }
    if !r.at_end() {
        return None;
    }
    RuleSet::finish(syntax, schemas).ok()
}

fn read_schema(r: &mut CompiledReader<'static>) -> Result<Schema, egov_core::Error> {
    let name = r.text()?;
    let layers = r.text()?.split(',').map(str::to_string).collect();
    let version = r.text()?;
    let licence = r.text()?;
    let mut ctx = StaticContext::new();
    for _ in 0..r.u32()? {
        let (prefix, uri) = (r.text()?, r.text()?);
        ctx.bind_namespace(prefix, uri);
    }
    let functions = match r.u32()? {
        1 => {
            let lib = Arc::new(r.functions()?);
            ctx.set_functions(lib.clone());
            Some(lib)
        }
        _ => None,
    };
    let mut globals: Vec<Global> = Vec::new();
    for _ in 0..r.u32()? {
        let (name, source) = (r.text()?, r.text()?);
        // a global sees the globals declared before it
        let xpath = match r.u32()? {
            1 => Ok(r.xpath(source, &ctx)?),
            _ => Err(r.str()?.to_string()),
        };
        ctx.declare_variable(name);
        let g = Global::new(Cow::Borrowed(name), Cow::Borrowed(source), xpath, &globals);
        globals.push(g);
    }
    let mut patterns = Vec::new();
    for _ in 0..r.u32()? {
        patterns.push(Cow::Borrowed(r.text()?));
    }
    let mut rules = Vec::new();
    for _ in 0..r.u32()? {
        rules.push(read_rule(r, &ctx)?);
    }
    Ok(Schema {
        name: Cow::Borrowed(name),
        layers,
        version: Cow::Borrowed(version),
        licence: Cow::Borrowed(licence),
        ctx,
        functions,
        globals,
        context_globals: Vec::new(),
        patterns,
        rules,
        index: NameIndex::default(),
    })
}

fn read_rule(
    r: &mut CompiledReader<'static>,
    ctx: &StaticContext,
) -> Result<Rule, egov_core::Error> {
    let pattern = r.u32()? as usize;
    let source = r.text()?;
    let context = r.pattern(source, ctx)?;
    let mut lets = Vec::new();
    for _ in 0..r.u32()? {
        lets.push((Cow::Borrowed(r.text()?), Cow::Borrowed(r.text()?)));
    }
    let mut asserts = Vec::new();
    for _ in 0..r.u32()? {
        let id = r.text()?;
        let flag = match r.u32()? {
            1 => Flag::Warning,
            2 => Flag::Information,
            _ => Flag::Fatal,
        };
        asserts.push(AssertDef {
            id: Cow::Borrowed(id),
            flag,
            layer: Cow::Borrowed(r.text()?),
            test: Cow::Borrowed(r.text()?),
            message: r.text()?,
        });
    }
    Ok(Rule {
        pattern,
        shape_only: context.is_shape_only(),
        context_source: Cow::Borrowed(source),
        context,
        lets,
        asserts,
        precompiled: Some(r.block()?),
        compiled: OnceLock::new(),
    })
}
