/*
 * A complete plugin written in C against gpu_charts_plugin.h, used by the
 * runtime's loader tests (runtime/tests/plugin_loader.rs):
 *
 *   chart type "c_marker": a line chart type whose uniforms hold the `size` param;
 *   indicator  "c_double": output = 2 * input, written only for rows from..len;
 *   source     "c_ramp":   `rows` rows, timestamp i seconds, value i, half i / 2.
 *
 * It also exports gc_test_* functions reporting the C layout of every struct
 * and the value of every constant, so the test can compare them with the Rust
 * definitions in plugin-api/src/lib.rs. Compile with -DGC_TEST_PLUGIN_NAME='"x"'
 * to get the same items under another plugin name.
 *
 * Variants for the hot-reload tests (runtime/tests/plugin_reload.rs):
 * -DGC_TEST_FACTOR=3.0 makes c_double multiply by 3 instead of 2,
 * -DGC_TEST_VERSION='"2.0.0"' changes the declared version, and
 * -DGC_TEST_PANIC_COMPUTE makes c_double's compute fail with GC_ERR_PANIC and
 * the message the export macro gives a caught Rust panic.
 * -DGC_TEST_RANGE gives c_ramp an open_range (ABI 1.3): it then keeps only
 * the rows of the host's time range (an empty one is an error).
 */
#include "gpu_charts_plugin.h"

#include <stdlib.h>
#include <string.h>

#ifndef GC_TEST_PLUGIN_NAME
#define GC_TEST_PLUGIN_NAME "c_example"
#endif

#ifndef GC_TEST_FACTOR
#define GC_TEST_FACTOR 2.0
#endif

#ifndef GC_TEST_DRAWS
#define GC_TEST_DRAWS 0u
#endif
#ifndef GC_TEST_MINOR_REQUIRED
#define GC_TEST_MINOR_REQUIRED 0u
#endif
#ifndef GC_TEST_VERSION
#define GC_TEST_VERSION "1.2.3"
#endif

static const GcHostApi *g_host = NULL;

/* States created and not yet freed, so the test can check the host frees them. */
static int64_t g_live_states = 0;

static void report(const GcErrorSink *err, const char *message, const char *help) {
    if (err) {
        err->report(err->ctx, gc_str(message), gc_str(help));
    }
}

/* Finds `"key": <number>` in a flat JSON object; returns 1 and stores it if found. */
static int find_number(GcStr json, const char *key, double *out) {
    char buf[512];
    char pattern[64];
    size_t n = json.len < sizeof buf - 1 ? json.len : sizeof buf - 1;
    const char *p;
    char *end;
    double value;
    if (n > 0) {
        memcpy(buf, json.ptr, n);
    }
    buf[n] = '\0';
    if (strlen(key) + 3 > sizeof pattern) {
        return 0;
    }
    pattern[0] = '"';
    strcpy(pattern + 1, key);
    strcat(pattern, "\"");
    p = strstr(buf, pattern);
    if (!p) {
        return 0;
    }
    p = strchr(p + strlen(pattern), ':');
    if (!p) {
        return 0;
    }
    value = strtod(p + 1, &end);
    if (end == p + 1) {
        return 0;
    }
    *out = value;
    return 1;
}

static void example_init(const GcHostApi *host) {
    g_host = host;
    if (host && host->struct_size >= sizeof(GcHostApi) && host->log) {
        host->log(host->ctx, GC_LOG_INFO, gc_str(GC_TEST_PLUGIN_NAME " ready"));
    }
}

/* ---- chart type c_marker ---- */

/* GC_TEST_BAD_WGSL builds a variant whose shader has a syntax error on its
 * line 2, for the host's "bad WGSL from a plugin" test. */
#ifdef GC_TEST_BAD_WGSL
#define MARKER_WGSL                                                              \
    "@vertex fn vs_main() -> @builtin(position) vec4<f32> {\n"                 \
    "    return vec4<f32>(0.0) +;\n"                                            \
    "}\n"                                                                       \
    "@fragment fn fs_main() -> @location(0) vec4<f32> { return vec4<f32>(1.0); }\n"
#else
#define MARKER_WGSL                                                              \
    "@vertex fn vs_main() -> @builtin(position) vec4<f32> { return vec4<f32>(0.0); }\n" \
    "@fragment fn fs_main() -> @location(0) vec4<f32> { return vec4<f32>(1.0); }\n"
