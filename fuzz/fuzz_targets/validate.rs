//! Fuzzes the whole validator (well-formedness, scenario, XML Schema, CEN and XRechnung rules,
//! report): no input may panic, and every report serialises to JSON that parses again.
#![no_main]

use egov_xrechnung::Validator;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = Validator::xrechnung().validate(data);
    assert_eq!(report.valid, report.fatal.is_empty(), "{report:?}");
    let json = report.to_json();
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "{json}");
});
