"""Benchmark: Adam on 2-D Rosenbrock, the fused engine vs NumPy and JAX.

See ``landscape.bench`` (also ``landscape bench``); pass ``--help`` for options.
"""

from landscape.bench import main

if __name__ == "__main__":
    main()
