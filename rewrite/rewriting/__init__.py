"""Rules at work: instantiation, port-directed matching, the rewriting engine, and the prover."""
