//! XSLT match patterns (`a/b[p]`, `//x`, `/ubl:Invoice`, `@x`, `p:*`, `(A | B)/c[p]`), matched
//! backwards from the candidate node: the last step must match the node, then each earlier step
//! its parent (`/`) or some ancestor (`//`).

use std::sync::{Arc, OnceLock};

use super::ast::*;
use super::eval::{test_matches, visit_axis, Ev, Focus};
use super::functions::Builtin;
use super::guard::AbsenceGuard;
use super::parser::{static_error, Parser};
use super::plan::{self, Test};
use super::value::XNode;
use super::xslt::FunctionLibrary;
use super::{DynamicContext, StaticContext};
use crate::xml::NodeKind;
use crate::Error;

/// How a step relates to the step before it (or, for the first step, to the root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sep {
    /// First step of `/a…`: the node's parent is the document node.
    Root,
    /// First step of a relative or `//` pattern: any node with a parent.
    Any,
    /// First step that is a parenthesised group: no condition.
    None,
    /// `/`
    Child,
    /// `//`
    Desc,
}

#[derive(Debug)]
pub(crate) enum PStepKind {
    /// Child (false) or attribute (true) axis with a node test.
    Test(bool, NodeTest),
    Group(Vec<PPath>),
}

/// Per predicate of a step: its plan for any node and for a node whose shape matches.
pub(crate) type PredPlans = Box<[(Option<Test>, Option<Test>)]>;

#[derive(Debug)]
pub(crate) struct PStep {
    pub sep: Sep,
    pub kind: PStepKind,
    pub preds: Vec<Pred>,
    pub positional: bool,
    /// The [plans](super::plan) of the boolean predicates, made at the step's second match:
    /// for any node, and for a node whose shape is known to match (see
    /// [`plan::compile_given_shape`]).
    pub plans: plan::LazyPlan<PredPlans>,
}

#[derive(Debug)]
pub(crate) struct PPath {
    /// Empty for the pattern `/` (matches the document node).
    pub steps: Vec<PStep>,
}

/// What kind of node a pattern can match, for indexing rules by the last step of their pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MatchKey {
    /// Elements with this local name (the namespace is checked when matching).
    Element(String),
    /// Any element.
    AnyElement,
    /// Attributes with this local name.
    Attribute(String),
    /// Any attribute.
    AnyAttribute,
    /// Other nodes (text, comments, PIs, the document node).
    Other,
}

/// A compiled XSLT match pattern. `Send + Sync`.
///
/// ```
/// use egov_core::xml::Document;
/// use egov_core::xpath::{DynamicContext, Pattern, StaticContext};
///
/// let doc = Document::parse_default(b"<a><b x='1'><c/></b><c/></a>")?;
/// let p = Pattern::compile("b/c | @x", &StaticContext::new())?;
/// let mut ctx = DynamicContext::new();
/// let matched: Vec<String> = doc
///     .nodes()
///     .filter(|n| p.matches_node(*n, &mut ctx))
///     .map(|n| n.path())
///     .collect();
/// assert_eq!(matched, ["/a/b[1]/c[1]"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Pattern {
    source: Box<str>,
    pub(crate) alts: Vec<PPath>,
    pub(crate) locals: usize,
    functions: Option<Arc<FunctionLibrary>>,
    /// See [`Pattern::no_match_guard`] (derived at its first use).
    pub(crate) no_match: OnceLock<Option<AbsenceGuard>>,
}

