//! A validation [`Report`] as one self-contained HTML5 page (`lang="de"`, German with English in
//! parallel): inline CSS, no scripts, no external resources, printable.
//!
//! The page is written for a clerk in an invoice office: first the verdict, big and coloured
//! (*Gültig / Valid* or *Ungültig / Invalid*) with the file, scenario and syntax; then the number
//! of findings per severity; then the findings grouped into errors, warnings and information, each
//! with its rule id, the official message, the business terms it concerns by their German and
//! English names ([`crate::terms`]) and where in the file it is.
//!
//! ```
//! use egov_xrechnung::report::Report;
//! let report = Report::new(None, None, vec![], "XRechnung 3.0.2");
//! let page = egov_xrechnung::html::render(&report, "rechnung.xml");
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! assert!(page.contains("Ungültig"));
//! ```

use egov_core::xml::escape_into;

use crate::report::{Finding, Flag, Location, Report, Verdict, REPORT_SCHEMA};
use crate::terms;
use crate::Syntax;

/// The style sheet, inlined into every page.
const CSS: &str = r#":root {
  --ok: #1a7f37; --bad: #b42318; --warn: #8a5a00; --info: #0b5cad;
  --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --paper: #fff; --bg: #f6f8fa;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1, h2, h3 { line-height: 1.2; }
