/*
 * The egov C ABI from C: validates the KoSIT XRechnung test suite and broken invoices, round-trips
 * invoices through JSON, checks the error paths and the last-error buffer, and times validations.
 *
 * Build (from the repository root, after `cargo build --release -p egov-ffi`):
 *   shared: gcc -Wall -Wextra -Werror -std=c11 -Iegov-ffi/include examples/ffi/c/test.c \
 *             -Ltarget/release -Wl,-rpath,"$PWD/target/release" -legov_ffi -lpthread -o egov-test
 *   static: gcc -Wall -Wextra -Werror -std=c11 -Iegov-ffi/include examples/ffi/c/test.c \
 *             target/release/libegov_ffi.a -lpthread -ldl -lm -o egov-test-static
 * Run from the repository root. Environment: EGOV_TESTSUITE_DIR (default
 * ../shared/testdata/xrechnung/xrechnung-testsuite/src/test), EGOV_FFI_FIXTURES (default
 * examples/ffi/fixtures), EGOV_FFI_BENCH_N (default 10000), EGOV_FFI_BENCH_SECONDS (default 10),
 * EGOV_FFI_EXPECT_VALID=1 (every test-suite invoice must be valid), EGOV_FFI_TESTSUITE_LIMIT=N
 * (validate only the first N test-suite invoices), CI (a missing test suite fails).
 * The last line printed is "N passed, N failed"; the exit status is 1 when any check failed.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egov.h"

static int passed = 0;
static int failed = 0;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v != NULL && v[0] != '\0') ? v : fallback;
}

/* Reads a whole file; NULL on failure. The caller frees. */
static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *data = malloc(cap);
    while (data != NULL) {
        n += fread(data + n, 1, cap - n, f);
        if (n < cap) {
            break;
        }
        cap *= 2;
        uint8_t *bigger = realloc(data, cap);
        if (bigger == NULL) {
            free(data);
            data = NULL;
        } else {
            data = bigger;
        }
    }
    fclose(f);
    *len = n;
    return data;
}

