//! A plain-text summary of an invoice for people: who bills whom, number and dates, lines, VAT
//! breakdown, totals and how to pay.

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::{Invoice, PostalAddress};

fn date(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "—".into(), |d| d.format("%d.%m.%Y").to_string())
}

fn amount(d: Option<Decimal>, currency: &str) -> String {
    d.map_or_else(|| "—".into(), |d| format!("{d} {currency}"))
}

fn address(a: &PostalAddress) -> String {
    let parts: Vec<&str> = [
        a.address_line_1.as_deref(),
        a.address_line_2.as_deref(),
        a.post_code.as_deref(),
        a.city.as_deref(),
        Some(a.country_code.as_str()),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect();
    parts.join(", ")
}

/// The summary as lines of text (German/English labels).
pub fn summary_text(inv: &Invoice) -> String {
    let cur = inv.invoice_currency_code.as_str();
    let mut s = String::new();
    let kind = if inv.is_credit_note() {
        "Gutschrift / credit note"
    } else {
        "Rechnung / invoice"
    };
    let _ = writeln!(
        s,
        "{kind} {} (BT-3 {})",
        inv.invoice_number,
        inv.invoice_type_code.as_str()
    );
    let _ = writeln!(
        s,
        "  Rechnungsdatum / issue date (BT-2): {}   fällig / due (BT-9): {}",
        date(inv.issue_date),
        date(inv.payment_due_date)
    );
    if let Some(r) = &inv.buyer_reference {
        let _ = writeln!(s, "  Leitweg-ID / buyer reference (BT-10): {r}");
    }
    let _ = writeln!(
        s,
        "  Verkäufer / seller (BG-4): {} — {}",
        inv.seller.name,
        address(&inv.seller.postal_address)
    );
    if let Some(vat) = &inv.seller.vat_identifier {
        let _ = writeln!(s, "    USt-IdNr. / VAT id (BT-31): {vat}");
    }
    let _ = writeln!(
        s,
        "  Käufer / buyer (BG-7): {} — {}",
        inv.buyer.name,
        address(&inv.buyer.postal_address)
    );
    let _ = writeln!(
        s,
        "  Positionen / lines (BG-25): {}",
        inv.invoice_lines.len()
    );
    for (depth, l) in inv.all_lines() {
        let qty = l
            .invoiced_quantity
            .map(|q| q.to_string())
            .unwrap_or_default();
        let unit = l
            .invoiced_quantity_unit_code
            .as_ref()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "    {:indent$}{:>4}  {:<40} {:>8} {:<4} {:>14}  {} {}%",
            "",
            l.identifier,
            l.item_information.name,
            qty,
            unit,
            amount(l.net_amount, cur),
            l.vat_information.invoiced_item_vat_category_code.as_str(),
            l.vat_information
                .invoiced_item_vat_rate
                .map(|r| r.to_string())
                .unwrap_or_default(),
            indent = depth * 2
        );
    }
    let _ = writeln!(s, "  Umsatzsteuer / VAT breakdown (BG-23):");
    for v in &inv.vat_breakdowns {
        let _ = writeln!(
            s,
            "    {} {:>6}%  Basis {:>14}  USt {:>14}",
            v.vat_category_code.as_str(),
            v.vat_category_rate
                .map(|r| r.to_string())
                .unwrap_or_default(),
            amount(v.vat_category_taxable_amount, cur),
            amount(v.vat_category_tax_amount, cur)
        );
    }
    let t = &inv.document_totals;
    let _ = writeln!(s, "  Summen / totals (BG-22):");
    for (label, value) in [
        (
            "Netto / without VAT (BT-109)",
            t.invoice_total_amount_without_vat,
        ),
        ("USt / VAT (BT-110)", t.invoice_total_vat_amount),
        (
            "Brutto / with VAT (BT-112)",
            t.invoice_total_amount_with_vat,
        ),
        ("Zahlbetrag / amount due (BT-115)", t.amount_due_for_payment),
    ] {
        let _ = writeln!(s, "    {label:<34} {:>16}", amount(value, cur));
    }
    if let Some(p) = &inv.payment_instructions {
        let _ = writeln!(
            s,
            "  Zahlung / payment (BG-16): means {}",
            p.payment_means_type_code.as_str()
        );
        for ct in &p.credit_transfers {
            let _ = writeln!(s, "    IBAN (BT-84): {}", ct.payment_account_identifier);
        }
    }
    s
}