#endif

static GcStatus marker_uniforms(GcStr params_json, float *out, const GcErrorSink *err) {
    double size = 4.0;
    int i;
    find_number(params_json, "size", &size);
    if (size <= 0.0) {
        report(err, "`size` must be positive", "set size to a number of pixels, e.g. 4");
        return GC_ERR_PARAMS;
    }
    for (i = 0; i < GC_USER_UNIFORM_FLOATS; i++) {
        out[i] = 0.0f;
    }
    out[0] = (float)size;
    out[15] = 42.0f;
    return GC_OK;
}

static const GcChartTypeV1 CHART_TYPES[] = {{
    sizeof(GcChartTypeV1),
    GC_INPUT_LINE,
    6,
    GC_FIELD_VALUE,
    0,
    GC_STR("c_marker"),
    GC_STR("Square markers at each point (C test plugin)"),
    GC_STR("{\"type\":\"object\",\"properties\":{\"size\":{\"type\":\"number\",\"default\":4,"
           "\"description\":\"Marker size in pixels.\"}},\"additionalProperties\":false}"),
    GC_STR(MARKER_WGSL),
    marker_uniforms,
#ifdef GC_ABI_MINOR
    GC_TEST_DRAWS,
#endif
}};

/* ---- indicator c_double ---- */

typedef struct DoubleState {
    size_t calls;
} DoubleState;

/* Whether the last params_json the host passed was followed by a NUL. */
static int g_params_nul = -1;
/* How many times destroy was called (GC_TEST_STATELESS checks it is never). */
static int64_t g_destroy_calls = 0;

static GcStatus double_create(GcStr params_json, void **state_out, const GcErrorSink *err) {
    DoubleState *state;
    g_params_nul = params_json.ptr != NULL && params_json.ptr[params_json.len] == '\0';
#ifdef GC_TEST_STATELESS
    /* A stateless indicator (ABI 1.1, GC_FEATURE_STATELESS). */
    (void)err;
    *state_out = NULL;
    return GC_OK;
#endif
    state = (DoubleState *)calloc(1, sizeof *state);
    if (!state) {
        report(err, "out of memory", "");
        return GC_ERR_INTERNAL;
    }
    g_live_states++;
    *state_out = state;
    return GC_OK;
}

static GcStatus double_compute(void *state, const double *const *inputs, size_t input_count, double *const *outputs,
                               size_t output_count, size_t len, size_t from, const GcErrorSink *err) {
    size_t i;
    if (input_count != 1 || output_count != 1) {
        report(err, "c_double takes 1 input and writes 1 output", "");
        return GC_ERR_INTERNAL;
    }
#ifdef GC_TEST_PANIC_COMPUTE
    (void)state;
    (void)inputs;
    (void)outputs;
    (void)len;
    (void)from;
    (void)i;
    report(err, "plugin panicked: c_double exploded on purpose", "");
    return GC_ERR_PANIC;
#else
    for (i = from; i < len; i++) {
        outputs[0][i] = GC_TEST_FACTOR * inputs[0][i];
    }
    if (state) {
        ((DoubleState *)state)->calls++;
    }
    return GC_OK;
#endif
}

static void double_destroy(void *state) {
    g_destroy_calls++;
    if (state) {
        g_live_states--;
        free(state);
    }
}

static const GcStr DOUBLE_INPUTS[] = {GC_STR("source")};
static const GcStr DOUBLE_OUTPUTS[] = {GC_STR("value")};

static const GcIndicatorV1 INDICATORS[] = {{
    sizeof(GcIndicatorV1),
    GC_STR("c_double"),
    GC_STR("Twice its input (C test plugin)"),
    GC_STR("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"),
    DOUBLE_INPUTS,
    1,
    DOUBLE_OUTPUTS,
    1,
    double_create,
    double_compute,
    double_destroy,
}};

/* ---- source c_ramp ---- */

typedef struct RampState {
    int64_t rows;
    int64_t next;
    /* Lent columns (ABI 1.2 borrow), freed in close. */
    int64_t *lent_ts;
    double *lent_cols[2];
} RampState;