static uint8_t *read_fixture(const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", env_or("EGOV_FFI_FIXTURES", "examples/ffi/fixtures"), name);
    uint8_t *data = read_file(path, len);
    if (data == NULL) {
        fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return data;
}

/* The last error message of this thread, in a malloc'd string (two calls: length, then copy). */
static char *last_error(void) {
    size_t n = egov_last_error_message(NULL, 0);
    char *buf = malloc(n + 1);
    if (buf == NULL) {
        exit(2);
    }
    size_t again = egov_last_error_message(buf, n + 1);
    if (again != n) {
        buf[0] = '\0';
    }
    return buf;
}

/* A copy of a library buffer as a C string; frees the library buffer. */
static char *take(EgovBuf buf) {
    char *s = malloc(buf.len + 1);
    if (s == NULL) {
        exit(2);
    }
    memcpy(s, buf.ptr, buf.len);
    s[buf.len] = '\0';
    egov_buf_free(buf);
    return s;
}

static int contains(const char *haystack, const char *needle) {
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* ---- test-suite file list (nftw has no user pointer, hence the globals) ---- */

static char **files = NULL;
static size_t file_count = 0, file_cap = 0;

static int collect(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb;
    (void)ftw;
    size_t n = strlen(path);
    if (type == FTW_F && n > 4 && strcmp(path + n - 4, ".xml") == 0) {
        if (file_count == file_cap) {
            file_cap = file_cap ? file_cap * 2 : 128;
            char **bigger = realloc(files, file_cap * sizeof *files);
            if (bigger == NULL) {
                return 1;
            }
            files = bigger;
        }
        files[file_count] = malloc(n + 1);
        if (files[file_count] == NULL) {
            return 1;
        }
        memcpy(files[file_count++], path, n + 1);
    }
    return 0;
}

static int compare_paths(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- checks ---- */

static const char *const REPORT_KEYS[] = {"\"schema\":",  "\"verdict\":", "\"valid\":",
                                          "\"scenario\":", "\"syntax\":", "\"fatal\":",
                                          "\"warning\":", "\"information\":", "\"findings\":",
                                          "\"rules_version\":"};

static char *validate(const EgovXrechnungValidator *v, const uint8_t *xml, size_t len) {
    EgovBuf out = {0};
    EgovStatus st = egov_xrechnung_validator_validate(v, xml, len, &out);
    if (st != EGOV_OK) {
        char *msg = last_error();
        fprintf(stderr, "validate: %s: %s\n", egov_status_name(st), msg);
        free(msg);
        return NULL;
    }
    return take(out);
}

static void check_testsuite(const EgovXrechnungValidator *v) {
    const char *dir =
        env_or("EGOV_TESTSUITE_DIR", "../shared/testdata/xrechnung/xrechnung-testsuite/src/test");
    if (nftw(dir, collect, 16, FTW_PHYS) != 0 || file_count == 0) {
        if (getenv("CI") != NULL) {
            CHECK(0, "test suite not found at %s (required in CI)", dir);
        } else {
            printf("SKIPPED: test-suite checks (%s not found)\n", dir);
        }
        return;
    }
    qsort(files, file_count, sizeof *files, compare_paths);
    /* EGOV_FFI_TESTSUITE_LIMIT=N validates only the first N (for slow runs under valgrind). */
    long limit = atol(env_or("EGOV_FFI_TESTSUITE_LIMIT", "0"));
    if (limit > 0 && (size_t)limit < file_count) {
        printf("test suite: only the first %ld of %zu invoices (EGOV_FFI_TESTSUITE_LIMIT)\n", limit,
               file_count);
        for (size_t i = (size_t)limit; i < file_count; i++) {
            free(files[i]);
        }
        file_count = (size_t)limit;
    } else {
        CHECK(file_count == 86, "expected 86 test-suite invoices, found %zu", file_count);
    }
    int expect_valid = getenv("EGOV_FFI_EXPECT_VALID") != NULL;
    size_t valid = 0;
    for (size_t i = 0; i < file_count; i++) {
        size_t len = 0;
        uint8_t *xml = read_file(files[i], &len);
        char *report = xml ? validate(v, xml, len) : NULL;
        int ok = report != NULL;
        for (size_t k = 0; ok && k < sizeof REPORT_KEYS / sizeof *REPORT_KEYS; k++) {
            ok = contains(report, REPORT_KEYS[k]);
        }
        const char *syntax = contains(files[i], "_uncefact") ? "\"syntax\":\"cii\""
                                                             : "\"syntax\":\"ubl\"";
        ok = ok && contains(report, syntax);
        int is_valid = contains(report, "\"valid\":true");
        /* valid <=> a scenario matched and nothing is fatal */
        int consistent = is_valid == (contains(report, "\"fatal\":[]") &&
                                      !contains(report, "\"scenario\":null"));
        ok = ok && consistent && (is_valid || contains(report, "\"valid\":false"));
        if (expect_valid) {
            ok = ok && is_valid;
        }
        valid += (size_t)is_valid;
        CHECK(ok, "%s: %.300s", files[i], report ? report : "(no report)");
        free(report);
        free(xml);
    }
    printf("test suite: %zu of %zu invoices valid\n", valid, file_count);
}

static void check_broken(const EgovXrechnungValidator *v) {
    const char *names[] = {"broken-not-well-formed.xml", "broken-doctype.xml",
                           "broken-wrong-total.xml"};
    for (size_t i = 0; i < 3; i++) {
        size_t len = 0;
        uint8_t *xml = read_fixture(names[i], &len);
        char *report = validate(v, xml, len);
        CHECK(report != NULL && contains(report, "\"valid\":false") &&
                  !contains(report, "\"fatal\":[]"),
              "%s: expected a successful report with valid=false and fatal findings: %.300s",
              names[i], report ? report : "(none)");
        free(report);
        free(xml);
    }
    /* Not XML at all, and the empty input: findings, not errors. */
    const uint8_t garbage[] = {0x00, 0xff, 'x', '<'};
    char *report = validate(v, garbage, sizeof garbage);
    CHECK(contains(report, "\"valid\":false"), "garbage: %s", report ? report : "(none)");
    free(report);
    report = validate(v, NULL, 0);
    CHECK(contains(report, "\"valid\":false"), "empty: %s", report ? report : "(none)");
    free(report);
}

static char *to_json(const uint8_t *xml, size_t len, EgovStatus *status) {
    EgovBuf out = {0};
    *status = egov_xrechnung_to_json(xml, len, &out);
    return *status == EGOV_OK ? take(out) : NULL;
}

static char *from_json(const char *json, int32_t syntax, EgovStatus *status) {
    EgovBuf out = {0};
    *status = egov_xrechnung_from_json((const uint8_t *)json, strlen(json), syntax, &out);
    return *status == EGOV_OK ? take(out) : NULL;
}

/* XML -> to_json -> from_json(syntax) -> to_json gives the same JSON. */
static void round_trip(const char *label, const uint8_t *xml, size_t len, int32_t syntax,
                       const char *bt1) {
    EgovStatus st;
    char *json = to_json(xml, len, &st);
    CHECK(json != NULL, "%s: to_json: %s", label, egov_status_name(st));
    if (json == NULL) {
        return;
    }
    if (bt1 != NULL) {
        char needle[256];
        snprintf(needle, sizeof needle, "\"invoice_number\": \"%s\"", bt1);
        CHECK(contains(json, needle), "%s: BT-1 %s not in the model JSON", label, bt1);
    }
    char *xml2 = from_json(json, syntax, &st);
    CHECK(xml2 != NULL, "%s: from_json(%d): %s", label, syntax, egov_status_name(st));
    char *json2 = xml2 ? to_json((const uint8_t *)xml2, strlen(xml2), &st) : NULL;
    CHECK(json2 != NULL && strcmp(json, json2) == 0,
          "%s: JSON differs after the round trip through syntax %d", label, syntax);
    free(json2);
    free(xml2);
    free(json);
}

static void check_round_trips(void) {
    size_t len = 0;
    uint8_t *xml = read_fixture("minimal-ubl.xml", &len);
    round_trip("fixture via UBL", xml, len, EGOV_SYNTAX_UBL, "R-2026-1");
    round_trip("fixture via CII", xml, len, EGOV_SYNTAX_CII, "R-2026-1");
    free(xml);
    const char *dir =
        env_or("EGOV_TESTSUITE_DIR", "../shared/testdata/xrechnung/xrechnung-testsuite/src/test");
    const char *cases[][2] = {{"business-cases/standard/01.01a-INVOICE_ubl.xml", "u"},
                              {"business-cases/standard/01.01a-INVOICE_uncefact.xml", "c"}};
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, cases[i][0]);
        xml = read_file(path, &len);
        if (xml == NULL) {
            if (getenv("CI") == NULL) {
                printf("SKIPPED: round trip of %s (not found)\n", path);
            } else {
                CHECK(0, "round trip: %s not found", path);
            }
            continue;
        }
        round_trip(cases[i][0], xml, len, cases[i][1][0] == 'u' ? EGOV_SYNTAX_UBL : EGOV_SYNTAX_CII,
                   NULL);
        free(xml);
    }
}

static void check_errors(const EgovXrechnungValidator *v) {
    const EgovBuf sentinel = {(uint8_t *)(uintptr_t)0x5a5a, 0xdead, 0xbeef};
    EgovBuf out = sentinel;
    const uint8_t xml[] = "<a/>";

    /* NULL arguments */
    CHECK(egov_xrechnung_validator_validate(NULL, xml, 4, &out) == EGOV_NULL_ARGUMENT, "NULL v");
    CHECK(egov_xrechnung_validator_validate(v, xml, 4, NULL) == EGOV_NULL_ARGUMENT, "NULL out");
    CHECK(egov_xrechnung_validator_validate(v, NULL, 4, &out) == EGOV_NULL_ARGUMENT,
          "NULL xml with len 4");
    CHECK(egov_xrechnung_to_json(NULL, 1, &out) == EGOV_NULL_ARGUMENT, "to_json NULL xml");
    CHECK(egov_xrechnung_to_json(xml, 4, NULL) == EGOV_NULL_ARGUMENT, "to_json NULL out");
    CHECK(egov_xrechnung_from_json(NULL, 1, EGOV_SYNTAX_UBL, &out) == EGOV_NULL_ARGUMENT,
          "from_json NULL json");
    CHECK(egov_xrechnung_validator_new(NULL) == EGOV_NULL_ARGUMENT, "new NULL out");
    char *msg = last_error();
    CHECK(strcmp(msg, "egov_xrechnung_validator_new: argument `out` is NULL") == 0, "msg: %s", msg);
    free(msg);

    /* invalid UTF-8, bad JSON, unknown syntax */
    const char bad_utf8[] = "{\"invoice_number\": \"\xff\"}";
    CHECK(egov_xrechnung_from_json((const uint8_t *)bad_utf8, strlen(bad_utf8), EGOV_SYNTAX_UBL,
                                   &out) == EGOV_INVALID_UTF8,
          "invalid UTF-8");
    CHECK(egov_xrechnung_from_json((const uint8_t *)"{nope", 5, EGOV_SYNTAX_UBL, &out) ==
              EGOV_XRECHNUNG_INVALID_JSON,
          "bad JSON");
    CHECK(egov_xrechnung_from_json((const uint8_t *)"{}", 2, 3, &out) == EGOV_INVALID_ARGUMENT,
          "syntax 3");

    /* garbage bytes: an XML status and a message with the position */
    const uint8_t garbage[] = {0x01, 0x02, 'n', 'o', 't', ' ', 'X', 'M', 'L'};
    EgovStatus st = egov_xrechnung_to_json(garbage, sizeof garbage, &out);
    CHECK(st >= 1000 && st < 2000, "garbage: status %d (%s)", st, egov_status_name(st));
    msg = last_error();
    CHECK(contains(msg, "line 1"), "garbage: message %s", msg);
    free(msg);

    size_t len = 0;
    uint8_t *doc = read_fixture("broken-doctype.xml", &len);
    CHECK(egov_xrechnung_to_json(doc, len, &out) == EGOV_XML_DTD_FORBIDDEN, "DOCTYPE");
    free(doc);
    doc = read_fixture("broken-not-well-formed.xml", &len);
    CHECK(egov_xrechnung_to_json(doc, len, &out) == EGOV_XML_MALFORMED, "not well-formed");
    free(doc);
    CHECK(egov_xrechnung_to_json((const uint8_t *)"<Order/>", 8, &out) ==
              EGOV_XRECHNUNG_UNKNOWN_SYNTAX,
          "unknown syntax");

    CHECK(memcmp(&out, &sentinel, sizeof out) == 0, "out-parameter written by a failing call");

    /* names, versions, no-op frees */
    CHECK(strcmp(egov_status_name(EGOV_XML_MALFORMED), "EGOV_XML_MALFORMED") == 0, "status name");
    CHECK(strcmp(egov_status_name(-42), "unknown") == 0, "unknown status name");
    CHECK(egov_abi_version() == EGOV_ABI_VERSION, "ABI version %u", egov_abi_version());
    CHECK(strncmp(egov_version(), "egov ", 5) == 0, "version %s", egov_version());
    egov_xrechnung_validator_free(NULL);
    EgovBuf zero = {0};
    egov_buf_free(zero);
}

static void check_last_error_buffer(void) {
    EgovBuf out = {0};
    (void)egov_xrechnung_to_json((const uint8_t *)"<<", 2, &out);
    size_t full = egov_last_error_message(NULL, 0);
    CHECK(full > 10, "message length %zu", full);
    char *whole = last_error();
    CHECK(strlen(whole) == full, "full message length");

    char small[8];
    memset(small, 'Z', sizeof small);
    size_t n = egov_last_error_message(small, sizeof small);
    CHECK(n == full && small[7] == '\0' && strncmp(small, whole, 7) == 0,
          "truncated copy: n=%zu '%s'", n, small);
    char one[2] = {'Z', 'Z'};
    n = egov_last_error_message(one, 1);
    CHECK(n == full && one[0] == '\0' && one[1] == 'Z', "len 1: only the NUL");
    n = egov_last_error_message(one, 0);
    CHECK(n == full && one[1] == 'Z', "len 0: nothing written");

    /* success leaves the message as it was */
    size_t xml_len = 0;
    uint8_t *xml = read_fixture("minimal-ubl.xml", &xml_len);
    if (egov_xrechnung_to_json(xml, xml_len, &out) == EGOV_OK) {
        egov_buf_free(out);
    }
    free(xml);
    char *after = last_error();
    CHECK(strcmp(after, whole) == 0, "success changed the last error");
    free(after);
    free(whole);
}

struct worker {
    const EgovXrechnungValidator *v;
    const uint8_t *xml;
    size_t len;
    int ok;
};

static void *work(void *arg) {
    struct worker *w = arg;
    w->ok = 1;
    for (int i = 0; i < 25; i++) {
        EgovBuf out = {0};
        if (egov_xrechnung_validator_validate(w->v, w->xml, w->len, &out) != EGOV_OK) {
            w->ok = 0;
            continue;
        }
        w->ok = w->ok && contains((const char *)out.ptr, "\"syntax\":\"ubl\"");
        egov_buf_free(out);
    }
    return NULL;
}

static void check_threads(const EgovXrechnungValidator *v) {
    size_t len = 0;
    uint8_t *xml = read_fixture("minimal-ubl.xml", &len);
    pthread_t threads[4];
    struct worker workers[4];
    for (int i = 0; i < 4; i++) {
        workers[i] = (struct worker){v, xml, len, 0};
        pthread_create(&threads[i], NULL, work, &workers[i]);
    }
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        ok = ok && workers[i].ok;
    }
    CHECK(ok, "one validator used by 4 threads");
    free(xml);
}

