//! A per-document index of elements by local name, built on first use by a dynamic context:
//! `//x` and `x` (child) steps become range lookups instead of walks over children or the whole
//! document, and a path whose element names do not occur in the document is known to be empty
//! without evaluating it.
//!
//! Local names of name tests are interned process-wide when expressions are compiled, so a
//! document's index resolves each name once; namespaces are compared by the document's interned
//! pointers.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::{Mutex, OnceLock};

use std::rc::Rc;

use super::value::{Item, XNode};
use crate::xml::{Attribute, Document, Node};

/// A hash map keyed by ids (integer keys: [`crate::hash::Fx`]).
pub(crate) type IdMap<K, V> = HashMap<K, V, crate::hash::FxBuild>;

type Interner = OnceLock<Mutex<IdMap<Box<str>, u32>>>;

/// At most this many strings per table: a process compiling ever new expressions (names,
/// paths) must not grow without bound. Beyond it, new strings get id 0 (= not interned: no
/// caching or memoization for them, same results).
const MAX_INTERNED: usize = 1 << 18;

fn intern(table: &'static Interner, s: &str) -> u32 {
    let m = table.get_or_init(|| Mutex::new(IdMap::default()));
    let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(id) = m.get(s) {
        return *id;
    }
    if m.len() >= MAX_INTERNED {
        return 0;
    }
    let next = m.len() as u32 + 1;
    m.insert(s.into(), next);
    next
}

static NAMES: Interner = OnceLock::new();

/// Process-wide ids of the local names and namespaces used in name tests (0 is never used).
pub(crate) fn intern_local(local: &str) -> u32 {
    intern(&NAMES, local)
}

/// Process-wide id of an attribute local name, for absence guards: interned as `@local` among
/// the element names (no element name starts with `@`).
pub(crate) fn intern_attribute(local: &str) -> u32 {
    intern(&NAMES, &attribute_key(local))
}

/// The key an attribute local name is interned under (see [`intern_attribute`]).
pub(crate) fn attribute_key(local: &str) -> String {
    format!("@{local}")
}

/// The local name or namespace an id was interned from (a linear search: for writing compiled
/// forms).
pub(crate) fn interned_name(id: u32) -> Option<String> {
    let m = NAMES.get()?.lock().unwrap_or_else(|e| e.into_inner());
    m.iter()
        .find(|(_, v)| **v == id)
        .map(|(k, _)| k.to_string())
}

/// The interned ids of those of `names` that are interned, and the id the next interned name
/// will get (ids from it on are unknown to the caller).
pub(crate) fn interned_locals<'n>(names: impl Iterator<Item = &'n str>) -> (Vec<u32>, u32) {
    let m = NAMES.get_or_init(|| Mutex::new(IdMap::default()));
    let m = m.lock().unwrap_or_else(|e| e.into_inner());
    let ids = names.filter_map(|n| m.get(n).copied()).collect();
    (ids, m.len() as u32 + 1)
}

static PATHS: Interner = OnceLock::new();

/// Process-wide ids of memoizable absolute paths (by their compiled form).
pub(crate) fn intern_path(key: &str) -> u32 {
    intern(&PATHS, key)
}

/// The key a path memo id was interned from (a linear search: for writing compiled forms).
pub(crate) fn path_key(id: u32) -> Option<String> {
    let m = PATHS.get()?.lock().unwrap_or_else(|e| e.into_inner());
    m.iter()
        .find(|(_, v)| **v == id)
        .map(|(k, _)| k.to_string())
}

#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub id: u32,
    pub ns: usize,
    pub node: Node<'a>,
}

/// An element child of a node: its name list, namespace key and node (see [`DocIndex::kids`]).
#[derive(Clone, Copy)]
pub(crate) struct Kid<'a> {
    pub name: u32,
    pub ns: u32,
    pub node: Node<'a>,
}

