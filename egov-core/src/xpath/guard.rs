//! Absence guards (see [`AbsenceGuard`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::ast::{Expr, KindTest, Literal, NodeTest, PathExpr, PathStart, PredKind, StepKind};
use super::functions::{self, Builtin};
use super::index::{self, DocIndex};
use super::pattern::{PPath, PStep, PStepKind, Pattern};
use super::value::{ArithOp, CmpOp, XNode};
use super::{plan, DynamicContext, XPath};

/// Whether guards are consulted (see [`use_guards`]).
static GUARDS: AtomicBool = AtomicBool::new(true);

/// Turns absence guards off (or on again) for the whole process: every guarded expression is
/// then evaluated. Results are the same either way; this exists so that tests can show it.
#[doc(hidden)]
pub fn use_guards(on: bool) {
    GUARDS.store(on, Ordering::Relaxed);
}

/// Something that may occur in a document, whose absence an [`AbsenceGuard`] can rely on
/// besides the absence of element and attribute names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Fact {
    /// An element with local name `name` whose string value — after `normalize-space` when
    /// `normalized` — is `value` (`cbc:ID[normalize-space(.) = 'AE']`,
    /// `ram:CategoryCode = 'E'`).
    Value {
        name: Box<str>,
        normalized: bool,
        value: Box<str>,
    },
    /// An element with local name `parent` that has two or more element children with local
    /// name `child`: where there is none, `normalize-space(cbc:ID)` evaluated for a
    /// `cac:TaxScheme` cannot raise the cardinality error `XPTY0004`.
    Repeat { parent: Box<str>, child: Box<str> },
    /// A blank element: one without element children whose string value is empty or white
    /// space only (`not(*) and not(normalize-space())`), and whose `name()` is none of
    /// `except`. Where there is none, the context of PEPPOL-EN16931-R008
    /// (`//*[not(*) and not(normalize-space())]`; in CII with
    /// `not(name() = 'ram:ApplicableHeaderTradeDelivery')`) matches no node. Without
    /// exceptions, no element at all has a blank string value (a leaf in its subtree would be
    /// blank).
    BlankElement { except: Box<[Box<str>]> },
}

/// At most this many facts per process (ever new expressions must not grow the table without
/// bound); beyond it, a fact is taken as present (no guard relies on its absence).
const MAX_FACTS: usize = 1 << 16;

/// The process-wide table of facts: ids by fact, and the facts in id order.
#[derive(Default)]
struct FactTable {
    ids: HashMap<Fact, u32>,
    list: Vec<Fact>,
    /// The facts prepared for checking documents, rebuilt when facts were added since.
    prepared: Option<Arc<Prepared>>,
}

static FACTS: OnceLock<Mutex<FactTable>> = OnceLock::new();

fn fact_table() -> std::sync::MutexGuard<'static, FactTable> {
    let m = FACTS.get_or_init(|| Mutex::new(FactTable::default()));
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The process-wide id of a fact (None when the table is full).
pub(crate) fn intern_fact(f: Fact) -> Option<u32> {
    let mut t = fact_table();
    if let Some(id) = t.ids.get(&f) {
        return Some(*id);
    }
    if t.list.len() >= MAX_FACTS {
        return None;
    }
    let id = u32::try_from(t.list.len()).ok()?;
    t.list.push(f.clone());
    t.ids.insert(f, id);
    Some(id)
}

/// The fact an id was interned from (for writing compiled forms).
pub(crate) fn fact(id: u32) -> Option<Fact> {
    fact_table().list.get(id as usize).cloned()
}

/// The value facts on one element local name, with or without normalization: value → fact id.
type ValueGroup = (Box<str>, bool, index::IdMap<Box<str>, u32>);

/// The facts of the table grouped for checking a document.
#[derive(Default)]
struct Prepared {
    /// Facts with ids below this are covered.
    known: u32,
    /// Value facts by element local name and normalization.
    values: Vec<ValueGroup>,
    /// Repeat facts: (parent, child, fact id).
    repeats: Vec<(Box<str>, Box<str>, u32)>,
    /// Blank-element facts: (names excepted, fact id).
    blanks: Vec<(Box<[Box<str>]>, u32)>,
}

impl Prepared {
    fn of(list: &[Fact]) -> Prepared {
        let mut p = Prepared {
            known: u32::try_from(list.len()).unwrap_or(u32::MAX),
            ..Prepared::default()
        };
        for (id, f) in (0u32..).zip(list) {
            match f {
                Fact::Value {
                    name,
                    normalized,
                    value,
                } => {
                    let group = match p
                        .values
                        .iter()
                        .position(|(n, m, _)| n == name && m == normalized)
                    {
                        Some(i) => i,
                        None => {
                            p.values
                                .push((name.clone(), *normalized, index::IdMap::default()));
                            p.values.len() - 1
                        }
                    };
                    if let Some((_, _, ids)) = p.values.get_mut(group) {
                        ids.insert(value.clone(), id);
                    }
                }
                Fact::Repeat { parent, child } => {
                    p.repeats.push((parent.clone(), child.clone(), id));
                }
                Fact::BlankElement { except } => p.blanks.push((except.clone(), id)),
            }
        }
        p
    }
}

/// The facts interned so far, prepared for checking a document.
fn prepared() -> Arc<Prepared> {
    let mut t = fact_table();
    match &t.prepared {
        Some(p) if p.known as usize == t.list.len() => p.clone(),
        _ => {
            let p = Arc::new(Prepared::of(&t.list));
            t.prepared = Some(p.clone());
            p
        }
    }
}

