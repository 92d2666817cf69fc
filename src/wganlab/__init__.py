"""wganlab: train, diagnose, evaluate and compare Wasserstein GANs."""

__version__ = "0.1.0"
