//! `egov demo`: what the SDK does, step by step, on sample documents built into the binary.

use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use egov_core::period::{period_end_explained, IsoDuration, PeriodRule, Rounding};
use egov_core::xml::{Document, Limits};

/// A small XRechnung UBL invoice written for the demo (fictitious parties).
const SAMPLE_INVOICE: &[u8] = include_bytes!("../samples/invoice-ubl.xml");
/// An XXE attempt: a DOCTYPE with an external entity.
const SAMPLE_XXE: &[u8] = include_bytes!("../samples/hostile-xxe.xml");

const UBL_CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

fn heading(n: u32, title: &str) {
    println!();
    println!("── Step {n}: {title}");
}

/// Runs the demo; exit code 1 when a step does not behave as it should.
pub fn run() -> ExitCode {
    println!(
        "egov {} — German/EU e-government building blocks",
        env!("CARGO_PKG_VERSION")
    );
    println!("Every step below runs on sample documents built into this binary.");
    let steps: [fn() -> Result<(), String>; 5] = [
        step_parse,
        step_hostile,
        step_retention,
        step_invoice,
        step_validate,
    ];
    for (i, step) in steps.iter().enumerate() {
        if let Err(e) = step() {
            eprintln!("demo step {} failed: {e}", i + 1);
            return ExitCode::FAILURE;
        }
    }
    println!();
    println!("Done. `egov xml check FILE...` checks your own files under the same limits.");
    ExitCode::SUCCESS
}

fn step_parse() -> Result<(), String> {
    heading(
        1,
        "parse an XRechnung invoice with the secure XML layer (egov-core::xml)",
    );
    let start = Instant::now();
    let doc = Document::parse(SAMPLE_INVOICE, &Limits::default()).map_err(|e| e.to_string())?;
    let took = start.elapsed();
    let root = doc.root_element();
    let elements = root.descendants().filter(|n| n.is_element()).count() + 1;
    println!(
        "   parsed {} bytes in {took:?}: root {{{}}}{}, {elements} elements",
        SAMPLE_INVOICE.len(),
        root.namespace(),
        root.local_name()
    );
    println!("   namespaces declared on the root:");
    for (prefix, uri) in root.namespace_declarations() {
        println!("     {prefix:>4} = {uri}");
    }
    for local in ["ID", "IssueDate", "DocumentCurrencyCode"] {
        if let Some(n) = root.child(UBL_CBC, local) {
            let pos = n.position();
            println!(
                "   {:<38} = {:<14} (line {}, column {})",
                n.path(),
                n.text(),
                pos.line,
                pos.column
            );
        }
    }
    let amounts: Vec<String> = root
        .descendants_named(UBL_CBC, "PayableAmount")
        .map(|n| format!("{} {}", n.text(), n.attribute("currencyID").unwrap_or("?")))
        .collect();
    println!("   payable amount (BT-115): {}", amounts.join(", "));
    Ok(())
}

fn step_hostile() -> Result<(), String> {
    heading(2, "reject hostile input before it costs anything");
    match Document::parse(SAMPLE_XXE, &Limits::default()) {
        Ok(_) => return Err("the XXE sample was accepted".into()),
        Err(e) => println!("   XXE attempt (DOCTYPE with external entity): rejected, {e}"),
    }
    let deep = "<a>".repeat(10_000) + &"</a>".repeat(10_000);
    let start = Instant::now();
    match Document::parse(deep.as_bytes(), &Limits::default()) {
        Ok(_) => return Err("10,000-deep nesting was accepted".into()),
        Err(e) => println!(
            "   10,000-deep nesting: rejected in {:?}, {e}",
            start.elapsed()
        ),
    }
    let mut wide = String::from("<a");
    for i in 0..50_000 {
        wide.push_str(&format!(" a{i}=\"x\""));
    }
    wide.push_str("/>");
    let start = Instant::now();
    match Document::parse(wide.as_bytes(), &Limits::default()) {
        Ok(_) => return Err("50,000 attributes were accepted".into()),
        Err(e) => println!(
            "   50,000 attributes on one element: rejected in {:?}, {}",
            start.elapsed(),
            e.kind()
        ),
    }
    Ok(())
}

