//! Absence guards (see [`AbsenceGuard`]).

use super::ast::{leading_steps, Expr, Literal, NodeTest, PathStart, StepKind};
use super::functions::Builtin;
use super::index;
use super::value::CmpOp;
use super::{DynamicContext, XPath};

/// Which element and attribute local names (of those used in compiled expressions) occur in
/// one document.
#[derive(Debug, Clone, Default)]
pub struct NamePresence {
    /// Bit per interned local-name id.
    bits: Vec<u64>,
    /// Ids at or above this were interned after the presence was taken: unknown.
    known: u32,
    /// No document was indexed: nothing is known to be absent.
    unknown: bool,
}

impl NamePresence {
    /// The presence of names in the document indexed by `ctx` (see
    /// [`DynamicContext::index_document`]); without an index nothing is known to be absent.
    pub fn of(ctx: &DynamicContext<'_>) -> NamePresence {
        let Some(ix) = ctx.scratch.index.as_ref() else {
            return NamePresence {
                unknown: true,
                ..NamePresence::default()
            };
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
            if let Some(w) = bits.get_mut(id as usize / 64) {
                *w |= 1 << (id % 64);
            }
        }
        NamePresence {
            bits,
            known,
            unknown: false,
        }
    }

    /// True when no element of the document has the local name with this interned id (or, for
    /// an id from `index::intern_attribute`, no attribute).
    #[inline]
    fn absent(&self, id: u32) -> bool {
        if self.unknown || id >= self.known {
            return false;
        }
        self.bits
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) == 0)
    }
}

/// An absence guard: a condition on which element and attribute names occur in a document under
/// which a boolean expression is true without evaluating it.
///
/// Rule sets are full of tests like `not(cac:InvoicePeriod/cbc:StartTime)` or
/// `not(//@unitCodeListID)` (the UBL-CR, CII-SR and CII-DT restrictions of EN 16931 are
/// hundreds of them) that are true because the names they ask for never occur. Deciding that
/// from a bit per name is cheaper than evaluating, and it does not touch the compiled
/// expression at all (for a rule set walked once per document, mostly cold in the cache).
///
/// A guard is only derived where skipping the evaluation cannot change the outcome, errors
/// included: the names come from the leading steps of a path up to the first predicate or
/// expression step (steps whose evaluation cannot raise an error), and of `A or B` only `A` is
/// used (evaluation goes left to right and stops at a true `A`).
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
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Formally: every term has a name that does not occur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsenceGuard {
    /// Terms, each a length followed by that many interned local-name ids.
    terms: Box<[u32]>,
}

impl AbsenceGuard {
    /// True when the guarded expression is known to be true for the document.
    #[inline]
    pub fn holds(&self, presence: &NamePresence) -> bool {
        terms_hold(&self.terms, presence)
    }

    /// A guard from its terms (each a length, then that many interned local-name ids).
    pub(crate) fn from_terms(terms: Vec<u32>) -> Self {
        AbsenceGuard {
            terms: terms.into(),
        }
    }

    /// The terms (see [`AbsenceGuard::from_terms`]).
    pub(crate) fn raw_terms(&self) -> &[u32] {
        &self.terms
    }

    /// Number of terms (names that must not all be present).
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

/// Each term (a length, then that many interned local-name ids) has a name that is absent.
#[inline]
fn terms_hold(mut terms: &[u32], presence: &NamePresence) -> bool {
    while let Some((&len, tail)) = terms.split_first() {
        let (names, next) = tail.split_at(tail.len().min(len as usize));
        if !names.iter().any(|id| presence.absent(*id)) {
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
            words.extend_from_slice(terms);
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
        !self.0.is_empty() && terms_hold(self.0, presence)
    }
}

impl XPath {
    /// A condition on the names in a document under which this expression's effective boolean
    /// value is true without evaluating it (see [`AbsenceGuard`]); None when there is
    /// none.
    pub fn absence_guard(&self) -> Option<AbsenceGuard> {
        if let Some(lazy) = self.lazy_analysis() {
            return lazy.guard.clone();
        }
        let mut terms = Vec::new();
        collect(self.expr().ok()?, &mut terms)?;
        Some(AbsenceGuard {
            terms: terms.into(),
        })
    }
}

/// The expression inside reuse wrappers (see `Expr::Memo`).
fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Memo(inner, _) => strip(inner),
        other => other,
    }
}

/// Adds the terms under which `e` is true; None if there are none.
fn collect(e: &Expr, terms: &mut Vec<u32>) -> Option<()> {
    match strip(e) {
        Expr::Call(Builtin::Not | Builtin::Empty, args, _) if args.len() == 1 => {
            path_term(args.first()?, terms)
        }
        // left to right: `A or B` is true without B when A is
        Expr::Or(a, _) => collect(a, terms),
        Expr::And(a, b) => {
            collect(a, terms)?;
            collect(b, terms)
        }
        // `every $x in P satisfies …` is true for an empty P
        Expr::Quantified {
            every: true,
            bindings,
            ..
        } => path_term(&bindings.first()?.1, terms),
        // count(P) = 0, count(P) <= n, count(P) < n (n ≥ 1)
        Expr::GeneralCmp(op, a, b) | Expr::ValueCmp(op, a, b) => {
            let Expr::Call(Builtin::Count, args, _) = strip(a) else {
                return None;
            };
            let Expr::Literal(Literal::Integer(n)) = strip(b) else {
                return None;
            };
            // what count(()) = 0 makes of the comparison
            let empty_passes = match op {
                CmpOp::Eq => *n == 0,
                CmpOp::Le => *n >= 0,
                CmpOp::Lt => *n >= 1,
                CmpOp::Ne => *n != 0,
                CmpOp::Ge => *n <= 0,
                CmpOp::Gt => *n < 0,
            };
            if !empty_passes || args.len() != 1 {
                return None;
            }
            path_term(args.first()?, terms)
        }
        _ => None,
    }
}

/// The term "P is empty" for a path from the context item or root: one of its required names
/// is absent (the element names of its leading steps, and the attribute name of a leading
/// attribute step: `not(@schemeName)`, `not(//@unitCodeListID)`).
fn path_term(e: &Expr, terms: &mut Vec<u32>) -> Option<()> {
    let Expr::Path(p) = strip(e) else {
        return None;
    };
    if !matches!(p.start, PathStart::Context | PathStart::Root) {
        return None;
    }
    let attributes = leading_steps(&p.steps)
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Axis(axis, NodeTest::Name(_, local, _, _)) if axis.is_attribute() => {
                Some(index::intern_attribute(local))
            }
            _ => None,
        });
    let ids: Vec<u32> = (attributes.chain(p.required.iter().map(|(_, id)| *id)))
        .filter(|id| *id != 0)
        .collect();
    if ids.is_empty() {
        return None;
    }
    terms.push(u32::try_from(ids.len()).ok()?);
    terms.extend(ids);
    Some(())
}
