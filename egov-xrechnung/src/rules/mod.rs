//! The schematron step of the KoSIT XRechnung pipeline, natively: the CEN EN 16931 and XRechnung
//! (incl. Peppol) schematron rules, run with the semantics of SchXslt-compiled XSLT on Saxon.
//!
//! The rules are data (`data/rules/rules.tsv`, generated from the official artefacts by
//! `data/rules/generate.py`; see `data/rules/NOTICE.md`): a new release is a data update, not new
//! Rust. They are shipped compiled (`data/rules/compiled/`, made from the text and checked
//! against it by a test) and loaded once per syntax into a `Send + Sync` [`RuleSet`]: context
//! patterns, schema globals and XSLT functions when the syntax is first used (on a background
//! thread, see [`RuleSet::for_syntax`]); each rule variable and test is decoded the first time it
//! is evaluated, an assertion's message compiled the first time it fails.
//!
//! Running a schema over a document follows the compiled XSLT:
//! - schema/pattern variables are globals with the document node as context, evaluated when a
//!   fired rule or a rule context first reads them (as Saxon does; an error is raised only
//!   there); the ones that do not depend on the document are evaluated once per rule set;
//! - for every pattern in order, every node (document, elements, attributes, in document order)
//!   fires at most the FIRST rule of that pattern whose context matches (later matching rules
//!   of the pattern are shadowed); which rules an element can match is decided once per
//!   *shape* — the names on its path from the root — and cached per syntax, so an element
//!   only evaluates the contexts whose predicates read content (and of a context whose
//!   predicates are all on its last step, only those predicates);
//! - a fired rule evaluates its `let`s lazily (when an assertion reads them) and every assertion
//!   — except those an [`AbsenceGuard`](egov_core::xpath::AbsenceGuard) shows true because the
//!   element names or code values they ask for do not occur in the document (decided once per
//!   run and test); a false test is a [`Finding`] with the message's `<value-of>` parts
//!   evaluated;
//! - a dynamic XPath error stops the schema: [`ProcessingError`] (KoSIT reports
//!   `SCHEMATRON-PROCESSING-ERROR` and rejects).
//!
//! ```
//! use egov_core::xml::Document;
//! use egov_xrechnung::rules::{RuleSet, Scenarios};
//!
//! let doc = Document::parse_default(br#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"#)?;
//! let scenarios = Scenarios::kosit()?;
//! assert!(scenarios.select(&doc).scenario().is_none()); // no CustomizationID: NO-SCENARIO
//! let cen = RuleSet::for_syntax(egov_xrechnung::Syntax::Ubl)?;
//! let findings = cen.run(&doc, &["EN16931-UBL-validation"]).unwrap();
//! assert!(findings.iter().any(|f| f.id == "BR-01"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod compiled;
mod data;
mod globals;
mod scenario;
mod shapes;

pub use scenario::{Scenario, ScenarioSelection, Scenarios, SchematronStep};

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use egov_core::hash::Fnv;
use egov_core::xml::{Document, NodeKind};
use egov_core::xpath::{
    AbsenceGuards, CompiledBlock, CompiledReader, DynamicContext, FunctionLibrary, MatchKey,
    NamePresence, Pattern, StaticContext, XNode, XPath, XPathError,
};

use crate::report::{Flag, Location};
use crate::Syntax;

use data::{field, fields, records, RULES_TSV};
use globals::{ConstItem, Global, State};
use shapes::{Candidate, DocShapes, Shapes};

/// One failed assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The assertion id, e.g. `BR-CO-10`.
    pub id: String,
    /// The flag after the scenario's overrides (see [`Scenario::apply_levels`]); the source flag
    /// until then.
    pub flag: Flag,
    /// The flag as written in the rule.
    pub source_flag: Flag,
    /// The schematron schema, e.g. `EN16931-UBL-validation`.
    pub schema: String,
    /// `en16931`, `xrechnung` or `peppol`.
    pub layer: String,
    /// The assertion text with its `<value-of>` parts filled in.
    pub message: String,
    /// The context node of the rule.
    pub location: Location,
}

/// A dynamic error while running a schematron schema: the whole schema fails, as the XSLT
/// transformation does (KoSIT: `SCHEMATRON-PROCESSING-ERROR`, the document is rejected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schematron {schema} failed: {error} (rule {:?}{}, at {path})",
    site.context,
    site.assert_id.as_deref().map(|a| format!(", assertion {a}")).unwrap_or_default())]
pub struct ProcessingError {
    /// The schema that failed.
    pub schema: String,
    /// The XPath error (code and message).
    pub error: XPathError,
    /// Path of the context node ("" when not at a node, e.g. in a global variable).
    pub path: String,
    /// The rule and assertion being evaluated.
    pub site: Box<ErrorSite>,
    /// Findings of the schemas of the same run that completed before (or after) the failure.
    pub findings: Vec<Finding>,
}

/// The rule and assertion a [`ProcessingError`] happened in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorSite {
    /// The context pattern of the rule being evaluated ("" for a global variable).
    pub context: String,
    /// The assertion being evaluated, if any.
    pub assert_id: Option<String>,
}

impl ProcessingError {
    fn new(schema: &str, error: XPathError, path: String, site: ErrorSite) -> Self {
        ProcessingError {
            schema: schema.to_string(),
            error,
            path,
            site: Box::new(site),
            findings: Vec::new(),
        }
    }
}

type FnvMap<V> = HashMap<String, V, BuildHasherDefault<Fnv>>;

struct AssertDef {
    id: Cow<'static, str>,
    flag: Flag,
    layer: Cow<'static, str>,
    test: Cow<'static, str>,
    /// The message as in the data file (unescaped when first needed: most never are).
    message: &'static str,
}

enum MsgPart {
    Text(String),
    Value(Expr),
}

/// A compiled expression with the variables it needs.
struct Expr {
    xpath: XPath,
    /// Rule variables (indexes into the rule's lets) read directly.
    lets: Vec<usize>,
    /// Global slots read directly.
    globals: Vec<usize>,
    /// For a rule variable: its value when it is the same wherever the rule fires (see
    /// [`globals::constant_of`]), computed at the first firing.
    constant: OnceLock<Option<Vec<ConstItem>>>,
}

struct CompiledAssert {
    test: Expr,
    /// The message with its `<value-of>` parts, compiled when the assertion first fails.
    message: OnceLock<Result<Vec<MsgPart>, String>>,
}

