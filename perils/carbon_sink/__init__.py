"""Perils acting on carbon sinks (``kind: carbon_sink``): see :mod:`perils.carbon_sink.peril`."""
