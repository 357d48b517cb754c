//! A compact binary form of compiled expressions ([`XPath`]), match patterns ([`Pattern`]) and
//! function libraries ([`FunctionLibrary`]), so that a rule set can be compiled once (at build
//! or release time) and loaded at start-up in a fraction of the compile time — as
//! [`crate::xsd::SchemaSet::to_bytes`] does for schemas.
//!
//! The layout uses egov's binary primitives (LEB128 varints, length-prefixed strings). It
//! stores the compiled tree, not the text: names as strings (interned again when read, as ids
//! are per process), memo and name-only ids renumbered per expression, the analyses that are
//! cheap to redo (path shapes, code-list token sets, regex checks) redone when reading. The
//! reader checks every tag, index and count, so corrupt input gives an error, never a panic.
//! The writer is deterministic: the bytes depend only on the compiled form and
//! [`COMPILED_FORMAT_VERSION`].
//!
//! ```
//! use egov_core::xpath::{CompiledReader, CompiledWriter, DynamicContext, StaticContext, XPath};
//!
//! let ctx = StaticContext::new();
//! let source = "sum(for $i in 1 to 4 return $i * $i)";
//! let mut w = CompiledWriter::new();
//! w.xpath(&XPath::compile(source, &ctx)?)?;
//! let bytes = w.into_bytes();
//! let x = CompiledReader::new(&bytes)?.xpath(source, &ctx)?;
//! assert_eq!(x.evaluate_string(&mut DynamicContext::new()).unwrap(), "30");
//! # Ok::<(), egov_core::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use rust_decimal::Decimal;

use super::ast::*;
use super::functions::Builtin;
use super::guard::{fact, intern_fact, AbsenceGuard, Fact, FACT_BIT};
use super::index::{intern_local, intern_path, interned_name, path_key};
use super::parser::FnSig;
use super::pattern::{PPath, PStep, PStepKind, Pattern, Sep};
use super::value::{ArithOp, AtomicType, CmpOp};
use super::xslt::{FunctionLibrary, Instr, UserFunction, VarValue};
use super::{Body, StaticContext, XPath};
use crate::binary::{Reader, Writer};
use crate::hash::Fnv;
use crate::Error;

/// A guard literal as it is written (see [`CompiledWriter::guard`]): its tag and strings.
fn literal_key(l: u32) -> (u32, String, String) {
    if l & FACT_BIT == 0 {
        return (0, interned_name(l).unwrap_or_default(), String::new());
    }
    match fact(l & !FACT_BIT) {
        Some(Fact::Value {
            name,
            normalized,
            value,
        }) => (1 + u32::from(!normalized), name.into(), value.into()),
        Some(Fact::Repeat { parent, child }) => (3, parent.into(), child.into()),
        Some(Fact::BlankElement { except }) => (4, except.join(" "), String::new()),
        // (never: the id comes from the table)
        None => (3, String::new(), String::new()),
    }
}

/// Bumped whenever the layout or the meaning of the compiled form changes; a reader of another
/// version refuses the bytes (callers then compile from the text).
pub const COMPILED_FORMAT_VERSION: u32 = 4;

/// Nesting deeper than this is refused when reading (the compiler's own limit is lower).
const MAX_DEPTH: usize = 256;

const AXES: [Axis; 13] = [
    Axis::Child,
    Axis::Descendant,
    Axis::DescendantOrSelf,
    Axis::Attribute,
    Axis::Self_,
    Axis::Parent,
    Axis::Ancestor,
    Axis::AncestorOrSelf,
    Axis::FollowingSibling,
    Axis::PrecedingSibling,
    Axis::Following,
    Axis::Preceding,
    Axis::DescendantOrSelfAttribute,
];
const ATOMIC: [AtomicType; 8] = AtomicType::ALL;
const CMP: [CmpOp; 6] = [
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
];
const ARITH: [ArithOp; 6] = [
    ArithOp::Add,
    ArithOp::Sub,
    ArithOp::Mul,
    ArithOp::Div,
    ArithOp::IDiv,
    ArithOp::Mod,
];
const NODE_CMP: [NodeCmpOp; 3] = [NodeCmpOp::Is, NodeCmpOp::Precedes, NodeCmpOp::Follows];
const OCCURRENCE: [Occurrence; 4] = [
    Occurrence::One,
    Occurrence::Optional,
    Occurrence::Star,
    Occurrence::Plus,
];
const SEPS: [Sep; 5] = [Sep::Root, Sep::Any, Sep::None, Sep::Child, Sep::Desc];

/// The position of `v` in `table` (tables list every variant, so it is always found).
fn code<T: PartialEq>(table: &[T], v: &T) -> u32 {
    table.iter().position(|x| x == v).unwrap_or(0) as u32
}

/// Writes compiled forms (see the module documentation).
pub struct CompiledWriter {
    w: Writer,
    /// The string table (written at the end): each distinct string once.
    strings: HashMap<Box<str>, u32, BuildHasherDefault<Fnv>>,
    /// Memo and name-only ids of the expression being written → their ordinals in it (so
    /// that the bytes do not depend on the process's id counters).
    memo_ids: Vec<u32>,
    name_ids: Vec<u32>,
}

impl Default for CompiledWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl CompiledWriter {
    /// An empty writer.
    pub fn new() -> Self {
        CompiledWriter {
            // the offset of the string table, filled in by `into_bytes`
            w: Writer { out: vec![0; 4] },
            strings: HashMap::default(),
            memo_ids: Vec::new(),
            name_ids: Vec::new(),
        }
    }

    /// The bytes written, with the string table.
    pub fn into_bytes(mut self) -> Vec<u8> {
        let at = u32::try_from(self.w.out.len()).unwrap_or(u32::MAX);
        if let Some(head) = self.w.out.get_mut(..4) {
            head.copy_from_slice(&at.to_le_bytes());
        }
        let mut table: Vec<(&str, u32)> = self.strings.iter().map(|(s, i)| (&**s, *i)).collect();
        table.sort_unstable_by_key(|(_, i)| *i);
        // the lengths, then all strings as one (so that the reader checks UTF-8 once)
        let mut w = std::mem::take(&mut self.w);
        w.n(table.len());
        for (s, _) in &table {
            w.n(s.len());
        }
        for (s, _) in &table {
            w.out.extend_from_slice(s.as_bytes());
        }
        w.out
    }

    /// A block whose length is written first, so that a reader can take it aside and decode
    /// it later ([`CompiledReader::block`]); `f` writes its content.
    pub fn block(&mut self, f: impl FnOnce(&mut CompiledWriter)) {
        let at = self.w.out.len();
        self.w.out.extend_from_slice(&[0; 4]);
        f(self);
        let len = u32::try_from(self.w.out.len() - at - 4).unwrap_or(u32::MAX);
        if let Some(head) = self.w.out.get_mut(at..at + 4) {
            head.copy_from_slice(&len.to_le_bytes());
        }
    }