/// The tests of `rule` (compiled as `c`) that a run restricted to `layers` evaluates on a
/// document with the names and facts in `presence`, in order, pushed to `out`: those of an
/// admitted layer whose absence guard does not hold.
fn tests_to_evaluate(
    rule: &Rule,
    c: &Compiled,
    layers: Option<&[&str]>,
    presence: &NamePresence,
    out: &mut Vec<usize>,
) {
    let admit = |i: usize| {
        layers.is_none_or(|ls| {
            (rule.asserts.get(i)).is_some_and(|a| ls.iter().any(|l| *l == &*a.layer))
        })
    };
    let n = rule.asserts.len().min(c.asserts.len());
    c.guards.to_evaluate(n, presence, admit, out);
}

struct Compiled {
    lets: Vec<Expr>,
    asserts: Vec<CompiledAssert>,
    /// Per test: when the names or code values in it are absent, the test is true (see
    /// [`AbsenceGuard`](egov_core::xpath::AbsenceGuard));
    /// only for tests that read no variables (reading one can raise the variable's error).
    /// One block for the rule, since every test's guard is checked whenever the rule fires.
    guards: AbsenceGuards,
    /// The schema's static context extended by the rule's variables, if it has any.
    ctx: Option<StaticContext>,
}

impl Compiled {
    /// The rule's expressions: its variables, then its tests.
    fn expressions(&self) -> impl Iterator<Item = &XPath> {
        (self.lets.iter().map(|e| &e.xpath)).chain(self.asserts.iter().map(|a| &a.test.xpath))
    }
}

struct Rule {
    pattern: usize,
    /// The context as in the data (also in `context`, for writing the compiled form).
    context_source: Cow<'static, str>,
    context: Pattern,
    /// The context is decided by the names on the node's path (see [`shapes`]).
    shape_only: bool,
    lets: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    asserts: Vec<AssertDef>,
    /// The rule's variables and tests in compiled form (see [`compiled`]), if shipped.
    precompiled: Option<CompiledBlock<'static>>,
    compiled: OnceLock<Result<Compiled, String>>,
}

#[derive(Default)]
struct NameIndex {
    elements: FnvMap<Vec<u32>>,
    any_element: Vec<u32>,
    attributes: FnvMap<Vec<u32>>,
    any_attribute: Vec<u32>,
    other: Vec<u32>,
}

/// One schematron schema (e.g. `EN16931-UBL-validation`), compiled.
pub struct Schema {
    name: Cow<'static, str>,
    layers: Vec<String>,
    version: Cow<'static, str>,
    licence: Cow<'static, str>,
    ctx: StaticContext,
    /// The schema's user functions (also in `ctx`).
    functions: Option<Arc<FunctionLibrary>>,
    globals: Vec<Global>,
    /// The globals that rule contexts read (evaluated before matching).
    context_globals: Vec<usize>,
    patterns: Vec<Cow<'static, str>>,
    rules: Vec<Rule>,
    index: NameIndex,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("name", &self.name)
            .field("patterns", &self.patterns.len())
            .field("rules", &self.rules.len())
            .field("assertions", &self.assertion_count())
            .finish()
    }
}

/// The compiled schematron schemas of one syntax. `Send + Sync`; get it with
/// [`RuleSet::for_syntax`].
#[derive(Debug)]
pub struct RuleSet {
    syntax: Syntax,
    schemas: Vec<Schema>,
    shapes: Shapes,
    /// Set by the first run (see [`RuleSet::run_steps`]).
    warm: AtomicBool,
}

fn flag_of(s: &str) -> Flag {
    match s {
        "warning" => Flag::Warning,
        "information" | "info" => Flag::Information,
        // fatal, error, and a missing flag are errors (KoSIT)
        _ => Flag::Fatal,
    }
}

fn data_error(message: String) -> crate::Error {
    crate::Error::Core(egov_core::Error::XPath {
        expression: String::new(),
        offset: 0,
        message,
    })
}

