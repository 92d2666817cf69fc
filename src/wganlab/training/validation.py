"""Validation of a config against the parts it names: names exist, the device is there, combinations make sense.

`config.py` checks keys, types and ranges; what a name means, and which parts go together, is known only to
the parts' tables, so it is checked here, once, before anything is built. Every failure is a `ConfigError`
whose one-line message names the key and how to fix it.

The tables themselves sit beside their implementations (a `Parts` in each layer); `CHOSEN_BY` and `KINDS` below
only gather them: the single source for this validation and for `wganlab list`. Names are resolved to entries
once, at build time (training/build.py); step code never compares strings.
"""

from __future__ import annotations

import torch

from wganlab.config import Config, DataConfig
from wganlab.data.augment import AUGMENTATIONS, POLICY
from wganlab.data.datasets import DATASETS, SPLITS, is_image
from wganlab.data.transforms import FILTERS
from wganlab.errors import ConfigError
from wganlab.metrics.features import AUTO, AUTO_DESCRIPTION, EXTRACTORS
from wganlab.metrics.images import IMAGE_METRICS
from wganlab.models.architectures import ARCHITECTURES
from wganlab.models.conditional import CONDITIONINGS, NONE
from wganlab.models.mlp import ACTIVATIONS
from wganlab.models.norms import GENERATOR_NORMS, NORMS
from wganlab.objectives.constraints import CONSTRAINTS
from wganlab.objectives.losses import LOSSES
from wganlab.objectives.objective import PENALTY_DECAYS
from wganlab.objectives.penalties import PENALTIES
from wganlab.parts import Parts, suggest
from wganlab.presets import PRESETS
from wganlab.training.labels import LABEL_SAMPLINGS
from wganlab.training.optimizers import LR_DECAYS, OPTIMIZERS

# The tables a config chooses from, by the config key that names one entry (eval.metrics names several).
CHOSEN_BY: dict[str, Parts] = {
    "data.name": DATASETS,
    "data.resize_filter": FILTERS,
    "data.augment": AUGMENTATIONS,
    "data.augment_policy": POLICY,
    "model.arch": ARCHITECTURES,
    "model.activation": ACTIVATIONS,
    "model.generator_norm": GENERATOR_NORMS,
    "model.critic_norm": NORMS,
    "model.conditioning": CONDITIONINGS,
    "objective.loss": LOSSES,
    "objective.penalty": PENALTIES,
    "objective.constraint": CONSTRAINTS,
    "train.label_sampling": LABEL_SAMPLINGS,
    "optim.name": OPTIMIZERS,
    "optim.lr_decay": LR_DECAYS,
    "objective.penalty_decay": PENALTY_DECAYS,
    "eval.metrics": IMAGE_METRICS,
}

# What `wganlab list` shows, kind by kind: name -> one-line description.
KINDS: dict[str, dict[str, str]] = {
    "datasets": DATASETS.descriptions(),
    "resize filters (data.resize_filter)": FILTERS.descriptions(),
    "augmentation of every critic input (data.augment)": AUGMENTATIONS.descriptions(),
    "augmentation policy (data.augment_policy, any subset)": POLICY.descriptions(),
    "architectures": ARCHITECTURES.descriptions(),
    "activations": ACTIVATIONS.descriptions(),
    "normalisations (model.generator_norm, model.critic_norm)": NORMS.descriptions(),
    "class conditioning (model.conditioning)": CONDITIONINGS.descriptions(),
    "losses": LOSSES.descriptions(),
    "penalties": PENALTIES.descriptions(),
    "constraints": CONSTRAINTS.descriptions(),
    "generator labels of a conditional run (train.label_sampling)": LABEL_SAMPLINGS.descriptions(),
    "optimizers": OPTIMIZERS.descriptions(),
    "decays (optim.lr_decay, objective.penalty_decay)": LR_DECAYS.descriptions(),
    "presets": PRESETS.descriptions(),
    "image metrics": IMAGE_METRICS.descriptions(),
    "feature extractors": {AUTO: AUTO_DESCRIPTION} | EXTRACTORS.descriptions(),
}


def validate(config: Config, world: int = 1) -> None:
    """Check names against the registry, the device, and refuse combinations that make no sense (for a run of
    `world` processes under torchrun)."""
    _check_names(config, CHOSEN_BY)
    _check_device(config.train.device)
    _check_combinations(config)
    if world > 1:
        _check_distributed(config, world)


