//! The secure XML layer: structure, navigation, limits and hostile inputs.
use egov_core::xml::{Document, Limits, NodeKind, XmlErrorKind, XmlWriter};
use std::time::Instant;

fn parse(s: &str) -> Document {
    Document::parse(s.as_bytes(), &Limits::default()).unwrap()
}

fn kind(s: &[u8]) -> XmlErrorKind {
    Document::parse(s, &Limits::default()).unwrap_err().kind()
}

#[test]
fn namespaces_attributes_and_text() {
    let doc = parse(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- head -->
<rsm:Root xmlns:rsm="urn:r" xmlns="urn:d" xmlns:a="urn:a" a:x="1" y="2">
  <Child>one &amp; <![CDATA[<two>]]> &#x33;&#52;</Child>
  <?pi data here?>
  <inner xmlns=""><leaf/></inner>
</rsm:Root>"#,
    );
    let root = doc.root_element();
    assert_eq!(root.namespace(), "urn:r");
    assert_eq!(root.local_name(), "Root");
    assert_eq!(root.prefix(), "rsm");
    assert_eq!(root.attribute_ns("urn:a", "x"), Some("1"));
    assert_eq!(root.attribute("y"), Some("2"));
    assert_eq!(root.attributes().len(), 2);
    let decls: Vec<_> = root.namespace_declarations().collect();
    assert_eq!(decls, [("rsm", "urn:r"), ("", "urn:d"), ("a", "urn:a")]);
    let child = root.child("urn:d", "Child").unwrap();
    assert_eq!(child.text(), "one & <two> 34");
    assert_eq!(child.children().count(), 3, "text, CDATA, text");
    assert_eq!(child.position().line, 4);
    assert_eq!(child.position().column, 3);
    let inner = root.child("", "inner").unwrap();
    assert_eq!(inner.child("", "leaf").unwrap().namespace(), "");
    assert_eq!(inner.lookup_namespace(""), None);
    assert_eq!(inner.lookup_namespace("a"), Some("urn:a"));
    assert_eq!(
        inner.lookup_namespace("xml"),
        Some(egov_core::xml::XML_NAMESPACE)
    );
    let scope = inner.in_scope_namespaces();
    assert_eq!(scope, [("a", "urn:a"), ("rsm", "urn:r")]);
    let pi = root
        .children()
        .find(|n| n.kind() == NodeKind::ProcessingInstruction)
        .unwrap();
    assert_eq!(pi.pi_target(), "pi");
    assert_eq!(pi.value(), "data here");
    let top: Vec<_> = doc.document_node().children().map(|n| n.kind()).collect();
    assert_eq!(top, [NodeKind::Comment, NodeKind::Element]);
    assert_eq!(child.path(), "/rsm:Root/Child[1]");
    assert_eq!(
        inner.child("", "leaf").unwrap().path(),
        "/rsm:Root/inner[1]/leaf[1]"
    );
    assert!(root.is_ancestor_of(child));
    assert!(!child.is_ancestor_of(root));
    assert_eq!(root.string_value(), doc.document_node().string_value());
}

#[test]
fn text_is_every_piece_never_only_the_first() {
    // The SAML truncation classic: a comment splits the NameID text.
    let doc = parse("<NameID>user@example.org<!---->.evil.example</NameID>");
    assert_eq!(doc.root_element().text(), "user@example.org.evil.example");
    let doc = parse("<a>x<![CDATA[y]]>z</a>");
    assert_eq!(doc.root_element().text(), "xyz");
}

#[test]
fn line_ends_and_attribute_values_are_normalised() {
    let doc = parse("<a b=\"1\n2\t3&#10;\">x\r\ny\rz&#13;</a>");
    let a = doc.root_element();
    assert_eq!(a.attribute("b"), Some("1 2 3\n"));
    assert_eq!(a.text(), "x\ny\nz\r");
}

#[test]
fn positions_count_characters() {
    let doc = parse("<a>\n  <ä>ö</ä><b/></a>");
    let b = doc.root_element().child("", "b").unwrap();
    assert_eq!((b.position().line, b.position().column), (2, 11));
}

