//! A compact binary form of a compiled [`SchemaSet`], so that a schema set can be compiled once
//! (at build or release time) and loaded at start-up in a fraction of the compile time.
//!
//! Layout: the magic `EGOVXSD\0`, the format version, then the tables of the set in order, every
//! integer as an unsigned LEB128 varint, every string as its length and UTF-8 bytes. The writer is
//! deterministic (maps are written sorted), so the bytes of a set depend only on its schema
//! documents and this format version. The reader checks every index against the table it refers
//! to, so corrupt input gives an error, never a panic or an inconsistent set; pattern facets are
//! stored as their XSD source and translated again when loaded.

use std::sync::{Arc, OnceLock};

use super::automaton::{ContentModel, Term, TermKind, MAX_NESTING};
use super::components::{
    AttrDecl, AttrUse, ComplexType, Content, ElemDecl, ElemId, Facets, NsConstraint, Pattern,
    Process, SimpleType, TypeDef, TypeId, ValueConstraint, Variety, Wildcard,
};
use super::datatypes::{Builtin, Ws};
use super::names::{FxMap, NameId, Names, NsId};
use super::{regex as xsd_regex, SchemaSet};
use crate::binary::{Reader, Writer};
use crate::error::Error;

const MAGIC: &[u8; 8] = b"EGOVXSD\0";
/// Bumped whenever the layout or the meaning of a compiled component changes.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// The writer: egov's binary primitives plus the components of a schema set.
struct W(Writer);

impl std::ops::Deref for W {
    type Target = Writer;
    fn deref(&self) -> &Writer {
        &self.0
    }
}

impl std::ops::DerefMut for W {
    fn deref_mut(&mut self) -> &mut Writer {
        &mut self.0
    }
}

impl W {
    fn constraint(&mut self, c: Option<&ValueConstraint>) {
        match c {
            None => self.u(0),
            Some(c) => {
                self.u(if c.fixed { 1 } else { 2 });
                self.s(&c.value);
            }
        }
    }

    fn wildcard(&mut self, w: &Wildcard) {
        match &w.ns {
            NsConstraint::Any => self.u(0),
            NsConstraint::Not(ns) => {
                self.u(1);
                self.u(ns.0);
            }
            NsConstraint::Set(set) => {
                self.u(2);
                self.n(set.len());
                for ns in set {
                    self.u(ns.0);
                }
            }
        }
        self.u(match w.process {
            Process::Strict => 0,
            Process::Lax => 1,
            Process::Skip => 2,
        });
    }

    fn term(&mut self, t: &Term) {
        match &t.kind {
            TermKind::Elem(e) => {
                self.u(0);
                self.u(e.0);
            }
            TermKind::Any(w) => {
                self.u(1);
                self.u(*w);
            }
            TermKind::Seq(ts) | TermKind::Choice(ts) | TermKind::All(ts) => {
                self.u(match &t.kind {
                    TermKind::Seq(_) => 2,
                    TermKind::Choice(_) => 3,
                    _ => 4,
                });
                self.n(ts.len());
                for c in ts {
                    self.term(c);
                }
            }
        }
        self.u(t.min);
        self.opt_u(t.max);
    }

    fn opt_wildcard(&mut self, w: Option<&Wildcard>) {
        match w {
            None => self.b(false),
            Some(w) => {
                self.b(true);
                self.wildcard(w);
            }
        }
    }
}

fn builtin_index(b: Builtin) -> u32 {
    Builtin::ALL.iter().position(|x| *x == b).unwrap_or(0) as u32
}

fn ws_code(ws: Ws) -> u32 {
    match ws {
        Ws::Preserve => 0,
        Ws::Replace => 1,
        Ws::Collapse => 2,
    }
}

