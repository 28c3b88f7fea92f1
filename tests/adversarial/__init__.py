"""Adversarial suite: equivalent variants, mutants and a runner that checks the intake contract."""
