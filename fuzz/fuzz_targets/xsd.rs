//! Fuzzes the XML Schema step: arbitrary XML validated against the compiled UBL 2.1 Invoice
//! schema (and, by the first byte, the CII schema) must never panic, and the reported positions
//! must lie inside the document. Inputs starting with `%` are instead compiled as a schema
//! document, and inputs starting with `#` loaded as a compact compiled form: both may fail, but
//! only with an error.
#![no_main]

use egov_core::xml::{Document, Limits};
use egov_core::xsd::SchemaSet;
use egov_xrechnung::schema;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match data.first() {
        Some(b'%') => {
            let text = &data[1..];
            if let Ok(set) =
                SchemaSet::compile("f.xsd", |loc: &str| (loc == "f.xsd").then_some(text))
            {
                let _ = set.to_bytes();
            }
            return;
        }
        Some(b'#') => {
            if let Ok(set) = SchemaSet::from_bytes(&data[1..]) {
                if let Ok(doc) = Document::parse_default(b"<a/>") {
                    let _ = set.validate(&doc);
                }
            }
            return;
        }
        _ => {}
    }
    let limits = Limits {
        max_bytes: 64 * 1024,
        max_depth: 64,
        max_elements: 10_000,
        max_attributes: 64,
        max_text_len: 16 * 1024,
    };
    let Ok(doc) = Document::parse(data, &limits) else {
        return;
    };
    let set = match schema::for_document(&doc) {
        Some(s) => s,
        None if data.len().is_multiple_of(2) => schema::ubl_invoice(),
        None => schema::cii(),
    };
    let Ok(set) = set else { return };
    let lines = doc.source().lines().count() as u32 + 1;
    for v in set.validate(&doc) {
        assert!(v.line >= 1 && v.line <= lines, "{v}");
        assert!(!v.message.is_empty() && v.path.starts_with('/'));
    }
});
