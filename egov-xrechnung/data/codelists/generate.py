#!/usr/bin/env python3
"""Regenerate the code-list data files from the XRechnung rules-as-data file.

Usage: python3 generate.py [path/to/rules.json]   (default: ../../../../shared/specs/xrechnung/rules.json)

Every file gets a header (lines starting with '#') naming the list, the rules it was taken from and the
source artefact, followed by one code per line in the order of the rule text. Lines of the form
'# check: rule <ID> <syntax> <n>', '# check: rule <ID> <syntax> mime' and '# check: variable <NAME> <syntax>'
tell the Rust test `codes::tests::data_files_equal_rule_text` where in rules.json the list is written, so a
new release is checked against its rules without touching code.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RULES = os.path.join(HERE, "../../../../shared/specs/xrechnung/rules.json")

CEN = "CEN EN16931 validation artefacts 1.3.15 (ConnectingEurope/eInvoicing-EN16931@bf3a7d8d7137bec0c90f35d0fad42e30128fa2fd), EUPL-1.2"
XR = "KoSIT XRechnung schematron 2.5.0 for XRechnung 3.0.2 (itplr-kosit/xrechnung-schematron@c4eb3dae54d65d60875a85c392122b5721a1108d), Apache-2.0"

# (file, title, terms, source, [checks]) ; the first check provides the codes, all others must be identical.
FILES = [
    ("iso-4217.txt", "ISO 4217 currency codes (alpha-3)", "BT-5, BT-6, currencyID of amounts", CEN,
     [("rule", "BR-CL-04", "ubl", 0), ("rule", "BR-CL-04", "cii", 0), ("rule", "BR-CL-03", "ubl", 0),
      ("rule", "BR-CL-03", "cii", 0), ("rule", "BR-CL-05", "ubl", 0), ("rule", "BR-CL-05", "cii", 0)]),
    ("iso-3166-1-alpha2-ubl.txt", "ISO 3166-1 alpha-2 country codes as listed for UBL (has SS, lacks AN)",
     "BT-40, BT-55, BT-69, BT-80, BT-159", CEN,
     [("rule", "BR-CL-14", "ubl", 0), ("rule", "BR-CL-15", "ubl", 0)]),
    ("iso-3166-1-alpha2-cii.txt", "ISO 3166-1 alpha-2 country codes as listed for CII (has AN, lacks SS)",
     "BT-40, BT-55, BT-69, BT-80, BT-159", CEN,
     [("rule", "BR-CL-14", "cii", 0), ("rule", "BR-CL-15", "cii", 0)]),
    ("untdid-1001.txt", "UNTDID 1001 document name codes for invoices and credit notes (CII list = union of both UBL lists)",
     "BT-3", CEN, [("rule", "BR-CL-01", "cii", 0)]),
    ("untdid-1001-ubl-invoice.txt", "UNTDID 1001 codes allowed in a UBL Invoice (cbc:InvoiceTypeCode)", "BT-3", CEN,
     [("rule", "BR-CL-01", "ubl", 0)]),
    ("untdid-1001-ubl-creditnote.txt", "UNTDID 1001 codes allowed in a UBL CreditNote (cbc:CreditNoteTypeCode)", "BT-3", CEN,
     [("rule", "BR-CL-01", "ubl", 1)]),
    ("untdid-2005-vat-point-date.txt", "UNTDID 2005 subset for the value added tax point date code (UBL cac:InvoicePeriod/cbc:DescriptionCode)",
     "BT-8", CEN, [("rule", "BR-CL-06", "ubl", 0)]),
    ("untdid-2475-vat-point-date.txt", "UNTDID 2475 subset for the value added tax point date code (CII ram:DueDateTypeCode)",
     "BT-8", CEN, [("rule", "BR-CL-06", "cii", 0)]),
    ("untdid-1153.txt", "UNTDID 1153 reference code qualifiers (object identifier scheme)", "BT-18-1, BT-128-1", CEN,
     [("rule", "BR-CL-07", "ubl", 0), ("rule", "BR-CL-07", "cii", 0)]),
    ("untdid-4451-ubl.txt", "UNTDID 4451 text subject codes as listed for UBL ('#CODE#text' notes)", "BT-21", CEN,
     [("rule", "BR-CL-08", "ubl", 0)]),
    ("untdid-4451-cii.txt", "UNTDID 4451 text subject codes as listed for CII (ram:SubjectCode)", "BT-21", CEN,
     [("rule", "BR-CL-08", "cii", 0)]),
    ("iso-6523-icd.txt", "ISO 6523 ICD identification scheme codes", "BT-29-1, BT-30-1, BT-46-1, BT-47-1, BT-60-1, BT-61-1, BT-71-1, BT-157-1", CEN,
     [("rule", "BR-CL-11", "ubl", 0), ("rule", "BR-CL-11", "cii", 0), ("rule", "BR-CL-10", "ubl", 0),
      ("rule", "BR-CL-10", "cii", 0), ("rule", "BR-CL-21", "ubl", 0), ("rule", "BR-CL-21", "cii", 0),
      ("rule", "BR-CL-26", "ubl", 0), ("rule", "BR-CL-26", "cii", 0),
      ("variable", "ISO-6523-ICD-CODES", "ubl"), ("variable", "ISO-6523-ICD-CODES", "cii")]),
    ("untdid-7143.txt", "UNTDID 7143 item type identification codes", "BT-158-1", CEN,
     [("rule", "BR-CL-13", "ubl", 0), ("rule", "BR-CL-13", "cii", 0),
      ("variable", "UNTDID-7143-CODES", "ubl"), ("variable", "UNTDID-7143-CODES", "cii")]),
    ("untdid-4461.txt", "UNTDID 4461 payment means codes", "BT-81", CEN,
     [("rule", "BR-CL-16", "ubl", 0), ("rule", "BR-CL-16", "cii", 0)]),
    ("untdid-5305.txt", "UNTDID 5305 duty/tax/fee category codes (VAT category)", "BT-95, BT-102, BT-118, BT-151", CEN,
     [("rule", "BR-CL-17", "ubl", 0), ("rule", "BR-CL-17", "cii", 0), ("rule", "BR-CL-18", "ubl", 0),
      ("rule", "BR-CL-18", "cii", 0)]),
    ("untdid-5189.txt", "UNTDID 5189 allowance reason codes", "BT-98, BT-140", CEN,
     [("rule", "BR-CL-19", "ubl", 0), ("rule", "BR-CL-19", "cii", 0)]),
    ("untdid-7161.txt", "UNTDID 7161 charge reason codes", "BT-105, BT-145", CEN,
     [("rule", "BR-CL-20", "ubl", 0), ("rule", "BR-CL-20", "cii", 0)]),
    ("cef-vatex.txt", "CEF VATEX VAT exemption reason codes", "BT-121", CEN,
     [("rule", "BR-CL-22", "ubl", 0), ("rule", "BR-CL-22", "cii", 0)]),
    ("unece-rec20-rec21.txt", "UN/ECE Recommendation 20 unit codes with Recommendation 21 extension", "BT-130, BT-150", CEN,
     [("rule", "BR-CL-23", "ubl", 0), ("rule", "BR-CL-23", "cii", 0)]),
    ("mime-attachment.txt", "MIME media types allowed for attached documents", "BT-125-1", CEN,
     [("rule", "BR-CL-24", "ubl", "mime"), ("rule", "BR-CL-24", "cii", "mime")]),
    ("cef-eas.txt", "CEF EAS electronic address scheme codes", "BT-34-1, BT-49-1", CEN,
     [("rule", "BR-CL-25", "ubl", 0), ("rule", "BR-CL-25", "cii", 0),
      ("variable", "CEF-EAS-CODES", "ubl"), ("variable", "CEF-EAS-CODES", "cii")]),
    # XRechnung 3.0.2 additions
    ("xrechnung-mime-attachment-extension.txt", "MIME media types allowed for attached documents in the XRechnung Extension (adds application/xml)",
     "BT-125-1", XR, [("rule", "BR-DEX-01", "ubl", "mime"), ("rule", "BR-DEX-01", "cii", "mime")]),
    ("xrechnung-diga.txt", "DiGA codes that the XRechnung Extension accepts in addition to ICD and EAS codes (variable DIGA-CODES)",
     "BT-29-1, BT-30-1, BT-34-1, BT-46-1, BT-47-1, BT-49-1, BT-60-1, BT-61-1, BT-71-1, BT-157-1 (Extension only)", XR,
     [("variable", "DIGA-CODES", "ubl"), ("variable", "DIGA-CODES", "cii")]),
    ("xrechnung-cvd-classification-scheme.txt", "Item classification scheme that marks a Clean Vehicles Directive vehicle (variable CVD-CODE)",
     "BT-158-1 (CVD)", XR, [("variable", "CVD-CODE", "ubl"), ("variable", "CVD-CODE", "cii")]),
    ("xrechnung-cvd-vehicle-category.txt", "CVD vehicle categories allowed in BT-158 with scheme CVD (variable CVD-VEHICLE-CATEGORY)",
     "BT-158 (CVD)", XR, [("variable", "CVD-VEHICLE-CATEGORY", "ubl"), ("variable", "CVD-VEHICLE-CATEGORY", "cii")]),
    ("xrechnung-cvd-cva.txt", "CVD clean vehicle attribute values allowed in BT-161 when BT-160 is 'cva' (variable CVA-CODES)",
     "BT-161 (CVD)", XR, [("variable", "CVA-CODES", "ubl"), ("variable", "CVA-CODES", "cii")]),
]


NOTES = {
    "iso-6523-icd.txt": [
        "note: in all these rules the literal ends '... 0243 0244' without a trailing space, so the XPath test",
        "note: contains(list, concat(' ', code, ' ')) never accepts 0244; the list here keeps 0244 as written.",
        "note: UBL BR-CL-10 also accepts schemeID SEPA in seller/payee party identification (that is BT-90).",
    ],
    "iso-3166-1-alpha2-ubl.txt": ["note: the UBL and CII lists of 1.3.15 differ in one code each (UBL: SS, CII: AN)."],
    "iso-3166-1-alpha2-cii.txt": ["note: the UBL and CII lists of 1.3.15 differ in one code each (UBL: SS, CII: AN)."],
    "untdid-4451-cii.txt": ["note: the CII list has 18 codes more than the UBL list (BAT..BBB, BMF..BMH, CCJ..CCO)."],
    "untdid-2475-vat-point-date.txt": ["note: CII carries BT-8 in UNTDID 2475: 5 = 3 (invoice date), 29 = 35 (delivery date), 72 = 432 (paid to date)."],
}


def rule_lists(test):
    return [lit.split() for lit in re.findall(r"contains\(\s*'([^']*)'", test) if lit.strip()]


def mime_list(test):
    return re.findall(r"@mimeCode\s*=\s*'([^']*)'", test)


def extract(rules, variables, check):
    if check[0] == "rule":
        _, rid, syntax, which = check
        matches = [r for r in rules if r["id"] == rid and r["syntax"] == syntax]
        if len(matches) != 1:
            sys.exit(f"{rid} {syntax}: {len(matches)} rules")
        test = matches[0]["test"]
        if which == "mime":
            return mime_list(test)
        return rule_lists(test)[which]
    _, name, syntax = check
    matches = [v for v in variables if v["name"] == name and v["syntax"] == syntax]
    if len(matches) != 1:
        sys.exit(f"variable {name} {syntax}: {len(matches)} matches")
    return [tok for lit in re.findall(r"'([^']*)'", matches[0]["value"]) for tok in lit.split()]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_RULES
    data = json.load(open(path, encoding="utf-8"))
    rules, variables = data["rules"], data["variables"]
    for name, title, terms, source, checks in FILES:
        codes = extract(rules, variables, checks[0])
        for c in checks[1:]:
            other = extract(rules, variables, c)
            if other != codes:
                sys.exit(f"{name}: {checks[0]} and {c} differ: {sorted(set(codes) ^ set(other))}")
        if len(set(codes)) != len(codes):
            sys.exit(f"{name}: duplicate codes")
        lines = [f"# {title}", f"# terms: {terms}", f"# source: {source}", f"# count: {len(codes)}"]
        lines.extend("# " + n for n in NOTES.get(name, []))
        for c in checks:
            lines.append("# check: " + " ".join(str(x) for x in c))
        lines.extend(codes)
        with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")
        print(f"{name}: {len(codes)}")


if __name__ == "__main__":
    main()
