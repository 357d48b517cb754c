//! Status codes: what every fallible entry point returns.
//!
//! The numbers are part of the ABI. They are grouped per crate and **append-only**: a code, once
//! released, keeps its number and meaning forever; a code that is no longer produced is never
//! reused for something else. New codes are added at the end of their group.

use std::ffi::{c_char, CStr};

/// The result of every fallible function: `EGOV_OK` (0) or one of the `EGOV_…` error codes.
///
/// Groups: 0 success; 1–99 generic (arguments, panics); 1000–1999 egov-core (the XML parser:
/// one code per error kind); 2000–2999 egov-efile (reserved); 3000–3999 egov-xrechnung;
/// 4000–4999 egov-auth (reserved); 5000–5999 egov-forms (reserved). Append-only: a released code
/// keeps its number and meaning forever and is never reused. The detailed message of a failure is
/// available from `egov_last_error_message` on the same thread.
pub type EgovStatus = i32;

/// Success.
pub const EGOV_OK: EgovStatus = 0;

/// A pointer argument that must not be NULL was NULL (an input pointer may be NULL only when its
/// length is 0).
pub const EGOV_NULL_ARGUMENT: EgovStatus = 1;
/// A text input (e.g. invoice JSON) is not valid UTF-8.
pub const EGOV_INVALID_UTF8: EgovStatus = 2;
/// The library panicked (a bug in egov); the message is the panic message. The call had no
/// effect on its out-parameters; the library remains usable.
pub const EGOV_PANIC: EgovStatus = 3;
/// An argument is out of its range: an unknown syntax number, a length larger than `PTRDIFF_MAX`.
pub const EGOV_INVALID_ARGUMENT: EgovStatus = 4;
/// An error this version of the ABI has no code of its own for (the message says what it is).
/// A later version may give such an error a specific code.
pub const EGOV_UNCLASSIFIED: EgovStatus = 5;

/// XML: the input contains a `<!DOCTYPE …>`; DTDs are never processed (XXE, billion laughs).
pub const EGOV_XML_DTD_FORBIDDEN: EgovStatus = 1001;
/// XML: the input is larger than the parser's byte limit.
pub const EGOV_XML_TOO_LARGE: EgovStatus = 1002;
/// XML: elements are nested deeper than the parser's depth limit.
pub const EGOV_XML_TOO_DEEP: EgovStatus = 1003;
/// XML: more elements than the parser's element limit.
pub const EGOV_XML_TOO_MANY_ELEMENTS: EgovStatus = 1004;
/// XML: more attributes on one element than the parser's attribute limit.
pub const EGOV_XML_TOO_MANY_ATTRIBUTES: EgovStatus = 1005;
/// XML: a text, CDATA section, comment, processing instruction or attribute value is longer than
/// the parser's text limit.
pub const EGOV_XML_TEXT_TOO_LONG: EgovStatus = 1006;
/// XML: the input is not UTF-8 (invalid bytes, a UTF-16 byte order mark, another declared
/// encoding).
pub const EGOV_XML_ENCODING: EgovStatus = 1007;
/// XML: an attribute occurs twice on one element.
pub const EGOV_XML_DUPLICATE_ATTRIBUTE: EgovStatus = 1008;
/// XML: a namespace prefix is used that no declaration in scope binds.
pub const EGOV_XML_UNDECLARED_PREFIX: EgovStatus = 1009;
/// XML: the input is not well-formed XML 1.0 with namespaces.
pub const EGOV_XML_MALFORMED: EgovStatus = 1010;

/// XRechnung: the root element is neither a UBL 2.1 Invoice/CreditNote nor a UN/CEFACT CII D16B
/// CrossIndustryInvoice.
pub const EGOV_XRECHNUNG_UNKNOWN_SYNTAX: EgovStatus = 3001;
/// XRechnung: the invoice JSON is not valid JSON or does not match the invoice model (the message
/// gives line and column).
pub const EGOV_XRECHNUNG_INVALID_JSON: EgovStatus = 3002;

