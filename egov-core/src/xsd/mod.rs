//! XML Schema 1.0 validation: compile a set of schema documents once into an immutable
//! [`SchemaSet`], validate any number of parsed [`Document`]s against it.
//!
//! ```
//! use egov_core::xml::Document;
//! use egov_core::xsd::SchemaSet;
//!
//! let xsd = br#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
//!     targetNamespace="urn:ex" xmlns="urn:ex" elementFormDefault="qualified">
//!   <xs:element name="Order">
//!     <xs:complexType><xs:sequence>
//!       <xs:element name="ID" type="xs:token"/>
//!       <xs:element name="IssueDate" type="xs:date"/>
//!       <xs:element name="Note" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
//!     </xs:sequence></xs:complexType>
//!   </xs:element>
//! </xs:schema>"#;
//! let schema = SchemaSet::compile("order.xsd", |loc: &str| (loc == "order.xsd").then_some(&xsd[..]))?;
//!
//! let doc = Document::parse_default(
//!     b"<Order xmlns='urn:ex'><ID>A-1</ID><IssueDate>2023-02-30</IssueDate></Order>",
//! )?;
//! let violations = schema.validate(&doc);
//! assert_eq!(violations.len(), 1);
//! assert_eq!(violations[0].path, "/Order/IssueDate[1]");
//! assert!(violations[0].message.contains("day 30 does not exist in February 2023"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How it works
//! * **Loading** is pure: the caller's resolver returns the bytes of a schema document for a
//!   location; `xs:import`/`xs:include` locations are resolved relative to the location of the
//!   document that names them ([`SchemaSet::compile`]). Schema documents are read by a small
//!   dedicated reader that skips annotations and comments with `memchr` (the UBL 2.1 set is
//!   ~630 KB, mostly documentation).
//! * **Compilation** resolves every reference (types, element and attribute declarations,
//!   groups, substitution groups, derivations by extension and restriction), accumulates the
//!   facets of derived simple types, and turns every content model into a deterministic
//!   (Glushkov) automaton over interned element names. Schemas violating Unique Particle
//!   Attribution are rejected, as XML Schema requires; content models are bounded in size
//!   (hostile occurrence ranges are errors, not quadratic work).
//! * **Compact form**: [`SchemaSet::to_bytes`] writes a compiled set in a small, deterministic,
//!   versioned binary form that [`SchemaSet::from_bytes`] loads about ten times faster than
//!   compiling the XSD text (UBL 2.1 Invoice: ~120 KB, well under a millisecond). A loaded set
//!   builds each content-model automaton on first use, so a process that validates one document
//!   only pays for the types that document uses. This is how `egov-xrechnung` ships the KoSIT
//!   schemas.
//! * **Validation** is one pass over the document: per element one hash lookup of its name and
//!   one automaton step, attribute uses by linear scan, simple values checked against the exact
//!   XML Schema 1.0 lexical rules after whitespace normalisation (base64 content, often
//!   megabytes of attachments, is checked in place at several GB/s). Findings are data
//!   ([`SchemaViolation`]), in document order; at most [`DEFAULT_MAX_VIOLATIONS`] are reported by
//!   default, and after the first content-model error inside an element its remaining children
//!   are only checked laxly (a validator cannot know what they were meant to be).
//! * **Conformance** is measured against Xerces (the JDK validator the KoSIT pipeline runs): the
//!   lexical spaces of the built-in types (including `xs:anyURI`'s URI grammar) and the
//!   content-model, attribute and wildcard rules agree on every document of the XRechnung test
//!   corpus and on thousands of mutated invoices.
//!
//! # Supported
//! `xs:import`/`xs:include` (incl. chameleon includes), global and local element and attribute
//! declarations (`form`, `elementFormDefault`, `attributeFormDefault`), `ref`, named and
//! anonymous types, `xs:sequence`/`xs:choice`/`xs:all`/`xs:group` with any `minOccurs`/`maxOccurs`,
//! `xs:any`/`xs:anyAttribute` (`##any`, `##other`, lists with `##targetNamespace`/`##local`;
//! `processContents` strict/lax/skip), `mixed`, `abstract` elements and types, `nillable` with
//! `xsi:nil`, `xsi:type` (derivation checked), `xsi:schemaLocation`/`noNamespaceSchemaLocation`
//! allowed everywhere (never followed), substitution groups, `simpleContent` and
//! `complexContent` extension and restriction, attribute groups, `use` required/optional/
//! prohibited, `fixed` values (compared in the value space), simple types by restriction, list
//! and union with all XML Schema 1.0 facets (enumeration, pattern — XSD regex syntax incl.
//! subtraction, `\i`/`\c` and block escapes —, length/minLength/maxLength, whiteSpace,
//! min/maxInclusive, min/maxExclusive, totalDigits, fractionDigits), every built-in simple type
//! with its exact lexical space, ID uniqueness and IDREF resolution.
//!
//! # Not supported
//! Identity constraints (`xs:unique`/`xs:key`/`xs:keyref` are ignored), `xs:redefine` and
//! `xs:override` (rejected), `block`/`final`/`blockDefault`/`finalDefault` (not enforced),
//! `xs:notation` declarations, schema-for-schemas checks beyond what compilation needs (e.g. the
//! derivation-ok rules for restrictions are assumed, not verified), the defaulting of values
//! into the document (there is no PSVI), and namespace-sensitive comparison of QName-valued
//! enumerations.

