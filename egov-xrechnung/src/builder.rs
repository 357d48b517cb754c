//! A builder for vendors creating invoices: give parties, lines, allowances and charges; the
//! builder computes line net amounts (BT-131), the VAT breakdown per category and rate (BG-23)
//! and the document totals (BT-106 … BT-115) with the rounding the EN 16931 rules check, so a
//! built invoice satisfies BR-CO-10 … BR-CO-17 by construction.
//!
//! ```
//! use chrono::NaiveDate;
//! use egov_xrechnung::builder::{InvoiceBuilder, LineItem};
//! use egov_xrechnung::model::{Buyer, ElectronicAddress, PostalAddress, Seller};
//! use rust_decimal::Decimal;
//!
//! let address = |city: &str| PostalAddress {
//!     city: Some(city.into()),
//!     post_code: Some("12345".into()),
//!     country_code: "DE".into(),
//!     ..Default::default()
//! };
//! let invoice = InvoiceBuilder::new("R-2026-1", NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(), "EUR")
//!     .xrechnung("04011000-12345-67")
//!     .seller(Seller {
//!         name: "Seller GmbH".into(),
//!         vat_identifier: Some("DE123456789".into()),
//!         electronic_address: Some(ElectronicAddress { value: "seller@example.org".into(), scheme_id: Some("EM".into()) }),
//!         postal_address: address("Berlin"),
//!         ..Default::default()
//!     })
//!     .buyer(Buyer { name: "Stadt Musterstadt".into(), postal_address: address("Bonn"), ..Default::default() })
//!     .credit_transfer("DE02120300000000202051", None, None)
//!     .line(LineItem::new("1", "Beratung", Decimal::new(3, 0), "HUR", Decimal::new(8000, 2)).vat("S", Decimal::new(19, 0)))
//!     .line(LineItem::new("2", "Fahrtkosten", Decimal::new(1, 0), "C62", Decimal::new(4050, 2)).vat("S", Decimal::new(19, 0)))
//!     .build();
//! let totals = &invoice.document_totals;
//! assert_eq!(totals.sum_of_invoice_line_net_amount, Some(Decimal::new(28050, 2)));
//! assert_eq!(totals.invoice_total_vat_amount, Some(Decimal::new(5330, 2))); // 280.50 × 19 % = 53.295 → 53.30
//! assert_eq!(totals.amount_due_for_payment, Some(Decimal::new(33380, 2)));
//! ```

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::codes::{CurrencyCode, PaymentMeansCode, UnitCode, VatCategoryCode};
use crate::model::{Buyer, Invoice, Seller};
use crate::model::{
    CreditTransfer, DocumentLevelAllowance, DocumentLevelCharge, DocumentTotals, InvoiceLine,
    InvoiceLineAllowance, InvoiceLineCharge, InvoiceNote, ItemInformation, LineVatInformation,
    PaymentInstructions, PriceDetails, ProcessControl, VatBreakdown, XRECHNUNG_CIUS_ID,
};

/// BT-23 for invoices exchanged over Peppol (the XRechnung default).
pub const PEPPOL_BILLING_PROCESS: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";

/// Rounds to two decimals the way the EN 16931 rules check amounts: XPath
/// `round(x * 100) div 100`, i.e. half towards positive infinity.
pub fn round_amount(value: Decimal) -> Decimal {
    let hundred = Decimal::ONE_HUNDRED;
    let mut r = ((value * hundred) + Decimal::new(5, 1)).floor() / hundred;
    r.rescale(2);
    r
}

/// One invoice line as the vendor knows it; the builder turns it into BG-25 and computes BT-131.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    line: InvoiceLine,
}

