//! Plans: a flat, typed form of the boolean tests most schematron assertions are made of
//! (connectives, existence of paths, counts, string functions of single nodes, comparisons
//! with literals, code lists), evaluated without the tree walker's items, focus and error
//! values.
//!
//! A plan is an *accelerator*, not a second semantics: it answers only when it can answer
//! exactly as the tree walker would, and gives up (`None`) on anything else — an argument that
//! selects several nodes (an `XPTY0004` for the walker), a context item that is not a node, a
//! value it does not handle. The whole expression is then evaluated by the walker, which
//! raises the error or computes the value. Evaluation has no side effects beyond caches, so
//! giving up half-way changes nothing. Expressions outside the shapes below get no plan.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use super::ast::{Axis, CodeListTokens, Expr, Literal, NodeTest, PathExpr, PathStart, PredKind};
use super::ast::{CallExtra, KindTest, VarRef};
use super::ast::{Step, StepKind};
use super::eval::{
    apply_string_fn, contains_str, ends_with, replace, sort_dedup, starts_with, substring_of,
    substring_part, Ev,
};
use super::functions::{self, Builtin};
use super::regex::RegexCache;
use super::value::{arith, cast, cmp_str, general_compare, negate, round, Rounding};
use super::value::{ArithOp, AtomicType, CmpOp, Item, Str, XNode};

/// A plan made at the second use of what it is for: expressions used once (most of a fresh
/// process's first validation) do not pay for making it.
#[derive(Debug, Default)]
pub(crate) struct LazyPlan<T> {
    used: AtomicBool,
    plan: OnceLock<T>,
}

impl<T> LazyPlan<T> {
    /// The plan, made by `make` now if this is the second use or later; `None` at the first.
    #[inline]
    pub(crate) fn get(&self, make: impl FnOnce() -> T) -> Option<&T> {
        if let Some(p) = self.plan.get() {
            return Some(p);
        }
        if !self.used.load(Ordering::Relaxed) {
            self.used.store(true, Ordering::Relaxed);
            return None;
        }
        Some(self.plan.get_or_init(make))
    }
}

/// Nesting beyond this gets no plan (the compiler recurses over the tree).
const MAX_DEPTH: u32 = 64;

/// A boolean-valued plan (an effective boolean value).
#[derive(Debug)]
pub(crate) enum Test {
    Const(bool),
    And(Box<Test>, Box<Test>),
    Or(Box<Test>, Box<Test>),
    Not(Box<Test>),
    /// `exists(p)`, `empty(p)` negated, `p` or `boolean(p)` as a test: the path selects a node.
    Exists(Path),
    /// `normalize-space(s)` as a test, `normalize-space(s) != ''`: `s` has a non-space.
    HasContent(Text),
    /// A general comparison of the string values of a path's nodes with string literals (the
    /// path's value on the left; `('a', 'b') = x` is stored as `x = ('a', 'b')`).
    NodesCmp(Path, CmpOp, Box<[Arc<str>]>),
    /// A general comparison of one computed string with string literals.
    TextCmp(Text, CmpOp, Box<[Arc<str>]>),
    /// `count(p)` or `string-length(s)` compared with an integer literal.
    IntCmp(Int, CmpOp, i64),
    /// A general comparison of the values of a path's nodes (untyped: compared as numbers)
    /// with a numeric literal (on the left when `true`), node by node in document order as the
    /// walker does: the first true pair answers, a value that is no number is an error.
    NumCmp(Path, CmpOp, NumLit, bool),
    Contains(Text, Text),
    StartsWith(Text, Text),
    EndsWith(Text, Text),
    /// `contains(' A B C ', concat(' ', x, ' '))`: `x` is one of the tokens.
    CodeList(Text, Arc<CodeListTokens>, Arc<str>),
    /// `not(contains(x, ' ')) and contains(' A B C ', concat(' ', x, ' '))` (the code list rules
    /// of EN 16931: `x` is `normalize-space(@currencyID)` and the like): `x` computed once.
    OneCode(Text, Arc<CodeListTokens>, Arc<str>),
    /// `not(*) and not(normalize-space())` (an empty element: PEPPOL-EN16931-R008 asks it of
    /// every element): one pass over an element's children; the test itself for other nodes.
    EmptyElement(Box<Test>),
    /// `matches(s, 'pattern')` (and literal flags).
    Matches(Text, Box<LiteralRegex>),
    /// `p/t` as a test, `t` a test evaluated at each node of `p`: the effective boolean value
    /// of the booleans (none: false; several: an error, so give up).
    Mapped(Path, Box<Test>),
    /// `p/s = ('a', …)`: the strings `s` makes at each node of `p` compared with literals (all
    /// of them made first, as the walker does: one may raise an error).
    MappedCmp(Path, Text, CmpOp, Box<[Arc<str>]>),
    /// A general comparison of two numbers (`round(x * 100) div 100 = xs:decimal(y)`): false
    /// when either is empty (the right one is then not computed, as by the walker).
    NumCompare(Num, CmpOp, Num),
    /// `exists(n)` of a number (`exists(a/xs:decimal(b))`).
    NumExists(Num),
    /// `some`/`every` (`true`) `$v in d satisfies t` of one variable (its slot).
    Quantified(bool, usize, Box<Domain>, Box<Test>),
    /// A call of a user-defined function (by index) with one value per argument
    /// (`u:slack($exp, $val, $slack)`), when the function has a test plan (see
    /// [`UserFunction::test_plan`](super::xslt::UserFunction::test_plan)).
    UserCall(usize, Box<[Num]>),
}

/// What a quantifier's variable ranges over.
#[derive(Debug)]
pub(crate) enum Domain {
    /// The nodes of a path, in document order.
    Nodes(Path),
    /// An atomic number or none (`every $rate in xs:decimal(cbc:Percent) …`).
    Num(Num),
}

/// A numeric plan: zero or one atomic value computed with the walker's own operations (casts,
/// arithmetic, rounding, sums) in the walker's order. It gives up where the walker would see
/// several items or raise an error: the walker then evaluates the whole test.
#[derive(Debug)]
pub(crate) enum Num {
    Lit(NumLit),
    /// `true()` or `false()` (compared with a node: `cbc:ChargeIndicator = true()`).
    Bool(bool),
    /// The atomized value of the context node (`.`).
    Context,
    /// The atomized value of the one node a path selects (none: empty).
    Value(Path),
    /// `p/n`: `n` at the one node `p` selects (none: empty).
    Mapped(Path, Box<Num>),
    /// A constructor function (`xs:decimal(x)`, `xs:integer(x)`, `xs:double(x)`).
    Construct(AtomicType, Box<Num>),
    /// `a op b` (empty when `a` is, then `b` is not computed).
    Arith(ArithOp, Box<Num>, Box<Num>),
    /// `-a`.
    Neg(Box<Num>),
    /// `round`, `floor`, `ceiling`, `abs` and one-argument `round-half-to-even`.
    Round(Builtin, Box<Num>),
    /// `sum(p)` or `sum(p/n)` (`p`'s nodes in document order): 0 for none.
    Sum(Path, Option<Box<Num>>),
    /// A subexpression the walker memoizes (see `Expr::Memo`): its value is shared with the
    /// walker's memo, so a repeated one is computed once by either.
    Memo(u32, Box<Num>),
    /// `if (c) then a else b`.
    If(Box<Test>, Box<Num>, Box<Num>),
    /// A variable (its value atomized; several items: ask the walker).
    Var(VarRef),
    /// An expression of one string (`xs:integer(string-join(…))`): that `xs:string`.
    Text(Box<Text>),
    /// `count(…)` or `string-length(…)` as a number (`count(x) = (if (c) then 1 else 0)`).
    Int(Box<Int>),
}

impl Num {
    /// True when the value is atomic as the walker computes it (not a node that the plan
    /// atomizes): then the plan's value is the expression's value.
    fn is_atomic(&self) -> bool {
        match self {
            Num::Context | Num::Value(_) | Num::Var(_) => false,
            Num::Mapped(_, e) | Num::Memo(_, e) => e.is_atomic(),
            Num::If(_, a, b) => a.is_atomic() && b.is_atomic(),
            Num::Lit(_)
            | Num::Bool(_)
            | Num::Construct(..)
            | Num::Arith(..)
            | Num::Neg(_)
            | Num::Round(..)
            | Num::Sum(..)
            | Num::Text(_)
            | Num::Int(_) => true,
        }
    }
}

/// The plan of an expression's value, when that is zero or one number computed as a [`Num`]
/// (`if (cbc:Amount) then xs:decimal(cbc:Amount) else 0`, the rule variables of the amount
/// checks).
pub(crate) fn compile_value(e: &Expr) -> Option<Box<Num>> {
    let n = num(e, 0)?;
    n.is_atomic().then(|| Box::new(n))
}

/// The literal pattern and flags of a `matches` call, compiled when first used (by the
/// walker or the plan: they share the call's cache).
#[derive(Debug)]
pub(crate) struct LiteralRegex {
    cache: Arc<RegexCache>,
    pattern: Arc<str>,
    flags: Arc<str>,
    /// The compiled pattern and whether it matches the empty string.
    regex: OnceLock<Option<(Arc<regex::Regex>, bool)>>,
}

impl LiteralRegex {
    /// The literal pattern and flags of a regular-expression call (`matches`, `replace`)
    /// whose pattern is argument 1 and flags argument `flags_at`, if literal.
    fn of(args: &[Expr], flags_at: usize, extra: Option<&CallExtra>) -> Option<Box<LiteralRegex>> {
        let Some(Expr::Literal(Literal::String(pattern))) = args.get(1) else {
            return None;
        };
        let flags: Arc<str> = match args.get(flags_at) {
            Some(Expr::Literal(Literal::String(f))) => f.clone(),
            None => Arc::from(""),
            Some(_) => return None,
        };
        Some(Box::new(LiteralRegex {
            cache: extra?.regex.clone(),
            pattern: pattern.clone(),
            flags,
            regex: OnceLock::new(),
        }))
    }

    /// The compiled pattern and whether it matches the empty string (`None`: invalid; the
    /// walker raises the error).
    fn get(&self) -> Option<&(Arc<regex::Regex>, bool)> {
        self.regex
            .get_or_init(|| {
                (self.cache)
                    .get_with_empty(&self.pattern, &self.flags, true)
                    .ok()
            })
            .as_ref()
    }
}

/// A string-valued plan (`xs:string?` arguments: the empty sequence is "").
#[derive(Debug)]
pub(crate) enum Text {
    Lit(Arc<str>),
    /// The string value of the context node (`.`, `string()`, the zero-argument forms).
    Context,
    /// `name()` or `local-name()` (`true`) of the context node.
    Name(bool),
    /// The string value of the one node a path selects ("" for none; several: give up).
    Value(Path),
    /// `normalize-space`, `upper-case` or `lower-case`.
    Apply(Builtin, Box<Text>),
    /// `substring-before` or `substring-after`.
    Part(Builtin, Box<Text>, Box<Text>),
    Concat(Box<[Text]>),
    /// `string(x)` of what a [`Num`] computes (a number, a variable): its string value, ""
    /// for none.
    OfNum(Box<Num>),
    /// `substring(s, start)` or `substring(s, start, length)` with numeric literals.
    Substring(Box<Text>, f64, Option<f64>),
    /// `replace(s, 'pattern', 'replacement')` (literal flags, if any).
    Replace(Box<Text>, Box<LiteralRegex>, Arc<str>),
    /// `string-join(for $v in string-to-codepoints(s) return t, 'sep')`: `t` (one string),
    /// with variable slot `v` bound to each code point of `s` in turn, joined by `sep`.
    JoinCodepoints {
        slot: usize,
        source: Box<Text>,
        each: Box<Text>,
        sep: Arc<str>,
        /// `each` computed from the code point alone, when it can be (see [`PointText`]).
        direct: Option<Box<PointText>>,
    },
    /// `if (c) then a else b`.
    If(Box<Test>, Box<Text>, Box<Text>),
    /// A subexpression the walker memoizes (see `Expr::Memo`), of one string: shared with the
    /// walker's memo, so a repeated one is computed once by either.
    Memo(u32, Box<Text>),
}