mod automaton;
mod binary;
mod compile;
mod components;
pub(crate) mod datatypes;
mod names;
mod reader;
pub(crate) mod regex;
mod validate;

use std::fmt;

use crate::error::Error;
use crate::xml::Document;

use components::{AttrDecl, ElemDecl, ElemId, Pattern, TypeDef, TypeId, Variety, Wildcard};
use names::{FxMap, NameId, Names};

/// The XML Schema instance namespace (`xsi:type`, `xsi:nil`, `xsi:schemaLocation`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The XML Schema namespace.
pub const XS: &str = reader::XS;

/// Version of the format of [`SchemaSet::to_bytes`]; bytes of another version are rejected by
/// [`SchemaSet::from_bytes`].
pub const COMPILED_FORMAT_VERSION: u32 = binary::FORMAT_VERSION;

/// How many violations [`SchemaSet::validate`] reports at most.
pub const DEFAULT_MAX_VIOLATIONS: usize = 100;

/// One way in which a document does not conform to the schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaViolation {
    /// What is wrong, in English, naming the element or attribute as written in the document
    /// and, for content errors, the elements that were expected.
    pub message: String,
    /// Path of the offending element or attribute, e.g.
    /// `/ubl:Invoice/cac:InvoiceLine[2]/cbc:ID[1]` or `…/cbc:Amount[1]/@currencyID`.
    pub path: String,
    /// 1-based line of the element or attribute start.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at {}, line {}, column {})",
            self.message, self.path, self.line, self.column
        )
    }
}

/// A compiled, immutable set of XML Schema documents (`Send + Sync`; compile once, share across
/// threads, validate any number of documents).
pub struct SchemaSet {
    names: Names,
    elems: Vec<ElemDecl>,
    types: Vec<TypeDef>,
    models: Vec<automaton::ContentModel>,
    /// Substitution group members of each head element.
    subst: FxMap<ElemId, Vec<ElemId>>,
    wildcards: Vec<Wildcard>,
    patterns: Vec<Pattern>,
    global_elems: FxMap<NameId, ElemId>,
    global_types: FxMap<NameId, TypeId>,
    global_attrs: FxMap<NameId, AttrDecl>,
    documents: Vec<String>,
}

impl fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaSet")
            .field("documents", &self.documents)
            .field("element_declarations", &self.elems.len())
            .field("types", &self.types.len())
            .field("content_models", &self.models.len())
            .finish()
    }
}

