// egov for C#: a P/Invoke wrapper of the egov C ABI (libegov_ffi.so / egov_ffi.dll).
//
//   using (var validator = new Egov.XrechnungValidator())
//   {
//       string reportJson = validator.Validate(File.ReadAllBytes("invoice.xml"));
//   }
//   string model = Egov.Xrechnung.ToJson(xmlBytes);
//   string cii = Egov.Xrechnung.FromJson(model, Egov.Syntax.Cii);
//
// Failures throw EgovException (Status, StatusName, Message); findings of a validation are not
// failures but the report. Handles are SafeHandles: released by Dispose or, at the latest, by the
// finalizer, and never while a call is using them (P/Invoke adds a reference for the call).
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Egov
{
    /// <summary>The syntax argument of <see cref="Xrechnung.FromJson(string, Syntax)"/>.</summary>
    public enum Syntax
    {
        /// <summary>OASIS UBL 2.1 Invoice / CreditNote.</summary>
        Ubl = 1,
        /// <summary>UN/CEFACT CII D16B CrossIndustryInvoice.</summary>
        Cii = 2,
    }

    /// <summary>Status codes of egov.h (append-only).</summary>
    public static class Status
    {
        public const int Ok = 0;
        public const int NullArgument = 1;
        public const int InvalidUtf8 = 2;
        public const int Panic = 3;
        public const int InvalidArgument = 4;
        public const int Unclassified = 5;
        public const int XmlDtdForbidden = 1001;
        public const int XmlTooLarge = 1002;
        public const int XmlTooDeep = 1003;
        public const int XmlTooManyElements = 1004;
        public const int XmlTooManyAttributes = 1005;
        public const int XmlTextTooLong = 1006;
        public const int XmlEncoding = 1007;
        public const int XmlDuplicateAttribute = 1008;
        public const int XmlUndeclaredPrefix = 1009;
        public const int XmlMalformed = 1010;
        public const int XrechnungUnknownSyntax = 3001;
        public const int XrechnungInvalidJson = 3002;
    }

    /// <summary>A failed egov call: the status code, its name and the library's message.</summary>
    public sealed class EgovException : Exception
    {
        public int Status { get; }
        public string StatusName { get; }

        public EgovException(int status, string message)
            : base(Library.StatusName(status) + " (" + status + "): " + message)
        {
            Status = status;
            StatusName = Library.StatusName(status);
        }
    }

    /// <summary><c>typedef struct EgovBuf { uint8_t *ptr; size_t len; size_t cap; } EgovBuf;</c></summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct EgovBuf
    {
        public IntPtr Ptr;
        public UIntPtr Len;
        public UIntPtr Cap;
    }

    /// <summary>The raw C ABI. Use the typed API unless you test the ABI itself.</summary>
    public static class Native
    {
        public const string Lib = "egov_ffi";

        [DllImport(Lib)] public static extern uint egov_abi_version();
        [DllImport(Lib)] public static extern IntPtr egov_version();
        [DllImport(Lib)] public static extern IntPtr egov_status_name(int status);
        [DllImport(Lib)] public static extern UIntPtr egov_last_error_message(byte[] buf, UIntPtr len);
        [DllImport(Lib)] public static extern void egov_buf_free(EgovBuf buf);

        [DllImport(Lib)]
        public static extern int egov_xrechnung_validator_new(out XrechnungValidatorHandle handle);
        [DllImport(Lib)]
        public static extern int egov_xrechnung_validator_validate(
            XrechnungValidatorHandle v, byte[] xml, UIntPtr len, ref EgovBuf outJson);
        [DllImport(Lib)]
        public static extern void egov_xrechnung_validator_free(IntPtr v);
        [DllImport(Lib)]
        public static extern int egov_xrechnung_to_json(byte[] xml, UIntPtr len, ref EgovBuf outJson);
        [DllImport(Lib)]
        public static extern int egov_xrechnung_from_json(
            byte[] json, UIntPtr len, int syntax, ref EgovBuf outXml);

        // Raw variants taking plain pointers, for tests passing NULL.
        [DllImport(Lib, EntryPoint = "egov_xrechnung_validator_validate")]
        public static extern int RawValidate(IntPtr v, byte[] xml, UIntPtr len, IntPtr outJson);
        [DllImport(Lib, EntryPoint = "egov_xrechnung_validator_new")]
        public static extern int RawValidatorNew(IntPtr outHandle);
        [DllImport(Lib, EntryPoint = "egov_xrechnung_to_json")]
        public static extern int RawToJson(byte[] xml, UIntPtr len, ref EgovBuf outJson);
    }

    /// <summary>The native XRechnung validator handle.</summary>
    public sealed class XrechnungValidatorHandle : SafeHandle
    {
        public XrechnungValidatorHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            Native.egov_xrechnung_validator_free(handle);
            return true;
        }
    }

    /// <summary>Versions, status names, the last error; the helpers the typed API uses.</summary>
    public static class Library
    {
        /// <summary>The EGOV_ABI_VERSION this wrapper was written against.</summary>
        public const uint AbiVersionExpected = 1;

        public static uint AbiVersion { get { return Native.egov_abi_version(); } }

        public static string Version { get { return Utf8(Native.egov_version()); } }

        public static string StatusName(int status) { return Utf8(Native.egov_status_name(status)); }

        /// <summary>The message of the last failure on this thread.</summary>
        public static string LastErrorMessage()
        {
            ulong n = (ulong)Native.egov_last_error_message(null, UIntPtr.Zero);
            var buf = new byte[checked((int)n + 1)];
            ulong again = (ulong)Native.egov_last_error_message(buf, (UIntPtr)buf.Length);
            int len = (int)Math.Min(again, (ulong)buf.Length - 1);
            return Encoding.UTF8.GetString(buf, 0, len);
        }

        internal static void Check(int status)
        {
            if (status != Status.Ok)
            {
                throw new EgovException(status, LastErrorMessage());
            }
        }

        /// <summary>Copies a library buffer into a string and frees it.</summary>
        internal static string Take(EgovBuf buf)
        {
            try
            {
                int len = checked((int)(ulong)buf.Len);
                var bytes = new byte[len];
                if (len > 0)
                {
                    Marshal.Copy(buf.Ptr, bytes, 0, len);
                }
                return Encoding.UTF8.GetString(bytes);
            }
            finally
            {
                Native.egov_buf_free(buf);
            }
        }

        internal static string Utf8(IntPtr cString)
        {
            int len = 0;
            while (Marshal.ReadByte(cString, len) != 0)
            {
                len++;
            }
            var bytes = new byte[len];
            Marshal.Copy(cString, bytes, 0, len);
            return Encoding.UTF8.GetString(bytes);
        }

        static Library()
        {
            if (Native.egov_abi_version() < AbiVersionExpected)
            {
                throw new DllNotFoundException("libegov_ffi has ABI version "
                    + Native.egov_abi_version() + ", this wrapper needs " + AbiVersionExpected);
            }
        }
    }

    /// <summary>
    /// The XRechnung 3.0.2 validator. Thread-safe: share one instance between threads. Dispose it to
    /// release the native validator early.
    /// </summary>
    public sealed class XrechnungValidator : IDisposable
    {
        readonly XrechnungValidatorHandle handle;

        public XrechnungValidator()
        {
            XrechnungValidatorHandle h;
            Library.Check(Native.egov_xrechnung_validator_new(out h));
            handle = h;
        }

        /// <summary>The native handle (for tests of the raw ABI).</summary>
        public XrechnungValidatorHandle Handle { get { return handle; } }

        /// <summary>
        /// Validates one invoice (UBL or CII XML); returns the JSON report: schema, verdict, valid,
        /// scenario, syntax, fatal, warning, information, findings, rules_version.
        /// </summary>
        public string Validate(byte[] xml)
        {
            if (xml == null) throw new ArgumentNullException("xml");
            if (handle.IsClosed) throw new ObjectDisposedException("XrechnungValidator");
            var buf = new EgovBuf();
            Library.Check(Native.egov_xrechnung_validator_validate(
                handle, xml, (UIntPtr)xml.Length, ref buf));
            return Library.Take(buf);
        }

        public void Dispose() { handle.Dispose(); }
    }

    /// <summary>Conversions between invoice XML and the invoice model's JSON.</summary>
    public static class Xrechnung
    {
        /// <summary>The invoice model of a UBL or CII invoice, as JSON.</summary>
        public static string ToJson(byte[] xml)
        {
            if (xml == null) throw new ArgumentNullException("xml");
            var buf = new EgovBuf();
            Library.Check(Native.egov_xrechnung_to_json(xml, (UIntPtr)xml.Length, ref buf));
            return Library.Take(buf);
        }

        /// <summary>The invoice XML of a model given as JSON bytes (must be UTF-8).</summary>
        public static string FromJson(byte[] json, Syntax syntax)
        {
            if (json == null) throw new ArgumentNullException("json");
            var buf = new EgovBuf();
            Library.Check(Native.egov_xrechnung_from_json(
                json, (UIntPtr)json.Length, (int)syntax, ref buf));
            return Library.Take(buf);
        }

        /// <summary>The invoice XML of a model given as JSON.</summary>
        public static string FromJson(string json, Syntax syntax)
        {
            return FromJson(Encoding.UTF8.GetBytes(json), syntax);
        }
    }
}
