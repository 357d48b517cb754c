//! A compiled XPath 2.0 evaluator (the subset schematron rules use) and XSLT match patterns,
//! over [`crate::xml::Document`], with Saxon's (schema-unaware) semantics:
//!
//! - node values are `xs:untypedAtomic`: in general comparisons they compare as strings with
//!   strings and untyped values, as `xs:double` with numbers; in arithmetic they become
//!   `xs:double`;
//! - `xs:decimal` arithmetic is exact (`rust_decimal`, falling back to arbitrary precision);
//!   decimal division rounds to 18 fractional digits as Saxon does; `xs:integer` is unbounded;
//! - dynamic errors (e.g. XPTY0004 "a sequence of more than one item is not allowed as the first
//!   argument of normalize-space()") are [`XPathError`] values, never panics;
//! - regular expressions use the XML Schema dialect (translated to the `regex` crate; `\i`, `\c`,
//!   class subtraction, flags `s m i x q`).
//!
//! Expressions are compiled once ([`XPath::compile`], [`Pattern::compile`]) into `Send + Sync`
//! values, then evaluated many times against a reusable [`DynamicContext`], which keeps the
//! buffers so that evaluation allocates (almost) nothing once warm. Tests (and predicates of
//! patterns) of the shapes schematron rules are mostly made of get a flat, typed *plan* at their
//! second use, which answers where it can answer exactly and leaves everything else (errors
//! included) to the tree-walking evaluator.
//!
//! ```
//! use egov_core::xml::Document;
//! use egov_core::xpath::{DynamicContext, StaticContext, XPath};
//!
//! let doc = Document::parse_default(
//!     br#"<i:Invoice xmlns:i="urn:i"><i:Line>10.10</i:Line><i:Line>0.20</i:Line></i:Invoice>"#,
//! )?;
//! let mut ctx = StaticContext::new();
//! ctx.bind_namespace("i", "urn:i");
//! let total = XPath::compile("sum(/i:Invoice/i:Line/xs:decimal(.)) = 10.3", &ctx)?;
//! let mut dynamic = DynamicContext::for_document(&doc);
//! assert!(total.evaluate_boolean(&mut dynamic)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ast;
mod big;
mod compiled;
mod eval;
mod functions;
mod guard;
mod index;
mod parser;
mod pattern;
mod plan;
mod regex;
mod value;
mod xslt;

use std::borrow::Cow;
use std::sync::Arc;

pub use compiled::{CompiledBlock, CompiledReader, CompiledWriter, COMPILED_FORMAT_VERSION};
pub use guard::{use_guards, AbsenceGuard, AbsenceGuards, GuardTerms, NamePresence};
pub use pattern::{MatchKey, Pattern};
pub use value::{AtomicType, Item, Str, XDate, XNode};
pub use xslt::{FunctionLibrary, XSLT_NAMESPACE};

use ast::{Expr, VarRef};
use eval::{Ev, Focus, Scratch};
use functions::Builtin;
use parser::{FnSig, Parser};

use crate::xml::{Document, Node};
use crate::Error;

/// The namespace of the `fn:` functions (the default function namespace).
pub const FN_NAMESPACE: &str = "http://www.w3.org/2005/xpath-functions";
/// The XML Schema namespace (`xs:` types and constructor functions).
pub const XS_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema";

/// Whether tests use their [plans](plan) (see [`use_plans`]).
static PLANS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Turns the plans of boolean tests off (or on again) for the whole process: the tree walker
/// alone then evaluates every expression. Results are the same either way; this exists so that
/// tests can show it.
#[doc(hidden)]
pub fn use_plans(on: bool) {
    PLANS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether tests use their plans (see [`use_plans`]).
fn plans_enabled() -> bool {
    PLANS.load(std::sync::atomic::Ordering::Relaxed)
}

/// A sequence of items.
pub type Sequence<'a> = Vec<Item<'a>>;

/// A dynamic XPath error (the W3C error code and a message), e.g. `XPTY0004` or `FORG0001`.
///
/// In an XSLT-based schematron pipeline such an error stops the transformation: the validation
/// reports it (e.g. as `SCHEMATRON-PROCESSING-ERROR`) rather than crashing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct XPathError {
    /// The error code, e.g. `XPTY0004`.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
}