/// Sets bit `id` in `bits`.
fn set_bit(bits: &mut [u64], id: u32) {
    if let Some(w) = bits.get_mut(id as usize / 64) {
        *w |= 1 << (id % 64);
    }
}

/// True when bit `id` is clear and below `known` (a bit at or above it is unknown).
#[inline]
fn clear_bit(bits: &[u64], known: u32, id: u32) -> bool {
    id < known
        && bits
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) == 0)
}

/// Which element and attribute local names (of those used in compiled expressions) and which
/// facts (a code value such as `AE` in an element of a given name, an element with two children
/// of the same name) occur in one document.
#[derive(Debug, Clone, Default)]
pub struct NamePresence {
    /// Bit per interned local-name id.
    bits: Vec<u64>,
    /// Ids at or above this were interned after the presence was taken: unknown.
    known: u32,
    /// Bit per fact id.
    facts: Vec<u64>,
    /// Fact ids at or above this are unknown.
    facts_known: u32,
}

impl NamePresence {
    /// The presence of names and facts in the document indexed by `ctx` (see
    /// [`DynamicContext::index_document`]); without an index nothing is known to be absent.
    pub fn of(ctx: &DynamicContext<'_>) -> NamePresence {
        let Some(ix) = ctx.scratch.index.as_ref() else {
            return NamePresence::default();
        };
        let attributes: Vec<String> = (ix.attribute_local_names().into_iter())
            .map(index::attribute_key)
            .collect();
        let names = ix
            .local_names()
            .chain(attributes.iter().map(String::as_str));
        let (ids, known) = index::interned_locals(names);
        let mut bits = vec![0u64; (known as usize).div_ceil(64)];
        for id in ids {
            set_bit(&mut bits, id);
        }
        let prepared = prepared();
        let mut facts = vec![0u64; (prepared.known as usize).div_ceil(64)];
        value_facts(ix, &prepared, &mut facts);
        repeat_facts(ix, &prepared, &mut facts);
        blank_facts(ix, &prepared, &mut facts);
        NamePresence {
            bits,
            known,
            facts,
            facts_known: prepared.known,
        }
    }

    /// True when no element of the document has the local name with this interned id (or, for
    /// an id from `index::intern_attribute`, no attribute).
    #[inline]
    fn absent(&self, id: u32) -> bool {
        clear_bit(&self.bits, self.known, id)
    }

    /// True when a guard's literal (see [`FACT_BIT`]) holds for the document: the name is
    /// absent, or the fact does not hold.
    #[inline]
    fn literal_holds(&self, literal: u32) -> bool {
        if literal & FACT_BIT == 0 {
            self.absent(literal)
        } else {
            clear_bit(&self.facts, self.facts_known, literal & !FACT_BIT)
        }
    }
}

/// Sets the bits of the value facts that hold in the document.
fn value_facts(ix: &DocIndex<'_>, prepared: &Prepared, bits: &mut [u64]) {
    for (name, normalized, ids) in &prepared.values {
        for e in ix.elements_named(name) {
            let raw = XNode::Node(e.node).string_value();
            let norm = if *normalized {
                functions::normalize_space(&raw)
            } else {
                None
            };
            let v = norm.as_deref().unwrap_or(&raw);
            if let Some(id) = ids.get(v) {
                set_bit(bits, *id);
            }
        }
    }
}

/// Sets the bits of the blank-element facts that hold in the document.
fn blank_facts(ix: &DocIndex<'_>, prepared: &Prepared, bits: &mut [u64]) {
    if prepared.blanks.is_empty() {
        return;
    }
    let blank = |n: &crate::xml::Node<'_>| {
        n.is_element()
            && ix.kids(n.id().index()).is_empty()
            && (n.children().filter(|c| c.is_text()))
                .all(|c| c.value().bytes().all(functions::is_ws))
    };
    for n in ix.doc.nodes().filter(blank) {
        let name = n.qualified_name();
        for (except, id) in &prepared.blanks {
            if !except.iter().any(|x| **x == *name) {
                set_bit(bits, *id);
            }
        }
    }
}

/// Sets the bits of the repeat facts that hold in the document.
fn repeat_facts(ix: &DocIndex<'_>, prepared: &Prepared, bits: &mut [u64]) {
    for (parent, child, id) in &prepared.repeats {
        let Some(child) = ix.list_of(child) else {
            continue;
        };
        let repeated = ix.elements_named(parent).iter().any(|p| {
            let kids = ix.kids(p.node.id().index());
            kids.iter().filter(|k| k.name == child).nth(1).is_some()
        });
        if repeated {
            set_bit(bits, *id);
        }
    }
}

/// Appends guard terms (clauses: a length, then that many literals) with the literals of each
/// clause in reverse order. A clause of a path's names (`not(cac:A/cac:B/cbc:C)`: A, B or C is
/// absent) is mostly decided by its last, most specific name: checked first, it ends the clause
/// at once. The order does not change whether a clause holds.
fn push_last_literals_first(words: &mut Vec<u32>, mut terms: &[u32]) {
    while let Some((&len, tail)) = terms.split_first() {
        let (literals, next) = tail.split_at(tail.len().min(len as usize));
        words.push(len);
        words.extend(literals.iter().rev());
        terms = next;
    }
}

