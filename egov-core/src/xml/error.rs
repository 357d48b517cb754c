//! Errors of the XML layer: a kind plus where it happened.

use std::fmt;

/// What went wrong while parsing untrusted XML.
///
/// The snake_case name ([`XmlErrorKind::as_str`]) is part of the public contract: the CLI prints it
/// in `egov xml check --format json` and the C ABI reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum XmlErrorKind {
    /// A `<!DOCTYPE …>` was found. DTDs, entity declarations and external resolution are never
    /// processed (XXE, billion laughs).
    DtdForbidden,
    /// The input is larger than [`Limits::max_bytes`](super::Limits::max_bytes).
    TooLarge,
    /// Elements are nested deeper than [`Limits::max_depth`](super::Limits::max_depth).
    TooDeep,
    /// More elements than [`Limits::max_elements`](super::Limits::max_elements).
    TooManyElements,
    /// More attributes on one element than
    /// [`Limits::max_attributes`](super::Limits::max_attributes).
    TooManyAttributes,
    /// A text, CDATA, comment, processing instruction or attribute value longer than
    /// [`Limits::max_text_len`](super::Limits::max_text_len).
    TextTooLong,
    /// The input is not UTF-8 (invalid bytes, a UTF-16 byte order mark, or an XML declaration
    /// naming another encoding).
    Encoding,
    /// An attribute occurs twice on one element (by name or by expanded namespace name).
    DuplicateAttribute,
    /// A prefix is used that no `xmlns:prefix` declaration in scope binds.
    UndeclaredPrefix,
    /// The input is not well-formed XML 1.0 with namespaces.
    Malformed,
}

impl XmlErrorKind {
    /// The stable snake_case name of the kind, e.g. `dtd_forbidden`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DtdForbidden => "dtd_forbidden",
            Self::TooLarge => "too_large",
            Self::TooDeep => "too_deep",
            Self::TooManyElements => "too_many_elements",
            Self::TooManyAttributes => "too_many_attributes",
            Self::TextTooLong => "text_too_long",
            Self::Encoding => "encoding",
            Self::DuplicateAttribute => "duplicate_attribute",
            Self::UndeclaredPrefix => "undeclared_prefix",
            Self::Malformed => "malformed",
        }
    }
}

impl fmt::Display for XmlErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An XML input was rejected: the kind, the position (byte offset, 1-based line and column in
/// characters) and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    kind: XmlErrorKind,
    offset: u64,
    line: u32,
    column: u32,
    message: String,
}

impl XmlError {
    pub(crate) fn new(kind: XmlErrorKind, pos: Position, message: impl Into<String>) -> Self {
        Self {
            kind,
            offset: pos.offset,
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> XmlErrorKind {
        self.kind
    }

    /// Byte offset in the input where the problem was found.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// 1-based line.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// 1-based column, counted in characters.
    pub fn column(&self) -> u32 {
        self.column
    }

    /// The human-readable explanation (without the position).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {}, column {}: {}",
            self.kind, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for XmlError {}

/// A place in the input: byte offset and 1-based line/column (column in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Position {
    /// Byte offset from the start of the input (a UTF-8 byte order mark counts).
    pub offset: u64,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column in characters.
    pub column: u32,
}

impl Position {
    /// Computes the position of `offset` in `bytes` by counting lines (used for inputs that are not
    /// valid UTF-8 or never became a [`Document`](super::Document)).
    pub fn locate(bytes: &[u8], offset: usize) -> Self {
        let end = offset.min(bytes.len());
        let head = bytes.get(..end).unwrap_or_default();
        let line = memchr::memchr_iter(b'\n', head).count() + 1;
        let line_start = memchr::memrchr(b'\n', head).map_or(0, |i| i + 1);
        let tail = head.get(line_start..).unwrap_or_default();
        // Count characters: every byte that is not a UTF-8 continuation byte starts one.
        let column = tail.iter().filter(|b| (**b & 0xC0) != 0x80).count() + 1;
        Self {
            offset: offset as u64,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}
