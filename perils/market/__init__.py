"""Market perils: farm-gate price risk of special crops (target-price index covers)."""
