//! The names of the EN 16931-1 business terms (`BT-…`) and business groups (`BG-…`), and of the
//! XRechnung Extension's additions (`BT-DEX-…`, `BG-DEX-…`), in English and German.
//!
//! The table is data: `data/business-terms.tsv` (`id`, `en`, `de`; see the comment lines at its
//! top for the sources), compiled into the crate and parsed once on first use. The English names
//! are EN 16931-1's, exactly as the doc comments of [`crate::model`] spell them; the German names
//! are the DIN EN 16931-1 vocabulary used in German e-invoicing (XRechnung, ZUGFeRD).
//!
//! ```
//! let t = egov_xrechnung::terms::term("BT-106").unwrap();
//! assert_eq!(t.en, "Sum of Invoice line net amount");
//! assert_eq!(t.de, "Summe der Nettobeträge aller Rechnungspositionen");
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

/// The table as compiled into the crate.
const TSV: &str = include_str!("../data/business-terms.tsv");

/// A business term or group with its English and German name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Term {
    /// The id, e.g. `BT-1`, `BT-29-1`, `BG-25`, `BT-DEX-001`, `BG-DEX-09`.
    pub id: &'static str,
    /// The English name of EN 16931-1, e.g. `Invoice number`; groups in capitals (`SELLER`).
    pub en: &'static str,
    /// The German name, e.g. `Rechnungsnummer`; groups in capitals (`VERKÄUFER`).
    pub de: &'static str,
}

/// The parsed table: rows in file order and an index by id.
struct Table {
    rows: Vec<Term>,
    index: HashMap<&'static str, usize>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let rows: Vec<Term> = TSV.lines().filter_map(parse_row).collect();
        let index = rows.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
        Table { rows, index }
    })
}

/// One data row; `None` for comments, blank lines, the header and malformed lines (the unit tests
/// make sure the shipped table has none of the latter).
fn parse_row(line: &'static str) -> Option<Term> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split('\t');
    let (id, en, de) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() || id == "id" {
        return None;
    }
    Some(Term { id, en, de })
}

/// The term or group with this id (exact spelling, e.g. `BT-31`, `BG-23`, `BT-29-1`), if the
/// table has it.
pub fn term(id: &str) -> Option<Term> {
    let t = table();
    t.index.get(id).and_then(|&i| t.rows.get(i)).copied()
}

/// Every term and group, in the order of the table: `BT-1` … `BT-165`, `BG-1` … `BG-32`, then
/// the Extension's `BT-DEX-…` and `BG-DEX-…`.
pub fn all() -> &'static [Term] {
    &table().rows
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use std::collections::HashSet;

    use super::*;
    use crate::report::business_terms_in;

    /// Every BT/BG id named in the doc comments of `model.rs`.
    fn ids_in_model() -> Vec<String> {
        let docs: String = include_str!("model.rs")
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("///") || l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join("\n");
        business_terms_in(&docs)
            .into_iter()
            .filter(|id| id != "BT-4") // "there is no BT-4"
            .collect()
    }

    #[test]
    fn every_term_of_the_model_has_a_row() {
        let missing: Vec<String> = ids_in_model()
            .into_iter()
            .filter(|id| term(id).is_none())
            .collect();
        assert!(missing.is_empty(), "no row for {missing:?}");
    }

    #[test]
    fn every_row_is_a_term_of_the_model() {
        let model: HashSet<String> = ids_in_model().into_iter().collect();
        let stray: Vec<&str> = all()
            .iter()
            .map(|t| t.id)
            .filter(|id| !model.contains(*id))
            .collect();
        assert!(stray.is_empty(), "not in model.rs: {stray:?}");
    }

    #[test]
    fn every_line_parses_and_ids_are_unique_and_well_formed() {
        let data_lines = TSV
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(all().len() + 1, data_lines, "a malformed line was skipped");
        assert!(TSV.lines().any(|l| l == "id\ten\tde"), "header line");
        let mut seen = HashSet::new();
        for t in all() {
            assert!(seen.insert(t.id), "duplicate id {}", t.id);
            assert_eq!(business_terms_in(t.id), [t.id], "malformed id {:?}", t.id);
            assert_eq!(term(t.id), Some(*t));
        }
    }

    #[test]
    fn no_empty_or_padded_names() {
        for t in all() {
            for name in [t.en, t.de] {
                assert!(!name.is_empty(), "{}: empty name", t.id);
                assert_eq!(name, name.trim(), "{}: padded name", t.id);
            }
        }
    }

    #[test]
    fn groups_are_in_capitals_terms_are_not() {
        for t in all() {
            let is_group = t.id.starts_with("BG-");
            for name in [t.en, t.de] {
                assert_eq!(name == name.to_uppercase(), is_group, "{}: {name}", t.id);
            }
        }
    }

    #[test]
    fn known_names() {
        let name = |id| term(id).map(|t| (t.en, t.de)).unwrap();
        assert_eq!(name("BT-1"), ("Invoice number", "Rechnungsnummer"));
        assert_eq!(
            name("BT-3"),
            ("Invoice type code", "Code für den Rechnungstyp")
        );
        assert_eq!(name("BT-9"), ("Payment due date", "Fälligkeitsdatum"));
        assert_eq!(name("BT-10"), ("Buyer reference", "Käuferreferenz"));
        assert_eq!(
            name("BT-31"),
            (
                "Seller VAT identifier",
                "Umsatzsteuer-Identifikationsnummer des Verkäufers"
            )
        );
        assert_eq!(
            name("BT-115"),
            ("Amount due for payment", "Fälliger Zahlungsbetrag")
        );
        assert_eq!(name("BG-4"), ("SELLER", "VERKÄUFER"));
        assert_eq!(
            name("BG-23"),
            ("VAT BREAKDOWN", "UMSATZSTEUERAUFSCHLÜSSELUNG")
        );
        assert_eq!(name("BG-25"), ("INVOICE LINE", "RECHNUNGSPOSITION"));
        assert_eq!(
            name("BT-DEX-002").0,
            "Third party payment amount",
            "Extension term"
        );
        assert_eq!(term("BT-4"), None);
        assert_eq!(term("bt-1"), None);
        assert_eq!(term(""), None);
    }
}
