//! Content models compiled into deterministic automata.
//!
//! A model group tree (sequence/choice with minOccurs/maxOccurs) is unfolded into a regular
//! expression over particles (`p{2,4}` → `p p (p (p)?)?`, `p{1,}` → `p+`), and the Glushkov
//! (position) automaton of that expression is built: one state per particle position plus the
//! start state, a transition from position `i` to every position in `follow(i)`. Because schemas
//! obey the Unique Particle Attribution rule, at most one position per state accepts a given
//! element name, so the automaton is deterministic and validation is one pass over the children
//! with one table lookup per child. A name accepted by two positions of one state is reported as
//! a schema error (UPA violation).
//!
//! `xs:all` groups are not regular-friendly (n! orders) and are kept as a member list checked with
//! a seen-set.

use std::sync::OnceLock;

use super::components::ElemId;
use super::names::NameId;

/// Upper bound of particle positions per content model after unfolding occurrence ranges.
pub(crate) const MAX_POSITIONS: usize = 50_000;

/// Upper bound of the transitions of one content model (follow-set entries, and transitions after
/// expanding substitution groups): a schema with large, all-optional repeated groups could
/// otherwise make the construction quadratic in its size.
pub(crate) const MAX_TRANSITIONS: usize = 4_000_000;

/// Upper bound of the nesting of model groups (the construction recurses along it).
pub(crate) const MAX_NESTING: usize = 200;

/// A particle of a model group tree.
#[derive(Debug, Clone)]
pub(crate) struct Term {
    pub(crate) kind: TermKind,
    pub(crate) min: u32,
    /// `None` = unbounded.
    pub(crate) max: Option<u32>,
}

#[derive(Debug, Clone)]
pub(crate) enum TermKind {
    Elem(ElemId),
    /// Index of a wildcard.
    Any(u32),
    Seq(Vec<Term>),
    Choice(Vec<Term>),
    All(Vec<Term>),
}

/// A content model: its particle tree and its automaton. Compiling a schema builds every
/// automaton (so that ambiguous models are schema errors); a set loaded from its compact form
/// builds each one on first use.
#[derive(Debug)]
pub(crate) struct ContentModel {
    pub(crate) term: Term,
    pub(crate) built: OnceLock<Model>,
}

/// A transition on an element name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trans {
    pub(crate) name: NameId,
    pub(crate) target: u32,
    pub(crate) elem: ElemId,
}

/// A transition on a wildcard.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WildTrans {
    pub(crate) wildcard: u32,
    pub(crate) target: u32,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct State {
    pub(crate) t_start: u32,
    pub(crate) t_end: u32,
    pub(crate) w_start: u32,
    pub(crate) w_end: u32,
    pub(crate) accepting: bool,
}

/// A member of an `xs:all` group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AllMember {
    pub(crate) name: NameId,
    pub(crate) elem: ElemId,
    pub(crate) required: bool,
}

/// A compiled content model.
#[derive(Debug, Clone, Default)]
pub(crate) struct Model {
    pub(crate) states: Vec<State>,
    /// Per state, sorted by name.
    pub(crate) trans: Vec<Trans>,
    pub(crate) wild: Vec<WildTrans>,
    /// `Some` for an `xs:all` group: its members and whether the group may be empty.
    pub(crate) all: Option<(Vec<AllMember>, bool)>,
}

impl Model {
    pub(crate) fn state(&self, s: u32) -> State {
        self.states.get(s as usize).copied().unwrap_or_default()
    }

    /// The transition of state `s` on `name`.
    #[inline]
    pub(crate) fn step(&self, s: u32, name: NameId) -> Option<&Trans> {
        let st = self.states.get(s as usize)?;
        let ts = self.trans.get(st.t_start as usize..st.t_end as usize)?;
        if ts.len() <= 8 {
            ts.iter().find(|t| t.name == name)
        } else {
            ts.binary_search_by_key(&name, |t| t.name)
                .ok()
                .and_then(|i| ts.get(i))
        }
    }