static GcStatus ramp_open(GcStr params_json, GcStr base_dir, void **state_out, const GcErrorSink *err) {
    double rows;
    RampState *state;
    (void)base_dir;
    if (!find_number(params_json, "rows", &rows)) {
        report(err, "missing `rows`", "add `rows = <count>` to the source's params");
        return GC_ERR_PARAMS;
    }
    if (rows < 0.0) {
        report(err, "`rows` is negative", "use a count of 0 or more");
        return GC_ERR_PARAMS;
    }
    state = (RampState *)calloc(1, sizeof *state);
    if (!state) {
        report(err, "out of memory", "");
        return GC_ERR_INTERNAL;
    }
    g_live_states++;
    state->rows = (int64_t)rows;
    *state_out = state;
    return GC_OK;
}

static size_t ramp_column_count(void *state) {
    (void)state;
    return 2;
}

static GcStr ramp_column_name(void *state, size_t index) {
    static const GcStr NAMES[] = {GC_STR("value"), GC_STR("half")};
    GcStr empty = GC_STR_EMPTY;
    (void)state;
    return index < 2 ? NAMES[index] : empty;
}

static int64_t ramp_row_count_hint(void *state) {
    return ((RampState *)state)->rows;
}

static GcStatus ramp_read(void *state, int64_t *timestamps, double *const *columns, size_t column_count,
                          size_t capacity, size_t *rows_out, const GcErrorSink *err) {
    RampState *s = (RampState *)state;
    size_t n = 0;
    if (column_count != 2) {
        report(err, "c_ramp has 2 columns", "");
        return GC_ERR_INTERNAL;
    }
    while (n < capacity && s->next < s->rows) {
        timestamps[n] = s->next * 1000000000LL;
        columns[0][n] = (double)s->next;
        columns[1][n] = (double)s->next / 2.0;
        n++;
        s->next++;
    }
    *rows_out = n;
    return GC_OK;
}

#if defined(GC_FEATURE_BORROW) && defined(GC_TEST_BORROW)
/* ABI 1.2: lends the whole ramp from memory the state owns until close
 * (built with -DGC_TEST_BORROW; the hot-reload fixtures read instead, so
 * their old generations hold no handle of the library). */
static GcStatus ramp_borrow(void *state, GcBorrowedTable *out, const GcErrorSink *err) {
    RampState *s = (RampState *)state;
    size_t n = (size_t)s->rows, i;
    if (out->struct_size < sizeof(GcBorrowedTable) || out->column_count != 2) {
        report(err, "unexpected GcBorrowedTable", "");
        return GC_ERR_INTERNAL;
    }
    if (n == 0) {
        out->rows = 0;
        return GC_OK;
    }
    s->lent_ts = (int64_t *)malloc(n * sizeof(int64_t));
    s->lent_cols[0] = (double *)malloc(n * sizeof(double));
    s->lent_cols[1] = (double *)malloc(n * sizeof(double));
    if (!s->lent_ts || !s->lent_cols[0] || !s->lent_cols[1]) {
        report(err, "out of memory", "");
        return GC_ERR_INTERNAL;
    }
    for (i = 0; i < n; i++) {
        s->lent_ts[i] = (int64_t)i * 1000000000LL;
        s->lent_cols[0][i] = (double)i;
        s->lent_cols[1][i] = (double)i / 2.0;
    }
    out->flags = GC_BORROW_SORTED | GC_BORROW_FINITE;
    out->rows = n;
    out->timestamps = s->lent_ts;
    out->columns[0] = s->lent_cols[0];
    out->columns[1] = s->lent_cols[1];
    out->fingerprint = 0;
    return GC_OK;
}
#endif

static void ramp_close(void *state) {
    if (state) {
        RampState *s = (RampState *)state;
        free(s->lent_ts);
        free(s->lent_cols[0]);
        free(s->lent_cols[1]);
        g_live_states--;
        free(state);
    }
}

#if defined(GC_FEATURE_RANGE_HINT) && defined(GC_TEST_RANGE)
/* Times each open function was called, so a test can tell which the host used. */
static int64_t g_open_range_calls = 0;
GC_EXPORT int64_t gc_test_open_range_calls(void) {
    return g_open_range_calls;
}

/* ABI 1.3: the ramp cut to the host's range: row i (time i seconds) is kept
 * when range->from_ns <= i * 1e9 <= range->to_ns. */
