//! Schema loading (import/include resolution) and compilation of the components.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use std::sync::OnceLock;

use super::automaton::{self, BuildError, ContentModel, Term, TermKind};
use super::components::{
    AttrDecl, AttrUse, ComplexType, Content, ElemDecl, ElemId, Facets, NsConstraint, Pattern,
    Process, SimpleType, TypeDef, TypeId, ValueConstraint, Variety, Wildcard,
};
use super::datatypes::{self, Builtin, Ws};
use super::names::{FxMap, NameId, Names, NsId};
use super::reader::{RawDoc, RawElem, XS};
use super::{regex as xsd_regex, SchemaSet};
use crate::error::Error;
use crate::xml::XML_NAMESPACE;

/// Resolves a `schemaLocation` against the location of the document that names it: absolute
/// references (a URI scheme or a leading `/`) are kept; relative ones are joined to the base's
/// directory and `.`/`..` segments are removed (`a/b/c.xsd` + `../d.xsd` → `a/d.xsd`).
pub(crate) fn resolve_location(base: &str, reference: &str) -> String {
    let has_scheme = reference.split_once(':').is_some_and(|(s, _)| {
        s.len() > 1
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if has_scheme || reference.starts_with('/') {
        return reference.to_string();
    }
    // Keep "scheme://authority" of a URL base untouched.
    let (prefix, base_path) = match base.find("://") {
        Some(i) => {
            let after = i + 3;
            let path_start = base
                .get(after..)
                .and_then(|r| r.find('/'))
                .map_or(base.len(), |p| after + p);
            (
                base.get(..path_start).unwrap_or(""),
                base.get(path_start..).unwrap_or(""),
            )
        }
        None => ("", base),
    };
    let dir = base_path
        .rfind('/')
        .map_or("", |i| base_path.get(..=i).unwrap_or(""));
    let joined = format!("{dir}{reference}");
    let absolute = joined.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !absolute {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let mut path = out.join("/");
    if absolute {
        path.insert(0, '/');
    }
    format!("{prefix}{path}")
}

/// A loaded schema document with its effective target namespace and defaults.
struct Loaded {
    raw: RawDoc,
    /// Position in the document list.
    index: u32,
    tns: NsId,
    /// Included without a target namespace into one with: unqualified references mean `tns`.
    chameleon: bool,
    elem_qualified: bool,
    attr_qualified: bool,
}

enum How {
    Entry,
    Include(NsId),
    Import(Option<String>),
}

fn load<F, B>(entry: &str, resolver: &mut F, names: &mut Names) -> Result<Vec<Loaded>, Error>
where
    F: FnMut(&str) -> Option<B>,
    B: AsRef<[u8]>,
{
    let mut docs: Vec<Loaded> = Vec::new();
    let mut seen: HashSet<(String, u32)> = HashSet::new();
    // Namespaces loaded or queued for import: like Xerces, a second xs:import of a namespace that
    // is already known does not load another document.
    let mut known: HashSet<String> = HashSet::new();
    // (location, how, where it was referenced: (document index, byte offset of the reference))
    type Pending = (String, How, Option<(usize, u32)>);
    let mut queue: VecDeque<Pending> = VecDeque::new();
    queue.push_back((entry.to_string(), How::Entry, None));
    while let Some((loc, how, from)) = queue.pop_front() {
        let key = match how {
            How::Include(t) => (loc.clone(), t.0),
            _ => (loc.clone(), u32::MAX),
        };
        if !seen.insert(key) {
            continue;
        }
        let Some(bytes) = resolver(&loc) else {
            if matches!(&how, How::Import(Some(ns)) if ns == XML_NAMESPACE) {
                continue;
            }
            let message = format!("cannot resolve schema document {loc:?}");
            return Err(
                match from.and_then(|(d, off)| docs.get(d).map(|l| (l, off))) {
                    Some((l, off)) => {
                        let (line, column) = l.raw.line_col(off as usize);
                        Error::Schema {
                            document: l.raw.location.clone(),
                            message,
                            line,
                            column,
                        }
                    }
                    None => Error::Schema {
                        document: loc.clone(),
                        message,
                        line: 0,
                        column: 0,
                    },
                },
            );
        };
        let raw = RawDoc::parse(&loc, bytes.as_ref())?;
        let root = raw.root().copied().ok_or_else(|| Error::Schema {
            document: loc.clone(),
            message: "empty schema document".into(),
            line: 0,
            column: 0,
        })?;
        if !raw.is_xs(&root, "schema") {
            return Err(raw.error_at(
                &root,
                "not an XML Schema document (the root element is not xs:schema)",
            ));
        }
        let declared = raw.attr(&root, "targetNamespace").filter(|t| !t.is_empty());
        let tns = match &how {
            How::Entry => declared.map_or(NsId::NONE, |t| names.ns(t)),
            How::Include(t) => match declared {
                None => *t, // chameleon include
                Some(d) if names.ns(d) == *t => *t,
                Some(d) => {
                    return Err(raw.error_at(
                        &root,
                        format!(
                            "included document has target namespace {d:?}, the including one {:?}",
                            names.ns_uri(*t)
                        ),
                    ))
                }
            },
            How::Import(ns) => {
                if declared != ns.as_deref() {
                    return Err(raw.error_at(
                        &root,
                        format!(
                            "imported document has target namespace {:?}, the import names {:?}",
                            declared.unwrap_or(""),
                            ns.as_deref().unwrap_or("")
                        ),
                    ));
                }
                declared.map_or(NsId::NONE, |t| names.ns(t))
            }
        };
        known.insert(names.ns_uri(tns).to_string());
        let elem_qualified = raw.attr(&root, "elementFormDefault") == Some("qualified");
        let attr_qualified = raw.attr(&root, "attributeFormDefault") == Some("qualified");
        let index = docs.len();
        for child in raw.children(&root) {
            if raw.ns(child) != XS {
                continue;
            }
            match raw.local(child) {
                "include" => {
                    let sl = raw
                        .attr(child, "schemaLocation")
                        .ok_or_else(|| raw.error_at(child, "xs:include without schemaLocation"))?;
                    queue.push_back((
                        resolve_location(&loc, sl),
                        How::Include(tns),
                        Some((index, child.offset)),
                    ));
                }
                "import" => {
                    let ns = raw.attr(child, "namespace").map(str::to_string);
                    if ns.as_deref().unwrap_or("") == names.ns_uri(tns) {
                        return Err(
                            raw.error_at(child, "xs:import of the document's own target namespace")
                        );
                    }
                    let location = raw.attr(child, "schemaLocation");
                    // (an import without a location loads nothing, so it does not count)
                    let first = location.is_some() && known.insert(ns.clone().unwrap_or_default());
                    if let (true, Some(sl)) = (first, location) {
                        queue.push_back((
                            resolve_location(&loc, sl),
                            How::Import(ns),
                            Some((index, child.offset)),
                        ));
                    }
                }
                "redefine" | "override" => {
                    return Err(
                        raw.error_at(child, format!("xs:{} is not supported", raw.local(child)))
                    );
                }
                _ => {}
            }
        }
        let chameleon = declared.is_none() && tns != NsId::NONE;
        docs.push(Loaded {
            raw,
            index: index as u32,
            tns,
            chameleon,
            elem_qualified,
            attr_qualified,
        });
    }
    Ok(docs)
}

/// Where a component is written: document index and element index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Src {
    doc: u32,
    elem: u32,
}

// A type slot is short-lived compile state; boxing the done variant would only cost allocations.
#[allow(clippy::large_enum_variant)]
enum Slot {
    Pending(Src),
    InProgress(Src),
    Done(TypeDef),
}

struct Compiler<'l> {
    docs: &'l [Loaded],
    names: Names,
    xs: NsId,
    xml: NsId,
    /// Per document: its namespace URIs (reader indices) → interned ids.
    uri_ns: Vec<Vec<NsId>>,
    g_elem: FxMap<NameId, (ElemId, Src)>,
    g_type: FxMap<NameId, TypeId>,
    g_attr: FxMap<NameId, Src>,
    g_attr_group: FxMap<NameId, Src>,
    g_group: FxMap<NameId, Src>,
    elems: Vec<ElemDecl>,
    /// 0 = not compiled, 1 = in progress, 2 = done (global declarations only).
    elem_state: Vec<u8>,
    types: Vec<Slot>,
    /// The particle of each complex type with element content (for extensions).
    terms: FxMap<TypeId, Option<Term>>,
    attr_decls: FxMap<NameId, AttrDecl>,
    attr_in_progress: HashSet<NameId>,
    attr_groups: FxMap<NameId, (Vec<AttrUse>, Option<Wildcard>)>,
    attr_groups_in_progress: HashSet<NameId>,
    groups: FxMap<NameId, Term>,
    groups_in_progress: HashSet<NameId>,
    wildcards: Vec<Wildcard>,
    patterns: Vec<Pattern>,
    /// Content models with where they are written (none for built-in ones).
    models: Vec<(Term, Option<Src>)>,
    /// Current nesting of model groups.
    depth: usize,
}

/// Attribute uses written in one place (with a flag for `use="prohibited"`) and the complete
/// attribute wildcard.
type AttributeUses = (Vec<(AttrUse, bool)>, Option<Wildcard>);

/// The unprefixed attributes of a schema element that compilation reads, gathered in one pass.
#[derive(Default)]
struct Attrs<'a> {
    name: Option<&'a str>,
    type_: Option<&'a str>,
    ref_: Option<&'a str>,
    min_occurs: Option<&'a str>,
    max_occurs: Option<&'a str>,
    form: Option<&'a str>,
    fixed: Option<&'a str>,
    default: Option<&'a str>,
    nillable: Option<&'a str>,
    abstract_: Option<&'a str>,
    substitution_group: Option<&'a str>,
    use_: Option<&'a str>,
}

