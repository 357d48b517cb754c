//! Shared reading machinery for the syntax readers: navigation that remembers which elements were
//! consumed, typed value parsing, and the report of everything left unmapped.

use chrono::NaiveDate;
use egov_core::xml::{Document, Node};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::codes::VatCategoryCode;
use crate::model::{
    parse_xs_decimal, DocumentLevelAllowance, DocumentLevelCharge, Invoice, InvoiceLine,
    InvoiceLineAllowance, InvoiceLineCharge,
};

/// The readers' normal form: an optional group, identifier or value that carries nothing is
/// absent (`None`), never an empty value — so both syntaxes read the same content into the same
/// model.
pub fn nonempty<T: Default + PartialEq>(value: T) -> Option<T> {
    (value != T::default()).then_some(value)
}

/// The text of an element (all text pieces), `None` when empty.
pub fn nonempty_text(node: Node<'_>) -> Option<String> {
    let text = node.text();
    (!text.is_empty()).then(|| text.into_owned())
}

/// The terms an allowance and a charge share, as both syntaxes carry them (UBL
/// `cac:AllowanceCharge`, CII `ram:SpecifiedTradeAllowanceCharge`); the readers fill it and file
/// it into the model as BG-20/BG-21 (document) or BG-27/BG-28 (line).
#[derive(Debug, Default)]
pub struct AllowanceCharge {
    /// BT-92 / BT-99 / BT-136 / BT-141.
    pub amount: Option<Decimal>,
    /// BT-93 / BT-100 / BT-137 / BT-142.
    pub base_amount: Option<Decimal>,
    /// BT-94 / BT-101 / BT-138 / BT-143.
    pub percentage: Option<Decimal>,
    /// BT-97 / BT-104 / BT-139 / BT-144.
    pub reason: Option<String>,
    /// BT-98 / BT-105 / BT-140 / BT-145.
    pub reason_code: Option<String>,
}

impl AllowanceCharge {
    /// Files it as BG-21 (charge) or BG-20 (allowance) with its VAT category and rate.
    pub fn add_to_document(
        self,
        inv: &mut Invoice,
        charge: bool,
        vat_category_code: VatCategoryCode,
        vat_rate: Option<Decimal>,
    ) {
        let reason_code = self.reason_code;
        if charge {
            inv.document_level_charges.push(DocumentLevelCharge {
                amount: self.amount,
                base_amount: self.base_amount,
                percentage: self.percentage,
                vat_category_code,
                vat_rate,
                reason: self.reason,
                reason_code: reason_code.map(Into::into),
            });
        } else {
            inv.document_level_allowances.push(DocumentLevelAllowance {
                amount: self.amount,
                base_amount: self.base_amount,
                percentage: self.percentage,
                vat_category_code,
                vat_rate,
                reason: self.reason,
                reason_code: reason_code.map(Into::into),
            });
        }
    }

    /// Files it as BG-28 (charge) or BG-27 (allowance) of a line.
    pub fn add_to_line(self, line: &mut InvoiceLine, charge: bool) {
        if charge {
            line.charges.push(InvoiceLineCharge {
                amount: self.amount,
                base_amount: self.base_amount,
                percentage: self.percentage,
                reason: self.reason,
                reason_code: self.reason_code.map(Into::into),
            });
        } else {
            line.allowances.push(InvoiceLineAllowance {
                amount: self.amount,
                base_amount: self.base_amount,
                percentage: self.percentage,
                reason: self.reason,
                reason_code: self.reason_code.map(Into::into),
            });
        }
    }
}

/// A piece of the input the reader did not carry into the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmapped {
    /// Path of the element, e.g. `/ubl:Invoice/cac:Signature[1]`.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Why it was not mapped.
    pub reason: String,
}

/// Navigation over one document for a reader. Every element handed out is marked as consumed;
/// [`Reader::finish`] lists the elements nobody consumed (outermost only) plus the problems noted
/// on the way.
pub struct Reader<'d> {
    doc: &'d Document,
    used: Vec<bool>,
    notes: Vec<Unmapped>,
}

impl<'d> Reader<'d> {
    /// A reader over `doc`; the root element counts as consumed.
    pub fn new(doc: &'d Document) -> Self {
        let mut r = Reader {
            doc,
            used: vec![false; doc.node_count()],
            notes: Vec::new(),
        };
        r.mark(doc.root_element());
        r
    }

