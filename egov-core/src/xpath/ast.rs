//! The compiled form of an expression.

use rust_decimal::Decimal;

use super::functions::Builtin;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use super::regex::RegexCache;
use super::value::{ArithOp, AtomicType, CmpOp};
use crate::hash::Fnv;

/// Axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    Attribute,
    Self_,
    Parent,
    Ancestor,
    AncestorOrSelf,
    FollowingSibling,
    PrecedingSibling,
    Following,
    Preceding,
    /// Internal: `descendant-or-self::node()/attribute::x` (what `//@x` means).
    DescendantOrSelfAttribute,
}

impl Axis {
    pub(crate) fn from_name(name: &str) -> Option<Axis> {
        Some(match name {
            "child" => Axis::Child,
            "descendant" => Axis::Descendant,
            "descendant-or-self" => Axis::DescendantOrSelf,
            "attribute" => Axis::Attribute,
            "self" => Axis::Self_,
            "parent" => Axis::Parent,
            "ancestor" => Axis::Ancestor,
            "ancestor-or-self" => Axis::AncestorOrSelf,
            "following-sibling" => Axis::FollowingSibling,
            "preceding-sibling" => Axis::PrecedingSibling,
            "following" => Axis::Following,
            "preceding" => Axis::Preceding,
            _ => return None,
        })
    }

    /// True when the principal node kind is attribute.
    pub(crate) fn is_attribute(self) -> bool {
        matches!(self, Axis::Attribute | Axis::DescendantOrSelfAttribute)
    }

    /// Reverse axes number their positions from the context node backwards.
    pub(crate) fn is_reverse(self) -> bool {
        matches!(
            self,
            Axis::Parent
                | Axis::Ancestor
                | Axis::AncestorOrSelf
                | Axis::PrecedingSibling
                | Axis::Preceding
        )
    }
}

/// Kind tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KindTest {
    AnyNode,
    Text,
    Comment,
    Pi(Option<Box<str>>),
    Element,
    Attribute,
    Document,
}

/// Node tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NodeTest {
    /// Expanded name (namespace URI, local name, interned ids of the local name and of the
    /// namespace URI).
    Name(std::sync::Arc<str>, std::sync::Arc<str>, u32, u32),
    /// `p:*`
    NsWildcard(Box<str>),
    /// `*:local`
    LocalWildcard(Box<str>),
    /// `*`
    Any,
    Kind(KindTest),
}

/// Literals.
#[derive(Debug, Clone)]
pub(crate) enum Literal {
    String(std::sync::Arc<str>),
    Integer(i64),
    Decimal(Decimal),
    Double(f64),
    /// A numeric literal beyond the fast types (kept as text, converted when evaluated).
    BigNumber(Box<str>, bool),
}

/// Variable references, resolved at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarRef {
    /// A variable of the dynamic context (declared in the static context).
    External(usize),
    /// A range/function variable: slot in the current frame.
    Local(usize),
}

/// How a predicate uses the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PredKind {
    /// `[n]` with an integer literal.
    Index(usize),
    /// Never numeric and independent of position/last: a plain boolean filter.
    Bool,
    /// Anything else: evaluated with position and size; numeric results select by position.
    General,
}

#[derive(Debug)]
pub(crate) struct Pred {
    pub expr: Expr,
    pub kind: PredKind,
}

#[derive(Debug)]
pub(crate) enum StepKind {
    Axis(Axis, NodeTest),
    /// A filter expression used as a step (`…/substring(x, 1, 2)`, `…/xs:decimal(.)`, `…/.`).
    Expr(Expr),
}

#[derive(Debug)]
pub(crate) struct Step {
    pub kind: StepKind,
    pub preds: Vec<Pred>,
}

#[derive(Debug)]
pub(crate) enum PathStart {
    /// `/…`: the root of the context node's tree.
    Root,
    /// A relative path: the context item.
    Context,
    /// A primary expression (`$x/…`, `(a|b)/…`).
    Expr(Box<Expr>),
}