fn convert(e: Expr, src: &str) -> Result<Vec<PPath>, Error> {
    let bad = |m: &str| static_error(src, 0, format!("not a valid pattern: {m}"));
    match e {
        Expr::Union(a, b) => {
            let mut v = convert(*a, src)?;
            v.extend(convert(*b, src)?);
            Ok(v)
        }
        Expr::Root => Ok(vec![PPath { steps: Vec::new() }]),
        Expr::Filter(inner, preds) => {
            let alts = convert(*inner, src)?;
            if preds.iter().any(positional_group_pred) {
                return Err(bad("positional predicates on a parenthesised pattern"));
            }
            Ok(vec![PPath {
                steps: vec![PStep {
                    sep: Sep::None,
                    kind: PStepKind::Group(alts),
                    preds,
                    positional: false,
                    plans: plan::LazyPlan::default(),
                }],
            }])
        }
        Expr::Path(p) => {
            let p = *p;
            let mut steps = Vec::new();
            let mut sep = match p.start {
                PathStart::Root => Sep::Root,
                PathStart::Context => Sep::Any,
                PathStart::Expr(e) => {
                    let (inner, preds) = match *e {
                        Expr::Filter(i, preds) => (*i, preds),
                        other => (other, Vec::new()),
                    };
                    if preds.iter().any(positional_group_pred) {
                        return Err(bad("positional predicates on a parenthesised pattern"));
                    }
                    steps.push(PStep {
                        sep: Sep::None,
                        kind: PStepKind::Group(convert(inner, src)?),
                        preds,
                        positional: false,
                        plans: plan::LazyPlan::default(),
                    });
                    Sep::Child
                }
            };
            for s in p.steps {
                match s.kind {
                    StepKind::Axis(Axis::DescendantOrSelf, NodeTest::Kind(KindTest::AnyNode))
                        if s.preds.is_empty() =>
                    {
                        sep = if sep == Sep::Root {
                            Sep::Any
                        } else {
                            Sep::Desc
                        };
                    }
                    StepKind::Axis(
                        axis @ (Axis::Child
                        | Axis::Attribute
                        | Axis::Descendant
                        | Axis::DescendantOrSelfAttribute),
                        test,
                    ) => {
                        let this_sep =
                            if matches!(axis, Axis::Descendant | Axis::DescendantOrSelfAttribute) {
                                if sep == Sep::Root || sep == Sep::Any {
                                    Sep::Any
                                } else {
                                    Sep::Desc
                                }
                            } else {
                                sep
                            };
                        let positional = s.preds.iter().any(|p| p.kind != PredKind::Bool);
                        steps.push(PStep {
                            sep: this_sep,
                            kind: PStepKind::Test(axis.is_attribute(), test),
                            preds: s.preds,
                            positional,
                            plans: plan::LazyPlan::default(),
                        });
                        sep = Sep::Child;
                    }
                    _ => return Err(bad("only child, attribute and // steps are allowed")),
                }
            }
            if steps.is_empty() {
                return Err(bad("empty pattern"));
            }
            Ok(vec![PPath { steps }])
        }
        _ => Err(bad("expected a path or a union of paths")),
    }
}

/// Predicates on a parenthesised pattern are evaluated for the node alone (position 1 of 1);
/// ones that ask for the position cannot be supported that way.
fn positional_group_pred(p: &Pred) -> bool {
    matches!(p.kind, PredKind::Index(_)) || p.expr.uses_position()
}

impl Pattern {
    /// Compiles an XSLT match pattern.
    pub fn compile(pattern: &str, ctx: &StaticContext) -> Result<Pattern, Error> {
        let sigs = ctx.function_sigs();
        let mut p = Parser::new(pattern, ctx, sigs, &[], 0)?;
        let e = p.parse_all()?;
        let mut alts = convert(e, pattern)?;
        for a in &mut alts {
            wrap_path(a);
        }
        Ok(Pattern {
            source: pattern.into(),
            alts,
            locals: p.max_slot,
            functions: ctx.functions_arc(),
            no_match: OnceLock::new(),
        })
    }

    /// A pattern from its compiled parts (see [`super::CompiledReader`]).
    pub(crate) fn from_parts(
        source: &str,
        alts: Vec<PPath>,
        locals: usize,
        functions: Option<Arc<FunctionLibrary>>,
    ) -> Pattern {
        Pattern {
            source: source.into(),
            alts,
            locals,
            functions,
            no_match: OnceLock::new(),
        }
    }

    /// The pattern as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The kinds of node the pattern can match (for indexing).
    pub fn keys(&self) -> Vec<MatchKey> {
        let mut out = Vec::new();
        for a in &self.alts {
            path_keys(a, &mut out);
        }
        out.dedup();
        out
    }