/// Serialises a compiled schema set.
pub(crate) fn write(set: &SchemaSet) -> Vec<u8> {
    let mut w = W(Writer {
        out: Vec::with_capacity(256 * 1024),
    });
    w.out.extend_from_slice(MAGIC);
    w.u(FORMAT_VERSION);
    // Counts first, so that the reader can check every index it reads.
    w.n(set.names.ns_count());
    w.n(set.names.len());
    w.n(set.elems.len());
    w.n(set.types.len());
    w.n(set.models.len());
    w.n(set.wildcards.len());
    w.n(set.patterns.len());
    w.n(set.documents.len());
    for d in &set.documents {
        w.s(d);
    }
    for i in 1..set.names.ns_count() {
        w.s(set.names.ns_uri(NsId(i as u32)));
    }
    for i in 0..set.names.len() {
        let (ns, local) = set.names.get(NameId(i as u32));
        w.u(ns.0);
        w.s(local);
    }
    for e in &set.elems {
        w.u(e.name.0);
        w.u(e.ty.0);
        w.b(e.nillable);
        w.b(e.abstract_);
        w.constraint(e.constraint.as_ref());
        w.opt_u(e.subst_head.map(|h| h.0));
    }
    // Attribute use lists, shared between types as in the compiled set.
    let mut lists: Vec<&Arc<[AttrUse]>> = Vec::new();
    let mut list_of_type: Vec<u32> = Vec::with_capacity(set.types.len());
    for t in &set.types {
        if let TypeDef::Complex(c) = t {
            let idx = match lists.iter().position(|l| Arc::ptr_eq(l, &c.attributes)) {
                Some(i) => i,
                None => {
                    lists.push(&c.attributes);
                    lists.len() - 1
                }
            };
            list_of_type.push(idx as u32);
        }
    }
    w.n(lists.len());
    for l in &lists {
        w.n(l.len());
        for u in l.iter() {
            w.u(u.name.0);
            w.u(u.ty.0);
            w.b(u.required);
            w.constraint(u.constraint.as_ref());
        }
    }
    let mut complex_index = 0usize;
    for t in &set.types {
        match t {
            TypeDef::Simple(st) => {
                w.u(0);
                w.opt_u(st.name.map(|n| n.0));
                w.u(st.base.0);
                match &st.variety {
                    Variety::Atomic => w.u(0),
                    Variety::List(item) => {
                        w.u(1);
                        w.u(item.0);
                    }
                    Variety::Union(members) => {
                        w.u(2);
                        w.n(members.len());
                        for m in members {
                            w.u(m.0);
                        }
                    }
                }
                w.u(builtin_index(st.builtin));
                w.u(ws_code(st.ws));
                let f = &st.facets;
                w.opt_n(f.length);
                w.opt_n(f.min_length);
                w.opt_n(f.max_length);
                w.n(f.patterns.len());
                for g in &f.patterns {
                    w.n(g.len());
                    for p in g {
                        w.u(*p);
                    }
                }
                match &f.enumeration {
                    None => w.b(false),
                    Some(values) => {
                        w.b(true);
                        w.n(values.len());
                        for v in values {
                            w.s(v);
                        }
                    }
                }
                w.opt_s(f.min_inclusive.as_deref());
                w.opt_s(f.max_inclusive.as_deref());
                w.opt_s(f.min_exclusive.as_deref());
                w.opt_s(f.max_exclusive.as_deref());
                w.opt_n(f.total_digits);
                w.opt_n(f.fraction_digits);
            }
            TypeDef::Complex(ct) => {
                w.u(1);
                w.opt_u(ct.name.map(|n| n.0));
                w.u(ct.base.0);
                w.b(ct.abstract_);
                match ct.content {
                    Content::Empty => w.u(0),
                    Content::Simple(t) => {
                        w.u(1);
                        w.u(t.0);
                    }
                    Content::Elements { model, mixed } => {
                        w.u(2);
                        w.u(model);
                        w.b(mixed);
                    }
                }
                w.u(list_of_type.get(complex_index).copied().unwrap_or(0));
                complex_index += 1;
                w.opt_wildcard(ct.attr_wildcard.as_ref());
            }
        }
    }
    for m in &set.models {
        w.term(&m.term);
    }
    for wc in &set.wildcards {
        w.wildcard(wc);
    }
    for p in &set.patterns {
        w.s(&p.source);
    }
    let mut ge: Vec<(NameId, ElemId)> = set.global_elems.iter().map(|(n, e)| (*n, *e)).collect();
    ge.sort_unstable();
    w.n(ge.len());
    for (n, e) in ge {
        w.u(n.0);
        w.u(e.0);
    }
    let mut gt: Vec<(NameId, TypeId)> = set.global_types.iter().map(|(n, t)| (*n, *t)).collect();
    gt.sort_unstable();
    w.n(gt.len());
    for (n, t) in gt {
        w.u(n.0);
        w.u(t.0);
    }
    let mut ga: Vec<(&NameId, &AttrDecl)> = set.global_attrs.iter().collect();
    ga.sort_unstable_by_key(|(n, _)| **n);
    w.n(ga.len());
    for (n, a) in ga {
        w.u(n.0);
        w.u(a.ty.0);
        w.constraint(a.constraint.as_ref());
    }
    w.0.out
}