fn read_attrs<'a>(d: &'a Loaded, e: &RawElem) -> Attrs<'a> {
    let mut a = Attrs::default();
    for (k, v) in d.raw.attrs(e) {
        match k {
            "name" => a.name = Some(v),
            "type" => a.type_ = Some(v),
            "ref" => a.ref_ = Some(v),
            "minOccurs" => a.min_occurs = Some(v),
            "maxOccurs" => a.max_occurs = Some(v),
            "form" => a.form = Some(v),
            "fixed" => a.fixed = Some(v),
            "default" => a.default = Some(v),
            "nillable" => a.nillable = Some(v),
            "abstract" => a.abstract_ = Some(v),
            "substitutionGroup" => a.substitution_group = Some(v),
            "use" => a.use_ = Some(v),
            _ => {}
        }
    }
    a
}

fn constraint_of(a: &Attrs<'_>) -> Option<ValueConstraint> {
    if let Some(v) = a.fixed {
        return Some(ValueConstraint {
            fixed: true,
            value: Box::from(v),
        });
    }
    a.default.map(|v| ValueConstraint {
        fixed: false,
        value: Box::from(v),
    })
}

fn bool_attr(v: Option<&str>) -> bool {
    matches!(v, Some("true" | "1"))
}

/// Compiles the schema set rooted at `entry`.
pub(crate) fn compile<F, B>(entry: &str, mut resolver: F) -> Result<SchemaSet, Error>
where
    F: FnMut(&str) -> Option<B>,
    B: AsRef<[u8]>,
{
    let mut names = Names::new();
    let docs = load(entry, &mut resolver, &mut names)?;
    let mut c = Compiler::new(&docs, names);
    c.index()?;
    c.compile_all()?;
    c.finish()
}

impl<'l> Compiler<'l> {
    fn new(docs: &'l [Loaded], mut names: Names) -> Self {
        let xs = names.ns(XS);
        let xml = names.ns(XML_NAMESPACE);
        let uri_ns = docs
            .iter()
            .map(|d| d.raw.uris().map(|u| names.ns(u)).collect())
            .collect();
        let mut c = Compiler {
            docs,
            names,
            xs,
            xml,
            uri_ns,
            g_elem: FxMap::default(),
            g_type: FxMap::default(),
            g_attr: FxMap::default(),
            g_attr_group: FxMap::default(),
            g_group: FxMap::default(),
            elems: Vec::new(),
            elem_state: Vec::new(),
            types: Vec::new(),
            terms: FxMap::default(),
            attr_decls: FxMap::default(),
            attr_in_progress: HashSet::new(),
            attr_groups: FxMap::default(),
            attr_groups_in_progress: HashSet::new(),
            groups: FxMap::default(),
            groups_in_progress: HashSet::new(),
            wildcards: Vec::new(),
            patterns: Vec::new(),
            models: Vec::new(),
            depth: 0,
        };
        c.builtins();
        c
    }

    /// `xs:anyType` (type 0, model 0, wildcard 0) and the built-in simple types.
    fn builtins(&mut self) {
        let any = Wildcard {
            ns: NsConstraint::Any,
            process: Process::Lax,
        };
        self.wildcards.push(any.clone());
        self.models.push((
            Term {
                kind: TermKind::Any(0),
                min: 0,
                max: None,
            },
            None,
        ));
        self.types.push(Slot::Done(TypeDef::Complex(ComplexType {
            name: Some(self.names.name(self.xs, "anyType")),
            base: TypeId::ANY_TYPE,
            abstract_: false,
            content: Content::Elements {
                model: 0,
                mixed: true,
            },
            attributes: Arc::from(Vec::new()),
            attr_wildcard: Some(any),
        })));
        self.terms.insert(
            TypeId::ANY_TYPE,
            Some(Term {
                kind: TermKind::Any(0),
                min: 0,
                max: None,
            }),
        );
        let any_name = self.names.name(self.xs, "anyType");
        self.g_type.insert(any_name, TypeId::ANY_TYPE);
        for &b in Builtin::ALL {
            let name = self.names.name(self.xs, b.name());
            let (variety, facets) = match b.list_item() {
                Some(item) => (
                    Variety::List(TypeId::builtin(item)),
                    Box::new(Facets {
                        min_length: Some(1),
                        ..Facets::default()
                    }),
                ),
                None => (Variety::Atomic, Box::default()),
            };
            let base = if b == Builtin::AnySimpleType {
                TypeId::ANY_TYPE
            } else {
                TypeId::builtin(b.base())
            };
            let id = TypeId(self.types.len() as u32);
            self.types.push(Slot::Done(TypeDef::Simple(SimpleType {
                name: Some(name),
                base,
                variety,
                builtin: b,
                ws: b.whitespace(),
                facets,
            })));
            self.g_type.insert(name, id);
        }
    }

    fn doc(&self, src: Src) -> Option<(&'l Loaded, &'l RawElem)> {
        let docs: &'l [Loaded] = self.docs;
        let d = docs.get(src.doc as usize)?;
        let e = d.raw.elem(src.elem)?;
        Some((d, e))
    }