    /// True when the node matches. Dynamic errors while evaluating predicates make the pattern
    /// not match (XSLT 3.0 §5.5.4).
    pub fn matches<'a>(&'a self, node: XNode<'a>, ctx: &mut DynamicContext<'a>) -> bool {
        self.run(node, ctx, Mode::Full)
    }

    /// Matches the *shape* of the node only: its kind and the names of it and its ancestors.
    /// Predicates that read anything else (content, variables, positions) count as true, so
    /// this is a necessary condition for [`Pattern::matches`] — and an equivalent one when
    /// [`Pattern::is_shape_only`]. Nodes with the same names on the path from the root share
    /// the answer, which lets a caller match many patterns once per distinct path.
    pub fn matches_shape<'a>(&'a self, node: XNode<'a>, ctx: &mut DynamicContext<'a>) -> bool {
        self.run(node, ctx, Mode::Shape)
    }

    /// True when whether a node matches depends on nothing but its kind and the names (prefix,
    /// namespace, local name) of it and its ancestors: every predicate is a condition on
    /// `name()`, `local-name()` or `namespace-uri()` and none is positional.
    pub fn is_shape_only(&self) -> bool {
        self.alts.iter().all(path_shape_only)
    }

    /// The variable slots of the dynamic context the pattern's predicates read.
    pub fn referenced_variables(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for a in &self.alts {
            path_vars(a, &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn run<'a>(&'a self, node: XNode<'a>, ctx: &mut DynamicContext<'a>, mode: Mode) -> bool {
        let DynamicContext {
            variables, scratch, ..
        } = ctx;
        let mut ev = Ev::top(variables, scratch, self.functions.as_deref(), self.locals);
        self.alts.iter().any(|a| match_path(&mut ev, a, node, mode))
    }

    /// Which alternatives (`a | b | …`) of the pattern match the node's *shape* (see
    /// [`Pattern::matches_shape`]): bit `i` for alternative `i`, bit 63 for any of the 63rd and
    /// later. Zero exactly when [`Pattern::matches_shape`] is false.
    pub fn shape_alternatives<'a>(&'a self, node: XNode<'a>, ctx: &mut DynamicContext<'a>) -> u64 {
        let DynamicContext {
            variables, scratch, ..
        } = ctx;
        let mut ev = Ev::top(variables, scratch, self.functions.as_deref(), self.locals);
        let mut mask = 0;
        for (i, a) in self.alts.iter().enumerate() {
            let bit = alternative_bit(i);
            if mask & bit == 0 && match_path(&mut ev, a, node, Mode::Shape) {
                mask |= bit;
            }
        }
        mask
    }

    /// [`Pattern::matches`] for a node whose shape matches the alternatives in `alts` (as
    /// [`Pattern::shape_alternatives`] gives them): the shape has decided the names and kinds
    /// on each such alternative's path, so where the steps with predicates are at a fixed
    /// distance from the node (`//*[not(*)]`, `a[p]/b/c[q]`, `/*/x/y[r] | /*/z/y[r]`) only the
    /// predicates are evaluated, each at its step's node; other alternatives are matched whole.
    pub fn matches_given_shape<'a>(
        &'a self,
        node: XNode<'a>,
        ctx: &mut DynamicContext<'a>,
        alts: u64,
    ) -> bool {
        let DynamicContext {
            variables, scratch, ..
        } = ctx;
        let mut ev = Ev::top(variables, scratch, self.functions.as_deref(), self.locals);
        self.alts.iter().enumerate().any(|(i, a)| {
            if alts & alternative_bit(i) == 0 {
                return false; // its shape does not match: neither does the node
            }
            let given = if i < 63 {
                preds_hold_given_shape(&mut ev, a, node)
            } else {
                None // bit 63 is shared: this alternative's own shape is not known
            };
            given.unwrap_or_else(|| match_path(&mut ev, a, node, Mode::Full))
        })
    }

    /// [`Pattern::matches`] for a tree node.
    pub fn matches_node<'a>(
        &'a self,
        node: crate::xml::Node<'a>,
        ctx: &mut DynamicContext<'a>,
    ) -> bool {
        self.matches(XNode::Node(node), ctx)
    }
}

/// Marks the name-only parts of boolean predicates for per-name caching.
fn wrap_path(p: &mut PPath) {
    for s in &mut p.steps {
        if let PStepKind::Group(alts) = &mut s.kind {
            for a in alts {
                wrap_path(a);
            }
        }
        for pr in &mut s.preds {
            if pr.kind == PredKind::Bool {
                let e = std::mem::replace(&mut pr.expr, Expr::Seq(Vec::new()));
                pr.expr = e.wrap_name_only();
            }
        }
    }
}

