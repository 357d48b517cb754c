//! UBL 2.1 → model. See the module documentation of [`crate::ubl`] for the mapping decisions.
//!
//! Normal form of what the reader produces (the writer relies on it for the round trip): an
//! optional text term is `None` when its element is absent or empty; an optional group is `None`
//! when it would be empty ([`nonempty`]); an attribute-valued sub-term (`schemeID`, `unitCode`,
//! `listID`, …) is `Some` exactly when the attribute is present.

use chrono::NaiveDate;
use egov_core::xml::{Document, Node};
use rust_decimal::Decimal;

use super::{INVOICED_OBJECT, PLACEHOLDER, PLACEHOLDER_FROM_CII, PROJECT_REFERENCE, SEPA, VAT};
use crate::codes::{EasCode, MimeCode, ObjectSchemeCode, UnitCode, VatCategoryCode};
use crate::model::{
    AdditionalSupportingDocument, AttachedDocument, Buyer, Contact, CreditTransfer,
    DeliveryInformation, DirectDebit, DocumentTotals, ElectronicAddress, Identifier, Invoice,
    InvoiceLine, InvoiceNote, ItemAttribute, ItemClassificationIdentifier, LineVatInformation,
    ObjectIdentifier, Payee, PaymentCard, PaymentInstructions, Period, PostalAddress,
    PrecedingInvoiceReference, PriceDetails, Seller, SellerTaxRepresentative, ThirdPartyPayment,
    VatBreakdown,
};
use crate::read::{nonempty, nonempty_text, AllowanceCharge, Reader, Unmapped};
use crate::{CAC_NS, CBC_NS, UBL_CREDIT_NOTE_NS};

/// Reads a UBL `Invoice` or `CreditNote`.
pub(super) fn read(doc: &Document) -> (Invoice, Vec<Unmapped>) {
    let root = doc.root_element();
    let mut cx = Cx {
        r: Reader::new(doc),
        currency: String::new(),
        credit_note: root.has_name(UBL_CREDIT_NOTE_NS, "CreditNote"),
    };
    let invoice = cx.invoice(root);
    (invoice, cx.r.finish())
}

/// The reading context: the consumption-tracking reader and what the mapping depends on.
struct Cx<'d> {
    r: Reader<'d>,
    /// BT-5, the currency of every amount except BT-111.
    currency: String,
    /// Whether the root is a `CreditNote` (BT-9, BT-11, line element names).
    credit_note: bool,
}

/// BT-31/BT-48/BT-63 (tax scheme VAT) and BT-32 (any other tax scheme) of one party.
#[derive(Default)]
struct PartyTax {
    vat: Option<String>,
    other: Option<Identifier>,
}

/// A VAT category: BT-95/BT-96, BT-102/BT-103, BT-118/BT-119 or BT-151/BT-152.
#[derive(Default)]
struct VatCategory {
    code: VatCategoryCode,
    rate: Option<Decimal>,
}

/// Which singular parts of BG-16 were already taken from an earlier `cac:PaymentMeans`.
#[derive(Default)]
struct PaymentSeen {
    code: bool,
    due_date: bool,
    card: bool,
    mandate: bool,
}

/// An identifier element with its optional `@schemeID`; `None` when it carries neither.
fn identifier_of(node: Node<'_>) -> Option<Identifier> {
    let value = node.text().into_owned();
    let scheme_id = node.attribute("schemeID").map(str::to_owned);
    (!value.is_empty() || scheme_id.is_some()).then_some(Identifier { value, scheme_id })
}

/// Whether a tax scheme identifier is `VAT` (trimmed, case-insensitive, like the CEN rules).
fn is_vat(scheme: &str) -> bool {
    scheme.trim().eq_ignore_ascii_case(VAT)
}

/// An `xs:boolean`.
fn boolean(text: &str) -> Option<bool> {
    match text.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// BT-21 and BT-22 from a `cbc:Note`: a leading `#CODE#` (ASCII letters and digits) is the
/// subject code.
fn split_note(text: &str) -> InvoiceNote {
    let coded = text.strip_prefix('#').and_then(|rest| rest.split_once('#'));
    match coded {
        Some((code, note))
            if !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            InvoiceNote {
                subject_code: Some(code.into()),
                note: note.to_owned(),
            }
        }
        _ => InvoiceNote {
            subject_code: None,
            note: text.to_owned(),
        },
    }
}

// ------------------------------------------------------------------------------------------------
// Navigation
// ------------------------------------------------------------------------------------------------

