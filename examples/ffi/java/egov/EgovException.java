package egov;

/** A failed egov call: the status code (egov.h), its name and the library's message. */
public final class EgovException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public EgovException(int status, String message) {
        super(Egov.statusName(status) + " (" + status + "): " + message);
        this.status = status;
    }

    /** The status code, e.g. {@link Egov#XML_MALFORMED}. */
    public int status() {
        return status;
    }

    /** The status name, e.g. "EGOV_XML_MALFORMED". */
    public String statusName() {
        return Egov.statusName(status);
    }
}