def _check_distributed(config: Config, world: int) -> None:
    """The global batches must split evenly over the ranks; each rank picks its own GPU."""
    t = config.train
    for key, size in (("train.batch_size", t.batch_size), ("train.generator_batch_size", t.generator_batch_size)):
        if size % world:
            raise ConfigError(f"{key} = {size} does not split over {world} processes: use a multiple of {world} "
                              "(it is the global batch; each process takes an equal share)")
    if config.model.conditioning != NONE:
        raise ConfigError("class-conditional runs (model.conditioning) train in one process for now: run wganlab "
                          'train without torchrun, or set model.conditioning = "none"')
    if t.device.startswith("cuda:"):
        raise ConfigError(f'train.device = "{t.device}" names one GPU, but under torchrun each process takes its own '
                          '(LOCAL_RANK): use train.device = "cuda"')


def validate_measurement(config: Config) -> None:
    """Only what measuring given samples against real data reads: the data and eval sections' names."""
    _check_names(config, {key: table for key, table in CHOSEN_BY.items() if key.startswith(("data.", "eval."))})


def _check_names(config: Config, tables: dict[str, Parts]) -> None:
    for key, table in tables.items():
        section, name = key.split(".")
        value = getattr(getattr(config, section), name)
        for chosen in value if isinstance(value, tuple) else (value,):
            table.resolve(chosen, key)
    if config.data.split not in SPLITS:
        raise ConfigError(f"unknown data.split {config.data.split!r}; {suggest(config.data.split, SPLITS)}")
    extractor = config.eval.extractor
    if extractor != AUTO and extractor not in EXTRACTORS:
        raise ConfigError(f"unknown eval.extractor {extractor!r}; {suggest(extractor, [AUTO, *EXTRACTORS])}")


def concrete_device(device: str) -> str:
    """train.device as this machine runs it: "auto" is "cuda" where PyTorch sees a GPU, else "cpu"."""
    if device != AUTO:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def device_line(device: str, chosen: str) -> str:
    """How the start line names the device: the one chosen, and why when train.device was "auto"."""
    if device != AUTO:
        return chosen
    return f"{chosen} (train.device auto: {'a CUDA GPU is there' if chosen != 'cpu' else 'no CUDA GPU'})"


def device_here(device: str) -> bool:
    """Whether this machine has `device` ("auto", "cpu", "cuda" or "cuda:N": the form every `Config` has, checked
    by config.py)."""
    if device in ("cpu", AUTO):
        return True
    index = int(device.partition(":")[2] or 0)
    return torch.cuda.is_available() and index < torch.cuda.device_count()


def _check_device(device: str) -> None:
    if not device_here(device):
        raise ConfigError(f'train.device {device!r} is not available on this machine; use train.device="cpu"')


def _check_combinations(config: Config) -> None:
    o = config.objective
    if LOSSES[o.loss].needs_lipschitz and o.penalty == "none" and o.constraint == "none":
        raise ConfigError(
            f"objective.loss {o.loss!r} needs a Lipschitz method, or the critic's scores grow without "
            "bound: set objective.penalty (e.g. gp) or objective.constraint (e.g. clip)"
        )
    if o.penalty != "none" and o.penalty_weight == 0:
        raise ConfigError(
            f"objective.penalty {o.penalty!r} has objective.penalty_weight 0, so it does nothing: "
            'set a positive weight or objective.penalty = "none"'
        )
    _check_objective(config)
    _check_data_kind(config)
    _check_conditioning(config)
    images = is_image(config.data.name)
    if config.data.stack != 1 and not images:
        raise ConfigError("data.stack applies to image data only")
    if config.data.limit != 0 and not images:
        raise ConfigError("data.limit applies to image data only (2-D data sets are sampled afresh every batch)")
    d = config.data
    if (d.crop or d.resize or d.pad_to or d.flip) and not images:
        raise ConfigError("data.crop, data.resize, data.pad_to and data.flip apply to image data only")
    if d.augment != "none":
        _check_augment(d.augment, d.augment_policy, images)
    elif d.augment_policy != DataConfig.augment_policy:
        raise ConfigError('data.augment_policy is set but data.augment is "none": set data.augment = "diffaug"')
    if NORMS[config.model.critic_norm].mixes_samples and PENALTIES[o.penalty].per_sample:
        raise ConfigError(
            f"model.critic_norm {config.model.critic_norm!r} mixes samples, so the per-sample gradient penalty "
            f"{o.penalty!r} is no longer per sample (WGAN-GP Sec. 4): use model.critic_norm = \"layer\" or \"none\""
        )
    if o.instance_noise_steps > 0 and o.instance_noise_std == 0:
        raise ConfigError("objective.instance_noise_steps is set but objective.instance_noise_std is 0")
    _check_plateau(config)