    /// The root element.
    pub fn root(&self) -> Node<'d> {
        self.doc.root_element()
    }

    /// Marks an element as consumed.
    pub fn mark(&mut self, node: Node<'d>) {
        if let Some(u) = self.used.get_mut(node.id().index()) {
            *u = true;
        }
    }

    /// Marks an element and its whole subtree as consumed (content carried verbatim).
    pub fn mark_subtree(&mut self, node: Node<'d>) {
        self.mark(node);
        for d in node.descendants() {
            self.mark(d);
        }
    }

    /// The first child element `{ns}local`, consumed. Further children of the same name are left
    /// unconsumed (and so reported) — use [`Reader::children`] where the model repeats.
    pub fn child(&mut self, parent: Node<'d>, ns: &str, local: &str) -> Option<Node<'d>> {
        let c = parent.child(ns, local)?;
        self.mark(c);
        Some(c)
    }

    /// All child elements `{ns}local`, consumed.
    pub fn children(&mut self, parent: Node<'d>, ns: &str, local: &str) -> Vec<Node<'d>> {
        let v: Vec<Node<'d>> = parent.children_named(ns, local).collect();
        for c in &v {
            self.mark(*c);
        }
        v
    }

    /// Follows a path of child elements (`[(ns, local), …]`), consuming each step.
    pub fn path(&mut self, from: Node<'d>, steps: &[(&str, &str)]) -> Option<Node<'d>> {
        let mut cur = from;
        for (ns, local) in steps {
            cur = self.child(cur, ns, local)?;
        }
        Some(cur)
    }

    /// The text of the first child `{ns}local` (all text pieces, as written), consumed.
    pub fn text(&mut self, parent: Node<'d>, ns: &str, local: &str) -> Option<String> {
        self.child(parent, ns, local).map(|c| c.text().into_owned())
    }

    /// An `xs:decimal` value of a node; an unreadable value is noted and gives `None`.
    pub fn decimal_of(&mut self, node: Node<'d>) -> Option<Decimal> {
        let text = node.text();
        let v = parse_xs_decimal(&text);
        if v.is_none() {
            self.note(node, format!("not a decimal number: {:?}", text.as_ref()));
        }
        v
    }

    /// The `xs:decimal` value of the first child `{ns}local`.
    pub fn decimal(&mut self, parent: Node<'d>, ns: &str, local: &str) -> Option<Decimal> {
        let c = self.child(parent, ns, local)?;
        self.decimal_of(c)
    }

    /// A date in `format`: `"%Y-%m-%d"` (xs:date, UBL) or `"%Y%m%d"` (CII format 102); an
    /// unreadable value is noted and gives `None`.
    pub fn date_of(&mut self, node: Node<'d>, format: &str) -> Option<NaiveDate> {
        let text = node.text();
        let trimmed = text.trim();
        let strict_len = if format == "%Y%m%d" { 8 } else { 10 };
        let v = (trimmed.len() == strict_len)
            .then(|| NaiveDate::parse_from_str(trimmed, format).ok())
            .flatten();
        if v.is_none() {
            self.note(node, format!("not a date ({format}): {:?}", text.as_ref()));
        }
        v
    }

    /// Notes a problem with an element that was consumed but could not be fully mapped.
    pub fn note(&mut self, node: Node<'d>, reason: impl Into<String>) {
        let pos = node.position();
        self.notes.push(Unmapped {
            path: node.path(),
            line: pos.line,
            column: pos.column,
            reason: reason.into(),
        });
    }

    /// Everything not mapped: the notes, then each unconsumed element whose parent was consumed,
    /// in document order.
    pub fn finish(mut self) -> Vec<Unmapped> {
        let doc = self.doc;
        for n in doc.root_element().descendants().filter(|n| n.is_element()) {
            let used = self.used.get(n.id().index()).copied().unwrap_or(true);
            let parent_used = n
                .parent()
                .and_then(|p| self.used.get(p.id().index()).copied())
                .unwrap_or(true);
            if !used && parent_used {
                let pos = n.position();
                self.notes.push(Unmapped {
                    path: n.path(),
                    line: pos.line,
                    column: pos.column,
                    reason: "no EN 16931 business term for this element".into(),
                });
            }
        }
        self.notes
    }
}
