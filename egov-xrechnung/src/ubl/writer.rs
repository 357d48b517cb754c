//! Model → UBL 2.1, elements in the order of the schema sequences (`InvoiceType`,
//! `CreditNoteType` and the `cac` types of UBL-CommonAggregateComponents-2.1.xsd).
//!
//! A group element is written when the model has something for it; a repeated group (lines,
//! notes, allowances, …) is written once per entry of its list.

use std::borrow::Cow;

use chrono::NaiveDate;
use egov_core::xml::XmlWriter;
use rust_decimal::Decimal;

use super::{INVOICED_OBJECT, PLACEHOLDER, PROJECT_REFERENCE, SEPA, VAT};
use crate::codes::{UnitCode, VatCategoryCode, VatExemptionReasonCode};
use crate::model::{
    Contact, ElectronicAddress, Identifier, Invoice, InvoiceLine, InvoiceNote, Payee,
    PaymentInstructions, Period, PostalAddress, PriceDetails,
};
use crate::write::AllowanceCharge;
use crate::write::{decimal, iso_date, nonempty, opt, with_attr};
use crate::{CAC_NS, CBC_NS, UBL_CREDIT_NOTE_NS, UBL_INVOICE_NS};

/// Writes the invoice as `ubl:Invoice` or `ubl:CreditNote`.
pub(super) fn write(invoice: &Invoice) -> String {
    let mut out = Out {
        x: XmlWriter::new().indent(true).declaration(),
        currency: invoice.invoice_currency_code.as_str(),
        credit_note: invoice.is_credit_note(),
    };
    out.document(invoice);
    out.x.finish()
}

/// The writer state.
struct Out<'a> {
    x: XmlWriter,
    /// BT-5, the `currencyID` of every amount except BT-111.
    currency: &'a str,
    /// Whether a `CreditNote` is written.
    credit_note: bool,
}

/// A `cac:TaxCategory` / `cac:ClassifiedTaxCategory`.
struct TaxCategory<'v> {
    code: &'v VatCategoryCode,
    rate: Option<&'v Decimal>,
    exemption_code: Option<&'v VatExemptionReasonCode>,
    exemption_text: Option<&'v str>,
}

impl TaxCategory<'_> {
    fn is_empty(&self) -> bool {
        self.code.is_empty()
            && self.rate.is_none()
            && self.exemption_code.is_none()
            && self.exemption_text.is_none()
    }
}

/// The group unless it is empty.
fn present<T: Default + PartialEq>(value: Option<&T>) -> Option<&T> {
    value.filter(|v| **v != T::default())
}

/// An identifier unless it carries neither value nor scheme.
fn present_id(id: Option<&Identifier>) -> Option<&Identifier> {
    id.filter(|i| !i.value.is_empty() || i.scheme_id.is_some())
}

/// BT-21/BT-22 as one `cbc:Note`: `#CODE#note`.
fn note_text(note: &InvoiceNote) -> Cow<'_, str> {
    match note.subject_code.as_ref().filter(|c| !c.is_empty()) {
        Some(code) => Cow::Owned(format!("#{code}#{}", note.note)),
        None => Cow::Borrowed(&note.note),
    }
}

/// The payee, when there is one to write (BG-10).
fn payee(invoice: &Invoice) -> Option<&Payee> {
    present(invoice.payee.as_ref())
}

/// BT-90, written as the SEPA party identification of the payee, or else of the seller.
fn creditor_id(invoice: &Invoice) -> Option<&str> {
    invoice
        .payment_instructions
        .as_ref()
        .and_then(|p| p.direct_debit.as_ref())
        .and_then(|d| d.bank_assigned_creditor_identifier.as_deref())
        .filter(|id| !id.is_empty())
}

// ------------------------------------------------------------------------------------------------
// Basic components
// ------------------------------------------------------------------------------------------------