#[derive(Debug)]
pub(crate) struct PathExpr {
    pub start: PathStart,
    pub steps: Box<[Step]>,
    /// Element name tests (local name, interned id) that, when absent from the document, make
    /// the path empty without evaluating it (only steps not preceded by predicates or expression
    /// steps, whose evaluation could raise an error), last step first.
    pub required: Box<[(std::sync::Arc<str>, u32)]>,
    /// Starts at the context item or root and has only name-test axis steps without predicates,
    /// possibly followed by one expression step (evaluated node by node when a single item is
    /// wanted).
    pub simple: bool,
    /// For absolute paths without variables or user functions: an interned id (of the path's
    /// text and namespace bindings) under which the value is memoized per document.
    pub memo: Option<u32>,
    /// For the same paths: interned ids of their step prefixes (`prefix[k]` = steps `..=k`),
    /// whose node sets are memoized too.
    pub prefix_memo: Box<[u32]>,
    /// Only axis steps without predicates: existence is a depth-first search.
    pub exists_simple: bool,
}

impl PathExpr {
    pub(crate) fn new(start: PathStart, steps: Vec<Step>) -> Self {
        let required = required_names(&steps);
        let n = steps.len();
        let simple = matches!(start, PathStart::Context | PathStart::Root)
            && n > 0
            && steps.iter().enumerate().all(|(i, s)| {
                s.preds.is_empty()
                    && match &s.kind {
                        StepKind::Axis(
                            Axis::Child | Axis::Attribute | Axis::Parent | Axis::Self_,
                            NodeTest::Name(..),
                        ) => true,
                        // a last step like `…/normalize-space(x)`
                        StepKind::Expr(_) => i + 1 == n && i > 0,
                        _ => false,
                    }
            });
        let mut p = PathExpr {
            start,
            steps: steps.into_boxed_slice(),
            required,
            simple,
            memo: None,
            prefix_memo: Box::default(),
            exists_simple: false,
        };
        p.exists_simple = matches!(p.start, PathStart::Context | PathStart::Root)
            && !p.steps.is_empty()
            && p.steps
                .iter()
                .all(|s| s.preds.is_empty() && matches!(s.kind, StepKind::Axis(..)))
            && few_routes(p.steps.iter().map(|s| match &s.kind {
                StepKind::Axis(a, _) => Some(*a),
                _ => None,
            }));
        p
    }
}

/// True when a depth-first search for a path's first node reaches each node by few routes:
/// after the leading `..` and `.` steps (one node each), at most two steps on axes other than
/// child, attribute and self (`//x`, `a//b`, `../x//y`). Every further such step (`..//..//…`,
/// `following-sibling::*` again and again) multiplies the routes; those paths are evaluated
/// step by step, each node once per step. `axes`: the steps' axes (None: not an axis step).
pub(crate) fn few_routes(axes: impl IntoIterator<Item = Option<Axis>>) -> bool {
    let mut lead = true;
    let mut multi = 0;
    for a in axes {
        lead = lead && matches!(a, Some(Axis::Parent | Axis::Self_));
        if !lead && !matches!(a, Some(Axis::Child | Axis::Attribute | Axis::Self_)) {
            multi += 1;
        }
    }
    multi <= 2
}

/// The leading steps of a path, whose name tests it cannot do without: up to the first
/// expression step, through the first with predicates (no step before them can raise an
/// error).
pub(crate) fn leading_steps(steps: &[Step]) -> &[Step] {
    let end = (steps.iter())
        .position(|s| matches!(s.kind, StepKind::Expr(_)))
        .unwrap_or(steps.len());
    let end = (steps.iter().take(end))
        .position(|s| !s.preds.is_empty())
        .map_or(end, |p| p + 1);
    steps.get(..end).unwrap_or(steps)
}

