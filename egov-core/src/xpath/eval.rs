//! The tree-walking evaluator. Results are appended to caller-provided buffers drawn from a pool
//! in the [`DynamicContext`](super::DynamicContext), so evaluating a compiled expression
//! allocates (almost) nothing once the pools are warm.

use std::rc::Rc;

use super::ast::CallExtra;
use super::ast::*;
use super::big::BigDecimal;
use super::functions::{self, Builtin};
use super::index::{name_path_step, subtree_end, DocIndex};
use super::regex::RegexCache;
use super::value::*;
use super::xslt::{FunctionLibrary, Instr, UserFunction, VarValue};
use super::{Sequence, XPathError};
use crate::xml::{Document, NodeKind};

/// Reusable buffers of one dynamic context.
#[derive(Default)]
pub(crate) struct Scratch<'a> {
    pub items: Vec<Vec<Item<'a>>>,
    pub nodes: Vec<Vec<XNode<'a>>>,
    pub locals: Vec<Vec<Item<'a>>>,
    pub index: Option<DocIndex<'a>>,
    /// The document asking for an index, and how often it asked.
    pub index_doc: usize,
    pub index_requests: u32,
    /// Values of [`Expr::Memo`] subexpressions: the first `memo_live` entries are of the
    /// current generation (one per subexpression), the others stale buffers for reuse.
    pub memo: Vec<MemoEntry<'a>>,
    /// Set to 0 at each top-level evaluation and each variable binding (a new generation):
    /// the entries before are stale.
    pub memo_live: usize,
}

impl Scratch<'_> {
    /// Starts a new generation of memo entries (see [`Scratch::memo_live`]).
    #[inline]
    pub(crate) fn new_memo_generation(&mut self) {
        self.memo_live = 0;
    }
}

/// Memo entries of one generation beyond this start the generation's table over.
const MAX_MEMO_ENTRIES: usize = 64;

/// The value of one memoized subexpression.
pub(crate) struct MemoEntry<'a> {
    id: u32,
    base: usize,
    ctx: Option<XNode<'a>>,
    value: Vec<Item<'a>>,
}

/// The focus: context item, position and size.
#[derive(Clone)]
pub(crate) struct Focus<'a> {
    pub item: Option<Item<'a>>,
    pub pos: usize,
    pub size: usize,
}

impl<'a> Focus<'a> {
    pub(crate) fn none() -> Self {
        Focus {
            item: None,
            pos: 0,
            size: 0,
        }
    }

    pub(crate) fn node(n: XNode<'a>, pos: usize, size: usize) -> Self {
        Focus {
            item: Some(Item::Node(n)),
            pos,
            size,
        }
    }
}

pub(super) const MAX_CALL_DEPTH: u32 = 256;
/// Most integers `a to b` may add to the sequence being built (which counts what it holds
/// already: `1 to 900000, 1 to 900000` is too much), so that an expression cannot make the
/// evaluator hold gigabytes. Rules count to a few dozen.
const MAX_RANGE: i64 = 1_000_000;

pub(crate) struct Ev<'a, 's> {
    pub vars: &'s [Sequence<'a>],
    pub sc: &'s mut Scratch<'a>,
    pub lib: Option<&'a FunctionLibrary>,
    pub base: usize,
    pub frame_end: usize,
    pub depth: u32,
}

impl<'a, 's> Ev<'a, 's> {
    /// An evaluator for the top level of a compiled expression or pattern that uses `locals`
    /// local-variable slots (grown in `sc` as needed).
    pub(crate) fn top(
        vars: &'s [Sequence<'a>],
        sc: &'s mut Scratch<'a>,
        lib: Option<&'a FunctionLibrary>,
        locals: usize,
    ) -> Self {
        while sc.locals.len() < locals {
            sc.locals.push(Vec::new());
        }
        sc.new_memo_generation();
        Ev {
            vars,
            sc,
            lib,
            base: 0,
            frame_end: locals,
            depth: 0,
        }
    }
}

/// The error of `cast as` an atomic type (without `?`) of the empty sequence.
fn cast_of_empty(ty: AtomicType) -> Box<XPathError> {
    err(
        "XPTY0004",
        format!(
            "an empty sequence is not allowed as the operand of 'cast as {}'",
            ty.name()
        ),
    )
}

/// The context node an axis step starts from (a type error for an atomic context item).
#[inline]
fn context_node<'a>(f: &Focus<'a>) -> R<XNode<'a>> {
    match &f.item {
        Some(Item::Node(n)) => Ok(*n),
        Some(_) => Err(err(
            "XPTY0020",
            "the context item for an axis step is not a node",
        )),
        None => Err(no_focus()),
    }
}

fn no_focus() -> Box<XPathError> {
    err("XPDY0002", "the context item is absent")
}

fn ordinal(i: usize) -> &'static str {
    match i {
        0 => "first",
        1 => "second",
        2 => "third",
        3 => "fourth",
        _ => "an",
    }
}

fn too_many(what: &str) -> Box<XPathError> {
    err(
        "XPTY0004",
        format!("a sequence of more than one item is not allowed as {what}"),
    )
}

fn arg_desc(f: Builtin, i: usize) -> String {
    format!("the {} argument of {}()", ordinal(i), f.name())
}

/// What an operand is, for error messages (formatted only when an error is raised).
#[derive(Clone, Copy)]
pub(crate) enum What {
    Arg(Builtin, usize),
    Text(&'static str),
}

impl std::fmt::Display for What {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Arg(b, i) => write!(f, "the {} argument of {}()", ordinal(*i), b.name()),
            What::Text(t) => f.write_str(t),
        }
    }
}

/// Sorts into document order and removes duplicates (cheap when already sorted).
pub(crate) fn sort_dedup(v: &mut Vec<XNode<'_>>) {
    if v.windows(2).all(|w| match w {
        [a, b] => a.key() < b.key(),
        _ => true,
    }) {
        return;
    }
    v.sort_unstable_by_key(XNode::key);
    v.dedup_by_key(|n| n.key());
}

/// String equality that never calls `memcmp` for empty strings: an empty `Box<str>` has a
/// dangling pointer, and some `memcmp` implementations (AVX-512 masked loads) take a slow
/// fault-suppression assist on it, costing hundreds of nanoseconds per comparison.
#[inline]
pub(crate) fn str_eq(a: &str, b: &str) -> bool {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    // names of equal length mostly differ in their last byte: no call for those
    x.len() == y.len() && (x.is_empty() || (x.last() == y.last() && x == y))
}

/// `fn:contains` on strings: a byte search for one-byte needles, no `memcmp` on empty ones.
pub(super) fn contains_str(s: &str, t: &str) -> bool {
    find_str(s, t).is_some()
}

/// The byte offset of the first occurrence of `t` in `s` (a char boundary: `t` is UTF-8).
fn find_str(s: &str, t: &str) -> Option<usize> {
    match t.as_bytes() {
        [] => Some(0),
        [b] => memchr::memchr(*b, s.as_bytes()),
        n if s.len() < n.len() => None,
        n => memchr::memmem::find(s.as_bytes(), n),
    }
}

pub(super) fn starts_with(s: &str, t: &str) -> bool {
    t.is_empty() || s.get(..t.len()).is_some_and(|p| str_eq(p, t))
}

pub(super) fn ends_with(s: &str, t: &str) -> bool {
    t.is_empty() || (s.len() >= t.len() && s.get(s.len() - t.len()..).is_some_and(|p| str_eq(p, t)))
}

fn kind_matches(k: &KindTest, n: XNode<'_>) -> bool {
    match (k, n) {
        (KindTest::AnyNode, _) => true,
        (KindTest::Attribute, XNode::Attr(_)) => true,
        (_, XNode::Attr(_)) => false,
        (KindTest::Text, XNode::Node(x)) => x.is_text(),
        (KindTest::Comment, XNode::Node(x)) => x.kind() == NodeKind::Comment,
        (KindTest::Pi(t), XNode::Node(x)) => {
            x.kind() == NodeKind::ProcessingInstruction
                && t.as_deref().is_none_or(|t| t == x.pi_target())
        }
        (KindTest::Element, XNode::Node(x)) => x.is_element(),
        (KindTest::Document, XNode::Node(x)) => x.kind() == NodeKind::Document,
        (KindTest::Attribute, XNode::Node(_)) => false,
    }
}

/// Node test with the principal node kind of the axis.
#[inline]
pub(crate) fn test_matches(test: &NodeTest, n: XNode<'_>, attribute_axis: bool) -> bool {
    match test {
        NodeTest::Kind(k) => kind_matches(k, n),
        _ => {
            let principal = match n {
                XNode::Attr(_) => attribute_axis,
                XNode::Node(x) => !attribute_axis && x.is_element(),
            };
            if !principal {
                return false;
            }
            match test {
                NodeTest::Name(ns, local, _, _) => {
                    str_eq(n.local_name(), local) && str_eq(n.namespace(), ns)
                }
                NodeTest::NsWildcard(ns) => str_eq(n.namespace(), ns),
                NodeTest::LocalWildcard(local) => str_eq(n.local_name(), local),
                _ => true,
            }
        }
    }
}

fn skip(n: &crate::xml::Node<'_>) -> bool {
    XNode::is_text_continuation(n)
}

/// Calls `f` for each node of the axis, in axis order, until it returns false.
pub(crate) fn visit_axis<'a>(axis: Axis, node: XNode<'a>, mut f: impl FnMut(XNode<'a>) -> bool) {
    match axis {
        Axis::Self_ => {
            f(node);
        }
        Axis::Child => {
            if let XNode::Node(n) = node {
                for c in n.children() {
                    if !skip(&c) && !f(XNode::Node(c)) {
                        return;
                    }
                }
            }
        }
        Axis::Descendant | Axis::DescendantOrSelf => {
            if axis == Axis::DescendantOrSelf && !f(node) {
                return;
            }
            if let XNode::Node(n) = node {
                for c in n.descendants() {
                    if !skip(&c) && !f(XNode::Node(c)) {
                        return;
                    }
                }
            }
        }
        Axis::Attribute => {
            if let XNode::Node(n) = node {
                for a in n.attributes() {
                    if !f(XNode::Attr(a)) {
                        return;
                    }
                }
            }
        }
        Axis::DescendantOrSelfAttribute => {
            if let XNode::Node(n) = node {
                for a in n.attributes() {
                    if !f(XNode::Attr(a)) {
                        return;
                    }
                }
                for c in n.descendants() {
                    for a in c.attributes() {
                        if !f(XNode::Attr(a)) {
                            return;
                        }
                    }
                }
            }
        }
        Axis::Parent => {
            if let Some(p) = node.parent() {
                f(p);
            }
        }
        Axis::Ancestor | Axis::AncestorOrSelf => {
            if axis == Axis::AncestorOrSelf && !f(node) {
                return;
            }
            let mut cur = node.parent();
            while let Some(p) = cur {
                if !f(p) {
                    return;
                }
                cur = p.parent();
            }
        }
        Axis::FollowingSibling => {
            if let XNode::Node(n) = node {
                let mut cur = n.next_sibling();
                while let Some(s) = cur {
                    if !skip(&s) && !f(XNode::Node(s)) {
                        return;
                    }
                    cur = s.next_sibling();
                }
            }
        }
        Axis::PrecedingSibling => {
            if let XNode::Node(n) = node {
                let mut cur = n.prev_sibling();
                while let Some(s) = cur {
                    if !skip(&s) && !f(XNode::Node(s)) {
                        return;
                    }
                    cur = s.prev_sibling();
                }
            }
        }
        Axis::Following => {
            let start = match node {
                XNode::Node(n) => n,
                XNode::Attr(a) => {
                    let owner = a.owner();
                    for c in owner.descendants() {
                        if !skip(&c) && !f(XNode::Node(c)) {
                            return;
                        }
                    }
                    owner
                }
            };
            let mut cur = Some(start);
            while let Some(x) = cur {
                let mut s = x.next_sibling();
                while let Some(sib) = s {
                    if !skip(&sib) && !f(XNode::Node(sib)) {
                        return;
                    }
                    for c in sib.descendants() {
                        if !skip(&c) && !f(XNode::Node(c)) {
                            return;
                        }
                    }
                    s = sib.next_sibling();
                }
                cur = x.parent();
            }
        }
        Axis::Preceding => {
            let target = match node {
                XNode::Node(n) => n,
                XNode::Attr(a) => a.owner(),
            };
            let doc = target.document();
            let limit = target.id().index();
            let mut before: Vec<crate::xml::Node<'a>> = doc
                .nodes()
                .skip(1)
                .take(limit.saturating_sub(1))
                .filter(|p| !skip(p) && !p.is_ancestor_of(target))
                .collect();
            before.reverse();
            for p in before {
                if !f(XNode::Node(p)) {
                    return;
                }
            }
        }
    }
}

fn literal<'a>(l: &'a Literal) -> R<Item<'a>> {
    Ok(match l {
        Literal::String(s) => Item::String(Str::Borrowed(s)),
        Literal::Integer(i) => Item::Integer(*i),
        Literal::Decimal(d) => Item::Decimal(*d),
        Literal::Double(d) => Item::Double(*d),
        Literal::BigNumber(s, integer) => {
            let b = BigDecimal::parse(s)
                .ok_or_else(|| err("FOAR0002", format!("numeric literal {s} out of range")))?;
            if *integer {
                Item::BigInteger(Rc::new(b))
            } else {
                Item::BigDecimal(Rc::new(b))
            }
        }
    })
}