impl Out<'_> {
    /// An aggregate element around what `content` writes.
    fn group(&mut self, name: &str, content: impl FnOnce(&mut Self)) {
        self.x.start(name);
        content(self);
        self.x.end();
    }

    /// An optional text term.
    fn text(&mut self, name: &str, value: Option<&str>) {
        opt(&mut self.x, name, value);
    }

    /// A required text term, left out when empty.
    fn string(&mut self, name: &str, value: &str) {
        nonempty(&mut self.x, name, value);
    }

    /// An element written even when its text is empty (an entry of a repeated term).
    fn always(&mut self, name: &str, value: &str) {
        self.x.leaf(name, value);
    }

    /// An identifier with its optional `@schemeID`.
    fn identifier(&mut self, name: &str, id: Option<&Identifier>) {
        if let Some(id) = present_id(id) {
            with_attr(
                &mut self.x,
                name,
                "schemeID",
                id.scheme_id.as_deref(),
                &id.value,
            );
        }
    }

    /// An amount in the invoice currency BT-5.
    fn amount(&mut self, name: &str, value: Option<&Decimal>) {
        let currency = self.currency;
        self.amount_in(name, value, currency);
    }

    /// An amount with an explicit `@currencyID`.
    fn amount_in(&mut self, name: &str, value: Option<&Decimal>, currency: &str) {
        if let Some(v) = value {
            self.x
                .leaf_with(name, &[("currencyID", currency)], &decimal(v));
        }
    }

    /// A decimal number (percentage, rate).
    fn decimal(&mut self, name: &str, value: Option<&Decimal>) {
        if let Some(v) = value {
            self.x.leaf(name, &decimal(v));
        }
    }

    /// An `xs:date`.
    fn date(&mut self, name: &str, value: Option<&NaiveDate>) {
        if let Some(d) = value {
            self.x.leaf(name, &iso_date(d));
        }
    }

    /// A quantity with its `@unitCode`.
    fn quantity(&mut self, name: &str, value: Option<&Decimal>, unit: Option<&UnitCode>) {
        if value.is_none() && unit.is_none() {
            return;
        }
        let text = value.map(decimal).unwrap_or_default();
        with_attr(
            &mut self.x,
            name,
            "unitCode",
            unit.map(UnitCode::as_str),
            &text,
        );
    }

    /// A `cac:{name}` wrapping only a `cbc:ID`.
    fn id_group(&mut self, name: &str, id: Option<&str>) {
        if let Some(id) = id.filter(|i| !i.is_empty()) {
            self.group(name, |w| w.always("cbc:ID", id));
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Document level
// ------------------------------------------------------------------------------------------------

impl Out<'_> {
    fn document(&mut self, inv: &Invoice) {
        let (root, ns) = if self.credit_note {
            ("ubl:CreditNote", UBL_CREDIT_NOTE_NS)
        } else {
            ("ubl:Invoice", UBL_INVOICE_NS)
        };
        self.x.start(root);
        self.x.namespace("ubl", ns);
        self.x.namespace("cac", CAC_NS);
        self.x.namespace("cbc", CBC_NS);
        self.header(inv);
        self.references(inv);
        self.seller(inv);
        self.buyer(inv);
        self.payee_party(inv);
        self.tax_representative(inv);
        self.delivery(inv);
        self.payment_means(inv);
        if let Some(terms) = inv.payment_terms.as_deref().filter(|t| !t.is_empty()) {
            self.group("cac:PaymentTerms", |w| w.always("cbc:Note", terms));
        }
        self.third_party_payments(inv);
        self.document_allowances_charges(inv);
        self.tax_totals(inv);
        self.legal_monetary_total(inv);
        let line = if self.credit_note {
            "cac:CreditNoteLine"
        } else {
            "cac:InvoiceLine"
        };
        for l in &inv.invoice_lines {
            self.line(l, line);
        }
        self.x.end();
    }

    /// BT-24, BT-23, BT-1, BT-2, (invoice: BT-9), BT-7/BT-3/BG-1 in the schema's order, BT-5,
    /// BT-6, BT-19, BT-10.
    fn header(&mut self, inv: &Invoice) {
        let process = &inv.process_control;
        self.string("cbc:CustomizationID", &process.specification_identifier);
        self.text("cbc:ProfileID", process.business_process_type.as_deref());
        self.string("cbc:ID", &inv.invoice_number);
        self.date("cbc:IssueDate", inv.issue_date.as_ref());
        let tax_point_date = inv.value_added_tax_point_date.as_ref();
        if self.credit_note {
            self.date("cbc:TaxPointDate", tax_point_date);
            self.string("cbc:CreditNoteTypeCode", inv.invoice_type_code.as_str());
            self.notes(inv);
        } else {
            self.date("cbc:DueDate", inv.payment_due_date.as_ref());
            self.string("cbc:InvoiceTypeCode", inv.invoice_type_code.as_str());
            self.notes(inv);
            self.date("cbc:TaxPointDate", tax_point_date);
        }
        let currency = self.currency;
        self.string("cbc:DocumentCurrencyCode", currency);
        let tax_currency = inv.vat_accounting_currency_code.as_ref();
        self.text("cbc:TaxCurrencyCode", tax_currency.map(|c| c.as_str()));
        self.text(
            "cbc:AccountingCost",
            inv.buyer_accounting_reference.as_deref(),
        );
        self.text("cbc:BuyerReference", inv.buyer_reference.as_deref());
    }

    /// BG-1.
    fn notes(&mut self, inv: &Invoice) {
        for note in &inv.invoice_notes {
            self.always("cbc:Note", &note_text(note));
        }
    }

    /// BG-14 with BT-8, BT-13/14, BG-3, BT-16, BT-15, BT-17, BT-12, BG-24/BT-18 (credit note:
    /// BT-11), BT-11 — where each schema puts them.
    fn references(&mut self, inv: &Invoice) {
        let code = inv.value_added_tax_point_date_code.as_ref();
        self.period(
            "cac:InvoicePeriod",
            inv.invoicing_period.as_ref(),
            code.map(|c| c.as_str()),
        );
        self.order_reference(inv);
        for preceding in &inv.preceding_invoice_references {
            self.group("cac:BillingReference", |w| {
                w.group("cac:InvoiceDocumentReference", |w| {
                    w.string("cbc:ID", &preceding.preceding_invoice_reference);
                    w.date(
                        "cbc:IssueDate",
                        preceding.preceding_invoice_issue_date.as_ref(),
                    );
                });
            });
        }
        self.id_group(
            "cac:DespatchDocumentReference",
            inv.despatch_advice_reference.as_deref(),
        );
        self.id_group(
            "cac:ReceiptDocumentReference",
            inv.receiving_advice_reference.as_deref(),
        );
        let tender = inv.tender_or_lot_reference.as_deref();
        if !self.credit_note {
            self.id_group("cac:OriginatorDocumentReference", tender);
        }
        self.id_group(
            "cac:ContractDocumentReference",
            inv.contract_reference.as_deref(),
        );
        self.additional_documents(inv);
        if self.credit_note {
            self.id_group("cac:OriginatorDocumentReference", tender);
        } else {
            self.id_group("cac:ProjectReference", inv.project_reference.as_deref());
        }
    }

    /// BG-14 / BG-26 (and BT-8 for the invoicing period).
    fn period(&mut self, name: &str, period: Option<&Period>, code: Option<&str>) {
        let period = present(period);
        let code = code.filter(|c| !c.is_empty());
        if period.is_none() && code.is_none() {
            return;
        }
        self.group(name, |w| {
            if let Some(p) = period {
                w.date("cbc:StartDate", p.start_date.as_ref());
                w.date("cbc:EndDate", p.end_date.as_ref());
            }
            w.text("cbc:DescriptionCode", code);
        });
    }

    /// BT-13 and BT-14; UBL requires `cbc:ID`, so a BT-14 without BT-13 gets the placeholder.
    fn order_reference(&mut self, inv: &Invoice) {
        let purchase = inv
            .purchase_order_reference
            .as_deref()
            .filter(|r| !r.is_empty());
        let sales = inv
            .sales_order_reference
            .as_deref()
            .filter(|r| !r.is_empty());
        if purchase.is_none() && sales.is_none() {
            return;
        }
        self.group("cac:OrderReference", |w| {
            w.always("cbc:ID", purchase.unwrap_or(PLACEHOLDER));
            w.text("cbc:SalesOrderID", sales);
        });
    }

    /// BG-24, then BT-18 (type code 130) and in a credit note BT-11 (type code 50).
    fn additional_documents(&mut self, inv: &Invoice) {
        for document in &inv.additional_supporting_documents {
            self.group("cac:AdditionalDocumentReference", |w| {
                w.string("cbc:ID", &document.supporting_document_reference);
                w.text(
                    "cbc:DocumentDescription",
                    document.supporting_document_description.as_deref(),
                );
                let attached = present(document.attached_document.as_ref());
                let external = document
                    .external_document_location
                    .as_deref()
                    .filter(|l| !l.is_empty());
                if attached.is_none() && external.is_none() {
                    return;
                }
                w.group("cac:Attachment", |w| {
                    if let Some(a) = attached {
                        w.x.start("cbc:EmbeddedDocumentBinaryObject");
                        if let Some(mime) = &a.mime_code {
                            w.x.attribute("mimeCode", mime.as_str());
                        }
                        if let Some(filename) = &a.filename {
                            w.x.attribute("filename", filename);
                        }
                        w.x.text(&a.content).end();
                    }
                    if let Some(uri) = external {
                        w.group("cac:ExternalReference", |w| w.always("cbc:URI", uri));
                    }
                });
            });
        }
        if let Some(object) = inv.invoiced_object_identifier.as_ref() {
            if !object.value.is_empty() || object.scheme_id.is_some() {
                self.group("cac:AdditionalDocumentReference", |w| {
                    let scheme = object.scheme_id.as_ref().map(|s| s.as_str());
                    with_attr(&mut w.x, "cbc:ID", "schemeID", scheme, &object.value);
                    w.always("cbc:DocumentTypeCode", INVOICED_OBJECT);
                });
            }
        }
        let project = inv.project_reference.as_deref().filter(|p| !p.is_empty());
        if let (true, Some(project)) = (self.credit_note, project) {
            self.group("cac:AdditionalDocumentReference", |w| {
                w.always("cbc:ID", project);
                w.always("cbc:DocumentTypeCode", PROJECT_REFERENCE);
            });
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Parties
// ------------------------------------------------------------------------------------------------

impl Out<'_> {
    /// BG-4 (with BT-90 when there is no payee).
    fn seller(&mut self, inv: &Invoice) {
        let s = &inv.seller;
        let sepa = if payee(inv).is_some() {
            None
        } else {
            creditor_id(inv)
        };
        self.group("cac:AccountingSupplierParty", |w| {
            w.group("cac:Party", |w| {
                w.endpoint(s.electronic_address.as_ref());
                for id in &s.identifiers {
                    w.group("cac:PartyIdentification", |w| {
                        with_attr(
                            &mut w.x,
                            "cbc:ID",
                            "schemeID",
                            id.scheme_id.as_deref(),
                            &id.value,
                        );
                    });
                }
                w.creditor_id(sepa);
                w.party_name(s.trading_name.as_deref());
                w.address("cac:PostalAddress", &s.postal_address);
                w.vat_scheme(s.vat_identifier.as_deref());
                if let Some(other) = present_id(s.tax_registration_identifier.as_ref()) {
                    w.party_tax_scheme(&other.value, other.scheme_id.as_deref());
                }
                w.legal_entity(
                    &s.name,
                    s.legal_registration_identifier.as_ref(),
                    s.additional_legal_information.as_deref(),
                );
                w.contact(s.contact.as_ref());
            });
        });
    }

    /// BG-7.
    fn buyer(&mut self, inv: &Invoice) {
        let b = &inv.buyer;
        self.group("cac:AccountingCustomerParty", |w| {
            w.group("cac:Party", |w| {
                w.endpoint(b.electronic_address.as_ref());
                w.party_identification(b.identifier.as_ref());
                w.party_name(b.trading_name.as_deref());
                w.address("cac:PostalAddress", &b.postal_address);
                w.vat_scheme(b.vat_identifier.as_deref());
                w.legal_entity(&b.name, b.legal_registration_identifier.as_ref(), None);
                w.contact(b.contact.as_ref());
            });
        });
    }

    /// BG-10 (with BT-90).
    fn payee_party(&mut self, inv: &Invoice) {
        let Some(p) = payee(inv) else {
            return;
        };
        let sepa = creditor_id(inv);
        self.group("cac:PayeeParty", |w| {
            w.party_identification(p.identifier.as_ref());
            w.creditor_id(sepa);
            w.party_name(Some(&p.name));
            w.legal_entity("", p.legal_registration_identifier.as_ref(), None);
        });
    }

    /// BG-11.
    fn tax_representative(&mut self, inv: &Invoice) {
        let Some(t) = present(inv.seller_tax_representative.as_ref()) else {
            return;
        };
        self.group("cac:TaxRepresentativeParty", |w| {
            w.party_name(Some(&t.name));
            w.address("cac:PostalAddress", &t.postal_address);
            w.vat_scheme(Some(&t.vat_identifier));
        });
    }

    /// BT-34 / BT-49 with the EAS scheme.
    fn endpoint(&mut self, address: Option<&ElectronicAddress>) {
        let Some(a) = address.filter(|a| !a.value.is_empty() || a.scheme_id.is_some()) else {
            return;
        };
        let scheme = a.scheme_id.as_ref().map(|s| s.as_str());
        with_attr(&mut self.x, "cbc:EndpointID", "schemeID", scheme, &a.value);
    }

    /// A `cac:PartyIdentification` (BT-46, BT-60).
    fn party_identification(&mut self, id: Option<&Identifier>) {
        if let Some(id) = present_id(id) {
            self.group("cac:PartyIdentification", |w| {
                w.identifier("cbc:ID", Some(id))
            });
        }
    }

    /// BT-90 as `cac:PartyIdentification/cbc:ID[@schemeID='SEPA']`.
    fn creditor_id(&mut self, id: Option<&str>) {
        if let Some(id) = id {
            self.group("cac:PartyIdentification", |w| {
                w.x.leaf_with("cbc:ID", &[("schemeID", SEPA)], id);
            });
        }
    }

    /// `cac:PartyName/cbc:Name`.
    fn party_name(&mut self, name: Option<&str>) {
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            self.group("cac:PartyName", |w| w.always("cbc:Name", name));
        }
    }

    /// A VAT identifier (BT-31, BT-48, BT-63) as a `cac:PartyTaxScheme` with tax scheme VAT.
    fn vat_scheme(&mut self, vat_identifier: Option<&str>) {
        if let Some(id) = vat_identifier.filter(|i| !i.is_empty()) {
            self.party_tax_scheme(id, Some(VAT));
        }
    }

    /// A `cac:PartyTaxScheme`.
    fn party_tax_scheme(&mut self, company_id: &str, tax_scheme: Option<&str>) {
        self.group("cac:PartyTaxScheme", |w| {
            w.always("cbc:CompanyID", company_id);
            w.group("cac:TaxScheme", |w| w.text("cbc:ID", tax_scheme));
        });
    }

    /// `cac:PartyLegalEntity`: BT-27/BT-44, BT-30/BT-47/BT-61, BT-33.
    fn legal_entity(&mut self, name: &str, id: Option<&Identifier>, form: Option<&str>) {
        let id = present_id(id);
        let form = form.filter(|f| !f.is_empty());
        if name.is_empty() && id.is_none() && form.is_none() {
            return;
        }
        self.group("cac:PartyLegalEntity", |w| {
            w.string("cbc:RegistrationName", name);
            w.identifier("cbc:CompanyID", id);
            w.text("cbc:CompanyLegalForm", form);
        });
    }

    /// A postal address (BG-5, BG-8, BG-12, BG-15) as `cac:PostalAddress` / `cac:Address`.
    fn address(&mut self, name: &str, a: &PostalAddress) {
        if *a == PostalAddress::default() {
            return;
        }
        self.group(name, |w| {
            w.text("cbc:StreetName", a.address_line_1.as_deref());
            w.text("cbc:AdditionalStreetName", a.address_line_2.as_deref());
            w.text("cbc:CityName", a.city.as_deref());
            w.text("cbc:PostalZone", a.post_code.as_deref());
            w.text("cbc:CountrySubentity", a.country_subdivision.as_deref());
            if let Some(line) = a.address_line_3.as_deref().filter(|l| !l.is_empty()) {
                w.group("cac:AddressLine", |w| w.always("cbc:Line", line));
            }
            if !a.country_code.is_empty() {
                w.group("cac:Country", |w| {
                    w.always("cbc:IdentificationCode", a.country_code.as_str());
                });
            }
        });
    }

    /// BG-6 / BG-9.
    fn contact(&mut self, contact: Option<&Contact>) {
        let Some(c) = present(contact) else {
            return;
        };
        self.group("cac:Contact", |w| {
            w.text("cbc:Name", c.contact_point.as_deref());
            w.text("cbc:Telephone", c.telephone_number.as_deref());
            w.text("cbc:ElectronicMail", c.email_address.as_deref());
        });
    }

    /// BG-13 with BG-15.
    fn delivery(&mut self, inv: &Invoice) {
        let Some(d) = present(inv.delivery_information.as_ref()) else {
            return;
        };
        self.group("cac:Delivery", |w| {
            w.date("cbc:ActualDeliveryDate", d.actual_delivery_date.as_ref());
            let location = present_id(d.deliver_to_location_identifier.as_ref());
            let address = present(d.deliver_to_address.as_ref());
            if location.is_some() || address.is_some() {
                w.group("cac:DeliveryLocation", |w| {
                    w.identifier("cbc:ID", location);
                    if let Some(a) = address {
                        w.address("cac:Address", a);
                    }
                });
            }
            if let Some(name) = d.deliver_to_party_name.as_deref().filter(|n| !n.is_empty()) {
                w.group("cac:DeliveryParty", |w| w.party_name(Some(name)));
            }
        });
    }
}

// ------------------------------------------------------------------------------------------------
// Payment
// ------------------------------------------------------------------------------------------------

impl Out<'_> {
    /// BG-16: one `cac:PaymentMeans` per BG-17 account (at least one); BT-82, BT-83, BG-18, BG-19
    /// (and in a credit note BT-9) in the first.
    fn payment_means(&mut self, inv: &Invoice) {
        let pi = present(inv.payment_instructions.as_ref());
        let due_date = inv.payment_due_date.as_ref().filter(|_| self.credit_note);
        if pi.is_none() && due_date.is_none() {
            return;
        }
        let empty = PaymentInstructions::default();
        let pi = pi.unwrap_or(&empty);
        let count = pi.credit_transfers.len().max(1);
        for i in 0..count {
            let first = i == 0;
            self.group("cac:PaymentMeans", |w| {
                w.payment_means_code(pi, first);
                if first {
                    w.date("cbc:PaymentDueDate", due_date);
                    w.text("cbc:PaymentID", pi.remittance_information.as_deref());
                    w.payment_card(pi);
                }
                if let Some(t) = pi.credit_transfers.get(i) {
                    w.group("cac:PayeeFinancialAccount", |w| {
                        w.string("cbc:ID", &t.payment_account_identifier);
                        w.text("cbc:Name", t.payment_account_name.as_deref());
                        let provider = t.payment_service_provider_identifier.as_deref();
                        if let Some(bic) = provider.filter(|b| !b.is_empty()) {
                            w.group("cac:FinancialInstitutionBranch", |w| {
                                w.always("cbc:ID", bic)
                            });
                        }
                    });
                }
                if first {
                    w.mandate(pi);
                }
            });
        }
    }

    /// BT-81 with BT-82 (`@name`, first payment means only).
    fn payment_means_code(&mut self, pi: &PaymentInstructions, first: bool) {
        let code = pi.payment_means_type_code.as_str();
        let name = pi
            .payment_means_text
            .as_deref()
            .filter(|n| first && !n.is_empty());
        if !code.is_empty() || name.is_some() {
            with_attr(&mut self.x, "cbc:PaymentMeansCode", "name", name, code);
        }
    }

    /// BG-18; UBL requires a `cbc:NetworkID`, which EN 16931 does not have: a placeholder.
    fn payment_card(&mut self, pi: &PaymentInstructions) {
        let Some(card) = present(pi.payment_card.as_ref()) else {
            return;
        };
        self.group("cac:CardAccount", |w| {
            w.string("cbc:PrimaryAccountNumberID", &card.primary_account_number);
            w.always("cbc:NetworkID", PLACEHOLDER);
            w.text("cbc:HolderName", card.holder_name.as_deref());
        });
    }

    /// BT-89 and BT-91 of BG-19 (BT-90 is in the parties).
    fn mandate(&mut self, pi: &PaymentInstructions) {
        let Some(d) = pi.direct_debit.as_ref() else {
            return;
        };
        let mandate = d
            .mandate_reference_identifier
            .as_deref()
            .filter(|m| !m.is_empty());
        let account = d
            .debited_account_identifier
            .as_deref()
            .filter(|a| !a.is_empty());
        if mandate.is_none() && account.is_none() {
            return;
        }
        self.group("cac:PaymentMandate", |w| {
            w.text("cbc:ID", mandate);
            if let Some(a) = account {
                w.group("cac:PayerFinancialAccount", |w| w.always("cbc:ID", a));
            }
        });
    }

    /// BG-DEX-09 (a UBL credit note has no `cac:PrepaidPayment`).
    fn third_party_payments(&mut self, inv: &Invoice) {
        if self.credit_note {
            return;
        }
        for p in &inv.third_party_payments {
            self.group("cac:PrepaidPayment", |w| {
                w.string("cbc:ID", &p.payment_type);
                w.amount("cbc:PaidAmount", p.amount.as_ref());
                w.string("cbc:InstructionID", &p.description);
            });
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Allowances, charges, VAT and totals
// ------------------------------------------------------------------------------------------------

impl Out<'_> {
    /// BG-20 and BG-21.
    fn document_allowances_charges(&mut self, inv: &Invoice) {
        for a in &inv.document_level_allowances {
            self.allowance_charge(&AllowanceCharge::from(a));
        }
        for c in &inv.document_level_charges {
            self.allowance_charge(&AllowanceCharge::from(c));
        }
    }

    /// A `cac:AllowanceCharge`.
    fn allowance_charge(&mut self, ac: &AllowanceCharge<'_>) {
        self.group("cac:AllowanceCharge", |w| {
            w.always(
                "cbc:ChargeIndicator",
                if ac.charge { "true" } else { "false" },
            );
            w.text("cbc:AllowanceChargeReasonCode", ac.reason_code);
            w.text("cbc:AllowanceChargeReason", ac.reason);
            w.decimal("cbc:MultiplierFactorNumeric", ac.percentage);
            w.amount("cbc:Amount", ac.amount);
            w.amount("cbc:BaseAmount", ac.base_amount);
            if let Some((code, rate)) = ac.vat {
                let category = TaxCategory {
                    code,
                    rate,
                    exemption_code: None,
                    exemption_text: None,
                };
                w.tax_category("cac:TaxCategory", &category, false);
            }
        });
    }

    /// A tax category with tax scheme VAT; an empty optional one is left out.
    fn tax_category(&mut self, name: &str, category: &TaxCategory<'_>, required: bool) {
        if !required && category.is_empty() {
            return;
        }
        self.group(name, |w| {
            w.string("cbc:ID", category.code.as_str());
            w.decimal("cbc:Percent", category.rate);
            w.text(
                "cbc:TaxExemptionReasonCode",
                category.exemption_code.map(|c| c.as_str()),
            );
            w.text("cbc:TaxExemptionReason", category.exemption_text);
            w.group("cac:TaxScheme", |w| w.always("cbc:ID", VAT));
        });
    }

    /// BT-110 with BG-23 in BT-5, then BT-111 in BT-6.
    fn tax_totals(&mut self, inv: &Invoice) {
        let totals = &inv.document_totals;
        let vat_total = totals.invoice_total_vat_amount.as_ref();
        let accounting_total = totals
            .invoice_total_vat_amount_in_accounting_currency
            .as_ref();
        // The reader takes the first tax total as BT-110, so BT-111 needs one before it.
        if vat_total.is_some() || !inv.vat_breakdowns.is_empty() || accounting_total.is_some() {
            self.group("cac:TaxTotal", |w| {
                w.amount("cbc:TaxAmount", vat_total);
                for b in &inv.vat_breakdowns {
                    w.group("cac:TaxSubtotal", |w| {
                        w.amount("cbc:TaxableAmount", b.vat_category_taxable_amount.as_ref());
                        w.amount("cbc:TaxAmount", b.vat_category_tax_amount.as_ref());
                        let category = TaxCategory {
                            code: &b.vat_category_code,
                            rate: b.vat_category_rate.as_ref(),
                            exemption_code: b.vat_exemption_reason_code.as_ref(),
                            exemption_text: b.vat_exemption_reason_text.as_deref(),
                        };
                        w.tax_category("cac:TaxCategory", &category, true);
                    });
                }
            });
        }
        if let Some(v) = accounting_total {
            let currency = inv
                .vat_accounting_currency_code
                .as_ref()
                .map_or(self.currency, |c| c.as_str());
            self.group("cac:TaxTotal", |w| {
                w.amount_in("cbc:TaxAmount", Some(v), currency);
            });
        }
    }

    /// BG-22 without BT-110/BT-111.
    fn legal_monetary_total(&mut self, inv: &Invoice) {
        let t = &inv.document_totals;
        self.group("cac:LegalMonetaryTotal", |w| {
            w.amount(
                "cbc:LineExtensionAmount",
                t.sum_of_invoice_line_net_amount.as_ref(),
            );
            w.amount(
                "cbc:TaxExclusiveAmount",
                t.invoice_total_amount_without_vat.as_ref(),
            );
            w.amount(
                "cbc:TaxInclusiveAmount",
                t.invoice_total_amount_with_vat.as_ref(),
            );
            w.amount(
                "cbc:AllowanceTotalAmount",
                t.sum_of_allowances_on_document_level.as_ref(),
            );
            w.amount(
                "cbc:ChargeTotalAmount",
                t.sum_of_charges_on_document_level.as_ref(),
            );
            w.amount("cbc:PrepaidAmount", t.paid_amount.as_ref());
            w.amount("cbc:PayableRoundingAmount", t.rounding_amount.as_ref());
            w.amount("cbc:PayableAmount", t.amount_due_for_payment.as_ref());
        });
    }
}

// ------------------------------------------------------------------------------------------------
// Lines
// ------------------------------------------------------------------------------------------------

impl Out<'_> {
    /// A BG-25 line (`element`) or a BG-DEX-01 sub line, with its sub lines.
    fn line(&mut self, l: &InvoiceLine, element: &str) {
        let (quantity, sub_line) = if self.credit_note {
            ("cbc:CreditedQuantity", "cac:SubCreditNoteLine")
        } else {
            ("cbc:InvoicedQuantity", "cac:SubInvoiceLine")
        };
        self.group(element, |w| {
            w.string("cbc:ID", &l.identifier);
            w.text("cbc:Note", l.note.as_deref());
            w.quantity(
                quantity,
                l.invoiced_quantity.as_ref(),
                l.invoiced_quantity_unit_code.as_ref(),
            );
            w.amount("cbc:LineExtensionAmount", l.net_amount.as_ref());
            w.text(
                "cbc:AccountingCost",
                l.buyer_accounting_reference.as_deref(),
            );
            w.period("cac:InvoicePeriod", l.period.as_ref(), None);
            let order_line = l.referenced_purchase_order_line_reference.as_deref();
            if let Some(r) = order_line.filter(|r| !r.is_empty()) {
                w.group("cac:OrderLineReference", |w| w.always("cbc:LineID", r));
            }
            w.line_object_identifier(l);
            w.line_allowances_charges(l);
            w.item(l);
            w.price(&l.price_details);
            for sub in &l.sub_invoice_lines {
                w.line(sub, sub_line);
            }
        });
    }

    /// BT-128 as the line's `cac:DocumentReference` with type code 130.
    fn line_object_identifier(&mut self, l: &InvoiceLine) {
        let Some(object) = l.object_identifier.as_ref() else {
            return;
        };
        if object.value.is_empty() && object.scheme_id.is_none() {
            return;
        }
        self.group("cac:DocumentReference", |w| {
            let scheme = object.scheme_id.as_ref().map(|s| s.as_str());
            with_attr(&mut w.x, "cbc:ID", "schemeID", scheme, &object.value);
            w.always("cbc:DocumentTypeCode", INVOICED_OBJECT);
        });
    }

    /// BG-27 and BG-28.
    fn line_allowances_charges(&mut self, l: &InvoiceLine) {
        for a in &l.allowances {
            self.allowance_charge(&AllowanceCharge::from(a));
        }
        for c in &l.charges {
            self.allowance_charge(&AllowanceCharge::from(c));
        }
    }

    /// BG-31 with BG-30 and BG-32 (`cac:Item` is required by the schema).
    fn item(&mut self, l: &InvoiceLine) {
        let i = &l.item_information;
        self.group("cac:Item", |w| {
            w.text("cbc:Description", i.description.as_deref());
            w.string("cbc:Name", &i.name);
            w.item_identification(
                "cac:BuyersItemIdentification",
                i.buyers_identifier.as_deref(),
            );
            w.item_identification(
                "cac:SellersItemIdentification",
                i.sellers_identifier.as_deref(),
            );
            if let Some(id) = present_id(i.standard_identifier.as_ref()) {
                w.group("cac:StandardItemIdentification", |w| {
                    w.identifier("cbc:ID", Some(id));
                });
            }
            if let Some(country) = i.country_of_origin.as_ref().filter(|c| !c.is_empty()) {
                w.group("cac:OriginCountry", |w| {
                    w.always("cbc:IdentificationCode", country.as_str());
                });
            }
            for c in &i.classification_identifiers {
                w.group("cac:CommodityClassification", |w| {
                    w.x.start("cbc:ItemClassificationCode");
                    if let Some(list) = &c.scheme_id {
                        w.x.attribute("listID", list.as_str());
                    }
                    if let Some(version) = &c.scheme_version_id {
                        w.x.attribute("listVersionID", version);
                    }
                    w.x.text(&c.value).end();
                });
            }
            let vat = &l.vat_information;
            let category = TaxCategory {
                code: &vat.invoiced_item_vat_category_code,
                rate: vat.invoiced_item_vat_rate.as_ref(),
                exemption_code: None,
                exemption_text: None,
            };
            w.tax_category("cac:ClassifiedTaxCategory", &category, false);
            for a in &i.attributes {
                w.group("cac:AdditionalItemProperty", |w| {
                    w.always("cbc:Name", &a.name);
                    w.string("cbc:Value", &a.value);
                });
            }
        });
    }

    /// BT-155 / BT-156.
    fn item_identification(&mut self, name: &str, id: Option<&str>) {
        if let Some(id) = id.filter(|i| !i.is_empty()) {
            self.group(name, |w| w.always("cbc:ID", id));
        }
    }

    /// BG-29: the price discount BT-147 and gross price BT-148 as a `cac:AllowanceCharge` with
    /// `cbc:ChargeIndicator` false.
    fn price(&mut self, p: &PriceDetails) {
        if *p == PriceDetails::default() {
            return;
        }
        self.group("cac:Price", |w| {
            w.amount("cbc:PriceAmount", p.item_net_price.as_ref());
            w.quantity(
                "cbc:BaseQuantity",
                p.item_price_base_quantity.as_ref(),
                p.item_price_base_quantity_unit_code.as_ref(),
            );
            if p.item_price_discount.is_some() || p.item_gross_price.is_some() {
                w.group("cac:AllowanceCharge", |w| {
                    w.always("cbc:ChargeIndicator", "false");
                    w.amount("cbc:Amount", p.item_price_discount.as_ref());
                    w.amount("cbc:BaseAmount", p.item_gross_price.as_ref());
                });
            }
        });
    }
}