/// The text a [`Text::JoinCodepoints`] makes of each code point when that is computed from
/// the code point alone in integer arithmetic (`if ($cp > 64) then string($cp - 55) else
/// string($cp - 48)`, the IBAN check): evaluated directly, without binding the variable.
#[derive(Debug)]
pub(crate) enum PointText {
    Lit(Arc<str>),
    /// `string(i)`.
    Int(PointInt),
    /// `if (a op b) then x else y`.
    If(PointInt, CmpOp, PointInt, Box<PointText>, Box<PointText>),
}

/// An integer computed from a code point (see [`PointText`]).
#[derive(Debug)]
pub(crate) enum PointInt {
    /// The code point (the loop's variable).
    Var,
    Lit(i64),
    /// `+`, `-` or `*` (beyond `i64`: ask the walker).
    Arith(ArithOp, Box<PointInt>, Box<PointInt>),
}

impl PointText {
    /// The direct form of `t`, the text of each code point bound to variable `slot`.
    fn of(t: &Text, slot: usize) -> Option<PointText> {
        Some(match t {
            Text::Lit(l) => PointText::Lit(l.clone()),
            Text::OfNum(x) => PointText::Int(PointInt::of(x, slot)?),
            Text::If(c, x, y) => {
                let Test::NumCompare(a, op, b) = &**c else {
                    return None;
                };
                PointText::If(
                    PointInt::of(a, slot)?,
                    *op,
                    PointInt::of(b, slot)?,
                    Box::new(PointText::of(x, slot)?),
                    Box::new(PointText::of(y, slot)?),
                )
            }
            _ => return None,
        })
    }

    /// Appends the text of code point `v` to `out` (`None`: beyond `i64`).
    fn push(&self, v: i64, out: &mut String) -> Option<()> {
        match self {
            PointText::Lit(l) => out.push_str(l),
            PointText::Int(i) => out.push_str(&Str::of_i64(i.value(v)?)),
            PointText::If(a, op, b, x, y) => {
                let branch = if op.test(a.value(v)?.cmp(&b.value(v)?)) {
                    x
                } else {
                    y
                };
                branch.push(v, out)?;
            }
        }
        Some(())
    }
}

impl PointInt {
    fn of(x: &Num, slot: usize) -> Option<PointInt> {
        Some(match x {
            Num::Var(VarRef::Local(s)) if *s == slot => PointInt::Var,
            Num::Lit(NumLit::Integer(i)) => PointInt::Lit(*i),
            Num::Arith(op @ (ArithOp::Add | ArithOp::Sub | ArithOp::Mul), a, b) => PointInt::Arith(
                *op,
                Box::new(PointInt::of(a, slot)?),
                Box::new(PointInt::of(b, slot)?),
            ),
            _ => return None,
        })
    }

    fn value(&self, v: i64) -> Option<i64> {
        match self {
            PointInt::Var => Some(v),
            PointInt::Lit(i) => Some(*i),
            PointInt::Arith(op, a, b) => super::value::int_arith(*op, a.value(v)?, b.value(v)?),
        }
    }
}

impl Text {
    /// True when the value is always exactly one `xs:string` as the walker computes it (not
    /// a node's value, which may be none, nor the untyped value of a node).
    fn is_one_string(&self) -> bool {
        match self {
            Text::Context | Text::Value(_) => false,
            Text::If(_, a, b) => a.is_one_string() && b.is_one_string(),
            Text::Memo(_, t) => t.is_one_string(),
            Text::Lit(_)
            | Text::Name(_)
            | Text::Apply(..)
            | Text::Part(..)
            | Text::Concat(_)
            | Text::OfNum(_)
            | Text::Substring(..)
            | Text::Replace(..)
            | Text::JoinCodepoints { .. } => true,
        }
    }

    /// True when computing it is worth a memo lookup (a regular expression or a loop in it).
    fn is_costly(&self) -> bool {
        match self {
            Text::Replace(..) | Text::JoinCodepoints { .. } => true,
            Text::Apply(_, t) | Text::Substring(t, ..) | Text::Memo(_, t) => t.is_costly(),
            Text::Part(_, a, b) | Text::If(_, a, b) => a.is_costly() || b.is_costly(),
            Text::Concat(parts) => parts.iter().any(Text::is_costly),
            Text::Lit(_) | Text::Context | Text::Name(_) | Text::Value(_) | Text::OfNum(_) => false,
        }
    }
}

/// A numeric literal.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NumLit {
    Integer(i64),
    Decimal(rust_decimal::Decimal),
    Double(f64),
}

impl NumLit {
    fn of(e: &Expr) -> Option<NumLit> {
        match e {
            Expr::Literal(Literal::Integer(i)) => Some(NumLit::Integer(*i)),
            Expr::Literal(Literal::Decimal(d)) => Some(NumLit::Decimal(*d)),
            Expr::Literal(Literal::Double(d)) => Some(NumLit::Double(*d)),
            _ => None,
        }
    }

    fn item(self) -> Item<'static> {
        match self {
            NumLit::Integer(i) => Item::Integer(i),
            NumLit::Decimal(d) => Item::Decimal(d),
            NumLit::Double(d) => Item::Double(d),
        }
    }
}

/// An integer-valued plan.
#[derive(Debug)]
pub(crate) enum Int {
    Count(Path),
    /// `count(p/n)`: the nodes of `p` at which `n` (zero or one atomic value) is not empty.
    CountMapped(Path, Box<Num>),
    Length(Text),
    /// `a + b` (`true`) or `a - b`.
    Sum(Box<Int>, Box<Int>, bool),
}

/// A path of axis steps from the context node or the root.
#[derive(Debug)]
pub(crate) struct Path {
    root: bool,
    steps: Box<[PlanStep]>,
    /// Element names that, absent from the document, make the path empty (as
    /// [`PathExpr::required`]).
    required: Box<[(Arc<str>, u32)]>,
    /// Only child, attribute and self steps after the first: no node is reached twice.
    distinct: bool,
    /// `distinct` and no reverse axis: the nodes come in document order.
    in_order: bool,
    /// A depth-first search reaches each node by few routes (see `ast::few_routes`).
    few_routes: bool,
    /// Where the walker memoizes the value of this absolute path per document, and whether
    /// the plan's node list may be stored there (no repetitions, document order).
    memo: Option<(PathMemo, bool)>,
}

/// A memo of the document index (see [`PathExpr::memo`], [`PathExpr::prefix_memo`]).
#[derive(Debug, Clone, Copy)]
enum PathMemo {
    /// The whole path's value.
    Value(u32),
    /// The node set of a path's first steps.
    Prefix(u32),
}

#[derive(Debug)]
pub(crate) struct PlanStep {
    pub(crate) axis: Axis,
    pub(crate) test: NodeTest,
    preds: Box<[PlanPred]>,
}

#[derive(Debug)]
enum PlanPred {
    /// A boolean filter.
    Test(Test),
    /// `[n]`.
    Index(usize),
}

/// The plan of a test, if it has one of the shapes plans cover.
pub(crate) fn compile(e: &Expr) -> Option<Test> {
    test(e, 0)
}

/// The plan of a pattern step's predicate for a node whose shape is known to match the
/// pattern (see `Pattern::matches_given_shape`): the conjuncts of its top-level `and` chain
/// that read nothing but the node's name (`Expr::NameOnly`) were decided by the shape — true,
/// or the shape would not match — and are left out (`//*[not(name() = 'x:Y') and not(*)]`
/// tests only `not(*)`).
pub(crate) fn compile_given_shape(e: &Expr) -> Option<Test> {
    /// A conjunct of the top-level `and` chain reads only the name.
    fn name_only_conjunct(e: &Expr) -> bool {
        match e {
            Expr::NameOnly(..) => true,
            Expr::And(a, b) => name_only_conjunct(a) || name_only_conjunct(b),
            _ => false,
        }
    }
    match e {
        // nothing to leave out: the plan of the whole (with its combined shapes)
        _ if !name_only_conjunct(e) => compile(e),
        Expr::NameOnly(..) => Some(Test::Const(true)),
        Expr::And(a, b) => match (compile_given_shape(a)?, compile_given_shape(b)?) {
            (Test::Const(true), t) | (t, Test::Const(true)) => Some(t),
            (a, b) => Some(Test::And(Box::new(a), Box::new(b))),
        },
        other => compile(other),
    }
}

/// One level deeper, if not beyond [`MAX_DEPTH`].
fn deeper(depth: u32) -> Option<u32> {
    (depth < MAX_DEPTH).then_some(depth + 1)
}

fn test(e: &Expr, depth: u32) -> Option<Test> {
    let depth = deeper(depth)?;
    let bx = |t: Test| Box::new(t);
    Some(match e {
        Expr::Or(a, b) => Test::Or(bx(test(a, depth)?), bx(test(b, depth)?)),
        Expr::And(a, b) => match one_code(a, b, depth) {
            Some(t) => t,
            None => {
                let both = Test::And(bx(test(a, depth)?), bx(test(b, depth)?));
                match is_empty_element_test(a, b) {
                    true => Test::EmptyElement(bx(both)),
                    false => both,
                }
            }
        },
        Expr::Memo(inner, _) | Expr::NameOnly(inner, _) => return test(inner, depth),
        Expr::Path(p) => match mapped(p, depth) {
            Some((p, e)) => Test::Mapped(p?, bx(test(e, depth)?)),
            None => Test::Exists(path(p, depth)?),
        },
        Expr::GeneralCmp(op, a, b) => return comparison(*op, a, b, depth),
        // `count(…) eq 1`: one integer against one integer, as the general comparison
        Expr::ValueCmp(op, a, b) => return int_comparison(*op, a, b, depth),
        Expr::UserCall(i, args) => Test::UserCall(
            *i,
            (args.iter())
                .map(|a| num(a, depth))
                .collect::<Option<_>>()?,
        ),
        Expr::Quantified {
            every,
            bindings,
            cond,
        } => {
            let [(slot, d)] = bindings.as_slice() else {
                return None;
            };
            if !*every {
                if let Some(t) = some_equal_string(*slot, d, cond, depth) {
                    return Some(t);
                }
            }
            Test::Quantified(
                *every,
                *slot,
                Box::new(domain(d, depth)?),
                bx(test(cond, depth)?),
            )
        }
        Expr::Call(b, args, extra) => match (b, args.as_slice()) {
            (Builtin::True, []) => Test::Const(true),
            (Builtin::False, []) => Test::Const(false),
            (Builtin::Not, [a]) => Test::Not(bx(test(a, depth)?)),
            (Builtin::Boolean, [a]) => return test(a, depth),
            (Builtin::Exists, [a]) => exists(a, depth)?,
            (Builtin::Empty, [a]) => Test::Not(bx(exists(a, depth)?)),
            (Builtin::NormalizeSpace, []) => Test::HasContent(Text::Context),
            (Builtin::NormalizeSpace, [a]) => Test::HasContent(text(a, depth)?),
            (Builtin::Contains, [list, Expr::Call(Builtin::Concat, parts, _)])
                if extra.as_ref().is_some_and(|x| x.tokens.is_some()) =>
            {
                let (Expr::Literal(Literal::String(list)), [_, x, _]) = (list, parts.as_slice())
                else {
                    return None;
                };
                let tokens = extra.as_ref()?.tokens.clone()?;
                Test::CodeList(text(x, depth)?, tokens, list.clone())
            }
            (Builtin::Matches, [a, _] | [a, _, _]) => Test::Matches(
                text(a, depth)?,
                LiteralRegex::of(args, 2, extra.as_deref())?,
            ),
            (Builtin::Contains, [a, b]) => Test::Contains(text(a, depth)?, text(b, depth)?),
            (Builtin::StartsWith, [a, b]) => Test::StartsWith(text(a, depth)?, text(b, depth)?),
            (Builtin::EndsWith, [a, b]) => Test::EndsWith(text(a, depth)?, text(b, depth)?),
            _ => return None,
        },
        _ => return None,
    })
}

