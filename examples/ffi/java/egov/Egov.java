package egov;

import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/**
 * egov for Java: versions, status codes and the XRechnung conversions. Failures throw
 * {@link EgovException}; findings of a validation are not failures but the report (see
 * {@link XrechnungValidator}).
 */
public final class Egov {
    /** The EGOV_ABI_VERSION this wrapper was written against. */
    public static final int ABI_VERSION = 1;

    // Status codes (egov.h; append-only).
    public static final int OK = 0;
    public static final int NULL_ARGUMENT = 1;
    public static final int INVALID_UTF8 = 2;
    public static final int PANIC = 3;
    public static final int INVALID_ARGUMENT = 4;
    public static final int UNCLASSIFIED = 5;
    public static final int XML_DTD_FORBIDDEN = 1001;
    public static final int XML_TOO_LARGE = 1002;
    public static final int XML_TOO_DEEP = 1003;
    public static final int XML_TOO_MANY_ELEMENTS = 1004;
    public static final int XML_TOO_MANY_ATTRIBUTES = 1005;
    public static final int XML_TEXT_TOO_LONG = 1006;
    public static final int XML_ENCODING = 1007;
    public static final int XML_DUPLICATE_ATTRIBUTE = 1008;
    public static final int XML_UNDECLARED_PREFIX = 1009;
    public static final int XML_MALFORMED = 1010;
    public static final int XRECHNUNG_UNKNOWN_SYNTAX = 3001;
    public static final int XRECHNUNG_INVALID_JSON = 3002;

    static {
        int loaded = EgovLib.egov_abi_version();
        if (loaded < ABI_VERSION) {
            throw new UnsatisfiedLinkError(
                    "libegov_ffi has ABI version " + loaded + ", this wrapper needs " + ABI_VERSION);
        }
    }

    private Egov() {}

    /** The ABI version of the loaded library. */
    public static int abiVersion() {
        return EgovLib.egov_abi_version();
    }

    /** The library version and the standard versions it implements. */
    public static String version() {
        return EgovLib.egov_version().getString(0, "UTF-8");
    }

    /** EGOV_OK, EGOV_XML_MALFORMED, … or "unknown". */
    public static String statusName(int status) {
        return EgovLib.egov_status_name(status).getString(0, "UTF-8");
    }

    /** The message of the last failure on this thread. */
    public static String lastErrorMessage() {
        long n = EgovLib.egov_last_error_message(null, 0);
        byte[] buf = new byte[(int) Math.min(n + 1, Integer.MAX_VALUE)];
        long again = EgovLib.egov_last_error_message(buf, buf.length);
        int len = (int) Math.min(again, buf.length - 1);
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }

    /** The invoice model of a UBL or CII invoice, as JSON. */
    public static String toJson(byte[] xml) {
        long[] out = new long[3];
        check(EgovLib.egov_xrechnung_to_json(xml, xml.length, out));
        return take(out);
    }

    /** The invoice XML (UBL or CII) of a model given as JSON bytes (must be UTF-8). */
    public static String fromJson(byte[] json, Syntax syntax) {
        long[] out = new long[3];
        check(EgovLib.egov_xrechnung_from_json(json, json.length, syntax.code, out));
        return take(out);
    }

    /** The invoice XML (UBL or CII) of a model given as JSON. */
    public static String fromJson(String json, Syntax syntax) {
        return fromJson(json.getBytes(StandardCharsets.UTF_8), syntax);
    }

    static void check(int status) {
        if (status != OK) {
            throw new EgovException(status, lastErrorMessage());
        }
    }

    /** One by-value struct per thread for egov_buf_free (allocating one per call is costly). */
    private static final ThreadLocal<EgovBuf.ByValue> FREE_ARG =
            ThreadLocal.withInitial(EgovBuf.ByValue::new);

    /** Copies a library buffer ({ptr, len, cap} from an out-parameter) into a String, frees it. */
    static String take(long[] buf) {
        Pointer ptr = new Pointer(buf[0]);
        try {
            if (buf[1] > Integer.MAX_VALUE - 8) {
                throw new OutOfMemoryError("egov output of " + buf[1] + " bytes");
            }
            byte[] bytes = buf[1] == 0 ? new byte[0] : ptr.getByteArray(0, (int) buf[1]);
            return new String(bytes, StandardCharsets.UTF_8);
        } finally {
            EgovBuf.ByValue v = FREE_ARG.get();
            v.ptr = ptr;
            v.len = buf[1];
            v.cap = buf[2];
            EgovLib.egov_buf_free(v);
        }
    }
}
