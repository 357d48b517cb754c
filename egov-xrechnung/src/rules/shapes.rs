//! Which rules can fire on an element, decided once per *shape* instead of once per node.
//!
//! The shape of an element is the list of names (namespace, prefix, local name) on its path
//! from the root. Most rule contexts (`cac:InvoiceLine/cac:Item`, `//*[ends-with(name(),
//! 'Amount')]`, `/ubl:Invoice`) are decided by the shape alone; the others have content
//! predicates, and the shape still rules most nodes out (see [`Pattern::matches_shape`]). Shapes
//! repeat within an invoice (every line has the same ones) and across invoices, so each syntax
//! keeps a table of the shapes it has seen with their candidate rules per schema. A document
//! then costs one name lookup and one table lookup per element, and only the candidates whose
//! context reads content are matched against the node.
//!
//! The table is bounded ([`MAX_SHAPES`], [`MAX_NAME_KEY`]): elements beyond it take the general
//! path (every rule indexed under the local name is matched), with the same result.
//!
//! [`Pattern::matches_shape`]: egov_core::xpath::Pattern::matches_shape

use egov_core::hash::FxBuild;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use egov_core::xml::{Document, Node};
use egov_core::xpath::{DynamicContext, XNode};

use super::Schema;

/// No shape known: the element takes the general path.
pub(super) const NO_SHAPE: u32 = u32::MAX;
/// The shape of the document node (the parent of the root element).
const DOCUMENT_SHAPE: u32 = 0;
/// Most distinct shapes (and names) remembered per syntax.
const MAX_SHAPES: usize = 1 << 13;
/// Longest name (namespace + prefix + local name) that is remembered.
const MAX_NAME_KEY: usize = 512;

/// A rule that may fire on the elements of a shape.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    /// Index of the rule in its schema.
    pub rule: u32,
    /// The shape decides the match: the context need not be evaluated.
    pub exact: bool,
    /// The alternatives of the context whose shape matches (see
    /// [`Pattern::shape_alternatives`](egov_core::xpath::Pattern::shape_alternatives)).
    pub alts: u64,
}

/// The table's maps: keys are names of 50–100 bytes and pairs of ids, hashed once per element
/// ([`egov_core::hash::Fx`]: word at a time; the table is bounded by [`MAX_SHAPES`]).
type FxMap<K, V> = HashMap<K, V, FxBuild>;

#[derive(Default)]
struct Table {
    /// `namespace \u{1} prefix \u{1} local name` → name id.
    names: FxMap<String, u32>,
    /// (parent shape, name id) → shape id (1-based; 0 is the document).
    shapes: FxMap<(u32, u32), u32>,
    /// Per schema, per shape id: the candidate rules in rule order.
    candidates: Vec<Vec<Box<[Candidate]>>>,
}

/// The shapes seen by one rule set, shared by all threads.
#[derive(Default)]
pub(super) struct Shapes {
    table: RwLock<Table>,
}

impl std::fmt::Debug for Shapes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.table.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Shapes")
            .field("names", &t.names.len())
            .field("shapes", &t.shapes.len())
            .finish()
    }
}

/// The shape ids of one document's nodes, with read access to the candidates.
pub(super) struct DocShapes<'t> {
    ids: Vec<u32>,
    table: RwLockReadGuard<'t, Table>,
}

impl DocShapes<'_> {
    /// The number of nodes of the document.
    pub(super) fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// The candidate rules of schema `schema` for the node with this index, if its shape is known.
    pub(super) fn candidates(&self, schema: usize, node: usize) -> Option<&[Candidate]> {
        let id = *self.ids.get(node)?;
        if id == NO_SHAPE {
            return None;
        }
        self.table
            .candidates
            .get(schema)?
            .get(id as usize)
            .map(|c| &**c)
    }
}

fn name_key(n: &Node<'_>) -> Option<String> {
    let mut k = String::new();
    write_name_key(n, &mut k).then_some(k)
}

/// Writes the table key of `n`'s name into `k` (cleared first); false when it is too long.
fn write_name_key(n: &Node<'_>, k: &mut String) -> bool {
    let (ns, prefix, local) = (n.namespace(), n.prefix(), n.local_name());
    k.clear();
    if ns.len() + prefix.len() + local.len() + 2 > MAX_NAME_KEY {
        return false;
    }
    k.reserve(ns.len() + prefix.len() + local.len() + 2);
    k.push_str(ns);
    k.push('\u{1}');
    k.push_str(prefix);
    k.push('\u{1}');
    k.push_str(local);
    true
}

/// Per document: the name ids found so far, by local-name id of the document index (with the
/// namespace address and prefix they were found for).
#[derive(Default)]
struct DocNames<'d> {
    by_local: Vec<Option<(usize, &'d str, u32)>>,
    /// The key being looked up (reused).
    key: String,
}

impl<'d> DocNames<'d> {
    fn get(&mut self, t: &Table, ctx: &DynamicContext<'_>, n: &Node<'d>) -> u32 {
        let ns = n.namespace().as_ptr() as usize;
        let prefix = n.prefix();
        let local = ctx.local_name_id(*n).map(|l| l as usize);
        if let Some(Some((cached_ns, cached_prefix, id))) = local.and_then(|l| self.by_local.get(l))
        {
            if *cached_ns == ns && *cached_prefix == prefix {
                return *id;
            }
        }
        let id = if write_name_key(n, &mut self.key) {
            t.names.get(self.key.as_str()).copied().unwrap_or(NO_SHAPE)
        } else {
            NO_SHAPE
        };
        if let (Some(l), true) = (local, id != NO_SHAPE) {
            if self.by_local.len() <= l {
                self.by_local.resize((l + 1).max(64), None);
            }
            if let Some(slot) = self.by_local.get_mut(l) {
                *slot = Some((ns, prefix, id));
            }
        }
        id
    }
}

