//! Navigation over a parsed [`Document`]: cheap, copyable node handles.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{AttrData, Document, NodeData, NodeId, Position, Span, NONE, XML_NAMESPACE};

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// The document node: parent of the root element and of top-level comments and PIs.
    Document,
    /// An element.
    Element,
    /// Character data (adjacent text pieces and references merged into one node, decoded).
    Text,
    /// A `<![CDATA[…]]>` section (kept apart from text for canonicalisation).
    CData,
    /// A comment.
    Comment,
    /// A processing instruction (not the XML declaration).
    ProcessingInstruction,
}

/// A handle on one node of a [`Document`]. `Copy`; comparing two handles compares identity.
#[derive(Clone, Copy)]
pub struct Node<'d> {
    doc: &'d Document,
    id: NodeId,
}

impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.doc, other.doc) && self.id == other.id
    }
}
impl Eq for Node<'_> {}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind() {
            NodeKind::Element => write!(f, "Node({})", self.path()),
            kind => write!(f, "Node({kind:?} #{})", self.id.0),
        }
    }
}

const EMPTY: NodeData = NodeData {
    kind: NodeKind::Document,
    parent: NONE,
    first_child: NONE,
    last_child: NONE,
    next_sibling: NONE,
    prev_sibling: NONE,
    offset: 0,
    a: Span {
        start: 0,
        len: 0,
        decoded: false,
    },
    b: Span {
        start: 0,
        len: 0,
        decoded: false,
    },
    ns: 0,
    attr_start: 0,
    attr_len: 0,
    decl_start: 0,
    decl_len: 0,
};

impl<'d> Node<'d> {
    pub(super) fn new(doc: &'d Document, id: NodeId) -> Self {
        Self { doc, id }
    }