    fn err(&self, src: Src, message: impl Into<String>) -> Error {
        match self.doc(src) {
            Some((d, e)) => d.raw.error_at(e, message),
            None => Error::Schema {
                document: String::new(),
                message: message.into(),
                line: 0,
                column: 0,
            },
        }
    }

    fn display(&self, n: NameId) -> String {
        self.names.clark(n)
    }

    /// Indexes the global components of every document.
    fn index(&mut self) -> Result<(), Error> {
        let docs: &'l [Loaded] = self.docs;
        for (di, d) in docs.iter().enumerate() {
            let Some(root) = d.raw.root() else { continue };
            for child in d.raw.children(root) {
                if d.raw.ns(child) != XS {
                    continue;
                }
                let kind = d.raw.local(child);
                if !matches!(
                    kind,
                    "element"
                        | "attribute"
                        | "complexType"
                        | "simpleType"
                        | "group"
                        | "attributeGroup"
                ) {
                    continue;
                }
                let src = Src {
                    doc: di as u32,
                    elem: child.idx,
                };
                let local = d.raw.attr(child, "name").ok_or_else(|| {
                    d.raw
                        .error_at(child, format!("global xs:{kind} without a name"))
                })?;
                if !datatypes::is_ncname(local) {
                    return Err(d.raw.error_at(child, format!("invalid name {local:?}")));
                }
                let name = self.names.name(d.tns, local);
                let dup = match kind {
                    "element" => {
                        if self.g_elem.contains_key(&name) {
                            true
                        } else {
                            let id = ElemId(self.elems.len() as u32);
                            self.elems.push(ElemDecl {
                                name,
                                ty: TypeId::ANY_TYPE,
                                nillable: false,
                                abstract_: false,
                                constraint: None,
                                subst_head: None,
                            });
                            self.elem_state.push(0);
                            self.g_elem.insert(name, (id, src));
                            false
                        }
                    }
                    "complexType" | "simpleType" => {
                        if self.g_type.contains_key(&name) {
                            true
                        } else {
                            let id = TypeId(self.types.len() as u32);
                            self.types.push(Slot::Pending(src));
                            self.g_type.insert(name, id);
                            false
                        }
                    }
                    "attribute" => self.g_attr.insert(name, src).is_some(),
                    "group" => self.g_group.insert(name, src).is_some(),
                    _ => self.g_attr_group.insert(name, src).is_some(),
                };
                if dup {
                    return Err(d.raw.error_at(
                        child,
                        format!("xs:{kind} {} is declared twice", self.display(name)),
                    ));
                }
            }
        }
        Ok(())
    }

    fn compile_all(&mut self) -> Result<(), Error> {
        let type_ids: Vec<TypeId> = (0..self.types.len() as u32).map(TypeId).collect();
        for id in type_ids {
            self.ensure_type(id)?;
        }
        // In document order, so that compilation (and the compiled form) is deterministic.
        let mut globals: Vec<(ElemId, Src)> = self.g_elem.values().copied().collect();
        globals.sort_unstable_by_key(|(id, _)| *id);
        for (id, src) in globals {
            self.global_element(id, src)?;
        }
        let mut attrs: Vec<NameId> = self.g_attr.keys().copied().collect();
        attrs.sort_unstable();
        for name in attrs {
            self.global_attribute(name)?;
        }
        let mut groups: Vec<NameId> = self.g_attr_group.keys().copied().collect();
        groups.sort_unstable();
        for name in groups {
            self.attribute_group(name, None)?;
        }
        let mut groups: Vec<NameId> = self.g_group.keys().copied().collect();
        groups.sort_unstable();
        for name in groups {
            self.model_group(name, None)?;
        }
        // Anonymous types created while compiling elements are compiled on the spot; every slot is
        // done now.
        Ok(())
    }

    fn finish(mut self) -> Result<SchemaSet, Error> {
        let subst = substitution_members(&self.elems);
        let mut models = Vec::with_capacity(self.models.len());
        for (term, src) in std::mem::take(&mut self.models) {
            let names_of = |e: ElemId, v: &mut Vec<(NameId, ElemId)>| {
                names_of(&self.elems, &subst, e, v);
            };
            match automaton::build(&term, &names_of) {
                Ok(m) => models.push(ContentModel {
                    term,
                    built: OnceLock::from(m),
                }),
                Err(e) => {
                    let message = match e {
                        BuildError::Ambiguous(n) => format!(
                            "content model is ambiguous: element {} can match two particles (Unique Particle Attribution)",
                            self.names.clark(n)
                        ),
                        BuildError::Other(m) => m,
                    };
                    return Err(match src {
                        Some(src) => self.err(src, message),
                        None => Error::Schema {
                            document: String::new(),
                            message,
                            line: 0,
                            column: 0,
                        },
                    });
                }
            }
        }
        let mut types = Vec::with_capacity(self.types.len());
        for slot in self.types {
            match slot {
                Slot::Done(t) => types.push(t),
                Slot::Pending(_) | Slot::InProgress(_) => {
                    return Err(Error::Schema {
                        document: String::new(),
                        message: "internal error: a type was left uncompiled".into(),
                        line: 0,
                        column: 0,
                    })
                }
            }
        }
        let global_elems = self.g_elem.iter().map(|(n, (id, _))| (*n, *id)).collect();
        let global_types = std::mem::take(&mut self.g_type);
        let mut global_attrs = self.attr_decls;
        // The XML namespace's attributes, unless a schema document declared them.
        let xml = self.names.ns(XML_NAMESPACE);
        for (local, b) in [
            ("lang", Builtin::AnySimpleType),
            ("space", Builtin::NcName),
            ("base", Builtin::AnyUri),
            ("id", Builtin::Id),
        ] {
            let n = self.names.name(xml, local);
            global_attrs.entry(n).or_insert(AttrDecl {
                ty: TypeId::builtin(b),
                constraint: None,
            });
        }
        Ok(SchemaSet {
            names: self.names,
            elems: self.elems,
            types,
            models,
            subst,
            wildcards: self.wildcards,
            patterns: self.patterns,
            global_elems,
            global_types,
            global_attrs,
            documents: self.docs.iter().map(|d| d.raw.location.clone()).collect(),
        })
    }

    // ------------------------------------------------------------------------------------------
    // QNames
    // ------------------------------------------------------------------------------------------

