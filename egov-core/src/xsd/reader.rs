//! A fast, minimal XML reader for schema documents.
//!
//! Schema documents are large (the UBL 2.1 set is ~630 KB) and compiled at start-up, so this
//! reader records only what schema compilation needs: elements with their namespace, local name,
//! attributes, namespace scope and byte offset. Text, comments, processing instructions, CDATA
//! sections and whole `xs:annotation` subtrees are skipped with `memchr`/`memmem`. A `DOCTYPE` is
//! skipped (the UBL copy of the XML Signature schema carries one); entity references other than the
//! predefined ones and character references are rejected, so nothing is ever expanded.
//! Malformed input gives [`Error::Schema`] with a position, never a panic.

use memchr::memmem;

use crate::error::Error;
#[cfg(test)]
use crate::xml::XML_NAMESPACE;

/// The XML Schema namespace.
pub(crate) const XS: &str = "http://www.w3.org/2001/XMLSchema";

pub(crate) const NONE: u32 = u32::MAX;

/// A string of the document: a range of its text, or of the decoded-values buffer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Span {
    start: u32,
    len: u32,
    decoded: bool,
}

/// A namespace binding; bindings form persistent chains (an element's scope is the index of its
/// innermost binding).
#[derive(Debug, Clone, Copy)]
struct Binding {
    prefix: Span,
    uri: u32,
    prev: u32,
}

/// One element of a schema document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawElem {
    /// Index into the document's namespace URIs (0 = no namespace).
    ns: u32,
    local: Span,
    /// Index of the element in its document.
    pub(crate) idx: u32,
    /// Byte offset of the `<` in the document.
    pub(crate) offset: u32,
    attr_start: u32,
    attr_len: u32,
    scope: u32,
    pub(crate) first_child: u32,
    pub(crate) next_sibling: u32,
}

/// An attribute (namespace declarations excluded).
#[derive(Debug, Clone, Copy)]
struct RawAttr {
    prefix: Span,
    local: Span,
    value: Span,
}

/// A parsed schema document: its elements in document order (annotations left out). Owns a copy
/// of its text, so that documents can be collected while imports are resolved.
#[derive(Debug)]
pub(crate) struct RawDoc {
    pub(crate) location: String,
    text: Box<str>,
    decoded: String,
    uris: Vec<Span>,
    bindings: Vec<Binding>,
    elems: Vec<RawElem>,
    attrs: Vec<RawAttr>,
}

struct Open {
    elem: u32,
    last_child: u32,
    qname: Span,
    scope: u32,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_name_end(b: u8) -> bool {
    is_ws(b) || matches!(b, b'/' | b'>' | b'=' | b'<' | b'"' | b'\'')
}

/// The parser state: the text being read and the tables being built.
struct Reader<'t> {
    location: &'t str,
    text: &'t str,
    decoded: String,
    uris: Vec<Span>,
    bindings: Vec<Binding>,
    elems: Vec<RawElem>,
    attrs: Vec<RawAttr>,
}

fn span(start: usize, end: usize) -> Span {
    Span {
        start: start as u32,
        len: end.saturating_sub(start) as u32,
        decoded: false,
    }
}