/// Splits a message at its `<value-of select="…"/>` parts.
fn message_parts(msg: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut rest = msg;
    while let Some(start) = rest.find("<value-of") {
        let (text, tail) = rest.split_at(start);
        if !text.is_empty() {
            out.push((false, text.to_string()));
        }
        let Some(end) = tail.find("/>") else {
            out.push((false, tail.to_string()));
            return out;
        };
        let tag = tail.get(..end).unwrap_or_default();
        let select = tag
            .split_once("select=\"")
            .and_then(|(_, s)| s.split_once('"'))
            .map(|(s, _)| s)
            .unwrap_or_default();
        out.push((true, xml_unescape(select)));
        rest = tail.get(end + 2..).unwrap_or_default();
    }
    if !rest.is_empty() {
        out.push((false, rest.to_string()));
    }
    out
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

impl Schema {
    /// The schema name, e.g. `XRechnung-CII-validation`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The layers of its rules (`en16931`, or `xrechnung` and `peppol`).
    pub fn layers(&self) -> &[String] {
        &self.layers
    }

    /// Version label of the artefact.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Licence of the artefact.
    pub fn licence(&self) -> &str {
        &self.licence
    }

    /// Number of rules (contexts).
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Number of assertions.
    pub fn assertion_count(&self) -> usize {
        self.rules.iter().map(|r| r.asserts.len()).sum()
    }

    /// The assertion ids in schematron order.
    pub fn assertion_ids(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .flat_map(|r| r.asserts.iter().map(|a| &*a.id))
    }

    fn index_rules(&mut self) {
        let mut idx = NameIndex::default();
        let mut named_el: Vec<(String, u32)> = Vec::new();
        let mut named_at: Vec<(String, u32)> = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            let i = i as u32;
            for k in r.context.keys() {
                match k {
                    MatchKey::Element(l) => named_el.push((l, i)),
                    MatchKey::AnyElement => idx.any_element.push(i),
                    MatchKey::Attribute(l) => named_at.push((l, i)),
                    MatchKey::AnyAttribute => idx.any_attribute.push(i),
                    MatchKey::Other => idx.other.push(i),
                }
            }
        }
        for (l, i) in named_el {
            idx.elements.entry(l).or_insert_with(Vec::new).push(i);
        }
        for (l, i) in named_at {
            idx.attributes.entry(l).or_insert_with(Vec::new).push(i);
        }
        let any_el = idx.any_element.clone();
        for v in idx.elements.values_mut() {
            v.extend_from_slice(&any_el);
            v.sort_unstable();
            v.dedup();
        }
        let any_at = idx.any_attribute.clone();
        for v in idx.attributes.values_mut() {
            v.extend_from_slice(&any_at);
            v.sort_unstable();
            v.dedup();
        }
        idx.any_element.sort_unstable();
        idx.any_element.dedup();
        idx.any_attribute.sort_unstable();
        idx.any_attribute.dedup();
        idx.other.sort_unstable();
        idx.other.dedup();
        self.index = idx;
    }

    /// The rules that may fire on elements of `node`'s shape, in rule order.
    fn shape_candidates<'a>(
        &'a self,
        node: XNode<'a>,
        ctx: &mut DynamicContext<'a>,
    ) -> Box<[Candidate]> {
        let idx = &self.index;
        let named = idx
            .elements
            .get(node.local_name())
            .unwrap_or(&idx.any_element);
        named
            .iter()
            .filter_map(|&ri| {
                let rule = self.rules.get(ri as usize)?;
                let alts = rule.context.shape_alternatives(node, ctx);
                (alts != 0).then_some(Candidate {
                    rule: ri,
                    exact: rule.shape_only,
                    alts,
                })
            })
            .collect()
    }

    fn compile_expr(&self, ctx: &StaticContext, src: &str, lets: usize) -> Result<Expr, String> {
        let xpath = XPath::compile(src, ctx).map_err(|e| e.to_string())?;
        Ok(self.expr(xpath, lets))
    }

    /// An expression with the variables it reads split into globals and rule variables.
    fn expr(&self, xpath: XPath, lets: usize) -> Expr {
        let g = self.globals.len();
        let mut e = Expr {
            lets: Vec::new(),
            globals: Vec::new(),
            xpath,
            constant: OnceLock::new(),
        };
        for v in e.xpath.referenced_variables() {
            if v < g {
                e.globals.push(v);
            } else if v < g + lets {
                e.lets.push(v - g);
            }
        }
        e
    }

    fn compile_rule(&self, rule: &Rule) -> Result<Compiled, String> {
        if let Some(block) = &rule.precompiled {
            // a block that does not decode (it cannot, for the shipped files) is compiled
            if let Ok(c) = self.decode_rule(rule, &mut block.reader()) {
                return Ok(c);
            }
        }
        self.build_rule(rule, |s, ctx, src, lets| s.compile_expr(ctx, src, lets))
    }

    /// A rule's variables and tests from its compiled block (see [`compiled`]).
    fn decode_rule(
        &self,
        rule: &Rule,
        r: &mut CompiledReader<'static>,
    ) -> Result<Compiled, String> {
        let c = self.build_rule(rule, |s, ctx, src, lets| {
            // the tree is decoded when first evaluated (most are never, in a given process)
            let xpath = r.xpath_lazy(src.clone(), ctx).map_err(|e| e.to_string())?;
            Ok(s.expr(xpath, lets))
        })?;
        if !r.at_end() {
            return Err("compiled rule block longer than the rule".into());
        }
        Ok(c)
    }

    /// Builds a rule's compiled form, getting each expression (variables first, then tests)
    /// from `expr(schema, context, source, number of rule variables in scope)`.
    fn build_rule(
        &self,
        rule: &Rule,
        mut expr: impl FnMut(&Self, &StaticContext, &Cow<'static, str>, usize) -> Result<Expr, String>,
    ) -> Result<Compiled, String> {
        // the schema's context, extended by the rule's variables (cloned only if there are any)
        let mut owned: Option<StaticContext> = None;
        let mut lets = Vec::with_capacity(rule.lets.len());
        for (i, (name, value)) in rule.lets.iter().enumerate() {
            let ctx = owned.get_or_insert_with(|| self.ctx.clone());
            lets.push(expr(self, ctx, value, i)?);
            ctx.declare_variable(name);
        }
        let ctx = owned.as_ref().unwrap_or(&self.ctx);
        let n = rule.lets.len();
        let mut asserts = Vec::with_capacity(rule.asserts.len());
        let mut guards = Vec::with_capacity(rule.asserts.len());
        for a in &rule.asserts {
            let test = expr(self, ctx, &a.test, n)?;
            guards.push(
                (test.lets.is_empty() && test.globals.is_empty())
                    .then(|| test.xpath.absence_guard())
                    .flatten(),
            );
            asserts.push(CompiledAssert {
                test,
                message: OnceLock::new(),
            });
        }
        Ok(Compiled {
            lets,
            asserts,
            guards: AbsenceGuards::new(guards.iter().map(Option::as_ref)),
            ctx: owned,
        })
    }

    /// The parts of an assertion's message (compiled once, when first needed).
    fn message<'s>(
        &'s self,
        rule: &Rule,
        c: &'s Compiled,
        a: &AssertDef,
        ca: &'s CompiledAssert,
    ) -> Result<&'s [MsgPart], String> {
        let parts = ca.message.get_or_init(|| {
            let ctx = c.ctx.as_ref().unwrap_or(&self.ctx);
            message_parts(&data::unescape(a.message))
                .into_iter()
                .map(|(is_value, part)| {
                    Ok(if is_value {
                        MsgPart::Value(self.compile_expr(ctx, &part, rule.lets.len())?)
                    } else {
                        MsgPart::Text(part)
                    })
                })
                .collect()
        });
        parts.as_deref().map_err(Clone::clone)
    }

    fn compiled<'s>(&'s self, rule: &'s Rule) -> Result<&'s Compiled, String> {
        rule.compiled
            .get_or_init(|| self.compile_rule(rule))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Compiles every rule now (instead of on first use); returns the first static error.
    pub fn compile_all(&self) -> Result<(), crate::Error> {
        for g in &self.globals {
            if let Err(e) = &g.xpath {
                return Err(data_error(format!("{}: ${}: {e}", self.name, g.name)));
            }
        }
        for r in &self.rules {
            let error = |e| data_error(format!("{}: rule {}: {e}", self.name, r.context.source()));
            let c = self.compiled(r).map_err(error)?;
            if let Some(x) = c.expressions().find(|x| !x.prepare()) {
                return Err(error(format!("{:?} does not decode", x.source())));
            }
            for (a, ca) in r.asserts.iter().zip(&c.asserts) {
                self.message(r, c, a, ca).map_err(error)?;
            }
        }
        Ok(())
    }

    /// Runs the schema over a document; `layers` restricts the assertions (None = all).
    pub fn run(
        &self,
        doc: &Document,
        layers: Option<&[&str]>,
    ) -> Result<Vec<Finding>, ProcessingError> {
        let mut ctx = DynamicContext::for_document(doc);
        ctx.index_document(doc);
        let presence = NamePresence::of(&ctx);
        let per_doc = PerDocument {
            shapes: None,
            presence: &presence,
        };
        self.run_in(&mut ctx, doc, layers, per_doc)
    }

    /// [`Schema::run`] reusing a dynamic context (its per-document index and memo) across the
    /// schemas of one document.
    fn run_in<'a>(
        &'a self,
        ctx: &mut DynamicContext<'a>,
        doc: &'a Document,
        layers: Option<&[&str]>,
        per_doc: PerDocument<'_>,
    ) -> Result<Vec<Finding>, ProcessingError> {
        let layers = self.layer_filter(layers);
        let mut out = Vec::new();
        ctx.truncate_variables(0);
        ctx.set_context_node(XNode::Node(doc.document_node()));
        Runner::new(self, doc, layers, ctx, per_doc).run(&mut out)?;
        Ok(out)
    }

    /// `layers` as a filter: a restriction that admits every layer of the schema is none.
    fn layer_filter<'l>(&self, layers: Option<&'l [&'l str]>) -> Option<&'l [&'l str]> {
        layers.filter(|ls| !self.layers.iter().all(|l| ls.contains(&l.as_str())))
    }

    /// Decodes what a run of this schema (index `index` among the shapes' schemas) may
    /// evaluate — the variables and the unguarded tests of each node's candidate rules (also
    /// those whose context then turns out not to match) — from the last node of the document
    /// backwards, until `stop` is set. On a rule set's first run the thread that has finished
    /// the later steps does this for the first step, which works forwards: the decoding is
    /// shared, and whichever thread comes first decodes a rule.
    fn decode_ahead(
        &self,
        index: usize,
        layers: Option<&[&str]>,
        shapes: &DocShapes<'_>,
        presence: &NamePresence,
        stop: &AtomicBool,
    ) {
        let layers = self.layer_filter(layers);
        let mut tests = Vec::new();
        for node in (0..shapes.node_count()).rev() {
            let Some(cands) = shapes.candidates(index, node) else {
                continue;
            };
            for cand in cands {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let Some(rule) = self.rules.get(cand.rule as usize) else {
                    continue;
                };
                let Ok(c) = self.compiled(rule) else {
                    continue;
                };
                tests.clear();
                tests_to_evaluate(rule, c, layers, presence, &mut tests);
                for ca in tests.iter().filter_map(|&i| c.asserts.get(i)) {
                    ca.test.xpath.prepare();
                }
                if !tests.is_empty() {
                    for e in &c.lets {
                        e.xpath.prepare();
                    }
                }
            }
        }
    }
}

