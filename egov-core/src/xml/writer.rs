//! A small streaming XML writer for the format crates: escaping, namespace declarations,
//! self-closing empty elements and optional indentation.

/// Writes XML into a `String`.
///
/// ```
/// use egov_core::xml::XmlWriter;
///
/// let mut w = XmlWriter::new().indent(true).declaration();
/// w.start("ubl:Invoice");
/// w.namespace("ubl", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2");
/// w.leaf("cbc:ID", "R<1>");
/// w.start("cbc:PayableAmount");
/// w.attribute("currencyID", "EUR");
/// w.text("100.00");
/// w.end();
/// w.end();
/// let xml = w.finish();
/// assert!(xml.contains("<cbc:ID>R&lt;1&gt;</cbc:ID>"));
/// assert!(xml.contains(r#"<cbc:PayableAmount currencyID="EUR">100.00</cbc:PayableAmount>"#));
/// ```
#[derive(Debug, Default, Clone)]
pub struct XmlWriter {
    out: String,
    /// Open elements: name and whether they have element children (for indentation).
    stack: Vec<(String, bool)>,
    /// A start tag is open (`<name attr="…"` without `>` yet).
    tag_open: bool,
    indent: bool,
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Indent nested elements by two spaces per level (text content stays inline).
    pub fn indent(mut self, on: bool) -> Self {
        self.indent = on;
        self
    }

    /// Starts with `<?xml version="1.0" encoding="UTF-8"?>`.
    pub fn declaration(mut self) -> Self {
        self.out
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        if self.indent {
            self.out.push('\n');
        }
        self
    }

    fn close_tag(&mut self) {
        if self.tag_open {
            self.out.push('>');
            self.tag_open = false;
        }
    }

    fn newline(&mut self, depth: usize) {
        if self.indent && !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        if self.indent {
            for _ in 0..depth {
                self.out.push_str("  ");
            }
        }
    }

    /// Opens an element with a qualified name (`prefix:local` or `local`).
    pub fn start(&mut self, name: &str) -> &mut Self {
        self.close_tag();
        if let Some(parent) = self.stack.last_mut() {
            parent.1 = true;
        }
        let depth = self.stack.len();
        self.newline(depth);
        self.out.push('<');
        self.out.push_str(name);
        self.stack.push((name.to_owned(), false));
        self.tag_open = true;
        self
    }

    /// Declares a namespace on the element just started (`prefix` empty = default namespace).
    pub fn namespace(&mut self, prefix: &str, uri: &str) -> &mut Self {
        if prefix.is_empty() {
            self.attribute("xmlns", uri)
        } else {
            let name = format!("xmlns:{prefix}");
            self.attribute(&name, uri)
        }
    }

    /// Adds an attribute to the element just started (ignored once content was written).
    pub fn attribute(&mut self, name: &str, value: &str) -> &mut Self {
        if self.tag_open {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
        self
    }

    /// Writes escaped character data.
    pub fn text(&mut self, text: &str) -> &mut Self {
        if !text.is_empty() {
            self.close_tag();
            escape_into(&mut self.out, text, false);
        }
        self
    }

    /// Closes the innermost open element (`<x/>` when it has no content).
    pub fn end(&mut self) -> &mut Self {
        if let Some((name, has_children)) = self.stack.pop() {
            if self.tag_open {
                self.out.push_str("/>");
                self.tag_open = false;
            } else {
                if has_children {
                    let depth = self.stack.len();
                    self.newline(depth);
                }
                self.out.push_str("</");
                self.out.push_str(&name);
                self.out.push('>');
            }
        }
        self
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.start(name).text(text).end()
    }

    /// `<name a="v" …>text</name>` with the given attributes.
    pub fn leaf_with(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) -> &mut Self {
        self.start(name);
        for (k, v) in attributes {
            self.attribute(k, v);
        }
        self.text(text).end()
    }

    /// Closes all open elements and returns the document.
    pub fn finish(mut self) -> String {
        while !self.stack.is_empty() {
            self.end();
        }
        if self.indent {
            self.out.push('\n');
        }
        self.out
    }
}

/// Escapes text (`&`, `<`, `>`, CR) or attribute values (also `"`, TAB, LF, CR) into `out`.
///
/// Characters XML 1.0 cannot carry at all (most C0 controls, U+FFFE, U+FFFF) become U+FFFD, so
/// the output is always well-formed — models built from JSON may contain them.
pub fn escape_into(out: &mut String, s: &str, attribute: bool) {
    // Fast path: nothing to escape or replace (the common case, e.g. base64 attachments).
    // 0xEF starts U+FFFE/U+FFFF (and other characters, which then take the slow path).
    let special = |b: &u8| match *b {
        b'&' | b'<' | b'>' | b'\r' | 0xEF => true,
        b'"' | b'\t' | b'\n' => attribute,
        b => b < 0x20,
    };
    if !s.as_bytes().iter().any(special) {
        out.push_str(s);
        return;
    }
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let rep = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '\r' => "&#xD;",
            '"' if attribute => "&quot;",
            '\t' if attribute => "&#x9;",
            '\n' if attribute => "&#xA;",
            c if !super::parser::is_xml_char(c) => "\u{FFFD}",
            _ => continue,
        };
        out.push_str(s.get(last..i).unwrap_or_default());
        out.push_str(rep);
        last = i + c.len_utf8();
    }
    out.push_str(s.get(last..).unwrap_or_default());
}
