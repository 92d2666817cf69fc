"""`wganlab export`: a run's generator in one .safetensors file (models/portable.py), to use anywhere with
`wganlab.load_generator`.

The training data is not read (a checkpoint records the shape of a sample; one written before it did reads the
data once to learn it), so a run whose data is gone or on another machine is exported all the same.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wganlab.errors import UserError
from wganlab.files import refuse_to_replace, write_bytes_atomic
from wganlab.models.portable import SUFFIX, TrainedGenerator, encode
from wganlab.training.run_generator import generator_of


def export(
    target: Path, out: Path | None = None, raw: bool = False, force: bool = False, data_root: str | None = None
) -> tuple[Path, TrainedGenerator]:
    """Write the generator of `target` (EMA by default) to `out` (default: generator-STEP.safetensors in the run
    folder, or beside a loose checkpoint); returns the path and the generator."""
    if out is not None:
        _check_out(out, force)
    generator = generator_of(target, ema=not raw, data_root=data_root)
    if out is None:  # in its run folder, or beside a loose checkpoint
        source = generator.provenance
        where = Path(source["run_folder"] or Path(source["checkpoint"]).parent)
        out = where / f"generator-{generator.step:07d}{'-raw' if raw else ''}{SUFFIX}"
        _check_out(out, force)
    write_bytes_atomic(out, encode(generator))
    return out, generator


def _check_out(out: Path, force: bool) -> None:
    if out.suffix != SUFFIX:
        raise UserError(f"--out {out} must end in {SUFFIX}: the file holds safetensors weights")
    refuse_to_replace(out, force)


def export_command(args: argparse.Namespace) -> int:
    """`wganlab export RUN`: the generator written to a .safetensors file, and how to load it."""
    out, generator = export(args.target, args.out, args.raw, args.force, args.data_root)
    which = "EMA generator" if generator.ema else "generator"
    made = "x".join(map(str, generator.shape)) + " images" if generator.value_range else "2-D points"
    print(f"wrote {out}: the {which} at step {generator.step} (latent {generator.latent_dim}, {made}); load it "
          f"with wganlab.load_generator({str(out)!r})")
    return 0
