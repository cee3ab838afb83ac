"""Qilu loss engine: everything peril-independent (portfolio, event sets, vulnerability, kernels, metrics, pricing, outputs)."""
