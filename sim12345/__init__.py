"""A stand-alone simulator of a local 12345 hotline system, for tests, benchmarks and demos of sync/.
Not part of the product: nothing in the product imports it."""
