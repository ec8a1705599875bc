/*
 * gpu_charts_plugin.h -- the C ABI between the gpu-charts host and its plugin
 * libraries (ABI 1.3).
 *
 * This header mirrors plugin-api/src/lib.rs (crate gpu-charts-plugin-api)
 * field for field. A test in runtime/tests compiles a plugin against it and
 * compares every struct size and field offset with the Rust definitions, so
 * the two cannot drift apart silently. It compiles as C99 and as C++.
 *
 * -----------------------------------------------------------------------------
 * Writing a plugin
 * -----------------------------------------------------------------------------
 * A plugin is a shared library (.so / .dylib / .dll) that exports one symbol,
 * `gpu_charts_plugin_entry`, returning a pointer to a static GcPluginDescriptor:
 *
 *     #include "gpu_charts_plugin.h"
 *
 *     static const GcPluginDescriptor DESCRIPTOR = {
 *         GC_ABI_VERSION, sizeof(GcPluginDescriptor),
 *         GC_STR("my_plugin"), GC_STR("0.1.0"), GC_STR("What it does"),
 *         my_init,                        // or NULL
 *         NULL, 0,                        // chart types
 *         MY_INDICATORS, 1,               // indicators
 *         NULL, 0,                        // sources
 *         0,                              // abi_minor_required (1.1; 0 = any 1.x host)
 *     };
 *
 *     GC_EXPORT const GcPluginDescriptor *gpu_charts_plugin_entry(void) {
 *         return &DESCRIPTOR;
 *     }
 *
 * Build it with e.g. `cc -shared -fPIC -o libmy_plugin.so my_plugin.c -I include`
 * and put it next to the gpu-charts executable, in a `plugins` folder beside
 * the chart file, or in a folder listed in GPU_CHARTS_PLUGIN_PATH. On Linux
 * the file name must be lib*.so (lib*.dylib on macOS, *.dll on Windows).
 *
 * The host reads `abi_version` (the first field) before anything else and
 * refuses a plugin built for another version, with an error naming both.
 * Before it even opens the file, it checks the file's headers: a truncated or
 * corrupt library is an error naming the file, never a crash.
 *
 * -----------------------------------------------------------------------------
 * How the contract grows (ABI 1.x)
 * -----------------------------------------------------------------------------
 * - GC_ABI_VERSION (the major) changes only for a breaking change, with a new
 *   entry symbol. Within a major, tables grow ONLY by appending fields at
 *   their end; nothing is reordered, resized or removed.
 * - Every table starts with `struct_size` = sizeof(the table) as the plugin
 *   was built. The host accepts any table at least as large as the 1.0 one
 *   and treats the fields a smaller table lacks as absent (0 / NULL; each
 *   field added after 1.0 says what absent means); a table smaller than the
 *   1.0 one is an error. Arrays of tables are stepped through by
 *   `struct_size`, so larger (newer) tables line up too.
 * - Each minor version adds one GC_FEATURE_* bit per addition and raises
 *   GC_ABI_MINOR. The host reports its minor and bits in GcHostApi
 *   (`abi_minor`, `features`; a 1.0 host has neither: check `struct_size`).
 *   A plugin checks them before using anything newer, or sets
 *   `abi_minor_required` in its descriptor: an older host then refuses it
 *   with an error naming both versions instead of loading it half-working.
 * - So a plugin built against the 1.0 header loads in every 1.x host.
 *
 * ABI 1.2 added borrowed columns: GcSourceV1.borrow lends a source's columns
 * (GcBorrowedTable) instead of copying them through read; see there.
 *
 * ABI 1.3 added time-range hints: a source that can load part of its data
 * (Parquet row groups, a database query) sets GcSourceV1.open_range; when a
 * chart asks for it (load = "view"), a host with GC_FEATURE_RANGE_HINT opens
 * it through open_range with a GcTimeRange instead of open. See there.
 *
 * Planned (a later 1.x; nothing of it exists yet): streaming sources. It will
 * be added by appending, without changing anything above: a feature bit
 * (GC_FEATURE_STREAMING) and GC_ABI_MINOR 4; at the end of GcSourceV1 an
 * optional `subscribe(state, const GcStreamSink *sink, err)` and
 * `unsubscribe(state)`, NULL or absent meaning "a plain pull source". The
 * source's own thread calls `sink->push(sink->ctx, ...)` with rows to append
 * or a replace-last-bar update; the host copies them into a bounded queue and
 * coalesces updates when it is full, so `push` returns quickly. `read` keeps
 * giving the initial history, and `close` stops the stream first. The header
 * will say which thread calls what.
 *
 * -----------------------------------------------------------------------------
 * Strings
 * -----------------------------------------------------------------------------
 * Every string is a GcStr: UTF-8 bytes plus a length, NOT NUL-terminated
 * (the strings a plugin returns need no NUL; of those the host passes in,
 * only params_json and base_dir carry one, see "Parameters"). `ptr` may be
 * NULL only when `len` is 0. The host checks that every string in the
 * descriptor is valid UTF-8 and every params_schema is a JSON Schema, and
 * refuses the plugin otherwise.
 *
 * -----------------------------------------------------------------------------
 * Parameters
 * -----------------------------------------------------------------------------
 * `params_json` (of create, open and uniforms) is a JSON object that the host
 * has already validated against the item's params_schema, with the schema's
 * `default` filled in for every property the chart left out: a plugin only
 * has to parse it. From ABI 1.1 (GC_FEATURE_NUL_TERMINATED) the byte after
 * the string, `ptr[len]`, is a NUL (not counted in `len`), so it may be used
 * as a C string; the same holds for `base_dir`. A 1.0 host gives no NUL.
 * When the library loads, the host checks every params_schema: it must
 * compile as a JSON Schema, and each property's `default` must satisfy its
 * own `type`, `enum`, `minimum` and `maximum`. It also validates each chart
 * type's WGSL after the prelude. A plugin that breaks any of this does not
 * load, and `gpu-charts plugins` says why.
 *
 * -----------------------------------------------------------------------------
 * Memory contract
 * -----------------------------------------------------------------------------
 * Whoever allocates frees. Output arrays (indicator outputs, source rows,
 * uniforms) are allocated by the host and passed in. Plugin state lives behind
 * an opaque handle that only the plugin frees (`destroy`/`close`). Strings a
 * plugin returns point into its static data or into its state and stay valid
 * until that state is freed; the host copies them. Error text is handed to the
 * host through GcErrorSink.report and copied during the call. The descriptor
 * and all tables must stay valid for as long as the library is loaded
 * (static storage).
 *
 * -----------------------------------------------------------------------------
 * Threading contract
 * -----------------------------------------------------------------------------
 * - The descriptor and all tables are immutable and may be read from any thread.
 * - `init` is called once, before any other entry point.
 * - `create`/`open`/`uniforms` may be called concurrently from several threads.
 * - Calls on one state handle are never concurrent, but successive calls on a
 *   handle may come from different threads (state must not be tied to a thread).
 * - The host's `log` callback may be called from any thread after `init`.
 *
 * -----------------------------------------------------------------------------
 * Error reporting
 * -----------------------------------------------------------------------------
 * Fallible entry points return a GcStatus. On failure, call
 * `err->report(err->ctx, message, help)` once, then return a GC_ERR_* code.
 * `help` says what the user should do next (may be empty). The host turns the
 * status, message and help into an error naming the plugin and the item.
 * C code cannot unwind; C++ code must not let an exception escape an entry
 * point (catch it and report GC_ERR_INTERNAL). GC_ERR_PANIC is what the Rust
 * export macro returns when it catches a panic.
 *
 * -----------------------------------------------------------------------------
 * Host callbacks
 * -----------------------------------------------------------------------------
 * `init` (if not NULL) receives a GcHostApi. The pointer stays valid for as
 * long as the library is loaded; keep it in a static. `host->log(host->ctx,
 * level, message)` writes a line to the host's log attributed to the plugin
 * ("[plugin <name>] info: <message>"). Errors and warnings always show; info
 * and debug lines show only when the user asks (`gpu-charts -v`, or
 * GPU_CHARTS_LOG=info or debug). Later ABI revisions only append fields to
 * GcHostApi; check `struct_size` before using a field added later (see
 * gc_host_abi_minor and gc_host_features below).
 */
