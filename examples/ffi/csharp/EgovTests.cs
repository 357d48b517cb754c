// Tests of the egov C ABI through the C# wrapper (Mono). Build and run from the repository root:
//   mcs -target:library -out:OUT/Egov.dll examples/ffi/csharp/Egov.cs
//   mcs -r:OUT/Egov.dll -r:System.Json -out:OUT/EgovTests.exe examples/ffi/csharp/EgovTests.cs
//   LD_LIBRARY_PATH=target/release MONO_PATH=OUT mono OUT/EgovTests.exe
// Environment: see examples/ffi/c/test.c. The last line is "N passed, N failed".
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Json;
using System.Linq;
using System.Text;
using System.Threading;
using Egov;

public static class EgovTests
{
    static int passed, failed;
    static readonly string Testsuite =
        Env("EGOV_TESTSUITE_DIR", "../shared/testdata/xrechnung/xrechnung-testsuite/src/test");
    static readonly string Fixtures = Env("EGOV_FFI_FIXTURES", "examples/ffi/fixtures");
    static readonly bool InCi = Environment.GetEnvironmentVariable("CI") != null;
    static readonly string[] ReportKeys = { "schema", "verdict", "valid", "scenario", "syntax",
        "fatal", "warning", "information", "findings", "rules_version" };

    static string Env(string name, string fallback)
    {
        var v = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrEmpty(v) ? fallback : v;
    }

    static void Check(bool ok, string what)
    {
        if (ok) { passed++; }
        else { failed++; Console.Error.WriteLine("FAIL: " + what); }
    }

    static void Test(string name, Action body)
    {
        try { body(); }
        catch (Exception e) { Check(false, name + ": " + e); }
    }

    static int StatusOf(Action call)
    {
        try { call(); return Status.Ok; }
        catch (EgovException e) { return string.IsNullOrEmpty(e.Message) ? -1 : e.Status; }
    }

    // System.Json's implicit conversions make `value != null` ambiguous: compare references.
    static bool IsNull(JsonValue v) { return ReferenceEquals(v, null); }

    static string Str(JsonValue v)
    {
        return !IsNull(v) && v.JsonType == JsonType.String ? (string)v : null;
    }

    static byte[] Fixture(string name) { return File.ReadAllBytes(Path.Combine(Fixtures, name)); }

    static bool MissingTestsuite(string what)
    {
        if (Directory.Exists(Testsuite)) return false;
        if (InCi) Check(false, what + ": test suite not found at " + Testsuite + " (required in CI)");
        else Console.WriteLine("SKIPPED: " + what + " (" + Testsuite + " not found)");
        return true;
    }

    static void TestsuiteInvoices(XrechnungValidator v)
    {
        if (MissingTestsuite("test-suite checks")) return;
        var files = Directory.GetFiles(Testsuite, "*.xml", SearchOption.AllDirectories)
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        Check(files.Length == 86, "expected 86 test-suite invoices, found " + files.Length);
        bool expectValid = Environment.GetEnvironmentVariable("EGOV_FFI_EXPECT_VALID") != null;
        int valid = 0;
        foreach (var file in files)
        {
            try
            {
                var r = (JsonObject)JsonValue.Parse(v.Validate(File.ReadAllBytes(file)));
                bool ok = ReportKeys.All(k => r.ContainsKey(k));
                string syntax = Path.GetFileName(file).Contains("_uncefact") ? "cii" : "ubl";
                ok = ok && Str(r["syntax"]) == syntax;
                ok = ok && !IsNull(r["valid"]) && r["valid"].JsonType == JsonType.Boolean;
                bool isValid = ok && (bool)r["valid"];
                ok = ok && isValid == (!IsNull(r["scenario"]) && r["fatal"].Count == 0);
                if (expectValid) ok = ok && isValid;
                if (isValid) valid++;
                Check(ok, file + ": " + r["fatal"].ToString());
            }
            catch (Exception e) { Check(false, file + ": " + e); }
        }
        Console.WriteLine("test suite: " + valid + " of " + files.Length + " invoices valid");
    }

    static void Broken(XrechnungValidator v)
    {
        foreach (var name in new[] { "broken-not-well-formed.xml", "broken-doctype.xml",
                                     "broken-wrong-total.xml" })
        {
            var r = (JsonObject)JsonValue.Parse(v.Validate(Fixture(name)));
            Check(!(bool)r["valid"] && r["fatal"].Count > 0,
                name + ": expected valid=false with fatal findings");
        }
        Check(v.Validate(new byte[] { 0, 0xff, (byte)'x', (byte)'<' }).Contains("\"valid\":false"),
            "garbage is a report");
        Check(v.Validate(new byte[0]).Contains("\"valid\":false"), "empty input is a report");
    }

