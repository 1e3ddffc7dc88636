"""The Curtois shift scheduling benchmark (Instances 1–24): parser, independent evaluator,
a direct CP-SAT reference model and the benchmark runner. See benchmarks/curtois/README.md."""
