//! Code lists of EN 16931-1 / XRechnung 3.0.2 and the code types of the invoice model.
//!
//! # Data, not code
//! The official lists are the ones the CEN validation artefacts 1.3.15 write literally into their
//! code-list rules (BR-CL-01 … BR-CL-26) plus the few lists the XRechnung 3.0.2 schematron adds
//! (Extension, CVD). They live as data files in `data/codelists/*.txt` (one code per line, `#`
//! header naming rule and source; see `data/README.md`), are compiled in with [`include_str!`] and
//! parsed once, on first use, into a sorted slice that is searched by binary search. A new release
//! is a new data file.
//!
//! # Code types keep every value
//! Each code-valued business term has a newtype over [`String`] (e.g. [`CurrencyCode`]) that keeps
//! *any* value verbatim — readers never drop or "correct" data — and knows whether the value is in
//! the official list ([`CurrencyCode::is_known`]). Membership is tested like the schematron does
//! it: the value is stripped of XML whitespace (`normalize-space`), and a value with inner
//! whitespace is never known. `is_known` reports list membership as published; it does not
//! reproduce quirks of individual XPath tests (the ICD literal in BR-CL-10/11/21/26 lacks its
//! trailing space, so those rules never accept `0244`; `is_known` does).
//!
//! Where UBL and CII rules publish different lists for the same term, both lists are available as
//! [`CodeList`]s and `is_known` accepts a value that either syntax accepts.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// One official code list, read from a data file under `data/codelists/`.
///
/// The list is parsed on first use (thread-safe, once) and kept as a sorted, de-duplicated slice.
#[derive(Debug)]
pub struct CodeList {
    file: &'static str,
    text: &'static str,
    codes: OnceLock<Vec<&'static str>>,
}

impl CodeList {
    const fn new(file: &'static str, text: &'static str) -> Self {
        CodeList {
            file,
            text,
            codes: OnceLock::new(),
        }
    }

    /// File name of the data file (under `data/codelists/`).
    pub fn file_name(&self) -> &'static str {
        self.file
    }

    /// Title of the list (first header line of the data file).
    pub fn title(&self) -> &'static str {
        self.header().next().unwrap_or("")
    }

    /// Header lines of the data file (lines starting with `#`), without the `#` and surrounding
    /// blanks.
    pub fn header(&self) -> impl Iterator<Item = &'static str> {
        self.text
            .lines()
            .filter_map(|l| l.trim().strip_prefix('#'))
            .map(str::trim)
    }

    /// The codes in the order of the data file (= order of the rule text).
    pub fn codes_in_source_order(&self) -> impl Iterator<Item = &'static str> {
        self.text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
    }

    /// All codes, sorted ascending (byte order) and unique.
    pub fn codes(&self) -> &[&'static str] {
        self.codes.get_or_init(|| {
            let mut v: Vec<&'static str> = self.codes_in_source_order().collect();
            v.sort_unstable();
            v.dedup();
            v
        })
    }

    /// Whether `code` is in the list (exact, case-sensitive comparison; no whitespace handling).
    pub fn contains(&self, code: &str) -> bool {
        self.codes().binary_search(&code).is_ok()
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.codes().len()
    }

    /// Whether the list has no codes (never true for the shipped data files).
    pub fn is_empty(&self) -> bool {
        self.codes().is_empty()
    }
}

