import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import egov.Egov;
import egov.EgovBuf;
import egov.EgovException;
import egov.EgovLib;
import egov.Syntax;
import egov.XrechnungValidator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Tests of the egov C ABI through the JNA wrapper. Run from the repository root:
 * java -cp /usr/share/java/jna.jar:OUT -Djna.library.path=target/release EgovTests
 * Environment: see examples/ffi/c/test.c. The last line is "N passed, N failed".
 */
public final class EgovTests {
    static int passed = 0;
    static int failed = 0;

    static final Path TESTSUITE = Paths.get(env("EGOV_TESTSUITE_DIR",
            "../shared/testdata/xrechnung/xrechnung-testsuite/src/test"));
    static final Path FIXTURES = Paths.get(env("EGOV_FFI_FIXTURES", "examples/ffi/fixtures"));
    static final boolean CI = System.getenv("CI") != null;
    static final String[] REPORT_KEYS = {"schema", "verdict", "valid", "scenario", "syntax",
        "fatal", "warning", "information", "findings", "rules_version"};

    static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    static void check(boolean ok, String what) {
        if (ok) {
            passed++;
        } else {
            failed++;
            System.err.println("FAIL: " + what);
        }
    }

    interface Body {
        void run() throws Exception;
    }

    /** Runs a test body; an unexpected exception is a failure. */
    static void test(String name, Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            check(false, name + ": " + t);
            t.printStackTrace();
        }
    }

    static int status(Runnable call) {
        try {
            call.run();
            return Egov.OK;
        } catch (EgovException e) {
            if (e.getMessage() == null || e.getMessage().isEmpty()) {
                return -1;
            }
            return e.status();
        }
    }

    static byte[] fixture(String name) throws IOException {
        return Files.readAllBytes(FIXTURES.resolve(name));
    }

    static boolean missingTestsuite(String what) {
        if (Files.isDirectory(TESTSUITE)) {
            return false;
        }
        if (CI) {
            check(false, what + ": test suite not found at " + TESTSUITE + " (required in CI)");
        } else {
            System.out.println("SKIPPED: " + what + " (" + TESTSUITE + " not found)");
        }
        return true;
    }

    static void testsuite(XrechnungValidator v) throws IOException {
        if (missingTestsuite("test-suite checks")) {
            return;
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(TESTSUITE)) {
            files = s.filter(p -> p.toString().endsWith(".xml")).sorted()
                    .collect(Collectors.toList());
        }
        check(files.size() == 86, "expected 86 test-suite invoices, found " + files.size());
        boolean expectValid = System.getenv("EGOV_FFI_EXPECT_VALID") != null;
        int valid = 0;
        for (Path file : files) {
            String name = file.getFileName().toString();
            try {
                Map<String, Object> r = Json.object(v.validate(Files.readAllBytes(file)));
                boolean ok = true;
                for (String key : REPORT_KEYS) {
                    ok &= r.containsKey(key);
                }
                ok &= (name.contains("_uncefact") ? "cii" : "ubl").equals(r.get("syntax"));
                boolean isValid = Boolean.TRUE.equals(r.get("valid"));
                ok &= r.get("valid") instanceof Boolean;
                ok &= isValid == (r.get("scenario") != null && ((List<?>) r.get("fatal")).isEmpty());
                if (expectValid) {
                    ok &= isValid;
                }
                valid += isValid ? 1 : 0;
                check(ok, file + ": " + r.get("fatal"));
            } catch (RuntimeException e) {
                check(false, file + ": " + e);
            }
        }
        System.out.println("test suite: " + valid + " of " + files.size() + " invoices valid");
    }

    static void broken(XrechnungValidator v) throws IOException {
        for (String name : new String[] {"broken-not-well-formed.xml", "broken-doctype.xml",
            "broken-wrong-total.xml"}) {
            Map<String, Object> r = Json.object(v.validate(fixture(name)));
            check(Boolean.FALSE.equals(r.get("valid")) && !((List<?>) r.get("fatal")).isEmpty(),
                    name + ": expected valid=false with fatal findings");
        }
        check(v.validate(new byte[] {0, (byte) 0xff, 'x', '<'}).contains("\"valid\":false"),
                "garbage is a report");
        check(v.validate(new byte[0]).contains("\"valid\":false"), "empty input is a report");
    }

    static String roundTrip(byte[] xml, Syntax syntax) {
        String model = Egov.toJson(xml);
        String back = Egov.fromJson(model, syntax);
        check(Egov.toJson(back.getBytes(StandardCharsets.UTF_8)).equals(model),
                "JSON differs after the round trip through " + syntax);
        return model;
    }

    static void roundTrips() throws IOException {
        byte[] xml = fixture("minimal-ubl.xml");
        for (Syntax syntax : Syntax.values()) {
            String model = roundTrip(xml, syntax);
            check("R-2026-1".equals(Json.object(model).get("invoice_number")), "BT-1 survives");
        }
        if (missingTestsuite("round trips of test-suite invoices")) {
            return;
        }
        Path std = TESTSUITE.resolve("business-cases/standard");
        roundTrip(Files.readAllBytes(std.resolve("01.01a-INVOICE_ubl.xml")), Syntax.UBL);
        roundTrip(Files.readAllBytes(std.resolve("01.01a-INVOICE_uncefact.xml")), Syntax.CII);
    }

    static void errors(XrechnungValidator v) throws IOException {
        // Raw ABI: NULL arguments, out-parameters untouched.
        long[] out = {0x5a5a, 0xdead, 0xbeef};
        byte[] xml = "<a/>".getBytes(StandardCharsets.UTF_8);
        check(EgovLib.egov_xrechnung_validator_validate(null, xml, 4, out) == Egov.NULL_ARGUMENT,
                "NULL v");
        check(EgovLib.egov_xrechnung_validator_validate(v.rawHandle(), xml, 4, null)
                == Egov.NULL_ARGUMENT, "NULL out");
        check(EgovLib.egov_xrechnung_validator_validate(v.rawHandle(), null, 4, out)
                == Egov.NULL_ARGUMENT, "NULL xml with len 4");
        check(EgovLib.egov_xrechnung_to_json(null, 1, out) == Egov.NULL_ARGUMENT, "to_json NULL");
        check(EgovLib.egov_xrechnung_validator_new(null) == Egov.NULL_ARGUMENT, "new NULL out");
        check(Egov.lastErrorMessage().equals("egov_xrechnung_validator_new: argument `out` is NULL"),
                "NULL message: " + Egov.lastErrorMessage());
        check(EgovLib.egov_xrechnung_to_json(new byte[] {1, 2, 3}, 3, out) >= 1000,
                "garbage through the raw call");
        check(out[0] == 0x5a5a && out[1] == 0xdead && out[2] == 0xbeef,
                "out-parameter written by a failing call");
        EgovLib.egov_xrechnung_validator_free(null);
        EgovLib.egov_buf_free(new EgovBuf.ByValue());

        // Typed API: exceptions with status and message.
        byte[] badUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xff, '"', '}'};
        check(status(() -> Egov.fromJson(badUtf8, Syntax.UBL)) == Egov.INVALID_UTF8,
                "invalid UTF-8");
        check(status(() -> Egov.fromJson("{nope", Syntax.CII)) == Egov.XRECHNUNG_INVALID_JSON,
                "bad JSON");
        try {
            Egov.toJson(new byte[] {1, 2, 'n', 'o', 't', ' ', 'X', 'M', 'L'});
            check(false, "garbage accepted by toJson");
        } catch (EgovException e) {
            check(e.status() >= 1000 && e.status() < 2000, "garbage: XML status " + e.status());
            check(e.getMessage().contains("line 1"), "garbage: message " + e.getMessage());
            check(e.statusName().startsWith("EGOV_XML_"), "status name " + e.statusName());
        }
        check(status(() -> Egov.toJson(fixtureUnchecked("broken-doctype.xml")))
                == Egov.XML_DTD_FORBIDDEN, "DOCTYPE");
        check(status(() -> Egov.toJson(fixtureUnchecked("broken-not-well-formed.xml")))
                == Egov.XML_MALFORMED, "not well-formed");
        check(status(() -> Egov.toJson("<Order/>".getBytes(StandardCharsets.UTF_8)))
                == Egov.XRECHNUNG_UNKNOWN_SYNTAX, "unknown syntax");
        check(Egov.statusName(Egov.XML_MALFORMED).equals("EGOV_XML_MALFORMED"), "status name");
        check(Egov.statusName(-42).equals("unknown"), "unknown status name");
        check(Egov.abiVersion() == Egov.ABI_VERSION, "ABI version");
        check(Egov.version().startsWith("egov "), "version");

        XrechnungValidator closed = new XrechnungValidator();
        closed.close();
        closed.close();
        try {
            closed.validate(xml);
            check(false, "closed validator used");
        } catch (IllegalStateException e) {
            check(true, "closed");
        }
    }

    static byte[] fixtureUnchecked(String name) {
        try {
            return fixture(name);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static void lastErrorBuffer(XrechnungValidator v) {
        status(() -> Egov.toJson("<<".getBytes(StandardCharsets.UTF_8)));
        long full = EgovLib.egov_last_error_message(null, 0);
        String whole = Egov.lastErrorMessage();
        byte[] wholeBytes = whole.getBytes(StandardCharsets.UTF_8);
        check(full > 10 && wholeBytes.length == full, "message length");
        byte[] small = "ZZZZZZZZ".getBytes(StandardCharsets.UTF_8);
        long n = EgovLib.egov_last_error_message(small, small.length);
        boolean prefix = true;
        for (int k = 0; k < 7; k++) {
            prefix &= small[k] == wholeBytes[k];
        }
        check(n == full && prefix && small[7] == 0, "truncated copy");
        byte[] one = {'Z', 'Z'};
        n = EgovLib.egov_last_error_message(one, 1);
        check(n == full && one[0] == 0 && one[1] == 'Z', "len 1: only the NUL");
        v.validate("<a/>".getBytes(StandardCharsets.UTF_8));
        check(Egov.lastErrorMessage().equals(whole), "success leaves the last error alone");
    }

    static void threads(XrechnungValidator v) throws Exception {
        byte[] xml = fixture("minimal-ubl.xml");
        boolean[] ok = new boolean[4];
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            final int index = t;
            Thread thread = new Thread(() -> {
                boolean good = true;
                for (int k = 0; k < 25; k++) {
                    good &= v.validate(xml).contains("\"syntax\":\"ubl\"");
                }
                ok[index] = good;
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        check(ok[0] && ok[1] && ok[2] && ok[3], "one validator used by 4 threads");
    }

    /**
     * Times validations of a test-suite invoice (the fixture without ../shared), and of the 4-byte
     * document {@code <a/>}, whose tiny validation makes the per-call cost of the FFI visible.
     */
    static void bench(XrechnungValidator v) throws IOException {
        Path path = TESTSUITE.resolve("business-cases/standard/01.01a-INVOICE_ubl.xml");
        if (Files.isRegularFile(path)) {
            benchOne(v, "01.01a-INVOICE_ubl.xml", Files.readAllBytes(path));
        } else {
            benchOne(v, "fixture minimal-ubl.xml", fixture("minimal-ubl.xml"));
        }
        benchOne(v, "<a/>", "<a/>".getBytes(StandardCharsets.UTF_8));
    }

    static void benchOne(XrechnungValidator v, String label, byte[] xml) {
        long n = Long.parseLong(env("EGOV_FFI_BENCH_N", "10000"));
        double budget = Double.parseDouble(env("EGOV_FFI_BENCH_SECONDS", "10"));
        if (n <= 0) {
            return;
        }
        for (int k = 0; k < 2000; k++) { // warm-up (JIT)
            v.validate(xml);
        }
        long start = System.nanoTime();
        long done = 0;
        double elapsed = 0;
        while (done < n) {
            v.validate(xml);
            done++;
            elapsed = (System.nanoTime() - start) / 1e9;
            if (elapsed > budget) {
                break;
            }
        }
        System.out.printf("bench: java: %d validations of %s (%d bytes) through FFI (JNA direct "
                + "mapping, report as String): %.1f \u00b5s/call%n", done, label, xml.length,
                elapsed * 1e6 / done);
    }

    public static void main(String[] args) {
        System.out.println(Egov.version() + ", ABI " + Egov.abiVersion());
        try (XrechnungValidator v = new XrechnungValidator()) {
            test("testsuite", () -> testsuite(v));
            test("broken", () -> broken(v));
            test("round trips", EgovTests::roundTrips);
            test("errors", () -> errors(v));
            test("last error buffer", () -> lastErrorBuffer(v));
            test("threads", () -> threads(v));
            test("bench", () -> bench(v));
        } catch (Throwable t) {
            check(false, "validator: " + t);
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