    static string RoundTrip(byte[] xml, Syntax syntax)
    {
        string model = Xrechnung.ToJson(xml);
        string back = Xrechnung.FromJson(model, syntax);
        Check(Xrechnung.ToJson(Encoding.UTF8.GetBytes(back)) == model,
            "JSON differs after the round trip through " + syntax);
        return model;
    }

    static void RoundTrips()
    {
        var xml = Fixture("minimal-ubl.xml");
        foreach (Syntax syntax in new[] { Syntax.Ubl, Syntax.Cii })
        {
            var model = (JsonObject)JsonValue.Parse(RoundTrip(xml, syntax));
            Check(Str(model["invoice_number"]) == "R-2026-1", "BT-1 survives via " + syntax);
        }
        if (MissingTestsuite("round trips of test-suite invoices")) return;
        var std = Path.Combine(Testsuite, "business-cases", "standard");
        RoundTrip(File.ReadAllBytes(Path.Combine(std, "01.01a-INVOICE_ubl.xml")), Syntax.Ubl);
        RoundTrip(File.ReadAllBytes(Path.Combine(std, "01.01a-INVOICE_uncefact.xml")), Syntax.Cii);
    }

    static void Errors(XrechnungValidator v)
    {
        var xml = Encoding.UTF8.GetBytes("<a/>");
        IntPtr raw = v.Handle.DangerousGetHandle();
        // Raw ABI: NULL arguments.
        Check(Native.RawValidate(IntPtr.Zero, xml, (UIntPtr)4, IntPtr.Zero) == Status.NullArgument,
            "NULL v");
        Check(Native.RawValidate(raw, xml, (UIntPtr)4, IntPtr.Zero) == Status.NullArgument,
            "NULL out");
        var outBuf = new EgovBuf { Ptr = (IntPtr)0x5a5a, Len = (UIntPtr)0xdead, Cap = (UIntPtr)0xbeef };
        Check(Native.RawToJson(null, (UIntPtr)1, ref outBuf) == Status.NullArgument, "NULL xml");
        Check(Native.RawValidatorNew(IntPtr.Zero) == Status.NullArgument, "new NULL out");
        Check(Library.LastErrorMessage() == "egov_xrechnung_validator_new: argument `out` is NULL",
            "NULL message: " + Library.LastErrorMessage());
        Check(Native.RawToJson(new byte[] { 1, 2, 3 }, (UIntPtr)3, ref outBuf) >= 1000,
            "garbage through the raw call");
        Check(outBuf.Ptr == (IntPtr)0x5a5a && (ulong)outBuf.Len == 0xdead && (ulong)outBuf.Cap == 0xbeef,
            "out-parameter written by a failing call");
        Native.egov_xrechnung_validator_free(IntPtr.Zero);
        Native.egov_buf_free(new EgovBuf());

        // Typed API: exceptions with status and message.
        var badUtf8 = new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':',
                                   (byte)'"', 0xff, (byte)'"', (byte)'}' };
        Check(StatusOf(() => Xrechnung.FromJson(badUtf8, Syntax.Ubl)) == Status.InvalidUtf8,
            "invalid UTF-8");
        Check(StatusOf(() => Xrechnung.FromJson("{nope", Syntax.Cii)) == Status.XrechnungInvalidJson,
            "bad JSON");
        Check(StatusOf(() => Xrechnung.FromJson("{}", (Syntax)3)) == Status.InvalidArgument,
            "syntax 3");
        try
        {
            Xrechnung.ToJson(new byte[] { 1, 2, (byte)'n', (byte)'o', (byte)'t' });
            Check(false, "garbage accepted by ToJson");
        }
        catch (EgovException e)
        {
            Check(e.Status >= 1000 && e.Status < 2000, "garbage: XML status " + e.Status);
            Check(e.Message.Contains("line 1"), "garbage: message " + e.Message);
            Check(e.StatusName.StartsWith("EGOV_XML_"), "status name " + e.StatusName);
        }
        Check(StatusOf(() => Xrechnung.ToJson(Fixture("broken-doctype.xml"))) == Status.XmlDtdForbidden,
            "DOCTYPE");
        Check(StatusOf(() => Xrechnung.ToJson(Fixture("broken-not-well-formed.xml"))) == Status.XmlMalformed,
            "not well-formed");
        Check(StatusOf(() => Xrechnung.ToJson(Encoding.UTF8.GetBytes("<Order/>")))
            == Status.XrechnungUnknownSyntax, "unknown syntax");
        Check(Library.StatusName(Status.XmlMalformed) == "EGOV_XML_MALFORMED", "status name");
        Check(Library.StatusName(-42) == "unknown", "unknown status name");
        Check(Library.AbiVersion == Library.AbiVersionExpected, "ABI version");
        Check(Library.Version.StartsWith("egov "), "version " + Library.Version);

