"""Typhoon peril: CMA best tracks, stochastic tracks, wind and rain footprints."""
