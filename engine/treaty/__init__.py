"""Reinsurance treaties: layer rules (layers), configs (spec), programs (program), prices (price)."""
