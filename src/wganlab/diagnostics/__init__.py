"""Diagnostics: what the critic and the generator are doing, measured."""