    /// A string of the compiled form, as its index in the string table.
    fn ts(&mut self, v: &str) {
        let next = self.strings.len() as u32;
        let i = *self.strings.entry(v.into()).or_insert(next);
        self.w.u(i);
    }

    /// An unsigned integer.
    pub fn u32(&mut self, v: u32) {
        self.w.u(v);
    }

    /// Eight raw bytes (a hash, say).
    pub fn u64(&mut self, v: u64) {
        self.w.u64(v);
    }

    /// A string (in place, not in the string table: for headers).
    pub fn str(&mut self, v: &str) {
        self.w.s(v);
    }

    /// A string of the string table (each distinct string is stored once; the reader borrows
    /// it from the bytes).
    pub fn text(&mut self, v: &str) {
        self.ts(v);
    }

    /// A compiled expression (without its source text, which the reader is given): what the
    /// reader needs to know without decoding it (variables read, context-free, absence
    /// guard), then the tree as a block (see [`CompiledReader::xpath_lazy`]).
    ///
    /// # Errors
    /// When `x` was itself read lazily from bytes that do not decode.
    pub fn xpath(&mut self, x: &XPath) -> Result<(), Error> {
        let expr = x.expr().map_err(|e| bad(e.message))?;
        self.w.n(x.locals);
        let vars = x.referenced_variables();
        self.w.n(vars.len());
        for v in vars {
            self.w.n(v);
        }
        self.w.b(x.is_context_free());
        match x.absence_guard() {
            None => self.w.b(false),
            Some(g) => {
                self.w.b(true);
                self.guard(&g);
            }
        }
        self.block(|w| {
            w.start();
            w.expr(expr);
        });
        Ok(())
    }

    /// A guard's terms: their number of words, then per term its number of literals and each
    /// literal — a name (tag 0, the name) or a fact (tag 1 or 2 for a value fact with or without
    /// normalization, 3 for a repetition, then its two strings). Literals and terms are written
    /// in the order of these keys, not of the process's ids, so that the bytes do not depend on
    /// what was interned first.
    fn guard(&mut self, g: &AbsenceGuard) {
        let terms = g.raw_terms();
        let mut keyed: Vec<Vec<(u32, String, String)>> = Vec::new();
        let mut rest = terms;
        while let Some((&len, tail)) = rest.split_first() {
            let (literals, next) = tail.split_at(tail.len().min(len as usize));
            let mut term: Vec<_> = literals.iter().map(|l| literal_key(*l)).collect();
            term.sort();
            keyed.push(term);
            rest = next;
        }
        keyed.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        self.w.n(terms.len());
        for term in keyed {
            self.w.n(term.len());
            for (tag, a, b) in term {
                self.w.u(tag);
                self.ts(&a);
                if tag != 0 {
                    self.ts(&b);
                }
            }
        }
    }

    /// A compiled match pattern (without its source text).
    pub fn pattern(&mut self, p: &Pattern) {
        self.start();
        self.w.n(p.locals);
        self.paths(&p.alts);
    }

    /// A compiled function library.
    pub fn functions(&mut self, lib: &FunctionLibrary) {
        self.start();
        self.w.n(lib.sigs.len());
        for s in &lib.sigs {
            self.ts(&s.namespace);
            self.ts(&s.local);
            self.w.n(s.arity);
        }
        self.w.n(lib.funcs.len());
        for f in &lib.funcs {
            self.ts(&f.name);
            self.w.n(f.params.len());
            for (slot, ty) in &f.params {
                self.w.n(*slot);
                self.opt_seq_type(ty.as_ref());
            }
            self.opt_seq_type(f.ret.as_ref());
            self.instrs(&f.body);
            self.w.n(f.frame);
        }
    }

    fn start(&mut self) {
        self.memo_ids.clear();
        self.name_ids.clear();
    }

    /// The ordinal of an id in this expression (numbered in order of first occurrence).
    fn ordinal(ids: &mut Vec<u32>, id: u32) -> u32 {
        match ids.iter().position(|x| *x == id) {
            Some(i) => i as u32,
            None => {
                ids.push(id);
                (ids.len() - 1) as u32
            }
        }
    }

    fn instrs(&mut self, body: &[Instr]) {
        self.w.n(body.len());
        for i in body {
            match i {
                Instr::Variable { slot, value, ty } => {
                    self.w.u(0);
                    self.w.n(*slot);
                    match value {
                        VarValue::Select(e) => {
                            self.w.b(false);
                            self.expr(e);
                        }
                        VarValue::Content(body) => {
                            self.w.b(true);
                            self.instrs(body);
                        }
                    }
                    self.opt_seq_type(ty.as_ref());
                }
                Instr::Sequence(e) => {
                    self.w.u(1);
                    self.expr(e);
                }
                Instr::Choose(whens, otherwise) => {
                    self.w.u(2);
                    self.w.n(whens.len());
                    for (test, body) in whens {
                        self.expr(test);
                        self.instrs(body);
                    }
                    self.instrs(otherwise);
                }
                Instr::If(test, body) => {
                    self.w.u(3);
                    self.expr(test);
                    self.instrs(body);
                }
                Instr::Text(t) => {
                    self.w.u(4);
                    self.ts(t);
                }
            }
        }
    }

    fn paths(&mut self, alts: &[PPath]) {
        self.w.n(alts.len());
        for a in alts {
            self.w.n(a.steps.len());
            for s in &a.steps {
                self.w.u(code(&SEPS, &s.sep));
                match &s.kind {
                    PStepKind::Test(attr, t) => {
                        self.w.u(0);
                        self.w.b(*attr);
                        self.node_test(t);
                    }
                    PStepKind::Group(alts) => {
                        self.w.u(1);
                        self.paths(alts);
                    }
                }
                self.preds(&s.preds);
                self.w.b(s.positional);
            }
        }
    }

    fn kind_test(&mut self, k: &KindTest) {
        match k {
            KindTest::AnyNode => self.w.u(0),
            KindTest::Text => self.w.u(1),
            KindTest::Comment => self.w.u(2),
            KindTest::Pi(name) => {
                self.w.u(3);
                self.w.b(name.is_some());
                if let Some(n) = name {
                    self.ts(n);
                }
            }
            KindTest::Element => self.w.u(4),
            KindTest::Attribute => self.w.u(5),
            KindTest::Document => self.w.u(6),
        }
    }

    fn node_test(&mut self, t: &NodeTest) {
        match t {
            NodeTest::Name(ns, local, _, _) => {
                self.w.u(0);
                self.ts(ns);
                self.ts(local);
            }
            NodeTest::NsWildcard(ns) => {
                self.w.u(1);
                self.ts(ns);
            }
            NodeTest::LocalWildcard(local) => {
                self.w.u(2);
                self.ts(local);
            }
            NodeTest::Any => self.w.u(3),
            NodeTest::Kind(k) => {
                self.w.u(4);
                self.kind_test(k);
            }
        }
    }

