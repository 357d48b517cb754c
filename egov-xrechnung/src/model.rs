//! The EN 16931-1 semantic model of an electronic invoice, as profiled by XRechnung 3.0.2 (CIUS,
//! Extension, CVD).
//!
//! [`Invoice`] carries every business term BT-1 … BT-165 and every business group BG-1 … BG-32 of
//! EN 16931-1, the XRechnung Extension's sub invoice lines (BG-DEX-01) and third party payments
//! (BG-DEX-09, BT-DEX-001 … 003), and the syntax attributes that map to EN 16931 sub-terms (scheme
//! identifiers `BT-…-1`, BT-158-2, BT-125-1/-2, unit codes). UBL 2.1 Invoice/CreditNote and
//! UN/CEFACT CII D16B readers and writers map to and from it; it crosses the C ABI as JSON. Every
//! field's doc comment names its BT/BG id and the standard's name.
//!
//! # Design decisions
//! * **Syntax-free.** Nothing here says UBL or CII. Whether a UBL writer produces an `Invoice` or a
//!   `CreditNote` follows from BT-3 ([`InvoiceTypeCode::is_credit_note`]).
//! * **Reading never fails on missing content; validation reports it.** A broken file must still be
//!   representable, so a *required* EN 16931 term is
//!   - a [`String`] (or a code newtype over `String`) that is empty when the document lacks it,
//!   - an [`Option`] when the value is typed (amounts, quantities, dates),
//!   - a plain struct for a required group (e.g. BG-4 [`Seller`], BG-22 [`DocumentTotals`]) whose
//!     fields are then empty/`None`.
//!
//!   Optional terms are `Option<T>`, repeatable ones `Vec<T>`. Cardinalities in the doc comments
//!   are EN 16931's.
//! * **Numbers** (amounts, prices, quantities, percentages) are [`Decimal`], which keeps the
//!   lexical scale (`"100.00"` stays two decimals); JSON carries them as strings. **Dates** are
//!   [`NaiveDate`] (JSON `"2024-12-31"`). A value that cannot be parsed into these types is left
//!   `None` by the reader, which reports it.
//! * **Codes** are newtypes from [`crate::codes`] that keep any value verbatim and know whether it
//!   is in the official list; unknown codes are never dropped.
//! * **Currencies of amounts.** All amounts are in the invoice currency BT-5, except BT-111 which
//!   is in the VAT accounting currency BT-6 — this is what both syntaxes require of their
//!   `currencyID` attributes, so the model stores no per-amount currency.
//! * **BG-14 Invoicing period** is kept at the top level of [`Invoice`] (EN 16931-1 lists it under
//!   BG-13 Delivery information; both syntaxes and the KoSIT semantic model of XRechnung place it
//!   at document level).
//! * **BG-DEX-01 Sub invoice lines** reuse [`InvoiceLine`] recursively
//!   ([`InvoiceLine::sub_invoice_lines`]), as the KoSIT semantic model does; within a sub invoice
//!   line the groups are BG-DEX-02 … BG-DEX-08.
//! * **Payment instructions** (BG-16) are one group with repeatable credit transfers (BG-17), as in
//!   EN 16931. Both syntaxes repeat their payment-means element per account; readers map the
//!   repetitions into BG-17 entries.
//! * JSON is compact: absent optional terms and empty lists are omitted, and every struct accepts
//!   partial JSON (missing fields take their defaults).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::codes::{
    AllowanceReasonCode, ChargeReasonCode, CountryCode, CurrencyCode, EasCode, InvoiceTypeCode,
    ItemClassificationSchemeCode, MimeCode, NoteSubjectCode, ObjectSchemeCode, PaymentMeansCode,
    UnitCode, VatCategoryCode, VatExemptionReasonCode, VatPointDateCode,
};

/// BT-24 Specification identifier of an XRechnung 3.0 invoice (CIUS), as the XRechnung schematron
/// builds it (variable `XR-CIUS-ID`).
pub const XRECHNUNG_CIUS_ID: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0";

/// BT-24 Specification identifier of an invoice using the XRechnung 3.0 Extension (variable
/// `XR-EXTENSION-ID`).
pub const XRECHNUNG_EXTENSION_ID: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0\
#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0";

/// BT-24 Specification identifier of an XRechnung invoice under the Clean Vehicles Directive
/// profile 0.9 (variable `XR-CVD-ID`).
pub const XRECHNUNG_CVD_ID: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0\
#compliant#urn:xeinkauf.de:kosit:xrechnung:cvd_0.9";

/// BT-160 Item attribute name that carries the CVD clean vehicle attribute (BR-DE-CVD-03/05/06).
pub const CVD_ATTRIBUTE_NAME: &str = "cva";

/// Parses an `xs:decimal` lexical value — what UBL and CII carry in amounts, prices, quantities and
/// percentages — into a [`Decimal`] that keeps its scale, without losing digits.
///
/// Surrounding XML whitespace is ignored. Returns `None` for anything that is not an `xs:decimal`
/// (exponents, commas, digit separators, inner blanks; `Decimal`'s own parser would accept some of
/// these) and for values a [`Decimal`] cannot hold exactly (more than 28 fraction digits, more than
/// 96 bits of mantissa) — a reader leaves the term `None` and reports the value instead of silently
/// rounding it. A leading `+` and the sign of zero are not kept (`"+1.5"` gives `1.5`, `"-0.00"`
/// gives `0.00`).
pub fn parse_xs_decimal(lexical: &str) -> Option<Decimal> {
    let text = lexical.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let value = Decimal::from_str_exact(text).ok()?;
    (usize::try_from(value.scale()).ok() == Some(frac.len())).then_some(value)
}

// ------------------------------------------------------------------------------------------------
// Common value types
// ------------------------------------------------------------------------------------------------

/// An identifier with an optional identification scheme identifier (the `…-1` sub-term of EN
/// 16931), e.g. BT-29 Seller identifier with BT-29-1 Seller identifier identification scheme
/// identifier.
///
/// For most identifiers the scheme is an ISO 6523 ICD code (check it with
/// [`crate::codes::IcdCode`]); for BT-32 it is the syntax's tax-scheme code (see
/// [`Seller::tax_registration_identifier`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Identifier {
    /// The identifier as written.
    pub value: String,
    /// Identification scheme identifier (`BT-…-1`), verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme_id: Option<String>,
}

impl Identifier {
    /// An identifier without scheme.
    pub fn new(value: impl Into<String>) -> Self {
        Identifier {
            value: value.into(),
            scheme_id: None,
        }
    }

    /// An identifier with a scheme identifier.
    pub fn with_scheme(value: impl Into<String>, scheme_id: impl Into<String>) -> Self {
        Identifier {
            value: value.into(),
            scheme_id: Some(scheme_id.into()),
        }
    }
}

