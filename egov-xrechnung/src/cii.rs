//! UN/CEFACT Cross Industry Invoice D16B (`rsm:CrossIndustryInvoice`) as bound to EN 16931 by
//! CEN (EN 16931-3-3) and profiled by XRechnung 3.0.2: [`read()`] into the model and
//! [`write()`] from it.
//!
//! The binding was reconstructed from the CEN CII schematron (the `BR-…` contexts and tests name
//! the elements of each business term, the `CII-SR-…` rules list what must not be used, the
//! `CII-DT-…` rules restrict attributes), the D16B XSDs (element order) and the KoSIT testsuite
//! and CEN example instances. The reader and the writer name the BT/BG of every element they
//! handle.
//!
//! # Reading
//! * Reading never fails. Every element the reader consumes is marked; what nobody consumed is
//!   reported as [`Unmapped`] (outermost element only), together with values that could not be
//!   read (an invalid date or decimal, a date not in format `102`).
//! * Repetitions beyond the model's cardinality keep the first occurrence and leave the others
//!   unconsumed — except where CII repeats the *same* information by construction, which is
//!   consumed when it is equal: BT-81/BT-82 in every `SpecifiedTradeSettlementPaymentMeans`
//!   (one per BG-17 account), BT-7/BT-8 in several `ApplicableTradeTax`, BT-149/BT-150 in both
//!   the gross and the net price (BR-TMP-3).
//! * Syntax constants that belong to a mapped construct are consumed when they have the value the
//!   binding prescribes: `ram:TypeCode` `VAT` of a tax, `ram:ChargeIndicator`, the document type
//!   code 50/130/916 of `ram:AdditionalReferencedDocument`, `ram:Name` `Project reference` of
//!   BT-11, `ram:LineStatusReasonCode` `GROUP`/`DETAIL` of sub invoice lines. Any other value is
//!   left unconsumed (and so reported) or noted.
//!
//! # Writing
//! Elements in XSD sequence order, prefixes `rsm`, `ram`, `udt`, `qdt` declared on the root,
//! indented, with an XML declaration. Absent optional terms are omitted; a present but empty
//! value (`Some("")`) is written as an empty element so that it reads back unchanged. `currencyID`
//! is written on `ram:TaxTotalAmount` only (CII-DT-031 forbids it on every other amount): BT-5 on
//! BT-110, BT-6 on BT-111.
//!
//! # What CII cannot carry
//! * BG-DEX-09 THIRD PARTY PAYMENT has no CII binding (XRechnung binds BR-DEX-09 … 14 for UBL
//!   `cac:PrepaidPayment` only); [`write()`] does not write it.
//! * BG-3 is 0..n in EN 16931 but `ram:InvoiceReferencedDocument` is 0..1 in the D16B XSD; a model
//!   with several preceding invoice references is written with all of them, which the XSD then
//!   rejects (no reference is dropped silently).
//! * BG-DEX-01 sub invoice lines are written as flat line items linked by
//!   `ram:AssociatedDocumentLineDocument/ram:ParentLineID`, with `ram:LineStatusReasonCode`
//!   `GROUP` (a line with sub lines) or `DETAIL` (a sub line without sub lines), the convention of
//!   the ZUGFeRD/Factur-X EXTENDED profile. XRechnung does not support sub invoice lines in CII:
//!   BR-DEX-15 warns on any `ram:ParentLineID` (CEN's CII-SR-036 … 038 name these elements as
//!   unused, but test them on the line item itself, where they never stand). The reader nests the
//!   lines again by `ParentLineID`, whatever their order.
//! * BT-29 Seller identifiers without a scheme are `ram:ID`, those with one `ram:GlobalID`; the XSD
//!   puts all `ram:ID` first, so a model with mixed identifiers comes back in that order.

use egov_core::xml::Document;

use crate::model::Invoice;
use crate::read::Unmapped;

mod reader;
mod writer;

/// `ram:TypeCode` of every tax construct (CII-DT-037: "TypeCode shall be 'VAT'").
const TAX_TYPE_VAT: &str = "VAT";
/// `@schemeID` of `ram:SpecifiedTaxRegistration/ram:ID` for a VAT identifier (BT-31, BT-48,
/// BT-63); anything else is a BT-32 Seller tax registration identifier (normally `FC`).
const SCHEME_VAT: &str = "VA";
/// `@format` of every date: UNTDID 2379 code 102, `CCYYMMDD` (CII-DT-097).
const DATE_FORMAT_102: &str = "102";
/// `ram:AdditionalReferencedDocument/ram:TypeCode` of BT-17 Tender or lot reference.
const DOCUMENT_TENDER: &str = "50";
/// `ram:AdditionalReferencedDocument/ram:TypeCode` of BT-18 Invoiced object identifier and of
/// BT-128 Invoice line object identifier.
const DOCUMENT_OBJECT: &str = "130";
/// `ram:AdditionalReferencedDocument/ram:TypeCode` of BG-24 Additional supporting documents.
const DOCUMENT_SUPPORTING: &str = "916";
/// `ram:SpecifiedProcuringProject/ram:Name` of BT-11 (the XSD requires a name; EN 16931 has none).
const PROJECT_REFERENCE_NAME: &str = "Project reference";
/// `ram:LineStatusReasonCode` of a line that has sub invoice lines (BG-DEX-01).
const LINE_STATUS_GROUP: &str = "GROUP";
/// `ram:LineStatusReasonCode` of a sub invoice line that has no sub invoice lines itself.
const LINE_STATUS_DETAIL: &str = "DETAIL";
/// How deep the reader nests sub invoice lines; a deeper line is kept one level up as a new
/// top-level line, and noted. Bounds recursion on hostile input.
const MAX_SUB_LINE_DEPTH: usize = 32;

/// Reads a CII D16B `rsm:CrossIndustryInvoice` into the model, with everything the model does not
/// carry. Never fails and never panics: a document that is not a CII invoice gives an empty
/// [`Invoice`] and reports its root's content as unmapped.
pub fn read(doc: &Document) -> (Invoice, Vec<Unmapped>) {
    reader::read(doc)
}

/// Writes the model as a CII D16B `rsm:CrossIndustryInvoice` (UTF-8, indented, with an XML
/// declaration). Always well-formed XML, for any model.
pub fn write(invoice: &Invoice) -> String {
    writer::write(invoice)
}
