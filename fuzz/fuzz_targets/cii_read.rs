//! Fuzzes the CII D16B reader and writer of egov-xrechnung: no input may panic, and whatever the
//! reader makes of a parsed document, the writer must produce well-formed XML that reads again.
#![no_main]

use egov_core::xml::{Document, Limits};
use egov_xrechnung::{cii, invoice_limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = Document::parse(data, &invoice_limits()) else {
        return;
    };
    let (invoice, _unmapped) = cii::read(&doc);
    let xml = cii::write(&invoice);
    // The written document may have more elements than its source (every line item gets its
    // required children), so only well-formedness is checked here, not the input limits.
    let unlimited = Limits {
        max_bytes: usize::MAX,
        max_depth: 1_000,
        max_elements: usize::MAX,
        max_attributes: 1_000,
        max_text_len: usize::MAX,
    };
    let written = match Document::parse(xml.as_bytes(), &unlimited) {
        Ok(written) => written,
        Err(e) => panic!("cii::write produced malformed XML ({e}):\n{xml}"),
    };
    let (again, _) = cii::read(&written);
    let _ = cii::write(&again);
});