impl<'d> Cx<'d> {
    /// The first child `{ns}local`, not consumed yet; any further child of that name is reported
    /// as a repetition the model cannot carry.
    fn peek(&mut self, parent: Node<'d>, ns: &str, local: &str) -> Option<Node<'d>> {
        let mut all = parent.children_named(ns, local);
        let first = all.next()?;
        for extra in all {
            self.reject(
                extra,
                "repeated element: the business term occurs at most once, only the first is mapped",
            );
        }
        Some(first)
    }

    /// Marks an element and its subtree as handled and reports it with a reason.
    fn reject(&mut self, node: Node<'d>, reason: &str) {
        self.r.mark_subtree(node);
        self.r.note(node, reason);
    }

    /// The first `cac:{local}` of `parent`, consumed.
    fn cac(&mut self, parent: Node<'d>, local: &str) -> Option<Node<'d>> {
        let node = self.peek(parent, CAC_NS, local)?;
        self.r.mark(node);
        Some(node)
    }

    /// Every `cac:{local}` of `parent`, consumed.
    fn cacs(&mut self, parent: Node<'d>, local: &str) -> Vec<Node<'d>> {
        self.r.children(parent, CAC_NS, local)
    }

    /// The first `cbc:{local}` of `parent`, consumed (see [`Cx::consume_leaf`]).
    fn leaf(&mut self, parent: Node<'d>, local: &str, attributes: &[&str]) -> Option<Node<'d>> {
        let node = self.peek(parent, CBC_NS, local)?;
        self.consume_leaf(node, attributes);
        Some(node)
    }

    /// Consumes a basic component; its attributes other than `attributes` have no business term
    /// and are reported.
    fn consume_leaf(&mut self, node: Node<'d>, attributes: &[&str]) {
        self.r.mark(node);
        for a in node.attributes() {
            if !(a.namespace().is_empty() && attributes.contains(&a.local_name())) {
                let reason = format!(
                    "attribute {}={:?} has no EN 16931 business term",
                    a.qualified_name(),
                    a.value()
                );
                self.r.note(node, reason);
            }
        }
    }

    /// An optional text term.
    fn text(&mut self, parent: Node<'d>, local: &str) -> Option<String> {
        self.leaf(parent, local, &[]).and_then(nonempty_text)
    }

    /// A required text term (empty when missing).
    fn string(&mut self, parent: Node<'d>, local: &str) -> String {
        self.text(parent, local).unwrap_or_default()
    }

    /// An identifier with its optional `@schemeID`.
    fn identifier(&mut self, parent: Node<'d>, local: &str) -> Option<Identifier> {
        let node = self.leaf(parent, local, &["schemeID"])?;
        identifier_of(node)
    }

    /// An amount in the invoice currency BT-5.
    fn amount(&mut self, parent: Node<'d>, local: &str) -> Option<Decimal> {
        let currency = std::mem::take(&mut self.currency);
        let value = self.amount_in(parent, local, &currency);
        self.currency = currency;
        value
    }

    /// An amount whose `@currencyID` must be `currency`; another currency is reported, since the
    /// model keeps no per-amount currency.
    fn amount_in(&mut self, parent: Node<'d>, local: &str, currency: &str) -> Option<Decimal> {
        let node = self.leaf(parent, local, &["currencyID"])?;
        match node.attribute("currencyID") {
            Some(c) if c.trim() == currency.trim() => {}
            Some(c) => {
                let reason = format!(
                    "currencyID {c:?} differs from the currency {currency:?} the model implies \
                     for this amount; the amount is mapped, its currency is not"
                );
                self.r.note(node, reason);
            }
            None => self.r.note(node, "amount without currencyID"),
        }
        self.r.decimal_of(node)
    }

    /// A decimal number (percentage, rate).
    fn decimal(&mut self, parent: Node<'d>, local: &str) -> Option<Decimal> {
        let node = self.leaf(parent, local, &[])?;
        self.r.decimal_of(node)
    }

    /// An `xs:date`.
    fn date(&mut self, parent: Node<'d>, local: &str) -> Option<NaiveDate> {
        let node = self.leaf(parent, local, &[])?;
        self.r.date_of(node, "%Y-%m-%d")
    }

    /// A quantity with its `@unitCode` (BT-129/BT-130, BT-149/BT-150).
    fn quantity(&mut self, parent: Node<'d>, local: &str) -> (Option<Decimal>, Option<UnitCode>) {
        let Some(node) = self.leaf(parent, local, &["unitCode"]) else {
            return (None, None);
        };
        let unit = node.attribute("unitCode").map(UnitCode::from);
        (self.r.decimal_of(node), unit)
    }

    /// An object identifier with its `@schemeID` (BT-18, BT-128).
    fn object_identifier(&mut self, parent: Node<'d>) -> Option<ObjectIdentifier> {
        let id = self.identifier(parent, "ID")?;
        Some(ObjectIdentifier {
            value: id.value,
            scheme_id: id.scheme_id.map(ObjectSchemeCode::from),
        })
    }

    /// `cbc:DocumentTypeCode` of a reference that carries a business term by its type code.
    fn document_type_code(&mut self, reference: Node<'d>) {
        self.leaf(reference, "DocumentTypeCode", &[]);
    }
}

// ------------------------------------------------------------------------------------------------
// Document level
// ------------------------------------------------------------------------------------------------

impl<'d> Cx<'d> {
    fn invoice(&mut self, root: Node<'d>) -> Invoice {
        let mut inv = Invoice::default();
        self.header(root, &mut inv);
        self.references(root, &mut inv);
        let mut creditor_id = None;
        inv.seller = self.seller(root, &mut creditor_id);
        inv.buyer = self.buyer(root);
        inv.payee = self.payee(root, &mut creditor_id);
        inv.seller_tax_representative = self.tax_representative(root);
        inv.delivery_information = self.delivery(root);
        inv.payment_instructions =
            self.payment_instructions(root, creditor_id, &mut inv.payment_due_date);
        inv.payment_terms = self
            .cac(root, "PaymentTerms")
            .and_then(|t| self.text(t, "Note"));
        inv.third_party_payments = self.third_party_payments(root);
        self.document_allowances_charges(root, &mut inv);
        inv.document_totals = self.document_totals(root);
        self.tax_totals(root, &mut inv);
        inv.invoice_lines = self.lines(root);
        inv
    }

    /// BT-24, BT-23, BT-1, BT-2, BT-3, BG-1, BT-7, BT-5, BT-6, BT-19, BT-10 and (invoice) BT-9.
    fn header(&mut self, root: Node<'d>, inv: &mut Invoice) {
        self.syntax_version(root);
        inv.process_control.specification_identifier = self.string(root, "CustomizationID");
        inv.process_control.business_process_type = self.text(root, "ProfileID");
        inv.invoice_number = self.string(root, "ID");
        inv.issue_date = self.date(root, "IssueDate");
        if self.credit_note {
            inv.invoice_type_code = self.string(root, "CreditNoteTypeCode").into();
        } else {
            inv.payment_due_date = self.date(root, "DueDate");
            inv.invoice_type_code = self.string(root, "InvoiceTypeCode").into();
        }
        inv.invoice_notes = self.notes(root);
        inv.value_added_tax_point_date = self.date(root, "TaxPointDate");
        inv.invoice_currency_code = self.string(root, "DocumentCurrencyCode").into();
        self.currency = inv.invoice_currency_code.as_str().to_owned();
        inv.vat_accounting_currency_code = self.text(root, "TaxCurrencyCode").map(Into::into);
        inv.buyer_accounting_reference = self.text(root, "AccountingCost");
        inv.buyer_reference = self.text(root, "BuyerReference");
    }

    /// `cbc:UBLVersionID` is syntax; UBL-CR-002 allows only `2.1`, any other version is reported.
    fn syntax_version(&mut self, root: Node<'d>) {
        if let Some(node) = self.peek(root, CBC_NS, "UBLVersionID") {
            if node.text().trim() == "2.1" {
                self.consume_leaf(node, &[]);
            }
        }
    }

    /// BG-1 INVOICE NOTE: every `cbc:Note`.
    fn notes(&mut self, root: Node<'d>) -> Vec<InvoiceNote> {
        let notes = self.r.children(root, CBC_NS, "Note");
        notes
            .into_iter()
            .map(|n| {
                self.consume_leaf(n, &[]);
                split_note(&n.text())
            })
            .collect()
    }

    /// BG-14 with BT-8, BT-13/BT-14, BG-3, BT-16, BT-15, BT-17, BT-12, BT-18, BG-24, BT-11.
    fn references(&mut self, root: Node<'d>, inv: &mut Invoice) {
        if let Some(p) = self.cac(root, "InvoicePeriod") {
            inv.invoicing_period = self.period(p);
            inv.value_added_tax_point_date_code = self.text(p, "DescriptionCode").map(Into::into);
        }
        self.order_reference(root, inv);
        inv.preceding_invoice_references = self.preceding_invoices(root);
        inv.despatch_advice_reference = self.document_id(root, "DespatchDocumentReference");
        inv.receiving_advice_reference = self.document_id(root, "ReceiptDocumentReference");
        inv.tender_or_lot_reference = self.document_id(root, "OriginatorDocumentReference");
        inv.contract_reference = self.document_id(root, "ContractDocumentReference");
        self.additional_documents(root, inv);
        if !self.credit_note {
            inv.project_reference = self.document_id(root, "ProjectReference");
        }
    }

    /// The `cbc:ID` of a document reference.
    fn document_id(&mut self, root: Node<'d>, local: &str) -> Option<String> {
        let reference = self.cac(root, local)?;
        self.text(reference, "ID")
    }

    /// BT-13 and BT-14; an `NA` BT-13 beside a BT-14 is the placeholder UBL needs.
    fn order_reference(&mut self, root: Node<'d>, inv: &mut Invoice) {
        let Some(order) = self.cac(root, "OrderReference") else {
            return;
        };
        let purchase_order = self.text(order, "ID");
        inv.sales_order_reference = self.text(order, "SalesOrderID");
        let placeholder = inv.sales_order_reference.is_some();
        inv.purchase_order_reference =
            purchase_order.filter(|id| !(placeholder && id == PLACEHOLDER));
    }

    /// BG-3: every `cac:BillingReference` with a `cac:InvoiceDocumentReference`.
    fn preceding_invoices(&mut self, root: Node<'d>) -> Vec<PrecedingInvoiceReference> {
        let mut out = Vec::new();
        for billing in root.children_named(CAC_NS, "BillingReference") {
            if billing.child(CAC_NS, "InvoiceDocumentReference").is_none() {
                continue;
            }
            self.r.mark(billing);
            if let Some(d) = self.cac(billing, "InvoiceDocumentReference") {
                out.push(PrecedingInvoiceReference {
                    preceding_invoice_reference: self.string(d, "ID"),
                    preceding_invoice_issue_date: self.date(d, "IssueDate"),
                });
            }
        }
        out
    }

    /// `cac:AdditionalDocumentReference`: BT-18 (type code 130), BT-11 in a credit note (type code
    /// 50), otherwise BG-24.
    fn additional_documents(&mut self, root: Node<'d>, inv: &mut Invoice) {
        for reference in root.children_named(CAC_NS, "AdditionalDocumentReference") {
            let type_code = reference
                .child(CBC_NS, "DocumentTypeCode")
                .map(|c| c.text().trim().to_owned());
            match type_code.as_deref() {
                Some(INVOICED_OBJECT) => {
                    if inv.invoiced_object_identifier.is_none() {
                        self.r.mark(reference);
                        self.document_type_code(reference);
                        inv.invoiced_object_identifier = self.object_identifier(reference);
                    }
                }
                Some(PROJECT_REFERENCE) if self.credit_note => {
                    if inv.project_reference.is_none() {
                        self.r.mark(reference);
                        self.document_type_code(reference);
                        inv.project_reference = self.text(reference, "ID");
                    }
                }
                _ => {
                    self.r.mark(reference);
                    let document = self.supporting_document(reference);
                    inv.additional_supporting_documents.push(document);
                }
            }
        }
    }

    /// BG-24: BT-122, BT-123, BT-124, BT-125 with BT-125-1 and BT-125-2.
    fn supporting_document(&mut self, reference: Node<'d>) -> AdditionalSupportingDocument {
        let mut document = AdditionalSupportingDocument {
            supporting_document_reference: self.string(reference, "ID"),
            supporting_document_description: self.text(reference, "DocumentDescription"),
            ..AdditionalSupportingDocument::default()
        };
        if let Some(attachment) = self.cac(reference, "Attachment") {
            let binary = self.leaf(
                attachment,
                "EmbeddedDocumentBinaryObject",
                &["mimeCode", "filename"],
            );
            document.attached_document = binary.and_then(|b| {
                nonempty(AttachedDocument {
                    content: b.text().into_owned(),
                    mime_code: b.attribute("mimeCode").map(MimeCode::from),
                    filename: b.attribute("filename").map(str::to_owned),
                })
            });
            document.external_document_location = self
                .cac(attachment, "ExternalReference")
                .and_then(|e| self.text(e, "URI"));
        }
        document
    }

    /// BG-14 / BG-26: a period with at least one readable date.
    fn period(&mut self, period: Node<'d>) -> Option<Period> {
        nonempty(Period {
            start_date: self.date(period, "StartDate"),
            end_date: self.date(period, "EndDate"),
        })
    }
}

// ------------------------------------------------------------------------------------------------
// Parties
// ------------------------------------------------------------------------------------------------

impl<'d> Cx<'d> {
    /// The `cac:Party` of `cac:AccountingSupplierParty` / `cac:AccountingCustomerParty`.
    fn role_party(&mut self, root: Node<'d>, role: &str) -> Option<Node<'d>> {
        let role = self.cac(root, role)?;
        self.cac(role, "Party")
    }

    /// BG-4 with BG-5 and BG-6; a SEPA party identification is BT-90.
    fn seller(&mut self, root: Node<'d>, creditor_id: &mut Option<String>) -> Seller {
        let mut seller = Seller::default();
        let Some(party) = self.role_party(root, "AccountingSupplierParty") else {
            return seller;
        };
        seller.electronic_address = self.endpoint(party);
        seller.identifiers = self.party_identifiers(party, usize::MAX, Some(creditor_id));
        seller.trading_name = self.party_name(party);
        seller.postal_address = self.postal_address(party, "PostalAddress");
        let tax = self.party_tax_schemes(party, true);
        seller.vat_identifier = tax.vat;
        seller.tax_registration_identifier = tax.other;
        if let Some(entity) = self.cac(party, "PartyLegalEntity") {
            seller.name = self.string(entity, "RegistrationName");
            seller.legal_registration_identifier = self.identifier(entity, "CompanyID");
            seller.additional_legal_information = self.text(entity, "CompanyLegalForm");
        }
        seller.contact = self.contact(party);
        seller
    }

    /// BG-7 with BG-8 and BG-9.
    fn buyer(&mut self, root: Node<'d>) -> Buyer {
        let mut buyer = Buyer::default();
        let Some(party) = self.role_party(root, "AccountingCustomerParty") else {
            return buyer;
        };
        buyer.electronic_address = self.endpoint(party);
        buyer.identifier = self
            .party_identifiers(party, 1, None)
            .pop()
            .and_then(nonempty);
        buyer.trading_name = self.party_name(party);
        buyer.postal_address = self.postal_address(party, "PostalAddress");
        buyer.vat_identifier = self.party_tax_schemes(party, false).vat;
        if let Some(entity) = self.cac(party, "PartyLegalEntity") {
            buyer.name = self.string(entity, "RegistrationName");
            buyer.legal_registration_identifier = self.identifier(entity, "CompanyID");
        }
        buyer.contact = self.contact(party);
        buyer
    }

    /// BG-10; a SEPA party identification is BT-90 (when the seller has none).
    fn payee(&mut self, root: Node<'d>, creditor_id: &mut Option<String>) -> Option<Payee> {
        let party = self.cac(root, "PayeeParty")?;
        let identifier = self
            .party_identifiers(party, 1, Some(creditor_id))
            .pop()
            .and_then(nonempty);
        let name = self.party_name(party).unwrap_or_default();
        let legal_registration_identifier = self
            .cac(party, "PartyLegalEntity")
            .and_then(|e| self.identifier(e, "CompanyID"));
        nonempty(Payee {
            name,
            identifier,
            legal_registration_identifier,
        })
    }

    /// BG-11 with BG-12.
    fn tax_representative(&mut self, root: Node<'d>) -> Option<SellerTaxRepresentative> {
        let party = self.cac(root, "TaxRepresentativeParty")?;
        nonempty(SellerTaxRepresentative {
            name: self.party_name(party).unwrap_or_default(),
            postal_address: self.postal_address(party, "PostalAddress"),
            vat_identifier: self.party_tax_schemes(party, false).vat.unwrap_or_default(),
        })
    }

    /// BT-34 / BT-49 with the EAS scheme.
    fn endpoint(&mut self, party: Node<'d>) -> Option<ElectronicAddress> {
        let id = self.identifier(party, "EndpointID")?;
        Some(ElectronicAddress {
            value: id.value,
            scheme_id: id.scheme_id.map(EasCode::from),
        })
    }

    /// Up to `max` party identifications (BT-29, BT-46, BT-60); with a `creditor_id` slot, the
    /// first one with `schemeID="SEPA"` is BT-90 instead. Further ones are reported.
    fn party_identifiers(
        &mut self,
        party: Node<'d>,
        max: usize,
        mut creditor_id: Option<&mut Option<String>>,
    ) -> Vec<Identifier> {
        let mut ids = Vec::new();
        for identification in party.children_named(CAC_NS, "PartyIdentification") {
            let Some(id) = identification.child(CBC_NS, "ID") else {
                continue;
            };
            let sepa = id
                .attribute("schemeID")
                .is_some_and(|s| s.trim().eq_ignore_ascii_case(SEPA));
            if sepa {
                if let Some(slot) = creditor_id.as_deref_mut() {
                    self.creditor_identification(identification, slot);
                    continue;
                }
            }
            if ids.len() < max {
                self.r.mark(identification);
                let node = self.leaf(identification, "ID", &["schemeID"]);
                ids.push(node.and_then(identifier_of).unwrap_or_default());
            }
        }
        ids
    }

    /// BT-90 from a SEPA party identification, unless an earlier one was taken (then it is
    /// reported, UBL-SR-29).
    fn creditor_identification(&mut self, identification: Node<'d>, slot: &mut Option<String>) {
        if slot.is_some() {
            return;
        }
        self.r.mark(identification);
        *slot = self
            .leaf(identification, "ID", &["schemeID"])
            .and_then(nonempty_text);
    }

    /// BT-28 / BT-45 / BT-59 / BT-62 / BT-70: `cac:PartyName/cbc:Name`.
    fn party_name(&mut self, party: Node<'d>) -> Option<String> {
        let name = self.cac(party, "PartyName")?;
        self.text(name, "Name")
    }

    /// BT-31 / BT-48 / BT-63 (tax scheme VAT) and, with `other_allowed`, BT-32 (any other tax
    /// scheme, kept in the identifier's scheme). A scheme without `cbc:CompanyID` or beyond the
    /// first of its kind is reported.
    fn party_tax_schemes(&mut self, party: Node<'d>, other_allowed: bool) -> PartyTax {
        let mut tax = PartyTax::default();
        for scheme in party.children_named(CAC_NS, "PartyTaxScheme") {
            if scheme.child(CBC_NS, "CompanyID").is_none() {
                continue;
            }
            let tax_scheme = scheme
                .child(CAC_NS, "TaxScheme")
                .and_then(|s| s.child(CBC_NS, "ID"))
                .and_then(nonempty_text);
            let vat = tax_scheme.as_deref().is_some_and(is_vat);
            let free = if vat {
                tax.vat.is_none()
            } else {
                other_allowed && tax.other.is_none()
            };
            if !free {
                continue;
            }
            self.r.mark(scheme);
            let value = self.string(scheme, "CompanyID");
            if let Some(s) = self.cac(scheme, "TaxScheme") {
                self.leaf(s, "ID", &[]);
            }
            if vat {
                tax.vat = nonempty(value);
            } else {
                tax.other = identifier_of_parts(value, tax_scheme);
            }
        }
        tax
    }

    /// BG-5 / BG-8 / BG-12 from `cac:{local}` of the party.
    fn postal_address(&mut self, party: Node<'d>, local: &str) -> PostalAddress {
        self.cac(party, local)
            .map(|a| self.address(a))
            .unwrap_or_default()
    }

    /// A postal address (BG-5, BG-8, BG-12, BG-15).
    fn address(&mut self, address: Node<'d>) -> PostalAddress {
        PostalAddress {
            address_line_1: self.text(address, "StreetName"),
            address_line_2: self.text(address, "AdditionalStreetName"),
            city: self.text(address, "CityName"),
            post_code: self.text(address, "PostalZone"),
            country_subdivision: self.text(address, "CountrySubentity"),
            address_line_3: self
                .cac(address, "AddressLine")
                .and_then(|l| self.text(l, "Line")),
            country_code: self
                .cac(address, "Country")
                .map(|c| self.string(c, "IdentificationCode"))
                .unwrap_or_default()
                .into(),
        }
    }

    /// BG-6 / BG-9.
    fn contact(&mut self, party: Node<'d>) -> Option<Contact> {
        let contact = self.cac(party, "Contact")?;
        nonempty(Contact {
            contact_point: self.text(contact, "Name"),
            telephone_number: self.text(contact, "Telephone"),
            email_address: self.text(contact, "ElectronicMail"),
        })
    }

    /// BG-13 with BG-15.
    fn delivery(&mut self, root: Node<'d>) -> Option<DeliveryInformation> {
        let delivery = self.cac(root, "Delivery")?;
        let mut info = DeliveryInformation {
            actual_delivery_date: self.date(delivery, "ActualDeliveryDate"),
            ..DeliveryInformation::default()
        };
        if let Some(location) = self.cac(delivery, "DeliveryLocation") {
            info.deliver_to_location_identifier = self.identifier(location, "ID");
            info.deliver_to_address = self
                .cac(location, "Address")
                .map(|a| self.address(a))
                .and_then(nonempty);
        }
        info.deliver_to_party_name = self
            .cac(delivery, "DeliveryParty")
            .and_then(|p| self.party_name(p));
        nonempty(info)
    }
}

/// BT-32 from its parts; `None` when it carries nothing.
fn identifier_of_parts(value: String, scheme_id: Option<String>) -> Option<Identifier> {
    (!value.is_empty() || scheme_id.is_some()).then_some(Identifier { value, scheme_id })
}

// ------------------------------------------------------------------------------------------------
// Payment
// ------------------------------------------------------------------------------------------------

impl<'d> Cx<'d> {
    /// BG-16 from every `cac:PaymentMeans`, with BT-90 found in the parties; in a credit note also
    /// BT-9 (`cbc:PaymentDueDate`).
    fn payment_instructions(
        &mut self,
        root: Node<'d>,
        creditor_id: Option<String>,
        due_date: &mut Option<NaiveDate>,
    ) -> Option<PaymentInstructions> {
        let mut pi = PaymentInstructions::default();
        let mut seen = PaymentSeen::default();
        let mut direct_debit = DirectDebit {
            bank_assigned_creditor_identifier: creditor_id,
            ..DirectDebit::default()
        };
        for means in self.cacs(root, "PaymentMeans") {
            self.payment_means_code(means, &mut pi, &mut seen);
            if self.credit_note && !seen.due_date && means.child(CBC_NS, "PaymentDueDate").is_some()
            {
                seen.due_date = true;
                *due_date = self.date(means, "PaymentDueDate");
            }
            self.remittance_information(means, &mut pi);
            if !seen.card {
                if let Some(card) = self.cac(means, "CardAccount") {
                    seen.card = true;
                    pi.payment_card = self.payment_card(card);
                }
            }
            if let Some(account) = self.cac(means, "PayeeFinancialAccount") {
                let transfer = self.credit_transfer(account);
                pi.credit_transfers.push(transfer);
            }
            if !seen.mandate {
                if let Some(mandate) = self.cac(means, "PaymentMandate") {
                    seen.mandate = true;
                    self.mandate(mandate, &mut direct_debit);
                }
            }
        }
        pi.direct_debit = nonempty(direct_debit);
        nonempty(pi)
    }

    /// BT-81 with BT-82 (`@name`). A later payment means must repeat the same code; a different
    /// one is reported.
    fn payment_means_code(
        &mut self,
        means: Node<'d>,
        pi: &mut PaymentInstructions,
        seen: &mut PaymentSeen,
    ) {
        let Some(node) = self.peek(means, CBC_NS, "PaymentMeansCode") else {
            return;
        };
        let code = node.text();
        if !seen.code {
            seen.code = true;
            pi.payment_means_type_code = code.into_owned().into();
        } else if code != pi.payment_means_type_code.as_str() {
            return;
        }
        self.consume_leaf(node, &["name"]);
        let Some(name) = node.attribute("name") else {
            return;
        };
        match &pi.payment_means_text {
            None => pi.payment_means_text = nonempty(name.to_owned()),
            Some(text) if text == name => {}
            Some(_) => self
                .r
                .note(node, "a second payment means text (BT-82) is not carried"),
        }
    }

    /// BT-83: the first `cbc:PaymentID`; later payment means may repeat it, a different one is
    /// reported.
    fn remittance_information(&mut self, means: Node<'d>, pi: &mut PaymentInstructions) {
        let Some(node) = self.peek(means, CBC_NS, "PaymentID") else {
            return;
        };
        let text = node.text();
        match &pi.remittance_information {
            None => {
                self.consume_leaf(node, &[]);
                pi.remittance_information = nonempty(text.into_owned());
            }
            Some(first) if *first == text => self.consume_leaf(node, &[]),
            Some(_) => {}
        }
    }

    /// BG-18; the network id UBL requires is consumed when it is a placeholder.
    fn payment_card(&mut self, card: Node<'d>) -> Option<PaymentCard> {
        let primary_account_number = self.string(card, "PrimaryAccountNumberID");
        if let Some(network) = self.peek(card, CBC_NS, "NetworkID") {
            if matches!(network.text().trim(), PLACEHOLDER | PLACEHOLDER_FROM_CII) {
                self.consume_leaf(network, &[]);
            }
        }
        nonempty(PaymentCard {
            primary_account_number,
            holder_name: self.text(card, "HolderName"),
        })
    }

    /// BG-17.
    fn credit_transfer(&mut self, account: Node<'d>) -> CreditTransfer {
        CreditTransfer {
            payment_account_identifier: self.string(account, "ID"),
            payment_account_name: self.text(account, "Name"),
            payment_service_provider_identifier: self
                .cac(account, "FinancialInstitutionBranch")
                .and_then(|b| self.text(b, "ID")),
        }
    }

    /// BT-89 and BT-91 of BG-19.
    fn mandate(&mut self, mandate: Node<'d>, direct_debit: &mut DirectDebit) {
        direct_debit.mandate_reference_identifier = self.text(mandate, "ID");
        direct_debit.debited_account_identifier = self
            .cac(mandate, "PayerFinancialAccount")
            .and_then(|a| self.text(a, "ID"));
    }

    /// BG-DEX-09 (invoice only: a UBL credit note has no `cac:PrepaidPayment`).
    fn third_party_payments(&mut self, root: Node<'d>) -> Vec<ThirdPartyPayment> {
        if self.credit_note {
            return Vec::new();
        }
        let payments = self.cacs(root, "PrepaidPayment");
        payments
            .into_iter()
            .map(|p| ThirdPartyPayment {
                payment_type: self.string(p, "ID"),
                amount: self.amount(p, "PaidAmount"),
                description: self.string(p, "InstructionID"),
            })
            .collect()
    }
}

// ------------------------------------------------------------------------------------------------
// Allowances, charges, VAT and totals
// ------------------------------------------------------------------------------------------------

impl<'d> Cx<'d> {
    /// BG-20 and BG-21.
    fn document_allowances_charges(&mut self, root: Node<'d>, inv: &mut Invoice) {
        for node in root.children_named(CAC_NS, "AllowanceCharge") {
            let Some(charge) = self.charge_indicator(node) else {
                continue;
            };
            let (ac, vat) = self.allowance_charge(node, true);
            ac.add_to_document(inv, charge, vat.code, vat.rate);
        }
    }

    /// The `cbc:ChargeIndicator` of a `cac:AllowanceCharge`, which is then consumed; without a
    /// readable indicator the group is neither an allowance nor a charge and is reported.
    fn charge_indicator(&mut self, node: Node<'d>) -> Option<bool> {
        let indicator = node
            .child(CBC_NS, "ChargeIndicator")
            .and_then(|c| boolean(&c.text()));
        if indicator.is_some() {
            self.r.mark(node);
            self.leaf(node, "ChargeIndicator", &[]);
        } else {
            self.reject(
                node,
                "allowance/charge without a readable cbc:ChargeIndicator (xs:boolean) is neither \
                 an allowance nor a charge",
            );
        }
        indicator
    }

    /// The terms of an allowance or charge; the VAT category only on document level.
    fn allowance_charge(
        &mut self,
        node: Node<'d>,
        with_vat: bool,
    ) -> (AllowanceCharge, VatCategory) {
        let ac = AllowanceCharge {
            reason_code: self.text(node, "AllowanceChargeReasonCode"),
            reason: self.text(node, "AllowanceChargeReason"),
            percentage: self.decimal(node, "MultiplierFactorNumeric"),
            amount: self.amount(node, "Amount"),
            base_amount: self.amount(node, "BaseAmount"),
        };
        let vat = if with_vat {
            self.cac(node, "TaxCategory")
                .map(|c| self.vat_category(c))
                .unwrap_or_default()
        } else {
            VatCategory::default()
        };
        (ac, vat)
    }

    /// A `cac:TaxCategory` / `cac:ClassifiedTaxCategory`: code and rate; the tax scheme `VAT` is
    /// syntax, another scheme is reported.
    fn vat_category(&mut self, category: Node<'d>) -> VatCategory {
        let vat = VatCategory {
            code: self.string(category, "ID").into(),
            rate: self.decimal(category, "Percent"),
        };
        if let Some(scheme) = self.cac(category, "TaxScheme") {
            if let Some(id) = self.peek(scheme, CBC_NS, "ID") {
                if is_vat(&id.text()) {
                    self.consume_leaf(id, &[]);
                }
            }
        }
        vat
    }

    /// BG-22 without BT-110/BT-111 (those are in `cac:TaxTotal`).
    fn document_totals(&mut self, root: Node<'d>) -> DocumentTotals {
        let Some(t) = self.cac(root, "LegalMonetaryTotal") else {
            return DocumentTotals::default();
        };
        DocumentTotals {
            sum_of_invoice_line_net_amount: self.amount(t, "LineExtensionAmount"),
            invoice_total_amount_without_vat: self.amount(t, "TaxExclusiveAmount"),
            invoice_total_amount_with_vat: self.amount(t, "TaxInclusiveAmount"),
            sum_of_allowances_on_document_level: self.amount(t, "AllowanceTotalAmount"),
            sum_of_charges_on_document_level: self.amount(t, "ChargeTotalAmount"),
            paid_amount: self.amount(t, "PrepaidAmount"),
            rounding_amount: self.amount(t, "PayableRoundingAmount"),
            amount_due_for_payment: self.amount(t, "PayableAmount"),
            ..DocumentTotals::default()
        }
    }

    /// BT-110 with BG-23 (the tax total in BT-5) and BT-111 (the tax total in BT-6); further tax
    /// totals are reported.
    fn tax_totals(&mut self, root: Node<'d>, inv: &mut Invoice) {
        let accounting = inv
            .vat_accounting_currency_code
            .as_ref()
            .map(|c| c.as_str().trim().to_owned());
        let distinct = accounting
            .as_deref()
            .is_some_and(|a| a != self.currency.trim());
        let (mut vat_total, mut accounting_total) = (false, false);
        for total in root.children_named(CAC_NS, "TaxTotal") {
            let currency = total
                .child(CBC_NS, "TaxAmount")
                .and_then(|a| a.attribute("currencyID"))
                .map(str::trim);
            let in_accounting = accounting.is_some() && currency == accounting.as_deref();
            if !(vat_total || (distinct && in_accounting)) {
                vat_total = true;
                self.r.mark(total);
                inv.document_totals.invoice_total_vat_amount = self.amount(total, "TaxAmount");
                let subtotals = self.cacs(total, "TaxSubtotal");
                inv.vat_breakdowns = subtotals
                    .into_iter()
                    .map(|s| self.vat_breakdown(s))
                    .collect();
            } else if !accounting_total && in_accounting {
                accounting_total = true;
                self.r.mark(total);
                let currency = accounting.as_deref().unwrap_or_default();
                inv.document_totals
                    .invoice_total_vat_amount_in_accounting_currency =
                    self.amount_in(total, "TaxAmount", currency);
            }
        }
    }

    /// BG-23.
    fn vat_breakdown(&mut self, subtotal: Node<'d>) -> VatBreakdown {
        let mut breakdown = VatBreakdown {
            vat_category_taxable_amount: self.amount(subtotal, "TaxableAmount"),
            vat_category_tax_amount: self.amount(subtotal, "TaxAmount"),
            ..VatBreakdown::default()
        };
        if let Some(category) = self.cac(subtotal, "TaxCategory") {
            let vat = self.vat_category(category);
            breakdown.vat_category_code = vat.code;
            breakdown.vat_category_rate = vat.rate;
            breakdown.vat_exemption_reason_code = self
                .text(category, "TaxExemptionReasonCode")
                .map(Into::into);
            breakdown.vat_exemption_reason_text = self.text(category, "TaxExemptionReason");
        }
        breakdown
    }
}

// ------------------------------------------------------------------------------------------------
// Lines
// ------------------------------------------------------------------------------------------------

impl<'d> Cx<'d> {
    /// BG-25: `cac:InvoiceLine` / `cac:CreditNoteLine`.
    fn lines(&mut self, root: Node<'d>) -> Vec<InvoiceLine> {
        let name = if self.credit_note {
            "CreditNoteLine"
        } else {
            "InvoiceLine"
        };
        let lines = self.cacs(root, name);
        lines.into_iter().map(|l| self.line(l)).collect()
    }

    /// One BG-25 line, or (recursively) a BG-DEX-01 sub invoice line.
    fn line(&mut self, node: Node<'d>) -> InvoiceLine {
        let (quantity, sub_line) = if self.credit_note {
            ("CreditedQuantity", "SubCreditNoteLine")
        } else {
            ("InvoicedQuantity", "SubInvoiceLine")
        };
        let mut line = InvoiceLine {
            identifier: self.string(node, "ID"),
            note: self.text(node, "Note"),
            ..InvoiceLine::default()
        };
        (line.invoiced_quantity, line.invoiced_quantity_unit_code) = self.quantity(node, quantity);
        line.net_amount = self.amount(node, "LineExtensionAmount");
        line.buyer_accounting_reference = self.text(node, "AccountingCost");
        line.period = self.cac(node, "InvoicePeriod").and_then(|p| self.period(p));
        line.referenced_purchase_order_line_reference = self
            .cac(node, "OrderLineReference")
            .and_then(|o| self.text(o, "LineID"));
        line.object_identifier = self.line_object_identifier(node);
        self.line_allowances_charges(node, &mut line);
        if let Some(item) = self.cac(node, "Item") {
            self.item(item, &mut line);
        }
        if let Some(price) = self.cac(node, "Price") {
            line.price_details = self.price(price);
        }
        let sub_lines = self.cacs(node, sub_line);
        line.sub_invoice_lines = sub_lines.into_iter().map(|s| self.line(s)).collect();
        line
    }

    /// BT-128 with BT-128-1: the line's document reference, unless its type code says it is
    /// something else (then it is reported).
    fn line_object_identifier(&mut self, line: Node<'d>) -> Option<ObjectIdentifier> {
        let reference = line.child(CAC_NS, "DocumentReference")?;
        let type_code = reference
            .child(CBC_NS, "DocumentTypeCode")
            .map(|c| c.text().trim().to_owned());
        if type_code.as_deref().is_some_and(|c| c != INVOICED_OBJECT) {
            return None;
        }
        let reference = self.cac(line, "DocumentReference")?;
        if type_code.is_some() {
            self.document_type_code(reference);
        }
        self.object_identifier(reference)
    }

    /// BG-27 and BG-28.
    fn line_allowances_charges(&mut self, node: Node<'d>, line: &mut InvoiceLine) {
        for ac_node in node.children_named(CAC_NS, "AllowanceCharge") {
            let Some(charge) = self.charge_indicator(ac_node) else {
                continue;
            };
            let (ac, _) = self.allowance_charge(ac_node, false);
            ac.add_to_line(line, charge);
        }
    }

    /// BG-31 with BG-32, and BG-30 (`cac:ClassifiedTaxCategory`).
    fn item(&mut self, item: Node<'d>, line: &mut InvoiceLine) {
        let info = &mut line.item_information;
        info.description = self.text(item, "Description");
        info.name = self.string(item, "Name");
        info.buyers_identifier = self.item_identification(item, "BuyersItemIdentification");
        info.sellers_identifier = self.item_identification(item, "SellersItemIdentification");
        info.standard_identifier = self
            .cac(item, "StandardItemIdentification")
            .and_then(|s| self.identifier(s, "ID"));
        info.country_of_origin = self
            .cac(item, "OriginCountry")
            .and_then(|c| self.text(c, "IdentificationCode"))
            .map(Into::into);
        info.classification_identifiers = self.classifications(item);
        if let Some(category) = self.cac(item, "ClassifiedTaxCategory") {
            let vat = self.vat_category(category);
            line.vat_information = LineVatInformation {
                invoiced_item_vat_category_code: vat.code,
                invoiced_item_vat_rate: vat.rate,
            };
        }
        let properties = self.cacs(item, "AdditionalItemProperty");
        line.item_information.attributes = properties
            .into_iter()
            .map(|p| ItemAttribute {
                name: self.string(p, "Name"),
                value: self.string(p, "Value"),
            })
            .collect();
    }

    /// BT-155 / BT-156: the `cbc:ID` of an item identification.
    fn item_identification(&mut self, item: Node<'d>, local: &str) -> Option<String> {
        let identification = self.cac(item, local)?;
        self.text(identification, "ID")
    }

    /// BT-158 with BT-158-1 (`@listID`) and BT-158-2 (`@listVersionID`).
    fn classifications(&mut self, item: Node<'d>) -> Vec<ItemClassificationIdentifier> {
        let mut out = Vec::new();
        for classification in item.children_named(CAC_NS, "CommodityClassification") {
            if classification
                .child(CBC_NS, "ItemClassificationCode")
                .is_none()
            {
                continue;
            }
            self.r.mark(classification);
            let code = self.leaf(
                classification,
                "ItemClassificationCode",
                &["listID", "listVersionID"],
            );
            if let Some(code) = code {
                out.push(ItemClassificationIdentifier {
                    value: code.text().into_owned(),
                    scheme_id: code.attribute("listID").map(Into::into),
                    scheme_version_id: code.attribute("listVersionID").map(str::to_owned),
                });
            }
        }
        out
    }

    /// BG-29: BT-146, BT-149/BT-150, and the price discount (BT-147 `cbc:Amount`, BT-148 gross
    /// price `cbc:BaseAmount`) of a `cac:AllowanceCharge` with `cbc:ChargeIndicator` false.
    fn price(&mut self, price: Node<'d>) -> PriceDetails {
        let mut details = PriceDetails {
            item_net_price: self.amount(price, "PriceAmount"),
            ..PriceDetails::default()
        };
        (
            details.item_price_base_quantity,
            details.item_price_base_quantity_unit_code,
        ) = self.quantity(price, "BaseQuantity");
        let Some(ac) = self.peek(price, CAC_NS, "AllowanceCharge") else {
            return details;
        };
        let indicator = ac
            .child(CBC_NS, "ChargeIndicator")
            .and_then(|c| boolean(&c.text()));
        if indicator == Some(false) {
            self.r.mark(ac);
            self.leaf(ac, "ChargeIndicator", &[]);
            details.item_price_discount = self.amount(ac, "Amount");
            details.item_gross_price = self.amount(ac, "BaseAmount");
        } else {
            self.reject(
                ac,
                "a price allowance/charge that is not a discount (cbc:ChargeIndicator false) has \
                 no EN 16931 business term",
            );
        }
        details
    }
}