    fn seq_type(&mut self, t: &SequenceType) {
        match &t.item {
            ItemType::AnyItem => self.w.u(0),
            ItemType::Node(k) => {
                self.w.u(1);
                self.kind_test(k);
            }
            ItemType::Atomic(a) => {
                self.w.u(2);
                self.w.u(code(&ATOMIC, a));
            }
        }
        self.w.u(code(&OCCURRENCE, &t.occurrence));
        self.w.b(t.empty);
    }

    fn opt_seq_type(&mut self, t: Option<&SequenceType>) {
        self.w.b(t.is_some());
        if let Some(t) = t {
            self.seq_type(t);
        }
    }

    fn preds(&mut self, preds: &[Pred]) {
        self.w.n(preds.len());
        for p in preds {
            match p.kind {
                PredKind::Index(i) => {
                    self.w.u(0);
                    self.w.n(i);
                }
                PredKind::Bool => self.w.u(1),
                PredKind::General => self.w.u(2),
            }
            self.expr(&p.expr);
        }
    }

    fn exprs(&mut self, v: &[Expr]) {
        self.w.n(v.len());
        for e in v {
            self.expr(e);
        }
    }

    fn bindings(&mut self, v: &[(usize, Expr)]) {
        self.w.n(v.len());
        for (slot, e) in v {
            self.w.n(*slot);
            self.expr(e);
        }
    }

    fn two(&mut self, tag: u32, a: &Expr, b: &Expr) {
        self.w.u(tag);
        self.expr(a);
        self.expr(b);
    }

    fn path(&mut self, p: &PathExpr) {
        match &p.start {
            PathStart::Root => self.w.u(0),
            PathStart::Context => self.w.u(1),
            PathStart::Expr(e) => {
                self.w.u(2);
                self.expr(e);
            }
        }
        self.w.n(p.steps.len());
        for s in &p.steps {
            match &s.kind {
                StepKind::Axis(a, t) => {
                    self.w.u(0);
                    self.w.u(code(&AXES, a));
                    self.node_test(t);
                }
                StepKind::Expr(e) => {
                    self.w.u(1);
                    self.expr(e);
                }
            }
            self.preds(&s.preds);
        }
        // memo keys: the path texts they were interned from
        let key = |id: u32| path_key(id).unwrap_or_default();
        self.w.b(p.memo.is_some());
        if let Some(id) = p.memo {
            self.ts(&key(id));
        }
        self.w.n(p.prefix_memo.len());
        for id in &p.prefix_memo {
            self.ts(&key(*id));
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Literal(l) => {
                self.w.u(0);
                match l {
                    Literal::String(s) => {
                        self.w.u(0);
                        self.ts(s);
                    }
                    Literal::Integer(i) => {
                        self.w.u(1);
                        self.w.u64(*i as u64);
                    }
                    Literal::Decimal(d) => {
                        self.w.u(2);
                        self.w.out.extend_from_slice(&d.serialize());
                    }
                    Literal::Double(d) => {
                        self.w.u(3);
                        self.w.u64(d.to_bits());
                    }
                    Literal::BigNumber(s, b) => {
                        self.w.u(4);
                        self.ts(s);
                        self.w.b(*b);
                    }
                }
            }
            Expr::ContextItem => self.w.u(1),
            Expr::Root => self.w.u(2),
            Expr::Var(VarRef::External(i)) => {
                self.w.u(3);
                self.w.n(*i);
            }
            Expr::Var(VarRef::Local(i)) => {
                self.w.u(4);
                self.w.n(*i);
            }
            Expr::Path(p) => {
                self.w.u(5);
                self.path(p);
            }
            Expr::Filter(e, preds) => {
                self.w.u(6);
                self.expr(e);
                self.preds(preds);
            }
            Expr::Seq(v) => {
                self.w.u(7);
                self.exprs(v);
            }
            Expr::Range(a, b) => self.two(8, a, b),
            Expr::Or(a, b) => self.two(9, a, b),
            Expr::And(a, b) => self.two(10, a, b),
            Expr::GeneralCmp(op, a, b) | Expr::ValueCmp(op, a, b) => {
                self.w.u(if matches!(e, Expr::GeneralCmp(..)) {
                    11
                } else {
                    12
                });
                self.w.u(code(&CMP, op));
                self.expr(a);
                self.expr(b);
            }
            Expr::NodeCmp(op, a, b) => {
                self.w.u(13);
                self.w.u(code(&NODE_CMP, op));
                self.expr(a);
                self.expr(b);
            }
            Expr::Arith(op, a, b) => {
                self.w.u(14);
                self.w.u(code(&ARITH, op));
                self.expr(a);
                self.expr(b);
            }
            Expr::Neg(a) => {
                self.w.u(15);
                self.expr(a);
            }
            Expr::UnaryPlus(a) => {
                self.w.u(16);
                self.expr(a);
            }
            Expr::If(a, b, c) => {
                self.w.u(17);
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            Expr::Quantified {
                every,
                bindings,
                cond,
            } => {
                self.w.u(18);
                self.w.b(*every);
                self.bindings(bindings);
                self.expr(cond);
            }
            Expr::For { bindings, ret } => {
                self.w.u(19);
                self.bindings(bindings);
                self.expr(ret);
            }
            Expr::Union(a, b) => self.two(20, a, b),
            Expr::Intersect(a, b) => self.two(21, a, b),
            Expr::Except(a, b) => self.two(22, a, b),
            Expr::Call(b, args, extra) => {
                self.w.u(23);
                self.w.u(b.code());
                self.exprs(args);
                if *b == Builtin::Contains {
                    // the code-list form (so that the reader need not check the list again)
                    self.w.b(extra.as_ref().is_some_and(|x| x.tokens.is_some()));
                }
            }
            Expr::UserCall(i, args) => {
                self.w.u(24);
                self.w.n(*i);
                self.exprs(args);
            }
            Expr::Cast(a, t, opt) | Expr::Castable(a, t, opt) => {
                self.w.u(if matches!(e, Expr::Cast(..)) { 25 } else { 26 });
                self.w.u(code(&ATOMIC, t));
                self.w.b(*opt);
                self.expr(a);
            }
            Expr::InstanceOf(a, t) | Expr::Treat(a, t) => {
                self.w.u(if matches!(e, Expr::InstanceOf(..)) {
                    27
                } else {
                    28
                });
                self.seq_type(t);
                self.expr(a);
            }
            Expr::NameOnly(a, id) => {
                self.w.u(29);
                let n = Self::ordinal(&mut self.name_ids, *id);
                self.w.u(n);
                self.expr(a);
            }
            Expr::Memo(a, id) => {
                self.w.u(30);
                let n = Self::ordinal(&mut self.memo_ids, *id);
                self.w.u(n);
                self.expr(a);
            }
        }
    }
}

fn bad(message: String) -> Error {
    Error::XPath {
        expression: "(compiled form)".into(),
        offset: 0,
        message,
    }
}

/// The string table of a compiled form, shared by its blocks; names are interned (per
/// process) when first read.
struct StringTable<'a> {
    strings: Vec<&'a str>,
    /// The interned id of each string used as a name (0 = not yet interned).
    ids: Vec<AtomicU32>,
    /// Each string used as a name, shared by the name tests that use it.
    shared: Vec<OnceLock<Arc<str>>>,
}

