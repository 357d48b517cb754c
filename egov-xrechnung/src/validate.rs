//! The validator: the official KoSIT XRechnung pipeline, in-process and natively —
//! well-formedness → scenario selection → XML Schema of the scenario → CEN EN 16931 rules →
//! XRechnung rules (incl. Peppol), with the scenario's severity overrides; accept exactly when a
//! scenario matched and no finding is fatal.
//!
//! ```
//! let validator = egov_xrechnung::Validator::xrechnung();
//! let report = validator.validate(include_bytes!("../tests/fixtures/minimal-ubl.xml"));
//! assert!(report.valid, "{:?}", report.fatal);
//! assert_eq!(report.scenario.as_deref(), Some("EN16931 XRechnung (UBL Invoice)"));
//!
//! let broken = validator.validate(b"<Invoice>");
//! assert_eq!(broken.fatal, ["XML-WELLFORMED"]);
//! ```

use egov_core::xml::Document;
use egov_core::xpath::DynamicContext;

use crate::report::{business_terms_in, Finding, Flag, Location, Report};
use crate::rules::{self, Scenario, ScenarioSelection, Scenarios};
use crate::{invoice_limits, schema, Syntax};

/// Versions of the rules applied, for reports.
pub const RULES_VERSION: &str =
    "XRechnung 3.0.2 (KoSIT validator configuration v2026-01-31): CEN EN 16931 1.3.15, XRechnung schematron 2.5.0";

/// A validator for XRechnung 3.0.2 as KoSIT's configuration defines it. Rules, schemas and
/// scenarios are compiled once per process on first use and shared; the validator is
/// `Send + Sync`: build once, use from any number of threads.
#[derive(Debug, Default, Clone, Copy)]
pub struct Validator {
    _private: (),
}

/// A pseudo-id finding (no node, no business term).
fn pseudo(id: &str, message: String, location: Option<Location>) -> Finding {
    Finding {
        id: id.into(),
        flag: Flag::Fatal,
        message,
        location,
        bt: Vec::new(),
    }
}

impl Validator {
    /// The validator for XRechnung 3.0.2.
    pub fn xrechnung() -> Self {
        Validator { _private: () }
    }

    /// Compiles everything now (scenarios, schemas, rules of both syntaxes) instead of on first
    /// use, e.g. at service start.
    pub fn warm_up(&self) -> crate::Result<()> {
        Scenarios::kosit()?;
        schema::ubl_invoice()?;
        schema::ubl_credit_note()?;
        schema::cii()?;
        for syntax in [Syntax::Ubl, Syntax::Cii] {
            rules::RuleSet::for_syntax(syntax)?.compile_all()?;
        }
        Ok(())
    }

    /// Validates one document. Never fails: every problem is a finding in the report.
    pub fn validate(&self, bytes: &[u8]) -> Report {
        if let Some(syntax) = syntax_hint(bytes) {
            // first use in this process: the rules start loading while the document is parsed
            rules::RuleSet::prepare(syntax);
        }
        match Document::parse(bytes, &invoice_limits()) {
            Ok(doc) => self.validate_document(&doc),
            Err(e) => {
                let at = Location {
                    path: String::new(),
                    line: e.line(),
                    column: e.column(),
                };
                let finding = pseudo("XML-WELLFORMED", e.to_string(), Some(at));
                Report::new(None, None, vec![finding], RULES_VERSION)
            }
        }
    }

    /// Validates an already parsed document.
    pub fn validate_document(&self, doc: &Document) -> Report {
        let syntax = Syntax::detect(doc.root_element());
        if let Some(s) = syntax {
            // first use in this process: load the rules while scenarios and schema are checked
            rules::RuleSet::prepare(s);
        }
        let scenarios = match Scenarios::kosit() {
            Ok(s) => s,
            Err(e) => return internal_error(syntax, &e),
        };
        // one indexed evaluation context for the scenario's match and its rules
        let mut ctx = DynamicContext::for_document(doc);
        ctx.index_document(doc);
        let scenario = match scenarios.select_in(&mut ctx) {
            ScenarioSelection::Matched(s) => s,
            ScenarioSelection::NoMatch => {
                let message = "no validation scenario matches the document (XRechnung 3.0 or EN 16931 in UBL 2.1 or CII D16B, identified by its specification identifier BT-24)".to_owned();
                return no_scenario(syntax, message);
            }
            ScenarioSelection::Ambiguous(a, b) => {
                let message = format!(
                    "more than one validation scenario matches: {:?} and {:?}",
                    a.name(),
                    b.name()
                );
                return no_scenario(syntax, message);
            }
        };
        let name = Some(scenario.name().to_owned());
        let findings = match schema_findings(scenario, doc) {
            Ok(f) if !f.is_empty() => f,
            Ok(_) => schematron_findings(scenario, doc, &mut ctx),
            Err(e) => vec![pseudo(
                "XSD",
                format!("the XML Schema could not be loaded: {e}"),
                None,
            )],
        };
        Report::new(name, syntax, findings, RULES_VERSION)
    }
}