/// The first positions of a document are counted from its start, later ones come from a
/// table of line starts: both give the same line and column (long lines, CR LF, multibyte
/// characters, more than one vector block of text before the node).
#[test]
fn positions_are_the_same_counted_and_from_the_table() {
    let mut xml = String::from("<?xml version=\"1.0\"?>\r\n<r>\n");
    for i in 0..40 {
        xml.push_str(&format!(
            "  <e{i}>{}ä€</e{i}>{}",
            "x".repeat(i * 3),
            "\n".repeat(i % 3)
        ));
    }
    xml.push_str("</r>");
    let doc = parse(&xml);
    let fresh = parse(&xml);
    let nodes: Vec<_> = doc
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .collect();
    let expected: Vec<_> = nodes.iter().map(|n| n.position()).collect();
    // the fresh document answers the later nodes first: counted, then from its table
    let fresh_nodes: Vec<_> = fresh
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .collect();
    let got: Vec<_> = fresh_nodes.iter().rev().map(|n| n.position()).collect();
    let got: Vec<_> = got.into_iter().rev().collect();
    assert_eq!(got, expected);
    let last = expected.last().unwrap();
    let lines = xml[..xml.rfind("<e39>").unwrap()].matches('\n').count() as u32;
    assert_eq!((last.line, last.column), (lines + 1, 3));
}

#[test]
fn descendants_and_document_order() {
    let doc = parse("<a><b><c/></b><d/></a>");
    let names: Vec<_> = doc
        .root_element()
        .descendants()
        .map(|n| n.local_name())
        .collect();
    assert_eq!(names, ["b", "c", "d"]);
    let b = doc.root_element().child("", "b").unwrap();
    assert_eq!(b.descendants().count(), 1);
    let ids: Vec<_> = doc.nodes().map(|n| n.id().index()).collect();
    assert_eq!(ids, [0, 1, 2, 3, 4]);
}

#[test]
fn rejects_with_the_right_kind() {
    let cases: &[(&[u8], XmlErrorKind)] = &[
        (b"<!DOCTYPE a><a/>", XmlErrorKind::DtdForbidden),
        (
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>",
            XmlErrorKind::Encoding,
        ),
        (b"<a>\xff</a>", XmlErrorKind::Encoding),
        (b"\xff\xfe<\0a\0/\0>\0", XmlErrorKind::Encoding),
        (b"<a x='1' x='2'/>", XmlErrorKind::DuplicateAttribute),
        (
            b"<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>",
            XmlErrorKind::DuplicateAttribute,
        ),
        (b"<p:a/>", XmlErrorKind::UndeclaredPrefix),
        (b"<a p:x='1'/>", XmlErrorKind::UndeclaredPrefix),
        (b"<a>", XmlErrorKind::Malformed),
        (b"<a></b>", XmlErrorKind::Malformed),
        (b"<a/><b/>", XmlErrorKind::Malformed),
        (b"text<a/>", XmlErrorKind::Malformed),
        (b"<a>&foo;</a>", XmlErrorKind::Malformed),
        (b"<a>&#0;</a>", XmlErrorKind::Malformed),
        (b"<a>\x01</a>", XmlErrorKind::Malformed),
        (b"", XmlErrorKind::Malformed),
        (b"<a><!-- a -- b --></a>", XmlErrorKind::Malformed),
        (b"<a x='<'/>", XmlErrorKind::Malformed),
        (b"<a xmlns:p=''/>", XmlErrorKind::Malformed),
    ];
    for (input, expected) in cases {
        assert_eq!(kind(input), *expected, "{}", String::from_utf8_lossy(input));
    }
    assert!(Document::parse(b"\xEF\xBB\xBF<a/>", &Limits::default()).is_ok());
}

#[test]
fn errors_carry_line_and_column() {
    let err = Document::parse(b"<a>\n  <b>&bad;</b></a>", &Limits::default()).unwrap_err();
    assert_eq!((err.line(), err.column()), (2, 6));
    assert!(err.to_string().contains("malformed at line 2"));
}

fn fails_fast(input: &[u8], expected: XmlErrorKind) {
    let start = Instant::now();
    let err = Document::parse(input, &Limits::default()).unwrap_err();
    let took = start.elapsed();
    assert_eq!(err.kind(), expected);
    // Not a timing assertion (machines are noisy): printed for the record.
    println!("{expected}: rejected {} bytes in {took:?}", input.len());
}

