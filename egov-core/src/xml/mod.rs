//! The one XML layer of the SDK: a secure, namespace-aware parser producing an immutable,
//! arena-backed [`Document`], and a small [`XmlWriter`].
//!
//! Every standard egov implements (UBL/CII, SAML/XMLDSig, XDatenfelder, xdomea) is XML that arrives
//! from untrusted parties. The parser therefore
//! - rejects any `<!DOCTYPE …>` (no DTD, no entity declarations, no external resolution, ever),
//! - accepts UTF-8 only (a byte order mark is allowed),
//! - enforces the hard [`Limits`] on size, depth, element count, attributes per element and text
//!   length before any of it is built up,
//! - rejects duplicate attributes and undeclared prefixes,
//! - keeps comments, processing instructions and CDATA as nodes, the namespace declarations of
//!   every element and the position of every node (what signature canonicalisation and
//!   validation messages need),
//! - decodes the predefined entities and character references and normalises line ends
//!   (XML 1.0 §2.11) and attribute values (§3.3.3).
//!
//! ```
//! use egov_core::xml::{Document, Limits};
//!
//! let doc = Document::parse(
//!     br#"<Invoice xmlns="urn:example"><ID>R-1 &amp; <![CDATA[B]]></ID></Invoice>"#,
//!     &Limits::default(),
//! )?;
//! let root = doc.root_element();
//! let id = root.child("urn:example", "ID").unwrap();
//! assert_eq!(id.text(), "R-1 & B"); // all text and CDATA pieces, decoded
//! assert_eq!(id.path(), "/Invoice/ID[1]");
//! assert_eq!(id.position().line, 1);
//! # Ok::<(), egov_core::xml::XmlError>(())
//! ```

mod error;
mod node;
mod parser;
mod writer;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

pub use error::{Position, XmlError, XmlErrorKind};
pub use node::{Attribute, Children, Descendants, Node, NodeKind};
pub use writer::{escape_into, XmlWriter};