/// Reads compiled forms written by [`CompiledWriter`], in the same order.
pub struct CompiledReader<'a> {
    r: Reader<'a>,
    table: Arc<StringTable<'a>>,
    depth: usize,
    /// Memo and name-only ids as written → fresh ids of this process (per expression).
    memo_ids: Vec<(u32, u32)>,
    name_ids: Vec<(u32, u32)>,
    /// How many user functions calls may refer to.
    functions: usize,
}

/// A block of a compiled form set aside by [`CompiledReader::block`], to be decoded later (on
/// any thread) with [`CompiledBlock::reader`].
#[derive(Clone)]
pub struct CompiledBlock<'a> {
    bytes: &'a [u8],
    table: Arc<StringTable<'a>>,
}

impl<'a> CompiledBlock<'a> {
    /// A reader at the start of the block.
    pub fn reader(&self) -> CompiledReader<'a> {
        CompiledReader::with_table(self.bytes, self.table.clone())
    }
}

impl std::fmt::Debug for CompiledBlock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CompiledBlock({} bytes)", self.bytes.len())
    }
}

fn le32(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(<[u8; 4]>::try_from(b).ok()?) as usize)
}

impl<'a> CompiledReader<'a> {
    /// A reader at the start of `bytes` (written by [`CompiledWriter::into_bytes`]).
    ///
    /// # Errors
    /// When the string table cannot be read.
    pub fn new(bytes: &'a [u8]) -> Result<Self, Error> {
        let at = le32(bytes, 0).ok_or_else(|| bad("truncated".into()))?;
        let (content, table) = bytes
            .split_at_checked(at)
            .filter(|_| at >= 4)
            .ok_or_else(|| bad("string table out of range".into()))?;
        let mut t = Reader::new(table, bad);
        let n = t.count()?;
        let mut lengths = Vec::with_capacity(n);
        for _ in 0..n {
            lengths.push(t.count()?);
        }
        let text = table
            .get(t.p..)
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or_else(|| bad("string table is not UTF-8".into()))?;
        let mut strings = Vec::with_capacity(n);
        let mut at = 0usize;
        for len in lengths {
            let end = at.saturating_add(len);
            strings.push(
                text.get(at..end)
                    .ok_or_else(|| bad("string table cut".into()))?,
            );
            at = end;
        }
        if at != text.len() {
            return Err(bad("bytes after the string table".into()));
        }
        let ids = strings.iter().map(|_| AtomicU32::new(0)).collect();
        let shared = strings.iter().map(|_| OnceLock::new()).collect();
        let table = Arc::new(StringTable {
            strings,
            ids,
            shared,
        });
        let mut r = CompiledReader::with_table(content, table);
        r.r.p = 4;
        Ok(r)
    }

    fn with_table(bytes: &'a [u8], table: Arc<StringTable<'a>>) -> Self {
        CompiledReader {
            r: Reader::new(bytes, bad),
            table,
            depth: 0,
            memo_ids: Vec::new(),
            name_ids: Vec::new(),
            functions: 0,
        }
    }

    /// Starts an expression, pattern or library whose calls refer to `functions` functions.
    fn start(&mut self, functions: usize) {
        self.memo_ids.clear();
        self.name_ids.clear();
        self.functions = functions;
    }

    /// True when all input has been read.
    pub fn at_end(&self) -> bool {
        self.r.at_end()
    }

    /// An unsigned integer.
    pub fn u32(&mut self) -> Result<u32, Error> {
        self.r.u()
    }

    /// Eight raw bytes.
    pub fn u64(&mut self) -> Result<u64, Error> {
        self.r.u64()
    }