impl LineItem {
    /// A line: BT-126 identifier, BT-153 item name, BT-129 quantity with BT-130 unit (UN/ECE Rec
    /// 20/21, e.g. `C62` piece, `HUR` hour), BT-146 item net price. VAT defaults to standard
    /// rate category `S` at 19 %.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        quantity: Decimal,
        unit: &str,
        net_price: Decimal,
    ) -> Self {
        LineItem {
            line: InvoiceLine {
                identifier: id.into(),
                invoiced_quantity: Some(quantity),
                invoiced_quantity_unit_code: Some(UnitCode::from(unit)),
                price_details: PriceDetails {
                    item_net_price: Some(net_price),
                    ..Default::default()
                },
                vat_information: LineVatInformation {
                    invoiced_item_vat_category_code: VatCategoryCode::from("S"),
                    invoiced_item_vat_rate: Some(Decimal::new(19, 0)),
                },
                item_information: ItemInformation {
                    name: name.into(),
                    ..Default::default()
                },
                ..Default::default()
            },
        }
    }

    /// BG-30: VAT category (UNTDID 5305, e.g. `S`, `Z`, `E`, `AE`, `K`, `G`, `O`) and rate in
    /// percent.
    pub fn vat(mut self, category: &str, rate: Decimal) -> Self {
        self.line.vat_information = LineVatInformation {
            invoiced_item_vat_category_code: VatCategoryCode::from(category),
            invoiced_item_vat_rate: Some(rate),
        };
        self
    }

    /// BT-149: the price is per this many units (e.g. price per 100 pieces).
    pub fn price_base_quantity(mut self, quantity: Decimal) -> Self {
        self.line.price_details.item_price_base_quantity = Some(quantity);
        self
    }

    /// BT-154 item description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.line.item_information.description = Some(text.into());
        self
    }

    /// BT-127 line note.
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.line.note = Some(text.into());
        self
    }

    /// BT-155 the seller's item identifier.
    pub fn sellers_item_id(mut self, id: impl Into<String>) -> Self {
        self.line.item_information.sellers_identifier = Some(id.into());
        self
    }

    /// BG-27: a line allowance (BT-136 amount, BT-139 reason).
    pub fn allowance(mut self, amount: Decimal, reason: impl Into<String>) -> Self {
        self.line.allowances.push(InvoiceLineAllowance {
            amount: Some(amount),
            reason: Some(reason.into()),
            ..Default::default()
        });
        self
    }

    /// BG-28: a line charge (BT-141 amount, BT-144 reason).
    pub fn charge(mut self, amount: Decimal, reason: impl Into<String>) -> Self {
        self.line.charges.push(InvoiceLineCharge {
            amount: Some(amount),
            reason: Some(reason.into()),
            ..Default::default()
        });
        self
    }

    /// Any further BG-25 content (period, references, item details) on the model directly.
    pub fn with(mut self, f: impl FnOnce(&mut InvoiceLine)) -> Self {
        f(&mut self.line);
        self
    }

    /// BT-131 = round(quantity × net price ÷ base quantity) + charges − allowances
    /// (BR-LIN-04; what PEPPOL-EN16931-R120 checks).
    fn into_line(mut self) -> InvoiceLine {
        let qty = self.line.invoiced_quantity.unwrap_or_default();
        let price = self.line.price_details.item_net_price.unwrap_or_default();
        let base = self
            .line
            .price_details
            .item_price_base_quantity
            .filter(|b| !b.is_zero())
            .unwrap_or(Decimal::ONE);
        let gross = qty.checked_mul(price).unwrap_or_default() / base;
        let charges: Decimal = self.line.charges.iter().filter_map(|c| c.amount).sum();
        let allowances: Decimal = self.line.allowances.iter().filter_map(|a| a.amount).sum();
        self.line.net_amount = Some(round_amount(gross + charges - allowances));
        self.line
    }
}

/// Builds an [`Invoice`] whose computed terms are consistent by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceBuilder {
    invoice: Invoice,
    lines: Vec<LineItem>,
    exemptions: Vec<(VatCategoryCode, Option<String>, Option<String>)>,
}

