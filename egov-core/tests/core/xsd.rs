//! XML Schema validation: compilation (imports, includes, errors), content models, simple types
//! and their lexical spaces, attributes, wildcards, xsi:*, positions, the compact form.
use std::path::PathBuf;
use std::time::Instant;

use egov_core::xml::{Document, Limits};
use egov_core::xsd::{SchemaSet, SchemaViolation};
use egov_core::Error;

const XS_HEAD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">"#;

/// Compiles a one-document schema (its body inside `xs:schema` with target namespace `urn:t`).
fn schema(body: &str) -> SchemaSet {
    try_schema(body).unwrap()
}

fn try_schema(body: &str) -> Result<SchemaSet, Error> {
    let text = format!("{XS_HEAD}{body}</xs:schema>");
    SchemaSet::compile("t.xsd", |loc: &str| (loc == "t.xsd").then(|| text.clone()))
}

fn check(set: &SchemaSet, xml: &str) -> Vec<SchemaViolation> {
    let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
    set.validate(&doc)
}

fn valid(set: &SchemaSet, xml: &str) -> bool {
    let v = check(set, xml);
    if let Some(first) = v.first() {
        eprintln!("{xml}: {first}");
    }
    v.is_empty()
}

/// The first violation's message (panics when valid).
fn first(set: &SchemaSet, xml: &str) -> String {
    let v = check(set, xml);
    assert!(!v.is_empty(), "expected a violation: {xml}");
    v[0].message.clone()
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xsd")
}

fn order_schema() -> SchemaSet {
    let dir = fixtures();
    SchemaSet::compile("order.xsd", |loc: &str| std::fs::read(dir.join(loc)).ok()).unwrap()
}

const ORDER_OK: &str = r#"<Order xmlns="urn:test:order" xmlns:c="urn:test:common" version="1">
  <c:ID schemeID="x">A-1</c:ID>
  <IssueDate>2024-02-29</IssueDate>
  <Buyer><Name>ACME</Name></Buyer>
  <Line><Quantity>2</Quantity><Price currencyID="EUR">10.50</Price></Line>
</Order>"#;

fn order_with(body: &str) -> String {
    format!(
        r#"<Order xmlns="urn:test:order" xmlns:c="urn:test:common" version="1"><c:ID>1</c:ID><IssueDate>2024-01-01</IssueDate>{body}</Order>"#
    )
}

const LINE: &str = "<Line><Quantity>1</Quantity><Price currencyID='EUR'>1</Price></Line>";

#[test]
fn imports_includes_and_chameleon_includes() {
    let set = order_schema();
    assert_eq!(
        set.documents(),
        ["order.xsd", "common/common.xsd", "common/chameleon.xsd"]
    );
    assert!(set.declares_element("urn:test:order", "Order"));
    assert!(set.declares_element("urn:test:common", "ID"));
    assert!(
        !set.declares_element("urn:test:order", "Line"),
        "local, not global"
    );
    assert!(valid(&set, ORDER_OK));
}

#[test]
fn sequence_choice_and_occurrence_bounds() {
    let set = order_schema();
    assert!(valid(
        &set,
        &order_with(&format!(
            "<Note/><Note>x</Note><BuyerRef>r</BuyerRef>{LINE}"
        ))
    ));
    assert!(valid(
        &set,
        &order_with(&format!(
            "<BuyerRef>r</BuyerRef><BuyerName>n</BuyerName>{LINE}{LINE}{LINE}<Priority>high</Priority>"
        ))
    ));
    // maxOccurs="3"
    let v = check(
        &set,
        &order_with(&format!("<BuyerRef>r</BuyerRef>{LINE}{LINE}{LINE}{LINE}")),
    );
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "/Order/Line[4]");
    assert!(
        v[0].message
            .contains("element Line is not allowed here; expected Priority"),
        "{}",
        v[0]
    );
    // both branches of the choice
    let m = first(
        &set,
        &order_with(&format!(
            "<Buyer><Name>n</Name></Buyer><BuyerRef>r</BuyerRef>{LINE}"
        )),
    );
    assert!(
        m.contains("BuyerRef is not allowed here; expected Line"),
        "{m}"
    );
    // the choice is required
    let m = first(&set, &order_with(LINE));
    assert!(m.contains("expected one of Note, Buyer, BuyerRef"), "{m}");
    // a required element missing at the end
    let v = check(&set, &order_with("<BuyerRef>r</BuyerRef>"));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "/Order");
    assert!(
        v[0].message
            .contains("element Order is incomplete: missing one of BuyerName, Line"),
        "{}",
        v[0]
    );
    // wrong order, with the element's own prefix in the message
    let m = first(
        &set,
        r#"<Order xmlns="urn:test:order" xmlns:c="urn:test:common" version="1"><IssueDate>2024-01-01</IssueDate><c:ID>1</c:ID></Order>"#,
    );
    assert!(
        m.contains("IssueDate is not allowed here; expected c:ID"),
        "{m}"
    );
    // unknown element, and after a content error the rest of the parent is not reported again
    let v = check(
        &set,
        &order_with(&format!("<Foo/><Bar/><BuyerRef>r</BuyerRef>{LINE}")),
    );
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].message.starts_with("element Foo is not allowed here"));
}

