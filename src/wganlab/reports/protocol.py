"""What each recorded metric and diagnostic measures, in one line: the reports print it beside the number.

Metric names carry their sample count (`w1_2000`, `fid_2000`); the note spells the protocol out with it.
"""

from __future__ import annotations

import re

_COUNT = re.compile(r"_(\d+)$")

# prefix -> note; {n} is the sample count in the name. Longer prefixes first (kid_std_ before kid_).
TOY_NOTES = {
    "w1_": "exact W1 (optimal transport, POT) between {n} generated and {n} real points; lower is better",
    "modes_": "modes captured: nearest mode of at least one high-quality point among {n} generated (VEEGAN/PacGAN)",
    "hq_percent_": "% of {n} generated points within 3 sigma of their nearest mode centre (high quality)",
    "reverse_kl_": "KL(mode histogram of HQ points || uniform), {n} generated; 0 = modes evenly hit, nan = no HQ point",
}
IMAGE_NOTES = {
    "fid_": "Frechet distance of Gaussians fitted to features of {n} generated and of real images; lower is better",
    "kid_std_": "standard deviation of KID over its 100 subsets",
    "kid_": "kernel inception distance: unbiased MMD^2, cubic kernel, 100 subsets of min(1000, {n}); lower is better",
    "is_std_": "standard deviation of IS over its 10 splits",
    "is_": "Inception-style score exp(E KL(p(y|x) || p(y))) of {n} generated images with the extractor's classifier",
    "precision_": "improved precision (Kynkaanniemi et al. 2019, k = 3): share of {n} generated in the real manifold",
    "recall_": "improved recall (k = 3): share of real images inside the manifold of {n} generated",
    "modes_": "classes (argmax per channel; stacked: joint) hit by at least one of {n} generated images",
    "reverse_kl_": "KL(class histogram of {n} generated images || uniform over all modes)",
}
PLAIN_NOTES = {
    "critic_estimate": "the objective's estimate from the critic's scores on the evaluation points (WGAN: of W1)",
    "total_modes": "modes of the target distribution",
    "nonfinite_samples": "generated samples with a nan or inf value",
}
DIAGNOSTIC_NOTES = {
    "lipschitz/real": "largest input-gradient norm at real points (a lower bound on the Lipschitz constant)",
    "lipschitz/fake": "largest input-gradient norm at generated points",
    "lipschitz/interpolated": "largest input-gradient norm at real-generated interpolates (where WGAN-GP penalises)",
    "lipschitz/spectral_bound": "product of the layers' spectral norms: an upper bound on the Lipschitz constant",
    "gradients/log_slope": "decades of gradient norm per layer, forward order (0 = level; WGAN-GP Fig. 1b)",
    "gradients/layer_norms": "norm of the critic loss's gradient at each layer's output, input layer first",
    "weights/clip_saturation": "fraction of critic weights at the clip bound |w| = c",
    "critic/train_score": "mean critic score on training real data",
    "critic/heldout_score": "mean critic score on held-out real data",
    "critic/heldout_gap": "train minus held-out score: > 0 and growing when the critic memorises its data",
    "nonfinite/parameters": "critic parameters that are nan or inf",
}


def metric_note(key: str, images: bool) -> str:
    """The protocol of a metric named `key`, e.g. w1_2000 -> 'exact W1 ... between 2000 generated ...'."""
    if key in PLAIN_NOTES:
        return PLAIN_NOTES[key]
    match = _COUNT.search(key)
    count = match.group(1) if match else "?"
    for prefix, note in (IMAGE_NOTES if images else TOY_NOTES).items():
        if key.startswith(prefix):
            return note.format(n=count)
    return ""


def diagnostic_note(key: str) -> str:
    return DIAGNOSTIC_NOTES.get(key, "")