/// An absence guard: a condition on which element and attribute names and which
/// [facts](NamePresence) occur in a document under which a boolean expression is true without
/// evaluating it.
///
/// Rule sets are full of tests like `not(cac:InvoicePeriod/cbc:StartTime)` or
/// `not(//@unitCodeListID)` (the UBL-CR, CII-SR and CII-DT restrictions of EN 16931 are
/// hundreds of them) that are true because the names they ask for never occur, and of tests
/// like EN 16931's VAT category rules (`… or not(//cac:TaxCategory[…]/cbc:ID[normalize-space(.)
/// = 'AE'])`) that are true because a code never occurs. Deciding that from a bit per name or
/// code is cheaper than evaluating, and it does not touch the compiled expression at all (for a
/// rule set walked once per document, mostly cold in the cache).
///
/// A guard is only derived where skipping the evaluation cannot change the outcome, errors
/// included: the analysis follows the evaluator (`and`/`or` left to right, stopping early),
/// and a step's predicates count only where they cannot raise an error — or where the error
/// they could raise (`normalize-space(cbc:ID)` of an element with two `cbc:ID` children) is
/// ruled out by the absence of a repetition in the document. It assumes a node as the context
/// item (as for schematron rules).
///
/// ```
/// use egov_core::xml::Document;
/// use egov_core::xpath::{DynamicContext, NamePresence, StaticContext, XPath};
///
/// let x = XPath::compile("not(a/b) or c = 1", &StaticContext::new())?;
/// let guard = x.absence_guard().expect("true when a or b is absent");
/// let doc = Document::parse_default(b"<r><a/></r>")?;
/// let mut ctx = DynamicContext::for_document(&doc);
/// ctx.index_document(&doc);
/// assert!(guard.holds(&NamePresence::of(&ctx))); // no element b
///
/// let x = XPath::compile("not(//a[normalize-space(b) = 'X'])", &StaticContext::new())?;
/// let guard = x.absence_guard().expect("true when no b is 'X'");
/// for (xml, holds) in [(&b"<r><a><b> Y </b></a></r>"[..], true), (b"<r><a><b> X </b></a></r>", false)] {
///     let doc = Document::parse_default(xml)?;
///     let mut ctx = DynamicContext::for_document(&doc);
///     ctx.index_document(&doc);
///     assert_eq!(guard.holds(&NamePresence::of(&ctx)), holds);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Formally: every term has a literal that holds (a conjunction of disjunctions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsenceGuard {
    /// Terms, each a length followed by that many literals (see [`FACT_BIT`]).
    terms: Box<[u32]>,
}

/// A literal of a guard's terms: "this name is absent" (an interned local-name id) or, with
/// this bit set, "this fact does not hold" (a fact id).
pub(crate) const FACT_BIT: u32 = 1 << 31;

/// Most terms of a guard, and most literals of a term (a condition that needs more is not
/// made a guard).
const MAX_TERMS: usize = 64;
const MAX_LITERALS: usize = 32;

impl AbsenceGuard {
    /// True when the guarded expression is known to be true for the document.
    #[inline]
    pub fn holds(&self, presence: &NamePresence) -> bool {
        terms_hold(&self.terms, presence)
    }

    /// A guard from its terms (each a length followed by that many literals, see
    /// [`FACT_BIT`]).
    pub(crate) fn from_terms(terms: Vec<u32>) -> Self {
        AbsenceGuard {
            terms: terms.into(),
        }
    }

    /// The terms (see [`AbsenceGuard::from_terms`]).
    pub(crate) fn raw_terms(&self) -> &[u32] {
        &self.terms
    }

    /// Number of terms (each a set of names and facts that must not all occur).
    pub fn terms(&self) -> usize {
        let mut n = 0;
        let mut rest = &*self.terms;
        while let Some((&len, tail)) = rest.split_first() {
            n += 1;
            rest = tail.get(len as usize..).unwrap_or_default();
        }
        n
    }
}

/// Each term (a length, then that many literals) has a literal that holds: a name that is
/// absent, or a fact that does not hold. False for no terms (no guard).
#[inline]
fn terms_hold(terms: &[u32], presence: &NamePresence) -> bool {
    !terms.is_empty() && GUARDS.load(Ordering::Relaxed) && all_terms_hold(terms, presence)
}

/// [`terms_hold`] of a guard with terms, whether or not guards are in use.
#[inline]
fn all_terms_hold(mut terms: &[u32], presence: &NamePresence) -> bool {
    while let Some((&len, tail)) = terms.split_first() {
        let (literals, next) = tail.split_at(tail.len().min(len as usize));
        if !literals.iter().any(|l| presence.literal_holds(*l)) {
            return false;
        }
        terms = next;
    }
    true
}

/// The absence guards of a list of expressions (e.g. the tests of one schematron rule) in one
/// block: checking them one after the other reads a few cache lines rather than one allocation
/// per expression.
///
/// ```
/// use egov_core::xml::Document;
/// use egov_core::xpath::{AbsenceGuards, DynamicContext, NamePresence, StaticContext, XPath};
///
/// let tests = ["not(a/b)", "count(a) = 1", "not(c)"];
/// let ctx = StaticContext::new();
/// let compiled: Vec<XPath> = tests.iter().map(|t| XPath::compile(t, &ctx)).collect::<Result<_, _>>()?;
/// let own: Vec<_> = compiled.iter().map(XPath::absence_guard).collect();
/// let guards = AbsenceGuards::new(own.iter().map(Option::as_ref));
/// let doc = Document::parse_default(b"<r><a/><c/></r>")?;
/// let mut dynamic = DynamicContext::for_document(&doc);
/// dynamic.index_document(&doc);
/// let presence = NamePresence::of(&dynamic);
/// assert!(guards.get(0).holds(&presence)); // no element b
/// assert!(!guards.get(1).holds(&presence)); // no guard
/// assert!(!guards.get(2).holds(&presence)); // c occurs
/// assert!(!guards.get(3).holds(&presence)); // no such test
/// // which of the first four a run evaluates, all in one pass
/// let mut run = Vec::new();
/// guards.to_evaluate(4, &presence, |_| true, &mut run);
/// assert_eq!(run, [1, 2, 3]);
/// run.clear();
/// guards.to_evaluate(4, &presence, |i| i != 2, &mut run); // a caller's own filter
/// assert_eq!(run, [1, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct AbsenceGuards {
    /// The guards' terms, one after the other.
    words: Box<[u32]>,
    /// Per expression: where its terms start and end in `words` (empty: no guard).
    at: Box<[(u32, u32)]>,
}

