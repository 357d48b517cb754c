//! The two syntaxes of EN 16931: detection from the root element, reading into the model and
//! writing from it.

use std::borrow::Cow;

use egov_core::xml::{Document, Limits, Node};
use serde::{Deserialize, Serialize};

use crate::model::Invoice;
use crate::read::Unmapped;
use crate::{cii, ubl, Error, Result};

/// UBL 2.1 Invoice namespace.
pub const UBL_INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
/// UBL 2.1 CreditNote namespace.
pub const UBL_CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
/// UBL 2.1 common aggregate components (`cac`).
pub const CAC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
/// UBL 2.1 common basic components (`cbc`).
pub const CBC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
/// UBL 2.1 common extension components (`ext`).
pub const EXT_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2";
/// CII D16B root (`rsm`).
pub const RSM_NS: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
/// CII D16B reusable aggregate business information entities (`ram`).
pub const RAM_NS: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
/// CII D16B unqualified data types (`udt`).
pub const UDT_NS: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";
/// CII D16B qualified data types (`qdt`).
pub const QDT_NS: &str = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";

/// The syntax of an EN 16931 invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Syntax {
    /// OASIS UBL 2.1 (Invoice or CreditNote).
    Ubl,
    /// UN/CEFACT Cross Industry Invoice D16B.
    Cii,
}

impl Syntax {
    /// `"ubl"` or `"cii"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Syntax::Ubl => "ubl",
            Syntax::Cii => "cii",
        }
    }

    /// The syntax of a document, from its root element.
    pub fn detect(root: Node<'_>) -> Option<Syntax> {
        match (root.namespace(), root.local_name()) {
            (UBL_INVOICE_NS, "Invoice") | (UBL_CREDIT_NOTE_NS, "CreditNote") => Some(Syntax::Ubl),
            (RSM_NS, "CrossIndustryInvoice") => Some(Syntax::Cii),
            _ => None,
        }
    }
}

impl std::fmt::Display for Syntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Syntax {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "ubl" => Ok(Syntax::Ubl),
            "cii" | "uncefact" => Ok(Syntax::Cii),
            other => Err(format!("unknown syntax {other:?} (expected ubl or cii)")),
        }
    }
}

/// What reading an invoice gives: the model, the syntax it came in, and every piece of content
/// the reader did not map into the model (never silently dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOutcome {
    /// The invoice.
    pub invoice: Invoice,
    /// The syntax of the input.
    pub syntax: Syntax,
    /// Content not carried by the model: elements no business term covers, values that could not
    /// be read (e.g. an invalid date), repetitions beyond the model's cardinality.
    pub unmapped: Vec<Unmapped>,
}

/// The XML limits used for invoices: large enough for embedded attachments (BT-125), still bounded.
pub fn invoice_limits() -> Limits {
    Limits::large()
}

/// Reads a UBL 2.1 Invoice/CreditNote or CII D16B invoice into the model.
///
/// ```
/// let xml = include_bytes!("../tests/fixtures/minimal-ubl.xml");
/// let read = egov_xrechnung::read(xml)?;
/// assert_eq!(read.syntax, egov_xrechnung::Syntax::Ubl);
/// assert_eq!(read.invoice.invoice_number, "R-2026-1");
/// # Ok::<(), egov_xrechnung::Error>(())
/// ```
pub fn read(bytes: &[u8]) -> Result<ReadOutcome> {
    let doc = Document::parse(bytes, &invoice_limits())?;
    read_document(&doc)
}

/// Reads an already parsed document.
pub fn read_document(doc: &Document) -> Result<ReadOutcome> {
    let root = doc.root_element();
    let syntax = Syntax::detect(root).ok_or_else(|| Error::UnknownSyntax {
        namespace: root.namespace().to_owned(),
        local_name: root.local_name().to_owned(),
    })?;
    let (invoice, unmapped) = match syntax {
        Syntax::Ubl => ubl::read(doc),
        Syntax::Cii => cii::read(doc),
    };
    Ok(ReadOutcome {
        invoice,
        syntax,
        unmapped,
    })
}

/// Writes the invoice in a syntax: UBL as `Invoice` or `CreditNote` by BT-3, CII as
/// `CrossIndustryInvoice`; indented, UTF-8, with the usual prefixes. What the syntax cannot carry
/// is adapted first ([`carried_by`]; [`not_carried`] says what).
pub fn write(invoice: &Invoice, syntax: Syntax) -> String {
    let (carried, changes) = carried_by(invoice, syntax);
    let invoice = if changes.is_empty() {
        invoice
    } else {
        &carried
    };
    match syntax {
        Syntax::Ubl => ubl::write(invoice),
        Syntax::Cii => cii::write(invoice),
    }
}