    /// Resolves a QName-valued attribute (`type`, `ref`, `base`, …) to an expanded name.
    fn qname(&mut self, d: &Loaded, e: &RawElem, value: &str) -> Result<NameId, Error> {
        let value = value.trim();
        let (prefix, local) = match value.split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", value),
        };
        // (An ill-formed name cannot match a declared component, so it is reported as undeclared.)
        if local.is_empty() {
            return Err(d.raw.error_at(e, format!("invalid QName {value:?}")));
        }
        let ns = if prefix == "xml" {
            self.xml
        } else {
            match d.raw.prefix_index(e, prefix) {
                Some(i) => self
                    .uri_ns
                    .get(d.index as usize)
                    .and_then(|v| v.get(i as usize))
                    .copied()
                    .unwrap_or(NsId::NONE),
                None if prefix.is_empty() => NsId::NONE,
                None => {
                    return Err(d.raw.error_at(e, format!("undeclared prefix in {value:?}")));
                }
            }
        };
        // Chameleon include: unqualified references mean the including namespace.
        let ns = if ns == NsId::NONE && d.chameleon {
            d.tns
        } else {
            ns
        };
        Ok(self.names.name(ns, local))
    }

    fn type_ref(&mut self, d: &Loaded, e: &RawElem, value: &str) -> Result<TypeId, Error> {
        let n = self.qname(d, e, value)?;
        self.g_type.get(&n).copied().ok_or_else(|| {
            d.raw
                .error_at(e, format!("type {} is not declared", self.display(n)))
        })
    }

    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    fn ensure_type(&mut self, id: TypeId) -> Result<(), Error> {
        let src = match self.types.get(id.0 as usize) {
            Some(Slot::Pending(src)) => *src,
            Some(Slot::Done(_)) | None => return Ok(()),
            Some(Slot::InProgress(src)) => {
                return Err(self.err(*src, "circular type derivation"));
            }
        };
        if let Some(slot) = self.types.get_mut(id.0 as usize) {
            *slot = Slot::InProgress(src);
        }
        let def = self.type_def(src, id)?;
        if let Some(slot) = self.types.get_mut(id.0 as usize) {
            *slot = Slot::Done(def);
        }
        Ok(())
    }

    fn type_def(&mut self, src: Src, id: TypeId) -> Result<TypeDef, Error> {
        let (d, e) = self
            .doc(src)
            .ok_or_else(|| self.err(src, "internal: missing element"))?;
        let name = d.raw.attr(e, "name").map(|n| {
            let tns = d.tns;
            self.names.name(tns, n)
        });
        if d.raw.local(e) == "simpleType" {
            Ok(TypeDef::Simple(self.simple_type(d, e, name)?))
        } else {
            Ok(TypeDef::Complex(self.complex_type(d, e, name, id)?))
        }
    }

    /// Compiles an anonymous type written inside `e`.
    fn anonymous_type(&mut self, d: &Loaded, e: &RawElem) -> Result<TypeId, Error> {
        let di = d.index;
        let id = TypeId(self.types.len() as u32);
        let src = Src {
            doc: di,
            elem: e.idx,
        };
        self.types.push(Slot::InProgress(src));
        let def = self.type_def(src, id)?;
        if let Some(slot) = self.types.get_mut(id.0 as usize) {
            *slot = Slot::Done(def);
        }
        Ok(id)
    }

    fn simple(&self, id: TypeId) -> Option<&SimpleType> {
        match self.types.get(id.0 as usize) {
            Some(Slot::Done(TypeDef::Simple(s))) => Some(s),
            _ => None,
        }
    }

    fn complex(&self, id: TypeId) -> Option<&ComplexType> {
        match self.types.get(id.0 as usize) {
            Some(Slot::Done(TypeDef::Complex(c))) => Some(c),
            _ => None,
        }
    }

    /// The type named by attribute `attr` of `e`, or the anonymous simple type child.
    fn simple_base(
        &mut self,
        d: &Loaded,
        e: &RawElem,
        attr: &str,
    ) -> Result<Option<TypeId>, Error> {
        if let Some(q) = d.raw.attr(e, attr) {
            return Ok(Some(self.type_ref(d, e, q)?));
        }
        for c in d.raw.children(e) {
            if d.raw.is_xs(c, "simpleType") {
                return Ok(Some(self.anonymous_type(d, c)?));
            }
        }
        Ok(None)
    }

    fn simple_type(
        &mut self,
        d: &Loaded,
        e: &RawElem,
        name: Option<NameId>,
    ) -> Result<SimpleType, Error> {
        let Some(body) = d.raw.children(e).find(|c| {
            d.raw.ns(c) == XS && matches!(d.raw.local(c), "restriction" | "list" | "union")
        }) else {
            return Err(d
                .raw
                .error_at(e, "xs:simpleType needs xs:restriction, xs:list or xs:union"));
        };
        match d.raw.local(body) {
            "restriction" => {
                let base = self
                    .simple_base(d, body, "base")?
                    .ok_or_else(|| d.raw.error_at(body, "xs:restriction without a base type"))?;
                self.ensure_type(base)?;
                let mut st = self.simple(base).cloned().ok_or_else(|| {
                    d.raw
                        .error_at(body, "the base of a simple type must be a simple type")
                })?;
                st.name = name;
                st.base = base;
                self.facets(d, body, &mut st)?;
                Ok(st)
            }
            "list" => {
                let item = self
                    .simple_base(d, body, "itemType")?
                    .ok_or_else(|| d.raw.error_at(body, "xs:list without an item type"))?;
                self.ensure_type(item)?;
                if self
                    .simple(item)
                    .is_none_or(|s| matches!(s.variety, Variety::List(_)))
                {
                    return Err(d.raw.error_at(
                        body,
                        "the item type of a list must be an atomic or union type",
                    ));
                }
                Ok(SimpleType {
                    name,
                    base: TypeId::builtin(Builtin::AnySimpleType),
                    variety: Variety::List(item),
                    builtin: Builtin::AnySimpleType,
                    ws: Ws::Collapse,
                    facets: Box::default(),
                })
            }
            _ => {
                let mut members = Vec::new();
                if let Some(list) = d.raw.attr(body, "memberTypes") {
                    for q in list.split_ascii_whitespace() {
                        members.push(self.type_ref(d, body, q)?);
                    }
                }
                for c in d.raw.children(body) {
                    if d.raw.is_xs(c, "simpleType") {
                        members.push(self.anonymous_type(d, c)?);
                    }
                }
                if members.is_empty() {
                    return Err(d.raw.error_at(body, "xs:union without member types"));
                }
                for m in &members {
                    self.ensure_type(*m)?;
                    if self.simple(*m).is_none() {
                        return Err(d.raw.error_at(body, "union members must be simple types"));
                    }
                }
                Ok(SimpleType {
                    name,
                    base: TypeId::builtin(Builtin::AnySimpleType),
                    variety: Variety::Union(members),
                    builtin: Builtin::AnySimpleType,
                    ws: Ws::Collapse,
                    facets: Box::default(),
                })
            }
        }
    }

    /// Applies the facets written in a restriction element to `st` (which starts as a copy of the
    /// base type).
    fn facets(&mut self, d: &Loaded, r: &RawElem, st: &mut SimpleType) -> Result<(), Error> {
        let mut patterns = Vec::new();
        let mut enums: Option<Vec<&str>> = None;
        let atomic = matches!(st.variety, Variety::Atomic);
        let num = |c: &RawElem, v: &str| -> Result<usize, Error> {
            v.trim()
                .parse::<usize>()
                .map_err(|_| d.raw.error_at(c, format!("invalid facet value {v:?}")))
        };
        for c in d.raw.children(r) {
            if d.raw.ns(c) != XS {
                continue;
            }
            let facet = d.raw.local(c);
            if matches!(
                facet,
                "simpleType" | "attribute" | "attributeGroup" | "anyAttribute"
            ) {
                continue;
            }
            let value = d
                .raw
                .attr(c, "value")
                .ok_or_else(|| d.raw.error_at(c, format!("xs:{facet} without a value")))?;
            match facet {
                "length" => st.facets.length = Some(num(c, value)?),
                "minLength" => st.facets.min_length = Some(num(c, value)?),
                "maxLength" => st.facets.max_length = Some(num(c, value)?),
                "totalDigits" => st.facets.total_digits = Some(num(c, value)?),
                "fractionDigits" => st.facets.fraction_digits = Some(num(c, value)?),
                "whiteSpace" => {
                    st.ws = match value {
                        "preserve" => Ws::Preserve,
                        "replace" => Ws::Replace,
                        "collapse" => Ws::Collapse,
                        _ => {
                            return Err(d.raw.error_at(c, format!("invalid whiteSpace {value:?}")))
                        }
                    }
                }
                "pattern" => {
                    let translated = xsd_regex::translate(value).map_err(|m| {
                        d.raw.error_at(c, format!("invalid pattern {value:?}: {m}"))
                    })?;
                    patterns.push(self.patterns.len() as u32);
                    self.patterns.push(Pattern {
                        source: Box::from(value),
                        translated,
                        compiled: std::sync::OnceLock::new(),
                    });
                }
                "enumeration" => enums.get_or_insert_with(Vec::new).push(value),
                "minInclusive" | "maxInclusive" | "minExclusive" | "maxExclusive" => {
                    let v = datatypes::normalize(Ws::Collapse, value);
                    if atomic {
                        datatypes::check_lexical(st.builtin, &v).map_err(|m| {
                            d.raw
                                .error_at(c, format!("invalid xs:{facet} value {value:?}: {m}"))
                        })?;
                    }
                    let v: Option<Box<str>> = Some(Box::from(&*v));
                    match facet {
                        "minInclusive" => st.facets.min_inclusive = v,
                        "maxInclusive" => st.facets.max_inclusive = v,
                        "minExclusive" => st.facets.min_exclusive = v,
                        _ => st.facets.max_exclusive = v,
                    }
                }
                other => {
                    return Err(d.raw.error_at(c, format!("unknown facet xs:{other}")));
                }
            }
        }
        if !patterns.is_empty() {
            st.facets.patterns.push(patterns);
        }
        if let Some(values) = enums {
            let mut canon: Vec<Box<str>> = values
                .into_iter()
                .map(|v| {
                    let n = datatypes::normalize(st.ws, v);
                    if atomic {
                        Box::from(&*datatypes::canonical(st.builtin, &n))
                    } else {
                        Box::from(&*n)
                    }
                })
                .collect();
            canon.sort_unstable();
            canon.dedup();
            st.facets.enumeration = Some(canon);
        }
        Ok(())
    }

    fn complex_type(
        &mut self,
        d: &Loaded,
        e: &RawElem,
        name: Option<NameId>,
        self_id: TypeId,
    ) -> Result<ComplexType, Error> {
        let abstract_ = bool_attr(d.raw.attr(e, "abstract"));
        let mixed_ct = bool_attr(d.raw.attr(e, "mixed"));
        let src = Src {
            doc: d.index,
            elem: e.idx,
        };
        let sc = d.raw.children(e).find(|c| d.raw.is_xs(c, "simpleContent"));
        let cc = d.raw.children(e).find(|c| d.raw.is_xs(c, "complexContent"));
        if let Some(sc) = sc {
            let deriv = d
                .raw
                .children(sc)
                .find(|c| {
                    d.raw.ns(c) == XS && matches!(d.raw.local(c), "extension" | "restriction")
                })
                .ok_or_else(|| {
                    d.raw
                        .error_at(sc, "xs:simpleContent needs xs:extension or xs:restriction")
                })?;
            let base_q = d
                .raw
                .attr(deriv, "base")
                .ok_or_else(|| d.raw.error_at(deriv, "derivation without a base type"))?;
            let base = self.type_ref(d, deriv, base_q)?;
            self.ensure_type(base)?;
            let (own, own_wild) = self.attribute_uses(d, deriv)?;
            let is_ext = d.raw.local(deriv) == "extension";
            if self.simple(base).is_some() {
                if !is_ext {
                    return Err(d.raw.error_at(
                        deriv,
                        "xs:simpleContent restriction needs a complex base type",
                    ));
                }
                return Ok(ComplexType {
                    name,
                    base,
                    abstract_,
                    content: Content::Simple(base),
                    attributes: extend_uses(&Arc::from(Vec::new()), own),
                    attr_wildcard: own_wild,
                });
            }
            let bct = self
                .complex(base)
                .cloned()
                .ok_or_else(|| d.raw.error_at(deriv, "unknown base type"))?;
            let Content::Simple(content_st) = bct.content else {
                return Err(d.raw.error_at(
                    deriv,
                    "xs:simpleContent derivation from a type without simple content is not supported",
                ));
            };
            if is_ext {
                return Ok(ComplexType {
                    name,
                    base,
                    abstract_,
                    content: Content::Simple(content_st),
                    attributes: extend_uses(&bct.attributes, own),
                    attr_wildcard: union_wildcards(bct.attr_wildcard, own_wild),
                });
            }
            // Restriction: a new simple type from the base content type (or the inline one) with
            // the facets written here.
            let mut st_base = content_st;
            for c in d.raw.children(deriv) {
                if d.raw.is_xs(c, "simpleType") {
                    st_base = self.anonymous_type(d, c)?;
                }
            }
            let has_facets = d.raw.children(deriv).any(|c| {
                d.raw.ns(c) == XS
                    && !matches!(
                        d.raw.local(c),
                        "simpleType" | "attribute" | "attributeGroup" | "anyAttribute"
                    )
            });
            let content_type = if has_facets {
                let mut st = self
                    .simple(st_base)
                    .cloned()
                    .ok_or_else(|| d.raw.error_at(deriv, "unknown content type"))?;
                st.name = None;
                st.base = st_base;
                self.facets(d, deriv, &mut st)?;
                let id = TypeId(self.types.len() as u32);
                self.types.push(Slot::Done(TypeDef::Simple(st)));
                id
            } else {
                st_base
            };
            return Ok(ComplexType {
                name,
                base,
                abstract_,
                content: Content::Simple(content_type),
                attributes: restrict_uses(&bct.attributes, own),
                attr_wildcard: own_wild,
            });
        }
        if let Some(cc) = cc {
            let mixed = match d.raw.attr(cc, "mixed") {
                Some(v) => bool_attr(Some(v)),
                None => mixed_ct,
            };
            let deriv = d
                .raw
                .children(cc)
                .find(|c| {
                    d.raw.ns(c) == XS && matches!(d.raw.local(c), "extension" | "restriction")
                })
                .ok_or_else(|| {
                    d.raw
                        .error_at(cc, "xs:complexContent needs xs:extension or xs:restriction")
                })?;
            let base_q = d
                .raw
                .attr(deriv, "base")
                .ok_or_else(|| d.raw.error_at(deriv, "derivation without a base type"))?;
            let base = self.type_ref(d, deriv, base_q)?;
            self.ensure_type(base)?;
            let bct = self.complex(base).cloned().ok_or_else(|| {
                d.raw
                    .error_at(deriv, "xs:complexContent needs a complex base type")
            })?;
            let own_term = self.content_particle(d, deriv)?;
            let (own, own_wild) = self.attribute_uses(d, deriv)?;
            if d.raw.local(deriv) == "extension" {
                let base_term = self.terms.get(&base).cloned().flatten();
                let base_mixed = matches!(bct.content, Content::Elements { mixed: true, .. });
                let term = match (base_term, own_term) {
                    (None, None) => None,
                    (Some(b), None) => Some(b),
                    (None, Some(o)) => Some(o),
                    (Some(b), Some(o)) => Some(Term {
                        kind: TermKind::Seq(vec![b, o]),
                        min: 1,
                        max: Some(1),
                    }),
                };
                let content = self.content_for(term, mixed || base_mixed, self_id, src);
                return Ok(ComplexType {
                    name,
                    base,
                    abstract_,
                    content,
                    attributes: extend_uses(&bct.attributes, own),
                    attr_wildcard: union_wildcards(bct.attr_wildcard, own_wild),
                });
            }
            let content = self.content_for(own_term, mixed, self_id, src);
            return Ok(ComplexType {
                name,
                base,
                abstract_,
                content,
                attributes: restrict_uses(&bct.attributes, own),
                attr_wildcard: own_wild,
            });
        }
        // Shorthand: a restriction of xs:anyType.
        let term = self.content_particle(d, e)?;
        let (own, own_wild) = self.attribute_uses(d, e)?;
        let content = self.content_for(term, mixed_ct, self_id, src);
        Ok(ComplexType {
            name,
            base: TypeId::ANY_TYPE,
            abstract_,
            content,
            attributes: restrict_uses(&Arc::from(Vec::new()), own),
            attr_wildcard: own_wild,
        })
    }

    fn content_for(&mut self, term: Option<Term>, mixed: bool, id: TypeId, src: Src) -> Content {
        self.terms.insert(id, term.clone());
        match term {
            None if !mixed => Content::Empty,
            None => {
                let model = self.models.len() as u32;
                let empty = Term {
                    kind: TermKind::Seq(Vec::new()),
                    min: 1,
                    max: Some(1),
                };
                self.models.push((empty, Some(src)));
                Content::Elements { model, mixed }
            }
            Some(t) => {
                let model = self.models.len() as u32;
                self.models.push((t, Some(src)));
                Content::Elements { model, mixed }
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Particles
    // ------------------------------------------------------------------------------------------

    /// The model group child (sequence/choice/all/group) of a complex type or derivation;
    /// `None` also for a group that can only be empty (XML Schema §3.4.2: the content type is
    /// then empty, not element-only).
    fn content_particle(&mut self, d: &Loaded, e: &RawElem) -> Result<Option<Term>, Error> {
        for c in d.raw.children(e) {
            if d.raw.ns(c) == XS
                && matches!(d.raw.local(c), "sequence" | "choice" | "all" | "group")
            {
                let t = self.particle(d, c)?;
                let empty = t.as_ref().is_some_and(|t| {
                    t.max == Some(0)
                        || matches!(&t.kind, TermKind::Seq(v) | TermKind::All(v) if v.is_empty())
                        || matches!(&t.kind, TermKind::Choice(v) if v.is_empty() && t.min == 0)
                });
                return Ok(if empty { None } else { t });
            }
        }
        Ok(None)
    }

    fn occurs(&self, d: &Loaded, e: &RawElem, a: &Attrs<'_>) -> Result<(u32, Option<u32>), Error> {
        let min = match a.min_occurs {
            None => 1,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .map_err(|_| d.raw.error_at(e, format!("invalid minOccurs {v:?}")))?,
        };
        let max = match a.max_occurs.map(str::trim) {
            None => Some(1),
            Some("unbounded") => None,
            Some(v) => Some(
                v.parse::<u32>()
                    .map_err(|_| d.raw.error_at(e, format!("invalid maxOccurs {v:?}")))?,
            ),
        };
        if max.is_some_and(|m| m < min) {
            return Err(d.raw.error_at(e, "minOccurs is greater than maxOccurs"));
        }
        Ok((min, max))
    }

    fn particle(&mut self, d: &Loaded, e: &RawElem) -> Result<Option<Term>, Error> {
        if d.raw.ns(e) != XS {
            return Ok(None);
        }
        if self.depth >= automaton::MAX_NESTING {
            return Err(d.raw.error_at(e, "model groups nested too deeply"));
        }
        self.depth += 1;
        let r = self.particle_inner(d, e);
        self.depth -= 1;
        r
    }

    fn particle_inner(&mut self, d: &Loaded, e: &RawElem) -> Result<Option<Term>, Error> {
        let kind = d.raw.local(e);
        if !matches!(
            kind,
            "element" | "any" | "sequence" | "choice" | "all" | "group"
        ) {
            return Ok(None);
        }
        let a = read_attrs(d, e);
        let (min, max) = self.occurs(d, e, &a)?;
        let kind = match kind {
            "element" => TermKind::Elem(self.local_element(d, e, &a)?),
            "any" => {
                let w = self.wildcard(d, e)?;
                self.wildcards.push(w);
                TermKind::Any((self.wildcards.len() - 1) as u32)
            }
            "group" => {
                let q = a
                    .ref_
                    .ok_or_else(|| d.raw.error_at(e, "xs:group reference without ref"))?;
                let name = self.qname(d, e, q)?;
                let mut t = self.model_group(name, Some((d, e)))?;
                t.min = min;
                t.max = max;
                return Ok(Some(t));
            }
            group => {
                let mut parts = Vec::new();
                for c in d.raw.children(e) {
                    if let Some(t) = self.particle(d, c)? {
                        parts.push(t);
                    }
                }
                match group {
                    "sequence" => TermKind::Seq(parts),
                    "choice" => TermKind::Choice(parts),
                    _ => TermKind::All(parts),
                }
            }
        };
        Ok(Some(Term { kind, min, max }))
    }

    /// A global model group's term (min/max 1).
    fn model_group(
        &mut self,
        name: NameId,
        at: Option<(&Loaded, &RawElem)>,
    ) -> Result<Term, Error> {
        if let Some(t) = self.groups.get(&name) {
            return Ok(t.clone());
        }
        let src = match self.g_group.get(&name) {
            Some(s) => *s,
            None => {
                let msg = format!("model group {} is not declared", self.display(name));
                return Err(match at {
                    Some((d, e)) => d.raw.error_at(e, msg),
                    None => Error::Schema {
                        document: String::new(),
                        message: msg,
                        line: 0,
                        column: 0,
                    },
                });
            }
        };
        if !self.groups_in_progress.insert(name) {
            return Err(self.err(src, "model group refers to itself"));
        }
        let (d, e) = self
            .doc(src)
            .ok_or_else(|| self.err(src, "internal: missing group"))?;
        let mut term = None;
        for c in d.raw.children(e) {
            if d.raw.ns(c) == XS && matches!(d.raw.local(c), "sequence" | "choice" | "all") {
                term = self.particle(d, c)?;
                break;
            }
        }
        let mut term = term.ok_or_else(|| self.err(src, "xs:group without a model group"))?;
        term.min = 1;
        term.max = Some(1);
        self.groups_in_progress.remove(&name);
        self.groups.insert(name, term.clone());
        Ok(term)
    }

    fn wildcard(&mut self, d: &Loaded, e: &RawElem) -> Result<Wildcard, Error> {
        let ns = match d.raw.attr(e, "namespace").map(str::trim) {
            None | Some("##any") => NsConstraint::Any,
            Some("##other") => NsConstraint::Not(d.tns),
            Some(list) => {
                let mut set = Vec::new();
                for tok in list.split_ascii_whitespace() {
                    set.push(match tok {
                        "##targetNamespace" => d.tns,
                        "##local" => NsId::NONE,
                        uri if uri.starts_with("##") => {
                            return Err(d.raw.error_at(e, format!("invalid namespace {uri:?}")))
                        }
                        uri => self.names.ns(uri),
                    });
                }
                NsConstraint::Set(set)
            }
        };
        let process = match d.raw.attr(e, "processContents") {
            None | Some("strict") => Process::Strict,
            Some("lax") => Process::Lax,
            Some("skip") => Process::Skip,
            Some(v) => return Err(d.raw.error_at(e, format!("invalid processContents {v:?}"))),
        };
        Ok(Wildcard { ns, process })
    }

    // ------------------------------------------------------------------------------------------
    // Elements
    // ------------------------------------------------------------------------------------------

    fn local_element(&mut self, d: &Loaded, e: &RawElem, a: &Attrs<'_>) -> Result<ElemId, Error> {
        if let Some(q) = a.ref_ {
            let name = self.qname(d, e, q)?;
            return self.g_elem.get(&name).map(|(id, _)| *id).ok_or_else(|| {
                d.raw
                    .error_at(e, format!("element {} is not declared", self.display(name)))
            });
        }
        let local = a
            .name
            .ok_or_else(|| d.raw.error_at(e, "local xs:element without name or ref"))?;
        let qualified = match a.form {
            Some(f) => f == "qualified",
            None => d.elem_qualified,
        };
        let ns = if qualified { d.tns } else { NsId::NONE };
        let name = self.names.name(ns, local);
        let decl = self.element_body(d, e, a, name, false)?;
        self.elems.push(decl);
        self.elem_state.push(2);
        Ok(ElemId((self.elems.len() - 1) as u32))
    }

    fn global_element(&mut self, id: ElemId, src: Src) -> Result<(), Error> {
        match self.elem_state.get(id.0 as usize) {
            Some(2) => return Ok(()),
            Some(1) => return Err(self.err(src, "circular substitution group")),
            _ => {}
        }
        if let Some(s) = self.elem_state.get_mut(id.0 as usize) {
            *s = 1;
        }
        let (d, e) = self
            .doc(src)
            .ok_or_else(|| self.err(src, "internal: missing element"))?;
        let name = self.elems.get(id.0 as usize).map_or(NameId(0), |x| x.name);
        let a = read_attrs(d, e);
        let decl = self.element_body(d, e, &a, name, true)?;
        if let Some(slot) = self.elems.get_mut(id.0 as usize) {
            *slot = decl;
        }
        if let Some(s) = self.elem_state.get_mut(id.0 as usize) {
            *s = 2;
        }
        Ok(())
    }

    fn element_body(
        &mut self,
        d: &Loaded,
        e: &RawElem,
        a: &Attrs<'_>,
        name: NameId,
        global: bool,
    ) -> Result<ElemDecl, Error> {
        let mut subst_head = None;
        let mut head_type = None;
        if global {
            if let Some(q) = a.substitution_group {
                let hn = self.qname(d, e, q.split_ascii_whitespace().next().unwrap_or(""))?;
                let (hid, hsrc) = self.g_elem.get(&hn).copied().ok_or_else(|| {
                    d.raw.error_at(
                        e,
                        format!(
                            "substitution group head {} is not declared",
                            self.display(hn)
                        ),
                    )
                })?;
                self.global_element(hid, hsrc)?;
                subst_head = Some(hid);
                head_type = self.elems.get(hid.0 as usize).map(|h| h.ty);
            }
        }
        let ty =
            if let Some(q) = a.type_ {
                self.type_ref(d, e, q)?
            } else if let Some(c) = d.raw.children(e).find(|c| {
                d.raw.ns(c) == XS && matches!(d.raw.local(c), "complexType" | "simpleType")
            }) {
                self.anonymous_type(d, c)?
            } else {
                head_type.unwrap_or(TypeId::ANY_TYPE)
            };
        let constraint = constraint_of(a);
        Ok(ElemDecl {
            name,
            ty,
            nillable: bool_attr(a.nillable),
            abstract_: bool_attr(a.abstract_),
            constraint,
            subst_head,
        })
    }

    // ------------------------------------------------------------------------------------------
    // Attributes
    // ------------------------------------------------------------------------------------------

    fn global_attribute(&mut self, name: NameId) -> Result<AttrDecl, Error> {
        if let Some(a) = self.attr_decls.get(&name) {
            return Ok(a.clone());
        }
        let src = *self.g_attr.get(&name).ok_or_else(|| Error::Schema {
            document: String::new(),
            message: format!("attribute {} is not declared", self.names.clark(name)),
            line: 0,
            column: 0,
        })?;
        if !self.attr_in_progress.insert(name) {
            return Err(self.err(src, "circular attribute declaration"));
        }
        let (d, e) = self
            .doc(src)
            .ok_or_else(|| self.err(src, "internal: missing attribute"))?;
        let ty = self
            .simple_base(d, e, "type")?
            .unwrap_or(TypeId::builtin(Builtin::AnySimpleType));
        let decl = AttrDecl {
            ty,
            constraint: value_constraint(d, e),
        };
        self.attr_in_progress.remove(&name);
        self.attr_decls.insert(name, decl.clone());
        Ok(decl)
    }

    /// The attribute uses written in `e` (with a flag for `use="prohibited"`) and its complete
    /// attribute wildcard.
    fn attribute_uses(&mut self, d: &Loaded, e: &RawElem) -> Result<AttributeUses, Error> {
        let mut uses: Vec<(AttrUse, bool)> = Vec::new();
        let mut group_wild: Option<Option<Wildcard>> = None;
        let mut local_wild = None;
        for c in d.raw.children(e) {
            if d.raw.ns(c) != XS {
                continue;
            }
            match d.raw.local(c) {
                "attribute" => uses.push(self.attribute_use(d, c)?),
                "attributeGroup" => {
                    let q = d.raw.attr(c, "ref").ok_or_else(|| {
                        d.raw.error_at(c, "xs:attributeGroup reference without ref")
                    })?;
                    let name = self.qname(d, c, q)?;
                    let (gu, gw) = self.attribute_group(name, Some((d, c)))?;
                    uses.extend(gu.into_iter().map(|u| (u, false)));
                    group_wild = Some(match group_wild {
                        None => gw,
                        Some(prev) => intersect_wildcards(prev, gw),
                    });
                }
                "anyAttribute" => local_wild = Some(self.wildcard(d, c)?),
                _ => {}
            }
        }
        let wild = match (local_wild, group_wild) {
            (l, None) => l,
            (None, Some(g)) => g,
            (Some(l), Some(g)) => {
                let process = l.process;
                intersect_wildcards(Some(l), g).map(|mut w| {
                    w.process = process;
                    w
                })
            }
        };
        Ok((uses, wild))
    }

    fn attribute_group(
        &mut self,
        name: NameId,
        at: Option<(&Loaded, &RawElem)>,
    ) -> Result<(Vec<AttrUse>, Option<Wildcard>), Error> {
        if let Some(g) = self.attr_groups.get(&name) {
            return Ok(g.clone());
        }
        let Some(src) = self.g_attr_group.get(&name).copied() else {
            let msg = format!("attribute group {} is not declared", self.display(name));
            return Err(match at {
                Some((d, e)) => d.raw.error_at(e, msg),
                None => Error::Schema {
                    document: String::new(),
                    message: msg,
                    line: 0,
                    column: 0,
                },
            });
        };
        if !self.attr_groups_in_progress.insert(name) {
            return Err(self.err(src, "attribute group refers to itself"));
        }
        let (d, e) = self
            .doc(src)
            .ok_or_else(|| self.err(src, "internal: missing attribute group"))?;
        let (uses, wild) = self.attribute_uses(d, e)?;
        let uses: Vec<AttrUse> = uses
            .into_iter()
            .filter(|(_, prohibited)| !prohibited)
            .map(|(u, _)| u)
            .collect();
        self.attr_groups_in_progress.remove(&name);
        self.attr_groups.insert(name, (uses.clone(), wild.clone()));
        Ok((uses, wild))
    }

    fn attribute_use(&mut self, d: &Loaded, e: &RawElem) -> Result<(AttrUse, bool), Error> {
        let a = read_attrs(d, e);
        let usage = a.use_.unwrap_or("optional");
        let (required, prohibited) = match usage {
            "optional" => (false, false),
            "required" => (true, false),
            "prohibited" => (false, true),
            v => return Err(d.raw.error_at(e, format!("invalid use {v:?}"))),
        };
        let local_constraint = constraint_of(&a);
        if let Some(q) = a.ref_ {
            let name = self.qname(d, e, q)?;
            if !self.g_attr.contains_key(&name) && !self.attr_decls.contains_key(&name) {
                // The XML namespace's attributes are built in.
                let xml = self.names.ns(XML_NAMESPACE);
                if self.names.ns_of(name) == xml {
                    return Ok((
                        AttrUse {
                            name,
                            ty: TypeId::builtin(Builtin::AnySimpleType),
                            required,
                            constraint: local_constraint,
                        },
                        prohibited,
                    ));
                }
                return Err(d.raw.error_at(
                    e,
                    format!("attribute {} is not declared", self.display(name)),
                ));
            }
            let decl = self.global_attribute(name)?;
            return Ok((
                AttrUse {
                    name,
                    ty: decl.ty,
                    required,
                    constraint: local_constraint.or(decl.constraint),
                },
                prohibited,
            ));
        }
        let local = a
            .name
            .ok_or_else(|| d.raw.error_at(e, "xs:attribute without name or ref"))?;
        let qualified = match a.form {
            Some(f) => f == "qualified",
            None => d.attr_qualified,
        };
        let ns = if qualified { d.tns } else { NsId::NONE };
        let name = self.names.name(ns, local);
        let ty = match a.type_ {
            Some(q) => self.type_ref(d, e, q)?,
            None => self
                .simple_base(d, e, "type")?
                .unwrap_or(TypeId::builtin(Builtin::AnySimpleType)),
        };
        Ok((
            AttrUse {
                name,
                ty,
                required,
                constraint: local_constraint,
            },
            prohibited,
        ))
    }
}

/// Every (transitive) member of each substitution group head.
pub(crate) fn substitution_members(elems: &[ElemDecl]) -> FxMap<ElemId, Vec<ElemId>> {
    let mut members: FxMap<ElemId, Vec<ElemId>> = FxMap::default();
    for (i, e) in elems.iter().enumerate() {
        let mut head = e.subst_head;
        let mut guard = 0;
        while let Some(h) = head {
            members.entry(h).or_default().push(ElemId(i as u32));
            head = elems.get(h.0 as usize).and_then(|x| x.subst_head);
            guard += 1;
            if guard > elems.len() {
                break;
            }
        }
    }
    members
}

/// The names an element particle accepts: its own (unless abstract) and its substitution group
/// members'.
pub(crate) fn names_of(
    elems: &[ElemDecl],
    subst: &FxMap<ElemId, Vec<ElemId>>,
    e: ElemId,
    out: &mut Vec<(NameId, ElemId)>,
) {
    if let Some(d) = elems.get(e.0 as usize) {
        if !d.abstract_ {
            out.push((d.name, e));
        }
    }
    if subst.is_empty() {
        return;
    }
    for m in subst.get(&e).into_iter().flatten() {
        if let Some(d) = elems.get(m.0 as usize) {
            if !d.abstract_ {
                out.push((d.name, *m));
            }
        }
    }
}

fn value_constraint(d: &Loaded, e: &RawElem) -> Option<ValueConstraint> {
    if let Some(v) = d.raw.attr(e, "fixed") {
        return Some(ValueConstraint {
            fixed: true,
            value: Box::from(v),
        });
    }
    d.raw.attr(e, "default").map(|v| ValueConstraint {
        fixed: false,
        value: Box::from(v),
    })
}

/// Extension: the base's uses plus the new ones (a redeclared name replaces the base's use).
fn extend_uses(base: &Arc<[AttrUse]>, own: Vec<(AttrUse, bool)>) -> Arc<[AttrUse]> {
    if own.is_empty() {
        return Arc::clone(base);
    }
    let mut uses = base.to_vec();
    for (u, prohibited) in own {
        uses.retain(|b| b.name != u.name);
        if !prohibited {
            uses.push(u);
        }
    }
    Arc::from(uses)
}

/// Restriction: the base's uses, replaced or removed (`prohibited`) by the ones written here.
fn restrict_uses(base: &Arc<[AttrUse]>, own: Vec<(AttrUse, bool)>) -> Arc<[AttrUse]> {
    extend_uses(base, own)
}

fn union_wildcards(a: Option<Wildcard>, b: Option<Wildcard>) -> Option<Wildcard> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => {
            let ns = match (&a.ns, &b.ns) {
                (NsConstraint::Any, _) | (_, NsConstraint::Any) => NsConstraint::Any,
                (NsConstraint::Set(x), NsConstraint::Set(y)) => {
                    let mut s = x.clone();
                    for n in y {
                        if !s.contains(n) {
                            s.push(*n);
                        }
                    }
                    NsConstraint::Set(s)
                }
                (NsConstraint::Not(x), NsConstraint::Not(y)) if x == y => NsConstraint::Not(*x),
                (NsConstraint::Not(x), NsConstraint::Set(s))
                | (NsConstraint::Set(s), NsConstraint::Not(x)) => {
                    if s.contains(x) || s.contains(&NsId::NONE) {
                        NsConstraint::Any
                    } else {
                        NsConstraint::Not(*x)
                    }
                }
                _ => NsConstraint::Any,
            };
            Some(Wildcard {
                ns,
                process: b.process,
            })
        }
    }
}

