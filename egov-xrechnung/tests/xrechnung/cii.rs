//! CII D16B reader and writer: the round trip over every CII instance of the corpus, and small
//! inline documents for unmapped reporting, dates, BT-8 codes and sub invoice lines.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use egov_core::xml::{Document, Limits};
use egov_xrechnung::model::{InvoiceLine, ItemInformation, PaymentInstructions, PriceDetails};
use egov_xrechnung::{cii, invoice_limits, Invoice, Unmapped, RSM_NS};
use rust_decimal::Decimal;

use crate::common::{corpus, shared_dir};

const NS: &str = concat!(
    r#"xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" "#,
    r#"xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" "#,
    r#"xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" "#,
    r#"xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100""#
);

/// A CII document around the given `rsm:ExchangedDocument` content and
/// `rsm:SupplyChainTradeTransaction` content.
fn cii_doc(exchanged_document: &str, transaction: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice {NS}>
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>{exchanged_document}</rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>{transaction}</rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>"#
    )
}

fn read_str(xml: &str) -> (Invoice, Vec<Unmapped>) {
    let doc = Document::parse(xml.as_bytes(), &invoice_limits()).unwrap();
    cii::read(&doc)
}

/// Parses written XML without the size limits (a written document may be larger than its source).
fn parse_written(xml: &str) -> Document {
    let limits = Limits {
        max_bytes: usize::MAX,
        max_depth: 1_000,
        max_elements: usize::MAX,
        max_attributes: 1_000,
        max_text_len: usize::MAX,
    };
    Document::parse(xml.as_bytes(), &limits)
        .unwrap_or_else(|e| panic!("written CII is not well-formed: {e}\n{xml}"))
}

/// Writes, re-reads and checks the model is unchanged; returns the XML and the re-read unmapped.
fn write_and_reread(invoice: &Invoice) -> (String, Vec<Unmapped>) {
    let xml = cii::write(invoice);
    if let Some(dir) = std::env::var_os("CII_DUMP_DIR") {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::fs::write(
            std::path::Path::new(&dir).join(format!("unit-{n}.xml")),
            &xml,
        )
        .unwrap();
    }
    let (again, unmapped) = cii::read(&parse_written(&xml));
    if &again != invoice {
        panic!(
            "model changed by write → read:\n{}\n--- CII ---\n{xml}",
            json_diff(invoice, &again)
        );
    }
    (xml, unmapped)
}

/// A readable diff of the JSON forms: the differing lines with a little context.
fn json_diff(a: &Invoice, b: &Invoice) -> String {
    let ja = serde_json::to_string_pretty(a).unwrap();
    let jb = serde_json::to_string_pretty(b).unwrap();
    let la: Vec<&str> = ja.lines().collect();
    let lb: Vec<&str> = jb.lines().collect();
    let first = la
        .iter()
        .zip(&lb)
        .position(|(x, y)| x != y)
        .unwrap_or(la.len().min(lb.len()));
    let from = first.saturating_sub(6);
    let show = |lines: &[&str]| -> String {
        lines
            .iter()
            .enumerate()
            .skip(from)
            .take(20)
            .map(|(i, l)| format!("{:>5}{} {l}\n", i + 1, if i == first { ">" } else { " " }))
            .collect()
    };
    format!(
        "first difference at JSON line {}\n--- read ---\n{}--- re-read ---\n{}",
        first + 1,
        show(&la),
        show(&lb)
    )
}

