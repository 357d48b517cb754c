//! Builds a [`Document`] from untrusted bytes with quick-xml, enforcing [`Limits`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::sync::OnceLock;

use quick_xml::events::{BytesDecl, BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{
    AttrData, Document, Limits, NodeData, NodeKind, NsDecl, Position, Span, XmlError, XmlErrorKind,
    NONE, XMLNS_NAMESPACE, XML_NAMESPACE,
};

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

pub(super) fn parse(input: &[u8], limits: &Limits) -> Result<Document, XmlError> {
    let max = limits.max_bytes.min(u32::MAX as usize - 1);
    if input.len() > max {
        return Err(XmlError::new(
            XmlErrorKind::TooLarge,
            Position::locate(input, max),
            format!(
                "the input has {} bytes, more than the limit of {max}",
                input.len()
            ),
        ));
    }
    let (base, body) = match input.strip_prefix(UTF8_BOM) {
        Some(rest) => (UTF8_BOM.len(), rest),
        None => (0, input),
    };
    if body.starts_with(&[0xFE, 0xFF]) || body.starts_with(&[0xFF, 0xFE]) {
        return Err(XmlError::new(
            XmlErrorKind::Encoding,
            Position::locate(input, 0),
            "UTF-16 byte order mark: only UTF-8 is accepted",
        ));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        XmlError::new(
            XmlErrorKind::Encoding,
            Position::locate(input, base + e.valid_up_to()),
            "the input is not valid UTF-8 (only UTF-8 is accepted)",
        )
    })?;
    if let Some(bad) = first_control_char(text.as_bytes()) {
        return Err(XmlError::new(
            XmlErrorKind::Malformed,
            Position::locate(input, base + bad),
            "control character not allowed in XML 1.0",
        ));
    }
    let text: Box<str> = text.into();
    let parts = {
        let mut builder = Builder::new(&text, limits, base as u32);
        builder.run()?;
        builder.parts
    };
    Ok(Document {
        text,
        base: base as u32,
        decoded: parts.decoded,
        nodes: parts.nodes,
        attrs: parts.attrs,
        decls: parts.decls,
        namespaces: parts.namespaces,
        root_element: parts.root_element,
        line_starts: OnceLock::new(),
        positions_asked: AtomicU32::new(0),
        sibling_indexes: OnceLock::new(),
    })
}

/// The offset of the first byte below 0x20 other than tab, newline and carriage return (not
/// allowed anywhere in an XML 1.0 document). Whole 64-byte blocks are checked branch-free, so
/// that the compiler vectorises the scan; the block with a hit is searched byte by byte.
fn first_control_char(bytes: &[u8]) -> Option<usize> {
    let is_control = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r');
    let mut blocks = bytes.chunks_exact(64);
    let mut at = 0usize;
    for block in blocks.by_ref() {
        let mut any = false;
        for &b in block {
            any |= (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r');
        }
        if any {
            return block.iter().position(|b| is_control(*b)).map(|i| at + i);
        }
        at += 64;
    }
    (blocks.remainder().iter())
        .position(|b| is_control(*b))
        .map(|i| at + i)
}

/// Everything a [`Document`] holds besides the text.
struct Parts {
    decoded: String,
    nodes: Vec<NodeData>,
    attrs: Vec<AttrData>,
    decls: Vec<NsDecl>,
    namespaces: Vec<Box<str>>,
    root_element: u32,
}

/// An attribute seen on a start tag before namespace resolution.
struct RawAttr<'x> {
    qname: &'x str,
    value: Cow<'x, str>,
}

struct Builder<'a> {
    src: &'a str,
    limits: &'a Limits,
    base: u32,
    parts: Parts,
    ns_index: HashMap<Box<str>, u32>,
    /// In-scope declarations: (prefix, namespace index), innermost last.
    ns_stack: Vec<(Span, u32)>,
    /// Per open element: its node id and the `ns_stack` length before its declarations.
    open: Vec<(u32, usize)>,
    elements: usize,
    /// Text being accumulated (pieces separated by references) and its start offset.
    pending: Option<(u32, Span)>,
}