/// What is known of whether a candidate rule's context matches a node.
#[derive(Clone, Copy)]
enum Known {
    /// It matches (decided by the node's shape).
    Match,
    /// The node's shape matches these alternatives of it (see
    /// [`Pattern::matches_given_shape`]).
    Shape(u64),
    /// Nothing: the whole pattern is matched.
    Nothing,
}

/// What the schemas of one run share about the document.
#[derive(Clone, Copy)]
struct PerDocument<'a> {
    /// The document's shapes and this schema's index among those they were computed for.
    shapes: Option<(&'a DocShapes<'a>, usize)>,
    /// The element and attribute names that occur (for absence guards).
    presence: &'a NamePresence,
}

struct Runner<'a, 'c> {
    schema: &'a Schema,
    doc: &'a Document,
    layers: Option<&'c [&'c str]>,
    ctx: &'c mut DynamicContext<'a>,
    per_doc: PerDocument<'c>,
    globals: Vec<State>,
    /// Per pattern: the node counter at which it last fired (shadowing of later rules).
    fired: Vec<u32>,
    /// Rule variables evaluated for the current firing (bit i = let i).
    lets_done: Vec<bool>,
    /// The node the dynamic context's context item is known to be (None: unknown).
    ctx_at: Option<XNode<'a>>,
    /// Per rule of the schema: where in `schedule` the tests this run evaluates when the rule
    /// fires are listed (`None`: not listed yet) — their layers and guards depend on the run
    /// and the document only.
    scheduled: Vec<Option<(usize, usize)>>,
    /// The indexes of the tests to evaluate, rule after rule.
    schedule: Vec<usize>,
}