    /// A string written with [`CompiledWriter::str`].
    pub fn str(&mut self) -> Result<&'a str, Error> {
        self.r.s()
    }

    /// A string written with [`CompiledWriter::text`].
    pub fn text(&mut self) -> Result<&'a str, Error> {
        self.ts()
    }

    /// A block written with [`CompiledWriter::block`], set aside.
    pub fn block(&mut self) -> Result<CompiledBlock<'a>, Error> {
        let n = le32(self.r.b, self.r.p).ok_or_else(|| bad("truncated block".into()))?;
        let start = self.r.p + 4;
        let bytes = self
            .r
            .b
            .get(start..start.saturating_add(n))
            .ok_or_else(|| bad("truncated block".into()))?;
        self.r.p = start + n;
        Ok(CompiledBlock {
            bytes,
            table: self.table.clone(),
        })
    }

    /// The index of a string in the table.
    #[inline(always)]
    fn ti(&mut self) -> Result<usize, Error> {
        let i = self.r.u()? as usize;
        if i >= self.table.strings.len() {
            return Err(bad(format!("string {i} out of range")));
        }
        Ok(i)
    }

    /// A string from the table.
    #[inline(always)]
    fn ts(&mut self) -> Result<&'a str, Error> {
        let i = self.ti()?;
        Ok(self.table.strings.get(i).copied().unwrap_or_default())
    }

    /// A name from the table with its interned id (interned once per table).
    #[inline(always)]
    fn name(&mut self) -> Result<(usize, u32), Error> {
        let i = self.ti()?;
        let s = self.table.strings.get(i).copied().unwrap_or_default();
        let Some(cached) = self.table.ids.get(i) else {
            return Ok((i, intern_local(s)));
        };
        let id = match cached.load(Ordering::Relaxed) {
            0 => {
                let id = intern_local(s);
                cached.store(id, Ordering::Relaxed);
                id
            }
            id => id,
        };
        Ok((i, id))
    }

    /// The string at `i` of the table as a shared string (made once per table).
    #[inline(always)]
    fn shared(&self, i: usize) -> Arc<str> {
        let s = self.table.strings.get(i).copied().unwrap_or_default();
        match self.table.shared.get(i) {
            Some(cell) => cell.get_or_init(|| Arc::from(s)).clone(),
            None => Arc::from(s),
        }
    }

    /// A compiled expression, decoded now; `source` is its text (for messages), `ctx` supplies
    /// the function library its user-function calls refer to.
    pub fn xpath(&mut self, source: &str, ctx: &StaticContext) -> Result<XPath, Error> {
        let (locals, _) = self.analysis(ctx)?;
        let block = self.block()?;
        let mut r = block.reader();
        r.start(ctx.function_sigs().len());
        let expr = r.expr()?;
        if !r.at_end() {
            return Err(bad("expression block longer than the expression".into()));
        }
        Ok(XPath {
            source: Cow::Owned(source.to_owned()),
            body: Body::Ready(expr),
            locals,
            functions: ctx.functions_arc(),
            plan: super::plan::LazyPlan::default(),
            value_plan: super::plan::LazyPlan::default(),
        })
    }

    /// What is stored before an expression's block: its local slots and its analysis.
    fn analysis(&mut self, ctx: &StaticContext) -> Result<(usize, LazyAnalysis), Error> {
        let locals = self.r.count()?;
        let n = self.r.count()?;
        let mut vars = Vec::with_capacity(n);
        for _ in 0..n {
            vars.push(self.r.u()? as usize);
        }
        let context_free = self.r.b()?;
        let guard = if self.r.b()? {
            Some(self.guard()?)
        } else {
            None
        };
        Ok((
            locals,
            LazyAnalysis {
                vars,
                context_free,
                guard,
                functions: ctx.function_sigs().len(),
            },
        ))
    }

    fn guard(&mut self) -> Result<AbsenceGuard, Error> {
        let n = self.r.count()?;
        let (mut words, mut clauses) = (0, Vec::new());
        let mut complete = true;
        while words < n {
            let len = self.r.count()?;
            let mut term = Vec::with_capacity(len);
            for _ in 0..len {
                match self.literal()? {
                    Some(l) => term.push(l),
                    None => complete = false,
                }
            }
            words += 1 + len;
            clauses.push(term);
        }
        if words != n {
            return Err(bad("absence guard longer than stated".into()));
        }
        // a name or fact beyond the tables: no guard (the expression is evaluated); the terms
        // in this process's canonical order
        match AbsenceGuard::from_clauses(clauses).filter(|_| complete) {
            Some(g) => Ok(g),
            None => Ok(AbsenceGuard::from_terms(Vec::new())),
        }
    }

    /// A literal of a guard (see [`CompiledWriter::guard`]); None when its name or fact could
    /// not be interned (the tables are full).
    fn literal(&mut self) -> Result<Option<u32>, Error> {
        let tag = self.r.u()?;
        if tag == 0 {
            let id = self.name()?.1;
            return Ok((id != 0 && id & FACT_BIT == 0).then_some(id));
        }
        let (a, b) = (self.ts()?, self.ts()?);
        let f = match tag {
            1 | 2 => Fact::Value {
                name: a.into(),
                normalized: tag == 1,
                value: b.into(),
            },
            3 => Fact::Repeat {
                parent: a.into(),
                child: b.into(),
            },
            4 => Fact::BlankElement {
                except: a
                    .split(' ')
                    .filter(|n| !n.is_empty())
                    .map(Into::into)
                    .collect(),
            },
            _ => return Err(bad(format!("guard literal kind {tag}"))),
        };
        Ok(intern_fact(f)
            .filter(|id| id & FACT_BIT == 0)
            .map(|id| id | FACT_BIT))
    }

    /// A compiled match pattern (see [`CompiledReader::xpath`]).
    pub fn pattern(&mut self, source: &str, ctx: &StaticContext) -> Result<Pattern, Error> {
        self.start(ctx.function_sigs().len());
        let locals = self.r.count()?;
        let alts = self.paths()?;
        Ok(Pattern::from_parts(
            source,
            alts,
            locals,
            ctx.functions_arc(),
        ))
    }

    /// A compiled function library.
    pub fn functions(&mut self) -> Result<FunctionLibrary, Error> {
        let n = self.r.count()?;
        let mut sigs = Vec::with_capacity(n);
        for _ in 0..n {
            sigs.push(FnSig {
                namespace: self.ts()?.to_string(),
                local: self.ts()?.to_string(),
                arity: self.r.u()? as usize,
            });
        }
        // the bodies call functions of this library
        self.start(sigs.len());
        let n = self.r.count()?;
        let mut funcs = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.ts()?.to_string();
            let np = self.r.count()?;
            let mut params = Vec::with_capacity(np);
            for _ in 0..np {
                params.push((self.r.u()? as usize, self.opt_seq_type()?));
            }
            let ret = self.opt_seq_type()?;
            let body = self.instrs()?;
            let frame = self.r.u()? as usize;
            funcs.push(UserFunction {
                name,
                params,
                ret,
                body,
                frame,
                plan: std::sync::OnceLock::new(),
            });
        }
        Ok(FunctionLibrary { sigs, funcs })
    }

    /// The token set of a code-list `contains(' A B … ', concat(' ', x, ' '))` when the writer
    /// marked the call as one (the list was checked when compiling).
    fn code_list(&mut self, args: &[Expr]) -> Result<Option<Box<CallExtra>>, Error> {
        if !self.r.b()? {
            return Ok(None);
        }
        let Some(Expr::Literal(Literal::String(list))) = args.first() else {
            return Err(bad("code list without its literal".into()));
        };
        Ok(Some(Box::new(CallExtra {
            regex: std::sync::Arc::default(),
            tokens: Some(std::sync::Arc::new(CodeListTokens::new(list.clone()))),
        })))
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(bad("nested too deeply".into()));
        }
        Ok(())
    }

    fn pick<T: Copy>(&mut self, table: &[T], what: &str) -> Result<T, Error> {
        let i = self.r.u()?;
        table
            .get(i as usize)
            .copied()
            .ok_or_else(|| bad(format!("invalid {what} {i}")))
    }

    fn instrs(&mut self) -> Result<Vec<Instr>, Error> {
        self.enter()?;
        let n = self.r.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(match self.r.u()? {
                0 => {
                    let slot = self.r.u()? as usize;
                    let value = if self.r.b()? {
                        VarValue::Content(self.instrs()?)
                    } else {
                        VarValue::Select(self.expr()?)
                    };
                    Instr::Variable {
                        slot,
                        value,
                        ty: self.opt_seq_type()?,
                    }
                }
                1 => Instr::Sequence(self.expr()?),
                2 => {
                    let nw = self.r.count()?;
                    let mut whens = Vec::with_capacity(nw);
                    for _ in 0..nw {
                        whens.push((self.expr()?, self.instrs()?));
                    }
                    Instr::Choose(whens, self.instrs()?)
                }
                3 => Instr::If(self.expr()?, self.instrs()?),
                4 => Instr::Text(self.ts()?.into()),
                t => return Err(bad(format!("invalid instruction {t}"))),
            });
        }
        self.depth -= 1;
        Ok(out)
    }

    fn paths(&mut self) -> Result<Vec<PPath>, Error> {
        self.enter()?;
        let n = self.r.count()?;
        let mut alts = Vec::with_capacity(n);
        for _ in 0..n {
            let ns = self.r.count()?;
            let mut steps = Vec::with_capacity(ns);
            for _ in 0..ns {
                let sep = self.pick(&SEPS, "separator")?;
                let kind = match self.r.u()? {
                    0 => PStepKind::Test(self.r.b()?, self.node_test()?),
                    1 => PStepKind::Group(self.paths()?),
                    t => return Err(bad(format!("invalid pattern step {t}"))),
                };
                steps.push(PStep {
                    sep,
                    kind,
                    preds: self.preds()?,
                    positional: self.r.b()?,
                    plans: super::plan::LazyPlan::default(),
                });
            }
            alts.push(PPath { steps });
        }
        self.depth -= 1;
        Ok(alts)
    }

    fn kind_test(&mut self) -> Result<KindTest, Error> {
        Ok(match self.r.u()? {
            0 => KindTest::AnyNode,
            1 => KindTest::Text,
            2 => KindTest::Comment,
            3 => KindTest::Pi(if self.r.b()? {
                Some(self.ts()?.into())
            } else {
                None
            }),
            4 => KindTest::Element,
            5 => KindTest::Attribute,
            6 => KindTest::Document,
            t => return Err(bad(format!("invalid kind test {t}"))),
        })
    }

    fn node_test(&mut self) -> Result<NodeTest, Error> {
        Ok(match self.r.u()? {
            0 => {
                let (ns, ns_id) = self.name()?;
                let (local, id) = self.name()?;
                NodeTest::Name(self.shared(ns), self.shared(local), id, ns_id)
            }
            1 => NodeTest::NsWildcard(self.ts()?.into()),
            2 => NodeTest::LocalWildcard(self.ts()?.into()),
            3 => NodeTest::Any,
            4 => NodeTest::Kind(self.kind_test()?),
            t => return Err(bad(format!("invalid node test {t}"))),
        })
    }

    fn seq_type(&mut self) -> Result<SequenceType, Error> {
        let item = match self.r.u()? {
            0 => ItemType::AnyItem,
            1 => ItemType::Node(self.kind_test()?),
            2 => ItemType::Atomic(self.pick(&ATOMIC, "atomic type")?),
            t => return Err(bad(format!("invalid item type {t}"))),
        };
        Ok(SequenceType {
            item,
            occurrence: self.pick(&OCCURRENCE, "occurrence")?,
            empty: self.r.b()?,
        })
    }

    fn opt_seq_type(&mut self) -> Result<Option<SequenceType>, Error> {
        Ok(if self.r.b()? {
            Some(self.seq_type()?)
        } else {
            None
        })
    }

    fn preds(&mut self) -> Result<Vec<Pred>, Error> {
        let n = self.r.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let kind = match self.r.u()? {
                0 => PredKind::Index(self.r.u()? as usize),
                1 => PredKind::Bool,
                2 => PredKind::General,
                t => return Err(bad(format!("invalid predicate kind {t}"))),
            };
            out.push(Pred {
                expr: self.expr()?,
                kind,
            });
        }
        Ok(out)
    }

    fn exprs(&mut self) -> Result<Vec<Expr>, Error> {
        let n = self.r.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.expr()?);
        }
        Ok(out)
    }

    fn bindings(&mut self) -> Result<Vec<(usize, Expr)>, Error> {
        let n = self.r.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push((self.r.u()? as usize, self.expr()?));
        }
        Ok(out)
    }

    fn boxed(&mut self) -> Result<Box<Expr>, Error> {
        Ok(Box::new(self.expr()?))
    }

    fn two(&mut self) -> Result<(Box<Expr>, Box<Expr>), Error> {
        Ok((self.boxed()?, self.boxed()?))
    }

    fn path(&mut self) -> Result<PathExpr, Error> {
        let start = match self.r.u()? {
            0 => PathStart::Root,
            1 => PathStart::Context,
            2 => PathStart::Expr(self.boxed()?),
            t => return Err(bad(format!("invalid path start {t}"))),
        };
        let n = self.r.count()?;
        let mut steps = Vec::with_capacity(n);
        for _ in 0..n {
            let kind = match self.r.u()? {
                0 => StepKind::Axis(self.pick(&AXES, "axis")?, self.node_test()?),
                1 => StepKind::Expr(self.expr()?),
                t => return Err(bad(format!("invalid step {t}"))),
            };
            steps.push(Step {
                kind,
                preds: self.preds()?,
            });
        }
        let mut p = PathExpr::new(start, steps);
        p.memo = if self.r.b()? {
            Some(intern_path(self.ts()?))
        } else {
            None
        };
        let n = self.r.count()?;
        let mut prefix_memo = Vec::with_capacity(n);
        for _ in 0..n {
            prefix_memo.push(intern_path(self.ts()?));
        }
        p.prefix_memo = prefix_memo.into_boxed_slice();
        // a full interner (id 0) means no memo, as when compiling
        if p.memo == Some(0) || p.prefix_memo.contains(&0) {
            p.memo = None;
            p.prefix_memo = Box::default();
        }
        Ok(p)
    }

    /// A fresh id for an id as written (the same one for each occurrence in this expression).
    fn renumber(map: &mut Vec<(u32, u32)>, old: u32, fresh: fn() -> u32) -> u32 {
        if let Some((_, new)) = map.iter().find(|(o, _)| *o == old) {
            return *new;
        }
        let new = fresh();
        map.push((old, new));
        new
    }

    fn expr(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let e = self.expr_inner()?;
        self.depth -= 1;
        Ok(e)
    }

    fn expr_inner(&mut self) -> Result<Expr, Error> {
        Ok(match self.r.u()? {
            0 => Expr::Literal(match self.r.u()? {
                0 => {
                    let i = self.ti()?;
                    Literal::String(self.shared(i))
                }
                1 => Literal::Integer(self.r.u64()? as i64),
                2 => {
                    let b = self
                        .r
                        .b
                        .get(self.r.p..self.r.p + 16)
                        .and_then(|s| <[u8; 16]>::try_from(s).ok())
                        .ok_or_else(|| bad("truncated decimal".into()))?;
                    self.r.p += 16;
                    Literal::Decimal(Decimal::deserialize(b))
                }
                3 => Literal::Double(f64::from_bits(self.r.u64()?)),
                4 => Literal::BigNumber(self.ts()?.into(), self.r.b()?),
                t => return Err(bad(format!("invalid literal {t}"))),
            }),
            1 => Expr::ContextItem,
            2 => Expr::Root,
            3 => Expr::Var(VarRef::External(self.r.u()? as usize)),
            4 => Expr::Var(VarRef::Local(self.r.u()? as usize)),
            5 => Expr::Path(Box::new(self.path()?)),
            6 => Expr::Filter(self.boxed()?, self.preds()?),
            7 => Expr::Seq(self.exprs()?),
            8 => self.two().map(|(a, b)| Expr::Range(a, b))?,
            9 => self.two().map(|(a, b)| Expr::Or(a, b))?,
            10 => self.two().map(|(a, b)| Expr::And(a, b))?,
            11 => {
                let op = self.pick(&CMP, "comparison")?;
                self.two().map(|(a, b)| Expr::GeneralCmp(op, a, b))?
            }
            12 => {
                let op = self.pick(&CMP, "comparison")?;
                self.two().map(|(a, b)| Expr::ValueCmp(op, a, b))?
            }
            13 => {
                let op = self.pick(&NODE_CMP, "node comparison")?;
                self.two().map(|(a, b)| Expr::NodeCmp(op, a, b))?
            }
            14 => {
                let op = self.pick(&ARITH, "operator")?;
                self.two().map(|(a, b)| Expr::Arith(op, a, b))?
            }
            15 => Expr::Neg(self.boxed()?),
            16 => Expr::UnaryPlus(self.boxed()?),
            17 => Expr::If(self.boxed()?, self.boxed()?, self.boxed()?),
            18 => Expr::Quantified {
                every: self.r.b()?,
                bindings: self.bindings()?,
                cond: self.boxed()?,
            },
            19 => Expr::For {
                bindings: self.bindings()?,
                ret: self.boxed()?,
            },
            20 => self.two().map(|(a, b)| Expr::Union(a, b))?,
            21 => self.two().map(|(a, b)| Expr::Intersect(a, b))?,
            22 => self.two().map(|(a, b)| Expr::Except(a, b))?,
            23 => {
                let c = self.r.u()?;
                let b =
                    Builtin::from_code(c).ok_or_else(|| bad(format!("invalid function {c}")))?;
                let args = self.exprs()?;
                let extra = if b == Builtin::Contains {
                    self.code_list(&args)?
                } else if b.uses_regex() {
                    Some(Box::default())
                } else {
                    None
                };
                Expr::Call(b, args, extra)
            }
            24 => {
                let i = self.r.u()? as usize;
                if i >= self.functions {
                    return Err(bad(format!("user function {i} out of range")));
                }
                Expr::UserCall(i, self.exprs()?)
            }
            t @ (25 | 26) => {
                let ty = self.pick(&ATOMIC, "atomic type")?;
                let opt = self.r.b()?;
                let a = self.boxed()?;
                if t == 25 {
                    Expr::Cast(a, ty, opt)
                } else {
                    Expr::Castable(a, ty, opt)
                }
            }
            t @ (27 | 28) => {
                let ty = self.seq_type()?;
                let a = self.boxed()?;
                if t == 27 {
                    Expr::InstanceOf(a, ty)
                } else {
                    Expr::Treat(a, ty)
                }
            }
            29 => {
                let id = self.r.u()?;
                let id = Self::renumber(&mut self.name_ids, id, fresh_name_only_id);
                Expr::NameOnly(self.boxed()?, id)
            }
            30 => {
                let id = self.r.u()?;
                let id = Self::renumber(&mut self.memo_ids, id, fresh_memo_id);
                Expr::Memo(self.boxed()?, id)
            }
            t => return Err(bad(format!("invalid expression {t}"))),
        })
    }
}

