//! OASIS UBL 2.1 `Invoice` and `CreditNote` for EN 16931 / XRechnung 3.0.2 (CIUS, Extension,
//! CVD): reading into the [`Invoice`] model and writing from it.
//!
//! The mapping is the CEN EN 16931 UBL binding as the CEN validation artefacts 1.3.15 check it
//! (the `UBL-model` contexts and the `UBL-CR-…` rules listing the UBL elements EN 16931 does not
//! use), plus the XRechnung Extension: sub invoice lines BG-DEX-01 are `cac:SubInvoiceLine`
//! (`cac:SubCreditNoteLine` in a credit note) and third party payments BG-DEX-09 are
//! `cac:PrepaidPayment` (`cbc:ID` BT-DEX-001, `cbc:PaidAmount` BT-DEX-002, `cbc:InstructionID`
//! BT-DEX-003; XRechnung rules BR-DEX-10 … 14).
//!
//! # Reading
//! Every element the reader consumes is carried by a business term, or is syntax that belongs
//! to a mapped construct and carries no information of its own (`cac:TaxScheme/cbc:ID` = `VAT`,
//! `cbc:UBLVersionID` = `2.1`, `cbc:DocumentTypeCode` = `130` of BT-18/BT-128, the placeholders
//! below). Everything else — elements EN 16931 does not use, repetitions beyond the model's
//! cardinality (the first is mapped), unreadable values, amounts in a currency other than the
//! one the model implies, attributes without a business term — is listed as [`Unmapped`].
//! Reading never fails and never panics.
//!
//! Decisions that are not spelled out by a single rule:
//! * **BT-21 Invoice note subject code** is the `#CODE#` prefix of `cbc:Note` (code: ASCII
//!   letters and digits); a note without such a prefix has no subject code.
//! * **BT-31 / BT-32**: a `cac:PartyTaxScheme` whose `cac:TaxScheme/cbc:ID` is `VAT` (compared
//!   like the CEN rules: trimmed, case-insensitive) carries BT-31, any other BT-32, whose
//!   [`Identifier::scheme_id`](crate::model::Identifier) keeps the tax scheme.
//! * **BT-90** is the party identification with `schemeID="SEPA"` of the seller or the payee
//!   (UBL-SR-29, BR-DE-30); the writer puts it into the payee when there is one.
//! * **BG-16** is repeated per BG-17 credit transfer: one `cac:PaymentMeans` per account, BT-81
//!   in each, BT-82 (`@name`) and BT-83, BG-18 and BG-19 in the first (UBL-SR-44/46/47/54/55).
//! * **BT-9** is `cbc:DueDate` in an invoice and `cac:PaymentMeans/cbc:PaymentDueDate` in a credit
//!   note (UBL-CR-412); **BT-11** is `cac:ProjectReference/cbc:ID` in an invoice and a
//!   `cac:AdditionalDocumentReference` with `cbc:DocumentTypeCode` 50 in a credit note (UBL-SR-43).
//! * **BT-110 / BT-111** are the `cac:TaxTotal/cbc:TaxAmount` in BT-5 (the one with the BG-23
//!   subtotals) and in BT-6 (BR-53).
//! * **BT-128** is the line's `cac:DocumentReference/cbc:ID` (at most one per line, UBL-SR-52),
//!   also without `cbc:DocumentTypeCode` 130 (CEN example `ubl-tc434-example5.xml`).
//! * **Placeholders.** UBL requires `cac:OrderReference/cbc:ID` and `cac:CardAccount/cbc:NetworkID`
//!   where EN 16931 has an optional BT-13 resp. no term at all. The writer fills them with `NA`
//!   (the Peppol BIS convention for a missing purchase order reference); the reader treats `NA`
//!   as absent BT-13 when BT-14 is given, and consumes a `NetworkID` of `NA` or `mapped-from-cii`
//!   (the value of the KoSIT test suite), reporting any other network id as unmapped.
//!
//! # Writing
//! `ubl:Invoice` or `ubl:CreditNote` by [`Invoice::is_credit_note`], prefixes `ubl`, `cac`, `cbc`
//! declared on the root, elements in the order of the UBL 2.1 schema sequences, `currencyID` on
//! every amount (BT-5; BT-6 for BT-111), indented, with an XML declaration. Absent optional terms
//! are left out; no element is written for a value the model does not have. A UBL `CreditNote`
//! has no `cac:PrepaidPayment`, so BG-DEX-09 (an Extension group defined for invoices only) is
//! not written for a credit note. Writing is deterministic and never panics; the result is
//! always well-formed XML.
//!
//! For every document `d`, `read(write(read(d)))` gives the same [`Invoice`] as `read(d)` — with
//! the one exception above: BG-DEX-09 of a model whose BT-3 is a credit note code.

use egov_core::xml::Document;

use crate::model::Invoice;
use crate::read::Unmapped;

mod reader;
mod writer;

/// The tax scheme of every EN 16931 tax category and of BT-31/BT-48/BT-63.
const VAT: &str = "VAT";
/// `cbc:DocumentTypeCode` of BT-18 Invoiced object identifier and BT-128 (UNTDID 1001 130).
const INVOICED_OBJECT: &str = "130";
/// `cbc:DocumentTypeCode` of BT-11 Project reference in a credit note (UNTDID 1001 50).
const PROJECT_REFERENCE: &str = "50";
/// `@schemeID` of BT-90 Bank assigned creditor identifier.
const SEPA: &str = "SEPA";
/// What the writer puts into syntax-required elements that have no value in the model.
const PLACEHOLDER: &str = "NA";
/// The `cac:CardAccount/cbc:NetworkID` of the KoSIT test suite, also a placeholder.
const PLACEHOLDER_FROM_CII: &str = "mapped-from-cii";

/// Reads a UBL 2.1 `Invoice` or `CreditNote` into the model. Returns the invoice and everything
/// in the document that the model does not carry.
pub fn read(doc: &Document) -> (Invoice, Vec<Unmapped>) {
    reader::read(doc)
}

/// Writes the model as a UBL 2.1 `Invoice`, or `CreditNote` when BT-3 is a credit note code.
pub fn write(invoice: &Invoice) -> String {
    writer::write(invoice)
}