    /// The wildcard transitions of state `s`.
    pub(crate) fn wildcards(&self, s: u32) -> &[WildTrans] {
        self.states
            .get(s as usize)
            .and_then(|st| self.wild.get(st.w_start as usize..st.w_end as usize))
            .unwrap_or_default()
    }

    /// The name transitions of state `s`, in particle order (for messages).
    pub(crate) fn expected(&self, s: u32) -> Vec<Trans> {
        let mut v: Vec<Trans> = self
            .states
            .get(s as usize)
            .and_then(|st| self.trans.get(st.t_start as usize..st.t_end as usize))
            .unwrap_or_default()
            .to_vec();
        v.sort_by_key(|t| (t.target, t.name));
        v
    }
}

#[derive(Debug, Clone, Copy)]
enum Sym {
    Elem(ElemId),
    Any(u32),
}

#[derive(Debug, Default)]
struct Frag {
    first: Vec<u32>,
    last: Vec<u32>,
    nullable: bool,
}

impl Frag {
    fn empty() -> Frag {
        Frag {
            first: Vec::new(),
            last: Vec::new(),
            nullable: true,
        }
    }
}

struct Builder {
    syms: Vec<Sym>,
    follow: Vec<Vec<u32>>,
    /// Follow-set entries added so far.
    entries: usize,
}

fn too_large() -> String {
    format!("content model too large (more than {MAX_TRANSITIONS} transitions)")
}

impl Builder {
    fn charge(&mut self, n: usize) -> Result<(), String> {
        self.entries = self.entries.saturating_add(n);
        if self.entries > MAX_TRANSITIONS {
            return Err(too_large());
        }
        Ok(())
    }

    fn concat(&mut self, a: Frag, b: Frag) -> Result<Frag, String> {
        self.charge(a.last.len().saturating_mul(b.first.len()))?;
        for l in &a.last {
            if let Some(f) = self.follow.get_mut(*l as usize) {
                f.extend_from_slice(&b.first);
            }
        }
        let mut first = a.first;
        if a.nullable {
            first.extend_from_slice(&b.first);
        }
        let mut last = b.last;
        if b.nullable {
            last.extend_from_slice(&a.last);
        }
        Ok(Frag {
            first,
            last,
            nullable: a.nullable && b.nullable,
        })
    }

    fn star(&mut self, f: &Frag) -> Result<(), String> {
        self.charge(f.last.len().saturating_mul(f.first.len()))?;
        for l in &f.last {
            if let Some(fl) = self.follow.get_mut(*l as usize) {
                fl.extend_from_slice(&f.first);
            }
        }
        Ok(())
    }

    fn position(&mut self, s: Sym) -> Result<Frag, String> {
        if self.syms.len() >= MAX_POSITIONS {
            return Err(format!(
                "content model too large (more than {MAX_POSITIONS} particles after expanding minOccurs/maxOccurs)"
            ));
        }
        let p = self.syms.len() as u32;
        self.syms.push(s);
        self.follow.push(Vec::new());
        Ok(Frag {
            first: vec![p],
            last: vec![p],
            nullable: false,
        })
    }

    fn core(&mut self, kind: &TermKind) -> Result<Frag, String> {
        match kind {
            TermKind::Elem(e) => self.position(Sym::Elem(*e)),
            TermKind::Any(w) => self.position(Sym::Any(*w)),
            TermKind::Seq(ts) => {
                let mut acc = Frag::empty();
                for t in ts {
                    let f = self.term(t)?;
                    acc = self.concat(acc, f)?;
                }
                Ok(acc)
            }
            TermKind::Choice(ts) => {
                // An empty choice matches nothing.
                let mut acc = Frag {
                    first: Vec::new(),
                    last: Vec::new(),
                    nullable: false,
                };
                for t in ts {
                    let f = self.term(t)?;
                    acc.first.extend_from_slice(&f.first);
                    acc.last.extend_from_slice(&f.last);
                    acc.nullable |= f.nullable;
                }
                Ok(acc)
            }
            TermKind::All(_) => Err("xs:all may only be the whole content model".into()),
        }
    }

