// Timeframe aggregation of ticks on the GPU (runtime/src/gpu/aggregate.rs).
//
// The CPU cuts the ticks into buckets (one per bar) and each bucket into
// groups of at most GROUP_TICKS ticks counted from the bucket's first tick;
// a group is split into runs of RUN_TICKS ticks the same way. Here:
//   runs_main:   one thread per run: first, last, min, max, summed size and
//                count of its finite-price ticks, left to right in f32;
//   groups_main: one thread per group: its runs combined left to right.
// The CPU then combines each bucket's groups left to right. That order is
// the precision contract (documented and mirrored by the reference in
// aggregate.rs's tests); min/max/first/last are exact whatever the order.
//
// Each dispatch covers one page of ticks (a storage binding holds at most
// max_storage_buffer_binding_size bytes); `group_start` is relative to the
// page's first tick.
//
// read_main is the read-bandwidth baseline: it reads the same price and size
// buffers once, coalesced, and writes one sum per workgroup.

const RUN_TICKS: u32 = 32u;
const WG: u32 = 256u;

struct AggParams {
    // Groups in this page.
    groups: u32,
    // Runs in this page (run_prefix[groups]).
    runs: u32,
    // 1 when `size` holds sizes, 0 when the ticks have none (volume 0).
    has_size: u32,
    // Ticks in the page (read_main only).
    ticks: u32,
}

struct AggPartial {
    first: f32,
    last: f32,
    low: f32,
    high: f32,
    volume: f32,
    count: u32,
}

@group(0) @binding(0) var<uniform> params: AggParams;
@group(0) @binding(1) var<storage, read> price: array<f32>;
@group(0) @binding(2) var<storage, read> size: array<f32>;
// groups + 1 entries: group g is ticks [group_start[g], group_start[g + 1]).
@group(0) @binding(3) var<storage, read> group_start: array<u32>;
// groups + 1 entries: the runs of group g are [run_prefix[g], run_prefix[g + 1]).
@group(0) @binding(4) var<storage, read> run_prefix: array<u32>;
@group(0) @binding(5) var<storage, read_write> runs: array<AggPartial>;
@group(0) @binding(6) var<storage, read_write> groups: array<AggPartial>;

// Neither NaN nor ±infinity (all exponent bits set).
fn finite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

fn empty() -> AggPartial {
    return AggPartial(0.0, 0.0, 0.0, 0.0, 0.0, 0u);
}

// `b` after `a` (b's ticks come later). Comparisons, not min()/max(), so
// that equal values (±0) keep the earlier one, as the CPU path does.
fn combine(a: AggPartial, b: AggPartial) -> AggPartial {
    if (b.count == 0u) {
        return a;
    }
    if (a.count == 0u) {
        return b;
    }
    var r = a;
    if (b.high > r.high) {
        r.high = b.high;
    }
    if (b.low < r.low) {
        r.low = b.low;
    }
    r.last = b.last;
    r.volume = r.volume + b.volume;
    r.count = r.count + b.count;
    return r;
}

// The group whose runs include run `r`: the largest g with run_prefix[g] <= r.
fn group_of_run(r: u32) -> u32 {
    var lo = 0u;
    var hi = params.groups;
    while (hi - lo > 1u) {
        let mid = lo + (hi - lo) / 2u;
        if (run_prefix[mid] <= r) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

@compute @workgroup_size(256)
fn runs_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let stride = nwg.x * WG;
    for (var r = gid.x; r < params.runs; r += stride) {
        let g = group_of_run(r);
        let start = group_start[g] + (r - run_prefix[g]) * RUN_TICKS;
        let end = min(start + RUN_TICKS, group_start[g + 1u]);
        var acc = empty();
        for (var i = start; i < end; i++) {
            let p = price[i];
            if (!finite(p)) {
                continue;
            }
            var v = 0.0;
            if (params.has_size != 0u) {
                let s = size[i];
                if (finite(s)) {
                    v = s;
                }
            }
            if (acc.count == 0u) {
                acc = AggPartial(p, p, p, p, v, 1u);
            } else {
                if (p > acc.high) {
                    acc.high = p;
                }
                if (p < acc.low) {
                    acc.low = p;
                }
                acc.last = p;
                acc.volume = acc.volume + v;
                acc.count = acc.count + 1u;
            }
        }
        runs[r] = acc;
    }
}

@compute @workgroup_size(256)
fn groups_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let stride = nwg.x * WG;
    for (var g = gid.x; g < params.groups; g += stride) {
        var acc = empty();
        for (var r = run_prefix[g]; r < run_prefix[g + 1u]; r++) {
            acc = combine(acc, runs[r]);
        }
        groups[g] = acc;
    }
}

var<workgroup> wg_sum: array<f32, 256>;

@compute @workgroup_size(256)
fn read_main(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let stride = nwg.x * WG;
    var s = 0.0;
    for (var i = gid.x; i < params.ticks; i += stride) {
        s = s + price[i];
        if (params.has_size != 0u) {
            s = s + size[i];
        }
    }
    wg_sum[lid] = s;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k = k / 2u) {
        if (lid < k) {
            wg_sum[lid] = wg_sum[lid] + wg_sum[lid + k];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        groups[wid.x] = AggPartial(wg_sum[0], 0.0, 0.0, 0.0, 0.0, 0u);
    }
}
