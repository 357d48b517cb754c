//! Model → CII D16B. Every function writes one CII construct in the XSD sequence order of its
//! type and names the BT/BG it carries.

use chrono::NaiveDate;
use egov_core::xml::XmlWriter;
use rust_decimal::Decimal;

use super::{
    DATE_FORMAT_102, DOCUMENT_OBJECT, DOCUMENT_SUPPORTING, DOCUMENT_TENDER, LINE_STATUS_DETAIL,
    LINE_STATUS_GROUP, PROJECT_REFERENCE_NAME, SCHEME_VAT, TAX_TYPE_VAT,
};
use crate::codes::{UnitCode, VatCategoryCode};
use crate::model::{
    Contact, CreditTransfer, DocumentTotals, ElectronicAddress, Identifier, Invoice, InvoiceLine,
    LineVatInformation, ObjectIdentifier, PaymentInstructions, Period, PostalAddress, PriceDetails,
    ProcessControl,
};
use crate::write::AllowanceCharge;
use crate::write::{date_102, decimal};
use crate::{QDT_NS, RAM_NS, RSM_NS, UDT_NS};

/// Writes the invoice (see [`super::write`]).
pub(super) fn write(invoice: &Invoice) -> String {
    let mut out = Out {
        w: XmlWriter::new().indent(true).declaration(),
    };
    out.w.start("rsm:CrossIndustryInvoice");
    out.w.namespace("rsm", RSM_NS);
    out.w.namespace("ram", RAM_NS);
    out.w.namespace("udt", UDT_NS);
    out.w.namespace("qdt", QDT_NS);
    out.process_control(&invoice.process_control);
    out.exchanged_document(invoice);
    out.transaction(invoice);
    out.w.finish()
}

/// A trade party as CII writes it, borrowed from the model; each role fills its part.
#[derive(Default)]
struct Party<'a> {
    /// BT-29 / BT-46 / BT-60 / BT-71: `ram:ID` without, `ram:GlobalID` with a scheme.
    identifiers: &'a [Identifier],
    /// BT-27 / BT-44 / BT-59 / BT-62 / BT-70.
    name: Option<&'a str>,
    /// BT-33.
    description: Option<&'a str>,
    /// BT-30 / BT-47 / BT-61.
    legal_registration: Option<&'a Identifier>,
    /// BT-28 / BT-45.
    trading_name: Option<&'a str>,
    /// BG-6 / BG-9.
    contact: Option<&'a Contact>,
    /// BG-5 / BG-8 / BG-12 / BG-15.
    address: Option<&'a PostalAddress>,
    /// BT-34 / BT-49.
    electronic_address: Option<&'a ElectronicAddress>,
    /// BT-31 / BT-48 / BT-63.
    vat_identifier: Option<&'a str>,
    /// BT-32.
    tax_registration: Option<&'a Identifier>,
}

/// A non-empty string as `Some`.
fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// Whether an account identifier is written as `ram:IBANID` (an IBAN: two letters, two check
/// digits, up to 30 alphanumerics, blanks ignored) rather than `ram:ProprietaryID`. The model
/// keeps BT-84 in one term; reading takes either.
fn looks_like_iban(account: &str) -> bool {
    let compact: Vec<u8> = account
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let (Some(country), Some(check), Some(rest)) =
        (compact.get(..2), compact.get(2..4), compact.get(4..))
    else {
        return false;
    };
    country.iter().all(u8::is_ascii_uppercase)
        && check.iter().all(u8::is_ascii_digit)
        && !rest.is_empty()
        && rest.len() <= 30
        && rest.iter().all(u8::is_ascii_alphanumeric)
}

/// The CII writer: an [`XmlWriter`] plus the CII value helpers.
struct Out {
    w: XmlWriter,
}

impl Out {
    // --------------------------------------------------------------------------------------------
    // Value helpers
    // --------------------------------------------------------------------------------------------

    fn open(&mut self, name: &str) {
        self.w.start(name);
    }

    fn close(&mut self) {
        self.w.end();
    }

    /// `<name>text</name>`, also for an empty text (a present but empty value).
    fn text(&mut self, name: &str, text: &str) {
        self.w.leaf(name, text);
    }