    fn data(&self) -> &'d NodeData {
        self.doc.data(self.id).unwrap_or(&EMPTY)
    }

    fn link(&self, idx: u32) -> Option<Node<'d>> {
        (idx != NONE).then(|| Node::new(self.doc, NodeId(idx)))
    }

    /// The text of an element or document node whose only child is one text or CDATA node
    /// (the common leaf: `<cbc:ID>AE</cbc:ID>`), "" for one without children; None otherwise.
    /// One lookup per node, for string values.
    pub(crate) fn only_text(&self) -> Option<&'d str> {
        let d = self.data();
        if d.first_child == NONE {
            return Some("");
        }
        let c = self.doc.data(NodeId(d.first_child))?;
        let text = matches!(c.kind, NodeKind::Text | NodeKind::CData) && c.next_sibling == NONE;
        text.then(|| self.doc.str(c.a))
    }

    /// The document this node belongs to.
    pub fn document(&self) -> &'d Document {
        self.doc
    }

    /// The node's id (its index in document order).
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// What kind of node this is.
    pub fn kind(&self) -> NodeKind {
        self.data().kind
    }

    /// True for elements.
    pub fn is_element(&self) -> bool {
        self.kind() == NodeKind::Element
    }

    /// True for text and CDATA nodes.
    pub fn is_text(&self) -> bool {
        matches!(self.kind(), NodeKind::Text | NodeKind::CData)
    }

    /// Local name of an element (empty for other nodes).
    pub fn local_name(&self) -> &'d str {
        match self.kind() {
            NodeKind::Element => self.doc.str(self.data().b),
            _ => "",
        }
    }

    /// Namespace URI of an element (empty when it has none, and for other nodes).
    pub fn namespace(&self) -> &'d str {
        match self.kind() {
            NodeKind::Element => self.doc.namespace(self.data().ns),
            _ => "",
        }
    }

    /// The prefix the element was written with (empty for none).
    pub fn prefix(&self) -> &'d str {
        match self.kind() {
            NodeKind::Element => self.doc.str(self.data().a),
            _ => "",
        }
    }

    /// The name as written: `prefix:local` or `local`.
    pub fn qualified_name(&self) -> Cow<'d, str> {
        qualify(self.prefix(), self.local_name())
    }

    /// True when this is an element with the given namespace URI and local name.
    pub fn has_name(&self, namespace: &str, local: &str) -> bool {
        self.is_element() && self.local_name() == local && self.namespace() == namespace
    }

    /// The value of a text, CDATA or comment node, the data of a PI, empty for others.
    pub fn value(&self) -> &'d str {
        match self.kind() {
            NodeKind::Text | NodeKind::CData | NodeKind::Comment => self.doc.str(self.data().a),
            NodeKind::ProcessingInstruction => self.doc.str(self.data().b),
            _ => "",
        }
    }

    /// The target of a processing instruction (empty for other nodes).
    pub fn pi_target(&self) -> &'d str {
        match self.kind() {
            NodeKind::ProcessingInstruction => self.doc.str(self.data().a),
            _ => "",
        }
    }

    /// The text of an element: the concatenation of ALL its text and CDATA children, decoded
    /// (never only the first piece). Borrowed when there is one piece.
    pub fn text(&self) -> Cow<'d, str> {
        let mut pieces = self.children().filter(|c| c.is_text());
        let Some(first) = pieces.next() else {
            return Cow::Borrowed("");
        };
        match pieces.next() {
            None => Cow::Borrowed(first.value()),
            Some(second) => {
                let mut s = String::from(first.value());
                s.push_str(second.value());
                pieces.for_each(|p| s.push_str(p.value()));
                Cow::Owned(s)
            }
        }
    }

    /// The XPath string value: for elements and the document all descendant text and CDATA in
    /// document order; for other nodes their value.
    pub fn string_value(&self) -> Cow<'d, str> {
        match self.kind() {
            NodeKind::Element | NodeKind::Document => {
                let mut texts = self.descendants().filter(|n| n.is_text());
                let Some(first) = texts.next() else {
                    return Cow::Borrowed("");
                };
                match texts.next() {
                    None => Cow::Borrowed(first.value()),
                    Some(second) => {
                        let mut s = String::from(first.value());
                        s.push_str(second.value());
                        texts.for_each(|t| s.push_str(t.value()));
                        Cow::Owned(s)
                    }
                }
            }
            _ => Cow::Borrowed(self.value()),
        }
    }

    /// The parent (None for the document node).
    pub fn parent(&self) -> Option<Node<'d>> {
        self.link(self.data().parent)
    }

    /// The parent if it is an element.
    pub fn parent_element(&self) -> Option<Node<'d>> {
        self.parent().filter(Node::is_element)
    }

    /// First child node.
    pub fn first_child(&self) -> Option<Node<'d>> {
        self.link(self.data().first_child)
    }

    /// Last child node.
    pub fn last_child(&self) -> Option<Node<'d>> {
        self.link(self.data().last_child)
    }

    /// Next sibling node.
    pub fn next_sibling(&self) -> Option<Node<'d>> {
        self.link(self.data().next_sibling)
    }

    /// Previous sibling node.
    pub fn prev_sibling(&self) -> Option<Node<'d>> {
        self.link(self.data().prev_sibling)
    }

    /// All child nodes in order.
    pub fn children(&self) -> Children<'d> {
        Children {
            next: self.first_child(),
        }
    }

    /// Child elements in order.
    pub fn element_children(&self) -> impl Iterator<Item = Node<'d>> + 'd {
        self.children().filter(Node::is_element)
    }

    /// Child elements with this namespace URI and local name.
    pub fn children_named<'a>(
        &self,
        namespace: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = Node<'d>> + 'a
    where
        'd: 'a,
    {
        self.children()
            .filter(move |c| c.has_name(namespace, local))
    }

    /// The first child element with this namespace URI and local name.
    pub fn child(&self, namespace: &str, local: &str) -> Option<Node<'d>> {
        self.children().find(|c| c.has_name(namespace, local))
    }

    /// All descendants in document order (not the node itself).
    pub fn descendants(&self) -> Descendants<'d> {
        let end = self.subtree_end();
        Descendants {
            doc: self.doc,
            next: self.id.0.saturating_add(1),
            end,
        }
    }

    /// Descendant elements with this namespace URI and local name, in document order.
    pub fn descendants_named<'a>(
        &self,
        namespace: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = Node<'d>> + 'a
    where
        'd: 'a,
    {
        self.descendants()
            .filter(move |c| c.has_name(namespace, local))
    }

    /// Ancestors from the parent up to the document node.
    pub fn ancestors(&self) -> impl Iterator<Item = Node<'d>> + 'd {
        std::iter::successors(self.parent(), Node::parent)
    }

    /// One past the last node id of this node's subtree (nodes are stored in document order, so a
    /// subtree is a contiguous range).
    fn subtree_end(&self) -> u32 {
        let mut cur = *self;
        loop {
            if let Some(next) = cur.next_sibling() {
                return next.id.0;
            }
            match cur.parent() {
                Some(p) => cur = p,
                None => return self.doc.nodes.len() as u32,
            }
        }
    }

    /// True when `self` is an ancestor of `other`.
    pub fn is_ancestor_of(&self, other: Node<'_>) -> bool {
        std::ptr::eq(self.doc, other.doc)
            && other.id.0 > self.id.0
            && other.id.0 < self.subtree_end()
    }

    /// The attributes of an element (namespace declarations are not attributes; see
    /// [`Node::namespace_declarations`]).
    pub fn attributes(&self) -> impl ExactSizeIterator<Item = Attribute<'d>> + 'd {
        let d = self.data();
        let (start, len) = match d.kind {
            NodeKind::Element => (d.attr_start as usize, d.attr_len as usize),
            _ => (0, 0),
        };
        let doc = self.doc;
        let owner = self.id;
        let slice = doc.attrs.get(start..start + len).unwrap_or_default();
        slice.iter().enumerate().map(move |(i, data)| Attribute {
            doc,
            owner,
            index: (start + i) as u32,
            data,
        })
    }

    /// The value of the attribute with no namespace and this local name (what unprefixed
    /// attributes are, e.g. `currencyID`, `schemeID`, `ID`).
    pub fn attribute(&self, local: &str) -> Option<&'d str> {
        self.attribute_ns("", local)
    }

    /// The value of the attribute with this namespace URI and local name.
    pub fn attribute_ns(&self, namespace: &str, local: &str) -> Option<&'d str> {
        self.attributes()
            .find(|a| a.local_name() == local && a.namespace() == namespace)
            .map(|a| a.value())
    }

    /// The namespace declarations written on this element, as (prefix, URI); the default namespace
    /// has the empty prefix, an undeclaration `xmlns=""` the empty URI.
    pub fn namespace_declarations(&self) -> impl Iterator<Item = (&'d str, &'d str)> + 'd {
        let d = self.data();
        let (start, len) = match d.kind {
            NodeKind::Element => (d.decl_start as usize, d.decl_len as usize),
            _ => (0, 0),
        };
        let doc = self.doc;
        doc.decls
            .get(start..start + len)
            .unwrap_or_default()
            .iter()
            .map(move |decl| (doc.str(decl.prefix), doc.namespace(decl.ns)))
    }

    /// The URI a prefix is bound to at this element (`""` = the default namespace). `xml` is
    /// always bound; `None` when unbound (or the default namespace is undeclared).
    pub fn lookup_namespace(&self, prefix: &str) -> Option<&'d str> {
        if prefix == "xml" {
            return Some(XML_NAMESPACE);
        }
        let mut cur = Some(*self);
        while let Some(n) = cur.filter(Node::is_element) {
            if let Some((_, uri)) = n.namespace_declarations().find(|(p, _)| *p == prefix) {
                return (!uri.is_empty()).then_some(uri);
            }
            cur = n.parent();
        }
        None
    }

    /// All namespace bindings in scope at this element, innermost declaration winning, sorted by
    /// prefix (the default namespace first, as `""`). Undeclared defaults are left out.
    pub fn in_scope_namespaces(&self) -> Vec<(&'d str, &'d str)> {
        let mut seen: Vec<(&'d str, &'d str)> = Vec::new();
        let mut cur = Some(*self);
        while let Some(n) = cur.filter(Node::is_element) {
            for (p, uri) in n.namespace_declarations() {
                if !seen.iter().any(|(q, _)| *q == p) {
                    seen.push((p, uri));
                }
            }
            cur = n.parent();
        }
        seen.retain(|(_, uri)| !uri.is_empty());
        seen.sort_unstable();
        seen
    }

    /// Where the node starts in the input (byte offset, line, column).
    pub fn position(&self) -> Position {
        self.doc.position_of(self.data().offset as usize)
    }

    /// Byte offset of the node's start in [`Document::source`].
    pub fn offset(&self) -> usize {
        self.data().offset as usize
    }

    /// A path for messages: `/Invoice/cac:AccountingSupplierParty[1]/cac:Party[1]`; for text,
    /// comments and PIs the element path plus `/text()[n]`, `/comment()[n]`,
    /// `/processing-instruction()[n]`.
    pub fn path(&self) -> String {
        let mut steps: Vec<Node<'d>> = Vec::new();
        let mut cur = Some(*self);
        while let Some(n) = cur {
            if n.kind() == NodeKind::Document {
                break;
            }
            steps.push(n);
            cur = n.parent();
        }
        let mut out = String::new();
        for n in steps.iter().rev() {
            out.push('/');
            let is_root = n.parent().is_some_and(|p| p.kind() == NodeKind::Document);
            match n.kind() {
                NodeKind::Element if is_root => out.push_str(&n.qualified_name()),
                NodeKind::Element => {
                    let _ = write!(out, "{}[{}]", n.qualified_name(), n.sibling_index());
                }
                NodeKind::Text | NodeKind::CData => {
                    let _ = write!(out, "text()[{}]", n.sibling_index());
                }
                NodeKind::Comment => {
                    let _ = write!(out, "comment()[{}]", n.sibling_index());
                }
                NodeKind::ProcessingInstruction => {
                    let _ = write!(out, "processing-instruction()[{}]", n.sibling_index());
                }
                NodeKind::Document => {}
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }

    /// 1-based position among preceding siblings of the same kind (and, for elements, the same
    /// expanded name).
    pub fn sibling_index(&self) -> usize {
        self.doc.sibling_index(*self) as usize
    }
}

/// Iterator over the children of a node.
pub struct Children<'d> {
    next: Option<Node<'d>>,
}