/// The element name tests a path cannot do without (see [`PathExpr::required`]), last step
/// first, each once; allocated at its exact size (decoding a rule set makes thousands).
fn required_names(steps: &[Step]) -> Box<[(std::sync::Arc<str>, u32)]> {
    let leading = leading_steps(steps);
    let names = || {
        leading.iter().filter_map(|s| match &s.kind {
            StepKind::Axis(axis, NodeTest::Name(_, local, id, _)) if !axis.is_attribute() => {
                Some((local, *id))
            }
            _ => None,
        })
    };
    let first = |i: usize, id: u32| !names().take(i).any(|(_, j)| j == id);
    let distinct = || {
        (names().enumerate())
            .filter(move |(i, (_, id))| first(*i, *id))
            .map(|(_, name)| name)
    };
    let mut out = Vec::with_capacity(distinct().count());
    out.extend(distinct().map(|(local, id)| (local.clone(), id)));
    out.reverse();
    out.into_boxed_slice()
}

/// Occurrence indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Occurrence {
    One,
    Optional,
    Star,
    Plus,
}

/// Item types of sequence types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ItemType {
    AnyItem,
    Node(KindTest),
    Atomic(AtomicType),
}

/// `SequenceType` (`xs:decimal`, `xs:string?`, `item()*`, `node()`, `empty-sequence()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SequenceType {
    pub item: ItemType,
    pub occurrence: Occurrence,
    pub empty: bool,
}

