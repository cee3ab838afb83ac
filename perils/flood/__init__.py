"""Rainfall-driven river and surface-water flooding across Shandong (``kind: flood``).

One idea per module: :mod:`params` (config sections, validated), :mod:`margins` (GEV of event rain
at sites), :mod:`dependence` (spatial copula), :mod:`rainfall` (a simulated year's events),
:mod:`geography` (rivers, terrain and land-use proxies), :mod:`transform` (rain -> flood depth and
duration; public, also for typhoon rain) and :mod:`peril` (the registered peril).
"""