impl AbsenceGuards {
    /// The guards of the expressions in order (None: the expression has none).
    pub fn new<'g>(guards: impl IntoIterator<Item = Option<&'g AbsenceGuard>>) -> Self {
        let mut words = Vec::new();
        let mut at = Vec::new();
        for g in guards {
            let terms = g.map(|g| &*g.terms).unwrap_or_default();
            let start = words.len();
            push_last_literals_first(&mut words, terms);
            // guards beyond u32 offsets are dropped: those expressions are always evaluated
            match (u32::try_from(start), u32::try_from(words.len())) {
                (Ok(s), Ok(e)) => at.push((s, e)),
                _ => at.push((0, 0)),
            }
        }
        AbsenceGuards {
            words: words.into(),
            at: at.into(),
        }
    }

    /// Of the first `n` expressions, those a document with `presence` needs evaluated — no
    /// guard, or a guard that does not hold — and that `admit` admits, in order: their indexes
    /// are pushed to `out`. One pass over the block, for a list of tests of which most are
    /// usually skipped (e.g. a schematron rule of hundreds of "element X must not occur").
    pub fn to_evaluate(
        &self,
        n: usize,
        presence: &NamePresence,
        mut admit: impl FnMut(usize) -> bool,
        out: &mut Vec<usize>,
    ) {
        let on = GUARDS.load(Ordering::Relaxed);
        for i in 0..n {
            let GuardTerms(terms) = self.get(i);
            let holds = on
                && match terms {
                    [] => false,
                    // the most common guard: one name (or fact) that must not occur
                    &[1, literal] => presence.literal_holds(literal),
                    _ => all_terms_hold(terms, presence),
                };
            if !holds && admit(i) {
                out.push(i);
            }
        }
    }

    /// The guard of expression `i` (in the order given to [`AbsenceGuards::new`]).
    #[inline]
    pub fn get(&self, i: usize) -> GuardTerms<'_> {
        let terms = self
            .at
            .get(i)
            .and_then(|&(s, e)| self.words.get(s as usize..e as usize))
            .unwrap_or_default();
        GuardTerms(terms)
    }
}

/// One expression's guard in an [`AbsenceGuards`] (possibly none: then it never holds).
#[derive(Debug, Clone, Copy)]
pub struct GuardTerms<'g>(&'g [u32]);

impl GuardTerms<'_> {
    /// True when the expression is known to be true for the document (see
    /// [`AbsenceGuard::holds`]); false for an expression without a guard.
    #[inline]
    pub fn holds(self, presence: &NamePresence) -> bool {
        terms_hold(self.0, presence)
    }
}

impl XPath {
    /// A condition on the names and facts of a document under which this expression's
    /// effective boolean value is true without evaluating it (see [`AbsenceGuard`]); None
    /// when there is none.
    pub fn absence_guard(&self) -> Option<AbsenceGuard> {
        if let Some(lazy) = self.lazy_analysis() {
            return lazy.guard.clone();
        }
        let e = self.expr().ok()?;
        let b = ebv(e, Focus::default());
        AbsenceGuard::from_clauses(cnf(&and(b.ok, b.t))?)
    }
}

impl AbsenceGuard {
    /// The guard of these terms (each a list of literals), simplified and in a canonical order
    /// (by the process's ids); None for no terms (true whatever the document: not made a guard)
    /// or an empty term (never true), and for more than [`MAX_TERMS`] terms or a term of more
    /// than [`MAX_LITERALS`] literals (e.g. from corrupt compiled bytes).
    pub(crate) fn from_clauses(mut clauses: Vec<Vec<u32>>) -> Option<AbsenceGuard> {
        if clauses.len() > MAX_TERMS || clauses.iter().any(|c| c.len() > MAX_LITERALS) {
            return None;
        }
        simplify(&mut clauses);
        if clauses.is_empty() || clauses.iter().any(Vec::is_empty) {
            return None;
        }
        let mut terms = Vec::new();
        for c in clauses {
            terms.push(u32::try_from(c.len()).ok()?);
            terms.extend(c);
        }
        Some(AbsenceGuard::from_terms(terms))
    }
}

