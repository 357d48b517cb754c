//! The XML Schema step of the official XRechnung validation (KoSIT validator configuration).
//!
//! KoSIT validates every invoice first against the XSD of its scenario — the UBL 2.1 Invoice or
//! CreditNote schema, or the UN/CEFACT CII D16B `CrossIndustryInvoice` schema. Any schema error is
//! reported under the pseudo id `XSD` and rejects the invoice, and then no schematron runs.
//!
//! The official XSDs are vendored unmodified in `data/xsd/` (see `data/xsd/NOTICE.md`) and
//! compiled in with [`include_bytes!`] under the locations the KoSIT scenarios use
//! (`xml_schema` in `scenarios.json`, e.g. `xsd/ubl/maindoc/UBL-Invoice-2.1.xsd`); they are the
//! source of truth. Each entry point is made ready on first use (once per process, thread-safe)
//! and then shared.
//!
//! # Start-up: the compact compiled form
//! Compiling the UBL set from its ~630 KB of XSD text takes about 3 ms, too much for a process
//! that validates one invoice. So `data/xsd/compiled/*.bin` holds each set compiled by
//! [`SchemaSet::to_bytes`] (~120 KB for UBL, ~40 KB for CII), which
//! [`SchemaSet::from_bytes`] loads in about a tenth of that; content-model automata are then
//! built lazily, only for the types a document uses. The test
//! `schema::compiled_forms_are_current` recompiles the vendored XSDs and fails when a `.bin`
//! is stale (run it with `EGOV_WRITE_COMPILED_XSD=1` to rewrite them). Should a `.bin` not load
//! (another [`egov_core::xsd::COMPILED_FORMAT_VERSION`]), the XSDs are compiled instead — slower,
//! never wrong.
//!
//! ```
//! use egov_core::xml::Document;
//! use egov_xrechnung::schema;
//!
//! let doc = Document::parse_default(br#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
//!   xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
//!   <cbc:ID>R-1</cbc:ID><cbc:IssueDate>2024-02-30</cbc:IssueDate></Invoice>"#)?;
//! let set = schema::for_document(&doc).expect("a UBL invoice")?;
//! let violations = set.validate(&doc);
//! // (the invoice also lacks required elements: reported at the root, so first)
//! assert!(violations[0].message.contains("incomplete: missing one of"));
//! assert!(violations[1].message.contains("day 30 does not exist in February 2024"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::OnceLock;

use egov_core::xml::Document;
use egov_core::xsd::SchemaSet;
use egov_core::Error;

/// Location of the UBL 2.1 Invoice schema (the `xml_schema` of the UBL Invoice scenarios).
pub const UBL_INVOICE: &str = "xsd/ubl/maindoc/UBL-Invoice-2.1.xsd";
/// Location of the UBL 2.1 CreditNote schema.
pub const UBL_CREDIT_NOTE: &str = "xsd/ubl/maindoc/UBL-CreditNote-2.1.xsd";
/// Location of the UN/CEFACT CII D16B schema.
pub const CII: &str = "xsd/cii/CrossIndustryInvoice_100pD16B.xsd";

/// Namespace of the UBL 2.1 `Invoice` document element.
pub const UBL_INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
/// Namespace of the UBL 2.1 `CreditNote` document element.
pub const UBL_CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
/// Namespace of the CII `CrossIndustryInvoice` document element.
pub const CII_NS: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";

/// The vendored schema documents: (location, bytes).
const FILES: &[(&str, &[u8])] = &[
    (
        "xsd/cii/CrossIndustryInvoice_100pD16B.xsd",
        include_bytes!("../data/xsd/cii/CrossIndustryInvoice_100pD16B.xsd"),
    ),
    (
        "xsd/cii/CrossIndustryInvoice_QualifiedDataType_100pD16B.xsd",
        include_bytes!("../data/xsd/cii/CrossIndustryInvoice_QualifiedDataType_100pD16B.xsd"),
    ),
    (
        "xsd/cii/CrossIndustryInvoice_ReusableAggregateBusinessInformationEntity_100pD16B.xsd",
        include_bytes!("../data/xsd/cii/CrossIndustryInvoice_ReusableAggregateBusinessInformationEntity_100pD16B.xsd"),
    ),
    (
        "xsd/cii/CrossIndustryInvoice_UnqualifiedDataType_100pD16B.xsd",
        include_bytes!("../data/xsd/cii/CrossIndustryInvoice_UnqualifiedDataType_100pD16B.xsd"),
    ),
    (
        "xsd/ubl/common/CCTS_CCT_SchemaModule-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/CCTS_CCT_SchemaModule-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-CommonAggregateComponents-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-CommonAggregateComponents-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-CommonBasicComponents-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-CommonBasicComponents-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-CommonExtensionComponents-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-CommonExtensionComponents-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-CommonSignatureComponents-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-CommonSignatureComponents-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-CoreComponentParameters-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-CoreComponentParameters-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-ExtensionContentDataType-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-ExtensionContentDataType-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-QualifiedDataTypes-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-QualifiedDataTypes-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-SignatureAggregateComponents-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-SignatureAggregateComponents-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-SignatureBasicComponents-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-SignatureBasicComponents-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-UnqualifiedDataTypes-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-UnqualifiedDataTypes-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-XAdESv132-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-XAdESv132-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-XAdESv141-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-XAdESv141-2.1.xsd"),
    ),
    (
        "xsd/ubl/common/UBL-xmldsig-core-schema-2.1.xsd",
        include_bytes!("../data/xsd/ubl/common/UBL-xmldsig-core-schema-2.1.xsd"),
    ),
    (
        "xsd/ubl/maindoc/UBL-CreditNote-2.1.xsd",
        include_bytes!("../data/xsd/ubl/maindoc/UBL-CreditNote-2.1.xsd"),
    ),
    (
        "xsd/ubl/maindoc/UBL-Invoice-2.1.xsd",
        include_bytes!("../data/xsd/ubl/maindoc/UBL-Invoice-2.1.xsd"),
    ),
];