macro_rules! code_list {
    ($(#[$meta:meta])* $name:ident, $file:literal) => {
        $(#[$meta])*
        pub static $name: CodeList =
            CodeList::new($file, include_str!(concat!("../data/codelists/", $file)));
    };
}

code_list!(
    /// ISO 4217 alpha-3 currency codes (BR-CL-03, BR-CL-04, BR-CL-05): BT-5, BT-6.
    ISO_4217, "iso-4217.txt"
);
code_list!(
    /// ISO 3166-1 alpha-2 country codes as listed in the UBL rules BR-CL-14/15: BT-40, BT-55,
    /// BT-69, BT-80, BT-159.
    ISO_3166_1_UBL, "iso-3166-1-alpha2-ubl.txt"
);
code_list!(
    /// ISO 3166-1 alpha-2 country codes as listed in the CII rules BR-CL-14/15: BT-40, BT-55,
    /// BT-69, BT-80, BT-159.
    ISO_3166_1_CII, "iso-3166-1-alpha2-cii.txt"
);
code_list!(
    /// UNTDID 1001 invoice and credit note type codes (CII BR-CL-01; the union of both UBL lists):
    /// BT-3.
    UNTDID_1001, "untdid-1001.txt"
);
code_list!(
    /// UNTDID 1001 codes a UBL `Invoice` may carry (UBL BR-CL-01, `cbc:InvoiceTypeCode`): BT-3.
    UNTDID_1001_UBL_INVOICE, "untdid-1001-ubl-invoice.txt"
);
code_list!(
    /// UNTDID 1001 codes a UBL `CreditNote` may carry (UBL BR-CL-01, `cbc:CreditNoteTypeCode`):
    /// BT-3.
    UNTDID_1001_UBL_CREDIT_NOTE, "untdid-1001-ubl-creditnote.txt"
);
code_list!(
    /// UNTDID 2005 subset for the value added tax point date code (UBL BR-CL-06): BT-8.
    UNTDID_2005_VAT_POINT_DATE, "untdid-2005-vat-point-date.txt"
);
code_list!(
    /// UNTDID 2475 subset in which CII writes the value added tax point date code (CII BR-CL-06):
    /// BT-8.
    UNTDID_2475_VAT_POINT_DATE, "untdid-2475-vat-point-date.txt"
);
code_list!(
    /// UNTDID 1153 reference code qualifiers (BR-CL-07): BT-18-1, BT-128-1.
    UNTDID_1153, "untdid-1153.txt"
);
code_list!(
    /// UNTDID 4451 text subject codes as listed in the UBL rule BR-CL-08: BT-21.
    UNTDID_4451_UBL, "untdid-4451-ubl.txt"
);
code_list!(
    /// UNTDID 4451 text subject codes as listed in the CII rule BR-CL-08: BT-21.
    UNTDID_4451_CII, "untdid-4451-cii.txt"
);
code_list!(
    /// ISO 6523 ICD identification schemes (BR-CL-10, -11, -21, -26): BT-29-1, BT-30-1, BT-46-1,
    /// BT-47-1, BT-60-1, BT-61-1, BT-71-1, BT-157-1.
    ISO_6523_ICD, "iso-6523-icd.txt"
);
code_list!(
    /// UNTDID 7143 item type identification codes (BR-CL-13): BT-158-1.
    UNTDID_7143, "untdid-7143.txt"
);
code_list!(
    /// UNTDID 4461 payment means codes (BR-CL-16): BT-81.
    UNTDID_4461, "untdid-4461.txt"
);
code_list!(
    /// UNTDID 5305 VAT category codes (BR-CL-17, BR-CL-18): BT-95, BT-102, BT-118, BT-151.
    UNTDID_5305, "untdid-5305.txt"
);
code_list!(
    /// UNTDID 5189 allowance reason codes (BR-CL-19): BT-98, BT-140.
    UNTDID_5189, "untdid-5189.txt"
);
code_list!(
    /// UNTDID 7161 charge reason codes (BR-CL-20): BT-105, BT-145.
    UNTDID_7161, "untdid-7161.txt"
);
code_list!(
    /// CEF VATEX VAT exemption reason codes (BR-CL-22): BT-121.
    CEF_VATEX, "cef-vatex.txt"
);
code_list!(
    /// UN/ECE Recommendation 20 unit codes with the Recommendation 21 extension (BR-CL-23): BT-130,
    /// BT-150.
    UNECE_REC20_REC21, "unece-rec20-rec21.txt"
);
code_list!(
    /// MIME media types for attached documents (BR-CL-24): BT-125-1.
    MIME_ATTACHMENT, "mime-attachment.txt"
);
code_list!(
    /// CEF EAS electronic address schemes (BR-CL-25): BT-34-1, BT-49-1.
    CEF_EAS, "cef-eas.txt"
);
code_list!(
    /// MIME media types for attached documents in the XRechnung Extension (BR-DEX-01; adds
    /// `application/xml`).
    XRECHNUNG_MIME_ATTACHMENT_EXTENSION, "xrechnung-mime-attachment-extension.txt"
);
code_list!(
    /// DiGA codes the XRechnung Extension accepts in addition to ICD and EAS scheme codes
    /// (BR-DEX-04 … -08).
    XRECHNUNG_DIGA, "xrechnung-diga.txt"
);
code_list!(
    /// The item classification scheme `CVD` of the XRechnung CVD profile (BR-TMP-CVD-01): BT-158-1.
    XRECHNUNG_CVD_CLASSIFICATION_SCHEME, "xrechnung-cvd-classification-scheme.txt"
);
code_list!(
    /// CVD vehicle categories allowed in BT-158 with scheme `CVD` (BR-DE-CVD-04).
    XRECHNUNG_CVD_VEHICLE_CATEGORY, "xrechnung-cvd-vehicle-category.txt"
);
code_list!(
    /// CVD clean vehicle attribute values allowed in BT-161 when BT-160 is `cva` (BR-DE-CVD-05).
    XRECHNUNG_CVD_CVA, "xrechnung-cvd-cva.txt"
);

/// Every shipped code list (for tooling, documentation and tests).
pub static ALL_CODE_LISTS: [&CodeList; 26] = [
    &ISO_4217,
    &ISO_3166_1_UBL,
    &ISO_3166_1_CII,
    &UNTDID_1001,
    &UNTDID_1001_UBL_INVOICE,
    &UNTDID_1001_UBL_CREDIT_NOTE,
    &UNTDID_2005_VAT_POINT_DATE,
    &UNTDID_2475_VAT_POINT_DATE,
    &UNTDID_1153,
    &UNTDID_4451_UBL,
    &UNTDID_4451_CII,
    &ISO_6523_ICD,
    &UNTDID_7143,
    &UNTDID_4461,
    &UNTDID_5305,
    &UNTDID_5189,
    &UNTDID_7161,
    &CEF_VATEX,
    &UNECE_REC20_REC21,
    &MIME_ATTACHMENT,
    &CEF_EAS,
    &XRECHNUNG_MIME_ATTACHMENT_EXTENSION,
    &XRECHNUNG_DIGA,
    &XRECHNUNG_CVD_CLASSIFICATION_SCHEME,
    &XRECHNUNG_CVD_VEHICLE_CATEGORY,
    &XRECHNUNG_CVD_CVA,
];

/// Strips XML whitespace (space, tab, CR, LF) from both ends, like XPath `normalize-space` does for
/// a token.
fn token(value: &str) -> &str {
    value.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// Whether `value` (after [`token`]) is a single token in `list`.
fn in_list(list: &CodeList, value: &str) -> bool {
    let t = token(value);
    !t.is_empty() && list.contains(t)
}

macro_rules! code_type {
    ($(#[$meta:meta])* $name:ident, |$v:ident| $known:expr) => {
        $(#[$meta])*
        ///
        /// Keeps any value verbatim (serialised as a plain JSON string); an empty value stands for
        /// a missing required code.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[derive(Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a code value as written in the document.
            pub fn new(code: impl Into<String>) -> Self {
                $name(code.into())
            }

            /// The code as written in the document.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether the value is empty (a required code that the document did not carry).
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// Whether the value (without surrounding XML whitespace) is in the official code list.
            pub fn is_known(&self) -> bool {
                let $v: &str = &self.0;
                $known
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(code: &str) -> Self {
                $name(code.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(code: String) -> Self {
                $name(code)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

code_type!(
    /// ISO 4217 alpha-3 currency code — BT-5 Invoice currency code, BT-6 VAT accounting currency
    /// code.
    CurrencyCode,
    |v| in_list(&ISO_4217, v)
);

code_type!(
    /// ISO 3166-1 alpha-2 country code — BT-40, BT-55, BT-69, BT-80 (country codes of the
    /// addresses), BT-159 Item country of origin. Known if either the UBL or the CII list of
    /// BR-CL-14 has it.
    CountryCode,
    |v| in_list(&ISO_3166_1_UBL, v) || in_list(&ISO_3166_1_CII, v)
);

code_type!(
    /// UNTDID 1001 document type code — BT-3 Invoice type code.
    InvoiceTypeCode,
    |v| in_list(&UNTDID_1001, v)
);

impl InvoiceTypeCode {
    /// Whether the code denotes a credit note, i.e. is one of the codes that the UBL syntax writes
    /// as a `CreditNote` document (`cbc:CreditNoteTypeCode`, UBL BR-CL-01: 81, 83, 261, 262, 296,
    /// 308, 381, 396, 420, 458, 532). Code 81 is also allowed in a UBL `Invoice`; it is a credit
    /// note by its UNTDID 1001 meaning.
    pub fn is_credit_note(&self) -> bool {
        in_list(&UNTDID_1001_UBL_CREDIT_NOTE, &self.0)
    }

    /// Whether a UBL `Invoice` document may carry the code (UBL BR-CL-01, `cbc:InvoiceTypeCode`).
    pub fn is_allowed_in_ubl_invoice(&self) -> bool {
        in_list(&UNTDID_1001_UBL_INVOICE, &self.0)
    }

    /// Whether a UBL `CreditNote` document may carry the code (UBL BR-CL-01,
    /// `cbc:CreditNoteTypeCode`).
    pub fn is_allowed_in_ubl_credit_note(&self) -> bool {
        in_list(&UNTDID_1001_UBL_CREDIT_NOTE, &self.0)
    }
}

code_type!(
    /// UNTDID 2005 subset (3, 35, 432) — BT-8 Value added tax point date code. CII writes the same
    /// meaning in UNTDID 2475 (5, 29, 72); see [`VatPointDateCode::from_untdid_2475`].
    VatPointDateCode,
    |v| in_list(&UNTDID_2005_VAT_POINT_DATE, v)
);

/// EN 16931-3-3 binding of BT-8 in CII: pairs (UNTDID 2005 code of the model, UNTDID 2475 code in
/// CII).
const VAT_POINT_DATE_2005_2475: [(&str, &str); 3] = [("3", "5"), ("35", "29"), ("432", "72")];

impl VatPointDateCode {
    /// Converts a CII `ram:DueDateTypeCode` (UNTDID 2475: 5, 29, 72) into the model's UNTDID 2005
    /// code (3, 35, 432). Any other value is kept verbatim, so nothing is lost (it is then not
    /// [`is_known`](Self::is_known)).
    pub fn from_untdid_2475(cii_code: &str) -> Self {
        let t = token(cii_code);
        match VAT_POINT_DATE_2005_2475.iter().find(|(_, c)| *c == t) {
            Some((m, _)) => VatPointDateCode((*m).to_owned()),
            None => VatPointDateCode(cii_code.to_owned()),
        }
    }

    /// The UNTDID 2475 code CII uses for this value (5, 29, 72), or the value verbatim if it has no
    /// counterpart.
    pub fn to_untdid_2475(&self) -> &str {
        let t = token(&self.0);
        match VAT_POINT_DATE_2005_2475.iter().find(|(m, _)| *m == t) {
            Some((_, c)) => c,
            None => &self.0,
        }
    }
}

code_type!(
    /// UNTDID 1153 reference code qualifier — BT-18-1 Invoiced object identifier scheme identifier,
    /// BT-128-1 Invoice line object identifier scheme identifier.
    ObjectSchemeCode,
    |v| in_list(&UNTDID_1153, v)
);

code_type!(
    /// UNTDID 4451 text subject code — BT-21 Invoice note subject code. Known if either the UBL or
    /// the CII list of BR-CL-08 has it.
    NoteSubjectCode,
    |v| in_list(&UNTDID_4451_UBL, v) || in_list(&UNTDID_4451_CII, v)
);

code_type!(
    /// ISO 6523 ICD identification scheme — scheme identifier of BT-29, BT-30, BT-46, BT-47, BT-60,
    /// BT-61, BT-71, BT-157 (the `…-1` terms).
    IcdCode,
    |v| in_list(&ISO_6523_ICD, v)
);

impl IcdCode {
    /// Whether the scheme is known in the XRechnung Extension, which also accepts the DiGA codes
    /// (BR-DEX-04 … -08).
    pub fn is_known_extension(&self) -> bool {
        self.is_known() || in_list(&XRECHNUNG_DIGA, &self.0)
    }
}

code_type!(
    /// CEF EAS electronic address scheme — BT-34-1 Seller and BT-49-1 Buyer electronic address
    /// scheme identifier.
    EasCode,
    |v| in_list(&CEF_EAS, v)
);

impl EasCode {
    /// Whether the scheme is known in the XRechnung Extension, which also accepts the DiGA codes
    /// (BR-DEX-07).
    pub fn is_known_extension(&self) -> bool {
        self.is_known() || in_list(&XRECHNUNG_DIGA, &self.0)
    }
}

code_type!(
    /// UNTDID 7143 item type identification code — BT-158-1 Item classification identifier scheme
    /// identifier.
    ItemClassificationSchemeCode,
    |v| in_list(&UNTDID_7143, v)
);

impl ItemClassificationSchemeCode {
    /// Whether this is the Clean Vehicles Directive scheme `CVD` of the XRechnung CVD profile.
    pub fn is_cvd(&self) -> bool {
        in_list(&XRECHNUNG_CVD_CLASSIFICATION_SCHEME, &self.0)
    }

    /// Whether the scheme is known in the XRechnung CVD profile (UNTDID 7143 plus `CVD`,
    /// BR-TMP-CVD-01).
    pub fn is_known_cvd(&self) -> bool {
        self.is_known() || self.is_cvd()
    }
}

code_type!(
    /// UNTDID 4461 payment means code — BT-81 Payment means type code.
    PaymentMeansCode,
    |v| in_list(&UNTDID_4461, v)
);

code_type!(
    /// UNTDID 5305 VAT category code — BT-95, BT-102, BT-118, BT-151.
    VatCategoryCode,
    |v| in_list(&UNTDID_5305, v)
);

code_type!(
    /// CEF VATEX code — BT-121 VAT exemption reason code.
    VatExemptionReasonCode,
    |v| in_list(&CEF_VATEX, v)
);

code_type!(
    /// UNTDID 5189 allowance reason code — BT-98 Document level allowance reason code, BT-140
    /// Invoice line allowance reason code.
    AllowanceReasonCode,
    |v| in_list(&UNTDID_5189, v)
);

code_type!(
    /// UNTDID 7161 charge reason code — BT-105 Document level charge reason code, BT-145 Invoice
    /// line charge reason code.
    ChargeReasonCode,
    |v| in_list(&UNTDID_7161, v)
);

code_type!(
    /// UN/ECE Recommendation 20 (with Recommendation 21) unit of measure code — BT-130 Invoiced
    /// quantity unit of measure code, BT-150 Item price base quantity unit of measure code.
    UnitCode,
    |v| in_list(&UNECE_REC20_REC21, v)
);

code_type!(
    /// MIME media type — BT-125-1 Attached document Mime code. Compared exactly, like BR-CL-24
    /// does.
    MimeCode,
    |v| MIME_ATTACHMENT.contains(v)
);

impl MimeCode {
    /// Whether the type is allowed in the XRechnung Extension, which adds `application/xml`
    /// (BR-DEX-01).
    pub fn is_known_extension(&self) -> bool {
        XRECHNUNG_MIME_ATTACHMENT_EXTENSION.contains(&self.0)
    }
}

/// Whether `value` is a CVD vehicle category (BT-158 with scheme `CVD`, BR-DE-CVD-04: M1 … N3).
pub fn is_cvd_vehicle_category(value: &str) -> bool {
    in_list(&XRECHNUNG_CVD_VEHICLE_CATEGORY, value)
}

/// Whether `value` is a CVD clean vehicle attribute value (BT-161 for BT-160 `cva`, BR-DE-CVD-05).
pub fn is_cvd_clean_vehicle_attribute(value: &str) -> bool {
    in_list(&XRECHNUNG_CVD_CVA, value)
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
    use std::path::PathBuf;

    /// Expected number of codes per file, counted in the rule text of the source artefacts.
    const EXPECTED_COUNTS: [(&str, usize); 26] = [
        ("iso-4217.txt", 179),
        ("iso-3166-1-alpha2-ubl.txt", 251),
        ("iso-3166-1-alpha2-cii.txt", 251),
        ("untdid-1001.txt", 62),
        ("untdid-1001-ubl-invoice.txt", 52),
        ("untdid-1001-ubl-creditnote.txt", 11),
        ("untdid-2005-vat-point-date.txt", 3),
        ("untdid-2475-vat-point-date.txt", 3),
        ("untdid-1153.txt", 818),
        ("untdid-4451-ubl.txt", 383),
        ("untdid-4451-cii.txt", 401),
        ("iso-6523-icd.txt", 239),
        ("untdid-7143.txt", 185),
        ("untdid-4461.txt", 84),
        ("untdid-5305.txt", 10),
        ("untdid-5189.txt", 19),
        ("untdid-7161.txt", 178),
        ("cef-vatex.txt", 88),
        ("unece-rec20-rec21.txt", 2162),
        ("mime-attachment.txt", 6),
        ("cef-eas.txt", 100),
        ("xrechnung-mime-attachment-extension.txt", 7),
        ("xrechnung-diga.txt", 3),
        ("xrechnung-cvd-classification-scheme.txt", 1),
        ("xrechnung-cvd-vehicle-category.txt", 6),
        ("xrechnung-cvd-cva.txt", 3),
    ];

    fn header_value<'a>(list: &'a CodeList, key: &str) -> Vec<&'a str> {
        list.header()
            .filter_map(|h| h.strip_prefix(key))
            .map(str::trim)
            .collect()
    }

    #[test]
    fn every_data_file_loads_and_is_non_empty() {
        for list in ALL_CODE_LISTS {
            assert!(!list.is_empty(), "{} is empty", list.file_name());
            assert!(
                !list.title().is_empty(),
                "{} has no title",
                list.file_name()
            );
            assert_eq!(
                header_value(list, "source:").len(),
                1,
                "{}: one source line",
                list.file_name()
            );
            assert!(
                !header_value(list, "check:").is_empty(),
                "{}: no check line",
                list.file_name()
            );
            let source: Vec<_> = list.codes_in_source_order().collect();
            assert_eq!(
                source.len(),
                list.len(),
                "{}: duplicate codes",
                list.file_name()
            );
            assert!(
                source.iter().all(|c| !c.contains(char::is_whitespace)),
                "{}",
                list.file_name()
            );
            assert!(
                list.codes().windows(2).all(|w| w[0] < w[1]),
                "{}: not sorted",
                list.file_name()
            );
        }
    }

    #[test]
    fn counts_match_rule_text_and_header() {
        assert_eq!(ALL_CODE_LISTS.len(), EXPECTED_COUNTS.len());
        for (list, (file, count)) in ALL_CODE_LISTS.iter().zip(EXPECTED_COUNTS) {
            assert_eq!(list.file_name(), file);
            assert_eq!(list.len(), count, "{file}");
            assert_eq!(
                header_value(list, "count:"),
                vec![count.to_string().as_str()],
                "{file}"
            );
        }
    }

    #[test]
    fn every_data_file_is_listed_once() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/codelists");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".txt"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = ALL_CODE_LISTS
            .iter()
            .map(|l| l.file_name().to_owned())
            .collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn known_and_unknown_codes() {
        assert!(CurrencyCode::from("EUR").is_known());
        assert!(
            CurrencyCode::from(" EUR\n").is_known(),
            "normalize-space like the schematron"
        );
        assert!(!CurrencyCode::from("eur").is_known());
        assert!(!CurrencyCode::from("EURO").is_known());
        assert!(!CurrencyCode::from("").is_known());
        assert!(!CurrencyCode::from("EUR USD").is_known());

        assert!(CountryCode::from("DE").is_known());
        assert!(CountryCode::from("SS").is_known(), "UBL list");
        assert!(CountryCode::from("AN").is_known(), "CII list");
        assert!(!CountryCode::from("XX").is_known());
        assert!(
            CountryCode::from("1A").is_known(),
            "Kosovo as in the CEN list"
        );

        for c in [
            "380", "381", "384", "389", "326", "875", "876", "877", "81", "261",
        ] {
            assert!(InvoiceTypeCode::from(c).is_known(), "{c}");
        }
        assert!(!InvoiceTypeCode::from("999").is_known());
        for c in [
            "81", "83", "381", "396", "532", "261", "262", "296", "308", "420", "458",
        ] {
            assert!(InvoiceTypeCode::from(c).is_credit_note(), "{c}");
        }
        for c in ["380", "384", "389", "326", "875", "999", ""] {
            assert!(!InvoiceTypeCode::from(c).is_credit_note(), "{c}");
        }
        assert!(InvoiceTypeCode::from("81").is_allowed_in_ubl_invoice());
        assert!(InvoiceTypeCode::from("81").is_allowed_in_ubl_credit_note());
        assert!(!InvoiceTypeCode::from("381").is_allowed_in_ubl_invoice());

        assert!(VatCategoryCode::from("S").is_known());
        assert!(VatCategoryCode::from("AE").is_known());
        assert!(!VatCategoryCode::from("X").is_known());
        assert!(PaymentMeansCode::from("58").is_known());
        assert!(PaymentMeansCode::from("ZZZ").is_known());
        assert!(!PaymentMeansCode::from("99").is_known());
        assert!(UnitCode::from("C62").is_known());
        assert!(UnitCode::from("XPP").is_known());
        assert!(!UnitCode::from("PCS").is_known());
        assert!(EasCode::from("EM").is_known());
        assert!(EasCode::from("0204").is_known());
        assert!(!EasCode::from("XR01").is_known());
        assert!(EasCode::from("XR01").is_known_extension());
        assert!(IcdCode::from("0088").is_known());
        assert!(
            IcdCode::from("0244").is_known(),
            "list membership, not the XPath quirk"
        );
        assert!(!IcdCode::from("0001").is_known());
        assert!(IcdCode::from("XR03").is_known_extension());
        assert!(VatExemptionReasonCode::from("VATEX-EU-132-1A").is_known());
        assert!(!VatExemptionReasonCode::from("VATEX-XX").is_known());
        assert!(AllowanceReasonCode::from("95").is_known());
        assert!(!AllowanceReasonCode::from("TAC").is_known());
        assert!(ChargeReasonCode::from("TAC").is_known());
        assert!(!ChargeReasonCode::from("95").is_known());
        assert!(ObjectSchemeCode::from("ABZ").is_known());
        assert!(!ObjectSchemeCode::from("ABZZ").is_known());
        assert!(ItemClassificationSchemeCode::from("IB").is_known());
        assert!(!ItemClassificationSchemeCode::from("CVD").is_known());
        assert!(ItemClassificationSchemeCode::from("CVD").is_cvd());
        assert!(ItemClassificationSchemeCode::from("CVD").is_known_cvd());
        assert!(NoteSubjectCode::from("AAC").is_known());
        assert!(NoteSubjectCode::from("BAT").is_known(), "CII list only");
        assert!(!NoteSubjectCode::from("ZZ").is_known());
        assert!(MimeCode::from("application/pdf").is_known());
        assert!(!MimeCode::from("application/xml").is_known());
        assert!(MimeCode::from("application/xml").is_known_extension());
        assert!(
            !MimeCode::from(" application/pdf").is_known(),
            "BR-CL-24 compares exactly"
        );
        assert!(is_cvd_vehicle_category("N3"));
        assert!(!is_cvd_vehicle_category("L1"));
        assert!(is_cvd_clean_vehicle_attribute("zero-emission"));
        assert!(!is_cvd_clean_vehicle_attribute("Clean"));
    }

    #[test]
    fn vat_point_date_code_cii_mapping() {
        assert_eq!(VatPointDateCode::from_untdid_2475("5"), "3");
        assert_eq!(VatPointDateCode::from_untdid_2475("29"), "35");
        assert_eq!(VatPointDateCode::from_untdid_2475(" 72 "), "432");
        let odd = VatPointDateCode::from_untdid_2475("7");
        assert_eq!(odd, "7");
        assert!(!odd.is_known());
        for code in UNTDID_2005_VAT_POINT_DATE.codes() {
            let c = VatPointDateCode::from(*code);
            assert!(c.is_known());
            assert!(UNTDID_2475_VAT_POINT_DATE.contains(c.to_untdid_2475()));
            assert_eq!(VatPointDateCode::from_untdid_2475(c.to_untdid_2475()), c);
        }
        assert_eq!(VatPointDateCode::from("9").to_untdid_2475(), "9");
    }

    #[test]
    fn code_types_serialise_as_plain_strings_and_keep_unknown_values() {
        let c = CurrencyCode::from("XYZ");
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"XYZ\"");
        let back: CurrencyCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.to_string(), "XYZ");
        assert!(CurrencyCode::default().is_empty());
    }

    // --------------------------------------------------------------------------------------------
    // Oracle: ../shared/specs/xrechnung/rules.json — each data file equals the rule text it names.
    // --------------------------------------------------------------------------------------------

    fn shared_dir(test: &str) -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
        if dir.is_dir() {
            return Some(dir);
        }
        if std::env::var_os("CI").is_some() {
            panic!("{test}: ../shared is missing, but CI must run the oracle tests");
        }
        eprintln!("SKIPPED {test}: ../shared not found beside the repository");
        None
    }

    /// Single-quoted literals that directly follow `contains(` (optionally after whitespace).
    fn contains_literals(test: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut rest = test;
        while let Some(i) = rest.find("contains(") {
            rest = &rest[i + "contains(".len()..];
            let after = rest.trim_start();
            if let Some(lit) = after.strip_prefix('\'') {
                let end = lit.find('\'').unwrap();
                let toks: Vec<String> = lit[..end].split_whitespace().map(str::to_owned).collect();
                if !toks.is_empty() {
                    out.push(toks);
                }
            }
        }
        out
    }

    /// Values of `@mimeCode = '…'` comparisons.
    fn mime_literals(test: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = test;
        while let Some(i) = rest.find("@mimeCode") {
            rest = &rest[i + "@mimeCode".len()..];
            let after = rest.trim_start();
            if let Some(after) = after.strip_prefix('=') {
                if let Some(lit) = after.trim_start().strip_prefix('\'') {
                    out.push(lit[..lit.find('\'').unwrap()].to_owned());
                }
            }
        }
        out
    }

    /// Whitespace-separated tokens of all single-quoted literals.
    fn quoted_tokens(value: &str) -> Vec<String> {
        value
            .split('\'')
            .skip(1)
            .step_by(2)
            .flat_map(str::split_whitespace)
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn data_files_equal_rule_text() {
        let Some(shared) = shared_dir("codes::data_files_equal_rule_text") else {
            return;
        };
        let path = shared.join("specs/xrechnung/rules.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let rules = json["rules"].as_array().unwrap();
        let variables = json["variables"].as_array().unwrap();

        let mut checked = 0;
        for list in ALL_CODE_LISTS {
            let file = list.file_name();
            let codes: Vec<String> = list.codes_in_source_order().map(str::to_owned).collect();
            for check in header_value(list, "check:") {
                let parts: Vec<&str> = check.split_whitespace().collect();
                let expected: Vec<String> = match parts.as_slice() {
                    ["rule", id, syntax, which] => {
                        let found: Vec<_> = rules
                            .iter()
                            .filter(|r| r["id"] == *id && r["syntax"] == *syntax)
                            .collect();
                        assert_eq!(found.len(), 1, "{file}: rule {id} {syntax}");
                        let test = found[0]["test"].as_str().unwrap();
                        if *which == "mime" {
                            mime_literals(test)
                        } else {
                            let n: usize = which.parse().unwrap();
                            contains_literals(test).get(n).cloned().unwrap_or_default()
                        }
                    }
                    ["variable", name, syntax] => {
                        let found: Vec<_> = variables
                            .iter()
                            .filter(|v| v["name"] == *name && v["syntax"] == *syntax)
                            .collect();
                        assert_eq!(found.len(), 1, "{file}: variable {name} {syntax}");
                        quoted_tokens(found[0]["value"].as_str().unwrap())
                    }
                    _ => panic!("{file}: malformed check line {check:?}"),
                };
                assert_eq!(codes, expected, "{file}: differs from {check}");
                checked += 1;
            }
        }
        assert!(checked >= ALL_CODE_LISTS.len());
    }
}