pub(crate) struct DocIndex<'a> {
    pub doc: &'a Document,
    /// The elements grouped by local name (list), in document order within a list.
    entries: Vec<Entry<'a>>,
    /// Per list: where its elements start in `entries` (one more entry at the end).
    list_start: Vec<u32>,
    /// The element children of every node, grouped by parent, in document order.
    kids: Vec<Kid<'a>>,
    /// Per node index: where its element children start in `kids` (one more entry at the end).
    kids_start: Vec<u32>,
    by_local: IdMap<&'a str, u32>,
    /// Interned name id → list index + 1 (0: not resolved yet; u32::MAX: absent).
    cache: Vec<u32>,
    /// Distinct element namespaces of the document.
    namespaces: Vec<&'a str>,
    /// Interned namespace id → its key in this document (0: absent; usize::MAX: unresolved).
    ns_cache: Vec<usize>,
    /// Attributes by local name, (owner index, attribute) in document order; built on demand.
    attributes: Option<IdMap<&'a str, Vec<(u32, Attribute<'a>)>>>,
    /// Values of absolute paths (they depend on the document only), by interned path id.
    pub memo: IdMap<u32, Rc<[Item<'a>]>>,
    /// Node sets of the step prefixes of absolute paths, by interned prefix id.
    pub prefix_memo: IdMap<u32, Rc<[XNode<'a>]>>,
    /// Per node index: the element's name list (u32::MAX for other nodes).
    name_of: Vec<u32>,
    /// Values of name-only conditions by (condition id, name list): (prefix, value).
    pub name_memo: IdMap<(u32, u32), (&'a str, bool)>,
    /// Per node index: the hash of the element names on the path from the root (see
    /// [`name_path_step`]); [`NAME_PATH_ROOT`] for the document node, 0 for other nodes.
    name_path: Vec<u64>,
    /// The name paths that occur, as a bit per hash value modulo [`NAME_PATH_BITS`] (a set bit
    /// may stand for another path; a clear one means no element has the path).
    name_path_bits: Box<[u64; NAME_PATH_BITS / 64]>,
}

/// Size of the bitmap of name paths: a few hundred distinct paths (an invoice's structure)
/// leave most bits clear.
const NAME_PATH_BITS: usize = 8192;

/// The word and bit of a name path in the bitmap.
#[inline]
fn name_path_bit(h: u64) -> (usize, u64) {
    let b = (h >> 40) as usize % NAME_PATH_BITS;
    (b / 64, 1 << (b % 64))
}

/// The name path of the document node (see [`name_path_step`]).
pub(crate) const NAME_PATH_ROOT: u64 = 0x9e37_79b9_7f4a_7c15;

/// The name path of a child named (`name` list, namespace key `ns`, as in [`Kid`]) of a node
/// with name path `parent`. Different paths may share a hash; an absent hash means that no
/// element has that path.
#[inline]
pub(crate) fn name_path_step(parent: u64, name: u32, ns: u32) -> u64 {
    (parent.rotate_left(5) ^ (u64::from(name) << 32 | u64::from(ns)))
        .wrapping_mul(0x517c_c1b7_2722_0a95)
}

const EMPTY: &[Entry<'static>] = &[];

impl<'a> DocIndex<'a> {
    pub(crate) fn build(doc: &'a Document) -> Self {
        let count = doc.node_count();
        let mut name_of = vec![u32::MAX; count];
        let mut by_local: IdMap<&'a str, u32> =
            IdMap::with_capacity_and_hasher(128, BuildHasherDefault::default());
        // namespace keys: 1 + position among the distinct namespace URIs ("" included)
        let mut namespaces: Vec<&'a str> = Vec::new();
        let mut last: (usize, usize) = (0, 0); // (pointer, key)
                                               // the elements in document order with their parents; list sizes; children per parent
        let mut elems: Vec<(u32, Kid<'a>)> = Vec::with_capacity(count / 2 + 1);
        let mut list_len: Vec<u32> = Vec::with_capacity(128);
        let mut kids_start = vec![0u32; count + 1];
        let mut name_path = vec![0u64; count];
        let mut name_path_bits = Box::new([0u64; NAME_PATH_BITS / 64]);
        if let Some(h) = name_path.get_mut(doc.document_node().id().index()) {
            *h = NAME_PATH_ROOT;
        }
        for n in doc.nodes() {
            if !n.is_element() {
                continue;
            }
            let ns = n.namespace();
            let p = ns.as_ptr() as usize;
            let key = if p == last.0 && last.1 != 0 {
                last.1
            } else {
                let k = match namespaces.iter().position(|x| super::eval::str_eq(x, ns)) {
                    Some(i) => i + 1,
                    None => {
                        namespaces.push(ns);
                        namespaces.len()
                    }
                };
                last = (p, k);
                k
            };
            let idx = *by_local.entry(n.local_name()).or_insert_with(|| {
                list_len.push(0);
                list_len.len() as u32 - 1
            });
            if let Some(l) = list_len.get_mut(idx as usize) {
                *l += 1;
            }
            if let Some(slot) = name_of.get_mut(n.id().index()) {
                *slot = idx;
            }
            let parent = n.parent().map_or(u32::MAX, |p| p.id().index() as u32);
            if let Some(c) = kids_start.get_mut(parent as usize) {
                *c += 1;
            }
            // parents come first in document order
            let up = name_path.get(parent as usize).copied().unwrap_or(0);
            let h = name_path_step(up, idx, key as u32);
            if let Some(slot) = name_path.get_mut(n.id().index()) {
                *slot = h;
            }
            let (word, bit) = name_path_bit(h);
            if let Some(w) = name_path_bits.get_mut(word) {
                *w |= bit;
            }
            let kid = Kid {
                name: idx,
                ns: key as u32,
                node: n,
            };
            elems.push((parent, kid));
        }
        list_len.push(0);
        let entries = group(&mut list_len, &elems, |(_, k)| {
            (
                k.name,
                Entry {
                    id: k.node.id().index() as u32,
                    ns: k.ns as usize,
                    node: k.node,
                },
            )
        });
        let kids = group(&mut kids_start, &elems, |(parent, k)| (*parent, *k));
        DocIndex {
            doc,
            entries,
            list_start: list_len,
            kids,
            kids_start,
            by_local,
            cache: Vec::new(),
            namespaces,
            ns_cache: Vec::new(),
            attributes: None,
            memo: IdMap::default(),
            prefix_memo: IdMap::default(),
            name_of,
            name_memo: IdMap::default(),
            name_path,
            name_path_bits,
        }
    }

    /// The name path of an element or the document node (by node index; see
    /// [`name_path_step`]).
    #[inline]
    pub(crate) fn name_path_of(&self, node_index: usize) -> Option<u64> {
        self.name_path.get(node_index).copied().filter(|h| *h != 0)
    }

    /// False when no element has name path `h` (true may be a different path).
    #[inline]
    pub(crate) fn may_have_name_path(&self, h: u64) -> bool {
        let (word, bit) = name_path_bit(h);
        self.name_path_bits.get(word).is_none_or(|w| w & bit != 0)
    }

    /// The element children of the node with this index, in document order.
    #[inline]
    pub(crate) fn kids(&self, node_index: usize) -> &[Kid<'a>] {
        self.kids
            .get(self.kids_range(node_index))
            .unwrap_or_default()
    }

    /// Where the element children of the node with this index are (see [`DocIndex::kid`]).
    #[inline]
    pub(crate) fn kids_range(&self, node_index: usize) -> std::ops::Range<usize> {
        let from = self.kids_start.get(node_index).copied().unwrap_or(0) as usize;
        let to = self.kids_start.get(node_index + 1).copied().unwrap_or(0) as usize;
        from..to
    }

    /// One entry of the table of element children.
    #[inline]
    pub(crate) fn kid(&self, i: usize) -> Option<Kid<'a>> {
        self.kids.get(i).copied()
    }

    /// The name list and namespace key of elements named (`ns`, `local`) (interned ids `id` and
    /// `ns_id`) in this document, as in [`Kid`]; None when no element has that name.
    #[inline]
    pub(crate) fn name_key(
        &mut self,
        id: u32,
        local: &str,
        ns_id: u32,
        ns: &str,
    ) -> Option<(u32, u32)> {
        let ns = self.ns(ns_id, ns);
        if ns == 0 {
            return None;
        }
        let name = self.list_index(id, local)?;
        Some((name, ns as u32))
    }

    /// Attributes with this local name, with their owner's index, in document order.
    pub(crate) fn attributes_named(&mut self, local: &str) -> &[(u32, Attribute<'a>)] {
        let doc = self.doc;
        let map = self.attributes.get_or_insert_with(|| {
            let mut m: IdMap<&'a str, Vec<(u32, Attribute<'a>)>> = IdMap::default();
            for n in doc.nodes() {
                for a in n.attributes() {
                    m.entry(a.local_name())
                        .or_default()
                        .push((n.id().index() as u32, a));
                }
            }
            m
        });
        map.get(local).map_or(&[], Vec::as_slice)
    }

    /// The distinct local names of the document's attributes (namespace declarations are not
    /// attributes).
    pub(crate) fn attribute_local_names(&self) -> Vec<&'a str> {
        match &self.attributes {
            Some(map) => map.keys().copied().collect(),
            None => self.doc.attribute_local_names(),
        }
    }

    /// The distinct local names of the document's elements.
    pub(crate) fn local_names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.by_local.keys().copied()
    }

    /// The name list of an element (by node index).
    pub(crate) fn name_of(&self, node_index: usize) -> Option<u32> {
        self.name_of
            .get(node_index)
            .copied()
            .filter(|v| *v != u32::MAX)
    }

    /// The index of the list of elements with this local name (see [`Kid::name`]); None when
    /// there are none.
    pub(crate) fn list_of(&self, local: &str) -> Option<u32> {
        self.by_local.get(local).copied()
    }

    /// Elements with this local name, in document order (without an interned id).
    pub(crate) fn elements_named(&self, local: &str) -> &[Entry<'a>] {
        self.list_of(local).map_or(EMPTY, |i| self.list(i))
    }

    /// The elements of list `i`, in document order.
    #[inline]
    fn list(&self, i: u32) -> &[Entry<'a>] {
        let from = self.list_start.get(i as usize).copied().unwrap_or(0) as usize;
        let to = self.list_start.get(i as usize + 1).copied().unwrap_or(0) as usize;
        self.entries.get(from..to).unwrap_or(EMPTY)
    }

    /// Elements with this local name (interned id `id`), in document order.
    #[inline]
    pub(crate) fn named(&mut self, id: u32, local: &str) -> &[Entry<'a>] {
        match self.list_index(id, local) {
            Some(i) => self.list(i),
            None => EMPTY,
        }
    }

    /// The index of the list of elements with this local name (interned id `id`); None when
    /// there are none.
    #[inline]
    fn list_index(&mut self, id: u32, local: &str) -> Option<u32> {
        let v = match self.cache.get(id as usize).copied() {
            Some(v) if v != 0 && id != 0 => v,
            _ => self.resolve(id, local),
        };
        (v != u32::MAX).then(|| v - 1)
    }

    /// Looks a local name up (list index + 1, u32::MAX when absent) and caches the answer
    /// under its interned id (not for id 0: not interned).
    #[cold]
    #[inline(never)]
    fn resolve(&mut self, id: u32, local: &str) -> u32 {
        let v = self.by_local.get(local).map_or(u32::MAX, |i| i + 1);
        if id == 0 {
            return v;
        }
        let slot = id as usize;
        if self.cache.len() <= slot {
            self.cache.resize(slot + 1, 0);
        }
        if let Some(c) = self.cache.get_mut(slot) {
            *c = v;
        }
        v
    }

    /// The key elements in namespace `ns` (interned id `id`) have in this document; 0 when no
    /// element has that namespace.
    #[inline]
    pub(crate) fn ns(&mut self, id: u32, ns: &str) -> usize {
        match self.ns_cache.get(id as usize).copied() {
            Some(k) if id != 0 && k != usize::MAX => k,
            _ => self.resolve_ns(id, ns),
        }
    }

    /// [`DocIndex::ns`] when the answer is not cached yet (cached for an interned id).
    #[cold]
    #[inline(never)]
    fn resolve_ns(&mut self, id: u32, ns: &str) -> usize {
        let k = self
            .namespaces
            .iter()
            .position(|d| super::eval::str_eq(d, ns))
            .map_or(0, |i| i + 1);
        if id != 0 {
            let slot = id as usize;
            if self.ns_cache.len() <= slot {
                self.ns_cache.resize(slot + 1, usize::MAX);
            }
            if let Some(c) = self.ns_cache.get_mut(slot) {
                *c = k;
            }
        }
        k
    }
}

/// Groups items by bucket keeping their order within a bucket (a counting sort):
/// `counts[b]` holds the number of items of bucket `b`, with one more slot at the end (0); it
/// becomes the offset of bucket `b` in the result (the last slot: the total).
fn group<S, T: Copy>(counts: &mut [u32], items: &[S], key: impl Fn(&S) -> (u32, T)) -> Vec<T> {
    let mut sum = 0u32;
    for c in counts.iter_mut() {
        sum += *c;
        *c = sum;
    }
    let Some(first) = items.first() else {
        return Vec::new();
    };
    let mut out = vec![key(first).1; items.len()];
    for item in items.iter().rev() {
        let (b, value) = key(item);
        if let Some(end) = counts.get_mut(b as usize) {
            *end -= 1;
            if let Some(slot) = out.get_mut(*end as usize) {
                *slot = value;
            }
        }
    }
    out
}

/// One past the last node index of `n`'s subtree.
pub(crate) fn subtree_end(n: Node<'_>) -> usize {
    let mut cur = n;
    loop {
        if let Some(next) = cur.next_sibling() {
            return next.id().index();
        }
        match cur.parent() {
            Some(p) => cur = p,
            None => return n.document().node_count(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn grouping_keeps_the_order_within_buckets() {
        let items = [
            (2u32, 'a'),
            (0, 'b'),
            (2, 'c'),
            (1, 'd'),
            (0, 'e'),
            (2, 'f'),
        ];
        let mut counts = vec![0u32; 4];
        for (b, _) in &items {
            counts[*b as usize] += 1;
        }
        let out = group(&mut counts, &items, |(b, c)| (*b, *c));
        assert_eq!(out, ['b', 'e', 'd', 'a', 'c', 'f']);
        assert_eq!(counts, [0, 2, 3, 6]);
        let mut none = vec![0u32; 3];
        assert!(group(&mut none, &[] as &[(u32, char)], |(b, c)| (*b, *c)).is_empty());
    }

    /// Elements of the same local name in two namespaces and at several depths.
    const TREE: &[u8] = br#"<a xmlns:p="urn:p"><b/><p:b><c/><b/></p:b>text<c><b/></c><b/></a>"#;

    #[test]
    fn name_paths_tell_absent_child_paths() {
        let doc = Document::parse_default(TREE).unwrap();
        let mut ix = DocIndex::build(&doc);
        // the name path of (namespace, local name) steps from the document node
        let chain = |ix: &mut DocIndex<'_>, steps: &[(&str, &str)]| {
            let mut h = NAME_PATH_ROOT;
            for (ns, local) in steps {
                let (name, key) = ix.name_key(0, local, 0, ns)?;
                h = name_path_step(h, name, key);
            }
            Some(h)
        };
        for n in doc.nodes().filter(Node::is_element) {
            let mut steps: Vec<(&str, &str)> = std::iter::successors(Some(n), Node::parent)
                .filter(Node::is_element)
                .map(|e| (e.namespace(), e.local_name()))
                .collect();
            steps.reverse();
            let h = chain(&mut ix, &steps).unwrap();
            assert_eq!(ix.name_path_of(n.id().index()), Some(h));
            assert!(ix.may_have_name_path(h), "{steps:?}");
        }
        assert_eq!(
            ix.name_path_of(doc.document_node().id().index()),
            Some(NAME_PATH_ROOT)
        );
        for absent in [
            &[("", "a"), ("", "b"), ("", "c")][..],
            &[("", "a"), ("", "c"), ("", "c")],
            &[("", "a"), ("urn:p", "b"), ("", "c"), ("", "b")],
            &[("", "b")],
            &[("", "a"), ("", "a")],
        ] {
            let h = chain(&mut ix, absent).unwrap();
            assert!(!ix.may_have_name_path(h), "{absent:?}");
        }
    }

    #[test]
    fn lists_and_children_agree_with_the_tree() {
        let doc = Document::parse_default(TREE).unwrap();
        let mut ix = DocIndex::build(&doc);
        for n in doc.nodes() {
            let kids: Vec<Node<'_>> = ix.kids(n.id().index()).iter().map(|k| k.node).collect();
            let tree: Vec<Node<'_>> = n.children().filter(Node::is_element).collect();
            assert_eq!(kids, tree);
        }
        for local in ["a", "b", "c", "nope"] {
            let listed: Vec<Node<'_>> = ix.named(0, local).iter().map(|e| e.node).collect();
            let tree: Vec<Node<'_>> = doc
                .nodes()
                .filter(|n| n.is_element() && n.local_name() == local)
                .collect();
            assert_eq!(listed, tree, "{local}");
        }
    }
}
