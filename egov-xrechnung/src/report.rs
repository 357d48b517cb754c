//! The validation report: verdict, scenario, syntax and findings — a value, never an error — with
//! its versioned JSON form (`"schema": "egov.xrechnung.report/1"`) and a self-contained HTML page.

use serde::{Deserialize, Serialize};

use crate::Syntax;

/// The JSON schema identifier of [`Report`]. Bumped on incompatible changes.
pub const REPORT_SCHEMA: &str = "egov.xrechnung.report/1";

/// Severity of a finding as applied after the scenario's overrides (KoSIT `customLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flag {
    /// An error: the invoice is rejected.
    Fatal,
    /// A warning: accepted, but should be fixed.
    Warning,
    /// Information only.
    Information,
}

impl Flag {
    /// `fatal`, `warning` or `information`.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Fatal => "fatal",
            Flag::Warning => "warning",
            Flag::Information => "information",
        }
    }
}

/// Where a finding is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Path of the node, e.g. `/ubl:Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount[1]`.
    pub path: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
}

/// One finding of the validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule id (e.g. `BR-CO-10`, `BR-DE-15`, `PEPPOL-EN16931-R120`) or a pseudo id: `XSD`
    /// (schema violation), `XML-WELLFORMED`, `NO-SCENARIO`, `SCHEMATRON-PROCESSING-ERROR`.
    pub id: String,
    /// The severity after the scenario's overrides.
    pub flag: Flag,
    /// The official message text (dynamic parts filled in).
    pub message: String,
    /// Where, when the finding concerns a node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The EN 16931 business terms and groups the rule concerns (`BT-…`, `BG-…`, from its
    /// message).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bt: Vec<String>,
}

/// Accept or reject, as KoSIT decides it: accept exactly when a scenario matched and no finding
/// is fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A valid XRechnung (or EN 16931 invoice) under its scenario.
    Accept,
    /// Not acceptable.
    Reject,
}

/// The result of validating one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: String,
    /// Accept or reject.
    pub verdict: Verdict,
    /// `verdict == Accept`.
    pub valid: bool,
    /// The KoSIT scenario that matched (e.g. `EN16931 XRechnung (UBL Invoice)`).
    pub scenario: Option<String>,
    /// The syntax, when the root element is one of UBL Invoice/CreditNote or CII.
    pub syntax: Option<Syntax>,
    /// Sorted, de-duplicated ids of fatal findings.
    pub fatal: Vec<String>,
    /// Sorted, de-duplicated ids of warnings.
    pub warning: Vec<String>,
    /// Sorted, de-duplicated ids of information findings.
    pub information: Vec<String>,
    /// Every finding in pipeline order (schema, then CEN, then XRechnung rules).
    pub findings: Vec<Finding>,
    /// The versions of the rules applied.
    pub rules_version: String,
}

impl Report {
    /// Builds the report from the findings: ids per severity, verdict.
    pub fn new(
        scenario: Option<String>,
        syntax: Option<Syntax>,
        findings: Vec<Finding>,
        rules_version: &str,
    ) -> Self {
        let ids = |flag: Flag| {
            let mut v: Vec<String> = findings
                .iter()
                .filter(|f| f.flag == flag)
                .map(|f| f.id.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let fatal = ids(Flag::Fatal);
        let valid = scenario.is_some() && fatal.is_empty();
        Report {
            schema: REPORT_SCHEMA.into(),
            verdict: if valid {
                Verdict::Accept
            } else {
                Verdict::Reject
            },
            valid,
            warning: ids(Flag::Warning),
            information: ids(Flag::Information),
            fatal,
            scenario,
            syntax,
            findings,
            rules_version: rules_version.into(),
        }
    }

    /// The report as JSON (one line).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The report as indented JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The business term and group ids (`BT-…`, `BG-…`, incl. `BT-DEX-…`) named in a text, in order,
/// without repetitions.
pub fn business_terms_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text.get(i..).and_then(|t| t.find("B")) {
        let start = i + pos;
        i = start + 1;
        let rest = text.get(start..).unwrap_or_default();
        let Some(after) = rest
            .strip_prefix("BT-")
            .or_else(|| rest.strip_prefix("BG-"))
        else {
            continue;
        };
        let preceded_by_word = start > 0
            && bytes
                .get(start - 1)
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if preceded_by_word {
            continue;
        }
        let prefix = rest.get(..3).unwrap_or_default();
        let (dex, body) = match after.strip_prefix("DEX-") {
            Some(b) => ("DEX-", b),
            None => ("", after),
        };
        let digits: String = body.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            continue;
        }
        let mut id = format!("{prefix}{dex}{digits}");
        // Sub-terms such as BT-29-1.
        let tail = body.get(digits.len()..).unwrap_or_default();
        if let Some(sub) = tail.strip_prefix('-') {
            let d: String = sub.chars().take_while(char::is_ascii_digit).collect();
            if !d.is_empty() && d.len() <= 2 {
                id.push('-');
                id.push_str(&d);
            }
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn terms_are_found_in_messages() {
        assert_eq!(
            business_terms_in("[BR-CO-10]-Sum of Invoice line net amount (BT-106) = Σ Invoice line net amount (BT-131)."),
            ["BT-106", "BT-131"]
        );
        assert_eq!(
            business_terms_in("[BR-DEX-09] (BT-DEX-002) in BG-DEX-09 and BT-29-1, BT-29-1; xBT-5"),
            ["BT-DEX-002", "BG-DEX-09", "BT-29-1"]
        );
    }

    #[test]
    fn verdict_follows_fatal_findings_and_scenario() {
        let f = |id: &str, flag| Finding {
            id: id.into(),
            flag,
            message: String::new(),
            location: None,
            bt: vec![],
        };
        let r = Report::new(
            Some("s".into()),
            Some(Syntax::Ubl),
            vec![
                f("B", Flag::Warning),
                f("A", Flag::Warning),
                f("A", Flag::Warning),
            ],
            "v",
        );
        assert!(r.valid);
        assert_eq!(r.warning, ["A", "B"]);
        let r = Report::new(Some("s".into()), None, vec![f("X", Flag::Fatal)], "v");
        assert_eq!(r.verdict, Verdict::Reject);
        let r = Report::new(None, None, vec![], "v");
        assert!(!r.valid);
    }
}
