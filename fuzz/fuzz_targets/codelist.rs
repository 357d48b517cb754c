//! Fuzzes the genericode reader: no input may panic.
#![no_main]

use egov_core::codelist::CodeList;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = CodeList::parse(data) {
        for code in list.codes() {
            let _ = list.lookup(code);
        }
    }
});