static GcStatus ramp_open_range(GcStr params_json, GcStr base_dir, const GcTimeRange *range, void **state_out,
                                const GcErrorSink *err) {
    const int64_t second = 1000000000LL;
    RampState *s;
    int64_t first = 0, end;
    GcStatus status;
    g_open_range_calls++;
    if (!range || range->struct_size < sizeof(GcTimeRange)) {
        report(err, "c_ramp: unexpected GcTimeRange", "");
        return GC_ERR_INTERNAL;
    }
    status = ramp_open(params_json, base_dir, state_out, err);
    if (status != GC_OK) {
        return status;
    }
    s = (RampState *)*state_out;
    if (range->from_ns > 0) {
        first = range->from_ns / second + (range->from_ns % second != 0);
    }
    end = range->to_ns < 0 ? 0 : range->to_ns / second + 1;
    if (end > s->rows) {
        end = s->rows;
    }
    if (first >= end) {
        ramp_close(s);
        *state_out = NULL;
        report(err, "c_ramp: no rows in the requested time range",
               "widen the view or its load_margin, or load = \"all\"");
        return GC_ERR_DATA;
    }
    s->next = first;
    s->rows = end;
    return GC_OK;
}
#endif

static const GcSourceV1 SOURCES[] = {{
    sizeof(GcSourceV1),
    GC_STR("c_ramp"),
    GC_STR("A ramp of `rows` rows (C test plugin)"),
    GC_STR("{\"type\":\"object\",\"required\":[\"rows\"],\"properties\":{\"rows\":{\"type\":\"integer\","
           "\"minimum\":0,\"description\":\"Number of rows.\"}},\"additionalProperties\":false}"),
    ramp_open,
    ramp_column_count,
    ramp_column_name,
    ramp_row_count_hint,
    ramp_read,
    ramp_close,
#if defined(GC_FEATURE_BORROW) && defined(GC_TEST_BORROW)
    ramp_borrow,
#elif defined(GC_FEATURE_RANGE_HINT) && defined(GC_TEST_RANGE)
    NULL,
#endif
#if defined(GC_FEATURE_RANGE_HINT) && defined(GC_TEST_RANGE)
    ramp_open_range,
#endif
}};

/* ---- descriptor ---- */

static const GcPluginDescriptor DESCRIPTOR = {
    GC_ABI_VERSION,
    sizeof(GcPluginDescriptor),
    GC_STR(GC_TEST_PLUGIN_NAME),
    GC_STR(GC_TEST_VERSION),
    GC_STR("Everything a plugin can provide, written in C"),
    example_init,
    CHART_TYPES,
    1,
    INDICATORS,
    1,
    SOURCES,
    1,
#ifdef GC_ABI_MINOR
    GC_TEST_MINOR_REQUIRED,
#endif
};

GC_EXPORT const GcPluginDescriptor *gpu_charts_plugin_entry(void) {
    return &DESCRIPTOR;
}

/* ---- test hooks ---- */

/* Indicator and source states created and not yet freed. */
GC_EXPORT int64_t gc_test_live_states(void) {
    return g_live_states;
}

/* Whether init received the host table. */
GC_EXPORT int gc_test_host_abi_version(void) {
    return g_host ? (int)g_host->abi_version : -1;
}

/* The host table's struct_size as init received it (-1 before init). */
GC_EXPORT int64_t gc_test_host_struct_size(void) {
    return g_host ? (int64_t)g_host->struct_size : -1;
}

/* Whether the last params_json given to create was NUL-terminated (-1: no call yet). */
GC_EXPORT int gc_test_params_nul(void) {
    return g_params_nul;
}

/* How many times the indicator's destroy ran. */
GC_EXPORT int64_t gc_test_destroy_calls(void) {
    return g_destroy_calls;
}

#ifdef GC_ABI_MINOR
/* The host's minor version and feature bits, read as the header says. */
GC_EXPORT int64_t gc_test_host_minor(void) {
    return (int64_t)gc_host_abi_minor(g_host);
}
GC_EXPORT int64_t gc_test_host_features(void) {
    return (int64_t)gc_host_features(g_host);
}
#endif

/* Layout of every struct: gc_test_sizeof_<T>, gc_test_alignof_<T>, gc_test_offsetof_<T>_<field>. */
#define GC_ALIGNOF(T) offsetof(struct { char c; T t; }, t)
#define SIZEOF(T) \
    GC_EXPORT size_t gc_test_sizeof_##T(void) { return sizeof(T); } \
    GC_EXPORT size_t gc_test_alignof_##T(void) { return GC_ALIGNOF(T); }