def _check_augment(augment: str, policy: tuple[str, ...], images: bool) -> None:
    if not images:
        raise ConfigError(f"data.augment {augment!r} applies to image data only (2-D data sets are sampled afresh)")
    if not policy or len(set(policy)) != len(policy):
        raise ConfigError(f"data.augment_policy must name each of its transforms once, got {list(policy)}; choose "
                          f"from: {', '.join(POLICY)} (e.g. data.augment_policy=translation,cutout)")


def _check_objective(config: Config) -> None:
    """The new objectives' own rules: RpGAN's row pairing, and a decay that has something to decay."""
    o, t, p = config.objective, config.train, config.optim
    if LOSSES[o.loss].pairs_rows and t.generator_batch_size not in (0, t.batch_size):
        raise ConfigError(
            f"objective.loss {o.loss!r} pairs each generated row with the real row of the same index, so the "
            f"generator's batch must be the critic's: set train.generator_batch_size = 0 (now "
            f"{t.generator_batch_size}, train.batch_size {t.batch_size})"
        )
    if o.penalty == "none" and (o.penalty_decay != "none" or o.penalty_final != 0):
        raise ConfigError("objective.penalty_decay and objective.penalty_final need a penalty to decay: "
                          "set objective.penalty, or leave them out")
    if o.penalty_decay == "none" and o.penalty_final != 0:
        raise ConfigError('objective.penalty_final is set but objective.penalty_decay is "none": set '
                          'objective.penalty_decay = "cosine" or "linear"')
    if p.lr_decay == "none" and p.lr_final != 0:
        raise ConfigError('optim.lr_final is set but optim.lr_decay is "none": set optim.lr_decay = "cosine" or '
                          '"linear"')


def _check_conditioning(config: Config) -> None:
    """model.conditioning: an architecture with a variant for it, labelled image data one image per sample; the
    conditional keys only with it."""
    model, data = config.model, config.data
    if model.conditioning == NONE:
        if model.classes or config.train.label_sampling != "uniform":
            raise ConfigError('model.classes and train.label_sampling are for class-conditional runs: set '
                              'model.conditioning (projection, acgan or concat), or leave them out')
        return
    entry = CONDITIONINGS[model.conditioning]
    if model.arch not in entry.architectures:
        raise ConfigError(f"model.conditioning {entry.name!r} has no variant for model.arch {model.arch!r}: use "
                          f"model.arch {' or '.join(entry.architectures)}, or model.conditioning = \"none\"")
    if not is_image(data.name):
        raise ConfigError(f"model.conditioning needs labelled images; data.name {data.name!r} is 2-D data without "
                          'labels: choose an image data set, or set model.conditioning = "none"')
    if data.stack != 1:
        raise ConfigError(f"model.conditioning takes one label per image; stacked data (data.stack = {data.stack}) has "
                          'one per channel: set data.stack = 1, or model.conditioning = "none"')


def _check_plateau(config: Config) -> None:
    """train.stop_on_plateau needs evaluations of a quality metric (W1 on 2-D data, FID on images) along the way."""
    if not config.train.stop_on_plateau:
        return
    if config.eval.every == 0:
        raise ConfigError("train.stop_on_plateau needs evaluations along the way: set eval.every (e.g. 500)")
    if is_image(config.data.name) and "fid" not in config.eval.metrics:
        raise ConfigError('train.stop_on_plateau judges image runs by FID: add "fid" to eval.metrics')


def _check_data_kind(config: Config) -> None:
    """A toy recipe on images (an MLP with a 2-d latent) or a convolutional one on 2-D data: name what fits."""
    model, data = config.model, config.data.name
    convolutional = ARCHITECTURES[model.arch].images_only
    if is_image(data) and not convolutional and model.latent_dim <= 2:
        raise ConfigError(
            f"data.name {data!r} is image data but the config builds the 2-D toy MLP (latent {model.latent_dim}; "
            f"preset {config.preset!r}): use an image preset ({', '.join(_presets(images=True))}) or set "
            "model.arch (e.g. dcgan) and model.latent_dim"
        )
    if convolutional and not is_image(data):
        raise ConfigError(
            f"model.arch {model.arch!r} is convolutional and needs image data; data.name {data!r} is 2-D: use a "
            f"preset for 2-D data ({', '.join(_presets(images=False))}) or model.arch = \"mlp\""
        )


def _presets(images: bool) -> list[str]:
    return [name for name, preset in PRESETS.items() if preset.for_images == images]
