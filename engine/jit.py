"""The one place kernels get compiled.

Every numba kernel in Qilu is decorated with :func:`kernel`, so caching, fastmath and
the ``NUMBA_DISABLE_JIT=1`` escape hatch (readable tracebacks, real coverage) are set once.
"""
from numba import njit


def kernel(func=None, **options):
    """Compile ``func`` with numba in nopython mode, cached on disk.

    Floating-point semantics stay strict (no fastmath) so results are bit-identical
    whatever the chunking: reassociated sums would change the last bits.
    """
    options.setdefault("cache", True)
    options.setdefault("nogil", True)
    if func is None:
        return lambda f: njit(**options)(f)
    return njit(**options)(func)
