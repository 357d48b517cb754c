//! Small helpers shared by the syntax writers.

use chrono::NaiveDate;
use egov_core::xml::XmlWriter;
use rust_decimal::Decimal;

use crate::codes::VatCategoryCode;
use crate::model::{
    DocumentLevelAllowance, DocumentLevelCharge, InvoiceLineAllowance, InvoiceLineCharge,
};

/// Writes `<name>text</name>` when the value is present and not empty.
pub fn opt(w: &mut XmlWriter, name: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        w.leaf(name, v);
    }
}

/// Writes `<name>text</name>` when the text is not empty.
pub fn nonempty(w: &mut XmlWriter, name: &str, value: &str) {
    if !value.is_empty() {
        w.leaf(name, value);
    }
}

/// Writes `<name attr="…">text</name>` with the attribute only when it is present.
pub fn with_attr(w: &mut XmlWriter, name: &str, attr: &str, attr_value: Option<&str>, text: &str) {
    w.start(name);
    if let Some(a) = attr_value {
        w.attribute(attr, a);
    }
    w.text(text).end();
}

/// The lexical form of a decimal, keeping its scale (`100.00` stays `100.00`).
pub fn decimal(d: &Decimal) -> String {
    d.to_string()
}

/// xs:date (`2026-11-02`).
pub fn iso_date(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// CII date format 102 (`20261102`).
pub fn date_102(d: &NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// The terms an allowance and a charge share, as both writers need them: one view over BG-20,
/// BG-21 (with their VAT category) and BG-27, BG-28.
pub struct AllowanceCharge<'a> {
    /// Charge (`true`) or allowance (`false`).
    pub charge: bool,
    /// BT-92 / BT-99 / BT-136 / BT-141.
    pub amount: Option<&'a Decimal>,
    /// BT-93 / BT-100 / BT-137 / BT-142.
    pub base_amount: Option<&'a Decimal>,
    /// BT-94 / BT-101 / BT-138 / BT-143.
    pub percentage: Option<&'a Decimal>,
    /// BT-97 / BT-104 / BT-139 / BT-144.
    pub reason: Option<&'a str>,
    /// BT-98 / BT-105 / BT-140 / BT-145.
    pub reason_code: Option<&'a str>,
    /// BT-95/96 or BT-102/103 (document level only).
    pub vat: Option<(&'a VatCategoryCode, Option<&'a Decimal>)>,
}

/// Implements `From<&T>` for [`AllowanceCharge`] for one model type.
macro_rules! allowance_charge_view {
    ($ty:ty, $charge:expr, $vat:expr) => {
        impl<'a> From<&'a $ty> for AllowanceCharge<'a> {
            fn from(v: &'a $ty) -> Self {
                let vat: fn(&'a $ty) -> Option<(&'a VatCategoryCode, Option<&'a Decimal>)> = $vat;
                AllowanceCharge {
                    charge: $charge,
                    amount: v.amount.as_ref(),
                    base_amount: v.base_amount.as_ref(),
                    percentage: v.percentage.as_ref(),
                    reason: v.reason.as_deref(),
                    reason_code: v.reason_code.as_ref().map(|c| c.as_str()),
                    vat: vat(v),
                }
            }
        }
    };
}

allowance_charge_view!(DocumentLevelAllowance, false, |v| Some((
    &v.vat_category_code,
    v.vat_rate.as_ref()
)));
allowance_charge_view!(DocumentLevelCharge, true, |v| Some((
    &v.vat_category_code,
    v.vat_rate.as_ref()
)));
allowance_charge_view!(InvoiceLineAllowance, false, |_| None);
allowance_charge_view!(InvoiceLineCharge, true, |_| None);
