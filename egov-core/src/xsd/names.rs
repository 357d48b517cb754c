//! Interned namespace URIs and expanded names, and a small fast hasher for the tables.

use std::collections::HashMap;
use std::hash::Hasher;

pub(crate) use crate::hash::FxBuild;
/// A `HashMap` with [`crate::hash::Fx`].
pub(crate) type FxMap<K, V> = HashMap<K, V, FxBuild>;

/// Index of an interned namespace URI; 0 is "no namespace".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct NsId(pub(crate) u32);

impl NsId {
    /// No namespace (absent).
    pub(crate) const NONE: NsId = NsId(0);
    /// A namespace of a document that no schema component uses.
    pub(crate) const UNKNOWN: NsId = NsId(u32::MAX);
}

/// Index of an interned expanded name (namespace, local name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct NameId(pub(crate) u32);

#[derive(Debug, Clone, Copy)]
struct Link {
    ns: NsId,
    name: NameId,
    next: u32,
}

/// A distinct local name: its span in the arena, its hash, and the head of its chain of
/// (namespace, name) links.
#[derive(Debug, Clone, Copy)]
struct Local {
    start: u32,
    len: u32,
    hash: u64,
    head: u32,
}

const END: u32 = u32::MAX;

fn hash_str(s: &str) -> u64 {
    let mut h = crate::hash::Fx::default();
    h.write(s.as_bytes());
    // Mix the high bits down: the table is indexed by the low bits.
    let x = h.finish();
    x ^ (x >> 29) ^ (x >> 47)
}

/// The name tables of a schema set: namespaces, and expanded names found by local name through
/// an open-addressing table over one string arena (no allocation per name).
#[derive(Debug, Default)]
pub(crate) struct Names {
    namespaces: Vec<Box<str>>,
    ns_index: FxMap<Box<str>, NsId>,
    arena: String,
    locals: Vec<Local>,
    /// Open addressing: 0 = empty, else index + 1 into `locals`. Length is a power of two.
    slots: Vec<u32>,
    /// Per name: namespace and index into `locals`.
    names: Vec<(NsId, u32)>,
    links: Vec<Link>,
}

impl Names {
    pub(crate) fn new() -> Self {
        let mut n = Names {
            slots: vec![0; 64],
            ..Names::default()
        };
        n.namespaces.push(Box::from(""));
        n.ns_index.insert(Box::from(""), NsId::NONE);
        n
    }

    /// Interns a namespace URI.
    pub(crate) fn ns(&mut self, uri: &str) -> NsId {
        if let Some(id) = self.ns_index.get(uri) {
            return *id;
        }
        let id = NsId(self.namespaces.len() as u32);
        self.namespaces.push(Box::from(uri));
        self.ns_index.insert(Box::from(uri), id);
        id
    }

    /// The id of a namespace URI, if any component uses it.
    #[inline]
    pub(crate) fn find_ns(&self, uri: &str) -> NsId {
        if uri.is_empty() {
            return NsId::NONE;
        }
        self.ns_index.get(uri).copied().unwrap_or(NsId::UNKNOWN)
    }

    /// The URI of a namespace id ("" for none or unknown).
    pub(crate) fn ns_uri(&self, ns: NsId) -> &str {
        self.namespaces.get(ns.0 as usize).map_or("", |s| s)
    }

    fn local_str(&self, l: &Local) -> &str {
        self.arena
            .get(l.start as usize..(l.start + l.len) as usize)
            .unwrap_or("")
    }