#ifndef GPU_CHARTS_PLUGIN_H
#define GPU_CHARTS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Marks the entry point (and anything else the host looks up) as exported. */
#if defined(_WIN32) || defined(__CYGWIN__)
#define GC_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define GC_EXPORT __attribute__((visibility("default")))
#else
#define GC_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI (major) version this header describes. The host refuses any other. */
#define GC_ABI_VERSION 1u

/* The ABI minor version this header describes (1.3). */
#define GC_ABI_MINOR 3u

/* ---- Host feature bits (GcHostApi.features, ABI 1.1) -------------------- */

/* Chart types may draw from GC_INPUT_BAND. */
#define GC_FEATURE_INPUT_BAND (1u << 0)
/* The host honours GcPluginDescriptor.abi_minor_required and accepts tables
 * of any size from the 1.0 one up. */
#define GC_FEATURE_MINOR_REQUIRED (1u << 1)
/* params_json and base_dir are followed by a NUL byte (ptr[len] == 0). */
#define GC_FEATURE_NUL_TERMINATED (1u << 2)
/* An indicator's create may leave *state_out NULL (a stateless indicator). */
#define GC_FEATURE_STATELESS (1u << 3)
/* The host maps script plot styles to chart types through GcChartTypeV1.draws. */
#define GC_FEATURE_DRAWS (1u << 4)
/* ABI 1.2: the host calls GcSourceV1.borrow and keeps a source open while it
 * uses the columns the source lent it. */
