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
    let steps: [fn() -> Result<(), String>; 3] = [step_parse, step_hostile, step_retention];
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