impl RawDoc {
    /// Reads a schema document.
    pub(crate) fn parse(location: &str, bytes: &[u8]) -> Result<RawDoc, Error> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| Error::Schema {
            document: location.to_string(),
            message: format!("not UTF-8 (at byte {})", e.valid_up_to()),
            line: 0,
            column: 0,
        })?;
        if text.len() >= (u32::MAX / 2) as usize {
            return Err(Error::Schema {
                document: location.to_string(),
                message: "schema document larger than 2 GiB".into(),
                line: 0,
                column: 0,
            });
        }
        let mut r = Reader {
            location,
            text,
            decoded: String::new(),
            uris: vec![Span::default()],
            bindings: Vec::new(),
            elems: Vec::with_capacity(text.len() / 64),
            attrs: Vec::with_capacity(text.len() / 40),
        };
        r.read()?;
        Ok(RawDoc {
            location: location.to_string(),
            text: Box::from(text),
            decoded: r.decoded,
            uris: r.uris,
            bindings: r.bindings,
            elems: r.elems,
            attrs: r.attrs,
        })
    }

    fn s(&self, sp: Span) -> &str {
        let range = sp.start as usize..sp.start as usize + sp.len as usize;
        if sp.decoded {
            self.decoded.get(range).unwrap_or("")
        } else {
            self.text.get(range).unwrap_or("")
        }
    }

    fn lookup(&self, mut scope: u32, prefix: &str) -> Option<u32> {
        while let Some(b) = self.bindings.get(scope as usize) {
            if self.s(b.prefix) == prefix {
                return Some(b.uri);
            }
            scope = b.prev;
        }
        None
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (u32, u32) {
        line_col(&self.text, offset)
    }

    // ----- access -----

    /// The document element (index 0).
    pub(crate) fn root(&self) -> Option<&RawElem> {
        self.elems.first()
    }

    /// The element with this index.
    pub(crate) fn elem(&self, i: u32) -> Option<&RawElem> {
        self.elems.get(i as usize)
    }

    /// Local name of an element.
    pub(crate) fn local(&self, e: &RawElem) -> &str {
        self.s(e.local)
    }

    /// Namespace URI of an element.
    pub(crate) fn ns(&self, e: &RawElem) -> &str {
        self.uris.get(e.ns as usize).map_or("", |u| self.s(*u))
    }

    /// True for an element in the XML Schema namespace with this local name.
    pub(crate) fn is_xs(&self, e: &RawElem, local: &str) -> bool {
        self.s(e.local) == local && self.ns(e) == XS
    }

    /// The value of the unprefixed attribute `local`.
    pub(crate) fn attr(&self, e: &RawElem, local: &str) -> Option<&str> {
        let s = e.attr_start as usize;
        self.attrs
            .get(s..s + e.attr_len as usize)?
            .iter()
            .find(|a| a.prefix.len == 0 && self.s(a.local) == local)
            .map(|a| self.s(a.value))
    }

    /// The unprefixed attributes of an element as (local name, value).
    pub(crate) fn attrs<'d>(
        &'d self,
        e: &RawElem,
    ) -> impl Iterator<Item = (&'d str, &'d str)> + 'd {
        let s = e.attr_start as usize;
        self.attrs
            .get(s..s + e.attr_len as usize)
            .unwrap_or_default()
            .iter()
            .filter(|a| a.prefix.len == 0)
            .map(move |a| (self.s(a.local), self.s(a.value)))
    }

    /// The namespace URIs bound anywhere in the document (index 0 = no namespace).
    pub(crate) fn uris(&self) -> impl Iterator<Item = &str> {
        self.uris.iter().map(move |u| self.s(*u))
    }

    /// Index (into [`RawDoc::uris`]) of the namespace bound to `prefix` at an element; `None`
    /// when unbound (`xml` is not handled here).
    pub(crate) fn prefix_index(&self, e: &RawElem, prefix: &str) -> Option<u32> {
        self.lookup(e.scope, prefix)
    }

    /// Child elements of an element.
    pub(crate) fn children<'d>(&'d self, e: &RawElem) -> ChildIter<'d> {
        ChildIter {
            doc: self,
            next: e.first_child,
        }
    }

    /// The namespace URI bound to `prefix` at an element (`""` = default namespace); `None` when
    /// unbound. `xml` is always bound.
    #[cfg(test)]
    pub(crate) fn resolve_prefix(&self, e: &RawElem, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NAMESPACE);
        }
        self.lookup(e.scope, prefix)
            .and_then(|u| self.uris.get(u as usize))
            .map(|u| self.s(*u))
    }

    /// A schema error at an element.
    pub(crate) fn error_at(&self, e: &RawElem, message: impl Into<String>) -> Error {
        let (line, column) = self.line_col(e.offset as usize);
        Error::Schema {
            document: self.location.clone(),
            message: message.into(),
            line,
            column,
        }
    }
}

fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let head = text.get(..offset.min(text.len())).unwrap_or("");
    let line = memchr::memchr_iter(b'\n', head.as_bytes()).count() + 1;
    let start = memchr::memrchr(b'\n', head.as_bytes()).map_or(0, |i| i + 1);
    let col = head.get(start..).map_or(0, |s| s.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

impl<'t> Reader<'t> {
    fn err(&self, offset: usize, message: impl Into<String>) -> Error {
        let (line, column) = line_col(self.text, offset);
        Error::Schema {
            document: self.location.to_string(),
            message: message.into(),
            line,
            column,
        }
    }

    fn s(&self, sp: Span) -> &str {
        let range = sp.start as usize..sp.start as usize + sp.len as usize;
        if sp.decoded {
            self.decoded.get(range).unwrap_or("")
        } else {
            self.text.get(range).unwrap_or("")
        }
    }

    fn byte(&self, i: usize) -> u8 {
        self.text.as_bytes().get(i).copied().unwrap_or(0)
    }

    fn starts_at(&self, i: usize, pat: &str) -> bool {
        self.text
            .as_bytes()
            .get(i..)
            .is_some_and(|s| s.starts_with(pat.as_bytes()))
    }

    fn find(&self, from: usize, pat: &str) -> Option<usize> {
        let hay = self.text.as_bytes().get(from..)?;
        memmem::find(hay, pat.as_bytes()).map(|i| i + from)
    }

    fn skip_ws(&self, mut p: usize) -> usize {
        while is_ws(self.byte(p)) {
            p += 1;
        }
        p
    }

    fn name_end(&self, mut p: usize) -> usize {
        let b = self.text.as_bytes();
        while let Some(&c) = b.get(p) {
            if is_name_end(c) {
                break;
            }
            p += 1;
        }
        p
    }

    fn intern_uri(&mut self, uri: Span) -> u32 {
        let value = self.s(uri);
        if let Some(i) = self.uris.iter().position(|u| self.s(*u) == value) {
            return i as u32;
        }
        self.uris.push(uri);
        (self.uris.len() - 1) as u32
    }

    fn lookup(&self, mut scope: u32, prefix: &str) -> Option<u32> {
        while let Some(b) = self.bindings.get(scope as usize) {
            if self.s(b.prefix) == prefix {
                return Some(b.uri);
            }
            scope = b.prev;
        }
        None
    }

    fn read(&mut self) -> Result<(), Error> {
        let len = self.text.len();
        let mut stack: Vec<Open> = Vec::with_capacity(32);
        let mut pos = 0usize;
        let mut seen_root = false;
        while let Some(i) =
            memchr::memchr(b'<', self.text.as_bytes().get(pos..).unwrap_or_default())
        {
            pos += i;
            match self.byte(pos + 1) {
                b'!' => pos = self.skip_markup(pos)?,
                b'?' => {
                    pos = self
                        .find(pos + 2, "?>")
                        .ok_or_else(|| self.err(pos, "unterminated processing instruction"))?
                        + 2;
                }
                b'/' => {
                    let start = pos + 2;
                    let end = self.name_end(start);
                    let qname = self.text.get(start..end).unwrap_or("");
                    let p = self.skip_ws(end);
                    if self.byte(p) != b'>' {
                        return Err(self.err(pos, "malformed end tag"));
                    }
                    let open = stack
                        .pop()
                        .ok_or_else(|| self.err(pos, "end tag without start tag"))?;
                    if self.s(open.qname) != qname {
                        return Err(self.err(
                            pos,
                            format!("end tag </{qname}> does not match <{}>", self.s(open.qname)),
                        ));
                    }
                    pos = p + 1;
                }
                _ => {
                    if stack.is_empty() && seen_root {
                        return Err(self.err(pos, "content after the document element"));
                    }
                    seen_root = true;
                    pos = self.start_tag(pos, &mut stack)?;
                }
            }
            if pos > len {
                break;
            }
        }
        if let Some(open) = stack.last() {
            let off = self
                .elems
                .get(open.elem as usize)
                .map_or(0, |e| e.offset as usize);
            return Err(self.err(
                off,
                format!("element <{}> is not closed", self.s(open.qname)),
            ));
        }
        if self.elems.is_empty() {
            return Err(self.err(0, "no schema element"));
        }
        Ok(())
    }

    /// `<!--`, `<![CDATA[` or `<!DOCTYPE` at `pos`; returns the position after it.
    fn skip_markup(&self, pos: usize) -> Result<usize, Error> {
        if self.starts_at(pos, "<!--") {
            return self
                .find(pos + 4, "-->")
                .map(|i| i + 3)
                .ok_or_else(|| self.err(pos, "unterminated comment"));
        }
        if self.starts_at(pos, "<![CDATA[") {
            return self
                .find(pos + 9, "]]>")
                .map(|i| i + 3)
                .ok_or_else(|| self.err(pos, "unterminated CDATA section"));
        }
        if self.starts_at(pos, "<!DOCTYPE") {
            // Skip the declaration, including an internal subset; its declarations are ignored
            // (entity references are rejected, so nothing declared there is ever used).
            let mut p = pos + 9;
            let mut in_subset = false;
            loop {
                match self.byte(p) {
                    0 if p >= self.text.len() => {
                        return Err(self.err(pos, "unterminated DOCTYPE"));
                    }
                    q @ (b'"' | b'\'') => {
                        let rest = self.text.as_bytes().get(p + 1..).unwrap_or_default();
                        let i = memchr::memchr(q, rest)
                            .ok_or_else(|| self.err(p, "unterminated literal in DOCTYPE"))?;
                        p += i + 2;
                    }
                    b'<' if self.starts_at(p, "<!--") => {
                        p = self
                            .find(p + 4, "-->")
                            .ok_or_else(|| self.err(p, "unterminated comment"))?
                            + 3;
                    }
                    b'[' if !in_subset => {
                        in_subset = true;
                        p += 1;
                    }
                    b']' if in_subset => {
                        in_subset = false;
                        p += 1;
                    }
                    b'>' if !in_subset => return Ok(p + 1),
                    _ => p += 1,
                }
            }
        }
        Err(self.err(pos, "unexpected markup declaration"))
    }

    fn start_tag(&mut self, pos: usize, stack: &mut Vec<Open>) -> Result<usize, Error> {
        let name_start = pos + 1;
        let name_end = self.name_end(name_start);
        if name_end == name_start {
            return Err(self.err(pos, "malformed start tag"));
        }
        let qname = span(name_start, name_end);
        let parent_scope = stack.last().map_or(NONE, |o| o.scope);
        let mut scope = parent_scope;
        let attr_start = self.attrs.len();
        let mut p = name_end;
        let self_closing;
        loop {
            p = self.skip_ws(p);
            match self.byte(p) {
                b'>' => {
                    p += 1;
                    self_closing = false;
                    break;
                }
                b'/' if self.byte(p + 1) == b'>' => {
                    p += 2;
                    self_closing = true;
                    break;
                }
                0 if p >= self.text.len() => {
                    return Err(self.err(pos, "unterminated start tag"));
                }
                _ => {}
            }
            let an_start = p;
            let an_end = self.name_end(p);
            if an_end == an_start {
                return Err(self.err(p, "malformed attribute"));
            }
            p = self.skip_ws(an_end);
            if self.byte(p) != b'=' {
                return Err(self.err(p, "attribute without value"));
            }
            p = self.skip_ws(p + 1);
            let quote = self.byte(p);
            if quote != b'"' && quote != b'\'' {
                return Err(self.err(p, "attribute value is not quoted"));
            }
            let rest = self.text.as_bytes().get(p + 1..).unwrap_or_default();
            let vlen = memchr::memchr(quote, rest)
                .ok_or_else(|| self.err(p, "unterminated attribute value"))?;
            let value = self.attr_value(p + 1, p + 1 + vlen)?;
            p += vlen + 2;
            let aname = self.text.get(an_start..an_end).unwrap_or("");
            if aname == "xmlns" || aname.starts_with("xmlns:") {
                let prefix = span((an_start + 6).min(an_end), an_end);
                let uri = self.intern_uri(value);
                self.bindings.push(Binding {
                    prefix,
                    uri,
                    prev: scope,
                });
                scope = (self.bindings.len() - 1) as u32;
            } else {
                let (prefix, local) = match aname.find(':') {
                    Some(c) => (span(an_start, an_start + c), span(an_start + c + 1, an_end)),
                    None => (Span::default(), span(an_start, an_end)),
                };
                self.attrs.push(RawAttr {
                    prefix,
                    local,
                    value,
                });
            }
        }
        let qtext = self.s(qname);
        let (prefix, local) = match qtext.find(':') {
            Some(c) => (
                qtext.get(..c).unwrap_or(""),
                span(name_start + c + 1, name_end),
            ),
            None => ("", qname),
        };
        let ns = match self.lookup(scope, prefix) {
            Some(u) => u,
            None if prefix.is_empty() => 0,
            None => return Err(self.err(pos, format!("undeclared prefix {prefix:?}"))),
        };
        // Whole annotations are skipped: nothing in them affects validation.
        if self.s(local) == "annotation"
            && self.uris.get(ns as usize).is_some_and(|u| self.s(*u) == XS)
        {
            self.attrs.truncate(attr_start);
            return if self_closing {
                Ok(p)
            } else {
                self.skip_subtree(p, pos)
            };
        }
        let idx = self.elems.len() as u32;
        self.elems.push(RawElem {
            ns,
            local,
            idx,
            offset: pos as u32,
            attr_start: attr_start as u32,
            attr_len: (self.attrs.len() - attr_start) as u32,
            scope,
            first_child: NONE,
            next_sibling: NONE,
        });
        if let Some(parent) = stack.last_mut() {
            if parent.last_child == NONE {
                if let Some(pe) = self.elems.get_mut(parent.elem as usize) {
                    pe.first_child = idx;
                }
            } else if let Some(prev) = self.elems.get_mut(parent.last_child as usize) {
                prev.next_sibling = idx;
            }
            parent.last_child = idx;
        }
        if !self_closing {
            stack.push(Open {
                elem: idx,
                last_child: NONE,
                qname,
                scope,
            });
        }
        Ok(p)
    }

    /// Skips the content and end tag of an element whose start tag ended before `p`.
    fn skip_subtree(&self, mut p: usize, start: usize) -> Result<usize, Error> {
        let mut depth = 1usize;
        loop {
            let rest = self.text.as_bytes().get(p..).unwrap_or_default();
            let Some(i) = memchr::memchr(b'<', rest) else {
                return Err(self.err(start, "element is not closed"));
            };
            p += i;
            match self.byte(p + 1) {
                b'!' => p = self.skip_markup(p)?,
                b'?' => {
                    p = self
                        .find(p + 2, "?>")
                        .ok_or_else(|| self.err(p, "unterminated processing instruction"))?
                        + 2;
                }
                b'/' => {
                    let rest = self.text.as_bytes().get(p..).unwrap_or_default();
                    let i = memchr::memchr(b'>', rest)
                        .ok_or_else(|| self.err(p, "unterminated end tag"))?;
                    p += i + 1;
                    depth -= 1;
                    if depth == 0 {
                        return Ok(p);
                    }
                }
                _ => {
                    // Find the end of the tag, stepping over quoted attribute values.
                    let mut q = p + 1;
                    loop {
                        match self.byte(q) {
                            0 if q >= self.text.len() => {
                                return Err(self.err(p, "unterminated start tag"));
                            }
                            c @ (b'"' | b'\'') => {
                                let rest = self.text.as_bytes().get(q + 1..).unwrap_or_default();
                                let i = memchr::memchr(c, rest)
                                    .ok_or_else(|| self.err(q, "unterminated attribute value"))?;
                                q += i + 2;
                            }
                            b'>' => break,
                            _ => q += 1,
                        }
                    }
                    if self.byte(q - 1) != b'/' {
                        depth += 1;
                    }
                    p = q + 1;
                }
            }
        }
    }

    /// Decodes references and normalises whitespace (XML 1.0 §3.3.3) in an attribute value.
    fn attr_value(&mut self, start: usize, end: usize) -> Result<Span, Error> {
        let raw = self.text.get(start..end).unwrap_or("");
        if raw.contains('<') {
            return Err(self.err(start, "'<' in attribute value"));
        }
        if !raw
            .bytes()
            .any(|b| matches!(b, b'&' | b'\t' | b'\n' | b'\r'))
        {
            return Ok(span(start, end));
        }
        let out_start = self.decoded.len();
        let mut rest = raw;
        while let Some(c) = rest.chars().next() {
            match c {
                '&' => {
                    let end = rest
                        .find(';')
                        .ok_or_else(|| self.err(start, "unterminated reference"))?;
                    let name = rest.get(1..end).unwrap_or("");
                    let ch = match name {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        _ => {
                            let code = if let Some(h) = name.strip_prefix("#x") {
                                u32::from_str_radix(h, 16).ok()
                            } else if let Some(d) = name.strip_prefix('#') {
                                d.parse::<u32>().ok()
                            } else {
                                None
                            };
                            code.and_then(char::from_u32).ok_or_else(|| {
                                self.err(start, format!("unsupported reference &{name};"))
                            })?
                        }
                    };
                    self.decoded.push(ch);
                    rest = rest.get(end + 1..).unwrap_or("");
                }
                '\r' => {
                    self.decoded.push(' ');
                    rest = rest.get(1..).unwrap_or("");
                    if let Some(r) = rest.strip_prefix('\n') {
                        rest = r;
                    }
                }
                '\t' | '\n' => {
                    self.decoded.push(' ');
                    rest = rest.get(1..).unwrap_or("");
                }
                c => {
                    self.decoded.push(c);
                    rest = rest.get(c.len_utf8()..).unwrap_or("");
                }
            }
        }
        Ok(Span {
            start: out_start as u32,
            len: (self.decoded.len() - out_start) as u32,
            decoded: true,
        })
    }
}

/// Iterator over child elements.
pub(crate) struct ChildIter<'d> {
    doc: &'d RawDoc,
    next: u32,
}