    /// An optional term: written when present.
    fn opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.text(name, v);
        }
    }

    /// A required term kept as a string that is empty when missing: written when not empty.
    fn required(&mut self, name: &str, value: &str) {
        if !value.is_empty() {
            self.text(name, value);
        }
    }

    /// `<name a="v">text</name>` with the attributes that are present.
    fn with_attributes(&mut self, name: &str, text: &str, attributes: &[(&str, Option<&str>)]) {
        self.w.start(name);
        for (attribute, value) in attributes {
            if let Some(v) = value {
                self.w.attribute(attribute, v);
            }
        }
        self.w.text(text).end();
    }

    /// An identifier with its `@schemeID` (the `…-1` sub-terms).
    fn identifier(&mut self, name: &str, id: &Identifier) {
        self.with_attributes(name, &id.value, &[("schemeID", id.scheme_id.as_deref())]);
    }

    /// An amount, percentage or rate, keeping its scale; no `@currencyID` (CII-DT-031).
    fn decimal(&mut self, name: &str, value: Option<&Decimal>) {
        if let Some(v) = value {
            self.text(name, &decimal(v));
        }
    }

    /// A quantity with its `@unitCode`, written when either is present.
    fn quantity(&mut self, name: &str, value: Option<&Decimal>, unit: Option<&UnitCode>) {
        if value.is_none() && unit.is_none() {
            return;
        }
        let text = value.map(decimal).unwrap_or_default();
        self.with_attributes(name, &text, &[("unitCode", unit.map(UnitCode::as_str))]);
    }

    /// `<name><udt:DateTimeString format="102">CCYYMMDD</…></name>`.
    fn date(&mut self, name: &str, date: Option<&NaiveDate>) {
        if let Some(d) = date {
            self.open(name);
            self.date_string("udt:DateTimeString", d);
            self.close();
        }
    }

    /// A date string in format 102 (`udt:DateTimeString`, `udt:DateString`,
    /// `qdt:DateTimeString`).
    fn date_string(&mut self, name: &str, date: &NaiveDate) {
        self.w
            .leaf_with(name, &[("format", DATE_FORMAT_102)], &date_102(date));
    }

    /// `<wrapper><leaf>value</leaf></wrapper>` when the value is present.
    fn wrapped(&mut self, wrapper: &str, leaf: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.open(wrapper);
            self.text(leaf, v);
            self.close();
        }
    }

    // --------------------------------------------------------------------------------------------
    // Document
    // --------------------------------------------------------------------------------------------

    /// BG-2 PROCESS CONTROL: `rsm:ExchangedDocumentContext` with BT-23 and BT-24.
    fn process_control(&mut self, pc: &ProcessControl) {
        self.open("rsm:ExchangedDocumentContext");
        self.wrapped(
            "ram:BusinessProcessSpecifiedDocumentContextParameter",
            "ram:ID",
            pc.business_process_type.as_deref(),
        );
        self.wrapped(
            "ram:GuidelineSpecifiedDocumentContextParameter",
            "ram:ID",
            non_empty(&pc.specification_identifier),
        );
        self.close();
    }

    /// `rsm:ExchangedDocument`: BT-1, BT-3, BT-2, BG-1 (BT-22, BT-21).
    fn exchanged_document(&mut self, inv: &Invoice) {
        self.open("rsm:ExchangedDocument");
        self.required("ram:ID", &inv.invoice_number);
        self.required("ram:TypeCode", inv.invoice_type_code.as_str());
        self.date("ram:IssueDateTime", inv.issue_date.as_ref());
        for note in &inv.invoice_notes {
            self.open("ram:IncludedNote");
            self.required("ram:Content", &note.note);
            self.opt(
                "ram:SubjectCode",
                note.subject_code.as_ref().map(|c| c.as_str()),
            );
            self.close();
        }
        self.close();
    }

    /// `rsm:SupplyChainTradeTransaction`.
    fn transaction(&mut self, inv: &Invoice) {
        self.open("rsm:SupplyChainTradeTransaction");
        for line in &inv.invoice_lines {
            self.line(line, None);
        }
        self.agreement(inv);
        self.delivery(inv);
        self.settlement(inv);
        self.close();
    }

    // --------------------------------------------------------------------------------------------
    // Trade parties
    // --------------------------------------------------------------------------------------------

    /// One writer for every `ram:…TradeParty` (TradePartyType order).
    fn party(&mut self, name: &str, p: &Party<'_>) {
        self.open(name);
        for id in p.identifiers.iter().filter(|id| id.scheme_id.is_none()) {
            self.text("ram:ID", &id.value);
        }
        for id in p.identifiers.iter().filter(|id| id.scheme_id.is_some()) {
            self.identifier("ram:GlobalID", id);
        }
        self.opt("ram:Name", p.name);
        self.opt("ram:Description", p.description);
        if p.legal_registration.is_some() || p.trading_name.is_some() {
            self.open("ram:SpecifiedLegalOrganization");
            if let Some(id) = p.legal_registration {
                self.identifier("ram:ID", id);
            }
            self.opt("ram:TradingBusinessName", p.trading_name);
            self.close();
        }
        if let Some(contact) = p.contact {
            self.contact(contact);
        }
        if let Some(address) = p.address {
            self.address(address);
        }
        if let Some(uri) = p.electronic_address {
            self.open("ram:URIUniversalCommunication");
            if !uri.value.is_empty() || uri.scheme_id.is_some() {
                self.with_attributes(
                    "ram:URIID",
                    &uri.value,
                    &[("schemeID", uri.scheme_id.as_ref().map(|s| s.as_str()))],
                );
            }
            self.close();
        }
        if let Some(vat) = p.vat_identifier {
            self.open("ram:SpecifiedTaxRegistration");
            self.with_attributes("ram:ID", vat, &[("schemeID", Some(SCHEME_VAT))]);
            self.close();
        }
        if let Some(id) = p.tax_registration {
            self.open("ram:SpecifiedTaxRegistration");
            self.identifier("ram:ID", id);
            self.close();
        }
        self.close();
    }

    /// BG-6 / BG-9: `ram:DefinedTradeContact` with BT-41/56 as `ram:PersonName`.
    fn contact(&mut self, c: &Contact) {
        self.open("ram:DefinedTradeContact");
        self.opt("ram:PersonName", c.contact_point.as_deref());
        self.wrapped(
            "ram:TelephoneUniversalCommunication",
            "ram:CompleteNumber",
            c.telephone_number.as_deref(),
        );
        self.wrapped(
            "ram:EmailURIUniversalCommunication",
            "ram:URIID",
            c.email_address.as_deref(),
        );
        self.close();
    }

    /// BG-5 / BG-8 / BG-12 / BG-15: `ram:PostalTradeAddress` (TradeAddressType order).
    fn address(&mut self, a: &PostalAddress) {
        self.open("ram:PostalTradeAddress");
        self.opt("ram:PostcodeCode", a.post_code.as_deref());
        self.opt("ram:LineOne", a.address_line_1.as_deref());
        self.opt("ram:LineTwo", a.address_line_2.as_deref());
        self.opt("ram:LineThree", a.address_line_3.as_deref());
        self.opt("ram:CityName", a.city.as_deref());
        self.required("ram:CountryID", a.country_code.as_str());
        self.opt(
            "ram:CountrySubDivisionName",
            a.country_subdivision.as_deref(),
        );
        self.close();
    }

    // --------------------------------------------------------------------------------------------
    // Invoice lines
    // --------------------------------------------------------------------------------------------

    /// BG-25 INVOICE LINE, then its BG-DEX-01 sub invoice lines as further line items with
    /// `ram:ParentLineID` (depth-first, parent before its sub lines).
    fn line(&mut self, line: &InvoiceLine, parent: Option<&str>) {
        self.open("ram:IncludedSupplyChainTradeLineItem");
        self.open("ram:AssociatedDocumentLineDocument");
        self.required("ram:LineID", &line.identifier); // BT-126
        if let Some(parent) = parent {
            self.text("ram:ParentLineID", parent);
        }
        if !line.sub_invoice_lines.is_empty() {
            self.text("ram:LineStatusReasonCode", LINE_STATUS_GROUP);
        } else if parent.is_some() {
            self.text("ram:LineStatusReasonCode", LINE_STATUS_DETAIL);
        }
        // BT-127 Invoice line note.
        self.wrapped("ram:IncludedNote", "ram:Content", line.note.as_deref());
        self.close();
        self.item(line);
        self.line_agreement(line);
        if line.invoiced_quantity.is_some() || line.invoiced_quantity_unit_code.is_some() {
            self.open("ram:SpecifiedLineTradeDelivery");
            // BT-129, BT-130.
            self.quantity(
                "ram:BilledQuantity",
                line.invoiced_quantity.as_ref(),
                line.invoiced_quantity_unit_code.as_ref(),
            );
            self.close();
        }
        self.line_settlement(line);
        self.close();
        for sub in &line.sub_invoice_lines {
            self.line(sub, Some(&line.identifier));
        }
    }

    /// BG-31 ITEM INFORMATION: `ram:SpecifiedTradeProduct` (TradeProductType order).
    fn item(&mut self, line: &InvoiceLine) {
        let item = &line.item_information;
        if *item == Default::default() {
            return;
        }
        self.open("ram:SpecifiedTradeProduct");
        if let Some(id) = &item.standard_identifier {
            self.identifier("ram:GlobalID", id); // BT-157
        }
        self.opt("ram:SellerAssignedID", item.sellers_identifier.as_deref()); // BT-155
        self.opt("ram:BuyerAssignedID", item.buyers_identifier.as_deref()); // BT-156
        self.required("ram:Name", &item.name); // BT-153
        self.opt("ram:Description", item.description.as_deref()); // BT-154
        for attribute in &item.attributes {
            // BG-32: BT-160, BT-161.
            self.open("ram:ApplicableProductCharacteristic");
            self.required("ram:Description", &attribute.name);
            self.required("ram:Value", &attribute.value);
            self.close();
        }
        for class in &item.classification_identifiers {
            // BT-158 with BT-158-1, BT-158-2.
            self.open("ram:DesignatedProductClassification");
            if !class.value.is_empty()
                || class.scheme_id.is_some()
                || class.scheme_version_id.is_some()
            {
                self.with_attributes(
                    "ram:ClassCode",
                    &class.value,
                    &[
                        ("listID", class.scheme_id.as_ref().map(|s| s.as_str())),
                        ("listVersionID", class.scheme_version_id.as_deref()),
                    ],
                );
            }
            self.close();
        }
        // BT-159 Item country of origin.
        self.wrapped(
            "ram:OriginTradeCountry",
            "ram:ID",
            item.country_of_origin.as_ref().map(|c| c.as_str()),
        );
        self.close();
    }

    /// `ram:SpecifiedLineTradeAgreement`: BT-132 and BG-29 PRICE DETAILS. BT-149/BT-150 go into
    /// the net price and, when there is a gross price, into it as well (BR-TMP-3).
    fn line_agreement(&mut self, line: &InvoiceLine) {
        let price = &line.price_details;
        let order_line = line.referenced_purchase_order_line_reference.as_deref();
        if order_line.is_none() && *price == PriceDetails::default() {
            return;
        }
        self.open("ram:SpecifiedLineTradeAgreement");
        // BT-132 Referenced purchase order line reference.
        self.wrapped("ram:BuyerOrderReferencedDocument", "ram:LineID", order_line);
        let base = price.item_price_base_quantity.as_ref();
        let unit = price.item_price_base_quantity_unit_code.as_ref();
        if price.item_gross_price.is_some() || price.item_price_discount.is_some() {
            self.open("ram:GrossPriceProductTradePrice");
            self.decimal("ram:ChargeAmount", price.item_gross_price.as_ref()); // BT-148
            self.quantity("ram:BasisQuantity", base, unit);
            if let Some(discount) = &price.item_price_discount {
                // BT-147 Item price discount.
                self.open("ram:AppliedTradeAllowanceCharge");
                self.charge_indicator(false);
                self.decimal("ram:ActualAmount", Some(discount));
                self.close();
            }
            self.close();
        }
        if price.item_net_price.is_some() || base.is_some() || unit.is_some() {
            self.open("ram:NetPriceProductTradePrice");
            self.decimal("ram:ChargeAmount", price.item_net_price.as_ref()); // BT-146
            self.quantity("ram:BasisQuantity", base, unit);
            self.close();
        }
        self.close();
    }

    /// `ram:SpecifiedLineTradeSettlement` (required by the XSD): BG-30, BG-26, BG-27/28, BT-131,
    /// BT-128, BT-133.
    fn line_settlement(&mut self, line: &InvoiceLine) {
        self.open("ram:SpecifiedLineTradeSettlement");
        let vat = &line.vat_information;
        if *vat != LineVatInformation::default() {
            // BG-30: BT-151, BT-152.
            self.tax_category(
                "ram:ApplicableTradeTax",
                &vat.invoiced_item_vat_category_code,
                vat.invoiced_item_vat_rate.as_ref(),
            );
        }
        if let Some(period) = &line.period {
            self.period(period); // BG-26
        }
        for a in &line.allowances {
            self.allowance_charge(&AllowanceCharge::from(a));
        }
        for c in &line.charges {
            self.allowance_charge(&AllowanceCharge::from(c));
        }
        if let Some(net) = &line.net_amount {
            self.open("ram:SpecifiedTradeSettlementLineMonetarySummation");
            self.decimal("ram:LineTotalAmount", Some(net)); // BT-131
            self.close();
        }
        if let Some(object) = &line.object_identifier {
            self.object_identifier(object); // BT-128
        }
        // BT-133 Invoice line Buyer accounting reference.
        self.wrapped(
            "ram:ReceivableSpecifiedTradeAccountingAccount",
            "ram:ID",
            line.buyer_accounting_reference.as_deref(),
        );
        self.close();
    }

    // --------------------------------------------------------------------------------------------
    // Shared constructs
    // --------------------------------------------------------------------------------------------

    /// `ram:ChargeIndicator/udt:Indicator`: `true` for a charge, `false` for an allowance.
    fn charge_indicator(&mut self, is_charge: bool) {
        self.open("ram:ChargeIndicator");
        self.text("udt:Indicator", if is_charge { "true" } else { "false" });
        self.close();
    }

    /// A VAT category: `ram:TypeCode` VAT, `ram:CategoryCode`, `ram:RateApplicablePercent` (line
    /// `ram:ApplicableTradeTax` BG-30, allowance/charge `ram:CategoryTradeTax`).
    fn tax_category(&mut self, name: &str, code: &VatCategoryCode, rate: Option<&Decimal>) {
        self.open(name);
        self.text("ram:TypeCode", TAX_TYPE_VAT);
        self.required("ram:CategoryCode", code.as_str());
        self.decimal("ram:RateApplicablePercent", rate);
        self.close();
    }

    /// One `ram:SpecifiedTradeAllowanceCharge` (TradeAllowanceChargeType order).
    fn allowance_charge(&mut self, ac: &AllowanceCharge<'_>) {
        self.open("ram:SpecifiedTradeAllowanceCharge");
        self.charge_indicator(ac.charge);
        self.decimal("ram:CalculationPercent", ac.percentage);
        self.decimal("ram:BasisAmount", ac.base_amount);
        self.decimal("ram:ActualAmount", ac.amount);
        self.opt("ram:ReasonCode", ac.reason_code);
        self.opt("ram:Reason", ac.reason);
        if let Some((code, rate)) = ac.vat {
            if !code.is_empty() || rate.is_some() {
                self.tax_category("ram:CategoryTradeTax", code, rate);
            }
        }
        self.close();
    }

    /// BG-14 / BG-26: `ram:BillingSpecifiedPeriod`.
    fn period(&mut self, p: &Period) {
        self.open("ram:BillingSpecifiedPeriod");
        self.date("ram:StartDateTime", p.start_date.as_ref());
        self.date("ram:EndDateTime", p.end_date.as_ref());
        self.close();
    }

    /// BT-18 / BT-128: `ram:AdditionalReferencedDocument` with type code 130 and BT-18-1 /
    /// BT-128-1 `ram:ReferenceTypeCode`.
    fn object_identifier(&mut self, o: &ObjectIdentifier) {
        self.open("ram:AdditionalReferencedDocument");
        self.required("ram:IssuerAssignedID", &o.value);
        self.text("ram:TypeCode", DOCUMENT_OBJECT);
        self.opt(
            "ram:ReferenceTypeCode",
            o.scheme_id.as_ref().map(|s| s.as_str()),
        );
        self.close();
    }

    // --------------------------------------------------------------------------------------------
    // Header
    // --------------------------------------------------------------------------------------------

    /// `ram:ApplicableHeaderTradeAgreement` (HeaderTradeAgreementType order).
    fn agreement(&mut self, inv: &Invoice) {
        self.open("ram:ApplicableHeaderTradeAgreement");
        self.opt("ram:BuyerReference", inv.buyer_reference.as_deref()); // BT-10
        let s = &inv.seller;
        if *s != Default::default() {
            // BG-4 SELLER.
            self.party(
                "ram:SellerTradeParty",
                &Party {
                    identifiers: &s.identifiers,
                    name: non_empty(&s.name),
                    description: s.additional_legal_information.as_deref(),
                    legal_registration: s.legal_registration_identifier.as_ref(),
                    trading_name: s.trading_name.as_deref(),
                    contact: s.contact.as_ref(),
                    address: (s.postal_address != PostalAddress::default())
                        .then_some(&s.postal_address),
                    electronic_address: s.electronic_address.as_ref(),
                    vat_identifier: s.vat_identifier.as_deref(),
                    tax_registration: s.tax_registration_identifier.as_ref(),
                },
            );
        }
        let b = &inv.buyer;
        if *b != Default::default() {
            // BG-7 BUYER.
            self.party(
                "ram:BuyerTradeParty",
                &Party {
                    identifiers: b.identifier.as_slice(),
                    name: non_empty(&b.name),
                    legal_registration: b.legal_registration_identifier.as_ref(),
                    trading_name: b.trading_name.as_deref(),
                    contact: b.contact.as_ref(),
                    address: (b.postal_address != PostalAddress::default())
                        .then_some(&b.postal_address),
                    electronic_address: b.electronic_address.as_ref(),
                    vat_identifier: b.vat_identifier.as_deref(),
                    ..Party::default()
                },
            );
        }
        if let Some(t) = &inv.seller_tax_representative {
            // BG-11 SELLER TAX REPRESENTATIVE PARTY.
            self.party(
                "ram:SellerTaxRepresentativeTradeParty",
                &Party {
                    name: non_empty(&t.name),
                    address: (t.postal_address != PostalAddress::default())
                        .then_some(&t.postal_address),
                    vat_identifier: non_empty(&t.vat_identifier),
                    ..Party::default()
                },
            );
        }
        self.wrapped(
            "ram:SellerOrderReferencedDocument",
            "ram:IssuerAssignedID",
            inv.sales_order_reference.as_deref(),
        ); // BT-14
        self.wrapped(
            "ram:BuyerOrderReferencedDocument",
            "ram:IssuerAssignedID",
            inv.purchase_order_reference.as_deref(),
        ); // BT-13
        self.wrapped(
            "ram:ContractReferencedDocument",
            "ram:IssuerAssignedID",
            inv.contract_reference.as_deref(),
        ); // BT-12
        self.additional_documents(inv);
        if let Some(project) = &inv.project_reference {
            // BT-11 Project reference.
            self.open("ram:SpecifiedProcuringProject");
            self.text("ram:ID", project);
            self.text("ram:Name", PROJECT_REFERENCE_NAME);
            self.close();
        }
        self.close();
    }

    /// `ram:AdditionalReferencedDocument`: BG-24 (916), BT-17 (50), BT-18 (130).
    fn additional_documents(&mut self, inv: &Invoice) {
        for doc in &inv.additional_supporting_documents {
            self.open("ram:AdditionalReferencedDocument");
            self.required("ram:IssuerAssignedID", &doc.supporting_document_reference); // BT-122
            self.opt("ram:URIID", doc.external_document_location.as_deref()); // BT-124
            self.text("ram:TypeCode", DOCUMENT_SUPPORTING);
            self.opt("ram:Name", doc.supporting_document_description.as_deref()); // BT-123
            if let Some(attached) = &doc.attached_document {
                // BT-125 with BT-125-1, BT-125-2.
                self.with_attributes(
                    "ram:AttachmentBinaryObject",
                    &attached.content,
                    &[
                        ("mimeCode", attached.mime_code.as_ref().map(|m| m.as_str())),
                        ("filename", attached.filename.as_deref()),
                    ],
                );
            }
            self.close();
        }
        if let Some(tender) = &inv.tender_or_lot_reference {
            // BT-17 Tender or lot reference.
            self.open("ram:AdditionalReferencedDocument");
            self.required("ram:IssuerAssignedID", tender);
            self.text("ram:TypeCode", DOCUMENT_TENDER);
            self.close();
        }
        if let Some(object) = &inv.invoiced_object_identifier {
            self.object_identifier(object); // BT-18
        }
    }

    /// `ram:ApplicableHeaderTradeDelivery` (required by the XSD): BG-13, BT-16, BT-15.
    fn delivery(&mut self, inv: &Invoice) {
        self.open("ram:ApplicableHeaderTradeDelivery");
        if let Some(d) = &inv.delivery_information {
            let has_party = d.deliver_to_party_name.is_some()
                || d.deliver_to_location_identifier.is_some()
                || d.deliver_to_address.is_some();
            // An empty BG-13 still needs an element to be present.
            if has_party || d.actual_delivery_date.is_none() {
                // BT-70, BT-71, BG-15.
                self.party(
                    "ram:ShipToTradeParty",
                    &Party {
                        identifiers: d.deliver_to_location_identifier.as_slice(),
                        name: d.deliver_to_party_name.as_deref(),
                        address: d.deliver_to_address.as_ref(),
                        ..Party::default()
                    },
                );
            }
            if let Some(date) = &d.actual_delivery_date {
                // BT-72 Actual delivery date.
                self.open("ram:ActualDeliverySupplyChainEvent");
                self.date("ram:OccurrenceDateTime", Some(date));
                self.close();
            }
        }
        self.wrapped(
            "ram:DespatchAdviceReferencedDocument",
            "ram:IssuerAssignedID",
            inv.despatch_advice_reference.as_deref(),
        ); // BT-16
        self.wrapped(
            "ram:ReceivingAdviceReferencedDocument",
            "ram:IssuerAssignedID",
            inv.receiving_advice_reference.as_deref(),
        ); // BT-15
        self.close();
    }

    /// `ram:ApplicableHeaderTradeSettlement` (required by the XSD; HeaderTradeSettlementType
    /// order).
    fn settlement(&mut self, inv: &Invoice) {
        self.open("ram:ApplicableHeaderTradeSettlement");
        let pi = inv.payment_instructions.as_ref();
        let dd = pi.and_then(|p| p.direct_debit.as_ref());
        self.opt(
            "ram:CreditorReferenceID",
            dd.and_then(|d| d.bank_assigned_creditor_identifier.as_deref()),
        ); // BT-90
        self.opt(
            "ram:PaymentReference",
            pi.and_then(|p| p.remittance_information.as_deref()),
        ); // BT-83
        self.opt(
            "ram:TaxCurrencyCode",
            inv.vat_accounting_currency_code
                .as_ref()
                .map(|c| c.as_str()),
        ); // BT-6
        self.required(
            "ram:InvoiceCurrencyCode",
            inv.invoice_currency_code.as_str(),
        ); // BT-5
        if let Some(payee) = &inv.payee {
            // BG-10 PAYEE.
            self.party(
                "ram:PayeeTradeParty",
                &Party {
                    identifiers: payee.identifier.as_slice(),
                    name: non_empty(&payee.name),
                    legal_registration: payee.legal_registration_identifier.as_ref(),
                    ..Party::default()
                },
            );
        }
        if let Some(pi) = pi {
            self.payment_means(pi);
        }
        self.vat_breakdowns(inv);
        if let Some(period) = &inv.invoicing_period {
            self.period(period); // BG-14
        }
        for a in &inv.document_level_allowances {
            self.allowance_charge(&AllowanceCharge::from(a)); // BG-20
        }
        for c in &inv.document_level_charges {
            self.allowance_charge(&AllowanceCharge::from(c)); // BG-21
        }
        let mandate = dd.and_then(|d| d.mandate_reference_identifier.as_deref());
        if inv.payment_terms.is_some() || inv.payment_due_date.is_some() || mandate.is_some() {
            self.open("ram:SpecifiedTradePaymentTerms");
            self.opt("ram:Description", inv.payment_terms.as_deref()); // BT-20
            self.date("ram:DueDateDateTime", inv.payment_due_date.as_ref()); // BT-9
            self.opt("ram:DirectDebitMandateID", mandate); // BT-89
            self.close();
        }
        self.document_totals(inv);
        for p in &inv.preceding_invoice_references {
            // BG-3: BT-25, BT-26.
            self.open("ram:InvoiceReferencedDocument");
            self.required("ram:IssuerAssignedID", &p.preceding_invoice_reference);
            if let Some(date) = &p.preceding_invoice_issue_date {
                self.open("ram:FormattedIssueDateTime");
                self.date_string("qdt:DateTimeString", date);
                self.close();
            }
            self.close();
        }
        // BT-19 Buyer accounting reference.
        self.wrapped(
            "ram:ReceivableSpecifiedTradeAccountingAccount",
            "ram:ID",
            inv.buyer_accounting_reference.as_deref(),
        );
        self.close();
    }

    /// BG-16: one `ram:SpecifiedTradeSettlementPaymentMeans` per BG-17 account (at least one
    /// unless BT-83/BT-89/BT-90 already carry the group), each with BT-81; BT-82, BG-18 and BT-91
    /// in the first.
    fn payment_means(&mut self, pi: &PaymentInstructions) {
        let debited = pi
            .direct_debit
            .as_ref()
            .and_then(|d| d.debited_account_identifier.as_deref());
        let carried_elsewhere = pi.remittance_information.is_some()
            || pi.direct_debit.as_ref().is_some_and(|d| {
                d.mandate_reference_identifier.is_some()
                    || d.bank_assigned_creditor_identifier.is_some()
            });
        let has_means_content = !pi.payment_means_type_code.is_empty()
            || pi.payment_means_text.is_some()
            || pi.payment_card.is_some()
            || debited.is_some();
        let count = match pi.credit_transfers.len() {
            0 if has_means_content || !carried_elsewhere => 1,
            n => n,
        };
        for i in 0..count {
            self.open("ram:SpecifiedTradeSettlementPaymentMeans");
            self.required("ram:TypeCode", pi.payment_means_type_code.as_str()); // BT-81
            if i == 0 {
                self.opt("ram:Information", pi.payment_means_text.as_deref()); // BT-82
                if let Some(card) = &pi.payment_card {
                    // BG-18: BT-87, BT-88.
                    self.open("ram:ApplicableTradeSettlementFinancialCard");
                    self.required("ram:ID", &card.primary_account_number);
                    self.opt("ram:CardholderName", card.holder_name.as_deref());
                    self.close();
                }
                // BT-91 Debited account identifier.
                self.wrapped(
                    "ram:PayerPartyDebtorFinancialAccount",
                    "ram:IBANID",
                    debited,
                );
            }
            if let Some(transfer) = pi.credit_transfers.get(i) {
                self.credit_transfer(transfer);
            }
            self.close();
        }
    }

    /// BG-17 CREDIT TRANSFER: BT-84 (`ram:IBANID` for an IBAN, else `ram:ProprietaryID`), BT-85,
    /// BT-86.
    fn credit_transfer(&mut self, t: &CreditTransfer) {
        let account = &t.payment_account_identifier;
        let bic = t.payment_service_provider_identifier.as_deref();
        // The account element marks the transfer unless the BIC alone does.
        if !account.is_empty() || t.payment_account_name.is_some() || bic.is_none() {
            let iban = looks_like_iban(account);
            self.open("ram:PayeePartyCreditorFinancialAccount");
            if iban {
                self.text("ram:IBANID", account);
            }
            self.opt("ram:AccountName", t.payment_account_name.as_deref());
            if !iban && !account.is_empty() {
                self.text("ram:ProprietaryID", account);
            }
            self.close();
        }
        self.wrapped(
            "ram:PayeeSpecifiedCreditorFinancialInstitution",
            "ram:BICID",
            bic,
        );
    }

    /// BG-23 VAT BREAKDOWN (TradeTaxType order), with BT-7 and BT-8 (as UNTDID 2475) in the first
    /// `ram:ApplicableTradeTax` — or in one of their own when there is no breakdown.
    fn vat_breakdowns(&mut self, inv: &Invoice) {
        let tax_point_date = inv.value_added_tax_point_date.as_ref();
        let tax_point_code = inv.value_added_tax_point_date_code.as_ref();
        if inv.vat_breakdowns.is_empty() && (tax_point_date.is_some() || tax_point_code.is_some()) {
            self.open("ram:ApplicableTradeTax");
            self.text("ram:TypeCode", TAX_TYPE_VAT);
            self.tax_point(tax_point_date, tax_point_code.map(|c| c.to_untdid_2475()));
            self.close();
        }
        for (i, b) in inv.vat_breakdowns.iter().enumerate() {
            self.open("ram:ApplicableTradeTax");
            self.decimal("ram:CalculatedAmount", b.vat_category_tax_amount.as_ref()); // BT-117
            self.text("ram:TypeCode", TAX_TYPE_VAT);
            self.opt(
                "ram:ExemptionReason",
                b.vat_exemption_reason_text.as_deref(),
            ); // BT-120
            self.decimal("ram:BasisAmount", b.vat_category_taxable_amount.as_ref()); // BT-116
            self.required("ram:CategoryCode", b.vat_category_code.as_str()); // BT-118
            self.opt(
                "ram:ExemptionReasonCode",
                b.vat_exemption_reason_code.as_ref().map(|c| c.as_str()),
            ); // BT-121
            if i == 0 {
                self.tax_point(tax_point_date, tax_point_code.map(|c| c.to_untdid_2475()));
            }
            self.decimal("ram:RateApplicablePercent", b.vat_category_rate.as_ref()); // BT-119
            self.close();
        }
    }

    /// BT-7 `ram:TaxPointDate/udt:DateString` and BT-8 `ram:DueDateTypeCode`.
    fn tax_point(&mut self, date: Option<&NaiveDate>, code: Option<&str>) {
        if let Some(date) = date {
            self.open("ram:TaxPointDate");
            self.date_string("udt:DateString", date);
            self.close();
        }
        self.opt("ram:DueDateTypeCode", code);
    }

    /// BG-22 DOCUMENT TOTALS (TradeSettlementHeaderMonetarySummationType order); `@currencyID`
    /// only on BT-110 (BT-5) and BT-111 (BT-6).
    fn document_totals(&mut self, inv: &Invoice) {
        let t = &inv.document_totals;
        if *t == DocumentTotals::default() {
            return;
        }
        self.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
        self.decimal(
            "ram:LineTotalAmount",
            t.sum_of_invoice_line_net_amount.as_ref(),
        ); // BT-106
        self.decimal(
            "ram:ChargeTotalAmount",
            t.sum_of_charges_on_document_level.as_ref(),
        ); // BT-108
        self.decimal(
            "ram:AllowanceTotalAmount",
            t.sum_of_allowances_on_document_level.as_ref(),
        ); // BT-107
        self.decimal(
            "ram:TaxBasisTotalAmount",
            t.invoice_total_amount_without_vat.as_ref(),
        ); // BT-109
        let invoice_currency = non_empty(inv.invoice_currency_code.as_str());
        let accounting_currency = inv
            .vat_accounting_currency_code
            .as_ref()
            .and_then(|c| non_empty(c.as_str()));
        for (amount, currency) in [
            (t.invoice_total_vat_amount.as_ref(), invoice_currency), // BT-110
            (
                t.invoice_total_vat_amount_in_accounting_currency.as_ref(),
                accounting_currency,
            ), // BT-111
        ] {
            if let Some(amount) = amount {
                self.with_attributes(
                    "ram:TaxTotalAmount",
                    &decimal(amount),
                    &[("currencyID", currency)],
                );
            }
        }
        self.decimal("ram:RoundingAmount", t.rounding_amount.as_ref()); // BT-114
        self.decimal(
            "ram:GrandTotalAmount",
            t.invoice_total_amount_with_vat.as_ref(),
        ); // BT-112
        self.decimal("ram:TotalPrepaidAmount", t.paid_amount.as_ref()); // BT-113
        self.decimal("ram:DuePayableAmount", t.amount_due_for_payment.as_ref()); // BT-115
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_iban;

    #[test]
    fn iban_detection() {
        assert!(looks_like_iban("DE75512108001245126199"));
        assert!(looks_like_iban("DE75 5121 0800 1245 1261 99"));
        assert!(!looks_like_iban("123/456/789"));
        assert!(!looks_like_iban("DE"));
        assert!(!looks_like_iban("de75512108001245126199"));
        assert!(!looks_like_iban(""));
    }
}