    fn term(&mut self, t: &Term) -> Result<Frag, String> {
        if t.max == Some(0) {
            return Ok(Frag::empty());
        }
        let mut acc = Frag::empty();
        for k in 0..t.min {
            let f = self.core(&t.kind)?;
            if k + 1 == t.min && t.max.is_none() {
                self.star(&f)?;
            }
            acc = self.concat(acc, f)?;
        }
        match t.max {
            None if t.min == 0 => {
                let mut f = self.core(&t.kind)?;
                self.star(&f)?;
                f.nullable = true;
                acc = self.concat(acc, f)?;
            }
            None => {}
            Some(max) => {
                // (p (p (p)?)?)? built inside out.
                let mut tail = Frag::empty();
                for _ in t.min..max {
                    let f = self.core(&t.kind)?;
                    let mut g = self.concat(f, tail)?;
                    g.nullable = true;
                    tail = g;
                }
                acc = self.concat(acc, tail)?;
            }
        }
        Ok(acc)
    }
}

/// Why a content model could not be compiled.
#[derive(Debug)]
pub(crate) enum BuildError {
    /// Two particles of one state accept this name (Unique Particle Attribution violated).
    Ambiguous(NameId),
    /// Anything else.
    Other(String),
}

impl From<String> for BuildError {
    fn from(s: String) -> Self {
        BuildError::Other(s)
    }
}

impl From<&str> for BuildError {
    fn from(s: &str) -> Self {
        BuildError::Other(s.to_string())
    }
}

/// Gives the element names a declaration accepts (its own unless abstract, and those of its
/// substitution group members), appending them to the buffer.
pub(crate) type NamesOf<'a> = &'a dyn Fn(ElemId, &mut Vec<(NameId, ElemId)>);

/// A flat sequence of single particles that occur once, optionally, or repeatedly — the shape of
/// nearly every UBL/CII content model — with its (min, max) per particle.
fn flat_sequence(root: &Term) -> Option<Vec<(&TermKind, bool, bool)>> {
    if root.min != 1 || root.max != Some(1) {
        return None;
    }
    let TermKind::Seq(parts) = &root.kind else {
        return None;
    };
    parts
        .iter()
        .map(|t| {
            let simple = matches!(t.kind, TermKind::Elem(_) | TermKind::Any(_));
            let occurs_ok = t.min <= 1 && matches!(t.max, Some(1) | None);
            (simple && occurs_ok).then_some((&t.kind, t.min == 1, t.max.is_none()))
        })
        .collect()
}

/// Builds the automaton of a content model.
pub(crate) fn build(root: &Term, names_of: NamesOf<'_>) -> Result<Model, BuildError> {
    if let TermKind::All(members) = &root.kind {
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            let TermKind::Elem(e) = m.kind else {
                return Err("xs:all may only contain element declarations".into());
            };
            if m.max.is_some_and(|x| x > 1) || m.max.is_none() {
                return Err("an element in xs:all may occur at most once".into());
            }
            if m.max == Some(0) {
                continue;
            }
            let mut buf = Vec::new();
            names_of(e, &mut buf);
            for (name, elem) in buf {
                if out.iter().any(|x: &AllMember| x.name == name) {
                    return Err("xs:all group declares an element twice".into());
                }
                out.push(AllMember {
                    name,
                    elem,
                    required: m.min > 0,
                });
            }
        }
        return Ok(Model {
            all: Some((out, root.min == 0)),
            ..Model::default()
        });
    }
    if let Some(parts) = flat_sequence(root) {
        return emit_flat(&parts, names_of);
    }
    let mut b = Builder {
        syms: Vec::new(),
        follow: Vec::new(),
        entries: 0,
    };
    let f = b.term(root)?;
    let n = b.syms.len();
    let mut is_last = vec![false; n];
    for l in &f.last {
        if let Some(x) = is_last.get_mut(*l as usize) {
            *x = true;
        }
    }
    let mut e = Emitter::new(n + 1);
    for s in 0..=n {
        let mut cand: Vec<u32> = if s == 0 {
            f.first.clone()
        } else {
            b.follow.get(s - 1).cloned().unwrap_or_default()
        };
        cand.sort_unstable();
        cand.dedup();
        for p in cand {
            match b.syms.get(p as usize) {
                Some(Sym::Elem(el)) => e.elem(*el, p + 1, names_of),
                Some(Sym::Any(w)) => e.wild(*w, p + 1),
                None => {}
            }
        }
        let accepting = if s == 0 {
            f.nullable
        } else {
            is_last.get(s - 1).copied().unwrap_or(false)
        };
        e.end_state(accepting)?;
    }
    Ok(e.model)
}

