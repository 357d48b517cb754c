//! OASIS genericode 1.0 code lists, the format in which German e-government code lists are
//! published (XRepository: XÖV, xdomea, FIM, XRechnung).
//!
//! A [`CodeList`] holds the identification (short name, version, canonical URI and canonical
//! version URI — the `listURI`/`listVersionID` that XÖV messages cite), the column set, the keys
//! and the rows of a `SimpleCodeList`, with an index on the key column for look-ups.
//!
//! ```
//! use egov_core::codelist::CodeList;
//!
//! let xml = r#"<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">
//!   <Identification><ShortName>aussonderungsart</ShortName><Version>1.0</Version>
//!     <CanonicalUri>urn:xoev-de:xdomea:codeliste:aussonderungsart</CanonicalUri>
//!     <CanonicalVersionUri>urn:xoev-de:xdomea:codeliste:aussonderungsart_1.0</CanonicalVersionUri>
//!   </Identification>
//!   <ColumnSet>
//!     <Column Id="code" Use="required"><ShortName>code</ShortName><Data Type="string"/></Column>
//!     <Column Id="beschreibung" Use="optional"><ShortName>beschreibung</ShortName><Data Type="string"/></Column>
//!     <Key Id="codeKey"><ShortName>codeKey</ShortName><ColumnRef Ref="code"/></Key>
//!   </ColumnSet>
//!   <SimpleCodeList>
//!     <Row><Value><SimpleValue>A</SimpleValue></Value><Value><SimpleValue>archivwürdig</SimpleValue></Value></Row>
//!     <Row><Value ColumnRef="code"><SimpleValue>V</SimpleValue></Value></Row>
//!   </SimpleCodeList>
//! </gc:CodeList>"#;
//! let list = CodeList::parse(xml.as_bytes())?;
//! assert_eq!(list.canonical_version_uri, "urn:xoev-de:xdomea:codeliste:aussonderungsart_1.0");
//! assert!(list.contains("A"));
//! assert_eq!(list.lookup("A").and_then(|row| list.value(row, "beschreibung")), Some("archivwürdig"));
//! assert_eq!(list.lookup("V").and_then(|row| list.value(row, "beschreibung")), None);
//! assert!(!list.contains("X"));
//! # Ok::<(), egov_core::Error>(())
//! ```

use std::collections::HashMap;

use crate::xml::{Document, Limits, Node};
use crate::{Error, Result};

/// The genericode 1.0 namespace.
pub const GENERICODE_NAMESPACE: &str = "http://docs.oasis-open.org/codelist/ns/genericode/1.0/";

/// A column of the code list (`ColumnSet/Column`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    /// `@Id`, what `ColumnRef`s refer to.
    pub id: String,
    /// `ShortName`.
    pub short_name: String,
    /// `LongName`, when given.
    pub long_name: Option<String>,
    /// `Data/@Type`, e.g. `string`, `normalizedString`, `token`.
    pub data_type: String,
    /// `@Use="required"`.
    pub required: bool,
}

/// A key (`ColumnSet/Key`): the columns whose values identify a row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Key {
    /// `@Id`.
    pub id: String,
    /// `ShortName`.
    pub short_name: String,
    /// The `ColumnRef/@Ref`s, as column indexes.
    pub columns: Vec<usize>,
}

/// A row: one value (or none) per column, in column order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    /// Values by column index.
    pub values: Vec<Option<String>>,
}

/// A loaded genericode code list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CodeList {
    /// `Identification/ShortName`.
    pub short_name: String,
    /// `Identification/LongName`, when given.
    pub long_name: Option<String>,
    /// `Identification/Version`.
    pub version: String,
    /// `Identification/CanonicalUri` (the XÖV `listURI`).
    pub canonical_uri: String,
    /// `Identification/CanonicalVersionUri`.
    pub canonical_version_uri: String,
    /// `Identification/Agency/LongName` or `ShortName`, when given.
    pub agency: Option<String>,
    /// The columns in order.
    pub columns: Vec<Column>,
    /// The keys in order.
    pub keys: Vec<Key>,
    /// The rows in order.
    pub rows: Vec<Row>,
    /// The column that holds the code: the first column of the first key, else the first
    /// column.
    pub key_column: usize,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