/// Every status code with its name, in the order of the header. Kept in step with the constants
/// above by a test that reads this file.
pub(crate) const ALL: &[(EgovStatus, &CStr)] = &[
    (EGOV_OK, c"EGOV_OK"),
    (EGOV_NULL_ARGUMENT, c"EGOV_NULL_ARGUMENT"),
    (EGOV_INVALID_UTF8, c"EGOV_INVALID_UTF8"),
    (EGOV_PANIC, c"EGOV_PANIC"),
    (EGOV_INVALID_ARGUMENT, c"EGOV_INVALID_ARGUMENT"),
    (EGOV_UNCLASSIFIED, c"EGOV_UNCLASSIFIED"),
    (EGOV_XML_DTD_FORBIDDEN, c"EGOV_XML_DTD_FORBIDDEN"),
    (EGOV_XML_TOO_LARGE, c"EGOV_XML_TOO_LARGE"),
    (EGOV_XML_TOO_DEEP, c"EGOV_XML_TOO_DEEP"),
    (EGOV_XML_TOO_MANY_ELEMENTS, c"EGOV_XML_TOO_MANY_ELEMENTS"),
    (
        EGOV_XML_TOO_MANY_ATTRIBUTES,
        c"EGOV_XML_TOO_MANY_ATTRIBUTES",
    ),
    (EGOV_XML_TEXT_TOO_LONG, c"EGOV_XML_TEXT_TOO_LONG"),
    (EGOV_XML_ENCODING, c"EGOV_XML_ENCODING"),
    (
        EGOV_XML_DUPLICATE_ATTRIBUTE,
        c"EGOV_XML_DUPLICATE_ATTRIBUTE",
    ),
    (EGOV_XML_UNDECLARED_PREFIX, c"EGOV_XML_UNDECLARED_PREFIX"),
    (EGOV_XML_MALFORMED, c"EGOV_XML_MALFORMED"),
    (
        EGOV_XRECHNUNG_UNKNOWN_SYNTAX,
        c"EGOV_XRECHNUNG_UNKNOWN_SYNTAX",
    ),
    (EGOV_XRECHNUNG_INVALID_JSON, c"EGOV_XRECHNUNG_INVALID_JSON"),
];

/// What `egov_status_name` returns for a number that is not a status code of this library.
pub(crate) const UNKNOWN_NAME: &CStr = c"unknown";

/// The name of a status code, e.g. `EGOV_XML_MALFORMED`.
pub(crate) fn name(status: EgovStatus) -> &'static CStr {
    ALL.iter()
        .find(|(code, _)| *code == status)
        .map_or(UNKNOWN_NAME, |(_, name)| *name)
}

/// The name of a status code as a static NUL-terminated string, e.g. `"EGOV_XML_MALFORMED"` for
/// 1010, or `"unknown"` for a number that is not a status code of this library version. Never
/// NULL; the string must not be freed. Handy for wrappers (exception names, logs).
#[no_mangle]
pub extern "C" fn egov_status_name(status: EgovStatus) -> *const c_char {
    name(status).as_ptr()
}

/// The status of an XML error kind (one code per kind; a kind added to egov-core later maps to
/// [`EGOV_UNCLASSIFIED`] until it gets its own code).
pub(crate) fn xml_status(kind: egov_core::xml::XmlErrorKind) -> EgovStatus {
    use egov_core::xml::XmlErrorKind as K;
    match kind {
        K::DtdForbidden => EGOV_XML_DTD_FORBIDDEN,
        K::TooLarge => EGOV_XML_TOO_LARGE,
        K::TooDeep => EGOV_XML_TOO_DEEP,
        K::TooManyElements => EGOV_XML_TOO_MANY_ELEMENTS,
        K::TooManyAttributes => EGOV_XML_TOO_MANY_ATTRIBUTES,
        K::TextTooLong => EGOV_XML_TEXT_TOO_LONG,
        K::Encoding => EGOV_XML_ENCODING,
        K::DuplicateAttribute => EGOV_XML_DUPLICATE_ATTRIBUTE,
        K::UndeclaredPrefix => EGOV_XML_UNDECLARED_PREFIX,
        K::Malformed => EGOV_XML_MALFORMED,
        _ => EGOV_UNCLASSIFIED,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    /// Every `pub const EGOV_…: EgovStatus = N;` of this file is in [`ALL`] with its own name, in
    /// the same order, and no number is used twice.
    #[test]
    fn table_lists_every_constant() {
        let source = include_str!("status.rs");
        let declared: Vec<(String, i32)> = source
            .lines()
            .filter_map(|l| l.strip_prefix("pub const "))
            .filter_map(|l| {
                let (name, rest) = l.split_once(": EgovStatus = ")?;
                Some((name.to_owned(), rest.trim_end_matches(';').parse().ok()?))
            })
            .collect();
        let table: Vec<(String, i32)> = ALL
            .iter()
            .map(|(code, name)| (name.to_str().unwrap().to_owned(), *code))
            .collect();
        assert_eq!(declared, table);
        let mut codes: Vec<i32> = table.iter().map(|(_, c)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), table.len(), "a status number is used twice");
    }

    #[test]
    fn every_xml_kind_has_its_code() {
        use egov_core::xml::XmlErrorKind as K;
        let kinds = [
            K::DtdForbidden,
            K::TooLarge,
            K::TooDeep,
            K::TooManyElements,
            K::TooManyAttributes,
            K::TextTooLong,
            K::Encoding,
            K::DuplicateAttribute,
            K::UndeclaredPrefix,
            K::Malformed,
        ];
        for kind in kinds {
            let code = xml_status(kind);
            assert!((1000..2000).contains(&code), "{kind}");
            let expected = format!("EGOV_XML_{}", kind.as_str().to_ascii_uppercase());
            assert_eq!(name(code).to_str().unwrap(), expected);
        }
    }

    #[test]
    fn names() {
        assert_eq!(name(EGOV_OK), c"EGOV_OK");
        assert_eq!(name(EGOV_PANIC), c"EGOV_PANIC");
        assert_eq!(name(-7), UNKNOWN_NAME);
        assert_eq!(name(2000), UNKNOWN_NAME);
    }
}