/// An electronic address: BT-34 Seller electronic address with BT-34-1, or BT-49 Buyer electronic
/// address with BT-49-1 (scheme identifier from the CEF EAS list).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ElectronicAddress {
    /// The address (BT-34 / BT-49), e.g. an e-mail address, a Leitweg-ID or a Peppol participant
    /// id.
    pub value: String,
    /// Electronic address scheme identifier (BT-34-1 / BT-49-1), EAS code; required by EN 16931
    /// when the address is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme_id: Option<EasCode>,
}

/// An object identifier with its scheme: BT-18 Invoiced object identifier with BT-18-1, or BT-128
/// Invoice line object identifier with BT-128-1 (scheme identifier from UNTDID 1153).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ObjectIdentifier {
    /// The identifier (BT-18 / BT-128).
    pub value: String,
    /// Scheme identifier (BT-18-1 / BT-128-1), UNTDID 1153 code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme_id: Option<ObjectSchemeCode>,
}

/// A postal address. Used for BG-5 SELLER POSTAL ADDRESS (BT-35, BT-36, BT-162, BT-37, BT-38,
/// BT-39, BT-40), BG-8 BUYER POSTAL ADDRESS (BT-50, BT-51, BT-163, BT-52, BT-53, BT-54, BT-55),
/// BG-12 SELLER TAX REPRESENTATIVE POSTAL ADDRESS (BT-64, BT-65, BT-164, BT-66, BT-67, BT-68,
/// BT-69) and BG-15 DELIVER TO ADDRESS (BT-75, BT-76, BT-165, BT-77, BT-78, BT-79, BT-80).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PostalAddress {
    /// BT-35 Seller address line 1 / BT-50 Buyer address line 1 / BT-64 Tax representative address
    /// line 1 / BT-75 Deliver to address line 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line_1: Option<String>,
    /// BT-36 Seller address line 2 / BT-51 Buyer address line 2 / BT-65 Tax representative address
    /// line 2 / BT-76 Deliver to address line 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line_2: Option<String>,
    /// BT-162 Seller address line 3 / BT-163 Buyer address line 3 / BT-164 Tax representative
    /// address line 3 / BT-165 Deliver to address line 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line_3: Option<String>,
    /// BT-37 Seller city / BT-52 Buyer city / BT-66 Tax representative city / BT-77 Deliver to
    /// city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// BT-38 Seller post code / BT-53 Buyer post code / BT-67 Tax representative post code / BT-78
    /// Deliver to post code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_code: Option<String>,
    /// BT-39 Seller country subdivision / BT-54 Buyer country subdivision / BT-68 Tax
    /// representative country subdivision / BT-79 Deliver to country subdivision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_subdivision: Option<String>,
    /// BT-40 Seller country code / BT-55 Buyer country code / BT-69 Tax representative country code
    /// / BT-80 Deliver to country code (1..1; empty when missing).
    pub country_code: CountryCode,
}

/// A contact. Used for BG-6 SELLER CONTACT (BT-41, BT-42, BT-43) and BG-9 BUYER CONTACT (BT-56,
/// BT-57, BT-58).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// BT-41 Seller contact point / BT-56 Buyer contact point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_point: Option<String>,
    /// BT-42 Seller contact telephone number / BT-57 Buyer contact telephone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone_number: Option<String>,
    /// BT-43 Seller contact email address / BT-58 Buyer contact email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

/// A period. Used for BG-14 INVOICING PERIOD (BT-73, BT-74) and BG-26 INVOICE LINE PERIOD (BT-134,
/// BT-135; in a sub invoice line BG-DEX-05 SUB INVOICE LINE PERIOD).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Period {
    /// BT-73 Invoicing period start date / BT-134 Invoice line period start date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    /// BT-74 Invoicing period end date / BT-135 Invoice line period end date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
}

// ------------------------------------------------------------------------------------------------
// The invoice
// ------------------------------------------------------------------------------------------------

/// An electronic invoice or credit note (EN 16931-1 INVOICE; XRechnung 3.0.2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Invoice {
    /// BT-1 Invoice number (1..1).
    pub invoice_number: String,
    /// BT-2 Invoice issue date (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<NaiveDate>,
    /// BT-3 Invoice type code (1..1), UNTDID 1001.
    pub invoice_type_code: InvoiceTypeCode,
    /// BT-5 Invoice currency code (1..1), ISO 4217. Currency of every amount except BT-111.
    pub invoice_currency_code: CurrencyCode,
    /// BT-6 VAT accounting currency code (0..1), ISO 4217. Currency of BT-111.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_accounting_currency_code: Option<CurrencyCode>,
    /// BT-7 Value added tax point date (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_added_tax_point_date: Option<NaiveDate>,
    /// BT-8 Value added tax point date code (0..1), UNTDID 2005 (3, 35, 432); CII readers convert
    /// from UNTDID 2475 with [`VatPointDateCode::from_untdid_2475`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_added_tax_point_date_code: Option<VatPointDateCode>,
    /// BT-9 Payment due date (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_due_date: Option<NaiveDate>,
    /// BT-10 Buyer reference (0..1; XRechnung: required, the Leitweg-ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_reference: Option<String>,
    /// BT-11 Project reference (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_reference: Option<String>,
    /// BT-12 Contract reference (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_reference: Option<String>,
    /// BT-13 Purchase order reference (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase_order_reference: Option<String>,
    /// BT-14 Sales order reference (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales_order_reference: Option<String>,
    /// BT-15 Receiving advice reference (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiving_advice_reference: Option<String>,
    /// BT-16 Despatch advice reference (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub despatch_advice_reference: Option<String>,
    /// BT-17 Tender or lot reference (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tender_or_lot_reference: Option<String>,
    /// BT-18 Invoiced object identifier (0..1) with BT-18-1 scheme identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoiced_object_identifier: Option<ObjectIdentifier>,
    /// BT-19 Buyer accounting reference (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_accounting_reference: Option<String>,
    /// BT-20 Payment terms (0..1); XRechnung writes Skonto as `#SKONTO#TAGE=n#PROZENT=n.nn#` lines
    /// in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<String>,
    /// BG-1 INVOICE NOTE (0..n).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invoice_notes: Vec<InvoiceNote>,
    /// BG-2 PROCESS CONTROL (1..1).
    pub process_control: ProcessControl,
    /// BG-3 PRECEDING INVOICE REFERENCE (0..n).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preceding_invoice_references: Vec<PrecedingInvoiceReference>,
    /// BG-4 SELLER (1..1).
    pub seller: Seller,
    /// BG-7 BUYER (1..1).
    pub buyer: Buyer,
    /// BG-10 PAYEE (0..1), when the payee is not the seller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payee: Option<Payee>,
    /// BG-11 SELLER TAX REPRESENTATIVE PARTY (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_tax_representative: Option<SellerTaxRepresentative>,
    /// BG-13 DELIVERY INFORMATION (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_information: Option<DeliveryInformation>,
    /// BG-14 INVOICING PERIOD (0..1; in EN 16931-1 a sub-group of BG-13, kept here at document
    /// level like both syntaxes do).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoicing_period: Option<Period>,
    /// BG-16 PAYMENT INSTRUCTIONS (0..1; XRechnung: required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_instructions: Option<PaymentInstructions>,
    /// BG-20 DOCUMENT LEVEL ALLOWANCES (0..n).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub document_level_allowances: Vec<DocumentLevelAllowance>,
    /// BG-21 DOCUMENT LEVEL CHARGES (0..n).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub document_level_charges: Vec<DocumentLevelCharge>,
    /// BG-22 DOCUMENT TOTALS (1..1).
    pub document_totals: DocumentTotals,
    /// BG-23 VAT BREAKDOWN (1..n).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vat_breakdowns: Vec<VatBreakdown>,
    /// BG-24 ADDITIONAL SUPPORTING DOCUMENTS (0..n).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_supporting_documents: Vec<AdditionalSupportingDocument>,
    /// BG-25 INVOICE LINE (1..n).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invoice_lines: Vec<InvoiceLine>,
    /// BG-DEX-09 THIRD PARTY PAYMENT (0..n; XRechnung Extension): amounts paid to third parties
    /// that BR-DEX-09 adds to BT-115 Amount due for payment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub third_party_payments: Vec<ThirdPartyPayment>,
}