.en { color: var(--muted); font-weight: normal; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
.verdict { --c: var(--bad); background: var(--c); color: #fff; border: 3px solid var(--c);
  border-radius: 10px; padding: 1.25rem 1.5rem; }
.verdict.accept { --c: var(--ok); }
.verdict .en { color: inherit; opacity: .85; }
.verdict .kicker { margin: 0; font-size: .9rem; letter-spacing: .04em; text-transform: uppercase; }
.verdict h1 { font-size: 2.75rem; margin: .25rem 0 .5rem; }
.verdict .recommendation { font-size: 1.15rem; font-weight: 600; margin: 0 0 1rem; }
.verdict dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
.verdict dt { font-weight: 600; }
.verdict dd { margin: 0; overflow-wrap: anywhere; }
.counts ul { list-style: none; display: flex; flex-wrap: wrap; gap: .75rem; padding: 0; margin: 0; }
.counts li { flex: 1 1 10rem; background: var(--paper); border: 1px solid var(--line);
  border-top: 5px solid var(--c); border-radius: 8px; padding: .5rem .9rem; }
.counts .n { display: block; font-size: 2rem; font-weight: 700; color: var(--c); }
.fatal { --c: var(--bad); } .warning { --c: var(--warn); } .information { --c: var(--info); }
.counts li.zero { --c: var(--line); }
.group h2 { color: var(--c); border-bottom: 2px solid var(--c); padding-bottom: .25rem; margin-top: 2rem; }
.group .hint { color: var(--muted); margin-top: 0; }
ol.findings { list-style: none; padding: 0; margin: 0; }
.finding { background: var(--paper); border: 1px solid var(--line); border-left: 6px solid var(--c);
  border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }
.finding h3 { margin: 0 0 .35rem; font-size: 1rem; }
.finding .rule { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
.finding .badge { display: inline-block; margin-left: .5rem; padding: 0 .45rem; border-radius: 999px;
  font-size: .75rem; font-weight: 600; color: #fff; background: var(--c); vertical-align: middle; }
.finding .message { margin: 0 0 .5rem; overflow-wrap: anywhere; }
.terms { margin: 0 0 .5rem; padding: 0; list-style: none; }
.terms li { display: grid; grid-template-columns: 7rem 1fr; gap: .5rem; margin: .15rem 0; }
.terms .id { font-size: .85rem; font-weight: 600; padding-top: .1rem; }
.where { margin: 0; font-size: .8rem; color: var(--muted); }
.where code { font-size: .78rem; overflow-wrap: anywhere; }
.none { background: var(--paper); border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
footer { margin-top: 2.5rem; border-top: 1px solid var(--line); padding-top: .5rem; font-size: .8rem; color: var(--muted); }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .verdict { background: #fff; color: var(--c); }
  .counts li, .finding, .none { border-color: #999; }
  .counts li { border-top-color: var(--c); }
  .finding { border-left-color: var(--c); }
  .finding, .counts li { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"#;

/// A severity with its section heading and hint, in the order of the page.
struct Severity {
    flag: Flag,
    de: &'static str,
    en: &'static str,
    /// The German badge of one finding.
    one: &'static str,
    hint_de: &'static str,
    hint_en: &'static str,
}

const SEVERITIES: [Severity; 3] = [
    Severity {
        flag: Flag::Fatal,
        de: "Fehler",
        en: "Errors",
        one: "Fehler",
        hint_de: "Verstöße gegen Muss-Regeln: so ist die Rechnung nicht annehmbar.",
        hint_en: "Violations of mandatory rules: the invoice cannot be accepted as it is.",
    },
    Severity {
        flag: Flag::Warning,
        de: "Warnungen",
        en: "Warnings",
        one: "Warnung",
        hint_de: "Verstöße gegen Soll-Regeln: annehmbar, sollte aber berichtigt werden.",
        hint_en: "Violations of recommendations: acceptable, but should be corrected.",
    },
    Severity {
        flag: Flag::Information,
        de: "Hinweise",
        en: "Information",
        one: "Hinweis",
        hint_de: "Zur Kenntnis.",
        hint_en: "For information.",
    },
];

/// The report as one HTML5 document (UTF-8). `title` names the checked file, e.g. its name.
pub fn render(report: &Report, title: &str) -> String {
    let mut out = String::with_capacity(8 * 1024 + 640 * report.findings.len());
    head(&mut out, title);
    verdict(&mut out, report, title);
    counts(&mut out, report);
    findings(&mut out, report);
    footer(&mut out, report);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// Appends `s` as escaped character data.
fn text(out: &mut String, s: &str) {
    escape_into(out, s, false);
}

/// Appends `<tag class="class">` + escaped `s` + `</tag>`.
fn element(out: &mut String, tag: &str, class: &str, s: &str) {
    out.push('<');
    out.push_str(tag);
    if !class.is_empty() {
        out.push_str(" class=\"");
        out.push_str(class);
        out.push('"');
    }
    out.push('>');
    text(out, s);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// Appends German text followed by its English counterpart (`Gültig / Valid`).
fn bilingual(out: &mut String, de: &str, en: &str) {
    text(out, de);
    out.push_str(" <span class=\"en\" lang=\"en\">/ ");
    text(out, en);
    out.push_str("</span>");
}

fn head(out: &mut String, title: &str) {
    out.push_str(concat!(
        "<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<meta name=\"generator\" content=\"egov-xrechnung\">\n<title>Prüfbericht – ",
    ));
    text(out, title);
    out.push_str("</title>\n<style>\n");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n<main>\n");
}

fn verdict(out: &mut String, report: &Report, title: &str) {
    let (class, mark, de, en, rec_de, rec_en) = match report.verdict {
        Verdict::Accept => ("accept", "✔", "Gültig", "Valid", "annehmen", "accept"),
        Verdict::Reject => (
            "reject",
            "✘",
            "Ungültig",
            "Invalid",
            "zurückweisen",
            "reject",
        ),
    };
    out.push_str("<header class=\"verdict ");
    out.push_str(class);
    out.push_str("\">\n<p class=\"kicker\">");
    bilingual(out, "Prüfbericht E-Rechnung", "Validation report");
    out.push_str("</p>\n<h1><span aria-hidden=\"true\">");
    out.push_str(mark);
    out.push_str("</span> ");
    bilingual(out, de, en);
    out.push_str("</h1>\n<p class=\"recommendation\">Empfehlung: ");
    bilingual(out, rec_de, &format!("Recommendation: {rec_en}"));
    out.push_str("</p>\n<dl>\n");
    fact(out, ("Datei", "File"), title);
    let scenario = report.scenario.as_deref().unwrap_or(
        "kein passendes Prüfszenario – keine XRechnung/EN 16931-Rechnung \
         (no matching scenario – not an XRechnung/EN 16931 invoice)",
    );
    fact(out, ("Szenario", "Scenario"), scenario);
    fact(out, ("Syntax", "Syntax"), syntax_name(report.syntax));
    fact(out, ("Regelwerk", "Rules"), &report.rules_version);
    out.push_str("</dl>\n</header>\n");
}

/// One `<dt>`/`<dd>` pair of the verdict block.
fn fact(out: &mut String, (de, en): (&str, &str), value: &str) {
    out.push_str("<dt>");
    if de == en {
        text(out, de);
    } else {
        bilingual(out, de, en);
    }
    out.push_str("</dt>");
    element(out, "dd", "", value);
    out.push('\n');
}

fn syntax_name(syntax: Option<Syntax>) -> &'static str {
    match syntax {
        Some(Syntax::Ubl) => "OASIS UBL 2.1",
        Some(Syntax::Cii) => "UN/CEFACT CII D16B",
        None => "unbekannt (unknown)",
    }
}

fn count(report: &Report, flag: Flag) -> usize {
    report.findings.iter().filter(|f| f.flag == flag).count()
}

fn counts(out: &mut String, report: &Report) {
    out.push_str("<section class=\"counts\">\n<h2>");
    bilingual(out, "Meldungen", "Findings");
    out.push_str("</h2>\n<ul>\n");
    for s in &SEVERITIES {
        let n = count(report, s.flag);
        out.push_str("<li class=\"");
        out.push_str(s.flag.as_str());
        if n == 0 {
            out.push_str(" zero");
        }
        out.push_str("\"><span class=\"n\">");
        out.push_str(&n.to_string());
        out.push_str("</span>");
        bilingual(out, s.de, s.en);
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n</section>\n");
}

fn findings(out: &mut String, report: &Report) {
    if report.findings.is_empty() {
        out.push_str("<p class=\"none\">");
        bilingual(out, "Keine Meldungen.", "No findings.");
        out.push_str("</p>\n");
        return;
    }
    for s in &SEVERITIES {
        let group: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.flag == s.flag)
            .collect();
        if !group.is_empty() {
            section(out, s, &group);
        }
    }
}

/// The findings of one severity.
fn section(out: &mut String, s: &Severity, group: &[&Finding]) {
    out.push_str("<section class=\"group ");
    out.push_str(s.flag.as_str());
    out.push_str("\">\n<h2>");
    bilingual(out, s.de, s.en);
    out.push_str(" (");
    out.push_str(&group.len().to_string());
    out.push_str(")</h2>\n<p class=\"hint\">");
    bilingual(out, s.hint_de, s.hint_en);
    out.push_str("</p>\n<ol class=\"findings\">\n");
    for f in group {
        finding(out, s, f);
    }
    out.push_str("</ol>\n</section>\n");
}

fn finding(out: &mut String, s: &Severity, f: &Finding) {
    out.push_str("<li class=\"finding\">\n<h3>");
    element(out, "span", "rule", &f.id);
    element(out, "span", "badge", s.one);
    out.push_str("</h3>\n");
    element(out, "p", "message", &f.message);
    out.push('\n');
    business_terms(out, &f.bt);
    if let Some(location) = &f.location {
        where_(out, location);
    }
    out.push_str("</li>\n");
}

/// The business terms of a finding with their German and English names.
fn business_terms(out: &mut String, ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    out.push_str("<ul class=\"terms\">\n");
    for id in ids {
        out.push_str("<li>");
        element(out, "span", "id mono", id);
        if let Some(t) = terms::term(id) {
            out.push_str(" <span class=\"names\">");
            bilingual(out, t.de, t.en);
            out.push_str("</span>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
}

/// Line, column and path of a finding.
fn where_(out: &mut String, location: &Location) {
    out.push_str("<p class=\"where\">");
    match (location.line, location.column) {
        (0, _) => bilingual(out, "Position unbekannt", "position unknown"),
        (line, 0) => bilingual(out, &format!("Zeile {line}"), &format!("line {line}")),
        (line, col) => bilingual(
            out,
            &format!("Zeile {line}, Spalte {col}"),
            &format!("line {line}, column {col}"),
        ),
    }
    if !location.path.is_empty() {
        out.push_str("<br>");
        element(out, "code", "", &location.path);
    }
    out.push_str("</p>\n");
}

fn footer(out: &mut String, report: &Report) {
    out.push_str("<footer>");
    text(out, REPORT_SCHEMA);
    out.push_str(" · ");
    text(out, &report.rules_version);
    out.push_str(" · egov-xrechnung</footer>\n");
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;
    use crate::report::business_terms_in;

    fn finding(id: &str, flag: Flag, message: &str, at: Option<(u32, u32, &str)>) -> Finding {
        Finding {
            id: id.into(),
            flag,
            message: message.into(),
            location: at.map(|(line, column, path)| Location {
                path: path.into(),
                line,
                column,
            }),
            bt: business_terms_in(message),
        }
    }

    /// A rejected UBL invoice with findings of every severity (the snapshot's input).
    fn sample() -> Report {
        let findings = vec![
            finding(
                "XSD",
                Flag::Fatal,
                "cvc-complex-type.2.4.a: Invalid content was found starting with element \
                 'cbc:Note'. One of '{\"urn:oasis:names:specification:ubl:schema:xsd:\
                 CommonBasicComponents-2\":DueDate}' is expected.",
                Some((7, 15, "/Invoice/cbc:Note[1]")),
            ),
            finding(
                "BR-CO-10",
                Flag::Fatal,
                "[BR-CO-10]-Sum of Invoice line net amount (BT-106) = Σ Invoice line net amount \
                 (BT-131).",
                Some((
                    88,
                    5,
                    "/Invoice/cac:LegalMonetaryTotal[1]/cbc:LineExtensionAmount[1]",
                )),
            ),
            finding(
                "BR-DE-15",
                Flag::Fatal,
                "[BR-DE-15] Das Element \"Buyer reference\" (BT-10) muss übermittelt werden.",
                Some((1, 1, "/Invoice")),
            ),
            finding(
                "BR-DE-21",
                Flag::Warning,
                "[BR-DE-21] Das Element \"Specification identifier\" (BT-24) soll syntaktisch \
                 der Kennung des Standards XRechnung entsprechen.",
                Some((3, 3, "/Invoice/cbc:CustomizationID[1]")),
            ),
            finding(
                "BR-DEX-09",
                Flag::Information,
                "[BR-DEX-09] Third party payment amount (BT-DEX-002) in THIRD PARTY PAYMENT \
                 (BG-DEX-09) & Amount due for payment (BT-115) < 0.",
                None,
            ),
        ];
        Report::new(
            Some("EN16931 XRechnung (UBL Invoice)".into()),
            Some(Syntax::Ubl),
            findings,
            "XRechnung 3.0.2 (KoSIT 2026-01-31)",
        )
    }

    /// The text between the `<section class="group {class}">` and its `</section>`.
    fn group<'a>(page: &'a str, class: &str) -> Option<&'a str> {
        let start = page.find(&format!("<section class=\"group {class}\">"))?;
        let len = page[start..].find("</section>")?;
        Some(&page[start..start + len])
    }

    #[test]
    fn escapes_markup_in_every_text() {
        let evil = "<script>alert(\"x & y\")</script>";
        let report = Report::new(
            Some(evil.into()),
            None,
            vec![finding(
                evil,
                Flag::Fatal,
                evil,
                Some((1, 2, "/a[@b=\"<script>\"]")),
            )],
            evil,
        );
        let page = render(&report, evil);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.to_ascii_lowercase().contains("<script"));
        assert!(page.contains("&lt;script&gt;alert(\"x &amp; y\")&lt;/script&gt;"));
        assert!(page.contains("<title>Prüfbericht – &lt;script&gt;"));
    }

    #[test]
    fn self_contained_html5() {
        let page = render(&sample(), "rechnung.xml");
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"de\">"));
        assert!(page.contains("<meta charset=\"utf-8\">"));
        assert!(page.ends_with("</html>\n"));
        for external in [
            "<script", "<link", "src=", "href=", "url(", "@import", "http://", "https://",
        ] {
            assert!(!page.contains(external), "{external}");
        }
    }

    #[test]
    fn verdict_comes_first_and_big() {
        let page = render(&sample(), "rechnung.xml");
        let h1 = page.find("<h1>").unwrap();
        assert!(page.contains("<header class=\"verdict reject\">"));
        assert!(page[h1..].starts_with("<h1><span aria-hidden=\"true\">✘</span> Ungültig"));
        assert!(page.contains("/ Invalid</span></h1>"));
        assert!(h1 < page.find("class=\"counts\"").unwrap());
        assert!(page.contains("<dd>EN16931 XRechnung (UBL Invoice)</dd>"));
        assert!(page.contains("<dd>OASIS UBL 2.1</dd>"));
        assert!(page.contains("<dd>rechnung.xml</dd>"));

        let valid = Report::new(Some("s".into()), Some(Syntax::Cii), vec![], "v");
        let page = render(&valid, "ok.xml");
        assert!(page.contains("<header class=\"verdict accept\">"));
        assert!(page.contains("✔</span> Gültig <span class=\"en\" lang=\"en\">/ Valid</span>"));
        assert!(page.contains("<dd>UN/CEFACT CII D16B</dd>"));
        assert!(page.contains("Keine Meldungen."));
        assert!(!page.contains("Ungültig"));

        let unknown = Report::new(None, None, vec![], "v");
        let page = render(&unknown, "x.pdf");
        assert!(page.contains("Ungültig") && page.contains("kein passendes Prüfszenario"));
    }

    #[test]
    fn counts_per_severity() {
        let page = render(&sample(), "rechnung.xml");
        assert!(page.contains("<li class=\"fatal\"><span class=\"n\">3</span>Fehler"));
        assert!(page.contains("<li class=\"warning\"><span class=\"n\">1</span>Warnungen"));
        assert!(page.contains("<li class=\"information\"><span class=\"n\">1</span>Hinweise"));
        let valid = render(&Report::new(Some("s".into()), None, vec![], "v"), "t");
        assert!(valid.contains("<li class=\"fatal zero\"><span class=\"n\">0</span>"));
    }

    #[test]
    fn findings_are_grouped_by_severity_in_order() {
        let page = render(&sample(), "rechnung.xml");
        let fatal = group(&page, "fatal").unwrap();
        let warning = group(&page, "warning").unwrap();
        let information = group(&page, "information").unwrap();
        assert!(page.find(fatal) < page.find(warning));
        assert!(page.find(warning) < page.find(information));
        assert!(fatal.contains("Fehler <span class=\"en\" lang=\"en\">/ Errors</span> (3)</h2>"));
        for id in ["XSD", "BR-CO-10", "BR-DE-15"] {
            assert!(
                fatal.contains(&format!("<span class=\"rule\">{id}</span>")),
                "{id}"
            );
        }
        assert!(warning.contains("<span class=\"rule\">BR-DE-21</span>"));
        assert!(!warning.contains("BR-CO-10"));
        assert!(information.contains("<span class=\"rule\">BR-DEX-09</span>"));
        let no_warnings = Report::new(
            Some("s".into()),
            None,
            vec![finding("I", Flag::Information, "m", None)],
            "v",
        );
        let page = render(&no_warnings, "t");
        assert!(group(&page, "fatal").is_none() && group(&page, "warning").is_none());
    }

    #[test]
    fn business_terms_by_german_and_english_name() {
        let page = render(&sample(), "rechnung.xml");
        assert!(page.contains(
            "<span class=\"id mono\">BT-106</span> <span class=\"names\">Summe der Nettobeträge aller \
             Rechnungspositionen <span class=\"en\" lang=\"en\">/ Sum of Invoice line net \
             amount</span>"
        ));
        assert!(page.contains("Käuferreferenz <span class=\"en\" lang=\"en\">/ Buyer reference"));
        assert!(page.contains("ZAHLUNG AN DRITTE"));
        let unknown = Report::new(
            None,
            None,
            vec![Finding {
                bt: vec!["BT-999".into()],
                ..finding("X", Flag::Fatal, "m", None)
            }],
            "v",
        );
        assert!(render(&unknown, "t").contains("<li><span class=\"id mono\">BT-999</span></li>"));
    }

    #[test]
    fn location_in_small_monospace() {
        let page = render(&sample(), "rechnung.xml");
        assert!(page.contains(
            "<p class=\"where\">Zeile 88, Spalte 5 <span class=\"en\" lang=\"en\">/ line 88, \
             column 5</span><br><code>/Invoice/cac:LegalMonetaryTotal[1]/cbc:LineExtensionAmount[1]</code></p>"
        ));
        let mut out = String::new();
        where_(
            &mut out,
            &Location {
                path: String::new(),
                line: 0,
                column: 0,
            },
        );
        assert!(out.contains("Position unbekannt") && !out.contains("<code>"));
        out.clear();
        where_(
            &mut out,
            &Location {
                path: "/a".into(),
                line: 4,
                column: 0,
            },
        );
        assert!(out.starts_with("<p class=\"where\">Zeile 4 <span"));
    }

    /// Compares with `tests/fixtures/report-sample.html`; `UPDATE_SNAPSHOTS=1` rewrites it.
    #[test]
    fn snapshot() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/report-sample.html");
        let page = render(&sample(), "rechnung-2024-0815.xml");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
            std::fs::write(&path, &page).unwrap();
            return;
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_SNAPSHOTS=1)", path.display()));
        if page != expected {
            let line = page
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| page.lines().count().min(expected.lines().count()));
            panic!(
                "{} differs from the rendering at line {} (run with UPDATE_SNAPSHOTS=1 and review \
                 the diff)",
                path.display(),
                line + 1
            );
        }
    }
}
