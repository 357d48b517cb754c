package egov;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/** {@code typedef struct EgovBuf { uint8_t *ptr; size_t len; size_t cap; } EgovBuf;} */
@Structure.FieldOrder({"ptr", "len", "cap"})
public class EgovBuf extends Structure {
    public Pointer ptr;
    public long len;
    public long cap;

    /** The same struct passed by value (for {@code egov_buf_free}). */
    public static class ByValue extends EgovBuf implements Structure.ByValue {}
}