impl Invoice {
    /// Whether the document is a credit note (by BT-3, see [`InvoiceTypeCode::is_credit_note`]).
    pub fn is_credit_note(&self) -> bool {
        self.invoice_type_code.is_credit_note()
    }

    /// Every invoice line and, depth-first after its parent, every sub invoice line (BG-DEX-01),
    /// with its nesting depth (0 for BG-25 lines).
    pub fn all_lines(&self) -> Vec<(usize, &InvoiceLine)> {
        fn walk<'a>(
            lines: &'a [InvoiceLine],
            depth: usize,
            out: &mut Vec<(usize, &'a InvoiceLine)>,
        ) {
            for line in lines {
                out.push((depth, line));
                walk(&line.sub_invoice_lines, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.invoice_lines, 0, &mut out);
        out
    }
}

/// BG-1 INVOICE NOTE: textual notes relevant to the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceNote {
    /// BT-21 Invoice note subject code (0..1), UNTDID 4451 (UBL writes it as a `#CODE#` prefix of
    /// the note).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_code: Option<NoteSubjectCode>,
    /// BT-22 Invoice note (1..1).
    pub note: String,
}

/// BG-2 PROCESS CONTROL: business process and the rules the invoice claims to follow.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessControl {
    /// BT-23 Business process type (0..1; XRechnung: required for Peppol transport, e.g.
    /// `urn:fdc:peppol.eu:2017:poacc:billing:01:1.0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_process_type: Option<String>,
    /// BT-24 Specification identifier (1..1), e.g. [`XRECHNUNG_CIUS_ID`].
    pub specification_identifier: String,
}

impl ProcessControl {
    /// Whether BT-24 declares the XRechnung 3.0 Extension ([`XRECHNUNG_EXTENSION_ID`]).
    pub fn is_xrechnung_extension(&self) -> bool {
        self.specification_identifier == XRECHNUNG_EXTENSION_ID
    }

    /// Whether BT-24 declares the XRechnung CVD profile ([`XRECHNUNG_CVD_ID`]).
    pub fn is_xrechnung_cvd(&self) -> bool {
        self.specification_identifier == XRECHNUNG_CVD_ID
    }
}

/// BG-3 PRECEDING INVOICE REFERENCE: a previous invoice that is corrected or credited.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PrecedingInvoiceReference {
    /// BT-25 Preceding Invoice reference (1..1).
    pub preceding_invoice_reference: String,
    /// BT-26 Preceding Invoice issue date (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preceding_invoice_issue_date: Option<NaiveDate>,
}

/// BG-4 SELLER.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Seller {
    /// BT-27 Seller name (1..1).
    pub name: String,
    /// BT-28 Seller trading name (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trading_name: Option<String>,
    /// BT-29 Seller identifier (0..n) with BT-29-1 Seller identifier identification scheme
    /// identifier (ICD). The SEPA creditor identifier (UBL `schemeID="SEPA"`) is not a BT-29 but
    /// BT-90 in [`DirectDebit`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<Identifier>,
    /// BT-30 Seller legal registration identifier (0..1) with BT-30-1 scheme identifier (ICD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_registration_identifier: Option<Identifier>,
    /// BT-31 Seller VAT identifier (0..1), with country prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_identifier: Option<String>,
    /// BT-32 Seller tax registration identifier (0..1). `scheme_id` keeps the syntax's tax-scheme
    /// code (UBL `cac:TaxScheme/cbc:ID`, anything but `VAT`; CII `@schemeID`, normally `FC`) so it
    /// round-trips.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_registration_identifier: Option<Identifier>,
    /// BT-33 Seller additional legal information (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_legal_information: Option<String>,
    /// BT-34 Seller electronic address (0..1; XRechnung: required) with BT-34-1 scheme identifier
    /// (EAS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub electronic_address: Option<ElectronicAddress>,
    /// BG-5 SELLER POSTAL ADDRESS (1..1).
    pub postal_address: PostalAddress,
    /// BG-6 SELLER CONTACT (0..1; XRechnung: required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

/// BG-7 BUYER.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Buyer {
    /// BT-44 Buyer name (1..1).
    pub name: String,
    /// BT-45 Buyer trading name (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trading_name: Option<String>,
    /// BT-46 Buyer identifier (0..1) with BT-46-1 Buyer identifier identification scheme identifier
    /// (ICD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// BT-47 Buyer legal registration identifier (0..1) with BT-47-1 scheme identifier (ICD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_registration_identifier: Option<Identifier>,
    /// BT-48 Buyer VAT identifier (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_identifier: Option<String>,
    /// BT-49 Buyer electronic address (0..1; XRechnung: required) with BT-49-1 scheme identifier
    /// (EAS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub electronic_address: Option<ElectronicAddress>,
    /// BG-8 BUYER POSTAL ADDRESS (1..1).
    pub postal_address: PostalAddress,
    /// BG-9 BUYER CONTACT (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

/// BG-10 PAYEE: the party receiving the payment, when it differs from the seller.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Payee {
    /// BT-59 Payee name (1..1).
    pub name: String,
    /// BT-60 Payee identifier (0..1) with BT-60-1 Payee identifier identification scheme identifier
    /// (ICD). The SEPA creditor identifier (UBL `schemeID="SEPA"`) is BT-90 in [`DirectDebit`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// BT-61 Payee legal registration identifier (0..1) with BT-61-1 scheme identifier (ICD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_registration_identifier: Option<Identifier>,
}

/// BG-11 SELLER TAX REPRESENTATIVE PARTY.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SellerTaxRepresentative {
    /// BT-62 Seller tax representative name (1..1).
    pub name: String,
    /// BT-63 Seller tax representative VAT identifier (1..1).
    pub vat_identifier: String,
    /// BG-12 SELLER TAX REPRESENTATIVE POSTAL ADDRESS (1..1).
    pub postal_address: PostalAddress,
}