#define GC_FEATURE_BORROW (1u << 5)
/* ABI 1.3: the host may open a source through GcSourceV1.open_range with the
 * time range a chart needs. */
#define GC_FEATURE_RANGE_HINT (1u << 6)

/* ---- What a source already checked (GcBorrowedTable.flags, ABI 1.2) ------ */

/* Every timestamp is >= the one before it (checked by the source). */
#define GC_BORROW_SORTED (1u << 0)
/* Every value is finite: no NaN, no infinity (checked by the source). */
#define GC_BORROW_FINITE (1u << 1)

/* Name of the one symbol every plugin library exports. */
#define GC_ENTRY_SYMBOL "gpu_charts_plugin_entry"

/* ---- Status codes ------------------------------------------------------- */

/* Status returned by fallible entry points. */
typedef int32_t GcStatus;
/* Success. */
#define GC_OK 0
/* The parameters were rejected (bad value, out of range). */
#define GC_ERR_PARAMS 1
/* The data was rejected (corrupt row, wrong column, too short input). */
#define GC_ERR_DATA 2
/* An I/O error (file missing, unreadable). */
#define GC_ERR_IO 3
/* The request is not supported by this plugin. */
#define GC_ERR_UNSUPPORTED 4
/* The plugin panicked (set by the Rust export macro). */
#define GC_ERR_PANIC 5
/* Any other failure inside the plugin. */
#define GC_ERR_INTERNAL 6

/* ---- Log levels (GcHostApi.log) ----------------------------------------- */

#define GC_LOG_ERROR 0u
#define GC_LOG_WARN 1u
#define GC_LOG_INFO 2u
#define GC_LOG_DEBUG 3u

/* ---- What a chart type draws from (GcChartTypeV1.input) ----------------- */

/* One instance per (aggregated) OHLCV bar. */
#define GC_INPUT_BARS 1u
/* One instance per min/max/first/last bucket of a line. */
#define GC_INPUT_LINE 2u
/* One instance per bucket with an upper and a lower value (a filled band
 * between two columns; see plugin-api/wgsl/prelude_band.wgsl). An additive v1
 * extension: hosts that predate it reject such a chart type at load. */
#define GC_INPUT_BAND 3u

/* ---- Autoscale field flags (GcChartTypeV1.range_fields) ----------------- */

#define GC_FIELD_OPEN (1u << 0)
#define GC_FIELD_HIGH (1u << 1)
#define GC_FIELD_LOW (1u << 2)
#define GC_FIELD_CLOSE (1u << 3)
#define GC_FIELD_VOLUME (1u << 4)
/* The line value (min/max of each bucket). */
#define GC_FIELD_VALUE (1u << 5)