/// The namespace bound to the prefix `xml` by definition.
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` declarations.
pub const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// Hard limits applied while parsing. Every limit is checked before the offending part is built
/// up, so hostile inputs fail fast.
///
/// The defaults suit messages exchanged between parties (SAML responses, invoices without huge
/// attachments, forms): 1 MiB, depth 100, 100,000 elements, 256 attributes per element, 1 MiB per
/// text. Format crates choose their own where the standard needs more (e.g. invoices with
/// embedded attachments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Maximum input size in bytes (at most 4 GiB - 1 is ever accepted).
    pub max_bytes: usize,
    /// Maximum element nesting depth (the root element has depth 1).
    pub max_depth: usize,
    /// Maximum number of elements in the document.
    pub max_elements: usize,
    /// Maximum number of attributes on one element, namespace declarations included.
    pub max_attributes: usize,
    /// Maximum length in bytes of one text node (after merging adjacent pieces), CDATA section,
    /// comment, processing instruction or attribute value.
    pub max_text_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 100,
            max_elements: 100_000,
            max_attributes: 256,
            max_text_len: 1024 * 1024,
        }
    }
}

impl Limits {
    /// Limits for large business documents, e.g. invoices with embedded base64 attachments:
    /// 64 MiB, depth 100, 2,000,000 elements, 256 attributes, 48 MiB per text.
    pub fn large() -> Self {
        Self {
            max_bytes: 64 * 1024 * 1024,
            max_depth: 100,
            max_elements: 2_000_000,
            max_attributes: 256,
            max_text_len: 48 * 1024 * 1024,
        }
    }
}

/// Index of a node in its [`Document`]; ordered in document order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u32);

impl NodeId {
    /// The document node (parent of the root element and of top-level comments and PIs).
    pub const DOCUMENT: NodeId = NodeId(0);

    /// The index in document order (0 = the document node).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

const NONE: u32 = u32::MAX;

/// A string stored in the document: a span of the input, or of the decoded-text buffer.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    len: u32,
    decoded: bool,
}

#[derive(Debug, Clone, Copy)]
struct NodeData {
    kind: NodeKind,
    parent: u32,
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
    prev_sibling: u32,
    /// Byte offset of the node's first character in the text (BOM excluded).
    offset: u32,
    /// Element: prefix. PI: target. Text, CDATA, comment: value.
    a: Span,
    /// Element: local name. PI: data.
    b: Span,
    /// Element: index into `namespaces` (0 = no namespace).
    ns: u32,
    /// Element: range in `attrs`.
    attr_start: u32,
    attr_len: u32,
    /// Element: range in `decls` (the declarations written on this element).
    decl_start: u32,
    decl_len: u32,
}

#[derive(Debug, Clone, Copy)]
struct AttrData {
    prefix: Span,
    local: Span,
    ns: u32,
    value: Span,
    offset: u32,
}

#[derive(Debug, Clone, Copy)]
struct NsDecl {
    /// Empty for the default namespace declaration `xmlns="…"`.
    prefix: Span,
    /// Index into `namespaces`; 0 for an undeclaration `xmlns=""`.
    ns: u32,
}

/// An immutable, parsed XML document: all nodes in one arena, strings borrowed from one owned copy
/// of the input. `Send + Sync`; cheap [`Node`] handles borrow it.
#[derive(Debug)]
pub struct Document {
    text: Box<str>,
    /// Bytes before `text` in the original input (a UTF-8 BOM).
    base: u32,
    decoded: String,
    nodes: Vec<NodeData>,
    attrs: Vec<AttrData>,
    decls: Vec<NsDecl>,
    /// Interned namespace URIs; index 0 is the empty string ("no namespace").
    namespaces: Vec<Box<str>>,
    root_element: u32,
    line_starts: OnceLock<Vec<u32>>,
    /// How many positions were asked for before `line_starts` was built (see
    /// [`Document::position_of`]).
    positions_asked: AtomicU32,
    /// Per node: 1-based position among preceding siblings of the same kind and name, built in
    /// one linear pass when [`Node::path`] meets many siblings.
    sibling_indexes: OnceLock<Vec<u32>>,
}

impl Document {
    /// Parses untrusted bytes under `limits`.
    pub fn parse(input: &[u8], limits: &Limits) -> Result<Document, XmlError> {
        parser::parse(input, limits)
    }

    /// Parses with [`Limits::default`].
    pub fn parse_default(input: &[u8]) -> Result<Document, XmlError> {
        parser::parse(input, &Limits::default())
    }

    /// The document node.
    pub fn document_node(&self) -> Node<'_> {
        Node::new(self, NodeId::DOCUMENT)
    }

    /// The root (document) element.
    pub fn root_element(&self) -> Node<'_> {
        Node::new(self, NodeId(self.root_element))
    }

    /// The node with this id, if it exists.
    pub fn node(&self, id: NodeId) -> Option<Node<'_>> {
        (id.index() < self.nodes.len()).then(|| Node::new(self, id))
    }

    /// Number of nodes (document node, elements, texts, CDATA sections, comments, PIs).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// All nodes in document order, starting with the document node.
    pub fn nodes(&self) -> impl Iterator<Item = Node<'_>> + '_ {
        (0..self.nodes.len()).map(move |i| Node::new(self, NodeId(i as u32)))
    }

    /// The input text (without byte order mark).
    pub fn source(&self) -> &str {
        &self.text
    }

    /// The distinct local names of the document's attributes, in no particular order
    /// (namespace declarations are not attributes).
    pub(crate) fn attribute_local_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        let mut seen: std::collections::HashSet<&str, crate::hash::FxBuild> = Default::default();
        // the same few names repeat (`currencyID`, `schemeID`, `unitCode`): a small cache by
        // length and first byte settles most without hashing
        let mut recent = [""; 32];
        for a in &self.attrs {
            let local = self.str(a.local);
            let first = local.as_bytes().first().copied().unwrap_or(0);
            let slot = (local.len() ^ usize::from(first).wrapping_mul(7)) % recent.len();
            if let Some(r) = recent.get_mut(slot) {
                if *r == local {
                    continue;
                }
                *r = local;
            }
            if seen.insert(local) {
                names.push(local);
            }
        }
        names
    }

    /// Position (line/column) of a byte offset into [`Document::source`].
    ///
    /// The first few positions (a report's few findings) are counted from the start of the
    /// document; after four of them, a table of line starts answers.
    pub fn position_of(&self, offset: usize) -> Position {
        let at = offset.min(self.text.len());
        let (line_idx, line_start) = match self.line_starts.get() {
            None if self.positions_asked.fetch_add(1, Ordering::Relaxed) < DIRECT_POSITIONS => {
                let before = self.text.as_bytes().get(..at).unwrap_or_default();
                let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
                (count_newlines(before), start)
            }
            _ => {
                let starts = self.line_starts.get_or_init(|| line_starts(&self.text));
                let offset32 = u32::try_from(at).unwrap_or(u32::MAX);
                let line_idx = starts.partition_point(|s| *s <= offset32).saturating_sub(1);
                (
                    line_idx,
                    starts.get(line_idx).copied().unwrap_or(0) as usize,
                )
            }
        };
        let column = self
            .text
            .get(line_start..at)
            .map_or(0, |s| s.chars().count());
        Position {
            offset: offset as u64 + u64::from(self.base),
            line: u32::try_from(line_idx + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }

    fn str(&self, span: Span) -> &str {
        let range = span.start as usize..(span.start as usize + span.len as usize);
        let src: &str = if span.decoded {
            &self.decoded
        } else {
            &self.text
        };
        src.get(range).unwrap_or_default()
    }

    /// The 1-based sibling index of a node (see [`Node::sibling_index`]). Paths are mostly
    /// asked for the nodes of a few findings: counting the preceding siblings on the way is
    /// cheaper than indexing the whole document. Past [`SIBLING_SCAN`] siblings, the index of
    /// every node is built once in a single pass, so that paths stay linear even for documents
    /// with many siblings and many findings.
    pub(crate) fn sibling_index(&self, node: Node<'_>) -> u32 {
        let at = node.id().index();
        if let Some(all) = self.sibling_indexes.get() {
            return all.get(at).copied().unwrap_or(1);
        }
        let key = self.sibling_key(node);
        let mut n = 1;
        let mut prev = node.prev_sibling();
        for _ in 0..SIBLING_SCAN {
            let Some(p) = prev else {
                return n;
            };
            if self.sibling_key(p) == key {
                n += 1;
            }
            prev = p.prev_sibling();
        }
        if prev.is_none() {
            return n;
        }
        self.sibling_indexes().get(at).copied().unwrap_or(1)
    }

    /// The sibling index of every node, computed in one pass.
    fn sibling_indexes(&self) -> &[u32] {
        self.sibling_indexes.get_or_init(|| {
            let mut out = vec![1u32; self.nodes.len()];
            let mut counts = SiblingCounts::default();
            for parent in self.nodes() {
                counts.clear();
                for child in parent.children() {
                    if let Some(slot) = out.get_mut(child.id().index()) {
                        *slot = counts.next(self.sibling_key(child));
                    }
                }
            }
            out
        })
    }

    /// What makes siblings count as "the same" for [`Node::sibling_index`].
    fn sibling_key<'d>(&'d self, child: Node<'d>) -> SiblingKey<'d> {
        match child.kind() {
            NodeKind::Element => (
                0,
                self.data(child.id()).map_or(0, |d| d.ns),
                child.local_name(),
            ),
            NodeKind::Text | NodeKind::CData => (1, 0, ""),
            NodeKind::Comment => (2, 0, ""),
            NodeKind::ProcessingInstruction => (3, 0, ""),
            NodeKind::Document => (4, 0, ""),
        }
    }

    fn namespace(&self, idx: u32) -> &str {
        self.namespaces.get(idx as usize).map_or("", |s| s)
    }

    fn data(&self, id: NodeId) -> Option<&NodeData> {
        self.nodes.get(id.index())
    }
}

/// At most this many preceding siblings are counted for one node's sibling index before
/// [`Document::sibling_indexes`] indexes them all.
const SIBLING_SCAN: usize = 64;

/// A sibling's kind (0 element, 1 text, …), namespace index and local name.
type SiblingKey<'d> = (u8, u32, &'d str);

/// Per parent, how many children of each kind and name have been seen: a short list while
/// there are few distinct names (as in most documents), a hash map beyond.
#[derive(Default)]
struct SiblingCounts<'d> {
    few: Vec<(SiblingKey<'d>, u32)>,
    many: std::collections::HashMap<SiblingKey<'d>, u32>,
}

impl<'d> SiblingCounts<'d> {
    const FEW: usize = 16;

    fn clear(&mut self) {
        self.few.clear();
        self.many.clear();
    }

    /// Counts one more child with `key`; its 1-based index among those with the same key.
    fn next(&mut self, key: SiblingKey<'d>) -> u32 {
        if let Some((_, n)) = self.few.iter_mut().find(|(k, _)| *k == key) {
            *n += 1;
            return *n;
        }
        if self.few.len() < Self::FEW {
            self.few.push((key, 1));
            return 1;
        }
        let n = self.many.entry(key).or_insert(0);
        *n += 1;
        *n
    }
}

/// How many positions [`Document::position_of`] counts from the start of the document before
/// it builds a table of line starts (its documentation says four).
const DIRECT_POSITIONS: u32 = 4;

/// The number of `\n` in `bytes` (in blocks the compiler turns into vector instructions).
fn count_newlines(bytes: &[u8]) -> usize {
    let mut blocks = bytes.chunks_exact(32);
    let mut n = 0;
    for b in &mut blocks {
        n += usize::from(b.iter().map(|&c| u8::from(c == b'\n')).sum::<u8>());
    }
    n + blocks.remainder().iter().filter(|&&c| c == b'\n').count()
}

fn line_starts(text: &str) -> Vec<u32> {
    let mut starts = vec![0u32];
    starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| (i + 1) as u32));
    starts
}
