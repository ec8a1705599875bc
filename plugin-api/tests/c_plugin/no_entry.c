/* A shared library that is not a plugin: it lacks gpu_charts_plugin_entry. */
#include "gpu_charts_plugin.h"

GC_EXPORT int not_the_entry_point(void) {
    return 7;
}