fn path_keys(p: &PPath, out: &mut Vec<MatchKey>) {
    let Some(last) = p.steps.last() else {
        out.push(MatchKey::Other);
        return;
    };
    match &last.kind {
        PStepKind::Group(alts) => {
            for a in alts {
                path_keys(a, out);
            }
        }
        PStepKind::Test(attr, test) => {
            let k = match (attr, test) {
                (false, NodeTest::Name(_, l, _, _)) => MatchKey::Element(l.to_string()),
                (false, NodeTest::LocalWildcard(l)) => MatchKey::Element(l.to_string()),
                (false, NodeTest::Any | NodeTest::NsWildcard(_)) => MatchKey::AnyElement,
                (false, NodeTest::Kind(KindTest::Element)) => MatchKey::AnyElement,
                (true, NodeTest::Name(_, l, _, _)) => MatchKey::Attribute(l.to_string()),
                (true, NodeTest::LocalWildcard(l)) => MatchKey::Attribute(l.to_string()),
                (true, _) => MatchKey::AnyAttribute,
                (false, NodeTest::Kind(KindTest::Attribute)) => MatchKey::AnyAttribute,
                (false, NodeTest::Kind(KindTest::AnyNode)) => {
                    out.push(MatchKey::AnyElement);
                    MatchKey::Other
                }
                (false, NodeTest::Kind(_)) => MatchKey::Other,
            };
            out.push(k);
        }
    }
}

/// Full matching, or matching of the shape only (see [`Pattern::matches_shape`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Full,
    Shape,
}

fn path_vars(p: &PPath, out: &mut Vec<usize>) {
    for s in &p.steps {
        if let PStepKind::Group(alts) = &s.kind {
            for a in alts {
                path_vars(a, out);
            }
        }
        for pr in &s.preds {
            super::collect_vars(&pr.expr, out);
        }
    }
}

fn path_shape_only(p: &PPath) -> bool {
    p.steps.iter().all(|s| {
        !s.positional
            && s.preds.iter().all(|p| shape_condition(&p.expr))
            && match &s.kind {
                PStepKind::Group(alts) => alts.iter().all(path_shape_only),
                PStepKind::Test(..) => true,
            }
    })
}

/// A boolean condition built from name-only parts (see [`Expr::wrap_name_only`]).
fn shape_condition(e: &Expr) -> bool {
    match e {
        Expr::NameOnly(..) => true,
        Expr::And(a, b) | Expr::Or(a, b) => shape_condition(a) && shape_condition(b),
        Expr::Call(Builtin::Not, args, _) => args.iter().all(shape_condition),
        _ => false,
    }
}

/// The value of a boolean predicate as far as the node's name decides it; `None` when other
/// parts could change it.
fn shape_value<'a>(ev: &mut Ev<'a, '_>, e: &'a Expr, focus: &Focus<'a>) -> Option<bool> {
    match e {
        Expr::NameOnly(..) => Some(ev.ebv(e, focus).unwrap_or(false)),
        Expr::And(a, b) => match (shape_value(ev, a, focus), shape_value(ev, b, focus)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Expr::Or(a, b) => match (shape_value(ev, a, focus), shape_value(ev, b, focus)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Expr::Call(Builtin::Not, args, _) if args.len() == 1 => args
            .first()
            .and_then(|a| shape_value(ev, a, focus))
            .map(|v| !v),
        _ => None,
    }
}

fn match_path<'a>(ev: &mut Ev<'a, '_>, p: &'a PPath, node: XNode<'a>, mode: Mode) -> bool {
    if p.steps.is_empty() {
        return matches!(node, XNode::Node(n) if n.kind() == NodeKind::Document);
    }
    match_at(ev, p, p.steps.len() - 1, node, mode)
}

/// The bit of alternative `i` in [`Pattern::shape_alternatives`].
fn alternative_bit(i: usize) -> u64 {
    1 << i.min(63)
}

/// Whether a path whose shape matches `node` matches it: the predicates of each step hold at
/// the node that step names. `None` when that node is not known from the shape alone: a
/// group or positional step, or predicates on a step before a `//`.
fn preds_hold_given_shape<'a>(ev: &mut Ev<'a, '_>, p: &'a PPath, node: XNode<'a>) -> Option<bool> {
    let mut fixed = true;
    for (j, s) in p.steps.iter().enumerate().rev() {
        let plain = matches!(s.kind, PStepKind::Test(..)) && !s.positional;
        if !plain || (!fixed && !s.preds.is_empty()) {
            return None;
        }
        fixed = fixed && (j == 0 || s.sep == Sep::Child);
    }
    let mut cur = node;
    for (j, s) in p.steps.iter().enumerate().rev() {
        if !s.preds.is_empty() && !preds_hold(ev, s, cur, true) {
            return Some(false);
        }
        if j == 0 || s.sep != Sep::Child {
            break; // the steps before have no predicates: the shape decided them
        }
        cur = cur.parent()?;
    }
    Some(true)
}

