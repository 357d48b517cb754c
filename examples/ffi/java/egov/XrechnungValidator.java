package egov;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The XRechnung 3.0.2 validator. Thread-safe: share one instance between threads. Close it (or use
 * try-with-resources) to release the native validator; an unreachable, unclosed validator is
 * released by a {@link Cleaner}.
 */
public final class XrechnungValidator implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    /** Owns the native handle; must not refer to the validator (or it would never be cleaned). */
    private static final class Handle implements Runnable {
        private Pointer pointer;

        Handle(Pointer pointer) {
            this.pointer = pointer;
        }

        @Override
        public void run() {
            Pointer p = pointer;
            pointer = null;
            if (p != null) {
                EgovLib.egov_xrechnung_validator_free(p);
            }
        }
    }

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    // Calls hold the read lock, close() the write lock: no call can run while the handle is freed.
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    public XrechnungValidator() {
        PointerByReference out = new PointerByReference();
        Egov.check(EgovLib.egov_xrechnung_validator_new(out));
        handle = new Handle(out.getValue());
        cleanable = CLEANER.register(this, handle);
    }

    /**
     * Validates one invoice (UBL or CII XML) and returns the JSON report: schema, verdict, valid,
     * scenario, syntax, fatal, warning, information, findings, rules_version.
     */
    public String validate(byte[] xml) {
        lock.readLock().lock();
        try {
            Pointer p = handle.pointer;
            if (p == null) {
                throw new IllegalStateException("XrechnungValidator is closed");
            }
            long[] out = new long[3];
            Egov.check(EgovLib.egov_xrechnung_validator_validate(p, xml, xml.length, out));
            return Egov.take(out);
        } finally {
            lock.readLock().unlock();
            // Keep `this` (and so the handle) reachable until the native call has returned.
            Reference.reachabilityFence(this);
        }
    }

    /** The native handle, for tests of the raw ABI. */
    public Pointer rawHandle() {
        return handle.pointer;
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            cleanable.clean();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