/// The automaton of a flat sequence, built directly: from position `i` the next particles are
/// `i` itself when it repeats, then every following particle up to and including the first
/// required one.
fn emit_flat(
    parts: &[(&TermKind, bool, bool)],
    names_of: NamesOf<'_>,
) -> Result<Model, BuildError> {
    let n = parts.len();
    let mut e = Emitter::new(n + 1);
    for s in 0..=n {
        // Candidates: the repeating particle itself, then the ones after it.
        let from = s; // first position after state s (state s = after position s-1)
        if s > 0 {
            if let Some((kind, _, true)) = parts.get(s - 1) {
                e.kind(kind, s as u32, names_of);
            }
        }
        let mut accepting = true;
        for (p, (kind, required, _)) in parts.iter().enumerate().skip(from) {
            e.kind(kind, p as u32 + 1, names_of);
            if *required {
                accepting = false;
                break;
            }
        }
        e.end_state(accepting)?;
    }
    Ok(e.model)
}

/// Accumulates states and their transitions.
struct Emitter {
    model: Model,
    /// Set when the transitions exceeded [`MAX_TRANSITIONS`].
    overflow: bool,
    t_start: usize,
    w_start: usize,
    buf: Vec<(NameId, ElemId)>,
}

impl Emitter {
    fn new(states: usize) -> Self {
        let mut model = Model::default();
        model.states.reserve(states);
        Emitter {
            model,
            overflow: false,
            t_start: 0,
            w_start: 0,
            buf: Vec::new(),
        }
    }

    fn kind(&mut self, kind: &TermKind, target: u32, names_of: NamesOf<'_>) {
        match kind {
            TermKind::Elem(el) => self.elem(*el, target, names_of),
            TermKind::Any(w) => self.wild(*w, target),
            _ => {}
        }
    }

    fn elem(&mut self, e: ElemId, target: u32, names_of: NamesOf<'_>) {
        self.buf.clear();
        names_of(e, &mut self.buf);
        if self.model.trans.len() + self.buf.len() > MAX_TRANSITIONS {
            self.overflow = true;
            return;
        }
        for (name, elem) in self.buf.drain(..) {
            self.model.trans.push(Trans { name, target, elem });
        }
    }

    fn wild(&mut self, wildcard: u32, target: u32) {
        self.model.wild.push(WildTrans { wildcard, target });
    }