impl InvoiceBuilder {
    /// BT-1 number, BT-2 issue date, BT-5 currency; BT-3 = 380 (commercial invoice).
    pub fn new(number: impl Into<String>, issue_date: NaiveDate, currency: &str) -> Self {
        InvoiceBuilder {
            invoice: Invoice {
                invoice_number: number.into(),
                issue_date: Some(issue_date),
                invoice_type_code: "380".into(),
                invoice_currency_code: CurrencyCode::from(currency),
                ..Default::default()
            },
            lines: Vec::new(),
            exemptions: Vec::new(),
        }
    }

    /// An XRechnung 3.0 invoice: BT-24 = the XRechnung CIUS id, BT-23 = Peppol billing, BT-10 =
    /// the buyer reference (Leitweg-ID for German public buyers).
    pub fn xrechnung(mut self, buyer_reference: impl Into<String>) -> Self {
        self.invoice.process_control = ProcessControl {
            business_process_type: Some(PEPPOL_BILLING_PROCESS.into()),
            specification_identifier: XRECHNUNG_CIUS_ID.into(),
        };
        self.invoice.buyer_reference = Some(buyer_reference.into());
        self
    }

    /// BT-3 invoice type code (UNTDID 1001, e.g. 381 credit note, 384 corrected invoice).
    pub fn type_code(mut self, code: &str) -> Self {
        self.invoice.invoice_type_code = code.into();
        self
    }

    /// BT-9 payment due date.
    pub fn due_date(mut self, date: NaiveDate) -> Self {
        self.invoice.payment_due_date = Some(date);
        self
    }

    /// BT-20 payment terms.
    pub fn payment_terms(mut self, text: impl Into<String>) -> Self {
        self.invoice.payment_terms = Some(text.into());
        self
    }

    /// BG-1: an invoice note (BT-22).
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.invoice.invoice_notes.push(InvoiceNote {
            subject_code: None,
            note: text.into(),
        });
        self
    }

    /// BG-4 seller.
    pub fn seller(mut self, seller: Seller) -> Self {
        self.invoice.seller = seller;
        self
    }

    /// BG-7 buyer.
    pub fn buyer(mut self, buyer: Buyer) -> Self {
        self.invoice.buyer = buyer;
        self
    }

    /// BG-16/BG-17: payment by SEPA credit transfer (BT-81 = 58) to this account (BT-84 IBAN,
    /// BT-85 account name, BT-86 BIC). Call again to add further accounts.
    pub fn credit_transfer(
        mut self,
        iban: impl Into<String>,
        account_name: Option<String>,
        bic: Option<String>,
    ) -> Self {
        let pi = self
            .invoice
            .payment_instructions
            .get_or_insert_with(|| PaymentInstructions {
                payment_means_type_code: PaymentMeansCode::from("58"),
                ..Default::default()
            });
        pi.credit_transfers.push(CreditTransfer {
            payment_account_identifier: iban.into(),
            payment_account_name: account_name,
            payment_service_provider_identifier: bic,
        });
        self
    }

    /// BG-25: adds a line.
    pub fn line(mut self, line: LineItem) -> Self {
        self.lines.push(line);
        self
    }

    /// BG-20: a document level allowance (BT-92 amount, BT-95/96 VAT category and rate, BT-97
    /// reason).
    pub fn allowance(
        mut self,
        amount: Decimal,
        category: &str,
        rate: Decimal,
        reason: impl Into<String>,
    ) -> Self {
        self.invoice
            .document_level_allowances
            .push(DocumentLevelAllowance {
                amount: Some(round_amount(amount)),
                vat_category_code: VatCategoryCode::from(category),
                vat_rate: Some(rate),
                reason: Some(reason.into()),
                ..Default::default()
            });
        self
    }

    /// BG-21: a document level charge (BT-99 amount, BT-102/103 VAT category and rate, BT-104
    /// reason).
    pub fn charge(
        mut self,
        amount: Decimal,
        category: &str,
        rate: Decimal,
        reason: impl Into<String>,
    ) -> Self {
        self.invoice
            .document_level_charges
            .push(DocumentLevelCharge {
                amount: Some(round_amount(amount)),
                vat_category_code: VatCategoryCode::from(category),
                vat_rate: Some(rate),
                reason: Some(reason.into()),
                ..Default::default()
            });
        self
    }

    /// BT-120/BT-121: the exemption reason for a VAT category that needs one (E, AE, K, G, O),
    /// as text and/or VATEX code.
    pub fn vat_exemption(
        mut self,
        category: &str,
        reason_text: Option<String>,
        reason_code: Option<String>,
    ) -> Self {
        self.exemptions
            .push((VatCategoryCode::from(category), reason_text, reason_code));
        self
    }

    /// BT-113: an amount already paid.
    pub fn paid_amount(mut self, amount: Decimal) -> Self {
        self.invoice.document_totals.paid_amount = Some(round_amount(amount));
        self
    }

    /// Any further content on the model directly (delivery, references, attachments …).
    pub fn with(mut self, f: impl FnOnce(&mut Invoice)) -> Self {
        f(&mut self.invoice);
        self
    }

    /// Computes BT-131 per line, BG-23 per category and rate, and BG-22, and returns the invoice.
    pub fn build(self) -> Invoice {
        let InvoiceBuilder {
            mut invoice,
            lines,
            exemptions,
        } = self;
        invoice.invoice_lines = lines.into_iter().map(LineItem::into_line).collect();
        invoice.vat_breakdowns = vat_breakdowns(&invoice, &exemptions);
        invoice.document_totals = totals(&invoice);
        invoice
    }
}