/// Names known when compiling: namespace prefixes, variables, user functions.
#[derive(Debug, Clone)]
pub struct StaticContext {
    /// Prefix, namespace URI, and the URI's process-wide id (for name tests).
    namespaces: Vec<(String, String, u32)>,
    variables: Vec<String>,
    functions: Option<Arc<FunctionLibrary>>,
    default_element_namespace: String,
}

impl Default for StaticContext {
    fn default() -> Self {
        Self::new()
    }
}

impl StaticContext {
    /// A context with the prefixes `xs`, `fn` and `xml` bound.
    pub fn new() -> Self {
        StaticContext {
            namespaces: [
                ("xs", XS_NAMESPACE),
                ("fn", FN_NAMESPACE),
                ("xml", crate::xml::XML_NAMESPACE),
            ]
            .into_iter()
            .map(|(p, u)| (p.to_string(), u.to_string(), index::intern_local(u)))
            .collect(),
            variables: Vec::new(),
            functions: None,
            default_element_namespace: String::new(),
        }
    }

    /// Binds (or rebinds) a namespace prefix.
    pub fn bind_namespace(&mut self, prefix: &str, uri: &str) {
        let id = index::intern_local(uri);
        match self.namespaces.iter_mut().find(|(p, ..)| p == prefix) {
            Some(slot) => {
                slot.1 = uri.to_string();
                slot.2 = id;
            }
            None => self
                .namespaces
                .push((prefix.to_string(), uri.to_string(), id)),
        }
    }

    /// The namespace bound to a prefix.
    pub fn namespace(&self, prefix: &str) -> Option<&str> {
        self.namespaces
            .iter()
            .find(|(p, ..)| p == prefix)
            .map(|(_, u, _)| u.as_str())
    }

    /// The namespace bound to a prefix, with its interned id.
    pub(crate) fn namespace_with_id(&self, prefix: &str) -> Option<(&str, u32)> {
        self.namespaces
            .iter()
            .find(|(p, ..)| p == prefix)
            .map(|(_, u, id)| (u.as_str(), *id))
    }

    /// All prefix bindings.
    pub fn namespaces(&self) -> impl Iterator<Item = (&str, &str)> {
        self.namespaces
            .iter()
            .map(|(p, u, _)| (p.as_str(), u.as_str()))
    }

    /// Sets the namespace of unprefixed element names (empty = none, the default).
    pub fn set_default_element_namespace(&mut self, uri: &str) {
        self.default_element_namespace = uri.to_string();
    }

    pub(crate) fn default_element_namespace(&self) -> &str {
        &self.default_element_namespace
    }

    /// Declares a variable of the dynamic context; returns its slot (the index to set in
    /// [`DynamicContext::set_variable`]). A later declaration of the same name shadows an
    /// earlier one.
    pub fn declare_variable(&mut self, name: &str) -> usize {
        self.variables.push(name.to_string());
        self.variables.len() - 1
    }

    /// The slot of a declared variable (the latest declaration wins).
    pub fn variable_slot(&self, name: &str) -> Option<usize> {
        self.variables.iter().rposition(|v| v == name)
    }

    /// The declared variables, by slot.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// Removes declared variables from slot `len` on.
    pub fn truncate_variables(&mut self, len: usize) {
        self.variables.truncate(len);
    }

    pub(crate) fn clear_variables(&mut self) {
        self.variables.clear();
    }

    pub(crate) fn clear_functions(&mut self) {
        self.functions = None;
    }

    /// Makes user-defined functions callable.
    pub fn set_functions(&mut self, functions: Arc<FunctionLibrary>) {
        self.functions = Some(functions);
    }