/// A condition on a document, built by the analysis: true, false, a literal ("this name is
/// absent" or "this fact does not hold", see [`FACT_BIT`]), or a combination.
#[derive(Debug, Clone)]
enum Cond {
    True,
    False,
    Absent(u32),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

fn and(a: Cond, b: Cond) -> Cond {
    match (a, b) {
        (Cond::False, _) | (_, Cond::False) => Cond::False,
        (Cond::True, x) | (x, Cond::True) => x,
        (a, b) => Cond::And(Box::new(a), Box::new(b)),
    }
}

fn or(a: Cond, b: Cond) -> Cond {
    match (a, b) {
        (Cond::True, _) | (_, Cond::True) => Cond::True,
        (Cond::False, x) | (x, Cond::False) => x,
        (a, b) => Cond::Or(Box::new(a), Box::new(b)),
    }
}

/// "No element (or attribute) with this interned name id occurs".
fn name_absent(id: u32) -> Cond {
    match id {
        0 => Cond::False,
        id if id & FACT_BIT == 0 => Cond::Absent(id),
        _ => Cond::False,
    }
}

/// "This fact does not hold".
fn fact_absent(f: Fact) -> Cond {
    match intern_fact(f) {
        Some(id) if id & FACT_BIT == 0 => Cond::Absent(id | FACT_BIT),
        _ => Cond::False,
    }
}

/// `c` as terms (a conjunction of disjunctions of literals), simplified; None when that takes
/// more than [`MAX_TERMS`] terms or a term more than [`MAX_LITERALS`] literals.
fn cnf(c: &Cond) -> Option<Vec<Vec<u32>>> {
    let mut out = match c {
        Cond::True => Vec::new(),
        Cond::False => vec![Vec::new()],
        Cond::Absent(l) => vec![vec![*l]],
        Cond::And(a, b) => {
            let mut x = cnf(a)?;
            x.extend(cnf(b)?);
            x
        }
        Cond::Or(a, b) => {
            let (x, y) = (cnf(a)?, cnf(b)?);
            if x.len().saturating_mul(y.len()) > MAX_TERMS * 4 {
                return None;
            }
            let mut out = Vec::with_capacity(x.len() * y.len());
            for cx in &x {
                for cy in &y {
                    out.push(cx.iter().chain(cy).copied().collect());
                }
            }
            out
        }
    };
    simplify(&mut out);
    let fits = out.len() <= MAX_TERMS && out.iter().all(|t| t.len() <= MAX_LITERALS);
    fits.then_some(out)
}

/// Sorts each term's literals and drops repeated literals, and terms that another term makes
/// redundant (a term that contains all literals of another); shorter terms come first.
fn simplify(terms: &mut Vec<Vec<u32>>) {
    for t in terms.iter_mut() {
        t.sort_unstable();
        t.dedup();
    }
    terms.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    terms.dedup();
    let mut kept: Vec<Vec<u32>> = Vec::with_capacity(terms.len());
    for t in terms.drain(..) {
        if !kept
            .iter()
            .any(|k| k.iter().all(|l| t.binary_search(l).is_ok()))
        {
            kept.push(t);
        }
    }
    *terms = kept;
}

/// What is known of the context item where a subexpression is analysed: always a node (the
/// analysis assumes one at the top, as for schematron rules; in a step's predicate it is the
/// node filtered), of an element with this local name when known.
#[derive(Debug, Clone, Copy, Default)]
struct Focus<'e> {
    element: Option<&'e str>,
    /// The node is known to be an element (of a name in `element` when that is known).
    is_element: bool,
}

impl<'e> Focus<'e> {
    /// The focus in the predicates of a step with this node test on a child (`attribute`
    /// false) or attribute axis.
    fn of_step(attribute: bool, test: &'e NodeTest) -> Focus<'e> {
        match test {
            _ if attribute => Focus::default(),
            NodeTest::Name(_, local, _, _) => Focus {
                element: Some(local),
                is_element: true,
            },
            NodeTest::Any
            | NodeTest::NsWildcard(_)
            | NodeTest::LocalWildcard(_)
            | NodeTest::Kind(KindTest::Element) => Focus {
                element: None,
                is_element: true,
            },
            NodeTest::Kind(_) => Focus::default(),
        }
    }
}

/// Conditions on the effective boolean value of an expression.
struct Ebv {
    /// Evaluating it raises no error.
    ok: Cond,
    /// If no error is raised, it is true.
    t: Cond,
    /// If no error is raised, it is false.
    f: Cond,
}

impl Ebv {
    /// The conditions of `not(…)`.
    fn negated(self) -> Ebv {
        Ebv {
            ok: self.ok,
            t: self.f,
            f: self.t,
        }
    }
}

/// The conditions of `a or b`: `b` is evaluated only when `a` is false.
fn either(a: Ebv, b: Ebv) -> Ebv {
    Ebv {
        ok: and(a.ok, or(a.t.clone(), b.ok)),
        t: or(a.t, b.t),
        f: and(a.f, b.f),
    }
}

const UNKNOWN: Ebv = Ebv {
    ok: Cond::False,
    t: Cond::False,
    f: Cond::False,
};

/// Conditions on a sequence (a path).
struct Seq<'e> {
    /// Evaluating it raises no error.
    ok: Cond,
    /// If no error is raised, it is empty.
    empty: Cond,
    /// Only nodes (else only strings).
    nodes: bool,
    /// Its items are elements with this local name (`normalized` false) or
    /// `normalize-space` of such elements' string values (true).
    source: Option<(&'e str, bool)>,
}

impl Pattern {
    /// A condition on the names and facts of a document (see [`AbsenceGuard`]) under which the
    /// pattern matches no node of it, because a predicate of every alternative is false (or
    /// raises an error, which makes a pattern not match) wherever it is evaluated; None when
    /// there is none. Names of the steps themselves are not part of it (a caller that indexes
    /// rules by the names in the document has ruled those out already).
    ///
    /// ```
    /// use egov_core::xml::Document;
    /// use egov_core::xpath::{DynamicContext, NamePresence, Pattern, StaticContext};
    ///
    /// let p = Pattern::compile("//*[not(*) and not(normalize-space())]", &StaticContext::new())?;
    /// let guard = p.no_match_guard().expect("no blank element, no match");
    /// for (xml, holds) in [(&b"<r><a>1</a></r>"[..], true), (b"<r><a>1</a><b> </b></r>", false)] {
    ///     let doc = Document::parse_default(xml)?;
    ///     let mut ctx = DynamicContext::for_document(&doc);
    ///     ctx.index_document(&doc);
    ///     assert_eq!(guard.holds(&NamePresence::of(&ctx)), holds);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn no_match_guard(&self) -> Option<&AbsenceGuard> {
        let guard = || AbsenceGuard::from_clauses(cnf(&no_alternative_matches(&self.alts))?);
        self.no_match.get_or_init(guard).as_ref()
    }
}