/// The invoice as `syntax` can carry it, and what had to change, each with the standard's
/// reason. [`write()`] writes exactly this, so `read(write(i, s)) == carried_by(i, s).0`.
///
/// - CII, BG-DEX-09 third party payments: XRechnung binds them to UBL only (`cac:PrepaidPayment`,
///   BR-DEX-09 … BR-DEX-14).
/// - CII, BG-3 beyond the first: the D16B schema allows one `ram:InvoiceReferencedDocument`.
/// - CII, BG-DEX-01 sub invoice lines of an XRechnung: XRechnung does not support them in CII
///   (BR-DEX-15); other profiles (ZUGFeRD/Factur-X EXTENDED) keep them as `ram:ParentLineID`.
/// - UBL CreditNote, BG-DEX-09: the CreditNote has no `cac:PrepaidPayment`.
/// - UBL, BT-110 absent although BG-23 is given: `cac:TaxTotal/cbc:TaxAmount` is mandatory in the
///   UBL schema, so it is written as the sum of BT-117 (what BR-CO-14 requires it to be).
pub fn carried_by(invoice: &Invoice, syntax: Syntax) -> (Cow<'_, Invoice>, Vec<&'static str>) {
    // Cloned only when something has to change (attachments can be megabytes).
    let mut inv = Cow::Borrowed(invoice);
    let mut changes = Vec::new();
    match syntax {
        Syntax::Cii => {
            if !inv.third_party_payments.is_empty() {
                drop_third_party_payments(inv.to_mut());
                changes.push("BG-DEX-09 THIRD PARTY PAYMENT left out, and BT-115 reduced by their amounts (BR-CO-16 without BR-DEX-09): XRechnung binds them to UBL only (cac:PrepaidPayment, BR-DEX-09 … BR-DEX-14)");
            }
            if inv.preceding_invoice_references.len() > 1 {
                inv.to_mut().preceding_invoice_references.truncate(1);
                changes.push("BG-3 PRECEDING INVOICE REFERENCE: only the first written, the CII D16B schema allows one ram:InvoiceReferencedDocument");
            }
            let xrechnung = inv
                .process_control
                .specification_identifier
                .contains("urn:xeinkauf.de:kosit:xrechnung");
            if xrechnung
                && inv
                    .invoice_lines
                    .iter()
                    .any(|l| !l.sub_invoice_lines.is_empty())
            {
                for line in &mut inv.to_mut().invoice_lines {
                    line.sub_invoice_lines.clear();
                }
                changes.push("BG-DEX-01 SUB INVOICE LINE left out: XRechnung does not support sub invoice lines in CII (BR-DEX-15)");
            }
        }
        Syntax::Ubl => {
            if inv.is_credit_note() && !inv.third_party_payments.is_empty() {
                drop_third_party_payments(inv.to_mut());
                changes.push("BG-DEX-09 THIRD PARTY PAYMENT left out, and BT-115 reduced by their amounts: the UBL 2.1 CreditNote has no cac:PrepaidPayment");
            }
            if inv.document_totals.invoice_total_vat_amount.is_none()
                && !inv.vat_breakdowns.is_empty()
            {
                let sum = inv
                    .vat_breakdowns
                    .iter()
                    .filter_map(|v| v.vat_category_tax_amount)
                    .sum();
                inv.to_mut().document_totals.invoice_total_vat_amount = Some(sum);
                changes.push("BT-110 Invoice total VAT amount written as the sum of BT-117: cac:TaxTotal/cbc:TaxAmount is mandatory in UBL (BR-CO-14)");
            }
        }
    }
    (inv, changes)
}

/// Removes BG-DEX-09 and takes its amounts (BT-DEX-002) out of BT-115, which BR-DEX-09 had added
/// them to.
fn drop_third_party_payments(inv: &mut Invoice) {
    let paid: rust_decimal::Decimal = inv
        .third_party_payments
        .iter()
        .filter_map(|p| p.amount)
        .sum();
    inv.third_party_payments.clear();
    if let Some(due) = inv.document_totals.amount_due_for_payment.as_mut() {
        *due -= paid;
    }
}

/// What [`write()`] changes or leaves out for `syntax` (see [`carried_by`]); empty when the invoice
/// is carried unchanged.
pub fn not_carried(invoice: &Invoice, syntax: Syntax) -> Vec<&'static str> {
    carried_by(invoice, syntax).1
}

/// Converts between syntaxes through the model: reads `bytes`, writes `to`.
pub fn convert(bytes: &[u8], to: Syntax) -> Result<(String, ReadOutcome)> {
    let read = read(bytes)?;
    Ok((write(&read.invoice, to), read))
}

/// The model as JSON (the model only, so equal models give equal JSON).
pub fn to_json(invoice: &Invoice) -> String {
    serde_json::to_string_pretty(invoice).unwrap_or_default()
}

/// Reads the model from JSON.
pub fn from_json(json: &[u8]) -> Result<Invoice> {
    serde_json::from_slice(json).map_err(|e| Error::Json {
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })
}