    pub(crate) fn function_sigs(&self) -> &[FnSig] {
        self.functions.as_ref().map_or(&[], |l| &l.sigs)
    }

    pub(crate) fn functions_arc(&self) -> Option<Arc<FunctionLibrary>> {
        self.functions.clone()
    }
}

/// The dynamic context of evaluations: context item, variable values, and reusable buffers.
/// Create one per document (or per thread) and reuse it for many evaluations.
pub struct DynamicContext<'a> {
    item: Option<Item<'a>>,
    variables: Vec<Sequence<'a>>,
    scratch: Scratch<'a>,
}

impl Default for DynamicContext<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> DynamicContext<'a> {
    /// A context without context item or variables.
    pub fn new() -> Self {
        DynamicContext {
            item: None,
            variables: Vec::new(),
            scratch: Scratch::default(),
        }
    }

    /// A context whose context item is the document node.
    pub fn for_document(doc: &'a Document) -> Self {
        let mut c = Self::new();
        c.item = Some(Item::Node(XNode::Node(doc.document_node())));
        c
    }

    /// Builds the per-document index now: an element index by name (for `//x` and child steps)
    /// and memo tables for absolute paths. Worth it when many expressions are evaluated over
    /// one document (a rule set); otherwise it is built after some uses of the document.
    pub fn index_document(&mut self, doc: &'a Document) {
        let current = self
            .scratch
            .index
            .as_ref()
            .is_some_and(|ix| std::ptr::eq(ix.doc, doc));
        if !current {
            self.scratch.index = Some(index::DocIndex::build(doc));
        }
    }

    /// A number for the local name of an element of the indexed document (see
    /// [`DynamicContext::index_document`]): elements with equal local names have equal numbers,
    /// small and dense per document. None for other nodes or documents.
    pub fn local_name_id(&self, node: Node<'_>) -> Option<u32> {
        let ix = self.scratch.index.as_ref()?;
        if !std::ptr::eq(ix.doc, node.document()) {
            return None;
        }
        ix.name_of(node.id().index())
    }

    /// Sets the context item.
    pub fn set_context_item(&mut self, item: Option<Item<'a>>) {
        self.item = item;
    }

    /// Sets a node as the context item.
    pub fn set_context_node(&mut self, node: XNode<'a>) {
        self.item = Some(Item::Node(node));
    }

    /// The context item.
    pub fn context_item(&self) -> Option<&Item<'a>> {
        self.item.as_ref()
    }

    /// Sets the value of the variable in `slot` (see [`StaticContext::declare_variable`]).
    pub fn set_variable(&mut self, slot: usize, value: Sequence<'a>) {
        while self.variables.len() <= slot {
            self.variables.push(Vec::new());
        }
        if let Some(v) = self.variables.get_mut(slot) {
            *v = value;
        }
    }

    /// The value of the variable in `slot`.
    pub fn variable(&self, slot: usize) -> Option<&Sequence<'a>> {
        self.variables.get(slot)
    }

    /// Number of variable slots with values.
    pub fn variable_count(&self) -> usize {
        self.variables.len()
    }

    /// Drops the values of slots `len..`.
    pub fn truncate_variables(&mut self, len: usize) {
        self.variables.truncate(len);
    }
}

/// A compiled XPath expression. `Send + Sync`; compile once, evaluate many times.
#[derive(Debug)]
pub struct XPath {
    /// Borrowed when read from embedded compiled forms (see [`CompiledReader::xpath_lazy`]).
    source: Cow<'static, str>,
    body: Body,
    locals: usize,
    functions: Option<Arc<FunctionLibrary>>,
    /// The test's [plan](plan) when it has one (made at its second evaluation as a test).
    plan: plan::LazyPlan<Option<Box<plan::Test>>>,
    /// The plan of its value when that is one number (made at its second evaluation for a
    /// value, see [`XPath::evaluate`]).
    value_plan: plan::LazyPlan<Option<Box<plan::Num>>>,
}