/* ---- Chart type flags (GcChartTypeV1.flags) ----------------------------- */

/* The value axis of the pane always includes zero (histograms). */
#define GC_CHART_INCLUDE_ZERO (1u << 0)

/* ---- What a chart type draws for scripts (GcChartTypeV1.draws, ABI 1.1) --
 * The host draws a script output with the first loaded chart type that
 * declares its style, and sets the params named here (the chart type's
 * params_schema must declare them; the host checks it at load). */

/* A solid line; no params. */
#define GC_DRAWS_LINE (1u << 0)
/* A dashed line: param "style" = "dash", "dot" or "dashdot". */
#define GC_DRAWS_LINE_DASH (1u << 1)
/* A histogram: param "color_by_sign" (boolean). */
#define GC_DRAWS_HISTOGRAM (1u << 2)
/* Points; no params. */
#define GC_DRAWS_POINTS (1u << 3)
/* Markers: params "shape" ("triangle_up", "triangle_down", "circle",
 * "diamond") and "size" (pixels). */
#define GC_DRAWS_MARKERS (1u << 4)
/* A filled band between two outputs (input GC_INPUT_BAND): param "opacity" (0..1). */
#define GC_DRAWS_BAND (1u << 5)

/* Number of floats a chart type's `uniforms` fills (`frame.user` in WGSL: 4 x vec4). */
#define GC_USER_UNIFORM_FLOATS 16

/* ---- Strings and errors -------------------------------------------------- */

/* A borrowed UTF-8 string: pointer and length in bytes, not NUL-terminated. */
typedef struct GcStr {
    /* First byte (may be NULL when len == 0). */
    const uint8_t *ptr;
    /* Length in bytes. */
    size_t len;
} GcStr;

/* A GcStr initialiser for a string literal (usable in static initialisers). */
#define GC_STR(literal) { (const uint8_t *)(literal), sizeof(literal) - 1 }

/* The empty string. */
#define GC_STR_EMPTY { NULL, 0 }

/* Borrows a NUL-terminated string (the NUL is not included). */
static inline GcStr gc_str(const char *s) {
    GcStr out;
    out.ptr = (const uint8_t *)s;
    out.len = s ? strlen(s) : 0;
    return out;
}

/* Records an error message and an optional help line ("what to do next"). */
typedef void (*GcReportFn)(void *ctx, GcStr message, GcStr help);

/* Where a plugin reports an error: call `report` once, then return non-GC_OK.
 * The host copies both strings during the call. */
typedef struct GcErrorSink {
    /* Host context, passed back unchanged. */
    void *ctx;
    /* Records the message and help line. */
    GcReportFn report;
} GcErrorSink;

/* Writes a line to the host's log, attributed to the plugin. */
typedef void (*GcLogFn)(void *ctx, uint32_t level, GcStr message);

/* Callbacks the host offers to plugins, handed over once in `init`. */
typedef struct GcHostApi {
    /* ABI version of the host (equal to the plugin's, or `init` is never called). */
    uint32_t abi_version;
    /* sizeof(GcHostApi) of the host; later versions only append fields. */
    uint32_t struct_size;
    /* Host context for the callbacks. */
    void *ctx;
    /* Writes a line to the host's log. */
    GcLogFn log;
    /* ABI 1.1: the host's minor version. Absent (the host is 1.0) when
     * struct_size does not cover it; read it with gc_host_abi_minor. */
    uint32_t abi_minor;
    /* ABI 1.1: GC_FEATURE_* bits the host supports. Absent (no bits) when
     * struct_size does not cover it; read it with gc_host_features. */
    uint32_t features;
} GcHostApi;

/* The host's minor version (0 for a 1.0 host, which lacks the field). */
static inline uint32_t gc_host_abi_minor(const GcHostApi *host) {
    return host && host->struct_size >= offsetof(GcHostApi, abi_minor) + sizeof(uint32_t)
               ? host->abi_minor
               : 0u;
}