impl SchemaSet {
    /// Compiles the schema whose entry document is at location `entry`.
    ///
    /// `resolver` returns the bytes of the schema document at a location (`None` when there is
    /// none); it is called once per document: for `entry`, then for every `schemaLocation` of an
    /// `xs:include` or `xs:import`, resolved against the location of the document that names it
    /// (`xsd/ubl/maindoc/UBL-Invoice-2.1.xsd` + `../common/UBL-CommonAggregateComponents-2.1.xsd`
    /// → `xsd/ubl/common/UBL-CommonAggregateComponents-2.1.xsd`; locations with a URI scheme or a
    /// leading `/` are passed on unchanged). An import of the XML namespace that cannot be
    /// resolved is skipped (its attributes `xml:lang`, `xml:space`, `xml:base`, `xml:id` are built
    /// in). Nothing is ever fetched by this crate itself.
    ///
    /// # Errors
    /// [`Error::Schema`] naming the document, line and column when a document cannot be resolved
    /// or read, or the schema is not valid or uses an unsupported feature.
    pub fn compile<F, B>(entry: &str, resolver: F) -> Result<SchemaSet, Error>
    where
        F: FnMut(&str) -> Option<B>,
        B: AsRef<[u8]>,
    {
        compile::compile(entry, resolver)
    }

    /// A compact binary form of the compiled set, loadable with [`SchemaSet::from_bytes`] much
    /// faster than compiling the schema documents again (e.g. to embed a precompiled schema in a
    /// binary). Deterministic: the same schema documents give the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        binary::write(self)
    }

    /// Loads a set written by [`SchemaSet::to_bytes`] (of the same format version, see
    /// [`COMPILED_FORMAT_VERSION`]). Every index is checked, so corrupt input is an error.
    ///
    /// # Errors
    /// [`Error::Schema`] when the bytes are not a compiled schema set of this format version.
    pub fn from_bytes(bytes: &[u8]) -> Result<SchemaSet, Error> {
        binary::read(bytes)
    }

    /// Validates a document, reporting at most [`DEFAULT_MAX_VIOLATIONS`] violations (an empty
    /// vector means the document is schema-valid).
    pub fn validate(&self, doc: &Document) -> Vec<SchemaViolation> {
        self.validate_with_limit(doc, DEFAULT_MAX_VIOLATIONS)
    }

    /// Validates a document, stopping after `max_violations` violations (at least one).
    pub fn validate_with_limit(
        &self,
        doc: &Document,
        max_violations: usize,
    ) -> Vec<SchemaViolation> {
        validate::Validator::new(self, max_violations).run(doc)
    }

    /// True when the document conforms (stops at the first violation).
    pub fn is_valid(&self, doc: &Document) -> bool {
        self.validate_with_limit(doc, 1).is_empty()
    }

    /// True when the schema set declares a global element with this name (a possible document
    /// element).
    pub fn declares_element(&self, namespace: &str, local: &str) -> bool {
        let ns = self.names.find_ns(namespace);
        self.names
            .find(ns, local)
            .is_some_and(|n| self.global_elems.contains_key(&n))
    }

    /// The locations of the schema documents that make up the set, entry first.
    pub fn documents(&self) -> &[String] {
        &self.documents
    }

    /// The automaton of a content model (built now if it was not yet).
    fn model(&self, id: u32) -> Option<&automaton::Model> {
        let m = self.models.get(id as usize)?;
        Some(m.built.get_or_init(|| {
            let names_of = |e: ElemId, v: &mut Vec<(NameId, ElemId)>| {
                compile::names_of(&self.elems, &self.subst, e, v);
            };
            // A set loaded from its compact form was compiled (and so checked) before; should
            // its bytes have been tampered with, a model that cannot be built accepts nothing.
            automaton::build(&m.term, &names_of).unwrap_or_default()
        }))
    }

    /// True when type `ty` is `base` or derived from it (by restriction, extension, or as a
    /// member of a union), as `xsi:type` requires.
    fn derives_from(&self, ty: TypeId, base: TypeId) -> bool {
        if base == TypeId::ANY_TYPE {
            return true;
        }
        let mut cur = ty;
        for _ in 0..=self.types.len() {
            if cur == base {
                return true;
            }
            let next = match self.types.get(cur.0 as usize) {
                Some(TypeDef::Simple(s)) => s.base,
                Some(TypeDef::Complex(c)) => c.base,
                None => return false,
            };
            if next == cur {
                break;
            }
            cur = next;
        }
        if let Some(TypeDef::Simple(s)) = self.types.get(base.0 as usize) {
            if let Variety::Union(members) = &s.variety {
                return members.iter().any(|m| self.derives_from(ty, *m));
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SchemaSet>();
    }
}
