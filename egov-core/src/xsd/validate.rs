//! Validation of a parsed document against a compiled schema set: one pass over the elements,
//! one automaton step per child element.

use std::borrow::Cow;
use std::collections::HashSet;

use super::automaton::Model;
use super::components::{
    ComplexType, Content, ElemId, Process, SimpleType, TypeDef, TypeId, ValueConstraint, Variety,
};
use super::datatypes::{self, Builtin, Ws};
use super::names::{NameId, NsId};
use super::{SchemaSet, SchemaViolation, XSI};
use crate::xml::{Document, Node, NodeKind};

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Validate against an element declaration.
    Decl(ElemId),
    /// Validate against a type (strict wildcard match via `xsi:type` only).
    Type(TypeId),
    /// Validate if a global declaration exists, else look at the children the same way.
    Lax,
    /// Do not look at it.
    Skip,
}

pub(crate) struct Validator<'s, 'd> {
    set: &'s SchemaSet,
    out: Vec<SchemaViolation>,
    max: usize,
    /// Namespace URIs of the document (by address: the document interns them) → ids.
    ns_cache: Vec<(usize, usize, NsId)>,
    stack: Vec<(Node<'d>, Mode)>,
    ids: HashSet<Cow<'d, str>>,
    idrefs: Vec<(String, Node<'d>)>,
}

fn is_ws_only(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

fn shorten(v: &str) -> String {
    const MAX: usize = 60;
    if v.chars().count() <= MAX {
        format!("{v:?}")
    } else {
        let head: String = v.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}

/// What a value check found wrong.
struct Invalid(String);

impl<'s, 'd> Validator<'s, 'd> {
    pub(crate) fn new(set: &'s SchemaSet, max: usize) -> Self {
        Validator {
            set,
            out: Vec::new(),
            max: max.max(1),
            ns_cache: Vec::with_capacity(8),
            stack: Vec::with_capacity(64),
            ids: HashSet::new(),
            idrefs: Vec::new(),
        }
    }

    pub(crate) fn run(mut self, doc: &'d Document) -> Vec<SchemaViolation> {
        let root = doc.root_element();
        let ns = self.ns_id(root.namespace());
        let decl = self
            .set
            .names
            .find(ns, root.local_name())
            .and_then(|n| self.set.global_elems.get(&n).copied());
        match decl {
            Some(e) => self.stack.push((root, Mode::Decl(e))),
            None => {
                let msg = format!(
                    "no declaration found for the root element {}",
                    self.clark_of(root)
                );
                self.report(root, msg);
                return self.out;
            }
        }
        while let Some((node, mode)) = self.stack.pop() {
            if self.full() {
                break;
            }
            self.element(node, mode);
        }
        let idrefs = std::mem::take(&mut self.idrefs);
        for (v, node) in idrefs {
            if !self.ids.contains(v.as_str()) {
                self.report(
                    node,
                    format!("IDREF {v:?} does not match any ID in the document"),
                );
            }
        }
        // Elements are visited parent before children, siblings in order; report in document
        // order.
        self.out.sort_by_key(|v| (v.line, v.column));
        self.out
    }

    fn full(&self) -> bool {
        self.out.len() >= self.max
    }

    fn report(&mut self, node: Node<'d>, message: String) {
        if self.full() {
            return;
        }
        let pos = node.position();
        self.out.push(SchemaViolation {
            message,
            path: node.path(),
            line: pos.line,
            column: pos.column,
        });
    }

    fn report_attr(&mut self, attr: &crate::xml::Attribute<'d>, message: String) {
        if self.full() {
            return;
        }
        let pos = attr.position();
        self.out.push(SchemaViolation {
            message,
            path: attr.path(),
            line: pos.line,
            column: pos.column,
        });
    }

    #[inline]
    fn ns_id(&mut self, uri: &str) -> NsId {
        if uri.is_empty() {
            return NsId::NONE;
        }
        let key = (uri.as_ptr() as usize, uri.len());
        if let Some((_, _, id)) = self
            .ns_cache
            .iter()
            .find(|(p, l, _)| *p == key.0 && *l == key.1)
        {
            return *id;
        }
        let id = self.set.names.find_ns(uri);
        if self.ns_cache.len() < 32 {
            self.ns_cache.push((key.0, key.1, id));
        }
        id
    }

    fn clark_of(&self, node: Node<'_>) -> String {
        let ns = node.namespace();
        if ns.is_empty() {
            node.local_name().to_string()
        } else {
            format!("{} ({{{ns}}}{})", node.qualified_name(), node.local_name())
        }
    }

    /// An expanded name written with a prefix in scope at `ctx`.
    fn display(&self, name: NameId, ctx: Node<'_>) -> String {
        let (ns, local) = self.set.names.get(name);
        let uri = self.set.names.ns_uri(ns);
        if uri.is_empty() {
            return local.to_string();
        }
        match ctx.in_scope_namespaces().iter().find(|(_, u)| *u == uri) {
            Some(("", _)) => local.to_string(),
            Some((p, _)) => format!("{p}:{local}"),
            None => format!("{{{uri}}}{local}"),
        }
    }

    fn type_name(&self, ty: TypeId) -> String {
        let named = |t: TypeId| -> Option<String> {
            let name = match self.set.types.get(t.0 as usize)? {
                TypeDef::Simple(s) => s.name,
                TypeDef::Complex(c) => c.name,
            }?;
            let (ns, local) = self.set.names.get(name);
            Some(if self.set.names.ns_uri(ns) == super::reader::XS {
                format!("xs:{local}")
            } else {
                local.to_string()
            })
        };
        if let Some(n) = named(ty) {
            return n;
        }
        // An anonymous type: name the nearest named type it derives from.
        let mut cur = ty;
        for _ in 0..64 {
            let base = match self.set.types.get(cur.0 as usize) {
                Some(TypeDef::Simple(s)) => s.base,
                Some(TypeDef::Complex(c)) => c.base,
                None => break,
            };
            if base == cur {
                break;
            }
            if let Some(n) = named(base) {
                return match self.set.types.get(ty.0 as usize) {
                    Some(TypeDef::Simple(s)) => match s.variety {
                        Variety::List(_) => "list".to_string(),
                        Variety::Union(_) => "union".to_string(),
                        Variety::Atomic => format!("restriction of {n}"),
                    },
                    _ => format!("anonymous type derived from {n}"),
                };
            }
            cur = base;
        }
        "anonymous type".into()
    }

    /// "its type X" for a named type, "its type" for an anonymous one.
    fn its_type(&self, ty: TypeId) -> String {
        let named = match self.set.types.get(ty.0 as usize) {
            Some(TypeDef::Simple(s)) => s.name.is_some(),
            Some(TypeDef::Complex(c)) => c.name.is_some(),
            None => false,
        };
        if named {
            format!("its type {}", self.type_name(ty))
        } else {
            "its type".into()
        }
    }

    fn xsi_type(&mut self, node: Node<'d>, declared: TypeId) -> Option<TypeId> {
        let v = node.attribute_ns(XSI, "type")?;
        let v = v.trim();
        let (prefix, local) = match v.split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", v),
        };
        let uri = node.lookup_namespace(prefix).unwrap_or("");
        if !prefix.is_empty() && node.lookup_namespace(prefix).is_none() {
            self.report(
                node,
                format!("xsi:type {v:?}: prefix {prefix:?} is not declared"),
            );
            return None;
        }
        let ns = self.ns_id(uri);
        let ty = self
            .set
            .names
            .find(ns, local)
            .and_then(|n| self.set.global_types.get(&n).copied());
        let Some(ty) = ty else {
            self.report(node, format!("xsi:type {v:?} names no type of the schema"));
            return None;
        };
        if !self.set.derives_from(ty, declared) {
            let msg = format!(
                "xsi:type {v:?} is not derived from the declared type {}",
                self.type_name(declared)
            );
            self.report(node, msg);
            return None;
        }
        Some(ty)
    }

    /// `xsi:schemaLocation` (a list of URIs) and `xsi:noNamespaceSchemaLocation` (a URI) are
    /// allowed everywhere, but their values must be valid (they are never followed).
    fn xsi_locations(&mut self, node: Node<'d>) {
        if node.attributes().len() == 0 {
            return;
        }
        for a in node.attributes() {
            if a.namespace() != XSI {
                continue;
            }
            let tokens: Vec<&str> = match a.local_name() {
                "schemaLocation" | "noNamespaceSchemaLocation" => {
                    a.value().split_ascii_whitespace().collect()
                }
                _ => continue,
            };
            let bad = tokens
                .iter()
                .find_map(|t| datatypes::check_lexical(Builtin::AnyUri, t).err());
            if let Some(why) = bad {
                let msg = format!(
                    "value {} of attribute {} is not valid: {why}",
                    shorten(a.value()),
                    a.qualified_name()
                );
                self.report_attr(&a, msg);
            }
        }
    }

    fn element(&mut self, node: Node<'d>, mode: Mode) {
        if !matches!(mode, Mode::Skip) {
            self.xsi_locations(node);
        }
        match mode {
            Mode::Skip => {}
            Mode::Decl(e) => self.with_decl(node, e),
            Mode::Type(t) => self.typed(node, t, None, false),
            Mode::Lax => {
                let ns = self.ns_id(node.namespace());
                let decl = self
                    .set
                    .names
                    .find(ns, node.local_name())
                    .and_then(|n| self.set.global_elems.get(&n).copied());
                if let Some(e) = decl {
                    return self.with_decl(node, e);
                }
                if node.attribute_ns(XSI, "type").is_some() {
                    if let Some(t) = self.xsi_type(node, TypeId::ANY_TYPE) {
                        return self.typed(node, t, None, false);
                    }
                }
                self.lax_attributes(node);
                let start = self.stack.len();
                for c in node.children() {
                    if c.is_element() {
                        self.stack.push((c, Mode::Lax));
                    }
                }
                if let Some(s) = self.stack.get_mut(start..) {
                    s.reverse();
                }
            }
        }
    }

    fn with_decl(&mut self, node: Node<'d>, e: ElemId) {
        let set = self.set;
        let Some(decl) = set.elems.get(e.0 as usize) else {
            return;
        };
        if decl.abstract_ {
            let msg = format!(
                "element {} is abstract and cannot appear in a document",
                node.qualified_name()
            );
            self.report(node, msg);
        }
        let mut ty = decl.ty;
        let mut nil = false;
        let has_xsi = node.attributes().any(|a| a.namespace() == XSI);
        if has_xsi {
            if node.attribute_ns(XSI, "type").is_some() {
                if let Some(t) = self.xsi_type(node, decl.ty) {
                    ty = t;
                }
            }
            if let Some(v) = node.attribute_ns(XSI, "nil") {
                match datatypes::normalize(Ws::Collapse, v).as_ref() {
                    "true" | "1" if decl.nillable => nil = true,
                    "false" | "0" if decl.nillable => {}
                    _ if !decl.nillable => {
                        let msg = format!(
                            "xsi:nil is not allowed: element {} is not nillable",
                            node.qualified_name()
                        );
                        self.report(node, msg);
                    }
                    other => {
                        let msg = format!("xsi:nil {other:?} is not a boolean");
                        self.report(node, msg);
                    }
                }
                if nil && decl.constraint.as_ref().is_some_and(|c| c.fixed) {
                    let msg = format!(
                        "element {} has a fixed value and cannot be nil",
                        node.qualified_name()
                    );
                    self.report(node, msg);
                }
            }
        }
        self.typed(node, ty, decl.constraint.as_ref(), nil);
    }

    fn typed(
        &mut self,
        node: Node<'d>,
        ty: TypeId,
        constraint: Option<&'s ValueConstraint>,
        nil: bool,
    ) {
        let set = self.set;
        match set.types.get(ty.0 as usize) {
            Some(TypeDef::Simple(st)) => {
                for a in node.attributes() {
                    if a.namespace() == XSI && is_xsi_attr(a.local_name()) {
                        continue;
                    }
                    let msg = format!(
                        "attribute {} is not allowed on element {} ({} is a simple type)",
                        a.qualified_name(),
                        node.qualified_name(),
                        self.its_type(ty)
                    );
                    self.report_attr(&a, msg);
                }
                self.simple_content(node, ty, st, constraint, nil);
            }
            Some(TypeDef::Complex(ct)) => {
                if ct.abstract_ {
                    let msg = format!(
                        "type {} of element {} is abstract; use xsi:type to name a concrete type",
                        self.type_name(ty),
                        node.qualified_name()
                    );
                    self.report(node, msg);
                }
                self.attributes(node, ct);
                if nil {
                    if node
                        .children()
                        .any(|c| c.is_element() || (c.is_text() && !c.value().is_empty()))
                    {
                        let msg = format!(
                            "element {} is nil (xsi:nil=\"true\") and must be empty",
                            node.qualified_name()
                        );
                        self.report(node, msg);
                    }
                    return;
                }
                match ct.content {
                    Content::Empty => {
                        // Not even whitespace (as Xerces, the KoSIT validator, reads §3.4.4).
                        let bad = node
                            .children()
                            .any(|c| c.is_element() || (c.is_text() && !c.value().is_empty()));
                        if bad {
                            let msg = format!(
                                "element {} must be empty ({} has empty content)",
                                node.qualified_name(),
                                self.its_type(ty)
                            );
                            self.report(node, msg);
                        }
                    }
                    Content::Simple(st_id) => {
                        if let Some(TypeDef::Simple(st)) = set.types.get(st_id.0 as usize) {
                            self.simple_content(node, st_id, st, constraint, nil);
                        }
                    }
                    Content::Elements { model, mixed } => {
                        if let Some(m) = set.model(model) {
                            self.element_content(node, m, mixed);
                        }
                        if mixed {
                            if let Some(c) = constraint.filter(|c| c.fixed) {
                                let text = node.string_value();
                                if !text.is_empty() && *text != *c.value {
                                    let msg = format!(
                                        "element {} has the fixed value {:?}, not {}",
                                        node.qualified_name(),
                                        c.value,
                                        shorten(&text)
                                    );
                                    self.report(node, msg);
                                }
                            }
                        }
                    }
                }
            }
            None => {}
        }
    }

    fn simple_content(
        &mut self,
        node: Node<'d>,
        ty: TypeId,
        st: &'s SimpleType,
        constraint: Option<&'s ValueConstraint>,
        nil: bool,
    ) {
        let mut has_child_element = false;
        for c in node.children() {
            if c.kind() == NodeKind::Element {
                has_child_element = true;
                break;
            }
        }
        if has_child_element {
            let msg = format!(
                "element {} must not have child elements ({} has simple content)",
                node.qualified_name(),
                self.its_type(ty)
            );
            self.report(node, msg);
            return;
        }
        let text = node.text();
        if nil {
            if !text.is_empty() {
                let msg = format!(
                    "element {} is nil (xsi:nil=\"true\") and must be empty",
                    node.qualified_name()
                );
                self.report(node, msg);
            }
            return;
        }
        if text.is_empty() {
            if let Some(c) = constraint {
                // The default or fixed value applies.
                let _ = c;
                return;
            }
        }
        if let Err(Invalid(why)) = self.check_value(st, &text, node) {
            let msg = format!(
                "value {} of element {} is not a valid {}: {why}",
                shorten(&text),
                node.qualified_name(),
                self.type_name(ty)
            );
            self.report(node, msg);
            return;
        }
        if let Some(c) = constraint.filter(|c| c.fixed) {
            if !self.same_value(st, &text, &c.value) {
                let msg = format!(
                    "element {} has the fixed value {:?}, not {}",
                    node.qualified_name(),
                    c.value,
                    shorten(&text)
                );
                self.report(node, msg);
            }
        }
    }

    fn same_value(&self, st: &SimpleType, a: &str, b: &str) -> bool {
        let (na, nb) = (
            datatypes::normalize(st.ws, a),
            datatypes::normalize(st.ws, b),
        );
        match st.variety {
            Variety::Atomic => {
                datatypes::canonical(st.builtin, &na) == datatypes::canonical(st.builtin, &nb)
            }
            _ => na == nb,
        }
    }

    fn element_content(&mut self, node: Node<'d>, m: &'s Model, mixed: bool) {
        let set = self.set;
        let start = self.stack.len();
        let mut text_reported = mixed;
        if let Some((members, emptiable)) = &m.all {
            let mut seen = vec![false; members.len()];
            let mut any_child = false;
            for c in node.children() {
                match c.kind() {
                    NodeKind::Element => {
                        any_child = true;
                        let ns = self.ns_id(c.namespace());
                        let name = set.names.find(ns, c.local_name());
                        let hit = name.and_then(|n| members.iter().position(|x| x.name == n));
                        match hit {
                            Some(i) if !seen.get(i).copied().unwrap_or(true) => {
                                if let Some(s) = seen.get_mut(i) {
                                    *s = true;
                                }
                                if let Some(mem) = members.get(i) {
                                    self.stack.push((c, Mode::Decl(mem.elem)));
                                }
                            }
                            Some(_) => {
                                let msg = format!(
                                    "element {} occurs twice; each element of this group may occur once",
                                    c.qualified_name()
                                );
                                self.report(c, msg);
                                self.stack.push((c, Mode::Lax));
                            }
                            None => {
                                let mut names: Vec<String> = members
                                    .iter()
                                    .zip(&seen)
                                    .filter(|(_, s)| !**s)
                                    .map(|(mem, _)| self.display(mem.name, node))
                                    .collect();
                                names.dedup();
                                let msg = format!(
                                    "element {} is not allowed here; {}",
                                    c.qualified_name(),
                                    expected_phrase(&names, false)
                                );
                                self.report(c, msg);
                                self.stack.push((c, Mode::Lax));
                            }
                        }
                    }
                    NodeKind::Text | NodeKind::CData
                        if !text_reported && !is_ws_only(c.value()) =>
                    {
                        text_reported = true;
                        self.report_text(node, c);
                    }
                    _ => {}
                }
            }
            if any_child || !emptiable {
                let missing: Vec<String> = members
                    .iter()
                    .zip(&seen)
                    .filter(|(mem, s)| mem.required && !**s)
                    .map(|(mem, _)| self.display(mem.name, node))
                    .collect();
                if !missing.is_empty() {
                    let msg = format!(
                        "element {} is incomplete: missing {}",
                        node.qualified_name(),
                        missing.join(", ")
                    );
                    self.report(node, msg);
                }
            }
        } else {
            let mut state = 0u32;
            let mut failed = false;
            for c in node.children() {
                match c.kind() {
                    NodeKind::Element => {
                        if failed {
                            self.stack.push((c, Mode::Lax));
                            continue;
                        }
                        let ns = self.ns_id(c.namespace());
                        let name = set.names.find(ns, c.local_name());
                        if let Some(t) = name.and_then(|n| m.step(state, n)) {
                            state = t.target;
                            self.stack.push((c, Mode::Decl(t.elem)));
                            continue;
                        }
                        let mut matched = None;
                        for w in m.wildcards(state) {
                            if let Some(wc) = set.wildcards.get(w.wildcard as usize) {
                                if wc.ns.allows(ns) {
                                    matched = Some((w.target, wc.process));
                                    break;
                                }
                            }
                        }
                        match matched {
                            Some((target, process)) => {
                                state = target;
                                let mode = match process {
                                    Process::Skip => Mode::Skip,
                                    Process::Lax => Mode::Lax,
                                    Process::Strict => {
                                        match name.and_then(|n| set.global_elems.get(&n)) {
                                            Some(g) => Mode::Decl(*g),
                                            None => match self.strict_xsi_type(c) {
                                                Some(t) => Mode::Type(t),
                                                None => {
                                                    let msg = format!(
                                                        "no declaration found for element {} (required by a strict wildcard)",
                                                        self.clark_of(c)
                                                    );
                                                    self.report(c, msg);
                                                    Mode::Lax
                                                }
                                            },
                                        }
                                    }
                                };
                                self.stack.push((c, mode));
                            }
                            None => {
                                failed = true;
                                let names = self.expected_names(m, state, node);
                                let msg = format!(
                                    "element {} is not allowed here; {}",
                                    c.qualified_name(),
                                    expected_phrase(&names, true)
                                );
                                self.report(c, msg);
                                self.stack.push((c, Mode::Lax));
                            }
                        }
                    }
                    NodeKind::Text | NodeKind::CData
                        if !text_reported && !is_ws_only(c.value()) =>
                    {
                        text_reported = true;
                        self.report_text(node, c);
                    }
                    _ => {}
                }
            }
            if !failed && !m.state(state).accepting {
                let names = self.expected_names(m, state, node);
                let msg = format!(
                    "element {} is incomplete: {}",
                    node.qualified_name(),
                    expected_phrase(&names, true).replacen("expected", "missing", 1)
                );
                self.report(node, msg);
            }
        }
        if let Some(s) = self.stack.get_mut(start..) {
            s.reverse();
        }
    }

    fn strict_xsi_type(&mut self, node: Node<'d>) -> Option<TypeId> {
        node.attribute_ns(XSI, "type")?;
        self.xsi_type(node, TypeId::ANY_TYPE)
    }

    fn report_text(&mut self, node: Node<'d>, text: Node<'d>) {
        let msg = format!(
            "element {} must not contain text (its type allows only child elements), found {}",
            node.qualified_name(),
            shorten(text.value().trim())
        );
        self.report(text, msg);
    }

    fn expected_names(&self, m: &Model, state: u32, ctx: Node<'_>) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for t in m.expected(state) {
            let n = self.display(t.name, ctx);
            if !names.contains(&n) {
                names.push(n);
            }
        }
        for w in m.wildcards(state) {
            if let Some(wc) = self.set.wildcards.get(w.wildcard as usize) {
                let d = match &wc.ns {
                    super::components::NsConstraint::Any => "any element".to_string(),
                    super::components::NsConstraint::Not(ns) => {
                        let uri = self.set.names.ns_uri(*ns);
                        if uri.is_empty() {
                            "any element in a namespace".to_string()
                        } else {
                            format!("any element in a namespace other than {uri}")
                        }
                    }
                    super::components::NsConstraint::Set(s) => {
                        let list: Vec<&str> = s
                            .iter()
                            .map(|n| {
                                let u = self.set.names.ns_uri(*n);
                                if u.is_empty() {
                                    "no namespace"
                                } else {
                                    u
                                }
                            })
                            .collect();
                        format!("any element in {}", list.join(" or "))
                    }
                };
                if !names.contains(&d) {
                    names.push(d);
                }
            }
        }
        names
    }

    fn attributes(&mut self, node: Node<'d>, ct: &'s ComplexType) {
        let set = self.set;
        let uses = &ct.attributes;
        let mut seen_small: u64 = 0;
        let mut seen_big: Vec<bool> = if uses.len() > 64 {
            vec![false; uses.len()]
        } else {
            Vec::new()
        };
        for a in node.attributes() {
            let ans = a.namespace();
            if !ans.is_empty() && ans == XSI && is_xsi_attr(a.local_name()) {
                continue;
            }
            let ns = self.ns_id(ans);
            let local = a.local_name();
            let hit = uses.iter().position(|u| {
                let (uns, ul) = set.names.get(u.name);
                uns == ns && ul == local
            });
            if let Some(i) = hit {
                if i < 64 {
                    seen_small |= 1 << i;
                } else if let Some(s) = seen_big.get_mut(i) {
                    *s = true;
                }
                if let Some(u) = uses.get(i) {
                    self.attribute_value(&a, u.ty, u.constraint.as_ref());
                }
                continue;
            }
            match &ct.attr_wildcard {
                Some(w) if w.ns.allows(ns) => {
                    if w.process == Process::Skip {
                        continue;
                    }
                    let decl = set
                        .names
                        .find(ns, local)
                        .and_then(|n| set.global_attrs.get(&n));
                    match decl {
                        Some(d) => self.attribute_value(&a, d.ty, d.constraint.as_ref()),
                        None if w.process == Process::Strict => {
                            let msg = format!(
                                "no declaration found for attribute {} (required by a strict wildcard)",
                                a.qualified_name()
                            );
                            self.report_attr(&a, msg);
                        }
                        None => {}
                    }
                }
                _ => {
                    let msg = format!(
                        "attribute {} is not allowed on element {}",
                        a.qualified_name(),
                        node.qualified_name()
                    );
                    self.report_attr(&a, msg);
                }
            }
        }
        for (i, u) in uses.iter().enumerate() {
            if !u.required {
                continue;
            }
            let seen = if i < 64 {
                seen_small & (1 << i) != 0
            } else {
                seen_big.get(i).copied().unwrap_or(false)
            };
            if !seen {
                let msg = format!(
                    "required attribute {} is missing on element {}",
                    self.display_attr(u.name, node),
                    node.qualified_name()
                );
                self.report(node, msg);
            }
        }
    }

    fn display_attr(&self, name: NameId, ctx: Node<'_>) -> String {
        let (ns, local) = self.set.names.get(name);
        if ns == NsId::NONE {
            local.to_string()
        } else {
            self.display(name, ctx)
        }
    }

    fn lax_attributes(&mut self, node: Node<'d>) {
        let set = self.set;
        for a in node.attributes() {
            if a.namespace() == XSI {
                continue;
            }
            let ns = self.ns_id(a.namespace());
            if let Some(d) = set
                .names
                .find(ns, a.local_name())
                .and_then(|n| set.global_attrs.get(&n))
            {
                self.attribute_value(&a, d.ty, d.constraint.as_ref());
            }
        }
    }

    fn attribute_value(
        &mut self,
        a: &crate::xml::Attribute<'d>,
        ty: TypeId,
        constraint: Option<&ValueConstraint>,
    ) {
        let set = self.set;
        let Some(TypeDef::Simple(st)) = set.types.get(ty.0 as usize) else {
            return;
        };
        let v = a.value();
        if let Err(Invalid(why)) = self.check_value(st, v, a.owner()) {
            let msg = format!(
                "value {} of attribute {} is not a valid {}: {why}",
                shorten(v),
                a.qualified_name(),
                self.type_name(ty)
            );
            self.report_attr(a, msg);
            return;
        }
        if let Some(c) = constraint.filter(|c| c.fixed) {
            if !self.same_value(st, v, &c.value) {
                let msg = format!(
                    "attribute {} has the fixed value {:?}, not {}",
                    a.qualified_name(),
                    c.value,
                    shorten(v)
                );
                self.report_attr(a, msg);
            }
        }
    }

    /// Checks a value against a simple type (whitespace facet, lexical space, facets).
    fn check_value(&mut self, st: &'s SimpleType, raw: &str, ctx: Node<'d>) -> Result<(), Invalid> {
        if st.builtin == Builtin::Base64Binary && st.facets.is_empty() {
            // Large attachments: checked in place, whitespace skipped, nothing copied.
            return datatypes::check_base64(raw).map_err(Invalid);
        }
        let v = datatypes::normalize(st.ws, raw);
        match &st.variety {
            Variety::Atomic => {
                datatypes::check_lexical(st.builtin, &v).map_err(Invalid)?;
                if st.builtin == Builtin::QName || st.builtin == Builtin::Notation {
                    if let Some((p, _)) = v.split_once(':') {
                        if ctx.lookup_namespace(p).is_none() {
                            return Err(Invalid(format!("prefix {p:?} is not declared")));
                        }
                    }
                }
                self.facets(st, &v, None)?;
                if st.builtin.derives_from(Builtin::Id) {
                    let key: Cow<'d, str> = Cow::Owned(v.to_string());
                    if !self.ids.insert(key) {
                        return Err(Invalid(format!("ID {v:?} is not unique in the document")));
                    }
                } else if st.builtin.derives_from(Builtin::IdRef) {
                    self.idrefs.push((v.to_string(), ctx));
                }
                Ok(())
            }
            Variety::List(item) => {
                let set = self.set;
                let Some(TypeDef::Simple(ist)) = set.types.get(item.0 as usize) else {
                    return Ok(());
                };
                let mut count = 0usize;
                for tok in v.split(' ').filter(|t| !t.is_empty()) {
                    count += 1;
                    self.check_value(ist, tok, ctx)
                        .map_err(|Invalid(w)| Invalid(format!("list item {tok:?}: {w}")))?;
                }
                self.facets(st, &v, Some(count))
            }
            Variety::Union(members) => {
                let set = self.set;
                let mut ok = false;
                for m in members {
                    if let Some(TypeDef::Simple(mst)) = set.types.get(m.0 as usize) {
                        if self.check_value(mst, &v, ctx).is_ok() {
                            ok = true;
                            break;
                        }
                    }
                }
                if !ok {
                    return Err(Invalid("not valid for any member type of the union".into()));
                }
                self.facets(st, &v, None)
            }
        }
    }

    /// The facets of `st` on a normalised value (`items`: number of list items for list types).
    fn facets(&self, st: &SimpleType, v: &str, items: Option<usize>) -> Result<(), Invalid> {
        let f = &st.facets;
        if f.is_empty() {
            return Ok(());
        }
        let b = st.builtin;
        let atomic = matches!(st.variety, Variety::Atomic);
        let qname_like = atomic && matches!(b, Builtin::QName | Builtin::Notation);
        if !qname_like && (f.length.is_some() || f.min_length.is_some() || f.max_length.is_some()) {
            let len = match items {
                Some(n) => n,
                None => datatypes::value_length(b, v),
            };
            let unit = match (items, b.kind()) {
                (Some(_), _) => "items",
                (None, datatypes::Kind::HexBinary | datatypes::Kind::Base64Binary) => "octets",
                _ => "characters",
            };
            if let Some(n) = f.length.filter(|n| len != *n) {
                return Err(Invalid(format!("length is {len} {unit}, must be {n}")));
            }
            if let Some(n) = f.min_length.filter(|n| len < *n) {
                return Err(Invalid(format!(
                    "length is {len} {unit}, must be at least {n}"
                )));
            }
            if let Some(n) = f.max_length.filter(|n| len > *n) {
                return Err(Invalid(format!(
                    "length is {len} {unit}, must be at most {n}"
                )));
            }
        }
        for group in &f.patterns {
            let mut any = false;
            for pid in group {
                if let Some(p) = self.set.patterns.get(*pid as usize) {
                    match p.is_match(v) {
                        Ok(true) => {
                            any = true;
                            break;
                        }
                        Ok(false) => {}
                        Err(e) => {
                            return Err(Invalid(format!(
                                "the schema pattern {:?} could not be compiled: {e}",
                                p.source
                            )))
                        }
                    }
                }
            }
            if !any {
                let srcs: Vec<&str> = group
                    .iter()
                    .filter_map(|i| self.set.patterns.get(*i as usize))
                    .map(|p| &*p.source)
                    .collect();
                return Err(Invalid(format!(
                    "does not match the pattern {}",
                    srcs.iter()
                        .map(|s| format!("{s:?}"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )));
            }
        }
        if let Some(values) = &f.enumeration {
            let c = if atomic {
                datatypes::canonical(b, v)
            } else {
                Cow::Borrowed(v)
            };
            if values.binary_search_by(|x| (**x).cmp(&*c)).is_err() {
                let shown: Vec<String> = values.iter().take(10).map(|x| format!("{x:?}")).collect();
                let more = if values.len() > 10 { ", …" } else { "" };
                return Err(Invalid(format!(
                    "not one of the allowed values ({}{more})",
                    shown.join(", ")
                )));
            }
        }
        if atomic {
            use std::cmp::Ordering::{Equal, Greater, Less};
            type Bound<'f> = (&'f Option<Box<str>>, &'f [std::cmp::Ordering], &'f str);
            let checks: [Bound<'_>; 4] = [
                (&f.min_inclusive, &[Greater, Equal], "≥"),
                (&f.max_inclusive, &[Less, Equal], "≤"),
                (&f.min_exclusive, &[Greater], ">"),
                (&f.max_exclusive, &[Less], "<"),
            ];
            for (bound, allowed, sym) in checks {
                if let Some(bv) = bound {
                    match datatypes::compare(b, v, bv) {
                        Some(o) if allowed.contains(&o) => {}
                        _ => return Err(Invalid(format!("must be {sym} {bv}"))),
                    }
                }
            }
            if f.total_digits.is_some() || f.fraction_digits.is_some() {
                if let Some(d) = datatypes::parse_decimal(v) {
                    if let Some(n) = f.total_digits.filter(|n| d.total_digits() > *n) {
                        return Err(Invalid(format!(
                            "has {} digits, at most {n} are allowed",
                            d.total_digits()
                        )));
                    }
                    if let Some(n) = f.fraction_digits.filter(|n| d.fraction_digits() > *n) {
                        return Err(Invalid(format!(
                            "has {} fraction digits, at most {n} are allowed",
                            d.fraction_digits()
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

fn is_xsi_attr(local: &str) -> bool {
    matches!(
        local,
        "type" | "nil" | "schemaLocation" | "noNamespaceSchemaLocation"
    )
}

fn expected_phrase(names: &[String], allow_none: bool) -> String {
    const SHOWN: usize = 12;
    match names.len() {
        0 if allow_none => "no further child elements are allowed here".into(),
        0 => "no further child elements are expected".into(),
        1 => format!("expected {}", names.first().map_or("", |s| s.as_str())),
        n => {
            let list: Vec<&str> = names.iter().take(SHOWN).map(|s| s.as_str()).collect();
            let more = if n > SHOWN { ", …" } else { "" };
            format!("expected one of {}{more}", list.join(", "))
        }
    }
}
