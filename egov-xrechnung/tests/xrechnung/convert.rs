//! Conversion UBL ↔ CII through the model, on the whole corpus; and built invoices round-trip
//! through both syntaxes (proptest).
use crate::common::{corpus, shared_dir};
use chrono::NaiveDate;
use egov_xrechnung::builder::{InvoiceBuilder, LineItem};
use egov_xrechnung::model::{Buyer, Contact, ElectronicAddress, PostalAddress, Seller};
use egov_xrechnung::{read, write, Invoice, Syntax};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn json(inv: &Invoice) -> String {
    egov_xrechnung::to_json(inv)
}

/// First differing line of the two JSON forms, for a readable failure.
fn first_difference(a: &Invoice, b: &Invoice) -> String {
    let (ja, jb) = (json(a), json(b));
    for (i, (la, lb)) in ja.lines().zip(jb.lines()).enumerate() {
        if la != lb {
            return format!("line {i}: {la:?} vs {lb:?}");
        }
    }
    format!("lengths {} vs {}", ja.len(), jb.len())
}

#[test]
fn every_corpus_instance_converts_and_reads_back_equal() {
    let Some(shared) = shared_dir("every_corpus_instance_converts_and_reads_back_equal") else {
        return;
    };
    let files = corpus(&shared);
    assert!(files.len() >= 86);
    let mut ok = 0;
    let mut failures = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let Ok(original) = read(&bytes) else { continue };
        let other = match original.syntax {
            Syntax::Ubl => Syntax::Cii,
            Syntax::Cii => Syntax::Ubl,
        };
        let converted = write(&original.invoice, other);
        let back = read(converted.as_bytes()).unwrap();
        assert_eq!(back.syntax, other);
        // What the target syntax has no binding for is adapted, and only that.
        let (expected, _) = egov_xrechnung::carried_by(&original.invoice, other);
        let expected = expected.into_owned();
        if back.invoice == expected {
            ok += 1;
        } else {
            failures.push(format!(
                "{}: {}",
                f.display(),
                first_difference(&expected, &back.invoice)
            ));
        }
    }
    println!(
        "conversion round trip: {ok}/{} equal models",
        ok + failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn party_address(city: &str) -> PostalAddress {
    PostalAddress {
        city: Some(city.into()),
        post_code: Some("12345".into()),
        country_code: "DE".into(),
        ..Default::default()
    }
}

fn built(lines: &[(u32, i64, i64, bool)], allowance: i64, charge: i64) -> Invoice {
    let mut b = InvoiceBuilder::new("R-1", NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(), "EUR")
        .xrechnung("991-12345-67")
        .due_date(NaiveDate::from_ymd_opt(2026, 4, 30).unwrap())
        .seller(Seller {
            name: "Seller".into(),
            vat_identifier: Some("DE123456789".into()),
            electronic_address: Some(ElectronicAddress {
                value: "seller@example.org".into(),
                scheme_id: Some("EM".into()),
            }),
            postal_address: party_address("Berlin"),
            contact: Some(Contact {
                contact_point: Some("Max Muster".into()),
                telephone_number: Some("+49 30 1234".into()),
                email_address: Some("max@example.org".into()),
            }),
            ..Default::default()
        })
        .buyer(Buyer {
            name: "Buyer".into(),
            electronic_address: Some(ElectronicAddress {
                value: "buyer@example.org".into(),
                scheme_id: Some("EM".into()),
            }),
            postal_address: party_address("Bonn"),
            ..Default::default()
        })
        .credit_transfer("DE02120300000000202051", Some("Seller".into()), None);
    for (i, (qty, price_cents, discount_cents, reduced)) in lines.iter().enumerate() {
        let mut line = LineItem::new(
            (i + 1).to_string(),
            format!("Item {i}"),
            Decimal::from(*qty),
            "C62",
            Decimal::new(*price_cents, 2),
        );
        if *reduced {
            line = line.vat("S", Decimal::new(7, 0));
        }
        if *discount_cents > 0 {
            line = line.allowance(Decimal::new(*discount_cents, 2), "Rabatt");
        }
        b = b.line(line);
    }
    if allowance > 0 {
        b = b.allowance(
            Decimal::new(allowance, 2),
            "S",
            Decimal::new(19, 0),
            "Skonto",
        );
    }
    if charge > 0 {
        b = b.charge(Decimal::new(charge, 2), "S", Decimal::new(19, 0), "Versand");
    }
    b.build()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn built_invoices_round_trip_through_both_syntaxes(
        lines in prop::collection::vec((1u32..1000, 1i64..1_000_000, 0i64..500, any::<bool>()), 1..8),
        allowance in 0i64..10_000,
        charge in 0i64..10_000,
    ) {
        let inv = built(&lines, allowance, charge);
        for syntax in [Syntax::Ubl, Syntax::Cii] {
            let xml = write(&inv, syntax);
            let back = read(xml.as_bytes()).unwrap();
            prop_assert_eq!(&back.invoice, &inv, "{:?}", syntax);
            prop_assert!(back.unmapped.is_empty(), "{:?}: {:?}", syntax, back.unmapped);
            // A built invoice is a valid XRechnung: totals and VAT breakdown satisfy the
            // calculation rules (BR-CO-10 … 17, BR-S-08/09, PEPPOL-EN16931-R120) by construction.
            let report = egov_xrechnung::Validator::xrechnung().validate(xml.as_bytes());
            prop_assert!(report.valid, "{:?}: {:?}", syntax, report.fatal);
        }
    }
}

/// Issue 3's bar: every testsuite instance converts to the other syntax, and the result is a
/// valid XRechnung under the official rules (checked with our validator, which agrees with the
/// KoSIT pipeline on the whole oracle corpus).
#[test]
fn converted_testsuite_instances_stay_valid() {
    let Some(shared) = shared_dir("converted_testsuite_instances_stay_valid") else {
        return;
    };
    let validator = egov_xrechnung::Validator::xrechnung();
    let files = crate::common::xml_files(&shared.join("testdata/xrechnung/xrechnung-testsuite"));
    let (mut checked, mut failures) = (0, Vec::new());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let original = validator.validate(&bytes);
        let read = read(&bytes).unwrap();
        let other = match read.syntax {
            Syntax::Ubl => Syntax::Cii,
            Syntax::Cii => Syntax::Ubl,
        };
        let converted = write(&read.invoice, other);
        let report = validator.validate(converted.as_bytes());
        checked += 1;
        if original.valid && !report.valid {
            failures.push(format!("{} → {other}: {:?}", f.display(), report.fatal));
        }
    }
    println!(
        "converted testsuite instances: {}/{checked} valid in the other syntax where the original is",
        checked - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