/// BG-13 DELIVERY INFORMATION (BG-14 Invoicing period is [`Invoice::invoicing_period`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliveryInformation {
    /// BT-70 Deliver to party name (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_to_party_name: Option<String>,
    /// BT-71 Deliver to location identifier (0..1) with BT-71-1 scheme identifier (ICD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_to_location_identifier: Option<Identifier>,
    /// BT-72 Actual delivery date (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_delivery_date: Option<NaiveDate>,
    /// BG-15 DELIVER TO ADDRESS (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_to_address: Option<PostalAddress>,
}

/// BG-16 PAYMENT INSTRUCTIONS.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentInstructions {
    /// BT-81 Payment means type code (1..1), UNTDID 4461.
    pub payment_means_type_code: PaymentMeansCode,
    /// BT-82 Payment means text (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_means_text: Option<String>,
    /// BT-83 Remittance information (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remittance_information: Option<String>,
    /// BG-17 CREDIT TRANSFER (0..n).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credit_transfers: Vec<CreditTransfer>,
    /// BG-18 PAYMENT CARD INFORMATION (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_card: Option<PaymentCard>,
    /// BG-19 DIRECT DEBIT (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_debit: Option<DirectDebit>,
}

/// BG-17 CREDIT TRANSFER: an account to pay into.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CreditTransfer {
    /// BT-84 Payment account identifier (1..1): IBAN for SEPA payments, otherwise an account
    /// number.
    pub payment_account_identifier: String,
    /// BT-85 Payment account name (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_account_name: Option<String>,
    /// BT-86 Payment service provider identifier (0..1), e.g. a BIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_service_provider_identifier: Option<String>,
}

/// BG-18 PAYMENT CARD INFORMATION.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentCard {
    /// BT-87 Payment card primary account number (1..1); should never be the full number (BR-51).
    pub primary_account_number: String,
    /// BT-88 Payment card holder name (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
}

/// BG-19 DIRECT DEBIT.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DirectDebit {
    /// BT-89 Mandate reference identifier (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mandate_reference_identifier: Option<String>,
    /// BT-90 Bank assigned creditor identifier (0..1): the SEPA creditor id of the seller or payee
    /// (UBL writes it as a party identification with `schemeID="SEPA"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_assigned_creditor_identifier: Option<String>,
    /// BT-91 Debited account identifier (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debited_account_identifier: Option<String>,
}

/// BG-20 DOCUMENT LEVEL ALLOWANCES: one allowance on the invoice as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DocumentLevelAllowance {
    /// BT-92 Document level allowance amount (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    /// BT-93 Document level allowance base amount (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_amount: Option<Decimal>,
    /// BT-94 Document level allowance percentage (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentage: Option<Decimal>,
    /// BT-95 Document level allowance VAT category code (1..1), UNTDID 5305.
    pub vat_category_code: VatCategoryCode,
    /// BT-96 Document level allowance VAT rate (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_rate: Option<Decimal>,
    /// BT-97 Document level allowance reason (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// BT-98 Document level allowance reason code (0..1), UNTDID 5189.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<AllowanceReasonCode>,
}

/// BG-21 DOCUMENT LEVEL CHARGES: one charge on the invoice as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DocumentLevelCharge {
    /// BT-99 Document level charge amount (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    /// BT-100 Document level charge base amount (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_amount: Option<Decimal>,
    /// BT-101 Document level charge percentage (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentage: Option<Decimal>,
    /// BT-102 Document level charge VAT category code (1..1), UNTDID 5305.
    pub vat_category_code: VatCategoryCode,
    /// BT-103 Document level charge VAT rate (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_rate: Option<Decimal>,
    /// BT-104 Document level charge reason (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// BT-105 Document level charge reason code (0..1), UNTDID 7161.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<ChargeReasonCode>,
}

/// BG-22 DOCUMENT TOTALS. All amounts in BT-5, except BT-111 in BT-6.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DocumentTotals {
    /// BT-106 Sum of Invoice line net amount (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum_of_invoice_line_net_amount: Option<Decimal>,
    /// BT-107 Sum of allowances on document level (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum_of_allowances_on_document_level: Option<Decimal>,
    /// BT-108 Sum of charges on document level (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum_of_charges_on_document_level: Option<Decimal>,
    /// BT-109 Invoice total amount without VAT (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_total_amount_without_vat: Option<Decimal>,
    /// BT-110 Invoice total VAT amount (0..1), in BT-5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_total_vat_amount: Option<Decimal>,
    /// BT-111 Invoice total VAT amount in accounting currency (0..1), in BT-6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_total_vat_amount_in_accounting_currency: Option<Decimal>,
    /// BT-112 Invoice total amount with VAT (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_total_amount_with_vat: Option<Decimal>,
    /// BT-113 Paid amount (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_amount: Option<Decimal>,
    /// BT-114 Rounding amount (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounding_amount: Option<Decimal>,
    /// BT-115 Amount due for payment (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_due_for_payment: Option<Decimal>,
}

/// BG-23 VAT BREAKDOWN: totals per VAT category and rate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VatBreakdown {
    /// BT-116 VAT category taxable amount (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_category_taxable_amount: Option<Decimal>,
    /// BT-117 VAT category tax amount (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_category_tax_amount: Option<Decimal>,
    /// BT-118 VAT category code (1..1), UNTDID 5305.
    pub vat_category_code: VatCategoryCode,
    /// BT-119 VAT category rate (0..1; XRechnung: required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_category_rate: Option<Decimal>,
    /// BT-120 VAT exemption reason text (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_exemption_reason_text: Option<String>,
    /// BT-121 VAT exemption reason code (0..1), CEF VATEX.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_exemption_reason_code: Option<VatExemptionReasonCode>,
}

/// BG-24 ADDITIONAL SUPPORTING DOCUMENTS: a document referenced, linked or embedded as evidence for
/// the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AdditionalSupportingDocument {
    /// BT-122 Supporting document reference (1..1).
    pub supporting_document_reference: String,
    /// BT-123 Supporting document description (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supporting_document_description: Option<String>,
    /// BT-124 External document location (0..1), an absolute URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_document_location: Option<String>,
    /// BT-125 Attached document (0..1) with BT-125-1 mime code and BT-125-2 filename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attached_document: Option<AttachedDocument>,
}

/// BT-125 Attached document: an embedded binary object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AttachedDocument {
    /// The content, base64-encoded exactly as in the document (line breaks and blanks kept); decode
    /// on demand.
    pub content: String,
    /// BT-125-1 Attached document Mime code (1..1 when BT-125 is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_code: Option<MimeCode>,
    /// BT-125-2 Attached document Filename (1..1 when BT-125 is given; XRechnung: unique per
    /// invoice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