/// `some $v in S satisfies x = $v` for a constant sequence of strings `S` that is not empty
/// (`tokenize('49 59', '\s')`, `('30', '58')`) and an `x` that does not read `$v`: the plan of
/// the general comparison `x = S`, true for the same `x` (`x` is computed once instead of once
/// per string; with `S` not empty, it raises the same errors).
fn some_equal_string(slot: usize, d: &Expr, cond: &Expr, depth: u32) -> Option<Test> {
    let Expr::GeneralCmp(CmpOp::Eq, a, b) = cond.unwrapped() else {
        return None;
    };
    let is_slot = |e: &Expr| matches!(e.unwrapped(), Expr::Var(VarRef::Local(v)) if *v == slot);
    let x = match (a, b) {
        (x, v) | (v, x) if is_slot(v) => x,
        _ => return None,
    };
    if reads_local(x, slot) {
        return None;
    }
    let strings = constant_strings(d).filter(|s| !s.is_empty())?;
    let seq = (strings.into_iter())
        .map(|s| Expr::Literal(Literal::String(s)))
        .collect();
    comparison(CmpOp::Eq, x, &Expr::Seq(seq), depth)
}

/// Whether `e` reads the range variable in `slot`.
fn reads_local(e: &Expr, slot: usize) -> bool {
    let mut found = matches!(e, Expr::Var(VarRef::Local(v)) if *v == slot);
    e.children(&mut |c| found = found || reads_local(c, slot));
    found
}

/// The strings of a constant sequence: string literals, or `tokenize` of a literal string by a
/// literal pattern (split now as the walker splits it); None for anything else, and for a
/// pattern the walker rejects (it raises the error).
fn constant_strings(e: &Expr) -> Option<Vec<Arc<str>>> {
    let literal = |e: &Expr| match e.unwrapped() {
        Expr::Literal(Literal::String(s)) => Some(s.clone()),
        _ => None,
    };
    match e.unwrapped() {
        Expr::Seq(items) => items.iter().map(literal).collect(),
        Expr::Call(Builtin::Tokenize, args, extra) => {
            let s = literal(args.first()?)?;
            let re = LiteralRegex::of(args, 2, extra.as_deref())?;
            let (re, matches_empty) = re.get()?;
            if *matches_empty {
                return None;
            }
            match s.is_empty() {
                true => Some(Vec::new()),
                false => Some(re.split(&s).map(Arc::from).collect()),
            }
        }
        other => literal(other).map(|s| vec![s]),
    }
}

/// Whether `a and b` is `not(*) and not(normalize-space())` (see [`Test::EmptyElement`]).
pub(crate) fn is_empty_element_test(a: &Expr, b: &Expr) -> bool {
    /// The argument of `not(x)`.
    fn negated(e: &Expr) -> Option<&Expr> {
        match e.unwrapped() {
            Expr::Call(Builtin::Not, args, _) => match args.as_slice() {
                [x] => Some(x.unwrapped()),
                _ => None,
            },
            _ => None,
        }
    }
    let any_child_element = |e: &Expr| match e {
        Expr::Path(p) => match (&p.start, &*p.steps) {
            (PathStart::Context, [s]) => {
                s.preds.is_empty()
                    && matches!(
                        s.kind,
                        StepKind::Axis(
                            Axis::Child,
                            NodeTest::Any | NodeTest::Kind(KindTest::Element)
                        )
                    )
            }
            _ => false,
        },
        _ => false,
    };
    let content =
        |e: &Expr| matches!(e, Expr::Call(Builtin::NormalizeSpace, args, _) if args.is_empty());
    negated(a).is_some_and(any_child_element) && negated(b).is_some_and(content)
}

/// `contains(list, concat(' ', x, ' '))` for the code list `list` with these tokens.
fn code_listed(x: &str, tokens: &CodeListTokens, list: &str) -> bool {
    if x.contains(' ') {
        let needle = format!(" {x} ");
        memchr::memmem::find(list.as_bytes(), needle.as_bytes()).is_some()
    } else {
        tokens.contains(x)
    }
}

/// [`Test::OneCode`] of `a and b`, when `a` is `not(contains(x, ' '))` and `b` the code list
/// test of the same `x` (the same expression tree).
fn one_code(a: &Expr, b: &Expr, depth: u32) -> Option<Test> {
    let Expr::Call(Builtin::Not, not_args, _) = a.unwrapped() else {
        return None;
    };
    let [Expr::Call(Builtin::Contains, args, _)] = not_args.as_slice() else {
        return None;
    };
    let [x, Expr::Literal(Literal::String(space))] = args.as_slice() else {
        return None;
    };
    let Test::CodeList(y, tokens, list) = test(b, depth)? else {
        return None;
    };
    let Expr::Call(Builtin::Contains, b_args, _) = b.unwrapped() else {
        return None;
    };
    let [_, Expr::Call(Builtin::Concat, parts, _)] = b_args.as_slice() else {
        return None;
    };
    let [_, bx_, _] = parts.as_slice() else {
        return None;
    };
    let same = format!("{x:?}") == format!("{bx_:?}");
    (&**space == " " && same).then_some(Test::OneCode(y, tokens, list))
}

/// `exists(e)` of a path, or of a number (`exists(a/xs:decimal(b))`).
fn exists(e: &Expr, depth: u32) -> Option<Test> {
    match e {
        Expr::Path(p) if mapped(p, depth).is_none() => Some(Test::Exists(path(p, depth)?)),
        _ => Some(Test::NumExists(num(e, depth)?)),
    }
}

