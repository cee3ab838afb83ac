"""Local weather perils of orchards and fields: hail and spring frost at bloom."""