/// Limits for code lists: large official lists (municipality keys, nationalities) run to
/// several MiB.
fn codelist_limits() -> Limits {
    Limits {
        max_bytes: 64 * 1024 * 1024,
        ..Limits::large()
    }
}

impl CodeList {
    /// Reads a genericode 1.0 `CodeList` document.
    pub fn parse(bytes: &[u8]) -> Result<CodeList> {
        let doc = Document::parse(bytes, &codelist_limits())?;
        Self::from_document(&doc)
    }

    /// Reads the code list from a parsed document.
    pub fn from_document(doc: &Document) -> Result<CodeList> {
        let root = doc.root_element();
        if !root.has_name(GENERICODE_NAMESPACE, "CodeList") {
            return Err(invalid(
                root,
                format!(
                    "root element is {{{}}}{}, not genericode 1.0 CodeList",
                    root.namespace(),
                    root.local_name()
                ),
            ));
        }
        let ident = required_child(root, "Identification")?;
        let short_name = required_text(ident, "ShortName")?;
        let version = required_text(ident, "Version")?;
        let canonical_uri = required_text(ident, "CanonicalUri")?;
        let canonical_version_uri = required_text(ident, "CanonicalVersionUri")?;
        let column_set = match child(root, "ColumnSet") {
            Some(c) => c,
            None if child(root, "ColumnSetRef").is_some() => {
                return Err(invalid(
                    root,
                    "external column sets (ColumnSetRef) are not supported; the list must carry its ColumnSet",
                ))
            }
            None => return Err(invalid(root, "ColumnSet is missing")),
        };
        let columns = read_columns(column_set)?;
        let keys = read_keys(column_set, &columns)?;
        let key_column = keys
            .first()
            .and_then(|k| k.columns.first().copied())
            .unwrap_or(0);
        let rows = match child(root, "SimpleCodeList") {
            Some(list) => read_rows(list, &columns)?,
            None => Vec::new(),
        };
        let mut index = HashMap::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            if let Some(Some(code)) = row.values.get(key_column) {
                index.entry(code.clone()).or_insert(i);
            }
        }
        Ok(CodeList {
            short_name,
            long_name: child_text(ident, "LongName"),
            version,
            canonical_uri,
            canonical_version_uri,
            agency: child(ident, "Agency")
                .and_then(|a| child_text(a, "LongName").or_else(|| child_text(a, "ShortName"))),
            columns,
            keys,
            rows,
            key_column,
            index,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the list has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The codes (values of the key column) in row order.
    pub fn codes(&self) -> impl Iterator<Item = &str> + '_ {
        self.rows
            .iter()
            .filter_map(|r| r.values.get(self.key_column).and_then(|v| v.as_deref()))
    }

    /// True when `code` is a value of the key column.
    pub fn contains(&self, code: &str) -> bool {
        self.index.contains_key(code)
    }

    /// The row whose key column holds `code`.
    pub fn lookup(&self, code: &str) -> Option<&Row> {
        self.index.get(code).and_then(|i| self.rows.get(*i))
    }

    /// Index of the column with this `Id` (or, failing that, `ShortName`).
    pub fn column_index(&self, column: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.id == column)
            .or_else(|| self.columns.iter().position(|c| c.short_name == column))
    }

    /// The value of `row` in the column with this `Id` or `ShortName`.
    pub fn value<'a>(&self, row: &'a Row, column: &str) -> Option<&'a str> {
        let i = self.column_index(column)?;
        row.values.get(i)?.as_deref()
    }
}

/// Children of genericode documents are unqualified local elements; some publishers qualify
/// them. Both are accepted.
fn is_gc(node: &Node<'_>, local: &str) -> bool {
    node.is_element()
        && node.local_name() == local
        && (node.namespace().is_empty() || node.namespace() == GENERICODE_NAMESPACE)
}

fn child<'d>(node: Node<'d>, local: &str) -> Option<Node<'d>> {
    node.children().find(|c| is_gc(c, local))
}