/// The operator with its operands swapped (`a op b` = `b swapped(op) a`).
fn swapped(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// A general comparison with a literal (or a sequence of string literals) on one side.
fn comparison(op: CmpOp, a: &Expr, b: &Expr, depth: u32) -> Option<Test> {
    if let Some(lits) = string_literals(b) {
        return string_comparison(op, a, lits, depth);
    }
    if let Some(lits) = string_literals(a) {
        return string_comparison(swapped(op), b, lits, depth);
    }
    if let Some(t) = int_comparison(op, a, b, depth) {
        return Some(t);
    }
    if let (Expr::Path(p), lit) | (lit, Expr::Path(p)) = (a, b) {
        // a path's nodes against a numeric literal: node by node, as the walker does
        if let (Some(n), Some(p)) = (NumLit::of(lit), path(p, depth)) {
            if p.in_order {
                let lit_left = std::ptr::eq(lit, a);
                return Some(Test::NumCmp(p, op, n, lit_left));
            }
        }
    }
    Some(Test::NumCompare(num(a, depth)?, op, num(b, depth)?))
}

/// `count(…)` or `string-length(…)` compared with an integer literal (one integer each: the
/// general and the value comparison agree).
fn int_comparison(op: CmpOp, a: &Expr, b: &Expr, depth: u32) -> Option<Test> {
    match (a, b) {
        (x, Expr::Literal(Literal::Integer(n))) => Some(Test::IntCmp(int(x, depth)?, op, *n)),
        (Expr::Literal(Literal::Integer(n)), x) => {
            Some(Test::IntCmp(int(x, depth)?, swapped(op), *n))
        }
        _ => None,
    }
}

/// The domain of a quantifier: a path's nodes, or an atomic number.
fn domain(e: &Expr, depth: u32) -> Option<Domain> {
    if let Expr::Path(p) = e {
        if mapped(p, depth).is_none() {
            let p = path(p, depth)?;
            return p.in_order.then_some(Domain::Nodes(p));
        }
    }
    let n = num(e, depth)?;
    n.is_atomic().then_some(Domain::Num(n))
}

/// The plan of a numeric expression (see [`Num`]).
fn num(e: &Expr, depth: u32) -> Option<Num> {
    let depth = deeper(depth)?;
    let bx = |n: Num| Box::new(n);
    Some(match e {
        Expr::Literal(_) => Num::Lit(NumLit::of(e)?),
        Expr::Memo(inner, id) => Num::Memo(*id, bx(num(inner, depth)?)),
        Expr::ContextItem => Num::Context,
        Expr::Path(p) => match mapped(p, depth) {
            Some((p, e)) => Num::Mapped(p?, bx(num(e, depth)?)),
            None => Num::Value(path(p, depth)?),
        },
        Expr::Arith(op, a, b) => Num::Arith(*op, bx(num(a, depth)?), bx(num(b, depth)?)),
        Expr::Neg(a) => Num::Neg(bx(num(a, depth)?)),
        Expr::Var(v) => Num::Var(*v),
        Expr::If(c, a, b) => Num::If(
            Box::new(test(c, depth)?),
            bx(num(a, depth)?),
            bx(num(b, depth)?),
        ),
        Expr::Call(b, args, _) => match (b, args.as_slice()) {
            (Builtin::True, []) => Num::Bool(true),
            (Builtin::False, []) => Num::Bool(false),
            (
                Builtin::Constructor(
                    ty @ (AtomicType::Decimal | AtomicType::Integer | AtomicType::Double),
                ),
                [a],
            ) => Num::Construct(*ty, bx(num(a, depth)?)),
            (
                Builtin::Round
                | Builtin::Floor
                | Builtin::Ceiling
                | Builtin::Abs
                | Builtin::RoundHalfToEven,
                [a],
            ) => Num::Round(*b, bx(num(a, depth)?)),
            (Builtin::Count | Builtin::StringLength, _) => Num::Int(Box::new(int(e, depth)?)),
            (Builtin::Sum, [arg]) => {
                let Expr::Path(p) = arg.unwrapped() else {
                    return None;
                };
                let (p, each) = match mapped(p, depth) {
                    Some((p, e)) => (p?, Some(bx(num(e, depth)?))),
                    None => (path(p, depth)?, None),
                };
                p.in_order.then_some(Num::Sum(p, each))?
            }
            _ => return one_string(e, depth),
        },
        _ => return None,
    })
}

/// [`Num::Text`] of an expression of one string.
fn one_string(e: &Expr, depth: u32) -> Option<Num> {
    let t = text(e, depth)?;
    t.is_one_string().then(|| Num::Text(Box::new(t)))
}

fn string_comparison(op: CmpOp, x: &Expr, lits: Box<[Arc<str>]>, depth: u32) -> Option<Test> {
    if let Expr::Path(p) = x {
        return Some(match mapped(p, depth) {
            Some((p, e)) => Test::MappedCmp(p?, text(e, depth)?, op, lits),
            None => Test::NodesCmp(path(p, depth)?, op, lits),
        });
    }
    let only_empty = matches!(&*lits, [l] if l.is_empty());
    Some(match text(x, depth)? {
        // normalize-space(s) = '' / != '': only whether there is a non-space matters
        Text::Apply(Builtin::NormalizeSpace, inner)
            if only_empty && matches!(op, CmpOp::Eq | CmpOp::Ne) =>
        {
            let has = Test::HasContent(*inner);
            if op == CmpOp::Ne {
                has
            } else {
                Test::Not(Box::new(has))
            }
        }
        t => Test::TextCmp(t, op, lits),
    })
}

/// `'a'` or `('a', 'b', …)`.
fn string_literals(e: &Expr) -> Option<Box<[Arc<str>]>> {
    match e {
        Expr::Literal(Literal::String(s)) => Some(Box::new([s.clone()])),
        Expr::Seq(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Expr::Literal(Literal::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn int(e: &Expr, depth: u32) -> Option<Int> {
    let depth = deeper(depth)?;
    match e {
        Expr::Call(Builtin::Count, args, _) => {
            // (a repeated argument is counted here without its memo)
            let [a] = args.as_slice() else {
                return None;
            };
            let Expr::Path(p) = a.unwrapped() else {
                return None;
            };
            match mapped(p, depth) {
                // one atomic value or none per node: counted node by node
                Some((p, e)) => {
                    let (p, e) = (p?, num(e, depth)?);
                    (p.distinct && e.is_atomic()).then(|| Int::CountMapped(p, Box::new(e)))
                }
                None => {
                    let p = path(p, depth)?;
                    p.distinct.then_some(Int::Count(p))
                }
            }
        }
        Expr::Call(Builtin::StringLength, args, _) => match args.as_slice() {
            [] => Some(Int::Length(Text::Context)),
            [a] => Some(Int::Length(text(a, depth)?)),
            _ => None,
        },
        Expr::Memo(inner, _) => int(inner, depth),
        Expr::Arith(op @ (ArithOp::Add | ArithOp::Sub), a, b) => Some(Int::Sum(
            Box::new(int(a, depth)?),
            Box::new(int(b, depth)?),
            *op == ArithOp::Add,
        )),
        _ => None,
    }
}

fn text(e: &Expr, depth: u32) -> Option<Text> {
    let depth = deeper(depth)?;
    let bx = |t: Text| Box::new(t);
    Some(match e {
        Expr::Literal(Literal::String(s)) => Text::Lit(s.clone()),
        Expr::ContextItem => Text::Context,
        Expr::Path(p) => Text::Value(path(p, depth)?),
        Expr::Memo(inner, id) => {
            let t = text(inner, depth)?;
            return Some(if t.is_one_string() && t.is_costly() {
                Text::Memo(*id, bx(t))
            } else {
                t
            });
        }
        Expr::If(c, a, b) => {
            let (a, b) = (text(a, depth)?, text(b, depth)?);
            if !(a.is_one_string() && b.is_one_string()) {
                return None;
            }
            Text::If(Box::new(test(c, depth)?), bx(a), bx(b))
        }
        Expr::Call(b, args, extra) => match (b, args.as_slice()) {
            (Builtin::Name, []) => Text::Name(false),
            (Builtin::LocalName, []) => Text::Name(true),
            (Builtin::String | Builtin::NormalizeSpace, []) => {
                if *b == Builtin::String {
                    Text::Context
                } else {
                    Text::Apply(*b, bx(Text::Context))
                }
            }
            (Builtin::String, [a @ (Expr::Path(_) | Expr::ContextItem)]) => text(a, depth)?,
            (Builtin::NormalizeSpace | Builtin::UpperCase | Builtin::LowerCase, [a]) => {
                Text::Apply(*b, bx(text(a, depth)?))
            }
            (Builtin::SubstringBefore | Builtin::SubstringAfter, [a, t]) => {
                Text::Part(*b, bx(text(a, depth)?), bx(text(t, depth)?))
            }
            (Builtin::Concat, parts) if parts.len() >= 2 => Text::Concat(
                parts
                    .iter()
                    .map(|p| text(p, depth))
                    .collect::<Option<Box<[Text]>>>()?,
            ),
            (Builtin::String, [a]) => Text::OfNum(Box::new(num(a, depth)?)),
            (Builtin::Substring, [s, start, len @ ..]) if len.len() <= 1 => {
                let lit = |e: &Expr| NumLit::of(e).and_then(|l| l.item().num_f64());
                let len = match len {
                    [l] => Some(lit(l)?),
                    _ => None,
                };
                Text::Substring(bx(text(s, depth)?), lit(start)?, len)
            }
            (Builtin::Replace, [s, _, Expr::Literal(Literal::String(rep)), ..])
                if args.len() <= 4 =>
            {
                let re = LiteralRegex::of(args, 3, extra.as_deref())?;
                Text::Replace(bx(text(s, depth)?), re, rep.clone())
            }
            (
                Builtin::StringJoin,
                [Expr::For { bindings, ret }, Expr::Literal(Literal::String(sep))],
            ) => {
                let [(slot, Expr::Call(Builtin::StringToCodepoints, src, _))] = bindings.as_slice()
                else {
                    return None;
                };
                let [src] = src.as_slice() else {
                    return None;
                };
                let each = text(ret, depth)?;
                if !each.is_one_string() {
                    return None;
                }
                Text::JoinCodepoints {
                    slot: *slot,
                    source: bx(text(src, depth)?),
                    direct: PointText::of(&each, *slot).map(Box::new),
                    each: bx(each),
                    sep: sep.clone(),
                }
            }
            _ => return None,
        },
        _ => return None,
    })
}

fn path(p: &PathExpr, depth: u32) -> Option<Path> {
    path_of(p, &p.steps, depth)
}

/// A path whose last step is an expression (`a/b/normalize-space(c)`): the path before it
/// (`None` if that has no plan) and the expression. `None` for other paths.
fn mapped(p: &PathExpr, depth: u32) -> Option<(Option<Path>, &Expr)> {
    let (last, init) = p.steps.split_last()?;
    let StepKind::Expr(e) = &last.kind else {
        return None;
    };
    let init = if last.preds.is_empty() && !init.is_empty() {
        path_of(p, init, depth)
    } else {
        None
    };
    Some((init, e))
}

/// The plan of `p`'s start followed by `steps` (all of `p`'s steps or the first ones).
fn path_of(p: &PathExpr, steps: &[Step], depth: u32) -> Option<Path> {
    let root = match p.start {
        PathStart::Root => true,
        PathStart::Context => false,
        PathStart::Expr(_) => return None,
    };
    if steps.is_empty() {
        return None;
    }
    let steps = steps
        .iter()
        .map(|s| step(s, depth))
        .collect::<Option<Box<[PlanStep]>>>()?;
    // leading `..` and `.` steps keep the one start node one node (`../../cac:InvoiceLine`);
    // after them, only child, attribute and self steps after the first reach no node twice
    let lead = (steps.iter())
        .take_while(|s| matches!(s.axis, Axis::Parent | Axis::Self_))
        .count();
    let rest = steps.get(lead..).unwrap_or_default();
    let distinct = rest
        .iter()
        .skip(1)
        .all(|s| matches!(s.axis, Axis::Child | Axis::Attribute | Axis::Self_));
    let memo = if steps.len() == p.steps.len() {
        p.memo.map(PathMemo::Value)
    } else {
        (p.prefix_memo.get(steps.len() - 1).copied()).map(PathMemo::Prefix)
    };
    let in_order = distinct && rest.iter().all(|s| !s.axis.is_reverse());
    let few_routes = super::ast::few_routes(steps.iter().map(|s| Some(s.axis)));
    Some(Path {
        root,
        steps,
        required: p.required.clone(),
        distinct,
        in_order,
        few_routes,
        memo: memo.map(|m| (m, in_order)),
    })
}

fn step(s: &Step, depth: u32) -> Option<PlanStep> {
    let StepKind::Axis(axis, test) = &s.kind else {
        return None;
    };
    let preds = s
        .preds
        .iter()
        .map(|p| match p.kind {
            PredKind::Bool => self::test(&p.expr, depth).map(PlanPred::Test),
            PredKind::Index(n) => Some(PlanPred::Index(n)),
            PredKind::General => None,
        })
        .collect::<Option<Box<[PlanPred]>>>()?;
    Some(PlanStep {
        axis: *axis,
        test: test.clone(),
        preds,
    })
}

impl<'a> Ev<'a, '_> {
    /// The value of a test at context node `n`; `None`: ask the tree walker.
    ///
    /// (A small function: it recurses through the connectives, the work is in the callees.)
    pub(crate) fn plan_test(&mut self, mut t: &'a Test, n: XNode<'a>) -> Option<bool> {
        // negations and the right operands of `and`/`or` in a loop (one call per left
        // operand): the answer is `neg` XOR the value of `t`
        let mut neg = false;
        loop {
            match t {
                Test::And(a, b) => {
                    if !self.plan_test(a, n)? {
                        return Some(neg);
                    }
                    t = b;
                }
                Test::Or(a, b) => {
                    if self.plan_test(a, n)? {
                        return Some(!neg);
                    }
                    t = b;
                }
                Test::Not(a) => {
                    neg = !neg;
                    t = a;
                }
                Test::Exists(p) => return self.plan_exists(p, n).map(|b| b != neg),
                _ => return self.plan_leaf(t, n).map(|b| b != neg),
            }
        }
    }

    /// [`Ev::plan_test`] of the tests that are not connectives or existence.
    #[inline(never)]
    fn plan_leaf(&mut self, t: &'a Test, n: XNode<'a>) -> Option<bool> {
        Some(match t {
            Test::Const(b) => *b,
            Test::HasContent(s) => functions::has_content(&self.plan_text(s, n)?),
            Test::NodesCmp(p, op, lits) => {
                let mut nodes = self.take_nodes();
                let r = self.plan_nodes_or_one(p, n, &mut nodes).map(|()| {
                    nodes.iter().any(|m| {
                        let s = m.string_value();
                        lits.iter().any(|l| cmp_str(*op, &s, l))
                    })
                });
                self.give_nodes(nodes);
                r?
            }
            Test::TextCmp(s, op, lits) => {
                let s = self.plan_text(s, n)?;
                lits.iter().any(|l| cmp_str(*op, &s, l))
            }
            Test::IntCmp(x, op, v) => op.test(self.plan_int(x, n)?.cmp(v)),
            Test::NumCmp(p, op, lit, lit_left) => {
                let mut nodes = self.take_nodes();
                let r = self.plan_nodes_or_one(p, n, &mut nodes).and_then(|()| {
                    let lit = lit.item();
                    for m in nodes.iter() {
                        let v = Item::Untyped(m.string_value());
                        let (x, y) = if *lit_left { (&lit, &v) } else { (&v, &lit) };
                        if general_compare(*op, x, y).ok()? {
                            return Some(true);
                        }
                    }
                    Some(false)
                });
                self.give_nodes(nodes);
                r?
            }
            Test::Contains(s, t) => contains_str(&self.plan_text(s, n)?, &self.plan_text(t, n)?),
            Test::StartsWith(s, t) => starts_with(&self.plan_text(s, n)?, &self.plan_text(t, n)?),
            Test::EndsWith(s, t) => ends_with(&self.plan_text(s, n)?, &self.plan_text(t, n)?),
            Test::CodeList(x, tokens, list) => code_listed(&self.plan_text(x, n)?, tokens, list),
            Test::EmptyElement(test) => match n {
                XNode::Node(e) if e.is_element() => {
                    // element children from the index when there is one
                    const ANY: &NodeTest = &NodeTest::Any;
                    self.exists_child(ANY, e, &[]) != Some(true)
                        && e.children().all(|c| {
                            !(c.is_element() || (c.is_text() && functions::has_content(c.value())))
                        })
                }
                _ => self.plan_test(test, n)?,
            },
            Test::OneCode(x, tokens, list) => {
                let x = self.plan_text(x, n)?;
                !x.contains(' ') && code_listed(&x, tokens, list)
            }
            Test::Matches(s, re) => {
                let (regex, _) = re.get()?;
                let s = self.plan_text(s, n)?;
                regex.is_match(&s)
            }
            Test::Mapped(p, t) => {
                let mut nodes = self.take_nodes();
                let r = self.plan_nodes_or_one(p, n, &mut nodes).and_then(|()| {
                    match *nodes.as_slice() {
                        [] => Some(false),
                        [one] => self.plan_test(t, one),
                        _ => None,
                    }
                });
                self.give_nodes(nodes);
                r?
            }
            Test::MappedCmp(p, s, op, lits) => {
                let mut nodes = self.take_nodes();
                let r = self.plan_nodes_or_one(p, n, &mut nodes).and_then(|()| {
                    let mut found = false;
                    for &m in nodes.iter() {
                        let s = self.plan_text(s, m)?;
                        found = found || lits.iter().any(|l| cmp_str(*op, &s, l));
                    }
                    Some(found)
                });
                self.give_nodes(nodes);
                r?
            }
            Test::NumCompare(a, op, b) => {
                let Some(x) = self.plan_num(a, n)? else {
                    return Some(false);
                };
                let Some(y) = self.plan_num(b, n)? else {
                    return Some(false);
                };
                general_compare(*op, &x, &y).ok()?
            }
            Test::NumExists(x) => self.plan_num(x, n)?.is_some(),
            Test::Quantified(every, slot, d, cond) => {
                self.plan_quantified(*every, *slot, d, cond, n)?
            }
            Test::UserCall(i, args) => self.plan_user_call(*i, args, n)?,
            Test::And(..) | Test::Or(..) | Test::Not(_) | Test::Exists(_) => {
                self.plan_test(t, n)?
            }
        })
    }

    /// A call of user function `i`: the arguments computed and converted to the parameters'
    /// types in the caller's frame, then the function's test plan in a frame of its own — as
    /// the walker calls it. `None` (ask the walker) for a function without a test plan, an
    /// argument the plan does not compute or the conversion rejects (the walker raises the
    /// error), or too deep a recursion.
    fn plan_user_call(&mut self, i: usize, args: &'a [Num], n: XNode<'a>) -> Option<bool> {
        let func = self.lib?.get(i)?;
        let body = func.test_plan()?;
        if self.depth >= super::eval::MAX_CALL_DEPTH || args.len() != func.params.len() {
            return None;
        }
        let mut values: Vec<(usize, Item<'a>)> = Vec::with_capacity(args.len());
        for (k, (a, (slot, ty))) in args.iter().zip(&func.params).enumerate() {
            let v = self.plan_num(a, n)?;
            let converted = super::eval::convert(v.into_iter().collect(), ty.as_ref()?, "", k);
            let [one] = <[Item<'a>; 1]>::try_from(converted.ok()?).ok()?;
            values.push((*slot, one));
        }
        self.in_frame(func, |ev| {
            for (slot, v) in values {
                ev.bind_one(slot, v);
            }
            // the body reads no context: `n` is not used
            ev.plan_test(body, n)
        })
    }

    /// The value of a numeric plan at context node `n` (`Some(None)`: empty; `None`: ask the
    /// tree walker).
    pub(crate) fn plan_num(&mut self, x: &'a Num, n: XNode<'a>) -> Option<Option<Item<'a>>> {
        Some(match x {
            Num::Lit(l) => Some(l.item()),
            Num::Bool(b) => Some(Item::Boolean(*b)),
            Num::Context => Some(Item::Untyped(n.string_value())),
            Num::Value(p) => self
                .plan_one(p, n)?
                .map(|m| Item::Untyped(m.string_value())),
            Num::Mapped(p, e) => match self.plan_one(p, n)? {
                Some(m) => self.plan_num(e, m)?,
                None => None,
            },
            Num::Construct(ty, a) => match self.plan_num(a, n)? {
                Some(v) => Some(cast(&v, *ty).ok()?),
                None => None,
            },
            Num::Arith(op, a, b) => {
                let Some(x) = self.plan_operand(a, n)? else {
                    return Some(None);
                };
                let Some(y) = self.plan_operand(b, n)? else {
                    return Some(None);
                };
                Some(arith(*op, &x, &y).ok()?)
            }
            Num::Neg(a) => match self.plan_operand(a, n)? {
                Some(v) => Some(negate(&v).ok()?),
                None => None,
            },
            Num::Round(b, a) => match self.plan_operand(a, n)? {
                Some(v) if v.is_numeric() => Some(round(&v, Rounding::of(*b)?).ok()?),
                Some(_) => return None,
                None => None,
            },
            Num::Sum(p, each) => {
                let mut nodes = self.take_nodes();
                let mut items = self.take();
                let r = self.plan_nodes(p, n, &mut nodes).and_then(|()| {
                    for &m in nodes.iter() {
                        match each {
                            None => items.push(Item::Untyped(m.string_value())),
                            Some(e) => items.extend(self.plan_num(e, m)?),
                        }
                    }
                    self.aggregate(Builtin::Sum, &items).ok()
                });
                self.give_nodes(nodes);
                self.give(items);
                Some(r?.unwrap_or(Item::Integer(0)))
            }
            Num::Memo(id, inner) => return self.plan_memo(*id, inner, n),
            Num::Var(v) => match self.var_items(*v) {
                [] => None,
                [one] => Some(one.atomize()),
                _ => return None,
            },
            Num::If(c, a, b) => match self.plan_test(c, n)? {
                true => self.plan_num(a, n)?,
                false => self.plan_num(b, n)?,
            },
            Num::Text(t) => Some(Item::String(self.plan_text(t, n)?)),
            Num::Int(i) => Some(Item::Integer(self.plan_int(i, n)?)),
        })
    }

    /// [`Num::Memo`]: the memo holds what the walker computes (the node of a path, the value
    /// of anything else); the plan's value is its atomized form.
    fn plan_memo(&mut self, id: u32, inner: &'a Num, n: XNode<'a>) -> Option<Option<Item<'a>>> {
        match self.memo_lookup(id, Some(n)) {
            Some([]) => return Some(None),
            Some([one]) => return Some(Some(one.atomize())),
            Some(_) => return None, // several items: the walker's error
            None => {}
        }
        let value = match inner {
            Num::Value(p) => self.plan_one(p, n)?.map(Item::Node),
            other => self.plan_num(other, n)?,
        };
        self.memo_store(id, Some(n), value.as_slice());
        Some(value.map(|v| v.atomize()))
    }

    /// [`Test::Quantified`]: the variable bound to each value of the domain in turn, as the
    /// walker binds it, until the condition decides.
    fn plan_quantified(
        &mut self,
        every: bool,
        slot: usize,
        d: &'a Domain,
        cond: &'a Test,
        n: XNode<'a>,
    ) -> Option<bool> {
        let mut values = self.take();
        let r = self.plan_domain(d, n, &mut values).and_then(|()| {
            for v in values.iter() {
                self.bind_one(slot, v.clone());
                if self.plan_test(cond, n)? != every {
                    return Some(!every);
                }
            }
            Some(every)
        });
        self.give(values);
        r
    }

    /// The values of a quantifier's domain, pushed to `out`.
    fn plan_domain(&mut self, d: &'a Domain, n: XNode<'a>, out: &mut Vec<Item<'a>>) -> Option<()> {
        match d {
            Domain::Nodes(p) => {
                let mut nodes = self.take_nodes();
                let r = self.plan_nodes(p, n, &mut nodes);
                out.extend(nodes.iter().map(|m| Item::Node(*m)));
                self.give_nodes(nodes);
                r
            }
            Domain::Num(x) => {
                out.extend(self.plan_num(x, n)?);
                Some(())
            }
        }
    }

    /// A plan's value as an operand of arithmetic or rounding: untyped values are cast to
    /// `xs:double` (as the walker's operands are).
    fn plan_operand(&mut self, x: &'a Num, n: XNode<'a>) -> Option<Option<Item<'a>>> {
        Some(match self.plan_num(x, n)? {
            Some(v @ Item::Untyped(_)) => Some(cast(&v, AtomicType::Double).ok()?),
            other => other,
        })
    }

    fn plan_int(&mut self, x: &'a Int, n: XNode<'a>) -> Option<i64> {
        match x {
            Int::Count(p) => {
                let mut nodes = self.take_nodes();
                let r = self
                    .plan_nodes_or_one(p, n, &mut nodes)
                    .map(|()| nodes.len());
                self.give_nodes(nodes);
                i64::try_from(r?).ok()
            }
            Int::CountMapped(p, e) => {
                let mut nodes = self.take_nodes();
                let r = self.plan_nodes(p, n, &mut nodes).and_then(|()| {
                    let mut k: i64 = 0;
                    for &m in nodes.iter() {
                        k += i64::from(self.plan_num(e, m)?.is_some());
                    }
                    Some(k)
                });
                self.give_nodes(nodes);
                r
            }
            Int::Length(s) => i64::try_from(self.plan_text(s, n)?.chars().count()).ok(),
            Int::Sum(a, b, add) => {
                let (a, b) = (self.plan_int(a, n)?, self.plan_int(b, n)?);
                if *add {
                    a.checked_add(b)
                } else {
                    a.checked_sub(b)
                }
            }
        }
    }

    fn plan_text(&mut self, t: &'a Text, n: XNode<'a>) -> Option<Str<'a>> {
        match t {
            Text::Lit(s) => Some(Str::Borrowed(s)),
            Text::Context => Some(n.string_value()),
            Text::Value(p) => Some(match self.plan_one(p, n)? {
                Some(m) => m.string_value(),
                None => Str::Borrowed(""),
            }),
            Text::Apply(b, s) => Some(apply_string_fn(*b, self.plan_text(s, n)?)),
            _ => self.plan_text_other(t, n),
        }
    }

    #[inline(never)]
    fn plan_text_other(&mut self, t: &'a Text, n: XNode<'a>) -> Option<Str<'a>> {
        Some(match t {
            Text::Name(false) => n.name(),
            Text::Name(true) => Str::Borrowed(n.local_name()),
            Text::Lit(_) | Text::Context | Text::Value(_) | Text::Apply(..) => {
                self.plan_text(t, n)?
            }
            Text::Part(b, s, t) => {
                let s = self.plan_text(s, n)?;
                let t = self.plan_text(t, n)?;
                substring_part(*b, s, &t)
            }
            Text::Concat(parts) => {
                let mut out = String::new();
                for p in parts.iter() {
                    out.push_str(&self.plan_text(p, n)?);
                }
                Str::from(out)
            }
            Text::OfNum(x) => match self.plan_num(x, n)? {
                Some(v) => v.string_value(),
                None => Str::Borrowed(""),
            },
            Text::Substring(s, start, len) => substring_of(self.plan_text(s, n)?, *start, *len),
            Text::Replace(s, re, rep) => {
                let s = self.plan_text(s, n)?;
                match re.get()? {
                    (_, true) => return None, // matches "": the walker's error
                    (regex, false) => Str::from(replace(regex, &s, rep).ok()?),
                }
            }
            Text::JoinCodepoints {
                slot,
                source,
                each,
                sep,
                direct,
            } => {
                let source = self.plan_text(source, n)?;
                let mut out = String::with_capacity(source.len() * 2);
                for (i, c) in source.chars().enumerate() {
                    let v = i64::from(u32::from(c));
                    if i > 0 {
                        out.push_str(sep);
                    }
                    match direct {
                        Some(d) => d.push(v, &mut out)?,
                        None => {
                            self.bind_one(*slot, Item::Integer(v));
                            out.push_str(&self.plan_text(each, n)?);
                        }
                    }
                }
                Str::from(out)
            }
            Text::If(c, a, b) => match self.plan_test(c, n)? {
                true => self.plan_text(a, n)?,
                false => self.plan_text(b, n)?,
            },
            Text::Memo(id, inner) => {
                match self.memo_lookup(*id, Some(n)) {
                    Some([one]) => return Some(one.string_value()),
                    Some(_) => return None,
                    None => {}
                }
                let s = self.plan_text(inner, n)?;
                self.memo_store(*id, Some(n), &[Item::String(s.clone())]);
                s
            }
        })
    }

    /// The start of a path: the context node or the root of its tree.
    fn plan_start(p: &Path, n: XNode<'a>) -> XNode<'a> {
        if p.root {
            n.root()
        } else {
            n
        }
    }

    /// The one node a path selects (`Some(None)`: none; `None`: several).
    fn plan_one(&mut self, p: &'a Path, n: XNode<'a>) -> Option<Option<XNode<'a>>> {
        let mut cur = Self::plan_start(p, n);
        for s in p.steps.iter() {
            if !s.preds.is_empty() {
                return self.plan_one_general(p, n);
            }
            match self.step_one(s.axis, &s.test, cur) {
                Ok(Some(m)) => cur = m,
                Ok(None) => return Some(None),
                Err(()) => return self.plan_one_general(p, n),
            }
        }
        Some(Some(cur))
    }

    fn plan_one_general(&mut self, p: &'a Path, n: XNode<'a>) -> Option<Option<XNode<'a>>> {
        let mut nodes = self.take_nodes();
        let found = self.plan_nodes(p, n, &mut nodes);
        let r = found.and(match *nodes.as_slice() {
            [] => Some(None),
            [one] => Some(Some(one)),
            _ => None,
        });
        self.give_nodes(nodes);
        r
    }

    /// Whether a path selects a node, stopping at the first. As the walker evaluates a path
    /// step by step, the predicates of every step but the last run on all nodes of that step
    /// (one of them may raise an error); without such predicates the search is depth first.
    fn plan_exists(&mut self, p: &'a Path, n: XNode<'a>) -> Option<bool> {
        let start = Self::plan_start(p, n);
        if let ([only], XNode::Node(e), false) = (&*p.steps, start, p.root) {
            // one child step (`cbc:ID`, `*`): the index's table of element children answers
            if only.axis == Axis::Child && only.preds.is_empty() {
                if let Some(found) = self.exists_child(&only.test, e, &[]) {
                    return Some(found);
                }
            }
        }
        let steps = p.steps.iter().map(|s| (s.axis, &s.test, s.preds.len()));
        if self.names_absent(&p.required, start) || self.name_path_absent(start, steps) {
            return Some(false);
        }
        if p.memo.is_some() || !p.few_routes {
            let mut nodes = self.take_nodes();
            let r = self
                .plan_nodes(p, n, &mut nodes)
                .map(|()| !nodes.is_empty());
            self.give_nodes(nodes);
            return r;
        }
        let Some((last, init)) = p.steps.split_last() else {
            return Some(true);
        };
        if init.iter().all(|s| s.preds.is_empty()) {
            return self.plan_exists_from(&p.steps, start);
        }
        let mut nodes = self.take_nodes();
        let mut r = self
            .plan_nodes_from(init, start, &mut nodes)
            .map(|()| false);
        if r == Some(false) {
            for &m in nodes.iter() {
                r = self.plan_exists_from(std::slice::from_ref(last), m);
                if r != Some(false) {
                    break;
                }
            }
        }
        self.give_nodes(nodes);
        r
    }

    /// Depth first: the first node found ends the search.
    fn plan_exists_from(&mut self, steps: &'a [PlanStep], n: XNode<'a>) -> Option<bool> {
        let Some((first, rest)) = steps.split_first() else {
            return Some(true);
        };
        if let (Axis::Child, true, true, XNode::Node(e)) =
            (first.axis, first.preds.is_empty(), rest.is_empty(), n)
        {
            // the last step: the index's table of element children answers
            if let Some(found) = self.exists_child(&first.test, e, &[]) {
                return Some(found);
            }
        }
        let mut buf = self.take_nodes();
        self.candidates(first.axis, &first.test, n, &mut buf);
        if rest.is_empty() && first.preds.iter().all(|p| matches!(p, PlanPred::Test(_))) {
            // the last step without positions: the first node its predicates keep answers
            let r = self.first_kept(first, &buf);
            self.give_nodes(buf);
            return r;
        }
        let mut r = self.plan_filter(first, &mut buf, 0).map(|()| false);
        if r == Some(false) {
            for &m in buf.iter() {
                r = self.plan_exists_from(rest, m);
                if r != Some(false) {
                    break;
                }
            }
        }
        self.give_nodes(buf);
        r
    }

    /// Whether one of `nodes` satisfies all (non-positional) predicates of `s`, in order,
    /// stopping at the first that does.
    fn first_kept(&mut self, s: &'a PlanStep, nodes: &[XNode<'a>]) -> Option<bool> {
        for &m in nodes {
            let mut kept = true;
            for pred in s.preds.iter() {
                let PlanPred::Test(t) = pred else {
                    return None;
                };
                if !self.plan_test(t, m)? {
                    kept = false;
                    break;
                }
            }
            if kept {
                return Some(true);
            }
        }
        Some(false)
    }

    /// [`Ev::plan_nodes`], first trying a walk that stays on single nodes (the common case of
    /// child steps without predicates that find one node each).
    fn plan_nodes_or_one(
        &mut self,
        p: &'a Path,
        n: XNode<'a>,
        out: &mut Vec<XNode<'a>>,
    ) -> Option<()> {
        if p.memo.is_none() && p.steps.iter().all(|s| s.preds.is_empty()) {
            let mut cur = Self::plan_start(p, n);
            let mut single = true;
            for s in p.steps.iter() {
                match self.step_one(s.axis, &s.test, cur) {
                    Ok(Some(m)) => cur = m,
                    Ok(None) => {
                        out.clear();
                        return Some(());
                    }
                    Err(()) => {
                        single = false;
                        break;
                    }
                }
            }
            if single {
                out.clear();
                out.push(cur);
                return Some(());
            }
        }
        self.plan_nodes(p, n, out)
    }

    /// The nodes a path selects (no repetitions when `distinct`, which counting needs;
    /// existence and comparisons do not mind them, nor the order). An absolute path's nodes
    /// come from the document index's memo when the walker or a plan computed them before.
    fn plan_nodes(&mut self, p: &'a Path, n: XNode<'a>, out: &mut Vec<XNode<'a>>) -> Option<()> {
        let start = Self::plan_start(p, n);
        let Some((memo, storable)) = p.memo else {
            return self.plan_nodes_from(&p.steps, start, out);
        };
        if !self.ensure_index(start.document()) {
            return self.plan_nodes_from(&p.steps, start, out);
        }
        if let Some(ix) = self.sc.index.as_ref() {
            out.clear();
            match memo {
                PathMemo::Value(id) => {
                    if let Some(v) = ix.memo.get(&id) {
                        out.extend(v.iter().filter_map(|i| match i {
                            Item::Node(n) => Some(*n),
                            _ => None,
                        }));
                        return Some(());
                    }
                }
                PathMemo::Prefix(id) => {
                    if let Some(v) = ix.prefix_memo.get(&id) {
                        out.extend_from_slice(v);
                        return Some(());
                    }
                }
            }
        }
        self.plan_nodes_from(&p.steps, start, out)?;
        if let (true, Some(ix)) = (storable, self.sc.index.as_mut()) {
            match memo {
                PathMemo::Value(id) => {
                    let v: Rc<[Item<'a>]> = out.iter().map(|n| Item::Node(*n)).collect();
                    ix.memo.insert(id, v);
                }
                PathMemo::Prefix(id) => {
                    ix.prefix_memo.insert(id, Rc::from(out.as_slice()));
                }
            }
        }
        Some(())
    }

    /// The nodes `steps` select from `start`, step by step.
    fn plan_nodes_from(
        &mut self,
        steps: &'a [PlanStep],
        start: XNode<'a>,
        out: &mut Vec<XNode<'a>>,
    ) -> Option<()> {
        out.clear();
        out.push(start);
        let mut next = self.take_nodes();
        let mut r = Some(());
        for s in steps.iter() {
            next.clear();
            for &m in out.iter() {
                let from = next.len();
                self.candidates(s.axis, &s.test, m, &mut next);
                r = self.plan_filter(s, &mut next, from);
                if r.is_none() {
                    break;
                }
            }
            if !matches!(s.axis, Axis::Child | Axis::Attribute | Axis::Self_) && out.len() > 1 {
                // several context nodes on an axis that can reach a node twice: one of each,
                // in document order, as the walker keeps them (and `..//..//…` stays polynomial)
                sort_dedup(&mut next);
            }
            std::mem::swap(out, &mut next);
            if r.is_none() || out.is_empty() {
                break;
            }
        }
        self.give_nodes(next);
        r
    }

    /// Applies a step's predicates to the nodes it selected from one context node
    /// (`nodes[from..]`, in axis order).
    fn plan_filter(
        &mut self,
        s: &'a PlanStep,
        nodes: &mut Vec<XNode<'a>>,
        from: usize,
    ) -> Option<()> {
        for pred in s.preds.iter() {
            match pred {
                PlanPred::Index(k) => {
                    let keep = nodes.get(from + k.checked_sub(1)?).copied();
                    nodes.truncate(from);
                    nodes.extend(keep);
                }
                PlanPred::Test(t) => {
                    let mut kept = from;
                    for i in from..nodes.len() {
                        let m = *nodes.get(i)?;
                        if self.plan_test(t, m)? {
                            if let Some(slot) = nodes.get_mut(kept) {
                                *slot = m;
                            }
                            kept += 1;
                        }
                    }
                    nodes.truncate(kept);
                }
            }
        }
        Some(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::xml::Document;
    use crate::xpath::{DynamicContext, FunctionLibrary, Item, StaticContext, XPath, XPathError};
    use std::sync::Arc;

    /// Repeated names at several levels, two namespaces for one local name, attributes,
    /// whitespace-only and mixed content, CDATA, comments, numbers that are not numbers.
    const DOC: &str = r#"<i:Invoice xmlns:i="urn:i" xmlns:c="urn:c" xmlns:d="urn:d" c:v="1"><c:ID>top</c:ID><c:Note>a  b</c:Note><c:Note> </c:Note><c:Line id="1" unit="C62"><c:ID>1</c:ID><d:ID>other</d:ID><c:Sub><c:ID> nested </c:ID></c:Sub><c:ID>VAT</c:ID><c:Code> vat </c:Code></c:Line><c:Line id="2" unit="H87 X"><!-- c --><c:ID><![CDATA[S]]></c:ID><c:Empty/><c:Blank>
 </c:Blank><c:Amount>10.5</c:Amount></c:Line><c:Line unit=""><c:Mixed>a<c:B>b</c:B>c</c:Mixed><c:Only>x.25</c:Only><c:Code>E</c:Code></c:Line><c:Line><c:Code>a</c:Code><c:Code>b</c:Code><c:Tax><c:ID>vat</c:ID></c:Tax><c:Tax><c:ID>S</c:ID></c:Tax></c:Line></i:Invoice>"#;

    /// Tests with plans; each is evaluated at every node, with and without the plan.
    const PLANNED: &[&str] = &[
        "true() and not(false())",
        "c:ID",
        "not(c:Note)",
        "exists(c:Line/c:Sub/c:ID)",
        "empty(c:Line/c:Nope)",
        "boolean(@id)",
        "exists(i:Invoice/c:Line/c:Sub/c:ID)",
        "not(i:Invoice/c:Line/d:ID/c:X)",
        "exists(//c:Sub)",
        "exists(/i:Invoice/c:Line[c:Empty]/c:Blank)",
        "exists(//c:Line[2]/c:ID)",
        "exists(c:Line[@unit = 'C62'][1])",
        "exists(../c:ID)",
        "exists(ancestor::c:Line)",
        "normalize-space(c:ID) != ''",
        "normalize-space(c:Blank) = ''",
        "normalize-space()",
        "normalize-space(.) = 'VAT'",
        "c:ID = 'VAT'",
        "c:ID != 'VAT'",
        "'VAT' = c:ID",
        "c:ID = ('S', 'VAT')",
        "c:ID < 'B'",
        "'B' < c:ID",
        "@unit = 'C62'",
        "//c:Code = 'E'",
        "normalize-space(upper-case(c:Code)) = 'VAT'",
        "upper-case(normalize-space(c:Code)) = ('VAT', 'E')",
        "lower-case(c:ID) = 'vat'",
        "count(c:Line) = 3",
        "count(c:ID) > 1",
        "count(//c:ID) >= 5",
        "3 = count(c:Line)",
        "count(c:Line/c:ID) <= 4",
        "string-length(c:ID) = 3",
        "string-length() > 2",
        "string-length(substring-after(c:Only, '.')) <= 2",
        "string-length(substring-after(., '.')) <= 2",
        "substring-before(c:Only, '.') = 'x'",
        "contains(c:ID, 'A')",
        "contains(normalize-space(@unit), ' ')",
        "starts-with(c:ID, 'V')",
        "ends-with(string(c:ID), 'T')",
        "contains(' C62 H87 XPP ', concat(' ', normalize-space(@unit), ' '))",
        "not(contains(normalize-space(@unit), ' ')) and contains(' C62 H87 XPP ', concat(' ', normalize-space(@unit), ' '))",
        "not(*) and not(normalize-space())",
        "not(element()) and not(normalize-space())",
        "not(c:ID) or (not(*) and not(normalize-space()))",
        "(not(contains(normalize-space(c:Code), ' ')) and contains(' E S VAT ', concat(' ', normalize-space(c:Code), ' ')))",
        "not(contains(normalize-space(@unit), ' ')) and contains(' C62 1 ', concat(' ', normalize-space(@id), ' '))",
        "not(contains(@unit, ' ')) and contains(' C62 H87 X ', concat(' ', @unit, ' '))",
        "contains(' C62 H87 X XPP ', concat(' ', @unit, ' '))",
        "concat(c:ID, '-', @id) = 'VAT-1'",
        "c:Line[normalize-space(c:ID) = 'S']/c:Amount = '10.5'",
        "exists(c:Line[not(c:Sub)][c:Code = 'E'])",
        "(c:ID = 'top') or (c:ID = 'VAT' and @id = '1')",
        "name() = 'c:Line'",
        "not(name() = 'i:Invoice') and not(*) and not(normalize-space())",
        "ends-with(name(), 'ID') and not(ends-with(local-name(), 'Code'))",
        "local-name() = ('unit', 'Tax')",
        "exists(ancestor::c:Line/c:Sub)",
        "c:Amount > 10",
        "c:Amount = 10.5",
        "10 < c:Line/c:Amount",
        "@id >= 2",
        "c:Line/@id = 2.0e0",
        "c:Line/c:ID > 0",
        "0 > c:Line/c:ID",
        "c:Line/normalize-space(c:ID) = 'S'",
        "c:Tax/upper-case(normalize-space(c:ID)) = ('VAT', 'X')",
        "c:Line[1]/(normalize-space(upper-case(c:Code)) = 'VAT')",
        "c:Tax/(c:ID = 'S')",
        "exists(c:Line[c:Tax/normalize-space(upper-case(c:ID)) = 'VAT'])",
        "c:Line/normalize-space(c:Code)",
        "count(c:Line) + count(c:ID) > 4",
        "count(c:Note) - count(c:Line) = -2",
        "(count(//c:Code) + count(//c:Tax) - count(//c:ID)) >= 0",
        "matches(c:ID, '^V[A-Z]+$')",
        "matches(normalize-space(.), '^\\s*[a-z]', 'i')",
        "exists(c:Line[normalize-space(c:Code) = 'vat'])",
        "exists(c:Line[normalize-space(c:Code) = 'vat']/c:ID)",
        // numbers: casts, arithmetic, rounding, sums (the amount checks of the rules)
        "xs:decimal(c:Amount) > 0",
        "c:Line/xs:decimal(c:Amount) = 10.5",
        "round(xs:decimal(c:Amount) * 10 * 10) div 100 = 10.5",
        "abs(xs:decimal(c:Amount)) - 1 < round(xs:decimal(c:Amount))",
        "xs:decimal(@id) + 1 = 3",
        "-xs:decimal(@id) < -1.5",
        "xs:integer(@id) * 2 = 4",
        "xs:double(c:Amount) = 10.5e0",
        "floor(xs:decimal(c:Amount) div 3) = 3",
        "ceiling(c:Amount) = 11",
        "round-half-to-even(xs:decimal(c:Amount)) = 10",
        "c:Amount + 1 > 11",
        "sum(c:Line/xs:decimal(@id)) = 3",
        "sum(c:Line/@id) > 2",
        "sum(c:Nope) = 0",
        "sum(//c:Line/xs:decimal(@id)) * 2 = 6",
        "exists(c:Line/xs:decimal(c:Amount))",
        "not(exists(c:Line[c:Amount]/xs:decimal(c:Amount)))",
        "empty(xs:decimal(c:Nope))",
        "(xs:decimal(c:Amount) = 10.5) and (round(xs:decimal(@id)) = 2)",
        "xs:decimal(c:Amount) div xs:decimal(@id) = 5.25",
        "xs:decimal(c:Only) = 1",
        "xs:decimal(c:ID) > 0",
        "xs:decimal(.) >= 1",
        "c:Amount/.. > 10",
        // quantifiers over numbers and nodes, their variables in numbers and predicates
        "every $r in xs:decimal(c:Amount) satisfies $r > 10",
        "some $i in c:Line/@id satisfies xs:decimal($i) > 1",
        "every $i in c:Line/@id satisfies xs:decimal($i) > 1",
        "every $r in xs:decimal(c:Amount) satisfies exists(../c:Line[xs:decimal(c:Amount) = $r])",
        "every $r in xs:decimal(c:Line[2]/@id) satisfies sum(c:Line[xs:decimal(@id) = $r]/xs:decimal(@id)) = $r",
        "some $x in c:Note satisfies $x = 5",
        "every $x in c:Nope satisfies $x = 5",
        "c:Line/@id = true()",
        "exists(c:Line[c:Empty = false()])",
        "sum(c:Line/xs:decimal(@id)) > 1 and sum(c:Line/xs:decimal(@id)) < 10",
        "count(../c:Line) = 4",
        "count(../../c:Line/c:ID) >= 1",
        "sum(../c:Line/xs:decimal(@id)) = 3",
        "../../c:Line/c:ID = 'VAT'",
        // string functions of one string: replace, substring, string(number), if, joins over
        // code points (the IBAN check of BR-DE-19), numbers made of them
        "matches(normalize-space(replace(c:ID, '([ \\n\\r\\t\\s])', '')), '^[A-Z]{2,3}$')",
        "replace(c:Code, 'a', 'b') = ' vbt '",
        "replace(c:Code, '(v)(a)', '$2$1') != ''",
        "substring(c:ID, 2) = 'AT'",
        "substring(c:Code, 0, 3) = ' v'",
        "substring(normalize-space(.), 1.5, 2.5) = 'AT'",
        "string(xs:decimal(c:Amount) * 2) = '21'",
        "string(@id) = '2'",
        "string-join(for $c in string-to-codepoints(normalize-space(.)) return string($c - 48), '') = '1'",
        "string-join(for $c in string-to-codepoints(c:Code) return (if ($c > 64) then 'x' else 'y'), '-') = 'y-x-x-x-y'",
        "string-join(for $c in string-to-codepoints(normalize-space(.)) return string($c div 2), ',') = '24.5'",
        "xs:integer(string-join(for $c in string-to-codepoints(normalize-space(c:ID)) return (if ($c > 64) then string($c - 55) else string($c - 48)), '')) mod 97 = 1",
        "concat(upper-case(substring(normalize-space(replace(c:Code, ' ', '')), 1, 2)), substring(normalize-space(replace(c:Code, ' ', '')), 3)) = 'VAt'",
        "xs:integer(concat('1', substring(normalize-space(.), 1, 1))) > 10",
        // value comparisons of counts and lengths; counts of mapped values (`BR-CO-15`:
        // `count(cac:TaxTotal/xs:decimal(cbc:TaxAmount[@currencyID = $c])) eq 1`), also where
        // a value is no number (`abc`: the walker's error) or empty; counts as numbers
        "count(c:Line) eq 4",
        "string-length(c:ID) ne 3",
        "1 lt count(c:Note)",
        "count(c:Line/xs:decimal(c:Amount)) eq 1",
        "count(c:Line/xs:decimal(c:Only)) = 0",
        "count(../c:Line/xs:decimal(@id)) = 2",
        "count(c:Line/normalize-space(c:Code)) = 4",
        "every $u in c:Line/@unit satisfies count(../../c:Line/xs:decimal(c:Amount[../@unit = $u])) eq 1",
        "count(c:Line) = (if (c:ID) then 4 else 0)",
        "count(c:Line[c:Code]) * 2 > string-length(c:ID)",
        "count(c:Line/xs:decimal(@id)) = 2 and sum(c:Line/xs:decimal(@id)) = 3",
        // predicates of a mapped comparison (`[cac:TaxScheme/(cbc:ID = 'VAT')]`, BR-CO-04)
        "exists(c:Line[c:Tax/(normalize-space(upper-case(c:ID)) = 'VAT')])",
        "c:Line[c:ID/(. = 'S')]/c:Amount = '10.5'",
        // `some $v in <constant strings> satisfies x = $v` (the direct-debit context of
        // XRechnung: `tokenize('49 59', '\s')`); also a number compared with the strings (the
        // walker's type error: no plan, below), a separator at the start (an empty first
        // string), literals
        "exists(c:Line[some $code in tokenize('E S', '\\s') satisfies normalize-space(c:Code) = $code])",
        "some $v in tokenize(' vat', ' ') satisfies $v = c:Code",
        "some $v in ('a', 'S') satisfies c:Line/c:ID = $v",
        "some $v in 'E' satisfies normalize-space(c:Line[1]/c:Code) = $v",
        "c:Line[some $v in tokenize('1 2', ' +') satisfies @id = $v]/c:Amount = '10.5'",
    ];

    /// The context items the agreement tests try: every node and attribute of `doc`.
    fn every_node_and_attribute(doc: &Document) -> Vec<XNode<'_>> {
        let mut contexts = Vec::new();
        for n in doc.nodes() {
            contexts.push(XNode::Node(n));
            contexts.extend(n.attributes().map(XNode::Attr));
        }
        contexts
    }

    fn walk<'a>(x: &'a XPath, ctx: &mut DynamicContext<'a>) -> Result<bool, XPathError> {
        let expr = x.expr()?;
        x.run(ctx, |ev, f| ev.ebv(expr, f))
    }

    #[test]
    fn plans_agree_with_the_tree_walker() {
        let doc = Document::parse_default(DOC.as_bytes()).unwrap();
        let mut c = StaticContext::new();
        for (p, ns) in [("i", "urn:i"), ("c", "urn:c"), ("d", "urn:d")] {
            c.bind_namespace(p, ns);
        }
        let contexts = every_node_and_attribute(&doc);
        let (mut answered, mut given_up) = (0, 0);
        for src in PLANNED {
            let answered_before = answered;
            let x = XPath::compile(src, &c).unwrap();
            assert!(compile(x.expr().unwrap()).is_some(), "no plan for {src}");
            for indexed in [false, true] {
                let mut ctx = DynamicContext::for_document(&doc);
                if indexed {
                    ctx.index_document(&doc);
                }
                for &n in &contexts {
                    ctx.set_context_node(n);
                    let walked = walk(&x, &mut ctx);
                    assert_eq!(x.evaluate_boolean(&mut ctx), walked, "{src} at {n:?}");
                    let make = || compile(x.expr().ok()?).map(Box::new);
                    let plan = (x.plan.get(make).or_else(|| x.plan.get(make)))
                        .and_then(Option::as_deref)
                        .unwrap();
                    match x.run(&mut ctx, |ev, _| Ok(ev.plan_test(plan, n))).unwrap() {
                        Some(b) => {
                            assert_eq!(Ok(b), walked, "{src} at {n:?}");
                            answered += 1;
                        }
                        None => given_up += 1,
                    }
                }
            }
            assert!(
                answered > answered_before,
                "the plan of {src} never answers"
            );
        }
        // most answers come from the plans; they give up where the walker raises an error
        // (several nodes as a string argument) and in the cases it alone handles
        assert!(
            answered > 10 * given_up,
            "{answered} answered, {given_up} given up"
        );
    }

    /// The code list rules' `not(contains(x, ' ')) and contains(' A B ', concat(' ', x, ' '))`
    /// compute `x` once — only where both are the same `x` (the answers: above).
    #[test]
    fn code_list_tests_of_one_value_are_one_test() {
        let mut c = StaticContext::new();
        c.bind_namespace("c", "urn:c");
        let plan = |src: &str| compile(XPath::compile(src, &c).unwrap().expr().unwrap());
        let one = "not(contains(normalize-space(@unit), ' ')) and contains(' C62 H87 ', concat(' ', normalize-space(@unit), ' '))";
        assert!(matches!(plan(one), Some(Test::OneCode(..))));
        let two = "not(contains(normalize-space(@unit), ' ')) and contains(' C62 H87 ', concat(' ', normalize-space(@id), ' '))";
        assert!(matches!(plan(two), Some(Test::And(..))));
        let comma = "not(contains(normalize-space(@unit), ',')) and contains(' C62 H87 ', concat(' ', normalize-space(@unit), ' '))";
        assert!(matches!(plan(comma), Some(Test::And(..))));
    }

    /// `not(*) and not(normalize-space())` is one pass over an element's children (the
    /// answers: above), also as a pattern predicate whose shape is known.
    #[test]
    fn empty_element_tests_are_one_test() {
        let c = StaticContext::new();
        let expr = |src: &str| XPath::compile(src, &c).unwrap();
        for src in [
            "not(*) and not(normalize-space())",
            "not(element()) and not(normalize-space())",
        ] {
            let x = expr(src);
            assert!(
                matches!(compile(x.expr().unwrap()), Some(Test::EmptyElement(_))),
                "{src}"
            );
            let given = compile_given_shape(x.expr().unwrap());
            assert!(matches!(given, Some(Test::EmptyElement(_))), "{src}");
        }
        for src in [
            "not(*) and not(normalize-space(..))",
            "not(node()) and not(normalize-space())",
        ] {
            let x = expr(src);
            assert!(
                !matches!(compile(x.expr().unwrap()), Some(Test::EmptyElement(_))),
                "{src}"
            );
        }
    }

    /// Calls of user functions: those with a test plan (typed parameters, a boolean body
    /// without context, also calling another) answer as the walker does, giving up where it
    /// raises an error (an argument that is empty or no number); the others never answer.
    #[test]
    fn user_function_plans_agree_with_the_tree_walker() {
        let doc = Document::parse_default(DOC.as_bytes()).unwrap();
        let mut c = StaticContext::new();
        for (p, ns) in [("i", "urn:i"), ("c", "urn:c"), ("u", "urn:u")] {
            c.bind_namespace(p, ns);
        }
        let f = |name: &str, params: &str, ret: &str, body: &str| {
            format!(
                r#"<xsl:function name="u:{name}"{ret}>{params}<xsl:sequence select="{body}"/></xsl:function>"#
            )
        };
        let dec = |n: &str| format!(r#"<xsl:param name="{n}" as="xs:decimal"/>"#);
        let functions = [
            f(
                "slack",
                &(dec("exp") + &dec("val") + &dec("slack")),
                r#" as="xs:boolean""#,
                "xs:decimal($exp + $slack) &gt;= $val and xs:decimal($exp - $slack) &lt;= $val",
            ),
            f("small", &dec("v"), "", "$v &lt; 100"),
            f(
                "big",
                &dec("v"),
                r#" as="xs:boolean""#,
                "$v &gt; 5 and u:small($v)",
            ),
            // no test plan: an untyped parameter, a number, a body that reads the context
            f("untyped", r#"<xsl:param name="v"/>"#, "", "$v &gt; 5"),
            f("num", &dec("v"), r#" as="xs:decimal""#, "$v + 1"),
            f("ctx", &dec("v"), "", "$v &gt; 5 and exists(c:ID)"),
        ];
        let lib = FunctionLibrary::from_xslt(functions.iter().map(String::as_str), &c).unwrap();
        c.set_functions(Arc::new(lib));
        let planned = [
            "u:slack(c:Amount, 10, 1)",
            "u:slack(xs:decimal(c:Amount), 10.4, 0.2)",
            "u:slack(if (c:Amount) then c:Amount else 0, 10, 1)",
            "not(c:Amount) or u:slack(c:Amount, 10.5, 0)",
            "u:big(c:Amount)",
            "u:big(xs:decimal(c:Amount) * 100)",
            "u:big(@id)",
        ];
        // (an untyped value times 100 is a double, which an xs:decimal parameter rejects)
        let never = [
            "u:untyped(7)",
            "u:num(1) = 2",
            "u:ctx(7)",
            "u:big(c:Amount * 100)",
        ];
        let contexts = every_node_and_attribute(&doc);
        for src in planned.iter().chain(&never) {
            let x = XPath::compile(src, &c).unwrap();
            let plan = compile(x.expr().unwrap());
            let mut ctx = DynamicContext::for_document(&doc);
            ctx.index_document(&doc);
            let mut answered = 0;
            for &n in &contexts {
                ctx.set_context_node(n);
                let walked = walk(&x, &mut ctx);
                assert_eq!(x.evaluate_boolean(&mut ctx), walked, "{src} at {n:?}");
                let Some(plan) = &plan else { continue };
                if let Some(b) = x.run(&mut ctx, |ev, _| Ok(ev.plan_test(plan, n))).unwrap() {
                    assert_eq!(Ok(b), walked, "{src} at {n:?}");
                    answered += 1;
                }
            }
            assert_eq!(
                answered > 0,
                planned.contains(src),
                "{src}: {answered} answers"
            );
        }
    }

    #[test]
    fn plans_give_up_where_the_walker_raises_errors() {
        let doc = Document::parse_default(DOC.as_bytes()).unwrap();
        let mut c = StaticContext::new();
        c.bind_namespace("c", "urn:c");
        c.bind_namespace("i", "urn:i");
        let root = XNode::Node(doc.root_element());
        // the first line matches, a later one raises the error (the walker evaluates the
        // predicates of a step that is not the last on all nodes)
        let x = XPath::compile("exists(c:Line[normalize-space(c:Code) = 'vat'])", &c).unwrap();
        let mut ctx = DynamicContext::for_document(&doc);
        ctx.set_context_node(root);
        assert_eq!(x.evaluate_boolean(&mut ctx), Ok(true));
        for src in [
            "normalize-space(c:Note) = 'x'",
            "string-length(c:Line/c:ID) > 0",
            "contains(c:Line/c:Code, 'E')",
            "c:Line[normalize-space(c:ID) = 'S']",
            "exists(c:Line[normalize-space(c:Code) = 'vat']/c:ID)",
            "c:Line/normalize-space(c:Code) = 'E'",
            "c:Line/normalize-space(c:Code)",
        ] {
            let x = XPath::compile(src, &c).unwrap();
            let mut ctx = DynamicContext::for_document(&doc);
            ctx.set_context_node(root);
            let r = x.evaluate_boolean(&mut ctx);
            assert_eq!(r.map_err(|e| e.code), Err("XPTY0004"), "{src}");
        }
        // a pattern that matches "", a bad replacement: the walker's errors
        for (src, code) in [
            ("replace(c:Code, 'x*', '') = ''", "FORX0003"),
            ("replace(c:Code, 'a', '$') = ''", "FORX0004"),
        ] {
            let x = XPath::compile(src, &c).unwrap();
            let mut ctx = DynamicContext::for_document(&doc);
            for _ in 0..3 {
                ctx.set_context_node(root);
                let r = x.evaluate_boolean(&mut ctx);
                assert_eq!(r.map_err(|e| e.code), Err(code), "{src}");
            }
        }
        // no context item: the walker's error
        let x = XPath::compile("c:ID = 'x'", &c).unwrap();
        let mut ctx = DynamicContext::for_document(&doc);
        ctx.set_context_item(Some(Item::String("s".into())));
        assert_eq!(
            x.evaluate_boolean(&mut ctx).map_err(|e| e.code),
            Err("XPTY0020")
        );
    }

    #[test]
    fn pattern_predicates_match_with_and_without_plans() {
        let doc = Document::parse_default(DOC.as_bytes()).unwrap();
        let mut c = StaticContext::new();
        c.bind_namespace("c", "urn:c");
        for (src, expected) in [
            ("//*[not(*) and not(normalize-space())]", 3),
            (
                "//*[not(name() = 'c:Empty') and not(*) and not(normalize-space())]",
                2,
            ),
            (
                "//*[ends-with(name(), 'ID') and not(ancestor::c:Line/c:Sub)]",
                4,
            ),
            ("c:Line[normalize-space(c:Code) = 'vat']", 1),
            ("c:Line[c:ID = 'S']/c:Amount", 1),
            ("c:Tax[c:ID = ('vat', 'S')]", 2),
            ("*[@unit][count(c:ID) = 2]", 1),
            ("c:Line[c:Code = 'a']", 1), // several Code: not an error here
            ("c:Line[normalize-space(c:Code) = 'a']", 0), // an error: no match
        ] {
            let p = crate::xpath::Pattern::compile(src, &c).unwrap();
            let mut ctx = DynamicContext::for_document(&doc);
            ctx.index_document(&doc);
            let mut counts = Vec::new();
            for on in [true, false] {
                crate::xpath::use_plans(on);
                counts.push(doc.nodes().filter(|n| p.matches_node(*n, &mut ctx)).count());
            }
            crate::xpath::use_plans(true);
            assert_eq!(counts, [expected; 2], "{src}");
        }
    }

    #[test]
    fn value_plans_agree_with_the_tree_walker() {
        let doc = Document::parse_default(DOC.as_bytes()).unwrap();
        let mut c = StaticContext::new();
        c.bind_namespace("c", "urn:c");
        c.bind_namespace("i", "urn:i");
        let with_plan = [
            "if (c:Amount) then xs:decimal(c:Amount) else 0",
            "if (/i:Invoice) then (if (c:Amount) then xs:decimal(c:Amount) else 1) else 2",
            "if (c:Amount and xs:decimal(c:Amount) != 0) then xs:decimal(c:Amount) else 1",
            "round(sum(c:Line[normalize-space(c:Code) = 'E']/@id/xs:decimal(.)) * 10 * 10) div 100",
            "if (c:Line[@unit = 'C62']) then sum(c:Line/xs:decimal(@id)) else 0",
            "xs:decimal(c:Only) + 1",
            "xs:decimal(c:ID) * 2",
            "-xs:integer(@id)",
            "abs(c:Amount - 20)",
        ];
        for src in with_plan {
            let x = XPath::compile(src, &c).unwrap();
            assert!(
                compile_value(x.expr().unwrap()).is_some(),
                "no value plan for {src}"
            );
        }
        // nodes are values of their own: no value plan
        for src in ["if (c:ID) then c:ID else 0", "c:Amount", "(c:Amount)", "."] {
            let x = XPath::compile(src, &c).unwrap();
            assert!(
                compile_value(x.expr().unwrap()).is_none(),
                "a value plan for {src}"
            );
        }
        let mut answered = 0;
        for src in with_plan {
            let answered_before = answered;
            let x = XPath::compile(src, &c).unwrap();
            let plan = compile_value(x.expr().unwrap()).unwrap();
            let mut ctx = DynamicContext::for_document(&doc);
            ctx.index_document(&doc);
            for n in doc.nodes() {
                ctx.set_context_node(XNode::Node(n));
                let mut seen = Vec::new();
                // the plan is made at the second evaluation
                for on in [true, true, true, false] {
                    crate::xpath::use_plans(on);
                    seen.push(format!("{:?}", x.evaluate(&mut ctx).map_err(|e| e.code)));
                }
                crate::xpath::use_plans(true);
                assert!(
                    seen.windows(2).all(|w| w.first() == w.get(1)),
                    "{src}: {seen:?}"
                );
                let n = XNode::Node(n);
                answered += usize::from(
                    x.run(&mut ctx, |ev, _| Ok(ev.plan_num(&plan, n).is_some()))
                        .unwrap(),
                );
            }
            assert!(
                answered > answered_before,
                "the value plan of {src} never answers"
            );
        }
    }

    #[test]
    fn name_conditions_are_left_out_where_the_shape_decided_them() {
        let mut c = StaticContext::new();
        c.bind_namespace("c", "urn:c");
        let pred = |src: &str| {
            let p = crate::xpath::Pattern::compile(src, &c).unwrap();
            let step = p.alts.first().and_then(|a| a.steps.last()).unwrap();
            let e = &step.preds.first().unwrap().expr;
            (compile(e).unwrap(), compile_given_shape(e).unwrap())
        };
        let (any, given) =
            pred("//*[not(name() = 'c:Empty') and not(*) and not(normalize-space())]");
        let three = matches!(&any, Test::And(a, _) if matches!(**a, Test::And(..)));
        assert!(three, "three conjuncts: {any:?}");
        let two = matches!(&given, Test::And(a, b)
            if matches!((&**a, &**b), (Test::Not(_), Test::Not(_))));
        assert!(two, "two are left: {given:?}");
        // a name condition under `or` or `not` is kept
        let (_, given) = pred("*[name() = 'c:ID' or . = 'x']");
        assert!(matches!(given, Test::Or(..)), "{given:?}");
        let (_, given) = pred("*[ends-with(name(), 'ID') and starts-with(local-name(), 'I')]");
        assert!(matches!(given, Test::Const(true)), "{given:?}");
    }

    #[test]
    fn shapes_outside_the_plans_have_none() {
        let mut c = StaticContext::new();
        c.bind_namespace("c", "urn:c");
        c.declare_variable("v");
        for src in [
            "$v = 'x'",
            "every $x in c:ID, $y in c:Note satisfies $x = $y",
            "every $x in c:ID satisfies $x = 'a'",
            "matches(c:ID, $v)",
            "sum((c:Line | c:ID)/@id) = 1",
            "avg(c:Line/@id) = 1",
            "xs:decimal(c:Amount) eq 1",
            "count(c:Line/..) = 1",
            "count(c:Line/c:ID/..) eq 1",
            "(c:ID, c:Note)",
            "c:ID[position() = last()]",
            // a join of items that need not be one string each
            "string-join(for $c in string-to-codepoints(c:Code) return c:ID, '') = ''",
            "string-join(for $c in string-to-codepoints(c:Code) return $c, '') = ''",
            "replace(c:Code, $v, '') = ''",
            // the string compared reads the variable; the sequence is not constant
            "some $x in tokenize('a b', ' ') satisfies concat($x, '') = $x",
            "some $x in tokenize(c:Code, ' ') satisfies c:ID = $x",
            "some $v in tokenize('10.5,1', ',') satisfies xs:decimal(c:Amount) = $v",
        ] {
            let x = XPath::compile(src, &c).unwrap();
            assert!(compile(x.expr().unwrap()).is_none(), "a plan for {src}");
        }
    }
}