static void bench_one(const EgovXrechnungValidator *v, const char *label, const uint8_t *xml,
                      size_t len) {
    long n = atol(env_or("EGOV_FFI_BENCH_N", "10000"));
    double budget = atof(env_or("EGOV_FFI_BENCH_SECONDS", "10"));
    for (int i = 0; i < 20; i++) { /* warm-up */
        EgovBuf out = {0};
        if (egov_xrechnung_validator_validate(v, xml, len, &out) == EGOV_OK) {
            egov_buf_free(out);
        }
    }
    double start = now_seconds(), elapsed = 0;
    long done = 0;
    while (done < n) {
        EgovBuf out = {0};
        if (egov_xrechnung_validator_validate(v, xml, len, &out) == EGOV_OK) {
            egov_buf_free(out);
        }
        done++;
        elapsed = now_seconds() - start;
        if (elapsed > budget) {
            break;
        }
    }
    if (done > 0) {
        printf("bench: c: %ld validations of %s (%zu bytes) through FFI: %.1f \u00b5s/call\n", done,
               label, len, elapsed * 1e6 / (double)done);
    }
}

/* Times validations of a test-suite invoice (the fixture without ../shared), and of the 4-byte
 * document <a/>, whose tiny validation makes the per-call cost of the FFI itself visible. */
