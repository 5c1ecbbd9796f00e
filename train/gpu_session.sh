#!/usr/bin/env bash
# One call of the device tool: the GPU benchmarks (#10) and a burst of GPU training from the
# bundled generator (#11), in about MINUTES + 4 minutes: the device tool gives a session 15
# minutes in all and a command 10, so MINUTES=4 fits one call. Prepare here first:
#
#   python train/pack_data.py                        # -> gpu_data/ (about 29 MiB, ignored)
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux2014_x86_64 -d .whl kornia==0.9.0 kornia_rs==0.2.0
#
# then call the device tool's run with command "bash train/gpu_session.sh 4", carry
# ["gpu_data", ".whl"], timeout_s 600 (tracked tree ~23 MiB + 30 + 7: under the 64 MiB).
# What comes back in $OUT (at most 8 files): bench_speed_cuda.md, the trained generator
# (model.safetensors in float16, config.json, train_config.json, training_state.pt without the
# optimiser), train_log.csv, val_log.csv and log.txt. Back here:
#   mkdir -p runs/gpu/checkpoint && cp OUT/* runs/gpu/checkpoint/ && \
#   cp models/hfcolor-unet-lite0/prior.safetensors runs/gpu/checkpoint/ && \
#   python train/export.py runs/gpu/checkpoint --models generator --fid --history "..."
# With EXTRA=--ema_decay=0.999 (the CPU runs' best lever, README) the moving average of the
# weights comes back instead of the raw ones.
# The run holds the bundled model's encoder fixed (--freeze_encoder) and keeps its
# config.json's "saturation"; choose that again on the validation sets before exporting
# (hfcolor evaluate runs/gpu/checkpoint DATA --saturation S, then edit config.json).
set -uo pipefail
MINUTES=${1:-4}
OUT=${OUT:-outputs/gpu_session}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
export PYTHONUNBUFFERED=1 PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD"
if compgen -G ".whl/*.whl" > /dev/null; then
    $PYTHON -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH="/tmp/site:$PYTHONPATH"
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true

# 1. Speed: default generator vs ECCV16, batches up to 64 in fp16, photos up to 12 MP.
timeout 180 $PYTHON bench/bench_speed.py --device "${DEVICE:-cuda}" --repeats 5 ${BENCH:-} \
    | tee "$OUT/bench_speed_cuda.md"

# 2. Training: the shipped recipe's last stage, on the GPU with bf16 and big batches.
RUN=runs/gpu
rm -rf "$RUN" && mkdir -p "$RUN"
cp models/hfcolor-unet-lite0/prior.safetensors "$RUN/"
timeout $(( MINUTES * 60 + 90 )) $PYTHON train/train.py --preset=default \
    --init_from=models/hfcolor-unet-lite0 --freeze_encoder --data=gpu_data/train \
    --val_data=gpu_data/val \
    --out="$RUN" --mixed_precision="${PRECISION:-bf16}" --batch_size="${BATCH:-256}" \
    --num_workers="${WORKERS:-12}" --lr="${LR:-2e-4}" --warmup_steps=100 \
    --max_steps="${STEPS:-4000}" --max_minutes="$MINUTES" --typical_fraction=0.5 \
    --sample_l1_weight=1 --div_weight=2 --div_tau=0.03 --gan_weight=0 \
    '--folder_repeats={"imagenet1k": 8, "imagewoof": 2}' --log_every=20 --val_every=500 \
    --save_every=500 ${EXTRA:-}

# 3. What comes back: float16 weights (under the 16 MiB a file), the config and the logs.
$PYTHON - "$RUN" "$OUT" <<'EOF'
import shutil, sys
from pathlib import Path
import torch
from hfcolor.hub import halve_weights
run, out = Path(sys.argv[1]), Path(sys.argv[2])
checkpoint = run / "ema" if (run / "ema").is_dir() else run / "checkpoint"  # EXTRA=--ema_decay
for name in ("model.safetensors", "config.json", "train_config.json"):
    shutil.copy(checkpoint / name, out / name)
halve_weights(out)
state = torch.load(checkpoint / "training_state.pt", weights_only=True)
keep = ("step", "epoch", "seconds", "seen", "hardware")
torch.save({k: state[k] for k in keep if k in state}, out / "training_state.pt")
for name in ("train_log.csv", "val_log.csv"):
    if (run / name).exists():
        shutil.copy(run / name, out / name)
print("step", state["step"], "photos seen", state["seen"], "hours", state["seconds"] / 3600)
EOF