/// The reader: egov's binary primitives plus the components of a schema set.
struct R<'a>(Reader<'a>);

impl<'a> std::ops::Deref for R<'a> {
    type Target = Reader<'a>;
    fn deref(&self) -> &Reader<'a> {
        &self.0
    }
}

impl<'a> std::ops::DerefMut for R<'a> {
    fn deref_mut(&mut self) -> &mut Reader<'a> {
        &mut self.0
    }
}

fn bad(message: impl Into<String>) -> Error {
    Error::Schema {
        document: "(compiled schema set)".into(),
        message: message.into(),
        line: 0,
        column: 0,
    }
}

/// Upper bounds of the tables, for index checks.
struct Bounds {
    ns: u32,
    names: u32,
    elems: u32,
    types: u32,
    models: u32,
    wildcards: u32,
    patterns: u32,
}

impl<'a> R<'a> {
    fn constraint(&mut self) -> Result<Option<ValueConstraint>, Error> {
        Ok(match self.u()? {
            0 => None,
            t @ (1 | 2) => Some(ValueConstraint {
                fixed: t == 1,
                value: Box::from(self.s()?),
            }),
            _ => return Err(bad("invalid value constraint")),
        })
    }

    fn term(&mut self, bounds: &Bounds, depth: usize) -> Result<Term, Error> {
        if depth > MAX_NESTING {
            return Err(bad("model groups nested too deeply"));
        }
        let kind = match self.u()? {
            0 => TermKind::Elem(ElemId(self.idx(bounds.elems, "element")?)),
            1 => TermKind::Any(self.idx(bounds.wildcards, "wildcard")?),
            k @ 2..=4 => {
                let n = self.count()?;
                let mut ts = Vec::with_capacity(n);
                for _ in 0..n {
                    ts.push(self.term(bounds, depth + 1)?);
                }
                match k {
                    2 => TermKind::Seq(ts),
                    3 => TermKind::Choice(ts),
                    _ => TermKind::All(ts),
                }
            }
            _ => return Err(bad("invalid particle")),
        };
        let min = self.u()?;
        let max = match self.u()? {
            0 => None,
            v => Some(v - 1),
        };
        if max.is_some_and(|m| m < min) {
            return Err(bad("minOccurs greater than maxOccurs"));
        }
        Ok(Term { kind, min, max })
    }

    fn wildcard(&mut self, bounds: &Bounds) -> Result<Wildcard, Error> {
        let ns = match self.u()? {
            0 => NsConstraint::Any,
            1 => NsConstraint::Not(NsId(self.idx(bounds.ns, "namespace")?)),
            2 => {
                let n = self.count()?;
                let mut set = Vec::with_capacity(n);
                for _ in 0..n {
                    set.push(NsId(self.idx(bounds.ns, "namespace")?));
                }
                NsConstraint::Set(set)
            }
            _ => return Err(bad("invalid wildcard")),
        };
        let process = match self.u()? {
            0 => Process::Strict,
            1 => Process::Lax,
            2 => Process::Skip,
            _ => return Err(bad("invalid processContents")),
        };
        Ok(Wildcard { ns, process })
    }
}

