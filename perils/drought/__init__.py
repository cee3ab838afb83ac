"""Agricultural drought for Shandong's counties (``kind: drought``).

Modules, one idea each: :mod:`~perils.drought.normals` (county climate normals), :mod:`~perils.drought.weather`
(monthly weather generator), :mod:`~perils.drought.pet` (Hargreaves, Thornthwaite),
:mod:`~perils.drought.waterbalance` (bucket, relative ET deficit), :mod:`~perils.drought.indices`
(SPI, SPEI, GB/T 20481 classes), :mod:`~perils.drought.season` (crop seasons and the index
calibration), :mod:`~perils.drought.params` (config validation) and :mod:`~perils.drought.peril`
(the registered peril).
"""
