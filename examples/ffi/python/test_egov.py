"""Tests of the egov C ABI through the ctypes wrapper. Run from the repository root:

    python3 examples/ffi/python/test_egov.py

Environment: EGOV_TESTSUITE_DIR, EGOV_FFI_FIXTURES, EGOV_FFI_BENCH_N, EGOV_FFI_BENCH_SECONDS,
EGOV_FFI_EXPECT_VALID, CI (see examples/ffi/c/test.c). The last line is "N passed, N failed".
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import threading
import time
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import egov  # noqa: E402

TESTSUITE = Path(
    os.environ.get("EGOV_TESTSUITE_DIR")
    or "../shared/testdata/xrechnung/xrechnung-testsuite/src/test"
)
FIXTURES = Path(os.environ.get("EGOV_FFI_FIXTURES") or "examples/ffi/fixtures")
IN_CI = "CI" in os.environ
REPORT_KEYS = [
    "schema", "verdict", "valid", "scenario", "syntax",
    "fatal", "warning", "information", "findings", "rules_version",
]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def testsuite_files() -> list[Path]:
    return sorted(TESTSUITE.rglob("*.xml")) if TESTSUITE.is_dir() else []


def require_testsuite(test: unittest.TestCase) -> None:
    if not TESTSUITE.is_dir():
        if IN_CI:
            test.fail(f"test suite not found at {TESTSUITE} (required in CI)")
        test.skipTest(f"test suite not found at {TESTSUITE}")


VALIDATOR = egov.XrechnungValidator()


class TestSuiteInvoices(unittest.TestCase):
    """One test per KoSIT test-suite invoice (added below)."""

    def test_count(self) -> None:
        require_testsuite(self)
        self.assertEqual(len(testsuite_files()), 86)


def _make_invoice_test(path: Path):
    def test(self: unittest.TestCase) -> None:
        report = VALIDATOR.validate(path.read_bytes())
        for key in REPORT_KEYS:
            self.assertIn(key, report)
        self.assertEqual(report["syntax"], "cii" if "_uncefact" in path.name else "ubl")
        self.assertIsInstance(report["valid"], bool)
        self.assertEqual(
            report["valid"], report["scenario"] is not None and not report["fatal"], report
        )
        if os.environ.get("EGOV_FFI_EXPECT_VALID"):
            self.assertTrue(report["valid"], report["fatal"])

    return test


for _path in testsuite_files():
    _name = "test_" + str(_path.relative_to(TESTSUITE)).replace("/", "_").replace(".", "_")
    setattr(TestSuiteInvoices, _name, _make_invoice_test(_path))


class BrokenInvoices(unittest.TestCase):
    def test_broken_are_reports_not_errors(self) -> None:
        for name in ["broken-not-well-formed.xml", "broken-doctype.xml", "broken-wrong-total.xml"]:
            with self.subTest(name):
                report = VALIDATOR.validate(fixture(name))
                self.assertFalse(report["valid"])
                self.assertTrue(report["fatal"])

    def test_garbage_and_empty(self) -> None:
        self.assertFalse(VALIDATOR.validate(b"\x00\xffx<")["valid"])
        self.assertFalse(VALIDATOR.validate(b"")["valid"])


class RoundTrip(unittest.TestCase):
    def round_trip(self, xml: bytes, syntax: egov.Syntax) -> str:
        model = egov.to_json(xml)
        back = egov.from_json(model, syntax)
        self.assertEqual(egov.to_json(back.encode()), model)
        return model

    def test_fixture_via_ubl_and_cii(self) -> None:
        xml = fixture("minimal-ubl.xml")
        for syntax in egov.Syntax:
            model = self.round_trip(xml, syntax)
            self.assertEqual(json.loads(model)["invoice_number"], "R-2026-1")  # BT-1

    def test_testsuite_invoices(self) -> None:
        require_testsuite(self)
        std = TESTSUITE / "business-cases" / "standard"
        self.round_trip((std / "01.01a-INVOICE_ubl.xml").read_bytes(), egov.Syntax.UBL)
        self.round_trip((std / "01.01a-INVOICE_uncefact.xml").read_bytes(), egov.Syntax.CII)


class Errors(unittest.TestCase):
    def assert_status(self, status: int, call, *args) -> egov.EgovError:
        with self.assertRaises(egov.EgovError) as ctx:
            call(*args)
        self.assertEqual(ctx.exception.status, status, ctx.exception)
        self.assertTrue(ctx.exception.message)
        return ctx.exception

    def test_null_arguments_raw(self) -> None:
        out = egov.EgovBuf(ctypes.cast(0x5A5A, ctypes.POINTER(ctypes.c_uint8)), 0xDEAD, 0xBEEF)
        lib = egov.lib
        self.assertEqual(lib.egov_xrechnung_validator_validate(None, b"<a/>", 4, ctypes.byref(out)),
                         egov.NULL_ARGUMENT)
        self.assertEqual(lib.egov_xrechnung_validator_validate(VALIDATOR.handle, b"<a/>", 4, None),
                         egov.NULL_ARGUMENT)
        self.assertEqual(lib.egov_xrechnung_validator_validate(VALIDATOR.handle, None, 4,
                                                               ctypes.byref(out)),
                         egov.NULL_ARGUMENT)
        self.assertEqual(lib.egov_xrechnung_to_json(None, 1, ctypes.byref(out)), egov.NULL_ARGUMENT)
        self.assertEqual(lib.egov_xrechnung_from_json(b"{}", 2, 1, None), egov.NULL_ARGUMENT)
        self.assertEqual(lib.egov_xrechnung_validator_new(None), egov.NULL_ARGUMENT)
        self.assertEqual(egov.last_error_message(),
                         "egov_xrechnung_validator_new: argument `out` is NULL")
        # out-parameters untouched
        self.assertEqual((ctypes.cast(out.ptr, ctypes.c_void_p).value, out.len, out.cap),
                         (0x5A5A, 0xDEAD, 0xBEEF))
        # no-op frees
        lib.egov_xrechnung_validator_free(None)
        lib.egov_buf_free(egov.EgovBuf())

    def test_invalid_utf8(self) -> None:
        e = self.assert_status(egov.INVALID_UTF8, egov.from_json, b'{"invoice_number": "\xff"}',
                               egov.Syntax.UBL)
        self.assertEqual(e.name, "EGOV_INVALID_UTF8")

    def test_bad_json_and_syntax(self) -> None:
        self.assert_status(egov.XRECHNUNG_INVALID_JSON, egov.from_json, "{nope", egov.Syntax.UBL)
        self.assert_status(egov.INVALID_ARGUMENT, egov.from_json, "{}", 3)

    def test_garbage_is_an_xml_error_with_position(self) -> None:
        with self.assertRaises(egov.EgovError) as ctx:
            egov.to_json(b"\x01\x02 not XML")
        self.assertTrue(1000 <= ctx.exception.status < 2000, ctx.exception)
        self.assertIn("line 1", ctx.exception.message)

    def test_xml_kinds(self) -> None:
        self.assert_status(egov.XML_DTD_FORBIDDEN, egov.to_json, fixture("broken-doctype.xml"))
        self.assert_status(egov.XML_MALFORMED, egov.to_json, fixture("broken-not-well-formed.xml"))
        self.assert_status(egov.XRECHNUNG_UNKNOWN_SYNTAX, egov.to_json, b"<Order/>")

    def test_last_error_buffer(self) -> None:
        with self.assertRaises(egov.EgovError):
            egov.to_json(b"<<")
        lib = egov.lib
        full = lib.egov_last_error_message(None, 0)
        whole = egov.last_error_message()
        self.assertEqual(len(whole.encode()), full)
        small = ctypes.create_string_buffer(b"Z" * 8, 8)
        self.assertEqual(lib.egov_last_error_message(small, 8), full)
        self.assertEqual(small.raw[:7], whole.encode()[:7])
        self.assertEqual(small.raw[7], 0)
        one = ctypes.create_string_buffer(b"ZZ", 2)
        self.assertEqual(lib.egov_last_error_message(one, 1), full)
        self.assertEqual(one.raw, b"\x00Z")
        VALIDATOR.validate(b"<a/>")  # a successful call leaves the last error as it was
        self.assertEqual(egov.last_error_message(), whole)

    def test_names_and_versions(self) -> None:
        self.assertEqual(egov.status_name(egov.XML_MALFORMED), "EGOV_XML_MALFORMED")
        self.assertEqual(egov.status_name(-42), "unknown")
        self.assertEqual(egov.abi_version(), egov.ABI_VERSION)
        self.assertTrue(egov.version().startswith("egov "))

    def test_closed_validator(self) -> None:
        v = egov.XrechnungValidator()
        v.close()
        v.close()
        with self.assertRaises(ValueError):
            v.validate(b"<a/>")


class Threads(unittest.TestCase):
    def test_one_validator_four_threads(self) -> None:
        xml = fixture("minimal-ubl.xml")
        results: list[bool] = []

        def work() -> None:
            ok = all(VALIDATOR.validate(xml)["syntax"] == "ubl" for _ in range(25))
            results.append(ok)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [True] * 4)


def bench_one(label: str, xml: bytes) -> None:
    n = int(os.environ.get("EGOV_FFI_BENCH_N") or 10000)
    budget = float(os.environ.get("EGOV_FFI_BENCH_SECONDS") or 10)
    if n <= 0:
        return
    for _ in range(20):
        VALIDATOR.validate_json(xml)
    done, start = 0, time.perf_counter()
    elapsed = 0.0
    while done < n:
        VALIDATOR.validate_json(xml)
        done += 1
        elapsed = time.perf_counter() - start
        if elapsed > budget:
            break
    print(f"bench: python: {done} validations of {label} ({len(xml)} bytes) through FFI "
          f"(ctypes, report as str): {elapsed * 1e6 / done:.1f} \u00b5s/call")


def bench() -> None:
    """Times validations of a test-suite invoice (the fixture without ../shared), and of the
    4-byte document <a/>, whose tiny validation makes the per-call cost of the FFI visible."""
    path = TESTSUITE / "business-cases" / "standard" / "01.01a-INVOICE_ubl.xml"
    if path.is_file():
        bench_one(path.name, path.read_bytes())
    else:
        bench_one("fixture minimal-ubl.xml", fixture("minimal-ubl.xml"))
    bench_one("<a/>", b"<a/>")


def main() -> int:
    print(f"{egov.version()}, ABI {egov.abi_version()}")
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=1, stream=sys.stdout).run(suite)
    valid = 0
    for path in testsuite_files():
        valid += bool(VALIDATOR.validate(path.read_bytes())["valid"])
    if TESTSUITE.is_dir():
        print(f"test suite: {valid} of {len(testsuite_files())} invoices valid")
    else:
        print(f"SKIPPED: test-suite checks ({TESTSUITE} not found)")
    bench()
    VALIDATOR.close()
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