/// The (category, rate) groups of BG-23 in first-seen order: lines, then allowances, then charges.
fn vat_breakdowns(
    invoice: &Invoice,
    exemptions: &[(VatCategoryCode, Option<String>, Option<String>)],
) -> Vec<VatBreakdown> {
    let mut groups: Vec<(VatCategoryCode, Decimal, Decimal)> = Vec::new();
    let mut add = |cat: &VatCategoryCode, rate: Option<Decimal>, amount: Decimal| {
        let rate = rate.unwrap_or_default();
        match groups
            .iter_mut()
            .find(|(c, r, _)| c == cat && r.normalize() == rate.normalize())
        {
            Some(g) => g.2 += amount,
            None => groups.push((cat.clone(), rate, amount)),
        }
    };
    for l in &invoice.invoice_lines {
        let v = &l.vat_information;
        add(
            &v.invoiced_item_vat_category_code,
            v.invoiced_item_vat_rate,
            l.net_amount.unwrap_or_default(),
        );
    }
    for a in &invoice.document_level_allowances {
        add(
            &a.vat_category_code,
            a.vat_rate,
            -a.amount.unwrap_or_default(),
        );
    }
    for c in &invoice.document_level_charges {
        add(
            &c.vat_category_code,
            c.vat_rate,
            c.amount.unwrap_or_default(),
        );
    }
    groups
        .into_iter()
        .map(|(category, rate, taxable)| {
            let taxable = round_amount(taxable);
            let exemption = exemptions.iter().find(|(c, _, _)| *c == category);
            VatBreakdown {
                vat_category_taxable_amount: Some(taxable),
                // BR-CO-17: tax = round(taxable × rate ÷ 100).
                vat_category_tax_amount: Some(round_amount(taxable * rate / Decimal::ONE_HUNDRED)),
                vat_category_rate: Some(rate),
                vat_exemption_reason_text: exemption.and_then(|e| e.1.clone()),
                vat_exemption_reason_code: exemption.and_then(|e| e.2.as_deref().map(Into::into)),
                vat_category_code: category,
            }
        })
        .collect()
}

