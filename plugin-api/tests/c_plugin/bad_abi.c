/* A plugin built for a future ABI version: the host must refuse it, naming
 * both versions, without reading anything past `abi_version`. */
#include "gpu_charts_plugin.h"

static const GcPluginDescriptor DESCRIPTOR = {
    99u,
    sizeof(GcPluginDescriptor),
    GC_STR("c_from_the_future"),
    GC_STR("9.0.0"),
    GC_STR("Built for ABI v99"),
    NULL,
    NULL,
    0,
    NULL,
    0,
    NULL,
    0,
};

GC_EXPORT const GcPluginDescriptor *gpu_charts_plugin_entry(void) {
    return &DESCRIPTOR;
}
