package egov;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/**
 * The raw C ABI of libegov_ffi (egov.h), bound with JNA direct mapping (the fastest JNA binding).
 * {@code size_t} is a Java {@code long}: the wrapper requires a 64-bit platform. Out-parameters of
 * type {@code EgovBuf *} are {@code long[3]} arrays receiving {ptr, len, cap} (the struct's 64-bit
 * layout): much cheaper per call than a JNA {@link com.sun.jna.Structure}. Use the typed API
 * ({@link Egov}, {@link XrechnungValidator}) unless you test the ABI itself.
 *
 * <p>The library is looked up by JNA as "egov_ffi" (libegov_ffi.so, egov_ffi.dll) on
 * {@code jna.library.path}, then the system paths.
 */
public final class EgovLib {
    static {
        if (Native.SIZE_T_SIZE != 8) {
            throw new UnsupportedOperationException("egov's Java wrapper needs a 64-bit platform");
        }
        Native.register(EgovLib.class, "egov_ffi");
    }

    private EgovLib() {}

    public static native int egov_abi_version();

    /** const char *: static, never freed. */
    public static native Pointer egov_version();

    /** const char *: static, never freed. */
    public static native Pointer egov_status_name(int status);

    public static native long egov_last_error_message(byte[] buf, long len);

    public static native void egov_buf_free(EgovBuf.ByValue buf);

    public static native int egov_xrechnung_validator_new(PointerByReference out);

    public static native int egov_xrechnung_validator_validate(
            Pointer v, byte[] xml, long len, long[] outJson);

    public static native void egov_xrechnung_validator_free(Pointer v);

    public static native int egov_xrechnung_to_json(byte[] xml, long len, long[] outJson);

    public static native int egov_xrechnung_from_json(
            byte[] json, long len, int syntax, long[] outXml);
}