#[test]
fn hostile_inputs_fail_fast() {
    let mut wide = String::from("<a");
    for i in 0..50_000 {
        wide.push_str(&format!(" a{i}='x'"));
    }
    wide.push_str("/>");
    fails_fast(wide.as_bytes(), XmlErrorKind::TooManyAttributes);
    let deep = "<a>".repeat(10_000) + &"</a>".repeat(10_000);
    fails_fast(deep.as_bytes(), XmlErrorKind::TooDeep);
    let big = format!("<a>{}</a>", "x".repeat(1536 * 1024));
    fails_fast(big.as_bytes(), XmlErrorKind::TooLarge);
    let many = format!("<a>{}</a>", "<b/>".repeat(150_000));
    fails_fast(many.as_bytes(), XmlErrorKind::TooManyElements);
    let limits = Limits {
        max_text_len: 10,
        ..Limits::default()
    };
    let err = Document::parse(b"<a>01234567890</a>", &limits).unwrap_err();
    assert_eq!(err.kind(), XmlErrorKind::TextTooLong);
}

#[test]
fn writer_output_parses_back() {
    let mut w = XmlWriter::new().indent(true).declaration();
    w.start("p:r")
        .namespace("p", "urn:p")
        .attribute("a", "x\"<&\n");
    w.leaf("p:t", "1 < 2 & 3 > 2\r");
    w.start("p:empty").end();
    w.leaf_with("p:amount", &[("currencyID", "EUR")], "1.00");
    let xml = w.finish();
    let doc = parse(&xml);
    let r = doc.root_element();
    assert_eq!(r.attribute("a"), Some("x\"<&\n"));
    assert_eq!(r.child("urn:p", "t").unwrap().text(), "1 < 2 & 3 > 2\r");
    assert!(xml.contains("<p:empty/>"));
    assert_eq!(
        r.child("urn:p", "amount").unwrap().attribute("currencyID"),
        Some("EUR")
    );
}

proptest::proptest! {
    #[test]
    fn writer_round_trips_any_text(text in "\\PC*", attr in "\\PC*") {
        let mut w = XmlWriter::new();
        w.start("a").attribute("v", &attr).text(&text).end();
        let doc = Document::parse(w.finish().as_bytes(), &Limits::default()).unwrap();
        proptest::prop_assert_eq!(doc.root_element().text(), text.as_str());
        proptest::prop_assert_eq!(doc.root_element().attribute("v"), Some(attr.as_str()));
    }

    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let _ = Document::parse(&bytes, &Limits::default());
    }
}

fn xml_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            xml_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
        {
            out.push(path);
        }
    }
}

#[test]
fn accepts_the_whole_xrechnung_testsuite() {
    let Some(shared) = crate::common::shared_dir("accepts_the_whole_xrechnung_testsuite") else {
        return;
    };
    let mut files = Vec::new();
    xml_files(
        &shared.join("testdata/xrechnung/xrechnung-testsuite"),
        &mut files,
    );
    assert!(files.len() >= 86, "testsuite incomplete: {}", files.len());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        if let Err(e) = Document::parse(&bytes, &Limits::default()) {
            panic!("{}: {e}", f.display());
        }
    }
    println!("xml: {} testsuite files parse", files.len());
}

#[test]
fn rejects_the_hostile_auth_vectors() {
    let Some(shared) = crate::common::shared_dir("rejects_the_hostile_auth_vectors") else {
        return;
    };
    let dir = shared.join("testdata/auth/generated");
    let expect = |name: &str| -> Option<XmlErrorKind> {
        [
            ("dtd", XmlErrorKind::DtdForbidden),
            ("xxe", XmlErrorKind::DtdForbidden),
            ("billion_laughs", XmlErrorKind::DtdForbidden),
            ("huge", XmlErrorKind::TooLarge),
            ("wide", XmlErrorKind::TooManyElements),
            ("deep", XmlErrorKind::TooDeep),
        ]
        .into_iter()
        .find(|(k, _)| name.contains(k))
        .map(|(_, kind)| kind)
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(kind) = expect(&name) else { continue };
        let bytes = std::fs::read(&path).unwrap();
        let start = Instant::now();
        let err = Document::parse(&bytes, &Limits::default()).unwrap_err();
        println!("{name}: {} in {:?}", err.kind(), start.elapsed());
        assert_eq!(err.kind(), kind, "{name}: {err}");
        checked += 1;
    }
    assert!(checked >= 5, "hostile vectors missing: {checked}");
}