#define OFFSETOF(T, f) \
    GC_EXPORT size_t gc_test_offsetof_##T##_##f(void) { return offsetof(T, f); }

SIZEOF(GcStr)
OFFSETOF(GcStr, ptr)
OFFSETOF(GcStr, len)

SIZEOF(GcErrorSink)
OFFSETOF(GcErrorSink, ctx)
OFFSETOF(GcErrorSink, report)

SIZEOF(GcHostApi)
OFFSETOF(GcHostApi, abi_version)
OFFSETOF(GcHostApi, struct_size)
OFFSETOF(GcHostApi, ctx)
OFFSETOF(GcHostApi, log)
#ifdef GC_ABI_MINOR
OFFSETOF(GcHostApi, abi_minor)
OFFSETOF(GcHostApi, features)
#endif

#ifdef GC_FEATURE_BORROW
SIZEOF(GcBorrowedTable)
OFFSETOF(GcBorrowedTable, struct_size)
OFFSETOF(GcBorrowedTable, flags)
OFFSETOF(GcBorrowedTable, rows)
OFFSETOF(GcBorrowedTable, timestamps)
OFFSETOF(GcBorrowedTable, columns)
OFFSETOF(GcBorrowedTable, column_count)
OFFSETOF(GcBorrowedTable, fingerprint)
OFFSETOF(GcBorrowedTable, data_path)
#endif

SIZEOF(GcPluginDescriptor)
OFFSETOF(GcPluginDescriptor, abi_version)
OFFSETOF(GcPluginDescriptor, struct_size)
OFFSETOF(GcPluginDescriptor, name)
OFFSETOF(GcPluginDescriptor, version)
OFFSETOF(GcPluginDescriptor, description)
OFFSETOF(GcPluginDescriptor, init)
OFFSETOF(GcPluginDescriptor, chart_types)
OFFSETOF(GcPluginDescriptor, chart_type_count)
OFFSETOF(GcPluginDescriptor, indicators)
OFFSETOF(GcPluginDescriptor, indicator_count)
OFFSETOF(GcPluginDescriptor, sources)
OFFSETOF(GcPluginDescriptor, source_count)
#ifdef GC_ABI_MINOR
OFFSETOF(GcPluginDescriptor, abi_minor_required)
#endif

SIZEOF(GcChartTypeV1)
OFFSETOF(GcChartTypeV1, struct_size)
OFFSETOF(GcChartTypeV1, input)
OFFSETOF(GcChartTypeV1, vertices_per_instance)
OFFSETOF(GcChartTypeV1, range_fields)
OFFSETOF(GcChartTypeV1, flags)
OFFSETOF(GcChartTypeV1, name)
OFFSETOF(GcChartTypeV1, description)
OFFSETOF(GcChartTypeV1, params_schema)
OFFSETOF(GcChartTypeV1, wgsl)
OFFSETOF(GcChartTypeV1, uniforms)
#ifdef GC_ABI_MINOR
OFFSETOF(GcChartTypeV1, draws)
#endif

SIZEOF(GcIndicatorV1)
OFFSETOF(GcIndicatorV1, struct_size)
OFFSETOF(GcIndicatorV1, name)
OFFSETOF(GcIndicatorV1, description)
OFFSETOF(GcIndicatorV1, params_schema)
OFFSETOF(GcIndicatorV1, inputs)
OFFSETOF(GcIndicatorV1, input_count)
OFFSETOF(GcIndicatorV1, outputs)
OFFSETOF(GcIndicatorV1, output_count)
OFFSETOF(GcIndicatorV1, create)
OFFSETOF(GcIndicatorV1, compute)
OFFSETOF(GcIndicatorV1, destroy)

SIZEOF(GcSourceV1)
OFFSETOF(GcSourceV1, struct_size)
OFFSETOF(GcSourceV1, name)
OFFSETOF(GcSourceV1, description)
OFFSETOF(GcSourceV1, params_schema)
OFFSETOF(GcSourceV1, open)
OFFSETOF(GcSourceV1, column_count)
OFFSETOF(GcSourceV1, column_name)
OFFSETOF(GcSourceV1, row_count_hint)
OFFSETOF(GcSourceV1, read)
OFFSETOF(GcSourceV1, close)
#ifdef GC_FEATURE_BORROW
OFFSETOF(GcSourceV1, borrow)
#endif
#ifdef GC_FEATURE_RANGE_HINT
OFFSETOF(GcSourceV1, open_range)
SIZEOF(GcTimeRange)
OFFSETOF(GcTimeRange, struct_size)
OFFSETOF(GcTimeRange, flags)
OFFSETOF(GcTimeRange, from_ns)
OFFSETOF(GcTimeRange, to_ns)
#endif

