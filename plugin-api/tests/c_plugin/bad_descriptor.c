/*
 * Descriptors that break the contract in one way each, selected with
 * -DBAD_KIND=<n>. The host must refuse every one with an error naming the
 * plugin (where readable) and the item:
 *
 *   1  indicator "c_broken"'s params_schema is not JSON
 *   2  the plugin description is not UTF-8
 *   3  indicator "c_broken" has a NULL create function
 *   4  the entry point returns NULL
 *   5  chart type "c_broken_chart" has an unknown input kind
 *   6  indicator table's struct_size is smaller than GcIndicatorV1
 *   7  the plugin declares indicator "c_broken" twice
 *   8  the descriptor's struct_size is smaller than the ABI 1.0 descriptor
 *   9  indicator "c_broken"'s schema gives `period` a default below its minimum
 *  10  indicator "c_broken"'s schema does not compile as a JSON Schema
 */
#include "gpu_charts_plugin.h"

#ifndef BAD_KIND
#error "compile with -DBAD_KIND=<n>"
#endif

static GcStatus any_create(GcStr params_json, void **state_out, const GcErrorSink *err) {
    (void)params_json;
    (void)err;
    *state_out = NULL;
    return GC_OK;
}

static GcStatus any_compute(void *state, const double *const *inputs, size_t input_count, double *const *outputs,
                            size_t output_count, size_t len, size_t from, const GcErrorSink *err) {
    (void)state;
    (void)inputs;
    (void)input_count;
    (void)outputs;
    (void)output_count;
    (void)len;
    (void)from;
    (void)err;
    return GC_OK;
}

static void any_destroy(void *state) {
    (void)state;
}

static const GcStr ONE_INPUT[] = {GC_STR("source")};
static const GcStr ONE_OUTPUT[] = {GC_STR("value")};

#if BAD_KIND == 1
#define SCHEMA GC_STR("{not json")
#elif BAD_KIND == 9
#define SCHEMA GC_STR("{\"type\":\"object\",\"properties\":{\"period\":{\"type\":\"integer\",\"minimum\":1,\"default\":0}}}")
#elif BAD_KIND == 10
#define SCHEMA GC_STR("{\"type\":\"integr\"}")
#else
#define SCHEMA GC_STR("{}")
#endif

#if BAD_KIND == 3
#define CREATE NULL
#else
#define CREATE any_create
#endif

#if BAD_KIND == 6
#define INDICATOR_SIZE 8
#else
#define INDICATOR_SIZE sizeof(GcIndicatorV1)
#endif

static const GcIndicatorV1 INDICATORS[] = {
    {INDICATOR_SIZE, GC_STR("c_broken"), GC_STR("Broken on purpose"), SCHEMA, ONE_INPUT, 1, ONE_OUTPUT, 1, CREATE,
     any_compute, any_destroy},
    {INDICATOR_SIZE, GC_STR("c_broken"), GC_STR("Same name again"), GC_STR("{}"), ONE_INPUT, 1, ONE_OUTPUT, 1,
     any_create, any_compute, any_destroy},
};

#if BAD_KIND == 7
#define INDICATOR_COUNT 2
#else
#define INDICATOR_COUNT 1
#endif

static const GcChartTypeV1 CHART_TYPES[] = {{
    sizeof(GcChartTypeV1),
#if BAD_KIND == 5
    7u,
#else
    GC_INPUT_BARS,
#endif
    6,
    GC_FIELD_HIGH | GC_FIELD_LOW,
    0,
    GC_STR("c_broken_chart"),
    GC_STR("Broken on purpose"),
    GC_STR("{}"),
    GC_STR(""),
    NULL,
}};

#if BAD_KIND == 2
#define DESCRIPTION GC_STR("caf\xc3\x28")
#else
#define DESCRIPTION GC_STR("Broken on purpose")
#endif

#if BAD_KIND == 8
#define DESCRIPTOR_SIZE 8
#else
#define DESCRIPTOR_SIZE sizeof(GcPluginDescriptor)
#endif

static const GcPluginDescriptor DESCRIPTOR = {
    GC_ABI_VERSION,
    DESCRIPTOR_SIZE,
    GC_STR("c_broken_plugin"),
    GC_STR("0.0.0"),
    DESCRIPTION,
    NULL,
    CHART_TYPES,
    1,
    INDICATORS,
    INDICATOR_COUNT,
    NULL,
    0,
};

GC_EXPORT const GcPluginDescriptor *gpu_charts_plugin_entry(void) {
#if BAD_KIND == 4
    (void)&DESCRIPTOR;
    return NULL;
#else
    return &DESCRIPTOR;
#endif
}