impl CompiledReader<'static> {
    /// A compiled expression from `'static` bytes (embedded data), decoded when it is first
    /// evaluated: what is needed before that — the variables it reads, whether it is
    /// context-free, its absence guard — is stored beside the tree. A tree that turns out not
    /// to decode makes its evaluations fail with the dynamic error `EGOV0001`. `source` is the
    /// expression's text (kept as given: a `&'static str` is not copied).
    pub fn xpath_lazy(
        &mut self,
        source: impl Into<Cow<'static, str>>,
        ctx: &StaticContext,
    ) -> Result<XPath, Error> {
        let (locals, analysis) = self.analysis(ctx)?;
        let block = self.block()?;
        Ok(XPath {
            source: source.into(),
            body: Body::Lazy(Box::new(LazyExpr {
                analysis,
                block,
                expr: OnceLock::new(),
            })),
            locals,
            functions: ctx.functions_arc(),
            plan: super::plan::LazyPlan::default(),
            value_plan: super::plan::LazyPlan::default(),
        })
    }
}

/// What is known of a lazily read expression before it is decoded.
#[derive(Debug)]
pub(crate) struct LazyAnalysis {
    pub vars: Vec<usize>,
    pub context_free: bool,
    pub guard: Option<AbsenceGuard>,
    /// How many user functions its calls may refer to.
    functions: usize,
}

