#!/usr/bin/env bash
# One device session (../shared/gpu/README.md): GPU aggregation, frame cost at
# 10 M / 100 M / 1 B points, and a 1 B-row Arrow file opened cold and with its
# sidecar, with peak resident memory. Run from the repo root on the GPU
# machine with `dist/` (release binaries + plugin libraries) and `.gl` carried.
# Results go to $OUT (or ./out).
set -u
OUT=${OUT:-out}; mkdir -p "$OUT"
for f in .gl/*.deb; do dpkg -x "$f" / 2>/dev/null; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export XDG_RUNTIME_DIR=/tmp GPU_CHARTS_PLUGIN_PATH=$PWD/dist GPU_CHARTS_ROOT=$PWD
nvidia-smi --query-gpu=name,memory.total --format=csv > "$OUT/gpu.txt" 2>&1
nproc >> "$OUT/gpu.txt"
# peak RSS of a command: poll VmHWM while it runs
hwm() { "$@" & local p=$! m=0; while kill -0 $p 2>/dev/null; do
  v=$(awk '/VmHWM/{print $2}' /proc/$p/status 2>/dev/null); [ -n "$v" ] && m=$v; sleep 0.2; done
  wait $p; local rc=$?; echo "peak RSS ${m} kB (rc $rc): $*"; }
step=${STEPS:-agg,scale,arrow}
if [[ $step == *agg* ]]; then
  GPU_CHARTS_BENCH_TICKS=${TICKS:-100000000} timeout 200 dist/timeframe_gpu --bench > "$OUT/timeframe_gpu.txt" 2>&1
fi
if [[ $step == *scale* ]]; then
  GPU_CHARTS_SCALE_ROWS=${ROWS:-10000000,100000000,1000000000} hwm timeout 300 dist/frame_scale > "$OUT/frame_scale.txt" 2>&1
  tail -1 "$OUT/frame_scale.txt"
fi
if [[ $step == *arrow* ]]; then
  N=${ARROW_ROWS:-1000000000}; d=/tmp/gc; mkdir -p $d
  timeout 200 dist/gen-arrow $d/ticks.arrow $N > "$OUT/arrow.txt" 2>&1
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
    ( time hwm timeout 200 dist/gpu-charts --memory-budget "64 GiB" stats $d/ticks.toml --frames 60 ) >> "$OUT/arrow.txt" 2>&1
  done
  ls -l $d >> "$OUT/arrow.txt"
fi