/// The condition under which none of the alternatives matches a node.
fn no_alternative_matches(alts: &[PPath]) -> Cond {
    match alts.is_empty() {
        true => Cond::False,
        false => (alts.iter()).fold(Cond::True, |c, p| and(c, some_step_never_matches(p))),
    }
}

/// The condition under which a step of the path matches no node: its boolean predicates
/// (evaluated at the nodes its test lets through) are false or raise an error everywhere.
fn some_step_never_matches(p: &PPath) -> Cond {
    let step = |s: &PStep| {
        let (focus, inner) = match &s.kind {
            PStepKind::Test(attribute, test) => (Focus::of_step(*attribute, test), Cond::False),
            PStepKind::Group(alts) => (Focus::default(), no_alternative_matches(alts)),
        };
        let bool_preds = s.preds.iter().filter(|p| p.kind == PredKind::Bool);
        bool_preds.fold(inner, |c, p| or(c, ebv(&p.expr, focus).f))
    };
    p.steps.iter().fold(Cond::False, |c, s| or(c, step(s)))
}

/// The conditions on the effective boolean value of `e` (following the evaluator: `and` and
/// `or` left to right, the right operand only when the left does not decide).
fn ebv(e: &Expr, focus: Focus<'_>) -> Ebv {
    match e.unwrapped() {
        Expr::Or(a, b) => either(ebv(a, focus), ebv(b, focus)),
        // `A and B` is `not(not(A) or not(B))`, with the same order of evaluation
        Expr::And(a, b) => {
            let both = either(ebv(a, focus).negated(), ebv(b, focus).negated()).negated();
            match focus.is_element.then(|| blank_except(e)).flatten() {
                Some(except) => Ebv {
                    f: or(both.f, fact_absent(Fact::BlankElement { except })),
                    ..both
                },
                None => both,
            }
        }
        // `normalize-space()` of an element: "" only for a blank one (no error)
        Expr::Call(Builtin::NormalizeSpace, args, _) if args.is_empty() && focus.is_element => {
            Ebv {
                ok: Cond::True,
                t: fact_absent(Fact::BlankElement {
                    except: Box::new([]),
                }),
                f: Cond::False,
            }
        }
        Expr::Call(Builtin::Not, args, _) if args.len() == 1 => match args.first() {
            Some(x) => ebv(x, focus).negated(),
            None => UNKNOWN,
        },
        Expr::Call(b @ (Builtin::Exists | Builtin::Empty), args, _) if args.len() == 1 => {
            let Some(s) = args.first().and_then(sequence) else {
                return UNKNOWN;
            };
            let (t, f) = match b {
                Builtin::Empty => (s.empty, Cond::False),
                _ => (Cond::False, s.empty),
            };
            Ebv { ok: s.ok, t, f }
        }
        Expr::Path(_) | Expr::Union(..) => match sequence(e) {
            Some(s) if s.nodes => Ebv {
                ok: s.ok,
                t: Cond::False,
                f: s.empty,
            },
            _ => UNKNOWN,
        },
        Expr::GeneralCmp(op, a, b) | Expr::ValueCmp(op, a, b) => {
            if let Some(c) = count_comparison(*op, a, b) {
                return c;
            }
            if matches!(e, Expr::GeneralCmp(..)) && name_literal(a, b).is_some() {
                // the name of the context node against a string: no error, value unknown
                return Ebv {
                    ok: Cond::True,
                    t: Cond::False,
                    f: Cond::False,
                };
            }
            match e {
                Expr::GeneralCmp(..) => string_comparison(*op, a, b, focus).unwrap_or(UNKNOWN),
                _ => UNKNOWN,
            }
        }
        Expr::Quantified {
            every,
            bindings,
            cond: _,
        } if bindings.len() == 1 => {
            // true (`every`) or false (`some`) for an empty domain; the condition is not
            // analysed, so only then is evaluation known to raise no error
            let Some(s) = bindings.first().and_then(|(_, d)| sequence(d)) else {
                return UNKNOWN;
            };
            let ok = and(s.ok, s.empty.clone());
            let (t, f) = if *every {
                (s.empty, Cond::False)
            } else {
                (Cond::False, s.empty)
            };
            Ebv { ok, t, f }
        }
        _ => UNKNOWN,
    }
}

/// The names excepted when the conjunction `e` asks for a blank element (see
/// [`Fact::BlankElement`]): it has the conjuncts `not(*)` and `not(normalize-space())`, and
/// one `not(name() = '…')` per name excepted (at least one: without, `normalize-space()` alone
/// decides). None for other conjunctions.
fn blank_except(e: &Expr) -> Option<Box<[Box<str>]>> {
    fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
        match e.unwrapped() {
            Expr::And(a, b) => {
                conjuncts(a, out);
                conjuncts(b, out);
            }
            x => out.push(x),
        }
    }
    let mut all = Vec::new();
    conjuncts(e, &mut all);
    let blank = all
        .iter()
        .any(|a| all.iter().any(|b| plan::is_empty_element_test(a, b)));
    let except: Vec<Box<str>> = all.iter().filter_map(|c| name_not_equal(c)).collect();
    (blank && !except.is_empty()).then(|| except.into())
}