/// BG-25 INVOICE LINE — and, nested in [`InvoiceLine::sub_invoice_lines`], BG-DEX-01 SUB INVOICE
/// LINE of the XRechnung Extension, whose groups are BG-DEX-02 SUB INVOICE ITEM INFORMATION
/// ([`Self::item_information`]), BG-DEX-03/-04 SUB INVOICE LINE ALLOWANCES/CHARGES, BG-DEX-05 SUB
/// INVOICE LINE PERIOD, BG-DEX-06 SUB INVOICE LINE VAT INFORMATION, BG-DEX-07 SUB INVOICE PRICE
/// DETAILS and BG-DEX-08 SUB INVOICE ITEM ATTRIBUTES.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceLine {
    /// BT-126 Invoice line identifier (1..1).
    pub identifier: String,
    /// BT-127 Invoice line note (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// BT-128 Invoice line object identifier (0..1) with BT-128-1 scheme identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_identifier: Option<ObjectIdentifier>,
    /// BT-129 Invoiced quantity (1..1; may be absent in a grouping sub invoice line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoiced_quantity: Option<Decimal>,
    /// BT-130 Invoiced quantity unit of measure code (1..1), UN/ECE Rec 20/21.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoiced_quantity_unit_code: Option<UnitCode>,
    /// BT-131 Invoice line net amount (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_amount: Option<Decimal>,
    /// BT-132 Referenced purchase order line reference (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referenced_purchase_order_line_reference: Option<String>,
    /// BT-133 Invoice line Buyer accounting reference (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_accounting_reference: Option<String>,
    /// BG-26 INVOICE LINE PERIOD (0..1; sub line: BG-DEX-05).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// BG-27 INVOICE LINE ALLOWANCES (0..n; sub line: BG-DEX-03).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowances: Vec<InvoiceLineAllowance>,
    /// BG-28 INVOICE LINE CHARGES (0..n; sub line: BG-DEX-04).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<InvoiceLineCharge>,
    /// BG-29 PRICE DETAILS (1..1; sub line: BG-DEX-07).
    pub price_details: PriceDetails,
    /// BG-30 LINE VAT INFORMATION (1..1; sub line: BG-DEX-06).
    pub vat_information: LineVatInformation,
    /// BG-31 ITEM INFORMATION (1..1; sub line: BG-DEX-02).
    pub item_information: ItemInformation,
    /// BG-DEX-01 SUB INVOICE LINE (0..n; XRechnung Extension, UBL only): the lines this line is
    /// made of; their BT-131 sum should equal this line's BT-131 (BR-DEX-02).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_invoice_lines: Vec<InvoiceLine>,
}

/// BG-27 INVOICE LINE ALLOWANCES (in a sub invoice line BG-DEX-03).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceLineAllowance {
    /// BT-136 Invoice line allowance amount (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    /// BT-137 Invoice line allowance base amount (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_amount: Option<Decimal>,
    /// BT-138 Invoice line allowance percentage (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentage: Option<Decimal>,
    /// BT-139 Invoice line allowance reason (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// BT-140 Invoice line allowance reason code (0..1), UNTDID 5189.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<AllowanceReasonCode>,
}

/// BG-28 INVOICE LINE CHARGES (in a sub invoice line BG-DEX-04).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceLineCharge {
    /// BT-141 Invoice line charge amount (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    /// BT-142 Invoice line charge base amount (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_amount: Option<Decimal>,
    /// BT-143 Invoice line charge percentage (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentage: Option<Decimal>,
    /// BT-144 Invoice line charge reason (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// BT-145 Invoice line charge reason code (0..1), UNTDID 7161.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<ChargeReasonCode>,
}

/// BG-29 PRICE DETAILS (in a sub invoice line BG-DEX-07).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PriceDetails {
    /// BT-146 Item net price (1..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_net_price: Option<Decimal>,
    /// BT-147 Item price discount (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_price_discount: Option<Decimal>,
    /// BT-148 Item gross price (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_gross_price: Option<Decimal>,
    /// BT-149 Item price base quantity (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_price_base_quantity: Option<Decimal>,
    /// BT-150 Item price base quantity unit of measure code (0..1), UN/ECE Rec 20/21.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_price_base_quantity_unit_code: Option<UnitCode>,
}

/// BG-30 LINE VAT INFORMATION (in a sub invoice line BG-DEX-06).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LineVatInformation {
    /// BT-151 Invoiced item VAT category code (1..1), UNTDID 5305.
    pub invoiced_item_vat_category_code: VatCategoryCode,
    /// BT-152 Invoiced item VAT rate (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoiced_item_vat_rate: Option<Decimal>,
}

/// BG-31 ITEM INFORMATION (in a sub invoice line BG-DEX-02 SUB INVOICE ITEM INFORMATION).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemInformation {
    /// BT-153 Item name (1..1).
    pub name: String,
    /// BT-154 Item description (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// BT-155 Item Seller's identifier (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sellers_identifier: Option<String>,
    /// BT-156 Item Buyer's identifier (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyers_identifier: Option<String>,
    /// BT-157 Item standard identifier (0..1) with BT-157-1 scheme identifier (ICD, e.g. `0160`
    /// GTIN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_identifier: Option<Identifier>,
    /// BT-158 Item classification identifier (0..n) with BT-158-1 scheme identifier and BT-158-2
    /// scheme version identifier.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classification_identifiers: Vec<ItemClassificationIdentifier>,
    /// BT-159 Item country of origin (0..1), ISO 3166-1 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_of_origin: Option<CountryCode>,
    /// BG-32 ITEM ATTRIBUTES (0..n; sub line: BG-DEX-08).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<ItemAttribute>,
}

impl ItemInformation {
    /// CVD profile: the vehicle category, i.e. the first BT-158 whose scheme (BT-158-1) is `CVD`
    /// (BR-DE-CVD-04 allows M1, M2, M3, N1, N2, N3; check with
    /// [`crate::codes::is_cvd_vehicle_category`]).
    pub fn cvd_vehicle_category(&self) -> Option<&str> {
        self.classification_identifiers
            .iter()
            .find(|c| {
                c.scheme_id
                    .as_ref()
                    .is_some_and(ItemClassificationSchemeCode::is_cvd)
            })
            .map(|c| c.value.as_str())
    }

    /// CVD profile: the clean vehicle attribute, i.e. BT-161 of the first BG-32 whose BT-160 is
    /// `cva` (BR-DE-CVD-05 allows `clean`, `zero-emission`, `other`; check with
    /// [`crate::codes::is_cvd_clean_vehicle_attribute`]).
    pub fn cvd_clean_vehicle_attribute(&self) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == CVD_ATTRIBUTE_NAME)
            .map(|a| a.value.as_str())
    }
}

/// BT-158 Item classification identifier with its scheme.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemClassificationIdentifier {
    /// BT-158 Item classification identifier.
    pub value: String,
    /// BT-158-1 Item classification identifier identification scheme identifier (1..1 when BT-158
    /// is given), UNTDID 7143; `CVD` in the XRechnung CVD profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme_id: Option<ItemClassificationSchemeCode>,
    /// BT-158-2 Scheme version identifier (0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme_version_id: Option<String>,
}