/* The host's GC_FEATURE_* bits (none for a 1.0 host, which lacks the field). */
static inline uint32_t gc_host_features(const GcHostApi *host) {
    return host && host->struct_size >= offsetof(GcHostApi, features) + sizeof(uint32_t)
               ? host->features
               : 0u;
}

/* ---- Function pointer types ---------------------------------------------- */

/* Called once after the version check with the host's callbacks. */
typedef void (*GcInitFn)(const GcHostApi *host);

/* Chart type: turns validated params (JSON) into GC_USER_UNIFORM_FLOATS floats at `out`. */
typedef GcStatus (*GcUniformsFn)(GcStr params_json, float *out, const GcErrorSink *err);

/* Indicator: creates state from validated params (a JSON object, defaults
 * filled in; see "Parameters") into *state_out. A stateless indicator may
 * leave *state_out NULL (GC_FEATURE_STATELESS): compute then gets a NULL
 * state and destroy is not called for it. */
typedef GcStatus (*GcIndicatorCreateFn)(GcStr params_json, void **state_out, const GcErrorSink *err);

/* Indicator: computes rows from..len of every output.
 * inputs[k] and outputs[k] point to `len` doubles. Rows ..from of the outputs
 * hold what the previous call on this state wrote for the same input prefix
 * (so a stateful indicator can continue bar by bar); the first call has
 * from == 0. The host pre-fills rows from.. with NaN; NaN means "no value"
 * (e.g. before the lookback is filled). */
typedef GcStatus (*GcIndicatorComputeFn)(void *state, const double *const *inputs, size_t input_count,
                                         double *const *outputs, size_t output_count, size_t len, size_t from,
                                         const GcErrorSink *err);

/* Indicator: frees the state (never called with NULL). */
typedef void (*GcIndicatorDestroyFn)(void *state);

/* Source: opens the source. `base_dir` is the chart file's folder; relative
 * paths in params resolve against it. */
typedef GcStatus (*GcSourceOpenFn)(GcStr params_json, GcStr base_dir, void **state_out, const GcErrorSink *err);

/* Source: number of value columns (timestamps not counted). */
typedef size_t (*GcSourceColumnCountFn)(void *state);

/* Source: name of value column `index` (valid until `close`). */
typedef GcStr (*GcSourceColumnNameFn)(void *state, size_t index);

/* Source: expected number of rows, or -1 if unknown (for preallocation only). */
typedef int64_t (*GcSourceRowCountHintFn)(void *state);

/* Source: writes up to `capacity` rows: timestamps[0..n] (UTC nanoseconds) and
 * columns[c][0..n] for every column c < column_count; stores n in *rows_out.
 * Returning 0 rows means "no more rows". */
typedef GcStatus (*GcSourceReadFn)(void *state, int64_t *timestamps, double *const *columns, size_t column_count,
                                   size_t capacity, size_t *rows_out, const GcErrorSink *err);

/* Source: frees the state. */
typedef void (*GcSourceCloseFn)(void *state);

/* ABI 1.2: the columns a source lends to the host (GcSourceV1.borrow). The
 * host allocates it (zeroed, struct_size set, `columns` pointing to
 * `column_count` NULL slots); the plugin fills the fields struct_size
 * covers. Every pointer must be non-NULL (unless rows is 0) and 8-byte
 * aligned; the host checks both. The flags and the fingerprint are claims
 * the host relies on to skip work: set GC_BORROW_SORTED / GC_BORROW_FINITE
 * only after checking every row. */
typedef struct GcBorrowedTable {
    /* sizeof(GcBorrowedTable) of the host; later versions append fields. */
    uint32_t struct_size;
    /* GC_BORROW_* bits: what the source already checked. */
    uint32_t flags;
    /* Number of rows of every column. */
    size_t rows;
    /* `rows` ascending UTC nanosecond timestamps. */
    const int64_t *timestamps;
    /* Host-owned array of column_count slots: store in slot c a pointer to
     * the `rows` values of value column c. */
    const double **columns;
    /* Number of slots in `columns` (the source's column_count). */
    size_t column_count;
    /* A cheap 64-bit fingerprint of the content (e.g. a hash of a file's
     * footer), or 0 when there is none. */
    uint64_t fingerprint;
    /* The file the columns come from (valid until close), or empty. The host
     * may keep derived data (level-of-detail pyramid, validation results) in
     * a sidecar checked against that file. */
    GcStr data_path;
} GcBorrowedTable;

