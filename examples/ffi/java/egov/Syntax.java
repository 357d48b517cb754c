package egov;

/** The syntax argument of {@link Egov#fromJson}. */
public enum Syntax {
    /** OASIS UBL 2.1 Invoice / CreditNote. */
    UBL(1),
    /** UN/CEFACT CII D16B CrossIndustryInvoice. */
    CII(2);

    final int code;

    Syntax(int code) {
        this.code = code;
    }
}
