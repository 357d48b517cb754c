//! CII D16B → model. One function per CII construct, each naming the BT/BG it maps.

use std::collections::HashMap;

use chrono::NaiveDate;
use egov_core::xml::{Document, Node};
use rust_decimal::Decimal;

use super::{
    DATE_FORMAT_102, DOCUMENT_OBJECT, DOCUMENT_SUPPORTING, DOCUMENT_TENDER, LINE_STATUS_DETAIL,
    LINE_STATUS_GROUP, MAX_SUB_LINE_DEPTH, PROJECT_REFERENCE_NAME, SCHEME_VAT, TAX_TYPE_VAT,
};
use crate::codes::VatPointDateCode;
use crate::model::{
    parse_xs_decimal, AdditionalSupportingDocument, AttachedDocument, Buyer, Contact,
    CreditTransfer, DeliveryInformation, DirectDebit, ElectronicAddress, Identifier, Invoice,
    InvoiceLine, InvoiceNote, ItemAttribute, ItemClassificationIdentifier, ItemInformation,
    LineVatInformation, ObjectIdentifier, Payee, PaymentCard, PaymentInstructions, Period,
    PostalAddress, PrecedingInvoiceReference, ProcessControl, Seller, SellerTaxRepresentative,
    VatBreakdown,
};
use crate::read::{nonempty, nonempty_text, AllowanceCharge, Reader, Unmapped};
use crate::{QDT_NS, RAM_NS, RSM_NS, UDT_NS};

/// Reads the document (see [`super::read`]).
pub(super) fn read(doc: &Document) -> (Invoice, Vec<Unmapped>) {
    let mut cii = In {
        r: Reader::new(doc),
    };
    let root = cii.r.root();
    let mut invoice = Invoice::default();
    if root.has_name(RSM_NS, "CrossIndustryInvoice") {
        cii.invoice(root, &mut invoice);
    } else {
        cii.r
            .note(root, "not a UN/CEFACT CII D16B rsm:CrossIndustryInvoice");
    }
    (invoice, cii.r.finish())
}

/// Everything a `ram:…TradeParty` can carry in EN 16931; each role uses a part of it.
#[derive(Default)]
struct Party {
    /// `ram:ID` / `ram:GlobalID` (BT-29, BT-46, BT-60, BT-71).
    identifiers: Vec<Identifier>,
    /// `ram:Name` (BT-27, BT-44, BT-59, BT-62, BT-70).
    name: Option<String>,
    /// `ram:Description` (BT-33).
    description: Option<String>,
    /// `ram:SpecifiedLegalOrganization/ram:ID` (BT-30, BT-47, BT-61).
    legal_registration: Option<Identifier>,
    /// `ram:SpecifiedLegalOrganization/ram:TradingBusinessName` (BT-28, BT-45).
    trading_name: Option<String>,
    /// `ram:DefinedTradeContact` (BG-6, BG-9).
    contact: Option<Contact>,
    /// `ram:PostalTradeAddress` (BG-5, BG-8, BG-12, BG-15).
    address: Option<PostalAddress>,
    /// `ram:URIUniversalCommunication/ram:URIID` (BT-34, BT-49).
    electronic_address: Option<ElectronicAddress>,
    /// `ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']` (BT-31, BT-48, BT-63).
    vat_identifier: Option<String>,
    /// `ram:SpecifiedTaxRegistration/ram:ID` with another scheme (BT-32).
    tax_registration: Option<Identifier>,
}

/// How many party identifiers a role has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ids {
    /// None (BG-11).
    No,
    /// 0..1 (BT-46, BT-60, BT-71): the first `ram:ID`, else the first `ram:GlobalID`.
    One,
    /// 0..n (BT-29): every `ram:ID` and `ram:GlobalID`.
    Many,
}

/// Which parts of a trade party a role maps; the others stay unconsumed and are reported.
#[derive(Clone, Copy)]
struct Role {
    identifiers: Ids,
    description: bool,
    legal_registration: bool,
    trading_name: bool,
    contact: bool,
    address: bool,
    electronic_address: bool,
    vat_identifier: bool,
    tax_registration: bool,
}

/// BG-4 SELLER.
const SELLER: Role = Role {
    identifiers: Ids::Many,
    description: true,
    legal_registration: true,
    trading_name: true,
    contact: true,
    address: true,
    electronic_address: true,
    vat_identifier: true,
    tax_registration: true,
};
/// BG-7 BUYER.
const BUYER: Role = Role {
    identifiers: Ids::One,
    description: false,
    tax_registration: false,
    ..SELLER
};
/// BG-10 PAYEE.
const PAYEE: Role = Role {
    identifiers: Ids::One,
    description: false,
    legal_registration: true,
    trading_name: false,
    contact: false,
    address: false,
    electronic_address: false,
    vat_identifier: false,
    tax_registration: false,
};
/// BG-11 SELLER TAX REPRESENTATIVE PARTY.
const TAX_REPRESENTATIVE: Role = Role {
    identifiers: Ids::No,
    legal_registration: false,
    address: true,
    vat_identifier: true,
    ..PAYEE
};
/// BG-13 `ram:ShipToTradeParty` (BT-70, BT-71, BG-15).
const SHIP_TO: Role = Role {
    identifiers: Ids::One,
    legal_registration: false,
    address: true,
    ..PAYEE
};

/// The identifiers and status code of a line, for nesting sub invoice lines after all lines are
/// read.
struct LineLink<'d> {
    /// `ram:ParentLineID`, not yet consumed.
    parent: Option<Node<'d>>,
    /// `ram:LineStatusReasonCode`, not yet consumed.
    status: Option<Node<'d>>,
}

/// The CII reader: a [`Reader`] plus the CII navigation helpers.
struct In<'d> {
    r: Reader<'d>,
}

impl<'d> In<'d> {
    // --------------------------------------------------------------------------------------------
    // Navigation helpers
    // --------------------------------------------------------------------------------------------

