//! genericode 1.0 code lists: the real lists in ../shared load, with the rows the files hold.
use egov_core::codelist::CodeList;
use egov_core::Error;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xml") || e == "gc")
        {
            out.push(path);
        }
    }
}

/// Counts `<Row>`/`<gc:Row …>` start tags textually, independently of the parser.
fn count_rows(text: &str) -> usize {
    let mut n = 0;
    for (i, _) in text.match_indices("Row") {
        let before = &text[..i];
        let tag_start = before.rfind('<');
        let Some(start) = tag_start else { continue };
        let name = &text[start + 1..i];
        let after = text[i + 3..].chars().next();
        let prefix_ok = name.is_empty()
            || (name.ends_with(':')
                && !name[..name.len() - 1]
                    .contains(|c: char| !c.is_alphanumeric() && c != '-' && c != '_'));
        if prefix_ok && matches!(after, Some('>' | ' ' | '/' | '\n' | '\t' | '\r')) {
            n += 1;
        }
    }
    n
}

#[test]
fn every_genericode_file_in_shared_loads() {
    let Some(shared) = crate::common::shared_dir("every_genericode_file_in_shared_loads") else {
        return;
    };
    let mut files = Vec::new();
    walk(&shared.join("testdata/efile"), &mut files);
    walk(&shared.join("testdata/forms"), &mut files);
    let mut loaded = 0;
    let mut rows = 0;
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if !text.contains("http://docs.oasis-open.org/codelist/ns/genericode/1.0/")
            || !text.contains("CodeList")
        {
            continue;
        }
        let Ok(doc) = egov_core::xml::Document::parse(&bytes, &egov_core::xml::Limits::large())
        else {
            panic!("{}: not parseable", f.display());
        };
        if doc.root_element().local_name() != "CodeList" {
            continue; // a document that merely mentions genericode (e.g. an XDatenfelder schema)
        }
        let list = CodeList::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(list.len(), count_rows(&text), "{}", f.display());
        assert!(!list.canonical_uri.is_empty());
        let codes: Vec<_> = list.codes().collect();
        for code in &codes {
            assert!(list.contains(code), "{}: {code}", f.display());
        }
        loaded += 1;
        rows += list.len();
    }
    println!("codelist: {loaded} genericode files loaded, {rows} rows");
    assert!(
        loaded >= 100,
        "expected the ~104 genericode lists, found {loaded}"
    );
}

#[test]
fn malformed_lists_are_reported_with_location() {
    let not_gc = CodeList::parse(b"<a/>").unwrap_err();
    assert!(matches!(not_gc, Error::CodeList { .. }), "{not_gc}");
    let missing = CodeList::parse(
        br#"<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">
<Identification><ShortName>x</ShortName></Identification></gc:CodeList>"#,
    )
    .unwrap_err();
    match missing {
        Error::CodeList {
            message,
            path,
            line,
            ..
        } => {
            assert!(message.contains("Version"), "{message}");
            assert_eq!(path, "/gc:CodeList/Identification[1]");
            assert_eq!(line, 2);
        }
        other => panic!("{other}"),
    }
    let bad_ref = CodeList::parse(
        br#"<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">
<Identification><ShortName>x</ShortName><Version>1</Version><CanonicalUri>u</CanonicalUri><CanonicalVersionUri>u_1</CanonicalVersionUri></Identification>
<ColumnSet><Column Id="c"><ShortName>c</ShortName><Data Type="string"/></Column></ColumnSet>
<SimpleCodeList><Row><Value ColumnRef="nope"><SimpleValue>1</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>"#,
    )
    .unwrap_err();
    assert!(bad_ref.to_string().contains("unknown column"), "{bad_ref}");
    let xml_err = CodeList::parse(b"<!DOCTYPE x><x/>").unwrap_err();
    assert!(matches!(xml_err, Error::Xml(_)));
}