        var closed = new XrechnungValidator();
        closed.Dispose();
        closed.Dispose();
        try { closed.Validate(xml); Check(false, "disposed validator used"); }
        catch (ObjectDisposedException) { Check(true, "disposed"); }
    }

    static void LastErrorBuffer(XrechnungValidator v)
    {
        StatusOf(() => Xrechnung.ToJson(Encoding.UTF8.GetBytes("<<")));
        ulong full = (ulong)Native.egov_last_error_message(null, UIntPtr.Zero);
        string whole = Library.LastErrorMessage();
        byte[] wholeBytes = Encoding.UTF8.GetBytes(whole);
        Check(full > 10 && (ulong)wholeBytes.Length == full, "message length");
        var small = Encoding.ASCII.GetBytes("ZZZZZZZZ");
        ulong n = (ulong)Native.egov_last_error_message(small, (UIntPtr)small.Length);
        Check(n == full && small.Take(7).SequenceEqual(wholeBytes.Take(7)) && small[7] == 0,
            "truncated copy");
        var one = new byte[] { (byte)'Z', (byte)'Z' };
        n = (ulong)Native.egov_last_error_message(one, (UIntPtr)1);
        Check(n == full && one[0] == 0 && one[1] == (byte)'Z', "len 1: only the NUL");
        v.Validate(Encoding.UTF8.GetBytes("<a/>"));
        Check(Library.LastErrorMessage() == whole, "success leaves the last error alone");
    }

    static void Threads(XrechnungValidator v)
    {
        var xml = Fixture("minimal-ubl.xml");
        var ok = new bool[4];
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            bool good = true;
            for (int k = 0; k < 25; k++) good &= v.Validate(xml).Contains("\"syntax\":\"ubl\"");
            ok[t] = good;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Check(ok.All(b => b), "one validator used by 4 threads");
    }

    // Times validations of a test-suite invoice (the fixture without ../shared), and of the 4-byte
    // document <a/>, whose tiny validation makes the per-call cost of the FFI visible.
    static void Bench(XrechnungValidator v)
    {
        var path = Path.Combine(Testsuite, "business-cases", "standard", "01.01a-INVOICE_ubl.xml");
        if (File.Exists(path)) BenchOne(v, "01.01a-INVOICE_ubl.xml", File.ReadAllBytes(path));
        else BenchOne(v, "fixture minimal-ubl.xml", Fixture("minimal-ubl.xml"));
        BenchOne(v, "<a/>", Encoding.UTF8.GetBytes("<a/>"));
    }

    static void BenchOne(XrechnungValidator v, string label, byte[] xml)
    {
        long n = long.Parse(Env("EGOV_FFI_BENCH_N", "10000"));
        double budget = double.Parse(Env("EGOV_FFI_BENCH_SECONDS", "10"),
            System.Globalization.CultureInfo.InvariantCulture);
        if (n <= 0) return;
        for (int k = 0; k < 200; k++) v.Validate(xml);
        var sw = Stopwatch.StartNew();
        long done = 0;
        while (done < n)
        {
            v.Validate(xml);
            done++;
            if (sw.Elapsed.TotalSeconds > budget) break;
        }
        double us = sw.Elapsed.TotalMilliseconds * 1000.0 / done;
        Console.WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture,
            "bench: csharp: {0} validations of {1} ({2} bytes) through FFI (P/Invoke, report as "
            + "string): {3:F1} \u00b5s/call", done, label, xml.Length, us));
    }

    public static int Main()
    {
        Console.WriteLine(Library.Version + ", ABI " + Library.AbiVersion);
        try
        {
            using (var v = new XrechnungValidator())
            {
                Test("testsuite", () => TestsuiteInvoices(v));
                Test("broken", () => Broken(v));
                Test("round trips", RoundTrips);
                Test("errors", () => Errors(v));
                Test("last error buffer", () => LastErrorBuffer(v));
                Test("threads", () => Threads(v));
                Test("bench", () => Bench(v));
            }
        }
        catch (Exception e) { Check(false, "validator: " + e); }
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