/// Loads a schema set written by [`write`].
pub(crate) fn read(bytes: &[u8]) -> Result<SchemaSet, Error> {
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| bad("not a compiled schema set (wrong magic)"))?;
    let mut r = R(Reader::new(rest, |m: String| bad(m)));
    let version = r.u()?;
    if version != FORMAT_VERSION {
        return Err(bad(format!(
            "compiled schema set has format version {version}, this build reads {FORMAT_VERSION}"
        )));
    }
    let ns_count = r.count()?;
    let name_count = r.count()?;
    let elem_count = r.count()?;
    let type_count = r.count()?;
    let model_count = r.count()?;
    let wildcard_count = r.count()?;
    let pattern_count = r.count()?;
    let doc_count = r.count()?;
    let bounds = Bounds {
        ns: ns_count as u32,
        names: name_count as u32,
        elems: elem_count as u32,
        types: type_count as u32,
        models: model_count as u32,
        wildcards: wildcard_count as u32,
        patterns: pattern_count as u32,
    };
    let mut documents = Vec::with_capacity(doc_count);
    for _ in 0..doc_count {
        documents.push(r.s()?.to_string());
    }
    let mut names = Names::new();
    for i in 1..ns_count {
        let id = names.ns(r.s()?);
        if id.0 as usize != i {
            return Err(bad("duplicate namespace"));
        }
    }
    names.reserve(name_count);
    for i in 0..name_count {
        let ns = NsId(r.idx(bounds.ns, "namespace")?);
        let id = names.name(ns, r.s()?);
        if id.0 as usize != i {
            return Err(bad("duplicate name"));
        }
    }
    let mut elems = Vec::with_capacity(elem_count);
    for _ in 0..elem_count {
        elems.push(ElemDecl {
            name: NameId(r.idx(bounds.names, "name")?),
            ty: TypeId(r.idx(bounds.types, "type")?),
            nillable: r.b()?,
            abstract_: r.b()?,
            constraint: r.constraint()?,
            subst_head: r.opt_idx(bounds.elems, "element")?.map(ElemId),
        });
    }
    let list_count = r.count()?;
    let mut lists: Vec<Arc<[AttrUse]>> = Vec::with_capacity(list_count);
    for _ in 0..list_count {
        let n = r.count()?;
        let mut uses = Vec::with_capacity(n);
        for _ in 0..n {
            uses.push(AttrUse {
                name: NameId(r.idx(bounds.names, "name")?),
                ty: TypeId(r.idx(bounds.types, "type")?),
                required: r.b()?,
                constraint: r.constraint()?,
            });
        }
        lists.push(Arc::from(uses));
    }
    let mut types = Vec::with_capacity(type_count);
    for _ in 0..type_count {
        let t = match r.u()? {
            0 => {
                let name = r.opt_idx(bounds.names, "name")?.map(NameId);
                let base = TypeId(r.idx(bounds.types, "type")?);
                let variety = match r.u()? {
                    0 => Variety::Atomic,
                    1 => Variety::List(TypeId(r.idx(bounds.types, "type")?)),
                    2 => {
                        let n = r.count()?;
                        let mut m = Vec::with_capacity(n);
                        for _ in 0..n {
                            m.push(TypeId(r.idx(bounds.types, "type")?));
                        }
                        Variety::Union(m)
                    }
                    _ => return Err(bad("invalid variety")),
                };
                let builtin = *Builtin::ALL
                    .get(r.u()? as usize)
                    .ok_or_else(|| bad("invalid built-in type"))?;
                let ws = match r.u()? {
                    0 => Ws::Preserve,
                    1 => Ws::Replace,
                    2 => Ws::Collapse,
                    _ => return Err(bad("invalid whiteSpace")),
                };
                let length = r.opt_n()?;
                let min_length = r.opt_n()?;
                let max_length = r.opt_n()?;
                let groups = r.count()?;
                let mut patterns = Vec::with_capacity(groups);
                for _ in 0..groups {
                    let n = r.count()?;
                    let mut g = Vec::with_capacity(n);
                    for _ in 0..n {
                        g.push(r.idx(bounds.patterns, "pattern")?);
                    }
                    patterns.push(g);
                }
                let enumeration = if r.b()? {
                    let n = r.count()?;
                    let mut v: Vec<Box<str>> = Vec::with_capacity(n);
                    for _ in 0..n {
                        v.push(Box::from(r.s()?));
                    }
                    if !v.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
                        return Err(bad("enumeration not sorted"));
                    }
                    Some(v)
                } else {
                    None
                };
                TypeDef::Simple(SimpleType {
                    name,
                    base,
                    variety,
                    builtin,
                    ws,
                    facets: Box::new(Facets {
                        length,
                        min_length,
                        max_length,
                        patterns,
                        enumeration,
                        min_inclusive: r.opt_s()?,
                        max_inclusive: r.opt_s()?,
                        min_exclusive: r.opt_s()?,
                        max_exclusive: r.opt_s()?,
                        total_digits: r.opt_n()?,
                        fraction_digits: r.opt_n()?,
                    }),
                })
            }
            1 => {
                let name = r.opt_idx(bounds.names, "name")?.map(NameId);
                let base = TypeId(r.idx(bounds.types, "type")?);
                let abstract_ = r.b()?;
                let content = match r.u()? {
                    0 => Content::Empty,
                    1 => Content::Simple(TypeId(r.idx(bounds.types, "type")?)),
                    2 => Content::Elements {
                        model: r.idx(bounds.models, "model")?,
                        mixed: r.b()?,
                    },
                    _ => return Err(bad("invalid content type")),
                };
                let list = r.u()? as usize;
                let attributes = lists
                    .get(list)
                    .cloned()
                    .ok_or_else(|| bad("attribute list index out of range"))?;
                let attr_wildcard = if r.b()? {
                    Some(r.wildcard(&bounds)?)
                } else {
                    None
                };
                TypeDef::Complex(ComplexType {
                    name,
                    base,
                    abstract_,
                    content,
                    attributes,
                    attr_wildcard,
                })
            }
            _ => return Err(bad("invalid type")),
        };
        types.push(t);
    }
    for t in &types {
        let simple = |id: TypeId| matches!(types.get(id.0 as usize), Some(TypeDef::Simple(_)));
        let ok = match t {
            TypeDef::Simple(s) => match &s.variety {
                Variety::Atomic => true,
                Variety::List(i) => simple(*i),
                Variety::Union(m) => m.iter().all(|x| simple(*x)),
            },
            TypeDef::Complex(c) => match c.content {
                Content::Simple(st) => simple(st),
                _ => true,
            },
        };
        if !ok {
            return Err(bad("a simple type refers to a complex type"));
        }
    }
    check_acyclic(&types)?;
    let mut models = Vec::with_capacity(model_count);
    for _ in 0..model_count {
        models.push(ContentModel {
            term: r.term(&bounds, 0)?,
            built: OnceLock::new(),
        });
    }
    let mut wildcards = Vec::with_capacity(wildcard_count);
    for _ in 0..wildcard_count {
        wildcards.push(r.wildcard(&bounds)?);
    }
    let mut patterns = Vec::with_capacity(pattern_count);
    for _ in 0..pattern_count {
        let source = r.s()?;
        let translated = xsd_regex::translate(source)
            .map_err(|m| bad(format!("invalid pattern {source:?}: {m}")))?;
        patterns.push(Pattern {
            source: Box::from(source),
            translated,
            compiled: OnceLock::new(),
        });
    }
    let n = r.count()?;
    let mut global_elems = FxMap::default();
    global_elems.reserve(n);
    for _ in 0..n {
        global_elems.insert(
            NameId(r.idx(bounds.names, "name")?),
            ElemId(r.idx(bounds.elems, "element")?),
        );
    }
    let n = r.count()?;
    let mut global_types = FxMap::default();
    global_types.reserve(n);
    for _ in 0..n {
        global_types.insert(
            NameId(r.idx(bounds.names, "name")?),
            TypeId(r.idx(bounds.types, "type")?),
        );
    }
    let n = r.count()?;
    let mut global_attrs = FxMap::default();
    for _ in 0..n {
        let name = NameId(r.idx(bounds.names, "name")?);
        let ty = TypeId(r.idx(bounds.types, "type")?);
        global_attrs.insert(
            name,
            AttrDecl {
                ty,
                constraint: r.constraint()?,
            },
        );
    }
    if r.p != r.b.len() {
        return Err(bad("trailing bytes"));
    }
    if !matches!(types.first(), Some(TypeDef::Complex(_))) {
        return Err(bad("type 0 must be xs:anyType"));
    }
    let subst = super::compile::substitution_members(&elems);
    Ok(SchemaSet {
        subst,
        names,
        elems,
        types,
        models,
        wildcards,
        patterns,
        global_elems,
        global_types,
        global_attrs,
        documents,
    })
}