/// BG-22 after BR-CO-10 … BR-CO-16.
fn totals(invoice: &Invoice) -> DocumentTotals {
    let sum = |it: &mut dyn Iterator<Item = Option<Decimal>>| -> Decimal { it.flatten().sum() };
    let lines = round_amount(sum(&mut invoice.invoice_lines.iter().map(|l| l.net_amount)));
    let allowances = (!invoice.document_level_allowances.is_empty()).then(|| {
        round_amount(sum(&mut invoice
            .document_level_allowances
            .iter()
            .map(|a| a.amount)))
    });
    let charges = (!invoice.document_level_charges.is_empty()).then(|| {
        round_amount(sum(&mut invoice
            .document_level_charges
            .iter()
            .map(|c| c.amount)))
    });
    let without_vat =
        round_amount(lines - allowances.unwrap_or_default() + charges.unwrap_or_default());
    let vat = round_amount(sum(&mut invoice
        .vat_breakdowns
        .iter()
        .map(|v| v.vat_category_tax_amount)));
    let with_vat = round_amount(without_vat + vat);
    let paid = invoice.document_totals.paid_amount;
    DocumentTotals {
        sum_of_invoice_line_net_amount: Some(lines),
        sum_of_allowances_on_document_level: allowances,
        sum_of_charges_on_document_level: charges,
        invoice_total_amount_without_vat: Some(without_vat),
        invoice_total_vat_amount: Some(vat),
        invoice_total_vat_amount_in_accounting_currency: None,
        invoice_total_amount_with_vat: Some(with_vat),
        paid_amount: paid,
        rounding_amount: None,
        amount_due_for_payment: Some(round_amount(with_vat - paid.unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounding_is_half_towards_positive_infinity() {
        assert_eq!(round_amount(d("53.295")).to_string(), "53.30");
        assert_eq!(round_amount(d("-2.005")).to_string(), "-2.00");
        assert_eq!(round_amount(d("1")).to_string(), "1.00");
        assert_eq!(round_amount(d("0.004")).to_string(), "0.00");
    }

    #[test]
    fn totals_with_allowances_charges_and_two_rates() {
        let date = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let inv = InvoiceBuilder::new("1", date, "EUR")
            .line(LineItem::new("1", "A", d("3"), "C62", d("9.99")).allowance(d("1.00"), "Rabatt"))
            .line(
                LineItem::new("2", "B", d("250"), "C62", d("12.50")).price_base_quantity(d("100")),
            )
            .line(LineItem::new("3", "Buch", d("1"), "C62", d("20")).vat("S", d("7")))
            .allowance(d("5"), "S", d("19"), "Treue")
            .charge(d("4.90"), "S", d("19"), "Versand")
            .paid_amount(d("10"))
            .build();
        let nets: Vec<_> = inv
            .invoice_lines
            .iter()
            .map(|l| l.net_amount.unwrap().to_string())
            .collect();
        assert_eq!(nets, ["28.97", "31.25", "20.00"]);
        let t = &inv.document_totals;
        assert_eq!(t.sum_of_invoice_line_net_amount, Some(d("80.22")));
        assert_eq!(t.invoice_total_amount_without_vat, Some(d("80.12")));
        assert_eq!(inv.vat_breakdowns.len(), 2);
        let s19 = &inv.vat_breakdowns[0];
        assert_eq!(s19.vat_category_taxable_amount, Some(d("60.12")));
        assert_eq!(s19.vat_category_tax_amount, Some(d("11.42")));
        assert_eq!(
            inv.vat_breakdowns[1].vat_category_tax_amount,
            Some(d("1.40"))
        );
        assert_eq!(t.invoice_total_vat_amount, Some(d("12.82")));
        assert_eq!(t.invoice_total_amount_with_vat, Some(d("92.94")));
        assert_eq!(t.amount_due_for_payment, Some(d("82.94")));
    }
}