#[test]
fn nested_groups_and_all() {
    let set = schema(
        r#"<xs:element name="R"><xs:complexType><xs:sequence>
             <xs:choice minOccurs="0" maxOccurs="unbounded">
               <xs:element name="a" type="xs:string"/>
               <xs:sequence><xs:element name="b" type="xs:string"/><xs:element name="c" type="xs:string" minOccurs="2" maxOccurs="2"/></xs:sequence>
             </xs:choice>
             <xs:group ref="tail"/>
           </xs:sequence></xs:complexType></xs:element>
           <xs:group name="tail"><xs:sequence><xs:element name="z" type="xs:string"/></xs:sequence></xs:group>
           <xs:element name="A"><xs:complexType><xs:all>
             <xs:element name="x" type="xs:string"/><xs:element name="y" type="xs:string" minOccurs="0"/>
           </xs:all></xs:complexType></xs:element>"#,
    );
    let r = |body: &str| format!("<R xmlns='urn:t'>{body}</R>");
    assert!(valid(&set, &r("<z/>")));
    assert!(valid(&set, &r("<a/><b/><c/><c/><a/><z/>")));
    assert!(!valid(&set, &r("<b/><c/><z/>")), "c needs two occurrences");
    assert!(!valid(&set, &r("<b/><c/><c/><c/><z/>")));
    assert!(!valid(&set, &r("<a/>")));
    let a = |body: &str| format!("<A xmlns='urn:t'>{body}</A>");
    assert!(valid(&set, &a("<y/><x/>")));
    assert!(valid(&set, &a("<x/>")));
    assert!(first(&set, &a("<y/>")).contains("incomplete: missing x"));
    assert!(first(&set, &a("<x/><x/>")).contains("occurs twice"));
}

