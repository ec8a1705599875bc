#!/usr/bin/env bash
# One device call within its 10-minute limit: unpack dist/dist.tar.xz (the
# release binaries, stripped, packed to fit the carry limit), then the steps
# in order of importance (frame cost at 10 M / 100 M / 1 B, a 1 B-row Arrow
# file cold and with its sidecar with peak RSS, GPU aggregation), each with
# its own timeout so the call stays under 10 minutes.
set -u
OUT=${OUT:-out}; mkdir -p "$OUT"
tar -C dist -xJf dist/dist.tar.xz && rm dist/dist.tar.xz
for f in .gl/*.deb; do dpkg -x "$f" / 2>/dev/null; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export XDG_RUNTIME_DIR=/tmp GPU_CHARTS_PLUGIN_PATH=$PWD/dist GPU_CHARTS_ROOT=$PWD
nvidia-smi --query-gpu=name,memory.total --format=csv > "$OUT/gpu.txt" 2>&1; nproc >> "$OUT/gpu.txt"; free -g >> "$OUT/gpu.txt"
# Peak RSS of the command (under `timeout`: of its child, the real one).
hwm() { "$@" & local p=$! m=0 c; while kill -0 $p 2>/dev/null; do
  c=$(pgrep -P $p | head -1); c=${c:-$p}
  v=$(awk '/VmHWM/{print $2}' /proc/$c/status 2>/dev/null); [ -n "$v" ] && m=$v; sleep 0.2; done
  wait $p; local rc=$?; echo "peak RSS ${m} kB (rc $rc): $*"; }
GPU_CHARTS_SCALE_ROWS=${ROWS:-10000000,100000000,1000000000} hwm timeout ${SCALE_S:-230} dist/frame_scale > "$OUT/frame_scale.txt" 2>&1
tail -3 "$OUT/frame_scale.txt"
N=${ARROW_ROWS:-1000000000}; d=/tmp/gc; mkdir -p $d
( time timeout 120 dist/gen-arrow $d/ticks.arrow $N ) > "$OUT/arrow.txt" 2>&1
cat > $d/ticks.toml <<T
title = "1 B ticks (Arrow IPC)"
size = [1600, 900]
timezone = "UTC"
[sources.t]
kind = "arrow"
params = { path = "ticks.arrow" }
[[panes]]
[[panes.series]]
type = "line"
data = "t.price"
T
for run in cold sidecar; do
  echo "== $run" >> "$OUT/arrow.txt"
  ( time hwm timeout 100 dist/gpu-charts --memory-budget "64 GiB" stats $d/ticks.toml --frames 60 ) >> "$OUT/arrow.txt" 2>&1
done
ls -l $d >> "$OUT/arrow.txt"; tail -30 "$OUT/arrow.txt"
GPU_CHARTS_BENCH_TICKS=${TICKS:-100000000} timeout ${AGG_S:-100} dist/timeframe_gpu --bench --warm-up-time 1 --measurement-time 3 > "$OUT/timeframe_gpu.txt" 2>&1
tail -20 "$OUT/timeframe_gpu.txt"