impl<'a, 'c> Runner<'a, 'c> {
    fn new(
        schema: &'a Schema,
        doc: &'a Document,
        layers: Option<&'c [&'c str]>,
        ctx: &'c mut DynamicContext<'a>,
        per_doc: PerDocument<'c>,
    ) -> Self {
        Runner {
            schema,
            doc,
            layers,
            ctx,
            per_doc,
            globals: Vec::new(),
            fired: vec![u32::MAX; schema.patterns.len()],
            lets_done: Vec::new(),
            ctx_at: None,
            scheduled: vec![None; schema.rules.len()],
            schedule: Vec::new(),
        }
    }

    /// Where in `schedule` the tests of rule `ri` that this run evaluates are (see
    /// [`tests_to_evaluate`]), listed at the rule's first firing.
    fn schedule_of(&mut self, ri: usize, rule: &Rule, c: &Compiled) -> (usize, usize) {
        if let Some(Some(at)) = self.scheduled.get(ri) {
            return *at;
        }
        let start = self.schedule.len();
        let presence = self.per_doc.presence;
        tests_to_evaluate(rule, c, self.layers, presence, &mut self.schedule);
        let at = (start, self.schedule.len());
        if let Some(slot) = self.scheduled.get_mut(ri) {
            *slot = Some(at);
        }
        at
    }

    fn error(
        &self,
        rule: Option<&Rule>,
        assert_id: Option<&str>,
        node: Option<XNode<'_>>,
        error: XPathError,
    ) -> ProcessingError {
        ProcessingError::new(
            &self.schema.name,
            error,
            node.map(|n| node_path(&n)).unwrap_or_default(),
            ErrorSite {
                context: rule
                    .map(|r| r.context.source().to_string())
                    .unwrap_or_default(),
                assert_id: assert_id.map(str::to_string),
            },
        )
    }

    fn run(&mut self, out: &mut Vec<Finding>) -> Result<(), ProcessingError> {
        let schema = self.schema;
        // globals: constants now, the ones rule contexts read now, the rest when read
        for (i, g) in schema.globals.iter().enumerate() {
            let (value, state) = match &g.constant {
                Some(c) => (c.iter().map(|c| c.item()).collect(), State::Ready),
                None => (Vec::new(), State::Pending),
            };
            self.ctx.set_variable(i, value);
            self.globals.push(state);
        }
        for &g in &schema.context_globals {
            self.ensure_global(g, 0);
        }
        let doc = self.doc;
        let idx = &schema.index;
        let mut counter: u32 = 0;
        for node in doc.nodes() {
            match node.kind() {
                NodeKind::Element => {
                    counter = counter.wrapping_add(1);
                    let by_shape = self
                        .per_doc
                        .shapes
                        .and_then(|(s, i)| s.candidates(i, node.id().index()));
                    if let Some(cands) = by_shape {
                        self.try_candidates(cands, XNode::Node(node), counter, out)?;
                    } else {
                        let cands = idx
                            .elements
                            .get(node.local_name())
                            .unwrap_or(&idx.any_element);
                        self.try_rules(cands, XNode::Node(node), counter, out)?;
                    }
                    if !idx.attributes.is_empty() || !idx.any_attribute.is_empty() {
                        for a in node.attributes() {
                            let cands = idx
                                .attributes
                                .get(a.local_name())
                                .unwrap_or(&idx.any_attribute);
                            counter = counter.wrapping_add(1);
                            self.try_rules(cands, XNode::Attr(a), counter, out)?;
                        }
                    }
                }
                _ if !idx.other.is_empty() => {
                    if is_text_continuation(&node) {
                        continue;
                    }
                    counter = counter.wrapping_add(1);
                    self.try_rules(&idx.other, XNode::Node(node), counter, out)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Fires, for each pattern, the first of the candidate rules whose context matches `node`.
    fn try_rules(
        &mut self,
        cands: &'a [u32],
        node: XNode<'a>,
        counter: u32,
        out: &mut Vec<Finding>,
    ) -> Result<(), ProcessingError> {
        let cands = cands.iter().map(|&rule| (rule, Known::Nothing));
        self.try_each(cands, node, counter, out)
    }

    /// [`Runner::try_rules`] for the candidates of the node's shape: exact ones fire without
    /// matching.
    fn try_candidates(
        &mut self,
        cands: &'c [Candidate],
        node: XNode<'a>,
        counter: u32,
        out: &mut Vec<Finding>,
    ) -> Result<(), ProcessingError> {
        let cands = cands.iter().map(|c| match c.exact {
            true => (c.rule, Known::Match),
            false => (c.rule, Known::Shape(c.alts)),
        });
        self.try_each(cands, node, counter, out)
    }

    /// Candidates as (rule index, what is known of the context's match).
    #[inline]
    fn try_each(
        &mut self,
        cands: impl Iterator<Item = (u32, Known)>,
        node: XNode<'a>,
        counter: u32,
        out: &mut Vec<Finding>,
    ) -> Result<(), ProcessingError> {
        let schema = self.schema;
        for (ri, known) in cands {
            let Some(rule) = schema.rules.get(ri as usize) else {
                continue;
            };
            let Some(stamp) = self.fired.get_mut(rule.pattern) else {
                continue;
            };
            if *stamp == counter {
                continue; // an earlier rule of this pattern fired for this node
            }
            let matches = match known {
                Known::Match => true,
                _ if self.never_matches(rule) => false,
                Known::Shape(alts) => rule.context.matches_given_shape(node, self.ctx, alts),
                Known::Nothing => rule.context.matches(node, self.ctx),
            };
            if matches {
                if let Some(s) = self.fired.get_mut(rule.pattern) {
                    *s = counter;
                }
                self.fire(ri as usize, rule, node, out)?;
            }
        }
        Ok(())
    }

    /// True when the rule's context matches no node of the document for what the document
    /// lacks (see [`Pattern::no_match_guard`]): PEPPOL-EN16931-R008 on a document without a
    /// blank element.
    #[inline]
    fn never_matches(&self, rule: &Rule) -> bool {
        (rule.context.no_match_guard()).is_some_and(|g| g.holds(self.per_doc.presence))
    }

    /// Evaluates global `i` (after the globals it reads) unless done in this run; the context is
    /// the document node.
    fn ensure_global(&mut self, i: usize, depth: usize) {
        let schema = self.schema;
        if !matches!(self.globals.get(i), Some(State::Pending)) || depth > schema.globals.len() {
            return;
        }
        let Some(g) = schema.globals.get(i) else {
            return;
        };
        for &d in &g.deps {
            self.ensure_global(d, depth + 1);
        }
        self.ctx
            .set_context_node(XNode::Node(self.doc.document_node()));
        self.ctx_at = None;
        let value = match &g.xpath {
            Ok(x) => x.evaluate(self.ctx),
            Err(e) => Err(XPathError {
                code: "XPST0000",
                message: e.clone(),
            }),
        };
        let state = match value {
            Ok(v) => {
                self.ctx.set_variable(i, v);
                State::Ready
            }
            Err(e) => State::Failed(e),
        };
        if let Some(s) = self.globals.get_mut(i) {
            *s = state;
        }
    }

    /// Makes the globals an expression reads available; an error if one of them failed.
    fn check_globals(
        &mut self,
        e: &Expr,
        rule: &Rule,
        assert_id: Option<&str>,
        node: XNode<'_>,
    ) -> Result<(), ProcessingError> {
        for &g in &e.globals {
            self.ensure_global(g, 0);
            if let Some(State::Failed(err)) = self.globals.get(g) {
                return Err(self.error(Some(rule), assert_id, Some(node), err.clone()));
            }
        }
        Ok(())
    }

    /// Evaluates rule variable `i` (and what it reads) unless done for this firing.
    fn ensure_let(
        &mut self,
        c: &'a Compiled,
        i: usize,
        rule: &'a Rule,
        node: XNode<'a>,
        depth: usize,
    ) -> Result<(), ProcessingError> {
        if self.lets_done.get(i).copied().unwrap_or(true) || depth > c.lets.len() {
            return Ok(());
        }
        let Some(e) = c.lets.get(i) else {
            return Ok(());
        };
        for &d in &e.lets {
            self.ensure_let(c, d, rule, node, depth + 1)?;
        }
        self.check_globals(e, rule, None, node)?;
        let constant = e.constant.get_or_init(|| globals::constant_of(&e.xpath));
        let v = match constant {
            Some(items) => items.iter().map(ConstItem::item).collect(),
            None => {
                self.ctx.set_context_node(node);
                (e.xpath.evaluate(self.ctx))
                    .map_err(|err| self.error(Some(rule), None, Some(node), err))?
            }
        };
        self.ctx.set_variable(self.schema.globals.len() + i, v);
        if let Some(d) = self.lets_done.get_mut(i) {
            *d = true;
        }
        Ok(())
    }

    /// Makes the variables an expression reads available and sets the context node.
    #[inline]
    fn prepare(
        &mut self,
        c: &'a Compiled,
        e: &'a Expr,
        rule: &'a Rule,
        assert_id: &str,
        node: XNode<'a>,
    ) -> Result<(), ProcessingError> {
        if e.lets.is_empty() && e.globals.is_empty() {
            // the assertions of one firing share the context node: set it once
            if self.ctx_at != Some(node) {
                self.ctx.set_context_node(node);
                self.ctx_at = Some(node);
            }
            return Ok(());
        }
        self.prepare_variables(c, e, rule, assert_id, node)
    }

    /// [`Runner::prepare`] of an expression that reads variables.
    #[inline(never)]
    fn prepare_variables(
        &mut self,
        c: &'a Compiled,
        e: &'a Expr,
        rule: &'a Rule,
        assert_id: &str,
        node: XNode<'a>,
    ) -> Result<(), ProcessingError> {
        for &d in &e.lets {
            self.ensure_let(c, d, rule, node, 0)?;
        }
        self.check_globals(e, rule, Some(assert_id), node)?;
        self.ctx.set_context_node(node);
        self.ctx_at = Some(node);
        Ok(())
    }

    fn fire(
        &mut self,
        ri: usize,
        rule: &'a Rule,
        node: XNode<'a>,
        out: &mut Vec<Finding>,
    ) -> Result<(), ProcessingError> {
        let schema = self.schema;
        let c = schema.compiled(rule).map_err(|m| {
            self.error(
                Some(rule),
                None,
                Some(node),
                XPathError {
                    code: "XPST0003",
                    message: m,
                },
            )
        })?;
        self.lets_done.clear();
        self.lets_done.resize(c.lets.len(), false);
        let (start, end) = self.schedule_of(ri, rule, c);
        for k in start..end {
            let Some(&i) = self.schedule.get(k) else {
                break;
            };
            let (Some(a), Some(ca)) = (rule.asserts.get(i), c.asserts.get(i)) else {
                continue;
            };
            self.prepare(c, &ca.test, rule, &a.id, node)?;
            let ok = ca
                .test
                .xpath
                .evaluate_boolean(self.ctx)
                .map_err(|err| self.error(Some(rule), Some(&a.id), Some(node), err))?;
            if ok {
                continue;
            }
            let parts = schema.message(rule, c, a, ca).map_err(|m| {
                self.error(
                    Some(rule),
                    Some(&a.id),
                    Some(node),
                    XPathError {
                        code: "XPST0003",
                        message: m,
                    },
                )
            })?;
            let mut message = String::new();
            for part in parts {
                match part {
                    MsgPart::Text(t) => message.push_str(t),
                    MsgPart::Value(e) => {
                        self.prepare(c, e, rule, &a.id, node)?;
                        let s = e
                            .xpath
                            .evaluate_string(self.ctx)
                            .map_err(|err| self.error(Some(rule), Some(&a.id), Some(node), err))?;
                        message.push_str(&s);
                    }
                }
            }
            let pos = node_position(&node);
            out.push(Finding {
                id: a.id.to_string(),
                flag: a.flag,
                source_flag: a.flag,
                schema: schema.name.to_string(),
                layer: a.layer.to_string(),
                message,
                location: Location {
                    path: node_path(&node),
                    line: pos.line,
                    column: pos.column,
                },
            });
        }
        Ok(())
    }
}

fn node_path(n: &XNode<'_>) -> String {
    match n {
        XNode::Node(x) => x.path(),
        XNode::Attr(a) => a.path(),
    }
}

fn node_position(n: &XNode<'_>) -> egov_core::xml::Position {
    match n {
        XNode::Node(x) => x.position(),
        XNode::Attr(a) => a.position(),
    }
}

fn is_text_continuation(n: &egov_core::xml::Node<'_>) -> bool {
    n.is_text() && n.prev_sibling().is_some_and(|p| p.is_text())
}

/// The process-wide rule set of a syntax, and whether a background thread has been started
/// for it (loading, then compiling).
struct Shared {
    rules: OnceLock<Result<RuleSet, crate::Error>>,
    background: AtomicBool,
}

fn shared(syntax: Syntax) -> &'static Shared {
    static UBL: Shared = Shared {
        rules: OnceLock::new(),
        background: AtomicBool::new(false),
    };
    static CII: Shared = Shared {
        rules: OnceLock::new(),
        background: AtomicBool::new(false),
    };
    match syntax {
        Syntax::Ubl => &UBL,
        Syntax::Cii => &CII,
    }
}

impl RuleSet {
    /// The compiled rules of a syntax (all its schemas), built on first use and shared.
    ///
    /// The rules come from their shipped compiled form; each expression is decoded the first
    /// time it is evaluated. The first call also starts a background thread that loads the
    /// rules and prepares them (from the last rule backwards) while the validating thread
    /// checks the scenario and the XML Schema. Where threads cannot be started, all of this
    /// happens on first use.
    pub fn for_syntax(syntax: Syntax) -> Result<&'static RuleSet, crate::Error> {
        let rules = shared(syntax)
            .rules
            .get_or_init(|| RuleSet::load(syntax))
            .as_ref()
            .map_err(Clone::clone)?;
        RuleSet::start_background(syntax);
        Ok(rules)
    }

    /// Starts loading and compiling the rules of `syntax` on a background thread, unless that
    /// has been started before; returns at once. The validator calls this as soon as it knows
    /// the syntax, so that loading the rules overlaps with the XML Schema step.
    pub fn prepare(syntax: Syntax) {
        RuleSet::start_background(syntax);
    }

    fn start_background(syntax: Syntax) {
        let s = shared(syntax);
        // a plain load first: after the first call this is all it costs (no shared writes)
        if s.background.load(Ordering::Acquire) || s.background.swap(true, Ordering::AcqRel) {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name(format!("egov-rules-{syntax}"))
            .spawn(move || {
                if let Ok(rs) = s.rules.get_or_init(|| RuleSet::load(syntax)) {
                    rs.prepare_backwards();
                }
            });
        // without a thread, rules compile when they are first used
        drop(spawned);
    }

    /// Prepares every rule, last rule of the last schema first (the validation itself starts
    /// with the first ones), until the first run begins. From the compiled form this makes the
    /// rules' expressions without decoding their trees: each is decoded by the first evaluation
    /// that needs it. (Decoding them all here as well was measured slower: a second thread
    /// allocating megabytes grows its own heap with `mprotect` calls that stall the validating
    /// thread's page faults.)
    fn prepare_backwards(&self) {
        for s in self.schemas.iter().rev() {
            for r in s.rules.iter().rev() {
                if self.warm.load(Ordering::Relaxed) {
                    // the first run has begun and wants this core for its second step
                    return;
                }
                let _ = s.compiled(r);
            }
        }
    }

    /// Loads and compiles (contexts, globals, functions) the schemas of `syntax` from the
    /// embedded data. Prefer [`RuleSet::for_syntax`], which does this once per process.
    ///
    /// The rules come from their shipped compiled form (`data/rules/compiled/`) when it
    /// matches the embedded text, else they are compiled from the text.
    pub fn load(syntax: Syntax) -> Result<RuleSet, crate::Error> {
        match compiled::read(syntax) {
            Some(rules) => Ok(rules),
            None => RuleSet::read_text(syntax),
        }
    }

    /// Loads the rules of `syntax` from the embedded text alone, compiling every expression
    /// (what the compiled forms are made from; slower to load than [`RuleSet::load`]).
    pub fn load_from_text(syntax: Syntax) -> Result<RuleSet, crate::Error> {
        RuleSet::read_text(syntax)
    }

    /// The compiled form of these rules, as shipped in `data/rules/compiled/` (compiles every
    /// rule first).
    ///
    /// # Errors
    /// When a rule does not compile.
    pub fn to_compiled_form(&self) -> Result<Vec<u8>, crate::Error> {
        compiled::write(self)
    }

    /// The shipped compiled form of the rules of `syntax`.
    pub fn shipped_compiled_form(syntax: Syntax) -> &'static [u8] {
        compiled::shipped(syntax)
    }

    /// Reads and compiles the embedded text.
    fn read_text(syntax: Syntax) -> Result<RuleSet, crate::Error> {
        let mut schemas: Vec<Schema> = Vec::new();
        // raw pieces of the schema being read
        let mut functions: Vec<Cow<'static, str>> = Vec::new();
        let mut vars: Vec<(Cow<'static, str>, Cow<'static, str>)> = Vec::new();
        let mut ctx_ready = false;
        let mut keep = false;
        let mut pending_rule: Option<(usize, Cow<'static, str>)> = None;
        let mut lets: Vec<(Cow<'static, str>, Cow<'static, str>)> = Vec::new();
        let mut asserts: Vec<AssertDef> = Vec::new();

        fn finish_rule(
            schema: &mut Schema,
            pending: &mut Option<(usize, Cow<'static, str>)>,
            lets: &mut Vec<(Cow<'static, str>, Cow<'static, str>)>,
            asserts: &mut Vec<AssertDef>,
        ) -> Result<(), crate::Error> {
            if let Some((pattern, context)) = pending.take() {
                let compiled = Pattern::compile(&context, &schema.ctx)?;
                schema.rules.push(Rule {
                    pattern,
                    shape_only: compiled.is_shape_only(),
                    context_source: context,
                    context: compiled,
                    lets: std::mem::take(lets),
                    asserts: std::mem::take(asserts),
                    precompiled: None,
                    compiled: OnceLock::new(),
                });
            }
            Ok(())
        }

        fn finish_setup(
            schema: &mut Schema,
            functions: &mut Vec<Cow<'static, str>>,
            vars: &mut Vec<(Cow<'static, str>, Cow<'static, str>)>,
        ) -> Result<(), crate::Error> {
            if !functions.is_empty() {
                let lib = FunctionLibrary::from_xslt(functions.iter().map(|f| &**f), &schema.ctx)?;
                let lib = Arc::new(lib);
                schema.ctx.set_functions(lib.clone());
                schema.functions = Some(lib);
                functions.clear();
            }
            for (name, value) in vars.drain(..) {
                // a global sees the globals declared before it
                let xpath = XPath::compile(&value, &schema.ctx).map_err(|e| e.to_string());
                schema.ctx.declare_variable(&name);
                let global = Global::new(name, value, xpath, &schema.globals);
                schema.globals.push(global);
            }
            Ok(())
        }

        for (tag, raw) in records(RULES_TSV) {
            if !keep && tag != "SCHEMA" {
                continue;
            }
            // (assertions, most of the records, split their own fields)
            let f = if tag == "ASSERT" {
                Vec::new()
            } else {
                fields(raw)
            };
            match tag {
                "VERSION" => {}
                "SCHEMA" => {
                    if let Some(s) = schemas.last_mut().filter(|_| keep) {
                        if !ctx_ready {
                            finish_setup(s, &mut functions, &mut vars)?;
                        }
                        finish_rule(s, &mut pending_rule, &mut lets, &mut asserts)?;
                    }
                    keep = field(&f, 1) == syntax.as_str();
                    pending_rule = None;
                    lets.clear();
                    asserts.clear();
                    functions.clear();
                    vars.clear();
                    ctx_ready = false;
                    if keep {
                        schemas.push(Schema {
                            name: field(&f, 0),
                            layers: field(&f, 2).split(',').map(str::to_string).collect(),
                            version: field(&f, 3),
                            licence: field(&f, 4),
                            ctx: StaticContext::new(),
                            functions: None,
                            globals: Vec::new(),
                            context_globals: Vec::new(),
                            patterns: Vec::new(),
                            rules: Vec::new(),
                            index: NameIndex::default(),
                        });
                    }
                }
                _ if !keep => {}
                "NS" => {
                    if let Some(s) = schemas.last_mut() {
                        s.ctx.bind_namespace(&field(&f, 0), &field(&f, 1));
                    }
                }
                "FUNCTION" => functions.push(field(&f, 0)),
                "VAR" => vars.push((field(&f, 1), field(&f, 2))),
                "PATTERN" => {
                    let Some(s) = schemas.last_mut() else {
                        continue;
                    };
                    if !ctx_ready {
                        finish_setup(s, &mut functions, &mut vars)?;
                        ctx_ready = true;
                    }
                    finish_rule(s, &mut pending_rule, &mut lets, &mut asserts)?;
                    s.patterns.push(field(&f, 0));
                }
                "RULE" => {
                    let Some(s) = schemas.last_mut() else {
                        continue;
                    };
                    finish_rule(s, &mut pending_rule, &mut lets, &mut asserts)?;
                    pending_rule = Some((s.patterns.len().saturating_sub(1), field(&f, 0)));
                }
                "LET" => lets.push((field(&f, 0), field(&f, 1))),
                "ASSERT" => {
                    // id, flag, layer, test, message (kept raw)
                    let mut parts = raw.splitn(5, '\t');
                    let mut next = || data::unescape(parts.next().unwrap_or_default());
                    let (id, flag, layer, test) = (next(), next(), next(), next());
                    asserts.push(AssertDef {
                        id,
                        flag: flag_of(&flag),
                        layer,
                        test,
                        message: parts.next().unwrap_or_default(),
                    });
                }
                other => return Err(data_error(format!("rules.tsv: unknown record {other:?}"))),
            }
        }
        if let Some(s) = schemas.last_mut().filter(|_| keep) {
            if !ctx_ready {
                finish_setup(s, &mut functions, &mut vars)?;
            }
            finish_rule(s, &mut pending_rule, &mut lets, &mut asserts)?;
        }
        RuleSet::finish(syntax, schemas)
    }

    /// The rule set of loaded schemas: their indexes made.
    fn finish(syntax: Syntax, mut schemas: Vec<Schema>) -> Result<RuleSet, crate::Error> {
        if schemas.is_empty() {
            return Err(data_error(format!("no rules for syntax {syntax}")));
        }
        for s in &mut schemas {
            s.index_rules();
            let g = s.globals.len();
            let mut read: Vec<usize> = (s.rules.iter())
                .flat_map(|r| r.context.referenced_variables())
                .filter(|v| *v < g)
                .collect();
            read.sort_unstable();
            read.dedup();
            s.context_globals = read;
        }
        Ok(RuleSet {
            syntax,
            schemas,
            shapes: Shapes::default(),
            warm: AtomicBool::new(false),
        })
    }

    /// The syntax.
    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    /// The schemas, e.g. `EN16931-UBL-validation` and `XRechnung-UBL-validation`.
    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    /// The schema with this name.
    pub fn schema(&self, name: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.name == name)
    }

    /// The CEN EN 16931 schema (layer `en16931`).
    pub fn en16931(&self) -> Option<&Schema> {
        self.schemas
            .iter()
            .find(|s| s.layers.iter().any(|l| l == "en16931"))
    }

    /// Compiles every rule now; returns the first static error (for tests and warm-up).
    pub fn compile_all(&self) -> Result<(), crate::Error> {
        self.schemas.iter().try_for_each(Schema::compile_all)
    }

    /// Runs the named schemas in order. If one fails with a dynamic error, the others still run
    /// and the error carries their findings.
    pub fn run(&self, doc: &Document, schemas: &[&str]) -> Result<Vec<Finding>, ProcessingError> {
        let steps: Vec<(&str, Option<&[&str]>)> = schemas.iter().map(|s| (*s, None)).collect();
        self.run_steps(doc, &steps)
    }

    /// Runs schematron steps (schema name, optional layer filter) in order.
    ///
    /// The first run of a rule set in a process, which also decodes the rules it needs, runs
    /// the steps after the first on a second thread (each with its own evaluation context), so
    /// that a fresh process spends its first validation on two cores; the findings are the same
    /// and in the same order. Later runs, with everything decoded, run the steps in turn.
    pub fn run_steps(
        &self,
        doc: &Document,
        steps: &[(&str, Option<&[&str]>)],
    ) -> Result<Vec<Finding>, ProcessingError> {
        self.run_steps_in(doc, steps, &mut DynamicContext::for_document(doc))
    }

    /// [`RuleSet::run_steps`] in an evaluation context of `doc` (indexed here if it is not).
    pub fn run_steps_in<'a>(
        &'a self,
        doc: &'a Document,
        steps: &[(&str, Option<&[&str]>)],
        ctx: &mut DynamicContext<'a>,
    ) -> Result<Vec<Finding>, ProcessingError> {
        ctx.index_document(doc);
        let shapes = self.shapes.of(&self.schemas, doc, ctx);
        let presence = NamePresence::of(ctx);
        let (shapes, presence) = (&shapes, &presence);
        let first_run = !self.warm.swap(true, Ordering::Relaxed);
        let first_done = AtomicBool::new(false);
        let results: Vec<Result<Vec<Finding>, ProcessingError>> = match steps.split_first() {
            Some((first, rest)) if first_run && !rest.is_empty() => std::thread::scope(|scope| {
                let first_done = &first_done;
                let later = std::thread::Builder::new()
                    .name("egov-rules-step".into())
                    .spawn_scoped(scope, || {
                        let mut own = DynamicContext::for_document(doc);
                        own.index_document(doc);
                        let results = (rest.iter())
                            .map(|(name, layers)| {
                                self.run_step(&mut own, doc, name, *layers, shapes, presence)
                            })
                            .collect::<Vec<_>>();
                        // then decode for the first step from the end of the document
                        if let Some((index, schema)) = self.schema_at(first.0) {
                            schema.decode_ahead(index, first.1, shapes, presence, first_done);
                        }
                        results
                    });
                let (name, layers) = first;
                let first = self.run_step(ctx, doc, name, *layers, shapes, presence);
                first_done.store(true, Ordering::Relaxed);
                let rest = match later.map(|h| h.join()) {
                    Ok(Ok(results)) => results,
                    // no thread (or it failed): the later steps here
                    _ => (rest.iter())
                        .map(|(name, layers)| {
                            self.run_step(ctx, doc, name, *layers, shapes, presence)
                        })
                        .collect(),
                };
                std::iter::once(first).chain(rest).collect()
            }),
            _ => (steps.iter())
                .map(|(name, layers)| self.run_step(ctx, doc, name, *layers, shapes, presence))
                .collect(),
        };
        let mut findings = Vec::new();
        let mut failure: Option<ProcessingError> = None;
        for r in results {
            match r {
                Ok(mut f) => findings.append(&mut f),
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            None => Ok(findings),
            Some(mut e) => {
                e.findings = findings;
                Err(e)
            }
        }
    }

    /// The schema named `name` with its index.
    fn schema_at(&self, name: &str) -> Option<(usize, &Schema)> {
        self.schemas
            .iter()
            .enumerate()
            .find(|(_, s)| s.name == name)
    }

    /// One schematron step over a document whose shapes and name presence are computed.
    #[allow(clippy::too_many_arguments)]
    fn run_step<'a, 's>(
        &'a self,
        ctx: &mut DynamicContext<'a>,
        doc: &'a Document,
        name: &str,
        layers: Option<&[&str]>,
        shapes: &'s DocShapes<'s>,
        presence: &'s NamePresence,
    ) -> Result<Vec<Finding>, ProcessingError> {
        let Some((index, schema)) = self.schema_at(name) else {
            return Err(ProcessingError::new(
                name,
                XPathError {
                    code: "XTSE0000",
                    message: format!("no schematron schema {name:?} for syntax {}", self.syntax),
                },
                String::new(),
                ErrorSite::default(),
            ));
        };
        let per_doc = PerDocument {
            shapes: Some((shapes, index)),
            presence,
        };
        schema.run_in(ctx, doc, layers, per_doc)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn message_parts_split_value_of() {
        let p = message_parts(
            r#"[X] in <value-of select="name()"/> is <value-of select="@a &lt; 1"/>."#,
        );
        assert_eq!(
            p,
            [
                (false, "[X] in ".to_string()),
                (true, "name()".to_string()),
                (false, " is ".to_string()),
                (true, "@a < 1".to_string()),
                (false, ".".to_string())
            ]
        );
    }

    #[test]
    fn every_rule_of_both_syntaxes_compiles() {
        for syntax in [Syntax::Ubl, Syntax::Cii] {
            let rs = RuleSet::for_syntax(syntax).unwrap();
            rs.compile_all().unwrap();
            let n: usize = rs.schemas().iter().map(Schema::assertion_count).sum();
            assert!(n > 800, "{syntax}: {n} assertions");
        }
    }

    #[test]
    fn rule_sets_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<RuleSet>();
        check::<Scenarios>();
    }
}
