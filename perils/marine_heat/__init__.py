"""Marine heat: summer sea-surface temperature extremes at coastal mariculture sites."""
