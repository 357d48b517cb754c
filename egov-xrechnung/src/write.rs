//! Small helpers shared by the syntax writers.

use chrono::NaiveDate;
use egov_core::xml::XmlWriter;
use rust_decimal::Decimal;

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