/// List item and union member references must not form a cycle (validation recurses along them).
fn check_acyclic(types: &[TypeDef]) -> Result<(), Error> {
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut state = vec![0u8; types.len()];
    let refs = |i: usize| -> Vec<usize> {
        match types.get(i) {
            Some(TypeDef::Simple(s)) => match &s.variety {
                Variety::Atomic => Vec::new(),
                Variety::List(t) => vec![t.0 as usize],
                Variety::Union(m) => m.iter().map(|t| t.0 as usize).collect(),
            },
            _ => Vec::new(),
        }
    };
    for start in 0..types.len() {
        if state.get(start) != Some(&0) {
            continue;
        }
        if !matches!(types.get(start), Some(TypeDef::Simple(s)) if !matches!(s.variety, Variety::Atomic))
        {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(start, refs(start))];
        if let Some(s) = state.get_mut(start) {
            *s = 1;
        }
        while let Some((node, pending)) = stack.last_mut() {
            match pending.pop() {
                Some(next) => match state.get(next) {
                    Some(0) => {
                        if let Some(s) = state.get_mut(next) {
                            *s = 1;
                        }
                        let r = refs(next);
                        stack.push((next, r));
                    }
                    Some(1) => return Err(bad("circular list or union types")),
                    _ => {}
                },
                None => {
                    let n = *node;
                    if let Some(s) = state.get_mut(n) {
                        *s = 2;
                    }
                    stack.pop();
                }
            }
        }
    }
    Ok(())
}