impl<'d> Iterator for Children<'d> {
    type Item = Node<'d>;
    fn next(&mut self) -> Option<Node<'d>> {
        let cur = self.next?;
        self.next = cur.next_sibling();
        Some(cur)
    }
}

/// Iterator over the descendants of a node in document order.
pub struct Descendants<'d> {
    doc: &'d Document,
    next: u32,
    end: u32,
}

impl<'d> Iterator for Descendants<'d> {
    type Item = Node<'d>;
    fn next(&mut self) -> Option<Node<'d>> {
        (self.next < self.end).then(|| {
            let n = Node::new(self.doc, NodeId(self.next));
            self.next += 1;
            n
        })
    }
}

/// An attribute of an element, with resolved namespace.
#[derive(Clone, Copy)]
pub struct Attribute<'d> {
    doc: &'d Document,
    owner: NodeId,
    index: u32,
    data: &'d AttrData,
}

impl std::fmt::Debug for Attribute<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={:?}", self.qualified_name(), self.value())
    }
}

impl<'d> Attribute<'d> {
    /// The local name.
    pub fn local_name(&self) -> &'d str {
        self.doc.str(self.data.local)
    }

    /// The namespace URI (empty for unprefixed attributes).
    pub fn namespace(&self) -> &'d str {
        self.doc.namespace(self.data.ns)
    }

    /// The prefix as written (empty for none).
    pub fn prefix(&self) -> &'d str {
        self.doc.str(self.data.prefix)
    }

    /// `prefix:local` or `local`.
    pub fn qualified_name(&self) -> Cow<'d, str> {
        qualify(self.prefix(), self.local_name())
    }

    /// The normalised, decoded value.
    pub fn value(&self) -> &'d str {
        self.doc.str(self.data.value)
    }

    /// The element carrying the attribute.
    pub fn owner(&self) -> Node<'d> {
        Node::new(self.doc, self.owner)
    }

    /// Index among all attributes of the document (in document order).
    pub fn index(&self) -> usize {
        self.index as usize
    }

    /// Where the attribute starts in the input.
    pub fn position(&self) -> Position {
        self.doc.position_of(self.data.offset as usize)
    }

    /// Path for messages: the owner's path plus `/@name`.
    pub fn path(&self) -> String {
        format!("{}/@{}", self.owner().path(), self.qualified_name())
    }
}

fn qualify<'d>(prefix: &'d str, local: &'d str) -> Cow<'d, str> {
    if prefix.is_empty() {
        Cow::Borrowed(local)
    } else {
        Cow::Owned(format!("{prefix}:{local}"))
    }
}