#[test]
fn ambiguous_and_broken_schemas_are_errors() {
    let hostile = format!(
        r#"<xs:element name="R"><xs:complexType><xs:sequence maxOccurs="3000">{}</xs:sequence></xs:complexType></xs:element>"#,
        (0..20)
            .map(|i| format!(r#"<xs:element name="e{i}" type="xs:string" minOccurs="0"/>"#))
            .collect::<String>()
    );
    let e = try_schema(
        r#"<xs:element name="R"><xs:complexType><xs:sequence>
             <xs:element name="a" type="xs:string" minOccurs="0"/><xs:element name="a" type="xs:string"/>
           </xs:sequence></xs:complexType></xs:element>"#,
    )
    .unwrap_err();
    let Error::Schema { message, line, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(
        message.contains("ambiguous") && message.contains("{urn:t}a"),
        "{message}"
    );
    assert_eq!(*line, 1);
    for (body, needle) in [
        (
            r#"<xs:element name="R" type="NoSuchType"/>"#,
            "type {urn:t}NoSuchType is not declared",
        ),
        (r#"<xs:element name="R" type="p:T"/>"#, "undeclared prefix"),
        (
            r#"<xs:element name="R" type="xs:string"/><xs:element name="R" type="xs:int"/>"#,
            "declared twice",
        ),
        (
            r#"<xs:simpleType name="S"><xs:restriction base="xs:string"><xs:pattern value="[a-"/></xs:restriction></xs:simpleType>"#,
            "invalid pattern",
        ),
        (
            r#"<xs:simpleType name="S"><xs:restriction base="S2"/></xs:simpleType><xs:simpleType name="S2"><xs:restriction base="S"/></xs:simpleType>"#,
            "circular",
        ),
        (r#"<xs:redefine schemaLocation="x.xsd"/>"#, "not supported"),
        (
            r#"<xs:import namespace="urn:other" schemaLocation="missing.xsd"/>"#,
            "cannot resolve schema document \"missing.xsd\"",
        ),
        (
            r#"<xs:element name="R"><xs:complexType><xs:sequence><xs:element name="a" minOccurs="2" maxOccurs="1"/></xs:sequence></xs:complexType></xs:element>"#,
            "minOccurs is greater than maxOccurs",
        ),
        // hostile occurrence ranges are bounded, not quadratic
        (&hostile, "content model too large"),
        (
            r#"<xs:element name="R"><xs:complexType><xs:sequence><xs:element name="a" maxOccurs="4000000000"/></xs:sequence></xs:complexType></xs:element>"#,
            "content model too large",
        ),
    ] {
        let t = Instant::now();
        match try_schema(body) {
            Err(Error::Schema {
                message, document, ..
            }) => {
                assert!(message.contains(needle), "{body}: {message}");
                assert_eq!(document, "t.xsd");
            }
            other => panic!("{body}: {other:?}"),
        }
        assert!(t.elapsed().as_secs() < 5, "{needle}: {:?}", t.elapsed());
    }
    // malformed schema text, with its position
    let bad = SchemaSet::compile("bad.xsd", |_: &str| {
        Some(b"<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'>\n  <xs:element name='a'>\n</xs:schema>".to_vec())
    });
    match bad {
        Err(Error::Schema { line, message, .. }) => {
            assert_eq!(line, 3, "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(SchemaSet::compile("none.xsd", |_: &str| None::<Vec<u8>>).is_err());
    assert!(SchemaSet::compile("x.xsd", |_: &str| Some(b"<notaschema/>".to_vec())).is_err());
}

#[test]
fn built_in_lexical_spaces() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "date",
            &[
                "2024-02-29",
                " 2023-12-31 ",
                "2023-01-01Z",
                "2023-01-01+14:00",
                "-0044-03-15",
                "12023-01-01",
            ],
            &[
                "2023-02-29",
                "2023-02-30",
                "20230101",
                "2023-1-01",
                "2023-13-01",
                "0000-01-01",
                "2023-01-01+14:01",
                "02023-01-01",
                "2023-01-01T00:00:00",
                "",
            ],
        ),
        (
            "dateTime",
            &[
                "2024-01-01T00:00:00",
                "2024-01-01T24:00:00",
                "2024-01-01T10:00:00.5-03:00",
            ],
            &[
                "2024-01-01T24:00:01",
                "2024-01-01T10:00",
                "2024-01-01 10:00:00",
                "2024-01-01T10:00:00.",
            ],
        ),
        (
            "time",
            &["13:20:00", "23:59:59.999Z"],
            &["13:20", "24:00:01", "1:00:00"],
        ),
        (
            "decimal",
            &["1", "-1.50", ".5", "5.", "+0"],
            &["1e3", "1,5", ".", "", "NaN", "1.2.3"],
        ),
        ("integer", &["-007", "+1"], &["1.0", "1."]),
        ("unsignedByte", &["255", "0"], &["256", "-1"]),
        ("positiveInteger", &["1"], &["0", "-0"]),
        (
            "double",
            &["1.5E-3", "INF", "-INF", "NaN", "1."],
            &["1.5E", "inf", "+INF", "1e"],
        ),
        ("boolean", &["true", "0", " false "], &["TRUE", "yes", ""]),
        (
            "base64Binary",
            &["", "QUJD", "QUI=", "QQ==", "QU JD\n QQ=="],
            &["QUJ", "QR==", "Q=JD", "QUJD=", "===="],
        ),
        ("hexBinary", &["", "0aFF"], &["0aF", "GG"]),
        (
            "anyURI",
            &[
                "",
                "http://example.com/a b",
                "urn:x:y",
                "#f",
                "http://[::1]:80/",
                "a:b[1]",
            ],
            &["http://x/%zz", "a#b#c", ":x", "x:", "http://", "rel/a[1]"],
        ),
        (
            "language",
            &["de", "de-DE", "en-GB-oed"],
            &["de_DE", "toolongtag", "de-"],
        ),
        ("NCName", &["a-b.c", "_x"], &["a:b", "1a", ""]),
        ("QName", &["xml:lang", "a"], &[":a", "a:"]),
        (
            "duration",
            &["P1Y2M3DT4H5M6.7S", "-PT1S", "PT.5S"],
            &["P", "P1YT", "P1D2Y", "PT1.S"],
        ),
        ("gMonthDay", &["--02-29"], &["--02-30"]),
        ("gYear", &["2024", "-0001"], &["24", "0000"]),
        ("token", &["  any   thing  "], &[]),
        ("NMTOKENS", &["a b  c"], &["", "a ?"]),
    ];
    for (ty, good, bad) in cases {
        let set = schema(&format!(r#"<xs:element name="v" type="xs:{ty}"/>"#));
        for v in *good {
            assert!(
                valid(&set, &format!("<v xmlns='urn:t'>{v}</v>")),
                "xs:{ty} should accept {v:?}"
            );
        }
        for v in *bad {
            assert!(
                !valid(&set, &format!("<v xmlns='urn:t'>{v}</v>")),
                "xs:{ty} should reject {v:?}"
            );
        }
    }
    let set = schema(r#"<xs:element name="v" type="xs:date"/>"#);
    assert!(first(&set, "<v xmlns='urn:t'>2023-02-30</v>")
        .contains("day 30 does not exist in February 2023"));
    assert!(first(&set, "<v xmlns='urn:t'>2023-04-31</v>")
        .contains("day 31 does not exist in April 2023"));
    assert!(first(&set, "<v xmlns='urn:t'>20230101</v>").contains("expected YYYY-MM-DD"));
}

#[test]
fn facets_whitespace_lists_and_unions() {
    let set = schema(
        r#"<xs:element name="code"><xs:simpleType><xs:restriction base="xs:token">
             <xs:enumeration value="A1"/><xs:enumeration value="B2"/></xs:restriction></xs:simpleType></xs:element>
           <xs:element name="s"><xs:simpleType><xs:restriction base="xs:string">
             <xs:minLength value="2"/><xs:maxLength value="4"/></xs:restriction></xs:simpleType></xs:element>
           <xs:element name="p"><xs:simpleType><xs:restriction base="pat">
             <xs:pattern value="[^x]*"/></xs:restriction></xs:simpleType></xs:element>
           <xs:simpleType name="pat"><xs:restriction base="xs:string"><xs:pattern value="\d+"/><xs:pattern value="[a-z]+"/></xs:restriction></xs:simpleType>
           <xs:element name="amount"><xs:simpleType><xs:restriction base="xs:decimal">
             <xs:totalDigits value="5"/><xs:fractionDigits value="2"/><xs:minInclusive value="-10"/><xs:maxExclusive value="100"/>
             <xs:enumeration value="1.5"/><xs:enumeration value="-10"/><xs:enumeration value="99.99"/><xs:enumeration value="20.001"/></xs:restriction></xs:simpleType></xs:element>
           <xs:element name="day"><xs:simpleType><xs:restriction base="xs:date">
             <xs:minInclusive value="2024-01-01"/><xs:maxInclusive value="2024-12-31"/></xs:restriction></xs:simpleType></xs:element>
           <xs:element name="ws"><xs:simpleType><xs:restriction base="xs:string"><xs:whiteSpace value="collapse"/><xs:length value="3"/></xs:restriction></xs:simpleType></xs:element>
           <xs:element name="list"><xs:simpleType><xs:restriction><xs:simpleType><xs:list itemType="xs:int"/></xs:simpleType><xs:maxLength value="3"/></xs:restriction></xs:simpleType></xs:element>
           <xs:element name="u"><xs:simpleType><xs:union memberTypes="xs:date xs:boolean"/></xs:simpleType></xs:element>"#,
    );
    let v =
        |name: &str, value: &str| valid(&set, &format!("<{name} xmlns='urn:t'>{value}</{name}>"));
    assert!(v("code", " A1 ") && v("code", "B2") && !v("code", "a1") && !v("code", "C3"));
    assert!(v("s", "ab") && v("s", "äöüß") && !v("s", "a") && !v("s", "abcde"));
    assert!(
        v("p", "123") && v("p", "abc") && !v("p", "12a") && !v("p", "xyz"),
        "patterns: OR within a step, AND across steps"
    );
    assert!(v("amount", "1.50") && v("amount", "-10.0") && v("amount", "099.99"));
    assert!(!v("amount", "20.001"), "fractionDigits");
    assert!(!v("amount", "2"), "enumeration compares values");
    assert!(v("day", "2024-06-30") && !v("day", "2025-01-01") && !v("day", "2023-12-31"));
    assert!(
        v("ws", "  a \n b ") && !v("ws", "ab"),
        "collapse before length: \"a b\""
    );
    assert!(v("list", " 1 2  3 ") && !v("list", "1 2 3 4") && !v("list", "1 x"));
    assert!(v("u", "2024-01-01") && v("u", "true") && !v("u", "maybe"));
    let m = first(&set, "<code xmlns='urn:t'>C3</code>");
    assert!(
        m.contains("not one of the allowed values (\"A1\", \"B2\")"),
        "{m}"
    );
    let m = first(&set, "<amount xmlns='urn:t'>2</amount>");
    assert!(
        m.contains("not a valid restriction of xs:decimal: not one of the allowed values"),
        "{m}"
    );
    let m = first(&set, "<day xmlns='urn:t'>2025-01-01</day>");
    assert!(m.contains("must be ≤ 2024-12-31"), "{m}");
}

#[test]
fn attributes() {
    let set = order_schema();
    let price = |attrs: &str| {
        order_with(&format!(
            "<BuyerRef>r</BuyerRef><Line><Quantity>1</Quantity><Price{attrs}>1</Price></Line>"
        ))
    };
    assert!(valid(&set, &price(" currencyID='EUR' listAgencyID=' 6 '")));
    let m = first(&set, &price(""));
    assert!(
        m.contains("required attribute currencyID is missing on element Price"),
        "{m}"
    );
    let m = first(&set, &price(" currencyID='EUR' foo='1'"));
    assert!(
        m.contains("attribute foo is not allowed on element Price"),
        "{m}"
    );
    let m = first(&set, &price(" currencyID='EUR' listAgencyID='7'"));
    assert!(m.contains("fixed value \"6\""), "{m}");
    let m = first(&set, &price(" currencyID='EUR' xml:lang='de'"));
    assert!(m.contains("attribute xml:lang is not allowed"), "{m}");
    // use="prohibited", an enumerated attribute, a missing required attribute on the root
    let base = order_with(&format!("<BuyerRef>r</BuyerRef>{LINE}"));
    assert!(!valid(
        &set,
        &base.replace("version=\"1\"", "version=\"1\" legacy=\"x\"")
    ));
    assert!(valid(
        &set,
        &base.replace("version=\"1\"", "version=\"1\" status=\"closed\"")
    ));
    assert!(!valid(
        &set,
        &base.replace("version=\"1\"", "version=\"1\" status=\"done\"")
    ));
    let m = first(&set, &base.replace(" version=\"1\"", ""));
    assert!(
        m.contains("required attribute version is missing on element Order"),
        "{m}"
    );
    // xsi:schemaLocation is allowed anywhere, also on simple-typed elements
    let xsi = base
        .replace(
            "version=\"1\"",
            "version=\"1\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"urn:test:order order.xsd\"",
        )
        .replace("<BuyerRef>", "<BuyerRef xsi:noNamespaceSchemaLocation='x.xsd'>");
    assert!(valid(&set, &xsi));
    let m = first(&set, &xsi.replace("order.xsd\"", "12:00\""));
    assert!(
        m.contains("attribute xsi:schemaLocation is not valid: not a valid URI"),
        "{m}"
    );
}

#[test]
fn text_in_element_only_simple_and_empty_content() {
    let set = schema(
        r#"<xs:element name="R"><xs:complexType><xs:sequence><xs:element name="e" minOccurs="0"><xs:complexType/></xs:element>
             <xs:element name="m" minOccurs="0"><xs:complexType mixed="true"><xs:sequence><xs:element name="b" type="xs:string" minOccurs="0"/></xs:sequence></xs:complexType></xs:element>
             <xs:element name="s" type="xs:int" minOccurs="0"/></xs:sequence></xs:complexType></xs:element>"#,
    );
    assert!(valid(&set, "<R xmlns='urn:t'>\n  <e><!-- c --></e><m>text <b>bold</b> more</m><s>1</s><!-- c --><?pi x?>\n</R>"));
    assert!(
        !valid(&set, "<R xmlns='urn:t'><e> </e></R>"),
        "empty content: not even whitespace"
    );
    let v = check(&set, "<R xmlns='urn:t'>oops<s>1</s></R>");
    assert!(
        v[0].message.contains("element R must not contain text"),
        "{}",
        v[0]
    );
    assert_eq!(v[0].path, "/R/text()[1]");
    assert!(first(&set, "<R xmlns='urn:t'><e>x</e></R>").contains("must be empty"));
    assert!(first(&set, "<R xmlns='urn:t'><e><s>1</s></e></R>").contains("must be empty"));
    assert!(
        first(&set, "<R xmlns='urn:t'><s><b/></s></R>").contains("must not have child elements")
    );
    // simple content is the concatenation of all text and CDATA pieces
    assert!(valid(
        &set,
        "<R xmlns='urn:t'><s>1<!-- c --><![CDATA[2]]></s></R>"
    ));
    assert!(!valid(&set, "<R xmlns='urn:t'><s>1<![CDATA[x]]></s></R>"));
}

#[test]
fn wildcards_lax_strict_skip() {
    let set = schema(
        r###"<xs:element name="R"><xs:complexType><xs:sequence>
             <xs:element name="lax" minOccurs="0"><xs:complexType><xs:sequence><xs:any namespace="##other" processContents="lax"/></xs:sequence></xs:complexType></xs:element>
             <xs:element name="strict" minOccurs="0"><xs:complexType><xs:sequence><xs:any namespace="##targetNamespace urn:x" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
             <xs:element name="skip" minOccurs="0"><xs:complexType><xs:sequence><xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence><xs:anyAttribute namespace="##other" processContents="skip"/></xs:complexType></xs:element>
           </xs:sequence></xs:complexType></xs:element>
           <xs:element name="d" type="xs:date"/>"###,
    );
    let r = |body: &str| format!("<R xmlns='urn:t' xmlns:x='urn:x' xmlns:o='urn:o'>{body}</R>");
    assert!(valid(
        &set,
        &r("<lax><o:anything><o:deep>x</o:deep></o:anything></lax>")
    ));
    assert!(
        !valid(&set, &r("<lax><d>2024-01-01</d></lax>")),
        "##other excludes the target namespace"
    );
    assert!(
        !valid(&set, &r("<lax><plain/></lax>")),
        "##other excludes no namespace"
    );
    assert!(valid(&set, &r("<strict><d>2024-01-01</d></strict>")));
    let m = first(&set, &r("<strict><d>2024-02-30</d></strict>"));
    assert!(m.contains("not a valid xs:date"), "{m}");
    let m = first(&set, &r("<strict><x:unknown/></strict>"));
    assert!(
        m.contains("no declaration found for element x:unknown"),
        "{m}"
    );
    let m = first(&set, &r("<strict><o:a/></strict>"));
    assert!(m.contains("expected any element in urn:t or urn:x"), "{m}");
    assert!(valid(
        &set,
        &r("<skip o:attr='1'><d>not a date</d><o:x><d>nor this</d></o:x></skip>")
    ));
    assert!(
        !valid(&set, &r("<skip plain='1'/>")),
        "##other excludes unqualified attributes"
    );
}

#[test]
fn lax_validation_of_known_elements() {
    let set = schema(
        r###"<xs:element name="R"><xs:complexType><xs:sequence><xs:any namespace="##any" processContents="lax" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
           <xs:element name="d" type="xs:date"/>"###,
    );
    let r = |body: &str| format!("<R xmlns='urn:t' xmlns:o='urn:o'>{body}</R>");
    assert!(valid(&set, &r("<o:x><o:y/></o:x>")));
    assert!(
        !valid(&set, &r("<o:x><d>2024-02-30</d></o:x>")),
        "known elements below unknown ones are validated"
    );
}

#[test]
fn xsi_type_nil_substitution_groups_and_abstract() {
    let set = schema(
        r#"<xs:element name="R"><xs:complexType><xs:sequence>
             <xs:element ref="head" maxOccurs="unbounded"/>
             <xs:element name="n" type="xs:int" nillable="true" minOccurs="0"/>
             <xs:element name="t" type="Base" minOccurs="0" maxOccurs="unbounded"/>
           </xs:sequence></xs:complexType></xs:element>
           <xs:element name="head" type="xs:string" abstract="true"/>
           <xs:element name="member" substitutionGroup="head"/>
           <xs:element name="member2" type="Code" substitutionGroup="member"/>
           <xs:simpleType name="Code"><xs:restriction base="xs:string"><xs:length value="2"/></xs:restriction></xs:simpleType>
           <xs:complexType name="Base" abstract="true"><xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence></xs:complexType>
           <xs:complexType name="Derived"><xs:complexContent><xs:extension base="Base"><xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence><xs:attribute name="k" type="xs:int"/></xs:extension></xs:complexContent></xs:complexType>
           <xs:complexType name="Other"><xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence></xs:complexType>"#,
    );
    let r = |body: &str| {
        format!("<R xmlns='urn:t' xmlns:t='urn:t' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>{body}</R>")
    };
    assert!(valid(&set, &r("<member>x</member><member2>ab</member2>")));
    assert!(!valid(&set, &r("<member2>abc</member2>")));
    let m = first(&set, &r("<head>x</head>"));
    assert!(
        m.contains("element head is not allowed here; expected one of member, member2"),
        "{m}"
    );
    assert!(valid(&set, &r("<member/><n xsi:nil='true'/>")));
    assert!(valid(&set, &r("<member/><n xsi:nil='false'>5</n>")));
    assert!(!valid(&set, &r("<member/><n xsi:nil='true'>5</n>")));
    assert!(!valid(&set, &r("<member/><n/>")), "empty is not an int");
    assert!(valid(
        &set,
        &r("<member/><t xsi:type='t:Derived' k='1'><a/><b/></t>")
    ));
    let m = first(&set, &r("<member/><t><a/></t>"));
    assert!(m.contains("type Base of element t is abstract"), "{m}");
    let m = first(&set, &r("<member/><t xsi:type='t:Other'><a/></t>"));
    assert!(
        m.contains("is not derived from the declared type Base"),
        "{m}"
    );
    let m = first(&set, &r("<member/><t xsi:type='t:Nope'><a/></t>"));
    assert!(m.contains("names no type"), "{m}");
    let m = first(&set, &r("<member xsi:nil='true'/>"));
    assert!(m.contains("not nillable"), "{m}");
}

#[test]
fn ids_must_be_unique_and_idrefs_resolve() {
    let set = schema(
        r#"<xs:element name="R"><xs:complexType><xs:sequence><xs:element name="i" maxOccurs="unbounded"><xs:complexType>
             <xs:attribute name="id" type="xs:ID"/><xs:attribute name="ref" type="xs:IDREF"/></xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>"#,
    );
    assert!(valid(
        &set,
        "<R xmlns='urn:t'><i id='a'/><i id='b' ref='a'/><i ref='c'/><i id='c'/></R>"
    ));
    assert!(first(&set, "<R xmlns='urn:t'><i id='a'/><i id=' a '/></R>").contains("not unique"));
    assert!(first(&set, "<R xmlns='urn:t'><i ref='x'/></R>").contains("does not match any ID"));
}

#[test]
fn root_element_must_be_declared() {
    let set = order_schema();
    let m = first(&set, "<Nope xmlns='urn:test:order'/>");
    assert!(
        m.contains("no declaration found for the root element Nope ({urn:test:order}Nope)"),
        "{m}"
    );
    assert!(
        !valid(&set, "<Line xmlns='urn:test:order'/>"),
        "local declarations are not roots"
    );
}

#[test]
fn violations_are_capped_and_validation_is_linear() {
    let set = schema(
        r#"<xs:element name="R"><xs:complexType><xs:sequence><xs:element name="d" type="xs:date" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>"#,
    );
    let bad = format!("<R xmlns='urn:t'>{}</R>", "<d>x</d>".repeat(5000));
    let doc = Document::parse(bad.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        set.validate(&doc).len(),
        egov_core::xsd::DEFAULT_MAX_VIOLATIONS
    );
    assert_eq!(set.validate_with_limit(&doc, 3).len(), 3);
    assert!(!set.is_valid(&doc));
    // 100,000 siblings and deep nesting validate in one pass
    let wide = format!(
        "<R xmlns='urn:t'>{}</R>",
        "<d>2024-01-01</d>".repeat(99_000)
    );
    let doc = Document::parse(wide.as_bytes(), &Limits::large()).unwrap();
    let t = Instant::now();
    assert!(set.is_valid(&doc));
    assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
}

#[test]
fn compact_form_round_trips_and_rejects_garbage() {
    let set = order_schema();
    let bytes = set.to_bytes();
    let loaded = SchemaSet::from_bytes(&bytes).unwrap();
    assert_eq!(loaded.to_bytes(), bytes, "deterministic");
    assert_eq!(loaded.documents(), set.documents());
    for xml in [
        ORDER_OK.to_string(),
        order_with("<BuyerRef>r</BuyerRef>"),
        order_with(&format!("<Buyer/>{LINE}{LINE}{LINE}{LINE}")),
    ] {
        assert_eq!(check(&loaded, &xml), check(&set, &xml));
    }
    assert!(SchemaSet::from_bytes(b"").is_err());
    assert!(
        SchemaSet::from_bytes(b"EGOVXSD\0\x63").is_err(),
        "other format version"
    );
    // every truncation and many single-byte corruptions are errors or valid sets, never panics
    for cut in 0..bytes.len() {
        assert!(SchemaSet::from_bytes(&bytes[..cut]).is_err());
    }
    for i in (0..bytes.len()).step_by(3) {
        let mut b = bytes.clone();
        b[i] = b[i].wrapping_add(0x41);
        if let Ok(s) = SchemaSet::from_bytes(&b) {
            let _ = check(&s, ORDER_OK);
        }
    }
}

#[test]
fn shared_across_threads() {
    let set = std::sync::Arc::new(order_schema());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let set = set.clone();
            std::thread::spawn(move || valid(&set, ORDER_OK))
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap());
    }
}

#[test]
fn a_namespace_is_imported_once() {
    // Like Xerces: the second xs:import of an already imported namespace loads nothing, so two
    // copies of a schema at different paths do not clash.
    let docs = [
        (
            "main.xsd",
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:c="urn:c" targetNamespace="urn:m" elementFormDefault="qualified">
                 <xs:import namespace="urn:c"/>
                 <xs:import namespace="urn:c" schemaLocation="a/c.xsd"/>
                 <xs:import namespace="urn:c" schemaLocation="b/c.xsd"/>
                 <xs:element name="M"><xs:complexType><xs:sequence><xs:element ref="c:C"/></xs:sequence></xs:complexType></xs:element>
               </xs:schema>"#,
        ),
        (
            "a/c.xsd",
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:c"><xs:element name="C" type="xs:int"/></xs:schema>"#,
        ),
        (
            "b/c.xsd",
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:c"><xs:element name="C" type="xs:string"/></xs:schema>"#,
        ),
    ];
    let set = SchemaSet::compile("main.xsd", |loc: &str| {
        docs.iter()
            .find(|(l, _)| *l == loc)
            .map(|(_, t)| t.as_bytes())
    })
    .unwrap();
    assert_eq!(set.documents(), ["main.xsd", "a/c.xsd"]);
    assert!(valid(
        &set,
        "<M xmlns='urn:m' xmlns:c='urn:c'><c:C>1</c:C></M>"
    ));
    assert!(!valid(
        &set,
        "<M xmlns='urn:m' xmlns:c='urn:c'><c:C>x</c:C></M>"
    ));
}