impl<'d> Iterator for ChildIter<'d> {
    type Item = &'d RawElem;
    fn next(&mut self) -> Option<Self::Item> {
        let e = self.doc.elems.get(self.next as usize)?;
        self.next = e.next_sibling;
        Some(e)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_elements_skips_annotations() {
        let src = br#"<?xml version="1.0"?>
<!DOCTYPE schema [ <!ENTITY x 'y'> ]>
<!-- c -->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">
  <xs:annotation><xs:documentation><b a=">">x</b><c/></xs:documentation></xs:annotation>
  <xs:element name="a" type="t:T"/>
  <xs:simpleType name="T"><xs:restriction base="xs:string"><xs:pattern value="[&lt;]&#x41;
x"/></xs:restriction></xs:simpleType>
</xs:schema>"#;
        let d = RawDoc::parse("s.xsd", src).unwrap();
        let root = d.root().unwrap();
        assert!(d.is_xs(root, "schema"));
        let kids: Vec<_> = d.children(root).map(|e| d.local(e)).collect();
        assert_eq!(kids, ["element", "simpleType"]);
        let st = d.children(root).nth(1).unwrap();
        let r = d.children(st).next().unwrap();
        let p = d.children(r).next().unwrap();
        assert_eq!(d.attr(p, "value"), Some("[<]A x"));
        assert_eq!(d.resolve_prefix(p, "t"), Some("urn:t"));
        assert_eq!(d.resolve_prefix(p, ""), None);
    }

    #[test]
    fn malformed_is_an_error() {
        for bad in [
            &b"<a><b></a>"[..],
            b"<a",
            b"<a x='1></a>",
            b"<p:a/>",
            b"",
            b"<a>&foo;</a><b/>",
            b"<a x='&foo;'/>",
        ] {
            assert!(
                RawDoc::parse("x", bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