#[test]
fn paths_stay_linear_with_many_siblings() {
    let many = format!("<a>{}<c/></a>", "<b/>".repeat(50_000));
    let doc = Document::parse(many.as_bytes(), &Limits::default()).unwrap();
    let start = Instant::now();
    let paths: usize = doc.root_element().children().map(|n| n.path().len()).sum();
    assert!(paths > 0);
    let last = doc.root_element().last_child().unwrap();
    assert_eq!(last.path(), "/a/c[1]");
    let b = doc.root_element().children().nth(49_999).unwrap();
    assert_eq!(b.path(), "/a/b[50000]");
    println!("50,001 paths in {:?}", start.elapsed());
}

#[test]
fn writer_replaces_characters_xml_cannot_carry() {
    let mut w = XmlWriter::new();
    w.start("a")
        .attribute("v", "x\u{1}y")
        .text("nul\u{0}\u{FFFE}end")
        .end();
    let doc = Document::parse(w.finish().as_bytes(), &Limits::default()).unwrap();
    assert_eq!(doc.root_element().text(), "nul\u{FFFD}\u{FFFD}end");
    assert_eq!(doc.root_element().attribute("v"), Some("x\u{FFFD}y"));
}

#[test]
fn control_characters_are_found_wherever_they_are() {
    // tab, newline and carriage return are allowed; every other byte below 0x20 is not, at
    // any offset (inside and after the 64-byte blocks the scan checks at once)
    let ok = format!("<r a=\"\t\">{}\r\n\t</r>", "x".repeat(300));
    assert!(Document::parse(ok.as_bytes(), &Limits::default()).is_ok());
    for at in [3usize, 63, 64, 65, 127, 128, 200, 311] {
        for bad in [0x01u8, 0x0B, 0x0C, 0x1F] {
            let mut doc = format!("<r>{}</r>", "y".repeat(320)).into_bytes();
            doc[at] = bad;
            let e = Document::parse(&doc, &Limits::default()).unwrap_err();
            assert_eq!(e.kind(), XmlErrorKind::Malformed, "{bad:#x} at {at}");
            assert_eq!(e.offset(), at as u64, "{bad:#x} at {at}");
        }
    }
    // two of them: the first is reported
    let mut doc = format!("<r>{}</r>", "z".repeat(200)).into_bytes();
    doc[150] = 0x02;
    doc[70] = 0x03;
    assert_eq!(
        Document::parse(&doc, &Limits::default())
            .unwrap_err()
            .offset(),
        70
    );
}

#[test]
fn paths_count_siblings_of_the_same_name_among_many_names() {
    // 20 distinct names (more than the short list keeps), each three times, interleaved
    let mut xml = String::from("<r>");
    for round in 0..3 {
        for i in 0..20 {
            xml.push_str(&format!("<e{i}>{round}</e{i}>text"));
        }
    }
    xml.push_str("</r>");
    let doc = parse(&xml);
    let mut seen = 0;
    for (k, child) in doc
        .root_element()
        .children()
        .filter(|c| c.kind() == NodeKind::Element)
        .enumerate()
    {
        let (round, i) = (k / 20, k % 20);
        assert_eq!(child.path(), format!("/r/e{i}[{}]", round + 1));
        seen += 1;
    }
    assert_eq!(seen, 60);
}

#[test]
fn paths_agree_whether_siblings_are_counted_or_indexed() {
    // a few siblings are counted per path; a node with many is looked up in the index of all
    // nodes: asking in document order (counting first) and in reverse order (the index first)
    // must give the same paths
    let mut xml = String::from(r#"<r xmlns:a="urn:a" xmlns:b="urn:b">"#);
    for i in 0..90 {
        xml.push_str(&format!(
            "<a:x>{i}</a:x><b:x/><x><y/>t<!--c--><y/><?p?></x>"
        ));
    }
    xml.push_str("</r>");
    let first = parse(&xml);
    let second = parse(&xml);
    let forward: Vec<String> = first.nodes().skip(1).map(|n| n.path()).collect();
    let nodes: Vec<_> = second.nodes().skip(1).collect();
    let mut backward: Vec<String> = nodes.iter().rev().map(|n| n.path()).collect();
    backward.reverse();
    assert_eq!(forward, backward);
    assert!(forward.contains(&"/r/a:x[90]/text()[1]".to_string()));
    assert!(forward.contains(&"/r/x[90]/comment()[1]".to_string()));
    assert!(forward.contains(&"/r/x[3]/y[2]".to_string()));
}
