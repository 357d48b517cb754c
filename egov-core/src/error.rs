//! The one error type of egov-core.

use crate::xml::XmlError;

/// Everything that can stop egov-core from looking at its input.
///
/// Findings about content (validation results) are never errors; an `Err` means
/// "could not look at it": unreadable, over a limit, not the expected format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The XML input could not be parsed (see [`XmlError::kind`]).
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// An ISO 8601 duration (`PnYnMnWnD`) could not be read.
    #[error("invalid ISO 8601 duration {input:?}: {reason}")]
    Duration {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A date computation left the range chrono can represent (years ±262,143).
    #[error("date out of range: {0}")]
    DateOutOfRange(String),
    /// A genericode 1.0 code list is malformed.
    #[error("genericode code list: {message} (at {path}, line {line}, column {column})")]
    CodeList {
        /// What is wrong.
        message: String,
        /// Path of the offending element, e.g. `/gc:CodeList/SimpleCodeList[1]/Row[3]`.
        path: String,
        /// 1-based line.
        line: u32,
        /// 1-based column (in characters).
        column: u32,
    },
    /// An XPath expression or XSLT match pattern could not be compiled (static error).
    #[error("XPath {expression:?}: {message} (at character {offset})")]
    XPath {
        /// The expression as given.
        expression: String,
        /// Character offset of the problem in the expression.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// An XML Schema (XSD) could not be loaded or compiled.
    #[error("XML Schema {document}: {message} (line {line}, column {column})")]
    Schema {
        /// Which schema document (as named by the caller or the import/include).
        document: String,
        /// What is wrong.
        message: String,
        /// 1-based line in that document (0 when not tied to a place).
        line: u32,
        /// 1-based column in that document (0 when not tied to a place).
        column: u32,
    },
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
