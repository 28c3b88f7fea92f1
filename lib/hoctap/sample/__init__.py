"""The synthetic sample and the benchmark: never imported by production code (only the CLI's demo/bench commands)."""