/// An expression read with [`CompiledReader::xpath_lazy`].
#[derive(Debug)]
pub(crate) struct LazyExpr {
    pub analysis: LazyAnalysis,
    block: CompiledBlock<'static>,
    expr: OnceLock<Result<Expr, String>>,
}

impl std::ops::Deref for LazyExpr {
    type Target = LazyAnalysis;
    fn deref(&self) -> &LazyAnalysis {
        &self.analysis
    }
}

impl LazyExpr {
    /// The tree, decoded on first use.
    pub fn get(&self) -> Result<&Expr, String> {
        self.expr
            .get_or_init(|| {
                let mut r = self.block.reader();
                r.start(self.analysis.functions);
                let e = r.expr().map_err(|e| e.to_string())?;
                if !r.at_end() {
                    return Err("expression block longer than the expression".into());
                }
                Ok(e)
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::xml::{Document, Limits};
    use crate::xpath::{DynamicContext, XNode};

    const DOC: &str = r#"<i:Invoice xmlns:i="urn:i" xmlns:c="urn:c"><c:ID>A-1</c:ID>
        <c:Line id="1"><c:Amount>10.50</c:Amount><c:Code>AA</c:Code></c:Line>
        <c:Line id="2"><c:Amount>-3</c:Amount><c:Code>ZZ</c:Code></c:Line>
        <?pi x?><!-- c --><c:Note>x</c:Note></i:Invoice>"#;

    /// Expressions covering every kind of node of the compiled form.
    const EXPRESSIONS: &[&str] = &[
        "/i:Invoice/c:ID = 'A-1'",
        "sum(//c:Amount) + xs:decimal(1.25) * 2 - 1e1 div 4 idiv 1 mod 3",
        "count(c:Line[@id = '2']/c:Amount[1]) ne 1 or -(1) lt +2",
        "for $l in //c:Line return string-length(normalize-space($l/c:Code))",
        "some $a in //c:Amount satisfies xs:decimal($a) < 0",
        "every $a in //c:Amount satisfies $a castable as xs:decimal",
        "if (exists(//c:Note)) then (1 to 3)[2] else ()",
        "(//c:Line | //c:Note) except //c:Note intersect //c:*",
        "//c:Line[1] is //c:Line[1] and //c:Line[1] << //c:Line[2] and not(//c:Line[2] >> //c:Note)",
        "//c:Line[1] instance of element()+ and (//c:Amount treat as element()*) and (1 cast as xs:string?) = '1'",
        "matches(//c:ID, '^[A-Z]-[0-9]+$') and replace('ab', 'b', 'c') = 'ac'",
        "contains(' AA BB CC ', concat(' ', //c:Line[1]/c:Code, ' '))",
        "(xs:decimal(//c:Line[1]/c:Amount) + xs:decimal(//c:Line[1]/c:Amount)) = (xs:decimal(//c:Line[1]/c:Amount) + xs:decimal(//c:Line[1]/c:Amount))",
        "123456789012345678901234567890 > 1 and 0.5 = 5e-1",
        "count(//processing-instruction('pi')) + count(//comment()) + count(//text()) + count(/descendant-or-self::node()/@*)",
        "//c:Line/ancestor::*[1]/following-sibling::* | //c:Note/preceding-sibling::c:Line/following::c:Note | //*:Amount/parent::c:Line/self::c:Line/preceding::c:ID",
        "u:twice(count(//c:Line))",
        // an absence guard on names, code values and repetitions
        "not(//c:Line[normalize-space(c:Code) = 'QQ']/c:Code[. = 'QQ']) and count(//c:Line[c:Code = ('X', 'Y')]) = 0",
        // … and on blank elements, with and without names excepted
        "empty(//c:*[not(name() = 'c:Note') and not(name() = 'c:ID') and not(*) and not(normalize-space())]) and not(//c:Code[not(normalize-space())])",
    ];

    fn context() -> StaticContext {
        let mut ctx = StaticContext::new();
        ctx.bind_namespace("i", "urn:i");
        ctx.bind_namespace("c", "urn:c");
        ctx.bind_namespace("u", "utils");
        let lib = FunctionLibrary::from_xslt(
            [r#"<function xmlns="http://www.w3.org/1999/XSL/Transform" name="u:twice" as="xs:integer">
                  <param name="x" as="xs:integer"/>
                  <variable name="y" select="$x * 2"/>
                  <choose><when test="$y gt 100"><sequence select="100"/></when>
                  <otherwise><if test="true()"><sequence select="$y"/></if></otherwise></choose>
                </function>"#],
            &ctx,
        )
        .unwrap();
        ctx.set_functions(Arc::new(lib));
        ctx
    }

    fn value(x: &XPath, doc: &Document) -> String {
        let mut dc = DynamicContext::for_document(doc);
        format!("{:?}", x.evaluate_string(&mut dc))
    }

    #[test]
    fn expressions_round_trip_and_evaluate_alike() {
        let ctx = context();
        let doc = Document::parse(DOC.as_bytes(), &Limits::default()).unwrap();
        for src in EXPRESSIONS {
            let compiled = XPath::compile(src, &ctx).unwrap();
            let mut w = CompiledWriter::new();
            w.xpath(&compiled).unwrap();
            let bytes = w.into_bytes();
            let read = CompiledReader::new(&bytes)
                .unwrap()
                .xpath(src, &ctx)
                .unwrap();
            let mut again = CompiledWriter::new();
            again.xpath(&read).unwrap();
            assert_eq!(bytes, again.into_bytes(), "{src}");
            assert_eq!(value(&compiled, &doc), value(&read, &doc), "{src}");
            assert_eq!(read.source(), *src);
            // read lazily: the same analysis before decoding, the same value after
            let leaked: &'static [u8] = Box::leak(bytes.clone().into_boxed_slice());
            let lazy = CompiledReader::new(leaked)
                .unwrap()
                .xpath_lazy(*src, &ctx)
                .unwrap();
            assert!(lazy.lazy_analysis().is_some());
            assert_eq!(lazy.referenced_variables(), compiled.referenced_variables());
            assert_eq!(lazy.is_context_free(), compiled.is_context_free());
            assert_eq!(lazy.absence_guard(), compiled.absence_guard());
            assert_eq!(value(&compiled, &doc), value(&lazy, &doc), "{src}");
            let mut again = CompiledWriter::new();
            again.xpath(&lazy).unwrap();
            assert_eq!(bytes, again.into_bytes(), "{src}");
        }
    }

    #[test]
    fn blank_element_facts_are_guards() {
        let src = EXPRESSIONS.last().copied().unwrap_or_default();
        let guard = XPath::compile(src, &context()).unwrap().absence_guard();
        assert_eq!(guard.map(|g| g.terms()), Some(2), "{src}");
    }

    #[test]
    fn patterns_and_function_libraries_round_trip() {
        let ctx = context();
        let lib = ctx.functions_arc().unwrap();
        let mut w = CompiledWriter::new();
        w.functions(&lib);
        let bytes = w.into_bytes();
        let read = CompiledReader::new(&bytes).unwrap().functions().unwrap();
        let mut again = CompiledWriter::new();
        again.functions(&read);
        assert_eq!(bytes, again.into_bytes());

        let doc = Document::parse(DOC.as_bytes(), &Limits::default()).unwrap();
        let src = "c:Line[c:Code = 'AA'] | /i:Invoice//c:Amount[1] | (c:Line | c:Note)/@id | //node()[name() = 'c:Note']";
        let p = Pattern::compile(src, &ctx).unwrap();
        let mut w = CompiledWriter::new();
        w.pattern(&p);
        let bytes = w.into_bytes();
        let q = CompiledReader::new(&bytes)
            .unwrap()
            .pattern(src, &ctx)
            .unwrap();
        let mut again = CompiledWriter::new();
        again.pattern(&q);
        assert_eq!(bytes, again.into_bytes());
        let mut dc = DynamicContext::for_document(&doc);
        for n in doc.document_node().descendants() {
            let x = XNode::Node(n);
            assert_eq!(p.matches(x, &mut dc), q.matches(x, &mut dc));
        }
    }

    #[test]
    fn corrupt_bytes_are_errors_not_panics() {
        // (unoptimised builds use several KB of stack per nesting level: give them room)
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(corrupt_bytes)
            .unwrap()
            .join()
            .unwrap();
    }

    fn corrupt_bytes() {
        let ctx = context();
        let doc = Document::parse(DOC.as_bytes(), &Limits::default()).unwrap();
        let mut w = CompiledWriter::new();
        for src in EXPRESSIONS {
            w.xpath(&XPath::compile(src, &ctx).unwrap()).unwrap();
        }
        let bytes = w.into_bytes();
        // every truncation and a flipped byte at every position: an error or some expression,
        // never a panic
        for cut in 0..bytes.len() {
            if let Ok(mut r) = CompiledReader::new(&bytes[..cut]) {
                while r.xpath("x", &ctx).is_ok() {}
            }
            let mut b = bytes.clone();
            b[cut] ^= 0x5a;
            if let Ok(mut r) = CompiledReader::new(&b) {
                // what decodes also evaluates without panicking
                while let Ok(x) = r.xpath("x", &ctx) {
                    let _ = value(&x, &doc);
                }
            }
            if cut % 7 == 0 {
                // read lazily, the errors come with the evaluation
                let leaked: &'static [u8] = Box::leak(b.into_boxed_slice());
                if let Ok(mut r) = CompiledReader::new(leaked) {
                    while let Ok(x) = r.xpath_lazy("x", &ctx) {
                        let _ = value(&x, &doc);
                        let _ = x.absence_guard();
                    }
                }
            }
        }
        // deep nesting is refused: no locals, variables, context-freedom or guard, then a
        // block of 10,000 negations, then an empty string table
        let mut neg: Vec<u8> = 10_012u32.to_le_bytes().to_vec();
        neg.extend([0, 0, 0, 0]);
        neg.extend(10_000u32.to_le_bytes());
        neg.extend([15u8; 10_000]);
        neg.push(0);
        let mut r = CompiledReader::new(&neg).unwrap();
        let e = r.xpath("x", &ctx).unwrap_err().to_string();
        assert!(e.contains("nested too deeply"), "{e}");
    }
}