/// The compiled forms of the three entry points: (entry location, file name, bytes).
const COMPILED: &[(&str, &str, &[u8])] = &[
    (
        UBL_INVOICE,
        "ubl-invoice.bin",
        include_bytes!("../data/xsd/compiled/ubl-invoice.bin"),
    ),
    (
        UBL_CREDIT_NOTE,
        "ubl-creditnote.bin",
        include_bytes!("../data/xsd/compiled/ubl-creditnote.bin"),
    ),
    (
        CII,
        "cii.bin",
        include_bytes!("../data/xsd/compiled/cii.bin"),
    ),
];

/// The compiled forms shipped for the entry points, as (entry location, file name under
/// `data/xsd/compiled/`, bytes).
pub fn compiled_forms() -> &'static [(&'static str, &'static str, &'static [u8])] {
    COMPILED
}

/// Compiles an entry point from the vendored XSD text (what the compiled forms are made from).
///
/// # Errors
/// When the schema cannot be compiled (not for the vendored entry points).
pub fn compile(entry: &str) -> Result<SchemaSet, Error> {
    SchemaSet::compile(entry, file)
}

/// The vendored schema documents, as (location, bytes), e.g.
/// `("xsd/ubl/common/UBL-CommonBasicComponents-2.1.xsd", …)`.
pub fn files() -> &'static [(&'static str, &'static [u8])] {
    FILES
}

/// The bytes of a vendored schema document by location (`xsd/…`).
pub fn file(location: &str) -> Option<&'static [u8]> {
    FILES
        .iter()
        .find(|(l, _)| *l == location)
        .map(|(_, bytes)| *bytes)
}

fn compiled(
    cell: &'static OnceLock<Result<SchemaSet, Error>>,
    entry: &str,
) -> Result<&'static SchemaSet, Error> {
    cell.get_or_init(|| {
        COMPILED
            .iter()
            .find(|(e, _, _)| *e == entry)
            .and_then(|(_, _, bytes)| SchemaSet::from_bytes(bytes).ok())
            .map_or_else(|| compile(entry), Ok)
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The compiled UBL 2.1 Invoice schema (loaded on first use).
///
/// # Errors
/// Only if the vendored schema could not be compiled (a bug the tests rule out).
pub fn ubl_invoice() -> Result<&'static SchemaSet, Error> {
    static CELL: OnceLock<Result<SchemaSet, Error>> = OnceLock::new();
    compiled(&CELL, UBL_INVOICE)
}

/// The compiled UBL 2.1 CreditNote schema (loaded on first use).
///
/// # Errors
/// Only if the vendored schema could not be compiled (a bug the tests rule out).
pub fn ubl_credit_note() -> Result<&'static SchemaSet, Error> {
    static CELL: OnceLock<Result<SchemaSet, Error>> = OnceLock::new();
    compiled(&CELL, UBL_CREDIT_NOTE)
}

/// The compiled UN/CEFACT CII D16B schema (loaded on first use).
///
/// # Errors
/// Only if the vendored schema could not be compiled (a bug the tests rule out).
pub fn cii() -> Result<&'static SchemaSet, Error> {
    static CELL: OnceLock<Result<SchemaSet, Error>> = OnceLock::new();
    compiled(&CELL, CII)
}

/// The compiled schema of a scenario's `xml_schema` location (`scenarios.json`), e.g.
/// `xsd/ubl/maindoc/UBL-Invoice-2.1.xsd`; `None` for a location that is not one of the three
/// entry points.
pub fn by_location(location: &str) -> Option<Result<&'static SchemaSet, Error>> {
    match location {
        UBL_INVOICE => Some(ubl_invoice()),
        UBL_CREDIT_NOTE => Some(ubl_credit_note()),
        CII => Some(cii()),
        _ => None,
    }
}

/// The schema for a document element: UBL `Invoice`, UBL `CreditNote` or CII
/// `CrossIndustryInvoice`; `None` for anything else (KoSIT has no schema step for it).
pub fn for_root(namespace: &str, local: &str) -> Option<Result<&'static SchemaSet, Error>> {
    match (namespace, local) {
        (UBL_INVOICE_NS, "Invoice") => Some(ubl_invoice()),
        (UBL_CREDIT_NOTE_NS, "CreditNote") => Some(ubl_credit_note()),
        (CII_NS, "CrossIndustryInvoice") => Some(cii()),
        _ => None,
    }
}

/// The schema for a parsed document, chosen by its document element (see [`for_root`]).
pub fn for_document(doc: &Document) -> Option<Result<&'static SchemaSet, Error>> {
    let root = doc.root_element();
    for_root(root.namespace(), root.local_name())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn compiled_forms_load() {
        for (entry, _, bytes) in COMPILED {
            let set = SchemaSet::from_bytes(bytes).unwrap();
            assert_eq!(set.documents().first().map(String::as_str), Some(*entry));
        }
    }

    #[test]
    fn every_entry_point_compiles() {
        for loc in [UBL_INVOICE, UBL_CREDIT_NOTE, CII] {
            let set = by_location(loc).unwrap().unwrap();
            assert_eq!(set.documents().first().map(String::as_str), Some(loc));
        }
        assert_eq!(ubl_invoice().unwrap().documents().len(), 14);
        assert_eq!(cii().unwrap().documents().len(), 4);
        assert!(by_location("xsd/other.xsd").is_none());
    }
}
