//! Schema-level variables (`<let>` of the schema and its patterns), XSLT globals in the compiled
//! schematron.
//!
//! Saxon evaluates globals lazily, and so do we: a global is evaluated the first time a fired
//! rule (or a rule context) reads it, with the document node as context; a dynamic error is
//! raised only where it is read. Globals that depend on nothing but literals and other constant
//! globals (code lists such as `$ISO-6523-ICD-CODES`, version strings, regular expressions) are
//! evaluated once when the rules are loaded and shared by every run.

use std::borrow::Cow;

use egov_core::xpath::{DynamicContext, Item, Str, XDate, XPath, XPathError};
use rust_decimal::Decimal;

/// A schema variable.
pub(super) struct Global {
    pub name: Cow<'static, str>,
    /// The expression as in the data.
    pub source: Cow<'static, str>,
    pub xpath: Result<XPath, String>,
    /// The globals its expression reads.
    pub deps: Vec<usize>,
    /// Its value, when it is the same for every document.
    pub constant: Option<Vec<ConstItem>>,
}

/// An atomic value owned by the rule set (`Send + Sync`, unlike [`Item`]).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ConstItem {
    String(Box<str>),
    Untyped(Box<str>),
    Boolean(bool),
    Integer(i64),
    Decimal(Decimal),
    Double(f64),
    Date(XDate),
}

impl ConstItem {
    /// The owned form of an item, if it is an atomic value that has one.
    fn of(item: &Item<'_>) -> Option<ConstItem> {
        Some(match item {
            Item::String(s) => ConstItem::String((**s).into()),
            Item::Untyped(s) => ConstItem::Untyped((**s).into()),
            Item::Boolean(b) => ConstItem::Boolean(*b),
            Item::Integer(i) => ConstItem::Integer(*i),
            Item::Decimal(d) => ConstItem::Decimal(*d),
            Item::Double(d) => ConstItem::Double(*d),
            Item::Date(d) => ConstItem::Date(*d),
            _ => return None,
        })
    }

    /// The item, borrowing the strings.
    pub fn item(&self) -> Item<'_> {
        match self {
            ConstItem::String(s) => Item::String(Str::Borrowed(s)),
            ConstItem::Untyped(s) => Item::Untyped(Str::Borrowed(s)),
            ConstItem::Boolean(b) => Item::Boolean(*b),
            ConstItem::Integer(i) => Item::Integer(*i),
            ConstItem::Decimal(d) => Item::Decimal(*d),
            ConstItem::Double(d) => Item::Double(*d),
            ConstItem::Date(d) => Item::Date(*d),
        }
    }
}

impl Global {
    /// A global compiled after `earlier` (the globals it can see).
    pub fn new(
        name: Cow<'static, str>,
        source: Cow<'static, str>,
        xpath: Result<XPath, String>,
        earlier: &[Global],
    ) -> Self {
        let deps: Vec<usize> = match &xpath {
            Ok(x) => x
                .referenced_variables()
                .into_iter()
                .filter(|v| *v < earlier.len())
                .collect(),
            Err(_) => Vec::new(),
        };
        let constant = match &xpath {
            Ok(x) if x.is_context_free() => constant_value(x, &deps, earlier),
            _ => None,
        };
        Global {
            name,
            source,
            xpath,
            deps,
            constant,
        }
    }
}

/// Evaluates a context-free expression whose variables are all constant; None when one is not
/// or the value is not atomic or the evaluation fails (then it is left to the run, where the
/// error belongs).
fn constant_value(x: &XPath, deps: &[usize], earlier: &[Global]) -> Option<Vec<ConstItem>> {
    let mut ctx = DynamicContext::new();
    for &d in deps {
        let values = earlier.get(d)?.constant.as_ref()?;
        ctx.set_variable(d, values.iter().map(ConstItem::item).collect());
    }
    let value = x.evaluate(&mut ctx).ok()?;
    value.iter().map(ConstItem::of).collect()
}

/// The value of a context-free expression that reads no variables (a rule variable such as
/// `('S', 'Z', 'E')`), when it is atomic and computes without an error.
pub(super) fn constant_of(x: &XPath) -> Option<Vec<ConstItem>> {
    if !x.is_context_free() || !x.referenced_variables().is_empty() {
        return None;
    }
    constant_value(x, &[], &[])
}

/// Where a global stands in one run.
#[derive(Debug, Clone)]
pub(super) enum State {
    Pending,
    Ready,
    Failed(XPathError),
}