impl<'a> Builder<'a> {
    fn new(src: &'a str, limits: &'a Limits, base: u32) -> Self {
        let document = NodeData {
            kind: NodeKind::Document,
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            prev_sibling: NONE,
            offset: 0,
            a: Span::default(),
            b: Span::default(),
            ns: 0,
            attr_start: 0,
            attr_len: 0,
            decl_start: 0,
            decl_len: 0,
        };
        let mut ns_index = HashMap::new();
        ns_index.insert(Box::from(""), 0);
        ns_index.insert(Box::from(XML_NAMESPACE), 1);
        Self {
            src,
            limits,
            base,
            parts: Parts {
                decoded: String::new(),
                nodes: {
                    let mut nodes = Vec::with_capacity(src.len() / 24 + 4);
                    nodes.push(document);
                    nodes
                },
                attrs: Vec::new(),
                decls: Vec::new(),
                namespaces: vec![Box::from(""), Box::from(XML_NAMESPACE)],
                root_element: NONE,
            },
            ns_index,
            ns_stack: Vec::new(),
            open: Vec::new(),
            elements: 0,
            pending: None,
        }
    }

    fn err(&self, kind: XmlErrorKind, offset: usize, message: impl Into<String>) -> XmlError {
        let mut pos = Position::locate(self.src.as_bytes(), offset);
        pos.offset += u64::from(self.base);
        XmlError::new(kind, pos, message)
    }