static void bench(const EgovXrechnungValidator *v) {
    const char *dir =
        env_or("EGOV_TESTSUITE_DIR", "../shared/testdata/xrechnung/xrechnung-testsuite/src/test");
    char path[4096];
    snprintf(path, sizeof path, "%s/business-cases/standard/01.01a-INVOICE_ubl.xml", dir);
    size_t len = 0;
    uint8_t *xml = read_file(path, &len);
    const char *label = "01.01a-INVOICE_ubl.xml";
    if (xml == NULL) {
        xml = read_fixture("minimal-ubl.xml", &len);
        label = "fixture minimal-ubl.xml";
    }
    bench_one(v, label, xml, len);
    bench_one(v, "<a/>", (const uint8_t *)"<a/>", 4);
    free(xml);
}

int main(void) {
    printf("%s, ABI %u\n", egov_version(), egov_abi_version());
    EgovXrechnungValidator *v = NULL;
    EgovStatus st = egov_xrechnung_validator_new(&v);
    CHECK(st == EGOV_OK && v != NULL, "validator_new: %s", egov_status_name(st));
    if (v == NULL) {
        printf("%d passed, %d failed\n", passed, failed);
        return 1;
    }
    check_testsuite(v);
    check_broken(v);
    check_round_trips();
    check_errors(v);
    check_last_error_buffer();
    check_threads(v);
    bench(v);
    egov_xrechnung_validator_free(v);
    for (size_t i = 0; i < file_count; i++) {
        free(files[i]);
    }
    free(files);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