fn children<'d, 'a>(node: Node<'d>, local: &'a str) -> impl Iterator<Item = Node<'d>> + 'a
where
    'd: 'a,
{
    node.children().filter(move |c| is_gc(c, local))
}

fn child_text(node: Node<'_>, local: &str) -> Option<String> {
    child(node, local).map(|c| c.text().trim().to_owned())
}

fn required_child<'d>(node: Node<'d>, local: &str) -> Result<Node<'d>> {
    child(node, local).ok_or_else(|| invalid(node, format!("{local} is missing")))
}

fn required_text(node: Node<'_>, local: &str) -> Result<String> {
    let text = required_child(node, local)?.text().trim().to_owned();
    if text.is_empty() {
        return Err(invalid(node, format!("{local} is empty")));
    }
    Ok(text)
}

fn required_attr<'d>(node: Node<'d>, name: &str) -> Result<&'d str> {
    node.attribute(name)
        .ok_or_else(|| invalid(node, format!("attribute {name} is missing")))
}

fn invalid(node: Node<'_>, message: impl Into<String>) -> Error {
    let pos = node.position();
    Error::CodeList {
        message: message.into(),
        path: node.path(),
        line: pos.line,
        column: pos.column,
    }
}

fn read_columns(set: Node<'_>) -> Result<Vec<Column>> {
    let mut columns: Vec<Column> = Vec::new();
    for c in children(set, "Column") {
        let id = required_attr(c, "Id")?.to_owned();
        if columns.iter().any(|o| o.id == id) {
            return Err(invalid(c, format!("column Id {id:?} occurs twice")));
        }
        columns.push(Column {
            short_name: required_text(c, "ShortName")?,
            long_name: child_text(c, "LongName"),
            data_type: child(c, "Data")
                .and_then(|d| d.attribute("Type"))
                .unwrap_or("string")
                .to_owned(),
            required: c.attribute("Use") == Some("required"),
            id,
        });
    }
    if columns.is_empty() {
        return Err(invalid(set, "the ColumnSet has no Column"));
    }
    Ok(columns)
}

fn read_keys(set: Node<'_>, columns: &[Column]) -> Result<Vec<Key>> {
    children(set, "Key")
        .map(|k| {
            let refs = children(k, "ColumnRef")
                .map(|r| {
                    let target = required_attr(r, "Ref")?;
                    columns.iter().position(|c| c.id == target).ok_or_else(|| {
                        invalid(r, format!("key refers to unknown column {target:?}"))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            if refs.is_empty() {
                return Err(invalid(k, "key without ColumnRef"));
            }
            Ok(Key {
                id: required_attr(k, "Id")?.to_owned(),
                short_name: child_text(k, "ShortName").unwrap_or_default(),
                columns: refs,
            })
        })
        .collect()
}

fn read_rows(list: Node<'_>, columns: &[Column]) -> Result<Vec<Row>> {
    children(list, "Row")
        .map(|row| {
            let mut values: Vec<Option<String>> = vec![None; columns.len()];
            // A Value without ColumnRef belongs to the column after the previous value's.
            let mut next = 0usize;
            for v in children(row, "Value") {
                let col = match v.attribute("ColumnRef") {
                    Some(r) => columns.iter().position(|c| c.id == r).ok_or_else(|| {
                        invalid(v, format!("value refers to unknown column {r:?}"))
                    })?,
                    None => next,
                };
                let slot = values
                    .get_mut(col)
                    .ok_or_else(|| invalid(v, "more values than columns"))?;
                if slot.is_some() {
                    return Err(invalid(v, "two values for one column"));
                }
                // An empty `<Value ColumnRef="…"/>` (seen in published lists) means no value.
                *slot = match child(v, "SimpleValue") {
                    Some(s) => Some(s.text().into_owned()),
                    None => child(v, "ComplexValue").map(|c| c.string_value().trim().to_owned()),
                };
                next = col + 1;
            }
            for (c, val) in columns.iter().zip(&values) {
                if c.required && val.is_none() {
                    return Err(invalid(
                        row,
                        format!("required column {:?} has no value", c.id),
                    ));
                }
            }
            Ok(Row { values })
        })
        .collect()
}