#[derive(Debug)]
pub(crate) enum Expr {
    Literal(Literal),
    ContextItem,
    /// `/` alone.
    Root,
    Var(VarRef),
    Path(Box<PathExpr>),
    Filter(Box<Expr>, Vec<Pred>),
    /// `(a, b, …)`; empty = `()`.
    Seq(Vec<Expr>),
    Range(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    GeneralCmp(CmpOp, Box<Expr>, Box<Expr>),
    ValueCmp(CmpOp, Box<Expr>, Box<Expr>),
    /// `is`, `<<`, `>>`
    NodeCmp(NodeCmpOp, Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    UnaryPlus(Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Quantified {
        every: bool,
        bindings: Vec<(usize, Expr)>,
        cond: Box<Expr>,
    },
    For {
        bindings: Vec<(usize, Expr)>,
        ret: Box<Expr>,
    },
    Union(Box<Expr>, Box<Expr>),
    Intersect(Box<Expr>, Box<Expr>),
    Except(Box<Expr>, Box<Expr>),
    Call(Builtin, Vec<Expr>, Option<Box<CallExtra>>),
    UserCall(usize, Vec<Expr>),
    Cast(Box<Expr>, AtomicType, bool),
    Castable(Box<Expr>, AtomicType, bool),
    InstanceOf(Box<Expr>, SequenceType),
    Treat(Box<Expr>, SequenceType),
    /// A boolean condition on the context node's name only (`ends-with(name(), 'Amount')`):
    /// its value is cached per element name and document (id from a process-wide counter).
    NameOnly(Box<Expr>, u32),
    /// A subexpression that occurs more than once in one compiled expression (the same id for
    /// all occurrences): its value is reused while the context node, the variable bindings
    /// and the frame are the same (see `Ev::memo_lookup`).
    Memo(Box<Expr>, u32),
}

/// Precompiled parts of a function call.
/// The tokens of a code-list literal (`' AA AB … '`). The first lookups search the text; a
/// list that keeps being consulted gets a hash set. (Most code lists of a rule set are
/// consulted a few times by a given process, or not at all; building all their sets up front
/// cost a fresh process more than its whole first validation's lookups.)
#[derive(Debug)]
pub(crate) struct CodeListTokens {
    /// The literal (`' AA AB … '`, shared with the expression); the tokens are inside the
    /// first and last space.
    list: std::sync::Arc<str>,
    lookups: std::sync::atomic::AtomicU32,
    set: std::sync::OnceLock<HashSet<Box<str>, BuildHasherDefault<Fnv>>>,
}

/// Lookups by searching the text before a code list gets its set.
const CODE_LIST_SCANS: u32 = 24;

impl CodeListTokens {
    /// The tokens of `list`: one space, tokens separated by single spaces, one space.
    pub(crate) fn new(list: std::sync::Arc<str>) -> Self {
        CodeListTokens {
            list,
            lookups: std::sync::atomic::AtomicU32::new(0),
            set: std::sync::OnceLock::new(),
        }
    }

    /// True when `token` (which has no spaces) is one of them.
    pub(crate) fn contains(&self, token: &str) -> bool {
        if let Some(set) = self.set.get() {
            return set.contains(token);
        }
        let n = self
            .lookups
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n < CODE_LIST_SCANS {
            return self.scan(token);
        }
        self.set
            .get_or_init(|| self.inner().split(' ').map(Box::from).collect())
            .contains(token)
    }

    /// The tokens separated by single spaces.
    fn inner(&self) -> &str {
        let l = &*self.list;
        l.strip_prefix(' ')
            .and_then(|l| l.strip_suffix(' '))
            .unwrap_or(l)
    }

    /// `token` occurs in the text between spaces (or the ends).
    fn scan(&self, token: &str) -> bool {
        if token.is_empty() {
            return false;
        }
        let text = self.inner().as_bytes();
        memchr::memmem::find_iter(text, token.as_bytes()).any(|at| {
            let before = at.checked_sub(1).and_then(|i| text.get(i));
            let after = text.get(at + token.len());
            before.is_none_or(|b| *b == b' ') && after.is_none_or(|b| *b == b' ')
        })
    }
}

/// A process-wide fresh id for [`Expr::Memo`].
pub(crate) fn fresh_memo_id() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A process-wide fresh id for [`Expr::NameOnly`].
pub(crate) fn fresh_name_only_id() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[derive(Debug, Default)]
pub(crate) struct CallExtra {
    /// Compiled regular expressions (`matches`, `replace`, `tokenize`).
    pub regex: std::sync::Arc<RegexCache>,
    /// For `contains(' a b c ', concat(' ', x, ' '))` (a code list written as one string): the
    /// tokens of the literal, so that membership is a set lookup.
    pub tokens: Option<std::sync::Arc<CodeListTokens>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeCmpOp {
    Is,
    Precedes,
    Follows,
}

/// Functions whose zero-argument form reads the focus.
fn focus_function(b: Builtin, nargs: usize) -> bool {
    matches!(b, Builtin::Position | Builtin::Last | Builtin::Error)
        || (nargs == 0
            && matches!(
                b,
                Builtin::String
                    | Builtin::StringLength
                    | Builtin::NormalizeSpace
                    | Builtin::Number
                    | Builtin::Root
            ))
}

/// The body of [`Expr::children`] and [`Expr::children_mut`] (`$($m)?` is `mut` or nothing).
macro_rules! visit_children {
    ($e:expr, $f:expr, $iter:ident, $($m:tt)?) => {
        match $e {
            Expr::Literal(_) | Expr::ContextItem | Expr::Root | Expr::Var(_) => {}
            Expr::Path(p) => {
                if let PathStart::Expr(e) = & $($m)? p.start {
                    $f(e);
                }
                for s in & $($m)? p.steps {
                    if let StepKind::Expr(e) = & $($m)? s.kind {
                        $f(e);
                    }
                    for pr in & $($m)? s.preds {
                        $f(& $($m)? pr.expr);
                    }
                }
            }
            Expr::Filter(e, preds) => {
                $f(e);
                for p in preds {
                    $f(& $($m)? p.expr);
                }
            }
            Expr::Seq(v) | Expr::Call(_, v, _) | Expr::UserCall(_, v) => v.$iter().for_each($f),
            Expr::Range(a, b)
            | Expr::Or(a, b)
            | Expr::And(a, b)
            | Expr::GeneralCmp(_, a, b)
            | Expr::ValueCmp(_, a, b)
            | Expr::NodeCmp(_, a, b)
            | Expr::Arith(_, a, b)
            | Expr::Union(a, b)
            | Expr::Intersect(a, b)
            | Expr::Except(a, b) => {
                $f(a);
                $f(b);
            }
            Expr::Neg(a)
            | Expr::UnaryPlus(a)
            | Expr::Cast(a, _, _)
            | Expr::Castable(a, _, _)
            | Expr::InstanceOf(a, _)
            | Expr::Treat(a, _)
            | Expr::NameOnly(a, _)
            | Expr::Memo(a, _) => $f(a),
            Expr::If(a, b, c) => {
                $f(a);
                $f(b);
                $f(c);
            }
            Expr::Quantified { bindings, cond, .. } => {
                for (_, e) in bindings {
                    $f(e);
                }
                $f(cond);
            }
            Expr::For { bindings, ret } => {
                for (_, e) in bindings {
                    $f(e);
                }
                $f(ret);
            }
        }
    };
}

impl Expr {
    /// True when the value depends on nothing but the context node's name (and literals).
    pub(crate) fn name_only(&self) -> bool {
        match self {
            Expr::Literal(_) => true,
            Expr::Call(Builtin::Name | Builtin::LocalName | Builtin::NamespaceUri, args, _) => {
                args.is_empty()
            }
            Expr::Call(b, args, _) => {
                !focus_function(*b, args.len()) && args.iter().all(Expr::name_only)
            }
            Expr::And(a, b)
            | Expr::Or(a, b)
            | Expr::GeneralCmp(_, a, b)
            | Expr::ValueCmp(_, a, b)
            | Expr::Arith(_, a, b) => a.name_only() && b.name_only(),
            Expr::Neg(a) | Expr::UnaryPlus(a) => a.name_only(),
            Expr::If(a, b, c) => a.name_only() && b.name_only() && c.name_only(),
            _ => false,
        }
    }

    /// True when `name()`, `local-name()` or `namespace-uri()` of the context is read.
    pub(crate) fn reads_name(&self) -> bool {
        if let Expr::Call(Builtin::Name | Builtin::LocalName | Builtin::NamespaceUri, args, _) =
            self
        {
            if args.is_empty() {
                return true;
            }
        }
        let mut found = false;
        self.children(&mut |c| {
            if !found && c.reads_name() {
                found = true;
            }
        });
        found
    }

    /// The expression inside reuse wrappers ([`Expr::Memo`], [`Expr::NameOnly`]).
    pub(crate) fn unwrapped(&self) -> &Expr {
        match self {
            Expr::Memo(inner, _) | Expr::NameOnly(inner, _) => inner.unwrapped(),
            other => other,
        }
    }

    /// Wraps the name-only conjuncts/disjuncts of a boolean condition in [`Expr::NameOnly`].
    pub(crate) fn wrap_name_only(self) -> Expr {
        if self.name_only() && self.reads_name() {
            return Expr::NameOnly(Box::new(self), fresh_name_only_id());
        }
        match self {
            Expr::And(a, b) => {
                Expr::And(Box::new(a.wrap_name_only()), Box::new(b.wrap_name_only()))
            }
            Expr::Or(a, b) => Expr::Or(Box::new(a.wrap_name_only()), Box::new(b.wrap_name_only())),
            Expr::Call(Builtin::Not, mut args, x) if args.len() == 1 => {
                let a = args.pop().map(Expr::wrap_name_only);
                Expr::Call(Builtin::Not, a.into_iter().collect(), x)
            }
            other => other,
        }
    }

    /// True when a user-defined function is called anywhere inside.
    pub(crate) fn calls_user_function(&self) -> bool {
        if matches!(self, Expr::UserCall(..)) {
            return true;
        }
        let mut found = false;
        self.children(&mut |c| {
            if !found && c.calls_user_function() {
                found = true;
            }
        });
        found
    }

    /// Visits direct sub-expressions.
    pub(crate) fn children(&self, f: &mut dyn FnMut(&Expr)) {
        visit_children!(self, f, iter,)
    }

    /// Visits direct sub-expressions mutably (the same ones as [`Expr::children`]).
    pub(crate) fn children_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        visit_children!(self, f, iter_mut, mut)
    }

    /// True when the expression (outside nested focus changes it cannot see) calls
    /// `position()` or `last()` — conservatively, anywhere inside.
    pub(crate) fn uses_position(&self) -> bool {
        if let Expr::Call(b, _, _) = self {
            if matches!(b, Builtin::Position | Builtin::Last) {
                return true;
            }
        }
        let mut found = false;
        self.children(&mut |c| {
            if !found && c.uses_position() {
                found = true;
            }
        });
        found
    }

    /// True when the value is always one `xs:boolean` (comparisons, connectives,
    /// quantifiers, the boolean functions; `if` with two such branches).
    pub(crate) fn is_boolean(&self) -> bool {
        match self {
            // (value and node comparisons of an empty operand are empty)
            Expr::GeneralCmp(..)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Quantified { .. }
            | Expr::Castable(..)
            | Expr::InstanceOf(..) => true,
            Expr::Call(b, _, _) => matches!(
                b,
                Builtin::Not
                    | Builtin::True
                    | Builtin::False
                    | Builtin::Boolean
                    | Builtin::Exists
                    | Builtin::Empty
                    | Builtin::Contains
                    | Builtin::StartsWith
                    | Builtin::EndsWith
                    | Builtin::Matches
            ),
            Expr::If(_, t, e) => t.is_boolean() && e.is_boolean(),
            Expr::Memo(a, _) => a.is_boolean(),
            _ => false,
        }
    }

    /// True when the value can never be numeric (so a predicate is a plain boolean filter).
    pub(crate) fn never_numeric(&self) -> bool {
        match self {
            Expr::GeneralCmp(..)
            | Expr::ValueCmp(..)
            | Expr::NodeCmp(..)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Quantified { .. }
            | Expr::Castable(..)
            | Expr::InstanceOf(..)
            | Expr::Union(..)
            | Expr::Intersect(..)
            | Expr::Except(..)
            | Expr::Root => true,
            Expr::Literal(Literal::String(_)) => true,
            // nodes, or the values of a last step that is never numeric (`a/(b = 'c')`)
            Expr::Path(p) => p.steps.last().is_some_and(|s| match &s.kind {
                StepKind::Axis(..) => true,
                StepKind::Expr(e) => e.never_numeric(),
            }),
            Expr::Call(b, _, _) => b.returns_non_numeric(),
            Expr::If(_, t, e) => t.never_numeric() && e.never_numeric(),
            Expr::Memo(a, _) => a.never_numeric(),
            _ => false,
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn code_list_lookups_agree_before_and_after_the_set_is_built() {
        let list = CodeListTokens::new(" AA AB B 0088 9930 ZZZ ".into());
        let probes = [
            "AA", "AB", "B", "0088", "9930", "ZZZ", "A", "BB", "AAB", "A AB", "", "088", "ZZ",
            "9930 ", "ZZZZ",
        ];
        let expected: Vec<bool> = probes
            .iter()
            .map(|p| !p.is_empty() && "AA AB B 0088 9930 ZZZ".split(' ').any(|t| t == *p))
            .collect();
        // enough rounds to cross from searching the text to the set
        for _ in 0..=CODE_LIST_SCANS as usize / probes.len() + 1 {
            let got: Vec<bool> = probes.iter().map(|p| list.contains(p)).collect();
            assert_eq!(got, expected);
        }
        assert!(list.set.get().is_some());
    }

    #[test]
    fn required_names_are_the_leading_name_tests_last_first_once_each() {
        let ctx = crate::xpath::StaticContext::new();
        let cases = [
            ("a/b/a/c", &["c", "b", "a"][..]),
            ("a/@x/b[1]/c", &["b", "a"][..]),
            ("a/b/normalize-space(.)/c", &["b", "a"][..]),
            ("//a/*/b", &["b", "a"][..]),
            ("@x", &[][..]),
        ];
        for (src, want) in cases {
            let x = crate::xpath::XPath::compile(src, &ctx).unwrap();
            let Ok(Expr::Path(p)) = x.expr() else {
                panic!("{src}: not a path");
            };
            let got: Vec<&str> = p.required.iter().map(|(l, _)| &**l).collect();
            assert_eq!(got, want, "{src}");
            assert_eq!(p.required.len(), want.len());
        }
    }
}