/// The compiled tree: made by the compiler, or decoded from a compiled form when first
/// evaluated (see [`CompiledReader::xpath_lazy`]).
#[derive(Debug)]
enum Body {
    Ready(Expr),
    Lazy(Box<compiled::LazyExpr>),
}

impl XPath {
    /// Compiles an expression: a static error is [`Error::XPath`].
    pub fn compile(expression: &str, ctx: &StaticContext) -> Result<XPath, Error> {
        let mut p = Parser::new(expression, ctx, ctx.function_sigs(), &[], 0)?;
        let expr = p.parse_all()?;
        Ok(XPath {
            source: Cow::Owned(expression.to_owned()),
            body: Body::Ready(expr),
            locals: p.max_slot,
            functions: ctx.functions_arc(),
            plan: plan::LazyPlan::default(),
            value_plan: plan::LazyPlan::default(),
        })
    }

    /// The compiled tree (decoded now if it was read lazily; a compiled form that does not
    /// decode is a dynamic error `EGOV0001`).
    pub(crate) fn expr(&self) -> Result<&Expr, XPathError> {
        match &self.body {
            Body::Ready(e) => Ok(e),
            Body::Lazy(l) => l.get().map_err(|m| {
                *value::err(
                    "EGOV0001",
                    format!("compiled form of {:?}: {m}", self.source),
                )
            }),
        }
    }

    /// What is known of an expression read lazily without decoding it.
    pub(crate) fn lazy_analysis(&self) -> Option<&compiled::LazyExpr> {
        match &self.body {
            Body::Lazy(l) => Some(l),
            Body::Ready(_) => None,
        }
    }

    /// Decodes an expression read lazily from a compiled form now rather than when first
    /// evaluated (a background thread can do this ahead of the evaluations); false when it
    /// does not decode.
    pub fn prepare(&self) -> bool {
        self.expr().is_ok()
    }

    /// The expression as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn run<'a, T>(
        &'a self,
        ctx: &mut DynamicContext<'a>,
        body: impl FnOnce(&mut Ev<'a, '_>, &Focus<'a>) -> value::R<T>,
    ) -> Result<T, XPathError> {
        let DynamicContext {
            item,
            variables,
            scratch,
        } = ctx;
        let focus = Focus {
            item: item.clone(),
            pos: usize::from(item.is_some()),
            size: usize::from(item.is_some()),
        };
        let mut ev = Ev::top(variables, scratch, self.functions.as_deref(), self.locals);
        body(&mut ev, &focus).map_err(|e| *e)
    }