    fn end_state(&mut self, accepting: bool) -> Result<(), BuildError> {
        if self.overflow {
            return Err(BuildError::Other(too_large()));
        }
        let t_end = self.model.trans.len();
        if let Some(ts) = self.model.trans.get_mut(self.t_start..t_end) {
            ts.sort_unstable_by_key(|t| t.name);
            if let Some(w) = ts
                .windows(2)
                .find(|w| matches!(w, [a, b] if a.name == b.name))
            {
                if let Some(a) = w.first() {
                    return Err(BuildError::Ambiguous(a.name));
                }
            }
        }
        self.model.states.push(State {
            t_start: self.t_start as u32,
            t_end: t_end as u32,
            w_start: self.w_start as u32,
            w_end: self.model.wild.len() as u32,
            accepting,
        });
        self.t_start = t_end;
        self.w_start = self.model.wild.len();
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn el(i: u32, min: u32, max: Option<u32>) -> Term {
        Term {
            kind: TermKind::Elem(ElemId(i)),
            min,
            max,
        }
    }

    fn names(e: ElemId, out: &mut Vec<(NameId, ElemId)>) {
        out.push((NameId(e.0), e));
    }

    fn run(m: &Model, input: &[u32]) -> bool {
        let mut s = 0;
        for i in input {
            match m.step(s, NameId(*i)) {
                Some(t) => s = t.target,
                None => return false,
            }
        }
        m.state(s).accepting
    }

    #[test]
    fn sequences_and_occurrences() {
        // (a, b{2,3}, c*)
        let t = Term {
            kind: TermKind::Seq(vec![el(1, 1, Some(1)), el(2, 2, Some(3)), el(3, 0, None)]),
            min: 1,
            max: Some(1),
        };
        let m = build(&t, &names).unwrap();
        assert!(run(&m, &[1, 2, 2]));
        // the flat fast path agrees with the general construction
        let flat = Term {
            kind: TermKind::Seq(vec![
                el(1, 0, Some(1)),
                el(2, 1, None),
                el(3, 0, None),
                el(4, 1, Some(1)),
            ]),
            min: 1,
            max: Some(1),
        };
        let wrapped = Term {
            kind: TermKind::Seq(vec![flat.clone()]),
            min: 1,
            max: Some(1),
        };
        let (a, b) = (
            build(&flat, &names).unwrap(),
            build(&wrapped, &names).unwrap(),
        );
        for input in [
            &[2, 4][..],
            &[1, 2, 2, 3, 4],
            &[1, 4],
            &[2, 3, 2, 4],
            &[2],
            &[1, 2, 3, 3, 4],
        ] {
            assert_eq!(run(&a, input), run(&b, input), "{input:?}");
        }
        assert!(run(&a, &[1, 2, 2, 3, 4]) && !run(&a, &[1, 4]) && !run(&a, &[2, 3, 2, 4]));
        assert!(run(&m, &[1, 2, 2, 2, 3, 3]));
        assert!(!run(&m, &[1, 2]));
        assert!(!run(&m, &[1, 2, 2, 2, 2]));
        assert!(!run(&m, &[2, 2]));
    }

    #[test]
    fn nested_choice_repeated() {
        // (a | (b, c))+ , d?
        let t = Term {
            kind: TermKind::Seq(vec![
                Term {
                    kind: TermKind::Choice(vec![
                        el(1, 1, Some(1)),
                        Term {
                            kind: TermKind::Seq(vec![el(2, 1, Some(1)), el(3, 1, Some(1))]),
                            min: 1,
                            max: Some(1),
                        },
                    ]),
                    min: 1,
                    max: None,
                },
                el(4, 0, Some(1)),
            ]),
            min: 1,
            max: Some(1),
        };
        let m = build(&t, &names).unwrap();
        assert!(run(&m, &[1]));
        assert!(run(&m, &[2, 3, 1, 2, 3, 4]));
        assert!(!run(&m, &[2, 1]));
        assert!(!run(&m, &[]));
        assert!(!run(&m, &[1, 4, 1]));
    }

    #[test]
    fn ambiguity_is_reported() {
        // (a?, a)
        let t = Term {
            kind: TermKind::Seq(vec![el(1, 0, Some(1)), el(1, 1, Some(1))]),
            min: 1,
            max: Some(1),
        };
        assert!(build(&t, &names).is_err());
    }
}