/// The syntax the root element's local name suggests (`Invoice`/`CreditNote`: UBL,
/// `CrossIndustryInvoice`: CII), read from the first 4 KB of the raw bytes: only a hint, for
/// loading rules early — the parsed document decides.
fn syntax_hint(bytes: &[u8]) -> Option<Syntax> {
    let mut rest = bytes.get(..bytes.len().min(4096))?;
    loop {
        let at = rest.iter().position(|b| *b == b'<')?;
        rest = rest.get(at + 1..)?;
        let skip_to = match rest.first()? {
            b'?' => b"?>".as_slice(),
            b'!' if rest.starts_with(b"!--") => b"-->".as_slice(),
            b'!' => b">".as_slice(),
            _ => break,
        };
        let end = rest.windows(skip_to.len()).position(|w| w == skip_to)?;
        rest = rest.get(end + skip_to.len()..)?;
    }
    let name_len = rest
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))?;
    let name = rest.get(..name_len)?;
    let local = name.rsplit(|b| *b == b':').next()?;
    match local {
        b"Invoice" | b"CreditNote" => Some(Syntax::Ubl),
        b"CrossIndustryInvoice" => Some(Syntax::Cii),
        _ => None,
    }
}

fn no_scenario(syntax: Option<Syntax>, message: String) -> Report {
    Report::new(
        None,
        syntax,
        vec![pseudo("NO-SCENARIO", message, None)],
        RULES_VERSION,
    )
}

fn internal_error(syntax: Option<Syntax>, e: &crate::Error) -> Report {
    let finding = pseudo(
        "SCHEMATRON-PROCESSING-ERROR",
        format!("the validation configuration could not be loaded: {e}"),
        None,
    );
    Report::new(None, syntax, vec![finding], RULES_VERSION)
}

/// The XML Schema step of the scenario: every violation is an `XSD` finding.
fn schema_findings(scenario: &Scenario, doc: &Document) -> crate::Result<Vec<Finding>> {
    let mut out = Vec::new();
    for location in scenario.xml_schemas() {
        let Some(set) = schema::by_location(location) else {
            out.push(pseudo(
                "XSD",
                format!("the scenario names an unknown XML Schema {location:?}"),
                None,
            ));
            continue;
        };
        for v in set?.validate(doc) {
            let at = Location {
                path: v.path,
                line: v.line,
                column: v.column,
            };
            out.push(pseudo("XSD", v.message, Some(at)));
        }
    }
    Ok(out)
}

/// The schematron steps of the scenario (CEN, then XRechnung), with its severity overrides; a
/// dynamic error fails the step as KoSIT's XSLT does (`SCHEMATRON-PROCESSING-ERROR`).
fn schematron_findings<'a>(
    scenario: &'a Scenario,
    doc: &'a Document,
    ctx: &mut DynamicContext<'a>,
) -> Vec<Finding> {
    let (found, failure) = match scenario.run_schematron_in(doc, ctx) {
        Ok(f) => (f, None),
        Err(e) => {
            let message = e.to_string();
            let at = Location {
                path: e.path.clone(),
                line: 0,
                column: 0,
            };
            (
                e.findings,
                Some(pseudo("SCHEMATRON-PROCESSING-ERROR", message, Some(at))),
            )
        }
    };
    let mut out: Vec<Finding> = found
        .into_iter()
        .map(|f| Finding {
            bt: business_terms_in(&f.message),
            id: f.id,
            flag: f.flag,
            message: f.message,
            location: Some(f.location),
        })
        .collect();
    out.extend(failure);
    out
}

#[cfg(test)]
mod tests {
    use super::syntax_hint;
    use crate::Syntax;

    #[test]
    fn syntax_hint_reads_the_root_name() {
        let ubl =
            b"\xEF\xBB\xBF<?xml version='1.0'?>\n<!-- c --><!DOCTYPE x><ubl:Invoice xmlns:ubl='u'>";
        assert_eq!(syntax_hint(ubl), Some(Syntax::Ubl));
        assert_eq!(syntax_hint(b"<CreditNote/>"), Some(Syntax::Ubl));
        assert_eq!(
            syntax_hint(b"<rsm:CrossIndustryInvoice\n xmlns:rsm='r'>"),
            Some(Syntax::Cii)
        );
        assert_eq!(syntax_hint(b"<Order>"), None);
        assert_eq!(syntax_hint(b"<!-- unterminated"), None);
        assert_eq!(syntax_hint(b""), None);
    }
}
