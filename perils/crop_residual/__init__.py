"""Crop yields beyond the modelled catastrophes: trend yields fitted on a county yield history and an
independent non-catastrophe residual (pests, disease, local hail and frost, management) as a peril."""