/// An unmapped entry independent of positions: the path without sibling indices, and the reason.
fn unmapped_key(u: &Unmapped) -> (String, String) {
    let mut path = String::with_capacity(u.path.len());
    let mut in_index = false;
    for c in u.path.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            c if !in_index => path.push(c),
            _ => {}
        }
    }
    (path, u.reason.clone())
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[test]
fn cii_round_trip_of_the_corpus() {
    let Some(shared) = shared_dir("cii_round_trip_of_the_corpus") else {
        return;
    };
    let mut total = 0;
    let mut failures = Vec::new();
    let mut unmapped_paths: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for path in corpus(&shared) {
        let bytes = std::fs::read(&path).unwrap();
        let doc = Document::parse(&bytes, &invoice_limits())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if !doc.root_element().has_name(RSM_NS, "CrossIndustryInvoice") {
            continue;
        }
        total += 1;
        let (first, unmapped) = cii::read(&doc);
        let mut files_seen = std::collections::BTreeSet::new();
        for u in &unmapped {
            let (p, _) = unmapped_key(u);
            let entry = unmapped_paths.entry(p.clone()).or_default();
            entry.0 += 1;
            if files_seen.insert(p) {
                entry.1 += 1;
            }
        }
        let xml = cii::write(&first);
        // CII_DUMP_DIR=/some/dir keeps the written documents, e.g. for an external XSD check.
        if let Some(dir) = std::env::var_os("CII_DUMP_DIR") {
            let file = path.file_name().unwrap_or_default();
            std::fs::write(std::path::Path::new(&dir).join(file), &xml).unwrap();
        }
        let (second, unmapped_again) = cii::read(&parse_written(&xml));
        let name = path
            .strip_prefix(&shared)
            .unwrap_or(&path)
            .display()
            .to_string();
        if second != first {
            failures.push(format!(
                "{name}: model changed\n{}",
                json_diff(&first, &second)
            ));
            continue;
        }
        let original: std::collections::BTreeSet<_> = unmapped.iter().map(unmapped_key).collect();
        let new: Vec<_> = unmapped_again
            .iter()
            .map(unmapped_key)
            .filter(|k| !original.contains(k))
            .collect();
        if !new.is_empty() {
            failures.push(format!(
                "{name}: re-read reports unmapped content the original did not: {new:#?}"
            ));
        }
    }
    println!("cii round trip: {}/{total}", total - failures.len());
    println!("unmapped across the corpus (path: occurrences in files):");
    for (path, (count, files)) in &unmapped_paths {
        println!("  {count:>4} in {files:>2} files  {path}");
    }
    assert!(total >= 50, "expected the ~56 CII instances, found {total}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn reports_unknown_elements_and_second_invoice_numbers() {
    let xml = cii_doc(
        r#"<ram:ID>R-1</ram:ID><ram:ID>R-2</ram:ID><ram:TypeCode>380</ram:TypeCode>
           <ram:Foo>bar</ram:Foo>"#,
        "",
    );
    let (invoice, unmapped) = read_str(&xml);
    assert_eq!(invoice.invoice_number, "R-1", "the first BT-1 is kept");
    assert_eq!(invoice.invoice_type_code, "380");
    let paths: Vec<&str> = unmapped.iter().map(|u| u.path.as_str()).collect();
    assert!(
        paths.contains(&"/rsm:CrossIndustryInvoice/rsm:ExchangedDocument[1]/ram:ID[2]"),
        "{unmapped:#?}"
    );
    assert!(
        paths.contains(&"/rsm:CrossIndustryInvoice/rsm:ExchangedDocument[1]/ram:Foo[1]"),
        "{unmapped:#?}"
    );
    let foo = unmapped
        .iter()
        .find(|u| u.path.ends_with("ram:Foo[1]"))
        .unwrap();
    assert!(foo.line > 0 && foo.column > 0);
    assert_eq!(unmapped.len(), 2, "{unmapped:#?}");
}

#[test]
fn invalid_dates_are_noted_and_left_empty() {
    let xml = cii_doc(
        r#"<ram:ID>R-1</ram:ID>
           <ram:IssueDateTime><udt:DateTimeString format="102">20241332</udt:DateTimeString></ram:IssueDateTime>"#,
        r#"<ram:ApplicableHeaderTradeAgreement/>
           <ram:ApplicableHeaderTradeDelivery/>
           <ram:ApplicableHeaderTradeSettlement>
             <ram:SpecifiedTradePaymentTerms>
               <ram:DueDateDateTime><udt:DateTimeString format="610">202412</udt:DateTimeString></ram:DueDateDateTime>
             </ram:SpecifiedTradePaymentTerms>
             <ram:BillingSpecifiedPeriod/>
           </ram:ApplicableHeaderTradeSettlement>"#,
    );
    let (invoice, unmapped) = read_str(&xml);
    assert_eq!(invoice.issue_date, None);
    assert_eq!(invoice.payment_due_date, None);
    let issue = unmapped
        .iter()
        .find(|u| u.path.contains("IssueDateTime"))
        .expect("invalid BT-2 noted");
    assert!(issue.reason.contains("not a date"), "{issue:?}");
    let due = unmapped
        .iter()
        .find(|u| u.path.contains("DueDateDateTime"))
        .expect("format 610 noted");
    assert!(due.reason.contains("not 102"), "{due:?}");
    // An empty BillingSpecifiedPeriod carries nothing: absent in the readers' normal form.
    assert_eq!(invoice.invoicing_period, None);
}

#[test]
fn vat_point_date_code_is_converted_from_and_to_untdid_2475() {
    for (cii_code, model_code) in [("5", "3"), ("29", "35"), ("72", "432")] {
        let xml = cii_doc(
            "<ram:ID>R-1</ram:ID>",
            &format!(
                r#"<ram:ApplicableHeaderTradeAgreement/><ram:ApplicableHeaderTradeDelivery/>
                   <ram:ApplicableHeaderTradeSettlement>
                     <ram:ApplicableTradeTax>
                       <ram:CalculatedAmount>19.00</ram:CalculatedAmount>
                       <ram:TypeCode>VAT</ram:TypeCode>
                       <ram:BasisAmount>100.00</ram:BasisAmount>
                       <ram:CategoryCode>S</ram:CategoryCode>
                       <ram:DueDateTypeCode>{cii_code}</ram:DueDateTypeCode>
                       <ram:RateApplicablePercent>19</ram:RateApplicablePercent>
                     </ram:ApplicableTradeTax>
                     <ram:ApplicableTradeTax>
                       <ram:CalculatedAmount>0</ram:CalculatedAmount>
                       <ram:TypeCode>VAT</ram:TypeCode>
                       <ram:BasisAmount>10</ram:BasisAmount>
                       <ram:CategoryCode>Z</ram:CategoryCode>
                       <ram:DueDateTypeCode>{cii_code}</ram:DueDateTypeCode>
                       <ram:RateApplicablePercent>0</ram:RateApplicablePercent>
                     </ram:ApplicableTradeTax>
                   </ram:ApplicableHeaderTradeSettlement>"#
            ),
        );
        let (invoice, unmapped) = read_str(&xml);
        assert!(
            unmapped.is_empty(),
            "repeated equal BT-8 is consumed: {unmapped:#?}"
        );
        let code = invoice.value_added_tax_point_date_code.clone().unwrap();
        assert_eq!(code, model_code);
        assert!(code.is_known());
        assert_eq!(invoice.vat_breakdowns.len(), 2);
        let (written, _) = write_and_reread(&invoice);
        assert!(
            written.contains(&format!(
                "<ram:DueDateTypeCode>{cii_code}</ram:DueDateTypeCode>"
            )),
            "{written}"
        );
    }
}

#[test]
fn tax_point_date_without_breakdown_round_trips() {
    let invoice = Invoice {
        value_added_tax_point_date: NaiveDate::from_ymd_opt(2024, 5, 31),
        value_added_tax_point_date_code: Some("35".into()),
        ..Invoice::default()
    };
    let (xml, unmapped) = write_and_reread(&invoice);
    assert!(xml.contains(r#"<udt:DateString format="102">20240531</udt:DateString>"#));
    assert!(xml.contains("<ram:DueDateTypeCode>29</ram:DueDateTypeCode>"));
    assert!(unmapped.is_empty(), "{unmapped:#?}");
}

fn line(id: &str, net: &str, subs: Vec<InvoiceLine>) -> InvoiceLine {
    InvoiceLine {
        identifier: id.into(),
        invoiced_quantity: Some(d("1")),
        invoiced_quantity_unit_code: Some("C62".into()),
        net_amount: Some(d(net)),
        price_details: PriceDetails {
            item_net_price: Some(d(net)),
            ..PriceDetails::default()
        },
        item_information: ItemInformation {
            name: format!("Item {id}"),
            ..ItemInformation::default()
        },
        sub_invoice_lines: subs,
        ..InvoiceLine::default()
    }
}

#[test]
fn sub_invoice_lines_are_flattened_with_parent_line_id_and_nested_again() {
    let invoice = Invoice {
        invoice_number: "R-1".into(),
        invoice_lines: vec![
            line(
                "1",
                "30.00",
                vec![
                    line("1.1", "10.00", vec![line("1.1.1", "10.00", vec![])]),
                    line("1.2", "20.00", vec![]),
                ],
            ),
            line("2", "5.00", vec![]),
        ],
        ..Invoice::default()
    };
    let (xml, unmapped) = write_and_reread(&invoice);
    assert!(unmapped.is_empty(), "{unmapped:#?}");
    let doc = parse_written(&xml);
    let items: Vec<(String, Option<String>, Option<String>)> = doc
        .root_element()
        .descendants()
        .filter(|n| n.local_name() == "AssociatedDocumentLineDocument")
        .map(|n| {
            let text = |local: &str| {
                n.element_children()
                    .find(|c| c.local_name() == local)
                    .map(|c| c.text().into_owned())
            };
            (
                text("LineID").unwrap(),
                text("ParentLineID"),
                text("LineStatusReasonCode"),
            )
        })
        .collect();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        items,
        vec![
            ("1".into(), None, s("GROUP")),
            ("1.1".into(), s("1"), s("GROUP")),
            ("1.1.1".into(), s("1.1"), s("DETAIL")),
            ("1.2".into(), s("1"), s("DETAIL")),
            ("2".into(), None, None),
        ]
    );
}

#[test]
fn sub_invoice_lines_before_their_parent_are_nested_too() {
    // The ZUGFeRD EXTENDED examples put the DETAIL lines before their GROUP line.
    let item = |id: &str, parent: Option<&str>, status: &str| {
        format!(
            r#"<ram:IncludedSupplyChainTradeLineItem>
                 <ram:AssociatedDocumentLineDocument>
                   <ram:LineID>{id}</ram:LineID>{}<ram:LineStatusReasonCode>{status}</ram:LineStatusReasonCode>
                 </ram:AssociatedDocumentLineDocument>
                 <ram:SpecifiedLineTradeSettlement/>
               </ram:IncludedSupplyChainTradeLineItem>"#,
            parent
                .map(|p| format!("<ram:ParentLineID>{p}</ram:ParentLineID>"))
                .unwrap_or_default()
        )
    };
    let lines = [
        item("0101", Some("01"), "DETAIL"),
        item("0102", Some("01"), "DETAIL"),
        item("01", None, "GROUP"),
        item("02", None, "INFORMATION"),
        item("03", Some("99"), "DETAIL"),
    ]
    .concat();
    let xml = cii_doc("<ram:ID>R-1</ram:ID>", &lines);
    let (invoice, unmapped) = read_str(&xml);
    let ids: Vec<(usize, &str)> = invoice
        .all_lines()
        .into_iter()
        .map(|(depth, l)| (depth, l.identifier.as_str()))
        .collect();
    assert_eq!(
        ids,
        vec![(0, "01"), (1, "0101"), (1, "0102"), (0, "02"), (0, "03")]
    );
    // INFORMATION has no place in the model; ParentLineID 99 points nowhere.
    assert_eq!(unmapped.len(), 3, "{unmapped:#?}");
    assert!(unmapped
        .iter()
        .any(|u| u.path.ends_with("ram:LineStatusReasonCode[1]")
            && u.path.contains("IncludedSupplyChainTradeLineItem[4]")));
    assert!(unmapped
        .iter()
        .any(|u| u.path.ends_with("ram:ParentLineID[1]") && u.reason.contains("\"99\"")));
    write_and_reread(&invoice);
}

#[test]
fn cyclic_and_self_parent_links_do_not_hang_or_lose_lines() {
    let item = |id: &str, parent: &str| {
        format!(
            r#"<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument>
                 <ram:LineID>{id}</ram:LineID><ram:ParentLineID>{parent}</ram:ParentLineID>
               </ram:AssociatedDocumentLineDocument></ram:IncludedSupplyChainTradeLineItem>"#
        )
    };
    let mut lines = [item("a", "b"), item("b", "a"), item("c", "c")].concat();
    // A chain deeper than the reader nests.
    lines.push_str(&item("n0", "none"));
    for i in 1..100 {
        lines.push_str(&item(&format!("n{i}"), &format!("n{}", i - 1)));
    }
    let xml = cii_doc("<ram:ID>R-1</ram:ID>", &lines);
    let (invoice, unmapped) = read_str(&xml);
    assert_eq!(invoice.all_lines().len(), 103);
    let max_depth = invoice.all_lines().iter().map(|(d, _)| *d).max().unwrap();
    assert!(max_depth <= 32, "{max_depth}");
    assert!(
        unmapped.iter().any(|u| u.reason.contains("cycle")),
        "{unmapped:#?}"
    );
    assert!(
        unmapped.iter().any(|u| u.reason.contains("too deep")),
        "{unmapped:#?}"
    );
    write_and_reread(&invoice);
}

#[test]
fn writing_the_default_invoice_gives_well_formed_cii() {
    let invoice = Invoice::default();
    let xml = cii::write(&invoice);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let doc = parse_written(&xml);
    let root = doc.root_element();
    assert!(root.has_name(RSM_NS, "CrossIndustryInvoice"));
    let prefixes: Vec<&str> = root.namespace_declarations().map(|(p, _)| p).collect();
    assert_eq!(prefixes, ["rsm", "ram", "udt", "qdt"]);
    let (again, unmapped) = cii::read(&doc);
    assert_eq!(again, invoice);
    assert!(unmapped.is_empty(), "{unmapped:#?}");
}

#[test]
fn empty_values_read_back_in_the_normal_form() {
    use egov_xrechnung::model::*;
    let invoice = Invoice {
        buyer_reference: Some(String::new()),
        project_reference: Some(String::new()),
        tender_or_lot_reference: Some(String::new()),
        invoiced_object_identifier: Some(ObjectIdentifier::default()),
        invoice_notes: vec![InvoiceNote::default()],
        seller: Seller {
            contact: Some(Contact::default()),
            electronic_address: Some(ElectronicAddress::default()),
            identifiers: vec![Identifier::new("1"), Identifier::with_scheme("2", "0088")],
            ..Seller::default()
        },
        payee: Some(Payee::default()),
        seller_tax_representative: Some(SellerTaxRepresentative::default()),
        delivery_information: Some(DeliveryInformation::default()),
        invoicing_period: Some(Period::default()),
        payment_instructions: Some(PaymentInstructions {
            credit_transfers: vec![
                CreditTransfer::default(),
                CreditTransfer {
                    payment_service_provider_identifier: Some("BIC".into()),
                    ..CreditTransfer::default()
                },
                CreditTransfer {
                    payment_account_identifier: "123/456".into(),
                    ..CreditTransfer::default()
                },
            ],
            ..PaymentInstructions::default()
        }),
        vat_breakdowns: vec![VatBreakdown::default()],
        additional_supporting_documents: vec![AdditionalSupportingDocument {
            attached_document: Some(AttachedDocument::default()),
            ..AdditionalSupportingDocument::default()
        }],
        invoice_lines: vec![InvoiceLine {
            item_information: ItemInformation {
                attributes: vec![ItemAttribute::default()],
                classification_identifiers: vec![ItemClassificationIdentifier::default()],
                ..ItemInformation::default()
            },
            price_details: PriceDetails {
                item_price_discount: Some(d("1.50")),
                item_price_base_quantity_unit_code: Some("H87".into()),
                ..PriceDetails::default()
            },
            ..InvoiceLine::default()
        }],
        ..Invoice::default()
    };
    // Written and read back, empty optional values and groups are absent (the normal form both
    // readers share), values that carry something stay, and the normal form is stable.
    let xml = cii::write(&invoice);
    let (once, _) = cii::read(&parse_written(&xml));
    assert_eq!(once.buyer_reference, None);
    assert_eq!(once.invoiced_object_identifier, None);
    assert_eq!(once.seller.contact, None);
    assert_eq!(once.seller.electronic_address, None);
    assert_eq!(once.seller.identifiers, invoice.seller.identifiers);
    assert_eq!(once.invoicing_period, None);
    assert_eq!(
        once.invoice_lines[0].price_details.item_price_discount,
        Some(d("1.50"))
    );
    write_and_reread(&once);
}

#[test]
fn payment_instructions_only_in_remittance_information() {
    let invoice = Invoice {
        payment_instructions: Some(PaymentInstructions {
            remittance_information: Some("Ref 1".into()),
            ..PaymentInstructions::default()
        }),
        ..Invoice::default()
    };
    let (xml, _) = write_and_reread(&invoice);
    assert!(
        !xml.contains("SpecifiedTradeSettlementPaymentMeans"),
        "{xml}"
    );
}

#[test]
fn tax_totals_are_assigned_by_currency() {
    let xml = cii_doc(
        "<ram:ID>R-1</ram:ID>",
        r#"<ram:ApplicableHeaderTradeAgreement/><ram:ApplicableHeaderTradeDelivery/>
           <ram:ApplicableHeaderTradeSettlement>
             <ram:TaxCurrencyCode>GBP</ram:TaxCurrencyCode>
             <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
             <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
               <ram:TaxTotalAmount currencyID="GBP">16.50</ram:TaxTotalAmount>
               <ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount>
               <ram:TaxTotalAmount currencyID="USD">20.00</ram:TaxTotalAmount>
             </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
           </ram:ApplicableHeaderTradeSettlement>"#,
    );
    let (invoice, unmapped) = read_str(&xml);
    let t = &invoice.document_totals;
    assert_eq!(t.invoice_total_vat_amount, Some(d("19.00")));
    assert_eq!(
        t.invoice_total_vat_amount_in_accounting_currency,
        Some(d("16.50"))
    );
    assert_eq!(unmapped.len(), 1, "{unmapped:#?}");
    assert!(unmapped[0].reason.contains("USD"));
    let (written, _) = write_and_reread(&invoice);
    assert!(written.contains(r#"<ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount>"#));
    assert!(written.contains(r#"<ram:TaxTotalAmount currencyID="GBP">16.50</ram:TaxTotalAmount>"#));
}

#[test]
fn a_non_cii_document_is_reported_not_read() {
    let (invoice, unmapped) = read_str("<Invoice><ID>1</ID></Invoice>");
    assert_eq!(invoice, Invoice::default());
    assert_eq!(unmapped.len(), 2, "{unmapped:#?}");
}

/// A small xorshift generator, so the mutation test is deterministic without extra crates.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The fuzz target's property on structural mutations of the corpus (dropped, duplicated and
/// swapped lines of the pretty-printed instances; `cargo fuzz` itself is not run in CI): no panic,
/// well-formed output, and read → write → read keeps the model.
#[test]
fn mutated_corpus_documents_round_trip_without_panicking() {
    let Some(shared) = shared_dir("mutated_corpus_documents_round_trip_without_panicking") else {
        return;
    };
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut tried, mut parsed) = (0, 0);
    let mut failures = Vec::new();
    for path in corpus(&shared) {
        let source = std::fs::read_to_string(&path).unwrap();
        if !source.contains("CrossIndustryInvoice") {
            continue;
        }
        let lines: Vec<&str> = source.lines().collect();
        for _ in 0..30 {
            let mut variant = lines.clone();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(variant.len());
                match rng.below(3) {
                    0 => {
                        variant.remove(i);
                    }
                    1 => variant.insert(i, variant[i]),
                    _ if i + 1 < variant.len() => variant.swap(i, i + 1),
                    _ => {}
                }
            }
            tried += 1;
            let text = variant.join("\n");
            let Ok(doc) = Document::parse(text.as_bytes(), &invoice_limits()) else {
                continue;
            };
            parsed += 1;
            let (first, _) = cii::read(&doc);
            let xml = cii::write(&first);
            let (second, _) = cii::read(&parse_written(&xml));
            if second != first {
                failures.push(format!(
                    "{}:\n{}",
                    path.display(),
                    json_diff(&first, &second)
                ));
            }
        }
    }
    println!(
        "cii mutations: {parsed} well-formed of {tried}, {} changed",
        failures.len()
    );
    assert!(parsed > 100, "too few well-formed mutations: {parsed}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