/* ABI 1.2: lends every column instead of copying it through `read`. Called
 * at most once per state, right after open (and column_count/column_name),
 * instead of read. On GC_OK every pointer in *out stays valid, its contents
 * unchanged, until close: the host keeps the state open while it uses them
 * and never calls read on it. GC_ERR_UNSUPPORTED means "not this time": the
 * host falls back to read, as for a NULL borrow. */
typedef GcStatus (*GcSourceBorrowFn)(void *state, GcBorrowedTable *out, const GcErrorSink *err);

/* ABI 1.3: the time range a host asks a source for (GcSourceV1.open_range):
 * what a chart shows, widened by its margin. Both bounds are inclusive UTC
 * nanoseconds; an open side is INT64_MIN (from) or INT64_MAX (to); from_ns
 * <= to_ns always. Host-owned, valid for the call; read only the fields
 * struct_size covers. */
typedef struct GcTimeRange {
    /* sizeof(GcTimeRange) of the host; later versions append fields. */
    uint32_t struct_size;
    /* Reserved: 0 in ABI 1.3; ignore bits you do not know. */
    uint32_t flags;
    /* First time wanted (inclusive), or INT64_MIN. */
    int64_t from_ns;
    /* Last time wanted (inclusive), or INT64_MAX. */
    int64_t to_ns;
} GcTimeRange;

/* ABI 1.3: opens the source for the rows of *range only. Called instead of
 * open (never both for one state) when the chart asks for a range; the
 * other arguments and the rest of the state's life are as for open. Every
 * row with from_ns <= t <= to_ns must then come out of read (or borrow);
 * rows outside may too (the host keeps them). A range holding no row is an
 * error (GC_ERR_DATA) whose message names the data and the range. */
typedef GcStatus (*GcSourceOpenRangeFn)(GcStr params_json, GcStr base_dir, const GcTimeRange *range,
                                        void **state_out, const GcErrorSink *err);

/* ---- Tables --------------------------------------------------------------- */

/* A chart type: WGSL plus a declaration of what it draws from.
 * The host prepends its prelude (the Frame uniform, the Bar, Point or Band
 * storage array, and helpers; see plugin-api/wgsl/prelude.wgsl followed by
 * prelude_bars.wgsl, prelude_line.wgsl or prelude_band.wgsl) to `wgsl`,
 * validates the result with naga, and draws `vertices_per_instance` vertices
 * for each instance with entry points vs_main and fs_main. */
typedef struct GcChartTypeV1 {
    /* sizeof(GcChartTypeV1). */
    uint32_t struct_size;
    /* GC_INPUT_BARS, GC_INPUT_LINE or GC_INPUT_BAND. */
    uint32_t input;
    /* Vertices drawn per instance (at least 1). */
    uint32_t vertices_per_instance;
    /* Which fields set the pane's value range (GC_FIELD_* bits). */
    uint32_t range_fields;
    /* GC_CHART_* flags. */
    uint32_t flags;
    /* Name used in chart files (type = "candlestick"). */
    GcStr name;
    /* One line for `gpu-charts plugins`. */
    GcStr description;
    /* JSON Schema of the series' params table. */
    GcStr params_schema;
    /* WGSL source (vertex vs_main, fragment fs_main). */
    GcStr wgsl;
    /* Fills frame.user from params. May be NULL (all zeros). */
    GcUniformsFn uniforms;
    /* ABI 1.1: GC_DRAWS_* bits, the script plot styles it can draw. Absent
     * (0: none) in a table of the 1.0 size. */
    uint32_t draws;
} GcChartTypeV1;

