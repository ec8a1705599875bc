// Timeframe aggregation of ticks on the GPU (runtime/src/gpu/aggregate.rs),
// exact: the result equals the CPU path's f64 bars bit for bit.
//
// Prices and sizes are the f64 columns as they are, read as two u32 words
// (x = low word, y = high word); no float arithmetic happens here, so the
// result does not depend on the GPU's float rounding or on SHADER_F64.
//
// The CPU cuts the ticks into buckets (one per bar) and each bucket into
// groups of at most GROUP_TICKS ticks counted from the bucket's first tick.
// Here, groups_main: a team of 32 threads per group (8 per workgroup),
// reading the group's ticks interleaved (coalesced) and reducing their
// partials in shared memory: index of the first and last tick with a finite price,
// index of the first largest and first smallest price, count, and the
// sizes' exact integer sum (see below). The CPU combines each bucket's
// groups in order and gathers the f64 prices at the indices.
//
// Order: `key` maps an f64 to a u32 pair whose lexicographic order (high
// word first) is the f64 order, with -0 mapped to +0 (they compare equal on
// the CPU too). "First largest" keeps the earlier tick on equal keys, as the
// CPU's `if h > high` does, so the gathered value has the CPU's bits.
//
// Volume: a size that is a whole number in [0, 2^53) (or non-finite, which
// adds 0 as on the CPU) is added to a 64-bit integer sum; while that sum
// stays below 2^53 every partial sum of the CPU's left-to-right f64 loop is
// an exactly representable integer, so its result equals this sum whatever
// the order. Any other size (a fraction, a negative, -0, 2^53 or more)
// clears `exact`: the CPU then sums that bucket in its own order.
//
// Each dispatch covers one page of ticks (a storage binding holds at most
// max_storage_buffer_binding_size bytes); `group_start` is relative to the
// page's first tick, and so are the indices written.
//
// read_main is the read-bandwidth baseline: it reads the same price and size
// buffers once, coalesced, and writes one xor per workgroup.

const WG: u32 = 256u;
// 2^53 as the high word of a u64.
const LIMIT_HI: u32 = 0x00200000u;

struct AggParams {
    // Groups in this batch.
    groups: u32,
    // Runs in this batch (run_prefix[groups]).
    runs: u32,
    // 1 when `size` holds sizes, 0 when the ticks have none (volume 0).
    has_size: u32,
    // Ticks in the page (read_main only).
    ticks: u32,
}