/// Zero, one, or more items (the latter with the evaluated sequence).
pub(crate) enum One<'a> {
    Empty,
    Item(Item<'a>),
    Many(Vec<Item<'a>>),
}

/// Effective boolean value of a sequence.
pub(crate) fn ebv_of(v: &[Item<'_>]) -> R<bool> {
    match v {
        [] => Ok(false),
        [Item::Node(_), ..] => Ok(true),
        [one] => one.atomic_ebv(),
        _ => Err(err(
            "FORG0006",
            "effective boolean value is not defined for a sequence of two or more items starting with an atomic value",
        )),
    }
}

impl<'a, 's> Ev<'a, 's> {
    pub(super) fn take(&mut self) -> Vec<Item<'a>> {
        self.sc.items.pop().unwrap_or_default()
    }

    pub(super) fn give(&mut self, mut v: Vec<Item<'a>>) {
        v.clear();
        if self.sc.items.len() < 64 {
            self.sc.items.push(v);
        }
    }

    pub(super) fn take_nodes(&mut self) -> Vec<XNode<'a>> {
        self.sc.nodes.pop().unwrap_or_default()
    }

    pub(super) fn give_nodes(&mut self, mut v: Vec<XNode<'a>>) {
        v.clear();
        if self.sc.nodes.len() < 64 {
            self.sc.nodes.push(v);
        }
    }

    fn root(&self, f: &Focus<'a>) -> R<XNode<'a>> {
        match &f.item {
            Some(Item::Node(n)) => Ok(n.root()),
            Some(_) => Err(err("XPTY0020", "the context item for '/' is not a node")),
            None => Err(no_focus()),
        }
    }

    fn bind(&mut self, slot: usize, items: &[Item<'a>]) {
        self.sc.new_memo_generation();
        let idx = self.base + slot;
        while self.sc.locals.len() <= idx {
            self.sc.locals.push(Vec::new());
        }
        if let Some(v) = self.sc.locals.get_mut(idx) {
            v.clear();
            v.extend_from_slice(items);
        }
    }

    pub(super) fn bind_one(&mut self, slot: usize, item: Item<'a>) {
        self.sc.new_memo_generation();
        let idx = self.base + slot;
        while self.sc.locals.len() <= idx {
            self.sc.locals.push(Vec::new());
        }
        if let Some(v) = self.sc.locals.get_mut(idx) {
            v.clear();
            v.push(item);
        }
    }

    /// The value of a variable (empty when the slot has none).
    pub(super) fn var_items(&self, v: VarRef) -> &[Item<'a>] {
        match v {
            VarRef::External(i) => self.vars.get(i).map_or(&[], Vec::as_slice),
            VarRef::Local(i) => self.sc.locals.get(self.base + i).map_or(&[], Vec::as_slice),
        }
    }

    fn push_var(&mut self, v: VarRef, out: &mut Vec<Item<'a>>) -> R<()> {
        match v {
            VarRef::External(i) => {
                let seq = self
                    .vars
                    .get(i)
                    .ok_or_else(|| err("XPDY0002", format!("variable slot {i} has no value")))?;
                out.extend_from_slice(seq);
            }
            VarRef::Local(i) => {
                if let Some(seq) = self.sc.locals.get(self.base + i) {
                    out.extend_from_slice(seq);
                }
            }
        }
        Ok(())
    }

    /// The memo key of the focus: the context node (`None` without a context item);
    /// `Err(())` when the context item is atomic (not memoized).
    fn memo_ctx(f: &Focus<'a>) -> Result<Option<XNode<'a>>, ()> {
        match &f.item {
            None => Ok(None),
            Some(Item::Node(n)) => Ok(Some(*n)),
            Some(_) => Err(()),
        }
    }

    /// The memoized value of subexpression `id` for this focus, bindings and frame.
    pub(super) fn memo_lookup(&self, id: u32, ctx: Option<XNode<'a>>) -> Option<&[Item<'a>]> {
        let base = self.base;
        (self.sc.memo.get(..self.sc.memo_live)?)
            .iter()
            .find(|m| m.id == id)
            .filter(|m| m.base == base && m.ctx == ctx)
            .map(|m| m.value.as_slice())
    }

    pub(super) fn memo_store(&mut self, id: u32, ctx: Option<XNode<'a>>, value: &[Item<'a>]) {
        let (live, base) = (self.sc.memo_live, self.base);
        let memo = &mut self.sc.memo;
        // the live entry of this id, else the first stale one (its buffer is reused)
        let at = match memo
            .get(..live)
            .and_then(|l| l.iter().position(|m| m.id == id))
        {
            Some(p) => p,
            None if live < MAX_MEMO_ENTRIES => live,
            None => 0,
        };
        if at >= memo.len() {
            memo.push(MemoEntry {
                id,
                base,
                ctx,
                value: Vec::new(),
            });
        }
        if let Some(m) = memo.get_mut(at) {
            m.id = id;
            m.base = base;
            m.ctx = ctx;
            m.value.clear();
            m.value.extend_from_slice(value);
        }
        self.sc.memo_live = if at < live { live } else { at + 1 };
    }

    /// Evaluates `e`, appending its items to `out`.
    pub(crate) fn eval(&mut self, e: &'a Expr, f: &Focus<'a>, out: &mut Vec<Item<'a>>) -> R<()> {
        match e {
            Expr::Literal(l) => out.push(literal(l)?),
            Expr::ContextItem => out.push(f.item.clone().ok_or_else(no_focus)?),
            Expr::Root => {
                let r = self.root(f)?;
                out.push(Item::Node(r));
            }
            Expr::Var(v) => self.push_var(*v, out)?,
            Expr::Path(p) => {
                self.path(p, f, out, false)?;
            }
            Expr::Filter(inner, preds) => {
                let start = out.len();
                self.eval(inner, f, out)?;
                for p in preds {
                    self.filter_items(p, out, start)?;
                }
            }
            Expr::Seq(items) => {
                for x in items {
                    self.eval(x, f, out)?;
                }
            }
            Expr::Range(a, b) => {
                let lo = self.integer_operand(a, f)?;
                let hi = self.integer_operand(b, f)?;
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    if hi >= lo {
                        let held = i64::try_from(out.len()).unwrap_or(i64::MAX);
                        if hi.saturating_sub(lo).saturating_add(held) >= MAX_RANGE {
                            return Err(err("FOAR0002", "range too large"));
                        }
                        out.extend((lo..=hi).map(Item::Integer));
                    }
                }
            }
            Expr::Or(..)
            | Expr::And(..)
            | Expr::GeneralCmp(..)
            | Expr::NodeCmp(..)
            | Expr::Quantified { .. }
            | Expr::Castable(..)
            | Expr::InstanceOf(..) => {
                let b = self.ebv(e, f)?;
                out.push(Item::Boolean(b));
            }
            Expr::ValueCmp(op, a, b) => {
                if let Some(r) = self.value_cmp(*op, a, b, f)? {
                    out.push(Item::Boolean(r));
                }
            }
            Expr::Arith(op, a, b) => {
                let Some(x) = self.arith_operand(a, f)? else {
                    return Ok(());
                };
                let Some(y) = self.arith_operand(b, f)? else {
                    return Ok(());
                };
                out.push(arith(*op, &x, &y)?);
            }
            Expr::Neg(a) => {
                if let Some(x) = self.arith_operand(a, f)? {
                    out.push(negate(&x)?);
                }
            }
            Expr::UnaryPlus(a) => {
                if let Some(x) = self.arith_operand(a, f)? {
                    if !x.is_numeric() {
                        return Err(err("XPTY0004", "unary plus needs a number"));
                    }
                    out.push(x);
                }
            }
            Expr::If(c, t, el) => {
                if self.ebv(c, f)? {
                    self.eval(t, f, out)?;
                } else {
                    self.eval(el, f, out)?;
                }
            }
            Expr::For { bindings, ret } => self.for_rec(bindings, ret, f, out)?,
            Expr::Union(a, b) | Expr::Intersect(a, b) | Expr::Except(a, b) => {
                let mut x = self.take_nodes();
                let mut y = self.take_nodes();
                self.nodes_of(a, f, &mut x)?;
                self.nodes_of(b, f, &mut y)?;
                match e {
                    Expr::Union(..) => {
                        x.extend_from_slice(&y);
                        sort_dedup(&mut x);
                    }
                    Expr::Intersect(..) => {
                        sort_dedup(&mut y);
                        x.retain(|n| y.binary_search_by_key(&n.key(), XNode::key).is_ok());
                        sort_dedup(&mut x);
                    }
                    _ => {
                        sort_dedup(&mut y);
                        x.retain(|n| y.binary_search_by_key(&n.key(), XNode::key).is_err());
                        sort_dedup(&mut x);
                    }
                }
                out.extend(x.iter().map(|n| Item::Node(*n)));
                self.give_nodes(x);
                self.give_nodes(y);
            }
            Expr::Call(b, args, rc) => {
                if let Some(i) = self.call(*b, args, rc.as_deref(), f, out)? {
                    out.push(i);
                }
            }
            Expr::UserCall(i, args) => self.user_call(*i, args, f, out)?,
            Expr::NameOnly(inner, _) => self.eval(inner, f, out)?,
            Expr::Memo(inner, id) => {
                let Ok(ctx) = Self::memo_ctx(f) else {
                    return self.eval(inner, f, out);
                };
                if let Some(v) = self.memo_lookup(*id, ctx) {
                    out.extend_from_slice(v);
                    return Ok(());
                }
                let start = out.len();
                self.eval(inner, f, out)?;
                self.memo_store(*id, ctx, out.get(start..).unwrap_or_default());
            }
            Expr::Cast(a, ty, opt) => {
                match self.atom_opt(a, f, What::Text("the operand of 'cast as'"))? {
                    Some(v) => out.push(cast(&v, *ty)?),
                    None if *opt => {}
                    None => return Err(cast_of_empty(*ty)),
                }
            }
            Expr::Treat(a, ty) => {
                let mut tmp = self.take();
                self.eval(a, f, &mut tmp)?;
                if !matches_type(&tmp, ty) {
                    return Err(err("XPDY0050", "value does not match the 'treat as' type"));
                }
                out.append(&mut tmp);
                self.give(tmp);
            }
        }
        Ok(())
    }

    /// Nodes of `e` (type error for atomic values), in document order.
    fn nodes_of(&mut self, e: &'a Expr, f: &Focus<'a>, out: &mut Vec<XNode<'a>>) -> R<()> {
        if let Expr::Path(p) = e {
            if let (PathStart::Context, [step]) = (&p.start, &*p.steps) {
                if let StepKind::Axis(axis, test) = &step.kind {
                    // one axis step from the context node (e.g. the operands of `//(a | b)`):
                    // straight into the node buffer, already in document order
                    let n = context_node(f)?;
                    return self.axis_step(*axis, test, &step.preds, n, out, false);
                }
            }
            let mut tmp = self.take();
            self.path(p, f, &mut tmp, false)?;
            for it in tmp.drain(..) {
                match it {
                    Item::Node(n) => out.push(n),
                    other => {
                        return Err(err(
                            "XPTY0004",
                            format!("a node is required, not {}", other.type_name()),
                        ))
                    }
                }
            }
            self.give(tmp);
            return Ok(());
        }
        let mut tmp = self.take();
        self.eval(e, f, &mut tmp)?;
        for it in tmp.drain(..) {
            match it {
                Item::Node(n) => out.push(n),
                other => {
                    return Err(err(
                        "XPTY0004",
                        format!("a node is required, not {}", other.type_name()),
                    ))
                }
            }
        }
        self.give(tmp);
        sort_dedup(out);
        Ok(())
    }

    /// Effective boolean value of `e`, short-circuiting where possible.
    ///
    /// A small dispatcher for the connectives and existence tests that make up most of a
    /// schematron test (cheap to enter, so nesting costs little); everything else goes to
    /// [`Ev::ebv_general`].
    pub(crate) fn ebv(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<bool> {
        match e {
            Expr::Or(a, b) => Ok(self.ebv(a, f)? || self.ebv(b, f)?),
            Expr::And(a, b) => Ok(self.ebv(a, f)? && self.ebv(b, f)?),
            Expr::Call(Builtin::Not, args, _) => match args.first() {
                Some(Expr::Path(p)) if p.exists_simple => Ok(!self.exists_simple(p, f)?),
                Some(Expr::Call(Builtin::NormalizeSpace, args, _)) => {
                    Ok(!self.has_content(args, f)?)
                }
                Some(a) => Ok(!self.ebv(a, f)?),
                None => Ok(true),
            },
            Expr::Path(p) if p.exists_simple => self.exists_simple(p, f),
            Expr::GeneralCmp(op, a, b) => self.general_cmp(*op, a, b, f),
            _ => self.ebv_general(e, f),
        }
    }

    /// The effective boolean value of `normalize-space(…)`: whether there is non-space content.
    #[inline(never)]
    fn has_content(&mut self, args: &'a [Expr], f: &Focus<'a>) -> R<bool> {
        if args.is_empty() {
            // the context node's string value (the common leaf shapes without building a Str)
            if let Some(Item::Node(XNode::Node(n))) = &f.item {
                if n.is_element() {
                    if let Some(c) = n.first_child() {
                        if c.is_text() && c.next_sibling().is_none() {
                            return Ok(functions::has_content(c.value()));
                        }
                    }
                }
            }
        }
        let s = self.str_arg_or_context(Builtin::NormalizeSpace, args, f)?;
        Ok(functions::has_content(&s))
    }

    /// Whether a path of predicate-free axis steps from the context item or root has a result.
    fn exists_simple(&mut self, p: &'a PathExpr, f: &Focus<'a>) -> R<bool> {
        let start = match p.start {
            PathStart::Root => self.root(f)?,
            _ => context_node(f)?,
        };
        // one child step (`cbc:ID`, `*`): the table of element children answers
        if let ([step], XNode::Node(n)) = (&*p.steps, start) {
            if let StepKind::Axis(Axis::Child, test) = &step.kind {
                if let Some(found) = self.exists_child(test, n, &[]) {
                    return Ok(found);
                }
            }
        }
        if self.names_absent(&p.required, start) || self.child_path_absent(start, &p.steps, &[]) {
            return Ok(false);
        }
        Ok(self.exists_dfs(&p.steps, start))
    }

    /// True when the steps `first` then `rest` certainly select nothing from `start` because
    /// their leading child steps with name tests lead to a name path no element of the
    /// document has (see [`DocIndex::may_have_name_path`]). The leading steps end with the first
    /// one that has predicates: a predicate only runs on nodes that exist, but one that does
    /// run may raise an error, so the steps after it must be evaluated. False when unsure, and
    /// for a single leading step (the table of element children answers that as fast).
    fn child_path_absent(&mut self, start: XNode<'a>, first: &'a [Step], rest: &'a [Step]) -> bool {
        let steps = first.iter().chain(rest).map_while(|s| match &s.kind {
            StepKind::Axis(axis, test) => Some((*axis, test, s.preds.len())),
            StepKind::Expr(_) => None,
        });
        self.name_path_absent(start, steps)
    }

    /// [`Ev::child_path_absent`] of steps given as (axis, node test, number of predicates).
    pub(super) fn name_path_absent<'t>(
        &mut self,
        start: XNode<'a>,
        steps: impl Iterator<Item = (Axis, &'t NodeTest, usize)>,
    ) -> bool {
        let XNode::Node(n) = start else {
            return false;
        };
        let Some(ix) = self
            .sc
            .index
            .as_mut()
            .filter(|ix| std::ptr::eq(ix.doc, n.document()))
        else {
            return false;
        };
        let Some(mut h) = ix.name_path_of(n.id().index()) else {
            return false;
        };
        let mut count = 0;
        for (axis, test, preds) in steps {
            let (Axis::Child, NodeTest::Name(ns, local, id, ns_id)) = (axis, test) else {
                break;
            };
            let Some((name, key)) = ix.name_key(*id, local, *ns_id, ns) else {
                return true; // no element of that name at all
            };
            h = name_path_step(h, name, key);
            count += 1;
            if preds > 0 {
                break;
            }
        }
        count >= 2 && !ix.may_have_name_path(h)
    }

    /// True when a path from a union of child paths (`(a|b)/c/d`, each alternative relative to
    /// the context node) certainly selects nothing (see [`Ev::child_path_absent`]).
    fn union_path_absent(&mut self, p: &'a PathExpr, f: &Focus<'a>) -> bool {
        let (PathStart::Expr(alts), Some(Item::Node(start))) = (&p.start, &f.item) else {
            return false;
        };
        let start = *start;
        self.alternatives_absent(alts, start, &p.steps)
    }

    fn alternatives_absent(&mut self, e: &'a Expr, start: XNode<'a>, rest: &'a [Step]) -> bool {
        match e {
            Expr::Union(a, b) => {
                self.alternatives_absent(a, start, rest) && self.alternatives_absent(b, start, rest)
            }
            Expr::Path(q) if matches!(q.start, PathStart::Context) => {
                self.child_path_absent(start, &q.steps, rest)
            }
            _ => false,
        }
    }

    /// [`Ev::ebv`] for the expressions its dispatcher does not handle itself.
    #[inline(never)]
    fn ebv_general(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<bool> {
        match e {
            Expr::GeneralCmp(op, a, b) => self.general_cmp(*op, a, b, f),
            Expr::ValueCmp(op, a, b) => Ok(self.value_cmp(*op, a, b, f)?.unwrap_or(false)),
            Expr::NodeCmp(op, a, b) => {
                let x = self.node_opt(a, f)?;
                let y = self.node_opt(b, f)?;
                Ok(match (x, y) {
                    (Some(x), Some(y)) => match op {
                        NodeCmpOp::Is => x == y,
                        NodeCmpOp::Precedes => x.key() < y.key(),
                        NodeCmpOp::Follows => x.key() > y.key(),
                    },
                    _ => false,
                })
            }
            Expr::Quantified {
                every,
                bindings,
                cond,
            } => self.quantified(*every, bindings, cond, f),
            Expr::Path(p) if p.exists_simple => self.exists_simple(p, f),
            Expr::Path(p) if matches!(p.steps.last(), Some(s) if matches!(s.kind, StepKind::Axis(..))) =>
            {
                if self.union_path_absent(p, f) {
                    return Ok(false);
                }
                let mut dummy = Vec::new();
                self.path(p, f, &mut dummy, true)
            }
            Expr::Call(Builtin::Boolean, args, _) => match args.first() {
                Some(a) => self.ebv(a, f),
                None => Ok(false),
            },
            Expr::Call(Builtin::Exists, args, _) => match args.first() {
                Some(a) => self.exists(a, f),
                None => Ok(false),
            },
            Expr::Call(Builtin::Empty, args, _) => match args.first() {
                Some(a) => Ok(!self.exists(a, f)?),
                None => Ok(true),
            },
            Expr::Call(Builtin::True, _, _) => Ok(true),
            Expr::Call(Builtin::False, _, _) => Ok(false),
            Expr::NameOnly(inner, id) => {
                let Some(Item::Node(XNode::Node(n))) = &f.item else {
                    return self.ebv(inner, f);
                };
                let n = *n;
                let cached = self
                    .sc
                    .index
                    .as_ref()
                    .filter(|ix| std::ptr::eq(ix.doc, n.document()))
                    .and_then(|ix| {
                        let k = ix.name_of(n.id().index())?;
                        Some((k, ix.name_memo.get(&(*id, k)).copied()))
                    });
                match cached {
                    Some((_, Some((prefix, v)))) if prefix == n.prefix() => Ok(v),
                    Some((k, None)) => {
                        let v = self.ebv(inner, f)?;
                        if let Some(ix) = self.sc.index.as_mut() {
                            ix.name_memo.insert((*id, k), (n.prefix(), v));
                        }
                        Ok(v)
                    }
                    _ => self.ebv(inner, f),
                }
            }
            Expr::Call(Builtin::NormalizeSpace, args, _) => self.has_content(args, f),
            Expr::Call(b @ (Builtin::StartsWith | Builtin::EndsWith), args, _) => {
                let s = self.str_arg(*b, args, 0, f)?;
                let t = self.str_arg(*b, args, 1, f)?;
                Ok(if *b == Builtin::StartsWith {
                    starts_with(&s, &t)
                } else {
                    ends_with(&s, &t)
                })
            }
            // a plain substring test (a code list has its own path in `call`)
            Expr::Call(Builtin::Contains, args, rc)
                if rc.as_ref().is_none_or(|x| x.tokens.is_none()) =>
            {
                let s = self.str_arg(Builtin::Contains, args, 0, f)?;
                let t = self.str_arg(Builtin::Contains, args, 1, f)?;
                Ok(contains_str(&s, &t))
            }
            Expr::Call(b, args, rc) if b.single_valued(args.len()) => {
                match self.call(*b, args, rc.as_deref(), f, &mut Vec::new())? {
                    Some(i) => i.atomic_ebv(),
                    None => Ok(false),
                }
            }
            Expr::Castable(a, ty, opt) => {
                let mut tmp = self.take();
                self.eval(a, f, &mut tmp)?;
                let r = match tmp.as_slice() {
                    [] => *opt,
                    [one] => cast(&one.atomize(), *ty).is_ok(),
                    _ => false,
                };
                self.give(tmp);
                Ok(r)
            }
            Expr::InstanceOf(a, ty) => {
                let mut tmp = self.take();
                self.eval(a, f, &mut tmp)?;
                let r = matches_type(&tmp, ty);
                self.give(tmp);
                Ok(r)
            }
            Expr::If(c, t, el) => {
                if self.ebv(c, f)? {
                    self.ebv(t, f)
                } else {
                    self.ebv(el, f)
                }
            }
            _ => {
                let mut tmp = self.take();
                self.eval(e, f, &mut tmp)?;
                let r = ebv_of(&tmp);
                self.give(tmp);
                r
            }
        }
    }

    /// True when one of the element names does not occur in the node's document (the index
    /// must be there already).
    pub(super) fn names_absent(
        &mut self,
        names: &'a [(std::sync::Arc<str>, u32)],
        node: XNode<'a>,
    ) -> bool {
        if names.is_empty() {
            return false;
        }
        let doc = node.document();
        match self.sc.index.as_mut() {
            Some(ix) if std::ptr::eq(ix.doc, doc) => {
                names.iter().any(|(l, id)| ix.named(*id, l).is_empty())
            }
            _ => false,
        }
    }

    /// Whether a path of predicate-free axis steps has a result from `node`.
    fn exists_dfs(&mut self, steps: &'a [Step], node: XNode<'a>) -> bool {
        let Some((first, rest)) = steps.split_first() else {
            return true;
        };
        let StepKind::Axis(axis, test) = &first.kind else {
            return false;
        };
        if let (Axis::Child, XNode::Node(n)) = (axis, node) {
            if let Some(found) = self.exists_child(test, n, rest) {
                return found;
            }
        }
        if rest.is_empty() && !matches!(test, NodeTest::Name(..)) {
            let attr = axis.is_attribute();
            let mut found = false;
            visit_axis(*axis, node, |n| {
                found = test_matches(test, n, attr);
                !found
            });
            return found;
        }
        let mut buf = self.take_nodes();
        self.candidates(*axis, test, node, &mut buf);
        let found = if rest.is_empty() {
            !buf.is_empty()
        } else {
            let mut found = false;
            for c in buf.iter() {
                if self.exists_dfs(rest, *c) {
                    found = true;
                    break;
                }
            }
            found
        };
        self.give_nodes(buf);
        found
    }

    /// [`Ev::exists_dfs`] for a first step `child::name`, `child::*` or `child::element()`,
    /// from the index's table of element children; `None` without the index or for other tests.
    pub(super) fn exists_child(
        &mut self,
        test: &'a NodeTest,
        n: crate::xml::Node<'a>,
        rest: &'a [Step],
    ) -> Option<bool> {
        let ix = self
            .sc
            .index
            .as_mut()
            .filter(|ix| std::ptr::eq(ix.doc, n.document()))?;
        let key = match test {
            NodeTest::Any | NodeTest::Kind(KindTest::Element) => None,
            NodeTest::Name(ns, local, id, ns_id) => match ix.name_key(*id, local, *ns_id, ns) {
                Some(k) => Some(k),
                None => return Some(false),
            },
            _ => return None,
        };
        let range = ix.kids_range(n.id().index());
        for i in range {
            let Some(k) = self.sc.index.as_ref().and_then(|ix| ix.kid(i)) else {
                break;
            };
            if key.is_none_or(|(name, ns)| k.name == name && k.ns == ns)
                && (rest.is_empty() || self.exists_dfs(rest, XNode::Node(k.node)))
            {
                return Some(true);
            }
        }
        Some(false)
    }

    fn exists(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<bool> {
        if let Expr::Path(p) = e {
            if p.exists_simple {
                return self.ebv(e, f);
            }
            if self.union_path_absent(p, f) {
                return Ok(false);
            }
            let mut dummy = Vec::new();
            return self.path(p, f, &mut dummy, true);
        }
        let mut tmp = self.take();
        self.eval(e, f, &mut tmp)?;
        let r = !tmp.is_empty();
        self.give(tmp);
        Ok(r)
    }

    fn node_opt(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<Option<XNode<'a>>> {
        let mut tmp = self.take();
        self.eval(e, f, &mut tmp)?;
        let r = match tmp.as_slice() {
            [] => None,
            [Item::Node(n)] => Some(*n),
            [_] => return Err(err("XPTY0004", "a node is required")),
            _ => return Err(too_many("an operand of a node comparison")),
        };
        self.give(tmp);
        Ok(r)
    }

    /// Evaluates an expression expected to yield zero or one item, without a sequence buffer
    /// where possible.
    pub(crate) fn eval_one(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<One<'a>> {
        match e {
            Expr::Literal(l) => return Ok(One::Item(literal(l)?)),
            Expr::ContextItem => return Ok(One::Item(f.item.clone().ok_or_else(no_focus)?)),
            Expr::Var(v) => {
                return Ok(match self.var_items(*v) {
                    [] => One::Empty,
                    [x] => One::Item(x.clone()),
                    more => {
                        let v = more.to_vec();
                        One::Many(v)
                    }
                });
            }
            Expr::Path(p) if p.simple => {
                if let Some(one) = self.simple_path_one(p, f)? {
                    return Ok(one);
                }
            }
            Expr::Memo(inner, id) => {
                let Ok(ctx) = Self::memo_ctx(f) else {
                    return self.eval_one(inner, f);
                };
                if let Some(v) = self.memo_lookup(*id, ctx) {
                    return Ok(match v {
                        [] => One::Empty,
                        [x] => One::Item(x.clone()),
                        more => One::Many(more.to_vec()),
                    });
                }
                let r = self.eval_one(inner, f)?;
                match &r {
                    One::Empty => self.memo_store(*id, ctx, &[]),
                    One::Item(x) => self.memo_store(*id, ctx, std::slice::from_ref(x)),
                    One::Many(v) => self.memo_store(*id, ctx, v),
                }
                return Ok(r);
            }
            Expr::Call(b, args, rc) if b.single_valued(args.len()) => {
                return Ok(
                    match self.call(*b, args, rc.as_deref(), f, &mut Vec::new())? {
                        Some(i) => One::Item(i),
                        None => One::Empty,
                    },
                );
            }
            Expr::Arith(..) | Expr::Neg(_) | Expr::Cast(..) | Expr::If(..) => {
                return self.eval_one_scalar(e, f)
            }
            _ => {}
        }
        let mut tmp = self.take();
        self.eval(e, f, &mut tmp)?;
        Ok(match tmp.len() {
            0 => {
                self.give(tmp);
                One::Empty
            }
            1 => {
                let x = tmp.pop().map_or(One::Empty, One::Item);
                self.give(tmp);
                x
            }
            _ => One::Many(tmp),
        })
    }

    /// [`Ev::eval_one`] of arithmetic, casts and conditionals: the steps of [`Ev::eval`] for
    /// them, without a sequence buffer.
    fn eval_one_scalar(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<One<'a>> {
        let item = match e {
            Expr::Arith(op, a, b) => match self.arithmetic(*op, a, b, f)? {
                Some(v) => v,
                None => return Ok(One::Empty),
            },
            Expr::Neg(a) => match self.arith_operand(a, f)? {
                Some(x) => negate(&x)?,
                None => return Ok(One::Empty),
            },
            Expr::Cast(a, ty, opt) => {
                match self.atom_opt(a, f, What::Text("the operand of 'cast as'"))? {
                    Some(v) => cast(&v, *ty)?,
                    None if *opt => return Ok(One::Empty),
                    None => return Err(cast_of_empty(*ty)),
                }
            }
            Expr::If(c, t, el) => {
                return if self.ebv(c, f)? {
                    self.eval_one(t, f)
                } else {
                    self.eval_one(el, f)
                };
            }
            _ => {
                let mut tmp = self.take();
                self.eval(e, f, &mut tmp)?;
                return Ok(match tmp.len() {
                    0 | 1 => {
                        let x = tmp.pop().map_or(One::Empty, One::Item);
                        self.give(tmp);
                        x
                    }
                    _ => One::Many(tmp),
                });
            }
        };
        Ok(One::Item(item))
    }

    /// The node an axis step yields from `node` when it yields at most one: `Ok(None)` for none,
    /// `Err(())` for several.
    pub(super) fn step_one(
        &mut self,
        axis: Axis,
        test: &'a NodeTest,
        node: XNode<'a>,
    ) -> Result<Option<XNode<'a>>, ()> {
        match (axis, test, node) {
            (Axis::Attribute, NodeTest::Name(ns, local, _, _), XNode::Node(n)) => {
                // attribute names are unique on an element
                Ok(n.attributes()
                    .find(|a| str_eq(a.local_name(), local) && str_eq(a.namespace(), ns))
                    .map(XNode::Attr))
            }
            (Axis::Parent, _, _) => Ok(node.parent().filter(|p| test_matches(test, *p, false))),
            (Axis::Self_, _, _) => Ok(Some(node).filter(|p| test_matches(test, *p, false))),
            (Axis::Child, NodeTest::Name(ns, local, id, ns_id), XNode::Node(n)) => {
                let have = self.ensure_index(n.document());
                if let Some(ix) = self.sc.index.as_mut().filter(|_| have) {
                    let Some((name, want_ns)) = ix.name_key(*id, local, *ns_id, ns) else {
                        return Ok(None);
                    };
                    let mut found = None;
                    for k in ix.kids(n.id().index()) {
                        if k.name == name && k.ns == want_ns {
                            if found.is_some() {
                                return Err(());
                            }
                            found = Some(XNode::Node(k.node));
                        }
                    }
                    return Ok(found);
                }
                let mut found = None;
                for c in n.children() {
                    if c.is_element() && str_eq(c.local_name(), local) && str_eq(c.namespace(), ns)
                    {
                        if found.is_some() {
                            return Err(());
                        }
                        found = Some(XNode::Node(c));
                    }
                }
                Ok(found)
            }
            _ => {
                let mut buf = self.take_nodes();
                self.candidates(axis, test, node, &mut buf);
                let r = match buf.as_slice() {
                    [] => Ok(None),
                    [one] => Ok(Some(*one)),
                    _ => Err(()),
                };
                self.give_nodes(buf);
                r
            }
        }
    }

    /// A simple path evaluated node by node; `None` when a step has several nodes.
    fn simple_path_one(&mut self, p: &'a PathExpr, f: &Focus<'a>) -> R<Option<One<'a>>> {
        let mut cur = match p.start {
            PathStart::Root => self.root(f)?,
            _ => context_node(f)?,
        };
        for step in &p.steps {
            let (axis, test) = match &step.kind {
                StepKind::Axis(axis, test) => (axis, test),
                StepKind::Expr(e) => {
                    let focus = Focus::node(cur, 1, 1);
                    let r = self.eval_one(e, &focus)?;
                    if let One::Item(Item::Node(_)) | One::Many(_) = r {
                        // nodes need document order / atomics need no mixing: general path
                        if let One::Many(v) = r {
                            self.give(v);
                        }
                        return Ok(None);
                    }
                    return Ok(Some(r));
                }
            };
            match self.step_one(*axis, test, cur) {
                Ok(None) => return Ok(Some(One::Empty)),
                Ok(Some(n)) => cur = n,
                Err(()) => return Ok(None),
            }
        }
        Ok(Some(One::Item(Item::Node(cur))))
    }

    #[inline(never)]
    fn general_cmp(&mut self, op: CmpOp, a: &'a Expr, b: &'a Expr, f: &Focus<'a>) -> R<bool> {
        // normalize-space(x) = '' / != '': only whether there is content matters
        if matches!(op, CmpOp::Eq | CmpOp::Ne) {
            if let (
                Expr::Call(Builtin::NormalizeSpace, args, _),
                Expr::Literal(Literal::String(l)),
            )
            | (
                Expr::Literal(Literal::String(l)),
                Expr::Call(Builtin::NormalizeSpace, args, _),
            ) = (a, b)
            {
                if l.is_empty() {
                    let s = self.str_arg_or_context(Builtin::NormalizeSpace, args, f)?;
                    return Ok(functions::has_content(&s) == (op == CmpOp::Ne));
                }
            }
        }
        if let Some(r) = self.literal_cmp(op, a, b, f)? {
            return Ok(r);
        }
        let x1 = self.eval_one(a, f)?;
        if matches!(x1, One::Empty) {
            return Ok(false);
        }
        let y1 = self.eval_one(b, f)?;
        let (x, mut y) = match (x1, y1) {
            (_, One::Empty) => return Ok(false),
            (One::Item(p), One::Item(q)) => {
                return general_compare(op, &p.atomize(), &q.atomize());
            }
            (p, q) => {
                let to_vec = |ev: &mut Self, o: One<'a>| match o {
                    One::Many(v) => v,
                    One::Item(i) => {
                        let mut v = ev.take();
                        v.push(i);
                        v
                    }
                    One::Empty => ev.take(),
                };
                let xv = to_vec(self, p);
                let yv = to_vec(self, q);
                (xv, yv)
            }
        };
        for it in y.iter_mut() {
            if let Item::Node(n) = it {
                *it = Item::Untyped(n.string_value());
            }
        }
        let mut result = false;
        'outer: for i in x.iter() {
            let ai = i.atomize();
            for j in y.iter() {
                if general_compare(op, &ai, j)? {
                    result = true;
                    break 'outer;
                }
            }
        }
        self.give(x);
        self.give(y);
        Ok(result)
    }

    /// [`Ev::general_cmp`] of a literal with an operand [`Ev::single_atom`] evaluates (e.g.
    /// `cbc:ID = 'VAT'`, `normalize-space(x) = 'S'`, `cbc:Amount >= 0`): no sequences or
    /// intermediate items. `Ok(None)` when the shape is another one (or the operand has several
    /// nodes): use the general path. Operands are evaluated in the same order.
    fn literal_cmp(
        &mut self,
        op: CmpOp,
        a: &'a Expr,
        b: &'a Expr,
        f: &Focus<'a>,
    ) -> R<Option<bool>> {
        let (x, lit, lit_left) = match (Self::is_constant(a), Self::is_constant(b)) {
            (false, true) => (a, b, false),
            (true, false) => (b, a, true),
            _ => return Ok(None),
        };
        if let (Some(i), Expr::Literal(Literal::Integer(j))) = (self.int_operand(x), lit) {
            // an integer variable against an integer literal (`$cp > 64`)
            let (l, r) = if lit_left { (*j, i) } else { (i, *j) };
            return Ok(Some(op.test(l.cmp(&r))));
        }
        if !Self::single_atom_shape(x) {
            return Ok(None);
        }
        // a literal on the left is evaluated first (a numeric literal out of range is an error)
        let left = if lit_left {
            Some(Self::constant(lit)?)
        } else {
            None
        };
        let v = match self.single_atom(x, f)? {
            None => return Ok(None),
            Some(None) => return Ok(Some(false)),
            Some(Some(v)) => v,
        };
        // string or untypedAtomic against a string literal: a string comparison
        let v = match (lit, v) {
            (Expr::Literal(Literal::String(l)), Item::String(s) | Item::Untyped(s)) => {
                return Ok(Some(if lit_left {
                    cmp_str(op, l, &s)
                } else {
                    cmp_str(op, &s, l)
                }));
            }
            (_, v) => v,
        };
        Ok(Some(match left {
            Some(l) => general_compare(op, &l, &v)?,
            None => general_compare(op, &v, &Self::constant(lit)?)?,
        }))
    }

    /// True for a literal, `true()` and `false()`.
    fn is_constant(e: &Expr) -> bool {
        match e {
            Expr::Literal(_) => true,
            Expr::Call(Builtin::True | Builtin::False, args, _) => args.is_empty(),
            _ => false,
        }
    }

    /// The value of an expression [`Ev::is_constant`] accepts.
    fn constant(e: &'a Expr) -> R<Item<'a>> {
        match e {
            Expr::Literal(l) => literal(l),
            Expr::Call(b, _, _) => Ok(Item::Boolean(*b == Builtin::True)),
            _ => Err(err("XPST0000", "not a constant")),
        }
    }

    /// True for the shapes [`Ev::single_atom`] evaluates.
    fn single_atom_shape(e: &Expr) -> bool {
        match e {
            Expr::Path(p) => p.simple,
            Expr::ContextItem | Expr::Var(_) => true,
            Expr::Call(
                Builtin::NormalizeSpace | Builtin::UpperCase | Builtin::LowerCase,
                args,
                _,
            ) => args.len() <= 1,
            _ => false,
        }
    }

    /// The atomized value of a simple path (zero or one node), the context node, or a string
    /// function of those (see [`Ev::fast_str`]), without building a sequence. `Ok(None)` for
    /// other shapes, several nodes or an atomic context item (use the general path);
    /// `Ok(Some(None))` for the empty sequence.
    fn single_atom(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<Option<Option<Item<'a>>>> {
        Ok(match e {
            Expr::Path(p) => match self.simple_path_one(p, f)? {
                Some(One::Empty) => Some(None),
                Some(One::Item(Item::Node(n))) => Some(Some(Item::Untyped(n.string_value()))),
                // a last step like `…/normalize-space(x)` or `…/xs:decimal(.)`: atomic already
                Some(One::Item(v)) => Some(Some(v)),
                Some(One::Many(v)) => {
                    self.give(v);
                    None
                }
                None => None,
            },
            Expr::ContextItem => match &f.item {
                Some(Item::Node(n)) => Some(Some(Item::Untyped(n.string_value()))),
                _ => None,
            },
            // a variable bound to at most one item (e.g. a `for` or `some` variable)
            Expr::Var(v) => match self.var_items(*v) {
                [] => Some(None),
                [one] => Some(Some(one.atomize())),
                _ => None,
            },
            _ => self.fast_str(e, f)?.map(|s| Some(Item::String(s))),
        })
    }

    fn value_cmp(&mut self, op: CmpOp, a: &'a Expr, b: &'a Expr, f: &Focus<'a>) -> R<Option<bool>> {
        let Some(x) = self.atom_opt(a, f, What::Text("the first operand of a value comparison"))?
        else {
            return Ok(None);
        };
        let Some(y) =
            self.atom_opt(b, f, What::Text("the second operand of a value comparison"))?
        else {
            return Ok(None);
        };
        value_compare(op, &x, &y).map(Some)
    }

    /// Zero or one atomized item.
    fn atom_opt(&mut self, e: &'a Expr, f: &Focus<'a>, what: What) -> R<Option<Item<'a>>> {
        match self.eval_one(e, f)? {
            One::Empty => Ok(None),
            One::Item(i) => Ok(Some(match i {
                Item::Node(n) => Item::Untyped(n.string_value()),
                other => other,
            })),
            One::Many(v) => {
                self.give(v);
                Err(too_many(&what.to_string()))
            }
        }
    }

    fn arith_operand(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<Option<Item<'a>>> {
        match self.numeric_value(e, f, What::Text("an operand of an arithmetic expression"))? {
            Some(Item::Untyped(s)) => Ok(Some(cast(&Item::Untyped(s), AtomicType::Double)?)),
            other => Ok(other),
        }
    }

    /// [`Ev::atom_opt`] of an expression where a number is expected: arithmetic, numeric
    /// literals, constructor functions and rounding are evaluated directly (the amount checks
    /// of the rules nest them deeply), anything else by [`Ev::atom_opt`].
    fn numeric_value(&mut self, e: &'a Expr, f: &Focus<'a>, what: What) -> R<Option<Item<'a>>> {
        use Builtin as B;
        match e {
            Expr::Arith(op, a, b) => self.arithmetic(*op, a, b, f),
            Expr::Literal(l) => Ok(Some(literal(l)?)),
            Expr::Call(B::Constructor(ty), args, _) => self.construct(*ty, args, f),
            Expr::Call(
                b @ (B::Round | B::Floor | B::Ceiling | B::Abs | B::RoundHalfToEven),
                args,
                _,
            ) => self.rounding(*b, args, f),
            _ => self.atom_opt(e, f, what),
        }
    }

    /// `a op b` (empty when an operand is; `b` is not evaluated when `a` is empty).
    fn arithmetic(
        &mut self,
        op: ArithOp,
        a: &'a Expr,
        b: &'a Expr,
        f: &Focus<'a>,
    ) -> R<Option<Item<'a>>> {
        // integers in variables and literals (`$cp - 55` over codepoints, check digits)
        if let (Some(x), Some(y)) = (self.int_operand(a), self.int_operand(b)) {
            if let Some(r) = int_arith(op, x, y) {
                return Ok(Some(Item::Integer(r)));
            }
        }
        let Some(x) = self.arith_operand(a, f)? else {
            return Ok(None);
        };
        let Some(y) = self.arith_operand(b, f)? else {
            return Ok(None);
        };
        Ok(Some(arith(op, &x, &y)?))
    }

    /// The value of an integer literal or of a variable bound to one `xs:integer` (neither can
    /// raise an error or be empty); None for anything else.
    #[inline]
    fn int_operand(&self, e: &Expr) -> Option<i64> {
        match e {
            Expr::Literal(Literal::Integer(i)) => Some(*i),
            Expr::Var(v) => match self.var_items(*v) {
                [Item::Integer(i)] => Some(*i),
                _ => None,
            },
            _ => None,
        }
    }

    /// A constructor function (`xs:decimal(…)`): its argument cast to `ty`.
    fn construct(
        &mut self,
        ty: AtomicType,
        args: &'a [Expr],
        f: &Focus<'a>,
    ) -> R<Option<Item<'a>>> {
        let b = Builtin::Constructor(ty);
        match self.atom_opt(arg(args, 0)?, f, What::Arg(b, 0))? {
            None => Ok(None),
            Some(v) => Ok(Some(cast(&v, ty)?)),
        }
    }

    fn integer_operand(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<Option<i64>> {
        match self.atom_opt(e, f, What::Text("an operand of 'to'"))? {
            None => Ok(None),
            Some(Item::Integer(i)) => Ok(Some(i)),
            Some(Item::Untyped(s)) => match cast(&Item::Untyped(s), AtomicType::Integer)? {
                Item::Integer(i) => Ok(Some(i)),
                _ => Err(err("FOAR0002", "range bound out of range")),
            },
            Some(other) => Err(err(
                "XPTY0004",
                format!(
                    "an operand of 'to' must be xs:integer, not {}",
                    other.type_name()
                ),
            )),
        }
    }

    fn for_rec(
        &mut self,
        bindings: &'a [(usize, Expr)],
        ret: &'a Expr,
        f: &Focus<'a>,
        out: &mut Vec<Item<'a>>,
    ) -> R<()> {
        let Some(((slot, e), rest)) = bindings.split_first() else {
            return self.eval(ret, f, out);
        };
        let mut seq = self.take();
        self.eval(e, f, &mut seq)?;
        for item in seq.iter() {
            self.bind_one(*slot, item.clone());
            self.for_rec(rest, ret, f, out)?;
        }
        self.give(seq);
        Ok(())
    }

    fn quantified(
        &mut self,
        every: bool,
        bindings: &'a [(usize, Expr)],
        cond: &'a Expr,
        f: &Focus<'a>,
    ) -> R<bool> {
        let Some(((slot, e), rest)) = bindings.split_first() else {
            return self.ebv(cond, f);
        };
        let mut seq = self.take();
        self.eval(e, f, &mut seq)?;
        let mut result = every;
        for item in seq.iter() {
            self.bind_one(*slot, item.clone());
            let r = self.quantified(every, rest, cond, f)?;
            if r != every {
                result = !every;
                break;
            }
        }
        self.give(seq);
        Ok(result)
    }

    /// Evaluates a path. With `exists`, stops at the first result and pushes nothing.
    /// Returns whether the result is non-empty. Absolute paths are memoized per document.
    fn path(
        &mut self,
        p: &'a PathExpr,
        f: &Focus<'a>,
        out: &mut Vec<Item<'a>>,
        exists: bool,
    ) -> R<bool> {
        if let Some(id) = p.memo {
            let doc = self.root(f)?.document();
            if !self.ensure_index(doc) {
                return self.path_eval(p, f, out, exists);
            }
            let hit = self
                .sc
                .index
                .as_ref()
                .and_then(|ix| ix.memo.get(&id))
                .cloned();
            if let Some(hit) = hit {
                if !exists {
                    out.extend_from_slice(&hit);
                }
                return Ok(!hit.is_empty());
            }
            let mut tmp = self.take();
            if self.path_eval(p, f, &mut tmp, false).is_ok() {
                let found = !tmp.is_empty();
                let value: Rc<[Item<'a>]> = Rc::from(tmp.as_slice());
                if let Some(ix) = self.sc.index.as_mut() {
                    ix.memo.insert(id, value);
                }
                if !exists {
                    out.append(&mut tmp);
                }
                self.give(tmp);
                return Ok(found);
            }
            // an error: evaluate as if not memoized (lazily, as Saxon would)
            self.give(tmp);
        }
        self.path_eval(p, f, out, exists)
    }

    fn path_eval(
        &mut self,
        p: &'a PathExpr,
        f: &Focus<'a>,
        out: &mut Vec<Item<'a>>,
        exists: bool,
    ) -> R<bool> {
        let mut cur = self.take_nodes();
        match &p.start {
            PathStart::Root => cur.push(self.root(f)?),
            PathStart::Context => cur.push(context_node(f)?),
            PathStart::Expr(e) => {
                let mut tmp = self.take();
                self.eval(e, f, &mut tmp)?;
                if p.steps.is_empty() {
                    let found = !tmp.is_empty();
                    if !exists {
                        out.append(&mut tmp);
                    }
                    self.give(tmp);
                    return Ok(found);
                }
                for it in tmp.drain(..) {
                    match it {
                        Item::Node(n) => cur.push(n),
                        other => {
                            return Err(err(
                                "XPTY0019",
                                format!(
                                    "the left operand of '/' must be nodes, not {}",
                                    other.type_name()
                                ),
                            ))
                        }
                    }
                }
                self.give(tmp);
                sort_dedup(&mut cur);
            }
        }
        if !p.required.is_empty() {
            if let Some(first) = cur.first() {
                let doc = first.document();
                let have = self.ensure_index(doc);
                let absent = have
                    && self.sc.index.as_mut().is_some_and(|ix| {
                        p.required.iter().any(|(l, id)| ix.named(*id, l).is_empty())
                    });
                if absent {
                    self.give_nodes(cur);
                    return Ok(false);
                }
            }
        }
        let n = p.steps.len();
        // resume from the longest memoized prefix of an absolute path
        let mut first = 0;
        let this_doc = cur.first().map(XNode::document);
        let memo_ok = !p.prefix_memo.is_empty()
            && this_doc.is_some_and(|d| {
                self.sc
                    .index
                    .as_ref()
                    .is_some_and(|ix| std::ptr::eq(ix.doc, d))
            });
        if memo_ok {
            if let Some(ix) = self.sc.index.as_ref() {
                for (k, id) in p.prefix_memo.iter().enumerate().rev() {
                    if let Some(nodes) = ix.prefix_memo.get(id) {
                        cur.clear();
                        cur.extend_from_slice(nodes);
                        first = k + 1;
                        break;
                    }
                }
            }
        }
        for (i, step) in p.steps.iter().enumerate().skip(first) {
            if i > 0 && memo_ok {
                if let Some(id) = p.prefix_memo.get(i - 1) {
                    if let Some(ix) = self.sc.index.as_mut() {
                        if !ix.prefix_memo.contains_key(id) {
                            ix.prefix_memo.insert(*id, Rc::from(cur.as_slice()));
                        }
                    }
                }
            }
            if cur.is_empty() {
                break;
            }
            let last = i + 1 == n;
            let stop_early = exists && last;
            match &step.kind {
                StepKind::Axis(axis, test) => {
                    let mut next = self.take_nodes();
                    for node in cur.iter() {
                        self.axis_step(*axis, test, &step.preds, *node, &mut next, stop_early)?;
                        if stop_early && !next.is_empty() {
                            break;
                        }
                    }
                    if cur.len() > 1 {
                        sort_dedup(&mut next);
                    }
                    let old = std::mem::replace(&mut cur, next);
                    self.give_nodes(old);
                }
                StepKind::Expr(e) => {
                    let size = cur.len();
                    let mut tmp = self.take();
                    for (j, node) in cur.iter().enumerate() {
                        let focus = Focus::node(*node, j + 1, size);
                        let start = tmp.len();
                        self.eval(e, &focus, &mut tmp)?;
                        for pr in &step.preds {
                            self.filter_items(pr, &mut tmp, start)?;
                        }
                        if stop_early && !tmp.is_empty() {
                            break;
                        }
                    }
                    let nodes = tmp.iter().filter(|x| x.is_node()).count();
                    if nodes == tmp.len() {
                        let mut next = self.take_nodes();
                        next.extend(tmp.iter().filter_map(Item::as_node));
                        sort_dedup(&mut next);
                        let old = std::mem::replace(&mut cur, next);
                        self.give_nodes(old);
                        self.give(tmp);
                    } else if nodes == 0 {
                        if !last {
                            return Err(err(
                                "XPTY0019",
                                "an intermediate step of a path returned atomic values",
                            ));
                        }
                        let found = !tmp.is_empty();
                        if !exists {
                            out.append(&mut tmp);
                        }
                        self.give(tmp);
                        self.give_nodes(cur);
                        return Ok(found);
                    } else {
                        return Err(err(
                            "XPTY0018",
                            "the last step of a path returned both nodes and atomic values",
                        ));
                    }
                }
            }
        }
        let found = !cur.is_empty();
        if !exists {
            out.extend(cur.iter().map(|n| Item::Node(*n)));
        }
        self.give_nodes(cur);
        Ok(found)
    }

    /// True when the document's index is available; it is built once a document has been
    /// asked for it a few times (one-off evaluations, e.g. scenario selection, do not pay for it).
    #[inline]
    pub(super) fn ensure_index(&mut self, doc: &'a Document) -> bool {
        self.sc
            .index
            .as_ref()
            .is_some_and(|ix| std::ptr::eq(ix.doc, doc))
            || self.build_index(doc)
    }

    /// [`Ev::ensure_index`] when the index is not there: counts the request, builds it on the
    /// 64th.
    #[cold]
    #[inline(never)]
    fn build_index(&mut self, doc: &'a Document) -> bool {
        let key = doc as *const Document as usize;
        if self.sc.index_doc != key {
            self.sc.index_doc = key;
            self.sc.index_requests = 0;
        }
        self.sc.index_requests += 1;
        if self.sc.index_requests >= 64 {
            self.sc.index = Some(DocIndex::build(doc));
            return true;
        }
        false
    }

    /// The nodes of an axis that pass the node test, in axis order.
    pub(super) fn candidates(
        &mut self,
        axis: Axis,
        test: &'a NodeTest,
        node: XNode<'a>,
        buf: &mut Vec<XNode<'a>>,
    ) {
        if let (
            Axis::Child | Axis::Descendant | Axis::DescendantOrSelf,
            NodeTest::Name(ns, local, id, ns_id),
            XNode::Node(n),
        ) = (axis, test, node)
        {
            if axis == Axis::DescendantOrSelf && test_matches(test, node, false) {
                buf.push(node);
            }
            let have = self.ensure_index(n.document());
            if let Some(ix) = self.sc.index.as_mut().filter(|_| have) {
                if axis == Axis::Child {
                    // children: from the node's element children, by name list and namespace
                    let Some((name, want_ns)) = ix.name_key(*id, local, *ns_id, ns) else {
                        return;
                    };
                    for k in ix.kids(n.id().index()) {
                        if k.name == name && k.ns == want_ns {
                            buf.push(XNode::Node(k.node));
                        }
                    }
                    return;
                }
                let want_ns = ix.ns(*ns_id, ns);
                let list = ix.named(*id, local);
                if want_ns == 0 || list.is_empty() {
                    return;
                }
                let lo = n.id().index() as u32;
                let from = list.partition_point(|x| x.id <= lo);
                let rest = list.get(from..).unwrap_or_default();
                let hi = subtree_end(n) as u32;
                for x in rest {
                    if x.id >= hi {
                        break;
                    }
                    if x.ns == want_ns {
                        buf.push(XNode::Node(x.node));
                    }
                }
                return;
            }
        }
        if let (Axis::Preceding, NodeTest::Name(ns, local, id, ns_id), XNode::Node(n)) =
            (axis, test, node)
        {
            let have = self.ensure_index(n.document());
            if let Some(ix) = self.sc.index.as_mut().filter(|_| have) {
                let want_ns = ix.ns(*ns_id, ns);
                let list = ix.named(*id, local);
                let lo = n.id().index() as u32;
                let end = list.partition_point(|x| x.id < lo);
                for x in list.get(..end).unwrap_or_default().iter().rev() {
                    if x.ns == want_ns && !x.node.is_ancestor_of(n) {
                        buf.push(XNode::Node(x.node));
                    }
                }
                return;
            }
        }
        if let (Axis::DescendantOrSelfAttribute, NodeTest::Name(ns, local, _, _), XNode::Node(n)) =
            (axis, test, node)
        {
            let have = self.ensure_index(n.document());
            if let Some(ix) = self.sc.index.as_mut().filter(|_| have) {
                let list = ix.attributes_named(local);
                let lo = n.id().index() as u32;
                let from = list.partition_point(|x| x.0 < lo);
                let hi = subtree_end(n) as u32;
                for (owner, a) in list.get(from..).unwrap_or_default() {
                    if *owner >= hi {
                        break;
                    }
                    if str_eq(a.namespace(), ns) {
                        buf.push(XNode::Attr(*a));
                    }
                }
                return;
            }
        }
        let attr = axis.is_attribute();
        visit_axis(axis, node, |n| {
            if test_matches(test, n, attr) {
                buf.push(n);
            }
            true
        });
    }

    /// One axis step from one context node, predicates applied, results in document order.
    pub(crate) fn axis_step(
        &mut self,
        axis: Axis,
        test: &'a NodeTest,
        preds: &'a [Pred],
        node: XNode<'a>,
        out: &mut Vec<XNode<'a>>,
        stop_early: bool,
    ) -> R<()> {
        let start = out.len();
        if preds.is_empty()
            && stop_early
            && !axis.is_reverse()
            && !matches!(test, NodeTest::Name(..))
        {
            let attr = axis.is_attribute();
            visit_axis(axis, node, |n| {
                if test_matches(test, n, attr) {
                    out.push(n);
                    return false;
                }
                true
            });
            return Ok(());
        }
        if preds.is_empty() {
            // no predicates: the candidates go straight to the output (first one only when
            // stopping early), in document order
            self.candidates(axis, test, node, out);
            if stop_early {
                out.truncate(start + 1);
            }
            if axis.is_reverse() {
                if let Some(s) = out.get_mut(start..) {
                    s.reverse();
                }
            }
            return Ok(());
        }
        let mut cands = self.take_nodes();
        self.candidates(axis, test, node, &mut cands);
        if let [Pred {
            kind: PredKind::Index(k),
            ..
        }] = preds
        {
            out.extend(k.checked_sub(1).and_then(|i| cands.get(i)).copied());
        } else if preds.iter().all(|p| p.kind == PredKind::Bool) {
            'outer: for n in cands.iter() {
                let focus = Focus::node(*n, 0, 0);
                for p in preds {
                    if !self.ebv(&p.expr, &focus)? {
                        continue 'outer;
                    }
                }
                out.push(*n);
                if stop_early {
                    break;
                }
            }
        } else {
            for p in preds {
                if cands.is_empty() {
                    break;
                }
                self.filter_nodes(p, &mut cands)?;
            }
            out.extend_from_slice(&cands);
        }
        self.give_nodes(cands);
        if axis.is_reverse() {
            if let Some(s) = out.get_mut(start..) {
                s.reverse();
            }
        }
        Ok(())
    }

    /// Applies one predicate to candidate nodes (in axis order).
    pub(crate) fn filter_nodes(&mut self, p: &'a Pred, cands: &mut Vec<XNode<'a>>) -> R<()> {
        match p.kind {
            PredKind::Index(k) => {
                let keep = k.checked_sub(1).and_then(|i| cands.get(i).copied());
                cands.clear();
                cands.extend(keep);
            }
            PredKind::Bool => {
                let mut keep = self.take_nodes();
                for n in cands.iter() {
                    if self.ebv(&p.expr, &Focus::node(*n, 0, 0))? {
                        keep.push(*n);
                    }
                }
                std::mem::swap(cands, &mut keep);
                self.give_nodes(keep);
            }
            PredKind::General => {
                let size = cands.len();
                let mut keep = self.take_nodes();
                for (j, n) in cands.iter().enumerate() {
                    let focus = Focus::node(*n, j + 1, size);
                    if self.pred_value(&p.expr, &focus)? {
                        keep.push(*n);
                    }
                }
                std::mem::swap(cands, &mut keep);
                self.give_nodes(keep);
            }
        }
        Ok(())
    }

    /// Predicate truth: numeric → equals position, else effective boolean value.
    fn pred_value(&mut self, e: &'a Expr, focus: &Focus<'a>) -> R<bool> {
        let mut tmp = self.take();
        self.eval(e, focus, &mut tmp)?;
        let r = match tmp.as_slice() {
            [one] if one.is_numeric() => one.num_f64().is_some_and(|v| v == focus.pos as f64),
            other => ebv_of(other)?,
        };
        self.give(tmp);
        Ok(r)
    }

    /// Applies one predicate to `items[start..]`.
    fn filter_items(&mut self, p: &'a Pred, items: &mut Vec<Item<'a>>, start: usize) -> R<()> {
        let size = items.len().saturating_sub(start);
        if size == 0 {
            return Ok(());
        }
        let mut kept = self.take();
        match p.kind {
            PredKind::Index(k) => {
                if let Some(x) = k.checked_sub(1).and_then(|i| items.get(start + i).cloned()) {
                    kept.push(x);
                }
            }
            _ => {
                let tail: Vec<Item<'a>> = items.drain(start..).collect();
                for (j, it) in tail.iter().enumerate() {
                    let focus = Focus {
                        item: Some(it.clone()),
                        pos: j + 1,
                        size,
                    };
                    let keep = if p.kind == PredKind::Bool {
                        self.ebv(&p.expr, &focus)?
                    } else {
                        self.pred_value(&p.expr, &focus)?
                    };
                    if keep {
                        kept.push(it.clone());
                    }
                }
            }
        }
        items.truncate(start);
        items.append(&mut kept);
        self.give(kept);
        Ok(())
    }

    // ---- function calls ----

    /// An `xs:string?` argument: empty → "".
    /// The string of a zero-or-one string-typed expression, without building items for the
    /// common shapes (literals, single-node paths, string functions of those); `Ok(None)` when
    /// the shape is not one of them (use the general path).
    fn fast_str(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<Option<Str<'a>>> {
        Ok(match e {
            Expr::Literal(Literal::String(s)) => Some(Str::Borrowed(s)),
            Expr::ContextItem => match &f.item {
                Some(Item::Node(n)) => Some(n.string_value()),
                Some(Item::String(s) | Item::Untyped(s)) => Some(s.clone()),
                _ => None,
            },
            Expr::Path(p)
                if p.simple
                    && matches!(p.steps.last(), Some(s) if matches!(s.kind, StepKind::Axis(..))) =>
            {
                match self.simple_path_one(p, f)? {
                    Some(One::Empty) => Some(Str::Borrowed("")),
                    Some(One::Item(Item::Node(n))) => Some(n.string_value()),
                    _ => None,
                }
            }
            Expr::Call(
                b @ (Builtin::NormalizeSpace | Builtin::UpperCase | Builtin::LowerCase),
                args,
                _,
            ) if args.len() == 1 => {
                let Some(x) = self.fast_str(arg(args, 0)?, f)? else {
                    return Ok(None);
                };
                Some(apply_string_fn(*b, x))
            }
            Expr::Call(Builtin::NormalizeSpace, args, _) if args.is_empty() => match &f.item {
                Some(Item::Node(n)) => {
                    Some(apply_string_fn(Builtin::NormalizeSpace, n.string_value()))
                }
                _ => None,
            },
            _ => None,
        })
    }

    fn str_arg(&mut self, b: Builtin, args: &'a [Expr], i: usize, f: &Focus<'a>) -> R<Str<'a>> {
        let e = arg(args, i)?;
        if let Some(s) = self.fast_str(e, f)? {
            return Ok(s);
        }
        let v = self.atom_opt(e, f, What::Arg(b, i))?;
        match v {
            None => Ok(Str::Borrowed("")),
            Some(Item::String(s) | Item::Untyped(s)) => Ok(s),
            Some(other) => Err(err(
                "XPTY0004",
                format!(
                    "required item type of {} is xs:string; supplied value has item type {}",
                    arg_desc(b, i),
                    other.type_name()
                ),
            )),
        }
    }

    /// The string value of the context item (zero-argument string functions).
    fn context_string(&mut self, f: &Focus<'a>) -> R<Str<'a>> {
        Ok(f.item.as_ref().ok_or_else(no_focus)?.string_value())
    }

    fn str_arg_or_context(&mut self, b: Builtin, args: &'a [Expr], f: &Focus<'a>) -> R<Str<'a>> {
        if args.is_empty() {
            self.context_string(f)
        } else {
            self.str_arg(b, args, 0, f)
        }
    }

    /// An `xs:double` argument (numeric promotion, untypedAtomic cast).
    fn double_arg(&mut self, b: Builtin, args: &'a [Expr], i: usize, f: &Focus<'a>) -> R<f64> {
        let e = arg(args, i)?;
        match self.atom_opt(e, f, What::Arg(b, i))? {
            None => Err(err(
                "XPTY0004",
                format!("an empty sequence is not allowed as {}", arg_desc(b, i)),
            )),
            Some(Item::Untyped(s)) => match cast(&Item::Untyped(s), AtomicType::Double)? {
                Item::Double(d) => Ok(d),
                _ => Ok(f64::NAN),
            },
            Some(v) if v.is_numeric() => Ok(v.num_f64().unwrap_or(f64::NAN)),
            Some(v) => Err(err(
                "XPTY0004",
                format!(
                    "required item type of {} is xs:double; supplied value has item type {}",
                    arg_desc(b, i),
                    v.type_name()
                ),
            )),
        }
    }

    /// A numeric `xs:numeric?` argument (untypedAtomic → double).
    fn numeric_arg(
        &mut self,
        b: Builtin,
        args: &'a [Expr],
        i: usize,
        f: &Focus<'a>,
    ) -> R<Option<Item<'a>>> {
        let e = arg(args, i)?;
        match self.numeric_value(e, f, What::Arg(b, i))? {
            None => Ok(None),
            Some(Item::Untyped(s)) => Ok(Some(cast(&Item::Untyped(s), AtomicType::Double)?)),
            Some(v) if v.is_numeric() => Ok(Some(v)),
            Some(v) => Err(err(
                "XPTY0004",
                format!(
                    "required item type of {} is numeric; supplied value has item type {}",
                    arg_desc(b, i),
                    v.type_name()
                ),
            )),
        }
    }

    fn node_arg_or_context(
        &mut self,
        b: Builtin,
        args: &'a [Expr],
        f: &Focus<'a>,
    ) -> R<Option<XNode<'a>>> {
        if args.is_empty() {
            return match &f.item {
                Some(Item::Node(n)) => Ok(Some(*n)),
                Some(_) => Err(err(
                    "XPTY0004",
                    format!("the context item for {}() is not a node", b.name()),
                )),
                None => Err(no_focus()),
            };
        }
        let e = arg(args, 0)?;
        let mut tmp = self.take();
        self.eval(e, f, &mut tmp)?;
        let r = match tmp.as_slice() {
            [] => None,
            [Item::Node(n)] => Some(*n),
            [_] => {
                return Err(err(
                    "XPTY0004",
                    format!("{} must be a node", arg_desc(b, 0)),
                ))
            }
            _ => return Err(too_many(&arg_desc(b, 0))),
        };
        self.give(tmp);
        Ok(r)
    }

    fn regex(
        &mut self,
        b: Builtin,
        rc: Option<&'a CallExtra>,
        args: &'a [Expr],
        f: &Focus<'a>,
    ) -> R<(std::sync::Arc<regex::Regex>, bool)> {
        let pattern = self.str_arg(b, args, 1, f)?;
        let fi = b.regex_flags_index();
        let flags = if args.len() > fi {
            self.str_arg(b, args, fi, f)?
        } else {
            Str::Borrowed("")
        };
        let is_literal = |i: usize| matches!(args.get(i), Some(Expr::Literal(Literal::String(_))));
        let literal = is_literal(1) && (args.len() <= fi || is_literal(fi));
        match rc {
            Some(rc) => rc.regex.get_with_empty(&pattern, &flags, literal),
            None => RegexCache::default().get_with_empty(&pattern, &flags, literal),
        }
    }

    fn call(
        &mut self,
        b: Builtin,
        args: &'a [Expr],
        rc: Option<&'a CallExtra>,
        f: &Focus<'a>,
        out: &mut Vec<Item<'a>>,
    ) -> R<Option<Item<'a>>> {
        use Builtin as B;
        let item = match b {
            B::Position => {
                if f.item.is_none() {
                    return Err(no_focus());
                }
                Item::Integer(f.pos as i64)
            }
            B::Last => {
                if f.item.is_none() {
                    return Err(no_focus());
                }
                Item::Integer(f.size as i64)
            }
            B::Count => {
                let e = arg(args, 0)?;
                let mut tmp = self.take();
                self.eval(e, f, &mut tmp)?;
                let n = tmp.len();
                self.give(tmp);
                Item::Integer(n as i64)
            }
            B::Exists | B::Empty | B::Not | B::Boolean | B::True | B::False => {
                let r = match b {
                    B::True => true,
                    B::False => false,
                    B::Exists => self.exists(arg(args, 0)?, f)?,
                    B::Empty => !self.exists(arg(args, 0)?, f)?,
                    B::Not => !self.ebv(arg(args, 0)?, f)?,
                    _ => self.ebv(arg(args, 0)?, f)?,
                };
                Item::Boolean(r)
            }
            B::Sum | B::Avg | B::Min | B::Max => {
                let e = arg(args, 0)?;
                let mut tmp = self.take();
                self.eval(e, f, &mut tmp)?;
                let r = self.aggregate(b, &tmp);
                self.give(tmp);
                match r? {
                    Some(v) => v,
                    None => {
                        if b == B::Sum {
                            match args.get(1) {
                                Some(z) => {
                                    self.eval(z, f, out)?;
                                    return Ok(None);
                                }
                                None => Item::Integer(0),
                            }
                        } else {
                            return Ok(None);
                        }
                    }
                }
            }
            B::Number => {
                let v = if args.is_empty() {
                    Some(f.item.as_ref().ok_or_else(no_focus)?.atomize())
                } else {
                    let e = arg(args, 0)?;
                    self.atom_opt(e, f, What::Arg(b, 0))?
                };
                Item::Double(match v {
                    None => f64::NAN,
                    Some(v) => match cast(&v, AtomicType::Double) {
                        Ok(Item::Double(d)) => d,
                        _ => f64::NAN,
                    },
                })
            }
            B::String => {
                if args.is_empty() {
                    Item::String(self.context_string(f)?)
                } else {
                    let e = arg(args, 0)?;
                    let s = match self.eval_one(e, f)? {
                        One::Empty => Str::Borrowed(""),
                        One::Item(one) => one.string_value(),
                        One::Many(v) => {
                            self.give(v);
                            return Err(too_many(&arg_desc(b, 0)));
                        }
                    };
                    Item::String(s)
                }
            }
            B::StringLength => {
                let s = self.str_arg_or_context(b, args, f)?;
                Item::Integer(s.chars().count() as i64)
            }
            B::NormalizeSpace => {
                let s = self.str_arg_or_context(b, args, f)?;
                Item::String(match functions::normalize_space(&s) {
                    None => s,
                    Some(n) => Str::from(n),
                })
            }
            B::Concat => {
                let mut s = String::new();
                for (i, a) in args.iter().enumerate() {
                    if let Some(v) = self.atom_opt(a, f, What::Arg(b, i))? {
                        v.push_str(&mut s);
                    }
                }
                Item::String(Str::from(s))
            }
            B::Contains if rc.is_some_and(|x| x.tokens.is_some()) => {
                // contains(' A B C ', concat(' ', x, ' ')): a set lookup unless x has spaces
                let tokens = rc.and_then(|x| x.tokens.as_ref());
                let Some(Expr::Call(_, parts, _)) = args.get(1) else {
                    return Err(err("XPST0017", "missing function argument"));
                };
                let part = arg(parts, 1)?;
                let x = match self.fast_str(part, f)? {
                    Some(s) => s,
                    None => match self.atom_opt(part, f, What::Arg(B::Concat, 1))? {
                        None => Str::Borrowed(""),
                        Some(v) => v.string_value(),
                    },
                };
                if x.contains(' ') {
                    let list = self.str_arg(b, args, 0, f)?;
                    let needle = format!(" {} ", &*x);
                    Item::Boolean(
                        memchr::memmem::find(list.as_bytes(), needle.as_bytes()).is_some(),
                    )
                } else {
                    Item::Boolean(tokens.is_some_and(|t| t.contains(&x)))
                }
            }
            B::Contains | B::StartsWith | B::EndsWith => {
                let s = self.str_arg(b, args, 0, f)?;
                let t = self.str_arg(b, args, 1, f)?;
                Item::Boolean(match b {
                    B::Contains => contains_str(&s, &t),
                    B::StartsWith => starts_with(&s, &t),
                    _ => ends_with(&s, &t),
                })
            }
            B::Substring => {
                let s = self.str_arg(b, args, 0, f)?;
                let start = self.double_arg(b, args, 1, f)?;
                let len = if args.len() > 2 {
                    Some(self.double_arg(b, args, 2, f)?)
                } else {
                    None
                };
                Item::String(substring_of(s, start, len))
            }
            B::SubstringBefore | B::SubstringAfter => {
                let s = self.str_arg(b, args, 0, f)?;
                let t = self.str_arg(b, args, 1, f)?;
                Item::String(substring_part(b, s, &t))
            }
            B::Translate => {
                let s = self.str_arg(b, args, 0, f)?;
                let m = self.str_arg(b, args, 1, f)?;
                let t = self.str_arg(b, args, 2, f)?;
                Item::String(Str::from(functions::translate(&s, &m, &t)))
            }
            B::UpperCase | B::LowerCase => {
                let s = self.str_arg(b, args, 0, f)?;
                let unchanged = if b == B::UpperCase {
                    s.is_ascii() && !s.bytes().any(|c| c.is_ascii_lowercase())
                } else {
                    s.is_ascii() && !s.bytes().any(|c| c.is_ascii_uppercase())
                };
                Item::String(if unchanged {
                    s
                } else if b == B::UpperCase {
                    Str::from(s.to_uppercase())
                } else {
                    Str::from(s.to_lowercase())
                })
            }
            B::Matches => {
                let s = self.str_arg(b, args, 0, f)?;
                let (re, _) = self.regex(b, rc, args, f)?;
                Item::Boolean(re.is_match(&s))
            }
            B::Replace => {
                let s = self.str_arg(b, args, 0, f)?;
                let (re, empty) = self.regex(b, rc, args, f)?;
                let rep = self.str_arg(b, args, 2, f)?;
                if empty {
                    return Err(err(
                        "FORX0003",
                        "the pattern of replace() matches a zero-length string",
                    ));
                }
                Item::String(Str::from(replace(&re, &s, &rep)?))
            }
            B::Tokenize => {
                let s = self.str_arg(b, args, 0, f)?;
                let (re, empty) = self.regex(b, rc, args, f)?;
                if empty {
                    return Err(err(
                        "FORX0003",
                        "the pattern of tokenize() matches a zero-length string",
                    ));
                }
                if s.is_empty() {
                    return Ok(None);
                }
                for part in re.split(&s) {
                    out.push(Item::String(match &s {
                        Str::Borrowed(whole) => {
                            // re-borrow the piece from the document/expression
                            let off = part.as_ptr() as usize - whole.as_ptr() as usize;
                            Str::Borrowed(whole.get(off..off + part.len()).unwrap_or_default())
                        }
                        _ => Str::from(part.to_string()),
                    }));
                }
                return Ok(None);
            }
            B::StringJoin => {
                let e = arg(args, 0)?;
                let sep = if args.len() > 1 {
                    self.str_arg(b, args, 1, f)?
                } else {
                    Str::Borrowed("")
                };
                let mut tmp = self.take();
                self.eval(e, f, &mut tmp)?;
                let mut s = String::new();
                for (i, it) in tmp.iter().enumerate() {
                    if i > 0 {
                        s.push_str(&sep);
                    }
                    match it.atomize() {
                        Item::String(x) | Item::Untyped(x) => s.push_str(&x),
                        other => {
                            return Err(err(
                                "XPTY0004",
                                format!(
                                    "required item type of {} is xs:string; supplied value has item type {}",
                                    arg_desc(b, 0),
                                    other.type_name()
                                ),
                            ))
                        }
                    }
                }
                self.give(tmp);
                Item::String(Str::from(s))
            }
            B::Round | B::Floor | B::Ceiling | B::Abs | B::RoundHalfToEven => {
                return self.rounding(b, args, f);
            }
            B::DistinctValues => {
                let e = arg(args, 0)?;
                let mut tmp = self.take();
                self.eval(e, f, &mut tmp)?;
                let start = out.len();
                for it in tmp.iter() {
                    let a = it.atomize();
                    let dup = out
                        .get(start..)
                        .unwrap_or_default()
                        .iter()
                        .any(|o| atomic_equal(o, &a));
                    if !dup {
                        out.push(a);
                    }
                }
                self.give(tmp);
                return Ok(None);
            }
            B::Reverse => {
                let start = out.len();
                self.eval(arg(args, 0)?, f, out)?;
                if let Some(s) = out.get_mut(start..) {
                    s.reverse();
                }
                return Ok(None);
            }
            B::StringToCodepoints => {
                let s = self.str_arg(b, args, 0, f)?;
                out.extend(s.chars().map(|c| Item::Integer(i64::from(u32::from(c)))));
                return Ok(None);
            }
            B::CodepointsToString => {
                let e = arg(args, 0)?;
                let mut tmp = self.take();
                self.eval(e, f, &mut tmp)?;
                let mut s = String::new();
                for it in tmp.iter() {
                    let v = match it.atomize() {
                        Item::Untyped(u) => cast(&Item::Untyped(u), AtomicType::Integer)?,
                        v => v,
                    };
                    let Item::Integer(cp) = v else {
                        return Err(err(
                            "XPTY0004",
                            "codepoints-to-string() needs xs:integer values",
                        ));
                    };
                    let c = u32::try_from(cp)
                        .ok()
                        .and_then(char::from_u32)
                        .filter(|c| is_xml_char(*c))
                        .ok_or_else(|| {
                            err("FOCH0001", format!("{cp} is not a valid XML character"))
                        })?;
                    s.push(c);
                }
                self.give(tmp);
                Item::String(Str::from(s))
            }
            B::IndexOf => {
                let e = arg(args, 0)?;
                let search = self
                    .atom_opt(arg(args, 1)?, f, What::Arg(b, 1))?
                    .ok_or_else(|| err("XPTY0004", "index-of() needs a search value"))?;
                let mut tmp = self.take();
                self.eval(e, f, &mut tmp)?;
                for (i, it) in tmp.iter().enumerate() {
                    if atomic_equal(&it.atomize(), &search) {
                        out.push(Item::Integer(i as i64 + 1));
                    }
                }
                self.give(tmp);
                return Ok(None);
            }
            B::Name | B::LocalName | B::NamespaceUri => {
                let n = self.node_arg_or_context(b, args, f)?;
                Item::String(match n {
                    None => Str::Borrowed(""),
                    Some(n) => match b {
                        B::Name => n.name(),
                        B::LocalName => Str::Borrowed(n.local_name()),
                        _ => Str::Borrowed(n.namespace()),
                    },
                })
            }
            B::Root => match self.node_arg_or_context(b, args, f)? {
                None => return Ok(None),
                Some(n) => Item::Node(n.root()),
            },
            B::Data => {
                let start = out.len();
                self.eval(arg(args, 0)?, f, out)?;
                if let Some(s) = out.get_mut(start..) {
                    for it in s.iter_mut() {
                        if it.is_node() {
                            *it = it.atomize();
                        }
                    }
                }
                return Ok(None);
            }
            B::Subsequence => {
                let start_pos = self.double_arg(b, args, 1, f)?;
                let len = if args.len() > 2 {
                    Some(self.double_arg(b, args, 2, f)?)
                } else {
                    None
                };
                let mut tmp = self.take();
                self.eval(arg(args, 0)?, f, &mut tmp)?;
                let rs = functions::xpath_round(start_pos);
                let end = len.map_or(f64::INFINITY, |l| rs + functions::xpath_round(l));
                for (i, it) in tmp.iter().enumerate() {
                    let p = (i + 1) as f64;
                    if p >= rs && p < end {
                        out.push(it.clone());
                    }
                }
                self.give(tmp);
                return Ok(None);
            }
            B::ExactlyOne | B::ZeroOrOne | B::OneOrMore => {
                let start = out.len();
                self.eval(arg(args, 0)?, f, out)?;
                let n = out.len() - start;
                let ok = match b {
                    B::ExactlyOne => n == 1,
                    B::ZeroOrOne => n <= 1,
                    _ => n >= 1,
                };
                if !ok {
                    let code = match b {
                        B::ExactlyOne => "FORG0005",
                        B::ZeroOrOne => "FORG0003",
                        _ => "FORG0004",
                    };
                    return Err(err(code, format!("{}() called with {n} items", b.name())));
                }
                return Ok(None);
            }
            B::Compare => {
                let x = self.atom_opt(arg(args, 0)?, f, What::Arg(b, 0))?;
                let y = self.atom_opt(arg(args, 1)?, f, What::Arg(b, 1))?;
                match (x, y) {
                    (Some(x), Some(y)) => {
                        let o = x.string_value().cmp(&y.string_value());
                        Item::Integer(o as i64)
                    }
                    _ => return Ok(None),
                }
            }
            B::Error => {
                let msg = if args.len() > 1 {
                    self.str_arg(b, args, 1, f)?.to_string()
                } else {
                    "error() called".to_string()
                };
                return Err(err("FOER0000", msg));
            }
            B::Constructor(ty) => return self.construct(ty, args, f),
        };
        Ok(Some(item))
    }

    /// `round`, `floor`, `ceiling`, `abs` and `round-half-to-even` of their first argument.
    fn rounding(&mut self, b: Builtin, args: &'a [Expr], f: &Focus<'a>) -> R<Option<Item<'a>>> {
        use Builtin as B;
        let Some(v) = self.numeric_arg(b, args, 0, f)? else {
            return Ok(None);
        };
        let mode = match Rounding::of(b) {
            Some(mode) if b != B::RoundHalfToEven || args.len() < 2 => mode,
            _ => {
                let p = if args.len() > 1 {
                    match self.atom_opt(arg(args, 1)?, f, What::Arg(b, 1))? {
                        Some(Item::Integer(p)) => p,
                        _ => {
                            return Err(err(
                                "XPTY0004",
                                "the precision of round-half-to-even() must be xs:integer",
                            ))
                        }
                    }
                } else {
                    0
                };
                Rounding::HalfEven(p)
            }
        };
        Ok(Some(round(&v, mode)?))
    }

    pub(super) fn aggregate(&mut self, b: Builtin, items: &[Item<'a>]) -> R<Option<Item<'a>>> {
        let mut acc: Option<Item<'a>> = None;
        let mut count = 0i64;
        for it in items {
            let v = match it.atomize() {
                Item::Untyped(s) => cast(&Item::Untyped(s), AtomicType::Double)?,
                v => v,
            };
            count += 1;
            acc = Some(match acc {
                None => {
                    if !v.is_numeric() && matches!(b, Builtin::Sum | Builtin::Avg) {
                        return Err(err(
                            "FORG0006",
                            format!("{}() needs numeric values, not {}", b.name(), v.type_name()),
                        ));
                    }
                    v
                }
                Some(a) => match b {
                    Builtin::Sum | Builtin::Avg => {
                        if !v.is_numeric() {
                            return Err(err(
                                "FORG0006",
                                format!(
                                    "{}() needs numeric values, not {}",
                                    b.name(),
                                    v.type_name()
                                ),
                            ));
                        }
                        arith(ArithOp::Add, &a, &v)?
                    }
                    _ => {
                        if let Some(d) = v.num_f64().filter(|d| d.is_nan()) {
                            Item::Double(d)
                        } else if a.num_f64().is_some_and(f64::is_nan) {
                            a
                        } else {
                            let op = if b == Builtin::Max {
                                CmpOp::Gt
                            } else {
                                CmpOp::Lt
                            };
                            if value_compare(op, &v, &a)? {
                                v
                            } else {
                                a
                            }
                        }
                    }
                },
            });
        }
        if b == Builtin::Avg {
            if let Some(s) = acc {
                return Ok(Some(arith(ArithOp::Div, &s, &Item::Integer(count))?));
            }
        }
        Ok(acc)
    }

    fn user_call(
        &mut self,
        idx: usize,
        args: &'a [Expr],
        f: &Focus<'a>,
        out: &mut Vec<Item<'a>>,
    ) -> R<()> {
        let lib = self
            .lib
            .ok_or_else(|| err("XPST0017", "no function library"))?;
        let func = lib
            .get(idx)
            .ok_or_else(|| err("XPST0017", "unknown function"))?;
        if self.depth >= MAX_CALL_DEPTH {
            return Err(err(
                "XTDE0000",
                format!("too deep recursion in {}", func.name),
            ));
        }
        // evaluate all arguments in the caller's frame first
        let mut values: Vec<Vec<Item<'a>>> = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let mut v = self.take();
            self.eval(a, f, &mut v)?;
            if let Some(Some(ty)) = func.params.get(i).map(|p| p.1.as_ref()) {
                v = convert(v, ty, &func.name, i)?;
            }
            values.push(v);
        }
        let start = out.len();
        self.in_frame(func, |ev| {
            for (i, v) in values.into_iter().enumerate() {
                let slot = func.params.get(i).map_or(i, |p| p.0);
                ev.bind(slot, &v);
                ev.give(v);
            }
            ev.exec(&func.body, out)
        })?;
        if let Some(ty) = &func.ret {
            let mut produced = self.take();
            produced.extend(out.drain(start..));
            let mut converted = convert(produced, ty, &func.name, usize::MAX)?;
            out.append(&mut converted);
            self.give(converted);
        }
        Ok(())
    }

    /// Runs `body` in a frame of its own for a call of `func` (its parameters and variables
    /// in the frame's slots), one call level deeper.
    pub(super) fn in_frame<T>(
        &mut self,
        func: &UserFunction,
        body: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let saved = (self.base, self.frame_end);
        self.base = self.frame_end;
        self.frame_end = self.base + func.frame;
        self.depth += 1;
        let r = body(self);
        self.depth -= 1;
        (self.base, self.frame_end) = saved;
        r
    }

    /// Runs XSLT instructions of a function body (no focus).
    fn exec(&mut self, body: &'a [Instr], out: &mut Vec<Item<'a>>) -> R<()> {
        let none = Focus::none();
        for ins in body {
            match ins {
                Instr::Sequence(e) => self.eval(e, &none, out)?,
                Instr::Text(t) => out.push(Item::Untyped(Str::Borrowed(t))),
                Instr::Variable { slot, value, ty } => {
                    let mut v = self.take();
                    match value {
                        VarValue::Select(e) => self.eval(e, &none, &mut v)?,
                        VarValue::Content(instrs) => {
                            self.exec(instrs, &mut v)?;
                            if ty.is_none() {
                                // a temporary tree: its string value as untypedAtomic
                                let mut s = String::new();
                                for it in v.iter() {
                                    it.push_str(&mut s);
                                }
                                v.clear();
                                v.push(Item::Untyped(Str::from(s)));
                            }
                        }
                    }
                    if let Some(ty) = ty {
                        v = convert(v, ty, "xsl:variable", usize::MAX)?;
                    }
                    self.bind(*slot, &v);
                    self.give(v);
                }
                Instr::Choose(whens, otherwise) => {
                    let mut done = false;
                    for (test, instrs) in whens {
                        if self.ebv(test, &none)? {
                            self.exec(instrs, out)?;
                            done = true;
                            break;
                        }
                    }
                    if !done {
                        self.exec(otherwise, out)?;
                    }
                }
                Instr::If(test, instrs) => {
                    if self.ebv(test, &none)? {
                        self.exec(instrs, out)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `substring(s, start, len)`, borrowed when `s` is.
pub(super) fn substring_of(s: Str<'_>, start: f64, len: Option<f64>) -> Str<'_> {
    match s {
        Str::Borrowed(whole) => Str::Borrowed(functions::substring(whole, start, len)),
        other => Str::copy_of(functions::substring(&other, start, len)),
    }
}

/// `substring-before` or `substring-after` (`b`): the part of `s` before or after the first
/// `t` ("" when there is none), borrowed when `s` is.
pub(super) fn substring_part<'a>(b: Builtin, s: Str<'a>, t: &str) -> Str<'a> {
    let part = |whole: &str| -> std::ops::Range<usize> {
        match find_str(whole, t) {
            None => 0..0,
            Some(p) if b == Builtin::SubstringBefore => 0..p,
            Some(p) => p + t.len()..whole.len(),
        }
    };
    match s {
        Str::Borrowed(whole) => Str::Borrowed(whole.get(part(whole)).unwrap_or_default()),
        other => Str::copy_of(other.get(part(&other)).unwrap_or_default()),
    }
}

/// `normalize-space`, `upper-case`, `lower-case` of a string, borrowing when unchanged.
pub(super) fn apply_string_fn(b: Builtin, s: Str<'_>) -> Str<'_> {
    match b {
        Builtin::NormalizeSpace => match functions::normalize_space(&s) {
            None => s,
            Some(n) => Str::from(n),
        },
        Builtin::UpperCase => {
            if s.is_ascii() && !s.bytes().any(|c| c.is_ascii_lowercase()) {
                s
            } else {
                Str::from(s.to_uppercase())
            }
        }
        Builtin::LowerCase => {
            if s.is_ascii() && !s.bytes().any(|c| c.is_ascii_uppercase()) {
                s
            } else {
                Str::from(s.to_lowercase())
            }
        }
        _ => s,
    }
}

fn arg(args: &[Expr], i: usize) -> R<&Expr> {
    args.get(i)
        .ok_or_else(|| err("XPST0017", "missing function argument"))
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// `fn:replace` with XPath replacement-string syntax (`$n`, `\$`, `\\`).
pub(super) fn replace(re: &regex::Regex, s: &str, rep: &str) -> R<String> {
    // validate the replacement string first
    let rb = rep.as_bytes();
    let mut i = 0;
    while let Some(c) = rb.get(i) {
        match c {
            b'\\' => {
                if !matches!(rb.get(i + 1), Some(b'\\' | b'$')) {
                    return Err(err(
                        "FORX0004",
                        format!("invalid replacement string {rep:?}"),
                    ));
                }
                i += 2;
            }
            b'$' => {
                if !rb.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return Err(err(
                        "FORX0004",
                        format!("invalid replacement string {rep:?}"),
                    ));
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    if !rb.contains(&b'$') {
        // no group references: plain matches (no capture groups to resolve)
        let mut lit = String::with_capacity(rep.len());
        let mut chars = rep.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => lit.extend(chars.next()),
                c => lit.push(c),
            }
        }
        for m in re.find_iter(s) {
            out.push_str(s.get(last..m.start()).unwrap_or_default());
            out.push_str(&lit);
            last = m.end();
        }
        out.push_str(s.get(last..).unwrap_or_default());
        return Ok(out);
    }
    let groups = re.captures_len();
    for caps in re.captures_iter(s) {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(s.get(last..m.start()).unwrap_or_default());
        let mut i = 0;
        while let Some(c) = rb.get(i) {
            match c {
                b'\\' => {
                    if let Some(x) = rb.get(i + 1) {
                        out.push(*x as char);
                    }
                    i += 2;
                }
                b'$' => {
                    // longest digit sequence that is a valid group number
                    let mut j = i + 1;
                    let mut n = 0usize;
                    while let Some(d) = rb.get(j).filter(|d| d.is_ascii_digit()) {
                        let m2 = n * 10 + usize::from(d - b'0');
                        if j > i + 1 && m2 >= groups {
                            break;
                        }
                        n = m2;
                        j += 1;
                    }
                    if let Some(g) = caps.get(n) {
                        out.push_str(g.as_str());
                    }
                    i = j;
                }
                _ => {
                    let rest = rep.get(i..).unwrap_or_default();
                    let ch = rest.chars().next().unwrap_or('\0');
                    out.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
        last = m.end();
    }
    out.push_str(s.get(last..).unwrap_or_default());
    Ok(out)
}

fn item_matches(it: &Item<'_>, t: &ItemType) -> bool {
    match t {
        ItemType::AnyItem => true,
        ItemType::Node(k) => match it {
            Item::Node(n) => kind_matches(k, *n),
            _ => false,
        },
        ItemType::Atomic(a) => atomic_instance(it, *a),
    }
}

fn atomic_instance(it: &Item<'_>, a: AtomicType) -> bool {
    match a {
        AtomicType::AnyAtomic => !it.is_node(),
        AtomicType::Untyped => matches!(it, Item::Untyped(_)),
        AtomicType::String => matches!(it, Item::String(_)),
        AtomicType::Boolean => matches!(it, Item::Boolean(_)),
        AtomicType::Decimal => matches!(
            it,
            Item::Decimal(_) | Item::BigDecimal(_) | Item::Integer(_) | Item::BigInteger(_)
        ),
        AtomicType::Integer => matches!(it, Item::Integer(_) | Item::BigInteger(_)),
        AtomicType::Double => matches!(it, Item::Double(_)),
        AtomicType::Date => matches!(it, Item::Date(_)),
    }
}

pub(crate) fn matches_type(v: &[Item<'_>], t: &SequenceType) -> bool {
    if t.empty {
        return v.is_empty();
    }
    let card = match t.occurrence {
        Occurrence::One => v.len() == 1,
        Occurrence::Optional => v.len() <= 1,
        Occurrence::Star => true,
        Occurrence::Plus => !v.is_empty(),
    };
    card && v.iter().all(|i| item_matches(i, &t.item))
}

/// XSLT/XPath function conversion rules (atomization, untypedAtomic cast, numeric promotion)
/// followed by a type check.
pub(super) fn convert<'a>(
    mut v: Vec<Item<'a>>,
    t: &SequenceType,
    func: &str,
    arg: usize,
) -> R<Vec<Item<'a>>> {
    // the description is only formatted for an error
    let what = || {
        if arg == usize::MAX {
            format!("the result of {func}")
        } else {
            format!("the {} argument of {func}()", ordinal(arg))
        }
    };
    if let ItemType::Atomic(a) = &t.item {
        for it in v.iter_mut() {
            let x = match it.atomize() {
                Item::Untyped(s) if *a != AtomicType::AnyAtomic && *a != AtomicType::Untyped => {
                    cast(&Item::Untyped(s), *a)?
                }
                x => x,
            };
            let x = match (a, &x) {
                (AtomicType::Double, n) if n.is_numeric() => {
                    Item::Double(n.num_f64().unwrap_or(f64::NAN))
                }
                _ => x,
            };
            if !atomic_instance(&x, *a) {
                return Err(err(
                    "XPTY0004",
                    format!(
                        "required item type of {} is {}; supplied value has item type {}",
                        what(),
                        a.name(),
                        x.type_name()
                    ),
                ));
            }
            *it = x;
        }
    }
    if !matches_type(&v, t) {
        let msg = if v.is_empty() {
            format!("an empty sequence is not allowed as {}", what())
        } else if v.len() > 1 {
            format!(
                "a sequence of more than one item is not allowed as {}",
                what()
            )
        } else {
            format!("{} does not match its declared type", what())
        };
        return Err(err("XPTY0004", msg));
    }
    Ok(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::xpath::{DynamicContext, StaticContext, XPath};

    const DOC: &str = r#"<i:Invoice xmlns:i="urn:i" xmlns:c="urn:c"><c:Line id="1"><c:Qty>3</c:Qty></c:Line><c:Line id="2"><c:Qty>1.5</c:Qty></c:Line><c:Line id="3"><c:Qty>abc</c:Qty></c:Line></i:Invoice>"#;

    fn compile(expr: &str) -> XPath {
        let mut c = StaticContext::new();
        c.bind_namespace("i", "urn:i");
        c.bind_namespace("c", "urn:c");
        XPath::compile(expr, &c).unwrap()
    }

    fn memos(e: &Expr) -> usize {
        let mut n = usize::from(matches!(e, Expr::Memo(..)));
        e.children(&mut |c| n += memos(c));
        n
    }

    /// The value as a string (or the error code), evaluated twice on one context (the second
    /// time with a warm memo table).
    fn run(expr: &str) -> (usize, String) {
        let doc = Document::parse_default(DOC.as_bytes()).unwrap();
        let x = compile(expr);
        let mut d = DynamicContext::for_document(&doc);
        d.index_document(&doc);
        let first = x.evaluate_string(&mut d).map_err(|e| e.code.to_string());
        let second = x.evaluate_string(&mut d).map_err(|e| e.code.to_string());
        assert_eq!(first, second, "{expr}");
        (
            memos(x.expr().unwrap()),
            first.unwrap_or_else(|e| format!("error {e}")),
        )
    }

    #[track_caller]
    fn check(expr: &str, memoized: bool, expected: &str) {
        let (n, v) = run(expr);
        assert_eq!(v, expected, "{expr}");
        assert_eq!(n > 0, memoized, "{expr}: {n} memoized subexpressions");
    }

    #[test]
    fn repeated_subexpressions_are_memoized_without_changing_values() {
        // the same subexpression under different bindings of the range variable
        check(
            "for $l in //c:Line return (concat($l/c:Qty, '!'), concat($l/c:Qty, '!'))",
            true,
            "3! 3! 1.5! 1.5! abc! abc!",
        );
        check("every $l in //c:Line satisfies concat($l/@id, '-', $l/c:Qty) = concat($l/@id, '-', $l/c:Qty)", true, "true");
        check("some $l in //c:Line satisfies (string-length(concat($l/c:Qty, '')) = 3 and string-length(concat($l/c:Qty, '')) = 3)", true, "true");
        // empty values
        check(
            "(//c:Line[9]/c:Qty/xs:decimal(.), //c:Line[9]/c:Qty/xs:decimal(.), 'x')",
            true,
            "x",
        );
        check(
            "count((//c:Line[9]/c:Qty/xs:decimal(.), //c:Line[9]/c:Qty/xs:decimal(.)))",
            true,
            "0",
        );
        // several values
        check(
            "(//c:Line/@id/xs:integer(.), //c:Line/@id/xs:integer(.))",
            true,
            "1 2 3 1 2 3",
        );
        // errors are raised where they happen, and not remembered
        check("(xs:decimal(concat(//c:Line[3]/c:Qty, '')) + 1, xs:decimal(concat(//c:Line[3]/c:Qty, '')) + 1)", true, "error FORG0001");
        check("if (false()) then xs:decimal(concat(//c:Line[3]/c:Qty, '')) else xs:decimal(concat(//c:Line[1]/c:Qty, '')) + xs:decimal(concat(//c:Line[1]/c:Qty, ''))", true, "6");
        // the focus changes inside predicates and steps: not memoized there
        check(
            "//c:Line[concat(c:Qty, '!') = concat(c:Qty, '!')]/@id/string()",
            false,
            "1 2 3",
        );
        check(
            "//c:Line/(concat(c:Qty, '!'), concat(c:Qty, '!'))",
            false,
            "3! 3! 1.5! 1.5! abc! abc!",
        );
        // position() and last() are not memoized
        check("string-join(for $x in (1, 2) return (string(position() + 1), string(position() + 1)), '')", false, "2222");
    }

    /// A document with repeated names at several levels, two namespaces for one local name,
    /// comments, CDATA and mixed content.
    const NAMES: &str = r#"<i:Invoice xmlns:i="urn:i" xmlns:c="urn:c" xmlns:d="urn:d"><c:ID>top</c:ID><c:Line id="1"><c:ID>1</c:ID><d:ID>other</d:ID><c:Sub><c:ID>nested</c:ID></c:Sub><c:ID> second </c:ID></c:Line><c:Line id="2"><!-- c --><c:ID><![CDATA[cd]]>ata</c:ID><c:Empty/><c:Flag>false</c:Flag></c:Line><c:Line><c:Flag> true</c:Flag><c:Mixed>a<c:B>b</c:B>c<!-- x --></c:Mixed><c:Only>x</c:Only></c:Line></i:Invoice>"#;

    /// The value of `expr` over [`NAMES`] (or the error code), with or without the document index.
    fn run_names(expr: &str, indexed: bool) -> String {
        let doc = Document::parse_default(NAMES.as_bytes()).unwrap();
        let mut c = StaticContext::new();
        c.bind_namespace("i", "urn:i");
        c.bind_namespace("c", "urn:c");
        c.bind_namespace("d", "urn:d");
        let x = XPath::compile(expr, &c).unwrap();
        let mut d = DynamicContext::for_document(&doc);
        if indexed {
            d.index_document(&doc);
        }
        x.evaluate_string(&mut d)
            .unwrap_or_else(|e| format!("error {}", e.code))
    }

    #[test]
    fn indexed_child_steps_agree_with_the_tree_walk() {
        for expr in [
            "//c:Line/c:ID/string()",
            "count(//c:Line/c:ID)",
            "/i:Invoice/c:ID/string()",
            "//c:Line/c:Sub/c:ID/string()",
            "//c:Line/d:ID/string()",
            "count(//c:Line/c:Nope)",
            "count(//c:Line/i:ID)",
            "//c:Line[c:ID = '1']/@id/string()",
            "exists(//c:Line/c:Sub/c:ID)",
            "exists(/i:Invoice/c:Line/c:Empty)",
            "//c:Line/c:ID = ' second '",
            "//c:Line/string(c:Empty)",
            "//c:Line/c:Mixed/string()",
            "//c:Line/c:Mixed/c:B/string()",
            "//c:Line[2]/c:ID/string()",
            "for $l in //c:Line return count($l/c:ID)",
            "//c:Line/normalize-space(c:ID)",
            "//c:Line/normalize-space(c:Only)",
            "//c:Line/c:ID/../@id/string()",
            "/i:Invoice/c:Line[1]/c:ID[2]/string()",
            "string(/i:Invoice/c:Line[3]/c:Only)",
            "/i:Invoice/c:Line/c:Only = 'x'",
            "not(/i:Invoice/c:Line[1]/c:Sub/c:ID)",
            "count(//*[not(*)])",
            "count(//*[*])",
            "count(//*[element()])",
            "count(//*[not(*) and not(normalize-space())])",
            "count(//c:Line[c:Sub/c:ID])",
            "count(//c:Line[c:Nope/c:ID])",
            "count(//c:Line[d:ID])",
            "count(//c:Line[c:Mixed/*])",
            "exists(/*/c:Line/c:Mixed/c:B)",
            "exists(/i:Invoice/*/c:Sub)",
            // child paths the document's name paths rule out, or not
            "exists(i:Invoice/c:Line/c:Sub/c:ID)",
            "exists(i:Invoice/c:Line/c:Sub/d:ID)",
            "not(i:Invoice/c:Line/d:ID)",
            "not(i:Invoice/c:Sub/c:ID)",
            "exists(/i:Invoice/c:Line/c:Only/c:B)",
            "exists(/i:Invoice/c:Line/c:Mixed/c:B)",
            "exists((i:Invoice|i:Other)/c:Line/c:Sub)",
            "not((i:Invoice|i:Other)/c:Line/c:Nope)",
            "not((i:Invoice|i:Other)/c:Sub/c:ID)",
            "exists((i:Other|i:Invoice)/c:ID)",
            "count(//c:Line[c:Sub/c:ID/c:X])",
            "count(i:Invoice/c:Line[1]/c:Sub/c:Nope)",
            "count(i:Invoice/c:Line[c:ID]/c:Sub/c:ID)",
            "count(i:Invoice/c:Sub[error()]/c:ID)",
            "count(/i:Invoice/c:Line/c:Flag/../c:Only)",
            "count((i:Invoice|i:Other)/c:Line/c:Mixed/c:B)",
            "exists((i:Invoice|i:Other)/c:Line[error()]/c:Nope)",
            "not((i:Invoice|i:Other)/c:Line[xs:decimal(c:ID) > 0]/c:Sub/c:X)",
            "exists((i:Invoice|i:Other)/c:Nope[error()]/c:ID)",
        ] {
            assert_eq!(run_names(expr, true), run_names(expr, false), "{expr}");
        }
        assert_eq!(
            run_names("//c:Line/c:ID/string()", true),
            "1  second  cdata"
        );
        for (expr, expected) in [
            ("exists(i:Invoice/c:Line/c:Sub/c:ID)", "true"),
            ("exists(i:Invoice/c:Line/c:Sub/d:ID)", "false"),
            ("not(i:Invoice/c:Sub/c:ID)", "true"),
            ("exists((i:Invoice|i:Other)/c:Line/c:Sub)", "true"),
            ("not((i:Invoice|i:Other)/c:Sub/c:ID)", "true"),
            ("count(i:Invoice/c:Sub[error()]/c:ID)", "0"),
            ("count(i:Invoice/c:Line[c:ID]/c:Sub/c:ID)", "1"),
            ("count(/i:Invoice/c:Line/c:Flag/../c:Only)", "1"),
            // a predicate that runs raises its error, whatever follows
            (
                "exists((i:Invoice|i:Other)/c:Line[error()]/c:Nope)",
                "error FOER0000",
            ),
            (
                "not((i:Invoice|i:Other)/c:Line[xs:decimal(c:ID) > 0]/c:Sub/c:X)",
                "error XPTY0004",
            ),
            ("exists((i:Invoice|i:Other)/c:Nope[error()]/c:ID)", "false"),
        ] {
            assert_eq!(run_names(expr, true), expected, "{expr}");
        }
        assert_eq!(
            run_names("//c:Line/normalize-space(c:ID)", true),
            "error XPTY0004"
        );
    }

    #[test]
    fn comparisons_with_a_literal_agree_with_the_general_path() {
        // the second form is not a literal (a function call, a unary plus): general path
        for (fast, general) in [
            (
                "//c:Line[c:ID = '1']/@id/string()",
                "//c:Line[c:ID = string('1')]/@id/string()",
            ),
            (
                "//c:Line[c:ID != '1']/@id/string()",
                "//c:Line[c:ID != string('1')]/@id/string()",
            ),
            (
                "//c:Line['cdata' = c:ID]/@id/string()",
                "//c:Line[string('cdata') = c:ID]/@id/string()",
            ),
            (
                "//c:Line[c:ID < 'b']/@id/string()",
                "//c:Line[c:ID < string('b')]/@id/string()",
            ),
            (
                "//c:Line[normalize-space(c:ID) = 'second']/@id/string()",
                "//c:Line[normalize-space(c:ID) = string('second')]/@id/string()",
            ),
            (
                "//c:Line[upper-case(c:Only) = 'X']/@id/string()",
                "//c:Line[upper-case(c:Only) = string('X')]/@id/string()",
            ),
            (
                "count(//c:Line/c:ID[normalize-space() = 'cdata'])",
                "count(//c:Line/c:ID[normalize-space() = string('cdata')])",
            ),
            (
                "count(//c:Line/c:ID[. = ' second '])",
                "count(//c:Line/c:ID[. = string(' second ')])",
            ),
            (
                "count(//c:Line[c:Missing = ''])",
                "count(//c:Line[c:Missing = string('')])",
            ),
            (
                "count(//c:Line[c:Sub/c:ID = 'nested'])",
                "count(//c:Line[c:Sub/c:ID = string('nested')])",
            ),
            ("count(//c:Line[c:ID = 1])", "count(//c:Line[c:ID = +1])"),
            (
                "count(//c:Line[c:Only = 1])",
                "count(//c:Line[c:Only = +1])",
            ),
            (
                "count(//c:Line[normalize-space(c:Only) = 1])",
                "count(//c:Line[normalize-space(c:Only) = +1])",
            ),
            (
                "count(('a', 'b')[. = 'b'])",
                "count(('a', 'b')[. = string('b')])",
            ),
            ("count((1, 2)[. = 'b'])", "count((1, 2)[. = string('b')])"),
            (
                "count(//c:Line[c:Flag = false()])",
                "count(//c:Line[c:Flag = boolean(0)])",
            ),
            (
                "count(//c:Line[true() = c:Flag])",
                "count(//c:Line[boolean(1) = c:Flag])",
            ),
            (
                "count(//c:Line[c:Flag != true()])",
                "count(//c:Line[c:Flag != boolean(1)])",
            ),
            (
                "count(//c:Line[c:Only = true()])",
                "count(//c:Line[c:Only = boolean(1)])",
            ),
            (
                "count(//c:Line[c:Sub/normalize-space(c:ID) = 'nested'])",
                "count(//c:Line[c:Sub/normalize-space(c:ID) = string('nested')])",
            ),
            (
                "count(//c:Line[c:Sub/c:ID/string-length(.) = 6])",
                "count(//c:Line[c:Sub/c:ID/string-length(.) = +6])",
            ),
            (
                "count(//c:Line[c:Mixed/c:B/xs:decimal(1) = 1])",
                "count(//c:Line[c:Mixed/c:B/xs:decimal(1) = +1])",
            ),
            (
                "count(//c:Line[c:Mixed/c:B/. = 'b'])",
                "count(//c:Line[c:Mixed/c:B/. = string('b')])",
            ),
        ] {
            assert_eq!(run_names(fast, true), run_names(general, true), "{fast}");
            assert_eq!(run_names(fast, false), run_names(general, false), "{fast}");
        }
        for (fast, general) in [
            (
                "//c:Line[c:Qty > 2]/@id/string()",
                "//c:Line[c:Qty > +2]/@id/string()",
            ),
            (
                "//c:Line[1 < c:Qty]/@id/string()",
                "//c:Line[+1 < c:Qty]/@id/string()",
            ),
            (
                "//c:Line[c:Qty = 1.5]/@id/string()",
                "//c:Line[c:Qty = +1.5]/@id/string()",
            ),
            (
                "//c:Line[c:Qty = 'abc']/@id/string()",
                "//c:Line[c:Qty = string('abc')]/@id/string()",
            ),
            (
                "//c:Line[c:Qty = 1.5e0]/@id/string()",
                "//c:Line[c:Qty = +1.5e0]/@id/string()",
            ),
        ] {
            assert_eq!(run(fast).1, run(general).1, "{fast}");
        }
        assert_eq!(run_names("//c:Line[c:ID = '1']/@id/string()", true), "1");
        assert_eq!(run("//c:Line[c:Qty > 2]/@id/string()").1, "error FORG0001");
    }

    #[test]
    fn single_items_of_arithmetic_casts_and_conditionals_agree_with_sequences() {
        // `(X, ())[1]` evaluates X as a sequence (eval), `X = …` as one item (eval_one)
        for x in [
            "xs:decimal(c:Qty) * 2",
            "-xs:decimal(c:Qty)",
            "xs:decimal(c:Qty) div 0",
            "c:Qty + 1",
            "xs:integer(@id) idiv 2",
            "if (@id = '1') then xs:decimal(c:Qty) else c:Missing",
            "c:Missing * 2",
            "xs:decimal(c:Missing)",
            "c:Missing cast as xs:decimal",
            "c:Qty cast as xs:decimal",
        ] {
            for v in ["6", "-3", "4", "3", "1.5", "0"] {
                for lines in ["//c:Line[position() < 3]", "//c:Line"] {
                    let one = format!("{lines}[({x}) = {v}]/@id/string()");
                    let seq = format!("{lines}[({x}, ())[1] = {v}]/@id/string()");
                    assert_eq!(run(&one).1, run(&seq).1, "{one}");
                }
            }
        }
        assert_eq!(
            run("//c:Line[xs:decimal(c:Qty) * 2 = 3]/@id/string()").1,
            "error FORG0001"
        );
        assert_eq!(
            run("//c:Line[position() < 3][xs:decimal(c:Qty) * 2 = 3]/@id/string()").1,
            "2"
        );
    }

    #[test]
    fn content_tests_agree_with_string_lengths() {
        let doc = r#"<a><b> </b><b>x</b><b/><b><!-- c --></b><b> <c/> </b><b><c>y</c></b><b><![CDATA[ ]]></b><b>t<![CDATA[u]]></b><b a=" "/></a>"#;
        let eval = |expr: &str| {
            let d = Document::parse_default(doc.as_bytes()).unwrap();
            let x = compile(expr);
            let mut c = DynamicContext::for_document(&d);
            c.index_document(&d);
            x.evaluate_string(&mut c).unwrap()
        };
        for (fast, general) in [
            (
                "count(//*[normalize-space()])",
                "count(//*[string-length(normalize-space(string(.))) > 0])",
            ),
            (
                "count(//*[not(normalize-space())])",
                "count(//*[string-length(normalize-space(string(.))) = 0])",
            ),
            (
                "count(//*[not(*) and not(normalize-space())])",
                "count(//*[count(*) = 0 and string-length(normalize-space(string(.))) = 0])",
            ),
            (
                "count(//@*[not(normalize-space())])",
                "count(//@*[string-length(normalize-space(string(.))) = 0])",
            ),
            (
                "count(//text()[normalize-space()])",
                "count(//text()[string-length(normalize-space(string(.))) > 0])",
            ),
            (
                "count(//comment()[not(normalize-space())])",
                "count(//comment()[string-length(normalize-space(string(.))) = 0])",
            ),
        ] {
            assert_eq!(eval(fast), eval(general), "{fast}");
        }
        assert_eq!(eval("count(//*[not(*) and not(normalize-space())])"), "6");
    }

    #[test]
    fn steps_without_predicates_agree_with_a_true_predicate() {
        for axis in [
            "child::c:ID",
            "child::*",
            "descendant::c:ID",
            "descendant-or-self::*",
            "parent::*",
            "ancestor::*",
            "ancestor-or-self::node()",
            "following-sibling::*",
            "preceding-sibling::c:Line",
            "following::c:ID",
            "preceding::*",
            "attribute::id",
            "self::c:Line",
        ] {
            for ctx in ["//c:Line", "/i:Invoice", "//c:Sub", "//c:ID"] {
                for form in [
                    "{c}/{a}/name()",
                    "count({c}/{a})",
                    "exists({c}/{a})",
                    "{c}/{a}[1]/name()",
                ] {
                    let plain = form.replace("{c}", ctx).replace("{a}", axis);
                    let general = form
                        .replace("{c}", ctx)
                        .replace("{a}", &format!("{axis}[true()]"));
                    for indexed in [true, false] {
                        assert_eq!(
                            run_names(&plain, indexed),
                            run_names(&general, indexed),
                            "{plain}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn string_values_of_leaves_agree_with_the_subtree_walk() {
        let doc = Document::parse_default(NAMES.as_bytes()).unwrap();
        let mut n = 0;
        for node in doc
            .nodes()
            .filter(|x| x.is_element() || x.kind() == NodeKind::Document)
        {
            assert_eq!(
                &*XNode::Node(node).string_value(),
                &*node.string_value(),
                "{node:?}"
            );
            n += 1;
        }
        assert!(n > 10);
    }

    #[test]
    fn memo_entries_reused_across_evaluations_keep_values_apart() {
        // many expressions with memoized subexpressions on one context: stale entries of earlier
        // evaluations are taken over by new ids; each value must be what a fresh context gives
        let doc = Document::parse_default(DOC.as_bytes()).unwrap();
        let exprs: Vec<String> = (0..80)
            .map(|i| {
                format!(
                    "for $l in //c:Line return (concat($l/@id, '-{i}'), concat($l/@id, '-{i}'), string-length(concat($l/c:Qty, '{i}')) + string-length(concat($l/c:Qty, '{i}')))"
                )
            })
            .collect();
        let compiled: Vec<XPath> = exprs.iter().map(|e| compile(e)).collect();
        let mut shared = DynamicContext::for_document(&doc);
        shared.index_document(&doc);
        for round in 0..3 {
            for (x, e) in compiled.iter().zip(&exprs) {
                assert!(memos(x.expr().unwrap()) > 0, "{e}");
                let mut fresh = DynamicContext::for_document(&doc);
                let want = x.evaluate_string(&mut fresh).unwrap();
                assert_eq!(
                    x.evaluate_string(&mut shared).unwrap(),
                    want,
                    "{e} (round {round})"
                );
            }
        }
    }

    #[test]
    fn unions_of_single_steps() {
        assert_eq!(
            run("//(c:Line|c:Qty)/name()").1,
            "c:Line c:Qty c:Line c:Qty c:Line c:Qty"
        );
        assert_eq!(run("//(c:Nope|c:Qty)/string()").1, "3 1.5 abc");
        assert_eq!(run("count(//c:Line/(c:Qty|@id|c:Qty))").1, "6");
        assert_eq!(
            run("//c:Line[2]/(preceding-sibling::c:Line|following-sibling::c:Line)/@id/string()").1,
            "1 3"
        );
        assert_eq!(
            run("//c:Line[2]/(ancestor::*|c:Qty)/name()").1,
            "i:Invoice c:Qty"
        );
        assert_eq!(
            run("//c:Line/(c:Qty[. = 'abc']|c:Qty[xs:decimal(.) > 2])/string()").1,
            "error FORG0001"
        );
        assert_eq!(
            run("//c:Line/(c:Qty[xs:decimal(.) > 2]|c:Qty[. = 'abc'])/string()").1,
            "error FORG0001"
        );
        assert_eq!(run("(1, 2)/(c:Qty|c:Line)").1, "error XPTY0019");
        assert_eq!(run("(1, 2)[c:Qty | c:Line]").1, "error XPTY0020");
    }

    #[test]
    fn string_of_zero_one_or_more_items() {
        assert_eq!(run("string(())").1, "");
        assert_eq!(run("string(//c:Line[2]/c:Qty)").1, "1.5");
        assert_eq!(run("string(12 - 55)").1, "-43");
        assert_eq!(run("string(//c:Line[9])").1, "");
        assert_eq!(run("string(//c:Qty)").1, "error XPTY0004");
        assert_eq!(run("string((1, 2))").1, "error XPTY0004");
    }

    #[test]
    fn code_list_shape_is_kept_when_the_needle_repeats() {
        let e = "contains(' A B ', concat(' ', normalize-space(string(//c:Line[1]/c:Qty)), ' ')) or contains(' 3 B ', concat(' ', normalize-space(string(//c:Line[1]/c:Qty)), ' '))";
        assert_eq!(run(e).1, "true");
    }

    #[test]
    fn substrings_before_and_after_a_separator() {
        for (expr, expected) in [
            ("substring-after(/*/c:Line[2]/c:Qty, '.')", "5"),
            ("substring-before(/*/c:Line[2]/c:Qty, '.')", "1"),
            ("substring-after(/*/c:Line[1]/c:Qty, '.')", ""),
            ("substring-before(/*/c:Line[1]/c:Qty, '.')", ""),
            ("substring-after(/*/c:Line[3]/c:Qty, '')", "abc"),
            ("substring-before(/*/c:Line[3]/c:Qty, '')", ""),
            (
                "substring-after(concat('tëst', '::', 'wörd', '::x'), '::')",
                "wörd::x",
            ),
            (
                "substring-before(concat('tëst', '::', 'wörd'), 'ö')",
                "tëst::w",
            ),
            (
                "string-length(substring-after(/*/c:Line[2]/c:Qty, '.')) <= 2",
                "true",
            ),
            ("substring-after((), 'a')", ""),
        ] {
            assert_eq!(run(expr).1, expected, "{expr}");
        }
    }

    #[test]
    fn string_helpers_agree_with_std() {
        let empty: Box<str> = "".into();
        let words = ["", "a", "ab", "abc", "bc", "é", "aé", "éa", " ", "a b"];
        for a in words.iter().copied().chain([&*empty]) {
            for b in words.iter().copied().chain([&*empty]) {
                assert_eq!(str_eq(a, b), a == b, "{a:?} {b:?}");
                assert_eq!(contains_str(a, b), a.contains(b), "{a:?} {b:?}");
                assert_eq!(find_str(a, b), a.find(b), "{a:?} {b:?}");
                assert_eq!(starts_with(a, b), a.starts_with(b), "{a:?} {b:?}");
                assert_eq!(ends_with(a, b), a.ends_with(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn integers_format_like_display() {
        for v in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            12345,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            assert_eq!(&*Str::of_i64(v), v.to_string());
        }
    }

    /// `fn:substring` as specified: the characters at positions p with round(start) <= p <
    /// round(start) + round(len).
    fn substring_reference(s: &str, start: f64, len: Option<f64>) -> String {
        let rs = functions::xpath_round(start);
        let end = len.map_or(f64::INFINITY, |l| rs + functions::xpath_round(l));
        s.chars()
            .enumerate()
            .filter(|(i, _)| {
                let p = (*i + 1) as f64;
                p >= rs && p < end
            })
            .map(|(_, c)| c)
            .collect()
    }

    #[test]
    fn substring_borrows_the_same_characters() {
        let nums = [
            f64::NAN,
            f64::NEG_INFINITY,
            f64::INFINITY,
            -1.0,
            0.0,
            0.5,
            1.0,
            1.5,
            2.0,
            3.0,
            4.49,
            10.0,
        ];
        for s in ["", "a", "abc", "DE75 5121", "äöü€x"] {
            for st in nums {
                assert_eq!(
                    functions::substring(s, st, None),
                    substring_reference(s, st, None)
                );
                for l in nums {
                    assert_eq!(
                        functions::substring(s, st, Some(l)),
                        substring_reference(s, st, Some(l)),
                        "{s:?} {st} {l}"
                    );
                }
            }
        }
    }

    #[test]
    fn replace_without_group_references_matches_the_general_path() {
        let re = regex::Regex::new("([ \\n\\r\\t])").unwrap();
        assert_eq!(replace(&re, "DE75 5121 0800", "").unwrap(), "DE7551210800");
        assert_eq!(replace(&re, " a b ", "\\$").unwrap(), "$a$b$");
        assert_eq!(replace(&re, " a b ", "\\\\").unwrap(), "\\a\\b\\");
        assert_eq!(replace(&re, " a b ", "€").unwrap(), "€a€b€");
        assert_eq!(replace(&re, " a b ", "[$1]").unwrap(), "[ ]a[ ]b[ ]");
        assert_eq!(replace(&re, "ab", "-").unwrap(), "ab");
        assert!(replace(&re, "a b", "\\x").is_err());
        assert!(replace(&re, "a b", "$").is_err());
        let doc = Document::parse_default(DOC.as_bytes()).unwrap();
        let x = compile("replace('a b  c', '\\s+', '\\$'), replace('a b', '(a) (b)', '$2$1')");
        let mut d = DynamicContext::for_document(&doc);
        assert_eq!(x.evaluate_string(&mut d).unwrap(), "a$b$c ba");
    }
}
