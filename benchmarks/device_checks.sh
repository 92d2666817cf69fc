#!/usr/bin/env bash
# Every GPU check in one go, for a CUDA machine with this repository copied onto it and no network (the device
# machine lent to some sessions): the user's path on the GPU end to end, then the speed benchmarks that fill
# docs/benchmarks.md's GPU rows. Each step has its own time limit and the script goes on after a failed step, so
# one short lease brings back what it can.
#
#   OUT=folder bash benchmarks/device_checks.sh          # DEVICE=cuda by default; QUICK=1 for tiny sizes
#   ONLY="grid speed-toy" OUT=folder bash benchmarks/device_checks.sh    # only the steps named
#
# Needs: python3 with torch (CUDA), numpy, scipy, matplotlib, tqdm, pillow, scikit-learn; POT (if it is missing, a
# wheel in .whl/ is installed into /tmp/site); the reference toy trainer in .devshared/ (a copy of
# ../shared/bench/reference_wgan_gp_toy.py, which does not travel with the repository).
# Writes $OUT/log.txt (everything), $OUT/results.txt (one line per step: name, exit code, seconds), each benchmark's
# JSON line in $OUT/bench.jsonl, and a GPU-trained digits run folder as $OUT/gpu-run.tar (to load on a CPU machine).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-device-checks}
DEVICE=${DEVICE:-cuda}
QUICK=${QUICK:-0}
mkdir -p "$OUT"
LOG="$OUT/log.txt"
SCRATCH=$(mktemp -d)
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
if ! python3 -c "import ot" 2>/dev/null && ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl
    export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
size() { if [ "$QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi; }
WL=(python3 -m wganlab)
step() {  # step NAME SECONDS COMMAND...: run it with a time limit, log it, record its exit code and time
    local name=$1 limit=$2 started rc
    shift 2
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return 0; fi
    echo "=== $(date +%T) $name: $*" >>"$LOG"
    started=$(date +%s)
    timeout "$limit" "$@" >>"$LOG" 2>&1
    rc=$?
    echo "$name rc=$rc $(( $(date +%s) - started ))s" | tee -a "$OUT/results.txt" >>"$LOG"
    tail -n 3 "$LOG" | grep -v "^$name rc=" | cut -c1-300
    return 0
}
bench() {  # bench NAME SECONDS COMMAND...: a step whose last stdout line (JSON) goes to bench.jsonl
    local name=$1 limit=$2
    shift 2
    step "$name" "$limit" bash -c 'set -o pipefail; "$@" | tee "'"$SCRATCH/$name.out"'"' _ "$@"
    [ -f "$SCRATCH/$name.out" ] && tail -n 1 "$SCRATCH/$name.out" | sed "s/^{/{\"bench\": \"$name\", /" >>"$OUT/bench.jsonl"
}

step environment 30 bash -c 'nvidia-smi -L; python3 -c "import sys, torch, ot, sklearn; print(sys.version.split()[0],
torch.__version__, torch.version.cuda, torch.cuda.is_available() and torch.cuda.get_device_name(), ot.__version__)"'
# Where Adam keeps its step count when the reference is put on the device by factories: on the GPU, every Adam step
# of the reference would wait for it (a read back), which the timing must say.
step adam-step-device 30 python3 -c "import sys; sys.path.insert(0, 'benchmarks'); import torch
from reference_on_device import on_device; on_device('$DEVICE', factories=True)
p = torch.nn.Parameter(torch.zeros(3)); o = torch.optim.Adam([p]); p.grad = torch.ones(3); o.step()
print('reference Adam step count on', o.state[p]['step'].device)"

# 1. The user's path on the GPU: a toy run, an image run with its metrics, resume, the other commands, float16 with
# its loss scaler, and torchrun (NCCL, one process: the DDP path with the penalty's double backward). bfloat16 and
# compile are exercised by the speed benchmarks below.
step grid 60 "${WL[@]}" train --preset grid --steps "$(size 2000 100)" --set train.device="$DEVICE" --outdir "$SCRATCH/grid"
step digits 90 "${WL[@]}" train --preset digits --steps "$(size 600 20)" --set train.device="$DEVICE" \
    --set eval.every="$(size 300 10)" --outdir "$SCRATCH/digits"
RUN=$(ls -d "$SCRATCH"/digits/*/ 2>/dev/null | head -n 1)
step digits-resume 60 "${WL[@]}" train --resume "$RUN" --steps "$(size 800 30)"
step evaluate 60 "${WL[@]}" evaluate "$RUN" --metrics fid,kid,is,pr,modes
step sample 40 "${WL[@]}" sample "$RUN" --count 64 --out "$SCRATCH/samples.npz" --grid "$SCRATCH/grid.png"
step diagnose 60 "${WL[@]}" diagnose "$RUN"
step report 60 "${WL[@]}" report "$RUN" --out "$SCRATCH/report.html"
[ -n "$RUN" ] && tar -C "$(dirname "$RUN")" -cf "$OUT/gpu-run.tar" "$(basename "$RUN")"
step digits-fp16 60 "${WL[@]}" train --preset digits --steps "$(size 100 10)" --set train.device="$DEVICE" \
    --set train.precision=fp16 --set eval.every=0 --outdir "$SCRATCH/fp16"
step torchrun-nccl 90 python3 -m torch.distributed.run --standalone --nproc_per_node 1 -m wganlab train --preset digits \
    --steps "$(size 100 10)" --set train.device="$DEVICE" --set eval.every=0 --outdir "$SCRATCH/ddp"

# 2. Speed: the CIFAR ResNet recipe, the WGAN-GP toy recipe against the plain reference (both on the GPU), and 64
# default-recipe runs as one sweep against runs one after another (extrapolated from a few).
bench speed-resnet 150 python3 benchmarks/speed_images.py --device "$DEVICE" \
    --variants fp32,bf16,compile --repeats "$(size 3 1)" --iters "$(size 20 2)" --warmup "$(size 5 1)" \
    $( [ "$QUICK" = 1 ] && echo "--width 8 --images 128" )
bench speed-toy 150 python3 benchmarks/speed_toy.py --device "$DEVICE" --reference-device "$DEVICE" \
    --reference-factories --reference .devshared/reference_wgan_gp_toy.py --variants fp32,bf16,compile --repeats "$(size 3 1)" \
    --iters "$(size 200 4)" --warmup "$(size 20 2)"
bench sweep-64 120 python3 benchmarks/sweep_speed.py --preset grid --width 256 --grid "" \
    --seeds "0-$(size 63 3)" --steps "$(size 200 5)" --repeats 1 --alone "$(size 4 2)" --device "$DEVICE"
echo "=== $(date +%T) done" >>"$LOG"
cat "$OUT/results.txt"