/// `'q'` of `not(name() = 'q')` (either operand order).
fn name_not_equal(e: &Expr) -> Option<Box<str>> {
    let Expr::Call(Builtin::Not, args, _) = e.unwrapped() else {
        return None;
    };
    let [x] = args.as_slice() else { return None };
    match x.unwrapped() {
        Expr::GeneralCmp(CmpOp::Eq, a, b) => name_literal(a, b).map(Into::into),
        _ => None,
    }
}

/// `q` when one operand is `name()` (of the context node) and the other the string `q`.
fn name_literal<'e>(a: &'e Expr, b: &'e Expr) -> Option<&'e str> {
    let is_name =
        |e: &Expr| matches!(e.unwrapped(), Expr::Call(Builtin::Name, args, _) if args.is_empty());
    match (a.unwrapped(), b.unwrapped()) {
        (n, Expr::Literal(Literal::String(q))) | (Expr::Literal(Literal::String(q)), n)
            if is_name(n) =>
        {
            Some(q)
        }
        _ => None,
    }
}

/// `count(P) op n` (also a sum or difference of counts, `count(P) + count(Q) > 0`): true or
/// false, as `0 op n` is, when the paths are empty.
fn count_comparison(op: CmpOp, a: &Expr, b: &Expr) -> Option<Ebv> {
    let Expr::Literal(Literal::Integer(n)) = b.unwrapped() else {
        return None;
    };
    let (ok, zero) = count_sum(a)?;
    let passes = match op {
        CmpOp::Eq => *n == 0,
        CmpOp::Ne => *n != 0,
        CmpOp::Lt => *n > 0,
        CmpOp::Le => *n >= 0,
        CmpOp::Gt => *n < 0,
        CmpOp::Ge => *n <= 0,
    };
    let (t, f) = if passes {
        (zero, Cond::False)
    } else {
        (Cond::False, zero)
    };
    Some(Ebv { ok, t, f })
}

/// `count(P)` or a sum or difference of such: (raises no error, is zero if no error).
fn count_sum(e: &Expr) -> Option<(Cond, Cond)> {
    match e.unwrapped() {
        Expr::Call(Builtin::Count, args, _) if args.len() == 1 => {
            let s = sequence(args.first()?)?;
            Some((s.ok, s.empty))
        }
        // 0 + 0 and 0 - 0 are 0 (counts: no overflow)
        Expr::Arith(ArithOp::Add | ArithOp::Sub, a, b) => {
            let (a_ok, a_zero) = count_sum(a)?;
            let (b_ok, b_zero) = count_sum(b)?;
            Some((and(a_ok, b_ok), and(a_zero, b_zero)))
        }
        _ => None,
    }
}

/// The string literals of `e` (`'S'`, `('30', '58')`); None for anything else or an empty
/// string (which `normalize-space(())` gives without any element).
fn string_literals(e: &Expr) -> Option<Vec<&str>> {
    match e.unwrapped() {
        Expr::Literal(Literal::String(s)) if !s.is_empty() => Some(vec![&**s]),
        Expr::Seq(items) if !items.is_empty() => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.extend(string_literals(i)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// A general comparison of nodes or strings with string literals (`cbc:ID = 'B'`,
/// `normalize-space(cbc:ID) = 'S'`, `//cbc:IdentificationCode != 'IT'`): untyped values and
/// strings compare as strings, without error. False if the sequence is empty or, for `=`, no
/// element has one of the values.
fn string_comparison(op: CmpOp, a: &Expr, b: &Expr, focus: Focus<'_>) -> Option<Ebv> {
    let (x, literals) = match (string_literals(b), string_literals(a)) {
        (Some(l), _) => (a, l),
        (None, Some(l)) => (b, l),
        (None, None) => return None,
    };
    let s = value(x, focus)?;
    let mut f = s.empty;
    if let (CmpOp::Eq, Some((name, normalized))) = (op, s.source) {
        let none = literals.iter().fold(Cond::True, |c, v| {
            and(
                c,
                fact_absent(Fact::Value {
                    name: name.into(),
                    normalized,
                    value: (*v).into(),
                }),
            )
        });
        f = or(f, none);
    }
    Some(Ebv {
        ok: s.ok,
        t: Cond::False,
        f,
    })
}

/// A sequence of nodes or strings: a path, `.`, or a string function of one item.
fn value<'e>(e: &'e Expr, focus: Focus<'e>) -> Option<Seq<'e>> {
    match e.unwrapped() {
        Expr::Path(_) => sequence(e),
        Expr::ContextItem => Some(Seq {
            ok: Cond::True,
            empty: Cond::False,
            nodes: true,
            source: focus.element.map(|n| (n, false)),
        }),
        Expr::Call(
            b @ (Builtin::NormalizeSpace
            | Builtin::UpperCase
            | Builtin::LowerCase
            | Builtin::String),
            args,
            _,
        ) => {
            let (ok, source) = match args.as_slice() {
                [] if *b == Builtin::NormalizeSpace => {
                    (Cond::True, focus.element.map(|n| (n, false)))
                }
                [arg] => single(arg, focus)?,
                _ => return None,
            };
            let source = match b {
                Builtin::NormalizeSpace => source.map(|(n, _)| (n, true)),
                Builtin::String => source,
                _ => None,
            };
            // one string, also for an empty argument
            Some(Seq {
                ok,
                empty: Cond::False,
                nodes: false,
                source,
            })
        }
        Expr::Literal(Literal::String(_)) => Some(Seq {
            ok: Cond::True,
            empty: Cond::False,
            nodes: false,
            source: None,
        }),
        _ => None,
    }
}

/// An argument of a function taking one optional string: (raises no error and has at most one
/// item, its source as in [`Seq::source`]). `.`, a string function, or a child of the context
/// element that no element of that name has twice.
fn single<'e>(e: &'e Expr, focus: Focus<'e>) -> Option<(Cond, Option<(&'e str, bool)>)> {
    match e.unwrapped() {
        Expr::Path(p) => {
            let parent = focus.element?;
            let [step] = &*p.steps else {
                return None;
            };
            let (StepKind::Axis(super::ast::Axis::Child, NodeTest::Name(_, local, _, _)), []) =
                (&step.kind, step.preds.as_slice())
            else {
                return None;
            };
            if !matches!(p.start, PathStart::Context) {
                return None;
            }
            let ok = fact_absent(Fact::Repeat {
                parent: parent.into(),
                child: (**local).into(),
            });
            Some((ok, Some((&**local, false))))
        }
        Expr::ContextItem | Expr::Call(..) | Expr::Literal(Literal::String(_)) => {
            let s = value(e, focus)?;
            (!s.nodes || matches!(e.unwrapped(), Expr::ContextItem)).then_some((s.ok, s.source))
        }
        _ => None,
    }
}

/// The conditions on a path from the context item or the root: its axis steps cannot raise
/// an error; a step's predicates are taken into account where they cannot (or their error is
/// ruled out); a last step may be a string function (`cac:TaxScheme/normalize-space(cbc:ID)`).
fn sequence(e: &Expr) -> Option<Seq<'_>> {
    match e.unwrapped() {
        Expr::Path(p) => path(p),
        Expr::Union(..) => union(e),
        _ => None,
    }
}