/* Every constant of the header by name; `found` is set to 0 for an unknown name. */
GC_EXPORT int64_t gc_test_constant(const char *name, int *found) {
    static const struct {
        const char *name;
        int64_t value;
    } CONSTANTS[] = {
        {"GC_ABI_VERSION", GC_ABI_VERSION},
        {"GC_OK", GC_OK},
        {"GC_ERR_PARAMS", GC_ERR_PARAMS},
        {"GC_ERR_DATA", GC_ERR_DATA},
        {"GC_ERR_IO", GC_ERR_IO},
        {"GC_ERR_UNSUPPORTED", GC_ERR_UNSUPPORTED},
        {"GC_ERR_PANIC", GC_ERR_PANIC},
        {"GC_ERR_INTERNAL", GC_ERR_INTERNAL},
        {"GC_LOG_ERROR", GC_LOG_ERROR},
        {"GC_LOG_WARN", GC_LOG_WARN},
        {"GC_LOG_INFO", GC_LOG_INFO},
        {"GC_LOG_DEBUG", GC_LOG_DEBUG},
        {"GC_INPUT_BARS", GC_INPUT_BARS},
        {"GC_INPUT_LINE", GC_INPUT_LINE},
        {"GC_FIELD_OPEN", GC_FIELD_OPEN},
        {"GC_FIELD_HIGH", GC_FIELD_HIGH},
        {"GC_FIELD_LOW", GC_FIELD_LOW},
        {"GC_FIELD_CLOSE", GC_FIELD_CLOSE},
        {"GC_FIELD_VOLUME", GC_FIELD_VOLUME},
        {"GC_FIELD_VALUE", GC_FIELD_VALUE},
        {"GC_CHART_INCLUDE_ZERO", GC_CHART_INCLUDE_ZERO},
        {"GC_USER_UNIFORM_FLOATS", GC_USER_UNIFORM_FLOATS},
#ifdef GC_ABI_MINOR
        {"GC_ABI_MINOR", GC_ABI_MINOR},
        {"GC_INPUT_BAND", GC_INPUT_BAND},
        {"GC_FEATURE_INPUT_BAND", GC_FEATURE_INPUT_BAND},
        {"GC_FEATURE_MINOR_REQUIRED", GC_FEATURE_MINOR_REQUIRED},
        {"GC_FEATURE_NUL_TERMINATED", GC_FEATURE_NUL_TERMINATED},
        {"GC_FEATURE_STATELESS", GC_FEATURE_STATELESS},
        {"GC_FEATURE_DRAWS", GC_FEATURE_DRAWS},
#ifdef GC_FEATURE_BORROW
        {"GC_FEATURE_BORROW", GC_FEATURE_BORROW},
        {"GC_BORROW_SORTED", GC_BORROW_SORTED},
        {"GC_BORROW_FINITE", GC_BORROW_FINITE},
#endif
#ifdef GC_FEATURE_RANGE_HINT
        {"GC_FEATURE_RANGE_HINT", GC_FEATURE_RANGE_HINT},
#endif
        {"GC_DRAWS_LINE", GC_DRAWS_LINE},
        {"GC_DRAWS_LINE_DASH", GC_DRAWS_LINE_DASH},
        {"GC_DRAWS_HISTOGRAM", GC_DRAWS_HISTOGRAM},
        {"GC_DRAWS_POINTS", GC_DRAWS_POINTS},
        {"GC_DRAWS_MARKERS", GC_DRAWS_MARKERS},
        {"GC_DRAWS_BAND", GC_DRAWS_BAND},
#endif
    };
    size_t i;
    for (i = 0; i < sizeof CONSTANTS / sizeof CONSTANTS[0]; i++) {
        if (strcmp(CONSTANTS[i].name, name) == 0) {
            *found = 1;
            return CONSTANTS[i].value;
        }
    }
    *found = 0;
    return 0;
}

/* The entry symbol's name as the header spells it. */
GC_EXPORT const char *gc_test_entry_symbol(void) {
    return GC_ENTRY_SYMBOL;
}