    fn run(&mut self) -> Result<(), XmlError> {
        let mut reader = Reader::from_str(self.src);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.check_comments = true;
        config.expand_empty_elements = false;
        let mut first = true;
        loop {
            let offset = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| {
                let at = reader.error_position() as usize;
                self.err(map_quick_error(&e), at, e.to_string())
            })?;
            let is_first = std::mem::replace(&mut first, false);
            match event {
                Event::Decl(decl) => self.declaration(&decl, offset, is_first)?,
                Event::DocType(_) => {
                    return Err(self.err(
                        XmlErrorKind::DtdForbidden,
                        offset,
                        "DOCTYPE declarations are not accepted (no DTD, entities or external resources are ever processed)",
                    ))
                }
                Event::Start(start) => self.start_element(&start, offset, false)?,
                Event::Empty(start) => self.start_element(&start, offset, true)?,
                Event::End(_) => self.end_element()?,
                Event::Text(text) => {
                    let raw = text.into_inner();
                    self.text_piece(&raw, offset)?;
                }
                Event::GeneralRef(reference) => self.reference(&reference, offset)?,
                Event::CData(cdata) => {
                    let content = cdata.xml10_content();
                    self.leaf(NodeKind::CData, &content, "", offset)?;
                }
                Event::Comment(comment) => {
                    let content = comment.xml10_content();
                    self.leaf(NodeKind::Comment, &content, "", offset)?;
                }
                Event::PI(pi) => {
                    let target = pi.target();
                    if target.eq_ignore_ascii_case("xml") {
                        return Err(self.err(
                            XmlErrorKind::Malformed,
                            offset,
                            "XML declaration not at the start of the document",
                        ));
                    }
                    let data = pi.content().trim_start();
                    self.leaf(NodeKind::ProcessingInstruction, target, data, offset)?;
                }
                Event::Eof => return self.finish(offset),
            }
        }
    }

    fn declaration(
        &mut self,
        decl: &BytesDecl<'_>,
        offset: usize,
        first: bool,
    ) -> Result<(), XmlError> {
        if !first || offset != 0 {
            return Err(self.err(
                XmlErrorKind::Malformed,
                offset,
                "XML declaration not at the start of the document",
            ));
        }
        match decl.encoding() {
            None => Ok(()),
            Some(Ok(enc)) if enc.eq_ignore_ascii_case("utf-8") => Ok(()),
            Some(Ok(enc)) => Err(self.err(
                XmlErrorKind::Encoding,
                offset,
                format!("the XML declaration names encoding {enc:?}; only UTF-8 is accepted"),
            )),
            Some(Err(e)) => Err(self.err(XmlErrorKind::Malformed, offset, e.to_string())),
        }
    }

    fn finish(&mut self, offset: usize) -> Result<(), XmlError> {
        if !self.open.is_empty() {
            return Err(self.err(
                XmlErrorKind::Malformed,
                offset,
                "unexpected end of input: elements are not closed",
            ));
        }
        if self.parts.root_element == NONE {
            return Err(self.err(XmlErrorKind::Malformed, offset, "no root element"));
        }
        Ok(())
    }

    /// A span for a string that is either a slice of the source or needs to be stored.
    fn span_of(&mut self, s: &str) -> Span {
        let src_start = self.src.as_ptr() as usize;
        let p = s.as_ptr() as usize;
        if p >= src_start && p + s.len() <= src_start + self.src.len() {
            Span {
                start: (p - src_start) as u32,
                len: s.len() as u32,
                decoded: false,
            }
        } else {
            let start = self.parts.decoded.len() as u32;
            self.parts.decoded.push_str(s);
            Span {
                start,
                len: s.len() as u32,
                decoded: true,
            }
        }
    }

    fn offset_of(&self, s: &str) -> u32 {
        (s.as_ptr() as usize).saturating_sub(self.src.as_ptr() as usize) as u32
    }

    fn check_len(&self, len: usize, offset: usize, what: &str) -> Result<(), XmlError> {
        if len > self.limits.max_text_len {
            return Err(self.err(
                XmlErrorKind::TextTooLong,
                offset,
                format!(
                    "{what} of {len} bytes is longer than the limit of {}",
                    self.limits.max_text_len
                ),
            ));
        }
        Ok(())
    }

    /// Appends a node as last child of the current element (or of the document node).
    fn push_node(&mut self, mut data: NodeData) -> u32 {
        let id = self.parts.nodes.len() as u32;
        let parent = self.open.last().map_or(0, |(p, _)| *p);
        data.parent = parent;
        if let Some(p) = self.parts.nodes.get_mut(parent as usize) {
            data.prev_sibling = p.last_child;
            if p.first_child == NONE {
                p.first_child = id;
            }
            p.last_child = id;
        }
        if data.prev_sibling != NONE {
            if let Some(prev) = self.parts.nodes.get_mut(data.prev_sibling as usize) {
                prev.next_sibling = id;
            }
        }
        self.parts.nodes.push(data);
        id
    }

    fn node(kind: NodeKind, offset: u32, a: Span, b: Span) -> NodeData {
        NodeData {
            kind,
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            prev_sibling: NONE,
            offset,
            a,
            b,
            ns: 0,
            attr_start: 0,
            attr_len: 0,
            decl_start: 0,
            decl_len: 0,
        }
    }

    /// A text event: character data between markup, line ends normalised.
    fn text_piece(&mut self, raw: &str, offset: usize) -> Result<(), XmlError> {
        if self.open.is_empty() {
            if raw
                .bytes()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                return Ok(());
            }
            return Err(self.err(
                XmlErrorKind::Malformed,
                offset,
                "character data outside the root element",
            ));
        }
        let piece = normalize_eol(raw);
        self.append_text(&piece, offset)
    }

    /// A general reference in text: one of the five predefined entities or a character reference.
    fn reference(&mut self, r: &BytesRef<'_>, offset: usize) -> Result<(), XmlError> {
        if self.open.is_empty() {
            return Err(self.err(
                XmlErrorKind::Malformed,
                offset,
                "reference outside the root element",
            ));
        }
        let mut buf = [0u8; 4];
        let resolved: &str = if r.is_char_ref() {
            match r.resolve_char_ref() {
                Ok(Some(c)) if is_xml_char(c) => c.encode_utf8(&mut buf),
                _ => {
                    return Err(self.err(
                        XmlErrorKind::Malformed,
                        offset,
                        format!("invalid character reference &{};", &**r),
                    ))
                }
            }
        } else {
            predefined_entity(r).ok_or_else(|| {
                self.err(
                    XmlErrorKind::Malformed,
                    offset,
                    format!(
                        "undeclared entity &{};: only the five predefined entities and character references are accepted",
                        &**r
                    ),
                )
            })?
        };
        // Decoded text is never EOL-normalised: `&#13;` stays a carriage return.
        self.append_text(resolved, offset)
    }

    /// Adds a piece to the pending text node; pieces separated by references are merged into one
    /// contiguous string in the decoded buffer.
    fn append_text(&mut self, piece: &str, offset: usize) -> Result<(), XmlError> {
        let span = match self.pending {
            None => {
                let span = self.span_of(piece);
                self.pending = Some((offset as u32, span));
                span
            }
            Some((start, mut span)) => {
                if !span.decoded {
                    let copy_start = self.parts.decoded.len() as u32;
                    let range = span.start as usize..(span.start + span.len) as usize;
                    self.parts
                        .decoded
                        .push_str(self.src.get(range).unwrap_or_default());
                    span.start = copy_start;
                    span.decoded = true;
                }
                self.parts.decoded.push_str(piece);
                span.len += piece.len() as u32;
                self.pending = Some((start, span));
                span
            }
        };
        self.check_len(span.len as usize, offset, "text")
    }

    fn flush_text(&mut self) {
        if let Some((offset, span)) = self.pending.take() {
            let node = Self::node(NodeKind::Text, offset, span, Span::default());
            self.push_node(node);
        }
    }

    /// A CDATA section, comment or PI.
    fn leaf(&mut self, kind: NodeKind, a: &str, b: &str, offset: usize) -> Result<(), XmlError> {
        self.flush_text();
        if kind == NodeKind::CData && self.open.is_empty() {
            return Err(self.err(
                XmlErrorKind::Malformed,
                offset,
                "CDATA section outside the root element",
            ));
        }
        self.check_len(a.len().max(b.len()), offset, "markup content")?;
        let a = self.span_of(a);
        let b = self.span_of(b);
        self.push_node(Self::node(kind, offset as u32, a, b));
        Ok(())
    }

    fn start_element(
        &mut self,
        start: &BytesStart<'_>,
        offset: usize,
        empty: bool,
    ) -> Result<(), XmlError> {
        self.flush_text();
        if self.open.is_empty() && self.parts.root_element != NONE {
            return Err(self.err(XmlErrorKind::Malformed, offset, "a second root element"));
        }
        if self.open.len() >= self.limits.max_depth {
            return Err(self.err(
                XmlErrorKind::TooDeep,
                offset,
                format!(
                    "elements nested deeper than the limit of {}",
                    self.limits.max_depth
                ),
            ));
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(self.err(
                XmlErrorKind::TooManyElements,
                offset,
                format!(
                    "more elements than the limit of {}",
                    self.limits.max_elements
                ),
            ));
        }
        let raw_attrs = self.read_attributes(start, offset)?;
        let scope_mark = self.ns_stack.len();
        let decl_start = self.parts.decls.len() as u32;
        let mut plain: Vec<&RawAttr<'_>> = Vec::with_capacity(raw_attrs.len());
        for attr in &raw_attrs {
            if attr.qname == "xmlns" {
                self.declare("", &attr.value, offset)?;
            } else if let Some(prefix) = attr.qname.strip_prefix("xmlns:") {
                self.declare(prefix, &attr.value, offset)?;
            } else {
                plain.push(attr);
            }
        }
        let decl_len = self.parts.decls.len() as u32 - decl_start;

        let qname = start.name().0;
        let (prefix, local) = split_qname(qname).ok_or_else(|| {
            self.err(
                XmlErrorKind::Malformed,
                offset,
                format!("invalid element name {qname:?}"),
            )
        })?;
        let ns = if prefix.is_empty() {
            self.resolve("").unwrap_or(0)
        } else {
            self.resolve_prefix(prefix, offset, "element")?
        };

        let attr_start = self.parts.attrs.len() as u32;
        for attr in plain {
            let (aprefix, alocal) = split_qname(attr.qname).ok_or_else(|| {
                self.err(
                    XmlErrorKind::Malformed,
                    offset,
                    format!("invalid attribute name {:?}", attr.qname),
                )
            })?;
            let ans = if aprefix.is_empty() {
                0
            } else {
                self.resolve_prefix(aprefix, offset, "attribute")?
            };
            let data = AttrData {
                prefix: self.span_of(aprefix),
                local: self.span_of(alocal),
                ns: ans,
                value: self.span_of(&attr.value),
                offset: self.offset_of(attr.qname),
            };
            self.parts.attrs.push(data);
        }
        let attr_len = self.parts.attrs.len() as u32 - attr_start;
        self.check_duplicate_expanded(attr_start, attr_len, offset)?;

        let mut data = Self::node(
            NodeKind::Element,
            offset as u32,
            self.span_of(prefix),
            self.span_of(local),
        );
        data.ns = ns;
        data.attr_start = attr_start;
        data.attr_len = attr_len;
        data.decl_start = decl_start;
        data.decl_len = decl_len;
        let id = self.push_node(data);
        if self.open.is_empty() {
            self.parts.root_element = id;
        }
        self.open.push((id, scope_mark));
        if empty {
            self.end_element()?;
        }
        Ok(())
    }

    fn read_attributes<'s>(
        &self,
        start: &'s BytesStart<'_>,
        offset: usize,
    ) -> Result<Vec<RawAttr<'s>>, XmlError> {
        let mut out: Vec<RawAttr<'s>> = Vec::new();
        let mut attrs = start.attributes();
        attrs.with_checks(false);
        for attr in attrs {
            if out.len() >= self.limits.max_attributes {
                return Err(self.err(
                    XmlErrorKind::TooManyAttributes,
                    offset,
                    format!(
                        "more attributes on one element than the limit of {}",
                        self.limits.max_attributes
                    ),
                ));
            }
            let attr =
                attr.map_err(|e| self.err(XmlErrorKind::Malformed, offset, e.to_string()))?;
            let qname = attr.key.0;
            let at = self.offset_of(qname) as usize;
            self.check_len(attr.value.len(), at, "attribute value")?;
            if out.iter().any(|o| o.qname == qname) {
                return Err(self.err(
                    XmlErrorKind::DuplicateAttribute,
                    at,
                    format!("attribute {qname:?} occurs twice"),
                ));
            }
            if attr.value.contains('<') {
                return Err(self.err(
                    XmlErrorKind::Malformed,
                    at,
                    format!("'<' in the value of attribute {qname:?}"),
                ));
            }
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| self.err(XmlErrorKind::Malformed, at, e.to_string()))?;
            out.push(RawAttr { qname, value });
        }
        Ok(out)
    }

    fn check_duplicate_expanded(
        &self,
        start: u32,
        len: u32,
        offset: usize,
    ) -> Result<(), XmlError> {
        let attrs = self
            .parts
            .attrs
            .get(start as usize..(start + len) as usize)
            .unwrap_or_default();
        for (i, a) in attrs.iter().enumerate() {
            let local = self.str_of(a.local);
            let clash = attrs
                .iter()
                .skip(i + 1)
                .find(|b| b.ns == a.ns && self.str_of(b.local) == local);
            if let Some(b) = clash {
                return Err(self.err(
                    XmlErrorKind::DuplicateAttribute,
                    (b.offset as usize).max(offset),
                    format!(
                        "attribute {{{}}}{local} occurs twice",
                        self.parts.namespaces.get(a.ns as usize).map_or("", |s| s)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn str_of(&self, span: Span) -> &str {
        let range = span.start as usize..(span.start + span.len) as usize;
        if span.decoded {
            self.parts.decoded.get(range).unwrap_or_default()
        } else {
            self.src.get(range).unwrap_or_default()
        }
    }

    fn declare(&mut self, prefix: &str, uri: &str, offset: usize) -> Result<(), XmlError> {
        if prefix == "xmlns" || uri == XMLNS_NAMESPACE {
            return Err(self.err(
                XmlErrorKind::Malformed,
                offset,
                "the xmlns prefix and namespace cannot be declared",
            ));
        }
        if (prefix == "xml") != (uri == XML_NAMESPACE) {
            return Err(self.err(
                XmlErrorKind::Malformed,
                offset,
                "the xml prefix is bound to the XML namespace only",
            ));
        }
        if !prefix.is_empty() && uri.is_empty() {
            return Err(self.err(
                XmlErrorKind::Malformed,
                offset,
                format!("prefix {prefix:?} declared with an empty namespace name"),
            ));
        }
        let ns = match self.ns_index.get(uri) {
            Some(i) => *i,
            None => {
                let i = self.parts.namespaces.len() as u32;
                self.parts.namespaces.push(Box::from(uri));
                self.ns_index.insert(Box::from(uri), i);
                i
            }
        };
        let prefix = self.span_of(prefix);
        self.ns_stack.push((prefix, ns));
        self.parts.decls.push(NsDecl { prefix, ns });
        Ok(())
    }

    /// The namespace index bound to `prefix` (`""` = default) in the current scope.
    fn resolve(&self, prefix: &str) -> Option<u32> {
        if prefix == "xml" {
            return Some(1);
        }
        self.ns_stack
            .iter()
            .rev()
            .find(|(p, _)| self.str_of(*p) == prefix)
            .map(|(_, ns)| *ns)
    }

    fn resolve_prefix(&self, prefix: &str, offset: usize, what: &str) -> Result<u32, XmlError> {
        match self.resolve(prefix) {
            Some(ns) if ns != 0 => Ok(ns),
            _ => Err(self.err(
                XmlErrorKind::UndeclaredPrefix,
                offset,
                format!("{what} prefix {prefix:?} is not declared"),
            )),
        }
    }

    fn end_element(&mut self) -> Result<(), XmlError> {
        self.flush_text();
        if let Some((_, mark)) = self.open.pop() {
            self.ns_stack.truncate(mark);
        }
        Ok(())
    }
}

/// Splits `prefix:local`; rejects empty parts and more than one colon.
fn split_qname(qname: &str) -> Option<(&str, &str)> {
    match crate::split_once_ascii(qname, b':') {
        None if !qname.is_empty() => Some(("", qname)),
        Some((p, l)) if !p.is_empty() && !l.is_empty() && !l.as_bytes().contains(&b':') => {
            Some((p, l))
        }
        _ => None,
    }
}

/// XML 1.0 §2.11: `\r\n` and lone `\r` become `\n`.
fn normalize_eol(s: &str) -> Cow<'_, str> {
    if !s.contains('\r') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
}

fn predefined_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "apos" => "'",
        "quot" => "\"",
        _ => return None,
    })
}

/// The `Char` production of XML 1.0.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn map_quick_error(e: &quick_xml::Error) -> XmlErrorKind {
    match e {
        quick_xml::Error::Encoding(_) => XmlErrorKind::Encoding,
        _ => XmlErrorKind::Malformed,
    }
}