/* An indicator: columns in, columns out. */
typedef struct GcIndicatorV1 {
    /* sizeof(GcIndicatorV1). */
    uint32_t struct_size;
    /* Name used in chart files (kind = "sma"). */
    GcStr name;
    /* One line for `gpu-charts plugins`. */
    GcStr description;
    /* JSON Schema of the indicator's params table. */
    GcStr params_schema;
    /* Names of the input roles, in order (e.g. {"source"} or {"high","low","close"}); at least one. */
    const GcStr *inputs;
    /* Number of inputs. */
    size_t input_count;
    /* Names of the output columns, in order (e.g. {"value"}); at least one. */
    const GcStr *outputs;
    /* Number of outputs. */
    size_t output_count;
    /* Creates state (must not be NULL). */
    GcIndicatorCreateFn create;
    /* Computes rows from..len (must not be NULL). */
    GcIndicatorComputeFn compute;
    /* Frees the state (must not be NULL). */
    GcIndicatorDestroyFn destroy;
} GcIndicatorV1;

/* A data source: a table of int64 UTC nanosecond timestamps and double columns.
 * The host pulls rows in chunks with `read` until it returns zero rows. (A
 * streaming source will later return zero "for now" and more rows on a later
 * call; v1 hosts read until the first zero.) No function may be NULL. */
typedef struct GcSourceV1 {
    /* sizeof(GcSourceV1). */
    uint32_t struct_size;
    /* Name used in chart files (kind = "csv"). */
    GcStr name;
    /* One line for `gpu-charts plugins`. */
    GcStr description;
    /* JSON Schema of the source's params table. */
    GcStr params_schema;
    /* Opens the source. */
    GcSourceOpenFn open;
    /* Number of value columns. */
    GcSourceColumnCountFn column_count;
    /* Name of a value column. */
    GcSourceColumnNameFn column_name;
    /* Expected number of rows, or -1. */
    GcSourceRowCountHintFn row_count_hint;
    /* Reads the next rows. */
    GcSourceReadFn read;
    /* Frees the state (and whatever it lent through borrow). */
    GcSourceCloseFn close;
    /* ABI 1.2 (GC_FEATURE_BORROW): lends the columns without a copy. May be
     * NULL; absent (NULL) in a table of the 1.0 size. */
    GcSourceBorrowFn borrow;
    /* ABI 1.3 (GC_FEATURE_RANGE_HINT): opens for a time range only. May be
     * NULL (the source always loads everything); absent (NULL) in a table
     * of a 1.0 to 1.2 size. */
    GcSourceOpenRangeFn open_range;
} GcSourceV1;

/* What one library provides. Returned by the entry symbol; must stay valid
 * for as long as the library is loaded. */
typedef struct GcPluginDescriptor {
    /* Must be GC_ABI_VERSION. First field, read before anything else. */
    uint32_t abi_version;
    /* sizeof(GcPluginDescriptor) as the plugin was built. */
    uint32_t struct_size;
    /* Plugin (library) name, e.g. "sma". */
    GcStr name;
    /* Plugin version, e.g. "0.1.0". */
    GcStr version;
    /* One line saying what the plugin is. */
    GcStr description;
    /* Called once after the version check with the host's callbacks (may be NULL). */
    GcInitFn init;
    /* Chart types provided. */
    const GcChartTypeV1 *chart_types;
    /* Number of chart types. */
    size_t chart_type_count;
    /* Indicators provided. */
    const GcIndicatorV1 *indicators;
    /* Number of indicators. */
    size_t indicator_count;
    /* Data sources provided. */
    const GcSourceV1 *sources;
    /* Number of data sources. */
    size_t source_count;
    /* ABI 1.1: the lowest host minor version this plugin works with (0: any
     * 1.x host). An older host refuses the plugin, naming both versions.
     * Absent (0) in a descriptor of the 1.0 size. */
    uint32_t abi_minor_required;
} GcPluginDescriptor;

/* Signature of the exported entry symbol. */
typedef const GcPluginDescriptor *(*GcEntryFn)(void);

/* The entry point every plugin defines (declared here with GC_EXPORT so the
 * definition is exported even when building with -fvisibility=hidden). */
GC_EXPORT const GcPluginDescriptor *gpu_charts_plugin_entry(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GPU_CHARTS_PLUGIN_H */