/// The conditions of a union of paths (`cac:InvoiceLine | cac:CreditNoteLine`): both operands
/// are evaluated, and they must be nodes (else the union raises an error: no guard).
fn union(e: &Expr) -> Option<Seq<'_>> {
    let (ok, empty) = match e.unwrapped() {
        Expr::Union(a, b) => {
            let (a, b) = (union(a)?, union(b)?);
            (and(a.ok, b.ok), and(a.empty, b.empty))
        }
        Expr::Path(p) => {
            let s = path(p).filter(|s| s.nodes)?;
            (s.ok, s.empty)
        }
        _ => return None,
    };
    Some(Seq {
        ok,
        empty,
        nodes: true,
        source: None,
    })
}

fn path<'e>(p: &'e PathExpr) -> Option<Seq<'e>> {
    // a union of paths before the steps (`(cac:InvoiceLine | cac:CreditNoteLine)/cbc:Note`) is
    // evaluated first; other expressions there (`$x/…`) get no guard
    let start = match &p.start {
        PathStart::Expr(x) => Some(union(x)?),
        PathStart::Root | PathStart::Context => None,
    };
    // the element name each step's nodes have, if known
    let element = |k: usize| -> Option<&'e str> {
        match &p.steps.get(k)?.kind {
            StepKind::Axis(axis, NodeTest::Name(_, local, _, _)) if !axis.is_attribute() => {
                Some(&**local)
            }
            _ => None,
        }
    };
    let n = p.steps.len();
    let (mut ok, mut empty) = (Cond::True, Cond::False);
    let mut nodes = true;
    let mut source = None;
    for (k, step) in p.steps.iter().enumerate().rev() {
        match &step.kind {
            StepKind::Axis(axis, test) => {
                let absent = match test {
                    NodeTest::Name(_, local, id, _) => match axis.is_attribute() {
                        true => name_absent(index::intern_attribute(local)),
                        false => name_absent(*id),
                    },
                    _ => Cond::False,
                };
                let here = Focus::of_step(axis.is_attribute(), test);
                // predicates in order: each filters what the one before let through
                let mut rest = ok;
                for pred in step.preds.iter().rev() {
                    let c = match pred.kind {
                        PredKind::Bool => ebv(&pred.expr, here),
                        PredKind::Index(_) => Ebv {
                            ok: Cond::True,
                            t: Cond::False,
                            f: Cond::False,
                        },
                        PredKind::General => UNKNOWN,
                    };
                    empty = or(empty, c.f.clone());
                    rest = and(c.ok, or(c.f, rest));
                }
                ok = or(absent.clone(), rest);
                empty = or(empty, absent);
                if k + 1 == n {
                    source = element(k).map(|name| (name, false));
                }
            }
            StepKind::Expr(x) => {
                // only as the last step, after an axis step: one string per node
                if k + 1 != n || k == 0 || !step.preds.is_empty() {
                    return None;
                }
                let prev = match p.steps.get(k - 1).map(|s| &s.kind) {
                    Some(StepKind::Axis(axis, test)) => Focus::of_step(axis.is_attribute(), test),
                    _ => Focus::default(),
                };
                let s = value(x, prev).filter(|s| !s.nodes)?;
                ok = s.ok;
                empty = or(empty, s.empty);
                nodes = false;
                source = s.source;
            }
        }
    }
    if let Some(start) = start {
        ok = and(start.ok, ok);
        empty = or(start.empty, empty);
    }
    Some(Seq {
        ok,
        empty,
        nodes,
        source,
    })
}