fn step_retention() -> Result<(), String> {
    heading(
        3,
        "compute retention ends after BGB §§187, 188 (egov-core::period)",
    );
    let cases = [
        (
            "Eingangsrechnung (Buchungsbeleg), §147 Abs. 1 Nr. 4, Abs. 4 AO: 8 years from year end",
            "2026-11-02",
            "P8Y",
            Rounding::EndOfYear,
            false,
        ),
        (
            "Bescheid, 3 months from notification, leap day trigger",
            "2028-02-29",
            "P3M",
            Rounding::None,
            false,
        ),
        (
            "Age limit (§187 Abs. 2 BGB: the birthday counts), 18 years from 29 Feb",
            "2008-02-29",
            "P18Y",
            Rounding::None,
            true,
        ),
    ];
    for (what, trigger, period, rounding, start_day_counts) in cases {
        let trigger = NaiveDate::parse_from_str(trigger, "%Y-%m-%d").map_err(|e| e.to_string())?;
        let duration: IsoDuration = period
            .parse()
            .map_err(|e: egov_core::Error| e.to_string())?;
        let rule = PeriodRule {
            duration,
            rounding,
            start_day_counts,
        };
        let (end, steps) = period_end_explained(trigger, &rule).map_err(|e| e.to_string())?;
        println!("   {what}");
        for s in steps {
            println!("     · {s}");
        }
        println!("     ⇒ retention ends {end}");
    }
    Ok(())
}

fn step_invoice() -> Result<(), String> {
    use egov_xrechnung::builder::{InvoiceBuilder, LineItem};
    use egov_xrechnung::model::{Buyer, Contact, ElectronicAddress, PostalAddress, Seller};
    use egov_xrechnung::Syntax;
    use rust_decimal::Decimal;

    heading(
        4,
        "build an XRechnung with the builder, write UBL and CII, read both back (egov-xrechnung)",
    );
    let address = |street: &str, city: &str| PostalAddress {
        address_line_1: Some(street.into()),
        city: Some(city.into()),
        post_code: Some("12345".into()),
        country_code: "DE".into(),
        ..Default::default()
    };
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or("bad date");
    let invoice = InvoiceBuilder::new("SW-2026-04712", date(2026, 11, 2)?, "EUR")
        .xrechnung("04011000-12345-67")
        .due_date(date(2026, 12, 2)?)
        .seller(Seller {
            name: "Stadtwerke Musterstadt GmbH".into(),
            vat_identifier: Some("DE123456789".into()),
            electronic_address: Some(ElectronicAddress {
                value: "rechnung@stadtwerke-musterstadt.example".into(),
                scheme_id: Some("EM".into()),
            }),
            postal_address: address("Werkstraße 1", "Musterstadt"),
            contact: Some(Contact {
                contact_point: Some("Erika Beispiel".into()),
                telephone_number: Some("+49 30 1234567".into()),
                email_address: Some("erika.beispiel@stadtwerke-musterstadt.example".into()),
            }),
            ..Default::default()
        })
        .buyer(Buyer {
            name: "Stadt Musterstadt, Bürgeramt".into(),
            electronic_address: Some(ElectronicAddress {
                value: "eingangsrechnung@musterstadt.example".into(),
                scheme_id: Some("EM".into()),
            }),
            postal_address: address("Rathausplatz 3", "Musterstadt"),
            ..Default::default()
        })
        .credit_transfer("DE02120300000000202051", None, None)
        .line(LineItem::new(
            "1",
            "Wartung Ladesäulen",
            Decimal::new(75, 1),
            "HUR",
            Decimal::new(8000, 2),
        ))
        .line(
            LineItem::new(
                "2",
                "Ersatzteil Ladekabel Typ 2",
                Decimal::new(3, 0),
                "C62",
                Decimal::new(4999, 2),
            )
            .allowance(Decimal::new(1500, 2), "Rahmenvertrag"),
        )
        .line(
            LineItem::new(
                "3",
                "Fachbuch Elektromobilität",
                Decimal::ONE,
                "C62",
                Decimal::new(3990, 2),
            )
            .vat("S", Decimal::new(7, 0)),
        )
        .build();
    let t = &invoice.document_totals;
    println!(
        "   built {} with {} lines: net {} + VAT {} = {} EUR (totals computed, BR-CO-10…17 hold by construction)",
        invoice.invoice_number,
        invoice.invoice_lines.len(),
        t.invoice_total_amount_without_vat.unwrap_or_default(),
        t.invoice_total_vat_amount.unwrap_or_default(),
        t.amount_due_for_payment.unwrap_or_default(),
    );
    for syntax in [Syntax::Ubl, Syntax::Cii] {
        let xml = egov_xrechnung::write(&invoice, syntax);
        let back = egov_xrechnung::read(xml.as_bytes()).map_err(|e| e.to_string())?;
        let same = back.invoice == invoice;
        println!(
            "   {syntax}: wrote {} bytes, read back: {} ({} unmapped)",
            xml.len(),
            if same {
                "identical model"
            } else {
                "DIFFERENT model"
            },
            back.unmapped.len()
        );
        if !same {
            return Err(format!("{syntax} round trip changed the invoice"));
        }
    }
    let sample = egov_xrechnung::read(SAMPLE_INVOICE).map_err(|e| e.to_string())?;
    let as_cii = egov_xrechnung::write(&sample.invoice, Syntax::Cii);
    let back = egov_xrechnung::read(as_cii.as_bytes()).map_err(|e| e.to_string())?;
    println!(
        "   the step-1 UBL sample converted to CII and read back: {}",
        if back.invoice == sample.invoice {
            "identical model"
        } else {
            "DIFFERENT model"
        }
    );
    println!("   summary of the built invoice:");
    for line in egov_xrechnung::summary_text(&invoice).lines() {
        println!("     {line}");
    }
    Ok(())
}