    /// The first `ram:local` child, consumed.
    fn el(&mut self, parent: Node<'d>, local: &str) -> Option<Node<'d>> {
        self.r.child(parent, RAM_NS, local)
    }

    /// All `ram:local` children, consumed.
    fn els(&mut self, parent: Node<'d>, local: &str) -> Vec<Node<'d>> {
        self.r.children(parent, RAM_NS, local)
    }

    /// Follows `ram:` steps, consuming each.
    fn at(&mut self, parent: Node<'d>, steps: &[&str]) -> Option<Node<'d>> {
        let mut cur = parent;
        for local in steps {
            cur = self.el(cur, local)?;
        }
        Some(cur)
    }

    /// The text of the element at the `ram:` steps, as written.
    fn text(&mut self, parent: Node<'d>, steps: &[&str]) -> Option<String> {
        self.at(parent, steps).and_then(nonempty_text)
    }

    /// An `xs:decimal` amount, percentage or quantity at `ram:local`.
    fn decimal(&mut self, parent: Node<'d>, local: &str) -> Option<Decimal> {
        self.r.decimal(parent, RAM_NS, local)
    }

    /// A `udt:IDType` with its `@schemeID` (the `…-1` sub-terms).
    fn identifier(node: Node<'d>) -> Option<Identifier> {
        nonempty(Identifier {
            value: node.text().into_owned(),
            scheme_id: node.attribute("schemeID").map(str::to_owned),
        })
    }

    /// A quantity with its `@unitCode` (BT-129/BT-130, BT-149/BT-150).
    fn quantity<T: From<String>>(&mut self, node: Node<'d>) -> (Option<Decimal>, Option<T>) {
        self.r.mark(node);
        let unit = node.attribute("unitCode").map(|u| T::from(u.to_owned()));
        (self.r.decimal_of(node), unit)
    }

    /// A date `ram:local/udt:DateTimeString[@format='102']` (BT-2, BT-9, BT-72, BT-73/74,
    /// BT-134/135).
    fn date(&mut self, parent: Node<'d>, local: &str) -> Option<NaiveDate> {
        let wrapper = self.el(parent, local)?;
        self.date_string(wrapper, UDT_NS, "DateTimeString")
    }

    /// The `{ns}local` date string of a date wrapper: format 102 is read, any other format is
    /// noted and gives `None` (`udt:DateTime` is not consumed: CII-SR forbids it).
    fn date_string(&mut self, wrapper: Node<'d>, ns: &str, local: &str) -> Option<NaiveDate> {
        let node = self.r.child(wrapper, ns, local)?;
        match node.attribute("format") {
            Some(f) if f.trim() == DATE_FORMAT_102 => self.r.date_of(node, "%Y%m%d"),
            other => {
                self.r.note(
                    node,
                    format!("date format {other:?} is not 102 (CCYYMMDD): date not read"),
                );
                None
            }
        }
    }

    /// Consumes `ram:TypeCode` `VAT` of a tax construct; another tax type is noted.
    fn vat_type(&mut self, tax: Node<'d>) {
        if let Some(code) = tax.child(RAM_NS, "TypeCode") {
            self.r.mark(code);
            if code.text().trim() != TAX_TYPE_VAT {
                self.r.note(
                    code,
                    format!(
                        "tax type {:?} is not VAT (CII-DT-037): read as VAT",
                        code.text().as_ref()
                    ),
                );
            }
        }
    }

    /// `ram:ChargeIndicator/udt:Indicator` of an allowance/charge, not consumed: `Some(true)` for
    /// a charge, `Some(false)` for an allowance, `None` if missing or not an `xs:boolean`.
    fn indicator(ac: Node<'d>) -> Option<bool> {
        let value = ac
            .child(RAM_NS, "ChargeIndicator")?
            .child(UDT_NS, "Indicator")?
            .text();
        match value.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }
    }

    /// Consumes an allowance/charge with its indicator.
    fn mark_indicator(&mut self, ac: Node<'d>) {
        self.r.mark(ac);
        if let Some(ind) = self.el(ac, "ChargeIndicator") {
            self.r.child(ind, UDT_NS, "Indicator");
        }
    }

    // --------------------------------------------------------------------------------------------
    // Document
    // --------------------------------------------------------------------------------------------

    /// `rsm:CrossIndustryInvoice`.
    fn invoice(&mut self, root: Node<'d>, inv: &mut Invoice) {
        if let Some(ctx) = self.r.child(root, RSM_NS, "ExchangedDocumentContext") {
            self.process_control(ctx, &mut inv.process_control);
        }
        if let Some(doc) = self.r.child(root, RSM_NS, "ExchangedDocument") {
            self.exchanged_document(doc, inv);
        }
        if let Some(tx) = self.r.child(root, RSM_NS, "SupplyChainTradeTransaction") {
            self.transaction(tx, inv);
        }
    }

    /// BG-2 PROCESS CONTROL: `rsm:ExchangedDocumentContext`.
    fn process_control(&mut self, ctx: Node<'d>, pc: &mut ProcessControl) {
        // BT-23 Business process type.
        pc.business_process_type = self.text(
            ctx,
            &["BusinessProcessSpecifiedDocumentContextParameter", "ID"],
        );
        // BT-24 Specification identifier.
        pc.specification_identifier = self
            .text(ctx, &["GuidelineSpecifiedDocumentContextParameter", "ID"])
            .unwrap_or_default();
    }

    /// `rsm:ExchangedDocument`: BT-1, BT-3, BT-2, BG-1.
    fn exchanged_document(&mut self, doc: Node<'d>, inv: &mut Invoice) {
        inv.invoice_number = self.text(doc, &["ID"]).unwrap_or_default();
        inv.invoice_type_code = self.text(doc, &["TypeCode"]).unwrap_or_default().into();
        inv.issue_date = self.date(doc, "IssueDateTime");
        for note in self.els(doc, "IncludedNote") {
            inv.invoice_notes.push(self.invoice_note(note));
        }
    }

    /// BG-1 INVOICE NOTE: BT-22 `ram:Content`, BT-21 `ram:SubjectCode`.
    fn invoice_note(&mut self, note: Node<'d>) -> InvoiceNote {
        InvoiceNote {
            note: self.text(note, &["Content"]).unwrap_or_default(),
            subject_code: self.text(note, &["SubjectCode"]).map(Into::into),
        }
    }

    /// `rsm:SupplyChainTradeTransaction`: lines, agreement, delivery, settlement.
    fn transaction(&mut self, tx: Node<'d>, inv: &mut Invoice) {
        let items = self.els(tx, "IncludedSupplyChainTradeLineItem");
        if let Some(agreement) = self.el(tx, "ApplicableHeaderTradeAgreement") {
            self.agreement(agreement, inv);
        }
        if let Some(delivery) = self.el(tx, "ApplicableHeaderTradeDelivery") {
            self.delivery(delivery, inv);
        }
        if let Some(settlement) = self.el(tx, "ApplicableHeaderTradeSettlement") {
            self.settlement(settlement, inv);
        }
        let mut lines = Vec::with_capacity(items.len());
        let mut links = Vec::with_capacity(items.len());
        for item in items {
            let (line, link) = self.line(item);
            lines.push(line);
            links.push(link);
        }
        inv.invoice_lines = self.nest_lines(lines, &links);
    }

    // --------------------------------------------------------------------------------------------
    // Trade parties
    // --------------------------------------------------------------------------------------------

    /// One reader for every `ram:…TradeParty`; `role` says which parts the model carries.
    fn party(&mut self, p: Node<'d>, role: Role) -> Party {
        let mut party = Party::default();
        match role.identifiers {
            Ids::Many => {
                for id in self.els(p, "ID") {
                    party.identifiers.extend(Self::identifier(id));
                }
                for id in self.els(p, "GlobalID") {
                    party.identifiers.extend(Self::identifier(id));
                }
            }
            Ids::One => {
                let id = p
                    .child(RAM_NS, "ID")
                    .or_else(|| p.child(RAM_NS, "GlobalID"));
                if let Some(id) = id {
                    self.r.mark(id);
                    party.identifiers.extend(Self::identifier(id));
                }
            }
            Ids::No => {}
        }
        party.name = self.text(p, &["Name"]);
        if role.description {
            party.description = self.text(p, &["Description"]);
        }
        if role.legal_registration || role.trading_name {
            if let Some(org) = self.el(p, "SpecifiedLegalOrganization") {
                if role.legal_registration {
                    party.legal_registration = self.el(org, "ID").and_then(Self::identifier);
                }
                if role.trading_name {
                    party.trading_name = self.text(org, &["TradingBusinessName"]);
                }
            }
        }
        if role.contact {
            if let Some(contact) = self.el(p, "DefinedTradeContact") {
                party.contact = nonempty(self.contact(contact));
            }
        }
        if role.address {
            if let Some(address) = self.el(p, "PostalTradeAddress") {
                party.address = nonempty(self.address(address));
            }
        }
        if role.electronic_address {
            if let Some(uri) = self.el(p, "URIUniversalCommunication") {
                party.electronic_address = nonempty(self.electronic_address(uri));
            }
        }
        if role.vat_identifier || role.tax_registration {
            self.tax_registrations(p, role, &mut party);
        }
        party
    }

    /// `ram:SpecifiedTaxRegistration/ram:ID`: `@schemeID='VA'` is the VAT identifier (BT-31,
    /// BT-48, BT-63), any other scheme the tax registration identifier (BT-32).
    fn tax_registrations(&mut self, p: Node<'d>, role: Role, party: &mut Party) {
        let registrations: Vec<Node<'d>> = p
            .children_named(RAM_NS, "SpecifiedTaxRegistration")
            .collect();
        for reg in registrations {
            let Some(id) = reg.child(RAM_NS, "ID") else {
                continue;
            };
            let is_vat = id.attribute("schemeID").map(str::trim) == Some(SCHEME_VAT);
            if is_vat && role.vat_identifier && party.vat_identifier.is_none() {
                party.vat_identifier = Some(id.text().into_owned());
            } else if !is_vat && role.tax_registration && party.tax_registration.is_none() {
                party.tax_registration = Self::identifier(id);
            } else {
                continue;
            }
            self.r.mark(reg);
            self.r.mark(id);
        }
    }

    /// BG-6 SELLER CONTACT / BG-9 BUYER CONTACT: BT-41/56 `ram:PersonName` (else
    /// `ram:DepartmentName`), BT-42/57, BT-43/58.
    fn contact(&mut self, c: Node<'d>) -> Contact {
        let point = c
            .child(RAM_NS, "PersonName")
            .or_else(|| c.child(RAM_NS, "DepartmentName"));
        if let Some(point) = point {
            self.r.mark(point);
        }
        Contact {
            contact_point: point.map(|n| n.text().into_owned()),
            telephone_number: self.text(c, &["TelephoneUniversalCommunication", "CompleteNumber"]),
            email_address: self.text(c, &["EmailURIUniversalCommunication", "URIID"]),
        }
    }

    /// BG-5 / BG-8 / BG-12 / BG-15 postal address: `ram:PostalTradeAddress`.
    fn address(&mut self, a: Node<'d>) -> PostalAddress {
        PostalAddress {
            post_code: self.text(a, &["PostcodeCode"]),
            address_line_1: self.text(a, &["LineOne"]),
            address_line_2: self.text(a, &["LineTwo"]),
            address_line_3: self.text(a, &["LineThree"]),
            city: self.text(a, &["CityName"]),
            country_code: self.text(a, &["CountryID"]).unwrap_or_default().into(),
            country_subdivision: self.text(a, &["CountrySubDivisionName"]),
        }
    }

    /// BT-34 / BT-49 electronic address with BT-34-1 / BT-49-1 `@schemeID`.
    fn electronic_address(&mut self, uri: Node<'d>) -> ElectronicAddress {
        let id = self.el(uri, "URIID");
        ElectronicAddress {
            value: id.map(|n| n.text().into_owned()).unwrap_or_default(),
            scheme_id: id.and_then(|n| n.attribute("schemeID")).map(Into::into),
        }
    }

    // --------------------------------------------------------------------------------------------
    // Header trade agreement
    // --------------------------------------------------------------------------------------------

    /// `ram:ApplicableHeaderTradeAgreement`.
    fn agreement(&mut self, a: Node<'d>, inv: &mut Invoice) {
        // BT-10 Buyer reference.
        inv.buyer_reference = self.text(a, &["BuyerReference"]);
        if let Some(p) = self.el(a, "SellerTradeParty") {
            inv.seller = seller(self.party(p, SELLER));
        }
        if let Some(p) = self.el(a, "BuyerTradeParty") {
            inv.buyer = buyer(self.party(p, BUYER));
        }
        if let Some(p) = self.el(a, "SellerTaxRepresentativeTradeParty") {
            let party = self.party(p, TAX_REPRESENTATIVE);
            inv.seller_tax_representative = Some(SellerTaxRepresentative {
                name: party.name.unwrap_or_default(),
                vat_identifier: party.vat_identifier.unwrap_or_default(),
                postal_address: party.address.unwrap_or_default(),
            });
        }
        // BT-14 Sales order reference.
        inv.sales_order_reference =
            self.text(a, &["SellerOrderReferencedDocument", "IssuerAssignedID"]);
        // BT-13 Purchase order reference.
        inv.purchase_order_reference =
            self.text(a, &["BuyerOrderReferencedDocument", "IssuerAssignedID"]);
        // BT-12 Contract reference.
        inv.contract_reference = self.text(a, &["ContractReferencedDocument", "IssuerAssignedID"]);
        self.additional_documents(a, inv);
        self.project_reference(a, inv);
    }

    /// `ram:AdditionalReferencedDocument` by `ram:TypeCode`: 916 BG-24, 50 BT-17, 130 BT-18 (with
    /// BT-18-1 `ram:ReferenceTypeCode`). Without a known type code the document is not read.
    fn additional_documents(&mut self, a: Node<'d>, inv: &mut Invoice) {
        let documents: Vec<Node<'d>> = a
            .children_named(RAM_NS, "AdditionalReferencedDocument")
            .collect();
        for doc in documents {
            let Some(type_code) = doc.child(RAM_NS, "TypeCode") else {
                continue;
            };
            match type_code.text().trim() {
                DOCUMENT_SUPPORTING => {
                    let supporting = self.supporting_document(doc);
                    inv.additional_supporting_documents.push(supporting);
                }
                DOCUMENT_TENDER if inv.tender_or_lot_reference.is_none() => {
                    inv.tender_or_lot_reference =
                        Some(self.text(doc, &["IssuerAssignedID"]).unwrap_or_default());
                }
                DOCUMENT_OBJECT if inv.invoiced_object_identifier.is_none() => {
                    inv.invoiced_object_identifier = nonempty(self.object_identifier(doc));
                }
                _ => continue,
            }
            self.r.mark(doc);
            self.r.mark(type_code);
        }
    }

    /// BG-24 ADDITIONAL SUPPORTING DOCUMENTS: BT-122 `ram:IssuerAssignedID`, BT-124 `ram:URIID`,
    /// BT-123 `ram:Name`, BT-125 `ram:AttachmentBinaryObject` with BT-125-1 `@mimeCode` and
    /// BT-125-2 `@filename`.
    fn supporting_document(&mut self, doc: Node<'d>) -> AdditionalSupportingDocument {
        AdditionalSupportingDocument {
            supporting_document_reference: self
                .text(doc, &["IssuerAssignedID"])
                .unwrap_or_default(),
            external_document_location: self.text(doc, &["URIID"]),
            supporting_document_description: self.text(doc, &["Name"]),
            attached_document: self
                .el(doc, "AttachmentBinaryObject")
                .map(|b| AttachedDocument {
                    content: b.text().into_owned(),
                    mime_code: b.attribute("mimeCode").map(Into::into),
                    filename: b.attribute("filename").map(str::to_owned),
                }),
        }
    }

    /// BT-18 / BT-128 object identifier: `ram:IssuerAssignedID` with BT-18-1 / BT-128-1
    /// `ram:ReferenceTypeCode`.
    fn object_identifier(&mut self, doc: Node<'d>) -> ObjectIdentifier {
        ObjectIdentifier {
            value: self.text(doc, &["IssuerAssignedID"]).unwrap_or_default(),
            scheme_id: self.text(doc, &["ReferenceTypeCode"]).map(Into::into),
        }
    }

    /// BT-11 Project reference: `ram:SpecifiedProcuringProject/ram:ID`; its `ram:Name` (required by
    /// the XSD) is consumed when it is the binding's constant `Project reference`.
    fn project_reference(&mut self, a: Node<'d>, inv: &mut Invoice) {
        let Some(project) = self.el(a, "SpecifiedProcuringProject") else {
            return;
        };
        inv.project_reference = self.text(project, &["ID"]);
        if let Some(name) = project.child(RAM_NS, "Name") {
            if name.text().trim() == PROJECT_REFERENCE_NAME {
                self.r.mark(name);
            }
        }
    }

    // --------------------------------------------------------------------------------------------
    // Header trade delivery
    // --------------------------------------------------------------------------------------------

    /// `ram:ApplicableHeaderTradeDelivery`: BG-13, BT-16, BT-15.
    fn delivery(&mut self, d: Node<'d>, inv: &mut Invoice) {
        let ship_to = self
            .el(d, "ShipToTradeParty")
            .map(|p| self.party(p, SHIP_TO));
        let event = self.el(d, "ActualDeliverySupplyChainEvent");
        // BT-72 Actual delivery date.
        let actual_delivery_date = event.and_then(|e| self.date(e, "OccurrenceDateTime"));
        if ship_to.is_some() || event.is_some() {
            let party = ship_to.unwrap_or_default();
            inv.delivery_information = nonempty(DeliveryInformation {
                deliver_to_party_name: party.name,
                deliver_to_location_identifier: party.identifiers.into_iter().next(),
                actual_delivery_date,
                deliver_to_address: party.address,
            });
        }
        // BT-16 Despatch advice reference.
        inv.despatch_advice_reference =
            self.text(d, &["DespatchAdviceReferencedDocument", "IssuerAssignedID"]);
        // BT-15 Receiving advice reference.
        inv.receiving_advice_reference = self.text(
            d,
            &["ReceivingAdviceReferencedDocument", "IssuerAssignedID"],
        );
    }

    // --------------------------------------------------------------------------------------------
    // Header trade settlement
    // --------------------------------------------------------------------------------------------

    /// `ram:ApplicableHeaderTradeSettlement`.
    fn settlement(&mut self, s: Node<'d>, inv: &mut Invoice) {
        // BT-90 Bank assigned creditor identifier.
        let creditor_reference = self.text(s, &["CreditorReferenceID"]);
        // BT-83 Remittance information.
        let remittance_information = self.text(s, &["PaymentReference"]);
        // BT-6 VAT accounting currency code.
        inv.vat_accounting_currency_code = self.text(s, &["TaxCurrencyCode"]).map(Into::into);
        // BT-5 Invoice currency code.
        inv.invoice_currency_code = self
            .text(s, &["InvoiceCurrencyCode"])
            .unwrap_or_default()
            .into();
        if let Some(p) = self.el(s, "PayeeTradeParty") {
            let party = self.party(p, PAYEE);
            inv.payee = Some(Payee {
                name: party.name.unwrap_or_default(),
                identifier: party.identifiers.into_iter().next(),
                legal_registration_identifier: party.legal_registration,
            });
        }
        let means = self.els(s, "SpecifiedTradeSettlementPaymentMeans");
        self.vat_breakdowns(s, inv);
        // BG-14 Invoicing period.
        if let Some(period) = self.el(s, "BillingSpecifiedPeriod") {
            inv.invoicing_period = nonempty(self.period(period));
        }
        self.document_allowances_and_charges(s, inv);
        let mut mandate_reference = None;
        if let Some(terms) = self.el(s, "SpecifiedTradePaymentTerms") {
            // BT-20 Payment terms.
            inv.payment_terms = self.text(terms, &["Description"]);
            // BT-9 Payment due date.
            inv.payment_due_date = self.date(terms, "DueDateDateTime");
            // BT-89 Mandate reference identifier.
            mandate_reference = self.text(terms, &["DirectDebitMandateID"]);
        }
        let direct_debit = DirectDebit {
            mandate_reference_identifier: mandate_reference,
            bank_assigned_creditor_identifier: creditor_reference,
            debited_account_identifier: None,
        };
        inv.payment_instructions =
            self.payment_instructions(&means, remittance_information, direct_debit);
        if let Some(totals) = self.el(s, "SpecifiedTradeSettlementHeaderMonetarySummation") {
            self.document_totals(totals, inv);
        }
        for doc in self.els(s, "InvoiceReferencedDocument") {
            let reference = self.preceding_invoice(doc);
            inv.preceding_invoice_references.push(reference);
        }
        // BT-19 Buyer accounting reference.
        inv.buyer_accounting_reference =
            self.text(s, &["ReceivableSpecifiedTradeAccountingAccount", "ID"]);
    }

    /// BG-16 PAYMENT INSTRUCTIONS from the `ram:SpecifiedTradeSettlementPaymentMeans` (one per
    /// BG-17 account), BT-83 and BG-19 (BT-89, BT-90 outside the means, BT-91 inside).
    fn payment_instructions(
        &mut self,
        means: &[Node<'d>],
        remittance_information: Option<String>,
        mut direct_debit: DirectDebit,
    ) -> Option<PaymentInstructions> {
        let mut pi = PaymentInstructions {
            remittance_information,
            ..PaymentInstructions::default()
        };
        let mut type_code: Option<String> = None;
        let mut debited_account_seen = false;
        for &m in means {
            // BT-81 Payment means type code, BT-82 Payment means text: repeated per account.
            self.first_or_equal(m, "TypeCode", &mut type_code);
            self.first_or_equal(m, "Information", &mut pi.payment_means_text);
            if pi.payment_card.is_none() {
                if let Some(card) = self.el(m, "ApplicableTradeSettlementFinancialCard") {
                    // BG-18: BT-87 `ram:ID`, BT-88 `ram:CardholderName`.
                    pi.payment_card = Some(PaymentCard {
                        primary_account_number: self.text(card, &["ID"]).unwrap_or_default(),
                        holder_name: self.text(card, &["CardholderName"]),
                    });
                }
            }
            if !debited_account_seen {
                if let Some(account) = self.el(m, "PayerPartyDebtorFinancialAccount") {
                    // BT-91 Debited account identifier.
                    debited_account_seen = true;
                    direct_debit.debited_account_identifier = self.text(account, &["IBANID"]);
                }
            }
            if let Some(transfer) = self.credit_transfer(m) {
                pi.credit_transfers.push(transfer);
            }
        }
        pi.payment_means_type_code = type_code.unwrap_or_default().into();
        if direct_debit != DirectDebit::default() {
            pi.direct_debit = Some(direct_debit);
        }
        let present =
            !means.is_empty() || pi.remittance_information.is_some() || pi.direct_debit.is_some();
        present.then_some(pi)
    }

    /// Reads `ram:local` into `slot` if it is still empty; a later occurrence with the same text
    /// is consumed too (the same value repeated), a different one is left unconsumed.
    fn first_or_equal(&mut self, parent: Node<'d>, local: &str, slot: &mut Option<String>) {
        let Some(node) = parent.child(RAM_NS, local) else {
            return;
        };
        let text = node.text();
        match slot {
            None => *slot = Some(text.into_owned()),
            Some(first) if *first == text => {}
            Some(_) => return,
        }
        self.r.mark(node);
    }

    /// BG-17 CREDIT TRANSFER of one payment means: BT-84 `ram:IBANID` (else `ram:ProprietaryID`)
    /// and BT-85 `ram:AccountName` of `ram:PayeePartyCreditorFinancialAccount`, BT-86
    /// `ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID`.
    fn credit_transfer(&mut self, m: Node<'d>) -> Option<CreditTransfer> {
        let account = self.el(m, "PayeePartyCreditorFinancialAccount");
        let institution = self.el(m, "PayeeSpecifiedCreditorFinancialInstitution");
        if account.is_none() && institution.is_none() {
            return None;
        }
        let mut transfer = CreditTransfer::default();
        if let Some(account) = account {
            let id = match account.child(RAM_NS, "IBANID") {
                Some(iban) => {
                    self.r.mark(iban);
                    Some(iban.text().into_owned())
                }
                None => self.text(account, &["ProprietaryID"]),
            };
            transfer.payment_account_identifier = id.unwrap_or_default();
            transfer.payment_account_name = self.text(account, &["AccountName"]);
        }
        if let Some(institution) = institution {
            transfer.payment_service_provider_identifier = self.text(institution, &["BICID"]);
        }
        Some(transfer)
    }

    /// BG-23 VAT BREAKDOWN: each `ram:ApplicableTradeTax` of the header; BT-7
    /// `ram:TaxPointDate/udt:DateString` and BT-8 `ram:DueDateTypeCode` (UNTDID 2475, converted)
    /// ride along in it. An `ram:ApplicableTradeTax` carrying nothing but BT-7/BT-8 is not a
    /// breakdown.
    fn vat_breakdowns(&mut self, s: Node<'d>, inv: &mut Invoice) {
        const BREAKDOWN: [&str; 6] = [
            "CalculatedAmount",
            "BasisAmount",
            "CategoryCode",
            "RateApplicablePercent",
            "ExemptionReason",
            "ExemptionReasonCode",
        ];
        let mut tax_point_date: Option<String> = None;
        let mut due_date_code: Option<String> = None;
        let taxes: Vec<Node<'d>> = s.children_named(RAM_NS, "ApplicableTradeTax").collect();
        for tax in taxes {
            self.r.mark(tax);
            self.vat_type(tax);
            let point = tax.child(RAM_NS, "TaxPointDate");
            if let Some(point) = point {
                let raw = point
                    .child(UDT_NS, "DateString")
                    .map(|d| d.text().trim().to_owned())
                    .unwrap_or_default();
                match &tax_point_date {
                    None => {
                        tax_point_date = Some(raw);
                        self.r.mark(point);
                        // BT-7 Value added tax point date.
                        inv.value_added_tax_point_date =
                            self.date_string(point, UDT_NS, "DateString");
                    }
                    Some(first) if *first == raw => self.r.mark_subtree(point),
                    Some(_) => {}
                }
            }
            let code = tax.child(RAM_NS, "DueDateTypeCode");
            if code.is_some() {
                let before = due_date_code.is_none();
                self.first_or_equal(tax, "DueDateTypeCode", &mut due_date_code);
                if before {
                    // BT-8 Value added tax point date code.
                    inv.value_added_tax_point_date_code = due_date_code
                        .as_deref()
                        .map(VatPointDateCode::from_untdid_2475);
                }
            }
            let carrier_only = (point.is_some() || code.is_some())
                && BREAKDOWN.iter().all(|l| tax.child(RAM_NS, l).is_none());
            if !carrier_only {
                let breakdown = self.vat_breakdown(tax);
                inv.vat_breakdowns.push(breakdown);
            }
        }
    }

    /// One BG-23: BT-116 `ram:BasisAmount`, BT-117 `ram:CalculatedAmount`, BT-118
    /// `ram:CategoryCode`, BT-119 `ram:RateApplicablePercent`, BT-120 `ram:ExemptionReason`,
    /// BT-121 `ram:ExemptionReasonCode`.
    fn vat_breakdown(&mut self, tax: Node<'d>) -> VatBreakdown {
        VatBreakdown {
            vat_category_tax_amount: self.decimal(tax, "CalculatedAmount"),
            vat_exemption_reason_text: self.text(tax, &["ExemptionReason"]),
            vat_category_taxable_amount: self.decimal(tax, "BasisAmount"),
            vat_category_code: self.text(tax, &["CategoryCode"]).unwrap_or_default().into(),
            vat_exemption_reason_code: self.text(tax, &["ExemptionReasonCode"]).map(Into::into),
            vat_category_rate: self.decimal(tax, "RateApplicablePercent"),
        }
    }

    /// BG-14 / BG-26 period: `ram:StartDateTime` (BT-73 / BT-134), `ram:EndDateTime` (BT-74 /
    /// BT-135).
    fn period(&mut self, p: Node<'d>) -> Period {
        Period {
            start_date: self.date(p, "StartDateTime"),
            end_date: self.date(p, "EndDateTime"),
        }
    }

    /// The common part of an allowance/charge (all four groups).
    fn allowance_charge(&mut self, ac: Node<'d>) -> AllowanceCharge {
        AllowanceCharge {
            percentage: self.decimal(ac, "CalculationPercent"),
            base_amount: self.decimal(ac, "BasisAmount"),
            amount: self.decimal(ac, "ActualAmount"),
            reason_code: self.text(ac, &["ReasonCode"]),
            reason: self.text(ac, &["Reason"]),
        }
    }

    /// The allowances/charges of `parent` with their indicator; one whose indicator cannot be read
    /// is noted (neither BG-20/27 nor BG-21/28).
    fn allowances_and_charges(&mut self, parent: Node<'d>) -> Vec<(bool, Node<'d>)> {
        let nodes: Vec<Node<'d>> = parent
            .children_named(RAM_NS, "SpecifiedTradeAllowanceCharge")
            .collect();
        let mut out = Vec::with_capacity(nodes.len());
        for ac in nodes {
            match Self::indicator(ac) {
                Some(is_charge) => {
                    self.mark_indicator(ac);
                    out.push((is_charge, ac));
                }
                None => {
                    self.r.mark_subtree(ac);
                    self.r.note(
                        ac,
                        "ram:ChargeIndicator/udt:Indicator is missing or not a boolean: \
                         neither an allowance nor a charge",
                    );
                }
            }
        }
        out
    }

    /// BG-20 DOCUMENT LEVEL ALLOWANCES / BG-21 DOCUMENT LEVEL CHARGES, with BT-95/BT-102 and
    /// BT-96/BT-103 in `ram:CategoryTradeTax`.
    fn document_allowances_and_charges(&mut self, s: Node<'d>, inv: &mut Invoice) {
        for (is_charge, node) in self.allowances_and_charges(s) {
            let ac = self.allowance_charge(node);
            let (vat_category_code, vat_rate) = match self.el(node, "CategoryTradeTax") {
                Some(tax) => {
                    self.vat_type(tax);
                    (
                        self.text(tax, &["CategoryCode"]).unwrap_or_default(),
                        self.decimal(tax, "RateApplicablePercent"),
                    )
                }
                None => (String::new(), None),
            };
            ac.add_to_document(inv, is_charge, vat_category_code.into(), vat_rate);
        }
    }

    /// BG-22 DOCUMENT TOTALS: `ram:SpecifiedTradeSettlementHeaderMonetarySummation`.
    fn document_totals(&mut self, m: Node<'d>, inv: &mut Invoice) {
        let t = &mut inv.document_totals;
        t.sum_of_invoice_line_net_amount = self.decimal(m, "LineTotalAmount"); // BT-106
        t.sum_of_charges_on_document_level = self.decimal(m, "ChargeTotalAmount"); // BT-108
        t.sum_of_allowances_on_document_level = self.decimal(m, "AllowanceTotalAmount"); // BT-107
        t.invoice_total_amount_without_vat = self.decimal(m, "TaxBasisTotalAmount"); // BT-109
        t.rounding_amount = self.decimal(m, "RoundingAmount"); // BT-114
        t.invoice_total_amount_with_vat = self.decimal(m, "GrandTotalAmount"); // BT-112
        t.paid_amount = self.decimal(m, "TotalPrepaidAmount"); // BT-113
        t.amount_due_for_payment = self.decimal(m, "DuePayableAmount"); // BT-115
        self.tax_totals(m, inv);
    }

    /// BT-110 / BT-111: `ram:TaxTotalAmount` by `@currencyID` — BT-5 gives BT-110, BT-6 gives
    /// BT-111; without `@currencyID` the first free of the two, in that order.
    fn tax_totals(&mut self, m: Node<'d>, inv: &mut Invoice) {
        let invoice_currency = inv.invoice_currency_code.as_str().trim().to_owned();
        let accounting_currency = inv
            .vat_accounting_currency_code
            .as_ref()
            .map(|c| c.as_str().trim().to_owned());
        let totals: Vec<Node<'d>> = m.children_named(RAM_NS, "TaxTotalAmount").collect();
        let (mut vat_taken, mut accounting_taken) = (false, false);
        for node in totals {
            self.r.mark(node);
            let currency = node.attribute("currencyID").map(str::trim);
            let is_invoice_currency = currency == Some(invoice_currency.as_str());
            let is_accounting_currency =
                currency.is_some() && currency == accounting_currency.as_deref();
            let t = &mut inv.document_totals;
            if !vat_taken && (is_invoice_currency || currency.is_none()) {
                vat_taken = true;
                t.invoice_total_vat_amount = self.r.decimal_of(node);
            } else if !accounting_taken && (is_accounting_currency || currency.is_none()) {
                accounting_taken = true;
                t.invoice_total_vat_amount_in_accounting_currency = self.r.decimal_of(node);
            } else {
                self.r.note(
                    node,
                    format!(
                        "ram:TaxTotalAmount with currencyID {currency:?} is neither BT-110 (in the \
                         invoice currency BT-5) nor BT-111 (in the VAT accounting currency BT-6), \
                         or repeats one of them"
                    ),
                );
            }
        }
    }

    /// BG-3 PRECEDING INVOICE REFERENCE: BT-25 `ram:IssuerAssignedID`, BT-26
    /// `ram:FormattedIssueDateTime/qdt:DateTimeString`.
    fn preceding_invoice(&mut self, doc: Node<'d>) -> PrecedingInvoiceReference {
        PrecedingInvoiceReference {
            preceding_invoice_reference: self.text(doc, &["IssuerAssignedID"]).unwrap_or_default(),
            preceding_invoice_issue_date: self
                .el(doc, "FormattedIssueDateTime")
                .and_then(|f| self.date_string(f, QDT_NS, "DateTimeString")),
        }
    }

    // --------------------------------------------------------------------------------------------
    // Invoice lines
    // --------------------------------------------------------------------------------------------

    /// BG-25 INVOICE LINE: `ram:IncludedSupplyChainTradeLineItem`, read flat; the sub invoice line
    /// links are resolved by [`In::nest_lines`].
    fn line(&mut self, item: Node<'d>) -> (InvoiceLine, LineLink<'d>) {
        let mut line = InvoiceLine::default();
        let mut link = LineLink {
            parent: None,
            status: None,
        };
        if let Some(doc) = self.el(item, "AssociatedDocumentLineDocument") {
            // BT-126 Invoice line identifier.
            line.identifier = self.text(doc, &["LineID"]).unwrap_or_default();
            link.parent = doc.child(RAM_NS, "ParentLineID");
            link.status = doc.child(RAM_NS, "LineStatusReasonCode");
            // BT-127 Invoice line note.
            line.note = self.text(doc, &["IncludedNote", "Content"]);
        }
        if let Some(product) = self.el(item, "SpecifiedTradeProduct") {
            line.item_information = self.item(product);
        }
        if let Some(agreement) = self.el(item, "SpecifiedLineTradeAgreement") {
            self.line_agreement(agreement, &mut line);
        }
        if let Some(delivery) = self.el(item, "SpecifiedLineTradeDelivery") {
            if let Some(quantity) = self.el(delivery, "BilledQuantity") {
                // BT-129 Invoiced quantity, BT-130 its unit of measure code.
                (line.invoiced_quantity, line.invoiced_quantity_unit_code) =
                    self.quantity(quantity);
            }
        }
        if let Some(settlement) = self.el(item, "SpecifiedLineTradeSettlement") {
            self.line_settlement(settlement, &mut line);
        }
        (line, link)
    }

    /// BG-31 ITEM INFORMATION: `ram:SpecifiedTradeProduct`.
    fn item(&mut self, p: Node<'d>) -> ItemInformation {
        ItemInformation {
            // BT-157 with BT-157-1.
            standard_identifier: self.el(p, "GlobalID").and_then(Self::identifier),
            sellers_identifier: self.text(p, &["SellerAssignedID"]), // BT-155
            buyers_identifier: self.text(p, &["BuyerAssignedID"]),   // BT-156
            name: self.text(p, &["Name"]).unwrap_or_default(),       // BT-153
            description: self.text(p, &["Description"]),             // BT-154
            attributes: self
                .els(p, "ApplicableProductCharacteristic")
                .into_iter()
                .map(|c| self.item_attribute(c))
                .collect(),
            classification_identifiers: self
                .els(p, "DesignatedProductClassification")
                .into_iter()
                .map(|c| self.classification(c))
                .collect(),
            // BT-159 Item country of origin.
            country_of_origin: self.text(p, &["OriginTradeCountry", "ID"]).map(Into::into),
        }
    }

    /// BG-32 ITEM ATTRIBUTES: BT-160 `ram:Description`, BT-161 `ram:Value`.
    fn item_attribute(&mut self, c: Node<'d>) -> ItemAttribute {
        ItemAttribute {
            name: self.text(c, &["Description"]).unwrap_or_default(),
            value: self.text(c, &["Value"]).unwrap_or_default(),
        }
    }

    /// BT-158 `ram:ClassCode` with BT-158-1 `@listID` and BT-158-2 `@listVersionID`.
    fn classification(&mut self, c: Node<'d>) -> ItemClassificationIdentifier {
        match self.el(c, "ClassCode") {
            Some(code) => ItemClassificationIdentifier {
                value: code.text().into_owned(),
                scheme_id: code.attribute("listID").map(Into::into),
                scheme_version_id: code.attribute("listVersionID").map(str::to_owned),
            },
            None => ItemClassificationIdentifier::default(),
        }
    }

    /// `ram:SpecifiedLineTradeAgreement`: BT-132 and BG-29 PRICE DETAILS.
    fn line_agreement(&mut self, a: Node<'d>, line: &mut InvoiceLine) {
        // BT-132 Referenced purchase order line reference.
        line.referenced_purchase_order_line_reference =
            self.text(a, &["BuyerOrderReferencedDocument", "LineID"]);
        let gross = self.el(a, "GrossPriceProductTradePrice");
        let net = self.el(a, "NetPriceProductTradePrice");
        let price = &mut line.price_details;
        if let Some(net) = net {
            // BT-146 Item net price.
            price.item_net_price = self.decimal(net, "ChargeAmount");
            if let Some(base) = self.el(net, "BasisQuantity") {
                // BT-149, BT-150.
                (
                    price.item_price_base_quantity,
                    price.item_price_base_quantity_unit_code,
                ) = self.quantity(base);
            }
        }
        let Some(gross) = gross else {
            return;
        };
        // BT-148 Item gross price.
        price.item_gross_price = self.decimal(gross, "ChargeAmount");
        if let Some(base) = gross.child(RAM_NS, "BasisQuantity") {
            let net_base = net.and_then(|n| n.child(RAM_NS, "BasisQuantity"));
            match net_base {
                None => {
                    (
                        price.item_price_base_quantity,
                        price.item_price_base_quantity_unit_code,
                    ) = self.quantity(base);
                }
                Some(net_base) if same_quantity(base, net_base) => {
                    self.r.mark(base);
                    if price.item_price_base_quantity_unit_code.is_none() {
                        price.item_price_base_quantity_unit_code =
                            base.attribute("unitCode").map(Into::into);
                    }
                }
                Some(_) => {}
            }
        }
        if let Some(ac) = gross.child(RAM_NS, "AppliedTradeAllowanceCharge") {
            if Self::indicator(ac) == Some(false) {
                self.mark_indicator(ac);
                // BT-147 Item price discount.
                price.item_price_discount = self.decimal(ac, "ActualAmount");
            }
        }
    }

    /// `ram:SpecifiedLineTradeSettlement`: BG-30, BG-26, BG-27/28, BT-131, BT-128, BT-133.
    fn line_settlement(&mut self, s: Node<'d>, line: &mut InvoiceLine) {
        if let Some(tax) = self.el(s, "ApplicableTradeTax") {
            self.vat_type(tax);
            // BG-30: BT-151, BT-152.
            line.vat_information = LineVatInformation {
                invoiced_item_vat_category_code: self
                    .text(tax, &["CategoryCode"])
                    .unwrap_or_default()
                    .into(),
                invoiced_item_vat_rate: self.decimal(tax, "RateApplicablePercent"),
            };
        }
        if let Some(period) = self.el(s, "BillingSpecifiedPeriod") {
            line.period = nonempty(self.period(period));
        }
        for (is_charge, node) in self.allowances_and_charges(s) {
            let ac = self.allowance_charge(node);
            ac.add_to_line(line, is_charge);
        }
        if let Some(sum) = self.el(s, "SpecifiedTradeSettlementLineMonetarySummation") {
            // BT-131 Invoice line net amount.
            line.net_amount = self.decimal(sum, "LineTotalAmount");
        }
        let documents: Vec<Node<'d>> = s
            .children_named(RAM_NS, "AdditionalReferencedDocument")
            .collect();
        for doc in documents {
            let Some(type_code) = doc.child(RAM_NS, "TypeCode") else {
                continue;
            };
            if type_code.text().trim() == DOCUMENT_OBJECT && line.object_identifier.is_none() {
                self.r.mark(doc);
                self.r.mark(type_code);
                // BT-128 Invoice line object identifier with BT-128-1.
                line.object_identifier = nonempty(self.object_identifier(doc));
            }
        }
        // BT-133 Invoice line Buyer accounting reference.
        line.buyer_accounting_reference =
            self.text(s, &["ReceivableSpecifiedTradeAccountingAccount", "ID"]);
    }

    /// BG-DEX-01 SUB INVOICE LINE: nests the flat lines by `ram:ParentLineID` (the first line
    /// with that `ram:LineID`, wherever it stands). A missing parent, a cycle or nesting deeper
    /// than [`MAX_SUB_LINE_DEPTH`] keeps the line at the top level, noted.
    /// `ram:LineStatusReasonCode` is consumed when it says what the nesting says (`GROUP` for a
    /// line with sub lines, `DETAIL` for a sub line without).
    fn nest_lines(&mut self, lines: Vec<InvoiceLine>, links: &[LineLink<'d>]) -> Vec<InvoiceLine> {
        let mut tree = LineTree::resolve(&lines, links);
        for (node, reason) in std::mem::take(&mut tree.problems) {
            self.r.mark(node);
            self.r.note(node, reason);
        }
        for (i, link) in links.iter().enumerate() {
            let is_sub = tree.parent(i).is_some();
            if let (true, Some(p)) = (is_sub, link.parent) {
                self.r.mark(p);
            }
            if let Some(status) = link.status {
                let expected = if tree.has_children(i) {
                    Some(LINE_STATUS_GROUP)
                } else if is_sub {
                    Some(LINE_STATUS_DETAIL)
                } else {
                    None
                };
                if expected == Some(status.text().trim()) {
                    self.r.mark(status);
                }
            }
        }
        tree.assemble(lines)
    }
}

/// Whether a gross price `ram:BasisQuantity` says the same as the net price one (BR-TMP-3: equal
/// values, equal units where both have one).
fn same_quantity(a: Node<'_>, b: Node<'_>) -> bool {
    let (ta, tb) = (a.text(), b.text());
    let same_value = match (parse_xs_decimal(&ta), parse_xs_decimal(&tb)) {
        (Some(x), Some(y)) => x == y,
        _ => ta.trim() == tb.trim(),
    };
    let same_unit = match (a.attribute("unitCode"), b.attribute("unitCode")) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    same_value && same_unit
}

/// BG-4 from a trade party.
fn seller(party: Party) -> Seller {
    Seller {
        name: party.name.unwrap_or_default(),
        trading_name: party.trading_name,
        identifiers: party.identifiers,
        legal_registration_identifier: party.legal_registration,
        vat_identifier: party.vat_identifier,
        tax_registration_identifier: party.tax_registration,
        additional_legal_information: party.description,
        electronic_address: party.electronic_address,
        postal_address: party.address.unwrap_or_default(),
        contact: party.contact,
    }
}

/// BG-7 from a trade party.
fn buyer(party: Party) -> Buyer {
    Buyer {
        name: party.name.unwrap_or_default(),
        trading_name: party.trading_name,
        identifier: party.identifiers.into_iter().next(),
        legal_registration_identifier: party.legal_registration,
        vat_identifier: party.vat_identifier,
        electronic_address: party.electronic_address,
        postal_address: party.address.unwrap_or_default(),
        contact: party.contact,
    }
}

/// The parent relation of the flat lines, made acyclic and depth-bounded.
struct LineTree<'d> {
    /// Parent index per line.
    parents: Vec<Option<usize>>,
    /// Nesting depth per line (0 = BG-25).
    depths: Vec<usize>,
    /// Sub line indices per line, in document order.
    children: Vec<Vec<usize>>,
    /// `ram:ParentLineID` elements that could not be followed, with the reason.
    problems: Vec<(Node<'d>, String)>,
}

impl<'d> LineTree<'d> {
    /// Resolves every `ram:ParentLineID`, breaks cycles and bounds the depth.
    fn resolve(lines: &[InvoiceLine], links: &[LineLink<'d>]) -> Self {
        let n = lines.len();
        let mut tree = LineTree {
            parents: vec![None; n],
            depths: vec![0; n],
            children: vec![Vec::new(); n],
            problems: Vec::new(),
        };
        let mut first_with_id: HashMap<&str, usize> = HashMap::with_capacity(n);
        for (i, line) in lines.iter().enumerate() {
            first_with_id.entry(line.identifier.as_str()).or_insert(i);
        }
        for (i, link) in links.iter().enumerate() {
            let Some(node) = link.parent else {
                continue;
            };
            let id = node.text();
            match first_with_id.get(id.as_ref()) {
                Some(&p) if p != i => tree.set_parent(i, Some(p)),
                _ => tree.problems.push((
                    node,
                    format!(
                        "sub invoice line: no other line has LineID {:?}; kept as an invoice line",
                        id.as_ref()
                    ),
                )),
            }
        }
        tree.break_cycles(links);
        tree.bound_depth(links);
        for i in 0..n {
            if let Some(p) = tree.parent(i) {
                if let Some(kids) = tree.children.get_mut(p) {
                    kids.push(i);
                }
            }
        }
        tree
    }

    fn parent(&self, i: usize) -> Option<usize> {
        self.parents.get(i).copied().flatten()
    }

    fn set_parent(&mut self, i: usize, p: Option<usize>) {
        if let Some(slot) = self.parents.get_mut(i) {
            *slot = p;
        }
    }

    fn has_children(&self, i: usize) -> bool {
        self.children.get(i).is_some_and(|c| !c.is_empty())
    }

    /// Cuts one link of every cycle (the link that closes it), noting it.
    fn break_cycles(&mut self, links: &[LineLink<'d>]) {
        const NEW: u8 = 0;
        const ON_PATH: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; self.parents.len()];
        for start in 0..self.parents.len() {
            let mut path = Vec::new();
            let mut cur = Some(start);
            while let Some(c) = cur {
                match state.get(c).copied() {
                    Some(NEW) => {
                        if let Some(s) = state.get_mut(c) {
                            *s = ON_PATH;
                        }
                        path.push(c);
                        cur = self.parent(c);
                    }
                    Some(ON_PATH) => {
                        if let Some(&last) = path.last() {
                            self.cut(last, links, "sub invoice lines form a cycle");
                        }
                        break;
                    }
                    _ => break,
                }
            }
            for c in path {
                if let Some(s) = state.get_mut(c) {
                    *s = DONE;
                }
            }
        }
    }

    /// Computes the depths parent-first; a line deeper than [`MAX_SUB_LINE_DEPTH`] becomes a
    /// top-level line (noted), its own sub lines following it.
    fn bound_depth(&mut self, links: &[LineLink<'d>]) {
        let n = self.parents.len();
        let mut known = vec![false; n];
        for start in 0..n {
            let mut chain = Vec::new();
            let mut cur = Some(start);
            while let Some(c) = cur {
                if known.get(c).copied().unwrap_or(true) {
                    break;
                }
                chain.push(c);
                cur = self.parent(c);
            }
            for &c in chain.iter().rev() {
                let depth = match self.parent(c) {
                    None => 0,
                    Some(p) => self.depths.get(p).copied().unwrap_or(0) + 1,
                };
                let depth = if depth > MAX_SUB_LINE_DEPTH {
                    self.cut(c, links, "sub invoice lines nested too deep");
                    0
                } else {
                    depth
                };
                if let Some(d) = self.depths.get_mut(c) {
                    *d = depth;
                }
                if let Some(k) = known.get_mut(c) {
                    *k = true;
                }
            }
        }
    }

    /// Makes line `i` a top-level line, noting why.
    fn cut(&mut self, i: usize, links: &[LineLink<'d>], why: &str) {
        self.set_parent(i, None);
        if let Some(node) = links.get(i).and_then(|l| l.parent) {
            self.problems.push((
                node,
                format!("{why}: line {i} kept as an invoice line (ParentLineID not followed)"),
            ));
        }
    }

    /// Moves every sub line into its parent, deepest first, and returns the top-level lines in
    /// document order.
    fn assemble(mut self, lines: Vec<InvoiceLine>) -> Vec<InvoiceLine> {
        let mut slots: Vec<Option<InvoiceLine>> = lines.into_iter().map(Some).collect();
        let mut order: Vec<usize> = (0..slots.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.depths.get(i).copied().unwrap_or(0)));
        for i in order {
            let kids = self
                .children
                .get_mut(i)
                .map(std::mem::take)
                .unwrap_or_default();
            if kids.is_empty() {
                continue;
            }
            let subs: Vec<InvoiceLine> = kids
                .into_iter()
                .filter_map(|c| slots.get_mut(c).and_then(Option::take))
                .collect();
            if let Some(Some(line)) = slots.get_mut(i) {
                line.sub_invoice_lines = subs;
            }
        }
        slots
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.parent(*i).is_none())
            .filter_map(|(_, line)| line)
            .collect()
    }
}