fn match_at<'a>(ev: &mut Ev<'a, '_>, p: &'a PPath, k: usize, node: XNode<'a>, mode: Mode) -> bool {
    let Some(step) = p.steps.get(k) else {
        return false;
    };
    if !step_matches(ev, step, node, mode) {
        return false;
    }
    match step.sep {
        Sep::None => true,
        Sep::Root => node
            .parent()
            .is_some_and(|q| matches!(q, XNode::Node(n) if n.kind() == NodeKind::Document)),
        Sep::Any => node.parent().is_some(),
        Sep::Child => match (node.parent(), k.checked_sub(1)) {
            (Some(q), Some(j)) => match_at(ev, p, j, q, mode),
            _ => false,
        },
        Sep::Desc => {
            let Some(j) = k.checked_sub(1) else {
                return false;
            };
            let mut cur = node.parent();
            while let Some(q) = cur {
                if match_at(ev, p, j, q, mode) {
                    return true;
                }
                cur = q.parent();
            }
            false
        }
    }
}

fn step_matches<'a>(ev: &mut Ev<'a, '_>, step: &'a PStep, node: XNode<'a>, mode: Mode) -> bool {
    match &step.kind {
        PStepKind::Group(alts) => {
            if !alts.iter().any(|a| match_path(ev, a, node, mode)) {
                return false;
            }
        }
        PStepKind::Test(attr, test) => {
            let kind_ok = match node {
                XNode::Attr(_) => *attr,
                XNode::Node(n) => {
                    !*attr && n.kind() != NodeKind::Document && !XNode::is_text_continuation(&n)
                }
            };
            if !kind_ok || !test_matches(test, node, *attr) {
                return false;
            }
            if step.positional && mode == Mode::Shape {
                return true;
            }
            if step.positional {
                // evaluate the predicates over the node's siblings on the step's axis
                let Some(parent) = node.parent() else {
                    return false;
                };
                let axis = if *attr { Axis::Attribute } else { Axis::Child };
                let mut cands = Vec::new();
                visit_axis(axis, parent, |n| {
                    if test_matches(test, n, *attr) {
                        cands.push(n);
                    }
                    true
                });
                for p in &step.preds {
                    if ev.filter_nodes(p, &mut cands).is_err() {
                        return false;
                    }
                }
                return cands.contains(&node);
            }
        }
    }
    if mode == Mode::Shape {
        let focus = Focus::node(node, 1, 1);
        return step
            .preds
            .iter()
            .all(|p| shape_value(ev, &p.expr, &focus).unwrap_or(true));
    }
    preds_hold(ev, step, node, false)
}

/// The (non-positional) predicates of a step hold for `node` (whose shape is known to match
/// the step's path when `given_shape`).
fn preds_hold<'a>(
    ev: &mut Ev<'a, '_>,
    step: &'a PStep,
    node: XNode<'a>,
    given_shape: bool,
) -> bool {
    let focus = Focus::node(node, 1, 1);
    let plans = if super::plans_enabled() && !step.preds.is_empty() {
        step.plans.get(|| {
            (step.preds.iter())
                .map(|p| match p.kind {
                    PredKind::Bool => (plan::compile(&p.expr), plan::compile_given_shape(&p.expr)),
                    _ => (None, None),
                })
                .collect()
        })
    } else {
        None
    };
    step.preds.iter().enumerate().all(|(i, p)| {
        if p.kind == PredKind::Bool {
            let planned = plans.and_then(|ps| {
                let (any, given) = ps.get(i)?;
                if given_shape { given } else { any }.as_ref()
            });
            if let Some(b) = planned.and_then(|t| ev.plan_test(t, node)) {
                return b;
            }
            ev.ebv(&p.expr, &focus).unwrap_or(false)
        } else {
            let mut one = vec![node];
            ev.filter_nodes(p, &mut one).is_ok() && !one.is_empty()
        }
    })
}