fn parent_shape(ids: &[u32], n: &Node<'_>) -> u32 {
    n.parent()
        .and_then(|p| ids.get(p.id().index()).copied())
        .unwrap_or(NO_SHAPE)
}

impl Shapes {
    /// The shapes of `doc`'s elements; shapes not seen before are added (with their candidates
    /// per schema, computed on the first element that has them) while the table has room.
    pub(super) fn of<'s, 'a>(
        &'s self,
        schemas: &'a [Schema],
        doc: &'a Document,
        ctx: &mut DynamicContext<'a>,
    ) -> DocShapes<'s> {
        let mut ids = vec![NO_SHAPE; doc.node_count()];
        if let Some(d) = ids.first_mut() {
            *d = DOCUMENT_SHAPE;
        }
        if self.lookup(doc, ctx, &mut ids) {
            self.extend(schemas, doc, ctx, &mut ids);
        }
        DocShapes {
            ids,
            table: self.table.read().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Fills in the known shapes; true when some element's shape is not in the table yet.
    fn lookup(&self, doc: &Document, ctx: &DynamicContext<'_>, ids: &mut [u32]) -> bool {
        let t = self.table.read().unwrap_or_else(PoisonError::into_inner);
        let mut names = DocNames::default();
        let mut missing = false;
        for n in doc.nodes().filter(Node::is_element) {
            let parent = parent_shape(ids, &n);
            let name = names.get(&t, ctx, &n);
            let id = if parent == NO_SHAPE || name == NO_SHAPE {
                NO_SHAPE
            } else {
                t.shapes.get(&(parent, name)).copied().unwrap_or(NO_SHAPE)
            };
            missing |= id == NO_SHAPE;
            if let Some(slot) = ids.get_mut(n.id().index()) {
                *slot = id;
            }
        }
        missing
    }

    /// Adds the shapes of the elements still without one (parents before children).
    fn extend<'a>(
        &self,
        schemas: &'a [Schema],
        doc: &'a Document,
        ctx: &mut DynamicContext<'a>,
        ids: &mut [u32],
    ) {
        let mut t = self.table.write().unwrap_or_else(PoisonError::into_inner);
        if t.candidates.len() != schemas.len() {
            // shape 0 is the document node: no element rules
            t.candidates = schemas.iter().map(|_| vec![Box::from([])]).collect();
        }
        for n in doc.nodes().filter(Node::is_element) {
            let i = n.id().index();
            if ids.get(i).is_none_or(|id| *id != NO_SHAPE) {
                continue;
            }
            let parent = parent_shape(ids, &n);
            if parent == NO_SHAPE {
                continue;
            }
            let Some(id) = t.shape(parent, &n, || {
                schemas
                    .iter()
                    .map(|s| s.shape_candidates(XNode::Node(n), ctx))
                    .collect()
            }) else {
                continue;
            };
            if let Some(slot) = ids.get_mut(i) {
                *slot = id;
            }
        }
    }
}

impl Table {
    /// The id of the shape (parent, name of `n`), added with `candidates` if new and there is room.
    fn shape(
        &mut self,
        parent: u32,
        n: &Node<'_>,
        candidates: impl FnOnce() -> Vec<Box<[Candidate]>>,
    ) -> Option<u32> {
        let key = name_key(n)?;
        let name = match self.names.get(&key) {
            Some(id) => *id,
            None if self.names.len() < MAX_SHAPES => {
                let id = self.names.len() as u32;
                self.names.insert(key, id);
                id
            }
            None => return None,
        };
        if let Some(id) = self.shapes.get(&(parent, name)) {
            return Some(*id);
        }
        if self.shapes.len() >= MAX_SHAPES {
            return None;
        }
        let id = self.shapes.len() as u32 + 1;
        for (per_schema, c) in self.candidates.iter_mut().zip(candidates()) {
            per_schema.push(c);
        }
        self.shapes.insert((parent, name), id);
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn reused_keys_find_what_fresh_keys_find() {
        let doc = Document::parse_default(
            br#"<a:Invoice xmlns:a="urn:a" xmlns:b="urn:b"><b:ID>1</b:ID><a:ID/><ID xmlns="urn:b"/><b:Line><b:ID/></b:Line></a:Invoice>"#,
        )
        .unwrap();
        let mut names: FxMap<String, u32> = FxMap::default();
        let mut buf = String::from("left over");
        for (i, n) in doc.nodes().filter(Node::is_element).enumerate() {
            let fresh = name_key(&n).unwrap();
            assert!(write_name_key(&n, &mut buf));
            assert_eq!(buf, fresh);
            names.entry(fresh).or_insert(i as u32);
        }
        // b:ID, a:ID, ID in urn:b (another prefix) are three names; the nested b:ID is the first
        assert_eq!(names.len(), 5);
        for n in doc.nodes().filter(Node::is_element) {
            assert!(write_name_key(&n, &mut buf));
            assert_eq!(names.get(buf.as_str()), names.get(&name_key(&n).unwrap()));
        }
        let h = FxBuild::default();
        assert_eq!(h.hash_one((1u32, 2u32)), h.hash_one((1u32, 2u32)));
        assert_ne!(h.hash_one((1u32, 2u32)), h.hash_one((2u32, 1u32)));
        assert_ne!(h.hash_one("abcdefgh1"), h.hash_one("abcdefgh2"));
    }
}
