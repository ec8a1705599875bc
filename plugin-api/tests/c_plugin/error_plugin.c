/*
 * A plugin whose entry points fail or break the contract, for the loader's
 * error tests:
 *
 *   indicator "c_fail":      compute reports a GC_ERR_DATA error with message and help;
 *   indicator "c_silent":    compute returns GC_ERR_INTERNAL without reporting anything;
 *   source    "c_overflow":  read claims one row more than the capacity;
 *   source    "c_shifty":    its column count changes after the first read;
 *   source    "c_bad_name":  its column name is not UTF-8.
 */
#include "gpu_charts_plugin.h"

#include <stdlib.h>

static int g_dummy_state;

static GcStatus any_create(GcStr params_json, void **state_out, const GcErrorSink *err) {
    (void)params_json;
    (void)err;
    *state_out = &g_dummy_state;
    return GC_OK;
}

static void no_destroy(void *state) {
    (void)state;
}

static GcStatus fail_compute(void *state, const double *const *inputs, size_t input_count, double *const *outputs,
                             size_t output_count, size_t len, size_t from, const GcErrorSink *err) {
    (void)state;
    (void)inputs;
    (void)input_count;
    (void)outputs;
    (void)output_count;
    (void)len;
    (void)from;
    err->report(err->ctx, gc_str("row 3 is negative (-1.5)"), gc_str("remove negative prices from the data"));
    return GC_ERR_DATA;
}

static GcStatus silent_compute(void *state, const double *const *inputs, size_t input_count, double *const *outputs,
                               size_t output_count, size_t len, size_t from, const GcErrorSink *err) {
    (void)state;
    (void)inputs;
    (void)input_count;
    (void)outputs;
    (void)output_count;
    (void)len;
    (void)from;
    (void)err;
    return GC_ERR_INTERNAL;
}

static const GcStr ONE_INPUT[] = {GC_STR("source")};
static const GcStr ONE_OUTPUT[] = {GC_STR("value")};

static const GcIndicatorV1 INDICATORS[] = {
    {sizeof(GcIndicatorV1), GC_STR("c_fail"), GC_STR("Always fails"), GC_STR("{}"), ONE_INPUT, 1, ONE_OUTPUT, 1,
     any_create, fail_compute, no_destroy},
    {sizeof(GcIndicatorV1), GC_STR("c_silent"), GC_STR("Fails without a message"), GC_STR("{}"), ONE_INPUT, 1,
     ONE_OUTPUT, 1, any_create, silent_compute, no_destroy},
};

typedef struct SourceState {
    int reads;
} SourceState;

static GcStatus source_open(GcStr params_json, GcStr base_dir, void **state_out, const GcErrorSink *err) {
    SourceState *state = (SourceState *)calloc(1, sizeof *state);
    (void)params_json;
    (void)base_dir;
    if (!state) {
        err->report(err->ctx, gc_str("out of memory"), gc_str(""));
        return GC_ERR_INTERNAL;
    }
    *state_out = state;
    return GC_OK;
}

static void source_close(void *state) {
    free(state);
}

static size_t one_column(void *state) {
    (void)state;
    return 1;
}

static size_t shifty_columns(void *state) {
    return ((SourceState *)state)->reads == 0 ? 1 : 2;
}

static GcStr plain_name(void *state, size_t index) {
    (void)state;
    (void)index;
    return gc_str("value");
}

static GcStr bad_name(void *state, size_t index) {
    GcStr name;
    (void)state;
    (void)index;
    name.ptr = (const uint8_t *)"\xff\xfe";
    name.len = 2;
    return name;
}

static int64_t no_hint(void *state) {
    (void)state;
    return -1;
}

static GcStatus overflow_read(void *state, int64_t *timestamps, double *const *columns, size_t column_count,
                              size_t capacity, size_t *rows_out, const GcErrorSink *err) {
    (void)state;
    (void)timestamps;
    (void)columns;
    (void)column_count;
    (void)err;
    *rows_out = capacity + 1;
    return GC_OK;
}

static GcStatus one_row_read(void *state, int64_t *timestamps, double *const *columns, size_t column_count,
                             size_t capacity, size_t *rows_out, const GcErrorSink *err) {
    SourceState *s = (SourceState *)state;
    (void)column_count;
    (void)err;
    *rows_out = 0;
    if (s->reads == 0 && capacity > 0) {
        timestamps[0] = 0;
        columns[0][0] = 1.0;
        *rows_out = 1;
    }
    s->reads++;
    return GC_OK;
}

static const GcSourceV1 SOURCES[] = {
    {sizeof(GcSourceV1), GC_STR("c_overflow"), GC_STR("Claims too many rows"), GC_STR("{}"), source_open,
     one_column, plain_name, no_hint, overflow_read, source_close},
    {sizeof(GcSourceV1), GC_STR("c_shifty"), GC_STR("Changes its columns"), GC_STR("{}"), source_open,
     shifty_columns, plain_name, no_hint, one_row_read, source_close},
    {sizeof(GcSourceV1), GC_STR("c_bad_name"), GC_STR("A column name that is not UTF-8"), GC_STR("{}"),
     source_open, one_column, bad_name, no_hint, one_row_read, source_close},
};

static const GcPluginDescriptor DESCRIPTOR = {
    GC_ABI_VERSION,
    sizeof(GcPluginDescriptor),
    GC_STR("c_errors"),
    GC_STR("0.0.1"),
    GC_STR("Entry points that fail"),
    NULL,
    NULL,
    0,
    INDICATORS,
    2,
    SOURCES,
    3,
};

GC_EXPORT const GcPluginDescriptor *gpu_charts_plugin_entry(void) {
    return &DESCRIPTOR;
}
