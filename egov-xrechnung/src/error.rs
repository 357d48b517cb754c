//! The one error type of egov-xrechnung.

/// Why an invoice could not be looked at. Findings about its content are never errors: they are
/// reported by the validator, and content a reader could not map is listed in
/// [`crate::ReadOutcome::unmapped`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not acceptable XML (malformed, DTD, over a limit; kind and line/column inside).
    #[error(transparent)]
    Xml(#[from] egov_core::xml::XmlError),
    /// The root element is neither a UBL 2.1 Invoice/CreditNote nor a CII D16B CrossIndustryInvoice.
    #[error("not an EN 16931 invoice: root element {{{namespace}}}{local_name} is neither UBL 2.1 Invoice/CreditNote nor UN/CEFACT CII D16B CrossIndustryInvoice")]
    UnknownSyntax {
        /// Namespace URI of the root element.
        namespace: String,
        /// Local name of the root element.
        local_name: String,
    },
    /// The JSON form of the model could not be read (with the line/column serde_json reports).
    #[error("invoice JSON: {message} (line {line}, column {column})")]
    Json {
        /// What is wrong.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// An error from egov-core (rule or schema compilation, code lists).
    #[error(transparent)]
    Core(#[from] egov_core::Error),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
