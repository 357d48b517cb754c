//! The compiled schema components: element declarations, simple and complex types, attribute
//! uses, wildcards and patterns, all referring to each other by index.

use std::sync::{Arc, OnceLock};

use super::datatypes::{Builtin, Ws};
use super::names::{NameId, NsId};

/// Index of an element declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ElemId(pub(crate) u32);

/// Index of a type definition (0 = `xs:anyType`, then the built-in simple types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TypeId(pub(crate) u32);

impl TypeId {
    /// `xs:anyType`.
    pub(crate) const ANY_TYPE: TypeId = TypeId(0);

    /// The type of a built-in simple type.
    pub(crate) fn builtin(b: Builtin) -> TypeId {
        let i = Builtin::ALL.iter().position(|x| *x == b).unwrap_or(0);
        TypeId(1 + i as u32)
    }
}

/// A `fixed` or `default` value.
#[derive(Debug, Clone)]
pub(crate) struct ValueConstraint {
    pub(crate) fixed: bool,
    pub(crate) value: Box<str>,
}

/// An element declaration (global or local).
#[derive(Debug, Clone)]
pub(crate) struct ElemDecl {
    pub(crate) name: NameId,
    pub(crate) ty: TypeId,
    pub(crate) nillable: bool,
    pub(crate) abstract_: bool,
    pub(crate) constraint: Option<ValueConstraint>,
    /// Head of the substitution group this (global) declaration belongs to.
    pub(crate) subst_head: Option<ElemId>,
}

/// A type definition.
#[derive(Debug)]
pub(crate) enum TypeDef {
    Simple(SimpleType),
    Complex(ComplexType),
}

/// How a simple type's values are built.
#[derive(Debug, Clone)]
pub(crate) enum Variety {
    Atomic,
    List(TypeId),
    Union(Vec<TypeId>),
}

/// Constraining facets, as accumulated along a derivation chain.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facets {
    pub(crate) length: Option<usize>,
    pub(crate) min_length: Option<usize>,
    pub(crate) max_length: Option<usize>,
    /// Every group must match (one group per derivation step; within a group, any pattern).
    pub(crate) patterns: Vec<Vec<u32>>,
    /// Canonical values, sorted.
    pub(crate) enumeration: Option<Vec<Box<str>>>,
    pub(crate) min_inclusive: Option<Box<str>>,
    pub(crate) max_inclusive: Option<Box<str>>,
    pub(crate) min_exclusive: Option<Box<str>>,
    pub(crate) max_exclusive: Option<Box<str>>,
    pub(crate) total_digits: Option<usize>,
    pub(crate) fraction_digits: Option<usize>,
}

impl Facets {
    pub(crate) fn is_empty(&self) -> bool {
        self.length.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.patterns.is_empty()
            && self.enumeration.is_none()
            && self.min_inclusive.is_none()
            && self.max_inclusive.is_none()
            && self.min_exclusive.is_none()
            && self.max_exclusive.is_none()
            && self.total_digits.is_none()
            && self.fraction_digits.is_none()
    }
}

/// A simple type definition.
#[derive(Debug, Clone)]
pub(crate) struct SimpleType {
    pub(crate) name: Option<NameId>,
    pub(crate) base: TypeId,
    pub(crate) variety: Variety,
    /// For atomic types: the built-in type whose lexical rules apply.
    pub(crate) builtin: Builtin,
    pub(crate) ws: Ws,
    /// Boxed: most type definitions are complex or have no facets of their own, and a type
    /// definition is as large as its largest variant.
    pub(crate) facets: Box<Facets>,
}

/// Content type of a complex type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Content {
    Empty,
    Simple(TypeId),
    Elements { model: u32, mixed: bool },
}

/// An attribute use.
#[derive(Debug, Clone)]
pub(crate) struct AttrUse {
    pub(crate) name: NameId,
    pub(crate) ty: TypeId,
    pub(crate) required: bool,
    pub(crate) constraint: Option<ValueConstraint>,
}

/// A global attribute declaration.
#[derive(Debug, Clone)]
pub(crate) struct AttrDecl {
    pub(crate) ty: TypeId,
    pub(crate) constraint: Option<ValueConstraint>,
}

/// Namespace constraint of a wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NsConstraint {
    Any,
    /// `##other`: neither this namespace nor no namespace.
    Not(NsId),
    /// An explicit list (`NsId::NONE` for `##local`).
    Set(Vec<NsId>),
}

impl NsConstraint {
    pub(crate) fn allows(&self, ns: NsId) -> bool {
        match self {
            NsConstraint::Any => true,
            NsConstraint::Not(x) => ns != *x && ns != NsId::NONE,
            NsConstraint::Set(s) => s.contains(&ns),
        }
    }
}

/// `processContents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Process {
    Strict,
    Lax,
    Skip,
}

/// A wildcard (`xs:any`, `xs:anyAttribute`).
#[derive(Debug, Clone)]
pub(crate) struct Wildcard {
    pub(crate) ns: NsConstraint,
    pub(crate) process: Process,
}

/// A complex type definition.
#[derive(Debug, Clone)]
pub(crate) struct ComplexType {
    pub(crate) name: Option<NameId>,
    pub(crate) base: TypeId,
    pub(crate) abstract_: bool,
    pub(crate) content: Content,
    /// Shared with the base type when a derivation does not change them.
    pub(crate) attributes: Arc<[AttrUse]>,
    pub(crate) attr_wildcard: Option<Wildcard>,
}

/// A `pattern` facet value: the XSD source, its translation, and the regex (compiled on first
/// use, since some schemas carry patterns that are expensive to compile and rarely used).
#[derive(Debug)]
pub(crate) struct Pattern {
    pub(crate) source: Box<str>,
    pub(crate) translated: String,
    pub(crate) compiled: OnceLock<Result<regex::Regex, String>>,
}

impl Pattern {
    pub(crate) fn is_match(&self, v: &str) -> Result<bool, &str> {
        let r = self.compiled.get_or_init(|| {
            regex::RegexBuilder::new(&self.translated)
                .size_limit(64 << 20)
                .dfa_size_limit(16 << 20)
                .build()
                .map_err(|e| e.to_string())
        });
        match r {
            Ok(re) => Ok(re.is_match(v)),
            Err(e) => Err(e),
        }
    }
}