/// BG-32 ITEM ATTRIBUTES (in a sub invoice line BG-DEX-08 SUB INVOICE ITEM ATTRIBUTES).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemAttribute {
    /// BT-160 Item attribute name (1..1); `cva` marks the CVD clean vehicle attribute.
    pub name: String,
    /// BT-161 Item attribute value (1..1).
    pub value: String,
}

/// BG-DEX-09 THIRD PARTY PAYMENT (XRechnung Extension; UBL `cac:PrepaidPayment`): an amount the
/// buyer owes a third party and pays with this invoice (BR-DEX-09 adds it to BT-115).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ThirdPartyPayment {
    /// BT-DEX-001 Third party payment type (1..1).
    pub payment_type: String,
    /// BT-DEX-002 Third party payment amount (1..1), in BT-5, at most two decimals (BR-DEX-13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    /// BT-DEX-003 Third party payment description (1..1).
    pub description: String,
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]

    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn date(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    fn address(line: &str, city: &str, post_code: &str, country: &str) -> PostalAddress {
        PostalAddress {
            address_line_1: Some(line.into()),
            address_line_2: Some("2nd".into()),
            address_line_3: Some("3rd".into()),
            city: Some(city.into()),
            post_code: Some(post_code.into()),
            country_subdivision: Some("Bayern".into()),
            country_code: country.into(),
        }
    }

    fn line(id: &str, qty: &str, net: &str) -> InvoiceLine {
        InvoiceLine {
            identifier: id.into(),
            note: Some("line note".into()),
            object_identifier: Some(ObjectIdentifier {
                value: "ANG987654321".into(),
                scheme_id: Some("ABZ".into()),
            }),
            invoiced_quantity: Some(d(qty)),
            invoiced_quantity_unit_code: Some("XPP".into()),
            net_amount: Some(d(net)),
            referenced_purchase_order_line_reference: Some("6171175.1".into()),
            buyer_accounting_reference: Some("Konto 1".into()),
            period: Some(Period {
                start_date: date(2018, 4, 13),
                end_date: date(2018, 4, 13),
            }),
            allowances: vec![InvoiceLineAllowance {
                amount: Some(d("20")),
                base_amount: Some(d("200")),
                percentage: Some(d("10")),
                reason: Some("Fixed long term".into()),
                reason_code: Some("102".into()),
            }],
            charges: vec![InvoiceLineCharge {
                amount: Some(d("20.00")),
                base_amount: Some(d("200.00")),
                percentage: Some(d("10")),
                reason: Some("Testing".into()),
                reason_code: Some("TAC".into()),
            }],
            price_details: PriceDetails {
                item_net_price: Some(d("158.125")),
                item_price_discount: Some(d("10")),
                item_gross_price: Some(d("168.1250000000")),
                item_price_base_quantity: Some(d("1")),
                item_price_base_quantity_unit_code: Some("XPP".into()),
            },
            vat_information: LineVatInformation {
                invoiced_item_vat_category_code: "S".into(),
                invoiced_item_vat_rate: Some(d("19")),
            },
            item_information: ItemInformation {
                name: "Beratung".into(),
                description: Some("Anforderungsmanagement".into()),
                sellers_identifier: Some("1034".into()),
                buyers_identifier: Some("5034".into()),
                standard_identifier: Some(Identifier::with_scheme("123456789", "0088")),
                classification_identifiers: vec![
                    ItemClassificationIdentifier {
                        value: "0721-880X".into(),
                        scheme_id: Some("IB".into()),
                        scheme_version_id: Some("88".into()),
                    },
                    ItemClassificationIdentifier {
                        value: "N1".into(),
                        scheme_id: Some("CVD".into()),
                        scheme_version_id: None,
                    },
                ],
                country_of_origin: Some("DE".into()),
                attributes: vec![
                    ItemAttribute {
                        name: "Farbe".into(),
                        value: "rot".into(),
                    },
                    ItemAttribute {
                        name: "cva".into(),
                        value: "clean".into(),
                    },
                ],
            },
            sub_invoice_lines: Vec::new(),
        }
    }

    /// An invoice with every business term filled in (values from the KoSIT comprehensive test
    /// case).
    fn full_invoice() -> Invoice {
        let mut parent = line("1", "30", "4743.75");
        let mut sub = line("1 1", "28", "2000.00");
        sub.sub_invoice_lines = vec![line("1 1 1", "1", "2000.00")];
        parent.sub_invoice_lines = vec![sub, line("1 2", "2", "2743.75")];
        Invoice {
            invoice_number: "1234567".into(),
            issue_date: date(2018, 4, 13),
            invoice_type_code: "380".into(),
            invoice_currency_code: "EUR".into(),
            vat_accounting_currency_code: Some("GBP".into()),
            value_added_tax_point_date: date(2018, 4, 13),
            value_added_tax_point_date_code: Some("35".into()),
            payment_due_date: date(2018, 5, 13),
            buyer_reference: Some("90000000-03083-72".into()),
            project_reference: Some("PR12345678".into()),
            contract_reference: Some("0000000752".into()),
            purchase_order_reference: Some("65002278".into()),
            sales_order_reference: Some("ABC123456789".into()),
            receiving_advice_reference: Some("RAR123456789".into()),
            despatch_advice_reference: Some("DAR123456789".into()),
            tender_or_lot_reference: Some("ANG987654321".into()),
            invoiced_object_identifier: Some(ObjectIdentifier {
                value: "OK987654321".into(),
                scheme_id: Some("AAB".into()),
            }),
            buyer_accounting_reference: Some("Buchungscode1".into()),
            payment_terms: Some("#SKONTO#TAGE=14#PROZENT=2.25#\n".into()),
            invoice_notes: vec![
                InvoiceNote {
                    subject_code: Some("AAC".into()),
                    note: "Invoice Note Description".into(),
                },
                InvoiceNote {
                    subject_code: None,
                    note: "Ünïcödé, \"quoted\" & <escaped>".into(),
                },
            ],
            process_control: ProcessControl {
                business_process_type: Some("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0".into()),
                specification_identifier: XRECHNUNG_EXTENSION_ID.into(),
            },
            preceding_invoice_references: vec![PrecedingInvoiceReference {
                preceding_invoice_reference: "PIR1234567890".into(),
                preceding_invoice_issue_date: date(2018, 2, 4),
            }],
            seller: Seller {
                name: "[Seller name]".into(),
                trading_name: Some("[Seller trading name]".into()),
                identifiers: vec![
                    Identifier::new("9876543217894897438"),
                    Identifier::with_scheme("987654321", "0088"),
                ],
                legal_registration_identifier: Some(Identifier::with_scheme("123456789", "0088")),
                vat_identifier: Some("ATU123456789".into()),
                tax_registration_identifier: Some(Identifier::with_scheme("123/456/789", "FC")),
                additional_legal_information: Some("Amtsgericht […]".into()),
                electronic_address: Some(ElectronicAddress {
                    value: "rechnungsausgang@test.com".into(),
                    scheme_id: Some("EM".into()),
                }),
                postal_address: address("[Seller address line 1]", "[Seller city]", "12345", "DE"),
                contact: Some(Contact {
                    contact_point: Some("Tim Tester".into()),
                    telephone_number: Some("012 3456789".into()),
                    email_address: Some("tim.tester@test.com".into()),
                }),
            },
            buyer: Buyer {
                name: "[Buyer name]".into(),
                trading_name: Some("[Buyer trading name]".into()),
                identifier: Some(Identifier::new("138")),
                legal_registration_identifier: Some(Identifier::with_scheme(
                    "90000000-03083-72",
                    "0204",
                )),
                vat_identifier: Some("DE12345ABC".into()),
                electronic_address: Some(ElectronicAddress {
                    value: "rechnungseingang@test.de".into(),
                    scheme_id: Some("EM".into()),
                }),
                postal_address: address("[Buyer address line 1]", "[Buyer city]", "98765", "DE"),
                contact: Some(Contact {
                    contact_point: Some("Tina Tester".into()),
                    telephone_number: Some("0800 123456".into()),
                    email_address: Some("tester@test.de".into()),
                }),
            },
            payee: Some(Payee {
                name: "[Payee name]".into(),
                identifier: Some(Identifier::new("74")),
                legal_registration_identifier: Some(Identifier::with_scheme(
                    "90000000-03083-72",
                    "0204",
                )),
            }),
            seller_tax_representative: Some(SellerTaxRepresentative {
                name: "[Seller tax representative name]".into(),
                vat_identifier: "DE124567".into(),
                postal_address: address("[Tax rep line 1]", "[Tax rep city]", "12345", "DE"),
            }),
            delivery_information: Some(DeliveryInformation {
                deliver_to_party_name: Some("[Deliver to party name]".into()),
                deliver_to_location_identifier: Some(Identifier::with_scheme("68", "0088")),
                actual_delivery_date: date(2018, 4, 13),
                deliver_to_address: Some(address(
                    "[Deliver to street]",
                    "[Deliver to city]",
                    "98765",
                    "DE",
                )),
            }),
            invoicing_period: Some(Period {
                start_date: date(2018, 4, 1),
                end_date: date(2018, 4, 30),
            }),
            payment_instructions: Some(PaymentInstructions {
                payment_means_type_code: "58".into(),
                payment_means_text: Some("[Payment means text]".into()),
                remittance_information: Some("Deb. 12345 / Fact. 9876543".into()),
                credit_transfers: vec![
                    CreditTransfer {
                        payment_account_identifier: "DE75512108001245126199".into(),
                        payment_account_name: Some("[Payment account name]".into()),
                        payment_service_provider_identifier: Some("[BIC]".into()),
                    },
                    CreditTransfer {
                        payment_account_identifier: "DE12500105170648489890".into(),
                        payment_account_name: None,
                        payment_service_provider_identifier: None,
                    },
                ],
                payment_card: Some(PaymentCard {
                    primary_account_number: "************1234".into(),
                    holder_name: Some("Tim Tester".into()),
                }),
                direct_debit: Some(DirectDebit {
                    mandate_reference_identifier: Some("MANDATE-1".into()),
                    bank_assigned_creditor_identifier: Some("DE98ZZZ09999999999".into()),
                    debited_account_identifier: Some("DE02120300000000202051".into()),
                }),
            }),
            document_level_allowances: vec![DocumentLevelAllowance {
                amount: Some(d("10")),
                base_amount: Some(d("100")),
                percentage: Some(d("10")),
                vat_category_code: "E".into(),
                vat_rate: Some(d("0")),
                reason: Some("Fixed long term".into()),
                reason_code: Some("102".into()),
            }],
            document_level_charges: vec![DocumentLevelCharge {
                amount: Some(d("10.00")),
                base_amount: Some(d("100.00")),
                percentage: Some(d("10")),
                vat_category_code: "E".into(),
                vat_rate: Some(d("0")),
                reason: Some("Testing".into()),
                reason_code: Some("TAC".into()),
            }],
            document_totals: DocumentTotals {
                sum_of_invoice_line_net_amount: Some(d("10781.25")),
                sum_of_allowances_on_document_level: Some(d("20")),
                sum_of_charges_on_document_level: Some(d("20")),
                invoice_total_amount_without_vat: Some(d("10781.25")),
                invoice_total_vat_amount: Some(d("2048.44")),
                invoice_total_vat_amount_in_accounting_currency: Some(d("1800.12")),
                invoice_total_amount_with_vat: Some(d("12829.69")),
                paid_amount: Some(d("0.00")),
                rounding_amount: Some(d("0")),
                amount_due_for_payment: Some(d("12859.65")),
            },
            vat_breakdowns: vec![
                VatBreakdown {
                    vat_category_taxable_amount: Some(d("10781.25")),
                    vat_category_tax_amount: Some(d("2048.44")),
                    vat_category_code: "S".into(),
                    vat_category_rate: Some(d("19")),
                    vat_exemption_reason_text: None,
                    vat_exemption_reason_code: None,
                },
                VatBreakdown {
                    vat_category_taxable_amount: Some(d("0")),
                    vat_category_tax_amount: Some(d("0")),
                    vat_category_code: "E".into(),
                    vat_category_rate: Some(d("0")),
                    vat_exemption_reason_text: Some("[VAT exemption reason text]".into()),
                    vat_exemption_reason_code: Some("VATEX-EU-132-1A".into()),
                },
            ],
            additional_supporting_documents: vec![AdditionalSupportingDocument {
                supporting_document_reference: "01_15_Anhang_01.pdf".into(),
                supporting_document_description: Some("Aufschlüsselung".into()),
                external_document_location: Some("https://xeinkauf.de/xrechnung/".into()),
                attached_document: Some(AttachedDocument {
                    content: "JVBERi0xLjUNCiW1tbW1\nDQoxIDAgb2Jq".into(),
                    mime_code: Some("application/pdf".into()),
                    filename: Some("01_15_Anhang_01.pdf".into()),
                }),
            }],
            invoice_lines: vec![parent, line("2", "42", "6037.5")],
            third_party_payments: vec![ThirdPartyPayment {
                payment_type: "MobilesBezahlen".into(),
                amount: Some(d("29.96")),
                description: "Mobiles Bezahlen (Brutto-Forderung für Fremdleistungen Anbieter A)"
                    .into(),
            }],
        }
    }

    #[test]
    fn json_round_trip_of_a_full_invoice() {
        let invoice = full_invoice();
        let json = serde_json::to_string_pretty(&invoice).unwrap();
        let back: Invoice = serde_json::from_str(&json).unwrap();
        assert_eq!(back, invoice);
        // Decimal equality ignores the scale; the JSON text does not.
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json);
        // Numbers travel as strings with their lexical scale.
        assert!(
            json.contains("\"item_gross_price\": \"168.1250000000\""),
            "{json}"
        );
        assert!(json.contains("\"paid_amount\": \"0.00\""));
        assert!(json.contains("\"issue_date\": \"2018-04-13\""));
        assert!(json.contains("\"invoice_currency_code\": \"EUR\""));
    }

    #[test]
    fn empty_invoice_is_compact_and_partial_json_deserialises() {
        let json = serde_json::to_value(Invoice::default()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // Only the required (always serialised) terms and groups remain.
        for k in &keys {
            assert!(
                [
                    "invoice_number",
                    "invoice_type_code",
                    "invoice_currency_code",
                    "process_control",
                    "seller",
                    "buyer",
                    "document_totals"
                ]
                .contains(k),
                "unexpected key {k}"
            );
        }
        let partial: Invoice = serde_json::from_str(concat!(
            r#"{"invoice_number":"R-1","invoice_type_code":"999","#,
            r#""invoice_lines":[{"identifier":"1","net_amount":"1.50"}]}"#
        ))
        .unwrap();
        assert_eq!(partial.invoice_number, "R-1");
        assert!(
            !partial.invoice_type_code.is_known(),
            "unknown code kept verbatim"
        );
        assert_eq!(partial.invoice_type_code, "999");
        assert_eq!(
            partial.invoice_lines[0].net_amount.unwrap().to_string(),
            "1.50"
        );
        assert!(partial.seller.name.is_empty());
    }

    #[test]
    fn helpers() {
        let invoice = full_invoice();
        assert!(!invoice.is_credit_note());
        assert!(invoice.process_control.is_xrechnung_extension());
        assert!(!invoice.process_control.is_xrechnung_cvd());
        let ids: Vec<(usize, &str)> = invoice
            .all_lines()
            .into_iter()
            .map(|(d, l)| (d, l.identifier.as_str()))
            .collect();
        assert_eq!(
            ids,
            vec![(0, "1"), (1, "1 1"), (2, "1 1 1"), (1, "1 2"), (0, "2")]
        );
        let item = &invoice.invoice_lines[1].item_information;
        assert_eq!(item.cvd_vehicle_category(), Some("N1"));
        assert_eq!(item.cvd_clean_vehicle_attribute(), Some("clean"));
        assert!(crate::codes::is_cvd_vehicle_category(
            item.cvd_vehicle_category().unwrap()
        ));
        let credit = Invoice {
            invoice_type_code: "381".into(),
            ..Invoice::default()
        };
        assert!(credit.is_credit_note());
        assert!(XRECHNUNG_EXTENSION_ID.starts_with(XRECHNUNG_CIUS_ID));
        assert!(XRECHNUNG_CVD_ID.starts_with(XRECHNUNG_CIUS_ID));
    }

    proptest::proptest! {
        /// The lexical form of a decimal (sign, scale, trailing zeros) survives the JSON round
        /// trip.
        #[test]
        fn decimal_lexical_form_survives_json(
            mantissa in -1_000_000_000_000i64..1_000_000_000_000,
            scale in 0u32..16,
        ) {
            let text = Decimal::new(mantissa, scale).to_string();
            let totals =
                DocumentTotals { paid_amount: Some(d(&text)), ..DocumentTotals::default() };
            let json = serde_json::to_string(&totals).unwrap();
            let back: DocumentTotals = serde_json::from_str(&json).unwrap();
            proptest::prop_assert_eq!(back.paid_amount.unwrap().to_string(), text);
        }
    }

    #[test]
    fn parse_xs_decimal_is_strict_and_exact() {
        let ok = |t: &str| parse_xs_decimal(t).map(|v| v.to_string());
        assert_eq!(ok("100.00").as_deref(), Some("100.00"));
        assert_eq!(ok(" 12829.69\n").as_deref(), Some("12829.69"));
        assert_eq!(ok("-5").as_deref(), Some("-5"));
        assert_eq!(ok("+1.5").as_deref(), Some("1.5"));
        assert_eq!(ok(".5").as_deref(), Some("0.5"));
        assert_eq!(ok("5.").as_deref(), Some("5"));
        assert_eq!(ok("-0.00").as_deref(), Some("0.00"));
        assert_eq!(ok("00012.30").as_deref(), Some("12.30"));
        assert_eq!(ok("168.1250000000").as_deref(), Some("168.1250000000"));
        assert_eq!(
            ok("1.0000000000000000000000000001").as_deref(),
            Some("1.0000000000000000000000000001")
        );
        for bad in [
            "",
            " ",
            ".",
            "+",
            "-",
            "1e3",
            "1E3",
            "1,5",
            "1 000",
            "1_000",
            "--1",
            "+-1",
            "1.2.3",
            "0x10",
            "NaN",
            "INF",
            "0.00000000000000000000000000001",
            "79228162514264337593543950336",
        ] {
            assert_eq!(parse_xs_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn decimal_keeps_lexical_scale() {
        for text in [
            "100.00",
            "0",
            "-0.50",
            "12829.69",
            "0.0000001",
            "30.00000000000",
        ] {
            assert_eq!(d(text).to_string(), text);
        }
    }

    /// Every business term BT-1 … BT-165 (there is no BT-4) and group BG-1 … BG-32 of EN 16931-1,
    /// and the XRechnung additions, is named in a doc comment of this module.
    #[test]
    fn every_business_term_and_group_is_documented() {
        let source = include_str!("model.rs");
        let docs: String = source
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("///") || l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join("\n");
        let mentioned = |id: &str| {
            docs.match_indices(id)
                .any(|(i, _)| !docs[i + id.len()..].starts_with(|c: char| c.is_ascii_digit()))
        };
        let mut missing = Vec::new();
        for n in (1..=165).filter(|n| *n != 4) {
            let id = format!("BT-{n}");
            if !mentioned(&id) {
                missing.push(id);
            }
        }
        for n in 1..=32 {
            let id = format!("BG-{n}");
            if !mentioned(&id) {
                missing.push(id);
            }
        }
        for id in [
            "BT-18-1",
            "BT-29-1",
            "BT-30-1",
            "BT-34-1",
            "BT-46-1",
            "BT-47-1",
            "BT-49-1",
            "BT-60-1",
            "BT-61-1",
            "BT-71-1",
            "BT-125-1",
            "BT-125-2",
            "BT-128-1",
            "BT-157-1",
            "BT-158-1",
            "BT-158-2",
            "BG-DEX-01",
            "BG-DEX-02",
            "BG-DEX-03",
            "BG-DEX-04",
            "BG-DEX-05",
            "BG-DEX-06",
            "BG-DEX-07",
            "BG-DEX-08",
            "BG-DEX-09",
            "BT-DEX-001",
            "BT-DEX-002",
            "BT-DEX-003",
        ] {
            if !mentioned(id) {
                missing.push(id.to_owned());
            }
        }
        assert!(missing.is_empty(), "not documented: {missing:?}");
    }
}