struct AggPartial {
    // Ticks with a finite price; 0: none (the other fields are unused).
    count: u32,
    first: u32,
    last: u32,
    max_index: u32,
    min_index: u32,
    exact: u32,
    max_key: vec2<u32>,
    min_key: vec2<u32>,
    // Sum of the whole-number sizes, low word first.
    volume: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: AggParams;
@group(0) @binding(1) var<storage, read> price: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> size: array<vec2<u32>>;
// groups + 1 entries: group g is ticks [group_start[g], group_start[g + 1]).
@group(0) @binding(3) var<storage, read> group_start: array<u32>;
// Bindings 4 and 5 (run prefixes and run partials) belong to the layout
// but are no longer read: groups are reduced in one pass.
@group(0) @binding(6) var<storage, read_write> groups: array<AggPartial>;

// Neither NaN nor ±infinity (all exponent bits set).
fn finite(b: vec2<u32>) -> bool {
    return (b.y & 0x7ff00000u) != 0x7ff00000u;
}

// Order-preserving key of a finite f64 (see the header).
fn key(b: vec2<u32>) -> vec2<u32> {
    if (b.y == 0x80000000u && b.x == 0u) {
        return vec2<u32>(0u, 0x80000000u);
    }
    if ((b.y & 0x80000000u) != 0u) {
        return ~b;
    }
    return vec2<u32>(b.x, b.y | 0x80000000u);
}

fn greater(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y > b.y || (a.y == b.y && a.x > b.x);
}

// A size as a whole number (x low word): ok false when it is not one in
// [0, 2^53).
struct Whole {
    value: vec2<u32>,
    ok: bool,
}

fn whole(b: vec2<u32>) -> Whole {
    if (!finite(b) || (b.x == 0u && b.y == 0u)) {
        return Whole(vec2<u32>(0u, 0u), true);
    }
    let e = i32((b.y >> 20u) & 0x7ffu) - 1023;
    // Negative (or -0), below 1, or 2^53 and above.
    if ((b.y & 0x80000000u) != 0u || e < 0 || e > 52) {
        return Whole(vec2<u32>(0u, 0u), false);
    }
    let hi = (b.y & 0x000fffffu) | 0x00100000u;
    let lo = b.x;
    let sh = u32(52 - e);
    if (sh >= 32u) {
        let s = sh - 32u;
        let mask = (1u << s) - 1u;
        if (lo != 0u || (hi & mask) != 0u) {
            return Whole(vec2<u32>(0u, 0u), false);
        }
        return Whole(vec2<u32>(hi >> s, 0u), true);
    }
    if (sh == 0u) {
        return Whole(vec2<u32>(lo, hi), true);
    }
    if ((lo & ((1u << sh) - 1u)) != 0u) {
        return Whole(vec2<u32>(0u, 0u), false);
    }
    return Whole(vec2<u32>((lo >> sh) | (hi << (32u - sh)), hi >> sh), true);
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    let carry = select(0u, 1u, lo < a.x);
    return vec2<u32>(lo, a.y + b.y + carry);
}

fn empty() -> AggPartial {
    return AggPartial(0u, 0u, 0u, 0u, 0u, 1u, vec2<u32>(0u), vec2<u32>(0u), vec2<u32>(0u));
}

// `a` and `b` in either order (their ticks interleave): first and last by
// index, and on equal keys the earlier tick, as the CPU's in-order loop
// keeps it. The volume is an integer sum, so its order does not matter.
fn combine_any(a: AggPartial, b: AggPartial) -> AggPartial {
    if (b.count == 0u) {
        return a;
    }
    if (a.count == 0u) {
        return b;
    }
    var r = a;
    if (greater(b.max_key, r.max_key) || (all(b.max_key == r.max_key) && b.max_index < r.max_index)) {
        r.max_key = b.max_key;
        r.max_index = b.max_index;
    }
    if (greater(r.min_key, b.min_key) || (all(b.min_key == r.min_key) && b.min_index < r.min_index)) {
        r.min_key = b.min_key;
        r.min_index = b.min_index;
    }
    r.first = min(a.first, b.first);
    r.last = max(a.last, b.last);
    r.count = r.count + b.count;
    r.volume = add64(r.volume, b.volume);
    r.exact = r.exact & b.exact & select(0u, 1u, r.volume.y < LIMIT_HI);
    return r;
}

var<workgroup> wg_part: array<AggPartial, 256>;

// Threads per group: a warp's worth, so each of the WG / TEAM groups a
// workgroup reduces at a time reads consecutive ticks (coalesced) and a
// bucket of a few ticks leaves only its team idle, not a whole workgroup.
const TEAM: u32 = 32u;

// Groups handled WG / TEAM at a time per workgroup (a loop when there are
// more than the dispatch covers): lane t of a team reads ticks t, t + 32,
// ... of its group, then the team's 32 partials are reduced in shared
// memory with `combine_any`.
@compute @workgroup_size(256)
fn groups_main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let teams = WG / TEAM;
    let team = lid / TEAM;
    let lane = lid % TEAM;
    for (var base = wid.x * teams; base < params.groups; base += nwg.x * teams) {
        let g = base + team;
        var acc = empty();
        if (g < params.groups) {
            let end = group_start[g + 1u];
            for (var i = group_start[g] + lane; i < end; i += TEAM) {
                let p = price[i];
                if (!finite(p)) {
                    continue;
                }
                let k = key(p);
                // A lane's ticks come in order: the first seen is its first,
                // and only a strictly greater (smaller) key replaces its max (min).
                if (acc.count == 0u) {
                    acc.first = i;
                    acc.max_key = k;
                    acc.max_index = i;
                    acc.min_key = k;
                    acc.min_index = i;
                } else {
                    if (greater(k, acc.max_key)) {
                        acc.max_key = k;
                        acc.max_index = i;
                    }
                    if (greater(acc.min_key, k)) {
                        acc.min_key = k;
                        acc.min_index = i;
                    }
                }
                acc.last = i;
                acc.count = acc.count + 1u;
                if (params.has_size != 0u && acc.exact != 0u) {
                    let w = whole(size[i]);
                    acc.volume = add64(acc.volume, w.value);
                    if (!w.ok || acc.volume.y >= LIMIT_HI) {
                        acc.exact = 0u;
                    }
                }
            }
        }
        wg_part[lid] = acc;
        workgroupBarrier();
        for (var k = TEAM / 2u; k > 0u; k = k / 2u) {
            if (lane < k) {
                wg_part[lid] = combine_any(wg_part[lid], wg_part[lid + k]);
            }
            workgroupBarrier();
        }
        if (lane == 0u && g < params.groups) {
            groups[g] = wg_part[lid];
        }
        workgroupBarrier();
    }
}

var<workgroup> wg_acc: array<u32, 256>;

@compute @workgroup_size(256)
fn read_main(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let stride = nwg.x * WG;
    var s = 0u;
    for (var i = gid.x; i < params.ticks; i += stride) {
        let p = price[i];
        s = s ^ p.x ^ p.y;
        if (params.has_size != 0u) {
            let v = size[i];
            s = s ^ v.x ^ v.y;
        }
    }
    wg_acc[lid] = s;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k = k / 2u) {
        if (lid < k) {
            wg_acc[lid] = wg_acc[lid] ^ wg_acc[lid + k];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        var out = empty();
        out.count = wg_acc[0];
        groups[wid.x] = out;
    }
}
