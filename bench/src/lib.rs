//! tabvault-bench: benchmarks and the comparison harness (being built).