    /// Index into `locals` of a local name, or the slot where it would go.
    #[inline]
    fn probe(&self, local: &str, hash: u64) -> Result<u32, usize> {
        let mask = self.slots.len().saturating_sub(1);
        let mut i = (hash as usize) & mask;
        loop {
            match self.slots.get(i) {
                Some(0) | None => return Err(i),
                Some(&s) => {
                    if let Some(l) = self.locals.get(s as usize - 1) {
                        if l.hash == hash && self.local_str(l) == local {
                            return Ok(s - 1);
                        }
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let mut slots = vec![0u32; size];
        let mask = size - 1;
        for (idx, l) in self.locals.iter().enumerate() {
            let mut i = (l.hash as usize) & mask;
            while slots.get(i).is_some_and(|s| *s != 0) {
                i = (i + 1) & mask;
            }
            if let Some(s) = slots.get_mut(i) {
                *s = idx as u32 + 1;
            }
        }
        self.slots = slots;
    }

    /// Interns an expanded name.
    pub(crate) fn name(&mut self, ns: NsId, local: &str) -> NameId {
        let hash = hash_str(local);
        let li = match self.probe(local, hash) {
            Ok(li) => {
                let mut cur = self.locals.get(li as usize).map_or(END, |l| l.head);
                while let Some(link) = self.links.get(cur as usize) {
                    if link.ns == ns {
                        return link.name;
                    }
                    cur = link.next;
                }
                li
            }
            Err(slot) => {
                let li = self.locals.len() as u32;
                self.locals.push(Local {
                    start: self.arena.len() as u32,
                    len: local.len() as u32,
                    hash,
                    head: END,
                });
                self.arena.push_str(local);
                if let Some(s) = self.slots.get_mut(slot) {
                    *s = li + 1;
                }
                if self.locals.len() * 2 > self.slots.len() {
                    self.grow();
                }
                li
            }
        };
        let id = NameId(self.names.len() as u32);
        let link = self.links.len() as u32;
        let head = self.locals.get(li as usize).map_or(END, |l| l.head);
        self.links.push(Link {
            ns,
            name: id,
            next: head,
        });
        if let Some(l) = self.locals.get_mut(li as usize) {
            l.head = link;
        }
        self.names.push((ns, li));
        id
    }

    /// The id of an expanded name, if the schema set knows it.
    #[inline]
    pub(crate) fn find(&self, ns: NsId, local: &str) -> Option<NameId> {
        let li = self.probe(local, hash_str(local)).ok()?;
        let mut cur = self.locals.get(li as usize)?.head;
        while let Some(link) = self.links.get(cur as usize) {
            if link.ns == ns {
                return Some(link.name);
            }
            cur = link.next;
        }
        None
    }

    /// Namespace and local name of an interned name.
    pub(crate) fn get(&self, id: NameId) -> (NsId, &str) {
        match self.names.get(id.0 as usize) {
            Some((ns, li)) => (
                *ns,
                self.locals
                    .get(*li as usize)
                    .map_or("", |l| self.local_str(l)),
            ),
            None => (NsId::NONE, ""),
        }
    }

    /// Number of namespaces (including "no namespace").
    pub(crate) fn ns_count(&self) -> usize {
        self.namespaces.len()
    }

    /// Number of names.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// Reserves room for `n` more names.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.names.reserve(n);
        self.links.reserve(n);
        self.locals.reserve(n);
        self.arena.reserve(n * 16);
        let want = (n * 2).next_power_of_two();
        while self.slots.len() < want {
            self.grow();
        }
    }

    /// Namespace of an interned name.
    #[inline]
    pub(crate) fn ns_of(&self, id: NameId) -> NsId {
        self.names
            .get(id.0 as usize)
            .map_or(NsId::NONE, |(ns, _)| *ns)
    }

    /// `{uri}local` or `local` (for messages without a prefix context).
    pub(crate) fn clark(&self, id: NameId) -> String {
        let (ns, local) = self.get(id);
        let uri = self.ns_uri(ns);
        if uri.is_empty() {
            local.to_string()
        } else {
            format!("{{{uri}}}{local}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning() {
        let mut n = Names::new();
        let a = n.ns("urn:a");
        let b = n.ns("urn:b");
        let x = n.name(a, "ID");
        let y = n.name(b, "ID");
        assert_ne!(x, y);
        assert_eq!(n.name(a, "ID"), x);
        assert_eq!(n.find(b, "ID"), Some(y));
        assert_eq!(n.find(NsId::NONE, "ID"), None);
        assert_eq!(n.find_ns("urn:c"), NsId::UNKNOWN);
        assert_eq!(n.clark(y), "{urn:b}ID");
        // many names: the table grows and everything is still found
        let ids: Vec<NameId> = (0..5000).map(|i| n.name(a, &format!("E{i}"))).collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(n.find(a, &format!("E{i}")), Some(*id));
            assert_eq!(n.get(*id).1, format!("E{i}"));
        }
        assert_eq!(n.find(b, "E1"), None);
    }
}