fn step_validate() -> Result<(), String> {
    use egov_xrechnung::report::Flag;
    use egov_xrechnung::Validator;

    heading(
        5,
        "validate like KoSIT: XSD, CEN EN 16931 rules, XRechnung rules (egov-xrechnung::Validator)",
    );
    let validator = Validator::xrechnung();
    let start = Instant::now();
    let good = validator.validate(SAMPLE_INVOICE);
    let first = start.elapsed();
    // once warm (caches, predictors): the median of a few more runs
    let mut times = Vec::new();
    let mut same = true;
    for _ in 0..31 {
        let start = Instant::now();
        same &= validator.validate(SAMPLE_INVOICE) == good;
        times.push(start.elapsed());
    }
    times.sort();
    let warm = times.get(times.len() / 2).copied().unwrap_or_default();
    println!(
        "   the sample invoice: {} under {:?} (first call in this process, rules loaded as needed: {first:?}; then, warm, median of 31: {warm:?})",
        if good.valid { "VALID" } else { "INVALID" },
        good.scenario.as_deref().unwrap_or("no scenario"),
    );
    if !good.valid || !same {
        return Err(format!(
            "the sample invoice must be valid: {:?}",
            good.fatal
        ));
    }
    // The same invoice, broken twice: a wrong total and a missing Leitweg-ID.
    let text = std::str::from_utf8(SAMPLE_INVOICE).map_err(|e| e.to_string())?;
    let broken = text
        .replace(
            "<cbc:PayableAmount currencyID=\"EUR\">952.00</cbc:PayableAmount>",
            "<cbc:PayableAmount currencyID=\"EUR\">925.00</cbc:PayableAmount>",
        )
        .replace(
            "<cbc:BuyerReference>04011000-12345-67</cbc:BuyerReference>\n",
            "",
        );
    let bad = validator.validate(broken.as_bytes());
    println!(
        "   the same invoice with BT-115 changed to 925.00 and BT-10 removed: {} — fatal {:?}",
        if bad.valid { "VALID" } else { "INVALID" },
        bad.fatal
    );
    for f in bad.findings.iter().filter(|f| f.flag == Flag::Fatal) {
        let line = f.location.as_ref().map_or(0, |l| l.line);
        println!("     {} (line {line}): {}", f.id, f.message);
    }
    if bad.valid {
        return Err("the broken invoice was accepted".into());
    }
    println!(
        "   `egov xrechnung validate --format json|html DIR` does the same for whole folders, in parallel."
    );
    Ok(())
}