fn intersect_wildcards(a: Option<Wildcard>, b: Option<Wildcard>) -> Option<Wildcard> {
    let (a, b) = (a?, b?);
    let ns = match (&a.ns, &b.ns) {
        (NsConstraint::Any, x) | (x, NsConstraint::Any) => x.clone(),
        (NsConstraint::Set(x), NsConstraint::Set(y)) => {
            NsConstraint::Set(x.iter().filter(|n| y.contains(n)).copied().collect())
        }
        (NsConstraint::Not(n), NsConstraint::Set(s))
        | (NsConstraint::Set(s), NsConstraint::Not(n)) => NsConstraint::Set(
            s.iter()
                .filter(|x| **x != *n && **x != NsId::NONE)
                .copied()
                .collect(),
        ),
        (NsConstraint::Not(x), NsConstraint::Not(_)) => NsConstraint::Not(*x),
    };
    Some(Wildcard {
        ns,
        process: a.process,
    })
}

#[cfg(test)]
mod tests {
    use super::resolve_location;

    #[test]
    fn locations() {
        assert_eq!(
            resolve_location("xsd/ubl/maindoc/UBL-Invoice-2.1.xsd", "../common/A.xsd"),
            "xsd/ubl/common/A.xsd"
        );
        assert_eq!(resolve_location("a/b.xsd", "c.xsd"), "a/c.xsd");
        assert_eq!(resolve_location("b.xsd", "./c.xsd"), "c.xsd");
        assert_eq!(resolve_location("b.xsd", "../c.xsd"), "../c.xsd");
        assert_eq!(resolve_location("/x/y/b.xsd", "../../../c.xsd"), "/c.xsd");
        assert_eq!(
            resolve_location("http://h/p/q/b.xsd", "../c.xsd"),
            "http://h/p/c.xsd"
        );
        assert_eq!(resolve_location("a/b.xsd", "urn:x:y"), "urn:x:y");
        assert_eq!(
            resolve_location("a/b.xsd", "http://x/y.xsd"),
            "http://x/y.xsd"
        );
    }
}