    /// Evaluates to a sequence.
    pub fn evaluate<'a>(
        &'a self,
        ctx: &mut DynamicContext<'a>,
    ) -> Result<Sequence<'a>, XPathError> {
        if let Some(v) = self.value_planned(ctx) {
            return Ok(v.into_iter().collect());
        }
        let mut out = Vec::new();
        let expr = self.expr()?;
        self.run(ctx, |ev, f| ev.eval(expr, f, &mut out))?;
        Ok(out)
    }

    /// [`XPath::evaluate`] by the expression's value plan, if it has one and it answers.
    fn value_planned<'a>(&'a self, ctx: &mut DynamicContext<'a>) -> Option<Option<Item<'a>>> {
        let make = || self.expr().ok().and_then(plan::compile_value);
        self.by_plan(
            ctx,
            || self.value_plan.get(make)?.as_deref(),
            |ev, p, n| ev.plan_num(p, n),
        )
    }

    /// `run` of the plan `plan` gives (made lazily) at the context node, when plans are in use
    /// and the context item is a node; None when there is no plan or it does not answer.
    #[inline]
    fn by_plan<'a, P: ?Sized + 'a, R>(
        &'a self,
        ctx: &mut DynamicContext<'a>,
        plan: impl FnOnce() -> Option<&'a P>,
        run: impl FnOnce(&mut Ev<'a, '_>, &'a P, XNode<'a>) -> Option<R>,
    ) -> Option<R> {
        if !plans_enabled() {
            return None;
        }
        let Some(Item::Node(n)) = ctx.item else {
            return None;
        };
        let plan = plan()?;
        let DynamicContext {
            variables, scratch, ..
        } = ctx;
        let mut ev = Ev::top(variables, scratch, self.functions.as_deref(), self.locals);
        run(&mut ev, plan, n)
    }

    /// Evaluates to its effective boolean value (what a schematron `test` means), stopping as
    /// early as possible.
    pub fn evaluate_boolean<'a>(
        &'a self,
        ctx: &mut DynamicContext<'a>,
    ) -> Result<bool, XPathError> {
        if let Some(b) = self.planned(ctx) {
            return Ok(b);
        }
        let expr = self.expr()?;
        self.run(ctx, |ev, f| ev.ebv(expr, f))
    }

    /// [`XPath::evaluate_boolean`] by the expression's plan, if it has one and it answers.
    #[inline]
    fn planned<'a>(&'a self, ctx: &mut DynamicContext<'a>) -> Option<bool> {
        let make = || self.expr().ok().and_then(plan::compile).map(Box::new);
        self.by_plan(
            ctx,
            || self.plan.get(make)?.as_deref(),
            |ev, p, n| ev.plan_test(p, n),
        )
    }

    /// Evaluates like `xsl:value-of`: the string values of the items joined with single spaces.
    pub fn evaluate_string<'a>(
        &'a self,
        ctx: &mut DynamicContext<'a>,
    ) -> Result<String, XPathError> {
        let items = self.evaluate(ctx)?;
        let mut s = String::new();
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            it.push_str(&mut s);
        }
        Ok(s)
    }

    /// True when the value depends on nothing but the variables the expression reads: no
    /// context item, no document, no user-defined function. Such an expression over constant
    /// variables can be evaluated once, without a document.
    pub fn is_context_free(&self) -> bool {
        match &self.body {
            Body::Ready(e) => context_free(e),
            Body::Lazy(l) => l.context_free,
        }
    }

    /// The variable slots of the dynamic context the expression reads.
    pub fn referenced_variables(&self) -> Vec<usize> {
        match &self.body {
            Body::Ready(e) => {
                let mut out = Vec::new();
                collect_vars(e, &mut out);
                out.sort_unstable();
                out.dedup();
                out
            }
            Body::Lazy(l) => l.vars.clone(),
        }
    }
}

fn context_free(e: &Expr) -> bool {
    reads_no_context(e, false)
}

/// True when `e` reads no context item and no document; calls of user-defined functions are
/// allowed when `calls` (what they read is then up to them).
pub(crate) fn reads_no_context(e: &Expr, calls: bool) -> bool {
    match e {
        Expr::UserCall(..) if calls => {
            let mut free = true;
            e.children(&mut |c| free = free && reads_no_context(c, calls));
            free
        }
        Expr::Path(_)
        | Expr::ContextItem
        | Expr::Root
        | Expr::UserCall(..)
        | Expr::NameOnly(..)
        | Expr::NodeCmp(..) => false,
        // the zero-argument forms of string(), name(), position() … read the focus
        Expr::Call(b, args, _)
            if args.is_empty() && !matches!(b, Builtin::True | Builtin::False) =>
        {
            false
        }
        _ => {
            let mut free = true;
            e.children(&mut |c| free = free && reads_no_context(c, calls));
            free
        }
    }
}

pub(crate) fn collect_vars(e: &Expr, out: &mut Vec<usize>) {
    if let Expr::Var(VarRef::External(i)) = e {
        out.push(*i);
    }
    e.children(&mut |c| collect_vars(c, out));
}

/// Convenience: the node handle XPath uses for a tree node.
pub fn node(n: Node<'_>) -> XNode<'_> {
    XNode::Node(n)
}
